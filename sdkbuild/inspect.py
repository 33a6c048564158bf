"""`sdkbuild inspect`: what a .sdkm model contains and how much memory it needs.

The structure comes from the Python reader (sdkbuild/sdkm.py); the memory figures come
from the engine itself (the host build's planner via sdk_model_memory_info), so they are
the numbers a device will see.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from . import sdkm
from .errors import SdkbuildError


def _kind(m: sdkm.Model, i: int) -> str:
    if i in m.inputs:
        return "input"
    if i in m.outputs:
        return "output"
    return "constant" if m.tensors[i].data is not None else "activation"


def _quant(t: sdkm.Tensor) -> dict[str, Any] | None:
    if t.quant is None:
        return None
    q = t.quant
    if q.axis < 0:
        return {"scale": float(q.scales[0]), "zero_point": int(q.zero_points[0])}
    return {"axis": q.axis, "channels": int(np.asarray(q.scales).size)}


def describe(path: Path, lib_path: str | None = None, with_memory: bool = True) -> dict[str, Any]:
    """Plain-data description of the model at `path` (what --json prints)."""
    if not path.is_file():
        raise SdkbuildError(f"model {path} does not exist")
    from .protect import is_encrypted, load_key

    with open(path, "rb") as f:
        encrypted = is_encrypted(f.read(4))
    key = load_key() if encrypted else None  # an encrypted model is read with $SDKBUILD_MODEL_KEY
    try:
        m = sdkm.read(path, key)
    except sdkm.SdkmError as e:
        raise SdkbuildError(f"invalid .sdkm model: {e}") from None
    ops = Counter(n.op for n in m.nodes)

    def tinfo(i: int) -> dict[str, Any]:
        t = m.tensors[i]
        return {
            "name": t.name,
            "dtype": sdkm.DTYPE_NAMES[t.dtype],
            "shape": list(t.shape),
            "bytes": t.nbytes,
            "kind": _kind(m, i),
            "quant": _quant(t),
        }

    info: dict[str, Any] = {
        "file": str(path),
        "file_bytes": path.stat().st_size,
        "name": m.name,
        "nodes": len(m.nodes),
        "ops": dict(sorted(ops.items())),
        "inputs": [tinfo(i) for i in m.inputs],
        "outputs": [tinfo(i) for i in m.outputs],
        "tensors": [tinfo(i) for i in range(len(m.tensors))],
        "weights_bytes": sum(t.nbytes for t in m.tensors if t.data is not None),
        "encrypted": encrypted,
        "coded_constants": sum(1 for t in m.tensors if t.encoding == sdkm.ENC_RANS),
        "sparse_constants": sum(1 for t in m.tensors if t.encoding == sdkm.ENC_SPARSE),
        "meta": m.meta,
        "memory": None,
        "memory_error": None,
    }
    if with_memory:
        from .runtime import Engine, EngineError

        try:
            with Engine(lib_path) as eng, eng.load(path, key) as model:
                mi = model.memory_info()
            info["memory"] = {
                "arena_bytes": mi.arena_bytes,
                "arena_lower_bound": mi.arena_lower_bound,
                "naive_bytes": mi.naive_bytes,
                "weights_bytes": mi.weights_bytes,
                "packed_weights_bytes": mi.packed_weights_bytes,
            }
        except EngineError as e:
            if e.status == 3:  # the engine's verifier is stricter than the reader: that is a bad file
                raise SdkbuildError(e.message) from None
            info["memory_error"] = e.message
        except SdkbuildError as e:  # no host engine could be built or loaded
            info["memory_error"] = f"host engine unavailable: {e.message}"
    return info


def _fmt_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def render(info: dict[str, Any]) -> None:
    """Rich tables on stdout."""
    from rich.console import Console
    from rich.table import Table

    con = Console()
    stored = []
    if info.get("encrypted"):
        stored.append("AES-256-GCM encrypted")
    if info.get("coded_constants"):
        stored.append(f"{info['coded_constants']} constants entropy-coded")
    if info.get("sparse_constants"):
        stored.append(f"{info['sparse_constants']} weights sparse")
    con.print(f"[bold]{info['name']}[/bold]  {info['file']}  ({_fmt_bytes(info['file_bytes'])}, "
              f"{info['nodes']} nodes, {len(info['tensors'])} tensors{'; ' if stored else ''}{', '.join(stored)})")

    ops = Table(title="ops", title_justify="left")
    ops.add_column("op")
    ops.add_column("count", justify="right")
    for op, n in info["ops"].items():
        ops.add_row(op, str(n))
    con.print(ops)

    io = Table(title="inputs and outputs", title_justify="left")
    for col in ("", "name", "dtype", "shape", "bytes", "quantization"):
        io.add_column(col)
    for kind in ("inputs", "outputs"):
        for t in info[kind]:
            q = t["quant"]
            qs = "" if q is None else (f"scale {q['scale']:.6g}, zp {q['zero_point']}" if "scale" in q else
                                       f"per-channel axis {q['axis']}")
            io.add_row(kind[:-1], t["name"], t["dtype"], str(t["shape"]), str(t["bytes"]), qs)
    con.print(io)

    ts = Table(title="tensors", title_justify="left")
    for col in ("#", "name", "kind", "dtype", "shape", "bytes"):
        ts.add_column(col, justify="right" if col in ("#", "bytes") else "left")
    for i, t in enumerate(info["tensors"]):
        ts.add_row(str(i), t["name"], t["kind"], t["dtype"], str(t["shape"]), str(t["bytes"]))
    con.print(ts)

    mem = Table(title="memory", title_justify="left")
    mem.add_column("figure")
    mem.add_column("bytes", justify="right")
    mem.add_column("")
    mem.add_row("weights (constants)", str(info["weights_bytes"]), _fmt_bytes(info["weights_bytes"]))
    if info["memory"]:
        m = info["memory"]
        mem.add_row("arena (planned, per session)", str(m["arena_bytes"]), _fmt_bytes(m["arena_bytes"]))
        mem.add_row("lower bound (largest live set)", str(m["arena_lower_bound"]), _fmt_bytes(m["arena_lower_bound"]))
        mem.add_row("naive (no reuse)", str(m["naive_bytes"]), _fmt_bytes(m["naive_bytes"]))
        mem.add_row("op data + packed weights (load time)", str(m["packed_weights_bytes"]), _fmt_bytes(m["packed_weights_bytes"]))
    con.print(mem)
    if info["memory_error"]:
        con.print(f"[yellow]memory plan unavailable:[/yellow] {info['memory_error']}")


def inspect_cli(path: Path, as_json: bool, lib_path: str | None = None) -> None:
    info = describe(path, lib_path)
    if as_json:
        print(json.dumps(info, indent=2, default=str))
    else:
        render(info)
