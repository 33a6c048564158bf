#!/usr/bin/env python3
"""Winograd per layer, counted: instructions of one fp32 3x3 conv under qemu-user (ARM) or
valgrind (x86).

    python bench/wino_count.py --qemu-src DIR [--arch arm64,armv7,x86] [--work DIR] [--layers A,B]

For each layer (resnet18, squeezenet1_1, yolov8n, and the planes and channel counts of the
selection rule), bench/wino_count.cpp is cross-built against a minsize engine (as the SDKs
ship it, plain NEON; bench/arm_count.py builds it) and run under QEMU's instruction-count
plugin with 1 and 2 repetitions: the difference is one run of the layer. Modes: the im2col
GEMM path, Winograd as the engine runs it, and Winograd's per-run weight transform alone.
Deterministic (not disturbed by the machine's load); a proxy for time on one ISA. x86: the
host engine (sdkbuild.bench.build_engine, minsize) under `valgrind --tool=callgrind`, whose
CPU has AVX2 but no AVX-512, so the counts are of the AVX2 tier.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import arm_count  # noqa: E402

LAYERS = [  # name, C, plane, OC
    ("resnet18 64x56", 64, 56, 64), ("resnet18 128x28", 128, 28, 128), ("resnet18 256x14", 256, 14, 256),
    ("resnet18 512x7", 512, 7, 512), ("squeeze 16x55->64", 16, 55, 64), ("squeeze 32x27->128", 32, 27, 128),
    ("squeeze 48x13->192", 48, 13, 192), ("squeeze 64x13->256", 64, 13, 256), ("yolo 32x80->32", 32, 80, 32),
    ("yolo 64x40->64", 64, 40, 64), ("yolo 128x20->128", 128, 20, 128), ("256x7", 256, 7, 256),
    ("256x10", 256, 10, 256), ("64x10", 64, 10, 64), ("64x7", 64, 7, 64), ("8x56->8", 8, 56, 8),
    ("4x56->16", 4, 56, 16), ("16x28->16", 16, 28, 16), ("3x112->32", 3, 112, 32),
    ("64x6", 64, 6, 64), ("16x7->16", 16, 7, 16), ("8x6->8", 8, 6, 8),
]


def build(arch: str, work: Path) -> Path:
    if arch == "x86":
        sys.path.insert(0, str(ROOT))
        from sdkbuild import bench

        build = bench.build_engine(work / "x86", ["Conv"]).parent
    else:
        arm_count.build_engine(arch, ["Conv"], work)  # the minsize engine and its internal archive
        build = work / f"engine-{arch}"
    cmd = next(e["command"] for e in json.loads((build / "compile_commands.json").read_text())
               if e["file"].endswith("conv_f32_wino.cpp"))
    args = shlex.split(cmd)
    keep, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ("-o", "-c", "-MQ", "-MF"):
            skip = True
            continue
        if a == "-MD" or a.endswith("conv_f32_wino.cpp"):
            continue
        keep.append(a)
    exe = work / f"wino_count-{arch}"
    arm_count.run([*keep, "-o", str(exe), str(ROOT / "bench" / "wino_count.cpp"),
                   str(build / "libsdkengine_internal.a"), "-lm", "-lpthread"], cwd=build)
    return exe


def count(arch: str, plugin: Path, exe: Path, args: list[str]) -> int:
    if arch != "x86":
        return arm_count.count(arch, plugin, exe, args)
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", str(exe), *args],
                       capture_output=True, text=True, check=True)
    m = re.search(r"Collected : (\d+)", r.stderr)
    if not m:
        raise SystemExit(f"no count from valgrind: {r.stderr[-2000:]}")
    return int(m.group(1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qemu-src", required=True, type=Path)
    ap.add_argument("--arch", default="arm64,armv7")
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "wino-count")
    ap.add_argument("--layers", default="", help="comma-separated layer names (default: all)")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    plugin = arm_count.build_plugin(args.qemu_src, args.work)
    want = {x for x in args.layers.split(",") if x}
    for arch in [a for a in args.arch.split(",") if a]:
        exe = build(arch, args.work)
        print(f"\n{arch}: M instructions per run of the layer (Relu fused, pads 1)\n")
        print("| layer (C -> OC, plane) | GEMM | Winograd | of which weight transform | Winograd / GEMM |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for name, c, h, oc in LAYERS:
            if want and name not in want:
                continue
            r = {}
            for mode in "gwt":
                one = count(arch, plugin, exe, [str(c), str(h), str(oc), mode, "1"])
                two = count(arch, plugin, exe, [str(c), str(h), str(oc), mode, "2"])
                r[mode] = (two - one) / 1e6
            print(f"| {name} | {r['g']:.2f} | {r['w']:.2f} | {r['t']:.2f} ({100 * r['t'] / r['w']:.0f} %) | "
                  f"{r['w'] / r['g']:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
