"""The generated Objective-C API compiles for iOS (arm64 device, simulators) with ARC and
-Wall -Wextra -Werror, needs no C++ runtime, and its module map imports.

Against the real iOS SDK when one is installed (xcrun); otherwise against the test
stand-in of Foundation in bindings/apple-standin/Foundation (declarations only)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from bindings_helpers import NAMES, ROOT

from sdkbuild import bindings, paths
from sdkbuild.package import xcframework

CLANG = shutil.which("clang")
NM = xcframework.find_tool("llvm-nm")
OBJDUMP = xcframework.find_tool("llvm-objdump")
pytestmark = pytest.mark.skipif(CLANG is None or NM is None or OBJDUMP is None, reason="needs clang and llvm tools")

TRIPLES = {
    "ios-arm64": ("arm64-apple-ios13.0", "ios"),
    "ios-simulator-arm64": ("arm64-apple-ios14.0-simulator", "iossimulator"),
    "ios-simulator-x86_64": ("x86_64-apple-ios13.0-simulator", "iossimulator"),
}


def _sdk_flags(variant: str) -> list[str]:
    """-isysroot of the real SDK when Xcode exists, else the Foundation stand-in."""
    xcrun = shutil.which("xcrun")
    if xcrun:
        sdk = "iphonesimulator" if variant == "iossimulator" else "iphoneos"
        r = subprocess.run([xcrun, "--sdk", sdk, "--show-sdk-path"], capture_output=True, text=True)
        if r.returncode == 0:
            return ["-isysroot", r.stdout.strip()]
    return ["-nostdlibinc", "-isystem", str(ROOT / "bindings" / "apple-standin")]


@pytest.fixture(scope="module")
def objc_src(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("objc")
    bindings.render(NAMES, out, ["objc"])
    return out / "objc"


def _compile(src: Path, triple: str, variant: str, out: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [CLANG, "-target", triple, *_sdk_flags(variant), "-nostdinc++", *xcframework.OBJC_FLAGS,
           "-Wnullability-completeness", "-Wnullable-to-nonnull-conversion",
           "-I", str(src.parent), "-I", str(paths.engine_dir() / "include"), *extra, "-c", str(src), "-o", str(out)]
    return subprocess.run(cmd, capture_output=True, text=True)


@pytest.mark.parametrize("target", sorted(TRIPLES))
def test_objc_compiles_for_ios_with_arc_and_werror(objc_src, tmp_path, target):
    triple, platform = TRIPLES[target]
    obj = tmp_path / "JniKit.o"
    r = _compile(objc_src / "JniKit.mm", triple, platform, obj)
    assert r.returncode == 0, r.stderr
    headers = subprocess.run([OBJDUMP, "--macho", "--private-headers", str(obj)], capture_output=True, text=True).stdout
    assert re.search(rf"platform {platform}\b", headers), headers[:2000]
    defined = subprocess.run([NM, "--defined-only", "-j", str(obj)], capture_output=True, text=True).stdout.split()
    for cls in ("Model", "Session", "TensorInfo", "Engine"):
        assert f"_OBJC_CLASS_$_JK{cls}" in defined
    assert "_JKErrorDomain" in defined
    undefined = subprocess.run([NM, "-u", "-j", str(obj)], capture_output=True, text=True).stdout.split()
    # no C++ runtime: the object links into an app with only libobjc + Foundation + libSystem
    assert not [u for u in undefined if re.search(r"cxa|gxx|Unwind|terminate|_Z", u)], undefined
    engine_h = (paths.engine_dir() / "include/sdkengine/engine.h").read_text()
    for fn in (u[1:] for u in undefined if u.startswith("_sdk_")):
        assert re.search(rf"\b{fn}\(", engine_h), fn


def test_objc_header_is_nullability_complete_and_has_swift_names(objc_src):
    h = (objc_src / "JniKit.h").read_text()
    assert "NS_ASSUME_NONNULL_BEGIN" in h and "NS_ASSUME_NONNULL_END" in h
    assert "FOUNDATION_EXPORT NSErrorDomain const JKErrorDomain;" in h
    assert "NS_ERROR_ENUM(JKErrorDomain, JKErrorCode)" in h
    for name in ("Model", "Session", "TensorInfo", "Engine"):
        assert f"NS_SWIFT_NAME({name})\n@interface JK{name} : NSObject" in h
    # every fallible method reports through NSError **
    assert h.count("error:(NSError **)error") >= 10
    api = bindings.load_api()
    for s in api.statuses:
        if s.code:
            assert f"JKErrorCode{s.name.title().replace('_', '')} = {s.code}," in h


def test_module_map_imports_in_objc(objc_src, tmp_path):
    headers = tmp_path / "Headers"
    (headers / "sdkengine").mkdir(parents=True)
    for f in ("JniKit.h", "module.modulemap"):
        shutil.copy(objc_src / f, headers / f)
    shutil.copy(paths.engine_dir() / "include/sdkengine/engine.h", headers / "sdkengine/engine.h")
    user = tmp_path / "use.m"
    user.write_text(
        "@import JniKit;\n"
        "int use(NSString *path) {\n"
        "    NSError *error = nil;\n"
        "    JKModel *model = [[JKModel alloc] initWithPath:path error:&error];\n"
        "    if (model == nil) return (int)error.code;\n"
        "    JKSession *session = [model sessionWithThreads:1 error:&error];\n"
        "    float x[6] = {0};\n"
        "    if (![session setInputFloats:x count:6 atIndex:0 error:&error]) return -1;\n"
        "    if (![session runWithError:&error]) return (int)JKErrorCodeState;\n"
        "    return (int)[session outputFloatsAtIndex:0 error:&error].length + sdk_model_input_count(NULL);\n"
        "}\n"
    )
    cmd = [CLANG, "-target", "arm64-apple-ios13.0", *_sdk_flags("ios"), "-fmodules",
           f"-fmodules-cache-path={tmp_path / 'mc'}", "-fobjc-arc", "-Wall", "-Werror", "-I", str(headers),
           "-fsyntax-only", str(user)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_objc_compiles_through_the_slice_toolchain(tmp_path):
    """What `sdkbuild package` does when a slice lacks the ObjC layer: compile it with zig."""
    pytest.importorskip("ziglang")
    engine_inc = paths.engine_dir() / "include"
    for target, (_, platform) in TRIPLES.items():
        obj, real_sdk = xcframework.compile_objc(NAMES, target, tmp_path / "build", engine_inc)
        assert obj == tmp_path / "build" / target / "bindings/objc/JniKit.mm.o"
        assert real_sdk == bool(shutil.which("xcrun"))  # else the Foundation stand-in: a stand-in slice
        headers = subprocess.run([OBJDUMP, "--macho", "--private-headers", str(obj)],
                                 capture_output=True, text=True).stdout
        assert re.search(rf"platform {platform}\b", headers)
        defined = subprocess.run([NM, "--defined-only", "-j", str(obj)], capture_output=True, text=True).stdout
        assert "_OBJC_CLASS_$_JKSession" in defined
