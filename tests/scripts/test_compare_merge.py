"""compare_runs.py and merge_results.py on synthetic result folders (tests/scripts/synthetic.py): a run against itself
is all SAME; a planted slowdown of one series is found; a planted change inside the noise is not called SLOWER;
schema mismatches are refused."""

from __future__ import annotations

import subprocess
import sys

import compare_runs
import pandas as pd
import plot_roofline
import pytest
from conftest import ROOT, SCRIPTS
from synthetic import make_run

SAMPLE_V1 = ROOT / "tests" / "data" / "sample_runs" / "a"  # the committed sample: schema version 1


def run_script(name, *args):
    return subprocess.run([sys.executable, SCRIPTS / name, *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    return {
        "a": make_run(root / "a", seed=1),
        "a_again": make_run(root / "a_again", seed=1),
        "slow": make_run(root / "slow", seed=2, driver="590.1", slow={("up/gate/down", "ar"): 1.2}),
        "noisy_a": make_run(root / "noisy_a", seed=3, noise=0.10, reps=10),
        "noisy_b": make_run(root / "noisy_b", seed=4, noise=0.10, reps=10, slow={("qk/pv", "init"): 1.035}),
    }


def test_a_run_against_itself_is_all_same(runs):
    result = compare_runs.compare(runs["a"], runs["a_again"], threshold=0.03, alpha=0.01)
    assert len(result["table"]) == 96
    assert set(result["table"]["verdict"]) == {"SAME"}
    assert not result["only_a"] and not result["only_b"] and not result["differing"]
    assert run_script("compare_runs.py", runs["a"], runs["a_again"]).returncode == 0


def test_a_planted_slowdown_of_one_series_is_found(runs):
    result = compare_runs.compare(runs["a"], runs["slow"], threshold=0.03, alpha=0.01)
    table = result["table"]
    planted = (table["series"] == "up/gate/down") & (table["phase"] == "ar")
    assert (table.loc[planted, "verdict"] == "SLOWER").all()
    assert (table.loc[~planted, "verdict"].isin(["SAME", "NOISY"])).all()
    assert (table.loc[~planted, "verdict"] == "SAME").mean() > 0.9
    assert table.loc[planted, "ratio"].median() == pytest.approx(1 / 1.2, rel=0.02)
    assert result["differing"]["driver_version"] == ("580.159.04", "590.1")
    cli = run_script("compare_runs.py", runs["a"], runs["slow"])
    assert cli.returncode == 1, "a SLOWER point must fail the command, to guard CI jobs"
    assert "| driver_version | 580.159.04 | 590.1 |" in cli.stdout
    assert "| up/gate/down | ar | hand | 8 |" in cli.stdout


def test_a_change_inside_the_noise_is_not_called_slower(runs):
    result = compare_runs.compare(runs["noisy_a"], runs["noisy_b"], threshold=0.03, alpha=0.01)
    planted = result["table"][(result["table"]["series"] == "qk/pv") & (result["table"]["phase"] == "init")]
    assert not (planted["verdict"] == "SLOWER").any()
    assert (planted["verdict"] == "NOISY").any(), "a 3.5% change with 10% noise should be reported as NOISY"


def test_points_in_only_one_run_are_listed_and_csv_written(runs, tmp_path):
    partial = make_run(tmp_path / "partial", seed=1, batches=(1,))
    out = tmp_path / "table.csv"
    cli = run_script("compare_runs.py", runs["a"], partial, "--csv", out)
    assert cli.returncode == 0, cli.stderr
    assert "## Only in A (48)" in cli.stdout
    assert len(pd.read_csv(out)) == 48


def test_without_samples_a_big_change_is_noisy_not_slower(runs, tmp_path):
    lonely = make_run(tmp_path / "lonely", seed=2, slow={("qk/pv", "ar"): 1.5})
    (lonely / "samples.csv").unlink()
    result = compare_runs.compare(runs["a"], lonely, threshold=0.03, alpha=0.01)
    planted = result["table"][(result["table"]["series"] == "qk/pv") & (result["table"]["phase"] == "ar")]
    assert set(planted["verdict"]) == {"NOISY"}


def test_bad_input_exits_2(runs, tmp_path):
    assert run_script("compare_runs.py", runs["a"], tmp_path / "missing").returncode == 2
    assert run_script("compare_runs.py", runs["a"], runs["a"], "--alpha", "0").returncode == 2


def test_merge_concatenates_and_refuses_other_schema_versions(runs, tmp_path):
    out = tmp_path / "merged.csv"
    cli = run_script("merge_results.py", runs["a"], runs["slow"], "--out", out, "--samples-out", tmp_path / "s.csv")
    assert cli.returncode == 0, cli.stderr
    merged = pd.read_csv(out)
    assert len(merged) == 192 and merged["source"].nunique() == 2 and merged["driver_version"].nunique() == 2
    assert len(pd.read_csv(tmp_path / "s.csv")) == 2 * 96 * 20
    future = make_run(tmp_path / "future", seed=5)
    df = pd.read_csv(future / "roofline.csv")
    df.assign(schema_version=6).to_csv(future / "roofline.csv", index=False)
    cli = run_script("merge_results.py", runs["a"], future, "--out", tmp_path / "x.csv")
    assert cli.returncode == 2 and "schema version [6]" in cli.stderr and "future" in cli.stderr
    assert not (tmp_path / "x.csv").exists()


def test_plot_draws_several_runs_labelled_by_what_differs(runs, tmp_path):
    frames = [plot_roofline.load(runs["a"]), plot_roofline.load(runs["slow"])]
    fig, ax = plot_roofline.build_figure(frames)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "qk/pv ar (hand) [580.159.04]" in texts and "qk/pv ar (cublas) [590.1]" in texts
    assert "700 TFLOP/s (measured)" in texts and "989.4 TFLOP/s" in texts
    cli = run_script("plot_roofline.py", runs["a"], runs["slow"], "--by", "git_commit", "--out", tmp_path / "x.svg")
    assert cli.returncode == 0, cli.stderr
    cli = run_script("plot_roofline.py", runs["a"], runs["slow"], "--by", "nope", "--out", tmp_path / "y.png")
    assert cli.returncode == 2 and "--by nope" in cli.stderr


# Schema versions 1 and 2 mix: the committed sample (version 1, no candidates column in either file) against version-2
# folders with Medusa steps. Version 1's ar rows are version 2's candidates = 1 rows, samples included.


@pytest.fixture(scope="module")
def v2_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("v2")
    medusa = dict(version=2, phases=("init", "ar", "medusa"), candidates=(16, 64))
    return {
        "same": make_run(root / "same", seed=1, driver="570.86.15", **medusa),  # the sample's run a, plus medusa
        "slow_ar": make_run(root / "slow_ar", seed=2, driver="590.1", slow={("qk/pv", "ar"): 1.2}, **medusa),
        "slow_medusa": make_run(root / "slow_medusa", seed=3, slow={("qk/pv", "medusa"): 1.2}, **medusa),
    }


def test_the_committed_sample_is_version_1():
    assert set(pd.read_csv(SAMPLE_V1 / "roofline.csv")["schema_version"]) == {1}
    assert "candidates" not in pd.read_csv(SAMPLE_V1 / "roofline.csv").columns
    assert "candidates" not in pd.read_csv(SAMPLE_V1 / "samples.csv").columns


def test_compare_a_version_1_run_with_a_version_2_run(v2_runs):
    result = compare_runs.compare(SAMPLE_V1, v2_runs["same"], threshold=0.03, alpha=0.01)
    table = result["table"]
    assert len(table) == 96 and set(table["verdict"]) == {"SAME"}  # every init and ar point joins, q = 1 for ar
    assert set(table.loc[table["phase"] == "ar", "candidates"]) == {"1"}
    assert not result["only_a"] and len(result["only_b"]) == 96  # the medusa points: 6 ops x 2 q x 4 settings x 2 impls
    assert {dict(zip(compare_runs.POINT_KEYS, k))["phase"] for k in result["only_b"]} == {"medusa"}
    # The version-1 samples join the version-2 ones: a planted change is judged from them, not left NOISY.
    slow = compare_runs.compare(SAMPLE_V1, v2_runs["slow_ar"], threshold=0.03, alpha=0.01)["table"]
    planted = slow[(slow["series"] == "qk/pv") & (slow["phase"] == "ar")]
    assert (planted["verdict"] == "SLOWER").all()
    cli = run_script("compare_runs.py", SAMPLE_V1, v2_runs["slow_ar"])
    assert cli.returncode == 1 and "## Only in B (96)" in cli.stdout and "candidates=64" in cli.stdout


def test_compare_two_version_2_runs_per_candidates(v2_runs):
    result = compare_runs.compare(v2_runs["same"], v2_runs["slow_medusa"], threshold=0.03, alpha=0.01)
    table = result["table"]
    assert len(table) == 192 and not result["only_a"] and not result["only_b"]  # q = 16 and 64 do not collide
    planted = (table["series"] == "qk/pv") & (table["phase"] == "medusa")
    assert planted.sum() == 2 * 2 * 4 * 2 and set(table.loc[planted, "candidates"]) == {"16", "64"}
    assert (table.loc[planted, "verdict"] == "SLOWER").all()
    assert (table.loc[~planted, "verdict"].isin(["SAME", "NOISY"])).all()
    cli = run_script("compare_runs.py", v2_runs["same"], v2_runs["slow_medusa"])
    assert cli.returncode == 1 and "| qk | medusa | hand | fp16 | 16 | 4096 | 64 |" in cli.stdout


def test_merge_a_version_1_and_a_version_2_folder(v2_runs, tmp_path):
    out, samples_out = tmp_path / "merged.csv", tmp_path / "samples.csv"
    cli = run_script("merge_results.py", SAMPLE_V1, v2_runs["same"], "--out", out, "--samples-out", samples_out)
    assert cli.returncode == 0, cli.stderr
    merged = pd.read_csv(out)
    assert len(merged) == 96 + 192
    assert merged.groupby("schema_version").size().to_dict() == {1: 96, 2: 192}
    by_phase = merged.groupby("phase")["candidates"]
    assert by_phase.apply(lambda c: c.isna().all())["init"]
    assert set(merged.loc[merged["phase"] == "ar", "candidates"]) == {1}
    assert set(merged.loc[merged["phase"] == "medusa", "candidates"]) == {16, 64}
    samples = pd.read_csv(samples_out)
    assert len(samples) == (96 + 192) * 20
    assert set(samples.loc[samples["phase"] == "ar", "candidates"]) == {1}
    # The merged file reads back (both versions in one file) and plots.
    cli = run_script("plot_roofline.py", out, "--out", tmp_path / "merged.png")
    assert cli.returncode == 0, cli.stderr


# Version 3: ceilings measured before and after the points, roofs interpolated in time.
def test_version_3_ceilings_of_both_passes_are_distinct_points(tmp_path):
    a = make_run(tmp_path / "a", seed=1, version=3)
    b = make_run(tmp_path / "b", seed=2, version=3)
    rows = pd.read_csv(a / "roofline.csv")
    assert rows.groupby("ceiling_pass").size().to_dict() == {"end": 2, "start": 2}
    result = compare_runs.compare(a, b, threshold=0.03, alpha=0.01)
    table = result["table"]
    assert len(table) == 96 + 4 and not result["only_a"] and not result["only_b"]  # start and end do not collide
    assert set(table.loc[table["series"] == "ceiling", "ceiling_pass"]) == {"start", "end"}


def test_version_2_and_3_runs_join_and_merge(v2_runs, tmp_path):
    v3 = make_run(tmp_path / "v3", seed=4, version=3, phases=("init", "ar", "medusa"))
    result = compare_runs.compare(v2_runs["same"], v3, threshold=0.03, alpha=0.01)
    assert len(result["table"]) == 192 and not result["only_a"]
    assert {dict(zip(compare_runs.POINT_KEYS, k))["ceiling_pass"] for k in result["only_b"]} == {"start", "end"}
    out, samples_out = tmp_path / "merged.csv", tmp_path / "samples.csv"
    cli = run_script("merge_results.py", SAMPLE_V1, v2_runs["same"], v3, "--out", out, "--samples-out", samples_out)
    assert cli.returncode == 0, cli.stderr
    merged = pd.read_csv(out)
    assert merged.groupby("schema_version").size().to_dict() == {1: 96, 2: 192, 3: 196}
    samples = pd.read_csv(samples_out)
    assert set(samples.loc[samples["series"] == "ceiling", "ceiling_pass"]) == {"start", "end"}


def test_the_plot_draws_a_version_3_runs_start_and_end_roofs(tmp_path):
    v3 = make_run(tmp_path / "v3", seed=4, version=3)
    fig, ax = plot_roofline.build_figure(pd.read_csv(v3 / "roofline.csv"))
    labels = set(ax.get_legend_handles_labels()[1])
    # The first point's roofs are nearly the start pass's (700, 3000), the last point's nearly the end pass's (97 %):
    # both are drawn, and nothing between.
    measured = {label for label in labels if label.endswith("(measured)")}
    assert measured == {"699.8 TFLOP/s (measured)", "2999GB/s (measured)", "679.2 TFLOP/s (measured)",
                        "2911GB/s (measured)"}, labels  # fmt: skip


def test_points_timed_differently_are_compared_on_their_single_launch_medians(tmp_path):
    v2 = make_run(tmp_path / "v2", seed=1, version=2)
    v3 = make_run(tmp_path / "v3", seed=1, version=3)
    table = compare_runs.compare(v2, v3, threshold=0.03, alpha=0.01)["table"]
    init, decode = table[table["phase"] == "init"], table[table["phase"] == "ar"]
    assert set(init["compared_on"]) == {"median"} and set(decode["compared_on"]) == {"single launch"}
    # Version 3's single launches are 25 % slower than its batches (and than version 2's single launches of the same
    # seed, times 1.25): the ratio says so, and with no samples test the verdict is NOISY, never SLOWER.
    assert decode["ratio"].between(0.77, 0.83).all()  # 1 / 1.25, give or take the 1 % noise of either run
    assert set(decode["verdict"]) == {"NOISY"}
    assert set(init["verdict"]) == {"SAME"}


def test_version_4_runs_join_older_ones(runs, tmp_path):
    v4 = make_run(tmp_path / "v4", seed=1, version=4)
    result = compare_runs.compare(runs["a"], v4, threshold=0.03, alpha=0.01)
    assert len(result["table"]) == 96 and not result["only_a"]
    out = tmp_path / "merged.csv"
    cli = run_script("merge_results.py", runs["a"], v4, "--out", out)
    assert cli.returncode == 0, cli.stderr
    merged = pd.read_csv(out)
    assert merged.groupby("schema_version").size().to_dict() == {1: 96, 4: 100}
    assert merged.loc[merged["schema_version"] == 4, "device_kind"].eq("gpu").all()


@pytest.mark.parametrize("script", ["compare_runs.py", "merge_results.py", "plot_roofline.py"])
def test_an_emulated_run_is_refused_unless_asked_for(runs, tmp_path, script):
    emulated = make_run(tmp_path / "emulated", seed=1, version=4, device_kind="emulated")
    out = tmp_path / ("plot.png" if script == "plot_roofline.py" else "out.csv")
    args = {"compare_runs.py": [runs["a"], emulated],
            "merge_results.py": [runs["a"], emulated, "--out", out],
            "plot_roofline.py": [emulated, "--out", out]}[script]  # fmt: skip
    cli = run_script(script, *args)
    assert cli.returncode == 2 and "bench_llama_emulated" in cli.stderr and "--allow-emulated" in cli.stderr, cli.stderr
    assert not out.exists()
    cli = run_script(script, *args, "--allow-emulated")
    assert cli.returncode in (0, 1), cli.stderr  # compare_runs exits 1 when a point differs
    assert script == "compare_runs.py" or out.exists()


def test_a_plot_of_an_emulated_run_says_so_on_its_face(tmp_path):
    emulated = make_run(tmp_path / "emulated", seed=1, version=4, device_kind="emulated")
    _, ax = plot_roofline.build_figure(pd.read_csv(emulated / "roofline.csv"))
    assert any("EMULATED" in t.get_text() for t in ax.texts)
    gpu = make_run(tmp_path / "gpu", seed=1, version=4)
    _, ax = plot_roofline.build_figure(pd.read_csv(gpu / "roofline.csv"))
    assert not any("EMULATED" in t.get_text() for t in ax.texts)
