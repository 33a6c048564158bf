"""The Xcode toolchain source, against a fake `xcrun` (tests/fakes/fake_xcrun.py).

The fake is a test device: it answers xcrun's queries with a minimal sysroot (zig's Darwin
libc headers) and Debian's clang. Detection, the failure paths and a real iOS object
compiled through the returned toolchain (checked with macholib) are tested; Apple's SDK
and ld64 cannot be (there is no Xcode here).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from fakes.fake_xcrun import make_fake_xcrun
from fakes.machoinfo import PLATFORM_IOS, PLATFORM_IOSSIMULATOR, archive_facts, object_facts

from sdkbuild import toolchains
from sdkbuild.targets import TARGETS
from sdkbuild.toolchains import xcode, zig
from sdkbuild.toolchains.base import Toolchain, Unavailable

needs_llvm = pytest.mark.skipif(not all(shutil.which(t) for t in ("clang", "clang++", "llvm-ar", "llvm-strip")),
                                reason="the fake xcrun runs Debian's clang + llvm")
CPU_ARM64, CPU_X86_64 = 0x0100000C, 0x01000007


def _headers() -> Path | None:
    z = zig.find_zig()
    return zig.darwin_headers(z) if z else None


@pytest.fixture
def fake_xcode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = make_fake_xcrun(tmp_path / "bin", tmp_path / "sdks", _headers())
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return tmp_path


def _detect(name: str, min_os: str = "13.0") -> Toolchain:
    r = xcode.SOURCE.detect(TARGETS[name], min_os)
    assert isinstance(r, Toolchain), r
    return r


@needs_llvm
def test_detects_device_sdk(fake_xcode: Path) -> None:
    tc = _detect("ios-arm64")
    sdk = str(fake_xcode / "sdks" / "iPhoneOS.sdk")
    assert tc.source == "xcode" and tc.standin is False and tc.library_kind == "static"
    assert tc.cc == (shutil.which("clang"), "-target", "arm64-apple-ios13.0")
    assert tc.cxx == (shutil.which("clang++"), "-target", "arm64-apple-ios13.0")
    assert tc.ar == shutil.which("llvm-ar") and tc.strip == shutil.which("llvm-strip")
    assert tc.sysroot == sdk and ("-isysroot", sdk) == tc.c_args[:2]
    assert "-ffunction-sections" in tc.c_args and not any("bitcode" in a for a in tc.c_args)
    assert tc.version == "Xcode 15.4 (15F31d), iphoneos SDK 17.5" and tc.min_os == "13.0"


@needs_llvm
def test_simulator_slices(fake_xcode: Path) -> None:
    x86 = _detect("ios-simulator-x86_64")
    assert x86.cc[1:] == ("-target", "x86_64-apple-ios13.0-simulator")
    assert x86.sysroot == str(fake_xcode / "sdks" / "iPhoneSimulator.sdk")
    arm = _detect("ios-simulator-arm64")
    assert arm.cc[1:] == ("-target", "arm64-apple-ios14.0-simulator") and arm.min_os == "14.0"
    assert any("start at iOS 14.0" in n for n in arm.notes)
    assert _detect("ios-simulator-arm64", "15.2").cc[2] == "arm64-apple-ios15.2-simulator"


SRC = """
#include <stdint.h>
extern "C" __attribute__((visibility("default"))) int32_t sdk_sum(const int32_t* x, int32_t n) {
  int32_t s = 0; for (int32_t i = 0; i < n; ++i) s += x[i]; return s;
}
extern "C" int32_t sdk_unused(int32_t a) { return a * 3; }
"""


@needs_llvm
@pytest.mark.parametrize("name,platform,cpu,minos", [
    ("ios-arm64", PLATFORM_IOS, CPU_ARM64, "13.0"),
    ("ios-simulator-arm64", PLATFORM_IOSSIMULATOR, CPU_ARM64, "14.0"),
    ("ios-simulator-x86_64", PLATFORM_IOSSIMULATOR, CPU_X86_64, "13.0")])
def test_compiles_ios_objects_into_a_static_library(name: str, platform: int, cpu: int, minos: str,
                                                    fake_xcode: Path, tmp_path: Path) -> None:
    if _headers() is None:
        pytest.skip("needs zig's Darwin headers for the fake SDK (pip install ziglang)")
    tc = _detect(name)
    src = tmp_path / "sum.cpp"
    src.write_text(SRC)
    obj = tmp_path / "sum.o"
    cmd = [*tc.cxx, *tc.cpp_args, "-std=c++17", "-Os", "-fno-exceptions", "-fno-rtti", "-c", str(src), "-o", str(obj)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, f"{cmd}\n{r.stderr}"
    f = object_facts(obj)
    assert (f.platform, f.cputype, f.minos) == (platform, cpu, minos)
    assert f.subsections_via_symbols  # ld64 -dead_strip can drop sdk_unused at the app's link
    lib = tmp_path / "libsum.a"
    subprocess.run([tc.ar, "rcsD", str(lib), str(obj)], check=True)
    assert [(m.platform, m.minos) for m in archive_facts(lib)] == [(platform, minos)]


def test_xcrun_missing_on_linux(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no xcrun anywhere
    monkeypatch.setattr(xcode._platform, "system", lambda: "Linux")
    r = xcode.SOURCE.detect(TARGETS["ios-arm64"], "13.0")
    assert isinstance(r, Unavailable) and r.source == "xcode"
    assert r.reason == "Xcode is only available on macOS; iOS slices use the zig fallback here"
    assert "ziglang" in r.install_hint


def test_xcrun_missing_on_macos(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(xcode._platform, "system", lambda: "Darwin")
    r = xcode.SOURCE.detect(TARGETS["ios-arm64"], "13.0")
    assert isinstance(r, Unavailable) and r.reason == "xcrun not found" and "sudo xcode-select -s /Applications/Xcode.app" in r.install_hint


@needs_llvm
def test_xcrun_failing_is_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = make_fake_xcrun(tmp_path / "bin", tmp_path / "sdks", None, fail=True)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    r = xcode.SOURCE.detect(TARGETS["ios-simulator-x86_64"], "13.0")
    assert isinstance(r, Unavailable)
    assert r.reason.startswith("no iphonesimulator SDK: `xcrun --sdk iphonesimulator --show-sdk-path` failed")
    assert "unable to lookup item 'Path'" in r.reason and "xcode-select" in r.install_hint


def test_supports_ios_only() -> None:
    assert all(xcode.SOURCE.supports(TARGETS[n]) for n in TARGETS if n.startswith("ios-"))
    assert not xcode.SOURCE.supports(TARGETS["android-arm64-v8a"]) and not xcode.SOURCE.supports(TARGETS["host"])


@needs_llvm
def test_resolution_prefers_xcode_over_zig(fake_xcode: Path) -> None:
    res = toolchains.resolve(TARGETS["ios-arm64"])
    assert res.toolchain is not None and res.toolchain.source == "xcode"


def test_without_xcode_ios_resolves_to_zig(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if zig.find_zig() is None:
        pytest.skip("ziglang not installed")
    monkeypatch.setenv("PATH", str(tmp_path))
    res = toolchains.resolve(TARGETS["ios-arm64"])
    assert res.toolchain is not None and res.toolchain.source == "zig"
    assert [u.source for u in res.tried] == ["xcode"]
