"""How evenly the engine's ops split over 2 threads, measured in thread CPU time (so a loaded
machine, where wall times of 2-thread runs mean little, still gives usable figures).

    python bench/thread_balance.py --lib BUILD/libsdkengine.so MODEL.sdkm [--feeds X.npz] [--runs 20]

LIB is an engine built for development with the per-op profile on (never shipped):
    meson setup BUILD engine -Dbuildtype=minsize -Disa=x86 -Dtests=false -Dcpp_args=-DSDK_PROFILE=1
with the model's ops (-Dops=...). Two child processes run the model: one on 1 thread, one on
2 threads with SDK_PROFILE_STATIC=1 (each thread runs exactly its own share of every
parallel_for, never the other's: core/thread_pool.cpp). Per node it prints the 1-thread CPU
time, each thread's CPU time in its share and `crit`, the larger of the two summed over the
node's jobs (the 2-thread time without waiting), with `gain` = 1 thread / crit and `lost` =
crit - 1 thread / 2; the minimum over the runs (other processes only ever add time). The head
line sums them: sum/1t above 1 is work the split adds (data the other core wrote, packing done
twice), crit above 1t/2 is what an uneven split costs. Fork/join and the wait for a late worker
are not in it: compare wall times for those, interleaved (bench/run.py).
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _child(lib: str, model: str, feeds_path: str | None, threads: int, runs: int) -> None:
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from sdkbuild import runtime

    eng = runtime.Engine(lib)
    with eng.load(model) as m, m.session(threads) as s:
        if feeds_path:
            feeds = dict(np.load(feeds_path))
        else:
            rng = np.random.default_rng(0)
            feeds = {t.name: rng.normal(0, 1, t.shape).astype(np.float32) for t in m.inputs}
        for _ in range(3 + runs):  # (3 warm-up runs, dropped by _jobs)
            s.run(feeds)


def _jobs(lib: str, model: str, feeds: str | None, threads: int, runs: int, work: Path) -> tuple[dict, list]:
    """(node -> (type, name)), per run {node: [job fields]} (the warm-up runs dropped)."""
    jobs, prof = work / f"jobs{threads}.txt", work / f"prof{threads}.txt"
    env = dict(os.environ, SDK_PROFILE_JOBS=str(jobs), SDK_PROFILE_OUT=str(prof))
    if threads > 1:
        env["SDK_PROFILE_STATIC"] = "1"
    cmd = [sys.executable, __file__, "--child", str(threads), "--runs", str(runs), "--lib", lib, model]
    subprocess.run(cmd + (["--feeds", feeds] if feeds else []), check=True, env=env)
    names = {}
    for line in prof.read_text().splitlines():
        f = line.split("\t")
        if len(f) >= 5 and f[1] != "total":
            names[int(f[1])] = (f[2], f[3])
    if not jobs.is_file():
        sys.exit(f"{lib}: no job trace written; build the engine with -Dcpp_args=-DSDK_PROFILE=1")
    runs_: list[dict] = []
    cur: dict = collections.defaultdict(list)
    last = None
    for line in jobs.read_text().splitlines():
        f = line.split("\t")
        node = int(f[1])
        if last is not None and node < last:
            runs_.append(cur)
            cur = collections.defaultdict(list)
        cur[node].append(f)
        last = node
    runs_.append(cur)
    return names, runs_[3:]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help=".sdkm model")
    ap.add_argument("--lib", required=True, help="engine library built with -DSDK_PROFILE=1")
    ap.add_argument("--feeds", help=".npz of the inputs (default: N(0, 1) of the inputs' shapes)")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        _child(a.lib, a.model, a.feeds, a.child, a.runs)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        names, one = _jobs(a.lib, a.model, a.feeds, 1, a.runs, Path(tmp))
        _, two = _jobs(a.lib, a.model, a.feeds, 2, a.runs, Path(tmp))

    def per_node(runs: list, node: int) -> tuple[float, float, float]:
        c = min(sum(int(j[7]) for j in r.get(node, [])) for r in runs) / 1e3
        w = min(sum(int(j[8]) for j in r.get(node, [])) for r in runs) / 1e3
        crit = min(sum(max(int(j[7]), int(j[8])) for j in r.get(node, [])) for r in runs) / 1e3
        return c, w, crit

    rows, t1s, cs, ws, crits = [], 0.0, 0.0, 0.0, 0.0
    for node in sorted(two[-1]):
        t1 = per_node(one, node)[0]
        c, w, crit = per_node(two, node)
        split = ",".join(f"{j[2][0]}{j[3]}/{j[6]}" for j in two[-1][node])  # p|i n/chunks per job
        ty, name = names.get(node, ("?", "?"))
        rows.append(f"{node:4d} {ty:18s} {name[-32:]:32s} {split:14s} 1t {t1:8.1f} | caller {c:8.1f} worker {w:8.1f} "
                    f"crit {crit:8.1f} gain {t1 / max(crit, 1e-3):4.2f} lost {crit - t1 / 2:7.1f}")
        t1s, cs, ws, crits = t1s + t1, cs + c, ws + w, crits + crit
    print(f"{Path(a.model).name}: 1 thread {t1s:.0f} us CPU; 2 threads: caller {cs:.0f} worker {ws:.0f} "
          f"(sum/1t {(cs + ws) / max(t1s, 1e-3):.2f}), crit {crits:.0f} us, gain at best {t1s / max(crits, 1e-3):.2f}x "
          f"(load {os.getloadavg()[0]:.1f}; us, minimum over {a.runs} runs)")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
