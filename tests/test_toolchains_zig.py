"""The zig toolchain source (PyPI ziglang): real zig, real objects, checked with macholib/pyelftools."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from elftools.elf.elffile import ELFFile
from fakes.machoinfo import PLATFORM_IOS, PLATFORM_IOSSIMULATOR, archive_facts

from sdkbuild import toolchains
from sdkbuild.targets import TARGETS
from sdkbuild.toolchains import zig
from sdkbuild.toolchains.base import Toolchain, Unavailable

pytestmark = pytest.mark.skipif(zig.find_zig() is None, reason="zig not installed (pip install ziglang)")
CPU_ARM64, CPU_X86_64 = 0x0100000C, 0x01000007


def _tc(name: str, min_os: str) -> Toolchain:
    r = zig.SOURCE.detect(TARGETS[name], min_os)
    assert isinstance(r, Toolchain), r
    return r


def _run(cmd: list[str], tc: Toolchain, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **tc.env}, **kw)  # type: ignore[call-overload]


@pytest.mark.parametrize("name,min_os,zt,kind_min", [
    ("ios-arm64", "13.0", "aarch64-ios.13.0", "13.0"),
    ("ios-simulator-arm64", "13.0", "aarch64-ios.14.0-simulator", "14.0"),  # Apple Silicon simulators: 14+
    ("ios-simulator-arm64", "15.4", "aarch64-ios.15.4-simulator", "15.4"),
    ("ios-simulator-x86_64", "12.0", "x86_64-ios.12.0-simulator", "12.0"),
    ("android-arm64-v8a", "24", "aarch64-linux-gnu.2.34", "24"),
    ("android-armeabi-v7a", "21", "arm-linux-gnueabihf.2.34", "21"),
    ("android-x86", "21", "x86-linux-gnu.2.34", "21"),
    ("android-x86_64", "21", "x86_64-linux-gnu.2.34", "21"),
])
def test_detect_target_spelling(name: str, min_os: str, zt: str, kind_min: str) -> None:
    tc = _tc(name, min_os)
    assert tc.source == "zig" and tc.standin is True and tc.version.startswith("zig ")
    assert tc.cc[1:] == ("-target", zt) and tc.cxx[1:] == ("-target", zt)
    assert tc.cc[0].endswith("/zig-cc") and tc.cxx[0].endswith("/zig-c++") and tc.ar.endswith("/zig-ar")
    assert tc.min_os == kind_min and tc.sysroot is None
    assert set(tc.env) == {"ZIG_GLOBAL_CACHE_DIR"}  # the local cache goes in each build folder (build_env)
    assert "-nostdlib++" in tc.link_args  # the engine links no C++ library (zig would build libc++)
    if name.startswith("ios-"):
        assert tc.library_kind == "static" and "-nostdinc++" in tc.cpp_args
        assert any("Darwin libc headers" in n for n in tc.notes)
    else:
        assert tc.library_kind == "shared" and "not bionic-linked" in tc.notes[0]
        assert set(TARGETS[name].arch_flags) <= set(tc.c_args)


def test_supports_ios_and_android_not_host() -> None:
    assert all(zig.SOURCE.supports(t) for t in TARGETS.values() if t.platform in ("ios", "android"))
    assert not zig.SOURCE.supports(TARGETS["host"])


def test_unavailable_without_zig(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(zig.importlib.util, "find_spec", lambda name, *a: None)  # no ziglang package
    monkeypatch.setenv("PATH", str(tmp_path))  # and no zig on PATH
    r = zig.SOURCE.detect(TARGETS["ios-arm64"], "13.0")
    assert isinstance(r, Unavailable) and "zig not found" in r.reason and "pip install ziglang" in r.install_hint


@pytest.mark.parametrize("flag,target,macro", [
    ("-march=armv8-a", "aarch64-linux-gnu", "__ARM_NEON"),
    ("-march=armv8.2-a+dotprod", "aarch64-ios.13.0", "__ARM_FEATURE_DOTPROD"),
    ("-march=armv8.2-a", "aarch64-linux-gnu", "__ARM_FEATURE_QRDMX"),
    ("-march=armv7-a", "arm-linux-gnueabihf", "__ARM_ARCH_7A__"),
    ("-march=x86-64", "x86_64-linux-gnu", "__SSE2__"),
    ("-march=x86-64-v3", "x86_64-linux-gnu", "__AVX2__"),
    ("-march=i686", "x86-linux-gnu", "__i686__"),
    # the cross file's baseline first, then the dotprod file's own flag: the last one wins, as with GCC
    ("-march=armv8-a -march=armv8.2-a+dotprod", "aarch64-linux-gnu", "__ARM_FEATURE_DOTPROD"),
])
def test_wrapper_maps_gcc_march_spellings(flag: str, target: str, macro: str) -> None:
    """The engine's meson.build asks for -march=armv8.2-a+dotprod; plain zig reads it as a CPU name."""
    tc = _tc("android-arm64-v8a", "24")
    r = _run([tc.cc[0], "-target", target, *flag.split(), "-dM", "-E", "-x", "c", os.devnull], tc)
    assert r.returncode == 0, r.stderr
    assert f"#define {macro} " in r.stdout


def test_armv7_code_is_thumb2(tmp_path: Path) -> None:
    """armeabi-v7a is Thumb-2: zig ignores -mthumb, the wrapper turns it into +thumb_mode."""
    tc = _tc("android-armeabi-v7a", "21")
    assert "-mthumb" in tc.c_args
    src = tmp_path / "f.c"
    src.write_text("int f(int a) { return a * 3 + 1; }\n")
    obj = tmp_path / "f.o"
    r = _run([*tc.cc, *tc.c_args, "-Os", "-c", str(src), "-o", str(obj)], tc)
    assert r.returncode == 0, r.stderr
    with obj.open("rb") as fh:
        elf = ELFFile(fh)
        [f] = [s for s in elf.get_section_by_name(".symtab").iter_symbols() if s.name == "f"]
        assert f["st_value"] & 1  # the Thumb bit of an ARM ELF function symbol
        attrs = {a.tag: a.value for sec in elf.iter_sections() if sec.name == ".ARM.attributes"
                 for sub in sec.iter_subsections() for ss in sub.iter_subsubsections() for a in ss.iter_attributes()}
    assert attrs.get("TAG_THUMB_ISA_USE") == 2 and attrs.get("TAG_ADVANCED_SIMD_ARCH") == 1  # Thumb-2, NEON


IOS_SRC = """
#include <math.h>
#include <pthread.h>
#include <string.h>
extern "C" __attribute__((visibility("default"))) float sdk_norm(const float* x, int n) {
  float s = 0; for (int i = 0; i < n; ++i) s += x[i] * x[i];
  return sqrtf(s) + (float)strlen("");
}
extern "C" int sdk_unused(int a) { return a * 3; }
#if defined(__aarch64__)
#include <arm_neon.h>
extern "C" int32x4_t sdk_dot(int32x4_t a, int8x16_t b, int8x16_t c) { return vdotq_s32(a, b, c); }
#endif
"""


@pytest.mark.parametrize("name,platform,cpu,minos", [
    ("ios-arm64", PLATFORM_IOS, CPU_ARM64, "13.0"),
    ("ios-simulator-arm64", PLATFORM_IOSSIMULATOR, CPU_ARM64, "14.0"),
    ("ios-simulator-x86_64", PLATFORM_IOSSIMULATOR, CPU_X86_64, "13.0"),
])
def test_ios_static_library_is_macho_for_the_platform(name: str, platform: int, cpu: int, minos: str,
                                                      tmp_path: Path) -> None:
    tc = _tc(name, "13.0")
    src = tmp_path / "norm.cpp"
    src.write_text(IOS_SRC)
    obj = tmp_path / "norm.o"
    dot = ["-march=armv8.2-a+dotprod"] if cpu == CPU_ARM64 else []  # as engine/meson.build asks for it
    cmd = [*tc.cxx, *tc.cpp_args, *dot, "-std=c++17", "-Os", "-fno-exceptions", "-fno-rtti", "-c", str(src),
           "-o", str(obj)]
    r = _run(cmd, tc)
    assert r.returncode == 0, f"{cmd}\n{r.stderr}"
    lib = tmp_path / "libnorm.a"
    r = _run([tc.ar, "rcsD", str(lib), str(obj)], tc)
    assert r.returncode == 0, r.stderr
    assert lib.read_bytes()[:8] == b"!<arch>\n" and b"__.SYMDEF" in lib.read_bytes()[:200]  # BSD format for ld64
    [f] = archive_facts(lib)
    assert (f.platform, f.cputype, f.minos) == (platform, cpu, minos)
    assert f.subsections_via_symbols  # the app's -dead_strip drops sdk_unused
    nm = shutil.which("llvm-nm")
    if nm:
        undef = subprocess.run([nm, "-u", str(lib)], capture_output=True, text=True, check=True).stdout.split()
        assert not [s for s in undef if s.startswith(("__ZNSt", "___cxa", "__Znw"))], undef  # no C++ runtime


def test_ios_rejects_cxx_library_headers(tmp_path: Path) -> None:
    """-nostdinc++ keeps the engine's no-C++-library rule (and zig's libc++ headers out of Apple slices)."""
    tc = _tc("ios-arm64", "13.0")
    src = tmp_path / "v.cpp"
    src.write_text("#include <vector>\nint f() { return 0; }\n")
    r = _run([*tc.cxx, *tc.cpp_args, "-c", str(src), "-o", str(tmp_path / "v.o")], tc)
    assert r.returncode != 0 and "'vector' file not found" in r.stderr


ANDROID_SRC = """
#include <math.h>
#include <pthread.h>
#include <stdio.h>
static void* work(void* p) { *(double*)p = sqrt(*(double*)p); return 0; }
int main(void) {
  double x = 2.0; pthread_t t;
  if (pthread_create(&t, 0, work, &x) != 0) return 2;
  pthread_join(t, 0);
  printf("%.4f\\n", x);
  return 0;
}
"""


@pytest.mark.parametrize("name,machine", [
    ("android-arm64-v8a", "EM_AARCH64"), ("android-armeabi-v7a", "EM_ARM"), ("android-x86_64", "EM_X86_64")])
def test_android_standin_links_16k_pages_and_runs(name: str, machine: str, tmp_path: Path) -> None:
    tc = _tc(name, "24")
    if TARGETS[name].qemu and tc.exe_wrapper is None:
        pytest.skip(f"{TARGETS[name].qemu} missing")
    src = tmp_path / "m.c"
    src.write_text(ANDROID_SRC)
    obj, exe = tmp_path / "m.o", tmp_path / "m"
    # compile and link apart, as Meson does (armv7: Thumb-2 objects, zig's own crt in ARM mode)
    cmd = [*tc.cc, *tc.c_args, "-Os", "-c", str(src), "-o", str(obj)]
    r = _run(cmd, tc, timeout=600)
    assert r.returncode == 0, f"{cmd}\n{r.stderr}"
    cmd = [*tc.cc, str(obj), "-o", str(exe), *tc.link_args, "-Wl,-z,text", "-lm", "-pthread"]
    r = _run(cmd, tc, timeout=600)
    assert r.returncode == 0, f"{cmd}\n{r.stderr}"
    with exe.open("rb") as fh:
        elf = ELFFile(fh)
        assert elf["e_machine"] == machine
        assert all(s["p_align"] == 16384 for s in elf.iter_segments() if s["p_type"] == "PT_LOAD")
    r = _run([*(tc.exe_wrapper or ()), str(exe)], tc, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "1.4142", r.stderr


def test_resolution_falls_back_to_zig_for_ios(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/usr/bin")  # no xcrun in either
    if shutil.which("xcrun"):
        pytest.skip("xcrun present")
    res = toolchains.resolve(TARGETS["ios-simulator-x86_64"])
    assert res.toolchain is not None and res.toolchain.source == "zig"
    assert res.tried[0].source == "xcode" and "only available on macOS" in res.tried[0].reason


TOML = """
[sdk]
name = "TinyKit"
version = "0.3.0"
java_package = "com.example.tinykit"
objc_prefix = "TK"
targets = ["ios-arm64", "android-x86_64"]

[android]
min_sdk = 24
toolchain = "zig"

[ios]
min_version = "13.0"
toolchain = "zig"

[engine]
dtypes = ["fp32"]
ops = "auto"

[models]
files = ["models/tiny.onnx"]
"""


@pytest.mark.slow
def test_sdkbuild_build_with_zig(tmp_path: Path) -> None:
    """End to end: an iOS static slice and an Android-ISA stand-in, both built by zig."""
    from test_build import make_tiny_onnx

    from sdkbuild.runtime import Engine

    make_tiny_onnx(tmp_path / "models" / "tiny.onnx")
    (tmp_path / "sdk.toml").write_text(TOML)
    r = subprocess.run([sys.executable, "-m", "sdkbuild.cli", "build", "--no-bindings"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stdout + r.stderr
    ios = json.loads((tmp_path / "build" / "ios-arm64" / "build-info.json").read_text())
    assert ios["toolchain"]["source"] == "zig" and ios["toolchain"]["standin"] is True
    assert ios["library_kind"] == "static" and ios["min_os"] == "13.0"
    facts = archive_facts(tmp_path / "build" / "ios-arm64" / ios["library"])
    assert facts and all((f.platform, f.cputype, f.minos) == (PLATFORM_IOS, CPU_ARM64, "13.0") for f in facts)

    andr = json.loads((tmp_path / "build" / "android-x86_64" / "build-info.json").read_text())
    assert andr["toolchain"]["source"] == "zig" and andr["toolchain"]["standin"] is True
    lib = tmp_path / "build" / "android-x86_64" / andr["library"]
    with lib.open("rb") as fh:
        assert all(s["p_align"] == 16384 for s in ELFFile(fh).iter_segments() if s["p_type"] == "PT_LOAD")
    for name, info in (("ios-arm64", ios), ("android-x86_64", andr)):
        if info["conan"]["source"] == "built":  # zig's local cache (a copy of each object) stays in the build folder
            assert list((tmp_path / "build" / name / "engine").glob("*/zig-local-cache/o/*")), name
    # the x86_64 stand-in runs here: same results as onnxruntime on the source model
    import onnxruntime as ort

    x = np.random.default_rng(1).standard_normal((1, 1, 8, 8)).astype(np.float32)
    want = ort.InferenceSession(str(tmp_path / "models" / "tiny.onnx")).run(None, {"x": x})[0]
    with Engine(lib) as eng, eng.load(tmp_path / "build" / "models" / "tiny.sdkm") as model, model.session() as s:
        got = s.run({"x": x})
    np.testing.assert_allclose(next(iter(got.values())), want, rtol=1e-4, atol=1e-4)
