"""ncnn's int8 tools (ncnnoptimize, ncnn2table, ncnn2int8) built for the host from ncnn's source.

Used by bench/arm_count.py and bench/run.py (`--ncnn-src`): the int8 ncnn model is ncnn's own
post-training quantization (sdkbuild/ncnn_export.py `quantize_int8`). The PyPI sdist of ncnn
has no tools/ folder; the full source of the same release is needed, e.g. from a clone of
github.com/Tencent/ncnn: `git archive 20260526 CMakeLists.txt cmake src tools tests/prng.h
toolchains LICENSE.txt | tar -x -C DIR` (tools/modelwriter.h includes tests/prng.h; the tag's
src/ is byte-identical to the 1.0.20260526 sdist's, so the cross builds may use either).

    python bench/ncnn_tools.py --ncnn-src DIR --build BUILD   # then SDKBUILD_NCNN_TOOLS=BUILD for the tests
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

# layers the exported models use (everything else is left out of the ncnn build: compile time)
NCNN_LAYERS = {"binaryop", "clip", "concat", "convolution", "convolutiondepthwise", "crop", "dropout", "eltwise",
               "flatten", "hardsigmoid", "hardswish", "innerproduct", "input", "interp", "lrn", "memorydata", "noop",
               "packing", "padding", "permute", "pooling", "relu", "reshape", "shufflechannel", "sigmoid", "slice",
               "softmax", "split", "swish", "unaryop", "cast", "gemm", "matmul", "quantize", "dequantize", "requantize"}


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))[:300]}\n{(r.stdout + r.stderr)[-3000:]}")
    return r


def tool_paths(build: Path) -> dict[str, Path]:
    """Where a host build of ncnn (build_ncnn_tools) has its int8 tools."""
    return {"ncnnoptimize": build / "tools" / "ncnnoptimize", "ncnn2table": build / "tools" / "quantize" / "ncnn2table",
            "ncnn2int8": build / "tools" / "quantize" / "ncnn2int8"}


def built_tools(build: Path) -> dict[str, Path] | None:
    """The tools of an existing host build, or None if any is missing."""
    tools = tool_paths(build)
    return tools if all(t.is_file() for t in tools.values()) else None


def ncnn_tools_missing(src: Path) -> str | None:
    """Why `src` cannot build ncnn's quantization tools (None: it can)."""
    need = [src / "tools" / "quantize" / f for f in ("ncnn2table.cpp", "ncnn2int8.cpp", "CMakeLists.txt")]
    need += [src / "tools" / "ncnnoptimize.cpp", src / "tools" / "modelwriter.h", src / "tests" / "prng.h",
             src / "src" / "CMakeLists.txt"]
    missing = [str(p.relative_to(src)) for p in need if not p.is_file()]
    if not missing:
        return None
    return (f"--ncnn-src {src}: lacks {', '.join(missing)} (the PyPI sdist has no tools/); ncnn int8 needs the "
            "full source of the same release, e.g. `git -C ncnn.git archive 20260526 CMakeLists.txt cmake src "
            "tools tests/prng.h toolchains LICENSE.txt | tar -x -C DIR` from github.com/Tencent/ncnn, then --ncnn-src DIR")


def build_ncnn_tools(src: Path, build: Path) -> dict[str, Path]:
    """ncnn's own int8 tool chain for the host (x86_64): ncnnoptimize, ncnn2table (calibration:
    KL/ACIQ over .npy inputs) and ncnn2int8 (writes the int8 param/bin). Only what the tools
    need: the zoo's layers, baseline ISA (the tools' fp32 statistics do not depend on it),
    NCNN_SIMPLEOCV (no OpenCV), OpenMP on (ncnn2table's threads). Built in (and reused from)
    `build`; returns the tools' paths by name."""
    why = ncnn_tools_missing(src)
    if why:
        raise SystemExit(why)
    if shutil.which("cmake") is None:
        raise SystemExit("cmake is not installed (Debian: cmake)")
    tools = tool_paths(build)
    if all(t.is_file() for t in tools.values()):
        return tools
    cml = (src / "src" / "CMakeLists.txt").read_text()
    opts = [f"-DWITH_LAYER_{name.lower()}=OFF" for name in re.findall(r"ncnn_add_layer\((\w+)", cml)
            if name.lower() not in NCNN_LAYERS]
    run(["cmake", "-S", str(src), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release", "-DNCNN_VULKAN=OFF",
         "-DNCNN_OPENMP=ON", "-DNCNN_INT8=ON", "-DNCNN_BF16=OFF", "-DNCNN_RUNTIME_CPU=OFF", "-DNCNN_AVX=OFF",
         "-DNCNN_BUILD_TOOLS=ON", "-DNCNN_BUILD_EXAMPLES=OFF", "-DNCNN_BUILD_BENCHMARK=OFF", "-DNCNN_PIXEL=ON",
         "-DNCNN_SIMPLEOCV=ON", "-DNCNN_C_API=OFF", "-DNCNN_PYTHON=OFF", "-DNCNN_SHARED_LIB=OFF", *opts])
    run(["cmake", "--build", str(build), "-j2", "--target", *tools])
    for name, t in tools.items():
        if not t.is_file():
            raise SystemExit(f"ncnn host build in {build}: {name} was not built")
    return tools


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Build ncnn's int8 tools for the host (tests: SDKBUILD_NCNN_TOOLS=BUILD).")
    ap.add_argument("--ncnn-src", type=Path, required=True, help="ncnn's full source (with tools/quantize)")
    ap.add_argument("--build", type=Path, required=True, help="build folder (reused when the tools are there)")
    args = ap.parse_args(argv)
    for name, path in build_ncnn_tools(args.ncnn_src, args.build).items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
