"""ONNX (opsets 7 to the newest the installed onnx knows) -> converter IR (ir.Graph).

One walk over the nodes in topological order:
* graph inputs get static shapes (a dynamic batch axis defaults to 1; other dynamic axes
  must be given with --input-shape) and their own dtypes (float32/16, int64/32, uint8,
  int8, bool);
* a node whose inputs are all constant is folded (fold.py: numpy, else onnx's reference
  implementation), and Shape/Size always fold (shapes are static), which resolves the
  shape computations exporters emit;
* every other node is lowered by its op's entry in the registry (registry.py, filled by
  the family modules in ops/), after checking that the op's version at the model's opset
  is one the entry knows; output shapes and dtypes come from ONNX shape inference;
* every node that cannot be converted is collected, with its reason, and reported
  together in one error.
Models below opset 7 are upgraded with onnx.version_converter first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
from onnx import defs, numpy_helper

from .. import sdkm
from ..errors import SdkbuildError
from . import fold, registry, shapes
from .fold import attr_value
from .ir import Graph, Op, Value
from .registry import available_engine_ops

MIN_OPSET = 7
MAX_OPSET = defs.onnx_opset_version()  # the newest the installed onnx package knows
UPGRADE_TO = 13  # older models are upgraded to this opset before import
ONNX_DOMAINS = ("", "ai.onnx")
MAX_TENSOR_BYTES = (1 << 31) - 1  # the engine's limit on one tensor (loader.cpp)
INPUT_DTYPES = {np.dtype(t) for t in (np.float32, np.float16, np.float64, np.int64, np.int32, np.uint8, np.int8,
                                      np.bool_)} | set(sdkm.STORAGE_DTYPES.values())



class Unsupported(Exception):
    """One node cannot be converted; `reason` is appended to its name in the error."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


class NodeContext:
    """What a lowering (registry.OnnxOp.lower) sees of one ONNX node, and how it emits engine
    ops. Inputs are addressed by position; names are already resolved through aliases."""

    def __init__(self, imp: Importer, node: onnx.NodeProto, label: str, version: int) -> None:
        self.imp, self.node, self.label, self.version = imp, node, label, version
        self.op_type = node.op_type
        self.opset = imp.opset
        self._inferred: list[tuple[tuple[int, ...], np.dtype]] | None = None

    @property
    def g(self) -> Graph:
        return self.imp.g

    # ---- inputs
    @property
    def num_inputs(self) -> int:
        return len(self.node.input)

    def has(self, i: int) -> bool:
        return len(self.node.input) > i and bool(self.node.input[i])

    def input(self, i: int) -> str:
        return self.imp.r(self.node.input[i]) if self.has(i) else ""

    def inputs(self) -> list[str]:
        return [self.input(i) for i in range(self.num_inputs)]

    def value(self, i: int) -> Value:
        if not self.has(i):
            raise Unsupported(f"input {i} is missing")
        return self.g.values[self.input(i)]

    def shape(self, i: int) -> tuple[int, ...]:
        return self.value(i).shape

    def dtype(self, i: int) -> np.dtype:
        return self.value(i).dtype

    def const(self, i: int) -> np.ndarray | None:
        return self.g.const_data(self.input(i)) if self.has(i) else None

    def need_const(self, i: int, what: str) -> np.ndarray:
        data = self.const(i)
        if data is None:
            raise Unsupported(f"its {what} (input {i}) must be a constant or computable at conversion time")
        return data

    def attr(self, name: str, default: Any = None) -> Any:
        return attr_value(self.node, name, default)

    def used(self, out_index: int) -> bool:
        """Whether output `out_index` is read by any node or is a graph output."""
        name = self.node.output[out_index] if len(self.node.output) > out_index else ""
        return bool(name) and name in self.imp.used_names_in_model

    # ---- outputs (ONNX shape inference, once per node)
    def _infer(self) -> list[tuple[tuple[int, ...], np.dtype]]:
        if self._inferred is None:
            infos = []
            for i in range(self.num_inputs):
                if not self.has(i):
                    infos.append(None)
                    continue
                v = self.value(i)
                infos.append(shapes.InputInfo(self.node.input[i], v.shape, v.dtype, v.data))
            try:
                self._inferred = shapes.infer(self.node, self.opset, infos)
            except shapes.ShapeError as e:
                raise Unsupported(str(e)) from None
        return self._inferred

    def output(self, i: int = 0) -> str:
        return self.node.output[i] if len(self.node.output) > i else ""

    def out_shape(self, i: int = 0) -> tuple[int, ...]:
        return self._infer()[i][0]

    def out_dtype(self, i: int = 0) -> np.dtype:
        return self._infer()[i][1]

    # ---- emitting
    def tmp(self, hint: str, shape: Sequence[int], dtype: Any = np.float32) -> str:
        """A fresh intermediate value of the given shape and dtype."""
        name = self.g.fresh(f"{self.label}_{hint}")
        self.imp.set_value(name, tuple(shape), dtype)
        return name

    def constant(self, data: Any, hint: str, dtype: Any = None) -> str:
        return self.g.const(np.asarray(data, dtype=dtype), f"{self.label}_{hint}")

    def emit(self, op_type: str, inputs: Sequence[str], outputs: Sequence[str] | None = None,
             attrs: dict[str, Any] | None = None, *, name: str | None = None, transient: bool = False) -> Op:
        """Append an engine op. `outputs` default to the node's outputs (declared here with
        their inferred shapes and dtypes); other outputs must come from tmp(). A `transient`
        op is one that passes.py rewrites away (it need not exist in the engine)."""
        if not transient and op_type not in available_engine_ops():
            raise Unsupported(f"the engine has no {op_type} op yet")
        if outputs is None:
            outputs = [o for o in self.node.output]
        for k, o in enumerate(outputs):
            if o in self.node.output and o not in self.g.values:
                idx = list(self.node.output).index(o)
                shape, dtype = self._infer()[idx]
                self.imp.set_value(o, shape, dtype)
            elif o not in self.g.values:
                raise RuntimeError(f"internal: output {k} ({o!r}) of {op_type} was not declared with tmp()")
        resolved = [self.imp.r(i) if i else "" for i in inputs]
        if not transient:
            self._check_dtypes(op_type, resolved, outputs)
        op = Op(op_type, self.imp.unique(name or self.label), resolved, list(outputs), dict(attrs or {}))
        self.g.ops.append(op)
        return op

    def _check_dtypes(self, op_type: str, inputs: Sequence[str], outputs: Sequence[str]) -> None:
        spec = registry.engine_ops().get(op_type)
        allowed = spec.dtypes if spec else frozenset({"float32"})
        for n in [*inputs, *outputs]:
            v = self.g.values.get(n) if n else None
            if v is None or v.is_const:
                continue
            name = "float32" if v.dtype == np.float64 else v.dtype.name
            if name not in allowed:
                raise Unsupported(f"the engine's {op_type} does not compute with {name} tensors "
                                  f"(it takes {', '.join(sorted(allowed))})")

    def declare_output(self, i: int, shape: Sequence[int], dtype: Any = None) -> str:
        """Declare output i's shape (and dtype) instead of taking ONNX's inferred one, where
        the engine's rule is the reference's (e.g. ceil_mode windows)."""
        name = self.output(i)
        self.imp.set_value(name, tuple(shape), dtype if dtype is not None else self.dtype(0))
        return name

    def reshape(self, src: str, out: str, shape: Sequence[int], name: str | None = None) -> Op:
        if out not in self.g.values:
            self.imp.set_value(out, tuple(shape), self.g.values[self.imp.r(src)].dtype)
        return self.emit("Reshape", [src], [out], {"shape": [int(d) for d in shape]},
                         name=name or f"{self.label}_reshape")

    def alias(self, out_index: int = 0, src: str | None = None) -> None:
        """Output `out_index` is the same tensor as `src` (default: input 0): no op."""
        self.imp.alias[self.node.output[out_index]] = self.imp.r(src if src is not None else self.node.input[0])

    def constant_output(self, out_index: int, data: np.ndarray) -> None:
        self.imp.const_out(self.node.output[out_index], np.asarray(data))

    def count(self, what: str, n: int = 1) -> None:
        self.imp.count(what, n)

    @staticmethod
    def unsupported(reason: str) -> Unsupported:
        return Unsupported(reason)


class Importer:
    def __init__(self, model: onnx.ModelProto, input_shapes: dict[str, tuple[int, ...]] | None = None) -> None:
        self.model = upgrade(model)
        self.opset = opset_of(self.model)
        self.g = Graph(name=model.graph.name or "model")
        self.alias: dict[str, str] = {}
        self.poisoned: set[str] = set()
        self.problems: list[str] = []
        self.folded = 0
        self.input_shapes = dict(input_shapes or {})
        self.used_names: set[str] = set()
        self.rewrites: dict[str, int] = {}
        g = self.model.graph
        self.used_names_in_model = {i for n in g.node for i in n.input if i} | {o.name for o in g.output}
        self.graph_output_names = {o.name for o in g.output}

    # ------------------------------------------------------------------ helpers
    def r(self, name: str) -> str:
        while name in self.alias:
            name = self.alias[name]
        return name

    def count(self, what: str, n: int = 1) -> None:
        self.rewrites[what] = self.rewrites.get(what, 0) + n

    def set_value(self, name: str, shape: tuple[int, ...], dtype: Any = np.float32,
                  data: np.ndarray | None = None) -> None:
        if len(shape) > 6:
            raise Unsupported(f"tensor {name!r} has rank {len(shape)}; the engine supports at most 6")
        self.g.values[name] = Value(name, tuple(int(d) for d in shape), np.dtype(dtype), data)

    def const_out(self, name: str, arr: np.ndarray) -> None:
        # constants may have any rank and dtype while folding; export checks what remains
        self.g.values[name] = Value(name, tuple(arr.shape), arr.dtype, arr)

    def unique(self, name: str) -> str:
        base, n = name, 1
        while name in self.used_names:
            n += 1
            name = f"{base}_{n}"
        self.used_names.add(name)
        return name

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
            self._visit(node, label)
        if self.problems:
            n = len(self.problems)
            raise SdkbuildError(
                f"{n} node{'s' if n > 1 else ''} cannot be converted:\n  " + "\n  ".join(self.problems),
                hint="`sdkbuild ops` lists the supported ops and their constraints; replace or remove these "
                "nodes before export (or export with other options), or ask for the ops to be added",
            )
        self._outputs(graph)
        self._check_declared_shapes(graph)
        return self.g

    def _visit(self, node: onnx.NodeProto, label: str) -> None:
        op = node.op_type
        shown = op if node.domain in ONNX_DOMAINS else f"{node.domain}.{op}"
        version = self._version(node)
        where = f"node {label!r} ({shown}" + (f" v{version})" if version else ")")
        if node.domain not in ONNX_DOMAINS:
            self._problem(node, f"{where}: ops of domain {node.domain!r} are not supported")
            return
        if version is None:
            self._problem(node, f"{where}: not an ONNX op at opset {self.opset}")
            return
        spec = registry.onnx_ops().get(op)
        if any(self.r(i) in self.poisoned for i in node.input if i):
            # downstream of a problem: report it only if it would fail on its own too
            if spec is None or version > spec.max_version:
                self._problem(node, f"{where}{self._reason_unsupported(op, version, spec)}")
            else:
                self.poisoned.update(o for o in node.output if o)
            return
        try:
            if self._fold(node, version):
                return
            if spec is None:
                raise Unsupported(self._reason_unsupported(op, version, spec).lstrip(": "))
            if version > spec.max_version:
                raise Unsupported(self._reason_unsupported(op, version, spec).lstrip(": "))
            spec.lower(NodeContext(self, node, label, version))
        except Unsupported as e:
            self._problem(node, f"{where}" + (f": {e.reason}" if e.reason else ""))

    def _reason_unsupported(self, op: str, version: int, spec: registry.OnnxOp | None) -> str:
        if spec is None:
            return ": not supported (supported only when all its inputs are constants)"
        if version > spec.max_version:
            return (f": operator version {version} (opset {self.opset}) is newer than the converter knows "
                    f"(up to version {spec.max_version})")
        return ""

    def _problem(self, node: onnx.NodeProto, text: str) -> None:
        self.problems.append(text)
        self.poisoned.update(o for o in node.output if o)

    def _version(self, node: onnx.NodeProto) -> int | None:
        try:
            return int(defs.get_schema(node.op_type, self.opset, node.domain or "").since_version)
        except defs.SchemaError:
            return None

    def _fold(self, node: onnx.NodeProto, version: int) -> bool:
        """Fold `node` into constants when its outputs are known now; True when done."""
        op = node.op_type
        if op in ("Shape", "Size") and node.input and self.r(node.input[0]) in self.g.values and \
                node.output[0] not in self.graph_output_names:  # a graph output is computed (ops/cast.py)
            src = self.g.values[self.r(node.input[0])]
            dims = np.asarray(src.shape, dtype=np.int64)
            if op == "Size":
                self.const_out(node.output[0], np.asarray(int(np.prod(dims)), dtype=np.int64))
            else:
                start, end = attr_value(node, "start", 0), attr_value(node, "end", None)
                self.const_out(node.output[0], dims[start:end])
            self.folded += 1
            return True
        ins = [self.g.const_data(self.r(i)) if i else None for i in node.input]
        if not all(d is not None for i, d in zip(node.input, ins, strict=True) if i):
            return False
        if not node.input and op != "Constant":
            return False  # e.g. RandomNormal: nothing to fold
        try:
            outs = fold.fold(node, ins, self.opset)
        except (ValueError, IndexError, TypeError, ArithmeticError) as e:
            raise Unsupported(f"constant folding failed: {e}") from None
        if outs is None:
            return False
        for name, arr in zip(node.output, outs, strict=False):
            if name:
                self.const_out(name, np.asarray(arr))
        self.folded += 1
        return True

    # ------------------------------------------------------------------ graph inputs and outputs
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
            if not vi.type.HasField("tensor_type"):
                raise SdkbuildError(f"model input {vi.name!r} is not a tensor", hint="only tensor inputs are supported")
            tt = vi.type.tensor_type
            try:
                dtype = shapes.np_dtype(tt.elem_type)
            except (KeyError, ValueError, TypeError):
                dtype = None
            if dtype is None or dtype not in INPUT_DTYPES:
                tname = onnx.TensorProto.DataType.Name(tt.elem_type)
                raise SdkbuildError(
                    f"model input {vi.name!r} has type {tname}, which the engine cannot take",
                    hint="inputs may be float32, float16, int64, int32, uint8, int8 or bool; export the model "
                    "with one of those",
                )
            if dtype == np.float64:
                dtype = np.dtype(np.float32)  # the engine computes in float32
            dims = self._input_dims(vi)
            size = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
            if size > MAX_TENSOR_BYTES:
                raise SdkbuildError(
                    f"model input {vi.name!r} with shape {dims} is {size:,} bytes; the engine's limit for one "
                    f"tensor is {MAX_TENSOR_BYTES:,}",
                    hint=f"give smaller dimensions with --input-shape {vi.name}=...",
                )
            self.set_value(vi.name, tuple(dims), dtype)
            self.g.inputs.append(vi.name)
        if not self.g.inputs:
            raise SdkbuildError("the model has no inputs (everything is constant)", hint="nothing to run on a device")

    def _input_dims(self, vi: onnx.ValueInfoProto) -> list[int]:
        tt = vi.type.tensor_type
        given = self.input_shapes.get(vi.name)
        model_dims = list(tt.shape.dim) if tt.HasField("shape") else None
        example = f"--input-shape {vi.name}=1,3,224,224"
        if given is not None:
            if model_dims is not None and len(model_dims) != len(given):
                raise SdkbuildError(
                    f"--input-shape {vi.name}={','.join(map(str, given))} has rank {len(given)} "
                    f"but the model input has rank {len(model_dims)}",
                    hint="give one dimension per axis",
                )
            for ax, d in enumerate(given):
                if d < 1:
                    raise SdkbuildError(f"--input-shape for {vi.name!r}: dimension {d} must be >= 1")
                if model_dims is not None and model_dims[ax].HasField("dim_value") and \
                        model_dims[ax].dim_value > 0 and model_dims[ax].dim_value != d:
                    raise SdkbuildError(
                        f"--input-shape for {vi.name!r} sets axis {ax} to {d}, but the model fixes it to "
                        f"{model_dims[ax].dim_value}",
                        hint="only dynamic dimensions can be set",
                    )
            dims = list(given)
        elif model_dims is None:
            raise SdkbuildError(f"model input {vi.name!r} has no shape", hint=f"give one with {example} (for example)")
        else:
            dims, dynamic = [], []
            for ax, d in enumerate(model_dims):
                if d.HasField("dim_value"):
                    if d.dim_value < 1:
                        raise SdkbuildError(
                            f"model input {vi.name!r} declares dimension {d.dim_value} at axis {ax}; every "
                            "dimension must be >= 1",
                            hint=f"fix the model, or give the shape with --input-shape {vi.name}=...",
                        )
                    dims.append(int(d.dim_value))
                elif ax == 0:
                    dims.append(1)  # a dynamic batch axis: batch 1, as a device runs
                else:
                    dims.append(0)
                    dynamic.append(f"{ax} ({d.dim_param or '?'})")
            if dynamic:
                raise SdkbuildError(
                    f"model input {vi.name!r} has dynamic dimensions at axes {', '.join(dynamic)}; the engine "
                    "runs fixed shapes",
                    hint=f"give the shape to build for with --input-shape {vi.name}=" +
                    ",".join(str(d) if d else "N" for d in dims) + " (replace each N)",
                )
        if len(dims) > 6:
            raise SdkbuildError(f"model input {vi.name!r} has rank {len(dims)}; the engine supports at most 6")
        return dims

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
                self.set_value(vo.name, v.shape, v.dtype)
                self.g.ops.append(Op("Reshape", self.unique(f"{vo.name}_copy"), [src], [vo.name],
                                     {"shape": [int(d) for d in v.shape]}))
            self.g.outputs.append(vo.name)

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
    """The model's opset, after checking the converter can read it (older ones are upgraded)."""
    opset = opset_of(model)
    if opset > MAX_OPSET:
        raise SdkbuildError(
            f"the model uses ONNX opset {opset}, newer than the installed onnx package knows ({MAX_OPSET})",
            hint="upgrade the onnx package (pip install -U onnx), or export the model with an older opset",
        )
    if opset < 1:
        raise SdkbuildError(f"the model declares ONNX opset {opset}", hint="re-export it with a standard exporter")
    return opset


def upgrade(model: onnx.ModelProto) -> onnx.ModelProto:
    """Models below MIN_OPSET are upgraded to UPGRADE_TO with onnx's version converter."""
    opset = check_opset(model)
    if opset >= MIN_OPSET:
        return model
    from onnx import version_converter

    try:
        return version_converter.convert_version(model, UPGRADE_TO)
    except Exception as e:  # the converter raises RuntimeError/ValueError/its own errors
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise SdkbuildError(
            f"the model uses ONNX opset {opset}; upgrading it to opset {UPGRADE_TO} failed: {first}",
            hint=f"re-export the model with opset {MIN_OPSET} or newer",
        ) from None
