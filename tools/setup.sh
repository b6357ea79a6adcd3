#!/usr/bin/env bash
# Installs what bench_llama needs and is missing, on Debian or Ubuntu (as root, or with sudo): the C++ dependencies
# from the distribution, and a Python virtual environment (.venv) with requirements.txt. Safe to run again: it only
# installs what is missing. The CUDA Toolkit (12 or newer) comes from NVIDIA and must already be installed, except for
# the host preset (tools/setup.sh host), which builds only what needs no CUDA.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-}

packages=(cmake ninja-build g++ libbenchmark-dev libspdlog-dev libfmt-dev libgtest-dev nlohmann-json3-dev
          clang-format libboost-context-dev)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
    echo "setup: need root to install: ${missing[*]} (run as root, or install them yourself)" >&2; exit 2
  fi
  echo "setup: installing ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$preset" != host ] && ! command -v nvcc >/dev/null; then
  if [ -x /usr/local/cuda/bin/nvcc ]; then
    echo "setup: nvcc is not on PATH; add /usr/local/cuda/bin to PATH (the scripts do it for you)"
  else
    echo "setup: no CUDA Toolkit found (nvcc). Install CUDA Toolkit 12 or newer from NVIDIA, then run this again;" \
      "without it, tools/build.sh host builds bench_llama's GPU-free modes (--predict, --list, --spec, --schema)." >&2
    exit 2
  fi
fi

# Python: a virtual environment, so the scripts never depend on what the system Python happens to have.
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  if ! "$python" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    echo "setup: $python cannot make a virtual environment; installing python3-venv"
    if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq python3-venv >/dev/null
    /usr/bin/python3 -m venv .venv
  fi
fi
stamp=.venv/.requirements.installed
if [ ! -f "$stamp" ] || ! cmp -s requirements.txt "$stamp"; then
  echo "setup: installing Python requirements into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
  cp requirements.txt "$stamp"
fi
# CuTe's headers, the emulator tests' outside oracle for the PTX layouts (tests/emulator): NVIDIA's nvidia-cutlass
# wheel, without its Python dependencies, which only its Python interface needs.
cutlass=nvidia-cutlass==4.2.0.0
if ! .venv/bin/python -c "import cutlass_library" 2>/dev/null; then
  echo "setup: installing $cutlass (CuTe's headers, for the emulator's tests) into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps "$cutlass"
fi
