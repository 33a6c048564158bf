"""LayerNorm rewrite: the decomposed layer normalization of exports before opset 17,

    mean = ReduceMean(x, axes=A, keepdims=1) ; d = Sub(x, mean) ;
    var = ReduceMean(Pow(d, 2) | Mul(d, d), axes=A, keepdims=1) ;
    y = Div(d, Sqrt(Add(var, eps)))  (or Mul(d, Reciprocal(Sqrt(...))))
    [ * gamma ] [ + beta ]   (gamma, beta constants)

where A are the last axes of x, becomes one engine LayerNormalization (axis = first of A,
epsilon = eps, scale = gamma or ones, bias = beta). Matched on the converter IR by the ONNX
meaning of the engine ops (ReduceMean with `axes` as an attribute or constant input, Sub,
Pow with a constant exponent 2, Mul, Add, Sqrt, Div, Reciprocal); every intermediate must
have no reader outside the pattern and not be a graph output. Runs among the graph passes
(passes.py), before the attention fusion.
"""

from __future__ import annotations

import numpy as np

from .ir import Graph, Op


def _const(g: Graph, name: str) -> np.ndarray | None:
    return g.const_data(name)


def _other(op: Op, name: str) -> str | None:
    if len(op.inputs) != 2 or name not in op.inputs or op.inputs[0] == op.inputs[1]:
        return None
    return op.inputs[1] if op.inputs[0] == name else op.inputs[0]


def _reduce_axes(g: Graph, op: Op) -> list[int] | None:
    """Normalized axes of a keepdims ReduceMean, or None."""
    if op.op_type != "ReduceMean" or "activation" in op.attrs:
        return None
    if op.attrs.get("keepdims", [1])[0] != 1:
        return None
    rank = len(g.value(op.inputs[0]).shape)
    axes = op.attrs.get("axes")
    if axes is None and len(op.inputs) > 1 and op.inputs[1]:
        data = _const(g, op.inputs[1])
        axes = None if data is None else [int(a) for a in data.reshape(-1)]
    if not axes or not isinstance(axes, list | tuple):
        return None
    return sorted(int(a) % rank for a in axes)


def _users(g: Graph, name: str) -> list[Op]:
    return [] if name in g.outputs else g.consumers(name)


def _single(g: Graph, name: str, op_type: str | tuple[str, ...]) -> Op | None:
    u = g.single_use(name)
    types = (op_type,) if isinstance(op_type, str) else op_type
    return u if u is not None and u.op_type in types and "activation" not in u.attrs else None


def fuse_layernorm(g: Graph) -> int:
    n = 0
    for mean_op in g.iter_ops("ReduceMean"):
        x = mean_op.inputs[0]
        xs = g.value(x).shape
        axes = _reduce_axes(g, mean_op)
        if axes is None or axes != list(range(axes[0], len(xs))) or g.value(x).dtype != np.float32:
            continue
        mean = mean_op.outputs[0]
        sub = _single(g, mean, "Sub")
        if sub is None or sub.inputs != [x, mean]:
            continue
        d = sub.outputs[0]
        users = _users(g, d)
        if len(users) != 2 and not (len(users) == 1 and users[0].op_type == "Mul" and users[0].inputs == [d, d]):
            continue
        sq = next((u for u in users if (u.op_type == "Pow" and _is_two(g, u, d))
                   or (u.op_type == "Mul" and u.inputs == [d, d])), None)
        if sq is None:
            continue
        rest = [u for u in users if u is not sq]
        var_op = _single(g, sq.outputs[0], "ReduceMean")
        if var_op is None or _reduce_axes(g, var_op) != axes:
            continue
        add_eps = _single(g, var_op.outputs[0], "Add")
        eps = _scalar_other(g, add_eps, var_op.outputs[0]) if add_eps else None
        if eps is None:
            continue
        sqrt = _single(g, add_eps.outputs[0], "Sqrt")
        if sqrt is None or len(rest) != 1:
            continue
        norm_op = rest[0]
        chain = [mean_op, sub, sq, var_op, add_eps, sqrt]
        if norm_op.op_type == "Div" and norm_op.inputs == [d, sqrt.outputs[0]] and \
                g.single_use(sqrt.outputs[0]) is norm_op:
            pass
        elif norm_op.op_type == "Mul":
            rec = _single(g, sqrt.outputs[0], "Reciprocal")
            if rec is None or sorted(norm_op.inputs) != sorted([d, rec.outputs[0]]) or \
                    g.single_use(rec.outputs[0]) is not norm_op:
                continue
            chain.append(rec)
        else:
            continue
        chain.append(norm_op)
        inner = tuple(xs[axes[0]:])
        y = norm_op.outputs[0]
        scale = np.ones(inner, np.float32)
        bias = np.zeros(inner, np.float32)
        has_bias = False
        mul = _single(g, y, "Mul")
        gamma = _const(g, _other(mul, y)) if mul is not None and _other(mul, y) else None
        if gamma is not None and _fits(gamma, inner) and g.value(mul.outputs[0]).shape == xs:
            scale = np.broadcast_to(gamma.astype(np.float32), inner).copy()
            chain.append(mul)
            y = mul.outputs[0]
        add = _single(g, y, "Add")
        beta = _const(g, _other(add, y)) if add is not None and _other(add, y) else None
        if beta is not None and _fits(beta, inner) and g.value(add.outputs[0]).shape == xs:
            bias = np.broadcast_to(beta.astype(np.float32), inner).copy()
            chain.append(add)
            y = add.outputs[0]
            has_bias = True
        ins = [x, g.const(scale, f"{mean_op.name}_ln_scale")]
        if has_bias:
            ins.append(g.const(bias, f"{mean_op.name}_ln_bias"))
        ln = Op("LayerNormalization", f"{mean_op.name}_layernorm", ins, [y],
                {"axis": [axes[0]], "epsilon": [float(eps)]})
        last = max(g.ops.index(op) for op in chain)
        g.ops[last] = ln
        for op in chain:
            if op in g.ops and op is not ln:
                g.ops.remove(op)
            for o in op.outputs:
                if o != y and o in g.values and not g.consumers(o) and o not in g.outputs:
                    del g.values[o]
        n += 1
    return n


def _is_two(g: Graph, op: Op, d: str) -> bool:
    if op.inputs[0] != d:
        return False
    if len(op.inputs) > 1 and op.inputs[1]:
        e = _const(g, op.inputs[1])
        return e is not None and e.size == 1 and float(e.reshape(())) == 2.0
    exp = op.attrs.get("exponent")
    return exp is not None and float(exp[0]) == 2.0


def _scalar_other(g: Graph, op: Op, name: str) -> float | None:
    o = _other(op, name)
    data = _const(g, o) if o else None
    if data is None or data.size != 1:
        return None
    v = float(data.reshape(()))
    return v if v >= 0 else None


def _fits(c: np.ndarray, inner: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(c.shape, inner) == inner
    except ValueError:
        return False
