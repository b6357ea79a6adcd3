"""Shared fixtures: where bench_llama and the scripts are."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
sys.path.insert(0, str(SCRIPTS))  # the scripts import their shared module, bench_llama_io, as a sibling
sys.path.insert(0, str(ROOT / "tests" / "scripts"))  # synthetic.py, the test fixtures' generator


def built(variable: str, presets: tuple[str, ...], name: str, build: str) -> Path:
    """A program tools/run_tests.sh builds: the path $variable names (which must then exist), else the first preset's
    build of it, else the test is skipped with how to build it."""
    named = os.environ.get(variable)
    if named:
        path = Path(named)
        assert path.is_file(), f"{variable}={named} does not exist; build it first ({build} does)"
        return path
    for preset in presets:
        path = ROOT / "build" / preset / "bench" / name
        if path.is_file():
            return path
    pytest.skip(f"{name} ({', '.join(presets)}) is not built; run {build} (or set {variable})")


@pytest.fixture(scope="session")
def bench_llama() -> Path:
    """The built bench_llama."""
    return built("BENCH_LLAMA", ("ci", "release", "debug"), "bench_llama", "tools/run_tests.sh")


@pytest.fixture(scope="session")
def bench_llama_without_cuda() -> Path:
    """bench_llama built without CUDA (the host preset)."""
    return built("BENCH_LLAMA_WITHOUT_CUDA", ("host",), "bench_llama", "tools/build.sh host")


@pytest.fixture(scope="session")
def bench_llama_emulated() -> Path:
    """bench_llama_emulated (the emu preset)."""
    return built("BENCH_LLAMA_EMULATED", ("emu",), "bench_llama_emulated", "tools/build.sh emu")
