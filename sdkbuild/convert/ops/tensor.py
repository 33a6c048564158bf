"""Shape and data-movement ops: Reshape and its relatives, Transpose, Concat, Slice, Pad,
and the no-ops (Identity, Dropout, float Cast)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import fold
from ..importer import NodeContext, Unsupported
from ..registry import ANY_DTYPE, engine_op, onnx_op


@onnx_op("Identity", max_version=25, doc="removed")
def identity(ctx: NodeContext) -> None:
    ctx.alias()
    ctx.count("Identity/Dropout/Cast removed")


@onnx_op("Dropout", max_version=22, doc="inference mode (removed); its mask output unused")
def dropout(ctx: NodeContext) -> None:
    if ctx.version >= 12 and ctx.has(2):
        mode = ctx.const(2)
        if mode is None or bool(mode):
            raise Unsupported("training_mode must be a constant false")
    if ctx.used(1):
        raise Unsupported("its mask output is used (training-time only)")
    identity(ctx)


@onnx_op("Cast", max_version=25, doc="float to float of a computed tensor (removed)")
def cast(ctx: NodeContext) -> None:
    src, dst = ctx.dtype(0), ctx.out_dtype(0)
    if src.kind == "f" and dst.kind == "f" and src != np.float16 and dst != np.float16:
        identity(ctx)
        return
    raise Unsupported(f"a Cast from {src.name} to {dst.name} of a computed tensor is not supported")


@onnx_op("Concat", max_version=13, doc="float inputs")
def concat(ctx: NodeContext) -> None:
    ins = [ctx.input(i) for i in range(ctx.num_inputs) if ctx.has(i)]
    rank = len(ctx.shape(0))
    for i in ins:
        c = ctx.g.const_data(i)
        if c is not None and c.dtype != np.float32:
            raise Unsupported("a non-float constant input")
    ctx.emit("Concat", ins, attrs={"axis": [int(ctx.attr("axis")) % rank]})


engine_op("Concat", doc="X0..Xn; `axis` (required)")


@onnx_op("Reshape", max_version=25, doc="constant or computable target shape")
@onnx_op("Flatten", max_version=25, doc="")
@onnx_op("Squeeze", max_version=25, doc="constant axes")
@onnx_op("Unsqueeze", max_version=25, doc="constant axes")
def reshape_like(ctx: NodeContext) -> None:
    xs = ctx.shape(0)
    op = ctx.op_type
    if op == "Reshape":
        target = ctx.need_const(1, "shape")
        try:
            out = fold.reshape_target(xs, [int(t) for t in target.reshape(-1)], bool(ctx.attr("allowzero", 0)))
        except ValueError as e:
            raise Unsupported(str(e)) from None
    elif op == "Flatten":
        try:
            axis = fold.flatten_axis(int(ctx.attr("axis", 1)), len(xs))
        except ValueError as e:
            raise Unsupported(str(e)) from None
        out = (int(np.prod(xs[:axis], dtype=np.int64)), int(np.prod(xs[axis:], dtype=np.int64)))
        ctx.count("Flatten -> Reshape")
    elif op == "Squeeze":
        axes = _axes(ctx)
        drop = {a % len(xs) for a in axes} if axes else {a for a, d in enumerate(xs) if d == 1}
        if any(xs[a] != 1 for a in drop):
            raise Unsupported(f"cannot squeeze non-1 axes {sorted(drop)} of shape {xs}")
        out = tuple(d for a, d in enumerate(xs) if a not in drop)
    else:  # Unsqueeze
        axes = _axes(ctx)
        if axes is None:
            raise Unsupported("its axes must be given")
        rank = len(xs) + len(axes)
        new = {a % rank for a in axes}
        it = iter(xs)
        out = tuple(1 if a in new else next(it) for a in range(rank))
    ctx.reshape(ctx.input(0), ctx.output(0), tuple(out), name=ctx.label)


def _axes(ctx: NodeContext) -> list[int] | None:
    """Squeeze/Unsqueeze axes: an attribute before version 13, input 1 from then on."""
    if ctx.version < 13:
        v = ctx.attr("axes")
        return None if v is None else [int(a) for a in v]
    if ctx.has(1):
        return [int(a) for a in ctx.need_const(1, "axes").reshape(-1)]
    return None


def _reshape_to_onnx(node, ins, outs, b) -> None:
    b.node("Reshape", [ins[0], b.const("shape", node.attrs["shape"], np.int64)], outs, node.name)


engine_op("Reshape", to_onnx=_reshape_to_onnx, dtypes=ANY_DTYPE, doc="X; `shape` (required, fully resolved, no 0 or -1)")


@onnx_op("Transpose", max_version=25, doc="")
def transpose(ctx: NodeContext) -> None:
    xs = ctx.shape(0)
    perm = list(ctx.attr("perm", list(range(len(xs)))[::-1]))
    ctx.emit("Transpose", [ctx.input(0)], attrs={"perm": perm})


engine_op("Transpose", dtypes=ANY_DTYPE, doc="X; `perm` (required)")


@onnx_op("Pad", max_version=25, doc="constant pads; modes constant, reflect, edge; no negative pads")
def pad(ctx: NodeContext) -> None:
    xs = ctx.shape(0)
    rank = len(xs)
    mode = ctx.attr("mode", "constant")
    if mode not in ("constant", "reflect", "edge"):
        raise Unsupported(f"mode {mode!r} is not supported (constant, reflect, edge are)")
    if ctx.version < 11:
        pads, value = list(ctx.attr("pads")), float(ctx.attr("value", 0.0))
    else:
        pads = [int(p) for p in ctx.need_const(1, "pads").reshape(-1)]
        value = float(ctx.need_const(2, "constant_value").reshape(-1)[0]) if ctx.has(2) else 0.0
        if ctx.has(3):  # opset 18: pads only for the listed axes
            axes = [int(a) % rank for a in ctx.need_const(3, "axes").reshape(-1)]
            full = [0] * (2 * rank)
            for j, a in enumerate(axes):
                full[a], full[rank + a] = pads[j], pads[len(axes) + j]
            pads = full
    if len(pads) != 2 * rank:
        raise Unsupported(f"{len(pads)} pads for a rank-{rank} input")
    if any(p < 0 for p in pads):
        raise Unsupported(f"negative pads {pads} (cropping) are not supported")
    attrs: dict[str, Any] = {"pads": pads, "mode": mode}
    if mode == "constant":
        attrs["value"] = [value]
    ctx.emit("Pad", [ctx.input(0)], attrs=attrs)


def _pad_to_onnx(node, ins, outs, b) -> None:
    pads = b.const("pads", node.attrs["pads"], np.int64)
    value = b.const("value", float(node.attrs.get("value", [0.0])[0]), np.float32)
    b.node("Pad", [ins[0], pads, value], outs, node.name, mode=str(node.attrs.get("mode", "constant")))


engine_op("Pad", float_attrs=("value",), to_onnx=_pad_to_onnx,
          doc="X; `pads` (required, ONNX order: begins then ends), `mode` [constant] (constant, reflect, edge), "
          "`value` [0.0]")


@onnx_op("Slice", max_version=13, doc="constant starts/ends/axes, step 1")
def slice_(ctx: NodeContext) -> None:
    """Runtime Slice (data not constant): the engine gets one normalized [start, end) per dimension."""
    xs = ctx.shape(0)
    if ctx.version < 10:
        starts, ends = list(ctx.attr("starts")), list(ctx.attr("ends"))
        axes, steps = ctx.attr("axes"), None
    else:
        starts = [int(v) for v in ctx.need_const(1, "starts").reshape(-1)]
        ends = [int(v) for v in ctx.need_const(2, "ends").reshape(-1)]
        axes = [int(v) for v in ctx.need_const(3, "axes").reshape(-1)] if ctx.has(3) else None
        steps = [int(v) for v in ctx.need_const(4, "steps").reshape(-1)] if ctx.has(4) else None
    axes = list(range(len(starts))) if axes is None else list(axes)
    steps = [1] * len(starts) if steps is None else steps
    if not len(starts) == len(ends) == len(axes) == len(steps):
        raise Unsupported("starts, ends, axes and steps differ in length")
    if any(st != 1 for st in steps):
        raise Unsupported(f"steps {steps} (only step 1 is supported)")
    lo, hi = [0] * len(xs), list(xs)
    for s, e, a in zip(starts, ends, axes, strict=True):
        if not -len(xs) <= a < len(xs):
            raise Unsupported(f"axis {a} is out of range for rank {len(xs)}")
        lo[a % len(xs)], hi[a % len(xs)], _ = slice(int(s), int(e), 1).indices(xs[a])  # ONNX clamping
    if any(b <= a for a, b in zip(lo, hi, strict=True)):
        raise Unsupported(f"the slice of shape {xs} is empty (starts {lo}, ends {hi})")
    ctx.emit("Slice", [ctx.input(0)], attrs={"starts": lo, "ends": hi})


def _slice_to_onnx(node, ins, outs, b) -> None:
    starts = b.const("starts", node.attrs["starts"], np.int64)
    ends = b.const("ends", node.attrs["ends"], np.int64)
    b.node("Slice", [ins[0], starts, ends], outs, node.name)


engine_op("Slice", to_onnx=_slice_to_onnx, dtypes=ANY_DTYPE,
          doc="X; `starts`, `ends` (required, one per dimension, normalized: 0 <= start < end <= dim; step 1)")
