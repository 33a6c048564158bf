#!/usr/bin/env python3
"""Re-export the model zoo (tests/zoo/models/*.onnx + *.npz, tests/zoo/manifest.json).

Builds each model with torch / torchvision / timm / ultralytics / transformers with random
weights (fixed seeds; nothing is downloaded: no pretrained weights, no hub configs;
transformers models come from config objects, YOLOv8 from the yaml inside the ultralytics
package), calibrates its BatchNorm statistics on random inputs (so activations stay O(1)
through deep nets, as in a trained network), exports ONNX, checks onnxruntime against torch,
writes the compact form (zoo.py: compact) and checks that the regenerated model is sane
(finite, not flat outputs; activation RMS comparable to the original's).

torch is ~6 GB, so it lives in its own virtualenv, never in the project's .venv (CI does
not install it). On x86_64 with Python 3.11 pip takes torch/torchvision from this
machine's disk:

    python3 -m venv /work/zoo-venv
    /work/zoo-venv/bin/pip install torch==2.14.1 torchvision==0.29.1
    /work/zoo-venv/bin/pip install torch==2.14.1 torchvision==0.29.1 timm==1.0.31 \\
        ultralytics==8.4.190 transformers==5.25.0 onnx==1.23.2 onnxruntime==1.32.0 onnxscript==0.7.2
    /work/zoo-venv/bin/python tests/zoo/export_zoo.py                 # everything
    /work/zoo-venv/bin/python tests/zoo/export_zoo.py --only resnet18,bert_tiny

(on aarch64: torch==2.9.1 torchvision==0.24.1). The raw exports (full weights) go to
build/zoo/raw/ for inspection; they are not committed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))
from zoo import zoo  # noqa: E402

os.environ.setdefault("YOLO_OFFLINE", "1")  # ultralytics: no update checks, no downloads
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

IMAGE = {"dist": "normal", "mean": 0.0, "std": 1.0}  # a normalized image (ImageNet-style preprocessing)
UNIT = {"dist": "uniform", "low": 0.0, "high": 1.0}  # YOLO: pixels / 255
LOGMEL = {"dist": "uniform", "low": -1.0, "high": 1.0}  # Whisper: (log10(mel) + 4) / 4, clamped
VOCAB = 30522  # the BERT WordPiece vocabulary size
SEQ = 128
BERT_IN = ("input_ids", "attention_mask", "token_type_ids")


@dataclass
class Spec:
    name: str
    family: str  # cnn | segmentation | detector | vision-transformer | text-encoder | speech-encoder
    origin: str  # how the model is built, for the manifest
    build: Callable[[], object]  # -> torch.nn.Module (eval mode) returning a tensor or tuple of tensors
    inputs: list[dict]  # name, shape, dtype, range
    outputs: list[str]
    exporter: str = "torchscript"  # torchscript (torch.onnx.export dynamo=False) | dynamo | ultralytics
    opset: int = 17
    note: str = ""
    default: bool = True  # in the default (CI) run of tests/test_zoo.py
    extra: dict = field(default_factory=dict)

    @property
    def int8(self) -> bool:
        return self.family in ("cnn", "segmentation", "detector")


def image(shape: tuple[int, ...], rng: dict = IMAGE, name: str = "input") -> list[dict]:
    return [{"name": name, "shape": list(shape), "dtype": "float32", "range": rng}]


def tokens(names: tuple[str, ...]) -> list[dict]:
    r = {"input_ids": {"dist": "int", "low": 0, "high": VOCAB}, "attention_mask": {"dist": "mask"},
         "token_type_ids": {"dist": "int", "low": 0, "high": 2}}
    return [{"name": n, "shape": [1, SEQ], "dtype": "int64", "range": r[n]} for n in names]


# --------------------------------------------------------------------------- builders


def tv(name: str) -> Callable[[], object]:
    def build():
        import torchvision

        return getattr(torchvision.models, name)(weights=None)

    return build


def tv_seg(name: str) -> Callable[[], object]:
    def build():
        import torch
        import torchvision

        net = getattr(torchvision.models.segmentation, name)(weights=None, weights_backbone=None)

        class Out(torch.nn.Module):  # the models return {"out": ...}
            def __init__(self) -> None:
                super().__init__()
                self.net = net

            def forward(self, x):
                return self.net(x)["out"]

        return Out()

    return build


def timm_model(name: str) -> Callable[[], object]:
    def build():
        import timm

        return timm.create_model(name, pretrained=False)

    return build


def hf(kind: str, names: tuple[str, ...]) -> Callable[[], object]:
    def build():
        import torch
        import transformers as tf

        if kind == "bert":  # the shape of google/bert_uncased_L-2_H-128_A-2 ("bert-tiny")
            cfg = tf.BertConfig(vocab_size=VOCAB, hidden_size=128, num_hidden_layers=2, num_attention_heads=2,
                                intermediate_size=512, max_position_embeddings=512)
            net = tf.BertModel(cfg)
            outs = ("last_hidden_state", "pooler_output")
        elif kind == "distilbert":
            cfg = tf.DistilBertConfig(vocab_size=VOCAB, dim=256, n_layers=2, n_heads=4, hidden_dim=1024)
            net = tf.DistilBertModel(cfg)
            outs = ("last_hidden_state",)
        elif kind == "mobilebert":  # google/mobilebert-uncased's dims (NoNorm, bottlenecks, 4 FFNs), 2 of 24 layers
            cfg = tf.MobileBertConfig(vocab_size=VOCAB, num_hidden_layers=2)
            net = tf.MobileBertModel(cfg)
            outs = ("last_hidden_state", "pooler_output")
        elif kind == "whisper":  # openai/whisper-tiny's encoder dims; a 10 s window (1000 frames)
            cfg = tf.WhisperConfig(d_model=384, encoder_layers=4, encoder_attention_heads=6, encoder_ffn_dim=1536,
                                   num_mel_bins=80, max_source_positions=500)
            net = tf.models.whisper.modeling_whisper.WhisperEncoder(cfg)
            outs = ("last_hidden_state",)
        else:
            raise ValueError(kind)

        class Out(torch.nn.Module):  # plain tensors out, in a fixed order
            def __init__(self) -> None:
                super().__init__()
                self.net = net

            def forward(self, *args):
                r = self.net(**dict(zip(names, args, strict=True)))
                return tuple(getattr(r, o) for o in outs)

        return Out()

    return build


def yolo(cfg: str) -> Callable[[], object]:
    def build():
        from ultralytics import YOLO

        return YOLO(cfg)

    return build


# --------------------------------------------------------------------------- the zoo


SPECS = [
    Spec("resnet18", "cnn", "torchvision.models.resnet18(weights=None)", tv("resnet18"), image((1, 3, 224, 224)),
         ["logits"]),
    Spec("mobilenet_v2", "cnn", "torchvision.models.mobilenet_v2(weights=None)", tv("mobilenet_v2"),
         image((1, 3, 224, 224)), ["logits"]),
    Spec("mobilenet_v3_small", "cnn", "torchvision.models.mobilenet_v3_small(weights=None)",
         tv("mobilenet_v3_small"), image((1, 3, 224, 224)), ["logits"]),
    Spec("mobilenet_v3_large", "cnn", "torchvision.models.mobilenet_v3_large(weights=None)",
         tv("mobilenet_v3_large"), image((1, 3, 224, 224)), ["logits"], default=False),
    Spec("efficientnet_b0", "cnn", "torchvision.models.efficientnet_b0(weights=None)", tv("efficientnet_b0"),
         image((1, 3, 224, 224)), ["logits"]),
    Spec("squeezenet1_1", "cnn", "torchvision.models.squeezenet1_1(weights=None)", tv("squeezenet1_1"),
         image((1, 3, 224, 224)), ["logits"]),
    Spec("shufflenet_v2_x1_0", "cnn", "torchvision.models.shufflenet_v2_x1_0(weights=None)",
         tv("shufflenet_v2_x1_0"), image((1, 3, 224, 224)), ["logits"]),
    Spec("mnasnet1_0", "cnn", "torchvision.models.mnasnet1_0(weights=None)", tv("mnasnet1_0"),
         image((1, 3, 224, 224)), ["logits"], default=False),
    Spec("regnet_y_400mf", "cnn", "torchvision.models.regnet_y_400mf(weights=None)", tv("regnet_y_400mf"),
         image((1, 3, 224, 224)), ["logits"], default=False),
    Spec("mobilenet_v3_small_dynamo", "cnn", "torchvision.models.mobilenet_v3_small(weights=None)",
         tv("mobilenet_v3_small"), image((1, 3, 224, 224)), ["logits"], exporter="dynamo", opset=18,
         note="torch.onnx.export's default (dynamo) exporter, whose lowest opset is 18", default=False),
    Spec("deeplabv3_mobilenet_v3_large", "segmentation",
         "torchvision.models.segmentation.deeplabv3_mobilenet_v3_large(weights=None, weights_backbone=None)",
         tv_seg("deeplabv3_mobilenet_v3_large"), image((1, 3, 320, 320)), ["out"],
         note="320x320 input (torchvision evaluates at 520) to keep CI time down", default=False),
    Spec("lraspp_mobilenet_v3_large", "segmentation",
         "torchvision.models.segmentation.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None)",
         tv_seg("lraspp_mobilenet_v3_large"), image((1, 3, 320, 320)), ["out"],
         note="320x320 input (torchvision evaluates at 520) to keep CI time down"),
    Spec("mobilevit_xxs", "vision-transformer", "timm.create_model('mobilevit_xxs', pretrained=False)",
         timm_model("mobilevit_xxs"), image((1, 3, 256, 256)), ["logits"]),
    Spec("efficientformerv2_s0", "vision-transformer",
         "timm.create_model('efficientformerv2_s0', pretrained=False)", timm_model("efficientformerv2_s0"),
         image((1, 3, 224, 224)), ["logits"], default=False),
    Spec("vit_tiny_patch16_224", "vision-transformer",
         "timm.create_model('vit_tiny_patch16_224', pretrained=False)", timm_model("vit_tiny_patch16_224"),
         image((1, 3, 224, 224)), ["logits"]),
    Spec("convnext_atto", "vision-transformer", "timm.create_model('convnext_atto', pretrained=False)",
         timm_model("convnext_atto"), image((1, 3, 224, 224)), ["logits"], default=False),
    Spec("yolov8n", "detector", "ultralytics.YOLO('yolov8n.yaml') (the package's yolov8.yaml, scale n)",
         yolo("yolov8n.yaml"), image((1, 3, 640, 640), UNIT, "images"), ["output0"], exporter="ultralytics"),
    Spec("yolov8n_seg", "detector", "ultralytics.YOLO('yolov8n-seg.yaml')", yolo("yolov8n-seg.yaml"),
         image((1, 3, 640, 640), UNIT, "images"), ["output0", "output1"], exporter="ultralytics", default=False),
    Spec("yolov8n_pose", "detector", "ultralytics.YOLO('yolov8n-pose.yaml')", yolo("yolov8n-pose.yaml"),
         image((1, 3, 640, 640), UNIT, "images"), ["output0"], exporter="ultralytics", default=False),
    Spec("bert_tiny", "text-encoder",
         "transformers.BertModel(BertConfig(hidden 128, 2 layers, 2 heads, intermediate 512, vocab 30522))",
         hf("bert", BERT_IN), tokens(BERT_IN),
         ["last_hidden_state", "pooler_output"], note=f"sequence length {SEQ}"),
    Spec("distilbert_2l", "text-encoder",
         "transformers.DistilBertModel(DistilBertConfig(dim 256, 2 layers, 4 heads, hidden 1024, vocab 30522))",
         hf("distilbert", BERT_IN[:2]), tokens(BERT_IN[:2]), ["last_hidden_state"],
         note=f"sequence length {SEQ}", default=False),
    Spec("mobilebert_2l", "text-encoder",
         "transformers.MobileBertModel(MobileBertConfig(num_hidden_layers=2), other dims as mobilebert-uncased)",
         hf("mobilebert", BERT_IN), tokens(BERT_IN),
         ["last_hidden_state", "pooler_output"], note=f"sequence length {SEQ}; 2 of mobilebert's 24 layers",
         default=False),
    Spec("whisper_tiny_encoder", "speech-encoder",
         "transformers WhisperEncoder(WhisperConfig(d_model 384, 4 layers, 6 heads, ffn 1536, 80 mels, "
         "max_source_positions 500))", hf("whisper", ("input_features",)),
         [{"name": "input_features", "shape": [1, 80, 1000], "dtype": "float32", "range": LOGMEL}],
         ["last_hidden_state"], note="whisper-tiny's encoder on a 10 s window (1000 log-mel frames; whisper uses "
         "30 s = 3000) to keep CI time down"),
]
SPECS_BY_NAME = {s.name: s for s in SPECS}

# onnx's own light models (weights regenerated by zoo.py from their roles), for the bench too
LIGHT = [
    ("light_resnet50", "cnn", True), ("light_inception_v2", "cnn", False), ("light_densenet121", "cnn", False),
    ("light_squeezenet", "cnn", True), ("light_shufflenet", "cnn", False), ("light_inception_v1", "cnn", False),
    ("light_bvlc_alexnet", "cnn", False), ("light_vgg19", "cnn", False), ("light_zfnet512", "cnn", False),
]


# --------------------------------------------------------------------------- steps


def torch_inputs(spec: Spec, seed: int = 0, batch: int = 1):
    import torch

    feeds = zoo_inputs(spec, seed, batch)
    return tuple(torch.from_numpy(feeds[i["name"]]) for i in spec.inputs)


def zoo_inputs(spec: Spec, seed: int, batch: int = 1) -> dict[str, np.ndarray]:
    """The same draw as zoo.inputs() (which reads the manifest), from the spec."""
    return zoo.draw_inputs(spec.name, [{**i, "shape": [batch, *i["shape"][1:]]} for i in spec.inputs], seed)


def calibrate_bn(net, spec: Spec, batches: int = 4, batch: int = 8) -> int:
    """Set every BatchNorm's running statistics from the activations it sees on random inputs
    (cumulative average), as a trained network's are; returns how many BatchNorms."""
    import torch

    bns = [m for m in net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return 0
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
        m.train()
    with torch.no_grad():
        for b in range(batches):
            net(*torch_inputs(spec, seed=1000 + b, batch=batch))
    for m in bns:
        m.eval()
    return len(bns)


def export(spec: Spec, raw: Path) -> tuple[object, str]:
    """Build, calibrate, export to `raw`; returns (the torch module for reference outputs, exporter text)."""
    import torch

    torch.manual_seed(0)
    np.random.seed(0)
    if spec.exporter == "ultralytics":
        import ultralytics

        y = spec.build()
        y.model.eval()
        n_bn = calibrate_bn(y.model, spec)
        with contextlib.redirect_stdout(io.StringIO()):
            out = y.export(format="onnx", opset=spec.opset, simplify=False, imgsz=spec.inputs[0]["shape"][2],
                           dynamic=False, device="cpu")
        Path(out).replace(raw)
        net = y.model.eval()
        return net, f"ultralytics {ultralytics.__version__} YOLO.export(format='onnx', opset={spec.opset}, " \
                    f"simplify=False) (torch.onnx.export dynamo=False), torch {torch.__version__}; {n_bn} BatchNorms calibrated"
    net = spec.build().eval()
    n_bn = calibrate_bn(net, spec)
    args = torch_inputs(spec)
    names = [i["name"] for i in spec.inputs]
    with torch.no_grad():
        if spec.exporter == "dynamo":
            prog = torch.onnx.export(net, args, None, dynamo=True, opset_version=spec.opset, input_names=names,
                                     output_names=spec.outputs)
            prog.save(str(raw), external_data=False)
        else:
            torch.onnx.export(net, args, str(raw), dynamo=False, opset_version=spec.opset, input_names=names,
                              output_names=spec.outputs)
    how = "torch.onnx.export(dynamo=True)" if spec.exporter == "dynamo" else "torch.onnx.export(dynamo=False)"
    return net, f"{how}, torch {torch.__version__}; {n_bn} BatchNorms calibrated" if n_bn else f"{how}, torch {torch.__version__}"


def torch_outputs(net, spec: Spec) -> list[np.ndarray]:
    import torch

    with torch.no_grad():
        if spec.exporter == "ultralytics":
            out = net(*torch_inputs(spec))
            out = out if isinstance(out, list | tuple) else [out]
            flat = []
            for o in out:  # Detect returns (y, x) in eval mode; Segment ((y, proto), ...)
                flat += list(o) if isinstance(o, list | tuple) else [o]
            return [o.numpy() for o in flat if hasattr(o, "numpy")]
        out = net(*torch_inputs(spec))
    out = out if isinstance(out, tuple) else (out,)
    return [o.numpy() for o in out]


def ort_run(model: onnx.ModelProto, feeds: dict[str, np.ndarray], all_tensors: bool = False
            ) -> dict[str, np.ndarray]:
    m = model
    if all_tensors:
        m = onnx.ModelProto()
        m.CopyFrom(model)
        have = {o.name for o in m.graph.output}
        for n in m.graph.node:
            for o in n.output:
                if o and o not in have:
                    m.graph.output.append(onnx.ValueInfoProto(name=o))
    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds), strict=True))


def rms_profile(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> dict[str, float]:
    """min / median / max over the graph's float activations of each one's RMS."""
    rms = [float(np.sqrt(np.mean(np.square(a, dtype=np.float64))))
           for a in ort_run(model, feeds, all_tensors=True).values() if a.dtype.kind == "f" and a.size > 1]
    r = np.asarray(rms)
    return {"min": float(r.min()), "median": float(np.median(r)), "max": float(r.max())}


def channel_stats(model: onnx.ModelProto, samples: list[dict[str, np.ndarray]], names: list[str]
                  ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-channel (axis 1) mean and std of the tensors `names` over `samples`."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    del m.graph.output[:]
    for n in names:
        m.graph.output.append(onnx.ValueInfoProto(name=n))
    acc: dict[str, list] = {}
    for feeds in samples:
        for k, a in ort_run(m, feeds).items():
            a = np.moveaxis(a.astype(np.float64), 1, 0).reshape(a.shape[1], -1)
            s = acc.setdefault(k, [0.0, 0.0, 0])
            s[0], s[1], s[2] = s[0] + a.sum(1), s[1] + np.square(a).sum(1), s[2] + a.shape[1]
    out = {}
    for k, (s1, s2, n) in acc.items():
        mean = s1 / n
        out[k] = mean, np.sqrt(np.maximum(s2 / n - mean**2, 0.0))
    return out


def calibrate(name: str, proto: onnx.ModelProto, records: dict[str, dict], original: onnx.ModelProto,
              samples: list[dict[str, np.ndarray]]) -> dict:
    """Make the seed-0 regeneration behave like the original: every Conv/Gemm whose weight is
    regenerated gets, on `samples`, the per-channel output mean and std it has in the original
    model (its weight record's per-channel std scaled, its bias, kept exactly, set), layer
    after layer in graph order, each with the ones before it already corrected.

    A fresh weight draw loses what BatchNorm folding put into the weights and biases (each
    channel normalized for the weights it was computed with), so without this activations
    drift away from O(1) through deep networks (EfficientNet-B0: RMS up to ~1e3)."""
    nodes = [n for n in proto.graph.node if n.op_type in ("Conv", "Gemm") and n.input[1] in records
             and records[n.input[1]]["kind"] in ("normal", "uniform") and records[n.input[1]]["axis"] is not None]
    if not nodes:
        return {"layers": 0}
    outs = [n.output[0] for n in nodes]
    target = channel_stats(original, samples, outs)
    inits = {t.name: t for t in proto.graph.initializer}
    filled = zoo.fill(proto, records, name, 0)
    # one session for all layers: the weights and biases being calibrated are graph inputs
    params = {n.input[i] for n in nodes for i in (1, 2) if i < len(n.input) and n.input[i]}
    current = {t.name: onnx.numpy_helper.to_array(t) for t in filled.graph.initializer if t.name in params}
    probe = onnx.ModelProto()
    probe.CopyFrom(filled)
    kept = [t for t in probe.graph.initializer if t.name not in params]
    del probe.graph.initializer[:]
    probe.graph.initializer.extend(kept)
    for k, v in current.items():
        probe.graph.input.append(onnx.helper.make_tensor_value_info(k, onnx.helper.np_dtype_to_tensor_dtype(v.dtype),
                                                                    list(v.shape)))
    del probe.graph.output[:]
    for o in outs:
        probe.graph.output.append(onnx.ValueInfoProto(name=o))
    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(probe.SerializeToString(), so, providers=["CPUExecutionProvider"])

    def stats(out: str) -> tuple[np.ndarray, np.ndarray]:
        s1 = s2 = 0.0
        n = 0
        for feeds in samples:
            a = sess.run([out], {**feeds, **current})[0].astype(np.float64)
            a = np.moveaxis(a, 1, 0).reshape(a.shape[1], -1)
            s1, s2, n = s1 + a.sum(1), s2 + np.square(a).sum(1), n + a.shape[1]
        mean = s1 / n
        return mean, np.sqrt(np.maximum(s2 / n - mean**2, 0.0))

    worst = 0.0
    for n in nodes:
        out, rec = n.output[0], records[n.input[1]]
        (m0, s0), (m1, s1) = target[out], stats(out)
        gain = np.clip(np.where(s1 > 1e-12, s0 / np.maximum(s1, 1e-30), 1.0), 1e-3, 1e3)
        if rec["std"].size != gain.size:
            continue
        worst = max(worst, float(np.abs(np.log(gain)).max()))
        rec["std"] = (rec["std"] * gain).astype(np.float32)
        g = max(float(gain.max()), 1.0)
        rec["range"] = (rec["range"][0] * g, rec["range"][1] * g)
        w = n.input[1]
        current[w] = zoo.regenerate(tuple(current[w].shape), rec, zoo._rng(0, name, w)).astype(current[w].dtype)
        b_name = n.input[2] if len(n.input) > 2 else ""
        if b_name in inits and inits[b_name].data_location != onnx.TensorProto.EXTERNAL:
            b = current[b_name].astype(np.float64)
            new_b = (m0 - gain * (m1 - b.reshape(-1))).reshape(b.shape)  # W x scales with the gain
            zoo._fill(inits[b_name], new_b)
            current[b_name] = new_b.astype(current[b_name].dtype)
    return {"layers": len(nodes), "max_abs_log_gain": worst}


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float64) - b).max() / max(1e-30, np.abs(b).max()))


def do_one(spec: Spec, raw_dir: Path) -> dict:
    t0 = time.time()
    raw = raw_dir / f"{spec.name}.onnx"
    net, how = export(spec, raw)
    proto = onnx.load(raw)
    onnx.checker.check_model(proto)
    feeds = zoo_inputs(spec, 0)
    ref = ort_run(proto, feeds)
    ref_list = [ref[o.name] for o in proto.graph.output]
    check: dict = {}
    try:
        tout = torch_outputs(net, spec)
        if len(tout) >= len(ref_list):
            check["ort_vs_torch_rel"] = max(rel_err(r, t) for r, t in zip(ref_list, tout, strict=False))
    except Exception as e:  # noqa: BLE001 - only a diagnostic
        check["ort_vs_torch"] = f"not compared: {type(e).__name__}: {e}"
    stripped, records = zoo.strip(proto)
    check["calibration"] = calibrate(spec.name, stripped, records, proto, [zoo_inputs(spec, 100 + i) for i in range(4)])
    zoo.save(stripped, records, spec.name)
    regen = zoo._load_zoo(spec.name, 0)
    got = ort_run(regen, feeds)
    problems = zoo.output_sanity(got.items())
    if problems:
        raise SystemExit(f"{spec.name}: regenerated model is not usable: {problems}")
    check["rms_original"] = rms_profile(proto, feeds)
    check["rms_regenerated"] = rms_profile(regen, feeds)
    check["output_rms_original"] = {k: float(np.sqrt(np.mean(np.square(v, dtype=np.float64)))) for k, v in ref.items()
                                    if v.dtype.kind == "f"}
    check["output_rms_regenerated"] = {k: float(np.sqrt(np.mean(np.square(v, dtype=np.float64))))
                                       for k, v in got.items() if v.dtype.kind == "f"}
    ops: dict[str, int] = {}
    for n in proto.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    params = sum(math.prod(t.dims) for t in proto.graph.initializer)
    entry = {
        "source": "zoo",
        "family": spec.family,
        "file": f"models/{spec.name}.onnx",
        "origin": spec.origin,
        "exporter": how,
        "opset": next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")),
        "inputs": spec.inputs,
        "outputs": [{"name": o.name, "shape": [d.dim_value for d in o.type.tensor_type.shape.dim],
                     "dtype": onnx.helper.tensor_dtype_to_np_dtype(o.type.tensor_type.elem_type).name}
                    for o in proto.graph.output],
        "params": params,
        "ops": dict(sorted(ops.items())),
        "int8": spec.int8,
        "default": spec.default,
        "tolerance": tolerance(spec.family),
        "note": spec.note,
        "check": check,
    }
    print(f"{spec.name}: {time.time() - t0:.1f} s, {params:,} params, opset {entry['opset']}, "
          f"ort/torch {check.get('ort_vs_torch_rel', check.get('ort_vs_torch'))}, "
          f"rms orig {fmt(check['rms_original'])} regen {fmt(check['rms_regenerated'])}, calibration "
          f"{check['calibration']}", flush=True)
    return entry


def tolerance(family: str) -> dict:
    """The default tolerances of a new model; a re-export keeps the manifest's (tuned per model)."""
    tol: dict = {"fp32_rel": 1e-4}
    if family in ("cnn", "segmentation", "detector"):
        # int8 vs fp32 cosine: random weights make deep nets chaotic (docs/int8.md), so int8
        # reaches ~0.91-0.999 on the zoo's CNNs; each model's floor is set a little below what
        # it measured when it first converted (tests/zoo/README.md), this until then
        tol["int8_cosine"] = 0.9
    return tol


def fmt(d: dict) -> str:
    return "/".join(f"{d[k]:.3g}" for k in ("min", "median", "max"))


def light_entry(name: str, family: str, default: bool) -> dict:
    path = zoo.light_dir() / f"{name}.onnx"
    proto = onnx.load(path)
    inits = {t.name for t in proto.graph.initializer}
    real = [i for i in proto.graph.input if i.name not in inits]
    ins = [{"name": i.name, "shape": [d.dim_value for d in i.type.tensor_type.shape.dim], "dtype": "float32",
            "range": IMAGE} for i in real]
    entry = {
        "source": "onnx-light", "family": family, "file": name,
        "origin": f"onnx {onnx.__version__} backend/test/data/light/{name}.onnx (weights: ConstantOfShape(0.02), "
                  "regenerated by zoo.py by role)",
        "exporter": "onnx's light model (caffe2 conversion)",
        "opset": next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")),
        "inputs": ins,
        "outputs": [{"name": o.name, "shape": [d.dim_value for d in o.type.tensor_type.shape.dim],
                     "dtype": "float32"} for o in proto.graph.output],
        "int8": True, "default": default, "tolerance": tolerance(family), "note": "",
    }
    return entry


def calibrate_light(name: str, samples: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """BatchNormalization means/variances measured on what each BN sees, in graph order
    (each after the ones before it are set): {initializer name: values}."""
    m = zoo._load_light(name, 0, stats=False)
    inits = {t.name: t for t in m.graph.initializer}
    bns = [n for n in m.graph.node if n.op_type == "BatchNormalization" and n.input[3] in inits
           and n.input[4] in inits]
    if not bns:
        return {}
    params = {n.input[i] for n in bns for i in (3, 4)}
    current = {k: onnx.numpy_helper.to_array(inits[k]) for k in params}
    probe = onnx.ModelProto()
    probe.CopyFrom(m)  # one session: the statistics are graph inputs, every BN input an output
    kept = [t for t in probe.graph.initializer if t.name not in params]
    del probe.graph.initializer[:]
    probe.graph.initializer.extend(kept)
    listed = {i.name for i in probe.graph.input}  # opset-9 models list initializers as inputs too
    for k, v in current.items():
        if k not in listed:
            probe.graph.input.append(onnx.helper.make_tensor_value_info(k, onnx.TensorProto.FLOAT, list(v.shape)))
    del probe.graph.output[:]
    for n in bns:
        probe.graph.output.append(onnx.ValueInfoProto(name=n.input[0]))
    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(probe.SerializeToString(), so, providers=["CPUExecutionProvider"])
    for n in bns:
        xs = np.stack([sess.run([n.input[0]], {**f, **current})[0][0] for f in samples]).astype(np.float64)
        red = tuple(d for d in range(xs.ndim) if d != 1)
        current[n.input[3]] = xs.mean(axis=red).astype(np.float32).reshape(current[n.input[3]].shape)
        current[n.input[4]] = xs.var(axis=red).astype(np.float32).reshape(current[n.input[4]].shape)
    return current


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="", help="comma-separated model names (default: all)")
    ap.add_argument("--raw", default=str(ROOT / "build" / "zoo" / "raw"), help="where the full exports go")
    args = ap.parse_args(argv)
    only = [n for n in args.only.split(",") if n]
    known = [*SPECS_BY_NAME, *(n for n, _, _ in LIGHT)]
    for n in only:
        if n not in known:
            ap.error(f"unknown model {n!r} (choices: {', '.join(known)})")
    raw = Path(args.raw)
    raw.mkdir(parents=True, exist_ok=True)
    old = json.loads(zoo.MANIFEST_PATH.read_text())["models"] if zoo.MANIFEST_PATH.exists() else {}
    models: dict = {}
    def write() -> None:
        merged = {**{k: v for k, v in old.items() if k not in models}, **models}
        order = [s.name for s in SPECS] + [n for n, _, _ in LIGHT]
        merged = {k: merged[k] for k in order if k in merged}
        zoo.MANIFEST_PATH.write_text(json.dumps({"version": 1, "models": merged}, indent=1) + "\n")

    for spec in SPECS:
        if not only or spec.name in only:
            models[spec.name] = do_one(spec, raw)
            if spec.name in old:  # tolerances are tuned by hand per model: keep them
                models[spec.name]["tolerance"] = old[spec.name]["tolerance"]
            write()
    for name, family, default in LIGHT:
        if only and name not in only:
            continue
        models[name] = light_entry(name, family, default)
        if name in old:
            models[name]["tolerance"] = old[name]["tolerance"]
        feeds = zoo.draw_inputs(name, models[name]["inputs"], 0)
        stats = calibrate_light(name, [zoo.draw_inputs(name, models[name]["inputs"], 100 + i) for i in range(4)])
        path = zoo.MODELS_DIR / f"{name}.npz"
        if stats:
            np.savez_compressed(path, names=np.asarray(list(stats)),
                                **{f"value.{i}": v for i, v in enumerate(stats.values())})
            models[name]["stats"] = f"models/{name}.npz"
        elif path.exists():
            path.unlink()
        regen = zoo._load_light(name, 0)
        problems = zoo.output_sanity(ort_run(regen, feeds).items())
        if problems:
            raise SystemExit(f"{name}: regenerated model is not usable: {problems}")
        models[name]["check"] = {"rms_regenerated": rms_profile(regen, feeds)}
        print(f"{name}: rms regen {fmt(models[name]['check']['rms_regenerated'])}")
        write()
    print(f"wrote {zoo.MANIFEST_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
