"""ONNX -> .sdkm conversion (`sdkbuild convert`).

Pipeline: `f16.widen_float16` (a float16 model computes in float32) -> `importer` (ONNX opsets 7 to the newest onnx knows -> ir.Graph with static shapes,
constant folding, per-op lowering from the registry filled by `ops/`) -> `passes` (BN folding, activation fusion, ...) ->
`export.to_sdkm` (-> sdkm.Model) -> optional `quantize` (int8) -> `banding` (a large
Conv + MaxPool computed in row bands, to lower the peak memory) -> `sdkm.write` (atomic).

Public API:
    convert_model(onnx.ModelProto, input_shapes=...) -> sdkm.Model
    convert_model_report(onnx.ModelProto, ...) -> (sdkm.Model, ConversionReport)
    convert_file(onnx_path, out_path, input_shapes=...) -> ConversionReport
    parse_input_shape("name=1,3,224,224") -> (name, shape)
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from google.protobuf.message import DecodeError

from .. import __version__, sdkm
from ..errors import SdkbuildError
from ..fileio import write_atomic
from . import compress, passes
from .banding import band_conv_pools
from .compress import NO_COMPRESSION, Compression
from .export import to_sdkm
from .f16 import widen_float16
from .importer import Importer
from .storage import widen_storage

_I8 = 2  # sdkm dtype code of int8
_REFIT_SAMPLES = 1024  # calibration samples used to refit pruned layers (bounds the time)

__all__ = [
    "Compression", "ConversionReport", "convert_file", "convert_model", "convert_model_report", "finish_model",
    "load_onnx", "parse_input_shape",
]


@dataclass(frozen=True)
class ConversionReport:
    source: str
    output: str | None
    opset: int
    ops: dict[str, int]  # op type -> count in the converted model
    tensors: int
    weights_bytes: int
    constants_folded: int
    rewrites: dict[str, int] = field(default_factory=dict)  # pass name -> rewrites made
    inputs: dict[str, tuple[int, ...]] = field(default_factory=dict)
    outputs: dict[str, tuple[int, ...]] = field(default_factory=dict)
    file_bytes: int | None = None  # size of the written .sdkm
    encrypted: bool = False

    def summary_lines(self) -> list[str]:
        ops = ", ".join(f"{k} x{v}" for k, v in sorted(self.ops.items()))
        done = [f"{self.constants_folded} constants folded"] + [
            f"{v} {k}" for k, v in self.rewrites.items() if v
        ]
        fmt = lambda d: ", ".join(f"{k} {'x'.join(map(str, s))}" for k, s in d.items())  # noqa: E731
        size = f"; file: {self.file_bytes:,} bytes" if self.file_bytes is not None else ""
        size += " (AES-256-GCM encrypted)" if self.encrypted else ""
        return [
            f"ops ({sum(self.ops.values())}): {ops}",
            f"tensors: {self.tensors}, weights: {self.weights_bytes:,} bytes{size}",
            f"inputs: {fmt(self.inputs)}; outputs: {fmt(self.outputs)}",
            "passes: " + ", ".join(done),
        ]


def parse_input_shape(text: str) -> tuple[str, tuple[int, ...]]:
    """`name=1,3,224,224` -> ("name", (1, 3, 224, 224))."""
    name, sep, dims = text.rpartition("=")
    try:
        shape = tuple(int(d) for d in dims.replace("x", ",").split(",") if d.strip())
    except ValueError:
        shape = ()
    if not sep or not name or not shape or any(d < 1 for d in shape):
        raise SdkbuildError(
            f"bad --input-shape {text!r}", hint="write NAME=D0,D1,... with positive sizes, e.g. input=1,3,224,224"
        )
    return name, shape


def load_onnx(path: str | Path) -> tuple[onnx.ModelProto, bytes]:
    """Read and parse an ONNX file; returns the model and the file's bytes."""
    p = Path(path)
    if p.is_dir():
        raise SdkbuildError(f"{p} is a folder, not a model file", hint="pass the path of a .onnx file")
    if not p.is_file():
        raise SdkbuildError(f"model file not found: {p}", hint="check the path")
    data = p.read_bytes()
    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError) as e:
        raise SdkbuildError(f"{p} is not an ONNX model ({type(e).__name__})",
                            hint="pass a .onnx file exported by an ONNX exporter") from None
    if model.ir_version <= 0 or not model.opset_import or not model.graph.node:
        raise SdkbuildError(f"{p} is not an ONNX model (no graph, opset or IR version)",
                            hint="pass a .onnx file exported by an ONNX exporter")
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer):
        try:
            onnx.load_external_data_for_model(model, str(p.parent))
        except (OSError, ValueError, onnx.checker.ValidationError) as e:
            raise SdkbuildError(f"{p}: cannot load its external weight data: {e}",
                                hint="keep the .onnx file next to its data files") from None
    return model, data


def convert_model(
    model: onnx.ModelProto,
    *,
    input_shapes: dict[str, tuple[int, ...]] | None = None,
    meta: dict | None = None,
) -> sdkm.Model:
    """An in-memory ONNX model as a .sdkm Model (see convert_model_report for the figures)."""
    return convert_model_report(model, input_shapes=input_shapes, meta=meta)[0]


def convert_model_report(
    model: onnx.ModelProto,
    *,
    input_shapes: dict[str, tuple[int, ...]] | None = None,
    meta: dict | None = None,
) -> tuple[sdkm.Model, ConversionReport]:
    model, widened = widen_float16(model)
    model, stored = widen_storage(model)
    imp = Importer(model, input_shapes)
    opset = imp.opset
    g = imp.run()
    stats = {"float16 computed as float32": widened, **imp.rewrites}
    if stored:
        stats["storage types computed wide"] = stored
    stats.update(passes.run_all(g))
    full_meta = {"producer": f"sdkbuild {__version__}", "opset": opset}
    full_meta.update(meta or {})
    m = to_sdkm(g, full_meta)
    return m, _report(m, opset, imp.folded, stats)


def _report(m: sdkm.Model, opset: int, folded: int, stats: dict[str, int], output: str | None = None
            ) -> ConversionReport:
    ops: dict[str, int] = {}
    for n in m.nodes:
        ops[n.op] = ops.get(n.op, 0) + 1
    return ConversionReport(
        source=str(m.meta.get("source", "")),
        output=output,
        opset=opset,
        ops=ops,
        tensors=len(m.tensors),
        weights_bytes=sum(t.nbytes for t in m.tensors if t.data is not None),
        constants_folded=folded,
        rewrites=stats,
        inputs={m.tensors[i].name: m.tensors[i].shape for i in m.inputs},
        outputs={m.tensors[i].name: m.tensors[i].shape for i in m.outputs},
    )


def finish_model(
    m: sdkm.Model,
    report: ConversionReport,
    *,
    quantize: str | None = None,
    calibration: str | Path | Sequence[Mapping[str, np.ndarray]] | None = None,
    calibration_method: str = "mse",
    compression: Compression = NO_COMPRESSION,
    grams: dict[str, np.ndarray] | None = None,
) -> tuple[sdkm.Model, ConversionReport]:
    """The steps after import on the fp32 model `m` (left unchanged): pruning with refit,
    int8 quantization, row banding, then the compression of what is stored. `grams`: a
    cache of compress.layer_grams(m, ...) shared by calls on the same model and samples."""
    stats = dict(report.rewrites)
    if quantize and quantize != "int8":
        raise SdkbuildError(f"quantization {quantize!r} is not available", hint="supported: int8")
    if quantize and calibration is None:
        raise SdkbuildError("--quantize int8 needs --calibration DIR_OR_NPY")
    if compression.weight_bits != 8 and not quantize:
        raise SdkbuildError(f"{compression.weight_bits}-bit weights need int8 quantization",
                            hint="add --quantize int8 (and --calibration)")
    samples = None
    if calibration is not None and (quantize or compression.prune or compression.channels):
        from .calibration import load_samples  # lazy: calibration loads onnxruntime

        samples = load_samples(calibration, m) if isinstance(calibration, str | Path) else list(calibration)
    work = copy.deepcopy(m)
    if compression.prune or compression.channels:
        if samples is None:
            raise SdkbuildError("pruning refits the remaining weights on calibration data",
                                hint="pass --calibration DIR_OR_NPY (inputs like the model's, not the evaluation set)")
        if grams is None:
            grams = {}
        if not grams:
            grams.update(compress.layer_grams(m, samples[:_REFIT_SAMPLES]))
        layer_grams, dense = grams, m
        if compression.channels:
            removed, layer_grams = compress.prune_channels(work, compression.channels, grams)
            stats["channels removed (conv chains shrunk, reading convs refit)"] = removed
            dense = copy.deepcopy(work)  # the reference of the unstructured refit below
        if compression.prune:
            zeroed = compress.prune(work, compression.prune)
            stats[f"weights pruned to {compression.prune:.0%} sparsity"] = zeroed
            stats["pruned layers refit on calibration data"] = compress.reconstruct(work, dense, layer_grams)
    if quantize:
        from .quantize import quantize_model

        qm = quantize_model(work, samples, method=calibration_method, weight_bits=compression.weight_bits)
        qm.meta = {**work.meta, **qm.meta, "quantization": quantize}
        stats["int8 ops"] = sum(1 for n in qm.nodes if any(qm.tensors[o].dtype == _I8 for o in n.outputs))
        if compression.weight_bits != 8:
            stats[f"dense layers with {compression.weight_bits}-bit weights"] = sum(
                1 for n in work.nodes if compress.weight_input(work, n) is not None)
        work = qm
    banded = band_conv_pools(work)  # after quantization: it keeps the final quantization
    if banded:
        stats["Conv+MaxPool computed in row bands"] = banded
    if compression.code:
        stats["constants entropy-coded"] = compress.mark_coded(work)
        compress.drop_implied_quant(work)
    work.meta["ops"], work.meta["dtypes"] = work.ops_used(), work.dtypes_used()
    if compression != NO_COMPRESSION:
        work.meta["compression"] = compression.label()
    if compression.strip_names:
        compress.strip_names(work)
    return work, _report(work, report.opset, report.constants_folded, stats)


def convert_file(
    onnx_path: str | Path,
    out_path: str | Path,
    *,
    input_shapes: dict[str, tuple[int, ...]] | None = None,
    quantize: str | None = None,
    calibration: str | Path | None = None,
    calibration_method: str = "mse",
    compression: Compression = NO_COMPRESSION,
    encrypt_key: bytes | None = None,
) -> ConversionReport:
    """Convert one ONNX file to .sdkm (encrypted with AES-256-GCM when `encrypt_key` is
    given, see sdkbuild/protect.py); writes nothing on error."""
    src = Path(onnx_path)
    if src.exists() and Path(out_path).resolve() == src.resolve():
        raise SdkbuildError(f"the output {out_path} is the input model: converting would overwrite it",
                            hint="pass another -o/--output, e.g. the model's name with .sdkm")
    model, data = load_onnx(src)
    meta = {"source": src.name, "source_sha256": hashlib.sha256(data).hexdigest()}
    m, report = convert_model_report(model, input_shapes=input_shapes, meta=meta)
    m, report = finish_model(m, report, quantize=quantize, calibration=calibration,
                             calibration_method=calibration_method, compression=compression)
    out = Path(out_path)
    try:
        data = sdkm.encode(m)
        if encrypt_key is not None:
            from ..protect import encrypt

            data = encrypt(data, encrypt_key)
        write_atomic(out, data)
    except OSError as e:
        raise SdkbuildError(f"cannot write {out}: {e.strerror}", hint="check the output folder") from None
    except sdkm.SdkmError as e:
        raise SdkbuildError(f"cannot encode the converted model: {e}") from None
    return dataclasses.replace(report, output=str(out), file_bytes=out.stat().st_size, encrypted=encrypt_key is not None)
