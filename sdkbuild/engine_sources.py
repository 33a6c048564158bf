"""Which engine source files an op selection compiles (engine/tools/select_sources.py).

The engine's Meson build picks sources with that script; build-info's `op_sources` and
config validation call the same code so the three never disagree.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import io
from types import ModuleType

from . import paths


@functools.cache
def _tool(name: str) -> ModuleType:
    script = paths.engine_dir() / "tools" / f"{name}.py"
    if not script.is_file():
        raise ImportError(f"{script} not found")
    spec = importlib.util.spec_from_file_location(f"_sdk_{name}", script)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _module() -> ModuleType:
    return _tool("select_sources")


# ---- per-SDK symbol names (engine/tools/symbol_prefix.py: the one definition of the renaming)


def rename_c_api(text: str, prefix: str) -> str:
    """C/C++/ObjC source using engine.h's names -> the same source using the SDK's prefixed names."""
    return _tool("symbol_prefix").rename_c_api(text, prefix)


def public_header(prefix: str) -> str:
    """engine.h as the users of an SDK with this prefix include it (`<prefix>/engine.h`)."""
    return _tool("symbol_prefix").public_header((paths.engine_dir() / "include/sdkengine/engine.h").read_text(),
                                                 prefix)


def api_functions() -> list[str]:
    """The C API functions engine.h declares (unprefixed names)."""
    return _tool("symbol_prefix").api_functions((paths.engine_dir() / "include/sdkengine/engine.h").read_text())


def available_ops() -> dict[str, str]:
    """lower-case stem -> op type, e.g. {"conv": "Conv"}."""
    return dict(_module().available_ops(paths.engine_dir() / "src"))


def select(ops: list[str] | tuple[str, ...], dtypes: tuple[str, ...], isa: tuple[str, ...]) -> list[str]:
    """Engine-relative source paths compiled for `ops` (beyond the core)."""
    out = io.StringIO()
    err = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = _module().main(["--engine", str(paths.engine_dir()), "--ops", ",".join(ops),
                             "--dtypes", ",".join(dtypes), "--isa", ",".join(isa)])
    if rc != 0:
        raise ValueError(err.getvalue().strip())
    return [line.split(" ", 1)[1] for line in out.getvalue().splitlines() if " " in line]


def op_sources(ops: list[str] | tuple[str, ...], dtypes: tuple[str, ...], isa: tuple[str, ...]) -> dict[str, list[str]]:
    """Per op, the files compiled for it (as paths under the engine folder, e.g. "src/ops/conv.cpp")."""
    return {op: select([op], dtypes, isa) for op in ops}


def sources_hash() -> str:
    """sha256 over every engine file that can reach a build (path + content), for build-info inputs."""
    root = paths.engine_dir()
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if not p.is_file() or rel.startswith(("builddir", "test_package")) or "__pycache__" in rel:
            continue
        h.update(rel.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()
