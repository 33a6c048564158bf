"""What the converter knows about each op, one place per op.

Two tables, filled by the family modules in `sdkbuild/convert/ops/` (each module registers
the ONNX ops it imports and the engine ops it emits, side by side):

* `onnx_ops()`: ONNX op type -> `OnnxOp`, how a node of that op becomes engine ops
  (`lower(ctx)`), the newest operator version (since-version) the lowering was written
  for, and its constraints in one line for `sdkbuild ops`. A model whose opset resolves
  an op to a newer version than `max_version` is refused for that node, by name, instead
  of being converted with the wrong meaning.
* `engine_ops()`: engine op type -> `EngineOp`, its float attributes (the file format keeps
  ints and floats apart) and how to express it back in ONNX (`to_onnx`), which int8
  calibration uses to run the fp32 graph on onnxruntime.

Shape rules are ONNX's own (onnx.shape_inference, per node, see shapes.py) and constant
folding is generic (fold.py, onnx's reference implementation behind a numpy fast path),
so an entry here holds only what is specific to the op.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

if TYPE_CHECKING:
    from .. import sdkm
    from .importer import NodeContext


@dataclass(frozen=True)
class OnnxOp:
    op_type: str
    lower: Callable[[NodeContext], None]
    max_version: int  # newest since-version of the op this lowering handles
    doc: str = ""  # constraints, for `sdkbuild ops` and the README


ANY_DTYPE = frozenset({"float32", "float16", "int64", "int32", "int8", "uint8", "bool"})
# the storage types (engine option `storage`): only Cast takes them (sdkbuild/convert/storage.py)
STORAGE_DTYPE_NAMES = frozenset({"int16", "uint16", "uint32", "uint64", "bfloat16", "float8_e4m3fn", "float8_e4m3fnuz",
                                 "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn", "int4", "uint4",
                                 "int2", "uint2"})


@dataclass(frozen=True)
class EngineOp:
    op_type: str
    to_onnx: Callable[[sdkm.Node, list[str], list[str], OnnxBuilder], None] | None = None
    float_attrs: frozenset[str] = frozenset()
    doc: str = ""  # attributes, for docs/sdkm-format.md
    # dtypes (numpy names) of the computed inputs and outputs the engine op takes before
    # quantization; int8 versions come from quantize.py, not from here
    dtypes: frozenset[str] = frozenset({"float32"})


_ONNX_OPS: dict[str, OnnxOp] = {}
_ENGINE_OPS: dict[str, EngineOp] = {}


def onnx_ops() -> dict[str, OnnxOp]:
    """ONNX op type -> its lowering, every family module loaded."""
    load_all()
    return _ONNX_OPS


def engine_ops() -> dict[str, EngineOp]:
    """Engine op type -> its declaration, every family module loaded."""
    load_all()
    return _ENGINE_OPS


def onnx_op(*op_types: str, max_version: int, doc: str = "") -> Callable:
    """Decorator: `fn(ctx)` lowers nodes of these ONNX op types."""

    def deco(fn: Callable[[NodeContext], None]) -> Callable[[NodeContext], None]:
        for t in op_types:
            if t in _ONNX_OPS:
                raise RuntimeError(f"ONNX op {t} registered twice")
            _ONNX_OPS[t] = OnnxOp(t, fn, max_version, doc)
        return fn

    return deco


def engine_op(op_type: str, *, float_attrs: Sequence[str] = (), doc: str = "",
              to_onnx: Callable | None = None, dtypes: Sequence[str] = ("float32",)) -> None:
    """Declare an engine op (one file engine/src/ops/<op>.cpp). Without `to_onnx` the op is
    re-expressed as the ONNX op of the same name with the same attributes (typed by the ONNX
    schema). `dtypes`: what its computed inputs and outputs may be (ANY_DTYPE for data
    movement that only copies elements)."""
    if op_type in _ENGINE_OPS:
        raise RuntimeError(f"engine op {op_type} registered twice")
    _ENGINE_OPS[op_type] = EngineOp(op_type, to_onnx, frozenset(float_attrs), doc, frozenset(dtypes))


# ---------------------------------------------------------------- engine op -> ONNX


@dataclass
class OnnxBuilder:
    """Collects the ONNX nodes and constants that re-express engine nodes (calibration)."""

    nodes: list[onnx.NodeProto] = field(default_factory=list)
    consts: list[onnx.TensorProto] = field(default_factory=list)
    _uid: int = 0

    def const(self, hint: str, value: Any, dtype: Any = None) -> str:
        self._uid += 1
        name = f"{hint}__c{self._uid}"
        self.consts.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(self, op_type: str, inputs: Sequence[str], outputs: Sequence[str], name: str = "",
             **attrs: Any) -> None:
        self.nodes.append(helper.make_node(op_type, list(inputs), list(outputs), name=name or None, **attrs))

    def tmp(self, hint: str) -> str:
        self._uid += 1
        return f"{hint}__t{self._uid}"


def scalar_attrs(node: sdkm.Node, names: Sequence[str]) -> dict[str, Any]:
    """The listed one-element attributes of an engine node as ONNX scalars (ints or floats)."""
    out: dict[str, Any] = {}
    for k in names:
        v = node.attrs.get(k)
        if v is None:
            continue
        if isinstance(v, str):
            out[k] = v
        else:
            out[k] = float(v[0]) if k in node.float_attrs else int(v[0])
    return out


@functools.cache
def available_engine_ops() -> frozenset[str]:
    """Op types the engine sources implement (engine/src/ops/*.cpp): what a conversion may emit."""
    from ..engine_sources import available_ops

    return frozenset(available_ops().values())


@functools.cache
def load_all() -> None:
    """Import every family module of sdkbuild.convert.ops (they register themselves)."""
    from . import ops

    for info in pkgutil.iter_modules(ops.__path__):
        importlib.import_module(f"{ops.__name__}.{info.name}")



