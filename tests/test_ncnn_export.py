"""sdkbuild/ncnn_export.py: the converted graph written as an ncnn model computes what
onnxruntime computes on the original ONNX (the bench's ncnn rows are the same network)."""

from __future__ import annotations

from pathlib import Path

import ncnn  # a test dependency (pyproject's test extra): the bench's peer must really run
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from sdkbuild import convert, ncnn_export

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "models"


def _ncnn_run(param: Path, weights: Path, x: np.ndarray) -> np.ndarray:
    net = ncnn.Net()
    net.opt.use_vulkan_compute = False
    net.opt.use_fp16_storage = net.opt.use_fp16_packed = net.opt.use_fp16_arithmetic = False
    assert net.load_param(str(param)) == 0 and net.load_model(str(weights)) == 0
    xin = np.ascontiguousarray(x[0])  # the Mat borrows this buffer
    ex = net.create_extractor()
    ex.input(ncnn_export.INPUT, ncnn.Mat(xin))
    rc, out = ex.extract(ncnn_export.OUTPUT)
    assert rc == 0
    return np.array(out)


def _check(model: onnx.ModelProto, x: np.ndarray, tmp_path: Path) -> None:
    m = convert.convert_model(model)
    ncnn_export.export(m, tmp_path / "m.param", tmp_path / "m.bin")
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    ref = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    got = _ncnn_run(tmp_path / "m.param", tmp_path / "m.bin", x)
    np.testing.assert_allclose(got.ravel(), ref.ravel(), rtol=1e-4, atol=1e-4 * float(np.abs(ref).max()))


def _w(rng: np.random.Generator, name: str, *shape: int) -> onnx.TensorProto:
    return numpy_helper.from_array(rng.normal(0, 0.3, shape).astype(np.float32), name)


def test_examples_match_onnxruntime(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    _check(onnx.load(EXAMPLES / "digits_cnn.onnx"), rng.random((1, 1, 8, 8), np.float32), tmp_path)
    # MobileNetV2: fused Clip activations, depthwise, residual Adds (a blob read twice -> Split)
    _check(onnx.load(EXAMPLES / "mobilenetv2_224.onnx"), rng.normal(0, 1, (1, 3, 224, 224)).astype(np.float32),
           tmp_path)


def test_other_mapped_ops(tmp_path: Path) -> None:
    """Add + Relu (fused by the converter), the graph input read twice, AveragePool with
    padding, a standalone Clip, Gemm with transB=0 and alpha/beta, Softmax."""
    rng = np.random.default_rng(1)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["x", "w2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c1", "c2"], ["s"]),
        helper.make_node("Relu", ["s"], ["r"]),
        helper.make_node("AveragePool", ["r"], ["p"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                         count_include_pad=1),
        helper.make_node("Clip", ["p", "lo", "hi"], ["q"]),
        helper.make_node("Flatten", ["q"], ["f"]),
        helper.make_node("Gemm", ["f", "g", "gb"], ["z"], alpha=0.5, beta=2.0),
        helper.make_node("Softmax", ["z"], ["y"], axis=1),
    ]
    inits = [_w(rng, "w1", 4, 3, 3, 3), _w(rng, "b1", 4), _w(rng, "w2", 4, 3, 3, 3),
             numpy_helper.from_array(np.float32(-0.5), "lo"), numpy_helper.from_array(np.float32(0.8), "hi"),
             _w(rng, "g", 4 * 4 * 4, 5), _w(rng, "gb", 5)]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 7, 7])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    _check(model, rng.normal(0, 1, (1, 3, 7, 7)).astype(np.float32), tmp_path)


def test_unmapped_graphs_are_refused(tmp_path: Path) -> None:
    nodes = [helper.make_node("Transpose", ["x"], ["y"], perm=[0, 1, 3, 2])]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 3, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 3])])
    m = convert.convert_model(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8))
    with pytest.raises(ncnn_export.NcnnUnsupported, match="Transpose"):
        ncnn_export.export(m, tmp_path / "m.param", tmp_path / "m.bin")
    assert not (tmp_path / "m.param").exists()


def test_zoo_cnn_ops(tmp_path: Path) -> None:
    """The zoo's CNN blocks: a conv with SiLU (a Swish layer after it), squeeze-excitation
    (pool, 1x1 convs, Sigmoid, a per-channel Mul), HardSwish, a lowered HardSigmoid (Mul and
    Add by constant scalars), a channel Concat."""
    rng = np.random.default_rng(2)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Sigmoid", ["c1"], ["s1"]),
        helper.make_node("Mul", ["c1", "s1"], ["a1"]),  # SiLU, fused into the conv by the converter
        helper.make_node("GlobalAveragePool", ["a1"], ["p"]),
        helper.make_node("Conv", ["p", "w2", "b2"], ["f1"]),
        helper.make_node("Relu", ["f1"], ["f1r"]),
        helper.make_node("Conv", ["f1r", "w3", "b3"], ["f2"]),
        helper.make_node("Sigmoid", ["f2"], ["g"]),
        helper.make_node("Mul", ["a1", "g"], ["se"]),
        helper.make_node("HardSwish", ["se"], ["h0"]),
        helper.make_node("HardSigmoid", ["h0"], ["h"], alpha=0.2, beta=0.4),  # lowered: x * 0.2 + 0.4, Clip
        helper.make_node("Conv", ["x", "w4"], ["c4"], pads=[1, 1, 1, 1]),
        helper.make_node("Concat", ["h", "c4"], ["y"], axis=1),
    ]
    inits = [_w(rng, "w1", 8, 3, 3, 3), _w(rng, "b1", 8), _w(rng, "w2", 2, 8, 1, 1), _w(rng, "b2", 2),
             _w(rng, "w3", 8, 2, 1, 1), _w(rng, "b3", 8), _w(rng, "w4", 4, 3, 3, 3)]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 9, 9])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 12, 9, 9])], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)], ir_version=8)
    _check(model, rng.normal(0, 1, (1, 3, 9, 9)).astype(np.float32), tmp_path)


def _se_model(rng: np.random.Generator, act2: str = "Sigmoid", c: int = 16, hidden: int = 4,
              silu: bool = False) -> onnx.ModelProto:
    """conv -> squeeze-excitation (global pool, 1x1 conv + Relu or SiLU, 1x1 conv + act2, Mul) -> conv."""
    nodes = [
        helper.make_node("Conv", ["x", "w0", "b0"], ["c0"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c0"], ["r0"]),
        helper.make_node("GlobalAveragePool", ["r0"], ["g"]),
        helper.make_node("Conv", ["g", "w1", "b1"], ["f1"]),
    ]
    if silu:
        nodes += [helper.make_node("Sigmoid", ["f1"], ["f1s"]), helper.make_node("Mul", ["f1", "f1s"], ["f1r"])]
    else:
        nodes.append(helper.make_node("Relu", ["f1"], ["f1r"]))
    nodes += [
        helper.make_node("Conv", ["f1r", "w2", "b2"], ["f2"]),
        helper.make_node(act2, ["f2"], ["s"]),
        helper.make_node("Mul", ["r0", "s"], ["m"]),
        helper.make_node("Conv", ["m", "w3"], ["y"]),
    ]
    inits = [_w(rng, "w0", c, 3, 3, 3), _w(rng, "b0", c), _w(rng, "w1", hidden, c, 1, 1), _w(rng, "b1", hidden),
             _w(rng, "w2", c, hidden, 1, 1), _w(rng, "b2", c), _w(rng, "w3", 8, c, 1, 1)]
    g = helper.make_graph(nodes, "se", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 12, 12])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def test_squeeze_excitation_convs_are_inner_products(tmp_path: Path) -> None:
    """The 1x1 convs of a squeeze-excitation read ncnn's 1-D blob (after global pooling): they
    are written as InnerProduct (ncnn's deprecated 1-D Convolution path broke its int8:
    efficientnet_b0's int8 output had cosine 0.04 against fp32); spatial 1x1 convs stay
    Convolution; outputs still match onnxruntime."""
    rng = np.random.default_rng(3)
    for act2, silu in (("Sigmoid", True), ("HardSigmoid", False)):
        model = _se_model(rng, act2, silu=silu)
        _check(model, rng.normal(0, 1, (1, 3, 12, 12)).astype(np.float32), tmp_path)
        kinds = [line.split()[0] for line in (tmp_path / "m.param").read_text().splitlines()[2:]]
        assert kinds.count("InnerProduct") == 2 and kinds.count("Convolution") == 2, kinds
        assert kinds.count("Swish") == int(silu)
