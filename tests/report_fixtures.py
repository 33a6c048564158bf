"""Real binaries for the report tests: small engine-shaped libraries compiled from "op" source
files with the real cross compilers (ELF shared libraries) and clang for iOS (Mach-O objects in
a static archive), laid out as build/<target>/ with a build-info.json per the build contract.

The libraries are real; only build-info.json is written here (with the contract's fields),
because the report reads build outputs, not the build itself.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

# op -> its source files (relative to the engine dir, as build-info op_sources lists them)
OP_SOURCES = {
    "Conv": ["src/ops/conv.cpp", "src/kernels/ref/conv_f32.cpp"],
    "Relu": ["src/ops/relu.cpp"],
    "Add": ["src/ops/add.cpp"],
}
CORE_SOURCES = ["src/core/engine.cpp"]


def _table(name: str, n: int, seed: int) -> str:
    vals = ", ".join(str((i * 2654435761 + seed) % 251) for i in range(n))
    return f"static const unsigned char {name}[{n}] = {{{vals}}};\n"


WEAK_HELPER = (
    "namespace sdk { __attribute__((noinline)) inline float shared_scale(float x, int n) {\n"
    "  float acc = x; for (int i = 1; i < n; ++i) acc = acc * 0.5f + (float)i / (acc + 1.0f); return acc; } }\n"
)


def _sources(ops: tuple[str, ...], scale: int = 1, weak_helper: bool = False) -> dict[str, str]:
    """C++ sources with distinct, sized functions and tables per op (no std library needed).

    `weak_helper`: Conv and Relu both use one inline function (emitted weak in both objects)."""
    src = {
        "src/core/engine.cpp": (
            "extern \"C\" int sdk_registered_ops();\n"
            + _table("k_core", 512, 1)
            + "extern \"C\" __attribute__((visibility(\"default\"))) int sdk_engine_version(int x) {\n"
              "  int acc = 0; for (int i = 0; i < 512; ++i) acc += k_core[i] * (x + i); return acc + sdk_registered_ops(); }\n"
        ),
        "src/ops/conv.cpp": (
            "namespace sdk { float conv_kernel_f32(const float*, const float*, int); }\n"
            + _table("k_conv_lut", 700 * scale, 2)
            + "namespace sdk { namespace ops {\n"
              "int conv_prepare(int c, int k) { int s = 0; for (int i = 0; i < c; ++i) s += k_conv_lut[(i * k) % sizeof(k_conv_lut)]; return s; }\n"
              "float conv_run(const float* x, const float* w, int n) { return conv_kernel_f32(x, w, n) + conv_prepare(n, 3); }\n"
              "} }\n"
        ),
        "src/kernels/ref/conv_f32.cpp": (
            "namespace sdk {\nfloat conv_kernel_f32(const float* x, const float* w, int n) {\n"
            "  float acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;\n"
            "  for (int i = 0; i + 3 < n; i += 4) { acc0 += x[i]*w[i]; acc1 += x[i+1]*w[i+1]; acc2 += x[i+2]*w[i+2]; acc3 += x[i+3]*w[i+3]; }\n"
            "  for (int i = n & ~3; i < n; ++i) acc0 += x[i] * w[i];\n"
            "  return (acc0 + acc1) * (acc2 - acc3) / (n ? n : 1); }\n}\n"
        ),
        "src/ops/relu.cpp": (
            _table("k_relu_lut", 300, 3)
            + "namespace sdk { namespace ops {\n"
              "void relu_run(float* x, int n) { for (int i = 0; i < n; ++i) x[i] = x[i] > 0 ? x[i] * k_relu_lut[i % 300] : 0; }\n"
              "} }\n"
        ),
        "src/ops/add.cpp": (
            _table("k_add_lut", 200, 4)
            + "namespace sdk { namespace ops {\n"
              "void add_run(float* y, const float* a, const float* b, int n) { for (int i = 0; i < n; ++i) y[i] = a[i] + b[i] * k_add_lut[i % 200]; }\n"
              "} }\n"
        ),
    }
    if weak_helper:
        src["src/ops/conv.cpp"] = WEAK_HELPER + src["src/ops/conv.cpp"] + (
            "namespace sdk { namespace ops { __attribute__((visibility(\"default\"))) float conv_scale(float x) { return shared_scale(x, 7); } } }\n")
        src["src/ops/relu.cpp"] = WEAK_HELPER + src["src/ops/relu.cpp"] + (
            "namespace sdk { namespace ops { __attribute__((visibility(\"default\"))) float relu_scale(float x) { return shared_scale(x, 5); } } }\n")
    # Each op file defines its OpDef-like `sdk_op_<stem>` (engine/src/core/op.h convention).
    for rel, fn in (("src/ops/conv.cpp", "conv_run"), ("src/ops/relu.cpp", "relu_run"), ("src/ops/add.cpp", "add_run")):
        stem = rel.rsplit("/", 1)[-1].split(".")[0]
        src[rel] += f"extern const void* const sdk_op_{stem}[] = {{(const void*)&sdk::ops::{fn}}};\n"
    # The registry references exactly the ops that are built (like the generated ops_registry.cpp).
    reg = "".join(f"extern const void* const sdk_op_{o.lower()}[];\n" for o in ops)
    refs = {o: f"(void*)sdk_op_{o.lower()}" for o in ops}
    # Exported (a GC root for --gc-sections), as the real registry is reached from the exported C API.
    reg += "extern \"C\" { __attribute__((used, visibility(\"default\"))) void* sdk_registry[] = {" + ", ".join([refs[o] for o in ops] + ["0"]) + "}; }\n"
    reg += "extern \"C\" int sdk_registered_ops() { int n = 0; while (sdk_registry[n]) ++n; return n; }\n"
    src["src/ops_registry.cpp"] = reg
    return src


def _write_info(tdir: Path, target: str, platform: str, abi: str, arch: str, variant: str, kind: str,
                lib: str, unstripped: str | None, ops: tuple[str, ...], min_os: str, standin: bool,
                compiler: str) -> None:
    lib_path = tdir / lib
    info = {
        "schema": 1,
        "sdk": {"name": "VisionKit", "version": "1.0.0", "lib_name": "visionkit"},
        "target": target, "platform": platform, "abi": abi, "arch": arch, "variant": variant,
        "toolchain": {"source": "gnu" if platform != "ios" else "zig", "version": compiler, "standin": standin,
                      "notes": ["not bionic-linked: a Linux stand-in for the Android ABI"] if standin else []},
        "min_os": min_os,
        "library": lib, "library_kind": kind,
        "unstripped_library": unstripped,
        "headers": "include",
        "ops": list(ops),
        "op_sources": {o: OP_SOURCES[o] for o in ops},
        "features": ["fp32"],
        "flags": {"c_args": [], "link_args": [], "lto": False},
        "sizes": {"file": (tdir / (unstripped or lib)).stat().st_size, "stripped": lib_path.stat().st_size},
        "inputs": {}, "jni": False, "duration_s": 0.0,
    }
    (tdir / "build-info.json").write_text(json.dumps(info, indent=2))


def build_elf_target(build_dir: Path, target: str = "android-arm64-v8a", ops: tuple[str, ...] = ("Conv", "Relu", "Add"),
                     cxx: str = "aarch64-linux-gnu-g++", abi: str = "arm64-v8a", arch: str = "arm64",
                     platform: str = "android", min_os: str = "21", extra_link: tuple[str, ...] = (),
                     scale: int = 1, cflags: tuple[str, ...] = (), weak_helper: bool = False) -> Path:
    """A real ELF shared library from op objects compiled under a Meson-like object dir."""
    tdir = build_dir / target
    objdir = tdir / "meson" / "libvisionkit.so.p"
    srcdir = tdir / "_src"
    for d in (objdir, srcdir, tdir / "lib"):
        d.mkdir(parents=True, exist_ok=True)
    wanted = set(CORE_SOURCES) | {"src/ops_registry.cpp"} | {s for o in ops for s in OP_SOURCES[o]}
    objs = []
    for rel, text in sorted(_sources(ops, scale, weak_helper).items()):
        if rel not in wanted:
            continue
        sp = srcdir / rel
        sp.parent.mkdir(parents=True, exist_ok=True)
        sp.write_text(text)
        op = objdir / (rel.replace("/", "_") + ".o")
        subprocess.run([cxx, "-std=c++17", "-O2", "-fPIC", "-fno-exceptions", "-fno-rtti", "-ffunction-sections",
                        "-fdata-sections", "-fvisibility=hidden", *cflags, "-c", str(sp), "-o", str(op)], check=True)
        objs.append(str(op))
    unstripped = tdir / "lib" / "libvisionkit.unstripped.so"
    # Link with the C driver: no libstdc++ (the engine links only libc/libm/pthread).
    cc = cxx[: -len("g++")] + "gcc" if cxx.endswith("g++") else cxx
    link = [cc, "-shared", *cflags, "-o", str(unstripped), *objs, "-Wl,--gc-sections", "-Wl,-z,relro",
            "-Wl,-z,now", "-Wl,-z,max-page-size=16384", "-Wl,-z,noexecstack", *extra_link]
    subprocess.run(link, check=True)
    strip = cxx.replace("g++", "strip") if cxx.endswith("g++") and shutil.which(cxx.replace("g++", "strip")) else "llvm-strip"
    stripped = tdir / "lib" / "libvisionkit.so"
    subprocess.run([strip, "--strip-unneeded", "-o", str(stripped), str(unstripped)], check=True)
    _write_info(tdir, target, platform, abi, arch, "", "shared", "lib/libvisionkit.so", "lib/libvisionkit.unstripped.so",
                ops, min_os, platform == "android", cxx)
    return tdir


def build_macho_target(build_dir: Path, target: str = "ios-arm64", ops: tuple[str, ...] = ("Conv", "Relu", "Add"),
                       triple: str = "arm64-apple-ios13.0", variant: str = "", min_os: str = "13.0",
                       weak_helper: bool = False) -> Path:
    """A real iOS static library: clang Mach-O objects in an llvm-ar archive, Meson member names."""
    tdir = build_dir / target
    objdir = tdir / "meson" / "libvisionkit.a.p"
    srcdir = tdir / "_src"
    for d in (objdir, srcdir, tdir / "lib"):
        d.mkdir(parents=True, exist_ok=True)
    wanted = set(CORE_SOURCES) | {"src/ops_registry.cpp"} | {s for o in ops for s in OP_SOURCES[o]}
    objs = []
    for rel, text in sorted(_sources(ops, weak_helper=weak_helper).items()):
        if rel not in wanted:
            continue
        sp = srcdir / rel
        sp.parent.mkdir(parents=True, exist_ok=True)
        sp.write_text(text)
        op = objdir / (rel.replace("/", "_") + ".o")
        subprocess.run(["clang++", "-target", triple, "-std=c++17", "-O2", "-fno-exceptions", "-fno-rtti",
                        "-nostdinc++", "-c", str(sp), "-o", str(op)], check=True)
        objs.append(str(op))
    lib = tdir / "lib" / "libvisionkit.a"
    lib.unlink(missing_ok=True)
    subprocess.run(["llvm-ar", "rcsD", str(lib), *objs], check=True)
    arch = "x86_64" if triple.startswith("x86_64") else "arm64"
    _write_info(tdir, target, "ios", arch, arch, variant, "static", "lib/libvisionkit.a", None, ops, min_os, False,
                "clang " + triple)
    return tdir
