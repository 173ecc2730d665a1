"""New money with a cost: a coupon on what an entity raised, worked by hand.

Dev earns $1M a month and owes $50M of facility capex in 2025-03. By then it has $3M of its own, so it raises
$47M at 6% a year. From 2025-04 it pays 0.5% a month on the $47M, $235,000, nine times by the end of 2025;
the statements carry the $47M as debt and the coupons as interest."""

from __future__ import annotations

import pytest

import fundcheck
from fundcheck.errors import ScenarioError
from fundcheck.finance.statements import statements
from fundcheck.scenario import load_text

SRC = "source: 'assumption: test'"


def scenario(rate: str = f"rate: {{value: 6%, {SRC}}}") -> str:
    return f"""
program: coupon
horizon: {{start: 2025-01, end: 2025-12}}
entities:
  Dev:
    kind: company
    cash_flow: [{{start: 2025-01, end: 2025-12, usd_per_year: {{value: 12M, {SRC}}}}}]
    can_raise: {{amount: {{value: 100M, {SRC}}}, {rate}}}
sites:
  Hall:
    owner: Dev
    phases:
      - {{name: one, it_mw: {{value: 1, {SRC}}}, facility_capex: {{value: 50M, {SRC}}}, it_capex: {{value: 0, {SRC}}},
         start: 2025-03, months: 1, curve: linear, {SRC}}}
"""


def test_coupon_by_hand() -> None:
    r = fundcheck.run(load_text(scenario(), "coupon.yaml"))
    f = r.flows()
    raised = f[f.kind == "new money raised"]
    assert list(raised.month) == ["2025-03"] and raised.usd.sum() == pytest.approx(47e6)
    coupons = f[(f.kind == "interest") & (f.payer == "Dev")]
    assert list(coupons.month) == [f"2025-{m:02d}" for m in range(4, 13)]
    assert coupons.usd.to_list() == pytest.approx([47e6 * 0.06 / 12] * 9, rel=1e-12)
    st = statements(r)
    end = st.balance["Dev"].iloc[-1]
    assert end["debt"] == pytest.approx(47e6) and end["paid-in capital"] == pytest.approx(0.0, abs=1e-6)
    assert st.income["Dev"]["interest expense"].sum() == pytest.approx(9 * 235_000.0)
    assert st.balance_error_usd < 1e-3
    # cash at the end: 12 months of $1M, less the $3M spent on the hall and the coupons
    assert r.cash()["Dev"].iloc[-1] == pytest.approx(12e6 - 3e6 - 9 * 235_000.0)


def test_free_money_has_no_coupon_and_is_paid_in_capital() -> None:
    r = fundcheck.run(load_text(scenario(rate=""), "coupon.yaml").model_copy())
    f = r.flows()
    assert not (f.kind == "interest").any()
    end = statements(r).balance["Dev"].iloc[-1]
    assert end["debt"] == 0 and end["paid-in capital"] == pytest.approx(47e6)


def test_a_coupon_over_100_percent_is_refused() -> None:
    with pytest.raises(ScenarioError) as err:
        load_text(scenario(rate=f"rate: {{value: 150%, {SRC}}}"), "coupon.yaml")
    assert "coupon.yaml:" in str(err.value) and "rate" in str(err.value)


def test_coupon_unpaid_when_the_raise_limit_is_reached_and_income_stops() -> None:
    """The edge: Dev earns only in January to March and may raise exactly the $47M the hall needs. Its limit
    is then reached and its cash gone, so none of the nine $235,000 coupons can be paid: each is unpaid debt
    service, and nothing is raised to pay them."""
    text = scenario().replace("{start: 2025-01, end: 2025-12, usd_per_year: {value: 12M",
                              "{start: 2025-01, end: 2025-03, usd_per_year: {value: 12M")
    text = text.replace("can_raise: {amount: {value: 100M", "can_raise: {amount: {value: 47M")
    r = fundcheck.run(load_text(text, "coupon.yaml"))
    f = r.flows()
    assert f[f.kind == "new money raised"].usd.sum() == pytest.approx(47e6)
    assert not (f.kind == "interest").any()
    assert r.gap_by_cause().loc["Dev", "debt service"] == pytest.approx(9 * 235_000.0, rel=1e-12)
    assert r.first_shortfall()["Dev"] == "2025-04"


# --- new money repaid at its maturity -------------------------------------------------------------------------

def maturity_scenario(income: bool, maturity: str = "2025-06", start: str = "") -> str:
    june = f"\n      - {{start: 2025-06, end: 2025-06, usd: {{value: 60M, {SRC}}}}}" if income else ""
    return f"""
program: maturity
horizon: {{start: 2025-01, end: 2025-08}}
entities:
  A:
    kind: company
    can_raise: {{amount: {{value: 100M, {SRC}}}, rate: {{value: 12%, {SRC}}}, maturity: {maturity}{start}, {SRC}}}
    cash_flow:
      - {{start: 2025-01, end: 2025-01, usd: {{value: -50M, {SRC}}}}}{june}
"""


def test_new_money_is_repaid_in_full_at_its_maturity() -> None:
    # By hand, 1% a month: January A raises 50M for its own costs. The coupon on what is raised and not repaid
    # is paid by raising more: February 0.5 (raised 50.5), March 0.505 (51.005), April 0.51005 (51.51505), May
    # 0.5151505 (52.0302005). June (the maturity): 60M comes in; the coupon 0.520302005 and the whole 52.0302005
    # are paid from it: 7.449497495 left. July and August: nothing owed.
    r = fundcheck.run(load_text(maturity_scenario(income=True), "maturity.yaml"))
    cash = r.get("entities.A.cash_usd", path=0).values / 1e6
    assert list(cash[:5]) == pytest.approx([0.0] * 5, abs=1e-9)
    assert list(cash[5:]) == pytest.approx([7.449497495] * 3, rel=1e-12)
    f = r.flows()
    repaid = f[f.kind == "principal"].groupby("month").usd.sum()
    assert list(repaid.index) == ["2025-06"] and repaid.iloc[0] == pytest.approx(52.0302005e6, rel=1e-12)
    assert r.gap()["A"].sum() == pytest.approx(0.0)
    # the statements: debt while outstanding, none after; the balance sheet balances
    st = statements(r)
    debt = st.balance["A"]["debt"]
    assert debt.loc["2025-05"] == pytest.approx(52.0302005e6, rel=1e-12) and debt.loc["2025-06"] == pytest.approx(0.0)
    assert st.cash_flow["A"]["debt repaid"].loc["2025-06"] == pytest.approx(-52.0302005e6, rel=1e-12)
    assert st.balance_error_usd <= 1e-3


def test_new_money_not_repaid_at_maturity_stays_due_and_no_more_is_raised() -> None:
    # Without June's income A cannot pay: from its maturity it can raise nothing. June's gap is the coupon
    # 0.520302005 and the 52.0302005, all new; July's need is the same again, of which the 52.0302005 came back
    # (carried) and only the coupon is new.
    r = fundcheck.run(load_text(maturity_scenario(income=False), "maturity.yaml"))
    gap = r.gap()["A"] / 1e6
    new = r.get("entities.A.new_gap_usd", path=0).values / 1e6
    carried = r.get("entities.A.carried_usd", path=0).values / 1e6
    assert gap.loc["2025-06"] == pytest.approx(52.550502505, rel=1e-12)
    assert list(new[5:]) == pytest.approx([52.550502505, 0.520302005, 0.520302005], rel=1e-12)
    assert list(carried[5:]) == pytest.approx([0.0, 52.0302005, 52.0302005], rel=1e-12)


def test_a_maturity_before_raising_can_start_is_rejected_with_its_line() -> None:
    with pytest.raises(ScenarioError) as err:
        load_text(maturity_scenario(income=False, maturity="2025-03", start=", start: 2025-04"), "maturity.yaml")
    message = str(err.value)
    assert "maturity.yaml:7: entities.A.can_raise.maturity" in message
    assert "found 2025-03; expected a month after start (2025-04)" in message


def test_money_that_can_no_longer_be_raised_covers_nothing_and_is_not_in_the_runway() -> None:
    # Found by the audit: commitments signed after D's maturity were counted as covered by money D can no longer
    # raise, and the runway showed it. D can raise 100M until 2025-03; its 40M commitment to the JV is signed
    # in 2025-05: covered by nothing (D has no cash), all of it missed. "Can still raise" (in the month after
    # each close) is 100M in January's row only.
    r = fundcheck.run(load_text(f"""
program: late commitment
horizon: {{start: 2025-01, end: 2025-08}}
entities:
  D: {{kind: company, can_raise: {{amount: {{value: 100M, {SRC}}}, maturity: 2025-03, {SRC}}}}}
  JV: {{kind: spv}}
sites:
  Hall:
    owner: JV
    phases:
      - {{name: one, it_mw: 1, facility_capex: 40M, it_capex: 0, start: 2025-06, months: 1, curve: linear, {SRC}}}
instruments:
  - {{kind: equity, from: D, to: JV, amount: 40M, stake: 100%, start: 2025-05, {SRC}}}
""", "late.yaml"))
    commitment = r.to_json()["instruments"]["equity D -> JV"]
    assert commitment["covered_at_signing_usd"] == 0.0 and commitment["missed_usd"] == pytest.approx(40e6)
    can_raise = r.liquidity().loc[:, ("D", "can still raise")].values
    assert list(can_raise) == [pytest.approx(100e6)] + [0.0] * 7


def test_a_maturity_in_the_first_month_without_a_start_is_rejected() -> None:
    with pytest.raises(ScenarioError) as err:
        load_text(maturity_scenario(income=False, maturity="2025-01"), "maturity.yaml")
    assert "expected a month after the horizon start, where raising starts by default (2025-01)" in str(err.value)
