"""Size budget of the arm64-v8a engine (docs/size.md): a regression guard on real builds.

Built by `sdkbuild build --no-bindings` (the engine's C API; the JNI glue adds ~8 KB) with
the zig clang + lld stand-in, both dtypes: the engine with no ops and with every op. The
selective build of the example models is checked (JNI glue included) in
tests/test_mobile_targets.py, on the example build that test already makes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from bindings_helpers import shared_once

from sdkbuild.engine_sources import available_ops
from sdkbuild.targets import TARGETS
from sdkbuild.toolchains import zig
from sdkbuild.toolchains.base import Toolchain

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not isinstance(zig.SOURCE.detect(TARGETS["android-arm64-v8a"], "21"),
                                                Toolchain), reason="zig (pip install ziglang)")]

KB = 1024
GOAL_NO_OPS, GOAL_ALL_OPS = 24 * KB, 192 * KB  # the goals
# The no-op engine is over its goal (docs/size.md has the measured size): guard it with the
# measured size plus ~10% headroom meanwhile; test_no_op_engine_goal xfails with the gap and fails
# once the goal is met (then tighten BUDGET_NO_OPS to the goal).
BUDGET_NO_OPS = 36 * KB

TOML = """
[sdk]
name = "VisionKit"
version = "1.0.0"
java_package = "com.example.visionkit"
objc_prefix = "VK"
targets = ["android-arm64-v8a"]

[android]
min_sdk = 21
toolchain = "zig"

[engine]
dtypes = ["fp32", "int8"]
ops = {ops}
"""


def _make(folder: Path) -> None:
    for name, ops in (("noop", '"auto"'), ("all", json.dumps(sorted(available_ops().values())))):
        root = folder / name
        root.mkdir()
        (root / "sdk.toml").write_text(TOML.format(ops=ops))  # "auto" without models: no ops
        r = subprocess.run([sys.executable, "-m", "sdkbuild.cli", "build", "--no-bindings", "-j2"], cwd=root,
                           capture_output=True, text=True, timeout=1800)
        (root / "result.json").write_text(json.dumps({"rc": r.returncode, "out": r.stdout + r.stderr}))


@pytest.fixture(scope="module")
def sizes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    folder = shared_once(tmp_path_factory, "size-budget", _make)
    out = {}
    for name in ("noop", "all"):
        res = json.loads((folder / name / "result.json").read_text())
        assert res["rc"] == 0, res["out"][-4000:]
        out[name] = json.loads((folder / name / "build" / "android-arm64-v8a" / "build-info.json").read_text())
    return out


def test_all_ops_engine_within_goal(sizes: dict[str, dict]) -> None:
    info = sizes["all"]
    assert len(info["ops"]) == len(available_ops()) and info["toolchain"]["source"] == "zig"
    assert info["sizes"]["stripped"] <= GOAL_ALL_OPS, info["sizes"]


def test_no_op_engine_within_budget(sizes: dict[str, dict]) -> None:
    info = sizes["noop"]
    assert info["ops"] == [] and info["toolchain"]["source"] == "zig"
    assert info["sizes"]["stripped"] <= BUDGET_NO_OPS, info["sizes"]


def test_no_op_engine_goal(sizes: dict[str, dict]) -> None:
    """Reports the gap as an xfail while over the goal; fails once the goal is met, so the
    budget above gets tightened (an xfail marker would also swallow a failed build)."""
    size = sizes["noop"]["sizes"]["stripped"]
    if size > GOAL_NO_OPS:
        pytest.xfail(f"no-op engine is {size:,} B, goal {GOAL_NO_OPS:,} B (docs/size.md)")
    pytest.fail(f"no-op engine is {size:,} B, within the {GOAL_NO_OPS:,} B goal: set BUDGET_NO_OPS = GOAL_NO_OPS "
                "and turn this test into the plain budget check")
