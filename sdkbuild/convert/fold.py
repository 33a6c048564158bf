"""Constant folding: evaluate ONNX nodes whose inputs are all constants.

`fold(node, inputs, opset)` computes the outputs of any deterministic ONNX node: a numpy
fast path (`evaluate`) for what exporters emit to compute shapes at run time (Shape ->
Gather -> Unsqueeze -> Concat -> Reshape and the like, simple arithmetic on weights), and
onnx's reference implementation (`onnx.reference`) for every other op, at the model's
opset. So any op folds when its inputs are known, whether or not the engine has it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import onnx
from onnx import helper, numpy_helper

Arrays = list[np.ndarray | None]


def attr_value(node: onnx.NodeProto, name: str, default=None):
    for a in node.attribute:
        if a.name == name:
            v = helper.get_attribute_value(a)
            if isinstance(v, bytes):
                return v.decode()
            if isinstance(v, onnx.TensorProto):
                return numpy_helper.to_array(v)
            return v
    return default


def _storage_codes() -> tuple[set[int], set[np.dtype]]:
    from .storage import WIDE

    return set(WIDE), {_np_dtype(c) for c in WIDE}


_STORAGE_CODES, _STORAGE_NP = set(), set()


def _np_dtype(onnx_type: int) -> np.dtype:
    return np.dtype(helper.tensor_dtype_to_np_dtype(onnx_type))


def _axes(node: onnx.NodeProto, ins: Arrays, opset: int, since: int, idx: int) -> list[int] | None:
    """Axes given as an attribute before opset `since`, as input `idx` from then on."""
    if opset < since:
        v = attr_value(node, "axes")
        return None if v is None else [int(a) for a in v]
    if len(ins) > idx and ins[idx] is not None:
        return [int(a) for a in np.asarray(ins[idx]).reshape(-1)]
    return None


def reshape_target(in_shape: tuple[int, ...], target: list[int], allowzero: bool = False) -> tuple[int, ...]:
    """ONNX Reshape semantics: 0 copies the input dim (unless allowzero), -1 is inferred."""
    out = []
    for i, d in enumerate(target):
        if d == 0 and not allowzero:
            if i >= len(in_shape):
                raise ValueError(f"Reshape target {target}: 0 at axis {i} but input has rank {len(in_shape)}")
            out.append(in_shape[i])
        else:
            out.append(int(d))
    total = int(np.prod(in_shape, dtype=np.int64))
    if out.count(-1) > 1:
        raise ValueError(f"Reshape target {target} has more than one -1")
    if -1 in out:
        known = int(np.prod([d for d in out if d != -1], dtype=np.int64))
        if known == 0 or total % known:
            raise ValueError(f"cannot reshape {in_shape} to {target}")
        out[out.index(-1)] = total // known
    if int(np.prod(out, dtype=np.int64)) != total:
        raise ValueError(f"cannot reshape {in_shape} to {target}")
    return tuple(out)


def _slice(x: np.ndarray, node: onnx.NodeProto, ins: Arrays, opset: int) -> np.ndarray:
    if opset < 10:
        starts, ends = attr_value(node, "starts"), attr_value(node, "ends")
        axes, steps = attr_value(node, "axes"), None
    else:
        starts, ends = ins[1].tolist(), ins[2].tolist()
        axes = ins[3].tolist() if len(ins) > 3 and ins[3] is not None else None
        steps = ins[4].tolist() if len(ins) > 4 and ins[4] is not None else None
    axes = list(range(len(starts))) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    sl = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps, strict=True):
        # python slicing clamps like ONNX, except that INT_MIN/INT_MAX-style sentinels with a
        # negative step must become "run to the end"
        if st < 0 and e < -x.shape[a]:
            e = None
        sl[a] = slice(int(s), None if e is None else int(e), int(st))
    return x[tuple(sl)]


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if np.issubdtype(a.dtype, np.integer):
        return np.trunc(a / b).astype(a.dtype)  # ONNX integer Div truncates (C semantics)
    return (a / b).astype(a.dtype)


def _reduce(fn: Callable, node: onnx.NodeProto, ins: Arrays, opset: int, since: int) -> np.ndarray:
    axes = _axes(node, ins, opset, since, 1)
    keep = bool(attr_value(node, "keepdims", 1))
    if axes is None and opset >= since and attr_value(node, "noop_with_empty_axes", 0):
        return ins[0]
    return fn(ins[0], axis=None if axes is None else tuple(axes), keepdims=keep).astype(ins[0].dtype)


def evaluate(node: onnx.NodeProto, ins: Arrays, opset: int) -> list[np.ndarray] | None:
    """Outputs of `node` for constant inputs `ins` (None = absent optional), or None."""
    op = node.op_type
    x = ins[0] if ins else None
    if op == "Constant":
        for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
            v = attr_value(node, key)
            if v is not None:
                dt = np.float32 if "float" in key else (np.int64 if "int" in key else None)
                return [np.asarray(v, dtype=dt)]
        return None
    if op == "Identity":
        return [x]
    if op == "Cast":
        to = int(attr_value(node, "to"))
        if to in _STORAGE_CODES or np.asarray(x).dtype in _STORAGE_NP:  # ONNX's semantics (saturate, round_mode)
            from onnx.reference.ops.op_cast import cast_to

            rm = attr_value(node, "round_mode", "up")
            return [cast_to(np.asarray(x), to, bool(attr_value(node, "saturate", 1)),
                            rm.decode() if isinstance(rm, bytes) else rm)]
        return [x.astype(_np_dtype(to))]
    if op == "Gather":
        return [np.take(x, ins[1].astype(np.int64), axis=attr_value(node, "axis", 0))]
    if op == "Unsqueeze":
        axes = _axes(node, ins, opset, 13, 1)
        out_rank = x.ndim + len(axes)
        axes = sorted(a % out_rank for a in axes)
        for a in axes:
            x = np.expand_dims(x, a)
        return [x]
    if op == "Squeeze":
        axes = _axes(node, ins, opset, 13, 1)
        if axes is None:
            return [np.squeeze(x)]
        return [np.squeeze(x, axis=tuple(a % x.ndim for a in axes))]
    if op == "Concat":
        return [np.concatenate([np.asarray(a) for a in ins], axis=attr_value(node, "axis"))]
    if op == "ConstantOfShape":
        fill = attr_value(node, "value")
        fill = np.zeros(1, np.float32) if fill is None else np.asarray(fill).reshape(-1)
        return [np.full(tuple(int(d) for d in x.reshape(-1)), fill[0], dtype=fill.dtype)]
    if op == "Slice":
        return [_slice(x, node, ins, opset)]
    if op == "Reshape":
        target = attr_value(node, "shape") if opset < 5 else ins[1].tolist()
        return [x.reshape(reshape_target(x.shape, target, bool(attr_value(node, "allowzero", 0))))]
    if op == "Flatten":
        axis = flatten_axis(int(attr_value(node, "axis", 1)), x.ndim)
        return [x.reshape(int(np.prod(x.shape[:axis], dtype=np.int64)), int(np.prod(x.shape[axis:], dtype=np.int64)))]
    if op == "Transpose":
        return [np.transpose(x, attr_value(node, "perm"))]
    if op == "Expand":
        shape = np.broadcast_shapes(x.shape, tuple(int(d) for d in ins[1]))
        return [np.broadcast_to(x, shape).copy()]
    if op == "Range":
        return [np.arange(x, ins[1], ins[2]).astype(x.dtype)]
    if op == "Size":
        return [np.asarray(x.size, dtype=np.int64)]
    binary = {
        "Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": _div, "Pow": np.power,
        "Equal": np.equal, "Greater": np.greater, "Less": np.less, "And": np.logical_and,
        "Or": np.logical_or, "Mod": np.mod,
    }  # fmt: skip
    if op in binary:
        out = binary[op](x, ins[1])
        if op in ("Add", "Sub", "Mul", "Pow", "Mod"):
            out = np.asarray(out).astype(x.dtype)
        return [np.asarray(out)]
    unary = {
        "Neg": np.negative, "Sqrt": np.sqrt, "Floor": np.floor, "Ceil": np.ceil, "Abs": np.abs,
        "Exp": np.exp, "Not": np.logical_not, "Reciprocal": np.reciprocal,
    }  # fmt: skip
    if op in unary:
        return [np.asarray(unary[op](x)).astype(x.dtype)]
    if op == "Where":
        return [np.where(x, ins[1], ins[2])]
    if op in ("Min", "Max"):
        fn = np.minimum if op == "Min" else np.maximum
        out = ins[0]
        for a in ins[1:]:
            out = fn(out, a)
        return [out]
    if op == "ReduceProd":
        return [_reduce(np.prod, node, ins, opset, 18)]
    if op == "ReduceSum":
        return [_reduce(np.sum, node, ins, opset, 13)]
    if op == "DequantizeLinear" and ins[0].dtype in (np.int8, np.uint8, np.int32) and \
            not attr_value(node, "block_size", 0):  # QDQ weights; onnx.reference has no version < 19
        x, scale = ins[0], np.asarray(ins[1], np.float32)
        zp = np.asarray(ins[2]).astype(np.int64) if len(ins) > 2 and ins[2] is not None else np.int64(0)
        shape = [1] * x.ndim
        if scale.size > 1:
            shape[int(attr_value(node, "axis", 1)) % x.ndim] = -1
        return [((x.astype(np.int64) - zp.reshape(shape if zp.size > 1 else ())) * scale.reshape(shape))
                .astype(np.float32)]
    return None


def flatten_axis(axis: int, rank: int) -> int:
    """Flatten's axis in [0, rank] (axis == rank is allowed: the output is [N, 1])."""
    if not -rank <= axis <= rank:
        raise ValueError(f"Flatten axis {axis} is out of range for rank {rank}")
    return axis + rank if axis < 0 else axis


# Ops whose outputs are random: never folded, whatever their inputs.
NONDETERMINISTIC = frozenset(
    {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli"}
)


def fold(node: onnx.NodeProto, ins: Arrays, opset: int) -> list[np.ndarray] | None:
    """Outputs of `node` for constant inputs, or None when it cannot be evaluated."""
    if node.op_type in NONDETERMINISTIC or node.domain not in ("", "ai.onnx"):
        return None
    outs = evaluate(node, ins, opset)
    if outs is not None:
        return outs
    return _reference(node, ins, opset)


def _reference(node: onnx.NodeProto, ins: Arrays, opset: int) -> list[np.ndarray] | None:
    from onnx.reference import ReferenceEvaluator

    names = [f"in{i}" if a is not None else "" for i, a in enumerate(ins)]
    renamed = helper.make_node(node.op_type, names, [f"out{i}" for i in range(len(node.output))],
                               domain=node.domain)
    renamed.attribute.extend(node.attribute)
    inputs = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(np.asarray(a).dtype), None)
              for n, a in zip(names, ins, strict=True) if n]
    outputs = [helper.make_value_info(o, onnx.TypeProto()) for o in renamed.output]
    model = helper.make_model(helper.make_graph([renamed], "fold", inputs, outputs),
                              opset_imports=[helper.make_opsetid("", opset)])
    try:
        ev = ReferenceEvaluator(model)
        res = ev.run(None, {n: np.asarray(a) for n, a in zip(names, ins, strict=True) if n})
    except NotImplementedError:
        return None
    except Exception as e:  # the reference kernels raise whatever numpy raises on bad input
        raise ValueError(f"{type(e).__name__}: {e}") from None
    return [np.asarray(r) for r in res]


_STORAGE_CODES, _STORAGE_NP = _storage_codes()
