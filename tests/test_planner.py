"""Property tests of the arena planner, and its arena sizes on real model shapes.

Directly through a test-only ctypes shim over sdk::plan_buffers (engine/tests/planner_shim.cpp),
and end to end through sdk_model_memory_info and real runs on random graphs of
Relu/Reshape (and Add when the build has it): a planner that let two live tensors overlap
would corrupt the results, which are compared with numpy (onnxruntime for the CNNs).

The quality target: the arena is at most 1.05 x the lower bound (the largest total size
live at one step) on the example models and on ResNet-18 / MobileNet V1 / V2 shaped graphs,
and at most 0.25 x the naive sum (every tensor its own buffer) wherever the lower bound
allows it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from engine_helpers import engine, plan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from sdkbuild import sdkm
from sdkbuild.convert import convert_file

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "models"
MAX_RATIO = 1.05  # arena / lower bound
MAX_VS_NAIVE = 0.25  # arena / naive, where the lower bound allows it


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
    assert plan(sizes, first, last) == (offsets, arena, lower, naive)  # deterministic


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


def test_plan_persistent_input_beside_the_widest_step() -> None:
    # MobileNetV2's first blocks: greedy by size puts the persistent input (0) right above
    # the 2.4 MB expansion (2), where the residual (4) no longer fits beside 5 and 6; the
    # lower bound (0 + 2 + 3 at step 4) is reachable.
    sizes = [602112, 401408, 2408448, 602112, 200704, 1204224, 1204224]
    first = [0, 2, 3, 4, 5, 6, 7]
    last = [12, 3, 4, 5, 10, 7, 8]
    _, arena, lower, _ = plan(sizes, first, last)
    assert lower == 602112 + 2408448 + 602112
    assert arena == lower


def test_plan_local_search_beats_every_greedy_order() -> None:
    # No greedy order alone reaches the lower bound here (the best seed is 9.5% above);
    # the hill climb does.
    sizes = [768, 896, 1280, 832, 192, 320, 768, 576]
    first = [1, 0, 3, 2, 1, 0, 0, 2]
    last = [2, 2, 4, 3, 4, 0, 4, 3]
    _, arena, lower, _ = plan(sizes, first, last)
    assert arena == lower == 4032


def _check_no_overlap(sizes: list[int], first: list[int], last: list[int], offsets: list[int]) -> None:
    """Sweep over steps: the buffers live at each step, sorted by offset, must not overlap."""
    events: dict[int, list[int]] = {}
    for i, (f, la) in enumerate(zip(first, last, strict=True)):
        for t in range(f, la + 1):
            events.setdefault(t, []).append(i)
    for live in events.values():
        spans = sorted((offsets[i], offsets[i] + align(sizes[i])) for i in live)
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert end <= start


@pytest.mark.parametrize("shape", ["chain", "skips"])
def test_plan_10k_buffers_quickly(shape: str) -> None:
    # A hostile 10k-node graph: O(n^2) passes only (the local search's work cap keeps it
    # from adding more), so it plans in a fraction of a second. CPU time, not wall time:
    # the CI machine is shared.
    rng = np.random.default_rng(7)
    n = 10000
    if shape == "chain":  # persistent input + a chain of activations of three sizes
        sizes = [602112] + [int(v) for v in rng.choice([100352, 200704, 401408], n)]
        first = [0] + list(range(n))
        last = [n] + [i + 1 for i in range(n)]
    else:  # skip connections of random length
        sizes = [int(v) for v in rng.integers(1, 32000, n)]
        first = list(range(n))
        last = [min(n - 1, i + int(rng.exponential(20))) for i in range(n)]
    start = time.process_time()
    offsets, arena, lower, naive = plan(sizes, first, last)
    elapsed = time.process_time() - start
    _check_no_overlap(sizes, first, last, offsets)
    assert lower <= arena <= naive
    assert arena <= 1.25 * lower
    assert elapsed < 3.0, f"planning 10k buffers took {elapsed:.2f} s"


# ------------------------------------------------------------------ through the engine


@st.composite
def graphs(draw: st.DrawFn) -> tuple[sdkm.Model, dict[str, np.ndarray], dict[str, np.ndarray]]:
    ops = ["Relu", "Reshape"] + [op for op in ("Add", "Concat") if op in engine().ops]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    m = sdkm.Model(name="g")
    values: list[np.ndarray] = []
    inputs: dict[str, np.ndarray] = {}
    # (rows of 16 floats: Concat offsets of whole 64-byte lines, which the planner may lay in place)
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
        elif op == "Add":
            same = [j for j, v in enumerate(values) if v.shape == x.shape]
            b = draw(st.sampled_from(same))
            y, ins, attrs = x + values[b], [a, b], {}
        else:  # Concat along axis 0 (one outer step: the planner may lay the inputs in the output)
            same = [j for j, v in enumerate(values) if v.shape[1:] == x.shape[1:]]
            ins = [a] + draw(st.lists(st.sampled_from(same), min_size=1, max_size=3))
            y, attrs = np.concatenate([values[j] for j in ins]), {"axis": [0]}
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


@pytest.mark.parametrize("axis", [1, 2])
def test_concat_inputs_laid_in_its_output(axis: int) -> None:
    """A Concat of one outer step (batch 1, channels): the planner lays its inputs in its output,
    so their producers write the output's slices and the Concat copies nothing; the arena then
    holds x and the output at most (3 planes), not both inputs beside the output (4). Along the
    rows (16 outer steps) the inputs stay apart."""
    if "Concat" not in engine().ops or "Add" not in engine().ops:
        pytest.skip("the development engine has no Concat/Add")
    m = sdkm.Model(name="cat")
    x = np.random.default_rng(axis).standard_normal((1, 16, 8, 8)).astype(np.float32)
    m.inputs = [m.add_tensor(sdkm.Tensor("x", 1, x.shape))]
    a, b = m.add_tensor(sdkm.Tensor("a", 1, x.shape)), m.add_tensor(sdkm.Tensor("b", 1, x.shape))
    y_shape = np.concatenate([x, x], axis=axis).shape
    y, z = m.add_tensor(sdkm.Tensor("y", 1, y_shape)), m.add_tensor(sdkm.Tensor("z", 1, y_shape))
    m.nodes += [sdkm.Node("Relu", "relu", [0], [a]), sdkm.Node("Add", "add", [0, 0], [b]),
                sdkm.Node("Concat", "cat", [a, b], [y], {"axis": [axis]}), sdkm.Node("Relu", "relu2", [y], [z])]
    m.outputs = [z]
    want = np.maximum(np.concatenate([np.maximum(x, 0), x + x], axis=axis), 0)
    with engine().load(sdkm.encode(m)) as model:
        assert model.memory_info().arena_bytes == (3 if axis == 1 else 4) * x.nbytes
        for threads in (1, 2):
            with model.session(threads) as s:
                for _ in range(2):
                    np.testing.assert_array_equal(s.run({"x": x})["z"], want)


def test_10k_node_graph_loads_quickly_and_runs() -> None:
    # 10k nodes, Add with a skip connection of random length then Clip: thousands of
    # buffers live for a while. The load (planning included) must stay fast and the plan
    # correct (the results match numpy).
    if not {"Add", "Clip"} <= set(engine().ops):
        pytest.skip("the development engine has no Add/Clip")
    rng = np.random.default_rng(3)
    m = sdkm.Model(name="deep")
    shape = (2, 16)
    x = rng.standard_normal(shape).astype(np.float32)
    m.inputs = [m.add_tensor(sdkm.Tensor("x", 1, shape))]
    ids, values = [m.inputs[0]], [x]
    for i in range(5000):
        j = max(0, len(values) - 1 - int(rng.integers(1, 60)))
        s = m.add_tensor(sdkm.Tensor(f"s{i}", 1, shape))
        c = m.add_tensor(sdkm.Tensor(f"c{i}", 1, shape))
        m.nodes.append(sdkm.Node("Add", f"add{i}", [ids[-1], ids[j]], [s]))
        m.nodes.append(sdkm.Node("Clip", f"clip{i}", [s], [c], {"min": [-1.0], "max": [1.0]},
                                 float_attrs=frozenset({"min", "max"})))
        ids.append(c)
        values.append(np.clip(values[-1] + values[j], -1.0, 1.0))
    m.outputs = [ids[-1]]
    data = sdkm.encode(m)
    start = time.process_time()
    with engine().load(data) as model:
        elapsed = time.process_time() - start
        mi = model.memory_info()
        assert mi.arena_lower_bound <= mi.arena_bytes <= MAX_RATIO * mi.arena_lower_bound
        with model.session() as sess:
            np.testing.assert_array_equal(sess.run({"x": x})[m.tensors[ids[-1]].name], values[-1])
    assert elapsed < 3.0, f"loading a 10k-node graph took {elapsed:.2f} s"


# ------------------------------------------------------------------ real model shapes


class _Graph:
    """A small onnx.helper graph builder with random weights (BatchNorm after each conv,
    as exported models have it; the converter folds it)."""

    def __init__(self, seed: int = 0) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.rng = np.random.default_rng(seed)

    def _name(self, prefix: str) -> str:
        return f"{prefix}{len(self.nodes) + len(self.inits)}"

    def tensor(self, value: np.ndarray) -> str:
        name = self._name("w")
        self.inits.append(numpy_helper.from_array(value.astype(np.float32), name))
        return name

    def op(self, op: str, inputs: list[str], **attrs: object) -> str:
        out = self._name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv(self, x: str, cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, act: str | None = "relu") -> str:
        fan_in = cin // groups * k * k
        w = self.tensor(self.rng.standard_normal((cout, cin // groups, k, k)) * np.sqrt(2.0 / fan_in))
        y = self.op("Conv", [x, w], kernel_shape=[k, k], strides=[stride, stride], pads=[k // 2] * 4, group=groups)
        bn = [self.tensor(self.rng.uniform(0.5, 1.5, cout)), self.tensor(self.rng.uniform(-0.1, 0.1, cout)),
              self.tensor(self.rng.uniform(-0.1, 0.1, cout)), self.tensor(self.rng.uniform(0.5, 1.5, cout))]
        y = self.op("BatchNormalization", [y, *bn])
        if act == "relu":
            return self.op("Relu", [y])
        if act == "relu6":
            return self.op("Clip", [y, self.tensor(np.array(0.0)), self.tensor(np.array(6.0))])
        return y

    def model(self, x: str, channels: int, res: int, classes: int = 100) -> onnx.ModelProto:
        x = self.op("Flatten", [self.op("GlobalAveragePool", [x])], axis=1)
        w = self.tensor(self.rng.standard_normal((classes, channels)) * 0.05)
        y = self.op("Gemm", [x, w, self.tensor(np.zeros(classes))], transB=1)
        graph = helper.make_graph(self.nodes, "g", [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                                                  [1, 3, res, res])],
                                  [helper.make_tensor_value_info(y, TensorProto.FLOAT, [1, classes])], self.inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def resnet18(res: int, width: float) -> onnx.ModelProto:
    g = _Graph()
    ch = [max(8, int(c * width)) for c in (64, 128, 256, 512)]
    x = g.op("MaxPool", [g.conv("input", 3, ch[0], 7, 2)], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = ch[0]
    for stage, cout in enumerate(ch):
        for block in range(2):
            stride = 2 if stage > 0 and block == 0 else 1
            y = g.conv(g.conv(x, cin, cout, 3, stride), cout, cout, 3, act=None)
            shortcut = g.conv(x, cin, cout, 1, stride, act=None) if stride != 1 or cin != cout else x
            x = g.op("Relu", [g.op("Add", [y, shortcut])])
            cin = cout
    return g.model(x, cin, res)


def mobilenet_v1(res: int, width: float) -> onnx.ModelProto:
    g = _Graph()
    c = lambda n: max(8, int(n * width))  # noqa: E731
    x, cin = g.conv("input", 3, c(32), 3, 2, act="relu6"), c(32)
    for cout, stride in [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2),
                                                                                                      (1024, 1)]:
        x = g.conv(g.conv(x, cin, cin, 3, stride, groups=cin, act="relu6"), cin, c(cout), 1, act="relu6")
        cin = c(cout)
    return g.model(x, cin, res)


def mobilenet_v2(res: int, width: float) -> onnx.ModelProto:
    g = _Graph()
    c = lambda n: max(8, int(n * width) // 8 * 8)  # noqa: E731
    x, cin = g.conv("input", 3, c(32), 3, 2, act="relu6"), c(32)
    for t, cout, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                          (6, 320, 1, 1)]:
        for i in range(n):
            stride, hidden = (s if i == 0 else 1), cin * t
            y = g.conv(x, cin, hidden, 1, act="relu6") if t != 1 else x
            y = g.conv(g.conv(y, hidden, hidden, 3, stride, groups=hidden, act="relu6"), hidden, c(cout), 1, act=None)
            x = g.op("Add", [x, y]) if stride == 1 and cin == c(cout) else y
            cin = c(cout)
    return g.model(g.conv(x, cin, 1280, 1, act="relu6"), 1280, res)


def squeezenet(res: int, width: float) -> onnx.ModelProto:
    """SqueezeNet 1.1's fire modules: squeeze 1x1, expand 1x1 and 3x3, Concat (laid in place)."""
    g = _Graph()
    c = lambda n: max(8, int(n * width) // 8 * 8)  # noqa: E731
    x = g.op("MaxPool", [g.conv("input", 3, c(64), 3, 2)], kernel_shape=[3, 3], strides=[2, 2])
    cin = c(64)
    for i, (sq, ex) in enumerate([(16, 64), (16, 64), (32, 128), (32, 128), (48, 192), (48, 192), (64, 256),
                                  (64, 256)]):
        s = g.conv(x, cin, c(sq), 1)
        x, cin = g.op("Concat", [g.conv(s, c(sq), c(ex), 1), g.conv(s, c(sq), c(ex), 3)], axis=1), 2 * c(ex)
        if i in (1, 3):
            x = g.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2])
    return g.model(x, cin, res)


# name -> (builder or example file, whether the lower bound allows arena <= 0.25 x naive)
SHAPES: dict[str, tuple[Callable[[], onnx.ModelProto] | str, bool]] = {
    "digits_cnn": ("digits_cnn.onnx", False),  # 8x8 input: the lower bound is 61% of naive
    "mobilenetv2_224": ("mobilenetv2_224.onnx", True),
    # ResNet's stem conv + max pool runs in row bands (convert/banding.py): without them its
    # output and the image it is computed from are 29% of naive on their own
    "resnet18_112": (lambda: resnet18(112, 0.5), True),
    "mobilenet_v1_112": (lambda: mobilenet_v1(112, 0.5), True),
    # width 0.75: the channel ratios where greedy by size alone ends 5.6% above the bound
    "mobilenet_v2_112": (lambda: mobilenet_v2(112, 0.75), True),
    "squeezenet_112": (lambda: squeezenet(112, 0.5), True),
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_arena_near_lower_bound_on_real_shapes(name: str, tmp_path: Path) -> None:
    source, quarter_reachable = SHAPES[name]
    if isinstance(source, str):
        onnx_path = EXAMPLES / source
    else:
        onnx_path = tmp_path / f"{name}.onnx"
        onnx.save(source(), onnx_path)
    convert_file(onnx_path, tmp_path / f"{name}.sdkm")
    with engine().load(tmp_path / f"{name}.sdkm") as model:
        mi = model.memory_info()
        assert mi.arena_lower_bound <= mi.arena_bytes <= MAX_RATIO * mi.arena_lower_bound, mi
        if quarter_reachable:
            assert mi.arena_bytes <= MAX_VS_NAIVE * mi.naive_bytes, mi
        else:  # the bound itself rules the 75% reduction out; tighten this when it no longer does
            assert mi.arena_lower_bound > MAX_VS_NAIVE * mi.naive_bytes, mi
        # the plan is used for real: a run matches onnxruntime on the original
        sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
        inp = sess.get_inputs()[0]
        x = np.random.default_rng(0).standard_normal([d if isinstance(d, int) else 1 for d in inp.shape])
        x = x.astype(np.float32)
        want = sess.run(None, {inp.name: x})[0]
        with model.session(threads=2) as s:
            got = next(iter(s.run({inp.name: x}).values()))
        np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-3, atol=1e-3)
