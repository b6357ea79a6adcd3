"""The native preset builds for this machine's GPUs with the Hopper-specific target (90a) on a Hopper GPU: CMake's own
"native" gives sm_90, which would silently leave out the wgmma kernel. cmake/bench_llama_archs.cmake runs in script
mode here against a stand-in nvidia-smi."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from conftest import ROOT

MODULE = ROOT / "cmake" / "bench_llama_archs.cmake"


def native_archs(tmp_path, smi_output: str | None):
    cmake = shutil.which("cmake")
    if not cmake:
        pytest.fail("cmake not found: tools/setup.sh installs it")
    smi = tmp_path / "nvidia-smi"
    smi.write_text("#!/bin/sh\nexit 9\n" if smi_output is None else f"#!/bin/sh\nprintf '{smi_output}'\n")
    smi.chmod(0o755)
    return subprocess.run([cmake, f"-DBENCH_LLAMA_NVIDIA_SMI={smi}", "-P", MODULE], capture_output=True, text=True)


@pytest.mark.parametrize(
    "caps, archs",
    [("9.0\\n", "90a"), ("8.6\\n", "86"), ("8.6\\n8.6\\n9.0\\n", "86;90a"), ("8.0\\n8.9\\n", "80;89")],
)
def test_native_takes_90a_on_hopper(tmp_path, caps, archs):
    result = native_archs(tmp_path, caps)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == archs  # message() writes to stderr


def test_native_without_a_gpu_names_the_fix(tmp_path):
    result = native_archs(tmp_path, None)
    assert result.returncode != 0
    assert "use the release preset" in result.stderr
