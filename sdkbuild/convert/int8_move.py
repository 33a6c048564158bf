"""int8 forms of the data-movement ops and Resize (used by quantize.py).

* Data movement whose input is int8 stays int8 with the input's quantization (the bytes
  move, nothing is computed): Transpose, Expand, Gather/GatherElements/GatherND (their
  indices pass through), Trilu (zeroes become the zero point), Pad (its constant value
  quantized with the input's parameters) and nearest Resize.
* linear / cubic Resize of an int8 input over its last two dims: the output keeps the
  input's quantization and the engine interpolates the int8 values with the fp32 weights
  in Q11 (kernels/ref/resize_s8.cpp), so the zero point passes through.

`resize_tables` is the numpy twin of the engine's per-axis sampling tables
(kernels/ref/resize.cpp, same double arithmetic, same order) and `simulate` computes
these ops as the engine does, bit for bit (quantize.simulate calls it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import sdkm

I8 = 2
# ops computed on int8 data when their first input is int8, keeping its quantization
FOLLOW = ("Transpose", "Expand", "Gather", "GatherElements", "GatherND", "Trilu", "Pad")
SIM_OPS = (*FOLLOW, "Resize")

_COORDS = ("half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric",
           "tf_half_pixel_for_nn", "tf_crop_and_resize")
MAX_TAPS = 1024


def _attr(n: sdkm.Node, key: str, default):
    v = n.attrs.get(key)
    if v is None:
        return default
    return v if isinstance(v, str) else v[0]


def resize_int8_capable(m: sdkm.Model, n: sdkm.Node) -> bool:
    """Whether the engine runs this Resize on int8 data (its prepare's conditions)."""
    x, y = m.tensors[n.inputs[0]], m.tensors[n.outputs[0]]
    if x.data is not None or x.dtype != 1:
        return False
    mode = _attr(n, "mode", "nearest")
    if mode == "nearest":
        return True
    if mode == "cubic" and not -1.0 <= float(_attr(n, "cubic_coeff_a", -0.75)) <= 1.0:
        return False
    tables = resize_tables(n, x.shape, y.shape)
    return all(t.identity for t in tables[:-2])


@dataclass
class AxisTable:
    idx: np.ndarray      # [out, ntaps] int64, clamped into [0, in)
    w: np.ndarray        # [out, ntaps] float64 (nearest: ones)
    wq: np.ndarray       # [out, ntaps] int64, Q11 summing to 2048 per row
    outside: np.ndarray  # [out] bool (tf_crop_and_resize)
    identity: bool


def _coordinate(coord: str, x: float, scale: float, n_in: int, n_out: int, roi: tuple[float, float]
                ) -> tuple[float, bool]:
    # kernels/ref/resize.cpp coordinate(), operation for operation
    sin, out = float(n_in), scale * float(n_in)
    if coord == "half_pixel_symmetric":
        adjustment = n_out / out
        center = sin / 2
        offset = center * (1 - adjustment)
        return offset + (x + 0.5) / scale - 0.5, False
    if coord == "pytorch_half_pixel":
        return (-0.5 if out == 1 else (x + 0.5) / scale - 0.5), False
    if coord == "align_corners":
        return (0.0 if out == 1 else x * (sin - 1) / (out - 1)), False
    if coord == "asymmetric":
        return x / scale, False
    if coord == "tf_half_pixel_for_nn":
        return (x + 0.5) / scale, False
    if coord == "tf_crop_and_resize":
        v = (roi[1] - roi[0]) * (sin - 1) / 2 if out == 1 else x * (roi[1] - roi[0]) * (sin - 1) / (out - 1)
        v = v + roi[0] * (sin - 1)
        return v, bool(v < 0 or v > sin - 1)
    return (x + 0.5) / scale - 0.5, False


def _cubic_kernel(x: float, a: float) -> float:
    x = abs(x)
    x2 = x * x
    x3 = x * x2
    if x <= 1:
        return (a + 2) * x3 - (a + 3) * x2 + 1
    if x < 2:
        return a * x3 - 5 * a * x2 + 8 * a * x - 4 * a
    return 0.0


def _coefficients(mode: str, antialias: bool, a: float, ratio: float, scale: float, n: int) -> list[float]:
    if antialias:
        sc = scale if scale < 1.0 else 1.0
        start = 1 - n // 2
        c = []
        for t in range(n):
            arg = (float(start + t) - ratio) * sc
            if mode == "linear":
                v = 1 - abs(arg)
                c.append(0.0 if v < 0 else (1.0 if v > 1 else v))
            else:
                c.append(_cubic_kernel(arg, a))
        total = 0.0
        for v in c:
            total += v
        return [v / total for v in c]
    if mode == "linear":
        return [1 - ratio, ratio]
    r1, q, q1 = ratio + 1, 1 - ratio, (1 - ratio) + 1
    return [((a * r1 - 5 * a) * r1 + 8 * a) * r1 - 4 * a,
            ((a + 2) * ratio - (a + 3)) * ratio * ratio + 1,
            ((a + 2) * q - (a + 3)) * q * q + 1,
            ((a * q1 - 5 * a) * q1 + 8 * a) * q1 - 4 * a]


def _ntaps(mode: str, antialias: bool, scale: float) -> int:
    if mode == "nearest":
        return 1
    if not antialias:
        return 2 if mode == "linear" else 4
    sc = scale if scale < 1.0 else 1.0
    start = math.floor((-1.0 if mode == "linear" else -2.0) / sc) + 1
    return 2 - 2 * start


def _round_half_away(v: float) -> int:
    return -math.floor(-v + 0.5) if v < 0 else math.floor(v + 0.5)


def resize_tables(n: sdkm.Node, in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> list[AxisTable]:
    """Per dim, the engine's sampling table of this Resize node."""
    mode = _attr(n, "mode", "nearest")
    coord = _attr(n, "coordinate_transformation_mode", "half_pixel")
    nearest = _attr(n, "nearest_mode", "round_prefer_floor")
    a = float(np.float32(_attr(n, "cubic_coeff_a", -0.75)))
    excl = bool(_attr(n, "exclude_outside", 0))
    aa = bool(_attr(n, "antialias", 0)) and mode != "nearest"
    rank = len(in_shape)
    scales = n.attrs.get("scales")
    roi = n.attrs.get("roi")
    out: list[AxisTable] = []
    for k in range(rank):
        n_in, n_out = int(in_shape[k]), int(out_shape[k])
        scale = float(np.float32(scales[k])) if scales is not None else n_out / n_in
        r = (float(np.float32(roi[k])), float(np.float32(roi[rank + k]))) if roi is not None else (0.0, 1.0)
        nt = _ntaps(mode, aa, scale)
        if n_out == n_in and abs(scale - 1.0) <= 1e-9 * max(scale, 1.0) and (
                coord != "tf_crop_and_resize" or (r[0] == 0.0 and abs(r[1] - 1.0) <= 1e-9)):
            # left alone, as the engine's resize_axis_table does (one tap of weight 1)
            out.append(AxisTable(np.arange(n_out)[:, None], np.ones((n_out, 1)), np.full((n_out, 1), 2048),
                                 np.zeros(n_out, bool), True))
            continue
        idx = np.zeros((n_out, nt), np.int64)
        w = np.zeros((n_out, nt))
        wq = np.zeros((n_out, nt), np.int64)
        outside = np.zeros(n_out, bool)
        identity = n_out == n_in
        for o in range(n_out):
            x, outside[o] = _coordinate(coord, float(o), scale, n_in, n_out, r)
            identity = identity and not outside[o]
            xf = math.floor(x)
            integer = x == xf
            if mode == "nearest":
                i = int(xf)
                if not integer:
                    ratio = x - xf
                    up = {"round_prefer_ceil": ratio >= 0.5, "floor": False, "ceil": True}.get(nearest, ratio > 0.5)
                    i += int(up)
                if excl and not 0 <= i < n_in:  # a pick outside weighs 0: the output is 0
                    outside[o] = True
                idx[o, 0] = min(max(i, 0), n_in - 1)
                w[o, 0], wq[o, 0] = 1.0, 2048
                identity = identity and idx[o, 0] == o and not outside[o]
                continue
            ratio = 1.0 if integer else x - xf
            c = _coefficients(mode, aa, a, ratio, scale, nt)
            pad = float(nt // 2)
            xp = x + pad
            pf = math.floor(xp)
            start = int(pf) + (-(nt // 2) if xp - pf == 0 else -(nt // 2) + 1) - int(pad)
            if excl:
                c = [0.0 if not 0 <= start + t < n_in else c[t] for t in range(nt)]
                total = 0.0
                for v in c:
                    total += v
                total = 1.0 if total == 0 else total
                c = [v / total for v in c]
            self_w = 0.0
            for t in range(nt):
                j = min(max(start + t, 0), n_in - 1)
                idx[o, t], w[o, t] = j, c[t]
                if j == o:
                    self_w += c[t]
                elif c[t] != 0:
                    identity = False
            identity = identity and self_w == 1.0
            q = [_round_half_away(v * 2048.0) for v in c]
            big = 0
            for t in range(nt):
                if abs(c[t]) > abs(c[big]):
                    big = t
            q[big] += 2048 - sum(q)
            wq[o] = q
        if identity and mode != "nearest":  # one tap of weight 1, as the engine's prepare
            idx, w, wq = np.arange(n_out)[:, None], np.ones((n_out, 1)), np.full((n_out, 1), 2048)
        out.append(AxisTable(idx, w, wq, outside, identity))
    return out


def _extrapolate(y: np.ndarray, tables: list[AxisTable], value) -> np.ndarray:
    mask = np.zeros(y.shape, bool)
    for k, t in enumerate(tables):
        shape = [1] * y.ndim
        shape[k] = -1
        mask |= t.outside.reshape(shape)
    return np.where(mask, value, y).astype(y.dtype)


def _quantized(t: sdkm.Tensor, value: float) -> int:
    """A float attribute in int8 with t's quantization (ops/fill_value.h)."""
    s, z = np.float32(t.quant.scales[0]), int(t.quant.zero_points[0])
    return int(np.clip(np.rint(np.float64(np.float32(value)) / np.float64(s)) + z, -128, 127))


def _resize(m: sdkm.Model, n: sdkm.Node, x: np.ndarray) -> np.ndarray:
    x_t, y_t = m.tensors[n.inputs[0]], m.tensors[n.outputs[0]]
    tables = resize_tables(n, x_t.shape, y_t.shape)
    if _attr(n, "mode", "nearest") == "nearest":
        y = x[np.ix_(*[t.idx[:, 0] for t in tables])]
    else:  # the last two dims (the others are identities): W first, then H, in Q11
        h = tables[-2] if len(tables) > 1 else AxisTable(np.zeros((1, 1), np.int64), np.ones((1, 1)),
                                                          np.full((1, 1), 2048), np.zeros(1, bool), True)
        wt = tables[-1]
        xv = x.astype(np.int64).reshape(-1, x.shape[-2] if x.ndim > 1 else 1, x.shape[-1])
        rows = (xv[:, :, wt.idx] * wt.wq).sum(axis=-1)           # [P, H, OW]
        acc = (rows[:, h.idx, :] * h.wq[None, :, :, None]).sum(axis=2)  # [P, OH, OW]
        y = np.clip((acc + (1 << 21)) >> 22, -128, 127).astype(np.int8).reshape(y_t.shape)
    if any(t.outside.any() for t in tables):
        crop = _attr(n, "coordinate_transformation_mode", "half_pixel") == "tf_crop_and_resize"
        y = _extrapolate(y, tables, _quantized(x_t, float(_attr(n, "extrapolation_value", 0.0)) if crop else 0.0))
    return y


def simulate(m: sdkm.Model, n: sdkm.Node, v: dict[int, np.ndarray]) -> list[np.ndarray]:
    """The engine's result of int8 node `n` (an op of SIM_OPS on int8 data)."""
    x = v[n.inputs[0]]
    x_t, y_t = m.tensors[n.inputs[0]], m.tensors[n.outputs[0]]
    if n.op == "Resize":
        return [_resize(m, n, x)]
    if n.op == "Transpose":
        return [np.transpose(x, n.attrs["perm"])]
    if n.op == "Expand":
        return [np.broadcast_to(x, y_t.shape).copy()]
    if n.op == "Gather":
        return [np.take(x, v[n.inputs[1]].astype(np.int64), axis=int(_attr(n, "axis", 0)))]
    if n.op == "GatherElements":
        idx = v[n.inputs[1]].astype(np.int64)
        axis = int(_attr(n, "axis", 0))
        idx = np.where(idx < 0, idx + x.shape[axis], idx)
        sub = tuple(slice(0, d) for d in idx.shape)
        return [np.take_along_axis(x[tuple(s if k != axis else slice(None) for k, s in enumerate(sub))], idx, axis)]
    if n.op == "GatherND":
        b = int(_attr(n, "batch_dims", 0))
        idx = v[n.inputs[1]].astype(np.int64)
        k = idx.shape[-1]
        lead = x.shape[:b]
        xb, ib = x.reshape(-1, *x.shape[b:]), idx.reshape(-1, *idx.shape[b:])
        out = [xb[i][tuple(np.moveaxis(np.where(ib[i] < 0, ib[i] + np.asarray(x.shape[b:b + k]), ib[i]), -1, 0))]
               for i in range(xb.shape[0])]
        return [np.stack(out).reshape(*lead, *np.stack(out).shape[1:])]
    if n.op == "Trilu":
        k, upper = int(_attr(n, "k", 0)), int(_attr(n, "upper", 1))
        keep = np.triu(np.ones(x.shape[-2:], bool), k) if upper else np.tril(np.ones(x.shape[-2:], bool), k)
        return [np.where(keep, x, np.int8(int(x_t.quant.zero_points[0]))).astype(np.int8)]
    if n.op == "Pad":
        pads = list(n.attrs["pads"])
        r = x.ndim
        crop = tuple(slice(max(-pads[i], 0), x.shape[i] - max(-pads[r + i], 0)) for i in range(r))
        widths = [(max(pads[i], 0), max(pads[r + i], 0)) for i in range(r)]
        mode = _attr(n, "mode", "constant")
        if mode == "constant":
            value = _quantized(x_t, float(_attr(n, "value", 0.0)))
            return [np.pad(x[crop], widths, constant_values=value).astype(np.int8)]
        return [np.pad(x[crop], widths, mode={"edge": "edge", "reflect": "reflect", "wrap": "wrap"}[mode])]
    raise ValueError(f"int8_move.simulate: {n.op}")
