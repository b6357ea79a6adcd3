#!/usr/bin/env bash
# Installs what is missing (tools/setup.sh), then configures and builds one CMake preset (default: release).
#   tools/build.sh [release|ci|debug|native|asan|emu|emu-asan|host]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/cuda/bin"
preset=${1:-release}
tools/setup.sh "$preset"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
