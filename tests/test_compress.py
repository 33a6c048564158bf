"""Smaller and protected models: rANS coding (Python codec and the engine's decoder),
pruning with refit, low-bit weights, name stripping, encryption, and `sdkbuild tune`.

The size goal of the digits CNN (>= 10x smaller than its fp32 ONNX with <= 1 point of
held-out accuracy lost) is checked here on the real model, end to end through the CLI and
the host engine.
"""

from __future__ import annotations

import importlib.util
import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from engine_helpers import engine, fix_crc, sections
from hypothesis import given, settings
from hypothesis import strategies as st

from sdkbuild import codec, protect, sdkm
from sdkbuild.convert import Compression, compress, convert_model, convert_model_report, finish_model
from sdkbuild.errors import SdkbuildError
from sdkbuild.runtime import EngineError

ROOT = Path(__file__).resolve().parents[1]
DIGITS = ROOT / "examples" / "models" / "digits_cnn.onnx"
BAD_MODEL, UNSUPPORTED = 3, 4


def _digits_data():
    spec = importlib.util.spec_from_file_location("digits_data", ROOT / "examples" / "scripts" / "digits_data.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    x_tr, x_te, y_tr, y_te = mod.split()
    return (x_tr[:, None] / 16).astype(np.float32), (x_te[:, None] / 16).astype(np.float32), y_tr, y_te


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    x_tr, x_te, y_tr, y_te = _digits_data()
    d = tmp_path_factory.mktemp("digits")
    np.save(d / "cal.npy", x_tr[:512])
    np.savez(d / "eval.npz", input=x_te, labels=y_te)
    return {"dir": d, "cal": d / "cal.npy", "eval": d / "eval.npz", "x_te": x_te, "y_te": y_te,
            "samples": [{"input": x_tr[i:i + 1]} for i in range(256)]}


def accuracy(data: bytes, x: np.ndarray, y: np.ndarray, key: bytes | None = None) -> float:
    with engine().load(data, key) as m, m.session() as s:
        pred = [int(np.argmax(s.run({"input": x[i:i + 1]}, dequantize=True)["logits"])) for i in range(len(x))]
    return 100.0 * float(np.mean(np.array(pred) == y))


# ----------------------------------------------------------------------------- the codec


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 255), min_size=1, max_size=3000), st.integers(0, 3))
def test_rans_round_trips_any_bytes(values: list[int], skew: int) -> None:
    data = np.array(values, np.uint8) >> skew  # skew: fewer, more frequent symbols
    payload = codec.encode(data)
    assert codec.decode(payload, data.size) == data.tobytes()


def test_rans_codes_near_the_entropy() -> None:
    rng = np.random.default_rng(0)
    data = np.clip(np.rint(rng.laplace(0, 2.0, 200_000)), -7, 7).astype(np.int8)
    bits = 8 * len(codec.encode(data)) / data.size
    assert bits < codec.entropy_bits(data) * 1.01 + 0.01


@pytest.mark.parametrize("where", ["table", "states", "stream", "length"])
def test_a_corrupt_payload_is_refused_by_the_python_decoder(where: str) -> None:
    data = np.random.default_rng(1).integers(0, 40, 5000).astype(np.uint8)
    payload = bytearray(codec.encode(data))
    assert struct.unpack_from("<H", payload, 2)[0] == 40  # 40 symbols: a bitmap, then the frequencies
    at = {"table": 4 + 32 + 3, "states": _states_offset(payload) + 1, "stream": len(payload) - 5,
          "length": _states_offset(payload) + 16}[where]
    payload[at] ^= 0x5A
    with pytest.raises(codec.CodecError):
        out = codec.decode(bytes(payload), data.size)
        assert out == data.tobytes()  # an undetected change must at least not alter the data


def _states_offset(payload: bytes) -> int:
    """Offset of the four start states (after the symbol table, 4-byte aligned)."""
    nsym = struct.unpack_from("<H", payload, 2)[0]
    pos = 4 + (nsym if nsym < 32 else 32)
    for _ in range(nsym):
        pos += 2 if payload[pos] & 0x80 else 1
    return pos + (-pos % 4)


# ----------------------------------------------------------------------------- engine decoding


def digits_int8(samples, **kw) -> sdkm.Model:
    from sdkbuild.convert.quantize import quantize_model

    m = convert_model(onnx.load(str(DIGITS)))
    q = quantize_model(m, samples, weight_bits=kw.get("bits", 8))
    return q


def test_coded_model_runs_bit_exact_with_the_plain_one(digits) -> None:
    plain = digits_int8(digits["samples"], bits=4)
    coded = digits_int8(digits["samples"], bits=4)
    compress.mark_coded(coded)
    a, b = sdkm.encode(plain), sdkm.encode(coded)
    assert len(b) < 0.75 * len(a)
    kinds = {k: sdkm.SECTION.unpack_from(b, at)[1] for k, (at, _, _) in sections(b).items()}
    assert kinds[sdkm.S_TENSORS] == sdkm.ENC_RANS and kinds[sdkm.S_CONST] == sdkm.ENC_RAW
    back = sdkm.decode(b)
    assert any(t.encoding == sdkm.ENC_RANS for t in back.tensors)
    x = digits["x_te"][:16]
    with engine().load(a) as ma, engine().load(b) as mb, ma.session() as sa, mb.session() as sb:
        for i in range(len(x)):
            np.testing.assert_array_equal(sa.run({"input": x[i:i + 1]})["logits"],
                                          sb.run({"input": x[i:i + 1]})["logits"])


def _coded_tensor_payload(data: bytes) -> tuple[int, int]:
    """(file offset, size) of the first rANS-coded constant."""
    m_sec = sections(data)
    _, toff, tsize = m_sec[sdkm.S_TENSORS]
    _, coff, _ = m_sec[sdkm.S_CONST]
    for i in range(tsize // sdkm.TENSOR.size):
        rec = sdkm.TENSOR.unpack_from(data, toff + i * sdkm.TENSOR.size)
        if rec[-1] == sdkm.ENC_RANS:
            return coff + rec[10], rec[11]
    raise AssertionError("no coded tensor")


@pytest.mark.parametrize("damage", ["flip_stream", "flip_table", "truncate_symbols"])
def test_engine_refuses_corrupt_coded_constants(digits, damage: str) -> None:
    m = digits_int8(digits["samples"], bits=4)
    compress.mark_coded(m)
    m.code_sections = False  # TENSORS in the clear, so the test can find the coded tensor
    data = bytearray(sdkm.encode(m))
    off, size = _coded_tensor_payload(bytes(data))
    if damage == "flip_stream":
        data[off + size - 3] ^= 0x77
    elif damage == "flip_table":
        data[off + 5] ^= 0xFF
    else:
        data[off + 2] = 0xFF  # symbol count 255 + ...: the table no longer fits
        data[off + 3] = 0x00
    with pytest.raises(EngineError) as e:
        engine().load(fix_crc(bytes(data)))
    assert e.value.status == BAD_MODEL and "coded constant data" in e.value.message


def test_engine_refuses_a_corrupt_coded_section(digits) -> None:
    m = digits_int8(digits["samples"])
    m.code_sections = True
    data = bytearray(sdkm.encode(m))
    at, off, size = sections(bytes(data))[sdkm.S_TENSORS]
    assert sdkm.SECTION.unpack_from(data, at)[1] == sdkm.ENC_RANS
    data[off + size - 2] ^= 0x3C
    with pytest.raises(EngineError) as e:
        engine().load(fix_crc(bytes(data)))
    assert e.value.status == BAD_MODEL and "coded section TENSORS" in e.value.message
    struct.pack_into("<Q", data, off, 1 << 40)  # a decoded size no coded data can reach
    with pytest.raises(EngineError, match="claims"):
        engine().load(fix_crc(bytes(data)))


def _symbols(lib: Path) -> set[str]:
    from elftools.elf.elffile import ELFFile

    with open(lib, "rb") as f:
        return {s.name for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()}


@pytest.mark.slow
def test_sdk_builds_compile_the_decoder_only_for_coded_models(digits, tmp_path: Path) -> None:
    """The rANS decoder follows the SDK's models, not its ops: `sdkbuild build` with a coded
    model compiles it (and the SDK's engine decodes the model bit-exactly), the same SDK with
    the plain model leaves it out, and that engine refuses a coded file with a clear error."""
    from sdkbuild.runtime import Engine

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "digits_cnn.onnx").write_bytes(DIGITS.read_bytes())
    toml = ('[sdk]\nname = "DigitKit"\nversion = "1.0.0"\njava_package = "com.d"\nobjc_prefix = "DK"\n'
            'targets = ["host"]\n\n[models]\nfiles = ["models/digits_cnn.onnx"]\ncompress = {}\n')
    out = tmp_path / "build" / "host"
    x = digits["x_te"][:4]

    def build(compress_: bool) -> tuple[dict, Path, bytes]:
        (tmp_path / "sdk.toml").write_text(toml.format("true" if compress_ else "false"))
        r = subprocess.run([sys.executable, "-m", "sdkbuild.cli", "build", "--no-bindings", "-j2"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=1800)
        assert r.returncode == 0, r.stdout + r.stderr
        info = json.loads((out / "build-info.json").read_text())
        lib = tmp_path / f"coded_{compress_}.so"  # a path of its own: dlopen reuses a loaded path's library
        lib.write_bytes((out / info["library"]).read_bytes())
        return info, lib, (tmp_path / "build" / "models" / "digits_cnn.sdkm").read_bytes()

    info, lib, coded = build(True)
    assert sdkm.has_coded_data(coded) and "coded" in info["features"]
    assert "rans_decode" in " ".join(_symbols(out / info["unstripped_library"]))
    with engine().load(coded) as ref, ref.session() as s:
        want = [s.run({"input": x[i:i + 1]})["logits"] for i in range(len(x))]
    with Engine(lib) as eng, eng.load(coded) as m, m.session() as s:
        for i in range(len(x)):
            np.testing.assert_array_equal(s.run({"input": x[i:i + 1]})["logits"], want[i])

    info, lib, plain = build(False)
    assert not sdkm.has_coded_data(plain) and "coded" not in info["features"]
    assert "rans_decode" not in " ".join(_symbols(out / info["unstripped_library"]))
    with Engine(lib) as eng:
        with eng.load(plain) as m, m.session() as s:
            np.testing.assert_array_equal(s.run({"input": x[:1]})["logits"], want[0])
        for data in (coded, sdkm.encode(_coded_constants_only())):
            assert sdkm.has_coded_data(data)
            with pytest.raises(EngineError) as e:
                eng.load(data)
            assert e.value.status == UNSUPPORTED, e.value.message
            assert "rANS-coded" in e.value.message and "rebuild the SDK with the model" in e.value.message


def _coded_constants_only() -> sdkm.Model:
    """The digits CNN with its constants coded and its sections in the clear."""
    m = convert_model(onnx.load(str(DIGITS)))
    for t in m.tensors:
        if t.data is not None and t.data.size >= 64:
            t.data = np.round(t.data * 4) / 4  # few distinct values: coding pays, so they are stored coded
            t.encoding = sdkm.ENC_RANS
    return m


# ----------------------------------------------------------------------------- pruning and low bits


def test_pruning_reaches_the_sparsity_and_leaves_depthwise_and_small_layers(digits) -> None:
    m = convert_model(onnx.load(str(DIGITS)))
    before = {n.name: m.tensors[n.inputs[1]].data.copy() for n in m.nodes if n.op in ("Conv", "Gemm")}
    zeroed = compress.prune(m, 0.6)
    assert abs(compress.sparsity(m) - 0.6) < 0.01 and zeroed > 0
    for n in m.nodes:
        if n.op in ("Conv", "Gemm") and compress.weight_input(m, n) is None:  # the small layers
            np.testing.assert_array_equal(m.tensors[n.inputs[1]].data, before[n.name])


def test_refit_brings_pruned_layers_closer_to_the_dense_outputs(digits) -> None:
    dense = convert_model(onnx.load(str(DIGITS)))
    grams = compress.layer_grams(dense, digits["samples"])
    plain = convert_model(onnx.load(str(DIGITS)))
    compress.prune(plain, 0.8)
    refit = convert_model(onnx.load(str(DIGITS)))
    compress.prune(refit, 0.8)
    assert compress.reconstruct(refit, dense, grams) == 2
    for n, dn in zip(refit.nodes, dense.nodes, strict=True):
        if n.name not in grams:
            continue
        g = grams[n.name]
        w_d, _ = compress._rows(dense, dn, dense.tensors[dn.inputs[1]].data)
        errs = []
        for model in (plain, refit):
            w, _ = compress._rows(model, n, model.tensors[n.inputs[1]].data)
            d = (w - w_d).astype(np.float64)
            errs.append(float(np.einsum("ij,jk,ik->", d, g, d)))  # || X (W - W_dense)^T ||^2
        assert errs[1] < 0.5 * errs[0], (n.name, errs)
        # the pruning mask is kept
        w_plain, _ = compress._rows(plain, n, plain.tensors[n.inputs[1]].data)
        w_refit, _ = compress._rows(refit, n, refit.tensors[n.inputs[1]].data)
        np.testing.assert_array_equal(w_plain == 0, w_refit == 0)


@pytest.mark.parametrize("bits, qmax", [(4, 7), (3, 3), (2, 1)])
def test_low_bit_weights_stay_in_range_and_choose_the_best_clip(digits, bits: int, qmax: int) -> None:
    from sdkbuild.convert.quantize import weight_quant

    q = digits_int8(digits["samples"], bits=bits)
    dense = [n for n in q.nodes if n.op in ("Conv", "Gemm") and q.tensors[n.inputs[1]].data.size >= 1024]
    assert dense and all(np.abs(q.tensors[n.inputs[1]].data).max() <= qmax for n in dense)
    w = np.random.default_rng(0).standard_normal((8, 300)).astype(np.float32)
    w[:, 0] = 8.0  # an outlier: clipping it is better than spending the few levels on it
    qv, quant = weight_quant(w, 0, qmax)
    err_mse = np.square(qv * quant.scales[:, None] - w).sum()
    naive_scale = np.abs(w).max(axis=1) / qmax
    err_max = np.square(np.clip(np.rint(w / naive_scale[:, None]), -qmax, qmax) * naive_scale[:, None] - w).sum()
    assert err_mse < err_max


# ----------------------------------------------------------------------------- the goal, through the CLI


def sdkbuild_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "sdkbuild.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})})


def test_digits_cnn_ten_times_smaller_within_one_point(digits) -> None:
    out = digits["dir"] / "small.sdkm"
    r = sdkbuild_cli("convert", str(DIGITS), "-o", str(out), "--quantize", "int8", "--calibration",
                     str(digits["cal"]), "--prune", "0.8", "--weight-bits", "3", "--compress", "--strip-names")
    assert r.returncode == 0, r.stderr
    assert "weights pruned to 80% sparsity" in r.stdout and "constants entropy-coded" in r.stdout
    onnx_bytes, small = DIGITS.stat().st_size, out.stat().st_size
    assert onnx_bytes / small >= 10.0, (onnx_bytes, small)
    base = accuracy(sdkm.encode(convert_model(onnx.load(str(DIGITS)))), digits["x_te"], digits["y_te"])
    got = accuracy(out.read_bytes(), digits["x_te"], digits["y_te"])
    assert base - got <= 1.0, (base, got)
    names = {t.name for t in sdkm.read(out).tensors}
    assert {"input", "logits"} <= names and not any("/" in n for n in names)


def test_pruning_without_calibration_is_a_clear_error(tmp_path: Path) -> None:
    r = sdkbuild_cli("convert", str(DIGITS), "-o", str(tmp_path / "x.sdkm"), "--prune", "0.5")
    assert r.returncode != 0 and "pruning refits the remaining weights on calibration data" in r.stderr
    r = sdkbuild_cli("convert", str(DIGITS), "-o", str(tmp_path / "x.sdkm"), "--weight-bits", "4")
    assert r.returncode != 0 and "4-bit weights need int8 quantization" in r.stderr
    assert not (tmp_path / "x.sdkm").exists()


# ----------------------------------------------------------------------------- encryption


def test_encrypted_model_round_trips_and_refuses_wrong_keys_and_tampering(digits, tmp_path: Path) -> None:
    key, other = bytes.fromhex(protect.new_key()), bytes.fromhex(protect.new_key())
    plain = sdkm.encode(convert_model(onnx.load(str(DIGITS))))
    enc = protect.encrypt(plain, key)
    assert enc[:4] == b"SDKE" and plain not in enc
    assert protect.decrypt(enc, key) == plain
    with pytest.raises(SdkbuildError, match="wrong key, or the file was changed"):
        protect.decrypt(enc, other)
    tampered = bytearray(enc)
    tampered[100] ^= 1
    with pytest.raises(SdkbuildError, match="wrong key, or the file was changed"):
        protect.decrypt(bytes(tampered), key)
    header = bytearray(enc)
    header[8] ^= 1  # the nonce is authenticated data
    with pytest.raises(SdkbuildError, match="wrong key"):
        protect.decrypt(bytes(header), key)
    # the engine never decrypts: it names the problem (a path goes straight to the C API)
    (tmp_path / "enc.sdkm").write_bytes(enc)
    with pytest.raises(EngineError) as e:
        engine().load(tmp_path / "enc.sdkm")
    assert e.value.status == BAD_MODEL and "the model is encrypted" in e.value.message
    with pytest.raises(SdkbuildError, match="the model is encrypted"):  # Python asks for the key
        engine().load(enc)
    # Python decrypts with the key and loads from memory
    x, y = digits["x_te"][:50], digits["y_te"][:50]
    assert accuracy(enc, x, y, key) == accuracy(plain, x, y)


def test_cli_encrypts_with_the_environment_key_and_run_needs_it(tmp_path: Path) -> None:
    key = protect.new_key()
    out = tmp_path / "e.sdkm"
    r = sdkbuild_cli("convert", str(DIGITS), "-o", str(out), "--encrypt", env={"SDKBUILD_MODEL_KEY": ""})
    assert r.returncode != 0 and "SDKBUILD_MODEL_KEY is not set" in r.stderr and not out.exists()
    r = sdkbuild_cli("convert", str(DIGITS), "-o", str(out), "--encrypt", env={"SDKBUILD_MODEL_KEY": key})
    assert r.returncode == 0 and "AES-256-GCM encrypted" in r.stdout
    np.save(tmp_path / "x.npy", np.zeros((1, 1, 8, 8), np.float32))
    r = sdkbuild_cli("run", str(out), "-i", str(tmp_path / "x.npy"), "-o", str(tmp_path / "o"),
                     env={"SDKBUILD_MODEL_KEY": protect.new_key()})
    assert r.returncode != 0 and "could not be decrypted" in r.stderr
    r = sdkbuild_cli("run", str(out), "-i", str(tmp_path / "x.npy"), "-o", str(tmp_path / "o"),
                     env={"SDKBUILD_MODEL_KEY": key})
    assert r.returncode == 0 and (tmp_path / "o" / "logits.npy").is_file()
    (tmp_path / "k").write_text("not a key")
    r = sdkbuild_cli("convert", str(DIGITS), "-o", str(out), "--key-file", str(tmp_path / "k"))
    assert r.returncode != 0 and "is not a model key (64 hex digits expected)" in r.stderr


def test_keygen_writes_a_private_key_file_once(tmp_path: Path) -> None:
    k = tmp_path / "model.key"
    r = sdkbuild_cli("keygen", "-o", str(k))
    assert r.returncode == 0 and len(bytes.fromhex(k.read_text().strip())) == 32
    assert (k.stat().st_mode & 0o777) == 0o600
    assert sdkbuild_cli("keygen", "-o", str(k)).returncode != 0  # never overwrites a key


# ----------------------------------------------------------------------------- tune


def test_tune_finds_a_small_model_within_budget_and_writes_sdk_toml(digits, tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "digits_cnn.onnx").write_bytes(DIGITS.read_bytes())
    toml = tmp_path / "sdk.toml"
    toml.write_text('[sdk]\nname = "K"\nversion = "1.0.0"\njava_package = "com.k"\nobjc_prefix = "KK"\n'
                    'targets = ["host"]\n\n# our models\n[models]\nfiles = ["models/digits_cnn.onnx"]\n')
    r = sdkbuild_cli("tune", str(DIGITS), "--calibration", str(digits["cal"]), "--eval", str(digits["eval"]),
                     "--prune-levels", "0.8", "--weight-bits", "8,3", "--no-library", "--runs", "3",
                     "--write", str(toml))
    assert r.returncode == 0, r.stderr
    assert "chosen: int8, pruned 80%, 3-bit weights, coded, names stripped" in r.stdout, r.stdout
    from sdkbuild import config

    cfg = config.load(toml)
    opts = cfg.models.options(cfg.models.files[0])
    assert (opts.quantize, opts.prune, opts.weight_bits, opts.compress, opts.strip_names) == ("int8", 0.8, 3, True, True)
    assert opts.calibration == digits["cal"].resolve() and "# our models" in toml.read_text()


def test_tune_rows_measure_every_candidate(digits) -> None:
    from sdkbuild import tune

    m, report = convert_model_report(onnx.load(str(DIGITS)))
    assert finish_model(m, report, compression=Compression(code=True))[0].code_sections
    rows = [tune.Measured(tune.Candidate(None, Compression()), model_bytes=100, latency_ms=1.0, drop=0.0),
            tune.Measured(tune.Candidate("int8", Compression()), model_bytes=50, latency_ms=1.0, drop=0.5),
            tune.Measured(tune.Candidate("int8", Compression(0.5, 4, True, True)), model_bytes=60, latency_ms=2.0,
                          drop=0.6)]
    tune.pareto(rows)
    assert [r.pareto for r in rows] == [True, True, False]
    assert tune.choose(rows, 0.4) is rows[0] and tune.choose(rows, 1.0) is rows[1]


def test_size_report_lists_models_next_to_libraries(digits, tmp_path: Path) -> None:
    from sdkbuild.report.size import models_info

    d = tmp_path / "models"
    d.mkdir()
    plain = convert_model(onnx.load(str(DIGITS)))
    (d / "a.sdkm").write_bytes(sdkm.encode(plain))
    q = digits_int8(digits["samples"], bits=4)
    compress.mark_coded(q)
    q.meta["compression"] = "4-bit weights, coded"
    (d / "b.sdkm").write_bytes(sdkm.encode(q))
    (d / "c.sdkm").write_bytes(protect.encrypt(sdkm.encode(plain), bytes(32)))
    rows = {r["name"]: r for r in models_info(d)}
    assert rows["a.sdkm"]["storage"] == "fp32" and rows["a.sdkm"]["bytes"] == (d / "a.sdkm").stat().st_size
    assert rows["b.sdkm"]["storage"] == "int8, 4-bit weights, coded"
    assert rows["c.sdkm"]["encrypted"] and rows["c.sdkm"]["storage"] == "AES-256-GCM encrypted"


# ----------------------------------------------------------------------------- structured pruning


def test_channel_pruning_shrinks_conv_chains_and_keeps_accuracy(digits) -> None:
    m, report = convert_model_report(onnx.load(str(DIGITS)))
    small, rep = finish_model(m, report, quantize="int8", calibration=digits["samples"],
                              compression=Compression(channels=0.5))
    convs = [n for n in small.nodes if n.op == "Conv"]
    assert small.tensors[convs[0].inputs[1]].shape[0] == 8  # 16 -> 8 output channels
    assert small.tensors[convs[1].inputs[1]].shape[1] == 8  # and the reading conv's inputs
    assert rep.rewrites["channels removed (conv chains shrunk, reading convs refit)"] == 8
    base = accuracy(sdkm.encode(m), digits["x_te"], digits["y_te"])
    got = accuracy(sdkm.encode(small), digits["x_te"], digits["y_te"])
    assert base - got <= 1.5, (base, got)
    assert len(sdkm.encode(small)) < len(sdkm.encode(finish_model(m, report, quantize="int8",
                                                                  calibration=digits["samples"])[0]))


def test_channel_chains_stop_at_shared_tensors() -> None:
    """A conv whose output also feeds a residual Add (or two readers) cannot lose channels."""
    mdl = sdkm.Model(name="res")
    rng = np.random.default_rng(0)
    x = mdl.add_tensor(sdkm.Tensor("x", 1, (1, 8, 4, 4)))
    w1 = mdl.add_tensor(sdkm.Tensor("w1", 1, (8, 8, 1, 1), rng.standard_normal((8, 8, 1, 1)).astype(np.float32)))
    w2 = mdl.add_tensor(sdkm.Tensor("w2", 1, (8, 8, 1, 1), rng.standard_normal((8, 8, 1, 1)).astype(np.float32)))
    a = mdl.add_tensor(sdkm.Tensor("a", 1, (1, 8, 4, 4)))
    b = mdl.add_tensor(sdkm.Tensor("b", 1, (1, 8, 4, 4)))
    y = mdl.add_tensor(sdkm.Tensor("y", 1, (1, 8, 4, 4)))
    mdl.nodes = [sdkm.Node("Conv", "c1", [x, w1], [a]), sdkm.Node("Conv", "c2", [a, w2], [b]),
                 sdkm.Node("Add", "res", [a, b], [y])]
    mdl.inputs, mdl.outputs = [x], [y]
    assert compress.channel_chains(mdl) == []
    mdl.nodes = mdl.nodes[:2]
    mdl.outputs = [b]
    assert [(c.first.name, c.last.name) for c in compress.channel_chains(mdl)] == [("c1", "c2")]
