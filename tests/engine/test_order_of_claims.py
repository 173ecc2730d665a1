"""An entity's order of claims on its cash (``order_of_claims``), worked by hand.

P has $100M and two claims on it: a $60M commitment to JV, called as JV's hall needs it ($10M a month, March
to August 2025: $60M on a linear curve over six months), and a $50M investment in X paid upfront in February.

- ``month_order`` (the default): February's investment is paid in full first, leaving $50M; the calls of
  March to July take it all and August's $10M call is missed, so P and JV are each $10M short from August
  (the missed call is re-issued every month after).
- ``commitments_first``: P holds back what it still owes JV ($60M, from the commitment's start in January), so
  February's investment sees only $40M: X gets $40M and P is $10M short in February; every call is then paid
  from the cash held back, which falls by $10M a month to nothing in August.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import fundcheck
from fundcheck.errors import ScenarioError
from fundcheck.report.fmt import claims_order
from fundcheck.scenario import load_text

SRC = "source: 'assumption: test'"
M = 1e6


def hall(start: str, months: int, capex: str) -> str:
    """JV's one-phase hall: `capex` of facility spent evenly over `months` from `start`."""
    return f"""sites:
  Hall:
    owner: JV
    phases:
      - {{name: one, it_mw: {{value: 1, {SRC}}}, start: {start}, months: {months}, curve: linear,
         facility_capex: {{value: {capex}, {SRC}}}, it_capex: {{value: 0, {SRC}}}}}
"""


def scenario(order: str = "commitments_first", leaf: bool = True, cash: str = "100M", end: str = "") -> str:
    """P's text; with `leaf` False, P also has an investor of its own (Q, with no cash), so the funding walk
    answers JV's calls through a frame instead of the frameless leaf walk."""
    q = "" if leaf else f"\n  Q: {{kind: investor, cash: {{value: 0, {SRC}}}}}"
    q_eq = "" if leaf else f"\n  - {{kind: equity, from: Q, to: P, amount: {{value: 5M, {SRC}}}, start: 2025-01}}"
    return f"""
program: claims
horizon: {{start: 2025-01, end: 2025-12}}
entities:
  P: {{kind: company, cash: {{value: {cash}, {SRC}}}, order_of_claims: {order}, funding_priority: [cash, equity]}}
  X: {{kind: company}}
  JV: {{kind: jv, funding_priority: [cash, equity]}}{q}
{hall("2025-03", 6, "60M")}instruments:
  - {{kind: equity, name: P into JV, from: P, to: JV, amount: {{value: 60M, {SRC}}}, start: 2025-01{end}}}
  - {{kind: equity, name: P into X, from: P, to: X, call: upfront, start: 2025-02,
     amount: {{value: 50M, {SRC}}}}}{q_eq}
"""


def run(text: str) -> fundcheck.Results:
    r = fundcheck.run(load_text(text, "claims.yaml"))
    assert r.checks.ok
    return r


@pytest.mark.parametrize("leaf", [True, False], ids=["leaf walk", "frame walk"])
def test_month_order_pays_the_investment_first(leaf: bool) -> None:
    r = run(scenario("month_order", leaf))
    gap = r.gap()
    assert gap["P"]["2025-07"] == 0.0 and gap["P"]["2025-08"] == pytest.approx(10 * M, rel=1e-9)
    assert gap["JV"]["2025-08"] == pytest.approx(10 * M, rel=1e-9)
    assert r.gap_by_cause().loc["P", "equity call"] == pytest.approx(10 * M, rel=1e-9)
    assert np.all(r.held()["P"].to_numpy() == 0.0)
    assert r.instruments()["P into X"]["paid_usd"] == pytest.approx(50 * M, rel=1e-12)


@pytest.mark.parametrize("leaf", [True, False], ids=["leaf walk", "frame walk"])
def test_commitments_first_holds_cash_for_the_calls(leaf: bool) -> None:
    r = run(scenario("commitments_first", leaf))
    held = r.held()["P"] / M
    assert held[["2025-01", "2025-02", "2025-03", "2025-05", "2025-07", "2025-08"]].tolist() == pytest.approx(
        [60, 60, 50, 30, 10, 0], abs=1e-6)
    gap = r.gap()
    assert gap["P"]["2025-02"] == pytest.approx(10 * M, rel=1e-12)  # the investment gets $40M of its $50M
    assert gap["P"].drop("2025-02").abs().max() < 1.0 and gap["JV"].abs().max() < 1.0  # every call is paid
    assert r.instruments()["P into X"]["paid_usd"] == pytest.approx(40 * M, rel=1e-12)
    assert r.instruments()["P into JV"]["paid_usd"] == pytest.approx(60 * M, rel=1e-9)
    assert r.shortfalls().loc["JV", "first_shortfall"] is None


def test_cash_held_is_at_most_what_is_still_owed_and_stops_with_the_commitment() -> None:
    """With only $30M, P holds all of it for JV (it owes $60M), so the investment gets nothing in February;
    the calls of March to May are paid and the June call is missed. If the commitment can only be called to
    April, nothing is held from May: the cash left after April's call ($10M) is free again, and the calls
    of May and later are P's no more (JV is short from May)."""
    r = run(scenario("commitments_first", cash="30M"))
    assert r.gap()["P"]["2025-02"] == pytest.approx(50 * M, rel=1e-12)
    assert r.gap()["P"]["2025-06"] == pytest.approx(10 * M, rel=1e-9)
    assert r.held()["P"]["2025-05"] == pytest.approx(30 * M, rel=1e-9)  # still owed; it has nothing left
    ended = run(scenario("commitments_first", cash="30M", end=", end: 2025-04"))
    assert ended.held()["P"]["2025-04"] == pytest.approx(40 * M, rel=1e-9)
    assert ended.held()["P"]["2025-05"] == 0.0
    assert ended.gap()["JV"]["2025-05"] == pytest.approx(10 * M, rel=1e-9)
    assert ended.liquidity()["P"]["cash"]["2025-05"] == pytest.approx(10 * M, rel=1e-9)  # free again


def test_the_order_is_reported() -> None:
    r = run(scenario("commitments_first"))
    data = json.loads(json.dumps(r.to_json(), allow_nan=False))
    assert data["order_of_claims"] == {"P": "commitments_first", "X": "month_order", "JV": "month_order"}
    assert data["entities"]["P"]["held_usd"][:3] == pytest.approx([60 * M, 60 * M, 50 * M], rel=1e-12)
    assert "held_usd" not in data["entities"]["JV"]
    assert claims_order(r.plan.order_of_claims) == "month order; P commitments first"


def test_an_unknown_order_is_a_located_error() -> None:
    with pytest.raises(ScenarioError) as err:
        load_text(scenario("jv_first"), "claims.yaml")
    text = str(err.value)
    assert "claims.yaml:" in text and "order_of_claims" in text and "commitments_first" in text


def test_a_debt_service_reserve_is_funded_only_above_the_cash_held() -> None:
    """Found by the audit. P holds $100M for JV's call in June, and has a $12M bond (1% a month, $500,000 of
    principal a month from February) with a three-month debt-service reserve. Its cash after January is
    exactly what it holds ($100M less its $12M cost plus the bond), so there is nothing above the hold to
    reserve or to pay debt service with: February's $620,000 of service goes unpaid, the reserve stays
    empty, and June's call is paid in full. (The reserve was topped up from the held cash: then neither could
    spend it.)"""
    text = f"""
program: claims
horizon: {{start: 2025-01, end: 2025-12}}
entities:
  P: {{kind: company, cash: {{value: 100M, {SRC}}}, order_of_claims: commitments_first, funding_priority: [cash],
      cash_flow: [{{start: 2025-01, end: 2025-01, usd: {{value: -12M, {SRC}}}}}]}}
  Bank: {{kind: lender}}
  JV: {{kind: jv, funding_priority: [cash, equity]}}
{hall("2025-06", 1, "100M")}instruments:
  - {{kind: equity, name: P into JV, from: P, to: JV, amount: {{value: 100M, {SRC}}}, start: 2025-01}}
  - {{kind: bond, name: L, from: Bank, to: P, limit: {{value: 12M, {SRC}}}, rate: {{value: 12%, {SRC}}},
     draw: upfront, start: 2025-01, end: 2025-01, capitalise_interest: false, reserve_months: 3,
     repay: {{kind: amortizing, months: 24}}}}
"""
    r = run(text)
    assert r.reserves()["P"].abs().max() == 0.0
    assert r.gap()["P"]["2025-02"] == pytest.approx(620_000.0, rel=1e-12)
    assert r.gap()["JV"].abs().max() == 0.0
    assert r.instruments()["P into JV"]["paid_usd"] == pytest.approx(100 * M, rel=1e-12)
