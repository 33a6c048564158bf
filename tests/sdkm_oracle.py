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
from onnx import TensorProto, helper, numpy_helper

from sdkbuild import sdkm

_ACT = {1: "Relu", 3: "HardSwish", 4: "Sigmoid"}


def to_onnx(m: sdkm.Model) -> onnx.ModelProto:
    names = [t.name for t in m.tensors]
    nodes, inits = [], []
    for t in m.tensors:
        if t.data is not None:
            inits.append(numpy_helper.from_array(np.asarray(t.data), t.name))
    uid = 0

    def const(arr: np.ndarray) -> str:
        nonlocal uid
        uid += 1
        inits.append(numpy_helper.from_array(np.asarray(arr), f"__oracle_{uid}"))
        return f"__oracle_{uid}"

    for n in m.nodes:
        ins = [names[i] if i >= 0 else "" for i in n.inputs]
        out = names[n.outputs[0]]
        attrs = dict(n.attrs)
        act = attrs.pop("activation", [0])[0]
        params = attrs.pop("activation_params", None)
        y = f"{out}__preact" if act else out
        if n.op == "Reshape":
            nodes.append(helper.make_node("Reshape", [ins[0], const(np.asarray(attrs["shape"], np.int64))], [y]))
        elif n.op == "Slice":
            nodes.append(helper.make_node("Slice", [ins[0], const(np.asarray(attrs["starts"], np.int64)),
                                                    const(np.asarray(attrs["ends"], np.int64))], [y]))
        elif n.op == "Clip":
            lo = const(np.float32(attrs.get("min", [-np.inf])[0]))
            hi = const(np.float32(attrs.get("max", [np.inf])[0]))
            nodes.append(helper.make_node("Clip", [ins[0], lo, hi], [y]))
        elif n.op == "Pad":
            extra = [const(np.float32(attrs.get("value", [0.0])[0]))]
            nodes.append(helper.make_node("Pad", [ins[0], const(np.asarray(attrs["pads"], np.int64)), *extra], [y],
                                          mode=attrs.get("mode", "constant")))
        else:
            kw = {}
            for k, v in attrs.items():
                single = k in ("group", "alpha", "beta", "transA", "transB", "axis", "ceil_mode",
                               "count_include_pad", "size", "bias")
                kw[k] = v[0] if single and not isinstance(v, str) else v
            nodes.append(helper.make_node(n.op, ins, [y], **kw))
        if act == 2:
            nodes.append(helper.make_node("Clip", [y, const(np.float32(params[0])), const(np.float32(params[1]))],
                                          [out]))
        elif act:
            nodes.append(helper.make_node(_ACT[act], [y], [out]))

    def vi(i: int) -> onnx.ValueInfoProto:
        return helper.make_tensor_value_info(names[i], TensorProto.FLOAT, list(m.tensors[i].shape))

    g = helper.make_graph(nodes, m.name, [vi(i) for i in m.inputs], [vi(i) for i in m.outputs], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
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
