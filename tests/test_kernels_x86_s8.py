"""The x86 AVX2 int8 conv paths (kernels/x86/conv_s8.cpp: the pixel-lane GEMM for
pointwise and im2col convs, the padded-plane 3x3 and 5x5 depthwise) against the numpy reference
and the portable tier (SDK_INT8_GEMM=ref; =avx2 too, which on a VNNI CPU checks the plain
AVX2 kernels against the VNNI ones), on shapes that hit their edges: pixel counts
that are not whole 16-pixel panels, row counts that are not whole 4-row tiles, odd K,
groups, strides, asymmetric pads, fused clamps, multipliers >= 1 (the general requant
path). On other hosts (or CPUs without AVX2) both runs take the portable path and the
test still checks it against the reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sdkbuild import sdkm
from sdkbuild.convert import quantize as Q


@pytest.fixture(scope="module")
def engine_lib() -> Path:
    from sdkbuild import runtime

    return runtime.build_dev_engine()


def _conv_model(C: int, OC: int, H: int, W: int, k: int, stride: int | tuple[int, int], pads: list[int],  # noqa: N803
                group: int, act: int, seed: int, dilation: int = 1) -> sdkm.Model:
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    rng = np.random.default_rng(seed)
    m = sdkm.Model(name="conv")
    x = m.add_tensor(sdkm.Tensor("input", 1, (1, C, H, W), None))
    w = m.add_tensor(sdkm.Tensor("w", 1, (OC, C // group, k, k),
                                 rng.normal(0, 0.4, (OC, C // group, k, k)).astype(np.float32)))
    b = m.add_tensor(sdkm.Tensor("b", 1, (OC,), rng.normal(0, 0.2, OC).astype(np.float32)))
    oh = (H + pads[0] + pads[2] - dilation * (k - 1) - 1) // sh + 1
    ow = (W + pads[1] + pads[3] - dilation * (k - 1) - 1) // sw + 1
    y = m.add_tensor(sdkm.Tensor("output", 1, (1, OC, oh, ow), None))
    attrs: dict = {"pads": pads, "strides": [sh, sw], "group": [group], "kernel_shape": [k, k],
                   "activation": [act]}
    if dilation != 1:
        attrs["dilations"] = [dilation, dilation]
    frozen: frozenset = frozenset()
    if act == 2:
        attrs["activation_params"] = [0.0, 6.0]
        frozen = frozenset({"activation_params"})
    m.nodes.append(sdkm.Node("Conv", "conv", [x, w, b], [y], attrs, frozen))
    m.inputs, m.outputs = [x], [y]
    return m


CASES = [
    # C, OC, H, W, k, stride, pads, group, act
    (16, 8, 12, 12, 1, 1, [0, 0, 0, 0], 1, 0),  # pointwise, 144 pixels = 9 panels
    (7, 13, 5, 7, 1, 1, [0, 0, 0, 0], 1, 1),  # odd K, rows not a multiple of 4, 35 pixels (tail panel)
    (24, 40, 7, 7, 1, 1, [0, 0, 0, 0], 1, 2),  # 49 pixels, Relu6
    (480, 20, 3, 5, 1, 1, [0, 0, 0, 0], 1, 0),  # long K: tiles of few panels
    (64, 21, 10, 10, 3, 1, [1, 1, 1, 1], 1, 1),  # K = 576: ZMM tiles of 4 panels, then 3 (the last partial)
    (16, 32, 28, 28, 1, 1, [0, 0, 0, 0], 1, 0),  # 784 pixels: 2 threads take 4 tiles of 208 (not 256 x 3 + 16)
    (64, 12, 14, 14, 3, 1, [1, 1, 1, 1], 1, 2),  # 196 pixels, K = 576: 2 threads take 5 tiles of 48
    # the one-pass im2col from padded planes: panels over 2-4 output rows, dilation, strides
    (16, 8, 5, 5, 3, 1, [1, 1, 1, 1], 1, 0),  # 5 wide: a panel spans 4 output rows
    (8, 12, 13, 17, 3, 1, [2, 2, 2, 2], 1, 2, 2),  # dilation 2
    (12, 8, 15, 19, 3, (2, 1), [1, 0, 1, 2], 1, 1),  # strides (2, 1), asymmetric pads
    (12, 8, 15, 19, 3, (1, 2), [0, 1, 2, 1], 1, 0),  # strides (1, 2)
    (6, 8, 16, 20, 3, 3, [1, 1, 1, 1], 1, 0),  # stride 3: the two-pass im2col
    (3, 16, 23, 21, 3, 2, [1, 1, 1, 1], 1, 2),  # the stem: im2col, K = 27
    (3, 8, 9, 70, 3, 2, [1, 1, 1, 1], 1, 0),  # stem-like, 35 wide: vector stride-2 im2col rows
    (8, 12, 9, 10, 3, 1, [0, 1, 2, 0], 2, 0),  # groups, asymmetric pads
    (16, 24, 11, 11, 1, 2, [0, 0, 0, 0], 1, 1),  # 1x1 stride 2: im2col path
    (6, 6, 37, 35, 3, 1, [1, 1, 1, 1], 6, 1),  # depthwise 3x3 s1, row tails
    (6, 6, 36, 33, 3, 2, [1, 1, 1, 1], 6, 2),  # depthwise 3x3 s2
    (4, 4, 9, 16, 3, 2, [0, 1, 2, 0], 4, 0),  # depthwise s2, asymmetric pads
    (5, 5, 7, 7, 3, 1, [1, 1, 1, 1], 5, 0),  # depthwise 7x7 plane: partial blocks, VNNI: two rows each, odd OH
    (4, 4, 6, 16, 3, 1, [1, 1, 1, 1], 4, 1),  # depthwise, 16 wide: VNNI two-row blocks, even OH
    (3, 3, 20, 70, 3, 2, [1, 0, 0, 1], 3, 1),  # depthwise s2, 35 wide: VNNI blocks of 32 + a tail
    (2, 2, 5, 64, 3, 1, [0, 1, 1, 1], 2, 2),  # depthwise s1, exactly two VNNI blocks per row
    (5, 5, 14, 14, 5, 1, [2, 2, 2, 2], 5, 0),  # depthwise 5x5 s1, 14 wide: VNNI two-row blocks
    (3, 3, 23, 75, 5, 2, [2, 1, 1, 2], 3, 1),  # depthwise 5x5 s2, 37 wide: VNNI blocks of 32 + a tail
    (4, 4, 20, 20, 5, 1, [4, 4, 4, 4], 4, 0, 2),  # depthwise 5x5 dilation 2 (LR-ASPP's last stage)
    (6, 6, 9, 11, 1, 1, [0, 0, 0, 0], 6, 1),  # depthwise 1x1 (a per-channel affine map): 99 = 6 x 16 + 3
    (5, 5, 4, 8, 1, 1, [0, 0, 0, 0], 5, 2),  # depthwise 1x1, 32 per plane, Relu6
    (3, 3, 11, 37, 3, 1, [2, 1, 2, 3], 3, 1, 2),  # depthwise 3x3 dilation 2, asymmetric pads
    (3, 3, 17, 19, 5, 2, [4, 4, 3, 4], 3, 2, 2),  # depthwise 5x5 dilation 2, stride 2
]


@pytest.mark.parametrize("case", CASES, ids=[f"c{c[0]}-oc{c[1]}-{c[2]}x{c[3]}-k{c[4]}s{c[5]}-g{c[7]}"
                                              + (f"-d{c[9]}" if len(c) > 9 else "") for c in CASES])
@pytest.mark.parametrize("boost", [False, True])
def test_x86_int8_conv_bit_exact(engine_lib: Path, tmp_path: Path, monkeypatch, case: tuple, boost: bool) -> None:
    from sdkbuild import runtime

    C, OC, H, W, k, stride, pads, group, act = case[:9]
    m = _conv_model(C, OC, H, W, k, stride, pads, group, act, seed=C * 31 + OC, dilation=case[9] if len(case) > 9 else 1)
    rng = np.random.default_rng(H * W)
    qm = Q.quantize_model(m, [{"input": rng.normal(0, 1, (1, C, H, W)).astype(np.float32)} for _ in range(4)],
                          int8_io=True)
    if boost:
        # a tiny output scale: real multipliers >= 1 (positive shifts), outputs mostly clamped
        y = qm.tensors[qm.outputs[0]]
        y.quant.scales[0] = float(np.float32(y.quant.scales[0] / 4096.0))
    sdkm.write(qm, tmp_path / "c.sdkm")
    xs = [rng.integers(-128, 128, (1, C, H, W), dtype=np.int8), np.full((1, C, H, W), -128, np.int8),
          np.full((1, C, H, W), 127, np.int8)]
    want = [Q.simulate(qm, {"input": x})["output"] for x in xs]
    got: dict[str, list[np.ndarray]] = {}
    for kernel in ("", "avx2", "ref"):  # the best kernels for this CPU (x86: VNNI if any), AVX2, portable
        monkeypatch.setenv("SDK_INT8_GEMM", kernel)
        with runtime.Engine(engine_lib) as eng:
            model = eng.load(tmp_path / "c.sdkm")
            for threads in (1, 2):
                sess = model.session(threads)
                got[kernel] = [sess.run({"input": x})["output"] for x in xs]
                sess.close()
                for g, w in zip(got[kernel], want, strict=True):
                    assert g.dtype == w.dtype and np.array_equal(g, w), (kernel, threads)
            model.close()


@pytest.mark.parametrize("shape,act", [((1, 3, 7, 9), 0), ((1, 16, 8, 8), 1), ((1, 5, 1, 3), 2)])
def test_x86_int8_add_bit_exact(engine_lib: Path, tmp_path: Path, monkeypatch, shape: tuple, act: int) -> None:
    """The int8 Add (16-element steps on ZMM where AVX-512 exists, =avx2: on YMM; portable tail)
    vs the reference and the ref tier."""
    from sdkbuild import runtime

    m = sdkm.Model(name="add")
    a = m.add_tensor(sdkm.Tensor("a", 1, shape, None))
    b = m.add_tensor(sdkm.Tensor("b", 1, shape, None))
    y = m.add_tensor(sdkm.Tensor("output", 1, shape, None))
    attrs: dict = {"activation": [act]}
    frozen: frozenset = frozenset()
    if act == 2:
        attrs["activation_params"] = [-1.0, 2.0]
        frozen = frozenset({"activation_params"})
    m.nodes.append(sdkm.Node("Add", "add", [a, b], [y], attrs, frozen))
    m.inputs, m.outputs = [a, b], [y]
    rng = np.random.default_rng(len(shape) + shape[1])
    feeds = [{"a": rng.normal(0, 1, shape).astype(np.float32), "b": rng.normal(0.5, 3, shape).astype(np.float32)}
             for _ in range(4)]
    qm = Q.quantize_model(m, feeds, int8_io=True)
    sdkm.write(qm, tmp_path / "a.sdkm")
    xs = [{"a": rng.integers(-128, 128, shape, dtype=np.int8), "b": rng.integers(-128, 128, shape, dtype=np.int8)},
          {"a": np.full(shape, -128, np.int8), "b": np.full(shape, -128, np.int8)},
          {"a": np.full(shape, 127, np.int8), "b": np.full(shape, 127, np.int8)}]
    for kernel in ("", "avx2", "ref"):
        monkeypatch.setenv("SDK_INT8_GEMM", kernel)
        with runtime.Engine(engine_lib) as eng:
            model = eng.load(tmp_path / "a.sdkm")
            sess = model.session(1)
            for x in xs:
                got, want = sess.run(x)["output"], Q.simulate(qm, x)["output"]
                assert got.dtype == want.dtype and np.array_equal(got, want), kernel
            sess.close()
            model.close()


def test_x86_quantize_linear_bit_exact(engine_lib: Path, tmp_path: Path) -> None:
    """The AVX2 QuantizeLinear in front of an int8 conv: ties (round half to even),
    infinities and huge values against the reference (which leaves NaN undefined)."""
    from sdkbuild import runtime

    shape = (1, 4, 5, 7)  # 140 values: 8 vector steps and a scalar tail
    m = _conv_model(4, 8, 5, 7, 1, 1, [0, 0, 0, 0], 1, 0, seed=5)
    rng = np.random.default_rng(7)
    qm = Q.quantize_model(m, [{"input": rng.normal(0, 1, shape).astype(np.float32)} for _ in range(4)])
    sdkm.write(qm, tmp_path / "q.sdkm")
    s = float(next(t.quant.scales[0] for t in qm.tensors if t.name == "input:q"))
    x = (np.arange(np.prod(shape), dtype=np.float32) - 70.0) * np.float32(s / 2)  # every half step: ties
    x[[4, 51]] = np.inf
    x[[5, 52]] = -np.inf
    x[[6, 53]] = np.float32(3e9)
    x[[7, 137]] = np.float32(-3e9)
    x = x.reshape(shape)
    with runtime.Engine(engine_lib) as eng:
        model = eng.load(tmp_path / "q.sdkm")
        sess = model.session(1)
        got, want = sess.run({"input": x})["output"], Q.simulate(qm, {"input": x})["output"]
        assert np.array_equal(got, want)
        sess.close()
        model.close()


def test_x86_int8_conv_ymm_vnni_rows() -> None:
    """The conv cases again with SDK_INT8_ZMM=0 (the VNNI rows on YMM registers; the choice is
    read once per process, so in a child pytest)."""
    import os
    import subprocess
    import sys

    if os.environ.get("SDK_INT8_ZMM") == "0":
        pytest.skip("already the child run")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                        f"{__file__}::test_x86_int8_conv_bit_exact"],
                       env=dict(os.environ, SDK_INT8_ZMM="0"), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]


@pytest.mark.parametrize("mode", ["linear", "cubic"])
def test_x86_int8_resize_bit_exact(engine_lib: Path, tmp_path: Path, monkeypatch, mode: str) -> None:
    """The AVX2 int8 Resize row blend (kernels/x86/resize_s8.cpp; 16 outputs per step and a
    tail: 37 wide) vs quantize.simulate and the portable tier."""
    import onnx
    from onnx import helper, numpy_helper

    from sdkbuild import runtime
    from sdkbuild.convert import convert_model

    rng = np.random.default_rng(3)
    inits = [numpy_helper.from_array((rng.standard_normal((5, 3, 3, 3)) * 0.3).astype(np.float32), "w1"),
             numpy_helper.from_array((rng.standard_normal((4, 5, 1, 1)) * 0.3).astype(np.float32), "w2"),
             numpy_helper.from_array(np.asarray([], np.float32), "roi"),
             numpy_helper.from_array(np.asarray([], np.float32), "scales"),
             numpy_helper.from_array(np.asarray([1, 5, 29, 37], np.int64), "sizes")]
    nodes = [helper.make_node("Conv", ["x", "w1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("Resize", ["r1", "roi", "scales", "sizes"], ["up"], mode=mode,
                              coordinate_transformation_mode="half_pixel"),
             helper.make_node("Conv", ["up", "w2"], ["y"])]
    g = helper.make_graph(nodes, "seg", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 3, 11, 13])],
                          [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)], inits)
    qm = Q.quantize_model(convert_model(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])),
                          [{"x": rng.standard_normal((1, 3, 11, 13)).astype(np.float32)} for _ in range(4)])
    assert any(n.op == "Resize" and qm.tensors[n.inputs[0]].dtype == 2 for n in qm.nodes)
    sdkm.write(qm, tmp_path / "r.sdkm")
    feeds = {"x": rng.standard_normal((1, 3, 11, 13)).astype(np.float32)}
    want = Q.simulate(qm, feeds)["y"]
    for kernel in ("", "ref"):
        monkeypatch.setenv("SDK_INT8_GEMM", kernel)
        with runtime.Engine(engine_lib) as eng:
            model = eng.load(tmp_path / "r.sdkm")
            for threads in (1, 2):
                sess = model.session(threads)
                np.testing.assert_array_equal(sess.run(feeds)["y"], want, err_msg=f"{kernel!r}, {threads} threads")
                sess.close()
            model.close()
