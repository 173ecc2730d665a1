"""The report as a person sees it: rendered by a real headless Chromium, charts drawn, not blank.

CI installs Debian's chromium and sets FUNDCHECK_REQUIRE_BROWSER=1, so there a missing browser fails the
test instead of skipping it.
"""

from __future__ import annotations

import html
import os
import re
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


def test_no_horizontal_overflow_at_phone_width(report: Path, tmp_path: Path) -> None:
    """At 400 px the page body never runs off the edge: wide tables scroll inside their wrappers and charts
    scale to the width. Headless Chromium keeps its window at least 500 px wide, so the report is laid out in a
    400 px frame (srcdoc: same origin) and a script in the outer page writes the frame's widths into the DOM."""
    frame = html.escape(report.read_text(), quote=True)
    script = ("<script>window.addEventListener('load',()=>{const f=document.getElementById('f');"
              "const d=f.contentDocument.documentElement;document.body.setAttribute('data-widths',"
              "d.scrollWidth+' '+f.contentWindow.innerWidth+' '+f.contentDocument.querySelectorAll('.verdicts li')"
              ".length);});</script>")
    probe = tmp_path / "probe.html"
    probe.write_text(f"<!DOCTYPE html><html><body style='margin:0'><iframe id='f' style='border:0' width='400' "
                     f"height='3000' srcdoc=\"{frame}\"></iframe>{script}</body></html>")
    done = _chromium(tmp_path, "--window-size=800,3000", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri())
    found = re.search(r'data-widths="(\d+) (\d+) (\d+)"', done.stdout)
    assert found, done.stderr[-2000:]
    scroll_width, inner_width, verdicts = map(int, found.groups())
    assert inner_width == 400
    assert scroll_width <= inner_width, (scroll_width, inner_width)
    assert verdicts >= 9  # one per funded party and the program's, rendered
