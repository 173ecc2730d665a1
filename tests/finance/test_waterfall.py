"""Waterfalls checked against published worked examples and hand calculations, to the cent."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyxirr import irr as pyxirr_irr

from fundcheck.finance import Tier, Waterfall, american, european, irr_annual

LP, GP, NP = 0, 1, 2


def one_exit(contrib: dict[int, float], exit_value: float, months: int = 13, n: int = 2) -> tuple:
    c = np.zeros((n, 1, months))
    for j, v in contrib.items():
        c[j, 0, 0] = v
    d = np.zeros((1, months))
    d[0, -1] = exit_value
    return c, d


PREF_NO_CATCHUP = Waterfall(("LP", "GP"), (
    Tier("capital", (LP,)),
    Tier("hurdle", (LP,), rate=0.08),
    Tier("split", (LP,), shares=((GP, 0.2),), investors_share=0.8),
))


def test_plumule_example_pref_then_80_20() -> None:
    # Plumule Advisory, "How investment fund carried interest works, part 3"
    # (plumuleadvisory.com/how-investment-fund-carried-interest-works-part-2-2): LP puts in $100, the fund
    # has $200 to distribute one year later; 8% compounded preferred return, then 80/20.
    # Published result: LP $181.60 (100 + 8 + 73.60), GP $18.40.
    c, d = one_exit({LP: 100.0}, 200.0)
    r = european(PREF_NO_CATCHUP, c, d)
    assert r.totals() == {"LP": 181.60, "GP": 18.40}
    assert r.by_tier_usd[:, LP, 0].tolist() == [100.0, 8.0, 73.6]


FULL_CATCHUP = Waterfall(("LP", "GP"), (
    Tier("capital", (LP,)),
    Tier("hurdle", (LP,), rate=0.08),
    Tier("catch_up", (LP,), gp=GP, gp_share=1.0, carry=0.2),
    Tier("split", (LP,), shares=((GP, 0.2),), investors_share=0.8),
))


def test_full_catch_up_restores_80_20_of_all_profit() -> None:
    # Same deal with a 100% GP catch-up: after the $8 pref the GP takes $2 (2 / (8 + 2) = 20%), then the
    # remaining $90 splits 72 / 18: LP 100 + 8 + 72 = 180, GP 2 + 18 = 20, i.e. 80/20 of the $100 profit.
    c, d = one_exit({LP: 100.0}, 200.0)
    r = european(FULL_CATCHUP, c, d)
    assert r.totals() == {"LP": 180.0, "GP": 20.0}
    assert r.by_tier_usd[2, GP, 0] == 2.0


def test_partial_catch_up() -> None:
    # 50% catch-up: X such that 0.5 X = 0.2 (8 + X) -> X = 16/3 = 5.333..; GP 2.67, LP 2.67 in the tier.
    wf = Waterfall(("LP", "GP"), (FULL_CATCHUP.tiers[0], FULL_CATCHUP.tiers[1],
                                  Tier("catch_up", (LP,), gp=GP, gp_share=0.5, carry=0.2),
                                  FULL_CATCHUP.tiers[3]))
    c, d = one_exit({LP: 100.0}, 200.0)
    r = european(wf, c, d)
    assert r.totals()["GP"] == pytest.approx(20.0, abs=0.01)  # past the catch-up, still 20% of profit
    assert r.totals()["LP"] + r.totals()["GP"] == 200.0


def test_exit_below_the_hurdle_gives_the_gp_nothing() -> None:
    c, d = one_exit({LP: 100.0}, 105.0)
    assert european(FULL_CATCHUP, c, d).totals() == {"LP": 105.0, "GP": 0.0}


def test_irr_hurdle_leaves_the_lp_at_exactly_the_hurdle_irr() -> None:
    # Contributions over two years, exit at month 40, pay LPs only until 12% IRR, rest to the GP: the LP's
    # IRR on its flows must be 12% (cross-checked with pyxirr on the same monthly flows).
    months = 41
    c = np.zeros((2, 1, months))
    c[LP, 0, [0, 7, 19]] = [50.0, 30.0, 20.0]
    d = np.zeros((1, months))
    d[0, 40] = 1000.0
    wf = Waterfall(("LP", "GP"), (Tier("hurdle", (LP,), rate=0.12), Tier("split", (), shares=((GP, 1.0),))))
    r = european(wf, c, d)
    flows = r.paid_usd[LP, 0] - c[LP, 0]
    ours = irr_annual(flows[None, :])[0]
    theirs = (1 + pyxirr_irr(flows)) ** 12 - 1
    assert ours == pytest.approx(0.12, abs=2e-5)  # cents of rounding on ~$140
    assert theirs == pytest.approx(ours, abs=1e-9)


def test_multiple_hurdle_then_split() -> None:
    wf = Waterfall(("LP", "GP"), (Tier("hurdle", (LP,), multiple=1.5),
                                  Tier("split", (LP,), shares=((GP, 0.3),), investors_share=0.7)))
    c, d = one_exit({LP: 100.0}, 250.0)
    # LP to 150 first, then the remaining 100 splits 70/30
    assert european(wf, c, d).totals() == {"LP": 220.0, "GP": 30.0}


CAPPED = Waterfall(("Investor", "Employees", "Nonprofit"), (
    Tier("split", (0, 1)),  # split by capital between the investors (no named shares)
), caps=(100.0, float("inf"), float("inf")), beneficiary=2)


def test_capped_profit_by_hand() -> None:
    # Investor puts in 10, employees 30 (both at month 0); an exit of 8,000 splits 25/75 by capital:
    # 2,000 and 6,000. The investor is capped at 100 x 10 = 1,000; the other 1,000 goes to the nonprofit.
    c, d = one_exit({0: 10.0, 1: 30.0}, 8000.0, n=3)
    wf = Waterfall(CAPPED.parties, (Tier("split", (0, 1), investors_share=1.0),), CAPPED.caps, 2)
    r = european(wf, c, d)
    assert r.totals() == {"Investor": 1000.0, "Employees": 6000.0, "Nonprofit": 1000.0}
    assert r.capped_excess_usd[0, 0] == 1000.0


def test_caps_by_round_bind_in_order() -> None:
    # Round 1 capped at 100x on 1, round 2 at 10x on 10; they own 10% and 90% by capital... (1 and 10 -> 1/11).
    wf = Waterfall(("Round 1", "Round 2", "Nonprofit"), (Tier("split", (0, 1), investors_share=1.0),),
                   caps=(100.0, 10.0, float("inf")), beneficiary=2)
    c, d = one_exit({0: 1.0, 1: 10.0}, 1100.0, n=3)
    r = european(wf, c, d).totals()
    # pro rata 100 and 1000; round 2 capped at 100 -> 900 to the nonprofit; round 1 at exactly its 100x cap
    assert r == {"Round 1": 100.0, "Round 2": 100.0, "Nonprofit": 900.0}


def test_american_with_clawback() -> None:
    # Deal A: 100 in at month 0, 200 out at month 12 -> LP 180, GP 20 (full catch-up, as above).
    # Deal B: 100 in at month 0, 50 out at month 24 -> LP 50.
    # Whole fund: 200 in, 250 out; LP needs 200 capital + pref first: the GP's carry must fall, so at the end
    # the GP gives back what it got above the whole-fund answer.
    months = 25
    ca, cb = np.zeros((2, 1, months)), np.zeros((2, 1, months))
    da, db = np.zeros((1, months)), np.zeros((1, months))
    ca[LP, 0, 0], da[0, 12] = 100.0, 200.0
    cb[LP, 0, 0], db[0, 24] = 100.0, 50.0
    whole = european(FULL_CATCHUP, ca + cb, da + db).totals()
    r = american(FULL_CATCHUP, [(ca, da), (cb, db)], gp=GP)
    assert r.paid_usd[GP, 0, 12] == 20.0  # carry paid on deal A when it exited
    assert r.clawback_usd[0] == pytest.approx(20.0 - whole["GP"], abs=0.01)
    assert r.totals() == pytest.approx(whole, abs=0.01)
    assert sum(r.totals().values()) == pytest.approx(250.0, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 10_000), min_size=3, max_size=3), st.integers(0, 10**7),
       st.integers(1, 36), st.sampled_from([0.0, 0.08, 0.2]), st.floats(1.0, 50.0))
def test_every_cent_is_allocated_and_payouts_grow_with_the_exit(capital: list[int], exit_cents: int, month: int,
                                                                  pref: float, cap: float) -> None:
    wf = Waterfall(("LP1", "LP2", "GP", "Nonprofit"), (
        Tier("capital", (0, 1)),
        Tier("hurdle", (0, 1), rate=pref) if pref else Tier("hurdle", (0, 1), multiple=1.0),
        Tier("catch_up", (0, 1), gp=2, gp_share=1.0, carry=0.2),
        Tier("split", (0, 1), shares=((2, 0.2),), investors_share=0.8),
    ), caps=(cap, float("inf"), float("inf"), float("inf")), beneficiary=3)
    c = np.zeros((4, 1, month + 1))
    c[0, 0, 0], c[1, 0, 0], c[2, 0, 0] = capital
    exits = np.array([exit_cents / 100.0, exit_cents / 100.0 + 1000.0])
    d = np.zeros((2, month + 1))
    d[:, -1] = exits
    r = european(wf, np.repeat(c, 2, axis=1), d)
    paid = r.paid_usd.sum(axis=2)
    assert np.allclose(paid.sum(axis=0), exits, atol=1e-9)  # every cent, and no more
    assert np.allclose(paid * 100, np.round(paid * 100), atol=1e-6)  # whole cents
    assert (paid >= 0).all()
    assert (paid[:, 1] >= paid[:, 0] - 0.011).all()  # more money never pays anyone less (to the cent)
    assert paid[0, 0] <= cap * capital[0] + 0.01


GP_INVESTS = Waterfall(("LP", "GP"), (
    # the investors as a scenario's default gives them: every party except the catch-up party (and beneficiary)
    Tier("capital", (LP,)),
    Tier("hurdle", (LP,), rate=0.08),
    Tier("catch_up", (LP,), gp=GP, gp_share=1.0, carry=0.2),
    Tier("split", (LP,), shares=((GP, 0.2),), investors_share=0.8),
))


def test_a_gp_that_puts_in_capital_is_an_investor_for_it() -> None:
    # LP 90 and GP 10 in at month 0; 200 distributed at month 60. The GP is an investor for its 10 and the
    # catch-up / carry party. By hand:
    #   capital:  LP 90, GP 10 (100 of 200 paid, 100 left).
    #   pref:     each hurdle account is capital x (1.08^(1/12))^60 = capital x 1.08^5 = capital x 1.4693280768,
    #             so 46.93280768 in all, pro rata to capital: LP 42.239526912, GP 4.693280768 (53.06719232 left).
    #   catch-up: the GP takes X until X = 20% x (46.93280768 + X): X = 46.93280768 / 4 = 11.73320192
    #             (41.3339904 left).
    #   80/20:    GP 20% = 8.26679808; investors 80% = 33.06719232, by capital: LP 29.760473088, GP 3.306719232.
    #   LP: 90 + 42.239526912 + 29.760473088 = 162.00
    #   GP: 10 + 4.693280768 + 11.73320192 + 8.26679808 + 3.306719232 = 38.00
    # Check: the profit is 100; the GP's carry is 11.73320192 + 8.26679808 = 20 = 20% of it, and the other 80
    # splits 90/10 by capital (72 / 8): LP 90 + 72 = 162, GP 10 + 8 + 20 = 38. (Before the fix the GP's capital
    # was nobody's: LP 180, GP 20, i.e. the GP got carry on the LP's money and lost its own 10.)
    c, d = one_exit({LP: 90.0, GP: 10.0}, 200.0, months=61)
    r = european(GP_INVESTS, c, d)
    assert r.totals() == {"LP": 162.0, "GP": 38.0}
    assert r.by_tier_usd[:, LP, 0].tolist() == [90.0, 42.24, 0.0, 29.76]
    assert r.by_tier_usd[:, GP, 0].tolist() == [10.0, 4.69, 11.73, 11.57]  # split: 8.27 carry + 3.31 as investor


def test_a_gp_that_puts_in_capital_shares_the_pref_when_the_money_runs_short() -> None:
    # 120 at month 60: capital 90 / 10, then 20 of the 46.93 pref, pro rata to the hurdle accounts (90 : 10):
    # LP 18, GP 2. Nothing reaches the catch-up: LP 108, GP 12.
    c, d = one_exit({LP: 90.0, GP: 10.0}, 120.0, months=61)
    assert european(GP_INVESTS, c, d).totals() == {"LP": 108.0, "GP": 12.0}


def test_gp_capital_in_a_partial_catch_up() -> None:
    # 50% catch-up, LP 90 / GP 10, 200 at month 12 (pref 8% = 8: LP 7.20, GP 0.80). The catch-up tier pays the GP
    # half as carry and the other half to the investors by capital (GP 10% of it): carry X/2 = 0.2 (8 + X) gives
    # X = 1.6 / 0.3 = 5.3333; GP carry 2.6667, investors 2.6667 (LP 2.40, GP 0.2667). Then 200 - 100 - 8 - 5.3333
    # = 86.6667 splits 20% carry (17.3333) and 80% by capital (69.3333: LP 62.40, GP 6.9333).
    # GP carry 2.6667 + 17.3333 = 20 (20% of the profit of 100); GP 10 + 0.80 + 0.2667 + 6.9333 + 20 = 38.
    wf = Waterfall(("LP", "GP"), (GP_INVESTS.tiers[0], GP_INVESTS.tiers[1],
                                  Tier("catch_up", (LP,), gp=GP, gp_share=0.5, carry=0.2), GP_INVESTS.tiers[3]))
    c, d = one_exit({LP: 90.0, GP: 10.0}, 200.0)
    assert european(wf, c, d).totals() == {"LP": 162.0, "GP": 38.0}
