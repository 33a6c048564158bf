"""Regression against a baseline: two real variants of a library, with and without one op's
object file (Relu), compiled with the cross compilers; the report names Relu's bytes and fails
the growth budget; identical builds show zero change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_fixtures import build_elf_target, build_macho_target

from sdkbuild.cli import cli
from sdkbuild.errors import SdkbuildError
from sdkbuild.report import regression, size

pytestmark = pytest.mark.skipif(not (shutil.which("aarch64-linux-gnu-g++") and shutil.which("clang++")),
                                reason="needs g++-aarch64-linux-gnu and clang")

TOML = """
[sdk]
name = "VisionKit"
version = "1.0.0"
java_package = "com.example.visionkit"
objc_prefix = "VK"
targets = ["android-arm64-v8a", "ios-arm64"]

[report.budgets]
{total}

[report.budgets.targets.android-arm64-v8a]
{target}
"""


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("variants")
    out = {}
    for name, ops in (("without_relu", ("Conv", "Add")), ("with_relu", ("Conv", "Relu", "Add"))):
        b = root / name / "build"
        build_elf_target(b, ops=ops)
        build_macho_target(b, ops=ops)
        out[name] = b
    # the same sources built a second time: must report zero change
    b = root / "with_relu_again" / "build"
    build_elf_target(b, ops=("Conv", "Relu", "Add"))
    build_macho_target(b, ops=("Conv", "Relu", "Add"))
    out["with_relu_again"] = b
    return out


def _project(tmp: Path, build: Path, total: str = "", target: str = "") -> Path:
    proj = tmp / "proj"
    proj.mkdir(exist_ok=True)
    (proj / "sdk.toml").write_text(TOML.format(total=total, target=target))
    if (proj / "build").is_symlink():
        (proj / "build").unlink()
    (proj / "build").symlink_to(build, target_is_directory=True)
    return proj / "sdk.toml"


def _run(args: list[str]) -> tuple[int, str]:
    res = CliRunner().invoke(cli, args)
    if isinstance(res.exception, SdkbuildError):
        return res.exception.exit_code, res.output + str(res.exception)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return res.exit_code, res.output


def test_new_op_is_named_and_growth_budget_fails(variants: dict[str, Path], tmp_path: Path) -> None:
    base_out = tmp_path / "base"
    code, out = _run(["report", "size", "--build-dir", str(variants["without_relu"]), "--dist", str(tmp_path / "d0"),
                      "--out", str(base_out)])
    assert code == 0, out
    cfg = _project(tmp_path, variants["with_relu"], target="growth_percent = 1.0")
    out_dir = tmp_path / "cur"
    code, out = _run(["report", "size", "--config", str(cfg), "--baseline", str(base_out / "size.json"),
                      "--out", str(out_dir)])
    assert code == 1, out
    assert "android-arm64-v8a: grew" in out and "over the 1.0% budget" in out
    cur = json.loads((out_dir / "size.json").read_text())
    base = json.loads((base_out / "size.json").read_text())
    relu = cur["targets"]["android-arm64-v8a"]["ops"]["Relu"]
    assert relu > 300 and "Relu" not in base["targets"]["android-arm64-v8a"]["ops"]
    cmp = cur["comparison"]
    assert not cmp["passed"]
    row = next(r for r in cmp["rows"] if r["target"] == "android-arm64-v8a")
    assert row["status"] == "fail" and row["delta"] == cur["targets"]["android-arm64-v8a"]["size"] - row["base"]
    # the op row of the change list carries exactly Relu's bytes
    ops = {c["name"]: c for c in cmp["changes"]["android-arm64-v8a"]["ops"]}
    assert ops["Relu"]["delta"] == relu and ops["Relu"]["base"] == 0
    syms = {c["name"] for c in cmp["changes"]["android-arm64-v8a"]["symbols"]}
    assert {"sdk::ops::relu_run(float*, int)", "k_relu_lut"} <= syms
    md = (out_dir / "size.md").read_text()
    assert f"| op | Relu | 0 B | {relu} B | +{relu:,d} B |" in md
    assert "❌ 1 size budget exceeded" in md and "| `android-arm64-v8a` (stand-in) |" in md
    # iOS: Relu's member bytes show up the same way (no budget there, so it passes)
    ios_ops = {c["name"]: c for c in cmp["changes"]["ios-arm64"]["ops"]}
    assert ios_ops["Relu"]["delta"] == cur["targets"]["ios-arm64"]["ops"]["Relu"] > 0
    assert (out_dir / "report.html").is_file()


def test_identical_builds_show_zero_change(variants: dict[str, Path], tmp_path: Path) -> None:
    base_out = tmp_path / "dist" / "reports"
    code, out = _run(["report", "size", "--build-dir", str(variants["with_relu"]), "--out", str(base_out),
                      "--dist", str(tmp_path / "dist")])
    assert code == 0, out
    cfg = _project(tmp_path, variants["with_relu_again"], target="growth_percent = 0.0", total="total_growth_percent = 0.0")
    # a dist/ folder holding reports/size.json is a valid baseline too
    code, out = _run(["report", "size", "--config", str(cfg), "--baseline", str(tmp_path / "dist"),
                      "--out", str(tmp_path / "again")])
    assert code == 0, out
    cmp = json.loads((tmp_path / "again" / "size.json").read_text())["comparison"]
    assert cmp["passed"] and cmp["total"]["delta"] == 0
    assert all(r["delta"] == 0 for r in cmp["rows"])
    assert all(not c["ops"] and not c["symbols"] and not c["sections"] for c in cmp["changes"].values())
    md = (tmp_path / "again" / "size.md").read_text()
    assert "✅ All size budgets met." in md and "No op, section or symbol moved" in md


def test_absolute_and_total_budgets(variants: dict[str, Path], tmp_path: Path) -> None:
    cur = size.collect(variants["with_relu"], None)
    a64 = cur["targets"]["android-arm64-v8a"]["size"]
    budgets = regression.Budgets(total_bytes=cur["total"] - 1, targets={"android-arm64-v8a": (a64, None),
                                                                         "android-x86": (1, None)})
    cmp = regression.compare(cur, None, budgets)
    assert cmp["failures"] == [f"largest per device: {cur['total']:,} B exceeds the budget of {cur['total'] - 1:,} B"]
    assert cmp["budgets_set"]
    assert not regression.compare(cur, None, regression.Budgets())["budgets_set"]
    assert cmp["budgets_for_unbuilt_targets"] == ["android-x86"]
    cmp = regression.compare(cur, None, regression.Budgets(targets={"android-arm64-v8a": (a64 - 1, 0.0)}))
    assert cmp["failures"] == [f"android-arm64-v8a: {a64:,} B exceeds the budget of {a64 - 1:,} B"]


def test_bad_baselines(tmp_path: Path) -> None:
    with pytest.raises(SdkbuildError, match="does not exist"):
        regression.load_baseline(tmp_path / "missing.json")
    with pytest.raises(SdkbuildError, match="holds no reports/size.json"):
        regression.load_baseline(tmp_path)
    (tmp_path / "size.json").write_text(json.dumps({"schema": 99, "targets": {}}))
    with pytest.raises(SdkbuildError, match="schema 1"):
        regression.load_baseline(tmp_path / "size.json")


@pytest.mark.slow
def test_real_builds_with_and_without_one_op(tmp_path: Path) -> None:
    """Two real `sdkbuild build`s of the example digits model (host target), the second with one
    more op (Sigmoid): the report names Sigmoid's bytes and fails a 0.1% growth budget."""
    model = Path(__file__).resolve().parents[1] / "examples" / "models" / "digits_cnn.onnx"
    reports = {}
    for name, ops in (("without", '["Conv", "Gemm", "MaxPool", "Reshape"]'),
                      ("with", '["Conv", "Gemm", "MaxPool", "Reshape", "Sigmoid"]')):
        proj = tmp_path / name
        proj.mkdir()
        (proj / "sdk.toml").write_text(
            '[sdk]\nname = "VisionKit"\nversion = "1.0.0"\njava_package = "com.example.visionkit"\n'
            'objc_prefix = "VK"\ntargets = ["host"]\n\n[engine]\ndtypes = ["fp32"]\n'
            f'ops = {ops}\n\n[models]\nfiles = ["{model}"]\n\n'
            '[report.budgets.targets.host]\ngrowth_percent = 0.1\n')
        res = CliRunner().invoke(cli, ["build", "--config", str(proj / "sdk.toml"), "-j", "2"])
        assert res.exit_code == 0, res.output
        reports[name] = proj
    code, out = _run(["report", "size", "--config", str(reports["without"] / "sdk.toml")])
    assert code == 0, out
    code, out = _run(["report", "size", "--config", str(reports["with"] / "sdk.toml"),
                      "--baseline", str(reports["without"] / "dist")])
    assert code == 1 and "host: grew" in out, out
    cur = json.loads((reports["with"] / "dist" / "reports" / "size.json").read_text())
    host = cur["targets"]["host"]
    assert host["op_attribution"] != "none"
    sig = host["ops"]["Sigmoid"]
    assert sig > 0
    ops = {c["name"]: c for c in cur["comparison"]["changes"]["host"]["ops"]}
    assert ops["Sigmoid"]["delta"] == sig
    syms = [c["name"] for c in cur["comparison"]["changes"]["host"]["symbols"]]
    # Sigmoid's code: its own functions, or the unary-op skeleton it instantiates (ops/unary_op.h)
    assert any("sigmoid" in n.lower() or "unary" in n.lower() for n in syms), syms
