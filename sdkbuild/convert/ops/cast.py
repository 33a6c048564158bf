"""Cast and its relatives (CastLike), the ops that only name a tensor again (Identity,
Dropout at inference), and the generators (Shape, Size, ConstantOfShape, Range, Constant),
which fold at conversion time whenever their inputs are known: with static shapes that is
always, except for a Shape or Size that is itself a graph output (run by the engine) and
a ConstantOfShape or Range whose inputs are computed at run time (refused: the engine
runs fixed shapes)."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper

from ... import sdkm
from ..importer import NodeContext, Unsupported
from ..registry import ANY_DTYPE, STORAGE_DTYPE_NAMES, engine_op, onnx_op
from .elementwise import F32

# what the engine holds (numpy dtypes); float64 computes as float32
ENGINE_DTYPES = {np.dtype(t) for t in (np.float32, np.float16, np.int64, np.int32, np.int8, np.uint8, np.bool_)}
# and stores and Casts (engine option `storage`): after convert/storage.py only Casts touch them
STORAGE_DTYPES = set(sdkm.STORAGE_DTYPES.values())


def _engine(dt: np.dtype, what: str) -> np.dtype:
    dt = np.dtype(dt)
    if dt == np.float64:
        return F32
    if dt not in ENGINE_DTYPES and dt not in STORAGE_DTYPES:
        raise Unsupported(f"{what} {dt.name} (the engine holds float32, float16, int64, int32, int8, uint8 and bool, "
                          "and stores int16/uint16/uint32/uint64, bfloat16, float8, float4, int4/uint4 and int2/uint2)")
    return dt


def _onnx_dtype_name(code: int) -> str:
    try:
        return TensorProto.DataType.Name(code)
    except ValueError:
        return str(code)


def _target(ctx: NodeContext) -> np.dtype:
    """The Cast's target dtype, refusing the ones numpy (and the engine) cannot hold."""
    code = int(ctx.attr("to")) if ctx.op_type == "Cast" else None
    if code is not None:
        try:
            dt = np.dtype(helper.tensor_dtype_to_np_dtype(code))
        except (KeyError, TypeError, ValueError):
            raise Unsupported(f"a Cast to {_onnx_dtype_name(code)}") from None
        if dt.kind == "O":  # strings
            raise Unsupported(f"a Cast to {_onnx_dtype_name(code)}")
        return dt
    return ctx.out_dtype(0)


def _cast(ctx: NodeContext, dst: np.dtype) -> None:
    src = _engine(ctx.dtype(0), "a Cast from")
    dst_e = _engine(dst, "a Cast to")
    if src == dst_e:
        ctx.alias()
        ctx.count("Identity/Dropout/Cast removed")
        return
    attrs: dict = {"to": [int(helper.np_dtype_to_tensor_dtype(dst_e))]}
    if dst_e in STORAGE_DTYPES or src in STORAGE_DTYPES:
        attrs["saturate"] = [int(ctx.attr("saturate", 1))]
        if ctx.attr("round_mode") is not None:
            rm = ctx.attr("round_mode")
            attrs["round_mode"] = rm.decode() if isinstance(rm, bytes) else str(rm)
    ctx.emit("Cast", [ctx.input(0)], attrs=attrs)


@onnx_op("Cast", max_version=28, doc="between float32/64, float16, int64, int32, int8, uint8, bool and the storage "
         "types (int16/uint16/uint32/uint64, bfloat16, float8, float4, int4/uint4, int2/uint2: `saturate`, "
         "`round_mode` as ONNX); not strings")
def cast(ctx: NodeContext) -> None:
    _cast(ctx, _target(ctx))


@onnx_op("CastLike", max_version=25, doc="as Cast, to the dtype of the second input")
def cast_like(ctx: NodeContext) -> None:
    if not ctx.has(1):
        raise Unsupported("its target_type input is missing")
    _cast(ctx, ctx.dtype(1))


engine_op("Cast", dtypes=ANY_DTYPE | STORAGE_DTYPE_NAMES, doc="X; `to` (the ONNX type code of the output, which the engine reads from the "
          "output tensor); f32, f16, i64, i32, i8, u8, bool raw values; narrowing integers wrap, float to integer "
          "truncates (NaN -> 0, saturating outside int64), f32 -> f16 rounds to nearest even, nonzero is true; with the engine's `storage` option also the storage types "
          "(ONNX's semantics, as ml_dtypes: round to nearest even, `saturate` [1] for float8, `round_mode` [up] "
          "for float8e8m0, NaN/Inf per format; float to int4/int2 truncates, 0 outside their range)")


@onnx_op("Identity", max_version=25, doc="removed")
def identity(ctx: NodeContext) -> None:
    ctx.alias()
    ctx.count("Identity/Dropout/Cast removed")


def _is_graph_output(ctx: NodeContext, k: int) -> bool:
    name = ctx.output(k)
    return bool(name) and name in {o.name for o in ctx.imp.model.graph.output}


@onnx_op("Dropout", max_version=22, doc="inference mode (removed); its mask output is all true")
def dropout(ctx: NodeContext) -> None:
    if ctx.version >= 12 and ctx.has(2):
        mode = ctx.const(2)
        if mode is None or bool(np.asarray(mode).reshape(-1)[0]):
            raise Unsupported("training_mode must be a constant false")
    elif ctx.version < 7 and int(ctx.attr("is_test", 0)) == 0:
        raise Unsupported("is_test must be 1 (inference)")
    if ctx.used(1):
        shape = ctx.shape(0)
        if _is_graph_output(ctx, 1):  # an output: the engine makes it
            ctx.emit("ConstantOfShape", [], [ctx.output(1)], name=f"{ctx.label}_mask",
                     attrs={"shape": list(shape) or [1], "dtype": [TensorProto.BOOL], "value": [1]})
        else:
            ctx.constant_output(1, np.ones(shape, np.bool_))
    identity(ctx)


def _constantofshape_to_onnx(node, ins, outs, b) -> None:
    dtype = helper.tensor_dtype_to_np_dtype(int(node.attrs["dtype"][0]))
    value = helper.make_tensor("value", int(node.attrs["dtype"][0]), [1], [np.asarray(node.attrs.get("value", [0])[0],
                                                                                   dtype).item()])
    b.node("ConstantOfShape", [b.const("shape", node.attrs["shape"], np.int64)], outs, node.name, value=value)


engine_op("ConstantOfShape", dtypes=ANY_DTYPE, to_onnx=_constantofshape_to_onnx,
          doc="no inputs; `shape` (required: the output's), `dtype` (required: the output's, as an ONNX type code), "
          "`value` [0] (a float for f32/f16, an int otherwise): the output filled with it; made only for a "
          "constant the graph must output (Dropout's all-true mask)")


@onnx_op("Shape", max_version=25, doc="folded (static shapes); as a graph output run by the engine")
def shape(ctx: NodeContext) -> None:
    attrs = {"start": [int(ctx.attr("start", 0))]}
    if ctx.attr("end") is not None:
        attrs["end"] = [int(ctx.attr("end"))]
    if int(np.prod(ctx.out_shape(0))) == 0:
        raise Unsupported("the selected dimensions are empty (the engine has no empty tensors)")
    ctx.emit("Shape", [ctx.input(0)], attrs=attrs)


@onnx_op("Size", max_version=25, doc="folded (static shapes); as a graph output run by the engine")
def size(ctx: NodeContext) -> None:
    ctx.emit("Size", [ctx.input(0)])


engine_op("Shape", dtypes=ANY_DTYPE, doc="X (not read); y = X's dims [`start`, `end`) as i64 (ONNX clamping)")
engine_op("Size", dtypes=ANY_DTYPE, doc="X (not read); y = X's element count as i64")


@onnx_op("ConstantOfShape", max_version=25, doc="folded; its shape must be known at conversion time")
def constant_of_shape(ctx: NodeContext) -> None:
    ctx.need_const(0, "shape")
    raise Unsupported("internal: a constant shape should have been folded")


@onnx_op("Range", max_version=27, doc="folded; start, limit and delta must be known at conversion time")
def range_(ctx: NodeContext) -> None:
    for i, what in enumerate(("start", "limit", "delta")):
        if ctx.const(i) is None:
            raise Unsupported(f"its {what} is computed at run time, so its length is unknown (the engine runs "
                              "fixed shapes)")
    raise Unsupported("internal: a constant Range should have been folded")
