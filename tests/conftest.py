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


@pytest.fixture(scope="session")
def bench_llama() -> Path:
    """The built bench_llama. tools/run_tests.sh names it in $BENCH_LLAMA, and then it must exist."""
    named = os.environ.get("BENCH_LLAMA")
    if named:
        path = Path(named)
        assert path.is_file(), f"BENCH_LLAMA={named} does not exist; build it first (tools/run_tests.sh does)"
        return path
    for preset in ("ci", "release", "debug"):
        path = ROOT / "build" / preset / "bench" / "bench_llama"
        if path.is_file():
            return path
    pytest.skip("bench_llama is not built; run tools/run_tests.sh (or set BENCH_LLAMA)")


@pytest.fixture(scope="session")
def bench_llama_without_cuda() -> Path:
    """bench_llama built without CUDA (the host preset). tools/run_tests.sh names it in $BENCH_LLAMA_WITHOUT_CUDA, and
    then it must exist."""
    named = os.environ.get("BENCH_LLAMA_WITHOUT_CUDA")
    if named:
        path = Path(named)
        assert path.is_file(), f"BENCH_LLAMA_WITHOUT_CUDA={named} does not exist; build it first (tools/build.sh host)"
        return path
    path = ROOT / "build" / "host" / "bench" / "bench_llama"
    if path.is_file():
        return path
    pytest.skip("bench_llama without CUDA is not built; run tools/build.sh host (or set BENCH_LLAMA_WITHOUT_CUDA)")


@pytest.fixture(scope="session")
def bench_llama_emulated() -> Path:
    """The built bench_llama_emulated (the emu preset). tools/run_tests.sh names it in $BENCH_LLAMA_EMULATED, and
    then it must exist."""
    named = os.environ.get("BENCH_LLAMA_EMULATED")
    if named:
        path = Path(named)
        assert path.is_file(), f"BENCH_LLAMA_EMULATED={named} does not exist; build it first (tools/build.sh emu)"
        return path
    path = ROOT / "build" / "emu" / "bench" / "bench_llama_emulated"
    if path.is_file():
        return path
    pytest.skip("bench_llama_emulated is not built; run tools/build.sh emu (or set BENCH_LLAMA_EMULATED)")
