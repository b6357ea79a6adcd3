"""The measured path end to end on the CPU emulator: bench_llama_emulated is bench_llama's own program (the sweep,
the timer, validation, the ceilings, the judge, the writers) over the emulator's stand-ins for the CUDA runtime and
cuBLAS, with the kernels of kernels/ run as emulated threads. Its times are made up, so these tests check what a run
does, never what it measures: every planned point gets its rows, the samples, gbench.json and env.json agree with
roofline.csv, the ceilings are measured before and after the points, every output says it is emulated (and the
scripts refuse it unless asked), and each failure path (a wrong kernel, out of memory, a fault, SIGINT, too little
memory, several devices) ends as it must. The models are small, so that the emulator's CPU time stays in seconds."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import failure_paths
import pandas as pd
import pytest
from bench_llama_io import POINT_KEYS
from conftest import SCRIPTS

# Llama's layout at a size the emulator runs in seconds: 4 heads of 64, and a GQA variant with 2 key-value heads.
TINY = {"hidden_size": 256, "num_attention_heads": 4, "num_key_value_heads": 4, "intermediate_size": 512}
TINY_GQA = {**TINY, "num_key_value_heads": 2}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    paths = {}
    for name, config in (("tiny", TINY), ("tiny_gqa", TINY_GQA)):
        paths[name] = folder / f"{name}.json"
        paths[name].write_text(json.dumps(config))
    return paths


def run(binary, *args, cwd=None, env=None, timeout=600):
    env = dict(os.environ, BENCH_LLAMA_PYTHON=sys.executable, **(env or {}))
    return subprocess.run([binary, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=timeout)  # fmt: skip


# The quick sweep (b 1,16, init and ar, every operator, hand and cuBLAS) at a context the emulator runs in a minute.
SWEEP = ["--quick", "--seq", "64"]
# The emulated device's cuBLAS timing (emulator/streams.hpp): a latency plus the longer of the FLOPs at 1 TFLOP/s and
# the bytes of the three matrices at 200 GB/s. Restated here as the oracle that each row carries its own shape's time.
GEMM_LATENCY_NS, GEMM_FLOPS_PER_NS, GEMM_BYTES_PER_NS = 50, 1000, 200


def emulated_cublas_us(rows: pd.DataFrame) -> pd.Series:
    m, n, k, count = (rows[c].astype(float) for c in ("m", "n", "k", "batch_count"))
    flops, nbytes = 2 * m * n * k * count, 2 * (m * k + k * n + m * n) * count
    return (GEMM_LATENCY_NS + (flops / GEMM_FLOPS_PER_NS).combine(nbytes / GEMM_BYTES_PER_NS, max)) / 1000


@pytest.fixture(scope="module")
def main_run(bench_llama_emulated, models, tmp_path_factory):
    """The quick sweep, plotted: what `bench_llama --gpu 0 --quick` does, on the emulator."""
    out = tmp_path_factory.mktemp("main") / "run"
    result = run(bench_llama_emulated, "--gpu", "0", "--model", models["tiny"], *SWEEP, "--repetitions", "3",
                 "--out", out)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out, result


def points(binary, models, *sweep) -> pd.DataFrame:
    return failure_paths.planned(binary, "--model", models["tiny"], *sweep)


def test_every_planned_point_has_one_ok_row_per_implementation(main_run, bench_llama_emulated, models):
    out, _ = main_run
    rows = pd.read_csv(out / "roofline.csv")
    measured = rows[rows["series"] != "ceiling"]
    plan = points(bench_llama_emulated, models, *SWEEP)
    assert len(measured) == 2 * len(plan) and set(measured["impl"]) == {"hand", "cublas"}
    for impl in ("hand", "cublas"):
        got = measured[measured["impl"] == impl][["op", "phase", "batch", "seq_len"]]
        pd.testing.assert_frame_equal(
            got.sort_values(list(got.columns)).reset_index(drop=True),
            plan.sort_values(list(plan.columns)).reset_index(drop=True),
            check_dtype=False,
        )
    assert not rows.duplicated([k for k in POINT_KEYS if k in rows.columns]).any()
    assert set(rows["status"]) == {"ok"}, rows.loc[rows["status"] != "ok", ["op", "impl", "reason"]]
    assert measured.loc[measured["impl"] == "hand", "variant"].notna().all()  # hand says which kernel it picked
    # Cold points under 20 us are timed in batches of launches, each on its own copy of the operands; longer ones alone.
    assert set(measured["launches_per_sample"] > 1) == {True, False}


def test_every_output_says_it_is_emulated(main_run):
    out, result = main_run
    rows = pd.read_csv(out / "roofline.csv")
    assert set(rows["device_kind"]) == {"emulated"} and (rows["schema_version"] == 5).all()
    assert rows["gpu_name"].str.contains("EMULATED").all() and set(rows["build_archs"].astype(str)) == {"emulated"}
    env = json.loads((out / "env.json").read_text())
    assert env["device_kind"] == "emulated" and env["emulated"] is True
    gbench = json.loads((out / "gbench.json").read_text())
    assert gbench["context"]["device_kind"] == "emulated"
    assert "EMULATED" in result.stderr  # the log names the device


def test_the_samples_and_gbench_agree_with_the_rows(main_run):
    out, _ = main_run
    rows = pd.read_csv(out / "roofline.csv")
    samples = pd.read_csv(out / "samples.csv")
    keys = [k for k in ("series", "op", "phase", "impl", "batch", "seq_len", "ceiling_pass") if k in rows.columns]
    medians = samples.groupby(keys, dropna=False)["time_us"].agg(["median", "size"]).reset_index()
    joined = rows.merge(medians, on=keys, how="left", validate="one_to_one")
    assert joined["size"].notna().all(), "a row without samples"
    assert (joined["size"] == joined["repetitions"]).all()
    assert (joined.loc[joined["series"] != "ceiling", "repetitions"] == 3).all()  # the ceilings keep their own rule
    assert joined["median"].to_numpy() == pytest.approx(joined["time_us_median"].to_numpy(), rel=1e-6)
    gbench = json.loads((out / "gbench.json").read_text())
    names = {b["run_name"] for b in gbench["benchmarks"]}
    assert len(names) >= rows["time_us_median"].nunique()
    assert all(any(op in name for name in names) for op in rows["op"].unique())


def test_the_ceilings_bracket_the_points_and_judge_them(main_run):
    out, result = main_run
    rows = pd.read_csv(out / "roofline.csv")
    ceilings = rows[rows["series"] == "ceiling"]
    passes = ceilings.groupby("op")["ceiling_pass"].apply(set)
    assert len(passes) >= 4 and all(p == {"start", "end"} for p in passes), passes
    measured = rows[rows["series"] != "ceiling"]
    assert (measured["roof_source"] == "measured").all()
    assert measured["measured_at_s"].between(0, ceilings["measured_at_s"].max()).all()
    assert (measured["roof_fraction"] <= 1.05).all()  # the emulated roofs are roofs: no point passes them
    assert "judged every point again" in result.stderr


def test_times_follow_the_shape_and_repeat_exactly(main_run, bench_llama_emulated, models, tmp_path):
    out, _ = main_run
    rows = pd.read_csv(out / "roofline.csv")
    cublas = rows[(rows["impl"] == "cublas") & (rows["series"] != "ceiling")]
    assert cublas["time_us_median"].to_numpy() == pytest.approx(emulated_cublas_us(cublas).to_numpy(), rel=1e-5)
    assert cublas["time_us_median"].nunique() > 4
    hand = rows[(rows["impl"] == "hand") & (rows["series"] != "ceiling")]
    assert hand["time_us_median"].nunique() > 1
    # Made-up times are a function of the work: a second run of one point gives the same time to the last digit.
    again = tmp_path / "again"
    sweep = ["--ops", "q_proj,qk", "--phase", "ar", "--batch", "1", "--seq", "64"]
    result = run(bench_llama_emulated, "--gpu", "0", "--model", models["tiny"], *sweep, "--repetitions", "3",
                 "--no-plot", "--out", again)  # fmt: skip
    assert result.returncode == 0, result.stderr
    second = pd.read_csv(again / "roofline.csv")
    keys = ["op", "phase", "batch", "seq_len", "impl"]
    both = second[second["series"] != "ceiling"].merge(rows, on=keys, suffixes=("", "_first"))
    assert len(both) == 4
    assert (both["time_us_median"] == both["time_us_median_first"]).all()


def test_the_plot_is_drawn_and_the_scripts_refuse_the_run_unless_asked(main_run, tmp_path):
    out, _ = main_run
    assert (out / "roofline.png").stat().st_size > 10_000  # drawn with --allow-emulated, marked on its face
    script = [sys.executable, SCRIPTS / "compare_runs.py", out, out]
    refused = subprocess.run(script, capture_output=True, text=True)
    assert refused.returncode == 2 and "bench_llama_emulated" in refused.stderr and "--allow-emulated" in refused.stderr
    allowed = subprocess.run([*script, "--allow-emulated"], capture_output=True, text=True)
    assert allowed.returncode == 0, allowed.stderr
    plot = subprocess.run([sys.executable, SCRIPTS / "plot_roofline.py", out, "--out", tmp_path / "p.png"],
                          capture_output=True, text=True)  # fmt: skip
    assert plot.returncode == 2 and not (tmp_path / "p.png").exists()


def test_the_targets_are_judged_on_what_bench_llama_writes(main_run):
    """check_targets.py reads a run as bench_llama writes it (its columns, env.json's L2 size and sweep record, the
    ceilings at both ends): every target gets a row, the run is no repeat of itself, and the emulated device's missing
    NVML shows as unrecorded clocks. The verdicts on times are the emulator's made-up ones; only that they are reached
    is checked."""
    out, _ = main_run
    script = [sys.executable, SCRIPTS / "check_targets.py", out]
    refused = subprocess.run(script, capture_output=True, text=True)
    assert refused.returncode == 2 and "--allow-emulated" in refused.stderr
    result = subprocess.run([*script, "--repeat", out, "--allow-emulated"], capture_output=True, text=True)
    assert result.returncode in (0, 1), result.stderr
    assert "**EMULATED**" in result.stdout
    table = [line.split(" | ") for line in result.stdout.splitlines() if line.startswith("| kernels |")
             or line.startswith("| medusa |") or line.startswith("| fidelity |")]  # fmt: skip
    assert len(table) == 12, result.stdout
    verdict = {cells[1]: cells[2] for cells in table}
    assert verdict["two sweeps of one build: ≥ 95 % of the points SAME (compare_runs.py)"] == "NOT MEASURED"
    assert "is the same run" in result.stdout
    assert verdict["the ceilings measured before and after the points: within 3 % of each other"] == "MET"
    assert "no measured bytes: run the sweep with --counters" in result.stdout
    assert verdict["every point's SM clock recorded, and clock_low (below 75 % of the maximum) decided"] == "MISSED"


def test_an_emulated_run_never_writes_under_results(bench_llama_emulated, models, tmp_path):
    target = tmp_path / "results" / "x"
    result = run(bench_llama_emulated, "--gpu", "0", "--model", models["tiny"], "--out", target)
    assert result.returncode == 2 and "never go under results/" in result.stderr
    assert not (tmp_path / "results").exists()
    # Without --out, the folder goes to emulated/<device>/<date>_<commit>/ in the working directory.
    result = run(bench_llama_emulated, "--gpu", "0", "--model", models["tiny"], "--ops", "q_proj", "--phase", "ar",
                 "--batch", "1", "--seq", "64", "--impl", "cublas", "--repetitions", "3", "--no-plot",
                 cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    folders = [p.parent for p in tmp_path.glob("emulated/*/*/roofline.csv")]
    assert len(folders) == 1 and not (tmp_path / "results").exists()


def test_counters_are_refused_plainly(bench_llama_emulated, models, tmp_path):
    result = run(bench_llama_emulated, "--gpu", "0", "--model", models["tiny"], "--counters", "--out", tmp_path / "o")
    assert result.returncode == 2 and "--counters" in result.stderr and "leave it out" in result.stderr
    assert not (tmp_path / "o").exists()


def test_a_grid_of_every_phase_on_a_gqa_model_in_bf16_warm_with_a_named_variant(bench_llama_emulated, models,
                                                                                  tmp_path):  # fmt: skip
    sweep = ["--model", models["tiny_gqa"], "--phase", "all", "--candidates", "2,4", "--batch", "1,2", "--seq", "32,64",
             "--ops", "q_proj,down_proj,qk,pv", "--dtype", "bf16", "--l2", "warm"]  # fmt: skip
    result = run(bench_llama_emulated, "--gpu", "0", *sweep, "--impl", "hand,gemm_mma_64x64,cublas",
                 "--repetitions", "3", "--no-plot", "--out", tmp_path / "o")  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = pd.read_csv(tmp_path / "o" / "roofline.csv")
    measured = rows[rows["series"] != "ceiling"]
    plan = failure_paths.planned(bench_llama_emulated, *sweep)
    assert set(plan["phase"]) == {"init", "ar", "medusa"}
    for impl in ("hand", "gemm_mma_64x64", "cublas"):  # every point, each once, whether the variant takes it or not
        got = measured.loc[measured["impl"] == impl, ["op", "phase", "batch", "seq_len"]]
        assert len(got) == len(plan) and not got.assign(q=measured["candidates"]).duplicated().any(), impl
    named = measured[measured["impl"] == "gemm_mma_64x64"]
    assert (named.loc[named["status"] == "ok", "variant"] == "gemm_mma_64x64").all() and (named["status"] == "ok").any()
    assert named.loc[named["status"] == "skipped", "reason"].notna().all()  # the shapes it does not take say so
    # Rows in run order: the start ceilings, then each measurement's implementations in turn (a point the variant does
    # not take where the sweep passed it, not ahead of everything), then the end ceilings.
    passes = rows["ceiling_pass"].fillna("")
    assert [p for i, p in enumerate(passes) if i == 0 or p != passes.iloc[i - 1]] == ["start", "", "end"]
    impls = measured["impl"].tolist()
    turns = [impl for i, impl in enumerate(impls) if i == 0 or impl != impls[i - 1]]
    assert turns == ["hand", "gemm_mma_64x64", "cublas"] * (len(turns) // 3), turns[:9]
    assert set(measured.loc[measured["impl"] != "gemm_mma_64x64", "status"]) == {"ok"}
    assert set(measured["dtype"]) == {"bf16"} and set(rows["l2_mode"]) == {"warm"}
    assert set(measured.loc[measured["phase"] == "medusa", "candidates"].astype(int)) == {2, 4}
    # Short warm points are timed as one CUDA graph of back-to-back launches: captured and replayed, never falling back.
    assert (measured["launches_per_sample"] > 1).any()
    assert not measured["reason"].astype(str).str.contains("graph capture failed").any()
    cublas = measured[measured["impl"] == "cublas"]
    assert cublas["time_us_median"].to_numpy() == pytest.approx(emulated_cublas_us(cublas).to_numpy(), rel=1e-5)


def test_too_little_device_memory_skips_the_point_and_says_why(bench_llama_emulated, tmp_path):
    # Llama 7B's q_proj weights are 32 MiB: above what a 530 MiB device has beside bench_llama's 512 MiB of headroom.
    result = run(bench_llama_emulated, "--gpu", "0", "--model", "llama-7b", "--ops", "q_proj", "--phase", "ar",
                 "--batch", "1", "--seq", "64", "--repetitions", "3", "--no-plot", "--out", tmp_path / "o",
                 env={"CUDA_EMU_MEMORY_MIB": "530"})  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = pd.read_csv(tmp_path / "o" / "roofline.csv")
    q = rows[rows["op"] == "q_proj"]
    assert len(q) == 2 and set(q["status"]) == {"skipped"}
    assert q["reason"].str.contains("does not fit").all() and q["reason"].str.contains("headroom").all()
    assert set(rows.loc[rows["series"] == "ceiling", "status"]) == {"ok"}


def test_gpu_all_measures_each_device_into_its_own_folder(bench_llama_emulated, models, tmp_path):
    result = run(bench_llama_emulated, "--gpu", "all", "--model", models["tiny"], "--ops", "q_proj", "--phase", "ar",
                 "--batch", "1", "--seq", "64", "--impl", "cublas", "--repetitions", "3", "--no-plot",
                 cwd=tmp_path, env={"CUDA_EMU_DEVICES": "2"})  # fmt: skip
    assert result.returncode == 0, result.stderr
    folders = sorted(p.parent for p in tmp_path.glob("emulated/*/*/roofline.csv"))
    assert len(folders) == 2
    indices = {int(pd.read_csv(f / "roofline.csv")["gpu_index"].iloc[0]) for f in folders}
    assert indices == {0, 1}


@pytest.mark.parametrize(
    "check",
    [
        failure_paths.a_slightly_wrong_kernel_is_never_reported_ok,
        failure_paths.out_of_memory_skips_the_point_and_the_sweep_goes_on,
        failure_paths.a_kernel_fault_stops_the_run_and_keeps_every_earlier_row,
    ],
    ids=lambda f: f.__name__,
)
def test_failure_paths(check, bench_llama_emulated, models, tmp_path):
    check(bench_llama_emulated, tmp_path, model=["--model", models["tiny"]])


def test_sigint_keeps_every_finished_row(bench_llama_emulated, models, tmp_path):
    failure_paths.sigint_keeps_finished_rows_in_a_well_formed_file(
        bench_llama_emulated, tmp_path, model=["--model", models["tiny"]],
        long_sweep=["--phase", "init,ar", "--batch", "1,2,4", "--seq", "64,128"], repetitions=5,
    )  # fmt: skip


def test_bench_llama_never_links_the_emulator(bench_llama, bench_llama_emulated):
    def emulator_symbols(binary):
        symbols = subprocess.run(["nm", "-C", binary], capture_output=True, text=True, check=True).stdout
        return [line for line in symbols.splitlines() if "cuda_emu::" in line]

    assert emulator_symbols(bench_llama_emulated), "the check would see the emulator if it were linked"
    assert not emulator_symbols(bench_llama)
