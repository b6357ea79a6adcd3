"""bench_llama built without CUDA (preset host, what a machine without nvcc builds): its GPU-free modes give what the
full build gives, it links no CUDA library, and the modes it cannot serve say how to get a build that can."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd

# The columns that say which build and which run wrote a row: everything else must match.
RUN_COLUMNS = {"run_id", "timestamp_utc", "git_commit", "build_archs"}


def run(binary: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=120)


def test_links_no_cuda_library(bench_llama_without_cuda: Path) -> None:
    libraries = subprocess.run(["ldd", str(bench_llama_without_cuda)], capture_output=True, text=True).stdout
    for name in ("libcuda", "libcudart", "libcublas", "libcupti", "libnvidia-ml"):
        assert name not in libraries, libraries


def test_predict_matches_the_full_build(bench_llama: Path, bench_llama_without_cuda: Path, tmp_path: Path) -> None:
    args = ("--predict", "--spec", "a40", "--phase", "all", "--no-plot", "--quiet")
    for binary, folder in ((bench_llama, "full"), (bench_llama_without_cuda, "host")):
        done = run(binary, *args, "--out", str(tmp_path / folder))
        assert done.returncode == 0, done.stderr
    full = pd.read_csv(tmp_path / "full" / "roofline.csv", keep_default_na=False)
    host = pd.read_csv(tmp_path / "host" / "roofline.csv", keep_default_na=False)
    assert list(full.columns) == list(host.columns)
    assert len(full) == len(host) > 800
    same = [c for c in full.columns if c not in RUN_COLUMNS]
    pd.testing.assert_frame_equal(full[same], host[same])
    assert set(host["build_archs"]) == {"none"}


def test_list_schema_and_spec_list_match_the_full_build(bench_llama: Path, bench_llama_without_cuda: Path) -> None:
    for args in (("--list", "--quick"), ("--schema",), ("--spec", "list")):
        full, host = run(bench_llama, *args), run(bench_llama_without_cuda, *args)
        assert (full.returncode, host.returncode) == (0, 0), (args, full.stderr, host.stderr)
        assert full.stdout == host.stdout, args


def test_what_needs_cuda_says_how_to_get_a_build_that_has_it(bench_llama_without_cuda: Path) -> None:
    measure = run(bench_llama_without_cuda, "--quick", "--no-plot")
    assert measure.returncode == 3
    assert "built without the CUDA Toolkit" in measure.stderr
    assert "--predict" in measure.stderr and "tools/build.sh" in measure.stderr

    variants = run(bench_llama_without_cuda, "--list-variants")
    assert variants.returncode == 0
    assert "no kernels" in variants.stdout

    named = run(bench_llama_without_cuda, "--impl", "gemm_mma_64x64", "--predict", "--spec", "a40")
    assert named.returncode == 2
    assert "built without CUDA" in named.stderr
