#!/usr/bin/env bash
# Every test: install what is missing, build every kernel for every architecture (warnings are errors), then the
# unit tests, the GPU tests (they skip with a reason where there is no GPU), the checks that need no GPU, and the
# script tests. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/cuda/bin"
tools/setup.sh

echo "== build (preset ci: every architecture, -Werror)"
cmake --preset ci >/dev/null
cmake --build --preset ci

echo "== format (clang-format, ruff)"
git ls-files -- '*.cpp' '*.hpp' '*.cu' '*.cuh' | xargs clang-format --dry-run --Werror
.venv/bin/ruff check scripts tests
.venv/bin/ruff format --check scripts tests

echo "== C++ tests (ctest: unit, and gpu tests that skip without a GPU)"
ctest --preset ci

echo "== end-to-end and script tests (pytest)"
BENCH_LLAMA="$PWD/build/ci/bench/bench_llama" BENCH_LLAMA_PYTHON="$PWD/.venv/bin/python" \
  .venv/bin/python -m pytest -q tests
