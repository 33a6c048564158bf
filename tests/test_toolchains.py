"""Toolchain resolution by purpose (build vs test) and the rendered Meson machine file's
needs_exe_wrapper, for every kind of toolchain: NDK (fake NDK tree, real clang behind it),
zig (iOS and Android stand-ins), Debian gnu stand-ins."""

from __future__ import annotations

import configparser
import platform
import shutil
from pathlib import Path

import pytest
from fakes.make_fake_ndk import make_fake_ndk

from sdkbuild import toolchains
from sdkbuild.config import parse
from sdkbuild.targets import ANDROID_TARGETS, IOS_TARGETS, TARGETS
from sdkbuild.toolchains import gnu, ndk, zig
from sdkbuild.toolchains.base import Toolchain

ENV_VARS = ("ANDROID_NDK_HOME", "ANDROID_NDK_ROOT", "ANDROID_HOME", "ANDROID_SDK_ROOT")
x86_64_build = platform.machine().lower() in ("x86_64", "amd64")


@pytest.fixture(autouse=True)
def no_ndk(monkeypatch: pytest.MonkeyPatch) -> None:
    for v in ENV_VARS:
        monkeypatch.delenv(v, raising=False)


@pytest.fixture(scope="module")
def fake_ndk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_fake_ndk(tmp_path_factory.mktemp("ndk") / "android-ndk-r27c")


def _props(tc: Toolchain) -> configparser.SectionProxy:
    cp = configparser.ConfigParser()
    cp.read_string(toolchains.machine_file_text(tc))
    return cp["properties"]


def _cfg(tmp_path: Path, extra: str = "") -> object:
    return parse(f"""
[sdk]
name = "Kit"
version = "1.0.0"
java_package = "com.example.kit"
objc_prefix = "KT"
targets = ["android-arm64-v8a"]
{extra}
""", tmp_path / "sdk.toml")


@pytest.mark.parametrize("name", ANDROID_TARGETS)
def test_ndk_cross_file_never_runs_bionic_binaries_here(name: str, fake_ndk: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """x86/x86_64 too: a bionic executable does not run on this (glibc) machine."""
    monkeypatch.setenv("ANDROID_NDK_HOME", str(fake_ndk))
    tc = ndk.SOURCE.detect(TARGETS[name], "24")
    assert isinstance(tc, Toolchain) and not tc.standin, tc
    assert _props(tc)["needs_exe_wrapper"] == "true"
    assert toolchains.needs_exe_wrapper(tc)


@pytest.mark.parametrize("name", IOS_TARGETS)
def test_ios_cross_file_needs_exe_wrapper(name: str) -> None:
    tc = zig.SOURCE.detect(TARGETS[name], "13.0")
    if not isinstance(tc, Toolchain):
        pytest.skip(f"zig: {tc.reason}")
    assert _props(tc)["needs_exe_wrapper"] == "true"


@pytest.mark.skipif(not x86_64_build, reason="x86_64 build machine")
@pytest.mark.parametrize("name", ["android-x86", "android-x86_64"])
def test_x86_linux_standins_run_natively(name: str) -> None:
    """Only the glibc stand-ins for the build machine's own CPU family run without a wrapper."""
    tc = gnu.SOURCE.detect(TARGETS[name], "21")
    if not isinstance(tc, Toolchain):
        pytest.skip(tc.reason)
    assert tc.standin and tc.exe_wrapper is None and not toolchains.needs_exe_wrapper(tc)
    # x86_64 on x86_64 is a native build: the file has no cross properties at all
    assert _props(tc).get("needs_exe_wrapper", "false") == "false"


@pytest.mark.skipif(shutil.which("aarch64-linux-gnu-g++") is None or not x86_64_build,
                    reason="g++-aarch64-linux-gnu on x86_64")
def test_arm_standin_needs_its_qemu_wrapper(monkeypatch: pytest.MonkeyPatch) -> None:
    tc = gnu.SOURCE.detect(TARGETS["android-arm64-v8a"], "21")
    assert isinstance(tc, Toolchain)
    assert _props(tc)["needs_exe_wrapper"] == "true"
    # without qemu there is no wrapper, and Meson still must not run arm64 binaries
    monkeypatch.setattr(gnu, "which", lambda n: None if n.startswith("qemu") else shutil.which(n))
    tc = gnu.SOURCE.detect(TARGETS["android-arm64-v8a"], "21")
    assert isinstance(tc, Toolchain) and tc.exe_wrapper is None
    assert _props(tc)["needs_exe_wrapper"] == "true"


def test_unknown_purpose_is_refused() -> None:
    with pytest.raises(ValueError, match="purpose"):
        toolchains.candidates(TARGETS["android-arm64-v8a"], None, purpose="bench")


@pytest.mark.parametrize("name", ANDROID_TARGETS)
def test_tests_prefer_a_toolchain_that_links_the_cxx_library(name: str, fake_ndk: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Libraries: ndk -> zig -> gnu. Engine tests (they use <vector>, zig links no libc++):
    ndk -> gnu -> zig. The NDK stays first for both."""
    t = TARGETS[name]
    build = [s.name for s in toolchains.candidates(t, None)]
    test = [s.name for s in toolchains.candidates(t, None, purpose="test")]
    assert build[:3] == ["ndk", "zig", "gnu"] and test[:3] == ["ndk", "gnu", "zig"]
    b, r = toolchains.resolve(t), toolchains.resolve(t, purpose="test")
    if gnu.SOURCE.detect(t, "21").__class__ is Toolchain:
        assert r.toolchain is not None and r.toolchain.source == "gnu"
        if zig.find_zig() is not None:
            assert b.toolchain is not None and b.toolchain.source == "zig"
    monkeypatch.setenv("ANDROID_NDK_HOME", str(fake_ndk))
    assert toolchains.resolve(t, purpose="test").toolchain.source == "ndk"


def test_named_toolchain_wins_for_tests_too(tmp_path: Path) -> None:
    if zig.find_zig() is None:
        pytest.skip("zig")
    cfg = _cfg(tmp_path, '[android]\ntoolchain = "zig"')
    r = toolchains.resolve(TARGETS["android-arm64-v8a"], cfg, purpose="test")
    assert r.toolchain is not None and r.toolchain.source == "zig"


def test_sdkbuild_test_with_zig_named_says_what_to_do(tmp_path: Path) -> None:
    """A user who forces zig gets the reason and the fix, not a libc++ link error."""
    import subprocess
    import sys

    if zig.find_zig() is None:
        pytest.skip("zig")
    (tmp_path / "sdk.toml").write_text("""
[sdk]
name = "Kit"
version = "1.0.0"
java_package = "com.example.kit"
objc_prefix = "KT"
targets = ["android-arm64-v8a"]

[android]
toolchain = "zig"
""")
    r = subprocess.run([sys.executable, "-m", "sdkbuild.cli", "test", "--target", "android-arm64-v8a"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "C++ standard library" in r.stdout and 'toolchain = "zig"' in r.stdout and "gnu" in r.stdout
    assert "Traceback" not in r.stderr
    assert not list((tmp_path / "build").rglob("build.ninja"))  # nothing was compiled
