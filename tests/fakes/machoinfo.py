"""Mach-O facts for the toolchain tests (a real parser, macholib; not a fake)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from macholib import mach_o
from macholib.MachO import MachO

PLATFORM_IOS = 2  # LC_BUILD_VERSION platform numbers (<mach-o/loader.h>)
PLATFORM_IOSSIMULATOR = 7


@dataclass(frozen=True)
class ObjectFacts:
    name: str
    cputype: int  # CPU_TYPE_ARM64 = 0x0100000c, CPU_TYPE_X86_64 = 0x01000007
    platform: int | None
    minos: str | None  # "13.0"
    subsections_via_symbols: bool  # what ld64's -dead_strip needs to drop single functions


def _version(v: int) -> str:
    return f"{v >> 16}.{(v >> 8) & 0xFF}" + (f".{v & 0xFF}" if v & 0xFF else "")


def object_facts(path: Path) -> ObjectFacts:
    m = MachO(str(path))
    h = m.headers[0]
    platform = minos = None
    for lc, cmd, _data in h.commands:
        if lc.cmd == mach_o.LC_BUILD_VERSION:
            platform, minos = int(cmd.platform), _version(int(cmd.minos))
    return ObjectFacts(path.name, int(h.header.cputype), platform, minos,
                       bool(h.header.flags & mach_o.MH_SUBSECTIONS_VIA_SYMBOLS))


def archive_facts(lib: Path) -> list[ObjectFacts]:
    """Facts of every member of a static library (extracted with llvm-ar)."""
    ar = shutil.which("llvm-ar")
    assert ar is not None, "llvm-ar is needed to read archives"
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([ar, "x", str(lib.resolve())], cwd=d, check=True)
        return [object_facts(p) for p in sorted(Path(d).iterdir())]
