"""The GPU runbook, rehearsed without a GPU: tools/device_bundle.sh bundles the build, the tree is copied to another
path, and tools/device_run.sh runs there in a mount namespace shaped like a lent GPU machine's standard CUDA install:
the build machine's /usr/local/cuda/lib is gone, cuBLAS is only in /usr/local/cuda/lib64, CUPTI (with the libnvperf
libraries beside it) only in extras/CUPTI/lib64, and Debian's Google Benchmark, spdlog, fmt and GoogleTest libraries are
unreadable. There every binary must load, the CPU test binaries must pass, bench_llama --gpu 0 must exit 3 saying there
is no GPU, and each step must leave its one summary line. Needs root and unshare (CI has both); skips, saying so,
elsewhere."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT

LIB_DIR = Path("/lib/x86_64-linux-gnu")
HIDDEN_LIBS = ["libbenchmark", "libspdlog", "libfmt", "libgtest", "libgmock"]


def namespace_problem() -> str:
    if os.geteuid() != 0:
        return "needs root (mount namespaces): the runbook rehearsal is not run"
    if not shutil.which("unshare"):
        return "needs unshare (util-linux): the runbook rehearsal is not run"
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "mount", "-t", "tmpfs", "tmpfs", "/mnt"],
                           capture_output=True, text=True)  # fmt: skip
    if probe.returncode != 0:
        return f"mount namespaces are refused here ({probe.stderr.strip()}): the runbook rehearsal is not run"
    if (
        subprocess.run(["nvidia-smi", "-L"], capture_output=True).returncode == 0
        if shutil.which("nvidia-smi")
        else False
    ):
        return "this machine has a GPU: the rehearsal is for machines without one (run tools/device_run.sh itself)"
    return ""


pytestmark = pytest.mark.skipif(bool(namespace_problem()), reason=namespace_problem() or "runs")


def cuda_dir(library: str) -> Path:
    """Where this machine's CUDA keeps a library (the build machine: /usr/local/cuda/lib for all of them)."""
    for candidate in ("lib", "lib64", "targets/x86_64-linux/lib", "extras/CUPTI/lib64"):
        folder = (Path("/usr/local/cuda") / candidate).resolve()
        if (folder / library).exists():
            return folder
    pytest.fail(f"no {library} under /usr/local/cuda: the CUDA Toolkit 13 is needed to build bench_llama")


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory):
    work = tmp_path_factory.mktemp("runbook")
    build = Path(os.environ.get("BENCH_LLAMA_BUILD", ROOT / "build" / "ci"))
    preset = build.name
    carry = work / "carry"
    env = dict(os.environ, BENCH_LLAMA_CARRY=str(carry))
    bundled = subprocess.run([ROOT / "tools" / "device_bundle.sh", preset], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=1800)  # fmt: skip
    assert bundled.returncode == 0, bundled.stdout + bundled.stderr
    # The tree as the device tool sends it: tracked files, at another path, with the bundle as .carry.
    tree = work / "tree"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, files):
        source = ROOT / name.decode()
        if source.is_file():
            (tree / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tree / name.decode())
    shutil.copytree(carry, tree / ".carry")

    toolkit = Path("/usr/local/cuda").resolve()
    staged = {lib: cuda_dir(lib) / lib for lib in ("libcublas.so.13", "libcublasLt.so.13", "libcupti.so.13",
                                                   "libnvperf_host.so", "libnvperf_target.so")}  # fmt: skip
    stage = work / "stage"
    stage.mkdir()
    hidden = sorted({str(p.resolve()) for prefix in HIDDEN_LIBS for p in LIB_DIR.glob(f"{prefix}*.so*")})
    out = work / "out"
    # Copies of the libraries stay reachable through bind mounts made before the toolkit's folder is covered.
    binds = "\n".join(f"touch {stage}/{lib} && mount --bind {path} {stage}/{lib}" for lib, path in staged.items())
    script = f"""
set -e
{binds}
mount -t tmpfs tmpfs {toolkit}
mkdir -p {toolkit}/lib64 {toolkit}/extras/CUPTI/lib64
for lib in libcublas.so.13 libcublasLt.so.13; do
  touch {toolkit}/lib64/$lib && mount --bind {stage}/$lib {toolkit}/lib64/$lib
done
for lib in libcupti.so.13 libnvperf_host.so libnvperf_target.so; do
  touch {toolkit}/extras/CUPTI/lib64/$lib && mount --bind {stage}/$lib {toolkit}/extras/CUPTI/lib64/$lib
done
for lib in {" ".join(hidden)}; do mount --bind /dev/null $lib; done
test ! -e /usr/local/cuda/lib/libcublas.so.13
cd {tree}
OUT={out} tools/device_run.sh --quick
# bench_llama's own search for CUPTI, with only the carried libraries and cuBLAS's folder on the loader's path:
LD_LIBRARY_PATH={tree}/.carry/lib:{toolkit}/lib64 .carry/bin/bench_unit_tests --gtest_filter='Chips/*' \
  >{work}/own_cupti.log 2>&1 || echo "own CUPTI search failed" >>{work}/own_cupti.log
"""
    run_env = dict(os.environ, BENCH_LLAMA_PYTHON=os.environ.get("BENCH_LLAMA_PYTHON", str(ROOT / ".venv/bin/python")))
    result = subprocess.run(["unshare", "-m", "--propagation", "private", "bash", "-c", script], env=run_env,
                            capture_output=True, text=True, timeout=900)  # fmt: skip
    return {"result": result, "out": out, "carry": carry, "hidden": hidden, "own_cupti": work / "own_cupti.log"}


def summary(rehearsal) -> dict[str, str]:
    text = (rehearsal["out"] / "summary.txt").read_text()
    return {line.split()[1]: line for line in text.splitlines() if line.strip() and not line.startswith("#")}


def test_the_bundle_carries_what_a_gpu_machine_lacks_and_no_cupti_is_linked(rehearsal):
    libs = {p.name.split(".so")[0] for p in (rehearsal["carry"] / "lib").iterdir()}
    assert {"libbenchmark", "libspdlog", "libfmt"} <= libs, libs
    assert rehearsal["hidden"], "nothing hidden: the rehearsal would prove nothing"
    unpacked = rehearsal["carry"].parent / "unpacked"
    unpacked.mkdir(exist_ok=True)
    subprocess.run(["tar", "-xzf", rehearsal["carry"] / "bin.tgz", "-C", unpacked], check=True)
    needed = subprocess.run(["readelf", "-d", unpacked / "bin" / "bench_llama"], capture_output=True,
                            text=True).stdout  # fmt: skip
    assert "libcupti" not in needed, "CUPTI must be loaded at run time, only for --counters"


def test_every_binary_loads_where_cuda_is_installed_the_standard_way(rehearsal):
    lines = summary(rehearsal)
    assert "libs" in lines, rehearsal["result"].stdout + rehearsal["result"].stderr
    assert lines["libs"].startswith("PASS"), lines["libs"]
    assert "/usr/local/cuda/lib64" in lines["libs"] and "extras/CUPTI/lib64" in lines["libs"], lines["libs"]


def test_the_cpu_test_binaries_pass_there(rehearsal):
    assert summary(rehearsal)["unit"].startswith("PASS"), summary(rehearsal)["unit"]


def test_without_a_gpu_the_sweep_exits_3_saying_so(rehearsal):
    line = summary(rehearsal)["sweep"]
    assert line.startswith("FAIL") and "exit 3" in line and "no CUDA device" in line, line


def test_every_step_says_what_it_did_in_one_line(rehearsal):
    lines = summary(rehearsal)
    steps = ["libs", "machine", "variants", "sweep", "unit", "gpu", "faults", "sanitizer", "compare", "probe"]
    assert list(lines) == steps, lines
    assert "14 variants for an unknown GPU" in lines["libs"], lines["libs"]  # every variant of the real table
    assert lines["variants"].startswith("SKIP") and "no variant is used" in lines["variants"], lines["variants"]
    assert lines["gpu"].startswith("PASS") and "skipped" in lines["gpu"], lines["gpu"]
    assert lines["faults"].startswith("PASS") and "skipped" in lines["faults"], lines["faults"]
    assert lines["compare"].startswith("SKIP") and lines["probe"].startswith("SKIP"), lines
    assert rehearsal["result"].returncode == 0, rehearsal["result"].stderr


def test_out_holds_only_the_summary_and_the_packed_logs(rehearsal):
    """At most 8 files come back from a lent machine: the logs travel packed, never loose (and with no result
    folder, as here, there is no results.tgz)."""
    assert sorted(p.name for p in rehearsal["out"].iterdir()) == ["logs.tgz", "summary.txt"]
    names = subprocess.run(["tar", "-tzf", rehearsal["out"] / "logs.tgz"], capture_output=True, text=True).stdout
    assert "device_logs/unit.log" in names and "device_logs/summary.txt" in names, names
    assert "device_logs/variants/gemm_mma_64x64.log" in names and "device_logs/bench.log" in names, names
    bench_log = subprocess.run(["tar", "-xzOf", rehearsal["out"] / "logs.tgz", "device_logs/bench.log"],
                               capture_output=True, text=True).stdout  # fmt: skip
    assert "no CUDA device" in bench_log, bench_log


def test_bench_llama_finds_cupti_of_a_standard_install_by_itself(rehearsal):
    """Without extras/CUPTI/lib64 on the loader's path, bench_llama loads CUPTI (and the libnvperf_host.so it needs)
    from there itself."""
    log = rehearsal["own_cupti"].read_text()
    assert "[  PASSED  ] 4 tests" in log, log
