"""Quantization ops: the int8 graph's edges (QuantizeLinear/DequantizeLinear emitted by
quantize.py with the parameters in the tensors' QuantRec), and the ONNX runtime forms of
pre-quantized models (QDQ and QOperator formats).

Mapping, chosen for exactness against onnxruntime:
* DequantizeLinear of a constant (QDQ weights) folds to a float32 constant (fold.py), so
  the float op after it runs on the engine's fp32 kernels; QuantizeLinear / DequantizeLinear
  of computed tensors run as engine ops (the fake quantization of a QDQ graph, bit-exact);
* MatMulInteger, ConvInteger, DynamicQuantizeLinear: engine ops with exact int32 accumulation;
* QLinearMatMul / QLinearConv: MatMulInteger / ConvInteger (the bias added to the int32
  accumulator) followed by QuantizeLinear with `multiply` 1, y = saturate(round(acc *
  x_scale * w_scale / y_scale) + y_zero_point): one float rounding, as onnxruntime's
  requantization does.
"""

from __future__ import annotations

import numpy as np

from ..importer import NodeContext, Unsupported
from ..registry import OnnxBuilder, engine_op, onnx_op
from .nn import as_2d, conv_out, spatial_attrs

INT8 = (np.dtype(np.int8), np.dtype(np.uint8))


def _const_or_input(ctx: NodeContext, i: int, what: str) -> str:
    if ctx.dtype(i) == np.float64:
        return ctx.constant(ctx.need_const(i, what).astype(np.float32), what)
    return ctx.input(i)


def _axis_params(ctx: NodeContext, i: int, rank: int, what: str) -> None:
    """A scale/zero point must be a scalar or a 1-D per-axis tensor (not blocked)."""
    shape = ctx.shape(i)
    if int(np.prod(shape)) != 1 and len(shape) != 1:
        raise Unsupported(f"{what} of shape {shape}: only per-tensor and per-axis parameters are supported")


def _onnx_edges_to_onnx(node, ins: list[str], outs: list[str], b: OnnxBuilder) -> None:
    if len(ins) == 1:
        raise NotImplementedError("edge QuantizeLinear/DequantizeLinear are not re-expressed")
    b.node(node.op, ins, outs, **({"axis": node.attrs["axis"][0]} if "axis" in node.attrs else {}))


@onnx_op("QuantizeLinear", max_version=28,
         doc="float32 input, int8/uint8 output; per-tensor or per-axis scale and zero point (no blocks, no "
         "float8/int4/16-bit types)")
def quantize_linear(ctx: NodeContext) -> None:
    if int(ctx.attr("block_size", 0)):
        raise Unsupported("blocked quantization (block_size) is not supported")
    if ctx.dtype(0) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise Unsupported(f"input of type {ctx.dtype(0).name}; only float32 is supported")
    out_t = ctx.out_dtype(0)
    if out_t not in INT8:
        raise Unsupported(f"output type {out_t.name}; only int8 and uint8 are supported")
    rank = len(ctx.shape(0))
    _axis_params(ctx, 1, rank, "y_scale")
    ins = [ctx.input(0), _const_or_input(ctx, 1, "y_scale")]
    if ctx.has(2):
        _axis_params(ctx, 2, rank, "y_zero_point")
        ins.append(ctx.input(2))
    axis = int(ctx.attr("axis", 1))
    ctx.emit("QuantizeLinear", ins, attrs={"axis": [axis % max(rank, 1)]})


@onnx_op("DequantizeLinear", max_version=28,
         doc="int8/uint8/int32 input, float32 output; per-tensor or per-axis (no blocks, no float8/int4/16-bit "
         "types); a constant input folds to float32 weights")
def dequantize_linear(ctx: NodeContext) -> None:
    if int(ctx.attr("block_size", 0)):
        raise Unsupported("blocked quantization (block_size) is not supported")
    if ctx.dtype(0) not in (*INT8, np.dtype(np.int32)):
        raise Unsupported(f"input of type {ctx.dtype(0).name}; only int8, uint8 and int32 are supported")
    if ctx.out_dtype(0) != np.float32:
        raise Unsupported(f"output type {ctx.out_dtype(0).name}; only float32 is supported")
    rank = len(ctx.shape(0))
    _axis_params(ctx, 1, rank, "x_scale")
    ins = [ctx.input(0), _const_or_input(ctx, 1, "x_scale")]
    if ctx.has(2):
        _axis_params(ctx, 2, rank, "x_zero_point")
        ins.append(ctx.input(2))
    axis = int(ctx.attr("axis", 1))
    ctx.emit("DequantizeLinear", ins, attrs={"axis": [axis % max(rank, 1)]})


QDTYPES = ("float32", "int8", "uint8", "int32")
engine_op("QuantizeLinear", dtypes=QDTYPES, to_onnx=_onnx_edges_to_onnx,
          doc="X; the output tensor's QuantRec carries scale and zero point (int8 graph edges). Or the ONNX form: "
          "X (f32, or i32 with `multiply` 1: q = round(x * scale) + zp), y_scale, [y_zero_point]; `axis` (>= 0) "
          "for per-axis parameters; output i8/u8")
engine_op("DequantizeLinear", dtypes=QDTYPES, to_onnx=_onnx_edges_to_onnx,
          doc="X; the input tensor's QuantRec carries scale and zero point (int8 graph edges). Or the ONNX form: "
          "X (i8/u8/i32), x_scale, [x_zero_point]; `axis` (>= 0) for per-axis parameters")


@onnx_op("DynamicQuantizeLinear", max_version=11, doc="float32 input")
def dynamic_quantize_linear(ctx: NodeContext) -> None:
    if ctx.dtype(0) != np.float32:
        raise Unsupported(f"input of type {ctx.dtype(0).name}; only float32 is supported")
    outs = [ctx.output(i) for i in range(3)]
    ctx.declare_output(0, ctx.shape(0), np.uint8)
    ctx.declare_output(1, (), np.float32)
    ctx.declare_output(2, (), np.uint8)
    ctx.emit("DynamicQuantizeLinear", [ctx.input(0)], outs)


engine_op("DynamicQuantizeLinear", dtypes=QDTYPES, doc="x (f32) -> y (u8), y_scale (f32), y_zero_point (u8)")


def _matmul_integer(ctx: NodeContext, a: int, b: int, az: int | None, bz: int | None, out: str,
                    out_shape: tuple[int, ...]) -> None:
    sa, sb = ctx.shape(a), ctx.shape(b)
    for i in (a, b):
        if ctx.dtype(i) not in INT8:
            raise Unsupported(f"input {i} is {ctx.dtype(i).name}; expected int8 or uint8")
    if len(sa) < 2 or not (len(sb) == 2 or tuple(sb[:-2]) == tuple(sa[:-2])):
        raise Unsupported(f"only A of rank >= 2 times a 2-D B or a B with A's batch axes; shapes {sa} x {sb}")
    ins = [ctx.input(a), ctx.input(b)]
    for z, what in ((az, "a_zero_point"), (bz, "b_zero_point")):
        if z is not None and ctx.has(z):
            if int(np.prod(ctx.shape(z))) != 1 and len(ctx.shape(z)) != 1:
                raise Unsupported(f"{what} of shape {ctx.shape(z)}")
            ins.append(ctx.input(z))
        else:
            ins.append("")
    while ins and not ins[-1]:
        ins.pop()
    ctx.emit("MatMulInteger", ins, [out])


@onnx_op("MatMulInteger", max_version=10, doc="int8/uint8; A of rank >= 2 times a 2-D B (or one with the same batch axes); exact int32")
def matmul_integer(ctx: NodeContext) -> None:
    _matmul_integer(ctx, 0, 1, 2, 3, ctx.declare_output(0, ctx.out_shape(0), np.int32), ctx.out_shape(0))


engine_op("MatMulInteger", dtypes=QDTYPES,
          doc="A [..., M, K], B [K, N] or [..., K, N] with A's batch axes (i8/u8)[, a_zero_point (1 or M)[, b_zero_point (1 or N)]] -> i32")


def _requantize(ctx: NodeContext, acc: str, mult: np.ndarray, y_zp: int | None, out: str, axis: int) -> None:
    m = ctx.constant(mult.astype(np.float32).reshape(-1) if mult.size > 1 else mult.astype(np.float32).reshape(()),
                     "multiplier")
    ins = [acc, m] + ([ctx.input(y_zp)] if y_zp is not None and ctx.has(y_zp) else [])
    ctx.emit("QuantizeLinear", ins, [out], {"axis": [axis], "multiply": [1]})


def _scale(ctx: NodeContext, i: int, what: str) -> np.ndarray:
    return ctx.need_const(i, what).astype(np.float64).reshape(-1)


@onnx_op("QLinearMatMul", max_version=21,
         doc="int8/uint8 with float32 scales; A of rank >= 2 times a 2-D B (or one with A's batch axes); "
         "per-tensor or per-column b parameters")
def qlinear_matmul(ctx: NodeContext) -> None:
    out_t = ctx.out_dtype(0)
    if out_t not in INT8:
        raise Unsupported(f"output type {out_t.name}")
    sa, sb = _scale(ctx, 1, "a_scale"), _scale(ctx, 4, "b_scale")
    sy = _scale(ctx, 6, "y_scale")
    if sa.size != 1 or sy.size != 1:
        raise Unsupported("a_scale and y_scale must be scalars")
    shape = ctx.out_shape(0)
    acc = ctx.tmp("acc", shape, np.int32)
    _matmul_integer(ctx, 0, 3, 2, 5, acc, shape)
    ctx.declare_output(0, shape, out_t)
    _requantize(ctx, acc, sa * sb / sy, 7, ctx.output(0), len(shape) - 1)


def _conv_integer(ctx: NodeContext, x_i: int, w_i: int, xz: int | None, wz: int | None, bias: str,
                  out_dtype: np.dtype) -> tuple[str, tuple[int, ...], bool]:
    x, xs = ctx.input(x_i), ctx.shape(x_i)
    if len(xs) not in (3, 4):
        raise Unsupported(f"only 1-D and 2-D convolution are supported; input has rank {len(xs)}")
    for i in (x_i, w_i):
        if ctx.dtype(i) not in INT8:
            raise Unsupported(f"input {i} is {ctx.dtype(i).name}; expected int8 or uint8")
    w = ctx.need_const(w_i, "weight")
    wname = ctx.input(w_i)
    group = int(ctx.attr("group", 1))
    k = list(w.shape[2:])
    strides, dil, pads = spatial_attrs(ctx, list(xs[2:]), k)
    one_d = len(xs) == 3
    if one_d:
        x, xs = as_2d(ctx, x, xs)
        wname = ctx.constant(w.reshape(w.shape[0], w.shape[1], 1, w.shape[2]), "W2d")
        k, strides, dil, pads = [1, *k], [1, *strides], [1, *dil], [0, pads[0], 0, pads[1]]
    oh = conv_out(xs[2], k[0], strides[0], dil[0], pads[0], pads[2])
    ow = conv_out(xs[3], k[1], strides[1], dil[1], pads[1], pads[3])
    shape = (xs[0], w.shape[0], oh, ow)
    ins = [x, wname]
    for z in (xz, wz):
        ins.append(ctx.input(z) if z is not None and ctx.has(z) else "")
    if bias:
        ins.append(bias)
    while ins and not ins[-1]:
        ins.pop()
    acc = ctx.tmp("acc", shape, np.int32)
    ctx.emit("ConvInteger", ins, [acc], {"strides": strides, "pads": pads, "dilations": dil, "group": [group]})
    return acc, shape, one_d


@onnx_op("ConvInteger", max_version=10, doc="int8/uint8, 1-D and 2-D, constant weights; exact int32")
def conv_integer(ctx: NodeContext) -> None:
    acc, shape, one_d = _conv_integer(ctx, 0, 1, 2, 3, "", np.dtype(np.int32))
    ctx.reshape(acc, ctx.output(0), ctx.out_shape(0), name=f"{ctx.label}_out")


engine_op("ConvInteger", dtypes=QDTYPES,
          doc="X [N,C,H,W], W (constant) (i8/u8)[, x_zero_point[, w_zero_point (1 or M)[, B (i32 [M], engine "
          "extension: added to the accumulator)]]]; `strides`, `pads` [t,l,b,r], `dilations`, `group` -> i32")


@onnx_op("QLinearConv", max_version=10,
         doc="int8/uint8, 1-D and 2-D, constant weights and parameters; per-tensor or per-channel w parameters")
def qlinear_conv(ctx: NodeContext) -> None:
    out_t = ctx.out_dtype(0)
    if out_t not in INT8:
        raise Unsupported(f"output type {out_t.name}")
    sx, sw, sy = _scale(ctx, 1, "x_scale"), _scale(ctx, 4, "w_scale"), _scale(ctx, 6, "y_scale")
    if sx.size != 1 or sy.size != 1:
        raise Unsupported("x_scale and y_scale must be scalars")
    bias = ""
    if ctx.has(8):
        b = ctx.need_const(8, "bias")
        if b.dtype != np.int32:
            raise Unsupported(f"bias of type {b.dtype.name}; expected int32")
        bias = ctx.input(8)
    acc, shape, one_d = _conv_integer(ctx, 0, 3, 2, 5, bias, out_t)
    if one_d:
        q = ctx.tmp("q2d", shape, out_t)
        _requantize(ctx, acc, sx * sw / sy, 7, q, 1)
        ctx.reshape(q, ctx.output(0), ctx.out_shape(0), name=f"{ctx.label}_to1d")
    else:
        ctx.declare_output(0, shape, out_t)
        _requantize(ctx, acc, sx * sw / sy, 7, ctx.output(0), 1)
