"""Normalizations: LayerNormalization, RMSNormalization, GroupNormalization,
InstanceNormalization, LpNormalization (BatchNormalization and LRN are in nn.py)."""

from __future__ import annotations

import numpy as np

from ..importer import NodeContext, Unsupported
from ..registry import engine_op, onnx_op


def _per_element(ctx: NodeContext, i: int, inner: tuple[int, ...], what: str) -> str:
    """Input i broadcast to the normalized shape `inner`: a constant is expanded at conversion
    time; a computed one must already have one value per normalized element."""
    count = int(np.prod(inner))
    data = ctx.const(i)
    if data is not None:
        try:
            full = np.broadcast_to(data.astype(np.float32), inner)
        except ValueError:
            raise Unsupported(f"{what} of shape {data.shape} does not broadcast to {inner}") from None
        return ctx.constant(np.ascontiguousarray(full), what, np.float32)
    if int(np.prod(ctx.shape(i))) != count:
        raise Unsupported(f"a computed {what} must have one value per normalized element ({inner})")
    return ctx.input(i)


def _row_norm(ctx: NodeContext, op: str, with_bias: bool) -> None:
    xs = ctx.shape(0)
    if not xs:
        raise Unsupported("a scalar input")
    axis = int(ctx.attr("axis", -1))
    if not -len(xs) <= axis < len(xs):
        raise Unsupported(f"axis {axis} is out of range for rank {len(xs)}")
    axis %= len(xs)
    inner = tuple(xs[axis:])
    ins = [ctx.input(0), _per_element(ctx, 1, inner, "scale")]
    if with_bias and ctx.has(2):
        ins.append(_per_element(ctx, 2, inner, "bias"))
    outs = [ctx.output(0)]
    for k in (1, 2):
        if len(ctx.node.output) > k and ctx.output(k):
            outs.append(ctx.output(k))  # Mean / InvStdDev: computed by the same op
    n_used = max([0] + [k for k in range(len(outs)) if ctx.used(k)]) + 1
    outs = outs[:n_used]
    ctx.emit(op, ins, outs, {"axis": [axis], "epsilon": [float(ctx.attr("epsilon", 1e-5))]})


@onnx_op("LayerNormalization", max_version=17,
         doc="any axis; scale and bias broadcast to the normalized shape; the Mean and InvStdDev outputs")
def layer_norm(ctx: NodeContext) -> None:
    _row_norm(ctx, "LayerNormalization", True)


engine_op("LayerNormalization", float_attrs=("epsilon",),
          doc="X, Scale[, B]; `axis` (>= 0), `epsilon`; Scale and B hold one value per normalized element "
          "(the converter expands broadcast ones); outputs Y[, Mean, InvStdDev]")


@onnx_op("RMSNormalization", max_version=23, doc="any axis; scale broadcast to the normalized shape")
def rms_norm(ctx: NodeContext) -> None:
    _row_norm(ctx, "RMSNormalization", False)


engine_op("RMSNormalization", float_attrs=("epsilon",),
          doc="X, Scale; `axis` (>= 0), `epsilon`; Scale holds one value per normalized element")


def _channel_vec(ctx: NodeContext, i: int, c: int, groups: int, what: str) -> np.ndarray:
    data = ctx.need_const(i, what).astype(np.float32).reshape(-1)
    if data.size == c:
        return data
    if data.size == groups:  # GroupNormalization-18: one value per group
        return np.repeat(data, c // groups)
    if data.size == 1:
        return np.full(c, data[0], np.float32)
    raise Unsupported(f"{what} has {data.size} values; expected {c} (one per channel)")


@onnx_op("GroupNormalization", max_version=21,
         doc="constant scale and bias (per group before opset 21, per channel since)")
def group_norm(ctx: NodeContext) -> None:
    xs = ctx.shape(0)
    if len(xs) < 2:
        raise Unsupported(f"input of rank {len(xs)}; expected [N, C, ...]")
    g = int(ctx.attr("num_groups"))
    c = xs[1]
    if g < 1 or c % g:
        raise Unsupported(f"num_groups {g} does not divide the {c} channels")
    if ctx.version < 21 and ctx.const(1) is not None and ctx.const(1).size not in (g, 1):
        raise Unsupported(f"scale must have num_groups ({g}) values at this opset")
    scale = _channel_vec(ctx, 1, c, g, "scale")
    bias = _channel_vec(ctx, 2, c, g, "bias")
    ins = [ctx.input(0), ctx.constant(scale, "scale"), ctx.constant(bias, "bias")]
    ctx.declare_output(0, xs)  # ONNX's shape inference does not see through the function
    ctx.emit("GroupNormalization", ins,
             attrs={"num_groups": [g], "epsilon": [float(ctx.attr("epsilon", 1e-5))]})


engine_op("GroupNormalization", float_attrs=("epsilon",),
          doc="X [N, C, ...], scale [C], bias [C]; `num_groups`, `epsilon` (per-channel affine, the opset-21 "
          "meaning; InstanceNormalization is num_groups = C)")


@onnx_op("InstanceNormalization", max_version=22, doc="constant scale and bias; as GroupNormalization")
def instance_norm(ctx: NodeContext) -> None:
    xs = ctx.shape(0)
    if len(xs) < 3:
        raise Unsupported(f"input of rank {len(xs)}; expected [N, C, D1, ...]")
    c = xs[1]
    scale = _channel_vec(ctx, 1, c, c, "scale")
    bias = _channel_vec(ctx, 2, c, c, "bias")
    ins = [ctx.input(0), ctx.constant(scale, "scale"), ctx.constant(bias, "bias")]
    ctx.emit("GroupNormalization", ins,
             attrs={"num_groups": [c], "epsilon": [float(ctx.attr("epsilon", 1e-5))]})
    ctx.count("InstanceNormalization -> GroupNormalization")


@onnx_op("LpNormalization", max_version=22, doc="p 1 or 2, any axis")
def lp_norm(ctx: NodeContext) -> None:
    xs = ctx.shape(0)
    axis = int(ctx.attr("axis", -1))
    if not xs or not -len(xs) <= axis < len(xs):
        raise Unsupported(f"axis {axis} is out of range for rank {len(xs)}")
    p = int(ctx.attr("p", 2))
    if p not in (1, 2):
        raise Unsupported(f"p = {p} (only 1 and 2 are defined)")
    ctx.emit("LpNormalization", [ctx.input(0)], attrs={"axis": [axis % len(xs)], "p": [p]})


engine_op("LpNormalization", doc="X; `axis` (>= 0), `p` (1 or 2)")
