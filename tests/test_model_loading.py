"""Zero-copy model loading (engine.h): sdk_model_load_file maps the file read-only and uses
its weights in place; sdk_model_load_memory_in_place uses a 64-byte aligned caller buffer in
place and copies an unaligned one; sdk_model_load_memory always copies."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from engine_helpers import engine

from sdkbuild import sdkm


def add_const_model(n: int, seed: int = 0) -> tuple[sdkm.Model, np.ndarray]:
    """y = x + c with a constant c of n floats (read straight from the file by the Add kernel)."""
    c = np.random.default_rng(seed).standard_normal(n).astype(np.float32)
    m = sdkm.Model(name="addc")
    x = m.add_tensor(sdkm.Tensor("x", 1, (n,)))
    k = m.add_tensor(sdkm.Tensor("c", 1, (n,), data=c))
    y = m.add_tensor(sdkm.Tensor("y", 1, (n,)))
    m.inputs, m.outputs = [x], [y]
    m.nodes = [sdkm.Node("Add", "add", [x, k], [y])]
    return m, c


def _aligned_copy(data: bytes, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """(the whole block, a view of `data` starting `offset` bytes past a 64-byte boundary)."""
    block = np.zeros(len(data) + 128, np.uint8)
    start = (-block.ctypes.data) % 64 + offset
    view = block[start:start + len(data)]
    view[:] = np.frombuffer(data, np.uint8)
    assert view.ctypes.data % 64 == offset
    return block, view


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def test_file_is_mapped_while_the_model_lives(tmp_path):
    m, c = add_const_model(4096)
    path = tmp_path / "mapped.sdkm"
    sdkm.write(m, path)
    x = np.ones(4096, np.float32)
    maps = Path("/proc/self/maps")
    with engine().load(path) as model:
        assert str(path) in maps.read_text()  # a mapping of the file, not a copy
        with model.session() as s:
            np.testing.assert_array_equal(s.run({"x": x})["y"], x + c)
    assert str(path) not in maps.read_text()  # unmapped by sdk_model_free


@pytest.mark.parametrize("offset", [0, 8])
def test_in_place_uses_an_aligned_buffer_and_copies_an_unaligned_one(offset):
    m, c = add_const_model(1024)
    data = sdkm.encode(m)
    block, view = _aligned_copy(data, offset)
    at = data.index(c.tobytes())
    x = np.zeros(1024, np.float32)
    with engine().load_in_place(view) as model, model.session() as s:
        np.testing.assert_array_equal(s.run({"x": x})["y"], c)
        view[at:at + 4 * 1024] = np.full(1024, 2.5, np.float32).view(np.uint8)  # the caller's bytes change
        y = s.run({"x": x})["y"]
    if offset == 0:
        np.testing.assert_array_equal(y, np.full(1024, 2.5, np.float32))  # read in place: no copy was made
    else:
        np.testing.assert_array_equal(y, c)  # unaligned: the engine copied at load
    del block


def test_in_place_keeps_the_buffer_alive_and_checks_it():
    m, c = add_const_model(256)
    block, view = _aligned_copy(sdkm.encode(m), 0)
    model = engine().load_in_place(view)
    del block, view  # the Model holds the memory the native model reads
    with model, model.session() as s:
        np.testing.assert_array_equal(s.run({"x": np.zeros(256, np.float32)})["y"], c)
    bad = bytearray(sdkm.encode(m))
    bad[-1] ^= 0xFF
    _, view = _aligned_copy(bytes(bad), 0)
    with pytest.raises(Exception, match="CRC"):
        engine().load_in_place(view)


def test_mapping_keeps_the_weights_out_of_private_memory(tmp_path):
    """32 MB of weights: loading the file adds no anonymous memory and running it file-backed
    pages (clean, droppable, shared); the copying load adds the whole file to private memory."""
    n = 8 * 1024 * 1024
    m, _ = add_const_model(n)
    path = tmp_path / "big.sdkm"
    sdkm.write(m, path)
    e = engine()
    anon0 = _status_kb("RssAnon")
    mapped = e.load(path)
    anon_mapped = _status_kb("RssAnon") - anon0
    x = np.zeros(n, np.float32)
    with mapped.session() as s:
        file0 = _status_kb("RssFile")
        s.run({"x": x})  # the Add reads its constant in place: the file's pages come back
        file_mapped = _status_kb("RssFile") - file0
    mapped.close()
    data = path.read_bytes()
    anon1 = _status_kb("RssAnon")
    copied = e.load(data)
    anon_copied = _status_kb("RssAnon") - anon1
    copied.close()
    assert anon_mapped < 4 * 1024, anon_mapped  # KB: the planner's tables, not the weights
    assert anon_copied > 30 * 1024, anon_copied
    assert file_mapped > 30 * 1024


def _mapped_rss_kb(path: Path) -> int:
    """The resident KB of this process's mappings of `path` (/proc/self/smaps)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if re.match(r"[0-9a-f]+-[0-9a-f]+ ", line):
            inside = line.endswith(str(path))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


def test_mapped_file_pages_leave_the_process_once_loaded(tmp_path):
    """The CRC check reads every page of a mapped file and Gemm's prepare packs its constant B
    into model memory: once loaded, the file is mapped again over itself, so the process holds
    none of it, and a run brings back only what it reads in place (the Add's constant), never
    the packed B's source (int8 models held all their weights twice: packed and mapped)."""
    rows, k, n = 8, 2048, 2048
    rng = np.random.default_rng(7)
    b = rng.standard_normal((k, n)).astype(np.float32)  # 16 MiB, packed at load
    c = rng.standard_normal((rows, n)).astype(np.float32)  # 32 KiB, read in place by Add
    m = sdkm.Model(name="gemm_add")
    x = m.add_tensor(sdkm.Tensor("x", 1, (rows, k)))
    tb = m.add_tensor(sdkm.Tensor("b", 1, (k, n), data=b))
    y = m.add_tensor(sdkm.Tensor("y", 1, (rows, n)))
    tc = m.add_tensor(sdkm.Tensor("c", 1, (rows, n), data=c))
    z = m.add_tensor(sdkm.Tensor("z", 1, (rows, n)))
    m.inputs, m.outputs = [x], [z]
    m.nodes = [sdkm.Node("Gemm", "gemm", [x, tb], [y]), sdkm.Node("Add", "add", [y, tc], [z])]
    path = tmp_path / "gemm_add.sdkm"
    sdkm.write(m, path)
    xv = rng.standard_normal((rows, k)).astype(np.float32)
    e = engine()
    with e.load(path) as model:
        assert model.memory_info().packed_weights_bytes >= b.nbytes  # B was copied at load
        # Reading a name faults in a page, or a whole 2 MiB folio where the file system's page
        # cache has large folios (mapped as one PMD): at most a few of those, not B's 16 MiB.
        half_b_kb = b.nbytes // 1024 // 2
        assert _mapped_rss_kb(path) < half_b_kb, _mapped_rss_kb(path)  # was the whole file
        with model.session() as s:
            out = s.run({"x": xv})["z"]
        assert str(path) in Path("/proc/self/maps").read_text()
        assert _mapped_rss_kb(path) < half_b_kb, _mapped_rss_kb(path)
    with e.load(path.read_bytes()) as copied, copied.session() as s:  # the same result from a copy
        np.testing.assert_array_equal(s.run({"x": xv})["z"], out)
    np.testing.assert_allclose(out, xv.astype(np.float64) @ b + c, rtol=1e-4, atol=1e-3)


def test_a_gather_from_a_mapped_table_keeps_only_what_it_reads(tmp_path):
    """An embedding table (Gather from a constant) is read in place: a run that looks up 8 rows
    of a 16 MiB table brings back a few pages around each, not the table. The page cache holds a
    written file in large folios (2 MiB on this machine's ext4) and a fault maps a whole folio
    that fits in one page table: with the file mapped on a 2 MiB boundary, each row made 2 MiB
    resident (the whole table here; bert_tiny's 15 MiB word embeddings in every run). The
    engine maps the file 64 KiB past that boundary, so such a folio is mapped by fault-around."""
    rows, dim = 16384, 256
    table = np.random.default_rng(3).standard_normal((rows, dim)).astype(np.float32)
    m = sdkm.Model(name="emb")
    t = m.add_tensor(sdkm.Tensor("table", 1, (rows, dim), data=table))
    i = m.add_tensor(sdkm.Tensor("ids", 5, (8,)))
    y = m.add_tensor(sdkm.Tensor("y", 1, (8, dim)))
    m.inputs, m.outputs = [i], [y]
    m.nodes = [sdkm.Node("Gather", "gather", [t, i], [y], {"axis": [0]})]
    path = tmp_path / "emb.sdkm"
    sdkm.write(m, path)
    ids = np.arange(8, dtype=np.int64) * (rows // 8) + 1000  # one row in every 2 MiB
    with engine().load(path) as model, model.session() as s:
        out = s.run({"ids": ids})["y"]
        assert _mapped_rss_kb(path) < table.nbytes // 1024 // 4, _mapped_rss_kb(path)  # was all 16 MiB
    np.testing.assert_array_equal(out, table[ids])


def test_in_place_limit_counts_what_the_model_allocates_not_the_callers_buffer():
    """sdk_model_load_memory_in_place_ex: aligned caller memory used in place is not charged
    against max_model_bytes (as a mapped file is not), the model's own tables are, and so is the
    copy of an unaligned buffer."""
    m, c = add_const_model(4096)
    data = sdkm.encode(m)
    e = engine()
    _, aligned = _aligned_copy(data, 0)
    _, unaligned = _aligned_copy(data, 8)
    limit = len(data) // 2  # far below the file, far above the tables of a one-node graph
    with e.load_in_place(aligned, max_model_bytes=limit) as model, model.session() as s:
        np.testing.assert_array_equal(s.run({"x": np.zeros(4096, np.float32)})["y"], c)
    with pytest.raises(Exception, match="for the copy of the file, over its limit of"):
        e.load_in_place(unaligned, max_model_bytes=limit)
    with pytest.raises(Exception, match="for the copy of the file"):
        e.load(data, max_model_bytes=limit)
    with pytest.raises(Exception, match="max_model_bytes"):
        e.load_in_place(aligned, max_model_bytes=16)  # the tables do not fit
    with pytest.raises(Exception, match="must be a positive number of bytes"):
        e.load_in_place(aligned, max_model_bytes=0)
