"""ctypes access to a host build of the engine's C API (engine/include/sdkengine/engine.h).

    with Engine() as eng, eng.load("model.sdkm") as model, model.session(threads=2) as s:
        outputs = s.run({"x": np.zeros((1, 3, 8, 8), np.float32)})

Library lookup: the `lib_path` argument, else $SDKBUILD_ENGINE_LIB, else
`sdkbuild.build.ensure_host_engine()` (the Conan+Meson host build). `build_dev_engine()` is
a direct Meson development build of all ops (for tests), cached by a hash of the engine sources.
Every engine failure raises `EngineError` carrying the status and the engine's message.
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import numpy as np

from . import paths, sdkm
from .errors import SdkbuildError, printable
from .fileio import atomic_file
from .hosttools import venv_tool

# ---------------------------------------------------------------- C API declarations

SDK_OK = 0
STATUS_NAMES = {
    0: "SDK_OK",
    1: "SDK_ERR_INVALID_ARGUMENT",
    2: "SDK_ERR_IO",
    3: "SDK_ERR_BAD_MODEL",
    4: "SDK_ERR_UNSUPPORTED",
    5: "SDK_ERR_OUT_OF_MEMORY",
    6: "SDK_ERR_STATE",
    7: "SDK_ERR_INTERNAL",
}
MAX_RANK = 6
DTYPES = sdkm.DTYPES  # sdk_dtype code -> numpy dtype (the same codes as the file format)
_STORAGE_CODES = {v: k for k, v in sdkm.STORAGE_DTYPES.items()}


class _TensorInfo(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("dtype", ctypes.c_int32),
        ("rank", ctypes.c_int32),
        ("dims", ctypes.c_int32 * MAX_RANK),
        ("byte_size", ctypes.c_size_t),
        ("scale", ctypes.c_float),
        ("zero_point", ctypes.c_int32),
    ]


class _MemoryInfo(ctypes.Structure):
    _fields_ = [
        ("weights_bytes", ctypes.c_size_t),
        ("arena_bytes", ctypes.c_size_t),
        ("arena_lower_bound", ctypes.c_size_t),
        ("naive_bytes", ctypes.c_size_t),
        ("packed_weights_bytes", ctypes.c_size_t),
    ]


class _SessionOptionsEx(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("num_threads", ctypes.c_int32),
                ("max_session_bytes", ctypes.c_size_t)]


class _ModelOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("max_model_bytes", ctypes.c_size_t)]


# engine.h's defaults of the memory limits (0 in an option selects them)
DEFAULT_MAX_MODEL_BYTES = 1 << 30
DEFAULT_MAX_SESSION_BYTES = 1 << 30


_P = ctypes.c_void_p
_SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "sdk_version": (ctypes.c_char_p, []),
    "sdk_build_info": (ctypes.c_char_p, []),
    "sdk_last_error": (ctypes.c_char_p, []),
    "sdk_status_string": (ctypes.c_char_p, [ctypes.c_int]),
    "sdk_model_load_file": (ctypes.c_int, [ctypes.c_char_p, ctypes.POINTER(_P)]),
    "sdk_model_load_memory": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(_P)]),
    "sdk_model_load_memory_in_place_ex": (
        ctypes.c_int, [_P, ctypes.c_size_t, ctypes.POINTER(_ModelOptions), ctypes.POINTER(_P)],
    ),
    "sdk_model_load_file_ex": (ctypes.c_int, [ctypes.c_char_p, ctypes.POINTER(_ModelOptions), ctypes.POINTER(_P)]),
    "sdk_model_load_memory_ex": (
        ctypes.c_int, [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(_ModelOptions), ctypes.POINTER(_P)],
    ),
    "sdk_model_free": (None, [_P]),
    "sdk_model_input_count": (ctypes.c_int32, [_P]),
    "sdk_model_output_count": (ctypes.c_int32, [_P]),
    "sdk_model_input_info": (ctypes.c_int, [_P, ctypes.c_int32, ctypes.POINTER(_TensorInfo)]),
    "sdk_model_output_info": (ctypes.c_int, [_P, ctypes.c_int32, ctypes.POINTER(_TensorInfo)]),
    "sdk_model_find_input": (ctypes.c_int32, [_P, ctypes.c_char_p]),
    "sdk_model_find_output": (ctypes.c_int32, [_P, ctypes.c_char_p]),
    "sdk_model_memory_info": (ctypes.c_int, [_P, ctypes.POINTER(_MemoryInfo)]),
    "sdk_session_create_ex": (ctypes.c_int, [_P, ctypes.POINTER(_SessionOptionsEx), ctypes.POINTER(_P)]),
    "sdk_session_free": (None, [_P]),
    "sdk_session_set_input": (ctypes.c_int, [_P, ctypes.c_int32, _P, ctypes.c_size_t]),
    "sdk_session_set_input_f32": (ctypes.c_int, [_P, ctypes.c_int32, _P, ctypes.c_size_t]),
    "sdk_session_input_buffer": (ctypes.c_int, [_P, ctypes.c_int32, ctypes.POINTER(_P), ctypes.POINTER(ctypes.c_size_t)]),
    "sdk_session_run": (ctypes.c_int, [_P]),
    "sdk_session_get_output": (ctypes.c_int, [_P, ctypes.c_int32, _P, ctypes.c_size_t]),
    "sdk_session_get_output_f32": (ctypes.c_int, [_P, ctypes.c_int32, _P, ctypes.c_size_t]),
    "sdk_session_output_buffer": (
        ctypes.c_int,
        [_P, ctypes.c_int32, ctypes.POINTER(_P), ctypes.POINTER(ctypes.c_size_t)],
    ),
}


class EngineError(SdkbuildError):
    """A failed engine call: `status` (sdk_status code) and the engine's own message."""

    def __init__(self, message: str, status: int, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.status = status
        self.status_name = STATUS_NAMES.get(status, f"status {status}")


_HINTS = {
    4: "the engine build lacks an op or feature the model needs: add it to the engine's op list and rebuild",
    5: "if you trust this model, raise the limit: Engine.load(..., max_model_bytes=N) or "
       "Model.session(..., max_session_bytes=N) (the defaults are 1 GiB each)",
}
_BUSY_HINT = ("a Session is single-threaded: give each thread its own Session (Model.session(); "
              "sessions share the model's weights)")


# ---------------------------------------------------------------- plain results


@dataclass(frozen=True)
class TensorInfo:
    name: str
    dtype: np.dtype
    shape: tuple[int, ...]
    byte_size: int
    scale: float
    zero_point: int


@dataclass(frozen=True)
class MemoryInfo:
    weights_bytes: int
    arena_bytes: int
    arena_lower_bound: int
    naive_bytes: int
    packed_weights_bytes: int


# ---------------------------------------------------------------- library lookup


def available_ops() -> list[str]:
    """Op types that have an engine/src/ops/<op>.cpp (as the engine's selector sees them), sorted."""
    from .engine_sources import available_ops as by_stem

    return sorted(by_stem().values())


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sdkbuild" / "dev-engine"


def build_dev_engine(ops: Sequence[str] | None = None, *, tests: bool = False, quiet: bool = True,
                     meson_options: Sequence[str] = (), cxx: str | None = None) -> Path:
    """Build the host engine directly with Meson (all ops by default) and return the .so.

    Cached in ~/.cache/sdkbuild/dev-engine/<hash of engine sources + options>/; a file
    lock makes parallel pytest workers wait for one build instead of racing.
    `meson_options` (e.g. "-Db_sanitize=address,undefined") and `cxx` (the compiler, e.g.
    "clang++") make other builds of the same sources, cached the same way (the sanitizer
    and fuzzing builds of tests/test_fuzz.py).
    """
    from .engine_sources import sources_hash
    from .targets import get as get_target

    engine = paths.engine_dir()
    # A build of every op always has the test programs too: the library is the same either way,
    # and callers that want the tests (tests/engine_helpers.py) then share one build with those
    # that do not, instead of compiling every op twice.
    tests = tests or ops is None
    ops = sorted(ops) if ops is not None else available_ops()
    isa = list(get_target("host").isa)  # the host's SIMD kernels, as the Conan host build selects them
    options = json.dumps({"ops": ops, "tests": tests, "isa": isa, "meson": list(meson_options), "cxx": cxx})
    key = hashlib.sha256(f"{sources_hash()}\n{options}".encode()).hexdigest()[:16]
    root = _cache_root() / key
    lib = root / "build" / "libsdkengine.so"
    stamp = root / "ok"
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.is_file() and lib.is_file():
            return lib
        build = root / "build"
        shutil.rmtree(build, ignore_errors=True)
        env = dict(os.environ)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        if cxx:
            env["CXX"] = cxx
        setup = [
            venv_tool("meson"), "setup", str(build), str(engine),
            f"-Dops={','.join(ops)}", f"-Disa={','.join(isa)}", f"-Dtests={'true' if tests else 'false'}",
            *meson_options,
        ]
        for cmd in (setup, [venv_tool("ninja"), "-C", str(build), "-j2"]):
            r = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if r.returncode != 0:
                log = (r.stdout + r.stderr).strip().splitlines()
                shutil.rmtree(build, ignore_errors=True)
                raise SdkbuildError(
                    f"building the development engine failed: {' '.join(cmd[:2])}\n" + "\n".join(log[-30:]),
                    hint="fix the engine sources above, or point SDKBUILD_ENGINE_LIB at a built libsdkengine.so",
                )
        stamp.write_text(str(lib))
    return lib


def find_engine_library(lib_path: str | os.PathLike | None = None) -> Path:
    if lib_path is not None:
        p = Path(lib_path)
        if not p.is_file():
            raise SdkbuildError(f"engine library {p} does not exist", hint="build the engine or fix the path")
        return p.resolve()  # dlopen searches the library path for a name without '/'; a path must stay a path
    env = os.environ.get("SDKBUILD_ENGINE_LIB")
    if env:
        p = Path(env)
        if not p.is_file():
            raise SdkbuildError(f"SDKBUILD_ENGINE_LIB={env} does not exist", hint="unset it or point it at a .so")
        return p.resolve()
    from .build import ensure_host_engine  # lazy: `import sdkbuild.runtime` stays light

    return Path(ensure_host_engine())


def symbol_prefix(path: Path) -> str:
    """"" for the plain sdk_* C API, "visionkit_" for an SDK's library (visionkit_sdk_*): read
    from the dynamic symbol table (engine/tools/symbol_prefix.py names them)."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        with open(path, "rb") as f:
            dynsym = ELFFile(f).get_section_by_name(".dynsym")
            names = [sym.name for sym in dynsym.iter_symbols()] if dynsym is not None else []
    except (ELFError, OSError):
        return ""
    found = sorted(n[: -len("sdk_version")] for n in names if n.endswith("sdk_version") and n[0] != "_")
    return "" if not found or "" in found else found[0]


class _Api:
    """The C API of one loaded library under its plain names (`sdk_run(...)`), whatever the
    library's symbol prefix; keeps the CDLL alive."""

    def __init__(self, lib: ctypes.CDLL, prefix: str) -> None:
        self.cdll = lib
        self.prefix = prefix


def _load_library(path: Path) -> _Api:
    try:
        lib = ctypes.CDLL(str(path))
    except OSError as e:
        raise SdkbuildError(f"cannot load engine library {path}: {e}",
                            hint="point --engine-lib / SDKBUILD_ENGINE_LIB at a host libsdkengine.so, or rebuild it") from None
    prefix = "" if hasattr(lib, "sdk_version") else symbol_prefix(path)
    api = _Api(lib, prefix)
    for name, (res, args) in _SIGNATURES.items():
        try:
            fn = getattr(lib, prefix + name)
        except AttributeError:
            raise SdkbuildError(f"{path} does not export {prefix + name}: not an sdkengine library?") from None
        fn.restype = res
        fn.argtypes = args
        setattr(api, name, fn)
    return api


# ---------------------------------------------------------------- objects


class Engine:
    """A loaded engine library. Models and sessions keep it alive."""

    def __init__(self, lib_path: str | os.PathLike | None = None) -> None:
        self.path = find_engine_library(lib_path)
        self._lib = _load_library(self.path)

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        pass  # a CDLL cannot be unloaded safely; kept for symmetry with Model/Session

    def _check(self, status: int, what: str = "") -> None:
        if status != SDK_OK:
            msg = (self._lib.sdk_last_error() or b"").decode(errors="replace")
            name = STATUS_NAMES.get(status, f"status {status}")
            hint = _BUSY_HINT if status == 6 and "another thread" in msg else _HINTS.get(status)
            raise EngineError(f"{what}{msg or name}", status, hint)

    @property
    def version(self) -> str:
        return self._lib.sdk_version().decode()

    @property
    def build_info(self) -> dict:
        return json.loads(self._lib.sdk_build_info().decode())

    @property
    def ops(self) -> list[str]:
        return list(self.build_info["ops"])

    def load(self, model: str | os.PathLike | bytes, key: bytes | None = None, *,
             max_model_bytes: int | None = None) -> Model:
        """Load a .sdkm file or its bytes; an encrypted model (sdkbuild convert --encrypt) needs
        its `key` and is decrypted here, in Python, then loaded from memory. `max_model_bytes`
        caps what the model holds (file copy, tables, packed weights; default 1 GiB): a model
        over it is refused before the memory is allocated (EngineError SDK_ERR_OUT_OF_MEMORY)."""
        from . import protect

        handle = _P()
        opts = _ModelOptions(ctypes.sizeof(_ModelOptions), _limit(max_model_bytes, "max_model_bytes"))
        data = bytes(model) if isinstance(model, bytes | bytearray | memoryview) else None
        if key is not None or (data is not None and protect.is_encrypted(data)):
            if data is None:
                data = Path(model).read_bytes()
            if protect.is_encrypted(data):
                if key is None:
                    raise SdkbuildError("the model is encrypted", hint="pass its key: Engine.load(model, key=...)")
                data = protect.decrypt(data, key)
        if data is not None:
            self._check(self._lib.sdk_model_load_memory_ex(data, len(data), ctypes.byref(opts), ctypes.byref(handle)))
        else:  # mapped, weights used in place (engine.h)
            self._check(self._lib.sdk_model_load_file_ex(os.fsencode(model), ctypes.byref(opts), ctypes.byref(handle)))
        return Model(self, handle)

    def load_in_place(self, buffer: np.ndarray, *, max_model_bytes: int | None = None) -> Model:
        """A model over `buffer` (the bytes of a .sdkm file) without a copy when the buffer is
        64-byte aligned: the model reads its weights from it, so it keeps a reference to the
        buffer; do not change it while the model lives. Unaligned buffers are copied.
        `max_model_bytes` caps what the model allocates (tables, packed weights, the copy of an
        unaligned buffer), not the caller's buffer used in place."""
        arr = np.ascontiguousarray(buffer).view(np.uint8).reshape(-1)
        handle = _P()
        opts = _ModelOptions(ctypes.sizeof(_ModelOptions), _limit(max_model_bytes, "max_model_bytes"))
        self._check(self._lib.sdk_model_load_memory_in_place_ex(arr.ctypes.data, arr.nbytes, ctypes.byref(opts),
                                                                ctypes.byref(handle)))
        model = Model(self, handle)
        model._backing = arr  # keeps the memory alive while the native model may read it
        return model


def _limit(value: int | None, name: str) -> int:
    """An option's byte limit for the C API: None = the engine's default (0)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SdkbuildError(f"{name} must be a positive number of bytes, got {value!r}",
                            hint=f"omit {name} for the default (1 GiB)")
    return min(value, ctypes.c_size_t(-1).value)


def _info(raw: _TensorInfo) -> TensorInfo:
    return TensorInfo(
        name=raw.name.decode(errors="replace"),
        dtype=DTYPES[raw.dtype],
        shape=tuple(raw.dims[: raw.rank]),
        byte_size=int(raw.byte_size),
        scale=float(raw.scale),
        zero_point=int(raw.zero_point),
    )


class _Handle:
    """An engine object (model or session): freed once, by close(), `with` or garbage collection."""

    _kind = "object"

    def __init__(self, lib: _Api, handle: ctypes.c_void_p, free: str) -> None:
        self._lib = lib
        self._h: ctypes.c_void_p | None = handle
        self._free = free

    @property
    def handle(self) -> ctypes.c_void_p:
        if self._h is None:
            raise EngineError(f"the {self._kind} is closed", 6)
        return self._h

    def close(self) -> None:
        if self._h is not None:
            getattr(self._lib, self._free)(self._h)
            self._h = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


class Model(_Handle):
    _kind = "model"

    def __init__(self, engine: Engine, handle: ctypes.c_void_p) -> None:
        super().__init__(engine._lib, handle, "sdk_model_free")
        self.engine = engine
        self._backing: np.ndarray | None = None  # load_in_place: the memory the weights live in
        self.inputs = [self._tinfo(self._lib.sdk_model_input_info, i) for i in range(self._lib.sdk_model_input_count(handle))]
        self.outputs = [
            self._tinfo(self._lib.sdk_model_output_info, i) for i in range(self._lib.sdk_model_output_count(handle))
        ]

    def _tinfo(self, fn: object, i: int) -> TensorInfo:
        raw = _TensorInfo()
        self.engine._check(fn(self._h, i, ctypes.byref(raw)))  # type: ignore[operator]
        return _info(raw)

    def memory_info(self) -> MemoryInfo:
        raw = _MemoryInfo()
        self.engine._check(self._lib.sdk_model_memory_info(self.handle, ctypes.byref(raw)))
        return MemoryInfo(**{f: int(getattr(raw, f)) for f, _ in _MemoryInfo._fields_})

    def input_index(self, name: str) -> int:
        i = self._lib.sdk_model_find_input(self.handle, name.encode())
        if i < 0:
            self.engine._check(1)
        return int(i)

    def output_index(self, name: str) -> int:
        i = self._lib.sdk_model_find_output(self.handle, name.encode())
        if i < 0:
            self.engine._check(1)
        return int(i)

    def session(self, threads: int = 1, *, max_session_bytes: int | None = None) -> Session:
        """A new session (its own arena) on `threads` threads. `max_session_bytes` caps the
        session's memory (arena, scratch; default 1 GiB): over it, the session is refused before
        anything is allocated. A session is single-threaded: use one per thread."""
        opts = _SessionOptionsEx(ctypes.sizeof(_SessionOptionsEx), threads,
                                 _limit(max_session_bytes, "max_session_bytes"))
        h = _P()
        self.engine._check(self._lib.sdk_session_create_ex(self.handle, ctypes.byref(opts), ctypes.byref(h)))
        return Session(self, h)



class Session(_Handle):
    """One model's arena and state. Single-threaded like the C session: a call while another
    thread is inside a call on the same Session raises EngineError (SDK_ERR_STATE, "in use on
    another thread") instead of running on shared buffers; use one Session per thread."""

    _kind = "session"

    def __init__(self, model: Model, handle: ctypes.c_void_p) -> None:
        super().__init__(model._lib, handle, "sdk_session_free")
        self.model = model  # keeps the model alive while the session is
        # names resolved here, once: a run's Python overhead matters next to a small model
        self._in_index = {t.name: i for i, t in enumerate(model.inputs)}
        self._out_index = {t.name: i for i, t in enumerate(model.outputs)}

    def _index(self, key: int | str, outputs: bool = False) -> int:
        if isinstance(key, str):
            i = (self._out_index if outputs else self._in_index).get(key)
            if i is None:  # the engine's own message lists the names
                return self.model.output_index(key) if outputs else self.model.input_index(key)
            return i
        return int(key)

    def set_input(self, key: int | str, array: np.ndarray) -> None:
        """Copy `array` into input `key`; float data for an int8 input is quantized."""
        i = self._index(key)
        if not 0 <= i < len(self.model.inputs):
            raise EngineError(f"input index {i} out of range (model has {len(self.model.inputs)} inputs)", 1)
        info = self.model.inputs[i]
        code = _STORAGE_CODES.get(info.dtype)
        if code is not None:  # a storage type (int16, bfloat16, float8, int4, ...): its bytes, sub-byte packed
            arr = np.asarray(array)
            if tuple(arr.shape) != info.shape:
                raise EngineError(f"input '{info.name}' has shape {list(info.shape)}, got {list(arr.shape)}", 1)
            if arr.dtype != info.dtype:
                raise EngineError(f"input '{info.name}' is {info.dtype.name}, got {arr.dtype.name} data (convert it "
                                  f"with .astype(ml_dtypes/numpy {info.dtype.name}))", 1)
            raw = sdkm.to_bytes(arr, code)
            self.model.engine._check(self._lib.sdk_session_set_input(self.handle, i, raw, len(raw)))
            return
        if (type(array) is np.ndarray and array.dtype == info.dtype and array.shape == info.shape
                and array.flags.c_contiguous):  # the common case, without conversions
            self.model.engine._check(self._lib.sdk_session_set_input(self.handle, i, array.ctypes.data, array.nbytes))
            return
        arr = np.asarray(array)
        if tuple(arr.shape) != info.shape:
            raise EngineError(f"input '{info.name}' has shape {list(info.shape)}, got {list(arr.shape)}", 1)
        if arr.dtype == info.dtype:
            arr = np.ascontiguousarray(arr)
            self.model.engine._check(self._lib.sdk_session_set_input(self.handle, i, arr.ctypes.data, arr.nbytes))
        elif arr.dtype.kind == "f" and info.dtype != np.float32 and info.scale > 0:
            arr = np.ascontiguousarray(narrow_floats(arr, np.dtype(np.float32), info.name)[0])
            self.model.engine._check(self._lib.sdk_session_set_input_f32(self.handle, i, arr.ctypes.data, arr.size))
        elif arr.dtype.kind == info.dtype.kind == "f" or (arr.dtype.kind in "iu" and info.dtype.kind in "iu"):
            if arr.dtype.kind == "f":
                arr = narrow_floats(arr, info.dtype, info.name)[0]
            if arr.dtype.kind in "iu" and arr.size:
                lim = np.iinfo(info.dtype)
                if arr.min() < lim.min or arr.max() > lim.max:
                    raise EngineError(f"input '{info.name}' is {info.dtype.name}: values {arr.min()}..{arr.max()} "
                                      "do not fit", 1)
            arr = np.ascontiguousarray(arr, dtype=info.dtype)
            self.model.engine._check(self._lib.sdk_session_set_input(self.handle, i, arr.ctypes.data, arr.nbytes))
        else:
            raise EngineError(f"input '{info.name}' is {info.dtype.name}, got {arr.dtype.name} data", 1)

    def run(self, inputs: Mapping[str | int, np.ndarray] | None = None, *,
            dequantize: bool = False) -> dict[str, np.ndarray]:
        """Set `inputs` (if given), run, and return every output by name (int8 ones as float32 if `dequantize`)."""
        for k, v in (inputs or {}).items():
            self.set_input(k, v)
        self.model.engine._check(self._lib.sdk_session_run(self.handle))
        return {o.name: self.get_output(i, dequantize=dequantize) for i, o in enumerate(self.model.outputs)}

    def get_output(self, key: int | str, *, dequantize: bool = False) -> np.ndarray:
        i = self._index(key, outputs=True)
        if not 0 <= i < len(self.model.outputs):
            raise EngineError(f"output index {i} out of range (model has {len(self.model.outputs)} outputs)", 1)
        info = self.model.outputs[i]
        if dequantize and info.dtype != np.float32:
            out = np.empty(info.shape, np.float32)
            self.model.engine._check(self._lib.sdk_session_get_output_f32(self.handle, i, out.ctypes.data, out.size))
            return out
        code = _STORAGE_CODES.get(info.dtype)
        if code is not None:  # a storage type: unpacked into its ml_dtypes/numpy array
            raw = ctypes.create_string_buffer(info.byte_size)
            self.model.engine._check(self._lib.sdk_session_get_output(self.handle, i, raw, info.byte_size))
            return sdkm.from_bytes(raw.raw, code, info.shape).copy()
        out = np.empty(info.shape, info.dtype)
        self.model.engine._check(self._lib.sdk_session_get_output(self.handle, i, out.ctypes.data, out.nbytes))
        return out



def float_target(arr: np.ndarray, info: TensorInfo) -> np.dtype | None:
    """The float type `arr` becomes on its way into input `info` when that loses precision
    (float64 into a float32 input, float data into a quantized input via float32, ...), else None."""
    if arr.dtype.kind != "f":
        return None
    target = info.dtype if info.dtype.kind == "f" else (np.dtype(np.float32) if info.scale > 0 else None)
    return target if target is not None and arr.dtype.itemsize > target.itemsize else None


def narrow_floats(arr: np.ndarray, target: np.dtype, name: str) -> tuple[np.ndarray, float]:
    """`arr` as `target` floats and the largest relative change the rounding made; finite
    values beyond `target`'s range are refused (they would become inf)."""
    if arr.dtype == target:
        return arr, 0.0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = arr.astype(target)
        finite = np.isfinite(arr)
        if np.any(finite & ~np.isfinite(out)):
            big = float(np.abs(arr[finite]).max())
            raise EngineError(f"input '{name}' is {target.name}: values up to {big:.6g} do not fit "
                              f"(the largest {target.name} is {float(np.finfo(target).max):.6g})", 1,
                              hint="scale the data into the model's input range")
        nz = finite & (arr != 0)
        rel = float(np.max(np.abs((out[nz].astype(np.float64) - arr[nz]) / arr[nz]), initial=0.0))
    return out, rel


# ---------------------------------------------------------------- `sdkbuild run`


def _load_npy(path: Path) -> np.ndarray:
    hint = "pass a .npy file written by numpy.save"
    try:
        with path.open("rb") as f:
            # np.load falls back to pickle for unknown bytes and then blames pickling: check the magic first
            if f.read(6) != b"\x93NUMPY":
                raise SdkbuildError(f"input array {path} is not a .npy file (no NumPy header)", hint)
            f.seek(0)
            return np.load(f, allow_pickle=False)
    except OSError as e:
        raise SdkbuildError(f"cannot read input array {path}: {e.strerror or e}", hint) from None
    except ValueError as e:
        raise SdkbuildError(f"input array {path} is not a valid .npy file: {e}", hint) from None


def run_model(model_path: Path, input_specs: Sequence[str], output_dir: Path, threads: int = 1,
              lib_path: str | None = None, dequantize: bool = False, key: bytes | None = None,
              warn: Callable[[str], None] | None = None) -> dict[str, Path]:
    """The `sdkbuild run` command: inputs from .npy files, outputs to OUTPUT_DIR/<name>.npy.

    Float arrays for int8 inputs are quantized with the input's scale/zero point;
    `dequantize` writes int8 outputs as float32. Float arrays wider than the input (float64
    into float32) are converted with a warning through `warn` (default: stderr) naming the
    input, the file and the largest relative change; values that do not fit are refused.
    """
    if warn is None:
        def warn(msg: str) -> None:
            print(f"warning: {printable(msg)}", file=sys.stderr)
    if not model_path.is_file():
        raise SdkbuildError(f"model {model_path} does not exist")
    if threads < 1:
        raise SdkbuildError(f"--threads must be at least 1, got {threads}")
    with Engine(lib_path) as eng, eng.load(model_path, key) as model:
        names = [i.name for i in model.inputs]
        given: dict[str, np.ndarray] = {}
        files: dict[str, str] = {}
        for spec in input_specs:
            name, sep, file = spec.partition("=")
            if sep and (not name or not file):
                raise SdkbuildError(f"--input {spec!r} is malformed: expected NAME=FILE.npy",
                                    hint=f"inputs: {', '.join(names)}")
            if not sep:
                if len(names) != 1:
                    raise SdkbuildError(
                        f"--input {spec}: the model has {len(names)} inputs, so name it: --input NAME=file.npy",
                        hint=f"inputs: {', '.join(names)}",
                    )
                name, file = names[0], spec
            if name not in names:
                raise SdkbuildError(f"--input {spec}: the model has no input '{name}'", hint=f"inputs: {', '.join(names)}")
            if name in given:
                raise SdkbuildError(f"input '{name}' is given twice")
            given[name] = _load_npy(Path(file))
            files[name] = file
        missing = [n for n in names if n not in given]
        if missing:
            raise SdkbuildError(
                f"missing input(s): {', '.join(missing)}",
                hint="pass each with --input NAME=file.npy (shapes: "
                + ", ".join(f"{i.name} {list(i.shape)} {i.dtype.name}" for i in model.inputs) + ")",
            )
        # Narrowing float conversions (float64 .npy files into float32 inputs: numpy's default
        # float) are done, but never silently: each is announced with what it changed.
        for info in model.inputs:
            target = float_target(given[info.name], info)
            if target is not None:
                arr = given[info.name]
                given[info.name], rel = narrow_floats(arr, target, info.name)
                warn(f"input '{info.name}': {files[info.name]} holds {arr.dtype.name} values; converted to "
                     f"{target.name}, what the model computes with (largest relative change {rel:.2g})")
        with model.session(threads) as s:
            outputs = s.run(given, dequantize=dequantize)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SdkbuildError(f"cannot create the output folder {output_dir}: {e.strerror or e}",
                            hint="pass a writable --output folder") from None
    written: dict[str, Path] = {}
    for name, arr in outputs.items():
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "output"
        dest = output_dir / f"{safe}.npy"
        with atomic_file(dest) as f:
            np.save(f, arr)
        written[name] = dest
    return written
