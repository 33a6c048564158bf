"""Int8 SIMD kernels vs the ref kernels: cross builds of the engine's kernel tests, run
natively and under qemu (Meson's exe_wrapper), for every ISA the targets compile.

The C++ side is engine/tests/test_kernels.cpp; `--require <isa>` makes a build that
silently lost its NEON/SDOT path fail instead of passing on ref alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sdkbuild import paths, targets, toolchains
from sdkbuild.toolchains import gnu

pytestmark = pytest.mark.slow

OPS = "Conv,Gemm,Add,QuantizeLinear,DequantizeLinear"

CASES = {
    # target name -> engine ISA option
    "android-arm64-v8a": "neon,dotprod",
    "android-armeabi-v7a": "neon",
    "android-x86": "x86",  # i686: runs natively on an x86_64 host
    "host": "x86" if targets.get("host").arch == "x86_64" else "neon,dotprod",
}
if targets.get("host").arch != "x86_64":
    del CASES["android-x86"]


def _tool(name: str) -> str:
    cand = Path(sys.executable).parent / name
    return str(cand) if cand.is_file() else (shutil.which(name) or name)


def _machine_file(target: str, out: Path) -> Path | None:
    if target == "host":
        return None
    tc = gnu.SOURCE.detect(targets.get(target), "24")
    if not isinstance(tc, toolchains.base.Toolchain):
        pytest.skip(f"{target}: {tc.reason}")
    if tc.exe_wrapper is None and targets.get(target).qemu:
        pytest.skip(f"{target}: qemu-user not installed, kernel tests cannot run")
    f = out / "cross.ini"
    f.write_text(toolchains.machine_file_text(tc))
    return f


@pytest.mark.parametrize("target", list(CASES))
def test_int8_kernels_bit_exact(target: str, tmp_path: Path) -> None:
    build = tmp_path / "build"
    cross = _machine_file(target, tmp_path)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    setup = [_tool("meson"), "setup", str(build), str(paths.engine_dir()), f"-Dops={OPS}", "-Ddtypes=fp32,int8",
             f"-Disa={CASES[target]}", "-Dtests=true", "-Dbuildtype=release"]
    if cross:
        setup += ["--cross-file", str(cross)]
    for cmd in (setup, [_tool("ninja"), "-C", str(build), "-j2", "tests/test_kernels"]):
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    r = subprocess.run([_tool("meson"), "test", "-C", str(build), "kernels", "--print-errorlogs"],
                       capture_output=True, text=True, env=env)
    log = (build / "meson-logs" / "testlog.txt").read_text()
    assert r.returncode == 0, log[-4000:]
    assert "all kernel checks passed" in log
    for isa in CASES[target].split(","):
        if isa != "x86":
            assert f"int8 gemm kernel {isa}" in log and "bit-exact vs ref" in log
    if targets.get(target).arch == "arm64":
        assert "fp32 gemm kernel neon" in log
