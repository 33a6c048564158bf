"""The converter's graph IR: a plain, mutable, name-keyed graph that passes rewrite.

Deliberately small so that passes (folding, fusion, later quantization) stay simple:

* `Value`: a tensor by name, with its static `shape`, numpy `dtype` and, for constants,
  its `data` (a numpy array; the shape of `data` is the shape).
* `Op`: one node; `inputs`/`outputs` are value names ("" marks an absent optional input);
  `attrs` are plain Python values (ints, floats, lists, strings) already in the engine's
  meaning (see docs/sdkm-format.md), e.g. Conv `pads` fully resolved as [t, l, b, r].
* `Graph`: `values` by name, `ops` in topological order, graph `inputs`/`outputs` names.

The importer produces a graph whose ops are engine ops plus a few transient ones
(`BatchNormalization`, `HardSigmoid`) that passes.py removes; `export.to_sdkm` rejects
anything that is not an engine op (registry.available_engine_ops). Shapes are always
static and known.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Ops that carry a fused `activation` attribute.
FUSABLE_PRODUCERS = frozenset({"Conv", "Gemm", "Add"})

@dataclass
class Value:
    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    data: np.ndarray | None = None

    @property
    def is_const(self) -> bool:
        return self.data is not None


@dataclass
class Op:
    op_type: str
    name: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Graph:
    name: str = "model"
    values: dict[str, Value] = field(default_factory=dict)
    ops: list[Op] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    _uid: int = 0

    # ---- values
    def const(self, data: np.ndarray, hint: str) -> str:
        """Add a constant under a fresh name derived from `hint`; returns its name."""
        name = self.fresh(hint)
        arr = np.asarray(data)
        self.values[name] = Value(name, tuple(arr.shape), arr.dtype, arr)
        return name

    def fresh(self, hint: str) -> str:
        while True:
            self._uid += 1
            name = f"{hint}__{self._uid}"
            if name not in self.values:
                return name

    def value(self, name: str) -> Value:
        return self.values[name]

    def const_data(self, name: str) -> np.ndarray | None:
        v = self.values.get(name) if name else None
        return None if v is None else v.data

    # ---- structure queries
    def consumers(self, name: str) -> list[Op]:
        return [op for op in self.ops if name in op.inputs]

    def producer(self, name: str) -> Op | None:
        for op in self.ops:
            if name in op.outputs:
                return op
        return None

    def single_use(self, name: str) -> Op | None:
        """The one consumer of `name`, when it has exactly one and is not a graph output."""
        if name in self.outputs:
            return None
        users = self.consumers(name)
        if len(users) != 1 or users[0].inputs.count(name) != 1:
            return None
        return users[0]

    def replace_uses(self, old: str, new: str) -> None:
        for op in self.ops:
            op.inputs = [new if i == old else i for i in op.inputs]
        self.outputs = [new if o == old else o for o in self.outputs]

    def iter_ops(self, op_type: str) -> Iterator[Op]:
        """Ops of a type, safe against removal of the current op during iteration."""
        for op in list(self.ops):
            if op.op_type == op_type and op in self.ops:
                yield op

    def remove_dead(self) -> int:
        """Drop ops whose outputs nobody uses and values nobody references; returns ops dropped."""
        dropped = 0
        while True:
            used = set(self.outputs)
            for op in self.ops:
                used.update(i for i in op.inputs if i)
            keep = [op for op in self.ops if any(o in used for o in op.outputs)]
            if len(keep) == len(self.ops):
                break
            dropped += len(self.ops) - len(keep)
            self.ops = keep
        referenced = set(self.inputs) | set(self.outputs)
        for op in self.ops:
            referenced.update(op.inputs)
            referenced.update(op.outputs)
        self.values = {k: v for k, v in self.values.items() if k in referenced}
        return dropped
