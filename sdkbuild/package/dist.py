"""`sdkbuild package`: build outputs -> dist/ (AAR + POM, XCFramework + zip + Package.swift,
models), deterministic and atomic. Reads only build/ (build-info.json, libraries,
headers, models), so it can run on another machine than the builds (CI fan-in)."""

from __future__ import annotations

import difflib
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import bindings
from ..errors import SdkbuildError
from ..fileio import sha256_file, write_atomic
from ..targets import TARGETS
from . import aar, maven, xcframework
from .aar import android_targets, build_aar, load_built_target
from .xcframework import build_xcframework, ios_targets


@dataclass
class PackageResult:
    dist: Path
    files: list[Path] = field(default_factory=list)  # every file written, for SHA256SUMS and the CLI

    def sums(self) -> dict[str, str]:
        return {p.relative_to(self.dist).as_posix(): sha256_file(p) for p in sorted(self.files) if p.is_file()}


def built_models(cfg: Any) -> list[Path]:
    """build/models/<stem>.sdkm of every [models] file, or an error saying to build."""
    out = []
    for src in cfg.models.files:
        m = cfg.models_dir / f"{Path(src).stem}.sdkm"
        if not m.is_file():
            raise SdkbuildError(f"converted model {m} is missing",
                                hint="run `sdkbuild build` (it converts [models] files into build/models/)")
        out.append(m)
    return out


def package(cfg: Any, *, dist: Path | None = None, swiftpm_url: str | None = None, prefab: bool = True,
            targets: list[str] | None = None) -> PackageResult:
    """Package every built Android and iOS target of cfg into dist/ (default: next to sdk.toml)."""
    dist = Path(dist) if dist else cfg.root / "dist"
    chosen = list(targets) if targets else list(cfg.sdk.targets)
    for t in chosen:
        if t not in TARGETS:
            close = difflib.get_close_matches(t, list(TARGETS), n=1)
            raise SdkbuildError(f"unknown target {t!r}" + (f" (did you mean {close[0]!r}?)" if close else ""),
                                hint=f"targets: {', '.join(TARGETS)}")
    android, ios = android_targets(chosen), ios_targets(chosen)
    if not android and not ios:
        raise SdkbuildError("nothing to package: [sdk] targets has no android-* or ios-* target",
                            hint='add e.g. "android-arm64-v8a" or "ios-arm64" to [sdk] targets')
    swiftpm_url = swiftpm_base_url(cfg, swiftpm_url)  # arguments first, before reading builds
    api = bindings.load_api()
    models = built_models(cfg)
    # every input checked before anything is written: a missing target leaves dist/ as it was
    names = bindings.names_from_config(cfg)
    for t in android:
        aar.check_built(load_built_target(cfg.build_dir, t, names.lib_name))
    for t in ios:
        xcframework.check_built(load_built_target(cfg.build_dir, t, names.lib_name))
    result = PackageResult(dist)
    with tempfile.TemporaryDirectory(prefix="sdkbuild-preflight-") as tmp:
        jars = preflight(cfg, android, ios, Path(tmp), api)
        _write_packages(cfg, dist, android, ios, models, api, prefab, swiftpm_url, jars, result)
    return result


def swiftpm_base_url(cfg: Any, url: str | None) -> str | None:
    """--swiftpm-url, else [publish] swiftpm_url: a real https URL (SwiftPM downloads over https)."""
    from ..config import check_url

    if url is not None:
        return check_url(url, "--swiftpm-url", https_only=True)
    pub = getattr(cfg, "publish", None)
    return getattr(pub, "swiftpm_url", None)


def preflight(cfg: Any, android: list[str], ios: list[str], work: Path, api: bindings.Api) -> tuple[Path, Path] | None:
    """The steps of packaging that can fail on good builds, run before dist/ is touched: the
    Objective-C layer compiled for every iOS slice (into build/), the Java API compiled and its
    Javadoc generated (the sources and javadoc jars, returned for the Maven repository)."""
    names = bindings.names_from_config(cfg)
    for t in ios:
        b = load_built_target(cfg.build_dir, t, names.lib_name)
        if not xcframework.archive_has_objc(b.library, names.objc_prefix):
            xcframework.compile_objc(cfg, t, cfg.build_dir, b.headers)
    if not android:
        return None
    aar.build_classes_jar(cfg, work / "classes.jar", api=api)
    return maven.source_and_javadoc_jars(cfg, work, api)


def _write_packages(cfg: Any, dist: Path, android: list[str], ios: list[str], models: list[Path],
                    api: bindings.Api, prefab: bool, swiftpm_url: str | None, jars: tuple[Path, Path] | None,
                    result: PackageResult) -> None:
    names = bindings.names_from_config(cfg)
    if android:
        aar_path, pom = build_aar(cfg, cfg.build_dir, android, models, dist, api=api, prefab=prefab)
        result.files += [aar_path, pom]
        result.files += maven.write_repository(cfg, dist, aar_path, pom, jars=jars)
    if ios:
        xcf, zip_path, pkg = build_xcframework(cfg, cfg.build_dir, ios, dist, swiftpm_url=swiftpm_url, api=api)
        result.files += sorted(p for p in xcf.rglob("*") if p.is_file())
        result.files += [zip_path, pkg]
    models_dir = dist / "models"
    if models_dir.exists():  # only this run's models, none from an earlier sdk.toml
        for old in models_dir.glob("*.sdkm"):
            if old.name not in {m.name for m in models}:
                old.unlink()
    for m in models:
        result.files.append(write_atomic(models_dir / m.name, m.read_bytes()))
    clean_stale(dist, names)
    if not android and maven.repository_dir(dist).exists():  # no AAR this time: no stale repository
        shutil.rmtree(maven.repository_dir(dist))
    sums = "".join(f"{h}  {name}\n" for name, h in result.sums().items())
    result.files.append(write_atomic(dist / "SHA256SUMS", sums))


def clean_stale(dist: Path, names: bindings.SdkNames) -> None:
    """Remove packages an earlier sdk.toml produced (another name or version); reports/ stays."""
    current = {f"{names.name}-{names.version}.aar", f"{names.name}-{names.version}.pom",
               f"{names.module_name}.xcframework", f"{names.module_name}.xcframework.zip"}
    for p in dist.iterdir():
        if p.name in current or not (p.suffix in (".aar", ".pom", ".zip") or p.name.endswith(".xcframework")):
            continue
        shutil.rmtree(p) if p.is_dir() else p.unlink()
