"""A refinancing (a loan's ``refinances``): drawn only to repay another loan's principal as it falls due,
worked by hand.

P starts with $2M, borrows a $10M bridge from Banks in 2025-01 (a bond: drawn whole; 12% a year, interest in
cash, bullet six months after its window: due 2025-07) and spends the $10M at once (its own cash flow). Interest
of $100,000 a month is paid February to July, so P holds $1.4M when the $10M falls due. A refinancing R from Refi
(6% a year, window 2025-07 to 2025-08, bullet three months after: due 2025-11) repays what it can.
"""

from __future__ import annotations

import numpy as np
import pytest

import fundcheck
from fundcheck.errors import ScenarioError
from fundcheck.finance.statements import statements
from fundcheck.scenario import load_text

SRC = "source: 'assumption: test'"


def scenario(refi: str | None = "limit: {value: 12M, SRC}", window: str = "start: 2025-07, end: 2025-08",
             lender: str = "Refi", extra_flow: str = "", parent_cash: str = "5M", more: str = "") -> str:
    refinancing = "" if refi is None else f"""
  - {{kind: term_loan, name: R, from: {lender}, to: P, refinances: B, {refi.replace("SRC", SRC)},
     rate: {{value: 6%, {SRC}}}, {window}, capitalise_interest: false, repay: {{kind: bullet, months: 3}}}}"""
    return f"""
program: refinancing
horizon: {{start: 2025-01, end: 2025-12}}
entities:
  P:
    kind: company
    cash: {{value: 2M, {SRC}}}
    cash_flow: [{{start: 2025-01, end: 2025-01, usd: {{value: -10M, {SRC}}}}}{extra_flow}]
  Parent: {{kind: company, cash: {{value: {parent_cash}, {SRC}}}}}
  Banks: {{kind: lender}}
  Refi: {{kind: lender}}
sites: {{}}
instruments:
  - {{kind: bridge_loan, name: B, from: Banks, to: P, limit: {{value: 10M, {SRC}}}, rate: {{value: 12%, {SRC}}},
     draw: upfront, start: 2025-01, end: 2025-01, capitalise_interest: false,
     repay: {{kind: bullet, months: 6}}}}{refinancing}
{more}"""


def paid(r: fundcheck.Results, kind: str, payer: str, payee: str) -> dict[str, float]:
    f = r.flows()
    f = f[(f.kind == kind) & (f.payer == payer) & (f.payee == payee)]
    return {m: float(v) for m, v in f.groupby("month").usd.sum().items()}


def test_a_refinancing_repays_the_maturity_and_its_own_maturity_falls_due_later() -> None:
    r = fundcheck.run(load_text(scenario(), "refi.yaml"))
    # February to July, $100,000 of interest a month on the bridge
    assert paid(r, "interest", "P", "Banks") == pytest.approx({f"2025-{m:02d}": 100_000.0 for m in range(2, 8)})
    # July: R lends the $10M due and it goes straight to Banks; P's own $1.4M is untouched
    assert paid(r, "loan draw", "Refi", "P") == pytest.approx({"2025-07": 10e6})
    assert paid(r, "principal", "P", "Banks") == pytest.approx({"2025-07": 10e6})
    cash = r.cash()["P"]
    assert cash["2025-07"] == pytest.approx(1.4e6)
    # August to November: 0.5% a month on $10M; in November R's $10M falls due and P pays its $1.2M
    assert paid(r, "interest", "P", "Refi") == pytest.approx({f"2025-{m:02d}": 50_000.0 for m in range(8, 12)})
    assert paid(r, "principal", "P", "Refi") == pytest.approx({"2025-11": 1.2e6})
    assert r.first_shortfall()["P"] == "2025-11"
    # December: 0.5% on the $8.8M left is $44,000, unpaid: arrears on top of the $8.8M overdue
    ln = r.instruments()
    assert ln["R"]["overdue_usd"] == pytest.approx(8.8e6 + 44_000.0)
    assert ln["B"]["overdue_usd"] == pytest.approx(0.0, abs=1e-6)
    assert statements(r).balance_error_usd < 1e-3 and r.checks.ok
    # the refinanced $10M is a need of P's in July, met: need = paid + gap holds
    assert r.need()["P"]["2025-07"] == pytest.approx(10e6 + 100_000.0)


def test_a_refinancing_short_of_the_maturity_leaves_the_rest_due_from_the_borrower() -> None:
    """The limit reached: R lends $8M of the $10M; P pays $1.4M, and $0.6M stays overdue on the bridge. In
    August R has no room left, so the $0.6M stays due from P, with August's interest: $6,000 on it and
    $40,000 on R's $8M."""
    r = fundcheck.run(load_text(scenario(refi="limit: {value: 8M, SRC}"), "refi.yaml"))
    assert paid(r, "loan draw", "Refi", "P") == pytest.approx({"2025-07": 8e6})
    assert paid(r, "principal", "P", "Banks") == pytest.approx({"2025-07": 8e6 + 1.4e6})
    assert r.first_shortfall()["P"] == "2025-07"
    assert r.gap()["P"]["2025-07"] == pytest.approx(0.6e6)
    assert r.gap()["P"]["2025-08"] == pytest.approx(0.6e6 + 6_000.0 + 40_000.0)
    assert r.instruments()["R"]["drawn_usd"] == pytest.approx(8e6)
    assert r.checks.ok


def test_a_refinancing_pays_nothing_else_and_outside_its_window_nothing_at_all() -> None:
    """A $3M cost of P's own in August, inside R's window with $2M of room left: R does not pay it. With R's
    window before the maturity, P's numbers are those of a run without R."""
    flow = f", {{start: 2025-08, end: 2025-08, usd: {{value: -3M, {SRC}}}}}"
    r = fundcheck.run(load_text(scenario(refi="limit: {value: 12M, SRC}", extra_flow=flow), "refi.yaml"))
    assert paid(r, "loan draw", "Refi", "P") == pytest.approx({"2025-07": 10e6})
    assert r.gap()["P"]["2025-08"] == pytest.approx(3e6 - (1.4e6 - 50_000.0))
    early = fundcheck.run(load_text(scenario(window="start: 2025-03, end: 2025-05"), "refi.yaml"))
    none = fundcheck.run(load_text(scenario(refi=None), "refi.yaml"))
    assert not paid(early, "loan draw", "Refi", "P")
    np.testing.assert_allclose(early.cash()["P"].to_numpy(), none.cash()["P"].to_numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(early.gap()["P"].to_numpy(), none.gap()["P"].to_numpy(), rtol=0, atol=1e-6)
    assert none.gap()["P"]["2025-07"] == pytest.approx(10e6 - 1.4e6)
    # liquidity: a refinancing is no money P can spend
    assert early.liquidity()["P"]["undrawn loans"].max() == 0.0


def test_a_modelled_lender_funds_a_refinancing_from_its_own_cash() -> None:
    """Parent lends R from its $5M of cash: $5M of the bridge is repaid through R and $1.4M by P, so $3.6M
    stays overdue; Parent's gap is the $5M it could not lend. In August R (room: $7M) asks Parent again for the
    $3.6M still due, a request Parent already failed (re-issued, so no new gap), and P's new gap is the month's
    interest: 1% on the $3.6M of the bridge and 0.5% on the $5M of R."""
    r = fundcheck.run(load_text(scenario(lender="Parent"), "refi.yaml"))
    assert paid(r, "loan draw", "Parent", "P") == pytest.approx({"2025-07": 5e6})
    assert paid(r, "principal", "P", "Banks") == pytest.approx({"2025-07": 5e6 + 1.4e6})
    gap, new = r.gap(), r.new_gap()
    assert gap["P"]["2025-07"] == pytest.approx(3.6e6) and gap["Parent"]["2025-07"] == pytest.approx(5e6)
    assert gap["Parent"]["2025-08"] == pytest.approx(3.6e6) and new["Parent"]["2025-08"] == pytest.approx(0.0)
    assert new["P"]["2025-08"] == pytest.approx(36_000.0 + 25_000.0)
    assert r.cash()["Parent"]["2025-07"] == pytest.approx(0.0, abs=1e-6)
    assert r.checks.ok


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda t: t.replace("refinances: B", "refinances: Nope"), "instruments[1].refinances", "no instrument"),
    (lambda t: t.replace("refinances: B", "refinances: R"), "instruments[1].refinances", "this loan itself"),
    (lambda t: t.replace("draw: upfront, start: 2025-01", "draw: upfront, start: 2025-01").replace(
        "name: R, from: Refi, to: P", "name: R, from: Refi, to: Parent"), "instruments[1].refinances", "a loan to 'P'"),
    (lambda t: t.replace("capitalise_interest: false, repay: {kind: bullet, months: 3}",
                         "capitalise_interest: false, draw: upfront, repay: {kind: bullet, months: 3}"),
     "instruments[1].draw", "as_needed"),
    (lambda t: t.replace("capitalise_interest: false, repay: {kind: bullet, months: 3}",
                         f"capitalise_interest: false, max_ltc: {{value: 50%, {SRC}}}, "
                         "repay: {kind: bullet, months: 3}"),
     "instruments[1].max_ltc", "loan-to-cost"),
])
def test_bad_refinancings_are_located(change: object, field: str, words: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_text(change(scenario()), "refi.yaml")  # type: ignore[operator]
    text = str(err.value)
    assert "refi.yaml:" in text and field in text and words in text


def test_a_second_refinancing_a_loop_and_a_funding_order_naming_one_are_located() -> None:
    second = f"""  - {{kind: term_loan, name: R2, from: Refi, to: P, refinances: B, limit: {{value: 1M, {SRC}}},
     rate: {{value: 6%, {SRC}}}}}"""
    with pytest.raises(ScenarioError) as err:
        load_text(scenario(more=second), "refi.yaml")
    assert "instruments[2].refinances" in str(err.value) and "already refinanced by 'R'" in str(err.value)
    loop = f"""  - {{kind: term_loan, name: R2, from: Refi, to: P, refinances: R, limit: {{value: 1M, {SRC}}},
     rate: {{value: 6%, {SRC}}}}}"""
    text = scenario(more=loop).replace("{kind: bridge_loan, name: B,", "{kind: bridge_loan, name: B, refinances: R2,")
    with pytest.raises(ScenarioError) as err:
        load_text(text, "refi.yaml")
    assert "loop of refinancings" in str(err.value)
    text = scenario().replace("kind: company\n    cash: {value: 2M", "kind: company\n    funding_priority: [cash, R]\n"
                                                                    "    cash: {value: 2M")
    with pytest.raises(ScenarioError) as err:
        load_text(text, "refi.yaml")
    assert "entities.P.funding_priority[1]" in str(err.value) and "a refinancing of 'B'" in str(err.value)


def test_maturities_name_the_unpaid_ones_as_dated_events() -> None:
    """The bridge's maturity (2025-07) and R's (2025-11), worked above: with R's limit at $8M, the bridge's
    $10M is $8M refinanced, $1.4M repaid by P and $0.6M unpaid, an event for P; R's own maturity is not met
    either. Without a refinancing the bridge's event says so."""
    r = fundcheck.run(load_text(scenario(refi="limit: {value: 8M, SRC}"), "refi.yaml"))
    m = r.maturities()
    assert list(m.index) == ["B", "R"] and list(m.month) == ["2025-07", "2025-11"]
    b = m.loc["B"]
    assert (b.due_usd, b.refinanced_usd, b.repaid_usd, b.unpaid_usd) == pytest.approx((10e6, 8e6, 1.4e6, 0.6e6))
    assert b.refinanced_by == "R" and b.event == "P cannot repay B at maturity (2025-07); R refinanced part of it"
    met = fundcheck.run(load_text(scenario(), "refi.yaml")).maturities()
    assert met.loc["B", "event"] == "" and met.loc["B", "refinanced_usd"] == pytest.approx(10e6)
    bare = fundcheck.run(load_text(scenario(refi=None), "refi.yaml"))
    assert bare.maturities().loc["B", "event"] == "P cannot repay B at maturity (2025-07); no refinancing"
    data = bare.to_json()
    assert data["maturities"]["B"] == {"borrower": "P", "month": "2025-07", "due_usd": 10e6, "refinanced_usd": 0.0,
                                       "repaid_usd": 1.4e6, "unpaid_usd": 8.6e6, "interest_unpaid_usd": 0.0,
                                       "refinanced_by": None,
                                       "event": "P cannot repay B at maturity (2025-07); no refinancing"}


def test_interest_in_arrears_before_maturity_is_not_refinanced() -> None:
    """P has no cash after spending the bridge, so February's $100,000 of interest goes unpaid (arrears). R's
    window is open from 2025-02, but nothing of B falls due before July: R lends nothing until then (found by
    the audit: it used to refinance the arrears every month). In July it lends the whole balance due: $10M,
    with the arrears and the interest on them, 1% a month."""
    text = scenario(window="start: 2025-02, end: 2025-08").replace("cash: {value: 2M", "cash: {value: 0")
    r = fundcheck.run(load_text(text, "refi.yaml"))
    lent = paid(r, "loan draw", "Refi", "P")
    assert list(lent) == ["2025-07", "2025-08"]
    arrears = sum(0.01 * 1e7 * 1.01 ** k for k in range(5))  # interest unpaid February to June, compounding
    assert lent["2025-07"] == pytest.approx(1e7 + arrears, rel=1e-12)
    # July's own interest is unpaid too: overdue from the maturity on, R refinances it in August
    assert lent["2025-08"] == pytest.approx(0.01 * 1e7 * 1.01 ** 5, rel=1e-12)
    assert r.checks.ok


def test_a_maturity_met_but_for_its_interest_says_so() -> None:
    """P's $1.45M cost in July leaves it $50,000 of its $1.5M for July's $100,000 of interest: R repays the
    whole $10M, and the maturity's event is the interest, not the repayment."""
    flow = f", {{start: 2025-07, end: 2025-07, usd: {{value: -1.45M, {SRC}}}}}"
    r = fundcheck.run(load_text(scenario(extra_flow=flow), "refi.yaml"))
    b = r.maturities().loc["B"]
    assert (b.refinanced_usd, b.unpaid_usd, b.interest_unpaid_usd) == pytest.approx((10e6, 0.0, 50_000.0))
    assert b.event == "P cannot pay the interest on B at maturity (2025-07)"


def test_refinancings_are_no_new_money_and_not_due_from_the_borrower_s_own_money() -> None:
    """The capital-stack table leaves R out (it replaces B), and the runway's 'due' in July is the $100,000 of
    interest P pays itself, not the $10M R repaid for it."""
    from fundcheck.report.charts import runway_data

    r = fundcheck.run(load_text(scenario(), "refi.yaml"))
    assert list(r.money().instrument) == ["B"]
    due = runway_data(r, "P")["due"]
    assert due["2025-07"] == pytest.approx(100_000.0)
    assert r.need()["P"]["2025-07"] == pytest.approx(10.1e6)
