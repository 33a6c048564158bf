"""report.html renders in headless Chromium into a non-blank page and makes no network request.

Needs the `chromium` apt package (scripts/setup.sh installs it). The network check reads
Chromium's net log: requests the page makes carry the page's origin as initiator, while
Chromium's own background traffic says "not an origin"; a control page with one external
image proves the check sees page requests.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_fixtures import build_elf_target, build_macho_target

from sdkbuild.cli import cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)"),
    pytest.mark.skipif(not (shutil.which("aarch64-linux-gnu-g++") and shutil.which("clang++")),
                       reason="needs g++-aarch64-linux-gnu and clang"),
]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("html")
    b = root / "build"
    build_elf_target(b)
    build_elf_target(b, "android-armeabi-v7a", cxx="arm-linux-gnueabihf-g++", abi="armeabi-v7a", arch="armv7")
    build_macho_target(b)
    out = root / "reports"
    runner = CliRunner()
    for args in (["report", "size"], ["report", "coverage"]):
        res = runner.invoke(cli, [*args, "--build-dir", str(b), "--dist", str(root / "dist"), "--out", str(out)],
                            catch_exceptions=False)
        assert res.exit_code == 0, res.output
    return out / "report.html"


def _render(page: Path, tmp: Path) -> tuple[Path, list[dict]]:
    png, netlog = tmp / "shot.png", tmp / "net.json"
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND",  # nothing may leave the machine, even Chromium's own traffic
         f"--user-data-dir={tmp / 'profile'}", f"--log-net-log={netlog}", f"--screenshot={png}",
         "--window-size=1280,2000", page.resolve().as_uri()],
        check=True, capture_output=True, timeout=120)
    log = json.loads(netlog.read_text())
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    page_requests = [e["params"] for e in log["events"]
                     if names.get(e["type"]) == "URL_REQUEST_START_JOB" and "url" in e.get("params", {})
                     and e["params"].get("initiator") != "not an origin"]
    return png, page_requests


def test_self_contained_html(report: Path) -> None:
    html = report.read_text()
    assert re.search(r"https?://", html) is None  # no absolute URL anywhere: no CDN, fonts, scripts
    assert re.search(r"""(?:src|href)\s*=\s*["']?\s*//""", html) is None  # nor protocol-relative ones
    assert "<script" not in html and "<link" not in html and "@import" not in html
    for label in ("size per target stacked by section", "bytes per op", "device coverage heat map"):
        assert f'aria-label="{label}"' in html


def test_renders_non_blank_without_network(report: Path, tmp_path: Path) -> None:
    from PIL import Image

    png, requests = _render(report, tmp_path / "page")
    assert requests == []
    img = Image.open(png).convert("RGB")
    assert img.size == (1280, 2000)
    colours = img.getcolors(maxcolors=1 << 20)
    non_white = sum(n for n, c in colours if c != (255, 255, 255) and c != (250, 250, 250))
    assert non_white > 0.02 * 1280 * 2000, "screenshot is (nearly) blank"
    # the charts' colours are on screen: the first section colour and a fully covered (green) heat-map cell
    rgb = {c for _, c in colours}
    assert (0x4E, 0x79, 0xA7) in rgb and (44, 160, 44) in rgb


def test_network_check_sees_page_requests(report: Path, tmp_path: Path) -> None:
    control = tmp_path / "control.html"
    control.write_text(report.read_text().replace("<main>", '<main><img src="http://127.0.0.1:9/x.png">', 1))
    _, requests = _render(control, tmp_path / "control")
    assert [r["url"] for r in requests] == ["http://127.0.0.1:9/x.png"]
