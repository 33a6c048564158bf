"""Shape and data-movement ops: Reshape and its relatives, Transpose, Concat, Split, Slice,
Pad, Expand, Tile, DepthToSpace/SpaceToDepth. (Identity, Dropout and Cast: ops/cast.py.)

The data-movement engine ops copy elements of any dtype without looking at them (int8
keeps its quantization); Split, Tile and DepthToSpace/SpaceToDepth have no engine op of
their own: they become Slices, Expands and Reshape-Transpose-Reshape."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import fold
from ..importer import NodeContext, Unsupported
from ..registry import ANY_DTYPE, engine_op, onnx_op


@onnx_op("Concat", max_version=13, doc="any dtype")
def concat(ctx: NodeContext) -> None:
    ins = [ctx.input(i) for i in range(ctx.num_inputs) if ctx.has(i)]
    rank = len(ctx.shape(0))
    ctx.emit("Concat", ins, attrs={"axis": [int(ctx.attr("axis")) % rank]})


engine_op("Concat", dtypes=ANY_DTYPE, doc="X0..Xn (any dtype, all the same; int8 inputs requantized to the output's "
          "quantization); `axis` (required, >= 0)")


@onnx_op("Reshape", max_version=25, doc="constant or computable target shape")
@onnx_op("Flatten", max_version=25, doc="")
@onnx_op("Squeeze", max_version=25, doc="constant axes")
@onnx_op("Unsqueeze", max_version=25, doc="constant axes")
def reshape_like(ctx: NodeContext) -> None:
    xs = ctx.shape(0)
    op = ctx.op_type
    if op == "Reshape":
        target = ctx.need_const(1, "shape")
        try:
            out = fold.reshape_target(xs, [int(t) for t in target.reshape(-1)], bool(ctx.attr("allowzero", 0)))
        except ValueError as e:
            raise Unsupported(str(e)) from None
    elif op == "Flatten":
        try:
            axis = fold.flatten_axis(int(ctx.attr("axis", 1)), len(xs))
        except ValueError as e:
            raise Unsupported(str(e)) from None
        out = (int(np.prod(xs[:axis], dtype=np.int64)), int(np.prod(xs[axis:], dtype=np.int64)))
        ctx.count("Flatten -> Reshape")
    elif op == "Squeeze":
        axes = _axes(ctx)
        drop = {a % len(xs) for a in axes} if axes else {a for a, d in enumerate(xs) if d == 1}
        if any(xs[a] != 1 for a in drop):
            raise Unsupported(f"cannot squeeze non-1 axes {sorted(drop)} of shape {xs}")
        out = tuple(d for a, d in enumerate(xs) if a not in drop)
    else:  # Unsqueeze
        axes = _axes(ctx)
        if axes is None:
            raise Unsupported("its axes must be given")
        rank = len(xs) + len(axes)
        new = {a % rank for a in axes}
        it = iter(xs)
        out = tuple(1 if a in new else next(it) for a in range(rank))
    ctx.reshape(ctx.input(0), ctx.output(0), tuple(out), name=ctx.label)


def _axes(ctx: NodeContext) -> list[int] | None:
    """Squeeze/Unsqueeze axes: an attribute before version 13, input 1 from then on."""
    if ctx.version < 13:
        v = ctx.attr("axes")
        return None if v is None else [int(a) for a in v]
    if ctx.has(1):
        return [int(a) for a in ctx.need_const(1, "axes").reshape(-1)]
    return None


def _reshape_to_onnx(node, ins, outs, b) -> None:
    b.node("Reshape", [ins[0], b.const("shape", node.attrs["shape"], np.int64)], outs, node.name)


engine_op("Reshape", to_onnx=_reshape_to_onnx, dtypes=ANY_DTYPE, doc="X; `shape` (required, fully resolved, no 0 or -1)")


@onnx_op("Transpose", max_version=25, doc="any dtype")
def transpose(ctx: NodeContext) -> None:
    xs = ctx.shape(0)
    perm = [int(p) % max(len(xs), 1) for p in ctx.attr("perm", list(range(len(xs)))[::-1])]
    moved = [p for p in perm if xs[p] != 1]
    if moved == sorted(moved):  # the elements keep their order
        ctx.reshape(ctx.input(0), ctx.output(0), ctx.out_shape(0), name=ctx.label)  # moves nothing
        ctx.count("Transpose of size-1 axes -> Reshape")
        return
    ctx.emit("Transpose", [ctx.input(0)], attrs={"perm": perm})


engine_op("Transpose", dtypes=ANY_DTYPE, doc="X (any dtype); `perm` (required)")


_PAD_MODES = ("constant", "reflect", "edge", "wrap")


@onnx_op("Pad", max_version=25, doc="any dtype; constant pads (negative pads crop); modes constant, reflect, edge, "
         "wrap")
def pad(ctx: NodeContext) -> None:
    xs = ctx.shape(0)
    rank = len(xs)
    mode = ctx.attr("mode", "constant")
    if mode not in _PAD_MODES or (mode == "wrap" and ctx.version < 19):
        raise Unsupported(f"mode {mode!r} is not supported ({', '.join(_PAD_MODES)} are)")
    if ctx.version < 11:
        pads, value = [int(p) for p in ctx.attr("pads")], float(ctx.attr("value", 0.0))
    else:
        pads = [int(p) for p in ctx.need_const(1, "pads").reshape(-1)]
        value = ctx.need_const(2, "constant_value").reshape(-1)[0].item() if ctx.has(2) else 0
        if ctx.has(3):  # opset 18: pads only for the listed axes
            axes = [int(a) % rank for a in ctx.need_const(3, "axes").reshape(-1)]
            full = [0] * (2 * rank)
            for j, a in enumerate(axes):
                full[a], full[rank + a] = pads[j], pads[len(axes) + j]
            pads = full
    if len(pads) != 2 * rank:
        raise Unsupported(f"{len(pads)} pads for a rank-{rank} input")
    if any(xs[i] + min(pads[i], 0) + min(pads[rank + i], 0) <= 0 for i in range(rank)):
        raise Unsupported(f"pads {pads} crop away a whole dimension of shape {xs}")
    if not all(pads[i] + pads[rank + i] + xs[i] >= 1 for i in range(rank)):
        raise Unsupported(f"pads {pads} leave an empty output (zero-size tensors are not supported)")
    attrs: dict[str, Any] = {"pads": pads, "mode": mode}
    if mode == "constant":
        if float(np.float32(value)) != value and not isinstance(value, bool):
            raise Unsupported(f"constant_value {value} is not representable as float32 (the engine's value attribute)")
        attrs["value"] = [float(value)]
    if all(p == 0 for p in pads):
        ctx.alias()
        return
    ctx.emit("Pad", [ctx.input(0)], attrs=attrs)


def _pad_to_onnx(node, ins, outs, b) -> None:
    pads = b.const("pads", node.attrs["pads"], np.int64)
    value = float(node.attrs.get("value", [0.0])[0])
    # a non-zero constant as float32: calibration runs fp32 graphs (0 is any dtype's default)
    inputs = [ins[0], pads] + ([b.const("value", value, np.float32)] if value else [])
    b.node("Pad", inputs, outs, node.name, mode=str(node.attrs.get("mode", "constant")))


engine_op("Pad", float_attrs=("value",), to_onnx=_pad_to_onnx, dtypes=ANY_DTYPE,
          doc="X (any dtype); `pads` (required, ONNX order: begins then ends; negative crops first), `mode` "
          "[constant] (constant, reflect, edge, wrap), `value` [0.0] (in the dtype: quantized for int8)")


def _slice_box(ctx: NodeContext) -> tuple[list[int], list[int], list[int]]:
    """Per input dim: ONNX's starts/ends/axes/steps normalized to (start, tight end, step)."""
    xs = ctx.shape(0)
    if ctx.version < 10:
        starts, ends = list(ctx.attr("starts")), list(ctx.attr("ends"))
        axes, steps = ctx.attr("axes"), None
    else:
        starts = [int(v) for v in ctx.need_const(1, "starts").reshape(-1)]
        ends = [int(v) for v in ctx.need_const(2, "ends").reshape(-1)]
        axes = [int(v) for v in ctx.need_const(3, "axes").reshape(-1)] if ctx.has(3) else None
        steps = [int(v) for v in ctx.need_const(4, "steps").reshape(-1)] if ctx.has(4) else None
    axes = list(range(len(starts))) if axes is None else list(axes)
    steps = [1] * len(starts) if steps is None else steps
    if not len(starts) == len(ends) == len(axes) == len(steps):
        raise Unsupported("starts, ends, axes and steps differ in length")
    lo, hi, st = [0] * len(xs), list(xs), [1] * len(xs)
    for s, e, a, step in zip(starts, ends, axes, steps, strict=True):
        if not -len(xs) <= a < len(xs):
            raise Unsupported(f"axis {a} is out of range for rank {len(xs)}")
        if step == 0:
            raise Unsupported("a step of 0")
        a %= len(xs)
        r = range(*slice(int(s), int(e), int(step)).indices(xs[a]))  # ONNX's clamping is Python's
        if len(r) == 0:
            raise Unsupported(f"the slice of axis {a} (size {xs[a]}) is empty (zero-size tensors are not supported)")
        lo[a], hi[a], st[a] = r.start, r[-1] + (1 if step > 0 else -1), int(step)
    return lo, hi, st


@onnx_op("Slice", max_version=13, doc="any dtype; constant starts/ends/axes/steps (negative steps too)")
def slice_(ctx: NodeContext) -> None:
    """Runtime Slice (data not constant): the engine gets one normalized range per dimension."""
    lo, hi, st = _slice_box(ctx)
    xs = ctx.shape(0)
    if lo == [0] * len(xs) and hi == list(xs) and st == [1] * len(xs):
        ctx.alias()
        return
    attrs = {"starts": lo, "ends": hi}
    if any(s != 1 for s in st):
        attrs["steps"] = st
    ctx.emit("Slice", [ctx.input(0)], attrs=attrs)


def _slice_to_onnx(node, ins, outs, b) -> None:
    starts = list(node.attrs["starts"])
    ends = [e if e >= 0 else -(2**62) for e in node.attrs["ends"]]  # end -1 (negative step): through element 0
    consts = [b.const("starts", starts, np.int64), b.const("ends", ends, np.int64)]
    if "steps" in node.attrs:
        consts += [b.const("axes", list(range(len(starts))), np.int64), b.const("steps", node.attrs["steps"], np.int64)]
    b.node("Slice", [ins[0], *consts], outs, node.name)


engine_op("Slice", to_onnx=_slice_to_onnx, dtypes=ANY_DTYPE,
          doc="X (any dtype); `starts`, `ends` (required, one per dimension, normalized: step > 0: "
          "0 <= start < end <= dim; step < 0: -1 <= end < start < dim), `steps` [all 1]")


@onnx_op("Split", max_version=18, doc="any dtype; constant split sizes (attribute, input or num_outputs); one Slice "
         "per output")
def split(ctx: NodeContext) -> None:
    xs = ctx.shape(0)
    axis = int(ctx.attr("axis", 0)) % len(xs)
    n_out = len(ctx.node.output)
    if ctx.version >= 13 and ctx.has(1):
        sizes = [int(v) for v in ctx.need_const(1, "split").reshape(-1)]
    elif ctx.version < 13 and ctx.attr("split") is not None:
        sizes = [int(v) for v in ctx.attr("split")]
    else:  # equal parts; from opset 18 (num_outputs) the last may be smaller
        if ctx.version >= 18:
            n_out = int(ctx.attr("num_outputs", n_out))
        chunk = -(-xs[axis] // n_out)
        sizes = [chunk] * (n_out - 1) + [xs[axis] - chunk * (n_out - 1)]
        if ctx.version < 18 and xs[axis] % n_out:
            raise Unsupported(f"axis {axis} of size {xs[axis]} does not split into {n_out} equal parts")
    if len(sizes) != len(ctx.node.output) or sum(sizes) != xs[axis] or any(s < 0 for s in sizes):
        raise Unsupported(f"split sizes {sizes} do not fit axis {axis} of size {xs[axis]} into "
                          f"{len(ctx.node.output)} outputs")
    start = 0
    for i, size in enumerate(sizes):
        out = ctx.output(i)
        if size == 0 or not out:
            if out and ctx.used(i):
                raise Unsupported(f"output {i} is empty (zero-size tensors are not supported)")
            start += size
            continue
        if size == xs[axis]:
            ctx.alias(i)
        else:
            lo, hi = [0] * len(xs), list(xs)
            lo[axis], hi[axis] = start, start + size
            shape = list(xs)
            shape[axis] = size
            ctx.declare_output(i, shape)
            ctx.emit("Slice", [ctx.input(0)], [out], {"starts": lo, "ends": hi},
                     name=f"{ctx.label}_{i}" if len(sizes) > 1 else None)
        start += size
    ctx.count("Split -> Slices")


@onnx_op("Expand", max_version=13, doc="any dtype; constant shape")
def expand(ctx: NodeContext) -> None:
    shape = [int(d) for d in ctx.need_const(1, "shape").reshape(-1)]
    out = ctx.out_shape(0)
    if 0 in out:
        raise Unsupported("the expanded shape is empty (zero-size tensors are not supported)")
    if tuple(out) == ctx.shape(0):
        ctx.alias()
        return
    if int(np.prod(out)) == int(np.prod(ctx.shape(0))):  # only adds size-1 dims
        ctx.reshape(ctx.input(0), ctx.output(0), out, name=ctx.label)
        return
    ctx.emit("Expand", [ctx.input(0)], attrs={"shape": shape})


def _expand_to_onnx(node, ins, outs, b) -> None:
    b.node("Expand", [ins[0], b.const("shape", node.attrs["shape"], np.int64)], outs, node.name)


engine_op("Expand", to_onnx=_expand_to_onnx, dtypes=ANY_DTYPE,
          doc="X (any dtype); `shape` (required: ONNX's shape input; output = broadcast(X, shape))")


@onnx_op("Tile", max_version=13, doc="any dtype; constant repeats (as Expand between Reshapes)")
def tile(ctx: NodeContext) -> None:
    """x (d0..dn) tiled r_i times = reshape(expand(reshape(x, (1, d_i)...), (r_i, d_i)...)):
    one Expand when the interleaved shape fits the engine's rank, else one per tiled dim."""
    xs = list(ctx.shape(0))
    reps = [int(r) for r in ctx.need_const(1, "repeats").reshape(-1)]
    if len(reps) != len(xs) or any(r < 1 for r in reps):
        raise Unsupported(f"repeats {reps} for a rank-{len(xs)} input (each must be >= 1)")
    tiled = [i for i, r in enumerate(reps) if r > 1]
    if not tiled:
        ctx.alias()
        return
    groups = [tiled] if len(xs) + sum(1 for i in tiled if xs[i] > 1) <= 6 else [[i] for i in tiled]
    cur, cur_shape = ctx.input(0), list(xs)
    for k, group in enumerate(groups):
        src_shape, big = [], []
        for i, d in enumerate(cur_shape):
            if i in group and d > 1:
                src_shape += [1, d]
                big += [reps[i], d]
            elif i in group:
                src_shape.append(1)
                big.append(reps[i])
            else:
                src_shape.append(d)
                big.append(d)
        if len(src_shape) > 6:
            raise Unsupported(f"tiling a rank-{len(xs)} tensor needs rank {len(src_shape)}; the engine has 6")
        nxt_shape = [d * reps[i] if i in group else d for i, d in enumerate(cur_shape)]
        last = k == len(groups) - 1
        a = ctx.tmp(f"tile{k}_in", src_shape, ctx.dtype(0))
        ctx.reshape(cur, a, src_shape, name=f"{ctx.label}_split{k}")
        b = ctx.tmp(f"tile{k}_big", big, ctx.dtype(0))
        ctx.emit("Expand", [a], [b], {"shape": big}, name=f"{ctx.label}_expand{k}")
        out = ctx.output(0) if last else ctx.tmp(f"tile{k}", nxt_shape, ctx.dtype(0))
        ctx.reshape(b, out, nxt_shape, name=f"{ctx.label}_merge{k}")
        cur, cur_shape = out, nxt_shape
    ctx.count("Tile -> Expand")


@onnx_op("DepthToSpace", "SpaceToDepth", max_version=28, doc="4-D, any dtype, DCR and CRD (as Reshape-Transpose-"
         "Reshape)")
def depth_space(ctx: NodeContext) -> None:
    xs = ctx.shape(0)
    if len(xs) != 4:
        raise Unsupported(f"only 4-D input is supported; input has rank {len(xs)}")
    n, c, h, w = xs
    bs = int(ctx.attr("blocksize"))
    mode = ctx.attr("mode", "DCR")
    if mode not in ("DCR", "CRD"):
        raise Unsupported(f"mode {mode!r} (DCR, CRD are supported)")
    if ctx.op_type == "DepthToSpace":
        if c % (bs * bs):
            raise Unsupported(f"{c} channels do not divide by blocksize^2 = {bs * bs}")
        oc = c // (bs * bs)
        if mode == "DCR":
            mid, perm = (n, bs, bs, oc, h, w), [0, 3, 4, 1, 5, 2]
        else:
            mid, perm = (n, oc, bs, bs, h, w), [0, 1, 4, 2, 5, 3]
        final = (n, oc, h * bs, w * bs)
    else:
        if h % bs or w % bs:
            raise Unsupported(f"spatial size {h}x{w} does not divide by blocksize {bs}")
        mid = (n, c, h // bs, bs, w // bs, bs)
        perm = [0, 3, 5, 1, 2, 4] if mode == "DCR" else [0, 1, 3, 5, 2, 4]
        final = (n, c * bs * bs, h // bs, w // bs)
    dt = ctx.dtype(0)
    a = ctx.tmp("blocks", mid, dt)
    ctx.reshape(ctx.input(0), a, mid, name=f"{ctx.label}_blocks")
    tshape = tuple(mid[p] for p in perm)
    t = ctx.tmp("moved", tshape, dt)
    ctx.emit("Transpose", [a], [t], {"perm": perm}, name=f"{ctx.label}_transpose")
    ctx.reshape(t, ctx.output(0), final, name=ctx.label)
    ctx.count(f"{ctx.op_type} -> Reshape/Transpose/Reshape")
