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
    ("mma_peak_rotating_kernel", "HMMA.16816.F32", None),
    ("gemm_mma_kernel", "HMMA.16816.F32", None),
    ("gemm_mma_kernel", "LDSM", None),  # ldmatrix
    ("gemm_mma_kernel", "LDGSTS", None),  # cp.async
    ("gemm_mma_w64_kernel", "HMMA.16816.F32", None),
    ("gemm_mma_w64_kernel", "LDSM", None),
    ("gemm_mma_w64_kernel", "LDGSTS", None),
    ("gemv_mma_kernel", "HMMA.16816.F32", None),
    ("gemv_mma_pipe_kernel", "HMMA.16816.F32", None),
    ("gemv_mma_pipe_kernel", "LDGSTS", None),  # the cp.async ring
    ("pv_decode_fused_kernel", "HMMA.16816.F32", None),
    ("pv_decode_fused_kernel", "LDGSTS", None),
    ("qk_decode_pipe_kernel", "HMMA.16816.F32", None),
    ("qk_decode_pipe_kernel", "LDGSTS", None),
    ("gemm_wgmma_kernel", "HGMMA.64x128x16.F32", {"sm_90a"}),  # wgmma
    ("gemm_wgmma_kernel", "UTMALDG.4D", {"sm_90a"}),  # TMA bulk tensor copy
    ("gemm_wgmma_kernel", "SYNCS.PHASECHK", {"sm_90a"}),  # mbarrier waits
    ("gemm_wgmma_kernel", "BPT.TRAP", {"sm_90a"}),  # the waits' watchdog
    # gemm_wgmma_128x256.cu's two shapes (Shape<256, B [N x K]> and Shape<128, B [K x N]>); every instantiation is
    # checked in test_wgmma_wide_kernels below.
    ("gemm_wgmma_128x256_kernel", "HGMMA.64x256x16.F32", {"sm_90a"}),
    ("gemm_wgmma_128x256_kernel", "HGMMA.64x128x16.F32", {"sm_90a"}),
    ("gemm_wgmma_128x256_kernel", "UTMALDG.4D", {"sm_90a"}),
    ("gemm_wgmma_128x256_kernel", "SYNCS.PHASECHK", {"sm_90a"}),
    ("gemm_wgmma_128x256_kernel", "USETMAXREG", {"sm_90a"}),  # setmaxnreg
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


def sass_listing(lib):
    """{(member, arch, function): [(address, instruction), ...]}, addresses as integers."""
    code, member, arch, function = defaultdict(list), None, None, None
    for line in cuobjdump(lib, "-sass").splitlines():
        if m := re.match(r"member .*:(\S+\.o):", line):
            member = m.group(1)
        elif m := re.match(r"\s*code for (sm_\w+)", line):
            arch = m.group(1)
        elif m := re.match(r"\s*Function : (\S+)", line):
            function = m.group(1)
        elif m := re.match(r"\s*/\*([0-9a-f]{4,})\*/\s+([^;]+);", line):
            code[(member, arch, function)].append((int(m.group(1), 16), m.group(2).strip()))
    return code


def opcode(instruction):
    """The opcode without its guard predicate: '@!P0 LDG.E.128 R4, ...' -> 'LDG.E.128'."""
    return re.sub(r"^@!?U?P\w+\s+", "", instruction).split()[0]


def main_loop(listing):
    """The kernel's main loop: the instructions from a backward branch's target to the branch, for the shortest such
    range that holds an HMMA (the innermost loop that does the arithmetic)."""
    loops = []
    for address, instruction in listing:
        if (m := re.match(r"BRA (0x[0-9a-f]+)$", re.sub(r"^@!?U?P\w+\s+", "", instruction))) and int(
            m.group(1), 16
        ) <= address:
            body = [ins for a, ins in listing if int(m.group(1), 16) <= a <= address]
            if any(opcode(ins).startswith("HMMA") for ins in body):
                loops.append(body)
    return min(loops, key=len) if loops else None


def is_global_load(instruction):
    """LDG (into registers) or LDGSTS (cp.async, into shared memory); not LDGDEPBAR (cp.async.commit_group)."""
    return re.match(r"LDG(STS)?(\.|$)", opcode(instruction)) is not None


def register_operands(instruction):
    """(destination registers, source registers) of an instruction, as sets of register numbers: a 128-bit load writes
    4 registers, HMMA.16816 reads 4 (A), 2 (B) and 4 (C); anything else counts one register per operand (enough to
    follow a loaded value through the MOV, SEL and PRMT that build fragments)."""
    op = opcode(instruction)
    operands = [o.strip() for o in re.sub(r"^@!?U?P\w+\s+\S+\s*", "", instruction).split(",")]

    def regs(operand, width):
        m = re.match(r"-?\|?R(\d+)(\.reuse)?\|?$", operand)
        return set(range(int(m.group(1)), int(m.group(1)) + width)) if m else set()

    width = 4 if ".128" in op else 2 if ".64" in op else 1
    if op.startswith("HMMA.16816"):
        return regs(operands[0], 4), regs(operands[1], 4) | regs(operands[2], 2) | regs(operands[3], 4)
    if not operands or operands[0].startswith("["):  # a store, or LDGSTS: no register written
        return set(), set().union(*(regs(o, 1) for o in operands)) if operands else set()
    return regs(operands[0], width), set().union(*(regs(o, 1) for o in operands[1:]))


def pipelined(body):
    """The pipelining rule for a kernel's main loop: the loads for the next iterations are issued before the MMAs of
    this one. Precisely: (1) every global load of the loop body (LDG, or LDGSTS for cp.async) comes before its first
    HMMA; (2) no HMMA reads a register loaded (LDG) earlier in the same trip through the body, directly or through the
    instructions that build fragments (its data must have been requested a trip earlier); (3) a loop that copies with
    cp.async waits with DEPBAR.LE SB0, N >= 1, leaving copies in flight while it computes."""
    loads = [i for i, ins in enumerate(body) if is_global_load(ins)]
    mmas = [i for i, ins in enumerate(body) if opcode(ins).startswith("HMMA")]
    if not loads or not mmas or max(loads) > min(mmas):
        return False
    loaded = set()  # registers holding data loaded in this trip
    for ins in body:
        written, read = register_operands(ins)
        if opcode(ins).startswith("LDG") and not opcode(ins).startswith("LDGSTS"):
            loaded |= written
        elif opcode(ins).startswith("HMMA") and read & loaded:
            return False
        elif read & loaded:
            loaded |= written
        else:
            loaded -= written
    if any(opcode(body[i]).startswith("LDGSTS") for i in loads):
        waits = [re.search(r"DEPBAR\.LE SB0, (0x[0-9a-f]+|\d+)", ins) for ins in body]
        return any(waits) and all(int(w.group(1), 0) >= 1 for w in waits if w)
    return True


# The kernel model's registers (roofline/kernel_model.cpp) name kernels; these are their functions in the build (with
# the instance filled in: gemv_mma's row tiles, gemv_mma_pipe's and pv_decode_fused's row groups, qk_decode_pipe's
# k32 chunks and row groups as 10 x chunks + groups).
MODEL_KERNELS = {
    "gemv_mma_splitk": r"gemv_mma_kernelINS0_5ShapeILi1ELi8ELi2EEELi{instance}E",
    "gemv_mma_wide": r"gemv_mma_kernelINS0_5ShapeILi4ELi2ELi1EEELi{instance}E",
    "gemv_mma_pipe": r"gemv_mma_pipe_kernelILi{instance}E",
    "pv_decode_fused": r"pv_decode_fused_kernelILi{instance}E",
    "qk_decode_pipe": r"qk_decode_pipe_kernelILi{chunks}ELi{groups}E",
    "pv_partial": r"pv_partial_kernel",
    "pv_reduce": r"pv_reduce_kernel",
    "gemm_mma_128x128": r"gemm_mma_kernelINS0_4TileILi128ELi128E",
    "gemm_mma_64x64": r"gemm_mma_kernelINS0_4TileILi64ELi64E",
    "gemm_mma_w64_128x128": r"gemm_mma_w64_kernelINS0_8WideTileILi128ELi128E",
}
MODEL_ARCHS = ("sm_80", "sm_86", "sm_89", "sm_90a")  # the order of the table's numbers


def model_registers():
    """{(kernel, instance): {arch: registers}} from the table between the markers of roofline/kernel_model.cpp."""
    text = (ROOT / "roofline" / "kernel_model.cpp").read_text()
    block = text.split("// registers: begin", 1)[1].split("// registers: end", 1)[0]
    rows = re.findall(r'\{"(\w+)",\s*(\d+),\s*(\d+),\s*(\d+),\s*(\d+),\s*(\d+)\}', block)
    return {(name, int(instance)): dict(zip(MODEL_ARCHS, map(int, regs))) for name, instance, *regs in rows}


def test_the_kernel_models_registers_are_the_builds(kernels_library):
    """The occupancy the kernel model predicts comes from these numbers: each is the largest register count of the
    kernel's instantiations in this build (of one instance, where the launch picks one by shape), per architecture. A
    kernel change that moves one fails here, naming it."""
    table = model_registers()
    assert {name for name, _ in table} == set(MODEL_KERNELS), "the registers table and MODEL_KERNELS differ"
    usage = resource_usage(kernels_library)
    archs = build_archs(kernels_library)
    for (kernel, instance), registers in table.items():
        pattern = MODEL_KERNELS[kernel].format(instance=instance, chunks=instance // 10, groups=instance % 10)
        for arch in MODEL_ARCHS:
            if arch not in archs:
                continue
            found = [u["REG"] for (_, a, function), u in usage.items() if a == arch and re.search(pattern, function)]
            assert found, f"no function matches {pattern} for {arch}"
            assert registers[arch] == max(found), (
                f"{kernel} (instance {instance}) on {arch}: the build uses {max(found)} registers, "
                f"roofline/kernel_model.cpp says {registers[arch]}: update its table"
            )


@pytest.fixture(scope="module")
def listing(kernels_library):
    return sass_listing(kernels_library)


# (name fragment of kernels whose main loop must be pipelined, of those that must not be: the check's own proof
# that it can fail).
PIPELINED_KERNELS = ["gemv_mma_pipe_kernel", "pv_decode_fused_kernel", "qk_decode_pipe_kernel"]
# gemv_mma_splitk and gemv_mma_wide, whose register loads ptxas interleaves with the MMAs that wait for them.
NOT_PIPELINED_KERNELS = ["gemv_mma_kernelINS0_5ShapeILi1ELi8ELi2EEE", "gemv_mma_kernelINS0_5ShapeILi4ELi2ELi1EEE"]


@pytest.mark.parametrize("fragment", PIPELINED_KERNELS)
def test_pipelined_kernels_issue_their_loads_before_their_mmas(kernels_library, listing, fragment):
    checked = set()
    for (_member, arch, function), code in listing.items():
        if fragment not in function:
            continue
        body = main_loop(code)
        assert body, f"{function} ({arch}): no loop holding an HMMA found"
        assert pipelined(body), f"{function} ({arch}): main loop not pipelined:\n" + "\n".join(body)
        checked.add(arch)
    assert checked == build_archs(kernels_library), f"{fragment}: checked for {sorted(checked)}"


@pytest.mark.parametrize("fragment", NOT_PIPELINED_KERNELS)
def test_the_pipelining_check_fails_on_the_kernel_it_replaces(kernels_library, listing, fragment):
    """gemv_mma_splitk's MMAs wait for loads issued in the same trip (interleaved with them on sm_80 and sm_90a; on
    sm_86/89 the loads come first, but the MMAs right after them consume them), so a warp stalls with one chunk in
    flight. The check must say so, or it proves nothing about the kernels that pass it."""
    checked = set()
    for (_member, arch, function), code in listing.items():
        if fragment in function:
            body = main_loop(code)
            assert body and not pipelined(body), f"{function} ({arch}) passes the pipelining check"
            checked.add(arch)
    assert checked == build_archs(kernels_library), f"{fragment}: checked for {sorted(checked)}"


def main_loop_region(listing):
    """The whole main loop: the innermost loop holding an HMMA (main_loop), widened by every backward branch whose
    range overlaps it. ptxas may lay a loop out in pieces (the copies above the MMAs' loop head, reached by a second
    backward branch); the region holds every piece, and both sides of any branch inside."""
    ranges = []
    for address, instruction in listing:
        m = re.match(r"BRA (0x[0-9a-f]+)$", re.sub(r"^@!?U?P\w+\s+", "", instruction))
        if m and int(m.group(1), 16) <= address:
            ranges.append((int(m.group(1), 16), address))
    with_mma = [(lo, hi) for lo, hi in ranges
                if any(lo <= a <= hi and opcode(ins).startswith("HMMA") for a, ins in listing)]  # fmt: skip
    if not with_mma:
        return None
    lo, hi = min(with_mma, key=lambda r: r[1] - r[0])
    grown = True
    while grown:
        grown = False
        for a, b in ranges:
            if a <= hi and b >= lo and (a < lo or b > hi):
                lo, hi, grown = min(lo, a), max(hi, b), True
    return [ins for a, ins in listing if lo <= a <= hi]


def loop_density(body):
    """(MMAs per ldmatrix, instructions per MMA) of a main loop region. The instruction count takes every path of the
    region (an interior tile's unpredicated copies and an edge tile's predicated ones), so it is an upper bound on what
    one trip executes."""
    ops = [opcode(ins) for ins in body]
    mmas = sum(op.startswith("HMMA") for op in ops)
    ldsm = sum(op.startswith("LDSM") for op in ops)
    return mmas / max(ldsm, 1), len(body) / max(mmas, 1)


# gemm_mma_w64, the GEMM with 64x64 warp tiles and BK = 64: per k16 step a warp loads 4 A and 4 B fragments
# (ldmatrix.x4) for 32 MMAs, and its copies are precomputed. gemm_mma, which it is measured against, has 16 MMAs per
# 6 ldmatrix (128x128) or 8 per 4 (64x64), and ~16 to 30 instructions per MMA in its loop.
DENSE_MMA_PER_LDSM = 4.0
DENSE_INSTRUCTIONS_PER_MMA = 4.0


def dense(body):
    mma_per_ldsm, instructions_per_mma = loop_density(body)
    return mma_per_ldsm >= DENSE_MMA_PER_LDSM and instructions_per_mma <= DENSE_INSTRUCTIONS_PER_MMA


def test_wide_gemm_main_loop_is_dense(kernels_library, listing):
    """gemm_mma_w64's main loop (every arch, dtype and B layout): at least 4 MMAs per ldmatrix, at most 4 instructions
    per MMA counting every path of the loop (copies, predicates, address math, barrier, loop control)."""
    checked = set()
    for (_member, arch, function), code in listing.items():
        if "gemm_mma_w64_kernel" not in function:
            continue
        body = main_loop_region(code)
        assert body, f"{function} ({arch}): no loop holding an HMMA found"
        mma_per_ldsm, instructions_per_mma = loop_density(body)
        print(f"\n{arch} {function[-60:]}: {len(body)} instructions, {mma_per_ldsm:.2f} MMA/ldmatrix, "
              f"{instructions_per_mma:.2f} instructions/MMA")  # fmt: skip
        assert any(opcode(ins).startswith("LDGSTS") for ins in body), f"{function} ({arch}): region misses the copies"
        assert dense(body), f"{function} ({arch}): {mma_per_ldsm:.2f} MMA/ldmatrix, {instructions_per_mma:.2f} ins/MMA"
        checked.add(arch)
    assert checked == build_archs(kernels_library), f"gemm_mma_w64_kernel: checked for {sorted(checked)}"


def test_the_density_check_fails_on_the_kernel_it_replaces(kernels_library, listing):
    """gemm_mma (both tiles): ldmatrix as busy as the tensor pipe and ~200 instructions of copy addressing per 32 MMAs.
    The check must fail there on both counts, or it proves nothing about the kernel that passes it."""
    checked = set()
    for (_member, arch, function), code in listing.items():
        if "gemm_mma_kernel" in function:
            body = main_loop_region(code)
            mma_per_ldsm, instructions_per_mma = loop_density(body)
            assert mma_per_ldsm < DENSE_MMA_PER_LDSM and instructions_per_mma > 2 * DENSE_INSTRUCTIONS_PER_MMA, (
                f"{function} ({arch}): {mma_per_ldsm:.2f} MMA/ldmatrix, {instructions_per_mma:.2f} ins/MMA"
            )
            checked.add(arch)
    assert checked == build_archs(kernels_library), f"gemm_mma_kernel: checked for {sorted(checked)}"


def mma_operand_registers(body):
    """The distinct A and B operand registers of the HMMAs in a loop body."""
    operands = [re.sub(r"\.reuse", "", ins).split(",") for ins in body if opcode(ins).startswith("HMMA")]
    return {o[1].strip() for o in operands}, {o[2].strip() for o in operands}


@pytest.mark.parametrize("fragment, fewest", [("mma_peak_rotating_kernel", 4), ("mma_peak_kernel", 1)])
def test_mma_peak_operand_rotation(kernels_library, listing, fragment, fewest):
    """mma_peak_rotating's MMAs read at least 4 different A and 4 different B fragments (kMmaPeakRotatingSets), so
    the datapath toggles as in a GEMM; mma_peak reads one pair for every MMA, so its datapath barely toggles; this
    check must see that."""
    checked = set()
    for (_member, arch, function), code in listing.items():
        if fragment in function:
            a, b = mma_operand_registers(main_loop(code))
            if fewest == 1:
                assert len(a) == 1 and len(b) == 1, f"{function} ({arch}): A {sorted(a)}, B {sorted(b)}"
            else:
                assert len(a) >= fewest and len(b) >= fewest, f"{function} ({arch}): A {sorted(a)}, B {sorted(b)}"
            checked.add(arch)
    assert checked == build_archs(kernels_library), f"{fragment}: checked for {sorted(checked)}"


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
def sass(listing):
    """{(member, arch, function): [instruction, ...]}: the listing without its addresses."""
    return {key: [instruction for _, instruction in body] for key, body in listing.items()}


@pytest.mark.parametrize("fragment, opcode, archs", TENSOR_CORE_KERNELS)
def test_tensor_core_kernels_contain_tensor_core_instructions(kernels_library, sass, fragment, opcode, archs):
    code = sass
    wanted = build_archs(kernels_library) if archs is None else archs & build_archs(kernels_library)
    found = {arch for (member, arch, function), ins in code.items() if fragment in function and
             any(i.startswith(opcode) for i in ins)}  # fmt: skip
    assert found == wanted, f"{fragment}: {opcode} found for {sorted(found)}, expected every arch {sorted(wanted)}"


@pytest.mark.parametrize("source, kernel", [("gemm_wgmma.cu", "gemm_wgmma_kernel"),
                                            ("gemm_wgmma_128x256.cu", "gemm_wgmma_128x256_kernel")])  # fmt: skip
def test_ptxas_reports_no_wgmma_serialization(tmp_path, source, kernel):
    """ptxas serializes wgmma (warning C7510, 'Potential Performance Loss') when it cannot prove the accumulators
    stay in registers across the asynchronous MMAs, and ignores setmaxnreg (warning C7508) when the kernel has no
    register cap at entry; the Hopper kernels must compile without either."""
    nvcc = shutil.which("nvcc") or "/usr/local/cuda/bin/nvcc"
    if not Path(nvcc).exists():
        pytest.fail("nvcc not found: the CUDA Toolkit is needed to build bench_llama at all")
    result = subprocess.run(
        [nvcc, "-std=c++17", f"-I{ROOT}", "-O3", "--expt-relaxed-constexpr", "-DBENCH_LLAMA_HAS_SM90A=1",
         "-gencode=arch=compute_90a,code=sm_90a", "-Xptxas=-v", "-c", ROOT / "kernels" / source,
         "-o", tmp_path / "kernel.o"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert kernel in result.stderr, "ptxas -v printed nothing about the kernel"
    assert "C7510" not in result.stderr and "serialized" not in result.stderr, result.stderr
    assert "C7508" not in result.stderr, result.stderr
    assert " 0 bytes spill stores" in result.stderr
    assert all(" 0 bytes spill" in line for line in result.stderr.splitlines() if "spill" in line), result.stderr


# gemm_wgmma_128x256.cu's instantiations, Shape<BN, B [K x N], CLUSTER, TMA_STORE>: (name fragment of the shape, the
# HGMMA each consumer issues).
WIDE, KN = "5ShapeILi256ELb0ELi1ELb0E", "5ShapeILi128ELb1ELi1ELb0E"
CLUSTER, CLUSTER_TMA_STORE = "5ShapeILi256ELb0ELi2ELb0E", "5ShapeILi256ELb0ELi2ELb1E"
WGMMA_WIDE_SHAPES = [(WIDE, "HGMMA.64x256x16.F32"), (KN, "HGMMA.64x128x16.F32"),
                     (CLUSTER, "HGMMA.64x256x16.F32"), (CLUSTER_TMA_STORE, "HGMMA.64x256x16.F32")]  # fmt: skip


@pytest.mark.parametrize("shape, hgmma", WGMMA_WIDE_SHAPES)
def test_wgmma_wide_kernels(kernels_library, sass, shape, hgmma):
    """Every fp16 and bf16 instantiation of gemm_wgmma_128x256.cu on sm_90a: its consumers' MMA shape (bf16 ones with
    the .BF16 suffix), the producer giving registers back (setmaxnreg.dec 40 -> USETMAXREG.DEALLOC 0x28) and the
    consumers taking them (setmaxnreg.inc 232 -> USETMAXREG.TRY_ALLOC 0xe8), TMA loads and mbarrier waits."""
    if "sm_90a" not in build_archs(kernels_library):
        pytest.skip("this build has no sm_90a")
    found = {}
    for (_member, arch, function), ins in sass.items():
        if arch != "sm_90a" or "gemm_wgmma_128x256_kernel" not in function or shape not in function:
            continue
        dtype = "bf16" if "bfloat16" in function else "f16"
        ops = [opcode(i) for i in ins]
        mmas = {o for o in ops if o.startswith("HGMMA")}
        assert mmas == {hgmma + (".BF16" if dtype == "bf16" else "")}, f"{function}: {sorted(mmas)}"
        assert any(re.match(r"USETMAXREG\.DEALLOC\S* 0x28$", i) for i in ins), f"{function}: no setmaxnreg.dec 40"
        assert any(re.match(r"USETMAXREG\.TRY_ALLOC\S* \S+, 0xe8$", i) for i in ins), (
            f"{function}: no setmaxnreg.inc 232"
        )
        assert any(o.startswith("UTMALDG.4D") for o in ops), function
        assert any(o.startswith("SYNCS.PHASECHK") for o in ops), function
        assert "BPT.TRAP" in ops, f"{function}: no watchdog trap in its mbarrier waits"
        found[dtype] = function
    assert set(found) == {"f16", "bf16"}, f"{shape}: found {sorted(found)}"


def wide_functions(sass, shape):
    return {function: ins for (_m, arch, function), ins in sass.items()
            if arch == "sm_90a" and "gemm_wgmma_128x256_kernel" in function and shape in function}  # fmt: skip


@pytest.mark.parametrize("shape", [CLUSTER, CLUSTER_TMA_STORE])
def test_wgmma_cluster_kernels(kernels_library, sass, shape):
    """The 2x1-cluster instantiations: A by a plain TMA load and each block's half of B by a multicast one; cluster
    barriers at the start (the peers' mbarriers exist before any multicast lands) and at the end (no block leaves
    while its peer may still arrive on its barriers); a stage released to both blocks (two arrivals, one of them
    remote). The remote arrivals must not carry a GPU-scope fence: a `release.cluster` arrive compiles to
    MEMBAR.ALL.GPU, which would wait for the previous tile's global stores at every k-tile, so the only ones allowed
    are the cluster barriers' own."""
    if "sm_90a" not in build_archs(kernels_library):
        pytest.skip("this build has no sm_90a")
    functions = wide_functions(sass, shape)
    assert len(functions) == 2, f"{shape}: {sorted(functions)}"
    for function, ins in functions.items():
        ops = [opcode(i) for i in ins]
        assert ops.count("UTMALDG.4D.MULTICAST") == 1 and ops.count("UTMALDG.4D") == 1, f"{function}: TMA loads"
        assert ops.count("UCGABAR_ARV") >= 2 and ops.count("UCGABAR_WAIT") >= 2, f"{function}: cluster barriers"
        arrives = [o for o in ops if o.startswith("SYNCS.ARRIVE.TRANS64.RED")]
        assert len(arrives) >= 2, f"{function}: stage releases {arrives}"
        for k, o in enumerate(ops):
            if o == "MEMBAR.ALL.GPU":
                assert "UCGABAR_ARV" in ops[k + 1 : k + 5], f"{function}: a GPU-scope fence outside a cluster barrier"


def test_wgmma_epilogues(kernels_library, sass):
    """The TMA-store instantiation writes C only through TMA stores (UTMASTG, staged with shared stores); every other
    gemm_wgmma_128x256.cu instantiation only through global stores."""
    if "sm_90a" not in build_archs(kernels_library):
        pytest.skip("this build has no sm_90a")
    for shape in (WIDE, KN, CLUSTER, CLUSTER_TMA_STORE):
        functions = wide_functions(sass, shape)
        assert len(functions) == 2, f"{shape}: {sorted(functions)}"
        for function, ins in functions.items():
            ops = [opcode(i) for i in ins]
            tma_stores = sum(o.startswith("UTMASTG.4D") for o in ops)
            global_stores = sum(o.startswith("STG") for o in ops)
            if shape == CLUSTER_TMA_STORE:
                assert tma_stores == 4 and global_stores == 0, f"{function}: {tma_stores} UTMASTG, {global_stores} STG"
                assert sum(o.startswith("STS") for o in ops) == 64, f"{function}: the staging stores"
            else:
                assert tma_stores == 0 and global_stores > 0, f"{function}: {tma_stores} UTMASTG, {global_stores} STG"


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


def test_pv_decode_split_reduction_is_16_byte_shared_accesses(kernels_library, sass):
    """pv_decode_split's reduction array is conflict-free at the width the GPU uses (docs/kernel_traffic.md): each
    thread's 8 partial sums are stored and read as 16-byte words, rows 48 bytes apart. A compiler that split them into
    4-byte accesses would make that layout conflict four ways."""
    partial = {
        (arch, function): ins for (member, arch, function), ins in sass.items() if "pv_partial_kernel" in function
    }
    assert {arch for arch, _ in partial} == build_archs(kernels_library), sorted(partial)
    for (arch, function), ins in partial.items():
        shared = [i.split()[0] for i in ins if i.split()[0].startswith(("STS", "LDS"))]
        assert shared and all(op in ("STS.128", "LDS.128") for op in shared), f"{arch} {function}: {shared}"
