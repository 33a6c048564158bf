"""The Python .sdkm codec: round trips, determinism and clean errors on damaged files."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdkbuild import sdkm


def _model() -> sdkm.Model:
    rng = np.random.default_rng(0)
    m = sdkm.Model(name="tiny")
    x = m.add_tensor(sdkm.Tensor("x", 1, (1, 3, 5, 5)))
    w = m.add_tensor(sdkm.Tensor("w", 1, (4, 3, 3, 3), rng.standard_normal((4, 3, 3, 3)).astype("f4")))
    b = m.add_tensor(sdkm.Tensor("b", 1, (4,), rng.standard_normal(4).astype("f4")))
    q = m.add_tensor(
        sdkm.Tensor("q", 2, (4,), np.array([1, -2, 3, -127], "i1"),
                    sdkm.Quant(np.array([0.5, 0.25, 1.0, 2.0], "f4"), np.zeros(4, "i4"), axis=0))
    )
    y = m.add_tensor(sdkm.Tensor("y", 1, (1, 4, 5, 5)))
    m.nodes.append(
        sdkm.Node("Conv", "conv0", [x, w, b], [y],
                  {"pads": [1, 1, 1, 1], "strides": [1, 1], "activation": [2], "activation_params": [0.0, 6.0],
                   "mode": "constant"}, frozenset({"activation_params"}))
    )
    m.nodes.append(sdkm.Node("Relu", "relu0", [y, -1], [q]))
    m.inputs, m.outputs = [x], [y]
    return m


def test_round_trip_preserves_everything() -> None:
    m = _model()
    data = sdkm.encode(m)
    back = sdkm.decode(data)
    assert back.name == "tiny"
    assert [t.name for t in back.tensors] == [t.name for t in m.tensors]
    assert [t.shape for t in back.tensors] == [t.shape for t in m.tensors]
    np.testing.assert_array_equal(back.tensors[1].data, m.tensors[1].data)
    np.testing.assert_array_equal(back.tensors[3].quant.scales, [0.5, 0.25, 1.0, 2.0])
    assert back.tensors[3].quant.axis == 0
    conv = back.nodes[0]
    assert conv.attrs["pads"] == [1, 1, 1, 1] and conv.attrs["activation_params"] == [0.0, 6.0]
    assert conv.attrs["mode"] == "constant"
    assert back.nodes[1].inputs == [4, -1]
    assert back.inputs == [0] and back.outputs == [4]
    assert back.meta["ops"] == ["Conv", "Relu"]


def test_encoding_is_deterministic_and_constants_aligned() -> None:
    a, b = sdkm.encode(_model()), sdkm.encode(_model())
    assert a == b
    nsec = struct.unpack_from("<I", a, 12)[0]
    for i in range(nsec):
        kind, _, off, _size = sdkm.SECTION.unpack_from(a, 32 + 24 * i)
        assert off % (64 if kind == sdkm.S_CONST else 8) == 0


def test_write_is_atomic(tmp_path) -> None:
    out = tmp_path / "m.sdkm"
    sdkm.write(_model(), out)
    assert sdkm.read(out).name == "tiny"
    assert [p.name for p in tmp_path.iterdir()] == ["m.sdkm"]


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda d: d[:20], "shorter than"),
        (lambda d: d[:-1], "truncated"),
        (lambda d: b"XXXX" + d[4:], "not a .sdkm file"),
        (lambda d: d[:100] + bytes([d[100] ^ 0xFF]) + d[101:], "CRC"),
    ],
)
def test_damaged_files_raise_clear_errors(damage, message) -> None:
    with pytest.raises(sdkm.SdkmError, match=message):
        sdkm.decode(damage(sdkm.encode(_model())))


def _fix_crc(data: bytearray) -> bytes:
    struct.pack_into("<I", data, 24, zlib.crc32(bytes(data[32:])))
    return bytes(data)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_random_corruption_never_escapes_as_anything_but_sdkm_error(data) -> None:
    blob = bytearray(sdkm.encode(_model()))
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(32, len(blob) - 1))
        blob[pos] = data.draw(st.integers(0, 255))
    try:
        sdkm.decode(_fix_crc(blob))
    except sdkm.SdkmError:
        pass
    except (ValueError, IndexError, struct.error, UnicodeDecodeError) as e:  # pragma: no cover
        # decode() is the strict front door used by `inspect`; read() wraps these too,
        # but decode itself should only ever raise SdkmError.
        raise AssertionError(f"unwrapped {type(e).__name__}: {e}") from e


def test_rank0_constant_round_trips() -> None:
    m = sdkm.Model()
    m.add_tensor(sdkm.Tensor("s", 1, (), np.array(2.5, "f4")))
    back = sdkm.decode(sdkm.encode(m))
    assert back.tensors[0].shape == () and float(back.tensors[0].data) == 2.5


@pytest.mark.parametrize(("c", "hw", "stride", "group", "expect"), [
    (8, 16, 1, 1, True),    # a dense 3x3 stride-1 conv on a 16x16 plane: Winograd
    (8, 12, 1, 1, False),   # output plane under 13x13: the GEMM
    (3, 16, 1, 1, False),   # fewer than 4 input channels
    (8, 32, 2, 1, False),   # stride 2
    (8, 16, 1, 8, False),   # depthwise
])
def test_uses_winograd_follows_the_engines_rule(c: int, hw: int, stride: int, group: int, expect: bool) -> None:
    """sdkbuild build compiles the Winograd convolution (Meson option `winograd`) only for models
    whose convs take it: the rule of conv_f32_wino_plan, on the recorded shapes."""
    from onnx import TensorProto, helper, numpy_helper

    from sdkbuild import convert

    w = numpy_helper.from_array(np.ones((8, c // group, 3, 3), np.float32), "w")
    node = helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1], strides=[stride, stride], group=group)
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, hw, hw])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w])
    model = convert.convert_model(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    assert model.uses_winograd() is expect


def _const_offsets(data: bytes) -> dict[str, int]:
    """Tensor name -> offset of its data in the CONST section (constants only)."""
    nsec = sdkm.HEADER.unpack_from(data, 0)[4]
    secs = {}
    for i in range(nsec):
        kind, _enc, off, sz = sdkm.SECTION.unpack_from(data, sdkm.HEADER.size + i * sdkm.SECTION.size)
        secs[kind] = data[off:off + sz]
    strings, tsec = secs[sdkm.S_STRINGS], secs[sdkm.S_TENSORS]
    out = {}
    for i in range(len(tsec) // sdkm.TENSOR.size):
        name, _dt, _rank, flags, *rest = sdkm.TENSOR.unpack_from(tsec, i * sdkm.TENSOR.size)
        if flags & sdkm.F_CONSTANT:
            out[strings[name:strings.index(b"\0", name)].decode()] = rest[6]
    return out


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from([1, 15, 300, sdkm.SMALL_CONST // 4 - 1, sdkm.SMALL_CONST // 4, 20000]),
                min_size=1, max_size=8))
def test_small_constants_are_laid_out_before_large_ones(counts: list[int]) -> None:
    """A mapped file's pages come back a fault-around window or a folio at a time, so the
    constants a run reads in place (biases, scales, depthwise filters) must not sit between
    large weights the engine packs at load: constants under SMALL_CONST bytes come first, then
    the rest, each group in tensor order, each 64-byte aligned; the model reads back the same."""
    m = sdkm.Model(name="layout")
    for i, n in enumerate(counts):
        m.add_tensor(sdkm.Tensor(f"c{i}", 1, (n,), data=np.arange(n, dtype=np.float32) + i))
    data = sdkm.encode(m)
    offs = _const_offsets(data)
    small = [f"c{i}" for i, n in enumerate(counts) if 4 * n < sdkm.SMALL_CONST]
    large = [f"c{i}" for i, n in enumerate(counts) if 4 * n >= sdkm.SMALL_CONST]
    order = sorted(offs, key=offs.get)
    assert order == small + large
    assert all(o % sdkm.CONST_ALIGN == 0 for o in offs.values())
    back = sdkm.decode(data)
    for t, n in zip(back.tensors, counts, strict=True):
        np.testing.assert_array_equal(t.data, np.arange(n, dtype=np.float32) + int(t.name[1:]))
