"""Investor returns from monthly flows, vectorized over paths: IRR (annual, effective) and MOIC."""

from __future__ import annotations

import numpy as np

__all__ = ["irr_annual", "moic"]


def irr_annual(flows: np.ndarray, iterations: int = 100) -> np.ndarray:
    """Annual effective IRR of monthly flows (paths x months; negative = money in), by bisection on the
    monthly rate in (-99%, +100%). NaN where the flows do not change sign (no IRR exists)."""
    flows = np.atleast_2d(np.asarray(flows, dtype=float))
    to_end = np.arange(flows.shape[1])[::-1]  # months from each flow to the last month
    has_root = (flows.min(axis=1) < 0) & (flows.max(axis=1) > 0)
    lo = np.full(flows.shape[0], -0.99)
    hi = np.full(flows.shape[0], 1.0)

    def value_at_end(rate: np.ndarray) -> np.ndarray:
        # NPV x (1 + r)^(T-1): same sign as the NPV, and no overflow for r in (-0.99, 1)
        return (flows * (1.0 + rate[:, None]) ** to_end).sum(axis=1)

    f_lo = value_at_end(lo)
    for _ in range(iterations):
        mid = (lo + hi) / 2.0
        f_mid = value_at_end(mid)
        same = np.sign(f_mid) == np.sign(f_lo)
        lo = np.where(same, mid, lo)
        f_lo = np.where(same, f_mid, f_lo)
        hi = np.where(same, hi, mid)
    monthly = (lo + hi) / 2.0
    return np.where(has_root, (1.0 + monthly) ** 12 - 1.0, np.nan)


def moic(contributed: np.ndarray, received: np.ndarray) -> np.ndarray:
    """Multiple on invested capital: total received / total contributed (NaN where nothing went in)."""
    contributed = np.asarray(contributed, dtype=float)
    return np.divide(received, contributed, out=np.full_like(contributed, np.nan), where=contributed > 0)
