"""`sdkbuild build` / `sdkbuild test` end to end: real converter, Conan, Meson, compilers, qemu."""

from __future__ import annotations

import ctypes
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile

from sdkbuild.build import ensure_host_engine
from sdkbuild.engine_sources import sources_hash

TOML = """
[sdk]
name = "TinyKit"
version = "0.3.0"
java_package = "com.example.tinykit"
objc_prefix = "TK"
targets = {targets}

[android]
min_sdk = 24
toolchain = "gnu"

[engine]
dtypes = "auto"
ops = "auto"

[models]
files = ["models/tiny.onnx"]
"""

ALLOWED_NEEDED = ("libc.so", "libm.so", "ld-linux", "libpthread.so", "libdl.so")
has_arm64 = shutil.which("aarch64-linux-gnu-g++") is not None


def make_tiny_onnx(path: Path) -> None:
    """Conv -> Relu -> Reshape -> MatMul, fp32 (the converter fuses the Relu into the Conv)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array(rng.standard_normal((4, 1, 3, 3)).astype(np.float32), "W"),
        numpy_helper.from_array(np.zeros(4, np.float32), "B"),
        numpy_helper.from_array(np.array([1, 4 * 6 * 6], np.int64), "shape"),
        numpy_helper.from_array(rng.standard_normal((144, 10)).astype(np.float32), "G"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "W", "B"], ["c"], kernel_shape=[3, 3]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("Reshape", ["r", "shape"], ["f"]),
        helper.make_node("MatMul", ["f", "G"], ["y"]),
    ]
    g = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), str(path))


def make_project(root: Path, targets: list[str], extra: str = "") -> Path:
    make_tiny_onnx(root / "models" / "tiny.onnx")
    (root / "sdk.toml").write_text(TOML.format(targets=json.dumps(targets)) + extra)
    return root


def sdkbuild(root: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sdkbuild.cli", *args], cwd=root, capture_output=True, text=True,
                          timeout=timeout)


def _targets() -> list[str]:
    return ["host", "android-arm64-v8a"] if has_arm64 else ["host"]


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    root = make_project(tmp_path_factory.mktemp("sdk"), _targets())
    r = sdkbuild(root, "build", "--no-bindings")
    return root, r


def test_listed_dtypes_are_compiled_as_listed(tmp_path: Path) -> None:
    """An explicit [engine] dtypes list is what the build compiles, also when the models need
    less (the init template says so); "auto" follows the models."""
    root = make_project(tmp_path, ["host"])
    toml = (root / "sdk.toml").read_text()
    (root / "sdk.toml").write_text(toml.replace('dtypes = "auto"', 'dtypes = ["fp32", "int8"]'))
    r = sdkbuild(root, "build", "--print-ops")
    assert r.returncode == 0, r.stderr
    assert "dtypes: fp32, int8\n" in r.stdout
    (root / "sdk.toml").write_text(toml.replace('dtypes = "auto"', 'dtypes = ["int8"]'))
    r = sdkbuild(root, "build", "--print-ops")
    assert r.returncode != 0 and "need(s) dtype fp32" in r.stderr and 'dtypes = "auto"' in r.stderr


def test_print_ops_maps_ops_to_models(tmp_path: Path) -> None:
    root = make_project(tmp_path, ["host"])
    r = sdkbuild(root, "build", "--print-ops")
    assert r.returncode == 0, r.stderr
    assert "ops (auto: from the models): Conv, MatMul, Reshape" in r.stdout
    assert "dtypes: fp32\n" in r.stdout  # auto: the types the models use (no int8 here)
    for op in ("Conv", "MatMul", "Reshape"):  # the converter fuses Relu into Conv
        assert any(line.split()[:2] == [op, "tiny.sdkm"] for line in r.stdout.splitlines()), op
    assert (root / "build" / "models" / "tiny.sdkm").is_file()
    assert not (root / "build" / "host").exists()  # --print-ops builds nothing
    assert "converted tiny.onnx" in r.stdout
    again = sdkbuild(root, "build", "--print-ops")
    assert again.returncode == 0 and "converted" not in again.stdout  # up to date by hash


def test_failing_target_shows_log_tail_and_exits_1(tmp_path: Path) -> None:
    root = make_project(tmp_path, ["android-x86_64"])
    text = (root / "sdk.toml").read_text().replace('toolchain = "gnu"', 'toolchain = "ndk"')
    (root / "sdk.toml").write_text(text)
    r = subprocess.run([sys.executable, "-m", "sdkbuild.cli", "build", "--no-bindings"], cwd=root,
                       capture_output=True, text=True, timeout=300,
                       env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home())})
    assert r.returncode == 1
    assert "android-x86_64" in r.stdout and "FAILED" in r.stdout
    assert "full log:" in r.stdout and (root / "build" / "android-x86_64" / "build.log").is_file()
    assert "ndk" in r.stdout and "Traceback" not in r.stderr


def _elf_facts(path: Path) -> dict:
    with open(path, "rb") as f:
        elf = ELFFile(f)
        needed = [t.needed for s in elf.iter_sections() if isinstance(s, DynamicSection)
                  for t in s.iter_tags() if t.entry.d_tag == "DT_NEEDED"]
        dynsym = elf.get_section_by_name(".dynsym")
        exported = sorted(
            s.name for s in dynsym.iter_symbols()
            if s["st_shndx"] != "SHN_UNDEF" and s["st_info"]["bind"] in ("STB_GLOBAL", "STB_WEAK") and s.name
        )
        return {
            "machine": elf["e_machine"],
            "needed": needed,
            "exported": exported,
            "symtab": elf.get_section_by_name(".symtab") is not None,
            "load_align": [seg["p_align"] for seg in elf.iter_segments() if seg["p_type"] == "PT_LOAD"],
        }


@pytest.mark.slow
def test_build_outputs_follow_the_contract(built: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    root, r = built
    assert r.returncode == 0, r.stdout + r.stderr
    for target in _targets():
        out = root / "build" / target
        info = json.loads((out / "build-info.json").read_text())
        assert info["schema"] == 1 and info["target"] == target
        assert info["sdk"] == {"name": "TinyKit", "version": "0.3.0", "lib_name": "tinykit"}
        assert info["library"] == "lib/libtinykit.so" and info["library_kind"] == "shared"
        assert info["unstripped_library"] == "lib/libtinykit.unstripped.so"
        assert info["ops"] == ["Conv", "MatMul", "Reshape"]
        assert info["op_sources"]["Conv"][0] == "src/ops/conv.cpp"
        assert all(src.startswith("src/") for srcs in info["op_sources"].values() for src in srcs)
        assert "fp32" in info["features"] and "int8" not in info["features"] and "threads" in info["features"]
        assert info["inputs"]["models"].keys() == {"tiny.sdkm"} and len(info["inputs"]["engine_sources"]) == 64
        # the SDK's own C header and symbol names (engine/tools/symbol_prefix.py)
        assert info["symbol_prefix"] == info["sdk"]["lib_name"] and info["c_header"] == f"{info['symbol_prefix']}/engine.h"
        assert (out / "include" / info["c_header"]).is_file() and not (out / "include" / "sdkengine").exists()
        assert (out / "build.log").stat().st_size > 0
        lib, unstripped = out / info["library"], out / info["unstripped_library"]
        assert info["sizes"]["file"] == lib.stat().st_size
        assert lib.stat().st_size < unstripped.stat().st_size
        facts = _elf_facts(lib)
        assert all(n.startswith(ALLOWED_NEEDED) for n in facts["needed"]), facts["needed"]
        assert "libstdc++" not in " ".join(facts["needed"])
        assert facts["exported"] and all(s.startswith(info["symbol_prefix"] + "_sdk_") for s in facts["exported"]), \
            facts["exported"]
        assert not facts["symtab"] and _elf_facts(unstripped)["symtab"]
    if has_arm64:
        info = json.loads((root / "build" / "android-arm64-v8a" / "build-info.json").read_text())
        assert info["platform"] == "android" and info["abi"] == "arm64-v8a" and info["min_os"] == "24"
        assert info["toolchain"]["source"] == "gnu" and info["toolchain"]["standin"] is True
        assert "-Wl,-z,max-page-size=16384" in info["flags"]["link_args"]
        assert "neon" in info["features"]
        facts = _elf_facts(root / "build" / "android-arm64-v8a" / info["library"])
        assert facts["machine"] == "EM_AARCH64"
        assert all(a == 0x4000 for a in facts["load_align"]), facts["load_align"]


@pytest.mark.slow
def test_noop_rebuild_compiles_nothing(built: tuple[Path, subprocess.CompletedProcess[str]],
                                       tmp_path: Path) -> None:
    root, first = built
    assert first.returncode == 0, first.stdout + first.stderr
    for _ in range(3):  # while others edit the engine in this checkout, its sources may move under us
        before = sources_hash()
        assert sdkbuild(root, "build", "--no-bindings").returncode == 0  # up to date with the sources now
        r = sdkbuild(root, "build", "--no-bindings")
        if sources_hash() == before:
            break
    else:
        pytest.skip("engine sources kept changing during the test")
    assert r.returncode == 0, r.stdout + r.stderr
    for target in _targets():  # outputs current: not even Conan is asked
        assert any(line.split()[:2] == [target, "up-to-date"] for line in r.stdout.splitlines()), r.stdout
    # without the outputs (a fresh CI job, --clean), Conan's cache serves the package
    r = sdkbuild(root, "build", "--no-bindings", "--clean")
    if sources_hash() != before:
        pytest.skip("engine sources changed during the test")
    assert r.returncode == 0, r.stdout + r.stderr
    for target in _targets():
        assert any(line.split()[:2] == [target, "cached"] for line in r.stdout.splitlines()), r.stdout
        info = json.loads((root / "build" / target / "build-info.json").read_text())
        assert info["conan"]["reused"] is True
        log = (root / "build" / target / "build.log").read_text()
        assert "Compiling C++ object" not in log and "Already installed" in log
    # the same configuration in another checkout comes from the Conan cache too
    other = tmp_path / "checkout2"
    shutil.copytree(root, other, ignore=shutil.ignore_patterns("build"))
    r = sdkbuild(other, "build", "--no-bindings", "--target", "host")
    assert r.returncode == 0 and any(line.split()[:2] == ["host", "cached"] for line in r.stdout.splitlines())


@pytest.mark.slow
def test_changed_selection_rebuilds(built: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path) -> None:
    root, first = built
    assert first.returncode == 0
    other = tmp_path / "p"
    shutil.copytree(root, other, ignore=shutil.ignore_patterns("build"))
    toml = (other / "sdk.toml").read_text().replace('ops = "auto"', 'ops = ["Conv", "Relu", "Reshape", "MatMul", "Add"]')
    (other / "sdk.toml").write_text(toml)
    r = sdkbuild(other, "build", "--no-bindings", "--target", "host")
    assert r.returncode == 0, r.stdout + r.stderr
    info = json.loads((other / "build" / "host" / "build-info.json").read_text())
    assert "Add" in info["ops"] and info["conan"]["package_folder"] != json.loads(
        (root / "build" / "host" / "build-info.json").read_text())["conan"]["package_folder"]


# `sdkbuild test` under qemu (arm64 + armv7, default toolchain resolution) is tested on the
# example project in tests/test_mobile_targets.py.


def _symbols(lib: Path) -> set[str]:
    with open(lib, "rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        return {s.name for s in symtab.iter_symbols()} if symtab else set()


@pytest.mark.slow
@pytest.mark.skipif(not has_arm64, reason="an arm64 toolchain (zig or g++-aarch64-linux-gnu)")
def test_switching_ops_in_place_leaves_no_stale_op(tmp_path: Path) -> None:
    """An earlier report: after switching ops in an existing build dir, libvisionkit.so still
    held sdk_op_relu. Same dir, default toolchain: every switch gives exactly the new ops."""
    root = make_project(tmp_path, ["android-arm64-v8a"])
    toml = (root / "sdk.toml").read_text().replace('toolchain = "gnu"\n', "")
    explicit = 'ops = ["Conv", "MatMul", "Relu", "Reshape", "Add"]'
    out = root / "build" / "android-arm64-v8a"
    for ops, want in ((explicit, ["Add", "Conv", "MatMul", "Relu", "Reshape"]),
                      ('ops = "auto"', ["Conv", "MatMul", "Reshape"]),
                      (explicit, ["Add", "Conv", "MatMul", "Relu", "Reshape"])):
        (root / "sdk.toml").write_text(toml.replace('ops = "auto"', ops))
        r = sdkbuild(root, "build", "--no-bindings")
        assert r.returncode == 0, r.stdout + r.stderr
        info = json.loads((out / "build-info.json").read_text())
        assert info["ops"] == want
        op_sym = info["symbol_prefix"] + "_sdk_op_"
        syms = {s for s in _symbols(out / info["unstripped_library"]) if s.startswith(op_sym)}
        assert syms == {f"{op_sym}{op.lower()}" for op in want}, syms
        # the shipped (stripped) file is that build too: its embedded build info names the same ops
        shipped = (out / info["library"]).read_bytes()
        assert ('"ops":' + json.dumps(want, separators=(",", ":"))).encode() in shipped
        if not info["conan"]["reused"]:  # a package from Conan's cache compiles nothing here
            assert len([d for d in (out / "engine").iterdir() if d.is_dir()]) == 1  # one folder per configuration


@pytest.mark.slow
def test_ensure_host_engine_is_cached_and_loadable() -> None:
    before = sources_hash()
    lib = ensure_host_engine(["Relu", "Reshape"])
    again = ensure_host_engine(["reshape", "Relu"])
    assert lib.is_file()
    if sources_hash() == before:  # (engine sources edited meanwhile give a new build, rightly)
        assert again == lib
    dll = ctypes.CDLL(str(lib))
    dll.sdk_build_info.restype = ctypes.c_char_p
    info = json.loads(dll.sdk_build_info().decode())
    assert info["ops"] == ["Relu", "Reshape"] and set(info["dtypes"]) == {"fp32", "int8"}


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("clang++") is None or shutil.which("llvm-ar") is None or not has_arm64,
                    reason="clang, llvm-ar and the arm64 sysroot")
@pytest.mark.parametrize("shape", ["android-native", "ios-static"])
def test_conan_paths_for_android_and_apple_settings(shape: str, tmp_path: Path) -> None:
    """Toolchains from the NDK/Xcode/zig sources set os=Android / os=iOS in the Conan profile,
    which drives extra logic in Conan's MesonToolchain; the machine file must stay in charge.
    Exercised here with clang targeting arm64 Linux (real compiles, no SDK needed)."""
    from sdkbuild import build
    from sdkbuild.targets import TARGETS
    from sdkbuild.toolchains.base import Toolchain

    clang = ("clang", "--target=aarch64-linux-gnu")
    clangxx = ("clang++", "--target=aarch64-linux-gnu")
    if shape == "android-native":
        t = TARGETS["android-arm64-v8a"]
        tc = Toolchain("ndk", t, clang, clangxx, "llvm-ar", "llvm-strip", "clang (test)", False, min_os="21",
                       c_args=("--sysroot=/usr/aarch64-linux-gnu",), link_args=("-fuse-ld=lld",))
    else:
        t = TARGETS["ios-simulator-arm64"]
        tc = Toolchain("zig", t, clang, clangxx, "llvm-ar", "llvm-strip", "clang (test)", True, min_os="13.0",
                       library_kind="static")
    req = build.EngineRequest(ops=("Conv",), dtypes=("fp32",), isa=t.isa, threads=True, lib_name="shape", lto=False)
    log = build._Log(tmp_path / "build.log")
    try:
        eb = build.build_engine(tc, req, tmp_path, log, 2)
    finally:
        log.close()
    profile = (tmp_path / "conan" / "host.profile").read_text()
    if shape == "android-native":
        assert "os=Android" in profile and "os.api_level=21" in profile
        assert eb.library.name == "libshape.so" and _elf_facts(eb.library)["machine"] == "EM_AARCH64"
    else:
        assert "os=iOS" in profile and "os.sdk=iphonesimulator" in profile
        machine = (tmp_path / "conan" / "machine.ini").read_text()
        assert "subsystem = 'ios-simulator'" in machine and "system = 'darwin'" in machine
        assert eb.library.name == "libshape.a" and eb.library.read_bytes()[:8] == b"!<arch>\n"


def _comment(lib: Path) -> str:
    with open(lib, "rb") as f:
        sec = ELFFile(f).get_section_by_name(".comment")
        return sec.data().decode(errors="replace") if sec else ""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("clang++") is None, reason="clang")
def test_same_folder_follows_compiler_and_option_changes(tmp_path: Path) -> None:
    """A build folder is reused only by the same configuration: switching the compiler or the
    op list in place must give a library built by that compiler with those ops."""
    import os

    root = make_project(tmp_path, ["host"])
    r = sdkbuild(root, "build", "--no-bindings")
    assert r.returncode == 0, r.stdout + r.stderr
    unstripped = root / "build" / "host" / "lib" / "libtinykit.unstripped.so"
    assert "clang version" not in _comment(unstripped)
    env = {**os.environ, "CC": "clang", "CXX": "clang++"}
    r = subprocess.run([sys.executable, "-m", "sdkbuild.cli", "build", "--no-bindings"], cwd=root,
                       capture_output=True, text=True, timeout=900, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "clang version" in _comment(unstripped)
    (root / "sdk.toml").write_text((root / "sdk.toml").read_text().replace(
        'ops = "auto"', 'ops = ["Conv", "Reshape", "MatMul", "Add"]'))
    r = subprocess.run([sys.executable, "-m", "sdkbuild.cli", "build", "--no-bindings"], cwd=root,
                       capture_output=True, text=True, timeout=900, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    dll = ctypes.CDLL(str(root / "build" / "host" / "lib" / "libtinykit.so"))
    dll.sdk_build_info = dll.tinykit_sdk_build_info  # the SDK's own names (engine/tools/symbol_prefix.py)
    dll.sdk_build_info.restype = ctypes.c_char_p
    assert json.loads(dll.sdk_build_info().decode())["ops"] == ["Add", "Conv", "MatMul", "Reshape"]
