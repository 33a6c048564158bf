"""The element-wise family (issue 11, A) end to end: ONNX -> converter -> host engine, compared
with onnxruntime on the original model.

* unary math and activations (f32; Abs/Neg/Sign on integers too), the broadcasting
  arithmetic over every dtype the converter computes (float32, int32, int64, and
  int8/uint8 through int32), comparisons, logic, Where, Cast between all engine dtypes,
  variadic Min/Max/Sum/Mean, Clip with integer or computed bounds, Pow with mixed types,
  the runtime Shape/Size/Dropout-mask outputs;
* hypothesis: broadcast shapes and dtypes for the binary ops and Where;
* the pattern rewrites (GELU from Erf or Tanh, SiLU fused into Conv/Gemm/Add), float16
  models (float32 inside, float16 at the boundary), int64 narrowing;
* int8: the table-driven activations and Mul, bit-exact with quantize.simulate();
* the engine refuses malformed element-wise nodes with clear messages.
The SIMD kernels are checked against the ref kernels in engine/tests/test_elementwise.cpp
(natively and under qemu, tests/test_kernels.py).
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
from sdkbuild.convert import calibration as cal
from sdkbuild.convert import convert_model, convert_model_report
from sdkbuild.convert import quantize as Q
from sdkbuild.errors import SdkbuildError


@pytest.fixture(scope="module")
def engine() -> runtime.Engine:
    return runtime.Engine(runtime.build_dev_engine())


def _vi(name: str, arr_or_dtype, shape=None) -> onnx.ValueInfoProto:
    if isinstance(arr_or_dtype, np.ndarray):
        return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(arr_or_dtype.dtype),
                                             list(arr_or_dtype.shape))
    return helper.make_tensor_value_info(name, arr_or_dtype, shape)


def make(nodes: list, feeds: dict[str, np.ndarray], outputs: list[str], inits: dict | None = None,
         opset: int = 17) -> onnx.ModelProto:
    g = helper.make_graph(nodes, "t", [_vi(k, v) for k, v in feeds.items()],
                          [helper.make_value_info(o, onnx.TypeProto()) for o in outputs],
                          initializer=[numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def ort_run(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"]).run(None, feeds)


def engine_run(engine: runtime.Engine, m: sdkm.Model, feeds: dict[str, np.ndarray], threads: int = 1) -> list:
    with engine.load(sdkm.encode(m)) as em, em.session(threads=threads) as s:
        out = s.run(feeds)
        return [out[o.name] for o in em.outputs]


def same(engine: runtime.Engine, model: onnx.ModelProto, feeds: dict[str, np.ndarray], rtol: float = 2e-6,
         threads: int = 1) -> sdkm.Model:
    """Convert, run on the engine and on onnxruntime; equal dtypes and shapes, values within
    rtol (integers and bools exactly)."""
    m = convert_model(model, input_shapes={k: v.shape for k, v in feeds.items()})
    want = ort_run(model, feeds)
    got = engine_run(engine, m, feeds, threads)
    for w, g in zip(want, got, strict=True):
        wd = np.float32 if w.dtype == np.float64 else w.dtype
        assert g.dtype == wd and g.shape == w.shape, (g.dtype, w.dtype, g.shape, w.shape)
        if w.dtype.kind == "f":
            finite = np.abs(w[np.isfinite(w)]).astype(np.float64)
            scale = max(1.0, float(finite.max(initial=0.0)))
            np.testing.assert_allclose(g.astype(np.float64), w.astype(np.float64), rtol=rtol, atol=rtol * scale,
                                       equal_nan=True)
        else:
            np.testing.assert_array_equal(g, w)
    return m


def ops(m: sdkm.Model) -> list[str]:
    return [n.op for n in m.nodes]


RNG = np.random.default_rng(11)


def rnd(*shape: int, lo: float = -4.0, hi: float = 4.0, dtype=np.float32) -> np.ndarray:
    if np.dtype(dtype).kind in "iu":
        return np.asarray(RNG.integers(lo, hi, size=shape)).astype(dtype)
    if np.dtype(dtype) == np.bool_:
        return np.asarray(RNG.random(shape) < 0.5)
    return np.asarray(RNG.uniform(lo, hi, size=shape)).astype(dtype)


# ----------------------------------------------------------------------------- unary


UNARY_F32 = {  # op -> (attrs, input range)
    "Abs": ({}, (-4, 4)), "Neg": ({}, (-4, 4)), "Sign": ({}, (-2, 2)), "Sqrt": ({}, (0, 9)),
    "Reciprocal": ({}, (0.5, 4)), "Exp": ({}, (-20, 20)), "Log": ({}, (0.01, 50)), "Floor": ({}, (-4, 4)),
    "Ceil": ({}, (-4, 4)), "Round": ({}, (-4, 4)), "Erf": ({}, (-4, 4)), "Tanh": ({}, (-10, 10)),
    "Sin": ({}, (-6, 6)), "Cos": ({}, (-6, 6)), "Relu": ({}, (-4, 4)), "Sigmoid": ({}, (-20, 20)),
    "HardSwish": ({}, (-8, 8)), "HardSigmoid": ({"alpha": 0.3, "beta": 0.4}, (-5, 5)),
    "Softsign": ({}, (-8, 8)), "Softplus": ({}, (-30, 30)), "Mish": ({}, (-10, 10)),
    "LeakyRelu": ({"alpha": 0.2}, (-4, 4)), "ThresholdedRelu": ({"alpha": 0.5}, (-2, 2)),
    "Elu": ({"alpha": 0.7}, (-6, 6)), "Selu": ({}, (-6, 6)), "Celu": ({"alpha": 1.5}, (-6, 6)),
    "Gelu": ({}, (-6, 6)), "Gelu-tanh": ({"approximate": "tanh"}, (-6, 6)), "Swish": ({"alpha": 1.7}, (-6, 6)),
}


@pytest.mark.parametrize("name", sorted(UNARY_F32))
def test_unary_float(engine: runtime.Engine, name: str) -> None:
    op = name.split("-")[0]
    attrs, (lo, hi) = UNARY_F32[name]
    x = rnd(2, 3, 37, lo=lo, hi=hi)
    if op == "Round":
        x[0, 0, :4] = [0.5, 1.5, -2.5, 2.5]  # halves to even
    opset = 24 if op == "Swish" else 22
    m = same(engine, make([helper.make_node(op, ["x"], ["y"], **attrs)], {"x": x}, ["y"], opset=opset), {"x": x},
             rtol=1e-5)
    assert ops(m) == [op]


@pytest.mark.parametrize("op", ["Abs", "Neg", "Sign"])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.int8])
def test_unary_integer(engine: runtime.Engine, op: str, dtype) -> None:
    x = rnd(4, 9, lo=-100, hi=100, dtype=dtype)
    x[0, 0] = np.iinfo(dtype).min  # wraps, as numpy
    same(engine, make([helper.make_node(op, ["x"], ["y"])], {"x": x}, ["y"]), {"x": x})


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_relu_integer(engine: runtime.Engine, dtype) -> None:
    """ONNX Relu takes integers from version 14 (onnxruntime does not implement them)."""
    x = rnd(4, 9, lo=-100, hi=100, dtype=dtype)
    m = convert_model(make([helper.make_node("Relu", ["x"], ["y"])], {"x": x}, ["y"], opset=14))
    assert ops(m) == ["Max"]
    np.testing.assert_array_equal(engine_run(engine, m, {"x": x})[0], np.maximum(x, 0))


@pytest.mark.parametrize("op,attrs", [("IsNaN", {}), ("IsInf", {}), ("IsInf", {"detect_negative": 0}),
                                      ("IsInf", {"detect_positive": 0})])
def test_float_predicates(engine: runtime.Engine, op: str, attrs: dict) -> None:
    """IsNaN guards attention probabilities in transformers' BERT exports: Where(IsNaN(p), 0, p)."""
    x = np.array([[0.0, np.nan, np.inf, -np.inf, 1e38, -3.0, -np.nan]], np.float32)
    same(engine, make([helper.make_node(op, ["x"], ["y"], **attrs)], {"x": x}, ["y"], opset=20), {"x": x})


def test_not(engine: runtime.Engine) -> None:
    x = rnd(3, 7, dtype=np.bool_)
    same(engine, make([helper.make_node("Not", ["x"], ["y"])], {"x": x}, ["y"]), {"x": x})


# ----------------------------------------------------------------------------- broadcasting binary ops

ARITH = ["Add", "Sub", "Mul", "Div", "Min", "Max"]
CMP = ["Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual"]
DTYPES = [np.float32, np.int32, np.int64, np.int8, np.uint8]
_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _operands(dtype, sa: tuple, sb: tuple, op: str) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = (-50, 50) if np.dtype(dtype).kind == "i" else (0, 200)
    a = rnd(*sa, lo=lo, hi=hi, dtype=dtype)
    b = rnd(*sb, lo=lo, hi=hi, dtype=dtype)
    if op == "Div":
        b = np.where(b == 0, 3, b).astype(dtype)
        if np.dtype(dtype).kind == "f":
            b = np.where(np.abs(b) < 0.5, 0.5, b).astype(dtype)
    if op in ("Equal",) and a.size and b.size:
        a.flat[0] = b.flat[0]
    return a, b


@_SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=5, max_side=4),
       op=st.sampled_from(ARITH + CMP), dtype=st.sampled_from(DTYPES), const=st.booleans())
def test_binary_broadcast_dtypes(engine: runtime.Engine, shapes, op: str, dtype, const: bool) -> None:
    """Every binary op, dtype and broadcast (both operands computed, or the second a constant)."""
    sa, sb = shapes.input_shapes
    a, b = _operands(dtype, sa, sb, op)
    if np.dtype(dtype) == np.uint8 and op in ("Sub", "Div"):
        pass  # wraps / truncates, as numpy and onnxruntime
    feeds = {"a": a} if const else {"a": a, "b": b}
    model = make([helper.make_node(op, ["a", "b"], ["y"])], feeds, ["y"], {"b": b} if const else None)
    same(engine, model, feeds)


@_SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=5, max_side=3),
       dtype=st.sampled_from([np.float32, np.int64, np.int32, np.bool_, np.float16, np.uint8, np.int8]))
def test_where_broadcast_dtypes(engine: runtime.Engine, shapes, dtype) -> None:
    """Every element size Where moves (numpy's np.where as reference: onnxruntime lacks some)."""
    sc, sa, sb = shapes.input_shapes
    feeds = {"c": rnd(*sc, dtype=np.bool_), "a": rnd(*sa, lo=0, hi=9, dtype=dtype), "b": rnd(*sb, lo=0, hi=9,
                                                                                           dtype=dtype)}
    m = convert_model(make([helper.make_node("Where", ["c", "a", "b"], ["y"])], feeds, ["y"]))
    got = engine_run(engine, m, feeds)[0]
    want = np.where(feeds["c"], feeds["a"], feeds["b"])
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("op", ["And", "Or", "Xor"])
def test_logic(engine: runtime.Engine, op: str) -> None:
    a, b = rnd(2, 3, 4, dtype=np.bool_), rnd(3, 1, dtype=np.bool_)
    same(engine, make([helper.make_node(op, ["a", "b"], ["y"])], {"a": a, "b": b}, ["y"]), {"a": a, "b": b})


def test_float_nan_semantics(engine: runtime.Engine) -> None:
    """Min/Max propagate NaN (numpy); comparisons with NaN are false; Sign(NaN) = NaN."""
    a = np.array([1.0, np.nan, -2.0, np.inf, np.nan, 0.0], np.float32)
    b = np.array([np.nan, 3.0, -np.inf, 1.0, np.nan, -0.0], np.float32)
    for op in ("Min", "Max", "Less", "Equal", "GreaterOrEqual"):
        same(engine, make([helper.make_node(op, ["a", "b"], ["y"])], {"a": a, "b": b}, ["y"]), {"a": a, "b": b})
    same(engine, make([helper.make_node("Sign", ["a"], ["y"])], {"a": a}, ["y"]), {"a": a})


def test_integer_division_truncates_and_by_zero_is_zero(engine: runtime.Engine) -> None:
    a = np.array([7, -7, 7, -7, 5, np.iinfo(np.int32).min], np.int32)
    b = np.array([2, 2, -2, -2, 0, -1], np.int32)
    m = convert_model(make([helper.make_node("Div", ["a", "b"], ["y"])], {"a": a, "b": b}, ["y"]))
    got = engine_run(engine, m, {"a": a, "b": b})[0]
    np.testing.assert_array_equal(got, [3, -3, -3, 3, 0, np.iinfo(np.int32).min])


@pytest.mark.parametrize("bt,et", [(np.float32, np.float32), (np.float32, np.int64), (np.int64, np.float32),
                                   (np.int32, np.int32), (np.int64, np.int64), (np.float32, np.int32)])
def test_pow_types(engine: runtime.Engine, bt, et) -> None:
    a = rnd(3, 4, lo=1, hi=5, dtype=bt)
    b = rnd(4, lo=0, hi=4, dtype=et)
    same(engine, make([helper.make_node("Pow", ["a", "b"], ["y"])], {"a": a, "b": b}, ["y"]), {"a": a, "b": b},
         rtol=1e-5)


def test_pow_by_two_and_a_half_are_mul_and_sqrt(engine: runtime.Engine) -> None:
    x = rnd(2, 5, lo=0, hi=3)
    nodes = [helper.make_node("Pow", ["x", "two"], ["a"]), helper.make_node("Pow", ["a", "half"], ["y"])]
    m = same(engine, make(nodes, {"x": x}, ["y"], {"two": np.float32(2), "half": np.float32(0.5)}), {"x": x},
             rtol=1e-5)
    assert ops(m) == ["Mul", "Sqrt"]


@pytest.mark.parametrize("op", ["Min", "Max", "Sum", "Mean"])
def test_variadic_with_broadcasting(engine: runtime.Engine, op: str) -> None:
    feeds = {"a": rnd(2, 1, 4), "b": rnd(3, 1), "c": rnd(4), "d": rnd(1, 3, 4)}
    m = same(engine, make([helper.make_node(op, list(feeds), ["y"])], feeds, ["y"]), feeds, rtol=1e-5)
    assert len(m.nodes) == (4 if op == "Mean" else 3)
    one = {"a": feeds["a"]}  # one input: the output is the input (an output copy)
    assert ops(same(engine, make([helper.make_node(op, ["a"], ["y"])], one, ["y"]), one)) == ["Reshape"]


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8, np.uint8])
def test_clip_integers(engine: runtime.Engine, dtype) -> None:
    x = rnd(3, 8, lo=0, hi=100, dtype=dtype)
    lo, hi = np.array(20, dtype), np.array(70, dtype)
    m = same(engine, make([helper.make_node("Clip", ["x", "lo", "hi"], ["y"])], {"x": x}, ["y"], {"lo": lo, "hi": hi}),
             {"x": x})
    assert "Max" in ops(m) and "Min" in ops(m)


def test_clip_computed_bounds_and_min_above_max(engine: runtime.Engine) -> None:
    feeds = {"x": rnd(3, 8), "lo": np.array(-1.0, np.float32), "hi": np.array(0.5, np.float32)}
    same(engine, make([helper.make_node("Clip", ["x", "lo", "hi"], ["y"])], feeds, ["y"]), feeds)
    x = {"x": rnd(3, 8)}
    m = same(engine, make([helper.make_node("Clip", ["x", "lo", "hi"], ["y"])], x, ["y"],
                          {"lo": np.float32(2), "hi": np.float32(1)}), x)
    assert ops(m) == ["Clip"]


def test_prelu_per_channel(engine: runtime.Engine) -> None:
    x = rnd(1, 4, 5, 6)
    same(engine, make([helper.make_node("PRelu", ["x", "s"], ["y"])], {"x": x}, ["y"],
                      {"s": rnd(4, 1, 1, lo=0, hi=1)}), {"x": x})


# ----------------------------------------------------------------------------- Cast and the generators

CAST_DTYPES = [np.float32, np.float16, np.int64, np.int32, np.int8, np.uint8, np.bool_, np.float64]


@pytest.mark.parametrize("src", CAST_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("dst", CAST_DTYPES, ids=lambda d: np.dtype(d).name)
def test_cast_matrix(engine: runtime.Engine, src, dst) -> None:
    """Every pair of engine dtypes, at a model's input and output (float64 computes as float32)."""
    s, d = np.dtype(src), np.dtype(dst)
    if s.kind == "f":  # values every target holds: truncation toward zero, in range
        x = np.array([0.0, 1.0, -1.0, 2.7, -2.7, 100.4, 0.5, -0.49], s)
        if d == np.uint8:
            x = np.abs(x)
    elif s == np.bool_:
        x = np.array([True, False, True], s)
    else:
        x = np.array([0, 1, -1, 100, -100, 127, -128, 5], np.int64).astype(s)
    model = make([helper.make_node("Cast", ["x"], ["y"], to=helper.np_dtype_to_tensor_dtype(d))], {"x": x}, ["y"])
    if s == np.float64 or d == np.float64:
        return  # a float64 model input/output is float32 in the engine; covered by the conformance cases
    same(engine, model, {"x": x})


def test_castlike_and_uint8_image_input(engine: runtime.Engine) -> None:
    img = RNG.integers(0, 256, (1, 3, 4, 5), dtype=np.uint8)
    nodes = [helper.make_node("CastLike", ["img", "like"], ["f"]), helper.make_node("Mul", ["f", "s"], ["y"])]
    m = same(engine, make(nodes, {"img": img}, ["y"], {"like": np.zeros(1, np.float32),
                                                       "s": np.float32(1 / 255)}), {"img": img})
    assert ops(m) == ["Cast", "Mul"] and m.tensors[m.inputs[0]].dtype == sdkm.dtype_code(np.uint8)


def test_unsupported_casts_are_refused_by_name(engine: runtime.Engine) -> None:
    """Strings are refused; the storage types (bfloat16, float8, uint16, ...) convert now
    (tests/test_storage_dtypes.py has their semantics)."""
    x = {"x": rnd(4)}
    with pytest.raises(SdkbuildError, match="Cast to STRING"):
        m = make([helper.make_node("Cast", ["x"], ["y"], to=TensorProto.STRING)], x, ["y"], opset=21)
        m.graph.output[0].type.tensor_type.elem_type = TensorProto.STRING
        convert_model(m)
    for to in (TensorProto.BFLOAT16, TensorProto.FLOAT8E4M3FN, TensorProto.UINT16):
        m = make([helper.make_node("Cast", ["x"], ["y"], to=to)], x, ["y"], opset=21)
        m.graph.output[0].type.tensor_type.elem_type = to
        conv = convert_model(m)
        assert ops(conv) == ["Cast"] and conv.uses_storage_dtypes()


def test_shape_size_and_dropout_mask_as_outputs(engine: runtime.Engine) -> None:
    x = {"x": rnd(2, 3, 5)}
    nodes = [helper.make_node("Shape", ["x"], ["s"], start=1), helper.make_node("Size", ["x"], ["n"]),
             helper.make_node("Dropout", ["x"], ["d", "mask"]), helper.make_node("Relu", ["d"], ["y"])]
    m = same(engine, make(nodes, x, ["s", "n", "y", "mask"]), x)
    assert sorted(ops(m)) == ["ConstantOfShape", "Relu", "Shape", "Size"]


def test_shape_used_inside_still_folds(engine: runtime.Engine) -> None:
    x = {"x": rnd(2, 3, 5)}
    nodes = [helper.make_node("Shape", ["x"], ["s"]), helper.make_node("Reshape", ["x", "s"], ["y"])]
    assert ops(same(engine, make(nodes, x, ["y"]), x)) == ["Reshape"]


def test_range_and_constantofshape_of_runtime_values_are_refused() -> None:
    feeds = {"n": np.array(5, np.int64)}
    with pytest.raises(SdkbuildError, match="length is unknown"):
        convert_model(make([helper.make_node("Range", ["z", "n", "one"], ["y"])], feeds, ["y"],
                           {"z": np.array(0, np.int64), "one": np.array(1, np.int64)}))
    with pytest.raises(SdkbuildError, match="constant"):
        convert_model(make([helper.make_node("ConstantOfShape", ["s"], ["y"])], {"s": np.array([2, 3], np.int64)},
                           ["y"]))


# ----------------------------------------------------------------------------- rewrites


def _gelu_erf(order: int) -> list:
    pre = [helper.make_node("Div", ["x", "sqrt2"], ["d"]), helper.make_node("Erf", ["d"], ["e"]),
           helper.make_node("Add", ["one", "e"] if order else ["e", "one"], ["r"])]
    if order == 0:  # (x * r) * 0.5, torch's F.gelu below opset 20
        return pre + [helper.make_node("Mul", ["x", "r"], ["m"]), helper.make_node("Mul", ["m", "half"], ["y"])]
    if order == 1:  # (x * 0.5) * r
        return pre + [helper.make_node("Mul", ["half", "x"], ["m"]), helper.make_node("Mul", ["m", "r"], ["y"])]
    return pre + [helper.make_node("Mul", ["r", "half"], ["m"]), helper.make_node("Mul", ["x", "m"], ["y"])]


def _gelu_tanh(cube: str) -> list:
    if cube == "pow":
        c = [helper.make_node("Pow", ["x", "three"], ["x3"])]
    else:
        c = [helper.make_node("Mul", ["x", "x"], ["x2"]), helper.make_node("Mul", ["x", "x2"], ["x3"])]
    return c + [helper.make_node("Mul", ["k", "x3"], ["kx3"]), helper.make_node("Add", ["x", "kx3"], ["s"]),
                helper.make_node("Mul", ["s", "c"], ["u"]), helper.make_node("Tanh", ["u"], ["t"]),
                helper.make_node("Add", ["t", "one"], ["r"]), helper.make_node("Mul", ["half", "x"], ["hx"]),
                helper.make_node("Mul", ["hx", "r"], ["y"])]


GELU_CONSTS = {"sqrt2": np.float32(1.4142135), "one": np.float32(1), "half": np.float32(0.5),
               "three": np.float32(3), "k": np.float32(0.044715), "c": np.float32(0.7978845608)}


@pytest.mark.parametrize("form", ["erf0", "erf1", "erf2", "tanh-pow", "tanh-mul"])
def test_gelu_formulas_become_one_op(engine: runtime.Engine, form: str) -> None:
    nodes = _gelu_erf(int(form[-1])) if form.startswith("erf") else _gelu_tanh(form[5:])
    x = {"x": rnd(4, 33, lo=-8, hi=8)}
    used = {i for n in nodes for i in n.input}
    model = make(nodes, x, ["y"], {k: v for k, v in GELU_CONSTS.items() if k in used})
    m = same(engine, model, x, rtol=1e-5)
    assert ops(m) == ["Gelu"] and m.nodes[0].attrs["approximate"] == ("tanh" if "tanh" in form else "none")


def test_gelu_formula_with_a_shared_intermediate_is_left_alone(engine: runtime.Engine) -> None:
    nodes = _gelu_erf(0) + [helper.make_node("Relu", ["e"], ["z"])]  # erf(x / sqrt 2) is used twice
    x = {"x": rnd(2, 9)}
    m = same(engine, make(nodes, x, ["y", "z"], {k: GELU_CONSTS[k] for k in ("sqrt2", "one", "half")}), x)
    assert "Gelu" not in ops(m) and "Erf" in ops(m)


@pytest.mark.parametrize("producer", ["Conv", "Gemm", "Add"])
def test_silu_is_fused_into_its_producer(engine: runtime.Engine, producer: str) -> None:
    if producer == "Conv":
        x = {"x": rnd(1, 3, 9, 9)}
        first, inits = helper.make_node("Conv", ["x", "w"], ["p"], pads=[1, 1, 1, 1]), {"w": rnd(5, 3, 3, 3, lo=-1, hi=1)}
    elif producer == "Gemm":
        x = {"x": rnd(2, 7)}
        first, inits = helper.make_node("Gemm", ["x", "w", "b"], ["p"]), {"w": rnd(7, 5), "b": rnd(5)}
    else:
        x = {"x": rnd(2, 7), "x2": rnd(2, 7)}
        first, inits = helper.make_node("Add", ["x", "x2"], ["p"]), {}
    nodes = [first, helper.make_node("Sigmoid", ["p"], ["s"]), helper.make_node("Mul", ["s", "p"], ["y"])]
    m, rep = convert_model_report(make(nodes, x, ["y"], inits))
    assert ops(m) == [producer] and m.nodes[0].attrs["activation"] == [5]
    assert rep.rewrites["x*Sigmoid(x) -> SiLU"] == 1
    same(engine, make(nodes, x, ["y"], inits), x, rtol=1e-5, threads=2)


def test_float16_model_computes_in_float32(engine: runtime.Engine) -> None:
    """A model exported in half precision: float16 inputs, weights, constants and outputs."""
    x = RNG.normal(0, 1, (1, 3, 8, 8)).astype(np.float16)
    inits = {"w": RNG.normal(0, 0.3, (4, 3, 3, 3)).astype(np.float16), "b": RNG.normal(0, 0.1, 4).astype(np.float16)}
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Constant", [], ["k"], value=numpy_helper.from_array(np.float16(0.5))),
             helper.make_node("Mul", ["c", "k"], ["m"]), helper.make_node("Sigmoid", ["m"], ["s"]),
             helper.make_node("Mul", ["m", "s"], ["y"]), helper.make_node("Cast", ["y"], ["y32"], to=TensorProto.FLOAT)]
    model = make(nodes, {"x": x}, ["y", "y32"], inits)
    m, rep = convert_model_report(model)
    assert rep.rewrites["float16 computed as float32"] >= 3
    assert m.tensors[m.inputs[0]].dtype == sdkm.dtype_code(np.float16)
    assert [m.tensors[i].dtype for i in m.outputs] == [sdkm.dtype_code(np.float16), sdkm.dtype_code(np.float32)]
    got = engine_run(engine, m, {"x": x})
    want = ort_run(model, {"x": x})
    assert got[0].dtype == np.float16 and got[1].dtype == np.float32
    for g, w in zip(got, want, strict=True):  # onnxruntime computes in float16: ~1e-3 apart
        np.testing.assert_allclose(g.astype(np.float32), w.astype(np.float32), rtol=5e-3, atol=5e-3)
    # the engine's float32 result is the more accurate one
    x32 = make([n for n in nodes if n.op_type != "Constant"] +
               [helper.make_node("Constant", [], ["k"], value=numpy_helper.from_array(np.float32(0.5)))],
               {"x": x.astype(np.float32)}, ["y32"], {k: v.astype(np.float32) for k, v in inits.items()})
    exact = ort_run(x32, {"x": x.astype(np.float32)})[0]
    assert np.abs(got[1] - exact).max() < np.abs(want[1].astype(np.float32) - exact).max() + 1e-6


def test_int64_narrowing(engine: runtime.Engine) -> None:
    """Cast(bool -> int64) arithmetic narrows to int32; graph inputs and outputs keep int64."""
    x = {"x": rnd(2, 6), "ids": rnd(2, 6, lo=0, hi=1000, dtype=np.int64)}
    nodes = [helper.make_node("Greater", ["x", "zero"], ["g"]), helper.make_node("Cast", ["g"], ["gi"], to=7),
             helper.make_node("Mul", ["gi", "three"], ["m"]), helper.make_node("Add", ["m", "one"], ["a"]),
             helper.make_node("Add", ["a", "ids"], ["y"]),  # meets a graph input: unknown range, stays int64
             helper.make_node("Neg", ["a"], ["na"]), helper.make_node("Cast", ["na"], ["z"], to=1)]
    inits = {"zero": np.float32(0), "three": np.int64(3), "one": np.int64(1)}
    model = make(nodes, x, ["y", "z"], inits)
    m, rep = convert_model_report(model)
    assert rep.rewrites["int64 tensors computed as int32"] == 0  # `a` meets `ids`: the whole group stays
    nodes[4] = helper.make_node("Add", ["na", "one"], ["w"])
    model = make(nodes[:4] + nodes[5:] + [nodes[4]], {"x": x["x"]}, ["w", "z"], inits)
    m, rep = convert_model_report(model)
    i32 = sdkm.dtype_code(np.int32)
    narrowed = {m.tensors[i].name for n in m.nodes for i in n.outputs if m.tensors[i].dtype == i32}
    assert {"gi", "m", "a", "na"} <= narrowed and rep.rewrites["int64 tensors computed as int32"] >= 5
    assert m.tensors[m.outputs[0]].dtype == sdkm.dtype_code(np.int64)  # a graph output keeps its dtype: a Cast
    assert ops(m)[-1] == "Cast" or "Cast" in ops(m)
    same(engine, model, {"x": x["x"]})


def test_bert_style_mask_arithmetic(engine: runtime.Engine) -> None:
    """What a BERT export does with its int64 attention mask (transformers, opset 17): the
    mask is a graph input (range unknown), so nothing narrows; the arithmetic is exact."""
    feeds = {"mask": (np.arange(16)[None] < 11).astype(np.int64), "scores": rnd(1, 2, 16, 16)}
    nodes = [helper.make_node("Unsqueeze", ["mask", "ax1"], ["m1"]), helper.make_node("Unsqueeze", ["m1", "ax2"], ["m2"]),
             helper.make_node("Cast", ["m2"], ["mf"], to=1), helper.make_node("Sub", ["one", "mf"], ["inv"]),
             helper.make_node("Mul", ["inv", "big"], ["bias"]), helper.make_node("Add", ["scores", "bias"], ["y"]),
             helper.make_node("Equal", ["mask", "zero"], ["pad"]), helper.make_node("Not", ["pad"], ["keep"])]
    inits = {"ax1": np.array([1], np.int64), "ax2": np.array([2], np.int64), "one": np.float32(1),
             "big": np.float32(np.finfo(np.float32).min), "zero": np.int64(0)}
    m, rep = convert_model_report(make(nodes, feeds, ["y", "keep"], inits))
    assert rep.rewrites["int64 tensors computed as int32"] == 0
    same(engine, make(nodes, feeds, ["y", "keep"], inits), feeds)


# ----------------------------------------------------------------------------- int8


def _det_head(rng: np.random.Generator) -> sdkm.Model:
    """Conv + SiLU, Mul by a per-channel constant, Conv + HardSwish, Sigmoid gate (Mul of two
    int8 tensors), GELU, Tanh, HardSigmoid: the element-wise ops int8 detectors use."""
    m = sdkm.Model(name="head")

    def t(name: str, shape: tuple, data=None) -> int:
        return m.add_tensor(sdkm.Tensor(name, 1, shape, None if data is None else np.asarray(data, np.float32)))

    x = t("input", (1, 3, 10, 10))
    c1 = t("c1", (1, 8, 10, 10))
    m.nodes.append(sdkm.Node("Conv", "conv1", [x, t("w1", (8, 3, 3, 3), rng.normal(0, 0.4, (8, 3, 3, 3))),
                                               t("b1", (8,), rng.normal(0, 0.1, 8))], [c1],
                             {"pads": [1, 1, 1, 1], "activation": [5]}))
    mu = t("mu", (1, 8, 10, 10))
    m.nodes.append(sdkm.Node("Mul", "scale", [c1, t("s", (1, 8, 1, 1), rng.uniform(0.2, 1.5, (1, 8, 1, 1)))], [mu]))
    c2 = t("c2", (1, 8, 10, 10))
    m.nodes.append(sdkm.Node("Conv", "conv2", [mu, t("w2", (8, 8, 1, 1), rng.normal(0, 0.4, (8, 8, 1, 1)))], [c2],
                             {"activation": [3]}))
    sg, pr, gl, th, y = (t(n, (1, 8, 10, 10)) for n in ("sg", "pr", "gl", "th", "y"))
    m.nodes += [sdkm.Node("Sigmoid", "sig", [c2], [sg]), sdkm.Node("Mul", "gate", [sg, c1], [pr]),
                sdkm.Node("Gelu", "gelu", [pr], [gl], {"approximate": "tanh"}), sdkm.Node("Tanh", "tanh", [gl], [th]),
                sdkm.Node("HardSigmoid", "hsig", [th], [y], {"alpha": [0.3], "beta": [0.4]},
                          frozenset({"alpha", "beta"}))]
    m.inputs, m.outputs = [x], [y]
    return m


def test_int8_tables_and_mul_are_bit_exact(engine: runtime.Engine) -> None:
    rng = np.random.default_rng(3)
    m = _det_head(rng)
    samples = [{"input": rng.normal(0, 1, (1, 3, 10, 10)).astype(np.float32)} for _ in range(4)]
    qm = Q.quantize_model(m, samples)
    i8 = sdkm.dtype_code(np.int8)
    q_ops = [n.op for n in qm.nodes if qm.tensors[n.outputs[0]].dtype == i8]
    # the fused SiLU and HardSwish were split off their Convs, every op is int8
    assert q_ops == ["QuantizeLinear", "Conv", "Swish", "Mul", "Conv", "HardSwish", "Sigmoid", "Mul", "Gelu", "Tanh",
                     "HardSigmoid"]
    for n in qm.nodes:
        if n.op in Q.LUT_OPS:
            assert len(n.inputs) == 2 and qm.tensors[n.inputs[1]].shape == (256,)
    x = rng.normal(0, 1, (1, 3, 10, 10)).astype(np.float32)
    want = Q.simulate(qm, {"input": x})["y"]
    for threads in (1, 3):
        np.testing.assert_array_equal(engine_run(engine, qm, {"input": x}, threads)[0], want)
    ref = next(iter(cal.run_onnx(cal.to_onnx(m, record_all=False), [{"input": x}])))["y"]
    assert np.abs(want - ref).max() < 0.05  # an output in [0, 1] at int8 resolution


# ----------------------------------------------------------------------------- engine checks


def _node_model(op: str, ins: list[tuple[str, int, tuple]], out: tuple[int, tuple], attrs: dict | None = None,
                consts: dict | None = None) -> bytes:
    m = sdkm.Model(name="bad")
    idx = []
    for name, dt, shape in ins:
        data = (consts or {}).get(name)
        idx.append(m.add_tensor(sdkm.Tensor(name, dt, shape, data)))
        if data is None:
            m.inputs.append(idx[-1])
    y = m.add_tensor(sdkm.Tensor("y", out[0], out[1]))
    m.nodes.append(sdkm.Node(op, "n", idx, [y], attrs or {}))
    m.outputs = [y]
    return sdkm.encode(m)


def test_engine_refuses_malformed_elementwise_nodes(engine: runtime.Engine) -> None:
    F, I64, B, I8 = (sdkm.dtype_code(np.dtype(t)) for t in (np.float32, np.int64, np.bool_, np.int8))
    q = sdkm.Quant(np.array([0.1], np.float32), np.array([0], np.int32))
    cases = [
        (_node_model("Where", [("c", F, (4,)), ("a", F, (4,)), ("b", F, (4,))], (F, (4,))), "expected bool"),
        (_node_model("Add", [("a", F, (4,)), ("b", I64, (4,))], (F, (4,))), "different dtypes"),
        (_node_model("Less", [("a", F, (4,)), ("b", F, (4,))], (F, (4,))), "expected bool"),
        (_node_model("Sqrt", [("a", I64, (4,))], (I64, (4,))), "does not compute"),
        (_node_model("Not", [("a", F, (4,))], (F, (4,))), "does not compute"),
        (_node_model("Gelu", [("a", F, (4,))], (F, (4,)), {"approximate": "fast"}), "approximate"),
        (_node_model("Add", [("a", F, (4,)), ("b", F, (3,))], (F, (4,))), "do not broadcast"),
        (_node_model("ConstantOfShape", [], (B, (2, 3)), {"shape": [2, 2], "dtype": [9]}), "shape"),
        (_node_model("ConstantOfShape", [], (B, (2, 3)), {"shape": [2, 3], "dtype": [1]}), "dtype"),
        (_node_model("Celu", [("a", F, (4,))], (F, (4,)), {"alpha": [0.0]}), "alpha"),
        (_node_model("Div", [("a", I64, (4,)), ("b", I64, (4,))], (I64, (4,)), {"activation": [1]}),
         "fused activation"),
    ]
    bad_sig = sdkm.Model(name="q")
    xi = bad_sig.add_tensor(sdkm.Tensor("x", I8, (4,), None, q))
    yi = bad_sig.add_tensor(sdkm.Tensor("y", I8, (4,), None, q))
    bad_sig.nodes.append(sdkm.Node("Sigmoid", "n", [xi], [yi]))
    bad_sig.inputs, bad_sig.outputs = [xi], [yi]
    cases.append((sdkm.encode(bad_sig), "256-entry table"))
    for data, words in cases:
        with pytest.raises(runtime.EngineError) as ei:
            engine.load(data)
        assert words in str(ei.value), str(ei.value)
