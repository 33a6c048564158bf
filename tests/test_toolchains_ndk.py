"""The NDK toolchain source, against a fake NDK tree (tests/fakes/make_fake_ndk.py).

The fake is a test device: the NDK's layout with compiler wrappers that run Debian's clang
for the matching Linux triple. Detection, version handling, the flags and a real compile +
link through them are tested; bionic itself cannot be (there is no NDK here).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from fakes.make_fake_ndk import make_fake_ndk

from sdkbuild import toolchains
from sdkbuild.targets import TARGETS
from sdkbuild.toolchains import ndk
from sdkbuild.toolchains.base import Toolchain, Unavailable

ENV_VARS = ("ANDROID_NDK_HOME", "ANDROID_NDK_ROOT", "ANDROID_HOME", "ANDROID_SDK_ROOT")
needs_clang = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("clang", "clang++", "ld.lld", "llvm-ar", "llvm-strip")),
    reason="the fake NDK runs Debian's clang + lld + llvm")
ARM64 = TARGETS["android-arm64-v8a"]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for v in ENV_VARS:
        monkeypatch.delenv(v, raising=False)


@pytest.fixture(scope="module")
def fake_ndk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_fake_ndk(tmp_path_factory.mktemp("ndk") / "android-ndk-r27c")


def _tc(target_name: str = "android-arm64-v8a", api: str = "24") -> Toolchain:
    r = ndk.SOURCE.detect(TARGETS[target_name], api)
    assert isinstance(r, Toolchain), r
    return r


@needs_clang
@pytest.mark.parametrize("var", ["ANDROID_NDK_HOME", "ANDROID_NDK_ROOT"])
def test_detects_ndk_from_env_var(var: str, fake_ndk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(var, str(fake_ndk))
    tc = _tc()
    assert tc.source == "ndk" and tc.standin is False and tc.library_kind == "shared"
    assert tc.version == "NDK r27c (27.2.12479018)"
    bin_dir = fake_ndk / "toolchains" / "llvm" / "prebuilt" / "linux-x86_64" / "bin"
    assert tc.cc == (str(bin_dir / "aarch64-linux-android24-clang"),)
    assert tc.cxx == (str(bin_dir / "aarch64-linux-android24-clang++"),)
    assert tc.ar == str(bin_dir / "llvm-ar") and tc.strip == str(bin_dir / "llvm-strip")
    assert tc.sysroot == str(fake_ndk / "toolchains" / "llvm" / "prebuilt" / "linux-x86_64" / "sysroot")
    assert tc.min_os == "24" and "--target=aarch64-linux-android24" in tc.c_args
    assert {"-Wl,-z,max-page-size=16384", "-Wl,-z,common-page-size=16384"} <= set(tc.link_args)
    assert any(var in n for n in tc.notes)


@needs_clang
def test_ndk_home_wins_over_ndk_root(tmp_path: Path, fake_ndk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = make_fake_ndk(tmp_path / "other", revision="26.3.11579264", apis=(24,))
    monkeypatch.setenv("ANDROID_NDK_ROOT", str(other))
    monkeypatch.setenv("ANDROID_NDK_HOME", str(fake_ndk))
    assert _tc().version == "NDK r27c (27.2.12479018)"


@needs_clang
@pytest.mark.parametrize("var", ["ANDROID_HOME", "ANDROID_SDK_ROOT"])
def test_picks_newest_ndk_of_the_sdk(var: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sdk = tmp_path / "sdk"
    # directory names sort the other way round from the versions: the revision decides
    make_fake_ndk(sdk / "ndk" / "9.9.9-renamed", revision="27.2.12479018", apis=(24,))
    make_fake_ndk(sdk / "ndk" / "26.3.11579264", revision="26.3.11579264", apis=(24,))
    make_fake_ndk(sdk / "ndk" / "25.2.9519653", revision="25.2.9519653", apis=(24,))
    (sdk / "ndk" / "not-an-ndk").mkdir()
    monkeypatch.setenv(var, str(sdk))
    tc = _tc()
    assert tc.version == "NDK r27c (27.2.12479018)"
    assert tc.cxx[0].startswith(str(sdk / "ndk" / "9.9.9-renamed"))
    assert any(f"{var}/ndk/9.9.9-renamed" in n for n in tc.notes)


@needs_clang
def test_armv7_thumb_neon_softfp(fake_ndk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDROID_NDK_HOME", str(fake_ndk))
    tc = _tc("android-armeabi-v7a", "21")
    assert tc.cxx[0].endswith("armv7a-linux-androideabi21-clang++")
    assert {"--target=armv7a-linux-androideabi21", "-march=armv7-a", "-mthumb", "-mfpu=neon",
            "-mfloat-abi=softfp"} <= set(tc.c_args)


@needs_clang
def test_r26_warns_about_16k_pages_but_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDROID_NDK_HOME", str(make_fake_ndk(tmp_path / "r26", revision="26.1.10909125", apis=(24,))))
    tc = _tc()
    assert tc.version == "NDK r26b (26.1.10909125)"
    assert any("predates r27" in n and "max-page-size=16384" in n for n in tc.notes)
    assert "-Wl,-z,max-page-size=16384" in tc.link_args


def test_no_ndk_is_unavailable_with_sdkmanager_hint() -> None:
    r = ndk.SOURCE.detect(ARM64, "24")
    assert isinstance(r, Unavailable) and r.source == "ndk"
    assert "no Android NDK found" in r.reason and "ANDROID_NDK_HOME" in r.reason
    assert r.install_hint == 'set ANDROID_NDK_HOME to an NDK r26+ (e.g. sdkmanager "ndk;27.2.12479018")'


@needs_clang
def test_too_old_ndk_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDROID_NDK_HOME", str(make_fake_ndk(tmp_path / "r22", revision="22.1.7171670", apis=(24,))))
    r = ndk.SOURCE.detect(ARM64, "24")
    assert isinstance(r, Unavailable)
    assert "NDK r22b (22.1.7171670)" in r.reason and "too old" in r.reason and "r23+" in r.reason
    assert "sdkmanager" in r.install_hint


def test_env_var_pointing_elsewhere_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDROID_NDK_HOME", str(tmp_path))
    r = ndk.SOURCE.detect(ARM64, "24")
    assert isinstance(r, Unavailable)
    assert f"ANDROID_NDK_HOME={tmp_path} is not an NDK" in r.reason and "source.properties" in r.reason


@needs_clang
def test_api_below_the_ndk_minimum(fake_ndk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDROID_NDK_HOME", str(fake_ndk))
    r = ndk.SOURCE.detect(ARM64, "19")
    assert isinstance(r, Unavailable)
    assert "API 21..35" in r.reason and "min_sdk = 19 is below its minimum" in r.reason
    assert r.install_hint == "set [android] min_sdk = 21 (or higher) in sdk.toml"


def test_supports_android_only() -> None:
    assert all(ndk.SOURCE.supports(TARGETS[n]) for n in TARGETS if n.startswith("android-"))
    assert not ndk.SOURCE.supports(TARGETS["ios-arm64"]) and not ndk.SOURCE.supports(TARGETS["host"])


@needs_clang
def test_resolution_prefers_the_ndk(fake_ndk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDROID_NDK_HOME", str(fake_ndk))
    res = toolchains.resolve(ARM64)
    assert res.toolchain is not None and res.toolchain.source == "ndk" and res.tried == ()


@needs_clang
def test_sdk_toml_ndk_path_wins(fake_ndk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """[android] ndk = "<path>" in sdk.toml picks that NDK, over a (too old) one in the environment."""
    from sdkbuild.config import parse

    monkeypatch.setenv("ANDROID_NDK_HOME", str(make_fake_ndk(tmp_path / "r22", revision="22.1.7171670", apis=(24,))))
    cfg = parse(f"""
[sdk]
name = "Kit"
version = "1.0.0"
java_package = "com.example.kit"
objc_prefix = "KT"
targets = ["android-arm64-v8a"]
[android]
min_sdk = 26
ndk = "{fake_ndk}"
""", tmp_path / "sdk.toml")
    res = toolchains.resolve(ARM64, cfg)
    assert res.toolchain is not None and res.toolchain.source == "ndk"
    assert res.toolchain.version == "NDK r27c (27.2.12479018)" and res.toolchain.cxx[0].endswith("android26-clang++")


LIB_SRC = """
#include <math.h>
#include <string.h>
__attribute__((visibility("default"))) float sdk_norm(const float* x, int n) {
  float s = 0; for (int i = 0; i < n; ++i) s += x[i] * x[i];
  return sqrtf(s) + (float)strlen("");
}
"""


def _compile_shared(tc: Toolchain, out: Path) -> Path:
    src = out.parent / "norm.c"
    src.write_text(LIB_SRC)
    cmd = [*tc.cc, *tc.c_args, "-Os", "-fPIC", "-shared", *tc.link_args, f"--sysroot={tc.sysroot}",
           str(src), "-o", str(out), "-lm"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, f"{cmd}\n{r.stderr}"
    return out


@needs_clang
@pytest.mark.parametrize("target_name,machine", [
    ("android-arm64-v8a", "EM_AARCH64"), ("android-armeabi-v7a", "EM_ARM"), ("android-x86_64", "EM_X86_64")])
def test_flags_compile_and_link_16k_aligned(target_name: str, machine: str, fake_ndk: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    triple = TARGETS[target_name].gnu_triple
    if triple and triple != "x86_64-linux-gnu" and not Path(f"/usr/{triple}").is_dir():
        pytest.skip(f"Debian cross sysroot /usr/{triple} missing")
    monkeypatch.setenv("ANDROID_NDK_HOME", str(fake_ndk))
    lib = _compile_shared(_tc(target_name), tmp_path / "libnorm.so")
    with lib.open("rb") as fh:
        elf = ELFFile(fh)
        assert elf["e_machine"] == machine and elf["e_type"] == "ET_DYN"
        loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        assert loads and all(s["p_align"] == 16384 for s in loads), [s["p_align"] for s in loads]
        assert all(s["p_vaddr"] % 16384 == s["p_offset"] % 16384 for s in loads)
        names = {s.name for s in elf.get_section_by_name(".dynsym").iter_symbols()}
        assert "sdk_norm" in names
    # the stripped copy is what ships: llvm-strip from the toolchain works on it
    r = subprocess.run([_tc(target_name).strip or "", "--strip-unneeded", "-o", str(tmp_path / "s.so"), str(lib)])
    assert r.returncode == 0 and (tmp_path / "s.so").stat().st_size < lib.stat().st_size


TINY_TOML = """
[sdk]
name = "TinyKit"
version = "0.3.0"
java_package = "com.example.tinykit"
objc_prefix = "TK"
targets = ["android-arm64-v8a"]

[android]
min_sdk = 24

[engine]
dtypes = ["fp32"]
ops = "auto"

[models]
files = ["models/tiny.onnx"]
"""


@pytest.mark.slow
@needs_clang
def test_sdkbuild_build_with_the_ndk(fake_ndk: Path, tmp_path: Path) -> None:
    """`sdkbuild build` picks the NDK (the fake test device) over the fallbacks: standin false."""
    if not Path("/usr/aarch64-linux-gnu").is_dir():
        pytest.skip("Debian arm64 cross sysroot missing")
    from test_build import make_tiny_onnx

    make_tiny_onnx(tmp_path / "models" / "tiny.onnx")
    (tmp_path / "sdk.toml").write_text(TINY_TOML)
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    env["ANDROID_NDK_HOME"] = str(fake_ndk)
    r = subprocess.run([sys.executable, "-m", "sdkbuild.cli", "build", "--no-bindings", "--target",
                        "android-arm64-v8a"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    info = json.loads((tmp_path / "build" / "android-arm64-v8a" / "build-info.json").read_text())
    assert info["toolchain"]["source"] == "ndk" and info["toolchain"]["standin"] is False
    assert info["toolchain"]["version"] == "NDK r27c (27.2.12479018)" and info["min_os"] == "24"
    assert "--target=aarch64-linux-android24" in info["flags"]["c_args"]
    with (tmp_path / "build" / "android-arm64-v8a" / info["library"]).open("rb") as fh:
        elf = ELFFile(fh)
        assert elf["e_machine"] == "EM_AARCH64"
        assert all(s["p_align"] == 16384 for s in elf.iter_segments() if s["p_type"] == "PT_LOAD")
