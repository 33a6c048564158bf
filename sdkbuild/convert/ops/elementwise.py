"""Element-wise activations and arithmetic."""

from __future__ import annotations

import numpy as np

from ..importer import NodeContext, Unsupported
from ..registry import engine_op, onnx_op


@onnx_op("Relu", max_version=14, doc="")
@onnx_op("Sigmoid", max_version=13, doc="")
@onnx_op("HardSwish", max_version=22, doc="")
def unary(ctx: NodeContext) -> None:
    ctx.emit(ctx.op_type, [ctx.input(0)])


engine_op("Relu", doc="X (f32, i8)")
engine_op("Sigmoid", doc="X")
engine_op("HardSwish", doc="X")


@onnx_op("Clip", max_version=13, doc="constant min/max (attributes before opset 11, inputs after)")
def clip(ctx: NodeContext) -> None:
    attrs = {}
    if ctx.version < 11:
        lo, hi = ctx.attr("min"), ctx.attr("max")
    else:
        lo = ctx.need_const(1, "min") if ctx.has(1) else None
        hi = ctx.need_const(2, "max") if ctx.has(2) else None
    if lo is not None:
        attrs["min"] = [float(np.asarray(lo).reshape(-1)[0])]
    if hi is not None:
        attrs["max"] = [float(np.asarray(hi).reshape(-1)[0])]
    ctx.emit("Clip", [ctx.input(0)], attrs=attrs)


def _clip_to_onnx(node, ins, outs, b) -> None:
    lo = float(node.attrs.get("min", [-np.inf])[0])
    hi = float(node.attrs.get("max", [np.inf])[0])
    b.node("Clip", [ins[0], b.const("min", lo, np.float32), b.const("max", hi, np.float32)], outs, node.name)


engine_op("Clip", float_attrs=("min", "max"), to_onnx=_clip_to_onnx, doc="X; `min` [-inf], `max` [+inf]")


@onnx_op("HardSigmoid", max_version=22, doc="fused with a following Mul into HardSwish when it is one")
def hardsigmoid(ctx: NodeContext) -> None:
    attrs = {"alpha": float(ctx.attr("alpha", 0.2)), "beta": float(ctx.attr("beta", 0.5))}
    ctx.emit("HardSigmoid", [ctx.input(0)], attrs=attrs, transient=True)


@onnx_op("Add", "Mul", max_version=14, doc="numpy broadcasting")
def binary(ctx: NodeContext) -> None:
    ctx.emit(ctx.op_type, [ctx.input(0), ctx.input(1)])


engine_op("Add", doc="A, B (numpy broadcasting); `activation`")
engine_op("Mul", doc="A, B (numpy broadcasting)")


@onnx_op("Sub", max_version=14, doc="one operand constant")
def sub(ctx: NodeContext) -> None:
    a, b = ctx.input(0), ctx.input(1)
    bd, ad = ctx.const(1), ctx.const(0)
    if bd is not None:  # x - c = x + (-c)
        ctx.emit("Add", [a, ctx.constant(-bd.astype(np.float32), "neg")])
    elif ad is not None:  # c - x = (-1 * x) + c
        neg = ctx.tmp("neg", ctx.shape(1))
        ctx.emit("Mul", [b, ctx.constant(np.float32(-1), "minus_one")], [neg], name=f"{ctx.label}_neg")
        ctx.emit("Add", [neg, a])
    else:
        raise Unsupported("subtracting two computed tensors is not supported (only a constant)")
    ctx.count("Sub/Div rewritten as Add/Mul")


@onnx_op("Div", max_version=14, doc="constant divisor")
def div(ctx: NodeContext) -> None:
    bd = ctx.const(1)
    if bd is None:
        raise Unsupported("the divisor must be a constant")
    ctx.emit("Mul", [ctx.input(0), ctx.constant(1.0 / bd.astype(np.float64), "recip", np.float32)])
    ctx.count("Sub/Div rewritten as Add/Mul")


@onnx_op("Sum", max_version=13, doc="as a chain of Add")
def sum_(ctx: NodeContext) -> None:
    ins = [ctx.input(i) for i in range(ctx.num_inputs) if ctx.has(i)]
    if len(ins) == 1:
        ctx.alias()
        return
    acc = ins[0]
    for k, nxt in enumerate(ins[1:], start=1):
        shape = tuple(np.broadcast_shapes(ctx.g.values[acc].shape, ctx.g.values[nxt].shape))
        last = k == len(ins) - 1
        out = ctx.output(0) if last else ctx.tmp("partial", shape)
        ctx.emit("Add", [acc, nxt], [out], name=f"{ctx.label}_{k}" if len(ins) > 2 else None)
        acc = out
    ctx.count("Sum split into Add", len(ins) - 2 if len(ins) > 2 else 0)
