"""Calibration for int8 post-training quantization.

* `load_samples(path, model)`: calibration inputs from a `.npy` file (leading axis =
  samples, or exactly one sample), a `.npz` file (one array per graph input name, same
  leading-axis rule), or a directory of such files.
* `to_onnx(model)`: the fp32 `.sdkm` graph as an ONNX model, every intermediate tensor a
  graph output. We calibrate on what the engine will actually run (after BN folding and
  activation fusion), so tensor names always match; onnxruntime executes it.
* `collect_ranges(model, samples, percentile, method)`: per activation tensor (lo, hi),
  by min/max, percentiles or the least int8 quantization MSE (the default).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import defs, helper, numpy_helper

from .. import sdkm
from ..errors import SdkbuildError
from .registry import OnnxBuilder, engine_ops

OPSET = 21  # the ONNX form engine ops are expressed in (registry.EngineOp.to_onnx)
Sample = dict[str, np.ndarray]  # graph input name -> array of the input's shape

def _model_inputs(model: sdkm.Model) -> list[sdkm.Tensor]:
    return [model.tensors[i] for i in model.inputs]


def _as_samples(arrays: Mapping[str, np.ndarray], model: sdkm.Model, origin: str) -> list[Sample]:
    inputs = _model_inputs(model)
    counts = set()
    fixed: dict[str, np.ndarray] = {}
    for t in inputs:
        if t.name not in arrays:
            raise SdkbuildError(
                f"calibration data {origin} has no array for input {t.name!r} (has: {sorted(arrays)})",
                hint="for multi-input models pass a .npz file (or directory of them) keyed by input name",
            )
        a = np.asarray(arrays[t.name], dtype=np.float32)
        if tuple(a.shape) == tuple(t.shape):
            a = a[None]
        elif tuple(a.shape[1:]) != tuple(t.shape):
            # a batch of samples without the model's batch-1 axis, e.g. [N, 1, 8, 8] for [1, 1, 8, 8]
            if len(t.shape) >= 1 and t.shape[0] == 1 and tuple(a.shape[1:]) == tuple(t.shape[1:]):
                a = a[:, None]
            else:
                raise SdkbuildError(
                    f"calibration data {origin}: array for input {t.name!r} has shape {a.shape}, "
                    f"expected {tuple(t.shape)} or [N, *{tuple(t.shape)}]",
                    hint="store one sample per file, or stack samples along a new leading axis",
                )
        fixed[t.name] = a
        counts.add(a.shape[0])
    if len(counts) != 1:
        raise SdkbuildError(f"calibration data {origin}: inputs have different sample counts {sorted(counts)}")
    n = counts.pop()
    return [{k: v[i] for k, v in fixed.items()} for i in range(n)]


def _load_file(p: Path, model: sdkm.Model) -> list[Sample]:
    try:
        with p.open("rb") as f:
            magic = f.read(6)
        # np.load blames pickling for any unknown bytes: name the real problem instead
        if magic != b"\x93NUMPY" and magic[:4] != b"PK\x03\x04":
            raise SdkbuildError(f"calibration file {p} is neither a .npy nor a .npz file (no NumPy/zip header)",
                                hint="use .npy or .npz files written by numpy.save / numpy.savez")
        data = np.load(p, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise SdkbuildError(f"cannot read calibration file {p}: {e}", hint="use .npy or .npz files written by numpy") from None
    if isinstance(data, np.lib.npyio.NpzFile):
        with data:
            arrays = {k: data[k] for k in data.files}
    else:
        ins = _model_inputs(model)
        if len(ins) != 1:
            raise SdkbuildError(
                f"calibration file {p} is a single array but the model has {len(ins)} inputs",
                hint="use a .npz file keyed by input name: " + ", ".join(t.name for t in ins),
            )
        arrays = {ins[0].name: data}
    return _as_samples(arrays, model, str(p))


def load_samples(path: str | os.PathLike, model: sdkm.Model) -> list[Sample]:
    """Calibration samples for `model` from a .npy/.npz file or a directory of them."""
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix in (".npy", ".npz"))
        if not files:
            raise SdkbuildError(f"calibration directory {p} holds no .npy or .npz files",
                                hint="save representative inputs with numpy.save into it")
        samples = [s for f in files for s in _load_file(f, model)]
    elif p.is_file():
        samples = _load_file(p, model)
    else:
        raise SdkbuildError(f"calibration data {p} does not exist", hint="pass a .npy/.npz file or a directory")
    if not samples:
        raise SdkbuildError(f"calibration data {p} holds zero samples")
    return samples


# --------------------------------------------------------------------------- ONNX export

def _activation_nodes(node: sdkm.Node, pre: str, out: str, b: OnnxBuilder) -> None:
    act = node.attrs.get("activation", [0])
    kind = int(act[0]) if isinstance(act, list) and act else 0
    if kind == sdkm.ACT_RELU:
        b.node("Relu", [pre], [out])
    elif kind == sdkm.ACT_CLIP:
        lo, hi = (list(node.attrs.get("activation_params", [-np.inf, np.inf])) + [np.inf])[:2]
        b.node("Clip", [pre, b.const(out + "__lo", lo, np.float32), b.const(out + "__hi", hi, np.float32)], [out])
    elif kind == sdkm.ACT_HARDSWISH:
        b.node("HardSwish", [pre], [out])
    elif kind == sdkm.ACT_SIGMOID:
        b.node("Sigmoid", [pre], [out])
    elif kind == sdkm.ACT_SILU:
        b.node("Sigmoid", [pre], [out + "__sig"])
        b.node("Mul", [pre, out + "__sig"], [out])


_ENGINE_ONLY_ATTRS = ("activation", "activation_params")


def onnx_attrs(node: sdkm.Node, opset: int = OPSET) -> dict:
    """The engine node's attributes in ONNX form, typed by the ONNX schema of the same op."""
    schema = defs.get_schema(node.op, opset)
    out: dict = {}
    for k, v in node.attrs.items():
        if k in _ENGINE_ONLY_ATTRS:
            continue
        a = schema.attributes.get(k)
        if a is None:
            raise SdkbuildError(f"internal: engine attribute {k!r} of {node.op} has no ONNX equivalent",
                                hint="give the engine op a to_onnx in sdkbuild/convert/ops/")
        t = a.type
        if t == defs.OpSchema.AttrType.INT:
            out[k] = int(v[0])
        elif t == defs.OpSchema.AttrType.FLOAT:
            out[k] = float(v[0])
        elif t == defs.OpSchema.AttrType.INTS:
            out[k] = [int(x) for x in v]
        elif t == defs.OpSchema.AttrType.FLOATS:
            out[k] = [float(x) for x in v]
        else:
            out[k] = v
    return out


def node_to_onnx(node: sdkm.Node, names: Sequence[str], b: OnnxBuilder) -> None:
    """ONNX node(s) computing one fp32 .sdkm node; `names` maps tensor index -> name."""
    ins = [names[i] if i >= 0 else "" for i in node.inputs]
    while ins and ins[-1] == "":
        ins.pop()
    outs = [names[o] for o in node.outputs]
    spec = engine_ops().get(node.op)
    if spec is None:
        raise SdkbuildError(f"node {node.name!r}: op {node.op} cannot be calibrated (not an fp32 engine op)")
    act = int(node.attrs.get("activation", [0])[0]) if "activation" in node.attrs else 0
    real = [outs[0] + "__preact", *outs[1:]] if act else outs
    if spec.to_onnx is not None:
        spec.to_onnx(node, ins, real, b)
    else:
        b.node(node.op, ins, real, node.name, **onnx_attrs(node))
    if act:
        _activation_nodes(node, real[0], outs[0], b)


def to_onnx(model: sdkm.Model, record_all: bool = True) -> onnx.ModelProto:
    """The fp32 `model` as ONNX; with record_all every activation tensor is an output."""
    names = [t.name for t in model.tensors]
    b = OnnxBuilder()
    for t in model.tensors:
        if t.data is not None:
            b.consts.append(numpy_helper.from_array(np.asarray(t.data), t.name))
    for n in model.nodes:
        node_to_onnx(n, names, b)

    def vi(i: int) -> onnx.ValueInfoProto:
        t = model.tensors[i]
        return helper.make_tensor_value_info(t.name, helper.np_dtype_to_tensor_dtype(t.numpy_dtype), list(t.shape))

    outs = list(model.outputs)
    if record_all:
        seen = set(outs)
        for n in model.nodes:
            for o in n.outputs:
                if o not in seen and model.tensors[o].data is None:
                    outs.append(o)
                    seen.add(o)
    graph = helper.make_graph(b.nodes, model.name or "model", [vi(i) for i in model.inputs], [vi(i) for i in outs],
                              initializer=b.consts)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=10)


def run_onnx(proto: onnx.ModelProto, samples: Sequence[Sample]):
    """Yield {output name: array} per sample, from onnxruntime (one session for all)."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise SdkbuildError("int8 calibration needs onnxruntime", hint="pip install onnxruntime") from None
    opts = ort.SessionOptions()
    # calibrate what the .sdkm computes, not an onnxruntime-rewritten graph
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.log_severity_level = 3
    sess = ort.InferenceSession(proto.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    out_names = [o.name for o in sess.get_outputs()]
    for s in samples:
        yield dict(zip(out_names, sess.run(out_names, s), strict=True))


METHODS = ("minmax", "percentile", "mse")
_BINS = 2048  # histogram resolution for the MSE search: 8 bins per int8 step at full range
_GRID = np.linspace(0.25, 1.0, 61)  # candidate fractions of the observed min / max


def _quant_mse(centers: np.ndarray, counts: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Total squared error of the int8 activation quantizer (quantize.activation_quant's
    arithmetic) over a histogram, for each candidate range (lo[i], hi[i])."""
    lo, hi = np.minimum(lo, 0.0)[:, None], np.maximum(hi, 0.0)[:, None]
    scale = np.where(hi > lo, (hi - lo) / 255.0, 1.0)
    zp = np.clip(np.floor(-128.0 - lo / scale + 0.5), -128, 127)
    q = np.clip(np.rint(centers[None] / scale) + zp, -128, 127)
    return (((q - zp) * scale - centers[None]) ** 2 * counts[None]).sum(axis=1)


def mse_range(centers: np.ndarray, counts: np.ndarray, lo: float, hi: float) -> tuple[float, float]:
    """The clipping range [a*lo, b*hi] (a, b in _GRID) with the least quantization MSE.

    Clipping the rare large values buys a finer step for all the others; the histogram
    decides per tensor where that trade pays (a one-sided search for ReLU outputs)."""
    # coordinate search: a common fraction first, then each end with the other fixed
    g, one = _GRID, np.ones_like(_GRID)
    ga = g if lo < 0.0 else one  # a range that does not extend below 0 keeps its end
    gb = g if hi > 0.0 else one
    k = int(np.argmin(_quant_mse(centers, counts, ga * lo, gb * hi)))
    fa, fb = float(ga[k]), float(gb[k])
    for _ in range(2):
        fa = float(ga[int(np.argmin(_quant_mse(centers, counts, ga * lo, one * fb * hi)))])
        fb = float(gb[int(np.argmin(_quant_mse(centers, counts, one * fa * lo, gb * hi)))])
    return fa * lo, fb * hi


def collect_ranges(
    model: sdkm.Model, samples: Sequence[Sample], percentile: float | None = None, method: str | None = None
) -> dict[str, tuple[float, float]]:
    """(lo, hi) per activation tensor name over the samples.

    * "minmax": the observed min/max;
    * "percentile" (`percentile` p, e.g. 99.99): each sample contributes its (100-p, p)
      percentiles and the range is their mean over samples, so outliers in single samples
      stop stretching the scale of every other value;
    * "mse" (default): per tensor, the clipping range that minimises the int8 quantization
      mean squared error over a histogram of all calibration values (a second pass).
    Giving only `percentile` selects "percentile".
    """
    if method is None:
        method = "percentile" if percentile is not None else "mse"
    if method not in METHODS:
        raise SdkbuildError(f"unknown calibration method {method!r}", hint="use one of: " + ", ".join(METHODS))
    if method == "percentile":
        percentile = 99.99 if percentile is None else percentile
        if not 50.0 < percentile <= 100.0:
            raise SdkbuildError(f"calibration percentile {percentile} is outside (50, 100]", hint="try 99.99")
    proto = to_onnx(model)
    inputs = _model_inputs(model)

    def stream():
        for s, outs in zip(samples, run_onnx(proto, samples), strict=True):
            for t in inputs:  # inputs are not graph outputs of the recording model
                outs = {**outs, t.name: s[t.name]}
            yield outs

    lo: dict[str, list[float]] = {}
    hi: dict[str, list[float]] = {}
    for outs in stream():
        for name, a in outs.items():
            a = np.asarray(a, dtype=np.float32).reshape(-1)
            if method == "percentile" and percentile != 100.0:
                a_lo, a_hi = (float(x) for x in np.percentile(a, [100.0 - percentile, percentile]))
            else:
                a_lo, a_hi = float(a.min()), float(a.max())
            lo.setdefault(name, []).append(a_lo)
            hi.setdefault(name, []).append(a_hi)
    if method == "percentile" and percentile != 100.0:
        return {k: (float(np.mean(lo[k])), float(np.mean(hi[k]))) for k in lo}
    ranges = {k: (min(min(lo[k]), 0.0), max(max(hi[k]), 0.0)) for k in lo}
    if method == "minmax":
        return {k: (min(lo[k]), max(hi[k])) for k in lo}
    hists = {k: np.zeros(_BINS, np.float64) for k in ranges}
    for outs in stream():
        for name, a in outs.items():
            r_lo, r_hi = ranges[name]
            if r_hi > r_lo:
                hists[name] += np.histogram(np.asarray(a, np.float32).reshape(-1), _BINS, (r_lo, r_hi))[0]
    out: dict[str, tuple[float, float]] = {}
    for k, (r_lo, r_hi) in ranges.items():
        if not (math.isfinite(r_lo) and math.isfinite(r_hi)) or r_hi <= r_lo:
            out[k] = (r_lo, r_hi)  # degenerate or non-finite: activation_quant reports / handles it
            continue
        edges = np.linspace(r_lo, r_hi, _BINS + 1)
        out[k] = mse_range((edges[:-1] + edges[1:]) / 2, hists[k], r_lo, r_hi)
    return out
