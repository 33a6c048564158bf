"""Tool processes (conan, meson, ninja, compilers, javac) that never outlive sdkbuild.

Every long-running tool is started through a guard (`sdkbuild/_guard.py`) in a process group
of its own, so:
- Ctrl-C (SIGINT), SIGTERM or SIGHUP to sdkbuild: `interruptible()` marks the run cancelled
  (queued targets do not start, no new tool is launched), tells every guard to stop, and the
  guards end their whole trees (SIGTERM, then SIGKILL 0.5 s later); sdkbuild exits 130 well
  within 2 s;
- sdkbuild killed outright (SIGKILL): each guard sees its parent die (PR_SET_PDEATHSIG on
  Linux, a parent-id watch elsewhere) and ends its tree the same way.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

_ORIG_PYTHONPATH, _UNSET = "_SDKBUILD_GUARD_PYTHONPATH", "\x01unset"
_live: set[subprocess.Popen] = set()
_lock = threading.Lock()
_cancelled = threading.Event()


class Cancelled(Exception):
    """The run was interrupted: no new tool is started."""

    def __init__(self) -> None:
        super().__init__("interrupted")


def cancelled() -> bool:
    return _cancelled.is_set()


def check_cancelled() -> None:
    if _cancelled.is_set():
        raise Cancelled()


def popen(cmd: Sequence[str], **kw: Any) -> subprocess.Popen:
    """subprocess.Popen(cmd, **kw) behind a guard in a new process group; registered for stop_all()."""
    check_cancelled()
    guarded = [sys.executable, "-m", "sdkbuild._guard", str(os.getpid()), "--", *map(str, cmd)]
    env = dict(kw.pop("env", None) or os.environ)
    # the guard must import this sdkbuild, also when it runs from a checkout that is not installed
    pkg_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env[_ORIG_PYTHONPATH] = env.get("PYTHONPATH", _UNSET)  # the guard gives the tool the caller's
    env["PYTHONPATH"] = pkg_parent + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    with _lock:
        check_cancelled()
        p = subprocess.Popen(guarded, start_new_session=True, env=env, **kw)
        _live.add(p)
    return p


def run(cmd: Sequence[str], *, input: str | bytes | None = None, timeout: float | None = None,
        check: bool = False, **kw: Any) -> subprocess.CompletedProcess:
    """subprocess.run through popen(): same arguments (capture_output, text, stdout, env, cwd, ...)."""
    if kw.pop("capture_output", False):
        kw["stdout"] = kw["stderr"] = subprocess.PIPE
    if input is not None:
        kw["stdin"] = subprocess.PIPE
    kw.setdefault("stdin", subprocess.DEVNULL)
    p = popen(cmd, **kw)
    try:
        out, err = p.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(p)
        raise
    finally:
        with _lock:
            _live.discard(p)
    if _cancelled.is_set() and p.returncode != 0:
        raise Cancelled()
    r = subprocess.CompletedProcess(list(cmd), p.returncode, out, err)
    if check:
        r.check_returncode()
    return r


def _stop(p: subprocess.Popen) -> None:
    try:
        p.send_signal(signal.SIGTERM)  # the guard ends its tree and exits
        p.wait(timeout=1.5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        p.wait()


def stop_all(timeout: float = 1.5) -> None:
    """Cancel the run and stop every live tool tree (each guard kills its descendants)."""
    _cancelled.set()
    with _lock:
        live = list(_live)
    for p in live:
        try:
            p.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    for p in live:
        try:
            p.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextmanager
def interruptible() -> Iterator[None]:
    """SIGTERM/SIGHUP act like Ctrl-C; on any of them every tool tree is stopped before unwinding."""
    installed = {}
    if threading.current_thread() is threading.main_thread():
        for s in (signal.SIGTERM, signal.SIGHUP):
            try:
                installed[s] = signal.signal(s, _raise_interrupt)
            except (ValueError, OSError):
                pass
    try:
        yield
    except (KeyboardInterrupt, Cancelled):
        stop_all()
        raise KeyboardInterrupt from None
    finally:
        for s, old in installed.items():
            signal.signal(s, old)


def reset() -> None:
    """Forget a cancellation (tests and long-lived callers that run several builds)."""
    _cancelled.clear()
