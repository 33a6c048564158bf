"""A fake `xcrun` (and `xcodebuild`) for tests: a TEST DEVICE, not Xcode.

There is no Xcode on Linux CI, so the Xcode toolchain source is tested against scripts that
answer the xcrun queries sdkbuild makes, the way Xcode's do:
- `xcrun --sdk iphoneos|iphonesimulator --show-sdk-path` -> <sdk_root>/iPhoneOS.sdk or
  iPhoneSimulator.sdk, a minimal sysroot whose usr/include is zig's bundled Darwin libc
  headers (the same libc headers Apple ships, without the frameworks);
- `--show-sdk-version` -> the version given; `--find clang|clang++` -> Debian's clang
  (the caller passes `-target arm64-apple-ios<min>`, as with Apple's clang);
  `--find ar|strip` -> llvm-ar / llvm-strip;
- `fail=True`: every query fails as xcrun does without a selected Xcode.
Objects compiled through it are real Mach-O for iOS (clang emits the platform load command);
what cannot be proven here is the Apple SDK's headers and ld64.
"""

from __future__ import annotations

import shutil
from pathlib import Path

_XCRUN = """#!/bin/sh
# FAKE xcrun (sdkbuild tests): answers the queries of sdkbuild/toolchains/xcode.py.
if [ -n "{fail}" ]; then
  echo "xcrun: error: unable to lookup item 'Path' in SDK 'iphoneos'" >&2
  exit 1
fi
sdk=iphoneos
while [ $# -gt 0 ]; do
  case "$1" in
    --sdk) sdk="$2"; shift 2 ;;
    --show-sdk-path)
      case "$sdk" in
        iphoneos) echo '{root}/iPhoneOS.sdk' ;;
        iphonesimulator) echo '{root}/iPhoneSimulator.sdk' ;;
        *) echo "xcrun: error: SDK \\"$sdk\\" cannot be located" >&2; exit 1 ;;
      esac
      exit 0 ;;
    --show-sdk-version) echo '{sdk_version}'; exit 0 ;;
    --find)
      case "$2" in
        clang) echo '{clang}' ;;
        clang++) echo '{clangxx}' ;;
        ar) echo '{ar}' ;;
        strip) echo '{strip}' ;;
        *) echo "xcrun: error: unable to find utility \\"$2\\", not a developer tool or in PATH" >&2; exit 1 ;;
      esac
      exit 0 ;;
    *) echo "xcrun: error: unsupported option $1 (fake xcrun)" >&2; exit 64 ;;
  esac
done
exit 1
"""

_XCODEBUILD = """#!/bin/sh
# FAKE xcodebuild (sdkbuild tests)
[ "$1" = "-version" ] && printf 'Xcode {xcode}\\nBuild version 15F31d\\n' && exit 0
exit 1
"""


def _need(name: str) -> str:
    p = shutil.which(name)
    if p is None:
        raise RuntimeError(f"the fake xcrun needs {name} (apt-get install clang llvm)")
    return p


def make_fake_xcrun(bin_dir: Path, sdk_root: Path, darwin_headers: Path | None, *, fail: bool = False,
                    sdk_version: str = "17.5", xcode: str = "15.4") -> Path:
    """Write `xcrun` and `xcodebuild` into `bin_dir` (put it first on PATH); returns bin_dir."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for sdk in ("iPhoneOS.sdk", "iPhoneSimulator.sdk"):
        usr = sdk_root / sdk / "usr"
        usr.mkdir(parents=True, exist_ok=True)
        inc = usr / "include"
        if darwin_headers is not None:
            inc.symlink_to(darwin_headers, target_is_directory=True)
        else:
            inc.mkdir()
    xcrun = bin_dir / "xcrun"
    xcrun.write_text(_XCRUN.format(
        fail="1" if fail else "", root=sdk_root, sdk_version=sdk_version, clang=_need("clang"),
        clangxx=_need("clang++"), ar=_need("llvm-ar"), strip=_need("llvm-strip")))
    xcrun.chmod(0o755)
    xb = bin_dir / "xcodebuild"
    xb.write_text(_XCODEBUILD.format(xcode=xcode))
    xb.chmod(0o755)
    return bin_dir
