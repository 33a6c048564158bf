"""Family C kernels on ARM under qemu (and i686): ConvTranspose, LayerNormalization,
batched MatMul and the fused Attention run on the packed-GEMM tiles (NEON / SSE) and on the
ref tier (SDK_F32_GEMM=ref), 1 and 3 threads, against onnxruntime. Cross builds of
engine/tests/run_model with only the ops these models use (slow: one engine build per
target, ~70 s each). arm64 runs in the suite; armeabi-v7a and i686 only with
SDKBUILD_TEST_ALL_TARGETS=1 (CI time)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from onnx import helper
from test_kernels import CASES, _machine_file, _tool
from test_ops_nn import _attention_model, model, ort_run, rnd

from sdkbuild import paths, sdkm, targets
from sdkbuild.convert import convert_model_report
from sdkbuild.toolchains import gnu

pytestmark = pytest.mark.slow

OPS = "ConvTranspose,LayerNormalization,GroupNormalization,MatMul,Attention,Reshape,Transpose,Gemm,Mul,Add"


def _models(folder: Path) -> list[dict]:
    rng = np.random.default_rng(20)
    consts = {"w": rnd(rng, 8, 6, 3, 3, scale=0.3), "b": rnd(rng, 6), "shape": np.array([1, 6, 441], np.int64),
              "s": rnd(rng, 441), "bb": rnd(rng, 441), "gs": rnd(rng, 6), "gb": rnd(rng, 6)}
    nodes = [helper.make_node("ConvTranspose", ["x", "w", "b"], ["ct"], strides=[2, 2]),  # [1, 6, 21, 21]
             helper.make_node("GroupNormalization", ["ct", "gs", "gb"], ["gn"], num_groups=3),
             helper.make_node("Reshape", ["gn", "shape"], ["r"]),
             helper.make_node("LayerNormalization", ["r", "s", "bb"], ["ln"], axis=-1),
             helper.make_node("Transpose", ["ln"], ["t"], perm=[0, 2, 1]),
             helper.make_node("MatMul", ["ln", "t"], ["y"])]
    xv = rnd(rng, 1, 8, 10, 10)
    vision = model(nodes, {"x": xv}, consts, ["y"], opset=21)
    attn, feeds = _attention_model(B=1, S=40, H=2, D=16, mask=False, qscale=True, rank3=False, seed=21)
    out = []
    for name, m, x in (("vision", vision, xv), ("attention", attn, feeds["x"])):
        conv, report = convert_model_report(m)
        sdkm.write(conv, folder / f"{name}.sdkm")
        x.astype(np.float32).tofile(folder / f"{name}.f32")
        out.append({"name": name, "model": folder / f"{name}.sdkm", "input": folder / f"{name}.f32",
                    "want": ort_run(m, {m.graph.input[0].name: x})[0], "ops": report.ops})
    assert "Attention" in out[1]["ops"]
    return out


ALL_TARGETS = os.environ.get("SDKBUILD_TEST_ALL_TARGETS") == "1"


@pytest.mark.parametrize("target", [t for t in ("android-arm64-v8a", "android-armeabi-v7a", "android-x86")
                                    if t in CASES and (ALL_TARGETS or t == "android-arm64-v8a")])
def test_family_c_kernels_cross(target: str, tmp_path: Path) -> None:
    build = tmp_path / "build"
    cross = _machine_file(target, tmp_path)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    setup = [_tool("meson"), "setup", str(build), str(paths.engine_dir()), f"-Dops={OPS}", "-Ddtypes=fp32,int8",
             f"-Disa={CASES[target]}", "-Dtests=true", "-Dbuildtype=release"]
    if cross:
        setup += ["--cross-file", str(cross)]
    for cmd in (setup, [_tool("ninja"), "-C", str(build), "-j2", "tests/run_model"]):
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    wrapper = list(gnu.SOURCE.detect(targets.get(target), "24").exe_wrapper or [])
    for m in _models(tmp_path):
        for tier in ("", "ref"):
            for threads in (1, 3):
                out = tmp_path / f"{m['name']}-{tier or 'best'}-{threads}.bin"
                r = subprocess.run([*wrapper, str(build / "tests" / "run_model"), str(m["model"]), str(m["input"]),
                                    str(threads), str(out)], capture_output=True, text=True,
                                   env=dict(env, SDK_F32_GEMM=tier), timeout=600)
                assert r.returncode == 0, r.stdout + r.stderr
                got = np.fromfile(out, dtype=np.float32).reshape(m["want"].shape)
                scale = max(1.0, float(np.abs(m["want"]).max()))
                np.testing.assert_allclose(got, m["want"], rtol=0, atol=1e-4 * scale,
                                           err_msg=str((target, m["name"], tier or "best", threads)))
