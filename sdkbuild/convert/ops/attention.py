"""Attention (ONNX opsets 23-25) onto the engine's 4-D Attention op. The pattern of older
exports (MatMul-scale-mask-Softmax-MatMul) is fused into the same op by the pass in
sdkbuild/convert/attention.py."""

from __future__ import annotations

import math

import numpy as np

from ..importer import NodeContext, Unsupported
from ..registry import OnnxBuilder, engine_op, onnx_op


def _to_heads(ctx: NodeContext, i: int, heads: int, what: str) -> str:
    """[B, S, H*D] -> [B, H, S, D] (Reshape + Transpose); 4-D inputs as they are."""
    xs = ctx.shape(i)
    if len(xs) == 4:
        return ctx.input(i)
    if heads < 1 or xs[2] % heads:
        raise Unsupported(f"{what} hidden size {xs[2]} is not a multiple of its {heads} heads")
    b, s, hid = xs
    split = ctx.tmp(f"{what}_split", (b, s, heads, hid // heads))
    ctx.reshape(ctx.input(i), split, (b, s, heads, hid // heads), name=f"{ctx.label}_{what}_split")
    out = ctx.tmp(f"{what}_heads", (b, heads, s, hid // heads))
    ctx.emit("Transpose", [split], [out], {"perm": [0, 2, 1, 3]}, name=f"{ctx.label}_{what}_heads")
    return out


def _concat_past(ctx: NodeContext, past: int, cur: str, what: str) -> str:
    if not ctx.has(past):
        return cur
    ps, cs = ctx.shape(past), ctx.g.values[cur].shape
    if len(ps) != 4 or ps[:2] != cs[:2] or ps[3] != cs[3]:
        raise Unsupported(f"past {what} {ps} does not fit the current {what} {cs}")
    full = ctx.tmp(f"present_{what}", (cs[0], cs[1], ps[2] + cs[2], cs[3]))
    ctx.emit("Concat", [ctx.input(past), cur], [full], {"axis": [2]}, name=f"{ctx.label}_present_{what}")
    return full


@onnx_op("Attention", max_version=25,
         doc="3-D and 4-D; grouped-query heads; bool or float masks (shorter masks padded); is_causal; scale; "
         "softcap; past key/value (present outputs); nonpad_kv_seqlen; sliding windows; qk_matmul_output (modes "
         "0-3); float32")
def attention(ctx: NodeContext) -> None:
    qs, ks, vs = ctx.shape(0), ctx.shape(1), ctx.shape(2)
    if not (len(qs) == len(ks) == len(vs) and len(qs) in (3, 4)):
        raise Unsupported(f"Q, K, V must all be 3-D or all 4-D (got ranks {len(qs)}, {len(ks)}, {len(vs)})")
    for i in range(3):
        if ctx.dtype(i) != np.float32:
            raise Unsupported(f"input {i} is {ctx.dtype(i).name}; the engine's Attention computes float32")
    three_d = len(qs) == 3
    if three_d:
        hq, hkv = int(ctx.attr("q_num_heads", 0)), int(ctx.attr("kv_num_heads", 0))
        if hq < 1 or hkv < 1:
            raise Unsupported("3-D inputs need q_num_heads and kv_num_heads")
    else:
        hq, hkv = qs[1], ks[1]
    q = _to_heads(ctx, 0, hq, "q")
    k = _to_heads(ctx, 1, hkv, "k")
    v = _to_heads(ctx, 2, hkv, "v")
    if ctx.has(4) != ctx.has(5):
        raise Unsupported("past_key and past_value must be given together")
    past_len = ctx.shape(4)[2] if ctx.has(4) else 0
    k = _concat_past(ctx, 4, k, "key")
    v = _concat_past(ctx, 5, v, "value")
    q4, k4, v4 = (ctx.g.values[n].shape for n in (q, k, v))
    if q4[1] % k4[1]:
        raise Unsupported(f"{q4[1]} query heads are not a multiple of {k4[1]} key/value heads")
    mask = ctx.input(3) if ctx.has(3) else ""
    if mask:
        if ctx.dtype(3) not in (np.dtype(np.float32), np.dtype(np.bool_)):
            raise Unsupported(f"attn_mask is {ctx.dtype(3).name}; expected float32 or bool")
        ms = ctx.shape(3)
        if not 1 <= len(ms) <= 4 or ms[-1] > k4[2]:
            raise Unsupported(f"attn_mask of shape {ms} does not fit {k4[2]} keys")
    nonpad = ctx.input(6) if ctx.has(6) else ""
    if nonpad and ctx.has(4):
        raise Unsupported("nonpad_kv_seqlen together with past_key")
    scale = ctx.attr("scale")
    attrs = {
        "scale": [float(scale) if scale is not None else 1.0 / math.sqrt(q4[3])],
        "softcap": [float(ctx.attr("softcap", 0.0))],
        "is_causal": [int(ctx.attr("is_causal", 0))],
        "offset": [past_len],
        "left_window": [int(ctx.attr("left_window_size", -1))],
        "right_window": [int(ctx.attr("right_window_size", -1))],
        "qk_mode": [int(ctx.attr("qk_matmul_output_mode", 0))],
    }
    b, h, s, dv = q4[0], q4[1], q4[2], v4[3]
    y4 = ctx.tmp("y", (b, h, s, dv)) if three_d else ctx.declare_output(0, (b, h, s, dv))
    outs = [y4]
    if len(ctx.node.output) > 3 and ctx.used(3):
        outs.append(ctx.declare_output(3, (b, h, s, k4[2])))
    ins = [q, k, v, mask] + ([nonpad] if nonpad else [])
    ctx.emit("Attention", ins, outs, attrs)
    if three_d:
        yt = ctx.tmp("yt", (b, s, h, dv))
        ctx.emit("Transpose", [y4], [yt], {"perm": [0, 2, 1, 3]}, name=f"{ctx.label}_y_merge")
        ctx.reshape(yt, ctx.output(0), (b, s, h * dv), name=f"{ctx.label}_y_flat")
    for out_i, src in ((1, k), (2, v)):
        if len(ctx.node.output) > out_i and ctx.used(out_i):
            ctx.alias(out_i, src)


def _attention_to_onnx(node, ins: list[str], outs: list[str], b: OnnxBuilder) -> None:
    """Calibration: the engine op as ONNX ops (MatMul, Softmax, ...) that onnxruntime runs."""
    a = node.attrs
    get = lambda k, d: (a[k][0] if k in a else d)  # noqa: E731
    if get("softcap", 0.0) or get("is_causal", 0) or get("left_window", -1) >= 0 or get("right_window", -1) >= 0 \
            or len(ins) > 4 or len(outs) > 1:
        raise NotImplementedError("Attention with causal/window/softcap/nonpad/qk output in int8 calibration")
    q, k, v = ins[:3]
    if get("k_transposed", 0):
        kt = k
    else:
        kt = b.tmp("kt")
        b.node("Transpose", [k], [kt], perm=[0, 1, 3, 2])
    scores = b.tmp("scores")
    b.node("MatMul", [q, kt], [scores])
    scaled = b.tmp("scaled")
    b.node("Mul", [scores, b.const("scale", np.float32(get("scale", 1.0)))], [scaled])
    if len(ins) > 3 and ins[3]:
        biased = b.tmp("biased")
        b.node("Add", [scaled, ins[3]], [biased])
        scaled = biased
    probs = b.tmp("probs")
    b.node("Softmax", [scaled], [probs], axis=-1)
    b.node("MatMul", [probs, v], [outs[0]])


engine_op("Attention", float_attrs=("scale", "softcap"), to_onnx=_attention_to_onnx,
          dtypes=("float32", "bool", "int64", "int32"),
          doc="Q [B,Hq,S,D], K [B,Hkv,L,D] (or [B,Hkv,D,L] with `k_transposed` 1), V [B,Hkv,L,Dv][, mask (f32 "
          "added or bool; broadcast to [B,Hq,S,<=L], keys past its end masked)[, nonpad_kv_seqlen [B]]]; "
          "`scale`, `softcap`, `is_causal`, `offset` (past length: query i attends keys j <= i + offset), "
          "`left_window`, `right_window`, `qk_mode`; outputs Y [B,Hq,S,Dv][, the scores per `qk_mode`]. "
          "GQA when Hq is a multiple of Hkv; fully masked rows give zeros")
