"""Number formats shared by the terminal summary and the HTML report."""

from __future__ import annotations

import math

__all__ = ["mw", "usd"]


def usd(value: float | None, unit: str = "B") -> str:
    """Dollars in billions ('$12.3B') or millions ('$450M'); '-' for nothing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    scale = {"B": 1e9, "M": 1e6}[unit]
    if abs(value) < 0.05 * scale:
        return "$0" if abs(value) < 0.5 else f"${value / 1e6:,.1f}M"
    return f"${value / scale:,.1f}{unit}"


def mw(value: float) -> str:
    """Megawatts with a thousands separator."""
    return f"{value:,.0f} MW"
