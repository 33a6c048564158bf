"""fp32 vs int8 on the trained MobileNetV2 example, on the engine, over the held-out digits.

    .venv/bin/python examples/scripts/eval_mobilenetv2_int8.py [--methods mse,minmax,percentile] [--ort]

For each calibration method: `sdkbuild convert --quantize int8 --calibration` (the same
code path as the CLI) with the first N preprocessed training images as calibration data,
then the engine runs all 450 held-out images. Reported per configuration: held-out
accuracy, top-1 agreement with fp32, and the cosine similarity of the int8 logits with
the onnxruntime fp32 logits per image (mean and min), over all 1000 logits and over the
10 digit logits centered (Pearson correlation; the 990 unused classes have zero weights,
so their logits are exactly 0 and the cosine over all 1000 equals the one over logits
0-9; centering removes a common offset that could flatter it). `--ort` adds onnxruntime's own static int8
quantization (QDQ, per-channel weights, same calibration images) for comparison.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import digits_data  # noqa: E402

from sdkbuild import runtime  # noqa: E402
from sdkbuild.convert import convert_file  # noqa: E402


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a.astype(np.float64), b.astype(np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def ort_logits(path: Path, x: np.ndarray, threads: int) -> np.ndarray:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    return np.concatenate([sess.run(None, {"input": x[i : i + 1]})[0] for i in range(len(x))])


def engine_logits(eng: runtime.Engine, path: Path, x: np.ndarray, threads: int) -> np.ndarray:
    model = eng.load(path)
    sess = model.session(threads)
    name = model.outputs[0].name
    out = np.concatenate([sess.run({"input": x[i : i + 1]})[name] for i in range(len(x))])
    sess.close()
    model.close()
    return out


def ort_qdq(src: Path, dst: Path, cal: np.ndarray) -> None:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.it = iter([{"input": cal[i : i + 1]} for i in range(len(cal))])

        def get_next(self) -> dict | None:
            return next(self.it, None)

    # onnxruntime's recommended preprocessing (shape inference, graph optimization: BN folded
    # into Conv) on the batch-1 model; sympy-based symbolic shape inference is not needed here
    fixed, pre = dst.with_name(dst.stem + "_b1.onnx"), dst.with_name(dst.stem + "_pre.onnx")
    m = onnx.load(str(src))
    m.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 1
    onnx.save(m, str(fixed))
    quant_pre_process(str(fixed), str(pre), skip_symbolic_shape=True)
    quantize_static(str(pre), str(dst), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "examples" / "models" / "mobilenetv2_224.onnx")
    ap.add_argument("--methods", default="mse,minmax,percentile")
    ap.add_argument("--calibration-samples", type=int, default=32)
    ap.add_argument("--test-samples", type=int, default=450, help="first N held-out images")
    ap.add_argument("--ort", action="store_true", help="also onnxruntime's static QDQ int8")
    ap.add_argument("--bias-correction", action="store_true", help="also mse + bias correction (Python API)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "eval_mobilenetv2")
    args = ap.parse_args(argv)

    args.work.mkdir(parents=True, exist_ok=True)
    x_tr, x_te, _, y_te = digits_data.split()
    cal = digits_data.preprocess(x_tr[: args.calibration_samples])
    np.save(args.work / "cal.npy", cal)
    x, y = digits_data.preprocess(x_te[: args.test_samples]), y_te[: args.test_samples]
    ref = ort_logits(args.model, x, args.threads)
    rows = [("onnxruntime fp32", ref)]
    with runtime.Engine(runtime.build_dev_engine()) as eng:
        convert_file(args.model, args.work / "fp32.sdkm")
        rows.append(("engine fp32", engine_logits(eng, args.work / "fp32.sdkm", x, args.threads)))
        for method in [m for m in args.methods.split(",") if m]:
            t0 = time.perf_counter()
            out = args.work / f"int8_{method}.sdkm"
            convert_file(args.model, out, quantize="int8", calibration=args.work / "cal.npy", calibration_method=method)
            print(f"convert --quantize int8 --calibration-method {method}: {time.perf_counter() - t0:.1f} s",
                  file=sys.stderr)
            rows.append((f"engine int8 ({method})", engine_logits(eng, out, x, args.threads)))
        if args.bias_correction:
            from sdkbuild import sdkm
            from sdkbuild.convert import quantize

            fp32 = sdkm.read(args.work / "fp32.sdkm")
            out = args.work / "int8_mse_bc.sdkm"
            sdkm.write(quantize.quantize_model(fp32, args.work / "cal.npy", bias_correction=True), out)
            rows.append(("engine int8 (mse + bias correction)", engine_logits(eng, out, x, args.threads)))
    if args.ort:
        q = args.work / "ort_qdq_int8.onnx"
        ort_qdq(args.model, q, cal)
        rows.append(("onnxruntime int8 (static QDQ)", ort_logits(q, x, args.threads)))

    print(f"{len(y)} held-out images, {len(cal)} calibration images (training split)\n")
    print("| configuration | accuracy | top-1 agreement with fp32 | cosine mean | cosine min "
          "| centered cosine mean (logits 0-9) | centered cosine min |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, lg in rows:
        c = cosines(lg, ref)
        # centered over the 10 digit logits: a common offset cannot inflate it
        cc = cosines(lg[:, :10] - lg[:, :10].mean(1, keepdims=True), ref[:, :10] - ref[:, :10].mean(1, keepdims=True))
        acc = (lg.argmax(1) == y).mean()
        agree = (lg.argmax(1) == ref.argmax(1)).mean()
        print(f"| {name} | {acc:.2%} | {agree:.2%} | {c.mean():.4f} | {c.min():.4f} | {cc.mean():.4f} "
              f"| {cc.min():.4f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
