"""Toolchain resolution per target, and rendering a Toolchain into Conan + Meson files.

Each module in this package that exposes `SOURCE` (a ToolchainSource) is a toolchain
source; adding one is adding a file. A target resolves to the first source that works, in
this order: what sdk.toml names ([android] / [ios] toolchain), the platform's own
toolchain (NDK, Xcode), then the portable fallbacks (zig, Debian gnu cross compilers,
the host compiler).

`sdkbuild test` resolves with purpose="test" (TEST_PREFERENCE): the engine tests use the
C++ standard library, which the zig stand-ins do not link (-nostdlib++; building zig's
libc++ per ISA takes minutes), so without an NDK the Android tests use the Debian gnu
cross compilers (run under qemu for ARM). Libraries keep the build order: zig's clang +
lld stand-ins are the closest to the NDK's output (and the smallest).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import pkgutil
import platform as _platform
import re
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from .. import paths
from ..errors import SdkbuildError
from ..fileio import write_atomic
from ..targets import Target
from ._probe import compiler_identity, which
from .base import Toolchain, ToolchainSource, Unavailable

if TYPE_CHECKING:
    from ..config import Config

# Preferred order of sources per platform (sources not listed are tried after these).
PREFERENCE: dict[str, tuple[str, ...]] = {
    "android": ("ndk", "zig", "gnu"),
    "ios": ("xcode", "zig"),
    "host": ("host",),
}
# `sdkbuild test` (see the module docstring): a source that links and runs the C++ tests first.
TEST_PREFERENCE: dict[str, tuple[str, ...]] = {**PREFERENCE, "android": ("ndk", "gnu", "zig")}
PURPOSES = ("build", "test")

# Flags every library of a platform gets, whatever compiler builds it. Android: 16 KB
# pages (required for Android 15+ devices), no text relocations.
PLATFORM_LINK_ARGS: dict[str, tuple[str, ...]] = {
    "android": ("-Wl,-z,max-page-size=16384", "-Wl,-z,common-page-size=16384", "-Wl,-z,text"),
}

# Meson [host_machine] system and Conan os for a platform (stand-ins of Android are Linux).
_MESON_SYSTEM = {"android": "android", "ios": "darwin", "host": "linux"}
_CONAN_ARCH = {"arm64": "armv8", "armv7": "armv7", "x86": "x86", "x86_64": "x86_64"}


def sources() -> dict[str, ToolchainSource]:
    """Every toolchain source module present in this package, by name."""
    found: dict[str, ToolchainSource] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.name == "base":
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        src = getattr(mod, "SOURCE", None)
        if src is not None:
            found[src.name] = src
    return found


def min_os_for(target: Target, cfg: Config | None) -> str:
    if target.platform == "android":
        return str(cfg.android.min_sdk if cfg else 21)
    if target.platform == "ios":
        return cfg.ios.min_version if cfg else "13.0"
    return ""


def _named(target: Target, cfg: Config | None) -> str | None:
    if cfg is None:
        return None
    return {"android": cfg.android.toolchain, "ios": cfg.ios.toolchain}.get(target.platform)


def candidates(target: Target, cfg: Config | None, purpose: str = "build") -> list[ToolchainSource]:
    """Sources to try for `target`, in order (only those that support it)."""
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {PURPOSES}, not {purpose!r}")
    all_ = sources()
    named = _named(target, cfg)
    prefs = TEST_PREFERENCE if purpose == "test" else PREFERENCE
    order: list[str] = ([named] if named else []) + list(prefs.get(target.platform, ()))
    order += [n for n in ("zig", "gnu", "host") if n not in order]
    order += sorted(n for n in all_ if n not in order)
    out: list[ToolchainSource] = []
    for n in dict.fromkeys(order):
        src = all_.get(n)
        if src is not None and src.supports(target):
            out.append(src)
    return out


@contextmanager
def _ndk_env(cfg: Config | None) -> Iterator[None]:
    # sdk.toml's [android] ndk wins over the environment: NDK detection reads ANDROID_NDK_HOME.
    if cfg is None or cfg.android.ndk is None:
        yield
        return
    old = os.environ.get("ANDROID_NDK_HOME")
    os.environ["ANDROID_NDK_HOME"] = str(cfg.android.ndk)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("ANDROID_NDK_HOME", None)
        else:
            os.environ["ANDROID_NDK_HOME"] = old


@dataclass(frozen=True)
class Resolution:
    target: Target
    toolchain: Toolchain | None
    tried: tuple[Unavailable, ...]  # sources tried before the one chosen (or all, when none works)

    def error(self) -> SdkbuildError:
        lines = [f"no toolchain can build {self.target.name}:"]
        lines += [f"  {u.source}: {u.reason}" for u in self.tried]
        hints = list(dict.fromkeys(u.install_hint for u in self.tried if u.install_hint))  # no repeats
        return SdkbuildError("\n".join(lines), " or ".join(hints) if hints else None)


def resolve(target: Target, cfg: Config | None = None, purpose: str = "build") -> Resolution:
    """The first toolchain that works for `target` (what sdk.toml names first).

    purpose="test": prefer a source that can link and run the engine tests (TEST_PREFERENCE).
    """
    tried: list[Unavailable] = []
    named = _named(target, cfg)
    if named and named not in sources():
        return Resolution(target, None, (Unavailable(
            named, f"toolchain source {named!r} (named in sdk.toml) is not part of this sdkbuild", ""),))
    with _ndk_env(cfg):
        for src in candidates(target, cfg, purpose):
            try:
                r = src.detect(target, min_os_for(target, cfg))
            except Exception as e:  # a broken source must not hide the others; say what broke
                r = Unavailable(src.name, f"detection failed: {type(e).__name__}: {e}", "")
            if isinstance(r, Toolchain):
                return Resolution(target, r, tuple(tried))
            tried.append(r)
            if named and src.name == named:
                # the user asked for this one: do not silently fall back to another
                return Resolution(target, None, tuple(tried))
    if not tried:
        tried.append(Unavailable("-", f"no toolchain source of this sdkbuild supports {target.platform} targets",
                                 ""))
    return Resolution(target, None, tuple(tried))


# --------------------------------------------------------------------------- rendering


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(paths.templates_dir()),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def meson_list(items: tuple[str, ...] | list[str]) -> str:
    """A Meson machine-file array literal."""
    return "[" + ", ".join(_q(i) for i in items) + "]"


def _q(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _dedup(*groups: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for g in groups:
        for a in g:
            if a not in out:
                out.append(a)
    return tuple(out)


def compiler_launcher() -> str | None:
    """ccache or sccache when installed; SDKBUILD_COMPILER_LAUNCHER names the launcher (a program,
    e.g. sccache, or "none"); SDKBUILD_NO_CCACHE=1 turns it off."""
    if os.environ.get("SDKBUILD_NO_CCACHE"):
        return None
    named = os.environ.get("SDKBUILD_COMPILER_LAUNCHER", "").strip()
    if named:
        if named.lower() in ("none", "off", "0"):
            return None
        found = which(named) or (named if os.path.isfile(named) and os.access(named, os.X_OK) else None)
        if found is None:
            raise SdkbuildError(f"SDKBUILD_COMPILER_LAUNCHER={named}: no such program",
                                "install it (e.g. apt-get install ccache, or cargo install sccache), or unset the "
                                "variable")
        return found
    return which("ccache") or which("sccache")


def build_machine() -> tuple[str, str]:
    """(Conan os, Conan arch) of this machine."""
    os_ = {"Linux": "Linux", "Darwin": "Macos", "Windows": "Windows"}.get(_platform.system(), "Linux")
    m = _platform.machine().lower()
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "armv8", "arm64": "armv8"}.get(m, m)
    return os_, arch


def conan_settings(tc: Toolchain) -> dict[str, str]:
    """Conan host settings: what the package is (os/arch), for package_id and Conan's tools."""
    t = tc.target
    arch = _CONAN_ARCH[t.arch]
    if arch == "armv7" and "-mfloat-abi=hard" in tc.c_args:
        arch = "armv7hf"
    if t.platform == "android" and not tc.standin:
        s = {"os": "Android", "os.api_level": tc.min_os or "21"}
    elif t.platform == "ios":
        s = {"os": "iOS", "os.version": tc.min_os or "13.0",
             "os.sdk": "iphonesimulator" if t.variant == "simulator" else "iphoneos"}
    else:
        s = {"os": "Linux"}
    s["arch"] = arch
    ident = compiler_identity(tc.cxx)
    if ident is not None:
        # MesonToolchain needs the compiler family; cppstd 17 matches engine/meson.build
        s.update({"compiler": ident[0], "compiler.version": ident[1], "compiler.cppstd": "17"})
    s["build_type"] = "MinSizeRel"  # engine/meson.build's default buildtype (minsize)
    return s


def needs_exe_wrapper(tc: Toolchain) -> bool:
    """Whether Meson must not run the target's executables directly on this machine.

    Bionic-linked (NDK) and iOS binaries never run here, whatever the CPU: with `false`
    Meson would try to run its compiler sanity check (and the tests) on the host and fail.
    Linux stand-ins run directly only on a matching CPU; otherwise they need the qemu
    exe_wrapper (set by the source when qemu-user is installed).
    """
    t = tc.target
    if t.platform == "ios" or (t.platform == "android" and not tc.standin) or tc.exe_wrapper:
        return True
    native = {"x86_64": ("x86_64", "x86"), "armv8": ("arm64",)}.get(build_machine()[1], ())
    return t.arch not in native


def is_cross(tc: Toolchain) -> bool:
    s = conan_settings(tc)
    return (s["os"], s["arch"]) != build_machine()


def _ndk_root(tc: Toolchain) -> str | None:
    # Conan's MesonToolchain insists on tools.android:ndk_path for Android; find the NDK the
    # compiler lives in (its root holds source.properties).
    for p in Path(tc.cxx[0]).resolve().parents:
        if (p / "source.properties").is_file():
            return str(p)
    return None


@dataclass(frozen=True)
class Rendered:
    host_profile: Path
    build_profile: Path
    machine_file: Path
    toolchain_id: str  # sha256 of the machine file: identifies compilers + flags for package_id
    c_args: tuple[str, ...]
    link_args: tuple[str, ...]


def machine_file_text(tc: Toolchain, launcher: str | None = None) -> str:
    t = tc.target
    c_args = _dedup(tc.c_args)
    cpp_args = _dedup(tc.cpp_args or tc.c_args)
    link_args = _dedup(tc.link_args, PLATFORM_LINK_ARGS.get(t.platform, ()))
    if tc.sysroot:
        c_args = _dedup(c_args, (f"--sysroot={tc.sysroot}",))
        cpp_args = _dedup(cpp_args, (f"--sysroot={tc.sysroot}",))
        link_args = _dedup(link_args, (f"--sysroot={tc.sysroot}",))
    pre = (launcher,) if launcher else ()
    system = "linux" if tc.standin and t.platform == "android" else _MESON_SYSTEM[t.platform]
    subsystem = ("ios-simulator" if t.variant == "simulator" else "ios") if t.platform == "ios" else None
    return _env().get_template("meson/cross.ini.j2").render(
        target=t, tc=tc, q=_q, ml=meson_list,
        cc=meson_list(pre + tc.cc), cxx=meson_list(pre + tc.cxx),
        objc=t.platform == "ios",
        c_args=meson_list(c_args), cpp_args=meson_list(cpp_args), link_args=meson_list(link_args),
        exe_wrapper=meson_list(tc.exe_wrapper) if tc.exe_wrapper else None,
        cross=is_cross(tc), needs_wrapper=needs_exe_wrapper(tc), system=system, subsystem=subsystem,
        endian="little",
    )


def _portable(text: str, tc: Toolchain) -> str:
    """The machine file with machine-specific folders replaced by names: sdkbuild's cache, this
    Python's prefix (where ziglang lives), the zig install and the NDK. Their versions are in
    tc.version, which the identity includes."""
    roots = {Path(os.environ.get("SDKBUILD_CACHE", Path.home() / ".cache" / "sdkbuild")): "<sdkbuild-cache>",
             Path(sys.prefix): "<python>", Path(sys.base_prefix): "<python>"}
    if tc.source == "zig" and tc.cxx:
        from .zig import find_zig

        z = find_zig()
        if z:
            roots[Path(z).resolve().parent] = "<zig>"
            roots[Path(z).parent] = "<zig>"
    ndk = _ndk_root(tc) if tc.target.platform == "android" and tc.cxx else None
    if ndk:
        roots[Path(ndk)] = "<ndk>"
    for root, name in sorted(roots.items(), key=lambda kv: -len(str(kv[0]))):
        if str(root) not in ("/", ""):
            text = text.replace(str(root), name)
    # zig's wrapper folders are named bin-<version>-<hash of the zig path>
    return re.sub(r"/bin-([^/'\s]+)-[0-9a-f]{12}/", r"/bin-\1/", text)


def toolchain_id(tc: Toolchain) -> str:
    """Identifies the compilers + flags in the engine's Conan package id. Portable across
    machines and checkouts: equal compiler versions and flags give equal ids wherever the tools
    are installed (so a Conan remote serves every machine); the compiler launcher (ccache) is
    left out, like the test runner (qemu), since they do not change the library."""
    # what runs the tests (qemu) and the strip tool leave the library as it is
    lines = [ln for ln in _portable(machine_file_text(tc, None), tc).splitlines()
             if not re.match(r"\s*(exe_wrapper|strip|needs_exe_wrapper)\s*=", ln)]
    text = "\n".join(lines) + "\n" + tc.version
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def render(tc: Toolchain, out_dir: Path, jobs: int = 2, launcher: str | None = None) -> Rendered:
    """Write host.profile, build.profile and machine.ini for `tc` into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    machine = out_dir / "machine.ini"
    text = machine_file_text(tc, launcher)
    ident = toolchain_id(tc)
    _write(machine, text)
    env = _env()
    host_os, host_arch = build_machine()
    conf = {
        "tools.meson.mesontoolchain:extra_machine_files": f'["{machine.resolve()}"]',
        "tools.build:jobs": str(jobs),
    }
    settings = conan_settings(tc)
    if settings["os"] == "Android":
        # MesonToolchain only derives default compiler paths from it; machine.ini overrides them
        conf["tools.android:ndk_path"] = _ndk_root(tc) or tc.sysroot or str(out_dir)
    if settings["os"] == "iOS":
        # Conan asks for an SDK path on Apple cross builds; the flags come from machine.ini
        conf["tools.apple:sdk_path"] = tc.sysroot or str(out_dir)
    host = out_dir / "host.profile"
    _write(host, env.get_template("conan/profile.j2").render(
        comment=f"{tc.target.name}: {tc.source} {tc.version}", settings=settings, conf=conf, env=tc.env))
    build = out_dir / "build.profile"
    _write(build, env.get_template("conan/profile.j2").render(
        comment="the build machine", settings={"os": host_os, "arch": host_arch, "build_type": "Release"},
        conf={}, env={}))
    link = _dedup(tc.link_args, PLATFORM_LINK_ARGS.get(tc.target.platform, ()))
    return Rendered(host, build, machine, ident, _dedup(tc.c_args), link)


def _write(path: Path, text: str) -> None:
    if path.is_file() and path.read_text() == text:
        return  # unchanged: keep the mtime so nothing downstream reconfigures
    write_atomic(path, text)


def tool_present(name: str) -> str | None:
    return shutil.which(name)


__all__ = ["Resolution", "Rendered", "resolve", "render", "sources", "candidates", "Toolchain", "Unavailable"]
