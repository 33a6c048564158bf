"""ci/github-actions.yml, run the way a GitHub runner runs it (tests/gha_runner.py): every
build job in its own clean workspace and HOME, artifacts passed only through what the
upload/download steps name, the package job packaging and reporting from them; and the file
against GitHub's workflow schema (SchemaStore's, vendored by check-jsonschema).

The build jobs get the engines from a real Conan remote (conan_server on 127.0.0.1, seeded
by tests/conan_remote.py), as the workflow's SDKBUILD_CONAN_REMOTE variable says, and run
no compiler for them. Runner specifics are emulated visibly: macOS jobs run here on Linux
(zig's iOS slices instead of Xcode's), setup-python gives a Python with sdkbuild installed,
the pull-request comment is recorded instead of posted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml
from conan_remote import TARGETS, compiler_runs, conan_server, counting_launcher, make_repo, seeded_remote
from gha_runner import Expr, Runner, report

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / "ci" / "github-actions.yml"


def test_workflow_matches_github_schema() -> None:
    r = subprocess.run([str(Path(sys.executable).parent / "check-jsonschema"), "--builtin-schema",
                        "vendor.github-workflows", str(WORKFLOW)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_workflow_facts_a_schema_cannot_check() -> None:
    doc = yaml.safe_load(WORKFLOW.read_text())
    build, package = doc["jobs"]["build"], doc["jobs"]["package"]
    # the matrix builds what the test project (and the README's example) targets
    assert [e["target"] for e in build["strategy"]["matrix"]["include"]] == TARGETS
    # the comment needs a token that may write pull requests; everything else stays read-only
    assert doc["permissions"] == {"contents": "read"}
    assert package["permissions"]["pull-requests"] == "write"
    # ccache: one folder on both runner OSes (macOS defaults to ~/Library/Caches/ccache)
    steps = build["steps"]
    set_dir = next(s for s in steps if "CCACHE_DIR=" in s.get("run", ""))
    assert 'CCACHE_DIR=$HOME/.cache/ccache' in set_dir["run"]
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    assert "~/.cache/ccache" in cache["with"]["path"].split()
    assert steps.index(set_dir) < steps.index(cache)
    # credentials only from secrets, only on main
    assert "secrets.SDKBUILD_CONAN_PASSWORD" in build["env"]["SDKBUILD_CONAN_PASSWORD"]
    assert "refs/heads/main" in build["env"]["SDKBUILD_CONAN_PASSWORD"]


def test_expression_evaluator() -> None:
    funcs = {"startswith": lambda a, b: str(a).lower().startswith(str(b).lower()), "always": lambda: True}
    ctx = {"matrix": {"target": "android-x86"}, "github": {"ref": "refs/heads/main", "event_name": "push"},
           "secrets": {"P": "pw"}}
    assert Expr("startsWith(matrix.target, 'android-')", ctx, funcs).value() is True
    assert Expr("github.ref == 'refs/heads/main' && secrets.P || ''", ctx, funcs).value() == "pw"
    ctx["github"]["ref"] = "refs/pull/1/merge"
    assert Expr("github.ref == 'refs/heads/main' && secrets.P || ''", ctx, funcs).value() == ""
    assert Expr("always() && github.event_name == 'pull_request'", ctx, funcs).value() is False
    assert Expr("!(matrix['target'] != 'ANDROID-X86')", ctx, funcs).value() is True  # == ignores case


def _runner_env(**extra: str) -> dict[str, str]:
    """The runner machine's environment: this one without sdkbuild/Conan/pytest settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SDKBUILD_", "CONAN_", "PYTEST", "VIRTUAL_ENV"))}
    env.update(extra)
    return env


def _tool_cache_python(folder: Path) -> Path:
    """The runner image's Python: a virtual environment whose site-packages include this one's
    (sdkbuild and its dependencies installed), with the `sdkbuild` command."""
    venv = folder / "python"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "_sdkbuild_tool_cache.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
    for name, code in (("sdkbuild", "from sdkbuild.cli import main; main()"),
                       ("pip", "import sys; from pip._internal.cli.main import main; sys.exit(main())")):
        script = venv / "bin" / name
        script.write_text(f"#!{venv / 'bin' / 'python'}\n{code}\n")
        script.chmod(0o755)
    # the console scripts pip would have installed with sdkbuild's dependencies (conan, meson, ninja, ...)
    for tool in Path(sys.executable).parent.iterdir():
        dest = venv / "bin" / tool.name
        if not dest.exists() and not tool.name.startswith(("python", "activate", "pip")):
            dest.symlink_to(tool)
    return venv / "bin"


@pytest.mark.slow
def test_workflow_runs_end_to_end_like_a_runner(tmp_path_factory, tmp_path: Path) -> None:
    seed = seeded_remote(tmp_path_factory)
    repo = make_repo(tmp_path / "repo")  # the SDK repository the workflow sits in
    counts = tmp_path / "compiler-runs.log"
    with conan_server(seed / "storage", (seed / "password").read_text(), tmp_path / "server") as url:
        base_env = _runner_env(SDKBUILD_COMPILER_LAUNCHER=str(counting_launcher(tmp_path / "cc", counts)))
        runner = Runner(WORKFLOW, repo, tmp_path / "runner", event="pull_request", vars={"SDKBUILD_CONAN_REMOTE": url},
                        secrets={"SDKBUILD_CONAN_USER": "ci", "SDKBUILD_CONAN_PASSWORD": "not-for-pull-requests"},
                        base_env=base_env, python_bin=_tool_cache_python(tmp_path))
        ok = runner.run()
    summary = report(runner.log)
    failed = "\n\n".join(f"{s.job}: {s.name}\n{s.output}" for s in runner.log if s.status == "failed")
    print(summary)
    assert ok, summary + "\n\n" + failed

    # every build job ran in its own workspace and found its engine on the remote
    jobs = tmp_path / "runner" / "jobs"
    matrix = yaml.safe_load(WORKFLOW.read_text())["jobs"]["build"]["strategy"]["matrix"]["include"]
    for t in TARGETS:
        os_ = next(e["os"] for e in matrix if e["target"] == t)
        ws = jobs / f"build_{t}_{os_}_" / "workspace"
        info = json.loads((ws / "build" / t / "build-info.json").read_text())
        assert info["conan"]["source"] == "remote" and info["conan"]["uploaded"] is False, t
        assert sorted(p.name for p in (ws / "build").iterdir() if not p.name.startswith(".")) == [t, "models"]
    assert compiler_runs(counts) == 0, counts.read_text()[:2000]
    # the package job saw only the artifacts, laid out as download-artifact does
    pkg = next(p for p in jobs.iterdir() if p.name.startswith("package")) / "workspace"
    assert sorted(p.name for p in (pkg / "shards").iterdir()) == sorted(f"build-{t}" for t in TARGETS)
    dist = pkg / "dist"
    for name in ("RemoteKit-2.1.0.aar", "RemoteKit.xcframework.zip", "Package.swift", "SHA256SUMS",
                 "reports/size.json", "reports/size.md", "reports/coverage.json", "models/tiny.sdkm"):
        assert (dist / name).is_file(), name
    xcf = json.loads((dist / "RemoteKit.xcframework" / "sdkbuild.json").read_text())
    assert all(s["standin"] for s in xcf["slices"].values())  # zig + the Foundation stand-in here
    assert runner.comments and runner.comments[0] == (dist / "reports" / "size.md").read_text()
    assert (tmp_path / "runner" / "artifacts" / "sdk" / "RemoteKit-2.1.0.aar").is_file()
    skipped = {s.name for s in runner.log if s.status == "skipped"}
    assert {"Keep main's size report as the next baseline", "actions/cache/save@v4"} <= skipped


@pytest.mark.slow
def test_the_old_workflow_fails_at_its_package_job(tmp_path_factory, tmp_path: Path) -> None:
    """The defect this pipeline had: build jobs uploaded build/<target> alone, so the package job
    had no converted models. The runner catches it (a schema check did not)."""
    doc = yaml.safe_load(WORKFLOW.read_text())
    up = next(s for s in doc["jobs"]["build"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    up["with"]["path"] = "build/${{ matrix.target }}"
    for e in list(doc["jobs"]["build"]["strategy"]["matrix"]["include"]):
        if e["target"] != "android-arm64-v8a":
            doc["jobs"]["build"]["strategy"]["matrix"]["include"].remove(e)
    old = tmp_path / "old.yml"
    old.write_text(yaml.safe_dump(doc, sort_keys=False))
    repo = make_repo(tmp_path / "repo")
    (repo / "sdk.toml").write_text((repo / "sdk.toml").read_text().replace(json.dumps(TARGETS),
                                                                           '["android-arm64-v8a"]'))
    seed = seeded_remote(tmp_path_factory)
    with conan_server(seed / "storage", (seed / "password").read_text(), tmp_path / "server") as url:
        runner = Runner(old, repo, tmp_path / "runner", vars={"SDKBUILD_CONAN_REMOTE": url},
                        base_env=_runner_env(), python_bin=_tool_cache_python(tmp_path))
        assert not runner.run()
    failed = [s for s in runner.log if s.status == "failed"]
    assert failed and failed[0].job == "package", report(runner.log)
    assert "no shard holds the converted model tiny.sdkm" in failed[0].output
