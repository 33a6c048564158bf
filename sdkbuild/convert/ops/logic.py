"""Comparisons (bool results), logic on bool tensors, and Where."""

from __future__ import annotations

import numpy as np

from ..importer import NodeContext, Unsupported
from ..registry import ANY_DTYPE, engine_op, onnx_op
from .elementwise import BOOL, common_dtype, operand

COMPARE_DTYPES = ("float32", "int32", "int64", "bool")


@onnx_op("Equal", max_version=19, doc="numpy broadcasting; float, int32, int64, bool (int8/uint8/int16/uint16 "
         "through int32)")
@onnx_op("Greater", "Less", max_version=13, doc="numpy broadcasting; float, int32, int64 (int8/uint8/int16/uint16 "
         "through int32)")
@onnx_op("GreaterOrEqual", "LessOrEqual", max_version=16, doc="numpy broadcasting; float, int32, int64 "
         "(int8/uint8/int16/uint16 through int32)")
def compare(ctx: NodeContext) -> None:
    dt = common_dtype(ctx, [0, 1])
    if dt == BOOL and ctx.op_type != "Equal":
        raise Unsupported("bool inputs")
    ctx.emit(ctx.op_type, [operand(ctx, 0, dt), operand(ctx, 1, dt)])


for _op, _sym in (("Equal", "=="), ("Greater", ">"), ("GreaterOrEqual", ">="), ("Less", "<"), ("LessOrEqual", "<=")):
    engine_op(_op, dtypes=COMPARE_DTYPES,
              doc=f"A, B (numpy broadcasting; f32, i32, i64{', bool' if _op == 'Equal' else ''}); "
              f"y = A {_sym} B (bool)")


@onnx_op("And", "Or", "Xor", max_version=7, doc="bool, numpy broadcasting")
def logic(ctx: NodeContext) -> None:
    if ctx.dtype(0) != BOOL or ctx.dtype(1) != BOOL:
        raise Unsupported("non-bool inputs")
    ctx.emit(ctx.op_type, [ctx.input(0), ctx.input(1)])


@onnx_op("Not", max_version=1, doc="bool")
def not_(ctx: NodeContext) -> None:
    if ctx.dtype(0) != BOOL:
        raise Unsupported("non-bool input")
    ctx.emit("Not", [ctx.input(0)])


for _op in ("And", "Or", "Xor"):
    engine_op(_op, dtypes=("bool",), doc=f"A, B (bool, numpy broadcasting); y = A {_op.lower()} B")
engine_op("Not", dtypes=("bool",), doc="X (bool); y = not x")


@onnx_op("Where", max_version=16, doc="numpy broadcasting of the three; X and Y of any engine dtype")
def where(ctx: NodeContext) -> None:
    if ctx.dtype(0) != BOOL:
        raise Unsupported(f"a {ctx.dtype(0).name} condition")
    dt = ctx.out_dtype(0)
    if dt.kind == "f":
        dt = np.dtype(np.float32)
    ctx.emit("Where", [ctx.input(0), operand(ctx, 1, dt), operand(ctx, 2, dt)])


engine_op("Where", dtypes=ANY_DTYPE, doc="C (bool), X, Y (one dtype, any), numpy broadcasting of the three; "
          "y = C ? X : Y")


@onnx_op("IsNaN", "IsInf", max_version=20, doc="float")
def is_special(ctx: NodeContext) -> None:
    if ctx.dtype(0).kind != "f":
        raise Unsupported(f"{ctx.dtype(0).name} input")
    attrs = {}
    if ctx.op_type == "IsInf":
        attrs = {"detect_positive": [int(ctx.attr("detect_positive", 1))],
                 "detect_negative": [int(ctx.attr("detect_negative", 1))]}
    ctx.emit(ctx.op_type, [ctx.input(0)], attrs=attrs)


engine_op("IsNaN", dtypes=("float32", "bool"), doc="X (f32); y = x is NaN (bool)")
engine_op("IsInf", dtypes=("float32", "bool"), doc="X (f32); y = x is +inf (`detect_positive` [1]) or -inf "
          "(`detect_negative` [1]) (bool)")
