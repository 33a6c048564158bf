"""Packaging builds made on several machines (`sdkbuild package --from DIR ...`).

A shard is a build folder, or part of one, from `sdkbuild build --target T` elsewhere:
`<dir>/<target>/build-info.json` (+ library, headers) and `<dir>/models/*.sdkm`. Each --from
DIR may be a shard or a folder of shards (as CI's download-artifact lays them out:
`DIR/<artifact>/<target>/`, `DIR/<artifact>/models/`).

Every build-info records what the build was made from ("inputs": sdk.toml, the converted
models, the converter, the engine sources, the bindings). Before anything is packaged,
`check_inputs` requires all packaged targets to agree on each, and to match this checkout
(its sdk.toml and sdkbuild) and the models being shipped; a mismatch is an error naming what
differs and which target has which value. `collect` then installs the shards into build/.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SdkbuildError
from ..fileio import sha256_file
from ..targets import TARGETS
from .aar import BuiltTarget

# build-info "inputs" keys, as named in errors
INPUTS = {
    "sdk.toml": "sdk.toml",
    "converter": "the converter (sdkbuild/convert, sdkm.py)",
    "engine_sources": "the engine sources",
    "bindings": "the bindings (bindings/api.toml and their templates)",
}
REBUILD = ("build every target from the same commit (same sdk.toml, models and sdkbuild), "
           "then package again")


@dataclass(frozen=True)
class Shards:
    targets: dict[str, Path]  # target -> its folder in a shard
    models: dict[str, list[Path]]  # model file name -> every copy found


def _short(v: Any) -> str:
    return str(v)[:12] if v else "(not recorded: built by an older sdkbuild)"


def find(dirs: list[Path]) -> Shards:
    """The target folders and models under each DIR (a shard, or a folder of shards)."""
    targets: dict[str, Path] = {}
    models: dict[str, list[Path]] = {}
    for d in dirs:
        if not d.is_dir():
            raise SdkbuildError(f"--from {d}: no such folder",
                                "pass the folders the build jobs' artifacts were downloaded to")
        found = 0
        for shard in [d, *sorted(p for p in d.iterdir() if p.is_dir() and p.name not in TARGETS)]:
            folders = {t: shard / t for t in TARGETS if (shard / t / "build-info.json").is_file()}
            own = _target_of(shard)  # a target's build folder itself (e.g. an artifact of build/<target>)
            if own is not None:
                folders.setdefault(own, shard)
            for t, folder in folders.items():
                if t in targets and not _same_build(targets[t], folder):
                    raise SdkbuildError(f"target {t} is in two shards with different builds: {targets[t]} and "
                                        f"{folder}", "pass each target's build once")
                targets.setdefault(t, folder)
                found += 1
            for m in sorted((shard / "models").glob("*.sdkm")):
                models.setdefault(m.name, []).append(m)
        if not found:
            raise SdkbuildError(f"--from {d}: no build-info.json in {d}/<target>/ or {d}/*/<target>/",
                                "upload build/<target>/ and build/models/ from each build job "
                                "(see ci/github-actions.yml)")
    return Shards(targets, models)


def _target_of(folder: Path) -> str | None:
    """The target a folder holding build-info.json directly was built for."""
    try:
        t = json.loads((folder / "build-info.json").read_text()).get("target")
    except (OSError, ValueError, AttributeError):
        return None
    return t if t in TARGETS else None


def load(target: str, folder: Path, lib_name: str) -> BuiltTarget:
    """A shard's build of `target` in `folder` (checked like build/<target>/)."""
    info_path = folder / "build-info.json"
    hint = f"rebuild it: `sdkbuild build --target {target}` (on the machine that builds it)"
    try:
        info = json.loads(info_path.read_text())
    except (OSError, ValueError) as e:
        raise SdkbuildError(f"{info_path} is not readable JSON ({e})", hint) from None
    if not info.get("library") or not (folder / str(info["library"])).is_file():
        raise SdkbuildError(f"{info_path} names library {info.get('library')!r}, which does not exist", hint)
    if info.get("sdk", {}).get("lib_name") != lib_name:
        raise SdkbuildError(f"the shard's build of {target} is of library {info.get('sdk', {}).get('lib_name')!r}, "
                            f"but sdk.toml says {lib_name!r}", REBUILD)
    return BuiltTarget(target, folder, info)


def _same_build(a: Path, b: Path) -> bool:
    return (a / "build-info.json").read_bytes() == (b / "build-info.json").read_bytes()


def check_inputs(built: list[BuiltTarget], expected: dict[str, str], models: dict[str, Path]) -> None:
    """All packaged builds made from the same inputs, those of this checkout and of `models`."""
    for key, what in INPUTS.items():
        values: dict[str, list[str]] = {}
        for b in built:
            values.setdefault(str(b.info.get("inputs", {}).get(key) or ""), []).append(b.name)
        here = expected.get(key)
        if len(values) > 1 or (here is not None and set(values) != {here}):
            parts = [f"{', '.join(ts)}: {_short(v)}" for v, ts in sorted(values.items(), key=lambda kv: kv[1])]
            if here is not None:
                parts.append(f"this checkout: {_short(here)}")
            raise SdkbuildError(f"the builds do not match: {what} differ ({'; '.join(parts)})", REBUILD)
    want: dict[str, str] = {name: sha256_file(p) for name, p in models.items()}
    for b in built:
        got = b.info.get("inputs", {}).get("models")
        if got is None:
            raise SdkbuildError(f"the build of {b.name} does not record its models (built by an older sdkbuild)",
                                REBUILD)
        if got != want:
            diff = sorted(n for n in set(got) | set(want) if got.get(n) != want.get(n))
            detail = "; ".join(f"{n}: {b.name} was built with {_short(got.get(n))}, packaging {_short(want.get(n))}"
                               for n in diff)
            raise SdkbuildError(f"the builds do not match: the converted models differ ({detail})", REBUILD)


def install(shards: Shards, build_dir: Path, model_names: list[str]) -> list[str]:
    """Copy the shards' target folders and models into build_dir (each replaced whole); returns targets."""
    for name in model_names:
        copies = shards.models.get(name, [])
        if not copies:
            raise SdkbuildError(f"no shard holds the converted model {name} (looked in <dir>/models/)",
                                "upload build/models/ with every build job's build/<target>/")
        digests = {sha256_file(c) for c in copies}
        if len(digests) > 1:
            raise SdkbuildError(f"the builds do not match: the shards hold different {name} files "
                                f"({', '.join(str(c) for c in copies)})", REBUILD)
    build_dir.mkdir(parents=True, exist_ok=True)
    for t, src in sorted(shards.targets.items()):
        _replace_tree(src, build_dir / t)
    (build_dir / "models").mkdir(exist_ok=True)
    for name in model_names:
        tmp = build_dir / "models" / f".{name}.{os.getpid()}.tmp"
        shutil.copyfile(shards.models[name][0], tmp)
        os.replace(tmp, build_dir / "models" / name)
    return sorted(shards.targets)


def _replace_tree(src: Path, dest: Path) -> None:
    if src.resolve() == dest.resolve():
        return
    tmp = dest.with_name(f".{dest.name}.incoming-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(src, tmp, symlinks=True)
    old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
    if dest.exists():
        os.replace(dest, old)
    os.replace(tmp, dest)
    shutil.rmtree(old, ignore_errors=True)
