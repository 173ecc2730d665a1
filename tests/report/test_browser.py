"""The report as a person sees it: rendered by a real headless Chromium, charts drawn, not blank.

CI installs Debian's chromium and sets FUNDCHECK_REQUIRE_BROWSER=1, so there a missing browser fails the
test instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

import fundcheck
from fundcheck.report.html import write_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]

if CHROMIUM is None and os.environ.get("FUNDCHECK_REQUIRE_BROWSER") == "1":
    raise RuntimeError("FUNDCHECK_REQUIRE_BROWSER=1 but no chromium is installed")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    return write_html(fundcheck.run("stargate"), folder / "report.html")


def test_browser_parses_every_chart(report: Path, tmp_path: Path) -> None:
    done = _chromium(tmp_path, "--dump-dom", report.as_uri())
    dom = done.stdout
    for chart in ("chart-cumulative", "chart-sources-uses", "chart-cash", "chart-mw", "chart-power-ordinary",
                  "chart-power-reserved"):
        assert f'id="{chart}"' in dom, (chart, done.stderr[-2000:])
    assert dom.count('class="chart"') == 6
    assert "Every input and its source" in dom


def test_screenshot_shows_drawn_charts(report: Path, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    _chromium(tmp_path, "--window-size=1200,2400", f"--screenshot={png}", report.as_uri())
    image = mpimg.imread(png)[..., :3]
    assert image.shape[:2] == (2400, 1200)
    ink = (image.mean(axis=2) < 0.9).mean()  # share of pixels that are not white-ish
    assert ink > 0.03, ink
    colours = np.unique((image.reshape(-1, 3) * 16).astype(int), axis=0)
    assert len(colours) > 50  # lines and areas in many colours, not only text
