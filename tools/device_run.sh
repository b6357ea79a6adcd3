#!/usr/bin/env bash
# The GPU runbook: runs on a lent GPU machine, in a copy of this tree with .carry/ from tools/device_bundle.sh.
#
#   OUT=/some/dir tools/device_run.sh [bench_llama arguments for the sweep, e.g. --quick]
#   tools/device_run.sh --plan     the steps that would run, each with its cap, against the budget; runs nothing
#
# The steps, in this order, each under its own cap in seconds (the table `cap` below, CAP_<STEP> overrides one), all
# within DEVICE_BUDGET seconds (default 480: the first call of a 15-minute device session, docs/measuring.md):
#   libs       find cuBLAS and CUPTI where this machine's CUDA install has them; check that every binary starts
#   machine    nvidia-smi, clocks, power, ECC, tool versions (logs/machine.txt)
#   variants   every hand-written variant built for this GPU (bench_llama --list-variants) against cuBLAS, each in a
#              process of its own (kernels_gpu_tests with BENCH_LLAMA_VARIANTS=<name>) under VARIANT_TIMEOUT seconds,
#              VARIANT_JOBS at once: a kernel that traps or hangs costs only its own process, and no later step uses it
#   sweep      bench_llama --gpu 0 ARGS --no-plot --allow-variants <the variants that passed>; cut at its cap, it
#              keeps every finished row
#   unit       the CPU test binaries (roofline_tests; bench_unit_tests, which checks CUPTI's host side here)
#   gpu        bench_gpu_tests, and kernels_gpu_tests without the per-variant comparison (the variants step ran it)
#   faults     tests/reliability/test_faults_gpu.py
#   sanitizer  compute-sanitizer (SANITIZER_TOOLS, default memcheck) on kernels_gpu_tests at small shapes, one process
#              per variant that passed, SANITIZER_JOBS at once; never a variant that failed
#   compare    old against new variants on a reduced grid with counters (COMPARE_ARGS): every variant that passed (or
#              COMPARE_VARIANTS) named in --impl beside cublas, in a bench_llama process and result folder of its own
#   probe      .carry/bin/lane_probe, when the bundle has one: the emulator's lane maps against this GPU's
#   medusa     bench_llama --gpu 0 MEDUSA_ARGS (default: --phase medusa on the comparison's grid, b 1,4,16,64 and s
#              512,4096, every default q) --no-plot --allow-variants <...>, hand and cuBLAS, in <the sweep's>_medusa
#   repeat     the sweep again, with ARGS and REPEAT_ARGS (default --counters), in <the sweep's>_repeat: a second sweep
#              of one build on one GPU (repeatability), with the counters' bytes and GPU time
# In a later call without the sweep, SWEEP_FOLDER (the first call's, results/<gpu>/<date>_<commit>) names the folders of
# compare, medusa and repeat, with _rerun appended: bench_llama's own name could be that sweep's.
# DEVICE_PLAN picks the steps a run takes by default, and which of them gets what the others leave of the budget:
#   first-light   (default) libs machine variants sweep unit gpu faults sanitizer compare probe; compare gets the rest
#   second-light  libs machine sweep medusa repeat, hand among PASSED_VARIANTS (what first light passed); repeat gets
#                 the rest (docs/measuring.md, "Second light")
# DEVICE_STEPS picks steps of either (libs always runs). sweep, compare, medusa and repeat also take what the steps
# before them left unused; the other steps never pass their cap. Each step writes one line to summary.txt (PASS,
# FAIL, SKIP, CUT at its cap, or NOT-RUN when the budget was spent first; its seconds; what it saw) and its log to
# logs/. After every step what exists is packed into $OUT: results.tgz (the result folders without their logs; packed
# after each measuring step) and logs.tgz (every log and the summary), so what comes back is complete up to the last
# finished step even if the command is killed. A second run in the same call writes to $OUT/2 (then 3, ...): it never
# replaces a first run's files. What an earlier call found: PASSED_VARIANTS (variants known to pass on this GPU:
# allowed without a new test) and TEST_VARIANTS (test only these). docs/measuring.md ("On a lent GPU machine") has the
# plan of calls, and tools/device_results.sh unpacks what comes back outside the tree the device tool carries.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$PWD
start=$(date +%s)

# --- the plan: every step's cap, in seconds, stated once ------------------------------------------------------------
all_steps=(libs machine variants sweep unit gpu faults sanitizer compare probe medusa repeat)
declare -A cap=([libs]=15 [machine]=10 [variants]=50 [sweep]=180 [unit]=10 [gpu]=30 [faults]=45 [sanitizer]=50
  [compare]=60 [probe]=10 [medusa]=180 [repeat]=120)
declare -A what=(
  [libs]="unpack the bundle; find cuBLAS and CUPTI; every binary starts"
  [machine]="nvidia-smi: clocks, power, ECC; tool versions"
  [variants]="each variant for this GPU against cuBLAS, a process each"
  [sweep]="bench_llama --gpu 0 ARGS, hand among the variants that passed"
  [unit]="roofline_tests, bench_unit_tests"
  [gpu]="bench_gpu_tests; kernels_gpu_tests less the per-variant comparison"
  [faults]="tests/reliability/test_faults_gpu.py"
  [sanitizer]="compute-sanitizer, a process per variant that passed"
  [compare]="old against new variants, reduced grid, counters"
  [probe]="lane_probe, if the bundle has one"
  [medusa]="bench_llama --phase medusa, hand among the allowed variants"
  [repeat]="the sweep again, with --counters")
flex=" sweep compare medusa repeat "  # measuring steps keep their rows when cut: they also take time left unused
case ${DEVICE_PLAN:=first-light} in
  first-light) plan_steps=libs,machine,variants,sweep,unit,gpu,faults,sanitizer,compare,probe rest_step=compare ;;
  second-light) plan_steps=libs,machine,sweep,medusa,repeat rest_step=repeat ;;
  *)
    echo "device_run: DEVICE_PLAN is \"$DEVICE_PLAN\"; the plans are first-light and second-light" >&2
    exit 2
    ;;
esac
budget=${DEVICE_BUDGET:-480}
pack_margin=${PACK_MARGIN:-20}  # packing after every step, and the script's own bookkeeping
pack_tail=10                    # of that margin, what a flexible step leaves for the packing still to come
variant_timeout=${VARIANT_TIMEOUT:-25}      # a process: start, the comparisons, and a 5 s watchdog's trap
sanitizer_timeout=${SANITIZER_TIMEOUT:-40}  # a process under instrumentation, small shapes
variant_jobs=${VARIANT_JOBS:-16}            # processes at once: 16 cores, one GPU, milliseconds of GPU work each
sanitizer_jobs=${SANITIZER_JOBS:-4}         # the sanitizer's start-up (patching every module) is CPU-bound
sanitizer_tools=${SANITIZER_TOOLS:-memcheck}
compare_args=${COMPARE_ARGS:---counters --batch 1,4,16,64 --seq 512,4096}
medusa_args=${MEDUSA_ARGS:---phase medusa --batch 1,4,16,64 --seq 512,4096}
repeat_args=${REPEAT_ARGS:---counters}
steps=",${DEVICE_STEPS:-all},"
[ "$steps" = ",all," ] && steps=",$plan_steps,"
dsteps=${DEVICE_STEPS:-}
for s in ${dsteps//,/ }; do
  if [[ " ${all_steps[*]} all " != *" $s "* ]]; then
    echo "device_run: DEVICE_STEPS names \"$s\"; the steps are ${all_steps[*]}" >&2
    exit 2
  fi
done
wanted() { [[ $1 == libs || $steps == *",$1,"* ]]; }
for s in "${all_steps[@]}"; do
  v=CAP_${s^^}
  [ -n "${!v:-}" ] && cap[$s]=${!v}
done
rest_cap=CAP_${rest_step^^}
if [ -z "${!rest_cap:-}" ]; then  # the plan's last measuring step gets what the other selected steps leave
  rest=$((budget - pack_margin))
  for s in "${all_steps[@]}"; do [ "$s" != "$rest_step" ] && wanted "$s" && rest=$((rest - cap[$s])); done
  cap[$rest_step]=$((rest > 0 ? rest : 0))
fi
planned=$pack_margin
for s in "${all_steps[@]}"; do wanted "$s" && planned=$((planned + cap[$s])); done
print_plan() {
  printf '%-10s %6s  %s\n' step cap_s what
  for s in "${all_steps[@]}"; do
    wanted "$s" || continue
    printf '%-10s %6d  %s%s\n' "$s" "${cap[$s]}" "${what[$s]}" \
      "$([[ $flex == *" $s "* ]] && echo "; also what earlier steps left unused")"
  done
  printf '%-10s %6d  %s\n' margin "$pack_margin" "packing after every step, bookkeeping"
  printf '%-10s %6d  %s\n' total "$planned" "of DEVICE_BUDGET=$budget (DEVICE_PLAN=$DEVICE_PLAN)"
}
unvetted=""
if ! wanted variants && [ -z "${PASSED_VARIANTS:-}" ] && { wanted sweep || wanted medusa || wanted repeat; }; then
  unvetted="device_run: no variants step and no PASSED_VARIANTS: hand may take any variant, also one that never passed\
 on a GPU; name first light's (its logs/variants_passed.txt) in PASSED_VARIANTS"
fi
if [ "${1:-}" = --plan ]; then
  print_plan
  [ -n "$unvetted" ] && echo "$unvetted" >&2
  if ((planned > budget)); then
    echo "device_run: the caps add up to $planned s, over DEVICE_BUDGET=$budget s:" \
      "lower a CAP_<STEP> or drop a step" >&2
    exit 2
  fi
  if wanted "$rest_step" && ((cap[$rest_step] < 30)); then
    echo "device_run: $rest_step gets ${cap[$rest_step]} s at most: drop it from DEVICE_STEPS or raise" \
      "DEVICE_BUDGET" >&2
  fi
  exit 0
fi

# --- where results go ---------------------------------------------------------------------------------------------
out=${OUT:-$root/device_out}
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -e "$out/summary.txt" ]; then  # an earlier run of this call wrote here: its files stay as they are
  n=2
  while [ -e "$out/$n" ]; do n=$((n + 1)); done
  echo "device_run: $out holds an earlier run's results; this run writes to $out/$n"
  out=$out/$n
  mkdir -p "$out"
fi
bin=$root/.carry/bin
python=${BENCH_LLAMA_PYTHON:-python3}
export BENCH_LLAMA_PYTHON=$python
scratch=$(mktemp -d)
logs=$scratch/device_logs  # until the sweep has made its result folder; never loose files in $OUT (8 come back)
folder="" extra_folders=()
mkdir -p "$logs"
: >"$out/summary.txt"
if ((planned > budget)); then
  echo "device_run: the caps add up to $planned s, over DEVICE_BUDGET=$budget s: the last steps get less" |
    tee -a "$logs/plan.txt"
fi
print_plan >>"$logs/plan.txt"
[ -n "$unvetted" ] && echo "$unvetted" | tee -a "$logs/plan.txt"

# The helpers: a step's time (begin, capped, pool), verdicts of test processes, the summary, packing.
# shellcheck source=tools/device_lib.sh
. "$root/tools/device_lib.sh"

# --- libs: where cuBLAS and CUPTI are, and whether every binary loads -------------------------------------------
begin libs
if [ -f "$root/.carry/bin.tgz" ]; then  # the bundle's binaries, packed (tools/device_bundle.sh)
  if ! timeout "$(inner 60)" tar -xzf "$root/.carry/bin.tgz" -C "$root/.carry"; then
    say FAIL libs "$(took)" "cannot unpack .carry/bin.tgz (a bundle cut short?): run tools/device_bundle.sh again"
    pack_logs
    exit 3
  fi
fi
if [ ! -x "$bin/bench_llama" ]; then
  say FAIL libs 0 "no $bin/bench_llama: run tools/device_bundle.sh here first and carry .carry"
  pack_logs
  exit 3
fi
search_lib_dirs
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
    case $(basename "$b") in
      bench_llama) probe=--help ;;
      lane_probe) continue ;;  # its contract has no probe flag: it runs in its own step
      *) probe=--gtest_list_tests ;;
    esac
    if ! err=$(timeout "$(inner 10)" "$b" "$probe" 2>&1 >/dev/null); then
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
  say FAIL libs "$(took)" "cannot load: ${unloadable[*]:-} missing: ${missing[*]:-none}" \
    "(searched ${lib_dirs[*]}; set LD_LIBRARY_PATH to the folder that has them)"
  pack_logs
  exit 3
fi
# The variant table (GPU-free) and this GPU's compute capability: which variants there are to test here.
table=$(timeout "$(inner 10)" "$bin/bench_llama" --list-variants 2>>"$logs/libs.log")
sm=""
command -v nvidia-smi >/dev/null 2>&1 &&
  sm=$(timeout "$(inner 5)" nvidia-smi --query-gpu=compute_cap --format=csv,noheader -i 0 2>/dev/null |
    head -1 | tr -d ' .')
[[ $sm =~ ^[0-9]+$ ]] || sm=""
here=() not_here=()  # the table's variants built for this GPU (all of them when its capability is unknown), and not
while read -r name min max _; do
  [[ -z $name || $name == \#* || $name == variant ]] && continue
  if [ -n "$sm" ] && { ((sm < min)) || { [ "$max" != - ] && ((sm > max)); }; }; then
    not_here+=("$name")
  else
    here+=("$name")
  fi
done <<<"$table"
say PASS libs "$(took)" "every binary loads; cuBLAS in $(find_lib libcublas.so.13); $cupti_note;" \
  "${#here[@]} variants for ${sm:+sm_}${sm:-an unknown GPU}"
pack_logs

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
elif wanted machine && ! begin machine; then
  say NOT-RUN machine 0 "the budget is spent"
elif wanted machine; then
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    cat "$root/.carry/BUNDLE" 2>/dev/null
    uname -a
    timeout "$(inner 5)" nvidia-smi
    timeout "$(inner 5)" nvidia-smi -q -d CLOCK,POWER,PERFORMANCE,ECC,TEMPERATURE
    echo "compute-sanitizer: $(command -v compute-sanitizer || echo none)"
    timeout "$(inner 5)" compute-sanitizer --version 2>/dev/null | tail -1
    echo "python: $("$python" --version 2>&1) ($python)"
  } >>"$logs/machine.txt" 2>&1
  say PASS machine "$(took)" "$(timeout "$(inner 5)" nvidia-smi --query-gpu=name,driver_version,clocks.sm,power.limit \
    --format=csv,noheader 2>&1 | head -1)"
fi
wanted machine && pack_logs

# --- variants: each variant against cuBLAS in a process of its own -------------------------------------------------
# What the later steps may use: every variant (restricted=0), or only the allowed ones (none when empty). A variant is
# allowed once it has passed here, in this run or, named in PASSED_VARIANTS, in an earlier call.
restricted=0 allowed=${PASSED_VARIANTS:-} passed=() not_passed=() failed=() skipped=()
[ -n "$allowed" ] && restricted=1
variant_cmd() {
  cmd=(env BENCH_LLAMA_VARIANTS="$1" "$bin/kernels_gpu_tests" "--gtest_filter=*VariantsGpu.EveryVariant*")
}
if wanted variants; then
  restricted=1  # whatever happens below, a variant that has not passed is not used
  tested=()
  for name in "${here[@]}"; do
    [[ -z ${TEST_VARIANTS:-} || ",$TEST_VARIANTS," == *",$name,"* ]] && tested+=("$name")
  done
  if ((${#tested[@]} == 0)); then
    say FAIL variants 0 "no variant to test (TEST_VARIANTS=${TEST_VARIANTS:-}; bench_llama --list-variants gave" \
      "$(echo "$table" | grep -vc '^#') lines: logs/libs.log)"
  elif ! begin variants; then
    say NOT-RUN variants 0 "the budget is spent: no variant is used by the later steps"
  else
    pool "$logs/variants" "$variant_jobs" "$variant_timeout" variant_cmd "${tested[@]}"
    for name in "${tested[@]}"; do
      read -r rc secs <"$logs/variants/$name.rc" && rm -f "$logs/variants/$name.rc"
      v=$(gtest_verdict "$logs/variants/$name.log" "$rc")
      printf '%-34s %-7s %4ss  %s\n' "$name" "${v%% *}" "$secs" "$([[ $v == *" "* ]] && echo "${v#* }")" \
        >>"$logs/variants.txt"
      case $v in
        PASS) passed+=("$name") ;;
        SKIP*) skipped+=("$name") ;;
        *)
          not_passed+=("$name")
          failed+=("$name (${v%% *} ${secs}s: ${v#* })")
          ;;
      esac
    done
    for name in "${not_here[@]}"; do
      printf '%-34s %-7s %4ss  %s\n' "$name" SKIP 0 "not for sm_$sm" >>"$logs/variants.txt"
    done
    join "${passed[@]}" >"$logs/variants_passed.txt"
    # Allowed: what passed now, and what passed before unless it failed now.
    allowed=$(list_minus "${PASSED_VARIANTS:-},$(join "${passed[@]}")" "${skipped[@]}" "${not_passed[@]}")
    if ((${#passed[@]} == 0 && ${#skipped[@]} == ${#tested[@]})); then
      say SKIP variants "$(took)" "every test skipped ($(why_failed "$logs/variants/${tested[0]}.log")):" \
        "no variant is used"
    elif ((${#failed[@]} + ${#skipped[@]})); then
      not_passed+=("${skipped[@]}")
      say FAIL variants "$(took)" "${#passed[@]} of ${#tested[@]} passed: $(join "${passed[@]}");" \
        "left out of every later step: ${failed[*]:-}${skipped[*]:+ skipped: ${skipped[*]}} (logs/variants.txt)"
    else
      say PASS variants "$(took)" "${#passed[@]} of ${#tested[@]} passed: $(join "${passed[@]}")"
    fi
  fi
  pack_logs
fi
allow=()
((restricted)) && allow=(--allow-variants "${allowed:-none}")
allow_note() { if ((restricted)); then echo "hand among: ${allowed:-none}"; else echo "every variant allowed"; fi; }
# The variants the sanitizer and compare steps name: the allowed ones, or every one built for this GPU.
if ((restricted)); then IFS=, read -ra named <<<"$allowed"; else named=("${here[@]}"); fi
# The sanitizer checks the variants this run's variants step passed (those of PASSED_VARIANTS were checked in their own
# call), or, without that step, the named ones; compare names COMPARE_VARIANTS, or the named ones.
checked=("${named[@]}")
wanted variants && checked=("${passed[@]}")
compared=("${named[@]}")
[ -n "${COMPARE_VARIANTS:-}" ] && IFS=, read -ra compared <<<"$COMPARE_VARIANTS"
# In the table's rank order, whatever order the lists came in: scripts/rank_variants.py takes the earlier of a pair,
# as the run names them, for the old one.
ordered=()
for name in "${here[@]}" "${not_here[@]}" "${compared[@]}"; do
  [[ " ${compared[*]} " == *" $name "* && " ${ordered[*]} " != *" $name "* ]] && ordered+=("$name")
done
compared=("${ordered[@]}")

# --- sweep: under its own cap; a cut run keeps its rows ---------------------------------------------------------------
if wanted sweep; then
  if ! begin sweep; then
    say NOT-RUN sweep 0 "the budget is spent"
  else
    # --no-plot: the plot is drawn where the results come back (tools/device_results.sh), not on this machine.
    grace=10 capped "$step_cap" "$logs/bench.log" "$bin/bench_llama" --gpu 0 "$@" --no-plot "${allow[@]}"
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
      0) say PASS sweep "$(took)" "exit 0$rows; $(allow_note)" ;;
      124 | 137 | 130) say CUT sweep "$(took)" "stopped at its cap, ${step_cap}s (exit $rc)$rows: finished rows kept" ;;
      200) say NOT-RUN sweep 0 "the budget is spent" ;;
      *) say FAIL sweep "$(took)" "exit $rc$rows: $last" ;;
    esac
    pack_results
  fi
  pack_logs
fi

# --- unit: the CPU test binaries ------------------------------------------------------------------------------------
if wanted unit; then
  if ! begin unit; then
    say NOT-RUN unit 0 "the budget is spent"
  else
    failed=()
    for t in roofline_tests bench_unit_tests; do
      echo "== $t" >>"$logs/unit.log"
      capped "$step_cap" "$logs/unit.log" "$bin/$t" --gtest_brief=1
      ((rc == 0)) || failed+=("$t (exit $rc)")
    done
    if ((${#failed[@]})); then
      say FAIL unit "$(took)" "${failed[*]}"
    else
      say PASS unit "$(took)" "roofline_tests, bench_unit_tests"
    fi
  fi
  pack_logs
fi

# --- gpu: the GPU test binaries, less the per-variant comparison ------------------------------------------------------
if wanted gpu; then
  if ! begin gpu; then
    say NOT-RUN gpu 0 "the budget is spent"
  else
    failed=()
    for run in bench_gpu_tests "kernels_gpu_tests --gtest_filter=-*VariantsGpu.EveryVariant*"; do
      read -ra argv <<<"$run"
      echo "== ${argv[*]}" >>"$logs/gpu_tests.log"
      capped "$step_cap" "$logs/gpu_tests.log" "$bin/${argv[0]}" "${argv[@]:1}"
      ((rc == 0)) || failed+=("${argv[0]} (exit $rc)")
    done
    gpu_skipped=$(grep -cE '^\[  SKIPPED \] .*\([0-9]+ ms\)$' "$logs/gpu_tests.log")
    if ((${#failed[@]})); then
      say FAIL gpu "$(took)" "${failed[*]}; $(grep -m3 '^\[  FAILED  \] [A-Za-z]' "$logs/gpu_tests.log" | tr '\n' ' ')"
    else
      say PASS gpu "$(took)" "bench_gpu_tests, kernels_gpu_tests ($gpu_skipped skipped: see logs/gpu_tests.log)"
    fi
  fi
  pack_logs
fi

# --- faults: the fault tests, end to end ------------------------------------------------------------------------------
if wanted faults; then
  if ! begin faults; then
    say NOT-RUN faults 0 "the budget is spent"
  else
    capped "$step_cap" "$logs/faults.log" env BENCH_LLAMA="$bin/bench_llama" "$python" -m pytest -q -rs \
      -p no:cacheprovider tests/reliability/test_faults_gpu.py
    verdict_line=$(grep -E '[0-9]+ (passed|failed|skipped)' "$logs/faults.log" | tail -1)
    case $rc in
      0) say PASS faults "$(took)" "$verdict_line" ;;
      124 | 137) say CUT faults "$(took)" "stopped at its cap, ${step_cap}s: $verdict_line" ;;
      200) say NOT-RUN faults 0 "the budget is spent" ;;
      *) say FAIL faults "$(took)" "exit $rc: $verdict_line" ;;
    esac
  fi
  pack_logs
fi

# --- sanitizer: compute-sanitizer, a process per variant that passed -----------------------------------------------
sanitizer_cmd() {  # TOOL.VARIANT
  cmd=(env BENCH_LLAMA_SMALL_SHAPES=1 BENCH_LLAMA_VARIANTS="${1#*.}" compute-sanitizer --tool "${1%%.*}"
    --error-exitcode 9 --print-limit 100 "$bin/kernels_gpu_tests" "--gtest_filter=*VariantsGpu.EveryVariant*")
}
if wanted sanitizer; then
  if ! command -v compute-sanitizer >/dev/null 2>&1; then
    say SKIP sanitizer 0 "compute-sanitizer not found (looked on PATH and in the CUDA install)"
  elif [ "$(uname -r)" = 4.4.0 ]; then
    say SKIP sanitizer 0 "gVisor (kernel 4.4.0): compute-sanitizer refuses the device there"
  elif ((${#checked[@]} == 0)); then
    say SKIP sanitizer 0 "no variant passed on this GPU: nothing to check (a failed variant is never run again)"
  elif ! begin sanitizer; then
    say NOT-RUN sanitizer 0 "the budget is spent"
  else
    jobs_list=()
    for tool in $sanitizer_tools; do for name in "${checked[@]}"; do jobs_list+=("$tool.$name"); done; done
    pool "$logs/sanitizer" "$sanitizer_jobs" "$sanitizer_timeout" sanitizer_cmd "${jobs_list[@]}"
    results=() bad=0 errors=0
    for job in "${jobs_list[@]}"; do
      read -r rc secs <"$logs/sanitizer/$job.rc" && rm -f "$logs/sanitizer/$job.rc"
      log=$logs/sanitizer/$job.log
      # memcheck, initcheck and synccheck end with "ERROR SUMMARY: N errors"; racecheck with "RACECHECK SUMMARY: N
      # hazards displayed (E errors, W warnings)".
      n=$(grep -oE '(ERROR|RACECHECK) SUMMARY: [0-9]+' "$log" | awk '{s += $3} END {print s + 0}')
      errors=$((errors + n))
      case $rc in
        0) ((n)) && results+=("${job/./\/}: $n") ;;
        200) results+=("${job/./\/} NOT-RUN") ;;
        124 | 137) results+=("${job/./\/} CUT") ;;
        *) results+=("${job/./\/} exit $rc ($n errors)") ;;
      esac
      { ((rc == 0)) && ((n == 0)); } || bad=$((bad + 1))
      printf '%-44s exit %3s %4ss  %s errors\n' "$job" "$rc" "$secs" "$n" >>"$logs/sanitizer.txt"
    done
    if ((bad)); then
      say FAIL sanitizer "$(took)" "$sanitizer_tools: $errors errors; ${results[*]} (logs/sanitizer.txt)"
    else
      say PASS sanitizer "$(took)" "$sanitizer_tools: 0 errors in ${#checked[@]} variants, each in a process of its own"
    fi
  fi
  pack_logs
fi

# --- more sweeps (compare, medusa, repeat), each its own bench_llama process and result folder ----------------------
# `more_sweep STEP SUFFIX NOTE ARGS...`: bench_llama ARGS under the step's cap, logged to STEP.log, into <the sweep's
# folder>SUFFIX, or in a call without the sweep <SWEEP_FOLDER>SUFFIX_rerun (else bench_llama's own name for it, which
# can be the first call's sweep folder's); a cut run keeps its rows; its folder joins results.tgz; NOTE ends a PASS.
more_sweep() {
  local step=$1 suffix=$2 note=$3 found="" made="" rows=""
  shift 3
  local log=$step.log out_args=()
  if [ -n "$folder" ]; then
    out_args=(--out "$folder$suffix")
  elif [ -n "${SWEEP_FOLDER:-}" ]; then
    out_args=(--out "$root/${SWEEP_FOLDER%/}${suffix}_rerun")
  fi
  grace=10 capped "$step_cap" "$logs/$log" "$bin/bench_llama" --gpu 0 --no-plot "$@" "${allow[@]}" "${out_args[@]}"
  found=$(grep -o 'result folder: .*' "$logs/$log" | tail -1 | cut -d' ' -f3-)
  if [ -n "$found" ] && [ -d "$found" ]; then
    made=$(cd "$found" && pwd)
    extra_folders+=("$made")
  fi
  [ -f "$made/roofline.csv" ] && rows="; $(($(wc -l <"$made/roofline.csv") - 1)) rows in ${made#"$root"/}"
  case $rc in
    0) say PASS "$step" "$(took)" "exit 0$rows; $note" ;;
    124 | 137 | 130) say CUT "$step" "$(took)" "stopped at its cap, ${step_cap}s (exit $rc)$rows: finished rows kept" ;;
    200) say NOT-RUN "$step" 0 "the budget is spent" ;;
    *) say FAIL "$step" "$(took)" "exit $rc$rows: $(grep -v '^\s*$' "$logs/$log" | tail -1 | cut -c1-160)" ;;
  esac
  pack_results
}

# --- compare: old against new variants, its own process and result folder ------------------------------------------
if wanted compare; then
  if ((${#compared[@]} == 0)); then
    say SKIP compare 0 "no variant passed on this GPU: nothing to compare with cuBLAS"
  elif ! begin compare; then
    say NOT-RUN compare 0 "the budget is spent"
  else
    read -ra extra <<<"$compare_args"
    more_sweep compare _old_vs_new "${#compared[@]} variants and cublas" "${extra[@]}" \
      --impl "$(join "${compared[@]}"),cublas"
  fi
  pack_logs
fi

# --- probe: the emulator's lane maps against this GPU --------------------------------------------------------------
# lane_probe's contract: no arguments; runs one-hot operands through each emulated instruction on GPU 0 and compares
# the lane maps with the emulator's tables; writes its report to stdout; exits 0 when every map agrees, 77 when it
# finds no GPU, another non-zero status otherwise; finishes within seconds.
if wanted probe; then
  if [ ! -x "$bin/lane_probe" ]; then
    say SKIP probe 0 "no lane_probe in the bundle (the emulator's probe of its lane maps is not built yet)"
  elif ! begin probe; then
    say NOT-RUN probe 0 "the budget is spent"
  else
    capped "$step_cap" "$logs/lane_probe.log" "$bin/lane_probe"
    case $rc in
      0) say PASS probe "$(took)" "the emulator's lane maps agree with this GPU (logs/lane_probe.log)" ;;
      77) say SKIP probe "$(took)" "$(grep -v '^\s*$' "$logs/lane_probe.log" | tail -1 | cut -c1-160)" ;;
      124 | 137) say CUT probe "$(took)" "stopped at its cap, ${step_cap}s" ;;
      200) say NOT-RUN probe 0 "the budget is spent" ;;
      *) say FAIL probe "$(took)" "exit $rc: $(grep -v '^\s*$' "$logs/lane_probe.log" | tail -1 | cut -c1-160)" ;;
    esac
  fi
  pack_logs
fi

# --- medusa and repeat: more sweeps after the others --------------------------------------------------------------
for step in medusa repeat; do
  wanted "$step" || continue
  if ! begin "$step"; then
    say NOT-RUN "$step" 0 "the budget is spent"
  else
    if [ "$step" = medusa ]; then read -ra extra <<<"$medusa_args"; else read -ra extra <<<"$repeat_args"; fi
    [ "$step" = repeat ] && extra=("$@" "${extra[@]}")  # the sweep's own arguments: the same grid
    more_sweep "$step" "_$step" "$(allow_note)" "${extra[@]}"
  fi
  pack_logs
done

# What a second call would rerun, after a fix: the steps that did not pass, with what this one learned.
again=()
for s in "${all_steps[@]}"; do
  [[ ${verdict[$s]:-} == FAIL || ${verdict[$s]:-} == CUT || ${verdict[$s]:-} == NOT-RUN ]] && again+=("$s")
done
if ((${#again[@]})); then
  hint="DEVICE_STEPS=libs,$(join "${again[@]}")${allowed:+ PASSED_VARIANTS=$allowed}"
  [[ " ${again[*]} " == *" variants "* ]] && ((${#not_passed[@]})) && hint+=" TEST_VARIANTS=$(join "${not_passed[@]}")"
  sweep_rel=${SWEEP_FOLDER:-}
  [ -n "$folder" ] && sweep_rel=${folder#"$root"/}
  hint+="${sweep_rel:+ SWEEP_FOLDER=$sweep_rel}"
  if [ "$DEVICE_PLAN" = first-light ]; then
    echo "# to rerun what did not pass (after a fix and a new bundle): $hint" | tee -a "$out/summary.txt"
  else  # a repeat is only one of the same build: no new bundle
    echo "# to rerun what did not pass (a repeat: the same bundle, on the same warm machine):" \
      "DEVICE_PLAN=$DEVICE_PLAN $hint" | tee -a "$out/summary.txt"
  fi
fi
pack_logs
done_line="device_run: done in $(($(date +%s) - start)) s; summary in $out/summary.txt, logs in $out/logs.tgz"
[ -f "$out/results.tgz" ] && done_line+=", results in $out/results.tgz"
echo "$done_line"
