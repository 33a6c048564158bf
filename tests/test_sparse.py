"""Sparse weights (issue 16): the CSR payload of .sdkm encoding 2 (sdkbuild/sparse.py and the
engine's loader, core/sparse.h), the converter's choice (compress.mark_sparse) and the
engine's sparse kernels through real models against the dense ones.

The kernels themselves are checked against double precision in engine/tests/test_kernels.cpp
(ref, AVX2 natively; NEON under qemu-aarch64/qemu-arm through tests/test_runtime.py's
`meson test`)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from onnx import TensorProto, helper

from sdkbuild import sdkm, sparse
from sdkbuild.convert import compress

_SHAPES = hnp.array_shapes(min_dims=1, max_dims=4, max_side=9)


def _sparse_arrays() -> st.SearchStrategy[np.ndarray]:
    """float32 arrays of rank 1-4 with a random mask of zeros."""
    def make(parts: tuple) -> np.ndarray:
        _, data, mask = parts
        return np.where(mask, data, np.float32(0)).astype(np.float32)

    return _SHAPES.flatmap(
        lambda shape: st.tuples(
            st.just(shape),
            hnp.arrays(np.float32, shape, elements=st.floats(width=32, allow_nan=False, allow_subnormal=False)),
            hnp.arrays(np.bool_, shape),
        )
    ).map(make)


@settings(max_examples=200, deadline=None)
@given(arr=_sparse_arrays(), transposed=st.booleans())
def test_payload_round_trip(arr: np.ndarray, transposed: bool) -> None:
    payload = sparse.encode(arr, transposed)
    back, was_transposed = sparse.decode(payload, arr.shape)
    assert was_transposed == transposed
    np.testing.assert_array_equal(back, arr)
    rows = arr.shape[-1] if transposed else arr.shape[0]
    assert len(payload) == sparse.payload_size(int(np.count_nonzero(arr)), rows, arr.size // rows)


@settings(max_examples=300, deadline=None)
@given(arr=_sparse_arrays(), transposed=st.booleans(), data=st.data())
def test_damaged_payload_is_refused_or_decodes(arr: np.ndarray, transposed: bool, data: st.DataObject) -> None:
    """Any byte changed, or the payload cut: decode either refuses with SparseError or gives a
    tensor of the declared shape (a changed value is still a valid payload); never another
    exception. The engine's loader makes the same checks (tests/test_sparse.py::
    test_engine_refuses_damaged_payloads runs them through it)."""
    payload = bytearray(sparse.encode(arr, transposed))
    if data.draw(st.booleans()):
        at = data.draw(st.integers(0, len(payload) - 1))
        payload[at] = data.draw(st.integers(0, 255))
    else:
        payload = payload[: data.draw(st.integers(0, len(payload) - 1))]
    try:
        back, _ = sparse.decode(bytes(payload), arr.shape)
    except sparse.SparseError:
        return
    assert back.shape == arr.shape


def test_wide_matrices_take_32_bit_indices() -> None:
    arr = np.zeros((2, 70000), np.float32)
    arr[1, 69999] = 3.0
    payload = sparse.encode(arr)
    assert struct.unpack_from("<I", payload, 12)[0] == sparse.IDX32
    np.testing.assert_array_equal(sparse.decode(payload, arr.shape)[0], arr)


# --------------------------------------------------------------------------- models


def _mlp_conv_model(sparsity: float, seed: int = 0) -> onnx.ModelProto:
    """1x1 Conv (bias, Relu) -> 3x3 Conv -> 1x1 Conv -> Flatten -> Gemm (transB 0) -> MatMul."""
    rng = np.random.default_rng(seed)

    def pruned(*shape: int) -> np.ndarray:
        w = rng.standard_normal(shape).astype(np.float32)
        w[rng.random(shape) < sparsity] = 0
        return w

    inits = [
        helper.make_tensor("w1", TensorProto.FLOAT, [48, 32, 1, 1], pruned(48, 32, 1, 1).ravel()),
        helper.make_tensor("b1", TensorProto.FLOAT, [48], rng.standard_normal(48).astype(np.float32)),
        helper.make_tensor("w2", TensorProto.FLOAT, [40, 48, 3, 3], pruned(40, 48, 3, 3).ravel()),
        helper.make_tensor("w3", TensorProto.FLOAT, [64, 40, 1, 1], pruned(64, 40, 1, 1).ravel()),
        helper.make_tensor("g", TensorProto.FLOAT, [64 * 25, 40], pruned(64 * 25, 40).ravel()),
        helper.make_tensor("gb", TensorProto.FLOAT, [40], rng.standard_normal(40).astype(np.float32)),
        helper.make_tensor("mm", TensorProto.FLOAT, [40, 30], pruned(40, 30).ravel()),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["c2", "w3"], ["c3"]),
        helper.make_node("Flatten", ["c3"], ["f"]),
        helper.make_node("Gemm", ["f", "g", "gb"], ["gm"]),
        helper.make_node("MatMul", ["gm", "mm"], ["y"]),
    ]
    g = helper.make_graph(nodes, "sparse_test", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 32, 5, 5])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 30])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def test_mark_sparse_follows_the_kernels_rule() -> None:
    """Only 1x1 stride-1 Conv, Gemm and MatMul weights at or above the measured break-even
    are stored sparse; the 3x3 conv stays dense (no sparse kernel for it)."""
    from sdkbuild.convert import convert_model

    m = convert_model(_mlp_conv_model(0.9))
    assert compress.mark_sparse(m) == 4
    enc = {t.name: t.encoding for t in m.tensors if t.data is not None}
    assert enc["w2"] == sdkm.ENC_RAW and enc["w1"] == enc["w3"] == enc["g"] == enc["mm"] == sdkm.ENC_SPARSE
    assert [t.sparse_transposed for t in m.tensors if t.name in ("g", "mm")] == [True, True]
    back = sdkm.decode(sdkm.encode(m))
    assert back.uses_sparse() and sdkm.has_sparse_data(sdkm.encode(m))
    for t, u in zip(m.tensors, back.tensors, strict=True):
        if t.data is not None:
            np.testing.assert_array_equal(np.asarray(t.data), u.data)
    m2 = convert_model(_mlp_conv_model(0.3))
    assert compress.mark_sparse(m2) == 0  # below the break-even: dense


@pytest.fixture(scope="module")
def engine():
    from sdkbuild.runtime import Engine

    with Engine() as e:
        yield e


def test_engine_runs_sparse_weights_like_dense(engine) -> None:
    """The same model with its weights sparse and dense: outputs agree (the sparse kernels
    against the dense GEMM/conv kernels), with and without a second thread."""
    from sdkbuild.convert import convert_model

    m = convert_model(_mlp_conv_model(0.85, seed=3))
    dense = sdkm.encode(m)
    assert compress.mark_sparse(m) == 4
    sp = sdkm.encode(m)
    assert len(sp) < len(dense)
    x = np.random.default_rng(1).standard_normal((1, 32, 5, 5)).astype(np.float32)
    ref = engine.load(dense).session().run({"x": x})["y"]
    model = engine.load(sp)
    for threads in (1, 2):
        got = model.session(threads).run({"x": x})["y"]
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4 * float(np.abs(ref).max()))


def test_engine_refuses_damaged_payloads(engine) -> None:
    """Every single-byte change of a sparse payload (header, row pointers, indices) either
    loads (a value changed) or fails with a clear invalid-model error; never a crash."""
    from sdkbuild.convert import convert_model
    from sdkbuild.runtime import EngineError

    m = convert_model(_mlp_conv_model(0.95, seed=5))
    compress.mark_sparse(m)
    data = sdkm.encode(m)
    tsec = next(sdkm.SECTION.unpack_from(data, sdkm.HEADER.size + i * sdkm.SECTION.size)
                for i in range(sdkm.HEADER.unpack_from(data, 0)[4])
                if sdkm.SECTION.unpack_from(data, sdkm.HEADER.size + i * sdkm.SECTION.size)[0] == sdkm.S_TENSORS)
    csec = next(sdkm.SECTION.unpack_from(data, sdkm.HEADER.size + i * sdkm.SECTION.size)
                for i in range(sdkm.HEADER.unpack_from(data, 0)[4])
                if sdkm.SECTION.unpack_from(data, sdkm.HEADER.size + i * sdkm.SECTION.size)[0] == sdkm.S_CONST)
    first = None
    for at in range(tsec[2], tsec[2] + tsec[3], sdkm.TENSOR.size):
        rec = sdkm.TENSOR.unpack_from(data, at)
        if rec[-1] == sdkm.ENC_SPARSE:
            first = (csec[2] + rec[-4], rec[-3])
            break
    assert first is not None
    off, size = first
    refused = 0
    for at in list(range(off, off + min(size, 96))):
        bad = bytearray(data)
        bad[at] ^= 0x41
        body = bytes(bad[sdkm.HEADER.size:])
        import zlib
        struct.pack_into("<I", bad, 24, zlib.crc32(body))
        try:
            engine.load(bytes(bad)).close()
        except EngineError as e:
            assert "invalid .sdkm model" in e.message and "sparse" in e.message, e.message
            refused += 1
    assert refused > 20


@pytest.mark.slow
def test_cli_convert_prune_build_run_matches_the_dense_pruned_model(tmp_path: Path) -> None:
    """`sdkbuild convert --prune` stores the 1x1/Gemm/MatMul weights sparse (--no-sparse keeps
    them dense, same values); `sdkbuild build` of an SDK with that model compiles the sparse
    kernels (features, symbols) and its engine runs the sparse model like the host engine
    runs the dense pruned one."""
    import json
    import subprocess
    import sys

    from sdkbuild.runtime import Engine

    onnx.save(_mlp_conv_model(0.0, seed=7), tmp_path / "m.onnx")
    rng = np.random.default_rng(2)
    np.save(tmp_path / "cal.npy", rng.standard_normal((16, 1, 32, 5, 5)).astype(np.float32)[:, 0])

    def cli(*args: str) -> subprocess.CompletedProcess:
        r = subprocess.run([sys.executable, "-m", "sdkbuild.cli", *args], cwd=tmp_path, capture_output=True,
                           text=True, timeout=1800)
        assert r.returncode == 0, r.stdout + r.stderr
        return r

    cli("convert", "m.onnx", "-o", "s.sdkm", "--prune", "0.9", "--calibration", "cal.npy")
    cli("convert", "m.onnx", "-o", "d.sdkm", "--prune", "0.9", "--calibration", "cal.npy", "--no-sparse")
    sp, dense = (tmp_path / "s.sdkm").read_bytes(), (tmp_path / "d.sdkm").read_bytes()
    assert sdkm.has_sparse_data(sp) and not sdkm.has_sparse_data(dense)
    ms, md = sdkm.decode(sp), sdkm.decode(dense)
    for a, b in zip(ms.tensors, md.tensors, strict=True):
        if a.data is not None:
            np.testing.assert_array_equal(a.data, b.data)  # the same pruned values, stored two ways
    n_sparse = sum(t.encoding == sdkm.ENC_SPARSE for t in ms.tensors)
    assert n_sparse >= 3
    assert json.loads(cli("inspect", "s.sdkm", "--json").stdout)["sparse_constants"] == n_sparse

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "m.onnx").write_bytes((tmp_path / "m.onnx").read_bytes())
    (tmp_path / "sdk.toml").write_text(
        '[sdk]\nname = "SparseKit"\nversion = "1.0.0"\njava_package = "com.s"\nobjc_prefix = "SPK"\n'
        'targets = ["host"]\n\n[models]\nfiles = ["models/m.onnx"]\nprune = 0.9\ncalibration = "cal.npy"\n')
    r = cli("build", "--no-bindings", "-j2", "--print-ops")
    assert "sparse kernels: yes, for m.sdkm" in r.stdout, r.stdout
    cli("build", "--no-bindings", "-j2")
    out = tmp_path / "build" / "host"
    info = json.loads((out / "build-info.json").read_text())
    assert "sparse" in info["features"]
    from elftools.elf.elffile import ELFFile

    with (out / info["unstripped_library"]).open("rb") as f:
        names = " ".join(s.name for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols())
    assert "spmm" in names
    built = (tmp_path / "build" / "models" / "m.sdkm").read_bytes()
    assert sdkm.has_sparse_data(built)
    x = rng.standard_normal((1, 32, 5, 5)).astype(np.float32)
    with Engine() as host, host.load(dense) as m, m.session() as s:
        want = s.run({"x": x})["y"]
    lib = tmp_path / "sparsekit.so"
    lib.write_bytes((out / info["library"]).read_bytes())
    with Engine(lib) as eng, eng.load(built) as m, m.session() as s:
        got = s.run({"x": x})["y"]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * float(np.abs(want).max()))
