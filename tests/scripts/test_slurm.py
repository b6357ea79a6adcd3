"""scripts/slurm_sweep.sbatch under a stand-in srun (two tasks on one node) and a stand-in bench_llama that runs the
real binary's --predict with the arguments the script gives it: one result folder per task, merged into one CSV."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
from conftest import ROOT


def test_slurm_script_runs_one_folder_per_gpu_and_merges(bench_llama, tmp_path):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    # srun: run the command once per task, as Slurm would with 2 tasks on one node.
    (fake_bin / "srun").write_text(
        "#!/usr/bin/env bash\nwhile [[ $1 == --* ]]; do shift; done\n"
        'for id in 0 1; do SLURM_LOCALID=$id SLURMD_NODENAME=node7 "$@" || exit $?; done\n'
    )
    # bench_llama stand-in: no GPU here, so the real binary predicts instead of measuring (it drops --gpu 0).
    (fake_bin / "bench_llama").write_text(
        "#!/usr/bin/env bash\nargs=()\n"
        'while (($#)); do if [[ $1 == --gpu ]]; then shift 2; else args+=("$1"); shift; fi; done\n'
        f'exec {bench_llama} --predict --spec h100-sxm --no-plot "${{args[@]}}"\n'
    )
    for f in fake_bin.iterdir():
        f.chmod(0o755)
    env = dict(os.environ, PATH=f"{fake_bin}{os.pathsep}{os.environ['PATH']}", SLURM_JOB_ID="4242",
               SLURM_SUBMIT_DIR=str(ROOT), BENCH_LLAMA_BIN=str(fake_bin / "bench_llama"),
               BENCH_LLAMA_OUT=str(tmp_path / "out"), BENCH_LLAMA_PYTHON=sys.executable)  # fmt: skip
    result = subprocess.run(["bash", ROOT / "scripts" / "slurm_sweep.sbatch", "--quick", "--ops", "qk"], env=env,
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    job = tmp_path / "out" / "slurm_4242"
    assert sorted(p.name for p in job.iterdir() if p.is_dir()) == ["node7_gpu0", "node7_gpu1"]
    merged = pd.read_csv(job / "merged.csv")
    assert merged["source"].nunique() == 2 and len(merged) == 2 * 8
