"""The engine (fp32, Winograd by its rule) against onnxruntime, interleaved in one run (x86).

    python bench/wino.py [--models resnet18,squeezenet1_1] [--rounds 10] [--engine LIB]

Two persistent worker processes (onnxruntime at its default, all graph optimizations, 1 intra-op
thread; the engine, 1 thread) each load every zoo model once; each round asks every worker for
one inference of every model in turn. Timed as the CPU time of the running thread
(time.thread_time: both run an inference on the calling thread at 1 thread), which leaves out
the time other processes hold the core (this machine is shared; wall time under a load average
of 15 measures the scheduler); cache and memory-bandwidth contention still count. Prints min and
median ms per model and worker, the ratio of the medians, each worker's RSS growth for the model
(what loading, planning and two runs added: weights, scratch, arena) and the load average. The
engine is built as SDKs ship it (sdkbuild.bench.build_engine, minsize) unless --engine names a
library (e.g. one built from another commit, for a before/after). Per-layer Winograd against
the GEMM path: bench/wino_layers.cpp.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

DEFAULT = "resnet18,light_resnet50,light_inception_v2,squeezenet1_1,yolov8n"


def _rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def worker(kind: str, lib: str, models: dict[str, tuple[str, str]], threads: int, conn) -> None:  # noqa: ANN001
    if kind.startswith("engine"):
        from sdkbuild import runtime

        eng = runtime.Engine(lib)
    else:
        import onnxruntime as ort
    runs, rss = {}, {}
    for name, (onnx_path, sdkm_path) in models.items():
        x = np.load(Path(sdkm_path).with_suffix(".npy"))
        before = _rss_kb()
        if kind.startswith("engine"):
            sess = eng.load(sdkm_path).session(threads)
            iname = sess.model.inputs[0].name
            runs[name] = (lambda s=sess, n=iname, v=x: s.run({n: v}))
        else:
            so = ort.SessionOptions()
            so.intra_op_num_threads = threads
            so.inter_op_num_threads = 1
            osess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
            iname = osess.get_inputs()[0].name
            runs[name] = (lambda s=osess, n=iname, v=x: s.run(None, {n: v}))
        runs[name]()
        runs[name]()
        rss[name] = _rss_kb() - before
    conn.send(rss)
    while True:
        name = conn.recv()
        if name is None:
            return
        t0 = time.thread_time()
        runs[name]()
        conn.send((time.thread_time() - t0) * 1000.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=DEFAULT)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--work", default=str(ROOT / "build" / "bench-wino"))
    ap.add_argument("--engine", help="an engine library to measure instead of building one")
    ap.add_argument("--before", help="a second engine library (e.g. built from the commit before a change), "
                    "measured in the same interleaved rounds")
    a = ap.parse_args()
    import onnx
    from zoo import zoo

    from sdkbuild import bench, sdkm
    from sdkbuild.convert import convert_model_report

    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=work))
    models, ops = {}, set()
    for name in a.models.split(","):
        proto = zoo.load(name)
        feeds = zoo.inputs(name, seed=0)
        onnx.save(proto, tmp / f"{name}.onnx")
        model, _ = convert_model_report(proto)
        ops |= {n.op for n in model.nodes}
        sdkm.write(model, tmp / f"{name}.sdkm")
        np.save(tmp / f"{name}.npy", next(iter(feeds.values())))
        models[name] = (str(tmp / f"{name}.onnx"), str(tmp / f"{name}.sdkm"))
    lib = a.engine or str(bench.build_engine(work, sorted(ops)))
    kinds = ["onnxruntime", "engine"] + (["engine-before"] if a.before else [])
    ctx = mp.get_context("spawn")
    procs, conns, rss = [], [], {}
    for k in kinds:
        parent, child_end = ctx.Pipe()
        p = ctx.Process(target=worker, args=(k, a.before if k == "engine-before" else lib, models, a.threads,
                                             child_end))
        p.start()
        procs.append(p)
        conns.append(parent)
    for k, c in zip(kinds, conns, strict=True):
        rss[k] = c.recv()
    times = {(k, m): [] for k in kinds for m in models}
    load0 = os.getloadavg()
    for _ in range(a.rounds):
        for m in models:
            for k, c in zip(kinds, conns, strict=True):
                c.send(m)
                times[(k, m)].append(c.recv())
    load1 = os.getloadavg()
    for c in conns:
        c.send(None)
    for p in procs:
        p.join()
    print(f"{a.threads} thread(s), {a.rounds} interleaved rounds; load average before {load0[0]:.2f}, "
          f"after {load1[0]:.2f}; engine {lib}")
    print("| model | " + " | ".join(f"{k} min / median ms" for k in kinds) + " | engine/ort (medians) | "
          + ("engine/before | " if a.before else "") + "model RSS MB " + " / ".join(kinds) + " |")
    print("| --- |" + " ---: |" * (len(kinds) + 2 + bool(a.before)))
    for m in models:
        med = {k: statistics.median(times[(k, m)]) for k in kinds}
        mn = {k: min(times[(k, m)]) for k in kinds}
        cells = " | ".join(f"{mn[k]:.2f} / {med[k]:.2f}" for k in kinds)
        r = " / ".join(f"{rss[k][m] / 1024:.1f}" for k in kinds)
        before = f"{med['engine'] / med['engine-before']:.2f} | " if a.before else ""
        print(f"| {m} | {cells} | {med['engine'] / med['onnxruntime']:.2f} | {before}{r} |")


if __name__ == "__main__":
    main()
