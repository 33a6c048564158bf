"""`sdkbuild package` on real builds: AAR + POM and XCFramework + zip + Package.swift
layouts, the Objective-C layer inside every iOS static library, byte-identical output
when packaging twice, and clear errors for missing builds."""

from __future__ import annotations

import hashlib
import json
import platform
import plistlib
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import onnx
import pytest
from bindings_helpers import shared_once, tiny_onnx
from click.testing import CliRunner

from sdkbuild import fileio, sdkm
from sdkbuild.cli import cli
from sdkbuild.errors import SdkbuildError
from sdkbuild.package import archive, xcframework

SDKBUILD = Path(sys.executable).parent / "sdkbuild"
ANDROID = ["android-arm64-v8a", "android-x86_64"]
IOS = ["ios-arm64", "ios-simulator-arm64", "ios-simulator-x86_64"]
SDK_TOML = """\
[sdk]
name = "TinyKit"
version = "0.3.0"
java_package = "com.example.tinykit"
objc_prefix = "TK"
targets = {targets}

[android]
min_sdk = 23
toolchain = "gnu"  # the Debian cross compilers: stand-ins that build the same everywhere here

[engine]
dtypes = ["fp32", "int8"]  # (int8: the typed-I/O model's int8 tensors)
ops = ["Gemm", "Reshape"]  # Reshape: the typed-I/O model of tests/java/ApiTour.java

[publish]
group_id = "org.tinykit.sdk"
description = "A tiny test SDK"
url = "https://example.com/tinykit"
license = "Apache-2.0"
scm = "https://example.com/tinykit.git"
developers = [{{ id = "jd", name = "Jane Doe <&>", email = "jane@example.com" }}]

[models]
files = ["models/tiny.onnx"]
"""

# the tests of the shared package project wait for it: one pytest-xdist worker runs them (--dist loadgroup)
pytestmark = pytest.mark.xdist_group("package-project")


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(SDKBUILD), *args], cwd=cwd, capture_output=True, text=True, timeout=900)


def _make_project(root: Path) -> None:
    (root / "models").mkdir()
    onnx.save(tiny_onnx(), root / "models" / "tiny.onnx")
    (root / "sdk.toml").write_text(SDK_TOML.format(targets=json.dumps(ANDROID + IOS)))
    # the real build: gnu stand-ins for Android, zig (or Xcode) static slices for iOS
    r = _run("build", "-j2", cwd=root)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    r = _run("package", cwd=root)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    first = _sums(root / "dist")
    r = _run("package", cwd=root)
    assert r.returncode == 0, r.stderr
    (root / "sums.json").write_text(json.dumps([first, _sums(root / "dist")]))


def _archs(lib: Path, lipo: str | None) -> list[str]:
    if lib.read_bytes()[:4] == b"\xca\xfe\xba\xbe":  # universal: llvm-lipo reads it
        return sorted(subprocess.run([lipo, "-archs", str(lib)], capture_output=True, text=True).stdout.split())
    # thin archive (llvm-lipo 14 crashes on those): the CPU type of every member
    out = subprocess.run([xcframework.find_tool("llvm-readobj"), "--file-headers", str(lib)],
                         capture_output=True, text=True).stdout
    names = {"Arm64": "arm64", "X86-64": "x86_64"}
    return sorted({names[m] for m in re.findall(r"CpuType: (\S+)", out)})


def _sums(dist: Path) -> dict[str, str]:
    return {p.relative_to(dist).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(dist.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """Built and packaged (twice) once per session, shared by xdist workers."""
    return shared_once(tmp_path_factory, "package-project", _make_project)


@pytest.fixture(scope="module")
def packaged(project) -> tuple[Path, dict[str, str], dict[str, str]]:
    first, second = json.loads((project / "sums.json").read_text())
    return project / "dist", first, second


@pytest.mark.slow
def test_packaging_twice_is_byte_identical(packaged):
    dist, first, second = packaged
    assert first == second
    assert {"TinyKit-0.3.0.aar", "TinyKit-0.3.0.pom", "TinyKit.xcframework.zip", "Package.swift",
            "Sources/TinyKitCrypto/TinyKitCrypto.swift", "models/tiny.sdkm", "SHA256SUMS",
            "TinyKit.xcframework/Info.plist"} <= set(first)
    listed = dict(reversed(line.split("  ", 1)) for line in (dist / "SHA256SUMS").read_text().splitlines())
    assert listed["TinyKit-0.3.0.aar"] == first["TinyKit-0.3.0.aar"]
    assert not [p for p in dist.rglob(".*")], "temporary files left behind"


@pytest.mark.slow
def test_aar_layout(packaged, project):
    dist = packaged[0]
    with zipfile.ZipFile(dist / "TinyKit-0.3.0.aar") as z:
        names = z.namelist()
        assert names == sorted(names)
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in z.infolist())
        assert {"AndroidManifest.xml", "classes.jar", "R.txt", "proguard.txt", "assets/tinykit/tiny.sdkm",
                "jni/arm64-v8a/libtinykit.so", "jni/x86_64/libtinykit.so", "META-INF/sdkbuild/build-info.json",
                "prefab/prefab.json", "prefab/modules/tinykit/module.json",
                "prefab/modules/tinykit/include/tinykit/engine.h",
                "META-INF/com/android/build/gradle/aar-metadata.properties"} <= set(names)
        # stand-ins were not built by an NDK: no Prefab library claims one (headers stay)
        assert not [n for n in names if n.startswith("prefab/modules/tinykit/libs/")]
        assert not [n for n in names if "sdkengine" in n]  # no header name shared with other SDKs
        manifest = z.read("AndroidManifest.xml").decode()
        assert 'package="com.example.tinykit"' in manifest and 'android:minSdkVersion="23"' in manifest
        assert "<application" not in manifest
        assert z.read("R.txt") == b""
        for abi in ("arm64-v8a", "x86_64"):
            so = z.read(f"jni/{abi}/libtinykit.so")
            assert so[:4] == b"\x7fELF"
            assert so == (project / f"build/android-{abi}/lib/libtinykit.so").read_bytes()
        assert z.read("assets/tinykit/tiny.sdkm") == (project / "build/models/tiny.sdkm").read_bytes()
        meta = json.loads(z.read("META-INF/sdkbuild/build-info.json"))
        assert set(meta["abis"]) == {"arm64-v8a", "x86_64"}
        assert meta["abis"]["arm64-v8a"]["standin"] is True  # gnu cross compilers: labelled stand-ins
        assert meta["abis"]["arm64-v8a"]["toolchain"]["source"] == "gnu"
        assert meta["abis"]["x86_64"]["prefab"] is False
        rules = z.read("proguard.txt").decode()
        for cls in ("Model", "Session", "Engine"):
            assert f"-keep class com.example.tinykit.{cls} {{\n    native <methods>;" in rules
        jar = z.read("classes.jar")
    jar_path = dist.parent / "classes-check.jar"
    jar_path.write_bytes(jar)
    with zipfile.ZipFile(jar_path) as j:
        assert "com/example/tinykit/Session.class" in j.namelist()
        head = j.read("com/example/tinykit/Model.class")[:8]
        assert int.from_bytes(head[6:8], "big") == 52  # Java 8
    pom = (dist / "TinyKit-0.3.0.pom").read_text()
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    root = ElementTree.fromstring(pom)
    assert root.findtext("m:packaging", namespaces=ns) == "aar"
    for s in ("<groupId>org.tinykit.sdk</groupId>", "<artifactId>tinykit</artifactId>", "<version>0.3.0</version>",
              "<packaging>aar</packaging>", "STAND-IN", "<url>https://example.com/tinykit</url>",
              "<name>Apache License, Version 2.0</name>", "<name>Jane Doe &lt;&amp;&gt;</name>",
              "<connection>scm:git:https://example.com/tinykit.git</connection>", "A tiny test SDK"):
        assert s in pom


@pytest.mark.slow
def test_xcframework_layout_and_objc_in_static_libraries(packaged, tmp_path):
    dist = packaged[0]
    xcf = dist / "TinyKit.xcframework"
    plist = plistlib.loads((xcf / "Info.plist").read_bytes())
    assert plist["CFBundlePackageType"] == "XFWK" and plist["XCFrameworkFormatVersion"] == "1.0"
    libs = {e["LibraryIdentifier"]: e for e in plist["AvailableLibraries"]}
    assert set(libs) == {"ios-arm64", "ios-arm64_x86_64-simulator"}
    assert libs["ios-arm64"]["SupportedArchitectures"] == ["arm64"]
    assert "SupportedPlatformVariant" not in libs["ios-arm64"]
    sim = libs["ios-arm64_x86_64-simulator"]
    assert sim["SupportedArchitectures"] == ["arm64", "x86_64"] and sim["SupportedPlatformVariant"] == "simulator"
    lipo, nm, ar = (xcframework.find_tool(t) for t in ("llvm-lipo", "llvm-nm", "llvm-ar"))
    for sid, e in libs.items():
        assert e["SupportedPlatform"] == "ios" and e["HeadersPath"] == "Headers"
        lib = xcf / sid / e["LibraryPath"]
        headers = xcf / sid / "Headers" / "TinyKit"
        assert {"TinyKit.h", "module.modulemap", "tinykit/engine.h"} <= {
            p.relative_to(headers).as_posix() for p in headers.rglob("*") if p.is_file()}
        assert _archs(lib, lipo) == e["SupportedArchitectures"]
        syms = subprocess.run([nm, "--defined-only", str(lib)], capture_output=True, text=True).stdout
        assert "_OBJC_CLASS_$_TKModel" in syms and "_tinykit_sdk_session_run" in syms
        thin = {a: lib for a in e["SupportedArchitectures"]}
        if len(thin) > 1:
            for a in thin:
                thin[a] = tmp_path / f"{sid}-{a}.a"
                subprocess.run([lipo, str(lib), "-thin", a, "-output", str(thin[a])], check=True)
        for a, path in thin.items():
            members = subprocess.run([ar, "t", str(path)], capture_output=True, text=True).stdout.split()
            # the Objective-C layer is compiled into the slice by the build (a generated source)
            assert any(m.endswith("TinyKit.mm.o") for m in members) and "src_api.cpp.o" in members, (sid, a, members)
    meta = json.loads((xcf / "sdkbuild.json").read_text())
    assert meta["slices"]["ios-arm64"]["standin"] is True
    # the zip holds the same tree, and Package.swift carries its checksum
    with zipfile.ZipFile(dist / "TinyKit.xcframework.zip") as z:
        assert z.read("TinyKit.xcframework/Info.plist") == (xcf / "Info.plist").read_bytes()
    checksum = fileio.sha256_file(dist / "TinyKit.xcframework.zip")
    swift = (dist / "Package.swift").read_text()
    assert checksum in swift and '.binaryTarget(' in swift and 'path: "TinyKit.xcframework"' in swift
    assert '.iOS("13.0")' in swift
    # the Swift source target (encrypted models through CryptoKit) sits where the manifest says
    assert 'path: "Sources/TinyKitCrypto"' in swift
    crypto = (dist / "Sources/TinyKitCrypto/TinyKitCrypto.swift").read_text()
    assert "import TinyKit\n" in crypto and "extension Model {" in crypto
    with zipfile.ZipFile(dist / "TinyKit.xcframework.zip") as z:
        assert not [n for n in z.namelist() if n.endswith(".swift")]  # source is not part of the binary


@pytest.mark.slow
def test_swiftpm_url_form(project, tmp_path):
    r = _run("package", "--dist", str(tmp_path / "d"), "--swiftpm-url", "https://example.com/sdk/", cwd=project)
    assert r.returncode == 0, r.stderr
    swift = (tmp_path / "d" / "Package.swift").read_text()
    checksum = fileio.sha256_file(tmp_path / "d" / "TinyKit.xcframework.zip")
    assert 'url: "https://example.com/sdk/TinyKit.xcframework.zip"' in swift
    assert f'checksum: "{checksum}"' in swift
    # [publish] metadata in the manifest's header
    assert "// License: Apache-2.0 (https://www.apache.org/licenses/LICENSE-2.0.txt)" in swift
    assert "// Homepage: https://example.com/tinykit" in swift and "// Source: https://example.com/tinykit.git" in swift


def test_prefab_abi_json_names_the_real_ndk_only():
    from sdkbuild.package import aar

    assert aar.ndk_major({"toolchain": {"source": "ndk", "version": "27.2.12479018"}}) == 27
    assert aar.ndk_major({"toolchain": {"source": "ndk", "version": "r26d (26.3.11579264)"}}) == 26
    for standin in ({"toolchain": {"source": "zig", "version": "0.13.0"}},
                    {"toolchain": {"source": "gnu", "version": "12.2.0"}}, {}):
        assert aar.ndk_major(standin) is None


@pytest.mark.parametrize("url", ["http://example.com/sdk", "ftp://example.com/sdk", "https:///sdk", "example.com",
                                 "https://exa mple.com/x", "https://example.com:99999/x"])
def test_swiftpm_url_must_be_a_real_https_url(tmp_path, url):
    """Checked before anything else, so nothing is read or written with a bad URL."""
    (tmp_path / "models").mkdir()
    onnx.save(tiny_onnx(), tmp_path / "models" / "tiny.onnx")
    (tmp_path / "sdk.toml").write_text(SDK_TOML.format(targets='["ios-arm64"]'))
    r = CliRunner().invoke(cli, ["package", "--config", str(tmp_path / "sdk.toml"), "--swiftpm-url", url])
    assert r.exit_code != 0 and "--swiftpm-url" in str(r.exception) and "https://" in str(r.exception)
    assert not (tmp_path / "dist").exists()


def test_swiftpm_url_accepted_forms(tmp_path):
    from sdkbuild.package.dist import swiftpm_base_url

    assert swiftpm_base_url(None, "https://cdn.example.com/sdk/1.0") == "https://cdn.example.com/sdk/1.0"
    assert swiftpm_base_url(None, None) is None


@pytest.mark.slow
def test_a_build_without_the_sdks_symbol_names_is_refused_before_writing(project, tmp_path):
    """An iOS build made before per-SDK symbol names (plain sdk_* symbols, sdkengine/engine.h):
    packaging it would ship names that collide with any other SDK's, and its Objective-C layer
    would not compile against the SDK's header. Refused before dist/ is written (the AAR and POM
    used to be written before such a failure)."""
    copy = tmp_path / "p"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("dist", "engine", "conan"))
    out = copy / "build/ios-arm64"
    info = json.loads((out / "build-info.json").read_text())
    for key in ("c_header", "symbol_prefix"):
        info.pop(key)
    (out / "build-info.json").write_text(json.dumps(info))
    shutil.rmtree(out / "include")
    (out / "include/sdkengine").mkdir(parents=True)
    (out / "include/sdkengine/engine.h").write_text("/* an older build's header */\n")
    r = CliRunner().invoke(cli, ["package", "--config", str(copy / "sdk.toml")])
    assert r.exit_code != 0 and "ios-arm64" in str(r.exception) and "tinykit_sdk_*" in str(r.exception)
    assert "sdkbuild build --target ios-arm64" in r.exception.hint
    assert not (copy / "dist").exists()  # no AAR, no POM, nothing


@pytest.mark.slow
def test_a_reserved_objc_prefix_is_refused_before_packaging(project, tmp_path):
    copy = tmp_path / "p"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("dist", "engine", "conan"))
    toml = copy / "sdk.toml"
    toml.write_text(toml.read_text().replace('objc_prefix = "TK"', 'objc_prefix = "NS"'))
    r = CliRunner().invoke(cli, ["package", "--config", str(toml)])
    assert r.exit_code != 0 and "sdk.objc_prefix = 'NS'" in str(r.exception) and "Apple reserves" in str(r.exception)
    assert not (copy / "dist").exists()


def test_missing_build_names_the_target(tmp_path):
    (tmp_path / "models").mkdir()
    onnx.save(tiny_onnx(), tmp_path / "models" / "tiny.onnx")
    (tmp_path / "sdk.toml").write_text(SDK_TOML.format(targets='["android-arm64-v8a", "ios-arm64"]'))
    (tmp_path / "build" / "models").mkdir(parents=True)
    sdkm.write(sdkm.Model(), tmp_path / "build/models/tiny.sdkm")
    r = CliRunner().invoke(cli, ["package", "--config", str(tmp_path / "sdk.toml")])
    assert r.exit_code != 0
    assert "android-arm64-v8a" in str(r.exception) and "sdkbuild build --target android-arm64-v8a" in str(r.exception.hint)
    assert not (tmp_path / "dist").exists()


def test_unknown_target_is_named(tmp_path):
    (tmp_path / "models").mkdir()
    onnx.save(tiny_onnx(), tmp_path / "models" / "tiny.onnx")
    (tmp_path / "sdk.toml").write_text(SDK_TOML.format(targets='["android-arm64-v8a"]'))
    r = CliRunner().invoke(cli, ["package", "--config", str(tmp_path / "sdk.toml"), "--target", "ios-arm65"])
    assert r.exit_code != 0 and "ios-arm65" in str(r.exception) and "ios-arm64" in str(r.exception)


def test_missing_models_say_to_build(tmp_path):
    (tmp_path / "models").mkdir()
    onnx.save(tiny_onnx(), tmp_path / "models" / "tiny.onnx")
    (tmp_path / "sdk.toml").write_text(SDK_TOML.format(targets='["android-arm64-v8a"]'))
    r = CliRunner().invoke(cli, ["package", "--config", str(tmp_path / "sdk.toml")])
    assert r.exit_code != 0 and "tiny.sdkm" in str(r.exception) and "sdkbuild build" in r.exception.hint


def test_deterministic_zip_helper(tmp_path, monkeypatch):
    f = tmp_path / "b.bin"
    f.write_bytes(b"x" * 1000)
    a = archive.write_zip(tmp_path / "1.zip", [("z.txt", b"z"), ("b.bin", f), ("d/", b"")])
    f.touch()
    b = archive.write_zip(tmp_path / "2.zip", [("d/", b""), ("b.bin", f), ("z.txt", b"z")])
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as z:
        assert z.namelist() == ["b.bin", "d/", "z.txt"]
        assert z.getinfo("b.bin").external_attr >> 16 == 0o100644
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    c = archive.write_zip(tmp_path / "3.zip", [("z.txt", b"z")])
    with zipfile.ZipFile(c) as z:
        assert z.getinfo("z.txt").date_time == (2023, 11, 14, 22, 13, 20)
    with pytest.raises(ValueError, match="duplicate"):
        archive.write_zip(tmp_path / "4.zip", [("a", b""), ("a", b"")])
    assert not (tmp_path / "4.zip").exists() and not list(tmp_path.glob(".4.zip*"))


@pytest.mark.slow
@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64") or shutil.which("javac") is None,
                    reason="runs the AAR's x86_64 stand-in library in the host JVM")
def test_aar_classes_and_x86_64_library_run_in_a_jvm(packaged, tmp_path):
    """The packaged artifact itself works: classes.jar + jni/x86_64 (a glibc stand-in, so the
    host JVM can load it) + the model from assets/, checked against onnxruntime."""
    import numpy as np
    from bindings_helpers import ROOT, onnxruntime_run

    with zipfile.ZipFile(packaged[0] / "TinyKit-0.3.0.aar") as z:
        for name in ("classes.jar", "jni/x86_64/libtinykit.so", "assets/tinykit/tiny.sdkm"):
            (tmp_path / Path(name).name).write_bytes(z.read(name))
    src = (ROOT / "tests/java/JniSmoke.java").read_text().replace("com.example.jnikit", "com.example.tinykit")
    (tmp_path / "src").mkdir()
    (tmp_path / "src/JniSmoke.java").write_text(src)
    r = subprocess.run(["javac", "--release", "8", "-Xlint:-options", "-cp", str(tmp_path / "classes.jar"),
                        "-d", str(tmp_path / "cls"), str(tmp_path / "src/JniSmoke.java"),
                        str(ROOT / "tests/java/Checks.java")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    x = np.array([[0.5, -1.0, 2.0, 0.25, -0.75, 1.5]], dtype=np.float32)
    r = subprocess.run(["java", "-Xcheck:jni", f"-Dcom.example.tinykit.library.path={tmp_path / 'libtinykit.so'}",
                        "-cp", f"{tmp_path / 'classes.jar'}:{tmp_path / 'cls'}", "JniSmoke",
                        str(tmp_path / "tiny.sdkm"), ",".join(str(float(v)) for v in x.ravel())],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    kv = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
    got = np.array([float(v) for v in kv["out_file"].split(",")], dtype=np.float32)
    np.testing.assert_allclose(got, onnxruntime_run(tiny_onnx(), x).ravel(), rtol=1e-5, atol=1e-5)
    assert kv["sdk_version"] == "0.3.0" and kv["done"] == "ok"


def typed_model(path: Path) -> Path:
    """One Reshape per element type: <t>_in [2, 3] -> <t>_out [6] for f32 i8 u8 i32 i64 bool f16."""
    m = sdkm.Model(name="typed")
    for name, code in (("f32", 1), ("i8", 2), ("u8", 4), ("i32", 3), ("i64", 5), ("bool", 6), ("f16", 7)):
        x = m.add_tensor(sdkm.Tensor(f"{name}_in", code, (2, 3)))
        y = m.add_tensor(sdkm.Tensor(f"{name}_out", code, (6,)))
        m.nodes.append(sdkm.Node("Reshape", f"reshape_{name}", [x], [y], {"shape": [6]}))
        m.inputs.append(x)
        m.outputs.append(y)
    sdkm.write(m, path)
    return path


def _public_methods(java_dir: Path) -> set[str]:
    names: set[str] = set()
    for f in java_dir.rglob("*.java"):
        names |= set(re.findall(r"^    public (?:static )?(?:final )?[\w.<>\[\]]+ (\w+)\(", f.read_text(), re.M))
    return names - {"toString", "values", "valueOf"}


@pytest.mark.slow
@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64") or shutil.which("javac") is None,
                    reason="runs the AAR's x86_64 stand-in library in the host JVM")
def test_api_tour_against_the_aar_makes_every_public_call(packaged, tmp_path):
    """A consumer compiled against the AAR's classes.jar (javac) runs every public call on the
    host JVM: the model mapped straight out of the archive (an uncompressed asset, as
    AssetFileDescriptor gives it), every load path, typed I/O of every element type, errors."""
    from bindings_helpers import ROOT

    aar_path = packaged[0] / "TinyKit-0.3.0.aar"
    with zipfile.ZipFile(aar_path) as z:
        for name in ("classes.jar", "jni/x86_64/libtinykit.so"):
            (tmp_path / Path(name).name).write_bytes(z.read(name))
        info = z.getinfo("assets/tinykit/tiny.sdkm")
        assert info.compress_type == zipfile.ZIP_STORED  # mappable, like the .so files
        with aar_path.open("rb") as f:  # the data offset: after the entry's local header
            f.seek(info.header_offset)
            head = f.read(30)
        name_len, extra_len = int.from_bytes(head[26:28], "little"), int.from_bytes(head[28:30], "little")
        offset = info.header_offset + 30 + name_len + extra_len
    src = (ROOT / "tests/java/ApiTour.java").read_text()
    (tmp_path / "src").mkdir()
    (tmp_path / "src/ApiTour.java").write_text(src)
    r = subprocess.run(["javac", "--release", "8", "-Xlint:all", "-Xlint:-options", "-Werror", "-cp",
                        str(tmp_path / "classes.jar"), "-d", str(tmp_path / "cls"), str(tmp_path / "src/ApiTour.java"),
                        str(ROOT / "tests/java/Checks.java")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    typed = typed_model(tmp_path / "typed.sdkm")
    r = subprocess.run(["java", "-Xcheck:jni", f"-Dcom.example.tinykit.library.path={tmp_path / 'libtinykit.so'}",
                        "-cp", f"{tmp_path / 'classes.jar'}:{tmp_path / 'cls'}", "ApiTour", str(aar_path),
                        str(offset), str(info.file_size), str(typed)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "WARNING" not in r.stderr, r.stderr
    kv = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
    assert kv["done"] == "ok" and kv["loads"] == "8"
    assert kv["f16_as_floats"] == "[1.0, -2.0, 0.5, 0.0, 65504.0, -5.9604645E-8]"
    assert kv["wrong_type"] == ('INVALID_ARGUMENT|input "i64_in" (I64 [2, 3]) holds I64 values, not int[]: '
                                "use long[]")
    assert kv["floats_to_i64"].startswith('input "i64_in" (I64 [2, 3]) holds I64 values, not float[]')
    assert kv["wrong_length"] == 'input "i32_in" (I32 [2, 3]) takes 6 values, got 5'
    assert kv["no_such_input"].startswith('the model has no input called "nope"')
    assert all("sdk_" not in v for v in kv.values())
    # every public method of the API appears in the tour
    with zipfile.ZipFile(tmp_path / "classes.jar") as z:
        assert "com/example/tinykit/Session.class" in z.namelist()
    from sdkbuild import bindings

    gen = tmp_path / "gen"
    bindings.render(bindings.SdkNames("TinyKit", "0.3.0", "com.example.tinykit", "TK"), gen, ["java"])
    missing = [m for m in sorted(_public_methods(gen / "java")) if not re.search(rf"\.{m}\(", src)]
    assert not missing, missing


@pytest.mark.slow
def test_objc_api_tour_against_the_xcframework_makes_every_public_call(packaged, tmp_path):
    """A consumer compiled against the XCFramework's headers (zig's clang, arm64 iOS, ARC,
    -Wall -Werror) calling every public method of the Objective-C API and the prefixed C API,
    linked with the device archive into an iOS executable: every call resolves."""
    from bindings_helpers import ROOT
    from ios_link import link, zig, zig_env

    zcc = zig()
    slice_dir = packaged[0] / "TinyKit.xcframework/ios-arm64"
    src = ROOT / "tests/objc/ApiTour.m"
    main = tmp_path / "main.m"
    main.write_text('#import "TinyKit/TinyKit.h"\nint ApiTour(NSString *path, NSURL *url, NSData *data);\n'
                    "int main(int argc, char **argv) {\n    (void)argc;\n"
                    "    NSString *p = [NSString stringWithUTF8String:argv[1]];\n"
                    "    return ApiTour(p, [NSURL fileURLWithPath:p], [NSData dataWithBytes:argv length:8]);\n}\n")
    objects = []
    for f in (src, main):
        obj = tmp_path / f"{f.stem}.o"
        r = subprocess.run([*zcc, "-O2", "-fno-sanitize=undefined", "-fobjc-arc", "-nostdlibinc", "-isystem",
                            str(ROOT / "bindings/apple-standin"), "-I", str(slice_dir / "Headers"), "-Wall", "-Wextra",
                            "-Werror", "-c", str(f), "-o", str(obj)], capture_output=True, text=True,
                           env=zig_env(tmp_path))
        assert r.returncode == 0, r.stderr[-3000:]
        objects.append(obj)
    r = link(zcc, objects, [slice_dir / "libtinykit.a"], tmp_path, tmp_path / "tour")
    assert r.returncode == 0, r.stderr[-3000:]
    # every selector and property of the public header is called in the tour
    header = (slice_dir / "Headers/TinyKit/TinyKit.h").read_text()
    tour = src.read_text()
    selectors = set(re.findall(r"^[-+] \([^)]*\)\s*(\w+)", header, re.M))
    props = set(re.findall(r"^@property \([^)]*\) [\w<> *]*?\*?(\w+);", header, re.M))
    missing = sorted(n for n in selectors | props if n not in ("init", "new") and not re.search(rf"\b{n}\b", tour))
    assert not missing, missing
    assert len(selectors) >= 25


@pytest.mark.slow
def test_library_without_jni_glue_is_refused(project, tmp_path):
    copy = tmp_path / "p"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("dist", "engine", "conan"))
    info_path = copy / "build/android-x86_64/build-info.json"
    info = json.loads(info_path.read_text())
    info["jni"] = False  # what `sdkbuild build --no-bindings` records
    info_path.write_text(json.dumps(info))
    r = CliRunner().invoke(cli, ["package", "--config", str(copy / "sdk.toml")])
    assert r.exit_code != 0 and "without the JNI glue" in str(r.exception)
    assert "--no-bindings" in r.exception.hint
    assert not (copy / "dist").exists()


@pytest.mark.slow
def test_swift_style_import_from_the_packaged_headers(packaged, tmp_path):
    """`@import TinyKit;` resolves through Headers/TinyKit/module.modulemap, as Xcode sees it."""
    from bindings_helpers import ROOT

    clang = shutil.which("clang")
    if clang is None:
        pytest.skip("needs clang")
    user = tmp_path / "use.m"
    user.write_text("@import TinyKit;\n"
                    "int use(void) {\n"
                    "    NSError *error = nil;\n"
                    "    TKModel *model = [[TKModel alloc] initWithPath:@\"tiny.sdkm\" error:&error];\n"
                    "    return (int)model.inputCount + tinykit_sdk_model_output_count(NULL) + (int)TKErrorCodeIo;\n"
                    "}\n")
    headers = packaged[0] / "TinyKit.xcframework/ios-arm64/Headers"
    r = subprocess.run([clang, "-target", "arm64-apple-ios13.0", "-nostdlibinc", "-isystem", str(ROOT / "bindings/apple-standin"),
                        "-fmodules", f"-fmodules-cache-path={tmp_path / 'mc'}", "-fobjc-arc", "-Wall", "-Werror",
                        "-I", str(headers), "-fsyntax-only", str(user)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_check_built_reads_the_library_not_just_build_info(tmp_path: Path) -> None:
    """A corrupt or swapped library must not be packaged because build-info.json says it is fine."""
    import _ctypes  # a real ELF shared object of this machine, whatever the engine sources' state

    from elftools.elf.elffile import ELFFile

    from sdkbuild.package import aar
    from sdkbuild.package.aar import BuiltTarget

    with open(_ctypes.__file__, "rb") as f:
        machine = ELFFile(f).header["e_machine"]
    same = {"EM_X86_64": "android-x86_64", "EM_AARCH64": "android-arm64-v8a"}.get(machine)
    if same is None:
        pytest.skip(f"no Android ABI for a {machine} host")
    other = "android-armeabi-v7a"
    lib = tmp_path / "lib" / "libkit.so"
    lib.parent.mkdir()
    lib.write_bytes(Path(_ctypes.__file__).read_bytes())
    info = {"library": "lib/libkit.so", "library_kind": "shared", "jni": True}
    assert aar.check_built(BuiltTarget(same, tmp_path, info))
    with pytest.raises(SdkbuildError, match=f"is {machine} ET_DYN, not an EM_ARM shared library"):
        aar.check_built(BuiltTarget(other, tmp_path, info))
    lib.write_bytes(b"\x7fELF" + bytes(60))
    with pytest.raises(SdkbuildError, match="not an ELF shared library"):
        aar.check_built(BuiltTarget(same, tmp_path, info))

    a = tmp_path / "libkit.a"
    a.write_bytes(b"garbage!" * 8)
    with pytest.raises(SdkbuildError, match="not an ar archive"):
        xcframework.check_built(BuiltTarget("ios-arm64", tmp_path, {"library": "libkit.a", "library_kind": "static"}))
