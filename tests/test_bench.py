"""`sdkbuild bench` (sdkbuild/bench.py): a real engine build and onnxruntime, on the
digits example. Timings are printed, never asserted; the table's structure and the
outputs' agreement are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sdkbuild.cli import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "models"


@pytest.mark.slow
def test_bench_cli_digits(tmp_path: Path) -> None:
    from sklearn.datasets import load_digits

    x = (load_digits().data[:64] / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    np.save(tmp_path / "cal.npy", x)
    out = tmp_path / "bench.md"
    r = CliRunner().invoke(cli, ["bench", str(EXAMPLES / "digits_cnn.onnx"), "--calibration", str(tmp_path / "cal.npy"),
                                 "--threads", "1", "--runs", "10", "--work", str(tmp_path / "work"), "-o", str(out)],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    rows = [line.split("|")[1:-1] for line in out.read_text().splitlines() if line.startswith("| digits_cnn")]
    assert {(c[1].strip(), c[3].strip()) for c in rows} == {
        ("fp32", "engine"), ("fp32", "onnxruntime"), ("fp32", "ncnn"), ("int8", "engine"), ("int8", "onnxruntime")}
    for c in rows:
        assert float(c[4]) > 0 and float(c[6]) > 0  # median ms, peak RSS
        assert float(c[8]) > (0.9999 if c[1].strip() == "fp32" else 0.99)  # cosine vs onnxruntime fp32
    assert "Machine:" in out.read_text()


def test_bench_cli_errors(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["bench", str(tmp_path / "missing.onnx"), "--work", str(tmp_path / "w")])
    assert r.exit_code != 0 and "does not exist" in str(r.exception)
    r = CliRunner().invoke(cli, ["bench", str(EXAMPLES / "digits_cnn.onnx"), "--runs", "3"])
    assert r.exit_code != 0 and "runs" in r.output


def test_onnxruntime_int8_peer_is_preprocessed(tmp_path: Path) -> None:
    """onnxruntime's int8 model is made as its documentation says (quant_pre_process, then
    quantize_static): the BatchNormalization after a conv is folded, not left in float
    between QDQ pairs (which halved onnxruntime's int8 speed in the bench)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from sdkbuild import bench

    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.normal(0, 0.3, (8, 3, 3, 3)).astype(np.float32), "w")]
    inits += [numpy_helper.from_array(rng.uniform(0.5, 1.5, 8).astype(np.float32), n) for n in ("g", "v")]
    inits += [numpy_helper.from_array(rng.normal(0, 0.1, 8).astype(np.float32), n) for n in ("bb", "m")]
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "g", "bb", "m", "v"], ["n"]),
             helper.make_node("Relu", ["n"], ["y"])]
    g = helper.make_graph(nodes, "bn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 16, 16])], initializer=inits)
    src = tmp_path / "bn.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), src)
    cal = [rng.normal(0, 1, (1, 3, 16, 16)).astype(np.float32) for _ in range(4)]
    files = bench.prepare(tmp_path, bench.BenchModel("bn", src, cal))
    ops = [n.op_type for n in onnx.load(files["onnx_int8"]).graph.node]
    assert "BatchNormalization" not in ops and "Conv" in ops and "QuantizeLinear" in ops
