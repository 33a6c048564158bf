"""Reports over built artifacts: size (per target/section/op/symbol), regression against a
baseline with budgets, device coverage, and hardening checks; rendered as JSON, Markdown
(PR comment) and one self-contained HTML page into dist/reports/.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2

from ..errors import SdkbuildError
from ..fileio import write_atomic  # noqa: F401  (re-exported: the report modules write through it)
from ..paths import templates_dir


def dump_json(data: Any) -> str:
    """Deterministic JSON: sorted keys, fixed indentation, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SdkbuildError(f"{what} not found: {path}", "check the path") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise SdkbuildError(f"{what} {path} is not valid JSON: {e}", "regenerate it, or pass another file") from None


def template_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir() / "report"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
    )
    env.filters["bytes"] = fmt_bytes
    env.filters["signed"] = fmt_signed
    env.filters["pct"] = fmt_pct
    return env


def fmt_bytes(n: int | float | None) -> str:
    if n is None:
        return "–"
    n = int(n)
    if abs(n) < 1024:
        return f"{n} B"
    if abs(n) < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1024 * 1024):.2f} MiB"


def fmt_signed(n: int | None) -> str:
    if n is None:
        return "–"
    return f"{n:+,d} B" if n else "0 B"


def fmt_pct(p: float | None) -> str:
    if p is None:
        return "–"
    return f"{p:+.2f}%"
