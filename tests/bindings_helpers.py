"""Shared by the bindings/packaging tests: a tiny real model and real engine builds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

from sdkbuild import bindings, paths, sdkm
from sdkbuild.convert import convert_model

ROOT = Path(__file__).resolve().parent.parent
NAMES = bindings.SdkNames(name="JniKit", version="2.3.4", java_package="com.example.jnikit", objc_prefix="JK",
                          min_sdk=24, ios_min_version="13.0")
TOOLS = Path(sys.executable).parent


def tiny_onnx(seed: int = 0) -> onnx.ModelProto:
    """X[1,6] -> Gemm(W 6x5, B 5) -> Relu -> Y[1,5]: ops the engine has, small enough to build fast."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((6, 5)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w", "b"], ["h"]), helper.make_node("Relu", ["h"], ["y"])],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])],
        [helper.make_tensor("w", TensorProto.FLOAT, w.shape, w.ravel()),
         helper.make_tensor("b", TensorProto.FLOAT, b.shape, b.ravel())],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model


def write_tiny_sdkm(path: Path, seed: int = 0) -> tuple[Path, onnx.ModelProto]:
    model = tiny_onnx(seed)
    sdkm.write(convert_model(model), path)
    return path, model


def storage_onnx() -> onnx.ModelProto:
    """y = float(x) for an int16 input x[4]: a model with a storage type at its boundary."""
    from onnx import TensorProto, helper

    g = helper.make_graph([helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT)], "int16",
                          [helper.make_tensor_value_info("x", TensorProto.INT16, [4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])


def onnxruntime_run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {"x": x})[0]


def build_engine_with_glue(work: Path, ops: list[str], glue: Path, include_dirs: list[Path], lib_name: str,
                           build_name: str = "engine-build") -> Path:
    """The host engine with the generated JNI glue compiled in, built straight with Meson, with
    the SDK's symbol prefix (lib_name) as sdkbuild builds it."""
    build = work / build_name
    env = dict(os.environ, PATH=f"{TOOLS}{os.pathsep}{os.environ.get('PATH', '')}")
    setup = [str(TOOLS / "meson"), "setup", str(build), str(paths.engine_dir()), f"-Dops={','.join(ops)}",
             f"-Dlib_name={lib_name}", f"-Dextra_sources={glue}",
             f"-Dextra_include_dirs={','.join(str(d) for d in include_dirs)}", "-Dexport_jni=true",
             f"-Dsymbol_prefix={lib_name}",
             "-Ddtypes=fp32"]
    for cmd in (setup, [str(TOOLS / "ninja"), "-C", str(build), "-j2"]):
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        assert r.returncode == 0, f"{' '.join(cmd)}\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
    return build / f"lib{lib_name}.so"



def java8_api_jar(dest: Path) -> Path:
    """The Java 8 platform API as a jar ProGuard can read as -libraryjars.

    Debian's ProGuard 6.2 reads class files up to Java 13, and the JDK 17 modules are
    Java 17 class files; the JDK's lib/ct.sym holds the API signatures javac uses for
    `--release 8` (entries under folders whose name contains "8"), stored as Java 17
    class files: taken as they are, with the class-file version set to 52 (Java 8).
    """
    import zipfile

    ct = bindings.find_jdk() / "lib" / "ct.sym"
    seen: set[str] = set()
    with zipfile.ZipFile(ct) as src, zipfile.ZipFile(dest, "w") as out:
        for name in src.namelist():
            parts = name.split("/")
            if len(parts) < 3 or "8" not in parts[0] or not name.endswith(".sig"):
                continue
            rel = "/".join(parts[2:])[:-4] + ".class"
            if rel in seen:
                continue
            seen.add(rel)
            data = bytearray(src.read(name))
            data[6:8] = (52).to_bytes(2, "big")
            out.writestr(rel, bytes(data))
    return dest


def shared_once(tmp_path_factory, name: str, make) -> Path:
    """Run make(folder) once per test session, also under pytest-xdist (workers share the
    session's base temp folder and wait on a file lock), and return the folder."""
    import fcntl

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # pytest-N/, shared by this session's workers only
    folder = base / f"shared-{name}"
    with open(base / f".shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".done").is_file():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            (folder / ".done").write_text("ok")
    return folder
