"""The Android NDK: bionic-linked Android libraries (the real thing, `standin=False`).

Where: ANDROID_NDK_HOME, then ANDROID_NDK_ROOT, then the newest NDK (by Pkg.Revision)
under ANDROID_HOME/ndk/* or ANDROID_SDK_ROOT/ndk/* (also their legacy ndk-bundle).
Which tools: toolchains/llvm/prebuilt/<host-tag>/bin/<triple><api>-clang[++] (the NDK's
clang wrappers name the API level), llvm-ar, llvm-strip; sysroot next to bin/.
"""

from __future__ import annotations

import os
import platform as _platform
import re
from dataclasses import dataclass
from pathlib import Path

from ..targets import Target
from .base import Toolchain, Unavailable

MIN_MAJOR = 23  # r23: the unified LLVM toolchain layout (no gcc, no binutils) this module uses
PAGE_16K_MAJOR = 27  # r27: 16 KB page support is the documented baseline
INSTALL_HINT = 'set ANDROID_NDK_HOME to an NDK r26+ (e.g. sdkmanager "ndk;27.2.12479018")'

# ABI flags the NDK's own build systems use (ndk-build/CMake): armeabi-v7a is Thumb-2 +
# NEON with the softfp calling convention.
_EXTRA_FLAGS: dict[str, tuple[str, ...]] = {"armv7": ("-mfloat-abi=softfp",)}
# 16 KB pages: required for Android 15+ devices (Play, Nov 2025); passed on every NDK
# version, also where it is already the default (r28+).
PAGE_FLAGS = ("-Wl,-z,max-page-size=16384", "-Wl,-z,common-page-size=16384")


@dataclass(frozen=True)
class Ndk:
    root: Path
    revision: str  # Pkg.Revision, e.g. "27.2.12479018"
    found_by: str  # which setting pointed at it, for messages

    @property
    def major(self) -> int:
        return int(self.revision.split(".")[0])

    @property
    def release(self) -> str:
        """The marketing name: 27.2.x -> r27c."""
        parts = self.revision.split(".")
        minor = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        return f"r{self.major}" + (chr(ord("a") + minor) if minor else "")


_REV = re.compile(r"^\s*Pkg\.Revision\s*=\s*(\d+)\.(\d+)\.(\d+)", re.MULTILINE)


def read_revision(root: Path) -> str | None:
    """Pkg.Revision from <root>/source.properties, or None when it is not an NDK."""
    try:
        text = (root / "source.properties").read_text(errors="replace")
    except OSError:
        return None
    m = _REV.search(text)
    return ".".join(m.groups()) if m else None


def _version_key(rev: str) -> tuple[int, ...]:
    return tuple(int(p) for p in rev.split("."))


def host_tags() -> tuple[str, ...]:
    """Prebuilt folder names for this machine (Apple Silicon uses the darwin-x86_64 folder)."""
    system = _platform.system()
    if system == "Darwin":
        return ("darwin-x86_64", "darwin-arm64")
    if system == "Windows":
        return ("windows-x86_64",)
    machine = _platform.machine().lower()
    return ("linux-aarch64", "linux-x86_64") if machine in ("aarch64", "arm64") else ("linux-x86_64",)


def find_ndk() -> Ndk | Unavailable:
    """The NDK to use, in the documented order, or why there is none."""
    for var in ("ANDROID_NDK_HOME", "ANDROID_NDK_ROOT"):
        value = os.environ.get(var)
        if not value:
            continue
        root = Path(value).expanduser()
        rev = read_revision(root)
        if rev is None:
            # the user pointed at it: say it is wrong rather than silently using another NDK
            return Unavailable("ndk", f"{var}={value} is not an NDK (no Pkg.Revision in {root / 'source.properties'})",
                               INSTALL_HINT)
        return Ndk(root, rev, var)
    found: list[Ndk] = []
    for var in ("ANDROID_HOME", "ANDROID_SDK_ROOT"):
        value = os.environ.get(var)
        if not value:
            continue
        sdk = Path(value).expanduser()
        dirs = sorted((sdk / "ndk").glob("*")) if (sdk / "ndk").is_dir() else []
        dirs.append(sdk / "ndk-bundle")
        for d in dirs:
            rev = read_revision(d)
            if rev is not None:
                found.append(Ndk(d, rev, f"{var}/{d.relative_to(sdk).as_posix()}"))
    if found:
        return max(found, key=lambda n: _version_key(n.revision))
    looked = "ANDROID_NDK_HOME, ANDROID_NDK_ROOT, ANDROID_HOME/ndk/*, ANDROID_SDK_ROOT/ndk/*"
    return Unavailable("ndk", f"no Android NDK found (looked at {looked})", INSTALL_HINT)


def _prebuilt(ndk: Ndk) -> Path | None:
    base = ndk.root / "toolchains" / "llvm" / "prebuilt"
    for tag in host_tags():
        if (base / tag / "bin").is_dir():
            return base / tag
    return None


def _api_levels(bin_dir: Path, triple: str) -> list[int]:
    pat = re.compile(rf"^{re.escape(triple)}(\d+)-clang\+\+(\.cmd)?$")
    return sorted(int(m.group(1)) for p in bin_dir.iterdir() if (m := pat.match(p.name)))


def _tool(bin_dir: Path, name: str) -> Path | None:
    for n in (name, name + ".exe", name + ".cmd"):
        if (bin_dir / n).is_file():
            return bin_dir / n
    return None


class NdkSource:
    name = "ndk"

    def supports(self, target: Target) -> bool:
        return target.platform == "android"

    def detect(self, target: Target, min_os: str) -> Toolchain | Unavailable:
        if not self.supports(target):
            return Unavailable(self.name, f"the NDK builds Android targets, not {target.name}", "")
        ndk = find_ndk()
        if isinstance(ndk, Unavailable):
            return ndk
        where = f"{ndk.root} (from {ndk.found_by})"
        if ndk.major < MIN_MAJOR:
            return Unavailable(self.name, f"NDK {ndk.release} ({ndk.revision}) at {where} is too old: "
                               f"sdkbuild needs r{MIN_MAJOR}+ (the LLVM-only toolchain layout)", INSTALL_HINT)
        prebuilt = _prebuilt(ndk)
        if prebuilt is None:
            return Unavailable(self.name, f"NDK at {where} has no toolchains/llvm/prebuilt/{{{','.join(host_tags())}}} "
                               "for this machine", INSTALL_HINT)
        bin_dir = prebuilt / "bin"
        api = int(min_os) if min_os.isdigit() else 21
        levels = _api_levels(bin_dir, target.triple)
        if not levels:
            return Unavailable(self.name, f"NDK {ndk.release} at {ndk.root} has no {target.triple}<api>-clang++ "
                               f"in {bin_dir}", INSTALL_HINT)
        if api not in levels:
            lo, hi = levels[0], levels[-1]
            reason = (f"NDK {ndk.release} supports API {lo}..{hi} for {target.abi}; [android] min_sdk = {api} "
                      + ("is below its minimum" if api < lo else "is not one of them"))
            hint = f"set [android] min_sdk = {lo} (or higher) in sdk.toml" if api < lo else INSTALL_HINT
            return Unavailable(self.name, reason, hint)
        suffix = ".cmd" if (bin_dir / f"{target.triple}{api}-clang++.cmd").is_file() else ""
        cc = bin_dir / f"{target.triple}{api}-clang{suffix}"
        cxx = bin_dir / f"{target.triple}{api}-clang++{suffix}"
        ar, strip = _tool(bin_dir, "llvm-ar"), _tool(bin_dir, "llvm-strip")
        missing = [n for n, p in (("clang", cc if cc.is_file() else None), ("llvm-ar", ar)) if p is None]
        if missing:
            return Unavailable(self.name, f"NDK at {where} lacks {', '.join(missing)} in {bin_dir}", INSTALL_HINT)
        # The wrapper already implies --target; naming it keeps the flags self-describing
        # (build-info) and is what the NDK's CMake toolchain passes too.
        target_flag = f"--target={target.triple}{api}"
        flags = (target_flag, *target.arch_flags, *_EXTRA_FLAGS.get(target.arch, ()))
        notes: list[str] = [f"NDK {ndk.release} ({ndk.revision}) at {ndk.root}, from {ndk.found_by}"]
        if ndk.major < PAGE_16K_MAJOR:
            notes.append(f"NDK {ndk.release} predates r{PAGE_16K_MAJOR}: 16 KB page alignment comes from the "
                         "-Wl,-z,max-page-size=16384 flag sdkbuild passes; r27+ is recommended")
        return Toolchain(
            source=self.name, target=target, cc=(str(cc),), cxx=(str(cxx),),
            ar=str(ar), strip=str(strip) if strip else None,
            version=f"NDK {ndk.release} ({ndk.revision})", standin=False,
            c_args=flags, cpp_args=flags, link_args=(*flags, *PAGE_FLAGS),
            exe_wrapper=None,  # bionic executables do not run on this machine
            sysroot=str(prebuilt / "sysroot") if (prebuilt / "sysroot").is_dir() else None,
            library_kind="shared", min_os=str(api), notes=tuple(notes),
        )


SOURCE = NdkSource()
