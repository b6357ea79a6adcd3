"""Faults during a run, end to end on a GPU (the checks are tests/failure_paths.py's, which tests/emulated/ also runs
on the CPU emulator): a slightly wrong kernel is rejected by validation and never reported ok; out of device memory at
one point skips that point and the sweep goes on; a kernel fault stops the run cleanly with every earlier row kept;
SIGINT keeps every finished row in a well-formed file. Skipped, with the reason, where there is no GPU."""

from __future__ import annotations

import shutil
import subprocess

import failure_paths
import pytest


def gpu_present() -> bool:
    smi = shutil.which("nvidia-smi")
    return bool(smi) and subprocess.run([smi, "-L"], capture_output=True, text=True).returncode == 0


pytestmark = pytest.mark.skipif(not gpu_present(), reason="no GPU (nvidia-smi -L fails): GPU fault tests not run")


def test_a_slightly_wrong_kernel_is_never_reported_ok(bench_llama, tmp_path):
    failure_paths.a_slightly_wrong_kernel_is_never_reported_ok(bench_llama, tmp_path, model=[])


def test_out_of_memory_skips_the_point_and_the_sweep_goes_on(bench_llama, tmp_path):
    failure_paths.out_of_memory_skips_the_point_and_the_sweep_goes_on(bench_llama, tmp_path, model=[])


def test_a_kernel_fault_stops_the_run_and_keeps_every_earlier_row(bench_llama, tmp_path):
    failure_paths.a_kernel_fault_stops_the_run_and_keeps_every_earlier_row(bench_llama, tmp_path, model=[])


def test_sigint_keeps_finished_rows_in_a_well_formed_file(bench_llama, tmp_path):
    failure_paths.sigint_keeps_finished_rows_in_a_well_formed_file(
        bench_llama, tmp_path, model=[], long_sweep=["--quick"]
    )
