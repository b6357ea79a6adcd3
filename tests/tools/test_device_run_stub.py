"""tools/device_run.sh's own logic with stand-in binaries (runs anywhere, no namespace needed): a sweep cut at its
limit keeps its rows and its result folder comes back packed, with the logs inside; a budget that is spent says
NOT-RUN instead of pretending a step hung; $OUT never holds more than the summary and the tarball."""

from __future__ import annotations

import shutil
import subprocess
import tarfile

import pytest
from conftest import ROOT

BENCH_LLAMA = """#!/bin/bash
# Stand-in: names its result folder, writes two rows, then works until SIGTERM, which it answers like bench_llama.
[ "$1" = --help ] && exit 0
folder=results/stub-gpu/2026-01-01_000000000000
mkdir -p "$folder"
echo "[00:00:00] info writing the result folder: $folder"
printf 'schema_version,op\\n2,q_proj\\n2,k_proj\\n' >"$folder/roofline.csv"
trap 'echo "[00:00:01] warn interrupted; result folder: $folder"; exit 130' TERM
while true; do sleep 0.2; done
"""
GTEST = """#!/bin/bash
[ "$1" = --gtest_list_tests ] && exit 0
echo "stub: variants=${BENCH_LLAMA_VARIANTS-unset} args=$*"
echo "[  SKIPPED ] Suite.Test (0 ms)"
echo "[  PASSED  ] 0 tests."
echo "[  SKIPPED ] Suite.Test"
"""


@pytest.fixture
def stub_tree(tmp_path):
    tree = tmp_path / "tree"
    (tree / "tools").mkdir(parents=True)
    shutil.copy2(ROOT / "tools" / "device_run.sh", tree / "tools")
    bin_dir = tree / ".carry" / "bin"
    bin_dir.mkdir(parents=True)
    (tree / ".carry" / "lib").mkdir()
    for name, text in [("bench_llama", BENCH_LLAMA), ("roofline_tests", GTEST), ("bench_unit_tests", GTEST),
                       ("bench_gpu_tests", GTEST), ("kernels_gpu_tests", GTEST)]:  # fmt: skip
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return tree


def run(tree, out, **env):
    import os

    environment = dict(os.environ, OUT=str(out), **env)
    return subprocess.run(["bash", tree / "tools" / "device_run.sh", "--no-plot"], cwd=tree, env=environment,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def summary(out):
    return {line.split()[1]: line for line in (out / "summary.txt").read_text().splitlines() if line.strip()}


def test_a_cut_sweep_keeps_its_rows_and_comes_back_packed_with_its_logs(stub_tree, tmp_path):
    out = tmp_path / "out"
    result = run(stub_tree, out, DEVICE_STEPS="libs,sweep,unit,gpu", SWEEP_TIMEOUT="3", DEVICE_BUDGET="300")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = summary(out)
    assert lines["sweep"].startswith("CUT") and "2 rows" in lines["sweep"], lines["sweep"]
    assert lines["unit"].startswith("PASS") and lines["gpu"].startswith("PASS"), lines
    assert "(3 skipped" in lines["gpu"], lines["gpu"]  # one per run, not the summary's repeat
    assert sorted(p.name for p in out.iterdir()) == ["result.tgz", "summary.txt"]
    with tarfile.open(out / "result.tgz") as tar:
        names = tar.getnames()
    folder = "results/stub-gpu/2026-01-01_000000000000"
    for name in ("roofline.csv", "logs/bench.log", "logs/unit.log", "logs/gpu_tests.log", "logs/summary.txt"):
        assert f"{folder}/{name}" in names, names


def test_a_spent_budget_says_not_run(stub_tree, tmp_path):
    out = tmp_path / "out"
    result = run(stub_tree, out, DEVICE_STEPS="libs,sweep,faults", DEVICE_BUDGET="40")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = summary(out)
    assert lines["sweep"].startswith("NOT-RUN") and lines["faults"].startswith("NOT-RUN"), lines
    with tarfile.open(out / "result.tgz") as tar:
        assert "device_logs/summary.txt" in tar.getnames()


def gpu_runs(out):
    with tarfile.open(out / "result.tgz") as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("gpu_tests.log"))
        log = tar.extractfile(member).read().decode()
    return [line for line in log.splitlines() if line.startswith("stub: ")]


def test_variants_never_run_on_a_gpu_get_a_process_of_their_own(stub_tree, tmp_path):
    out = tmp_path / "out"
    result = run(stub_tree, out, DEVICE_STEPS="libs,gpu", DEVICE_BUDGET="300", ISOLATED_VARIANTS="new_a,new_b")
    assert result.returncode == 0, result.stdout + result.stderr
    assert gpu_runs(out) == [
        "stub: variants=unset args=",  # bench_gpu_tests
        "stub: variants=-new_a,new_b args=",  # kernels_gpu_tests, without them
        "stub: variants=new_a,new_b args=--gtest_filter=*VariantsGpu.EveryVariant*",  # them alone
    ]
    assert "kernels_gpu_tests isolated" in summary(out)["gpu"]


def test_no_isolated_variants_runs_each_binary_once(stub_tree, tmp_path):
    out = tmp_path / "out"
    result = run(stub_tree, out, DEVICE_STEPS="libs,gpu", DEVICE_BUDGET="300", ISOLATED_VARIANTS="")
    assert result.returncode == 0, result.stdout + result.stderr
    assert gpu_runs(out) == ["stub: variants=unset args=", "stub: variants=unset args="]
