"""rank_variants.py on synthetic old-against-new runs (tests/scripts/synthetic.py with named variants beside cuBLAS):
a successor planted faster everywhere is NEW FIRST, one faster nowhere KEEP, one faster at some points and slower at
others SPLIT (its points listed), at the threshold's edges; a failed row at a point of the pair INCORRECT, no point ok
for both NOT COMPARABLE; the old one is the one the run named first; variants that never share a point are no pair; a
run with fewer than two variants is refused, naming the fix. No GPU run exists yet: these are the script's tests."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
from conftest import SCRIPTS
from synthetic import make_run


def run_script(*args):
    return subprocess.run([sys.executable, SCRIPTS / "rank_variants.py", *map(str, args)], capture_output=True,
                          text=True)  # fmt: skip


def verdict_rows(stdout: str) -> dict[tuple[str, str], list[str]]:
    rows = [line.strip("| ").split(" | ") for line in stdout.splitlines() if line.startswith("| ")]
    return {(r[0], r[1]): r for r in rows if len(r) == 12 and r[0] != "old"}


def old_vs_new(folder, new_factor, impls=("var_old", "var_new", "cublas"), named=None):
    """var_new's time is var_old's times new_factor(row) (a number, or a function of the row); `named` is the order the
    run named the variants in (env.json), the rows' order when None."""
    make_run(folder, version=4, impls=impls, batches=(1, 16), seqs=(512, 4096))
    df = pd.read_csv(folder / "roofline.csv")
    key = ["op", "phase", "batch", "seq_len"]
    old = df[df["impl"] == "var_old"].set_index(key)["time_us_median"]
    new = df["impl"] == "var_new"
    for index, row in df[new].iterrows():
        factor = new_factor(row) if callable(new_factor) else new_factor
        df.loc[index, "time_us_median"] = old[tuple(row[k] for k in key)] * factor
    df.to_csv(folder / "roofline.csv", index=False)
    env = json.loads((folder / "env.json").read_text())
    env["sweep"] = {"impls": list(named or impls)}
    (folder / "env.json").write_text(json.dumps(env))
    return folder


def test_a_successor_faster_everywhere_ranks_first_and_the_comment_names_the_run(tmp_path):
    run = old_vs_new(tmp_path / "run", 0.8)
    result = run_script(run)
    assert result.returncode == 0, result.stderr
    row = verdict_rows(result.stdout)[("var_old", "var_new")]
    assert row[2] == row[3] == row[4] == "48" and row[-1] == "NEW FIRST", row  # 6 ops x 2 phases x 2 b x 2 s
    assert row[7] == "1.250", row
    assert f"// measured: var_new faster than var_old at 48 of 48 points (median x1.25), {run}" in result.stdout


def test_a_successor_faster_nowhere_keeps_its_rank_and_a_split_lists_where_each_wins(tmp_path):
    slower = old_vs_new(tmp_path / "slower", 1.01)  # within the threshold everywhere
    assert verdict_rows(run_script(slower).stdout)[("var_old", "var_new")][-1] == "KEEP"
    split = old_vs_new(tmp_path / "split", lambda row: 0.8 if row["phase"] == "ar" else 1.2)
    result = run_script(split)
    row = verdict_rows(result.stdout)[("var_old", "var_new")]
    assert row[-1] == "SPLIT" and row[4] == "24" and row[5] == "24", row
    section = result.stdout.split("## var_old against var_new")[1]
    assert section.count("| ar |") == 24 and section.count("| init |") == 24, section


def test_the_threshold_decides_what_counts_as_faster_or_slower(tmp_path):
    """3 % by default: 2 % faster is within it; 4 % faster is faster; 1 % slower is within it; 3.04 % slower is
    slower (the new time over 1 + 3 %, not 1 - 3 %)."""
    cases = {
        "within": (0.98, "KEEP"),
        "faster": (1 / 1.04, "NEW FIRST"),
        "slower": (1.05, "KEEP"),
        "faster_else_within": (lambda row: 0.8 if row["phase"] == "ar" else 1.01, "NEW FIRST"),
        "faster_else_just_slower": (lambda row: 0.8 if row["phase"] == "ar" else 1 / 0.9705, "SPLIT"),
    }
    for name, (factor, verdict) in cases.items():
        row = verdict_rows(run_script(old_vs_new(tmp_path / name, factor)).stdout)[("var_old", "var_new")]
        assert row[-1] == verdict, (name, row)


def test_old_is_the_variant_the_run_named_first(tmp_path):
    run = old_vs_new(tmp_path / "run", 0.8, named=("var_new", "var_old", "cublas"))
    row = verdict_rows(run_script(run).stdout)[("var_new", "var_old")]
    assert row[-1] == "KEEP" and row[5] == "48", row  # var_old, named second, is 25 % slower everywhere


def test_a_failed_row_at_a_shared_point_makes_the_pair_incorrect_and_none_ok_is_not_comparable(tmp_path):
    run = old_vs_new(tmp_path / "run", 0.5)
    df = pd.read_csv(run / "roofline.csv")
    df.loc[df.index[(df["impl"] == "var_new") & (df["op"] == "qk")][0], "status"] = "error"
    df.to_csv(run / "roofline.csv", index=False)
    result = run_script(run)
    row = verdict_rows(result.stdout)[("var_old", "var_new")]
    assert row[-1] == "INCORRECT" and row[-2] == "0, 1", row
    assert "// measured" not in result.stdout  # no rank moves on it
    # An invalid row of var_old at a point var_new never ran is no failure of the pair.
    run = old_vs_new(tmp_path / "elsewhere", 0.5)
    df = pd.read_csv(run / "roofline.csv")
    alone = df.index[(df["impl"] == "var_new") & (df["op"] == "pv") & (df["phase"] == "init")]
    df.loc[df.index[(df["impl"] == "var_old") & (df["op"] == "pv") & (df["phase"] == "init")][0], "status"] = "invalid"
    df = df.drop(index=alone)
    df.to_csv(run / "roofline.csv", index=False)
    assert verdict_rows(run_script(run).stdout)[("var_old", "var_new")][-1] == "NEW FIRST"
    # No point ok for both.
    run = old_vs_new(tmp_path / "skipped", 0.5)
    df = pd.read_csv(run / "roofline.csv")
    df.loc[df["impl"] == "var_new", "status"] = "skipped"
    df.to_csv(run / "roofline.csv", index=False)
    assert verdict_rows(run_script(run).stdout)[("var_old", "var_new")][-1] == "NOT COMPARABLE"


def test_variants_that_never_share_a_point_are_no_pair_and_one_variant_is_refused(tmp_path):
    run = old_vs_new(tmp_path / "run", 0.8, impls=("var_old", "var_new", "var_other", "cublas"))
    df = pd.read_csv(run / "roofline.csv")
    df = df[~((df["impl"] == "var_other") & (df["phase"] == "ar"))]  # var_other: prefill only
    df = df[~((df["impl"].isin(["var_old", "var_new"])) & (df["phase"] == "init"))]  # the others: decode only
    df.to_csv(run / "roofline.csv", index=False)
    pairs = verdict_rows(run_script(run).stdout)
    assert list(pairs) == [("var_old", "var_new")], pairs
    one = make_run(tmp_path / "one", version=4, impls=("hand", "cublas"))
    refused = run_script(one)
    assert refused.returncode == 2 and "--impl OLD,NEW,cublas" in refused.stderr, refused.stderr
