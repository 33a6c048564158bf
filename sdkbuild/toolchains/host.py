"""The machine's own C/C++ compiler (gcc or clang), for the `host` target.

The host build is what tests, `sdkbuild bench` and the Python runtime load, so it uses
the system compiler as is (CC/CXX honoured), with no cross flags.
"""

from __future__ import annotations

import os
import shlex

from ..targets import Target
from ._probe import compiler_identity, compiler_version, which
from .base import Toolchain, Unavailable

_CANDIDATES = (("gcc", "g++"), ("clang", "clang++"), ("cc", "c++"))


class HostSource:
    name = "host"

    def supports(self, target: Target) -> bool:
        return target.platform == "host"

    def detect(self, target: Target, min_os: str) -> Toolchain | Unavailable:
        pairs: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        if os.environ.get("CC") and os.environ.get("CXX"):
            pairs.append((tuple(shlex.split(os.environ["CC"])), tuple(shlex.split(os.environ["CXX"]))))
        for c, cxx in _CANDIDATES:
            cp, cxxp = which(c), which(cxx)
            if cp and cxxp:
                pairs.append(((cp,), (cxxp,)))
        for cc, cxx in pairs:
            if compiler_identity(cxx) is None:
                continue
            ar = which("gcc-ar" if "gcc" in cc[0] else "llvm-ar") or which("ar")
            return Toolchain(
                source=self.name, target=target, cc=cc, cxx=cxx, ar=ar or "ar", strip=which("strip"),
                version=compiler_version(cxx), standin=False, min_os=min_os,
            )
        return Unavailable(self.name, "no working C/C++ compiler (gcc/g++ or clang/clang++) on PATH",
                           "sudo apt-get install g++")


SOURCE = HostSource()
