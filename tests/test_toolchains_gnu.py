"""Debian GNU cross compilers as Android stand-ins, toolchain resolution, and rendering."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from sdkbuild import toolchains
from sdkbuild.build import tool_env
from sdkbuild.config import parse
from sdkbuild.targets import TARGETS
from sdkbuild.toolchains import gnu, host
from sdkbuild.toolchains.base import Toolchain, Unavailable

needs_arm64 = pytest.mark.skipif(shutil.which("aarch64-linux-gnu-g++") is None, reason="g++-aarch64-linux-gnu")
needs_armhf = pytest.mark.skipif(shutil.which("arm-linux-gnueabihf-g++") is None, reason="g++-arm-linux-gnueabihf")


def _cfg(tmp_path: Path, extra: str = "") -> object:
    text = f"""
[sdk]
name = "Kit"
version = "1.0.0"
java_package = "com.example.kit"
objc_prefix = "KT"
targets = ["android-arm64-v8a", "android-armeabi-v7a", "host"]
{extra}
"""
    return parse(text, tmp_path / "sdk.toml")


def _machine(text: str) -> configparser.ConfigParser:
    cp = configparser.ConfigParser()
    cp.read_string(text)
    return cp


@needs_arm64
def test_gnu_arm64_standin() -> None:
    tc = gnu.SOURCE.detect(TARGETS["android-arm64-v8a"], "24")
    assert isinstance(tc, Toolchain)
    assert tc.source == "gnu" and tc.standin and tc.min_os == "24"
    assert tc.cxx[0].endswith("aarch64-linux-gnu-g++") and tc.version.startswith("aarch64-linux-gnu-g++ ")
    assert "-march=armv8-a" in tc.c_args
    assert tc.exe_wrapper is not None and tc.exe_wrapper[1:] == ("-L", "/usr/aarch64-linux-gnu")
    assert any("not bionic-linked" in n for n in tc.notes)


@needs_armhf
def test_gnu_armv7_hard_float_and_thumb() -> None:
    tc = gnu.SOURCE.detect(TARGETS["android-armeabi-v7a"], "21")
    assert isinstance(tc, Toolchain)
    for flag in ("-march=armv7-a", "-mfpu=neon", "-mthumb", "-mfloat-abi=hard"):
        assert flag in tc.c_args and flag in tc.link_args
    assert any("hard-float" in n for n in tc.notes)
    assert toolchains.conan_settings(tc)["arch"] == "armv7hf"


def test_gnu_unavailable_says_apt_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    r = gnu.SOURCE.detect(TARGETS["android-arm64-v8a"], "21")
    assert isinstance(r, Unavailable)
    assert "aarch64-linux-gnu-g++ not found" in r.reason
    assert r.install_hint == "sudo apt-get install g++-aarch64-linux-gnu"
    r = gnu.SOURCE.detect(TARGETS["android-armeabi-v7a"], "21")
    assert isinstance(r, Unavailable) and r.install_hint == "sudo apt-get install g++-arm-linux-gnueabihf"


def test_gnu_supports_android_only() -> None:
    assert gnu.SOURCE.supports(TARGETS["android-x86"])
    assert not gnu.SOURCE.supports(TARGETS["ios-arm64"]) and not gnu.SOURCE.supports(TARGETS["host"])
    assert host.SOURCE.supports(TARGETS["host"]) and not host.SOURCE.supports(TARGETS["android-x86"])


@needs_arm64
def test_resolution_order_and_named_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANDROID_NDK_HOME", raising=False)
    monkeypatch.delenv("ANDROID_NDK_ROOT", raising=False)
    monkeypatch.delenv("ANDROID_HOME", raising=False)
    t = TARGETS["android-arm64-v8a"]
    names = [s.name for s in toolchains.candidates(t, None)]
    assert names.index("gnu") == len(names) - 1  # the last fallback
    if "ndk" in names:
        assert names[0] == "ndk"
    r = toolchains.resolve(t, _cfg(tmp_path, '[android]\ntoolchain = "gnu"'))
    assert r.toolchain is not None and r.toolchain.source == "gnu" and r.tried == ()
    # a named source that cannot work is an error, not a silent fallback
    r = toolchains.resolve(t, _cfg(tmp_path, '[android]\ntoolchain = "ndk"'))
    assert r.toolchain is None and r.tried[0].source == "ndk"
    assert "ndk" in str(r.error())


@needs_armhf
def test_render_armv7_machine_file_and_profiles(tmp_path: Path) -> None:
    tc = gnu.SOURCE.detect(TARGETS["android-armeabi-v7a"], "21")
    assert isinstance(tc, Toolchain)
    r = toolchains.render(tc, tmp_path / "conan", jobs=1, launcher=None)
    m = _machine(r.machine_file.read_text())
    assert m["binaries"]["cpp"] == f"['{tc.cxx[0]}']"
    assert "qemu-arm" in m["binaries"]["exe_wrapper"] and "/usr/arm-linux-gnueabihf" in m["binaries"]["exe_wrapper"]
    link = m["built-in options"]["cpp_link_args"]
    for flag in ("-Wl,-z,max-page-size=16384", "-Wl,-z,common-page-size=16384", "-mthumb", "-mfloat-abi=hard"):
        assert flag in link
    assert "-mthumb" in m["built-in options"]["cpp_args"]
    assert m["host_machine"]["system"] == "'linux'" and m["host_machine"]["cpu_family"] == "'arm'"
    host_profile = r.host_profile.read_text()
    assert "os=Linux" in host_profile and "arch=armv7hf" in host_profile and "build_type=MinSizeRel" in host_profile
    assert "compiler=gcc" in host_profile and str(r.machine_file.resolve()) in host_profile
    assert "arch=x86_64" in r.build_profile.read_text() or "arch=armv8" in r.build_profile.read_text()
    # the identity follows compilers and flags, not the launcher
    r2 = toolchains.render(tc, tmp_path / "other", jobs=1, launcher=shutil.which("ccache"))
    assert r2.toolchain_id == r.toolchain_id
    changed = Toolchain(**{**tc.__dict__, "c_args": (*tc.c_args, "-O1")})
    assert toolchains.render(changed, tmp_path / "c", jobs=1).toolchain_id != r.toolchain_id


@needs_arm64
def test_machine_file_drives_a_real_meson_cross_build(tmp_path: Path) -> None:
    """The rendered file alone is enough for Meson to cross-compile and run (qemu) a program."""
    tc = gnu.SOURCE.detect(TARGETS["android-arm64-v8a"], "21")
    assert isinstance(tc, Toolchain)
    if tc.exe_wrapper is None:
        pytest.skip("qemu-aarch64 missing")
    r = toolchains.render(tc, tmp_path / "conan", jobs=1)
    src = tmp_path / "src"
    src.mkdir()
    (src / "meson.build").write_text(
        "project('p', 'cpp')\n"
        "e = executable('hello', 'hello.cpp')\n"
        "test('hello', e)\n"
    )
    (src / "hello.cpp").write_text(
        "#include <stdio.h>\nint main() {\n#if defined(__aarch64__)\nputs(\"aarch64\"); return 0;\n"
        "#else\nreturn 1;\n#endif\n}\n"
    )
    env = tool_env()  # the venv's meson/ninja first on PATH
    subprocess.run(["meson", "setup", "--cross-file", str(r.machine_file), str(tmp_path / "b"), str(src)],
                   check=True, env=env, capture_output=True)
    subprocess.run(["meson", "test", "-C", str(tmp_path / "b")], check=True, env=env, capture_output=True)
    out = subprocess.run(["file", str(tmp_path / "b" / "hello")], capture_output=True, text=True).stdout
    assert "aarch64" in out.lower()


def test_host_toolchain_is_native() -> None:
    tc = host.SOURCE.detect(TARGETS["host"], "")
    assert isinstance(tc, Toolchain) and not tc.standin and tc.exe_wrapper is None
    assert not toolchains.is_cross(tc)
    text = toolchains.machine_file_text(tc)
    assert "[host_machine]" not in text  # a native file
