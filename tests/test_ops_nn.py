"""Family C ops (nn layers, normalizations, batched MatMul, attention) through the real
converter and the host engine against onnxruntime, on 1 and 2 threads: ONNX models of one
node (or one pattern), converted by sdkbuild.convert, run by the engine."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from sdkbuild import runtime, sdkm
from sdkbuild.bench import ort_reduce_range
from sdkbuild.convert import convert_model_report


@pytest.fixture(scope="module")
def engine() -> runtime.Engine:
    return runtime.Engine(runtime.build_dev_engine())


def model(nodes: list, inputs: dict[str, np.ndarray], consts: dict[str, np.ndarray], outputs: list[str],
          opset: int = 17) -> onnx.ModelProto:
    ins = [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype), list(v.shape))
           for k, v in inputs.items()]
    outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs]
    inits = [numpy_helper.from_array(np.asarray(v), k) for k, v in consts.items()]
    g = helper.make_graph(nodes, "t", ins, outs, initializer=inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


# onnxruntime, the reference here, runs u8 x s8 products on x86 without VNNI through VPMADDUBSW,
# which adds two products into saturating int16: with int8 weights beyond +-64 its results are
# then not exact (a QLinearConv here: 179 levels off; the engine matched an int64 computation).
# Its quantization docs advise 7-bit weights (reduce_range) on such CPUs; the int8 tests there
# keep the u8 x s8 weights in that range. The engine's full range is checked bit for bit against
# quantize.simulate() and the ref kernels elsewhere (tests/test_quantize.py, test_kernels).
U8S8_SATURATES = ort_reduce_range()


def ort_run(m: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"]).run(None, feeds)


def compare(engine: runtime.Engine, m: onnx.ModelProto, feeds: dict[str, np.ndarray], threads=(1, 2),
            tol: float = 1e-4) -> dict:
    """Converts `m`, runs it on the engine and onnxruntime, compares every output
    (max error relative to max |ref| <= tol); returns the conversion's rewrites."""
    ref = ort_run(m, feeds)
    conv, report = convert_model_report(m)
    names = [o.name for o in m.graph.output]
    for t in threads:
        with engine.load(sdkm.encode(conv)) as em, em.session(threads=t) as s:
            out = s.run(feeds)
        for name, r in zip(names, ref, strict=True):
            got = out[name]
            assert got.shape == r.shape, (name, got.shape, r.shape)
            err = float(np.abs(got.astype(np.float64) - r).max(initial=0.0))
            assert err <= tol * max(1.0, float(np.abs(r).max(initial=0.0))), (name, t, err)
    return {"ops": report.ops, **report.rewrites}


def rnd(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(np.float32)


# ----------------------------------------------------------------------------- MatMul


@pytest.mark.parametrize("sa, sb, bconst", [
    ((3, 5, 7), (3, 7, 4), False),          # batched, both computed
    ((2, 3, 17, 9), (1, 3, 9, 13), False),  # broadcast batch axes
    ((2, 1, 6, 8), (4, 8, 5), False),       # different ranks, broadcast both ways
    ((4, 2, 6, 8), (2, 8, 5), True),        # batched constant B, packed per batch at load
    ((5, 33, 16), (16, 40), False),         # N-D x computed 2-D
    ((7,), (3, 7, 5), False),               # 1-D A
    ((2, 6, 7), (7,), False),               # 1-D B
    ((1, 1, 2, 3, 4, 5), (1, 2, 1, 3, 5, 6), False),  # rank 6
    ((40, 70), (70, 50), False),            # 2-D, both computed
])
def test_matmul_batched(engine, sa, sb, bconst) -> None:
    rng = np.random.default_rng(1)
    a, b = rnd(rng, *sa), rnd(rng, *sb)
    consts = {"b": b} if bconst else {}
    feeds = {"a": a} if bconst else {"a": a, "b": b}
    compare(engine, model([helper.make_node("MatMul", ["a", "b"], ["y"])], feeds, consts, ["y"]), feeds)


def test_matmul_many_small_batches_split_over_threads(engine) -> None:
    rng = np.random.default_rng(2)
    feeds = {"a": rnd(rng, 2, 12, 20, 16), "b": rnd(rng, 2, 12, 16, 20)}
    compare(engine, model([helper.make_node("MatMul", ["a", "b"], ["y"])], feeds, {}, ["y"]), feeds, threads=(1, 2, 3))


# ----------------------------------------------------------------------------- ConvTranspose


def _convt_case(engine, cin: int, cout_g: int, group: int, hw: tuple, k: tuple, s: tuple, d: tuple,
                pads: tuple | None, opad: tuple, bias: bool, seed: int, **extra) -> None:
    rng = np.random.default_rng(seed)
    x = rnd(rng, 1, cin, *hw)
    w = rnd(rng, cin, cout_g, *k, scale=0.5)
    consts = {"w": w}
    ins = ["x", "w"]
    if bias:
        consts["b"] = rnd(rng, cout_g * group)
        ins.append("b")
    attrs = dict(strides=list(s), dilations=list(d), group=group, output_padding=list(opad), **extra)
    if pads is not None:
        attrs["pads"] = list(pads)
    node = helper.make_node("ConvTranspose", ins, ["y"], **attrs)
    compare(engine, model([node], {"x": x}, consts, ["y"]), {"x": x})


@pytest.mark.parametrize("spec", [
    # cin, cout/g, group, hw, k, s, d, pads, output_padding, bias
    (4, 3, 1, (5, 6), (3, 3), (1, 1), (1, 1), (0, 0, 0, 0), (0, 0), True),
    (8, 16, 1, (20, 20), (2, 2), (2, 2), (1, 1), (0, 0, 0, 0), (0, 0), True),  # YOLOv8-seg proto (k2 s2)
    (6, 4, 2, (9, 7), (3, 3), (2, 2), (1, 1), (1, 1, 1, 1), (1, 1), False),     # groups, output_padding
    (3, 5, 1, (6, 6), (3, 2), (3, 2), (2, 1), (0, 1, 2, 0), (0, 1), True),      # dilations, asymmetric pads
    (16, 1, 16, (12, 12), (4, 4), (2, 2), (1, 1), (1, 1, 1, 1), (0, 0), True),  # depthwise (FCN/UNet upsampling)
    (5, 20, 1, (17, 19), (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), (0, 0), True),   # > 256 pixels, > 8 channels
    (3, 2, 1, (8,), (3,), (2,), (1,), (1, 0), (1,), True),                      # 1-D
])
def test_convtranspose(engine, spec) -> None:
    cin, cout_g, group, hw, k, s, d, pads, opad, bias = spec
    _convt_case(engine, cin, cout_g, group, hw, k, s, d, pads, opad, bias, seed=3)


@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER"])
def test_convtranspose_auto_pad_and_output_shape(engine, auto_pad: str) -> None:
    _convt_case(engine, 2, 3, 1, (5, 5), (3, 3), (2, 2), (1, 1), None, (0, 0), True, seed=4, auto_pad=auto_pad)
    _convt_case(engine, 2, 3, 1, (5, 5), (3, 3), (2, 2), (1, 1), None, (0, 0), True, seed=5,
                output_shape=[12, 11])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cin_g=st.integers(1, 4), cout_g=st.integers(1, 10), group=st.integers(1, 3), h=st.integers(1, 9),
       w=st.integers(1, 9), k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       s=st.tuples(st.integers(1, 3), st.integers(1, 3)), d=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       p=st.tuples(*[st.integers(0, 2)] * 4), seed=st.integers(0, 99))
def test_convtranspose_property(engine, cin_g, cout_g, group, h, w, k, s, d, p, seed) -> None:
    full = [s[i] * ((h, w)[i] - 1) + (k[i] - 1) * d[i] + 1 - p[i] - p[i + 2] for i in range(2)]
    if min(full) < 1:
        return
    _convt_case(engine, cin_g * group, cout_g, group, (h, w), k, s, d, p, (0, 0), True, seed)


# ----------------------------------------------------------------------------- normalizations


@pytest.mark.parametrize("shape, axis, offset", [
    ((2, 7, 64), -1, 0.0), ((3, 5, 33), -1, 100.0), ((2, 3, 4, 5), 1, 0.0), ((4, 10), 0, 3.0),
])
def test_layernorm(engine, shape, axis, offset) -> None:
    rng = np.random.default_rng(6)
    x = rnd(rng, *shape) + np.float32(offset)  # a large mean against the spread: the one-pass stats hold
    inner = shape[axis % len(shape):]
    consts = {"s": rnd(rng, *inner), "b": rnd(rng, *inner)}
    node = helper.make_node("LayerNormalization", ["x", "s", "b"], ["y", "mean", "inv"], axis=axis, epsilon=1e-5)
    compare(engine, model([node], {"x": x}, consts, ["y", "mean", "inv"]), {"x": x})


def test_rms_and_group_and_instance_and_lp_norm(engine) -> None:
    rng = np.random.default_rng(7)
    x = rnd(rng, 2, 6, 5, 7) + np.float32(2.0)
    s, b = rnd(rng, 6), rnd(rng, 6)
    cases = [
        (helper.make_node("RMSNormalization", ["x", "s"], ["y"], axis=-2, epsilon=1e-6),
         {"s": rnd(rng, 5, 7)}, 23),
        (helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=3, epsilon=1e-5),
         {"s": s, "b": b}, 21),
        (helper.make_node("InstanceNormalization", ["x", "s", "b"], ["y"], epsilon=1e-3), {"s": s, "b": b}, 17),
        (helper.make_node("LpNormalization", ["x"], ["y"], axis=1, p=1), {}, 17),
        (helper.make_node("LpNormalization", ["x"], ["y"], axis=-1, p=2), {}, 17),
    ]
    for node, consts, opset in cases:
        m = model([node], {"x": x}, consts, ["y"], opset)
        if opset > 21:  # onnxruntime 1.2x has no RMSNormalization kernel: numpy reference
            conv = convert_model_report(m)[0]
            with engine.load(sdkm.encode(conv)) as em, em.session(threads=2) as sess:
                got = sess.run({"x": x})["y"]
            ms = np.mean(x.astype(np.float64) ** 2, axis=(2, 3), keepdims=True)
            want = x / np.sqrt(ms + 1e-6) * consts["s"]
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
        else:
            compare(engine, m, {"x": x})


# ----------------------------------------------------------------------------- attention


def _attention_model(B: int, S: int, H: int, D: int, *, mask: bool, qscale: bool, rank3: bool,
                     seed: int = 0) -> tuple[onnx.ModelProto, dict]:
    """The attention block of a BERT-style export: projections, heads split by Reshape +
    Transpose (K transposed to [B, H, D, S]), MatMul / sqrt(D) + extended mask, Softmax,
    MatMul, heads merged."""
    rng = np.random.default_rng(seed)
    hid = H * D
    consts: dict[str, np.ndarray] = {}
    nodes = []
    for n in "qkv":
        consts[f"{n}W"] = rnd(rng, hid, hid, scale=0.3)
        consts[f"{n}shape"] = np.array([B, S, H, D], np.int64)
        nodes += [helper.make_node("MatMul", ["x", f"{n}W"], [f"{n}0"]),
                  helper.make_node("Reshape", [f"{n}0", f"{n}shape"], [f"{n}1"])]
    nodes += [helper.make_node("Transpose", ["q1"], ["q2"], perm=[0, 2, 1, 3]),
              helper.make_node("Transpose", ["k1"], ["k2"], perm=[0, 2, 3, 1]),
              helper.make_node("Transpose", ["v1"], ["v2"], perm=[0, 2, 1, 3])]
    q, k, v = "q2", "k2", "v2"
    if rank3:  # older exports: [B*H, S, D]
        for n, shp in (("q", [B * H, S, D]), ("k", [B * H, D, S]), ("v", [B * H, S, D])):
            consts[f"{n}3"] = np.array(shp, np.int64)
            nodes.append(helper.make_node("Reshape", [f"{n}2", f"{n}3"], [f"{n}r"]))
        q, k, v = "qr", "kr", "vr"
    if qscale:
        consts["qs"] = np.array(0.5, np.float32)
        nodes.append(helper.make_node("Mul", [q, "qs"], ["qx"]))
        q = "qx"
    consts["sd"] = np.array(np.sqrt(D), np.float32)
    nodes += [helper.make_node("MatMul", [q, k], ["sc"]), helper.make_node("Div", ["sc", "sd"], ["sc2"])]
    last = "sc2"
    feeds = {"x": rnd(rng, B, S, hid)}
    if mask:
        feeds["m"] = (rng.random((B, S)) > 0.3).astype(np.float32)
        consts.update(ax=np.array([1, 2], np.int64), neg=np.array(-1e4, np.float32), one=np.array(1, np.float32))
        nodes += [helper.make_node("Unsqueeze", ["m", "ax"], ["m1"]), helper.make_node("Sub", ["one", "m1"], ["m2"]),
                  helper.make_node("Mul", ["m2", "neg"], ["m3"]), helper.make_node("Add", [last, "m3"], ["sc3"])]
        last = "sc3"
    consts["oshape"] = np.array([B, S, hid], np.int64)
    consts["c4"] = np.array([B, H, S, D], np.int64)
    nodes += [helper.make_node("Softmax", [last], ["p"], axis=-1), helper.make_node("MatMul", ["p", v], ["ctx"])]
    ctx = "ctx"
    if rank3:
        nodes.append(helper.make_node("Reshape", ["ctx", "c4"], ["ctx4"]))
        ctx = "ctx4"
    nodes += [helper.make_node("Transpose", [ctx], ["ctx2"], perm=[0, 2, 1, 3]),
              helper.make_node("Reshape", ["ctx2", "oshape"], ["y"])]
    ins = {k2: v2 for k2, v2 in feeds.items()}
    return model(nodes, ins, consts, ["y"]), feeds


@pytest.mark.parametrize("kw", [
    dict(B=2, S=7, H=3, D=8, mask=True, qscale=False, rank3=False),
    dict(B=1, S=40, H=2, D=16, mask=True, qscale=True, rank3=False),  # > 16 query rows: several blocks
    dict(B=2, S=9, H=2, D=4, mask=False, qscale=False, rank3=True),
    dict(B=1, S=5, H=4, D=8, mask=False, qscale=True, rank3=True),
])
def test_attention_pattern_fused(engine, kw) -> None:
    m, feeds = _attention_model(**kw)
    stats = compare(engine, m, feeds)
    assert stats["attention fused"] == 1
    assert "Softmax" not in stats["ops"] and stats["ops"]["Attention"] == 1


def test_attention_pattern_not_fused_when_probabilities_are_read_twice(engine) -> None:
    m, feeds = _attention_model(B=1, S=6, H=2, D=4, mask=False, qscale=False, rank3=False)
    m.graph.output.append(helper.make_tensor_value_info("p", TensorProto.FLOAT, None))  # probabilities are an output
    stats = compare(engine, m, feeds)
    assert stats["attention fused"] == 0 and stats["ops"]["Softmax"] == 1


def test_attention_op_threads(engine) -> None:
    """ONNX Attention (opset 23) with GQA, a bool mask shorter than the keys and causal
    masking, on 1 and 2 threads, against onnx's reference implementation."""
    from onnx.reference import ReferenceEvaluator

    rng = np.random.default_rng(8)
    feeds = {"q": rnd(rng, 2, 4, 19, 8), "k": rnd(rng, 2, 2, 23, 8), "v": rnd(rng, 2, 2, 23, 5),
             "m": rng.random((19, 20)) > 0.2}
    node = helper.make_node("Attention", ["q", "k", "v", "m"], ["y"], is_causal=1)
    m = model([node], feeds, {}, ["y"], opset=23)
    want = ReferenceEvaluator(m).run(None, feeds)[0]
    conv = convert_model_report(m)[0]
    for t in (1, 2):
        with engine.load(sdkm.encode(conv)) as em, em.session(threads=t) as s:
            got = s.run(feeds)["y"]
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- Einsum


@pytest.mark.parametrize("eq, shapes", [
    ("bhqd,bhkd->bhqk", [(2, 3, 5, 4), (2, 3, 6, 4)]),  # attention scores
    ("bhqk,bhkd->bhqd", [(2, 3, 5, 6), (2, 3, 6, 4)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),  # ellipsis with broadcast batch axes
    ("bid,jd->bij", [(2, 3, 4), (5, 4)]),
    ("ij,jk", [(3, 4), (4, 5)]),                        # implicit output
    ("i,j->ij", [(3,), (4,)]),                          # outer product
    ("ij->i", [(3, 4)]),
    ("bij->bji", [(2, 3, 4)]),
    ("bijk->kb", [(2, 3, 4, 5)]),
])
def test_einsum(engine, eq: str, shapes: list) -> None:
    rng = np.random.default_rng(9)
    feeds = {f"x{i}": rnd(rng, *s) for i, s in enumerate(shapes)}
    node = helper.make_node("Einsum", list(feeds), ["y"], equation=eq)
    conv = convert_model_report(model([node], feeds, {}, ["y"], opset=13))[0]
    with engine.load(sdkm.encode(conv)) as em, em.session(threads=2) as s:
        got = s.run(feeds)["y"]
    np.testing.assert_allclose(got, np.einsum(eq, *feeds.values()), rtol=1e-4, atol=1e-5)


def test_einsum_refuses_diagonals_clearly() -> None:
    from sdkbuild.errors import SdkbuildError

    feeds = {"x": np.zeros((3, 3), np.float32)}
    m = model([helper.make_node("Einsum", ["x"], ["y"], equation="ii->i")], feeds, {}, ["y"], opset=13)
    with pytest.raises(SdkbuildError, match="repeated index"):
        convert_model_report(m)


# ----------------------------------------------------------------------------- LayerNorm pattern


def _ln_pattern_graph(pow_form: bool, reciprocal: bool, affine: bool):
    """The converter IR of an opset<17 LayerNorm export (as the importer lowers it)."""
    from sdkbuild.convert.ir import Graph, Op, Value

    rng = np.random.default_rng(10)
    g = Graph()
    shape, f32 = (2, 5, 16), np.dtype(np.float32)
    g.values["x"] = Value("x", shape, f32)
    g.inputs = ["x"]
    stat = (2, 5, 1)

    def val(name: str, s=shape) -> str:
        g.values[name] = Value(name, s, f32)
        return name

    gamma, beta = rnd(rng, 16), rnd(rng, 16)
    ops = [Op("ReduceMean", "m", ["x"], [val("mean", stat)], {"axes": [-1], "keepdims": [1]}),
           Op("Sub", "s", ["x", "mean"], [val("d")])]
    if pow_form:
        ops.append(Op("Pow", "p", ["d", g.const(np.float32(2.0), "two")], [val("sq")]))
    else:
        ops.append(Op("Mul", "p", ["d", "d"], [val("sq")]))
    ops += [Op("ReduceMean", "v", ["sq"], [val("var", stat)], {"axes": [2], "keepdims": [1]}),
            Op("Add", "e", ["var", g.const(np.float32(1e-5), "eps")], [val("ve", stat)]),
            Op("Sqrt", "r", ["ve"], [val("std", stat)])]
    if reciprocal:
        ops += [Op("Reciprocal", "rc", ["std"], [val("inv", stat)]), Op("Mul", "n", ["d", "inv"], [val("norm")])]
    else:
        ops.append(Op("Div", "n", ["d", "std"], [val("norm")]))
    out = "norm"
    if affine:
        ops += [Op("Mul", "ga", ["norm", g.const(gamma, "gamma")], [val("scaled")]),
                Op("Add", "be", [g.const(beta, "beta"), "scaled"], [val("y")])]
        out = "y"
    g.ops = ops
    g.outputs = [out]
    return g, gamma if affine else np.ones(16, np.float32), beta if affine else np.zeros(16, np.float32)


@pytest.mark.parametrize("pow_form, reciprocal, affine", [(True, False, True), (False, True, False),
                                                          (True, True, True)])
def test_layernorm_pattern_rewrite(engine, pow_form, reciprocal, affine) -> None:
    from sdkbuild.convert.export import to_sdkm
    from sdkbuild.convert.passes import fuse_layernorm

    g, gamma, beta = _ln_pattern_graph(pow_form, reciprocal, affine)
    assert fuse_layernorm(g) == 1
    assert [op.op_type for op in g.ops] == ["LayerNormalization"]
    g.remove_dead()
    x = rnd(np.random.default_rng(11), 2, 5, 16) + np.float32(3.0)
    with engine.load(sdkm.encode(to_sdkm(g))) as em, em.session() as s:
        got = s.run({"x": x})[g.outputs[0]]
    mu = x.mean(-1, keepdims=True)
    want = (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + 1e-5) * gamma + beta
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_layernorm_pattern_kept_when_an_intermediate_is_read_elsewhere() -> None:
    from sdkbuild.convert.passes import fuse_layernorm

    g, _, _ = _ln_pattern_graph(True, False, True)
    g.outputs.append("std")  # the standard deviation is also a model output
    assert fuse_layernorm(g) == 0


def test_layernorm_pattern_from_an_onnx_export(engine) -> None:
    """End to end, once the element-wise and reduction families lower these ops."""
    from sdkbuild.convert.registry import available_engine_ops

    need = {"ReduceMean", "Sub", "Pow", "Sqrt", "Div"}
    if not need <= available_engine_ops():
        pytest.skip(f"engine ops {sorted(need - available_engine_ops())} not there yet")
    rng = np.random.default_rng(12)
    consts = {"two": np.array(2.0, np.float32), "eps": np.array(1e-5, np.float32), "gamma": rnd(rng, 16),
              "beta": rnd(rng, 16)}
    nodes = [helper.make_node("ReduceMean", ["x"], ["mean"], axes=[-1]), helper.make_node("Sub", ["x", "mean"], ["d"]),
             helper.make_node("Pow", ["d", "two"], ["sq"]), helper.make_node("ReduceMean", ["sq"], ["var"], axes=[-1]),
             helper.make_node("Add", ["var", "eps"], ["ve"]), helper.make_node("Sqrt", ["ve"], ["std"]),
             helper.make_node("Div", ["d", "std"], ["n"]), helper.make_node("Mul", ["n", "gamma"], ["s"]),
             helper.make_node("Add", ["s", "beta"], ["y"])]
    feeds = {"x": rnd(rng, 2, 5, 16)}
    stats = compare(engine, model(nodes, feeds, consts, ["y"], opset=13), feeds)
    assert stats["LayerNorm pattern -> LayerNormalization"] == 1 and stats["ops"] == {"LayerNormalization": 1}


# ----------------------------------------------------------------------------- prepare() under random input

FUZZ = {  # op -> (min inputs, max inputs, ranks, attribute names)
    "MatMul": (2, 2, [1, 2, 3, 4, 5, 6], ["activation"]),
    "ConvTranspose": (2, 3, [1, 4], ["strides", "pads", "dilations", "group", "output_padding"]),
    "LayerNormalization": (2, 3, [0, 1, 2, 3, 4], ["axis", "epsilon"]),
    "RMSNormalization": (2, 2, [0, 1, 2, 3], ["axis", "epsilon"]),
    "GroupNormalization": (3, 3, [1, 2, 3, 4], ["num_groups", "epsilon"]),
    "LpNormalization": (1, 1, [0, 1, 2, 3], ["axis", "p"]),
    "Attention": (3, 4, [1, 4], ["scale", "softcap", "is_causal", "offset", "left_window", "right_window",
                                 "k_transposed", "qk_mode"]),
}


@pytest.mark.parametrize("op", sorted(FUZZ))
def test_prepare_never_crashes(engine, op: str) -> None:
    """tests/test_ops.py's check (random shapes and attributes: a clean load or a clear refusal
    naming the node, never a crash) on the newer ops."""
    from test_ops import check_prepare_never_crashes

    lo, hi, ranks, names = FUZZ[op]
    check_prepare_never_crashes(engine, op, (lo, hi, ranks), names, max_side=5, max_attrs=4, examples=40)


# ----------------------------------------------------------------------------- quantized ONNX ops


@pytest.mark.parametrize("at, bt", [(np.uint8, np.int8), (np.uint8, np.uint8), (np.int8, np.int8)])
def test_matmul_integer_and_qlinear(engine, at, bt) -> None:
    """MatMulInteger (per-column b zero points, batched A) and QLinearMatMul exactly as
    onnxruntime computes them, on 1 and 2 threads."""
    rng = np.random.default_rng(13)

    def ints(dt, *shape):
        info = np.iinfo(dt)
        return rng.integers(info.min, info.max + 1, size=shape).astype(dt)

    a, b = ints(at, 2, 33, 40), ints(bt, 40, 17)
    if at == np.uint8 and bt == np.int8 and U8S8_SATURATES:
        b = (b // 2).astype(np.int8)  # [-64, 63]: where onnxruntime's u8s8 kernels are exact
    consts = {"b": b, "az": ints(at, 1).reshape(()), "bz": ints(bt, 17)}
    node = helper.make_node("MatMulInteger", ["a", "b", "az", "bz"], ["y"])
    m = model([node], {"a": a}, consts, ["y"], opset=13)
    m.graph.output[0].type.tensor_type.elem_type = TensorProto.INT32
    compare(engine, m, {"a": a}, tol=0.0)
    consts = {"as": np.float32(0.02), "az": ints(at, 1).reshape(()), "b": b, "bs": np.float32(0.03),
              "bz": ints(bt, 1).reshape(()), "ys": np.float32(0.5), "yz": ints(at, 1).reshape(())}
    node = helper.make_node("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz", "ys", "yz"], ["y"])
    m = model([node], {"a": a}, consts, ["y"], opset=13)
    m.graph.output[0].type.tensor_type.elem_type = helper.np_dtype_to_tensor_dtype(np.dtype(at))
    compare(engine, m, {"a": a}, tol=0.0)


def test_qlinear_conv_and_qdq(engine) -> None:
    """QLinearConv (per-channel weight scales, bias) and a QDQ pair around a float Conv."""
    rng = np.random.default_rng(14)
    x = rng.integers(0, 256, size=(1, 4, 9, 9)).astype(np.uint8)
    wmax = 64 if U8S8_SATURATES else 128  # (where onnxruntime's u8s8 kernels are exact)
    consts = {"xs": np.float32(0.05), "xz": np.uint8(128), "w": rng.integers(-wmax + 1, wmax, (6, 4, 3, 3)).astype(np.int8),
              "ws": rng.uniform(0.01, 0.05, 6).astype(np.float32), "wz": np.zeros(6, np.int8),
              "ys": np.float32(0.2), "yz": np.uint8(100), "b": rng.integers(-500, 500, 6).astype(np.int32)}
    node = helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["y"], pads=[1, 1, 1, 1],
                            strides=[2, 1])
    m = model([node], {"x": x}, consts, ["y"], opset=13)
    m.graph.output[0].type.tensor_type.elem_type = TensorProto.UINT8
    compare(engine, m, {"x": x}, tol=0.0)
    xf = rnd(rng, 1, 3, 8, 8)
    consts = {"s": np.float32(0.02), "z": np.uint8(120), "wq": rng.integers(-127, 128, (5, 3, 3, 3)).astype(np.int8),
              "wqs": rng.uniform(0.01, 0.03, 5).astype(np.float32), "wqz": np.zeros(5, np.int8)}
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["xd"]),
             helper.make_node("DequantizeLinear", ["wq", "wqs", "wqz"], ["wd"], axis=0),
             helper.make_node("Conv", ["xd", "wd"], ["y"])]
    compare(engine, model(nodes, {"x": xf}, consts, ["y"], opset=13), {"x": xf}, tol=1e-5)
