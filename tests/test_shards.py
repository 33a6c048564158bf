"""Packaging builds made on other machines (`sdkbuild package --from DIR ...`, package/shards.py):
the shards laid out as CI's download-artifact does, their build-info inputs checked against
each other and this checkout (a mismatch names what differs), and the Objective-C layer of
an Xcode slice that lacks it labelled a stand-in when this machine has no Apple SDK."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bindings_helpers import shared_once

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("package-project")]  # waits for it: one worker

SDKBUILD = [sys.executable, "-m", "sdkbuild.cli"]
TARGETS = ["android-arm64-v8a", "android-x86_64", "ios-arm64", "ios-simulator-arm64", "ios-simulator-x86_64"]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    from test_package import _make_project

    return shared_once(tmp_path_factory, "package-project", _make_project)


def _checkout(src: Path, dest: Path) -> Path:
    """A clean checkout of the SDK repository: sdk.toml and models, no build/."""
    dest.mkdir(parents=True)
    shutil.copy(src / "sdk.toml", dest / "sdk.toml")
    shutil.copytree(src / "models", dest / "models")
    return dest


def _shards(src: Path, dest: Path) -> Path:
    """What download-artifact (merge-multiple: false) lays out: one folder per build job's
    artifact, holding build/<target>/ and build/models/."""
    for t in TARGETS:
        art = dest / f"build-{t}"
        shutil.copytree(src / "build" / t, art / t, ignore=shutil.ignore_patterns("engine", "conan"))
        shutil.copytree(src / "build" / "models", art / "models")
    return dest


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*SDKBUILD, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_package_from_collected_shards_equals_a_local_package(built: Path, tmp_path: Path) -> None:
    repo = _checkout(built, tmp_path / "repo")
    shards = _shards(built, tmp_path / "shards")
    r = _run(repo, "package", "--from", str(shards))
    assert r.returncode == 0, r.stderr[-3000:]
    assert "collected 5 target(s)" in r.stderr
    for name in ("TinyKit-0.3.0.aar", "TinyKit.xcframework.zip", "models/tiny.sdkm", "SHA256SUMS"):
        assert _digest(repo / "dist" / name) == _digest(built / "dist" / name), name
    r = _run(repo, "report", "size")  # the collected build folders serve the reports as well
    assert r.returncode == 0, r.stderr[-3000:]


def _edit_info(shard_target: Path, **inputs: str) -> None:
    p = shard_target / "build-info.json"
    info = json.loads(p.read_text())
    info["inputs"].update(inputs)
    p.write_text(json.dumps(info))


def _fails(repo: Path, shards: Path, *expected: str) -> str:
    r = _run(repo, "package", "--from", str(shards))
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-3000:]
    for e in expected:
        assert e in r.stderr, r.stderr
    assert "hint: build every target from the same commit" in r.stderr
    assert not (repo / "dist").exists()
    return r.stderr


@pytest.mark.parametrize("key, what", [("engine_sources", "the engine sources"),
                                       ("converter", "the converter"),
                                       ("bindings", "the bindings")])
def test_shards_from_different_sources_are_refused_naming_what_differs(built: Path, tmp_path: Path, key: str,
                                                                       what: str) -> None:
    repo = _checkout(built, tmp_path / "repo")
    shards = _shards(built, tmp_path / "shards")
    _edit_info(shards / "build-ios-arm64" / "ios-arm64", **{key: "0123456789abcdef" * 4})
    _fails(repo, shards, f"the builds do not match: {what}", "ios-arm64: 0123456789ab",
           "android-arm64-v8a, android-x86_64, ios-simulator-arm64, ios-simulator-x86_64:")


def test_a_changed_sdk_toml_or_model_is_refused(built: Path, tmp_path: Path) -> None:
    repo = _checkout(built, tmp_path / "repo")
    shards = _shards(built, tmp_path / "shards")
    (repo / "sdk.toml").write_text((repo / "sdk.toml").read_text() + "\n# edited after the builds\n")
    _fails(repo, shards, "the builds do not match: sdk.toml differ", "this checkout:")

    repo2 = _checkout(built, tmp_path / "repo2")
    model = shards / "build-android-x86_64" / "models" / "tiny.sdkm"
    model.write_bytes(model.read_bytes()[:-4] + b"\0\0\0\0")
    _fails(repo2, shards, "the shards hold different tiny.sdkm")


def test_xcode_slice_packaged_on_linux_is_labelled_standin(built: Path, tmp_path: Path) -> None:
    """A slice Xcode built without the Objective-C layer (an older build) gets it compiled here,
    against the Foundation stand-in: the slice is a stand-in then, whatever built the engine."""
    from sdkbuild.hosttools import find_tool

    repo = _checkout(built, tmp_path / "repo")
    (repo / "sdk.toml").write_text((repo / "sdk.toml").read_text().replace(
        json.dumps(TARGETS), json.dumps(["ios-arm64"])))
    t = repo / "build" / "ios-arm64"
    shutil.copytree(built / "build" / "ios-arm64", t, ignore=shutil.ignore_patterns("engine", "conan"))
    shutil.copytree(built / "build" / "models", repo / "build" / "models")
    info = json.loads((t / "build-info.json").read_text())
    assert info["objc"] == {"compiled_by": "zig", "uses_real_sdk": False, "at": "build"}
    lib = t / info["library"]
    ar = find_tool("llvm-ar")
    members = subprocess.run([ar, "t", str(lib)], capture_output=True, text=True, check=True).stdout.split()
    subprocess.run([ar, "d", str(lib), *[m for m in members if m.endswith("TinyKit.mm.o")]], check=True)
    info.pop("objc")
    info["toolchain"].update({"source": "xcode", "version": "Xcode 15.4", "standin": False})
    info["inputs"]["sdk.toml"] = hashlib.sha256((repo / "sdk.toml").read_bytes()).hexdigest()
    (t / "build-info.json").write_text(json.dumps(info))
    r = _run(repo, "package")
    assert r.returncode == 0, r.stderr[-3000:]
    meta = json.loads((repo / "dist" / "TinyKit.xcframework" / "sdkbuild.json").read_text())
    sl = meta["slices"]["ios-arm64"]
    assert sl["standin"] is True
    assert sl["targets"]["ios-arm64"]["objc"] == {"compiled_by": "zig", "uses_real_sdk": False, "at": "package"}
