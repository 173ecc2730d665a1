"""`Results.liquidity`: what each party has to pay with after a month's close, for the next month (the runway
charts' upper part), checked by hand against the engine's own monthly outputs and its loan rules: a drawing
window that closes, a bond or bridge paid out in one go, the loan-to-cost cap on the JV's senior debt."""

from __future__ import annotations

import numpy as np
import pytest

import fundcheck


@pytest.fixture(scope="module")
def stargate() -> fundcheck.Results:
    return fundcheck.run("stargate")


def _jv_by_hand(r: fundcheck.Results, month: str) -> float:
    """What the JV can still draw for capex in the month after `month`, written out from the tables: each open
    loan's limit less its balance, and for the two 70% loan-to-cost tranches together no more than
    (0.7 cost - debt) / 0.3, cost being the capex the JV paid so far plus interest capitalised on its loans."""
    t = r.months.index(month)
    flows = r.flows()
    jv_loans = ["JV senior debt, first tranche", "JV senior debt, second tranche"]
    paid = flows[(flows.payer == "Stargate JV") & flows.kind.isin(["facility capex", "IT capex"])
                 & (flows.month <= month)].usd.sum()
    capitalised = sum(float(r.dataset["loans.capitalised_usd"].sel(loan=name).values[0, : t + 1].sum())
                      for name in jv_loans)
    debt = sum(float(r.dataset["loans.principal_usd"].sel(loan=name).values[0, t]) for name in jv_loans)
    headroom = 0.0
    for name, limit, first, last in ((jv_loans[0], 70e9, "2025-01", "2026-12"),
                                     (jv_loans[1], 280e9, "2026-01", "2029-12")):
        nxt = r.months[t + 1] if t + 1 < len(r.months) else "9999-99"
        if first <= nxt <= last:
            headroom += limit - float(r.dataset["loans.principal_usd"].sel(loan=name).values[0, t])
    room = (0.7 * (paid + capitalised) - debt) / 0.3
    return max(min(headroom, room), 0.0)


# (month, what the cap lets the JV draw (an independent audit's figures; 2026-06 was $60.15B before SoftBank's
# asset sales, A32, let it pay more of its calls), the limits' headroom alone)
@pytest.mark.parametrize("month, expected, limits", [("2025-06", 0.111e9, 70e9), ("2026-01", 20.99e9, 350e9),
                                                     ("2026-06", 63.51e9, 348.99e9), ("2029-12", 0.0, 0.0)])
def test_jv_undrawn_is_capped_by_loan_to_cost(stargate, month: str, expected: float, limits: float) -> None:
    got = float(stargate.liquidity().loc[month, ("Stargate JV", "undrawn loans")])
    assert got == pytest.approx(_jv_by_hand(stargate, month), rel=1e-12, abs=1.0)
    assert got == pytest.approx(expected, rel=2e-3, abs=1e6)
    assert got <= limits  # the limits alone would overstate what the JV can draw


def test_closed_windows_and_one_go_loans_are_not_liquidity(stargate) -> None:
    liq = stargate.liquidity()
    # SoftBank's bridges pay out their whole limit when they open: never something to draw later; from the
    # close of 2025-10 it can draw its Arm margin loan's undrawn $11.5B (A33) in the next month
    undrawn = liq[("SoftBank", "undrawn loans")]
    assert (undrawn.loc[:"2025-09"] == 0).all() and undrawn.loc["2025-10"] == 11.5e9
    # the JPM loans' windows end 2026-12: after that month's close nothing is left to draw for 2027-01
    assert liq.loc["2026-12", ("Abilene JV", "undrawn loans")] == 0
    # the JV's second tranche closes 2029-12: at that close nothing can be drawn in 2030-01
    assert liq.loc["2029-12", ("Stargate JV", "undrawn loans")] == 0


def test_cash_and_money_to_raise(stargate) -> None:
    liq = stargate.liquidity()
    cash = stargate.cash()
    for entity in ("SoftBank", "Oracle", "MGX"):
        assert np.array_equal(liq[(entity, "cash")].to_numpy(), np.maximum(cash[entity].to_numpy(), 0.0))
    flows = stargate.flows()
    raised = flows[(flows.payee == "Oracle") & (flows.kind == "new money raised")]
    by_month = raised.groupby("month").usd.sum().reindex(stargate.months, fill_value=0.0).cumsum()
    limit = stargate.plan.entities.value("raise_limit_usd", stargate.plan.entities.index.index("Oracle"))
    expected = np.maximum(limit - by_month.to_numpy(), 0.0)
    assert np.allclose(liq[("Oracle", "can still raise")].to_numpy(), expected, rtol=0, atol=1.0)
    assert liq.loc["2024-06", ("Oracle", "can still raise")] == 30e9
    assert liq.iloc[-1][("Oracle", "can still raise")] == 0


def test_no_party_is_short_next_month_while_it_could_pay_from_cash(stargate) -> None:
    """If a party's cash at a month's close covers all it must pay next month, it is not short next month."""
    liq = stargate.liquidity()
    need, gap = stargate.need(), stargate.gap()
    for entity in stargate.funded_entities:
        cash = liq[(entity, "cash")].to_numpy()[:-1]
        covered = cash >= need[entity].to_numpy()[1:] + 1.0
        assert (gap[entity].to_numpy()[1:][covered] <= 1.0).all(), entity
