"""A real Conan server (PyPI `conan-server`) on 127.0.0.1, and the SDK project the remote,
reproducibility and workflow tests share (tests/test_conan_remote.py, test_ci_workflow.py).

`seeded_remote()` is made once per test session (under pytest-xdist too): machine A (this
machine's sdkbuild Conan cache) builds every target of the project with the remote configured
and upload credentials in its environment, so the server ends up holding every engine
configuration (compiled, or taken from the cache when an earlier run compiled it). Each test then starts its own server process over the same storage.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import onnx
from bindings_helpers import shared_once, tiny_onnx

SDKBUILD = [sys.executable, "-m", "sdkbuild.cli"]
TARGETS = ["android-arm64-v8a", "android-armeabi-v7a", "android-x86", "android-x86_64",
           "ios-arm64", "ios-simulator-arm64", "ios-simulator-x86_64"]  # ci/github-actions.yml's matrix
USER = "ci"

SDK_TOML = """\
[sdk]
name = "RemoteKit"
version = "2.1.0"
java_package = "com.example.remotekit"
objc_prefix = "RK"
targets = {targets}

[android]
min_sdk = 23
toolchain = "gnu"  # the Debian cross compilers (no NDK here)

[engine]
dtypes = ["fp32"]

[models]
files = ["models/tiny.onnx"]
"""


def make_repo(root: Path) -> Path:
    """The SDK repository: sdk.toml and the model, nothing built."""
    (root / "models").mkdir(parents=True)
    onnx.save(tiny_onnx(), root / "models" / "tiny.onnx")
    (root / "sdk.toml").write_text(SDK_TOML.format(targets=json.dumps(TARGETS)))
    return root


def counting_launcher(path: Path, log: Path) -> Path:
    """A compiler launcher that records every compiler run, then runs it (through ccache when
    installed): SDKBUILD_COMPILER_LAUNCHER=<path>."""
    path.write_text("#!/bin/sh\n"
                    f"echo \"$*\" >> '{log}'\n"
                    "if command -v ccache >/dev/null 2>&1; then exec ccache \"$@\"; fi\n"
                    "exec \"$@\"\n")
    path.chmod(0o755)
    return path


def compiler_runs(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.is_file() else 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def conan_server(storage: Path, password: str, folder: Path) -> Iterator[str]:
    """conan_server on 127.0.0.1 (a free port) serving `storage`; user `ci` may upload. Yields its URL."""
    folder.mkdir(parents=True, exist_ok=True)
    storage.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    (folder / "server.conf").write_text(f"""[server]
jwt_secret: {secrets.token_hex(16)}
jwt_expire_minutes: 120
ssl_enabled: False
port: {port}
public_port:
host_name: 127.0.0.1
authorize_timeout: 1800
disk_storage_path: {storage}
disk_authorize_timeout: 1800
updown_secret: {secrets.token_hex(16)}

[write_permissions]
*/*@*/*: {USER}

[read_permissions]
*/*@*/*: *

[users]
{USER}: {password}
""")
    # conan_server's own launcher, bound to the loopback address only
    code = ("import sys\nfrom conans.server.launcher import ServerLauncher\n"
            "ServerLauncher(server_dir=sys.argv[1]).server.run(host='127.0.0.1')\n")
    log = open(folder / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-c", code, str(folder)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/v1/ping", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"conan_server did not start:\n{(folder / 'server.log').read_text()}") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def sdkbuild(cwd: Path, env: dict[str, str], *args: str, timeout: int = 1200) -> subprocess.CompletedProcess:
    return subprocess.run([*SDKBUILD, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def machine_env(folder: Path | None, **extra: str) -> dict[str, str]:
    """A machine state: its own empty Conan home in `folder` (None: this machine's sdkbuild
    Conan cache); no remote or credentials unless given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SDKBUILD_CONAN_", "CONAN_"))}
    if folder is not None:
        env["CONAN_HOME"] = str(folder / "conan-home")
    env.update(extra)
    return env


def _seed(folder: Path) -> None:
    password = secrets.token_hex(8)
    (folder / "password").write_text(password)
    repo = make_repo(folder / "machine-a" / "repo")
    counts = folder / "machine-a" / "compiler-runs.log"
    with conan_server(folder / "storage", password, folder / "server-seed") as url:
        # machine A is this machine with its own Conan cache: what it has cached from earlier runs
        # is uploaded without compiling again (reuse), the rest is compiled and uploaded
        env = machine_env(None, SDKBUILD_CONAN_REMOTE=url, SDKBUILD_CONAN_USER=USER,
                          SDKBUILD_CONAN_PASSWORD=password,
                          SDKBUILD_COMPILER_LAUNCHER=str(counting_launcher(folder / "machine-a" / "cc", counts)))
        r = sdkbuild(repo, env, "build", "-j2")
        (folder / "machine-a" / "build.out").write_text(r.stdout + r.stderr)
        if r.returncode != 0:
            raise RuntimeError(f"machine A's build failed:\n{r.stdout[-4000:]}\n{r.stderr[-2000:]}")
    (folder / "seed.json").write_text(json.dumps({"compiler_runs": compiler_runs(counts)}))


def seeded_remote(tmp_path_factory) -> Path:
    return shared_once(tmp_path_factory, "conan-remote-seed", _seed)
