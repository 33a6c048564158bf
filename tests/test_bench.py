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
    text = out.read_text()
    all_rows = [line.split("|")[1:-1] for line in text.splitlines() if line.startswith("| digits_cnn")]
    rows = [c for c in all_rows if len(c) == 11]  # the details
    loads = [c for c in all_rows if len(c) == 7]  # the loading table: one row per load mode
    assert [c[2].strip() for c in loads] == ["mmap", "copy", "bytes"]
    for c in loads:
        assert float(c[1]) > 0 and float(c[3]) >= 0 and float(c[4]) >= 0  # file MiB, load ms, peak MiB
    assert "Loading a model: peak memory" in out.read_text()
    assert {(c[1].strip(), c[3].strip()) for c in rows} == {
        ("fp32", "engine"), ("fp32", "onnxruntime"), ("fp32", "ncnn"), ("int8", "engine"), ("int8", "onnxruntime")}
    for c in rows:
        assert float(c[4]) > 0 and float(c[8]) > 0  # median ms, peak RSS
        assert float(c[10]) > (0.9999 if c[1].strip() == "fp32" else 0.99)  # cosine vs onnxruntime fp32
    assert "Machine:" in text and "load average" in text
    # the summary comes first: engine/peer ratios of the medians, and their geomean
    summary = [line.split("|")[1:-1] for line in text.split("## Details")[0].splitlines() if line.startswith("| ")]
    assert [c.strip() for c in summary[0]] == ["model", "fp32 x1 engine/ort", "fp32 x1 engine/ncnn",
                                               "int8 x1 engine/ort"]
    med = {(c[1].strip(), c[3].strip()): float(c[4]) for c in rows}
    (digits,) = [c for c in summary if c[0].strip() == "digits_cnn"]
    # the details print medians to 3 decimals (the digits CNN runs in ~0.02 ms) and the summary
    # its ratio to 2: allow what those roundings can move the ratio
    e, o = med["fp32", "engine"], med["fp32", "onnxruntime"]
    rounding = (e / o) * (0.0005 / e + 0.0005 / o) + 0.005
    assert float(digits[1]) == pytest.approx(e / o, abs=rounding + 1e-9)
    assert any(c[0].strip() == "**geomean**" for c in summary)


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


def test_ir3_opset9_model_runs_on_onnxruntime(tmp_path: Path) -> None:
    """IR 3 models (onnx's light models, e.g. densenet121) list every initializer as a graph
    input, before the data input: fixing the batch dimension must change the data input, not
    graph.input[0] (which gave onnxruntime a weight declared [1] and inferred [8]: "Can't
    merge shape info"). Their opset (9) is too old for per-channel int8 QDQ."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    from sdkbuild import bench

    rng = np.random.default_rng(0)
    arrs = {"s": rng.uniform(0.5, 1.5, 8), "b": rng.normal(0, 0.1, 8), "m": rng.normal(0, 0.1, 8),
            "v": rng.uniform(0.5, 1.5, 8), "w": rng.normal(0, 0.3, (8, 3, 3, 3))}
    inits = [numpy_helper.from_array(a.astype(np.float32), k) for k, a in arrs.items()]
    weight_inputs = [helper.make_tensor_value_info(k, TensorProto.FLOAT, list(a.shape)) for k, a in arrs.items()]
    x = helper.make_tensor_value_info("data", TensorProto.FLOAT, ["N", 3, 16, 16])
    nodes = [helper.make_node("Conv", ["data", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "s", "b", "m", "v"], ["y"])]
    g = helper.make_graph(nodes, "ir3", [*weight_inputs, x],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 8, 16, 16])], initializer=inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 9)])
    model.ir_version = 3
    src = tmp_path / "ir3.onnx"
    onnx.save(model, src)
    feed = rng.normal(0, 1, (1, 3, 16, 16)).astype(np.float32)
    cal = [rng.normal(0, 1, (1, 3, 16, 16)).astype(np.float32) for _ in range(4)]
    files = bench.prepare(tmp_path, bench.BenchModel("ir3", src, cal, feed))
    fixed = onnx.load(files["onnx_fp32"])
    dims = {vi.name: [d.dim_value for d in vi.type.tensor_type.shape.dim] for vi in fixed.graph.input}
    assert dims["data"] == [1, 3, 16, 16] and dims["s"] == [8]
    sess = ort.InferenceSession(str(files["onnx_fp32"]), providers=["CPUExecutionProvider"])
    assert sess.run(None, {"data": feed})[0].shape == (1, 8, 16, 16)
    # onnxruntime's int8 peer of an opset-9 model: per-channel QDQ needs opset 13 (the axis
    # of DequantizeLinear), so the model is upgraded before quantize_static
    q = ort.InferenceSession(str(files["onnx_int8"]), providers=["CPUExecutionProvider"])
    assert q.run(None, {"data": feed})[0].shape == (1, 8, 16, 16)


@pytest.mark.slow
def test_bench_interleaved_idle_and_error_rows(tmp_path: Path) -> None:
    """bench.run: a model that cannot be converted gives an error row and the others go on;
    with idle_ms every runtime also runs after sleeps, reported against its steady runs."""
    from sdkbuild import bench

    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    x = np.zeros((1, 1, 8, 8), np.float32)
    rows, lib = bench.run([bench.BenchModel("broken", broken), bench.BenchModel("digits", EXAMPLES / "digits_cnn.onnx",
                                                                                  input=x)],
                          tmp_path / "w", threads=[2], runs=10, warmup=1, rounds=2, idle_ms=(1.0, 3.0), loads=False)
    (err,) = [r for r in rows if r["model"] == "broken"]
    assert err["runtime"] == "(model)" and "preparing" in err["error"]
    timed = {r["runtime"]: r for r in rows if r["model"] == "digits"}
    assert {"engine", "onnxruntime"} <= set(timed)
    for r in timed.values():
        assert r["runs"] == 10 and r["idle_runs"] == 10 and r["idle_min_ms"] > 0 and r["vcsw_per_run"] >= 0
        assert 0 <= r["idle_slow_frac"] <= 1
    text = bench.render_markdown(rows, lib, 10, 1, (0.0, 0.0), rounds=2, idle_ms=(1.0, 3.0))
    assert "## Runs after idle periods" in text and "| broken | error: preparing" in text


def test_ratio_table_geomean_and_errors() -> None:
    from sdkbuild import bench

    def row(model: str, rt: str, ms: float, dtype: str = "fp32", threads: int = 1) -> dict:
        return {"model": model, "dtype": dtype, "threads": threads, "runtime": rt, "median_ms": ms}

    rows = [row("a", "engine", 2.0), row("a", "onnxruntime", 4.0), row("a", "ncnn", 1.0),
            row("b", "engine", 8.0), row("b", "onnxruntime", 4.0),
            {"model": "c", "dtype": "fp32", "threads": 1, "runtime": "engine", "error": "boom"},
            row("c", "onnxruntime", 1.0),
            {"model": "d", "dtype": "fp32", "threads": 1, "runtime": "(model)", "error": "no Foo op"}]
    lines = bench.ratio_table(rows)
    cells = {ln.split("|")[1].strip(): [c.strip() for c in ln.split("|")[2:-1]] for ln in lines[2:]}
    assert cells["a"] == ["0.50", "2.00"] and cells["b"] == ["2.00", ""] and cells["c"] == ["error", ""]
    assert cells["d"][0] == "error: no Foo op"
    assert cells["**geomean**"] == ["**1.00**", "**2.00**"] and cells["worst"] == ["2.00", "2.00"]


def test_zoo_list_longer_than_a_path_is_read_as_names(capsys) -> None:
    """bench/run.py --zoo with a long comma-separated list: names, never a folder lookup
    (which raised OSError "File name too long" before any model was read)."""
    import sys

    sys.path.insert(0, str(EXAMPLES.parent.parent / "bench"))
    import run as bench_run

    names = ",".join(["resnet18", "mobilenet_v2"] * 20 + ["no_such_model"])
    assert len(names) > 255
    with pytest.raises(SystemExit) as e:
        bench_run.main(["--zoo", names])
    # a clear refusal naming the unknown model (argparse's exit 2, or the zoo's message)
    assert "no_such_model" in f"{e.value.code} {capsys.readouterr().err}"


def test_model_rss_leaves_the_runtimes_python_module_out(tmp_path: Path) -> None:
    """Model RSS is what loading and running the model adds. A 16 KB model on the engine adds
    well under a MiB; it used to count the ~13 MiB that importing sdkbuild.runtime costs (its
    .sdkm module imports ml_dtypes), which no SDK ships (onnxruntime's module: ~27 MiB)."""
    from engine_helpers import dev_lib
    from test_model_loading import add_const_model

    from sdkbuild import bench, sdkm

    m, c = add_const_model(4096)
    model, inp, out = tmp_path / "addc.sdkm", tmp_path / "in.npz", tmp_path / "out.npy"
    sdkm.write(m, model)
    x = np.ones(4096, np.float32)
    np.savez(inp, x=x)
    child = bench._Child("engine", model, inp, 1, dev_lib(), 2, out)
    assert child.error is None, child.error
    child.batch(3, None, 0)
    rss = child.finish()
    np.testing.assert_array_equal(np.load(out), x + c)
    assert 0 <= rss["model_rss_kb"] < 4 * 1024, rss
