"""Int8 post-training quantization: scheme, graph rewrite, calibration data, accuracy."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sdkbuild import sdkm
from sdkbuild.convert import calibration as cal
from sdkbuild.convert import quantize as Q
from sdkbuild.errors import SdkbuildError


def small_model(seed: int = 0) -> sdkm.Model:
    rng = np.random.default_rng(seed)
    m = sdkm.Model(name="small")

    def T(name: str, shape: tuple[int, ...], data: np.ndarray | None = None) -> int:  # noqa: N802
        arr = None if data is None else data.astype(np.float32)
        return m.add_tensor(sdkm.Tensor(name, 1, tuple(shape), arr))

    x = T("input", (1, 3, 16, 16))
    w1 = T("w1", (8, 3, 3, 3), rng.normal(0, 0.3, (8, 3, 3, 3)))
    b1 = T("b1", (8,), rng.normal(0, 0.1, 8))
    c1 = T("c1", (1, 8, 16, 16))
    m.nodes.append(sdkm.Node("Conv", "conv1", [x, w1, b1], [c1], {"pads": [1, 1, 1, 1], "activation": [1]}))
    p1 = T("p1", (1, 8, 8, 8))
    m.nodes.append(sdkm.Node("MaxPool", "pool1", [c1], [p1], {"kernel_shape": [2, 2], "strides": [2, 2]}))
    w2 = T("w2", (8, 1, 3, 3), rng.normal(0, 0.3, (8, 1, 3, 3)))
    b2 = T("b2", (8,), rng.normal(0, 0.1, 8))
    c2 = T("c2", (1, 8, 8, 8))
    m.nodes.append(sdkm.Node("Conv", "dw", [p1, w2, b2], [c2], {"pads": [1, 1, 1, 1], "group": [8], "activation": [2], "activation_params": [0.0, 6.0]}, frozenset({"activation_params"})))
    a = T("a", (1, 8, 8, 8))
    m.nodes.append(sdkm.Node("Add", "add", [c2, p1], [a], {}))
    ap = T("ap", (1, 8, 4, 4))
    m.nodes.append(sdkm.Node("AveragePool", "avg", [a], [ap], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}))
    cat = T("cat", (1, 16, 4, 4))
    ap2 = T("ap2", (1, 8, 4, 4))
    m.nodes.append(sdkm.Node("MaxPool", "mp2", [a], [ap2], {"kernel_shape": [2, 2], "strides": [2, 2]}))
    m.nodes.append(sdkm.Node("Concat", "cat", [ap, ap2], [cat], {"axis": [1]}))
    g = T("g", (1, 16, 1, 1))
    m.nodes.append(sdkm.Node("GlobalAveragePool", "gap", [cat], [g], {}))
    r = T("r", (1, 16))
    m.nodes.append(sdkm.Node("Reshape", "flat", [g], [r], {"shape": [1, 16]}))
    wf = T("wf", (10, 16), rng.normal(0, 0.5, (10, 16)))
    bf = T("bf", (10,), rng.normal(0, 0.1, 10))
    fc = T("fc", (1, 10))
    m.nodes.append(sdkm.Node("Gemm", "fc", [r, wf, bf], [fc], {"transB": [1]}))
    y = T("output", (1, 10))
    m.nodes.append(sdkm.Node("Softmax", "sm", [fc], [y], {"axis": [1]}))
    m.inputs, m.outputs = [x], [y]
    return m


def _samples(n: int, seed: int = 1) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [{"input": rng.normal(0, 1, (1, 3, 16, 16)).astype(np.float32)} for _ in range(n)]


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_quantize_multiplier_matches_real_value():
    for real in [1e-6, 0.0012345, 0.25, 0.5, 0.999999, 1.0, 3.75, 1000.0]:
        m, s = Q.quantize_multiplier(real)
        assert 2**30 <= m < 2**31
        assert math.isclose(m * 2.0 ** (s - 31), real, rel_tol=2**-30)
    assert Q.quantize_multiplier(0.0) == (0, 0)


def test_mbqm_single_rounding_half_up():
    m, s = Q.quantize_multiplier(0.5)
    assert Q.mbqm(np.array([3, -3, 5, -5, 4]), m, s).tolist() == [2, -1, 3, -2, 2]
    m, s = Q.quantize_multiplier(0.1)
    x = np.arange(-1000, 1000)
    assert np.abs(Q.mbqm(x, m, s) - x * 0.1).max() <= 0.5 + 1e-9


def test_weight_and_activation_params():
    w = np.array([[1.0, -2.0], [0.0, 0.0], [0.5, 0.25]], np.float32)
    q, wq = Q.weight_quant(w, 0)
    assert q.dtype == np.int8 and q.min() >= -127 and q[0].tolist() == [64, -127]
    assert wq.axis == 0 and wq.zero_points.tolist() == [0, 0, 0] and wq.scales[1] == 1.0
    aq = Q.activation_quant(0.5, 6.0)  # widened to include 0
    assert aq.zero_points[0] == -128 and np.isclose(aq.scales[0], 6.0 / 255)
    aq = Q.activation_quant(-1.0, 1.0)
    assert aq.zero_points[0] in (0, -1) and aq.axis == -1


def test_rewrite_structure_and_roundtrip():
    qm = Q.quantize_model(small_model(), _samples(8))
    ops = [n.op for n in qm.nodes]
    assert ops[0] == "QuantizeLinear" and ops[-2:] == ["DequantizeLinear", "Softmax"]
    by_name = {t.name: t for t in qm.tensors}
    assert by_name["input"].dtype == Q.F32 and by_name["output"].dtype == Q.F32
    w1, b1 = by_name["w1"], by_name["b1"]
    assert w1.dtype == Q.I8 and w1.quant.axis == 0 and w1.quant.scales.size == 8
    assert b1.dtype == Q.I32 and np.allclose(b1.quant.scales, by_name["input:q"].quant.scales[0] * w1.quant.scales)
    # pools and Reshape keep the input's quantization
    for a, b in [("c1", "p1"), ("g", "r")]:
        assert by_name[a].quant.scales[0] == by_name[b].quant.scales[0]
    back = sdkm.decode(sdkm.encode(qm))
    assert [n.op for n in back.nodes] == ops
    assert back.meta["quantization"] == "int8" and "i8" in back.meta["dtypes"]


def test_int8_io_keeps_names():
    qm = Q.quantize_model(small_model(), _samples(4), int8_io=True)
    ins = [qm.tensors[i] for i in qm.inputs]
    outs = [qm.tensors[i] for i in qm.outputs]
    assert [t.name for t in ins] == ["input"] and ins[0].dtype == Q.I8 and ins[0].quant is not None
    assert [t.name for t in outs] == ["output"] and outs[0].dtype == Q.I8
    assert qm.nodes[0].op == "Conv"  # no QuantizeLinear at the front


def test_simulated_int8_close_to_fp32():
    m = small_model()
    qm = Q.quantize_model(m, _samples(16))
    test = _samples(4, seed=7)
    ref = list(cal.run_onnx(cal.to_onnx(m, record_all=False), test))
    for s, r in zip(test, ref, strict=True):
        out = Q.simulate(qm, s)["output"]
        assert _cos(out, r["output"]) > 0.99


def _bn_chain_model(seed: int = 0, fork: bool = False) -> sdkm.Model:
    """Concat -> BatchNorm as Mul/Add -> Caffe Scale (Mul/Add, Relu fused) -> 1x1 Conv, DenseNet's
    pre-activation block; `fork`: the first Mul's output also feeds the graph output."""
    rng = np.random.default_rng(seed)
    m = sdkm.Model(name="bnchain")

    def T(name: str, shape: tuple[int, ...], data: np.ndarray | None = None) -> int:  # noqa: N802
        return m.add_tensor(sdkm.Tensor(name, 1, tuple(shape), None if data is None else data.astype(np.float32)))

    x = T("input", (1, 6, 9, 9))
    w0 = T("w0", (6, 6, 3, 3), rng.normal(0, 0.3, (6, 6, 3, 3)))
    c0 = T("c0", (1, 6, 9, 9))
    m.nodes.append(sdkm.Node("Conv", "conv0", [x, w0], [c0], {"pads": [1, 1, 1, 1]}))
    cat = T("cat", (1, 12, 9, 9))
    m.nodes.append(sdkm.Node("Concat", "cat", [x, c0], [cat], {"axis": [1]}))
    prev, ops = cat, []
    for k, (op, shape) in enumerate([("Mul", (12, 1, 1)), ("Add", (12, 1, 1)), ("Mul", (1, 12, 1, 1)), ("Add", (1,))]):
        c = T(f"k{k}", shape, rng.normal(0.5 if op == "Mul" else 0.0, 0.4, shape))
        y = T(f"t{k}", (1, 12, 9, 9))
        ops.append(sdkm.Node(op, f"{op.lower()}{k}", [prev, c] if k != 1 else [c, prev], [y],
                             {"activation": [1]} if k == 3 else {}))
        prev = y
    m.nodes += ops
    w1 = T("w1", (8, 12, 1, 1), rng.normal(0, 0.3, (8, 12, 1, 1)))
    y = T("output", (1, 8, 9, 9))
    m.nodes.append(sdkm.Node("Conv", "conv1", [prev, w1], [y], {}))
    m.inputs, m.outputs = [x], [y]
    if fork:
        m.outputs.append(ops[0].outputs[0])
    return m


def test_affine_chain_becomes_one_int8_depthwise_conv():
    """DenseNet's BatchNorm + Scale between a Concat and a 1x1 Conv: one depthwise 1x1 Conv
    with the Relu (no float island in the int8 model), the same fp32 function, and int8
    outputs at least as close to fp32 as before; not where an intermediate has another use."""
    m = _bn_chain_model()
    rw, n = Q.affine_chains_to_depthwise(m)
    assert n == 1 and [x.op for x in rw.nodes] == ["Conv", "Concat", "Conv", "Conv"]
    dw = rw.nodes[2]
    assert dw.attrs["group"] == [12] and dw.attrs["activation"] == [1] and rw.tensors[dw.inputs[1]].shape == (12, 1, 1, 1)
    rng = np.random.default_rng(7)
    test = [{"input": rng.normal(0, 1, (1, 6, 9, 9)).astype(np.float32)} for _ in range(4)]
    want = list(cal.run_onnx(cal.to_onnx(m, record_all=False), test))
    got = list(cal.run_onnx(cal.to_onnx(rw, record_all=False), test))
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g["output"], w["output"], rtol=1e-5, atol=1e-5)
    qm = Q.quantize_model(m, test)
    assert [x.op for x in qm.nodes if qm.tensors[x.outputs[0]].dtype == 1] == ["DequantizeLinear"]
    for s, r in zip(test, want, strict=True):
        assert _cos(Q.simulate(qm, s)["output"], r["output"]) > 0.995
    forked, n = Q.affine_chains_to_depthwise(_bn_chain_model(fork=True))
    assert n == 1 and [x.op for x in forked.nodes] == ["Conv", "Concat", "Mul", "Conv", "Conv"]  # the 3 after the fork


def test_percentile_narrows_ranges():
    m = small_model()
    full = cal.collect_ranges(m, _samples(4), method="minmax")
    pct = cal.collect_ranges(m, _samples(4), percentile=99.0)
    assert pct["c1"][1] < full["c1"][1] and full["input"][0] < pct["input"][0] < pct["input"][1] < full["input"][1]
    with pytest.raises(SdkbuildError, match="percentile"):
        cal.collect_ranges(m, _samples(1), percentile=20.0)
    with pytest.raises(SdkbuildError, match="calibration method"):
        cal.collect_ranges(m, _samples(1), method="kl")


def _hist_error(values: np.ndarray, lo: float, hi: float) -> float:
    q = Q.activation_quant(lo, hi)
    s, z = float(q.scales[0]), int(q.zero_points[0])
    return float((((np.clip(np.rint(values / s) + z, -128, 127) - z) * s - values) ** 2).sum())


def test_mse_range_clips_rare_outliers_only():
    rng = np.random.default_rng(3)
    gauss = np.concatenate([rng.normal(0, 1, 1_000_000), [12.0, -10.0]])  # two outliers
    uniform = rng.uniform(-1, 3, 1_000_000)
    for values, clipped in ((gauss, True), (uniform, False)):
        lo, hi = float(values.min()), float(values.max())
        counts, edges = np.histogram(values, cal._BINS, (lo, hi))
        m_lo, m_hi = cal.mse_range((edges[:-1] + edges[1:]) / 2, counts.astype(np.float64), lo, hi)
        assert lo <= m_lo <= 0.0 <= m_hi <= hi
        if clipped:  # a much finer step for the bulk beats representing two outliers
            assert m_hi < hi / 2 and m_lo > lo / 2
            assert _hist_error(values, m_lo, m_hi) < 0.5 * _hist_error(values, lo, hi)
        else:  # nothing to gain from clipping a uniform distribution
            assert m_hi > 0.95 * hi and m_lo < 0.95 * lo
    relu = np.maximum(gauss, 0.0)  # a one-sided range keeps 0 as its low end
    counts, edges = np.histogram(relu, cal._BINS, (0.0, relu.max()))
    assert cal.mse_range((edges[:-1] + edges[1:]) / 2, counts.astype(np.float64), 0.0, float(relu.max()))[0] == 0.0


def test_default_method_is_mse_and_within_minmax():
    m = small_model()
    full = cal.collect_ranges(m, _samples(4), method="minmax")
    mse = cal.collect_ranges(m, _samples(4))
    assert mse == cal.collect_ranges(m, _samples(4), method="mse")
    assert set(mse) == set(full)
    for k, (lo, hi) in mse.items():
        assert min(full[k][0], 0.0) <= lo <= hi <= max(full[k][1], 0.0), k
    assert any(mse[k] != (min(full[k][0], 0.0), max(full[k][1], 0.0)) for k in mse)


def test_bias_correction_removes_mean_error_and_is_a_fixed_point():
    m = small_model()
    cal_set = _samples(16)
    qm = Q.quantize_model(m, cal_set)
    before = {t.name: np.asarray(t.data).copy() for t in qm.tensors if t.dtype == Q.I32}
    Q.correct_biases(m, qm, cal_set)
    after = {t.name: np.asarray(t.data).copy() for t in qm.tensors if t.dtype == Q.I32}
    assert any(not np.array_equal(before[k], after[k]) for k in before)
    Q.correct_biases(m, qm, cal_set)  # the corrected model has no significant mean error left
    assert all(np.array_equal(after[k], t.data) for t in qm.tensors if t.dtype == Q.I32 for k in [t.name])
    qb = Q.quantize_model(m, cal_set, bias_correction=True)
    assert all(np.array_equal(after[t.name], t.data) for t in qb.tensors if t.dtype == Q.I32)
    test = _samples(4, seed=7)
    for s, r in zip(test, cal.run_onnx(cal.to_onnx(m, record_all=False), test), strict=True):
        assert _cos(Q.simulate(qb, s)["output"], r["output"]) > 0.99


def test_calibration_files(tmp_path: Path):
    m = small_model()
    batch = np.stack([s["input"][0] for s in _samples(3)])  # [3, 3, 16, 16]: no batch-1 axis
    np.save(tmp_path / "batch.npy", batch)
    assert len(cal.load_samples(tmp_path / "batch.npy", m)) == 3
    d = tmp_path / "dir"
    d.mkdir()
    for i, s in enumerate(_samples(2)):
        np.save(d / f"{i}.npy", s["input"])
    np.savez(d / "more.npz", input=batch)
    assert len(cal.load_samples(d, m)) == 5
    np.save(tmp_path / "bad.npy", np.zeros((2, 5)))
    with pytest.raises(SdkbuildError, match="shape"):
        cal.load_samples(tmp_path / "bad.npy", m)
    np.savez(tmp_path / "wrong.npz", other=batch)
    with pytest.raises(SdkbuildError, match="no array for input 'input'"):
        cal.load_samples(tmp_path / "wrong.npz", m)
    with pytest.raises(SdkbuildError, match="does not exist"):
        Q.quantize_model(m, tmp_path / "missing")


def test_rejects_quantized_input():
    qm = Q.quantize_model(small_model(), _samples(2))
    with pytest.raises(SdkbuildError, match="not a plain fp32 model"):
        Q.quantize_model(qm, _samples(2))


# --------------------------------------------------------------------------- on the engine


def engine_model(C: int = 8, H: int = 10, seed: int = 0) -> sdkm.Model:  # noqa: N803
    """Strided conv+Relu, depthwise+Clip, 1x1 without bias, residual Add+Relu, Gemm."""
    rng = np.random.default_rng(seed)
    m = sdkm.Model(name="m")

    def T(name: str, shape: tuple[int, ...], data: np.ndarray | None = None) -> int:  # noqa: N802
        return m.add_tensor(sdkm.Tensor(name, 1, shape, None if data is None else data.astype(np.float32)))

    h = H // 2
    x = T("input", (1, 3, H, H))
    w1, b1 = T("w1", (C, 3, 3, 3), rng.normal(0, 0.3, (C, 3, 3, 3))), T("b1", (C,), rng.normal(0, 0.1, C))
    c1 = T("c1", (1, C, h, h))
    m.nodes.append(sdkm.Node("Conv", "conv1", [x, w1, b1], [c1], {"pads": [1, 1, 1, 1], "strides": [2, 2],
                                                                  "activation": [1]}))
    w2, b2 = T("w2", (C, 1, 3, 3), rng.normal(0, 0.3, (C, 1, 3, 3))), T("b2", (C,), rng.normal(0, 0.1, C))
    c2 = T("c2", (1, C, h, h))
    m.nodes.append(sdkm.Node("Conv", "dw", [c1, w2, b2], [c2],
                             {"pads": [1, 1, 1, 1], "group": [C], "activation": [2], "activation_params": [0.0, 6.0]},
                             frozenset({"activation_params"})))
    w3 = T("w3", (C, C, 1, 1), rng.normal(0, 0.3, (C, C, 1, 1)))
    c3 = T("c3", (1, C, h, h))
    m.nodes.append(sdkm.Node("Conv", "pw", [c2, w3, -1], [c3], {}))
    a = T("a", (1, C, h, h))
    m.nodes.append(sdkm.Node("Add", "add", [c3, c1], [a], {"activation": [1]}))
    r = T("r", (1, C * h * h))
    m.nodes.append(sdkm.Node("Reshape", "flat", [a], [r], {"shape": [1, C * h * h]}))
    wf, bf = T("wf", (10, C * h * h), rng.normal(0, 0.2, (10, C * h * h))), T("bf", (10,), rng.normal(0, 0.1, 10))
    y = T("output", (1, 10))
    m.nodes.append(sdkm.Node("Gemm", "fc", [r, wf, bf], [y], {"transB": [1]}))
    m.inputs, m.outputs = [x], [y]
    return m


@pytest.fixture(scope="session")
def engine_lib() -> Path:
    from sdkbuild import runtime

    return runtime.build_dev_engine()


def _need_ops(lib: Path, model: sdkm.Model) -> None:
    from sdkbuild import runtime

    with runtime.Engine(lib) as eng:
        missing = sorted(set(model.ops_used()) - set(eng.ops))
    if missing:
        pytest.skip(f"engine has no {', '.join(missing)} op yet")


@pytest.mark.parametrize("C,H", [(8, 10), (24, 18), (16, 40)])
@pytest.mark.parametrize("int8_io", [False, True])
def test_engine_int8_bit_exact_vs_reference(engine_lib: Path, tmp_path: Path, monkeypatch, C: int, H: int,
                                            int8_io: bool) -> None:
    from sdkbuild import runtime

    m = engine_model(C, H)
    rng = np.random.default_rng(1)
    qm = Q.quantize_model(m, [{"input": rng.normal(0, 1, (1, 3, H, H)).astype(np.float32)} for _ in range(8)],
                          int8_io=int8_io)
    path = tmp_path / "q.sdkm"
    sdkm.write(qm, path)
    _need_ops(engine_lib, qm)
    qin = qm.tensors[qm.inputs[0]].quant
    for kernel in ("", "ref"):  # the best SIMD GEMM for this CPU, then the portable one
        monkeypatch.setenv("SDK_INT8_GEMM", kernel)
        with runtime.Engine(engine_lib) as eng:
            model = eng.load(path)
            for threads in (1, 2):
                sess = model.session(threads)
                for _ in range(3):
                    x = rng.normal(0, 1, (1, 3, H, H)).astype(np.float32)
                    if int8_io:
                        x = np.clip(np.rint(x / qin.scales[0]) + qin.zero_points[0], -128, 127).astype(np.int8)
                    got = sess.run({"input": x})["output"]
                    want = Q.simulate(qm, {"input": x})["output"]
                    assert got.dtype == want.dtype and np.array_equal(got, want), (kernel, threads)
                sess.close()
            model.close()


def _dw_model(C: int, W: int, k: int, stride: int, pad: int, dil: int, act: int) -> sdkm.Model:  # noqa: N803
    rng = np.random.default_rng(k * 7 + stride)
    m = sdkm.Model(name="dw")
    x = m.add_tensor(sdkm.Tensor("input", 1, (1, C, 9, W), None))
    w = m.add_tensor(sdkm.Tensor("w", 1, (C, 1, k, k), rng.normal(0, 0.4, (C, 1, k, k)).astype(np.float32)))
    b = m.add_tensor(sdkm.Tensor("b", 1, (C,), rng.normal(0, 0.2, C).astype(np.float32)))
    oh = (9 + 2 * pad - dil * (k - 1) - 1) // stride + 1
    ow = (W + 2 * pad - dil * (k - 1) - 1) // stride + 1
    y = m.add_tensor(sdkm.Tensor("output", 1, (1, C, oh, ow), None))
    attrs = {"pads": [pad] * 4, "strides": [stride, stride], "dilations": [dil, dil], "group": [C],
             "kernel_shape": [k, k], "activation": [act]}
    m.nodes.append(sdkm.Node("Conv", "dw", [x, w, b], [y], attrs))
    m.inputs, m.outputs = [x], [y]
    return m


@pytest.mark.parametrize("W,k,stride,pad,dil", [(40, 3, 1, 1, 1), (41, 3, 2, 1, 1), (14, 3, 2, 1, 1), (7, 3, 1, 1, 1),
                                                 (23, 5, 2, 2, 1), (30, 3, 1, 2, 2), (19, 3, 2, 0, 1), (5, 5, 1, 0, 1)])
def test_engine_int8_depthwise_bit_exact(engine_lib: Path, tmp_path: Path, monkeypatch, W: int, k: int, stride: int,
                                         pad: int, dil: int) -> None:
    """The int8 depthwise rows (8- and 4-output register blocks, scalar borders and tails;
    the portable loop and its AVX2 twin) against the numpy reference."""
    from sdkbuild import runtime

    C = 5
    m = _dw_model(C, W, k, stride, pad, dil, 1 if stride == 1 else 0)
    rng = np.random.default_rng(W)
    qm = Q.quantize_model(m, [{"input": rng.normal(0, 1, (1, C, 9, W)).astype(np.float32)} for _ in range(4)],
                          int8_io=True)
    sdkm.write(qm, tmp_path / "dw.sdkm")
    _need_ops(engine_lib, qm)
    for kernel in ("", "ref"):
        monkeypatch.setenv("SDK_INT8_GEMM", kernel)
        with runtime.Engine(engine_lib) as eng:
            model = eng.load(tmp_path / "dw.sdkm")
            sess = model.session(1)
            for x in (rng.integers(-128, 128, (1, C, 9, W), dtype=np.int8), np.full((1, C, 9, W), -128, np.int8),
                      np.full((1, C, 9, W), 127, np.int8)):
                got = sess.run({"input": x})["output"]
                assert np.array_equal(got, Q.simulate(qm, {"input": x})["output"]), kernel
            sess.close()
            model.close()


def test_engine_pools_concat_softmax_vs_reference(engine_lib: Path, tmp_path: Path) -> None:
    """MaxPool/AveragePool (shared quantization), Concat requantizing, GlobalAveragePool,
    Gemm, then an fp32 Softmax island: the engine matches the numpy reference."""
    from sdkbuild import runtime

    qm = Q.quantize_model(small_model(), _samples(8))
    sdkm.write(qm, tmp_path / "q.sdkm")
    _need_ops(engine_lib, qm)
    with runtime.Engine(engine_lib) as eng:
        model = eng.load(tmp_path / "q.sdkm")
        sess = model.session(2)
        for s in _samples(4, seed=3):
            np.testing.assert_allclose(sess.run(s)["output"], Q.simulate(qm, s)["output"], rtol=1e-5, atol=1e-7)
        sess.close()


@pytest.mark.parametrize("mutation", ["channel_count", "weight_zero_point", "activation_zero_point", "zero_scale",
                                      "fused_hardswish"])
def test_engine_rejects_bad_int8_models(engine_lib: Path, tmp_path: Path, mutation: str) -> None:
    """Inconsistent quantization in a .sdkm is a clean load error, never a crash."""
    from sdkbuild import runtime

    qm = Q.quantize_model(engine_model(), [{"input": np.ones((1, 3, 10, 10), np.float32)}])
    t = {x.name: x for x in qm.tensors}
    if mutation == "channel_count":
        t["w1"].quant = sdkm.Quant(t["w1"].quant.scales[:3], t["w1"].quant.zero_points[:3], 0)
    elif mutation == "weight_zero_point":
        t["w1"].quant = sdkm.Quant(t["w1"].quant.scales, t["w1"].quant.zero_points + 1, 0)
    elif mutation == "activation_zero_point":
        t["c1"].quant = sdkm.Quant(t["c1"].quant.scales, np.array([300], np.int32), -1)
    elif mutation == "zero_scale":
        t["c1"].quant = sdkm.Quant(np.array([0.0], np.float32), t["c1"].quant.zero_points, -1)
    else:
        next(n for n in qm.nodes if n.name == "conv1").attrs["activation"] = [3]
    sdkm.write(qm, tmp_path / "bad.sdkm")
    _need_ops(engine_lib, qm)
    with runtime.Engine(engine_lib) as eng, pytest.raises(runtime.EngineError) as e:
        eng.load(tmp_path / "bad.sdkm")
    msg = str(e.value)  # the loader or the op's prepare names the culprit
    assert any(k in msg for k in ("w1", "c1", "conv1", "quantization record")), msg


def _digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    return train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)


EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "models"


@pytest.mark.slow
def test_digits_int8_accuracy_matches_fp32(engine_lib: Path, tmp_path: Path) -> None:
    """The CLI path (convert --quantize int8 --calibration) on the trained digits CNN: int8
    held-out accuracy on the engine within 1 point of fp32 (both measured here)."""
    from click.testing import CliRunner

    from sdkbuild import runtime
    from sdkbuild.cli import cli

    xtr, xte, _, yte = _digits()
    np.save(tmp_path / "cal.npy", xtr[:200])
    out = {}
    for mode in ("fp32", "int8"):
        args = ["convert", str(EXAMPLES / "digits_cnn.onnx"), "-o", str(tmp_path / f"{mode}.sdkm")]
        if mode == "int8":
            args += ["--quantize", "int8", "--calibration", str(tmp_path / "cal.npy")]
        r = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert r.exit_code == 0, r.output
        _need_ops(engine_lib, sdkm.read(tmp_path / f"{mode}.sdkm"))
        with runtime.Engine(engine_lib) as eng:
            model = eng.load(tmp_path / f"{mode}.sdkm")
            sess = model.session(1)
            name = model.outputs[0].name
            out[mode] = np.array([sess.run({"input": xte[i : i + 1]})[name].argmax() for i in range(len(xte))])
            sess.close()
    acc = {k: float((v == yte).mean()) for k, v in out.items()}
    print(f"digits held-out accuracy: fp32 {acc['fp32']:.4f}, int8 {acc['int8']:.4f}, "
          f"agreement {(out['fp32'] == out['int8']).mean():.4f}")
    assert acc["fp32"] > 0.97
    assert acc["int8"] >= acc["fp32"] - 0.01


def _example_script(name: str):
    """A module from examples/scripts (digits_data, make_mobilenetv2), imported by path."""
    import importlib.util
    import sys

    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, EXAMPLES.parent / "scripts" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def _engine_logits(engine_lib: Path, path: Path, x: np.ndarray) -> np.ndarray:
    from sdkbuild import runtime

    with runtime.Engine(engine_lib) as eng:
        model = eng.load(path)
        sess = model.session(2)
        name = model.outputs[0].name
        out = np.concatenate([sess.run({"input": x[i : i + 1]})[name] for i in range(len(x))])
        sess.close()
    return out


@pytest.mark.slow
def test_mobilenetv2_int8_cosine(engine_lib: Path, tmp_path: Path) -> None:
    """Issue 3's goal on the trained MobileNetV2 example (examples/models/mobilenetv2_224.onnx,
    digits upscaled to 224): `sdkbuild convert --quantize int8 --calibration` with 32
    training images; on all 450 held-out images the engine's int8 logits have cosine >= 0.99
    with onnxruntime's fp32 logits (mean; >= 0.98 for every image), and so does the
    centered cosine over the 10 digit logits (mean; >= 0.95 for every image), which a
    common offset of the logits cannot flatter; int8 accuracy within 1 point of fp32; the
    engine's fp32 accuracy is the reported one; the engine's int8 output equals simulate()
    bit for bit."""
    import json

    from click.testing import CliRunner

    from sdkbuild.cli import cli

    dd = _example_script("digits_data")
    x_tr, x_te, _, y_te = dd.split()
    np.save(tmp_path / "cal.npy", dd.preprocess(x_tr[:32]))
    x = dd.preprocess(x_te)
    src = EXAMPLES / "mobilenetv2_224.onnx"
    for mode in ("fp32", "int8"):
        args = ["convert", str(src), "-o", str(tmp_path / f"{mode}.sdkm")]
        if mode == "int8":
            args += ["--quantize", "int8", "--calibration", str(tmp_path / "cal.npy")]
        r = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert r.exit_code == 0, r.output
    qm = sdkm.read(tmp_path / "int8.sdkm")
    _need_ops(engine_lib, qm)
    import onnxruntime as ort

    sess = ort.InferenceSession(str(src), providers=["CPUExecutionProvider"])
    ref = np.concatenate([sess.run(None, {"input": x[i : i + 25]})[0] for i in range(0, len(x), 25)])
    fp32 = _engine_logits(engine_lib, tmp_path / "fp32.sdkm", x)
    int8 = _engine_logits(engine_lib, tmp_path / "int8.sdkm", x)
    assert np.array_equal(int8[:1], Q.simulate(qm, {"input": x[:1]})["logits"])

    def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = a.astype(np.float64), b.astype(np.float64)
        return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))

    c = cosines(int8, ref)
    c10 = cosines(int8[:, :10] - int8[:, :10].mean(1, keepdims=True), ref[:, :10] - ref[:, :10].mean(1, keepdims=True))
    acc = {k: float((v.argmax(1) == y_te).mean()) for k, v in (("ort", ref), ("fp32", fp32), ("int8", int8))}
    print(f"mobilenetv2 (trained, 450 held-out digits): accuracy fp32 {acc['fp32']:.4f}, int8 {acc['int8']:.4f}; "
          f"int8 vs fp32 cosine mean {c.mean():.4f} min {c.min():.4f} (centered, logits 0-9: {c10.mean():.4f} / {c10.min():.4f})")
    reported = json.loads((EXAMPLES / "mobilenetv2_224.json").read_text())["accuracy"]
    assert acc["ort"] == acc["fp32"] == reported
    assert acc["int8"] >= acc["fp32"] - 0.01
    assert c.mean() >= 0.99 and c10.mean() >= 0.99
    assert c.min() >= 0.98 and c10.min() >= 0.95


@pytest.mark.slow
def test_mobilenetv2_random_weights_int8_stress(engine_lib: Path, tmp_path: Path) -> None:
    """Stress test: the same graph with random weights (make_mobilenetv2.py --random, built
    here, not committed) on N(0, 1) inputs is chaotic (any perturbation grows ~1.5-2 dB per
    block, docs/int8.md), so int8 reaches only ~0.98 cosine; the bar is 0.95, and the
    engine's int8 output equals the numpy reference of the int8 arithmetic."""
    from sdkbuild import convert, runtime

    src = _example_script("make_mobilenetv2").make_random(tmp_path / "random.onnx")
    fp32 = convert.convert_model(convert.load_onnx(src)[0])
    rng = np.random.default_rng(0)
    cal_set = [{"input": rng.normal(0, 1, (1, 3, 224, 224)).astype(np.float32)} for _ in range(8)]
    qm = Q.quantize_model(fp32, cal_set)
    sdkm.write(qm, tmp_path / "q.sdkm")
    _need_ops(engine_lib, qm)
    test = [{"input": rng.normal(0, 1, (1, 3, 224, 224)).astype(np.float32)} for _ in range(2)]
    name = fp32.tensors[fp32.outputs[0]].name
    with runtime.Engine(engine_lib) as eng:
        model = eng.load(tmp_path / "q.sdkm")
        sess = model.session(2)
        for s, ref in zip(test, cal.run_onnx(cal.to_onnx(fp32, record_all=False), test), strict=True):
            got = sess.run(s)[name]
            assert np.array_equal(got, Q.simulate(qm, s)[name])
            c = _cos(got, ref[name])
            print(f"random-weight mobilenetv2 int8 vs fp32 cosine {c:.4f}")
            assert c > 0.95
        sess.close()


@pytest.mark.slow
def test_int8_only_engine_runs_int8_io_model(tmp_path: Path) -> None:
    """A selective build with dtypes=int8 only (no fp32 kernels) runs an int8-I/O model
    bit-exactly: the int8 paths do not lean on fp32 code."""
    import os
    import shutil
    import subprocess
    import sys

    from sdkbuild import paths, runtime, targets

    m = engine_model(16, 40)
    rng = np.random.default_rng(0)
    qm = Q.quantize_model(m, [{"input": rng.normal(0, 1, (1, 3, 40, 40)).astype(np.float32)} for _ in range(4)],
                          int8_io=True)
    assert "f32" not in qm.dtypes_used()
    sdkm.write(qm, tmp_path / "q.sdkm")
    bindir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    tool = {t: str(bindir / t) if (bindir / t).is_file() else (shutil.which(t) or t) for t in ("meson", "ninja")}
    build = tmp_path / "build"
    for cmd in ([tool["meson"], "setup", str(build), str(paths.engine_dir()), f"-Dops={','.join(qm.ops_used())}",
                 "-Ddtypes=int8", f"-Disa={','.join(targets.get('host').isa)}"],
                [tool["ninja"], "-C", str(build), "-j2"]):
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    q = qm.tensors[qm.inputs[0]].quant
    with runtime.Engine(build / "libsdkengine.so") as eng:
        assert eng.build_info["dtypes"] == ["int8"]
        sess = eng.load(tmp_path / "q.sdkm").session(2)
        for _ in range(2):
            x = np.clip(np.rint(rng.normal(0, 1, (1, 3, 40, 40)) / q.scales[0]) + q.zero_points[0], -128, 127)
            x = x.astype(np.int8)
            assert np.array_equal(sess.run({"input": x})["output"], Q.simulate(qm, {"input": x})["output"])
        sess.close()
