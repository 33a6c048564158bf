"""Seed corpus of the engine's fuzz target (engine/tests/fuzz_load_run.cpp, docs/fuzzing.md).

Real converted models: one small ONNX graph per engine op, converted by sdkbuild's converter
(fp32) and, where the op has an int8 kernel, quantized by sdkbuild's quantizer (int8), plus
the example models (examples/models) in fp32 and int8. Every seed is written in a few
variants of the header's reserved byte 28, which the harness reads as its run configuration
(threads, the int8 and fp32 kernel tiers, the input pattern), so replaying the seeds alone
runs every op on every x86 tier.

    python tests/fuzz_seeds.py OUT_DIR [--large]    # --large: also MobileNetV2 (8 MB fp32)
    python tests/fuzz_seeds.py --add-finding crash-<sha1> NAME   # -> tests/data/fuzz/NAME.sdkm

Generated, never committed; tests/test_fuzz.py and scripts/fuzz.sh call write_seeds().
"""

from __future__ import annotations

import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sdkbuild import sdkm  # noqa: E402
from sdkbuild.convert import convert_model  # noqa: E402

# harness configurations (fuzz_load_run.cpp): bit 0 two threads, bits 1-2 int8 tier
# (best, ref, sse41, avx2), bits 3-4 fp32 tier (same), bits 5-6 input pattern, bit 7 float
# inputs through sdk_session_set_input_f32
CONFIGS = {
    "best": 0x00,
    "ref-2t": 0x01 | (1 << 1) | (1 << 3),
    "sse41-extremes": (2 << 1) | (2 << 3) | (3 << 5) | 0x80,
    "avx2-2t-min": 0x01 | (3 << 1) | (3 << 3) | (1 << 5),
}


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _f(*shape: int, seed: int = 0, scale: float = 1.0) -> np.ndarray:
    return (_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def _graph(nodes: list[onnx.NodeProto], inputs: dict[str, tuple[int, ...]], inits: dict[str, np.ndarray],
           outputs: list[str], opset: int = 13) -> onnx.ModelProto:
    g = helper.make_graph(
        nodes, "seed",
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, list(v)) for k, v in inputs.items()],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
        initializer=[numpy_helper.from_array(v, k) for k, v in inits.items()])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def _one(op: str, inputs: dict[str, tuple[int, ...]], inits: dict[str, np.ndarray] | None = None,
         opset: int = 13, **attrs: object) -> onnx.ModelProto:
    inits = inits or {}
    node = helper.make_node(op, [*inputs, *inits], ["y"], **attrs)
    return _graph([node], inputs, inits, ["y"], opset)


def _conv(c: int, oc: int, hw: int, k: int, group: int = 1, act: str | None = None, **attrs: object
          ) -> onnx.ModelProto:
    w = _f(oc, c // group, k, k, seed=c + oc + k, scale=0.3)
    b = _f(oc, seed=7, scale=0.1)
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c" if act else "y"], group=group, **attrs)]
    if act == "Clip":
        nodes.append(helper.make_node("Clip", ["c", "lo", "hi"], ["y"]))
        inits = {"w": w, "b": b, "lo": np.float32(0.0), "hi": np.float32(6.0)}
    else:
        if act:
            nodes.append(helper.make_node(act, ["c"], ["y"]))
        inits = {"w": w, "b": b}
    return _graph(nodes, {"x": (1, c, hw, hw)}, {k_: np.asarray(v) for k_, v in inits.items()}, ["y"], opset=14)


def _block() -> onnx.ModelProto:
    """Conv + Relu, MaxPool, depthwise + Clip, residual Add, AveragePool, Concat, GAP, Flatten, Gemm."""
    inits = {
        "w1": _f(8, 3, 3, 3, seed=1, scale=0.3), "b1": _f(8, seed=2, scale=0.1),
        "wd": _f(8, 1, 3, 3, seed=3, scale=0.3), "bd": _f(8, seed=4, scale=0.1),
        "wg": _f(5, 16, seed=5, scale=0.3), "bg": _f(5, seed=6, scale=0.1),
        "lo": np.asarray(np.float32(0.0)), "hi": np.asarray(np.float32(6.0)),
    }
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "wd", "bd"], ["c2"], pads=[1, 1, 1, 1], group=8),
        helper.make_node("Clip", ["c2", "lo", "hi"], ["r2"]),
        helper.make_node("Add", ["r2", "p1"], ["a"]),
        helper.make_node("AveragePool", ["a"], ["ap"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Concat", ["ap", "a"], ["cat"], axis=1),
        helper.make_node("GlobalAveragePool", ["cat"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "wg", "bg"], ["y"], transB=1),
    ]
    return _graph(nodes, {"x": (1, 3, 12, 12)}, inits, ["y"])


def _typed(nodes: list[onnx.NodeProto], inputs: dict[str, np.ndarray], consts: dict[str, np.ndarray],
           outputs: dict[str, int], opset: int) -> onnx.ModelProto:
    """A graph whose inputs and outputs have any dtype (inputs given as example arrays)."""
    g = helper.make_graph(
        nodes, "seed",
        [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype), list(v.shape))
         for k, v in inputs.items()],
        [helper.make_tensor_value_info(o, t, None) for o, t in outputs.items()],
        initializer=[numpy_helper.from_array(np.asarray(v), k) for k, v in consts.items()])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def _ints(dt: type, *shape: int, seed: int = 0) -> np.ndarray:
    info = np.iinfo(dt)
    return _rng(seed).integers(info.min, info.max + 1, size=shape).astype(dt)


def family_c_models() -> dict[str, onnx.ModelProto]:
    """The nn layers, normalizations, batched MatMul, attention and quantized ONNX ops (fp32
    graphs and integer ops; the converter maps them onto the engine's ops)."""
    F, x4 = TensorProto.FLOAT, {"x": np.zeros((1, 4, 5, 6), np.float32)}
    u8, i8 = np.uint8, np.int8
    attn_in = {"q": np.zeros((1, 2, 5, 4), np.float32), "k": np.zeros((1, 2, 6, 4), np.float32),
               "v": np.zeros((1, 2, 6, 3), np.float32)}
    return {
        "convtranspose": _typed([helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], strides=[2, 2],
                                                  pads=[1, 1, 1, 1], output_padding=[1, 1])],
                                x4, {"w": _f(4, 3, 3, 3, scale=0.5), "b": _f(3)}, {"y": F}, 13),
        "convtranspose_dw": _typed([helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2], group=4)],
                                   x4, {"w": _f(4, 1, 4, 4, scale=0.5)}, {"y": F}, 13),
        "matmul_batched": _typed([helper.make_node("MatMul", ["a", "b"], ["y"])],
                                 {"a": np.zeros((2, 3, 5, 7), np.float32), "b": np.zeros((1, 3, 7, 4), np.float32)},
                                 {}, {"y": F}, 13),
        "layernorm": _typed([helper.make_node("LayerNormalization", ["x", "s", "b"], ["y"], axis=-1, epsilon=1e-5)],
                            x4, {"s": _f(6), "b": _f(6)}, {"y": F}, 17),
        "rmsnorm": _typed([helper.make_node("RMSNormalization", ["x", "s"], ["y"], axis=-2, epsilon=1e-6)],
                          x4, {"s": _f(5, 6)}, {"y": F}, 23),
        "groupnorm": _typed([helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2,
                                              epsilon=1e-5)], x4, {"s": _f(4), "b": _f(4)}, {"y": F}, 21),
        "instancenorm": _typed([helper.make_node("InstanceNormalization", ["x", "s", "b"], ["y"], epsilon=1e-3)],
                               x4, {"s": _f(4), "b": _f(4)}, {"y": F}, 17),
        "lpnorm": _typed([helper.make_node("LpNormalization", ["x"], ["y"], axis=1, p=2)], x4, {}, {"y": F}, 17),
        "attention": _typed([helper.make_node("Attention", ["q", "k", "v"], ["y"], is_causal=1)],
                            attn_in, {}, {"y": F}, 23),
        "einsum": _typed([helper.make_node("Einsum", ["a", "b"], ["y"], equation="bid,jd->bij")],
                         {"a": np.zeros((2, 3, 4), np.float32)}, {"b": _f(5, 4)}, {"y": F}, 13),
        "matmulinteger": _typed([helper.make_node("MatMulInteger", ["a", "b", "az", "bz"], ["y"])],
                                {"a": np.zeros((2, 5, 8), u8)},
                                {"b": _ints(i8, 8, 6), "az": _ints(u8, 1).reshape(()), "bz": _ints(i8, 6)},
                                {"y": TensorProto.INT32}, 13),
        "qlinearmatmul": _typed([helper.make_node("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz", "ys", "yz"],
                                                  ["y"])],
                                {"a": np.zeros((3, 8), i8)},
                                {"as": np.float32(0.02), "az": _ints(i8, 1).reshape(()), "b": _ints(i8, 8, 5),
                                 "bs": np.float32(0.03), "bz": _ints(i8, 1).reshape(()), "ys": np.float32(0.5),
                                 "yz": _ints(i8, 1).reshape(())}, {"y": TensorProto.INT8}, 13),
        "qlinearconv": _typed([helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"],
                                                ["y"], pads=[1, 1, 1, 1], strides=[2, 1])],
                              {"x": np.zeros((1, 4, 7, 7), u8)},
                              {"xs": np.float32(0.05), "xz": np.uint8(128), "w": _ints(i8, 6, 4, 3, 3),
                               "ws": _f(6, scale=0.01) ** 2 + np.float32(0.01), "wz": np.zeros(6, i8),
                               "ys": np.float32(0.2), "yz": np.uint8(100), "b": _ints(np.int16, 6).astype(np.int32)},
                              {"y": TensorProto.UINT8}, 13),
        "dynamicquantize": _typed([helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "ys", "yz"])],
                                  {"x": np.zeros((3, 10), np.float32)}, {},
                                  {"y": TensorProto.UINT8, "ys": F, "yz": TensorProto.UINT8}, 13),
        "qdq_conv": _typed([helper.make_node("QuantizeLinear", ["x", "s", "z"], ["xq"]),
                            helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["xd"]),
                            helper.make_node("DequantizeLinear", ["wq", "wqs", "wqz"], ["wd"], axis=0),
                            helper.make_node("Conv", ["xd", "wd"], ["y"])],
                           {"x": np.zeros((1, 3, 8, 8), np.float32)},
                           {"s": np.float32(0.02), "z": np.uint8(120), "wq": _ints(i8, 5, 3, 3, 3),
                            "wqs": _f(5, scale=0.01) ** 2 + np.float32(0.01), "wqz": np.zeros(5, i8)}, {"y": F}, 13),
    }


def op_models() -> dict[str, tuple[onnx.ModelProto, bool]]:
    """name -> (ONNX model, also quantize to int8). Together they use every engine op."""
    x4 = {"x": (1, 3, 7, 7)}
    m: dict[str, tuple[onnx.ModelProto, bool]] = {
        "conv3x3_s2": (_conv(3, 8, 9, 3, strides=[2, 2], pads=[1, 1, 1, 1]), True),
        "conv1x1_relu": (_conv(8, 16, 6, 1, act="Relu"), True),
        "conv_dilated_asym": (_conv(4, 4, 10, 3, dilations=[2, 2], pads=[0, 1, 2, 1]), True),
        "conv_grouped_hardswish": (_conv(8, 8, 6, 3, group=2, act="HardSwish", pads=[1, 1, 1, 1]), False),
        "conv_sigmoid": (_conv(3, 4, 6, 3, act="Sigmoid"), False),
        "dw3x3_s1_clip": (_conv(8, 8, 9, 3, group=8, act="Clip", pads=[1, 1, 1, 1]), True),
        "dw3x3_s2": (_conv(8, 8, 20, 3, group=8, strides=[2, 2], pads=[1, 1, 1, 1]), True),
        "dw5x5": (_conv(4, 4, 9, 5, group=4, pads=[2, 2, 2, 2]), True),
        "gemm": (_one("Gemm", {"x": (2, 8)}, {"w": _f(5, 8), "b": _f(5)}, transB=1), True),
        "gemm_notrans": (_one("Gemm", {"x": (3, 4)}, {"w": _f(4, 6), "b": _f(6)}, alpha=0.5, beta=2.0), False),
        "matmul": (_one("MatMul", {"x": (2, 3, 4)}, {"w": _f(4, 5)}), True),
        "add_bcast": (_one("Add", {"x": (2, 3, 4)}, {"b": _f(1, 3, 1)}), False),
        "add_same": (_graph([helper.make_node("Add", ["x", "z"], ["y"])], {"x": (1, 4, 5, 5), "z": (1, 4, 5, 5)},
                            {}, ["y"]), True),
        "mul_bcast": (_one("Mul", {"x": (2, 3, 4)}, {"b": _f(4)}), False),
        "relu": (_one("Relu", x4), True),
        "clip": (_one("Clip", x4, {"lo": np.asarray(np.float32(-0.5)), "hi": np.asarray(np.float32(0.5))}), False),
        "sigmoid": (_one("Sigmoid", x4), False),
        "hardswish": (_one("HardSwish", x4, opset=14), False),
        "maxpool": (_one("MaxPool", x4, kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]), True),
        "maxpool_ceil_dil": (_one("MaxPool", x4, kernel_shape=[2, 2], dilations=[2, 2], ceil_mode=1), False),
        "avgpool": (_one("AveragePool", x4, kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                         count_include_pad=1), True),
        "avgpool_excl": (_one("AveragePool", x4, kernel_shape=[2, 3], pads=[1, 0, 1, 2]), True),
        "gap": (_one("GlobalAveragePool", x4), True),
        "softmax": (_one("Softmax", {"x": (2, 3, 5)}, axis=-1), False),
        "concat": (_graph([helper.make_node("Concat", ["x", "z"], ["y"], axis=1)],
                          {"x": (1, 2, 3, 3), "z": (1, 4, 3, 3)}, {}, ["y"]), True),
        "reshape": (_one("Reshape", {"x": (2, 6)}, {"s": np.array([3, 4], np.int64)}), True),
        "slice": (_one("Slice", {"x": (2, 8, 6)}, {"st": np.array([1, 2], np.int64), "en": np.array([7, 6], np.int64),
                                                   "ax": np.array([1, 2], np.int64), "sp": np.array([1, 1], np.int64)}),
                  True),
        "transpose": (_one("Transpose", {"x": (2, 3, 4)}, perm=[2, 0, 1]), False),
        "pad_reflect": (_one("Pad", {"x": (1, 2, 4, 4)}, {"p": np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64)},
                             mode="reflect"), False),
        "pad_constant": (_one("Pad", {"x": (1, 2, 3, 3)}, {"p": np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64),
                                                          "v": np.asarray(np.float32(0.5))}), False),
        "lrn": (_one("LRN", {"x": (1, 6, 4, 4)}, size=3, alpha=1e-3, beta=0.75, bias=1.0), False),
        "block": (_block(), True),
    }
    return m


INT8_IO = ("relu", "slice", "reshape", "concat", "maxpool", "add_same", "block")


def _calibration(model: sdkm.Model, n: int = 4) -> list[dict[str, np.ndarray]]:
    rng = _rng(123)
    return [{model.tensors[i].name: rng.standard_normal(model.tensors[i].shape).astype(np.float32)
             for i in model.inputs} for _ in range(n)]


def _int8_relu() -> sdkm.Model:
    m = sdkm.Model(name="relu_int8")
    q_in = sdkm.Quant(np.array([0.05], np.float32), np.array([-3], np.int32))
    q_out = sdkm.Quant(np.array([0.04], np.float32), np.array([-128], np.int32))
    x = m.add_tensor(sdkm.Tensor("x", 2, (2, 3, 40), quant=q_in))
    y = m.add_tensor(sdkm.Tensor("y", 2, (2, 3, 40), quant=q_out))
    m.nodes = [sdkm.Node("Relu", "relu", [x], [y])]
    m.inputs, m.outputs = [x], [y]
    return m


def normalize(data: bytes) -> bytes:
    """What the harness loads: the header's file size and CRC recomputed (a fuzzer input
    saved as a regression file then reproduces outside the harness too)."""
    if len(data) < 32:
        return data
    b = bytearray(data)
    struct.pack_into("<Q", b, 16, len(b))
    struct.pack_into("<I", b, 24, zlib.crc32(bytes(b[32:])))
    return bytes(b)


def with_config(data: bytes, cfg: int) -> bytes:
    """The file with the harness configuration in the header's reserved byte (CRC fixed)."""
    b = bytearray(data)
    b[28] = cfg
    return normalize(bytes(b))


def add_finding(crash: Path, name: str) -> Path:
    """Saves a fuzzer finding as tests/data/fuzz/<name>.sdkm (normalized), the regression
    input tests/test_fuzz.py replays in the normal and the sanitizer builds."""
    dest = ROOT / "tests" / "data" / "fuzz" / f"{name}.sdkm"
    dest.write_bytes(normalize(crash.read_bytes()))
    return dest


def _models(large: bool) -> dict[str, Callable[[], sdkm.Model]]:
    from sdkbuild.convert.quantize import quantize_model

    out: dict[str, Callable[[], sdkm.Model]] = {}

    def fp32(proto: onnx.ModelProto) -> Callable[[], sdkm.Model]:
        return lambda: convert_model(proto)

    def int8(proto: onnx.ModelProto, io: bool = False) -> Callable[[], sdkm.Model]:
        def make() -> sdkm.Model:
            m = convert_model(proto)
            return quantize_model(m, _calibration(m), int8_io=io)
        return make

    for name, (proto, q) in op_models().items():
        out[f"op_{name}_fp32"] = fp32(proto)
        if q:
            out[f"op_{name}_int8"] = int8(proto)
        if name in INT8_IO:  # int8 graph inputs: the ops that follow their input's dtype run in int8
            out[f"op_{name}_int8io"] = int8(proto, io=True)
    out["op_relu_int8_handmade"] = _int8_relu  # the quantizer leaves a lone Relu in fp32
    for name, proto in family_c_models().items():
        out[f"op_{name}"] = fp32(proto)
    # x * Sigmoid(x): the converter makes it one Swish (SiLU) op
    swish = [helper.make_node("Sigmoid", ["x"], ["s"]), helper.make_node("Mul", ["x", "s"], ["y"])]
    out["op_swish_fp32"] = fp32(_graph(swish, {"x": (1, 3, 5, 5)}, {}, ["y"]))
    for op in ("IsNaN", "IsInf"):  # float -> bool
        out[f"op_{op.lower()}_fp32"] = fp32(_graph([helper.make_node(op, ["x"], ["y"])], {"x": (2, 7)}, {}, ["y"]))
    cumsum = [helper.make_node("CumSum", ["x", "axis"], ["y"], exclusive=1)]
    out["op_cumsum_fp32"] = fp32(_graph(cumsum, {"x": (2, 3, 4)}, {"axis": np.array(1, np.int64)}, ["y"], 14))

    def coded(bits: int, sections: bool) -> Callable[[], sdkm.Model]:
        def make() -> sdkm.Model:  # rANS-coded constants (and sections): the decoder under fuzz
            from sdkbuild.convert import compress

            m = convert_model(onnx.load(str(ROOT / "examples" / "models" / "digits_cnn.onnx")))
            q = quantize_model(m, _calibration(m), weight_bits=bits)
            compress.mark_coded(q)
            q.code_sections = sections
            return q
        return make

    # every other engine op (the element-wise and data-movement families): one of ONNX's node
    # test cases that converts to a graph using it
    for name, model in conformance_models(set().union(*(_ops_of(make) for make in out.values()))).items():
        out[f"conf_{name}"] = (lambda m: lambda: m)(model)

    def sparse_weights() -> sdkm.Model:  # sparse constants (.sdkm 1.3): the payload checks under fuzz
        from test_sparse import _mlp_conv_model

        from sdkbuild.convert import compress

        m = convert_model(_mlp_conv_model(0.9, seed=11))
        compress.mark_sparse(m)
        return m

    out["sparse_weights_fp32"] = sparse_weights
    out["example_digits_cnn_int4_coded"] = coded(4, False)
    out["example_digits_cnn_int8_coded_sections"] = coded(8, True)
    examples = ["digits_cnn"] + (["mobilenetv2_224"] if large else [])
    for ex in examples:
        proto = onnx.load(str(ROOT / "examples" / "models" / f"{ex}.onnx"))
        out[f"example_{ex}_fp32"] = fp32(proto)
        out[f"example_{ex}_int8"] = int8(proto)
    return out


def _ops_of(make: Callable[[], sdkm.Model]) -> set[str]:
    return set(make().ops_used())


def conformance_models(covered: set[str]) -> dict[str, sdkm.Model]:
    """For each engine op no hand-made seed uses, the first of ONNX's node test cases
    (tests/conformance.py) that converts to a graph using it, keyed by that op."""
    import warnings

    from conformance import _freeze, cases

    from sdkbuild.convert.registry import engine_ops
    from sdkbuild.errors import SdkbuildError

    wanted = {op for op in engine_ops() if op not in covered}
    out: dict[str, sdkm.Model] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for tcs in cases().values():
            for tc in tcs:
                if not wanted or not tc.data_sets:
                    continue
                model = tc.model
                inits = {i.name for i in model.graph.initializer}
                real = [vi for vi in model.graph.input if vi.name not in inits]
                feeds = tc.data_sets[0][0]
                if len(feeds) != len(real) or not all(isinstance(a, np.ndarray) and a.size for a in feeds):
                    continue
                try:
                    m = convert_model(model, input_shapes={vi.name: tuple(a.shape) for vi, a in zip(real, feeds, strict=True)})
                except (SdkbuildError, ValueError, KeyError):
                    if len(feeds) < 2:
                        continue
                    try:  # the inputs after the first as constants (axes, K, sizes), as the conformance run does
                        model, frozen = _freeze(model, list(feeds))
                        m = convert_model(model, input_shapes={model.graph.input[0].name: tuple(frozen[0].shape)})
                    except (SdkbuildError, ValueError, KeyError):
                        continue
                for op in sorted(set(m.ops_used()) & wanted):
                    out[op.lower()] = m
                    wanted.discard(op)
    return out


def write_seeds(folder: Path, *, large: bool = False, configs: dict[str, int] | None = None) -> list[Path]:
    """Writes every seed in every configuration into `folder`; returns the files."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in _models(large).items():
        data = sdkm.encode(make())
        for cname, cfg in (configs or CONFIGS).items():
            if name.startswith("example_mobilenet") and cname != "best":
                continue  # one run each: a MobileNetV2 run under ASan takes seconds
            p = folder / f"{name}.{cname}.sdkm"
            p.write_bytes(with_config(data, cfg))
            written.append(p)
    return written


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if "--add-finding" in sys.argv and len(args) == 2:
        print(add_finding(Path(args[0]), args[1]))
    elif len(args) == 1 and "--add-finding" not in sys.argv:
        files = write_seeds(Path(args[0]), large="--large" in sys.argv)
        print(f"{len(files)} seeds in {args[0]}")
    else:
        sys.exit("usage: python tests/fuzz_seeds.py OUT_DIR [--large]\n"
                 "       python tests/fuzz_seeds.py --add-finding CRASH_FILE NAME")
