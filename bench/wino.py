"""Winograd vs the im2col GEMM path vs onnxruntime, interleaved in one run (x86, fp32).

    python bench/wino.py [--models resnet18,squeezenet1_1] [--rounds 10] [--threads 1]

Three persistent worker processes (onnxruntime at its default, all graph optimizations; the
engine with SDK_CONV_WINO unset, i.e. the selection rule; the engine with SDK_CONV_WINO=0, the
GEMM path everywhere) each load every zoo model once; each round asks every worker for one
timed inference of every model in turn, so the three see the same machine load. Prints min and
median ms per model and worker, the ratios of the medians, each worker's RSS growth for the
model (what loading, planning and the first run added: weights mapped, scratch, arena) and the
load average. The engine is built as SDKs ship it (sdkbuild.bench.build_engine, minsize).
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
        os.environ.pop("SDK_CONV_WINO", None)
        if kind == "engine-gemm":
            os.environ["SDK_CONV_WINO"] = "0"
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
        t0 = time.perf_counter()
        runs[name]()
        conn.send((time.perf_counter() - t0) * 1000.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=DEFAULT)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--work", default=str(ROOT / "build" / "bench-wino"))
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
    lib = str(bench.build_engine(work, sorted(ops)))
    kinds = ["onnxruntime", "engine", "engine-gemm"]
    ctx = mp.get_context("spawn")
    procs, conns, rss = [], [], {}
    for k in kinds:
        parent, child_end = ctx.Pipe()
        p = ctx.Process(target=worker, args=(k, lib, models, a.threads, child_end))
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
    print("| model | ort min / median ms | engine (rule) min / median | engine GEMM only min / median "
          "| rule/ort | rule/GEMM | model RSS MB ort / rule / GEMM |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for m in models:
        med = {k: statistics.median(times[(k, m)]) for k in kinds}
        mn = {k: min(times[(k, m)]) for k in kinds}
        cells = " | ".join(f"{mn[k]:.2f} / {med[k]:.2f}" for k in kinds)
        r = " / ".join(f"{rss[k][m] / 1024:.1f}" for k in kinds)
        print(f"| {m} | {cells} | {med['engine'] / med['onnxruntime']:.2f} | "
              f"{med['engine'] / med['engine-gemm']:.2f} | {r} |")


if __name__ == "__main__":
    main()
