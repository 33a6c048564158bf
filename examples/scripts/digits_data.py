"""The scikit-learn 8x8 digits split and the MobileNetV2 example's input preprocessing.

One definition shared by the training script (torch venv), the ONNX builder, the tests and
bench/run.py (project venv): numpy and scikit-learn only.

Split: `train_test_split(test_size=0.25, random_state=0, stratify=y)` on `load_digits()`,
the same fixed split as the digits CNN (1347 training, 450 held-out images).

MobileNetV2 preprocessing of an 8x8 image with pixels 0..16 to a 1x3xSxS float32 input:
    v = pixels / 16 * 2 - 1                  # [-1, 1], background -1
    nearest-neighbour upscale by S / 8       # each pixel becomes an (S/8)x(S/8) block (28x28 at 224)
    the same plane in all 3 channels
Labels 0-9 are the first 10 of the network's 1000 logits.
"""

from __future__ import annotations

import numpy as np

SPLIT = "train_test_split(test_size=0.25, random_state=0, stratify=y)"
PREPROCESS = ("pixels (0..16) / 16 * 2 - 1, nearest-neighbour upscale 8x8 -> 224x224 (each pixel a 28x28 block), "
              "replicated to 3 channels; labels 0-9 = logits 0-9 of 1000")


def split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x_train, x_test (N x 8 x 8 raw pixels 0..16, float32), y_train, y_test (int64)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = x.astype(np.float32).reshape(-1, 8, 8)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    return x_tr, x_te, y_tr.astype(np.int64), y_te.astype(np.int64)


def preprocess(pixels: np.ndarray, size: int = 224) -> np.ndarray:
    """N x 8 x 8 raw pixels (0..16) -> N x 3 x size x size float32 network input."""
    if size % 8:
        raise ValueError(f"size must be a multiple of 8, got {size}")
    f = size // 8
    v = np.asarray(pixels, np.float32).reshape(-1, 8, 8) / 16.0 * 2.0 - 1.0
    v = v.repeat(f, axis=1).repeat(f, axis=2)
    return np.ascontiguousarray(np.broadcast_to(v[:, None], (v.shape[0], 3, size, size)), dtype=np.float32)
