"""The monthly time axis, timing flags and spending curves.

Months are integers since year 0 (see ``scenario.quantities``); the axis maps them to array columns.
A spending curve gives the share of a total spent in each of ``n`` months; the shares sum to 1 exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fundcheck.scenario.quantities import month_str

__all__ = ["TimeAxis", "curve_weights"]

# Cumulative share spent by fraction x of the schedule. 's' is the Beta(2,2) CDF, 'front' Beta(1,2),
# 'back' Beta(2,1): closed forms, so the weights are exact and need no numerical integration.
_CDF = {
    "linear": lambda x: x,
    "s": lambda x: 3 * x**2 - 2 * x**3,
    "front": lambda x: 1 - (1 - x) ** 2,
    "back": lambda x: x**2,
}


def curve_weights(shape: str, months: int) -> np.ndarray:
    """Share of a total spent in each of `months` months under a curve shape; sums to 1."""
    edges = np.linspace(0.0, 1.0, months + 1)
    weights = np.diff(_CDF[shape](edges))
    return weights / weights.sum()


@dataclass(frozen=True)
class TimeAxis:
    """The model's months, from `start` to `end` inclusive."""

    start: int
    end: int

    @property
    def n(self) -> int:
        """Number of months."""
        return self.end - self.start + 1

    def index(self, month: int) -> int:
        """Column of a month (may fall outside 0..n-1 for months off the axis)."""
        return month - self.start

    def labels(self) -> list[str]:
        """The months as 'YYYY-MM'."""
        return [month_str(m) for m in range(self.start, self.end + 1)]

    def label(self, index: int) -> str:
        """The 'YYYY-MM' text of a column index."""
        return month_str(self.start + index)

    def flag(self, first: int | None, last: int | None) -> np.ndarray:
        """Boolean flag over the axis, true from column `first` to `last` inclusive (None: open end)."""
        cols = np.arange(self.n)
        lo = 0 if first is None else first
        hi = self.n - 1 if last is None else last
        return (cols >= lo) & (cols <= hi)
