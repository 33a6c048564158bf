#!/usr/bin/env python3
"""Where a model's RSS goes on the engine, step by step (bench/MEMORY.md).

    python bench/mem_account.py LIB MODEL.sdkm INPUT.npz [THREADS]

Prints the process's RSS (and its anonymous and file-backed parts, /proc/self/status)
after each step: importing sdkbuild.runtime, opening the library, loading the model
(sdk_model_load_file: mapped), creating a session, the first run and three more; then the
engine's own figures (sdk_model_memory_info: weights, arena and its lower bound, packed
weights); then which constants of the mapped file are resident after the runs (pages present
in this process, /proc/self/pagemap: the ones the runs read in place, and what fault-around or
a whole page-cache folio brought back with them). LIB: a host engine, e.g. the one `python bench/run.py` builds
(build/bench/engine-minsize/libsdkengine.so); INPUT.npz: the feeds (bench/run.py writes
build/bench/<model>.input.npz)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def status_mib() -> dict[str, float]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile"):
            out[key] = int(value.split()[0]) / 1024
    return out


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    lib, model, inp = argv[:3]
    threads = int(argv[3]) if len(argv) > 3 else 1
    with np.load(inp) as z:
        feeds = {k: z[k] for k in z.files}
    steps = [("start", status_mib())]
    sys.path.insert(0, str(ROOT))
    from sdkbuild import runtime

    steps.append(("import sdkbuild.runtime", status_mib()))
    eng = runtime.Engine(lib)
    steps.append(("Engine(lib)", status_mib()))
    m = eng.load(model)
    steps.append(("load (mapped)", status_mib()))
    s = m.session(threads)
    steps.append(("session", status_mib()))
    s.run(feeds)
    steps.append(("run 1", status_mib()))
    for _ in range(3):
        s.run(feeds)
    steps.append(("runs 2-4", status_mib()))
    prev = steps[0][1]
    print(f"{'step':24s} {'RSS MiB':>14s} {'anon MiB':>14s} {'file MiB':>14s}")
    for name, d in steps:
        cells = [f"{d[k]:6.1f} ({d[k] - prev[k]:+6.1f})" for k in ("VmRSS", "RssAnon", "RssFile")]
        print(f"{name:24s} {cells[0]:>14s} {cells[1]:>14s} {cells[2]:>14s}")
        prev = d
    print(f"added by load + runs: {steps[-1][1]['VmRSS'] - steps[2][1]['VmRSS']:.1f} MiB; "
          f"file {os.path.getsize(model) / 2**20:.1f} MiB")
    info = m.memory_info()
    print("  ".join(f"{k} {v / 2**20:.2f} MiB" for k, v in info.__dict__.items()))
    resident_constants(Path(model))
    return 0


def resident_constants(model: Path, top: int = 12) -> None:
    """The mapped file's pages present in this process, by constant (largest first)."""
    from sdkbuild import sdkm

    real = str(model.resolve())
    spans = [(int(a, 16), int(b, 16), int(off, 16)) for a, b, off in
             (line.split()[0].split("-") + [line.split()[2]] for line in Path("/proc/self/maps").read_text().splitlines()
              if line.split()[-1] == real)]
    if not spans:
        print("the model file is not mapped (read into memory)")
        return
    data = model.read_bytes()
    page = os.sysconf("SC_PAGE_SIZE")
    npages = (len(data) + page - 1) // page
    present = np.zeros(npages, bool)
    with open("/proc/self/pagemap", "rb") as f:
        for start, end, off in spans:
            f.seek(start // page * 8)
            pm = np.frombuffer(f.read((end - start) // page * 8), dtype="<u8")
            first = off // page
            n = min(len(pm), npages - first)
            present[first:first + n] |= ((pm[:n] >> 63) & 1).astype(bool)
    nsec = sdkm.HEADER.unpack_from(data, 0)[4]
    secs = {}
    for i in range(nsec):
        kind, _enc, off, sz = sdkm.SECTION.unpack_from(data, sdkm.HEADER.size + i * sdkm.SECTION.size)
        secs[kind] = (off, sz)
    const_off = secs[sdkm.S_CONST][0]
    strings = data[secs[sdkm.S_STRINGS][0]:sum(secs[sdkm.S_STRINGS])]
    toff, tsz = secs[sdkm.S_TENSORS]
    rows = []
    for i in range(tsz // sdkm.TENSOR.size):
        name, _dt, _rank, flags, *rest = sdkm.TENSOR.unpack_from(data, toff + i * sdkm.TENSOR.size)
        doff, dsize = rest[6], rest[7]
        if flags & sdkm.F_CONSTANT and dsize:
            p0, p1 = (const_off + doff) // page, (const_off + doff + dsize - 1) // page + 1
            rows.append((int(present[p0:p1].sum()), p1 - p0, strings[name:strings.index(b"\0", name)].decode()))
    rows.sort(reverse=True)
    mib = page / 2**20
    print(f"resident pages of the mapped file after the runs: {present.sum() * mib:.2f} of {npages * mib:.2f} MiB; "
          "by constant (resident of its MiB):")
    for r, n, name in rows[:top]:
        if r:
            print(f"  {r * mib:7.2f} of {n * mib:7.2f}  {name}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
