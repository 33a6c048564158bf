"""Shared probes for toolchain sources: find a program, ask a compiler its version and identity."""

from __future__ import annotations

import functools
import shutil
import subprocess


def which(name: str) -> str | None:
    return shutil.which(name)


@functools.cache
def _run(cmd: tuple[str, ...]) -> str:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return r.stdout if r.returncode == 0 else ""


def compiler_version(cmd: tuple[str, ...]) -> str:
    """'<program> <version>' from the compiler's own report, e.g. 'aarch64-linux-gnu-g++ 12.2.0'."""
    name = cmd[-1].rsplit("/", 1)[-1] if cmd[0].endswith(("ccache", "sccache")) else cmd[0].rsplit("/", 1)[-1]
    full = _run((*cmd, "-dumpfullversion", "-dumpversion")).strip()
    if full:
        return f"{name} {full}"
    first = _run((*cmd, "--version")).splitlines()
    return first[0].strip() if first else name


@functools.cache
def compiler_macros(cmd: tuple[str, ...]) -> dict[str, str]:
    """Predefined macros of a C++ compiler (identifies gcc vs clang and its major version)."""
    out = _run((*cmd, "-dM", "-E", "-x", "c++", "/dev/null"))
    macros: dict[str, str] = {}
    for line in out.splitlines():
        parts = line.split(None, 2)
        if len(parts) >= 2 and parts[0] == "#define":
            macros[parts[1]] = parts[2] if len(parts) == 3 else ""
    return macros


def compiler_identity(cmd: tuple[str, ...]) -> tuple[str, str] | None:
    """('gcc'|'clang'|'apple-clang', major version) or None when the compiler does not run."""
    m = compiler_macros(cmd)
    if not m:
        return None
    if "__clang__" in m:
        fam = "apple-clang" if "__apple_build_version__" in m else "clang"
        return fam, m.get("__clang_major__", "0")
    if "__GNUC__" in m:
        return "gcc", m["__GNUC__"]
    return None
