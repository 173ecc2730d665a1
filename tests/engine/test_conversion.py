"""Construction-to-term conversion at energization (a loan's ``convert_at``), worked by hand.

Dev builds a $12M hall over 2025 ($1M a month, linear) on a construction loan from Bank at 12% a year (1% a
month), interest capitalised inside the window; its window runs to 2026-12 unless the hall's energization
converts it first. Dev has no cash until 2026-01, when it starts earning $5M a month.
"""

from __future__ import annotations

import pytest

import fundcheck
from fundcheck.errors import ScenarioError
from fundcheck.scenario import load_text

SRC = "source: 'assumption: test'"


def scenario(limit: str = "20M", convert: str = "convert_at: {site: Hall}, ") -> str:
    return f"""
program: conversion
horizon: {{start: 2025-01, end: 2027-06}}
entities:
  Dev:
    kind: company
    funding_priority: [cash, debt]
    cash_flow: [{{start: 2026-01, end: 2027-06, usd_per_year: {{value: 60M, {SRC}}}}}]
  Bank: {{kind: lender}}
sites:
  Hall:
    owner: Dev
    phases:
      - {{name: one, it_mw: {{value: 1, {SRC}}}, facility_capex: {{value: 12M, {SRC}}}, it_capex: {{value: 0, {SRC}}},
         start: 2025-01, months: 12, curve: linear, {SRC}}}
instruments:
  - {{kind: construction_loan, name: CL, from: Bank, to: Dev, limit: {{value: {limit}, {SRC}}},
     rate: {{value: 12%, {SRC}}}, start: 2025-01, end: 2026-12, {convert}repay: {{kind: amortizing, months: 10}}}}
"""


def flows(r: fundcheck.Results, kind: str) -> dict[str, float]:
    f = r.flows()
    f = f[(f.kind == kind) & (f.label == "CL")]
    return {m: float(v) for m, v in f.groupby("month").usd.sum().items()}


def test_the_loan_converts_when_the_hall_energizes() -> None:
    """Twelve draws of $1M with 1% capitalised each month: (1.01^12 - 1) / 0.01 = $12,682,503.01 at the end
    of 2025. The hall energizes 2026-01, so the window ends 2025-12: from 2026-01 interest is paid in cash
    (1% of the balance) and a tenth of the balance is repaid each month, 2026-01 to 2026-10."""
    r = fundcheck.run(load_text(scenario(), "conv.yaml"))
    balance = (1.01 ** 12 - 1) / 0.01 * 1e6
    assert r.window_end()[0] == 11  # 2025-12
    assert r.phases().energized[0] == "2026-01"
    principal = flows(r, "principal")
    assert list(principal) == [f"2026-{m:02d}" for m in range(1, 11)]
    assert list(principal.values()) == pytest.approx([balance / 10] * 10, rel=1e-12)
    interest = flows(r, "interest")
    assert interest["2026-01"] == pytest.approx(0.01 * balance, rel=1e-12)
    assert interest["2026-02"] == pytest.approx(0.01 * balance * 0.9, rel=1e-12)
    assert r.maturities().loc["CL", "month"] == "2026-10"
    assert r.checks.ok


def test_without_conversion_the_window_runs_to_its_end() -> None:
    """The same loan without convert_at capitalises 1% a month through 2026 and repays from 2027-01."""
    r = fundcheck.run(load_text(scenario(convert=""), "conv.yaml"))
    assert r.window_end()[0] == 23  # 2026-12
    balance = (1.01 ** 12 - 1) / 0.01 * 1e6 * 1.01 ** 12
    principal = flows(r, "principal")
    assert min(principal) == "2027-01"
    assert principal["2027-01"] == pytest.approx(balance / 10, rel=1e-12)


def test_a_late_energization_converts_the_loan_later() -> None:
    """With an $11M limit the loan runs out in 2025-11 (after ten draws the balance is $10,462,212.52; 1% of
    it is capitalised and $433,165 more drawn), December's $110,000 of interest goes unpaid, and the hall's last
    $1,566,835 of capex waits for Dev's first income in 2026-01. It energizes 2026-02, so the window runs
    through 2026-01 and the schedule repays from 2026-02."""
    r = fundcheck.run(load_text(scenario(limit="11M"), "conv.yaml"))
    assert r.phases().energized[0] == "2026-02"
    assert r.window_end()[0] == 12  # 2026-01
    principal = flows(r, "principal")
    # 2026-01: only December's unpaid interest (1% of $11M, arrears on the balance) is repaid; the schedule
    # starts 2026-02, a tenth of the $11M each month
    assert principal["2026-01"] == pytest.approx(110_000.0, rel=1e-12)
    assert principal["2026-02"] == pytest.approx(1.1e6, rel=1e-12) and principal["2026-03"] == pytest.approx(1.1e6)
    ten = (1.01 ** 10 - 1) / 0.01 * 1e6
    assert flows(r, "loan draw")["2025-11"] == pytest.approx(11e6 - ten * 1.01, rel=1e-9)
    assert max(flows(r, "loan draw")) == "2025-11"  # the limit is reached: nothing more to draw
    assert r.checks.ok


@pytest.mark.parametrize(("convert", "field", "words"), [
    ("convert_at: {site: Nowhere}, ", "instruments[0].convert_at.site", "Nowhere"),
    ("convert_at: {site: Hall, phase: two}, ", "instruments[0].convert_at.phase", "expected a phase of 'Hall': one"),
    ("convert_at: {site: Hall}, draw: upfront, ", "instruments[0].draw", "no construction period"),
])
def test_bad_conversions_are_located(convert: str, field: str, words: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_text(scenario(convert=convert), "conv.yaml")
    text = str(err.value)
    assert "conv.yaml:" in text and field in text and words in text
