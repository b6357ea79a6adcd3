"""notebooks/roofline.ipynb runs from top to bottom on the committed sample (tests/data/sample_runs, schema version 1),
so it cannot rot, and on that sample mixed with a version-2 folder that has Medusa steps. The code cells are executed in
order in one namespace, from the notebooks folder, as Jupyter would run them."""

from __future__ import annotations

import json
import os

import matplotlib
import pytest
from conftest import ROOT
from synthetic import make_run

SAMPLE = ROOT / "tests" / "data" / "sample_runs"  # schema version 1


def run_notebook(monkeypatch, run_a, run_b) -> dict:
    """Executes every code cell in one namespace, as Jupyter would, and returns the namespace."""
    matplotlib.use("Agg")
    notebook = json.loads((ROOT / "notebooks" / "roofline.ipynb").read_text())
    monkeypatch.chdir(ROOT / "notebooks")
    monkeypatch.setenv("BENCH_LLAMA_RUN_A", str(run_a))
    monkeypatch.setenv("BENCH_LLAMA_RUN_B", str(run_b))
    namespace: dict = {"__name__": "__main__"}
    cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert len(cells) >= 5
    for index, cell in enumerate(cells):
        source = "".join(cell["source"])
        try:
            exec(compile(source, f"roofline.ipynb cell {index}", "exec"), namespace)  # noqa: S102
        except Exception as err:  # noqa: BLE001
            raise AssertionError(f"notebook code cell {index} failed: {err!r}\n{source}") from err
    return namespace


def test_notebook_runs_on_the_committed_sample(monkeypatch):
    namespace = run_notebook(monkeypatch, SAMPLE / "a", SAMPLE / "b")
    # What the notebook shows: the sample's planted slowdown of decode attention is found.
    table = namespace["table"]
    planted = table[(table["series"] == "qk/pv") & (table["phase"] == "ar")]
    assert (planted["verdict"] == "SLOWER").all()
    assert namespace["result"]["differing"]["driver_version"] == ("570.86.15", "580.159.04")
    assert len(namespace["pair"]) == 48
    assert os.environ["BENCH_LLAMA_RUN_A"].endswith("a")


@pytest.mark.parametrize("order", ["v1 then v2", "v2 then v1"])
def test_notebook_mixes_a_version_1_and_a_version_2_folder(monkeypatch, tmp_path, order):
    v2 = make_run(tmp_path / "v2", seed=1, driver="580.159.04", version=2, phases=("init", "ar", "medusa"),
                  candidates=(16, 64), slow={("qk/pv", "ar"): 1.15})  # fmt: skip
    run_a, run_b = (SAMPLE / "a", v2) if order == "v1 then v2" else (v2, SAMPLE / "a")
    namespace = run_notebook(monkeypatch, run_a, run_b)
    table = namespace["table"]
    assert len(table) == 96  # the init and ar points of both; the medusa points are in one run only
    planted = table[(table["series"] == "qk/pv") & (table["phase"] == "ar")]
    assert (planted["verdict"] == ("SLOWER" if order == "v1 then v2" else "FASTER")).all()
    assert len(namespace["pair"]) == (48 if order == "v1 then v2" else 96)  # hand against cuBLAS, per q for medusa
    legend = [t.get_text() for t in namespace["ax2"].get_legend().get_texts()]
    assert any("Medusa (# cand.: 64)" in text for text in legend)
