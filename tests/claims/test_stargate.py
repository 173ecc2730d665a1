"""The built-in Stargate ledger: its conflicts, their arithmetic, worlds and forecast verdicts."""

from __future__ import annotations

import datetime as dt

import pytest

from fundcheck.claims.check import check_ledger
from fundcheck.claims.conflicts import brute_force
from fundcheck.claims.ledger import read_ledger

AS_OF = dt.date(2026, 11, 30)  # forecasts are judged as of this date in these tests


@pytest.fixture(scope="module")
def check():
    return check_ledger(read_ledger("stargate"), today=AS_OF)


def test_musk_son_and_the_stake_conflict_with_arithmetic(check):
    conflicts = [set(c) for c in check.conflicts]
    assert {"A12.commitment", "Son.jv", "A9.SoftBank"} in conflicts
    text = check.explanations[conflicts.index({"A12.commitment", "Son.jv", "A9.SoftBank"})]
    assert "40% stake (A9.SoftBank) its share of $100B is $40B" in text
    assert "at least $40B" in text and "< $10B" in text


def test_direct_conflicts(check):
    conflicts = [set(c) for c in check.conflicts]
    assert {"A12.commitment", "A13"} in conflicts           # Musk against Altman
    assert {"A12.cash", "A14.SoftBank"} in conflicts        # Musk (cash reading) against CNN's $24.3B
    assert {"Son.softbank", "A6"} in conflicts              # $100B ready > $19B committed
    assert not check.consistent
    for c in check.conflicts:                               # every conflict is minimal and infeasible
        assert not check.system.feasible(c)
        assert all(check.system.feasible([i for i in c if i != j]) for j in c)


def test_consistent_claims_and_worlds(check):
    for cid in ("A22", "A24", "A21", "B15", "M1.500", "A14.Oracle"):
        assert cid in check.uncontested
    for w in check.worlds:
        assert check.system.feasible(w.keeps)
        assert all(not check.system.feasible([*w.keeps, d]) for d in w.drops)  # maximal
    # a world with Musk's cash reading conditions SoftBank's cash below $10B and SoftBank falls short earlier
    cash = next(w for w in check.worlds if "A12.cash" in w.keeps)
    assert cash.inputs["entities.SoftBank.opening_cash_usd"] < 10e9
    assert cash.outcome["first_shortfall"]["SoftBank"] < check.central["first_shortfall"]["SoftBank"]


def test_forecast_verdicts(check):
    assert check.verdicts["A2"][0] == "failed"              # A22, A24: the JV deployed nothing by mid-2025
    assert check.verdicts["A1"][0] == "not yet due"         # by end-2028
    assert check.verdicts["B3"][0] == "unresolved"
    assert all(w.evaluations["B3"] == "fails" for w in check.worlds)  # phase 2 never energizes in the model


def test_small_component_matches_brute_force(check):
    ids = ["A12.commitment", "A13", "Son.jv", "A9.SoftBank", "A6", "A12.cash", "A14.SoftBank"]
    from fundcheck.claims.conflicts import enumerate_conflicts

    assert enumerate_conflicts(ids, check.system.feasible) == brute_force(ids, check.system.feasible)


def test_the_report_carries_the_claims_section_with_the_answer_on_top(check) -> None:
    from fundcheck.engine import run_scenario
    from fundcheck.report.html import render_html
    from fundcheck.scenario import load

    page = render_html(run_scenario(load("stargate")), check)
    section = page[page.index("<section class='claims'>"):]
    assert section.index("Do they actually have the money?") < section.index("Claims by world") \
        < section.index("Timeline")
    assert "Short answer:" in section and "A12.commitment" in section and "<svg" in section
    assert "<section class='claims'>" not in render_html(run_scenario(load("stargate")))  # only when asked
    assert check.to_json()["today"] == "2026-11-30"
