"""Shared helpers for the engine tests (test_runtime, test_loader, test_planner).

The engine under test is the development build of all ops (sdkbuild.runtime.build_dev_engine,
with -Dtests=true so the planner's ctypes shim exists), cached across test runs.
"""

from __future__ import annotations

import ctypes
import functools
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from sdkbuild import sdkm
from sdkbuild.runtime import Engine, build_dev_engine


@functools.cache
def dev_lib() -> Path:
    return build_dev_engine(tests=True)


@functools.cache
def engine() -> Engine:
    return Engine(dev_lib())


@functools.cache
def planner_shim() -> ctypes.CDLL:
    lib = ctypes.CDLL(str(dev_lib().parent / "tests" / "libsdkplanner_test.so"))
    u64p, i32p = ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_int32)
    lib.sdk_test_plan.argtypes = [ctypes.c_int32, u64p, i32p, i32p, u64p, u64p]
    lib.sdk_test_plan.restype = ctypes.c_int
    return lib


def plan(sizes: list[int], first: list[int], last: list[int]) -> tuple[list[int], int, int, int]:
    """Offsets, arena, lower bound, naive for buffers live over [first, last]."""
    n = len(sizes)
    s = (ctypes.c_uint64 * max(n, 1))(*sizes)
    f = (ctypes.c_int32 * max(n, 1))(*first)
    la = (ctypes.c_int32 * max(n, 1))(*last)
    off = (ctypes.c_uint64 * max(n, 1))()
    res = (ctypes.c_uint64 * 3)()
    assert planner_shim().sdk_test_plan(n, s, f, la, off, res) == 1
    return list(off[:n]), res[0], res[1], res[2]


# ------------------------------------------------------------------ model building


def chain_model(shape: tuple[int, ...] = (2, 3)) -> sdkm.Model:
    """x -> Relu -> a -> Reshape -> b -> Relu -> y."""
    m = sdkm.Model(name="chain")
    x = m.add_tensor(sdkm.Tensor("x", 1, shape))
    a = m.add_tensor(sdkm.Tensor("a", 1, shape))
    flat = (int(np.prod(shape)),)
    b = m.add_tensor(sdkm.Tensor("b", 1, flat))
    y = m.add_tensor(sdkm.Tensor("y", 1, flat))
    m.nodes = [
        sdkm.Node("Relu", "relu1", [x], [a]),
        sdkm.Node("Reshape", "reshape", [a], [b], {"shape": list(flat)}),
        sdkm.Node("Relu", "relu2", [b], [y]),
    ]
    m.inputs, m.outputs = [x], [y]
    return m


def int8_relu_model(s_in: float, z_in: int, s_out: float, z_out: int, n: int = 64) -> sdkm.Model:
    m = sdkm.Model(name="q")
    q_in = sdkm.Quant(np.array([s_in], np.float32), np.array([z_in], np.int32))
    q_out = sdkm.Quant(np.array([s_out], np.float32), np.array([z_out], np.int32))
    x = m.add_tensor(sdkm.Tensor("x", 2, (n,), quant=q_in))
    y = m.add_tensor(sdkm.Tensor("y", 2, (n,), quant=q_out))
    m.nodes = [sdkm.Node("Relu", "relu", [x], [y])]
    m.inputs, m.outputs = [x], [y]
    return m


# ------------------------------------------------------------------ byte-level surgery

HEADER = struct.Struct("<4sHHIIQII")
SECTION = struct.Struct("<IIQQ")


def sections(data: bytes) -> dict[int, tuple[int, int, int]]:
    """kind -> (table entry offset, section offset, size)."""
    nsec = HEADER.unpack_from(data, 0)[4]
    out = {}
    for i in range(nsec):
        at = HEADER.size + i * SECTION.size
        kind, _, off, size = SECTION.unpack_from(data, at)
        out[kind] = (at, off, size)
    return out


def fix_crc(data: bytes | bytearray) -> bytes:
    b = bytearray(data)
    struct.pack_into("<I", b, 24, zlib.crc32(bytes(b[32:])))
    return bytes(b)


def patch(data: bytes, offset: int, fmt: str, *values: object) -> bytes:
    """Overwrite a field and fix the CRC, so the structural checks are what is tested."""
    b = bytearray(data)
    struct.pack_into(fmt, b, offset, *values)
    return fix_crc(b)


def meson_build(build: Path, *options: str, cross_file: Path | None = None) -> Path:
    """Configure and build engine/ into `build` with the given -D options (real Meson+Ninja)."""
    import subprocess
    import sys

    from sdkbuild import paths

    bindir = Path(sys.executable).parent
    # meson finds its ninja backend on PATH: the venv's, also when the venv is not activated (a fresh
    # machine has no other ninja)
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    cmd = [str(bindir / "meson"), "setup", str(build), str(paths.engine_dir()), *options]
    if cross_file:
        cmd += ["--cross-file", str(cross_file)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise AssertionError(f"meson setup failed:\n{r.stdout[-3000:]}\n{r.stderr[-2000:]}")
    subprocess.run([str(bindir / "ninja"), "-C", str(build), "-j2"], check=True, capture_output=True, text=True,
                   env=env)
    return build
