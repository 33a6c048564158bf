"""Property tests of the arena planner.

Directly through a test-only ctypes shim over sdk::plan_buffers (engine/tests/planner_shim.cpp),
and end to end through sdk_model_memory_info and real runs on random graphs of
Relu/Reshape (and Add when the build has it): a planner that let two live tensors overlap
would corrupt the results, which are compared with numpy.
"""

from __future__ import annotations

import numpy as np
from engine_helpers import engine, plan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdkbuild import sdkm


def align(n: int) -> int:
    return (n + 63) // 64 * 64


@st.composite
def buffers(draw: st.DrawFn) -> tuple[list[int], list[int], list[int]]:
    steps = draw(st.integers(1, 25))
    n = draw(st.integers(0, 40))
    sizes, first, last = [], [], []
    for _ in range(n):
        a, b = draw(st.integers(0, steps - 1)), draw(st.integers(0, steps - 1))
        sizes.append(draw(st.integers(1, 1 << 20) | st.sampled_from([1, 63, 64, 65, 4096])))
        first.append(min(a, b))
        last.append(max(a, b))
    return sizes, first, last


@settings(max_examples=300, deadline=None)
@given(buffers())
def test_plan_properties(bufs: tuple[list[int], list[int], list[int]]) -> None:
    sizes, first, last = bufs
    offsets, arena, lower, naive = plan(sizes, first, last)
    n = len(sizes)
    for i in range(n):
        assert offsets[i] % 64 == 0
        assert offsets[i] + align(sizes[i]) <= arena
        for j in range(i):
            live_together = first[i] <= last[j] and first[j] <= last[i]
            disjoint = offsets[i] + align(sizes[i]) <= offsets[j] or offsets[j] + align(sizes[j]) <= offsets[i]
            assert not live_together or disjoint, (i, j)
    steps = max(last, default=-1) + 1
    expect_lower = max((sum(align(s) for s, f, la in zip(sizes, first, last, strict=True) if f <= t <= la)
                        for t in range(steps)), default=0)
    assert lower == expect_lower
    assert naive == sum(align(s) for s in sizes)
    assert lower <= arena <= naive


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 100000), min_size=1, max_size=20))
def test_plan_tight_cases(sizes: list[int]) -> None:
    n = len(sizes)
    # all live at once: the arena is exactly their sum
    _, arena, lower, _ = plan(sizes, [0] * n, [0] * n)
    assert arena == lower == sum(align(s) for s in sizes)
    # one after another: everything reuses the largest slot
    _, arena, lower, _ = plan(sizes, list(range(n)), list(range(n)))
    assert arena == lower == max(align(s) for s in sizes)


def test_plan_chain_uses_two_slots() -> None:
    # a chain of equal tensors, each live while produced and consumed: ping-pong
    n = 10
    offsets, arena, lower, _ = plan([1000] * n, list(range(n)), [i + 1 for i in range(n)])
    assert arena == lower == 2 * align(1000)
    assert len(set(offsets)) == 2


def test_plan_best_fit_fills_gap() -> None:
    # A (big) and C (small) live at step 0..1, B at 0; after B dies, D fits into B's hole
    sizes = [4096, 1024, 640, 1024]
    first = [0, 0, 0, 1]
    last = [1, 0, 1, 1]
    offsets, arena, lower, _ = plan(sizes, first, last)
    assert arena == lower == 4096 + 1024 + 640
    assert offsets[3] == offsets[1]


# ------------------------------------------------------------------ through the engine


@st.composite
def graphs(draw: st.DrawFn) -> tuple[sdkm.Model, dict[str, np.ndarray], dict[str, np.ndarray]]:
    ops = ["Relu", "Reshape"] + (["Add"] if "Add" in engine().ops else [])
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    m = sdkm.Model(name="g")
    values: list[np.ndarray] = []
    inputs: dict[str, np.ndarray] = {}
    for k, shape in enumerate(draw(st.lists(st.sampled_from([(4, 8), (2, 3, 5), (64,), (16, 16)]), min_size=1,
                                            max_size=3))):
        t = m.add_tensor(sdkm.Tensor(f"in{k}", 1, shape))
        m.inputs.append(t)
        v = rng.standard_normal(shape).astype(np.float32)
        values.append(v)
        inputs[f"in{k}"] = v
    consumed: set[int] = set()
    for i in range(draw(st.integers(1, 14))):
        op = draw(st.sampled_from(ops))
        a = draw(st.integers(0, len(values) - 1))
        x = values[a]
        if op == "Relu":
            y, ins, attrs = np.maximum(x, 0), [a], {}
        elif op == "Reshape":
            shape = draw(st.sampled_from([(x.size,), (1, x.size), (x.size // x.shape[0], x.shape[0])]))
            y, ins, attrs = x.reshape(shape), [a], {"shape": list(shape)}
        else:
            same = [j for j, v in enumerate(values) if v.shape == x.shape]
            b = draw(st.sampled_from(same))
            y, ins, attrs = x + values[b], [a, b], {}
        t = m.add_tensor(sdkm.Tensor(f"t{i}", 1, y.shape))
        m.nodes.append(sdkm.Node(op, f"n{i}", ins, [t], attrs))
        consumed.update(ins)
        values.append(y)
    leaves = [j for j in range(len(m.inputs), len(values)) if j not in consumed]
    extra = draw(st.lists(st.integers(len(m.inputs), len(values) - 1), max_size=2))
    m.outputs = sorted(set(leaves) | set(extra))
    expected = {m.tensors[j].name: values[j] for j in m.outputs}
    return m, inputs, expected


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.sampled_from([1, 2]))
def test_random_graphs_run_correctly(g: tuple[sdkm.Model, dict, dict], threads: int) -> None:
    m, inputs, expected = g
    with engine().load(sdkm.encode(m)) as model:
        mi = model.memory_info()
        assert mi.arena_lower_bound <= mi.arena_bytes <= mi.naive_bytes
        produced = [t for j, t in enumerate(m.tensors) if j in m.inputs or any(j in n.outputs for n in m.nodes)]
        assert mi.naive_bytes == sum(align(t.nbytes) for t in produced)
        assert mi.arena_bytes >= max(align(t.nbytes) for t in produced)
        with model.session(threads) as s:
            for _ in range(2):  # a second run must not see the first run's leftovers
                out = s.run(inputs)
                for name, want in expected.items():
                    np.testing.assert_allclose(out[name], want.reshape(out[name].shape), rtol=1e-6, atol=1e-6)
