"""Synthetic result folders for the script tests and the notebook's sample: made-up times with a chosen noise, in
bench_llama's file layout (roofline.csv with the columns the scripts read, samples.csv, env.json). Never results:
these are test inputs, generated here and in tests/data/, never under results/.

    python3 tests/scripts/synthetic.py tests/data/sample_runs   # regenerates the committed sample (runs a and b)

make_run(..., version=2) writes schema version 2 (a `candidates` column in both files), and with phases=("init", "ar",
"medusa") adds Medusa steps for each q of `candidates`. version=3 adds the columns of schema version 3: ceiling rows
measured before the points and after them (`ceiling_pass`), each point's `measured_at_s`, and measured roofs
interpolated in time between the two passes (the end pass 3 % lower, as on a warm GPU), and decode points timed in
batches of 20 (`launches_per_sample`), their single-launch median 25 % longer (`time_us_single`). version=4 adds
`device_kind` (gpu, or emulated as bench_llama_emulated writes it). The committed sample is version 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

OPS = [("q_proj", "qkv mlp"), ("o_proj", "qkv mlp"), ("up_proj", "up/gate/down"), ("down_proj", "up/gate/down"),
       ("qk", "qk/pv"), ("pv", "qk/pv")]  # fmt: skip
H, N_HEADS, FFN = 6656, 52, 17920


def cost(op: str, phase: str, b: int, s: int, q: int = 1) -> tuple[float, float]:
    """DESIGN.md section 2 (q: the medusa phase's candidates; 1 is ar)."""
    t = b * s if phase == "init" else b * q
    if op in ("q_proj", "o_proj"):
        return 2 * t * H * H, 2 * (2 * t * H + H * H)
    if op in ("up_proj", "down_proj"):
        return 2 * t * H * FFN, 2 * (t * H + H * FFN + t * FFN)
    if phase == "init":
        return 2 * b * s * s * H, 2 * (2 * b * s * H + b * N_HEADS * s * s)
    return 2 * b * q * s * H, 2 * (b * q * H + b * s * H + b * N_HEADS * q * s)


def make_run(folder: Path, *, seed: int = 0, noise: float = 0.01, reps: int = 20, driver: str = "580.159.04",
             commit: str = "aaaaaaaaaaaa", slow: dict | None = None, impls=("hand", "cublas"),
             batches=(1, 16), seqs=(512, 4096), version: int = 1, phases=("init", "ar"),
             candidates=(16, 64), device_kind: str = "gpu") -> Path:  # fmt: skip
    """Writes a result folder. `slow` maps (series, phase) to a factor multiplying that series' times; `device_kind`
    is written from version 4 on (emulated: as bench_llama_emulated writes it)."""
    assert version in (1, 2, 3, 4) and (version >= 2 or "medusa" not in phases), "the medusa phase needs version 2"
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    peak_t, peak_g = 700.0, 3000.0
    rows, samples = [], []
    run = {"schema_version": version, "run_id": f"synthetic-{seed}", "timestamp_utc": "2026-11-24T00:00:00Z",
           "host": "synthetic", "gpu_index": 0, "gpu_name": "NVIDIA H100 80GB HBM3", "gpu_uuid": "GPU-synthetic",
           "cc": "9.0", "sm_count": 132, "driver_version": driver, "cuda_runtime_version": "13.0",
           "cuda_driver_version": "13.0", "cublas_version": "13.0.0", "git_commit": commit,
           "build_archs": "80,86,89,90a", "l2_mode": "cold", "spec": "h100-sxm"}  # fmt: skip
    if version >= 4:
        run["device_kind"] = device_kind
    steps = [(phase, q) for phase in phases for q in (candidates if phase == "medusa" else (None,))]
    points = len(steps) * len(batches) * len(seqs) * len(OPS) * len(impls)
    end_t, end_g, clock = peak_t * 0.97, peak_g * 0.97, iter(range(1, points + 1))  # version 3: time in seconds

    def ceilings(pass_: str, at: float, tflops: float, gbps: float) -> None:
        for op, key, value in (("dram_read", "achieved_gbps", gbps), ("mma_sync_fp16", "achieved_tflops", tflops)):
            times = 100.0 * (1 + noise * rng.standard_normal(reps))
            rows.append({**run, "series": "ceiling", "op": op, "impl": "hand", "dtype": "fp16", key: value,
                         "time_us_median": float(np.median(times)), "status": "ok", "measured_at_s": at,
                         "ceiling_pass": pass_})  # fmt: skip
            samples.extend({"run_id": run["run_id"], "series": "ceiling", "op": op, "impl": "hand", "dtype": "fp16",
                            "l2_mode": "cold", "repetition": i, "time_us": float(t), "ceiling_pass": pass_}
                           for i, t in enumerate(times))  # fmt: skip

    if version >= 3:
        ceilings("start", 0.0, peak_t, peak_g)
    for phase, q in steps:
        for b in batches:
            for s in seqs:
                for op, series in OPS:
                    flops, nbytes = cost(op, phase, b, s, q or 1)
                    # As bench_llama writes it: q for medusa, 1 for ar, an empty cell for init.
                    extra = {} if version == 1 else {"candidates": str(q or (1 if phase == "ar" else ""))}
                    for impl in impls:
                        base = max(flops / (peak_t * 1e12 * 0.8), nbytes / (peak_g * 1e9 * 0.85)) * 1e6
                        base *= (slow or {}).get((series, phase), 1.0) * (1.05 if impl == "hand" else 1.0)
                        times = base * (1 + noise * rng.standard_normal(reps))
                        median = float(np.median(times))
                        intensity = flops / nbytes
                        achieved = flops / (median * 1e-6) / 1e12
                        roofs = {"peak_tflops_measured": peak_t, "peak_gbps_measured": peak_g}
                        timing = {}
                        if version >= 3 and phase != "init":  # decode points are short: timed in batches too
                            timing = {"launches_per_sample": 20, "time_us_single": median * 1.25}
                        if version >= 3:  # interpolated between the passes at the point's time
                            at = next(clock)
                            w = at / (points + 1)
                            roofs = {"peak_tflops_measured": (1 - w) * peak_t + w * end_t,
                                     "peak_gbps_measured": (1 - w) * peak_g + w * end_g,
                                     "measured_at_s": at}  # fmt: skip
                        attainable = min(roofs["peak_tflops_measured"], intensity * roofs["peak_gbps_measured"] / 1000)
                        rows.append({**run, "model": "llama-33b", "series": series, "op": op, "phase": phase,
                                     "impl": impl, "dtype": "fp16", "batch": b, "seq_len": s, "flops": flops,
                                     "bytes_min": nbytes, "intensity": intensity, "time_us_median": median,
                                     "time_us_min": float(times.min()),
                                     "time_cv": float(times.std(ddof=1) / times.mean()), "repetitions": reps,
                                     "peak_tflops_datasheet": 989.4, "peak_gbps_datasheet": 3350.0,
                                     **roofs, "achieved_tflops": achieved,
                                     "achieved_gbps": nbytes / (median * 1e-6) / 1e9,
                                     "attainable_tflops": attainable, "roof_fraction": achieved / attainable,
                                     "bound": "memory" if attainable < roofs["peak_tflops_measured"] else "compute",
                                     "status": "ok", "roof_source": "measured", **extra, **timing})  # fmt: skip
                        for i, t_us in enumerate(times):
                            samples.append({"run_id": run["run_id"], "model": "llama-33b", "series": series,
                                            "op": op, "phase": phase, "impl": impl, "dtype": "fp16", "batch": b,
                                            "seq_len": s, "l2_mode": "cold", "repetition": i,
                                            "time_us": float(t_us), **extra})  # fmt: skip
    if version >= 3:
        ceilings("end", float(points + 1), end_t, end_g)
    pd.DataFrame(rows).to_csv(folder / "roofline.csv", index=False)
    pd.DataFrame(samples).to_csv(folder / "samples.csv", index=False)
    (folder / "env.json").write_text(json.dumps({"synthetic": True, **run}, indent=2) + "\n")
    return folder


if __name__ == "__main__":
    out = Path(sys.argv[1])
    make_run(out / "a", seed=1, driver="570.86.15", commit="aaaaaaaaaaaa")
    make_run(out / "b", seed=2, driver="580.159.04", commit="aaaaaaaaaaaa", slow={("qk/pv", "ar"): 1.15})
    print(f"wrote {out}/a and {out}/b (synthetic)")
