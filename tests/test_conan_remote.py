"""Compiled engines shared through a real Conan remote (conan_server on 127.0.0.1), and
byte-identical artifacts from another checkout path.

Machine A (tests/conan_remote.py) built every target with the remote set in its environment
and upload credentials, compiling through a launcher that counts compiler runs. Here:
- machine B (an empty Conan home, a clean project at another path, the remote named in
  sdk.toml, no credentials) builds the same configurations with 0 compiler runs;
- machine C (an empty Conan home, a remote that does not answer, no ccache, sdkbuild itself
  from another folder, the project at another path) compiles and gets the same SHA-256 for
  every .so, .a, AAR and XCFramework zip as machine A.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from conan_remote import (
    TARGETS,
    compiler_runs,
    conan_server,
    counting_launcher,
    machine_env,
    sdkbuild,
    seeded_remote,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
EPOCH = "1700000000"  # SOURCE_DATE_EPOCH for every packaging run
# machine B builds one Android and one iOS configuration (the workflow test downloads all of them)
B_TARGETS = ["android-armeabi-v7a", "ios-simulator-x86_64"]
B_ARGS = [a for t in B_TARGETS for a in ("--target", t)]


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> Path:
    return seeded_remote(tmp_path_factory)


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_machine_a_uploaded_every_engine(seed: Path) -> None:
    runs = json.loads((seed / "seed.json").read_text())["compiler_runs"]
    for t in TARGETS:
        info = json.loads((seed / "machine-a" / "repo" / "build" / t / "build-info.json").read_text())
        assert info["conan"]["uploaded"] is True, t
        # compiled (cold cache) or from this machine's Conan cache; the launcher saw compiles only then
        assert info["conan"]["source"] in ("built", "cache"), t
        if info["conan"]["source"] == "built":
            assert runs > 0, t
    stored = list((seed / "storage").rglob("conan_package.tgz"))
    assert len(stored) == len(TARGETS)


def test_second_machine_compiles_nothing(seed: Path, tmp_path: Path) -> None:
    repo = tmp_path / "elsewhere" / "checkout"
    shutil.copytree(seed / "machine-a" / "repo", repo, ignore=shutil.ignore_patterns("build", "dist"))
    counts = tmp_path / "compiler-runs.log"
    with conan_server(seed / "storage", (seed / "password").read_text(), tmp_path / "server") as url:
        # the remote named in sdk.toml this time; no credentials: download only
        (repo / "sdk.toml").write_text((repo / "sdk.toml").read_text() + f'\n[conan]\nremote = "{url}"\n')
        env = machine_env(tmp_path, SDKBUILD_COMPILER_LAUNCHER=str(counting_launcher(tmp_path / "cc", counts)))
        assert not Path(env["CONAN_HOME"]).exists()
        r = sdkbuild(repo, env, "build", "-j2", *B_ARGS)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert compiler_runs(counts) == 0, counts.read_text()[:2000]
    for t in B_TARGETS:
        assert f"{t}" in r.stdout and "downloaded" in r.stdout
        info = json.loads((repo / "build" / t / "build-info.json").read_text())
        assert info["conan"]["source"] == "remote" and info["conan"]["uploaded"] is False, t
        assert not (repo / "build" / t / "engine").exists(), f"{t}: a Meson build folder was set up"
        log = (repo / "build" / t / "build.log").read_text()
        assert "downloaded from the Conan remote" in log and not re.search(r"conan build |meson setup", log)
    a = seed / "machine-a" / "repo" / "build"
    for t in B_TARGETS:
        lib = json.loads((a / t / "build-info.json").read_text())["library"]
        assert _sha(repo / "build" / t / lib) == _sha(a / t / lib), t
    r = sdkbuild(repo, env, "package", *B_ARGS)
    assert r.returncode == 0, r.stderr[-3000:]


def test_artifacts_are_byte_identical_from_another_checkout_path(seed: Path, tmp_path: Path) -> None:
    """Machine C compiles from scratch: sdkbuild from another folder, the project at another
    path, an empty Conan home, no remote, no ccache. Same SHA-256 as machine A for the
    libraries and the packages."""
    targets = ["android-arm64-v8a", "ios-arm64"]
    tool = tmp_path / "another" / "sdkbuild-checkout"
    for part in ("sdkbuild", "engine", "templates", "bindings"):
        shutil.copytree(ROOT / part, tool / part, ignore=shutil.ignore_patterns("__pycache__", "builddir*", "_data"))
    repo = tmp_path / "c" / "deeper" / "project-checkout"
    shutil.copytree(seed / "machine-a" / "repo", repo, ignore=shutil.ignore_patterns("build", "dist"))
    # a remote that does not answer (nothing listens there): logged, skipped, the build goes on
    env = machine_env(tmp_path, SDKBUILD_COMPILER_LAUNCHER="none", PYTHONPATH=str(tool), SOURCE_DATE_EPOCH=EPOCH,
                      SDKBUILD_CONAN_REMOTE="http://127.0.0.1:9")
    args = [a for t in targets for a in ("--target", t)]
    r = sdkbuild(repo, env, "build", *args)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    for t in targets:
        info = json.loads((repo / "build" / t / "build-info.json").read_text())
        assert info["conan"]["source"] == "built", t  # really compiled here, from the other checkout
        assert info["conan"]["package_folder"].startswith(env["CONAN_HOME"])
        log = (repo / "build" / t / "build.log").read_text()
        assert "the Conan remote http://127.0.0.1:9 did not answer: building without it" in log
    r = sdkbuild(repo, env, "package", *args)
    assert r.returncode == 0, r.stderr[-3000:]

    a = seed / "machine-a" / "repo"
    env_a = machine_env(tmp_path / "a-pkg", SOURCE_DATE_EPOCH=EPOCH)
    r = sdkbuild(a, env_a, "package", *args, "--dist", str(tmp_path / "a-dist"))
    assert r.returncode == 0, r.stderr[-3000:]
    compared = []
    for t in targets:
        lib = json.loads((a / "build" / t / "build-info.json").read_text())["library"]
        compared.append((a / "build" / t / lib, repo / "build" / t / lib))
    for name in ("RemoteKit-2.1.0.aar", "RemoteKit.xcframework.zip", "models/tiny.sdkm"):
        compared.append((tmp_path / "a-dist" / name, repo / "dist" / name))
    for x, y in compared:
        assert _sha(x) == _sha(y), f"{x.name} differs between the two checkouts"
    assert {p.suffix for p, _ in compared} >= {".so", ".a", ".aar", ".zip"}
