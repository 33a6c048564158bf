"""The engine's .sdkm loader/verifier against hostile files.

Every damaged file must give a clean EngineError (SDK_ERR_BAD_MODEL with a message naming
the problem), never a crash. Field-level damage recomputes the CRC so that the structural
checks, not the checksum, are what is exercised.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from engine_helpers import chain_model, engine, fix_crc, patch, sections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdkbuild import paths, sdkm
from sdkbuild.runtime import EngineError

S_STRINGS, S_TENSORS, S_NODES, S_INDICES, S_ATTRS, S_BLOB, S_GRAPH, S_CONST, S_META, S_QUANT = range(1, 11)


def rich_model() -> sdkm.Model:
    """Chain plus a constant (the Reshape's shape input) and an int8 branch with quant data."""
    m = chain_model((2, 4))
    shape = m.add_tensor(sdkm.Tensor("shape", 3, (1,), data=np.array([8], np.int32)))
    m.nodes[1].inputs.append(shape)
    q = sdkm.Quant(np.array([0.25], np.float32), np.array([3], np.int32))
    qi = m.add_tensor(sdkm.Tensor("q", 2, (3, 5), quant=q))
    qo = m.add_tensor(sdkm.Tensor("qy", 2, (3, 5), quant=q))
    m.nodes.append(sdkm.Node("Relu", "relu_q", [qi], [qo]))
    m.inputs.append(qi)
    m.outputs.append(qo)
    return m


GOOD = sdkm.encode(rich_model())


def load_error(data: bytes) -> EngineError:
    with pytest.raises(EngineError) as e:
        engine().load(data)
    assert e.value.message, "error without a message"
    return e.value


def bad_model(data: bytes, fragment: str) -> None:
    err = load_error(data)
    assert err.status_name == "SDK_ERR_BAD_MODEL", err.message
    assert fragment in err.message, err.message


def try_load_and_run(data: bytes) -> None:
    """Either a clean error, or a model that then runs (garbage values are fine)."""
    try:
        model = engine().load(data)
    except EngineError as e:
        assert e.status_name in ("SDK_ERR_BAD_MODEL", "SDK_ERR_UNSUPPORTED") and e.message
        return
    with model, model.session(threads=2) as s:
        for i, t in enumerate(model.inputs):
            s.set_input(i, np.ones(t.shape, t.dtype))
        s.run()


def test_good_model_loads_and_runs() -> None:
    with engine().load(GOOD) as m, m.session() as s:
        out = s.run({"x": np.arange(-4, 4, dtype=np.float32).reshape(2, 4), "q": np.full((3, 5), -7, np.int8)})
    np.testing.assert_array_equal(out["y"], [0, 0, 0, 0, 0, 1, 2, 3])
    np.testing.assert_array_equal(out["qy"], np.full((3, 5), 3, np.int8))


def test_engine_test_model_agrees_with_python_reader(tmp_path: Path) -> None:
    """engine/tools/make_test_model.py (the C++ tests' model) is a valid file for both readers."""
    p = tmp_path / "t.sdkm"
    subprocess.run([sys.executable, str(paths.engine_dir() / "tools" / "make_test_model.py"), str(p)], check=True)
    m = sdkm.read(p)
    assert [n.op for n in m.nodes] == ["Relu", "Reshape", "Relu", "Relu"]
    with engine().load(p) as model:
        assert [t.name for t in model.outputs] == ["y", "yq"]


def test_truncated_at_every_section_boundary() -> None:
    cuts = {0, 1, 31, 32, 33, len(GOOD) - 1}
    for _, off, size in sections(GOOD).values():
        cuts |= {off, off + 1, off + size - 1, off + size}
    for n in sorted(c for c in cuts if 0 <= c < len(GOOD)):
        err = load_error(GOOD[:n])
        assert err.status_name == "SDK_ERR_BAD_MODEL"
        # also with the header's size and CRC patched to match the shorter file
        if n >= 32:
            b = bytearray(GOOD[:n])
            struct.pack_into("<Q", b, 16, n)
            assert load_error(fix_crc(b)).status_name == "SDK_ERR_BAD_MODEL"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=len(GOOD) - 1))
def test_truncated_at_random_points(n: int) -> None:
    assert load_error(GOOD[:n]).status_name == "SDK_ERR_BAD_MODEL"


def test_crc_mismatch() -> None:
    b = bytearray(GOOD)
    b[-1] ^= 0x40
    bad_model(bytes(b), "CRC-32 mismatch")


def test_header_checks() -> None:
    bad_model(b"NOPE" + GOOD[4:], "not a .sdkm file")
    bad_model(patch(GOOD, 4, "<H", 2), "format version 2")
    bad_model(patch(GOOD, 12, "<I", 0), "bad section count")
    bad_model(patch(GOOD, 12, "<I", 1000), "bad section count")
    bad_model(GOOD + b"\0" * 8, "header says")


def _entry(kind: int) -> tuple[int, int, int]:
    return sections(GOOD)[kind]


def test_section_table_checks() -> None:
    at, off, size = _entry(S_NODES)
    bad_model(patch(GOOD, at + 8, "<Q", len(GOOD) - 8), "lies outside the file")
    bad_model(patch(GOOD, at + 16, "<Q", 2**63), "lies outside the file")
    bad_model(patch(GOOD, at + 8, "<Q", off + 4), "not 8-byte aligned")
    t_at, t_off, _ = _entry(S_TENSORS)
    bad_model(patch(GOOD, at + 8, "<Q", t_off), "overlap")
    bad_model(patch(GOOD, at, "<I", S_TENSORS), "appears twice")
    g_at = _entry(S_GRAPH)[0]
    bad_model(patch(GOOD, g_at, "<I", 99), "required section GRAPH is missing")  # unknown kinds are skipped
    bad_model(patch(GOOD, at + 16, "<Q", size - 1), "not a multiple")
    c_at, c_off, _ = _entry(S_CONST)
    bad_model(patch(GOOD, c_at + 8, "<Q", c_off - 8), "not 64-byte aligned")


def _tensor_rec(i: int) -> int:
    return _entry(S_TENSORS)[1] + 64 * i


def _node_rec(i: int) -> int:
    return _entry(S_NODES)[1] + 24 * i


def test_tensor_record_checks() -> None:
    m = rich_model()
    t_shape = [t.name for t in m.tensors].index("shape")
    strings_size = _entry(S_STRINGS)[2]
    bad_model(patch(GOOD, _tensor_rec(0), "<I", strings_size + 5), "name string reference")
    bad_model(patch(GOOD, _tensor_rec(0) + 4, "<B", 23), "unknown dtype 23")  # 8..22: storage types
    bad_model(patch(GOOD, _tensor_rec(0) + 5, "<B", 7), "rank 7 exceeds")
    bad_model(patch(GOOD, _tensor_rec(0) + 8, "<i", 0), "dimension 0 is 0")
    bad_model(patch(GOOD, _tensor_rec(0) + 8, "<i", -5), "dimension 0 is -5")
    bad_model(patch(GOOD, _tensor_rec(0) + 28, "<i", 3), "unused dimension 5 is 3")
    bad_model(patch(GOOD, _tensor_rec(0) + 6, "<H", 0x80), "unknown flags")
    bad_model(patch(GOOD, _tensor_rec(0) + 8, "<6i", *[2**30] * 6), "too large")
    bad_model(patch(GOOD, _tensor_rec(t_shape) + 32, "<Q", 2**40), "outside the CONST section")
    bad_model(patch(GOOD, _tensor_rec(t_shape) + 32, "<Q", 4), "not 64-byte aligned")
    bad_model(patch(GOOD, _tensor_rec(t_shape) + 40, "<Q", 8), "constant data is 8 bytes")
    bad_model(patch(GOOD, _tensor_rec(1) + 40, "<Q", 8), "is not constant but has constant data")
    bad_model(patch(GOOD, _tensor_rec(1) + 48, "<I", 7), "quantization index 7 out of range")
    # flags disagreeing with the graph's lists
    bad_model(patch(GOOD, _tensor_rec(1) + 6, "<H", 2), "flagged GRAPH_INPUT")
    bad_model(patch(GOOD, _tensor_rec(0) + 6, "<H", 0), "lacks the GRAPH_INPUT flag")


def test_quant_record_checks() -> None:
    q_off = _entry(S_QUANT)[1]
    blob_size = _entry(S_BLOB)[2]
    bad_model(patch(GOOD, q_off + 8, "<I", blob_size), "outside the BLOB section")
    bad_model(patch(GOOD, q_off + 8, "<I", 2), "outside the BLOB section")  # misaligned
    bad_model(patch(GOOD, q_off + 4, "<I", 2**31), "count")
    bad_model(patch(GOOD, q_off, "<i", 9), "bad axis 9")
    b_off = _entry(S_BLOB)[1]
    # a zero or NaN scale is rejected (division by the scale in requantization)
    scale_at = b_off + struct.unpack_from("<I", GOOD, q_off + 8)[0]
    bad_model(patch(GOOD, scale_at, "<f", 0.0), "is not a positive number")
    bad_model(patch(GOOD, scale_at, "<f", float("nan")), "is not a positive number")


def test_node_and_graph_checks() -> None:
    idx_off, idx_size = _entry(S_INDICES)[1], _entry(S_INDICES)[2]
    bad_model(patch(GOOD, _node_rec(0), "<I", 10**6), "op type string reference")
    bad_model(patch(GOOD, _node_rec(0) + 12, "<I", idx_size // 4), "lie outside INDICES")
    bad_model(patch(GOOD, _node_rec(0) + 16, "<I", 50), "attributes")
    bad_model(patch(GOOD, _node_rec(0) + 10, "<H", 0), "has no outputs")
    first = struct.unpack_from("<I", GOOD, _node_rec(0) + 12)[0]
    bad_model(patch(GOOD, idx_off + 4 * first, "<i", 99), "tensor index 99 out of range")
    # node 0 reads its own output: used before produced
    bad_model(patch(GOOD, idx_off + 4 * first, "<i", 1), "used before any node produces it")
    # node 2 writes node 0's output: produced twice
    first2 = struct.unpack_from("<I", GOOD, _node_rec(2) + 12)[0]
    bad_model(patch(GOOD, idx_off + 4 * (first2 + 1), "<i", 1), "produced twice")
    # a node writing a graph input
    bad_model(patch(GOOD, idx_off + 4 * (first2 + 1), "<i", 0), "writes graph input")
    g = _entry(S_GRAPH)[1]
    bad_model(patch(GOOD, g + 12, "<I", 0), "no outputs")
    bad_model(patch(GOOD, g + 16, "<I", idx_size // 4), "lie outside INDICES")
    bad_model(patch(GOOD, g, "<I", 10**6), "graph name")


def test_attr_checks() -> None:
    a = _entry(S_ATTRS)[1]
    bad_model(patch(GOOD, a + 4, "<I", 9), "unknown type 9")
    bad_model(patch(GOOD, a + 12, "<I", 10**6), "outside the BLOB section")
    bad_model(patch(GOOD, a + 8, "<I", 2**31), "outside the BLOB section")
    bad_model(patch(GOOD, a + 4, "<II", 3, 2), "bad string value reference")  # a string has count 1


def test_shape_errors_from_prepare() -> None:
    m = rich_model()
    m.tensors[1].shape = (4, 2)  # Relu output shape differs from its input
    bad_model(sdkm.encode(m), "node 'relu1' (Relu): output 'a' has shape [4, 2] in the file but the op computes [2, 4]")
    m = rich_model()
    m.nodes[1].attrs["shape"] = [3, 3]
    bad_model(sdkm.encode(m), "cannot reshape [2, 4] (8 elements) to [3, 3]")
    m = rich_model()
    del m.nodes[1].attrs["shape"]
    bad_model(sdkm.encode(m), "'shape' attribute is missing")
    m = rich_model()
    m.nodes[0].inputs = [m.nodes[0].inputs[0], 0]
    bad_model(sdkm.encode(m), "expects 1 input(s), got 2")
    m = rich_model()
    m.tensors[-1].dtype = 1  # int8 Relu writing f32
    m.tensors[-1].quant = None
    bad_model(sdkm.encode(m), "output dtype f32 differs from input dtype i8")


def test_unknown_ops_listed_once() -> None:
    m = rich_model()
    m.nodes[0].op = "Foo"
    m.nodes[2].op = "Foo"
    m.nodes[3].op = "Bar"
    err = load_error(sdkm.encode(m))
    assert err.status_name == "SDK_ERR_UNSUPPORTED"
    assert "model uses ops 'Foo', 'Bar' which this engine build does not include" in err.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(32, len(GOOD) - 1), st.integers(0, 255)), min_size=1, max_size=6))
def test_random_mutations_with_crc_fixed(edits: list[tuple[int, int]]) -> None:
    b = bytearray(GOOD)
    for at, val in edits:
        b[at] = val
    try_load_and_run(fix_crc(b))


_FIELDS = [  # (section kind, record size, field offset, struct format)
    (S_TENSORS, 64, 0, "<I"), (S_TENSORS, 64, 4, "<B"), (S_TENSORS, 64, 5, "<B"), (S_TENSORS, 64, 8, "<i"),
    (S_TENSORS, 64, 32, "<Q"), (S_TENSORS, 64, 40, "<Q"), (S_TENSORS, 64, 48, "<I"),
    (S_NODES, 24, 0, "<I"), (S_NODES, 24, 8, "<H"), (S_NODES, 24, 10, "<H"), (S_NODES, 24, 12, "<I"),
    (S_NODES, 24, 16, "<I"), (S_NODES, 24, 20, "<I"), (S_INDICES, 4, 0, "<i"),
    (S_ATTRS, 16, 4, "<I"), (S_ATTRS, 16, 8, "<I"), (S_ATTRS, 16, 12, "<I"),
    (S_QUANT, 16, 0, "<i"), (S_QUANT, 16, 4, "<I"), (S_QUANT, 16, 8, "<I"), (S_QUANT, 16, 12, "<I"),
    (S_GRAPH, 24, 4, "<I"), (S_GRAPH, 24, 8, "<I"), (S_GRAPH, 24, 12, "<I"), (S_GRAPH, 24, 16, "<I"),
]
_INTERESTING = [0, 1, 2, 3, 7, 8, 63, 64, 255, 256, 65535, 2**31 - 1, 2**31, 2**32 - 1, -1, -2]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_FIELDS), st.integers(0, 100), st.sampled_from(_INTERESTING) | st.integers(-(2**31), 2**32 - 1))
def test_structured_field_mutations(field: tuple[int, int, int, str], rec: int, value: int) -> None:
    kind, size, off, fmt = field
    _, sec_off, sec_size = sections(GOOD)[kind]
    nrec = sec_size // size
    if nrec == 0:
        return
    at = sec_off + (rec % nrec) * size + off
    bits = struct.calcsize(fmt) * 8
    signed = fmt[-1] in "bhiq"
    lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    value = lo + (value - lo) % (hi - lo + 1)
    try_load_and_run(patch(GOOD, at, fmt, value))
