#!/usr/bin/env python3
"""Compare two bench_llama runs (result folders), point by point, beyond noise.

    python3 scripts/compare_runs.py results/h100-sxm/2026-11-24_abc results/h100-sxm/2026-12-01_def

Points are joined on (model, series, op, phase, impl, dtype, batch, seq_len, candidates, l2_mode, ceiling_pass);
either run may be of schema version 1 to 5 (version 1 has no candidates: 1 for ar; versions 1 and 2 measured the
ceilings once, as version 3's start pass). For each point, the throughput ratio B / A (from the median times) and a
verdict from the per-sample times (samples.csv). Where the runs timed a point differently (version 3 times points
under 20 us in batches of launches, older versions one launch at a time), the ratio compares their single-launch
medians (`time_us_single`), and the samples, being of different timings, give no verdict beyond SAME or NOISY.
  FASTER / SLOWER  the change is beyond --threshold, beyond noise: the slower run's samples shrunk by (1 + threshold)
                   are still slower (one-sided Mann-Whitney U; Holm's correction over all points keeps the chance of
                   any false verdict in the whole comparison below --alpha);
  SAME             the change is within --threshold;
  NOISY            the change is beyond --threshold but the samples cannot tell it from noise (or there are none).
Prints the metadata that differs (driver, CUDA, cuBLAS, GPU, commit), a summary per series and phase, the points that
are not SAME (all with --all), and the points present in only one run. --csv FILE writes the per-point table.
Exit code: 0, or 1 when any point is SLOWER (so it can guard a CI job); 2 for bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from bench_llama_io import ALLOW_EMULATED_HELP, POINT_KEYS, InputError, key_frame, load_run, run_metadata
from scipy.stats import mannwhitneyu

REQUIRED = ["status", "time_us_median", *[k for k in POINT_KEYS if k not in ("l2_mode", "ceiling_pass")]]
MIN_SAMPLES = 3


def samples_by_key(samples: pd.DataFrame | None) -> dict[tuple, list[float]]:
    if samples is None or samples.empty:
        return {}
    keys = key_frame(samples)
    grouped: dict[tuple, list[float]] = {}
    for key, time_us in zip(keys.itertuples(index=False, name=None), samples["time_us"]):
        grouped.setdefault(key, []).append(float(time_us))
    return grouped


def p_value(speedup: float, a: list[float], b: list[float], threshold: float) -> float:
    """How likely the samples are if the change were within the threshold; NaN when it is (SAME) or cannot be tested.

    The question is not whether the runs differ at all but whether one is slower by more than the threshold: the
    slower run's times, shrunk by (1 + threshold), must still be larger than the other's (one-sided Mann-Whitney U)."""
    if abs(speedup - 1) <= threshold or len(a) < MIN_SAMPLES or len(b) < MIN_SAMPLES:
        return float("nan")
    slower, faster = (b, a) if speedup < 1 else (a, b)
    shrunk = [t / (1 + threshold) for t in slower]
    return float(mannwhitneyu(shrunk, faster, alternative="greater").pvalue)


def same_timing(launches_a, launches_b) -> bool:
    """Whether both runs timed a point the same way (one launch per sample, or batches of the same size): since schema
    version 3, points under 20 us are timed in batches, and their median is per kernel of a batch."""
    a = 1.0 if pd.isna(launches_a) else float(launches_a)
    b = 1.0 if pd.isna(launches_b) else float(launches_b)
    return a == b


def verdicts(ratios: pd.Series, p_values: pd.Series, threshold: float, alpha: float) -> pd.Series:
    """SAME within the threshold; beyond it FASTER/SLOWER where Holm's step-down procedure rejects at family-wise level
    `alpha` (so that comparing hundreds of points does not make noise look like a change), else NOISY."""
    out = pd.Series("NOISY", index=ratios.index, dtype=object)
    out[(ratios - 1).abs() <= threshold] = "SAME"
    tested = p_values.dropna().sort_values()
    for rank, (index, p) in enumerate(tested.items()):
        if p > alpha / (len(tested) - rank):
            break
        out[index] = "FASTER" if ratios[index] > 1 else "SLOWER"
    return out


def compare(dir_a: Path, dir_b: Path, threshold: float, alpha: float, allow_emulated: bool = False) -> dict:
    rows_a, samples_a, _ = load_run(dir_a, REQUIRED, allow_emulated)
    rows_b, samples_b, _ = load_run(dir_b, REQUIRED, allow_emulated)
    ok_a = rows_a[rows_a["status"] == "ok"]
    ok_b = rows_b[rows_b["status"] == "ok"]
    key_a = ok_a.assign(_key=list(key_frame(ok_a).itertuples(index=False, name=None)))
    key_b = ok_b.assign(_key=list(key_frame(ok_b).itertuples(index=False, name=None)))
    for name, frame in (("A", key_a), ("B", key_b)):
        if frame["_key"].duplicated().any():
            raise InputError(f"run {name} has several ok rows for one point; compare single runs, not merged files")
    joined = key_a.merge(key_b, on="_key", suffixes=("_a", "_b"))
    sa, sb = samples_by_key(samples_a), samples_by_key(samples_b)
    records = []
    for _, row in joined.iterrows():
        record = dict(zip(POINT_KEYS, row["_key"]))
        if same_timing(row["launches_per_sample_a"], row["launches_per_sample_b"]):
            time_a, time_b, compared_on = row["time_us_median_a"], row["time_us_median_b"], "median"
            p = p_value(time_a / time_b, sa.get(row["_key"], []), sb.get(row["_key"], []), threshold)
        else:  # one run timed the point in batches, the other one launch at a time: compare what both measured
            time_a, time_b, compared_on = row["time_us_single_a"], row["time_us_single_b"], "single launch"
            p = float("nan")  # the samples are of different timings: no test, so beyond the threshold it is NOISY
        speedup = time_a / time_b
        record.update(time_us_a=time_a, time_us_b=time_b, ratio=speedup, p_value=p, compared_on=compared_on)
        records.append(record)
    columns = [*POINT_KEYS, "time_us_a", "time_us_b", "ratio", "p_value", "compared_on"]
    table = pd.DataFrame(records, columns=columns)
    table["verdict"] = verdicts(table["ratio"], table["p_value"], threshold, alpha)
    only_a = sorted(set(key_a["_key"]) - set(key_b["_key"]))
    only_b = sorted(set(key_b["_key"]) - set(key_a["_key"]))
    meta_a, meta_b = run_metadata(rows_a), run_metadata(rows_b)
    differing = {k: (meta_a.get(k, ""), meta_b.get(k, "")) for k in meta_a.keys() | meta_b.keys()
                 if meta_a.get(k, "") != meta_b.get(k, "") and k != "host"}  # fmt: skip
    return {"table": table, "only_a": only_a, "only_b": only_b, "differing": differing}


def markdown(result: dict, dir_a: Path, dir_b: Path, show_all: bool) -> str:
    table = result["table"]
    out = [f"# bench_llama: {dir_a} (A) vs {dir_b} (B)", ""]
    if result["differing"]:
        out += ["| what differs | A | B |", "|---|---|---|"]
        out += [f"| {k} | {a} | {b} |" for k, (a, b) in sorted(result["differing"].items())]
    else:
        out.append("Same driver, CUDA, cuBLAS, GPU and commit.")
    out += ["", "ratio = throughput of B / throughput of A (> 1: B is faster)", ""]
    if table.empty:
        out.append("No point is ok in both runs.")
    else:
        summary = (
            table.groupby(["series", "phase", "impl"], dropna=False)
            .agg(points=("ratio", "size"), median_ratio=("ratio", "median"), min_ratio=("ratio", "min"))
            .join(
                table.pivot_table(
                    index=["series", "phase", "impl"], columns="verdict", values="ratio", aggfunc="size", fill_value=0
                )
            )  # fmt: skip
            .reset_index()
        )
        verdicts = [v for v in ("FASTER", "SAME", "SLOWER", "NOISY") if v in summary.columns]
        out += ["| series | phase | impl | points | median ratio | min ratio | " + " | ".join(verdicts) + " |",
                "|---|---|---|---|---|---|" + "---|" * len(verdicts)]  # fmt: skip
        for _, r in summary.iterrows():
            counts = " | ".join(str(int(r[v])) for v in verdicts)
            out.append(f"| {r['series']} | {r['phase']} | {r['impl']} | {r['points']} | {r['median_ratio']:.3f} | "
                       f"{r['min_ratio']:.3f} | {counts} |")  # fmt: skip
        listed = table if show_all else table[table["verdict"] != "SAME"]
        out += ["", f"## Points{'' if show_all else ' that are not SAME'} ({len(listed)})", ""]
        if not listed.empty:
            out += ["| op | phase | impl | dtype | b | s | q | A us | B us | ratio | verdict | p |",
                    "|---|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
            for _, r in listed.sort_values("ratio").iterrows():
                out.append(f"| {r['op']} | {r['phase']} | {r['impl']} | {r['dtype']} | {r['batch']} | {r['seq_len']} | "
                           f"{r['candidates']} | "
                           f"{r['time_us_a']:.2f} | {r['time_us_b']:.2f} | {r['ratio']:.3f} | {r['verdict']} | "
                           f"{r['p_value']:.2g} |")  # fmt: skip
    for name, keys in (("A", result["only_a"]), ("B", result["only_b"])):
        if keys:
            out += ["", f"## Only in {name} ({len(keys)})", ""]
            out += ["- " + " ".join(f"{k}={v}" for k, v in zip(POINT_KEYS, key) if v != "") for key in keys]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path, help="result folder (or roofline.csv) of the baseline run")
    parser.add_argument("b", type=Path, help="result folder (or roofline.csv) of the run to judge")
    parser.add_argument("--threshold", type=float, default=0.03, help="relative change that matters (default 0.03)")
    parser.add_argument("--alpha", type=float, default=0.01,
                        help="family-wise significance level over all points (default 0.01)")  # fmt: skip
    parser.add_argument("--csv", type=Path, help="also write the per-point table to this CSV")
    parser.add_argument("--all", action="store_true", help="list every point, not only those that are not SAME")
    parser.add_argument("--allow-emulated", action="store_true", help=ALLOW_EMULATED_HELP)
    args = parser.parse_args(argv)
    if not 0 <= args.threshold < 1 or not 0 < args.alpha < 1:
        print("compare_runs: --threshold must be in [0, 1) and --alpha in (0, 1)", file=sys.stderr)
        return 2
    try:
        result = compare(args.a, args.b, args.threshold, args.alpha, args.allow_emulated)
    except InputError as err:
        print(f"compare_runs: {err}", file=sys.stderr)
        return 2
    sys.stdout.write(markdown(result, args.a, args.b, args.all))
    if args.csv:
        result["table"].to_csv(args.csv, index=False)
    slower = int((result["table"]["verdict"] == "SLOWER").sum())
    if slower:
        print(f"\n{slower} point(s) SLOWER beyond {args.threshold:.0%}", file=sys.stderr)
    return 1 if slower else 0


if __name__ == "__main__":
    sys.exit(main())
