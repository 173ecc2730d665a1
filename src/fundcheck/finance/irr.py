"""Internal rate of return of many cash-flow series at once (last axis = time), with a reason for every NaN.

``irr(cashflows, periods_per_year=12)`` returns the annual effective IRR, (1 + r_period)^ppy - 1, of each series;
``irr(..., reasons=True)`` returns an ``IrrResult`` (rate, reason) with an ``IrrReason`` code per series.
Flows are USD per period, negative = money in, positive = money out; the first period is t = 0.

How it is solved, for all series at once in numpy (loops over months and iterations, never over series):

1. Work in a = |ln(1 + r)| per period on each side of 0%. A positive multiple of the NPV that never overflows is
   P(a) = sum_k c_k e^(-a (n - k)), with c the flows reversed and discounted to the first nonzero flow (rates
   above 0%) or as they are, compounded to the last nonzero flow (rates below 0%): same roots, same signs.
2. Count the IRRs on each side without solving (Norström's rule, both ways): above 0% there are at most as many
   as the cumulative flows S_0..S_n change sign, below 0% at most as many as the flows still to come
   S_n - S_(t-1) change sign. Where that bound is 0 or 1, the side holds an IRR exactly when P at a = 0 (S_n) and
   P at a = +inf (the first, resp. last, nonzero flow) differ in sign, and [0, ``A_MAX``] brackets it.
3. Otherwise the side is scanned: P's sign on a grid of rates (one matrix product), dense near 0% and
   geometric far out (``grid``), and the first sign change from 0% outwards is the bracket.
4. Each bracket is polished by safeguarded Newton (rtsafe): a Newton step on P(a) is taken when it stays inside
   the bracket and at least halves the previous step, otherwise the bracket is bisected (in asinh(a) while it is
   wide, so [0, 1500] narrows by orders of magnitude per step). The bracket shrinks with every evaluation.
5. Root choice, where a series has several IRRs: the one nearest 0%, measured as |ln(1 + r)| (a doubling and a
   halving are equally far from 0%); a tie goes to the positive rate. Its reason is ``MULTIPLE_ROOTS``.

Limits, written down: two IRRs closer than one grid step (about 5% of the log rate, 0.05% a year near 0%) on a
side that needs a scan are both missed; an IRR where the NPV touches zero without changing sign (a double root)
is found only at exactly 0% (S_n == 0). Per-period growth beyond e^+-1500 is not searched: no two floats are
that far apart, so no root of float flows lies there.
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple

import numpy as np

from fundcheck.errors import UsageError

__all__ = ["A_MAX", "IrrReason", "IrrResult", "grid", "irr"]

A_MAX = 1500.0  # largest |ln(1 + r)| per period searched (floats span about e^+-1454)
_GRID_KNEE = 0.01  # annual log rate below which the grid is evenly spaced ...
_GRID_STEP = 0.05  # ... and above which consecutive points differ by about 5%
_MID_KNEE = 1e-4  # per-period log rate below which bisection is arithmetic (asinh space above)
_NEWTON_RTOL = 1e-11  # a Newton step this small (relative) ends the search: the next is far below rounding
_WIDTH_RTOL = 1e-14  # a bracket this narrow (relative) ends it too
_ATOL = 1e-15  # per period: w = e^-a near 1 resolves a only to about 1.1e-16
_SCAN_ROWS = 4096  # rows per matrix product in the scan (bounds memory: rows x grid points)
_BOUND_ROWS = 1024  # rows per block in the counting and transposing passes (kept in cache)


class IrrReason(IntEnum):
    """Why a series has the IRR it has (codes in ``IrrResult.reason``; ``.message`` explains each)."""

    OK = 0
    MULTIPLE_ROOTS = 1
    NO_SIGN_CHANGE = 2
    NO_ROOT = 3
    NON_FINITE = 4
    OVERFLOW = 5
    NOT_CONVERGED = 6

    @property
    def message(self) -> str:
        return _MESSAGES[self]


_MESSAGES = {
    IrrReason.OK: "one IRR",
    IrrReason.MULTIPLE_ROOTS: "several IRRs; the one nearest 0% (smallest |ln(1 + r)|) is returned",
    IrrReason.NO_SIGN_CHANGE: "no IRR: the flows never change sign (all in, all out, or none)",
    IrrReason.NO_ROOT: "no IRR: the flows change sign but the NPV is never zero",
    IrrReason.NON_FINITE: "no IRR: a flow is NaN or infinite",
    IrrReason.OVERFLOW: "the IRR exists but the annual rate is too large for a float: +inf",
    IrrReason.NOT_CONVERGED: "no IRR: the solver did not converge within max_iterations",
}
_NAN_REASONS = (IrrReason.NO_SIGN_CHANGE, IrrReason.NO_ROOT, IrrReason.NON_FINITE, IrrReason.NOT_CONVERGED)


class IrrResult(NamedTuple):
    """``irr(..., reasons=True)``: annual effective rates and an ``IrrReason`` code (int8) per series."""

    rate: np.ndarray
    reason: np.ndarray

    def messages(self) -> np.ndarray:
        """The reason of each series as text (an object array of the same shape)."""
        texts = np.array([r.message for r in IrrReason], dtype=object)
        return texts[np.asarray(self.reason, dtype=np.intp)]


def irr(cashflows: np.ndarray, periods_per_year: float = 12, *, reasons: bool = False,
        max_iterations: int = 100) -> np.ndarray | IrrResult:
    """Annual effective IRR of each series of `cashflows` (USD per period, last axis = time, any leading shape).

    Returns (1 + r)^periods_per_year - 1 where r is the per-period rate at which the NPV is zero (with
    ``periods_per_year=1`` that is the per-period rate itself). NaN where there is no IRR, never a number clamped
    to a bound: the flows do not change sign, the NPV has no zero, a flow is not finite. +inf where the IRR
    exists but is too large once annualized. Several IRRs: the one nearest 0% in |ln(1 + r)| (see the module).
    With ``reasons=True`` returns ``IrrResult(rate, reason)`` (it unpacks as a pair); ``IrrReason`` lists the
    codes. A single series gives a 0-d result (a scalar)."""
    flows = np.asarray(cashflows, dtype=float)
    if flows.ndim == 0:
        raise UsageError("irr: cashflows need a time axis (the last axis)")
    if not (np.isfinite(periods_per_year) and periods_per_year > 0):
        raise UsageError(f"irr: periods_per_year must be a positive number, not {periods_per_year!r}")
    shape = flows.shape[:-1]
    y, code = _solve(np.ascontiguousarray(flows.reshape(int(np.prod(shape)), flows.shape[-1])), float(periods_per_year),
                     int(max_iterations))
    with np.errstate(over="ignore"):
        rate = np.expm1(periods_per_year * y)
    found = (code == IrrReason.OK) | (code == IrrReason.MULTIPLE_ROOTS)
    code[found & np.isposinf(rate)] = IrrReason.OVERFLOW
    rate[np.isin(code, _NAN_REASONS)] = np.nan
    rate, code = rate.reshape(shape)[()], code.reshape(shape)[()]
    return IrrResult(rate, code) if reasons else rate


def grid(periods_per_year: float) -> np.ndarray:
    """The scan's rates as a = |ln(1 + r)| per period, from 0 to ``A_MAX``: annual log rates c sinh(u) for evenly
    spaced u, so 0.05% a year apart near 0% and about 5% apart (relative) beyond 1% a year."""
    u_max = np.arcsinh(A_MAX * periods_per_year / _GRID_KNEE)
    u = np.linspace(0.0, u_max, int(np.ceil(u_max / _GRID_STEP)) + 1)
    a = _GRID_KNEE * np.sinh(u) / periods_per_year
    a[-1] = A_MAX
    return a


def _solve(flows: np.ndarray, ppy: float, max_iterations: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-period log rate y = ln(1 + r) and an IrrReason code for each row of `flows` (series x periods)."""
    n_series, n_t = flows.shape
    y = np.full(n_series, np.nan)
    code = np.full(n_series, IrrReason.NO_SIGN_CHANGE, dtype=np.int8)
    if n_series == 0 or n_t == 0:
        return y, code

    total, first, last, above, below = _bounds_chunked(flows)
    nonfinite = np.zeros(n_series, dtype=bool)
    if not np.isfinite(total).all():  # a NaN or inf flow, or finite flows whose sum overflows
        rows = np.flatnonzero(~np.isfinite(total))
        bad = ~np.isfinite(flows[rows]).all(axis=1)
        nonfinite[rows[bad]] = True
        flows = flows.copy()
        flows[rows[bad]] = 0.0
        big = rows[~bad]  # divided by their largest flow: the IRR does not change
        flows[big] /= np.abs(flows[big]).max(axis=1, keepdims=True)
        total[rows], first[rows], last[rows], above[rows], below[rows] = _bounds(flows[rows])
    every = np.arange(n_series)
    s_first, s_last, s_total = np.sign(flows[every, first]), np.sign(flows[every, last]), np.sign(total)
    # A sign change in the bounds' sequences needs flows of both signs; only the rest need looking at.
    live = (above > 0) | (below > 0)
    rest = np.flatnonzero(~live)
    live[rest] = (flows[rest].min(axis=1) < 0.0) & (flows[rest].max(axis=1) > 0.0)

    at_zero = live & (total == 0.0)  # an IRR of exactly 0%: the nearest to 0% there can be
    sides = []
    for up, bound, s_end in ((True, above, s_first), (False, below, s_last)):
        proven = live & ~at_zero & (bound <= 1)  # at most one IRR on this side: there is one iff the ends differ
        count = (proven & (s_end != s_total)).astype(np.intp)
        lo, hi, s_lo = np.zeros(n_series), np.full(n_series, A_MAX), s_total.copy()
        scan = np.flatnonzero(live & ~proven & (bound >= 1))
        if scan.size:
            count[scan], lo[scan], hi[scan], s_lo[scan] = _scan(
                _coefficients(flows, scan, first, last, up), s_total[scan], ppy)
        sides.append((up, count, lo, hi, s_lo))
    n_roots = at_zero + sides[0][1] + sides[1][1]
    code[live] = np.where(n_roots[live] == 0, IrrReason.NO_ROOT,
                          np.where(n_roots[live] == 1, IrrReason.OK, IrrReason.MULTIPLE_ROOTS))
    code[nonfinite] = IrrReason.NON_FINITE

    # Polish the IRR nearest 0% above 0% first, then below 0% only where one lies nearer (a tie keeps the
    # positive rate): the IRR below need not be found where the one above is nearer.
    weighted = flows @ np.arange(n_t, dtype=float)  # sum_t t f_t, for P's slope at a = 0
    best = np.full(n_series, np.inf)
    failed = np.zeros(n_series, dtype=bool)
    for up, count, lo, hi, s_lo in sides:
        rows = np.flatnonzero((count > 0) & ~at_zero)
        lo, hi, s_lo = lo[rows], hi[rows], s_lo[rows]
        coef = _coefficients(flows, rows, first, last, up)
        if not up:  # keep only brackets that can hold an IRR nearer than the one above, narrowed to it
            limit = best[rows]
            cut = np.flatnonzero((lo < limit) & (hi > limit))
            if cut.size:
                p, _ = _horner(_time_major(coef[cut]), np.exp(-limit[cut]))
                beyond = (np.sign(p) == s_lo[cut]) | (p == 0.0)
                hi[cut[~beyond]] = limit[cut[~beyond]]
                lo[cut[beyond]] = np.inf
            keep = lo < limit
            rows, lo, hi, s_lo, coef = rows[keep], lo[keep], hi[keep], s_lo[keep], coef[keep]
        if not rows.size:
            continue
        # Newton's first step from a = 0, where P = S_n and dP/da = -(sum of periods-from-the-end-flow x flow)
        slope = weighted[rows] - first[rows] * total[rows] if up else last[rows] * total[rows] - weighted[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            a0 = total[rows] / slope
        a0 = np.where((a0 > lo) & (a0 < hi), a0, _midpoint(lo, hi))
        a, ok = _polish(_time_major(coef), lo, hi, s_lo, a0, max_iterations)
        del coef
        best[rows[ok]] = a[ok] if up else -a[ok]
        failed[rows[~ok]] = True
    y = np.where(np.isfinite(best) & ~failed, best, np.nan)
    y[at_zero] = 0.0
    code[failed] = IrrReason.NOT_CONVERGED
    return y, code


def _bounds_chunked(flows: np.ndarray) -> tuple[np.ndarray, ...]:
    """``_bounds`` over blocks of rows, so that its temporaries stay in the processor's cache."""
    parts = [_bounds(flows[start:start + _BOUND_ROWS]) for start in range(0, flows.shape[0], _BOUND_ROWS)]
    return tuple(np.concatenate([part[i] for part in parts]) for i in range(5))


def _bounds(flows: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per row: S_n, the first and last nonzero periods, and Norström's bounds on the IRRs above and below 0%.

    Above 0%: sign changes of S_0..S_n; below: of S_n - S_(t-1), t = 0..n. Zeros count with the sign of the
    first (resp. last) nonzero flow: that can only add sign changes, so the bounds stay bounds, and leading
    (trailing) zeros add none."""
    n_rows, n_t = flows.shape
    with np.errstate(over="ignore", invalid="ignore"):  # sums that overflow are found and scaled by the caller
        cum = np.cumsum(flows, axis=1)
    total = cum[:, -1].copy()
    first = np.zeros(n_rows, dtype=np.intp)
    last = np.full(n_rows, n_t - 1, dtype=np.intp)
    lead = np.flatnonzero(flows[:, 0] == 0.0)
    first[lead] = (flows[lead] != 0.0).argmax(axis=1)
    trail = np.flatnonzero(flows[:, -1] == 0.0)
    last[trail] = n_t - 1 - (flows[trail, ::-1] != 0.0).argmax(axis=1)
    every = np.arange(n_rows)
    s_first, s_last = np.sign(flows[every, first]), np.sign(flows[every, last])
    same = (cum * s_first[:, None]) >= 0.0
    above = np.count_nonzero(same[:, 1:] != same[:, :-1], axis=1)
    np.multiply(cum, s_last[:, None], out=cum)
    same = cum[:, :-1] <= (total * s_last)[:, None]  # S_n - S_(t-1), t >= 1, has the last flow's sign (or 0)
    below = np.count_nonzero(same[:, 1:] != same[:, :-1], axis=1)
    if n_t > 1:
        below += same[:, 0] != (total * s_last >= 0.0)  # t = 0: S_n itself
    return total, first, last, above, below


def _time_major(block: np.ndarray) -> np.ndarray:
    """A contiguous (periods x rows) copy of `block` (rows x periods), copied in cache-sized pieces."""
    out = np.empty(block.shape[::-1])
    for start in range(0, block.shape[0], _BOUND_ROWS):
        out[:, start:start + _BOUND_ROWS] = block[start:start + _BOUND_ROWS].T
    return out


def _coefficients(flows: np.ndarray, rows: np.ndarray, first: np.ndarray, last: np.ndarray, up: bool) -> np.ndarray:
    """c (rows x periods) with P(a) = sum_k c_k e^(-a (n - k)): for rates above 0% the flows reversed and shifted
    so that the first nonzero flow is c_n (discounted to it); below 0% the flows shifted so that the last nonzero
    flow is c_n (compounded to it). The shift keeps P(a) from underflowing to 0 when a is large."""
    n_t = flows.shape[1]
    block = flows if rows.size == flows.shape[0] else flows[rows]  # every row, in order: no copy
    if up:
        block = block[:, ::-1]
    shift = first[rows] if up else n_t - 1 - last[rows]
    moved = np.flatnonzero(shift)
    if moved.size:  # roll right by the shift: what wraps around is zeros (the leading resp. trailing ones)
        block = np.array(block)
        index = (np.arange(n_t)[None, :] - shift[moved, None]) % n_t
        block[moved] = np.take_along_axis(block[moved], index, axis=1)
    return block


def _scan(coef: np.ndarray, s_total: np.ndarray, ppy: float) -> tuple[np.ndarray, ...]:
    """Sign changes of P on the grid, from 0% outwards: (how many, bracket low, bracket high, sign at low)."""
    a = grid(ppy)
    n_t = coef.shape[1]
    powers = np.exp(-np.outer(np.arange(n_t - 1, -1, -1, dtype=float), a))  # e^(-a (n - k)), never overflows
    counts, lows, highs, s_lows = [], [], [], []
    for start in range(0, coef.shape[0], _SCAN_ROWS):
        block = coef[start:start + _SCAN_ROWS]
        signs = np.sign(block @ powers)
        signs[:, 0] = s_total[start:start + _SCAN_ROWS]  # exact at a = 0 (S_n), so an IRR of 0% is never noise
        k = np.arange(a.size)
        seen = np.maximum.accumulate(np.where(signs != 0, k, -1), axis=1)  # last nonzero sign so far
        prev = np.concatenate([np.full((block.shape[0], 1), -1), seen[:, :-1]], axis=1)
        prev_sign = np.take_along_axis(signs, np.maximum(prev, 0), axis=1)
        cross = (signs != 0) & (prev >= 0) & (prev_sign != signs)
        j = cross.argmax(axis=1)
        here = np.arange(block.shape[0])
        counts.append(cross.sum(axis=1))
        lows.append(a[np.maximum(prev[here, j], 0)])
        highs.append(a[j])
        s_lows.append(prev_sign[here, j])
    return np.concatenate(counts), np.concatenate(lows), np.concatenate(highs), np.concatenate(s_lows)


def _midpoint(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Bisection point of [lo, hi] (0 <= lo <= hi): arithmetic when narrow, in asinh(a / knee) when wide."""
    wide = hi - lo > np.maximum(lo, _MID_KNEE)
    mid = np.where(wide, _MID_KNEE * np.sinh((np.arcsinh(lo / _MID_KNEE) + np.arcsinh(hi / _MID_KNEE)) / 2.0),
                   (lo + hi) / 2.0)
    return np.clip(mid, lo, hi)


def _horner(coef: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P = sum_k c_k w^(n - k) and dP/da (w = e^-a) for each column of `coef` (periods x series)."""
    p = np.zeros(coef.shape[1])
    d = np.zeros(coef.shape[1])
    for row in coef:
        np.multiply(d, w, out=d)
        d += p
        np.multiply(p, w, out=p)
        p += row
    return p, -w * d


def _polish(coef: np.ndarray, lo: np.ndarray, hi: np.ndarray, s_lo: np.ndarray, a: np.ndarray,
            max_iterations: int) -> tuple[np.ndarray, np.ndarray]:
    """Safeguarded Newton in each bracket [lo, hi] (P has sign s_lo at lo, the other sign or 0 at hi), from a.

    Returns the roots and whether each converged. Converged series leave the working set, and the coefficient
    array is compacted whenever half of it is idle."""
    m = lo.size
    out = np.full(m, np.nan)
    ok = np.zeros(m, dtype=bool)
    active = np.arange(m)  # which series are still being solved
    col = np.arange(m)  # ... and their columns in `coef`
    step_old = hi - lo
    w_all = np.ones(coef.shape[1])
    for _ in range(max_iterations):
        w_all[col] = np.exp(-a)
        p_all, dp_all = _horner(coef, w_all)
        p, dp = p_all[col], dp_all[col]
        zero = p == 0.0
        same = np.sign(p) == s_lo
        lo = np.where(same, a, lo)
        hi = np.where(same | zero, hi, a)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            newton_step = p / dp
            newton = a - newton_step
            slow = np.abs(2.0 * p) > np.abs(step_old * dp)
        use_newton = (newton > lo) & (newton < hi) & ~slow
        a_new = np.where(use_newton, newton, _midpoint(lo, hi))
        step = np.abs(a_new - a)
        # Done: an exact zero, a Newton step below the tolerance (it may round onto the bracket's end), or a
        # bracket too narrow to split.
        tiny = np.abs(newton_step) <= _NEWTON_RTOL * a + _ATOL
        done = zero | tiny | (hi - lo <= _WIDTH_RTOL * hi + _ATOL)
        result = np.where(zero, a, np.where(tiny, np.clip(newton, lo, hi), a_new))
        out[active[done]] = result[done]
        ok[active[done]] = True
        keep = ~done
        if not keep.any():
            return out, ok
        active, col, lo, hi, s_lo, a, step_old = (v[keep] for v in (active, col, lo, hi, s_lo, a_new, step))
        if 2 * col.size < coef.shape[1]:
            coef = np.take(coef, col, axis=1)  # np.take: several times faster than coef[:, col] here
            col = np.arange(col.size)
            w_all = np.ones(col.size)
    return out, ok
