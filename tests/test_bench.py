"""`sdkbuild bench` (sdkbuild/bench.py): a real engine build and onnxruntime, on the
digits example. Timings are printed, never asserted; the table's structure and the
outputs' agreement are."""

from __future__ import annotations

import re
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
    q = onnx.load(files["onnx_int8"])
    ops = [n.op_type for n in q.graph.node]
    assert "BatchNormalization" not in ops and "Conv" in ops and "QuantizeLinear" in ops
    # 7-bit weights exactly where onnxruntime's docs advise them (x86 without VNNI)
    w = [numpy_helper.to_array(t) for t in q.graph.initializer if t.data_type == TensorProto.INT8 and t.dims]
    widest = max(int(np.abs(a.astype(np.int32)).max()) for a in w)
    assert widest <= 64 if bench.ort_reduce_range() else widest > 64


def test_onnxruntime_reduce_range_only_on_x86_without_vnni() -> None:
    from sdkbuild import bench

    assert bench.ort_reduce_range(["avx2", "fma"], "x86_64")
    assert not bench.ort_reduce_range(["avx2", "fma", "avx512f", "avx512_vnni"], "x86_64")
    assert not bench.ort_reduce_range(["avx2", "fma", "avx_vnni"], "AMD64")
    assert not bench.ort_reduce_range(["asimd", "asimddp"], "aarch64")


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


def test_mem_account_names_the_resident_constants(tmp_path: Path) -> None:
    """bench/mem_account.py prints RSS step by step, then which constants of the mapped file
    the runs brought back: here all of the Add's constant (64 KiB), read in place every run."""
    import subprocess
    import sys

    from engine_helpers import dev_lib
    from test_model_loading import add_const_model

    from sdkbuild import sdkm

    m, _c = add_const_model(16384)
    model, inp = tmp_path / "addc.sdkm", tmp_path / "in.npz"
    sdkm.write(m, model)
    np.savez(inp, x=np.ones(16384, np.float32))
    r = subprocess.run([sys.executable, str(EXAMPLES.parent.parent / "bench" / "mem_account.py"), str(dev_lib()),
                        str(model), str(inp)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert re.search(r"runs 2-4 .*\nadded by load \+ runs", r.stdout), r.stdout
    assert re.search(r"\n +0\.0[67] of +0\.0[67] +c\n", r.stdout), r.stdout  # all of its 16-17 pages


# --------------------------------------------------------------------------- ncnn int8 as a peer

BENCH = EXAMPLES.parent.parent / "bench"


def _ncnn_tools() -> dict[str, Path]:
    """ncnn's host int8 tools (a build by bench/ncnn_tools.py, named by SDKBUILD_NCNN_TOOLS):
    building them takes minutes, so tests use an existing build or skip."""
    import os
    import sys

    build = os.environ.get("SDKBUILD_NCNN_TOOLS")
    if not build:
        pytest.skip("ncnn's int8 tools are not built: `python bench/ncnn_tools.py --ncnn-src NCNN_FULL_SRC "
                    "--build DIR`, then SDKBUILD_NCNN_TOOLS=DIR")
    sys.path.insert(0, str(BENCH))
    from ncnn_tools import built_tools

    tools = built_tools(Path(build))
    if tools is None:
        pytest.skip(f"SDKBUILD_NCNN_TOOLS={build} has no ncnnoptimize/ncnn2table/ncnn2int8 (build it first)")
    pytest.importorskip("ncnn", reason="the ncnn Python package is not installed (pip install 'sdkbuild[bench]')")
    return tools


def test_ncnn_calibration_files(tmp_path: Path) -> None:
    """ncnn2table's npy input (type=1): one float32 C x H x W .npy per sample (batch dropped),
    a list file naming them, and the shape in ncnn's W,H,C order."""
    from sdkbuild.errors import SdkbuildError
    from sdkbuild.ncnn_export import write_calibration

    rng = np.random.default_rng(0)
    samples = [rng.normal(0, 1, (1, 3, 5, 7)).astype(np.float32) for _ in range(3)]
    listing, shape = write_calibration(samples + [samples[0][0].astype(np.float64)], tmp_path / "cal")
    assert shape == [7, 5, 3]
    files = listing.read_text().splitlines()
    assert len(files) == 4
    for f, s in zip(files, samples + [samples[0]], strict=True):
        a = np.load(f)
        assert a.dtype == np.float32 and a.shape == (3, 5, 7) and np.array_equal(a, s[0])
    for bad, why in (([], "no calibration samples"), ([np.zeros((2, 3, 4, 4))], "shape [2, 3, 4, 4]"),
                     ([np.zeros((3, 4, 4)), np.zeros((3, 4, 5))], "sample 0 [3, 4, 4]"),
                     ([np.full((1, 2, 2), np.nan)], "NaN")):
        with pytest.raises(SdkbuildError, match=re.escape(why)) as e:
            write_calibration(bad, tmp_path / "bad")
        assert e.value.hint


def test_ncnn_int8_tools_need_the_full_source(tmp_path: Path) -> None:
    """The PyPI sdist (src/ only) cannot build ncnn's tools: the error names what is missing
    and where to get it; quantize_int8 without tools names the tool."""
    import sys

    from sdkbuild.errors import SdkbuildError
    from sdkbuild.ncnn_export import quantize_int8

    sys.path.insert(0, str(BENCH))
    from ncnn_tools import ncnn_tools_missing

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "CMakeLists.txt").write_text("")
    why = ncnn_tools_missing(tmp_path)
    assert why and "tools/quantize/ncnn2table.cpp" in why and "git" in why and "--ncnn-src" in why
    (tmp_path / "m.param").write_text("7767517\n")
    (tmp_path / "m.bin").write_bytes(b"")
    with pytest.raises(SdkbuildError, match="ncnnoptimize tool is missing"):
        quantize_int8(tmp_path / "m.param", [np.zeros((1, 1, 4, 4), np.float32)], {}, tmp_path / "q.param")
    with pytest.raises(SdkbuildError, match="method 'minmax'"):
        quantize_int8(tmp_path / "m.param", [np.zeros((1, 1, 4, 4), np.float32)], {}, tmp_path / "q.param",
                      method="minmax")
    assert not (tmp_path / "q.param").exists()


def test_ncnn_int8_rows_in_the_summary_and_arm_table() -> None:
    """int8 ncnn rows give the summary an `int8 x1 engine/ncnn` column; arm_count's table
    fills the ncnn column of int8 rows and lists the output cosines."""
    import sys

    from sdkbuild import bench

    def row(rt: str, ms: float, dtype: str) -> dict:
        return {"model": "a", "dtype": dtype, "threads": 1, "runtime": rt, "median_ms": ms}

    rows = [row("engine", 2.0, "fp32"), row("onnxruntime", 4.0, "fp32"), row("ncnn", 1.0, "fp32"),
            row("engine", 1.0, "int8"), row("onnxruntime", 2.0, "int8"), row("ncnn", 4.0, "int8")]
    lines = bench.ratio_table(rows)
    head = [c.strip() for c in lines[0].split("|")[1:-1]]
    assert head == ["model", "fp32 x1 engine/ort", "fp32 x1 engine/ncnn", "int8 x1 engine/ort", "int8 x1 engine/ncnn"]
    cells = {ln.split("|")[1].strip(): [c.strip() for c in ln.split("|")[2:-1]] for ln in lines[2:]}
    assert cells["a"] == ["0.50", "2.00", "0.50", "0.25"]

    sys.path.insert(0, str(BENCH))
    import arm_count

    counts = {"load": 2_000_000, "per_inference": 30_000_000}
    arm_rows = [{"model": "m", "arch": "arm64", "dtype": "int8", "engine": {"load": 4_000_000, "per_inference": 15_000_000},
                 "ncnn": counts, "cosine": {"engine_int8": 0.99912, "ncnn_int8": 0.9987, "ncnn_fp32": 1.0, "ncnn_method": "aciq"}}]
    text = arm_count.render(arm_rows, {"qemu": "7.2", "gcc": "12", "ncnn": "ncnn-x", "steady": False,
                                       "ncnn_int8": "ncnn2table method=kl"})
    assert "| m | arm64 | int8 | 15.0 | 30.0 | 0.50 | 4.0 | 2.0 | 2.00 |" in text
    assert "| m | arm64 | 0.9991 | 0.9987 | 1.0000 | aciq |" in text and "ncnn2table method=kl" in text


def test_ncnn_int8_peer_on_digits(tmp_path: Path) -> None:
    """ncnn's own int8 (ncnnoptimize + ncnn2table + ncnn2int8) of the exported digits CNN,
    calibrated on the engine's samples: int8 convolutions in the param, ncnn runs it, output
    close to fp32's; bench.run measures it as the int8 ncnn peer. KL alone saturates the
    digits' input (mostly exact zeros: cosine 0.40, the first version of this test failed on
    it), so the peer keeps whichever of KL and ACIQ is closer to fp32."""
    from sklearn.datasets import load_digits

    from sdkbuild import bench, convert
    from sdkbuild.ncnn_export import export, quantize_int8, run_ncnn

    tools = _ncnn_tools()
    x = (load_digits().data[:48] / 16.0).astype(np.float32).reshape(-1, 1, 1, 8, 8)
    export(convert.convert_model(convert.load_onnx(EXAMPLES / "digits_cnn.onnx")[0]), tmp_path / "d.param",
           tmp_path / "d.bin")
    q = quantize_int8(tmp_path / "d.param", list(x[:40]), tools, tmp_path / "q.param", method="best")
    assert set(q.cosines) == {"kl", "aciq"} and q.method == max(q.cosines, key=q.cosines.get)
    assert q.cosines[q.method] > 0.99 and "/fc2/Gemm" in q.table
    ref, got = run_ncnn(tmp_path / "d.param", x[40:]), run_ncnn(tmp_path / "q.param", x[40:])
    assert all(float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)) > 0.98 for a, b in zip(ref, got, strict=True))
    assert not list(tmp_path.glob("ncnn-int8-*"))  # the tools' scratch folder is gone
    bm = bench.BenchModel("digits", EXAMPLES / "digits_cnn.onnx", list(x[:40]), x[40])
    rows, lib = bench.run([bm], tmp_path / "w", threads=[1], runs=10, warmup=1, rounds=1, loads=False,
                          ncnn_tools=tools)
    qtext = (tmp_path / "w" / "digits.ncnn-int8.param").read_text()
    assert " 8=2" in qtext or " 8=1" in qtext  # Convolution's int8_scale_term: the convs are int8
    assert (tmp_path / "w" / "digits.ncnn-int8.bin").stat().st_size < (tmp_path / "w" / "digits.ncnn.bin").stat().st_size
    got = {(r["dtype"], r["runtime"]): r for r in rows}
    assert ("int8", "ncnn") in got and "error" not in got["int8", "ncnn"], rows
    assert got["int8", "ncnn"]["cosine_vs_ort_fp32"] > 0.98 and got["int8", "ncnn"]["ncnn_calibration"] == q.method
    assert got["fp32", "ncnn"]["cosine_vs_ort_fp32"] > 0.9999
    text = bench.render_markdown(rows, lib, 10, 1, (0.0, 0.0), rounds=1)
    assert "int8 x1 engine/ncnn" in text and "ncnn2table" in text


def test_ncnn_int8_squeeze_excitation(tmp_path: Path) -> None:
    """ncnn int8 of a squeeze-excitation block (efficientnet's: SiLU, 4 hidden channels) stays
    close to fp32 (before the exporter wrote the SE's 1x1 convs as InnerProduct, ncnn ran the
    second through its 1-D Convolution path: cosine -0.35 here, 0.04 on efficientnet_b0)."""
    import sys

    sys.path.insert(0, str(EXAMPLES.parent.parent / "tests"))
    from test_ncnn_export import _se_model

    from sdkbuild import convert
    from sdkbuild.ncnn_export import export, quantize_int8, run_ncnn

    tools = _ncnn_tools()
    rng = np.random.default_rng(5)
    export(convert.convert_model(_se_model(rng, c=96, silu=True)), tmp_path / "se.param", tmp_path / "se.bin")
    cal = [rng.normal(0, 1, (1, 3, 12, 12)).astype(np.float32) for _ in range(8)]
    q = quantize_int8(tmp_path / "se.param", cal, tools, tmp_path / "q.param", method="kl")
    assert q.method == "kl" and q.cosines == {}
    assert "InnerProduct" in (tmp_path / "q.param").read_text()
    x = [rng.normal(0, 1, (1, 3, 12, 12)).astype(np.float32) for _ in range(4)]
    for a, b in zip(run_ncnn(tmp_path / "se.param", x), run_ncnn(tmp_path / "q.param", x), strict=True):
        assert float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)) > 0.98


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")
def test_next_peer_waits_until_the_last_ones_threads_sleep(tmp_path: Path) -> None:
    """A pool that spins on after its batch (OpenMP, onnxruntime) must not run into the next
    peer's batch: settle() waits while a thread of the child is runnable, up to its cap."""
    import subprocess
    import sys
    import time

    from sdkbuild import bench

    flag = tmp_path / "stop"
    code = ("import os, threading, time\n"
            "def spin():\n"
            f"    while not os.path.exists({str(flag)!r}): pass\n"
            "t = threading.Thread(target=spin); t.start(); t.join(); time.sleep(60)\n")
    child = object.__new__(bench._Child)
    child.proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        t0 = time.monotonic()
        child.settle(cap_s=0.3)
        assert time.monotonic() - t0 >= 0.3  # still spinning: waited for the whole cap
        flag.touch()
        t0 = time.monotonic()
        child.settle(cap_s=30)
        assert time.monotonic() - t0 < 20  # asleep: returned long before the cap
        states = [(t / "stat").read_text().rsplit(")", 1)[1].split()[0]
                  for t in Path(f"/proc/{child.proc.pid}/task").iterdir()]
        assert "R" not in states
    finally:
        child.proc.kill()
        child.proc.wait()
    child.settle(cap_s=5)  # an exited child: nothing to wait for
