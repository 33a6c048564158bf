"""Smaller models: magnitude pruning, low-bit weights and entropy-coded constants.

Applied by `sdkbuild convert` (and `sdkbuild tune`, which searches over them) in this order:

1. `prune(model, sparsity)` on the fp32 model: the smallest weights of the dense layers
   (Conv that is not depthwise, Gemm, MatMul with constant weights) are set to zero. The
   threshold is global over the layers, on magnitudes divided by each layer's RMS, so a
   layer with small weights is not wiped out; depthwise convolutions and layers under
   MIN_PRUNE_PARAMS weights are left alone (they are few bytes and sensitive).
2. `weight_bits=4` during int8 quantization (quantize.py): the weights of the same layers
   get 15 levels ([-7, 7] per output channel) instead of 255; the int8 kernels run them
   unchanged, the coding then stores them in about 3-4 bits.
3. `mark_sparse(model)` on an fp32 model: the weights of 1x1 convolutions and of Gemm/MatMul
   that are sparse enough for the engine's sparse kernels to beat its dense ones
   (SPARSE_MIN_* below, measured in docs/compression.md) are stored sparse (sparse.py).
4. `mark_coded(model)` before writing: constants are stored rANS-coded (codec.py) where
   that is smaller; the engine decodes them once at load.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import sdkm

MIN_PRUNE_PARAMS = 1024  # smaller layers are not pruned or cut to fewer bits
MIN_CODED_BYTES = 64  # smaller constants are not worth a symbol table
_CODED_DTYPES = (2, 3, 4, 6)  # i8, i32, u8, bool: byte statistics an entropy coder can use


@dataclass(frozen=True)
class Compression:
    prune: float = 0.0  # fraction of the prunable weights set to zero
    weight_bits: int = 8  # 8, or 4 for int8 models
    code: bool = False  # rANS-code the constants

    strip_names: bool = False  # short ids for internal tensor and node names
    channels: float = 0.0  # fraction of the channels of prunable conv chains removed (prune_channels)
    sparse: bool = True  # fp32 weights sparse enough for the sparse kernels are stored sparse (mark_sparse)

    def label(self) -> str:
        parts = []
        if self.channels:
            parts.append(f"{self.channels:.0%} of chained channels removed")
        if self.prune:
            parts.append(f"pruned {self.prune:.0%}")
        if self.weight_bits != 8:
            parts.append(f"{self.weight_bits}-bit weights")
        if self.code:
            parts.append("coded")
        if self.strip_names:
            parts.append("names stripped")
        return ", ".join(parts) or "none"


NO_COMPRESSION = Compression()


def weight_input(m: sdkm.Model, n: sdkm.Node) -> np.ndarray | None:
    """The constant weight of a dense layer that pruning and 4-bit weights apply to."""
    if n.op not in ("Conv", "Gemm", "MatMul") or len(n.inputs) < 2 or n.inputs[1] < 0:
        return None
    w = m.tensors[n.inputs[1]].data
    if w is None or w.size < MIN_PRUNE_PARAMS:
        return None
    if n.op == "Conv":
        group = int(n.attrs.get("group", [1])[0])
        if group > 1 and w.shape[1] == 1:  # depthwise
            return None
    return np.asarray(w)


def prune(m: sdkm.Model, sparsity: float) -> int:
    """Zero the `sparsity` fraction of the prunable fp32 weights in place; returns how many."""
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity {sparsity} is not in [0, 1)")
    if sparsity == 0.0:
        return 0
    layers = []
    for n in m.nodes:
        w = weight_input(m, n)
        if w is not None and w.dtype == np.float32:
            layers.append((n.inputs[1], w))
    if not layers:
        return 0
    scores = []
    for _, w in layers:
        rms = float(np.sqrt(np.mean(np.square(w, dtype=np.float64)))) or 1.0
        scores.append(np.abs(w).reshape(-1) / rms)
    everything = np.concatenate(scores)
    k = int(sparsity * everything.size)
    if k == 0:
        return 0
    threshold = np.partition(everything, k - 1)[k - 1]
    zeroed = 0
    for (idx, w), s in zip(layers, scores, strict=True):
        keep = (s > threshold).reshape(w.shape)
        m.tensors[idx].data = np.where(keep, w, np.float32(0)).astype(np.float32)
        zeroed += int(keep.size - keep.sum())
    return zeroed


# The sparse kernels (engine/src/kernels/*/spmm_f32.cpp) beat the dense ones above these
# fractions of zeros (docs/compression.md, "Sparse kernels": x86 time and arm64 instructions
# of MobileNetV2's 1x1 layers and of Gemm): below them a weight stays dense.
# MobileNetV2 with its 1x1 layers and classifier pruned per layer, arm64 instructions per
# inference sparse/dense: 50 % 1.13x, 70 % 0.83x, 80 % 0.67x; x86 (AVX2) time: 50 % 1.55x,
# 70 % 0.87x, 80 % 0.60x. Gemm/MatMul (the classifier, P = rows of A) were measured only inside that
# model: they take the same threshold.
SPARSE_MIN_CONV = 0.7
SPARSE_MIN_GEMM = 0.7


def _sparse_use(m: sdkm.Model, n: sdkm.Node) -> tuple[bool, float] | None:
    """(stored transposed, the sparsity it needs) when node n can run its weights sparse."""
    if n.op == "Conv":
        w = m.tensors[n.inputs[1]]
        if len(w.shape) != 4 or w.shape[2:] != (1, 1) or int(n.attrs.get("group", [1])[0]) != 1:
            return None
        if any(v != 1 for v in n.attrs.get("strides", [1, 1])) or any(v != 0 for v in n.attrs.get("pads", [0] * 4)):
            return None
        if m.tensors[n.inputs[0]].dtype != 1:
            return None
        return False, SPARSE_MIN_CONV
    if n.op == "Gemm":
        if int(n.attrs.get("transA", [0])[0]) or float(n.attrs.get("alpha", [1.0])[0]) != 1.0:
            return None
        if len(n.inputs) > 2 and n.inputs[2] >= 0:
            c = m.tensors[n.inputs[2]]
            n_out = m.tensors[n.outputs[0]].shape[-1]
            if float(n.attrs.get("beta", [1.0])[0]) != 1.0 or c.shape not in ((n_out,), (1, n_out)):
                return None
        if m.tensors[n.inputs[0]].dtype != 1:
            return None
        return int(n.attrs.get("transB", [0])[0]) == 0, SPARSE_MIN_GEMM
    if n.op == "MatMul" and len(m.tensors[n.inputs[1]].shape) == 2 and m.tensors[n.inputs[0]].dtype == 1:
        return True, SPARSE_MIN_GEMM
    return None


def mark_sparse(m: sdkm.Model) -> int:
    """Store sparse the fp32 weights whose layers run faster on the sparse kernels (every
    consumer a 1x1 Conv / Gemm / MatMul taking it the same way, sparsity over the measured
    break-even); returns how many."""
    uses: dict[int, list[tuple[bool, float] | None]] = {}
    for n in m.nodes:
        for k, t in enumerate(n.inputs):
            if t >= 0 and m.tensors[t].data is not None:
                use = _sparse_use(m, n) if k == 1 and weight_input(m, n) is not None else None
                uses.setdefault(t, []).append(use)
    count = 0
    for t, us in uses.items():
        tensor = m.tensors[t]
        if tensor.dtype != 1 or any(u is None for u in us) or len({u[0] for u in us if u}) != 1:
            continue
        w = np.asarray(tensor.data)
        if w.size and 1.0 - np.count_nonzero(w) / w.size >= max(u[1] for u in us if u):
            tensor.encoding = sdkm.ENC_SPARSE
            tensor.sparse_transposed = bool(us[0][0])  # type: ignore[index]
            count += 1
    return count


def mark_coded(m: sdkm.Model) -> int:
    """Ask the writer to rANS-code every constant that may shrink, and the file's other
    sections (names, records, quantization parameters); returns how many constants."""
    m.code_sections = True
    n = 0
    for t in m.tensors:
        if (t.data is not None and t.dtype in _CODED_DTYPES and t.nbytes >= MIN_CODED_BYTES
                and t.encoding != sdkm.ENC_SPARSE):
            t.encoding = sdkm.ENC_RANS
            n += 1
    return n


def sparsity(m: sdkm.Model) -> float:
    """Fraction of zeros in the prunable weights (after quantization too)."""
    total = zeros = 0
    for n in m.nodes:
        w = weight_input(m, n)
        if w is not None:
            total += w.size
            zeros += int(np.count_nonzero(w == 0))
    return zeros / total if total else 0.0


def drop_implied_quant(m: sdkm.Model) -> int:
    """Remove the quantization records of int32 biases of int8 Conv/Gemm: their scale is
    implied (input scale x weight scale, zero point 0) and the engine never reads them."""
    n = 0
    for node in m.nodes:
        if node.op in ("Conv", "Gemm") and len(node.inputs) > 2 and node.inputs[2] >= 0:
            b = m.tensors[node.inputs[2]]
            if b.dtype == 3 and b.quant is not None and b.data is not None:
                b.quant = None
                n += 1
    return n


def strip_names(m: sdkm.Model) -> None:
    """Short names for everything but the graph's inputs and outputs (the API's names):
    tensors t<i>, nodes n<i>; engine messages then name nodes by these ids and their op.
    META keeps the producer, opset, quantization, compression and the source's SHA-256, and
    drops what repeats the file (the ops and dtypes lists) and the source file's name."""
    m.meta_lists = False
    for key in ("ops", "dtypes", "source"):
        m.meta.pop(key, None)
    keep = {m.tensors[i].name for i in [*m.inputs, *m.outputs]}
    for i, t in enumerate(m.tensors):
        if t.name not in keep:
            t.name = f"t{i}"
    for i, n in enumerate(m.nodes):
        n.name = f"n{i}"


def _im2col(x: np.ndarray, n: sdkm.Node, w_shape: tuple[int, ...]) -> np.ndarray:
    """One sample's Conv input [1, C, H, W] as rows [OH*OW, C*kh*kw] (the conv's geometry)."""
    kh, kw = w_shape[2:]
    pt, pl, pb, pr = (list(n.attrs.get("pads", [0, 0, 0, 0])) + [0] * 4)[:4]
    sh, sw = list(n.attrs.get("strides", [1, 1]))
    dh, dw = list(n.attrs.get("dilations", [1, 1]))
    xp = np.pad(x[0], ((0, 0), (pt, pb), (pl, pr)))
    c, h, w = xp.shape
    oh, ow = (h - (kh - 1) * dh - 1) // sh + 1, (w - (kw - 1) * dw - 1) // sw + 1
    cols = np.empty((oh, ow, c, kh, kw), np.float32)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, :, i, j] = xp[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                                     j * dw:j * dw + sw * (ow - 1) + 1:sw].transpose(1, 2, 0)
    return cols.reshape(oh * ow, c * kh * kw)


def _rows(m: sdkm.Model, n: sdkm.Node, w: np.ndarray) -> tuple[np.ndarray, bool]:
    """The weight as [outputs, inputs] rows, and whether it is stored transposed (K x N)."""
    if n.op == "Conv":
        return w.reshape(w.shape[0], -1), False
    trans_b = n.op == "Gemm" and int(n.attrs.get("transB", [0])[0])
    return (w, False) if trans_b else (w.T, True)


def layer_grams(dense: sdkm.Model, samples: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Per prunable dense layer (by node name), the Gram matrix X^T X of its inputs over the
    calibration samples, in the layer's row form (im2col rows for Conv): what reconstruct()
    refits against. Depends only on the dense model and the samples, so one computation
    serves every pruning level tried."""
    from . import calibration as cal

    by_input: dict[str, list[sdkm.Node]] = {}
    for n in dense.nodes:
        w = weight_input(dense, n)
        if w is None or w.dtype != np.float32:
            continue
        if n.op == "Conv" and int(n.attrs.get("group", [1])[0]) != 1:
            continue
        by_input.setdefault(dense.tensors[n.inputs[0]].name, []).append(n)
    grams: dict[str, np.ndarray] = {}
    if not by_input:
        return grams
    proto = cal.to_onnx(dense, record_all=True)
    for sample, out in zip(samples, cal.run_onnx(proto, samples), strict=True):
        acts = {**sample, **out}
        for name, nodes in by_input.items():
            for n in nodes:
                x = np.asarray(acts[name], np.float32)
                w_shape = dense.tensors[n.inputs[1]].shape
                xr = (_im2col(x, n, w_shape) if n.op == "Conv" else x.reshape(-1, x.shape[-1])).astype(np.float64)
                grams[n.name] = grams.get(n.name, 0) + xr.T @ xr
    return grams


def reconstruct(m: sdkm.Model, dense: sdkm.Model, grams: dict[str, np.ndarray]) -> int:
    """After prune(): refit each pruned layer's remaining weights by least squares so that,
    on the calibration inputs, the layer's outputs stay as close as possible to those of its
    dense weights (`dense`: the model before pruning; `grams` from layer_grams). Layer-wise
    reconstruction in the spirit of OBS/SparseGPT. Returns the layers refit."""
    refit = 0
    for n, dn in zip(m.nodes, dense.nodes, strict=True):
        g = grams.get(n.name)
        w = m.tensors[n.inputs[1]].data if g is not None else None
        if w is None or not np.any(w == 0):
            continue
        rows, transposed = _rows(m, n, w)
        dense_rows, _ = _rows(dense, dn, dense.tensors[dn.inputs[1]].data)
        target = g @ dense_rows.T.astype(np.float64)  # X^T X W_dense^T: what X^T X W^T should match
        lam = 1e-4 * float(np.mean(np.diag(g))) + 1e-12
        new = rows.astype(np.float64).copy()
        for r in range(rows.shape[0]):
            keep = rows[r] != 0
            k = int(keep.sum())
            if k == 0 or k == keep.size:
                continue
            gk = g[np.ix_(keep, keep)] + lam * np.eye(k)
            new[r, keep] = np.linalg.solve(gk, target[keep, r])
        new32 = new.astype(np.float32)
        m.tensors[n.inputs[1]].data = np.ascontiguousarray(new32.T if transposed else new32.reshape(w.shape))
        refit += 1
    return refit


# ----------------------------------------------------------------------------- structured pruning

_PER_CHANNEL_OPS = ("Relu", "Clip", "Sigmoid", "HardSwish", "LeakyRelu", "Swish", "Gelu", "Tanh", "Elu", "Selu",
                    "Softplus", "Mish", "MaxPool", "AveragePool")


@dataclass
class _Chain:
    """A Conv whose output channels can be removed: through per-channel ops (a depthwise Conv,
    activations, pools) to exactly one dense Conv that reads them."""

    first: sdkm.Node
    middle: list[sdkm.Node]  # depthwise convs and per-channel ops, in order
    last: sdkm.Node
    tensors: list[int]  # every activation tensor whose channel axis (1) shrinks


def _single_consumer(m: sdkm.Model, t: int) -> sdkm.Node | None:
    if t in m.outputs:
        return None
    users = [n for n in m.nodes if t in n.inputs]
    return users[0] if len(users) == 1 and users[0].inputs.count(t) == 1 else None


def channel_chains(m: sdkm.Model) -> list[_Chain]:
    chains = []
    for a in m.nodes:
        if a.op != "Conv" or int(a.attrs.get("group", [1])[0]) != 1 or m.tensors[a.inputs[1]].data is None:
            continue
        c = m.tensors[a.inputs[1]].shape[0]
        t = a.outputs[0]
        middle: list[sdkm.Node] = []
        tensors = [t]
        while True:
            n = _single_consumer(m, t)
            if n is None or n.inputs[0] != t:
                break
            if n.op == "Conv" and int(n.attrs.get("group", [1])[0]) == 1 and m.tensors[n.inputs[1]].data is not None:
                if c >= 8:
                    chains.append(_Chain(a, middle, n, tensors))
                break
            depthwise = (n.op == "Conv" and int(n.attrs.get("group", [1])[0]) == c
                         and m.tensors[n.inputs[1]].shape[:2] == (c, 1) and m.tensors[n.inputs[1]].data is not None)
            if not (depthwise or n.op in _PER_CHANNEL_OPS) or len(n.inputs) > 1 and n.op != "Conv":
                break
            middle.append(n)
            t = n.outputs[0]
            tensors.append(t)
    return chains


def prune_channels(m: sdkm.Model, fraction: float, grams: dict[str, np.ndarray]
                   ) -> tuple[int, dict[str, np.ndarray]]:
    """Remove `fraction` of the output channels of every Conv that feeds, through depthwise
    convs and per-channel ops, exactly one dense Conv (e.g. MobileNetV2's expansions): the
    layers shrink, so the model gets smaller and faster. Channels are ranked by what they
    contribute to the reading conv's output on the calibration data (E[x_c^2] * ||W[:, c]||^2
    from its input Gram matrix); the reading conv is then refit by least squares on the kept
    channels. Kept counts are rounded up to a multiple of 8 (SIMD widths). Returns the
    channels removed and the Gram matrices restricted to the kept channels (a new dict: the
    argument may be a cache shared with other calls)."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"channel fraction {fraction} is not in [0, 1)")
    removed = 0
    grams = dict(grams)
    uses: dict[int, int] = {}
    for n in m.nodes:
        for i in n.inputs:
            uses[i] = uses.get(i, 0) + 1
    for ch in channel_chains(m) if fraction else []:
        b, g = ch.last, grams.get(ch.last.name)
        convs = [ch.first, *[n for n in ch.middle if n.op == "Conv"], b]
        if g is None or any(uses.get(i, 0) > 1 for n in convs for i in n.inputs[1:] if i >= 0):
            continue  # no calibration statistics, or weights shared with another node
        wb = m.tensors[b.inputs[1]].data  # [OC, C, kh, kw]
        c, k = wb.shape[1], wb.shape[2] * wb.shape[3]
        keep_n = max(8, -(-int(round(c * (1 - fraction))) // 8) * 8)
        if keep_n >= c:
            continue
        energy = np.diag(g).reshape(c, k)  # E[x^2] per channel and kernel position (im2col order c, kh, kw)
        score = (energy * np.square(wb.reshape(wb.shape[0], c, k)).sum(axis=0)).sum(axis=1)
        keep = np.sort(np.argsort(-score, kind="stable")[:keep_n])
        cols = (keep[:, None] * k + np.arange(k)[None, :]).reshape(-1)
        gk = g[np.ix_(cols, cols)]
        target = g[cols] @ wb.reshape(wb.shape[0], -1).T.astype(np.float64)  # X_k^T X W^T
        lam = 1e-4 * float(np.mean(np.diag(gk))) + 1e-12
        new_b = np.linalg.solve(gk + lam * np.eye(len(cols)), target).T  # [OC, keep*k]
        m.tensors[b.inputs[1]].data = np.ascontiguousarray(new_b.reshape(wb.shape[0], keep_n, *wb.shape[2:]),
                                                           dtype=np.float32)
        m.tensors[b.inputs[1]].shape = m.tensors[b.inputs[1]].data.shape
        grams[b.name] = gk
        for node in (ch.first, *[n for n in ch.middle if n.op == "Conv"]):
            _keep_output_channels(m, node, keep)
        for t in ch.tensors:
            shape = list(m.tensors[t].shape)
            shape[1] = keep_n
            m.tensors[t].shape = tuple(shape)
        removed += c - keep_n
    return removed, grams


def _keep_output_channels(m: sdkm.Model, conv: sdkm.Node, keep: np.ndarray) -> None:
    w = m.tensors[conv.inputs[1]]
    w.data = np.ascontiguousarray(w.data[keep])
    w.shape = w.data.shape
    if len(conv.inputs) > 2 and conv.inputs[2] >= 0:
        b = m.tensors[conv.inputs[2]]
        b.data = np.ascontiguousarray(b.data[keep])
        b.shape = b.data.shape
    if int(conv.attrs.get("group", [1])[0]) > 1:
        conv.attrs["group"] = [len(keep)]
