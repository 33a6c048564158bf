"""Linking iOS executables here, without Xcode: zig's clang and Mach-O linker, with text stubs
(.tbd, what an Apple SDK ships) for the Apple libraries the objects import."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sdkbuild.package import xcframework

_OBJC_RUNTIME = re.compile(r"^(_objc_\w+|__objc_\w+|_OBJC_(CLASS|METACLASS)_\$_NSObject)$")
_FOUNDATION = re.compile(r"^(_OBJC_(CLASS|METACLASS)_\$_NS\w+|_NS\w+|___CFConstantStringClassReference)$")


def _tbd(install_name: str, symbols: list[str]) -> str:
    """A text-based dylib stub (what an Apple SDK ships for its libraries) exporting `symbols`."""
    classes = sorted({s.split("$_", 1)[1] for s in symbols if s.startswith(("_OBJC_CLASS_$_", "_OBJC_METACLASS_$_"))})
    plain = sorted(s for s in symbols if not s.startswith(("_OBJC_CLASS_$_", "_OBJC_METACLASS_$_")))
    out = ["--- !tapi-tbd", "tbd-version:     4", "targets:         [ arm64-ios ]",
           f"install-name:    '{install_name}'", "exports:", "  - targets:         [ arm64-ios ]"]
    if plain:
        out.append(f"    symbols:         [ {', '.join(plain)} ]")
    if classes:
        out.append(f"    objc-classes:    [ {', '.join(classes)} ]")
    return "\n".join(out + ["...", ""])


def zig() -> list[str]:
    pytest.importorskip("ziglang")
    return [sys.executable, "-m", "ziglang", "cc", "-target", "aarch64-ios.13.0"]


def _libsystem_exports() -> set[str]:
    """The symbols of zig's copy of Apple's libSystem.tbd (listed for macOS only, which is why
    zig links no libc for an iOS executable): libc, libm, pthread, ... as on iOS."""
    import ziglang

    text = (Path(ziglang.__file__).parent / "lib/libc/darwin/libSystem.tbd").read_text()
    return set(re.findall(r"(?<![\w$])(_[A-Za-z_][\w$]*)", text))


def link(zig: list[str], objects: list[Path], archives: list[Path], work: Path, out: Path
          ) -> subprocess.CompletedProcess:
    """Link an iOS executable with every archive force-loaded. No Apple SDK exists here, so
    libSystem, libobjc and Foundation are text stubs (.tbd, what an Apple SDK ships) exporting
    the Apple symbols the objects import: libSystem's from zig's list, the ObjC runtime's and
    Foundation's by name. Anything else (e.g. an SDK symbol neither archive defines) stays
    unresolved and fails the link."""
    nm = xcframework.find_tool("llvm-nm")
    undefined: set[str] = set()
    defined: set[str] = set()
    for f in [*objects, *archives]:
        undefined |= set(subprocess.run([nm, "-u", "-j", str(f)], capture_output=True, text=True).stdout.split())
        defined |= set(subprocess.run([nm, "--defined-only", "-j", str(f)], capture_output=True,
                                      text=True).stdout.split())
    imports = sorted(undefined - defined)
    libsystem = _libsystem_exports()
    system = [s for s in imports if s in libsystem] + ["dyld_stub_binder"]  # (lazy binding's helper)
    objc = [s for s in imports if _OBJC_RUNTIME.match(s) and s not in system]
    foundation = [s for s in imports if _FOUNDATION.match(s) and s not in objc and s not in system]
    # (zig keeps its own, macOS-only libSystem under /usr/lib/libSystem.B.dylib: this stub takes
    # the name of the libSystem part that holds libc)
    stubs = {"libSystem.tbd": ("/usr/lib/system/libsystem_c.dylib", system), "libobjc.tbd": ("/usr/lib/libobjc.A.dylib", objc),
             "Foundation.tbd": ("/System/Library/Frameworks/Foundation.framework/Foundation", foundation)}
    for name, (install, syms) in stubs.items():
        (work / name).write_text(_tbd(install, syms))
    cmd = [*zig, "-O2", "-fno-sanitize=undefined", *map(str, objects)]
    cmd += [f"-Wl,-force_load,{a}" for a in archives]
    cmd += [str(work / n) for n in stubs] + ["-o", str(out)]
    return subprocess.run(cmd, capture_output=True, text=True, env=zig_env(work))


def zig_env(work: Path) -> dict[str, str]:
    from sdkbuild.toolchains import zig as zigtc

    cache = zigtc._cache_root() / "zig"
    return dict(os.environ, ZIG_GLOBAL_CACHE_DIR=str(cache / "global"), ZIG_LOCAL_CACHE_DIR=str(cache / "local"))


