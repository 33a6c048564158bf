"""Reductions and scans: ReduceSum/Mean/Max/Min/Prod/L2/SumSquare, ArgMax/ArgMin, TopK,
CumSum, and Softmax/LogSoftmax.

Axes given as inputs (newer opsets) must be constants; they become the engine's `axes`
attribute, normalized (non-negative, sorted). Empty axes reduce over everything, or with
noop_with_empty_axes nothing (the op then reduces to its element map: Identity for most,
x*x for ReduceSumSquare, |x| for ReduceL2, as onnx's reference computes it). ReduceMean
over the two spatial axes of a 4-D tensor is GlobalAveragePool (which has an int8
kernel).
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto

from ..importer import NodeContext, Unsupported
from ..registry import available_engine_ops, engine_op, onnx_op

_INTS = ("float32", "int32", "int64")
# op -> (newest version handled, the version from which axes is an input)
_REDUCE = {
    "ReduceSum": (13, 13), "ReduceMean": (18, 18), "ReduceMax": (20, 18), "ReduceMin": (20, 18),
    "ReduceProd": (18, 18), "ReduceL2": (18, 18), "ReduceSumSquare": (18, 18),
}
_WITH_INTS = ("ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd")
_WITH_BOOL = ("ReduceMax", "ReduceMin")


def _reduce_axes(ctx: NodeContext) -> list[int] | None:
    """The normalized axes to reduce; None = no reduction (noop_with_empty_axes)."""
    rank = len(ctx.shape(0))
    if ctx.version < _REDUCE[ctx.op_type][1]:
        axes = ctx.attr("axes")
        axes = None if axes is None else [int(a) for a in axes]
    else:
        axes = [int(a) for a in ctx.need_const(1, "axes").reshape(-1)] if ctx.has(1) else None
    if not axes:
        if int(ctx.attr("noop_with_empty_axes", 0)):
            return None
        return list(range(rank))
    if any(not -rank <= a < rank for a in axes):
        raise Unsupported(f"axes {axes} are out of range for rank {rank}")
    norm = sorted({a % rank for a in axes})
    if len(norm) != len(axes):
        raise Unsupported(f"axes {axes} repeat an axis")
    return norm


@onnx_op(*_REDUCE, max_version=20, doc="constant axes; keepdims; noop_with_empty_axes; float32 (ReduceSum/Max/Min/"
         "Prod also int64, ReduceMax/Min bool); ReduceMean over H and W of a 4-D input is GlobalAveragePool")
def reduce(ctx: NodeContext) -> None:
    op = ctx.op_type
    if ctx.version > _REDUCE[op][0]:
        raise Unsupported(f"operator version {ctx.version} is newer than the converter knows (up to version "
                          f"{_REDUCE[op][0]})")
    xs = ctx.shape(0)
    if 0 in xs:
        raise Unsupported("an empty input (zero-size tensors are not supported)")
    axes = _reduce_axes(ctx)
    keep = int(ctx.attr("keepdims", 1))
    if axes is None:  # reduce over no axis: the element map alone
        if op in ("ReduceSumSquare", "ReduceL2"):
            ctx.emit(op, [ctx.input(0)], attrs={"axes": [], "keepdims": [keep]})
        else:
            ctx.alias()
        return
    if op == "ReduceMean" and len(xs) == 4 and axes == [2, 3] and ctx.dtype(0) == np.float32:
        if keep:
            ctx.emit("GlobalAveragePool", [ctx.input(0)])
        else:
            pooled = ctx.tmp("pooled", (xs[0], xs[1], 1, 1))
            ctx.emit("GlobalAveragePool", [ctx.input(0)], [pooled])
            ctx.reshape(pooled, ctx.output(0), (xs[0], xs[1]), name=f"{ctx.label}_squeeze")
        ctx.count("ReduceMean -> GlobalAveragePool")
        return
    if all(xs[a] == 1 for a in axes) and op not in ("ReduceSumSquare", "ReduceL2"):
        ctx.reshape(ctx.input(0), ctx.output(0), ctx.out_shape(0), name=ctx.label)  # nothing to reduce
        return
    attrs = {"axes": axes, "keepdims": [keep]}
    if ctx.dtype(0) == np.int32 and op in _WITH_INTS and "Cast" in available_engine_ops():
        # the engine reduces integers in int64 (one kernel per op): int32 goes through Casts
        wide = ctx.tmp("int64", xs, np.int64)
        ctx.emit("Cast", [ctx.input(0)], [wide], {"to": [TensorProto.INT64]}, name=f"{ctx.label}_to_int64")
        red = ctx.tmp("reduced", ctx.out_shape(0), np.int64)
        ctx.emit(op, [wide], [red], attrs)
        ctx.emit("Cast", [red], [ctx.output(0)], {"to": [TensorProto.INT32]}, name=f"{ctx.label}_to_int32")
        ctx.count("int32 reduction computed in int64")
        return
    ctx.emit(op, [ctx.input(0)], attrs=attrs)


def _reduce_to_onnx(node, ins, outs, b) -> None:
    axes = b.const("axes", list(node.attrs.get("axes", [])), np.int64)
    b.node(node.op, [ins[0], axes], outs, node.name, keepdims=int(node.attrs.get("keepdims", [1])[0]))


for _op in _REDUCE:
    _dt = ("float32", "int64", "bool") if _op in _WITH_BOOL else ("float32", "int64") if _op in _WITH_INTS \
        else ("float32",)
    engine_op(_op, to_onnx=_reduce_to_onnx, dtypes=_dt,
              doc=f"X ({', '.join(_dt).replace('float32', 'f32').replace('int', 'i')}); `axes` (>= 0, sorted; "
              "absent: all; empty: none, the element map alone), `keepdims` [1]")


@onnx_op("ArgMax", "ArgMin", max_version=13, doc="float32, int32, int64; keepdims; select_last_index")
def arg(ctx: NodeContext) -> None:
    xs = ctx.shape(0)
    if not xs or 0 in xs:
        raise Unsupported("a scalar or empty input")
    axis = int(ctx.attr("axis", 0)) % len(xs)
    attrs = {"axis": [axis], "keepdims": [int(ctx.attr("keepdims", 1))],
             "select_last_index": [int(ctx.attr("select_last_index", 0))]}
    ctx.emit(ctx.op_type, [ctx.input(0)], attrs=attrs)


engine_op("ArgMax", dtypes=_INTS,
          doc="X (f32, i32, i64) -> i64; `axis` [0] (>= 0), `keepdims` [1], `select_last_index` [0]")
engine_op("ArgMin", dtypes=_INTS,
          doc="X (f32, i32, i64) -> i64; `axis` [0] (>= 0), `keepdims` [1], `select_last_index` [0]")


@onnx_op("TopK", max_version=24, doc="float32, int32, int64; constant K; largest; sorted (always sorted)")
def topk(ctx: NodeContext) -> None:
    xs = ctx.shape(0)
    if not xs or 0 in xs:
        raise Unsupported("a scalar or empty input")
    axis = int(ctx.attr("axis", -1)) % len(xs)
    k = int(ctx.attr("k")) if ctx.version < 10 else int(ctx.need_const(1, "K").reshape(-1)[0])
    if not 1 <= k <= xs[axis]:
        raise Unsupported(f"K = {k} is outside [1, {xs[axis]}] (zero-size outputs are not supported)")
    attrs = {"k": [k], "axis": [axis], "largest": [int(ctx.attr("largest", 1))]}
    outs = [ctx.output(0), ctx.output(1) or ctx.tmp("indices", ctx.out_shape(0), np.int64)]
    ctx.emit("TopK", [ctx.input(0)], outs, attrs=attrs)


def _topk_to_onnx(node, ins, outs, b) -> None:
    k = b.const("k", [int(node.attrs["k"][0])], np.int64)
    b.node("TopK", [ins[0], k], outs, node.name, axis=int(node.attrs.get("axis", [-1])[0]),
           largest=int(node.attrs.get("largest", [1])[0]))


engine_op("TopK", to_onnx=_topk_to_onnx, dtypes=_INTS,
          doc="X (f32, i32, i64) -> Values, Indices (i64); `k` (required: ONNX's K input), `axis` [-1] (>= 0), "
          "`largest` [1]; always sorted, ties by lower index")


@onnx_op("CumSum", max_version=14, doc="float32, int32, int64; constant axis; exclusive; reverse")
def cumsum(ctx: NodeContext) -> None:
    xs = ctx.shape(0)
    if not xs or 0 in xs:
        raise Unsupported("a scalar or empty input")
    axis = int(ctx.need_const(1, "axis").reshape(-1)[0])
    if not -len(xs) <= axis < len(xs):
        raise Unsupported(f"axis {axis} is out of range for rank {len(xs)}")
    attrs = {"axis": [axis % len(xs)], "exclusive": [int(ctx.attr("exclusive", 0))],
             "reverse": [int(ctx.attr("reverse", 0))]}
    ctx.emit("CumSum", [ctx.input(0)], attrs=attrs)


def _cumsum_to_onnx(node, ins, outs, b) -> None:
    axis = b.const("axis", int(node.attrs["axis"][0]), np.int64)
    b.node("CumSum", [ins[0], axis], outs, node.name, exclusive=int(node.attrs.get("exclusive", [0])[0]),
           reverse=int(node.attrs.get("reverse", [0])[0]))


engine_op("CumSum", to_onnx=_cumsum_to_onnx, dtypes=_INTS,
          doc="X (f32, i32, i64); `axis` (required: ONNX's axis input, >= 0), `exclusive` [0], `reverse` [0]")


@onnx_op("Softmax", "LogSoftmax", max_version=13,
         doc="any axis (before opset 13: the input coerced to 2-D at axis)")
def softmax(ctx: NodeContext) -> None:
    x, xs = ctx.input(0), ctx.shape(0)
    op = ctx.op_type
    rank = len(xs)
    if rank == 0 or 0 in xs:
        raise Unsupported("a scalar or empty input")
    if ctx.version >= 13:
        ctx.emit(op, [x], attrs={"axis": [int(ctx.attr("axis", -1)) % rank]})
        return
    # before opset 13 Softmax normalises over the input coerced to 2-D at `axis`
    axis = int(ctx.attr("axis", 1)) % rank
    tail = [a for a in range(axis, rank) if xs[a] != 1]
    if len(tail) <= 1:  # one axis holds all the coerced elements: identical to one-axis softmax
        ctx.emit(op, [x], attrs={"axis": [tail[0] if tail else rank - 1]})
        return
    rows, cols = int(np.prod(xs[:axis])), int(np.prod(xs[axis:]))
    flat, soft = ctx.tmp("2d", (rows, cols)), ctx.tmp("soft", (rows, cols))
    ctx.reshape(x, flat, (rows, cols), name=f"{ctx.label}_to2d")
    ctx.emit(op, [flat], [soft], {"axis": [1]})
    ctx.reshape(soft, ctx.output(0), xs, name=f"{ctx.label}_back")
    ctx.count("opset<13 Softmax coerced to 2-D")


engine_op("Softmax", doc="X; `axis` (opset-13 meaning: along one axis, >= 0)")
engine_op("LogSoftmax", doc="X; `axis` (opset-13 meaning: along one axis, >= 0)")
