"""sdkbuild.fileio: the one atomic writer every stage uses."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from sdkbuild.fileio import atomic_file, sha256_file, write_atomic


def test_write_atomic_bytes_and_text_with_fixed_mode(tmp_path: Path) -> None:
    a = write_atomic(tmp_path / "sub" / "a.bin", b"\x00\x01")
    b = write_atomic(tmp_path / "b.txt", "ä\n")
    assert a.read_bytes() == b"\x00\x01" and b.read_bytes() == "ä\n".encode()
    # mkstemp's 0600 must not leak into outputs others read (dist/, converted models)
    assert stat.S_IMODE(a.stat().st_mode) == 0o644 == stat.S_IMODE(b.stat().st_mode)


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    dest = write_atomic(tmp_path / "m.sdkm", b"old")
    with pytest.raises(RuntimeError), atomic_file(dest) as f:
        f.write(b"half")
        raise RuntimeError("conversion failed")
    assert dest.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["m.sdkm"]


def test_sha256_file(tmp_path: Path) -> None:
    data = bytes(range(256)) * 5000  # more than one read chunk
    p = write_atomic(tmp_path / "x", data)
    assert sha256_file(p) == hashlib.sha256(data).hexdigest()
