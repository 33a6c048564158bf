"""What every toolchain source returns: a resolved toolchain, or why it is unavailable.

One module per source (ndk, xcode, zig, gnu, host) exposes `SOURCE: ToolchainSource`.
`sdkbuild/toolchains/__init__.py` resolves a target by trying, in order, what sdk.toml
names, then NDK / Xcode, then the portable fallbacks. Rendering the Conan profile and
Meson cross file from a `Toolchain` is shared (templates/conan, templates/meson).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..targets import Target


@dataclass(frozen=True)
class Toolchain:
    source: str  # "ndk", "xcode", "zig", "gnu", "host"
    target: Target
    cc: tuple[str, ...]  # command (and fixed leading args) of the C compiler
    cxx: tuple[str, ...]
    ar: str
    strip: str | None
    version: str  # e.g. "NDK r27c (27.2.12479018)", "zig 0.13.0", "gcc 12.2.0"
    # True when the artifact is only a stand-in for the real platform binary: an Android
    # library not linked against bionic (gnu, zig), an iOS slice without the Apple SDK.
    standin: bool
    c_args: tuple[str, ...] = ()
    cpp_args: tuple[str, ...] = ()
    link_args: tuple[str, ...] = ()
    exe_wrapper: tuple[str, ...] | None = None  # runs target executables here (qemu)
    sysroot: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    # static: iOS slices are static libraries, linked (and dead-stripped) by the app
    library_kind: str = "shared"  # "shared" or "static"
    min_os: str = ""  # Android API level or iOS version the objects target
    notes: tuple[str, ...] = ()  # shown by `sdkbuild doctor`, recorded in build-info


@dataclass(frozen=True)
class Unavailable:
    source: str
    reason: str  # why it cannot serve this target here
    install_hint: str  # the exact command or step that would make it available


class ToolchainSource(Protocol):
    name: str

    def supports(self, target: Target) -> bool:
        """Whether this source can ever build `target` (zig: Android ISAs + iOS; ndk: Android)."""
        ...

    def detect(self, target: Target, min_os: str) -> Toolchain | Unavailable:
        """Find the tools for `target` on this machine, or say why not and how to fix it."""
        ...
