"""Build the MobileNetV2-shaped example network (width 0.5) as ONNX, trained or random.

Written with onnx.helper (opset 13) the way exporters emit it: Conv + BatchNormalization +
Clip(0, 6) (ReLU6), inverted residual blocks (1x1 expand x6, depthwise 3x3, 1x1 project)
with residual Add, a 1x1 conv to 1280, GlobalAveragePool, a Shape -> Gather -> Unsqueeze
-> Concat -> Reshape flatten, and Gemm to 1000 classes. Input 'input' N x 3 x 224 x 224
(N dynamic), output 'logits' N x 1000.

Two weight sources for the same graph:

* `--weights W.npz` (the committed examples/models/mobilenetv2_224.onnx): the weights and
  BatchNorm statistics trained on the 8x8 digits by examples/scripts/train_mobilenetv2.py
  (torch venv). Also measures the fp32 held-out accuracy in onnxruntime and writes
  examples/models/mobilenetv2_224.json.

      /work/torch-venv/bin/python examples/scripts/train_mobilenetv2.py
      .venv/bin/python examples/scripts/make_mobilenetv2.py --weights build/mobilenetv2_digits.npz

* `--random` (a stress test, not committed; default output build/mobilenetv2_224_random.onnx):
  random but deterministic weights (seed 0, He init); each BN's statistics are set from
  the activations it really sees on N(0, 1) inputs, then perturbed, so the network is
  well-conditioned through all 17 blocks. Random weights make it chaotic: any
  perturbation grows ~1.5-2 dB per block (docs/int8.md).

      .venv/bin/python examples/scripts/make_mobilenetv2.py --random
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "examples" / "models" / "mobilenetv2_224.onnx"
RANDOM_OUT = ROOT / "build" / "mobilenetv2_224_random.onnx"
WIDTH = 0.5
# (expansion t, output channels c, repeats n, first stride s): the MobileNetV2 paper's table
CONFIG = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def make_divisible(v: float, divisor: int = 8) -> int:
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


class Builder:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.bns: list[str] = []  # BN prefixes in order

    def init(self, name: str, arr: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def conv_bn(self, x: str, cin: int, cout: int, k: int, stride: int, groups: int, name: str, relu6: bool) -> str:
        fan_out = cout * k * k // groups
        w = self.rng.standard_normal((cout, cin // groups, k, k)) * np.sqrt(2.0 / fan_out)
        self.init(f"{name}.weight", w.astype(np.float32))
        c = f"/{name}/Conv_output_0"
        self.nodes.append(helper.make_node(
            "Conv", [x, f"{name}.weight"], [c], name=f"/{name}/Conv", kernel_shape=[k, k], strides=[stride, stride],
            pads=[k // 2] * 4, dilations=[1, 1], group=groups))  # fmt: skip
        bn = f"{name}.bn"
        self.init(f"{bn}.weight", self.rng.uniform(0.5, 1.5, cout).astype(np.float32))
        self.init(f"{bn}.bias", self.rng.normal(0, 0.1, cout).astype(np.float32))
        self.init(f"{bn}.running_mean", np.zeros(cout, np.float32))  # set by calibrate_bn()
        self.init(f"{bn}.running_var", np.ones(cout, np.float32))
        self.bns.append(bn)
        y = f"/{name}/BatchNormalization_output_0"
        self.nodes.append(helper.make_node(
            "BatchNormalization", [c, f"{bn}.weight", f"{bn}.bias", f"{bn}.running_mean", f"{bn}.running_var"], [y],
            name=f"/{name}/BatchNormalization", epsilon=1e-5, momentum=0.9))  # fmt: skip
        if not relu6:
            return y
        r = f"/{name}/Clip_output_0"
        self.nodes.append(helper.make_node("Clip", [y, "relu6_min", "relu6_max"], [r], name=f"/{name}/Clip"))
        return r


def build() -> tuple[onnx.ModelProto, list[str]]:
    b = Builder(seed=0)
    b.init("relu6_min", np.array(0.0, np.float32))
    b.init("relu6_max", np.array(6.0, np.float32))
    cin = make_divisible(32 * WIDTH)
    x = b.conv_bn("input", 3, cin, 3, 2, 1, "features.0", relu6=True)
    idx = 1
    for t, c, n, s in CONFIG:
        cout = make_divisible(c * WIDTH)
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            name = f"features.{idx}"
            h = x
            if t != 1:
                h = b.conv_bn(h, cin, hidden, 1, 1, 1, f"{name}.expand", relu6=True)
            h = b.conv_bn(h, hidden, hidden, 3, stride, hidden, f"{name}.dw", relu6=True)
            h = b.conv_bn(h, hidden, cout, 1, 1, 1, f"{name}.project", relu6=False)
            if stride == 1 and cin == cout:
                y = f"/{name}/Add_output_0"
                b.nodes.append(helper.make_node("Add", [x, h], [y], name=f"/{name}/Add"))
                h = y
            x, cin = h, cout
            idx += 1
    last = 1280  # MobileNetV2 keeps 1280 features for width multipliers below 1
    x = b.conv_bn(x, cin, last, 1, 1, 1, f"features.{idx}", relu6=True)
    nodes = b.nodes
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["/pool/GlobalAveragePool_output_0"],
                                  name="/pool/GlobalAveragePool"))
    # x.reshape(x.shape[0], -1), as the TorchScript exporter writes it
    b.init("flatten_index0", np.array(0, np.int64))
    b.init("flatten_axes0", np.array([0], np.int64))
    b.init("flatten_minus1", np.array([-1], np.int64))
    nodes += [
        helper.make_node("Shape", ["/pool/GlobalAveragePool_output_0"], ["/Shape_output_0"], name="/Shape"),
        helper.make_node("Gather", ["/Shape_output_0", "flatten_index0"], ["/Gather_output_0"], name="/Gather",
                         axis=0),
        helper.make_node("Unsqueeze", ["/Gather_output_0", "flatten_axes0"], ["/Unsqueeze_output_0"],
                         name="/Unsqueeze"),
        helper.make_node("Concat", ["/Unsqueeze_output_0", "flatten_minus1"], ["/Concat_output_0"], name="/Concat",
                         axis=0),
        helper.make_node("Reshape", ["/pool/GlobalAveragePool_output_0", "/Concat_output_0"], ["/Reshape_output_0"],
                         name="/Reshape"),
    ]  # fmt: skip
    fc_w = b.rng.standard_normal((1000, last)) * np.sqrt(1.0 / last)
    b.init("classifier.weight", fc_w.astype(np.float32))
    b.init("classifier.bias", b.rng.normal(0, 0.01, 1000).astype(np.float32))
    nodes.append(helper.make_node("Gemm", ["/Reshape_output_0", "classifier.weight", "classifier.bias"], ["logits"],
                                  name="/classifier/Gemm", alpha=1.0, beta=1.0, transB=1))
    graph = helper.make_graph(
        nodes, "mobilenetv2_0.5_224",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, 224, 224])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 1000])],
        b.inits,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="examples/scripts/make_mobilenetv2.py")
    model.ir_version = 7
    return model, b.bns


def calibrate_bn(model: onnx.ModelProto, bns: list[str], seed: int = 1) -> None:
    """Set each BN's running stats from the statistics of its real input, BN by BN in
    order (each depends on the ones before), perturbed so that folding is non-trivial."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4, 3, 224, 224)).astype(np.float32)
    inits = {t.name: t for t in model.graph.initializer}
    node_of = {n.input[1][: -len(".weight")]: n for n in model.graph.node if n.op_type == "BatchNormalization"}
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    for bn in bns:
        src = node_of[bn].input[0]
        probe = onnx.ModelProto()
        probe.CopyFrom(model)
        probe.graph.output.append(helper.make_tensor_value_info(src, TensorProto.FLOAT, None))
        sess = ort.InferenceSession(probe.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        act = sess.run([src], {"input": x})[0].astype(np.float64)
        mean, var = act.mean(axis=(0, 2, 3)), act.var(axis=(0, 2, 3))
        c = mean.size
        # round so that tiny summation-order differences across machines do not change the file
        mean = np.round(mean + rng.normal(0, 0.05, c) * np.sqrt(var), 4)
        var = np.round(var * rng.uniform(0.8, 1.25, c) + 1e-3, 4)
        inits[f"{bn}.running_mean"].CopyFrom(numpy_helper.from_array(mean.astype(np.float32), f"{bn}.running_mean"))
        inits[f"{bn}.running_var"].CopyFrom(numpy_helper.from_array(var.astype(np.float32), f"{bn}.running_var"))


def load_weights(model: onnx.ModelProto, path: Path) -> dict:
    """Replace every float initializer with the array of the same name in `path` (shapes
    must match, every array must be used); returns the training metadata stored there."""
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays.pop("__meta__"))) if "__meta__" in arrays else {}
    used = set()
    for t in model.graph.initializer:
        if t.data_type != TensorProto.FLOAT or t.name in ("relu6_min", "relu6_max"):
            continue
        if t.name not in arrays:
            sys.exit(f"{path}: no array {t.name!r} (is it from examples/scripts/train_mobilenetv2.py?)")
        a = arrays[t.name].astype(np.float32)
        if tuple(a.shape) != tuple(t.dims):
            sys.exit(f"{path}: {t.name!r} has shape {a.shape}, the graph needs {tuple(t.dims)}")
        t.CopyFrom(numpy_helper.from_array(a, t.name))
        used.add(t.name)
    if extra := sorted(set(arrays) - used):
        sys.exit(f"{path}: arrays the graph does not use: {extra[:5]}")
    return meta


def make_random(out: Path) -> Path:
    """The random-weight stress-test network, written to `out` (temp file, then rename)."""
    model, bns = build()
    calibrate_bn(model, bns)
    onnx.checker.check_model(model, full_check=True)
    _save(model, out)
    return out


def _save(model: onnx.ModelProto, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    onnx.save(model, str(tmp))
    tmp.replace(out)


def heldout_accuracy(path: Path) -> tuple[float, int, int]:
    """fp32 held-out accuracy of the ONNX model in onnxruntime on the digits split."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import digits_data

    _, x_te, _, y_te = digits_data.split()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    pred = np.concatenate([sess.run(None, {"input": digits_data.preprocess(x_te[i : i + 25])})[0].argmax(1)
                           for i in range(0, len(x_te), 25)])
    return float((pred == y_te).mean()), int((pred == y_te).sum()), len(y_te)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--weights", type=Path, help="trained weights (.npz from train_mobilenetv2.py)")
    src.add_argument("--random", action="store_true", help="random-weight stress-test network")
    ap.add_argument("-o", "--out", type=Path, help=f"default: {OUT} (--weights) or {RANDOM_OUT} (--random)")
    args = ap.parse_args(argv)
    if args.random:
        out = make_random(args.out or RANDOM_OUT)
        model = onnx.load(str(out))
    else:
        out = args.out or OUT
        model, _ = build()
        meta = load_weights(model, args.weights)
        model.doc_string = "MobileNetV2 (width 0.5) trained on sklearn digits, see examples/models/README.md"
        onnx.checker.check_model(model, full_check=True)
        _save(model, out)
    rng = np.random.default_rng(2)
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    y = sess.run(None, {"input": rng.standard_normal((1, 3, 224, 224)).astype(np.float32)})[0]
    params = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    print(f"wrote {out} ({out.stat().st_size:,} bytes, {params:,} parameters, {len(model.graph.node)} nodes); "
          f"logits on N(0,1) input: std {y.std():.3f}, range [{y.min():.3f}, {y.max():.3f}]")
    if args.weights:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import digits_data

        acc, correct, n = heldout_accuracy(out)
        print(f"fp32 held-out accuracy (onnxruntime): {acc:.4f} ({correct}/{n})")
        info = {"accuracy": acc, "correct": correct, "test_samples": n, "split": digits_data.SPLIT,
                "preprocessing": digits_data.PREPROCESS, "classes": "0-9 (logits 0-9 of 1000)",
                "training": meta, "ops": sorted({n.op_type for n in model.graph.node})}
        js = out.with_suffix(".json")
        tmp = js.with_name(js.name + ".part")
        tmp.write_text(json.dumps(info, indent=2) + "\n")
        tmp.replace(js)
        print(f"wrote {js}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
