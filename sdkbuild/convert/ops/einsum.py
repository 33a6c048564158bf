"""Einsum onto Transpose, Reshape and the engine's batched MatMul.

One operand: a permutation (Transpose), with summed indices contracted against a vector of
ones by MatMul. Two operands: indices in both inputs and the output are batch axes (kept
apart, so they broadcast as MatMul's do), indices in both inputs only are contracted, the
rest are rows (left) or columns (right): A -> [batch..., rows, K], B -> [batch..., K, cols],
MatMul, then Reshape and Transpose into the output's order. Refused with a reason:
repeated indices within one operand (diagonals), more than two operands, an index summed
within a single operand of a two-operand equation.
"""

from __future__ import annotations

import string

import numpy as np

from ..importer import NodeContext, Unsupported
from ..registry import onnx_op


def parse(equation: str, ranks: list[int]) -> tuple[list[str], str]:
    """Operand and output subscripts with '...' expanded to fresh letters."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ranks):
        raise Unsupported(f"equation {equation!r} names {len(terms)} operands but the node has {len(ranks)}")
    used = set(eq) - set(".,->")
    spare = [c for c in string.ascii_letters if c not in used]
    ell_rank = max([r - len(t.replace("...", "")) for t, r in zip(terms, ranks, strict=True) if "..." in t],
                   default=0)
    ell = "".join(spare[:ell_rank])
    out_terms = []
    for t, r in zip(terms, ranks, strict=True):
        if "..." in t:
            n = r - len(t.replace("...", ""))
            t = t.replace("...", ell[ell_rank - n:] if n else "")
        if len(t) != r or not all(c.isalpha() for c in t):
            raise Unsupported(f"subscripts {t!r} do not fit an operand of rank {r}")
        out_terms.append(t)
    if arrow:
        out = rhs.replace("...", ell)
    else:  # implicit output: the ellipsis, then the indices seen once, in alphabetical order
        counts: dict[str, int] = {}
        for t in out_terms:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    if not all(c.isalpha() for c in out) or len(set(out)) != len(out):
        raise Unsupported(f"bad output subscripts {out!r}")
    return out_terms, out


def _transpose(ctx: NodeContext, x: str, perm: list[int], hint: str) -> str:
    if perm == sorted(perm):
        return x
    shape = ctx.g.values[x].shape
    y = ctx.tmp(hint, tuple(shape[p] for p in perm), ctx.g.values[x].dtype)
    ctx.emit("Transpose", [x], [y], {"perm": perm}, name=f"{ctx.label}_{hint}")
    return y


def _reshape(ctx: NodeContext, x: str, shape: tuple[int, ...], hint: str) -> str:
    if ctx.g.values[x].shape == tuple(shape):
        return x
    y = ctx.tmp(hint, shape, ctx.g.values[x].dtype)
    ctx.reshape(x, y, shape, name=f"{ctx.label}_{hint}")
    return y


@onnx_op("Einsum", max_version=28,
         doc="one or two operands, float32: permutations, sums, batched matrix products (with '...' and "
         "broadcast batch axes); no diagonals (repeated indices) and no more than two operands")
def einsum(ctx: NodeContext) -> None:
    eq = ctx.attr("equation")
    eq = eq.decode() if isinstance(eq, bytes) else str(eq)
    n = ctx.num_inputs
    if n not in (1, 2):
        raise Unsupported(f"{n} operands (only one or two are supported)")
    shapes = [ctx.shape(i) for i in range(n)]
    terms, out = parse(eq, [len(s) for s in shapes])
    for t in terms:
        if len(set(t)) != len(t):
            raise Unsupported(f"repeated index in {t!r} (a diagonal) is not supported")
    if set(out) - set("".join(terms)):
        raise Unsupported(f"output index not in any operand: {eq!r}")
    size: dict[str, int] = {}
    for t, s in zip(terms, shapes, strict=True):
        for c, d in zip(t, s, strict=True):
            if c in size and size[c] != d and 1 not in (size[c], d):
                raise Unsupported(f"index {c!r} has sizes {size[c]} and {d}")
            size[c] = max(size.get(c, 1), d)
    out_shape = tuple(size[c] for c in out)
    ctx.declare_output(0, out_shape, np.float32)  # ONNX's inference refuses ellipses of different ranks
    if n == 1:
        t, x = terms[0], ctx.input(0)
        kept = [c for c in out]
        summed = [c for c in t if c not in out]
        x = _transpose(ctx, x, [t.index(c) for c in kept + summed], "perm")
        if summed:
            rows = int(np.prod([size[c] for c in kept], dtype=np.int64))
            k = int(np.prod([size[c] for c in summed], dtype=np.int64))
            flat = _reshape(ctx, x, (rows, k), "rows")
            ones = ctx.constant(np.ones((k, 1), np.float32), "ones")
            prod = ctx.tmp("sum", (rows, 1))
            ctx.emit("MatMul", [flat, ones], [prod])
            x = prod
            ctx.count("Einsum sum as MatMul by ones")
        ctx.reshape(x, ctx.output(0), out_shape, name=f"{ctx.label}_out")
        return
    ta, tb = terms
    for t, other in ((ta, tb), (tb, ta)):
        lone = [c for c in t if c not in other and c not in out]
        if lone:
            raise Unsupported(f"index {''.join(lone)!r} is summed within one operand of two")
    batch = [c for c in out if c in ta and c in tb]
    contract = [c for c in ta if c in tb and c not in out]
    left = [c for c in out if c in ta and c not in tb]
    right = [c for c in out if c in tb and c not in ta]
    if len(batch) + 2 > 6:
        raise Unsupported(f"{len(batch)} batch axes (the engine's MatMul takes up to 4)")
    sa, sb = shapes

    def dims(t: str, s: tuple[int, ...], cs: list[str]) -> list[int]:
        return [s[t.index(c)] for c in cs]

    a = _transpose(ctx, ctx.input(0), [ta.index(c) for c in batch + left + contract], "a_perm")
    b = _transpose(ctx, ctx.input(1), [tb.index(c) for c in batch + contract + right], "b_perm")
    m = int(np.prod([size[c] for c in left], dtype=np.int64))
    k = int(np.prod([size[c] for c in contract], dtype=np.int64))
    nn = int(np.prod([size[c] for c in right], dtype=np.int64))
    a = _reshape(ctx, a, (*dims(ta, sa, batch), m, k), "a3")
    b = _reshape(ctx, b, (*dims(tb, sb, batch), k, nn), "b3")
    prod_shape = (*[size[c] for c in batch], m, nn)
    prod = ctx.tmp("mm", prod_shape)
    ctx.emit("MatMul", [a, b], [prod])
    order = batch + left + right
    y = _reshape(ctx, prod, tuple(size[c] for c in order), "split")
    perm = [order.index(c) for c in out]
    if perm != sorted(perm):
        ctx.emit("Transpose", [y], [ctx.output(0)], {"perm": perm}, name=f"{ctx.label}_out")
    else:
        ctx.reshape(y, ctx.output(0), out_shape, name=f"{ctx.label}_out")
