"""fp32 engine ops against onnxruntime.

Every case builds one node twice: as an engine-level .sdkm (sdkbuild.sdkm, the engine's
own attribute conventions: pads [t,l,b,r], Clip bounds as attributes, fused activations)
and as the equivalent ONNX graph run by onnxruntime. A subset also goes through the real
converter (sdkbuild.convert) to check the ONNX -> .sdkm -> engine path end to end.
Shapes are random (seeded) and small; each conv/gemm case also runs on a 2-thread session.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from onnx import TensorProto, helper, numpy_helper

from sdkbuild import runtime, sdkm

OPS = [
    "Conv", "Gemm", "MatMul", "Add", "Mul", "Clip", "Sigmoid", "HardSwish", "MaxPool", "AveragePool",
    "GlobalAveragePool", "Softmax", "Concat", "Transpose", "Pad", "LRN", "Relu", "Reshape", "Swish",
]
BAD_MODEL, UNSUPPORTED = 3, 4


@pytest.fixture(scope="session")
def engine() -> runtime.Engine:
    return runtime.Engine(runtime.build_dev_engine(OPS))


# ----------------------------------------------------------------------------- helpers


class Case:
    """One node: inputs (name, array, constant?) in order; None marks an absent optional input."""

    def __init__(self, op: str, inputs: list[tuple[str, np.ndarray, bool] | None], attrs: dict | None = None,
                 float_attrs: tuple[str, ...] = ()) -> None:
        self.op, self.inputs, self.attrs, self.float_attrs = op, inputs, attrs or {}, frozenset(float_attrs)

    def sdkm_model(self, out_shapes: list[tuple[int, ...]]) -> sdkm.Model:
        m = sdkm.Model(name="t")
        idx = []
        for item in self.inputs:
            if item is None:
                idx.append(-1)
                continue
            name, arr, const = item
            i = m.add_tensor(sdkm.Tensor(name, 1, tuple(arr.shape), data=arr if const else None))
            idx.append(i)
            if not const:
                m.inputs.append(i)
        outs = [m.add_tensor(sdkm.Tensor(f"y{j}", 1, tuple(s))) for j, s in enumerate(out_shapes)]
        m.outputs = outs
        m.nodes.append(sdkm.Node(self.op, "n0", idx, outs, dict(self.attrs), self.float_attrs))
        return m

    def feeds(self) -> dict[str, np.ndarray]:
        return {it[0]: it[1] for it in self.inputs if it is not None and not it[2]}


def onnx_model(nodes: list[onnx.NodeProto], inputs: list[tuple[str, np.ndarray, bool] | None], outputs: list[str],
               opset: int = 13) -> onnx.ModelProto:
    graph_inputs, inits = [], []
    for it in inputs:
        if it is None:
            continue
        name, arr, const = it
        if const:
            inits.append(numpy_helper.from_array(arr, name))
        else:
            graph_inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(arr.shape)))
    outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs]
    g = helper.make_graph(nodes, "t", graph_inputs, outs, initializer=inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def ort_run(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def engine_run(engine: runtime.Engine, model: sdkm.Model, feeds: dict[str, np.ndarray], threads: int = 1
               ) -> list[np.ndarray]:
    with engine.load(sdkm.encode(model)) as m, m.session(threads=threads) as s:
        out = s.run(feeds)
        return [out[o.name] for o in m.outputs]


def assert_close(got: np.ndarray, ref: np.ndarray) -> None:
    assert got.shape == ref.shape, f"shape {got.shape} != {ref.shape}"
    scale = max(1.0, float(np.abs(ref).max(initial=0.0)))
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5 * scale)


def check(engine: runtime.Engine, case: Case, ref_nodes: list[onnx.NodeProto], threads: tuple[int, ...] = (1,),
          opset: int = 14, extra_inputs: list | None = None) -> list[np.ndarray]:
    """Runs `case` on the engine and `ref_nodes` (outputs y0..) on onnxruntime; compares."""
    ins = [it for it in case.inputs if it is not None] + (extra_inputs or [])
    n_out = len(ref_nodes[-1].output)
    ref = ort_run(onnx_model(ref_nodes, ins, [f"y{j}" for j in range(n_out)], opset), case.feeds())
    model = case.sdkm_model([r.shape for r in ref])
    for t in threads:
        got = engine_run(engine, model, case.feeds(), t)
        for g, r in zip(got, ref, strict=True):
            assert_close(g, r)
    return ref


def rand(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


ACTS = {  # engine activation code -> (ONNX nodes from "pre" to "y0", engine attrs)
    0: None,
    1: "Relu",
    2: "Clip",
    3: "HardSwish",
    4: "Sigmoid",
}


def act_nodes(code: int, src: str, dst: str, extra: list) -> tuple[list[onnx.NodeProto], dict, tuple[str, ...]]:
    """ONNX nodes applying fused activation `code` from src to dst, and the engine attrs."""
    if code == 0:
        return [helper.make_node("Identity", [src], [dst])], {}, ()
    if code == 2:
        extra += [("clip_lo", np.array(-0.4, np.float32), True), ("clip_hi", np.array(0.6, np.float32), True)]
        return ([helper.make_node("Clip", [src, "clip_lo", "clip_hi"], [dst])],
                {"activation": [2], "activation_params": [-0.4, 0.6]}, ("activation_params",))
    return [helper.make_node(ACTS[code], [src], [dst])], {"activation": [code]}, ()


# ----------------------------------------------------------------------------- Conv


def _conv_cases() -> list[tuple]:
    rng = np.random.default_rng(1234)
    cases = [  # (N, C, H, W, OC, group, k, stride, dil, pads[t,l,b,r], act, bias)
        (1, 3, 9, 11, 5, 1, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), 0, True),
        (1, 8, 10, 7, 8, 8, (3, 3), (2, 2), (1, 1), (1, 1, 1, 1), 2, True),  # depthwise s2 (MobileNet)
        (2, 6, 9, 9, 12, 6, (3, 3), (1, 1), (2, 2), (2, 2, 2, 2), 1, False),  # depthwise, multiplier 2, dilated
        (1, 6, 8, 8, 4, 2, (2, 3), (1, 2), (1, 1), (0, 1, 1, 0), 3, True),  # grouped, asymmetric pads
        (1, 16, 7, 7, 24, 1, (1, 1), (1, 1), (1, 1), (0, 0, 0, 0), 2, True),  # pointwise
        # few pixel tiles: at 2 threads each tile is split by output-channel blocks (partial last block)
        (1, 40, 7, 7, 100, 1, (1, 1), (1, 1), (1, 1), (0, 0, 0, 0), 2, True),  # packed pointwise
        (2, 8, 6, 6, 60, 2, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), 1, True),  # grouped 3x3, blocks 12+12+6
        (1, 5, 13, 6, 7, 1, (1, 1), (2, 1), (1, 1), (0, 0, 0, 0), 4, True),  # strided 1x1
        (1, 4, 5, 5, 3, 1, (5, 5), (1, 1), (1, 1), (0, 0, 0, 0), 0, True),  # kernel = input
        (1, 3, 17, 17, 16, 1, (3, 3), (2, 2), (1, 1), (0, 0, 1, 1), 2, True),  # TF-style SAME stem
    ]
    for _ in range(8):  # random ones
        g = int(rng.choice([1, 1, 2, 3]))
        cg, og = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        k = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        d = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        p = tuple(int(x) for x in rng.integers(0, 3, 4))
        h, w = int(rng.integers(max(1, (k[0] - 1) * d[0] + 1 - p[0] - p[2]), 15)), int(rng.integers(
            max(1, (k[1] - 1) * d[1] + 1 - p[1] - p[3]), 15))
        s = (int(rng.integers(1, 3)), int(rng.integers(1, 4)))
        cases.append((int(rng.integers(1, 3)), g * cg, h, w, g * og, g, k, s, d, p, int(rng.integers(0, 5)),
                      bool(rng.integers(0, 2))))
    return cases


@pytest.mark.parametrize("spec", _conv_cases(), ids=lambda s: "N{}C{}H{}W{}O{}g{}k{}s{}d{}p{}a{}b{}".format(*s))
def test_conv(engine: runtime.Engine, spec: tuple) -> None:
    n, c, h, w, oc, group, k, s, d, p, act, bias = spec
    rng = np.random.default_rng(hash(spec) % 2**32)
    x, wt = rand(rng, n, c, h, w), rand(rng, oc, c // group, *k)
    ins = [("x", x, False), ("w", wt, True)] + ([("b", rand(rng, oc), True)] if bias else [])
    extra: list = []
    post, act_attrs, fl = act_nodes(act, "pre", "y0", extra)
    onnx_attrs = dict(strides=list(s), dilations=list(d), group=group, pads=[p[0], p[1], p[2], p[3]],
                      kernel_shape=list(k))
    ref_nodes = [helper.make_node("Conv", [i[0] for i in ins], ["pre"], **onnx_attrs)] + post
    case = Case("Conv", ins, {"strides": list(s), "dilations": list(d), "group": [group], "pads": list(p),
                              **act_attrs}, fl)
    check(engine, case, ref_nodes, threads=(1, 2), extra_inputs=extra)


@pytest.mark.parametrize("c,hw,oc,k,s", [
    (64, 56, 64, 1, 1),  # 13 tiles of up to 256 pixels: 14 at 2 threads (7 each)
    (480, 14, 80, 1, 1),  # 4 tiles of 3 + 3 + 3 + 4 panels
    (256, 28, 128, 1, 1),  # 7 tiles: 8 at 2 threads, 9 at 3
    (64, 56, 64, 3, 2),  # im2col in K chunks, 7 tiles of 28x28
    (32, 40, 32, 3, 1),  # Winograd (its blocks of tile rows stay as at 1 thread)
])
def test_conv_tiles_split_exactly(engine: runtime.Engine, c: int, hw: int, oc: int, k: int, s: int) -> None:
    """Dense convs whose pixel tiles are re-cut for the thread count (equal shares of GEMM
    panels, as many as divide among the threads): the outputs at 2 and 3 threads are the
    1-thread outputs bit for bit, and match onnxruntime. (Winograd's blocks of tile rows are
    not re-cut: the GEMM's narrow last panel rounds differently, so moving a block boundary
    would change bits.)"""
    rng = np.random.default_rng(c + hw + k)
    x, wt, b = rand(rng, 1, c, hw, hw), rand(rng, oc, c, k, k) * 0.2, rand(rng, oc)
    pads = [k // 2] * 4
    ins = [("x", x, False), ("w", wt, True), ("b", b, True)]
    case = Case("Conv", ins, {"strides": [s, s], "pads": pads, "activation": [1]})
    ref_nodes = [helper.make_node("Conv", ["x", "w", "b"], ["pre"], strides=[s, s], pads=pads),
                 helper.make_node("Relu", ["pre"], ["y0"])]
    ref = check(engine, case, ref_nodes)
    model = case.sdkm_model([r.shape for r in ref])
    one = engine_run(engine, model, case.feeds(), 1)[0]
    for t in (2, 3):
        np.testing.assert_array_equal(engine_run(engine, model, case.feeds(), t)[0], one)


def test_conv_mobilenet_sized(engine: runtime.Engine) -> None:
    """A MobileNetV2-sized stride-2 stem and an expanded depthwise block at 112x112."""
    rng = np.random.default_rng(7)
    x = rand(rng, 1, 3, 224, 224)
    wt, b = rand(rng, 32, 3, 3, 3), rand(rng, 32)
    ins = [("x", x, False), ("w", wt, True), ("b", b, True)]
    case = Case("Conv", ins, {"strides": [2, 2], "pads": [0, 0, 1, 1], "activation": [2],
                              "activation_params": [0.0, 6.0]}, ("activation_params",))
    extra = [("lo", np.array(0, np.float32), True), ("hi", np.array(6, np.float32), True)]
    ref_nodes = [helper.make_node("Conv", ["x", "w", "b"], ["pre"], strides=[2, 2], pads=[0, 0, 1, 1]),
                 helper.make_node("Clip", ["pre", "lo", "hi"], ["y0"])]
    check(engine, case, ref_nodes, threads=(2,), extra_inputs=extra)


# ----------------------------------------------------------------------------- Gemm / MatMul


@pytest.mark.parametrize("m,k,n,ta,tb,alpha,beta,cshape,act,bconst", [
    (1, 37, 10, 0, 1, 1.0, 1.0, "n", 0, True),  # classifier: [1,K] x W^T + b
    (5, 16, 9, 0, 0, 0.5, 2.0, "mn", 1, False),
    (7, 3, 13, 1, 0, 1.0, 0.0, "mn", 0, True),  # beta 0: C ignored
    (4, 8, 17, 1, 1, -1.5, 0.3, "m1", 2, False),
    (9, 11, 1, 0, 0, 1.0, 1.0, "1", 4, True),
    (3, 5, 6, 0, 1, 1.0, 1.0, None, 3, True),
    (33, 70, 19, 0, 0, 1.0, 1.0, "1n", 0, True),
    # batch 1 (GEMV on B as stored): B' = B^T and B, transA, with and without C
    (1, 70, 33, 1, 0, 0.7, 0.5, "n", 2, True),
    (1, 129, 150, 0, 0, 1.0, 1.0, "1n", 1, False),
    (1, 1280, 100, 0, 1, 1.0, 1.0, "n", 0, True),
    (1, 9, 5, 1, 1, -2.0, 1.0, None, 4, False),
])
def test_gemm(engine: runtime.Engine, m: int, k: int, n: int, ta: int, tb: int, alpha: float, beta: float,
              cshape: str | None, act: int, bconst: bool) -> None:
    rng = np.random.default_rng(m * 1000 + k * 10 + n)
    a = rand(rng, *((k, m) if ta else (m, k)))
    b = rand(rng, *((n, k) if tb else (k, n)))
    shapes = {"n": (n,), "mn": (m, n), "m1": (m, 1), "1": (1,), "1n": (1, n)}
    ins = [("a", a, False), ("b", b, bconst)]
    if cshape:
        ins.append(("c", rand(rng, *shapes[cshape]), True))
    extra: list = []
    post, act_attrs, fl = act_nodes(act, "pre", "y0", extra)
    attrs = {"alpha": alpha, "beta": beta, "transA": ta, "transB": tb}
    ref_nodes = [helper.make_node("Gemm", [i[0] for i in ins], ["pre"], **attrs)] + post
    case = Case("Gemm", ins, {"alpha": [alpha], "beta": [beta], "transA": [ta], "transB": [tb], **act_attrs},
                ("alpha", "beta") + fl)
    check(engine, case, ref_nodes, threads=(1, 2), extra_inputs=extra)


@pytest.mark.parametrize("m,k,n,bconst", [(1, 1, 1, True), (3, 7, 5, False), (17, 9, 23, True), (64, 40, 8, False)])
def test_matmul(engine: runtime.Engine, m: int, k: int, n: int, bconst: bool) -> None:
    rng = np.random.default_rng(m + k + n)
    ins = [("a", rand(rng, m, k), False), ("b", rand(rng, k, n), bconst)]
    check(engine, Case("MatMul", ins), [helper.make_node("MatMul", ["a", "b"], ["y0"])], threads=(1, 2))


# ----------------------------------------------------------------------------- Add / Mul


BROADCASTS = [
    ((2, 3, 4), (2, 3, 4)),
    ((1, 8, 5, 5), (1, 8, 1, 1)),  # per-channel
    ((3, 1, 5), (1, 4, 1)),  # both broadcast
    ((7,), (2, 3, 7)),  # lower rank on the left
    ((2, 3, 4, 5), ()),  # scalar
    ((1,), (3, 1, 2, 1, 2, 3)),  # rank 6
    ((2, 1, 3, 1, 2, 1), (1, 4, 1, 5, 1, 3)),
    ((1, 16, 7, 7), (1, 16, 7, 7)),
    ((1, 24, 28, 29), (1, 24, 28, 29)),  # one merged row, split by elements at 2 threads
]


@pytest.mark.parametrize("op", ["Add", "Mul"])
@pytest.mark.parametrize("sa,sb", BROADCASTS)
def test_binary(engine: runtime.Engine, op: str, sa: tuple, sb: tuple) -> None:
    rng = np.random.default_rng(len(sa) * 7 + len(sb))
    for swap in (False, True):
        a, b = rand(rng, *sa), rand(rng, *sb)
        if swap:
            a, b = b, a
        ins = [("a", a, False), ("b", b, bool(rng.integers(0, 2)))]
        check(engine, Case(op, ins), [helper.make_node(op, ["a", "b"], ["y0"])], threads=(1, 2))


@pytest.mark.parametrize("act", [1, 2, 3, 4])
def test_add_fused_activation(engine: runtime.Engine, act: int) -> None:
    rng = np.random.default_rng(act)
    ins = [("a", rand(rng, 1, 6, 5, 5) * 4, False), ("b", rand(rng, 1, 6, 5, 5) * 4, False)]
    extra: list = []
    post, act_attrs, fl = act_nodes(act, "pre", "y0", extra)
    ref_nodes = [helper.make_node("Add", ["a", "b"], ["pre"])] + post
    check(engine, Case("Add", ins, act_attrs, fl), ref_nodes, extra_inputs=extra)


# ----------------------------------------------------------------------------- unary


@pytest.mark.parametrize("shape", [(1,), (3, 5), (2, 33, 17, 3)])
@pytest.mark.parametrize("op", ["Sigmoid", "HardSwish", "Clip"])
def test_unary(engine: runtime.Engine, op: str, shape: tuple) -> None:
    rng = np.random.default_rng(len(shape))
    x = rand(rng, *shape) * 8
    if op == "Clip":
        for lo, hi in [(-1.0, 2.5), (0.0, 6.0), (None, 0.5), (-0.25, None)]:
            extra = [("lo", np.array(-np.inf if lo is None else lo, np.float32), True),
                     ("hi", np.array(np.inf if hi is None else hi, np.float32), True)]
            attrs = {k: [v] for k, v in (("min", lo), ("max", hi)) if v is not None}
            check(engine, Case("Clip", [("x", x, False)], attrs, ("min", "max")),
                  [helper.make_node("Clip", ["x", "lo", "hi"], ["y0"])], extra_inputs=extra)
    else:
        check(engine, Case(op, [("x", x, False)]), [helper.make_node(op, ["x"], ["y0"])], opset=14)


# ----------------------------------------------------------------------------- pooling


POOLS = [  # (shape, kernel, strides, pads [t,l,b,r], ceil, dil)
    ((1, 3, 8, 8), (2, 2), (2, 2), (0, 0, 0, 0), 0, (1, 1)),
    ((2, 4, 9, 7), (3, 3), (2, 2), (1, 1, 1, 1), 0, (1, 1)),
    ((1, 2, 10, 11), (3, 2), (2, 3), (1, 0, 0, 1), 1, (1, 1)),
    ((1, 2, 7, 7), (3, 3), (2, 2), (0, 0, 0, 0), 1, (1, 1)),
    ((1, 5, 6, 9), (1, 4), (1, 2), (0, 1, 0, 2), 0, (1, 1)),
    ((1, 1, 13, 13), (3, 3), (3, 3), (1, 1, 1, 1), 1, (1, 1)),
    ((1, 3, 12, 10), (3, 2), (1, 2), (2, 1, 2, 1), 0, (2, 3)),  # dilated (MaxPool only)
]


@pytest.mark.parametrize("op,cip,spec", [(op, cip, spec) for op, cip in [("MaxPool", 0), ("AveragePool", 0),
                                                                         ("AveragePool", 1)]
                                         for spec in POOLS if op == "MaxPool" or spec[5] == (1, 1)])
def test_pool(engine: runtime.Engine, op: str, cip: int, spec: tuple) -> None:
    shape, k, s, p, ceil, dil = spec
    rng = np.random.default_rng(sum(shape))
    x = rand(rng, *shape)
    onnx_attrs = dict(kernel_shape=list(k), strides=list(s), pads=[p[0], p[1], p[2], p[3]], ceil_mode=ceil)
    attrs = {"kernel_shape": list(k), "strides": list(s), "pads": list(p), "ceil_mode": [ceil]}
    if op == "MaxPool":
        onnx_attrs["dilations"] = attrs["dilations"] = list(dil)
    else:
        onnx_attrs["count_include_pad"] = cip
        attrs["count_include_pad"] = [cip]
    check(engine, Case(op, [("x", x, False)], attrs), [helper.make_node(op, ["x"], ["y0"], **onnx_attrs)],
          threads=(1, 2), opset=12 if op == "MaxPool" else 13)


@pytest.mark.parametrize("shape", [(1, 3, 7, 7), (2, 5, 1, 9), (1, 1280, 7, 7), (2, 3, 4)])
def test_global_average_pool(engine: runtime.Engine, shape: tuple) -> None:
    x = rand(np.random.default_rng(len(shape)), *shape)
    check(engine, Case("GlobalAveragePool", [("x", x, False)]),
          [helper.make_node("GlobalAveragePool", ["x"], ["y0"])])


# ----------------------------------------------------------------------------- others


@pytest.mark.parametrize("shape,axis", [((1, 1000), -1), ((2, 3, 4), 1), ((2, 3, 4), 0), ((3, 5, 2, 2), -2),
                                        ((7,), 0)])
def test_softmax(engine: runtime.Engine, shape: tuple, axis: int) -> None:
    x = rand(np.random.default_rng(len(shape) + axis), *shape) * 10
    check(engine, Case("Softmax", [("x", x, False)], {"axis": [axis]}),
          [helper.make_node("Softmax", ["x"], ["y0"], axis=axis)])


@pytest.mark.parametrize("shapes,axis", [
    ([(1, 2, 3, 3), (1, 5, 3, 3)], 1),
    ([(2, 3), (2, 1), (2, 4)], -1),
    ([(1, 4), (3, 4)], 0),
    ([(2, 3, 1, 2, 1, 2)] * 4, 3),
    ([(5,)], 0),
    # large enough to split over 2 threads in 4 KB output blocks that cut across the chunks
    ([(2, 20, 30, 33), (2, 7, 30, 33), (2, 13, 30, 33)], 1),
    ([(1, 8, 100, 50), (1, 8, 3, 50)], 2),
    # one outer step (batch 1, channels) on x86: each thread copies the same share of every
    # plane (planes of 1 KB and more), or of every input (smaller planes), cut at 64-byte lines
    ([(1, 17, 31, 33), (1, 9, 31, 33), (1, 20, 31, 33)], 1),
    ([(1, 401, 7, 7), (1, 300, 7, 7)], 1),
])
def test_concat(engine: runtime.Engine, shapes: list, axis: int) -> None:
    rng = np.random.default_rng(len(shapes))
    ins = [(f"x{i}", rand(rng, *s), bool(i % 2)) for i, s in enumerate(shapes)]
    check(engine, Case("Concat", ins, {"axis": [axis]}),
          [helper.make_node("Concat", [i[0] for i in ins], ["y0"], axis=axis)], threads=(1, 2))


@pytest.mark.parametrize("shape,perm", [
    ((2, 3), (1, 0)), ((1, 3, 4, 5), (0, 2, 3, 1)), ((2, 3, 4), (2, 0, 1)), ((2, 1, 3, 1, 2, 2), (5, 3, 1, 0, 4, 2)),
    ((4, 5), (0, 1)),
])
def test_transpose(engine: runtime.Engine, shape: tuple, perm: tuple) -> None:
    x = rand(np.random.default_rng(len(shape)), *shape)
    check(engine, Case("Transpose", [("x", x, False)], {"perm": list(perm)}),
          [helper.make_node("Transpose", ["x"], ["y0"], perm=list(perm))])


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge"])
@pytest.mark.parametrize("shape,pads", [
    ((1, 3, 4, 5), (0, 0, 1, 2, 0, 0, 3, 1)), ((5,), (2, 3)), ((2, 3, 4), (1, 0, 2, 1, 2, 0)),
    ((3, 3), (0, 0, 0, 0)),
])
def test_pad(engine: runtime.Engine, mode: str, shape: tuple, pads: tuple) -> None:
    x = rand(np.random.default_rng(len(shape)), *shape)
    value = 0.75 if mode == "constant" else 0.0
    extra = [("pads", np.array(pads, np.int64), True), ("cv", np.array(value, np.float32), True)]
    onnx_ins = ["x", "pads", "cv"] if mode == "constant" else ["x", "pads"]
    ref_nodes = [helper.make_node("Pad", onnx_ins, ["y0"], mode=mode)]
    ins = [("x", x, False)]
    ref = ort_run(onnx_model(ref_nodes, ins + extra[: len(onnx_ins) - 1], ["y0"], 13), {"x": x})
    model = Case("Pad", ins, {"pads": list(pads), "mode": mode, "value": [value]}, ("value",)).sdkm_model(
        [ref[0].shape])
    assert_close(engine_run(engine, model, {"x": x})[0], ref[0])


def lrn_reference(x: np.ndarray, size: int, alpha: float, beta: float, bias: float) -> np.ndarray:
    """The ONNX LRN formula in float64 (onnxruntime only implements odd sizes)."""
    x64 = x.astype(np.float64)
    sq = np.zeros_like(x64)
    c = x.shape[1]
    for ch in range(c):
        lo, hi = max(0, ch - (size - 1) // 2), min(c - 1, ch + (size - 1) - (size - 1) // 2)
        sq[:, ch] = (x64[:, lo : hi + 1] ** 2).sum(axis=1)
    return (x64 / (bias + alpha / size * sq) ** beta).astype(np.float32)


@pytest.mark.parametrize("shape,size,alpha,beta,bias", [
    ((1, 8, 5, 5), 5, 1e-4, 0.75, 1.0), ((2, 3, 4, 4), 2, 0.5, 0.6, 2.0), ((1, 6, 3, 7), 3, 1.0, 1.0, 0.5),
    ((1, 7, 2, 3), 4, 0.8, 0.5, 1.5), ((2, 4, 3), 3, 0.3, 0.75, 1.0),
])
def test_lrn(engine: runtime.Engine, shape: tuple, size: int, alpha: float, beta: float, bias: float) -> None:
    x = rand(np.random.default_rng(size), *shape) * 3
    case = Case("LRN", [("x", x, False)], {"size": [size], "alpha": [alpha], "beta": [beta], "bias": [bias]},
                ("alpha", "beta", "bias"))
    ref = lrn_reference(x, size, alpha, beta, bias)
    if size % 2 and len(shape) == 4:
        ort_ref = check(engine, case, [helper.make_node("LRN", ["x"], ["y0"], size=size, alpha=alpha, beta=beta,
                                                        bias=bias)])[0]
        assert_close(ref, ort_ref)  # the numpy formula agrees with onnxruntime where both exist
    assert_close(engine_run(engine, case.sdkm_model([ref.shape]), {"x": x})[0], ref)


# ----------------------------------------------------------------------------- via the converter


def test_converter_path(engine: runtime.Engine) -> None:
    """A small ONNX graph of several of these ops through sdkbuild.convert and the engine."""
    from sdkbuild.convert import convert_model

    rng = np.random.default_rng(99)
    x = rand(rng, 1, 4, 12, 12)
    inits = [
        ("w1", rand(rng, 8, 4, 3, 3)), ("b1", rand(rng, 8)), ("wd", rand(rng, 8, 1, 3, 3)),
        ("w2", rand(rng, 6, 8, 1, 1)), ("lo", np.array(0, np.float32)), ("hi", np.array(6, np.float32)),
        ("fw", rand(rng, 10, 6)), ("fb", rand(rng, 10)), ("pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64)),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Clip", ["c1", "lo", "hi"], ["r1"]),
        helper.make_node("Conv", ["r1", "wd"], ["c2"], pads=[1, 1, 1, 1], group=8),
        helper.make_node("HardSwish", ["c2"], ["h2"]),
        helper.make_node("Conv", ["h2", "w2"], ["c3"]),
        helper.make_node("Pad", ["c3", "pads"], ["p3"], mode="reflect"),
        helper.make_node("MaxPool", ["p3"], ["m3"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Sigmoid", ["m3"], ["s3"]),
        helper.make_node("Mul", ["m3", "s3"], ["sw"]),
        helper.make_node("GlobalAveragePool", ["sw"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "fw", "fb"], ["logits"], transB=1),
        helper.make_node("Softmax", ["logits"], ["y0"], axis=-1),
    ]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
                          [helper.make_tensor_value_info("y0", TensorProto.FLOAT, None)],
                          initializer=[numpy_helper.from_array(a, n) for n, a in inits])
    proto = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
    ref = ort_run(proto, {"x": x})[0]
    m = convert_model(proto)
    got = engine_run(engine, m, {"x": x})[0]
    assert_close(got.reshape(ref.shape), ref)


def test_small_ops_split_over_threads_exactly(engine: runtime.Engine) -> None:
    """A squeeze-excitation tail at 7x7 (GlobalAveragePool, Sigmoid, the channel-scale
    Mul, a residual Add, Concat, HardSwish), each big enough to split over 2 threads: the
    2-thread outputs are bit-identical to the 1-thread ones (and close to onnxruntime's)."""
    from sdkbuild.convert import convert_model

    rng = np.random.default_rng(12)
    x = rand(rng, 1, 400, 7, 7) * 3
    nodes = [
        helper.make_node("GlobalAveragePool", ["x"], ["g"]),
        helper.make_node("Sigmoid", ["g"], ["s"]),
        helper.make_node("Mul", ["x", "s"], ["m"]),
        helper.make_node("Add", ["m", "x"], ["a"]),
        helper.make_node("Concat", ["a", "x"], ["c"], axis=1),
        helper.make_node("HardSwish", ["c"], ["y0"]),
    ]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
                          [helper.make_tensor_value_info("y0", TensorProto.FLOAT, None)])
    proto = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
    ref = ort_run(proto, {"x": x})[0]
    m = convert_model(proto)
    assert {"GlobalAveragePool", "Mul", "Concat"} <= {n.op for n in m.nodes}
    one = engine_run(engine, m, {"x": x}, threads=1)[0]
    assert_close(one, ref)
    for _ in range(3):
        np.testing.assert_array_equal(engine_run(engine, m, {"x": x}, threads=2)[0], one)


@pytest.mark.parametrize("producer", ["Conv", "Add"])
def test_silu_fused_into_producer(engine: runtime.Engine, producer: str) -> None:
    """x * Sigmoid(x) after a Conv (EfficientNet's SiLU) or an Add becomes the producer's
    fused activation 5 (convert/act_patterns.py): no Sigmoid or Mul left, outputs as onnxruntime's
    (the engine's vectorized exp included), NaN/large inputs too."""
    from sdkbuild.convert import convert_model

    rng = np.random.default_rng(7)
    x = rand(rng, 1, 40, 9, 11) * 8
    x[0, 0, 0, :4] = [100.0, -100.0, 88.5, -90.0]  # exp's clamps
    inits = [("w", rand(rng, 24, 40, 3, 3) * 0.2), ("b", rand(rng, 24)), ("a", rand(rng, 1, 40, 9, 11))]
    first = (helper.make_node("Conv", ["x", "w", "b"], ["p"], pads=[1, 1, 1, 1]) if producer == "Conv"
             else helper.make_node("Add", ["x", "a"], ["p"]))
    nodes = [first, helper.make_node("Sigmoid", ["p"], ["s"]), helper.make_node("Mul", ["s", "p"], ["y0"])]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
                          [helper.make_tensor_value_info("y0", TensorProto.FLOAT, None)],
                          initializer=[numpy_helper.from_array(a, n) for n, a in inits])
    proto = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
    m = convert_model(proto)
    assert [n.op for n in m.nodes] == [producer] and m.nodes[0].attrs["activation"] == [sdkm.ACT_SILU]
    ref = ort_run(proto, {"x": x})[0]
    got = engine_run(engine, m, {"x": x})[0]
    np.testing.assert_allclose(got, ref, rtol=2e-6, atol=2e-6 * float(np.abs(ref).max()))


def test_silu_not_fused_when_shared(engine: runtime.Engine) -> None:
    """The pre-activation read by a third op is not fused into its producer."""
    from sdkbuild.convert import convert_model

    rng = np.random.default_rng(8)
    x = rand(rng, 1, 4, 6, 6)
    nodes = [helper.make_node("Conv", ["x", "w"], ["p"]), helper.make_node("Sigmoid", ["p"], ["s"]),
             helper.make_node("Mul", ["p", "s"], ["q"]), helper.make_node("Add", ["q", "p"], ["y0"])]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
                          [helper.make_tensor_value_info("y0", TensorProto.FLOAT, None)],
                          initializer=[numpy_helper.from_array(rand(rng, 4, 4, 1, 1), "w")])
    proto = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
    m = convert_model(proto)
    # the Conv keeps its output (read twice): SiLU runs as its own op (Swish) after it
    assert [n.op for n in m.nodes] == ["Conv", "Swish", "Add"] and "activation" not in m.nodes[0].attrs
    assert_close(engine_run(engine, m, {"x": x})[0], ort_run(proto, {"x": x})[0])


@pytest.mark.parametrize("c,hw,k", [(64, 14, 3), (96, 9, 3), (48, 20, 5)])
def test_conv_long_k_chunks(engine: runtime.Engine, c: int, hw: int, k: int) -> None:
    """Dense convs whose K (C x k x k) is split into input-channel chunks (bias and the
    activation applied with the last chunk only), against onnxruntime, 1 and 2 threads."""
    rng = np.random.default_rng(c + hw)
    x = rand(rng, 1, c, hw, hw)
    w, b = rand(rng, 40, c, k, k) * 0.1, rand(rng, 40)
    node = helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[k // 2] * 4)
    relu = helper.make_node("Relu", ["c"], ["y0"])
    g = helper.make_graph([node, relu], "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
                          [helper.make_tensor_value_info("y0", TensorProto.FLOAT, None)],
                          initializer=[numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    proto = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
    from sdkbuild.convert import convert_model

    m = convert_model(proto)
    ref = ort_run(proto, {"x": x})[0]
    for threads in (1, 2):
        assert_close(engine_run(engine, m, {"x": x}, threads=threads)[0], ref)


def _single_op_graphs() -> list[tuple[str, list[onnx.NodeProto], list[tuple[str, np.ndarray, bool]]]]:
    rng = np.random.default_rng(5)
    x4 = ("x", rand(rng, 1, 4, 9, 10), False)
    return [
        ("conv_asym", [helper.make_node("Conv", ["x", "w", "b"], ["y0"], pads=[0, 1, 2, 1], strides=[2, 1],
                                        dilations=[1, 2])],
         [x4, ("w", rand(rng, 6, 4, 3, 3), True), ("b", rand(rng, 6), True)]),
        ("conv_dw_relu6", [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1], group=4),
                           helper.make_node("Clip", ["c", "lo", "hi"], ["y0"])],
         [x4, ("w", rand(rng, 4, 1, 3, 3), True), ("lo", np.array(0, np.float32), True),
          ("hi", np.array(6, np.float32), True)]),
        ("avgpool", [helper.make_node("AveragePool", ["x"], ["y0"], kernel_shape=[3, 3], strides=[2, 2],
                                      pads=[1, 0, 1, 1], ceil_mode=1, count_include_pad=1)], [x4]),
        ("maxpool", [helper.make_node("MaxPool", ["x"], ["y0"], kernel_shape=[2, 3], strides=[1, 2],
                                      dilations=[2, 1], pads=[1, 1, 0, 1])], [x4]),
        ("pad_reflect", [helper.make_node("Pad", ["x", "pads"], ["y0"], mode="reflect")],
         [x4, ("pads", np.array([0, 0, 2, 1, 0, 0, 1, 3], np.int64), True)]),
        ("pad_const", [helper.make_node("Pad", ["x", "pads", "v"], ["y0"])],
         [x4, ("pads", np.array([0, 1, 2, 1, 0, 0, 1, 3], np.int64), True), ("v", np.array(1.5, np.float32), True)]),
        ("clip", [helper.make_node("Clip", ["x", "lo", "hi"], ["y0"])],
         [x4, ("lo", np.array(-0.3, np.float32), True), ("hi", np.array(0.2, np.float32), True)]),
        ("lrn", [helper.make_node("LRN", ["x"], ["y0"], size=3, alpha=0.2, beta=0.75, bias=1.5)], [x4]),
        ("softmax_axis1", [helper.make_node("Softmax", ["x"], ["y0"], axis=1)], [x4]),
        ("concat", [helper.make_node("Concat", ["x", "z"], ["y0"], axis=1)], [x4, ("z", rand(rng, 1, 2, 9, 10), False)]),
        ("transpose", [helper.make_node("Transpose", ["x"], ["y0"], perm=[0, 2, 3, 1])], [x4]),
        ("mul_bcast_sigmoid", [helper.make_node("Mul", ["x", "s"], ["m"]), helper.make_node("Sigmoid", ["m"], ["y0"])],
         [x4, ("s", rand(rng, 4, 1, 1), True)]),
        ("add_hardswish", [helper.make_node("Add", ["x", "z"], ["a"]), helper.make_node("HardSwish", ["a"], ["y0"])],
         [x4, ("z", rand(rng, 1, 4, 9, 10), False)]),
        ("gap", [helper.make_node("GlobalAveragePool", ["x"], ["y0"])], [x4]),
        ("gemm_transA", [helper.make_node("Gemm", ["a", "b", "c"], ["y0"], transA=1, alpha=0.5, beta=2.0)],
         [("a", rand(rng, 7, 3), False), ("b", rand(rng, 7, 5), True), ("c", rand(rng, 3, 5), True)]),
        ("matmul", [helper.make_node("MatMul", ["a", "b"], ["y0"])],
         [("a", rand(rng, 3, 7), False), ("b", rand(rng, 7, 5), True)]),
    ]


@pytest.mark.parametrize("name,nodes,ins", _single_op_graphs(), ids=lambda v: v if isinstance(v, str) else "")
def test_converter_single_ops(engine: runtime.Engine, name: str, nodes: list, ins: list) -> None:
    """ONNX (opset 14) -> sdkbuild.convert -> engine, against onnxruntime on the same graph."""
    from sdkbuild.convert import convert_model

    proto = onnx_model(nodes, ins, ["y0"], opset=14)
    feeds = {i[0]: i[1] for i in ins if not i[2]}
    ref = ort_run(proto, feeds)[0]
    m = convert_model(proto)
    assert m.nodes and {n.op for n in m.nodes} <= set(OPS), [n.op for n in m.nodes]  # really ran as engine ops
    got = engine_run(engine, m, feeds)[0]
    assert_close(got.reshape(ref.shape), ref)


# ----------------------------------------------------------------------------- rejections


def _expect_reject(engine: runtime.Engine, case: Case, out_shape: tuple, status: int, *words: str) -> None:
    model = case.sdkm_model([out_shape])
    with pytest.raises(runtime.EngineError) as ei:
        engine.load(sdkm.encode(model))
    assert ei.value.status == status, str(ei.value)
    msg = str(ei.value)
    assert "n0" in msg, msg  # the node is named
    for w in words:
        assert w in msg, msg


def test_rejects_bad_models(engine: runtime.Engine) -> None:
    rng = np.random.default_rng(0)
    x = ("x", rand(rng, 1, 6, 8, 8), False)
    # weight channels per group do not match the input channels / group
    _expect_reject(engine, Case("Conv", [x, ("w", rand(rng, 4, 6, 3, 3), True)], {"group": [2]}), (1, 4, 6, 6),
                   BAD_MODEL, "input channels per group")
    _expect_reject(engine, Case("Conv", [x, ("w", rand(rng, 4, 3, 3, 3), True)], {"group": [4]}), (1, 4, 6, 6),
                   BAD_MODEL, "group 4")
    _expect_reject(engine, Case("Conv", [x, ("w", rand(rng, 4, 6, 3, 3), True), ("b", rand(rng, 5), True)]),
                   (1, 4, 6, 6), BAD_MODEL, "bias")
    _expect_reject(engine, Case("Conv", [x, ("w", rand(rng, 4, 6, 3, 3), True)], {"strides": [0, 1]}), (1, 4, 6, 6),
                   BAD_MODEL, "strides")
    _expect_reject(engine, Case("Conv", [x, ("w", rand(rng, 4, 6, 3, 3), True)], {"pads": [1, 1]}), (1, 4, 8, 8),
                   BAD_MODEL, "pads")
    _expect_reject(engine, Case("Conv", [x, ("w", rand(rng, 4, 6, 3, 3), True)], {"activation": [9]}),
                   (1, 4, 6, 6), UNSUPPORTED, "activation")
    _expect_reject(engine, Case("Conv", [x, ("w", rand(rng, 4, 6, 3, 3), True)], {"activation": [2]}),
                   (1, 4, 6, 6), BAD_MODEL, "activation_params")
    _expect_reject(engine, Case("Conv", [x, ("w", rand(rng, 4, 6, 9, 9), True)]), (1, 4, 1, 1), BAD_MODEL, "larger")
    # output shape recorded in the file disagrees with the op's
    _expect_reject(engine, Case("Conv", [x, ("w", rand(rng, 4, 6, 3, 3), True)]), (1, 4, 8, 8), BAD_MODEL)
    _expect_reject(engine, Case("Gemm", [("a", rand(rng, 2, 3), False), ("b", rand(rng, 4, 5), True)]), (2, 5),
                   BAD_MODEL, "inner dimensions")
    _expect_reject(engine, Case("Gemm", [("a", rand(rng, 2, 3), False), ("b", rand(rng, 3, 5), True),
                                         ("c", rand(rng, 3, 5), True)]), (2, 5), BAD_MODEL, "broadcast")
    _expect_reject(engine, Case("MatMul", [("a", rand(rng, 3), False), ("b", rand(rng, 3, 5), True)]),
                   (5,), UNSUPPORTED, "rank")
    _expect_reject(engine, Case("MatMul", [("a", rand(rng, 2, 2, 3), False), ("b", rand(rng, 3, 3, 5), False)]),
                   (3, 2, 5), BAD_MODEL, "broadcast")
    _expect_reject(engine, Case("Add", [("a", rand(rng, 2, 3), False), ("b", rand(rng, 4), False)]), (2, 4),
                   BAD_MODEL, "broadcast")
    _expect_reject(engine, Case("Clip", [("x", rand(rng, 4), False)], {"min": [1.0], "max": [0.0]}, ("min", "max")),
                   (4,), BAD_MODEL, "min")
    _expect_reject(engine, Case("MaxPool", [x], {"strides": [1, 1]}), (1, 6, 8, 8), BAD_MODEL, "kernel_shape")
    _expect_reject(engine, Case("AveragePool", [x], {"kernel_shape": [2, 2], "dilations": [0, 2]}), (1, 6, 6, 6),
                   BAD_MODEL, "dilations")
    _expect_reject(engine, Case("Softmax", [x], {"axis": [4]}), (1, 6, 8, 8), BAD_MODEL, "axis")
    _expect_reject(engine, Case("Concat", [x, ("y", rand(rng, 1, 6, 7, 8), False)], {"axis": [1]}), (1, 12, 8, 8),
                   BAD_MODEL, "incompatible")
    _expect_reject(engine, Case("Transpose", [x], {"perm": [0, 1, 1, 3]}), (1, 6, 6, 8), BAD_MODEL, "permutation")
    _expect_reject(engine, Case("Pad", [x], {"pads": [0, 0, -8, 0, 0, 0, 1, 0]}), (1, 6, 1, 8),
                   UNSUPPORTED, "crop all")
    _expect_reject(engine, Case("Pad", [x], {"pads": [0, 0, 1, 0, 0, 0, 0, 0], "mode": "mirror"}), (1, 6, 9, 8),
                   UNSUPPORTED, "mirror")
    _expect_reject(engine, Case("LRN", [x], {"size": [0]}), (1, 6, 8, 8), BAD_MODEL, "size")
    # MaxPool's optional Indices output is valid ONNX the engine does not implement: say so
    with pytest.raises(runtime.EngineError) as ei:
        engine.load(sdkm.encode(Case("MaxPool", [x], {"kernel_shape": [2, 2]}).sdkm_model([(1, 6, 7, 7)] * 2)))
    assert ei.value.status == UNSUPPORTED and "Indices" in str(ei.value), str(ei.value)


# ----------------------------------------------------------------------------- property tests (numpy reference)

_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=6, max_side=4),
       op=st.sampled_from(["Add", "Mul"]), seed=st.integers(0, 2**16))
def test_binary_broadcast_property(engine: runtime.Engine, shapes, op: str, seed: int) -> None:
    sa, sb = shapes.input_shapes
    rng = np.random.default_rng(seed)
    a, b = rand(rng, *sa), rand(rng, *sb)
    ref = (a + b) if op == "Add" else (a * b)
    model = Case(op, [("a", a, False), ("b", b, False)]).sdkm_model([ref.shape])
    assert_close(engine_run(engine, model, {"a": a, "b": b})[0], ref.astype(np.float32))


@_SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=6, max_side=5), data=st.data())
def test_transpose_property(engine: runtime.Engine, shape: tuple, data) -> None:
    perm = data.draw(st.permutations(range(len(shape))))
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    ref = np.transpose(x, perm)
    model = Case("Transpose", [("x", x, False)], {"perm": list(perm)}).sdkm_model([ref.shape])
    np.testing.assert_array_equal(engine_run(engine, model, {"x": x})[0], ref)


@_SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=2, max_side=5), data=st.data(),
       mode=st.sampled_from(["constant", "reflect", "edge"]))
def test_pad_property(engine: runtime.Engine, shape: tuple, data, mode: str) -> None:
    limit = [(d - 1 if mode == "reflect" else 3) for d in shape]
    begins = [data.draw(st.integers(0, m)) for m in limit]
    ends = [data.draw(st.integers(0, m)) for m in limit]
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    kw = {"constant_values": -2.5} if mode == "constant" else {}
    ref = np.pad(x, list(zip(begins, ends, strict=True)), mode=mode, **kw)
    model = Case("Pad", [("x", x, False)], {"pads": begins + ends, "mode": mode, "value": [-2.5]},
                 ("value",)).sdkm_model([ref.shape])
    np.testing.assert_array_equal(engine_run(engine, model, {"x": x})[0], ref)


@pytest.mark.parametrize("op", ["Add", "Mul"])
@pytest.mark.parametrize("swap", [False, True])
def test_binary_in_place(engine: runtime.Engine, op: str, swap: bool) -> None:
    """x -> Sigmoid -> t; y = op(t, c) with c broadcast: the planner may put y in t's buffer."""
    rng = np.random.default_rng(3)
    x, c = rand(rng, 1, 5, 6, 7), rand(rng, 5, 1, 1)
    m = sdkm.Model(name="t")
    ix = m.add_tensor(sdkm.Tensor("x", 1, x.shape))
    it = m.add_tensor(sdkm.Tensor("t", 1, x.shape))
    ic = m.add_tensor(sdkm.Tensor("c", 1, c.shape, data=c))
    iy = m.add_tensor(sdkm.Tensor("y", 1, x.shape))
    m.inputs, m.outputs = [ix], [iy]
    m.nodes = [sdkm.Node("Sigmoid", "s", [ix], [it]),
               sdkm.Node(op, "n0", [ic, it] if swap else [it, ic], [iy], {"activation": [1]} if op == "Add" else {})]
    t = 1 / (1 + np.exp(-x.astype(np.float64)))
    ref = np.maximum(t + c, 0) if op == "Add" else t * c
    with engine.load(sdkm.encode(m)) as loaded:
        mem = loaded.memory_info()
        assert mem.arena_bytes < mem.naive_bytes, mem  # y really shares t's buffer
    assert_close(engine_run(engine, m, {"x": x})[0], ref.astype(np.float32))


ATTR_NAMES = {
    "Conv": ["strides", "pads", "dilations", "group", "activation", "activation_params", "kernel_shape"],
    "Gemm": ["alpha", "beta", "transA", "transB", "activation", "activation_params"],
    "MatMul": ["activation"],
    "Add": ["activation", "activation_params"],
    "Mul": [],
    "Clip": ["min", "max"],
    "Sigmoid": [],
    "HardSwish": [],
    "MaxPool": ["kernel_shape", "strides", "pads", "dilations", "ceil_mode"],
    "AveragePool": ["kernel_shape", "strides", "pads", "ceil_mode", "count_include_pad", "dilations"],
    "GlobalAveragePool": [],
    "Softmax": ["axis"],
    "Concat": ["axis"],
    "Transpose": ["perm"],
    "Pad": ["pads", "mode", "value"],
    "LRN": ["size", "alpha", "beta", "bias"],
}

# per op: (min inputs, max inputs, ranks the inputs are drawn from)
ARITY = {"Conv": (2, 3, [4, 4, 4, 1, 3]), "Gemm": (2, 3, [2, 2, 2, 1, 0]), "MatMul": (2, 2, [2, 2, 3]),
         "Add": (2, 2, [0, 1, 2, 3, 4, 6]), "Mul": (2, 2, [0, 1, 2, 3, 4, 6]), "Concat": (1, 4, [1, 2, 3, 4]),
         "MaxPool": (1, 1, [4, 4, 3]), "AveragePool": (1, 1, [4, 4, 3]), "GlobalAveragePool": (1, 1, [2, 3, 4, 5]),
         "LRN": (1, 1, [3, 4, 4, 2])}
_attr_value = st.one_of(
    st.lists(st.integers(-3, 7), min_size=0, max_size=8),
    st.lists(st.integers(0, 3), min_size=1, max_size=4),
    st.lists(st.floats(-10, 10, width=32), min_size=1, max_size=3),
    st.sampled_from(["constant", "reflect", "edge", "wrap", ""]),
)


def _computed_shape(message: str) -> tuple[int, ...] | None:
    """The shape the op computed, from the core's output-shape mismatch message."""
    if "but the op computes [" not in message:
        return None
    inner = message.rsplit("but the op computes [", 1)[1].split("]", 1)[0]
    return tuple(int(d) for d in inner.split(",") if d.strip())


def check_prepare_never_crashes(engine: runtime.Engine, op: str, arity: tuple[int, int, list[int]],
                                attr_names: list[str], *, max_side: int = 6, max_attrs: int = 5,
                                examples: int = 80) -> None:
    """Random shapes and attribute values: the load either succeeds (and then runs) or fails with
    BAD_MODEL / UNSUPPORTED and a message naming the node; the process never crashes. When only the
    recorded output shape was wrong, the model is retried with the shape the op computed, so
    accepted attribute combinations really run. (tests/test_ops_nn.py uses it for the newer ops.)"""
    lo, hi, ranks = arity
    shapes = st.lists(st.sampled_from(ranks).flatmap(
        lambda r: st.lists(st.integers(1, max_side), min_size=r, max_size=r).map(tuple)), min_size=lo, max_size=hi)

    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(in_shapes=shapes, consts=st.lists(st.booleans(), min_size=4, max_size=4),
           attrs=st.dictionaries(st.sampled_from(attr_names or ["x"]), _attr_value, max_size=max_attrs),
           seed=st.integers(0, 99))
    def run(in_shapes: list, consts: list, attrs: dict, seed: int) -> None:
        rng = np.random.default_rng(seed)
        ins = [(f"i{k}", rand(rng, *s), consts[k] and k > 0) for k, s in enumerate(in_shapes)]
        floats = tuple(k for k, v in attrs.items() if isinstance(v, list) and v and isinstance(v[0], float))
        out_shape: tuple[int, ...] = (1,)
        for _ in range(2):
            model = Case(op, ins, attrs, floats).sdkm_model([out_shape])
            try:
                loaded = engine.load(sdkm.encode(model))
            except runtime.EngineError as e:
                assert e.status in (BAD_MODEL, UNSUPPORTED), str(e)
                assert "n0" in str(e), str(e)
                computed = _computed_shape(str(e))
                if computed is None or computed == out_shape:
                    return
                out_shape = computed
                continue
            with loaded, loaded.session(threads=2) as s:
                out = s.run({n: a for n, a, c in ins if not c})
                assert next(iter(out.values())).shape == out_shape
            return

    run()


@pytest.mark.parametrize("op", sorted(ATTR_NAMES))
def test_prepare_never_crashes(engine: runtime.Engine, op: str) -> None:
    check_prepare_never_crashes(engine, op, ARITY.get(op, (1, 1, [0, 1, 2, 3, 4, 5, 6])), ATTR_NAMES[op])
