"""Debian's GNU cross compilers: Linux stand-ins for the Android ABIs.

The objects use the Android ABI's instruction set and flags, but link glibc instead of
bionic, so the libraries are labelled `standin` (build-info, reports, the AAR). They are
what lets a machine without the NDK build, size and test (under qemu) every Android ISA.
"""

from __future__ import annotations

import platform

from ..targets import Target
from ._probe import compiler_version, which
from .base import Toolchain, Unavailable

# Debian package providing <gnu_triple>-g++ (the exact apt command in the hint).
_APT = {
    "aarch64-linux-gnu": "g++-aarch64-linux-gnu",
    "arm-linux-gnueabihf": "g++-arm-linux-gnueabihf",
    "i686-linux-gnu": "g++-i686-linux-gnu",
    "x86_64-linux-gnu": "g++-x86-64-linux-gnu",
}

# Per-triple flags beyond the target's arch_flags. Debian's armhf libc is hard-float, so
# armeabi-v7a stand-ins must use the hard-float calling convention (Android's is softfp).
_EXTRA: dict[str, tuple[str, ...]] = {
    "arm-linux-gnueabihf": ("-mfloat-abi=hard",),
    "x86_64-linux-gnu": ("-m64",),
}
_EXTRA_NOTES: dict[str, tuple[str, ...]] = {
    "arm-linux-gnueabihf": ("hard-float ABI (-mfloat-abi=hard, Debian armhf); Android armeabi-v7a uses softfp",),
}


class GnuSource:
    name = "gnu"

    def supports(self, target: Target) -> bool:
        return target.platform == "android" and target.gnu_triple is not None

    def detect(self, target: Target, min_os: str) -> Toolchain | Unavailable:
        triple = target.gnu_triple
        if triple is None:
            return Unavailable(self.name, f"no Debian cross compiler for {target.name}", "")
        gcc, gxx = which(f"{triple}-gcc"), which(f"{triple}-g++")
        if not (gcc and gxx):
            pkg = _APT.get(triple, f"g++-{triple}")
            return Unavailable(self.name, f"{triple}-g++ not found on PATH", f"sudo apt-get install {pkg}")
        flags = tuple(target.arch_flags) + _EXTRA.get(triple, ())
        wrapper = None
        if target.qemu:
            q = which(target.qemu)
            # qemu-user runs the stand-in's tests; without it the build still works.
            wrapper = (q, "-L", f"/usr/{triple}") if q else None
        native = platform.machine() in ("x86_64", "AMD64") and target.arch in ("x86", "x86_64")
        notes = ("not bionic-linked: a Linux stand-in for the Android ABI (glibc)",) + _EXTRA_NOTES.get(triple, ())
        if target.qemu and wrapper is None and not native:
            notes += (f"{target.qemu} not found: tests cannot run (sudo apt-get install qemu-user)",)
        return Toolchain(
            source=self.name, target=target, cc=(gcc,), cxx=(gxx,),
            ar=which(f"{triple}-gcc-ar") or which(f"{triple}-ar") or f"{triple}-ar",
            strip=which(f"{triple}-strip"), version=compiler_version((gxx,)), standin=True,
            c_args=flags, cpp_args=flags, link_args=flags, exe_wrapper=wrapper,
            sysroot=None, min_os=min_os, notes=notes,
        )


SOURCE = GnuSource()
