"""`sdkbuild build`: models -> .sdkm, op selection, and the engine per target via Conan + Meson.

Per target: resolve a toolchain, render the Conan host/build profiles and a Meson machine
file into build/<target>/conan/, `conan create engine/` with the selection as options (an
identical configuration is reused from the Conan cache, also by other checkouts), then
copy and strip the library into build/<target>/lib/ and write build-info.json (the
contract in notes/build-info.md). All tool output of a target goes to its build.log.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, locks, paths, procs, toolchains
from .config import DTYPES, Config
from .engine_sources import available_ops, op_sources, sources_hash
from .errors import SdkbuildError
from .fileio import atomic_file, sha256_file, write_atomic
from .targets import TARGETS, Target
from .toolchains.base import Toolchain
from .toolchains.zig import build_env as zig_build_env

ENGINE_REF = "sdkengine/0.1.0"
_SDKM_DTYPES = {"f32": "fp32", "i8": "int8", "u8": "int8"}  # i32 appears in both (int8 bias, shapes)


# --------------------------------------------------------------------------- conan


def cache_root() -> Path:
    return Path(os.environ.get("SDKBUILD_CACHE", Path.home() / ".cache" / "sdkbuild"))


def conan_home() -> Path:
    """The user's CONAN_HOME when set, else an sdkbuild-managed one (no remotes)."""
    return Path(os.environ["CONAN_HOME"]) if os.environ.get("CONAN_HOME") else cache_root() / "conan"


def _tool_dir() -> str:
    return str(Path(sys.executable).parent)


def tool_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for conan/meson: CONAN_HOME, and this Python's bin dir first on PATH (meson, ninja)."""
    env = dict(os.environ)
    env["CONAN_HOME"] = str(conan_home())
    env["PATH"] = _tool_dir() + os.pathsep + env.get("PATH", "")
    env.setdefault("NINJA_STATUS", "[%f/%t] ")
    # Every Conan build runs in its own cache folder: let ccache hit across them (paths
    # under the Conan home are hashed relative; the folder name is not part of the key).
    env.setdefault("CCACHE_BASEDIR", str(conan_home()))
    env.setdefault("CCACHE_NOHASHDIR", "1")
    env.update(extra or {})
    return env


def conan_exe() -> str:
    local = Path(_tool_dir()) / "conan"
    return str(local) if local.is_file() else (shutil.which("conan") or "conan")


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock across processes (parallel targets, pytest-xdist workers, CI jobs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# Conan 2's cache does not support concurrent writers, so calls that write it are serialised
# (per process by this lock, across processes by the file lock); compiles inside use --jobs.
_CONAN_THREAD_LOCK = threading.Lock()


@contextmanager
def conan_lock() -> Iterator[None]:
    with _CONAN_THREAD_LOCK, file_lock(conan_home() / ".sdkbuild.lock"):
        yield


def ensure_conan_home() -> None:
    """Create the sdkbuild CONAN_HOME once; it has no remotes, so no build contacts a server."""
    home = conan_home()
    marker = home / ".sdkbuild-ready"
    if marker.is_file():
        return
    with file_lock(home.parent / ".conan-init.lock"):
        if marker.is_file():
            return
        home.mkdir(parents=True, exist_ok=True)
        managed = not os.environ.get("CONAN_HOME")
        if managed:
            r = subprocess.run([conan_exe(), "remote", "list", "--format=json"], env=tool_env(),
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise SdkbuildError(f"conan does not run: {r.stderr.strip()[-500:]}", "pip install 'conan>=2'")
            for remote in json.loads(r.stdout or "[]"):
                subprocess.run([conan_exe(), "remote", "remove", remote["name"]], env=tool_env(),
                               capture_output=True, text=True)
        marker.write_text("sdkbuild conan home\n")


# --------------------------------------------------------------------------- models + ops


def _converter_hash() -> str:
    h = hashlib.sha256()
    conv = Path(__file__).parent / "convert"
    for p in sorted(conv.rglob("*.py")):
        h.update(p.relative_to(conv).as_posix().encode() + p.read_bytes())
    for name in ("sdkm.py", "codec.py", "protect.py"):  # the file format, its coding and encryption
        h.update((Path(__file__).parent / name).read_bytes())
    return h.hexdigest()


def _tree_hash(h, root: Path, rel_to: Path) -> None:
    for p in sorted(root.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(p.relative_to(rel_to).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")


def bindings_hash() -> str:
    """sha256 of what the generated bindings come from: bindings/ (api.toml) and their templates."""
    h = hashlib.sha256()
    _tree_hash(h, paths.bindings_dir(), paths.bindings_dir().parent)
    for sub in ("jni", "java", "objc", "android", "apple"):
        if (paths.templates_dir() / sub).is_dir():
            _tree_hash(h, paths.templates_dir() / sub, paths.templates_dir().parent)
    return h.hexdigest()


def build_inputs(cfg: Config, models: Sequence[ConvertedModel]) -> dict:
    """What a build was made from (build-info "inputs"): shards packaged together must agree on all of it."""
    return {"sdk.toml": cfg.sha256, "models": {m.sdkm.name: m.sha256 for m in models},
            "converter": _converter_hash(), "engine_sources": sources_hash(), "bindings": bindings_hash()}


@dataclass(frozen=True)
class ConvertedModel:
    source: Path
    sdkm: Path
    sha256: str
    converted: bool  # False when the .sdkm was up to date


def convert_models(cfg: Config, log: list[str] | None = None) -> list[ConvertedModel]:
    """Convert [models] files to build/models/<stem>.sdkm, skipping those up to date (by hash)."""
    out: list[ConvertedModel] = []
    if not cfg.models.files:
        return out
    from .convert import Compression, convert_file

    cfg.models_dir.mkdir(parents=True, exist_ok=True)
    conv_hash = _converter_hash()
    for src in cfg.models.files:
        dst = cfg.models_dir / f"{src.stem}.sdkm"
        stamp = dst.with_name(dst.name + ".inputs.json")
        opts = cfg.models.options(src)
        key = None
        want = {"onnx": sha256_file(src), "converter": conv_hash, **opts.stamp()}
        if opts.encrypt:
            from .protect import load_key

            key = load_key()
            want["key_sha256"] = hashlib.sha256(key).hexdigest()  # a changed key re-encrypts; the key is not stored
        if dst.is_file() and stamp.is_file():
            try:
                if json.loads(stamp.read_text()) == want:
                    out.append(ConvertedModel(src, dst, sha256_file(dst), False))
                    continue
            except json.JSONDecodeError:
                pass
        convert_file(src, dst, input_shapes=dict(opts.input_shapes), quantize=opts.quantize,
                     calibration=opts.calibration,
                     compression=Compression(opts.prune, opts.weight_bits, opts.compress, opts.strip_names,
                                             opts.prune_channels),
                     encrypt_key=key)
        stamp.write_text(json.dumps(want, indent=1))
        if log is not None:
            log.append(f"converted {src.name} -> {dst}")
        out.append(ConvertedModel(src, dst, sha256_file(dst), True))
    return out


def _model_key(path: Path) -> bytes | None:
    """The model key when `path` is encrypted (its ops are read through it), else None."""
    from .protect import is_encrypted, load_key

    with open(path, "rb") as f:
        return load_key() if is_encrypted(f.read(4)) else None


@dataclass(frozen=True)
class OpSelection:
    ops: tuple[str, ...]  # op types, sorted
    dtypes: tuple[str, ...]  # engine dtypes (fp32, int8), canonical order
    by_model: dict[str, tuple[str, ...]] = field(default_factory=dict)  # model file name -> ops
    dtypes_by_model: dict[str, tuple[str, ...]] = field(default_factory=dict)
    auto: bool = True
    # the models with rANS-coded data: the engine compiles its decoder only for them
    coded: tuple[str, ...] = ()
    # the models with storage element types (int16, bfloat16, float8, int4, ...): the engine
    # compiles their conversions (Meson option `storage`) only for them
    storage: tuple[str, ...] = ()
    # the models with sparse weights: the engine compiles its sparse kernels only for them
    sparse: tuple[str, ...] = ()
    # the models with a convolution that takes the Winograd path: only they need it compiled
    winograd: tuple[str, ...] = ()


def select_ops(cfg: Config, models: Sequence[ConvertedModel], strict: bool = True) -> OpSelection:
    """ops = "auto": the union of the ops and dtypes the converted models use.

    strict=False (for --print-ops) reports ops the engine lacks instead of raising.
    """
    from . import sdkm

    avail = available_ops()  # stem -> type
    by_model: dict[str, tuple[str, ...]] = {}
    dt_by_model: dict[str, tuple[str, ...]] = {}
    coded: list[str] = []
    storage: list[str] = []
    sparse: list[str] = []
    winograd: list[str] = []
    for m in models:
        model = sdkm.read(m.sdkm, _model_key(m.sdkm))
        if model.uses_rans():
            coded.append(m.sdkm.name)
        if model.uses_storage_dtypes():
            storage.append(m.sdkm.name)
        if model.uses_sparse():
            sparse.append(m.sdkm.name)
        if model.uses_winograd():
            winograd.append(m.sdkm.name)
        by_model[m.sdkm.name] = tuple(model.ops_used())
        dts = {_SDKM_DTYPES[d] for d in model.dtypes_used() if d in _SDKM_DTYPES}
        dt_by_model[m.sdkm.name] = tuple(d for d in DTYPES if d in dts)
    used = sorted({op for ops in by_model.values() for op in ops})
    missing = [(op, [n for n, ops in by_model.items() if op in ops]) for op in used if op.lower() not in avail]
    if missing and strict:
        what = "; ".join(f"{op} (used by {', '.join(ms)})" for op, ms in missing)
        raise SdkbuildError(f"the engine has no implementation of: {what}",
                            f"available ops: {', '.join(sorted(avail.values()))}; change the model or add "
                            "engine/src/ops/<op>.cpp")
    # dtypes: "auto" = the kernel types the models use (both without models; fp32 when a model
    # uses neither); a list = exactly those, and a model needing another is an error
    want = {d for ds in dt_by_model.values() for d in ds}
    if cfg.engine.dtypes == "auto":
        dtypes = tuple(d for d in DTYPES if d in want) if models else DTYPES
        dtypes = dtypes or ("fp32",)
    else:
        dtypes = tuple(cfg.engine.dtypes)
        lacking = sorted(want - set(dtypes))
        if lacking:
            users = [n for n, ds in dt_by_model.items() if lacking[0] in ds]
            raise SdkbuildError(f"{', '.join(users)} need(s) dtype {lacking[0]}, but engine.dtypes = "
                                f"{list(dtypes)}", f'add "{lacking[0]}" to [engine] dtypes, or set dtypes = "auto"')
    if cfg.engine.ops == "auto":
        ops = tuple(sorted(avail.get(o.lower(), o) for o in used))
        return OpSelection(ops, dtypes, by_model, dt_by_model, True, tuple(coded), tuple(storage), tuple(sparse),
                           tuple(winograd))
    explicit = tuple(cfg.engine.ops)
    not_listed = [op for op in used if op.lower() not in {o.lower() for o in explicit}]
    if not_listed:
        raise SdkbuildError(f"engine.ops does not list {', '.join(not_listed)}, which the models use",
                            'add them to [engine] ops, or set ops = "auto"')
    return OpSelection(tuple(sorted(explicit)), dtypes, by_model, dt_by_model, False, tuple(coded),
                       tuple(storage), tuple(sparse), tuple(winograd))


def format_ops(sel: OpSelection, available: set[str] | None = None) -> str:
    """--print-ops: each op, the models using it; ops the engine lacks are marked."""
    lines = [f"ops ({'auto: from the models' if sel.auto else 'listed in sdk.toml'}): {', '.join(sel.ops) or '(none)'}",
             f"dtypes: {', '.join(sel.dtypes)}",
             f"rANS decoder: {'yes, for ' + ', '.join(sel.coded) if sel.coded else 'no (no model has coded data)'}",
             "storage types: " + ("yes, for " + ", ".join(sel.storage) if sel.storage
                                  else "no (no model has int16, bfloat16, float8, int4, ... tensors)"),
             f"sparse kernels: {'yes, for ' + ', '.join(sel.sparse) if sel.sparse else 'no (no model has sparse weights)'}",
             "winograd 3x3: " + ("yes, for " + ", ".join(sel.winograd) if sel.winograd
                                 else "no (no model has a dense 3x3 stride-1 conv on a plane >= 13x13)")]
    for op in sel.ops:
        users = [n for n, ops in sel.by_model.items() if op in ops]
        lack = "  [not in the engine]" if available is not None and op.lower() not in available else ""
        lines.append(f"  {op:<22} {', '.join(users) if users else '(listed, no model uses it)'}{lack}")
    for n, dts in sel.dtypes_by_model.items():
        lines.append(f"  {n}: {len(sel.by_model[n])} op types, dtypes {', '.join(dts)}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- one target


@dataclass(frozen=True)
class EngineRequest:
    """Everything the engine build of one target depends on (the Conan options)."""

    ops: tuple[str, ...]
    dtypes: tuple[str, ...]
    isa: tuple[str, ...]
    threads: bool
    lib_name: str
    lto: bool
    extra_sources: tuple[Path, ...] = ()
    extra_include_dirs: tuple[Path, ...] = ()
    export_jni: bool = False
    tests: bool = False
    hash_style: str = "sysv"  # DT_HASH: what every loader reads, Android below API 23 included
    # per-SDK symbol names (engine/tools/symbol_prefix.py): "visionkit" -> visionkit_sdk_*;
    # "" = the plain sdk_* names (the host engine of the Python runtime and the tests)
    symbol_prefix: str = ""
    # the rANS decoder of coded models (Meson option `coded`): `sdkbuild build` compiles it only
    # when one of the SDK's models is coded; the host engine keeps it
    coded: bool = True
    # the storage element types (Meson option `storage`): likewise, only for models using them
    storage: bool = True
    # the sparse-weight kernels (Meson option `sparse`): likewise only for SDKs with a model
    # that stores weights sparse; the host engine keeps them
    sparse: bool = True
    # Winograd 3x3 convolutions (Meson option `winograd`): likewise only for SDKs with a model
    # whose convolutions take them; the host engine keeps them
    winograd: bool = True

    @property
    def header(self) -> str:
        """The installed C header, relative to include/."""
        return f"{self.symbol_prefix}/engine.h" if self.symbol_prefix else "sdkengine/engine.h"
    objc: str = "none"  # iOS bindings: "sdk" (Apple SDK) or "standin" (Foundation stand-in), else "none"


def hash_style(target: Target, cfg: Config) -> str:
    """The ELF hash table(s) a target's library needs: DT_GNU_HASH alone is smaller and
    faster, but Android's loader reads it only from API 23."""
    return "gnu" if target.platform == "android" and cfg.android.min_sdk >= 23 else "sysv"


@dataclass
class TargetResult:
    target: str
    ok: bool
    toolchain: str = ""
    seconds: float = 0.0
    size: int = 0
    cached: bool = False  # Conan reused a package: nothing compiled
    source: str = ""  # "built", "cache", "remote" (downloaded)
    uptodate: bool = False  # outputs already current: Conan not even asked
    message: str = ""
    log: Path | None = None
    info: dict | None = None


class TargetFailed(Exception):
    """A tool failed for one target; the log holds the details."""


class _Log:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.fh = open(path, "w", encoding="utf-8")

    def write(self, text: str) -> None:
        self.fh.write(text if text.endswith("\n") else text + "\n")
        self.fh.flush()

    def run(self, cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        self.write("$ " + " ".join(cmd))
        try:
            r = procs.run(cmd, env=env, cwd=cwd, stdout=self.fh, stderr=subprocess.STDOUT)
        except procs.Cancelled:
            self.write("# interrupted")
            raise
        self.fh.flush()
        if r.returncode != 0:
            raise TargetFailed(f"{Path(cmd[0]).name} {cmd[1] if len(cmd) > 1 else ''} failed (exit {r.returncode})")

    def close(self) -> None:
        self.fh.close()


def conan_options(req: EngineRequest, kind: str, toolchain_id: str) -> list[str]:
    opts = {
        "ops": ",".join(req.ops),
        "dtypes": ",".join(req.dtypes),
        "isa": ",".join(req.isa),
        "threads": str(req.threads),
        "coded": str(req.coded),
        "storage": str(req.storage),
        "sparse": str(req.sparse),
        "winograd": str(req.winograd),
        "lib_name": req.lib_name,
        "shared": str(kind == "shared"),
        "lto": str(req.lto),
        "hash_style": req.hash_style,
        "export_jni": str(req.export_jni),
        "extra_sources": ",".join(str(p) for p in req.extra_sources),
        "extra_include_dirs": ",".join(str(p) for p in req.extra_include_dirs),
        "tests": str(req.tests),
        "toolchain_id": toolchain_id,
        "symbol_prefix": req.symbol_prefix,
        "objc": req.objc,
    }
    out: list[str] = []
    for k, v in opts.items():
        out += ["-o", f"sdkengine/*:{k}={v}"]
    return out


@dataclass(frozen=True)
class EngineBuild:
    package_folder: Path
    library: Path
    cached: bool  # nothing compiled: from the Conan cache or the remote
    rendered: toolchains.Rendered
    source: str = "built"  # "built", "cache" or "remote"
    remote: str | None = None
    uploaded: bool = False
    package_id: str = ""


def _engine_node(graph: Path) -> dict:
    data = json.loads(graph.read_text())
    node = next((n for n in data["graph"]["nodes"].values() if str(n.get("ref", "")).startswith("sdkengine/")), None)
    if node is None:
        raise TargetFailed(f"conan did not report the sdkengine package (see {graph})")
    return node


def local_build_folder(parent: Path, rendered: toolchains.Rendered, args: list[str]) -> Path:
    """A build folder per configuration (compilers, flags, options) under `parent`.

    Meson keeps the compilers and options of a folder's first setup, so a folder is reused
    only by the same configuration (incremental on source edits); others are removed.
    """
    key = hashlib.sha256("\0".join([
        rendered.toolchain_id, rendered.host_profile.read_text(), rendered.build_profile.read_text(), *args,
    ]).encode()).hexdigest()[:12]
    folder = parent / key
    if parent.is_dir():
        for old in parent.iterdir():
            if old.is_dir() and old.name != key:
                shutil.rmtree(old, ignore_errors=True)
    return folder


def export_recipe(log: _Log | None = None) -> str:
    """`conan export engine/`; returns the exact reference (`sdkengine/x.y.z#<revision>`).

    Builds look packages up by this pinned revision, not by "the latest": another checkout
    with different engine sources exports its own revision into the same cache and must not
    change what this one reuses.
    """
    ensure_conan_home()
    with tempfile.TemporaryDirectory(prefix="sdkbuild-export-") as tmp:
        out = Path(tmp) / "export.json"
        cmd = [conan_exe(), "export", str(paths.engine_dir()), "--format=json", "--out-file", str(out)]
        with conan_lock():
            if log is not None:
                log.run(cmd, tool_env())
            else:
                r = procs.run(cmd, env=tool_env(), capture_output=True, text=True)
                if r.returncode != 0:
                    raise SdkbuildError(f"conan export of the engine recipe failed:\n{r.stderr.strip()[-2000:]}")
        ref = json.loads(out.read_text()).get("reference", "")
    if not ref.startswith(ENGINE_REF + "#"):
        raise SdkbuildError(f"conan export did not report the engine's recipe revision (got {ref!r})")
    return ref


REMOTE_NAME = "sdkbuild"  # the Conan remote sdkbuild adds to its Conan home


@dataclass(frozen=True)
class Remote:
    """A Conan server sharing compiled engines between machines ([conan] remote / SDKBUILD_CONAN_REMOTE).

    Credentials come only from the environment (SDKBUILD_CONAN_USER, SDKBUILD_CONAN_PASSWORD);
    without them the remote is only read from (pull requests, forks), with them every engine
    this machine has that the remote lacks is uploaded.
    """

    url: str
    user: str | None = None
    password: str | None = None

    @property
    def can_upload(self) -> bool:
        return bool(self.user and self.password)

    def env(self) -> dict[str, str]:
        # Conan's own variables for a remote's login, so no credential reaches a command line or file
        if not self.can_upload:
            return {}
        return {f"CONAN_LOGIN_USERNAME_{REMOTE_NAME.upper()}": self.user or "",
                f"CONAN_PASSWORD_{REMOTE_NAME.upper()}": self.password or ""}


def remote_for(cfg: Config | None) -> Remote | None:
    url = os.environ.get("SDKBUILD_CONAN_REMOTE", "").strip() or (cfg.conan.remote if cfg is not None else None)
    if not url or url.lower() == "none":
        return None
    return Remote(url, os.environ.get("SDKBUILD_CONAN_USER") or None, os.environ.get("SDKBUILD_CONAN_PASSWORD") or None)


_remotes_added: set[tuple[str, str]] = set()


def ensure_remote(remote: Remote) -> None:
    """The remote in sdkbuild's Conan home, under the name "sdkbuild" (added or its URL updated)."""
    key = (str(conan_home()), remote.url)
    if key in _remotes_added:
        return
    ensure_conan_home()
    with conan_lock():
        r = procs.run([conan_exe(), "remote", "add", REMOTE_NAME, remote.url, "--force"], env=tool_env(),
                      capture_output=True, text=True)
    if r.returncode != 0:
        raise SdkbuildError(f"cannot add the Conan remote {remote.url}: {r.stderr.strip()[-500:]}",
                            "check [conan] remote in sdk.toml / SDKBUILD_CONAN_REMOTE")
    _remotes_added.add(key)


def build_engine(tc: Toolchain, req: EngineRequest, work: Path, log: _Log, jobs: int,
                 ref: str | None = None, remote: Remote | None = None) -> EngineBuild:
    """The engine package for one toolchain + request: from the Conan cache, else from the
    remote (when one is set), else built (and then uploaded when the remote takes uploads).

    Conan 2's cache takes one writer at a time, so only the short cache steps hold the lock
    (export the recipe, look up the binary, download, export-pkg the result); the compile itself
    is a `conan build` into work/engine/, which runs in parallel with other targets and is
    incremental between runs. Same package id as `conan create` would give. A remote that
    cannot be reached is logged and skipped: it never fails a build.
    """
    ensure_conan_home()
    rendered = toolchains.render(tc, work / "conan", jobs=jobs, launcher=toolchains.compiler_launcher())
    log.write(f"# machine file {rendered.machine_file}:\n{rendered.machine_file.read_text()}")
    conan, engine = conan_exe(), str(paths.engine_dir())
    common = ["-pr:h", str(rendered.host_profile), "-pr:b", str(rendered.build_profile),
              *conan_options(req, tc.library_kind, rendered.toolchain_id)]
    env = tool_env({**tc.env, **(remote.env() if remote else {})})
    graph = work / "conan" / "graph.json"
    if ref is None:
        ref = export_recipe(log)  # the recipe revision of the current sources
    if remote is not None:
        ensure_remote(remote)
    info = [conan, "graph", "info", f"--requires={ref}", *common, "--format=json", "--out-file", str(graph)]
    with conan_lock():
        binary = None
        if remote is not None:
            try:
                log.run([*info, "-r", REMOTE_NAME], env)
                binary = _engine_node(graph).get("binary")
            except TargetFailed:
                log.write(f"# the Conan remote {remote.url} did not answer: building without it")
                remote = None
        if binary is None:
            log.run([*info, "-nr"], env)
            binary = _engine_node(graph).get("binary")
        source = {"Cache": "cache", "Download": "remote"}.get(str(binary), "built")
        if source != "built":
            # -of: the generator scripts Conan writes would otherwise land in the cwd
            where = ["-r", REMOTE_NAME] if source == "remote" else ["-nr"]
            log.run([conan, "install", f"--requires={ref}", *where, "--build=never", *common,
                     "-of", str(work / "conan" / "install"), "--format=json", "--out-file", str(graph)], env)
            log.write(f"# engine {'downloaded from the Conan remote ' + remote.url if remote and source == 'remote' else 'from the Conan cache'}: nothing compiled")
    if source == "built":
        folder = local_build_folder(work / "engine", rendered, common)
        log.run([conan, "build", engine, "-nr", "-of", str(folder), *common], {**env, **zig_build_env(tc, folder)})
        with conan_lock():
            log.run([conan, "export-pkg", engine, "-nr", "-of", str(folder), *common,
                     "--format=json", "--out-file", str(graph)], env)
    node = _engine_node(graph)
    uploaded = False
    if remote is not None and remote.can_upload and source != "remote" and node.get("package_id"):
        try:
            with conan_lock():
                log.run([conan, "upload", f"{ref}:{node['package_id']}", "-r", REMOTE_NAME, "-c"], env)
            uploaded = True
        except TargetFailed:
            log.write(f"# warning: uploading the engine to the Conan remote {remote.url} failed (see above); "
                      "the build itself is fine")
    if not node.get("package_folder"):
        raise TargetFailed(f"conan did not report the sdkengine package folder (see {graph})")
    pkg = Path(node["package_folder"])
    ext = ".a" if tc.library_kind == "static" else ".so"
    lib = pkg / "lib" / f"lib{req.lib_name}{ext}"
    if not lib.is_file():
        raise TargetFailed(f"the engine package has no {lib.name} (in {pkg / 'lib'})")
    return EngineBuild(pkg, lib, source != "built", rendered, source, remote.url if remote else None, uploaded,
                       str(node.get("package_id", "")))


def _atomic_copy(src: Path, dst: Path) -> None:
    with open(src, "rb") as f, atomic_file(dst) as out:
        shutil.copyfileobj(f, out)


def _write_json(path: Path, data: dict) -> None:
    write_atomic(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def _bindings(cfg: Config, target: Target, tc: Toolchain) -> tuple[tuple[Path, ...], tuple[Path, ...], bool, str]:
    """The JNI/ObjC glue for this target: (sources, include dirs, exports JNI, objc mode).

    iOS slices compile the Objective-C layer with their own compiler: against the Apple SDK
    with Xcode, else against the declarations-only Foundation stand-in (a stand-in slice)."""
    from . import bindings
    tb = bindings.emit_for_target(cfg, target.name, cfg.build_dir, tc.source)
    if target.platform != "ios":
        return tuple(tb.sources), tuple(tb.include_dirs), bool(tb.export_jni), "none"
    # the engine's own include folder is in the Meson project already (and may not be named absolutely)
    incs = tuple(d for d in tb.include_dirs if Path(d).resolve() != (paths.engine_dir() / "include").resolve())
    if tc.source == "xcode":
        return tuple(tb.sources), incs, False, "sdk"
    from .package.xcframework import foundation_standin

    standin = foundation_standin()
    if standin is None:
        return (), (), False, "none"  # this install lacks the stand-in: the C API only
    return tuple(tb.sources), (*incs, standin), False, "standin"


def toolchain_label(tc: Toolchain) -> str:
    """'gnu aarch64-linux-gnu-g++ 12.2.0 (stand-in)', 'zig 0.13.0', ... for progress lines."""
    label = tc.version if tc.version.split(" ", 1)[0] == tc.source else f"{tc.source} {tc.version}"
    return label + (" (stand-in)" if tc.standin else "")


def _config_key(tc: Toolchain, req: EngineRequest, out: Path, engine_hash: str, cfg: Config,
                models: Sequence[ConvertedModel]) -> str:
    """Everything a target's outputs depend on; equal keys mean the outputs are current."""
    machine = toolchains.machine_file_text(tc, None)
    extra = [sha256_file(p) for p in req.extra_sources if p.is_file()]
    blob = json.dumps([machine, toolchains.conan_settings(tc), conan_options(req, tc.library_kind, ""), extra,
                       engine_hash, cfg.sha256, sorted((m.sdkm.name, m.sha256) for m in models), __version__,
                       sorted(tc.env.items()), tc.notes, tc.min_os, bindings_hash()])
    return hashlib.sha256(blob.encode()).hexdigest()


def _up_to_date(out: Path, key: str) -> dict | None:
    try:
        info = json.loads((out / "build-info.json").read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if info.get("conan", {}).get("config_key") != key:
        return None
    files = [out / info["library"], out / info["unstripped_library"],
             out / "include" / info.get("c_header", "sdkengine/engine.h")]
    return info if all(f.is_file() for f in files) and (out / info["library"]).stat().st_size == info["sizes"]["file"] else None


def build_target(cfg: Config, target_name: str, sel: OpSelection, models: Sequence[ConvertedModel],
                 jobs: int, engine_hash: str, bindings: bool = True, engine_ref: str | None = None) -> TargetResult:
    target = TARGETS[target_name]
    out = cfg.target_dir(target_name)
    if procs.cancelled():  # Ctrl-C while this target was queued: do not start it
        return TargetResult(target_name, False, message="interrupted")
    out.mkdir(parents=True, exist_ok=True)
    for folder in (out, out / "lib", out / "conan"):  # what a killed run of this target left
        locks.remove_leftovers(folder)
    prev_log = (out / "build.log").read_text(errors="replace") if (out / "build.log").is_file() else ""
    log = _Log(out / "build.log")
    t0 = time.monotonic()
    res = TargetResult(target_name, False, log=log.path)
    try:
        resolution = toolchains.resolve(target, cfg)
        for u in resolution.tried:
            log.write(f"# toolchain {u.source} unavailable: {u.reason}")
        if resolution.toolchain is None:
            err = resolution.error()
            log.write(str(err))
            res.message = str(err)
            return res
        tc = resolution.toolchain
        res.toolchain = toolchain_label(tc)
        log.write(f"# toolchain: {res.toolchain}")
        extra_src, extra_inc, jni, objc = _bindings(cfg, target, tc) if bindings else ((), (), False, "none")
        req = EngineRequest(
            ops=sel.ops, dtypes=sel.dtypes, isa=target.isa, threads=cfg.engine.threads,
            lib_name=cfg.sdk.lib_name, lto=cfg.engine.lto, extra_sources=extra_src,
            extra_include_dirs=extra_inc, export_jni=jni, hash_style=hash_style(target, cfg), objc=objc,
            symbol_prefix=cfg.sdk.lib_name, coded=bool(sel.coded),
            storage=bool(sel.storage), sparse=bool(sel.sparse), winograd=bool(sel.winograd),
        )
        key = _config_key(tc, req, out, engine_hash, cfg, models)
        prev = _up_to_date(out, key)
        if prev is not None:
            marker = "# up to date: same toolchain, options, engine sources and inputs as the build below"
            earlier = prev_log.split(marker + "\n", 1)[-1]  # no nesting over repeated no-op runs
            log.write(f"{marker}\n{earlier}")
            res.ok, res.cached, res.uptodate, res.info, res.size = True, True, True, prev, prev["sizes"]["file"]
            return res
        eb = build_engine(tc, req, out, log, jobs, ref=engine_ref, remote=remote_for(cfg))
        res.cached, res.source = eb.cached, eb.source
        log.write("# conan reused the cached package: nothing compiled" if eb.cached else "# engine built")
        info = _install(cfg, target, tc, req, eb, out, sel, models, engine_hash, log)
        if req.objc != "none":
            # compiled into the slice by its own toolchain (Xcode's SDK on a Mac), not later on
            # whichever machine packages; a stand-in Foundation makes the slice a stand-in
            info["objc"] = {"compiled_by": tc.source, "uses_real_sdk": req.objc == "sdk", "at": "build"}
        info["conan"]["config_key"] = key
        info["duration_s"] = round(time.monotonic() - t0, 2)
        _write_json(out / "build-info.json", info)
        res.ok, res.info, res.size = True, info, info["sizes"]["file"]
    except TargetFailed as e:
        res.message = str(e)
    except procs.Cancelled:
        res.message = "interrupted"
    except SdkbuildError as e:
        res.message = str(e)
        log.write(f"error: {e}")
    except Exception as e:  # one broken target must not take the others down; keep the trace in its log
        import traceback

        res.message = f"{type(e).__name__}: {e}"
        log.write("error: " + "".join(traceback.format_exception(e)))
    finally:
        res.seconds = time.monotonic() - t0
        log.close()
    return res


def _install(cfg: Config, target: Target, tc: Toolchain, req: EngineRequest, eb: EngineBuild, out: Path,
             sel: OpSelection, models: Sequence[ConvertedModel], engine_hash: str, log: _Log) -> dict:
    """Copy the package into build/<target>/ (stripped + unstripped) and describe it."""
    lib_dir = out / "lib"
    lib_dir.mkdir(parents=True, exist_ok=True)
    for old in lib_dir.iterdir():  # a previous build of another lib_name / kind must not linger
        if old.name.startswith("lib") and old.is_file():
            old.unlink()
    name = req.lib_name
    if tc.library_kind == "static":
        lib = lib_dir / f"lib{name}.a"
        _atomic_copy(eb.library, lib)
        unstripped = lib
    else:
        unstripped = lib_dir / f"lib{name}.unstripped.so"
        _atomic_copy(eb.library, unstripped)
        lib = lib_dir / f"lib{name}.so"
        tmp = lib.with_name(lib.name + ".tmp")
        if tc.strip:
            cmd = [tc.strip, "--strip-unneeded", "-R", ".comment", "-o", str(tmp), str(unstripped)]
            log.write("$ " + " ".join(cmd))
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                log.write(r.stdout + r.stderr)
                raise TargetFailed(f"strip failed: {r.stderr.strip()[:300]}")
        else:
            shutil.copyfile(unstripped, tmp)
        tmp.replace(lib)
    inc = out / "include"
    if inc.exists():
        shutil.rmtree(inc)
    shutil.copytree(eb.package_folder / "include", inc)
    features = [*req.dtypes, *req.isa, *(["threads"] if req.threads else []), *(["coded"] if req.coded else []),
                *(["storage"] if req.storage else []),
                *(["sparse"] if req.sparse and "fp32" in req.dtypes else []),
                *(["winograd"] if req.winograd and "fp32" in req.dtypes else [])]
    return {
        "schema": 1,
        "sdk": {"name": cfg.sdk.name, "version": cfg.sdk.version, "lib_name": name},
        "target": target.name, "platform": target.platform, "abi": target.abi, "arch": target.arch,
        "variant": target.variant,
        "toolchain": {"source": tc.source, "version": tc.version, "standin": tc.standin, "notes": list(tc.notes)},
        "min_os": tc.min_os,
        "library": lib.relative_to(out).as_posix(), "library_kind": tc.library_kind,
        "unstripped_library": unstripped.relative_to(out).as_posix(),
        "headers": "include",
        # the C API's names carry the SDK's prefix (visionkit_sdk_*), declared in this header
        "symbol_prefix": req.symbol_prefix,
        "c_header": req.header,
        "ops": list(req.ops),
        "op_sources": op_sources(req.ops, req.dtypes, req.isa),
        "features": features,
        "flags": {"c_args": list(eb.rendered.c_args), "link_args": list(eb.rendered.link_args), "lto": req.lto},
        "sizes": {"file": lib.stat().st_size, "stripped": lib.stat().st_size,
                  "unstripped": unstripped.stat().st_size},
        "inputs": {**build_inputs(cfg, models), "engine_sources": engine_hash},
        "jni": req.export_jni,
        "conan": {"package_folder": str(eb.package_folder), "reused": eb.cached, "source": eb.source,
                  "remote": eb.remote, "uploaded": eb.uploaded, "package_id": eb.package_id,
                  "toolchain_id": eb.rendered.toolchain_id},
        "sdkbuild_version": __version__,
    }


# --------------------------------------------------------------------------- the command


def _targets(cfg: Config, names: Sequence[str] | None) -> list[str]:
    if not names:
        return list(cfg.sdk.targets)
    out = []
    for n in names:
        if n not in TARGETS:
            import difflib

            close = difflib.get_close_matches(n, list(TARGETS), n=1)
            raise SdkbuildError(f"unknown target {n!r}" + (f" (did you mean {close[0]!r}?)" if close else ""),
                                f"targets: {', '.join(TARGETS)}")
        out.append(n)
    return list(dict.fromkeys(out))


def run_build(cfg: Config, targets: Sequence[str] | None = None, jobs: int | None = None, clean: bool = False,
              print_ops: bool = False, console=None, bindings: bool = True) -> list[TargetResult]:
    """The whole `sdkbuild build`; returns per-target results (the CLI exits 1 if any failed).

    Holds the project lock (a second build in the project waits, saying so). Ctrl-C/SIGTERM
    stop every tool tree and the queued targets at once (sdkbuild/procs.py).
    """
    from rich.console import Console

    con = console or Console(highlight=False, soft_wrap=True)
    names = _targets(cfg, targets)
    with procs.interruptible(), locks.project_lock(cfg.build_dir, "sdkbuild build",
                                                   say=lambda m: con.print(f"[yellow]{m}[/]")):
        return _run_build(cfg, con, names, jobs, clean, print_ops, bindings)


def _run_build(cfg: Config, con, names: list[str], jobs: int | None, clean: bool, print_ops: bool,
               bindings: bool) -> list[TargetResult]:
    for w in cfg.warnings:
        con.print(f"[yellow]warning:[/] {w}")
    if clean:
        for n in names:
            shutil.rmtree(cfg.target_dir(n), ignore_errors=True)
    locks.remove_leftovers(cfg.build_dir)
    locks.remove_leftovers(cfg.models_dir)
    conv_log: list[str] = []
    with con.status("converting models") if cfg.models.files and not print_ops else _nullctx():
        models = convert_models(cfg, conv_log)
    for line in conv_log:
        con.print(f"  {line}")
    sel = select_ops(cfg, models, strict=not print_ops)
    if print_ops:
        con.print(format_ops(sel, set(available_ops())), markup=False)
        return []
    if not sel.ops:
        con.print("[yellow]warning:[/] no ops selected (no models and no engine.ops): the engine will load no model")
    cores = os.cpu_count() or 2
    total = max(1, jobs or cores)
    workers = max(1, min(len(names), total))
    per_target = max(1, total // workers) if workers > 1 else total
    engine_hash = sources_hash()
    engine_ref = export_recipe()  # once per run, not per target: the Conan lock is the shared bottleneck
    results: list[TargetResult] = []
    con.print(f"building {len(names)} target(s): ops {', '.join(sel.ops) or '(none)'}; dtypes {', '.join(sel.dtypes)}")
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        with con.status(f"building {', '.join(names)}") as status:
            futs = [pool.submit(build_target, cfg, n, sel, models, per_target, engine_hash, bindings, engine_ref)
                    for n in names]
            for fut in as_completed(futs):
                r = fut.result()
                results.append(r)
                _print_result(con, r)
                left = [n for n in names if n not in {x.target for x in results}]
                status.update(f"building {', '.join(left)}")
    except BaseException:
        # Ctrl-C: queued targets never start; running ones end as soon as their tools are
        # stopped (procs.interruptible does that on the way out)
        procs.stop_all()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    order = {n: i for i, n in enumerate(names)}
    return sorted(results, key=lambda r: order[r.target])


@contextmanager
def _nullctx() -> Iterator[None]:
    yield


def _print_result(con, r: TargetResult) -> None:
    if r.ok:
        status = ("[green]up-to-date[/]" if r.uptodate else "[green]downloaded[/]" if r.source == "remote"
                  else "[green]cached[/]" if r.cached else "[green]built[/]")
        con.print(f"  {r.target:<22} {status:<20} {r.seconds:6.1f}s {r.size:>9,} B  {r.toolchain}")
        return
    con.print(f"  {r.target:<22} [red]FAILED[/] {r.seconds:6.1f}s  {r.toolchain}")
    con.print(f"    {r.message}", markup=False)
    if r.log and r.log.is_file():
        tail = r.log.read_text(errors="replace").splitlines()[-25:]
        for line in tail:
            con.print(f"    | {line}", markup=False)
        con.print(f"    full log: {r.log}", markup=False)


# --------------------------------------------------------------------------- host engine for tests/runtime


def ensure_host_engine(ops: Sequence[str] | None = None) -> Path:
    """A host build of the engine (all ops unless given, both dtypes), cached; its .so path.

    Built through the same Conan + Meson path into ~/.cache/sdkbuild/host-engine/<hash>/;
    a file lock keeps parallel pytest workers from building it twice.
    """
    avail = available_ops()
    chosen = sorted(avail.values()) if ops is None else sorted({avail.get(o.lower(), o) for o in ops})
    unknown = [o for o in chosen if o.lower() not in avail]
    if unknown:
        raise SdkbuildError(f"ensure_host_engine: unknown op(s) {', '.join(unknown)}",
                            f"available: {', '.join(sorted(avail.values()))}")
    target = TARGETS["host"]
    req = EngineRequest(ops=tuple(chosen), dtypes=DTYPES, isa=target.isa, threads=True, lib_name="sdkengine",
                        lto=False)
    engine_hash = sources_hash()
    key = hashlib.sha256(json.dumps([req.ops, req.dtypes, req.isa, engine_hash]).encode()).hexdigest()[:16]
    dest = cache_root() / "host-engine" / key
    lib = dest / "libsdkengine.so"
    if lib.is_file():
        return lib
    with file_lock(cache_root() / "host-engine" / f".{key}.lock"):
        if lib.is_file():
            return lib
        resolution = toolchains.resolve(target)
        if resolution.toolchain is None:
            raise resolution.error()
        work = Path(tempfile.mkdtemp(prefix="sdkbuild-host-"))
        log = _Log(work / "build.log")
        try:
            eb = build_engine(resolution.toolchain, req, work, log, os.cpu_count() or 2)
        except TargetFailed as e:
            log.close()
            tail = "\n".join(log.path.read_text(errors="replace").splitlines()[-30:])
            raise SdkbuildError(f"host engine build failed: {e}\n{tail}", f"full log: {log.path}") from None
        log.close()
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copytree(eb.package_folder / "include", dest / "include", dirs_exist_ok=True)
        _atomic_copy(eb.library, lib)
        shutil.rmtree(work, ignore_errors=True)
    return lib
