"""Checks of the compiled kernels that need no GPU (CI runs them): every kernel is built for every architecture of
the build, none touches local memory (no spills), each one's registers and shared memory are reported and within
the limits of the architectures it is built for, and the tensor-core kernels really contain tensor-core
instructions. NVIDIA's cuobjdump and nvdisasm come from PyPI (requirements.txt)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import ROOT

# Shared memory one block may use (opt-in maximum), per architecture: CUDA C++ Programming Guide, "Technical
# Specifications per Compute Capability". 86 and 89 are the A40 / Ada limit of 99 KB.
MAX_SHARED_BYTES = {"sm_80": 163 * 1024, "sm_86": 99 * 1024, "sm_89": 99 * 1024, "sm_90a": 227 * 1024,
                    "sm_90": 227 * 1024}  # fmt: skip
MAX_REGISTERS = 255
# Kernels whose SASS must hold tensor-core instructions, per architecture: (name fragment, opcode prefix).
# (name fragment, opcode prefix, architectures: None for every one of the build).
TENSOR_CORE_KERNELS = [
    ("mma_peak_kernel", "HMMA.16816.F32", None),
    ("gemm_mma_kernel", "HMMA.16816.F32", None),
    ("gemm_mma_kernel", "LDSM", None),  # ldmatrix
    ("gemm_mma_kernel", "LDGSTS", None),  # cp.async
    ("gemv_mma_kernel", "HMMA.16816.F32", None),
    ("gemm_wgmma_kernel", "HGMMA.64x128x16.F32", {"sm_90a"}),  # wgmma
    ("gemm_wgmma_kernel", "UTMALDG.4D", {"sm_90a"}),  # TMA bulk tensor copy
    ("gemm_wgmma_kernel", "SYNCS.PHASECHK", {"sm_90a"}),  # mbarrier waits
]


def nvidia_bin():
    """The folder holding cuobjdump and nvdisasm: the wheels in this interpreter's environment, else the PATH."""
    for base in map(Path, sys.path):
        candidate = base / "nvidia" / "cu13" / "bin"
        if (candidate / "cuobjdump").is_file() and (candidate / "nvdisasm").is_file():
            return candidate
    found = shutil.which("cuobjdump")
    if found and shutil.which("nvdisasm"):
        return Path(found).parent
    pytest.fail("cuobjdump/nvdisasm not found: install requirements.txt (tools/setup.sh does) or the CUDA toolkit's")


@pytest.fixture(scope="module")
def kernels_library():
    build = Path(os.environ.get("BENCH_LLAMA_BUILD", ROOT / "build" / "ci"))
    lib = build / "kernels" / "libbench_llama_kernels.a"
    if "BENCH_LLAMA_BUILD" not in os.environ and not lib.is_file():
        pytest.skip("kernels not built; run tools/run_tests.sh (or set BENCH_LLAMA_BUILD)")
    assert lib.is_file(), f"{lib} missing: build first"
    return lib


def cuobjdump(lib, *args):
    tools = nvidia_bin()
    env = dict(os.environ, PATH=f"{tools}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run([tools / "cuobjdump", *args, lib], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def build_archs(lib):
    cache = (lib.parents[1] / "CMakeCache.txt").read_text()
    archs = re.search(r"^CMAKE_CUDA_ARCHITECTURES:\w+=(.*)$", cache, re.M).group(1)
    return {f"sm_{a.replace('-real', '').replace('-virtual', '')}" for a in archs.split(";")}


def resource_usage(lib):
    """{(member, arch, function): {REG: .., SHARED: .., LOCAL: .., STACK: ..}}"""
    usage, member, arch, function = {}, None, None, None
    for line in cuobjdump(lib, "--dump-resource-usage").splitlines():
        if m := re.match(r"member .*:(\S+\.o):", line):
            member = m.group(1)
        elif m := re.match(r"arch = (sm_\w+)", line):
            arch = m.group(1)
        elif m := re.match(r"\s*Function (\S+):", line):
            function = m.group(1)
        elif "REG:" in line and function:
            usage[(member, arch, function)] = {k: int(v) for k, v in re.findall(r"(\w+):(\d+)", line)}
    return usage


def sass_by_function(lib):
    """{(member, arch, function): [instruction, ...]}"""
    code, member, arch, function = defaultdict(list), None, None, None
    for line in cuobjdump(lib, "-sass").splitlines():
        if m := re.match(r"member .*:(\S+\.o):", line):
            member = m.group(1)
        elif m := re.match(r"\s*code for (sm_\w+)", line):
            arch = m.group(1)
        elif m := re.match(r"\s*Function : (\S+)", line):
            function = m.group(1)
        elif m := re.match(r"\s*/\*[0-9a-f]{4,}\*/\s+([^;]+);", line):
            code[(member, arch, function)].append(m.group(1).strip())
    return code


def test_every_kernel_is_built_for_every_architecture(kernels_library):
    usage = resource_usage(kernels_library)
    wanted = build_archs(kernels_library)
    archs_of = defaultdict(set)
    for member, arch, function in usage:
        archs_of[(member, function)].add(arch)
    assert archs_of, "no kernels found"
    for (member, function), archs in archs_of.items():
        assert archs == wanted, f"{member} {function}: built for {sorted(archs)}, the build asks for {sorted(wanted)}"


def test_no_kernel_spills_and_resources_fit(kernels_library):
    usage = resource_usage(kernels_library)
    print(f"\n{'arch':7} {'REG':>4} {'SHARED':>7} {'LOCAL':>5}  kernel")
    for (member, arch, function), u in sorted(usage.items()):
        print(f"{arch:7} {u['REG']:4} {u['SHARED']:7} {u['LOCAL']:5}  {member}: {function[:90]}")
        assert u["LOCAL"] == 0, f"{function} ({arch}) uses {u['LOCAL']} bytes of local memory (a spill)"
        assert u["REG"] <= MAX_REGISTERS, f"{function} ({arch}) uses {u['REG']} registers"
        assert u["SHARED"] <= MAX_SHARED_BYTES[arch], f"{function} ({arch}) uses {u['SHARED']} bytes of shared memory"


@pytest.fixture(scope="module")
def sass(kernels_library):
    return sass_by_function(kernels_library)


@pytest.mark.parametrize("fragment, opcode, archs", TENSOR_CORE_KERNELS)
def test_tensor_core_kernels_contain_tensor_core_instructions(kernels_library, sass, fragment, opcode, archs):
    code = sass
    wanted = build_archs(kernels_library) if archs is None else archs & build_archs(kernels_library)
    found = {arch for (member, arch, function), ins in code.items() if fragment in function and
             any(i.startswith(opcode) for i in ins)}  # fmt: skip
    assert found == wanted, f"{fragment}: {opcode} found for {sorted(found)}, expected every arch {sorted(wanted)}"


def test_ptxas_reports_no_wgmma_serialization(tmp_path):
    """ptxas serializes wgmma (warning C7510, 'Potential Performance Loss') when it cannot prove the accumulators
    stay in registers across the asynchronous MMAs; the Hopper kernel must compile without it."""
    nvcc = shutil.which("nvcc") or "/usr/local/cuda/bin/nvcc"
    if not Path(nvcc).exists():
        pytest.fail("nvcc not found: the CUDA Toolkit is needed to build bench_llama at all")
    result = subprocess.run(
        [nvcc, "-std=c++17", f"-I{ROOT}", "-O3", "--expt-relaxed-constexpr", "-DBENCH_LLAMA_HAS_SM90A=1",
         "-gencode=arch=compute_90a,code=sm_90a", "-Xptxas=-v", "-c", ROOT / "kernels" / "gemm_wgmma.cu",
         "-o", tmp_path / "gemm_wgmma.o"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "gemm_wgmma_kernel" in result.stderr, "ptxas -v printed nothing about the kernel"
    assert "C7510" not in result.stderr and "serialized" not in result.stderr, result.stderr
    assert " 0 bytes spill stores" in result.stderr


def test_the_flush_leaves_l2_clean_its_last_pass_only_reads(kernels_library, sass):
    """The cold-L2 flush ends with a read-only pass (docs/measuring.md): its kernel loads and stores nothing but the
    one data-dependent word that keeps the loads alive. A store there would leave dirty lines for the next timed
    kernel to write back."""
    passes = {arch: ins for (member, arch, function), ins in sass.items() if "cached_read_kernel" in function}
    assert set(passes) == build_archs(kernels_library), f"cached_read_kernel built for {sorted(passes)}"
    for arch, ins in passes.items():
        stores = [i for i in ins if i.split()[0].startswith(("STG", "ST.", "RED", "ATOM"))]
        loads = [i for i in ins if i.split()[0].startswith("LDG")]
        assert loads, f"{arch}: the clean pass loads nothing"
        assert len(stores) <= 1, f"{arch}: the clean pass stores: {stores}"
