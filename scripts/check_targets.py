#!/usr/bin/env python3
"""Judge a measured run against the project's targets: the hand-written kernels' (against the run's own measured roofs
and cuBLAS at the same shapes), the Medusa sweep's, and the measurement's own fidelity (docs/measuring.md, "The
targets"). Each target gets its number, MET or MISSED, or NOT MEASURED / NOT APPLICABLE with why, and the points
that missed it.

    python3 scripts/check_targets.py RUN                              # Markdown on stdout
    python3 scripts/check_targets.py RUN --repeat RUN2 --medusa MEDUSA --csv targets.csv

RUN is the default sweep measured on a GPU (hand and cuBLAS, cold L2). --repeat names a second sweep of the same
build on the same GPU (the repeatability target); the measured-bytes and short-kernel targets need --counters in RUN
or, failing that, in the repeat. --medusa names a `--phase medusa` run, when RUN has no Medusa steps. Exit code: 0 when
no measured target was missed, 1 when one was, 2 for bad input.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from bench_llama_io import ALLOW_EMULATED_HELP, SETTING_KEYS, InputError, is_emulated, key_frame, load_run
from compare_runs import compare

MET, MISSED, NOT_MEASURED, NOT_APPLICABLE = "MET", "MISSED", "NOT MEASURED", "NOT APPLICABLE"
LINEAR_SERIES = ("qkv mlp", "up/gate/down")
ATTENTION_OPS = ("qk", "pv")
REQUIRED = ["status", "series", "op", "phase", "impl", "dtype", "batch", "seq_len", "time_us_median", "bytes_min"]
# Thresholds, as the targets state them (docs/measuring.md).
DECODE_LINEAR_BW, DECODE_LINEAR_MAX_BATCH, DECODE_LINEAR_VS_CUBLAS_MAX_BATCH = 0.90, 16, 64
DECODE_ATTENTION_BW, KV_OVER_L2 = 0.85, 4
PREFILL_MEDIAN, PREFILL_MIN, HOPPER_PREFILL_TOKENS = 1.0, 0.9, 2048
DRAM_BYTES_TOLERANCE = 0.10
SHORT_US, SHORT_TOLERANCE = 20.0, 0.15
LONG_US, CV_P90 = 50.0, 0.02
SAME_FRACTION, SAME_THRESHOLD, SAME_ALPHA = 0.95, 0.03, 0.01
CEILING_DRIFT = 0.03


@dataclass
class Result:
    area: str  # kernels, medusa or fidelity
    target: str  # what is asked, with its threshold
    verdict: str
    measured: str  # the numbers behind the verdict, or why there are none
    misses: pd.DataFrame = field(default_factory=pd.DataFrame)  # the points that missed, worst first


def pct(fraction: float, digits: int = 0) -> str:
    return f"{100 * fraction:.{digits}f} %"


def flag(values: pd.Series) -> pd.Series:
    """A true/false column as pandas read it (bool, or text when some cells are empty), as booleans; empty is NaN."""
    return values.map(lambda v: v if pd.isna(v) or isinstance(v, bool) else str(v).strip().lower() == "true")


def points(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["series"] != "ceiling"]


def cold(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows measured with a cold L2 (the default; a file without the column measured nothing else)."""
    return rows[rows["l2_mode"].isna() | (rows["l2_mode"] == "cold")]


# bench_llama measures each distinct problem once and writes its row at every planned point that has it (q, k, v and
# o_proj share a shape in Llama 33B; a decode linear does not depend on the context): one measurement, many rows. The
# targets count measurements, so a kernel is not weighted by how many operators and contexts share its shape.
MEASUREMENT = ["impl", "dtype", "l2_mode", "m", "n", "k", "batch_count", "bytes_min", "status", "time_us_median"]


def distinct(rows: pd.DataFrame, keys: list[str] = MEASUREMENT) -> pd.DataFrame:
    """One row per measurement (the first point that has it): rows with the same problem, implementation and time."""
    return rows.drop_duplicates(subset=keys)


def shape(rows: pd.DataFrame) -> pd.DataFrame:
    """The columns that name a point in a list of misses."""
    return rows[["op", "phase", "dtype", "batch", "seq_len", "candidates", "variant"]]


def listing(rows: pd.DataFrame, **columns: pd.Series) -> pd.DataFrame:
    """shape(rows) with more columns, each a Series over (a superset of) the rows' index."""
    out = shape(rows)
    return out.assign(**{name: values.reindex(out.index) for name, values in columns.items()})


def paired(rows: pd.DataFrame) -> pd.DataFrame:
    """cuBLAS's points with hand's at the same shape (hand's status and time; NaN where hand has no row):
    `speedup` = cuBLAS time / hand time (> 1: hand is faster)."""
    rows = rows.assign(_key=list(key_frame(rows)[SETTING_KEYS].itertuples(index=False, name=None)))
    cublas = rows[(rows["impl"] == "cublas") & (rows["status"] == "ok")]
    hand = rows[rows["impl"] == "hand"][["_key", "status", "time_us_median", "variant"]]
    both = cublas.drop(columns=["variant"], errors="ignore").merge(
        hand.rename(columns={"status": "hand_status", "time_us_median": "hand_us"}), on="_key", how="left"
    )
    both = both.rename(columns={"time_us_median": "cublas_us"})
    both["speedup"] = (both["cublas_us"] / both["hand_us"]).where(both["hand_status"] == "ok")
    return both.drop(columns="_key")


def bandwidth_target(hand: pd.DataFrame, area: str, target: str, threshold: float, empty: str) -> Result:
    """bytes_min / time of the `hand` points over the run's measured DRAM roof: at least `threshold` at every point;
    a point that is not ok misses it."""
    hand = distinct(hand)
    if hand.empty:
        return Result(area, target, NOT_MEASURED, empty)
    if hand["peak_gbps_measured"].isna().all():
        return Result(area, target, NOT_MEASURED, "no measured DRAM roof in the run (its ceilings did not run)")
    gbps = hand["bytes_min"] / hand["time_us_median"] / 1e3
    fraction = (gbps / hand["peak_gbps_measured"]).where(hand["status"] == "ok")
    missed = fraction.isna() | (fraction < threshold)
    ok, not_ok = fraction.dropna(), int(fraction.isna().sum())
    numbers = f"min {ok.min():.3f}, median {ok.median():.3f} over {len(ok)} points" if len(ok) else "no ok point"
    numbers += f"; {int(missed.sum())} below {threshold:.2f}" + (f" ({not_ok} not ok)" if not_ok else "")
    misses = listing(hand[missed], status=hand["status"], fraction=fraction)
    misses = misses.sort_values("fraction", na_position="first")  # a point that is not ok first
    return Result(area, target, MISSED if missed.any() else MET, numbers, misses)


def speedup_target(both: pd.DataFrame, area: str, target: str, median_at_least: float | None, each_above: float,
                   strict: bool, empty: str) -> Result:  # fmt: skip
    """hand/cuBLAS speed ratios of `both` (paired()): their median at least `median_at_least` (None: no median
    target), and every point above `each_above` (`strict`) or at least at it; a hand point that is not ok misses."""
    both = distinct(both, ["dtype", "l2_mode", "m", "n", "k", "batch_count", "bytes_min", "hand_status", "hand_us",
                           "cublas_us"])  # fmt: skip
    if both.empty:
        return Result(area, target, NOT_MEASURED, empty)
    if both["hand_status"].isna().all():
        return Result(area, target, NOT_MEASURED, "the run has no hand row at these points: measure with --impl "
                      "hand,cublas (the default)")  # fmt: skip
    ratio = both["speedup"]
    below = ratio.isna() | ((ratio <= each_above) if strict else (ratio < each_above))
    ok, not_ok = ratio.dropna(), int(ratio.isna().sum())
    misses = listing(both[below], hand_status=both["hand_status"], hand_us=both["hand_us"],
                     cublas_us=both["cublas_us"], speedup=ratio)  # fmt: skip
    misses = misses.sort_values("speedup", na_position="first")  # a point that is not ok first
    if ok.empty:
        return Result(area, target, MISSED, f"no hand point is ok at the {len(both)} cuBLAS points", misses)
    numbers = f"median {ok.median():.3f}, min {ok.min():.3f} over {len(ok)} points; {int(below.sum())} "
    numbers += f"{'at or ' if strict else ''}below {each_above:.2f}" + (f" ({not_ok} hand not ok)" if not_ok else "")
    missed = bool(below.any()) or (median_at_least is not None and ok.median() < median_at_least)
    return Result(area, target, MISSED if missed else MET, numbers, misses)


def kv_cache_bytes(rows: pd.DataFrame) -> pd.Series:
    """The K (qk) or V (pv) bytes of a decode attention point: its minimum bytes less the query side's (Q or P) and
    the output's, batch_count x m x (k + n) elements (bytes_min in roofline/operators.cpp); 2-byte elements."""
    return rows["bytes_min"] - 2 * rows["batch_count"] * rows["m"] * (rows["k"] + rows["n"])


def kernel_targets(rows: pd.DataFrame, env: dict) -> list[Result]:
    area, measured = "kernels", cold(points(rows))
    hand = measured[measured["impl"] == "hand"]
    linear, attention = measured["series"].isin(LINEAR_SERIES), measured["op"].isin(ATTENTION_OPS)
    ar, init = measured["phase"] == "ar", measured["phase"] == "init"
    results = []

    target = f"decode linears, b ≤ {DECODE_LINEAR_MAX_BATCH}: ≥ {DECODE_LINEAR_BW:.2f} of the measured DRAM bandwidth "
    target += "at every point"
    selected = hand[(linear & ar & (measured["batch"] <= DECODE_LINEAR_MAX_BATCH))[hand.index]]
    results.append(bandwidth_target(selected, area, target, DECODE_LINEAR_BW, "no hand decode linear at b ≤ 16 with "
                                    "a cold L2: measure the default sweep (--phase all or ar, --l2 cold)"))  # fmt: skip

    target = f"decode linears: faster than cuBLAS at every b ≤ {DECODE_LINEAR_VS_CUBLAS_MAX_BATCH}"
    both = paired(measured[linear & ar & (measured["batch"] <= DECODE_LINEAR_VS_CUBLAS_MAX_BATCH)])
    results.append(speedup_target(both, area, target, None, 1.0, True, "no cuBLAS decode linear at b ≤ 64 with a "
                                  "cold L2: measure the default sweep with --impl hand,cublas"))  # fmt: skip

    target = f"decode attention where the KV cache is ≥ {KV_OVER_L2}× L2: ≥ {DECODE_ATTENTION_BW:.2f} of the "
    target += "measured DRAM bandwidth at every point"
    l2 = (env.get("device") or {}).get("l2_bytes")
    if not l2:
        results.append(Result(area, target, NOT_MEASURED, "env.json has no device.l2_bytes (the run's L2 size): pass "
                              "the result folder as bench_llama wrote it"))  # fmt: skip
    else:
        selected = hand[(attention & ar)[hand.index]]
        selected = selected[kv_cache_bytes(selected) >= KV_OVER_L2 * l2]
        results.append(bandwidth_target(selected, area, target, DECODE_ATTENTION_BW, "no hand decode attention point "
                                        f"with a KV cache ≥ {KV_OVER_L2 * l2 / 2**20:.0f} MiB: measure the default "
                                        "sweep (its long contexts)"))  # fmt: skip

    target = f"prefill attention: hand/cuBLAS median ≥ {PREFILL_MEDIAN:.1f}, none below {PREFILL_MIN:.1f}"
    results.append(speedup_target(paired(measured[attention & init]), area, target, PREFILL_MEDIAN, PREFILL_MIN,
                                  False, "no cuBLAS prefill attention point: measure the default sweep"))  # fmt: skip

    target = f"Hopper prefill linears, b·s ≥ {HOPPER_PREFILL_TOKENS}: hand/cuBLAS median ≥ {PREFILL_MEDIAN:.1f}, "
    target += f"none below {PREFILL_MIN:.1f}"
    cc = sorted(set(rows["cc"].dropna().astype(str)))
    if not any(c.startswith("9") for c in cc):
        why = f"compute capability {', '.join(cc) or 'unknown'}, not Hopper (sm_90)"
        results.append(Result(area, target, NOT_APPLICABLE, why))
    else:
        large = measured["batch"] * measured["seq_len"] >= HOPPER_PREFILL_TOKENS
        results.append(speedup_target(paired(measured[linear & init & large]), area, target, PREFILL_MEDIAN,
                                      PREFILL_MIN, False, "no cuBLAS prefill linear at b·s ≥ 2048: measure the "
                                      "default sweep"))  # fmt: skip
    return results


def medusa_target(rows: pd.DataFrame, env: dict, source: str) -> Result:
    """Every Medusa row ok or skipped with its reason, hand and cuBLAS both measured, and the run whole: not cut short
    (env.json's `interrupted`) and a row for every planned point and implementation (its `sweep` record)."""
    target = "the Medusa sweep: every step measured with hand and cuBLAS (ok, or skipped with its reason)"
    medusa = points(rows[rows["phase"] == "medusa"])
    if medusa.empty:
        why = f"{source}: no medusa rows: run bench_llama --phase medusa and pass its folder as --medusa"
        return Result("medusa", target, NOT_MEASURED, why)
    counts = medusa.groupby(["impl", "status"]).size()
    numbers = f"{source}: " + ", ".join(f"{impl} {status} {n}" for (impl, status), n in counts.items())
    sweep = env.get("sweep") or {}
    planned = int(sweep.get("points") or 0) * len(sweep.get("impls") or [])
    written = len(points(rows))
    cut = bool(env.get("interrupted")) or written < planned
    if cut:
        numbers += f"; cut short: {written} of {planned or 'its'} planned rows"
    elif not planned:
        numbers += "; env.json has no sweep record: whether every planned point has its rows is not checked"
    bad = ~medusa["status"].isin(["ok", "skipped"]) | ((medusa["status"] == "skipped") & medusa["reason"].isna())
    missing = {"hand", "cublas"} - set(medusa.loc[medusa["status"] == "ok", "impl"])
    numbers += f"; no ok row for {', '.join(sorted(missing))}" if missing else ""
    misses = listing(medusa[bad], impl=medusa["impl"], status=medusa["status"], reason=medusa["reason"])
    return Result("medusa", target, MISSED if bad.any() or missing or cut else MET, numbers, misses)


def has_counters(rows: pd.DataFrame | None) -> bool:
    return rows is not None and bool(rows[["dram_bytes_measured", "time_us_counted"]].notna().any().any())


def fidelity_targets(rows: pd.DataFrame, run: Path, repeat: tuple[Path, pd.DataFrame] | None,
                     allow_emulated: bool) -> list[Result]:  # fmt: skip
    area, ok = "fidelity", distinct(points(rows[rows["status"] == "ok"]))
    results = []
    # The counters' targets: on the run's rows, or on the repeat's when only the repeat measured counters (second
    # light times the sweep plain, then repeats it with --counters).
    counted, counted_from = ok, ""
    if not has_counters(rows) and repeat is not None and has_counters(repeat[1]):
        counted, counted_from = distinct(points(repeat[1][repeat[1]["status"] == "ok"])), f" (from {repeat[0]})"

    target = f"hand decode kernels: measured DRAM bytes within {pct(DRAM_BYTES_TOLERANCE)} of the minimum"
    hand = cold(counted[(counted["impl"] == "hand") & (counted["phase"] == "ar")])
    if hand.empty or hand["dram_bytes_measured"].isna().all():
        why = "no ok hand decode point with a cold L2" if hand.empty else "no measured bytes: run the sweep with " \
              "--counters (CUPTI; needs the GPU's profiling permission)"  # fmt: skip
        results.append(Result(area, target, NOT_MEASURED, why))
    else:
        ratio = (hand["dram_bytes_measured"] / hand["bytes_min"]).dropna()
        outside = (ratio - 1).abs() > DRAM_BYTES_TOLERANCE
        numbers = f"measured / minimum: median {ratio.median():.3f}, {ratio.min():.3f} to {ratio.max():.3f} over "
        numbers += f"{len(ratio)} points; {int(outside.sum())} outside{counted_from}"
        misses = listing(hand.loc[ratio.index[outside]], ratio=ratio).sort_values("ratio")
        results.append(Result(area, target, MISSED if outside.any() else MET, numbers, misses))

    target = f"points under {SHORT_US:.0f} µs: event time within {pct(SHORT_TOLERANCE)} of the counters' GPU time "
    target += "(median)"
    short = counted[counted["time_us_median"] < SHORT_US]
    if short.empty or short["time_us_counted"].isna().all():
        why = f"no ok point under {SHORT_US:.0f} µs" if short.empty else "no counted GPU time: run the sweep with " \
              "--counters"  # fmt: skip
        results.append(Result(area, target, NOT_MEASURED, why))
    else:
        ratio = (short["time_us_median"] / short["time_us_counted"]).dropna()
        numbers = f"event / counted: median {ratio.median():.3f} (p10 {ratio.quantile(0.1):.3f}, p90 "
        numbers += f"{ratio.quantile(0.9):.3f}) over {len(ratio)} points{counted_from}"
        outside = (ratio - 1).abs() > SHORT_TOLERANCE
        misses = listing(short.loc[ratio.index[outside]], impl=short["impl"], ratio=ratio).sort_values("ratio")
        verdict = MISSED if abs(ratio.median() - 1) > SHORT_TOLERANCE else MET
        results.append(Result(area, target, verdict, numbers, misses))

    target = f"points ≥ {LONG_US:.0f} µs: coefficient of variation ≤ {pct(CV_P90)} at the 90th percentile"
    long = ok[(ok["time_us_median"] >= LONG_US) & ok["time_cv"].notna()]
    if long.empty:
        results.append(Result(area, target, NOT_MEASURED, f"no ok point ≥ {LONG_US:.0f} µs with its CV"))
    else:
        p90, over = long["time_cv"].quantile(0.9), long["time_cv"] > CV_P90
        numbers = f"p90 {p90:.4f}, median {long['time_cv'].median():.4f} over {len(long)} points; {int(over.sum())} "
        numbers += f"above {pct(CV_P90)}"
        misses = listing(long[over], impl=long["impl"], time_us=long["time_us_median"], cv=long["time_cv"])
        results.append(Result(area, target, MISSED if p90 > CV_P90 else MET, numbers,
                              misses.sort_values("cv", ascending=False)))  # fmt: skip

    target = f"two sweeps of one build: ≥ {pct(SAME_FRACTION)} of the points SAME (compare_runs.py)"
    if repeat is None:
        why = "pass --repeat with a second sweep of the same build on the same GPU"
        results.append(Result(area, target, NOT_MEASURED, why))
    else:
        results.append(repeatability(rows, run, repeat, target, allow_emulated))

    target = "every point's SM clock recorded, and clock_low (below 75 % of the maximum) decided"
    clock, low, throttled = ok["sm_clock_mhz"], flag(ok["clock_low"]), flag(ok["throttled"])
    unrecorded = clock.isna() | low.isna()
    numbers = f"{int((~unrecorded).sum())} of {len(ok)} points recorded"
    if ok["sm_clock_source"].notna().any():
        numbers += " (" + ", ".join(f"{n} {s}" for s, n in ok["sm_clock_source"].value_counts().items()) + ")"
    numbers += f"; clock_low on {int(low.eq(True).sum())}, throttled on {int(throttled.eq(True).sum())}"
    if (clock / ok["sm_clock_max_mhz"]).notna().any():
        numbers += f"; clock / maximum: min {(clock / ok['sm_clock_max_mhz']).min():.3f}"
    misses = listing(ok[unrecorded], impl=ok["impl"], sm_clock_mhz=clock, clock_low=low)
    results.append(Result(area, target, MISSED if unrecorded.any() else MET, numbers, misses))

    target = f"the ceilings measured before and after the points: within {pct(CEILING_DRIFT)} of each other"
    ceilings = rows[(rows["series"] == "ceiling") & (rows["status"] == "ok")]
    if set(ceilings["ceiling_pass"].dropna()) != {"start", "end"}:
        why = "the run has no ceilings at both ends (bench_llama measures them before and after the points)"
        results.append(Result(area, target, NOT_MEASURED, why))
    else:
        value = ceilings["achieved_gbps"].fillna(ceilings["achieved_tflops"])
        table = ceilings.assign(value=value).pivot_table(index=["op", "dtype"], columns="ceiling_pass", values="value")
        table = table.dropna().assign(ratio=lambda t: t["end"] / t["start"])
        drift = (table["ratio"] - 1).abs() > CEILING_DRIFT
        numbers = "end / start: " + ", ".join(f"{op} {r:.3f}" for (op, _), r in table["ratio"].items())
        misses = table[drift].reset_index()[["op", "dtype", "start", "end", "ratio"]]
        results.append(Result(area, target, MISSED if drift.any() else MET, numbers, misses))
    return results


def repeatability(rows: pd.DataFrame, run: Path, repeat: tuple[Path, pd.DataFrame], target: str,
                  allow_emulated: bool) -> Result:  # fmt: skip
    path, other = repeat
    if set(rows["run_id"].dropna()) & set(other["run_id"].dropna()):
        return Result("fidelity", target, NOT_MEASURED, f"{path} is the same run as {run}: pass a second sweep")
    for column, what in (("git_commit", "build"), ("gpu_uuid", "GPU"), ("l2_mode", "L2 mode")):
        mine = set(rows[column].dropna().astype(str)) if column in rows.columns else set()
        theirs = set(other[column].dropna().astype(str)) if column in other.columns else set()
        if mine != theirs:
            why = f"the runs differ in {what} ({column} {', '.join(sorted(mine))} against {', '.join(sorted(theirs))})"
            return Result("fidelity", target, NOT_MEASURED, why + ": repeatability needs two sweeps of one build on "
                          "one GPU")  # fmt: skip
    table = compare(run, path, SAME_THRESHOLD, SAME_ALPHA, allow_emulated)["table"]
    # One verdict per measurement: the rows of one measurement carry its times, the same in both runs.
    table = table.drop_duplicates(subset=["impl", "dtype", "time_us_a", "time_us_b"])
    if table.empty:
        return Result("fidelity", target, NOT_MEASURED, "no point is ok in both runs")
    same = table["verdict"] == "SAME"
    numbers = f"{pct(same.mean(), 1)} SAME of {len(table)} points ("
    numbers += ", ".join(f"{n} {v}" for v, n in table["verdict"].value_counts().items())
    numbers += f"; threshold {pct(SAME_THRESHOLD)})"
    misses = table[~same][["op", "phase", "impl", "dtype", "batch", "seq_len", "candidates", "ratio", "verdict"]]
    verdict = MET if same.mean() >= SAME_FRACTION else MISSED
    return Result("fidelity", target, verdict, numbers, misses.sort_values("ratio"))


# The columns the targets read beyond REQUIRED; a run without one (an older schema, no counters) reads it as empty.
OPTIONAL = ["run_id", "model", "series", "variant", "batch_count", "m", "n", "k", "cc", "l2_mode", "candidates",
            "reason", "peak_gbps_measured", "dram_bytes_measured", "time_us_counted", "time_cv", "sm_clock_mhz",
            "sm_clock_max_mhz", "sm_clock_source", "clock_low", "throttled", "ceiling_pass", "achieved_gbps",
            "achieved_tflops"]  # fmt: skip


def read(folder: Path, allow_emulated: bool) -> tuple[pd.DataFrame, dict]:
    rows, _, env = load_run(folder, REQUIRED, allow_emulated)
    if (rows["status"] == "predicted").all():
        raise InputError(f"{folder}: a prediction (bench_llama --predict), not a measured run: pass a folder measured "
                         "on a GPU")  # fmt: skip
    return rows.assign(**{c: float("nan") for c in OPTIONAL if c not in rows.columns}), env


def check(run: Path, repeat: Path | None = None, medusa: Path | None = None,
          allow_emulated: bool = False) -> tuple[list[Result], pd.DataFrame]:  # fmt: skip
    """(every target's result, the run's rows)."""
    rows, env = read(run, allow_emulated)
    results = kernel_targets(rows, env)
    results.append(medusa_target(rows, env, str(run)) if medusa is None else
                   medusa_target(*read(medusa, allow_emulated), str(medusa)))  # fmt: skip
    repeated = None if repeat is None else (repeat, read(repeat, allow_emulated)[0])
    return results + fidelity_targets(rows, run, repeated, allow_emulated), rows


def table_lines(frame: pd.DataFrame) -> list[str]:
    """A Markdown table of `frame`, numbers to 4 significant digits, empty cells empty."""

    def cell(v) -> str:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return ""
        if isinstance(v, float):
            return str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.4g}"
        return str(v)

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False, name=None)]
    return lines


def markdown(results: list[Result], rows: pd.DataFrame, run: Path, show: int) -> str:
    about = [
        ", ".join(map(str, rows[c].dropna().unique()))
        for c in ("gpu_name", "driver_version", "git_commit")
        if c in rows.columns
    ]
    out = [f"# Targets: {run}", "", f"{'; '.join(a for a in about if a)}. The targets are docs/measuring.md's.", ""]
    if is_emulated(rows):
        out += [
            "**EMULATED**: bench_llama_emulated wrote this run on the CPU emulator; its times are made up, so "
            "these verdicts test the script, never the kernels.",
            "",
        ]
    out += ["| area | target | verdict | measured |", "|---|---|---|---|"]
    out += [f"| {r.area} | {r.target} | {r.verdict} | {r.measured} |" for r in results]
    for r in results:
        if r.misses.empty:
            continue
        out += ["", f"## {r.area}: {r.target} ({len(r.misses)} points missed)", ""]
        listed = r.misses if show <= 0 else r.misses.head(show)
        out += table_lines(listed)
        if len(listed) < len(r.misses):
            out.append(f"\n... and {len(r.misses) - len(listed)} more (--show 0 lists them all)")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="result folder (or roofline.csv) of the default sweep, on a GPU")
    parser.add_argument("--repeat", type=Path, help="a second sweep of the same build on the same GPU")
    parser.add_argument("--medusa", type=Path, help="a --phase medusa result folder, when RUN has no Medusa steps")
    parser.add_argument("--csv", type=Path, help="also write one row per target to this CSV")
    parser.add_argument("--show", type=int, default=10, help="missed points listed per target (0: all; default 10)")
    parser.add_argument("--allow-emulated", action="store_true", help=ALLOW_EMULATED_HELP)
    args = parser.parse_args(argv)
    try:
        results, rows = check(args.run, args.repeat, args.medusa, args.allow_emulated)
    except InputError as err:
        print(f"check_targets: {err}", file=sys.stderr)
        return 2
    sys.stdout.write(markdown(results, rows, args.run, args.show))
    if args.csv:
        pd.DataFrame(
            [
                {
                    "area": r.area,
                    "target": r.target,
                    "verdict": r.verdict,
                    "measured": r.measured,
                    "points_missed": len(r.misses),
                }
                for r in results
            ]
        ).to_csv(args.csv, index=False)
    return 1 if any(r.verdict == MISSED for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
