"""Output shapes and dtypes of one ONNX node, by ONNX's own shape inference.

The converter fixes every input shape, so each node's inputs have static shapes when it is
reached; the node is wrapped in a one-node model (constant integer inputs as initializers,
so Reshape targets, Resize sizes, Slice starts and the like are known) and run through
`onnx.shape_inference.infer_shapes` in strict mode. That keeps the shape rules in one
place, the ONNX spec, for every op and opset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference

# constant inputs up to this many elements are given to inference as values (shapes, axes,
# scales, pads...); larger ones (weights) only by type and shape
_VALUE_LIMIT = 4096


@dataclass(frozen=True)
class InputInfo:
    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    data: np.ndarray | None = None


class ShapeError(ValueError):
    """Inference failed or left a dimension unknown; the message says which."""


def onnx_elem_type(dtype: np.dtype) -> int:
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def np_dtype(elem_type: int) -> np.dtype:
    return np.dtype(helper.tensor_dtype_to_np_dtype(elem_type))


def infer(node: onnx.NodeProto, opset: int, inputs: Sequence[InputInfo | None],
          extra_opsets: Sequence[onnx.OperatorSetIdProto] = ()) -> list[tuple[tuple[int, ...], np.dtype]]:
    """(shape, dtype) of each output of `node` (absent outputs get ((), float32))."""
    graph_inputs, inits = [], []
    for info in inputs:
        if info is None:
            continue
        if info.data is not None and (info.data.size <= _VALUE_LIMIT or not np.issubdtype(info.data.dtype,
                                                                                            np.floating)):
            inits.append(numpy_helper.from_array(np.asarray(info.data), info.name))
        else:
            graph_inputs.append(helper.make_tensor_value_info(info.name, onnx_elem_type(info.dtype),
                                                              list(info.shape)))
    g = helper.make_graph([node], "node", graph_inputs, [], initializer=inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset), *extra_opsets])
    try:
        done = shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)
    except (onnx.shape_inference.InferenceError, onnx.checker.ValidationError, RuntimeError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ShapeError(f"ONNX shape inference failed: {first}") from None
    known = {vi.name: vi for vi in done.graph.value_info}
    out: list[tuple[tuple[int, ...], np.dtype]] = []
    for name in node.output:
        if not name:
            out.append(((), np.dtype(np.float32)))
            continue
        vi = known.get(name)
        if vi is None or not vi.type.HasField("tensor_type"):
            raise ShapeError(f"ONNX shape inference gives no type for output {name!r}")
        tt = vi.type.tensor_type
        if not tt.HasField("shape"):
            raise ShapeError(f"the rank of output {name!r} is not known at conversion time")
        dims = []
        for d in tt.shape.dim:
            if not d.HasField("dim_value"):
                raise ShapeError(f"output {name!r} has a data-dependent size "
                                 f"({d.dim_param or 'unknown'}) that cannot be fixed at conversion time")
            dims.append(int(d.dim_value))
        out.append((tuple(dims), np_dtype(tt.elem_type)))
    return out
