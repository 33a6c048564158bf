"""float16 models: computed in float32 inside the engine, float16 at the boundary.

A model exported to compute in float16 (e.g. `model.half()` before `torch.onnx.export`)
has float16 inputs, weights, constants and Casts. `widen_float16` rewrites such a model
(a copy) before import:

* float16 initializers, Constant values and other tensor attributes become float32;
  Cast/CastLike targets and `dtype` attributes that say float16 say float32;
* each float16 graph input keeps its name and type and feeds a Cast to float32, which
  the rest of the graph reads instead;
* each float16 graph output is produced in float32 and Cast to float16 under its name.

The engine's Cast converts at both ends (core/half.h), so the model keeps its declared
input and output types (the C API, Java and Objective-C take and give float16 data or
convert from float32: sdk_session_set_input_f32) while every op computes in float32,
which only makes the result more accurate than float16 arithmetic.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

F16, F32 = TensorProto.FLOAT16, TensorProto.FLOAT


def _widen_tensor(t: onnx.TensorProto) -> bool:
    if t.data_type != F16 or t.data_location == TensorProto.EXTERNAL:
        return False
    arr = numpy_helper.to_array(t).astype(np.float32)
    t.CopyFrom(numpy_helper.from_array(arr, t.name))
    return True


def _uses_float16(model: onnx.ModelProto) -> bool:
    g = model.graph
    if any(vi.type.tensor_type.elem_type == F16 for vi in [*g.input, *g.output]):
        return True
    if any(t.data_type == F16 for t in g.initializer):
        return True
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR and a.t.data_type == F16:
                return True
            if a.name in ("to", "dtype") and a.type == onnx.AttributeProto.INT and a.i == F16:
                return True
    return False


def _output_types(model: onnx.ModelProto) -> dict[str, int]:
    """Element type of each graph output: declared, else by ONNX type inference."""
    types = {o.name: o.type.tensor_type.elem_type for o in model.graph.output}
    if all(types.values()):
        return types
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # noqa: BLE001 - inference is best effort here; the importer reports real problems
        return types
    known = {v.name: v.type.tensor_type.elem_type for v in [*inferred.graph.value_info, *inferred.graph.output]}
    return {n: t or known.get(n, 0) for n, t in types.items()}


def widen_float16(model: onnx.ModelProto) -> tuple[onnx.ModelProto, int]:
    """The model computing in float32 with Casts at its float16 inputs and outputs (a copy;
    the model itself when it has no float16), and how many tensors or attributes changed."""
    if not _uses_float16(model):
        return model, 0
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    changed = 0
    for t in g.initializer:
        changed += _widen_tensor(t)
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR:
                changed += _widen_tensor(a.t)
            elif a.name in ("to", "dtype") and a.type == onnx.AttributeProto.INT and a.i == F16:
                a.i = F32
                changed += 1
    for vi in g.value_info:
        if vi.type.tensor_type.elem_type == F16:
            vi.type.tensor_type.elem_type = F32
    taken = {o for n in g.node for o in n.output} | {i.name for i in g.input} | {t.name for t in g.initializer}

    def fresh(base: str) -> str:
        name, k = f"{base}__f32", 1
        while name in taken:
            k += 1
            name = f"{base}__f32_{k}"
        taken.add(name)
        return name

    head: list[onnx.NodeProto] = []
    for vi in g.input:
        if vi.type.tensor_type.elem_type != F16 or vi.name in {t.name for t in g.initializer}:
            continue
        wide = fresh(vi.name)
        for n in g.node:
            n.input[:] = [wide if i == vi.name else i for i in n.input]
        head.append(onnx.helper.make_node("Cast", [vi.name], [wide], name=f"{vi.name}/to_float32", to=F32))
        changed += 1
    tail: list[onnx.NodeProto] = []
    inputs = {i.name for i in g.input}
    out_types = _output_types(model)
    for vo in g.output:
        if out_types.get(vo.name) != F16 or vo.name in inputs:
            continue
        wide = fresh(vo.name)
        for n in g.node:
            n.output[:] = [wide if o == vo.name else o for o in n.output]
            n.input[:] = [wide if i == vo.name else i for i in n.input]
        tail.append(onnx.helper.make_node("Cast", [wide], [vo.name], name=f"{vo.name}/to_float16", to=F16))
        changed += 1
    nodes = head + list(g.node) + tail
    del g.node[:]
    g.node.extend(nodes)
    return m, changed
