"""Writing outputs so that no half-written file is ever left behind, and hashing files.

Every stage that writes a user-visible file (models, run outputs, bindings, archives,
reports, sdk.toml) goes through `atomic_file`/`write_atomic`: the data goes to a temp
file in the destination's folder, which is renamed over the destination only once it
is complete, and removed on any error (including Ctrl-C).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import SdkbuildError

FILE_MODE = 0o644  # mkstemp creates 0600; outputs are ordinary, shareable files with a fixed mode


@contextlib.contextmanager
def atomic_file(dest: str | os.PathLike) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces `dest` when the block ends without an error."""
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    except OSError as e:
        raise _cannot_write(dest, e) from None
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        try:
            os.chmod(tmp, FILE_MODE)
            os.replace(tmp, dest)
        except OSError as e:
            raise _cannot_write(dest, e) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _cannot_write(dest: Path, e: OSError) -> SdkbuildError:
    return SdkbuildError(f"cannot write {dest}: {e.strerror or e}",
                         "check that the folder can be created and written (or choose another output path)")


def write_atomic(dest: str | os.PathLike, data: bytes | str) -> Path:
    """Write bytes, or text as UTF-8 with "\\n" line ends, to `dest` atomically."""
    with atomic_file(dest) as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)
    return Path(dest)


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


__all__ = ["FILE_MODE", "atomic_file", "sha256_file", "write_atomic"]
