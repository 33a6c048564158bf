"""`sdkbuild build` of the bundled example (a copy of examples/) for all 8 targets, and the
checks every shipped library must pass, read from the real files:

- Android (.so): PT_LOAD aligned to >= 16 KB pages, only sdk_* and JNI_OnLoad exported,
  DT_NEEDED within libc/libm/libdl (no C++ runtime, no libgcc_s), BIND_NOW, a GNU_RELRO
  segment, no text relocations. Linux stand-ins (no NDK here) may also name the glibc
  loader: aarch64 glibc keeps the stack-protector canary `__stack_chk_guard` in
  ld-linux-aarch64.so.1 (bionic keeps it in libc.so); nothing else comes from it.
- iOS (.a): every member a Mach-O object with LC_BUILD_VERSION platform iOS (2) or iOS
  simulator (7) and the configured minimum (arm64 simulators start at 14.0).
- `sdkbuild test` for arm64 and armv7 runs the engine tests under qemu with the default
  toolchain resolution (no toolchain named in sdk.toml).

The example is built once per session (shared by xdist workers); every test reads it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bindings_helpers import shared_once
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from fakes.machoinfo import PLATFORM_IOS, PLATFORM_IOSSIMULATOR, archive_facts

from sdkbuild.targets import ANDROID_TARGETS, IOS_TARGETS

# the tests wait for the example's shared build: one pytest-xdist worker runs them (--dist loadgroup)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("examples-all-targets")]

ROOT = Path(__file__).resolve().parents[1]
ALL_TARGETS = [*ANDROID_TARGETS, *IOS_TARGETS, "host"]
LIB = "libvisionkit"
DF_TEXTREL, DF_BIND_NOW, DF_1_NOW = 0x4, 0x8, 0x1
ALLOWED_NEEDED = ("libc.so", "libm.so", "libdl.so")
SELECTIVE_GOAL = 96 * 1024  # arm64-v8a, a selective build for the example models (docs/size.md)
CPU_ARM64, CPU_X86_64 = 0x0100000C, 0x01000007


def _sdkbuild(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sdkbuild.cli", *args], cwd=root, capture_output=True,
                          text=True, timeout=1800)


def _build_examples(folder: Path) -> None:
    _copy_example(folder)
    r = _sdkbuild(folder / "ex", "build", "-j2")
    (folder / "build.json").write_text(json.dumps({"rc": r.returncode, "out": r.stdout + r.stderr}))


ARM_TEST_TARGETS = {"android-arm64-v8a": "qemu-aarch64", "android-armeabi-v7a": "qemu-arm"}
# the tests that wait for arm_engine_tests() run on one pytest-xdist worker (--dist loadgroup),
# so no other worker sits idle while one builds it
ARM_GROUP = "arm-engine-tests"


def _copy_example(folder: Path) -> None:
    shutil.copytree(ROOT / "examples", folder / "ex", ignore=shutil.ignore_patterns("build", "dist"))


def _test_arm(folder: Path) -> None:
    _copy_example(folder)
    args = [a for t in ARM_TEST_TARGETS for a in ("--target", t)]
    r = _sdkbuild(folder / "ex", "test", "-j2", *args)
    (folder / "test.json").write_text(json.dumps({"rc": r.returncode, "stdout": r.stdout, "stderr": r.stderr}))


def arm_engine_tests(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """`sdkbuild test` of the example's project for both ARM targets, once per session (its own
    copy, so it does not wait for the example's build): (the project, its result). The engine
    test builds it leaves are also what tests/test_kernels.py reads and runs models with."""
    folder = shared_once(tmp_path_factory, "example-arm-engine-tests", _test_arm)
    return folder / "ex", json.loads((folder / "test.json").read_text())


def engine_test_build(project: Path, target: str) -> Path:
    """The Meson build folder `sdkbuild test` made for `target` in `project`."""
    logs = list((project / "build" / target / "test").rglob("testlog.json"))
    assert len(logs) == 1, logs
    return logs[0].parent.parent


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = shared_once(tmp_path_factory, "examples-all-targets", _build_examples)
    res = json.loads((folder / "build.json").read_text())
    assert res["rc"] == 0, res["out"][-6000:]
    return folder / "ex"


def _info(example: Path, target: str) -> dict:
    return json.loads((example / "build" / target / "build-info.json").read_text())


def test_every_target_builds(example: Path) -> None:
    for t in ALL_TARGETS:
        info = _info(example, t)
        assert info["target"] == t and (example / "build" / t / info["library"]).is_file()
        assert info["ops"] == ["Add", "Conv", "Gemm", "GlobalAveragePool", "MaxPool", "Reshape"]


def _imports_by_file(elf: ELFFile) -> dict[str, set[str]]:
    """Undefined dynamic symbols per DT_NEEDED file, from the symbol versions (.gnu.version_r)."""
    verneed, versym = elf.get_section_by_name(".gnu.version_r"), elf.get_section_by_name(".gnu.version")
    if verneed is None or versym is None:
        return {}
    file_of = {aux["vna_other"]: v.name for v, auxs in verneed.iter_versions() for aux in auxs}
    out: dict[str, set[str]] = {}
    for i, sym in enumerate(elf.get_section_by_name(".dynsym").iter_symbols()):
        if sym.name and sym["st_shndx"] == "SHN_UNDEF":
            out.setdefault(file_of.get(versym.get_symbol(i)["ndx"], "?"), set()).add(sym.name)
    return out


def _dynamic(elf: ELFFile) -> dict[str, list]:
    tags: dict[str, list] = {}
    for sec in elf.iter_sections():
        if isinstance(sec, DynamicSection):
            for t in sec.iter_tags():
                tags.setdefault(t.entry.d_tag, []).append(t.needed if t.entry.d_tag == "DT_NEEDED" else t.entry.d_val)
    return tags


@pytest.mark.parametrize("target", ANDROID_TARGETS)
def test_android_library_meets_the_platform_rules(example: Path, target: str) -> None:
    info = _info(example, target)
    lib = example / "build" / target / info["library"]
    with open(lib, "rb") as f:
        elf = ELFFile(f)
        loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        assert loads and all(s["p_align"] >= 16384 for s in loads), [s["p_align"] for s in loads]
        assert any(s["p_type"] == "PT_GNU_RELRO" for s in elf.iter_segments()), "no RELRO segment"
        tags = _dynamic(elf)
        assert "DT_TEXTREL" not in tags
        flags, flags_1 = sum(tags.get("DT_FLAGS", [])), sum(tags.get("DT_FLAGS_1", []))
        assert not flags & DF_TEXTREL
        assert flags & DF_BIND_NOW or flags_1 & DF_1_NOW, "not linked with -z now"
        exported = sorted(s.name for s in elf.get_section_by_name(".dynsym").iter_symbols()
                          if s.name and s["st_shndx"] != "SHN_UNDEF"
                          and s["st_info"]["bind"] in ("STB_GLOBAL", "STB_WEAK"))
        prefix = info["symbol_prefix"] + "_sdk_"  # the SDK's own names (engine/tools/symbol_prefix.py)
        assert prefix + "session_run" in exported and "JNI_OnLoad" in exported  # the C API + the JNI glue
        assert all(s.startswith(prefix) or s == "JNI_OnLoad" for s in exported), exported
        needed = tags.get("DT_NEEDED", [])
        loader = [n for n in needed if n.startswith("ld-linux")]
        assert all(n.startswith(ALLOWED_NEEDED) for n in needed if n not in loader), needed
        if loader:
            # only a glibc stand-in names the loader, and only for what glibc defines there
            # (the aarch64 canary, TLS access; see the docstring)
            assert info["toolchain"]["standin"] is True
            from_loader = set().union(*(_imports_by_file(elf).get(n, set()) for n in loader))
            assert from_loader and from_loader <= {"__stack_chk_guard", "__tls_get_addr"}, from_loader


@pytest.mark.parametrize("target", IOS_TARGETS)
def test_ios_slice_is_macho_for_ios_with_the_minimum_version(example: Path, target: str) -> None:
    info = _info(example, target)
    assert info["library_kind"] == "static"
    members = archive_facts(example / "build" / target / info["library"])
    want_platform = PLATFORM_IOSSIMULATOR if target.startswith("ios-simulator") else PLATFORM_IOS
    want_min = "14.0" if target == "ios-simulator-arm64" else "13.0"  # examples/sdk.toml: 13.0
    assert info["min_os"] == want_min
    cpu = CPU_X86_64 if target.endswith("x86_64") else CPU_ARM64
    assert members and all(m.platform == want_platform and m.minos == want_min and m.cputype == cpu
                           for m in members), members


def test_arm64_selective_build_within_the_goal(example: Path) -> None:
    """Both example models' ops (so each model's selective build is at most this), JNI glue included."""
    info = _info(example, "android-arm64-v8a")
    assert info["sizes"]["stripped"] <= SELECTIVE_GOAL, info["sizes"]


@pytest.mark.skipif(not (shutil.which("qemu-aarch64") and shutil.which("qemu-arm")), reason="qemu-user")
@pytest.mark.skipif(bool(os.environ.get("ANDROID_NDK_HOME") or os.environ.get("ANDROID_NDK_ROOT")),
                    reason="with an NDK the tests build bionic binaries, which qemu-user cannot run here")
@pytest.mark.xdist_group(ARM_GROUP)
def test_engine_tests_pass_for_arm_under_qemu(tmp_path_factory: pytest.TempPathFactory) -> None:
    project, r = arm_engine_tests(tmp_path_factory)
    assert r["rc"] == 0, r["stdout"][-4000:] + r["stderr"][-2000:]
    for target, qemu in ARM_TEST_TARGETS.items():
        line = next(ln for ln in r["stdout"].splitlines() if ln.split()[:2] == [target, "passed"])
        # the library is zig's; the tests need a C++ library, so they resolve to gnu
        assert "gnu " in line, line
        build = engine_test_build(project, target)
        cases = [json.loads(x) for x in (build / "meson-logs" / "testlog.json").read_text().splitlines() if x.strip()]
        assert cases and all(c["result"] == "OK" and qemu in c["command"][0] for c in cases), cases
        # built by the Debian cross g++ (not zig), the library still needs no libstdc++/libgcc_s
        libs = list(build.glob("lib*.so"))
        assert len(libs) == 1, libs
        with open(libs[0], "rb") as f:
            needed = _dynamic(ELFFile(f)).get("DT_NEEDED", [])
        assert needed and all(n.startswith((*ALLOWED_NEEDED, "ld-linux")) for n in needed), needed
