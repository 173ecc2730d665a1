"""IRR and MOIC, cross-checked with pyxirr (monthly flows; pyxirr's `irr` gives the monthly rate)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyxirr import irr as pyxirr_irr

from fundcheck.finance import irr_annual, moic


def pyxirr_annual(flows: list[float]) -> float:
    monthly = pyxirr_irr(flows)
    return float("nan") if monthly is None else (1.0 + monthly) ** 12 - 1.0


@pytest.mark.parametrize(("flows", "expected"), [
    # 10x in one month: 900% a month, (1 + 9)^12 - 1 = 10^12 - 1 a year (the old bisection, capped at +100% a
    # month, said 2^12 - 1 = 4,095)
    ([-1.0, 10.0], 1e12 - 1.0),
    # 2x in one month: 100% a month, 2^12 - 1 = 4,095 a year (right at the old cap)
    ([-1.0, 2.0], 4095.0),
    # 2x in three months: 2^(12/3) - 1 = 15
    ([-1.0, 0.0, 0.0, 2.0], 15.0),
    # -99.9% over a year: 1 -> 0.001 twelve months later is exactly -99.9% a year (-43.8% a month)
    ([-1.0] + [0.0] * 11 + [0.001], -0.999),
    # -99.9% in one month: 0.001^12 - 1 = -1 + 1e-36, which is -1.0 in floating point
    ([-1.0, 0.001], -1.0),
    # money in twice, out twice: 100 in at 0, 50 at 2, 60 back at 5, 120 at 11 (pyxirr's answer, annualized)
    ([-100.0, 0.0, -50.0, 0.0, 0.0, 60.0] + [0.0] * 5 + [120.0], pyxirr_annual([-100.0, 0.0, -50.0, 0.0, 0.0, 60.0]
                                                                                + [0.0] * 5 + [120.0])),
])
def test_irr_matches_by_hand_and_pyxirr(flows: list[float], expected: float) -> None:
    ours = irr_annual(np.array(flows))[0]
    assert ours == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert ours == pytest.approx(pyxirr_annual(flows), rel=1e-9, abs=1e-12)


def test_irr_is_vectorized_over_paths() -> None:
    # The same cases as rows of one array (leading zeros change nothing): 10x, 2x, -99.9% in a month.
    flows = np.array([[0.0, -1.0, 10.0], [0.0, -1.0, 2.0], [-1.0, 0.001, 0.0]])
    # the last row: 1 -> 0.001 in a month, then a month of nothing: monthly rate r with (1 + r) = 0.001 over one
    # month and nothing after, so the annual rate is still 0.001^12 - 1 = -1.0 (in floating point)
    assert irr_annual(flows).tolist() == pytest.approx([1e12 - 1.0, 4095.0, -1.0], rel=1e-12)


def test_several_sign_changes_take_the_irr_nearest_zero() -> None:
    # -1, +3, -2.1: NPV x g^2 = -g^2 + 3g - 2.1 = 0 at g = (3 -+ sqrt(0.6)) / 2 = 1.1127 and 1.8873 (monthly
    # growth); the one nearest 0% is 11.27% a month, as pyxirr picks.
    g = (3.0 - 0.6 ** 0.5) / 2.0
    ours = irr_annual(np.array([-1.0, 3.0, -2.1]))[0]
    assert ours == pytest.approx(g ** 12 - 1.0, rel=1e-12)
    assert ours == pytest.approx(pyxirr_annual([-1.0, 3.0, -2.1]), rel=1e-9)


@pytest.mark.parametrize("flows", [
    [-1.0, 0.0],  # nothing back: no sign change
    [1.0, 2.0],  # nothing in
    [-1.0, 2.0, -1.5],  # -g^2 + 2g - 1.5 < 0 for every g (discriminant 4 - 6 < 0): no IRR (pyxirr: None)
    [0.0, 0.0],
])
def test_no_irr_is_nan_never_a_bound(flows: list[float]) -> None:
    assert np.isnan(irr_annual(np.array(flows))[0])


def test_an_irr_beyond_floating_point_is_infinite() -> None:
    # 1e30x in a month: monthly growth 1e30, annual 1e360 - 1, more than a float holds
    assert irr_annual(np.array([-1.0, 1e30]))[0] == np.inf


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.floats(0.0, 20.0), min_size=1, max_size=60), st.floats(1.0, 1e6), st.integers(0, 5))
def test_irr_agrees_with_pyxirr(multiples: list[float], put_in: float, lead: int) -> None:
    # money in once, then up to 20x of it back in any month: one sign change, so exactly one IRR, which both
    # must find (from a 99.99...% loss to 20x in one month, an annual IRR of 4e15)
    flows = [0.0] * lead + [-put_in] + [m * put_in for m in multiples]
    ours = irr_annual(np.array(flows))[0]
    if not any(multiples):
        assert np.isnan(ours)
        return
    assert np.isfinite(ours)  # one sign change: one IRR, always found
    monthly = pyxirr_irr(flows)
    if monthly is not None:  # pyxirr gives up on some near-total losses (1e-99 back); ours is then -1.0
        # pyxirr's Newton steps stop short of full precision: -6e-11 for -1, 0, 0, +1, where the IRR is exactly 0;
        # 1.1e-8 low on -1, +15, +16.75, +0.125, whose exact annual IRR is 2.91005466517124e14 (ours: to 1e-14);
        # -2.2e-9 a year for -1, 0, 0, 0, +1 (exactly 0; ours is 0)
        assert ours == pytest.approx((1 + monthly) ** 12 - 1, rel=1e-7, abs=1e-8)


def test_irr_of_money_back_unchanged_is_exactly_zero() -> None:
    assert irr_annual(np.array([-1.0, 0.0, 0.0, 0.0, 1.0]))[0] == pytest.approx(0.0, abs=1e-12)


def test_moic() -> None:
    assert moic(np.array([10.0, 0.0]), np.array([25.0, 5.0])).tolist()[0] == 2.5
    assert np.isnan(moic(np.array([10.0, 0.0]), np.array([25.0, 5.0]))[1])
