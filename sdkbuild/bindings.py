"""Language bindings: load the API description (bindings/api.toml) and render the templates.

One description, several languages. The JNI boundary (Java `native` declarations, the C++
glue's RegisterNatives table and its type descriptors) is generated from the same rows,
so a Java declaration and its C++ registration cannot drift apart; the public operations
listed in the description must each be rendered (with their doc) by every language.

Outputs (see `render()`):
  jni/sdk_jni.cpp              JNI glue, compiled INTO the engine library (export_jni=true)
  include/<lib>/engine.h       the C API under the SDK's symbol prefix, which the glue includes
  java/<package path>/*.java   Java 8 classes (Model, Session, TensorInfo, SdkException, Engine)
  android/proguard.txt         consumer ProGuard rules; android/AndroidManifest.xml
  objc/<Name>.h, <Name>.mm     Objective-C API over the C API (ARC), and objc/module.modulemap
  swift/<Name>Crypto/*.swift   the Swift package's source target: encrypted models via CryptoKit
"""

from __future__ import annotations

import os
import re
import shutil
import textwrap
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from . import engine_sources, paths
from .errors import SdkbuildError
from .fileio import write_atomic

# ------------------------------------------------------------------ the API description

# Java type -> (JNI descriptor, C++ JNI type)
_JNI_TYPES: dict[str, tuple[str, str]] = {
    "void": ("V", "void"),
    "boolean": ("Z", "jboolean"),
    "int": ("I", "jint"),
    "long": ("J", "jlong"),
    "String": ("Ljava/lang/String;", "jstring"),
    "byte[]": ("[B", "jbyteArray"),
    "float[]": ("[F", "jfloatArray"),
    "long[]": ("[J", "jlongArray"),
    "ByteBuffer": ("Ljava/nio/ByteBuffer;", "jobject"),
    "Object": ("Ljava/lang/Object;", "jobject"),  # a primitive array, whatever its element type
}
LANGUAGES = ("java", "objc")


@dataclass(frozen=True)
class Param:
    type: str
    name: str

    @property
    def cpp(self) -> str:
        return f"{_JNI_TYPES[self.type][1]} {self.name}"


@dataclass(frozen=True)
class Native:
    """One JNI native method of a Java class."""

    name: str
    static: bool
    params: tuple[Param, ...]
    returns: str
    c_api: tuple[str, ...]
    throws: bool = True  # may raise SdkException (declared, since it is a checked exception)

    @property
    def descriptor(self) -> str:
        return "(" + "".join(_JNI_TYPES[p.type][0] for p in self.params) + ")" + _JNI_TYPES[self.returns][0]

    @property
    def java_decl(self) -> str:
        static = "static " if self.static else ""
        args = ", ".join(f"{p.type} {p.name}" for p in self.params)
        throws = " throws SdkException" if self.throws else ""
        return f"private {static}native {self.returns} {self.name}({args}){throws};"

    @property
    def cpp_return(self) -> str:
        return _JNI_TYPES[self.returns][1]

    @property
    def cpp_params(self) -> str:
        # the second JNI argument is the class for static natives, the receiver otherwise
        # (unnamed: the glue never uses it, and -Wextra would flag an unused parameter)
        head = ["JNIEnv* env", "jclass" if self.static else "jobject"]
        return ", ".join(head + [p.cpp for p in self.params])


@dataclass(frozen=True)
class Method:
    name: str
    doc: str
    languages: tuple[str, ...]


@dataclass(frozen=True)
class ApiClass:
    name: str
    doc: str
    thread_safety: str
    methods: tuple[Method, ...]
    natives: tuple[Native, ...]

    def method(self, name: str) -> Method:
        for m in self.methods:
            if m.name == name:
                return m
        raise KeyError(f"{self.name}.{name}")


@dataclass(frozen=True)
class Constant:
    name: str
    code: int
    doc: str
    size: int = 0


@dataclass(frozen=True)
class Message:
    """Engine wording (`engine`) that each language's errors replace with their own."""

    engine: str
    java: str
    objc: str
    engine_parts: tuple[str, ...] = ()  # the pieces of `engine` as the engine's sources hold them


@dataclass(frozen=True)
class Api:
    statuses: tuple[Constant, ...]
    dtypes: tuple[Constant, ...]
    classes: tuple[ApiClass, ...]
    source: Path
    limits: dict[str, int] = field(default_factory=dict)  # [limits]: max_model_bytes, max_session_bytes
    messages: tuple[Message, ...] = ()

    def rewrites(self, language: str, names: SdkNames) -> list[tuple[str, str]]:
        """(engine text, this language's text) pairs, placeholders filled in for `names`."""
        return [(m.engine, getattr(m, language).replace("{prefix}", names.objc_prefix)
                 .replace("{module}", names.module_name)) for m in self.messages]

    def cls(self, name: str) -> ApiClass:
        for c in self.classes:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def native_classes(self) -> tuple[ApiClass, ...]:
        return tuple(c for c in self.classes if c.natives)


def _err(source: Path, where: str, problem: str) -> SdkbuildError:
    return SdkbuildError(f"{source}: {where}: {problem}", hint="fix the API description (see bindings/README.md)")


def _header_constants(header: str, prefix: str) -> dict[str, int]:
    found = {m[1]: int(m[2]) for m in re.finditer(rf"\b{prefix}(\w+)\s*=\s*(\d+)", header)}
    return {k: v for k, v in found.items() if k == "OK" or prefix != "SDK_" or k.startswith("ERR_")}


def load_api(path: str | os.PathLike | None = None, engine_header: str | os.PathLike | None = None) -> Api:
    """Load and check the API description against the engine's C header."""
    source = Path(path) if path else paths.bindings_dir() / "api.toml"
    try:
        raw = tomllib.loads(source.read_text())
    except FileNotFoundError:
        raise SdkbuildError(f"API description {source} not found", hint="reinstall sdkbuild") from None
    except tomllib.TOMLDecodeError as e:
        raise _err(source, "TOML", str(e)) from None
    if raw.get("schema") != 1:
        raise _err(source, "schema", f"expected schema = 1, found {raw.get('schema')!r}")
    header_path = Path(engine_header) if engine_header else paths.engine_dir() / "include/sdkengine/engine.h"
    header = header_path.read_text()
    c_functions = set(re.findall(r"\b(sdk_\w+)\s*\(", header))

    def constants(key: str, c_prefix: str, header_prefix: str) -> tuple[Constant, ...]:
        in_header = _header_constants(header, header_prefix)
        out = []
        for i, row in enumerate(raw.get(key, [])):
            try:
                c = Constant(str(row["name"]), int(row["code"]), str(row.get("doc", "")), int(row.get("size", 0)))
            except KeyError as e:
                raise _err(source, f"{key}[{i}]", f"missing key {e}") from None
            cname = c.name if key == "dtype" else ("OK" if c.name == "OK" else "ERR_" + c.name)
            if any(o.name == c.name for o in out):
                raise _err(source, f"{key} {c.name}", "is listed twice")
            if in_header.get(cname) != c.code:
                raise _err(source, f"{key} {c.name}",
                           f"{c_prefix}{cname} = {c.code} does not match engine.h ({in_header.get(cname)})")
            out.append(c)
        missing = set(in_header) - {("OK" if c.name == "OK" else "ERR_" + c.name) if key == "status" else c.name
                                    for c in out}
        if missing:
            raise _err(source, key, f"engine.h defines {sorted(missing)} which the description lacks")
        return tuple(out)

    statuses = constants("status", "SDK_", "SDK_")
    dtypes = constants("dtype", "SDK_DTYPE_", "SDK_DTYPE_")

    # [limits]: the defaults the bindings document and show, as engine.h defines them
    # (`#define SDK_DEFAULT_MAX_MODEL_BYTES ((size_t)1 << 30)`)
    in_header = {m[1].lower(): int(m[2]) << int(m[3]) for m in
                 re.finditer(r"#define SDK_DEFAULT_(\w+)\s+\(\(size_t\)(\d+) << (\d+)\)", header)}
    limits = raw.get("limits", {})
    if not isinstance(limits, dict) or set(limits) != set(in_header):
        raise _err(source, "limits", f"expected exactly {sorted(in_header)} (engine.h's SDK_DEFAULT_*), "
                   f"found {sorted(limits) if isinstance(limits, dict) else limits!r}")
    for k, v in limits.items():
        if v != in_header[k]:
            raise _err(source, f"limits.{k}", f"{v} does not match engine.h ({in_header[k]})")
    messages = []
    for i, row in enumerate(raw.get("message", [])):
        try:
            engine = row["engine"]
            parts = (engine,) if isinstance(engine, str) else tuple(map(str, engine))
            messages.append(Message("".join(parts), str(row["java"]), str(row["objc"]), parts))
        except (KeyError, TypeError) as e:
            raise _err(source, f"message[{i}]", f"missing key {e}") from None

    classes = []
    for ci, c in enumerate(raw.get("class", [])):
        cname = c.get("name")
        if not isinstance(cname, str) or not cname.isidentifier():
            raise _err(source, f"class[{ci}]", f"bad class name {cname!r}")
        methods = []
        for m in c.get("method", []):
            langs = tuple(m.get("languages", LANGUAGES))
            if bad := set(langs) - set(LANGUAGES):
                raise _err(source, f"{cname}.{m.get('name')}", f"unknown languages {sorted(bad)}")
            methods.append(Method(m["name"], m["doc"], langs))
        natives = []
        for n in c.get("native", []):
            where = f"{cname}.{n.get('name')}"
            params = []
            for p in n.get("params", []):
                ptype, _, pname = p.rpartition(" ")
                if ptype not in _JNI_TYPES or ptype == "void" or not pname.isidentifier():
                    raise _err(source, where, f"bad parameter {p!r} (types: {', '.join(_JNI_TYPES)})")
                params.append(Param(ptype, pname))
            if n.get("returns") not in _JNI_TYPES:
                raise _err(source, where, f"bad return type {n.get('returns')!r}")
            if not n.get("static", False) and (not params or params[0].type != "long"):
                # instance natives take the handle first; the receiver keeps the Java
                # object reachable during the call (Java 8 has no reachabilityFence)
                raise _err(source, where, "an instance native must take `long handle` first")
            for fn in n.get("c_api", []):
                if fn not in c_functions:
                    raise _err(source, where, f"c_api names {fn}, which engine.h does not declare")
            natives.append(Native(n["name"], bool(n.get("static", False)), tuple(params), n["returns"],
                                  tuple(n.get("c_api", [])), bool(n.get("throws", True))))
        if len({n.name for n in natives}) != len(natives):
            raise _err(source, cname, "duplicate native names (JNI overloads are not supported here)")
        classes.append(ApiClass(cname, c.get("doc", ""), c.get("thread_safety", ""), tuple(methods), tuple(natives)))
    return Api(statuses, dtypes, tuple(classes), source, dict(limits), tuple(messages))


# ------------------------------------------------------------------ SDK names


@dataclass(frozen=True)
class SdkNames:
    """What the templates need from sdk.toml."""

    name: str  # "VisionKit"
    version: str
    java_package: str
    objc_prefix: str
    min_sdk: int = 21
    ios_min_version: str = "13.0"
    description: str = ""
    models: tuple[str, ...] = ()  # the .sdkm file names shipped (assets/<lib_name>/ in the AAR)

    @property
    def lib_name(self) -> str:
        from .config import lib_name_for  # one spelling of the library stem for build, bindings and package

        return lib_name_for(self.name)

    @property
    def c_prefix(self) -> str:
        """The SDK's C symbol prefix: engine.h's sdk_x is <c_prefix>_sdk_x in this SDK's library
        and in its header <c_prefix>/engine.h (engine/tools/symbol_prefix.py)."""
        return self.lib_name

    @property
    def c_header(self) -> str:
        return f"{self.c_prefix}/engine.h"

    @property
    def example_model(self) -> str:
        """An asset path for code examples: the SDK's first model, else a placeholder."""
        return f"{self.lib_name}/{self.models[0] if self.models else 'model.sdkm'}"

    @property
    def java_dir(self) -> str:
        return self.java_package.replace(".", "/")

    @property
    def module_name(self) -> str:
        return re.sub(r"\W", "_", self.name)


def names_from_config(cfg: Any) -> SdkNames:
    """The names the templates need, from a `config.Config` (or an SdkNames, as tests pass)."""
    if isinstance(cfg, SdkNames):
        return cfg
    return SdkNames(name=cfg.sdk.name, version=cfg.sdk.version, java_package=cfg.sdk.java_package,
                    objc_prefix=cfg.sdk.objc_prefix, min_sdk=cfg.android.min_sdk,
                    ios_min_version=cfg.ios.min_version,
                    models=tuple(f"{Path(f).stem}.sdkm" for f in cfg.models.files))


# ------------------------------------------------------------------ rendering


@dataclass
class _DocTracker:
    """Records which API methods a language's templates rendered, to catch omissions."""

    api: Api
    language: str
    used: set[str] = field(default_factory=set)

    def __call__(self, key: str) -> str:
        cls, _, meth = key.partition(".")
        try:
            m = self.api.cls(cls).method(meth)
        except KeyError:
            raise SdkbuildError(f"template uses {key!r}, which {self.api.source} does not describe") from None
        if self.language not in m.languages:
            raise SdkbuildError(f"template for {self.language} renders {key!r}, described for {m.languages} only")
        self.used.add(key)
        return m.doc

    def check_complete(self) -> None:
        want = {f"{c.name}.{m.name}" for c in self.api.classes for m in c.methods if self.language in m.languages}
        if missing := sorted(want - self.used):
            raise SdkbuildError(f"the {self.language} templates do not render {missing} from {self.api.source}",
                                hint=f"add them to templates/{self.language}/ or restrict their `languages`")


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(paths.templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def java_text(text: str) -> str:
    """Plain doc text (with `code` in backticks) as Javadoc HTML: {@code ...} and escaped text."""
    parts = text.split("`")
    out = []
    for i, part in enumerate(parts):
        if i % 2:  # inside backticks
            out.append("{@code " + part + "}")
        else:
            out.append(part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    return "".join(out).replace("*/", "*&#47;")


def c_string(text: str) -> str:
    """A C/C++/Objective-C string literal of `text` (ASCII). An engine name in it (`sdk_x`) is
    split into adjacent literals ("sdk" "_x"), which keep the text but not the identifier that
    the SDK's renaming (engine_sources.rename_c_api) would prefix."""
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    out = re.sub(r"\b(sdk|SDK)_", r'\1" "_', out)
    return f'"{out}"'


def _java_doc(text: str, indent: str = "") -> str:
    """Text as a Javadoc comment body (backticks become {@code ...})."""
    lines = textwrap.wrap(java_text(text), 96, break_on_hyphens=False) or [""]
    return "\n".join(f"{indent} * {ln}" for ln in lines)


def _objc_doc(text: str, indent: str = "") -> str:
    """Text as a HeaderDoc comment body (Xcode renders the backticks as code)."""
    lines = textwrap.wrap(text.replace("*/", "* /"), 96, break_on_hyphens=False) or [""]
    return "\n".join(f"{indent} * {ln}" for ln in lines)


def _write(path: Path, text: str) -> Path:
    # write only when changed, so a build system's timestamps stay stable
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        write_atomic(path, text)
    return path


# language -> [(template, output path relative to the output folder)]
def _plan(names: SdkNames) -> dict[str, list[tuple[str, str]]]:
    jd = names.java_dir
    return {
        "jni": [("jni/sdk_jni.cpp.j2", "jni/sdk_jni.cpp")],
        "java": [
            ("java/Engine.java.j2", f"java/{jd}/Engine.java"),
            ("java/Model.java.j2", f"java/{jd}/Model.java"),
            ("java/Session.java.j2", f"java/{jd}/Session.java"),
            ("java/TensorInfo.java.j2", f"java/{jd}/TensorInfo.java"),
            ("java/MemoryInfo.java.j2", f"java/{jd}/MemoryInfo.java"),
            ("java/ModelOptions.java.j2", f"java/{jd}/ModelOptions.java"),
            ("java/SessionOptions.java.j2", f"java/{jd}/SessionOptions.java"),
            ("java/SdkException.java.j2", f"java/{jd}/SdkException.java"),
            ("java/NativeResource.java.j2", f"java/{jd}/NativeResource.java"),
            ("android/proguard.txt.j2", "android/proguard.txt"),
            ("android/AndroidManifest.xml.j2", "android/AndroidManifest.xml"),
        ],
        "objc": [
            ("objc/Sdk.h.j2", f"objc/{names.module_name}.h"),
            ("objc/Sdk.mm.j2", f"objc/{names.module_name}.mm"),
            ("apple/module.modulemap.j2", "objc/module.modulemap"),
            # the Swift package's source target (Package.swift): encrypted models through CryptoKit
            ("apple/Crypto.swift.j2", f"swift/{names.module_name}Crypto/{names.module_name}Crypto.swift"),
        ],
    }


def render(cfg: Any, out_dir: str | os.PathLike, languages: Iterable[str] = ("jni", "java", "objc"),
           api: Api | None = None) -> list[Path]:
    """Render the bindings for `cfg` into out_dir; returns the written files."""
    names = names_from_config(cfg)
    api = api or load_api()
    out = Path(out_dir)
    env = _environment()
    env.filters["javadoc"] = _java_doc
    env.filters["javatext"] = java_text
    env.filters["objcdoc"] = _objc_doc
    env.filters["camel"] = lambda s: "".join(w.capitalize() for w in str(s).split("_"))
    env.filters["cstr"] = c_string
    plan = _plan(names)
    written: list[Path] = []
    for lang in languages:
        if lang not in plan:
            raise SdkbuildError(f"unknown binding language {lang!r}", hint="use jni, java or objc")
        tracker = _DocTracker(api, "java" if lang == "jni" else lang)
        ctx = {"api": api, "sdk": names, "doc": tracker}
        for tmpl, rel in plan[lang]:
            text = env.get_template(tmpl).render(**ctx)
            if lang in ("jni", "objc") and rel.endswith((".cpp", ".h", ".mm")):
                # the glue calls the SDK's own prefixed C API (sdk_x -> <lib>_sdk_x), so that
                # several SDKs coexist in one app
                text = engine_sources.rename_c_api(text, names.c_prefix)
            written.append(_write(out / rel, text))
        if lang != "jni":
            tracker.check_complete()
    if {"jni", "objc"} & set(languages):
        # the SDK's prefixed C header, which the rendered glue includes
        written.append(_write(out / "include" / names.c_header, engine_sources.public_header(names.c_prefix)))
    return written


# ------------------------------------------------------------------ per-target sources for the build


@dataclass(frozen=True)
class TargetBindings:
    """What the build passes to meson for one target (extra_sources, extra_include_dirs, export_jni)."""

    sources: tuple[Path, ...]
    include_dirs: tuple[Path, ...]
    export_jni: bool
    kind: str  # "jni" or "objc"
    # extra compile arguments of `sources` (objcpp_args for the ObjC layer: ARC, and the
    # Foundation stand-in when the toolchain has no Apple SDK)
    args: tuple[str, ...] = ()


def find_jdk() -> Path:
    """The JDK home (JAVA_HOME, else the one javac on PATH belongs to)."""
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]))
    javac = shutil.which("javac")
    if javac:
        candidates.append(Path(os.path.realpath(javac)).parent.parent)
    for c in candidates:
        if (c / "include" / "jni.h").is_file():
            return c
    raise SdkbuildError(
        "no JDK found (jni.h and javac are needed for the JNI glue and the AAR's classes.jar)",
        hint="install a JDK >= 9 (apt-get install openjdk-17-jdk-headless) or set JAVA_HOME",
    )


def jni_include_dirs() -> tuple[Path, ...]:
    """jni.h + jni_md.h from the JDK, for toolchains without an NDK sysroot (gnu/zig/host)."""
    jdk = find_jdk()
    inc = jdk / "include"
    md = [d for d in sorted(inc.iterdir()) if d.is_dir() and (d / "jni_md.h").is_file()]
    return (inc, *md[:1])


def emit_for_target(cfg: Any, target: str, build_dir: str | os.PathLike, toolchain_source: str = "") -> TargetBindings:
    """Render the glue a target's library compiles in, into build/<target>/bindings/.

    Android and host libraries get the JNI glue (jni.h from the NDK sysroot, otherwise the
    JDK's); iOS slices get the Objective-C implementation.
    """
    from .targets import TARGETS

    if target not in TARGETS:
        raise SdkbuildError(f"unknown target {target!r}", hint=f"one of: {', '.join(TARGETS)}")
    t = TARGETS[target]
    out = Path(build_dir) / target / "bindings"
    names = names_from_config(cfg)
    # render() writes the SDK's prefixed C header into include/, which the glue includes (the
    # engine's meson build compiles itself with the matching renaming: symbol_prefix = c_prefix)
    c_inc = out / "include"
    if t.platform == "ios":
        render(cfg, out, ["objc"])
        args: tuple[str, ...] = ("-fobjc-arc", "-fno-objc-exceptions")
        if toolchain_source != "xcode":
            from .package.xcframework import foundation_standin

            standin = foundation_standin()
            if standin is not None:
                args += ("-nostdlibinc", "-isystem", str(standin))
        return TargetBindings((out / "objc" / f"{names.module_name}.mm",), (out / "objc", c_inc), False, "objc",
                              args)
    render(cfg, out, ["jni"])
    incs: tuple[Path, ...] = () if toolchain_source == "ndk" else jni_include_dirs()
    return TargetBindings((out / "jni" / "sdk_jni.cpp",), (c_inc, *incs), True, "jni")
