"""Number formats and short phrases shared by the terminal summary, the HTML report and the exports."""

from __future__ import annotations

import math

__all__ = ["MINUS", "claims_order", "mw", "pct", "usd"]

MINUS = "\u2212"  # a real minus sign: "−$6.5B", not "$-6.5B"


def usd(value: float | None, unit: str = "B") -> str:
    """Dollars at a precision that hides nothing: '$12.3B', '$149M', '$19.5M', '$130k', '$950'; '−$6.5B' when negative;
    '$0' under half a dollar, '-' for nothing. `unit` is the largest unit used ('B' or 'M')."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    scale = {"B": 1e9, "M": 1e6}[unit]
    size = abs(value)
    if size < 0.5:
        return "$0"
    sign = MINUS if value < 0 else ""
    if size < 1e3:
        shown = f"{size:,.0f}"
    elif size < 1e6:
        shown = f"{size / 1e3:,.1f}k" if size < 1e4 else f"{size / 1e3:,.0f}k"
    elif size < 1e8 or unit == "M":
        shown = f"{size / 1e6:,.1f}M"
    elif size < scale - 5e7:
        shown = f"{size / 1e6:,.0f}M"  # $149M, not $0.1B
    else:
        shown = f"{size / scale:,.1f}{unit}"
    return f"{sign}${shown}"


def pct(value: float | None, digits: int = 1) -> str:
    """A fraction as a percent ('0.075' -> '7.5%'); '-' for nothing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    shown = f"{abs(value) * 100:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{abs(value) * 100:,.0f}"
    return f"{MINUS if value < 0 else ''}{shown}%"


def mw(value: float) -> str:
    """Megawatts with a thousands separator."""
    return f"{value:,.0f} MW"


def claims_order(order_of_claims: dict[str, str]) -> str:
    """A plan's order of claims (``Plan.order_of_claims``) in a few words, for headers: 'month order' or
    'month order; SoftBank commitments first'."""
    first = [n for n, v in order_of_claims.items() if v == "commitments_first"]
    return "month order" + (f"; {', '.join(first)} commitments first" if first else "")
