"""prediction_error.py on a synthetic measured run (tests/scripts/synthetic.py) and predictions made from it with a
planted error per series x phase: the script reports each planted error, leaves out what it must (another variant,
warm L2, no prediction) and says why, and refuses a prediction for another GPU, an emulated run and a prediction
without the model's columns, naming the fix. No measured run of the kernel model exists yet: these are the script's
tests, not the model's."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from conftest import SCRIPTS
from synthetic import make_run

VARIANT = {"qkv mlp": "gemv_mma_splitk", "up/gate/down": "gemv_mma_splitk", "qk/pv": "gemv_mma_wide"}
PLANTED = {("qkv mlp", "init"): 0.10, ("qkv mlp", "ar"): -0.05, ("up/gate/down", "init"): 0.0,
           ("up/gate/down", "ar"): -0.20, ("qk/pv", "init"): 0.30, ("qk/pv", "ar"): -0.50}  # fmt: skip


def run_script(*args):
    return subprocess.run([sys.executable, SCRIPTS / "prediction_error.py", *map(str, args)], capture_output=True,
                          text=True)  # fmt: skip


def measured_run(folder, **kwargs):
    """A synthetic version-4 run whose hand rows name the variant that ran (version 1's synthetic rows do not)."""
    run = make_run(folder, version=4, **kwargs)
    df = pd.read_csv(run / "roofline.csv")
    hand = df["impl"] == "hand"
    df.loc[hand, "variant"] = df.loc[hand, "series"].map(VARIANT)
    df.to_csv(run / "roofline.csv", index=False)
    return run


def predict_from(measured, folder, errors=PLANTED, variant_of=None):
    """A --predict folder whose model times are the measured hand times times (1 + the planted error)."""
    folder.mkdir(parents=True, exist_ok=True)
    df = pd.read_csv(measured / "roofline.csv")
    rows = df[(df["impl"] == "hand") & (df["series"] != "ceiling")].copy()
    factor = [1.0 + errors[(s, p)] for s, p in zip(rows["series"], rows["phase"])]
    rows = rows.assign(schema_version=5, impl="roofline", status="predicted", gpu_index=None, gpu_uuid="",
                       device_kind="", time_us_predicted=rows["time_us_median"] * factor, bound_predicted="dram",
                       time_us_median=None)  # fmt: skip
    if variant_of:
        rows["variant"] = [variant_of(r) for _, r in rows.iterrows()]
    rows.to_csv(folder / "roofline.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("prediction")
    measured = measured_run(root / "measured", seed=3)
    return {"measured": measured, "predicted": predict_from(measured, root / "predicted")}


def test_each_planted_error_is_reported(folders, tmp_path):
    per_point = tmp_path / "points.csv"
    cli = run_script(folders["predicted"], folders["measured"], "--csv", per_point)
    assert cli.returncode == 0, cli.stderr
    for (series, phase), error in PLANTED.items():
        row = f"| {series} | {phase} | 8 | {error:+.1%} | {abs(error):.1%} | {abs(error):.1%} | {error:+.1%} |"
        assert row in cli.stdout, cli.stdout
    points = pd.read_csv(per_point)
    assert len(points) == 48 and set(points["variant"]) == set(VARIANT.values())
    assert "left out" not in cli.stdout


def test_points_that_cannot_be_compared_are_counted_with_why(folders, tmp_path):
    # The model named another variant for qk/pv init, and has no prediction for up/gate/down init.
    def variant_of(row):
        return "gemm_mma_64x64" if (row["series"], row["phase"]) == ("qk/pv", "init") else row["variant"]

    predicted = predict_from(folders["measured"], tmp_path / "predicted", variant_of=variant_of)
    df = pd.read_csv(predicted / "roofline.csv")
    gone = (df["series"] == "up/gate/down") & (df["phase"] == "init")
    df.loc[gone, "time_us_predicted"] = None
    df.to_csv(predicted / "roofline.csv", index=False)
    cli = run_script(predicted, folders["measured"])
    assert cli.returncode == 0, cli.stderr
    assert "- 8: ran another variant than the model predicted" in cli.stdout
    assert "- 8: the model has no prediction" in cli.stdout
    assert "| qk/pv | init |" not in cli.stdout and "| qk/pv | ar | 8 |" in cli.stdout


def test_warm_l2_points_are_left_out(tmp_path):
    measured = measured_run(tmp_path / "warm", seed=4)
    df = pd.read_csv(measured / "roofline.csv")
    df["l2_mode"] = "warm"
    df.to_csv(measured / "roofline.csv", index=False)
    cli = run_script(predict_from(measured, tmp_path / "predicted"), measured)
    assert cli.returncode == 2
    assert "no point to compare" in cli.stderr and "48 measured with a warm L2" in cli.stderr


def test_refusals_name_the_fix(folders, tmp_path):
    other = tmp_path / "other_gpu"
    other.mkdir()
    pd.read_csv(folders["predicted"] / "roofline.csv").assign(gpu_name="NVIDIA A40").to_csv(
        other / "roofline.csv", index=False
    )
    cli = run_script(other, folders["measured"])
    assert cli.returncode == 2 and "--spec h100-sxm" in cli.stderr, cli.stderr

    old = tmp_path / "old"
    old.mkdir()
    pd.read_csv(folders["predicted"] / "roofline.csv").drop(columns=["time_us_predicted"]).assign(
        schema_version=4
    ).to_csv(old / "roofline.csv", index=False)
    cli = run_script(old, folders["measured"])
    assert cli.returncode == 2 and "predict again" in cli.stderr, cli.stderr

    cli = run_script(folders["predicted"], folders["predicted"])
    assert cli.returncode == 2 and "not a measured run" in cli.stderr, cli.stderr

    emulated = measured_run(tmp_path / "emulated", seed=5, device_kind="emulated")
    cli = run_script(folders["predicted"], emulated)
    assert cli.returncode == 2 and "--allow-emulated" in cli.stderr, cli.stderr
