"""Device coverage: hand-made device lists whose coverage is computed by hand below."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_fixtures import build_elf_target, build_macho_target

from sdkbuild.cli import cli
from sdkbuild.errors import SdkbuildError
from sdkbuild.report import coverage

pytestmark = pytest.mark.skipif(not (shutil.which("aarch64-linux-gnu-g++") and shutil.which("arm-linux-gnueabihf-g++")
                                     and shutil.which("clang++")), reason="needs the Debian ARM cross compilers and clang")

DEVICES = """model,abis,api_level,share
Pixel 8,arm64-v8a,34,30
Galaxy A14,arm64-v8a armeabi-v7a,33,25
Moto E,armeabi-v7a,29,15
Old phone,arm64-v8a armeabi-v7a,23,10
Chromebook,x86_64 x86,30,5
Galaxy S9,arm64-v8a armeabi-v7a,29,15
"""


def _info(tdir: Path, **changes: object) -> None:
    p = tdir / "build-info.json"
    info = json.loads(p.read_text())
    info.update(changes)
    p.write_text(json.dumps(info))


@pytest.fixture(scope="module")
def arm64_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    b = tmp_path_factory.mktemp("a64") / "build"
    _info(build_elf_target(b, ops=("Conv",), min_os="24"))
    return b


@pytest.fixture(scope="module")
def armv7_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    b = tmp_path_factory.mktemp("v7") / "build"
    t = build_elf_target(b, "android-armeabi-v7a", ops=("Conv",), cxx="arm-linux-gnueabihf-g++", abi="armeabi-v7a",
                         arch="armv7", min_os="24")
    _info(t, flags={"c_args": ["-march=armv7-a", "-mfpu=neon", "-mthumb"], "link_args": [], "lto": False})
    return b


def test_arm64_build_against_hand_table(arm64_only: Path, tmp_path: Path) -> None:
    csv = tmp_path / "devices.csv"
    csv.write_text(DEVICES)
    r = coverage.compute(arm64_only, None, 24, "13.0", csv)["android"]
    # By hand: arm64 built, min_sdk 24.
    #   Pixel 8 (64-bit-only, 34) 30 covered; Galaxy A14 (33) 25 covered; Galaxy S9 (29) 15 covered
    #   Moto E armeabi-v7a 15: ABI not built; Old phone API 23 10: below min_sdk; Chromebook 5: ABI not built
    assert r["covered"] == 70.0
    assert r["covered_standin"] == 70.0  # the gnu build is a stand-in
    assert r["uncovered"] == [
        {"reason": "ABI not built: armeabi-v7a", "share": 15.0},
        {"reason": "API level below min_sdk 24", "share": 10.0},
        {"reason": "ABI not built: x86/x86_64", "share": 5.0},
    ]
    assert r["columns"] == ["below", "29", "30", "33", "34"]
    rows = r["rows"]
    assert rows["arm64-v8a + armeabi-v7a"]["share"] == 50.0 and rows["arm64-v8a + armeabi-v7a"]["covered"] == 40.0
    assert rows["arm64-v8a + armeabi-v7a"]["cells"]["below"] == {"share": 10.0, "covered": 0.0, "standin": False}
    assert rows["arm64-v8a + armeabi-v7a"]["cells"]["33"] == {"share": 25.0, "covered": 25.0, "standin": True}
    assert rows["arm64-v8a (64-bit-only)"]["cells"]["34"]["covered"] == 30.0
    assert rows["armeabi-v7a"]["cells"]["29"] == {"share": 15.0, "covered": 0.0, "standin": False}
    assert rows["x86_64 + x86"]["covered"] == 0.0


def test_armv7_only_misses_64bit_only_devices(armv7_only: Path, tmp_path: Path) -> None:
    csv = tmp_path / "devices.csv"
    csv.write_text(DEVICES)
    r = coverage.compute(armv7_only, None, 24, "13.0", csv)["android"]
    # By hand: armeabi-v7a runs on Galaxy A14 25 + Moto E 15 + Galaxy S9 15 = 55; Pixel 8 is 64-bit-only.
    assert r["covered"] == 55.0
    assert r["uncovered"] == [
        {"reason": "64-bit-only device without a 64-bit build (arm64-v8a)", "share": 30.0},
        {"reason": "API level below min_sdk 24", "share": 10.0},
        {"reason": "ABI not built: x86/x86_64", "share": 5.0},
    ]
    assert r["built_abis"]["armeabi-v7a"]["required_features"] == ["neon"]


def test_missing_cpu_feature_from_features_column(armv7_only: Path, tmp_path: Path) -> None:
    csv = tmp_path / "devices.csv"
    csv.write_text("model,abis,api_level,share,features\n"
                   "Tegra tablet,armeabi-v7a,28,20,vfpv3\n"
                   "Budget phone,armeabi-v7a,30,80,neon vfpv4\n")
    r = coverage.compute(armv7_only, None, 24, "13.0", csv)["android"]
    assert r["covered"] == 80.0
    assert r["uncovered"] == [{"reason": "missing CPU feature neon (required by the armeabi-v7a build)", "share": 20.0}]


def test_play_console_export(arm64_only: Path, tmp_path: Path) -> None:
    csv = tmp_path / "play.csv"
    csv.write_text(
        "Manufacturer,Model Name,Model Code,RAM (TotalMem),Form Factor,System on Chip,Screen Sizes,Screen Densities,"
        "ABIs,Android SDK Versions,OpenGL ES Versions\n"
        'Google,Pixel 7,panther,8192MB,Phone,Tensor G2,1080x2400,420,arm64-v8a,"33,34,35",3.2\n'
        'Samsung,Galaxy A10,a10,2048MB,Phone,Exynos 7884,720x1520,320,"arm64-v8a,armeabi-v7a,armeabi","23-25",3.2\n'
        'Nokia,1,frt,1024MB,Phone,MT6737M,480x854,240,"armeabi-v7a,armeabi",27,3.1\n'
        'Acer,Chromebook,cb,4096MB,Chromebook,Celeron,1366x768,160,"x86_64,x86,armeabi-v7a",30,3.2\n'
    )
    r = coverage.compute(arm64_only, None, 24, "13.0", csv)["android"]
    # Equal weights, 25% per model, split over its SDK versions:
    #   Pixel 7: 25 covered; Galaxy A10: 23 below min (8.333), 24 and 25 covered (16.667);
    #   Nokia 1: armeabi-v7a/armeabi not built (25); Chromebook: x86_64/x86/armeabi-v7a not built (25)
    assert r["covered"] == pytest.approx(41.667, abs=0.001)
    got = {u["reason"]: u["share"] for u in r["uncovered"]}
    assert got == {"ABI not built: armeabi/armeabi-v7a": 25.0, "ABI not built: armeabi-v7a/x86/x86_64": 25.0,
                   "API level below min_sdk 24": pytest.approx(8.333, abs=0.001)}
    assert "4 devices, equal weights" in r["population"]


def test_default_dataset_and_ios(tmp_path: Path) -> None:
    ds = coverage.android_dataset()
    assert sum(lv["share"] for lv in ds["api_levels"]["levels"]) == pytest.approx(100.0)
    assert sum(c["share"] for c in ds["abi_classes"]["classes"]) == pytest.approx(100.0)
    assert ds["api_levels"]["date"] == "2025-12-01"
    b = tmp_path / "build"
    build_elf_target(b, ops=("Conv",))
    build_elf_target(b, "android-armeabi-v7a", ops=("Conv",), cxx="arm-linux-gnueabihf-g++", abi="armeabi-v7a", arch="armv7")
    build_macho_target(b, ops=("Conv",))
    r = coverage.compute(b, None, 21, "13.0")
    # By hand: API 19 (0.2%) is below min_sdk; the x86 classes (0.8 + 0.3 = 1.1%) are spread over the API
    # levels like every class without min_api, so their part below 21 is 1.1 * 0.2 / 96 (96 = the share of
    # classes without min_api), already counted in the 0.2: covered = 100 - 0.2 - 1.1 * (1 - 0.2 / 96).
    assert r["android"]["covered"] == pytest.approx(100 - 0.2 - 1.1 * (1 - 0.2 / 96), abs=0.001)
    assert r["android"]["rows"]["arm64-v8a only (64-bit-only)"]["share"] == pytest.approx(4.0, abs=0.001)
    assert set(r["android"]["rows"]["arm64-v8a only (64-bit-only)"]["cells"]) == {"33", "34", "35", "36"}
    # iOS 13.0 minimum, device slice built: everything but "12 and older" (0.6%)
    assert r["ios"]["covered"] == 99.4
    assert coverage.ios_coverage({"min_os": "16.0"}, "13.0")["covered"] == 66.0 + 19.0 + 6.0 + 4.0
    none = coverage.ios_coverage(None, "13.0")
    assert none["covered"] == 0.0 and none["uncovered"][0]["reason"] == "ios-arm64 device slice not built"


def test_cli_writes_reports(arm64_only: Path, tmp_path: Path) -> None:
    csv = tmp_path / "devices.csv"
    csv.write_text(DEVICES)
    out = tmp_path / "reports"
    res = CliRunner().invoke(cli, ["report", "coverage", "--build-dir", str(arm64_only), "--devices", str(csv),
                                   "--out", str(out)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "Android 70.0%" in res.output
    md = (out / "coverage.md").read_text()
    assert "| ABI not built: armeabi-v7a | 15.00% |" in md
    assert "| arm64-v8a (64-bit-only) | – | – | – | – | 30.00 / 30.00* | 30.00 / 30.00 |" in md
    assert json.loads((out / "coverage.json").read_text())["android"]["covered"] == 70.0
    assert "device coverage heat map" in (out / "report.html").read_text()


def test_bad_device_lists(arm64_only: Path, tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text("name,colour\nx,red\n")
    with pytest.raises(SdkbuildError, match="needs an ABI column and an API level column"):
        coverage.compute(arm64_only, None, 21, "13.0", p)
    p.write_text("model,abis,api_level,share\nx,arm64-v8a,thirty,1\n")
    with pytest.raises(SdkbuildError, match="line 2: API level 'thirty' is not a number"):
        coverage.compute(arm64_only, None, 21, "13.0", p)
    with pytest.raises(SdkbuildError, match="does not exist"):
        coverage.compute(arm64_only, None, 21, "13.0", tmp_path / "missing.csv")
