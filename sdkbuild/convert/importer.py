"""ONNX (opsets 9..21) -> converter IR (ir.Graph) with static shapes.

One walk over the nodes in their (topological) order:
* inputs get static shapes (dynamic dims = 1 unless the caller gives a shape);
* a node whose inputs are all constant and that fold.evaluate knows is folded with numpy
  (this resolves Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains);
* everything else is lowered to engine ops with resolved attributes (explicit pads,
  resolved Reshape targets, Flatten/Squeeze/Unsqueeze as Reshape, Sum as a chain of Add,
  Sub/Div by a constant as Add/Mul); Identity and Dropout become aliases;
* the opset differences (Clip, Pad, Softmax, Squeeze/Unsqueeze, Dropout, Slice, Reshape,
  BatchNormalization, pooling attributes) are handled here, per node, from the opset;
* every unsupported node is collected and reported together in one error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper

from ..errors import SdkbuildError
from . import fold
from .fold import attr_value
from .ir import Graph, Op, Value

MIN_OPSET, MAX_OPSET = 9, 21
ONNX_DOMAINS = ("", "ai.onnx")


class _Unsupported(Exception):
    """One node cannot be converted; `reason` is appended to its name in the error."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


def _conv_out(size: int, k: int, s: int, d: int, pb: int, pe: int, ceil_mode: bool = False) -> int:
    eff = (k - 1) * d + 1
    span = size + pb + pe - eff
    if span < 0:
        raise _Unsupported(f"window {eff} is larger than the padded input {size + pb + pe}")
    out = (math.ceil(span / s) if ceil_mode else span // s) + 1
    # a window may not start inside the end padding (ONNX / onnxruntime rule)
    if ceil_mode and (out - 1) * s >= size + pb:
        out -= 1
    return out


def _auto_pads(auto_pad: str, spatial: list[int], k: list[int], s: list[int], d: list[int]) -> list[int] | None:
    """Explicit [begins..., ends...] for an auto_pad mode, or None for NOTSET."""
    if auto_pad in ("", "NOTSET"):
        return None
    n = len(spatial)
    if auto_pad == "VALID":
        return [0] * (2 * n)
    if auto_pad not in ("SAME_UPPER", "SAME_LOWER"):
        raise _Unsupported(f"unknown auto_pad {auto_pad!r}")
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


class Importer:
    def __init__(self, model: onnx.ModelProto, input_shapes: dict[str, tuple[int, ...]] | None = None) -> None:
        self.model = model
        self.opset = opset_of(model)
        self.g = Graph(name=model.graph.name or "model")
        self.alias: dict[str, str] = {}
        self.poisoned: set[str] = set()
        self.problems: list[str] = []
        self.folded = 0
        self.input_shapes = dict(input_shapes or {})
        self.used_names: set[str] = set()
        self.rewrites: dict[str, int] = {}

    # ------------------------------------------------------------------ helpers
    def r(self, name: str) -> str:
        while name in self.alias:
            name = self.alias[name]
        return name

    def count(self, what: str, n: int = 1) -> None:
        self.rewrites[what] = self.rewrites.get(what, 0) + n

    def shape(self, name: str) -> tuple[int, ...]:
        return self.g.values[self.r(name)].shape

    def cdata(self, name: str) -> np.ndarray | None:
        return self.g.const_data(self.r(name)) if name else None

    def need_const(self, node: onnx.NodeProto, idx: int, what: str) -> np.ndarray:
        data = self.cdata(node.input[idx]) if len(node.input) > idx and node.input[idx] else None
        if data is None:
            raise _Unsupported(f"its {what} (input {idx}) must be a constant or computable at conversion time")
        return data

    def opt_input(self, node: onnx.NodeProto, idx: int) -> str:
        return node.input[idx] if len(node.input) > idx else ""

    def set_value(self, name: str, shape: tuple[int, ...], dtype=np.float32, data: np.ndarray | None = None) -> None:
        if len(shape) > 6:
            raise _Unsupported(f"tensor {name!r} has rank {len(shape)}; the engine supports at most 6")
        self.g.values[name] = Value(name, tuple(int(d) for d in shape), np.dtype(dtype), data)

    def emit(self, op_type: str, name: str, inputs: list[str], output: str, shape: tuple[int, ...],
             attrs: dict[str, Any] | None = None) -> Op:
        op = Op(op_type, self.unique(name), [self.r(i) if i else "" for i in inputs], [output], dict(attrs or {}))
        self.set_value(output, shape)
        self.g.ops.append(op)
        return op

    def unique(self, name: str) -> str:
        base, n = name, 1
        while name in self.used_names:
            n += 1
            name = f"{base}_{n}"
        self.used_names.add(name)
        return name

    def tmp(self, hint: str) -> str:
        return self.g.fresh(hint)

    def reshape(self, name: str, src: str, out: str, shape: tuple[int, ...]) -> None:
        self.emit("Reshape", name, [src], out, shape, {"shape": [int(d) for d in shape]})

    def dyn_inputs(self, node: onnx.NodeProto) -> list[str]:
        return [i for i in node.input if i and self.cdata(i) is None]

    # ------------------------------------------------------------------ driver
    def run(self) -> Graph:
        graph = self.model.graph
        for init in graph.initializer:
            arr = numpy_helper.to_array(init)
            self.g.values[init.name] = Value(init.name, tuple(arr.shape), arr.dtype, arr)
        for init in graph.sparse_initializer:
            self.problems.append(f"sparse initializer {init.values.name!r} (sparse tensors are not supported)")
        self._inputs(graph)
        for idx, node in _topological(graph, set(self.g.values)):
            label = node.name or f"{node.op_type}_{idx}"
            if any(self.r(i) in self.poisoned for i in node.input if i):
                if node.op_type not in SUPPORTED or node.domain not in ONNX_DOMAINS:
                    self.problems.append(f"node {label!r} (op {node.op_type})")
                self.poisoned.update(node.output)
                continue
            try:
                self._node(node, label)
            except _Unsupported as e:
                op = node.op_type if node.domain in ONNX_DOMAINS else f"{node.domain}.{node.op_type}"
                self.problems.append(f"node {label!r} (op {op})" + (f" [{e.reason}]" if e.reason else ""))
                self.poisoned.update(o for o in node.output if o)
        if self.problems:
            n = len(self.problems)
            raise SdkbuildError(
                f"{n} unsupported op{'s' if n > 1 else ''}: " + ", ".join(self.problems)
                + f"; supported: {', '.join(sorted(LOWERINGS))}"
                + " (plus shape computations such as Shape, Gather, Slice, Cast, ConstantOfShape when constant)",
                hint="replace or remove these ops before export (e.g. export with a different opset or "
                "simplify the model), or ask for the ops to be added to the engine",
            )
        self._outputs(graph)
        self._check_declared_shapes(graph)
        return self.g

    def _check_declared_shapes(self, graph: onnx.GraphProto) -> None:
        """Static output dims the model declares must be what the converter computed."""
        for vo in graph.output:
            tt = vo.type.tensor_type
            if not tt.HasField("shape"):
                continue
            got = self.g.values[vo.name].shape
            dims = list(tt.shape.dim)
            fixed = [(a, d.dim_value) for a, d in enumerate(dims) if d.HasField("dim_value") and d.dim_value > 0]
            if len(dims) != len(got) or any(got[a] != d for a, d in fixed):
                want = [d.dim_value if d.HasField("dim_value") else d.dim_param or "?" for d in dims]
                raise SdkbuildError(
                    f"model output {vo.name!r}: the model declares shape {want} but conversion computed "
                    f"{list(got)}",
                    hint="check --input-shape; if the model's own declaration is right, please report this model",
                )

    def _inputs(self, graph: onnx.GraphProto) -> None:
        inits = {i.name for i in graph.initializer}
        real = [i for i in graph.input if i.name not in inits]
        names = [i.name for i in real]
        for name in self.input_shapes:
            if name not in names:
                raise SdkbuildError(
                    f"--input-shape names {name!r}, which is not a model input",
                    hint=f"the model's inputs are: {', '.join(names)}",
                )
        for vi in real:
            tt = vi.type.tensor_type
            if not vi.type.HasField("tensor_type"):
                raise SdkbuildError(f"model input {vi.name!r} is not a tensor", hint="only tensor inputs are supported")
            if tt.elem_type != onnx.TensorProto.FLOAT:
                tname = onnx.TensorProto.DataType.Name(tt.elem_type)
                raise SdkbuildError(
                    f"model input {vi.name!r} has type {tname}; the engine's inputs are float32",
                    hint="export the model with a float32 input",
                )
            dims = []
            given = self.input_shapes.get(vi.name)
            model_dims = list(tt.shape.dim) if tt.HasField("shape") else None
            if given is not None:
                if model_dims is not None and len(model_dims) != len(given):
                    raise SdkbuildError(
                        f"--input-shape {vi.name}={','.join(map(str, given))} has rank {len(given)} "
                        f"but the model input has rank {len(model_dims)}",
                        hint="give one dimension per axis",
                    )
                for ax, d in enumerate(given):
                    if model_dims is not None and model_dims[ax].HasField("dim_value") and model_dims[ax].dim_value != d:
                        raise SdkbuildError(
                            f"--input-shape for {vi.name!r} sets axis {ax} to {d}, but the model fixes it to "
                            f"{model_dims[ax].dim_value}",
                            hint="only dynamic dimensions can be set",
                        )
                    if d < 1:
                        raise SdkbuildError(f"--input-shape for {vi.name!r}: dimension {d} must be >= 1")
                dims = list(given)
            elif model_dims is None:
                raise SdkbuildError(
                    f"model input {vi.name!r} has no shape",
                    hint=f"give one with --input-shape {vi.name}=1,3,224,224 (for example)",
                )
            else:
                # dynamic dims default to 1 (batch 1): the engine runs static shapes only
                dims = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else 1 for d in model_dims]
            if len(dims) > 6:
                raise SdkbuildError(f"model input {vi.name!r} has rank {len(dims)}; the engine supports at most 6")
            self.set_value(vi.name, tuple(dims))
            self.g.inputs.append(vi.name)
        if not self.g.inputs:
            raise SdkbuildError("the model has no inputs (everything is constant)", hint="nothing to run on a device")

    def _outputs(self, graph: onnx.GraphProto) -> None:
        for vo in graph.output:
            src = self.r(vo.name)
            v = self.g.values.get(src)
            if v is None:
                raise SdkbuildError(f"model output {vo.name!r} is not produced by any node")
            if v.is_const:
                raise SdkbuildError(
                    f"model output {vo.name!r} is a constant (it does not depend on the inputs)",
                    hint="remove it from the model's outputs",
                )
            if src == vo.name:
                self.g.outputs.append(src)
                continue
            producer = self.g.producer(src)
            if producer is not None and src not in self.g.inputs and src not in self.g.outputs:
                # an aliased output (e.g. through Identity/Dropout): give the tensor the output's name
                producer.outputs = [vo.name if o == src else o for o in producer.outputs]
                self.g.replace_uses(src, vo.name)
                self.g.values[vo.name] = Value(vo.name, v.shape, v.dtype)
                del self.g.values[src]
            else:
                # an input or another output passed straight through: the engine needs a real op
                self.reshape(f"{vo.name}_copy", src, vo.name, v.shape)
            self.g.outputs.append(vo.name)

    def _node(self, node: onnx.NodeProto, label: str) -> None:
        if node.domain not in ONNX_DOMAINS:
            raise _Unsupported()
        op = node.op_type
        ins = [self.cdata(i) if i else None for i in node.input]
        all_const = all(d is not None for i, d in zip(node.input, ins, strict=True) if i)
        if op == "Shape":
            src = self.g.values[self.r(node.input[0])]
            dims = np.asarray(src.shape, dtype=np.int64)
            start, end = attr_value(node, "start", 0), attr_value(node, "end", None)
            self._const_out(node, [dims[start:end] if self.opset >= 15 else dims])
            return
        if op in fold.FOLD_ONLY and all_const and (node.input or op == "Constant"):
            try:
                outs = fold.evaluate(node, ins, self.opset)
            except (ValueError, IndexError, TypeError) as e:
                raise _Unsupported(f"constant folding failed: {e}") from None
            if outs is not None:
                self._const_out(node, outs)
                return
        handler = LOWERINGS.get(op)
        if handler is None:
            if op in fold.FOLD_ONLY:
                raise _Unsupported("supported only when all its inputs are constants")
            raise _Unsupported()
        handler(self, node, label)

    def _const_out(self, node: onnx.NodeProto, outs: list[np.ndarray]) -> None:
        self.folded += 1
        for name, arr in zip(node.output, outs, strict=False):
            arr = np.asarray(arr)
            # constants may have any rank and dtype while folding; export checks what remains
            self.g.values[name] = Value(name, tuple(arr.shape), arr.dtype, arr)

    # ------------------------------------------------------------------ lowerings
    def _alias(self, node: onnx.NodeProto, label: str) -> None:
        self.alias[node.output[0]] = self.r(node.input[0])
        self.count("Identity/Dropout/Cast removed")

    def _dropout(self, node: onnx.NodeProto, label: str) -> None:
        if self.opset >= 12 and self.opt_input(node, 2):
            mode = self.cdata(node.input[2])
            if mode is None or bool(mode):
                raise _Unsupported("training_mode must be a constant false")
        if len(node.output) > 1 and node.output[1] and self._used(node.output[1]):
            raise _Unsupported("its mask output is used (training-time only)")
        self._alias(node, label)

    def _used(self, name: str) -> bool:
        g = self.model.graph
        return any(name in n.input for n in g.node) or any(o.name == name for o in g.output)

    def _unary(self, node: onnx.NodeProto, label: str) -> None:
        self.emit(node.op_type, label, [node.input[0]], node.output[0], self.shape(node.input[0]))

    def _clip(self, node: onnx.NodeProto, label: str) -> None:
        attrs: dict[str, Any] = {}
        if self.opset < 11:
            lo, hi = attr_value(node, "min"), attr_value(node, "max")
        else:
            lo = self.need_const(node, 1, "min") if self.opt_input(node, 1) else None
            hi = self.need_const(node, 2, "max") if self.opt_input(node, 2) else None
        if lo is not None:
            attrs["min"] = [float(np.asarray(lo).reshape(-1)[0])]
        if hi is not None:
            attrs["max"] = [float(np.asarray(hi).reshape(-1)[0])]
        self.emit("Clip", label, [node.input[0]], node.output[0], self.shape(node.input[0]), attrs)

    def _hardsigmoid(self, node: onnx.NodeProto, label: str) -> None:
        attrs = {"alpha": float(attr_value(node, "alpha", 0.2)), "beta": float(attr_value(node, "beta", 0.5))}
        self.emit("HardSigmoid", label, [node.input[0]], node.output[0], self.shape(node.input[0]), attrs)

    def _binary(self, node: onnx.NodeProto, label: str, op_type: str | None = None) -> None:
        a, b = node.input[0], node.input[1]
        shape = tuple(np.broadcast_shapes(self.shape(a), self.shape(b)))
        self.emit(op_type or node.op_type, label, [a, b], node.output[0], shape)

    def _f32_const(self, data: np.ndarray, hint: str) -> str:
        return self.g.const(np.asarray(data, dtype=np.float32), hint)

    def _sub(self, node: onnx.NodeProto, label: str) -> None:
        a, b = node.input
        bd, ad = self.cdata(b), self.cdata(a)
        shape = tuple(np.broadcast_shapes(self.shape(a), self.shape(b)))
        if bd is not None:  # x - c = x + (-c)
            self.emit("Add", label, [a, self._f32_const(-bd, f"{label}_neg")], node.output[0], shape)
        elif ad is not None:  # c - x = (-1 * x) + c
            neg = self.tmp(f"{label}_neg")
            self.emit("Mul", f"{label}_neg", [b, self._f32_const(np.float32(-1), "minus_one")], neg, self.shape(b))
            self.emit("Add", label, [neg, a], node.output[0], shape)
        else:
            raise _Unsupported("subtracting two computed tensors is not supported (only a constant)")
        self.count("Sub/Div rewritten as Add/Mul")

    def _div(self, node: onnx.NodeProto, label: str) -> None:
        a, b = node.input
        bd = self.cdata(b)
        if bd is None:
            raise _Unsupported("the divisor must be a constant")
        shape = tuple(np.broadcast_shapes(self.shape(a), self.shape(b)))
        recip = self._f32_const(1.0 / bd.astype(np.float64), f"{label}_recip")
        self.emit("Mul", label, [a, recip], node.output[0], shape)
        self.count("Sub/Div rewritten as Add/Mul")

    def _sum(self, node: onnx.NodeProto, label: str) -> None:
        ins = [i for i in node.input if i]
        if len(ins) == 1:
            self._alias(node, label)
            return
        acc = ins[0]
        for k, nxt in enumerate(ins[1:], start=1):
            out = node.output[0] if k == len(ins) - 1 else self.tmp(f"{label}_partial")
            shape = tuple(np.broadcast_shapes(self.shape(acc), self.shape(nxt)))
            self.emit("Add", f"{label}_{k}" if len(ins) > 2 else label, [acc, nxt], out, shape)
            acc = out
        self.count("Sum split into Add", len(ins) - 2 if len(ins) > 2 else 0)

    def _spatial_attrs(self, node: onnx.NodeProto, spatial: list[int], kernel: list[int],
                       dilations_ok: bool = True) -> tuple[list[int], list[int], list[int]]:
        n = len(spatial)
        strides = list(attr_value(node, "strides", [1] * n))
        dil = list(attr_value(node, "dilations", [1] * n)) if dilations_ok else [1] * n
        auto = attr_value(node, "auto_pad", "NOTSET")
        pads = _auto_pads(auto, spatial, kernel, strides, dil)
        if pads is None:
            pads = list(attr_value(node, "pads", [0] * (2 * n)))
        if any(p < 0 for p in pads):
            raise _Unsupported(f"negative pads {pads}")
        if any(s < 1 for s in strides) or any(d < 1 for d in dil):
            raise _Unsupported("strides and dilations must be >= 1")
        return strides, dil, pads

    def _conv(self, node: onnx.NodeProto, label: str) -> None:
        x = node.input[0]
        xs = self.shape(x)
        if len(xs) not in (3, 4):
            raise _Unsupported(f"only 1-D and 2-D convolution are supported; input has rank {len(xs)}")
        w = self.need_const(node, 1, "weight")
        wname = node.input[1]
        bias = self.opt_input(node, 2)
        if bias and self.cdata(bias) is None:
            raise _Unsupported("its bias must be a constant")
        group = int(attr_value(node, "group", 1))
        k = list(attr_value(node, "kernel_shape", list(w.shape[2:])))
        if k != list(w.shape[2:]):
            raise _Unsupported(f"kernel_shape {k} does not match the weight shape {w.shape}")
        if xs[1] != w.shape[1] * group or w.shape[0] % group:
            raise _Unsupported(f"weight {tuple(w.shape)} does not fit input channels {xs[1]} with group {group}")
        strides, dil, pads = self._spatial_attrs(node, list(xs[2:]), k)
        out = node.output[0]
        if len(xs) == 3:  # 1-D: a 2-D convolution over a one-pixel-high image
            x, xs = self._as_2d(x, xs, label)
            wname = self.g.const(w.reshape(w.shape[0], w.shape[1], 1, w.shape[2]), f"{label}_W2d")
            k, strides, dil, pads = [1, *k], [1, *strides], [1, *dil], [0, pads[0], 0, pads[1]]
            out = self.tmp(f"{label}_2d")
        oh = _conv_out(xs[2], k[0], strides[0], dil[0], pads[0], pads[2])
        ow = _conv_out(xs[3], k[1], strides[1], dil[1], pads[1], pads[3])
        ins = [x, wname] + ([bias] if bias else [])
        attrs = {"strides": strides, "pads": pads, "dilations": dil, "group": [group]}
        self.emit("Conv", label, ins, out, (xs[0], w.shape[0], oh, ow), attrs)
        if out != node.output[0]:
            self.reshape(f"{label}_to1d", out, node.output[0], (xs[0], w.shape[0], ow))

    def _as_2d(self, x: str, xs: tuple[int, ...], label: str) -> tuple[str, tuple[int, ...]]:
        """N x C x L viewed as N x C x 1 x L (for 1-D conv and pooling)."""
        x4, xs4 = self.tmp(f"{label}_in2d"), (xs[0], xs[1], 1, xs[2])
        self.reshape(f"{label}_to2d", x, x4, xs4)
        self.count("1-D conv/pool as 2-D")
        return x4, xs4

    def _gemm(self, node: onnx.NodeProto, label: str) -> None:
        a, b = node.input[0], node.input[1]
        sa, sb = self.shape(a), self.shape(b)
        ta, tb = int(attr_value(node, "transA", 0)), int(attr_value(node, "transB", 0))
        if len(sa) != 2 or len(sb) != 2:
            raise _Unsupported("Gemm inputs must be 2-D")
        m, ka = (sa[1], sa[0]) if ta else sa
        kb, n = (sb[1], sb[0]) if tb else sb
        if ka != kb:
            raise _Unsupported(f"inner dimensions differ: {sa} x {sb}")
        c = self.opt_input(node, 2)
        ins = [a, b]
        if c:
            np.broadcast_shapes(self.shape(c), (m, n))
            ins.append(c)
        attrs = {"alpha": [float(attr_value(node, "alpha", 1.0))], "beta": [float(attr_value(node, "beta", 1.0))],
                 "transA": [ta], "transB": [tb]}
        self.emit("Gemm", label, ins, node.output[0], (m, n), attrs)

    def _matmul(self, node: onnx.NodeProto, label: str) -> None:
        a, b = node.input
        sa, sb = self.shape(a), self.shape(b)
        if len(sa) == 2 and len(sb) == 2:
            if sa[1] != sb[0]:
                raise _Unsupported(f"inner dimensions differ: {sa} x {sb}")
            self.emit("MatMul", label, [a, b], node.output[0], (sa[0], sb[1]))
        elif len(sa) > 2 and len(sb) == 2 and self.cdata(b) is not None and sa[-1] == sb[0]:
            # (..., K) x (K, N) with constant weights: flatten the leading dims into rows
            rows = int(np.prod(sa[:-1]))
            flat, prod = self.tmp(f"{label}_rows"), self.tmp(f"{label}_mm")
            self.reshape(f"{label}_flatten", a, flat, (rows, sa[-1]))
            self.emit("MatMul", label, [flat, b], prod, (rows, sb[1]))
            self.reshape(f"{label}_unflatten", prod, node.output[0], (*sa[:-1], sb[1]))
        else:
            raise _Unsupported(f"only 2-D MatMul (or N-D x constant 2-D) is supported; shapes {sa} x {sb}")

    def _pool(self, node: onnx.NodeProto, label: str) -> None:
        x = node.input[0]
        xs = self.shape(x)
        if len(xs) not in (3, 4):
            raise _Unsupported(f"only 1-D and 2-D pooling are supported; input has rank {len(xs)}")
        k = list(attr_value(node, "kernel_shape"))
        is_max = node.op_type == "MaxPool"
        if is_max and len(node.output) > 1 and node.output[1] and self._used(node.output[1]):
            raise _Unsupported("its Indices output is used")
        dil_ok = is_max or self.opset >= 19
        strides, dil, pads = self._spatial_attrs(node, list(xs[2:]), k, dilations_ok=dil_ok)
        if not is_max and any(d != 1 for d in dil):
            raise _Unsupported("AveragePool with dilations is not supported")
        out = node.output[0]
        if len(xs) == 3:
            x, xs = self._as_2d(x, xs, label)
            k, strides, dil, pads = [1, *k], [1, *strides], [1, *dil], [0, pads[0], 0, pads[1]]
            out = self.tmp(f"{label}_2d")
        ceil_mode = int(attr_value(node, "ceil_mode", 0)) if self.opset >= 10 else 0
        oh = _conv_out(xs[2], k[0], strides[0], dil[0], pads[0], pads[2], bool(ceil_mode))
        ow = _conv_out(xs[3], k[1], strides[1], dil[1], pads[1], pads[3], bool(ceil_mode))
        attrs: dict[str, Any] = {"kernel_shape": k, "strides": strides, "pads": pads, "ceil_mode": [ceil_mode]}
        if is_max:
            attrs["dilations"] = dil
        else:
            attrs["count_include_pad"] = [int(attr_value(node, "count_include_pad", 0))]
        self.emit(node.op_type, label, [x], out, (xs[0], xs[1], oh, ow), attrs)
        if out != node.output[0]:
            self.reshape(f"{label}_to1d", out, node.output[0], (xs[0], xs[1], ow))

    def _reduce_mean(self, node: onnx.NodeProto, label: str) -> None:
        """ReduceMean over H and W (as Keras/TF exports global pooling) -> GlobalAveragePool."""
        xs = self.shape(node.input[0])
        if self.opset < 18:
            axes = attr_value(node, "axes")
        else:
            axes = [int(a) for a in self.need_const(node, 1, "axes").reshape(-1)] if self.opt_input(node, 1) else None
        keep = int(attr_value(node, "keepdims", 1))
        if len(xs) != 4 or axes is None or sorted(a % 4 for a in axes) != [2, 3]:
            raise _Unsupported("only ReduceMean over the two spatial axes of a 4-D input is supported")
        pooled = node.output[0] if keep else self.tmp(f"{label}_pooled")
        self.emit("GlobalAveragePool", label, [node.input[0]], pooled, (xs[0], xs[1], 1, 1))
        if not keep:
            self.reshape(f"{label}_squeeze", pooled, node.output[0], (xs[0], xs[1]))
        self.count("ReduceMean -> GlobalAveragePool")

    def _cast(self, node: onnx.NodeProto, label: str) -> None:
        if attr_value(node, "to") != onnx.TensorProto.FLOAT:
            raise _Unsupported("only a float-to-float Cast of a computed tensor is supported")
        self._alias(node, label)

    def _global_pool(self, node: onnx.NodeProto, label: str) -> None:
        xs = self.shape(node.input[0])
        if len(xs) != 4:
            raise _Unsupported(f"only 4-D input is supported; input has rank {len(xs)}")
        out = (xs[0], xs[1], 1, 1)
        if node.op_type == "GlobalAveragePool":
            self.emit("GlobalAveragePool", label, [node.input[0]], node.output[0], out)
        else:  # GlobalMaxPool = MaxPool over the whole plane
            attrs = {"kernel_shape": [xs[2], xs[3]], "strides": [1, 1], "pads": [0, 0, 0, 0],
                     "dilations": [1, 1], "ceil_mode": [0]}
            self.emit("MaxPool", label, [node.input[0]], node.output[0], out, attrs)

    def _softmax(self, node: onnx.NodeProto, label: str) -> None:
        x = node.input[0]
        xs = self.shape(x)
        rank = len(xs)
        if self.opset >= 13:
            axis = int(attr_value(node, "axis", -1)) % rank
            self.emit("Softmax", label, [x], node.output[0], xs, {"axis": [axis]})
            return
        # before opset 13 Softmax normalises over the input coerced to 2-D at `axis`
        axis = int(attr_value(node, "axis", 1)) % rank
        tail = [a for a in range(axis, rank) if xs[a] != 1]
        if len(tail) <= 1:  # one axis holds all the coerced elements: identical to one-axis softmax
            self.emit("Softmax", label, [x], node.output[0], xs, {"axis": [tail[0] if tail else rank - 1]})
            return
        rows, cols = int(np.prod(xs[:axis])), int(np.prod(xs[axis:]))
        flat, soft = self.tmp(f"{label}_2d"), self.tmp(f"{label}_soft")
        self.reshape(f"{label}_to2d", x, flat, (rows, cols))
        self.emit("Softmax", label, [flat], soft, (rows, cols), {"axis": [1]})
        self.reshape(f"{label}_back", soft, node.output[0], xs)
        self.count("opset<13 Softmax coerced to 2-D")

    def _concat(self, node: onnx.NodeProto, label: str) -> None:
        ins = [i for i in node.input if i]
        shapes = [self.shape(i) for i in ins]
        axis = int(attr_value(node, "axis")) % len(shapes[0])
        out = list(shapes[0])
        out[axis] = sum(s[axis] for s in shapes)
        for i in ins:
            if self.cdata(i) is not None and self.cdata(i).dtype != np.float32:
                raise _Unsupported("a non-float constant input")
        self.emit("Concat", label, ins, node.output[0], tuple(out), {"axis": [axis]})

    def _reshape_like(self, node: onnx.NodeProto, label: str) -> None:
        x = node.input[0]
        xs = self.shape(x)
        op = node.op_type
        if op == "Reshape":
            target = self.need_const(node, 1, "shape")
            try:
                out = fold.reshape_target(xs, [int(t) for t in target.reshape(-1)],
                                          bool(attr_value(node, "allowzero", 0)))
            except ValueError as e:
                raise _Unsupported(str(e)) from None
        elif op == "Flatten":
            axis = int(attr_value(node, "axis", 1))
            axis = axis % len(xs) if axis < 0 else axis
            out = (int(np.prod(xs[:axis], dtype=np.int64)), int(np.prod(xs[axis:], dtype=np.int64)))
            self.count("Flatten -> Reshape")
        elif op == "Squeeze":
            axes = fold._axes(node, [None, self.cdata(self.opt_input(node, 1))], self.opset, 13, 1)
            if self.opset >= 13 and self.opt_input(node, 1) and axes is None:
                raise _Unsupported("its axes must be constant")
            drop = {a % len(xs) for a in axes} if axes else {a for a, d in enumerate(xs) if d == 1}
            if any(xs[a] != 1 for a in drop):
                raise _Unsupported(f"cannot squeeze non-1 axes {sorted(drop)} of shape {xs}")
            out = tuple(d for a, d in enumerate(xs) if a not in drop)
        else:  # Unsqueeze
            axes = fold._axes(node, [None, self.cdata(self.opt_input(node, 1))], self.opset, 13, 1)
            if axes is None:
                raise _Unsupported("its axes must be constant")
            rank = len(xs) + len(axes)
            new = {a % rank for a in axes}
            it = iter(xs)
            out = tuple(1 if a in new else next(it) for a in range(rank))
        self.reshape(label, x, node.output[0], tuple(out))

    def _transpose(self, node: onnx.NodeProto, label: str) -> None:
        xs = self.shape(node.input[0])
        perm = list(attr_value(node, "perm", list(range(len(xs)))[::-1]))
        out = tuple(xs[p] for p in perm)
        self.emit("Transpose", label, [node.input[0]], node.output[0], out, {"perm": perm})

    def _pad(self, node: onnx.NodeProto, label: str) -> None:
        x = node.input[0]
        xs = self.shape(x)
        rank = len(xs)
        mode = attr_value(node, "mode", "constant")
        if mode not in ("constant", "reflect", "edge"):
            raise _Unsupported(f"mode {mode!r} is not supported (constant, reflect, edge are)")
        if self.opset < 11:
            pads, value = list(attr_value(node, "pads")), float(attr_value(node, "value", 0.0))
        else:
            pads = [int(p) for p in self.need_const(node, 1, "pads").reshape(-1)]
            cv = self.opt_input(node, 2)
            value = float(self.need_const(node, 2, "constant_value").reshape(-1)[0]) if cv else 0.0
            axes_in = self.opt_input(node, 3)
            if axes_in:  # opset 18: pads only for the listed axes
                axes = [int(a) % rank for a in self.need_const(node, 3, "axes").reshape(-1)]
                full = [0] * (2 * rank)
                for j, a in enumerate(axes):
                    full[a], full[rank + a] = pads[j], pads[len(axes) + j]
                pads = full
        if len(pads) != 2 * rank:
            raise _Unsupported(f"{len(pads)} pads for a rank-{rank} input")
        if any(p < 0 for p in pads):
            raise _Unsupported(f"negative pads {pads} (cropping) are not supported")
        out = tuple(xs[a] + pads[a] + pads[rank + a] for a in range(rank))
        attrs: dict[str, Any] = {"pads": pads, "mode": mode}
        if mode == "constant":
            attrs["value"] = [value]
        self.emit("Pad", label, [x], node.output[0], out, attrs)

    def _slice(self, node: onnx.NodeProto, label: str) -> None:
        """Runtime Slice (data not constant): starts/ends/axes/steps must be constant, steps 1;
        the engine gets one normalized [start, end) per dimension."""
        xs = self.shape(node.input[0])
        if self.opset < 10:
            starts, ends = list(attr_value(node, "starts")), list(attr_value(node, "ends"))
            axes, steps = attr_value(node, "axes"), None
        else:
            starts = [int(v) for v in self.need_const(node, 1, "starts").reshape(-1)]
            ends = [int(v) for v in self.need_const(node, 2, "ends").reshape(-1)]
            axes = [int(v) for v in self.need_const(node, 3, "axes").reshape(-1)] if self.opt_input(node, 3) else None
            steps = [int(v) for v in self.need_const(node, 4, "steps").reshape(-1)] if self.opt_input(node, 4) else None
        axes = list(range(len(starts))) if axes is None else list(axes)
        steps = [1] * len(starts) if steps is None else steps
        if not len(starts) == len(ends) == len(axes) == len(steps):
            raise _Unsupported("starts, ends, axes and steps differ in length")
        if any(st != 1 for st in steps):
            raise _Unsupported(f"steps {steps} (only step 1 is supported)")
        lo, hi = [0] * len(xs), list(xs)
        for s, e, a in zip(starts, ends, axes, strict=True):
            if not -len(xs) <= a < len(xs):
                raise _Unsupported(f"axis {a} is out of range for rank {len(xs)}")
            lo[a % len(xs)], hi[a % len(xs)], _ = slice(int(s), int(e), 1).indices(xs[a])  # ONNX clamping
        if any(b <= a for a, b in zip(lo, hi, strict=True)):
            raise _Unsupported(f"the slice of shape {xs} is empty (starts {lo}, ends {hi})")
        out = tuple(b - a for a, b in zip(lo, hi, strict=True))
        self.emit("Slice", label, [node.input[0]], node.output[0], out, {"starts": lo, "ends": hi})

    def _lrn(self, node: onnx.NodeProto, label: str) -> None:
        attrs = {"size": [int(attr_value(node, "size"))], "alpha": [float(attr_value(node, "alpha", 1e-4))],
                 "beta": [float(attr_value(node, "beta", 0.75))], "bias": [float(attr_value(node, "bias", 1.0))]}
        self.emit("LRN", label, [node.input[0]], node.output[0], self.shape(node.input[0]), attrs)

    def _batchnorm(self, node: onnx.NodeProto, label: str) -> None:
        if self.opset >= 14 and int(attr_value(node, "training_mode", 0)):
            raise _Unsupported("training_mode=1")
        if any(o and self._used(o) for o in node.output[1:]):
            raise _Unsupported("its training-time statistics outputs are used")
        xs = self.shape(node.input[0])
        if len(xs) < 2:
            raise _Unsupported("input must have a channel axis")
        gamma, beta, mean, var = (self.need_const(node, i, w).astype(np.float64)
                                  for i, w in ((1, "scale"), (2, "bias"), (3, "mean"), (4, "var")))
        eps = float(attr_value(node, "epsilon", 1e-5))
        scale = gamma / np.sqrt(var + eps)
        shift = beta - mean * scale
        # transient op: passes.py folds it into the producing Conv/Gemm or lowers it to Mul+Add
        ins = [node.input[0], self._f32_const(scale, f"{label}_scale"), self._f32_const(shift, f"{label}_shift")]
        self.emit("BatchNormalization", label, ins, node.output[0], xs)


LOWERINGS: dict[str, Callable[[Importer, onnx.NodeProto, str], None]] = {
    "Identity": Importer._alias,
    "Dropout": Importer._dropout,
    "Relu": Importer._unary,
    "Sigmoid": Importer._unary,
    "HardSwish": Importer._unary,
    "Clip": Importer._clip,
    "HardSigmoid": Importer._hardsigmoid,
    "Add": Importer._binary,
    "Mul": Importer._binary,
    "Sub": Importer._sub,
    "Div": Importer._div,
    "Sum": Importer._sum,
    "Conv": Importer._conv,
    "Gemm": Importer._gemm,
    "MatMul": Importer._matmul,
    "MaxPool": Importer._pool,
    "AveragePool": Importer._pool,
    "GlobalAveragePool": Importer._global_pool,
    "ReduceMean": Importer._reduce_mean,
    "Cast": Importer._cast,
    "GlobalMaxPool": Importer._global_pool,
    "Softmax": Importer._softmax,
    "Concat": Importer._concat,
    "Reshape": Importer._reshape_like,
    "Flatten": Importer._reshape_like,
    "Squeeze": Importer._reshape_like,
    "Unsqueeze": Importer._reshape_like,
    "Transpose": Importer._transpose,
    "Pad": Importer._pad,
    "Slice": Importer._slice,
    "LRN": Importer._lrn,
    "BatchNormalization": Importer._batchnorm,
}

SUPPORTED = frozenset(LOWERINGS) | fold.FOLD_ONLY


def _topological(graph: onnx.GraphProto, known: set[str]) -> list[tuple[int, onnx.NodeProto]]:
    """Nodes in an order where every input is produced first (ONNX requires it, but not
    every producer obeys); an input nobody produces is an error naming the node."""
    produced = set(known)
    for node in graph.node:
        produced.update(o for o in node.output if o)
    for idx, node in enumerate(graph.node):
        for i in node.input:
            if i and i not in produced:
                label = node.name or f"{node.op_type}_{idx}"
                raise SdkbuildError(f"node {label!r} (op {node.op_type}) reads {i!r}, which no node, input or "
                                    "initializer provides", hint="the model is malformed; re-export it")
    ready = set(known)
    for node in graph.node:  # the usual case: already in order
        if not all(x in ready or not x for x in node.input):
            break
        ready.update(o for o in node.output if o)
    else:
        return list(enumerate(graph.node))
    ready, order, pending = set(known), [], list(enumerate(graph.node))
    while pending:
        rest = [(i, n) for i, n in pending if not all(x in ready or not x for x in n.input)]
        now = [(i, n) for i, n in pending if all(x in ready or not x for x in n.input)]
        if not now:
            names = ", ".join(repr(n.name or n.op_type) for _, n in rest[:5])
            raise SdkbuildError(f"the graph has a cycle through {names}", hint="the model is malformed; re-export it")
        for _, n in now:
            ready.update(o for o in n.output if o)
        order += now
        pending = rest
    return order


def opset_of(model: onnx.ModelProto) -> int:
    for imp in model.opset_import:
        if imp.domain in ONNX_DOMAINS:
            return int(imp.version)
    raise SdkbuildError("the model declares no ONNX opset", hint="re-export it with a standard ONNX exporter")


def check_opset(model: onnx.ModelProto) -> int:
    opset = opset_of(model)
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise SdkbuildError(
            f"the model uses ONNX opset {opset}; sdkbuild converts opsets {MIN_OPSET} to {MAX_OPSET}",
            hint="convert it first: onnx.version_converter.convert_version(model, 13)",
        )
    return opset
