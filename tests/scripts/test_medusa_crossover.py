"""scripts/medusa_crossover.py: the q at which each series crosses the ridge, found in predicted CSVs; and the README's
table is exactly what it computes from `bench_llama --predict` for every datasheet GPU (computed, not typed)."""

from __future__ import annotations

import subprocess
import sys

import medusa_crossover
import pandas as pd
import pytest
from conftest import ROOT, SCRIPTS

README_BATCH, README_SEQ, README_MAX_Q = 1, 8192, 1024  # what the README's table says it is


def predicted_csv(folder, crossing: dict, candidates=range(1, 9), spec="a40", peaks=(149.7, 696.0), version=2):
    """A predicted folder whose series turn compute bound at the q given per series (None: never)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for series, at in crossing.items():
        for op in ("first", "second"):
            for q in candidates:
                # The second operator of a series crosses one q later: the series crosses when both have.
                compute = at is not None and q >= at + (op == "second")
                rows.append({"schema_version": version, "spec": spec, "series": series, "op": op, "phase": "medusa",
                             "status": "predicted", "batch": 1, "seq_len": 512, "candidates": q,
                             "intensity": 10.0 * q, "bound": "compute" if compute else "memory",
                             "peak_tflops_datasheet": peaks[0], "peak_gbps_datasheet": peaks[1]})  # fmt: skip
    pd.DataFrame(rows).to_csv(folder / "roofline.csv", index=False)
    return folder


def test_crossover_is_where_every_operator_of_the_series_is_compute_bound(tmp_path):
    a40 = predicted_csv(tmp_path / "a40", {"qkv mlp": 3, "up/gate/down": 5, "qk/pv": None})
    h100 = predicted_csv(tmp_path / "h100", {"qkv mlp": 7, "up/gate/down": 1, "qk/pv": 2}, spec="h100-sxm",
                         peaks=(989.4, 3350.0))  # fmt: skip
    lines = medusa_crossover.table([a40, h100]).splitlines()
    assert lines[0] == "| GPU (`--spec`) | ridge (FLOP/B) | qkv mlp | up/gate/down | qk/pv |"
    assert lines[2] == "| a40 | 215.1 | 4 | 6 | never (at most 80 FLOP/B, at q = 8) |"
    assert lines[3] == "| h100-sxm | 295.3 | 8 | 2 | 3 |"
    assert "searched from 1 to 8" in lines[5] and "b = 1, s = 512" in lines[5]


def test_bad_input_exits_2(tmp_path):
    script = [sys.executable, SCRIPTS / "medusa_crossover.py"]
    version_1 = ROOT / "tests" / "data" / "sample_runs" / "a"  # no medusa rows (and no candidates column) in it
    result = subprocess.run([*script, version_1], capture_output=True, text=True)
    assert result.returncode == 2 and "no predicted medusa rows" in result.stderr
    folder = predicted_csv(tmp_path / "p", {"qk/pv": 2})
    result = subprocess.run([*script, folder, "--batch", "4"], capture_output=True, text=True)
    assert result.returncode == 2 and "pass --batch and --seq" in result.stderr
    result = subprocess.run([*script, folder], capture_output=True, text=True)
    assert result.returncode == 0 and "| a40 | 215.1 | not in the file | not in the file | 3 |" in result.stdout


def test_readme_holds_the_computed_crossover_table(bench_llama, tmp_path):
    listing = subprocess.run([bench_llama, "--spec", "list"], capture_output=True, text=True, check=True).stdout
    specs = [line.split()[0] for line in listing.splitlines()[1:] if line.strip()]
    assert "a100-pcie-80gb" in specs and len(specs) >= 10
    candidates = ",".join(str(q) for q in range(1, README_MAX_Q + 1))
    folders = []
    for spec in specs:
        folders.append(tmp_path / spec)
        subprocess.run([bench_llama, "--predict", "--spec", spec, "--phase", "medusa", "--batch", str(README_BATCH),
                        "--seq", str(README_SEQ), "--candidates", candidates, "--no-plot", "--quiet", "--out",
                        folders[-1]], check=True, capture_output=True)  # fmt: skip
    table = medusa_crossover.table(folders)
    readme = (ROOT / "README.md").read_text()
    assert table in readme, "README.md's Medusa crossover table is out of date; replace it with:\n" + table


@pytest.mark.parametrize("spec", ["a100-pcie-80gb"])
def test_the_paper_range_stays_memory_bound_at_batch_1(bench_llama, tmp_path, spec):
    """The README's point: at b = 1, q up to 112 leaves every decode operator left of the ridge on an A100."""
    out = tmp_path / spec
    subprocess.run([bench_llama, "--predict", "--spec", spec, "--phase", "medusa", "--batch", "1", "--no-plot",
                    "--quiet", "--out", out], check=True, capture_output=True)  # fmt: skip
    df = pd.read_csv(out / "roofline.csv")
    assert set(df["bound"]) == {"memory"}
