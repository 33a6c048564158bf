"""The target matrix: every platform slice sdkbuild can build, as plain data.

Adding a target adds a row here; nothing else branches on target names.
"""

from __future__ import annotations

import platform as _platform
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    name: str  # as written in sdk.toml, e.g. "android-arm64-v8a"
    platform: str  # "android", "ios", "host"
    abi: str  # Android ABI / Apple arch / host arch
    arch: str  # arm64, armv7, x86, x86_64
    triple: str  # clang target triple (API level / OS version appended by toolchains)
    gnu_triple: str | None  # Debian cross-compiler prefix for Linux stand-ins
    cpu_family: str  # Meson cpu_family
    cpu: str  # Meson cpu
    arch_flags: tuple[str, ...]  # always-on ISA flags (the ABI baseline)
    isa: tuple[str, ...]  # engine ISA features compiled in: "neon", "dotprod", "x86"
    pointer_bits: int
    variant: str = ""  # Apple platform variant: "" (device) or "simulator"
    qemu: str | None = None  # user-mode emulator that runs this target's Linux stand-in


def _host_row() -> Target:
    m = _platform.machine().lower()
    if m in ("aarch64", "arm64"):
        return Target("host", "host", "arm64", "arm64", "aarch64-linux-gnu", None, "aarch64", "aarch64", (), ("neon", "dotprod"), 64)
    return Target("host", "host", "x86_64", "x86_64", "x86_64-linux-gnu", None, "x86_64", "x86_64", (), ("x86",), 64)


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("android-arm64-v8a", "android", "arm64-v8a", "arm64", "aarch64-linux-android", "aarch64-linux-gnu",
               "aarch64", "armv8-a", ("-march=armv8-a",), ("neon", "dotprod"), 64, qemu="qemu-aarch64"),
        Target("android-armeabi-v7a", "android", "armeabi-v7a", "armv7", "armv7a-linux-androideabi",
               "arm-linux-gnueabihf", "arm", "armv7-a",
               ("-march=armv7-a", "-mfpu=neon", "-mthumb"), ("neon",), 32, qemu="qemu-arm"),
        Target("android-x86", "android", "x86", "x86", "i686-linux-android", "i686-linux-gnu", "x86", "i686",
               ("-march=i686", "-mssse3", "-mfpmath=sse"), ("x86",), 32, qemu=None),
        Target("android-x86_64", "android", "x86_64", "x86_64", "x86_64-linux-android", "x86_64-linux-gnu",
               "x86_64", "x86_64", ("-march=x86-64", "-msse4.2", "-mpopcnt"), ("x86",), 64, qemu=None),
        Target("ios-arm64", "ios", "arm64", "arm64", "arm64-apple-ios", None, "aarch64", "arm64", (),
               ("neon", "dotprod"), 64),
        Target("ios-simulator-arm64", "ios", "arm64", "arm64", "arm64-apple-ios", None, "aarch64", "arm64", (),
               ("neon", "dotprod"), 64, variant="simulator"),
        Target("ios-simulator-x86_64", "ios", "x86_64", "x86_64", "x86_64-apple-ios", None, "x86_64", "x86_64", (),
               ("x86",), 64, variant="simulator"),
        _host_row(),
    )
}

ANDROID_TARGETS = tuple(n for n, t in TARGETS.items() if t.platform == "android")
IOS_TARGETS = tuple(n for n, t in TARGETS.items() if t.platform == "ios")


def get(name: str) -> Target:
    """The target called `name`; unknown names raise KeyError (config.py words the error)."""
    return TARGETS[name]
