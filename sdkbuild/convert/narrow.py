"""int64 -> int32 narrowing (a pass run from passes.py, last before dead-code removal).

ONNX computes indices, shapes, masks and token arithmetic in int64; the engine computes an
integer tensor in int32 where the converter can prove its values fit, in int64 where not:

* value ranges are propagated in graph order by interval arithmetic: constants by their
  values, Cast outputs by their source type (bool, int8, uint8, int32), then Add, Sub,
  Mul, Div, Min, Max, Abs, Neg, Sign, Where, Concat and the data-movement ops; anything
  else (graph inputs, Cast from floats, ops without a rule) is unknown: it may not fit;
* tensors that an op requires to share one dtype (the inputs and output of Add, the data
  of Where, Reshape's input and output, ...) are narrowed together or not at all, with
  their constants converted; a Cast's output is free (the Cast then targets int32), and
  so are the indices of Gather-like ops (which take int32 and int64);
* graph inputs and outputs keep their declared dtypes: an input's range is unknown, an
  output computed in int32 gets a Cast back to int64; a tensor touched by an op this pass
  does not know stays int64.

What it buys is small on today's exports: BERT-family graphs take int64 token ids and
masks as inputs (unknown ranges) and cast the mask to float right away, so nothing in them
narrows; see docs/convert.md for the measurement.
"""

from __future__ import annotations

import numpy as np

from .ir import Graph, Op, Value
from .registry import engine_ops

I32_MIN, I32_MAX = -(2**31), 2**31 - 1
I64 = np.dtype(np.int64)
Range = tuple[int, int] | None

# ops whose computed inputs and outputs all have one dtype
_SAME = {"Add", "Sub", "Mul", "Div", "Pow", "Min", "Max", "Abs", "Neg", "Sign", "Reshape", "Transpose", "Slice",
         "Concat", "Expand", "Tile", "Pad", "Identity", "Flatten", "Squeeze", "Unsqueeze", "Gather",
         "GatherElements", "GatherND", "Trilu", "DepthToSpace", "SpaceToDepth"}
# ops whose inputs 0 and 1 share a dtype and whose output is bool
_COMPARE = {"Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual"}
# input positions that are indices (int32 or int64, free of the data's dtype)
_INDICES = {"Gather": (1,), "GatherElements": (1,), "GatherND": (1,), "ScatterND": (1,)}
_SRC_RANGE = {np.dtype(np.bool_): (0, 1), np.dtype(np.int8): (-128, 127), np.dtype(np.uint8): (0, 255),
              np.dtype(np.int32): (I32_MIN, I32_MAX)}


class _Sets:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, a: str) -> str:
        self.parent.setdefault(a, a)
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, names: list[str]) -> None:
        for n in names[1:]:
            self.parent[self.find(n)] = self.find(names[0])


def _ranges(g: Graph) -> dict[str, Range]:
    r: dict[str, Range] = {}

    def get(name: str) -> Range:
        if not name:
            return None
        v = g.values.get(name)
        if v is not None and v.is_const and np.issubdtype(np.asarray(v.data).dtype, np.integer):
            d = np.asarray(v.data)
            return (int(d.min()), int(d.max())) if d.size else None
        return r.get(name)

    for op in g.ops:
        ins = [get(i) for i in op.inputs]
        out: Range = None
        t = op.op_type
        if t == "Cast" and op.inputs:
            out = _SRC_RANGE.get(np.dtype(g.values[op.inputs[0]].dtype))
        elif all(x is not None for x in ins) and ins:
            if t == "Add":
                out = (ins[0][0] + ins[1][0], ins[0][1] + ins[1][1])
            elif t == "Sub":
                out = (ins[0][0] - ins[1][1], ins[0][1] - ins[1][0])
            elif t == "Mul":
                p = [a * b for a in ins[0] for b in ins[1]]
                out = (min(p), max(p))
            elif t == "Div":  # truncating: |a / b| <= |a| (and x / 0 = 0)
                m = max(abs(ins[0][0]), abs(ins[0][1]))
                out = (-m, m)
            elif t in ("Min", "Max"):
                f = min if t == "Min" else max
                out = (f(ins[0][0], ins[1][0]), f(ins[0][1], ins[1][1]))
            elif t == "Abs":
                lo, hi = ins[0]
                out = (0 if lo <= 0 <= hi else min(abs(lo), abs(hi)), max(abs(lo), abs(hi)))
            elif t == "Neg":
                out = (-ins[0][1], -ins[0][0])
            elif t == "Sign":
                out = (-1, 1)
            elif t in ("Concat",):
                out = (min(x[0] for x in ins), max(x[1] for x in ins))
            elif t in ("Reshape", "Transpose", "Slice", "Expand", "Tile", "Identity", "Flatten", "Squeeze",
                       "Unsqueeze", "DepthToSpace", "SpaceToDepth"):
                out = ins[0]
        if t == "Where" and len(ins) == 3 and ins[1] is not None and ins[2] is not None:
            out = (min(ins[1][0], ins[2][0]), max(ins[1][1], ins[2][1]))
        if t in ("Gather", "GatherElements", "GatherND") and ins and ins[0] is not None:
            out = ins[0]
        if op.outputs:
            r[op.outputs[0]] = out
    return r


def narrow_int64(g: Graph) -> int:
    """Retype provably small int64 tensors as int32; returns how many tensors changed."""
    if not any(v.dtype == I64 for v in g.values.values()):
        return 0
    sets = _Sets()
    pinned: set[str] = set(g.inputs)
    is64 = {n for n, v in g.values.items() if v.dtype == I64}
    known = engine_ops()
    for op in g.ops:
        t = op.op_type
        free = set(_INDICES.get(t, ()))
        if t == "Cast":
            continue  # input and output independent
        takes_i32 = t in known and "int32" in known[t].dtypes
        if takes_i32 and (t in _SAME or t == "Where"):
            linked = [n for k, n in enumerate(op.inputs) if n and k not in free and not (t == "Where" and k == 0)]
            linked += list(op.outputs[:1])
            sets.union([n for n in linked if n in is64] or linked[:1])
            continue
        if takes_i32 and t in _COMPARE:
            sets.union([n for n in op.inputs[:2] if n])
            continue
        for n in [*op.inputs, *op.outputs]:  # an op without a rule here: its int64 tensors stay int64
            if n in is64:
                pinned.add(n)
    ranges = _ranges(g)
    groups: dict[str, list[str]] = {}
    for n in is64:
        groups.setdefault(sets.find(n), []).append(n)
    changed = 0
    for members in groups.values():
        ok = True
        for n in members:
            v = g.values[n]
            rng = (int(np.asarray(v.data).min()), int(np.asarray(v.data).max())) if v.is_const and v.data.size \
                else ranges.get(n)
            if n in pinned or rng is None or rng[0] < I32_MIN or rng[1] > I32_MAX:
                ok = False
                break
        if not ok or all(g.values[n].is_const for n in members):
            continue
        for n in members:
            v = g.values[n]
            v.dtype = np.dtype(np.int32)
            if v.is_const:
                v.data = np.asarray(v.data).astype(np.int32)
            changed += 1
    if changed:
        _retarget_casts(g)
        _widen_outputs(g)
    return changed


def _retarget_casts(g: Graph) -> None:
    for op in g.ops:
        if op.op_type == "Cast" and g.values[op.outputs[0]].dtype == np.int32:
            op.attrs["to"] = [6]  # TensorProto.INT32


def _widen_outputs(g: Graph) -> None:
    """Graph outputs keep int64: computed in int32 under another name, then Cast."""
    for o in list(g.outputs):
        v = g.values[o]
        if v.dtype != np.int32 or g.producer(o) is None:
            continue
        inner = g.fresh(f"{o}_i32")
        g.values[inner] = Value(inner, v.shape, np.dtype(np.int32))
        prod = g.producer(o)
        prod.outputs = [inner if x == o else x for x in prod.outputs]
        for op in g.ops:
            op.inputs = [inner if x == o else x for x in op.inputs]
        v.dtype = I64
        g.ops.insert(g.ops.index(prod) + 1, Op("Cast", f"{o}/to_int64", [inner], [o], {"to": [7]}))
