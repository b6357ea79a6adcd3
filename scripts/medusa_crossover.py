#!/usr/bin/env python3
"""How many Medusa candidates q a decoding step needs before each series turns compute bound, per GPU: the q at which
it crosses the ridge, from `bench_llama --predict --phase medusa` result folders (one per GPU), as a Markdown table.

    B=build/release/bench/bench_llama
    for spec in a40 a100-pcie-80gb h100-sxm; do
      $B --predict --spec $spec --phase medusa --batch 1 --seq 8192 --candidates "$(seq -s, 1 1024)" \\
         --no-plot --quiet --out /tmp/medusa/$spec
    done
    python3 scripts/medusa_crossover.py /tmp/medusa/a40 /tmp/medusa/a100-pcie-80gb /tmp/medusa/h100-sxm

For each folder and series (qkv mlp, up/gate/down, qk/pv), the smallest q at which every operator of the series is
compute bound (the `bound` column bench_llama wrote), at one batch size and context length (--batch, default 1;
--seq, default the longest in the files). A series that never crosses within the q the folder holds is reported with
the highest intensity it reached. The intensities and bounds are bench_llama's; the ridge shown is the files' datasheet
peak over bandwidth.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from bench_llama_io import InputError, csv_path, read_csv

SERIES = ["qkv mlp", "up/gate/down", "qk/pv"]
REQUIRED = ["series", "op", "phase", "status", "batch", "seq_len", "candidates", "intensity", "bound",
            "peak_tflops_datasheet", "peak_gbps_datasheet", "spec"]  # fmt: skip


def medusa_rows(folder: Path, batch: int, seq: int | None) -> tuple[pd.DataFrame, int]:
    """The predicted medusa rows of one folder at (batch, seq); returns them and the seq chosen."""
    df = read_csv(csv_path(folder), REQUIRED)
    rows = df[(df["phase"] == "medusa") & (df["status"] == "predicted")]
    if rows.empty:
        raise InputError(f"{folder}: no predicted medusa rows; make it with bench_llama --predict --phase medusa")
    seq = int(rows["seq_len"].max()) if seq is None else seq
    rows = rows[(rows["batch"] == batch) & (rows["seq_len"] == seq)]
    if rows.empty:
        raise InputError(f"{folder}: no medusa rows at batch {batch} and seq_len {seq}; pass --batch and --seq")
    if rows["spec"].nunique() != 1:
        raise InputError(f"{folder}: rows of several specs; pass one bench_llama --predict folder per GPU")
    return rows, seq


def crossover(rows: pd.DataFrame) -> str:
    """The smallest q at which every operator of the series is compute bound, or how close the series got."""
    compute = rows.groupby("candidates")["bound"].apply(lambda bounds: (bounds == "compute").all())
    crossed = compute[compute]
    if not crossed.empty:
        return str(int(crossed.index.min()))
    top = int(rows["candidates"].max())
    reached = rows[rows["candidates"] == top]["intensity"].min()
    return f"never (at most {reached:.0f} FLOP/B, at q = {top})"


def table(folders: list[Path], batch: int = 1, seq: int | None = None) -> str:
    lines = ["| GPU (`--spec`) | ridge (FLOP/B) | " + " | ".join(SERIES) + " |", "|---|---|" + "---|" * len(SERIES)]
    searched = set()
    for folder in folders:
        rows, used_seq = medusa_rows(folder, batch, seq)
        seq = used_seq  # every folder at the same context length
        searched.add((int(rows["candidates"].min()), int(rows["candidates"].max())))
        first = rows.iloc[0]
        ridge = first["peak_tflops_datasheet"] * 1e12 / (first["peak_gbps_datasheet"] * 1e9)
        cells = []
        for series in SERIES:
            of_series = rows[rows["series"] == series]
            cells.append(crossover(of_series) if not of_series.empty else "not in the file")
        lines.append(f"| {first['spec']} | {ridge:.1f} | " + " | ".join(cells) + " |")
    span = ", ".join(f"{lo} to {hi}" for lo, hi in sorted(searched))
    lines += ["", f"*The smallest q (searched from {span}) at which every operator of the series is compute bound on "
              f"the datasheet roofs; b = {batch}, s = {seq} (the linears do not depend on s; qk/pv's intensity grows "
              "with s, so the longest context is its best case).*"]  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "folders", type=Path, nargs="+", help="bench_llama --predict --phase medusa folders, one per GPU"
    )
    parser.add_argument("--batch", type=int, default=1, help="batch size b of the rows to read (default 1)")
    parser.add_argument("--seq", type=int, help="context length s of the rows to read (default: the longest)")
    args = parser.parse_args(argv)
    try:
        sys.stdout.write(table(args.folders, args.batch, args.seq))
    except InputError as err:
        print(f"medusa_crossover: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
