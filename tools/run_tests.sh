#!/usr/bin/env bash
# Every test: install what is missing, build every kernel for every architecture (warnings are errors), then the
# unit tests, the GPU tests (they skip with a reason where there is no GPU), the kernels run on the CPU emulator, the
# checks that need no GPU, and the script tests. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== build (preset ci: every architecture, -Werror)"
tools/build.sh ci

echo "== format (clang-format, ruff)"
git ls-files -- '*.cpp' '*.hpp' '*.cu' '*.cuh' | xargs clang-format --dry-run --Werror
.venv/bin/ruff check scripts tests notebooks
.venv/bin/ruff format --check scripts tests

echo "== C++ unit tests"
ctest --preset ci -L unit

echo "== without CUDA (preset host: roofline/ and bench_llama's GPU-free modes, as a machine without nvcc builds them)"
tools/build.sh host
ctest --preset host

echo "== C++ GPU tests (each skips, with its reason, where there is no GPU)"
ctest --preset ci -L gpu
build/ci/tests/kernels/kernels_gpu_tests --gtest_brief=1 2>&1 | grep -m1 "GPU test not run" || true

echo "== host code under AddressSanitizer and UndefinedBehaviorSanitizer (preset asan)"
tools/build.sh asan
ctest --preset asan -L unit
ASAN_OPTIONS=protect_shadow_gap=0:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 BENCH_LLAMA="$PWD/build/asan/bench/bench_llama" \
  BENCH_LLAMA_PYTHON="$PWD/.venv/bin/python" \
  .venv/bin/python -m pytest -q tests/cli tests/reliability

echo "== the kernels on the CPU emulator (preset emu; then emu-asan, under AddressSanitizer and UBSan)"
tools/build.sh emu
ctest --preset emu
ctest --test-dir build/emu -L traffic --output-on-failure  # what each kernel moves, against docs/kernel_traffic.md
tools/build.sh emu-asan
ctest --preset emu-asan

echo "== end-to-end (bench_llama, and its measured path on the emulator), script and SASS tests (pytest)"
BENCH_LLAMA="$PWD/build/ci/bench/bench_llama" BENCH_LLAMA_PYTHON="$PWD/.venv/bin/python" BENCH_LLAMA_BUILD="$PWD/build/ci" \
  BENCH_LLAMA_EMULATED="$PWD/build/emu/bench/bench_llama_emulated" \
  BENCH_LLAMA_WITHOUT_CUDA="$PWD/build/host/bench/bench_llama" .venv/bin/python -m pytest -q tests
