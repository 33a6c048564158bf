"""Storage element types: held at the model boundary, computed with wider types.

ONNX models may take, give or hold int16/uint16, uint32/uint64, bfloat16, float8 (e4m3fn,
e4m3fnuz, e5m2, e5m2fnuz, e8m0), float4 e2m1, int4/uint4 and int2/uint2 tensors. The engine
stores these types and converts them (its Cast, built with the `storage` option) but does not
compute with them. `widen_storage` rewrites such a model (a copy) before import so that every
op computes with the wide type of each value:

    int16, uint16, int4, uint4, int2, uint2 -> int32      uint32, uint64 -> int64
    bfloat16, float8*, float4 -> float32

* a graph input of a storage type keeps its name and type and feeds a Cast to the wide type;
  a graph output of a storage type is computed wide and Cast to its type under its name;
* initializers and tensor attributes of storage types are widened at conversion time;
* a node that makes new values of a storage type (arithmetic) is followed by a Cast to the
  storage type and back, so the values are exactly those ONNX gives: an int16 Add wraps like
  int16, a bfloat16 result is rounded to bfloat16 (once per node: ONNX's reference rounds
  after each numpy step inside an op, which may differ by one unit in the last place);
  ops that only move or select values (Reshape, Gather, Max, ...) need no such pair;
* Cast and CastLike to a storage type become the engine's Cast (ONNX semantics: round to
  nearest even, `saturate` for float8, `round_mode` for float8e8m0) followed by a Cast back;
* DequantizeLinear of a storage type (int16, int4, float8, ...) becomes Cast, Sub and Mul;
  QuantizeLinear to one becomes Div, Round, Add, Clip (integers) and the engine's Cast;
  blocked quantization (block_size) with constant scales has them repeated along the axis;
* where the wide type would change a result (uint64 Div, comparisons, Max/Min, ... with
  values above 2^63) the conversion stops with an error naming the node.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ..errors import SdkbuildError

T = TensorProto
WIDE: dict[int, int] = {
    T.INT16: T.INT32, T.UINT16: T.INT32, T.INT4: T.INT32, T.UINT4: T.INT32,
    T.UINT32: T.INT64, T.UINT64: T.INT64,
    T.BFLOAT16: T.FLOAT, T.FLOAT8E4M3FN: T.FLOAT, T.FLOAT8E4M3FNUZ: T.FLOAT, T.FLOAT8E5M2: T.FLOAT,
    T.FLOAT8E5M2FNUZ: T.FLOAT, T.FLOAT4E2M1: T.FLOAT,
}
for _name, _wide in (("INT2", T.INT32), ("UINT2", T.INT32), ("FLOAT8E8M0", T.FLOAT)):
    if hasattr(T, _name):  # onnx >= 1.18 / 1.19
        WIDE[getattr(T, _name)] = _wide
FLOATS = {k for k, v in WIDE.items() if v == T.FLOAT}

# ops whose outputs only hold values of their inputs (moved, selected or compared): no
# rounding pair after them
_PRESERVING = {
    "Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split", "Slice",
    "Gather", "GatherElements", "GatherND", "ScatterND", "Expand", "Tile", "Pad", "DepthToSpace",
    "SpaceToDepth", "Max", "Min", "ReduceMax", "ReduceMin", "TopK", "Where", "Trilu", "Dropout",
    "MaxPool", "GlobalMaxPool", "Relu",
}
# uint64 is computed as int64 with the same bits: Add, Sub, Mul, Neg, Pow (integer exponent
# below 2^63), sums and the ops that move values give the same bits. Ordering ops compare the
# values with their top bit flipped (x + -2^63, wrapping): signed order of those is unsigned
# order of x; the uint64 outputs get the bit flipped back.
_UNSIGNED_ORDERED = {"Less", "LessOrEqual", "Greater", "GreaterOrEqual", "Max", "Min", "ReduceMax", "ReduceMin",
                     "ArgMax", "ArgMin", "TopK", "Clip"}
# and these differ once a value is 2^63 or more
_UNSIGNED_EXACT = {
    "Add", "Sub", "Mul", "Neg", "Sum", "CumSum", "ReduceSum", "ReduceProd", "Equal", "Where", "Cast", "CastLike",
    "Shape", "Size", *_PRESERVING,
} - {"Relu", "MaxPool", "GlobalMaxPool", "Max", "Min", "ReduceMax", "ReduceMin", "TopK"}
INT64_MIN = np.array(np.iinfo(np.int64).min, np.int64)


def _types(model: onnx.ModelProto) -> dict[str, int]:
    """Element type of every value: declared, else by ONNX type inference."""
    g = model.graph
    known = {vi.name: vi.type.tensor_type.elem_type for vi in [*g.input, *g.output, *g.value_info]}
    known.update({t.name: t.data_type for t in g.initializer})
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
        for vi in [*inferred.graph.value_info, *inferred.graph.output]:
            if vi.type.tensor_type.elem_type:
                known.setdefault(vi.name, vi.type.tensor_type.elem_type)
    except Exception:  # noqa: BLE001 - best effort; the importer reports real problems
        pass
    return {k: v for k, v in known.items() if v}


def uses_storage(model: onnx.ModelProto) -> bool:
    """Storage types anywhere, or blocked quantization (rewritten here too)."""
    g = model.graph
    if any(vi.type.tensor_type.elem_type in WIDE for vi in [*g.input, *g.output, *g.value_info]):
        return True
    if any(t.data_type in WIDE for t in g.initializer):
        return True
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR and a.t.data_type in WIDE:
                return True
            if a.name in ("to", "output_dtype") and a.type == onnx.AttributeProto.INT and a.i in WIDE:
                return True
            if a.name == "block_size" and a.i > 0 and n.op_type in ("QuantizeLinear", "DequantizeLinear"):
                return True
    return False


def _wide_array(t: onnx.TensorProto) -> onnx.TensorProto:
    arr = numpy_helper.to_array(t)
    wide = helper.tensor_dtype_to_np_dtype(WIDE[t.data_type])
    if t.data_type == T.UINT64:
        arr = arr.view(np.int64)  # the same bits: int64 arithmetic wraps as uint64 does
    return numpy_helper.from_array(np.asarray(arr).astype(wide), t.name)


class _Rewriter:
    def __init__(self, model: onnx.ModelProto) -> None:
        self.model = model
        self.types = _types(model)
        g = model.graph
        self.taken = ({o for n in g.node for o in n.output} | {i.name for i in g.input}
                      | {t.name for t in g.initializer})
        self.outputs = {o.name for o in g.output}
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.rename: dict[str, str] = {}  # storage value -> its wide twin
        self.changed = 0

    def fresh(self, base: str) -> str:
        name, k = f"{base}__wide", 1
        while name in self.taken:
            k += 1
            name = f"{base}__wide{k}"
        self.taken.add(name)
        return name

    def const(self, base: str, arr: np.ndarray) -> str:
        name = self.fresh(base)
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def node(self, op: str, ins: list[str], outs: list[str] | None = None, name: str = "", **attrs) -> str:
        outs = outs or [self.fresh(name or op)]
        self.nodes.append(helper.make_node(op, ins, outs, name=self.fresh(name or op), **attrs))
        return outs[0]

    def w(self, name: str) -> str:
        return self.rename.get(name, name)

    def st(self, name: str) -> int:
        return self.types.get(name, 0)

    # a value computed wide under `tmp` whose ONNX value `out` has storage type `t`
    def finish(self, out: str, tmp: str, t: int, *, cast_attrs: dict | None = None) -> None:
        if out in self.outputs:
            self.node("Cast", [tmp], [out], name=f"{out}/to_storage", to=t, **(cast_attrs or {}))
            wide = self.fresh(out)
            self.node("Cast", [out], [wide], name=f"{out}/widen", to=WIDE[t])
        else:
            s = self.node("Cast", [tmp], name=f"{out}/to_storage", to=t, **(cast_attrs or {}))
            wide = self.fresh(out)
            self.node("Cast", [s], [wide], name=f"{out}/widen", to=WIDE[t])
        self.rename[out] = wide

    def to_f32(self, name: str) -> str:
        t = self.st(name)
        if t == T.FLOAT or (t in FLOATS and name in self.rename):
            return self.w(name)
        return self.node("Cast", [self.w(name)], name=f"{name}/to_float", to=T.FLOAT)

    def run(self) -> onnx.ModelProto:
        g = self.model.graph
        m = onnx.ModelProto()
        m.CopyFrom(self.model)
        mg = m.graph
        inits = []
        for t in mg.initializer:
            if t.data_type in WIDE:
                wide = _wide_array(t)
                wide.name = self.fresh(t.name)
                self.rename[t.name] = wide.name
                inits.append(wide)
                self.changed += 1
            else:
                inits.append(t)
        init_names = {t.name for t in g.initializer}
        for vi in g.input:
            t = vi.type.tensor_type.elem_type
            if t in WIDE and vi.name not in init_names:
                wide = self.fresh(vi.name)
                self.node("Cast", [vi.name], [wide], name=f"{vi.name}/widen", to=WIDE[t])
                self.rename[vi.name] = wide
                self.changed += 1
        for n in g.node:
            self.rewrite(n)
        # graph outputs that are graph inputs or initializers as they are: nothing to do
        del mg.node[:]
        mg.node.extend(self.nodes)
        del mg.initializer[:]
        mg.initializer.extend(inits + self.inits)
        del mg.value_info[:]  # stale types (storage values now have wide twins)
        return m

    def rewrite(self, n: onnx.NodeProto) -> None:
        op = n.op_type
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        label = n.name or (n.output[0] if n.output else op)
        if op in ("Cast", "CastLike"):
            to = int(attrs["to"]) if op == "Cast" else self.st(n.input[1])
            src = self.st(n.input[0])
            if to in WIDE or src in WIDE:
                self.changed += 1
                x = self.w(n.input[0])
                if src == T.UINT64 and to not in (T.UINT64, T.INT64):  # the engine casts from the unsigned bits
                    x = self.node("Cast", [x], name=f"{label}/as_uint64", to=T.UINT64)
                extra = {k: attrs[k] for k in ("saturate", "round_mode") if k in attrs}
                if to in WIDE:
                    self.finish(n.output[0], x, to, cast_attrs=extra)
                else:
                    self.node("Cast", [x], [n.output[0]], name=label, to=to)
                return
        blocked = int(attrs.get("block_size", 0)) > 0  # any type: the engine's Q/DQ are per tensor or axis
        if op == "DequantizeLinear" and (self.st(n.input[0]) in WIDE or blocked):
            return self.dequantize(n, attrs, label)
        if op == "QuantizeLinear":
            to = int(attrs.get("output_dtype", 0)) or (self.st(n.input[2]) if len(n.input) > 2 and n.input[2] else 0)
            if to in WIDE or blocked:
                return self.quantize(n, attrs, label, to or T.UINT8)
        if op in ("Constant", "ConstantOfShape"):
            for a in n.attribute:
                if a.type == onnx.AttributeProto.TENSOR and a.t.data_type in WIDE:
                    out = n.output[0]
                    t = a.t.data_type
                    new = helper.make_node(op, list(n.input), [self.fresh(out)], name=label)
                    new.attribute.extend([x for x in n.attribute if x.name != a.name])
                    new.attribute.append(helper.make_attribute(a.name, _wide_array(a.t)))
                    self.nodes.append(new)
                    self.changed += 1
                    if out in self.outputs:
                        self.node("Cast", [new.output[0]], [out], name=f"{out}/to_storage", to=t)
                    self.rename[out] = new.output[0]
                    return
        ins_t = [self.st(i) for i in n.input if i]
        outs_t = [self.st(o) for o in n.output if o]
        if not any(t in WIDE for t in ins_t + outs_t):
            new = onnx.NodeProto()
            new.CopyFrom(n)
            new.input[:] = [self.w(i) for i in n.input]
            self.nodes.append(new)
            return
        self.changed += 1
        flip = False
        if T.UINT64 in ins_t and op in _UNSIGNED_ORDERED:
            flip = True
        elif T.UINT64 in ins_t and (op not in _UNSIGNED_EXACT and not (op == "Pow" and self.st(n.input[1]) != T.UINT64)):
            raise SdkbuildError(
                f"node {label!r} ({op}) on uint64 tensors cannot be converted exactly: the engine computes "
                "uint64 as int64, which gives another result for values of 2^63 or more",
                hint="export the model with int64 (or uint32) tensors",
            )
        new = onnx.NodeProto()
        new.CopyFrom(n)
        new.input[:] = [self.w(i) for i in n.input]
        if flip:
            bias = self.const("uint64_bias", INT64_MIN)
            new.input[:] = [self.node("Add", [self.w(i), bias], name=f"{i}/flip") if i and self.st(i) == T.UINT64
                            else self.w(i) for i in n.input]
        pending = []
        for k, o in enumerate(n.output):
            t = self.st(o)
            if o and t in WIDE:
                tmp = self.fresh(o)
                new.output[k] = tmp
                pending.append((o, tmp, t))
        self.nodes.append(new)
        for o, tmp, t in pending:
            if flip and t == T.UINT64:
                tmp = self.node("Add", [tmp, bias], name=f"{o}/unflip")
            if op in _PRESERVING or flip:
                if o in self.outputs:
                    self.node("Cast", [tmp], [o], name=f"{o}/to_storage", to=t)
                self.rename[o] = tmp
            else:
                self.finish(o, tmp, t)

    def _axis_shaped(self, name: str, x: str, axis: int, block: int, what: str) -> str:
        """Scale or zero point `name` (wide) shaped to broadcast against x: per-tensor as is,
        per-axis reshaped, blocked (constant) repeated along the axis."""
        shape = self._shape(x)
        init = {t.name: t for t in self.model.graph.initializer}
        rank = len(shape) if shape is not None else None
        src = init.get(name)
        if block:
            if src is None or rank is None:
                raise SdkbuildError(f"blocked quantization needs a constant {what} (input {name!r} is computed)",
                                    hint="make it an initializer")
            arr = numpy_helper.to_array(src)
            if src.data_type in WIDE:
                arr = numpy_helper.to_array(_wide_array(src))
            ax = axis % rank
            arr = np.repeat(arr, block, axis=ax)
            arr = np.take(arr, np.arange(shape[ax]), axis=ax)
            return self.const(name, arr)
        dims = None
        if src is not None:
            dims = list(src.dims)
        elif name in {vi.name for vi in self.model.graph.input}:
            vi = next(v for v in self.model.graph.input if v.name == name)
            dims = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        if dims is None or len(dims) == 0 or (len(dims) == 1 and dims[0] == 1) or rank is None or rank <= 1:
            return self.w(name)
        ax = axis % rank
        target = [1] * rank
        target[ax] = -1
        return self.node("Reshape", [self.w(name), self.const(f"{name}_shape", np.array(target, np.int64))],
                         name=f"{name}/per_axis")

    def _shape(self, x: str) -> list[int] | None:
        g = self.model.graph
        for vi in [*g.input, *g.value_info, *g.output]:
            if vi.name == x and vi.type.tensor_type.HasField("shape"):
                d = [dd.dim_value for dd in vi.type.tensor_type.shape.dim]
                return d if all(d) else None
        for t in g.initializer:
            if t.name == x:
                return list(t.dims)
        try:
            inferred = onnx.shape_inference.infer_shapes(self.model)
        except Exception:  # noqa: BLE001
            return None
        for vi in inferred.graph.value_info:
            if vi.name == x and vi.type.tensor_type.HasField("shape"):
                d = [dd.dim_value for dd in vi.type.tensor_type.shape.dim]
                return d if all(d) else None
        return None

    def dequantize(self, n: onnx.NodeProto, attrs: dict, label: str) -> None:
        self.changed += 1
        axis, block = int(attrs.get("axis", 1)), int(attrs.get("block_size", 0))
        x = self.to_f32(n.input[0])
        if len(n.input) > 2 and n.input[2]:
            zp = self._axis_shaped(n.input[2], n.input[0], axis, block, "zero point")
            if self.st(n.input[2]) != T.FLOAT:
                zp = self.node("Cast", [zp], name=f"{label}/zp_float", to=T.FLOAT)
            x = self.node("Sub", [x, zp], name=f"{label}/sub_zp")
        scale = self._axis_shaped(n.input[1], n.input[0], axis, block, "scale")
        st = self.st(n.input[1])
        if st not in (T.FLOAT, 0) and st not in FLOATS:
            scale = self.node("Cast", [scale], name=f"{label}/scale_float", to=T.FLOAT)
        out_t = int(attrs.get("output_dtype", 0)) or st or T.FLOAT
        y = n.output[0]
        if out_t in WIDE:
            tmp = self.node("Mul", [x, scale], name=label)
            self.finish(y, tmp, out_t)
        elif out_t == T.FLOAT:
            self.node("Mul", [x, scale], [y], name=label)
        else:
            tmp = self.node("Mul", [x, scale], name=label)
            self.node("Cast", [tmp], [y], name=f"{label}/to_out", to=out_t)

    def quantize(self, n: onnx.NodeProto, attrs: dict, label: str, to: int) -> None:
        self.changed += 1
        axis, block = int(attrs.get("axis", 1)), int(attrs.get("block_size", 0))
        x = self.to_f32(n.input[0])
        scale = self._axis_shaped(n.input[1], n.input[0], axis, block, "scale")
        if self.st(n.input[1]) not in (T.FLOAT, 0) and self.st(n.input[1]) not in FLOATS:
            scale = self.node("Cast", [scale], name=f"{label}/scale_float", to=T.FLOAT)
        q = self.node("Div", [x, scale], name=f"{label}/div")
        if to not in FLOATS:
            q = self.node("Round", [q], name=f"{label}/round")
        if len(n.input) > 2 and n.input[2]:
            zp = self._axis_shaped(n.input[2], n.input[0], axis, block, "zero point")
            if self.st(n.input[2]) != T.FLOAT:
                zp = self.node("Cast", [zp], name=f"{label}/zp_float", to=T.FLOAT)
            q = self.node("Add", [q, zp], name=f"{label}/add_zp")
        cast_attrs = {}
        if to not in FLOATS:
            info = np.iinfo(helper.tensor_dtype_to_np_dtype(to)) if to not in _SUB_RANGE else None
            lo, hi = _SUB_RANGE.get(to) or (info.min, info.max)  # type: ignore[union-attr]
            q = self.node("Clip", [q, self.const(f"{label}_lo", np.array(lo, np.float32)),
                                   self.const(f"{label}_hi", np.array(hi, np.float32))], name=f"{label}/clip")
        else:
            cast_attrs["saturate"] = int(attrs.get("saturate", 1))
        if to in WIDE:
            self.finish(n.output[0], q, to, cast_attrs=cast_attrs)
        else:
            self.node("Cast", [q], [n.output[0]], name=label, to=to)


_SUB_RANGE = {T.INT4: (-8, 7), T.UINT4: (0, 15)}
if hasattr(T, "INT2"):
    _SUB_RANGE.update({T.INT2: (-2, 1), T.UINT2: (0, 3)})


def widen_storage(model: onnx.ModelProto) -> tuple[onnx.ModelProto, int]:
    """The model computing with wide types and storage types only at its boundary and in
    Casts (a copy; the model itself when it has no storage types), and how many values or
    nodes changed."""
    if not uses_storage(model):
        return model, 0
    r = _Rewriter(model)
    m = r.run()
    return m, r.changed
