"""sdkbuild.runtime (ctypes over the host engine), the `run`/`inspect` commands, and the
shape of the host library itself (exports, DT_NEEDED)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from engine_helpers import chain_model, dev_lib, engine, int8_relu_model, meson_build
from onnx import TensorProto, helper, numpy_helper

from sdkbuild import sdkm
from sdkbuild.errors import SdkbuildError
from sdkbuild.runtime import Engine, EngineError


def test_version_and_build_info() -> None:
    eng = engine()
    assert eng.version.count(".") == 2
    info = eng.build_info
    assert {"Relu", "Reshape"} <= set(info["ops"])
    assert info["ops"] == sorted(info["ops"])
    assert {"fp32", "int8", "threads"} <= set(info["features"])


@pytest.mark.parametrize("threads", [1, 3])
def test_chain_matches_numpy(threads: int) -> None:
    # 2 * 16384+ elements so Relu's parallel_for really splits across threads
    m = chain_model((4, 9000))
    x = np.random.default_rng(0).standard_normal((4, 9000)).astype(np.float32)
    with engine().load(sdkm.encode(m)) as model, model.session(threads=threads) as s:
        assert [i.name for i in model.inputs] == ["x"]
        assert model.outputs[0].shape == (36000,)
        for _ in range(2):
            y = s.run({"x": x})["y"]
            np.testing.assert_array_equal(y, np.maximum(x, 0).reshape(-1))
        # the outputs stay readable; a third run after a new input sees it
        y2 = s.run({"x": -x})["y"]
        np.testing.assert_array_equal(y2, np.maximum(-x, 0).reshape(-1))


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
def test_sessions_share_one_pool_of_workers(tmp_path: Path) -> None:
    """Sessions of one thread count share the process's workers: four 3-thread sessions
    start 2 workers, not 8; they keep computing exactly, also from several threads at once,
    and the workers stop with the last session."""
    sdkm.write(chain_model((4, 9000)), tmp_path / "m.sdkm")
    code = """if True:
        import os, sys, threading
        import numpy as np
        from sdkbuild.runtime import Engine
        def count(): return len(os.listdir("/proc/self/task"))
        x = np.random.default_rng(0).standard_normal((4, 9000)).astype(np.float32)
        eng = Engine(sys.argv[1])
        model = eng.load(sys.argv[2])
        n0 = count()
        sessions = [model.session(threads=3) for _ in range(4)]
        for s in sessions:
            assert (s.run({"x": x})["y"] == np.maximum(x, 0).reshape(-1)).all()
        n1 = count()
        bad = []
        def work(s, sign):
            for _ in range(50):
                if not (s.run({"x": sign * x})["y"] == np.maximum(sign * x, 0).reshape(-1)).all():
                    bad.append(1)
        ts = [threading.Thread(target=work, args=(s, (-1) ** i)) for i, s in enumerate(sessions)]
        for t in ts: t.start()
        for t in ts: t.join()
        for s in sessions: s.close()
        print(n1 - n0, len(bad), count() - n0)
    """
    r = subprocess.run([sys.executable, "-c", code, str(dev_lib()), str(tmp_path / "m.sdkm")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["2", "0", "0"]


def test_load_file_and_memory_equal(tmp_path: Path) -> None:
    m = chain_model()
    p = tmp_path / "m.sdkm"
    sdkm.write(m, p)
    with engine().load(p) as a, engine().load(p.read_bytes()) as b:
        assert a.memory_info() == b.memory_info()
        mi = a.memory_info()
        assert mi.arena_lower_bound <= mi.arena_bytes <= mi.naive_bytes
        # x/a/b/y share one buffer: a run consumes its input, then alias + in-place
        assert mi.arena_bytes == 64 and mi.naive_bytes == 256


def test_run_consumes_inputs() -> None:
    """The first op writes over the input, so a second run without a new input is refused
    with a message naming the input and the fix (not silently run on clobbered data)."""
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    with engine().load(sdkm.encode(chain_model())) as model, model.session() as s:
        s.run({"x": x})
        with pytest.raises(EngineError) as e:
            s.run()
        assert e.value.status == 6 and "input 'x' is not set" in e.value.message
        assert "set every input before each run" in e.value.message
        np.testing.assert_array_equal(s.run({"x": x})["y"], np.maximum(x, 0).reshape(-1))


@pytest.mark.parametrize(("s_in", "z_in", "s_out", "z_out"), [(0.5, -3, 0.5, -3), (0.1, 5, 0.07, -128), (1.0, 0, 2.5, 10)])
def test_int8_relu(s_in: float, z_in: int, s_out: float, z_out: int) -> None:
    m = int8_relu_model(s_in, z_in, s_out, z_out, n=256)
    q = np.arange(-128, 128, dtype=np.int8)
    with engine().load(sdkm.encode(m)) as model, model.session() as s:
        y = s.run({"x": q})["y"]
        yf = s.get_output("y", dequantize=True)
    real = np.maximum(s_in * (q.astype(np.float64) - z_in), 0)
    ref = np.clip(np.round(real / s_out) + z_out, max(z_out, -128), 127)
    assert np.max(np.abs(y.astype(np.int32) - ref)) <= 1  # fixed-point rounding may differ by 1 LSB
    np.testing.assert_allclose(yf, s_out * (y.astype(np.float32) - z_out), rtol=1e-6)


def test_float_input_is_quantized_for_int8_model() -> None:
    m = int8_relu_model(0.5, 0, 0.5, 0, n=4)
    with engine().load(sdkm.encode(m)) as model, model.session() as s:
        y = s.run({"x": np.array([-1.0, 0.4, 1.0, 63.0], np.float32)})["y"]
    np.testing.assert_array_equal(y, [0, 1, 2, 126])


@pytest.mark.parametrize(("scale", "zp"), [(0.25, 3), (0.1, -7)])
def test_float_input_quantization_rounds_half_to_even(scale: float, zp: int) -> None:
    """sdk_session_set_input_f32 on an int8 input rounds like QuantizeLinear (half to even):
    inputs exactly at .5 steps, checked against numpy's reference and onnxruntime's
    QuantizeLinear. (An int8 Reshape: the output is the quantized input itself.)"""
    k = np.arange(-140, 140, dtype=np.float32)
    x = np.concatenate([np.float32(scale) * (k + np.float32(0.5)),
                        np.array([np.inf, -np.inf, -0.0, 1e30], np.float32)]).astype(np.float32)
    m = sdkm.Model(name="q")
    q = sdkm.Quant(np.array([scale], np.float32), np.array([zp], np.int32))
    xi = m.add_tensor(sdkm.Tensor("x", 2, (x.size,), quant=q))
    yi = m.add_tensor(sdkm.Tensor("y", 2, (1, x.size), quant=q))
    m.nodes = [sdkm.Node("Reshape", "r", [xi], [yi], {"shape": [1, x.size]})]
    m.inputs, m.outputs = [xi], [yi]
    with engine().load(sdkm.encode(m)) as model, model.session() as s:
        got = s.run({"x": x})["y"].reshape(-1)
    ref = np.clip(np.rint(x / np.float32(scale)) + np.float32(zp), -128, 127).astype(np.int8)
    np.testing.assert_array_equal(got, ref)
    v = x[:280] / np.float32(scale)
    if (np.abs(v - np.trunc(v)) == 0.5).any():  # exact ties: half away from zero (roundf) would differ
        assert (np.rint(v) != np.trunc(v + np.copysign(np.float32(0.5), v))).any()
    g = helper.make_graph([helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [x.size])],
                          [helper.make_tensor_value_info("y", TensorProto.INT8, [x.size])],
                          [numpy_helper.from_array(np.array(scale, np.float32), "s"),
                           numpy_helper.from_array(np.array(zp, np.int8), "z")])
    onnx_model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    want = ort.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.testing.assert_array_equal(got, want)


def test_input_errors() -> None:
    with engine().load(sdkm.encode(chain_model())) as model, model.session() as s:
        with pytest.raises(EngineError, match=r"input 'x' has shape \[2, 3\], got \[3, 2\]"):
            s.set_input("x", np.zeros((3, 2), np.float32))
        with pytest.raises(EngineError, match="no input named 'nope'.*'x'"):
            s.set_input("nope", np.zeros((2, 3), np.float32))
        with pytest.raises(EngineError, match="is float32, got int32"):
            s.set_input("x", np.zeros((2, 3), np.int32))
        with pytest.raises(EngineError) as e:
            s.get_output("y")
        assert e.value.status_name == "SDK_ERR_STATE"
        assert isinstance(e.value, SdkbuildError)


def test_unsupported_op_names_op_and_build() -> None:
    m = chain_model()
    m.nodes[0].op = "NoSuchOp"
    with pytest.raises(EngineError) as e:
        engine().load(sdkm.encode(m))
    assert e.value.status_name == "SDK_ERR_UNSUPPORTED"
    assert "model uses op 'NoSuchOp'" in e.value.message
    assert "Relu" in e.value.message  # the compiled ops are listed
    assert e.value.hint


def test_missing_file() -> None:
    with pytest.raises(EngineError) as e:
        engine().load("/nonexistent/model.sdkm")
    assert e.value.status_name == "SDK_ERR_IO"
    assert "/nonexistent/model.sdkm" in e.value.message


def test_explicit_bad_library_path(tmp_path: Path) -> None:
    with pytest.raises(SdkbuildError, match="does not exist"):
        Engine(tmp_path / "missing.so")


def test_env_library_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDKBUILD_ENGINE_LIB", str(dev_lib()))
    assert Engine().path == dev_lib()


# ------------------------------------------------------------------ the library's ELF shape


def test_exports_only_c_api() -> None:
    out = subprocess.run(["nm", "-D", "--defined-only", str(dev_lib())], capture_output=True, text=True, check=True)
    names = [line.split()[-1] for line in out.stdout.splitlines() if line.strip()]
    assert names, "no exported symbols"
    assert all(n.startswith("sdk_") for n in names), [n for n in names if not n.startswith("sdk_")]
    assert {"sdk_model_load_file", "sdk_session_run", "sdk_build_info"} <= set(names)


def test_needs_only_libc_libm_pthread() -> None:
    with open(dev_lib(), "rb") as f:
        elf = ELFFile(f)
        dyn = next(s for s in elf.iter_sections() if isinstance(s, DynamicSection))
        needed = [t.needed for t in dyn.iter_tags() if t.entry.d_tag == "DT_NEEDED"]
        flags = [t.entry.d_val for t in dyn.iter_tags() if t.entry.d_tag == "DT_FLAGS"]
        segments = [s.header.p_type for s in elf.iter_segments()]
    allowed = ("libc.so", "libm.so", "libpthread.so")
    if platform.machine() != "x86_64":
        # glibc on ARM exports the stack protector's __stack_chk_guard from the loader
        allowed += ("ld-linux",)
    assert needed and all(n.startswith(allowed) for n in needed), needed
    assert not any("stdc++" in n or "gcc_s" in n for n in needed)
    assert flags and flags[0] & 0x8  # DF_BIND_NOW (-z now)
    assert "PT_GNU_RELRO" in segments


# ------------------------------------------------------------------ CLI


def _cli(*args: str, lib: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SDKBUILD_ENGINE_LIB=str(lib or dev_lib()))
    return subprocess.run([sys.executable, "-m", "sdkbuild.cli", *args], capture_output=True, text=True, env=env)


def test_cli_run_float64_input_is_converted_with_a_warning(tmp_path: Path) -> None:
    """numpy's default float64 arrays run (the model computes in float32 anyway), but never
    silently: the conversion is announced with the input, the file and what it changed."""
    sdkm.write(chain_model(), tmp_path / "m.sdkm")
    x = np.array([[-1.0, 0.1, -3.0], [4.0, -5.0, 1 / 3]], np.float64)
    np.save(tmp_path / "x.npy", x)
    r = _cli("run", str(tmp_path / "m.sdkm"), "--input", f"x={tmp_path / 'x.npy'}", "-o", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    assert f"warning: input 'x': {tmp_path / 'x.npy'} holds float64 values; converted to float32" in r.stderr
    assert "(largest relative change 3e-08)" in r.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "o" / "y.npy"), np.maximum(x.astype(np.float32), 0).reshape(-1))
    # float32 data: no warning
    np.save(tmp_path / "x32.npy", x.astype(np.float32))
    r = _cli("run", str(tmp_path / "m.sdkm"), "--input", f"x={tmp_path / 'x32.npy'}", "-o", str(tmp_path / "o2"))
    assert r.returncode == 0 and "warning" not in r.stderr, r.stderr


def test_float64_beyond_float32_is_refused() -> None:
    with engine().load(sdkm.encode(chain_model())) as model, model.session() as s:
        with pytest.raises(EngineError, match=r"input 'x' is float32: values up to 1e\+300 do not fit") as e:
            s.set_input("x", np.full((2, 3), 1e300))
        assert e.value.hint and "scale the data" in e.value.hint
        s.set_input("x", np.array([[np.inf, -np.inf, np.nan], [1e30, 0, -1]]))  # inf/nan stay what they are


def test_cli_run_single_input(tmp_path: Path) -> None:
    sdkm.write(chain_model(), tmp_path / "m.sdkm")
    x = np.array([[-1, 2, -3], [4, -5, 6]], np.float32)
    np.save(tmp_path / "x.npy", x)
    r = _cli("run", str(tmp_path / "m.sdkm"), "--input", str(tmp_path / "x.npy"), "-o", str(tmp_path / "out"),
             "--threads", "2")
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "y.npy"), np.maximum(x, 0).reshape(-1))


def test_cli_run_errors(tmp_path: Path) -> None:
    sdkm.write(chain_model(), tmp_path / "m.sdkm")
    np.save(tmp_path / "bad.npy", np.zeros((3, 3), np.float32))
    r = _cli("run", str(tmp_path / "m.sdkm"), "--input", f"x={tmp_path / 'bad.npy'}", "-o", str(tmp_path / "o"))
    assert r.returncode == 1 and "input 'x' has shape [2, 3], got [3, 3]" in r.stderr
    r = _cli("run", str(tmp_path / "m.sdkm"), "--input", f"z={tmp_path / 'bad.npy'}", "-o", str(tmp_path / "o"))
    assert r.returncode == 1 and "no input 'z'" in r.stderr
    r = _cli("run", str(tmp_path / "m.sdkm"), "-o", str(tmp_path / "o"))
    assert r.returncode == 1 and "missing input(s): x" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("cut", [10, 100, -1])
def test_cli_corrupt_model_one_line_error(tmp_path: Path, cut: int) -> None:
    data = sdkm.encode(chain_model())
    (tmp_path / "bad.sdkm").write_bytes(data[:cut])
    np.save(tmp_path / "x.npy", np.zeros((2, 3), np.float32))
    for args in (["inspect", str(tmp_path / "bad.sdkm")],
                 ["run", str(tmp_path / "bad.sdkm"), "--input", str(tmp_path / "x.npy"), "-o", str(tmp_path / "o")]):
        r = _cli(*args)
        assert r.returncode == 1
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
        assert "truncated" in lines[0]


def test_cli_inspect_json(tmp_path: Path) -> None:
    m = chain_model()
    w = m.add_tensor(sdkm.Tensor("unused_w", 1, (4,), data=np.ones(4, np.float32)))
    assert w
    sdkm.write(m, tmp_path / "m.sdkm")
    r = _cli("inspect", "--json", str(tmp_path / "m.sdkm"))
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["ops"] == {"Relu": 2, "Reshape": 1}
    assert [t["name"] for t in info["inputs"]] == ["x"] and info["outputs"][0]["shape"] == [6]
    assert info["weights_bytes"] == 16
    mem = info["memory"]
    assert mem["arena_lower_bound"] <= mem["arena_bytes"] <= mem["naive_bytes"]
    assert mem["weights_bytes"] == 16
    r = _cli("inspect", str(tmp_path / "m.sdkm"))
    assert r.returncode == 0 and "Reshape" in r.stdout and "lower bound" in r.stdout


# ------------------------------------------------------------------ engine build options


def _exports(lib: Path) -> set[str]:
    out = subprocess.run(["nm", "-D", "--defined-only", str(lib)], capture_output=True, text=True, check=True)
    return {line.split()[-1] for line in out.stdout.splitlines() if line.strip()}


@pytest.mark.parametrize("export_jni", [True, False])
def test_extra_sources_and_jni_export(tmp_path: Path, export_jni: bool) -> None:
    inc = tmp_path / "inc"
    inc.mkdir()
    (inc / "glue.h").write_text("#define GLUE_VERSION 0x00010006\n")
    src = tmp_path / "glue.cpp"
    src.write_text('#include "glue.h"\n#include "sdkengine/engine.h"\n'
                   'extern "C" __attribute__((visibility("default"))) int JNI_OnLoad(void*, void*) '
                   '{ return sdk_version()[0] ? GLUE_VERSION : 0; }\n'
                   'extern "C" __attribute__((visibility("default"))) int Java_leak(void) { return 1; }\n')
    b = meson_build(tmp_path / "b", "-Dops=Relu", f"-Dextra_sources={src}", f"-Dextra_include_dirs={inc}",
                    f"-Dexport_jni={'true' if export_jni else 'false'}", "-Dlib_name=mysdk")
    names = _exports(b / "libmysdk.so")
    assert ("JNI_OnLoad" in names) == export_jni
    assert "Java_leak" not in names  # the version script hides everything else
    assert all(n.startswith("sdk_") for n in names - {"JNI_OnLoad"})


def test_engine_meson_tests_pass_natively() -> None:
    """engine/tests (loader, hostile files, parallel_for, planner) through `meson test`."""
    build = dev_lib().parent  # --no-rebuild: test exactly the library the other tests used
    r = subprocess.run([str(Path(sys.executable).parent / "meson"), "test", "-C", str(build), "--no-rebuild",
                        "--print-errorlogs", "engine"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]


def test_directory_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(EngineError) as e:
        engine().load(tmp_path)
    assert e.value.status_name == "SDK_ERR_IO" and "not a regular file" in e.value.message


def test_edge_graphs() -> None:
    # no nodes: the input is the output
    m = sdkm.Model(name="identity")
    x = m.add_tensor(sdkm.Tensor("x", 1, (3,)))
    m.inputs, m.outputs = [x], [x]
    with engine().load(sdkm.encode(m)) as model, model.session() as s:
        np.testing.assert_array_equal(s.run({"x": np.array([1, -2, 3], np.float32)})["x"], [1, -2, 3])
    # an output that aliases a graph input (Reshape), and one that aliases a constant
    m = sdkm.Model(name="alias")
    x = m.add_tensor(sdkm.Tensor("x", 1, (2, 2)))
    y = m.add_tensor(sdkm.Tensor("y", 1, (4,)))
    c = m.add_tensor(sdkm.Tensor("c", 1, (2, 3), data=np.arange(6, dtype=np.float32).reshape(2, 3)))
    z = m.add_tensor(sdkm.Tensor("z", 1, (6,)))
    r = m.add_tensor(sdkm.Tensor("r", 1, (6,)))
    m.nodes = [sdkm.Node("Reshape", "rx", [x], [y], {"shape": [4]}),
               sdkm.Node("Reshape", "rc", [c], [z], {"shape": [6]}),
               sdkm.Node("Relu", "relu", [z], [r])]  # must not write into the constant
    m.inputs, m.outputs = [x], [y, z, r]
    with engine().load(sdkm.encode(m)) as model, model.session(threads=2) as s:
        out = s.run({"x": np.array([[1, -2], [3, -4]], np.float32)})
        np.testing.assert_array_equal(out["y"], [1, -2, 3, -4])
        np.testing.assert_array_equal(out["z"], np.arange(6))
        np.testing.assert_array_equal(out["r"], np.arange(6))
        mi = model.memory_info()
        assert mi.weights_bytes == 24
        # x (y shares it), r; z is the constant itself
        assert mi.arena_bytes == 128


def test_integer_inputs_are_range_checked() -> None:
    m = int8_relu_model(0.5, 0, 0.5, 0, n=3)
    with engine().load(sdkm.encode(m)) as model, model.session() as s:
        np.testing.assert_array_equal(s.run({"x": np.array([-5, 0, 7], np.int64)})["y"], [0, 0, 7])
        with pytest.raises(EngineError, match="values -5..300 do not fit"):
            s.set_input("x", np.array([-5, 0, 300], np.int64))


def test_cli_run_int8_float_io(tmp_path: Path) -> None:
    sdkm.write(int8_relu_model(0.5, 0, 0.25, -10, n=4), tmp_path / "q.sdkm")
    np.save(tmp_path / "x.npy", np.array([-1.0, 0.5, 1.0, 2.0], np.float32))
    r = _cli("run", str(tmp_path / "q.sdkm"), "--input", str(tmp_path / "x.npy"), "-o", str(tmp_path / "o"),
             "--dequantize")
    assert r.returncode == 0, r.stderr
    y = np.load(tmp_path / "o" / "y.npy")
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, [0.0, 0.5, 1.0, 2.0])


def test_cli_inspect_without_the_op_in_the_host_engine(tmp_path: Path) -> None:
    m = chain_model()
    m.nodes[0].op = "NotCompiled"
    sdkm.write(m, tmp_path / "m.sdkm")
    r = _cli("inspect", "--json", str(tmp_path / "m.sdkm"))
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["ops"]["NotCompiled"] == 1
    assert info["memory"] is None and "NotCompiled" in info["memory_error"]
