"""The committed example models (examples/models/) through `sdkbuild convert` and the engine.

Fast tests check the converted structure and, through tests/sdkm_oracle.py, that the
converted graph computes what the ONNX original computes. Slow tests run the converted
models on the host engine with `sdkbuild run` and compare with onnxruntime (1e-4
relative) and reproduce the reported held-out accuracies (digits_cnn.json,
mobilenetv2_224.json: the MobileNetV2 example is trained on the same digits, upscaled
to 224 by examples/scripts/digits_data.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sdkm_oracle

from sdkbuild import sdkm

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "examples" / "models"
DIGITS, MOBILENET = MODELS / "digits_cnn.onnx", MODELS / "mobilenetv2_224.onnx"
RTOL = 1e-4


def cli(*args: str) -> subprocess.CompletedProcess:
    res = subprocess.run([sys.executable, "-m", "sdkbuild.cli", *args], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    return res


@pytest.fixture(scope="session")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("examples")
    paths = {"digits": out / "digits_cnn.sdkm", "mobilenet": out / "mobilenetv2_224.sdkm",
             "digits_test": out / "digits_cnn_test.sdkm"}
    cli("convert", str(DIGITS), "-o", str(paths["digits"]))
    cli("convert", str(MOBILENET), "-o", str(paths["mobilenet"]))
    # the whole held-out set as one batch: one engine run checks the accuracy
    cli("convert", str(DIGITS), "-o", str(paths["digits_test"]), "--input-shape", "input=450,1,8,8")
    return paths


def digits_test_set() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    _, x_te, _, y_te = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    return x_te, y_te


def reported_accuracy(name: str = "digits_cnn") -> float:
    return json.loads((MODELS / f"{name}.json").read_text())["accuracy"]


def digits_data():
    """examples/scripts/digits_data.py: the split and the MobileNetV2 preprocessing."""
    import importlib.util

    if "digits_data" not in sys.modules:
        spec = importlib.util.spec_from_file_location("digits_data", ROOT / "examples" / "scripts" / "digits_data.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules["digits_data"] = mod
        spec.loader.exec_module(mod)
    return sys.modules["digits_data"]


def mobilenet_test_set() -> tuple[np.ndarray, np.ndarray]:
    """The 450 held-out digits as raw 8x8 pixels (preprocess on use: 600 KB per image)."""
    _, x_te, _, y_te = digits_data().split()
    return x_te, y_te


def mobilenet_input() -> np.ndarray:
    """A real held-out digit (the first one), preprocessed to 1x3x224x224."""
    return digits_data().preprocess(mobilenet_test_set()[0][:1])


def assert_close(got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL * float(np.abs(want).max()))


def test_example_models_are_small_and_opset13() -> None:
    import onnx

    for p in (DIGITS, MOBILENET):
        assert p.stat().st_size < 10 * 1024 * 1024
        assert onnx.load(str(p)).opset_import[0].version == 13


def test_digits_structure(converted: dict[str, Path]) -> None:
    m = sdkm.read(converted["digits"])
    assert m.ops_used() == ["Conv", "Gemm", "MaxPool", "Reshape"]  # BN folded, Dropout gone, ReLU fused
    convs = [n for n in m.nodes if n.op == "Conv"]
    assert len(convs) == 2 and all(n.attrs["activation"] == [1] for n in convs)
    assert m.tensors[m.inputs[0]].shape == (1, 1, 8, 8) and m.tensors[m.outputs[0]].shape == (1, 10)
    assert m.meta["source"] == "digits_cnn.onnx" and m.meta["opset"] == 13


def test_mobilenet_structure(converted: dict[str, Path]) -> None:
    m = sdkm.read(converted["mobilenet"])
    counts = {op: sum(n.op == op for n in m.nodes) for op in m.ops_used()}
    assert counts == {"Add": 10, "Conv": 52, "Gemm": 1, "GlobalAveragePool": 1, "Reshape": 1}
    relu6 = [n for n in m.nodes if n.attrs.get("activation") == [2]]
    assert len(relu6) == 35 and all(n.attrs["activation_params"] == [0.0, 6.0] for n in relu6)
    dw = [n for n in m.nodes if n.op == "Conv" and n.attrs["group"] != [1]]
    assert len(dw) == 17
    reshape = next(n for n in m.nodes if n.op == "Reshape")
    assert reshape.attrs["shape"] == [1, 1280]  # the Shape/Gather/Unsqueeze/Concat chain resolved


def test_mobilenet_metadata_matches_the_split() -> None:
    info = json.loads((MODELS / "mobilenetv2_224.json").read_text())
    x_te, y_te = mobilenet_test_set()
    assert info["test_samples"] == len(y_te) == 450 and info["split"] == digits_data().SPLIT
    assert info["correct"] == round(info["accuracy"] * len(y_te)) and info["accuracy"] > 0.95


def test_converted_graphs_compute_what_onnx_computes(converted: dict[str, Path]) -> None:
    x = mobilenet_input()
    logits = sdkm_oracle.run(sdkm.read(converted["mobilenet"]), {"input": x})[0]
    assert_close(logits, sdkm_oracle.run_onnx(str(MOBILENET), {"input": x})[0])
    assert logits.argmax() == mobilenet_test_set()[1][0]  # a trained network: this digit is right
    assert not logits[0, 10:].any()  # the 990 unused classes have zero weights and bias
    x_te, y_te = digits_test_set()
    logits = sdkm_oracle.run(sdkm.read(converted["digits_test"]), {"input": x_te})[0]
    assert_close(logits, sdkm_oracle.run_onnx(str(DIGITS), {"input": x_te})[0])
    assert float((logits.argmax(1) == y_te).mean()) == reported_accuracy()


# --------------------------------------------------------------------------- on the engine


def engine_run(model: Path, x: np.ndarray, tmp: Path) -> np.ndarray:
    from sdkbuild.runtime import available_ops

    missing = sorted(set(sdkm.read(model).ops_used()) - set(available_ops()))
    assert not missing, f"the engine lacks ops {missing} that the example models need"
    np.save(tmp / "input.npy", x)
    cli("run", str(model), "-i", f"input={tmp / 'input.npy'}", "-o", str(tmp / "out"))
    outs = sorted((tmp / "out").glob("*.npy"))
    assert [p.name for p in outs] == ["logits.npy"]
    return np.load(outs[0])


@pytest.mark.slow
def test_mobilenet_on_engine_matches_onnxruntime(converted: dict[str, Path], tmp_path: Path) -> None:
    x = mobilenet_input()
    assert_close(engine_run(converted["mobilenet"], x, tmp_path), sdkm_oracle.run_onnx(str(MOBILENET), {"input": x})[0])


@pytest.mark.slow
def test_mobilenet_on_engine_reproduces_reported_accuracy(converted: dict[str, Path]) -> None:
    """All 450 held-out digits through the fp32 engine (one image per run, as deployed)."""
    from sdkbuild import runtime

    x_te, y_te = mobilenet_test_set()
    pre = digits_data().preprocess
    with runtime.Engine(runtime.build_dev_engine()) as eng:
        model = eng.load(converted["mobilenet"])
        sess = model.session(2)
        pred = np.array([sess.run({"input": pre(x_te[i : i + 1])})["logits"].argmax() for i in range(len(x_te))])
        sess.close()
    assert float((pred == y_te).mean()) == reported_accuracy("mobilenetv2_224")


@pytest.mark.slow
def test_digits_on_engine_matches_onnxruntime_and_reported_accuracy(converted: dict[str, Path],
                                                                    tmp_path: Path) -> None:
    x_te, y_te = digits_test_set()
    logits = engine_run(converted["digits_test"], x_te, tmp_path)
    assert_close(logits, sdkm_oracle.run_onnx(str(DIGITS), {"input": x_te})[0])
    assert float((logits.argmax(1) == y_te).mean()) == reported_accuracy()
