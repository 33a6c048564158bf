#!/usr/bin/env python3
"""Two engine libraries and onnxruntime on the same models in ONE process, run by run in turn:

    python bench/ab_engines.py --work WORK --base BASE/libsdkengine.so --new NEW/libsdkengine.so \\
        [--models resnet18,...] [--threads 1] [--runs 15]

WORK is a `bench/run.py --work` folder (its MODEL.fixed.onnx, MODEL.fp32.sdkm and MODEL.input.npz);
BASE and NEW are host engine builds with the models' ops (e.g. bench/run.py's WORK/engine-minsize of two
checkouts). On a shared or virtual machine whole runs of bench/run.py move single models by 10-30 %
between reruns; runs interleaved in one process share one time window, so a change shows as the ratio
new / base even when the machine drifts. One thread only: at 2 threads each runtime's pool spins on
after its run, into the next one's (bench/run.py's separate processes with settling handle that).
Prints per model the medians (ms) and ratios, then the geomeans of base / onnxruntime and new / onnxruntime.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", required=True, type=Path, help="a bench/run.py --work folder")
    ap.add_argument("--base", required=True, type=Path, help="the base engine library")
    ap.add_argument("--new", required=True, type=Path, help="the changed engine library")
    ap.add_argument("--models", help="comma-separated (default: every MODEL.fp32.sdkm in WORK)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args(argv)

    import onnxruntime as ort

    from sdkbuild import runtime

    for lib in (args.base, args.new):
        if not lib.is_file():
            ap.error(f"no engine library at {lib}")
    names = args.models.split(",") if args.models else sorted(p.name[:-len(".fp32.sdkm")]
                                                             for p in args.work.glob("*.fp32.sdkm"))
    if not names:
        ap.error(f"no MODEL.fp32.sdkm in {args.work}: run bench/run.py --work {args.work} first")
    engines = {"base": runtime.Engine(str(args.base)), "new": runtime.Engine(str(args.new))}
    logs: dict[str, list[tuple[float, float]]] = {"base": [], "new": []}
    for name in names:
        files = [args.work / f"{name}{s}" for s in (".fixed.onnx", ".fp32.sdkm", ".input.npz")]
        if missing := [f for f in files if not f.is_file()]:
            print(f"{name}: skipped, missing {', '.join(str(f) for f in missing)}")
            continue
        with np.load(files[2]) as z:
            feeds = {k: z[k] for k in z.files}
        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        sess = ort.InferenceSession(str(files[0]), so, providers=["CPUExecutionProvider"])
        runs = {"ort": lambda s=sess, f=feeds: s.run(None, f)}
        for key, eng in engines.items():
            es = eng.load(str(files[1])).session(args.threads)
            runs[key] = lambda es=es, f=feeds: es.run(f)
        for _ in range(3):
            for f in runs.values():
                f()
        t: dict[str, list[float]] = {k: [] for k in runs}
        order = list(runs.items())
        for r in range(args.runs):
            for key, f in order if r % 2 == 0 else order[::-1]:
                t0 = time.perf_counter()
                f()
                t[key].append((time.perf_counter() - t0) * 1e3)
        med = {k: float(np.median(v)) for k, v in t.items()}
        low = {k: min(v) for k, v in t.items()}
        for key in logs:
            logs[key].append((math.log(med[key] / med["ort"]), math.log(low[key] / low["ort"])))
        print(f"{name:28s} ort {med['ort']:8.2f}  base {med['base']:8.2f} ({med['base'] / med['ort']:.2f})  "
              f"new {med['new']:8.2f} ({med['new'] / med['ort']:.2f})  new/base {med['new'] / med['base']:.2f}",
              flush=True)
    for key, v in logs.items():
        if v:
            print(f"geomean {key}/onnxruntime x{args.threads}: median {math.exp(sum(a for a, _ in v) / len(v)):.2f}"
                  f"  min {math.exp(sum(b for _, b in v) / len(v)):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
