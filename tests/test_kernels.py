"""Int8 SIMD kernels vs the ref kernels: builds of the engine's kernel tests, run natively
and under qemu (Meson's exe_wrapper), for every ISA the targets compile. One build per ISA in
a session: the host uses the development build of every op (sdkbuild.runtime.build_dev_engine),
arm64 and armv7 the engine test builds `sdkbuild test` makes and runs under qemu
(tests/test_mobile_targets.py), android-x86 (i686) its own.

The C++ side is engine/tests/test_kernels.cpp (and engine/tests/test_elementwise.cpp: the
fp32 SIMD activations, Tanh, Exp and GELU against their libm ref kernels); `--require <isa>`
makes a build that silently lost its NEON/SDOT path fail instead of passing on ref alone. The same builds
then run real models end to end (engine/tests/run_model.cpp: MobileNetV2 and the digits
CNN, and a detector-style head of the element-wise ops int8 detectors use: Conv+SiLU,
broadcast Mul, Sigmoid gates, GELU, Tanh, HardSigmoid as int8 tables; fp32 and int8, 1 and 3
threads, best tier and ref tier): int8 bit-exact with quantize.simulate() on every ISA,
fp32 close to onnxruntime.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_mobile_targets import ARM_GROUP, ARM_TEST_TARGETS, arm_engine_tests, engine_test_build

from sdkbuild import paths, runtime, targets, toolchains
from sdkbuild.toolchains import gnu

pytestmark = pytest.mark.slow

# with an NDK, `sdkbuild test` builds bionic binaries qemu-user cannot run: then the ARM cases
# make their own glibc builds with the Debian cross compilers
NDK = bool(os.environ.get("ANDROID_NDK_HOME") or os.environ.get("ANDROID_NDK_ROOT"))

ROOT = Path(__file__).resolve().parents[1]

OPS = ("Conv,Gemm,Add,QuantizeLinear,DequantizeLinear,MaxPool,AveragePool,GlobalAveragePool,Reshape,"
       "Mul,Sigmoid,HardSwish,HardSigmoid,Swish,Tanh,Exp,Gelu,"
       "Resize,Softmax,LogSoftmax,Concat,Transpose,Gather,ReduceMax")  # the last line: tests/test_ops_data.py

CASES = {
    # target name -> engine ISA option
    "android-arm64-v8a": "neon,dotprod",
    "android-armeabi-v7a": "neon",
    "android-x86": "x86",  # i686: runs natively on an x86_64 host
    "host": "x86" if targets.get("host").arch == "x86_64" else "neon,dotprod",
}
if targets.get("host").arch != "x86_64":
    del CASES["android-x86"]


def _tool(name: str) -> str:
    cand = Path(sys.executable).parent / name
    return str(cand) if cand.is_file() else (shutil.which(name) or name)


def _machine_file(target: str, out: Path) -> Path | None:
    if target == "host":
        return None
    tc = gnu.SOURCE.detect(targets.get(target), "24")
    if not isinstance(tc, toolchains.base.Toolchain):
        pytest.skip(f"{target}: {tc.reason}")
    if tc.exe_wrapper is None and targets.get(target).qemu:
        pytest.skip(f"{target}: qemu-user not installed, kernel tests cannot run")
    f = out / "cross.ini"
    f.write_text(toolchains.machine_file_text(tc))
    return f


@pytest.fixture(scope="module")
def e2e_models(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """The example models as .sdkm (fp32 and int8), one input each, the expected outputs."""
    import numpy as np
    import onnx

    from sdkbuild import convert, sdkm
    from sdkbuild.convert import calibration as cal
    from sdkbuild.convert import quantize as Q

    folder = tmp_path_factory.mktemp("e2e")
    out = []
    for name, shape in (("mobilenetv2_224", (1, 3, 224, 224)), ("digits_cnn", (1, 1, 8, 8))):
        proto = onnx.load(ROOT / "examples" / "models" / f"{name}.onnx")
        m = convert.convert_model(proto, input_shapes={proto.graph.input[0].name: shape})
        rng = np.random.default_rng(len(name))
        inp = m.tensors[m.inputs[0]].name
        x = rng.normal(0, 1, shape).astype(np.float32)
        qm = Q.quantize_model(m, [{inp: rng.normal(0, 1, shape).astype(np.float32)} for _ in range(2)])
        x.tofile(folder / f"{name}.f32")
        outname = m.tensors[m.outputs[0]].name
        for kind, model, want in (("fp32", m, next(iter(cal.run_onnx(cal.to_onnx(m, record_all=False), [{inp: x}])))),
                                  ("int8", qm, Q.simulate(qm, {inp: x}))):
            sdkm.write(model, folder / f"{name}-{kind}.sdkm")
            out.append({"name": f"{name}-{kind}", "model": folder / f"{name}-{kind}.sdkm",
                        "input": folder / f"{name}.f32", "want": np.asarray(want[outname], dtype=np.float32)})
    from test_elementwise import _det_head  # the element-wise int8 ops of detectors

    rng = np.random.default_rng(7)
    m = _det_head(rng)
    x = rng.normal(0, 1, (1, 3, 10, 10)).astype(np.float32)
    qm = Q.quantize_model(m, [{"input": rng.normal(0, 1, x.shape).astype(np.float32)} for _ in range(3)])
    x.tofile(folder / "head.f32")
    for kind, model, want in (("fp32", m, next(iter(cal.run_onnx(cal.to_onnx(m, record_all=False), [{"input": x}])))),
                              ("int8", qm, Q.simulate(qm, {"input": x}))):
        sdkm.write(model, folder / f"head-{kind}.sdkm")
        out.append({"name": f"head-{kind}", "model": folder / f"head-{kind}.sdkm", "input": folder / "head.f32",
                    "want": np.asarray(want["y"], dtype=np.float32)})
    from test_hardening import acc_limit_e2e  # int32 accumulator limit and -128 weights (NEON: int16 pairs)
    from test_ops_data import e2e_models as data_family_models  # Resize/Softmax/data movement, fp32 + int8

    out.append(acc_limit_e2e(folder))
    return out + data_family_models(folder)


def _run_models(build: Path, target: str, models: list[dict], env: dict[str, str], out_dir: Path) -> None:
    """Each model on the best tier and the ref tier, 1 and 3 threads: int8 bit-exact with
    quantize.simulate(), fp32 within 1e-3 (relative to the largest logit) of onnxruntime."""
    import numpy as np

    wrapper: list[str] = []
    if target != "host":
        tc = gnu.SOURCE.detect(targets.get(target), "24")
        wrapper = list(tc.exe_wrapper or [])
    exe = build / "tests" / "run_model"
    x86 = "x86" in CASES[target]
    for m in models:
        # x86: the SSE4.1 tier too (CPUs without AVX2), forced with SDK_F32_GEMM / SDK_INT8_GEMM=sse41
        for tier in ("", "ref", "sse41") if x86 else ("", "ref"):
            for threads in (1, 3):
                out = out_dir / f"{m['name']}-{tier or 'best'}-{threads}.bin"
                run_env = dict(env, SDK_INT8_GEMM=tier, SDK_F32_GEMM=tier)
                r = subprocess.run([*wrapper, str(exe), str(m["model"]), str(m["input"]), str(threads), str(out)],
                                   capture_output=True, text=True, env=run_env, timeout=600)
                assert r.returncode == 0, r.stdout + r.stderr
                got = np.fromfile(out, dtype=np.float32).reshape(m["want"].shape)
                what = (target, m["name"], tier or "best", threads)
                if m["name"].endswith("int8"):
                    assert np.array_equal(got, m["want"]), what
                else:
                    scale = float(np.abs(m["want"]).max())
                    np.testing.assert_allclose(got, m["want"], rtol=0, atol=1e-3 * scale, err_msg=str(what))


@pytest.mark.parametrize("target", [
    # the ARM cases wait for the shared `sdkbuild test` run: on its worker (pytest -n N --dist loadgroup)
    pytest.param(t, marks=pytest.mark.xdist_group(ARM_GROUP)) if t in ARM_TEST_TARGETS else t for t in CASES])
def test_int8_kernels_bit_exact(target: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
                                e2e_models: list[dict]) -> None:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    shared_arm = target in ARM_TEST_TARGETS and not NDK
    if target == "host":
        # the development build of every op (shared with the other engine tests: one compile)
        build = runtime.build_dev_engine(tests=True).parent
    elif shared_arm:
        # ARM: the engine test builds of `sdkbuild test` (every op, as SDKs ship them, gnu cross
        # compilers), which has run all their tests under qemu: their log is read here
        _machine_file(target, tmp_path)  # skips when the cross compiler or qemu is missing
        project, res = arm_engine_tests(tmp_path_factory)
        assert res["rc"] == 0, res["stdout"][-4000:] + res["stderr"][-2000:]
        build = engine_test_build(project, target)
    else:
        build = tmp_path / "build"
        cross = _machine_file(target, tmp_path)
        setup = [_tool("meson"), "setup", str(build), str(paths.engine_dir()), f"-Dops={OPS}", "-Ddtypes=fp32,int8",
                 f"-Disa={CASES[target]}", "-Dtests=true", "-Dbuildtype=release"]
        if cross:
            setup += ["--cross-file", str(cross)]
        for cmd in (setup, [_tool("ninja"), "-C", str(build), "-j2", "tests/test_kernels", "tests/test_elementwise",
                            "tests/test_kernels_data", "tests/run_model"]):
            r = subprocess.run(cmd, capture_output=True, text=True, env=env)
            assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    # own log names: the shared build's folder may be tested by another worker at the same time
    logbase = f"kernels-{target}-{os.getpid()}"
    if shared_arm:
        log = dlog = (build / "meson-logs" / "testlog.txt").read_text()
    else:
        r = subprocess.run([_tool("meson"), "test", "-C", str(build), "--no-rebuild", "--logbase", logbase,
                            "kernels", "elementwise", "--print-errorlogs"], capture_output=True, text=True, env=env)
        log = (build / "meson-logs" / f"{logbase}.txt").read_text()
        assert r.returncode == 0, log[-4000:]
    assert "all kernel checks passed" in log and "all element-wise kernel checks passed" in log
    simd = "neon" if "neon" in CASES[target] else "avx2"
    for k in ("Sigmoid", "SiLU", "HardSwish", "Tanh", "Exp", "Gelu", "Gelu-tanh"):  # SIMD and scalar tiers vs ref
        assert f"elementwise {k:<10} scalar" in log
        assert f"elementwise {k:<10} {simd}" in log or (simd == "avx2" and "lacks AVX2/FMA" in log), (k, simd)
    if not shared_arm:
        r = subprocess.run([_tool("meson"), "test", "-C", str(build), "--no-rebuild", "--logbase", f"{logbase}-data",
                            "kernels_data", "--print-errorlogs"], capture_output=True, text=True, env=env)
        dlog = (build / "meson-logs" / f"{logbase}-data.txt").read_text()
        assert r.returncode == 0, dlog[-4000:]
    assert "all data-movement kernel checks passed" in dlog  # Softmax/Resize SIMD rows vs ref
    if "neon" in CASES[target]:
        assert "fp32 Softmax rows neon" in dlog and "fp32 Softmax lanes neon" in dlog and "Resize rows neon" in dlog
        assert "fp32 Resize op neon" in dlog
    if "x86" in CASES[target]:
        assert ("fp32 Softmax rows avx2" in dlog and "fp32 Resize op avx2" in dlog) or "lacks AVX2/FMA" in dlog
    for isa in CASES[target].split(","):
        if isa != "x86":
            assert f"int8 gemm kernel {isa}" in log and "bit-exact vs ref" in log
    if targets.get(target).arch == "arm64":
        assert "fp32 gemm kernel neon" in log and "fp32 conv kernels neon" in log
    if "neon" in CASES[target]:  # depthwise 3x3/5x5 and pooling: ARMv7 and AArch64 (engine/src/kernels/neon)
        for line in ("fp32 gemm kernel neon", "neon    : NaN/Inf/-0 epilogue as ref's", "fp32 conv kernels neon", "fp32 MaxPool     neon", "fp32 MaxPool 3x3/2 neon", "fp32 AveragePool neon", "int8 depthwise conv",
                     "int8 MaxPool", "int8 AveragePool", "fp32 depthwise 3x3/5x5 neon", "GlobalAveragePool neon",
                     "int8 winograd conv neon", "int8 Add ", "int8 Concat ", "QuantizeLinear f32->int8",
                     "fp32 winograd conv op: 12 geometries, constant weights bit-identical"):
            assert line in log, line
    if "x86" in CASES[target]:  # AVX2 GEMM tiles + depthwise vs ref, unless the CPU lacks AVX2
        assert "fp32 conv kernels avx2" in log or "lacks AVX2/FMA" in log
        assert "fp32 MaxPool     avx2  : 400 random geometries" in log or "lacks AVX2/FMA" in log
        # the AVX-512 tier (depthwise 3x3, stem) too where the CPU has it
        assert "fp32 conv kernels avx512" in log or "lacks AVX512F" in log or "lacks AVX2/FMA" in log
        # the SSE4.1 tier (forced on with the AVX2 tier off), unless the CPU lacks SSE4.1
        assert ("fp32 gemm kernel sse41" in log and "fp32 conv kernels sse41" in log
                and "sse41   : NaN/Inf/-0 epilogue as ref's" in log) or "lacks SSE4.1" in log
        # the 8-column-panel GEMM (Gemm, MatMul, Attention) on both tiers, NaN/Inf/-0 included
        assert "avx2    : NaN/Inf/-0 epilogue as ref's" in log or "lacks AVX2/FMA" in log
        assert ("avx512  : NaN/Inf/-0 epilogue as ref's" in log or "lacks AVX512F" in log
                or "lacks AVX2/FMA" in log)
        assert "int8 gemm kernel sse41   : 120 random cases bit-exact" in log or "sse41   : compiled in, CPU lacks" in log
    _run_models(build, target, e2e_models, env, tmp_path)


# --------------------------------------------------------------------------- depthwise rows on the host

@pytest.fixture(scope="module")
def host_engine_lib() -> Path:
    from sdkbuild import runtime

    return runtime.build_dev_engine()


def _dw_f32(C: int, H: int, W: int, k: int, stride: int, pad: int, act: int, seed: int):  # noqa: N803
    import numpy as np

    from sdkbuild import sdkm

    rng = np.random.default_rng(seed)
    m = sdkm.Model(name="dw")
    x = m.add_tensor(sdkm.Tensor("input", 1, (1, C, H, W), None))
    w = m.add_tensor(sdkm.Tensor("w", 1, (C, 1, k, k), rng.normal(0, 0.5, (C, 1, k, k)).astype(np.float32)))
    b = m.add_tensor(sdkm.Tensor("b", 1, (C,), rng.normal(0, 0.5, C).astype(np.float32)))
    oh, ow = (H + 2 * pad - k) // stride + 1, (W + 2 * pad - k) // stride + 1
    y = m.add_tensor(sdkm.Tensor("output", 1, (1, C, oh, ow), None))
    attrs: dict = {"pads": [pad] * 4, "strides": [stride, stride], "group": [C], "kernel_shape": [k, k],
                   "activation": [act]}
    fl: frozenset = frozenset()
    if act == 2:
        attrs["activation_params"], fl = [-0.5, 0.75], frozenset({"activation_params"})
    m.nodes.append(sdkm.Node("Conv", "dw", [x, w, b], [y], attrs, fl))
    m.inputs, m.outputs = [x], [y]
    return m


@pytest.mark.parametrize("W,k,stride,act", [(40, 3, 1, 1), (41, 3, 2, 2), (23, 5, 2, 1), (14, 3, 1, 2), (7, 3, 2, 0),
                                            (30, 3, 1, 3)])
def test_f32_depthwise_rows_vs_onnxruntime(host_engine_lib: Path, tmp_path: Path, W: int, k: int, stride: int,
                                           act: int) -> None:
    """fp32 depthwise rows (vector blocks with Relu/Clip applied in registers, scalar
    borders, other activations over the row) against onnxruntime, within 1e-5."""
    import numpy as np

    from sdkbuild import runtime, sdkm
    from sdkbuild.convert import calibration as cal

    m = _dw_f32(6, 9, W, k, stride, 1, act, W * 10 + k)
    sdkm.write(m, tmp_path / "dw.sdkm")
    rng = np.random.default_rng(W)
    xs = [{"input": (rng.normal(0, 1, (1, 6, 9, W)) * 2).astype(np.float32)} for _ in range(2)]
    with runtime.Engine(host_engine_lib) as eng:
        model = eng.load(tmp_path / "dw.sdkm")
        sess = model.session(1)
        for s, ref in zip(xs, cal.run_onnx(cal.to_onnx(m, record_all=False), xs), strict=True):
            np.testing.assert_allclose(sess.run(s)["output"], ref["output"], rtol=1e-5, atol=1e-5)
        sess.close()
        model.close()
