"""Reading bench_llama's result folders: roofline.csv, samples.csv and env.json, checked against the schema versions
these scripts understand. Shared by plot_roofline.py, compare_runs.py and merge_results.py; columns are read by name.

Version 2 is version 1 with a `candidates` column appended (the medusa phase's q; 1 for ar, empty for init). Version 3
appends the timing harness's columns (short kernels, clocks, noise-based stopping), among them `ceiling_pass` (start or
end: the ceilings are measured before the points and again after them). Files of every version are read, and an older
file (or samples.csv) gets the key columns it lacks as the newer version would have written them: `candidates` 1 on ar
rows, empty elsewhere; `ceiling_pass` start on ceiling rows (older runs measured the ceilings once, first), empty
elsewhere. So every reader sees the newest key columns and points join across versions. Version 4 appends
`device_kind`: gpu, or emulated for the rows of bench_llama_emulated (the measured path run on the CPU emulator, whose
times are made up). The scripts refuse emulated rows unless asked (`allow_emulated`), so that nothing an emulated run
wrote can pass for a measurement. Version 5 appends the kernel model's predicted achieved point (`time_us_predicted`
to `bound_predicted`), filled on the rows of bench_llama --predict only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

SCHEMA_VERSION = 5  # the newest version these scripts read
SCHEMA_VERSIONS = (1, 2, 3, 4, 5)
ALLOW_EMULATED_HELP = (
    "read result folders of bench_llama_emulated too (its rows ran on the CPU emulator: their times are made up, never "
    "measurements)"
)
# The columns that identify a point across runs (the run columns are what may differ between them).
POINT_KEYS = ["model", "series", "op", "phase", "impl", "dtype", "batch", "seq_len", "candidates", "l2_mode",
              "ceiling_pass"]  # fmt: skip
# The setting of a point, whatever implementation measured it: what joins hand, cuBLAS and named variants at one shape.
SETTING_KEYS = [k for k in POINT_KEYS if k not in ("series", "impl", "ceiling_pass")]
# Run metadata worth showing when two runs differ in it.
RUN_COLUMNS = ["gpu_name", "driver_version", "cuda_runtime_version", "cuda_driver_version", "cublas_version",
               "git_commit", "build_archs", "host", "l2_mode", "spec", "gpu_uuid"]  # fmt: skip


class InputError(Exception):
    """A file or folder the scripts cannot use; the message names the fix."""


def is_emulated(df: pd.DataFrame) -> bool:
    """Whether any row of `df` was written by bench_llama_emulated."""
    return "device_kind" in df.columns and bool((df["device_kind"] == "emulated").any())


def read_csv(path: Path, required: list[str] | None = None, allow_emulated: bool = False) -> pd.DataFrame:
    """A bench_llama CSV, refused with a clear message if unreadable, of another schema version, missing columns, or
    written by bench_llama_emulated (unless `allow_emulated`)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file; pass a bench_llama result folder or its roofline.csv")
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not a readable CSV ({err})") from err
    if "schema_version" not in df.columns:
        raise InputError(f"{path}: no schema_version column; is this a bench_llama roofline.csv?")
    versions = sorted(set(df["schema_version"].dropna().astype(int)))
    if not set(versions) <= set(SCHEMA_VERSIONS):
        raise InputError(
            f"{path}: schema version {versions}, these scripts read versions "
            f"{', '.join(map(str, SCHEMA_VERSIONS))}; use the scripts of the bench_llama that wrote it"
        )
    if is_emulated(df) and not allow_emulated:
        raise InputError(
            f"{path}: written by bench_llama_emulated, which runs the measured path on the CPU emulator: its times are "
            "made up, not measurements. Pass --allow-emulated to read it anyway (a plot then says so on its face)"
        )
    df = with_key_columns(df)
    missing = [c for c in (required or []) if c not in df.columns]
    if missing:
        raise InputError(f"{path}: missing columns {', '.join(missing)}; is this a bench_llama roofline.csv?")
    return df


def with_candidates(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with version 2's `candidates` column: added to a version-1 frame (rows or samples) as 1 on ar rows and empty
    elsewhere, and filled in the same way on the version-1 rows of a mixed (merged) frame."""
    ar = (df["phase"] == "ar") if "phase" in df.columns else pd.Series(False, index=df.index)
    if "candidates" not in df.columns:
        return df.assign(candidates=pd.Series(1.0, index=df.index).where(ar))
    missing = df["candidates"].isna() & ar
    if missing.any():
        df = df.copy()
        df.loc[missing, "candidates"] = 1
    return df


def with_ceiling_pass(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with version 3's `ceiling_pass` column: "start" on the ceiling rows of an older frame (rows or samples),
    which measured its ceilings once, before the points; empty elsewhere."""
    ceiling = (df["series"] == "ceiling") if "series" in df.columns else pd.Series(False, index=df.index)
    if "ceiling_pass" not in df.columns:
        return df.assign(ceiling_pass=pd.Series("start", index=df.index, dtype=object).where(ceiling))
    missing = df["ceiling_pass"].isna() & ceiling
    if missing.any():
        df = df.copy()
        df.loc[missing, "ceiling_pass"] = "start"
    return df


def with_key_columns(df: pd.DataFrame) -> pd.DataFrame:
    """`df` (rows or samples of any version) with the newest version's key columns, and for rows the timing columns
    of version 3: older runs timed one launch per sample (`launches_per_sample` 1, `time_us_single` their median)."""
    df = with_ceiling_pass(with_candidates(df))
    if "time_us_median" in df.columns:
        if "launches_per_sample" not in df.columns:
            df = df.assign(launches_per_sample=pd.Series(1.0, index=df.index).where(df["time_us_median"].notna()))
        if "time_us_single" not in df.columns:
            df = df.assign(time_us_single=df["time_us_median"])
    return df


def csv_path(folder_or_csv: Path) -> Path:
    """A result folder's roofline.csv, or the CSV itself."""
    p = Path(folder_or_csv)
    return p / "roofline.csv" if p.is_dir() else p


def load_run(
    folder_or_csv: Path, required: list[str] | None = None, allow_emulated: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame | None, dict]:
    """(rows, samples or None, env.json or {}) of one result folder."""
    csv = csv_path(folder_or_csv)
    rows = read_csv(csv, required, allow_emulated)
    samples_path = csv.parent / "samples.csv"
    samples = with_key_columns(pd.read_csv(samples_path)) if samples_path.is_file() else None
    env_path = csv.parent / "env.json"
    env = json.loads(env_path.read_text()) if env_path.is_file() else {}
    return rows, samples, env


def key_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The point-key columns, with missing ones and empty cells as '' so that keys join exactly."""
    out = pd.DataFrame(index=df.index)
    for column in POINT_KEYS:
        if column in df.columns:
            values = df[column]
            # Integers written by pandas as floats (a column with empty cells) must not become '64.0'.
            if pd.api.types.is_float_dtype(values):
                values = values.map(lambda v: "" if pd.isna(v) else str(int(v)) if float(v).is_integer() else str(v))
            out[column] = values.fillna("").astype(str)
        else:
            out[column] = ""
    return out


def run_metadata(df: pd.DataFrame) -> dict[str, str]:
    """The run columns of a run (the same on every row), as text."""
    meta = {}
    for column in RUN_COLUMNS:
        if column in df.columns:
            values = df[column].dropna().astype(str).unique()
            meta[column] = ", ".join(values) if len(values) else ""
    return meta
