"""`sdkbuild tune`: the smallest model (and engine) within an accuracy budget.

Explores dtype x pruning x weight bits x coding on one ONNX model. Each candidate is
converted in memory (sdkbuild.convert.finish_model), then measured:
* model bytes: the .sdkm file as it would ship;
* library bytes: the engine built for `--target` with exactly the ops and dtypes the
  candidate needs (Conan cache: one build per distinct op set), stripped file size;
* host latency: median of `runs` runs of the first evaluation sample on the host engine;
* quality on the evaluation data: top-1 accuracy when it carries labels (an .npz with a
  `labels` array), else top-1 agreement with the fp32 model; plus the mean cosine of the
  first output against fp32. The drop is in percentage points against fp32.
Prints the table (Pareto-optimal rows marked: no other candidate is at least as small, as
fast and as accurate) and picks the smallest total (model + library) within the budget;
`--write` records that choice in sdk.toml's [models.<stem>] table.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import sdkm
from .convert import Compression, convert_model_report, finish_model, load_onnx
from .convert.calibration import load_samples
from .errors import SdkbuildError

PRUNE_LEVELS = (0.3, 0.5, 0.7, 0.8)
WEIGHT_BITS = (8, 4, 3)


@dataclass(frozen=True)
class Candidate:
    quantize: str | None
    compression: Compression

    @property
    def sparse(self) -> bool:
        """fp32 with pruning: the weights the sparse kernels run faster are stored sparse."""
        c = self.compression
        return not self.quantize and c.sparse and bool(c.prune or c.channels)

    def label(self) -> str:
        return (("int8" if self.quantize else "fp32") + (f", {self.compression.label()}"
                                                         if self.compression != Compression() else "")
                + (", sparse kernels" if self.sparse else ""))

    def short(self) -> str:
        """A narrow label for the table: int8 p80 w3 coded (coded candidates also strip names)."""
        c = self.compression
        parts = ["int8" if self.quantize else "fp32"]
        if c.channels:
            parts.append(f"c{round(c.channels * 100)}")
        if c.prune:
            parts.append(f"p{round(c.prune * 100)}")
        if c.weight_bits != 8:
            parts.append(f"w{c.weight_bits}")
        if c.code:
            parts.append("coded")
        if self.sparse:
            parts.append("sparse")
        return " ".join(parts)


@dataclass
class Measured:
    candidate: Candidate
    model_bytes: int = 0
    library_bytes: int | None = None
    latency_ms: float = 0.0
    load_ms: float = 0.0
    quality: float = 0.0  # accuracy or agreement, percent
    cosine: float = 0.0
    drop: float = 0.0  # percentage points below fp32
    pareto: bool = False
    error: str = ""
    ops: tuple[str, ...] = field(default=())
    dtypes: tuple[str, ...] = field(default=())

    @property
    def total_bytes(self) -> int:
        return self.model_bytes + (self.library_bytes or 0)


def candidates(calibration: bool, prune_levels: Sequence[float] = PRUNE_LEVELS,
               weight_bits: Sequence[int] = WEIGHT_BITS, channel_levels: Sequence[float] = ()) -> list[Candidate]:
    """fp32 (the reference, first), fp32 coded; with calibration data fp32 pruned at every
    pruning level (weights stored sparse where the sparse kernels are faster), plain int8,
    and int8 coded at every channel level x weight width x pruning level (0 included)."""
    out = [Candidate(None, Compression()), Candidate(None, Compression(code=True, strip_names=True))]
    if calibration:
        out += [Candidate(None, Compression(prune=p)) for p in dict.fromkeys(prune_levels) if p]
        out.append(Candidate("int8", Compression()))
        for channels in dict.fromkeys((0.0, *channel_levels)):
            for prune in dict.fromkeys((0.0, *prune_levels)):
                for bits in weight_bits:
                    out.append(Candidate("int8", Compression(prune, bits, True, True, channels)))
    return out


def _labels(path: Path) -> np.ndarray | None:
    if path.suffix == ".npz":
        with np.load(path) as z:
            for key in ("labels", "label"):
                if key in z.files:
                    return np.asarray(z[key]).reshape(-1)
    return None


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.reshape(-1).astype(np.float64), b.reshape(-1).astype(np.float64)
    den = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / den) if den > 0 else float(np.array_equal(a, b))


def _evaluate(engine, data: bytes, samples: Sequence[dict[str, np.ndarray]], runs: int, threads: int
              ) -> tuple[list[np.ndarray], float, float]:
    """First outputs on every sample, median latency (ms) and load time (ms)."""
    t0 = time.perf_counter()
    with engine.load(data) as model:
        load_ms = (time.perf_counter() - t0) * 1000
        first = model.outputs[0].name
        with model.session(threads) as s:
            outs = [s.run(x, dequantize=True)[first] for x in samples]
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                s.run(samples[0])
                times.append((time.perf_counter() - t) * 1000)
    return outs, statistics.median(times), load_ms


def _quality(outs: list[np.ndarray], ref: list[np.ndarray], labels: np.ndarray | None) -> float:
    pred = np.array([int(np.argmax(o.reshape(-1))) for o in outs])
    want = labels[: len(pred)] if labels is not None else np.array([int(np.argmax(r.reshape(-1))) for r in ref])
    return 100.0 * float(np.mean(pred == want))


def pareto(rows: list[Measured]) -> None:
    ok = [r for r in rows if not r.error]
    for r in ok:
        r.pareto = not any(
            o is not r and o.total_bytes <= r.total_bytes and o.latency_ms <= r.latency_ms and o.drop <= r.drop
            and (o.total_bytes, o.latency_ms, o.drop) != (r.total_bytes, r.latency_ms, r.drop) for o in ok)


def choose(rows: list[Measured], max_drop: float) -> Measured | None:
    ok = [r for r in rows if not r.error and r.drop <= max_drop + 1e-9]
    return min(ok, key=lambda r: (r.total_bytes, r.drop, r.latency_ms)) if ok else None


def run_tune(model_path: Path, calibration: Path | None, eval_data: Path, *, max_drop: float = 1.0,
             target: str | None = None, input_shapes: dict[str, tuple[int, ...]] | None = None,
             threads: int = 1, runs: int = 10, library: bool = True, prune_levels: Sequence[float] = PRUNE_LEVELS,
             weight_bits: Sequence[int] = WEIGHT_BITS, channel_levels: Sequence[float] = ()
             ) -> tuple[list[Measured], Measured | None]:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from .runtime import Engine, build_dev_engine

    model, data = load_onnx(model_path)
    fp32, report = convert_model_report(model, input_shapes=input_shapes, meta={"source": model_path.name})
    samples = load_samples(eval_data, fp32)
    labels = _labels(eval_data)
    if labels is not None and len(labels) < len(samples):
        raise SdkbuildError(f"{eval_data}: {len(labels)} labels for {len(samples)} samples",
                            hint="give one label per evaluation sample")
    cal = load_samples(calibration, fp32) if calibration else None
    engine = Engine(build_dev_engine())
    libsize = _LibrarySizes(target) if library else None
    grams: dict[str, np.ndarray] = {}
    rows: list[Measured] = []
    ref: list[np.ndarray] = []
    base_quality = 0.0
    todo = candidates(cal is not None, prune_levels, weight_bits, channel_levels)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), transient=False) as bar:
        task = bar.add_task("tuning", total=len(todo))
        for c in todo:
            bar.update(task, description=f"tuning: {c.label()}")
            r = Measured(c)
            try:
                m, _ = finish_model(fp32, report, quantize=c.quantize, calibration=cal,
                                    compression=c.compression, grams=grams)
                blob = sdkm.encode(m)
                r.model_bytes = len(blob)
                r.ops, r.dtypes = tuple(m.ops_used()), tuple(_engine_dtypes(m))
                outs, r.latency_ms, r.load_ms = _evaluate(engine, blob, samples, runs, threads)
                if not ref:  # the first candidate is plain fp32: the reference
                    ref = outs
                    base_quality = _quality(outs, ref, labels)
                r.quality = _quality(outs, ref, labels)
                r.drop = base_quality - r.quality
                r.cosine = float(np.mean([_cosine(o, f) for o, f in zip(outs, ref, strict=True)]))
                if libsize is not None:
                    r.library_bytes = libsize.get(r.ops, r.dtypes, sdkm.has_coded_data(blob),
                                                  sdkm.has_sparse_data(blob))
            except SdkbuildError as e:
                r.error = e.message.splitlines()[0]
            rows.append(r)
            bar.advance(task)
    pareto(rows)
    return rows, choose(rows, max_drop)


def _engine_dtypes(m: sdkm.Model) -> list[str]:
    names = set(m.dtypes_used())
    return [d for d, codes in (("fp32", {"f32"}), ("int8", {"i8", "u8"})) if names & codes] or ["fp32"]


class _LibrarySizes:
    """Stripped engine library bytes for `target` per (ops, dtypes), built through the same
    Conan + Meson path as `sdkbuild build` (cached)."""

    def __init__(self, target: str | None) -> None:
        from . import toolchains
        from .targets import get as get_target

        self.target = get_target(target or "host")
        res = toolchains.resolve(self.target)
        if res.toolchain is None:
            raise res.error()
        self.tc = res.toolchain
        self.cache: dict[tuple, int] = {}

    def get(self, ops: tuple[str, ...], dtypes: tuple[str, ...], coded: bool, sparse: bool = False) -> int:
        key = (ops, dtypes, coded, sparse)
        if key not in self.cache:
            self.cache[key] = _build_size(self.tc, self.target, ops, dtypes, coded, sparse)
        return self.cache[key]


def _build_size(tc, target, ops: tuple[str, ...], dtypes: tuple[str, ...], coded: bool, sparse: bool = False) -> int:
    """Bytes of the engine's loadable sections (what a shared library maps; for a static
    slice, what it adds to the app before dead-stripping)."""
    import tempfile

    from . import build
    from .report.size import archive_members, elf_layout

    req = build.EngineRequest(ops=tuple(sorted(ops)), dtypes=dtypes, isa=target.isa, threads=True,
                              lib_name="sdkengine", lto=False, coded=coded,  # the decoder only for coded models
                              sparse=sparse)  # the sparse kernels only for sparse models
    with tempfile.TemporaryDirectory(prefix="sdkbuild-tune-") as work:
        log = build._Log(Path(work) / "build.log")
        try:
            eb = build.build_engine(tc, req, Path(work), log, jobs=2)
        except build.TargetFailed as e:
            raise SdkbuildError(f"building the engine for {target.name} failed: {e}",
                                hint=f"see {Path(work) / 'build.log'}") from None
        if tc.library_kind == "static":
            return sum(len(data) for _, data in archive_members(eb.library))
        return int(sum(elf_layout(eb.library)["sections"].values()))


def table_rows(rows: list[Measured], chosen: Measured | None, labelled: bool) -> list[list[str]]:
    out = []
    for r in sorted(rows, key=lambda r: (bool(r.error), r.total_bytes)):
        if r.error:
            out.append([r.candidate.short(), "-", "-", "-", "-", "-", "-", "-", "", r.error[:60]])
            continue
        mark = ("chosen" if r is chosen else "") + (" pareto" if r.pareto else "")
        out.append([r.candidate.short(), f"{r.model_bytes:,}",
                    f"{r.library_bytes:,}" if r.library_bytes is not None else "-",
                    f"{r.total_bytes:,}" if r.library_bytes is not None else "-",
                    f"{r.latency_ms:.2f}", f"{r.load_ms:.1f}", f"{r.quality:.2f}", f"{r.drop:+.2f}",
                    f"{r.cosine:.4f}", mark.strip()])
    return out


def write_choice(config_path: Path, stem: str, chosen: Measured, calibration: Path | None) -> None:
    """Record the chosen configuration in sdk.toml's [models.<stem>] table (comments kept)."""
    import tomlkit

    from .fileio import write_atomic

    doc = tomlkit.parse(config_path.read_text())
    models = doc.setdefault("models", tomlkit.table())
    files = [Path(f).stem for f in models.get("files", [])]
    if stem not in files:
        raise SdkbuildError(f"{config_path}: [models] files does not list a model named {stem!r}",
                            hint="add the model to [models] files first")
    t = tomlkit.table()
    c = chosen.candidate.compression
    if chosen.candidate.quantize:
        t["quantize"] = chosen.candidate.quantize
    if (chosen.candidate.quantize or c.prune or c.channels) and calibration is not None:
        rel = calibration.resolve()
        try:
            rel = rel.relative_to(config_path.resolve().parent)
        except ValueError:
            pass
        t["calibration"] = str(rel)
    for key, value, default in (("prune", c.prune, 0.0), ("prune_channels", c.channels, 0.0),
                                ("weight_bits", c.weight_bits, 8),
                                ("compress", c.code, False), ("strip_names", c.strip_names, False)):
        if value != default:
            t[key] = value
    models[stem] = t
    write_atomic(config_path, tomlkit.dumps(doc).encode())
