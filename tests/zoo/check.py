"""One zoo model through the converter and the host engine, against onnxruntime.

Shared by tests/test_zoo.py (which asserts) and tests/zoo/status.py (which prints a table):

    evaluate(name, "fp32", engine_lib, folder) -> Outcome
    evaluate(name, "int8", engine_lib, folder) -> Outcome

fp32: the regenerated ONNX model converted (`convert_model_report`) and run on the engine;
`rel_err` = max |engine - onnxruntime| / max |onnxruntime| over every output.
int8: the converted model quantized (`quantize_model`, calibrated on 16 samples drawn like
the test input), run on the engine; compared with the numpy reference of the int8
arithmetic (`quantize.simulate`: bit-exact unless fp32 islands sit between int8 ops, then
cosine; where the only fp32 ops follow the last int8 one, as a Softmax does, relative error)
and with onnxruntime's fp32 output on the original graph (cosine), the style of
tests/test_quantize.py.

A converter or engine refusal (SdkbuildError, which EngineError is) is an outcome, with the
message and the op types it names; any other exception propagates (a crash is a bug).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx

from sdkbuild.errors import SdkbuildError

from . import zoo

CALIBRATION_SAMPLES = 16


@dataclass
class Outcome:
    name: str
    mode: str  # fp32 | int8
    error: str | None = None  # the converter's / engine's message
    stage: str = ""  # where it stopped: convert | quantize | engine
    blockers: dict[str, int] = field(default_factory=dict)  # op type -> nodes named in the error
    reference_problems: list[str] = field(default_factory=list)
    rel_err: float | None = None  # fp32: max |engine - ort| / max |ort|
    sim_exact: bool | None = None  # int8: engine == simulate() bit for bit
    sim_cosine: float | None = None  # int8: engine vs simulate() (where fp32 islands make exactness moot)
    sim_rel_err: float | None = None  # int8: max |engine - simulate()| / max |simulate()|
    int8_islands: int = 0  # QuantizeLinear nodes inside the graph (fp32 ops between int8 ones)
    fp32_ops: int = 0  # int8 model: ops computing in fp32 (islands, or a tail such as Softmax)
    cosine: float | None = None  # int8: engine vs onnxruntime fp32
    times: dict[str, float] = field(default_factory=dict)

    @property
    def ran(self) -> bool:
        return self.error is None


_NODE = re.compile(r"""node (?:'[^']*'|"[^"]*") \((?:op )?([A-Za-z][\w.]*)(?: v\d+)?\)""")


def blockers(message: str) -> dict[str, int]:
    """Op types of the nodes the converter's error names ("node 'x' (Resize v13): ..."), with counts."""
    ops: dict[str, int] = {}
    for op in _NODE.findall(message):
        ops[op] = ops.get(op, 0) + 1
    return ops


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    den = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b / den) if den > 0 else (1.0 if np.array_equal(a, b) else 0.0)


def ort_outputs(proto: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(proto.SerializeToString(), so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds), strict=True))


def _engine_run(engine_lib: Path, path: Path, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    from sdkbuild import runtime

    with runtime.Engine(engine_lib) as eng:
        model = eng.load(path)
        sess = model.session(1)
        try:
            out = sess.run(feeds, dequantize=True)
        finally:
            sess.close()
            model.close()
    return out


def _refused(o: Outcome, stage: str, e: SdkbuildError) -> Outcome:
    o.error, o.stage = str(e), stage
    o.blockers = blockers(e.message)
    return o


def evaluate(name: str, mode: str, engine_lib: Path, folder: Path) -> Outcome:
    from sdkbuild import sdkm
    from sdkbuild.convert import convert_model_report
    from sdkbuild.convert import quantize as Q

    o = Outcome(name, mode)
    t = time.perf_counter()
    proto = zoo.load(name)
    feeds = zoo.inputs(name, seed=0)
    o.times["regenerate"] = time.perf_counter() - t
    t = time.perf_counter()
    ref = ort_outputs(proto, feeds)
    o.times["onnxruntime"] = time.perf_counter() - t
    o.reference_problems = zoo.output_sanity(ref.items())
    t = time.perf_counter()
    try:
        model, _ = convert_model_report(proto)
    except SdkbuildError as e:
        return _refused(o, "convert", e)
    finally:
        o.times["convert"] = time.perf_counter() - t
    if mode == "int8":
        t = time.perf_counter()
        try:
            cal = [zoo.inputs(name, seed=100 + i) for i in range(CALIBRATION_SAMPLES)]
            model = Q.quantize_model(model, cal)
        except SdkbuildError as e:
            return _refused(o, "quantize", e)
        finally:
            o.times["quantize"] = time.perf_counter() - t
    path = folder / f"{name}-{mode}.sdkm"
    sdkm.write(model, path)
    t = time.perf_counter()
    try:
        got = _engine_run(engine_lib, path, feeds)
    except SdkbuildError as e:
        return _refused(o, "engine", e)
    finally:
        o.times["engine"] = time.perf_counter() - t
    missing = sorted(set(ref) - set(got))
    if missing:
        raise AssertionError(f"{name}: the converted model lost outputs {missing} (has {sorted(got)})")
    if mode == "fp32":
        o.rel_err = max(float(np.abs(got[k].astype(np.float64) - r).max() / max(1e-30, float(np.abs(r).max())))
                        for k, r in ref.items())
        return o
    t = time.perf_counter()
    sim = Q.simulate(model, feeds)
    o.times["simulate"] = time.perf_counter() - t
    inputs = {model.tensors[i].name for i in model.inputs}
    producers = {out: n for n in model.nodes for out in n.outputs}
    o.int8_islands = sum(1 for n in model.nodes if n.op == "QuantizeLinear"
                         and model.tensors[n.inputs[0]].name not in inputs and n.inputs[0] in producers)
    o.fp32_ops = sum(1 for n in model.nodes if n.op not in ("QuantizeLinear", "DequantizeLinear")
                     and model.tensors[n.outputs[0]].dtype == Q.F32)
    sims = [np.asarray(sim[k], np.float32) if np.asarray(sim[k]).dtype.kind == "f" else None for k in ref]
    o.sim_rel_err = max(float(np.abs(got[k].astype(np.float64) - s).max() / max(1e-30, float(np.abs(s).max())))
                        for k, s in zip(ref, sims, strict=True) if s is not None)
    o.sim_exact = all(s is not None and np.array_equal(got[k], s) for k, s in zip(ref, sims, strict=True))
    o.sim_cosine = min(cosine(got[k], s) for k, s in zip(ref, sims, strict=True) if s is not None)
    o.cosine = min(cosine(got[k], r) for k, r in ref.items())
    return o
