"""Int8 post-training quantization of an fp32 `.sdkm` model (TFLite int8 scheme).

Interface (the converter calls this after its passes, on the exported fp32 model):

    quantize_model(model: sdkm.Model, calibration: str | PathLike | Sequence[dict[str, ndarray]],
                   *, percentile: float | None = None, int8_io: bool = False) -> sdkm.Model

* `calibration`: a `.npy`/`.npz` file or a directory of them (see calibration.load_samples),
  or samples already loaded ({graph input name: array of the input's shape}).
* `percentile`: None = min/max ranges; e.g. 99.99 = mean per-sample percentiles.
* `int8_io`: graph inputs/outputs become int8 (scale/zero point in their QuantRec, which
  the C API reports); by default they stay float and QuantizeLinear/DequantizeLinear nodes
  sit at the edges. The input model is not modified.

The scheme (the engine's int8 kernels implement exactly this arithmetic; `simulate` below
is its numpy reference):
* weights: per-output-channel symmetric int8 in [-127, 127] (Conv W axis 0, Gemm B stored
  as [N, K] with transB=1, axis 0), zero point 0;
* activations: per-tensor asymmetric int8, range widened to include 0;
* bias: int32 with scale in_scale * w_scale[c], zero point 0;
* requantization: real multiplier in_scale * w_scale[c] / out_scale (computed in double
  from the float32 scales) as a Q31 multiplier and a power-of-two shift, applied with a
  single rounding (`mbqm`); fused Relu/Clip become output clamps;
* MaxPool/AveragePool/Reshape/Slice keep their input's quantization; Concat and
  GlobalAveragePool requantize; ops without an int8 kernel run in fp32 between
  DequantizeLinear/QuantizeLinear pairs;
* element-wise activations (Sigmoid, HardSwish, SiLU, Tanh, GELU, ...: LUT_OPS) whose
  input is int8 become a 256-entry table (their fp32 function, evaluated by onnxruntime at
  the 256 input values, quantized with the output's parameters), stored as a constant
  second input: y = table[x + 128]. A Conv/Gemm/Add carrying such an activation fused is
  first split in two (`split_fused_activations`), so it stays int8;
* Mul: y = zy + M (a - za)(b - zb), M = sa sb / sy, one rounding (TFLite), with numpy
  broadcasting; a constant operand is quantized per tensor from its own range;
* data movement (Transpose, Expand, Gather*, Trilu, Pad) and Resize keep their input's
  quantization; linear/cubic Resize interpolates in Q11 (int8_move.py);
* tensors that are not float (indices, masks) pass through as they are.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence

import numpy as np

from .. import sdkm
from ..errors import SdkbuildError
from . import calibration as cal
from . import compress, int8_move
from .registry import OnnxBuilder

I8, F32, I32 = 2, 1, 3

# ops with an int8 kernel in the engine; "follow" ops are int8 when their input is
POOLS_SAME_QUANT = ("MaxPool", "AveragePool")
FOLLOW_OPS = ("Reshape", "Slice", *int8_move.FOLLOW)
# element-wise ops that take an int8 input through a 256-entry table (engine: ops/unary_op.h)
LUT_OPS = ("Sigmoid", "HardSwish", "Swish", "Tanh", "Gelu", "HardSigmoid", "Elu", "LeakyRelu", "Softplus", "Mish",
           "Exp", "Erf", "Softsign", "Selu", "Celu", "ThresholdedRelu", "Clip")
# fused activations an int8 op cannot apply as output clamps -> the op that computes them
_SPLIT_ACTS = {sdkm.ACT_HARDSWISH: ("HardSwish", {}), sdkm.ACT_SIGMOID: ("Sigmoid", {}),
               sdkm.ACT_SILU: ("Swish", {"alpha": [1.0]})}


# --------------------------------------------------------------------------- arithmetic

def quantize_multiplier(real: float) -> tuple[int, int]:
    """(Q31 multiplier, shift) with real ~= mult * 2**(shift - 31); as the C++ helper."""
    if not real > 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    x = q * 2147483648.0  # exact: a power-of-two scaling
    m = int(x)
    if x - m >= 0.5:  # llround: half away from zero
        m += 1
    if m == 1 << 31:
        m //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if shift > 30:
        return (1 << 31) - 1, 30
    return m, shift


def mbqm(x: np.ndarray, mult: np.ndarray | int, shift: np.ndarray | int) -> np.ndarray:
    """x * mult * 2**(shift-31) with one round-half-up; saturating to int32."""
    x = np.asarray(x, dtype=np.int64)
    total = 31 - np.asarray(shift, dtype=np.int64)
    r = (x * np.asarray(mult, dtype=np.int64) + (np.int64(1) << (total - 1))) >> total
    return np.clip(r, -(2**31), 2**31 - 1)


def requant_real(in_scale: float, w_scale: float, out_scale: float) -> float:
    # double arithmetic on the stored float32 values, the same order as the C++ side
    return float(np.float32(in_scale)) * float(np.float32(w_scale)) / float(np.float32(out_scale))


def round_half_away(x: np.ndarray | float) -> np.ndarray:
    x = np.asarray(x)
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def activation_quant(lo: float, hi: float) -> sdkm.Quant:
    """Asymmetric int8 parameters for the real range [lo, hi] (widened to include 0)."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise SdkbuildError(f"calibration produced a non-finite range [{lo}, {hi}]",
                            hint="check the calibration inputs for NaN/Inf or use --percentile")
    scale = np.float32((hi - lo) / 255.0) if hi > lo else np.float32(1.0)
    zp = int(np.clip(round_half_away(-128.0 - lo / float(scale)), -128, 127))
    return sdkm.Quant(np.asarray([scale], np.float32), np.asarray([zp], np.int32), -1)


def weight_quant(w: np.ndarray, axis: int = 0, qmax: int = 127) -> tuple[np.ndarray, sdkm.Quant]:
    """Per-channel symmetric int8 weights in [-qmax, qmax] along `axis`. qmax 127: the scale
    maps each channel's largest magnitude to 127. Fewer levels (qmax 7, 3, 1: 4-, 3- and
    2-bit weights in int8 storage, which the same kernels run) clip: each channel's scale is
    the one of a grid of clipping points with the least squared error."""
    w = np.asarray(w, np.float32)
    red = tuple(i for i in range(w.ndim) if i != axis)
    amax = np.abs(w).max(axis=red) if red else np.abs(w)
    shape = [1] * w.ndim
    shape[axis] = -1
    scales = np.where(amax > 0, amax / float(qmax), 1.0).astype(np.float32)
    if qmax < 127:
        wc = np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1).astype(np.float64)
        best_err = np.full(wc.shape[0], np.inf)
        best = scales.astype(np.float64).copy()
        for frac in np.linspace(0.3, 1.0, 36):
            sc = np.where(amax > 0, amax * frac / float(qmax), 1.0)[:, None]
            err = np.square(np.clip(np.rint(wc / sc), -qmax, qmax) * sc - wc).sum(axis=1)
            better = err < best_err
            best_err = np.where(better, err, best_err)
            best = np.where(better, sc[:, 0], best)
        scales = best.astype(np.float32)
    q = np.clip(np.rint(w / scales.reshape(shape)), -qmax, qmax).astype(np.int8)
    return q, sdkm.Quant(scales, np.zeros(scales.size, np.int32), axis)


def bias_limit(qw: np.ndarray) -> np.ndarray:
    """Per output channel (axis 0), the largest |bias| the engine accepts with these int8
    weights: |bias| + 256 * sum|w| <= 2**31 - 1, so that every int32 intermediate of its
    kernels fits (engine/src/kernels/acc_s8.h); a file beyond it is refused at load."""
    s = np.abs(np.asarray(qw, np.int64).reshape(qw.shape[0], -1)).sum(axis=1)
    return (2**31 - 1) - 256 * s


def bias_quant(b: np.ndarray, in_scale: float, w_scales: np.ndarray,
               limit: np.ndarray | None = None) -> tuple[np.ndarray, sdkm.Quant]:
    """int32 bias at scale in_scale * w_scale[c], clamped to +-limit (bias_limit; the int32 range without)."""
    scales = (np.float32(in_scale) * w_scales.astype(np.float32)).astype(np.float32)
    lim = np.int64(2**31 - 1) if limit is None else np.asarray(limit, np.int64)
    q = np.clip(np.rint(np.asarray(b, np.float64) / scales.astype(np.float64)), -lim, lim)
    return q.astype(np.int32), sdkm.Quant(scales, np.zeros(scales.size, np.int32), 0)


def act_clamp(node: sdkm.Node, q: sdkm.Quant) -> tuple[int, int]:
    """int8 output bounds of a fused Relu/Clip (same formula as the C++ prepare)."""
    scale, zp = np.float32(q.scales[0]), int(q.zero_points[0])
    kind = int(node.attrs.get("activation", [0])[0])
    lo_q, hi_q = -128, 127
    if kind == sdkm.ACT_RELU:
        lo_q = max(lo_q, zp)
    elif kind == sdkm.ACT_CLIP:
        lo, hi = (list(node.attrs.get("activation_params", [-np.inf, np.inf])) + [np.inf])[:2]
        if math.isfinite(lo):
            lo_q = int(np.clip(zp + round_half_away(np.float32(lo) / scale), -128, 127))
        if math.isfinite(hi):
            hi_q = int(np.clip(zp + round_half_away(np.float32(hi) / scale), -128, 127))
    return lo_q, hi_q


# --------------------------------------------------------------------------- graph rewrite

def _act_kind(node: sdkm.Node) -> int:
    v = node.attrs.get("activation", [0])
    return int(v[0]) if isinstance(v, list) and v else 0


def _int_attr(node: sdkm.Node, key: str, default: int) -> int:
    v = node.attrs.get(key)
    return int(v[0]) if isinstance(v, list) and v else default


def _float_attr(node: sdkm.Node, key: str, default: float) -> float:
    v = node.attrs.get(key)
    return float(v[0]) if isinstance(v, list) and v else default


def _int8_capable(m: sdkm.Model, n: sdkm.Node) -> bool:
    t = m.tensors
    const = [i >= 0 and t[i].data is not None for i in n.inputs]
    if n.op == "Conv":
        return (len(n.inputs) >= 2 and not const[0] and const[1] and len(t[n.inputs[1]].shape) == 4
                and (len(n.inputs) < 3 or n.inputs[2] < 0 or const[2]) and _act_kind(n) in (0, 1, 2))
    if n.op in ("Gemm", "MatMul"):
        if len(n.inputs) < 2 or const[0] or not const[1] or len(t[n.inputs[0]].shape) != 2:
            return False
        if len(t[n.inputs[1]].shape) != 2 or _int_attr(n, "transA", 0) or _act_kind(n) not in (0, 1, 2):
            return False
        if len(n.inputs) >= 3 and n.inputs[2] >= 0:
            nout = t[n.outputs[0]].shape[1]
            return const[2] and t[n.inputs[2]].data.size in (1, nout)
        return True
    if n.op == "Add":
        return (len(n.inputs) == 2 and not any(const) and t[n.inputs[0]].shape == t[n.inputs[1]].shape
                and _act_kind(n) in (0, 1, 2))
    if n.op in ("MaxPool", "AveragePool", "GlobalAveragePool"):
        return not const[0] and len(t[n.inputs[0]].shape) == 4
    if n.op == "Concat":
        return not any(const) and all(t[i].dtype == F32 for i in n.inputs)
    if n.op == "Mul":
        return len(n.inputs) == 2 and not all(const) and _act_kind(n) == 0
    if n.op == "Resize":
        return int8_move.resize_int8_capable(m, n)
    return False


class _Rewriter:
    def __init__(self, src: sdkm.Model, ranges: Mapping[str, tuple[float, float]], int8_io: bool,
                 weight_bits: int = 8):
        self.src, self.ranges, self.int8_io = src, ranges, int8_io
        self.weight_bits = weight_bits
        self.out = sdkm.Model(name=src.name, meta=dict(src.meta))
        self.fver: dict[int, int] = {}  # src tensor -> new float tensor
        self.qver: dict[int, int] = {}  # src tensor -> new int8 tensor
        self.quant: dict[int, sdkm.Quant] = {}  # src tensor -> its int8 parameters
        self.io = set(src.inputs) | set(src.outputs)
        self.used_names: set[str] = set()

    def _name(self, i: int, domain: int) -> str:
        base = self.src.tensors[i].name
        io_domain = I8 if self.int8_io else F32
        want = base if (i not in self.io or domain == io_domain) and base not in self.used_names else None
        if want is None:
            want = f"{base}:{'q' if domain == I8 else 'f'}"
            while want in self.used_names:
                want += "_"
        self.used_names.add(want)
        return want

    def qparams(self, i: int) -> sdkm.Quant:
        if i not in self.quant:
            name = self.src.tensors[i].name
            if name not in self.ranges:
                raise SdkbuildError(f"no calibration range for tensor {name!r}")
            self.quant[i] = activation_quant(*self.ranges[name])
        return self.quant[i]

    def new_tensor(self, i: int, domain: int) -> int:
        t = self.src.tensors[i]
        q = self.qparams(i) if domain == I8 else None
        dtype = domain if domain == I8 or t.dtype == F32 else t.dtype  # indices, masks: as they are
        idx = self.out.add_tensor(sdkm.Tensor(self._name(i, domain), dtype, tuple(t.shape), None, q))
        (self.qver if domain == I8 else self.fver)[i] = idx
        return idx

    def const(self, name: str, data: np.ndarray, dtype: int, quant: sdkm.Quant | None = None) -> int:
        while name in self.used_names:
            name += "_"
        self.used_names.add(name)
        return self.out.add_tensor(sdkm.Tensor(name, dtype, tuple(data.shape), data, quant))

    def need_q(self, i: int) -> int:
        if i not in self.qver:
            f = self.need_f(i)
            q = self.new_tensor(i, I8)
            self.out.nodes.append(sdkm.Node("QuantizeLinear", f"{self.src.tensors[i].name}/quantize", [f], [q]))
        return self.qver[i]

    def need_f(self, i: int) -> int:
        if i not in self.fver:
            t = self.src.tensors[i]
            if t.data is not None:
                self.fver[i] = self.const(t.name, np.asarray(t.data), t.dtype, t.quant)
            else:
                q = self.qver[i]  # produced in int8 (topological order guarantees it exists)
                f = self.new_tensor(i, F32)
                self.out.nodes.append(sdkm.Node("DequantizeLinear", f"{t.name}/dequantize", [q], [f]))
        return self.fver[i]

    def run(self) -> sdkm.Model:
        src = self.src
        for i in src.inputs:
            self.new_tensor(i, I8 if self.int8_io else F32)
        self.out.inputs = [self.qver[i] if self.int8_io else self.fver[i] for i in src.inputs]
        for n in src.nodes:
            if n.op in LUT_OPS and len(n.inputs) == 1 and n.inputs[0] in self.qver:
                self._q_lut(n)
            elif n.op == "Mul" and _int8_capable(src, n) and any(i in self.qver for i in n.inputs):
                self._q_mul(n)
            elif n.op != "Mul" and _int8_capable(src, n):
                getattr(self, f"_q_{n.op.lower()}", self._q_generic)(n)
            elif n.op in FOLLOW_OPS and n.inputs[0] in self.qver and n.inputs[0] not in self.fver:
                self.quant[n.outputs[0]] = self.qparams(n.inputs[0])
                self._q_generic(n, [self.need_q(n.inputs[0])] + [self.need_f(i) if i >= 0 else -1 for i in n.inputs[1:]])
            else:
                ins = [self.need_f(i) if i >= 0 else -1 for i in n.inputs]
                outs = [self.new_tensor(o, F32) for o in n.outputs]
                self.out.nodes.append(sdkm.Node(n.op, n.name, ins, outs, dict(n.attrs), n.float_attrs))
        self.out.outputs = [self.need_q(i) if self.int8_io else self.need_f(i) for i in src.outputs]
        self.out.meta["quantization"] = "int8"
        return self.out

    # ---- per-op rewrites
    def _q_generic(self, n: sdkm.Node, ins: list[int] | None = None, attrs: dict | None = None) -> None:
        if ins is None:
            ins = [self.need_q(i) for i in n.inputs]
        outs = [self.new_tensor(o, I8) for o in n.outputs]
        a = dict(n.attrs) if attrs is None else attrs
        self.out.nodes.append(sdkm.Node(n.op, n.name, ins, outs, a, n.float_attrs))

    def _q_maxpool(self, n: sdkm.Node) -> None:
        x = self.need_q(n.inputs[0])
        self.quant[n.outputs[0]] = self.qparams(n.inputs[0])
        self._q_generic(n, [x])

    _q_averagepool = _q_maxpool
    _q_resize = _q_maxpool

    def _weights(self, n: sdkm.Node, w: np.ndarray, b: np.ndarray | None, x: int) -> list[int]:
        in_scale = float(self.qparams(n.inputs[0]).scales[0])
        low = self.weight_bits < 8 and compress.weight_input(self.src, self.src_node(n)) is not None
        qw, wq = weight_quant(w, 0, (1 << (self.weight_bits - 1)) - 1 if low else 127)
        ins = [x, self.const(self.src.tensors[n.inputs[1]].name, qw, I8, wq)]
        if b is not None:
            qb, bq = bias_quant(b.reshape(-1), in_scale, wq.scales, bias_limit(qw))
            bname = self.src.tensors[n.inputs[2]].name if len(n.inputs) > 2 and n.inputs[2] >= 0 else n.name + "/bias"
            ins.append(self.const(bname, qb, I32, bq))
        return ins

    def src_node(self, n: sdkm.Node) -> sdkm.Node:
        """The source model's node `n` was made from (Gemm rewrites keep the name)."""
        return next(s for s in self.src.nodes if s.name == n.name)

    def _q_conv(self, n: sdkm.Node) -> None:
        t = self.src.tensors
        x = self.need_q(n.inputs[0])
        b = t[n.inputs[2]].data if len(n.inputs) > 2 and n.inputs[2] >= 0 else None
        self._q_generic(n, self._weights(n, np.asarray(t[n.inputs[1]].data), b, x))

    def _q_gemm(self, n: sdkm.Node) -> None:
        t = self.src.tensors
        x = self.need_q(n.inputs[0])
        w = np.asarray(t[n.inputs[1]].data, np.float32)
        if not _int_attr(n, "transB", 0):
            w = w.T  # stored [N, K] so the weights are per-channel along axis 0 like Conv's
        w = w * np.float32(_float_attr(n, "alpha", 1.0))
        nout = w.shape[0]
        b = None
        if len(n.inputs) > 2 and n.inputs[2] >= 0:
            b = np.broadcast_to(np.asarray(t[n.inputs[2]].data, np.float32).reshape(-1), (nout,))
            b = b * np.float32(_float_attr(n, "beta", 1.0))
        attrs = {k: v for k, v in n.attrs.items() if k not in ("alpha", "beta", "transA", "transB")}
        attrs["transB"] = [1]
        gemm = sdkm.Node("Gemm", n.name, n.inputs, n.outputs, attrs, n.float_attrs - {"alpha", "beta"})
        self._q_generic(gemm, self._weights(gemm, np.ascontiguousarray(w), b, x), attrs)

    _q_matmul = _q_gemm

    def _q_lut(self, n: sdkm.Node) -> None:
        x = self.need_q(n.inputs[0])
        y = self.new_tensor(n.outputs[0], I8)
        table = lut_table(n, self.quant[n.inputs[0]], self.quant[n.outputs[0]])
        t = self.const(f"{n.name}/table", table, I8)
        self.out.nodes.append(sdkm.Node(n.op, n.name, [x, t], [y], dict(n.attrs), n.float_attrs))

    def _q_mul(self, n: sdkm.Node) -> None:
        ins = []
        for i in n.inputs:
            t = self.src.tensors[i]
            if t.data is None:
                ins.append(self.need_q(i))
                continue
            data = np.asarray(t.data, np.float32)
            q = activation_quant(float(data.min()), float(data.max()))
            qd = np.clip(np.rint(data / q.scales[0]) + q.zero_points[0], -128, 127).astype(np.int8)
            ins.append(self.const(t.name, qd, I8, q))
        self._q_generic(n, ins)


def lut_table(n: sdkm.Node, qin: sdkm.Quant, qout: sdkm.Quant) -> np.ndarray:
    """The int8 table of an element-wise fp32 node: table[q + 128] = its output, quantized
    with `qout`, at the real input value (q - zx) * sx, for q in [-128, 127]. The fp32
    function is the node's ONNX form (registry) run by onnxruntime."""
    import onnxruntime as ort
    from onnx import TensorProto, helper

    sx, zx = np.float32(qin.scales[0]), int(qin.zero_points[0])
    x = ((np.arange(-128, 128, dtype=np.int32) - zx).astype(np.float32) * sx).astype(np.float32)
    b = OnnxBuilder()
    cal.node_to_onnx(sdkm.Node(n.op, n.name, [0], [1], dict(n.attrs), n.float_attrs), ["x", "y"], b)
    g = helper.make_graph(b.nodes, "lut", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [256])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [256])], initializer=b.consts)
    proto = helper.make_model(g, opset_imports=[helper.make_opsetid("", cal.OPSET)], ir_version=10)
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    y = ort.InferenceSession(proto.SerializeToString(), opts, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    sy, zy = np.float32(qout.scales[0]), int(qout.zero_points[0])
    with np.errstate(invalid="ignore", over="ignore"):
        q = np.rint(np.asarray(y, np.float32) / sy) + zy
    return np.clip(np.nan_to_num(q, nan=zy), -128, 127).astype(np.int8)


def split_fused_activations(model: sdkm.Model) -> tuple[sdkm.Model, int]:
    """A copy of the fp32 model in which each Conv/Gemm/Add that int8 can compute, but for a
    fused HardSwish/Sigmoid/SiLU (not expressible as output clamps), is followed by that
    activation as its own op (which then runs through a table); and how many were split."""
    import copy

    m = copy.deepcopy(model)
    nodes, n_split = [], 0
    for n in m.nodes:
        kind = _act_kind(n)
        plain = sdkm.Node(n.op, n.name, n.inputs, n.outputs,
                          {k: v for k, v in n.attrs.items() if k not in ("activation", "activation_params")},
                          n.float_attrs - {"activation_params"})
        if kind not in _SPLIT_ACTS or n.op not in ("Conv", "Gemm", "MatMul", "Add") or not _int8_capable(m, plain):
            nodes.append(n)
            continue
        out = m.tensors[n.outputs[0]]
        pre = m.add_tensor(sdkm.Tensor(f"{out.name}:preact", out.dtype, tuple(out.shape), None))
        op, attrs = _SPLIT_ACTS[kind]
        plain.outputs = [pre, *n.outputs[1:]]
        nodes += [plain, sdkm.Node(op, f"{n.name}/{op.lower()}", [pre], [n.outputs[0]], dict(attrs),
                                   frozenset(attrs))]
        n_split += 1
    m.nodes = nodes
    return m, n_split


def _channel_const(m: sdkm.Model, n: sdkm.Node) -> tuple[int, np.ndarray] | None:
    """(x, c) when `n` is a Mul or Add of a 4-D tensor x by a per-channel (or scalar)
    constant c (shape (C, 1, 1), (1, C, 1, 1) or one value) that does not broadcast x."""
    if n.op not in ("Mul", "Add") or len(n.inputs) != 2 or min(n.inputs) < 0:
        return None
    t = m.tensors
    const = [t[i].data is not None for i in n.inputs]
    if const[0] == const[1]:
        return None
    x, c = (n.inputs[1], n.inputs[0]) if const[0] else (n.inputs[0], n.inputs[1])
    shape = tuple(t[x].shape)
    if len(shape) != 4 or tuple(t[n.outputs[0]].shape) != shape or t[x].dtype != F32:
        return None
    data = np.asarray(t[c].data, np.float64)
    if data.size == 1:
        return x, np.full(shape[1], float(data.reshape(-1)[0]))
    if data.size == shape[1] and tuple(data.shape) in ((shape[1], 1, 1), (1, shape[1], 1, 1)):
        return x, data.reshape(-1)
    return None


def affine_chains_to_depthwise(model: sdkm.Model) -> tuple[sdkm.Model, int]:
    """A copy of the fp32 model in which each chain of two or more per-channel Mul/Add by
    constants (a BatchNormalization that no Conv absorbed, e.g. DenseNet's before its 1x1
    convs, and a Caffe Scale layer after it: y = ((x * s1 + b1) * s2 + b2), optionally with a
    fused Relu/Clip at its end) is one depthwise 1x1 Conv computing y = a * x + b per channel,
    the same function; and how many chains were rewritten. int8 then computes the chain as
    one Conv (its one weight per channel is exact with per-channel weight scales) instead of
    an int8 Mul followed by fp32 Adds between DequantizeLinear and QuantizeLinear."""
    import copy

    m = copy.deepcopy(model)
    consumers: dict[int, int] = {}
    for n in m.nodes:
        for i in n.inputs:
            consumers[i] = consumers.get(i, 0) + 1
    outputs = set(m.outputs)
    by_input: dict[int, list[int]] = {}
    for k, n in enumerate(m.nodes):
        for i in n.inputs:
            by_input.setdefault(i, []).append(k)
    drop: set[int] = set()
    replace: dict[int, sdkm.Node] = {}
    for k, n in enumerate(m.nodes):
        if k in drop or _channel_const(m, n) is None:
            continue
        chain = [k]
        while True:  # extend while the last output feeds exactly one more such node
            last = m.nodes[chain[-1]]
            y = last.outputs[0]
            if _act_kind(last) != 0 or y in outputs or consumers.get(y, 0) != 1:
                break
            nxt = by_input.get(y, [])
            if len(nxt) != 1 or nxt[0] <= chain[-1] or _channel_const(m, m.nodes[nxt[0]]) is None:
                break
            chain.append(nxt[0])
        last = m.nodes[chain[-1]]
        if len(chain) < 2 or _act_kind(last) not in (0, sdkm.ACT_RELU, sdkm.ACT_CLIP):
            continue
        if any(_act_kind(m.nodes[j]) != 0 for j in chain[:-1]):
            continue
        x, _ = _channel_const(m, n)
        channels = m.tensors[x].shape[1]
        a, b = np.ones(channels), np.zeros(channels)
        for j in chain:
            _, c = _channel_const(m, m.nodes[j])
            if m.nodes[j].op == "Mul":
                a, b = a * c, b * c
            else:
                b = b + c
        w = m.add_tensor(sdkm.Tensor(f"{n.name}/affine_w", F32, (channels, 1, 1, 1),
                                     a.astype(np.float32).reshape(channels, 1, 1, 1)))
        bias = m.add_tensor(sdkm.Tensor(f"{n.name}/affine_b", F32, (channels,), b.astype(np.float32)))
        attrs: dict = {"strides": [1, 1], "pads": [0, 0, 0, 0], "dilations": [1, 1], "group": [channels]}
        frozen: frozenset = frozenset()
        if _act_kind(last):
            attrs["activation"] = [_act_kind(last)]
            if "activation_params" in last.attrs:
                attrs["activation_params"] = list(last.attrs["activation_params"])
                frozen = frozenset({"activation_params"})
        replace[k] = sdkm.Node("Conv", f"{n.name}/affine", [x, w, bias], [last.outputs[0]], attrs, frozen)
        drop.update(chain[1:])
    m.nodes = [replace.get(k, n) for k, n in enumerate(m.nodes) if k not in drop]
    return m, len(replace)


def quantize_model(
    model: sdkm.Model,
    calibration: str | os.PathLike | Sequence[Mapping[str, np.ndarray]],
    *,
    percentile: float | None = None,
    int8_io: bool = False,
    method: str | None = None,
    bias_correction: bool = False,
    weight_bits: int = 8,
) -> sdkm.Model:
    """The int8 version of the fp32 `model` (see the module docstring). `weight_bits` 4, 3
    or 2 quantizes the weights of the dense layers (compress.weight_input) to [-7, 7], [-3, 3]
    or [-1, 1]."""
    if weight_bits not in (2, 3, 4, 8):
        raise SdkbuildError(f"weight bits {weight_bits} are not supported", hint="use 8, 4, 3 or 2")
    # (not float: indices and masks pass through as they are)
    bad = [t.name for t in model.tensors if t.quant is not None or t.dtype == I8]
    if bad:
        raise SdkbuildError(f"model is not a plain fp32 model (tensor {bad[0]!r} is not f32)",
                            hint="quantize the fp32 model exported by the converter, not an already quantized one")
    model, _ = split_fused_activations(model)
    model, _ = affine_chains_to_depthwise(model)
    if isinstance(calibration, str | os.PathLike):
        samples = cal.load_samples(calibration, model)
    else:
        samples = [{k: np.asarray(v, np.float32) for k, v in s.items()} for s in calibration]
        if not samples:
            raise SdkbuildError("no calibration samples given")
    ranges = cal.collect_ranges(model, samples, percentile, method)
    qm = _Rewriter(model, ranges, int8_io, weight_bits).run()
    if bias_correction:
        correct_biases(model, qm, samples)
    return qm


# --------------------------------------------------------------------------- bias correction

_BC_SAMPLES = 32  # enough for per-channel means; bounds the time on big calibration sets


def _fp32_node_session(m: sdkm.Model, n: sdkm.Node):
    """An onnxruntime session computing one fp32 node; outputs (outputs..., pre-activation)."""
    import onnx
    import onnxruntime as ort
    from onnx import helper, numpy_helper

    names = [t.name for t in m.tensors]
    b = OnnxBuilder()
    cal.node_to_onnx(n, names, b)
    for i in n.inputs:
        if i >= 0 and m.tensors[i].data is not None:
            b.consts.append(numpy_helper.from_array(np.asarray(m.tensors[i].data), names[i]))
    feeds = [i for i in n.inputs if i >= 0 and m.tensors[i].data is None]
    outs = [names[o] for o in n.outputs]
    if any(o == outs[0] + "__preact" for nd in b.nodes for o in nd.output):
        outs.append(outs[0] + "__preact")

    def elem(i: int) -> int:
        return helper.np_dtype_to_tensor_dtype(m.tensors[i].numpy_dtype)

    g = helper.make_graph(
        b.nodes, "node",
        [helper.make_tensor_value_info(names[i], elem(i), list(m.tensors[i].shape)) for i in feeds],
        [helper.make_value_info(o, onnx.TypeProto()) for o in outs],
        initializer=b.consts,
    )
    proto = helper.make_model(g, opset_imports=[helper.make_opsetid("", cal.OPSET)], ir_version=10)
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    return ort.InferenceSession(proto.SerializeToString(), opts, providers=["CPUExecutionProvider"]), feeds, outs


def _int8_acc(qm: sdkm.Model, n: sdkm.Node, x: np.ndarray) -> np.ndarray:
    """The int32 accumulator of an int8 Conv/Gemm before its bias (simulate's arithmetic)."""
    T = qm.tensors
    xz = _qp(T[n.inputs[0]])[1]
    w = np.asarray(T[n.inputs[1]].data, np.int64)
    x = x.astype(np.int64) - xz
    if n.op == "Conv":
        return _conv_acc(x, w, n, T[n.outputs[0]].shape, 0).astype(np.int64)
    return np.matmul(x.astype(np.float64), w.T.astype(np.float64)).astype(np.int64)


def correct_biases(src: sdkm.Model, qm: sdkm.Model, samples: Sequence[Mapping[str, np.ndarray]]) -> None:
    """Empirical bias correction (Nagel et al. 2019, "Data-Free Quantization", sec. 4.2):
    walk the fp32 and the int8 graph side by side over the calibration samples; at each
    int8 Conv/Gemm, shift its int32 bias by the per-channel mean difference between the
    int8 pre-activation (in real units) and the fp32 one. Layers are corrected in order, so
    each correction also absorbs the mean error its (already corrected) inputs still carry.
    Rounding noise averages out; what is removed is the systematic part: weight rounding
    times the non-zero mean of the inputs, and the clipping of activation ranges."""
    samples = list(samples)[:_BC_SAMPLES]
    T = qm.tensors
    last_f: dict[int, int] = {}
    for k, n in enumerate(src.nodes):
        for i in n.inputs:
            last_f[i] = k
    for i in src.outputs:
        last_f[i] = len(src.nodes)
    last_q: dict[int, int] = {}
    for k, n in enumerate(qm.nodes):
        for i in n.inputs:
            last_q[i] = k
    vf = [{i: np.asarray(s[src.tensors[i].name], np.float32).reshape(src.tensors[i].shape) for i in src.inputs}
          for s in samples]
    vq: list[dict[int, np.ndarray]] = []
    for s in samples:
        d = {}
        for j, i in enumerate(qm.inputs):  # the rewriter keeps the order of the inputs
            x = np.asarray(s[src.tensors[src.inputs[j]].name], np.float32).reshape(T[i].shape)
            if T[i].dtype == I8:  # int8 graph inputs: quantize the real-valued calibration data
                sc, zp = _qp(T[i])
                x = np.clip(np.rint(x / sc) + zp, -128, 127).astype(np.int8)
            d[i] = x
        vq.append(d)
    consts_q = {i: np.asarray(t.data) for i, t in enumerate(T) if t.data is not None}
    cache: dict = {}
    k_src = 0
    for k, n in enumerate(qm.nodes):
        pre = None
        if n.op not in ("QuantizeLinear", "DequantizeLinear"):  # the twin of src.nodes[k_src]
            fn = src.nodes[k_src]
            sess, feeds, outs = _fp32_node_session(src, fn)
            for d in vf:
                res = sess.run(outs, {src.tensors[i].name: d[i] for i in feeds})
                for o, a in zip(fn.outputs, res, strict=False):
                    d[o] = a.reshape(src.tensors[o].shape)
                if len(outs) > len(fn.outputs):
                    d[-1] = res[-1]  # pre-activation of this node, kept until the int8 twin uses it
                for i in fn.inputs:
                    if i in d and last_f.get(i, -1) <= k_src and i not in src.outputs:
                        del d[i]
            k_src += 1
            pre = fn
        if (pre is not None and n.op in ("Conv", "Gemm") and T[n.inputs[0]].dtype == I8 and len(n.inputs) > 2
                and n.inputs[2] >= 0):
            b_t, w_t, x_t, y_t = T[n.inputs[2]], T[n.inputs[1]], T[n.inputs[0]], T[n.outputs[0]]
            accs = [_int8_acc(qm, n, {**consts_q, **d}[n.inputs[0]]) for d in vq]
            s_c = (np.float64(np.float32(x_t.quant.scales[0])) * w_t.quant.scales.astype(np.float64))
            axes = (0, *range(2, accs[0].ndim))
            ref = [d.pop(-1) if -1 in d else d[pre.outputs[0]] for d in vf]
            shape = (1, -1) + (1,) * (accs[0].ndim - 2)
            bias = np.asarray(b_t.data, np.int64).reshape(shape)
            # per-sample, per-channel mean error; a channel is corrected only where the mean
            # over samples is significant (> 3 standard errors): with few samples per channel
            # (a Gemm sees one value per sample) the estimate is otherwise mostly noise.
            per = np.stack([((a + bias) * s_c.reshape(shape) - r.reshape(a.shape)).mean(axis=axes)
                            for a, r in zip(accs, ref, strict=True)])
            err = per.mean(axis=0)
            if len(per) > 1:
                err = np.where(np.abs(err) > 3.0 * per.std(axis=0, ddof=1) / math.sqrt(len(per)), err, 0.0)
            lim = bias_limit(np.asarray(w_t.data))
            b_t.data = np.clip(np.asarray(b_t.data, np.int64) - np.rint(err / s_c).astype(np.int64),
                               -lim, lim).astype(np.int32)
            for a, d in zip(accs, vq, strict=True):
                acc = a + np.asarray(b_t.data, np.int64).reshape((1, -1) + (1,) * (a.ndim - 2))
                d[n.outputs[0]] = _requant_out(acc, n, x_t, w_t, y_t, 1).reshape(y_t.shape)
        else:
            for d in vf:
                d.pop(-1, None)
            for d in vq:
                v = {**consts_q, **d}
                for o, a in zip(n.outputs, _sim_node(qm, n, v, cache), strict=True):
                    d[o] = np.asarray(a).reshape(T[o].shape)
        for d in vq:
            for i in n.inputs:
                if i in d and last_q.get(i, -1) <= k and i not in qm.outputs:
                    del d[i]


# --------------------------------------------------------------------------- numpy reference

def _pads(n: sdkm.Node, key: str = "pads") -> list[int]:
    return list(n.attrs.get(key, [0, 0, 0, 0]))


def _windows(x: np.ndarray, n: sdkm.Node, out_hw: tuple[int, int], k: tuple[int, int], pad_value) -> tuple:
    """x [C,H,W] -> (win [C,kh,kw,Ho,Wo], valid [kh,kw,Ho,Wo], in_padded [kh,kw,Ho,Wo])."""
    c, h, w = x.shape
    kh, kw = k
    sh, sw = (list(n.attrs.get("strides", [1, 1])) + [1, 1])[:2]
    dh, dw = (list(n.attrs.get("dilations", [1, 1])) + [1, 1])[:2]
    pt, pl, pb, pr = _pads(n)
    ho, wo = out_hw
    need_h = (ho - 1) * sh + (kh - 1) * dh + 1
    need_w = (wo - 1) * sw + (kw - 1) * dw + 1
    eb, er = max(need_h - (h + pt), 0), max(need_w - (w + pl), 0)
    xp = np.pad(x, ((0, 0), (pt, eb), (pl, er)), constant_values=pad_value)
    valid = np.pad(np.ones((h, w), bool), ((pt, eb), (pl, er)))
    padded = np.pad(np.ones((h + pt + pb, w + pl + pr), bool), ((0, max(eb - pb, 0)), (0, max(er - pr, 0))))
    win = np.empty((c, kh, kw, ho, wo), x.dtype)
    vm = np.empty((kh, kw, ho, wo), bool)
    pm = np.empty((kh, kw, ho, wo), bool)
    for i in range(kh):
        for j in range(kw):
            sl = (slice(i * dh, i * dh + (ho - 1) * sh + 1, sh), slice(j * dw, j * dw + (wo - 1) * sw + 1, sw))
            win[:, i, j] = xp[(slice(None), *sl)]
            vm[i, j] = valid[sl]
            pm[i, j] = padded[sl]
    return win, vm, pm


def _conv_acc(x: np.ndarray, w: np.ndarray, n: sdkm.Node, out_shape: tuple[int, ...], pad_value) -> np.ndarray:
    """Integer-exact grouped convolution (float64 GEMM is exact below 2**53)."""
    b, _, _, _ = x.shape
    cout, cin_g, kh, kw = w.shape
    g = _int_attr(n, "group", 1)
    out = np.empty((b, cout, out_shape[2] * out_shape[3]), np.float64)
    for bi in range(b):
        win, _, _ = _windows(x[bi], n, out_shape[2:], (kh, kw), pad_value)
        cols = win.reshape(g, cin_g * kh * kw, -1).astype(np.float64)
        out[bi] = np.matmul(w.reshape(g, cout // g, -1).astype(np.float64), cols).reshape(cout, -1)
    return out.reshape(out_shape)


def _qp(t: sdkm.Tensor) -> tuple[np.float32, int]:
    return np.float32(t.quant.scales[0]), int(t.quant.zero_points[0])


def _requant_out(acc: np.ndarray, n: sdkm.Node, x_t, w_t, y_t, axis: int) -> np.ndarray:
    xs, _ = _qp(x_t)
    ys, yz = _qp(y_t)
    mults = [quantize_multiplier(requant_real(xs, s, ys)) for s in w_t.quant.scales]
    shape = [1] * acc.ndim
    shape[axis] = -1
    m = np.asarray([a for a, _ in mults], np.int64).reshape(shape)
    s = np.asarray([b for _, b in mults], np.int64).reshape(shape)
    lo, hi = act_clamp(n, y_t.quant)
    return np.clip(mbqm(acc, m, s) + yz, lo, hi).astype(np.int8)


def _sim_node(m: sdkm.Model, n: sdkm.Node, v: dict[int, np.ndarray], ort_cache: dict) -> list[np.ndarray]:
    T = m.tensors
    x_t = T[n.inputs[0]]
    y_t = T[n.outputs[0]]
    if n.op == "QuantizeLinear":
        s, z = _qp(y_t)
        x = np.asarray(v[n.inputs[0]], np.float32)
        return [np.clip(np.rint(x / s) + z, -128, 127).astype(np.int8)]
    if n.op == "DequantizeLinear":
        s, z = _qp(x_t)
        return [((v[n.inputs[0]].astype(np.int32) - z).astype(np.float32) * s).astype(np.float32)]
    if x_t.dtype != I8:
        return _sim_float(m, n, v, ort_cache)
    if n.op in LUT_OPS:
        table = np.asarray(v[n.inputs[1]], np.int8)
        return [table[v[n.inputs[0]].astype(np.int64) + 128]]
    x = v[n.inputs[0]].astype(np.int64)
    xs, xz = _qp(x_t)
    if n.op == "Conv":
        w_t = T[n.inputs[1]]
        acc = _conv_acc(x - xz, np.asarray(w_t.data, np.int64), n, y_t.shape, 0).astype(np.int64)
        if len(n.inputs) > 2 and n.inputs[2] >= 0:
            acc += np.asarray(T[n.inputs[2]].data, np.int64).reshape(1, -1, 1, 1)
        return [_requant_out(acc, n, x_t, w_t, y_t, 1)]
    if n.op == "Gemm":
        w_t = T[n.inputs[1]]
        acc = np.matmul((x - xz).astype(np.float64), np.asarray(w_t.data, np.float64).T).astype(np.int64)
        if len(n.inputs) > 2 and n.inputs[2] >= 0:
            acc += np.asarray(T[n.inputs[2]].data, np.int64).reshape(1, -1)
        return [_requant_out(acc, n, x_t, w_t, y_t, 1)]
    if n.op == "Add":
        b_t = T[n.inputs[1]]
        bs, bz = _qp(b_t)
        ys, yz = _qp(y_t)
        twice = 2.0 * max(float(xs), float(bs))
        m1, s1 = quantize_multiplier(float(xs) / twice)
        m2, s2 = quantize_multiplier(float(bs) / twice)
        mo, so = quantize_multiplier(twice / ((1 << 20) * float(ys)))
        a = mbqm((x - xz) << 20, m1, s1)
        b = mbqm((v[n.inputs[1]].astype(np.int64) - bz) << 20, m2, s2)
        lo, hi = act_clamp(n, y_t.quant)
        return [np.clip(mbqm(a + b, mo, so) + yz, lo, hi).astype(np.int8)]
    if n.op == "Mul":
        b_t = T[n.inputs[1]]
        bs, bz = _qp(b_t)
        ys, yz = _qp(y_t)
        mult, shift = quantize_multiplier(float(xs) * float(bs) / float(ys))
        prod = (x - xz) * (np.asarray(v[n.inputs[1]]).astype(np.int64) - bz)
        return [np.clip(mbqm(prod, mult, shift) + yz, -128, 127).astype(np.int8)]
    if n.op == "MaxPool":
        k = tuple(n.attrs["kernel_shape"])
        out = np.empty(y_t.shape, np.int8)
        for bi in range(x.shape[0]):
            win, _, _ = _windows(x[bi], n, y_t.shape[2:], k, -128)
            out[bi] = win.max(axis=(1, 2))
        return [out]
    if n.op == "AveragePool":
        k = tuple(n.attrs["kernel_shape"])
        incl = _int_attr(n, "count_include_pad", 0)
        out = np.empty(y_t.shape, np.int8)
        for bi in range(x.shape[0]):
            win, vm, pm = _windows(x[bi], n, y_t.shape[2:], k, 0)
            s = (win * vm).sum(axis=(1, 2))
            if incl:
                s = s + xz * (pm.sum(axis=(0, 1)) - vm.sum(axis=(0, 1)))
                cnt = pm.sum(axis=(0, 1))
            else:
                cnt = vm.sum(axis=(0, 1))
            s = s + np.where(s >= 0, cnt // 2, -(cnt // 2))
            out[bi] = np.clip(np.sign(s) * (np.abs(s) // cnt), -128, 127)
        return [out]
    if n.op == "GlobalAveragePool":
        cnt = x.shape[2] * x.shape[3]
        ys, yz = _qp(y_t)
        mult, shift = quantize_multiplier(float(xs) / (cnt * float(ys)))
        acc = x.sum(axis=(2, 3), keepdims=True) - cnt * xz
        return [np.clip(mbqm(acc, mult, shift) + yz, -128, 127).astype(np.int8)]
    if n.op == "Concat":
        ys, yz = _qp(y_t)
        parts = []
        for i in n.inputs:
            s, z = _qp(T[i])
            q = v[i].astype(np.int64)
            if s != ys or z != yz:
                mult, shift = quantize_multiplier(float(s) / float(ys))
                q = np.clip(mbqm(q - z, mult, shift) + yz, -128, 127)
            parts.append(q.astype(np.int8))
        return [np.concatenate(parts, axis=_int_attr(n, "axis", 0) % x.ndim)]
    if n.op == "Reshape":
        return [v[n.inputs[0]].reshape(y_t.shape)]
    if n.op == "Slice":
        steps = n.attrs.get("steps", [1] * len(n.attrs["starts"]))
        box = tuple(slice(a, b if b >= 0 else None, s)
                    for a, b, s in zip(n.attrs["starts"], n.attrs["ends"], steps, strict=True))
        return [v[n.inputs[0]][box]]
    if n.op in int8_move.SIM_OPS:
        return int8_move.simulate(m, n, v)
    raise SdkbuildError(f"simulate: no int8 reference for {n.op}")


def _sim_float(m: sdkm.Model, n: sdkm.Node, v: dict[int, np.ndarray], cache: dict) -> list[np.ndarray]:
    key = id(n)
    if key not in cache:
        cache[key] = _fp32_node_session(m, n)
    sess, feeds, outs = cache[key]
    return sess.run(outs[: len(n.outputs)], {m.tensors[i].name: v[i] for i in feeds})


def simulate(model: sdkm.Model, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Run a quantized model with the engine's int8 arithmetic in numpy (the test oracle);
    fp32 islands run on onnxruntime. Returns {output name: array}."""
    v: dict[int, np.ndarray] = {}
    for i in model.inputs:
        t = model.tensors[i]
        v[i] = np.asarray(inputs[t.name], t.numpy_dtype).reshape(t.shape)
    for i, t in enumerate(model.tensors):
        if t.data is not None:
            v[i] = np.asarray(t.data)
    cache: dict = {}
    for n in model.nodes:
        for o, a in zip(n.outputs, _sim_node(model, n, v, cache), strict=True):
            v[o] = np.asarray(a).reshape(model.tensors[o].shape)
    return {model.tensors[i].name: v[i] for i in model.outputs}
