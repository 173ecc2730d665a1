"""A debt-service reserve account (a loan's ``reserve_months``), worked by hand.

P borrows a $12M bond from Bank in 2025-01 (12% a year: 1% a month on the opening balance, in cash) and spends
it at once; it repays $500,000 a month from 2025-02 and earns $600,000 a month through 2025. With
``reserve_months: 3`` it keeps three months of the month's scheduled debt service aside after each month's
debt service, as far as its cash allows: that cash pays only debt service.
"""

from __future__ import annotations

import pytest

import fundcheck
from fundcheck.errors import ScenarioError
from fundcheck.scenario import load_text

SRC = "source: 'assumption: test'"


def scenario(reserve: str = "reserve_months: 3, ", december_cost: str = "1M") -> str:
    return f"""
program: reserve
horizon: {{start: 2025-01, end: 2026-12}}
entities:
  P:
    kind: company
    cash_flow: [{{start: 2025-01, end: 2025-01, usd: {{value: -12M, {SRC}}}}},
                {{start: 2025-01, end: 2025-12, usd_per_year: {{value: 7.2M, {SRC}}}}},
                {{start: 2025-12, end: 2025-12, usd: {{value: -{december_cost}, {SRC}}}}}]
  Bank: {{kind: lender}}
instruments:
  - {{kind: bond, name: L, from: Bank, to: P, limit: {{value: 12M, {SRC}}}, rate: {{value: 12%, {SRC}}},
     draw: upfront, start: 2025-01, end: 2025-01, capitalise_interest: false, {reserve}
     repay: {{kind: amortizing, months: 24}}}}
"""


def test_the_reserve_holds_cash_for_debt_service_only() -> None:
    """Each month of 2025 P keeps $100,000 of its income less the month's interest (1% of a balance falling
    $500,000 a month): cash after debt service is $580,000 in February, $565,000 in March, ... $625,000 in
    November, all of it reserved (three months of service is more). In December its $1M cost meets $600,000 of
    free cash: $400,000 of it goes unpaid, while the reserve pays December's $570,000 of debt service in full.
    Without a reserve the cost is paid and $345,000 of debt service is not."""
    r = fundcheck.run(load_text(scenario(), "reserve.yaml"))
    reserve = r.reserves()["P"]
    expected = {"2025-02": 580_000.0, "2025-03": 565_000.0, "2025-04": 555_000.0, "2025-11": 625_000.0}
    assert {m: reserve[m] for m in expected} == pytest.approx(expected, rel=1e-12)
    assert r.liquidity()["P"]["cash"]["2025-03"] == pytest.approx(0.0, abs=1e-6)  # all of it is reserved
    causes = r.gap_by_cause().loc["P"]
    assert r.gap()["P"]["2025-12"] == pytest.approx(400_000.0, rel=1e-12)
    assert causes["own costs"] == pytest.approx(400_000.0, rel=1e-12)
    assert reserve["2025-12"] == pytest.approx(55_000.0, rel=1e-9)  # $625,000 - $570,000, now the whole cash
    bare = fundcheck.run(load_text(scenario(reserve=""), "reserve.yaml"))
    assert bare.gap()["P"]["2025-12"] == pytest.approx(345_000.0, rel=1e-12)
    assert bare.gap_by_cause().loc["P", "own costs"] == 0.0
    assert r.checks.ok and bare.checks.ok


def test_the_reserve_is_released_as_the_loan_is_repaid() -> None:
    """Without the December cost P's cash after December's service is $655,000, all reserved; in 2026 it has
    no income, and the reserve pays January's $565,000 and $90,000 of February's $560,000: exactly what P
    could pay without a reserve, as nothing else competes for the cash."""
    r = fundcheck.run(load_text(scenario(december_cost="0"), "reserve.yaml"))
    bare = fundcheck.run(load_text(scenario(reserve="", december_cost="0"), "reserve.yaml"))
    assert r.reserves()["P"]["2025-12"] == pytest.approx(655_000.0, rel=1e-12)
    assert r.gap()["P"].to_numpy() == pytest.approx(bare.gap()["P"].to_numpy(), abs=1e-6)
    assert r.gap()["P"]["2026-02"] == pytest.approx(470_000.0, rel=1e-12)


def test_a_reserve_of_no_months_is_refused() -> None:
    with pytest.raises(ScenarioError) as err:
        load_text(scenario(reserve="reserve_months: 0, "), "reserve.yaml")
    assert "reserve.yaml:" in str(err.value) and "reserve_months" in str(err.value)


def test_findings_of_the_audit() -> None:
    """(1) A borrower's reserve is protected for the whole month although its loans are not consecutive in the
    file: Q's call on P's equity in June cannot take P's reserve (P keeps $208,000, three months of its
    $1.2M loan's service at that point, and Q stays $108,000 short), whatever the order of the loans. (2) A
    bullet's maturity is not service to reserve for, and a reserve is released from the last instalment on:
    with the bullet refinanced in July, P's reserve is $0 that month and its $1M of capex is paid."""
    src = "source: 'assumption: t'"

    def split(order: list[str]) -> str:
        loans = {
            "L0": f"  - {{kind: bond, name: L0, from: Bank, to: P, limit: {{value: 1M, {src}}}, "
                  f"rate: {{value: 12%, {src}}}, draw: upfront, start: 2025-12, end: 2025-12, "
                  "capitalise_interest: false}",
            "LQ": f"  - {{kind: bond, name: LQ, from: Bank, to: Q, limit: {{value: 1.2M, {src}}}, "
                  f"rate: {{value: 12%, {src}}}, draw: upfront, start: 2025-01, end: 2025-01, "
                  "capitalise_interest: false, repay: {kind: amortizing, months: 12}}",
            "L1": f"  - {{kind: bond, name: L1, from: Bank, to: P, limit: {{value: 1.2M, {src}}}, "
                  f"rate: {{value: 12%, {src}}}, draw: upfront, start: 2025-01, end: 2025-01, "
                  "capitalise_interest: false, reserve_months: 3, repay: {kind: amortizing, months: 12}}"}
        return f"""
program: split-runs
horizon: {{start: 2025-01, end: 2025-12}}
entities:
  P: {{kind: company}}
  Q: {{kind: company, cash_flow: [{{start: 2025-01, end: 2025-01, usd: {{value: -1.2M, {src}}}}}]}}
  Bank: {{kind: lender}}
instruments:
  - {{kind: equity, from: P, to: Q, amount: {{value: 5M, {src}}}, stake: {{value: 100%, {src}}}}}
""" + "\n".join(loans[name] for name in order) + "\n"

    for order in (["L0", "LQ", "L1"], ["LQ", "L1", "L0"]):
        r = fundcheck.run(load_text(split(order), "split.yaml"))
        assert r.cash()["P"]["2025-06"] == pytest.approx(208_000.0, rel=1e-12), order
        assert r.reserves()["P"]["2025-06"] == pytest.approx(208_000.0, rel=1e-12), order
        assert r.gap()["Q"]["2025-06"] == pytest.approx(108_000.0, rel=1e-12), order
        assert r.checks.ok
    bullet = f"""
program: refi-bullet
horizon: {{start: 2025-01, end: 2025-12}}
gap_policy: record
entities:
  P:
    kind: company
    cash_flow: [{{start: 2025-01, end: 2025-01, usd: {{value: -1.2M, {src}}}}},
                {{start: 2025-01, end: 2025-12, usd_per_year: {{value: 3.6M, {src}}}}}]
  Bank: {{kind: lender}}
  Bank2: {{kind: lender}}
sites:
  S:
    owner: P
    phases:
      - {{name: one, it_mw: 1, facility_capex: 1M, it_capex: 0, start: 2025-07, months: 1, curve: linear, {src}}}
instruments:
  - {{kind: bond, name: A, from: Bank, to: P, limit: 1.2M, rate: 12%, draw: upfront, start: 2025-01, end: 2025-01,
     capitalise_interest: false, reserve_months: 3, repay: {{kind: bullet, months: 6}}, {src}}}
  - {{kind: term_loan, name: B, from: Bank2, to: P, limit: 1.2M, rate: 12%, start: 2025-07, end: 2025-07,
     capitalise_interest: false, refinances: A, repay: {{kind: amortizing, months: 12}}, {src}}}
"""
    r = fundcheck.run(load_text(bullet, "bullet.yaml"))
    assert r.reserves()["P"]["2025-06"] == pytest.approx(3 * 12_000.0, rel=1e-12)  # three months of interest
    assert r.reserves()["P"]["2025-07"] == 0.0
    assert r.gap_by_cause().loc["P", "capex"] == 0.0 and r.checks.ok


def test_a_reserve_on_a_refinancing_or_an_outside_borrower_is_refused() -> None:
    text = scenario().replace("  P:\n    kind: company", "  P:\n    kind: company\n    outside: true")
    with pytest.raises(ScenarioError) as err:
        load_text(text, "reserve.yaml")
    assert "instruments[0].reserve_months" in str(err.value) and "modelled borrower" in str(err.value)
    refi = scenario(reserve="") + ("  - {kind: term_loan, name: R, from: Bank, to: P, refinances: L, "
                                   f"reserve_months: 2, limit: {{value: 1M, {SRC}}}, rate: {{value: 6%, {SRC}}}}}\n")
    with pytest.raises(ScenarioError) as err:
        load_text(refi, "reserve.yaml")
    assert "instruments[1].reserve_months" in str(err.value) and "refinancing" in str(err.value)
