"""Write an fp32 .sdkm graph as an ncnn model (param + bin), so `bench` can run the very
same network (same folded weights, same fused activations) on ncnn, a mobile inference
runtime, next to the engine and onnxruntime.

Covers the CNN ops the examples and the zoo's CNNs use: Conv (grouped and depthwise, with
its fused activation; SiLU as a Swish layer after it; a 1x1 conv of a global pooling's
output, a squeeze-excitation's, as InnerProduct, since ncnn's blob is 1-D there), Add, Mul (same shapes, or a
squeeze-excitation [1, C, 1, 1] scale), Sigmoid, HardSwish, HardSigmoid, Swish (SiLU), channel
Concat, Relu, Clip,
MaxPool, AveragePool, GlobalAveragePool, the flatten Reshape, Gemm with constant weights,
Softmax. Batch 1 only (ncnn blobs are C x H x W).
Anything else raises NcnnUnsupported naming the node, and bench leaves ncnn out.

Format: https://github.com/Tencent/ncnn/wiki/param-and-model-file-structure. A blob
read by several layers goes through a Split layer (ncnn gives each blob one consumer).

int8 (`quantize_int8`): ncnn's own post-training quantization as its documentation
(docs/how-to-use-and-FAQ/quantized-int8-inference.md) describes it: ncnnoptimize, ncnn2table
(KL or ACIQ over calibration inputs given as .npy files, `type=1`) and ncnn2int8, on the
exported fp32 model and the calibration samples the engine's quantizer gets. The tools are
built from ncnn's source by the bench scripts (bench/ncnn_tools.py).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import sdkm
from .errors import SdkbuildError
from .fileio import write_atomic

INPUT, OUTPUT = "in0", "out0"  # blob names bench feeds and reads

# engine fused activation code -> ncnn activation_type (ncnn: 1 ReLU, 3 Clip, 4 Sigmoid, 6 HardSwish)
_ACT = {0: 0, 1: 1, 2: 3, 3: 6, 4: 4}
F32 = 1  # sdkm dtype code


class NcnnUnsupported(Exception):
    """The graph uses something this exporter does not map to ncnn."""


def _ints(n: sdkm.Node, key: str, default: list[int]) -> list[int]:
    v = n.attrs.get(key)
    return [int(x) for x in v] if isinstance(v, list) and v else default


def _floats(n: sdkm.Node, key: str, default: list[float]) -> list[float]:
    v = n.attrs.get(key)
    return [float(x) for x in v] if isinstance(v, list) and v else default


def _act_params(n: sdkm.Node) -> list[str]:
    code = _ints(n, "activation", [0])[0]
    if code == sdkm.ACT_SILU:  # no fused Swish in ncnn: a Swish layer follows (_Writer.node)
        return []
    if code not in _ACT:
        raise NcnnUnsupported(f"node {n.name!r}: fused activation {code}")
    out = [f"9={_ACT[code]}"] if code else []
    if code == 2:
        lo, hi = _floats(n, "activation_params", [0.0, 6.0])
        out.append(f"-23310=2,{lo:e},{hi:e}")
    elif code == 3:  # x * clamp(x / 6 + 1/2, 0, 1)
        out.append(f"-23310=2,{1 / 6:e},{0.5:e}")
    return out


class _Writer:
    def __init__(self, m: sdkm.Model) -> None:
        self.m = m
        self.layers: list[str] = []
        self.blobs: set[str] = set()
        self.weights = bytearray()
        self.names = {i: f"t{i}" for i in range(len(m.tensors))}
        self.readers: dict[int, int] = {}  # tensor -> layers still to read it
        self.split_outs: dict[int, list[str]] = {}
        # tensors whose ncnn blob is 1-D: a global pooling's output and what elementwise ops and
        # 1x1 convs make of it (a squeeze-excitation's vector)
        self.flat: set[int] = set()
        for n in m.nodes:
            for i in n.inputs:
                if i >= 0 and m.tensors[i].data is None:
                    self.readers[i] = self.readers.get(i, 0) + 1

    def layer(self, kind: str, name: str, ins: list[str], outs: list[str], params: list[str]) -> None:
        self.layers.append(" ".join([kind, name, str(len(ins)), str(len(outs)), *ins, *outs, *params]))
        self.blobs.update(outs)

    def produce(self, t: int) -> str:
        """The blob name layer output `t` gets; fans out through a Split when read several times."""
        name = INPUT if t in self.m.inputs else OUTPUT if t in self.m.outputs else self.names[t]
        k = self.readers.get(t, 0)
        if k > 1:
            self.split_outs[t] = [f"{name}_s{j}" for j in range(k)]
        return name

    def read(self, t: int) -> str:
        if self.m.tensors[t].data is not None:
            raise NcnnUnsupported(f"constant tensor {self.m.tensors[t].name!r} used as an activation")
        if t in self.split_outs:
            return self.split_outs[t].pop()
        return INPUT if t in self.m.inputs else self.names[t]

    def after(self, t: int, blob: str) -> None:
        if t in self.split_outs:
            self.layer("Split", f"split_{blob}", [blob], list(self.split_outs[t]), [])

    def raw(self, a: np.ndarray, tagged: bool) -> None:
        if tagged:  # ncnn's "auto" weight storage: a 4-byte tag, 0 = plain float32
            self.weights += struct.pack("<I", 0)
        self.weights += np.ascontiguousarray(a, "<f4").tobytes()

    def const(self, i: int) -> np.ndarray:
        t = self.m.tensors[i]
        if t.data is None:
            raise NcnnUnsupported(f"tensor {t.name!r} must be a constant")
        return np.asarray(t.data, np.float32)

    def node(self, n: sdkm.Node) -> None:
        m, op = self.m, n.op
        shape = m.tensors[n.outputs[0]].shape
        if op == "Conv" and n.inputs[0] in self.flat and self._is_fc(n):
            # a 1x1 conv of a 1-D blob (after global pooling): InnerProduct, as ncnn's converters
            # and ncnnoptimize write it. ncnn runs a Convolution there through a deprecated 1-D
            # compatibility path, which its int8 gets wrong (efficientnet_b0's SE convs: int8
            # output cosine 0.04 against fp32)
            w = self.const(n.inputs[1])
            has_b = len(n.inputs) > 2 and n.inputs[2] >= 0
            x = self.read(n.inputs[0])
            self.raw(w.reshape(w.shape[0], -1), True)
            if has_b:
                self.raw(self.const(n.inputs[2]), False)
            y = self.produce(n.outputs[0])
            silu = _ints(n, "activation", [0])[0] == sdkm.ACT_SILU
            self.layer("InnerProduct", n.name, [x], [y + "_pre" if silu else y],
                       [f"0={w.shape[0]}", f"1={int(has_b)}", f"2={w.size}", *_act_params(n)])
            if silu:
                self.layer("Swish", n.name + "_swish", [y + "_pre"], [y], [])
            self.flat.add(n.outputs[0])
        elif op == "Conv":
            w = self.const(n.inputs[1])
            oc, cg, kh, kw = w.shape
            group = _ints(n, "group", [1])[0]
            sh, sw = _ints(n, "strides", [1, 1])
            dh, dw = _ints(n, "dilations", [1, 1])
            pt, pl, pb, pr = _ints(n, "pads", [0, 0, 0, 0])
            has_b = len(n.inputs) > 2 and n.inputs[2] >= 0
            params = [f"0={oc}", f"1={kw}", f"11={kh}", f"2={dw}", f"12={dh}", f"3={sw}", f"13={sh}", f"4={pl}",
                      f"14={pt}", f"15={pr}", f"16={pb}", f"5={int(has_b)}", f"6={w.size}"]
            if group > 1:
                params.append(f"7={group}")
            x = self.read(n.inputs[0])
            self.raw(w, True)
            if has_b:
                self.raw(self.const(n.inputs[2]), False)
            y = self.produce(n.outputs[0])
            silu = _ints(n, "activation", [0])[0] == sdkm.ACT_SILU
            self.layer("ConvolutionDepthWise" if group > 1 else "Convolution", n.name, [x], [y + "_pre" if silu else y],
                       params + _act_params(n))
            if silu:
                self.layer("Swish", n.name + "_swish", [y + "_pre"], [y], [])
        elif op == "Gemm":
            if _ints(n, "transA", [0])[0]:
                raise NcnnUnsupported(f"node {n.name!r}: Gemm with transA")
            w = self.const(n.inputs[1]) * np.float32(_floats(n, "alpha", [1.0])[0])
            if not _ints(n, "transB", [0])[0]:
                w = w.T
            has_b = len(n.inputs) > 2 and n.inputs[2] >= 0
            x = self.read(n.inputs[0])
            self.raw(w, True)
            if has_b:
                b = np.broadcast_to(self.const(n.inputs[2]).reshape(-1), (w.shape[0],))
                self.raw(b * np.float32(_floats(n, "beta", [1.0])[0]), False)
            y = self.produce(n.outputs[0])
            self.layer("InnerProduct", n.name, [x], [y],
                       [f"0={w.shape[0]}", f"1={int(has_b)}", f"2={w.size}", *_act_params(n)])
        elif op in ("Add", "Mul") and self._scalar_operand(n) is not None:
            # x op constant scalar (a lowered HardSigmoid: x * 1/6 + 1/2): BinaryOp with_scalar
            x_i, value = self._scalar_operand(n)
            x = self.read(x_i)
            y = self.produce(n.outputs[0])
            act = _ints(n, "activation", [0])[0]
            params = [f"0={0 if op == 'Add' else 2}", "1=1", f"2={value:e}"]
            if act:
                self.layer("BinaryOp", n.name, [x], [y + "_pre"], params)
                self._act(n.name + "_act", act, y + "_pre", y, n)
            else:
                self.layer("BinaryOp", n.name, [x], [y], params)
            if x_i in self.flat:
                self.flat.add(n.outputs[0])
        elif op == "Add":
            a, b = (self.read(i) for i in n.inputs)
            act = _ints(n, "activation", [0])[0]
            y = self.produce(n.outputs[0])
            if act:
                self.layer("BinaryOp", n.name, [a, b], [y + "_pre"], ["0=0"])
                self._act(n.name + "_act", act, y + "_pre", y, n)
            else:
                self.layer("BinaryOp", n.name, [a, b], [y], ["0=0"])
        elif op == "Mul":
            a, b = n.inputs
            sa, sb = (list(m.tensors[i].shape) for i in (a, b))
            # same shape, or a per-channel [1, C, 1, 1] scale (squeeze-excitation): ncnn broadcasts both
            if not (sa == sb or (len(sa) == 4 and sb == [sa[0], sa[1], 1, 1])
                    or (len(sb) == 4 and sa == [sb[0], sb[1], 1, 1])):
                raise NcnnUnsupported(f"node {n.name!r}: Mul of {sa} and {sb}")
            xa, xb = self.read(a), self.read(b)
            self.layer("BinaryOp", n.name, [xa, xb], [self.produce(n.outputs[0])], ["0=2"])
        elif op in ("Sigmoid", "HardSwish", "HardSigmoid") or (op == "Swish" and _floats(n, "alpha", [1.0])[0] == 1.0):
            x = self.read(n.inputs[0])
            params = [f"0={1 / 6:e}", f"1={0.5:e}"] if op == "HardSwish" else []
            if op == "HardSigmoid":
                params = [f"0={_floats(n, 'alpha', [0.2])[0]:e}", f"1={_floats(n, 'beta', [0.5])[0]:e}"]
            self.layer(op, n.name, [x], [self.produce(n.outputs[0])], params)
            if n.inputs[0] in self.flat:
                self.flat.add(n.outputs[0])
        elif op == "Concat":
            rank = len(shape)
            axis = _ints(n, "axis", [1])[0] % rank
            if rank != 4 or axis != 1:
                raise NcnnUnsupported(f"node {n.name!r}: Concat over axis {axis} of rank {rank}")
            xs = [self.read(i) for i in n.inputs]
            self.layer("Concat", n.name, xs, [self.produce(n.outputs[0])], ["0=0"])
        elif op in ("Relu", "Clip"):
            x = self.read(n.inputs[0])
            y = self.produce(n.outputs[0])
            if op == "Relu":
                self.layer("ReLU", n.name, [x], [y], [])
            else:
                lo, hi = self._clip_bounds(n)
                self.layer("Clip", n.name, [x], [y], [f"0={lo:e}", f"1={hi:e}"])
            if n.inputs[0] in self.flat:
                self.flat.add(n.outputs[0])
        elif op in ("MaxPool", "AveragePool", "GlobalAveragePool"):
            x = self.read(n.inputs[0])
            y = self.produce(n.outputs[0])
            if op == "GlobalAveragePool":
                self.layer("Pooling", n.name, [x], [y], ["0=1", "4=1"])
                self.flat.add(n.outputs[0])
            else:
                kh, kw = _ints(n, "kernel_shape", [1, 1])
                sh, sw = _ints(n, "strides", [1, 1])
                pt, pl, pb, pr = _ints(n, "pads", [0, 0, 0, 0])
                if _ints(n, "dilations", [1, 1]) != [1, 1]:
                    raise NcnnUnsupported(f"node {n.name!r}: dilated pooling")
                mode = 0 if _ints(n, "ceil_mode", [0])[0] else 1  # ncnn: 0 full (ceil), 1 valid (floor)
                params = [f"0={int(op == 'AveragePool')}", f"1={kw}", f"11={kh}", f"2={sw}", f"12={sh}", f"3={pl}",
                          f"13={pt}", f"14={pr}", f"15={pb}", f"5={mode}"]
                if op == "AveragePool":
                    params.append(f"6={_ints(n, 'count_include_pad', [0])[0]}")
                self.layer("Pooling", n.name, [x], [y], params)
        elif op == "Reshape":
            if len(shape) != 2 or shape[0] != 1:
                raise NcnnUnsupported(f"node {n.name!r}: Reshape to {list(shape)} (only the [1, K] flatten maps)")
            x = self.read(n.inputs[0])
            self.layer("Flatten", n.name, [x], [self.produce(n.outputs[0])], [])
        elif op == "Softmax":
            rank = len(m.tensors[n.inputs[0]].shape)
            axis = _ints(n, "axis", [-1])[0] % rank
            if axis != rank - 1 or rank > 4:
                raise NcnnUnsupported(f"node {n.name!r}: Softmax over axis {axis} of rank {rank}")
            x = self.read(n.inputs[0])
            # ncnn axes count without the batch: the last of rank-1 remaining dims; 1= fixes a legacy bug
            self.layer("Softmax", n.name, [x], [self.produce(n.outputs[0])], [f"0={rank - 2}", "1=1"])
        else:
            raise NcnnUnsupported(f"node {n.name!r}: no ncnn mapping for op {op}")
        self.after(n.outputs[0], OUTPUT if n.outputs[0] in m.outputs else self.names[n.outputs[0]])


    def _is_fc(self, n: sdkm.Node) -> bool:
        """A conv that is a fully connected layer on a [1, C, 1, 1] input: 1x1 kernel, one group,
        no padding."""
        w = self.const(n.inputs[1])
        return (w.ndim == 4 and w.shape[2:] == (1, 1) and _ints(n, "group", [1])[0] == 1
                and not any(_ints(n, "pads", [0, 0, 0, 0])) and list(self.m.tensors[n.inputs[0]].shape[2:]) == [1, 1])

    def _scalar_operand(self, n: sdkm.Node) -> tuple[int, float] | None:
        """(the activation input, the value) when one of a binary op's inputs is a constant scalar."""
        if len(n.inputs) != 2:
            return None
        for k in (0, 1):
            t = self.m.tensors[n.inputs[k]]
            if t.data is not None and np.asarray(t.data).size == 1 and self.m.tensors[n.inputs[1 - k]].data is None:
                return n.inputs[1 - k], float(np.asarray(t.data, np.float32).reshape(-1)[0])
        return None

    def _clip_bounds(self, n: sdkm.Node) -> tuple[float, float]:
        vals = []
        for j, default in ((1, -3.4e38), (2, 3.4e38)):
            if len(n.inputs) > j and n.inputs[j] >= 0:
                vals.append(float(self.const(n.inputs[j]).reshape(-1)[0]))
            else:
                vals.append(_floats(n, ("min", "max")[j - 1], [default])[0])
        return vals[0], vals[1]

    def _act(self, name: str, code: int, x: str, y: str, n: sdkm.Node) -> None:
        if code == 1:
            self.layer("ReLU", name, [x], [y], [])
        elif code == 2:
            lo, hi = _floats(n, "activation_params", [0.0, 6.0])
            self.layer("Clip", name, [x], [y], [f"0={lo:e}", f"1={hi:e}"])
        else:
            raise NcnnUnsupported(f"node {n.name!r}: fused activation {code} on Add")


def export(model: sdkm.Model, param: str | os.PathLike, weights: str | os.PathLike) -> None:
    """Write `model` (fp32, one input, one output, batch 1) as ncnn param + bin files."""
    t = model.tensors
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise NcnnUnsupported("only single-input, single-output models map")
    if any(x.dtype != F32 or x.quant is not None for x in t):
        raise NcnnUnsupported("only fp32 models map")
    shape = t[model.inputs[0]].shape
    if len(shape) not in (2, 4) or shape[0] != 1:
        raise NcnnUnsupported(f"input shape {list(shape)}: ncnn runs batch 1, C x H x W")
    w = _Writer(model)
    dims = [f"0={shape[3]}", f"1={shape[2]}", f"2={shape[1]}"] if len(shape) == 4 else [f"0={shape[1]}"]
    w.layer("Input", "input", [], [w.produce(model.inputs[0])], dims)
    w.after(model.inputs[0], INPUT)
    for n in model.nodes:
        w.node(n)
    text = "\n".join(["7767517", f"{len(w.layers)} {len(w.blobs)}", *w.layers]) + "\n"
    write_atomic(Path(param), text)
    write_atomic(Path(weights), bytes(w.weights))


NCNN_INT8_TOOLS = ("ncnnoptimize", "ncnn2table", "ncnn2int8")
NCNN_INT8_METHODS = ("kl", "aciq")


def write_calibration(samples: Sequence[np.ndarray], folder: str | os.PathLike) -> tuple[Path, list[int]]:
    """ncnn2table's .npy calibration input (`type=1`): one float32 .npy per sample with the
    batch dimension dropped (C x H x W, as ncnn blobs are), and the list file naming them one
    a line. Returns (list file, ncnn2table's `shape=`, which is W,H,C: ncnn::Mat's order)."""
    if not samples:
        raise SdkbuildError("no calibration samples for ncnn int8",
                            hint="give at least one calibration input (the samples the engine's int8 is calibrated on)")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    first: tuple[int, ...] | None = None
    names = []
    for i, s in enumerate(samples):
        a = np.asarray(s, dtype=np.float32)
        if a.ndim == 4 and a.shape[0] == 1:
            a = a[0]
        if a.ndim != 3:
            raise SdkbuildError(f"calibration sample {i} has shape {list(np.shape(s))}: ncnn int8 takes "
                                "one image-like input, [1, C, H, W] or [C, H, W]",
                                hint="calibrate ncnn int8 on single-input CNNs (batch 1)")
        if first is None:
            first = a.shape
        elif a.shape != first:
            raise SdkbuildError(f"calibration sample {i} has shape {list(a.shape)}, sample 0 {list(first)}",
                                hint="give every calibration sample the model input's shape")
        if not np.isfinite(a).all():
            raise SdkbuildError(f"calibration sample {i} has NaN or infinite values",
                                hint="calibrate on finite inputs")
        path = folder / f"{i}_in0.npy"
        np.save(path, np.ascontiguousarray(a))
        names.append(str(path.resolve()))
    listing = write_atomic(folder / "filelist_in0.txt", "".join(n + "\n" for n in names))
    assert first is not None
    return listing, [first[2], first[1], first[0]]


def _tool(tools: Mapping[str, str | os.PathLike], name: str, args: list[str], cwd: Path) -> str:
    exe = tools.get(name)
    if exe is None or not Path(exe).is_file():
        raise SdkbuildError(f"ncnn's {name} tool is missing ({exe or 'not given'})",
                            hint="build ncnn's tools from its full source (bench/ncnn_tools.py, --ncnn-src)")
    r = subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd)
    out = r.stdout + r.stderr
    if r.returncode != 0:
        raise SdkbuildError(f"ncnn's {name} failed (exit {r.returncode}): {out[-2000:]}",
                            hint="check the model exports to ncnn fp32 and runs there first")
    return out


@dataclass
class NcnnInt8:
    """What quantize_int8 made: the calibration method kept, its table (per-layer scales as
    ncnn2table wrote them) and, per method tried, the mean output cosine of int8 against fp32
    on the calibration samples (empty when one method was asked for)."""
    method: str
    table: str
    cosines: dict[str, float] = field(default_factory=dict)


def run_ncnn(param: str | os.PathLike, samples: Sequence[np.ndarray], threads: int = 1) -> list[np.ndarray]:
    """Outputs of an exported (fp32 or int8) ncnn model on `samples`, with the `ncnn` Python
    package: fp32 storage and arithmetic (fp16/bf16 off), int8 layers as ncnn runs them."""
    try:
        import ncnn
    except ImportError:
        raise SdkbuildError("the ncnn Python package is not installed", hint="pip install 'sdkbuild[bench]'") from None
    net = ncnn.Net()
    net.opt.use_vulkan_compute = False
    net.opt.num_threads = threads
    net.opt.use_fp16_storage = net.opt.use_fp16_packed = net.opt.use_fp16_arithmetic = False
    net.opt.use_bf16_storage = False
    if net.load_param(str(param)) != 0 or net.load_model(str(Path(param).with_suffix(".bin"))) != 0:
        raise SdkbuildError(f"ncnn could not load {param}", hint="export the model again")
    outs = []
    for s in samples:
        a = np.ascontiguousarray(np.asarray(s, np.float32).reshape(np.shape(s)[1:] if np.ndim(s) == 4 else np.shape(s)))
        ex = net.create_extractor()
        ex.input(INPUT, ncnn.Mat(a))
        rc, out = ex.extract(OUTPUT)
        if rc != 0:
            raise SdkbuildError(f"ncnn could not run {param} (extract returned {rc})", hint="export the model again")
        outs.append(np.array(out, dtype=np.float32).ravel())
    return outs


def _mean_cosine(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    cs = [float(x.astype(np.float64) @ y / (np.linalg.norm(x) * np.linalg.norm(y) + 1e-300)) for x, y in zip(a, b, strict=True)]
    return float(np.mean(cs))


def quantize_int8(param: str | os.PathLike, samples: Sequence[np.ndarray], tools: Mapping[str, str | os.PathLike],
                  out_param: str | os.PathLike, method: str = "best", threads: int = 2,
                  optimize: bool = True) -> NcnnInt8:
    """ncnn int8 of the exported fp32 model `param` (+ its .bin next to it), calibrated on
    `samples` with ncnn2table's `method`, written to out_param (+ .bin). kl or aciq: that
    method; best: both, keeping the one whose int8 output is closer to fp32's (mean cosine
    over the samples, run with the ncnn Python package) - ncnn's documentation offers both,
    and neither wins everywhere (KL saturates inputs that are mostly exact zeros, such as
    the digits images: cosine 0.40 there against ACIQ's 0.9995). The fp32 model goes through
    ncnnoptimize first (the documentation's step 1, fp32 storage) unless optimize=False.
    Nothing is left at out_param if a step fails."""
    if method not in (*NCNN_INT8_METHODS, "best"):
        raise SdkbuildError(f"ncnn int8 calibration method {method!r} is unknown",
                            hint=f"use one of {', '.join(NCNN_INT8_METHODS)} or best")
    param = Path(param)
    weights = param.with_suffix(".bin")
    for f in (param, weights):
        if not f.is_file():
            raise SdkbuildError(f"ncnn model file {f} does not exist", hint="export the fp32 model first (export())")
    out_param = Path(out_param)
    out_param.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ncnn-int8-", dir=out_param.parent) as tmp:
        t = Path(tmp).resolve()  # the tools run in it: absolute paths
        src_p, src_b = param.resolve(), weights.resolve()
        if optimize:
            _tool(tools, "ncnnoptimize", [str(src_p), str(src_b), "opt.param", "opt.bin", "0"], t)
            src_p, src_b = t / "opt.param", t / "opt.bin"
        listing, shape = write_calibration(samples, t / "cal")
        methods = list(NCNN_INT8_METHODS) if method == "best" else [method]
        tables: dict[str, str] = {}
        for meth in methods:
            _tool(tools, "ncnn2table", [str(src_p), str(src_b), str(listing), f"{meth}.table",
                                        "shape=[" + ",".join(map(str, shape)) + "]", f"method={meth}", "type=1",
                                        f"thread={max(1, threads)}"], t)
            table = (t / f"{meth}.table").read_text() if (t / f"{meth}.table").is_file() else ""
            if not table.strip():
                raise SdkbuildError(f"ncnn2table wrote no scales for {param.name}",
                                    hint="the model has no layer ncnn quantizes (Convolution, InnerProduct, ...)")
            _tool(tools, "ncnn2int8", [str(src_p), str(src_b), f"{meth}.param", f"{meth}.bin", f"{meth}.table"], t)
            tables[meth] = table
        cosines: dict[str, float] = {}
        if len(methods) > 1:
            ref = run_ncnn(src_p, samples)
            cosines = {meth: _mean_cosine(run_ncnn(t / f"{meth}.param", samples), ref) for meth in methods}
        keep = max(methods, key=lambda k: cosines.get(k, 0.0))
        shutil.move(t / f"{keep}.bin", out_param.with_suffix(".bin"))
        shutil.move(t / f"{keep}.param", out_param)
    return NcnnInt8(keep, tables[keep], cosines)
