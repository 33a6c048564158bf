#!/usr/bin/env python3
"""Pick the engine sources for a selective build and generate the op registry.

Run by engine/meson.build at configure time (with the Python that runs Meson; standard
library only, because this file ships inside the wheel and inside the Conan package).

Conventions (engine/src, file stems are lower-case op types):
  ops/<op>.cpp                          the op (exactly one `extern const sdk::OpDef sdk_op_<op>`)
  kernels/<isa>/<op>_<dtype>.cpp        a kernel of that op, for isa in ref + the selected ISAs,
  kernels/<isa>/<op>_<dtype>_<var>.cpp  dtype f32 (fp32 selected) / s8 (int8 selected)
  kernels/<isa>/<op>.cpp                dtype-independent helpers of that op's kernels
  kernels/<isa>/common.cpp              helpers shared by all kernels of an ISA
  kernels/<isa>/common_<dtype>[_<var>].cpp  helpers shared by all kernels of one dtype
An op file may pull in another kernel group with a comment line
  // sdk-kernels: <group> [<group> ...]
(e.g. Add and Mul share kernels/ref/binary_f32.cpp via `// sdk-kernels: binary`).
Files whose variant contains `dotprod` (e.g. kernels/neon/conv_s8_dotprod.cpp) are
compiled only when the `dotprod` ISA is selected, into a separate object set that gets
the ARMv8.2 dotprod flag (the run-time dispatch picks them only on capable CPUs).

With --sparse the sparse-weight kernels (kernels/<isa>/spmm_f32*.cpp, the group `spmm`) are
listed for builds with fp32 and one of Conv, Gemm, MatMul: only models with sparse weights
need them (the Meson option `sparse`).

With --coded the optional rANS decoder of the core (core/rans.cpp) is listed too: only
models with coded constants or sections need it (the Meson option `coded`).

Output on stdout, one per line: `src <path>` or `dotprod <path>` (relative to the engine
folder). Errors go to stderr with exit status 1.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

DTYPE_SUFFIX = {"fp32": "f32", "int8": "s8"}
ISA_DIRS = {"neon": "neon", "x86": "x86"}  # dotprod kernels live in neon/
KERNELS_DIRECTIVE = re.compile(r"^\s*//\s*sdk-kernels:\s*(.+)$", re.M)


def available_ops(src: Path) -> dict[str, str]:
    """stem -> op type (the type is read from the file's OpDef, falling back to the stem)."""
    out: dict[str, str] = {}
    for f in sorted((src / "ops").glob("*.cpp")):
        text = f.read_text(encoding="utf-8", errors="replace")
        m = re.search(r"sdk_op_" + re.escape(f.stem) + r"\s*=\s*\{\s*\"([A-Za-z0-9_]+)\"", text)
        out[f.stem] = m.group(1) if m else f.stem
    return out


def kernel_files(kdir: Path, group: str, suffixes: list[str]) -> list[Path]:
    if not kdir.is_dir():
        return []
    picked = []
    for f in sorted(kdir.glob("*.cpp")):
        stem = f.stem
        if stem == group:
            picked.append(f)
            continue
        parts = stem.split("_")
        # group names have no underscores, so "<group>_<dtype>[_<variant>...]"
        if parts[0] == group and len(parts) >= 2 and parts[1] in suffixes:
            picked.append(f)
    return picked


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", required=True, help="the engine folder (holding src/)")
    ap.add_argument("--ops", default="", help="comma-separated op types")
    ap.add_argument("--dtypes", default="fp32,int8")
    ap.add_argument("--isa", default="")
    ap.add_argument("--registry", help="write the generated ops_registry.cpp here")
    ap.add_argument("--version", default="0.0.0")
    ap.add_argument("--features", default="", help="comma-separated feature names for sdk_build_info")
    ap.add_argument("--depfile", help="with --registry: write a Makefile-style depfile (Meson reconfigures "
                    "when a listed op file changes)")
    ap.add_argument("--coded", action="store_true", help="compile the rANS decoder (core/rans.cpp) for models "
                    "with coded constants or sections")
    ap.add_argument("--sparse", action="store_true", help="compile the sparse-weight kernels (group spmm) for "
                    "models with sparse weights")
    ap.add_argument("--list", action="store_true", help="print the available op types and exit")
    args = ap.parse_args(argv)

    engine = Path(args.engine)
    src = engine / "src"
    avail = available_ops(src)
    if args.list:
        print("\n".join(sorted(avail.values())))
        return 0
    split = lambda s: [x.strip() for x in s.replace(";", ",").split(",") if x.strip()]  # noqa: E731
    requested = split(args.ops)
    dtypes = split(args.dtypes)
    isas = split(args.isa)

    by_lower = {stem: typ for stem, typ in avail.items()}
    stems: list[str] = []
    missing = []
    for op in requested:
        stem = op.lower()
        if stem not in by_lower:
            missing.append(op)
        elif stem not in stems:
            stems.append(stem)
    if missing:
        have = ", ".join(sorted(avail.values())) or "(none)"
        print(
            f"engine: op(s) {', '.join(missing)} not available: no engine/src/ops/<op>.cpp for them "
            f"(available: {have})",
            file=sys.stderr,
        )
        return 1
    for d in dtypes:
        if d not in DTYPE_SUFFIX:
            print(f"engine: unknown dtype {d!r} (choices: fp32, int8)", file=sys.stderr)
            return 1

    suffixes = [DTYPE_SUFFIX[d] for d in dtypes]
    isa_dirs = ["ref"] + sorted({ISA_DIRS.get(i, "neon") for i in isas})
    dotprod = "dotprod" in isas

    groups: list[str] = []
    for stem in stems:
        groups.append(stem)
        text = (src / "ops" / f"{stem}.cpp").read_text(encoding="utf-8", errors="replace")
        for m in KERNELS_DIRECTIVE.finditer(text):
            for g in m.group(1).split():
                if g not in groups:
                    groups.append(g.lower())

    if args.sparse and "fp32" in dtypes and {"conv", "gemm", "matmul"} & set(stems):
        groups.append("spmm")  # the sparse-weight kernels: only models with sparse weights need them
    normal: list[Path] = [src / "ops" / f"{s}.cpp" for s in stems]
    if args.coded:  # an optional part of the core: only models with coded data need it
        normal.append(src / "core" / "rans.cpp")
    dot: list[Path] = []
    for isa_dir in isa_dirs:
        kdir = src / "kernels" / isa_dir
        files: list[Path] = []
        if stems:
            files += [f for f in [kdir / "common.cpp"] if f.is_file()]
            files += kernel_files(kdir, "common", suffixes)
        for g in groups:
            files += kernel_files(kdir, g, suffixes)
        for f in dict.fromkeys(files):
            if "dotprod" in f.stem.split("_")[2:]:
                if dotprod:
                    dot.append(f)
            else:
                normal.append(f)

    if args.registry:
        write_registry(Path(args.registry), [(s, avail[s]) for s in stems], args.version, split(args.features),
                       dtypes, isas)
        if args.depfile:
            deps = [Path(__file__).resolve(), *sorted((src / "ops").glob("*.cpp"))]
            esc = lambda p: str(p).replace(" ", "\\ ")  # noqa: E731
            Path(args.depfile).write_text(f"{esc(Path(args.registry).name)}: " + " ".join(esc(d) for d in deps) + "\n")
    for f in normal:
        print("src", f.relative_to(engine).as_posix())
    for f in dot:
        print("dotprod", f.relative_to(engine).as_posix())
    return 0


def write_registry(path: Path, ops: list[tuple[str, str]], version: str, features: list[str],
                   dtypes: list[str], isas: list[str]) -> None:
    ops = sorted(ops, key=lambda o: o[1])
    info = json.dumps(
        {"version": version, "ops": [t for _, t in ops], "dtypes": dtypes, "isa": isas, "features": features},
        separators=(",", ":"),
    )
    # Close the JSON by hand so the compiler's identity (__VERSION__) can be spliced in.
    info_c = json.dumps(info[:-1] + ',"compiler":"')
    lines = [
        "// Generated by engine/tools/select_sources.py at configure time. Do not edit.",
        '#include "core/op.h"',
        '#include "core/status.h"  // kCrc32Update',
        "",
    ]
    lines += [f"extern const sdk::OpDef sdk_op_{s};" for s, _ in ops]
    lines += ["", "namespace sdk {", ""]
    if ops:
        lines.append("const OpDef* const kRegisteredOps[] = {")
        lines += [f"    &::sdk_op_{s}," for s, _ in ops]
        lines.append("};")
    else:
        lines.append("const OpDef* const kRegisteredOps[] = {nullptr};")
    lines.append(f"const int kRegisteredOpCount = {len(ops)};")
    # the loader's fast CRC (kernels/ref/common.cpp, compiled with any op): referenced here so
    # static links keep it; the op-less engine keeps its small bitwise loop
    if ops:
        lines.append("uint32_t crc32_update_fast(uint32_t crc, const uint8_t* p, size_t n);")
        lines.append("uint32_t (*const kCrc32Update)(uint32_t, const uint8_t*, size_t) = crc32_update_fast;")
    else:
        lines.append("uint32_t (*const kCrc32Update)(uint32_t, const uint8_t*, size_t) = nullptr;")
    lines.append(f"const char kBuildInfoJson[] = {info_c} __VERSION__ \"\\\"}}\";")
    lines += ["", "}  // namespace sdk", ""]
    text = "\n".join(lines)
    # Rewrite only on change, so reconfiguring does not rebuild the library needlessly.
    if not path.is_file() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(path)


if __name__ == "__main__":
    sys.exit(main())
