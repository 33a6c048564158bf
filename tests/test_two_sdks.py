"""Two SDKs built by sdkbuild in one app: TinyKit (tests/test_package.py: Gemm + Relu) and
BetaKit (Conv + Sigmoid + GlobalAveragePool), each with its own name and op set.

- Android: both AARs' classes.jar and x86_64 libraries (glibc stand-ins, loadable by the
  host JVM) in one JVM process, each running its own model against onnxruntime; a native
  consumer that includes both Prefab headers in one translation unit and links both
  libraries.
- iOS: both XCFrameworks' device archives force-loaded into one arm64 iOS executable
  (zig's clang and Mach-O linker), with the Objective-C layers calling both engines.

Before per-SDK symbol names, the iOS link failed with duplicate symbols, the JVM case
worked only by accident of RTLD_LOCAL, and the two Prefab modules shipped the same
sdkengine/engine.h declaring the same sdk_* functions.
"""

from __future__ import annotations

import json
import platform
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import onnx
import pytest
from bindings_helpers import ROOT, onnxruntime_run, shared_once, tiny_onnx
from ios_link import link as _link
from ios_link import zig as _zig
from ios_link import zig_env as _zig_env
from onnx import TensorProto, helper
from test_package import _make_project as make_tinykit

from sdkbuild.package import xcframework

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("package-project")]  # waits for it: one worker
SDKBUILD = Path(sys.executable).parent / "sdkbuild"
BETA_TOML = """\
[sdk]
name = "BetaKit"
version = "1.1.0"
java_package = "org.beta.kit"
objc_prefix = "BK"
targets = ["android-x86_64", "ios-arm64"]

[android]
toolchain = "gnu"

[engine]
dtypes = ["fp32"]

[models]
files = ["models/beta.onnx"]
"""


def beta_onnx() -> onnx.ModelProto:
    """x[1,3,8,8] -> Conv(4, 3x3, pad 1) -> Sigmoid -> GlobalAveragePool -> y[1,4,1,1]."""
    rng = np.random.default_rng(7)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32) * 0.5
    b = rng.standard_normal(4).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
         helper.make_node("Sigmoid", ["c"], ["s"]), helper.make_node("GlobalAveragePool", ["s"], ["y"])],
        "beta", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 1, 1])],
        [helper.make_tensor("w", TensorProto.FLOAT, w.shape, w.ravel()),
         helper.make_tensor("b", TensorProto.FLOAT, b.shape, b.ravel())])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model


def beta_input() -> np.ndarray:
    return np.linspace(-2.0, 2.0, 3 * 8 * 8, dtype=np.float32).reshape(1, 3, 8, 8)


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(SDKBUILD), *args], cwd=cwd, capture_output=True, text=True, timeout=900)


def _make_beta(root: Path) -> None:
    (root / "models").mkdir()
    onnx.save(beta_onnx(), root / "models" / "beta.onnx")
    (root / "sdk.toml").write_text(BETA_TOML)
    for cmd in (["build", "-j2"], ["package"]):
        r = _run(*cmd, cwd=root)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]


@pytest.fixture(scope="module")
def sdks(tmp_path_factory) -> dict[str, Path]:
    """The dist/ folders of both SDKs (TinyKit is shared with tests/test_package.py)."""
    tiny = shared_once(tmp_path_factory, "package-project", make_tinykit)
    beta = shared_once(tmp_path_factory, "beta-project", _make_beta)
    return {"tiny": tiny / "dist", "beta": beta / "dist"}


def _extract(aar: Path, names: dict[str, str], dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(aar) as z:
        for name, out in names.items():
            (dest / out).write_bytes(z.read(name))


def _kv(stdout: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in stdout.splitlines() if "=" in line)


def _floats(s: str) -> np.ndarray:
    return np.array([float(v) for v in s.split(",")], dtype=np.float32)


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64") or shutil.which("javac") is None,
                    reason="runs the AARs' x86_64 stand-in libraries in the host JVM")
def test_two_aars_in_one_jvm_each_run_their_own_model(sdks, tmp_path):
    t, b = tmp_path / "tiny", tmp_path / "beta"
    _extract(sdks["tiny"] / "TinyKit-0.3.0.aar", {"classes.jar": "classes.jar", "jni/x86_64/libtinykit.so": "lib.so",
                                                   "assets/tinykit/tiny.sdkm": "model.sdkm"}, t)
    _extract(sdks["beta"] / "BetaKit-1.1.0.aar", {"classes.jar": "classes.jar", "jni/x86_64/libbetakit.so": "lib.so",
                                                   "assets/betakit/beta.sdkm": "model.sdkm"}, b)
    cp = f"{t / 'classes.jar'}:{b / 'classes.jar'}"
    r = subprocess.run(["javac", "--release", "8", "-Xlint:-options", "-cp", cp, "-d", str(tmp_path / "cls"),
                        str(ROOT / "tests/java/TwoSdks.java"), str(ROOT / "tests/java/Checks.java")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    x_tiny = np.array([[0.5, -1.0, 2.0, 0.25, -0.75, 1.5]], dtype=np.float32)
    x_beta = beta_input()
    r = subprocess.run(["java", "-Xcheck:jni", f"-Dcom.example.tinykit.library.path={t / 'lib.so'}",
                        f"-Dorg.beta.kit.library.path={b / 'lib.so'}", "-cp", f"{cp}:{tmp_path / 'cls'}", "TwoSdks",
                        str(t / "model.sdkm"), ",".join(map(str, x_tiny.ravel())),
                        str(b / "model.sdkm"), ",".join(map(str, x_beta.ravel()))],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "WARNING" not in r.stderr, r.stderr
    kv = _kv(r.stdout)
    np.testing.assert_allclose(_floats(kv["tiny_out"]), onnxruntime_run(tiny_onnx(), x_tiny).ravel(),
                               rtol=1e-5, atol=1e-5)
    import onnxruntime as ort

    want = ort.InferenceSession(beta_onnx().SerializeToString(), providers=["CPUExecutionProvider"]).run(
        None, {"x": x_beta})[0]
    np.testing.assert_allclose(_floats(kv["beta_out"]), want.ravel(), rtol=1e-5, atol=1e-5)
    # each SDK runs its own engine: its own op set, and the other SDK's model is refused by name
    tiny_ops, beta_ops = json.loads(kv["tiny_ops"]), json.loads(kv["beta_ops"])
    assert "Gemm" in tiny_ops and "Conv" not in tiny_ops, tiny_ops  # (Relu is fused into the Gemm)
    assert {"Conv", "GlobalAveragePool"} <= set(beta_ops) and "Gemm" not in beta_ops, beta_ops
    assert kv["tiny_loads_beta"].startswith("UNSUPPORTED|") and "'Conv'" in kv["tiny_loads_beta"]
    assert kv["beta_loads_tiny"].startswith("UNSUPPORTED|") and "'Gemm'" in kv["beta_loads_tiny"]
    assert kv["tiny_sdk_version"] == "0.3.0" and kv["beta_sdk_version"] == "1.1.0"


def _prefab(aar: Path, lib: str, dest: Path) -> tuple[Path, Path]:
    """(include dir of the AAR's Prefab module, folder of its x86_64 library). The stand-in
    libraries are not in Prefab (no NDK built them): the library comes from jni/x86_64/."""
    with zipfile.ZipFile(aar) as z:
        names = [n for n in z.namelist() if n.startswith(f"prefab/modules/{lib}/")]
        for n in [*names, f"jni/x86_64/lib{lib}.so"]:
            if not n.endswith("/"):
                (dest / n).parent.mkdir(parents=True, exist_ok=True)
                (dest / n).write_bytes(z.read(n))
        assert f"prefab/modules/{lib}/include/sdkengine/engine.h" not in names  # no shared header name
        assert f"prefab/modules/{lib}/include/{lib}/engine.h" in names
    return dest / "prefab/modules" / lib / "include", dest / "jni/x86_64"


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64") or shutil.which("cc") is None,
                    reason="runs the x86_64 stand-in libraries on the host")
def test_native_consumer_includes_both_prefab_headers_and_links_both(sdks, tmp_path):
    ti, tl = _prefab(sdks["tiny"] / "TinyKit-0.3.0.aar", "tinykit", tmp_path / "t")
    bi, bl = _prefab(sdks["beta"] / "BetaKit-1.1.0.aar", "betakit", tmp_path / "b")
    src = tmp_path / "consumer.c"
    src.write_text(r'''
#include <stdio.h>
#include <tinykit/engine.h>
#include <betakit/engine.h>
/* both SDKs' C APIs in one translation unit: every name carries its SDK's prefix */
#define RUN(P, PU, path, x, n, y, m) do {                                                    \
    P##_sdk_model *model = NULL; P##_sdk_session *s = NULL;                                  \
    if (P##_sdk_model_load_file(path, &model) != PU##_SDK_OK) { puts(P##_sdk_last_error()); return 1; } \
    if (P##_sdk_session_create(model, NULL, &s) != PU##_SDK_OK) return 2;                    \
    if (P##_sdk_session_set_input_f32(s, 0, x, n) != PU##_SDK_OK) return 3;                  \
    if (P##_sdk_session_run(s) != PU##_SDK_OK) return 4;                                     \
    if (P##_sdk_session_get_output_f32(s, 0, y, m) != PU##_SDK_OK) return 5;                 \
    printf(#P "_out=");                                                                      \
    for (int i = 0; i < (int)(m); ++i) printf(i ? ",%.9g" : "%.9g", (double)y[i]);           \
    printf("\n");                                                                            \
    P##_sdk_session_free(s); P##_sdk_model_free(model);                                      \
} while (0)
int main(int argc, char **argv) {
    (void)argc;
    float xt[6] = {0.5f, -1.0f, 2.0f, 0.25f, -0.75f, 1.5f}, yt[5], xb[192], yb[4];
    for (int i = 0; i < 192; ++i) xb[i] = -2.0f + 4.0f * (float)i / 191.0f;
    RUN(tinykit, TINYKIT, argv[1], xt, 6, yt, 5);
    RUN(betakit, BETAKIT, argv[2], xb, 192, yb, 4);
    betakit_sdk_model *m = NULL;  /* the other SDK's model: refused, naming the op */
    int st = (int)betakit_sdk_model_load_file(argv[1], &m);
    printf("beta_loads_tiny=%d|%s\n", st, betakit_sdk_last_error());
    return 0;
}
''')
    exe = tmp_path / "consumer"
    r = subprocess.run(["cc", "-std=c99", "-Wall", "-Werror", "-I", str(ti), "-I", str(bi), str(src),
                        "-L", str(tl), "-L", str(bl), "-ltinykit", "-lbetakit",
                        f"-Wl,-rpath,{tl}:{bl}", "-o", str(exe)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    models = {}
    for key, aar, name in (("tiny", "TinyKit-0.3.0.aar", "assets/tinykit/tiny.sdkm"),
                           ("beta", "BetaKit-1.1.0.aar", "assets/betakit/beta.sdkm")):
        with zipfile.ZipFile(sdks[key] / aar) as z:
            models[key] = tmp_path / Path(name).name
            models[key].write_bytes(z.read(name))
    r = subprocess.run([str(exe), str(models["tiny"]), str(models["beta"])], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    kv = _kv(r.stdout)
    x = np.array([[0.5, -1.0, 2.0, 0.25, -0.75, 1.5]], dtype=np.float32)
    np.testing.assert_allclose(_floats(kv["tinykit_out"]), onnxruntime_run(tiny_onnx(), x).ravel(), rtol=1e-5,
                               atol=1e-5)
    import onnxruntime as ort

    want = ort.InferenceSession(beta_onnx().SerializeToString(), providers=["CPUExecutionProvider"]).run(
        None, {"x": beta_input()})[0]
    np.testing.assert_allclose(_floats(kv["betakit_out"]), want.ravel(), rtol=1e-5, atol=1e-5)
    assert kv["beta_loads_tiny"].startswith("4|") and "'Gemm'" in kv["beta_loads_tiny"]


# ---------------------------------------------------------------------------- iOS


def test_two_xcframeworks_force_loaded_into_one_ios_binary(sdks, tmp_path):
    zig = _zig()
    tiny = sdks["tiny"] / "TinyKit.xcframework/ios-arm64"
    beta = sdks["beta"] / "BetaKit.xcframework/ios-arm64"
    app = tmp_path / "app.m"
    app.write_text(r'''
#import "TinyKit/TinyKit.h"
#import "BetaKit/BetaKit.h"
int main(int argc, char **argv) {
    (void)argc;
    NSError *error = nil;
    NSString *tinyPath = [NSString stringWithUTF8String:argv[1]];
    NSString *betaPath = [NSString stringWithUTF8String:argv[2]];
    TKModel *a = [[TKModel alloc] initWithPath:tinyPath error:&error];
    BKModel *b = [[BKModel alloc] initWithPath:betaPath error:&error];
    TKSession *sa = [a sessionWithThreads:1 error:&error];
    BKSession *sb = [b sessionWithThreads:2 error:&error];
    float x[6] = {0};
    [sa setInputFloats:x count:6 atIndex:0 error:&error];
    [sa runWithError:&error];
    [sb runWithError:&error];
    /* the C APIs of both, side by side */
    tinykit_sdk_model *ca = NULL;
    betakit_sdk_model *cb = NULL;
    return (int)tinykit_sdk_model_load_file(argv[1], &ca) + (int)betakit_sdk_model_load_file(argv[2], &cb)
        + (int)[TKEngine version].length + (int)[BKEngine version].length;
}
''')
    obj = tmp_path / "app.o"
    standin = ROOT / "bindings/apple-standin"
    r = subprocess.run([*zig, "-O2", "-fno-sanitize=undefined", "-fobjc-arc", "-nostdlibinc", "-isystem", str(standin), "-I", str(tiny / "Headers"),
                        "-I", str(beta / "Headers"), "-Wall", "-Werror", "-c", str(app), "-o", str(obj)],
                       capture_output=True, text=True, env=_zig_env(tmp_path))
    assert r.returncode == 0, r.stderr[-3000:]
    archives = [tiny / "libtinykit.a", beta / "libbetakit.a"]
    exe = tmp_path / "app"
    r = _link(zig, [obj], archives, tmp_path, exe)
    assert r.returncode == 0, r.stderr[-4000:]
    nm = xcframework.find_tool("llvm-nm")
    syms = subprocess.run([nm, "-j", str(exe)], capture_output=True, text=True).stdout.split()
    for s in ("_tinykit_sdk_model_load_file", "_betakit_sdk_model_load_file", "_OBJC_CLASS_$_TKModel",
              "_OBJC_CLASS_$_BKModel", "_tinykit_sdk_op_gemm", "_betakit_sdk_op_conv"):
        assert s in syms, s
    # each engine has its own op set, and nothing of either is left unprefixed
    assert "_tinykit_sdk_op_conv" not in syms and "_betakit_sdk_op_gemm" not in syms
    assert not [s for s in syms if s.startswith(("_sdk_", "__ZN3sdk", "__ZNK3sdk"))]
    head = subprocess.run([xcframework.find_tool("llvm-objdump"), "--macho", "--private-headers", str(exe)],
                          capture_output=True, text=True).stdout
    assert re.search(r"platform ios\b", head) and re.search(r"\bEXECUTE\b", head)

    # the linker does catch duplicates: the same SDK force-loaded twice fails to link
    twice = tmp_path / "libtinykit-copy.a"
    shutil.copyfile(archives[0], twice)
    r = _link(zig, [obj], [*archives, twice], tmp_path, tmp_path / "dup")
    assert r.returncode != 0 and "duplicate symbol" in r.stderr and "tinykit_sdk" in r.stderr
