#!/usr/bin/env bash
# Runs on a GPU machine, in a copy of this tree with .carry/ from tools/device_bundle.sh: records the machine, runs
# the GPU tests (plain and under compute-sanitizer), and the default sweep; puts logs and the result folder (as a
# tarball) in $OUT (or ./device_out). Arguments go to bench_llama (e.g. --quick).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-device_out}
mkdir -p "$out"
export LD_LIBRARY_PATH="$PWD/.carry/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export BENCH_LLAMA_PYTHON=${BENCH_LLAMA_PYTHON:-python3}
bin=.carry/bin
{
  nvidia-smi
  nvidia-smi -q -d CLOCK,POWER,PERFORMANCE,ECC
  ldd "$bin/bench_llama"
} >"$out/machine.txt" 2>&1

"$bin/roofline_tests" --gtest_brief=1 >"$out/tests.log" 2>&1
"$bin/bench_unit_tests" --gtest_brief=1 >>"$out/tests.log" 2>&1
for t in bench_gpu_tests kernels_gpu_tests; do
  "$bin/$t" >>"$out/tests.log" 2>&1
  echo "$t exit: $?" >>"$out/tests.log"
  for tool in memcheck racecheck initcheck; do
    compute-sanitizer --tool "$tool" --error-exitcode 9 "$bin/$t" >>"$out/sanitizer.log" 2>&1
    echo "compute-sanitizer $tool $t exit: $?" >>"$out/sanitizer.log"
  done
done

BENCH_LLAMA="$PWD/$bin/bench_llama" python3 -m pytest -q -rs tests/reliability/test_faults_gpu.py >"$out/faults.log" 2>&1
echo "fault tests exit: $?" >>"$out/faults.log"

start=$(date +%s)
"$bin/bench_llama" --gpu 0 "$@" >"$out/bench.log" 2>&1
echo "bench_llama exit: $? after $(( $(date +%s) - start )) s" >>"$out/bench.log"
folder=$(grep -o 'result folder: .*' "$out/bench.log" | tail -1 | cut -d' ' -f3-)
[ -n "$folder" ] && tar -czf "$out/result.tgz" "$folder"
tail -3 "$out/bench.log"
