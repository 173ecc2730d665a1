"""The answer first: per-party and program verdicts, their numbers checked against `Results` itself, and the
README's worked figures; readable cells (money, percents, input names, linked sources) and responsive pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.console import Console

import fundcheck
from fundcheck.report.fmt import pct, usd
from fundcheck.report.html import column_label, input_label, linked_source, render_html
from fundcheck.report.summary import print_summary
from fundcheck.report.verdicts import party_verdicts, program_verdict
from tests.conftest import run_cli_here

VIEWPORT = "<meta name='viewport' content='width=device-width, initial-scale=1'>"


@pytest.fixture(scope="module")
def stargate() -> fundcheck.Results:
    return fundcheck.run("stargate")


@pytest.fixture(scope="module")
def abilene() -> fundcheck.Results:
    return fundcheck.run("abilene")


def _by_entity(results: fundcheck.Results) -> dict:
    return {v.entity: v for v in party_verdicts(results)}


def test_stargate_softbank_verdict_equals_results(stargate) -> None:
    v = _by_entity(stargate)["SoftBank"]
    money = stargate.money()
    jv = money[(money["from"] == "SoftBank") & (money["to"] == "Stargate JV")].iloc[0]
    short = stargate.shortfalls().loc["SoftBank"]
    # the README: "SoftBank pays $11.6B of its $19B JV commitment"
    assert usd(jv.deployed_usd) == "$11.6B" and usd(jv.committed_usd) == "$19.0B"
    assert v.text.startswith("SoftBank: pays $11.6B of its $19.0B commitment to Stargate JV; ")
    assert v.first_short == short.first_shortfall == "2027-03"
    month = stargate.months.index("2027-03")
    e = stargate.entity_names.index("SoftBank")
    by_cause = stargate.outcome.field("gap_by_cause_usd")[0, month, e]
    assert v.first_cause == "debt service" and by_cause.argmax() == 1
    assert v.unpaid_usd == short.unpaid_total_usd
    # the first month short is the month its 2026 bridge matures (a bullet, 12 months after it was drawn); its
    # asset sales (A32) repay the 2025 bridge
    assert f"first short 2027-03 (debt service: SoftBank bridge 2026 matures); could not pay " \
        f"{usd(short.unpaid_total_usd)} when due, each dollar once" in v.text
    causes = stargate.gap_by_cause().loc["SoftBank"]
    assert f"debt service {usd(causes['debt service'])}, equity call {usd(causes['equity call'])}" in v.text


def test_stargate_every_party_has_one_line_in_order(stargate) -> None:
    verdicts = party_verdicts(stargate)
    assert [v.entity for v in verdicts] == stargate.funded_entities
    first = stargate.first_shortfall()
    for v in verdicts:
        assert v.first_short == first[v.entity]
        assert (f"first short {first[v.entity]}" in v.text) if first[v.entity] else v.text.endswith("never short")
    # the README's case table: OpenAI 2029-04, Oracle 2030-06, JV 2031-07; MGX pays in full
    by = _by_entity(stargate)
    assert (by["OpenAI"].first_short, by["Oracle"].first_short, by["Stargate JV"].first_short) == \
        ("2029-04", "2030-06", "2031-07")
    assert by["MGX"].text == "MGX: pays in full its $7.0B commitment to Stargate JV; never short"


def test_stargate_program_verdict(stargate) -> None:
    p = program_verdict(stargate)
    t = stargate.totals()
    assert (p.capex_usd, p.funded_usd, p.gap_usd) == (t["capex_usd"], t["funded_usd"], t["gap_usd"])
    assert p.lines[0] == "capex funded $461.8B of $495.0B planned"
    years = stargate.mw_by_year()
    assert (years.loc["2028", "modelled_mw"], years.loc["2028", "planned_mw"]) == (6706, 7700)
    assert "2028 6,706 of 7,700" in p.lines[1]
    phases = stargate.phases()
    never = phases[phases.energized.isna()]
    assert list(never.phase) == ["phase 2"] and list(never.site) == ["Abilene"]
    assert list(p.gap_by_phase_usd) == ["Abilene phase 2"]
    assert sum(p.gap_by_phase_usd.values()) == pytest.approx(t["gap_usd"], abs=1.0)
    assert p.lines[2] == "the build gap $33.2B is Abilene phase 2 $33.2B unfunded (never energizes)"
    money = stargate.money()
    assert p.outside_usd["Senior lenders"] == pytest.approx(
        money[money["from"] == "Senior lenders"].deployed_usd.sum())
    assert p.outside_usd["Co-investors"] == pytest.approx(100e9)
    assert "who fills the holes" in p.lines[3] and "Co-investors $100.0B (to Stargate JV)" in p.lines[3]
    assert "SoftBank" not in p.outside_usd  # a modelled party is never an outside provider


def test_abilene_verdicts_match_the_worked_example(abilene) -> None:
    jv = _by_entity(abilene)["Abilene JV"]
    # README: short from 2026-05 by $19.5M of phase 2's buildings; $18.6B unpaid, $18.57B of it debt service
    assert jv.first_short == "2026-05" and jv.first_cause == "capex"
    assert jv.unpaid_by_cause_usd["capex"] == pytest.approx(19.5e6, abs=0.05e6)
    assert usd(jv.unpaid_usd) == "$18.6B"
    assert "first short 2026-05 (capex); could not pay $18.6B when due, each dollar once (debt service $18.6B, " \
        "capex $19.5M)" in jv.text
    p = program_verdict(abilene)
    assert p.lines[0] == "capex funded $21.8B of $55.0B planned"
    assert p.lines[2] == "the build gap $33.2B is Abilene phase 2 $33.2B unfunded (never energizes)"
    assert "JPMorgan $9.2B (to Abilene JV)" in p.lines[3]


def test_terminal_summary_opens_with_the_verdicts(stargate) -> None:
    console = Console(record=True, width=400)
    print_summary(stargate, console)
    lines = console.export_text().splitlines()
    assert lines[1].startswith("Stargate JV: ") and lines[2].startswith("SoftBank: pays $11.6B of its $19.0B")
    assert any(line.startswith("Program: capex funded $461.8B of $495.0B planned") for line in lines[:12])


def test_report_opens_with_the_answer_and_a_table_of_contents(stargate) -> None:
    page = render_html(stargate)
    assert VIEWPORT in page
    assert page.index("<nav class='toc'>") < page.index("id='answer'") < page.index("class='verdicts'") \
        < page.index("chart-cumulative")
    for slug in re.findall(r"<li><a href='#([^']+)'>", page):
        assert f"<h2 id='{slug}'>" in page
    assert "SoftBank</b>: pays $11.6B of its $19.0B commitment to Stargate JV" in page
    assert '<div class="card">funding gap' not in page and "largest_gap_usd" not in page and "$-" not in page


def test_inputs_table_names_inputs_and_shows_each_fact_once(stargate) -> None:
    page = render_html(stargate)
    inputs = page[page.index("id='inputs'"):]
    assert "instruments[" not in inputs and "contracts[" not in inputs
    assert "equity Blue Owl → Abilene JV: stake" in inputs
    fact_rows = re.findall(r"<tr id='fact-([a-z0-9-]+)'>", inputs)
    assert len(fact_rows) == len(set(fact_rows)) > 20
    for target in set(re.findall(r"href=\"#(fact-[a-z0-9-]+)\"", inputs)):
        assert f"<tr id='{target}'>" in inputs  # every source link resolves to a fact-base row
    assert 'href="https://openai.com/index/announcing-the-stargate-project/" target="_blank" rel="noopener"' \
        in inputs


def test_readable_cells() -> None:
    assert usd(130_000) == "$130k" and usd(19.5e6) == "$19.5M" and usd(-6.5e9) == "\u2212$6.5B"
    assert usd(0.2) == "$0" and usd(950) == "$950" and usd(33.16e9) == "$33.2B" and usd(float("nan")) == "-"
    assert pct(0.075) == "7.5%" and pct(0.4) == "40%"
    assert column_label("largest_gap_usd") == "largest monthly gap" and column_label("planned_mw") == "planned (MW)"
    assert column_label("some_new_usd") == "some new"
    s = fundcheck.run("stargate").scenario
    assert input_label(s, "instruments[0].amount") == "equity SoftBank → Stargate JV: amount"
    assert input_label(s, "sites.Abilene.phases[1].it_capex") == "Abilene, phase 2: IT capex"
    assert input_label(s, "instruments[999].amount") == "instruments[999]: amount"  # unresolvable: as written
    assert linked_source("Reuters via x.com; <b>") == \
        'Reuters via <a href="https://x.com" target="_blank" rel="noopener">x.com</a>; &lt;b&gt;'


def test_every_page_has_the_viewport_tag(tmp_path: Path) -> None:
    runs = [("run", "stargate"), ("run", "stargate", "--compare"),
            ("waterfall", "openai-lp-2019", "--exit-value", "1T"), ("control", "stargate"),
            ("claims", "check", "stargate"),
            ("simulate", "stargate", "--paths", "32", "--fan-paths", "0"),
            ("sensitivity", "stargate", "--method", "tornado", "--paths", "16")]
    for args in runs:
        done = run_cli_here(*args, "--out", str(tmp_path))
        assert done.returncode == 0, (args, done.stderr)
    pages = sorted(tmp_path.rglob("*.html"))
    names = {p.name.split("-")[0].removesuffix(".html") for p in pages}
    assert {"report", "compare", "waterfall", "control", "claims", "montecarlo", "sensitivity"} <= names, names
    for page in pages:
        text = page.read_text()
        assert "name='viewport'" in text and text.index("name='viewport'") < text.index("</head>"), page


SNAPSHOT = Path(__file__).parent / "snapshots" / "stargate_verdicts.txt"


def test_terminal_verdicts_match_the_snapshot(stargate) -> None:
    """The verdicts `fundcheck run stargate` prints, word for word. The numbers in them are checked against
    Results by the tests above; this one catches any change to what a reader sees. After an intended change,
    regenerate the file with print_verdicts on a 1000-column console and read the diff."""
    from fundcheck.report.summary import print_verdicts

    console = Console(record=True, width=1000)
    print_verdicts(stargate, console)
    seen = "\n".join(line.rstrip() for line in console.export_text().splitlines()) + "\n"
    assert seen == SNAPSHOT.read_text()


SMALL = """
program: late
horizon: {start: 2025-01, end: 2025-12}
entities:
  Dev:
    kind: company
    cash_flow: [{start: 2025-03, end: 2025-03, usd: {value: 30M, source: "assumption: test"}}]
sites:
  Hall:
    owner: Dev
    phases:
      - name: one
        it_mw: {value: 1, source: "assumption: test"}
        facility_capex: {value: 30M, source: "assumption: test"}
        it_capex: {value: 0, source: "assumption: test"}
        start: 2025-01
        months: 3
        curve: linear
        source: "assumption: test"
"""


def test_paid_late_and_never_paid_by_hand() -> None:
    """Dev has nothing until $30M arrives in 2025-03, and owes $10M of capex in each of January to March. Under
    the defer policy January's and February's $10M are deferred and paid once the money comes: every dollar it
    could not pay when due was paid later, none never."""
    from fundcheck.scenario import load_text

    r = fundcheck.run(load_text(SMALL, "late.yaml"))
    v = _by_entity(r)["Dev"]
    assert v.unpaid_usd == pytest.approx(20e6, abs=1.0) or v.unpaid_usd == pytest.approx(30e6, abs=1.0)
    assert v.text.endswith("all of it paid later"), v.text
    assert r.totals()["gap_usd"] == 0
