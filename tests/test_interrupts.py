"""Interrupted and concurrent runs (sdkbuild/procs.py, _guard.py, locks.py, package/dist.py):
Ctrl-C stops a real build within 2 s leaving no child process, killing sdkbuild takes its
conan/meson/ninja trees down, a second build in the project waits for the first and says so,
and `sdkbuild package` swaps a complete new dist/ in (a killed run leaves the old set and
leftovers the next run removes). Real signals to real processes throughout."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from test_build import make_project

from sdkbuild import locks, procs
from sdkbuild.fileio import atomic_file
from sdkbuild.package import dist as distmod

SDKBUILD = [sys.executable, "-m", "sdkbuild.cli"]


def _alive(pids: set[int]) -> list[str]:
    out = []
    for pid in pids:
        try:
            p = psutil.Process(pid)
            if p.status() != psutil.STATUS_ZOMBIE:
                out.append(f"{pid} {p.name()}")
        except psutil.Error:
            pass
    return out


def _wait_gone(pids: set[int], timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _alive(pids)


def _as_foreground_job() -> None:
    """A shell gives its foreground job the default SIGINT action. Without this the run would
    inherit the test runner's: a runner started as a background job of a non-interactive
    shell ignores SIGINT, and so would sdkbuild (rightly: Ctrl-C is not for background jobs)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Run:
    """A real `sdkbuild` process in its own session (as a shell runs a foreground job), its
    output collected line by line and its descendants tracked."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.p = subprocess.Popen([*SDKBUILD, *args], cwd=cwd, env=env, start_new_session=True, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=_as_foreground_job)
        self.lines: list[str] = []
        self.seen: set[int] = set()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.p.stdout:
            self.lines.append(line)

    @property
    def out(self) -> str:
        return "".join(self.lines)

    def descendants(self) -> set[int]:
        try:
            kids = psutil.Process(self.p.pid).children(recursive=True)
        except psutil.Error:
            return set()
        self.seen |= {k.pid for k in kids}
        return {k.pid for k in kids}

    def wait_for(self, what, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if what():
                return
            if self.p.poll() is not None:
                raise AssertionError(f"sdkbuild exited {self.p.returncode} first:\n{self.out[-3000:]}")
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting; output:\n{self.out[-3000:]}")

    def compiling(self) -> bool:
        names = set()
        for pid in self.descendants():
            try:
                names.add(psutil.Process(pid).name())
            except psutil.Error:
                pass
        return "ninja" in names


# ------------------------------------------------------------------ the guard, on its own


def _tree_of(guard: subprocess.Popen, want: int) -> set[int]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        kids = {k.pid for k in psutil.Process(guard.pid).children(recursive=True)}
        if len(kids) >= want:
            return kids
        time.sleep(0.02)
    raise AssertionError("the guarded command did not start")


def test_guard_stops_the_whole_tree_also_a_process_that_ignores_sigterm() -> None:
    for cmd, want in ((["sh", "-c", "sleep 300 & sleep 300; wait"], 3),
                      (["sh", "-c", "trap '' TERM; sleep 300 & wait"], 2)):
        guard = procs.popen(cmd)
        tree = _tree_of(guard, want)
        t0 = time.monotonic()
        guard.send_signal(signal.SIGTERM)
        assert guard.wait(timeout=5) == 143
        assert not _wait_gone(tree, 2.0), cmd
        assert time.monotonic() - t0 < 2.0


def test_guard_stops_the_tree_when_sdkbuild_is_killed(tmp_path: Path) -> None:
    """kill -9 of the process that started the tools: nothing of theirs keeps running."""
    script = ("import sys, time\nfrom sdkbuild import procs\n"
              "g = procs.popen(['sh', '-c', 'sleep 300 & sleep 300; wait'])\n"
              "print(g.pid, flush=True)\ntime.sleep(300)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, PYTHONPATH=str(Path(procs.__file__).parents[1])))
    guard_pid = int(parent.stdout.readline())
    deadline = time.monotonic() + 10
    tree: set[int] = set()
    while len(tree) < 3 and time.monotonic() < deadline:  # sh + 2 sleeps
        tree = {k.pid for k in psutil.Process(guard_pid).children(recursive=True)}
        time.sleep(0.02)
    assert len(tree) >= 3
    parent.kill()
    parent.wait()
    assert not _wait_gone(tree | {guard_pid}, 10.0)  # ~0.3 s when the machine is not overloaded


def test_procs_run_returns_like_subprocess_run() -> None:
    r = procs.run([sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"],
                  capture_output=True, text=True)
    assert (r.returncode, r.stdout, r.stderr) == (3, "out\n", "err\n")
    # the tool sees the caller's environment, not the guard's PYTHONPATH
    show = [sys.executable, "-c", "import os; print(os.environ.get('PYTHONPATH', '-'))"]
    assert procs.run(show, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": "/x"}).stdout == "/x\n"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    assert procs.run(show, capture_output=True, text=True, env=env).stdout == "-\n"


def test_leftovers_of_a_killed_atomic_write_are_removed(tmp_path: Path) -> None:
    script = ("import os, signal, sys\nfrom sdkbuild.fileio import atomic_file\n"
              "with atomic_file(sys.argv[1]) as f:\n    f.write(b'half')\n    f.flush()\n"
              "    os.kill(os.getpid(), signal.SIGKILL)\n")
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "Kit.aar")])
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".Kit.aar.") and not (tmp_path / "Kit.aar").exists()
    (tmp_path / ".gitignore").write_text("keep me\n")  # the user's own dotfiles stay
    with atomic_file(tmp_path / "ok.txt") as f:
        f.write(b"ok")
    assert [p.name for p in locks.remove_leftovers(tmp_path)] == left
    assert sorted(p.name for p in tmp_path.iterdir()) == [".gitignore", "ok.txt"]


def test_second_lock_holder_is_told_and_waits(tmp_path: Path) -> None:
    script = ("import sys, time\nfrom pathlib import Path\nfrom sdkbuild import locks\n"
              "with locks.project_lock(Path(sys.argv[1]), 'sdkbuild build --target host'):\n"
              "    print('locked', flush=True)\n    time.sleep(1.5)\n")
    holder = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "locked\n"
    said: list[str] = []
    t0 = time.monotonic()
    with locks.project_lock(tmp_path, "sdkbuild package", say=said.append):
        waited = time.monotonic() - t0
    holder.wait()
    assert len(said) == 1 and said[0].startswith("another build is running in this project")
    assert f"pid {holder.pid}" in said[0] and "`sdkbuild build --target host`" in said[0]
    assert waited > 0.5


# ------------------------------------------------------------------ real builds


@pytest.mark.slow
def test_ctrl_c_kill_and_a_second_build_on_a_real_build(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", ["host", "android-arm64-v8a"] if shutil.which("aarch64-linux-gnu-g++")
                        else ["host", "android-x86"])
    # an empty Conan home and no ccache: the engine really compiles when the signals come
    env = dict(os.environ, CONAN_HOME=str(tmp_path / "conan"), SDKBUILD_COMPILER_LAUNCHER="none",
               PYTHONFAULTHANDLER="1")
    first = Run(["build", "-j1", "--no-bindings"], root, env)  # -j1: one target runs, one is queued
    first.wait_for(first.compiling)
    second = Run(["build", "-j1", "--no-bindings", "--target", "host"], root, env)
    second.wait_for(lambda: "another build is running in this project" in second.out, timeout=60)
    assert "sdkbuild build" in second.out and f"pid {first.p.pid}" in second.out

    # Ctrl-C: the terminal sends SIGINT to the foreground process group
    tree = first.descendants() | first.seen
    t0 = time.monotonic()
    os.killpg(first.p.pid, signal.SIGINT)
    try:
        rc = first.p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        # PYTHONFAULTHANDLER (below): SIGABRT makes it print every thread's stack
        first.p.send_signal(signal.SIGABRT)
        first.p.wait()
        first.reader.join(timeout=10)
        second.p.kill()
        raise AssertionError("Ctrl-C did not stop the build within 10 s; its output and stacks:\n"
                             + first.out[-12000:]) from None
    took = time.monotonic() - t0
    first.reader.join(timeout=10)  # the last lines may still be in the pipe
    assert rc == 130 and took < 2.0, (rc, took, first.out[-2000:])
    assert "interrupted" in first.out
    assert not _wait_gone(tree | first.seen, 0.5), "child processes outlived the interrupted build"
    queued = "android-arm64-v8a" if "android-arm64-v8a" in (root / "sdk.toml").read_text() else "android-x86"
    assert not (root / "build" / queued / "build.log").exists(), "the queued target started after Ctrl-C"

    # the waiting build goes ahead once the lock is free; then it is killed outright
    second.wait_for(second.compiling)
    tree = second.descendants() | second.seen
    second.p.kill()
    second.p.wait()
    # (no deadline is promised here; 10 s leaves room for a loaded machine, the guards take ~0.5 s)
    assert not _wait_gone(tree | second.seen, 10.0), "conan/meson/ninja outlived a killed sdkbuild"

    # what the killed runs left does not get in the way of the next one
    env.pop("SDKBUILD_COMPILER_LAUNCHER")
    r = subprocess.run([*SDKBUILD, "build", "--no-bindings", "--target", "host"], cwd=root, env=env,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert json.loads((root / "build" / "host" / "build-info.json").read_text())["target"] == "host"


# ------------------------------------------------------------------ package: staged and swapped in


def _packaged_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bindings_helpers import shared_once
    from test_package import _make_project

    return shared_once(tmp_path_factory, "package-project", _make_project)


def _sums_ok(dist: Path) -> dict[str, str]:
    """dist/'s files, checked against its SHA256SUMS (every package output listed, every sum right)."""
    listed = dict(reversed(line.split("  ", 1)) for line in (dist / "SHA256SUMS").read_text().splitlines())
    for name, digest in listed.items():
        assert hashlib.sha256((dist / name).read_bytes()).hexdigest() == digest, name
    return listed


@pytest.mark.slow
def test_killed_package_leaves_the_old_complete_set_and_the_next_run_cleans_up(tmp_path: Path,
                                                                               tmp_path_factory) -> None:
    src = _packaged_project(tmp_path_factory)
    root = tmp_path / "p"
    shutil.copytree(src, root, symlinks=True, ignore=shutil.ignore_patterns("engine", "conan", "dist", "sums.json"))
    run = [*SDKBUILD, "package"]
    r = subprocess.run(run, cwd=root, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    dist = root / "dist"
    (dist / "reports").mkdir()
    (dist / "reports" / "size.json").write_text("{}")  # `report` outputs and the user's files are kept
    (dist / "NOTES.txt").write_text("mine\n")
    old = _sums_ok(dist)
    old_files = sorted(p.relative_to(dist).as_posix() for p in dist.rglob("*") if p.is_file())

    # a run that would change the AAR (no Prefab), killed while it is staging its outputs
    victim = subprocess.Popen([*run, "--no-prefab"], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(root.glob(".dist.staging-*/*.aar")):
        assert victim.poll() is None, "package finished before it could be killed"
        time.sleep(0.01)
    victim.kill()
    victim.wait()
    assert list(root.glob(".dist.staging-*")), "nothing was staged beside dist/"
    assert _sums_ok(dist) == old  # the old set, complete
    assert sorted(p.relative_to(dist).as_posix() for p in dist.rglob("*") if p.is_file()) == old_files

    r = subprocess.run([*run, "--no-prefab"], cwd=root, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    new = _sums_ok(dist)
    assert new["TinyKit-0.3.0.aar"] != old["TinyKit-0.3.0.aar"] and set(new) == set(old)
    assert not list(root.glob(".dist.*")), "the killed run's staging folder was not removed"
    assert not [p for p in dist.rglob(".*")]
    assert (dist / "reports" / "size.json").read_text() == "{}" and (dist / "NOTES.txt").read_text() == "mine\n"


def test_swap_in_exchanges_whole_folders(tmp_path: Path) -> None:
    dist, stage = tmp_path / "dist", tmp_path / ".dist.staging"
    dist.mkdir()
    (dist / "a").write_text("old")
    stage.mkdir()
    (stage / "a").write_text("new")
    distmod.swap_in(stage, dist)
    assert (dist / "a").read_text() == "new" and (stage / "a").read_text() == "old"
    fresh = tmp_path / "fresh"
    other = tmp_path / ".fresh.staging"
    other.mkdir()
    (other / "b").write_text("b")
    distmod.swap_in(other, fresh)  # no dist/ yet
    assert (fresh / "b").read_text() == "b" and other.is_dir() and not list(other.iterdir())
