"""The generated JNI glue + Java API, for real: engine library with the glue compiled in,
Java 8 bytecode from javac --release 8, a JVM running a small program against a model."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from bindings_helpers import (
    NAMES,
    ROOT,
    build_engine_with_glue,
    onnxruntime_run,
    shared_once,
    storage_onnx,
    tiny_onnx,
    write_tiny_sdkm,
)

from sdkbuild import bindings, sdkm
from sdkbuild.convert import convert_model
from sdkbuild.package import aar

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("javac") is None or shutil.which("java") is None, reason="needs a JDK"),
]
JAVA_TESTS = ROOT / "tests" / "java"


def _make_jni_sdk(work: Path) -> None:
    model_path, _ = write_tiny_sdkm(work / "tiny.sdkm")
    sdkm.write(convert_model(storage_onnx(), input_shapes={"x": (4,)}), work / "int16.sdkm")
    ops = sorted({*sdkm.read(model_path).ops_used(), "Cast"})
    tb = bindings.emit_for_target(NAMES, "host", work / "build")
    build_engine_with_glue(work, ops, tb.sources[0], list(tb.include_dirs), NAMES.lib_name)
    jar = aar.build_classes_jar(NAMES, work / "classes.jar")
    r = subprocess.run(["javac", "--release", "8", "-Xlint:-options", "-cp", str(jar), "-d", str(work / "test-classes"),
                        str(JAVA_TESTS / "JniSmoke.java"), str(JAVA_TESTS / "NativeResolve.java"),
                        str(JAVA_TESTS / "LimitsAndKeys.java"), str(JAVA_TESTS / "Checks.java")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.fixture(scope="module")
def jni_sdk(tmp_path_factory):
    """Engine + glue, classes.jar and the test programs, built once per session (xdist-shared)."""
    work = shared_once(tmp_path_factory, "jni-sdk", _make_jni_sdk)
    return {"work": work, "lib": work / "engine-build" / f"lib{NAMES.lib_name}.so", "jar": work / "classes.jar",
            "classes": work / "test-classes", "model": work / "tiny.sdkm"}


def _java(sdk, main: str, *args: str) -> subprocess.CompletedProcess:
    cp = f"{sdk['jar']}:{sdk['classes']}"
    cmd = ["java", "-Xcheck:jni", f"-D{NAMES.java_package}.library.path={sdk['lib']}", "-cp", cp, main, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def _kv(stdout: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in stdout.splitlines() if "=" in line)


def _floats(s: str) -> np.ndarray:
    return np.array([float(v) for v in s.split(",")], dtype=np.float32)


def test_library_exports_only_the_c_api_and_jni_onload(jni_sdk):
    out = subprocess.run(["nm", "-D", "--defined-only", str(jni_sdk["lib"])], capture_output=True, text=True).stdout
    names = {line.split()[-1] for line in out.splitlines() if line.strip()}
    assert "JNI_OnLoad" in names
    assert not [n for n in names if n.startswith("Java_")]
    # the C API under the SDK's own prefix (engine/tools/symbol_prefix.py), nothing else
    assert all(n.startswith(f"{NAMES.c_prefix}_sdk_") or n == "JNI_OnLoad" for n in names), sorted(names)
    assert f"{NAMES.c_prefix}_sdk_session_run" in names
    needed = subprocess.run(["readelf", "-d", str(jni_sdk["lib"])], capture_output=True, text=True).stdout
    assert "libstdc++" not in needed and "libc++" not in needed


def test_classes_are_java8_bytecode(jni_sdk):
    with zipfile.ZipFile(jni_sdk["jar"]) as z:
        classes = [n for n in z.namelist() if n.endswith(".class")]
        assert {f"com/example/jnikit/{c}.class" for c in ("Model", "Session", "SdkException", "Engine", "TensorInfo")} \
            <= set(classes)
        for n in classes:
            head = z.read(n)[:8]
            assert head[:4] == b"\xca\xfe\xba\xbe"
            assert int.from_bytes(head[6:8], "big") == 52, f"{n} is not Java 8 bytecode"


def test_jvm_runs_model_and_matches_onnxruntime(jni_sdk):
    x = np.linspace(-1.5, 2.0, 6, dtype=np.float32).reshape(1, 6)
    r = _java(jni_sdk, "JniSmoke", str(jni_sdk["model"]), ",".join(repr(float(v)) for v in x.ravel()),
              str(jni_sdk["work"] / "int16.sdkm"))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "WARNING" not in r.stderr, r.stderr  # -Xcheck:jni complaints
    kv = _kv(r.stdout)
    assert kv["done"] == "ok"
    want = onnxruntime_run(tiny_onnx(), x).ravel()
    for key in ("out_file", "out_named", "out_bytes", "out_direct", "out_buffer", "out_after_model_close"):
        np.testing.assert_allclose(_floats(kv[key]), want, rtol=1e-5, atol=1e-5, err_msg=key)
    assert re.fullmatch(r"\d+\.\d+\.\d+", kv["version"])
    assert kv["sdk_version"] == NAMES.version
    assert kv["build_info"].startswith("{") and "Gemm" in kv["build_info"]
    assert kv["input"] == "x:F32:[1, 6]:24" and kv["output"] == "y:F32:[1, 5]:20"
    weights, arena, lower, naive = map(int, kv["memory"].split(","))
    assert weights >= (6 * 5 + 5) * 4 and 0 < lower <= arena <= naive
    # error paths carry the engine's status and message
    assert kv["bad_model"].startswith("BAD_MODEL|") and len(kv["bad_model"]) > len("BAD_MODEL|") + 10
    assert kv["corrupt_model"].startswith("BAD_MODEL|") and "CRC" in kv["corrupt_model"].upper()
    assert kv["missing_file"].startswith("IO|") and "tiny.sdkm.missing" in kv["missing_file"]
    assert kv["storage_model"].startswith("UNSUPPORTED|model input 'x' has a storage element type (code 8: int16"), kv
    assert "the Java API does not take" in kv["storage_model"]
    assert kv["wrong_size"].startswith("INVALID_ARGUMENT|") and "6" in kv["wrong_size"]
    assert kv["before_run"].startswith("STATE|") and "call run() first" in kv["before_run"]
    assert kv["bad_index"] == "input index 7 out of range: the model has 1 input"
    # messages speak Java: no C function names
    for key in ("bad_model", "corrupt_model", "missing_file", "wrong_size", "before_run", "stale_input", "bad_index"):
        assert "sdk_" not in kv[key], (key, kv[key])
    assert "not direct" in kv["heap_buffer"]
    assert kv["after_close"] == "Session is closed"
    before, peak, after = map(int, kv["leak_check"].split(","))
    assert peak >= before + 400 and after <= before


def test_memory_limits_and_encrypted_models_from_java(jni_sdk, tmp_path):
    """ModelOptions/SessionOptions limits on every loading path (a copy counts, memory used in
    place does not), and a model encrypted by `sdkbuild convert --encrypt` decrypted by
    javax.crypto: right key runs as the plain model, wrong key or a flipped byte is refused."""
    import onnx
    import onnx.numpy_helper

    from sdkbuild import protect

    key = protect.new_key()
    onnx.save(tiny_onnx(), tmp_path / "tiny.onnx")
    enc = tmp_path / "tiny.enc.sdkm"
    r = subprocess.run([sys.executable, "-m", "sdkbuild.cli", "convert", str(tmp_path / "tiny.onnx"), "-o", str(enc),
                        "--encrypt"], capture_output=True, text=True, env={**os.environ, "SDKBUILD_MODEL_KEY": key})
    assert r.returncode == 0, r.stderr
    assert enc.read_bytes()[:4] == b"SDKE"
    x = np.linspace(-1.5, 2.0, 6, dtype=np.float32).reshape(1, 6)
    # where the decrypted model holds its bias (5 floats): Java changes them after loading, to see
    # that the model reads the decrypted memory in place
    bias = onnx.numpy_helper.to_array(tiny_onnx().graph.initializer[1]).astype("<f4").tobytes()
    plain = protect.decrypt(enc.read_bytes(), bytes.fromhex(key))
    assert plain.count(bias) == 1
    r = _java(jni_sdk, "LimitsAndKeys", str(jni_sdk["model"]), str(enc), key, ",".join(repr(float(v)) for v in x.ravel()),
              str(plain.index(bias)), "5")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "WARNING" not in r.stderr, r.stderr  # -Xcheck:jni complaints
    kv = _kv(r.stdout)
    assert kv["done"] == "ok"
    np.testing.assert_allclose(_floats(kv["reference"].strip("[]").replace(" ", "")),
                               onnxruntime_run(tiny_onnx(), x).ravel(), rtol=1e-5, atol=1e-5)
    # bad values name the option and the default
    assert kv["bad_max_model"] == "maxModelBytes must be a positive number of bytes, got 0 (the default is 1073741824)"
    assert kv["bad_max_session"].startswith("maxSessionBytes must be a positive number of bytes, got -1")
    assert kv["bad_key"].startswith("the model key is 16 bytes; AES-256 needs 32")
    # a copy of the file counts against the limit; a mapped file, mapped buffer or mapped asset range do not
    copied, mapped, buffer, rng, stream = map(int, kv["least_limits"].split(","))
    size = jni_sdk["model"].stat().st_size
    assert copied == mapped + size and mapped == buffer == rng and stream == copied and 0 < mapped < size
    # over a limit: the engine's message in Java's terms
    assert re.fullmatch(r"the model needs \d+ bytes for the copy of the file, over its limit of \d+: raise "
                        r"ModelOptions\.setMaxModelBytes\(\) if you trust the model", kv["model_over"]), kv["model_over"]
    assert "SessionOptions.setMaxSessionBytes()" in kv["session_over"] and "over its limit of 16" in kv["session_over"]
    least_session, arena = map(int, kv["least_session"].split(","))
    assert least_session > arena
    # encrypted: every source loads with the key and matches the plain model, decrypted in place
    assert kv["encrypted_loads"] == "9"
    assert kv["in_place"] == "true"
    assert kv["no_key"] == f"{enc}: the model is encrypted: pass its 32-byte key: Model.load(..., key) or " \
        "ModelOptions.setKey() (the SDK decrypts it with javax.crypto)"
    assert kv["no_key_bytes"] == kv["no_key"].removeprefix(f"{enc}: ")
    wrong = "the model could not be decrypted: wrong key or damaged file (AES-GCM authentication failed)"
    for k in ("wrong_key", "flipped_header", "flipped_nonce", "flipped_ciphertext", "flipped_tag"):
        assert kv[k] == wrong, (k, kv[k])
    assert kv["truncated"] == "the encrypted model is 30 bytes, shorter than its 20-byte header and 16-byte tag (truncated?)"
    plain_size = len(plain)
    assert plain_size == enc.stat().st_size - 36
    assert kv["decrypted_over"] == (f"the model needs {plain_size} bytes for its decrypted copy, over its limit of "
                                    f"{plain_size - 1}: raise ModelOptions.setMaxModelBytes() if you trust the model")
    assert kv["decrypted_tables_over"].startswith(f"the decrypted model takes {plain_size} bytes of its limit of "
                                                  f"{plain_size + 1}, leaving 1: the model needs ")
    # the decrypted copy counts against the limit as a copy of the file does
    assert int(kv["least_decrypted"]) == plain_size + (copied - size)
    assert kv["missing"].startswith(f"cannot read model file '{enc}.missing'")


def test_every_declared_native_resolves(jni_sdk):
    classes = []
    with zipfile.ZipFile(jni_sdk["jar"]) as z:
        for n in z.namelist():
            if n.endswith(".class") and "$" not in n:
                classes.append(n[:-6].replace("/", "."))
    r = _java(jni_sdk, "NativeResolve", str(jni_sdk["model"]), *sorted(classes))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    declared = sum(len(c.natives) for c in bindings.load_api().classes)
    assert _kv(r.stdout)["natives"] == str(declared)
    assert "UNRESOLVED" not in r.stdout


@pytest.mark.skipif(shutil.which("proguard") is None, reason="needs ProGuard (apt-get install proguard-cli)")
def test_consumer_proguard_rules_keep_what_jni_registers(jni_sdk, tmp_path):
    """Shrink + obfuscate an app that uses a few SDK methods: with the AAR's consumer rules
    it still loads and runs; without them JNI_OnLoad cannot register the natives."""
    from bindings_helpers import java8_api_jar

    app = tmp_path / "app"
    r = subprocess.run(["javac", "--release", "8", "-Xlint:-options", "-cp", str(jni_sdk["jar"]), "-d", str(app),
                        str(JAVA_TESTS / "ShrunkApp.java")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rules = tmp_path / "gen"
    bindings.render(NAMES, rules, ["java"])
    api_jar = java8_api_jar(tmp_path / "java8-api.jar")

    def shrink(out: Path, with_rules: bool) -> subprocess.CompletedProcess:
        cfg = [f"-injars {app}", f"-injars {jni_sdk['jar']}(!META-INF/**)", f"-outjars {out}",
               f"-libraryjars {api_jar}", "-keep public class ShrunkApp { public static void main(java.lang.String[]); }",
               "-dontnote", f"-printmapping {out}.map"]
        if with_rules:
            cfg.append(f"-include {rules / 'android/proguard.txt'}")  # (its -dontwarn covers AndroidX's annotations)
        else:
            cfg.append("-dontwarn androidx.annotation.**")  # an app with AndroidX has them; this test app has not
        (tmp_path / "cfg.pro").write_text("\n".join(cfg) + "\n")
        r = subprocess.run(["proguard", f"@{tmp_path / 'cfg.pro'}"], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        return subprocess.run(["java", f"-D{NAMES.java_package}.library.path={jni_sdk['lib']}", "-cp", str(out),
                               "ShrunkApp", str(jni_sdk["model"])], capture_output=True, text=True, timeout=60)

    kept = shrink(tmp_path / "kept.jar", True)
    assert kept.returncode == 0, kept.stderr
    mapping = (tmp_path / "kept.jar.map").read_text()
    assert "com.example.jnikit.NativeResource -> com.example.jnikit.NativeResource" not in mapping  # obfuscated
    got = _floats(_kv(kept.stdout)["out"])
    want = onnxruntime_run(tiny_onnx(), np.arange(1, 7, dtype=np.float32).reshape(1, 6)).ravel()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    stripped = shrink(tmp_path / "stripped.jar", False)
    assert stripped.returncode != 0
    assert re.search(r"UnsatisfiedLinkError|NoSuchMethodError|NoClassDefFoundError", stripped.stderr), stripped.stderr
