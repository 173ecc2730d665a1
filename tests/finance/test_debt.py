"""Term debt at the finance level: sculpting by hand to the cent, DSCR and LLCR, sizing by DSCR and gearing, and the
level schedules against the engine's repayment profiles and numpy-financial."""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundcheck.engine.instruments.repayment import scheduled_principal
from fundcheck.engine.tables import Repay
from fundcheck.finance import (
    dscr,
    level_payment,
    level_principal,
    llcr,
    sculpt,
    sculpted_schedule,
    size_debt,
)


def cents(x) -> list[float]:
    return np.round(np.asarray(x, dtype=float), 2).tolist()


def test_sculpted_schedule_by_hand() -> None:
    # 3 annual periods, CFADS 130 each, DSCR 1.3, 10%: debt service 130 / 1.3 = 100 each period;
    # debt = 100/1.1 + 100/1.1^2 + 100/1.1^3 = 90.909091 + 82.644628 + 75.131480 = 248.685199
    # year 1: interest 10% x 248.685199 = 24.868520, principal 100 - 24.868520 = 75.131480, closing 173.553719
    # year 2: interest 17.355372, principal 82.644628, closing 90.909091
    # year 3: interest 9.090909, principal 90.909091, closing 0
    s = sculpted_schedule([130.0, 130.0, 130.0], 1.3, 0.10, periods_per_year=1)
    assert round(float(s.size_usd), 2) == 248.69
    assert cents(s.principal_usd) == [75.13, 82.64, 90.91]
    assert cents(s.interest_usd) == [24.87, 17.36, 9.09]
    assert cents(s.balance_open_usd) == [248.69, 173.55, 90.91]
    assert cents(s.balance_close_usd) == [173.55, 90.91, 0.0]
    assert s.debt_service_usd == pytest.approx([100.0, 100.0, 100.0], abs=1e-12)
    assert sculpt([130.0, 130.0, 130.0], 1.3, 0.10, periods_per_year=1) == pytest.approx(s.principal_usd, abs=0)


def test_sculpted_schedule_on_uneven_cash_by_hand() -> None:
    # CFADS 50, 0, 200, -20 (annual), DSCR 1.25, 8%, tenor 3 periods: service 40, 0, 160 (nothing where there is
    # no cash; the 4th period is after the tenor). debt = 40/1.08 + 0 + 160/1.08^3 = 37.037037 + 127.013184
    # = 164.050221.
    # year 1: interest 13.124018, principal 40 - 13.124018 = 26.875982, closing 137.174239
    # year 2: interest 10.973939, service 0: principal -10.973939 (capitalised), closing 148.148148 = 160 / 1.08
    # year 3: interest 11.851852, principal 148.148148, closing 0
    s = sculpted_schedule([50.0, 0.0, 200.0, -20.0], 1.25, 0.08, periods_per_year=1, tenor_periods=3)
    assert round(float(s.size_usd), 2) == 164.05
    assert cents(s.principal_usd) == [26.88, -10.97, 148.15, 0.0]
    assert cents(s.interest_usd) == [13.12, 10.97, 11.85, 0.0]
    assert cents(s.balance_close_usd) == [137.17, 148.15, 0.0, 0.0]
    cover = dscr([50.0, 0.0, 200.0, -20.0], s.debt_service_usd)
    assert cover.per_period[[0, 2]] == pytest.approx([1.25, 1.25], rel=1e-12)  # exactly the target where cash is
    assert np.isnan(cover.per_period[[1, 3]]).all()  # no service due
    assert (cover.minimum, cover.average) == (pytest.approx(1.25), pytest.approx(1.25))


def test_negative_cash_means_no_service_and_capitalised_interest() -> None:
    s = sculpted_schedule([-10.0, 100.0], 1.5, 0.12, periods_per_year=1)
    assert s.debt_service_usd[0] == 0.0
    assert s.principal_usd[0] == pytest.approx(-0.12 * s.size_usd)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.floats(1.0, 1e9), min_size=1, max_size=240), st.floats(1.0, 3.0), st.floats(0.0, 0.25))
def test_sculpted_debt_hits_its_dscr_exactly(cfads: list[float], target: float, rate: float) -> None:
    s = sculpted_schedule(cfads, target, rate)  # monthly
    # Exact to rounding of the largest amount: service = principal + interest is summed from parts that can be
    # 1e8 times larger than it (CFADS of $1.5 against a $1B balance).
    usd = 1e-12 * float(s.size_usd)
    assert s.debt_service_usd == pytest.approx(np.array(cfads) / target, rel=1e-12, abs=usd)
    big = np.array(cfads) > 1e-6 * float(s.size_usd)
    assert dscr(cfads, s.debt_service_usd).per_period[big] == pytest.approx(np.full(big.sum(), target), rel=1e-6)
    # the corkscrew closes: closing = opening - principal, the next opening is the closing, repaid to 0
    assert s.balance_open_usd[1:] == pytest.approx(s.balance_close_usd[:-1], rel=1e-12, abs=usd)
    assert s.balance_close_usd[-1] == pytest.approx(0.0, abs=usd)
    assert s.principal_usd.sum() == pytest.approx(float(s.size_usd), rel=1e-12, abs=usd)
    # with a constant DSCR on positive cash, the LLCR is that DSCR at every period
    assert llcr(cfads, s.balance_open_usd, rate) == pytest.approx(np.full(len(cfads), target), rel=1e-9)


def test_sculpting_is_vectorized_with_a_dscr_per_period() -> None:
    cfads = np.array([[130.0, 130.0, 130.0], [100.0, 200.0, 300.0]])
    target = np.array([1.3, 1.2, 1.1])
    s = sculpted_schedule(cfads, target, np.array([0.10, 0.05]), periods_per_year=1)
    assert s.size_usd.shape == (2,)
    assert dscr(cfads, s.debt_service_usd).per_period == pytest.approx(np.broadcast_to(target, (2, 3)))


def test_size_debt_dscr_binds() -> None:
    # DSCR capacity 248.685 (the hand case above); 80% of 400 capex = 320 allows more: the DSCR binds
    sizing = size_debt([130.0, 130.0, 130.0], 1.3, 0.10, max_gearing=0.8, capex=400.0, periods_per_year=1)
    assert sizing.size_usd == pytest.approx(248.685199, abs=1e-6)
    assert (sizing.binding, sizing.gearing_sized_usd) == ("dscr", pytest.approx(320.0))


def test_size_debt_gearing_binds_and_the_dscr_rises() -> None:
    # 70% of 300 capex = 210 < 248.685: gearing binds; sculpted to that size, the service is 210 / 248.685 of
    # 100 = 84.44 a year and the DSCR 130 / 84.44 = 1.3 x 248.685 / 210 = 1.5395 every year
    sizing = size_debt([130.0, 130.0, 130.0], 1.3, 0.10, max_gearing=0.7, capex=300.0, periods_per_year=1)
    assert (float(sizing.size_usd), str(sizing.binding)) == (pytest.approx(210.0), "gearing")
    assert sizing.dscr_sized_usd == pytest.approx(248.685199, abs=1e-6)
    s = sculpted_schedule([130.0, 130.0, 130.0], 1.3, 0.10, periods_per_year=1, size_usd=sizing.size_usd)
    assert float(s.size_usd) == pytest.approx(210.0)
    cover = dscr([130.0, 130.0, 130.0], s.debt_service_usd)
    assert cover.per_period == pytest.approx(np.full(3, 1.3 * 248.685199 / 210.0), rel=1e-8)


def test_size_debt_vectorized_and_without_gearing() -> None:
    cfads = np.array([[130.0, 130.0, 130.0], [10.0, 10.0, 10.0]])
    sizing = size_debt(cfads, 1.3, 0.10, max_gearing=0.7, capex=300.0, periods_per_year=1)
    assert sizing.binding.tolist() == ["gearing", "dscr"]
    assert size_debt(cfads, 1.3, 0.10, periods_per_year=1).binding.tolist() == ["dscr", "dscr"]


@pytest.mark.parametrize(("kwargs", "text"), [
    ({"dscr": 0.0}, "DSCR target"),
    ({"rate": -13.0}, "loan rate"),
    ({"max_gearing": 1.5, "capex": 10.0}, "max_gearing"),
    ({"max_gearing": 0.5}, "both max_gearing and capex"),
    ({"tenor_periods": 4}, "tenor"),
])
def test_bad_input_is_a_clear_error(kwargs: dict, text: str) -> None:
    args = {"cfads": [130.0, 130.0, 130.0], "dscr": 1.3, "rate": 0.1} | kwargs
    with pytest.raises(ValueError, match=text):
        size_debt(**args)


@pytest.mark.parametrize("profile", [Repay.LEVEL_PAYMENT, Repay.EQUAL_PRINCIPAL])
@pytest.mark.parametrize("rate", [0.0, 0.06, 0.18])
def test_level_schedules_agree_with_the_engine(profile: Repay, rate: float) -> None:
    # the engine's repayment profile (monthly rate = annual / 12), month j of n with the balance still due
    size, n = 1_000_000.0, 36
    schedule = (level_payment if profile == Repay.LEVEL_PAYMENT else level_principal)(size, rate, n)
    current, engine = size, []
    for j in range(1, n + 1):
        due = scheduled_principal(int(profile), size, rate / 12.0, n, j, current, 0.0)
        engine.append(due)
        current -= due
    assert schedule.principal_usd == pytest.approx(engine, rel=1e-12, abs=1e-6)
    assert schedule.balance_close_usd[-1] == pytest.approx(0.0, abs=1e-6)
    assert schedule.interest_usd == pytest.approx(rate / 12.0 * schedule.balance_open_usd, rel=1e-12)


def test_level_payment_by_hand_and_numpy_financial() -> None:
    # 1,000 over 3 years at 10%: A = 1000 x 0.1 / (1 - 1.1^-3) = 402.11; principal 302.11, 332.33, 365.56
    s = level_payment(1000.0, 0.10, 3, periods_per_year=1)
    assert cents(s.debt_service_usd) == [402.11, 402.11, 402.11]
    assert cents(s.principal_usd) == [302.11, 332.33, 365.56]
    per = np.arange(1, 4)
    assert s.principal_usd == pytest.approx(-npf.ppmt(0.10, per, 3, 1000.0), rel=1e-12)
    assert s.interest_usd == pytest.approx(-npf.ipmt(0.10, per, 3, 1000.0), rel=1e-12)
    # level principal: 333.33 a year, interest 100, 66.67, 33.33
    p = level_principal(1000.0, 0.10, 3, periods_per_year=1)
    assert cents(p.interest_usd) == [100.0, 66.67, 33.33]


def test_sculpting_a_level_cash_flow_is_a_level_payment() -> None:
    # flat CFADS sculpted gives a flat service: the annuity of the same size
    s = sculpted_schedule(np.full(120, 1.5e6), 1.5, 0.07)  # monthly, 10 years
    annuity = level_payment(s.size_usd, 0.07, 120)
    assert s.principal_usd == pytest.approx(annuity.principal_usd, rel=1e-9)


def test_dscr_with_no_periods_is_nan_not_an_error() -> None:
    """A loan whose repayment starts after the horizon has no repayment periods: no cover ratio (the audit found
    `fundcheck run` stopping with an internal error on such a loan)."""
    cover = dscr(np.zeros(0), np.zeros(0))
    assert np.isnan(cover.minimum) and np.isnan(cover.average)


def test_cover_of_a_loan_repaid_after_the_horizon() -> None:
    import fundcheck
    from fundcheck.finance.performance import debt_cover
    from fundcheck.finance.statements import statements
    from fundcheck.scenario import load_text

    src = "source: 'assumption: test'"
    r = fundcheck.run(load_text(f"""
program: late
horizon: {{start: 2025-01, end: 2025-06}}
entities:
  P: {{kind: company, cash_flow: [{{start: 2025-02, end: 2025-02, usd: {{value: -1M, {src}}}}}]}}
  Bank: {{kind: lender}}
instruments:
  - {{kind: term_loan, name: L, from: Bank, to: P, limit: {{value: 2M, {src}}}, rate: {{value: 6%, {src}}}}}
""", "late.yaml"))
    cover = debt_cover(statements(r))["L"]
    # $1M drawn in February, 0.5% a month capitalised March to June
    assert cover.size_usd == pytest.approx(1e6 * 1.005 ** 4, rel=1e-12)
    assert np.isnan(cover.min_dscr) and np.isnan(cover.llcr)
