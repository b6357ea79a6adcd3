"""The measured path's failure paths, checked end to end on any device: a GPU (tests/reliability/test_faults_gpu.py,
with bench_llama) or the CPU emulator (tests/emulated/, with bench_llama_emulated). Each check runs a short sweep with
the test-only variants (BENCH_LLAMA_TEST_VARIANTS=1): a slightly wrong kernel is rejected by validation and never
reported ok; out of device memory at one point skips that point and the sweep goes on; a kernel fault stops the run
cleanly with every earlier row kept; SIGINT keeps every finished row in a well-formed file.

`model` is the arguments that choose the model (none: bench_llama's default, Llama 33B; the emulator needs a small
one), `long_sweep` a sweep that runs long enough to be interrupted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd


def planned(binary, *sweep) -> pd.DataFrame:
    """The points `--list` plans for these sweep arguments (op, phase, b, s per point), so that expected row counts
    follow the planner instead of being restated here."""
    listing = subprocess.run([binary, "--list", *map(str, sweep)], capture_output=True, text=True, timeout=60)
    assert listing.returncode == 0, listing.stderr
    lines = [line.split() for line in listing.stdout.splitlines() if line and not line.startswith("#")]
    header, rows = lines[0], lines[1:]
    assert header[:4] == ["op", "phase", "b", "s"], header
    return pd.DataFrame([r[:4] for r in rows], columns=["op", "phase", "batch", "seq_len"]).astype(
        {"batch": int, "seq_len": int}
    )


def run(binary, out, *args, timeout=300, env=None):
    env = dict(env or os.environ, BENCH_LLAMA_TEST_VARIANTS="1")
    return subprocess.run([binary, "--gpu", "0", "--no-plot", "--repetitions", "3", "--out", out, *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=timeout)  # fmt: skip


def a_slightly_wrong_kernel_is_never_reported_ok(binary, tmp_path: Path, model: list) -> None:
    sweep = [*model, "--ops", "q_proj,qk,pv", "--phase", "init", "--batch", "1", "--seq", "256"]
    result = run(binary, tmp_path / "o", "--impl", "test_wrong", *sweep)
    assert result.returncode == 0, result.stderr
    rows = pd.read_csv(tmp_path / "o" / "roofline.csv")
    wrong = rows[rows["impl"] == "test_wrong"]
    assert len(wrong) == len(planned(binary, *sweep)) == 3
    assert set(wrong["status"]) == {"invalid"}
    assert (wrong["rel_error"] > 2e-3).all() and wrong["time_us_median"].isna().all()


def out_of_memory_skips_the_point_and_the_sweep_goes_on(binary, tmp_path: Path, model: list) -> None:
    sweep = [*model, "--ops", "q_proj", "--phase", "ar", "--batch", "1,2", "--seq", "128"]
    result = run(binary, tmp_path / "o", "--impl", "test_oom,cublas", *sweep)
    assert result.returncode == 0, result.stderr
    rows = pd.read_csv(tmp_path / "o" / "roofline.csv")
    oom = rows[rows["impl"] == "test_oom"]
    assert len(oom) == len(planned(binary, *sweep)) and set(oom["status"]) == {"skipped"}
    assert oom["reason"].str.contains("out of device memory").all()
    assert set(rows[rows["impl"] == "cublas"]["status"]) == {"ok"}


def a_kernel_fault_stops_the_run_and_keeps_every_earlier_row(binary, tmp_path: Path, model: list) -> None:
    sweep = [*model, "--ops", "q_proj", "--phase", "ar", "--batch", "1,2", "--seq", "128"]
    result = run(binary, tmp_path / "o", "--impl", "cublas,test_fault", *sweep)
    assert result.returncode == 3, result.stderr
    assert "unusable" in result.stderr
    rows = pd.read_csv(tmp_path / "o" / "roofline.csv")  # well-formed
    assert (rows["series"] == "ceiling").sum() >= 2
    first = rows[(rows["impl"] == "cublas") & (rows["batch"] == 1)]
    plan = planned(binary, *sweep)
    assert len(first) == (plan["batch"] == 1).sum() and set(first["status"]) == {"ok"}  # measured before the fault
    fault = rows[rows["impl"] == "test_fault"]
    assert set(fault["status"]) == {"error"} and fault["reason"].str.contains("cudaError").all()
    assert rows[rows["batch"] == 2].empty, "nothing after the fault may be reported"
    assert json.loads((tmp_path / "o" / "env.json").read_text())["device_failed"] is True


def sigint_keeps_finished_rows_in_a_well_formed_file(binary, tmp_path: Path, model: list, long_sweep: list,
                                                     repetitions: int = 50) -> None:  # fmt: skip
    out = tmp_path / "o"
    args = ["--gpu", "0", "--no-plot", *model, *long_sweep, "--impl", "cublas", "--repetitions", repetitions,
            "--out", out]  # fmt: skip
    proc = subprocess.Popen([binary, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    csv = out / "roofline.csv"
    deadline = time.time() + 120
    while time.time() < deadline and (not csv.exists() or csv.read_text().count("\n") < 12):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    rows = pd.read_csv(csv)
    assert len(rows) >= 11
    assert csv.read_text().endswith("\n")
    assert json.loads((out / "env.json").read_text())["interrupted"] is True
