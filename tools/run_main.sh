#!/usr/bin/env bash
# The main job: install what is missing, build, and run the default sweep on GPU 0, leaving a result folder under
# results/. Without a GPU it says so and writes the predicted A40 roofline (the reference figure) instead.
# Extra arguments go to bench_llama, e.g.  tools/run_main.sh --quick
set -euo pipefail
cd "$(dirname "$0")/.."
tools/build.sh release
export BENCH_LLAMA_PYTHON="$PWD/.venv/bin/python"

status=0
build/release/bench/bench_llama --gpu 0 "$@" || status=$?
if [ "$status" -eq 3 ]; then
  echo "run_main: no usable GPU here, so no measurement; writing the predicted A40 roofline instead."
  build/release/bench/bench_llama --predict --spec a40
  exit 0
fi
exit "$status"
