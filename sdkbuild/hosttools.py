"""Finding host programs: LLVM/binutils tools (also as Debian installs them) and this venv's tools."""

from __future__ import annotations

import glob
import re
import shutil
import sys
from pathlib import Path

from .errors import SdkbuildError


def find_tool(*names: str) -> str | None:
    """The first of `names` found: on PATH, else the newest /usr/lib/llvm-*/bin/<name> or <name>-<version>
    (Debian's llvm packages install llvm-lipo-14, not llvm-lipo)."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
        versioned = sorted(glob.glob(f"/usr/lib/llvm-*/bin/{name}"),
                           key=lambda p: int(re.findall(r"llvm-(\d+)", p)[0]))
        if versioned:
            return versioned[-1]
        for v in range(30, 10, -1):
            found = shutil.which(f"{name}-{v}")
            if found:
                return found
    return None


def venv_tool(name: str) -> str:
    """A tool installed next to this Python (the venv's meson/ninja, even when the venv is not activated), or PATH's."""
    cand = Path(sys.executable).parent / name
    if cand.is_file():
        return str(cand)
    found = shutil.which(name)
    if not found:
        raise SdkbuildError(f"{name} not found", hint=f"install it: pip install {name}")
    return found
