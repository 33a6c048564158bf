"""Resize (opset 10 to 19) and Upsample (opset 7 to 10): one engine op, Resize.

scales, sizes and roi must be constants (exporters write them as initializers, or they
fold from shape computations). `axes` and keep_aspect_ratio_policy are resolved here into
a value per dimension: the engine gets `scales` (the coordinate transform's scale per dim)
or `sizes` (then scale = output / input, in double, as onnx's reference), and `roi` for
tf_crop_and_resize. Upsample and opset-10 Resize are Resize with the asymmetric
coordinate transform (and floor for nearest), as onnxruntime runs them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..importer import NodeContext, Unsupported
from ..registry import ANY_DTYPE, engine_op, onnx_op

_MODES = ("nearest", "linear", "cubic")
_COORDS = ("half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric",
           "tf_half_pixel_for_nn", "tf_crop_and_resize")
_NEAREST = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


def _check(ctx: NodeContext, mode: str) -> None:
    if 0 in ctx.out_shape(0):
        raise Unsupported(f"the output shape {ctx.out_shape(0)} is empty (zero-size tensors are not supported)")
    if mode not in _MODES:
        raise Unsupported(f"mode {mode!r} ({', '.join(_MODES)} are supported)")
    if mode != "nearest" and ctx.dtype(0) not in (np.float32, np.float64, np.float16):
        raise Unsupported(f"{mode} resizing of {ctx.dtype(0).name} data (float only; int8 comes from quantization)")


@onnx_op("Resize", max_version=19,
         doc="any dtype (linear/cubic: float); constant scales/sizes/roi; nearest, linear, cubic; every "
         "coordinate_transformation_mode and nearest_mode; cubic_coeff_a, exclude_outside, extrapolation_value, "
         "antialias, axes, keep_aspect_ratio_policy")
def resize(ctx: NodeContext) -> None:
    xs = ctx.shape(0)
    rank = len(xs)
    if rank == 0:
        raise Unsupported("a scalar input")
    mode = ctx.attr("mode", "nearest")
    for i, what in ((1, "roi"), (2, "scales"), (3, "sizes")) if ctx.version >= 11 else ((1, "scales"),):
        if ctx.has(i):
            ctx.need_const(i, what)  # before the output shape, which depends on them
    _check(ctx, mode)
    attrs: dict[str, Any] = {"mode": mode}
    if ctx.version < 11:  # opset 10: X, scales; asymmetric, nearest rounds down (as onnxruntime)
        scales = [float(s) for s in ctx.need_const(1, "scales").reshape(-1)]
        attrs.update(coordinate_transformation_mode="asymmetric", nearest_mode="floor", scales=scales)
        ctx.emit("Resize", [ctx.input(0)], attrs=attrs)
        return
    coord = ctx.attr("coordinate_transformation_mode", "half_pixel")
    nearest = ctx.attr("nearest_mode", "round_prefer_floor")
    if coord not in _COORDS:
        raise Unsupported(f"coordinate_transformation_mode {coord!r} is not supported")
    if nearest not in _NEAREST:
        raise Unsupported(f"nearest_mode {nearest!r} is not supported")
    attrs.update(coordinate_transformation_mode=coord)
    if mode == "nearest":
        attrs["nearest_mode"] = nearest
    if mode == "cubic":
        attrs.update(cubic_coeff_a=[float(ctx.attr("cubic_coeff_a", -0.75))])
    if int(ctx.attr("exclude_outside", 0)):
        attrs["exclude_outside"] = [1]
    if ctx.version >= 18 and int(ctx.attr("antialias", 0)) and mode != "nearest":
        attrs["antialias"] = [1]
    axes = list(range(rank))
    if ctx.version >= 18 and ctx.attr("axes") is not None:
        axes = [int(a) % rank for a in ctx.attr("axes")]
    scales = ctx.need_const(2, "scales").reshape(-1) if ctx.has(2) else np.zeros(0, np.float32)
    if scales.size:
        if scales.size != len(axes):
            raise Unsupported(f"{scales.size} scales for {len(axes)} axes")
        full = [1.0] * rank
        for a, s in zip(axes, scales, strict=True):
            full[a] = float(s)
        attrs["scales"] = full
    else:
        sizes = ctx.need_const(3, "sizes").reshape(-1) if ctx.has(3) else np.zeros(0, np.int64)
        if sizes.size != len(axes):
            raise Unsupported("neither scales nor sizes is given" if not sizes.size else
                              f"{sizes.size} sizes for {len(axes)} axes")
        policy = ctx.attr("keep_aspect_ratio_policy", "stretch") if ctx.version >= 18 else "stretch"
        if policy == "stretch":
            full_sizes = list(xs)
            for a, s in zip(axes, sizes, strict=True):
                full_sizes[a] = int(s)
            attrs["sizes"] = full_sizes
        else:  # one scale for the listed axes, the output sizes rounded from it (ONNX shape inference)
            ratios = [int(s) / xs[a] for a, s in zip(axes, sizes, strict=True)]
            scale = min(ratios) if policy == "not_larger" else max(ratios)
            attrs["scales"] = [scale if a in axes else 1.0 for a in range(rank)]
    if coord == "tf_crop_and_resize":
        roi = ctx.need_const(1, "roi").reshape(-1).astype(np.float64) if ctx.has(1) else np.zeros(0)
        full_roi = [0.0] * rank + [1.0] * rank
        if roi.size:
            if roi.size != 2 * len(axes):
                raise Unsupported(f"roi has {roi.size} values for {len(axes)} axes")
            for i, a in enumerate(axes):
                full_roi[a], full_roi[rank + a] = float(roi[i]), float(roi[len(axes) + i])
        attrs["roi"] = full_roi
        attrs["extrapolation_value"] = [float(ctx.attr("extrapolation_value", 0.0))]
    ctx.emit("Resize", [ctx.input(0)], attrs=attrs)


@onnx_op("Upsample", max_version=10, doc="nearest and linear; constant scales (Resize with asymmetric coordinates)")
def upsample(ctx: NodeContext) -> None:
    mode = ctx.attr("mode", "nearest")
    if mode == "bilinear":
        mode = "linear"
    scales = ctx.attr("scales") if ctx.version < 9 else ctx.need_const(1, "scales").reshape(-1)
    _check(ctx, mode)
    if scales is None or len(scales) != len(ctx.shape(0)):
        raise Unsupported("scales must give one value per dimension")
    attrs: dict[str, Any] = {"mode": mode, "coordinate_transformation_mode": "asymmetric",
                             "scales": [float(s) for s in scales]}
    if mode == "nearest":
        attrs["nearest_mode"] = "floor"
    ctx.emit("Resize", [ctx.input(0)], attrs=attrs)
    ctx.count("Upsample -> Resize")


_STRING_ATTRS = ("mode", "coordinate_transformation_mode", "nearest_mode")


def _resize_to_onnx(node, ins, outs, b) -> None:
    a = node.attrs
    kw: dict[str, Any] = {k: str(a[k]) for k in _STRING_ATTRS if k in a}
    for k in ("exclude_outside", "antialias"):
        if k in a:
            kw[k] = int(a[k][0])
    for k in ("cubic_coeff_a", "extrapolation_value"):
        if k in a:
            kw[k] = float(a[k][0])
    roi = b.const("roi", a["roi"], np.float32) if "roi" in a else ""
    if "scales" in a:
        inputs = [ins[0], roi, b.const("scales", a["scales"], np.float32)]
    else:
        inputs = [ins[0], roi, "", b.const("sizes", a["sizes"], np.int64)]
    b.node("Resize", inputs, outs, node.name, **kw)


engine_op("Resize", to_onnx=_resize_to_onnx, dtypes=ANY_DTYPE,
          float_attrs=("cubic_coeff_a", "extrapolation_value", "scales", "roi"),
          doc="X (nearest: any dtype; linear/cubic: f32, int8 over the last two dims); `mode` [nearest], "
          "`coordinate_transformation_mode` [half_pixel], `nearest_mode` [round_prefer_floor], `cubic_coeff_a` "
          "[-0.75], `exclude_outside` [0], `extrapolation_value` [0.0], `antialias` [0], `scales` (floats, per dim) "
          "or `sizes` (ints, per dim = the output shape; scale = output / input in double), `roi` (floats, starts "
          "then ends per dim; tf_crop_and_resize)")
