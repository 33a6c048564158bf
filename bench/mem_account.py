#!/usr/bin/env python3
"""Where a model's RSS goes on the engine, step by step (bench/MEMORY.md).

    python bench/mem_account.py LIB MODEL.sdkm INPUT.npz [THREADS]

Prints the process's RSS (and its anonymous and file-backed parts, /proc/self/status)
after each step: importing sdkbuild.runtime, opening the library, loading the model
(sdk_model_load_file: mapped), creating a session, the first run and three more; then the
engine's own figures (sdk_model_memory_info: weights, arena and its lower bound, packed
weights). LIB: a host engine, e.g. the one `python bench/run.py` builds
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
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
