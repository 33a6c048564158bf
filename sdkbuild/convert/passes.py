"""Graph passes over the converter IR (ir.Graph), run after import, in this order:

1. `fuse_hardswish`: HardSigmoid(x; 1/6, 0.5) * x -> HardSwish(x) (any other HardSigmoid
   is an engine op).
   `act_patterns.fuse_gelu`, `act_patterns.fuse_silu`: the GELU formulas -> Gelu,
   x * Sigmoid(x) -> Swish (SiLU) (see act_patterns.py).
2. `fold_batchnorm`: BatchNormalization folded into the Conv/Gemm that produces its input
   (weights and bias rescaled); a BN without such a producer becomes Mul + Add.
2b. `fold_conv_affine`: Mul / Add of a Conv's output by a per-output-channel (or scalar)
   constant folded into the Conv's weights and bias (onnx's light models follow each
   Conv + BN with such a Mul and Add: two passes over every activation).
3. `matmul_add_to_gemm`: MatMul(x, W) + b with constant W and a bias vector -> Gemm.
3b. `fuse_layernorm` (layernorm.py): ReduceMean/Sub/Pow/Sqrt/Div(/Mul/Add) -> LayerNormalization.
3c. `fuse_attention` (attention.py): MatMul-scale-mask-Softmax-MatMul -> Attention.
4. `fuse_activations`: Relu / Clip / HardSwish / Sigmoid / SiLU following a Conv, Gemm or Add
   whose output has no other use -> the producer's `activation` attribute.
5. `narrow.narrow_int64`: int64 tensors whose values provably fit computed as int32.
6. `remove_dead`: ops and constants nobody uses.

Each pass returns how many rewrites it made (for the conversion summary).
"""

from __future__ import annotations

import numpy as np

from . import act_patterns
from .attention import fuse_attention
from .ir import FUSABLE_PRODUCERS, Graph, Op, Value
from .layernorm import fuse_layernorm
from .narrow import narrow_int64

ACTIVATIONS = {"Relu": 1, "Clip": 2, "HardSwish": 3, "Sigmoid": 4, "Swish": 5}  # Swish: alpha 1 (SiLU) only


def fuse_hardswish(g: Graph) -> int:
    n = 0
    for hs in g.iter_ops("HardSigmoid"):
        if not (np.isclose(hs.attrs["alpha"], 1 / 6, rtol=1e-4) and np.isclose(hs.attrs["beta"], 0.5)):
            continue
        x, h = hs.inputs[0], hs.outputs[0]
        mul = g.single_use(h)
        if mul is None or mul.op_type != "Mul" or sorted(mul.inputs) != sorted([x, h]):
            continue
        if g.value(mul.outputs[0]).shape != g.value(x).shape:
            continue
        g.ops[g.ops.index(mul)] = Op("HardSwish", mul.name, [x], mul.outputs)
        g.ops.remove(hs)
        del g.values[h]
        n += 1
    return n


def _fold_bn_into_conv(g: Graph, conv: Op, scale: np.ndarray, shift: np.ndarray) -> bool:
    w = g.const_data(conv.inputs[1])
    if w is None or w.shape[0] != scale.size:
        return False
    b = g.const_data(conv.inputs[2]) if len(conv.inputs) > 2 and conv.inputs[2] else np.zeros(scale.size)
    w64 = w.astype(np.float64) * scale.reshape(-1, *([1] * (w.ndim - 1)))
    b64 = b.astype(np.float64) * scale + shift
    conv.inputs = [conv.inputs[0], g.const(w64.astype(np.float32), f"{conv.name}_W_bn"),
                   g.const(b64.astype(np.float32), f"{conv.name}_B_bn")]
    return True


def _fold_bn_into_gemm(g: Graph, gemm: Op, scale: np.ndarray, shift: np.ndarray) -> bool:
    if gemm.attrs.get("transA", [0])[0] not in (0, 1):
        return False
    b = g.const_data(gemm.inputs[1])
    if b is None:
        return False
    trans_b = gemm.attrs.get("transB", [0])[0]
    n = b.shape[0] if trans_b else b.shape[1]
    if n != scale.size:
        return False
    b64 = b.astype(np.float64) * (scale[:, None] if trans_b else scale[None, :])
    beta = gemm.attrs.get("beta", [1.0])[0]
    c = g.const_data(gemm.inputs[2]) if len(gemm.inputs) > 2 and gemm.inputs[2] else None
    if len(gemm.inputs) > 2 and gemm.inputs[2] and c is None:
        return False  # a computed C cannot be rescaled at conversion time
    c64 = (beta * c.astype(np.float64) if c is not None else 0.0) * scale + shift
    gemm.inputs = [gemm.inputs[0], g.const(b64.astype(np.float32), f"{gemm.name}_B_bn"),
                   g.const(np.asarray(c64, dtype=np.float32), f"{gemm.name}_C_bn")]
    gemm.attrs["beta"] = [1.0]
    return True


def fold_batchnorm(g: Graph) -> tuple[int, int]:
    """Returns (BNs folded into a producer, BNs lowered to Mul + Add)."""
    folded = lowered = 0
    for bn in g.iter_ops("BatchNormalization"):
        x, out = bn.inputs[0], bn.outputs[0]
        scale = g.const_data(bn.inputs[1]).astype(np.float64)
        shift = g.const_data(bn.inputs[2]).astype(np.float64)
        prod = g.producer(x)
        ok = False
        if prod is not None and g.single_use(x) is bn and "activation" not in prod.attrs:
            if prod.op_type == "Conv":
                ok = _fold_bn_into_conv(g, prod, scale, shift)
            elif prod.op_type == "Gemm" and len(g.value(x).shape) == 2:
                ok = _fold_bn_into_gemm(g, prod, scale, shift)
        if ok:
            prod.outputs = [out]
            g.ops.remove(bn)
            del g.values[x]
            folded += 1
            continue
        # standalone: y = x * scale + shift, with the per-channel constants broadcast on axis 1
        shape = g.value(x).shape
        bshape = (scale.size,) + (1,) * (len(shape) - 2)
        s = g.const(scale.astype(np.float32).reshape(bshape), f"{bn.name}_scale")
        t = g.const(shift.astype(np.float32).reshape(bshape), f"{bn.name}_shift")
        mid = g.fresh(f"{bn.name}_scaled")
        g.values[mid] = Value(mid, shape, np.dtype(np.float32))
        i = g.ops.index(bn)
        g.ops[i : i + 1] = [Op("Mul", f"{bn.name}_mul", [x, s], [mid]), Op("Add", bn.name, [mid, t], [out])]
        lowered += 1
    return folded, lowered


def _channel_const(g: Graph, name: str, out_shape: tuple, oc: int) -> np.ndarray | None:
    """A finite float constant that broadcasts over `out_shape` (N, OC, ...) per output channel
    or as a scalar without growing it: its OC values (float64), else None."""
    c = g.const_data(name)
    if c is None or c.dtype != np.float32 or not np.all(np.isfinite(c)) or len(c.shape) > len(out_shape):
        return None
    shape = (1,) * (len(out_shape) - len(c.shape)) + tuple(c.shape)
    if len(shape) < 2 or shape[0] != 1 or shape[1] not in (1, oc) or any(d != 1 for d in shape[2:]):
        return None
    return np.broadcast_to(c.astype(np.float64).reshape(-1), (oc,)) if c.size == 1 else c.astype(np.float64).reshape(oc)


def fold_conv_affine(g: Graph) -> int:
    """Conv -> Mul(c) / Add(c), c constant per output channel (or a scalar), with the Conv's
    output used only there: the Conv's weights (Mul) and bias (Mul, Add) absorb it."""
    n = 0
    changed = True
    while changed:
        changed = False
        for op in list(g.ops):
            if op.op_type not in ("Mul", "Add") or op not in g.ops or "activation" in op.attrs or len(op.inputs) != 2:
                continue
            for k in (0, 1):
                x, other = op.inputs[k], op.inputs[1 - k]
                conv = g.producer(x)
                if conv is None or conv.op_type != "Conv" or "activation" in conv.attrs or g.single_use(x) is not op:
                    continue
                w = g.const_data(conv.inputs[1])
                out_shape = tuple(g.value(x).shape)
                if w is None or w.dtype != np.float32 or len(out_shape) < 3 or g.value(op.outputs[0]).shape != out_shape:
                    continue
                has_b = len(conv.inputs) > 2 and bool(conv.inputs[2])
                b = g.const_data(conv.inputs[2]) if has_b else np.zeros(w.shape[0], np.float32)
                c = _channel_const(g, other, out_shape, w.shape[0])
                if b is None or c is None:
                    continue
                b64 = b.astype(np.float64)
                if op.op_type == "Mul":
                    w64 = w.astype(np.float64) * c.reshape(-1, *([1] * (w.ndim - 1)))
                    conv.inputs = [conv.inputs[0], g.const(w64.astype(np.float32), f"{conv.name}_W_mul"),
                                   g.const((b64 * c).astype(np.float32), f"{conv.name}_B_mul")]
                else:
                    conv.inputs = [conv.inputs[0], conv.inputs[1], g.const((b64 + c).astype(np.float32),
                                                                           f"{conv.name}_B_add")]
                conv.outputs = list(op.outputs)
                g.ops.remove(op)
                del g.values[x]
                n += 1
                changed = True
                break
    return n


def matmul_add_to_gemm(g: Graph) -> int:
    n = 0
    for mm in g.iter_ops("MatMul"):
        w = g.const_data(mm.inputs[1])
        out = mm.outputs[0]
        add = g.single_use(out)
        if w is None or add is None or add.op_type != "Add" or "activation" in add.attrs:
            continue
        if w.ndim != 2 or len(g.value(mm.inputs[0]).shape) != 2:
            continue
        other = add.inputs[1] if add.inputs[0] == out else add.inputs[0]
        c = g.const_data(other)
        cols = w.shape[1]
        if c is None or c.size != cols or c.shape not in ((cols,), (1, cols)):
            continue
        gemm = Op("Gemm", mm.name, [mm.inputs[0], mm.inputs[1], g.const(c.reshape(cols), f"{mm.name}_bias")],
                  add.outputs, {"alpha": [1.0], "beta": [1.0], "transA": [0], "transB": [0]})
        g.ops[g.ops.index(mm)] = gemm
        g.ops.remove(add)
        del g.values[out]
        n += 1
    return n


def fuse_activations(g: Graph) -> int:
    """Also through a Reshape in between (Conv -> Reshape -> Relu, as 1-D convolutions are
    lowered): an element-wise activation commutes with a reshape."""
    n = 0
    for act in list(g.ops):
        if act.op_type not in ACTIVATIONS or act not in g.ops:
            continue
        if act.op_type == "Swish" and float(act.attrs.get("alpha", 1.0)) != 1.0:
            continue
        x = act.inputs[0]
        if g.single_use(x) is not act:
            continue
        prod = g.producer(x)
        via = None
        if prod is not None and prod.op_type == "Reshape" and g.single_use(prod.inputs[0]) is prod:
            via, prod = prod, g.producer(prod.inputs[0])
        if prod is None or prod.op_type not in FUSABLE_PRODUCERS or "activation" in prod.attrs:
            continue
        code = ACTIVATIONS[act.op_type]
        if act.op_type == "Clip":
            lo, hi = act.attrs.get("min", [-np.inf])[0], act.attrs.get("max", [np.inf])[0]
            if lo == 0.0 and hi == np.inf:
                code = ACTIVATIONS["Relu"]  # Clip(0, inf) is Relu
            else:
                prod.attrs["activation_params"] = [float(lo), float(hi)]
        prod.attrs["activation"] = [code]
        (via or prod).outputs = act.outputs
        g.ops.remove(act)
        del g.values[x]
        n += 1
    return n


def run_all(g: Graph) -> dict[str, int]:
    stats: dict[str, int] = {}
    stats["HardSigmoid*x -> HardSwish"] = fuse_hardswish(g)
    stats["GELU formula -> Gelu"] = act_patterns.fuse_gelu(g)
    stats["x*Sigmoid(x) -> SiLU"] = act_patterns.fuse_silu(g)
    stats["BN folded"], stats["BN lowered to Mul+Add"] = fold_batchnorm(g)
    stats["Conv * / + per-channel constant folded"] = fold_conv_affine(g)
    stats["MatMul+Add -> Gemm"] = matmul_add_to_gemm(g)
    stats["LayerNorm pattern -> LayerNormalization"] = fuse_layernorm(g)
    stats["attention fused"] = fuse_attention(g)
    stats["activations fused"] = fuse_activations(g)
    stats["int64 tensors computed as int32"] = narrow_int64(g)
    stats["dead ops removed"] = g.remove_dead()
    return stats
