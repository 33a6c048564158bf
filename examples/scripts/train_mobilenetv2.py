"""Train the MobileNetV2-shaped example network on scikit-learn's 8x8 digits.

The network is exactly the graph examples/scripts/make_mobilenetv2.py builds (width 0.5,
stem, 17 inverted residual blocks, 1x1 conv to 1280, global average pool, Linear to 1000;
Conv without bias + BatchNorm (eps 1e-5) + ReLU6), with the same parameter names, so its
weights and BatchNorm running statistics drop into that graph unchanged:

    /work/torch-venv/bin/python examples/scripts/train_mobilenetv2.py      # -> build/mobilenetv2_digits.npz
    .venv/bin/python examples/scripts/make_mobilenetv2.py --weights build/mobilenetv2_digits.npz

Data: the digits CNN's fixed split (1347 training / 450 held-out images), each 8x8 image
upscaled (nearest neighbour) to 3 x S x S with pixels mapped to [-1, 1]
(examples/scripts/digits_data.py); labels 0-9 are logits 0-9 of the 1000-way head.

Training takes ~10 minutes of CPU (2 threads) because most of it runs small: 12 epochs
at S = 64 (each digit pixel an 8x8 block; 91.6 % held out at 64), then 6 epochs with
every batch at a size drawn from 112, 160, 224 (a 64px network alone does not transfer to
224: the digit spans 7x7 final cells instead of 2x2), then the BatchNorm running
statistics are re-measured at 224 over the whole training split (exact averages, not
momentum estimates). AdamW, one-cycle learning rate, random shifts of up to one digit
pixel. Classes 10-999 of the head stay exactly zero. Deterministic: fixed seeds,
deterministic algorithms, a fixed number of threads (the result can still differ across
CPUs and torch versions; the committed .onnx is the reference).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import digits_data  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
WIDTH = 0.5
N_CLASSES = 10
# (expansion t, output channels c, repeats n, first stride s), as make_mobilenetv2.py
CONFIG = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def make_divisible(v: float, divisor: int = 8) -> int:
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


class ConvBN(nn.Module):
    def __init__(self, cin: int, cout: int, k: int, stride: int, groups: int, relu6: bool) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=1e-5)
        self.relu6 = relu6

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn(self.conv(x))
        return torch.clamp(y, 0.0, 6.0) if self.relu6 else y


class Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, t: int) -> None:
        super().__init__()
        hidden = cin * t
        self.expand = ConvBN(cin, hidden, 1, 1, 1, True) if t != 1 else None
        self.dw = ConvBN(hidden, hidden, 3, stride, hidden, True)
        self.project = ConvBN(hidden, cout, 1, 1, 1, False)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.expand(x) if self.expand is not None else x
        h = self.project(self.dw(h))
        return x + h if self.residual else h


class MobileNetV2(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        cin = make_divisible(32 * WIDTH)
        layers: list[nn.Module] = [ConvBN(3, cin, 3, 2, 1, True)]
        for t, c, n, s in CONFIG:
            cout = make_divisible(c * WIDTH)
            for i in range(n):
                layers.append(Block(cin, cout, s if i == 0 else 1, t))
                cin = cout
        layers.append(ConvBN(cin, 1280, 1, 1, 1, True))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(1280, 1000)
        # Only classes 0-9 exist. The other 990 rows of the head stay exactly zero (zero
        # init, gradients masked), so their logits are exactly 0: the loss still runs over
        # all 1000 logits (a digit must beat the 990 zeros), but those logits carry no
        # trained values that would flatter an int8-vs-fp32 cosine over all 1000.
        with torch.no_grad():
            self.classifier.weight[N_CLASSES:] = 0.0
            self.classifier.bias[N_CLASSES:] = 0.0
        keep = torch.zeros(1000, 1)
        keep[:N_CLASSES] = 1.0
        self.classifier.weight.register_hook(lambda g: g * keep)
        self.classifier.bias.register_hook(lambda g: g * keep[:, 0])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x).mean((2, 3))
        return self.classifier(x)


def onnx_arrays(model: MobileNetV2) -> dict[str, np.ndarray]:
    """State dict under the ONNX initializer names make_mobilenetv2.py uses:
    features.N[.expand|.dw|.project].weight and ....bn.{weight,bias,running_mean,running_var}."""
    out: dict[str, np.ndarray] = {}
    for key, v in model.state_dict().items():
        if key.endswith("num_batches_tracked"):
            continue
        name = key.replace(".conv.weight", ".weight")
        out[name] = v.detach().cpu().numpy().astype(np.float32)
    return out


def shifted(x8: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random shifts by -1..1 digit pixels (background fill 0), per image."""
    out = np.zeros_like(x8)
    for i, (dy, dx) in enumerate(rng.integers(-1, 2, (len(x8), 2))):
        src = x8[i, max(0, -dy) : 8 - max(0, dy), max(0, -dx) : 8 - max(0, dx)]
        out[i, max(0, dy) : max(0, dy) + src.shape[0], max(0, dx) : max(0, dx) + src.shape[1]] = src
    return out


def train_epochs(model: nn.Module, x8: np.ndarray, y: np.ndarray, sizes: list[int], epochs: int, lr: float,
                 batch: int, rng: np.random.Generator) -> None:
    """AdamW with a one-cycle schedule; each batch at a size drawn from `sizes` (several
    sizes make the features work across scales, so the deployment size needs little time)."""
    loss_fn = nn.CrossEntropyLoss()
    yt = torch.from_numpy(y)
    steps = epochs * -(-len(x8) // batch)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.2)
    for ep in range(epochs):
        model.train()
        xa = shifted(x8, rng)
        perm = rng.permutation(len(x8))
        total, t0 = 0.0, time.process_time()
        for s in range(0, len(perm), batch):
            idx = perm[s : s + batch]
            size = sizes[int(rng.integers(len(sizes)))]
            xb = torch.from_numpy(digits_data.preprocess(xa[idx], size))
            opt.zero_grad()
            loss = loss_fn(model(xb), yt[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        print(f"{sizes} px epoch {ep + 1}/{epochs}: loss {total / len(x8):.4f} "
              f"({time.process_time() - t0:.0f} s CPU)", flush=True)


@torch.no_grad()
def remeasure_bn(model: nn.Module, x8: np.ndarray, size: int, batch: int) -> None:
    """Exact BatchNorm running statistics at the deployment resolution: reset, then a
    cumulative average (momentum None) over the whole training split in train mode."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    model.train()
    for s in range(0, len(x8), batch):
        model(torch.from_numpy(digits_data.preprocess(x8[s : s + batch], size)))
    model.eval()


@torch.no_grad()
def evaluate(model: nn.Module, x8: np.ndarray, y: np.ndarray, size: int) -> float:
    model.eval()
    pred = np.concatenate([model(torch.from_numpy(digits_data.preprocess(x8[s : s + 50], size))).argmax(1).numpy()
                           for s in range(0, len(x8), 50)])
    return float((pred == y).mean())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "build" / "mobilenetv2_digits.npz"))
    ap.add_argument("--epochs", type=int, default=12, help="epochs at --low-res")
    ap.add_argument("--low-res", type=int, default=64)
    ap.add_argument("--multi-epochs", type=int, default=6, help="epochs at sizes drawn from --multi-sizes")
    ap.add_argument("--multi-sizes", default="112,160,224")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(args.seed)
    x_tr, x_te, y_tr, y_te = digits_data.split()
    model = MobileNetV2()
    t0 = time.process_time()
    # 1) learn the digits cheaply at a low resolution
    train_epochs(model, x_tr, y_tr, [args.low_res], args.epochs, 2e-3, 64, rng)
    print(f"held-out accuracy at {args.low_res}px: {evaluate(model, x_te, y_te, args.low_res):.4f}", flush=True)
    # 2) a few epochs over several sizes up to 224: a 64px network alone does not transfer to 224
    #    (the digit spans 7x7 final cells instead of 2x2)
    sizes = [int(v) for v in args.multi_sizes.split(",") if v]
    if args.multi_epochs:
        train_epochs(model, x_tr, y_tr, sizes, args.multi_epochs, 1e-3, 32, rng)
    # 3) exact BN statistics at the deployment size
    remeasure_bn(model, x_tr, 224, 32)
    acc = evaluate(model, x_te, y_te, 224)
    cpu = time.process_time() - t0
    print(f"held-out accuracy at 224px (torch): {acc:.4f}; training {cpu:.0f} s CPU", flush=True)

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"torch_accuracy_224": acc, "train_cpu_seconds": round(cpu), "epochs_low_res": args.epochs,
            "low_res": args.low_res, "multi_epochs": args.multi_epochs, "multi_sizes": sizes,
            "threads": args.threads, "seed": args.seed, "torch": torch.__version__}
    tmp = out.with_name(out.name + ".part.npz")  # np.savez appends .npz to other names
    np.savez(tmp, **onnx_arrays(model), __meta__=np.array(json.dumps(meta)))
    tmp.replace(out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
