#!/usr/bin/env python3
"""How far the kernel model's predicted achieved points are from what a GPU measured: per series x phase, the hand
points of a measured run matched with the predicted rows of `bench_llama --predict` for the same GPU, and the error
of the predicted time against the measured median.

    python3 scripts/prediction_error.py PREDICTED MEASURED            # Markdown table on stdout
    python3 scripts/prediction_error.py PREDICTED MEASURED --csv per_point.csv

PREDICTED is a --predict result folder (or its roofline.csv) for the measured GPU's datasheet entry (the measured
run's `spec` column: `bench_llama --predict --spec <it>`), with the same model, phases and settings. MEASURED is a
result folder bench_llama wrote on a GPU. A point is compared when the measured row is hand's, ok, cold L2 (the model
predicts DRAM traffic from a cold cache), and ran the variant the model predicted for it; the others are counted by
why they were left out. Error = predicted time / measured time - 1: negative, the model is too optimistic.
docs/kernel_model.md says what the model leaves out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from bench_llama_io import ALLOW_EMULATED_HELP, InputError, key_frame, load_run

JOIN = ["model", "op", "phase", "dtype", "batch", "seq_len", "candidates"]
SERIES_ORDER = ["qkv mlp", "up/gate/down", "qk/pv"]
PHASE_ORDER = ["init", "ar", "medusa"]


def keyed(rows: pd.DataFrame) -> pd.DataFrame:
    keys = key_frame(rows)
    return rows.assign(**{f"key_{c}": keys[c] for c in JOIN})


def match(predicted: pd.DataFrame, measured: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """(one row per compared point, {reason a measured hand point was left out: count})."""
    pred_gpus = set(predicted["gpu_name"].dropna())
    meas_gpus = set(measured["gpu_name"].dropna())
    if pred_gpus and meas_gpus and not pred_gpus & meas_gpus:
        spec = ", ".join(sorted(set(measured.get("spec", pd.Series(dtype=str)).dropna()))) or "<the GPU's entry>"
        raise InputError(
            f"the prediction is for {', '.join(sorted(pred_gpus))}, the run measured {', '.join(sorted(meas_gpus))}: "
            f"predict for the measured GPU (bench_llama --predict --spec {spec})"
        )
    pred = keyed(predicted[predicted["status"] == "predicted"])
    hand = keyed(measured[(measured["impl"] == "hand") & (measured["series"] != "ceiling")])
    if hand.empty:
        raise InputError("the measured run has no hand rows: measure with --impl hand (the default measures both)")
    left_out: dict[str, int] = {}

    def drop(mask: pd.Series, why: str) -> None:
        if int(mask.sum()):
            left_out[why] = left_out.get(why, 0) + int(mask.sum())

    drop(hand["status"] != "ok", "not ok (skipped, invalid or error)")
    hand = hand[hand["status"] == "ok"]
    warm = hand["l2_mode"].fillna("") == "warm"
    drop(warm, "measured with a warm L2")
    hand = hand[~warm]
    keys = [f"key_{c}" for c in JOIN]
    model = {"variant": "model_variant", "time_us_predicted": "model_time_us", "bound_predicted": "model_bound"}
    pred = pred.reindex(columns=keys + list(model)).rename(columns=model)
    both = hand.merge(pred, on=keys, how="left", indicator=True)
    missing = both["_merge"] == "left_only"
    drop(missing, "no predicted row for the setting (predict the same sweep)")
    both = both[~missing]
    unmodeled = both["model_time_us"].isna()
    drop(unmodeled, "the model has no prediction (its reason column says why)")
    both = both[~unmodeled]
    other = both["variant"].fillna("") != both["model_variant"].fillna("")
    drop(other, "ran another variant than the model predicted (--allow-variants or --impl)")
    both = both[~other]
    table = pd.DataFrame(
        {
            "series": both["series"],
            "phase": both["phase"],
            "op": both["op"],
            "batch": both["batch"],
            "seq_len": both["seq_len"],
            "candidates": both["candidates"],
            "variant": both["variant"],
            "bound_predicted": both["model_bound"],
            "time_us_measured": both["time_us_median"],
            "time_us_predicted": both["model_time_us"],
        }
    )
    table["error"] = table["time_us_predicted"] / table["time_us_measured"] - 1.0
    return table.reset_index(drop=True), left_out


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per series x phase: points, median error, median and 90th percentile of the absolute error, the worst."""
    rows = []
    for (series, phase), group in table.groupby(["series", "phase"], sort=False):
        error = group["error"]
        worst = error.loc[error.abs().idxmax()]
        rows.append(
            {
                "series": series,
                "phase": phase,
                "points": len(group),
                "median error": error.median(),
                "median |error|": error.abs().median(),
                "p90 |error|": error.abs().quantile(0.9),
                "worst": worst,
            }
        )
    out = pd.DataFrame(rows, columns=["series", "phase", "points", "median error", "median |error|", "p90 |error|",
                                      "worst"])  # fmt: skip
    order = [(s, p) for s in SERIES_ORDER for p in PHASE_ORDER]  # the reference figure's order
    rank = [order.index((s, p)) if (s, p) in order else len(order) for s, p in zip(out["series"], out["phase"])]
    return out.assign(rank=rank).sort_values("rank", kind="stable").drop(columns="rank").reset_index(drop=True)


def markdown(summary_table: pd.DataFrame, left_out: dict[str, int], predicted: Path, measured: Path) -> str:
    lines = [
        f"# The kernel model against {measured}",
        "",
        f"Predicted: {predicted}. Error = predicted time / measured median - 1 (negative: the model is optimistic).",
        "",
        "| series | phase | points | median error | median abs. error | p90 abs. error | worst |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, r in summary_table.iterrows():
        lines.append(
            f"| {r['series']} | {r['phase']} | {r['points']} | {r['median error']:+.1%} | {r['median |error|']:.1%} | "
            f"{r['p90 |error|']:.1%} | {r['worst']:+.1%} |"
        )
    if left_out:
        lines += ["", "Measured hand points left out:"]
        lines += [f"- {count}: {why}" for why, count in left_out.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("predicted", type=Path, help="bench_llama --predict result folder (or its roofline.csv)")
    parser.add_argument("measured", type=Path, help="result folder (or roofline.csv) measured on a GPU")
    parser.add_argument("--csv", type=Path, help="also write the per-point table to this CSV")
    parser.add_argument("--allow-emulated", action="store_true", help=ALLOW_EMULATED_HELP)
    args = parser.parse_args(argv)
    try:
        predicted, _, _ = load_run(args.predicted, ["status", "gpu_name"], args.allow_emulated)
        if "time_us_predicted" not in predicted.columns:
            raise InputError(
                f"{args.predicted}: no time_us_predicted column (schema version 5): predict again with this "
                "bench_llama (bench_llama --predict --spec <the GPU's entry>)"
            )
        measured, _, _ = load_run(args.measured, ["status", "gpu_name", "time_us_median", "variant"],
                                  args.allow_emulated)  # fmt: skip
        if (measured["status"] == "predicted").all():
            raise InputError(f"{args.measured}: a prediction, not a measured run: pass a folder measured on a GPU")
        table, left_out = match(predicted, measured)
    except InputError as err:
        print(f"prediction_error: {err}", file=sys.stderr)
        return 2
    if table.empty:
        print("prediction_error: no point to compare; " + "; ".join(f"{n} {why}" for why, n in left_out.items()),
              file=sys.stderr)  # fmt: skip
        return 2
    sys.stdout.write(markdown(summary(table), left_out, args.predicted, args.measured))
    if args.csv:
        table.to_csv(args.csv, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
