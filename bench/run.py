#!/usr/bin/env python3
"""Benchmark the engine against onnxruntime (and ncnn) on the example models or the model zoo.

    python bench/run.py [--models digits_cnn,mobilenetv2_224] [--runs 20] [--threads 1,2]
    python bench/run.py --zoo cnn,detector [--models resnet18,...]   # zoo families and/or model names
    python bench/run.py --zoo all                                     # every zoo model
    python bench/run.py --zoo DIR                                     # every DIR/*.onnx
    python bench/run.py --zoo mobilenet_v2 --threads 2 --idle-ms 50,200   # runs after idle periods

fp32 and int8, engine and onnxruntime (fp32 also on ncnn when it is installed), 1 and 2
threads. int8 on ncnn too with --ncnn-src NCNN (ncnn's full source, with tools/): its
ncnnoptimize, ncnn2table and ncnn2int8 are built for the host (bench/ncnn_tools.py, cached in
--ncnn-build) and quantize the exported fp32 model on the same calibration samples as the
engine's and onnxruntime's int8 (ncnn2table's KL and ACIQ, keeping the one whose output is
closer to fp32's on those samples; --ncnn-int8-method kl or aciq for one); the summary then
has an `int8 engine/ncnn` column. The runtimes of one model, dtype and thread count run side by side in persistent
children, interleaved in --rounds rounds (see sdkbuild/bench.py for what is measured and how),
so engine and peers share one time window. Writes bench/RESULTS.md (a summary of ratios
engine/onnxruntime and engine/ncnn per model with their geomean per dtype and thread count,
the machine and its load, then the details); the raw rows go to build/bench/results.json. A
model that fails gives an error row; the others go on. `sdkbuild bench MODEL.onnx` does the
same for any model.

Example models: calibration on the digits training split (the held-out split is the accuracy
test set), for the MobileNetV2 (trained on the same digits) the same training images with its
224x224 preprocessing (examples/scripts/digits_data.py); the measured input is the first
held-out digit.

--zoo takes the model zoo (tests/zoo, issue 12): `all`, family names (cnn, detector,
segmentation, vision-transformer, text-encoder, speech-encoder) and model names, comma
separated; each model is measured on zoo.inputs(name) (the manifest's input ranges) and int8
(where the manifest says the zoo tests it) is calibrated on 8 further draws (seeds 1-8): a
speed figure, random weights have no accuracy to keep. Or a folder of ONNX files (one input
each, N(0, 1) inputs). The engine is built as SDKs ship it (minsize; --buildtype release to
compare).

--idle-ms LO,HI also runs every runtime with a sleep of U[LO, HI] ms before each run (an app
that idles between inferences) and reports that distribution against the steady runs, with
the voluntary context switches per run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples" / "scripts"))

from sdkbuild import bench  # noqa: E402
from sdkbuild.errors import SdkbuildError  # noqa: E402

MODELS = {
    "digits_cnn": ROOT / "examples" / "models" / "digits_cnn.onnx",
    "mobilenetv2_224": ROOT / "examples" / "models" / "mobilenetv2_224.onnx",
}


def example(name: str, n_cal: int) -> bench.BenchModel:
    import digits_data  # examples/scripts: the fixed digits split and the MobileNetV2 preprocessing

    x_tr, x_te, _, _ = digits_data.split()  # calibrate on training images, measure a held-out one
    if name == "digits_cnn":
        cal, x = x_tr[:n_cal, None] / 16.0, x_te[:1, None] / 16.0
    else:
        cal, x = digits_data.preprocess(x_tr[:n_cal]), digits_data.preprocess(x_te[:1])
    return bench.BenchModel(name, MODELS[name], [c[None].astype(np.float32) for c in cal], x.astype(np.float32))


def zoo_model(name: str, path: Path) -> bench.BenchModel:
    """A model of a folder: its one input's shape from the converter (dynamic dims -> 1)."""
    from sdkbuild import convert

    m = convert.convert_model(convert.load_onnx(path)[0])
    shape = m.tensors[m.inputs[0]].shape
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, shape).astype(np.float32)
    return bench.BenchModel(name, path, [rng.normal(0, 1, shape).astype(np.float32) for _ in range(8)], x)


def zoo_names(spec: str) -> list[str]:
    """`all`, family names and model names (comma separated) -> zoo model names, in zoo order."""
    from zoo import zoo

    every = zoo.names()
    families = {zoo.entry(n)["family"] for n in every}
    out: list[str] = []
    for tok in (t.strip() for t in spec.split(",")):
        if not tok:
            continue
        if tok == "all":
            out += every
        elif tok in families:
            out += zoo.names(family=tok)
        elif tok in every:
            out.append(tok)
        else:
            raise SystemExit(f"--zoo: {tok!r} is neither a zoo model, a family ({', '.join(sorted(families))}), "
                             "'all' nor a folder; the zoo's models: " + ", ".join(every))
    return list(dict.fromkeys(out))


def zoo_bench_model(name: str, work: Path) -> bench.BenchModel:
    """A tests/zoo model written to work/zoo/<name>.onnx (weights regenerated), its manifest
    inputs, and 8 calibration draws when the zoo has an int8 test for it."""
    import onnx
    from zoo import zoo

    path = work / "zoo" / f"{name}.onnx"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file():
        tmp = path.with_suffix(".tmp")
        onnx.save(zoo.load(name), tmp)
        tmp.replace(path)
    cal = [zoo.inputs(name, seed) for seed in range(1, 9)] if zoo.entry(name).get("int8") else None
    return bench.BenchModel(name, path, cal, zoo.inputs(name, 0))


def _pair(text: str) -> tuple[float, float]:
    lo, _, hi = text.partition(",")
    try:
        return float(lo), float(hi or lo)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give LO,HI in ms (e.g. 50,200)") from None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--zoo", help="zoo models: 'all', families (cnn,detector,...) and/or model names, comma "
                    "separated; or a folder of ONNX models")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=5, help="interleaving rounds (each a batch of runs/rounds runs "
                    "on every runtime in turn)")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--idle-ms", type=_pair, metavar="LO,HI",
                    help="also measure runs after a sleep of U[LO, HI] ms (threads after idle periods)")
    ap.add_argument("--no-load", action="store_true", help="skip the model-loading memory table")
    ap.add_argument("--calibration-samples", type=int, default=32)
    ap.add_argument("--work", default=str(ROOT / "build" / "bench"))
    ap.add_argument("--buildtype", default="minsize", choices=["minsize", "release"],
                    help="engine build: minsize (-Os + hot kernels at -O2: what SDKs ship) or release (-O3)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    ap.add_argument("--ncnn-src", type=Path, help="ncnn's full source (with tools/quantize): ncnn int8 rows")
    ap.add_argument("--ncnn-build", type=Path, help="where ncnn's host tools are built (default: <work>/ncnn-host)")
    ap.add_argument("--ncnn-int8-method", default="best", choices=["best", "kl", "aciq"],
                    help="ncnn2table's calibration method (default best: KL and ACIQ, keeping the int8 model "
                    "closer to fp32 on the calibration samples)")
    args = ap.parse_args(argv)
    picked = [n for n in args.models.split(",") if n] if args.models != ",".join(MODELS) else None
    if args.zoo and "," not in args.zoo and Path(args.zoo).is_dir():  # a list is never a folder (nor too long a path)
        folder = {p.stem: p for p in sorted(Path(args.zoo).glob("*.onnx"))}
        if not folder:
            ap.error(f"--zoo {args.zoo}: no .onnx files there")
        names = picked or list(folder)
        for n in names:
            if n not in folder:
                ap.error(f"unknown model {n!r} in {args.zoo} (choices: {', '.join(folder)})")
        todo = [zoo_model(n, folder[n]) for n in names]
    elif args.zoo:
        sys.path.insert(0, str(ROOT / "tests"))
        names = zoo_names(args.zoo)
        if picked:
            unknown = [n for n in picked if n not in names]
            if unknown:
                ap.error(f"--models {','.join(unknown)}: not in --zoo {args.zoo} ({', '.join(names)})")
            names = picked
        todo = [zoo_bench_model(n, Path(args.work)) for n in names]
    else:
        names = picked or list(MODELS)
        for n in names:
            if n not in MODELS:
                ap.error(f"unknown model {n!r} (choices: {', '.join(MODELS)})")
        todo = [example(n, args.calibration_samples) for n in names]
    tools = None
    if args.ncnn_src:
        sys.path.insert(0, str(ROOT / "bench"))
        from ncnn_tools import build_ncnn_tools, ncnn_tools_missing

        why = ncnn_tools_missing(args.ncnn_src)
        if why:
            ap.error(why)
        if not bench.ncnn_available():
            ap.error("--ncnn-src: the ncnn Python package is not installed (pip install 'sdkbuild[bench]')")
        tools = build_ncnn_tools(args.ncnn_src, args.ncnn_build or Path(args.work) / "ncnn-host")
    load0 = os.getloadavg()[0]
    threads = [int(t) for t in args.threads.split(",")]
    try:
        rows, lib = bench.run(todo, Path(args.work), threads, args.runs, args.warmup, buildtype=args.buildtype,
                              rounds=args.rounds, idle_ms=args.idle_ms, loads=not args.no_load,
                              progress=lambda r: print(json.dumps(r), flush=True), ncnn_tools=tools,
                              ncnn_int8_method=args.ncnn_int8_method)
    except SdkbuildError as e:
        ap.error(str(e))  # the message and its hint line
    text = bench.render_markdown(rows, lib, args.runs, args.warmup, (load0, os.getloadavg()[0]), args.rounds,
                                 args.idle_ms)
    Path(args.out).write_text(text.replace("The machine may be shared", "Generated by `python bench/run.py "
                                           + " ".join(argv if argv is not None else sys.argv[1:])
                                           + "`; the machine may be shared", 1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
