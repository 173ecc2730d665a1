"""Pages escape everything that comes from a scenario: a scenario whose every text field holds `<script>`,
`onerror=` and mathtext gives pages with no script, no event handler and the text shown as written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from fundcheck.report.charts import ChartIds, element_id

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(1)>$\\frac{1}{2}$[/]:100:"


def _q(prefix: str) -> str:
    return "'" + prefix + PAYLOAD + "'"  # YAML single quotes: the backslash stays a backslash


def hostile_yaml() -> str:
    """A valid scenario with the payload in every text field: program, description, entities, sites, phases,
    instruments, sources, notes, waterfall, governance bodies and matters, alternatives."""
    d, i, j, b, t, s, n = _q("D"), _q("I"), _q("J"), _q("B"), _q("T"), _q("assumption "), _q("note ")
    return f"""\
program: {_q("P")}
description: {_q("desc ")}
horizon: {{start: 2026-01, end: 2030-12}}
entities:
  {d}: {{kind: company, cash: {{value: $1B, source: {s}}}, note: {n}, description: {_q("about ")}}}
  {i}: {{kind: investor, cash: {{value: $2B, source: {s}}}, note: {n}}}
  {j}: {{kind: spv, funding_priority: [cash, equity, debt], note: {n}}}
  {b}: {{kind: lender, note: {n}}}
  {t}: {{kind: company, outside: true, note: {n}}}
sites:
  {_q("S")}:
    owner: {j}
    note: {n}
    phases:
      - name: {_q("ph")}
        it_mw: {{value: 100, source: {s}, note: {n}}}
        start: 2026-03
        months: 18
        facility_capex: {{value: $1.2B, source: {s}}}
        it_capex: {{value: 0, source: {s}}}
instruments:
  - {{kind: equity, name: {_q("e1")}, from: {d}, to: {j}, source: {s}, note: {n}, amount: {{value: $250M}},
     stake: {{value: 50%}}}}
  - {{kind: equity, name: {_q("e2")}, from: {i}, to: {j}, source: {s}, amount: {{value: $250M}}, stake: {{value: 50%}}}}
  - kind: construction_loan
    name: {_q("loan")}
    from: {b}
    to: {j}
    limit: {{value: $850M, source: {s}}}
    rate: {{value: 7.5%, source: {s}}}
    start: 2026-03
    end: 2027-12
    repay: {{kind: amortizing, months: 180}}
contracts:
  - kind: lease
    tenant: {t}
    landlord: {j}
    site: {_q("S")}
    term_years: 15
    rate_per_mw_month: {{value: $150k, source: {s}}}
    note: {n}
waterfalls:
  {j}:
    parties: [{d}, {i}]
    tiers:
      - {{kind: split, by: stake, investors: [{d}, {i}], source: {s}}}
    exit: {{month: 2030-06, value: {{value: 5B, source: {s}}}}}
    note: {n}
governance:
  {j}:
    bodies:
      - {{name: {_q("board")}, weights: seats, seats: 5, quota: majority, source: {s}}}
      - {{name: {_q("holders")}, weights: stake, quota: majority, source: {s}}}
    matters:
      - {{name: {_q("m1")}, bodies: [{_q("board")}], source: {s}}}
      - {{name: {_q("m2")}, bodies: [{_q("board")}, {_q("holders")}], source: {s}}}
alternatives:
  - name: {_q("alt")}
    description: {_q("alt desc ")}
    source: {s}
    set: {{horizon.end: 2031-12}}
"""


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"COLUMNS": "400"}  # wide enough that rich does not fold the names in the tables
    return subprocess.run([sys.executable, "-m", "fundcheck", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, subprocess.CompletedProcess[str]]]:
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "hostile.yaml").write_text(hostile_yaml(), encoding="utf-8")
    done = {
        "run": _run("run", "hostile.yaml", "--alt", "alt" + PAYLOAD, "--out", "o", "--json", "o/r.json", cwd=folder),
        "control": _run("control", "hostile.yaml", "--out", "o", "--json", "o/c.json", cwd=folder),
        "waterfall": _run("waterfall", "hostile.yaml", "--sweep", "0:10B", "--out", "o", "--json", "o/w.json",
                          cwd=folder),
    }
    for command, result in done.items():
        assert result.returncode == 0, (command, result.stderr)
        assert "Traceback" not in result.stderr
    return folder / "o", done


def test_the_hostile_scenario_makes_three_pages(pages) -> None:
    folder, _ = pages
    names = sorted(p.name for p in folder.glob("*.html"))
    assert names[0].startswith("control-j-script") and names[1] == "report.html"
    assert names[2].startswith("waterfall-j-script") and len(names) == 3
    assert all(len(n) < 120 for n in names)


@pytest.mark.parametrize("kind", ["report", "control", "waterfall"])
def test_no_script_and_no_event_handler_reach_the_page(pages, kind: str) -> None:
    folder, _ = pages
    (page,) = folder.glob(f"{kind}*.html")
    source = page.read_text(encoding="utf-8")
    parsed = _Page()
    parsed.feed(source)
    parsed.close()
    assert not [tag for tag, _ in parsed.tags if tag in ("script", "img", "iframe", "object", "embed")]
    assert not [(tag, a) for tag, attrs in parsed.tags for a, _ in attrs if a.lower().startswith("on")]
    for tag, attrs in parsed.tags:
        if tag == "svg":
            assert all(c.isalnum() or c == "-" for c in dict(attrs).get("id", "")), attrs
    text = "".join(parsed.text)
    assert text.count(PAYLOAD) >= 3, text[:2000]  # shown as written: escaped in the source, intact as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in source
    assert "$\\frac{1}{2}$" in text  # drawn literally, not as mathtext (no 1/2 fraction glyphs)


def test_every_text_field_shows_up_escaped(pages) -> None:
    folder, _ = pages
    report = _Page()
    report.feed((folder / "report.html").read_text(encoding="utf-8"))
    text = "".join(report.text)
    for prefix in ("P", "desc ", "D", "I", "J", "S", "ph", "e1", "loan", "assumption ", "m1", "m2", "alt",
                   "alt desc "):
        assert prefix + PAYLOAD in text, prefix
    control = _Page()
    (page,) = folder.glob("control-*.html")
    control.feed(page.read_text(encoding="utf-8"))
    for prefix in ("J", "m1", "m2", "D", "I"):
        assert prefix + PAYLOAD in "".join(control.text), prefix


def test_terminal_output_prints_names_as_written(pages) -> None:
    _, done = pages
    for result in done.values():
        assert "[/]:100:" in result.stdout and "💯" not in result.stdout
    assert "D" + PAYLOAD in done["run"].stdout


def test_chart_ids_are_safe_and_unique() -> None:
    ids = ChartIds()
    assert ids("chart-power", "ordinary") == "chart-power-ordinary"
    assert ids("chart-power", "Ordinary") == "chart-power-ordinary-2"
    assert ids("chart-power", "<script>x</script>") == "chart-power-script-x-script"
    assert ids("chart-power", "日本") == "chart-power-1"
    assert ids("chart-power", "1") == "chart-power-1-2"
    assert ids("chart-power", "中国") == "chart-power-2"
    assert element_id('"><svg onload=alert(1)>') == "svg-onload-alert-1"


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
@pytest.mark.parametrize("kind", ["control", "report"])
def test_nothing_runs_in_a_browser(pages, kind: str, tmp_path: Path) -> None:
    from tests.report.test_browser import FLAGS

    folder, _ = pages
    (page,) = folder.glob(f"{kind}*.html")
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
                           page.as_uri()], capture_output=True, text=True, timeout=120)
    dom = done.stdout
    assert "</html>" in dom, done.stderr[-2000:]
    assert "<script" not in dom.lower() and "<img" not in dom.lower()  # the browser built no such element
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom  # it shows the text instead
