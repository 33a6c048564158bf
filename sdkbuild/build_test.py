"""`sdkbuild test`: build the engine tests for a target and run them with `meson test`.

The tests are built with every op and both dtypes (they check the kernels of the target's
ISA, not one SDK's selection), by `conan build` into build/<target>/test/ so reruns are
incremental. ARM stand-ins run under qemu through the machine file's exe_wrapper.
The toolchain is resolved for testing (toolchains.TEST_PREFERENCE): without an NDK the
Android tests use the gnu cross compilers, since the zig stand-ins link no C++ library.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from . import paths, toolchains
from .build import (
    EngineRequest,
    TargetFailed,
    _Log,
    _targets,
    conan_exe,
    conan_options,
    ensure_conan_home,
    local_build_folder,
    tool_env,
    toolchain_label,
)
from .config import DTYPES, Config
from .engine_sources import available_ops
from .targets import TARGETS
from .toolchains.zig import build_env as zig_build_env


@dataclass
class TestCase:
    name: str
    result: str  # OK, FAIL, SKIP, TIMEOUT, ERROR, EXPECTEDFAIL, UNEXPECTEDPASS
    duration: float


@dataclass
class TestResult:
    target: str
    ok: bool
    toolchain: str = ""
    cases: list[TestCase] = field(default_factory=list)
    message: str = ""
    log: Path | None = None
    seconds: float = 0.0


def _find_build_dir(root: Path) -> Path | None:
    for p in sorted(root.rglob("meson-private")):
        return p.parent
    return None


def read_testlog(build_dir: Path) -> list[TestCase]:
    log = build_dir / "meson-logs" / "testlog.json"
    cases = []
    if log.is_file():
        for line in log.read_text().splitlines():
            if line.strip():
                d = json.loads(line)
                cases.append(TestCase(d.get("name", "?"), d.get("result", "?"), float(d.get("duration", 0.0))))
    return cases


def test_target(cfg: Config, name: str, jobs: int) -> TestResult:
    target = TARGETS[name]
    out = cfg.target_dir(name) / "test"
    out.mkdir(parents=True, exist_ok=True)
    log = _Log(out / "test.log")
    t0 = time.monotonic()
    res = TestResult(name, False, log=log.path)
    try:
        resolution = toolchains.resolve(target, cfg, purpose="test")
        if resolution.toolchain is None:
            res.message = str(resolution.error())
            log.write(res.message)
            return res
        tc = resolution.toolchain
        res.toolchain = toolchain_label(tc)
        if tc.library_kind == "static" or target.platform == "ios":
            res.message = "iOS slices are static libraries for another OS: their tests run in the simulator (Xcode)"
            return res
        if tc.source == "zig":
            # The tests use the C++ library, which zig links only after building libc++ for the
            # ISA from source (the stand-ins pass -nostdlib++): say so instead of a link error.
            named = cfg.android.toolchain == "zig"
            why = ('[android] toolchain = "zig" in sdk.toml; remove that line to test with the NDK or the gnu cross '
                   "compilers" if named else "no NDK and no gnu cross compiler was found; set ANDROID_NDK_HOME or")
            res.message = (f"the engine tests use the C++ standard library, which the zig stand-ins do not link: "
                           f"{why} (sudo apt-get install g++-aarch64-linux-gnu g++-arm-linux-gnueabihf qemu-user)")
            log.write(res.message)
            return res
        ensure_conan_home()
        rendered = toolchains.render(tc, out / "conan", jobs=jobs, launcher=toolchains.compiler_launcher())
        req = EngineRequest(ops=tuple(sorted(available_ops().values())), dtypes=DTYPES, isa=target.isa,
                            threads=cfg.engine.threads, lib_name=cfg.sdk.lib_name, lto=False, tests=True,
                            symbol_prefix=cfg.sdk.lib_name)  # the engine as the SDK ships it
        common = ["-pr:h", str(rendered.host_profile), "-pr:b", str(rendered.build_profile),
                  *conan_options(req, tc.library_kind, rendered.toolchain_id)]
        folder = local_build_folder(out / "engine", rendered, common)
        cmd = [conan_exe(), "build", str(paths.engine_dir()), "-nr", "-of", str(folder), *common]
        env = tool_env({**tc.env, **zig_build_env(tc, folder)})
        log.run(cmd, env)  # a local build: it does not write the Conan cache, so no lock
        bdir = _find_build_dir(folder)
        if bdir is None:
            raise TargetFailed(f"no Meson build folder under {folder}")
        try:
            log.run(["meson", "test", "-C", str(bdir), "--print-errorlogs", f"--num-processes={max(1, jobs)}"], env)
        except TargetFailed as e:
            res.message = str(e)
        res.cases = read_testlog(bdir)
        if not res.cases and not res.message:
            res.message = "no engine tests were built (engine/tests/meson.build registers none)"
        res.ok = not res.message and all(c.result in ("OK", "SKIP", "EXPECTEDFAIL") for c in res.cases)
    except TargetFailed as e:
        res.message = str(e)
    finally:
        res.seconds = time.monotonic() - t0
        log.close()
    return res


def run_tests(cfg: Config, targets: Sequence[str] | None = None, jobs: int | None = None,
              console: Console | None = None) -> list[TestResult]:
    con = console or Console(highlight=False, soft_wrap=True)
    names = _targets(cfg, targets)
    jobs = jobs or os.cpu_count() or 2
    results = []
    for n in names:  # one at a time: each uses every core for compiling and running
        with con.status(f"testing {n}"):
            r = test_target(cfg, n, jobs)
        results.append(r)
        passed = sum(c.result == "OK" for c in r.cases)
        head = "[green]passed[/]" if r.ok else "[red]FAILED[/]"
        con.print(f"  {n:<22} {head} {passed}/{len(r.cases)} tests  {r.seconds:6.1f}s  {r.toolchain}")
        for c in r.cases:
            if c.result not in ("OK",):
                con.print(f"    {c.result:<8} {c.name}", markup=False)
        if not r.ok:
            if r.message:
                con.print(f"    {r.message}", markup=False)
            if r.log and r.log.is_file():
                for line in r.log.read_text(errors="replace").splitlines()[-20:]:
                    con.print(f"    | {line}", markup=False)
                con.print(f"    full log: {r.log}", markup=False)
    return results
