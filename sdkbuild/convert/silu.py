"""SiLU fusion: `y = x * Sigmoid(x)` after a Conv, Gemm or Add becomes that producer's fused
activation 5 (SiLU), so the engine applies it in the producer's epilogue instead of
running a Sigmoid and a Mul over the tensor (EfficientNet's, RegNet's and YOLO's Swish).

Pattern: x (output of a Conv/Gemm/Add without an activation, not a graph output) is read
by exactly two ops, a Sigmoid(x) -> s and a Mul(x, s) (either order) whose result has
x's shape; s has no other reader. Runs among the graph passes (convert/passes.py), after
BN folding and before the single-activation fusion.
"""

from __future__ import annotations

from .ir import FUSABLE_PRODUCERS, Graph

ACT_SILU = 5  # sdkm.ACT_SILU: the engine's kActSilu


def fuse_silu(g: Graph) -> int:
    n = 0
    for sig in g.iter_ops("Sigmoid"):
        x, s = sig.inputs[0], sig.outputs[0]
        if x in g.outputs or x in g.inputs:
            continue
        mul = g.single_use(s)
        if mul is None or mul.op_type != "Mul" or sorted(mul.inputs) != sorted([x, s]):
            continue
        users = g.consumers(x)
        if len(users) != 2 or {id(u) for u in users} != {id(sig), id(mul)}:
            continue
        prod = g.producer(x)
        if prod is None or prod.op_type not in FUSABLE_PRODUCERS or "activation" in prod.attrs:
            continue
        if g.value(mul.outputs[0]).shape != g.value(x).shape:
            continue
        prod.attrs["activation"] = [ACT_SILU]
        prod.outputs = [mul.outputs[0] if o == x else o for o in prod.outputs]
        g.ops.remove(sig)
        g.ops.remove(mul)
        del g.values[x]
        del g.values[s]
        n += 1
    return n
