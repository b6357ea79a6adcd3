#!/usr/bin/env python3
"""Draw the roofline figure of bench_llama result CSVs, in the style of the Medusa paper's
"Roofline Model (Llama 33B, A40)": log-log, operational intensity (FLOP/byte) against performance (FLOP/s), the
bandwidth diagonal and the compute roof as dashed lines with their values in the legend, the ridge as a vertical
dashed line, and the six series (qkv mlp, up/gate/down, qk/pv x init, ar) as markers of the figure's colours. Medusa
decoding steps (phase medusa) are drawn as the paper's sibling figures draw them: one colour family per series, a
shade per number of candidates q, and q in the legend ("qk/pv Medusa (# cand.: 16)").

Every number comes from the CSVs' columns (read by name): nothing about a GPU or a model is hard-coded.

    python3 scripts/plot_roofline.py results/.../roofline.csv --out roofline.png           # one run (.png or .svg)
    python3 scripts/plot_roofline.py RUN_A RUN_B --by driver_version --out drivers.png     # several runs in one figure
    python3 scripts/plot_roofline.py RUN --predicted predicted/a40/.../roofline.csv --out vs_predicted.png

Measured runs draw their measured roofs (dotted) beside the datasheet's (dashed); hand-written and cuBLAS points get
different markers; with several runs, each run gets its own markers and the legend says which is which. Predicted
runs (bench_llama --predict) draw each point twice: on the roof (x, the bound) and where the kernel model says hand's
kernel should land (o, "kernel model"; docs/kernel_model.md).
"""

from __future__ import annotations

import argparse
import re
import sys
from itertools import cycle
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from bench_llama_io import (  # noqa: E402
    ALLOW_EMULATED_HELP,
    RUN_COLUMNS,
    InputError,
    csv_path,
    is_emulated,
    read_csv,
    with_key_columns,
)
from matplotlib.ticker import FuncFormatter  # noqa: E402

# The reference figure's legend order; colours follow matplotlib's default cycle, as the figure does.
SERIES_ORDER = [
    ("qkv mlp", "init"),
    ("qkv mlp", "ar"),
    ("up/gate/down", "init"),
    ("up/gate/down", "ar"),
    ("qk/pv", "init"),
    ("qk/pv", "ar"),
]
SERIES_COLOURS = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown"]
# Medusa: a sequential colour family per series (none of them the six series' colours), light to dark as q grows.
MEDUSA_SERIES = ["qkv mlp", "up/gate/down", "qk/pv"]
MEDUSA_COLOURMAPS = {"qkv mlp": "GnBu", "up/gate/down": "RdPu", "qk/pv": "YlOrBr"}
IMPL_MARKERS = {"hand": "x", "roofline": "x", "cublas": "+"}
RUN_MARKERS = ["x", "+", "1", "2", "3", "4", "^", "v"]
PLOTTED_STATUSES = ("ok", "predicted")
# The kernel model's achieved point of a predicted row (docs/kernel_model.md): a second marker beside the bound.
MODEL_COLUMN = "achieved_tflops_predicted"
REQUIRED = [
    "schema_version", "series", "phase", "op", "impl", "dtype", "status", "intensity", "achieved_tflops",
    "peak_tflops_datasheet", "peak_gbps_datasheet", "model", "gpu_name",
]  # fmt: skip


def load(csv: Path, allow_emulated: bool = False) -> pd.DataFrame:
    return read_csv(csv_path(csv), REQUIRED, allow_emulated)


def si(value: float, _pos=None) -> str:
    """10e9 -> '10G', as on the reference figure's axes."""
    for factor, suffix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= factor:
            return f"{value / factor:g}{suffix}"
    return f"{value:g}"


def pretty_model(name: str) -> str:
    match = re.fullmatch(r"llama-(\d+)b", str(name))
    return f"Llama {match.group(1)}B" if match else str(name)


def pretty_gpu(name: str) -> str:
    return re.sub(r"^NVIDIA\s+(GeForce\s+)?", "", str(name))


def roofs_of(rows: pd.DataFrame, prefix: str) -> list[tuple[float, float]]:
    """Distinct (TFLOP/s, GB/s) pairs of the datasheet or measured roofs.

    Since schema version 3 a run's measured roofs are interpolated in time between its start and end ceilings, so each
    point carries its own pair: a run's are drawn as the pairs of its first and last point (one line when they are
    the same)."""
    flops, bw = f"peak_tflops_{prefix}", f"peak_gbps_{prefix}"
    if flops not in rows.columns or bw not in rows.columns:
        return []
    pairs = rows.dropna(subset=[flops, bw])
    if prefix == "measured" and "measured_at_s" in pairs.columns and pairs["measured_at_s"].notna().any():
        timed = pairs.dropna(subset=["measured_at_s"]).sort_values("measured_at_s")
        runs = timed.groupby("run_id", sort=False) if "run_id" in timed.columns else [("", timed)]
        pairs = pd.concat([run.iloc[[0, -1]] for _, run in runs])
    distinct = pairs[[flops, bw]].drop_duplicates()
    return [(float(f), float(b)) for f, b in distinct.itertuples(index=False)]


def label_runs(frames: list[pd.DataFrame], by: str | None) -> list[str]:
    """A label per run: the values of --by, or of the first run column that tells them apart."""
    if len(frames) == 1:
        return [""]
    columns = [by] if by else [c for c in RUN_COLUMNS if c != "host"] + ["run_id"]
    for column in columns:
        if all(column in f.columns for f in frames):
            labels = [", ".join(sorted(f[column].dropna().astype(str).unique())) for f in frames]
            if len(set(labels)) == len(labels) or by:
                return [pretty_gpu(label) if column == "gpu_name" else label for label in labels]
    if by:
        raise InputError(f"--by {by}: not a column of every run")
    return [f"run {i + 1}" for i in range(len(frames))]


def medusa_shades(series: str, candidates: list[int]) -> dict[int, tuple]:
    """A colour per q of a Medusa series: shades of the series' family, light (fewest candidates) to dark."""
    cmap = matplotlib.colormaps[MEDUSA_COLOURMAPS[series]]
    steps = max(len(candidates) - 1, 1)
    return {q: cmap(0.45 + 0.55 * i / steps) for i, q in enumerate(candidates)}


def medusa_candidates(points: list[pd.DataFrame]) -> list[int]:
    """The q values of the medusa rows, in order."""
    values = set()
    for p in points:
        values |= set(p.loc[p["phase"] == "medusa", "candidates"].dropna().astype(int))
    return sorted(values)


def draw_hierarchical(ax, points: pd.DataFrame, colour: str) -> None:
    """Each point again at its measured DRAM intensity (filled circle) and L2 intensity (hollow), joined to it."""
    if not {"dram_bytes_measured", "l2_bytes_measured"} <= set(points.columns):
        return
    measured = points.dropna(subset=["dram_bytes_measured"])
    y = measured["achieved_tflops"] * 1e12
    dram_x = measured["flops"] / measured["dram_bytes_measured"]
    l2_x = measured["flops"] / measured["l2_bytes_measured"]
    ax.scatter(dram_x, y, marker="o", color=colour, s=10)
    ax.scatter(l2_x, y, marker="o", facecolors="none", edgecolors=colour, s=10)
    for x_l2, x_dram, y_val in zip(l2_x, dram_x, y):
        ax.plot([x_l2, x_dram], [y_val, y_val], color=colour, linewidth=0.5, alpha=0.5)


def model_points(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows that carry the kernel model's predicted achieved point (schema version 5, predicted rows)."""
    if MODEL_COLUMN not in rows.columns:
        return rows.iloc[0:0].assign(**{MODEL_COLUMN: pd.Series(dtype=float)})
    return rows[rows[MODEL_COLUMN].notna()]


def build_figure(df, dtype: str | None = None, title: str | None = None, by: str | None = None, predicted=None,
                 hierarchical: bool = False):  # fmt: skip
    """The figure for one or several runs (a DataFrame or a list of them) and one dtype. Returns (figure, axes).
    With `hierarchical`, points that carry measured bytes (--counters) are drawn again at their measured DRAM and
    L2 intensities."""
    frames = [with_key_columns(f) for f in (df if isinstance(df, list) else [df])]  # older versions lack some
    labels = label_runs(frames, by)
    points = [f[(f["series"] != "ceiling") & f["status"].isin(PLOTTED_STATUSES)] for f in frames]
    if all(p.empty for p in points):
        raise InputError("no plottable rows (status ok or predicted); check the run's log for why every point failed")
    dtypes = sorted(set().union(*(set(p["dtype"].dropna()) for p in points)))
    dtype = dtype or dtypes[0]
    if dtype not in dtypes:
        raise InputError(f"no rows of dtype {dtype}; these CSVs have {', '.join(dtypes)}")
    points = [p[p["dtype"] == dtype] for p in points]
    rows = pd.concat([f[f["dtype"] == dtype] for f in frames])
    datasheet, measured = roofs_of(rows, "datasheet"), roofs_of(rows, "measured")
    if not datasheet and not measured:
        raise InputError("the CSV has no roofs (peak_tflops_datasheet/peak_gbps_datasheet or measured ones)")

    fig, ax = plt.subplots(figsize=(8, 6), dpi=150)
    everything = pd.concat(points)
    x_lo = min(everything["intensity"].min() * 0.6, 0.6)
    x_hi = max(everything["intensity"].max() * 2.0, 1e4)
    xs = [x_lo, x_hi]

    def draw_roof(flops_t: float, bw_g: float, style: str, tag: str) -> None:
        # The full diagonal, as on the reference figure; the axes' limits clip it.
        ax.plot(xs, [x * bw_g * 1e9 for x in xs], linestyle=style, color="tab:blue", label=f"{bw_g:.4g}GB/s{tag}")
        ax.axhline(flops_t * 1e12, linestyle=style, color="tab:red", label=f"{flops_t:.4g} TFLOP/s{tag}")
        ax.axvline(flops_t * 1e12 / (bw_g * 1e9), linestyle=style, color="tab:green", alpha=0.8)

    for flops_t, bw_g in datasheet:
        draw_roof(flops_t, bw_g, "--", "")
    for flops_t, bw_g in measured:
        draw_roof(flops_t, bw_g, ":", " (measured)")

    if predicted is not None:
        pred = predicted[(predicted["status"] == "predicted") & (predicted["dtype"] == dtype)]
        ax.scatter(pred["intensity"], pred["achieved_tflops"] * 1e12, marker="o", facecolors="none",
                   edgecolors="0.6", s=18, label="predicted")  # fmt: skip
        achieved = model_points(pred)
        if not achieved.empty:
            ax.scatter(achieved["intensity"], achieved[MODEL_COLUMN] * 1e12, marker="s", facecolors="none",
                       edgecolors="0.6", s=10, linewidths=0.6, label="predicted (kernel model)")  # fmt: skip

    impls = sorted(set(everything["impl"].dropna()))
    markers = cycle(RUN_MARKERS)
    run_markers = {(i, impl): (IMPL_MARKERS.get(impl, "x") if len(frames) == 1 else next(markers))
                   for i in range(len(frames)) for impl in impls}  # fmt: skip
    # The six series of the reference figure, then the Medusa series: (series, phase, q, legend name, colour) each.
    groups = [(series, phase, None, f"{series} {phase}", colour)
              for (series, phase), colour in zip(SERIES_ORDER, SERIES_COLOURS)]  # fmt: skip
    candidates = medusa_candidates(points)
    for series in MEDUSA_SERIES:
        for q, colour in medusa_shades(series, candidates).items():
            groups.append((series, "medusa", q, f"{series} Medusa (# cand.: {q})", colour))
    drawn, modeled = 0, False
    for series, phase, q, name, colour in groups:
        for i, (p, run_label) in enumerate(zip(points, labels)):
            for impl in impls:
                chosen = (p["series"] == series) & (p["phase"] == phase) & (p["impl"] == impl)
                sel = p[chosen & (p["candidates"] == q)] if q is not None else p[chosen]
                if sel.empty:
                    continue
                label = name + (f" ({impl})" if len(impls) > 1 else "")
                label += f" [{run_label}]" if run_label else ""
                ax.scatter(sel["intensity"], sel["achieved_tflops"] * 1e12, marker=run_markers[(i, impl)],
                           color=colour, label=label, linewidths=1.0)  # fmt: skip
                drawn += 1
                achieved = model_points(sel)
                if not achieved.empty:  # a --predict run: where hand's kernel should land, beside the bound
                    ax.scatter(achieved["intensity"], achieved[MODEL_COLUMN] * 1e12, marker="o", facecolors="none",
                               edgecolors=colour, s=14, linewidths=0.8)  # fmt: skip
                    modeled = True
                if hierarchical:
                    draw_hierarchical(ax, sel, colour)

    if modeled:  # one legend entry for the second marker: each series' colour says whose point it is
        ax.scatter([], [], marker="o", facecolors="none", edgecolors="0.3", label="kernel model: hand's kernel")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(x_lo, x_hi)
    top = max([f for f, _ in datasheet + measured])
    lowest = min(everything["achieved_tflops"].min(), model_points(everything)[MODEL_COLUMN].min(skipna=True))
    ax.set_ylim(min(lowest * 1e12 * 0.5, 1e10), top * 1e12 * 3)
    ax.xaxis.set_major_formatter(FuncFormatter(si))
    ax.yaxis.set_major_formatter(FuncFormatter(si))
    ax.set_xlabel("Operational Intensity (FLOP/Byte)")
    ax.set_ylabel("Performance (FLOP/s)")
    models = " vs ".join(dict.fromkeys(pretty_model(m) for m in everything["model"].dropna()))
    gpus = " vs ".join(dict.fromkeys(pretty_gpu(g) for g in everything["gpu_name"].dropna()))
    ax.set_title(title or f"Roofline Model ({models}, {gpus})")
    ax.grid(True, which="major", alpha=0.3)
    if any(is_emulated(f) for f in frames):  # drawn only when asked for (--allow-emulated), and then said on its face
        ax.text(0.5, 0.5, "EMULATED\nnot a measurement", transform=ax.transAxes, ha="center", va="center",
                fontsize=40, color="tab:red", alpha=0.25, rotation=30)  # fmt: skip
    if candidates:  # the Medusa series add a legend entry per q: two columns, smaller text
        ax.legend(loc="lower right", fontsize=5.5, ncol=2 if drawn > 12 else 1)
    else:
        ax.legend(loc="lower right", fontsize=7 if len(frames) > 1 else 8)
    fig.tight_layout()
    return fig, ax


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", type=Path, nargs="+", help="roofline.csv files or result folders written by bench_llama")
    parser.add_argument("--out", type=Path, required=True, help="output image; .png or .svg")
    parser.add_argument("--dtype", help="which dtype to draw (default: the first in the files)")
    parser.add_argument("--title", help="figure title (default: 'Roofline Model (<model>, <gpu>)')")
    parser.add_argument("--by", help="with several runs: the column that labels them (default: the first run column "
                        "that differs, e.g. driver_version or gpu_name)")  # fmt: skip
    parser.add_argument("--predicted", type=Path, help="a bench_llama --predict CSV to draw behind the points")
    parser.add_argument("--hierarchical", action="store_true",
                        help="also draw each point at its measured DRAM (filled) and L2 (hollow) intensity (needs a "
                        "run with --counters)")  # fmt: skip
    parser.add_argument("--allow-emulated", action="store_true", help=ALLOW_EMULATED_HELP)
    args = parser.parse_args(argv)
    if args.out.suffix.lower() not in (".png", ".svg"):
        print(f"plot_roofline: --out {args.out}: use a .png or .svg file name", file=sys.stderr)
        return 2
    try:
        frames = [load(c, args.allow_emulated) for c in args.csv]
        predicted = load(args.predicted, args.allow_emulated) if args.predicted else None
        fig, _ = build_figure(frames, dtype=args.dtype, title=args.title, by=args.by, predicted=predicted,
                              hierarchical=args.hierarchical)  # fmt: skip
    except InputError as err:
        print(f"plot_roofline: {err}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
