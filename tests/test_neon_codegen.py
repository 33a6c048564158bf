"""ARMv7 code generation of the fp32 NEON kernels (issue 12's ARM work).

GCC expands some NEON intrinsics on ARMv7 lane by lane through scalar VFP code: the ordered
float compares (vcgtq_f32, vcltq_f32, vcgeq_f32, vcleq_f32: ~37 instructions a vector, as
NEON's compares flush denormals and GCC keeps IEEE code off them) and vnegq_f32, and every
generic-vector float operation. Kernels that used them ran several times the instructions
of their AArch64 build (bench/ARM.md). These checks keep them out: the kernels go through
kernels/neon/cmp_neon.h, and the compiled ARMv7 kernels hold no scalar ordered compare
(VCMPE) beyond a scalar border or two.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NEON = ROOT / "engine" / "src" / "kernels" / "neon"
GXX = "arm-linux-gnueabihf-g++"
FLAGS = ["-std=c++17", "-Os", "-fno-exceptions", "-fno-rtti", "-march=armv7-a", "-mfpu=neon", "-mthumb",
         "-mfloat-abi=hard", "-DSDK_FEATURE_NEON=1", "-DSDK_FEATURE_FP32=1", "-DSDK_FEATURE_X86=0",
         "-DSDK_FEATURE_INT8=0", f"-I{ROOT / 'engine' / 'src'}", f"-I{ROOT / 'engine' / 'include'}"]
needs_cross = pytest.mark.skipif(not shutil.which(GXX) or not shutil.which("arm-linux-gnueabihf-objdump"),
                                 reason=f"{GXX} not installed (Debian: g++-arm-linux-gnueabihf)")


def test_neon_kernels_use_the_compare_helpers() -> None:
    bad = []
    for f in sorted(NEON.iterdir()):
        if f.name == "cmp_neon.h":
            continue
        for i, line in enumerate(f.read_text().splitlines(), 1):
            if re.search(r"\bv(cgt|clt|cge|cle|neg)q_f32\s*\(", line):
                bad.append(f"{f.name}:{i}: {line.strip()}")
    assert not bad, "use neon_cgt/neon_clt (kernels/neon/cmp_neon.h) or a sign-bit XOR on ARM:\n" + "\n".join(bad)


def _count_per_function(obj: Path, pattern: str) -> dict[str, int]:
    """Lines of an ARMv7 object's disassembly matching `pattern`, per function."""
    dis = subprocess.run(["arm-linux-gnueabihf-objdump", "-d", "-C", str(obj)], capture_output=True, text=True,
                         check=True).stdout
    counts: dict[str, int] = {}
    fn = "?"
    for line in dis.splitlines():
        m = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if m:
            fn = m.group(1)
            counts.setdefault(fn, 0)
        elif re.search(pattern, line):
            counts[fn] += 1
    return counts


def _vcmpe_per_function(obj: Path) -> dict[str, int]:
    return _count_per_function(obj, r"\tvcmpe\.")


@needs_cross
@pytest.mark.parametrize("name", ["common_f32", "conv_f32", "common_f32_act", "maxpool_f32", "softmax_f32"])
def test_armv7_neon_kernels_compare_on_neon(name: str, tmp_path: Path) -> None:
    obj = tmp_path / f"{name}.o"
    subprocess.run([GXX, *FLAGS, "-c", str(NEON / f"{name}.cpp"), "-o", str(obj)], check=True)
    counts = _vcmpe_per_function(obj)
    kernels = {f: n for f, n in counts.items() if "neon" in f or "tile" in f or "(anonymous namespace)" in f}
    assert kernels, counts
    if name == "common_f32_act":  # Sigmoid/SiLU on NEON (the portable formula is scalar VFP code on ARMv7)
        assert any("neon_sigmoid_span_v7" in f for f in kernels), sorted(kernels)
    # a vector compare expanded through VFP is 4 VCMPEs; a scalar border compare or two is fine
    assert all(n <= 2 for n in kernels.values()), {f: n for f, n in kernels.items() if n > 2}


@needs_cross
def test_armv7_compare_helper_is_one_instruction(tmp_path: Path) -> None:
    src = tmp_path / "t.cpp"
    src.write_text('#include "kernels/neon/cmp_neon.h"\n'
                   "uint32x4_t gt(float32x4_t a, float32x4_t b) { return sdk::neon_cgt(a, b); }\n"
                   "uint32x4_t lt(float32x4_t a, float32x4_t b) { return sdk::neon_clt(a, b); }\n")
    obj = tmp_path / "t.o"
    subprocess.run([GXX, *FLAGS, "-c", str(src), "-o", str(obj)], check=True)
    dis = subprocess.run(["arm-linux-gnueabihf-objdump", "-d", str(obj)], capture_output=True, text=True,
                         check=True).stdout
    assert dis.count("vcgt.f32") == 2 and "vcmpe" not in dis and "vmrs" not in dis, dis


def _scalar_vfp_per_function(obj: Path) -> dict[str, int]:
    """Scalar VFP float arithmetic (an s-register destination) per function of an ARMv7 object."""
    return _count_per_function(obj, r"\tv(add|sub|mul|mla|mls|nmul|fma|fms|div)\.f32\ts\d")


@needs_cross
def test_armv7_winograd_transforms_run_on_neon(tmp_path: Path) -> None:
    """Winograd's transforms (kernels/ref/conv_f32_wino.cpp) were GCC generic vectors, which GCC
    runs as scalar VFP code on ARMv7 (~1,500 scalar VFP instructions in the three transforms;
    squeezenet1_1 cost more instructions with Winograd than without): on ARM they are NEON
    intrinsics now, with no scalar float arithmetic left in them."""
    obj = tmp_path / "wino.o"
    src = ROOT / "engine" / "src" / "kernels" / "ref" / "conv_f32_wino.cpp"
    subprocess.run([GXX, *FLAGS, "-DSDK_FEATURE_WINOGRAD=1", "-c", str(src), "-o", str(obj)], check=True)
    counts = _scalar_vfp_per_function(obj)
    wino = {f: n for f, n in counts.items() if "wino" in f}
    for part in ("wino_in_group", "wino_w_group", "wino_out_row", "wino2_in_group", "wino2_w_row", "wino_output<2>"):
        assert any(part in f for f in wino), sorted(wino)
    assert all(n == 0 for n in wino.values()), {f: n for f, n in wino.items() if n}
