"""The engine under sanitizers and the fuzzer (docs/fuzzing.md), every op and both dtypes.

Two extra builds of the engine with all ops, fp32 + int8 and the x86 kernels, each made once
and cached by a hash of the engine sources (sdkbuild.runtime.build_dev_engine):

* ASan + UBSan (clang, -O0, sanitizer reports abort) with libFuzzer instrumentation: the
  engine's own tests (meson test: engine, hardening, kernels), the regression inputs and the
  seed corpus replayed, and a bounded fuzzing run (SDKBUILD_FUZZ_SECONDS, default 45);
* TSan (clang): the thread pool, concurrent sessions and the session-in-use contract (a
  build of the two ops their test model has).

The regression inputs also replay through the normal (release) build. Every finding of a
fuzzing run becomes a file in tests/data/fuzz (`python tests/fuzz_seeds.py --add-finding`)
with its expected message in tests/test_hardening.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fuzz_seeds import CONFIGS, with_config, write_seeds
from test_hardening import ACC_KINDS, FINDINGS, acc_limit_model, legalize

from sdkbuild import sdkm
from sdkbuild.runtime import build_dev_engine

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not shutil.which("clang++"), reason="clang++ (scripts/setup.sh installs it)")]

DATA = Path(__file__).resolve().parent / "data"
COMMON = ["-Db_lundef=false", "-Doptimization=0", "-Ddebug=true"]  # -O0: a third of -O1's compile time
BUILDS = {
    "asan": [*COMMON, "-Db_sanitize=address,undefined", "-Dfuzz=true"],
    "tsan": [*COMMON, "-Db_sanitize=thread"],
}
SAN_ENV = {
    "ASAN_OPTIONS": "abort_on_error=1:detect_leaks=1",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
    "TSAN_OPTIONS": "halt_on_error=1:second_deadlock_stack=1",
}


# TSan runs engine_test and hardening_test, whose model (engine/tools/make_test_model.py) has
# only these ops: the other ops' objects would be compiled for nothing
TSAN_OPS = ("Relu", "Reshape")


def _build(kind: str) -> Path:
    """The build folder (cached across runs; one build per source state)."""
    ops = TSAN_OPS if kind == "tsan" else None
    lib = build_dev_engine(ops, tests=True, meson_options=BUILDS[kind], cxx="clang++")
    return lib.parent


def _env() -> dict[str, str]:
    return {**os.environ, **SAN_ENV}


def _meson_test(build: Path, *names: str) -> str:
    r = subprocess.run([str(Path(sys.executable).parent / "meson"), "test", "-C", str(build), "--print-errorlogs",
                        "--no-rebuild", *names], capture_output=True, text=True, env=_env())
    log = (build / "meson-logs" / "testlog.txt").read_text(errors="replace")
    assert r.returncode == 0, log[-6000:]
    assert "Sanitizer" not in log and "runtime error" not in log, log[-6000:]
    return log


def test_engine_tests_under_asan_ubsan() -> None:
    """Hostile files (engine_test), the hardening contract and every kernel against ref
    (test_kernels) with all ops and both dtypes, under ASan + UBSan."""
    log = _meson_test(_build("asan"), "engine", "hardening", "kernels")
    assert "all kernel checks passed" in log


def test_engine_tests_under_tsan() -> None:
    """The thread pool, concurrent sessions of one model, and two threads on one session
    (refused, never racing), under TSan."""
    log = _meson_test(_build("tsan"), "engine", "hardening")
    assert "session in use:" in log


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The inputs replayed: the committed regressions, generated variants, the seeds."""
    root = tmp_path_factory.mktemp("fuzz")
    handmade = root / "handmade"
    handmade.mkdir()
    for kind in ACC_KINDS:  # the accumulator limit, at and one past it, on every kernel tier
        for over in (0, 1):
            data = sdkm.encode(acc_limit_model(kind, over))
            for cname, cfg in CONFIGS.items():
                (handmade / f"acc_{kind}_{over}.{cname}.sdkm").write_bytes(with_config(data, cfg))
    for p in sorted((DATA / "repro").glob("ubsan_*.sdkm")):  # as they still reach the overflow sites
        (handmade / f"legal_{p.name}").write_bytes(legalize(p.read_bytes()))
    seeds = root / "seeds"
    write_seeds(seeds)
    out = {"handmade": handmade, "seeds": seeds}
    for name in ("fuzz", "repro"):  # the .sdkm files (tests/data/repro also holds the converter's ONNX reproducers)
        out[name] = root / name
        out[name].mkdir()
        for p in (DATA / name).glob("*.sdkm"):
            shutil.copy(p, out[name] / p.name)
    return out


def _replay(build: Path, folders: list[Path]) -> dict:
    r = subprocess.run([str(build / "tests" / "fuzz_replay"), *map(str, folders)], capture_output=True, text=True,
                       env=_env(), timeout=600)
    assert r.returncode == 0, (r.stdout + r.stderr)[-6000:]
    assert "runtime error" not in r.stderr and "Sanitizer" not in r.stderr, r.stderr[-6000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("kind", ["release", "asan"])
def test_regressions_and_seeds_replay_clean(kind: str, corpus: dict[str, Path]) -> None:
    """Every committed reproducer and finding, the accumulator-limit models on every tier and
    every seed (each op, fp32 and int8, the example models) run through the fuzz target's
    contract: refused with a clear message, or loaded and run."""
    build = (build_dev_engine(tests=True).parent if kind == "release" else _build("asan"))
    folders = [corpus[k] for k in ("fuzz", "repro", "handmade", "seeds")]
    stats = _replay(build, folders)
    n = sum(1 for f in folders for p in f.iterdir() if p.is_file())
    assert stats["inputs"] == n
    # the reproducers (as found and legalized) and the findings: refused (the arena one at session creation)
    n_bad = 2 * len(list(DATA.glob("repro/ubsan_*.sdkm"))) + sum(v is not None for v in FINDINGS.values())
    n_limit = len(ACC_KINDS) * len(CONFIGS)  # one past the limit: refused; at the limit: runs
    assert stats["load_refused"] == n_bad + n_limit
    assert stats["session_refused"] == 1  # arena_4GiB_from_768B
    # every other input runs; the seeds whose indices are inputs (Gather*, ScatterND from ONNX's
    # node cases) may be refused at run time with INVALID_ARGUMENT for random index values
    assert stats["ran"] + stats["run_refused"] == n - n_bad - n_limit - 1
    assert stats["run_refused"] <= 8 * len(CONFIGS)


def test_bounded_fuzzing_run(corpus: dict[str, Path], tmp_path: Path) -> None:
    """libFuzzer over load + session + run from the seed corpus for SDKBUILD_FUZZ_SECONDS
    (default 45): no crash, no sanitizer report, no broken contract, no timeout. The long
    run is scripts/fuzz.sh."""
    build = _build("asan")
    seconds = int(os.environ.get("SDKBUILD_FUZZ_SECONDS", "45"))
    # -timeout=30: a hang is still caught; a legal 64 MB model's run under -O0 ASan with the
    # fuzzer's comparison tracing takes ~5 s (0.4 s in the release build), over 10 s when the
    # suite's other workers share the machine
    work = tmp_path / "corpus"
    work.mkdir()
    r = subprocess.run([str(build / "tests" / "fuzz_load_run"), str(work), str(corpus["seeds"]),
                        str(corpus["fuzz"]), f"-max_total_time={seconds}", "-timeout=30", "-rss_limit_mb=2048",
                        "-print_final_stats=1", f"-artifact_prefix={tmp_path}/"],
                       capture_output=True, text=True, env=_env(), timeout=seconds + 300)
    crashes = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-", "oom-", "leak-")))
    assert r.returncode == 0 and not crashes, (
        f"the fuzzer found {crashes}: reproduce with `{build}/tests/fuzz_replay FILE`, fix it, then add it with "
        f"`python tests/fuzz_seeds.py --add-finding FILE NAME`\n" + r.stderr[-6000:])
    assert "stat::number_of_executed_units" in r.stderr


def test_seeds_use_every_engine_op(corpus: dict[str, Path]) -> None:
    """The fuzzer starts from a model of every engine op (hand-made, or one of ONNX's node cases
    that converts to it), so each op's loader checks and kernels are under fuzz."""
    from sdkbuild.convert.registry import engine_ops

    used: set[str] = set()
    for p in corpus["seeds"].glob("*.best.sdkm"):
        used |= set(sdkm.decode(p.read_bytes()).ops_used())
    assert set(engine_ops()) <= used, sorted(set(engine_ops()) - used)
