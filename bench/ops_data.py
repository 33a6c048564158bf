#!/usr/bin/env python3
"""Per-op latency of the data-movement family (Resize, Softmax, Transpose, reductions,
Gather) on the shapes the zoo's detectors, segmenters and transformers run, engine vs
onnxruntime in the same process, one thread each.

    python bench/ops_data.py [--runs 200] [--threads 1] [--ref]   (SDKBUILD_ENGINE_LIB: a prebuilt engine)

Each case is one node converted by sdkbuild and run on the host dev engine; the table
gives median microseconds and the engine / onnxruntime ratio (below 1: the engine is
faster). The engine's time is sdk_session_run alone (inputs set before, outputs left in
place); onnxruntime's is InferenceSession.run (its outputs handed to numpy). `--ref` runs the engine with SDK_F32_GEMM=ref (the portable kernels) to show
what the SIMD rows buy. Timings are noisy on a shared machine: compare ratios from one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def cases():
    from test_ops_data import arr, ints, resize_inputs

    near = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
    lin = {"mode": "linear", "coordinate_transformation_mode": "half_pixel"}
    return [
        ("Resize nearest 2x 256x20x20 (YOLOv8n)", "Resize", resize_inputs(arr(1, 256, 20, 20), [1, 1, 2, 2]), near),
        ("Resize nearest 2x 128x40x40 (YOLOv8n)", "Resize", resize_inputs(arr(1, 128, 40, 40), [1, 1, 2, 2]), near),
        ("Resize bilinear 21x20x20->320 (DeepLabV3)", "Resize",
         resize_inputs(arr(1, 21, 20, 20), sizes=[1, 21, 320, 320]), lin),
        ("Resize bilinear 2x 128x20x20 (LR-ASPP)", "Resize", resize_inputs(arr(1, 128, 20, 20), [1, 1, 2, 2]), lin),
        ("Softmax 3x197x197 (ViT-tiny attention)", "Softmax", [("x", arr(1, 3, 197, 197), False)], {"axis": -1}),
        ("Softmax 4x16x2100 axis 1 (YOLOv8 DFL)", "Softmax", [("x", arr(1, 4, 16, 2100), False)], {"axis": 2}),
        ("Transpose 197x3x64 -> 3x197x64 (ViT)", "Transpose", [("x", arr(1, 197, 3, 64), False)],
         {"perm": [0, 2, 1, 3]}),
        ("Transpose NCHW->NHWC 64x56x56", "Transpose", [("x", arr(1, 64, 56, 56), False)], {"perm": [0, 2, 3, 1]}),
        ("ReduceMean last axis 197x192 (LayerNorm)", "ReduceMean",
         [("x", arr(1, 197, 192), False), ("a", ints(-1), True)], {}),
        ("ReduceSum over H,W 96x40x40", "ReduceSum", [("x", arr(1, 96, 40, 40), False), ("a", ints(2, 3), True)], {}),
        ("Gather 128 ids from 30522x128 (BERT-tiny)", "Gather",
         [("t", arr(30522, 128), True), ("i", np.arange(128, dtype=np.int64)[None] * 7, False)], {}),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--ref", action="store_true", help="portable kernels (SDK_F32_GEMM=ref)")
    args = ap.parse_args(argv)
    if args.ref:
        os.environ["SDK_F32_GEMM"] = "ref"
    import onnxruntime as ort
    from test_ops_data import model

    from sdkbuild import runtime, sdkm
    from sdkbuild.convert import convert_model

    eng = runtime.Engine(os.environ.get("SDKBUILD_ENGINE_LIB") or runtime.build_dev_engine())
    print(f"| op and shape | engine us | onnxruntime us | ratio |  ({args.threads} thread(s), median of {args.runs})")
    print("| --- | ---: | ---: | ---: |")
    for label, op, ins, attrs in cases():
        m = model(op, ins, attrs, opset=18 if op != "Softmax" else 13)
        feeds = {n: a for n, a, c in ins if not c}
        conv = convert_model(m, input_shapes={k: v.shape for k, v in feeds.items()})
        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        so.log_severity_level = 3
        sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
        with eng.load(sdkm.encode(conv)) as em, em.session(threads=args.threads) as s:
            times = {"engine": [], "ort": []}
            for _ in range(args.runs):
                for k, v in feeds.items():
                    s.set_input(k, v)
                t = time.perf_counter()
                s._lib.sdk_session_run(s.handle)
                times["engine"].append(time.perf_counter() - t)
                t = time.perf_counter()
                sess.run(None, feeds)
                times["ort"].append(time.perf_counter() - t)
        e, o = (statistics.median(times[k]) * 1e6 for k in ("engine", "ort"))
        print(f"| {label} | {e:.0f} | {o:.0f} | {e / o:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
