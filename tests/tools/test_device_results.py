"""What comes back from a lent GPU machine, handled here without a GPU: tools/device_results.sh unpacks a call's files
into the git-ignored device_out/ (so the next call's upload never carries them), draws the plots there, judges each
sweep against the targets (with a repeat that a later call brought), and keeps the result folders in results/ only
when asked, never over an existing one; tools/device_bundle.sh --check counts what the
device tool really carries: tracked files, untracked files git does not ignore, and the bundle."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile

import pytest
from conftest import ROOT
from synthetic import make_run

RUN = "results/sample-gpu/2026-01-01_000000000000"


def git(tree, *args):
    return subprocess.run(["git", *args], cwd=tree, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def tree(tmp_path):
    """A checkout with the tools, the plot script and the project's .gitignore."""
    tree = tmp_path / "tree"
    (tree / "tools").mkdir(parents=True)
    for name in ("device_results.sh", "device_bundle.sh"):
        shutil.copy2(ROOT / "tools" / name, tree / "tools")
    shutil.copytree(ROOT / "scripts", tree / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / ".gitignore", tree)
    git(tree, "init", "-q")
    git(tree, "add", ".")
    git(tree, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "tree")
    return tree


@pytest.fixture
def came_back(tmp_path):
    """A call's $OUT as tools/device_run.sh leaves it: a first run (summary, results.tgz without logs, logs.tgz) and a
    second run in $OUT/2 that made no result folder."""
    out, staging = tmp_path / "files_at", tmp_path / "staging"
    (staging / RUN / "logs").mkdir(parents=True)
    for name in ("roofline.csv", "samples.csv", "env.json"):
        shutil.copy2(ROOT / "tests" / "data" / "sample_runs" / "a" / name, staging / RUN / name)
    (staging / RUN / "logs" / "bench.log").write_text("done\n")
    (staging / "device_logs").mkdir()
    (staging / "device_logs" / "unit.log").write_text("ok\n")
    (out / "2").mkdir(parents=True)
    (out / "summary.txt").write_text("PASS sweep  100s  exit 0\n")
    (out / "2" / "summary.txt").write_text("PASS unit  1s  roofline_tests\n")
    with tarfile.open(out / "results.tgz", "w:gz") as tar:
        for name in ("roofline.csv", "samples.csv", "env.json"):
            tar.add(staging / RUN / name, f"{RUN}/{name}")
    with tarfile.open(out / "logs.tgz", "w:gz") as tar:
        tar.add(staging / RUN / "logs", f"{RUN}/logs")
    with tarfile.open(out / "2" / "logs.tgz", "w:gz") as tar:
        tar.add(staging / "device_logs", "device_logs")
    return out


def results_tool(tree, *args):
    python = os.environ.get("BENCH_LLAMA_PYTHON", str(ROOT / ".venv" / "bin" / "python"))
    env = dict(os.environ, BENCH_LLAMA_PYTHON=python)
    return subprocess.run([tree / "tools" / "device_results.sh", *args], cwd=tree, env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip


def test_results_come_back_outside_what_the_device_tool_carries(tree, came_back):
    result = results_tool(tree, "unpack", came_back)
    assert result.returncode == 0, result.stdout + result.stderr
    call = tree / "device_out" / "call1"
    assert (call / RUN / "roofline.csv").is_file() and (call / RUN / "logs" / "bench.log").is_file()
    assert (call / "2" / "device_logs" / "unit.log").is_file() and (call / "2" / "summary.txt").is_file()
    assert "PASS sweep" in result.stdout and "PASS unit" in result.stdout
    # git ignores all of it: the next call's upload (tracked and untracked files git does not ignore) leaves it here.
    assert git(tree, "ls-files", "--others", "--exclude-standard") == ""
    if "BENCH_LLAMA_PYTHON" in os.environ or (ROOT / ".venv" / "bin" / "python").exists():
        assert (call / RUN / "roofline.png").is_file(), result.stderr  # drawn here, not on the device
    again = results_tool(tree, "unpack", came_back)
    assert again.returncode == 0 and (tree / "device_out" / "call2" / RUN / "roofline.csv").is_file()


def test_each_sweep_is_judged_against_the_targets_with_its_repeat_from_a_later_call(tree, came_back, tmp_path):
    first = results_tool(tree, "unpack", came_back)
    assert first.returncode == 0, first.stdout + first.stderr
    report = tree / "device_out" / "call1" / f"targets_call1_{os.path.basename(RUN)}.md"
    assert f"targets: device_out/call1/{report.name}" in first.stdout, first.stdout
    assert "| fidelity | two sweeps of one build" in report.read_text() and "pass --repeat" in report.read_text()
    # Call 2 brings the repeat and a Medusa sweep rerun back, named after call 1's sweep: the sweep is judged again,
    # with them.
    later = tmp_path / "later"
    later.mkdir()
    (later / "summary.txt").write_text("PASS repeat  100s  exit 0\n")
    with tarfile.open(later / "results.tgz", "w:gz") as tar:
        for folder in ("_repeat", "_medusa_rerun"):
            for name in ("roofline.csv", "samples.csv", "env.json"):
                tar.add(ROOT / "tests" / "data" / "sample_runs" / "b" / name, f"{RUN}{folder}/{name}")
    second = results_tool(tree, "unpack", later)
    assert second.returncode == 0, second.stdout + second.stderr
    text = (tree / "device_out" / "call2" / report.name).read_text()
    assert "pass --repeat" not in text and "SAME of" in text, text
    assert f"call2/{RUN}_medusa_rerun: no medusa rows" in text, text
    assert [p.name for p in (tree / "device_out" / "call2").glob("targets_*")] == [report.name]


def test_an_old_against_new_comparison_gets_its_pairs_of_variants_ranked(tree, tmp_path):
    compare = make_run(tmp_path / "staging" / f"{RUN}_old_vs_new", version=4, impls=("var_old", "var_new", "cublas"))
    came = tmp_path / "came"
    came.mkdir()
    (came / "summary.txt").write_text("PASS compare  100s  exit 0\n")
    with tarfile.open(came / "results.tgz", "w:gz") as tar:
        for name in ("roofline.csv", "samples.csv", "env.json"):
            tar.add(compare / name, f"{RUN}_old_vs_new/{name}")
    result = results_tool(tree, "unpack", came)
    assert result.returncode == 0, result.stdout + result.stderr
    report = tree / "device_out" / "call1" / f"ranks_call1_{os.path.basename(RUN)}_old_vs_new.md"
    assert f"ranks: device_out/call1/{report.name}" in result.stdout, result.stdout
    assert "| var_old | var_new | 48 |" in report.read_text(), report.read_text()
    assert not list((tree / "device_out" / "call1").glob("targets_*")), "a comparison is no sweep to judge"


def test_keep_moves_the_result_folders_into_results_and_never_over_one(tree, came_back):
    assert results_tool(tree, "unpack", came_back, "first").returncode == 0
    assert results_tool(tree, "unpack", came_back, "second").returncode == 0
    kept = results_tool(tree, "keep", "first")
    assert kept.returncode == 0, kept.stderr
    assert (tree / RUN / "roofline.csv").is_file() and (tree / RUN / "logs" / "bench.log").is_file()
    assert f"{RUN}/roofline.csv" in git(tree, "diff", "--cached", "--name-only")
    refused = results_tool(tree, "keep", "second")
    assert refused.returncode == 2 and "exists already" in refused.stderr, refused.stderr
    assert (tree / "device_out" / "second" / RUN / "roofline.csv").is_file()


def test_the_bundle_check_counts_untracked_files_that_would_travel(tree):
    check = subprocess.run([tree / "tools" / "device_bundle.sh", "--check"], cwd=tree, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    big = tree / "samples.csv"  # e.g. a result folder unpacked into the checkout
    with open(big, "wb") as f:
        f.truncate(61 << 20)
    check = subprocess.run([tree / "tools" / "device_bundle.sh", "--check"], cwd=tree, capture_output=True, text=True)
    assert check.returncode == 2 and "samples.csv (61 MiB)" in check.stderr, check.stdout + check.stderr
    (tree / "device_out").mkdir()
    big.rename(tree / "device_out" / "samples.csv")  # git-ignored: it stays here
    check = subprocess.run([tree / "tools" / "device_bundle.sh", "--check"], cwd=tree, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
