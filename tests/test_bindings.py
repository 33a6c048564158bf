"""The API description and the renderer: checks against engine.h, consistency of the
JNI boundary across Java and C++, completeness per language, and the CLI command."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import onnx
import pytest
from bindings_helpers import NAMES, tiny_onnx
from click.testing import CliRunner

from sdkbuild import bindings, paths
from sdkbuild.cli import cli
from sdkbuild.errors import SdkbuildError

API_TOML = paths.bindings_dir() / "api.toml"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("render")
    bindings.render(NAMES, out)
    return out


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    text = API_TOML.read_text()
    assert old in text
    p = tmp_path / "api.toml"
    p.write_text(text.replace(old, new, 1))
    return p


def test_description_matches_engine_header():
    api = bindings.load_api()
    header = (paths.engine_dir() / "include/sdkengine/engine.h").read_text()
    for s in api.statuses:
        name = "SDK_OK" if s.code == 0 else f"SDK_ERR_{s.name}"
        assert re.search(rf"\b{name} = {s.code}\b", header)
    assert [d.name for d in api.dtypes][:7] == ["F32", "I8", "I32", "U8", "I64", "BOOL", "F16"]
    # the storage types follow (models using them at their boundary are refused at load)
    assert [d.code for d in api.dtypes][7:] == list(range(8, 23))
    assert {c.name for c in api.classes} >= {"Engine", "Model", "Session", "TensorInfo", "SdkException"}


@pytest.mark.parametrize("old,new,message", [
    ('name = "BAD_MODEL"\ncode = 3', 'name = "BAD_MODEL"\ncode = 9', "does not match engine.h"),
    ('params = ["long handle", "int threads", "long maxSessionBytes"]',
     'params = ["long handle", "double threads", "long maxSessionBytes"]', "bad parameter"),
    ("max_model_bytes = 1073741824", "max_model_bytes = 1073741825", "limits.max_model_bytes: 1073741825 does not "
     "match engine.h"),
    ("max_session_bytes = 1073741824\n", "", r"expected exactly \['max_model_bytes', 'max_session_bytes'\]"),
    ('engine = "sdk_model_options.max_model_bytes"\n', "", r"message\[1\]: missing key 'engine'"),
    ('c_api = ["sdk_session_run"]', 'c_api = ["sdk_session_go"]', "sdk_session_go"),
    ('name = "nRun"\nparams = ["long handle"]', 'name = "nRun"\nparams = ["int index"]', "long handle"),
    ("schema = 1", "schema = 2", "schema"),
    ('languages = ["objc"]', 'languages = ["kotlin"]', "unknown languages"),
])
def test_bad_descriptions_are_rejected_with_the_reason(tmp_path, old, new, message):
    with pytest.raises(SdkbuildError, match=message):
        bindings.load_api(_edited(tmp_path, old, new))


def test_every_rewritten_engine_text_is_still_in_the_engine():
    """[[message]] rewrites engine wording into each language's: each piece must still be what the
    engine writes (C string literals joined), or the rewrite would silently stop applying."""
    sources = "".join(p.read_text() for p in sorted((paths.engine_dir() / "src").rglob("*.cpp")))
    joined = re.sub(r'"\s*\n\s*"', "", sources)  # "a " \n "b" -> "a b"
    api = bindings.load_api()
    assert len(api.messages) >= 4
    for m in api.messages:
        for part in m.engine_parts:
            assert part in joined, part
        for lang in ("java", "objc"):
            assert "sdk_" not in dict(api.rewrites(lang, NAMES))[m.engine]
    assert ("sdk_model_options.max_model_bytes", "JKModelOptions.maxModelBytes") in api.rewrites("objc", NAMES)


def test_a_status_missing_from_the_description_is_an_error(tmp_path):
    text = API_TOML.read_text()
    block = '[[status]]\nname = "INTERNAL"\ncode = 7\ndoc = "An internal engine error."\n'
    assert block in text
    p = tmp_path / "api.toml"
    p.write_text(text.replace(block, ""))
    with pytest.raises(SdkbuildError, match="ERR_INTERNAL"):
        bindings.load_api(p)


def test_every_language_must_render_every_method(tmp_path):
    p = _edited(tmp_path, '[[class.method]]\nname = "run"\n',
                '[[class.method]]\nname = "warmUp"\ndoc = "Runs once to warm caches."\n\n[[class.method]]\nname = "run"\n')
    with pytest.raises(SdkbuildError, match=r"Session\.warmUp"):
        bindings.render(NAMES, tmp_path / "out", ["java"], api=bindings.load_api(p))


def test_jni_descriptors():
    api = bindings.load_api()
    session = {n.name: n for n in api.cls("Session").natives}
    assert session["nSetInputDirect"].descriptor == "(JILjava/nio/ByteBuffer;II)V"
    assert session["nGetOutputFloats"].descriptor == "(JI[F)V"
    model = {n.name: n for n in api.cls("Model").natives}
    assert model["nLoadFile"].descriptor == "(Ljava/lang/String;J)J"
    assert model["nTensorInfo"].descriptor == "(JZI[J)Ljava/lang/String;"
    assert model["nLoadFile"].java_decl == ("private static native long nLoadFile(String path, long maxModelBytes) "
                                            "throws SdkException;")
    assert model["nAlignOffset"].java_decl == "private static native int nAlignOffset(ByteBuffer buffer);"


def test_java_declarations_and_glue_registrations_agree(rendered):
    api = bindings.load_api()
    glue = (rendered / "jni/sdk_jni.cpp").read_text()
    registered = set(re.findall(r"SDK_NATIVE\((\w+), (\w+), \"([^\"]+)\"\)", glue))
    declared = set()
    for cls in api.native_classes:
        java = (rendered / f"java/com/example/jnikit/{cls.name}.java").read_text()
        for m in re.finditer(r"private (static )?native (\S+) (\w+)\(", java):
            declared.add((cls.name, m[3]))
    assert {(c, n) for c, n, _ in registered} == declared
    assert len(registered) == sum(len(c.natives) for c in api.classes)
    # the glue exports nothing but JNI_OnLoad: natives live in an anonymous namespace
    assert glue.count("JNIEXPORT") == 1 and not re.search(r"\bJava_\w+\(", glue)
    rules = (rendered / "android/proguard.txt").read_text()
    for cls in api.native_classes:
        assert f"-keep class com.example.jnikit.{cls.name} {{" in rules
    assert "<init>(int, java.lang.String);" in rules


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
def test_glue_needs_no_cxx_standard_library(rendered):
    jni = bindings.jni_include_dirs()
    cmd = ["g++", "-std=c++17", "-fsyntax-only", "-nostdinc++", "-fno-exceptions", "-fno-rtti", "-Wall", "-Wextra",
           "-Werror", "-I", str(rendered / "include"), *[f"-I{d}" for d in jni],
           str(rendered / "jni/sdk_jni.cpp")]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.mark.skipif(shutil.which("javadoc") is None, reason="needs a JDK")
def test_javadoc_is_doclint_clean(rendered, tmp_path):
    """`javadoc -Xdoclint:all`: every public member documented (@param, @return, @throws), no
    broken HTML, no Markdown left over (backticks become {@code ...})."""
    from sdkbuild.package import aar

    warnings = aar.javadoc(rendered / "java", tmp_path / "doc", "JniKit 2.3.4")
    assert warnings == ""
    assert (tmp_path / "doc/com/example/jnikit/Session.html").is_file()
    for java in (rendered / "java").rglob("*.java"):
        text = java.read_text()
        comments = "".join(re.findall(r"/\*\*.*?\*/", text, re.S))
        assert "`" not in comments, java.name
        assert "sdk_session" not in comments and "sdk_model" not in comments, java.name  # no C names in the docs
    model = (rendered / "java/com/example/jnikit/Model.java").read_text()
    # the class example closes what it opens and names the SDK's asset folder
    assert 'try (AssetFileDescriptor afd = context.getAssets().openFd("jnikit/model.sdkm");' in model
    assert "visionkit" not in model
    session = (rendered / "java/com/example/jnikit/Session.java").read_text()
    assert "public void setInput(int index, @NonNull long[] data) throws SdkException" in session
    assert "@NonNull\n    public long[] getOutputLongs(int index) throws SdkException" in session


def test_rendering_is_deterministic_and_keeps_unchanged_files(tmp_path):
    a = bindings.render(NAMES, tmp_path / "a")
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in a}
    b = bindings.render(NAMES, tmp_path / "a")
    assert a == b
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in b} == before


def test_emit_for_target(tmp_path):
    host = bindings.emit_for_target(NAMES, "host", tmp_path)
    assert host.kind == "jni" and host.export_jni
    assert host.sources == (tmp_path / "host/bindings/jni/sdk_jni.cpp",) and host.sources[0].is_file()
    assert any((d / "jni.h").is_file() for d in host.include_dirs)
    # the glue includes the SDK's prefixed header, rendered next to it
    assert host.include_dirs[0] == tmp_path / "host/bindings/include"
    header = (host.include_dirs[0] / "jnikit/engine.h").read_text()
    assert "JNIKIT_SDK_API int32_t jnikit_sdk_model_input_count(const jnikit_sdk_model *model);" in header
    assert '#include "jnikit/engine.h"' in host.sources[0].read_text()
    ndk = bindings.emit_for_target(NAMES, "android-arm64-v8a", tmp_path, "ndk")
    assert ndk.include_dirs == (tmp_path / "android-arm64-v8a/bindings/include",)  # the NDK sysroot has jni.h
    ios = bindings.emit_for_target(NAMES, "ios-arm64", tmp_path)
    assert ios.kind == "objc" and not ios.export_jni and ios.sources[0].name == "JniKit.mm"
    with pytest.raises(SdkbuildError, match="unknown target"):
        bindings.emit_for_target(NAMES, "ios-arm65", tmp_path)


def test_cli_bindings_command(tmp_path):
    (tmp_path / "models").mkdir()
    onnx.save(tiny_onnx(), tmp_path / "models" / "tiny.onnx")
    (tmp_path / "sdk.toml").write_text(
        '[sdk]\nname = "Cli_Kit2"\nversion = "1.0.0"\njava_package = "org.example.clikit"\nobjc_prefix = "XK"\n'
        'targets = ["host"]\n\n[models]\nfiles = ["models/tiny.onnx"]\n')
    r = CliRunner().invoke(cli, ["bindings", "--config", str(tmp_path / "sdk.toml"), "-o", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    out = tmp_path / "out"
    assert (out / "jni/sdk_jni.cpp").is_file()
    assert (out / "java/org/example/clikit/Session.java").is_file()
    assert "System.loadLibrary(LIBRARY_NAME)" in (out / "java/org/example/clikit/Engine.java").read_text()
    assert 'LIBRARY_NAME = "cli_kit2"' in (out / "java/org/example/clikit/Engine.java").read_text()
    h = (out / "objc/Cli_Kit2.h").read_text()
    assert "@interface XKModel : NSObject" in h
    assert "module Cli_Kit2 {" in (out / "objc/module.modulemap").read_text()
