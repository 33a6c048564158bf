"""Indexing ops: Gather, GatherElements, GatherND, ScatterND, Trilu.

Data of any dtype (often a constant table, e.g. BERT's word embeddings indexed by int64
token ids given at run time); indices int32 or int64, negative ones counting from the
end. Indices that are constants are range-checked here; indices computed at run time are
checked by the engine, which fails the run naming the bad index.
"""

from __future__ import annotations

import numpy as np

from ..importer import NodeContext, Unsupported
from ..registry import ANY_DTYPE, engine_op, onnx_op

_INDEX_DTYPES = (np.dtype(np.int32), np.dtype(np.int64))


def _indices(ctx: NodeContext, i: int, extent: np.ndarray | int | None = None) -> None:
    """Input i holds indices: int32/int64; a constant one is range-checked against `extent`."""
    if ctx.dtype(i) not in _INDEX_DTYPES:
        raise Unsupported(f"indices of type {ctx.dtype(i).name} (int32 and int64 are supported)")
    c = ctx.const(i)
    if c is not None and extent is not None:
        bad = (c < -np.asarray(extent)) | (c >= np.asarray(extent))
        if np.any(bad):
            raise Unsupported(f"constant index {int(c[bad].reshape(-1)[0])} is out of range")


def _nonempty(ctx: NodeContext) -> None:
    if 0 in ctx.out_shape(0) or 0 in ctx.shape(0):
        raise Unsupported("an empty tensor (zero-size tensors are not supported)")


@onnx_op("Gather", max_version=13, doc="any data dtype (e.g. a constant embedding table); int32/int64 indices, "
         "constant or computed (e.g. token ids)")
def gather(ctx: NodeContext) -> None:
    xs = ctx.shape(0)
    if not xs:
        raise Unsupported("data is a scalar")
    axis = int(ctx.attr("axis", 0)) % len(xs)
    _indices(ctx, 1, xs[axis])
    _nonempty(ctx)
    idx = ctx.const(1)
    if idx is not None and idx.ndim == 0:  # x[..., i, ...] (e.g. a class token): a Slice, then the axis dropped
        i = int(idx) % xs[axis]
        starts, ends, box = [0] * len(xs), list(xs), list(xs)
        starts[axis], ends[axis], box[axis] = i, i + 1, 1
        sliced = ctx.tmp("slice", box, ctx.dtype(0))
        ctx.emit("Slice", [ctx.input(0)], [sliced], {"starts": starts, "ends": ends}, name=f"{ctx.label}_slice")
        ctx.reshape(sliced, ctx.output(0), ctx.out_shape(0), name=ctx.label)
        ctx.count("Gather of one constant index -> Slice")
        return
    ctx.emit("Gather", [ctx.input(0), ctx.input(1)], attrs={"axis": [axis]})


engine_op("Gather", dtypes=ANY_DTYPE,
          doc="X (any dtype, may be constant), indices (i32/i64, negative from the end); `axis` [0] (>= 0)")


@onnx_op("GatherElements", max_version=13, doc="any data dtype; int32/int64 indices")
def gather_elements(ctx: NodeContext) -> None:
    xs = ctx.shape(0)
    if not xs:
        raise Unsupported("data is a scalar")
    axis = int(ctx.attr("axis", 0)) % len(xs)
    _indices(ctx, 1, xs[axis])
    _nonempty(ctx)
    ctx.emit("GatherElements", [ctx.input(0), ctx.input(1)], attrs={"axis": [axis]})


engine_op("GatherElements", dtypes=ANY_DTYPE,
          doc="X (any dtype), indices (i32/i64, X's rank, each dim <= X's); `axis` [0] (>= 0)")


def _nd_extent(xs: tuple[int, ...], ks: tuple[int, ...], batch_dims: int) -> np.ndarray:
    k = ks[-1]
    if k < 1 or batch_dims + k > len(xs):
        raise Unsupported(f"indices of shape {ks} do not fit data of shape {xs} with batch_dims {batch_dims}")
    return np.asarray(xs[batch_dims:batch_dims + k])


@onnx_op("GatherND", max_version=13, doc="any data dtype; int32/int64 indices; batch_dims")
def gather_nd(ctx: NodeContext) -> None:
    b = int(ctx.attr("batch_dims", 0))
    _indices(ctx, 1, _nd_extent(ctx.shape(0), ctx.shape(1), b))
    _nonempty(ctx)
    ctx.emit("GatherND", [ctx.input(0), ctx.input(1)], attrs={"batch_dims": [b]})


engine_op("GatherND", dtypes=ANY_DTYPE,
          doc="X (any dtype), indices (i32/i64, last dim k: index tuples); `batch_dims` [0]")


@onnx_op("ScatterND", max_version=18, doc="any data dtype (reductions: float32, int32, int64); int32/int64 indices; "
         "reduction none/add/mul/max/min")
def scatter_nd(ctx: NodeContext) -> None:
    _indices(ctx, 1, _nd_extent(ctx.shape(0), ctx.shape(1), 0))
    _nonempty(ctx)
    reduction = ctx.attr("reduction", "none")
    if reduction != "none" and ctx.dtype(0) not in (np.float32, np.float64, np.int32, np.int64):
        raise Unsupported(f"reduction {reduction!r} on {ctx.dtype(0).name} data (float32, int32, int64 are "
                          "supported)")
    attrs = {"reduction": reduction} if reduction != "none" else {}
    ctx.emit("ScatterND", [ctx.input(0), ctx.input(1), ctx.input(2)], attrs=attrs)


engine_op("ScatterND", dtypes=ANY_DTYPE,
          doc="data (any dtype), indices (i32/i64), updates; `reduction` [none] (none, add, mul, max, min: f32, i32, "
          "i64)")


@onnx_op("Trilu", max_version=14, doc="any dtype; constant k")
def trilu(ctx: NodeContext) -> None:
    xs = ctx.shape(0)
    if len(xs) < 2:
        raise Unsupported(f"input has rank {len(xs)}; Trilu needs rank >= 2")
    _nonempty(ctx)
    k = int(ctx.need_const(1, "k").reshape(-1)[0]) if ctx.has(1) else 0
    limit = xs[-1] + xs[-2] + 1
    k = max(-limit, min(limit, k))  # beyond this every element is kept (or zeroed) anyway
    ctx.emit("Trilu", [ctx.input(0)], attrs={"upper": [int(ctx.attr("upper", 1))], "k": [k]})


def _trilu_to_onnx(node, ins, outs, b) -> None:
    k = b.const("k", int(node.attrs.get("k", [0])[0]), np.int64)
    b.node("Trilu", [ins[0], k], outs, node.name, upper=int(node.attrs.get("upper", [1])[0]))


engine_op("Trilu", to_onnx=_trilu_to_onnx, dtypes=ANY_DTYPE,
          doc="X (any dtype, rank >= 2); `upper` [1], `k` [0] (ONNX's k input)")
