"""One sdkbuild run at a time per project, and removing what killed runs left behind.

`project_lock` is an exclusive lock on a file named after the project's build folder in
sdkbuild's cache (flock: released by the kernel when its holder dies, even by SIGKILL, so it
never goes stale). A second `sdkbuild build`,
`test` or `package` in the same project says which run holds it and waits for it.

`remove_leftovers` deletes what an interrupted run can leave: temporary files of atomic
writes (`.<name>.<8 random chars>`), `.tmp` files, and the staging/old folders of
`sdkbuild package`. It runs with the lock held, so no other run can still be using them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import SdkbuildError

LOCK_NAME = ".sdkbuild.lock"
# tempfile.mkstemp(prefix=".<name>.") in fileio.atomic_file / archive.atomic_dir: 8 chars of [a-z0-9_]
# and archive.atomic_dir's `.<name>.old-<pid>`, package/shards.py's `.<target>.incoming-<pid>`
_ATOMIC_TMP = re.compile(r"^\..+\.([a-z0-9_]{8}|old-\d+|incoming-\d+)$")


def _holder(fh) -> str:
    try:
        fh.seek(0)
        info = json.loads(fh.read() or "{}")
        since = time.strftime("%H:%M:%S", time.localtime(info["since"]))
        return f"pid {info['pid']}, `{info['command']}`, since {since}"
    except (ValueError, KeyError, TypeError, OSError):
        return "holder unknown"


def lock_path(build_dir: Path) -> Path:
    """The lock file of the project whose build folder is `build_dir`: in sdkbuild's cache, so a
    command that fails before writing anything leaves nothing in the project."""
    cache = Path(os.environ.get("SDKBUILD_CACHE", Path.home() / ".cache" / "sdkbuild"))
    key = hashlib.sha256(str(build_dir.resolve()).encode()).hexdigest()[:20]
    return cache / "locks" / f"{key}{LOCK_NAME}"


@contextlib.contextmanager
def project_lock(build_dir: Path, command: str, say=print) -> Iterator[None]:
    """Hold the project's lock for the block; wait (saying so) while another run holds it."""
    path = lock_path(build_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "a+")
    except OSError as e:
        raise SdkbuildError(f"cannot create the lock file {path}: {e.strerror or e}",
                            "check that sdkbuild's cache folder (SDKBUILD_CACHE) can be written") from None
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"another build is running in this project ({_holder(fh)}); waiting for it to finish "
                "(Ctrl-C to stop waiting)")
            fcntl.flock(fh, fcntl.LOCK_EX)  # interruptible: Ctrl-C raises KeyboardInterrupt here
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(json.dumps({"pid": os.getpid(), "command": command, "since": time.time()}))
            fh.flush()
            yield
        finally:
            with contextlib.suppress(OSError):
                fh.seek(0)
                fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)


def remove_leftovers(folder: Path, recursive: bool = False) -> list[Path]:
    """Delete temporary files of interrupted atomic writes in `folder` (and below); returns them."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    entries = folder.rglob(".*") if recursive else folder.glob(".*")
    for p in sorted(entries):
        if p.name == LOCK_NAME or not p.exists():
            continue
        stale = _ATOMIC_TMP.match(p.name) or p.name.endswith(".tmp")
        if not stale:
            continue
        with contextlib.suppress(OSError):
            shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
            removed.append(p)
    for p in sorted(folder.rglob("*.tmp") if recursive else folder.glob("*.tmp")):
        with contextlib.suppress(OSError):
            if p.is_file():
                p.unlink()
                removed.append(p)
    return removed


__all__ = ["LOCK_NAME", "project_lock", "remove_leftovers"]
