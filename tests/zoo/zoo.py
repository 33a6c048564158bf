"""The model zoo: compact ONNX graphs whose large weights are regenerated from a seed.

    from zoo import zoo                     # tests/ on sys.path (pytest puts it there)
    zoo.names()                             # every model in manifest.json
    proto = zoo.load("resnet18")            # onnx.ModelProto with its weights regenerated
    feeds = zoo.inputs("resnet18", seed=0)  # {input name: array} drawn from the manifest's ranges

Only numpy and onnx are needed (no torch): see README.md for the format and why, and
export_zoo.py for how the graphs are made. Two sources:

* `zoo` entries: models/<name>.onnx (the exporter's graph; every large float initializer is
  a placeholder with no data) + models/<name>.npz (per placeholder: per-output-channel
  mean/std, the value range and the shape of the distribution, or the exact values of a
  tensor that is structured rather than random, such as YOLO's anchor grid);
* `onnx-light` entries: the "light" models the onnx package ships
  (onnx/backend/test/data/light/), whose weights are ConstantOfShape(0.02) nodes; here each
  becomes a seeded initializer with a fan-in scaled distribution by its role (conv/gemm
  weight, bias, BatchNormalization scale/bias/mean/variance), so channels differ and the
  output is not flat.
"""

from __future__ import annotations

import functools
import json
import math
import zlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

ZOO_DIR = Path(__file__).resolve().parent
MODELS_DIR = ZOO_DIR / "models"
MANIFEST_PATH = ZOO_DIR / "manifest.json"

#: external_data "location" of a placeholder: a path that never exists, so a plain
#: onnx.load() of a compact file fails loudly instead of reading garbage.
REGEN_LOCATION = "zoo:regenerate (tests/zoo/zoo.py fills it; see tests/zoo/README.md)"
#: float initializers with at most this many elements are kept exactly in the .onnx
KEEP_MAX_ELEMENTS = 1024
#: a larger float tensor that zlib shrinks to at most this fraction is structured (anchor
#: grids, strides, masks, aranges): kept exactly (compressed in the .npz), never regenerated
STRUCTURED_RATIO = 0.5
#: Conv/Gemm biases longer than this are stored in float16 (in the .npz)
BIAS16_MIN = 16
#: per-output-channel statistics when each channel has at least this many values
MIN_PER_CHANNEL = 8

_FLOAT_TYPES = (TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE)


# --------------------------------------------------------------------------- manifest


@functools.cache
def manifest() -> dict:
    return json.loads(MANIFEST_PATH.read_text())


def names(*, source: str | None = None, family: str | None = None) -> list[str]:
    out = []
    for name, e in manifest()["models"].items():
        if (source is None or e["source"] == source) and (family is None or e["family"] == family):
            out.append(name)
    return out


def entry(name: str) -> dict:
    models = manifest()["models"]
    if name not in models:
        raise KeyError(f"no zoo model {name!r}; the zoo has: {', '.join(models)}")
    return models[name]


def _rng(*parts: int | str) -> np.random.Generator:
    return np.random.default_rng([p if isinstance(p, int) else zlib.crc32(p.encode()) for p in parts])


def inputs(name: str, seed: int = 0) -> dict[str, np.ndarray]:
    """One sample for every model input, drawn as the manifest's `range` says."""
    return draw_inputs(name, entry(name)["inputs"], seed)


def draw_inputs(name: str, specs: list[dict], seed: int = 0) -> dict[str, np.ndarray]:
    """Inputs for `specs` (manifest format: name, shape, dtype, range); deterministic per seed."""
    feeds = {}
    for spec in specs:
        rng = _rng(seed, name, spec["name"])
        shape, dtype, r = tuple(spec["shape"]), np.dtype(spec["dtype"]), spec["range"]
        dist = r["dist"]
        if dist == "normal":
            a = rng.normal(r.get("mean", 0.0), r.get("std", 1.0), shape)
        elif dist == "uniform":
            a = rng.uniform(r["low"], r["high"], shape)
        elif dist == "int":  # [low, high)
            a = rng.integers(r["low"], r["high"], shape)
        elif dist == "mask":  # 1 for the first tokens, 0 for the padding after them (at least half kept)
            a = np.zeros(shape)
            n = shape[-1]
            for row in np.ndindex(*shape[:-1]):
                a[row][: int(rng.integers((n + 1) // 2, n + 1))] = 1
        else:
            raise ValueError(f"{name}: input {spec['name']}: unknown range {r}")
        feeds[spec["name"]] = np.ascontiguousarray(a.astype(dtype))
    return feeds


# --------------------------------------------------------------------------- compact


def _consumers(graph: onnx.GraphProto) -> dict[str, list[tuple[onnx.NodeProto, int]]]:
    use: dict[str, list[tuple[onnx.NodeProto, int]]] = {}
    for n in graph.node:
        for k, i in enumerate(n.input):
            use.setdefault(i, []).append((n, k))
    return use


def _attr(node: onnx.NodeProto, key: str, default: int) -> int:
    for a in node.attribute:
        if a.name == key:
            return int(a.i)
    return default


def _channel_axis(uses: list[tuple[onnx.NodeProto, int]], rank: int) -> int | None:
    """The output-channel axis of a weight, from what reads it (None: per tensor)."""
    for node, k in uses:
        if k != 1:
            continue
        if node.op_type == "Conv":
            return 0
        if node.op_type == "ConvTranspose":
            return 1
        if node.op_type == "Gemm" and rank == 2:
            return 0 if _attr(node, "transB", 0) else 1
        if node.op_type == "MatMul" and rank >= 2:
            return rank - 1
    return None


def _record(arr: np.ndarray, axis: int | None) -> dict:
    """How to regenerate `arr`: {"kind": const|exact|normal|uniform, ...}.

    normal/uniform: "mean" (per tensor), "std" (per output channel along "axis", or per
    tensor), "range" (min, max: the draw is clipped to it, so e.g. a positive tensor stays
    positive). Which of the two by the kurtosis of the standardized values (1.8 for a
    uniform distribution, 3 for a normal one): torch initializes with both."""
    a = np.asarray(arr, np.float64)
    if np.all(a == a.flat[0]):
        return {"kind": "const", "value": np.asarray(arr).reshape(-1)[:1]}
    raw = np.ascontiguousarray(arr).tobytes()
    if len(zlib.compress(raw, 1)) <= STRUCTURED_RATIO * len(raw):
        return {"kind": "exact", "value": np.asarray(arr)}
    if axis is not None and a.shape[axis] > 1 and a.size // a.shape[axis] >= MIN_PER_CHANNEL:
        rows = np.moveaxis(a, axis, 0).reshape(a.shape[axis], -1)
    else:
        rows, axis = a.reshape(1, -1), None
    mean, std = rows.mean(axis=1), rows.std(axis=1)
    z = (rows - mean[:, None]) / np.where(std > 0, std, 1.0)[:, None]
    kurtosis = float((z**4).mean())
    return {"kind": "uniform" if kurtosis < 2.4 else "normal", "axis": axis, "mean": float(a.mean()),
            "std": std.astype(np.float32), "range": (float(a.min()), float(a.max()))}


def _constants_to_initializers(graph: onnx.GraphProto) -> None:
    """Large float Constant nodes become initializers (the same value under the same name)."""
    keep = []
    for n in graph.node:
        if n.op_type == "Constant" and len(n.attribute) == 1 and n.attribute[0].name == "value":
            t = n.attribute[0].t
            if t.data_type in _FLOAT_TYPES and math.prod(t.dims) > KEEP_MAX_ELEMENTS:
                init = TensorProto()
                init.CopyFrom(t)
                init.name = n.output[0]
                graph.initializer.append(init)
                continue
        keep.append(n)
    del graph.node[:]
    graph.node.extend(keep)


def _inline_identities(graph: onnx.GraphProto) -> None:
    """Identity(initializer) -> a copy of the initializer under the output's name. The
    TorchScript exporter shares equal initializers (e.g. zero biases) through Identity nodes;
    once weights are regenerated and biases calibrated, each user needs its own copy."""
    inits = {t.name: t for t in graph.initializer}
    outputs = {o.name for o in graph.output}
    keep = []
    for n in graph.node:
        if n.op_type == "Identity" and n.input[0] in inits and n.output[0] not in outputs:
            t = TensorProto()
            t.CopyFrom(inits[n.input[0]])
            t.name = n.output[0]
            graph.initializer.append(t)
            continue
        keep.append(n)
    del graph.node[:]
    graph.node.extend(keep)


def _is_bias(uses: list[tuple[onnx.NodeProto, int]]) -> bool:
    return bool(uses) and all(n.op_type in ("Conv", "Gemm", "ConvTranspose") and k == 2 for n, k in uses)


def strip(model: onnx.ModelProto) -> tuple[onnx.ModelProto, dict[str, dict]]:
    """(the graph with placeholders, {placeholder name: record}); `model` is not modified.

    Kept exactly: non-float tensors, float tensors of at most KEEP_MAX_ELEMENTS, and the
    biases of Conv/Gemm (per channel, small; export_zoo.py calibrates them)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    _constants_to_initializers(g)
    _inline_identities(g)
    for n in g.node:  # exporter stack traces and per-node metadata: bulk, no meaning for a run
        n.doc_string = ""
        del n.metadata_props[:]
    uses = _consumers(g)
    records: dict[str, dict] = {}
    for t in g.initializer:
        if t.data_type not in _FLOAT_TYPES or math.prod(t.dims) <= KEEP_MAX_ELEMENTS:
            continue
        if _is_bias(uses.get(t.name, [])):
            continue
        arr = numpy_helper.to_array(t)
        records[t.name] = _record(arr, _channel_axis(uses.get(t.name, []), arr.ndim))
        dims, dtype, name = list(t.dims), t.data_type, t.name
        t.Clear()
        t.name, t.data_type = name, dtype
        t.dims.extend(dims)
        t.data_location = TensorProto.EXTERNAL
    return m, records


def pack(proto: onnx.ModelProto, records: dict[str, dict]) -> tuple[onnx.ModelProto, dict[str, np.ndarray]]:
    """Write each record into its placeholder's external_data entries; the numbers go to
    three arrays for the .npz: "std" (float16, concatenated: per-channel stds, and the
    Conv/Gemm biases that export_zoo.py calibrated), "f32" (means and ranges) and "exact.<i>"
    (tensors kept exactly)."""
    m = onnx.ModelProto()
    m.CopyFrom(proto)
    std: list[np.ndarray] = []
    f32: list[float] = []
    exact: dict[str, np.ndarray] = {}
    n_std = 0
    uses = _consumers(m.graph)
    records = dict(records)
    for t in m.graph.initializer:  # Conv/Gemm biases (calibrated by export_zoo.py) in float16
        if (t.name not in records and t.data_type == TensorProto.FLOAT and math.prod(t.dims) > BIAS16_MIN
                and _is_bias(uses.get(t.name, []))):
            b = numpy_helper.to_array(t)
            if np.abs(b).max() < 60000:
                records[t.name] = {"kind": "float16", "value": b.astype(np.float16)}
    for t in m.graph.initializer:
        if t.name not in records:
            continue
        r = records[t.name]
        meta = {"location": REGEN_LOCATION, "kind": r["kind"]}
        if r["kind"] == "float16":
            meta["std"] = f"{n_std}:{r['value'].size}"
            std.append(r["value"].reshape(-1))
            n_std += r["value"].size
        elif r["kind"] in ("const", "exact"):
            meta["exact"] = str(len(exact))
            exact[f"exact.{len(exact)}"] = np.asarray(r["value"])
        else:
            meta["axis"] = "" if r["axis"] is None else str(r["axis"])
            meta["std"] = f"{n_std}:{r['std'].size}"
            std.append(r["std"].astype(np.float16))
            n_std += r["std"].size
            meta["f32"] = str(len(f32))  # mean, min, max
            f32 += [r["mean"], *r["range"]]
        del t.external_data[:]
        for k, v in meta.items():
            e = t.external_data.add()
            e.key, e.value = k, v
    arrays = {"std": np.concatenate(std) if std else np.zeros(0, np.float16), "f32": np.asarray(f32, np.float32),
              **exact}
    return m, arrays


def unpack(proto: onnx.ModelProto, arrays: dict[str, np.ndarray]) -> dict[str, dict]:
    """The records of `proto`'s placeholders (the inverse of pack)."""
    records = {}
    for t in proto.graph.initializer:
        if t.data_location != TensorProto.EXTERNAL:
            continue
        meta = {e.key: e.value for e in t.external_data}
        if meta.get("location") != REGEN_LOCATION:
            raise ValueError(f"initializer {t.name!r} points at external data {meta.get('location')!r}")
        kind = meta["kind"]
        if kind == "float16":
            off, n = (int(x) for x in meta["std"].split(":"))
            records[t.name] = {"kind": kind, "value": arrays["std"][off: off + n]}
            continue
        if kind in ("const", "exact"):
            records[t.name] = {"kind": kind, "value": arrays[f"exact.{meta['exact']}"]}
            continue
        off, n = (int(x) for x in meta["std"].split(":"))
        i = int(meta["f32"])
        f = arrays["f32"]
        records[t.name] = {"kind": kind, "axis": int(meta["axis"]) if meta["axis"] else None,
                           "std": arrays["std"][off: off + n].astype(np.float32), "mean": float(f[i]),
                           "range": (float(f[i + 1]), float(f[i + 2]))}
    return records


def _fill(t: onnx.TensorProto, arr: np.ndarray) -> None:
    dtype = onnx.helper.tensor_dtype_to_np_dtype(t.data_type)
    t.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(np.asarray(arr).astype(dtype)), t.name))


def regenerate(shape: tuple[int, ...], r: dict, rng: np.random.Generator) -> np.ndarray:
    if r["kind"] == "const":
        return np.broadcast_to(r["value"], shape)
    if r["kind"] in ("exact", "float16"):
        return r["value"].reshape(shape)
    if r["kind"] == "uniform":
        z = (rng.random(shape, np.float32) * 2 - 1) * np.float32(math.sqrt(3.0))
    else:
        z = rng.standard_normal(shape, np.float32)
    bshape = [1] * len(shape)
    if r["axis"] is not None:
        bshape[r["axis"]] = -1
    out = np.float32(r["mean"]) + r["std"].reshape(bshape) * z
    return np.clip(out, np.float32(r["range"][0]), np.float32(r["range"][1]))


def fill(proto: onnx.ModelProto, records: dict[str, dict], name: str, seed: int = 0) -> onnx.ModelProto:
    """A copy of `proto` with every placeholder regenerated (deterministic per name and seed)."""
    m = onnx.ModelProto()
    m.CopyFrom(proto)
    for t in m.graph.initializer:
        if t.name in records:
            _fill(t, regenerate(tuple(t.dims), records[t.name], _rng(seed, name, t.name)))
    return m


def save(proto: onnx.ModelProto, records: dict[str, dict], name: str, folder: Path = MODELS_DIR
         ) -> tuple[Path, Path]:
    packed, arrays = pack(proto, records)
    folder.mkdir(parents=True, exist_ok=True)
    onnx_path, npz_path = folder / f"{name}.onnx", folder / f"{name}.npz"
    onnx_path.write_bytes(packed.SerializeToString())
    np.savez_compressed(npz_path, **arrays)
    return onnx_path, npz_path


def _load_zoo(name: str, seed: int) -> onnx.ModelProto:
    proto = onnx.load(MODELS_DIR / f"{name}.onnx", load_external_data=False)
    with np.load(MODELS_DIR / f"{name}.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    return fill(proto, unpack(proto, arrays), name, seed)


# --------------------------------------------------------------------------- onnx light models


def light_dir() -> Path:
    return Path(onnx.__file__).resolve().parent / "backend" / "test" / "data" / "light"


def _light_init(t_shape: tuple[int, ...], uses: list[tuple[onnx.NodeProto, int]], rng: np.random.Generator
                ) -> np.ndarray:
    """A weight for an onnx light model's ConstantOfShape, by the role its readers give it."""
    node, k = uses[0] if uses else (None, -1)
    op = node.op_type if node is not None else ""
    if op == "Conv" and k == 1:  # He normal: keeps E[x^2] through ReLU layers
        return rng.standard_normal(t_shape) * math.sqrt(2.0 / max(1, math.prod(t_shape[1:])))
    if op == "Gemm" and k == 1:
        fan_in = t_shape[1] if _attr(node, "transB", 0) else t_shape[0]
        return rng.standard_normal(t_shape) * math.sqrt(1.0 / max(1, fan_in))
    if op == "BatchNormalization":
        if k == 1:
            return 1.0 + 0.1 * rng.standard_normal(t_shape)
        if k == 4:
            return rng.uniform(0.5, 1.5, t_shape)
        return 0.1 * rng.standard_normal(t_shape)
    if op == "Mul":
        return 1.0 + 0.1 * rng.standard_normal(t_shape)
    return 0.05 * rng.standard_normal(t_shape)  # biases, Add/Sum operands


def value_type(a: np.ndarray) -> int:
    return onnx.helper.np_dtype_to_tensor_dtype(a.dtype)


def _load_light(name: str, seed: int, stats: bool = True) -> onnx.ModelProto:
    """`stats`: apply models/<name>.npz (BatchNormalization means and variances that
    export_zoo.py measured on the seed-0 weights, so every BN normalizes what it sees)."""
    m = onnx.load(light_dir() / f"{name}.onnx")
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    uses = _consumers(g)
    keep, drop = [], set()
    for n in g.node:
        if n.op_type == "ConstantOfShape" and n.input and n.input[0] in inits:
            shape = tuple(int(d) for d in numpy_helper.to_array(inits[n.input[0]]))
            value = numpy_helper.to_array(n.attribute[0].t) if n.attribute else np.zeros(1, np.float32)
            arr = _light_init(shape, uses.get(n.output[0], []), _rng(seed, name, n.output[0]))
            g.initializer.append(numpy_helper.from_array(arr.astype(value.dtype), n.output[0]))
            if m.ir_version < 4:  # IR 3: every initializer is also a graph input
                g.input.append(onnx.helper.make_tensor_value_info(n.output[0], value_type(value), list(shape)))
            drop.add(n.input[0])
            continue
        keep.append(n)
    del g.node[:]
    g.node.extend(keep)
    still = {i for n in g.node for i in n.input}
    for field in (g.initializer, g.input):
        kept = [x for x in field if x.name not in drop or x.name in still]
        del field[:]
        field.extend(kept)
    path = MODELS_DIR / f"{name}.npz"
    if stats and path.is_file():
        with np.load(path, allow_pickle=False) as z:
            exact = {str(k): z[f"value.{i}"] for i, k in enumerate(z["names"])}
        for t in g.initializer:
            if t.name in exact:
                _fill(t, exact[t.name].reshape(tuple(t.dims)))
    return m


# --------------------------------------------------------------------------- public


def load(name: str, seed: int = 0) -> onnx.ModelProto:
    """The zoo model `name` with every weight filled (deterministic for a seed)."""
    source = entry(name)["source"]
    if source == "onnx-light":
        return _load_light(entry(name)["file"], seed)
    return _load_zoo(name, seed)


def output_sanity(outputs: Iterable[tuple[str, np.ndarray]]) -> list[str]:
    """Problems that make a reference output useless for a comparison (empty = fine)."""
    bad = []
    for key, a in outputs:
        a = np.asarray(a)
        if a.dtype.kind != "f":
            continue
        if not np.all(np.isfinite(a)):
            bad.append(f"{key}: {int((~np.isfinite(a)).sum())} non-finite values")
        elif a.size > 1 and float(a.max() - a.min()) <= 1e-6 * max(1e-30, float(np.abs(a).max())):
            bad.append(f"{key}: degenerate (all {a.size} values equal to {float(a.flat[0]):.6g})")
    return bad
