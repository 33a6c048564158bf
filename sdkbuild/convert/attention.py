"""Attention fusion: the scaled dot-product attention that exporters write out as ops,

    scores = MatMul(q, kt) [* or / scalar] [+ mask] ; p = Softmax(scores, last axis) ;
    y = MatMul(p, v)

(BERT and its relatives, ViT/DeiT, Whisper, timm: q and/or kt may each carry a scalar Mul
too, as exports of torch's scaled_dot_product_attention do), becomes one engine Attention
op, which never materialises the [S, L] score matrix of a head, only a block of rows of it
per thread. `kt` produced by a Transpose that swaps the last two axes of k is read through
(k_transposed 0); otherwise kt is used as it is (k_transposed 1). Rank-3 operands
([batch*heads, S, D]) are viewed as [1, batch*heads, S, D] (Reshape: no copy).

Conditions: every intermediate (scores, scaled, masked, probabilities, a scaled q / kt)
has exactly one reader and is not a graph output; the scale factors are scalar constants;
the mask is float32, broadcasts to [B, H, S, L] and covers all L keys in its last axis;
k/v heads equal q's heads or divide them (grouped-query attention). Runs among the graph
passes (passes.py), after MatMul+Add -> Gemm.
"""

from __future__ import annotations

import numpy as np

from .ir import Graph, Op, Value


def _scalar(g: Graph, name: str) -> float | None:
    d = g.const_data(name)
    if d is None or d.size != 1 or not np.issubdtype(d.dtype, np.floating):
        return None
    return float(d.reshape(()))


def _scaled(g: Graph, name: str) -> tuple[str, float, list[Op]]:
    """Read through a single-use `x * c` or `x / c` (c a scalar constant) producing `name`."""
    prod = g.producer(name)
    if prod is None or prod.op_type not in ("Mul", "Div") or "activation" in prod.attrs or len(prod.inputs) != 2:
        return name, 1.0, []
    if g.single_use(name) is None:
        return name, 1.0, []
    a, b = prod.inputs
    for x, c in ((a, b), (b, a)) if prod.op_type == "Mul" else ((a, b),):
        s = _scalar(g, c)
        if s is not None and g.value(x).shape == g.value(name).shape and s != 0.0:
            return x, (s if prod.op_type == "Mul" else 1.0 / s), [prod]
    return name, 1.0, []


def _leads_to_matmul(g: Graph, name: str) -> bool:
    x = _scaled(g, name)[0]
    p = g.producer(x)
    return p is not None and p.op_type == "MatMul"


def _view4(g: Graph, name: str, ops: list[Op], hint: str) -> str:
    shape = g.value(name).shape
    if len(shape) == 4:
        return name
    new = g.fresh(f"{hint}_4d")
    g.values[new] = Value(new, (1, *shape), g.value(name).dtype)
    ops.append(Op("Reshape", new, [name], [new], {"shape": [1, *shape]}))
    return new


def fuse_attention(g: Graph) -> int:
    n = 0
    for sm in g.iter_ops("Softmax"):
        s_out = sm.outputs[0]
        rank = len(g.value(s_out).shape)
        if rank not in (3, 4) or sm.attrs.get("axis", [-1])[0] % rank != rank - 1:
            continue
        pv = g.single_use(s_out)
        if pv is None or pv.op_type != "MatMul" or pv.inputs[0] != s_out or "activation" in pv.attrs:
            continue
        chain: list[Op] = [sm]
        x = sm.inputs[0]
        if g.single_use(x) is not sm:
            continue
        mask = ""
        prod = g.producer(x)
        if prod is not None and prod.op_type == "Add" and "activation" not in prod.attrs:
            a, b = prod.inputs
            # the scores side is the one computed by MatMul (possibly through a scale)
            side = next((i for i in (a, b) if _leads_to_matmul(g, i)), None)
            if side is None or g.single_use(side) is not prod:
                continue
            mask = b if side == a else a
            chain.append(prod)
            x = side
        scale = 1.0
        x, s, ops = _scaled(g, x)
        scale *= s
        chain += ops
        qk = g.producer(x)
        if qk is None or qk.op_type != "MatMul" or "activation" in qk.attrs or g.single_use(x) is not chain[-1]:
            continue
        chain.append(qk)
        q, kt = qk.inputs
        q, s, ops = _scaled(g, q)
        scale *= s
        chain += ops
        kt, s, ops = _scaled(g, kt)
        scale *= s
        chain += ops
        qs, kts, vs = g.value(q).shape, g.value(kt).shape, g.value(pv.inputs[1]).shape
        if not (len(qs) == len(kts) == len(vs) == rank) or g.value(q).dtype != np.float32:
            continue
        S, D, L, Dv = qs[-2], qs[-1], kts[-1], vs[-1]
        if kts[-2] != D or vs[-2] != L:
            continue
        if rank == 4:
            B, H = qs[0], qs[1]
            if kts[0] != B or vs[0] != B or kts[1] != vs[1] or kts[1] < 1 or H % kts[1]:
                continue
        else:
            B, H = 1, qs[0]
            if kts[0] != H or vs[0] != H:
                continue
        if g.value(pv.outputs[0]).shape != (*qs[:-2], S, Dv):
            continue
        if mask:
            mv = g.value(mask)
            ms = mv.shape
            if mv.dtype != np.float32 or len(ms) > 4 or not ms or ms[-1] != L:
                continue
            try:
                if np.broadcast_shapes(ms, (B, H, S, L)) != (B, H, S, L):
                    continue
            except ValueError:
                continue
        # K: read through a Transpose that only swaps the last two axes
        k, k_transposed = kt, 1
        tp = g.producer(kt)
        swap = list(range(rank - 2)) + [rank - 1, rank - 2]
        if tp is not None and tp.op_type == "Transpose" and list(tp.attrs.get("perm", [])) == swap \
                and g.single_use(kt) is qk:
            k, k_transposed = tp.inputs[0], 0
            chain.append(tp)
        new_ops: list[Op] = []
        q4 = _view4(g, q, new_ops, f"{pv.name}_q")
        k4 = _view4(g, k, new_ops, f"{pv.name}_k")
        v4 = _view4(g, pv.inputs[1], new_ops, f"{pv.name}_v")
        y = pv.outputs[0]
        y4 = y
        if rank == 3:
            y4 = g.fresh(f"{pv.name}_y4d")
            g.values[y4] = Value(y4, (1, H, S, Dv), np.dtype(np.float32))
        attrs = {"scale": [float(scale)], "k_transposed": [k_transposed]}
        new_ops.append(Op("Attention", pv.name, [q4, k4, v4] + ([mask] if mask else []), [y4], attrs))
        if rank == 3:
            new_ops.append(Op("Reshape", f"{pv.name}_y", [y4], [y], {"shape": list(g.value(y).shape)}))
        # the new ops take the final MatMul's place (all their inputs exist before it)
        i = g.ops.index(pv)
        g.ops[i : i + 1] = new_ops
        for op in chain:
            g.ops.remove(op)
            for o in op.outputs:
                if o != y and o in g.values and not g.consumers(o):
                    del g.values[o]
        n += 1
    return n
