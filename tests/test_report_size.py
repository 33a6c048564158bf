"""`sdkbuild report size` on real binaries: ELF shared libraries from the Debian cross compilers,
Mach-O static libraries from clang, laid out as build/<target>/ per the build contract."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_fixtures import build_elf_target, build_macho_target

from sdkbuild.cli import cli
from sdkbuild.errors import SdkbuildError
from sdkbuild.report import size

need_arm = pytest.mark.skipif(not (shutil.which("aarch64-linux-gnu-g++") and shutil.which("arm-linux-gnueabihf-g++")),
                              reason="Debian cross compilers g++-aarch64-linux-gnu / g++-arm-linux-gnueabihf not installed")
need_clang = pytest.mark.skipif(not (shutil.which("clang++") and shutil.which("llvm-ar")), reason="clang/llvm-ar not installed")


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    b = tmp_path_factory.mktemp("proj") / "build"
    build_elf_target(b)
    build_elf_target(b, "android-armeabi-v7a", cxx="arm-linux-gnueabihf-g++", abi="armeabi-v7a", arch="armv7")
    # Hardening failures on purpose: 4 KB pages, executable stack, lazy binding, no RELRO.
    build_elf_target(b, "android-x86_64", cxx="g++", abi="x86_64", arch="x86_64",
                     extra_link=("-Wl,-z,max-page-size=4096", "-Wl,-z,execstack", "-Wl,-z,lazy", "-Wl,-z,norelro"))
    build_macho_target(b)
    build_macho_target(b, "ios-simulator-x86_64", triple="x86_64-apple-ios13.0-simulator", variant="simulator")
    return b


def _readelf_section(tool: str, lib: Path, name: str) -> int:
    """Section size as binutils reports it: an independent check of the pyelftools reading."""
    out = subprocess.run([tool, "-A", str(lib)], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] == name:
            return int(parts[1])
    raise AssertionError(f"{name} not in {tool} output")


@need_arm
@need_clang
def test_elf_sizes_sections_ops_symbols(build: Path) -> None:
    r = size.collect(build, None)
    a64 = r["targets"]["android-arm64-v8a"]
    lib = build / "android-arm64-v8a" / "lib" / "libvisionkit.so"
    assert a64["stripped"] == lib.stat().st_size
    assert a64["size"] == sum(a64["sections"].values()) < a64["stripped"]  # loadable bytes, no page padding
    assert a64["file"] == (build / "android-arm64-v8a/lib/libvisionkit.unstripped.so").stat().st_size > a64["stripped"]
    for sec in (".text", ".rodata", ".dynsym"):
        assert a64["sections"][sec] == _readelf_section("aarch64-linux-gnu-size", lib, sec)
    loads = [s for s in a64["segments"] if s["type"] == "LOAD"]
    assert loads and all(s["align"] == 16384 for s in loads)
    # Each op's tables and functions land on that op (the 700-byte table is Conv's, 300 Relu's, 200 Add's).
    assert a64["op_attribution"] == "object-files"
    assert 700 < a64["ops"]["Conv"] < 2000 and 300 < a64["ops"]["Relu"] < 800 and 200 < a64["ops"]["Add"] < 700
    top = {s["name"]: s for s in a64["top_symbols"]}
    assert top["k_conv_lut"]["size"] == 700 and top["k_conv_lut"]["op"] == "Conv"
    assert top["k_core"]["op"] is None  # engine core: no op
    assert top["sdk::ops::relu_run(float*, int)"]["op"] == "Relu"  # demangled
    assert a64["ops"]["Conv"] + a64["ops"]["Relu"] + a64["ops"]["Add"] + a64["unattributed"] == a64["symbols_total"]
    # The total is what one device gets: the largest build reaching devices (each Android ABI,
    # the iOS device slice), not a sum over ABIs no device downloads together.
    devices = [t for t in r["targets"] if size.reaches_devices(t)]
    assert len(devices) >= 2 and r["total"] == max(r["targets"][t]["size"] for t in devices)
    assert r["total"] < sum(t["size"] for t in r["targets"].values())
    # per-device downloads: estimates, the stripped library compressed plus the (shared) models
    d = r["per_device"]["android-arm64-v8a"]
    assert d["native_estimate"] == a64["compressed"] < a64["stripped"]
    assert d["download_estimate"] == d["native_estimate"] + d["models_estimate"] + d["java_estimate"]
    assert r["per_device_largest_estimate"] == max(v["download_estimate"] for v in r["per_device"].values())
    assert "host" not in r["per_device"]


def test_only_device_builds_count_per_device() -> None:
    assert size.reaches_devices("android-armeabi-v7a") and size.reaches_devices("ios-arm64")
    assert not size.reaches_devices("ios-simulator-arm64") and not size.reaches_devices("ios-simulator-x86_64")
    assert not size.reaches_devices("host")
    report = {"targets": {"android-arm64-v8a": {"size": 100}, "android-x86_64": {"size": 120},
                          "ios-arm64": {"size": 90}, "ios-simulator-arm64": {"size": 500}, "host": {"size": 900}}}
    assert size.device_total(report) == 120


@need_arm
@need_clang
def test_hardening(build: Path) -> None:
    r = size.collect(build, None)
    ok = r["targets"]["android-arm64-v8a"]["hardening"]
    assert all(c["ok"] for c in ok["checks"].values()), ok
    assert ok["needed"] == [] and set(ok["exported"]) == {"sdk_engine_version", "sdk_registry"}
    v7 = r["targets"]["android-armeabi-v7a"]["hardening"]["checks"]["page_16k"]
    assert v7["required"] is False  # 16 KB pages: 64-bit ABIs only
    bad = r["targets"]["android-x86_64"]["hardening"]["checks"]
    assert not bad["page_16k"]["ok"] and bad["page_16k"]["required"]
    assert not bad["nx_stack"]["ok"] and not bad["bind_now"]["ok"] and not bad["relro"]["ok"]
    assert bad["no_textrel"]["ok"]
    ios = r["targets"]["ios-arm64"]["hardening"]
    assert ios["build_versions"] == [{"platform": "IOS", "minos": "13.0.0", "objects": 6}]
    assert all(c["ok"] for c in ios["checks"].values())
    sim = r["targets"]["ios-simulator-x86_64"]["hardening"]
    assert sim["build_versions"][0]["platform"] == "IOS_SIMULATOR" and sim["checks"]["platform"]["ok"]


@need_clang
def test_macho_minos_newer_than_build_info_fails(tmp_path: Path) -> None:
    b = tmp_path / "build"
    t = build_macho_target(b, min_os="12.0")  # objects say 13.0, the SDK promises 12.0
    row = size.analyze_target(t)
    assert not row["hardening"]["checks"]["minos"]["ok"]
    assert row["hardening"]["checks"]["minos"]["required"]


@need_clang
def test_static_library_ops_from_members(build: Path) -> None:
    row = size.analyze_target(build / "ios-arm64")
    assert row["format"] == "macho-archive" and row["objects"] == 6 and row["op_attribution"] == "archive-members"
    # members: core + registry are unattributed; op bytes = their members' code+data
    assert row["size"] == sum(row["ops"].values()) + row["unattributed"]
    syms = {s["name"]: s for s in row["top_symbols"]}
    assert syms["k_conv_lut"]["size"] == 700 and syms["k_conv_lut"]["op"] == "Conv"
    assert syms["sdk::conv_kernel_f32(float const*, float const*, int)"]["op"] == "Conv"
    assert row["sections"]["__TEXT,__text"] > 0
    assert row["size"] == sum(v for k, v in row["sections"].items() if not k.startswith(("__LD,", "__DWARF,")))


@need_arm
@pytest.mark.parametrize("lto", [False, True], ids=["dwarf", "dwarf-lto"])
def test_ops_from_dwarf_without_object_files(tmp_path: Path, lto: bool) -> None:
    """Builds that keep no object files (Conan's cache) are attributed through DWARF line rows and
    variable declarations of the unstripped library; LTO moves code into one artificial CU, and
    the line rows still name the op's source."""
    flags = ("-g", "-flto") if lto else ("-g",)
    t = build_elf_target(tmp_path / "build", cflags=flags)
    with_objects = size.analyze_target(t)
    shutil.rmtree(t / "meson")
    row = size.analyze_target(t)
    assert row["op_attribution"] == "dwarf"
    syms = {s["name"]: s["op"] for s in row["top_symbols"]}
    assert syms["k_conv_lut"] == "Conv" and syms["k_relu_lut"] == "Relu" and syms["k_add_lut"] == "Add"
    assert syms["k_core"] is None
    assert syms["sdk::ops::conv_run(float const*, float const*, int)"] == "Conv"  # LTO inlines the kernel here
    assert syms["sdk::ops::relu_run(float*, int)"] == "Relu"
    if not lto:  # DWARF and the object files agree
        assert row["ops"] == with_objects["ops"]
        del row["notes"]
        t2 = build_elf_target(tmp_path / "nodebug", cflags=())
        assert size.analyze_target(t2)["ops"] == row["ops"] and size.analyze_target(t2)["op_attribution"] == "object-files"
    assert row["ops"]["Conv"] >= 700 + 100 and row["ops"]["Relu"] >= 300 and row["ops"]["Add"] >= 200


@need_arm
def test_ops_without_dwarf_or_objects_are_approximate(tmp_path: Path) -> None:
    """No DWARF and no objects (a cached Conan package built without -g): static symbols by the
    symbol table's STT_FILE groups, hidden globals by naming convention; flagged approximate."""
    t = build_elf_target(tmp_path / "build")
    exact = size.analyze_target(t)
    shutil.rmtree(t / "meson")
    row = size.analyze_target(t)
    assert row["op_attribution"] == "symbol-names+symtab-files"
    assert any("approximate" in n for n in row["notes"])
    syms = {s["name"]: s["op"] for s in row["top_symbols"]}
    assert syms["k_conv_lut"] == "Conv" and syms["k_relu_lut"] == "Relu" and syms["k_core"] is None  # STT_FILE
    assert syms["sdk::ops::relu_run(float*, int)"] == "Relu"  # by name
    assert row["ops"] == exact["ops"]  # this library follows the naming convention fully


@need_arm
def test_stale_op_registrations_are_noted(tmp_path: Path) -> None:
    t = build_elf_target(tmp_path / "build")
    row = size.analyze_target(t)
    assert row["registered_ops"] == ["add", "conv", "relu"] and row["notes"] == []
    info = json.loads((t / "build-info.json").read_text())
    info["ops"].remove("Relu")
    del info["op_sources"]["Relu"]
    (t / "build-info.json").write_text(json.dumps(info))
    row = size.analyze_target(t)
    assert row["notes"] == ["the library defines ops not in build-info's op list: relu "
                            "(stale build tree? rebuild with `sdkbuild build --clean`)"]


@need_arm
@need_clang
def test_inline_code_shared_by_two_ops(tmp_path: Path) -> None:
    """An inline function used by Conv and Relu: ELF links one copy, a static archive carries one per
    object; both reports count it once, as shared between Conv and Relu."""
    b = tmp_path / "build"
    elf = size.analyze_target(build_elf_target(b, weak_helper=True))
    ios = size.analyze_target(build_macho_target(b, weak_helper=True))
    for row in (elf, ios):
        helper = [s for s in row["top_symbols"] if s["name"].startswith("sdk::shared_scale(")]
        assert len(helper) == 1 and helper[0]["op"] == "Conv+Relu", row["top_symbols"]
        assert row["ops_shared"] == {"Conv+Relu": helper[0]["size"]}
    # the archive holds two copies (one per object); the size counts one
    raw = sum(v for k, v in ios["sections"].items() if not k.startswith(("__LD,", "__DWARF,")))
    assert raw - ios["size"] == ios["ops_shared"]["Conv+Relu"]
    assert ios["size"] == sum(ios["ops"].values()) + ios["ops_shared"]["Conv+Relu"] + ios["unattributed"]


def test_op_matcher_meson_and_plain_names() -> None:
    names = size.name_matcher({"Conv": ["src/ops/conv.cpp", "src/kernels/ref/conv_f32.cpp"], "Add": ["src/ops/add.cpp"]})
    assert names("sdk::ref::conv_f32_plan(sdk::ConvGeom const&)") == {"Conv"} and names("sdk_op_add") == {"Add"}
    assert names("sdk::address_of(int)") == set() and names("sdk::ref::sgemm_packed(long)") == set()
    src = size.source_matcher({"Conv": ["src/ops/conv.cpp"]})
    assert src("../src/ops/conv.cpp") == {"Conv"} and src("/b/../src/ops/conv.cpp") == {"Conv"}
    assert src("../src/ops/xconv.cpp") == set() and src("<artificial>") == set()
    m = size.op_matcher({"Conv": ["src/ops/conv.cpp", "src/kernels/ref/gemm_f32.cpp"],
                         "MatMul": ["src/ops/matmul.cpp", "src/kernels/ref/gemm_f32.cpp"]})
    assert m("meson/libx.so.p/src_ops_conv.cpp.o") == {"Conv"}
    assert m("libx.a.p/src_kernels_ref_gemm_f32.cpp.o") == {"Conv", "MatMul"}  # shared kernel
    assert m("x/.._engine_src_ops_matmul.cpp.o") == {"MatMul"}
    assert m("CMakeFiles/x.dir/conv.cpp.o") == {"Conv"}
    assert m("src_core_engine.cpp.o") == set()
    assert m("readme.txt") == set()


@need_arm
@need_clang
def test_packages_totals(build: Path, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    lib = (build / "android-arm64-v8a/lib/libvisionkit.so").read_bytes()
    with zipfile.ZipFile(dist / "VisionKit-1.0.0.aar", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("jni/arm64-v8a/libvisionkit.so", lib)
        z.writestr("AndroidManifest.xml", "<manifest package='x'/>")
    xc = dist / "VisionKit.xcframework" / "ios-arm64"
    xc.mkdir(parents=True)
    shutil.copy(build / "ios-arm64/lib/libvisionkit.a", xc / "libvisionkit.a")
    (dist / "VisionKit.xcframework" / "Info.plist").write_text("<plist/>")
    p = size.packages(dist)
    aar = p["aar"]["VisionKit-1.0.0.aar"]
    assert aar["compressed"] == (dist / "VisionKit-1.0.0.aar").stat().st_size
    assert aar["uncompressed"] == len(lib) + len("<manifest package='x'/>")
    assert aar["native"]["arm64-v8a"]["uncompressed"] == len(lib)
    assert 0 < aar["native"]["arm64-v8a"]["compressed"] < len(lib)
    x = p["xcframework"]["VisionKit.xcframework"]
    assert x["uncompressed"] == (xc / "libvisionkit.a").stat().st_size + len("<plist/>")
    assert x["slices"]["ios-arm64"]["uncompressed"] == (xc / "libvisionkit.a").stat().st_size
    assert 0 < x["compressed"] < x["uncompressed"] and x["compressed_from"] == "computed (deflate)"


@need_arm
@need_clang
def test_cli_writes_deterministic_reports(build: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    outs = []
    for i in range(2):
        out = tmp_path / f"r{i}"
        res = runner.invoke(cli, ["report", "size", "--build-dir", str(build), "--dist", str(tmp_path / "nodist"),
                                  "--out", str(out)], catch_exceptions=False)
        assert res.exit_code == 0, res.output
        outs.append(out)
    for name in ("size.json", "size.md", "report.html"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    data = json.loads((outs[0] / "size.json").read_text())
    assert data["schema"] == 1 and set(data["targets"]) >= {"android-arm64-v8a", "ios-arm64"}
    md = (outs[0] / "size.md").read_text()
    assert "| `android-arm64-v8a` (stand-in)" in md
    # the 4 KB-page x86_64 library is flagged in the PR comment
    assert "android-x86_64: page_16k" in md and "❌" in md


def test_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(SdkbuildError, match="does not exist"):
        size.collect(tmp_path / "nope", None)
    (tmp_path / "build").mkdir()
    with pytest.raises(SdkbuildError, match="no build-info.json"):
        size.collect(tmp_path / "build", None)
    t = tmp_path / "build" / "android-arm64-v8a"
    (t / "lib").mkdir(parents=True)
    (t / "lib" / "libvisionkit.so").write_bytes(b"not an elf file at all")
    (t / "build-info.json").write_text(json.dumps({"schema": 1, "target": "android-arm64-v8a", "platform": "android",
                                                   "abi": "arm64-v8a", "library": "lib/libvisionkit.so",
                                                   "library_kind": "shared"}))
    with pytest.raises(SdkbuildError, match="not a valid ELF"):
        size.collect(tmp_path / "build", None)
    (t / "build-info.json").write_text("{broken")
    with pytest.raises(SdkbuildError, match="not valid JSON"):
        size.collect(tmp_path / "build", None)


@need_arm
@need_clang
def test_relative_build_dir_and_no_budgets(build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`report size --build-dir build` from the project folder (it crashed extracting the iOS
    archive members from another working directory); with no budgets set the report says so
    instead of "All size budgets met"; the chart draws the budgeted figure of the table."""

    monkeypatch.chdir(build.parent)
    res = CliRunner().invoke(cli, ["report", "size", "--build-dir", "build", "--dist", "nodist", "--out", "r"],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "no budgets set" in res.output and "budgets met" not in res.output
    assert "largest per device" in res.output and "(estimate)" in res.output
    md = (build.parent / "r" / "size.md").read_text()
    assert "No size budgets set" in md and "All size budgets met" not in md
    assert "**largest per device**" in md and "total (shipped)" not in md
    assert "| device build | native code (est.) | models (est.) | Java (est.) | download (estimate) |" in md
    assert "`ios-simulator-x86_64` (stand-in) (not on devices)" in md or "`ios-simulator-x86_64` (not on devices)" in md
    data = json.loads((build.parent / "r" / "size.json").read_text())
    html = (build.parent / "r" / "report.html").read_text()
    from sdkbuild.report.html import fmt_bytes, size_chart

    chart = str(size_chart(data["targets"]))
    for t, row in data["targets"].items():  # each bar is labelled with the table's (budgeted) size
        assert f">{fmt_bytes(row['size'])}</text>" in chart, t
        if row["format"] == "elf":
            assert f">{fmt_bytes(row['stripped'])}</text>" not in chart, t  # not the stripped file size
    assert "headers, tables, padding" not in chart
    assert "Shipped native code (sum of targets)" not in html and "Per-device download (estimate, largest)" in html
    assert 'Budgets<b class="pass">none set</b>' in html
