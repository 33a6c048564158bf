"""Element-wise math and activations: the unary functions, the broadcasting arithmetic
(Add Sub Mul Div Pow Min Max Sum Mean PRelu) and Clip.

Dtypes: floats compute in float32 (float64 as float32; float16 models are widened first,
see f16.py); int32 and int64 as themselves; int8, uint8, int16 and uint16 values (raw
integers, not quantized tensors) go through int32 (a Cast in, the op, a Cast back), which
is exact and wraps like numpy; bool where ONNX allows it. `compute_dtype`, `operand` and
`finish` are shared with the comparison and Cast modules.
"""

from __future__ import annotations

import numpy as np

from ..importer import NodeContext, Unsupported
from ..registry import engine_op, onnx_op

F32, I32, I64, BOOL = (np.dtype(t) for t in (np.float32, np.int32, np.int64, np.bool_))
FLOAT = ("float32",)
NUMERIC = ("float32", "int32", "int64")
THROUGH_I32 = {np.dtype(t) for t in (np.int8, np.uint8, np.int16, np.uint16)}


def compute_dtype(dt: np.dtype, what: str = "") -> np.dtype:
    """The engine dtype an ONNX tensor of dtype `dt` is computed in."""
    dt = np.dtype(dt)
    if dt.kind == "f":
        return F32
    if dt in (I32, I64, BOOL):
        return dt
    if dt in THROUGH_I32:
        return I32
    raise Unsupported(f"{what or 'its'} {dt.name} tensors are not supported (the engine computes float32, int32, "
                      "int64 and bool)")


def operand(ctx: NodeContext, i: int, dt: np.dtype) -> str:
    """Input i in dtype `dt`: a constant converted now, a computed tensor by a Cast."""
    v = ctx.value(i)
    if v.is_const:
        data = np.asarray(v.data)
        return ctx.input(i) if data.dtype == dt else ctx.constant(data.astype(dt), f"in{i}")
    if _same(v.dtype, dt):
        return ctx.input(i)
    t = ctx.tmp(f"in{i}_{dt.name}", v.shape, dt)
    ctx.emit("Cast", [ctx.input(i)], [t], attrs={"to": [_onnx_type(dt)]}, name=f"{ctx.label}_cast{i}")
    return t


def _same(onnx_dt: np.dtype, engine_dt: np.dtype) -> bool:
    """Whether a tensor of ONNX dtype `onnx_dt` is already `engine_dt` in the engine."""
    return onnx_dt == engine_dt or (onnx_dt == np.float64 and engine_dt == F32)


def finish(ctx: NodeContext, op_type: str, ins: list[str], got: np.dtype, attrs: dict | None = None) -> None:
    """Emit `op_type` (its result in dtype `got`) for output 0, with a Cast when the node's
    output dtype differs (e.g. back to int8 after computing in int32)."""
    want = ctx.out_dtype(0)
    if _same(want, got):
        ctx.emit(op_type, ins, attrs=attrs)
        return
    t = ctx.tmp("result", ctx.out_shape(0), got)
    ctx.emit(op_type, ins, [t], attrs, name=f"{ctx.label}_{op_type.lower()}")
    ctx.emit("Cast", [t], attrs={"to": [_onnx_type(want)]})


def _onnx_type(dt: np.dtype) -> int:
    from onnx import helper

    return int(helper.np_dtype_to_tensor_dtype(np.dtype(dt)))


def common_dtype(ctx: NodeContext, idx: list[int], what: str = "its") -> np.dtype:
    """The compute dtype of the listed inputs (ONNX gives them one type)."""
    return compute_dtype(ctx.dtype(idx[0]), what)


# ------------------------------------------------------------------ unary


@onnx_op("Abs", "Neg", "Sign", max_version=13, doc="float, int32, int64 (int8/uint8/int16/uint16 through int32)")
def unary_int(ctx: NodeContext) -> None:
    dt = common_dtype(ctx, [0])
    if dt == BOOL:
        raise Unsupported("bool input")
    finish(ctx, ctx.op_type, [operand(ctx, 0, dt)], dt)


for _op, _doc in (("Abs", "y = |x|"), ("Neg", "y = -x"), ("Sign", "y = sign(x) (-1, 0, 1; NaN stays NaN)")):
    engine_op(_op, dtypes=NUMERIC, doc=f"X; {_doc} (f32, i32, i64; integers wrap)")


_FLOAT_UNARY = {  # op -> (max_version, engine doc)
    "Sqrt": (13, "y = sqrt(x)"), "Reciprocal": (13, "y = 1 / x"), "Exp": (13, "y = e^x (SIMD)"),
    "Log": (13, "y = ln(x)"), "Floor": (13, "y = floor(x)"), "Ceil": (13, "y = ceil(x)"),
    "Round": (22, "y = x rounded half to even"), "Erf": (13, "y = erf(x)"), "Tanh": (13, "y = tanh(x) (SIMD)"),
    "Sin": (22, "y = sin(x)"), "Cos": (22, "y = cos(x)"), "Sigmoid": (13, "y = 1 / (1 + e^-x) (SIMD)"),
    "HardSwish": (22, "y = x * clamp(x / 6 + 1/2, 0, 1) (SIMD)"), "Softsign": (22, "y = x / (1 + |x|)"),
    "Softplus": (22, "y = ln(1 + e^x)"), "Mish": (22, "y = x * tanh(softplus(x))"),
}
_LUT = "; int8: X and a 256-entry int8 table (input 1) from the quantizer"


def _float_input(ctx: NodeContext) -> str:
    dt = ctx.dtype(0)
    if dt.kind != "f":
        raise Unsupported(f"{dt.name} input (the engine computes this op in float32)")
    return ctx.input(0)


def unary_float(ctx: NodeContext) -> None:
    ctx.emit(ctx.op_type, [_float_input(ctx)])


for _op, (_v, _doc) in _FLOAT_UNARY.items():
    onnx_op(_op, max_version=_v, doc="float")(unary_float)
    engine_op(_op, doc=f"X; {_doc} (f32){_LUT}")


@onnx_op("Relu", max_version=14, doc="float; int32/int64 as Max(x, 0)")
def relu(ctx: NodeContext) -> None:
    dt = common_dtype(ctx, [0])
    if dt == F32:
        ctx.emit("Relu", [ctx.input(0)])
        return
    if dt == BOOL:
        raise Unsupported("bool input")
    finish(ctx, "Max", [operand(ctx, 0, dt), ctx.constant(np.zeros((), dt), "zero")], dt)


engine_op("Relu", doc="X; y = max(x, 0) (f32; int8 requantizes)")

_PARAM_UNARY = {  # op -> (max_version, [(attr, default)], doc)
    "LeakyRelu": (16, [("alpha", 0.01)], "y = x < 0 ? alpha * x : x; `alpha` [0.01]"),
    "ThresholdedRelu": (22, [("alpha", 1.0)], "y = x > alpha ? x : 0; `alpha` [1.0]"),
    "Elu": (22, [("alpha", 1.0)], "y = x < 0 ? alpha * (e^x - 1) : x; `alpha` [1.0]"),
    "Selu": (22, [("alpha", 1.67326319217681884765625), ("gamma", 1.05070102214813232421875)],
             "y = gamma * (x <= 0 ? alpha * (e^x - 1) : x); `alpha` [1.6732632], `gamma` [1.0507010]"),
    "Celu": (28, [("alpha", 1.0)], "y = max(0, x) + min(0, alpha * (e^(x / alpha) - 1)); `alpha` [1.0]"),
    "HardSigmoid": (22, [("alpha", 0.2), ("beta", 0.5)],
                    "y = max(0, min(1, alpha * x + beta)); `alpha` [0.2], `beta` [0.5] (HardSigmoid(1/6, 1/2) * x "
                    "becomes HardSwish)"),
    "Swish": (24, [("alpha", 1.0)], "y = x * sigmoid(alpha * x); alpha 1 is SiLU (SIMD), also fused from "
              "x * Sigmoid(x)"),
}


def unary_params(ctx: NodeContext) -> None:
    attrs = _PARAM_UNARY[ctx.op_type][1]
    values = {a: float(ctx.attr(a, d)) for a, d in attrs}
    if ctx.op_type == "Celu" and values["alpha"] == 0.0:
        raise Unsupported("alpha 0")
    ctx.emit(ctx.op_type, [_float_input(ctx)], attrs=values)


def _swish_to_onnx(node, ins, outs, b) -> None:
    alpha = float(node.attrs.get("alpha", [1.0])[0])
    scaled = ins[0] if alpha == 1.0 else b.tmp("scaled")
    if alpha != 1.0:
        b.node("Mul", [ins[0], b.const("alpha", alpha, np.float32)], [scaled])
    sig = b.tmp("sigmoid")
    b.node("Sigmoid", [scaled], [sig])
    b.node("Mul", [ins[0], sig], outs, node.name)


for _op, (_v, _attrs, _doc) in _PARAM_UNARY.items():
    onnx_op(_op, max_version=_v, doc="float")(unary_params)
    engine_op(_op, float_attrs=[a for a, _ in _attrs], doc=f"X; {_doc} (f32){_LUT}",
              to_onnx=_swish_to_onnx if _op == "Swish" else None)


@onnx_op("Gelu", max_version=20, doc="float; approximate none or tanh")
def gelu(ctx: NodeContext) -> None:
    approx = ctx.attr("approximate", "none")
    if approx not in ("none", "tanh"):
        raise Unsupported(f"approximate {approx!r}")
    ctx.emit("Gelu", [_float_input(ctx)], attrs={"approximate": approx})


engine_op("Gelu", doc="X; y = x / 2 * (1 + erf(x / sqrt 2)), or the tanh formula with `approximate` = \"tanh\" "
          f"[\"none\"] (f32, SIMD; also fused from the Erf and Tanh formulas of older exports){_LUT}")


# ------------------------------------------------------------------ Clip


def _bound(ctx: NodeContext, i: int) -> np.ndarray | None:
    return ctx.const(i) if ctx.has(i) else None


@onnx_op("Clip", max_version=13, doc="float (constant or computed min/max); integers as Max and Min")
def clip(ctx: NodeContext) -> None:
    dt = common_dtype(ctx, [0])
    if ctx.version < 11:
        lo, hi = ctx.attr("min"), ctx.attr("max")
        lo = None if lo is None else np.asarray(lo)
        hi = None if hi is None else np.asarray(hi)
        computed = False
    else:
        lo, hi = _bound(ctx, 1), _bound(ctx, 2)
        computed = (ctx.has(1) and lo is None) or (ctx.has(2) and hi is None)
    if dt == F32 and not computed:
        attrs = {}
        if lo is not None:
            attrs["min"] = [float(np.asarray(lo).reshape(-1)[0])]
        if hi is not None:
            attrs["max"] = [float(np.asarray(hi).reshape(-1)[0])]
        if "min" in attrs and "max" in attrs and attrs["min"][0] > attrs["max"][0]:
            attrs["min"] = attrs["max"]  # ONNX: everything becomes max
        ctx.emit("Clip", [ctx.input(0)], attrs=attrs)
        return
    if dt == BOOL:
        raise Unsupported("bool input")
    # Max(x, min) then Min(., max): integers, or bounds computed at run time
    bounds = []
    if ctx.version < 11:
        bounds += [("Max", ctx.constant(lo.astype(dt), "min"))] if lo is not None else []
        bounds += [("Min", ctx.constant(hi.astype(dt), "max"))] if hi is not None else []
    else:
        bounds += [("Max", operand(ctx, 1, dt))] if ctx.has(1) else []
        bounds += [("Min", operand(ctx, 2, dt))] if ctx.has(2) else []
    if not bounds:
        ctx.alias()
        return
    x = operand(ctx, 0, dt)
    for op, b in bounds[:-1]:
        t = ctx.tmp(op.lower(), ctx.shape(0), dt)
        ctx.emit(op, [x, b], [t], name=f"{ctx.label}_{op.lower()}")
        x = t
    finish(ctx, bounds[-1][0], [x, bounds[-1][1]], dt)


def _clip_to_onnx(node, ins, outs, b) -> None:
    lo = float(node.attrs.get("min", [-np.inf])[0])
    hi = float(node.attrs.get("max", [np.inf])[0])
    b.node("Clip", [ins[0], b.const("min", lo, np.float32), b.const("max", hi, np.float32)], outs, node.name)


engine_op("Clip", float_attrs=("min", "max"), to_onnx=_clip_to_onnx,
          doc=f"X; `min` [-inf], `max` [+inf] (f32; integer Clip becomes Max and Min){_LUT}")


# ------------------------------------------------------------------ broadcasting arithmetic


def _binary(ctx: NodeContext, op_type: str, dt: np.dtype, a: int = 0, b: int = 1) -> None:
    finish(ctx, op_type, [operand(ctx, a, dt), operand(ctx, b, dt)], dt)


@onnx_op("Add", "Mul", max_version=14, doc="numpy broadcasting; float, int32, int64 (int8/uint8/int16/uint16 "
         "through int32)")
def add_mul(ctx: NodeContext) -> None:
    dt = common_dtype(ctx, [0, 1])
    if dt == BOOL:
        raise Unsupported("bool inputs")
    _binary(ctx, ctx.op_type, dt)


engine_op("Add", dtypes=NUMERIC, doc="A, B (numpy broadcasting; f32, i32, i64; int8 of one shape); `activation` (f32)")
engine_op("Mul", dtypes=NUMERIC, doc="A, B (numpy broadcasting; f32, i32, i64, int8)")


@onnx_op("Sub", max_version=14, doc="numpy broadcasting; float x - constant as an Add (fuses, quantizes)")
def sub(ctx: NodeContext) -> None:
    dt = common_dtype(ctx, [0, 1])
    if dt == BOOL:
        raise Unsupported("bool inputs")
    bd = ctx.const(1)
    if dt == F32 and bd is not None and ctx.const(0) is None:  # x - c = x + (-c)
        ctx.emit("Add", [ctx.input(0), ctx.constant(-np.asarray(bd, np.float32), "neg")])
        ctx.count("Sub/Div by a constant as Add/Mul")
        return
    _binary(ctx, "Sub", dt)


engine_op("Sub", dtypes=NUMERIC, doc="A, B (numpy broadcasting; f32, i32, i64, wrapping)")


@onnx_op("Div", max_version=14, doc="numpy broadcasting; float x / constant as a Mul by the reciprocal; integers "
         "truncate")
def div(ctx: NodeContext) -> None:
    dt = common_dtype(ctx, [0, 1])
    if dt == BOOL:
        raise Unsupported("bool inputs")
    bd = ctx.const(1)
    if dt == F32 and bd is not None and ctx.const(0) is None:
        ctx.emit("Mul", [ctx.input(0), ctx.constant(1.0 / np.asarray(bd, np.float64), "recip", np.float32)])
        ctx.count("Sub/Div by a constant as Add/Mul")
        return
    _binary(ctx, "Div", dt)


engine_op("Div", dtypes=NUMERIC, doc="A, B (numpy broadcasting; f32, i32, i64 truncating, x / 0 = 0)")


@onnx_op("Pow", max_version=15, doc="numpy broadcasting; float or integer base, any exponent type; x^2 as x*x, "
         "x^0.5 as Sqrt")
def pow_(ctx: NodeContext) -> None:
    bt = common_dtype(ctx, [0], "base")
    et = compute_dtype(ctx.dtype(1), "exponent")
    if BOOL in (bt, et):
        raise Unsupported("bool inputs")
    e = ctx.const(1)
    if bt == F32 and e is not None and np.asarray(e).size == 1:
        ev = float(np.asarray(e).reshape(-1)[0])
        same = tuple(ctx.out_shape(0)) == tuple(ctx.shape(0))
        if ev == 2.0 and same:
            ctx.emit("Mul", [ctx.input(0), ctx.input(0)])
            ctx.count("Pow by 2 or 0.5 as Mul or Sqrt")
            return
        if ev == 0.5 and same:
            ctx.emit("Sqrt", [ctx.input(0)])
            ctx.count("Pow by 2 or 0.5 as Mul or Sqrt")
            return
    # integer base with a float exponent: computed in float32, truncated (as onnxruntime)
    dt = F32 if F32 in (bt, et) else bt
    _binary(ctx, "Pow", dt)


engine_op("Pow", dtypes=NUMERIC, doc="A, B (numpy broadcasting, one dtype: f32, or i32/i64 exact)")


@onnx_op("Min", "Max", max_version=13, doc="variadic, numpy broadcasting (a chain of two-input ops); float, "
         "int32, int64 (int8/uint8/int16/uint16 through int32)")
def min_max(ctx: NodeContext) -> None:
    idx = [i for i in range(ctx.num_inputs) if ctx.has(i)]
    dt = common_dtype(ctx, idx)
    if dt == BOOL:
        raise Unsupported("bool inputs")
    _chain(ctx, ctx.op_type, idx, dt)


def _chain(ctx: NodeContext, op_type: str, idx: list[int], dt: np.dtype, then_scale: float | None = None) -> None:
    """op(op(op(x0, x1), x2), ...) with broadcasting; the last one writes the output."""
    if len(idx) == 1:
        ctx.alias(0, ctx.input(idx[0]))
        return
    acc = operand(ctx, idx[0], dt)
    steps = [(op_type, k) for k in idx[1:]]
    for n, (op, k) in enumerate(steps):
        nxt = operand(ctx, k, dt)
        shape = tuple(np.broadcast_shapes(ctx.g.values[acc].shape, ctx.g.values[nxt].shape))
        if n == len(steps) - 1 and then_scale is None:
            finish(ctx, op, [acc, nxt], dt)
            return
        out = ctx.tmp("partial", shape, dt)
        ctx.emit(op, [acc, nxt], [out], name=f"{ctx.label}_{n + 1}")
        acc = out
    if then_scale is not None:
        finish(ctx, "Mul", [acc, ctx.constant(np.asarray(then_scale, dt), "scale")], dt)


engine_op("Min", dtypes=NUMERIC, doc="A, B (numpy broadcasting; f32 NaN-propagating, i32, i64)")
engine_op("Max", dtypes=NUMERIC, doc="A, B (numpy broadcasting; f32 NaN-propagating, i32, i64)")


@onnx_op("Sum", "Mean", max_version=13, doc="variadic, numpy broadcasting (a chain of Add; Mean then scales)")
def sum_mean(ctx: NodeContext) -> None:
    idx = [i for i in range(ctx.num_inputs) if ctx.has(i)]
    dt = common_dtype(ctx, idx)
    if dt != F32:
        raise Unsupported(f"{dt.name} inputs (Sum and Mean take floats)")
    scale = 1.0 / len(idx) if ctx.op_type == "Mean" and len(idx) > 1 else None
    _chain(ctx, "Add", idx, dt, scale)
    if len(idx) > 2:
        ctx.count("Sum/Mean/Min/Max split into two-input ops", len(idx) - 2)


@onnx_op("PRelu", max_version=16, doc="float; slope broadcast to X")
def prelu(ctx: NodeContext) -> None:
    x = _float_input(ctx)
    if tuple(ctx.out_shape(0)) != tuple(ctx.shape(0)):
        raise Unsupported(f"slope of shape {ctx.shape(1)} does not broadcast to X's shape {ctx.shape(0)}")
    ctx.emit("PRelu", [x, operand(ctx, 1, F32)])


engine_op("PRelu", doc="X, slope (broadcast to X); y = x < 0 ? slope * x : x (f32)")
