"""Row banding of a large Conv + MaxPool (a .sdkm-level pass, run last, after quantization).

A stem such as ResNet's 7x7/2 conv (64 x 112 x 112 floats, 3.2 MB) followed by a 3x3/2
max pool is the largest tensor of the whole network, and it must coexist with the image
it is computed from: that pair alone sets the arena's peak. Computed in horizontal bands,
only one band of the conv output is ever alive:

    x -> Slice(rows of band k, with the conv's halo) -> Conv(pads adjusted)
      -> MaxPool(pads adjusted) -> ... -> Concat(axis 2) of the pooled bands

Each band's Conv and MaxPool see exactly the windows of the original (their top/bottom
pads are recomputed per band), so the result is identical in fp32 and bit-exact in int8
(the bands keep the conv's and the pool's quantization; Concat of equal quantization is
a copy). The cost: the conv rows shared by two pool windows at a band edge are computed
twice (one row per band for a 3x3/2 pool), plus a copy of the input rows and of the
pooled output.

The pass applies only where it pays: the conv output must be the model's largest
activation and at least `MIN_BYTES`. Bands are as few as make one conv band no larger
than the whole pooled output.
"""

from __future__ import annotations

import math

from .. import sdkm

MIN_BYTES = 256 * 1024  # below this the saving is not worth the extra nodes


def _ints(n: sdkm.Node, key: str, default: list[int]) -> list[int]:
    v = n.attrs.get(key)
    return [int(x) for x in v] if v is not None else list(default)


def _consumers(m: sdkm.Model) -> dict[int, list[sdkm.Node]]:
    out: dict[int, list[sdkm.Node]] = {}
    for n in m.nodes:
        for i in n.inputs:
            if i >= 0:
                out.setdefault(i, []).append(n)
    return out


def _candidate(m: sdkm.Model, conv: sdkm.Node, users: dict[int, list[sdkm.Node]]) -> sdkm.Node | None:
    """The MaxPool that conv's output feeds alone, when the pair can be banded exactly."""
    if conv.op != "Conv" or len(conv.outputs) != 1:
        return None
    t = conv.outputs[0]
    if t in m.outputs or len(users.get(t, [])) != 1:
        return None
    pool = users[t][0]
    if pool.op != "MaxPool" or len(pool.outputs) != 1 or pool.inputs[0] != t:
        return None
    if len(m.tensors[t].shape) != 4 or _ints(pool, "ceil_mode", [0])[0] != 0:
        return None
    if any(d != 1 for d in _ints(pool, "dilations", [1, 1])):
        return None
    return pool


def _rows_needed(out0: int, out1: int, stride: int, pad_top: int, eff: int, size: int) -> tuple[int, int, int, int]:
    """Input rows [lo, hi) that outputs [out0, out1) of a window op read, and the top and
    bottom pads that make the op on just those rows produce exactly those outputs."""
    first = out0 * stride - pad_top
    last_end = (out1 - 1) * stride - pad_top + eff
    lo, hi = max(0, first), min(size, last_end)
    return lo, hi, lo - first, max(0, last_end - hi)


def band_conv_pools(m: sdkm.Model) -> int:
    """Rewrites `m` in place; returns how many Conv + MaxPool pairs were banded."""
    users = _consumers(m)
    acts = [t.nbytes for t in m.tensors if t.data is None]
    largest = max(acts, default=0)
    done = 0
    for conv in list(m.nodes):
        pool = _candidate(m, conv, users)
        if pool is None:
            continue
        t, u = conv.outputs[0], pool.outputs[0]
        ct, pt = m.tensors[t], m.tensors[u]
        if ct.nbytes < MIN_BYTES or ct.nbytes < largest:
            continue
        x = conv.inputs[0]
        xt = m.tensors[x]
        in_h = xt.shape[2]
        conv_h = ct.shape[2]
        pool_h = pt.shape[2]
        kh = int(m.tensors[conv.inputs[1]].shape[2])
        c_sh = _ints(conv, "strides", [1, 1])[0]
        c_dh = _ints(conv, "dilations", [1, 1])[0]
        c_pads = _ints(conv, "pads", [0, 0, 0, 0])
        p_k = _ints(pool, "kernel_shape", [1, 1])[0]
        p_sh = _ints(pool, "strides", [1, 1])[0]
        p_pads = _ints(pool, "pads", [0, 0, 0, 0])
        bands = min(pool_h, max(2, math.ceil(ct.nbytes / pt.nbytes)))
        if bands < 2:
            continue
        per = math.ceil(pool_h / bands)
        plan = []
        for p0 in range(0, pool_h, per):
            p1 = min(pool_h, p0 + per)
            c0, c1, ptop, pbot = _rows_needed(p0, p1, p_sh, p_pads[0], p_k, conv_h)
            i0, i1, ctop, cbot = _rows_needed(c0, c1, c_sh, c_pads[0], (kh - 1) * c_dh + 1, in_h)
            plan.append((p0, p1, c0, c1, ptop, pbot, i0, i1, ctop, cbot))
        if any(c1 <= c0 or i1 <= i0 for _, _, c0, c1, _, _, i0, i1, _, _ in plan):
            continue  # a band would see only padding (pads wider than the kernel's reach)
        pieces: list[int] = []
        at = m.nodes.index(conv)
        new_nodes: list[sdkm.Node] = []
        for k, (p0, p1, c0, c1, ptop, pbot, i0, i1, ctop, cbot) in enumerate(plan):
            src = x
            if (i0, i1) != (0, in_h):
                src = m.add_tensor(sdkm.Tensor(f"{xt.name}/band{k}", xt.dtype, (*xt.shape[:2], i1 - i0, xt.shape[3]),
                                               None, xt.quant))
                starts, ends = [0, 0, i0, 0], [xt.shape[0], xt.shape[1], i1, xt.shape[3]]
                new_nodes.append(sdkm.Node("Slice", f"{conv.name}/band{k}/rows", [x], [src],
                                           {"starts": starts, "ends": ends}))
            cb = m.add_tensor(sdkm.Tensor(f"{ct.name}/band{k}", ct.dtype, (*ct.shape[:2], c1 - c0, ct.shape[3]),
                                          None, ct.quant))
            new_nodes.append(sdkm.Node("Conv", f"{conv.name}/band{k}", [src, *conv.inputs[1:]], [cb],
                                       {**conv.attrs, "pads": [ctop, c_pads[1], cbot, c_pads[3]]}, conv.float_attrs))
            pb = m.add_tensor(sdkm.Tensor(f"{pt.name}/band{k}", pt.dtype, (*pt.shape[:2], p1 - p0, pt.shape[3]),
                                          None, pt.quant))
            new_nodes.append(sdkm.Node("MaxPool", f"{pool.name}/band{k}", [cb], [pb],
                                       {**pool.attrs, "pads": [ptop, p_pads[1], pbot, p_pads[3]]}, pool.float_attrs))
            pieces.append(pb)
        new_nodes.append(sdkm.Node("Concat", f"{pool.name}/bands", pieces, [u], {"axis": [2]}))
        m.nodes[at:at + 1] = new_nodes
        m.nodes.remove(pool)
        done += 1
    if done:
        _drop_unused_tensors(m)
    return done


def _drop_unused_tensors(m: sdkm.Model) -> None:
    """Remove tensors no node or graph I/O refers to any more (the banded conv outputs)."""
    used = set(m.inputs) | set(m.outputs)
    for n in m.nodes:
        used.update(i for i in n.inputs if i >= 0)
        used.update(n.outputs)
    keep = [i for i in range(len(m.tensors)) if i in used]
    remap = {old: new for new, old in enumerate(keep)}
    m.tensors = [m.tensors[i] for i in keep]
    m.inputs = [remap[i] for i in m.inputs]
    m.outputs = [remap[i] for i in m.outputs]
    for n in m.nodes:
        n.inputs = [remap[i] if i >= 0 else -1 for i in n.inputs]
        n.outputs = [remap[i] for i in n.outputs]
