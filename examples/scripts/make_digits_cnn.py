"""Train the digits CNN example and export it to examples/models/digits_cnn.onnx.

A small CNN (Conv+BatchNorm+ReLU, MaxPool, Dropout, Flatten, Gemm) on scikit-learn's
bundled 8x8 digits (no download). Deterministic: fixed seeds, one thread, deterministic
algorithms. Held-out accuracy on the fixed split (train_test_split(test_size=0.25,
random_state=0, stratify=y)) is printed and written to examples/models/digits_cnn.json.

PyTorch lives in its own venv so the project venv stays light:

    python3 -m venv /work/torch-venv
    /work/torch-venv/bin/pip install torch==2.13.0 numpy scikit-learn onnx
    /work/torch-venv/bin/python examples/scripts/make_digits_cnn.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

OUT = Path(__file__).resolve().parents[1] / "models"
SEED = 0
EPOCHS = 60


def data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The fixed split; pixels (0..16) scaled to [0, 1], shaped N x 1 x 8 x 8."""
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    return train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)


class DigitsCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            nn.MaxPool2d(2),  # 8x8 -> 4x4
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.MaxPool2d(2),  # 4x4 -> 2x2
            nn.Dropout(0.25),
        )  # fmt: skip
        self.fc1 = nn.Linear(32 * 2 * 2, 64)
        self.drop = nn.Dropout(0.25)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(self.features(x), 1)
        return self.fc2(self.drop(torch.relu(self.fc1(x))))


def add_dropout_nodes(model: onnx.ModelProto) -> onnx.ModelProto:
    """The exporter drops inference-time Dropout; put opset-13 Dropout nodes back (ratio
    0.25, training_mode false) in front of Flatten and fc1 so the converter's Dropout
    removal is exercised on a real model, as in models exported in training-preserve mode."""
    g = model.graph
    g.initializer.extend([
        numpy_helper.from_array(np.array(0.25, np.float32), "dropout_ratio"),
        numpy_helper.from_array(np.array(False), "dropout_training"),
    ])  # fmt: skip
    new_nodes = []
    k = 0
    for node in g.node:
        if node.op_type in ("Flatten", "Gemm") and (node.op_type == "Flatten" or k == 1):
            src = node.input[0]
            k += 1
            out = f"{src}_dropout"
            new_nodes.append(helper.make_node("Dropout", [src, "dropout_ratio", "dropout_training"], [out],
                                              name=f"/dropout_{k}/Dropout"))
            node.input[0] = out
        elif node.op_type == "Gemm":
            k += 1
        new_nodes.append(node)
    del g.node[:]
    g.node.extend(new_nodes)
    return model


def main() -> None:
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    x_tr, x_te, y_tr, y_te = data()
    model = DigitsCNN()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x_tr), torch.from_numpy(y_tr).long()
    gen = torch.Generator().manual_seed(SEED)
    for _epoch in range(EPOCHS):
        model.train()
        for idx in torch.randperm(len(xt), generator=gen).split(64):
            opt.zero_grad()
            loss_fn(model(xt[idx]), yt[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(x_te)).argmax(1).numpy()
    acc = float((pred == y_te).mean())
    print(f"held-out accuracy: {acc:.4f} ({int((pred == y_te).sum())}/{len(y_te)})")

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "digits_cnn.onnx"
    torch.onnx.export(
        model, (torch.zeros(1, 1, 8, 8),), str(path), opset_version=13, dynamo=False,
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        training=torch.onnx.TrainingMode.PRESERVE,  # keep BatchNorm (no Conv+BN fusion at export)
        do_constant_folding=True,
    )  # fmt: skip
    m = onnx.load(str(path))
    if not any(n.op_type == "Dropout" for n in m.graph.node):
        m = add_dropout_nodes(m)
    m.producer_name, m.doc_string = "examples/scripts/make_digits_cnn.py", "digits CNN (sklearn digits)"
    onnx.checker.check_model(m)
    onnx.save(m, str(path))
    info = {"accuracy": acc, "correct": int((pred == y_te).sum()), "test_samples": int(len(y_te)),
            "split": "train_test_split(test_size=0.25, random_state=0, stratify=y)", "epochs": EPOCHS,
            "ops": sorted({n.op_type for n in m.graph.node})}
    (OUT / "digits_cnn.json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes), ops: {info['ops']}")


if __name__ == "__main__":
    main()
