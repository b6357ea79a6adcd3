"""scripts/plot_roofline.py on CSVs generated here: layout of the reference figure, roofs read from the file, and clear
errors for files it cannot draw."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import matplotlib
import pandas as pd
import pytest
from conftest import SCRIPTS

spec = importlib.util.spec_from_file_location("plot_roofline", SCRIPTS / "plot_roofline.py")
plot_roofline = importlib.util.module_from_spec(spec)
spec.loader.exec_module(plot_roofline)

SERIES = [("qkv mlp", "init"), ("qkv mlp", "ar"), ("up/gate/down", "init"), ("up/gate/down", "ar"),
          ("qk/pv", "init"), ("qk/pv", "ar")]  # fmt: skip


def make_csv(path, peak_tflops=149.7, peak_gbps=696.0, status="predicted", impls=("roofline",), gpu="NVIDIA A40"):
    rows = []
    for i, (series, phase) in enumerate(SERIES):
        for impl in impls:
            for j in range(3):
                intensity = 10.0 ** (i * 0.6 + j * 0.2)
                attainable = min(peak_tflops, intensity * peak_gbps / 1000)
                rows.append({
                    "schema_version": 1, "series": series, "phase": phase, "op": "x", "impl": impl,
                    "dtype": "fp16", "status": status, "intensity": intensity,
                    "achieved_tflops": attainable * 0.8, "peak_tflops_datasheet": peak_tflops,
                    "peak_gbps_datasheet": peak_gbps, "model": "llama-33b", "gpu_name": gpu,
                })  # fmt: skip
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_figure_has_the_reference_layout(tmp_path):
    fig, ax = plot_roofline.build_figure(plot_roofline.load(make_csv(tmp_path / "r.csv")))
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_title() == "Roofline Model (Llama 33B, A40)"
    assert ax.get_xlabel() == "Operational Intensity (FLOP/Byte)"
    assert ax.get_ylabel() == "Performance (FLOP/s)"
    texts = legend_texts(ax)
    assert texts[:2] == ["696GB/s", "149.7 TFLOP/s"]
    assert texts[2:] == [f"{s} {p}" for s, p in SERIES]
    assert ax.get_legend()._loc == 4  # lower right
    # The ridge: a vertical line at peak / bandwidth.
    vertical = [line for line in ax.get_lines() if len(set(line.get_xdata())) == 1]
    assert vertical and vertical[0].get_xdata()[0] == pytest.approx(149.7e12 / 696e9)
    # Series colours follow the reference figure (matplotlib's default cycle) and use x markers.
    for collection, colour in zip(ax.collections, plot_roofline.SERIES_COLOURS):
        assert tuple(collection.get_facecolor()[0][:3]) == pytest.approx(__import__("matplotlib").colors.to_rgb(colour))


def test_roofs_come_from_the_csv_not_the_code(tmp_path):
    fig, ax = plot_roofline.build_figure(
        plot_roofline.load(make_csv(tmp_path / "h.csv", 989.4, 3350, gpu="NVIDIA H100 80GB HBM3"))
    )
    assert legend_texts(ax)[:2] == ["3350GB/s", "989.4 TFLOP/s"]
    assert ax.get_title() == "Roofline Model (Llama 33B, H100 80GB HBM3)"


def test_measured_roofs_and_several_impls(tmp_path):
    path = make_csv(tmp_path / "m.csv", status="ok", impls=("hand", "cublas"))
    df = pd.read_csv(path)
    df["peak_tflops_measured"] = 140.0
    df["peak_gbps_measured"] = 650.0
    df.to_csv(path, index=False)
    fig, ax = plot_roofline.build_figure(plot_roofline.load(path))
    texts = legend_texts(ax)
    assert "650GB/s (measured)" in texts and "140 TFLOP/s (measured)" in texts
    assert "qk/pv ar (hand)" in texts and "qk/pv ar (cublas)" in texts


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_command_line_writes_the_image(tmp_path, suffix):
    out = tmp_path / f"fig{suffix}"
    result = subprocess.run([sys.executable, SCRIPTS / "plot_roofline.py", make_csv(tmp_path / "r.csv"), "--out", out],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 10_000


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda df: df.drop(columns=["intensity"]), "missing columns intensity"),
        (lambda df: df.assign(schema_version=6), "schema version"),
        (lambda df: df.assign(status="invalid"), "no plottable rows"),
    ],
)
def test_bad_csvs_fail_with_a_message(tmp_path, mutate, message):
    path = make_csv(tmp_path / "r.csv")
    mutate(pd.read_csv(path)).to_csv(path, index=False)
    result = subprocess.run([sys.executable, SCRIPTS / "plot_roofline.py", path, "--out", tmp_path / "x.png"],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 2
    assert message in result.stderr


def test_bad_output_name_and_missing_file(tmp_path):
    run = [sys.executable, SCRIPTS / "plot_roofline.py"]
    result = subprocess.run(
        [*run, make_csv(tmp_path / "r.csv"), "--out", tmp_path / "x.jpg"], capture_output=True, text=True
    )
    assert result.returncode == 2 and ".png or .svg" in result.stderr
    result = subprocess.run([*run, tmp_path / "none.csv", "--out", tmp_path / "x.png"], capture_output=True, text=True)
    assert result.returncode == 2 and "no such file" in result.stderr


def test_hierarchical_roofline_draws_measured_intensities(tmp_path):
    path = make_csv(tmp_path / "c.csv", status="ok")
    df = pd.read_csv(path)
    df["flops"] = df["intensity"] * 1e9
    df["dram_bytes_measured"] = 1e9 * 1.1  # 10 % more DRAM traffic than the minimum
    df["l2_bytes_measured"] = 1e9 * 3.0
    df.to_csv(path, index=False)
    fig, ax = plot_roofline.build_figure(plot_roofline.load(path), hierarchical=True)
    plain_fig, plain_ax = plot_roofline.build_figure(plot_roofline.load(path))
    assert len(ax.collections) == 3 * len(plain_ax.collections)  # each series: the point, its DRAM and L2 places
    xs = sorted(ax.collections[1].get_offsets()[:, 0])
    assert xs[0] == pytest.approx(df["flops"].iloc[0] / 1.1e9)


def medusa_csv(path, candidates=(16, 32, 48), with_six=False, gpu="NVIDIA A100 80GB PCIe"):
    """A predicted version-2 CSV with the three Medusa series at each q (and the six series too, if asked)."""
    rows = []
    for series in ("qkv mlp", "up/gate/down", "qk/pv"):
        for q in candidates:
            for j in range(2):
                intensity = q * (1.0 + j) * (0.5 if series == "qk/pv" else 1.0)
                rows.append({
                    "schema_version": 2, "series": series, "phase": "medusa", "op": "x", "impl": "roofline",
                    "dtype": "fp16", "status": "predicted", "intensity": intensity,
                    "achieved_tflops": min(312.0, intensity * 1.935), "peak_tflops_datasheet": 312.0,
                    "peak_gbps_datasheet": 1935.0, "model": "llama-33b", "gpu_name": gpu, "candidates": q,
                })  # fmt: skip
    df = pd.DataFrame(rows)
    if with_six:
        six = pd.read_csv(make_csv(path, 312.0, 1935.0, gpu=gpu)).assign(schema_version=2)
        six["candidates"] = six["phase"].map({"ar": 1})
        df = pd.concat([six, df], ignore_index=True)
    df.to_csv(path, index=False)
    return path


def test_medusa_series_are_drawn_the_papers_way(tmp_path):
    fig, ax = plot_roofline.build_figure(plot_roofline.load(medusa_csv(tmp_path / "m.csv")))
    assert ax.get_title() == "Roofline Model (Llama 33B, A100 80GB PCIe)"
    texts = legend_texts(ax)
    assert texts[:2] == ["1935GB/s", "312 TFLOP/s"]
    assert texts[2:] == [
        f"{s} Medusa (# cand.: {q})" for s in ("qkv mlp", "up/gate/down", "qk/pv") for q in (16, 32, 48)
    ]
    # One colour family per series, a shade per q: darker as q grows, and none of the six series' colours.
    colours = [tuple(c.get_facecolor()[0][:3]) for c in ax.collections]
    six = {matplotlib.colors.to_rgb(c) for c in plot_roofline.SERIES_COLOURS}
    assert len(set(colours)) == 9 and not set(colours) & six
    for k, series in enumerate(("qkv mlp", "up/gate/down", "qk/pv")):
        family = colours[3 * k : 3 * k + 3]
        brightness = [sum(c) for c in family]
        assert brightness == sorted(brightness, reverse=True), f"{series}: shades should darken as q grows"
        cmap = matplotlib.colormaps[plot_roofline.MEDUSA_COLOURMAPS[series]]
        assert family[0] == pytest.approx(cmap(0.45)[:3])


def test_medusa_next_to_the_six_series_keeps_their_look(tmp_path):
    fig, ax = plot_roofline.build_figure(plot_roofline.load(medusa_csv(tmp_path / "m.csv", (16, 112), with_six=True)))
    texts = legend_texts(ax)
    assert texts[2:8] == [f"{s} {p}" for s, p in SERIES]
    assert texts[8:] == [f"{s} Medusa (# cand.: {q})" for s in ("qkv mlp", "up/gate/down", "qk/pv") for q in (16, 112)]
    for collection, colour in zip(ax.collections[:6], plot_roofline.SERIES_COLOURS):
        assert tuple(collection.get_facecolor()[0][:3]) == pytest.approx(matplotlib.colors.to_rgb(colour))
        assert collection.get_paths()[0].vertices.tolist() == ax.collections[0].get_paths()[0].vertices.tolist()


def test_a_version_1_and_a_version_2_file_in_one_figure(tmp_path):
    v1 = plot_roofline.load(make_csv(tmp_path / "v1.csv", 312.0, 1935.0, gpu="NVIDIA A100 80GB PCIe"))
    assert "candidates" in v1.columns  # added on reading: 1 for ar, empty otherwise
    assert (
        set(v1.loc[v1["phase"] == "ar", "candidates"]) == {1}
        and v1.loc[v1["phase"] == "init", "candidates"].isna().all()
    )
    v2 = plot_roofline.load(medusa_csv(tmp_path / "v2.csv", (16,)))
    raw_v1 = pd.read_csv(tmp_path / "v1.csv")  # as a notebook passes it: no candidates column at all
    for frames in ([v1, v2], [raw_v1, pd.read_csv(tmp_path / "v2.csv")]):
        fig, ax = plot_roofline.build_figure(frames, by="schema_version")
        texts = legend_texts(ax)
        assert "qk/pv ar [1]" in texts and "qk/pv Medusa (# cand.: 16) [2]" in texts
    out = tmp_path / "mixed.png"
    cli = subprocess.run([sys.executable, SCRIPTS / "plot_roofline.py", tmp_path / "v1.csv", tmp_path / "v2.csv",
                          "--out", out], capture_output=True, text=True)  # fmt: skip
    assert cli.returncode == 0, cli.stderr


def test_predicted_runs_draw_the_kernel_models_points_as_a_second_marker(tmp_path):
    bound = pd.read_csv(make_csv(tmp_path / "bound.csv"))
    model = bound.assign(schema_version=5, achieved_tflops_predicted=bound["achieved_tflops"] * 0.5)
    model.loc[0, "achieved_tflops_predicted"] = None  # a point the model has no prediction for
    model.to_csv(tmp_path / "model.csv", index=False)
    _, ax = plot_roofline.build_figure(plot_roofline.load(tmp_path / "model.csv"))
    assert legend_texts(ax)[-1] == "kernel model: hand's kernel"
    hollow = [c for c in ax.collections if len(c.get_offsets()) and not len(c.get_facecolor())]
    drawn = sorted(y for c in hollow for _, y in c.get_offsets())
    assert drawn == pytest.approx(sorted(model["achieved_tflops_predicted"].dropna() * 1e12))
    # Bound-only files (older versions, measured runs) have no second marker.
    _, ax = plot_roofline.build_figure(plot_roofline.load(tmp_path / "bound.csv"))
    assert "kernel model: hand's kernel" not in legend_texts(ax)
