"""notebooks/roofline.ipynb runs from top to bottom on the committed sample (tests/data/sample_runs), so it cannot rot.
The code cells are executed in order in one namespace, from the notebooks folder, as Jupyter would run them."""

from __future__ import annotations

import json
import os

import matplotlib
from conftest import ROOT


def test_notebook_runs_on_the_committed_sample(monkeypatch):
    matplotlib.use("Agg")
    notebook = json.loads((ROOT / "notebooks" / "roofline.ipynb").read_text())
    monkeypatch.chdir(ROOT / "notebooks")
    monkeypatch.setenv("BENCH_LLAMA_RUN_A", str(ROOT / "tests" / "data" / "sample_runs" / "a"))
    monkeypatch.setenv("BENCH_LLAMA_RUN_B", str(ROOT / "tests" / "data" / "sample_runs" / "b"))
    namespace: dict = {"__name__": "__main__"}
    cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert len(cells) >= 5
    for index, cell in enumerate(cells):
        source = "".join(cell["source"])
        try:
            exec(compile(source, f"roofline.ipynb cell {index}", "exec"), namespace)  # noqa: S102
        except Exception as err:  # noqa: BLE001
            raise AssertionError(f"notebook code cell {index} failed: {err!r}\n{source}") from err
    # What the notebook shows: the sample's planted slowdown of decode attention is found.
    table = namespace["table"]
    planted = table[(table["series"] == "qk/pv") & (table["phase"] == "ar")]
    assert (planted["verdict"] == "SLOWER").all()
    assert namespace["result"]["differing"]["driver_version"] == ("570.86.15", "580.159.04")
    assert len(namespace["pair"]) == 48
    assert os.environ["BENCH_LLAMA_RUN_A"].endswith("a")
