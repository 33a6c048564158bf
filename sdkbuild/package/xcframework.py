"""The Apple SDK: <Name>.xcframework (static libraries + headers + module map), its zip
and a SwiftPM Package.swift with the zip's checksum.

Layout:
  <Name>.xcframework/Info.plist                       AvailableLibraries, XFWK, format 1.0
  <Name>.xcframework/ios-arm64/lib<name>.a            device slice
  <Name>.xcframework/ios-arm64_x86_64-simulator/lib<name>.a   simulator slices, one fat archive
  <Name>.xcframework/<slice>/Headers/<Name>/          <Name>.h, sdkengine/engine.h, module.modulemap
  <Name>.xcframework/sdkbuild.json                    per slice: toolchain, stand-in flag, sha256

The Objective-C layer (<Name>.mm) must be inside each static library. `sdkbuild build`
compiles it into every iOS slice with the slice's own toolchain (Xcode's SDK on a Mac, else
the Foundation stand-in) and records how in build-info "objc". A build without it (an older
sdkbuild) gets it compiled here with this machine's toolchain into a copy of the archive;
either way a layer compiled against the stand-in makes the slice a stand-in in sdkbuild.json.
"""

from __future__ import annotations

import json
import os
import plistlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .. import bindings, paths
from ..errors import SdkbuildError
from ..fileio import sha256_file, write_atomic
from ..hosttools import find_tool
from ..targets import TARGETS
from .aar import BuiltTarget, load_built_target
from .archive import atomic_dir, normalize_tree, tree_entries, write_zip

# Flags of the Objective-C layer: ARC; like the engine no C++ runtime (no exceptions of
# either language, no RTTI), so the object needs nothing but libobjc and Foundation.
OBJC_FLAGS = ("-x", "objective-c++", "-std=c++17", "-fobjc-arc", "-fno-exceptions", "-fno-objc-exceptions",
              "-fno-rtti", "-fvisibility=hidden", "-Os", "-g0", "-ffunction-sections", "-fdata-sections",
              "-Wall", "-Wextra", "-Werror")


def _require_tool(*names: str) -> str:
    t = find_tool(*names)
    if t:
        return t
    raise SdkbuildError(f"{names[0]} not found (needed to assemble the XCFramework)",
                        hint="apt-get install llvm (provides llvm-lipo, llvm-ar, llvm-nm), or install Xcode")


def foundation_standin() -> Path | None:
    """The folder holding the stand-in <Foundation/Foundation.h> (bindings/apple-standin).

    Declarations only, for compiling the Objective-C layer where no Apple SDK exists; the
    slices built with it are labelled stand-ins like every zig-built iOS slice.
    """
    base = paths.bindings_dir() / "apple-standin"
    return base if (base / "Foundation" / "Foundation.h").is_file() else None


def zig_triple(target: str, min_version: str) -> str:
    t = TARGETS[target]
    arch = {"arm64": "aarch64", "x86_64": "x86_64"}[t.arch]
    return f"{arch}-ios.{min_version}" + ("-simulator" if t.variant == "simulator" else "")


def objc_compiler(cfg: Any, target: str) -> tuple[list[str], list[str], bool]:
    """(compiler command, extra flags, uses_real_sdk) for compiling ObjC for `target`."""
    names = bindings.names_from_config(cfg)
    t = TARGETS[target]
    tc = None
    if hasattr(cfg, "sdk") and hasattr(cfg, "ios"):
        from .. import toolchains

        tc = toolchains.resolve(t, cfg).toolchain
    if tc is not None and tc.source == "xcode":
        return list(tc.cxx), list(tc.cpp_args), True
    standin = foundation_standin()
    if standin is None:
        raise SdkbuildError(
            f"cannot compile the Objective-C layer for {target}: no Apple SDK and no Foundation stand-in header",
            hint="package on a Mac with Xcode (xcrun); this sdkbuild install lacks bindings/apple-standin/Foundation")
    # Without an Apple SDK: the declarations of Foundation come from the stand-in; no
    # system headers (-nostdlibinc), the engine header needs only the compiler's own.
    extra = ["-nostdlibinc", "-nostdinc++", "-isystem", str(standin)]
    if tc is not None and tc.source == "zig":
        return list(tc.cxx), list(tc.cpp_args) + extra, False
    zig = [sys.executable, "-m", "ziglang", "c++", "-target", zig_triple(target, names.ios_min_version)]
    return zig, extra, False


def compile_objc(cfg: Any, target: str, build_dir: Path, engine_include: Path,
                 compiler: tuple[list[str], list[str], bool] | None = None) -> tuple[Path, bool]:
    """Render <Name>.mm into build/<target>/bindings/objc/ and compile it for the slice;
    returns the object and whether the real Apple SDK (not the Foundation stand-in) was used."""
    tb = bindings.emit_for_target(cfg, target, build_dir)
    src = tb.sources[0]
    obj = src.with_suffix(".mm.o")
    cmd, extra, real = compiler or objc_compiler(cfg, target)
    # relative paths on the command line: the object does not depend on where the project is
    full = [*cmd, *extra, *OBJC_FLAGS, "-I", ".", "-I", os.path.relpath(engine_include, src.parent), "-c", src.name,
            "-o", obj.name]
    # zig (stand-in) keeps a copy of each object in its local cache: here it goes with the build folder
    env = {**os.environ, "ZIG_LOCAL_CACHE_DIR": str(src.parent / "zig-local-cache")}
    r = subprocess.run(full, capture_output=True, text=True, cwd=src.parent, env=env)
    if r.returncode != 0:
        raise SdkbuildError(f"compiling the Objective-C layer for {target} failed:\n$ {' '.join(full)}\n"
                            f"{(r.stdout + r.stderr).strip()[-3000:]}")
    return obj, real


def _archive_add(lib: Path, obj: Path, xcode: bool) -> None:
    """Add obj to the static library lib (in place, deterministically)."""
    if xcode:
        tmp = lib.with_name(lib.name + ".tmp")
        cmd = ["xcrun", "libtool", "-static", "-o", str(tmp), str(lib), str(obj)]
        r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "ZERO_AR_DATE": "1"})
        if r.returncode == 0:
            os.replace(tmp, lib)
    else:
        ar = _require_tool("llvm-ar")
        # D: deterministic (zero timestamps/uids); darwin format, with a symbol table for ld64
        r = subprocess.run([ar, "rcsD", "--format=darwin", str(lib), str(obj)], capture_output=True, text=True)
    if r.returncode != 0:
        raise SdkbuildError(f"adding the Objective-C object to {lib} failed: {r.stderr.strip()}")


def archive_has_objc(lib: Path, prefix: str) -> bool:
    nm = _require_tool("llvm-nm", "nm")
    r = subprocess.run([nm, "--defined-only", str(lib)], capture_output=True, text=True)
    return f"_OBJC_CLASS_$_{prefix}Model" in r.stdout


def check_built(b: BuiltTarget) -> BuiltTarget:
    """An iOS build the XCFramework can use: a static library."""
    if b.info.get("library_kind") != "static" or b.library.suffix != ".a":
        raise SdkbuildError(f"the {b.name} library is not a static library ({b.library})",
                            hint=f"rebuild it: `sdkbuild build --target {b.name}`")
    with b.library.open("rb") as f:
        magic = f.read(8)
    if magic != b"!<arch>\n":  # build-info is only a claim: a corrupt file must not end up in the XCFramework
        raise SdkbuildError(f"the {b.name} library {b.library} is not an ar archive (corrupt or not a build output)",
                            hint=f"rebuild it: `sdkbuild build --target {b.name}`")
    return b


def slice_library(cfg: Any, b: BuiltTarget, build_dir: Path, work: Path) -> tuple[Path, dict[str, Any]]:
    """The slice's static library with the ObjC layer in it (a copy when it had to be added here),
    and how that layer was compiled ({"compiled_by", "uses_real_sdk", "at": "build"|"package"})."""
    names = bindings.names_from_config(cfg)
    check_built(b)
    if archive_has_objc(b.library, names.objc_prefix):
        # compiled in at build time; builds that did not record how: as real as the slice
        return b.library, b.info.get("objc") or {"compiled_by": b.info.get("toolchain", {}).get("source", "?"),
                                                 "uses_real_sdk": not b.standin, "at": "build"}
    # an older build without the layer: compiled here, with this machine's toolchain
    compiler = objc_compiler(cfg, b.name)
    obj, real = compile_objc(cfg, b.name, build_dir, b.headers, compiler)
    out = work / b.name / b.library.name
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(b.library, out)
    _archive_add(out, obj, real)
    return out, {"compiled_by": "xcode" if real else "zig", "uses_real_sdk": real, "at": "package"}


def _slice_id(slices: list[BuiltTarget]) -> str:
    archs = sorted({s.info.get("arch") or TARGETS[s.name].arch for s in slices})
    variant = TARGETS[slices[0].name].variant
    return "ios-" + "_".join(archs) + (f"-{variant}" if variant else "")


def build_xcframework(cfg: Any, build_dir: Path, targets: list[str], dist: Path,
                      swiftpm_url: str | None = None, api: bindings.Api | None = None
                      ) -> tuple[Path, Path, Path, Path]:
    """Write dist/<Name>.xcframework/, its .zip, Package.swift and the package's Swift source
    (Sources/<Name>Crypto/<Name>Crypto.swift); returns the four paths."""
    names = bindings.names_from_config(cfg)
    api = api or bindings.load_api()
    built = [load_built_target(build_dir, t, names.lib_name) for t in targets]
    groups: dict[str, list[BuiltTarget]] = {}
    for b in built:
        groups.setdefault(TARGETS[b.name].variant, []).append(b)
    lib_file = f"lib{names.lib_name}.a"
    module = names.module_name
    xcf_name = f"{module}.xcframework"
    with tempfile.TemporaryDirectory(prefix="sdkbuild-xcf-") as tmp:
        work = Path(tmp)
        bindings.render(cfg, work / "gen", ["objc"], api=api)
        libraries = []
        meta: dict[str, Any] = {"schema": 1, "sdk": {"name": names.name, "version": names.version,
                                                      "lib_name": names.lib_name, "objc_prefix": names.objc_prefix,
                                                      "ios_min_version": names.ios_min_version},
                                "slices": {}}
        with atomic_dir(dist / xcf_name) as xcf:
            for variant, slices in sorted(groups.items()):
                sid = _slice_id(slices)
                ordered = sorted(slices, key=lambda s: s.name)
                layered = [slice_library(cfg, s, build_dir, work) for s in ordered]
                libs = [lib for lib, _ in layered]
                objc = {s.name: o for s, (_, o) in zip(ordered, layered, strict=True)}
                dest = xcf / sid / lib_file
                dest.parent.mkdir(parents=True)
                if len(libs) == 1:
                    shutil.copyfile(libs[0], dest)
                else:
                    lipo = _require_tool("llvm-lipo", "lipo")
                    r = subprocess.run([lipo, "-create", *map(str, libs), "-output", str(dest)],
                                       capture_output=True, text=True)
                    if r.returncode != 0:
                        raise SdkbuildError(f"lipo could not merge the {sid} slices: {r.stderr.strip()}")
                # Headers/<Module>/: Xcode copies every static XCFramework's headers into one
                # include folder, where two top-level module.modulemap files would collide
                headers = dest.parent / "Headers" / module
                shutil.copytree(slices[0].headers, headers)
                shutil.copyfile(work / "gen/objc" / f"{module}.h", headers / f"{module}.h")
                shutil.copyfile(work / "gen/objc/module.modulemap", headers / "module.modulemap")
                entry: dict[str, Any] = {
                    "BinaryPath": lib_file,
                    "HeadersPath": "Headers",
                    "LibraryIdentifier": sid,
                    "LibraryPath": lib_file,
                    "SupportedArchitectures": sorted({s.info.get("arch") or TARGETS[s.name].arch for s in slices}),
                    "SupportedPlatform": "ios",
                }
                if variant:
                    entry["SupportedPlatformVariant"] = variant
                libraries.append(entry)
                meta["slices"][sid] = {
                    "targets": {s.name: {"toolchain": s.info.get("toolchain", {}),
                                         "standin": s.standin or not objc[s.name]["uses_real_sdk"],
                                         "objc": objc[s.name],
                                         "min_os": s.info.get("min_os", ""), "ops": s.info.get("ops", [])}
                                for s in slices},
                    # a slice is only as real as its Objective-C layer: one compiled against the
                    # Foundation stand-in makes the slice a stand-in even when Xcode built the engine
                    "standin": any(s.standin or not objc[s.name]["uses_real_sdk"] for s in slices),
                    "bytes": dest.stat().st_size,
                    "sha256": sha256_file(dest),
                }
            plist = {
                "AvailableLibraries": sorted(libraries, key=lambda e: e["LibraryIdentifier"]),
                "CFBundlePackageType": "XFWK",
                "XCFrameworkFormatVersion": "1.0",
            }
            (xcf / "Info.plist").write_bytes(plistlib.dumps(plist, fmt=plistlib.FMT_XML, sort_keys=True))
            (xcf / "sdkbuild.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
            normalize_tree(xcf)
            zip_path = write_zip(dist / f"{xcf_name}.zip", tree_entries(xcf, f"{xcf_name}/", dirs=True))
        # the package's Swift source target (Sources/<Module>Crypto/), next to Package.swift
        crypto = f"{module}Crypto"
        swift = write_atomic(dist / "Sources" / crypto / f"{crypto}.swift",
                             (work / "gen/swift" / crypto / f"{crypto}.swift").read_text())
    checksum = sha256_file(zip_path)
    from .aar import publish_of

    manifest = render_package_swift(names, xcf_name, checksum, swiftpm_url, publish_of(cfg))
    pkg = write_atomic(dist / "Package.swift", manifest)
    return dist / xcf_name, zip_path, pkg, swift


def render_package_swift(names: bindings.SdkNames, xcf_name: str, checksum: str, url: str | None,
                         pub: Any = None) -> str:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(paths.templates_dir())),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True,
                             lstrip_blocks=True)
    return env.get_template("apple/Package.swift.j2").render(
        sdk=names, xcframework=xcf_name, checksum=checksum, pub=pub,
        url=(url.rstrip("/") + f"/{xcf_name}.zip") if url else None)


def ios_targets(targets: list[str] | tuple[str, ...]) -> list[str]:
    return [t for t in targets if t in TARGETS and TARGETS[t].platform == "ios"]


__all__ = ["build_xcframework", "compile_objc", "ios_targets", "normalize_tree"]
