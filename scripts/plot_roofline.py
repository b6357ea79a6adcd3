#!/usr/bin/env python3
"""Draw the roofline figure of a bench_llama result CSV, in the style of the Medusa paper's
"Roofline Model (Llama 33B, A40)": log-log, operational intensity (FLOP/byte) against performance (FLOP/s), the
bandwidth diagonal and the compute roof as dashed lines with their values in the legend, the ridge as a vertical
dashed line, and the six series (qkv mlp, up/gate/down, qk/pv x init, ar) as x markers.

Every number comes from the CSV's columns (read by name): nothing about the GPU or the model is hard-coded.

    python3 scripts/plot_roofline.py results/.../roofline.csv --out roofline.png   # or .svg
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

SCHEMA_VERSION = 1
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
IMPL_MARKERS = {"hand": "x", "roofline": "x", "cublas": "+"}
PLOTTED_STATUSES = ("ok", "predicted")
REQUIRED = [
    "schema_version",
    "series",
    "phase",
    "op",
    "impl",
    "dtype",
    "status",
    "intensity",
    "achieved_tflops",
    "peak_tflops_datasheet",
    "peak_gbps_datasheet",
    "model",
    "gpu_name",
]


class InputError(Exception):
    """A CSV this script cannot draw; the message names the fix."""


def load(csv_path: Path) -> pd.DataFrame:
    if not csv_path.is_file():
        raise InputError(f"{csv_path}: no such file; pass the roofline.csv of a result folder")
    try:
        df = pd.read_csv(csv_path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InputError(f"{csv_path}: not a readable CSV ({err})") from err
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise InputError(f"{csv_path}: missing columns {', '.join(missing)}; is this a bench_llama roofline.csv?")
    versions = set(df["schema_version"].dropna().astype(int))
    if versions - {SCHEMA_VERSION}:
        raise InputError(
            f"{csv_path}: schema version {sorted(versions)}, this script reads version {SCHEMA_VERSION}; "
            "use the scripts of the bench_llama that wrote it"
        )
    return df


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


def single_value(df: pd.DataFrame, column: str) -> float | None:
    values = df[column].dropna().unique() if column in df.columns else []
    if len(values) > 1:
        raise InputError(f"column {column} has several values {list(values)}; plot one run (or one dtype) at a time")
    return float(values[0]) if len(values) else None


def build_figure(df: pd.DataFrame, dtype: str | None = None, title: str | None = None):
    """The figure for one run and one dtype. Returns (figure, axes)."""
    points = df[(df["series"] != "ceiling") & df["status"].isin(PLOTTED_STATUSES)]
    if points.empty:
        raise InputError("no plottable rows (status ok or predicted); check the run's log for why every point failed")
    dtypes = sorted(points["dtype"].dropna().unique())
    dtype = dtype or dtypes[0]
    if dtype not in dtypes:
        raise InputError(f"no rows of dtype {dtype}; this CSV has {', '.join(dtypes)}")
    points = points[points["dtype"] == dtype]
    rows = df[df["dtype"] == dtype]

    peak_flops = single_value(rows, "peak_tflops_datasheet")
    peak_bw = single_value(rows, "peak_gbps_datasheet")
    measured_flops = single_value(rows, "peak_tflops_measured")
    measured_bw = single_value(rows, "peak_gbps_measured")
    if peak_flops is None or peak_bw is None:
        raise InputError("the CSV has no datasheet roofs (peak_tflops_datasheet, peak_gbps_datasheet)")

    fig, ax = plt.subplots(figsize=(8, 6), dpi=150)
    x_lo = min(points["intensity"].min() * 0.6, 0.6)
    x_hi = max(points["intensity"].max() * 2.0, 1e4)
    xs = [x_lo, x_hi]

    def draw_roof(flops_t: float, bw_g: float, style: str, tag: str) -> None:
        ridge = flops_t * 1e12 / (bw_g * 1e9)
        # The full diagonal, as on the reference figure; the axes' limits clip it.
        ax.plot(xs, [x * bw_g * 1e9 for x in xs], linestyle=style, color="tab:blue", label=f"{bw_g:g}GB/s{tag}")
        ax.axhline(flops_t * 1e12, linestyle=style, color="tab:red", label=f"{flops_t:g} TFLOP/s{tag}")
        ax.axvline(ridge, linestyle=style, color="tab:green", alpha=0.8)

    draw_roof(peak_flops, peak_bw, "--", "")
    if measured_flops and measured_bw:
        draw_roof(measured_flops, measured_bw, ":", " (measured)")

    impls = list(points["impl"].dropna().unique())
    for (series, phase), colour in zip(SERIES_ORDER, SERIES_COLOURS):
        for impl in impls:
            sel = points[(points["series"] == series) & (points["phase"] == phase) & (points["impl"] == impl)]
            if sel.empty:
                continue
            label = f"{series} {phase}" + (f" ({impl})" if len(impls) > 1 else "")
            ax.scatter(
                sel["intensity"],
                sel["achieved_tflops"] * 1e12,
                marker=IMPL_MARKERS.get(impl, "."),
                color=colour,
                label=label,
                linewidths=1.0,
            )

    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(x_lo, x_hi)
    y_lo = min(points["achieved_tflops"].min() * 1e12 * 0.5, 1e10)
    ax.set_ylim(y_lo, max(peak_flops, measured_flops or 0) * 1e12 * 3)
    ax.xaxis.set_major_formatter(FuncFormatter(si))
    ax.yaxis.set_major_formatter(FuncFormatter(si))
    ax.set_xlabel("Operational Intensity (FLOP/Byte)")
    ax.set_ylabel("Performance (FLOP/s)")
    model = pretty_model(points["model"].iloc[0])
    gpu = pretty_gpu(points["gpu_name"].iloc[0])
    ax.set_title(title or f"Roofline Model ({model}, {gpu})")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig, ax


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", type=Path, help="roofline.csv written by bench_llama")
    parser.add_argument("--out", type=Path, required=True, help="output image; .png or .svg")
    parser.add_argument("--dtype", help="which dtype to draw (default: the first in the file)")
    parser.add_argument("--title", help="figure title (default: 'Roofline Model (<model>, <gpu>)')")
    args = parser.parse_args(argv)
    if args.out.suffix.lower() not in (".png", ".svg"):
        print(f"plot_roofline: --out {args.out}: use a .png or .svg file name", file=sys.stderr)
        return 2
    try:
        fig, _ = build_figure(load(args.csv), dtype=args.dtype, title=args.title)
    except InputError as err:
        print(f"plot_roofline: {err}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
