"""Activation formulas of older exports rewritten into one op (run from passes.py, before
activation fusion):

* GELU, exact: x * 0.5 * (1 + erf(x / sqrt 2)) -> Gelu (what torch exports below opset 20
  for nn.GELU(), and BERT-family code that spells it out);
* GELU, tanh approximation: 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))
  -> Gelu(approximate="tanh") (HF "gelu_new", GPT-2), with x^3 as Pow(x, 3), x * x * x
  or x * (x * x);
* SiLU / Swish: x * Sigmoid(x) -> Swish (alpha 1), which Conv, Gemm and Add then take as
  their fused activation (kind 5, SiLU) like Relu: YOLOv8 and EfficientNet-style nets.

The importer has already turned x / c into x * (1 / c) and x - c into x + (-c), so the
patterns are matched over Mul and Add with constant operands, in any operand order.
Constants are compared with a relative tolerance of 1e-3 (exports write sqrt 2 and
sqrt(2 / pi) to a few digits). Every op of a matched pattern other than its input must
have no other consumer; the rewrite keeps the last op's output name.
"""

from __future__ import annotations

import math

import numpy as np

from .ir import Graph, Op


def _scalar(g: Graph, name: str) -> float | None:
    d = g.const_data(name)
    if d is None or np.asarray(d).size != 1:
        return None
    return float(np.asarray(d).reshape(-1)[0])


def _close(v: float | None, want: float) -> bool:
    return v is not None and math.isclose(v, want, rel_tol=1e-3)


def _producer(g: Graph, name: str, op_type: str) -> Op | None:
    p = g.producer(name)
    return p if p is not None and p.op_type == op_type else None


def _other(op: Op, name: str) -> str:
    return op.inputs[1] if op.inputs[0] == name else op.inputs[0]


def _mul_by(g: Graph, name: str, c: float) -> str | None:
    """x when `name` = Mul(x, c) (either order) and used only once, else None."""
    m = _producer(g, name, "Mul")
    if m is None or len(m.inputs) != 2:
        return None
    for a, b in (m.inputs, m.inputs[::-1]):
        if _close(_scalar(g, b), c) and g.const_data(a) is None:
            return a
    return None


def _plus_one(g: Graph, name: str) -> str | None:
    """t when `name` = Add(t, 1)."""
    a = _producer(g, name, "Add")
    if a is None or "activation" in a.attrs or len(a.inputs) != 2:
        return None
    for x, c in (a.inputs, a.inputs[::-1]):
        if _close(_scalar(g, c), 1.0) and g.const_data(x) is None:
            return x
    return None


def _half_x_times(g: Graph, out: Op) -> list[tuple[str, str, list[Op]]]:
    """The ways `out` (a Mul) is 0.5 * x * r: (x, r, the Muls involved) candidates."""
    if out.op_type != "Mul" or len(out.inputs) != 2:
        return []
    found = []
    a, b = out.inputs
    for p, q in ((a, b), (b, a)):
        if _close(_scalar(g, q), 0.5):  # (x * r) * 0.5
            inner = _producer(g, p, "Mul")
            if inner is not None and g.single_use(p) is out:
                found += [(inner.inputs[0], inner.inputs[1], [inner, out]),
                          (inner.inputs[1], inner.inputs[0], [inner, out])]
        x = _mul_by(g, p, 0.5)  # (x * 0.5) * r
        if x is not None and g.single_use(p) is not None:
            found.append((x, q, [g.producer(p), out]))
        r = _mul_by(g, q, 0.5)  # x * (r * 0.5)
        if r is not None and g.single_use(q) is not None:
            found.append((p, r, [g.producer(q), out]))
    return found


def _erf_arg(g: Graph, r: str, x: str) -> list[Op] | None:
    """The ops of 1 + erf(x / sqrt 2) producing r, or None."""
    t = _plus_one(g, r)
    erf = _producer(g, t, "Erf") if t else None
    if erf is None or g.single_use(t) is None:
        return None
    if _mul_by(g, erf.inputs[0], 1 / math.sqrt(2)) != x or g.single_use(erf.inputs[0]) is None:
        return None
    if g.single_use(r) is None:
        return None
    return [g.producer(erf.inputs[0]), erf, g.producer(r)]


def _cube_of(g: Graph, name: str, x: str) -> list[Op] | None:
    """The ops computing x^3 as `name`: Pow(x, 3), x * (x * x) or (x * x) * x."""
    p = _producer(g, name, "Pow")
    if p is not None:
        return [p] if p.inputs[0] == x and _close(_scalar(g, p.inputs[1]), 3.0) else None
    m = _producer(g, name, "Mul")
    if m is None or x not in m.inputs:
        return None
    sq = _producer(g, _other(m, x), "Mul")
    if sq is None or sq.inputs != [x, x] or g.single_use(sq.outputs[0]) is None:
        return None
    return [sq, m]


def _tanh_arg(g: Graph, r: str, x: str) -> list[Op] | None:
    """The ops of 1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3)) producing r, or None."""
    t = _plus_one(g, r)
    th = _producer(g, t, "Tanh") if t else None
    if th is None or g.single_use(t) is None:
        return None
    inner = _mul_by(g, th.inputs[0], math.sqrt(2 / math.pi))
    s = _producer(g, inner, "Add") if inner else None
    if s is None or x not in s.inputs or "activation" in s.attrs or g.single_use(th.inputs[0]) is None:
        return None
    c3 = _other(s, x)
    cube = _mul_by(g, c3, 0.044715)
    ops = _cube_of(g, cube, x) if cube else None
    if ops is None or g.single_use(c3) is None or g.single_use(cube) is None or g.single_use(inner) is None:
        return None
    if g.single_use(r) is None:
        return None
    return [*ops, g.producer(c3), s, g.producer(th.inputs[0]), th, g.producer(r)]


def _replace(g: Graph, ops: list[Op], new: Op) -> None:
    keep = set(new.outputs)
    last = max(g.ops.index(o) for o in ops)
    g.ops[last] = new
    for o in ops:
        if o in g.ops and o is not new:
            g.ops.remove(o)
        for out in o.outputs:
            if out not in keep:
                g.values.pop(out, None)


def fuse_gelu(g: Graph) -> int:
    n = 0
    for out in list(g.ops):
        if out not in g.ops or out.op_type != "Mul":
            continue
        for x, r, muls in _half_x_times(g, out):
            for form, match in (("none", _erf_arg), ("tanh", _tanh_arg)):
                inner = match(g, r, x)
                if inner is None:
                    continue
                ops = [*inner, *muls]
                if len({id(o) for o in ops}) != len(ops) or any(o is None for o in ops):
                    continue
                attrs = {"approximate": form}
                _replace(g, ops, Op("Gelu", out.name, [x], list(out.outputs), attrs))
                n += 1
                break
            else:
                continue
            break
    return n


def fuse_silu(g: Graph) -> int:
    """x * Sigmoid(x) -> Swish(x) (alpha 1)."""
    n = 0
    for sig in list(g.ops):
        if sig not in g.ops or sig.op_type != "Sigmoid":
            continue
        x, s = sig.inputs[0], sig.outputs[0]
        mul = g.single_use(s)
        if mul is None or mul.op_type != "Mul" or sorted(mul.inputs) != sorted([x, s]):
            continue
        if g.value(mul.outputs[0]).shape != g.value(x).shape:
            continue
        _replace(g, [sig, mul], Op("Swish", mul.name, [x], list(mul.outputs), {"alpha": 1.0}))
        n += 1
    return n
