"""Row banding of a large Conv + MaxPool (sdkbuild/convert/banding.py) and the Slice op it
emits, on the real engine: banded results match onnxruntime on the original model (fp32)
and the unbanded int8 model bit for bit, for random conv/pool geometries; the arena drops."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from click.testing import CliRunner
from engine_helpers import engine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from sdkbuild import sdkm
from sdkbuild.cli import cli
from sdkbuild.convert import banding, convert_file, convert_model
from sdkbuild.convert.quantize import quantize_model, simulate


def stem_model(h: int, w: int, cin: int = 3, cout: int = 16, k: int = 7, s: int = 2, d: int = 1, pad: int = 3,
               pk: int = 3, ps: int = 2, ppad: tuple[int, int, int, int] = (1, 1, 1, 1), relu: bool = True,
               tail: bool = True, seed: int = 0) -> onnx.ModelProto:
    """Conv (+Relu) -> MaxPool (-> a 1x1 conv tail so the pool is no graph output)."""
    rng = np.random.default_rng(seed)
    inits = [numpy_helper.from_array((rng.standard_normal((cout, cin, k, k)) * 0.2).astype(np.float32), "W"),
             numpy_helper.from_array(rng.uniform(-0.1, 0.1, cout).astype(np.float32), "B")]
    nodes = [helper.make_node("Conv", ["x", "W", "B"], ["c"], strides=[s, s], pads=[pad] * 4, dilations=[d, d],
                              kernel_shape=[k, k])]
    last = "c"
    if relu:
        nodes.append(helper.make_node("Relu", ["c"], ["r"]))
        last = "r"
    nodes.append(helper.make_node("MaxPool", [last], ["p"], kernel_shape=[pk, pk], strides=[ps, ps], pads=list(ppad)))
    out = "p"
    if tail:
        inits.append(numpy_helper.from_array((rng.standard_normal((4, cout, 1, 1)) * 0.3).astype(np.float32), "W2"))
        nodes.append(helper.make_node("Conv", ["p", "W2"], ["y"], kernel_shape=[1, 1]))
        out = "y"
    g = helper.make_graph(nodes, "stem", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, cin, h, w])],
                          [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def _run(m: sdkm.Model, x: np.ndarray) -> np.ndarray:
    with engine().load(sdkm.encode(m)) as model, model.session(threads=2) as s:
        return next(iter(s.run({model.inputs[0].name: x}, dequantize=True).values()))


def _ort(proto: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {"x": x})[0]


def test_resnet_stem_is_banded_and_exact(tmp_path: Path) -> None:
    proto = stem_model(96, 96, cout=32)
    onnx.save(proto, tmp_path / "stem.onnx")
    report = convert_file(tmp_path / "stem.onnx", tmp_path / "stem.sdkm")
    assert report.rewrites["Conv+MaxPool computed in row bands"] == 1
    m = sdkm.read(tmp_path / "stem.sdkm")
    ops = [n.op for n in m.nodes]
    assert ops.count("Conv") == 1 + ops.count("MaxPool") and ops.count("MaxPool") >= 4 and "Concat" in ops
    assert "Slice" in m.meta["ops"]
    x = np.random.default_rng(1).standard_normal((1, 3, 96, 96)).astype(np.float32)
    np.testing.assert_allclose(_run(m, x), _ort(proto, x), rtol=1e-4, atol=1e-4)
    plain = convert_model(proto)
    with engine().load(sdkm.encode(plain)) as a, engine().load(sdkm.encode(m)) as b:
        before, after = a.memory_info(), b.memory_info()
    # unbanded: the image and the 32x48x48 conv output at once; banded: far less
    assert before.arena_lower_bound >= (3 * 96 * 96 + 32 * 48 * 48) * 4
    assert after.arena_bytes < 0.7 * before.arena_bytes, (before, after)


def test_int8_banding_is_bit_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(banding, "MIN_BYTES", 0)
    proto = stem_model(80, 72, cout=64)  # int8 conv output larger than the float image
    rng = np.random.default_rng(2)
    samples = [{"x": rng.standard_normal((1, 3, 80, 72)).astype(np.float32)} for _ in range(4)]
    q = quantize_model(convert_model(proto), samples)
    banded = copy.deepcopy(q)
    assert banding.band_conv_pools(banded) == 1
    x = rng.standard_normal((1, 3, 80, 72)).astype(np.float32)
    want = _run(q, x)
    got = _run(banded, x)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(next(iter(simulate(banded, {"x": x}).values())),
                                  next(iter(simulate(q, {"x": x}).values())))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(h=st.integers(9, 40), w=st.integers(6, 20), k=st.sampled_from([1, 3, 5, 7]), s=st.integers(1, 3),
       d=st.integers(1, 2), pad=st.integers(0, 3), pk=st.integers(2, 4), ps=st.integers(1, 3),
       ppad=st.tuples(st.integers(0, 1), st.integers(0, 1), st.integers(0, 1), st.integers(0, 1)),
       relu=st.booleans(), tail=st.booleans())
def test_banding_matches_onnxruntime_on_random_geometry(monkeypatch: pytest.MonkeyPatch, h: int, w: int, k: int,
                                                        s: int, d: int, pad: int, pk: int, ps: int,
                                                        ppad: tuple[int, int, int, int], relu: bool,
                                                        tail: bool) -> None:
    eff = (k - 1) * d + 1
    pad = min(pad, eff - 1)  # wider pads give rows of pure padding: never banded (tested below)
    oh, ow = (h + 2 * pad - eff) // s + 1, (w + 2 * pad - eff) // s + 1
    ppad = tuple(min(p, pk - 1) for p in ppad)
    if oh < pk or ow < pk or h + 2 * pad < eff or w + 2 * pad < eff:
        return
    proto = stem_model(h, w, cout=40, k=k, s=s, d=d, pad=pad, pk=pk, ps=ps, ppad=ppad, relu=relu, tail=tail)
    monkeypatch.setattr(banding, "MIN_BYTES", 0)
    m = convert_model(proto)
    pool_rows = (oh + ppad[0] + ppad[2] - pk) // ps + 1
    pool_cols = (ow + ppad[1] + ppad[3] - pk) // ps + 1
    conv_is_peak = 40 * oh * ow >= max(3 * h * w, 40 * pool_rows * pool_cols)  # the largest tensor
    assert banding.band_conv_pools(m) == (1 if pool_rows >= 2 and conv_is_peak else 0)
    x = np.random.default_rng(h * w).standard_normal((1, 3, h, w)).astype(np.float32)
    np.testing.assert_allclose(_run(m, x), _ort(proto, x), rtol=1e-4, atol=1e-5)


def test_rows_of_pure_padding_are_not_banded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(banding, "MIN_BYTES", 0)
    m = convert_model(stem_model(9, 6, cout=40, k=1, s=1, pad=2, pk=2, ps=2, tail=False))
    assert banding.band_conv_pools(m) == 0  # conv rows 0-1 read no input row


def test_not_banded_where_it_does_not_pay(monkeypatch: pytest.MonkeyPatch) -> None:
    m = convert_model(stem_model(32, 32))  # below MIN_BYTES
    assert banding.band_conv_pools(m) == 0
    # a later tensor is larger than the conv output: the pair is not the peak
    monkeypatch.setattr(banding, "MIN_BYTES", 0)
    proto = stem_model(96, 96, cout=8)
    proto.graph.initializer.append(numpy_helper.from_array(np.ones((64, 4, 1, 1), np.float32), "W3"))
    proto.graph.node.append(helper.make_node("Conv", ["y", "W3"], ["z"], kernel_shape=[1, 1]))
    proto.graph.output[0].name = "z"
    m = convert_model(proto)
    biggest = max(t.nbytes for t in m.tensors if t.data is None)
    assert biggest > m.tensors[m.nodes[0].outputs[0]].nbytes
    assert banding.band_conv_pools(m) == 0


# ------------------------------------------------------------------ the Slice op


def _slice_model(shape: tuple[int, ...], starts: list[int], ends: list[int], axes: list[int] | None,
                 steps: list[int] | None = None, conv: bool = False) -> onnx.ModelProto:
    inits = [numpy_helper.from_array(np.asarray(starts, np.int64), "s"),
             numpy_helper.from_array(np.asarray(ends, np.int64), "e")]
    ins = ["xr", "s", "e"]
    if axes is not None:
        inits.append(numpy_helper.from_array(np.asarray(axes, np.int64), "a"))
        ins.append("a")
    if steps is not None:
        inits.append(numpy_helper.from_array(np.asarray(steps, np.int64), "st"))
        ins.append("st")
    if conv:  # int8-capable producer: the Slice then runs on int8 data
        inits.append(numpy_helper.from_array(np.eye(shape[1], dtype=np.float32).reshape(shape[1], shape[1], 1, 1),
                                             "Wc"))
        first = helper.make_node("Conv", ["x", "Wc"], ["xr"], kernel_shape=[1, 1])
    else:
        first = helper.make_node("Relu", ["x"], ["xr"])
    nodes = [first, helper.make_node("Slice", ins, ["y"])]
    g = helper.make_graph(nodes, "slice", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


@pytest.mark.parametrize("shape,starts,ends,axes", [
    ((1, 3, 10, 7), [2], [9], [2]),                         # a row band
    ((1, 3, 10, 7), [1, -4], [3, 1000], [1, 3]),            # negative start, clamped end
    ((2, 5, 6), [0, 1, 2], [2, 4, 5], None),                # every axis
    ((4, 6), [-3], [-1], [0]),
    ((1, 8, 4, 4), [0, 0, 0, 0], [1, 8, 4, 4], None),       # the whole tensor: no Slice left
])
def test_slice_matches_onnxruntime(shape, starts, ends, axes) -> None:
    proto = _slice_model(shape, starts, ends, axes)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    m = convert_model(proto)
    assert [n.op for n in m.nodes] == (["Relu"] if list(ends) == list(shape) else ["Relu", "Slice"])
    np.testing.assert_array_equal(_run(m, x), _ort(proto, x))


def test_slice_int8_keeps_quantization() -> None:
    proto = _slice_model((1, 4, 9, 9), [3, 1], [8, 3], [2, 1], conv=True)
    rng = np.random.default_rng(3)
    q = quantize_model(convert_model(proto), [{"x": rng.standard_normal((1, 4, 9, 9)).astype(np.float32)}])
    assert any(n.op == "Slice" and q.tensors[n.inputs[0]].dtype == 2 for n in q.nodes)
    x = rng.standard_normal((1, 4, 9, 9)).astype(np.float32)
    np.testing.assert_array_equal(_run(q, x), next(iter(simulate(q, {"x": x}).values())))


@pytest.mark.parametrize("starts,ends,axes,steps", [
    ([0], [10], [2], [2]), ([9, 6], [-100, 0], [2, 3], [-1, -3]), ([-1, 1], [0, 8], [1, 3], [-1, 4]),
])
def test_slice_with_steps_matches_onnxruntime(starts, ends, axes, steps) -> None:
    proto = _slice_model((1, 3, 10, 7), starts, ends, axes, steps=steps)
    x = np.random.default_rng(1).standard_normal((1, 3, 10, 7)).astype(np.float32)
    np.testing.assert_array_equal(_run(convert_model(proto), x), _ort(proto, x))


def test_cli_convert_reports_banding(tmp_path: Path) -> None:
    onnx.save(stem_model(96, 96, cout=32), tmp_path / "stem.onnx")
    r = CliRunner().invoke(cli, ["convert", str(tmp_path / "stem.onnx"), "-o", str(tmp_path / "stem.sdkm")])
    assert r.exit_code == 0, r.output
    assert "Conv+MaxPool computed in row bands" in r.output
