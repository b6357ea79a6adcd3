"""tools/device_run.sh's own logic with stand-in binaries (runs anywhere, no GPU, no namespace): the steps run in the
documented order; their caps add up to at most the budget; a variant whose test process fails or hangs is left out of
the sweep's allowed variants, of the sanitizer and of the comparison; a sweep cut at its cap keeps its rows and comes
back packed; a spent budget says NOT-RUN; a second run in the same call keeps the first's files; the plot is never
drawn on the device."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile

import pytest
from conftest import ROOT

VARIANTS = """# hand picks the first allowed variant, in this order, that supports and suits a problem; max_sm -: none
variant                           min_sm  max_sm  allowed
var_old                           80      -       yes
var_trap                          80      -       yes
var_new                           80      -       yes
var_hang                          90      90      yes
var_sm100                         100     -       yes
"""
BENCH_LLAMA = """#!/bin/bash
# Stand-in: logs its call; --list-variants prints a table; a run names its result folder, writes rows, and ends (or,
# with STUB_SWEEP_HANG, works until SIGTERM, which it answers like bench_llama).
echo "bench_llama $*" >>"$STUB_CALLS"
[ "$1" = --help ] && exit 0
[ "$1" = --list-variants ] && { cat "$(dirname "$0")/../variants.txt"; exit 0; }
folder=results/stub-gpu/2026-01-01_000000000000
[ -e "$folder" ] && folder=${folder}_2
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do [ "${args[i]}" = --out ] && folder=${args[i + 1]}; done
mkdir -p "$folder"
echo "[00:00:00] info writing the result folder: $folder"
printf 'schema_version,op\\n3,q_proj\\n3,k_proj\\n' >"$folder/roofline.csv"
echo "args: $*" >"$folder/env.json"
if [ -n "${STUB_SWEEP_HANG:-}" ] && [[ " $* " != *" --counters "* ]]; then
  trap 'echo "[00:00:01] warn interrupted; result folder: $folder"; exit 130' TERM
  while true; do sleep 0.2; done
fi
echo "[00:00:01] info done in 1 s; result folder: $folder"
"""
GTEST = """#!/bin/bash
# Stand-in test binary: logs its call; var_trap fails as a trapping kernel does, var_hang never ends.
[ "$1" = --gtest_list_tests ] && exit 0
echo "$(basename "$0") variants=${BENCH_LLAMA_VARIANTS-unset} small=${BENCH_LLAMA_SMALL_SHAPES-0}\
 sanitizer=${STUB_SANITIZER-none} $*" >>"$STUB_CALLS"
case ${BENCH_LLAMA_VARIANTS-} in
  var_trap)
    echo "unknown file: Failure"
    echo 'C++ exception with description "cudaStreamSynchronize failed: unspecified launch failure" thrown.'
    echo "[  FAILED  ] 2 tests, listed below:"
    exit 1
    ;;
  var_hang) exec sleep 1000 ;;
esac
echo "[  PASSED  ] 2 tests."
"""
SANITIZER = """#!/bin/bash
# Stand-in compute-sanitizer: logs its call, runs the binary after its options, and reports no error.
echo "compute-sanitizer $*" >>"$STUB_CALLS"
[ "$1" = --version ] && { echo "Stub compute-sanitizer"; exit 0; }
tool=memcheck
while [[ $1 == --* ]]; do
  [ "$1" = --tool ] && tool=$2
  shift 2
done
STUB_SANITIZER=$tool "$@"
rc=$?
echo "========= ERROR SUMMARY: 0 errors"
exit $rc
"""
NVIDIA_SMI = """#!/bin/bash
case "$*" in
  *compute_cap*) echo "9.0" ;;
  *--query-gpu=name*) echo "Stub H100, 580.00, 1980 MHz, 700.00 W" ;;
  *) echo "stub nvidia-smi $*" ;;
esac
"""
PYTHON = """#!/bin/bash
# Stand-in python: the fault tests pass; anything else prints nothing.
echo "python $*" >>"$STUB_CALLS"
[ "$1" = -m ] && echo "4 passed in 1.00s"
exit 0
"""
LANE_PROBE = """#!/bin/bash
echo "lane_probe $*" >>"$STUB_CALLS"
echo "mma.m16n8k16 A: 128 lanes agree"
exit ${STUB_PROBE_RC:-0}
"""
STEPS = ["libs", "machine", "variants", "sweep", "unit", "gpu", "faults", "sanitizer", "compare", "probe"]


def script(path, text):
    path.write_text(text)
    path.chmod(0o755)


@pytest.fixture
def stub_tree(tmp_path):
    tree = tmp_path / "tree"
    (tree / "tools").mkdir(parents=True)
    for name in ("device_run.sh", "device_lib.sh"):
        shutil.copy2(ROOT / "tools" / name, tree / "tools")
    bin_dir = tree / ".carry" / "bin"
    bin_dir.mkdir(parents=True)
    (tree / ".carry" / "lib").mkdir()
    script(bin_dir / "bench_llama", BENCH_LLAMA)
    (bin_dir.parent / "variants.txt").write_text(VARIANTS)
    for name in ("roofline_tests", "bench_unit_tests", "bench_gpu_tests", "kernels_gpu_tests"):
        script(bin_dir / name, GTEST)
    tools = tmp_path / "path"
    tools.mkdir()
    script(tools / "compute-sanitizer", SANITIZER)
    script(tools / "nvidia-smi", NVIDIA_SMI)
    script(tools / "python", PYTHON)
    return tree


def run(tree, out, *args, **env):
    calls, stubs = tree / "calls.log", tree.parent / "path"
    calls.unlink(missing_ok=True)  # this run's calls only
    environment = dict(os.environ, OUT=str(out), STUB_CALLS=str(calls), BENCH_LLAMA_PYTHON=str(stubs / "python"),
                       PATH=f"{stubs}:{os.environ['PATH']}", **env)  # fmt: skip
    for name in ("DEVICE_PLAN", "DEVICE_STEPS", "DEVICE_BUDGET", "PASSED_VARIANTS", "TEST_VARIANTS", "SWEEP_FOLDER"):
        if name not in env:
            environment.pop(name, None)
    result = subprocess.run(["bash", tree / "tools" / "device_run.sh", *args], cwd=tree, env=environment,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    return result, (calls.read_text().splitlines() if calls.exists() else [])


def summary(out):
    lines = (out / "summary.txt").read_text().splitlines()
    return {line.split()[1]: line for line in lines if line.strip() and not line.startswith("#")}


def plan(tree, **env):
    result, _ = run(tree, tree / "unused", "--plan", **env)
    caps = {}
    for line in result.stdout.splitlines():
        match = re.match(r"(\w+)\s+(\d+)\s", line)
        if match:
            caps[match[1]] = int(match[2])
    return result, caps


def test_the_default_plan_is_a_first_call_of_8_minutes_whose_caps_add_up_to_the_budget(stub_tree):
    result, caps = plan(stub_tree)
    assert result.returncode == 0, result.stderr
    assert list(caps) == [*STEPS, "margin", "total"]
    assert caps["total"] == sum(caps[s] for s in [*STEPS, "margin"]) <= 480
    assert all(caps[s] > 0 for s in STEPS), caps
    assert caps["compare"] >= 45, "the old-against-new comparison must get a minute in the first call"
    assert "DEVICE_BUDGET=480" in result.stdout


def test_a_second_call_of_4_minutes_fits_and_a_plan_over_the_budget_is_refused(stub_tree):
    # docs/measuring.md's second call: rerun the variant test of a fixed kernel, then the comparison.
    result, caps = plan(stub_tree, DEVICE_BUDGET="240", DEVICE_STEPS="libs,variants,compare")
    assert result.returncode == 0, result.stderr
    assert list(caps) == ["libs", "variants", "compare", "margin", "total"] and caps["total"] <= 240, caps
    assert caps["compare"] == 240 - 20 - 15 - 50  # compare takes the rest
    result, _ = plan(stub_tree, DEVICE_BUDGET="240", DEVICE_STEPS="libs,sweep,faults")
    assert result.returncode == 2 and "over DEVICE_BUDGET=240" in result.stderr, result.stderr
    result, _ = plan(stub_tree, DEVICE_STEPS="libs,memcheck")
    assert result.returncode == 2 and "the steps are" in result.stderr, result.stderr


def test_the_steps_run_in_the_documented_order_and_a_failed_variant_is_never_used_again(stub_tree, tmp_path):
    out = tmp_path / "out"
    script(stub_tree / ".carry" / "bin" / "lane_probe", LANE_PROBE)
    result, calls = run(stub_tree, out, "--quick", VARIANT_TIMEOUT="4")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = summary(out)
    assert list(lines) == STEPS, lines
    # The variant tests come first, one process each; var_sm100 is not for this sm_90 GPU and is not run.
    variant_runs = [c for c in calls if "--gtest_filter=*VariantsGpu.EveryVariant*" in c and "sanitizer=none" in c]
    assert sorted(re.search(r"variants=(\S+)", c)[1] for c in variant_runs) == ["var_hang", "var_new", "var_old",
                                                                                 "var_trap"]  # fmt: skip
    assert lines["variants"].startswith("FAIL") and "2 of 4 passed: var_old,var_new" in lines["variants"], lines
    assert "var_trap (FAIL" in lines["variants"] and "unspecified launch failure" in lines["variants"], lines
    assert "var_hang (CUT" in lines["variants"], lines
    # The sweep: after every variant test, with hand among those that passed, and no plot on the device.
    sweep = [i for i, c in enumerate(calls) if c.startswith("bench_llama --gpu 0 --quick")]
    assert len(sweep) == 1 and sweep[0] > max(calls.index(c) for c in variant_runs)
    assert calls[sweep[0]].endswith("--no-plot --allow-variants var_old,var_new"), calls[sweep[0]]
    assert "hand among: var_old,var_new" in lines["sweep"]
    # Then the unit, GPU and fault tests; the GPU tests leave the per-variant comparison out.
    steps = [
        "bench_llama --gpu 0 --quick",
        "roofline_tests",
        "bench_gpu_tests",
        "kernels_gpu_tests variants=unset",
        "python -m pytest",
        "compute-sanitizer --tool",
        "bench_llama --gpu 0 --no-plot --counters",
        "lane_probe",
    ]
    order = [next(i for i, c in enumerate(calls) if c.startswith(prefix)) for prefix in steps]
    assert order == sorted(order), calls
    assert any("--gtest_filter=-*VariantsGpu.EveryVariant*" in c for c in calls if c.startswith("kernels_gpu_tests"))
    # The sanitizer: memcheck only, small shapes, one process per variant that passed, never the failed ones.
    checked = [c for c in calls if "sanitizer=memcheck" in c]
    assert sorted(re.search(r"variants=(\S+)", c)[1] for c in checked) == ["var_new", "var_old"], checked
    assert all("small=1" in c for c in checked)
    assert lines["sanitizer"].startswith("PASS") and "0 errors in 2 variants" in lines["sanitizer"], lines
    # The comparison: its own bench_llama, the variants that passed beside cuBLAS, its own result folder.
    compare = next(c for c in calls if "--counters" in c)
    assert "--batch 1,4,16,64 --seq 512,4096 --impl var_old,var_new,cublas --allow-variants var_old,var_new" in compare
    assert "--out " + str(stub_tree / "results/stub-gpu/2026-01-01_000000000000_old_vs_new") in compare
    assert lines["probe"].startswith("PASS"), lines
    # What comes back: the summary, the logs, the result folders; and how to rerun what failed.
    assert sorted(p.name for p in out.iterdir()) == ["logs.tgz", "results.tgz", "summary.txt"]
    with tarfile.open(out / "results.tgz") as tar:
        names = tar.getnames()
    folder = "results/stub-gpu/2026-01-01_000000000000"
    assert f"{folder}/roofline.csv" in names and f"{folder}_old_vs_new/roofline.csv" in names, names
    assert not any("/logs" in n for n in names), names
    with tarfile.open(out / "logs.tgz") as tar:
        logs = tar.getnames()
        table = tar.extractfile(f"{folder}/logs/variants.txt").read().decode()
    for name in ("bench.log", "variants.txt", "variants/var_trap.log", "sanitizer.txt", "compare.log", "summary.txt"):
        assert f"{folder}/logs/{name}" in logs, logs
    assert re.search(r"var_sm100\s+SKIP.*not for sm_90", table) and re.search(r"var_trap\s+FAIL", table), table
    rerun = (out / "summary.txt").read_text().splitlines()[-1]
    assert rerun.startswith("# to rerun") and "DEVICE_STEPS=libs,variants" in rerun, rerun
    assert "PASSED_VARIANTS=var_old,var_new" in rerun and "TEST_VARIANTS=var_trap,var_hang" in rerun, rerun


def test_passed_variants_from_an_earlier_call_are_allowed_without_a_new_test(stub_tree, tmp_path):
    out = tmp_path / "out"
    result, calls = run(stub_tree, out, DEVICE_STEPS="libs,variants,sweep", TEST_VARIANTS="var_trap",
                        PASSED_VARIANTS="var_old,var_new")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert [c for c in calls if "EveryVariant" in c] == [
        "kernels_gpu_tests variants=var_trap small=0 sanitizer=none --gtest_filter=*VariantsGpu.EveryVariant*"
    ]
    assert any(c.endswith("--allow-variants var_old,var_new") for c in calls if c.startswith("bench_llama --gpu"))
    # A second call after a fix: the fixed variant alone is tested, checked and compared; the earlier ones stay allowed.
    result, calls = run(stub_tree, tmp_path / "o1", DEVICE_STEPS="libs,variants,sanitizer,compare",
                        TEST_VARIANTS="var_new", PASSED_VARIANTS="var_old", COMPARE_VARIANTS="var_new")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert [re.search(r"variants=(\S+)", c)[1] for c in calls if "sanitizer=memcheck" in c] == ["var_new"], calls
    compare = next(c for c in calls if "--counters" in c)
    assert "--impl var_new,cublas --allow-variants var_old,var_new" in compare, compare
    # A variant that passed before and fails now is no longer allowed.
    result, calls = run(stub_tree, tmp_path / "o3", DEVICE_STEPS="libs,variants,sweep", TEST_VARIANTS="var_trap",
                        PASSED_VARIANTS="var_old,var_trap")  # fmt: skip
    assert any(c.endswith("--allow-variants var_old") for c in calls if c.startswith("bench_llama --gpu")), calls
    # The comparison names the variants in the table's rank order (the old one first), whatever order they came in;
    # in a call without the sweep its folder is named after the first call's.
    result, calls = run(stub_tree, tmp_path / "o4", DEVICE_STEPS="libs,compare", PASSED_VARIANTS="var_new,var_old",
                        SWEEP_FOLDER="results/stub-gpu/2026-01-01_000000000000")  # fmt: skip
    compare = next(c for c in calls if "--counters" in c)
    assert "--impl var_old,var_new,cublas" in compare, compare
    assert compare.endswith("/results/stub-gpu/2026-01-01_000000000000_old_vs_new_rerun"), compare
    # Without the variants step, PASSED_VARIANTS alone says what may run.
    result, calls = run(stub_tree, tmp_path / "o2", DEVICE_STEPS="libs,sanitizer", PASSED_VARIANTS="var_new")
    assert [re.search(r"variants=(\S+)", c)[1] for c in calls if "sanitizer=memcheck" in c] == ["var_new"], calls


def test_a_sweep_cut_at_its_cap_keeps_its_rows_and_leaves_the_later_steps_their_caps(stub_tree, tmp_path):
    """The sweep also takes what earlier steps left unused (here: the 15 s beyond its own 4), never a later step's
    cap: cut, it keeps its rows, comes back packed, and the unit tests still run within the budget."""
    out = tmp_path / "out"
    result, _ = run(stub_tree, out, DEVICE_STEPS="libs,sweep,unit", DEVICE_BUDGET="30", CAP_SWEEP="4", CAP_UNIT="5",
                    STUB_SWEEP_HANG="1")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    lines = summary(out)
    assert lines["sweep"].startswith("CUT") and "2 rows" in lines["sweep"], lines["sweep"]
    assert 10 <= int(lines["sweep"].split()[2].rstrip("s")) <= 16, lines["sweep"]
    assert lines["unit"].startswith("PASS"), lines
    assert "done in" in result.stdout and int(re.search(r"done in (\d+) s", result.stdout)[1]) <= 30
    with tarfile.open(out / "results.tgz") as tar:
        assert "results/stub-gpu/2026-01-01_000000000000/roofline.csv" in tar.getnames()


def test_a_spent_budget_says_not_run(stub_tree, tmp_path):
    out = tmp_path / "out"
    result, calls = run(stub_tree, out, DEVICE_STEPS="libs,sweep,faults", DEVICE_BUDGET="8")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = summary(out)
    assert lines["sweep"].startswith("NOT-RUN") and lines["faults"].startswith("NOT-RUN"), lines
    assert not [c for c in calls if c.startswith("bench_llama --gpu")]
    with tarfile.open(out / "logs.tgz") as tar:
        assert "device_logs/summary.txt" in tar.getnames()


def test_a_second_run_in_the_same_call_keeps_the_first_ones_files(stub_tree, tmp_path):
    out = tmp_path / "out"
    first, _ = run(stub_tree, out, DEVICE_STEPS="libs,sweep")
    assert first.returncode == 0, first.stdout + first.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    second, _ = run(stub_tree, out, DEVICE_STEPS="libs,unit")
    assert second.returncode == 0 and f"writes to {out}/2" in second.stdout, second.stdout
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert summary(out / "2")["unit"].startswith("PASS")
    other = tmp_path / "other"  # another OUT: the first's files stay too
    third, _ = run(stub_tree, other, DEVICE_STEPS="libs,sweep")
    assert third.returncode == 0 and summary(other)["sweep"].startswith("PASS")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    with tarfile.open(other / "results.tgz") as tar:  # bench_llama named the second sweep's folder _2
        assert "results/stub-gpu/2026-01-01_000000000000_2/roofline.csv" in tar.getnames()


def test_without_a_probe_in_the_bundle_the_probe_step_skips_and_a_disagreement_fails(stub_tree, tmp_path):
    result, _ = run(stub_tree, tmp_path / "a", DEVICE_STEPS="libs,probe")
    assert result.returncode == 0 and "no lane_probe in the bundle" in summary(tmp_path / "a")["probe"]
    script(stub_tree / ".carry" / "bin" / "lane_probe", LANE_PROBE)
    result, _ = run(stub_tree, tmp_path / "b", DEVICE_STEPS="libs,probe", STUB_PROBE_RC="1")
    line = summary(tmp_path / "b")["probe"]
    assert line.startswith("FAIL") and "exit 1" in line and "128 lanes agree" in line, line


def test_the_second_light_plan_sweeps_then_medusa_then_the_repeat_with_counters(stub_tree, tmp_path):
    """Second light: first light's variants allowed by name (no variant tests, no checks), the default sweep, the Medusa
    sweep and the sweep again with counters, each in a result folder of its own and all three packed; the repeat takes
    what the others leave of the 8 minutes."""
    result, caps = plan(stub_tree, DEVICE_PLAN="second-light", PASSED_VARIANTS="var_old,var_new")
    assert result.returncode == 0 and not result.stderr, result.stderr
    assert list(caps) == ["libs", "machine", "sweep", "medusa", "repeat", "margin", "total"], caps
    assert caps["total"] == 480 and caps["repeat"] == 480 - 20 - 15 - 10 - 180 - 180, caps
    out = tmp_path / "out"
    result, calls = run(stub_tree, out, "--quick", DEVICE_PLAN="second-light", PASSED_VARIANTS="var_old,var_new")
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(summary(out)) == ["libs", "machine", "sweep", "medusa", "repeat"], summary(out)
    assert all(line.startswith("PASS") for line in summary(out).values()), summary(out)
    assert not [c for c in calls if "EveryVariant" in c or c.startswith("compute-sanitizer --tool")], calls
    folder = "results/stub-gpu/2026-01-01_000000000000"
    sweeps = [c for c in calls if c.startswith("bench_llama --gpu")]
    allow = "--allow-variants var_old,var_new"
    assert sweeps == [
        f"bench_llama --gpu 0 --quick --no-plot {allow}",
        f"bench_llama --gpu 0 --no-plot --phase medusa --batch 1,4,16,64 --seq 512,4096 {allow} "
        f"--out {stub_tree / folder}_medusa",
        f"bench_llama --gpu 0 --no-plot --quick --counters {allow} --out {stub_tree / folder}_repeat",
    ], sweeps
    with tarfile.open(out / "results.tgz") as tar:
        names = tar.getnames()
    for suffix in ("", "_medusa", "_repeat"):
        assert f"{folder}{suffix}/roofline.csv" in names, names
    with tarfile.open(out / "logs.tgz") as tar:
        assert {f"{folder}/logs/{n}" for n in ("bench.log", "medusa.log", "repeat.log")} <= set(tar.getnames())


def test_a_cut_medusa_sweep_keeps_its_rows_and_the_rerun_names_the_plan(stub_tree, tmp_path):
    out = tmp_path / "out"
    result, _ = run(stub_tree, out, DEVICE_PLAN="second-light", DEVICE_STEPS="libs,medusa", DEVICE_BUDGET="30",
                    CAP_MEDUSA="4", STUB_SWEEP_HANG="1", PASSED_VARIANTS="var_old")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    line = summary(out)["medusa"]
    assert line.startswith("CUT") and "2 rows" in line, line
    rerun = (out / "summary.txt").read_text().splitlines()[-1]
    assert rerun.startswith("# to rerun") and "the same bundle" in rerun, rerun
    assert "DEVICE_PLAN=second-light DEVICE_STEPS=libs,medusa" in rerun, rerun
    with tarfile.open(out / "results.tgz") as tar:
        assert "results/stub-gpu/2026-01-01_000000000000/roofline.csv" in tar.getnames()


def test_a_later_calls_repeat_is_named_after_the_first_calls_sweep(stub_tree, tmp_path):
    """Call 2 of second light runs the repeat alone: its folder is named after call 1's sweep, never bench_llama's
    default name, which would be that sweep's own."""
    folder = "results/stub-gpu/2026-01-01_000000000000"
    result, calls = run(stub_tree, tmp_path / "out", DEVICE_PLAN="second-light", DEVICE_STEPS="libs,repeat",
                        PASSED_VARIANTS="var_old", SWEEP_FOLDER=folder)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    repeat = [c for c in calls if c.startswith("bench_llama --gpu")]
    assert repeat == [f"bench_llama --gpu 0 --no-plot --counters --allow-variants var_old --out {stub_tree / folder}"
                      "_repeat_rerun"], repeat  # fmt: skip
    with tarfile.open(tmp_path / "out" / "results.tgz") as tar:
        assert f"{folder}_repeat_rerun/roofline.csv" in tar.getnames()


def test_a_plan_without_vetted_variants_says_so_and_an_unknown_plan_is_refused(stub_tree):
    result, _ = plan(stub_tree, DEVICE_PLAN="second-light")
    assert result.returncode == 0 and "no variants step and no PASSED_VARIANTS" in result.stderr, result.stderr
    result, _ = plan(stub_tree, DEVICE_PLAN="third-light")
    assert result.returncode == 2 and "the plans are first-light and second-light" in result.stderr, result.stderr
