#!/usr/bin/env bash
# The GPU runbook: runs on a lent GPU machine, in a copy of this tree with .carry/ from tools/device_bundle.sh.
#
#   OUT=/some/dir tools/device_run.sh [bench_llama arguments, e.g. --quick]
#
# Steps, each under its own time limit, the whole inside DEVICE_BUDGET seconds (default 540, under the lent machine's
# 10-minute command limit):
#   libs       find cuBLAS and CUPTI where this machine's CUDA install has them, check that every binary loads
#   machine    nvidia-smi, clocks, power, ECC, library folders, tool versions (logs/machine.txt)
#   sweep      bench_llama --gpu 0 ARGS under `timeout -s TERM` (SWEEP_TIMEOUT, default 300 s): cut short, it keeps
#              every finished row and closes its files
#   unit       the CPU test binaries
#   gpu        the GPU test binaries; the variants never yet run on a GPU (ISOLATED_VARIANTS) in a process of their own
#   faults     tests/reliability/test_faults_gpu.py
#   sanitizer  compute-sanitizer memcheck, racecheck, initcheck, synccheck on the GPU tests (small shapes, without the
#              timing tests that instrumentation makes fail falsely)
# DEVICE_STEPS (default: every step, in that order) picks some; SANITIZER_TOOLS (default memcheck racecheck initcheck
# synccheck) the sanitizer's tools. Each step writes one line to summary.txt (PASS, FAIL, SKIP, CUT, or NOT-RUN when
# the budget is spent; its seconds; what it saw) and its log to logs/. The sweep's result folder,
# results/<gpu>/<date>_<commit>/, holds logs/ too; after every step it (or, with no result folder, the logs alone) is
# packed into $OUT/result.tgz, so what comes back is complete up to the last finished step even if the command is
# killed. $OUT holds two files: summary.txt and result.tgz. Unpacked in the repository's root, `git add results/`
# commits the folder as it was written. The sweep and every step do not fit one 10-minute call: see
# docs/measuring.md ("On a lent GPU machine") for the plan of calls.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$PWD
start=$(date +%s)
budget=${DEVICE_BUDGET:-540}
out=${OUT:-$root/device_out}
mkdir -p "$out"
out=$(cd "$out" && pwd)
steps=",${DEVICE_STEPS:-libs,machine,sweep,unit,gpu,faults,sanitizer},"
bin=$root/.carry/bin
python=${BENCH_LLAMA_PYTHON:-python3}
export BENCH_LLAMA_PYTHON=$python
scratch=$(mktemp -d)
logs=$scratch/device_logs  # until the sweep has made its result folder; never loose files in $OUT (8 come back)
folder=""
mkdir -p "$logs"
rm -f "$out/summary.txt" "$out/result.tgz"
: >"$out/summary.txt"

left() { echo $((budget - ($(date +%s) - start))); }
say() {  # STATUS STEP SECONDS TEXT...: one line of the summary, also on stdout
  printf '%-4s %-10s %4ss  %s\n' "$1" "$2" "$3" "${*:4}" | tee -a "$out/summary.txt"
}
wanted() { [[ $steps == *",$1,"* ]]; }
pack() {  # what has been produced so far, into $OUT/result.tgz (overwritten after every step)
  cp "$out/summary.txt" "$logs/summary.txt" 2>/dev/null
  if [ -n "$folder" ] && [ -d "$folder" ]; then
    timeout 60 tar -czf "$scratch/result.tgz" -C "$root" "${folder#"$root"/}"
  else
    timeout 60 tar -czf "$scratch/result.tgz" -C "$scratch" device_logs
  fi
  mv -f "$scratch/result.tgz" "$out/result.tgz" 2>/dev/null
}
# Runs a step's command with a time limit: min(LIMIT, what is left of the budget less the kill delay and packing).
# Sets $rc (200: not run, the budget is spent) and $took.
timed() {  # LIMIT LOG COMMAND...
  local limit=$1 log=$2
  shift 2
  local room=$(($(left) - 45))
  ((room < limit)) && limit=$room
  if ((room < 5)); then
    rc=200 took=0
    echo "not run: the budget (DEVICE_BUDGET=$budget s) is spent" >>"$log"
    return
  fi
  local t0
  t0=$(date +%s)
  timeout -s TERM -k 20 "$limit" "$@" >>"$log" 2>&1
  rc=$?
  took=$(($(date +%s) - t0))
}

# --- libs: where cuBLAS and CUPTI are, and whether every binary loads -------------------------------------------
if [ -f "$root/.carry/bin.tgz" ]; then  # the bundle's binaries, packed (tools/device_bundle.sh)
  if ! tar -xzf "$root/.carry/bin.tgz" -C "$root/.carry"; then
    say FAIL libs 0 "cannot unpack .carry/bin.tgz (a bundle cut short?): run tools/device_bundle.sh again"
    exit 3
  fi
fi
if [ ! -x "$bin/bench_llama" ]; then
  say FAIL libs 0 "no $bin/bench_llama: run tools/device_bundle.sh here first and carry .carry"
  exit 3
fi
lib_dirs=("$root/.carry/lib")
for d in "${CUDA_HOME:-/usr/local/cuda}" /usr/local/cuda /usr/local/cuda-*; do
  for sub in lib64 targets/x86_64-linux/lib extras/CUPTI/lib64 lib; do
    [ -d "$d/$sub" ] && lib_dirs+=("$d/$sub")
  done
done
# NVIDIA's Python wheels (nvidia-cublas, nvidia-cuda-cupti), as PyTorch images have them.
for py in "$python" python3 /opt/*/.venv/bin/python3; do
  command -v "$py" >/dev/null 2>&1 || continue
  while read -r d; do [ -d "$d" ] && lib_dirs+=("$d"); done < <(timeout 30 "$py" - 2>/dev/null <<'PY'
import glob, site, sys
for base in site.getsitepackages() + [site.getusersitepackages()]:
    for d in sorted(glob.glob(base + "/nvidia/*/lib")):
        print(d)
PY
  )
done
mapfile -t lib_dirs < <(printf '%s\n' "${lib_dirs[@]}" | awk '!seen[$0]++')  # each folder once, in order
find_lib() {  # SONAME -> the first folder of lib_dirs that has it
  local d
  for d in "${lib_dirs[@]}"; do
    if [ -e "$d/$1" ]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}
ld_path="$root/.carry/lib"
add_dir() { [[ ":$ld_path:" == *":$1:"* ]] || ld_path="$ld_path:$1"; }
missing=()
for soname in $(for b in "$bin"/*; do ldd "$b" 2>/dev/null | awk '/=> not found/ {print $1}'; done | sort -u) \
  libcublas.so.13 libcublasLt.so.13; do
  if d=$(find_lib "$soname"); then add_dir "$d"; else missing+=("$soname"); fi
done
cupti_note="CUPTI (for --counters and the flush test) not found"
if d=$(find_lib libcupti.so.13); then
  add_dir "$d"
  cupti_note="CUPTI in $d"
fi
export LD_LIBRARY_PATH="$ld_path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
unloadable=()
for b in "$bin"/*; do
  if ldd "$b" 2>&1 | grep -q "not found"; then
    unloadable+=("$(basename "$b"): $(ldd "$b" 2>&1 | grep "not found" | awk '{print $1}' | sort -u | tr '\n' ' ')")
  else
    probe=--gtest_list_tests
    [[ $(basename "$b") == bench_llama ]] && probe=--help
    if ! err=$(timeout 30 "$b" "$probe" 2>&1 >/dev/null); then
      unloadable+=("$(basename "$b"): $(echo "$err" | head -1 | cut -c1-200)")
    fi
  fi
done
{
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  echo "searched: ${lib_dirs[*]}"
  for b in "$bin"/*; do
    echo "== $b"
    ldd "$b"
  done
} >>"$logs/libs.log" 2>&1
if ((${#missing[@]} + ${#unloadable[@]})); then
  say FAIL libs "$(($(date +%s) - start))" "cannot load: ${unloadable[*]:-} missing: ${missing[*]:-none}" \
    "(searched ${lib_dirs[*]}; set LD_LIBRARY_PATH to the folder that has them)"
  exit 3
fi
say PASS libs "$(($(date +%s) - start))" "every binary loads; cuBLAS in $(find_lib libcublas.so.13); $cupti_note"

# compute-sanitizer: on PATH, or where CUDA installs put it.
if ! command -v compute-sanitizer >/dev/null 2>&1; then
  for d in /usr/local/cuda/compute-sanitizer /usr/local/cuda/bin /usr/local/cuda-*/compute-sanitizer \
    /opt/nvidia/compute-sanitizer; do
    if [ -x "$d/compute-sanitizer" ]; then
      export PATH="$PATH:$d"
      break
    fi
  done
fi

# --- machine --------------------------------------------------------------------------------------------------------
if wanted machine && ! command -v nvidia-smi >/dev/null 2>&1; then
  say FAIL machine 0 "nvidia-smi not found: no NVIDIA driver here?"
elif wanted machine; then
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    cat "$root/.carry/BUNDLE" 2>/dev/null
    uname -a
    timeout 30 nvidia-smi
    timeout 30 nvidia-smi -q -d CLOCK,POWER,PERFORMANCE,ECC,TEMPERATURE
    echo "compute-sanitizer: $(command -v compute-sanitizer || echo none)"
    timeout 30 compute-sanitizer --version 2>/dev/null | tail -1
    echo "python: $("$python" --version 2>&1) ($python)"
  } >>"$logs/machine.txt" 2>&1
  say PASS machine 0 "$(timeout 30 nvidia-smi --query-gpu=name,driver_version,clocks.sm,power.limit \
    --format=csv,noheader 2>&1 | head -1)"
fi

# --- sweep: first, under its own limit; a cut run keeps its rows ------------------------------------------------------
plot=1
for arg in "$@"; do [ "$arg" = --no-plot ] && plot=0; done
if wanted sweep; then
  # The plot is drawn after the sweep, under its own limit: matplotlib's first import on a bare machine builds its
  # font cache, which must not eat the sweep's time or outlast the kill delay of a cut run.
  timed "${SWEEP_TIMEOUT:-300}" "$logs/bench.log" "$bin/bench_llama" --gpu 0 "$@" --no-plot
  found=$(grep -o 'result folder: .*' "$logs/bench.log" | tail -1 | cut -d' ' -f3-)
  if [ -n "$found" ] && [ -d "$found" ]; then
    folder=$(cd "$found" && pwd)
    mkdir -p "$folder/logs"
    cp -r "$logs"/. "$folder/logs/"
    logs=$folder/logs
  fi
  rows=""
  [ -f "$folder/roofline.csv" ] && rows="; $(($(wc -l <"$folder/roofline.csv") - 1)) rows in ${folder#"$root"/}"
  last=$(grep -v '^\s*$' "$logs/bench.log" | tail -1 | cut -c1-160)
  case $rc in
    0) say PASS sweep "$took" "exit 0$rows" ;;
    124 | 137 | 130) say CUT sweep "$took" "stopped at its limit (exit $rc)$rows: finished rows kept" ;;
    200) say NOT-RUN sweep 0 "the budget is spent" ;;
    *) say FAIL sweep "$took" "exit $rc$rows: $last" ;;
  esac
  if ((plot)) && [ -f "$folder/roofline.csv" ]; then
    rc_sweep=$rc
    timed 120 "$logs/plot.log" "$python" scripts/plot_roofline.py "$folder/roofline.csv" --out "$folder/roofline.png"
    ((rc == 0)) || say FAIL plot "$took" "exit $rc: the plot was not drawn (logs/plot.log); the rows are all there"
    rc=$rc_sweep
  fi
  pack
fi

# --- unit: the CPU test binaries ------------------------------------------------------------------------------------
if wanted unit; then
  failed=() total=0
  for t in roofline_tests bench_unit_tests; do
    echo "== $t" >>"$logs/unit.log"
    timed 120 "$logs/unit.log" "$bin/$t" --gtest_brief=1
    total=$((total + took))
    ((rc == 0)) || failed+=("$t (exit $rc)")
  done
  if ((${#failed[@]})); then say FAIL unit "$total" "${failed[*]}"; else say PASS unit "$total" "roofline_tests, bench_unit_tests"; fi
  pack
fi

# --- gpu: the GPU test binaries -------------------------------------------------------------------------------------
if wanted gpu; then
  # Variants that have never run on a GPU (ISOLATED_VARIANTS, comma-separated; empty: none) are compared with cuBLAS
  # in a process of their own: a kernel that traps (its watchdog catching a deadlock) leaves the process's CUDA
  # context unusable, and must not take the other tests' results with it.
  isolated=${ISOLATED_VARIANTS-gemm_wgmma_128x256_c2,gemm_wgmma_128x256_c2_tma_store}
  failed=() total=0 skipped=0 runs=("bench_gpu_tests" "kernels_gpu_tests")
  [ -n "$isolated" ] && runs+=("kernels_gpu_tests isolated")
  for run in "${runs[@]}"; do
    t=${run%% *} select=() filter=()
    if [ "$t" = kernels_gpu_tests ] && [ -n "$isolated" ]; then
      if [ "$run" = "$t" ]; then
        select=("BENCH_LLAMA_VARIANTS=-$isolated")
      else
        select=("BENCH_LLAMA_VARIANTS=$isolated") filter=("--gtest_filter=*VariantsGpu.EveryVariant*")
      fi
    fi
    echo "== $t ${select[*]} ${filter[*]}" >>"$logs/gpu_tests.log"
    timed 240 "$logs/gpu_tests.log" env "${select[@]}" "$bin/$t" "${filter[@]}"
    total=$((total + took))
    ((rc == 0)) || failed+=("$run (exit $rc)")
  done
  skipped=$(grep -cE '^\[  SKIPPED \] .*\([0-9]+ ms\)$' "$logs/gpu_tests.log")
  if ((${#failed[@]})); then
    say FAIL gpu "$total" "${failed[*]}; $(grep -m3 '^\[  FAILED  \] [A-Za-z]' "$logs/gpu_tests.log" | tr '\n' ' ')"
  else
    say PASS gpu "$total" "${runs[*]} ($skipped skipped: see logs/gpu_tests.log)"
  fi
  pack
fi

# --- faults: the fault tests, end to end ------------------------------------------------------------------------------
if wanted faults; then
  timed 240 "$logs/faults.log" env BENCH_LLAMA="$bin/bench_llama" "$python" -m pytest -q -rs -p no:cacheprovider \
    tests/reliability/test_faults_gpu.py
  verdict=$(grep -E '[0-9]+ (passed|failed|skipped)' "$logs/faults.log" | tail -1)
  if ((rc == 0)); then
    say PASS faults "$took" "$verdict"
  elif ((rc == 200)); then
    say NOT-RUN faults 0 "the budget is spent"
  else
    say FAIL faults "$took" "exit $rc: $verdict"
  fi
  pack
fi

# --- sanitizer: compute-sanitizer on the GPU tests ------------------------------------------------------------------
if wanted sanitizer; then
  if ! command -v compute-sanitizer >/dev/null 2>&1; then
    say SKIP sanitizer 0 "compute-sanitizer not found (looked on PATH and in the CUDA install)"
  elif [ "$(uname -r)" = 4.4.0 ]; then
    say SKIP sanitizer 0 "gVisor (kernel 4.4.0): compute-sanitizer refuses the device there"
  else
    # Timing tests fail falsely under instrumentation, and CUPTI cannot profile under a sanitizer.
    filter="-HarnessGpu.CopyOfKnownBytesRunsNearTheMeasuredBandwidth:HarnessGpu.FlushEvictsL2:HarnessGpu.FlushLeavesL2Clean"
    filter+=":HarnessGpu.GatedAndBatchedTimesOfATinyKernel:HarnessGpu.ClockProbeAgreesWithNvml"
    filter+=":HarnessGpu.AFailedLaunchReleasesTheGate:HarnessGpu.BatchedEventTimeAgreesWithCounterDuration"
    filter+=":HarnessGpu.TheGateHoldsTheStreamUntilReleased:HarnessGpu.AGateNobodyReleasesTimesOut"
    filter+=":HarnessGpu.AFirstLaunchUnderTheGateDoesNotDeadlock"
    results=() total=0 bad=0
    for tool in ${SANITIZER_TOOLS:-memcheck racecheck initcheck synccheck}; do
      for t in bench_gpu_tests kernels_gpu_tests; do
        echo "== compute-sanitizer --tool $tool $t" >>"$logs/sanitizer.log"
        timed "${SANITIZER_TIMEOUT:-150}" "$logs/sanitizer.log" env BENCH_LLAMA_SMALL_SHAPES=1 \
          compute-sanitizer --tool "$tool" --error-exitcode 9 --print-limit 100 "$bin/$t" --gtest_filter="$filter"
        total=$((total + took))
        case $rc in
          0) results+=("$tool/$t ok") ;;
          200)
            results+=("$tool/$t NOT-RUN (budget)")
            bad=$((bad + 1))
            ;;
          124 | 137)
            results+=("$tool/$t CUT")
            bad=$((bad + 1))
            ;;
          *)
            results+=("$tool/$t exit $rc")
            bad=$((bad + 1))
            ;;
        esac
      done
    done
    # memcheck, initcheck and synccheck end with "ERROR SUMMARY: N errors"; racecheck with "RACECHECK SUMMARY: N
    # hazards displayed (E errors, W warnings)".
    errors=$(grep -E 'ERROR SUMMARY: [0-9]+' "$logs/sanitizer.log" | awk '{s += $4} END {print s + 0}')
    hazards=$(grep -E 'RACECHECK SUMMARY: [0-9]+' "$logs/sanitizer.log" | awk '{s += $4} END {print s + 0}')
    if ((bad || errors || hazards)); then
      say FAIL sanitizer "$total" "$errors errors, $hazards race hazards; ${results[*]}"
    else
      say PASS sanitizer "$total" "0 errors, 0 race hazards; ${results[*]}"
    fi
  fi
  pack
fi

pack
echo "device_run: done in $(($(date +%s) - start)) s; summary in $out/summary.txt${folder:+, result folder packed in $out/result.tgz}"
