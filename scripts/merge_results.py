#!/usr/bin/env python3
"""Merge many bench_llama result folders (several GPUs, nodes, drivers) into one tidy CSV.

    python3 scripts/merge_results.py results/*/* --out merged.csv [--samples-out merged_samples.csv]

Every roofline.csv must have a schema version these scripts read (1 to 5); another is refused with the folder named.
Versions mix: rows keep their schema_version, and older rows (and samples) get the newer key columns: version 2's
`candidates` (1 for ar, empty for init) and version 3's `ceiling_pass` (start on ceiling rows). Rows keep all their
columns (the run columns tell the runs apart); a `source` column names the folder each came from.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from bench_llama_io import ALLOW_EMULATED_HELP, InputError, csv_path, load_run


def merge(sources: list[Path], allow_emulated: bool = False) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    rows, samples = [], []
    for source in sources:
        df, sample_df, _ = load_run(source, allow_emulated=allow_emulated)
        rows.append(df.assign(source=str(csv_path(source).parent)))
        if sample_df is not None:
            samples.append(sample_df.assign(source=str(csv_path(source).parent)))
    if not rows:
        raise InputError("no result folders given")
    return pd.concat(rows, ignore_index=True), (pd.concat(samples, ignore_index=True) if samples else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", type=Path, nargs="+", help="result folders or roofline.csv files")
    parser.add_argument("--out", type=Path, required=True, help="the merged CSV")
    parser.add_argument("--samples-out", type=Path, help="also merge the samples.csv files into this CSV")
    parser.add_argument("--allow-emulated", action="store_true", help=ALLOW_EMULATED_HELP)
    args = parser.parse_args(argv)
    try:
        rows, samples = merge(args.sources, args.allow_emulated)
    except InputError as err:
        print(f"merge_results: {err}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    rows.to_csv(args.out, index=False)
    if args.samples_out and samples is not None:
        samples.to_csv(args.samples_out, index=False)
    runs = rows["run_id"].nunique() if "run_id" in rows else len(args.sources)
    print(f"merged {len(rows)} rows of {runs} run(s) from {len(args.sources)} source(s) into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
