"""Converter IR (ir.Graph) -> sdkm.Model, checking that only engine ops and dtypes remain."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import sdkm
from ..errors import SdkbuildError
from .ir import Graph
from .registry import available_engine_ops, engine_ops


def _attr(value: Any) -> sdkm.AttrValue:
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        return [v.item() if isinstance(v, np.generic) else v for v in value]
    return [value.item() if isinstance(value, np.generic) else value]


def _is_float(value: sdkm.AttrValue) -> bool:
    return not isinstance(value, str) and any(isinstance(v, float) for v in value)


def engine_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype a tensor has in the engine: float64 computes as float32, the rest as is."""
    return np.dtype(np.float32) if dtype == np.float64 else np.dtype(dtype)


def to_sdkm(g: Graph, meta: dict | None = None) -> sdkm.Model:
    have = available_engine_ops()
    leftovers = sorted({op.op_type for op in g.ops if op.op_type not in have})
    if leftovers:
        raise SdkbuildError(f"internal: ops {leftovers} survived conversion", hint="please report this model")
    m = sdkm.Model(name=g.name, meta=dict(meta or {}))
    index: dict[str, int] = {}

    def tensor(name: str) -> int:
        if not name:
            return -1
        if name in index:
            return index[name]
        v = g.values[name]
        data = v.data
        if data is not None:
            if np.issubdtype(data.dtype, np.floating):
                data = np.ascontiguousarray(data, dtype=np.float32)  # f16/f64 weights become f32
            # a scalar constant is stored as shape (1,): same broadcasting, and the
            # writer's contiguous copy would make a 0-d array 1-d anyway
            data = data.reshape(1) if data.ndim == 0 else data
            dtype, shape = data.dtype, tuple(data.shape)
        else:
            dtype, shape = engine_dtype(v.dtype), tuple(v.shape)
        try:
            code = sdkm.dtype_code(dtype)
        except sdkm.SdkmError:
            raise SdkbuildError(f"tensor {name!r} has dtype {np.dtype(dtype).name}, which the engine does not "
                                "compute with", hint="export the model with float32/int64/int32/bool tensors") from None
        index[name] = m.add_tensor(sdkm.Tensor(name, code, shape, data))
        return index[name]

    m.inputs = [tensor(n) for n in g.inputs]
    for op in g.ops:
        ins = [tensor(i) for i in op.inputs]
        outs = [tensor(o) for o in op.outputs]
        attrs = {k: _attr(v) for k, v in op.attrs.items()}
        spec = engine_ops().get(op.op_type)
        declared = spec.float_attrs if spec else frozenset()
        floats = frozenset(k for k, v in attrs.items() if not isinstance(v, str) and (k in declared or _is_float(v)))
        floats |= frozenset(k for k in attrs if k == "activation_params")
        m.nodes.append(sdkm.Node(op.op_type, op.name, ins, outs, attrs, floats))
    m.outputs = [tensor(n) for n in g.outputs]
    m.meta.setdefault("ops", m.ops_used())
    return m
