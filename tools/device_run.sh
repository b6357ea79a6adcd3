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
#   gpu        the GPU test binaries
#   faults     tests/reliability/test_faults_gpu.py
#   sanitizer  compute-sanitizer memcheck, racecheck, initcheck, synccheck on the GPU tests (small shapes, without the
#              timing tests that instrumentation makes fail falsely)
# DEVICE_STEPS (default: every step, in that order) picks some. Each step writes one line to summary.txt
# (PASS/FAIL/SKIP/CUT, seconds, what it saw) and its log to logs/. The sweep's result folder,
# results/<gpu>/<date>_<commit>/, holds logs/ too, and after every step it is packed into $OUT/result.tgz, so what
# comes back is complete up to the last finished step even if the command is killed. Unpacked in the repository's
# root, `git add results/` commits it as it was written.
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
logs=$out/logs   # until the sweep has made its result folder
folder=""
mkdir -p "$logs"
: >"$out/summary.txt"

left() { echo $((budget - ($(date +%s) - start))); }
say() {  # STATUS STEP SECONDS TEXT...: one line of the summary, also on stdout
  printf '%-4s %-10s %4ss  %s\n' "$1" "$2" "$3" "${*:4}" | tee -a "$out/summary.txt"
}
wanted() { [[ $steps == *",$1,"* ]]; }
pack() {  # what has been produced so far, into $OUT (overwritten after every step)
  cp "$out/summary.txt" "$logs/summary.txt" 2>/dev/null
  if [ -n "$folder" ] && [ -d "$folder" ]; then
    tar -czf "$out/result.tgz.tmp" -C "$root" "${folder#"$root"/}" && mv "$out/result.tgz.tmp" "$out/result.tgz"
  fi
}
# Runs a step's command with a time limit: min(LIMIT, what is left of the budget less a margin). Sets $rc, $took.
timed() {  # LIMIT LOG COMMAND...
  local limit=$1 log=$2
  shift 2
  local room=$(($(left) - 15))
  ((room < limit)) && limit=$room
  if ((limit < 5)); then
    rc=124 took=0
    echo "no time left in the budget" >>"$log"
    return
  fi
  local t0
  t0=$(date +%s)
  timeout -s TERM -k 20 "$limit" "$@" >>"$log" 2>&1
  rc=$?
  took=$(($(date +%s) - t0))
}

# --- libs: where cuBLAS and CUPTI are, and whether every binary loads -------------------------------------------
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
  while read -r d; do [ -d "$d" ] && lib_dirs+=("$d"); done < <("$py" - 2>/dev/null <<'PY'
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
    if ! err=$("$b" "$probe" 2>&1 >/dev/null); then
      unloadable+=("$(basename "$b"): $(echo "$err" | head -1 | cut -c1-200)")
    fi
  fi
done
{
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  echo "searched: ${lib_dirs[*]}"
  for b in "$bin"/*; do echo "== $b"; ldd "$b"; done
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
    nvidia-smi
    nvidia-smi -q -d CLOCK,POWER,PERFORMANCE,ECC,TEMPERATURE
    echo "compute-sanitizer: $(command -v compute-sanitizer || echo none)"
    compute-sanitizer --version 2>/dev/null | tail -1
    echo "python: $("$python" --version 2>&1) ($python)"
  } >>"$logs/machine.txt" 2>&1
  say PASS machine 0 "$(nvidia-smi --query-gpu=name,driver_version,clocks.sm,power.limit --format=csv,noheader 2>&1 | head -1)"
fi

# --- sweep: first, under its own limit; a cut run keeps its rows ------------------------------------------------------
if wanted sweep; then
  timed "${SWEEP_TIMEOUT:-300}" "$logs/bench.log" "$bin/bench_llama" --gpu 0 "$@"
  found=$(grep -o 'result folder: .*' "$logs/bench.log" | tail -1 | cut -d' ' -f3-)
  if [ -n "$found" ] && [ -d "$found" ]; then
    folder=$(cd "$found" && pwd)
    mkdir -p "$folder/logs"
    cp -r "$logs"/. "$folder/logs/"
    logs=$folder/logs
  fi
  rows=""
  [ -n "$folder" ] && rows="; $(($(wc -l <"$folder/roofline.csv") - 1)) rows in ${folder#"$root"/}"
  last=$(grep -v '^\s*$' "$logs/bench.log" | tail -1 | cut -c1-160)
  case $rc in
    0) say PASS sweep "$took" "exit 0$rows" ;;
    124 | 137 | 130) say CUT sweep "$took" "stopped at its limit (exit $rc)$rows: finished rows kept" ;;
    *) say FAIL sweep "$took" "exit $rc$rows: $last" ;;
  esac
  pack
fi

# --- unit: the CPU test binaries ------------------------------------------------------------------------------------
if wanted unit; then
  failed=() total=0
  for t in roofline_tests bench_unit_tests reliability_tests; do
    echo "== $t" >>"$logs/unit.log"
    timed 120 "$logs/unit.log" "$bin/$t" --gtest_brief=1
    total=$((total + took))
    ((rc == 0)) || failed+=("$t (exit $rc)")
  done
  if ((${#failed[@]})); then say FAIL unit "$total" "${failed[*]}"; else say PASS unit "$total" "roofline, bench, reliability"; fi
  pack
fi

# --- gpu: the GPU test binaries -------------------------------------------------------------------------------------
if wanted gpu; then
  failed=() total=0 skipped=0
  for t in bench_gpu_tests kernels_gpu_tests; do
    echo "== $t" >>"$logs/gpu_tests.log"
    timed 240 "$logs/gpu_tests.log" "$bin/$t"
    total=$((total + took))
    ((rc == 0)) || failed+=("$t (exit $rc)")
  done
  skipped=$(grep -c '^\[  SKIPPED \] [A-Za-z]' "$logs/gpu_tests.log")
  if ((${#failed[@]})); then
    say FAIL gpu "$total" "${failed[*]}; $(grep -m3 '^\[  FAILED  \] [A-Za-z]' "$logs/gpu_tests.log" | tr '\n' ' ')"
  else
    say PASS gpu "$total" "bench_gpu_tests, kernels_gpu_tests ($skipped skipped: see logs/gpu_tests.log)"
  fi
  pack
fi

# --- faults: the fault tests, end to end ------------------------------------------------------------------------------
if wanted faults; then
  timed 240 "$logs/faults.log" env BENCH_LLAMA="$bin/bench_llama" "$python" -m pytest -q -rs -p no:cacheprovider \
    tests/reliability/test_faults_gpu.py
  verdict=$(grep -E '[0-9]+ (passed|failed|skipped)' "$logs/faults.log" | tail -1)
  if ((rc == 0)); then say PASS faults "$took" "$verdict"; else say FAIL faults "$took" "exit $rc: $verdict"; fi
  pack
fi

# --- sanitizer: compute-sanitizer on the GPU tests ------------------------------------------------------------------
if wanted sanitizer; then
  if ! command -v compute-sanitizer >/dev/null 2>&1; then
    say SKIP sanitizer 0 "compute-sanitizer not found (looked on PATH and in the CUDA install)"
  else
    # Timing tests fail falsely under instrumentation, and CUPTI cannot profile under a sanitizer.
    filter="-HarnessGpu.CopyOfKnownBytesRunsNearTheMeasuredBandwidth:HarnessGpu.FlushEvictsL2:HarnessGpu.FlushLeavesL2Clean"
    results=() total=0 bad=0
    for tool in memcheck racecheck initcheck synccheck; do
      for t in bench_gpu_tests kernels_gpu_tests; do
        echo "== compute-sanitizer --tool $tool $t" >>"$logs/sanitizer.log"
        timed "${SANITIZER_TIMEOUT:-150}" "$logs/sanitizer.log" env BENCH_LLAMA_SMALL_SHAPES=1 \
          compute-sanitizer --tool "$tool" --error-exitcode 9 --print-limit 100 "$bin/$t" --gtest_filter="$filter"
        total=$((total + took))
        case $rc in
          0) results+=("$tool/$t ok") ;;
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
    errors=$(grep -E 'ERROR SUMMARY: [0-9]+' "$logs/sanitizer.log" | awk '{s += $4} END {print s + 0}')
    if ((bad)); then say FAIL sanitizer "$total" "$errors errors; ${results[*]}"; else
      say PASS sanitizer "$total" "0 errors; ${results[*]}"
    fi
  fi
  pack
fi

pack
echo "device_run: done in $(($(date +%s) - start)) s; summary in $out/summary.txt${folder:+, result folder packed in $out/result.tgz}"
