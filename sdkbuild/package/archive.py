"""Deterministic archives and atomic outputs.

Same inputs, same bytes: entries sorted by name, one fixed timestamp (SOURCE_DATE_EPOCH
when set, else 1980-01-01, the earliest a zip can hold), fixed permissions (0644 files,
0755 directories), fixed compression level, no extra fields.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..fileio import atomic_file

ZIP_EPOCH = 315532800  # 1980-01-01T00:00:00Z


def fixed_epoch() -> int:
    """SOURCE_DATE_EPOCH (reproducible-builds.org) if set, clamped to what zip can store."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if raw:
        try:
            return max(int(raw), ZIP_EPOCH)
        except ValueError:
            pass
    return ZIP_EPOCH


def _zip_date(epoch: int) -> tuple[int, int, int, int, int, int]:
    t = time.gmtime(epoch)
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)


Entry = tuple[str, "bytes | Path"]


def write_zip(dest: str | os.PathLike, entries: Iterable[Entry], *, store: Iterable[str] = ()) -> Path:
    """Write a zip of (archive name, bytes or file) entries, atomically and reproducibly.

    Names ending in "/" are directory entries. Names in `store` are stored uncompressed
    (e.g. native libraries Android may map straight from the APK).
    """
    dest = Path(dest)
    date = _zip_date(fixed_epoch())
    stored = set(store)
    items = sorted(entries, key=lambda e: e[0])
    names = [n for n, _ in items]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"duplicate zip entries: {dup}")
    with atomic_file(dest) as f, zipfile.ZipFile(f, "w") as zf:
        for name, data in items:
            info = zipfile.ZipInfo(name, date_time=date)
            info.create_system = 3  # unix, so external_attr carries the permissions
            if name.endswith("/"):
                info.external_attr = (0o40755 << 16) | 0x10
                zf.writestr(info, b"")
                continue
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            payload = data.read_bytes() if isinstance(data, Path) else data
            zf.writestr(info, payload, compresslevel=9 if info.compress_type == zipfile.ZIP_DEFLATED else None)
    return dest


def tree_entries(root: str | os.PathLike, prefix: str = "", *, dirs: bool = False) -> list[Entry]:
    """Every file under root as (prefix + relative posix path, path) entries."""
    root = Path(root)
    out: list[Entry] = []
    for p in sorted(root.rglob("*")):
        rel = prefix + p.relative_to(root).as_posix()
        if p.is_dir():
            if dirs:
                out.append((rel + "/", b""))
        elif p.is_file():
            out.append((rel, p))
    return out


def normalize_tree(root: str | os.PathLike) -> None:
    """Fixed permissions and timestamps on a directory tree (for outputs kept as folders)."""
    epoch = fixed_epoch()
    root = Path(root)
    for p in sorted(root.rglob("*"), reverse=True):
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
        os.utime(p, (epoch, epoch), follow_symlinks=False)
    os.chmod(root, 0o755)
    os.utime(root, (epoch, epoch))


@contextlib.contextmanager
def atomic_dir(dest: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary sibling folder; on success it replaces `dest`, on error it is removed."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        yield tmp
        normalize_tree(tmp)
        old = None
        if dest.exists():
            old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(dest, old)
        os.replace(tmp, dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
