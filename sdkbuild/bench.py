"""Benchmark the engine against onnxruntime (and ncnn) on the same machine, in the same run.

For each model: fp32 and (with calibration data) int8, engine and onnxruntime, for each
thread count; fp32 on ncnn too when it is installed (`pip install ncnn`) and the graph
maps to it (sdkbuild/ncnn_export.py: the same folded weights and fused activations), and
int8 on ncnn when its quantization tools are given (`ncnn_tools`: ncnn2table + ncnn2int8 on
the same calibration samples, see ncnn_export.quantize_int8; bench/run.py --ncnn-src builds them). Every configuration runs in its own subprocess, so peak RSS is that
configuration's alone: warm-up runs, then the median (and min) latency of >= 10 timed
runs, peak RSS (VmHWM; getrusage where /proc is absent) and the RSS that loading and
running the model added (after the runtime's Python module is imported: `_import_runtime`). Loading alone is measured per load mode (mapped file, heap copy,
caller's bytes copied): the peak RSS while loading and the private vs file-backed RSS after.
int8 on the engine is sdkbuild's quantizer; int8 on onnxruntime
is prepared as its documentation says: quant_pre_process, then quantize_static (QDQ,
per-channel int8 weights, int8 activations; on x86 CPUs without VNNI 7-bit weights,
`reduce_range`, as its documentation advises there: its VPMADDUBSW kernels saturate int16 pair
sums otherwise) on the same calibration samples, and run with all graph optimizations on. Outputs are compared with onnxruntime fp32
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
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import SdkbuildError
from .hosttools import venv_tool

# How long a child's threads may go on spinning after a batch before the next peer runs
# anyway (onnxruntime's spin for up to ~100 ms, OpenMP's a few ms).
SETTLE_CAP_S = 0.25

if TYPE_CHECKING:
    import onnx


Feeds = dict[str, np.ndarray]


@dataclass
class BenchModel:
    name: str
    onnx: Path
    # calibration samples: arrays of the (single) input, or feeds {input name: array} (models
    # with several inputs); None = fp32 only
    calibration: list[np.ndarray] | list[Feeds] | None = None
    # the timed input: an array or feeds (default: the last calibration sample or N(0, 1))
    input: np.ndarray | Feeds | None = None


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


def prepare(work: Path, bm: BenchModel, ncnn_tools: Mapping[str, Path] | None = None,
            ncnn_int8_method: str = "best") -> dict[str, Path]:
    """fp32 (and int8) .sdkm for the engine, fp32 (and int8) ONNX for onnxruntime, and fp32
    (and, with `ncnn_tools`, int8) ncnn models when the ncnn package is installed."""
    import onnx

    from . import convert, sdkm
    from .convert import quantize
    from .convert.banding import band_conv_pools

    fp32 = convert.convert_model(convert.load_onnx(bm.onnx)[0])
    ins = [fp32.tensors[i] for i in fp32.inputs]
    files: dict[str, Path] = {"sdkm_fp32": work / f"{bm.name}.fp32.sdkm"}
    shipped = copy.deepcopy(fp32)  # the engine runs what `sdkbuild convert` writes (banded)
    band_conv_pools(shipped)
    sdkm.write(shipped, files["sdkm_fp32"])
    # fix the batch dimension as the .sdkm does, so both runtimes see the same shapes
    m = onnx.load(bm.onnx)
    for t in ins:
        _fix_input_shape(m, t.name, t.shape)
    files["onnx_fp32"] = work / f"{bm.name}.fixed.onnx"
    onnx.save(m, files["onnx_fp32"])
    x = bm.input
    if x is None:
        if bm.calibration:
            x = bm.calibration[-1]
        elif len(ins) == 1:
            x = np.random.default_rng(123).normal(0, 1, ins[0].shape).astype(np.float32)
        else:
            raise SdkbuildError(f"{bm.name}: a model with {len(ins)} inputs needs its measured input given",
                                hint="pass BenchModel(input={name: array, ...})")
    feeds = _feeds(bm.name, ins, x)
    files["input"] = work / f"{bm.name}.input.npz"
    np.savez(files["input"], **feeds)
    if ncnn_available():
        from .ncnn_export import NcnnUnsupported, export

        try:
            if len(ins) != 1:
                raise NcnnUnsupported(f"{len(ins)} inputs (the bench feeds ncnn one)")
            export(fp32, work / f"{bm.name}.ncnn.param", work / f"{bm.name}.ncnn.bin")
            files["ncnn_fp32"] = work / f"{bm.name}.ncnn.param"
        except NcnnUnsupported as e:
            print(f"{bm.name}: not run on ncnn ({e})", file=sys.stderr)
    if bm.calibration:
        from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

        cal = [_feeds(bm.name, ins, c) for c in bm.calibration]
        files["sdkm_int8"] = work / f"{bm.name}.int8.sdkm"
        qm = quantize.quantize_model(fp32, cal)
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
        src = files["onnx_fp32"]
        opset = max((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), default=0)
        if opset < 13:  # per-channel QDQ (an axis on DequantizeLinear) needs opset 13
            from onnx import version_converter

            up = version_converter.convert_version(m, 13)
            up.ir_version = max(up.ir_version, 7)
            src = files["onnx_fp32_opset13"] = work / f"{bm.name}.opset13.onnx"
            onnx.save(up, src)
        _quant_pre_process(src, files["onnx_int8_pre"])
        quantize_static(str(files["onnx_int8_pre"]), str(files["onnx_int8"]), Reader(cal),
                        quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QInt8,
                        weight_type=QuantType.QInt8, reduce_range=ort_reduce_range())
        if ncnn_tools and "ncnn_fp32" in files:
            from .ncnn_export import quantize_int8

            try:  # ncnn's own post-training quantization, on the same calibration samples
                q = quantize_int8(files["ncnn_fp32"], [c[ins[0].name] for c in cal], ncnn_tools,
                                  work / f"{bm.name}.ncnn-int8.param", method=ncnn_int8_method)
                files["ncnn_int8"] = work / f"{bm.name}.ncnn-int8.param"
                files["ncnn_int8_info"] = work / f"{bm.name}.ncnn-int8.json"
                files["ncnn_int8_info"].write_text(json.dumps({"method": q.method, "cosines": q.cosines}) + "\n")
            except SdkbuildError as e:
                print(f"{bm.name}: int8 not run on ncnn ({e})", file=sys.stderr)
    return files


def _feeds(model: str, ins: Sequence, x: np.ndarray | Feeds) -> Feeds:
    """{input name: array of its .sdkm shape} from an array (one input) or feeds."""
    if not isinstance(x, dict):
        if len(ins) != 1:
            raise SdkbuildError(f"{model}: one array given for {len(ins)} inputs",
                                hint="give the inputs as {name: array, ...}")
        x = {ins[0].name: np.asarray(x, np.float32)}
    missing = [t.name for t in ins if t.name not in x]
    if missing:
        raise SdkbuildError(f"{model}: no value for input(s) {', '.join(missing)}",
                            hint=f"the model's inputs are {', '.join(t.name for t in ins)}")
    return {t.name: np.ascontiguousarray(np.asarray(x[t.name]).reshape(t.shape)) for t in ins}


def _fix_input_shape(m: onnx.ModelProto, name: str, shape: Sequence[int]) -> None:
    """Give the graph input `name` the fixed `shape` (dynamic dims as the .sdkm has them).
    The input is found by name: IR 3 models (onnx's light models) list every initializer as
    a graph input too, often before the data input, and graph.input[0] is then a weight
    (fixing that one wrote a stale shape onnxruntime rejects: "Can't merge shape info")."""
    for vi in m.graph.input:
        if vi.name == name:
            for d, v in zip(vi.type.tensor_type.shape.dim, shape, strict=False):
                d.dim_value = v
            return
    raise SdkbuildError(f"{name!r} is not an input of the ONNX graph", hint="convert the model again")


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

def _open_runtime(runtime_name: str, model: str, feeds: Feeds, threads: int, lib: str) -> Callable[[], np.ndarray]:
    """The runtime with `model` loaded: a function that runs it once on `feeds` (first output)."""
    if runtime_name == "engine":
        from . import runtime

        eng = runtime.Engine(lib)
        sess = eng.load(model).session(threads)

        def run() -> np.ndarray:
            return next(iter(sess.run(feeds).values()))
        return run
    if runtime_name == "ncnn":
        import ncnn

        net = ncnn.Net()
        net.opt.use_vulkan_compute = False
        net.opt.num_threads = threads
        # fp32 throughout, like the other fp32 rows (ncnn would otherwise store fp16 where the CPU has F16C)
        net.opt.use_fp16_storage = net.opt.use_fp16_packed = net.opt.use_fp16_arithmetic = False
        net.opt.use_bf16_storage = False
        if net.load_param(model) != 0 or net.load_model(str(Path(model).with_suffix(".bin"))) != 0:
            raise SystemExit(f"ncnn could not load {model}")
        x = next(iter(feeds.values()))
        xin = np.ascontiguousarray(x.reshape(x.shape[1:]))  # ncnn.Mat borrows this buffer: keep it alive
        mat = ncnn.Mat(xin)

        def run() -> np.ndarray:
            ex = net.create_extractor()
            ex.input("in0", mat)
            rc, out = ex.extract("out0")
            if rc != 0:
                raise SystemExit(f"ncnn extract failed ({rc})")
            _ = xin
            return np.array(out)
        return run
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL  # its best (also the default)
    osess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])

    def run() -> np.ndarray:
        return osess.run(None, feeds)[0]
    return run


def _import_runtime(runtime_name: str) -> None:
    """Imports the runtime's Python module, so that model RSS (what loading and running the model
    adds) does not count the module: onnxruntime's is ~31 MiB, sdkbuild.runtime's ~16 MiB (its
    .sdkm module imports ml_dtypes for the storage types), ncnn's ~5.5 MiB; what an app links
    instead (the engine's library, onnxruntime's or ncnn's native library) is not a model's."""
    import importlib

    importlib.import_module({"engine": "sdkbuild.runtime", "ncnn": "ncnn"}.get(runtime_name, "onnxruntime"))


def serve(runtime_name: str, model: str, inp: str, threads: int, lib: str, warmup: int, output: str) -> None:
    """A measuring child (python -m sdkbuild.bench serve ...): loads the model, warms up, writes
    the output to `output` and says {"ready": ...}; then answers one JSON line per command
    read from stdin:

    {"runs": N, "idle_ms": [lo, hi], "seed": S}: N timed runs, each after a sleep drawn from
    U[lo, hi] ms when idle_ms is given (an app that idles between inferences): {"ms": [...],
    "vcsw": [...], "ivcsw": [...]}, the voluntary and involuntary context switches of the
    whole process (all its threads) inside each timed run, counts that timing noise cannot
    fake (a thread that blocks on a futex mid-run, e.g. a worker sleeping on a condvar or
    a mutex, adds a voluntary one); {"quit": true}: {"peak_rss_kb", "model_rss_kb"}, exit.

    Children of several runtimes stay alive side by side, so the parent interleaves them in
    rounds (one time window for all peers) while each process's RSS stays its own."""
    import random

    with np.load(inp) as z:
        feeds = {k: z[k] for k in z.files}
    _import_runtime(runtime_name)
    rss_before = _rss_kb()
    run = _open_runtime(runtime_name, model, feeds, threads, lib)
    out = run()
    for _ in range(warmup - 1):
        out = run()
    np.save(output, np.asarray(out, np.float32))

    def say(obj: dict) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    say({"ready": True})
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd.get("quit"):
            say({"peak_rss_kb": _peak_rss_kb(), "model_rss_kb": max(_rss_kb() - rss_before, 0)})
            return
        idle = cmd.get("idle_ms")
        rng = random.Random(cmd.get("seed", 0))
        ms, vcsw, ivcsw = [], [], []
        for _ in range(int(cmd["runs"])):
            if idle:
                time.sleep(rng.uniform(idle[0], idle[1]) / 1000.0)
            r0 = resource.getrusage(resource.RUSAGE_SELF)
            t0 = time.perf_counter()
            run()
            t1 = time.perf_counter()
            r1 = resource.getrusage(resource.RUSAGE_SELF)
            ms.append((t1 - t0) * 1000.0)
            vcsw.append(r1.ru_nvcsw - r0.ru_nvcsw)
            ivcsw.append(r1.ru_nivcsw - r0.ru_nivcsw)
        say({"ms": ms, "vcsw": vcsw, "ivcsw": ivcsw})


class _Child:
    """A `serve` child seen from the parent; every failure becomes `self.error`."""

    def __init__(self, runtime_name: str, model: Path, inp: Path, threads: int, lib: Path, warmup: int,
                 out: Path) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parent.parent),
                                                           os.environ.get("PYTHONPATH", "")]))
        self.error: str | None = None
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sdkbuild.bench", "serve", {"onnxruntime": "ort"}.get(runtime_name, runtime_name),
             str(model), str(inp), str(threads), str(lib), str(warmup), str(out)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True, env=env)
        self.ms: list[float] = []
        self.vcsw: list[int] = []
        self.idle_ms: list[float] = []
        self.idle_vcsw: list[int] = []
        self._reply()
        self.settle()

    def _reply(self) -> dict:
        if self.error:
            return {}
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            self.proc.wait()
            self.stderr.seek(0)
            lines = self.stderr.read().decode(errors="replace").strip().splitlines()
            self.error = (lines or [f"exited with status {self.proc.returncode}"])[-1][:300]
            return {}
        return json.loads(line)

    def ask(self, cmd: dict) -> dict:
        if self.error:
            return {}
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(cmd) + "\n")
            self.proc.stdin.flush()
        except OSError:
            pass  # it died: _reply reads its message
        return self._reply()

    def batch(self, runs: int, idle_ms: tuple[float, float] | None, seed: int) -> None:
        r = self.ask({"runs": runs, "idle_ms": list(idle_ms) if idle_ms else None, "seed": seed})
        if r:
            (self.idle_ms if idle_ms else self.ms).extend(r["ms"])
            (self.idle_vcsw if idle_ms else self.vcsw).extend(r["vcsw"])
        self.settle()

    def settle(self, cap_s: float = SETTLE_CAP_S) -> None:
        """Wait (at most cap_s) until none of the child's threads is running or runnable.

        Thread pools spin on after a batch returns (OpenMP's and onnxruntime's for tens of
        ms); the peer whose batch came next would pay for that spinning on a 2-core machine,
        so which peer ran before would decide its figures. Linux only (/proc); elsewhere a no-op.
        """
        tasks = Path(f"/proc/{self.proc.pid}/task")
        deadline = time.monotonic() + cap_s
        while time.monotonic() < deadline:
            try:
                states = [(t / "stat").read_text().rsplit(")", 1)[1].split()[0] for t in tasks.iterdir()]
            except OSError:  # no /proc, the child exited, or a thread ended while read: nothing to wait for
                return
            if not any(s == "R" for s in states):
                return
            time.sleep(0.001)

    def finish(self) -> dict:
        r = self.ask({"quit": True})
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()
        return r


def _stats(c: _Child, rss: dict) -> dict:
    """The row figures of one runtime: steady runs, and runs after idle periods if any."""
    ms = c.ms
    mn = min(ms)
    res = {"median_ms": statistics.median(ms), "min_ms": mn, "runs": len(ms),
           "slow_frac": sum(t > 1.25 * mn for t in ms) / len(ms), "vcsw_per_run": statistics.mean(c.vcsw),
           **rss}
    if c.idle_ms:
        q = statistics.quantiles(c.idle_ms, n=10) if len(c.idle_ms) > 1 else [c.idle_ms[0]] * 9
        res.update({"idle_median_ms": statistics.median(c.idle_ms), "idle_min_ms": min(c.idle_ms),
                    "idle_p90_ms": q[8], "idle_runs": len(c.idle_ms),
                    # against the steady minimum: how many runs after idle are not at full speed
                    "idle_slow_frac": sum(t > 1.25 * mn for t in c.idle_ms) / len(c.idle_ms),
                    "idle_vcsw_per_run": statistics.mean(c.idle_vcsw)})
    return res


LOAD_MODES = {
    "mmap": "sdk_model_load_file: the file mapped read-only, weights used in place",
    "copy": "the file read into a heap buffer the engine uses (sdk_model_load_file before mapping)",
    "bytes": "the file read by the caller and copied by the engine (sdk_model_load_memory; Java byte[]/stream)",
}


def load_child(mode: str, model: str, lib: str) -> dict:
    """Runs in a measuring subprocess: the memory one model load adds. The high-water mark is
    reset to the current RSS first (/proc/self/clear_refs), so the peak is the load's own."""
    from . import runtime

    eng = runtime.Engine(lib)
    path = Path(model)
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    rss0, anon0, file0 = _rss_kb(), _status_kb("RssAnon"), _status_kb("RssFile")
    t0 = time.perf_counter()
    if mode == "mmap":
        m = eng.load(path)
    elif mode == "copy":
        size = path.stat().st_size
        block = np.empty(size + 64, np.uint8)
        buf = block[(-block.ctypes.data) % 64:][:size]
        with open(path, "rb") as f:
            f.readinto(memoryview(buf))
        m = eng.load_in_place(buf)  # the heap copy is the model's memory, as the old load_file made it
    elif mode == "bytes":
        m = eng.load(path.read_bytes())  # the temporary bytes object is freed on return
    else:
        raise SystemExit(f"unknown load mode {mode!r}")
    ms = (time.perf_counter() - t0) * 1000.0
    out = {"load_ms": ms, "load_peak_kb": max(_peak_rss_kb() - rss0, 0), "private_kb": _status_kb("RssAnon") - anon0,
           "file_backed_kb": _status_kb("RssFile") - file0, "model_bytes": path.stat().st_size}
    m.close()
    return out


def measure_load(model: Path, lib: Path, repeats: int = 3) -> list[dict]:
    """Peak RSS while loading `model` on the engine, per load mode (median of `repeats` processes)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parent.parent),
                                                       os.environ.get("PYTHONPATH", "")]))
    rows = []
    for mode in LOAD_MODES:
        runs = []
        for _ in range(repeats):
            r = subprocess.run([sys.executable, "-m", "sdkbuild.bench", "load", mode, str(model), str(lib)],
                               capture_output=True, text=True, env=env)
            if r.returncode != 0:
                runs = [{"error": (r.stderr.strip().splitlines() or ["failed"])[-1]}]
                break
            runs.append(json.loads(r.stdout.strip().splitlines()[-1]))
        if "error" in runs[0]:
            rows.append({"mode": mode, **runs[0]})
            continue
        med = {k: statistics.median(x[k] for x in runs) for k in runs[0]}
        rows.append({"mode": mode, **med})
    return rows


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def _error_text(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return (text[0] if text else type(e).__name__)[:300]


def run(models: Sequence[BenchModel], work: Path, threads: Sequence[int] = (1, 2), runs: int = 20,
        warmup: int = 3, progress: Callable[[dict], None] | None = None, buildtype: str = "minsize",
        rounds: int = 5, idle_ms: tuple[float, float] | None = None, loads: bool = True,
        console: object | None = None, ncnn_tools: Mapping[str, Path] | None = None,
        ncnn_int8_method: str = "best") -> tuple[list[dict], Path]:
    """Measure every configuration; returns the rows and the engine library used.

    Per model, dtype and thread count the runtimes' children run side by side: `rounds`
    rounds, each a batch of runs/rounds runs on every runtime in turn (the order rotating
    each round), so engine and peers share one time window and a burst of load on the
    machine hits all of them. With `idle_ms` (lo, hi), every round also runs a batch on each
    runtime with a sleep of U[lo, hi] ms before every run (an app idling between inferences),
    reported against the steady runs. A model that fails (conversion, missing op, a runtime
    crashing) gives error rows; the others go on. Progress: a rich bar with the time left
    (on stderr; `console` = a rich Console to draw on). `ncnn_tools` (ncnnoptimize,
    ncnn2table, ncnn2int8 paths) adds ncnn int8 rows, calibrated by `ncnn_int8_method`."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from . import runtime, sdkm

    if runs < 10:
        raise SdkbuildError(f"--runs {runs} is too few", hint="use >= 10: the median of fewer runs is noise")
    if rounds < 1 or rounds > runs:
        raise SdkbuildError(f"{rounds} rounds for {runs} runs", hint="use 1 <= rounds <= runs")
    if idle_ms is not None and not (0 <= idle_ms[0] <= idle_ms[1]):
        raise SdkbuildError(f"idle period {idle_ms[0]}-{idle_ms[1]} ms is not a range",
                            hint="give LO,HI with 0 <= LO <= HI (e.g. 50,200)")
    work.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []

    def emit(row: dict) -> None:
        rows.append(row)
        if progress:
            progress(row)

    def fail(bm: BenchModel, why: str) -> None:
        emit({"model": bm.name, "dtype": "fp32", "threads": threads[0], "runtime": "(model)", "error": why})

    prog = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=console if console is not None else Console(stderr=True), transient=True)
    per_group = rounds * (2 if idle_ms else 1)
    with prog:
        task = prog.add_task("preparing", total=len(models) * (1 + 2 * len(threads) * per_group))
        files: dict[str, dict[str, Path]] = {}
        for bm in models:
            prog.update(task, description=f"{bm.name}: converting")
            try:
                files[bm.name] = prepare(work, bm, ncnn_tools, ncnn_int8_method)
            except Exception as e:  # noqa: BLE001 - any failure of one model is that model's error row
                fail(bm, f"preparing: {_error_text(e)}")
            prog.advance(task)
        have = set(runtime.available_ops())
        ok: list[BenchModel] = []
        for bm in models:
            if bm.name not in files:
                continue
            f = files[bm.name]
            used = {op for k in ("sdkm_fp32", "sdkm_int8") if k in f for op in sdkm.read(f[k]).ops_used()}
            if used - have:
                fail(bm, f"the engine has no {', '.join(sorted(used - have))} op")
                continue
            ok.append(bm)
        needed = sorted({op for bm in ok for k in ("sdkm_fp32", "sdkm_int8") if k in files[bm.name]
                         for op in sdkm.read(files[bm.name][k]).ops_used()})
        prog.update(task, description=f"building the engine ({buildtype})")
        lib = build_engine(work, needed or ["Relu"], buildtype)
        for bm in ok:
            f = files[bm.name]
            ref_out = work / f"{bm.name}.ref.npy"
            prog.update(task, description=f"{bm.name}: reference")
            ref_child = _Child("onnxruntime", f["onnx_fp32"], f["input"], 1, lib, 1, ref_out)
            ref_child.finish()
            if ref_child.error:  # every cosine is measured against this run: nothing to compare without it
                fail(bm, f"onnxruntime (the reference) could not run it: {ref_child.error}")
                continue
            ref = np.load(ref_out)
            for dtype in ("fp32", "int8"):
                for t in threads:
                    if f"sdkm_{dtype}" not in f:
                        prog.advance(task, per_group)
                        continue
                    peers = [("engine", f[f"sdkm_{dtype}"]), ("onnxruntime", f[f"onnx_{dtype}"])]
                    if f"ncnn_{dtype}" in f:
                        peers.append(("ncnn", f[f"ncnn_{dtype}"]))
                    prog.update(task, description=f"{bm.name} {dtype} x{t}: loading")
                    outs = {rt: work / f"{bm.name}.{dtype}.{rt}.{t}.npy" for rt, _ in peers}
                    children = {rt: _Child(rt, model, f["input"], t, lib, warmup, outs[rt]) for rt, model in peers}
                    order = list(children)
                    for k in range(rounds):
                        prog.update(task, description=f"{bm.name} {dtype} x{t}: round {k + 1}/{rounds}")
                        n = runs * (k + 1) // rounds - runs * k // rounds
                        for rt in order[k % len(order):] + order[:k % len(order)]:
                            children[rt].batch(n, None, k)
                        prog.advance(task)
                        if idle_ms:
                            for rt in order[k % len(order):] + order[:k % len(order)]:
                                children[rt].batch(n, idle_ms, k)
                            prog.advance(task)
                    for rt, c in children.items():
                        rss = c.finish()
                        row = {"model": bm.name, "dtype": dtype, "threads": t, "runtime": rt}
                        if rt == "ncnn" and dtype == "int8" and "ncnn_int8_info" in f:
                            row["ncnn_calibration"] = json.loads(f["ncnn_int8_info"].read_text())["method"]
                        if c.error or not c.ms:
                            emit({**row, "error": c.error or "no runs"})
                            continue
                        try:
                            cos = cosine(np.load(outs[rt]), ref)
                        except ValueError as e:  # different sizes: the runtimes disagree on the output
                            cos = float("nan")
                            print(f"{bm.name} {dtype} {rt}: output not comparable ({e})", file=sys.stderr)
                        emit({**row, **_stats(c, rss), "cosine_vs_ort_fp32": cos})
            if loads:
                prog.update(task, description=f"{bm.name}: load memory")
                for lr in measure_load(f["sdkm_fp32"], lib):
                    emit({"model": bm.name, "dtype": "fp32", "threads": 1, "runtime": f"engine load ({lr['mode']})",
                          "kind": "load", **lr})
    (work / "results.json").write_text(json.dumps(rows, indent=1) + "\n")
    return rows, lib


def cpu_flags() -> list[str]:
    """The SIMD features that matter to the kernels (x86 from /proc/cpuinfo; else the Features line)."""
    want = ["avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile",
            "amx_int8", "amx_bf16", "asimd", "asimddp", "fphp", "i8mm", "sve"]
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                have = set(line.split(":", 1)[1].split())
                return [f for f in want if f in have]
    except OSError:
        pass
    return []


def ort_reduce_range(flags: Sequence[str] | None = None, machine: str | None = None) -> bool:
    """Whether onnxruntime's int8 model gets 7-bit weights (quantize_static's reduce_range): on
    x86 without VNNI, where its quantization docs advise it (the u8s8 VPMADDUBSW kernels add two
    products into saturating int16: on an AVX2-only AMD EPYC its int8 outputs drifted to cosine
    0.86 against fp32 on ResNet-50, 0.88 on MobileNetV2, without it)."""
    flags = cpu_flags() if flags is None else flags
    machine = (machine or platform.machine()).lower()
    x86 = machine in ("x86_64", "amd64", "i386", "i686", "x86")
    return x86 and not {"avx512_vnni", "avx_vnni"} & set(flags)


def _geomean(xs: Sequence[float]) -> float:
    return float(np.exp(np.mean(np.log(xs))))


def ratio_table(rows: Sequence[dict]) -> list[str]:
    """Markdown: engine/onnxruntime and engine/ncnn (median over median) per model and per
    (dtype, threads), then their geomean and the worst model per column."""
    timed = [r for r in rows if r.get("kind") != "load"]
    configs = sorted({(r["dtype"], r["threads"]) for r in timed if r["runtime"] != "(model)"},
                     key=lambda c: (c[0] != "fp32", c[1]))
    cols = [(d, t, peer) for d, t in configs for peer in ("onnxruntime", "ncnn")
            if any(r["runtime"] == peer and r["dtype"] == d for r in timed)]
    if not cols:
        return []
    med = {(r["model"], r["dtype"], r["threads"], r["runtime"]): r.get("median_ms") for r in timed}
    models = list(dict.fromkeys(r["model"] for r in timed))
    failed = {r["model"]: r["error"] for r in timed if r["runtime"] == "(model)"}
    short = {"onnxruntime": "ort", "ncnn": "ncnn"}
    lines = ["| model | " + " | ".join(f"{d} x{t} engine/{short[p]}" for d, t, p in cols) + " |",
             "| --- |" + " ---: |" * len(cols)]
    per_col: dict[tuple, list[float]] = {c: [] for c in cols}
    for m in models:
        if m in failed:
            lines.append(f"| {m} | error: {failed[m]} |" + " |" * (len(cols) - 1))
            continue
        cells = []
        for c in cols:
            d, t, p = c
            e, o = med.get((m, d, t, "engine")), med.get((m, d, t, p))
            if (m, d, t, "engine") not in med or (m, d, t, p) not in med:
                cells.append("")  # not measured (no int8 model, not exportable to ncnn, ...)
            elif e is None or o is None:
                cells.append("error")
            else:
                per_col[c].append(e / o)
                cells.append(f"{e / o:.2f}")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    lines.append("| **geomean** | " + " | ".join(f"**{_geomean(per_col[c]):.2f}**" if per_col[c] else ""
                                                   for c in cols) + " |")
    lines.append("| worst | " + " | ".join(f"{max(per_col[c]):.2f}" if per_col[c] else "" for c in cols) + " |")
    return lines


def idle_table(rows: Sequence[dict]) -> list[str]:
    idle = [r for r in rows if "idle_median_ms" in r]
    if not idle:
        return []
    lines = ["| model | dtype | threads | runtime | steady median ms | steady min ms | steady runs > 1.25x min | "
             "after idle: median ms | p90 ms | runs > 1.25x steady min | vol. ctx switches / run: steady | "
             "after idle |",
             "| --- | --- | ---: | --- |" + " ---: |" * 8]
    for r in idle:
        lines.append(f"| {r['model']} | {r['dtype']} | {r['threads']} | {r['runtime']} | {r['median_ms']:.3f} | "
                     f"{r['min_ms']:.3f} | {r['slow_frac']:.0%} | {r['idle_median_ms']:.3f} | {r['idle_p90_ms']:.3f} | "
                     f"{r['idle_slow_frac']:.0%} | {r['vcsw_per_run']:.2f} | {r['idle_vcsw_per_run']:.2f} |")
    return lines


def render_markdown(rows: Sequence[dict], lib: Path, runs: int, warmup: int, load: tuple[float, float],
                    rounds: int = 5, idle_ms: tuple[float, float] | None = None) -> str:
    import onnxruntime as ort

    from . import runtime

    with runtime.Engine(lib) as eng:
        info = eng.build_info
    peers = f"onnxruntime {ort.__version__}"
    if any(r["dtype"] == "int8" and r["runtime"] == "onnxruntime" for r in rows):
        peers += (" (int8: quant_pre_process, then QDQ per-channel" +
                  (", 7-bit weights as its docs advise without VNNI" if ort_reduce_range() else "") + ")")
    if any(r["runtime"] == "ncnn" for r in rows):
        import ncnn

        cal = sorted({f"{r['model']} {r['ncnn_calibration']}" for r in rows if r.get("ncnn_calibration")})
        peers += (f", ncnn {ncnn.__version__} (fp32" + ("; int8 by its own ncnnoptimize + ncnn2table + ncnn2int8 on "
                  "the same calibration samples, KL or ACIQ: whichever output is closer to fp32 on them ("
                  + ", ".join(cal) + ")" if cal else "") + "; fp16/bf16 storage off)")
    flags = cpu_flags()
    lines = [
        "# Engine vs onnxruntime" + (" and ncnn" if "ncnn" in peers else ""),
        "",
        f"Machine: **{cpu_model()}** ({', '.join(flags) or 'no SIMD flags read'}), {os.cpu_count()} logical CPUs, "
        f"{platform.system()} {platform.machine()}; load average {load[0]:.2f} at the start, {load[1]:.2f} at the "
        "end. "
        f"{peers}; engine {info.get('version')} ({', '.join(info.get('isa', [])) or 'ref'}, "
        f"{'minsize build as SDKs ship it' if 'minsize' in str(lib) else 'release build'}, "
        f"compiler {info.get('compiler', '?')}).",
        f"{runs} timed runs after {warmup} warm-up runs per configuration, batch 1, interleaved: the runtimes "
        f"of a model, dtype and thread count run side by side in their own processes, {rounds} rounds of "
        f"{runs // rounds}-{-(-runs // rounds)} runs each in turn (rotating order), so they share one time window; "
        f"after each batch the next waits until the last one's threads are asleep (at most {SETTLE_CAP_S * 1000:.0f} "
        "ms: pools spin on after returning, and the next peer would pay for it). "
        "The machine may be shared, so treat small differences as noise (under load the min column is the "
        "steadier figure).",
    ]
    ratios = ratio_table(rows)
    if ratios:
        lines += ["", "## Summary: engine time / peer time (medians; < 1 = the engine is faster)", "", *ratios]
    it = idle_table(rows)
    if it:
        lo, hi = idle_ms or (0, 0)
        lines += ["", "## Runs after idle periods", "",
                  f"Each round also ran every runtime with a sleep of U[{lo:g}, {hi:g}] ms before each run (an app "
                  "that idles between inferences), against the steady runs of the same rounds. Voluntary context "
                  "switches are the whole process's (every thread) inside the timed runs: a thread blocking "
                  "mid-run (a worker sleeping on a futex) adds one; timing noise cannot.", "", *it]
    lines += [
        "",
        "## Details",
        "",
        "Peak RSS is the whole process (Python + runtime + model); model RSS is what loading and running the "
        "model added, once the runtime's Python module is imported (sdkbuild.runtime, onnxruntime, ncnn). cosine = output vs onnxruntime fp32 on the same input. slow = runs slower than 1.25x "
        "the minimum; vcsw = voluntary context switches per run (whole process).",
        "",
        "| model | dtype | threads | runtime | median ms | min ms | slow | vcsw | peak RSS MiB | model RSS MiB "
        "| cosine |",
        "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        if r.get("kind") == "load":
            continue
        if "error" in r:
            lines.append(f"| {r['model']} | {r['dtype']} | {r['threads']} | {r['runtime']} | error: {r['error']} "
                         "| | | | | | |")
            continue
        lines.append(
            f"| {r['model']} | {r['dtype']} | {r['threads']} | {r['runtime']} | {r['median_ms']:.3f} | "
            f"{r['min_ms']:.3f} | {r['slow_frac']:.0%} | {r['vcsw_per_run']:.2f} | {r['peak_rss_kb'] / 1024:.1f} | "
            f"{r['model_rss_kb'] / 1024:.1f} | {r['cosine_vs_ort_fp32']:.5f} |"
        )
    loads = [r for r in rows if r.get("kind") == "load"]
    if loads:
        lines += [
            "",
            "## Loading a model: peak memory",
            "",
            "What loading one fp32 model adds to the process, median of 3 processes: the peak RSS while "
            "loading (high-water mark reset just before), and of the RSS after loading the private "
            "(anonymous) part and the file-backed part. File-backed pages are clean page-cache pages, "
            "shared between processes and sessions, which the system can drop and re-read under memory "
            "pressure; private pages count against the app. Modes: "
            + "; ".join(f"**{k}**: {v}" for k, v in LOAD_MODES.items()) + ".",
            "",
            "| model | file MiB | mode | load ms | load peak RSS MiB | private MiB | file-backed MiB |",
            "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
        ]
        for r in loads:
            if "error" in r:
                lines.append(f"| {r['model']} | | {r['mode']} | error: {r['error']} | | | |")
                continue
            lines.append(f"| {r['model']} | {r['model_bytes'] / 2**20:.2f} | {r['mode']} | {r['load_ms']:.1f} | "
                         f"{r['load_peak_kb'] / 1024:.2f} | {r['private_kb'] / 1024:.2f} | "
                         f"{r['file_backed_kb'] / 1024:.2f} |")
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
            samples = [dict(s) for s in cal.load_samples(calibration, fp32)]  # {input name: array}
        models.append(BenchModel(p.stem, p, samples))
    load0 = os.getloadavg()[0]
    rows, lib = run(models, work, threads, runs, warmup, progress)
    return render_markdown(rows, lib, runs, warmup, (load0, os.getloadavg()[0]))


if __name__ == "__main__":  # the measuring children: python -m sdkbuild.bench serve RUNTIME MODEL INPUT THREADS
    a = sys.argv[1:]       # LIB WARMUP OUT (see serve), or python -m sdkbuild.bench load MODE MODEL LIB
    if a[0] == "load":
        print(json.dumps(load_child(a[1], a[2], a[3])))
    else:
        serve(a[1], a[2], a[3], int(a[4]), a[5], int(a[6]), a[7])
