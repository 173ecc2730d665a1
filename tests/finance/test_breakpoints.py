"""Breakpoints of payout curves, found on the waterfall itself: exact where the payouts are, on coarse, short,
uneven and fine sweeps, with no false ones from rounding."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from fundcheck.finance import Tier, Waterfall, european
from fundcheck.finance.waterfall import payout_breakpoints

LP, GP = 0, 1


def curve(wf: Waterfall, contrib: dict[int, float], months: int = 13) -> Callable[[np.ndarray], np.ndarray]:
    """Payouts (exit values x parties) of `wf` when `contrib` goes in at month 0 and the exit is the last month."""
    def payouts_at(values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        c = np.zeros((len(wf.parties), len(values), months))
        for j, v in contrib.items():
            c[j, :, 0] = v
        d = np.zeros((len(values), months))
        d[:, -1] = values
        return european(wf, c, d).paid_usd.sum(axis=2).T
    return payouts_at


def found(at: Callable[[np.ndarray], np.ndarray], exits: np.ndarray) -> list[float]:
    return payout_breakpoints(exits, at(exits), at)


# One investor puts in 10, capped at 100x; the excess goes to the nonprofit. By hand: the investor takes every
# dollar up to 100 x 10 = 1,000, the nonprofit every dollar after, so the one breakpoint is at exactly 1,000.
CAPPED = Waterfall(("Investor", "Nonprofit"), (Tier("split", (0,), investors_share=1.0),),
                   caps=(100.0, float("inf")), beneficiary=1)


@pytest.mark.parametrize("exits", [
    np.linspace(0, 2000, 161),  # step 12.5: the old bracketing reported 987.5, a grid step short
    np.linspace(0, 2000, 201),  # step 10: 1,000 is a grid point
    np.linspace(0, 2000, 5),  # few points, 1,000 on one of them
    np.linspace(0, 2000, 3),  # three points, 1,000 the middle one
    np.linspace(0, 2100, 4),  # four points, 1,000 between 700 and 1,400
    np.array([0.0, 2000.0]),  # two
    np.array([1999.0, 3.0, 1234.5, 17.0]),  # unsorted and uneven
    np.linspace(0, 2000, 1000),  # fine: rounding to the cent must not show up as breakpoints
    np.linspace(0, 2000, 3001),
])
def test_a_cap_breaks_at_exactly_cap_times_capital(exits: np.ndarray) -> None:
    assert found(curve(CAPPED, {0: 10.0}), exits) == [1000.0]


def test_a_cap_at_scale_on_a_fine_sweep() -> None:
    # The same at USD billions: 10B capped at 100x breaks at 1T; 1,000 exit values to 2T leave no false ones.
    assert found(curve(CAPPED, {0: 10e9}), np.linspace(0, 2e12, 1000)) == [pytest.approx(1e12, abs=0.01)]


def test_no_breakpoints_where_there_are_none() -> None:
    # A split by capital with no caps is one straight line per party, at every scale and density.
    wf = Waterfall(("A", "B", "C"), (Tier("split", (0, 1, 2), investors_share=1.0),))
    for scale in (1.0, 1e3, 1e9):
        at = curve(wf, {0: 3.0 * scale, 1: 7.0 * scale, 2: 11.0 * scale})
        for n in (3, 50, 1000):
            assert found(at, np.linspace(0, 100 * scale, n)) == []


FULL_CATCHUP = Waterfall(("LP", "GP"), (
    Tier("capital", (LP,)),
    Tier("hurdle", (LP,), rate=0.08),
    Tier("catch_up", (LP,), gp=GP, gp_share=1.0, carry=0.2),
    Tier("split", (LP,), shares=((GP, 0.2),), investors_share=0.8),
))


@pytest.mark.parametrize("n", [3, 5, 9, 41, 401, 4001])
def test_two_breakpoints_close_together_on_coarse_and_fine_sweeps(n: int) -> None:
    # LP puts in 100, exit 12 months later: the LP takes every dollar to 108 (capital and the 8% pref), the GP
    # every dollar from 108 to 110 (catch-up: 2 = 20% of the profit of 10), then 80/20. Breakpoints 108 and 110.
    # On a coarse sweep both fall between the same two exit values; their lines before and after cross at 100,
    # which is not a breakpoint (the GP's 20% of all profit meets the LP's line where the profit is 0).
    got = found(curve(FULL_CATCHUP, {LP: 100.0}), np.linspace(0, 400, n))
    assert got == pytest.approx([108.0, 110.0], abs=0.011)


def test_breakpoints_within_a_cent_over_the_change_in_share() -> None:
    # Round A puts in 1 (capped at 100x), round B 10 (capped at 10x); split 1 : 10 by capital, excess to the
    # nonprofit. B reaches 10 x 10 = 100 at 10/11 V = 100: V = 110; A reaches 100 at 1/11 V = 100: V = 1,100.
    # A's share changes by 1/11, so the cents pin its breakpoint to about 0.01 x 11 = 0.11.
    wf = Waterfall(("A", "B", "Nonprofit"), (Tier("split", (0, 1), investors_share=1.0),),
                   caps=(100.0, 10.0, float("inf")), beneficiary=2)
    at = curve(wf, {0: 1.0, 1: 10.0})
    rng = np.random.default_rng(0)
    for exits in [np.linspace(0, 3000, 7), np.linspace(0, 3000, 1000), np.sort(rng.uniform(0, 3000, 25))]:
        got = found(at, exits)
        assert len(got) == 2
        assert got[0] == pytest.approx(110.0, abs=0.011)
        assert got[1] == pytest.approx(1100.0, abs=0.11)
