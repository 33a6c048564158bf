"""A fake Android NDK tree for tests: a TEST DEVICE, not an NDK.

There is no Android NDK on the CI machines, so the NDK toolchain source is tested against a
folder with the NDK's real layout (source.properties with Pkg.Revision,
toolchains/llvm/prebuilt/<host>/bin/<triple><api>-clang[++], llvm-ar, llvm-strip, sysroot/)
whose compiler wrappers run a real compiler: Debian's clang for the matching *Linux* triple
(-fuse-ld=lld, Debian's cross sysroots). What the tests prove is therefore real: sdkbuild
finds the tree, picks the API-level wrapper, and the flags it hands out compile and link
(16 KB pages etc.). What it cannot prove is bionic linkage; the libraries are glibc ones.

The wrappers translate what only an NDK clang understands:
- --target=<android triple><api>  -> the Linux triple (the wrapper already sets it)
- --sysroot=<ndk sysroot>         -> dropped (the fake sysroot is empty; Debian's is used)
- -mfloat-abi=softfp              -> -mfloat-abi=hard (Debian armhf libraries are hard-float)
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# android triple (as in targets.py) -> Linux triple of Debian's cross sysroot
LINUX_TRIPLE = {
    "aarch64-linux-android": "aarch64-linux-gnu",
    "armv7a-linux-androideabi": "arm-linux-gnueabihf",
    "i686-linux-android": "i686-linux-gnu",
    "x86_64-linux-android": "x86_64-linux-gnu",
}

_WRAPPER = """#!/bin/sh
# FAKE NDK (sdkbuild tests): {name} -> Debian {driver} --target={linux}, not an NDK compiler.
first=1
for a in "$@"; do
  if [ "$first" = 1 ]; then set --; first=0; fi
  case "$a" in
    --target=*-android*|--sysroot=*) continue ;;
    -mfloat-abi=softfp) a=-mfloat-abi=hard ;;
  esac
  set -- "$@" "$a"
done
exec '{real}' --target={linux} -fuse-ld=lld "$@"
"""


def make_fake_ndk(
    root: Path,
    revision: str = "27.2.12479018",
    apis: tuple[int, ...] = tuple(range(21, 36)),
    host_tag: str = "linux-x86_64",
) -> Path:
    """Create a fake NDK at `root` (returned); compilers need `clang`, `lld`, `llvm-ar` on PATH."""
    clang, clangxx = shutil.which("clang"), shutil.which("clang++")
    if clang is None or clangxx is None:
        raise RuntimeError("the fake NDK needs Debian's clang (apt-get install clang lld llvm)")
    root.mkdir(parents=True, exist_ok=True)
    (root / "source.properties").write_text(f"Pkg.Desc = Android NDK\nPkg.Revision = {revision}\n")
    prebuilt = root / "toolchains" / "llvm" / "prebuilt" / host_tag
    bin_dir = prebuilt / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    (prebuilt / "sysroot" / "usr" / "include").mkdir(parents=True, exist_ok=True)
    for android, linux in LINUX_TRIPLE.items():
        for api in apis:
            for suffix, real in (("clang", clang), ("clang++", clangxx)):
                name = f"{android}{api}-{suffix}"
                p = bin_dir / name
                p.write_text(_WRAPPER.format(name=name, driver=suffix, linux=linux, real=real))
                p.chmod(0o755)
    for tool in ("llvm-ar", "llvm-strip"):
        real_tool = shutil.which(tool)
        if real_tool is None:
            raise RuntimeError(f"the fake NDK needs {tool} (apt-get install llvm)")
        os.symlink(real_tool, bin_dir / tool)
    return root
