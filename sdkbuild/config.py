"""Read and validate `sdk.toml` into frozen dataclasses (the contract: notes/build-info.md).

Every error names the key, the bad value and what is allowed; misspelt names get a
"did you mean" suggestion. Nothing downstream re-validates: a `Config` is known good.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import paths
from .errors import SdkbuildError
from .fileio import write_atomic
from .targets import TARGETS

DTYPES = ("fp32", "int8")
ANDROID_TOOLCHAINS = ("ndk", "zig", "gnu")
IOS_TOOLCHAINS = ("xcode", "zig")
QUANTIZE = ("int8",)

# Java reserved words plus literals: not allowed as package parts.
_JAVA_KEYWORDS = frozenset(
    "abstract assert boolean break byte case catch char class const continue default do double else enum "
    "extends final finally float for goto if implements import instanceof int interface long native new "
    "package private protected public return short static strictfp super switch synchronized this throw "
    "throws transient try void volatile while true false null var record yield sealed permits".split()
)

_SECTIONS: dict[str, tuple[str, ...]] = {
    "sdk": ("name", "version", "java_package", "objc_prefix", "targets"),
    "android": ("min_sdk", "ndk", "toolchain"),
    "ios": ("min_version", "toolchain"),
    "engine": ("dtypes", "threads", "ops", "lto"),
    "models": ("files", "quantize", "calibration", "input_shapes", "prune", "weight_bits", "compress", "strip_names",
               "encrypt", "prune_channels"),
    "report": ("baseline", "budgets"),
    "conan": ("remote",),
}
# credentials never live in sdk.toml (it is committed): they come from the environment only
_CREDENTIAL_KEYS = ("user", "username", "login", "password", "token", "credentials")
_MODEL_KEYS = ("quantize", "calibration", "input_shapes", "prune", "weight_bits", "compress", "strip_names", "encrypt",
               "prune_channels")
_BUDGET_KEYS = ("total_bytes", "total_growth_percent", "targets")
_TARGET_BUDGET_KEYS = ("bytes", "growth_percent")


@dataclass(frozen=True)
class SdkSection:
    name: str
    version: str
    java_package: str
    objc_prefix: str
    targets: tuple[str, ...]

    @property
    def lib_name(self) -> str:
        """File stem of the library: lib<lib_name>.so / .a (lower case, non-alnum -> _)."""
        return lib_name_for(self.name)


@dataclass(frozen=True)
class AndroidSection:
    min_sdk: int = 21
    ndk: Path | None = None
    toolchain: str | None = None


@dataclass(frozen=True)
class IosSection:
    min_version: str = "13.0"
    toolchain: str | None = None


@dataclass(frozen=True)
class EngineSection:
    dtypes: tuple[str, ...] = DTYPES
    threads: bool = True
    ops: str | tuple[str, ...] = "auto"  # "auto" or explicit op types
    lto: bool = False


@dataclass(frozen=True)
class ModelOptions:
    """How one model is converted: [models] gives the defaults, [models.<stem>] overrides."""

    quantize: str | None = None
    calibration: Path | None = None
    input_shapes: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    prune: float = 0.0
    weight_bits: int = 8
    compress: bool = False
    strip_names: bool = False
    encrypt: bool = False  # AES-256-GCM with the key in $SDKBUILD_MODEL_KEY (never in sdk.toml)
    prune_channels: float = 0.0

    def stamp(self) -> dict[str, Any]:
        """The options as plain JSON data (build/models/<stem>.sdkm.inputs.json)."""
        return {"quantize": self.quantize, "calibration": str(self.calibration) if self.calibration else None,
                "input_shapes": {k: list(v) for k, v in sorted(self.input_shapes.items())},
                "prune": self.prune, "weight_bits": self.weight_bits, "compress": self.compress,
                "strip_names": self.strip_names, "encrypt": self.encrypt, "prune_channels": self.prune_channels}


@dataclass(frozen=True)
class ModelsSection:
    files: tuple[Path, ...] = ()  # absolute paths, checked to exist
    quantize: str | None = None
    calibration: Path | None = None
    defaults: ModelOptions = ModelOptions()
    per_model: Mapping[str, ModelOptions] = field(default_factory=dict)  # file stem -> merged options

    def options(self, model: Path) -> ModelOptions:
        return self.per_model.get(model.stem, self.defaults)


@dataclass(frozen=True)
class TargetBudget:
    bytes: int | None = None
    growth_percent: float | None = None


@dataclass(frozen=True)
class ReportSection:
    baseline: Path | None = None  # absolute; may not exist yet (written by CI)
    total_bytes: int | None = None
    total_growth_percent: float | None = None
    targets: Mapping[str, TargetBudget] = field(default_factory=dict)


@dataclass(frozen=True)
class ConanSection:
    remote: str | None = None  # URL of a Conan server sharing engine binaries (SDKBUILD_CONAN_REMOTE overrides)


@dataclass(frozen=True)
class Config:
    path: Path  # the sdk.toml, absolute
    sdk: SdkSection
    android: AndroidSection
    ios: IosSection
    engine: EngineSection
    models: ModelsSection
    report: ReportSection
    sha256: str  # of the sdk.toml bytes (recorded in build-info "inputs")
    warnings: tuple[str, ...] = ()
    conan: ConanSection = ConanSection()

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    def target_dir(self, target: str) -> Path:
        return self.build_dir / target

    @property
    def models_dir(self) -> Path:
        return self.build_dir / "models"


def lib_name_for(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "_", name.lower())


def known_ops() -> dict[str, str]:
    """Engine op file stem (lower case) -> op type, e.g. {"conv": "Conv"} (engine/tools/select_sources.py)."""
    try:
        from .engine_sources import available_ops
    except ImportError:
        return {}
    return available_ops()


# --------------------------------------------------------------------------- helpers


def _suggest(word: str, allowed: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, list(allowed), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _err(key: str, value: Any, allowed: str, hint: str | None = None) -> SdkbuildError:
    return SdkbuildError(f"sdk.toml: {key} = {value!r} is not valid: {allowed}", hint)


def _check_keys(table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for k in table:
        if k not in allowed:
            raise SdkbuildError(
                f"sdk.toml: unknown key {where}{k!r}{_suggest(k, allowed)}; allowed keys: {', '.join(allowed)}",
                "remove the key or fix its spelling (see `sdkbuild init` for an annotated sdk.toml)",
            )


def _table(doc: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    t = doc.get(name, {})
    if not isinstance(t, dict):
        raise _err(name, t, "must be a table, written [" + name + "]")
    return t


def _str(t: Mapping[str, Any], key: str, section: str, default: str | None = None) -> str | None:
    v = t.get(key, default)
    if v is not None and not isinstance(v, str):
        raise _err(f"{section}.{key}", v, "must be a string")
    return v


def _required_str(t: Mapping[str, Any], key: str, section: str, example: str) -> str:
    v = _str(t, key, section)
    if not v:
        raise SdkbuildError(f"sdk.toml: [{section}] {key} is required", f'add e.g. {key} = "{example}" under [{section}]')
    return v


def _bool(t: Mapping[str, Any], key: str, section: str, default: bool) -> bool:
    v = t.get(key, default)
    if not isinstance(v, bool):
        raise _err(f"{section}.{key}", v, "must be true or false")
    return v


def _number(t: Mapping[str, Any], key: str, where: str, kind: type) -> Any:
    v = t.get(key)
    if v is None:
        return None
    ok = isinstance(v, int) and not isinstance(v, bool) if kind is int else isinstance(v, int | float) and not isinstance(v, bool)
    if not ok or v < 0:
        raise _err(f"{where}.{key}", v, f"must be a non-negative {'integer' if kind is int else 'number'}")
    return kind(v)


def _str_list(t: Mapping[str, Any], key: str, section: str) -> list[str] | None:
    v = t.get(key)
    if v is None:
        return None
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise _err(f"{section}.{key}", v, "must be a list of strings")
    return v


# --------------------------------------------------------------------------- sections


def _sdk(doc: Mapping[str, Any]) -> SdkSection:
    t = _table(doc, "sdk")
    if not t:
        raise SdkbuildError("sdk.toml: the [sdk] table is missing", "run `sdkbuild init` for a complete annotated sdk.toml")
    _check_keys(t, _SECTIONS["sdk"], "[sdk] ")
    name = _required_str(t, "name", "sdk", "VisionKit")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        raise _err("sdk.name", name, "must start with a letter and hold only letters, digits and _ "
                   "(it names the XCFramework, the Swift module and the library)")
    version = _required_str(t, "version", "sdk", "1.0.0")
    if not re.fullmatch(r"\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.+-]+)?", version):
        raise _err("sdk.version", version, 'must be a version like "1.0.0" or "1.2.0-beta.1"')
    jp = _required_str(t, "java_package", "sdk", "com.example.visionkit")
    parts = jp.split(".")
    for part in parts:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part) or part in _JAVA_KEYWORDS:
            raise _err("sdk.java_package", jp,
                       f"{part!r} is not a Java identifier; a package is dot-separated identifiers that are not "
                       "Java keywords, e.g. \"com.example.visionkit\"")
    prefix = _required_str(t, "objc_prefix", "sdk", "VK")
    if not re.fullmatch(r"[A-Z]{2,3}", prefix):
        raise _err("sdk.objc_prefix", prefix, 'must be 2 or 3 upper-case letters, e.g. "VK"')
    targets = _str_list(t, "targets", "sdk")
    if not targets:
        raise SdkbuildError("sdk.toml: [sdk] targets is missing or empty",
                            f"list one or more of: {', '.join(TARGETS)}")
    seen: set[str] = set()
    for name_ in targets:
        if name_ not in TARGETS:
            raise SdkbuildError(
                f"sdk.toml: sdk.targets: unknown target {name_!r}{_suggest(name_, tuple(TARGETS))}",
                f"allowed targets: {', '.join(TARGETS)}",
            )
        if name_ in seen:
            raise _err("sdk.targets", targets, f"{name_!r} is listed twice")
        seen.add(name_)
    return SdkSection(name, version, jp, prefix, tuple(targets))


def _android(doc: Mapping[str, Any], root: Path, warnings: list[str]) -> AndroidSection:
    t = _table(doc, "android")
    _check_keys(t, _SECTIONS["android"], "[android] ")
    min_sdk = t.get("min_sdk", 21)
    if not isinstance(min_sdk, int) or isinstance(min_sdk, bool) or min_sdk < 16:
        raise _err("android.min_sdk", min_sdk, "must be an integer API level >= 16 (21 or higher recommended)")
    if min_sdk < 21:
        warnings.append(f"android.min_sdk = {min_sdk}: API levels below 21 are not supported by NDK r26+ "
                        "(the NDK builds for 21); consider min_sdk = 21")
    ndk = _str(t, "ndk", "android")
    ndk_path = None
    if ndk:
        ndk_path = (root / Path(ndk).expanduser()).resolve()
        if not ndk_path.is_dir():
            raise _err("android.ndk", ndk, f"the folder {ndk_path} does not exist",
                       "point it at an NDK r26+ install, or remove the key to use ANDROID_NDK_HOME")
    tc = _str(t, "toolchain", "android")
    if tc is not None and tc not in ANDROID_TOOLCHAINS:
        raise _err("android.toolchain", tc, f"allowed: {', '.join(ANDROID_TOOLCHAINS)}{_suggest(tc, ANDROID_TOOLCHAINS)}")
    return AndroidSection(min_sdk, ndk_path, tc)


def _ios(doc: Mapping[str, Any]) -> IosSection:
    t = _table(doc, "ios")
    _check_keys(t, _SECTIONS["ios"], "[ios] ")
    mv = t.get("min_version", "13.0")
    if not isinstance(mv, str) or not re.fullmatch(r"\d+\.\d+", mv):
        raise _err("ios.min_version", mv, 'must be a string "X.Y", e.g. "13.0"')
    tc = _str(t, "toolchain", "ios")
    if tc is not None and tc not in IOS_TOOLCHAINS:
        raise _err("ios.toolchain", tc, f"allowed: {', '.join(IOS_TOOLCHAINS)}{_suggest(tc, IOS_TOOLCHAINS)}")
    return IosSection(mv, tc)


def _engine(doc: Mapping[str, Any]) -> EngineSection:
    t = _table(doc, "engine")
    _check_keys(t, _SECTIONS["engine"], "[engine] ")
    dtypes = _str_list(t, "dtypes", "engine")
    if dtypes is None:
        dtypes = list(DTYPES)
    if not dtypes:
        raise _err("engine.dtypes", dtypes, f"must list at least one of {', '.join(DTYPES)}")
    for d in dtypes:
        if d not in DTYPES:
            raise _err("engine.dtypes", dtypes, f"{d!r} is not a dtype{_suggest(d, DTYPES)}; allowed: {', '.join(DTYPES)}")
    ops_v = t.get("ops", "auto")
    ops: str | tuple[str, ...]
    if ops_v == "auto":
        ops = "auto"
    elif isinstance(ops_v, list) and ops_v and all(isinstance(o, str) for o in ops_v):
        known = known_ops()
        for o in ops_v:
            if known and o.lower() not in known:
                types = sorted(known.values())
                raise _err("engine.ops", ops_v, f"{o!r} is not an engine op{_suggest(o, types)}; "
                           f"available: {', '.join(types)}")
        # canonical op type spelling (the OpDef's), so "conv" and "Conv" select the same build
        ops = tuple(dict.fromkeys(known.get(o.lower(), o) for o in ops_v))
    else:
        raise _err("engine.ops", ops_v, 'must be "auto" (the ops the models use) or a non-empty list of op types, '
                   'e.g. ["Conv", "Relu"]')
    # keep dtypes in canonical order so equal configurations hash equal
    return EngineSection(tuple(d for d in DTYPES if d in dtypes), _bool(t, "threads", "engine", True), ops,
                         _bool(t, "lto", "engine", False))


def _models(doc: Mapping[str, Any], root: Path) -> ModelsSection:
    t = _table(doc, "models")
    _check_keys({k: v for k, v in t.items() if not isinstance(v, dict) or k == "input_shapes"},
                _SECTIONS["models"], "[models] ")
    files = _str_list(t, "files", "models") or []
    out: list[Path] = []
    for f in files:
        p = (root / f).resolve()
        if not p.is_file():
            raise _err("models.files", f, f"the file {p} does not exist", "fix the path (relative to sdk.toml)")
        if p in out:
            raise _err("models.files", files, f"{f!r} is listed twice")
        out.append(p)
    stems = [p.stem for p in out]
    dup = {s for s in stems if stems.count(s) > 1}
    if dup:
        raise _err("models.files", files, f"two models share the name {sorted(dup)[0]!r}; each becomes "
                   "build/models/<stem>.sdkm, so stems must be unique")
    stems = set(stems)
    defaults = _model_options(t, root, "models", ModelOptions())
    per_model: dict[str, ModelOptions] = {}
    for stem, sub in t.items():
        if not isinstance(sub, dict) or stem == "input_shapes":
            continue
        if stem not in stems:
            raise SdkbuildError(f"sdk.toml: [models.{stem}] names no model: {stem!r} is not the stem of a file in "
                                f"[models] files{_suggest(stem, sorted(stems))}",
                                "per-model tables are named after the model file without .onnx, e.g. [models.mobilenet]")
        _check_keys(sub, _MODEL_KEYS, f"[models.{stem}] ")
        per_model[stem] = _model_options(sub, root, f"models.{stem}", defaults)
    return ModelsSection(tuple(out), defaults.quantize, defaults.calibration, defaults, per_model)


def _model_options(t: Mapping[str, Any], root: Path, where: str, base: ModelOptions) -> ModelOptions:
    q = _str(t, "quantize", where, base.quantize)
    if q is not None and q not in QUANTIZE:
        raise _err(f"{where}.quantize", q, f"allowed: {', '.join(QUANTIZE)}")
    cal_path = base.calibration
    cal = _str(t, "calibration", where)
    if cal is not None:
        cal_path = (root / cal).resolve()
        if not cal_path.exists():
            raise _err(f"{where}.calibration", cal, f"{cal_path} does not exist")
    shapes = dict(base.input_shapes)
    raw = t.get("input_shapes", None)
    if raw is not None:
        if not isinstance(raw, dict) or not all(
                isinstance(v, list) and v and all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in v)
                for v in raw.values()):
            raise _err(f"{where}.input_shapes", raw, "must be a table of input name = list of positive dimensions",
                       'e.g. input_shapes = { input_ids = [1, 128], attention_mask = [1, 128] }')
        shapes.update({k: tuple(v) for k, v in raw.items()})
    prune = t.get("prune", base.prune)
    if not isinstance(prune, int | float) or isinstance(prune, bool) or not 0 <= prune < 1:
        raise _err(f"{where}.prune", prune, "must be a fraction of weights in [0, 1), e.g. 0.5")
    channels = t.get("prune_channels", base.prune_channels)
    if not isinstance(channels, int | float) or isinstance(channels, bool) or not 0 <= channels <= 0.9:
        raise _err(f"{where}.prune_channels", channels, "must be a fraction of channels in [0, 0.9], e.g. 0.25")
    bits = t.get("weight_bits", base.weight_bits)
    if bits not in (8, 4, 3, 2) or isinstance(bits, bool):
        raise _err(f"{where}.weight_bits", bits, "allowed: 8, 4, 3, 2")
    if "key" in t or "encrypt_key" in t:
        raise SdkbuildError(f"sdk.toml: [{where}] holds a model key: keys never go in sdk.toml",
                            "remove it; the build reads the key from $SDKBUILD_MODEL_KEY (your CI's secret store)")
    opts = ModelOptions(q, cal_path, shapes, float(prune), int(bits), _bool(t, "compress", where, base.compress),
                        _bool(t, "strip_names", where, base.strip_names), _bool(t, "encrypt", where, base.encrypt),
                        float(channels))
    if (opts.quantize or opts.prune or opts.prune_channels) and opts.calibration is None:
        what = "quantize = \"int8\"" if opts.quantize else ("prune" if opts.prune else "prune_channels")
        raise SdkbuildError(f"sdk.toml: [{where}] {what} needs calibration data, and {where}.calibration is not set",
                            f'add calibration = "calib/" (a .npy/.npz file or a folder of them, relative to sdk.toml) '
                            f"to [{where}] or [models]")
    if opts.weight_bits != 8 and not opts.quantize:
        raise _err(f"{where}.weight_bits", opts.weight_bits, "fewer than 8 bits need quantize = \"int8\"")
    return opts


def _report(doc: Mapping[str, Any], root: Path) -> ReportSection:
    t = _table(doc, "report")
    _check_keys(t, _SECTIONS["report"], "[report] ")
    baseline = _str(t, "baseline", "report")
    budgets = t.get("budgets", {})
    if not isinstance(budgets, dict):
        raise _err("report.budgets", budgets, "must be a table, written [report.budgets]")
    _check_keys(budgets, _BUDGET_KEYS, "[report.budgets] ")
    per_target: dict[str, TargetBudget] = {}
    tb = budgets.get("targets", {})
    if not isinstance(tb, dict):
        raise _err("report.budgets.targets", tb, "must be a table of [report.budgets.targets.<target>] tables")
    for name, b in tb.items():
        if name not in TARGETS:
            raise SdkbuildError(f"sdk.toml: [report.budgets.targets.{name}]: unknown target "
                                f"{name!r}{_suggest(name, tuple(TARGETS))}", f"allowed targets: {', '.join(TARGETS)}")
        if not isinstance(b, dict):
            raise _err(f"report.budgets.targets.{name}", b, "must be a table with bytes / growth_percent")
        where = f"report.budgets.targets.{name}"
        _check_keys(b, _TARGET_BUDGET_KEYS, f"[{where}] ")
        per_target[name] = TargetBudget(_number(b, "bytes", where, int), _number(b, "growth_percent", where, float))
    return ReportSection(
        (root / baseline).resolve() if baseline else None,
        _number(budgets, "total_bytes", "report.budgets", int),
        _number(budgets, "total_growth_percent", "report.budgets", float),
        per_target,
    )


def _conan(doc: Mapping[str, Any]) -> ConanSection:
    t = _table(doc, "conan")
    leaked = [k for k in t if k.lower() in _CREDENTIAL_KEYS]
    if leaked:
        raise SdkbuildError(f"sdk.toml: [conan] {leaked[0]}: credentials do not belong in sdk.toml (it is committed)",
                            "remove it and set SDKBUILD_CONAN_USER and SDKBUILD_CONAN_PASSWORD in the environment "
                            "(CI secrets) of the jobs that may upload")
    _check_keys(t, _SECTIONS["conan"], "[conan] ")
    remote = _str(t, "remote", "conan")
    if remote is not None and not re.match(r"^https?://[^\s/]+", remote):
        raise _err("conan.remote", remote, "must be the http(s) URL of a Conan server, e.g. "
                   '"https://conan.example.com/artifactory/api/conan/sdk"')
    return ConanSection(remote)


def parse(text: str, path: Path) -> Config:
    """Validate the TOML `text` of the sdk.toml at `path` (relative paths resolve against it)."""
    path = path.resolve()
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SdkbuildError(f"{path}: not valid TOML: {e}", "fix the syntax at the line shown") from None
    _check_keys(doc, tuple(_SECTIONS), "top-level table ")
    root = path.parent
    warnings: list[str] = []
    sdk = _sdk(doc)
    return Config(
        path=path,
        sdk=sdk,
        android=_android(doc, root, warnings),
        ios=_ios(doc),
        engine=_engine(doc),
        models=_models(doc, root),
        report=_report(doc, root),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        warnings=tuple(warnings),
        conan=_conan(doc),
    )


def find_config(path: str | Path | None = None) -> Path:
    p = Path(path) if path else Path.cwd() / "sdk.toml"
    if p.is_dir():
        p = p / "sdk.toml"
    if not p.is_file():
        raise SdkbuildError(f"no sdk.toml at {p}", "run `sdkbuild init` to create one, or pass --config PATH")
    return p


def load(path: str | Path | None = None) -> Config:
    p = find_config(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise SdkbuildError(f"{p}: not a UTF-8 text file ({e.reason} at byte {e.start})",
                            "sdk.toml must be UTF-8 TOML; run `sdkbuild init` for a fresh one") from None
    except OSError as e:
        raise SdkbuildError(f"cannot read {p}: {e.strerror}", "check the file's permissions") from None
    return parse(text, p)


# --------------------------------------------------------------------------- init


def init(directory: str | Path = ".", force: bool = False) -> Path:
    """Write an annotated sdk.toml into `directory`; refuse to overwrite without `force`."""
    import jinja2

    d = Path(directory)
    out = d / "sdk.toml"
    if out.exists() and not force:
        raise SdkbuildError(f"{out} already exists", "pass --force to overwrite it")
    name = re.sub(r"[^A-Za-z0-9]", "", d.resolve().name.title()) or "MySdk"
    if not name[0].isalpha():
        name = "Sdk" + name
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(paths.templates_dir()), keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    pkg = lib_name_for(name)
    text = env.get_template("sdk.toml.j2").render(
        name=name, java_package=f"com.example.{pkg}", objc_prefix=(re.sub(r"[^A-Z]", "", name) + "SDK")[:2],
        targets=list(TARGETS),
    )
    parse(text, out)  # the template must always produce a valid file (models list starts empty)
    return write_atomic(out, text)


__all__ = ["Config", "load", "parse", "init", "find_config", "lib_name_for", "known_ops", "DTYPES"]
