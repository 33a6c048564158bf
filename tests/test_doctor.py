"""`sdkbuild doctor`: per target the toolchain that would be used, or what is missing and how to fix it."""

from __future__ import annotations

import io
import platform
import shutil
import sys
from pathlib import Path

import pytest
from rich.console import Console

from sdkbuild.doctor import NDK_HINT, _version, check_target, check_tools, run_doctor
from sdkbuild.targets import TARGETS

TOML = """
[sdk]
name = "Kit"
version = "1.0.0"
java_package = "com.example.kit"
objc_prefix = "KT"
targets = ["android-arm64-v8a", "host"]
[android]
toolchain = "{tc}"
"""


def _run(tmp_path: Path, tc: str, all_targets: bool = False) -> tuple[int, str]:
    (tmp_path / "sdk.toml").write_text(TOML.format(tc=tc))
    buf = io.StringIO()
    code = run_doctor(str(tmp_path / "sdk.toml"), all_targets, Console(file=buf, width=200, soft_wrap=True))
    return code, buf.getvalue()


@pytest.mark.skipif(shutil.which("aarch64-linux-gnu-g++") is None, reason="g++-aarch64-linux-gnu")
def test_doctor_standin_row_says_how_to_get_the_ndk(tmp_path: Path) -> None:
    code, out = _run(tmp_path, "gnu")
    assert code == 0
    assert "android-arm64-v8a" in out and "gnu" in out and "stand-in" in out
    assert 'sdkmanager "ndk;27.2.12479018"' in out and "ANDROID_NDK_HOME" in out
    assert "host" in out and "native" in out
    for tool in ("conan", "meson", "ninja", "qemu-aarch64", "javac"):
        assert tool in out


def test_doctor_missing_toolchain_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no cross compiler reachable
    code, out = _run(tmp_path, "gnu")
    assert code == 1
    assert "missing" in out and "sudo apt-get install g++-aarch64-linux-gnu" in out


def test_check_target_and_tools_data() -> None:
    row = check_target(TARGETS["host"], None)
    assert row.ok and row.source == "host" and not row.standin
    tools = {t.name: t for t in check_tools()}
    assert tools["conan"].found and tools["meson"].found and tools["ninja"].found
    assert all(t.hint for t in tools.values())
    assert "r26+" in NDK_HINT


def test_doctor_all_targets_lists_every_target(tmp_path: Path) -> None:
    code, out = _run(tmp_path, "gnu", all_targets=True)
    assert code == 0  # --all reports, it does not fail on targets the SDK does not use
    for name in TARGETS:
        assert name in out


def test_a_tool_whose_version_probe_fails_is_missing() -> None:
    # the zig row runs `python -m ziglang version`: without the package Python prints an error and exits 1
    assert _version([sys.executable, "-m", "sdkbuild_no_such_module", "version"]) is None
    assert _version([sys.executable, "--version"]) == ".".join(map(str, sys.version_info[:3]))


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the i386 runtime row is for x86_64 machines")
def test_doctor_checks_the_i386_runtime(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """android-x86 stand-in test programs run natively: without /lib/ld-linux.so.2 (a fresh machine)
    they cannot start, so doctor names the packages setup.sh installs."""
    from sdkbuild import doctor

    monkeypatch.setattr(doctor, "I386_LOADER", tmp_path / "ld-linux.so.2")
    row = {t.name: t for t in check_tools()}["i386 runtime"]
    assert row.found is None and row.hint == "sudo apt-get install libc6-i386 lib32stdc++6 lib32gcc-s1"
    setup = (Path(__file__).resolve().parents[1] / "scripts" / "setup.sh").read_text()
    assert all(p in setup for p in ("libc6-i386", "lib32stdc++6", "lib32gcc-s1"))


def test_doctor_names_the_conan_remote_and_whether_it_uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SDKBUILD_CONAN_USER", raising=False)
    monkeypatch.delenv("SDKBUILD_CONAN_PASSWORD", raising=False)
    monkeypatch.setenv("SDKBUILD_CONAN_REMOTE", "http://127.0.0.1:9300")
    _, out = _run(tmp_path, "gnu")
    assert "conan remote http://127.0.0.1:9300: download only" in out
    monkeypatch.setenv("SDKBUILD_CONAN_USER", "ci")
    monkeypatch.setenv("SDKBUILD_CONAN_PASSWORD", "secret")
    _, out = _run(tmp_path, "gnu")
    assert "download and upload" in out and "secret" not in out
