"""Hostile models, memory limits and shared sessions (issue 14), on the normal host engine.

* The audit's reproducers (tests/data/repro) and the fuzzer's findings (tests/data/fuzz):
  each is refused with a clear SDK_ERR_BAD_MODEL, or computes correctly.
* The int32 accumulator rule of int8 Conv/Gemm (engine/src/kernels/acc_s8.h): a bias at
  the limit computes bit-exactly on every kernel tier, one past it is refused, and the
  quantizer never writes a bias past it.
* Memory limits of models and sessions; one session used from two threads; control bytes
  in model names; float64 inputs of `sdkbuild run`.

tests/test_fuzz.py replays the same files through the sanitizer builds.
"""

from __future__ import annotations

import struct
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from engine_helpers import chain_model, engine, fix_crc, sections

from sdkbuild import sdkm
from sdkbuild.convert import quantize as Q
from sdkbuild.runtime import EngineError

DATA = Path(__file__).resolve().parent / "data"
REPRO = DATA / "repro"
FUZZ = DATA / "fuzz"
INT32_MAX = 2**31 - 1

# the audit's seven UBSan reproducers: what the loader now says about each
UBSAN = {
    "ubsan_conv_s8_pl_pack_weights_x86_conv_s8_51.sdkm":
        "node 'Conv_0' (Conv): bias -2147483648 of output channel 6 cannot be added to the int32 accumulator",
    "ubsan_conv_s8_prepare_ref_conv_s8_537.sdkm":
        "node 'Conv_0' (Conv): bias -2147483648 of output channel 7 cannot be added to the int32 accumulator",
    "ubsan_dw3x3_plane_avx2_x86_conv_s8_495.sdkm":
        "node 'Conv_2' (Conv): bias -2147483648 of output channel 0 cannot be added to the int32 accumulator",
    "ubsan_gemm_avx2_x86_common_s8_97.sdkm":
        "node 'Gemm_10' (Gemm): bias -2147483648 of output channel 0 cannot be added to the int32 accumulator",
    "ubsan_gemm_avx2_x86_common_s8_98.sdkm":
        "node 'Gemm_10' (Gemm): bias -2147459650 of output channel 3 cannot be added to the int32 accumulator",
    "ubsan_gemm_pack_ref_common_s8_47.sdkm":
        "node 'Gemm_10' (Gemm): bias -2147483648 of output channel 0 cannot be added to the int32 accumulator",
    "ubsan_parse_pool2d_pool_op_h_51.sdkm": "node 'MaxPool_6' (MaxPool): kernel 16777218x2 is larger than the padded",
}

# fuzzer findings (tests/data/fuzz, docs/fuzzing.md): what the loader says, or None for a
# legitimate file that now computes without undefined behaviour
FINDINGS: dict[str, str | None] = {
    "relu_s8_multiplier_shift_135.sdkm": "tensor 'y': zero point 24912 is outside the int8 range",
    # ConvInteger's int32 accumulator went past 2^31: it wraps (as onnxruntime's), in uint32
    "convinteger_int32_accumulator_wraps.sdkm": None,
    # Resize with a huge scale: its sampling coordinate overflowed the float->int64 conversion
    # (UBSan); bounded first, it runs
    "resize_coordinate_overflow.sdkm": None,
    # Reshape's target dims (six int32s from the attribute) overflowed the int64 element count
    # (UBSan): now counted only as far as the input's (bounded) count
    "reshape_target_count_overflow.sdkm": "cannot reshape [2, 6] (12 elements) to [3, 4, 1073741824, 1073741824",
}


def _load_error(data: bytes) -> EngineError:
    with pytest.raises(EngineError) as e:
        engine().load(data)
    return e.value


def legalize(data: bytes) -> bytes:
    """The file with its section encodings and tensor reserved fields zeroed (CRC fixed). The
    reproducers were fuzzed against a loader that ignored those fields; today's refuses them
    before anything else, so the legalized file is what still reaches the overflow sites."""
    b = bytearray(data)
    sec = sections(data)
    for at, _, _ in sec.values():
        struct.pack_into("<I", b, at + 4, 0)
    _, t_off, t_size = sec[sdkm.S_TENSORS]
    for r in range(t_off, t_off + t_size, 64):
        b[r + 52: r + 64] = bytes(12)
    return fix_crc(b)


@pytest.mark.parametrize("name", sorted(UBSAN))
def test_ubsan_reproducer_is_refused(name: str) -> None:
    raw = _load_error((REPRO / name).read_bytes())
    assert raw.status_name == "SDK_ERR_BAD_MODEL" and raw.message
    err = _load_error(legalize((REPRO / name).read_bytes()))
    assert err.status_name == "SDK_ERR_BAD_MODEL"
    assert UBSAN[name] in err.message, err.message


@pytest.mark.parametrize("name", sorted(FINDINGS))
def test_fuzz_finding_is_refused_or_runs(name: str) -> None:
    data = (FUZZ / name).read_bytes()
    if FINDINGS[name] is not None:
        err = _load_error(data)
        assert err.status_name == "SDK_ERR_BAD_MODEL" and FINDINGS[name] in err.message, err.message
        return
    with engine().load(data) as model, model.session(threads=2) as s:  # (tests/test_fuzz.py: no UB under UBSan)
        for fill in (0, 255):
            s.run({t.name: np.full(t.shape, fill if t.dtype == np.uint8 else 0, t.dtype) for t in model.inputs})


def test_every_finding_is_listed() -> None:
    assert {p.name for p in FUZZ.glob("*.sdkm")} == set(FINDINGS)
    assert {p.name for p in REPRO.glob("ubsan_*.sdkm")} == set(UBSAN)


# ------------------------------------------------------------------ int8 accumulator limit


def _q(scale: float, zp: int = 0, n: int = 1, axis: int = -1) -> sdkm.Quant:
    return sdkm.Quant(np.full(n, scale, np.float32), np.full(n, zp, np.int32), axis)


def acc_limit_model(kind: str, over: int = 0, seed: int = 0, minus_128: bool = False,
                    at_limit: bool = True) -> sdkm.Model:
    """An int8 Conv or Gemm whose weights are all +-127 and whose bias sits exactly at the
    engine's limit |bias| = 2^31 - 1 - 256 * sum|w| (plus `over`), alternating sign per
    channel; int8 graph input, output scale chosen so the accumulator's range maps onto int8.
    kind: conv3x3 (im2col GEMM), conv1x1 (pointwise), dw3x3 (stride 1), dw3x3s2, dw5x5, gemm.
    minus_128: a third of the -127 weights become -128 (legal int8 that the NEON GEMM's int16
    pairs cannot take: that node must fall back to the portable GEMM there).
    at_limit=False: small biases, and an output scale that spreads the accumulator's full
    range over int8 (so that an error of one int16 wrap, 65536, shows)."""
    rng = np.random.default_rng(seed)
    m = sdkm.Model(name=f"acc_{kind}")
    if kind == "gemm":
        c, oc, k = 40, 6, 40
        xshape, wshape, yshape = (3, c), (oc, k), (3, oc)
    else:
        c, hw = (8, 9) if kind.startswith("dw") else (5, 7)
        oc = c if kind.startswith("dw") else 6
        ks = {"conv3x3": 3, "conv1x1": 1, "dw3x3": 3, "dw3x3s2": 3, "dw5x5": 5}[kind]
        cin = 1 if kind.startswith("dw") else c
        stride = 2 if kind == "dw3x3s2" else 1
        pad = ks // 2
        out = (hw + 2 * pad - ks) // stride + 1
        xshape, wshape, yshape = (1, c, hw, hw), (oc, cin, ks, ks), (1, oc, out, out)
    w = np.where(rng.random(wshape) < 0.5, -127, 127).astype(np.int8)
    if minus_128:
        w[(w == -127) & (rng.random(wshape) < 0.33)] = -128
    s = np.abs(w.reshape(oc, -1).astype(np.int64)).sum(axis=1)
    limit = INT32_MAX - 256 * s + over
    bias = np.where(np.arange(oc) % 2 == 0, limit, -limit).astype(np.int64)
    # multiplier 100 / 2^31: an accumulator near +-2^31 lands near +-100, so a wrapped one
    # (the sign flips) cannot hide in a saturated output
    y_scale = 2.0**19 / 100
    if not at_limit:
        bias = rng.integers(-1000, 1000, oc)
        y_scale = 2.0**-12 * float(255 * s.max()) / 120
    assert (np.abs(bias) <= INT32_MAX).all()
    x = m.add_tensor(sdkm.Tensor("x", 2, xshape, quant=_q(1.0, -5)))
    wt = m.add_tensor(sdkm.Tensor("w", 2, wshape, data=w, quant=_q(2.0**-12, 0, oc, 0)))
    bt = m.add_tensor(sdkm.Tensor("b", 3, (oc,), data=bias.astype(np.int32), quant=_q(2.0**-12, 0, oc, 0)))
    y = m.add_tensor(sdkm.Tensor("y", 2, yshape, quant=_q(y_scale, 3)))
    if kind == "gemm":
        node = sdkm.Node("Gemm", "gemm", [x, wt, bt], [y], {"transB": [1]})
    else:
        node = sdkm.Node("Conv", "conv", [x, wt, bt], [y],
                         {"pads": [pad] * 4, "strides": [stride, stride], "group": [c if kind.startswith("dw") else 1]})
    m.nodes = [node]
    m.inputs, m.outputs = [x], [y]
    return m


ACC_KINDS = ["conv3x3", "conv1x1", "dw3x3", "dw3x3s2", "dw5x5", "gemm"]
TIERS = ["", "ref", "sse41", "avx2", "vnni"]  # SDK_INT8_GEMM: best for the CPU, then each x86 tier


def acc_inputs(shape: tuple[int, ...], seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [np.full(shape, -128, np.int8), np.full(shape, 127, np.int8),
            np.where(rng.random(shape) < 0.5, -128, 127).astype(np.int8),
            rng.integers(-128, 128, shape, dtype=np.int8)]


def acc_limit_e2e(folder: Path) -> dict:
    """For tests/test_kernels.py's end-to-end runs on every ISA (NEON under qemu): the
    im2col conv with -128 weights and -128 inputs, behind QuantizeLinear and
    DequantizeLinear so that run_model feeds and reads floats; {name, model, input, want}."""
    m = acc_limit_model("conv3x3", minus_128=True, at_limit=False)
    xq, conv_in, y = m.tensors[0], 0, 3
    xf = m.add_tensor(sdkm.Tensor("xf", 1, xq.shape))
    yf = m.add_tensor(sdkm.Tensor("yf", 1, m.tensors[y].shape))
    m.nodes = [sdkm.Node("QuantizeLinear", "q", [xf], [conv_in]), *m.nodes,
               sdkm.Node("DequantizeLinear", "dq", [y], [yf])]
    m.inputs, m.outputs = [xf], [yf]
    x = np.where(np.random.default_rng(5).random(xq.shape) < 0.5, -128, 127).astype(np.float32) + 5.0  # zp -5
    path = folder / "minus128-int8.sdkm"
    sdkm.write(m, path)
    x.tofile(folder / "minus128.f32")
    return {"name": "minus128-int8", "model": path, "input": folder / "minus128.f32",
            "want": np.asarray(Q.simulate(m, {"xf": x})["yf"], np.float32)}


@pytest.mark.parametrize("kind", ACC_KINDS)
def test_bias_at_the_accumulator_limit_is_exact_on_every_tier(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A legitimate bias (at the limit) computes without overflow and bit-exactly like the
    numpy reference, on every x86 kernel tier, with extreme inputs."""
    m = acc_limit_model(kind)
    data = sdkm.encode(m)
    xs = acc_inputs(m.tensors[m.inputs[0]].shape)
    want = [Q.simulate(m, {"x": x})["y"] for x in xs]
    for w in want:  # channels alternate +limit / -limit: outputs near 3 + 100 and 3 - 100, unsaturated
        assert ((np.abs(w.astype(np.int32) - 3) >= 90) & (np.abs(w.astype(np.int32) - 3) <= 110)).all()
    for tier in TIERS:
        monkeypatch.setenv("SDK_INT8_GEMM", tier)
        with engine().load(data) as model, model.session(threads=2) as s:
            for x, w in zip(xs, want, strict=True):
                np.testing.assert_array_equal(s.run({"x": x})["y"], w, err_msg=f"{kind}, SDK_INT8_GEMM={tier!r}")


@pytest.mark.parametrize("kind", ACC_KINDS)
def test_bias_one_past_the_limit_is_refused(kind: str) -> None:
    err = _load_error(sdkm.encode(acc_limit_model(kind, over=1)))
    assert err.status_name == "SDK_ERR_BAD_MODEL"
    assert "cannot be added to the int32 accumulator" in err.message and "quantize the model again" in err.message


@pytest.mark.parametrize("kind", ["conv3x3", "gemm"])
def test_weights_of_minus_128_compute_exactly(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """-128 is a legal int8 weight (sdkbuild writes [-127, 127], other producers may not):
    with inputs of -128 as well (the product pairs that overflow int16), every tier is exact."""
    m = acc_limit_model(kind, minus_128=True, at_limit=False)
    assert (m.tensors[1].data == -128).any()
    xs = acc_inputs(m.tensors[m.inputs[0]].shape)
    want = [Q.simulate(m, {"x": x})["y"] for x in xs]
    assert max(len(np.unique(w)) for w in want) > 10  # spread: a wrong accumulator shows
    for tier in TIERS:
        monkeypatch.setenv("SDK_INT8_GEMM", tier)
        with engine().load(sdkm.encode(m)) as model, model.session() as s:
            for x, w in zip(xs, want, strict=True):
                np.testing.assert_array_equal(s.run({"x": x})["y"], w, err_msg=f"{kind}, SDK_INT8_GEMM={tier!r}")


def test_quantizer_clamps_the_bias_to_the_limit() -> None:
    """A float bias far beyond what int32 holds at its scale (tiny weights, big bias) is
    clamped by the quantizer to the engine's limit: the converted model loads and runs."""
    rng = np.random.default_rng(3)
    m = sdkm.Model(name="bigbias")
    x = m.add_tensor(sdkm.Tensor("x", 1, (1, 4, 6, 6)))
    w = m.add_tensor(sdkm.Tensor("w", 1, (3, 4, 3, 3), data=(rng.standard_normal((3, 4, 3, 3)) * 1e-6).astype(np.float32)))
    b = m.add_tensor(sdkm.Tensor("b", 1, (3,), data=np.array([1e6, -1e6, 0.5], np.float32)))
    y = m.add_tensor(sdkm.Tensor("y", 1, (1, 3, 6, 6)))
    m.nodes = [sdkm.Node("Conv", "conv", [x, w, b], [y], {"pads": [1, 1, 1, 1]})]
    m.inputs, m.outputs = [x], [y]
    qm = Q.quantize_model(m, [{"x": rng.standard_normal((1, 4, 6, 6)).astype(np.float32)} for _ in range(4)])
    conv = next(n for n in qm.nodes if n.op == "Conv")
    qw, qb = qm.tensors[conv.inputs[1]].data, qm.tensors[conv.inputs[2]].data.astype(np.int64)
    lim = Q.bias_limit(qw)
    assert (np.abs(qb) <= lim).all() and (np.abs(qb[:2]) == lim[:2]).all()  # the two huge ones sit at the limit
    with engine().load(sdkm.encode(qm)) as model, model.session() as s:
        s.run({"x": rng.standard_normal((1, 4, 6, 6)).astype(np.float32)})


def test_huge_requantization_multiplier_saturates() -> None:
    """An int8 Relu whose input/output scale ratio is ~2^250 (the fuzzer's shift-135 finding,
    with legal zero points): no shift past 63 bits, and every nonzero input saturates."""
    m = sdkm.Model(name="relu")
    x = m.add_tensor(sdkm.Tensor("x", 2, (256,), quant=_q(3.0e38, 4)))
    y = m.add_tensor(sdkm.Tensor("y", 2, (256,), quant=_q(1.0e-37, -7)))
    m.nodes = [sdkm.Node("Relu", "relu", [x], [y])]
    m.inputs, m.outputs = [x], [y]
    q = np.arange(-128, 128, dtype=np.int8)
    with engine().load(sdkm.encode(m)) as model, model.session() as s:
        got = s.run({"x": q})["y"]
    want = np.where(q > 4, 127, -7)  # (q - 4) * 2^250 saturates; Relu clamps at the zero point
    np.testing.assert_array_equal(got, want)


def test_dynamic_quantize_of_both_infinities_has_a_defined_zero_point() -> None:
    """DynamicQuantizeLinear over +inf and -inf: scale inf, zero point -(-inf)/inf = NaN, which
    was cast to uint8 (undefined; found by the harness's float-extremes input pattern): now 0."""
    from fuzz_seeds import family_c_models

    from sdkbuild.convert import convert_model

    m = convert_model(family_c_models()["dynamicquantize"])
    x = np.zeros((3, 10), np.float32)
    x[0, 0], x[1, 1] = np.inf, -np.inf
    with engine().load(sdkm.encode(m)) as model, model.session() as s:
        out = s.run({"x": x})
    assert out["yz"].reshape(()) == 0 and np.isinf(out["ys"].reshape(()))


# ------------------------------------------------------------------ memory limits


def test_4gib_arena_from_768_bytes_is_refused_quickly() -> None:
    data = (REPRO / "arena_4GiB_from_768B.sdkm").read_bytes()
    assert len(data) == 768
    t0 = time.monotonic()
    with engine().load(data) as model:
        assert model.memory_info().arena_bytes > 4 * 10**9
        with pytest.raises(EngineError) as e:
            model.session()
    assert time.monotonic() - t0 < 2.0
    err = e.value
    assert err.status_name == "SDK_ERR_OUT_OF_MEMORY"
    assert "the session needs 4294967" in err.message and "over its limit of 1073741824:" in err.message
    assert "max_session_bytes" in err.message and "max_session_bytes=N" in (err.hint or "")


def test_session_limit_is_an_option() -> None:
    m = chain_model((4, 1000))  # a 16 KB arena
    with engine().load(sdkm.encode(m)) as model:
        need = model.memory_info().arena_bytes
        with pytest.raises(EngineError) as e:
            model.session(max_session_bytes=need // 2)
        assert e.value.status_name == "SDK_ERR_OUT_OF_MEMORY" and f"limit of {need // 2}:" in e.value.message
        with model.session(max_session_bytes=need + 4096) as s:
            x = np.ones((4, 1000), np.float32)
            np.testing.assert_array_equal(s.run({"x": x})["y"], x.reshape(-1))
        with pytest.raises(Exception, match="max_session_bytes must be a positive number"):
            model.session(max_session_bytes=0)


def test_model_limit_covers_the_file_and_the_packed_weights() -> None:
    m = acc_limit_model("conv3x3")
    data = sdkm.encode(m)
    with pytest.raises(EngineError) as e:
        engine().load(data, max_model_bytes=len(data) - 1)
    assert e.value.status_name == "SDK_ERR_OUT_OF_MEMORY"
    assert "for the copy of the file" in e.value.message and "max_model_bytes" in e.value.message
    # the file fits, what the loader builds from it does not
    with pytest.raises(EngineError) as e:
        engine().load(data, max_model_bytes=len(data) + 64)
    assert e.value.status_name == "SDK_ERR_OUT_OF_MEMORY" and "max_model_bytes" in e.value.message
    with engine().load(data, max_model_bytes=len(data) + 64 * 1024) as model:
        assert model.memory_info().packed_weights_bytes > 0


def test_model_limit_on_files(tmp_path: Path) -> None:
    p = tmp_path / "m.sdkm"
    sdkm.write(chain_model(), p)
    with pytest.raises(EngineError) as e:
        engine().load(p, max_model_bytes=100)
    assert str(p) in e.value.message or "copy of the file" in e.value.message
    assert e.value.status_name == "SDK_ERR_OUT_OF_MEMORY"
    with engine().load(p, max_model_bytes=1 << 20):
        pass


def test_shared_index_ranges_cannot_inflate_the_node_table() -> None:
    """Nodes may point into the same INDICES range, so a small file can ask for a huge node
    input/output table (here 60 nodes x 60,001 entries from a 240 KB file): it is charged to
    the model limit before it is allocated."""
    n, k = 60000, 60
    m = sdkm.Model(name="wide")
    x = m.add_tensor(sdkm.Tensor("x", 1, (4,)))
    ys = [m.add_tensor(sdkm.Tensor(f"y{i}", 1, (4,))) for i in range(k)]
    # INDICES: x * n, y0, y1, ...: node 0 reads the n x's, the others start empty
    m.nodes = [sdkm.Node("Relu", "r0", [x] * n, [ys[0]])] + [sdkm.Node("Relu", f"r{i}", [], [ys[i]]) for i in range(1, k)]
    m.inputs, m.outputs = [x], ys
    data = bytearray(sdkm.encode(m))
    _, off, _ = sections(bytes(data))[sdkm.S_NODES]
    for i in range(1, k):  # node i: the n entries from i on (x's, then y0..y(i-1)), writing y(i)
        struct.pack_into("<H", data, off + i * sdkm.NODE.size + 8, n)
        struct.pack_into("<I", data, off + i * sdkm.NODE.size + 12, i)
    data = fix_crc(data)
    with pytest.raises(EngineError) as e:
        engine().load(data, max_model_bytes=8 << 20)
    assert e.value.status_name == "SDK_ERR_OUT_OF_MEMORY" and "for its node I/O table" in e.value.message
    with pytest.raises(EngineError) as e:  # within the default limit: the structure loads, Relu refuses its inputs
        engine().load(data)
    assert e.value.status_name == "SDK_ERR_BAD_MODEL" and "node 'r0' (Relu)" in e.value.message


# ------------------------------------------------------------------ one session, two threads


def test_concurrent_use_of_one_session_is_refused() -> None:
    """Two Python threads on one Session (ctypes releases the GIL during engine calls): calls
    that overlap are refused with SDK_ERR_STATE naming the fix; every run that goes through
    gives the right output. One Session per thread always works."""
    m = chain_model((8, 40000))  # a run takes long enough for calls to overlap
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 40000)).astype(np.float32)
    want = np.maximum(x, 0).reshape(-1)
    refused: list[EngineError] = []
    wrong: list[int] = []

    with engine().load(sdkm.encode(m)) as model, model.session() as shared:
        def work() -> None:
            deadline = time.monotonic() + 20
            # Keep going until a refusal at the door was seen: under heavy load the first
            # refusals can all be the "is not set" kind (inputs consumed by the other run).
            while time.monotonic() < deadline and not (
                len(refused) >= 5 and any("another thread" in e.message for e in refused)
            ):
                try:
                    y = shared.run({"x": x})["y"]
                except EngineError as e:
                    refused.append(e)
                    continue
                if not np.array_equal(y, want):
                    wrong.append(1)

        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert refused, "overlapping calls were never refused"
    for e in refused:
        assert e.status_name in ("SDK_ERR_STATE",), e.message
        # refused mid-way (another thread's run consumed the inputs) or at the door
        assert "in use on another thread" in e.message or "is not set" in e.message, e.message
    busy = [e for e in refused if "another thread" in e.message]
    assert busy and "use one session per thread" in busy[0].message and "own Session" in (busy[0].hint or "")
    assert not wrong

    # one session per thread: all runs succeed
    errors: list[BaseException] = []
    with engine().load(sdkm.encode(m)) as model:
        def own() -> None:
            try:
                with model.session() as s:
                    for _ in range(5):
                        assert np.array_equal(s.run({"x": x})["y"], want)
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)
        threads = [threading.Thread(target=own) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors


# ------------------------------------------------------------------ names in messages


def test_control_bytes_in_names_are_escaped() -> None:
    m = chain_model()
    m.tensors[1].name = "a\x1b[2J\x07\u009b31m\u00e9"  # ESC, BEL, a C1 control (CSI), and a printable é
    m.tensors[1].shape = (3, 2)  # Relu output shape wrong: the message names the tensor
    err = _load_error(sdkm.encode(m))
    msg = err.message
    assert "output 'a\\x1b[2J\\x07\\xc2\\x9b31m\u00e9' has shape [3, 2]" in msg, msg
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in msg)


def test_sdkbuild_errors_escape_control_characters() -> None:
    from sdkbuild.errors import SdkbuildError

    e = SdkbuildError("model 'x\x1b[31m' bad\nsecond line", hint="fix\x00 it")
    assert e.message == "model 'x\\x1b[31m' bad\nsecond line" and e.hint == "fix\\x00 it"
