"""Xcode (through `xcrun`): iOS device and simulator static slices built with the Apple SDK.

Everything comes from xcrun, so `DEVELOPER_DIR` / `xcode-select` choose the Xcode:
`xcrun --sdk iphoneos|iphonesimulator --show-sdk-path` (the -isysroot), `--find clang`,
`clang++`, `ar`, `strip`, and `--show-sdk-version`. The slices are static libraries: the
app's link (with -dead_strip) pulls in only what it uses.
"""

from __future__ import annotations

import platform as _platform
import shutil
import subprocess

from ..targets import Target
from .base import Toolchain, Unavailable

INSTALL_HINT = ("install Xcode (the Command Line Tools alone have no iOS SDK) and select it: "
                "sudo xcode-select -s /Applications/Xcode.app")
_ARM64_SIM_MIN = (14, 0)  # Apple Silicon simulators start at iOS 14 (clang raises lower minimums)


def _xcrun(*args: str) -> tuple[str | None, str]:
    """(stdout, error text) of `xcrun args...`; stdout is None when xcrun fails."""
    xcrun = shutil.which("xcrun")
    if xcrun is None:
        return None, "xcrun not found"
    try:
        r = subprocess.run([xcrun, *args], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"`xcrun {' '.join(args)}` did not run: {e}"
    out = r.stdout.strip()
    if r.returncode != 0 or not out:
        err = (r.stderr.strip().splitlines() or [f"exit {r.returncode}"])[-1]
        return None, f"`xcrun {' '.join(args)}` failed: {err}"
    return out.splitlines()[-1].strip(), ""


def _xcodebuild_version() -> str | None:
    xb = shutil.which("xcodebuild")
    if xb is None:
        return None
    try:
        r = subprocess.run([xb, "-version"], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = r.stdout.split("\n") if r.returncode == 0 else []
    # "Xcode 15.4\nBuild version 15F31d" -> "Xcode 15.4 (15F31d)"
    if lines and lines[0].startswith("Xcode"):
        build = lines[1].replace("Build version", "").strip() if len(lines) > 1 else ""
        return lines[0].strip() + (f" ({build})" if build else "")
    return None


def _ver(v: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in v.split("."))
    except ValueError:
        return ()


def sdk_name(target: Target) -> str:
    return "iphonesimulator" if target.variant == "simulator" else "iphoneos"


def clang_target(target: Target, min_os: str) -> str:
    """arm64-apple-ios13.0, arm64-apple-ios14.0-simulator, x86_64-apple-ios13.0-simulator."""
    return f"{target.triple}{min_os}" + ("-simulator" if target.variant == "simulator" else "")


class XcodeSource:
    name = "xcode"

    def supports(self, target: Target) -> bool:
        return target.platform == "ios"

    def detect(self, target: Target, min_os: str) -> Toolchain | Unavailable:
        if not self.supports(target):
            return Unavailable(self.name, f"Xcode builds iOS targets here, not {target.name}", "")
        if shutil.which("xcrun") is None:
            if _platform.system() != "Darwin":
                return Unavailable(self.name, "Xcode is only available on macOS; iOS slices use the zig fallback here",
                                   "pip install ziglang  (or build the iOS targets on a Mac with Xcode)")
            return Unavailable(self.name, "xcrun not found", INSTALL_HINT)
        sdk = sdk_name(target)
        sdk_path, err = _xcrun("--sdk", sdk, "--show-sdk-path")
        if sdk_path is None:
            return Unavailable(self.name, f"no {sdk} SDK: {err}", INSTALL_HINT)
        tools: dict[str, str] = {}
        for tool in ("clang", "clang++", "ar", "strip"):
            path, err = _xcrun("--sdk", sdk, "--find", tool)
            if path is None and tool != "strip":
                return Unavailable(self.name, f"cannot find {tool}: {err}", INSTALL_HINT)
            if path is not None:
                tools[tool] = path
        sdk_version, _ = _xcrun("--sdk", sdk, "--show-sdk-version")
        xcode = _xcodebuild_version()
        version = ", ".join(p for p in (xcode, f"{sdk} SDK {sdk_version}" if sdk_version else None) if p) or "Xcode"
        notes: list[str] = []
        min_os = min_os or "13.0"
        if target.arch == "arm64" and target.variant == "simulator" and _ver(min_os) < _ARM64_SIM_MIN:
            notes.append(f"arm64 simulator slices start at iOS 14.0 (sdk.toml asks {min_os}); clang raises it")
            min_os = "14.0"
        triple = clang_target(target, min_os)
        # -ffunction-sections/-fdata-sections: one atom per function/datum for the app's -dead_strip.
        # Never -fembed-bitcode (deprecated since Xcode 14).
        c_args = ("-isysroot", sdk_path, "-ffunction-sections", "-fdata-sections")
        return Toolchain(
            source=self.name, target=target,
            cc=(tools["clang"], "-target", triple), cxx=(tools["clang++"], "-target", triple),
            ar=tools["ar"], strip=tools.get("strip"), version=version, standin=False,
            c_args=c_args, cpp_args=c_args, link_args=("-isysroot", sdk_path),
            exe_wrapper=None, sysroot=sdk_path, library_kind="static", min_os=min_os, notes=tuple(notes),
        )


SOURCE = XcodeSource()
