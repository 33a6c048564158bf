"""Where the engine sources, templates and API description live.

In a checkout (or an editable install) they are the repository's top-level folders; in
an installed wheel they ship inside the package under `_data/`.
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _resource(name: str) -> Path:
    bundled = _PKG / "_data" / name
    if bundled.is_dir():
        return bundled
    in_checkout = _PKG.parent / name
    if in_checkout.is_dir():
        return in_checkout
    raise FileNotFoundError(f"sdkbuild resource folder {name!r} not found (looked in {bundled} and {in_checkout})")


def engine_dir() -> Path:
    return _resource("engine")


def templates_dir() -> Path:
    return _resource("templates")


def bindings_dir() -> Path:
    return _resource("bindings")
