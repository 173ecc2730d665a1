"""Every page as a person sees it: rendered by a real headless Chromium at phone width (400 px) and on a desktop.

CI installs Debian's chromium and sets FUNDCHECK_REQUIRE_BROWSER=1, so there a missing browser fails the
test instead of skipping it. Each page is laid out in a 400 px frame (headless Chromium keeps its window at
least 500 px wide); a script in the outer page reads what the browser laid out: the page's scroll width, the
charts it drew, the verdict lines, and every in-page link whose target does not exist.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

from fundcheck.scenario.facts import facts
from tests.conftest import run_cli_here

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]

if CHROMIUM is None and os.environ.get("FUNDCHECK_REQUIRE_BROWSER") == "1":
    raise RuntimeError("FUNDCHECK_REQUIRE_BROWSER=1 but no chromium is installed")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")

# page -> (the command that writes it, its file name pattern, charts it must draw, text its answer opens with)
PAGES = {
    # 8 runways, cumulative need, capital stack, timeline, MW online, DSCR, the claims timeline, 2 control charts
    "report": (("run", "stargate"), "report.html", 16,
               "SoftBank: pays $11.6B of its $19.0B commitment to Stargate JV"),
    "montecarlo": (("simulate", "stargate", "--paths", "400", "--seed", "1", "--fan-paths", "200"),
                   "montecarlo.html", 5, "SoftBank: short on 100% of paths"),
    "sensitivity": (("sensitivity", "stargate", "--method", "tornado", "--paths", "40"), "sensitivity.html", 1,
                    "tornado sensitivity of gap"),
    "claims": (("claims", "check", "stargate"), "claims*.html", 1, "not everything said can be true"),
    "compare": (("run", "stargate", "--compare"), "compare*.html", 1, "build gap per case"),
    "waterfall": (("waterfall", "openai-lp-2019", "--sweep", "0:2T"), "waterfall*.html", 1, "Payout against exit"),
    "control": (("control", "stargate"), "control*.html", 2, "Control: Stargate JV"),
}


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for name, (args, pattern, _, _) in PAGES.items():
        folder = tmp_path_factory.mktemp(name)
        done = run_cli_here(*args, "--out", str(folder))
        assert done.returncode == 0, (args, done.stderr)
        found = sorted(folder.rglob(pattern))
        assert len(found) == 1, (name, found)
        out[name] = found[0]
    return out


_PROBE = """<script>window.addEventListener('load',()=>{const f=document.getElementById('f');
const d=f.contentDocument;const e=d.documentElement;
const broken=[...d.querySelectorAll('a[href^="#"]')].map(a=>a.getAttribute('href').slice(1))
  .filter(id=>!d.getElementById(id));
const charts=[...d.querySelectorAll('svg.chart')];
const drawn=charts.filter(s=>s.getBoundingClientRect().width>50&&s.getBoundingClientRect().height>50).length;
const facts=[...d.querySelectorAll('a[href^="#fact-"]')].map(a=>a.textContent);
document.body.setAttribute('data-probe',JSON.stringify({scroll:e.scrollWidth,inner:f.contentWindow.innerWidth,
  charts:charts.length,drawn:drawn,verdicts:d.querySelectorAll('.verdicts > li').length,broken:broken,
  facts:facts,text:d.body.innerText}));});</script>"""


def _probe(page: Path, tmp_path: Path) -> dict:
    """Lay `page` out in a 400 px frame in Chromium and return what the browser measured."""
    frame = html.escape(page.read_text(), quote=True)
    probe = tmp_path / "probe.html"
    probe.write_text(f"<!DOCTYPE html><html><body style='margin:0'><iframe id='f' style='border:0' width='400' "
                     f"height='3000' srcdoc=\"{frame}\"></iframe>{_PROBE}</body></html>")
    done = _chromium(tmp_path, "--window-size=800,3000", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri())
    found = re.search(r'data-probe="([^"]*)"', done.stdout)
    assert found, done.stderr[-2000:]
    return json.loads(html.unescape(found[1]))


@pytest.mark.parametrize("name", list(PAGES))
def test_page_at_phone_width(name: str, pages: dict[str, Path], tmp_path: Path) -> None:
    """At 400 px: nothing runs off the edge (wide tables and charts scroll inside their wrappers), every chart
    is drawn at a visible size, the answer is there in words, and every in-page link has a target."""
    _, _, charts, answer = PAGES[name]
    seen = _probe(pages[name], tmp_path)
    assert seen["inner"] == 400
    assert seen["scroll"] <= seen["inner"], (name, seen["scroll"])
    assert seen["charts"] == charts and seen["drawn"] == charts, (name, seen["charts"], seen["drawn"])
    assert answer in seen["text"], (name, seen["text"][:600])
    assert seen["broken"] == [], (name, seen["broken"])


def test_report_verdicts_and_source_links(pages: dict[str, Path], tmp_path: Path) -> None:
    """The report opens with one verdict per funded party and the program's; every fact link in the inputs
    table names a row of the fact base and lands on that row in the sources table."""
    seen = _probe(pages["report"], tmp_path)
    assert seen["verdicts"] == 9  # eight funded parties and the program
    known = facts()
    assert len(seen["facts"]) > 20
    assert set(seen["facts"]) <= set(known), set(seen["facts"]) - set(known)
    page = pages["report"].read_text()
    for fact_id in set(seen["facts"]):
        row = re.search(rf"<tr id='fact-{fact_id.lower()}'><td><b>{fact_id}</b></td><td>([^<]*)</td>", page)
        assert row and html.unescape(row[1]) == known[fact_id].fact, fact_id


def test_montecarlo_verdicts_in_the_browser(pages: dict[str, Path], tmp_path: Path) -> None:
    seen = _probe(pages["montecarlo"], tmp_path)
    assert seen["verdicts"] == 9  # eight modelled parties and the program
    assert re.search(r"Stargate JV: short on [\d.]+% of paths \(± [\d.]+%; 95% interval [\d.]+% to [\d.]+%\)",
                     seen["text"])
    assert "MGX: short on none of 400 paths (95% interval 0% to 0.95%)" in seen["text"]


def test_screenshot_shows_drawn_charts(pages: dict[str, Path], tmp_path: Path) -> None:
    """At desktop width the report's first screens are not blank: lines and areas in many colours."""
    png = tmp_path / "report.png"
    _chromium(tmp_path, "--window-size=1200,2400", f"--screenshot={png}", pages["report"].as_uri())
    image = mpimg.imread(png)[..., :3]
    assert image.shape[:2] == (2400, 1200)
    ink = (image.mean(axis=2) < 0.9).mean()  # share of pixels that are not white-ish
    assert ink > 0.03, ink
    colours = np.unique((image.reshape(-1, 3) * 16).astype(int), axis=0)
    assert len(colours) > 50
    red = ((image[..., 0] > 0.75) & (image[..., 1] < 0.35) & (image[..., 2] < 0.35)).mean()
    assert red > 0.001, red  # the runway charts draw shortfalls below zero in red
