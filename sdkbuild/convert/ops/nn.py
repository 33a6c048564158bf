"""Convolution, dense layers, pooling, Softmax, LRN and BatchNormalization."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..importer import NodeContext, Unsupported
from ..registry import engine_op, onnx_op


def conv_out(size: int, k: int, s: int, d: int, pb: int, pe: int, ceil_mode: bool = False) -> int:
    eff = (k - 1) * d + 1
    span = size + pb + pe - eff
    if span < 0:
        raise Unsupported(f"window {eff} is larger than the padded input {size + pb + pe}")
    out = (math.ceil(span / s) if ceil_mode else span // s) + 1
    # a window may not start inside the end padding (ONNX / onnxruntime rule)
    if ceil_mode and (out - 1) * s >= size + pb:
        out -= 1
    return out


def auto_pads(auto_pad: str, spatial: list[int], k: list[int], s: list[int], d: list[int]) -> list[int] | None:
    """Explicit [begins..., ends...] for an auto_pad mode, or None for NOTSET."""
    if auto_pad in ("", "NOTSET"):
        return None
    n = len(spatial)
    if auto_pad == "VALID":
        return [0] * (2 * n)
    if auto_pad not in ("SAME_UPPER", "SAME_LOWER"):
        raise Unsupported(f"unknown auto_pad {auto_pad!r}")
    begins, ends = [], []
    for i in range(n):
        out = -(-spatial[i] // s[i])
        total = max((out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - spatial[i], 0)
        small, big = total // 2, total - total // 2
        # SAME_UPPER puts the extra padding at the end, SAME_LOWER at the beginning
        b, e = (small, big) if auto_pad == "SAME_UPPER" else (big, small)
        begins.append(b)
        ends.append(e)
    return begins + ends


def spatial_attrs(ctx: NodeContext, spatial: list[int], kernel: list[int],
                  dilations_ok: bool = True) -> tuple[list[int], list[int], list[int]]:
    n = len(spatial)
    strides = list(ctx.attr("strides", [1] * n))
    dil = list(ctx.attr("dilations", [1] * n)) if dilations_ok else [1] * n
    pads = auto_pads(ctx.attr("auto_pad", "NOTSET"), spatial, kernel, strides, dil)
    if pads is None:
        pads = list(ctx.attr("pads", [0] * (2 * n)))
    if len(strides) != n or len(dil) != n or len(pads) != 2 * n:
        raise Unsupported(f"strides/dilations/pads do not match {n} spatial axes")
    if any(p < 0 for p in pads):
        raise Unsupported(f"negative pads {pads}")
    if any(s < 1 for s in strides) or any(d < 1 for d in dil):
        raise Unsupported("strides and dilations must be >= 1")
    return strides, dil, pads


def as_2d(ctx: NodeContext, x: str, xs: tuple[int, ...]) -> tuple[str, tuple[int, ...]]:
    """N x C x L viewed as N x C x 1 x L (for 1-D conv and pooling)."""
    xs4 = (xs[0], xs[1], 1, xs[2])
    x4 = ctx.tmp("in2d", xs4, ctx.g.values[x].dtype)
    ctx.reshape(x, x4, xs4, name=f"{ctx.label}_to2d")
    ctx.count("1-D conv/pool as 2-D")
    return x4, xs4


# ------------------------------------------------------------------ Conv


@onnx_op("Conv", max_version=22,
         doc="1-D and 2-D; constant weights and bias; groups (depthwise), strides, dilations, any pads, auto_pad")
def conv(ctx: NodeContext) -> None:
    x = ctx.input(0)
    xs = ctx.shape(0)
    if len(xs) not in (3, 4):
        raise Unsupported(f"only 1-D and 2-D convolution are supported; input has rank {len(xs)}")
    w = ctx.need_const(1, "weight").astype(np.float32)
    wname = ctx.input(1)
    bias = ctx.input(2)
    if bias and ctx.const(2) is None:
        raise Unsupported("its bias must be a constant")
    group = int(ctx.attr("group", 1))
    k = list(ctx.attr("kernel_shape", list(w.shape[2:])))
    if k != list(w.shape[2:]):
        raise Unsupported(f"kernel_shape {k} does not match the weight shape {w.shape}")
    if group < 1 or xs[1] != w.shape[1] * group or w.shape[0] % group:
        raise Unsupported(f"weight {tuple(w.shape)} does not fit input channels {xs[1]} with group {group}")
    strides, dil, pads = spatial_attrs(ctx, list(xs[2:]), k)
    out = ctx.output(0)
    if len(xs) == 3:  # 1-D: a 2-D convolution over a one-pixel-high image
        x, xs = as_2d(ctx, x, xs)
        wname = ctx.constant(w.reshape(w.shape[0], w.shape[1], 1, w.shape[2]), "W2d")
        k, strides, dil, pads = [1, *k], [1, *strides], [1, *dil], [0, pads[0], 0, pads[1]]
    oh = conv_out(xs[2], k[0], strides[0], dil[0], pads[0], pads[2])
    ow = conv_out(xs[3], k[1], strides[1], dil[1], pads[1], pads[3])
    if len(ctx.shape(0)) == 3:
        out = ctx.tmp("2d", (xs[0], w.shape[0], oh, ow))
    else:
        ctx.declare_output(0, (xs[0], w.shape[0], oh, ow))
    ins = [x, wname] + ([bias] if bias else [])
    attrs = {"strides": strides, "pads": pads, "dilations": dil, "group": [group]}
    ctx.emit("Conv", ins, [out], attrs)
    if out != ctx.output(0):
        ctx.reshape(out, ctx.output(0), (xs[0], w.shape[0], ow), name=f"{ctx.label}_to1d")


engine_op("Conv", doc="X, W[, B]; `strides`, `pads` [t,l,b,r], `dilations`, `group`, `activation`")


@onnx_op("ConvTranspose", max_version=22,
         doc="1-D and 2-D; constant weights and bias; groups, strides, dilations, pads, output_padding, "
         "output_shape, auto_pad")
def conv_transpose(ctx: NodeContext) -> None:
    x, xs = ctx.input(0), ctx.shape(0)
    if len(xs) not in (3, 4):
        raise Unsupported(f"only 1-D and 2-D transposed convolution are supported; input has rank {len(xs)}")
    w = ctx.need_const(1, "weight").astype(np.float32)
    bias = ctx.input(2)
    if bias and ctx.const(2) is None:
        raise Unsupported("its bias must be a constant")
    n = len(xs) - 2
    group = int(ctx.attr("group", 1))
    if group < 1 or xs[1] != w.shape[0] or xs[1] % group:
        raise Unsupported(f"weight {tuple(w.shape)} does not fit input channels {xs[1]} with group {group}")
    k = list(w.shape[2:])
    if list(ctx.attr("kernel_shape", k)) != k:
        raise Unsupported(f"kernel_shape {ctx.attr('kernel_shape')} does not match the weight shape {w.shape}")
    s = list(ctx.attr("strides", [1] * n))
    d = list(ctx.attr("dilations", [1] * n))
    op = list(ctx.attr("output_padding", [0] * n))
    if len(s) != n or len(d) != n or len(op) != n:
        raise Unsupported(f"strides/dilations/output_padding do not match {n} spatial axes")
    if any(v < 1 for v in s + d) or any(v < 0 for v in op):
        raise Unsupported("strides and dilations must be >= 1, output_padding >= 0")
    auto_pad = ctx.attr("auto_pad", "NOTSET")
    if isinstance(auto_pad, bytes):
        auto_pad = auto_pad.decode()
    full = [s[i] * (xs[2 + i] - 1) + op[i] + (k[i] - 1) * d[i] + 1 for i in range(n)]
    out_shape = ctx.attr("output_shape")
    if out_shape is not None:
        out_shape = list(out_shape)[-n:]
    pads = ctx.attr("pads")
    if pads is None and auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        want = out_shape if out_shape is not None else [xs[2 + i] * s[i] for i in range(n)]
        total = [full[i] - want[i] for i in range(n)]
        small = [t // 2 for t in total]
        big = [t - t // 2 for t in total]
        pads = small + big if auto_pad == "SAME_UPPER" else big + small
        out_shape = None
    elif auto_pad not in ("NOTSET", "VALID", ""):
        raise Unsupported(f"unknown auto_pad {auto_pad!r}")
    pads = list(pads) if pads is not None and auto_pad != "VALID" else [0] * (2 * n)
    if len(pads) != 2 * n:
        raise Unsupported(f"pads {pads} do not match {n} spatial axes")
    for i in range(n):
        size = full[i] - pads[i] - pads[n + i]
        if out_shape is not None:  # an explicit output size extends or crops at the end
            extra = out_shape[i] - size
            if extra >= 0:
                op[i] += extra
            else:
                pads[n + i] -= extra
        if pads[n + i] < 0:  # an output larger than the full one: zeros (plus bias) at the end
            op[i] -= pads[n + i]
            pads[n + i] = 0
        if pads[i] < 0:
            raise Unsupported(f"negative begin padding {pads[i]}")
    out_sp = [s[i] * (xs[2 + i] - 1) + op[i] + (k[i] - 1) * d[i] + 1 - pads[i] - pads[n + i] for i in range(n)]
    if any(v < 1 for v in out_sp):
        raise Unsupported(f"output size {out_sp} is empty")
    cout = w.shape[1] * group
    wname = ctx.input(1)
    if n == 1:
        x, xs = as_2d(ctx, x, xs)
        wname = ctx.constant(w.reshape(w.shape[0], w.shape[1], 1, w.shape[2]), "W2d")
        s, d, op, pads, out_sp = [1, *s], [1, *d], [0, *op], [0, pads[0], 0, pads[1]], [1, *out_sp]
    else:
        pads = [pads[0], pads[1], pads[2], pads[3]]
    y4 = (xs[0], cout, out_sp[0], out_sp[1])
    out = ctx.tmp("2d", y4) if n == 1 else ctx.declare_output(0, y4)
    attrs = {"strides": s, "pads": pads, "dilations": d, "group": [group], "output_padding": op}
    ctx.emit("ConvTranspose", [x, wname] + ([bias] if bias else []), [out], attrs)
    if n == 1:
        ctx.reshape(out, ctx.output(0), (xs[0], cout, out_sp[1]), name=f"{ctx.label}_to1d")


engine_op("ConvTranspose", doc="X, W[, B]; `strides`, `pads` [t,l,b,r], `dilations`, `group`, `output_padding`; "
          "OH = sh*(H-1) + output_padding + (kh-1)*dh + 1 - pt - pb (auto_pad and output_shape resolved by the "
          "converter)")


# ------------------------------------------------------------------ Gemm / MatMul


@onnx_op("Gemm", max_version=13, doc="2-D A and B; alpha, beta, transA, transB; C broadcast to the output")
def gemm(ctx: NodeContext) -> None:
    sa, sb = ctx.shape(0), ctx.shape(1)
    ta, tb = int(ctx.attr("transA", 0)), int(ctx.attr("transB", 0))
    if len(sa) != 2 or len(sb) != 2:
        raise Unsupported("Gemm inputs must be 2-D")
    m, ka = (sa[1], sa[0]) if ta else sa
    kb, n = (sb[1], sb[0]) if tb else sb
    if ka != kb:
        raise Unsupported(f"inner dimensions differ: {sa} x {sb}")
    ins = [ctx.input(0), ctx.input(1)]
    if ctx.has(2):
        try:
            np.broadcast_shapes(ctx.shape(2), (m, n))
        except ValueError:
            raise Unsupported(f"C of shape {ctx.shape(2)} does not broadcast to {(m, n)}") from None
        ins.append(ctx.input(2))
    attrs = {"alpha": [float(ctx.attr("alpha", 1.0))], "beta": [float(ctx.attr("beta", 1.0))],
             "transA": [ta], "transB": [tb]}
    ctx.emit("Gemm", ins, attrs=attrs)


engine_op("Gemm", float_attrs=("alpha", "beta"), doc="A, B[, C]; `alpha`, `beta`, `transA`, `transB`, `activation`")


@onnx_op("MatMul", max_version=13,
         doc="any ranks up to 6 with numpy broadcasting of the batch axes; both operands may be computed")
def matmul(ctx: NodeContext) -> None:
    sa, sb = ctx.shape(0), ctx.shape(1)
    a, b = ctx.input(0), ctx.input(1)
    if not sa or not sb:
        raise Unsupported("MatMul of a scalar")
    if sa[-1] != (sb[0] if len(sb) == 1 else sb[-2]):
        raise Unsupported(f"inner dimensions differ: {sa} x {sb}")
    out_shape = ctx.out_shape(0)
    if len(sa) == 1:  # (K) -> (1, K), the 1 removed from the result
        a = ctx.tmp("a2d", (1, sa[0]), ctx.dtype(0))
        ctx.reshape(ctx.input(0), a, (1, sa[0]), name=f"{ctx.label}_a2d")
        sa = (1, sa[0])
    if len(sb) == 1:  # (K) -> (K, 1)
        b = ctx.tmp("b2d", (sb[0], 1), ctx.dtype(1))
        ctx.reshape(ctx.input(1), b, (sb[0], 1), name=f"{ctx.label}_b2d")
        sb = (sb[0], 1)
    if len(sa) > 2 and len(sb) == 2 and ctx.const(1) is not None:
        # (..., K) x (K, N) with constant weights: one 2-D MatMul over all rows (later a Gemm
        # when a bias follows, see passes.matmul_add_to_gemm)
        rows = int(np.prod(sa[:-1]))
        flat = ctx.tmp("rows", (rows, sa[-1]))
        prod = ctx.tmp("mm", (rows, sb[1]))
        ctx.reshape(a, flat, (rows, sa[-1]), name=f"{ctx.label}_flatten")
        ctx.emit("MatMul", [flat, b], [prod])
        ctx.reshape(prod, ctx.output(0), out_shape, name=f"{ctx.label}_unflatten")
        return
    try:
        batch = np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise Unsupported(f"batch axes of {sa} and {sb} do not broadcast") from None
    full = (*batch, sa[-2], sb[-1])
    if len(full) > 6:
        raise Unsupported(f"rank {len(full)} (the engine supports at most 6)")
    if tuple(full) == tuple(out_shape):
        ctx.emit("MatMul", [a, b])
        return
    prod = ctx.tmp("mm", full)
    ctx.emit("MatMul", [a, b], [prod])
    ctx.reshape(prod, ctx.output(0), out_shape, name=f"{ctx.label}_squeeze")


engine_op("MatMul", doc="A, B: ranks 2 to 6, batch axes broadcast (numpy rules); Y[..., M, N]")


# ------------------------------------------------------------------ pooling


@onnx_op("MaxPool", "AveragePool", max_version=22,
         doc="1-D, 2-D and 3-D (as two 2-D pools: windows are boxes, so max and mean separate); strides, pads, "
         "auto_pad, ceil_mode, dilations (AveragePool from opset 19), count_include_pad; MaxPool's Indices "
         "output unused")
def pool(ctx: NodeContext) -> None:
    x = ctx.input(0)
    xs = ctx.shape(0)
    if len(xs) not in (3, 4, 5):
        raise Unsupported(f"only 1-D, 2-D and 3-D pooling are supported; input has rank {len(xs)}")
    k = list(ctx.attr("kernel_shape"))
    is_max = ctx.op_type == "MaxPool"
    if is_max and ctx.used(1):
        raise Unsupported("its Indices output is used")
    dil_ok = is_max or ctx.version >= 19
    strides, dil, pads = spatial_attrs(ctx, list(xs[2:]), k, dilations_ok=dil_ok)
    ceil_mode = int(ctx.attr("ceil_mode", 0)) if ctx.version >= 10 else 0
    cip = int(ctx.attr("count_include_pad", 0))
    n = len(xs) - 2
    if n == 1:
        x, xs = as_2d(ctx, x, xs)
        y, ys = _pool2d(ctx, x, xs, [1, *k], [1, *strides], [1, *dil], [0, pads[0], 0, pads[1]], ceil_mode, cip)
        ctx.reshape(y, ctx.output(0), (xs[0], xs[1], ys[3]), name=f"{ctx.label}_to1d")
    elif n == 2:
        _pool2d(ctx, x, xs, k, strides, dil, pads, ceil_mode, cip, out=ctx.output(0))
    else:  # 3-D: over (H, W) with the depth folded into the channels, then over D
        nb, c, d, h, w = xs
        x2 = ctx.tmp("hw_in", (nb, c * d, h, w))
        ctx.reshape(x, x2, (nb, c * d, h, w), name=f"{ctx.label}_hw_in")
        y1, s1 = _pool2d(ctx, x2, (nb, c * d, h, w), k[1:], strides[1:], dil[1:], [pads[1], pads[2], pads[4], pads[5]],
                         ceil_mode, cip)
        plane = s1[2] * s1[3]
        x3 = ctx.tmp("d_in", (nb, c, d, plane))
        ctx.reshape(y1, x3, (nb, c, d, plane), name=f"{ctx.label}_d_in")
        y2, s2 = _pool2d(ctx, x3, (nb, c, d, plane), [k[0], 1], [strides[0], 1], [dil[0], 1],
                         [pads[0], 0, pads[3], 0], ceil_mode, cip)
        ctx.declare_output(0, (nb, c, s2[2], s1[2], s1[3]))
        ctx.reshape(y2, ctx.output(0), (nb, c, s2[2], s1[2], s1[3]), name=f"{ctx.label}_out")
        ctx.count("3-D pooling as two 2-D pools")


def _pool2d(ctx: NodeContext, x: str, xs: tuple[int, ...], k: list[int], strides: list[int], dil: list[int],
            pads: list[int], ceil_mode: int, cip: int, out: str | None = None) -> tuple[str, tuple[int, ...]]:
    oh = conv_out(xs[2], k[0], strides[0], dil[0], pads[0], pads[2], bool(ceil_mode))
    ow = conv_out(xs[3], k[1], strides[1], dil[1], pads[1], pads[3], bool(ceil_mode))
    attrs: dict[str, Any] = {"kernel_shape": k, "strides": strides, "pads": pads, "ceil_mode": [ceil_mode],
                             "dilations": dil}
    if ctx.op_type == "AveragePool":
        attrs["count_include_pad"] = [cip]
        if dil == [1, 1]:
            del attrs["dilations"]  # the form every engine build (and the int8 kernels) takes
    ys = (xs[0], xs[1], oh, ow)
    y = ctx.declare_output(0, ys) if out else ctx.tmp("pool2d", ys)
    ctx.emit(ctx.op_type, [x], [y], attrs)
    return y, ys


engine_op("MaxPool", doc="X; `kernel_shape`, `strides`, `pads` [t,l,b,r], `dilations`, `ceil_mode`")
engine_op("AveragePool", doc="X; `kernel_shape`, `strides`, `pads`, `dilations` (fp32), `ceil_mode`, "
          "`count_include_pad`")


@onnx_op("GlobalAveragePool", "GlobalMaxPool", max_version=22, doc="4-D input")
def global_pool(ctx: NodeContext) -> None:
    xs = ctx.shape(0)
    if len(xs) != 4:
        raise Unsupported(f"only 4-D input is supported; input has rank {len(xs)}")
    if ctx.op_type == "GlobalAveragePool":
        ctx.emit("GlobalAveragePool", [ctx.input(0)])
    else:  # GlobalMaxPool = MaxPool over the whole plane
        attrs = {"kernel_shape": [xs[2], xs[3]], "strides": [1, 1], "pads": [0, 0, 0, 0],
                 "dilations": [1, 1], "ceil_mode": [0]}
        ctx.emit("MaxPool", [ctx.input(0)], attrs=attrs)


engine_op("GlobalAveragePool", doc="X (4-D)")


@onnx_op("ReduceMean", max_version=18, doc="over the two spatial axes of a 4-D input (global average pooling)")
def reduce_mean(ctx: NodeContext) -> None:
    """ReduceMean over H and W (as Keras/TF exports global pooling) -> GlobalAveragePool."""
    xs = ctx.shape(0)
    if ctx.version < 18:
        axes = ctx.attr("axes")
    else:
        axes = [int(a) for a in ctx.need_const(1, "axes").reshape(-1)] if ctx.has(1) else None
    keep = int(ctx.attr("keepdims", 1))
    if len(xs) != 4 or axes is None or sorted(a % 4 for a in axes) != [2, 3]:
        raise Unsupported("only ReduceMean over the two spatial axes of a 4-D input is supported")
    if keep:
        ctx.emit("GlobalAveragePool", [ctx.input(0)])
    else:
        pooled = ctx.tmp("pooled", (xs[0], xs[1], 1, 1))
        ctx.emit("GlobalAveragePool", [ctx.input(0)], [pooled])
        ctx.reshape(pooled, ctx.output(0), (xs[0], xs[1]), name=f"{ctx.label}_squeeze")
    ctx.count("ReduceMean -> GlobalAveragePool")


# ------------------------------------------------------------------ Softmax, LRN, BatchNormalization


@onnx_op("Softmax", max_version=13, doc="any axis (before opset 13: the input coerced to 2-D at axis)")
def softmax(ctx: NodeContext) -> None:
    x, xs = ctx.input(0), ctx.shape(0)
    rank = len(xs)
    if ctx.version >= 13:
        ctx.emit("Softmax", [x], attrs={"axis": [int(ctx.attr("axis", -1)) % rank]})
        return
    # before opset 13 Softmax normalises over the input coerced to 2-D at `axis`
    axis = int(ctx.attr("axis", 1)) % rank
    tail = [a for a in range(axis, rank) if xs[a] != 1]
    if len(tail) <= 1:  # one axis holds all the coerced elements: identical to one-axis softmax
        ctx.emit("Softmax", [x], attrs={"axis": [tail[0] if tail else rank - 1]})
        return
    rows, cols = int(np.prod(xs[:axis])), int(np.prod(xs[axis:]))
    flat, soft = ctx.tmp("2d", (rows, cols)), ctx.tmp("soft", (rows, cols))
    ctx.reshape(x, flat, (rows, cols), name=f"{ctx.label}_to2d")
    ctx.emit("Softmax", [flat], [soft], {"axis": [1]})
    ctx.reshape(soft, ctx.output(0), xs, name=f"{ctx.label}_back")
    ctx.count("opset<13 Softmax coerced to 2-D")


engine_op("Softmax", doc="X; `axis` (opset-13 meaning: along one axis)")


@onnx_op("LRN", max_version=13, doc="")
def lrn(ctx: NodeContext) -> None:
    attrs = {"size": [int(ctx.attr("size"))], "alpha": [float(ctx.attr("alpha", 1e-4))],
             "beta": [float(ctx.attr("beta", 0.75))], "bias": [float(ctx.attr("bias", 1.0))]}
    ctx.emit("LRN", [ctx.input(0)], attrs=attrs)


engine_op("LRN", float_attrs=("alpha", "beta", "bias"), doc="X; `size`, `alpha`, `beta`, `bias`")


@onnx_op("BatchNormalization", max_version=15,
         doc="inference mode, constant statistics: folded into the Conv/Gemm before it, else Mul + Add")
def batchnorm(ctx: NodeContext) -> None:
    if ctx.version >= 14 and int(ctx.attr("training_mode", 0)):
        raise Unsupported("training_mode=1")
    if any(ctx.used(i) for i in range(1, len(ctx.node.output))):
        raise Unsupported("its training-time statistics outputs are used")
    xs = ctx.shape(0)
    if len(xs) < 2:
        raise Unsupported("input must have a channel axis")
    gamma, beta, mean, var = (ctx.need_const(i, w).astype(np.float64)
                              for i, w in ((1, "scale"), (2, "bias"), (3, "mean"), (4, "var")))
    eps = float(ctx.attr("epsilon", 1e-5))
    scale = gamma / np.sqrt(var + eps)
    shift = beta - mean * scale
    # transient op: passes.py folds it into the producing Conv/Gemm or lowers it to Mul+Add
    ins = [ctx.input(0), ctx.constant(scale, "scale", np.float32), ctx.constant(shift, "shift", np.float32)]
    ctx.emit("BatchNormalization", ins, [ctx.output(0)], transient=True)
