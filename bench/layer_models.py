#!/usr/bin/env python3
"""One-layer ONNX models with the shapes of resnet18's and squeezenet1_1's layers, for counting
the engine and ncnn layer by layer (bench/ARM.md, "per layer, side by side"):

    python bench/layer_models.py OUT_DIR
    python bench/arm_count.py --qemu-src QEMU --ncnn-src NCNN --models "$(ls OUT_DIR/*.onnx | paste -sd,)" \
        --arch arm64,armv7 --dtypes fp32

Each model is Conv + bias (+ Relu where the network has one) on random weights, or a 3x3
stride-2 MaxPool (ceil mode, as squeezenet's). A one-layer count includes the model's fixed
costs (ncnn packs and unpacks its input and output), so compare runtimes row by row.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CONVS = [  # name, C, H, OC, kernel, stride, pad, relu
    ("r18_stem7s2", 3, 224, 64, 7, 2, 3, 1), ("r18_w56", 64, 56, 64, 3, 1, 1, 1),
    ("r18_s2_28", 64, 56, 128, 3, 2, 1, 1), ("r18_ds_28", 64, 56, 128, 1, 2, 0, 0),
    ("r18_w28", 128, 28, 128, 3, 1, 1, 1), ("r18_s2_14", 128, 28, 256, 3, 2, 1, 1),
    ("r18_ds_14", 128, 28, 256, 1, 2, 0, 0), ("r18_w14", 256, 14, 256, 3, 1, 1, 1),
    ("r18_s2_7", 256, 14, 512, 3, 2, 1, 1), ("r18_ds_7", 256, 14, 512, 1, 2, 0, 0),
    ("r18_w7", 512, 7, 512, 3, 1, 1, 1), ("sq_stem3s2", 3, 224, 64, 3, 2, 0, 1),
    ("sq_sq64_55", 64, 55, 16, 1, 1, 0, 1), ("sq_e1_16_55", 16, 55, 64, 1, 1, 0, 1),
    ("sq_e3_16_55", 16, 55, 64, 3, 1, 1, 1), ("sq_sq128_27", 128, 27, 32, 1, 1, 0, 1),
    ("sq_e1_32_27", 32, 27, 128, 1, 1, 0, 1), ("sq_e3_32_27", 32, 27, 128, 3, 1, 1, 1),
    ("sq_sq256_13", 256, 13, 48, 1, 1, 0, 1), ("sq_e1_48_13", 48, 13, 192, 1, 1, 0, 1),
    ("sq_e3_48_13", 48, 13, 192, 3, 1, 1, 1), ("sq_sq384_13", 384, 13, 64, 1, 1, 0, 1),
    ("sq_e1_64_13", 64, 13, 256, 1, 1, 0, 1), ("sq_e3_64_13", 64, 13, 256, 3, 1, 1, 1),
    ("sq_cls_13", 512, 13, 1000, 1, 1, 0, 1),
]
POOLS = [("sq_pool64_111", 64, 111), ("sq_pool128_55", 128, 55), ("sq_pool256_27", 256, 27)]


def _model(name: str, nodes: list, c: int, h: int, inits: list) -> onnx.ModelProto:
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, h, h])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name, c, h, oc, k, s, p, relu in CONVS:
        w = (rng.standard_normal((oc, c, k, k)) * (2.0 / (c * k * k)) ** 0.5).astype(np.float32)
        b = (rng.standard_normal(oc) * 0.1).astype(np.float32)
        nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c" if relu else "y"], kernel_shape=[k, k],
                                  strides=[s, s], pads=[p] * 4)]
        if relu:
            nodes.append(helper.make_node("Relu", ["c"], ["y"]))
        inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")]
        onnx.save(_model(name, nodes, c, h, inits), out / f"{name}.onnx")
    for name, c, h in POOLS:
        node = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
        onnx.save(_model(name, [node], c, h, []), out / f"{name}.onnx")
    print(f"{len(CONVS) + len(POOLS)} models in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
