"""`fundcheck.finance.irr` (and npv, moic, payback): by hand, against numpy-financial and pyxirr, root choice,
reasons. Rates compared per period (``periods_per_year=1``), as both references give them."""

from __future__ import annotations

import math

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyxirr import irr as pyxirr_irr

from fundcheck.finance import IrrReason, irr, irr_annual, moic, npv, payback_month


def reference(flows) -> tuple[float, float]:
    """(pyxirr, numpy-financial) per-period IRRs, NaN where either finds none (or a rate that is no root)."""
    try:
        theirs = pyxirr_irr(list(flows))
    except Exception:  # pyxirr raises on flows of one sign
        theirs = None
    try:
        with np.errstate(all="ignore"):
            numpy_fin = npf.irr(np.asarray(flows, dtype=float))
    except np.linalg.LinAlgError:  # its eigenvalue solver fails on subnormal flows
        numpy_fin = math.nan
    return tuple(r if is_root(flows, r) else math.nan for r in (math.nan if theirs is None else theirs, numpy_fin))


def is_root(flows, rate: float) -> bool:
    """Whether `rate` zeroes the NPV, relative to the size of its terms: numpy-financial's eigenvalues are wrong
    on badly scaled polynomials (on -1, 1, -1, -8e-140 it says 0%, where the NPV is -1)."""
    if not np.isfinite(rate) or rate <= -1.0:
        return False
    with np.errstate(all="ignore"):
        terms = np.asarray(flows, dtype=float) * (1.0 + rate) ** -np.arange(len(flows), dtype=float)
    return bool(np.isfinite(terms).all() and abs(terms.sum()) <= 1e-6 * np.abs(terms).sum())


def close(ours: float, theirs: float, flows=None) -> bool:
    """Within 1e-9 (relative above 1), or within the error that the reference's own NPV residual implies.

    pyxirr stops its Newton steps once they are small, not at full precision: on -0.5, 0, 0.9296875,
    0.001953125 it says 0.3646382219 (NPV 9.6e-10) where the IRR is 0.3646382232 (numpy-financial and ours,
    NPV 1e-18), 1.3e-9 apart. The distance from its answer to the root is |NPV / NPV'| there."""
    allowed = 1e-9 * max(1.0, abs(theirs))
    if flows is not None:
        t = np.arange(len(flows))
        g = 1.0 + theirs
        value = float(np.sum(np.asarray(flows) * g ** -t))
        slope = float(np.sum(-t * np.asarray(flows) * g ** (-t - 1.0)))
        allowed += 2.0 * abs(value / slope) if slope else 0.0
    return abs(ours - theirs) <= allowed


@pytest.mark.parametrize(("flows", "expected"), [
    ([-1.0, 1.1], 0.1),
    ([-1.0, 0.0, 1.21], 0.1),  # 1.1^2 = 1.21
    ([-100.0, 39.0, 59.0, 55.0, 20.0], 0.2809484211599611),  # numpy-financial's documented example (0.28095)
    ([-100.0, 0.0, 0.0, 74.0], 0.74 ** (1 / 3) - 1.0),  # a loss: -9.55% a period
    ([-1.0, 0.0, 0.0, 1.0], 0.0),  # money back unchanged: exactly 0
    ([0.0, 0.0, -2.0, 0.0, 2.42, 0.0], 0.1),  # leading and trailing zeros change nothing
])
def test_irr_by_hand(flows: list[float], expected: float) -> None:
    assert irr(flows, periods_per_year=1) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_annual_rate_is_effective() -> None:
    # 1% a month is 1.01^12 - 1 = 12.68% a year, not 12%
    assert irr([-1.0, 1.01]) == pytest.approx(1.01 ** 12 - 1.0, rel=1e-13)
    assert irr([-1.0, 1.01], periods_per_year=4) == pytest.approx(1.01 ** 4 - 1.0, rel=1e-13)


def test_shape_and_scalar() -> None:
    flows = np.zeros((2, 3, 5))
    flows[..., 0] = -1.0
    flows[..., 4] = np.arange(1, 7).reshape(2, 3)  # 1x, 2x, ... 6x in four periods
    rate = irr(flows, periods_per_year=1)
    assert rate.shape == (2, 3)
    assert rate == pytest.approx(np.arange(1, 7).reshape(2, 3) ** 0.25 - 1.0, rel=1e-12, abs=1e-15)
    assert np.ndim(irr([-1.0, 2.0])) == 0


def test_two_irrs_the_one_nearest_zero() -> None:
    # -1, +5, -6: NPV (1 + r)^2 = -(1 + r)^2 + 5 (1 + r) - 6 = -(g - 2)(g - 3) with g = 1 + r: IRRs of 100% and
    # 200% a period; the one nearest 0% is 100%.
    result = irr([-1.0, 5.0, -6.0], periods_per_year=1, reasons=True)
    assert result.rate == pytest.approx(1.0, rel=1e-13)
    assert result.reason == IrrReason.MULTIPLE_ROOTS
    assert "nearest 0%" in result.messages()
    for g in (2.0, 3.0):  # both really are roots
        assert -1.0 + 5.0 / g - 6.0 / g ** 2 == pytest.approx(0.0, abs=1e-15)
    # annualized monthly: 2^12 - 1
    assert irr([-1.0, 5.0, -6.0]) == pytest.approx(2.0 ** 12 - 1.0, rel=1e-12)


def test_root_choice_is_in_log_rate_not_rate() -> None:
    # -1, +2.3, -0.9: -(g^2 - 2.3 g + 0.9) = -(g - 0.5)(g - 1.8): IRRs of -50% and +80% a period. Nearest 0% in
    # |ln(1 + r)|: ln 1.8 = 0.588 < ln 2 = 0.693, so +80% (numpy-financial, nearest in |r|, says -50%).
    flows = [-1.0, 2.3, -0.9]
    rate, reason = irr(flows, periods_per_year=1, reasons=True)
    assert (rate, reason) == (pytest.approx(0.8, rel=1e-13), IrrReason.MULTIPLE_ROOTS)
    assert npf.irr(flows) == pytest.approx(-0.5)


def test_a_tie_goes_to_the_positive_rate() -> None:
    # roots at g = 0.5 and g = 2 (|ln g| equal): -(g - 0.5)(g - 2) = -g^2 + 2.5 g - 1
    assert irr([-1.0, 2.5, -1.0], periods_per_year=1) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize(("flows", "reason"), [
    ([-1.0, -2.0], IrrReason.NO_SIGN_CHANGE),
    ([1.0, 0.0, 2.0], IrrReason.NO_SIGN_CHANGE),
    ([0.0, 0.0], IrrReason.NO_SIGN_CHANGE),
    ([], IrrReason.NO_SIGN_CHANGE),
    # -1 + 2x - 1.5x^2 (x = 1 / (1 + r)) has discriminant 4 - 6 < 0: no real root, never zero
    ([-1.0, 2.0, -1.5], IrrReason.NO_ROOT),
    ([2.0, -1.0, 1.0], IrrReason.NO_ROOT),  # 2 - x + x^2 > 0
    ([-1.0, math.nan, 2.0], IrrReason.NON_FINITE),
    ([-1.0, math.inf], IrrReason.NON_FINITE),
])
def test_no_irr_is_nan_with_a_reason(flows: list[float], reason: IrrReason) -> None:
    rate, got = irr(np.array(flows, dtype=float), reasons=True)
    assert np.isnan(rate)
    assert got == reason
    assert IrrReason(int(got)).message.startswith("no IRR")


def test_too_large_is_infinite_with_a_reason_never_clamped() -> None:
    # 1e30x in a month: 1e360 - 1 a year, more than a float holds
    rate, reason = irr([-1.0, 1e30], reasons=True)
    assert rate == math.inf and reason == IrrReason.OVERFLOW
    # per period it is still a number: 1e30 - 1
    assert irr([-1.0, 1e30], periods_per_year=1) == pytest.approx(1e30, rel=1e-12)


def test_extreme_growth_after_leading_zeros_is_found() -> None:
    # 10,000x in one month after 100 idle months: the NPV discounted to month 0 underflows (e^-920); ours
    # discounts to the first flow instead
    flows = np.zeros(102)
    flows[100:] = [-1.0, 1e4]
    assert irr(flows, periods_per_year=1) == pytest.approx(9999.0, rel=1e-12)
    # and the mirror image for a near-total loss followed by trailing zeros
    flows[100:] = [-1.0, 1e-4]
    assert irr(np.concatenate([flows, np.zeros(100)]), periods_per_year=1) == pytest.approx(-0.9999, rel=1e-12)


def test_sums_that_overflow_are_scaled_not_lost() -> None:
    # -2e308 in total is more than a float holds; the IRR of flows / 1e308 is the same
    assert irr([-1e308, -1e308, 1.5e308, 1.5e308], periods_per_year=1) == pytest.approx(
        irr([-1.0, -1.0, 1.5, 1.5], periods_per_year=1), rel=1e-12)


def test_no_silent_result_when_the_solver_is_stopped() -> None:
    rate, reason = irr([-1.0, 0.3, 0.4, 0.5], reasons=True, max_iterations=1)
    assert np.isnan(rate) and reason == IrrReason.NOT_CONVERGED


def test_agrees_with_pyxirr_and_numpy_financial_on_a_batch() -> None:
    # 600 seeded series, 2 to 40 periods, mostly money in then out, with some sign noise: one vectorized call
    rng = np.random.default_rng(7)
    rows = []
    for _ in range(600):
        n = int(rng.integers(2, 41))
        flows = rng.normal(0.4, 1.0, n) * rng.uniform(0.1, 100.0)
        flows[0] = -abs(flows[0]) - rng.uniform(0.0, 5.0)
        rows.append(np.pad(flows, (0, 40 - n)))
    batch = np.array(rows)
    rate, reason = irr(batch, periods_per_year=1, reasons=True)
    compared = 0
    for flows, ours, why in zip(batch, rate, reason, strict=True):
        pyx, numpy_fin = reference(flows)
        for theirs in (pyx, numpy_fin):
            if np.isnan(theirs):
                continue
            if why == IrrReason.OK:
                assert close(ours, theirs, flows), (flows, ours, theirs)
                compared += 1
            elif why == IrrReason.MULTIPLE_ROOTS:  # theirs may be another root, never a nearer one
                assert close(ours, theirs, flows) or abs(math.log1p(ours)) <= abs(math.log1p(theirs))
    assert compared > 600


@settings(max_examples=250, deadline=None, derandomize=True)
@given(st.lists(st.floats(-3.0, 6.0, allow_subnormal=False), min_size=1, max_size=30), st.floats(0.01, 1e6),
       st.integers(0, 4))
def test_agrees_with_pyxirr_and_numpy_financial(multiples: list[float], put_in: float, lead: int) -> None:
    flows = [0.0] * lead + [-put_in] + [m * put_in for m in multiples]
    rate, reason = irr(flows, periods_per_year=1, reasons=True)
    pyx, numpy_fin = reference(flows)
    for theirs in (pyx, numpy_fin):
        if np.isnan(theirs) or not -1.0 < theirs < 1e6:
            continue
        # they found a root: we found one too, the same where it is the only one, else one at least as near 0%
        assert reason in (IrrReason.OK, IrrReason.MULTIPLE_ROOTS)
        if reason == IrrReason.OK:
            assert close(rate, theirs, flows)
        else:
            assert close(rate, theirs, flows) or abs(math.log1p(rate)) <= abs(math.log1p(theirs))
    if reason in (IrrReason.OK, IrrReason.MULTIPLE_ROOTS) and -0.99 < rate < 1e3:
        scale = float(np.sum(np.abs(flows) * (1.0 + rate) ** -np.arange(len(flows))))  # the terms' size
        assert npv(rate, flows, periods_per_year=1) == pytest.approx(0.0, abs=1e-9 * scale)


def test_irr_annual_is_irr_monthly_with_a_path_axis() -> None:
    rng = np.random.default_rng(3)
    flows = rng.normal(1.0, 1.0, (50, 36))
    flows[:, 0] = -20.0
    assert np.array_equal(irr_annual(flows), irr(flows), equal_nan=True)
    assert irr_annual(np.array([-1.0, 2.0])).shape == (1,)


def test_npv_matches_numpy_financial_and_is_zero_at_the_irr() -> None:
    flows = [-100.0, 39.0, 59.0, 55.0, 20.0]
    assert npv(0.08, flows, periods_per_year=1) == pytest.approx(npf.npv(0.08, flows), rel=1e-13)
    # monthly flows, an annual effective rate: each month discounted by 1.08^(1/12)
    assert npv(0.08, flows) == pytest.approx(npf.npv(1.08 ** (1 / 12) - 1.0, flows), rel=1e-13)
    assert npv(irr(flows), flows) == pytest.approx(0.0, abs=1e-10)
    # vectorized over rates and paths; NaN at -100%
    values = npv(np.array([0.0, 0.1, -1.0]), np.array([flows] * 3), periods_per_year=1)
    assert values[:2] == pytest.approx([73.0, npf.npv(0.1, flows)], rel=1e-13)
    assert np.isnan(values[2])


def test_moic_both_forms() -> None:
    assert moic(np.array([10.0, 0.0]), np.array([25.0, 5.0])).tolist()[0] == 2.5
    assert moic([-10.0, -5.0, 3.0, 27.0]) == 2.0  # 30 back on 15 in
    assert np.isnan(moic([1.0, 2.0]))


def test_payback_month() -> None:
    # cumulative -100, -60, -20, +20, +60: paid back from month 3
    flows = [-100.0, 40.0, 40.0, 40.0, 40.0]
    assert payback_month(flows) == 3.0
    # it dips below zero again in month 4 and recovers in month 5: payback is for good, month 5
    assert payback_month([-100.0, 60.0, 60.0, -30.0, 5.0, 10.0]) == 5.0
    # discounted at 10% a period: 40/1.1 + 40/1.21 + 40/1.331 = 99.47 < 100 after month 3; +27.32 in month 4
    assert payback_month(flows, rate_annual=0.10, periods_per_year=1) == 4.0
    assert np.isnan(payback_month([-100.0, 40.0]))  # never paid back
    assert np.isnan(payback_month([5.0, 40.0]))  # nothing to pay back
    assert payback_month(np.array([flows, [-1.0, 2.0, 0.0, 0.0, 0.0]])).tolist() == [3.0, 1.0]
