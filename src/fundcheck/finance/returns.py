"""Investor returns from flows per period, vectorized over any leading shape (last axis = time): IRR, NPV, MOIC
and payback. Flows are USD per period, negative = money in, positive = money out; rates are annual effective.
The IRR itself is solved in `finance/irr.py`."""

from __future__ import annotations

import numpy as np

from fundcheck.finance.irr import irr

__all__ = ["irr_annual", "moic", "npv", "payback_month"]


def irr_annual(flows: np.ndarray, iterations: int = 128) -> np.ndarray:
    """Annual effective IRR (a fraction: 0.08 = 8%/yr) of monthly flows in USD (paths x months, or one row of
    months), one per path: ``irr(flows, 12)`` with a path axis always present (a 1-D input gives shape (1,)).

    Any monthly rate in (-100%, +inf) can be found (a 10x in one month is 900% a month, an annual IRR of
    10^12 - 1); several IRRs: the one nearest 0%; NaN where there is none, never a number clamped to a bound;
    +inf where the annual rate is too large for a float. `iterations` caps the solver's steps per path."""
    return irr(np.atleast_2d(np.asarray(flows, dtype=float)), 12, max_iterations=iterations)


def npv(rate_annual: float | np.ndarray, cashflows: np.ndarray, periods_per_year: float = 12) -> np.ndarray:
    """Net present value in USD at the start of the first period: sum_t f_t (1 + rate_annual)^(-t / ppy), t = 0, 1, ...

    The first flow is not discounted (as numpy-financial's ``npv``; a spreadsheet's NPV discounts it one period).
    `rate_annual` is effective and broadcasts against the leading shape of `cashflows`; NaN where it is <= -100%."""
    flows = np.asarray(cashflows, dtype=float)
    rate = np.asarray(rate_annual, dtype=float)
    t = np.arange(flows.shape[-1], dtype=float) / periods_per_year
    with np.errstate(invalid="ignore", divide="ignore"):
        log_growth = np.where(rate > -1.0, np.log1p(np.maximum(rate, -1.0)), np.nan)
    value = (flows * np.exp(-log_growth[..., None] * t)).sum(axis=-1)
    return value[()]


def moic(contributed: np.ndarray, received: np.ndarray | None = None) -> np.ndarray:
    """Multiple on invested capital: total received / total contributed (NaN where nothing went in).

    Two forms: ``moic(contributed, received)`` with totals in USD, or ``moic(cashflows)`` with flows per period
    (last axis = time), where the negative flows are what went in and the positive ones what came back."""
    if received is None:
        flows = np.asarray(contributed, dtype=float)
        contributed, received = -np.minimum(flows, 0.0).sum(axis=-1), np.maximum(flows, 0.0).sum(axis=-1)
    contributed = np.asarray(contributed, dtype=float)
    received = np.asarray(received, dtype=float)
    out = np.full(np.broadcast_shapes(contributed.shape, received.shape), np.nan)
    return np.divide(received, contributed, out=out, where=contributed > 0)[()]


def payback_month(cashflows: np.ndarray, rate_annual: float | np.ndarray = 0.0,
                  periods_per_year: float = 12) -> np.ndarray:
    """Period (0-based; a month when ``periods_per_year=12``) from which the cumulative flow, discounted at
    `rate_annual` (0: undiscounted), is >= 0 for good: one past the last period where it is below 0.

    NaN where the cumulative flow is never below 0 (nothing to pay back) or still below 0 at the end."""
    flows = np.asarray(cashflows, dtype=float)
    rate = np.asarray(rate_annual, dtype=float)
    if np.any(rate != 0.0):
        t = np.arange(flows.shape[-1], dtype=float) / periods_per_year
        with np.errstate(invalid="ignore", divide="ignore"):
            flows = flows * np.exp(-np.log1p(np.where(rate > -1.0, rate, np.nan))[..., None] * t)
    below = np.cumsum(flows, axis=-1) < 0.0
    n_t = flows.shape[-1]
    last_below = n_t - 1 - below[..., ::-1].argmax(axis=-1)
    ever = below.any(axis=-1)
    month = np.where(ever & (last_below < n_t - 1), last_below + 1.0, np.nan)
    return month[()]
