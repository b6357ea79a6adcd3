"""bench_llama end to end, as a user calls it, on any machine: --predict writes the reference figure's points with
the paper's accounting, and every kind of bad usage exits 2 with a message that names the fix."""

from __future__ import annotations

import json
import os
import subprocess

import pandas as pd
import pytest
from conftest import ROOT


def run(binary, *args, cwd=None, env=None):
    return subprocess.run([binary, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


@pytest.fixture(scope="module")
def predicted(bench_llama, tmp_path_factory):
    out = tmp_path_factory.mktemp("predict") / "a40"
    env = dict(os.environ, BENCH_LLAMA_PYTHON=os.environ.get("BENCH_LLAMA_PYTHON", "python3"))
    result = run(bench_llama, "--predict", "--spec", "a40", "--out", out, env=env)
    assert result.returncode == 0, result.stderr
    return out


def test_predict_writes_49_points_per_operator_and_phase(predicted):
    df = pd.read_csv(predicted / "roofline.csv")  # no options: the notebook contract
    assert len(df) == 2 * 9 * 49
    counts = df.groupby(["op", "phase"]).size()
    assert len(counts) == 18 and (counts == 49).all()
    assert set(df["status"]) == {"predicted"}
    assert set(df["series"]) == {"qkv mlp", "up/gate/down", "qk/pv"}
    assert (df["gpu_name"] == "NVIDIA A40").all() and (df["model"] == "llama-33b").all()


def test_predict_uses_the_papers_accounting(predicted):
    df = pd.read_csv(predicted / "roofline.csv")
    h, n, i = 6656, 52, 17920
    b, s = df["batch"], df["seq_len"]
    t = b.where(df["phase"] == "ar", b * s)
    linear_qkvo = df["op"].isin(["q_proj", "k_proj", "v_proj", "o_proj"])
    linear_ffn = df["op"].isin(["gate_proj", "up_proj", "down_proj"])
    attn_init = df["op"].isin(["qk", "pv"]) & (df["phase"] == "init")
    attn_ar = df["op"].isin(["qk", "pv"]) & (df["phase"] == "ar")
    flops = (2 * t * h * h).where(linear_qkvo, 0) + (2 * t * h * i).where(linear_ffn, 0)
    flops += (2 * b * s * s * h).where(attn_init, 0) + (2 * b * s * h).where(attn_ar, 0)
    bytes_min = (2 * (2 * t * h + h * h)).where(linear_qkvo, 0) + (2 * (t * h + h * i + t * i)).where(linear_ffn, 0)
    bytes_min += (2 * (2 * b * s * h + b * n * s * s)).where(attn_init, 0)
    bytes_min += (2 * (b * h + b * s * h + b * n * s)).where(attn_ar, 0)
    assert (df["flops"] == flops).all()
    assert (df["bytes_min"] == bytes_min).all()
    assert df["intensity"].to_numpy() == pytest.approx((df["flops"] / df["bytes_min"]).to_numpy())
    # On the A40 roof: min(149.7 TFLOP/s, intensity * 696 GB/s), ridge 215.1 FLOP/B.
    assert df["achieved_tflops"].to_numpy() == pytest.approx((df["intensity"] * 0.696).clip(upper=149.7).to_numpy())
    assert ((df["intensity"] < 215.1) == (df["bound"] == "memory")).all()


def test_predict_writes_env_json_and_the_plot(predicted):
    env = json.loads((predicted / "env.json").read_text())
    assert env["mode"] == "predict" and env["spec"]["name"] == "a40" and env["points"] == 882
    assert env["model"]["hidden_size"] == 6656
    png = predicted / "roofline.png"
    if "BENCH_LLAMA_PYTHON" not in os.environ and not png.exists():
        pytest.skip("BENCH_LLAMA_PYTHON names no python with matplotlib for the plot; tools/run_tests.sh sets it")
    assert png.stat().st_size > 10_000


def test_the_plot_is_drawn_with_the_projects_environment_by_default(bench_llama, tmp_path):
    """Run by hand after tools/run_main.sh (no BENCH_LLAMA_PYTHON), bench_llama draws with the .venv that setup made,
    not with a system python3 that lacks matplotlib (here a stand-in that always fails)."""
    if not (ROOT / ".venv" / "bin" / "python").exists():
        pytest.skip("no .venv in the source tree; tools/setup.sh makes it")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3").write_text("#!/bin/sh\necho 'no matplotlib here' >&2\nexit 1\n")
    (fake / "python3").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "BENCH_LLAMA_PYTHON"}
    env["PATH"] = f"{fake}{os.pathsep}{env.get('PATH', '')}"
    out = tmp_path / "run"
    result = run(bench_llama, "--predict", "--spec", "a40", "--batch", "1", "--out", out, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert (out / "roofline.png").stat().st_size > 10_000, result.stderr


@pytest.fixture(scope="module")
def predicted_medusa(bench_llama, tmp_path_factory):
    """The paper's sibling figure: Llama 33B on an A100 80GB PCIe, with Medusa steps of 16 ... 112 candidates."""
    out = tmp_path_factory.mktemp("predict") / "medusa"
    env = dict(os.environ, BENCH_LLAMA_PYTHON=os.environ.get("BENCH_LLAMA_PYTHON", "python3"))
    result = run(bench_llama, "--predict", "--spec", "a100-pcie-80gb", "--phase", "medusa", "--out", out, env=env)
    assert result.returncode == 0, result.stderr
    return out


def medusa_closed_forms(df, h, n, kv, d, i):
    """DESIGN.md section 2's medusa table, in pandas: (flops, bytes_min) per row."""
    b, s, q = df["batch"], df["seq_len"], df["candidates"]
    t = b * q
    qo = df["op"].isin(["q_proj", "o_proj"])
    kvp = df["op"].isin(["k_proj", "v_proj"])
    ffn = df["op"].isin(["gate_proj", "up_proj", "down_proj"])
    attn = df["op"].isin(["qk", "pv"])
    flops = (2 * t * h * n * d).where(qo, 0) + (2 * t * h * kv * d).where(kvp, 0) + (2 * t * h * i).where(ffn, 0)
    flops += (2 * b * q * s * n * d).where(attn, 0)
    nbytes = (2 * (t * h + h * n * d + t * n * d)).where(qo, 0) + (2 * (t * h + h * kv * d + t * kv * d)).where(kvp, 0)
    nbytes += (2 * (t * h + h * i + t * i)).where(ffn, 0) + (
        2 * (b * q * n * d + b * s * kv * d + b * n * q * s)
    ).where(attn, 0)
    return flops, nbytes


def test_predict_medusa_writes_the_default_candidates_times_49_settings(predicted_medusa):
    df = pd.read_csv(predicted_medusa / "roofline.csv")
    assert len(df) == 9 * 49 * 7
    assert set(df["phase"]) == {"medusa"} and set(df["schema_version"]) == {5}
    assert sorted(df["candidates"].unique()) == [16, 32, 48, 64, 80, 96, 112]
    counts = df.groupby(["op", "candidates"]).size()
    assert len(counts) == 9 * 7 and (counts == 49).all()
    assert (df["gpu_name"] == "NVIDIA A100 80GB PCIe").all()
    env = json.loads((predicted_medusa / "env.json").read_text())
    assert env["schema_version"] == 5 and env["points"] == 9 * 49 * 7


def test_predict_medusa_uses_the_papers_accounting(predicted_medusa):
    df = pd.read_csv(predicted_medusa / "roofline.csv")
    flops, nbytes = medusa_closed_forms(df, h=6656, n=52, kv=52, d=128, i=17920)
    assert (df["flops"] == flops).all() and (df["bytes_min"] == nbytes).all()
    linear = ~df["op"].isin(["qk", "pv"])
    assert (df.loc[linear, "m"] == df.loc[linear, "batch"] * df.loc[linear, "candidates"]).all()
    assert (df.loc[~linear, "m"] == df.loc[~linear, "candidates"]).all()
    # On the A100 80GB PCIe roof: min(312 TFLOP/s, intensity * 1935 GB/s), ridge 161.2 FLOP/B.
    assert df["achieved_tflops"].to_numpy() == pytest.approx((df["intensity"] * 1.935).clip(upper=312).to_numpy())
    assert ((df["intensity"] < 312 / 1.935) == (df["bound"] == "memory")).all()
    # Attention stays memory bound at every q; the linears cross the ridge once b*q is about 161.
    assert (df.loc[~linear, "bound"] == "memory").all()
    assert set(df.loc[linear & (df["batch"] * df["candidates"] >= 256), "bound"]) == {"compute"}


def test_predict_medusa_draws_the_papers_sibling_figure(predicted_medusa):
    png = predicted_medusa / "roofline.png"
    if "BENCH_LLAMA_PYTHON" not in os.environ and not png.exists():
        pytest.skip("BENCH_LLAMA_PYTHON names no python with matplotlib for the plot; tools/run_tests.sh sets it")
    assert png.stat().st_size > 10_000


def test_predict_all_phases_and_the_candidates_column(bench_llama, tmp_path):
    out = tmp_path / "all"
    result = run(bench_llama, "--predict", "--spec", "h100-sxm", "--phase", "all", "--candidates", "1,24", "--out", out,
                 "--no-plot")  # fmt: skip
    assert result.returncode == 0, result.stderr
    df = pd.read_csv(out / "roofline.csv")
    assert df.groupby("phase").size().to_dict() == {"init": 9 * 49, "ar": 9 * 49, "medusa": 9 * 49 * 2}
    assert df.loc[df["phase"] == "init", "candidates"].isna().all()
    assert (df.loc[df["phase"] == "ar", "candidates"] == 1).all()
    assert sorted(df.loc[df["phase"] == "medusa", "candidates"].unique()) == [1, 24]
    # q = 1 is exactly ar, row for row: every column but phase.
    keys = ["op", "batch", "seq_len"]
    ar = df[df["phase"] == "ar"].set_index(keys).sort_index()
    one = df[(df["phase"] == "medusa") & (df["candidates"] == 1)].set_index(keys).sort_index()
    assert len(ar) == len(one) == 9 * 49
    pd.testing.assert_frame_equal(ar.drop(columns="phase"), one.drop(columns="phase"))
    # The default sweep stays init and ar.
    default = run(bench_llama, "--list")
    assert "# 882 points" in default.stdout and " medusa " not in default.stdout


def test_predict_medusa_for_a_grouped_query_model(bench_llama, tmp_path):
    cfg = tmp_path / "llama2-70b.json"
    cfg.write_text(json.dumps({"hidden_size": 8192, "num_attention_heads": 64, "num_key_value_heads": 8,
                               "intermediate_size": 28672, "_name_or_path": "llama-2-70b"}))  # fmt: skip
    out = tmp_path / "gqa"
    result = run(bench_llama, "--predict", "--spec", "h100-sxm", "--model", cfg, "--phase", "medusa", "--batch", "1,4",
                 "--seq", "512,4096", "--candidates", "16,48,112", "--out", out, "--no-plot")  # fmt: skip
    assert result.returncode == 0, result.stderr
    df = pd.read_csv(out / "roofline.csv")
    assert len(df) == 9 * 2 * 2 * 3
    flops, nbytes = medusa_closed_forms(df, h=8192, n=64, kv=8, d=128, i=28672)
    assert (df["flops"] == flops).all() and (df["bytes_min"] == nbytes).all()


def test_list_medusa(bench_llama):
    listing = run(bench_llama, "--list", "--quick", "--phase", "medusa", "--ops", "qk,q_proj")
    assert listing.returncode == 0, listing.stderr
    # 2 ops x 2 b x 2 s x 2 q; q_proj does not depend on s: 8 qk problems and 4 q_proj ones (b*q = 16, 64, 256, 1024).
    assert "# 16 points of llama-33b, 12 distinct measurements" in listing.stdout
    lines = [line.split() for line in listing.stdout.splitlines()[2:]]
    assert {line[4] for line in lines} == {"16", "64"} and {line[1] for line in lines} == {"medusa"}
    qk = [line for line in lines if line[0] == "qk" and line[2] == "16" and line[3] == "4096" and line[4] == "64"]
    assert len(qk) == 1 and qk[0][6] == "64x4096x128" and qk[0][7] == str(16 * 52)
    ar = run(bench_llama, "--list", "--quick", "--phase", "ar", "--ops", "qk").stdout.splitlines()[2].split()
    assert ar[1] == "ar" and ar[4] == "1"


def test_no_gpu_exits_3_and_suggests_predict(bench_llama):
    if run("nvidia-smi").returncode == 0 if _has("nvidia-smi") else False:
        pytest.skip("this machine has a GPU")
    result = run(bench_llama, "--gpu", "0")
    assert result.returncode == 3
    assert "no CUDA device found" in result.stderr and "--predict" in result.stderr


def _has(tool):
    return any(os.access(os.path.join(p, tool), os.X_OK) for p in os.environ.get("PATH", "").split(os.pathsep))


@pytest.mark.parametrize(
    "args, message",
    [
        (["--batch", "0"], "at least 1"),
        (["--seq", "abc"], "not a whole number"),
        (["--phase", "prefill"], "use init, ar"),
        (["--candidates", "16", "--phase", "ar"], "add medusa to --phase"),
        (["--model", "llama-34b"], "llama-33b"),
        (["--model", "/nonexistent/config.json"], "cannot read model config"),
        (["--predict"], "--spec"),
        (["--spec", "a41"], "use one of"),
        (["--wat"], "unknown option"),
        (["--allow-variants", "triton"], "not a hand-written variant"),
        (["--impl", "gemm_mma_128x128", "--allow-variants", "gemm_mma_64x64"], "which --allow-variants leaves out"),
    ],
)
def test_bad_usage_exits_2_with_the_fix(bench_llama, args, message):
    result = run(bench_llama, *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert result.stderr.count("\n") == 1, "one message, one line"


def test_bad_config_file_exits_2(bench_llama, tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text('{"hidden_size": 4096, "num_attention_heads": 32, "num_key_value_heads": 5, "intermediate_size": 1}')
    result = run(bench_llama, "--model", cfg, "--list")
    assert result.returncode == 2 and "must divide num_attention_heads" in result.stderr


def test_unwritable_out_exits_2_and_leaves_nothing(bench_llama, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run(bench_llama, "--predict", "--spec", "a40", "--out", blocker / "sub")
    assert result.returncode == 2 and "--out" in result.stderr
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "roofline.csv").write_text("x\n")
    result = run(bench_llama, "--predict", "--spec", "a40", "--out", occupied)
    assert result.returncode == 2 and "already holds files" in result.stderr
    assert (occupied / "roofline.csv").read_text() == "x\n"


def test_list_help_schema_and_specs(bench_llama, tmp_path):
    listing = run(bench_llama, "--list", "--quick", "--ops", "qk")
    assert listing.returncode == 0 and "# 8 points of llama-33b, 8 distinct measurements" in listing.stdout
    help_text = run(bench_llama, "--help")
    assert help_text.returncode == 0 and "--benchmark_filter" in help_text.stdout
    assert "--candidates LIST" in help_text.stdout and "medusa" in help_text.stdout and "or all" in help_text.stdout
    schema = run(bench_llama, "--schema")
    assert schema.stdout in (ROOT / "docs" / "csv_columns.md").read_text()
    specs = run(bench_llama, "--spec", "list")
    assert "a40" in specs.stdout and "h100-sxm" in specs.stdout


def test_gqa_config_file(bench_llama, tmp_path):
    cfg = tmp_path / "llama2-70b.json"
    cfg.write_text(json.dumps({"hidden_size": 8192, "num_attention_heads": 64, "num_key_value_heads": 8,
                               "intermediate_size": 28672, "_name_or_path": "llama-2-70b"}))  # fmt: skip
    out = tmp_path / "out"
    result = run(bench_llama, "--predict", "--spec", "h100-sxm", "--model", cfg, "--out", out, "--no-plot")
    assert result.returncode == 0, result.stderr
    df = pd.read_csv(out / "roofline.csv")
    k_proj = df[(df["op"] == "k_proj") & (df["phase"] == "init")].iloc[0]
    assert k_proj["n"] == 8 * 128
    assert (df["model"] == "llama-2-70b").all()


def variant_table(bench_llama, *args):
    result = run(bench_llama, "--list-variants", *args)
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line and not line.startswith("#")]
    assert rows[0] == ["variant", "min_sm", "max_sm", "allowed", "rank"], rows[0]
    ranks = [int(rank) for *_, rank in rows[1:]]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks), "in rank order, each rank once"
    return {name: (min_sm, max_sm, allowed) for name, min_sm, max_sm, allowed, _ in rows[1:]}


def test_list_variants_prints_the_table_hand_picks_from_without_a_gpu(bench_llama):
    """The GPU runbook reads the variant names from here (one test process each), never from a list of its own."""
    table = variant_table(bench_llama)
    assert list(table)[:3] == ["gemv_mma_splitk", "gemv_mma_pipe", "gemv_mma_wide"]  # hand's order
    assert table["gemm_mma_64x64"] == ("80", "-", "yes") and table["gemm_wgmma_128x128"] == ("90", "90", "yes")
    assert all(allowed == "yes" for _, _, allowed in table.values())
    listed_in_help = run(bench_llama, "--help").stdout
    assert "--allow-variants" in listed_in_help and "--list-variants" in listed_in_help
    only = variant_table(bench_llama, "--allow-variants", "gemv_mma_splitk,gemm_mma_64x64")
    assert [name for name, (_, _, allowed) in only.items() if allowed == "yes"] == ["gemv_mma_splitk", "gemm_mma_64x64"]
    assert set(only) == set(table)
    assert all(allowed == "no" for _, _, allowed in variant_table(bench_llama, "--allow-variants", "none").values())
