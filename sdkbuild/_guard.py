"""`python -m sdkbuild._guard PARENT_PID -- CMD ...`: runs CMD and takes its whole process tree
down when sdkbuild goes away (see sdkbuild/procs.py).

The guard leads its own process group (the terminal's Ctrl-C reaches only sdkbuild, which
then stops its guards). It ends every descendant of CMD (conan, meson, ninja, compilers,
also those ninja put into process groups of their own) when:
- it receives SIGTERM, SIGINT or SIGHUP (sdkbuild stopping a build), or
- its parent dies, even by SIGKILL: on Linux the kernel sends it SIGTERM (PR_SET_PDEATHSIG),
  elsewhere a watcher notices the new parent id within 0.2 s.
Descendants get SIGTERM, then SIGKILL 0.5 s later; the guard exits 143 after that.
Otherwise the guard exits with CMD's exit status (128 + N for a signal, like a shell).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

GRACE = 0.5  # seconds between SIGTERM and SIGKILL


def _set_pdeathsig(sig: int) -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, sig, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


_killing = threading.Lock()


def _running(procs: list) -> list:
    """The processes of `procs` not yet dead; a zombie (dead, waiting for its parent) counts as dead."""
    import psutil

    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.Error:
            pass
    return out


def _wait_gone(procs: list, timeout: float) -> list:
    deadline = time.monotonic() + timeout
    alive = _running(procs)
    while alive and time.monotonic() < deadline:
        time.sleep(0.02)
        alive = _running(alive)
    return alive


def kill_tree() -> None:
    """SIGTERM every descendant, SIGKILL what is left (including any started meanwhile), exit 143."""
    if not _killing.acquire(blocking=False):
        return  # another thread is already at it
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    import psutil

    me = psutil.Process()
    try:
        procs = me.children(recursive=True)  # snapshot first: killed parents orphan their children
    except psutil.Error:
        procs = []
    for p in procs:
        try:
            p.terminate()
        except psutil.Error:
            pass
    alive = _wait_gone(procs, GRACE)
    try:
        alive += [p for p in me.children(recursive=True) if p not in alive]
    except psutil.Error:
        pass
    for p in alive:
        try:
            p.kill()
        except psutil.Error:
            pass
    _wait_gone(alive, 0.5)
    os._exit(143)


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        print("usage: python -m sdkbuild._guard PARENT_PID -- CMD [ARGS...]", file=sys.stderr)
        return 2
    parent = int(argv[1])
    cmd = argv[3:]
    _set_pdeathsig(signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the guard was ready
        return 143
    import psutil  # noqa: F401  (loaded now: a busy machine must not delay the kill by the import)

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, lambda *_: kill_tree())
    env = dict(os.environ)
    orig = env.pop("_SDKBUILD_GUARD_PYTHONPATH", None)  # the guard's own PYTHONPATH is not the tool's
    if orig is not None:
        if orig == "\x01unset":
            env.pop("PYTHONPATH", None)
        else:
            env["PYTHONPATH"] = orig
    try:
        child = subprocess.Popen(cmd, env=env)
    except OSError as e:
        print(f"sdkbuild: cannot run {cmd[0]}: {e.strerror or e}", file=sys.stderr)
        return 127

    def watch_parent() -> None:
        while child.poll() is None:
            if os.getppid() != parent:
                kill_tree()
            time.sleep(0.2)

    threading.Thread(target=watch_parent, daemon=True).start()
    rc = child.wait()
    return rc if rc >= 0 else 128 - rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
