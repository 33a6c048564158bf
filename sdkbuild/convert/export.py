"""Converter IR (ir.Graph) -> sdkm.Model, checking that only engine ops and dtypes remain."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import sdkm
from ..errors import SdkbuildError
from .ir import ENGINE_OPS, FLOAT_ATTRS, Graph


def _attr(value: Any) -> sdkm.AttrValue:
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        return [v.item() if isinstance(v, np.generic) else v for v in value]
    return [value]


def to_sdkm(g: Graph, meta: dict | None = None) -> sdkm.Model:
    leftovers = sorted({op.op_type for op in g.ops if op.op_type not in ENGINE_OPS})
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
            elif data.dtype not in (np.int8, np.uint8, np.int32):
                raise SdkbuildError(
                    f"constant {name!r} has dtype {data.dtype}, which no engine op takes",
                    hint="this model computes with non-float tensors, which the engine does not support",
                )
            # a scalar constant is stored as shape (1,): same broadcasting, and the
            # writer's contiguous copy would make a 0-d array 1-d anyway
            data = data.reshape(1) if data.ndim == 0 else data
            dtype, shape = sdkm.dtype_code(data.dtype), tuple(data.shape)
        else:
            dtype, shape = sdkm.dtype_code(v.dtype if v.dtype != np.float64 else np.float32), tuple(v.shape)
        index[name] = m.add_tensor(sdkm.Tensor(name, dtype, shape, data))
        return index[name]

    m.inputs = [tensor(n) for n in g.inputs]
    for op in g.ops:
        ins = [tensor(i) for i in op.inputs]
        outs = [tensor(o) for o in op.outputs]
        attrs = {k: _attr(v) for k, v in op.attrs.items()}
        floats = frozenset(k for k in attrs if k in FLOAT_ATTRS and not isinstance(attrs[k], str))
        m.nodes.append(sdkm.Node(op.op_type, op.name, ins, outs, attrs, floats))
    m.outputs = [tensor(n) for n in g.outputs]
    m.meta.setdefault("ops", m.ops_used())
    return m
