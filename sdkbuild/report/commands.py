"""What `sdkbuild report size` and `sdkbuild report coverage` do (cli.py only parses options)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SdkbuildError
from . import dump_json, load_json, regression, size, template_env, write_atomic


@dataclass(frozen=True)
class Settings:
    """The parts of sdk.toml the reports use; all optional so reports also run without one."""

    root: Path
    sdk: dict[str, Any]
    targets: tuple[str, ...] | None
    min_sdk: int
    ios_min_version: str
    report: Any  # config.ReportSection or None


def settings(config_path: str | None) -> Settings:
    """Load sdk.toml through config.py; with no --config and no ./sdk.toml, use defaults."""
    from .. import config as cfgmod

    p = Path(config_path) if config_path else Path.cwd() / "sdk.toml"
    if config_path is None and not p.exists():
        return Settings(Path.cwd(), {}, None, 21, "13.0", None)
    cfg = cfgmod.load(p)
    return Settings(cfg.root, {"name": cfg.sdk.name, "version": cfg.sdk.version, "lib_name": cfg.sdk.lib_name},
                    tuple(cfg.sdk.targets), cfg.android.min_sdk, cfg.ios.min_version, cfg.report)


def _dirs(s: Settings, build_dir: str | None, dist: str | None, out: str | None) -> tuple[Path, Path, Path]:
    b = Path(build_dir) if build_dir else s.root / "build"
    d = Path(dist) if dist else s.root / "dist"
    o = Path(out) if out else d / "reports"
    return b, d, o


def render_size_md(report: dict[str, Any]) -> str:
    cmp = report["comparison"]
    targets = report["targets"]
    op_targets = [t for t, r in targets.items() if r.get("op_attribution", "none") != "none"]
    op_table = {t: regression.op_rows(targets[t]) for t in op_targets}
    op_names = sorted({o for t in op_targets for o in targets[t]["ops"]}) + [regression.SHARED, regression.CORE]
    changes = [(t, c) for t, c in cmp["changes"].items() if c["ops"] or c["symbols"] or c["sections"]]
    hf = [(r["target"], r["hardening_failures"]) for r in cmp["rows"] if r["hardening_failures"]]
    return template_env().get_template("size.md.j2").render(
        sdk=report["sdk"], cmp=cmp, targets=targets, op_targets=op_targets, op_names=op_names, op_table=op_table, changes=changes,
        hardening_failures=hf, missing=report.get("missing_targets", []), packages=report["packages"],
        elf_rows=[(t, r["hardening"]) for t, r in targets.items() if r["hardening"]["format"] == "elf"],
        macho_rows=[(t, r["hardening"]) for t, r in targets.items() if r["hardening"]["format"] == "macho"],
        standins=[t for t, r in targets.items() if r.get("standin")],
        notes=[(t, n) for t, r in targets.items() for n in r.get("notes", [])],
        models=report.get("models", []),
    )


def render_html(out: Path) -> Path:
    """(Re)write report.html from whatever size.json / coverage.json exist in `out`."""
    from . import html

    sz = load_json(out / "size.json", "size report") if (out / "size.json").is_file() else None
    cov = load_json(out / "coverage.json", "coverage report") if (out / "coverage.json").is_file() else None
    path = out / "report.html"
    write_atomic(path, html.render(sz, cov))
    return path


def size_command(config: str | None, build_dir: str | None, dist: str | None, baseline: str | None,
                 out: str | None) -> dict[str, Any]:
    """Write size.json, size.md, report.html; raise SdkbuildError (exit 1) when a budget is exceeded."""
    s = settings(config)
    b, d, o = _dirs(s, build_dir, dist, out)
    base_path = Path(baseline) if baseline else (s.report.baseline if s.report and s.report.baseline else None)
    base = None
    if base_path is not None:
        if baseline is None and not Path(base_path).exists():
            base_path = None  # [report] baseline names a file CI has not written yet: not an error
        else:
            base = regression.load_baseline(Path(base_path))  # before collecting: a bad baseline fails fast
    report = size.collect(b, d, s.targets, s.sdk, s.ios_min_version)
    cmp = regression.compare(report, base, regression.Budgets.from_config(s.report),
                             str(base_path) if base_path is not None else None)
    report["comparison"] = cmp
    write_atomic(o / "size.json", dump_json(report))
    write_atomic(o / "size.md", render_size_md(report))
    render_html(o)
    report["_out"] = str(o)
    if cmp["failures"]:
        raise SdkbuildError("size budget exceeded: " + "; ".join(cmp["failures"]),
                            f"see {o / 'size.md'}; shrink the SDK (fewer ops/targets) or raise [report.budgets] in sdk.toml")
    return report


def coverage_command(config: str | None, build_dir: str | None, devices: str | None, dist: str | None,
                     out: str | None) -> dict[str, Any]:
    from . import coverage

    s = settings(config)
    b, d, o = _dirs(s, build_dir, dist, out)
    if not b.is_dir():  # a typo'd --build-dir would otherwise give a confident 0% report
        raise SdkbuildError(f"build directory {b} does not exist", "run `sdkbuild build` first, or pass --build-dir")
    report = coverage.compute(b, s.targets, s.min_sdk, s.ios_min_version, Path(devices) if devices else None)
    write_atomic(o / "coverage.json", dump_json(report))
    write_atomic(o / "coverage.md", coverage.render_md(report))
    render_html(o)
    report["_out"] = str(o)
    return report
