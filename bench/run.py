#!/usr/bin/env python3
"""Benchmark the sdkbuild engine against onnxruntime, same machine, same run.

    python bench/run.py [--models digits_cnn,mobilenetv2_224] [--runs 20] [--threads 1,2]

For each example model: fp32 and int8, engine and onnxruntime, 1 and 2 threads. Every
configuration runs in its own subprocess (so peak RSS is that configuration's alone):
warm-up runs, then the median (and min) latency of >= 10 timed runs, peak RSS
(VmHWM; getrusage where /proc is absent) and the RSS added by loading and running the model. int8 on the engine is
sdkbuild's own quantizer; int8 on onnxruntime is onnxruntime.quantization.quantize_static
(QDQ, per-channel int8 weights, int8 activations) on the same calibration samples.
Outputs are compared with onnxruntime fp32 on the same input (cosine similarity).
Results go to bench/RESULTS.md (markdown) and build/bench/results.json. Timing is reported,
never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODELS = {
    "digits_cnn": ROOT / "examples" / "models" / "digits_cnn.onnx",
    "mobilenetv2_224": ROOT / "examples" / "models" / "mobilenetv2_224.onnx",
}


def _status_kb(field: str) -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _rss_kb() -> int:
    """Current resident set size in KiB (Linux /proc; 0 elsewhere)."""
    return _status_kb("VmRSS")


def _peak_rss_kb() -> int:
    # Linux keeps getrusage's ru_maxrss across execve, so a child would report its parent's
    # peak; VmHWM is this process image's own high-water mark. getrusage elsewhere.
    return _status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or platform.machine()


# --------------------------------------------------------------------------- preparation

def calibration_samples(name: str, shape: tuple[int, ...], n: int) -> list[np.ndarray]:
    if name == "digits_cnn":
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        x, y = load_digits(return_X_y=True)
        x = (x / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
        xtr, _, _, _ = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
        return [xtr[i : i + 1] for i in range(min(n, len(xtr)))]
    rng = np.random.default_rng(0)  # random-weight model: random inputs are its data
    return [rng.normal(0, 1, shape).astype(np.float32) for _ in range(n)]


def prepare(work: Path, names: list[str], n_cal: int) -> dict[str, dict[str, Path]]:
    """fp32/int8 .sdkm for the engine and fp32/int8 ONNX for onnxruntime, per model."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    from sdkbuild import convert, sdkm
    from sdkbuild.convert import quantize

    out: dict[str, dict[str, Path]] = {}
    for name in names:
        src = MODELS[name]
        files = {"onnx_fp32": src}
        fp32 = convert.convert_model(convert.load_onnx(src)[0])
        inp = fp32.tensors[fp32.inputs[0]]
        samples = calibration_samples(name, tuple(inp.shape), n_cal)
        files["sdkm_fp32"] = work / f"{name}.fp32.sdkm"
        sdkm.write(fp32, files["sdkm_fp32"])
        files["sdkm_int8"] = work / f"{name}.int8.sdkm"
        sdkm.write(quantize.quantize_model(fp32, [{inp.name: s} for s in samples]), files["sdkm_int8"])

        class Reader(CalibrationDataReader):
            def __init__(self, feeds: list[dict[str, np.ndarray]]) -> None:
                self.it = iter(feeds)

            def get_next(self):  # noqa: ANN202 - onnxruntime's interface
                return next(self.it, None)

        # fix the batch dimension as the .sdkm does, so both runtimes see the same shapes
        m = onnx.load(src)
        for d, v in zip(m.graph.input[0].type.tensor_type.shape.dim, inp.shape, strict=False):
            d.dim_value = v
        fixed = work / f"{name}.fixed.onnx"
        onnx.save(m, fixed)
        files["onnx_fp32"] = fixed
        files["onnx_int8"] = work / f"{name}.int8.onnx"
        quantize_static(str(fixed), str(files["onnx_int8"]), Reader([{inp.name: s} for s in samples]), quant_format=QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
        files["input"] = work / f"{name}.input.npy"
        np.save(files["input"], np.random.default_rng(123).normal(0, 1, inp.shape).astype(np.float32)
                if name != "digits_cnn" else samples[-1])
        out[name] = files
    return out


def build_engine(work: Path, ops: list[str]) -> Path:
    """A release build of the host engine with its SIMD kernels (what a device build ships)."""
    from sdkbuild import targets

    isa = ",".join(i for i in targets.get("host").isa)
    build = work / "engine"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    opts = [f"-Dops={','.join(sorted(ops))}", f"-Disa={isa}", "-Dbuildtype=release", "-Dtests=false"]
    # --reconfigure re-runs the source selection, so kernels added since the last run count
    again = ["--reconfigure"] if (build / "build.ninja").is_file() else []
    cmd = ["meson", "setup", *again, str(build), str(ROOT / "engine"), *opts]
    for c in (cmd, ["ninja", "-C", str(build), "-j2"]):
        r = subprocess.run(c, capture_output=True, text=True, env=env)
        if r.returncode != 0:
            sys.exit(f"engine build failed ({' '.join(c[:2])}):\n{(r.stdout + r.stderr)[-3000:]}")
    return build / "libsdkengine.so"


# --------------------------------------------------------------------------- measurement (child)

def child(args: argparse.Namespace) -> None:
    x = np.load(args.input)
    rss_before = _rss_kb()
    if args.runtime == "engine":
        from sdkbuild import runtime

        eng = runtime.Engine(args.lib)
        model = eng.load(args.model)
        sess = model.session(args.threads)
        name = model.inputs[0].name

        def run() -> np.ndarray:
            return next(iter(sess.run({name: x}).values()))
    else:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        sess = ort.InferenceSession(args.model, so, providers=["CPUExecutionProvider"])
        name = sess.get_inputs()[0].name

        def run() -> np.ndarray:
            return sess.run(None, {name: x})[0]

    for _ in range(args.warmup):
        out = run()
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        out = run()
        times.append((time.perf_counter() - t0) * 1000.0)
    peak = _peak_rss_kb()
    np.save(args.output, np.asarray(out, np.float32))
    print(json.dumps({"median_ms": statistics.median(times), "min_ms": min(times), "runs": len(times),
                      "peak_rss_kb": peak, "model_rss_kb": max(_rss_kb() - rss_before, 0)}))


def measure(runtime: str, model: Path, inp: Path, threads: int, lib: Path, runs: int, warmup: int,
            out: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", "--runtime", runtime, "--model", str(model), "--input", str(inp),
           "--threads", str(threads), "--lib", str(lib), "--runs", str(runs), "--warmup", str(warmup),
           "--output", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return {"error": (r.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--calibration-samples", type=int, default=32)
    ap.add_argument("--work", default=str(ROOT / "build" / "bench"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    # child mode
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--runtime")
    ap.add_argument("--model")
    ap.add_argument("--input")
    ap.add_argument("--lib")
    ap.add_argument("--output")
    args = ap.parse_args(argv)
    if args.child:
        args.threads = int(args.threads)
        child(args)
        return 0
    if args.runs < 10:
        ap.error("--runs must be >= 10 (the median of fewer runs is noise)")
    names = [n for n in args.models.split(",") if n]
    for n in names:
        if n not in MODELS:
            ap.error(f"unknown model {n!r} (choices: {', '.join(MODELS)})")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    from sdkbuild import runtime, sdkm

    args.load_before = os.getloadavg()[0]
    files = prepare(work, names, args.calibration_samples)
    needed = sorted({op for n in names for k in ("sdkm_fp32", "sdkm_int8") for op in sdkm.read(files[n][k]).ops_used()})
    have = set(runtime.available_ops())
    missing = [op for op in needed if op not in have]
    if missing:
        sys.exit(f"the engine lacks op(s) {', '.join(missing)} needed by {', '.join(names)}")
    lib = build_engine(work, needed)
    threads = [int(t) for t in args.threads.split(",")]
    rows = []
    for n in names:
        f = files[n]
        ref_out = work / f"{n}.ref.npy"
        measure("ort", f["onnx_fp32"], f["input"], 1, lib, 10, 1, ref_out)
        ref = np.load(ref_out)
        for dtype in ("fp32", "int8"):
            for t in threads:
                for rt, model in (("engine", f[f"sdkm_{dtype}"]), ("onnxruntime", f[f"onnx_{dtype}"])):
                    o = work / f"{n}.{dtype}.{rt}.{t}.npy"
                    res = measure("engine" if rt == "engine" else "ort", model, f["input"], t, lib, args.runs,
                                  args.warmup, o)
                    if "error" not in res:
                        res["cosine_vs_ort_fp32"] = cosine(np.load(o), ref)
                    rows.append({"model": n, "dtype": dtype, "threads": t, "runtime": rt, **res})
                    print(json.dumps(rows[-1]), flush=True)
    write_results(Path(args.out), rows, args, lib)
    return 0


def write_results(path: Path, rows: list[dict], args: argparse.Namespace, lib: Path) -> None:
    import onnxruntime as ort

    from sdkbuild import runtime

    with runtime.Engine(lib) as eng:
        info = eng.build_info
    lines = [
        "# Engine vs onnxruntime",
        "",
        f"Machine: **{cpu_model()}**, {os.cpu_count()} logical CPUs, {platform.system()} {platform.machine()}. "
        f"onnxruntime {ort.__version__}; engine {info.get('version')} ({', '.join(info.get('isa', [])) or 'ref'}, "
        f"release build, compiler {info.get('compiler', '?')}).",
        f"Median of {args.runs} runs after {args.warmup} warm-up runs, batch 1, each configuration in its own "
        "process. Peak RSS is the whole process (Python + runtime + model); model RSS is what loading and "
        "running the model added. cosine = output vs onnxruntime fp32 on the same input.",
        "Generated by `python bench/run.py`; the machine is shared, so treat small differences as noise "
        f"(load average {args.load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; under load "
        "the min column is the steadier figure).",
        "",
        "| model | dtype | threads | runtime | median ms | min ms | peak RSS MiB | model RSS MiB | cosine |",
        "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['model']} | {r['dtype']} | {r['threads']} | {r['runtime']} | error: {r['error']} "
                         "| | | | |")
            continue
        lines.append(
            f"| {r['model']} | {r['dtype']} | {r['threads']} | {r['runtime']} | {r['median_ms']:.3f} | "
            f"{r['min_ms']:.3f} | {r['peak_rss_kb'] / 1024:.1f} | {r['model_rss_kb'] / 1024:.1f} | "
            f"{r['cosine_vs_ort_fp32']:.5f} |"
        )
    path.write_text("\n".join(lines) + "\n")
    Path(args.work, "results.json").write_text(json.dumps(rows, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
