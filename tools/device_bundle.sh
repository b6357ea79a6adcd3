#!/usr/bin/env bash
# Prepares a run on a GPU machine that has the CUDA driver and cuBLAS but not Google Benchmark, spdlog or fmt (such as
# the team's lent H100/H200 machines): builds the release binaries here and copies them, with the shared libraries
# they need that such a machine lacks, into .carry/ (git-ignored). Carry .carry/ there and run tools/device_run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/build.sh release
rm -rf .carry && mkdir -p .carry/bin .carry/lib
cp build/release/bench/bench_llama build/release/tests/bench/bench_gpu_tests build/release/tests/bench/bench_unit_tests \
   build/release/tests/kernels/kernels_gpu_tests \
   build/release/tests/roofline/roofline_tests .carry/bin/
# The non-system libraries the binaries link: everything ldd resolves outside the CUDA toolkit and the C runtime.
for bin in .carry/bin/*; do
  ldd "$bin" | awk '/=> \// {print $3}'
done | sort -u | grep -E 'libbenchmark|libspdlog|libfmt|libgtest|libgmock' | xargs -r -I{} cp -L {} .carry/lib/
du -sh .carry
echo "device_bundle: .carry/ is ready; on the GPU machine run: tools/device_run.sh (with .carry carried)"
