"""`sdkbuild package`: build outputs -> dist/ (AAR + POM, XCFramework + zip + Package.swift,
models), deterministic and atomic. Reads only build/ (build-info.json, libraries,
headers, models), so it can run on another machine than the builds (CI fan-in)."""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import bindings, locks, procs
from ..errors import SdkbuildError
from ..fileio import sha256_file, write_atomic
from ..targets import TARGETS
from . import aar, maven, shards, xcframework
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
            targets: list[str] | None = None, from_dirs: list[Path] | None = None, say=None) -> PackageResult:
    """Package every built Android and iOS target of cfg into dist/ (default: next to sdk.toml).

    Holds the project lock. The new set is written into a staging folder beside dist/ and
    swapped in at the end, so dist/ always holds one complete set, the old or the new.
    `from_dirs`: build folders from other machines (package/shards.py), checked and then
    installed into build/ first. Every packaged build must have been made from the same
    inputs as the others and as this checkout.
    """
    dist = Path(dist) if dist else cfg.root / "dist"
    say = say or (lambda m: None)
    with procs.interruptible(), locks.project_lock(cfg.build_dir, "sdkbuild package", say=say):
        if from_dirs:
            _collect(cfg, [Path(d) for d in from_dirs], say)
        return _package(cfg, dist, swiftpm_url, prefab, targets)


def expected_inputs(cfg: Any) -> dict[str, str]:
    """build-info "inputs" of a build of cfg by this sdkbuild (the models come from build/models)."""
    from ..build import _converter_hash, bindings_hash
    from ..engine_sources import sources_hash

    return {"sdk.toml": cfg.sha256, "converter": _converter_hash(), "engine_sources": sources_hash(),
            "bindings": bindings_hash()}


def _model_names(cfg: Any) -> list[str]:
    return [f"{Path(src).stem}.sdkm" for src in cfg.models.files]


def _collect(cfg: Any, dirs: list[Path], say) -> None:
    """Check the shards against each other and this checkout, then install them into build/."""
    found = shards.find(dirs)
    names = bindings.names_from_config(cfg)
    built = [shards.load(t, d, names.lib_name) for t, d in sorted(found.targets.items())]
    models = {n: found.models[n][0] for n in _model_names(cfg) if found.models.get(n)}
    if len(models) == len(_model_names(cfg)):
        shards.check_inputs(built, expected_inputs(cfg), models)
    installed = shards.install(found, cfg.build_dir, _model_names(cfg))
    say(f"collected {len(installed)} target(s) into {cfg.build_dir}: "
        + ", ".join(f"{t} (from {found.targets[t].parent})" for t in installed))


def _package(cfg: Any, dist: Path, swiftpm_url: str | None, prefab: bool, targets: list[str] | None) -> PackageResult:
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
    built = [aar.check_built(load_built_target(cfg.build_dir, t, names.lib_name)) for t in android]
    built += [xcframework.check_built(load_built_target(cfg.build_dir, t, names.lib_name)) for t in ios]
    shards.check_inputs(built, expected_inputs(cfg), {m.name: m for m in models})
    remove_package_leftovers(dist)
    stage = Path(tempfile.mkdtemp(prefix=f".{dist.name}.staging-{os.getpid()}-", dir=_parent(dist)))
    os.chmod(stage, 0o755)  # mkdtemp's 0700 would become dist/'s mode
    try:
        staged = _write_all(cfg, stage, android, ios, models, names, api, swiftpm_url, prefab)
        _carry_over(dist, stage, names)
        swap_in(stage, dist)
    finally:
        shutil.rmtree(stage, ignore_errors=True)  # after a swap: the old set
    result = PackageResult(dist)
    result.files = [dist / p.relative_to(stage) for p in staged]
    return result


def swiftpm_base_url(cfg: Any, url: str | None) -> str | None:
    """--swiftpm-url, else [publish] swiftpm_url: a real https URL (SwiftPM downloads over https)."""
    from ..config import check_url

    if url is not None:
        return check_url(url, "--swiftpm-url", https_only=True)
    pub = getattr(cfg, "publish", None)
    return getattr(pub, "swiftpm_url", None)


def _parent(dist: Path) -> Path:
    parent = dist.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    return parent


def _write_all(cfg: Any, stage: Path, android: list[str], ios: list[str], models: list[Path],
               names: bindings.SdkNames, api: Any, swiftpm_url: str | None, prefab: bool) -> list[Path]:
    """Every output of this run into `stage` (a fresh folder); returns the files written."""
    result = PackageResult(stage)
    if android:
        aar_path, pom = build_aar(cfg, cfg.build_dir, android, models, stage, api=api, prefab=prefab)
        result.files += [aar_path, pom]
        result.files += maven.write_repository(cfg, stage, aar_path, pom, api=api)  # dist/maven/
    if ios:
        xcf, zip_path, pkg, swift = build_xcframework(cfg, cfg.build_dir, ios, stage, swiftpm_url=swiftpm_url,
                                                      api=api)
        result.files += sorted(p for p in xcf.rglob("*") if p.is_file())
        result.files += [zip_path, pkg, swift]
    for m in models:
        result.files.append(write_atomic(stage / "models" / m.name, m.read_bytes()))
    sums = "".join(f"{h}  {name}\n" for name, h in result.sums().items())
    result.files.append(write_atomic(stage / "SHA256SUMS", sums))
    return result.files


# What `sdkbuild package` owns in dist/: replaced as a whole on every run. Everything else
# (reports/, files of the user's) is carried over into the new set.
_OWNED_NAMES = ("models", "SHA256SUMS", "Package.swift", "Sources", "maven")


def _owned(p: Path) -> bool:
    return p.name in _OWNED_NAMES or p.suffix in (".aar", ".pom", ".zip") or p.name.endswith(".xcframework")


def _carry_over(dist: Path, stage: Path, names: bindings.SdkNames) -> None:
    """Hard-link (else copy) what dist/ holds beyond the packages into the new set: reports/ etc.
    Packages of an earlier sdk.toml (another name or version) are not carried over."""
    if not dist.is_dir():
        return
    for p in sorted(dist.iterdir()):
        if _owned(p) or (stage / p.name).exists():
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.copytree(p, stage / p.name, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(str(p), str(stage / p.name))


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def swap_in(stage: Path, dist: Path) -> None:
    """Make `stage` the new dist/: one atomic exchange where the OS has it (Linux renameat2,
    macOS renamex_np), else two renames. Afterwards `stage` holds the old set (or nothing)."""
    if not dist.exists():
        os.rename(stage, dist)
        stage.mkdir()
        return
    if _exchange(stage, dist):
        return
    old = dist.with_name(f".{dist.name}.old-{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)
    os.rename(dist, old)
    os.rename(stage, dist)
    os.rename(old, stage)


def _exchange(a: Path, b: Path) -> bool:
    import ctypes
    import sys

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
            AT_FDCWD, RENAME_EXCHANGE = -100, 2
            return libc.renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0
        if sys.platform == "darwin" and hasattr(libc, "renamex_np"):
            RENAME_SWAP = 0x2
            return libc.renamex_np(os.fsencode(a), os.fsencode(b), RENAME_SWAP) == 0
    except (OSError, AttributeError):
        pass
    return False


def remove_package_leftovers(dist: Path) -> list[Path]:
    """What killed `sdkbuild package` runs left: staging/old folders beside dist/, temp files inside."""
    removed: list[Path] = []
    parent = dist.resolve().parent
    if parent.is_dir():
        for p in sorted(parent.glob(f".{dist.name}.staging-*")) + sorted(parent.glob(f".{dist.name}.old-*")):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    removed += locks.remove_leftovers(dist)
    return removed
