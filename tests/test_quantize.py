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


def test_percentile_narrows_ranges():
    m = small_model()
    full = cal.collect_ranges(m, _samples(4))
    pct = cal.collect_ranges(m, _samples(4), percentile=99.0)
    assert pct["c1"][1] < full["c1"][1] and pct["input"] == full["input"]
    with pytest.raises(SdkbuildError, match="percentile"):
        cal.collect_ranges(m, _samples(1), percentile=20.0)


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
