#!/usr/bin/env python3
"""Old against new hand-written variants, from a run that named them (`--impl v1,v2,...,cublas`, as the runbook's
comparison step does): for each pair measured at the same points (a kernel and its successor), where each one is the
faster and by how much, so that the ranks in kernels/variants.cu move on measured data and name the run that decided.

    python3 scripts/rank_variants.py results/h100-sxm/<date>_<commit>_old_vs_new

The earlier variant of a pair is the one the run named first (env.json's `sweep.impls`; the runbook names them in the
table's rank order), the "old". A pair's points are those where both have a row; at those ok for both: old time / new
time (> 1: the new one is faster), and the points where the new one is faster beyond --threshold, slower beyond it, or
within it. The verdict:
  INCORRECT       a variant of the pair failed (invalid or error) at one of the pair's points: not ranked on speed;
  NOT COMPARABLE  no point of the pair is ok for both;
  NEW FIRST       the new one is faster beyond the threshold somewhere and slower beyond it nowhere: move its rank
                  before the old one's;
  KEEP            the new one is faster beyond the threshold nowhere: the order stands;
  SPLIT           each is faster somewhere: the points say where, for the variants' suits() rules.
A pair ranked on speed gets the comment that belongs beside the rank, naming this run. Exit code: 0, or 2 for bad
input.
"""

from __future__ import annotations

import argparse
import sys
from itertools import combinations
from pathlib import Path

import pandas as pd
from bench_llama_io import ALLOW_EMULATED_HELP, SETTING_KEYS, InputError, key_frame, load_run

NOT_VARIANTS = {"hand", "cublas"}


def variant_order(rows: pd.DataFrame, env: dict) -> list[str]:
    """The variants in the order the run named them (first appearance in the rows when env.json has no record)."""
    named = (env.get("sweep") or {}).get("impls") or list(dict.fromkeys(rows["impl"]))
    return [v for v in named if v not in NOT_VARIANTS and v in set(rows["impl"])]


def pair_table(rows: pd.DataFrame, old: str, new: str) -> pd.DataFrame:
    """The points both variants measured ok: old and new times, and old / new (> 1: new faster)."""
    keyed = rows.assign(_key=point_keys(rows))
    ok = keyed[keyed["status"] == "ok"]
    a = ok[ok["impl"] == old][["_key", "op", "phase", "dtype", "batch", "seq_len", "candidates", "time_us_median"]]
    b = ok[ok["impl"] == new][["_key", "time_us_median"]]
    both = a.merge(b, on="_key", suffixes=("_old", "_new")).drop(columns="_key")
    both = both.rename(columns={"time_us_median_old": "old_us", "time_us_median_new": "new_us"})
    return both.assign(ratio=both["old_us"] / both["new_us"])


def point_keys(rows: pd.DataFrame) -> pd.Series:
    return key_frame(rows)[SETTING_KEYS].apply(tuple, axis=1)


def shared_points(rows: pd.DataFrame, old: str, new: str) -> set:
    """Points where both variants have a row, whatever its status: the pair competes there."""
    keys = point_keys(rows)
    return set(keys[rows["impl"] == old]) & set(keys[rows["impl"] == new])


def judge(rows: pd.DataFrame, old: str, new: str, threshold: float, source: str) -> dict:
    table = pair_table(rows, old, new)
    pair_points = shared_points(rows, old, new)
    shared = point_keys(rows).isin(pair_points)
    failed = {v: int((shared & (rows["impl"] == v) & rows["status"].isin(["invalid", "error"])).sum())
              for v in (old, new)}  # fmt: skip
    faster = table["ratio"] > 1 + threshold
    slower = table["ratio"] < 1 / (1 + threshold)
    if any(failed.values()):
        verdict = "INCORRECT"
    elif table.empty:
        verdict = "NOT COMPARABLE"
    elif not faster.any():
        verdict = "KEEP"
    elif not slower.any():
        verdict = "NEW FIRST"
    else:
        verdict = "SPLIT"
    median = table["ratio"].median() if len(table) else float("nan")
    comment = ""
    if verdict in ("NEW FIRST", "KEEP", "SPLIT"):
        comment = f"// measured: {new} faster than {old} at {int(faster.sum())} of {len(table)} points"
        comment += f" (median x{median:.2f}), {source}"
    return {"old": old, "new": new, "points": len(pair_points),
            "compared": len(table), "new_faster": int(faster.sum()), "new_slower": int(slower.sum()),
            "within": int(len(table) - faster.sum() - slower.sum()), "median_ratio": median,
            "min_ratio": table["ratio"].min(), "max_ratio": table["ratio"].max(), "failed_old": failed[old],
            "failed_new": failed[new], "verdict": verdict, "comment": comment, "table": table}  # fmt: skip


def rank(folder: Path, threshold: float, allow_emulated: bool = False) -> tuple[list[dict], list[str]]:
    rows, _, env = load_run(folder, ["status", "impl", "op", "phase", "time_us_median"], allow_emulated)
    order = variant_order(rows, env)
    if len(order) < 2:
        raise InputError(f"{folder}: {len(order)} named variant(s) ({', '.join(order) or 'none'}); measure old and new "
                         "side by side with --impl OLD,NEW,cublas (the runbook's compare step)")  # fmt: skip
    pairs = [judge(rows, old, new, threshold, str(folder)) for old, new in combinations(order, 2)
             if shared_points(rows, old, new)]  # fmt: skip
    return pairs, order


def markdown(pairs: list[dict], order: list[str], folder: Path, threshold: float, show_points: bool) -> str:
    out = [f"# Old against new variants: {folder}", "",
           f"Variants in the run's order (old first): {', '.join(order)}. ratio = old time / new time (> 1: new "
           f"faster); beyond {100 * threshold:.0f} % counts as faster or slower.", "",
           "| old | new | points | ok for both | new faster | new slower | within | median ratio | min | max | "
           "failed (old, new) | verdict |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for p in pairs:
        out.append(f"| {p['old']} | {p['new']} | {p['points']} | {p['compared']} | {p['new_faster']} | "
                   f"{p['new_slower']} | {p['within']} | {p['median_ratio']:.3f} | {p['min_ratio']:.3f} | "
                   f"{p['max_ratio']:.3f} | {p['failed_old']}, {p['failed_new']} | {p['verdict']} |")  # fmt: skip
    out += ["", "Beside the rank in kernels/variants.cu:", ""]
    out += [f"- {p['verdict']}: `{p['comment']}`" for p in pairs if p["comment"]]
    for p in pairs if show_points else [p for p in pairs if p["verdict"] == "SPLIT"]:
        out += ["", f"## {p['old']} against {p['new']}", "", "| op | phase | b | s | q | old us | new us | ratio |",
                "|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for _, r in p["table"].sort_values("ratio").iterrows():
            q = "" if pd.isna(r["candidates"]) else int(r["candidates"])
            out.append(f"| {r['op']} | {r['phase']} | {int(r['batch'])} | {int(r['seq_len'])} | {q} | "
                       f"{r['old_us']:.2f} | {r['new_us']:.2f} | {r['ratio']:.3f} |")  # fmt: skip
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="result folder (or roofline.csv) measured with --impl OLD,NEW,...")
    parser.add_argument("--threshold", type=float, default=0.03, help="relative change that counts (default 0.03)")
    parser.add_argument("--points", action="store_true", help="list every pair's points, not only a SPLIT pair's")
    parser.add_argument("--allow-emulated", action="store_true", help=ALLOW_EMULATED_HELP)
    args = parser.parse_args(argv)
    if not 0 <= args.threshold < 1:
        print("rank_variants: --threshold must be in [0, 1)", file=sys.stderr)
        return 2
    try:
        pairs, order = rank(args.run, args.threshold, args.allow_emulated)
    except InputError as err:
        print(f"rank_variants: {err}", file=sys.stderr)
        return 2
    sys.stdout.write(markdown(pairs, order, args.run, args.threshold, args.points))
    return 0


if __name__ == "__main__":
    sys.exit(main())
