"""Test oracle: run a converted .sdkm model with onnxruntime.

The converter's output uses only the engine's op set, which is ONNX ops with resolved
attributes (plus fused activations). Rebuilding it as an ONNX graph and running it in
onnxruntime checks the converter's arithmetic (BN folding, fusion, resolved pads and
shapes) independently of the engine; the engine's own results are compared in
tests/test_examples.py.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort

from sdkbuild import sdkm
from sdkbuild.convert import calibration


def to_onnx(m: sdkm.Model) -> onnx.ModelProto:
    """The converted model as ONNX, each engine op expressed by its registry entry
    (sdkbuild/convert/ops/), the same form int8 calibration runs."""
    model = calibration.to_onnx(m, record_all=False)
    # no full_check: onnx's shape inference lacks onnxruntime's ceil_mode rule (a window may
    # not start in the end padding), which the converter follows; run() checks output shapes
    onnx.checker.check_model(model)
    return model


def run(m: sdkm.Model, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    sess = ort.InferenceSession(to_onnx(m).SerializeToString(), providers=["CPUExecutionProvider"])
    outs = sess.run(None, feeds)
    for i, out in zip(m.outputs, outs, strict=True):
        assert out.shape == m.tensors[i].shape, f"{m.tensors[i].name}: file says {m.tensors[i].shape}, got {out.shape}"
    return outs


def run_onnx(model: onnx.ModelProto | str, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    data = model if isinstance(model, str) else model.SerializeToString()
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)
