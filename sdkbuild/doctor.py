"""`sdkbuild doctor`: which toolchain each target would use, or what is missing and how to get it."""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from . import toolchains
from .build import conan_exe, tool_env
from .config import Config, find_config, load
from .errors import SdkbuildError
from .targets import TARGETS, Target

NDK_HINT = ('for bionic-linked Android libraries set ANDROID_NDK_HOME to an NDK r26+ install, '
            'e.g. `sdkmanager "ndk;27.2.12479018"` then ANDROID_NDK_HOME=$ANDROID_HOME/ndk/27.2.12479018')
# the i686 stand-ins' program interpreter (Debian: libc6-i386)
I386_LOADER = Path("/lib/ld-linux.so.2")
XCODE_HINT = "for device-ready iOS slices build on macOS with Xcode (`xcode-select --install`, then `sdkbuild build`)"


@dataclass(frozen=True)
class TargetRow:
    target: str
    ok: bool
    source: str
    version: str
    standin: bool
    notes: tuple[str, ...]  # stand-in notes, unavailable reasons
    hints: tuple[str, ...]  # exact commands that would make it (better) available


@dataclass(frozen=True)
class ToolRow:
    name: str
    found: str | None  # version line or None
    needed_for: str
    hint: str


def check_target(target: Target, cfg: Config | None) -> TargetRow:
    r = toolchains.resolve(target, cfg)
    if r.toolchain is None:
        return TargetRow(target.name, False, "-", "", False,
                         tuple(f"{u.source}: {u.reason}" for u in r.tried),
                         tuple(dict.fromkeys(u.install_hint for u in r.tried if u.install_hint)))
    tc = r.toolchain
    hints: list[str] = []
    if tc.standin and target.platform == "android":
        hints.append(NDK_HINT)
    if tc.standin and target.platform == "ios":
        hints.append(XCODE_HINT)
    return TargetRow(target.name, True, tc.source, tc.version, tc.standin, tc.notes, tuple(hints))


def _version(cmd: list[str], pattern: str = r"\d+(\.\d+)+") -> str | None:
    if shutil.which(cmd[0]) is None and not Path(cmd[0]).is_file():
        return None
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=tool_env())
    except (OSError, subprocess.TimeoutExpired):
        return None
    if r.returncode != 0:  # e.g. `python -m ziglang` without the package: present would be a lie
        return None
    text = (r.stdout + r.stderr).strip()
    m = re.search(pattern, text)
    return m.group(0) if m else (text.splitlines()[0] if text else "present")


def check_tools() -> list[ToolRow]:
    env_path = tool_env()["PATH"]
    meson = shutil.which("meson", path=env_path)
    ninja = shutil.which("ninja", path=env_path)
    rows = [
        ToolRow("conan", _version([conan_exe(), "--version"]), "every build", "pip install 'conan>=2'"),
        ToolRow("meson", _version([meson, "--version"]) if meson else None, "every build", "pip install meson"),
        ToolRow("ninja", _version([ninja, "--version"]) if ninja else None, "every build", "pip install ninja"),
        ToolRow("javac (JDK)", _version(["javac", "-version"]), "JNI glue, AAR classes",
                "sudo apt-get install openjdk-17-jdk-headless"),
        ToolRow("qemu-aarch64", _version(["qemu-aarch64", "--version"]), "tests of arm64 stand-ins",
                "sudo apt-get install qemu-user"),
        ToolRow("qemu-arm", _version(["qemu-arm", "--version"]), "tests of armeabi-v7a stand-ins",
                "sudo apt-get install qemu-user"),
        ToolRow("zig (ziglang)", _version([sys.executable, "-m", "ziglang", "version"]),
                "portable Android/iOS fallback toolchain", "pip install ziglang"),
        ToolRow("ccache", _version(["ccache", "--version"]) or _version(["sccache", "--version"]),
                "faster rebuilds (optional)", "sudo apt-get install ccache"),
    ]
    if platform.machine() in ("x86_64", "AMD64") and platform.system() == "Linux":
        # android-x86 stand-ins (i686) run natively here: their tests need the i386 loader and libraries
        rows.append(ToolRow("i386 runtime", "present" if I386_LOADER.exists() else None,
                            "tests of android-x86 stand-ins (/lib/ld-linux.so.2, libstdc++, libgcc_s)",
                            "sudo apt-get install libc6-i386 lib32stdc++6 lib32gcc-s1"))
    return rows


def run_doctor(config_path: str | None = None, all_targets: bool = False, console: Console | None = None) -> int:
    con = console or Console(highlight=False, soft_wrap=True)
    cfg: Config | None = None
    try:
        cfg = load(config_path) if config_path or find_config(None) else None
    except SdkbuildError as e:
        if config_path:
            raise
        con.print(f"[yellow]no usable sdk.toml here ({e.message}): checking every target[/]")
        all_targets = True
    names = list(TARGETS) if all_targets or cfg is None else list(cfg.sdk.targets)
    con.print(f"[bold]targets[/] ({'sdk.toml: ' + str(cfg.path) if cfg and not all_targets else 'all'})")
    rows = [check_target(TARGETS[n], cfg) for n in names]
    for row in rows:
        if row.ok:
            kind = "[yellow]stand-in[/]" if row.standin else "[green]native[/]"
            con.print(f"  [green]ok[/]      {row.target:<22} {row.source:<6} {row.version}  {kind}")
        else:
            con.print(f"  [red]missing[/] {row.target:<22} no toolchain")
        for n in row.notes:
            con.print(f"            - {n}", markup=False)
        for h in row.hints:
            con.print(f"            {'install' if not row.ok else 'better'}: {h}", markup=False)
    con.print("[bold]tools[/]")
    for t in check_tools():
        if t.found:
            con.print(f"  [green]ok[/]      {t.name:<14} {t.found:<10} ({t.needed_for})")
        else:
            con.print(f"  [red]missing[/] {t.name:<14} {'':<10} ({t.needed_for}); install: {t.hint}")
    from .build import remote_for

    remote = remote_for(cfg)
    if remote is not None:
        mode = "download and upload" if remote.can_upload else \
            "download only (set SDKBUILD_CONAN_USER and SDKBUILD_CONAN_PASSWORD to upload)"
        con.print(f"[bold]conan remote[/] {remote.url}: {mode}", markup=True)
    missing = [r.target for r in rows if not r.ok]
    if missing and cfg is not None and not all_targets:
        con.print(f"[red]{len(missing)} target(s) of sdk.toml cannot be built here: {', '.join(missing)}[/]")
        return 1
    return 0
