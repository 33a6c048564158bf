"""The sdkengine library as a Conan package, built with Meson (MesonToolchain).

sdkbuild renders the host profile (settings: os/arch/build_type) and a Meson machine file
(compilers, flags, exe_wrapper) per target and passes the file through
`tools.meson.mesontoolchain:extra_machine_files`. The options below map one to one to
engine/meson.options; the package id covers them plus `toolchain_id` (a hash of that
machine file) and the content of any extra sources, so an identical configuration is
reused from the Conan cache, even by another checkout, and any change rebuilds.
"""

import hashlib
import os
import shutil

from conan import ConanFile
from conan.tools.files import copy
from conan.tools.layout import basic_layout
from conan.tools.meson import MesonToolchain

_LIST_OPTIONS = ("ops", "dtypes", "isa", "extra_sources", "extra_include_dirs")


def _split(value):
    v = str(value or "")
    return [x for x in v.replace(";", ",").split(",") if x]


def _hash_paths(paths):
    h = hashlib.sha256()
    for p in sorted(paths):
        files = [p] if os.path.isfile(p) else sorted(
            os.path.join(d, f) for d, _, fs in os.walk(p) for f in fs) if os.path.isdir(p) else []
        for f in files:
            h.update(os.path.basename(f).encode() + b"\0")
            with open(f, "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()[:16]


class SdkEngineConan(ConanFile):
    name = "sdkengine"
    version = "0.1.0"
    license = "Apache-2.0"
    description = "Small C++17 inference engine for .sdkm models (selective op build)"
    settings = "os", "arch", "compiler", "build_type"
    package_type = "library"
    options = {
        "ops": ["ANY"],  # comma-separated op types
        "dtypes": ["ANY"],  # comma-separated: fp32,int8
        "isa": ["ANY"],  # comma-separated: neon,dotprod,x86 (empty: ref kernels only)
        "threads": [True, False],
        "coded": [True, False],  # the rANS decoder (only models with coded data need it)
        "storage": [True, False],  # storage element types (only models with them at the boundary need it)
        "sparse": [True, False],
        "winograd": [True, False],  # Winograd 3x3 convolutions (only models with such a conv need them)  # the sparse-weight kernels (only models with sparse weights need them)
        "lib_name": ["ANY"],
        "shared": [True, False],  # False for iOS: static slices, dead-stripped by the app's link
        "lto": [True, False],
        "hash_style": ["sysv", "gnu", "both"],  # ELF symbol hash table(s); gnu only for Android API >= 23
        "export_jni": [True, False],
        "extra_sources": ["ANY"],  # comma-separated absolute paths (content is hashed)
        "extra_include_dirs": ["ANY"],
        "tests": [True, False],
        "toolchain_id": ["ANY"],  # hash of sdkbuild's machine file: compilers and flags
        "symbol_prefix": ["ANY"],  # per-SDK symbol names (tools/symbol_prefix.py); "" = plain sdk_*
        "objc": ["none", "sdk", "standin"],  # Objective-C++ extra sources (iOS bindings), see meson.options
    }
    default_options = {
        "ops": "",
        "dtypes": "fp32,int8",
        "isa": "",
        "threads": True,
        "coded": True,
        "storage": True,
        "sparse": True,
        "winograd": True,
        "lib_name": "sdkengine",
        "shared": True,
        "lto": False,
        "hash_style": "sysv",
        "export_jni": False,
        "extra_sources": "",
        "extra_include_dirs": "",
        "tests": False,
        "toolchain_id": "",
        "symbol_prefix": "",
        "objc": "none",
    }
    exports_sources = ("meson.build", "meson.options", "include/*", "src/*", "tools/*.py", "tests/*")

    def layout(self):
        basic_layout(self)  # build/ and build/conan/ (generators) beside the sources

    def configure(self):
        # The engine links no C++ standard library (libc, libm, pthread only).
        self.settings.rm_safe("compiler.libcxx")

    def package_id(self):
        # Paths differ between checkouts; what they hold is what matters for the binary.
        for opt in ("extra_sources", "extra_include_dirs"):
            paths = _split(self.info.options.get_safe(opt))
            setattr(self.info.options, opt, _hash_paths(paths) if paths else "")
        # tests only add test executables, never change the library
        self.info.options.rm_safe("tests")

    def generate(self):
        tc = MesonToolchain(self)
        o = self.options
        tc.project_options.update({
            "ops": _split(o.ops),
            "dtypes": _split(o.dtypes),
            "isa": _split(o.isa),
            "threads": bool(o.threads),
            "coded": bool(o.coded),
            "storage": bool(o.storage),
            "sparse": bool(o.sparse),
            "winograd": bool(o.winograd),
            "lib_name": str(o.lib_name),
            "export_jni": bool(o.export_jni),
            "hash_style": str(o.hash_style),
            "extra_sources": _split(o.extra_sources),
            "extra_include_dirs": _split(o.extra_include_dirs),
            "tests": bool(o.tests),
            "symbol_prefix": str(o.symbol_prefix or ""),
            "objc": str(o.objc),
        })
        tc.default_library = "shared" if o.shared else "static"
        # The machine file from sdkbuild carries every platform flag: drop what Conan adds
        # on its own for Apple targets (-arch/-isysroot/-m*-version-min from settings).
        tc.apple_arch_flag = []
        tc.apple_isysroot_flag = []
        tc.apple_min_version_flag = []
        tc.generate()
        # b_lto is a Meson base option, which MesonToolchain has no attribute for.
        with open(os.path.join(self.generators_folder, "sdkbuild_options.ini"), "w") as f:
            f.write("[built-in options]\nb_lto = %s\n" % ("true" if o.lto else "false"))

    def _machine_args(self):
        gen = self.generators_folder
        cross = os.path.join(gen, MesonToolchain.cross_filename)
        native = os.path.join(gen, MesonToolchain.native_filename)
        extra = list(self.conf.get("tools.meson.mesontoolchain:extra_machine_files", default=[], check_type=list))
        files = [cross if os.path.exists(cross) else native] + extra + [os.path.join(gen, "sdkbuild_options.ini")]
        flag = "--cross-file" if os.path.exists(cross) else "--native-file"
        return " ".join(f'{flag} "{f}"' for f in files)

    def build(self):
        # Our own `meson setup` (not conan's Meson.configure) so that the options file is
        # appended after the user machine files, and a re-run reconfigures in place.
        private = os.path.join(self.build_folder, "meson-private")
        if os.path.isdir(private) and not os.path.isfile(os.path.join(self.build_folder, "build.ninja")):
            shutil.rmtree(private)  # a `meson setup` that was interrupted: set up afresh
        reconf = " --reconfigure" if os.path.isdir(private) else ""
        self.run(f'meson setup {self._machine_args()}{reconf} "{self.build_folder}" "{self.source_folder}" --prefix=/')
        jobs = self.conf.get("tools.build:jobs", check_type=int)
        self.run(f'meson compile -C "{self.build_folder}"' + (f" -j{jobs}" if jobs else ""))

    def package(self):
        lib = str(self.options.lib_name)
        dst = os.path.join(self.package_folder, "lib")
        for pattern in (f"lib{lib}.so", f"lib{lib}.a", f"lib{lib}.dylib"):
            copy(self, pattern, self.build_folder, dst, keep_path=False)
        prefix = str(self.options.symbol_prefix or "")
        if prefix:
            # the users' header with the SDK's names (generated at configure time), not engine.h
            dst_inc = os.path.join(self.package_folder, "include", prefix)
            os.makedirs(dst_inc, exist_ok=True)
            shutil.copyfile(os.path.join(self.build_folder, "engine_public.h"), os.path.join(dst_inc, "engine.h"))
        else:
            copy(self, "*.h", os.path.join(self.source_folder, "include"), os.path.join(self.package_folder, "include"))
        copy(self, "meson-logs/meson-log.txt", self.build_folder, os.path.join(self.package_folder, "logs"),
             keep_path=False)

    def package_info(self):
        self.cpp_info.libs = [str(self.options.lib_name)]
