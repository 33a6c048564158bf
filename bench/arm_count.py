#!/usr/bin/env python3
"""ARM work, counted: dynamic instructions per inference and per load under qemu-user.

    python bench/arm_count.py --qemu-src DIR [--ncnn-src DIR] [--models a.onnx,b.onnx | --zoo DIR]
                              [--arch arm64,armv7] [--dtypes fp32,int8] [--out bench/ARM.md]

Without ARM hardware, time cannot be measured here, but work can be counted: QEMU's
instruction-count plugin (tests/plugin/insn.c + include/qemu/qemu-plugin.h from the QEMU
source matching the installed qemu-user, e.g. `apt-get source --download-only qemu`, needs
deb-src lines) counts every guest instruction executed, deterministically, whatever else
the machine is doing. Instructions are a proxy for time (they ignore memory stalls, issue
width and the cost of each instruction), good for comparing two implementations of the
same work on one ISA, not for predicting milliseconds.

Per (arch, runtime, model, dtype), bench/count/count_engine.c (or count_ncnn.cpp) runs
three times under the plugin: load + session only, one inference, two inferences.
load = stage 1 - stage 0 (process start-up), per inference = runs(2) - runs(1).

* engine: cross-built with Meson and the Debian cross compilers (sdkbuild's gnu stand-in
  toolchain flags), `-Dbuildtype=minsize` as the SDKs ship, plain NEON (`-Disa=neon`: no
  SDOT) so both runtimes use the same instructions; qemu's CPU is a Cortex-A53 on arm64
  (no dotprod, no fp16) and the default on armv7. `--arch arm64-sdot`: the engine with its
  SDOT kernels (`-Disa=neon,dotprod`) on qemu's `max` CPU, engine rows only.
* ncnn: cross-built from an ncnn source tree (`--ncnn-src`, e.g. the PyPI sdist unpacked)
  with CMake: static, OpenMP off, fp16/bf16/dotprod/i8mm/SVE off, only the layers the
  exported models use. The model is the same folded graph (sdkbuild/ncnn_export.py).
* ncnn int8: ncnn's own quantization as its documentation describes it (ncnnoptimize,
  ncnn2table's KL and ACIQ, keeping the int8 model closer to fp32 on the calibration samples
  (--ncnn-int8-method kl or aciq for one), ncnn2int8), calibrated on the very samples
  the engine's int8 is calibrated on (4 N(0, 1) draws, seed 0), written as .npy (ncnn2table
  type=1). The tools are built for the host from --ncnn-src (bench/ncnn_tools.py; cached in
  <work>/ncnn-host), which must then be ncnn's full source (the PyPI sdist has no tools/):
  without them the int8 rows are engine only, and the run says why. The cross builds have
  NCNN_INT8 on (its int8 convolution/quantize/requantize layers), plain NEON as for fp32.
* cosine: after counting, each model runs once more per runtime without the counter (same
  input) and int8's output is compared with fp32's of the same runtime (the ARM kernels
  themselves), and ncnn fp32's with the engine's: written under the table.

Writes a markdown table to --out and the raw counts to <work>/arm_counts.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ncnn_tools import NCNN_LAYERS, build_ncnn_tools, ncnn_tools_missing  # noqa: E402

ARCHES = {
    # name -> (sdkbuild target, cross prefix, qemu, sysroot, qemu cpu, ncnn CMAKE_SYSTEM_PROCESSOR, ncnn flags)
    "arm64": ("android-arm64-v8a", "aarch64-linux-gnu", "qemu-aarch64", "/usr/aarch64-linux-gnu", "cortex-a53",
              "aarch64", ""),
    "armv7": ("android-armeabi-v7a", "arm-linux-gnueabihf", "qemu-arm", "/usr/arm-linux-gnueabihf", None, "armv7-a",
              "-march=armv7-a -mfloat-abi=hard -mfpu=neon"),
    # arm64 with the ARMv8.2 dot-product instructions (qemu's `max` CPU has SDOT): the engine
    # built with its SDOT kernels too (chosen at run time); engine rows only (ncnn's build is
    # plain NEON)
    "arm64-sdot": ("android-arm64-v8a", "aarch64-linux-gnu", "qemu-aarch64", "/usr/aarch64-linux-gnu", "max",
                   "aarch64", ""),
}
ENGINE_ISA = {"arm64": "neon", "armv7": "neon", "arm64-sdot": "neon,dotprod"}


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))[:300]}\n{(r.stdout + r.stderr)[-3000:]}")
    return r


def build_plugin(qemu_src: Path, work: Path) -> Path:
    insn, hdr = qemu_src / "tests" / "plugin" / "insn.c", qemu_src / "include" / "qemu" / "qemu-plugin.h"
    if not insn.is_file() or not hdr.is_file():
        raise SystemExit(f"--qemu-src {qemu_src}: needs tests/plugin/insn.c and include/qemu/qemu-plugin.h "
                         "(the QEMU source matching `qemu-aarch64 --version`)")
    out = work / "libinsn.so"
    if shutil.which("pkg-config") is None or subprocess.run(["pkg-config", "--exists", "glib-2.0"]).returncode != 0:
        raise SystemExit("the QEMU plugin needs glib's headers: install libglib2.0-dev (Debian: apt-get install "
                         "libglib2.0-dev pkg-config)")
    glib = run(["pkg-config", "--cflags", "glib-2.0"]).stdout.split()
    run(["gcc", "-O2", "-shared", "-fPIC", "-o", str(out), str(insn), f"-I{hdr.parent}", *glib])
    return out


def build_engine(arch: str, ops: list[str], work: Path) -> Path:
    from sdkbuild import targets, toolchains
    from sdkbuild.toolchains import gnu

    tgt, prefix = ARCHES[arch][0], ARCHES[arch][1]
    tc = gnu.SOURCE.detect(targets.get(tgt), "24")
    if not isinstance(tc, toolchains.base.Toolchain):
        raise SystemExit(f"{tgt}: no cross toolchain ({tc.reason})")
    build = work / f"engine-{arch}"
    cross = work / f"cross-{arch}.ini"
    cross.write_text(toolchains.machine_file_text(tc))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    again = ["--reconfigure"] if (build / "build.ninja").is_file() else []
    run(["meson", "setup", *again, str(build), str(ROOT / "engine"), "--cross-file", str(cross),
         f"-Dops={','.join(sorted(ops))}", f"-Disa={ENGINE_ISA[arch]}", "-Ddtypes=fp32,int8", "-Dtests=false",
         "-Dbuildtype=minsize", "-Ddefault_library=shared"], env=env)
    run(["ninja", "-C", str(build), "-j2"], env=env)
    exe = work / f"count_engine-{arch}"
    run([f"{prefix}-gcc", *tc.c_args, "-O2", "-o", str(exe), str(ROOT / "bench" / "count" / "count_engine.c"),
         f"-I{ROOT / 'engine' / 'include'}", f"-L{build}", "-lsdkengine", f"-Wl,-rpath,{build}"])
    return exe


def build_ncnn(arch: str, src: Path, work: Path) -> Path:
    _, prefix, _, _, _, proc, flags = ARCHES[arch]
    build = work / f"ncnn-{arch}"
    cml = (src / "src" / "CMakeLists.txt").read_text()
    opts = [f"-DWITH_LAYER_{name.lower()}=OFF" for name in re.findall(r"ncnn_add_layer\((\w+)", cml)
            if name.lower() not in NCNN_LAYERS]
    if arch == "arm64":
        opts += [f"-DNCNN_{o}=OFF" for o in ("ARM82", "ARM82DOT", "ARM82FP16FML", "ARM84BF16", "ARM84I8MM", "ARM86SVE")]
    if not (build / "src" / "libncnn.a").is_file():
        run(["cmake", "-S", str(src), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_SYSTEM_NAME=Linux",
             f"-DCMAKE_SYSTEM_PROCESSOR={proc}", f"-DCMAKE_C_COMPILER={prefix}-gcc",
             f"-DCMAKE_CXX_COMPILER={prefix}-g++", f"-DCMAKE_C_FLAGS={flags}", f"-DCMAKE_CXX_FLAGS={flags}",
             "-DNCNN_VULKAN=OFF", "-DNCNN_OPENMP=OFF", "-DNCNN_BF16=OFF", "-DNCNN_INT8=ON", "-DNCNN_BUILD_TOOLS=OFF",
             "-DNCNN_BUILD_EXAMPLES=OFF", "-DNCNN_BUILD_BENCHMARK=OFF", "-DNCNN_PIXEL=OFF", "-DNCNN_PIXEL_ROTATE=OFF",
             "-DNCNN_PIXEL_AFFINE=OFF", "-DNCNN_PIXEL_DRAWING=OFF", "-DNCNN_C_API=OFF", "-DNCNN_PYTHON=OFF",
             "-DNCNN_SHARED_LIB=OFF", *opts])
        run(["cmake", "--build", str(build), "-j2"])
    exe = work / f"count_ncnn-{arch}"
    run([f"{prefix}-g++", *flags.split(), "-O2", "-o", str(exe), str(ROOT / "bench" / "count" / "count_ncnn.cpp"),
         f"-I{src / 'src'}", f"-I{build / 'src'}", str(build / "src" / "libncnn.a"), "-lpthread"])
    return exe


def count(arch: str, plugin: Path, exe: Path, args: list[str]) -> int:
    _, _, qemu, sysroot, cpu, _, _ = ARCHES[arch]
    cmd = [qemu, "-L", sysroot, *(["-cpu", cpu] if cpu else []), "-plugin", f"{plugin},inline=on", "-d", "plugin",
           str(exe), *args]
    r = run(cmd)
    m = re.search(r"insns: (\d+)", r.stdout + r.stderr)
    if not m:
        raise SystemExit(f"no count from {' '.join(cmd)}: {r.stdout + r.stderr}")
    return int(m.group(1))


def prepare_models(paths: list[Path], work: Path, dtypes: list[str], ncnn_tools: dict[str, Path] | None = None,
                   method: str = "best") -> list[dict]:
    from sdkbuild import convert, sdkm
    from sdkbuild.convert import quantize
    from sdkbuild.convert.banding import band_conv_pools
    from sdkbuild.errors import SdkbuildError
    from sdkbuild.ncnn_export import NcnnUnsupported, export, quantize_int8

    out = []
    for p in paths:
        name = p.stem
        fp32 = convert.convert_model(convert.load_onnx(p)[0])
        inp = fp32.tensors[fp32.inputs[0]]
        row: dict = {"name": name}
        shipped = copy.deepcopy(fp32)
        band_conv_pools(shipped)
        row["fp32"] = work / f"{name}.fp32.sdkm"
        sdkm.write(shipped, row["fp32"])
        if "int8" in dtypes:
            rng = np.random.default_rng(0)
            feeds = [{inp.name: rng.normal(0, 1, inp.shape).astype(np.float32)} for _ in range(4)]
            qm = quantize.quantize_model(fp32, feeds)
            band_conv_pools(qm)
            row["int8"] = work / f"{name}.int8.sdkm"
            sdkm.write(qm, row["int8"])
        try:
            export(fp32, work / f"{name}.ncnn.param", work / f"{name}.ncnn.bin")
            row["ncnn"] = work / f"{name}.ncnn.param"
        except NcnnUnsupported as e:
            row["ncnn_error"] = str(e)
        if "int8" in dtypes and ncnn_tools and "ncnn" in row:
            try:  # ncnn's own int8 of the same graph, on the engine's calibration samples
                q = quantize_int8(row["ncnn"], [f[inp.name] for f in feeds], ncnn_tools,
                                  work / f"{name}.ncnn-int8.param", method=method)
                row["ncnn_int8"] = work / f"{name}.ncnn-int8.param"
                row["ncnn_int8_method"] = q.method
                print(f"{name}: ncnn int8 calibrated with {q.method} {q.cosines or ''}", file=sys.stderr)
            except SdkbuildError as e:
                row["ncnn_int8_error"] = f"{e}"
        row["ops"] = sorted({op for k in ("fp32", "int8") if k in row for op in sdkm.read(row[k]).ops_used()})
        out.append(row)
    return out


def output(arch: str, exe: Path, model: Path, dest: Path) -> np.ndarray:
    """The model's output for the harness input, run on the ARM build without the counter."""
    _, _, qemu, sysroot, cpu, _, _ = ARCHES[arch]
    run([qemu, "-L", sysroot, *(["-cpu", cpu] if cpu else []), str(exe), str(model), "2", "1", str(dest)])
    return np.fromfile(dest, dtype=np.float32)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    if a.size != b.size:
        return float("nan")
    a, b = a.astype(np.float64), b.astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-300))


def triple(arch: str, plugin: Path, exe: Path, model: Path, base: int, steady: bool) -> dict:
    c1 = count(arch, plugin, exe, [str(model), "1"])
    r1 = count(arch, plugin, exe, [str(model), "2", "1"])
    if not steady:  # the first inference (includes first-run set-up: ~1 M, thread start etc.)
        return {"load": c1 - base, "per_inference": r1 - c1}
    r2 = count(arch, plugin, exe, [str(model), "2", "2"])
    return {"load": c1 - base, "per_inference": r2 - r1, "first_run_extra": (r1 - c1) - (r2 - r1)}


def render(rows: list[dict], meta: dict) -> str:
    lines = [
        "# ARM instruction counts: engine vs ncnn",
        "",
        "Dynamic instructions counted under qemu-user with QEMU's instruction-count plugin "
        f"(tests/plugin/insn.c, QEMU {meta['qemu']}), 1 thread, plain NEON on both runtimes "
        "(arm64: `-cpu cortex-a53`, no SDOT/fp16; ncnn built with fp16, bf16, dotprod and i8mm off). "
        f"Engine: `-Dbuildtype=minsize -Disa=neon` (as SDKs ship), compiler {meta['gcc']}; ncnn {meta['ncnn']} "
        "(Release, -O3 by CMake, OpenMP off)."
        + (f" ncnn int8: ncnn's own tools (ncnnoptimize, {meta['ncnn_int8']}, ncnn2int8) on the engine's "
           "calibration samples (4 N(0, 1) draws)." if meta.get("ncnn_int8") else ""),
        "",
        "**Instructions are a proxy for time, not a measurement of it**: they ignore memory stalls, dual "
        "issue and what each instruction costs, so compare runtimes on one ISA, and expect real devices to "
        "differ. Counting is deterministic, so the figures repeat exactly on a busy machine.",
        "",
        ("per inf. = instructions per inference (steady state: second run minus first); " if meta["steady"] else
         "per inf. = instructions of the first inference (includes ~1 M of first-run set-up; `--steady` for the "
         "second run); ") + "load = load the model "
        "and create the session (ncnn: load_param + load_model, which packs/transforms weights). "
        "ratio = engine / ncnn. Generated by `python bench/arm_count.py`.",
        "",
        "| model | arch | dtype | engine per inf. (M) | ncnn per inf. (M) | ratio | engine load (M) | ncnn load (M) "
        "| load ratio |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        e, n = r.get("engine"), r.get("ncnn")
        def m(x: dict | None, k: str) -> str:
            return f"{x[k] / 1e6:.1f}" if x else "-"
        ratio = f"{e['per_inference'] / n['per_inference']:.2f}" if e and n else "-"
        lratio = f"{e['load'] / n['load']:.2f}" if e and n and n["load"] > 0 else "-"
        lines.append(f"| {r['model']} | {r['arch']} | {r['dtype']} | {m(e, 'per_inference')} | "
                     f"{m(n, 'per_inference')} | {ratio} | {m(e, 'load')} | {m(n, 'load')} | {lratio} |")
    cos = [r for r in rows if r.get("cosine")]
    if cos:
        lines += ["", "Output cosine on the ARM builds (same input as the counts; int8 against the same runtime's "
                  "fp32; ncnn fp32 against engine fp32):", "",
                  "| model | arch | engine int8 vs fp32 | ncnn int8 vs fp32 | ncnn fp32 vs engine fp32 | ncnn2table "
                  "method |",
                  "| --- | --- | ---: | ---: | ---: | --- |"]
        for r in cos:
            cells = [f"{r['cosine'][k]:.4f}" if k in r["cosine"] else "-"
                     for k in ("engine_int8", "ncnn_int8", "ncnn_fp32")] + [r["cosine"].get("ncnn_method", "-")]
            lines.append(f"| {r['model']} | {r['arch']} | " + " | ".join(cells) + " |")
    notes = [r for r in rows if r.get("note")]
    if notes:
        lines += ["", "Notes:"] + [f"- {r['model']} {r['arch']} {r['dtype']}: {r['note']}" for r in notes]
    return "\n".join(lines) + "\n"


def check_outputs(arch: str, eng: Path, ncnn: Path | None, m: dict, work: Path) -> dict[str, float]:
    """int8 against fp32 on each runtime's ARM build (and ncnn fp32 against the engine's)."""
    out = work / "outputs"
    out.mkdir(exist_ok=True)
    ef = output(arch, eng, m["fp32"], out / f"{m['name']}.{arch}.engine-fp32.f32")
    cos = {"engine_int8": cosine(output(arch, eng, m["int8"], out / f"{m['name']}.{arch}.engine-int8.f32"), ef)}
    if ncnn and "ncnn" in m:
        nf = output(arch, ncnn, m["ncnn"], out / f"{m['name']}.{arch}.ncnn-fp32.f32")
        cos["ncnn_fp32"] = cosine(nf, ef)
        if "ncnn_int8" in m:
            cos["ncnn_int8"] = cosine(output(arch, ncnn, m["ncnn_int8"], out / f"{m['name']}.{arch}.ncnn-int8.f32"), nf)
    return cos


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qemu-src", required=True, type=Path, help="QEMU source tree matching the installed qemu-user")
    ap.add_argument("--ncnn-src", type=Path, help="ncnn source tree (omit: engine rows only); ncnn's full source "
                    "(with tools/) for ncnn int8 rows")
    ap.add_argument("--ncnn-int8-method", default="best", choices=["best", "kl", "aciq"],
                    help="ncnn2table's calibration method for ncnn int8 (default best: KL and ACIQ, keeping the "
                    "int8 model closer to fp32 on the calibration samples, with the ncnn Python package)")
    ap.add_argument("--models", default="", help="comma-separated ONNX files")
    ap.add_argument("--zoo", type=Path, help="a folder of ONNX models (all *.onnx in it)")
    ap.add_argument("--arch", default="arm64,armv7",
                    help="arm64 (plain NEON, -cpu cortex-a53), armv7, arm64-sdot (SDOT kernels, -cpu max; engine only)")
    ap.add_argument("--dtypes", default="fp32,int8")
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "arm-count")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "ARM.md")
    ap.add_argument("--steady", action="store_true",
                    help="per inference = second run minus first (one more run each); default: the first run")
    args = ap.parse_args(argv)
    paths = [Path(p) for p in args.models.split(",") if p]
    if args.zoo:
        paths += sorted(args.zoo.glob("*.onnx"))
    if not paths:
        ap.error("no models: give --models or --zoo")
    for p in paths:
        if not p.is_file():
            ap.error(f"model {p} does not exist")
    arches = [a for a in args.arch.split(",") if a]
    for a in arches:
        if a not in ARCHES:
            ap.error(f"unknown arch {a!r} (choices: {', '.join(ARCHES)})")
        if shutil.which(ARCHES[a][2]) is None:
            ap.error(f"{ARCHES[a][2]} is not installed (Debian: qemu-user)")
    dtypes = [d for d in args.dtypes.split(",") if d]
    args.work.mkdir(parents=True, exist_ok=True)
    plugin = build_plugin(args.qemu_src, args.work)
    tools = None
    if args.ncnn_src and "int8" in dtypes:
        why = ncnn_tools_missing(args.ncnn_src)
        if why:
            print(f"ncnn int8 not counted: {why}", file=sys.stderr)
        else:
            tools = build_ncnn_tools(args.ncnn_src, args.work / "ncnn-host")
    models = prepare_models(paths, args.work, dtypes, tools, args.ncnn_int8_method)
    ops = sorted({op for m in models for op in m["ops"]})
    rows: list[dict] = []
    qemu = run(["qemu-aarch64", "--version"]).stdout.splitlines()[0].split("version ")[-1]
    gcc = run(["aarch64-linux-gnu-gcc", "-dumpfullversion"]).stdout.strip()
    meta = {"qemu": qemu, "gcc": gcc, "ncnn": args.ncnn_src.resolve().name if args.ncnn_src else "-",
            "steady": args.steady, "ncnn_int8": (f"ncnn2table method={args.ncnn_int8_method}" if args.ncnn_int8_method
                                                 != "best" else "ncnn2table KL or ACIQ, whichever int8 output is "
                                                 "closer to fp32 on the calibration samples") if tools else None}

    def write(rows: list[dict]) -> None:
        (args.work / "arm_counts.json").write_text(json.dumps(rows, indent=1) + "\n")
        args.out.write_text(render(rows, meta))

    for arch in arches:
        eng = build_engine(arch, ops, args.work)
        ncnn = build_ncnn(arch, args.ncnn_src, args.work) if args.ncnn_src and arch != "arm64-sdot" else None
        base_e = count(arch, plugin, eng, ["-", "0"])
        base_n = count(arch, plugin, ncnn, ["-", "0"]) if ncnn else 0
        for m in models:
            for dt in dtypes:
                row: dict = {"model": m["name"], "arch": arch, "dtype": dt}
                row["engine"] = triple(arch, plugin, eng, m[dt], base_e, args.steady)
                nkey = "ncnn" if dt == "fp32" else "ncnn_int8"
                if ncnn and nkey in m:
                    row["ncnn"] = triple(arch, plugin, ncnn, m[nkey], base_n, args.steady)
                elif ncnn and (dt == "fp32" or tools):
                    row["note"] = f"not run on ncnn ({m.get(nkey + '_error') or m.get('ncnn_error')})"
                if dt == "int8" and "fp32" in m:
                    row["cosine"] = check_outputs(arch, eng, ncnn, m, args.work)
                    if "ncnn_int8_method" in m:
                        row["cosine"]["ncnn_method"] = m["ncnn_int8_method"]
                rows.append(row)
                print(json.dumps(row), flush=True)
                write(rows)  # after every row: a long run leaves what it counted so far
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
