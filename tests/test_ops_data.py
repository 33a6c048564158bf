"""Data movement, indexing, reductions, Softmax and Resize (issue 11, family B) against
onnxruntime, through the real converter and the host engine.

Each case is a one-node ONNX model (inputs of any dtype; `const` inputs become
initializers, as in exported models) run by onnxruntime and, converted, by the engine, on
1 and 2 threads: data movement and integer results must be identical, float results within
1e-5 relative to the largest output. Hypothesis draws shapes/attributes for the ops whose
index arithmetic is easiest to get wrong, against numpy.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from onnx import helper, numpy_helper

from sdkbuild import runtime, sdkm
from sdkbuild.convert import convert_model
from sdkbuild.errors import SdkbuildError

RNG = np.random.default_rng(11)
INVALID_ARGUMENT = 1


@pytest.fixture(scope="module")
def engine() -> runtime.Engine:
    return runtime.Engine(runtime.build_dev_engine())


def model(op: str, inputs: list[tuple[str, np.ndarray, bool]], attrs: dict | None = None, n_out: int = 1,
          opset: int = 17, outputs: list[str] | None = None) -> onnx.ModelProto:
    """One `op` node; inputs (name, array, constant?); outputs y0.. (or `outputs`)."""
    outs = outputs or [f"y{i}" for i in range(n_out)]
    graph_in, inits = [], []
    for name, arr, is_const in inputs:
        if is_const:
            inits.append(numpy_helper.from_array(np.asarray(arr), name))
        else:
            graph_in.append(helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(arr.dtype),
                                                          list(arr.shape)))
    node = helper.make_node(op, [i[0] for i in inputs], outs, **(attrs or {}))
    g = helper.make_graph([node], "t", graph_in, [helper.make_value_info(o, onnx.TypeProto()) for o in outs], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8 if opset < 19 else 10
    return m


def ort_run(m: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """onnxruntime's outputs; where it has no kernel for the case (Trilu or Resize on int64,
    linear Resize of more than the innermost dims), onnx's reference implementation's."""
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.log_severity_level = 3
    try:
        sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    except (ort.capi.onnxruntime_pybind11_state.NotImplemented, ort.capi.onnxruntime_pybind11_state.Fail):
        from onnx.reference import ReferenceEvaluator

        return [np.asarray(o) for o in ReferenceEvaluator(m).run(None, feeds)]
    return sess.run(None, feeds)


def engine_run(engine: runtime.Engine, m: onnx.ModelProto, feeds: dict[str, np.ndarray], threads: int = 1,
               conv: sdkm.Model | None = None) -> list[np.ndarray]:
    conv = conv or convert_model(m, input_shapes={k: v.shape for k, v in feeds.items()})
    with engine.load(sdkm.encode(conv)) as em, em.session(threads=threads) as s:
        out = s.run(feeds)
        return [out[o.name] for o in m.graph.output]


def close(a: np.ndarray, b: np.ndarray, rtol: float = 1e-5) -> bool:
    scale = max(1.0, float(np.abs(b).max(initial=0.0)))
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=rtol * scale))


def check(engine: runtime.Engine, op: str, inputs: list[tuple[str, np.ndarray, bool]], attrs: dict | None = None,
          n_out: int = 1, opset: int = 17, threads: tuple[int, ...] = (1, 2), rtol: float = 1e-5) -> list[np.ndarray]:
    m = model(op, inputs, attrs, n_out, opset)
    feeds = {n: a for n, a, c in inputs if not c}
    want = ort_run(m, feeds)
    if op == "Resize" and opset >= 11:
        # onnxruntime computes coordinates in float32 and takes the integer output length
        # for align_corners; where that changes the result, the spec's reference decides
        from onnx.reference import ReferenceEvaluator

        ref = [np.asarray(o) for o in ReferenceEvaluator(m).run(None, feeds)]
        want = [r if not close(w.astype(np.float64), r.astype(np.float64)) else w for w, r in zip(want, ref, strict=True)]
    conv = convert_model(m, input_shapes={k: v.shape for k, v in feeds.items()})
    for t in threads:
        got = engine_run(engine, m, feeds, t, conv)
        for g, w in zip(got, want, strict=True):
            assert g.shape == w.shape and g.dtype == w.dtype, (op, g.shape, w.shape, g.dtype, w.dtype)
            if w.dtype.kind == "f":
                scale = max(1.0, float(np.abs(w).max(initial=0.0)))
                np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * scale, err_msg=f"{op} {attrs}")
            else:
                np.testing.assert_array_equal(g, w, err_msg=f"{op} {attrs}")
    return want


def arr(*shape: int, dtype=np.float32) -> np.ndarray:
    if np.dtype(dtype) == np.bool_:
        return RNG.integers(0, 2, shape).astype(np.bool_)
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        return RNG.integers(max(info.min, -1000), min(info.max, 1000), shape, endpoint=True).astype(dtype)
    return RNG.standard_normal(shape).astype(dtype)


def ints(*v: int) -> np.ndarray:
    return np.asarray(v, np.int64)


DTYPES = [np.float32, np.int64, np.int32, np.uint8, np.int8, np.float16, np.bool_]


# ----------------------------------------------------------------------------- data movement


@pytest.mark.parametrize("dtype", DTYPES)
def test_data_movement_any_dtype(engine, dtype) -> None:
    x = arr(2, 3, 4, 5, dtype=dtype)
    check(engine, "Transpose", [("x", x, False)], {"perm": [0, 2, 3, 1]})
    check(engine, "Slice", [("x", x, False), ("s", ints(3, -1), True), ("e", ints(-100, 1), True),
                            ("a", ints(2, 3), True), ("st", ints(-1, -2), True)])
    # (a float16 constant becomes float32 at export: float16 models compute in float32)
    check(engine, "Concat", [("x", x, False), ("c", arr(2, 3, 1, 5, dtype=dtype), dtype != np.float16)], {"axis": 2})
    check(engine, "Expand", [("x", arr(3, 1, 5, dtype=dtype), False), ("s", ints(2, 1, 4, 1), True)])
    check(engine, "Tile", [("x", x, False), ("r", ints(1, 2, 1, 3), True)])
    check(engine, "Pad", [("x", x, False), ("p", ints(0, 1, -1, 2, 0, -1, 2, 1), True)], {"mode": "edge"})
    check(engine, "Split", [("x", x, False), ("s", ints(1, 3), True)], {"axis": 2}, n_out=2)
    check(engine, "DepthToSpace", [("x", arr(1, 8, 2, 3, dtype=dtype), False)], {"blocksize": 2, "mode": "CRD"})
    check(engine, "Trilu", [("x", x, False), ("k", ints(1), True)], {"upper": 0})


@pytest.mark.parametrize("shape,perm", [
    ((1, 64, 56, 56), (0, 2, 3, 1)),      # NCHW -> NHWC: the tiled 2-D path
    ((1, 56, 56, 64), (0, 3, 1, 2)),      # NHWC -> NCHW
    ((1, 2, 58, 28, 28), (0, 2, 1, 3, 4)),  # ShuffleNet's channel shuffle: memcpy runs
    ((1, 197, 12, 64), (0, 2, 1, 3)),     # attention heads
    ((3, 1, 17, 1, 9), (4, 3, 2, 1, 0)),
])
def test_transpose_shapes(engine, shape, perm) -> None:
    check(engine, "Transpose", [("x", arr(*shape), False)], {"perm": list(perm)})


@pytest.mark.parametrize("mode,pads,opset", [
    ("constant", (0, 0, 2, 1, 0, 0, 1, 3), 17), ("constant", (0, 1, -1, 0, 0, -2, 2, -3), 17),
    ("reflect", (0, 0, 3, 2, 0, 0, 1, 3), 17), ("edge", (1, 0, -2, 4, 0, 2, 3, -1), 17),
    ("wrap", (0, 0, 2, 3, 0, 0, 3, 1), 19), ("reflect", (0, 0, -1, 2, 0, 0, 2, -2), 17),
])
def test_pad(engine, mode, pads, opset) -> None:
    x = arr(1, 3, 5, 6)
    ins = [("x", x, False), ("p", ints(*pads), True)]
    if mode == "constant":
        ins.append(("v", np.asarray(1.5, np.float32), True))
    check(engine, "Pad", ins, {"mode": mode}, opset=opset)


def test_pad_axes_and_int_value(engine) -> None:
    check(engine, "Pad", [("x", arr(2, 3, 4, dtype=np.int64), False), ("p", ints(1, -1, 2, 3), True),
                          ("v", np.asarray(-7, np.int64), True), ("a", ints(2, 0), True)], opset=18)


@pytest.mark.parametrize("opset,attrs,split,sizes", [
    (13, {"axis": 1}, ints(2, 4, 1), None), (13, {"axis": -1}, None, 3), (11, {"axis": 1, "split": [3, 3, 1]}, None, 3),
    (18, {"axis": 1, "num_outputs": 3}, None, 3),  # 7 = 3 + 3 + 1
])
def test_split(engine, opset, attrs, split, sizes) -> None:
    x = arr(2, 7, 6)
    ins = [("x", x, False)] + ([("s", split, True)] if split is not None else [])
    check(engine, "Split", ins, attrs, n_out=len(split) if split is not None else sizes, opset=opset)


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_depth_space(engine, mode) -> None:
    check(engine, "DepthToSpace", [("x", arr(2, 18, 3, 4), False)], {"blocksize": 3, "mode": mode})
    if mode == "DCR":
        check(engine, "SpaceToDepth", [("x", arr(2, 3, 6, 8), False)], {"blocksize": 2})


def test_tile_beyond_engine_rank(engine) -> None:
    check(engine, "Tile", [("x", arr(2, 3, 4, 5), False), ("r", ints(3, 2, 2, 2), True)])  # one Expand per dim


# ----------------------------------------------------------------------------- indexing


@pytest.mark.parametrize("idx_dtype", [np.int64, np.int32])
def test_gather_token_ids_into_constant_table(engine, idx_dtype) -> None:
    """BERT's embedding lookup: int64 ids given at run time index a constant table."""
    table = arr(100, 16)
    ids = np.asarray([[5, 0, 99, -1, 42, 42, -100]], idx_dtype)
    check(engine, "Gather", [("table", table, True), ("ids", ids, False)])


def test_gather_runtime_data_and_negative_constant_index(engine) -> None:
    check(engine, "Gather", [("x", arr(2, 197, 8), False), ("i", np.asarray(0, np.int64), True)], {"axis": 1})
    check(engine, "Gather", [("x", arr(3, 4, 5, dtype=np.int64), False), ("i", ints(-1, 2, 0, 2), True)],
          {"axis": -1})


def test_gather_index_out_of_range_fails_the_run(engine) -> None:
    m = model("Gather", [("table", arr(10, 4), True), ("ids", ints(1, 2), False)])
    with pytest.raises(runtime.EngineError) as e:
        engine_run(engine, m, {"ids": ints(3, 10)})
    assert e.value.status == INVALID_ARGUMENT and "index 10" in str(e.value) and "ids" in str(e.value)
    with pytest.raises(SdkbuildError, match="constant index 10 is out of range"):
        convert_model(model("Gather", [("x", arr(10, 4), False), ("i", ints(10), True)]))


def test_gather_elements_nd_scatter(engine) -> None:
    x = arr(3, 4, 5)
    idx = RNG.integers(-4, 4, (3, 2, 5)).astype(np.int64)
    check(engine, "GatherElements", [("x", x, False), ("i", idx, False)], {"axis": 1})
    check(engine, "GatherElements", [("x", x, False), ("i", RNG.integers(0, 5, (2, 4, 3)).astype(np.int32), True)],
          {"axis": -1})
    nd = np.asarray([[[1, 2], [0, -1]], [[2, 0], [1, 3]], [[0, 0], [2, 1]]], np.int64)  # batch_dims 1: (3, 2, 2)
    check(engine, "GatherND", [("x", x, False), ("i", nd, False)], {"batch_dims": 1})
    check(engine, "GatherND", [("x", x, False), ("i", ints(2, 1, 0, 3).reshape(2, 2), True)])
    upd = arr(2, 5)
    for red in ("none", "add", "mul", "max", "min"):
        check(engine, "ScatterND", [("x", x, False), ("i", ints(1, 2, 0, -1).reshape(2, 2), True), ("u", upd, False)],
              {"reduction": red} if red != "none" else {}, opset=18)
    check(engine, "ScatterND", [("x", arr(4, 3, dtype=np.int64), True), ("i", ints(3, 0).reshape(2, 1), False),
                                ("u", arr(2, 3, dtype=np.int64), False)])


@pytest.mark.parametrize("upper", [0, 1])
@pytest.mark.parametrize("k", [-7, -1, 0, 2, 9])
def test_trilu(engine, upper, k) -> None:
    check(engine, "Trilu", [("x", arr(2, 4, 6), False), ("k", ints(k), True)], {"upper": upper})


# ----------------------------------------------------------------------------- reductions


REDUCE_OPS = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL2", "ReduceSumSquare"]


@pytest.mark.parametrize("op", REDUCE_OPS)
@pytest.mark.parametrize("axes,keep", [((1,), 1), ((-1,), 0), ((0, 2), 1), ((1, 3), 0), ((0, 1, 2, 3), 0), (None, 1),
                                       ((0, 3), 1)])
def test_reduce(engine, op, axes, keep) -> None:
    x = (RNG.uniform(0.5, 1.5, (2, 3, 4, 5)) * RNG.choice([-1, 1], (2, 3, 4, 5))).astype(np.float32)
    ins = [("x", x, False)] + ([("a", ints(*axes), True)] if axes is not None else [])
    check(engine, op, ins, {"keepdims": keep}, opset=18)


@pytest.mark.parametrize("op", ["ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd"])
def test_reduce_ints(engine, op) -> None:
    x = RNG.integers(-5, 6, (3, 4, 6)).astype(np.int64)
    check(engine, op, [("x", x, False), ("a", ints(0, 2), True)], {"keepdims": 0}, opset=18)
    from sdkbuild.convert.registry import available_engine_ops

    ins32 = [("x", x.astype(np.int32), False), ("a", ints(1), True)]
    if "Cast" in available_engine_ops():  # int32 through Casts to int64 (the engine's kernels stay small)
        check(engine, op, ins32, {"keepdims": 1}, opset=18)
    else:
        with pytest.raises(SdkbuildError, match="does not compute with int32"):
            convert_model(model(op, ins32, opset=18))


def test_reduce_bool_and_noop(engine) -> None:
    check(engine, "ReduceMax", [("x", arr(3, 5, dtype=np.bool_), False), ("a", ints(1), True)], opset=20)
    for op in ("ReduceSum", "ReduceSumSquare", "ReduceL2"):
        check(engine, op, [("x", arr(3, 5), False)], {"noop_with_empty_axes": 1}, opset=18)


@pytest.mark.parametrize("op", ["ArgMax", "ArgMin"])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int32])
@pytest.mark.parametrize("axis,keep,last", [(0, 1, 0), (1, 0, 1), (-1, 1, 1), (2, 0, 0)])
def test_argmax(engine, op, dtype, axis, keep, last) -> None:
    x = RNG.integers(-3, 4, (3, 70, 5)).astype(dtype)  # many ties
    check(engine, op, [("x", x, False)], {"axis": axis, "keepdims": keep, "select_last_index": last})


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
@pytest.mark.parametrize("k,axis,largest", [(1, -1, 1), (5, -1, 0), (3, 1, 1), (40, -1, 1), (4, 0, 0)])
def test_topk(engine, dtype, k, axis, largest) -> None:
    x = RNG.integers(-20, 20, (4, 6, 40)).astype(dtype)  # ties: ordered by index
    check(engine, "TopK", [("x", x, False), ("k", ints(k), True)], {"axis": axis, "largest": largest}, n_out=2)


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int32])
@pytest.mark.parametrize("axis,exclusive,reverse", [(0, 0, 0), (1, 1, 0), (-1, 0, 1), (2, 1, 1)])
def test_cumsum(engine, dtype, axis, exclusive, reverse) -> None:
    x = RNG.integers(-9, 9, (3, 70, 4)).astype(dtype)
    check(engine, "CumSum", [("x", x, False), ("a", np.asarray(axis, np.int32), True)],
          {"exclusive": exclusive, "reverse": reverse})


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("shape,axis", [((2, 1000), -1), ((3, 7), 1), ((1, 12, 197, 197), -1), ((1, 21, 9, 13), 1),
                                        ((4, 3, 5), 0)])
def test_softmax(engine, op, shape, axis) -> None:
    check(engine, op, [("x", (arr(*shape) * 4).astype(np.float32), False)], {"axis": axis}, opset=13)


def test_softmax_opset11_coerces_to_2d(engine) -> None:
    check(engine, "LogSoftmax", [("x", arr(2, 3, 4), False)], {"axis": 1}, opset=11)


# ----------------------------------------------------------------------------- Resize


def resize_inputs(x: np.ndarray, scales=None, sizes=None, roi=None) -> list:
    ins = [("x", x, False), ("roi", np.asarray(roi if roi is not None else [], np.float32), True),
           ("scales", np.asarray(scales if scales is not None else [], np.float32), True)]
    if sizes is not None:
        ins.append(("sizes", np.asarray(sizes, np.int64), True))
    return ins


COORDS = ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "half_pixel_symmetric"]


@pytest.mark.parametrize("mode", ["nearest", "linear", "cubic"])
@pytest.mark.parametrize("coord", COORDS)
@pytest.mark.parametrize("scales,sizes", [([1, 1, 2, 2], None), ([1, 1, 0.6, 0.8], None), (None, [1, 3, 13, 7]),
                                          ([1, 1, 3, 1.5], None)])
def test_resize(engine, mode, coord, scales, sizes) -> None:
    x = arr(1, 3, 6, 9)
    attrs = {"mode": mode, "coordinate_transformation_mode": coord}
    check(engine, "Resize", resize_inputs(x, scales, sizes), attrs, opset=19)


@pytest.mark.parametrize("nearest_mode", ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"])
@pytest.mark.parametrize("dtype", [np.float32, np.uint8, np.int64])
def test_resize_nearest_modes_any_dtype(engine, nearest_mode, dtype) -> None:
    x = arr(1, 2, 5, 7, dtype=dtype)
    attrs = {"mode": "nearest", "nearest_mode": nearest_mode, "coordinate_transformation_mode": "asymmetric"}
    check(engine, "Resize", resize_inputs(x, sizes=[1, 2, 12, 9]), attrs, opset=13)
    check(engine, "Resize", resize_inputs(x, scales=[1, 1, 2, 2]), attrs, opset=13)  # the 2x row kernel


@pytest.mark.parametrize("mode", ["linear", "cubic"])
def test_resize_antialias_exclude_outside_keep_aspect(engine, mode) -> None:
    x = arr(1, 2, 24, 17)
    aa = {"mode": mode, "antialias": 1}
    check(engine, "Resize", resize_inputs(x, scales=[1, 1, 0.3, 0.55]), aa, opset=18)
    check(engine, "Resize", resize_inputs(x, sizes=[9, 11]), {**aa, "axes": [2, 3],
                                                              "keep_aspect_ratio_policy": "not_larger"}, opset=18)
    if mode == "cubic":
        check(engine, "Resize", resize_inputs(x, scales=[1, 1, 1.7, 0.5]),
              {"mode": "cubic", "exclude_outside": 1, "cubic_coeff_a": -0.5}, opset=18)


def test_resize_tf_crop_and_resize(engine) -> None:
    x = arr(1, 2, 8, 8)
    attrs = {"mode": "linear", "coordinate_transformation_mode": "tf_crop_and_resize", "extrapolation_value": 2.5}
    check(engine, "Resize", resize_inputs(x, sizes=[1, 2, 5, 6], roi=[0, 0, -0.2, 0.3, 1, 1, 0.7, 1.4]), attrs)
    attrs["mode"] = "nearest"
    check(engine, "Resize", resize_inputs(x, sizes=[1, 2, 5, 6], roi=[0, 0, 0.1, -0.3, 1, 1, 1.2, 0.9]), attrs)


@pytest.mark.parametrize("shape,scales", [((2, 3, 4, 5, 6), [1, 1, 2, 1.5, 0.5]), ((4, 10), [0.5, 2]), ((10,), [2.5]),
                                          ((2, 6, 5), [1, 2, 1]), ((3, 4, 5, 6), [2, 1.5, 1, 1])])
@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_resize_other_ranks_and_leading_axes(engine, shape, scales, mode) -> None:
    check(engine, "Resize", resize_inputs(arr(*shape), scales=scales), {"mode": mode}, opset=13)


def test_resize_hot_shapes(engine) -> None:
    """YOLOv8's nearest 2x upsample and DeepLabV3's bilinear x8 to the input size."""
    check(engine, "Resize", resize_inputs(arr(1, 64, 20, 20), scales=[1, 1, 2, 2]),
          {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"})
    check(engine, "Resize", resize_inputs(arr(1, 21, 28, 28), sizes=[1, 21, 224, 224]),
          {"mode": "linear", "coordinate_transformation_mode": "half_pixel"})


@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_upsample_and_opset10_resize(engine, mode) -> None:
    x = arr(1, 3, 4, 5)
    check(engine, "Upsample", [("x", x, False), ("s", np.asarray([1, 1, 2, 3], np.float32), True)], {"mode": mode},
          opset=9)
    check(engine, "Resize", [("x", x, False), ("s", np.asarray([1, 1, 2, 1.5], np.float32), True)], {"mode": mode},
          opset=10)


# ----------------------------------------------------------------------------- properties (numpy)

_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=5, max_side=6), data=st.data())
def test_slice_property(engine, shape, data) -> None:
    x = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    axes = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape), unique=True))
    starts, ends, steps, box = [], [], [], [slice(None)] * len(shape)
    for a in axes:
        step = data.draw(st.sampled_from([-3, -2, -1, 1, 2, 3]))
        s, e = data.draw(st.integers(-8, 8)), data.draw(st.integers(-8, 8))
        if not len(range(*slice(s, e, step).indices(shape[a]))):
            return  # empty: refused (covered elsewhere)
        starts.append(s)
        ends.append(e)
        steps.append(step)
        box[a] = slice(s, e, step)
    m = model("Slice", [("x", x, False), ("s", ints(*starts), True), ("e", ints(*ends), True), ("a", ints(*axes), True),
                        ("st", ints(*steps), True)])
    np.testing.assert_array_equal(engine_run(engine, m, {"x": x})[0], x[tuple(box)])


@_SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=5, max_side=5), data=st.data())
def test_reduce_property(engine, shape, data) -> None:
    x = data.draw(hnp.arrays(np.int64, shape, elements=st.integers(-50, 50)))
    axes = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape), unique=True))
    keep = data.draw(st.booleans())
    op, fn = data.draw(st.sampled_from([("ReduceSum", np.sum), ("ReduceMax", np.max), ("ReduceMin", np.min)]))
    m = model(op, [("x", x, False), ("a", ints(*axes), True)], {"keepdims": int(keep)}, opset=18)
    np.testing.assert_array_equal(engine_run(engine, m, {"x": x})[0], fn(x, axis=tuple(axes), keepdims=keep))


@_SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=6), data=st.data())
def test_gather_property(engine, shape, data) -> None:
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    axis = data.draw(st.integers(0, len(shape) - 1))
    ishape = data.draw(hnp.array_shapes(min_dims=0, max_dims=6 - len(shape) + 1, max_side=3))
    idx = data.draw(hnp.arrays(np.int64, ishape, elements=st.integers(-shape[axis], shape[axis] - 1)))
    m = model("Gather", [("x", x, False), ("i", idx, False)], {"axis": axis})
    np.testing.assert_array_equal(engine_run(engine, m, {"x": x, "i": idx})[0], np.take(x, idx, axis=axis))


# ----------------------------------------------------------------------------- int8


def _int8_net(resize: dict, extra: list | None = None) -> tuple[onnx.ModelProto, dict]:
    """Conv -> Resize -> Concat with a second Conv branch -> Transpose -> Gather: a detector
    neck in miniature; the data movement between the Convs must stay int8."""
    rng = np.random.default_rng(5)
    w1 = (rng.standard_normal((8, 3, 3, 3)) * 0.3).astype(np.float32)
    w2 = (rng.standard_normal((8, 3, 3, 3)) * 0.3).astype(np.float32)
    inits = [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2"),
             numpy_helper.from_array(np.asarray([], np.float32), "roi"),
             numpy_helper.from_array(np.asarray(resize.pop("scales"), np.float32), "scales"),
             numpy_helper.from_array(ints(3, 0, 1), "gi")]
    nodes = [helper.make_node("Conv", ["x", "w1"], ["c1"], pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("Resize", ["r1", "roi", "scales"], ["up"], **resize),
             helper.make_node("Conv", ["x", "w2"], ["c2"], pads=[1, 1, 1, 1]),
             helper.make_node("Concat", ["up", "c2"], ["cat"], axis=1),
             helper.make_node("Transpose", ["cat"], ["t"], perm=[0, 2, 3, 1]),
             helper.make_node("Gather", ["t", "gi"], ["g"], axis=1),
             helper.make_node("Conv", ["g", "w3"], ["y"])]
    inits.append(numpy_helper.from_array((rng.standard_normal((4, 3, 1, 1)) * 0.3).astype(np.float32), "w3"))
    g = helper.make_graph(nodes, "neck", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 3, 16, 16])],
                          [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    return m, {"x": rng.standard_normal((1, 3, 16, 16)).astype(np.float32)}


@pytest.mark.parametrize("resize", [
    {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"},
    {"mode": "linear", "coordinate_transformation_mode": "half_pixel"},
    {"mode": "linear", "coordinate_transformation_mode": "align_corners"},
    {"mode": "cubic", "coordinate_transformation_mode": "pytorch_half_pixel"},
])
def test_int8_resize_and_data_movement_bit_exact(engine, resize) -> None:
    """int8 Resize (Q11 interpolation), Concat, Transpose and Gather: the engine equals
    quantize.simulate() bit for bit, and stays close to fp32."""
    from sdkbuild.convert.quantize import quantize_model, simulate

    m, feeds = _int8_net({**resize, "scales": [1, 1, 2, 2]})
    fp = convert_model(m)
    rng = np.random.default_rng(9)
    qm = quantize_model(fp, [{"x": rng.standard_normal((1, 3, 16, 16)).astype(np.float32)} for _ in range(4)])
    int8_ops = {n.op for n in qm.nodes if qm.tensors[n.inputs[0]].dtype == 2}
    assert {"Resize", "Concat", "Transpose", "Gather", "Conv"} <= int8_ops, int8_ops
    want = simulate(qm, feeds)["y"]
    for threads in (1, 2):
        with engine.load(sdkm.encode(qm)) as em, em.session(threads=threads) as s:
            np.testing.assert_array_equal(s.run(feeds)["y"], want)
    ref = ort_run(m, feeds)[0].reshape(-1)
    cos = float(np.dot(want.reshape(-1), ref) / (np.linalg.norm(want) * np.linalg.norm(ref)))
    assert cos > 0.98, cos


def e2e_models(folder) -> list[dict]:
    """Models of this family for the cross-ISA runs of tests/test_kernels.py (run_model on
    every target, natively and under qemu): a detector neck (nearest 2x) and a segmenter
    head (bilinear 2x) in fp32 and int8, and a Softmax/LogSoftmax head in fp32. Each: the
    .sdkm, its input as raw float32, and the expected output (onnxruntime for fp32, within
    1e-3 of the largest value; quantize.simulate for int8, bit for bit)."""
    from sdkbuild.convert import calibration as cal
    from sdkbuild.convert.quantize import quantize_model, simulate

    rng = np.random.default_rng(21)
    out = []
    nets = [("neck", _int8_net({"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
                                "nearest_mode": "floor", "scales": [1, 1, 2, 2]})[0], True),
            ("seghead", _int8_net({"mode": "linear", "coordinate_transformation_mode": "half_pixel",
                                   "scales": [1, 1, 2, 2]})[0], True),
            ("softmax", _softmax_head(), False)]
    for name, proto, int8 in nets:
        m = convert_model(proto)
        x = rng.standard_normal((1, 3, 16, 16)).astype(np.float32)
        x.tofile(folder / f"{name}.f32")
        kinds = [("fp32", m, next(iter(cal.run_onnx(cal.to_onnx(m, record_all=False), [{"x": x}])))["y"])]
        if int8:
            qm = quantize_model(m, [{"x": rng.standard_normal((1, 3, 16, 16)).astype(np.float32)} for _ in range(3)])
            kinds.append(("int8", qm, simulate(qm, {"x": x})["y"]))
        for kind, model_, want in kinds:
            sdkm.write(model_, folder / f"{name}-{kind}.sdkm")
            out.append({"name": f"{name}-{kind}", "model": folder / f"{name}-{kind}.sdkm",
                        "input": folder / f"{name}.f32", "want": np.asarray(want, dtype=np.float32)})
    return out


def _softmax_head() -> onnx.ModelProto:
    """Conv -> bilinear 2x -> NHWC -> Softmax over channels (SIMD rows) -> LogSoftmax over H
    (lanes) -> ReduceMax over W."""
    rng = np.random.default_rng(6)
    inits = [numpy_helper.from_array((rng.standard_normal((19, 3, 3, 3)) * 0.5).astype(np.float32), "w"),
             numpy_helper.from_array(np.asarray([], np.float32), "roi"),
             numpy_helper.from_array(np.asarray([1, 1, 2, 2], np.float32), "scales"),
             numpy_helper.from_array(ints(2), "axes")]
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Resize", ["c", "roi", "scales"], ["up"], mode="linear"),
             helper.make_node("Transpose", ["up"], ["t"], perm=[0, 2, 3, 1]),
             helper.make_node("Softmax", ["t"], ["s"], axis=-1),
             helper.make_node("LogSoftmax", ["s"], ["l"], axis=1),
             helper.make_node("ReduceMax", ["l", "axes"], ["y"], keepdims=0)]
    g = helper.make_graph(nodes, "head", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 3, 16, 16])],
                          [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])


@_SETTINGS
@given(shape=hnp.array_shapes(min_dims=3, max_dims=4, min_side=1, max_side=7), data=st.data())
def test_resize_property(engine, shape, data) -> None:
    """Random sizes, modes and coordinate transforms against onnx's reference (the spec), or
    onnxruntime where the reference's window arithmetic rounds a coordinate a hair off an
    integer the other way (x_ori + pad in double)."""
    from onnx.reference import ReferenceEvaluator

    x = RNG.standard_normal(shape).astype(np.float32)
    mode = data.draw(st.sampled_from(["nearest", "linear", "cubic"]))
    # (not half_pixel_symmetric here: its offset puts coordinates 1 ulp off integers, where the
    # reference's window (x + pad, rounded) and its weights (from x) disagree; the sweep above has it)
    coords = [c for c in COORDS if c != "half_pixel_symmetric"]
    attrs = {"mode": mode, "coordinate_transformation_mode": data.draw(st.sampled_from(coords)),
             "nearest_mode": data.draw(st.sampled_from(["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"])),
             "exclude_outside": int(data.draw(st.booleans())), "antialias": int(data.draw(st.booleans()))}
    if mode == "nearest":
        attrs.pop("antialias")
    sizes = list(shape[:-2]) + [data.draw(st.integers(1, 12)) for _ in range(2)]
    m = model("Resize", resize_inputs(x, sizes=sizes), attrs, opset=19)
    want = ReferenceEvaluator(m).run(None, {"x": x})[0]
    got = engine_run(engine, m, {"x": x})[0]
    if not close(got, want, 1e-4):
        want = ort_run(m, {"x": x})[0]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4, err_msg=str(attrs))


def test_resize_leaves_unresized_axes_alone(engine) -> None:
    """A size-1 axis kept at size 1 is not resampled (pytorch_half_pixel would put its one
    output at -0.5, and exclude_outside would then zero everything); a nearest pick outside
    the input with exclude_outside is 0, as in onnx's reference. Both were wrong before."""
    from onnx.reference import ReferenceEvaluator

    x = (np.arange(5, dtype=np.float32) + 1).reshape(5, 1, 1, 1)
    m = model("Resize", resize_inputs(x, sizes=[5, 1, 4, 7]),
              {"mode": "nearest", "coordinate_transformation_mode": "pytorch_half_pixel", "nearest_mode": "floor",
               "exclude_outside": 1}, opset=19)
    want = ReferenceEvaluator(m).run(None, {"x": x})[0]
    assert (want == 0).any() and (want != 0).any()
    np.testing.assert_array_equal(engine_run(engine, m, {"x": x})[0], want)
