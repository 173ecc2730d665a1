"""Investor returns from monthly flows, vectorized over paths: IRR (annual, effective) and MOIC."""

from __future__ import annotations

import numpy as np

__all__ = ["irr_annual", "moic"]

# The IRR is solved for y = ln(1 + monthly rate), which covers the whole real line as the monthly rate covers
# (-100%, +inf). Roots are looked for in |y| <= _Y_MAX: a monthly growth factor between e^-1500 and e^1500, wider than
# the ratio of any two floats (about e^+-1454), so every root of float flows is in it. Flows with several sign
# changes are scanned on a grid spaced as sinh(u) for evenly spaced u (fine near 0, coarse far out).
_Y_MAX = 1500.0
_GRID = np.sinh(np.linspace(-np.arcsinh(_Y_MAX), np.arcsinh(_Y_MAX), 401))  # odd: 0 is on it
_GRID[len(_GRID) // 2] = 0.0


def _npv_sign(flows: np.ndarray, to_end: np.ndarray, nonzero: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sign (-1, 0, +1) of the NPV of `flows` (paths x months) at log monthly growth `y` (paths).

    Computed as sum_t f_t exp(y (T-1-t) - m) with m the largest exponent among the nonzero flows: a positive
    multiple of the NPV, so the same sign, and it never overflows, whatever y is."""
    expo = np.where(nonzero, y[:, None] * to_end[None, :], -np.inf)
    top = expo.max(axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return np.sign((flows * np.exp(expo - top)).sum(axis=1))


def irr_annual(flows: np.ndarray, iterations: int = 128) -> np.ndarray:
    """Annual effective IRR (a fraction: 0.08 = 8%/yr) of monthly flows in USD (paths x months, or one row of
    months; negative = money in, positive = money out), one per path.

    Solves NPV = 0 for y = ln(1 + monthly rate), so a monthly rate anywhere in (-100%, +inf) can be found: a 10x
    in one month is a monthly rate of 900%, an annual IRR of 10^12 - 1. Flows that change sign once have exactly
    one IRR, bracketed by |y| <= 1500 (wider than the ratio of any two floats). Other flows are scanned over that
    range for sign changes of the NPV (steps in y of about 0.036 near zero, wider far out), and where there are
    several IRRs the one nearest 0% is returned (pyxirr's Newton steps from 10% usually find that one too); two
    IRRs closer together than a step of the scan can be missed. `iterations` bisection steps then pin y down to
    full float precision. NaN where no IRR can be bracketed (the flows do not change sign, or the NPV has no
    root, e.g. -1, +2, -1.5), never a number clamped to a bound. An IRR too large for a float once annualized
    (monthly growth above e^59) is +inf."""
    flows = np.atleast_2d(np.asarray(flows, dtype=float))
    n_paths, n_months = flows.shape
    to_end = np.arange(n_months, dtype=float)[::-1]  # months from each flow to the last month
    nonzero = flows != 0.0
    has_sign_change = (flows.min(axis=1) < 0) & (flows.max(axis=1) > 0)
    sign = np.sign(flows)
    last = np.maximum.accumulate(np.where(nonzero, np.arange(n_months), -1), axis=1)  # last nonzero flow so far
    prev = np.concatenate([np.full((n_paths, 1), -1), last[:, :-1]], axis=1)  # ... before this month
    prev_sign = np.take_along_axis(sign, np.maximum(prev, 0), axis=1)
    changes = (nonzero & (prev >= 0) & (prev_sign != sign)).sum(axis=1)  # sign changes, zeros skipped

    # Two candidate brackets per path (the nearest root below y = 0 and the nearest above it), bisected together.
    # One sign change (Descartes): one root, and the NPV has opposite signs at the two ends of the range.
    lo = np.tile(np.full(n_paths, -_Y_MAX), (2, 1))
    hi = np.tile(np.full(n_paths, _Y_MAX), (2, 1))
    s_lo = np.tile(_npv_sign(flows, to_end, nonzero, lo[0]), (2, 1))
    ok = np.tile(has_sign_change & (s_lo[0] * _npv_sign(flows, to_end, nonzero, hi[0]) < 0), (2, 1))

    scan = np.flatnonzero(has_sign_change & (changes > 1))
    if scan.size:  # several sign changes: on each side of y = 0, the root nearest it (on the grid or between)
        sub = np.arange(scan.size)
        signs = np.stack([_npv_sign(flows[scan], to_end, nonzero[scan], np.full(scan.size, y)) for y in _GRID],
                         axis=1)
        change = signs[:, :-1] * signs[:, 1:] < 0
        for side, keep in enumerate((_GRID[1:] <= 0.0, _GRID[:-1] >= 0.0)):
            # brackets [k, k + 1] on this side, or a grid point that is a root (as the bracket [k, k])
            near = np.minimum(np.abs(_GRID[:-1]), np.abs(_GRID[1:]))
            d_bracket = np.where(change & keep[None, :], near[None, :], np.inf)
            on_side = _GRID <= 0.0 if side == 0 else _GRID >= 0.0
            d_point = np.where((signs == 0) & on_side[None, :], np.abs(_GRID)[None, :], np.inf)
            k_bracket, k_point = d_bracket.argmin(axis=1), d_point.argmin(axis=1)
            use_point = d_point[sub, k_point] <= d_bracket[sub, k_bracket]
            ok[side, scan] = np.isfinite(np.minimum(d_point[sub, k_point], d_bracket[sub, k_bracket]))
            lo[side, scan] = np.where(use_point, _GRID[k_point], _GRID[k_bracket])
            hi[side, scan] = np.where(use_point, _GRID[k_point], _GRID[k_bracket + 1])
            s_lo[side, scan] = np.where(use_point, 0.0, signs[sub, k_bracket])

    both = np.concatenate([flows, flows])
    both_nonzero = np.concatenate([nonzero, nonzero])
    lo, hi, s_lo = lo.ravel(), hi.ravel(), s_lo.ravel()
    for _ in range(iterations):
        mid = (lo + hi) / 2.0
        s_mid = _npv_sign(both, to_end, both_nonzero, mid)
        root = (s_mid == 0) | (s_lo == 0)  # an exact root: stay on it
        right = ~root & (s_mid == s_lo)
        lo = np.where(root | right, mid, lo)
        hi = np.where(right, hi, mid)
    y = ((lo + hi) / 2.0).reshape(2, n_paths)
    y = np.where(ok, y, np.inf)
    pick = np.abs(y).argmin(axis=0)
    y_best = y[pick, np.arange(n_paths)]
    with np.errstate(over="ignore"):
        annual = np.expm1(12.0 * y_best)
    return np.where(ok.any(axis=0), annual, np.nan)


def moic(contributed: np.ndarray, received: np.ndarray) -> np.ndarray:
    """Multiple on invested capital: total received / total contributed (NaN where nothing went in)."""
    contributed = np.asarray(contributed, dtype=float)
    return np.divide(received, contributed, out=np.full_like(contributed, np.nan), where=contributed > 0)
