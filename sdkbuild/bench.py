"""Benchmark the engine against onnxruntime (and ncnn) on the same machine, in the same run.

For each model: fp32 and (with calibration data) int8, engine and onnxruntime, for each
thread count; fp32 on ncnn too when it is installed (`pip install ncnn`) and the graph
maps to it (sdkbuild/ncnn_export.py: the same folded weights and fused activations). Every configuration runs in its own subprocess, so peak RSS is that
configuration's alone: warm-up runs, then the median (and min) latency of >= 10 timed
runs, peak RSS (VmHWM; getrusage where /proc is absent) and the RSS that loading and
running the model added. int8 on the engine is sdkbuild's quantizer; int8 on onnxruntime
is prepared as its documentation says: quant_pre_process, then quantize_static (QDQ,
per-channel int8 weights, int8 activations) on the same calibration samples, and run with
all graph optimizations on. Outputs are compared with onnxruntime fp32
on the same input (cosine). Timing is reported, never asserted.

`sdkbuild bench MODEL.onnx` and `python bench/run.py` (the example models) use this.
"""

from __future__ import annotations

import copy
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import SdkbuildError
from .hosttools import venv_tool


@dataclass
class BenchModel:
    name: str
    onnx: Path
    calibration: list[np.ndarray] | None = None  # samples of the (single) input; None = fp32 only
    input: np.ndarray | None = None  # the timed input (default: the last calibration sample or N(0, 1))


def _status_kb(field: str) -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _rss_kb() -> int:
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

def ncnn_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("ncnn") is not None


def prepare(work: Path, bm: BenchModel) -> dict[str, Path]:
    """fp32 (and int8) .sdkm for the engine and fp32 (and int8) ONNX for onnxruntime."""
    import onnx

    from . import convert, sdkm
    from .convert import quantize
    from .convert.banding import band_conv_pools

    fp32 = convert.convert_model(convert.load_onnx(bm.onnx)[0])
    if len(fp32.inputs) != 1:
        raise SdkbuildError(f"{bm.onnx}: bench supports single-input models (this one has {len(fp32.inputs)})")
    inp = fp32.tensors[fp32.inputs[0]]
    files: dict[str, Path] = {"sdkm_fp32": work / f"{bm.name}.fp32.sdkm"}
    shipped = copy.deepcopy(fp32)  # the engine runs what `sdkbuild convert` writes (banded)
    band_conv_pools(shipped)
    sdkm.write(shipped, files["sdkm_fp32"])
    # fix the batch dimension as the .sdkm does, so both runtimes see the same shapes
    m = onnx.load(bm.onnx)
    for d, v in zip(m.graph.input[0].type.tensor_type.shape.dim, inp.shape, strict=False):
        d.dim_value = v
    files["onnx_fp32"] = work / f"{bm.name}.fixed.onnx"
    onnx.save(m, files["onnx_fp32"])
    x = bm.input
    if x is None:
        x = bm.calibration[-1] if bm.calibration else np.random.default_rng(123).normal(0, 1, inp.shape)
    files["input"] = work / f"{bm.name}.input.npy"
    np.save(files["input"], np.asarray(x, np.float32).reshape(inp.shape))
    if ncnn_available():
        from .ncnn_export import NcnnUnsupported, export

        try:
            export(fp32, work / f"{bm.name}.ncnn.param", work / f"{bm.name}.ncnn.bin")
            files["ncnn_fp32"] = work / f"{bm.name}.ncnn.param"
        except NcnnUnsupported as e:
            print(f"{bm.name}: not run on ncnn ({e})", file=sys.stderr)
    if bm.calibration:
        from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

        feeds = [{inp.name: np.asarray(s, np.float32).reshape(inp.shape)} for s in bm.calibration]
        files["sdkm_int8"] = work / f"{bm.name}.int8.sdkm"
        qm = quantize.quantize_model(fp32, feeds)
        band_conv_pools(qm)
        sdkm.write(qm, files["sdkm_int8"])

        class Reader(CalibrationDataReader):
            def __init__(self, it: list[dict[str, np.ndarray]]) -> None:
                self.it = iter(it)

            def get_next(self):  # noqa: ANN202 - onnxruntime's interface
                return next(self.it, None)

        files["onnx_int8"] = work / f"{bm.name}.int8.onnx"
        # onnxruntime's documented recipe: quant_pre_process (shape inference + graph
        # optimization: BatchNormalization folded into the convs, ...) before quantize_static.
        # Without it 52 float BN nodes stay between the QDQ pairs of MobileNetV2 and
        # onnxruntime's int8 runs at half speed: an unfair peer.
        files["onnx_int8_pre"] = work / f"{bm.name}.int8-pre.onnx"
        _quant_pre_process(files["onnx_fp32"], files["onnx_int8_pre"])
        quantize_static(str(files["onnx_int8_pre"]), str(files["onnx_int8"]), Reader(feeds),
                        quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QInt8,
                        weight_type=QuantType.QInt8)
    return files


def _quant_pre_process(src: Path, dst: Path) -> None:
    """onnxruntime.quantization's pre-processing step (its documentation's first step of
    static quantization); falls back to shape inference alone if its optimizer fails."""
    import importlib.util

    from onnxruntime.quantization.shape_inference import quant_pre_process

    # its symbolic shape inference (for dynamic dims) needs sympy; bench fixes every shape
    # first, so ONNX shape inference alone sees the same shapes
    symbolic = importlib.util.find_spec("sympy") is not None
    try:
        quant_pre_process(str(src), str(dst), skip_symbolic_shape=not symbolic)
    except Exception as e:  # noqa: BLE001 - onnxruntime raises many types; the fallback is reported
        print(f"{src.name}: quant_pre_process with optimization failed ({e}); shape inference only",
              file=sys.stderr)
        quant_pre_process(str(src), str(dst), skip_optimization=True, skip_symbolic_shape=not symbolic)


def build_engine(work: Path, ops: Sequence[str], buildtype: str = "minsize") -> Path:
    """The host engine with its SIMD kernels, built as SDKs ship it: size-first (-Os) with the
    hot kernels optimized for speed inside (SDK_HOT_TARGET); buildtype="release" (-O3) for
    comparison only."""
    from . import paths, targets

    isa = ",".join(targets.get("host").isa)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    build = work / f"engine-{buildtype}"
    opts = [f"-Dops={','.join(sorted(ops))}", f"-Disa={isa}", f"-Dbuildtype={buildtype}", "-Dtests=false"]
    # --reconfigure re-runs the source selection, so kernels added since the last run count
    again = ["--reconfigure"] if (build / "build.ninja").is_file() else []
    for cmd in ([venv_tool("meson"), "setup", *again, str(build), str(paths.engine_dir()), *opts],
                [venv_tool("ninja"), "-C", str(build), "-j2"]):
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if r.returncode != 0:
            raise SdkbuildError(f"building the bench engine failed ({' '.join(cmd[:2])}):\n"
                                + (r.stdout + r.stderr)[-3000:])
    return build / "libsdkengine.so"


# --------------------------------------------------------------------------- measurement

def child(runtime_name: str, model: str, inp: str, threads: int, lib: str, runs: int, warmup: int,
          output: str) -> dict:
    """Runs in the measuring subprocess."""
    x = np.load(inp)
    rss_before = _rss_kb()
    if runtime_name == "engine":
        from . import runtime

        eng = runtime.Engine(lib)
        sess = eng.load(model).session(threads)
        name = sess.model.inputs[0].name

        def run() -> np.ndarray:
            return next(iter(sess.run({name: x}).values()))
    elif runtime_name == "ncnn":
        import ncnn

        net = ncnn.Net()
        net.opt.use_vulkan_compute = False
        net.opt.num_threads = threads
        # fp32 throughout, like the other fp32 rows (ncnn would otherwise store fp16 where the CPU has F16C)
        net.opt.use_fp16_storage = net.opt.use_fp16_packed = net.opt.use_fp16_arithmetic = False
        net.opt.use_bf16_storage = False
        if net.load_param(model) != 0 or net.load_model(str(Path(model).with_suffix(".bin"))) != 0:
            raise SystemExit(f"ncnn could not load {model}")
        xin = np.ascontiguousarray(x.reshape(x.shape[1:]))  # ncnn.Mat borrows this buffer: keep it alive
        mat = ncnn.Mat(xin)

        def run() -> np.ndarray:
            ex = net.create_extractor()
            ex.input("in0", mat)
            rc, out = ex.extract("out0")
            if rc != 0:
                raise SystemExit(f"ncnn extract failed ({rc})")
            return np.array(out)
    else:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL  # its best (also the default)
        osess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
        name = osess.get_inputs()[0].name

        def run() -> np.ndarray:
            return osess.run(None, {name: x})[0]

    out = run()
    for _ in range(warmup - 1):
        out = run()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = run()
        times.append((time.perf_counter() - t0) * 1000.0)
    np.save(output, np.asarray(out, np.float32))
    return {"median_ms": statistics.median(times), "min_ms": min(times), "runs": len(times),
            "peak_rss_kb": _peak_rss_kb(), "model_rss_kb": max(_rss_kb() - rss_before, 0)}


def measure(runtime_name: str, model: Path, inp: Path, threads: int, lib: Path, runs: int, warmup: int,
            out: Path) -> dict:
    cmd = [sys.executable, "-m", "sdkbuild.bench", runtime_name, str(model), str(inp), str(threads), str(lib),
           str(runs), str(warmup), str(out)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parent.parent),
                                                       os.environ.get("PYTHONPATH", "")]))
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        return {"error": (r.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def run(models: Sequence[BenchModel], work: Path, threads: Sequence[int] = (1, 2), runs: int = 20,
        warmup: int = 3, progress: Callable[[dict], None] | None = None, buildtype: str = "minsize"
        ) -> tuple[list[dict], Path]:
    """Measure every configuration; returns the rows and the engine library used."""
    from . import runtime, sdkm

    if runs < 10:
        raise SdkbuildError(f"--runs {runs} is too few", hint="use >= 10: the median of fewer runs is noise")
    work.mkdir(parents=True, exist_ok=True)
    files = {bm.name: prepare(work, bm) for bm in models}
    needed = sorted({op for f in files.values() for k in ("sdkm_fp32", "sdkm_int8") if k in f
                     for op in sdkm.read(f[k]).ops_used()})
    missing = sorted(set(needed) - set(runtime.available_ops()))
    if missing:
        raise SdkbuildError(f"the engine has no {', '.join(missing)} op", hint="these models cannot run on it yet")
    lib = build_engine(work, needed, buildtype)
    rows: list[dict] = []
    for bm in models:
        f = files[bm.name]
        ref_out = work / f"{bm.name}.ref.npy"
        res = measure("ort", f["onnx_fp32"], f["input"], 1, lib, 10, 1, ref_out)
        if "error" in res:  # every cosine is measured against this run: nothing to compare without it
            raise SdkbuildError(f"onnxruntime could not run {bm.name} (the reference): {res['error']}",
                                hint="check the model with `python -c \"import onnxruntime\"` and onnx.checker")
        ref = np.load(ref_out)
        for dtype in ("fp32", "int8"):
            if f"sdkm_{dtype}" not in f:
                continue
            for t in threads:
                peers = [("engine", f[f"sdkm_{dtype}"]), ("onnxruntime", f[f"onnx_{dtype}"])]
                if f"ncnn_{dtype}" in f:
                    peers.append(("ncnn", f[f"ncnn_{dtype}"]))
                for rt, model in peers:
                    o = work / f"{bm.name}.{dtype}.{rt}.{t}.npy"
                    res = measure({"onnxruntime": "ort"}.get(rt, rt), model, f["input"], t, lib, runs, warmup, o)
                    if "error" not in res:
                        res["cosine_vs_ort_fp32"] = cosine(np.load(o), ref)
                    rows.append({"model": bm.name, "dtype": dtype, "threads": t, "runtime": rt, **res})
                    if progress:
                        progress(rows[-1])
    (work / "results.json").write_text(json.dumps(rows, indent=1) + "\n")
    return rows, lib


def render_markdown(rows: Sequence[dict], lib: Path, runs: int, warmup: int, load: tuple[float, float]) -> str:
    import onnxruntime as ort

    from . import runtime

    with runtime.Engine(lib) as eng:
        info = eng.build_info
    peers = f"onnxruntime {ort.__version__}"
    if any(r["runtime"] == "ncnn" for r in rows):
        import ncnn

        peers += f", ncnn {ncnn.__version__} (fp32; fp16/bf16 storage off)"
    lines = [
        "# Engine vs onnxruntime" + (" and ncnn" if "ncnn" in peers else ""),
        "",
        f"Machine: **{cpu_model()}**, {os.cpu_count()} logical CPUs, {platform.system()} {platform.machine()}. "
        f"{peers}; engine {info.get('version')} ({', '.join(info.get('isa', [])) or 'ref'}, "
        f"{'minsize build as SDKs ship it' if 'minsize' in str(lib) else 'release build'}, "
        f"compiler {info.get('compiler', '?')}).",
        f"Median of {runs} runs after {warmup} warm-up runs, batch 1, each configuration in its own "
        "process. Peak RSS is the whole process (Python + runtime + model); model RSS is what loading and "
        "running the model added. cosine = output vs onnxruntime fp32 on the same input.",
        "The machine may be shared, so treat small differences as noise "
        f"(load average {load[0]:.1f} at the start, {load[1]:.1f} at the end; under load the min column is "
        "the steadier figure).",
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
    return "\n".join(lines) + "\n"


def bench_files(onnx_paths: Sequence[str | os.PathLike], calibration: str | os.PathLike | None, work: Path,
                threads: Sequence[int], runs: int, warmup: int, progress: Callable[[dict], None] | None = None
                ) -> str:
    """`sdkbuild bench`: user models (int8 too when calibration data is given) -> markdown."""
    from . import convert
    from .convert import calibration as cal

    models = []
    for p in onnx_paths:
        p = Path(p)
        if not p.is_file():
            raise SdkbuildError(f"model {p} does not exist")
        samples = None
        if calibration is not None:
            fp32 = convert.convert_model(convert.load_onnx(p)[0])
            name = fp32.tensors[fp32.inputs[0]].name
            samples = [s[name] for s in cal.load_samples(calibration, fp32)]
        models.append(BenchModel(p.stem, p, samples))
    load0 = os.getloadavg()[0]
    rows, lib = run(models, work, threads, runs, warmup, progress)
    return render_markdown(rows, lib, runs, warmup, (load0, os.getloadavg()[0]))


if __name__ == "__main__":  # the measuring child: python -m sdkbuild.bench RUNTIME MODEL INPUT THREADS LIB RUNS WARMUP OUT
    a = sys.argv[1:]
    print(json.dumps(child(a[0], a[1], a[2], int(a[3]), a[4], int(a[5]), int(a[6]), a[7])))
