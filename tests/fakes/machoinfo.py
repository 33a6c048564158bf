"""Mach-O facts for the toolchain tests (a real parser, LIEF, a sdkbuild dependency; not a fake)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import lief

PLATFORM_IOS = 2  # LC_BUILD_VERSION platform numbers (<mach-o/loader.h>)
PLATFORM_IOSSIMULATOR = 7
MH_SUBSECTIONS_VIA_SYMBOLS = 0x2000


@dataclass(frozen=True)
class ObjectFacts:
    name: str
    cputype: int  # CPU_TYPE_ARM64 = 0x0100000c, CPU_TYPE_X86_64 = 0x01000007
    platform: int | None
    minos: str | None  # "13.0"
    subsections_via_symbols: bool  # what ld64's -dead_strip needs to drop single functions


def object_facts(path: Path) -> ObjectFacts:
    fat = lief.MachO.parse(str(path))
    assert fat is not None and fat.size == 1, f"{path} is not a thin Mach-O file"
    b = fat.at(0)
    platform = minos = None
    if b.has_build_version:
        v = list(b.build_version.minos)
        platform = int(b.build_version.platform)
        minos = f"{v[0]}.{v[1]}" + (f".{v[2]}" if v[2] else "")
    return ObjectFacts(path.name, int(b.header.cpu_type), platform, minos,
                       bool(int(b.header.flags) & MH_SUBSECTIONS_VIA_SYMBOLS))


def archive_facts(lib: Path) -> list[ObjectFacts]:
    """Facts of every member of a static library (extracted with llvm-ar)."""
    ar = shutil.which("llvm-ar")
    assert ar is not None, "llvm-ar is needed to read archives"
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([ar, "x", str(lib.resolve())], cwd=d, check=True)
        return [object_facts(p) for p in sorted(Path(d).iterdir())]
