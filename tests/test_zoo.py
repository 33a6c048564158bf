"""The model zoo (tests/zoo/README.md): current mobile architectures exported from torch with
random weights, stored compactly and regenerated from a seed, converted with
`sdkbuild.convert`, run on the host engine and compared with onnxruntime on the same inputs.

* fp32: max |engine - onnxruntime| / max |onnxruntime| <= the manifest's `fp32_rel` (1e-4),
  for every output.
* int8 (CNNs, segmenters, detectors, onnx's light models; calibrated on 16 samples drawn like
  the input): the engine equals `quantize.simulate()` bit for bit (within 1e-4 relative
  where fp32 ops such as a final Softmax follow the last int8 op: simulate() runs those on
  onnxruntime, whose last bits differ from the engine's kernels), and its cosine with
  onnxruntime's fp32 output is >= the manifest's per-model `int8_cosine` (a little below what
  the model reached when it first converted: random-weight networks are chaotic, so int8
  reaches ~0.95-0.999 on them, docs/int8.md; 0.9 for a model not measured yet). Where fp32 ops
  run between int8 ones (fp32 "islands": Sigmoid gates, dynamo's HardSwish, ...),
  `simulate()` runs them on onnxruntime, whose last bits differ from the engine's fp32
  kernels; a flipped rounding then grows through the chaotic network (regnet_y_400mf: cosine
  0.989 with simulate), so there the bar is cosine >= 0.98 with simulate.

Models that do not convert or run yet are listed in tests/zoo/not_yet.txt: their test is a
strict xfail whose reason is the converter's (or engine's) own message. When one starts to
work, its test fails (XPASS strict) until its line is removed; a model that fails and is
not listed is a real failure.

The default run takes the models marked "default" in the manifest (at least one per family,
chosen so that the run stays within ~4 minutes on 2 cores once all of them convert);
`SDKBUILD_ZOO=all` runs every model. `python tests/zoo/status.py` prints the whole table.
The model runs carry the `slow` marker (CI runs them; `-m "not slow"` skips them).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from zoo import check, zoo

ALL = os.environ.get("SDKBUILD_ZOO", "") == "all"
SIM_COSINE_WITH_ISLANDS = 0.98
NOT_YET_FILE = Path(zoo.__file__).parent / "not_yet.txt"


def not_yet() -> dict[tuple[str, str], str]:
    """(model, mode) -> the comment of its line in not_yet.txt."""
    out = {}
    for line in NOT_YET_FILE.read_text().splitlines():
        text, _, comment = line.partition("#")
        words = text.split()
        if not words:
            continue
        name, modes = words[0], words[1:] or ["fp32", "int8"]
        for mode in modes:
            out[(name, mode)] = comment.strip()
    return out


class _NeverRaised(Exception):
    """xfail(raises=...) target: only pytest.xfail() (the known refusal) counts as xfailed;
    a wrong result of a listed model is still a failure."""


def _cases():
    listed = not_yet()
    for name in zoo.names():
        e = zoo.entry(name)
        if not (ALL or e["default"]):
            continue
        for mode in ("fp32", "int8") if e["int8"] else ("fp32",):
            marks = [pytest.mark.xfail(strict=True, raises=_NeverRaised,
                                       reason=f"listed in tests/zoo/not_yet.txt: {listed[(name, mode)]}")
                     ] if (name, mode) in listed else []
            yield pytest.param(name, mode, id=f"{name}-{mode}", marks=marks)


@pytest.fixture(scope="session")
def engine_lib() -> Path:
    from sdkbuild import runtime

    return runtime.build_dev_engine()


@pytest.mark.slow
@pytest.mark.parametrize("name,mode", list(_cases()))
def test_zoo_model(name: str, mode: str, engine_lib: Path, tmp_path: Path) -> None:
    o = check.evaluate(name, mode, engine_lib, tmp_path)
    assert not o.reference_problems, f"{name}: the regenerated model's reference output is useless: " \
                                     f"{o.reference_problems}"
    if o.error is not None:
        if (name, mode) in not_yet():
            pytest.xfail(f"[{o.stage}] {o.error}")
        pytest.fail(f"{name} ({mode}) is refused at {o.stage} and is not listed in tests/zoo/not_yet.txt:\n"
                    f"{o.error}")
    tol = zoo.entry(name)["tolerance"]
    timing = ", ".join(f"{k} {v:.2f} s" for k, v in o.times.items())
    if mode == "fp32":
        print(f"{name} fp32: max rel error {o.rel_err:.2e} ({timing})")
        assert o.rel_err <= tol["fp32_rel"], f"{name}: engine vs onnxruntime max rel error {o.rel_err:.3e}"
        return
    print(f"{name} int8: simulate exact {o.sim_exact} (cos {o.sim_cosine:.6f}, {o.int8_islands} fp32 islands), "
          f"cosine vs fp32 {o.cosine:.4f} ({timing})")
    if o.fp32_ops == 0:
        assert o.sim_exact, f"{name}: the engine's int8 output differs from quantize.simulate()"
    elif o.int8_islands == 0:  # fp32 ops only after the last int8 one (e.g. a Softmax): no chaos after them
        assert o.sim_rel_err <= 1e-4, f"{name}: engine vs quantize.simulate() max rel error {o.sim_rel_err:.3e}"
    else:  # see the module docstring
        assert o.sim_cosine >= SIM_COSINE_WITH_ISLANDS, f"{name}: engine vs quantize.simulate() cosine " \
                                                        f"{o.sim_cosine:.6f}"
    assert o.cosine >= tol["int8_cosine"], f"{name}: int8 vs fp32 cosine {o.cosine:.4f} < {tol['int8_cosine']}"


# --------------------------------------------------------------------------- the zoo itself


def test_not_yet_lists_only_zoo_models() -> None:
    names = set(zoo.names())
    for (name, mode) in not_yet():
        assert name in names, f"tests/zoo/not_yet.txt names {name!r}, which is not in the manifest"
        assert mode in ("fp32", "int8"), f"tests/zoo/not_yet.txt: {name}: unknown mode {mode!r}"
        assert mode == "fp32" or zoo.entry(name)["int8"], f"{name} has no int8 test; drop 'int8' from its line"


def test_every_family_in_the_default_run() -> None:
    families = {e["family"] for e in zoo.manifest()["models"].values()}
    default = {e["family"] for e in zoo.manifest()["models"].values() if e["default"]}
    assert families == default, f"families without a model in the default run: {sorted(families - default)}"
    assert families >= {"cnn", "segmentation", "detector", "vision-transformer", "text-encoder", "speech-encoder"}


@pytest.mark.slow
@pytest.mark.parametrize("name", zoo.names())
def test_regenerated_model_is_sane(name: str) -> None:
    """Every zoo model, also those outside the default run of test_zoo_model, regenerates to a
    valid graph whose onnxruntime outputs are finite and not flat, with the inputs and outputs
    the manifest describes."""
    e = zoo.entry(name)
    proto = zoo.load(name)
    onnx.checker.check_model(proto)
    assert not any(t.data_location == onnx.TensorProto.EXTERNAL for t in proto.graph.initializer)
    feeds = zoo.inputs(name)
    assert [(k, list(v.shape), v.dtype.name) for k, v in feeds.items()] == \
        [(i["name"], i["shape"], i["dtype"]) for i in e["inputs"]]
    out = check.ort_outputs(proto, feeds)
    assert [(k, list(v.shape)) for k, v in out.items()] == [(o["name"], o["shape"]) for o in e["outputs"]]
    assert not zoo.output_sanity(out.items())


@pytest.mark.parametrize("name", ["squeezenet1_1", "light_squeezenet"])
def test_regeneration_is_deterministic_per_seed(name: str) -> None:
    feeds = zoo.inputs(name)
    out = check.ort_outputs(zoo.load(name), feeds)
    again = check.ort_outputs(zoo.load(name), feeds)
    assert all(np.array_equal(out[k], again[k]) for k in out)
    other = check.ort_outputs(zoo.load(name, seed=1), feeds)
    assert any(not np.array_equal(out[k], other[k]) for k in out)
    assert not zoo.output_sanity(other.items())


def _tiny_model() -> onnx.ModelProto:
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.uniform(-0.2, 0.2, (16, 8, 3, 3)).astype(np.float32) *
                                np.linspace(0.5, 2, 16, dtype=np.float32)[:, None, None, None], "w")
    b = numpy_helper.from_array(rng.normal(0, 1, 16).astype(np.float32), "b")
    fc = numpy_helper.from_array(rng.normal(0, 0.05, (16, 1200)).astype(np.float32), "fc")
    grid = numpy_helper.from_array(np.tile(np.arange(40, dtype=np.float32), 40), "grid")  # structured
    ones = numpy_helper.from_array(np.ones(2000, np.float32), "ones")
    shape = numpy_helper.from_array(np.asarray([1, -1], np.int64), "shape")
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Reshape", ["c", "shape"], ["r"]),
             helper.make_node("Slice", ["r", "s0", "s1"], ["r2"]),
             helper.make_node("MatMul", ["r2", "fc"], ["m"]),
             helper.make_node("Identity", ["grid"], ["g"])]
    s0 = numpy_helper.from_array(np.asarray([0], np.int64), "s0")
    s1 = numpy_helper.from_array(np.asarray([1200], np.int64), "s1")
    g = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 10, 10])],
                          [helper.make_tensor_value_info("m", TensorProto.FLOAT, [1, 1200]),
                           helper.make_tensor_value_info("g", TensorProto.FLOAT, [1600])],
                          [w, b, fc, grid, ones, shape, s0, s1])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def test_compact_format_roundtrip(tmp_path: Path) -> None:
    """strip -> pack -> save -> unpack -> fill: placeholders carry no data, small, non-float
    and structured tensors come back exactly, random ones with their per-channel statistics,
    and a plain onnx.load() of the compact file fails loudly instead of reading garbage."""
    from onnx import numpy_helper

    model = _tiny_model()
    orig = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    stripped, records = zoo.strip(model)
    assert set(records) == {"w", "fc", "grid", "ones"}
    assert records["w"]["kind"] == "uniform" and records["w"]["axis"] == 0 and records["w"]["std"].size == 16
    assert records["fc"]["kind"] == "normal" and records["fc"]["axis"] == 1  # MatMul B: the last axis
    assert records["grid"]["kind"] == "exact" and records["ones"]["kind"] == "const"
    onnx_path, npz_path = zoo.save(stripped, records, "tiny", tmp_path)
    saved = onnx.load(onnx_path, load_external_data=False)
    assert all(not t.raw_data for t in saved.graph.initializer if t.name in records)
    with pytest.raises(Exception, match="zoo:regenerate"):
        onnx.load(onnx_path)
    with np.load(npz_path) as z:
        back = zoo.unpack(saved, {k: z[k] for k in z.files})
    filled = {t.name: numpy_helper.to_array(t) for t in zoo.fill(saved, back, "tiny").graph.initializer}
    for k in ("grid", "ones", "shape", "s0", "s1"):
        assert np.array_equal(filled[k], orig[k]) and filled[k].dtype == orig[k].dtype, k
    assert np.allclose(filled["b"], orig["b"], atol=2e-3)  # Conv bias: float16
    w, w0 = filled["w"], orig["w"]
    ratio = w.reshape(16, -1).std(1) / w0.reshape(16, -1).std(1)
    assert not np.array_equal(w, w0) and np.all(np.abs(ratio - 1) < 0.25)  # per-channel scale kept
    assert w.min() >= w0.min() and w.max() <= w0.max()
    assert abs(filled["fc"].std() / orig["fc"].std() - 1) < 0.05
    again = {t.name: numpy_helper.to_array(t) for t in zoo.fill(saved, back, "tiny").graph.initializer}
    assert all(np.array_equal(again[k], filled[k]) for k in filled)
