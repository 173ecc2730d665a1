"""Reading the numbers and months an analyst writes: '$19B', 19_000_000_000, '7.5%', '2025-01'.

Months are held as integers counting months since year 0 (``year * 12 + month - 1``) so that month
arithmetic is integer arithmetic; ``month_str`` turns one back into ``YYYY-MM``. A month is always written as
text ``YYYY-MM``: a number or a YAML date is not a month (the schema says which was given).

Amounts are finite and at most ``LIMITS.amount`` (1e15) in size, so nothing near 1e308 gets to the engine;
a larger one raises ``AmountTooLargeError``.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from fundcheck.scenario.yamlio import LIMITS

__all__ = ["AmountTooLargeError", "month_str", "parse_amount", "parse_month", "parse_quota"]

_SUFFIX = {"": 1.0, "k": 1e3, "K": 1e3, "m": 1e6, "M": 1e6, "mn": 1e6, "b": 1e9, "B": 1e9, "bn": 1e9,
           "t": 1e12, "T": 1e12, "tn": 1e12}
_AMOUNT = re.compile(r"^\s*(?P<sign>[-+])?\s*\$?\s*(?P<num>(\d[\d,_]*)(\.\d*)?([eE][-+]?\d+)?|\.\d+)\s*"
                     r"(?P<suffix>k|K|m|M|mn|b|B|bn|t|T|tn|%)?\s*(USD)?\s*$")
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_QUOTA = re.compile(r"^(\d{1,18}(\.\d{0,18})?(e[-+]?\d{1,3})?%?|\d{1,18}/\d{1,18})$")


class AmountTooLargeError(ValueError):
    """An amount beyond ``LIMITS.amount`` in size (or too large to hold at all); `found` is what was written."""

    def __init__(self, found: object):
        super().__init__(found)
        self.found = found


def parse_amount(raw: object) -> float:
    """Read an amount: a number, or text like '$19B', '19e9', '1,500', '$180k', '12.5M', '7.5%'.

    Percentages become fractions ('7.5%' -> 0.075). Raises ValueError with the expected forms, and
    AmountTooLargeError beyond ``LIMITS.amount`` in size.
    """
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, int | float):
        try:
            value = float(raw)
        except OverflowError:
            raise AmountTooLargeError(str(raw)) from None
    elif isinstance(raw, str):
        m = _AMOUNT.match(raw)
        if not m:
            raise ValueError(raw)
        num = float(m.group("num").replace(",", "").replace("_", ""))
        suffix = m.group("suffix") or ""
        value = num / 100.0 if suffix == "%" else num * _SUFFIX[suffix]
        if m.group("sign") == "-":
            value = -value
    else:
        raise ValueError(raw)
    if math.isnan(value):
        raise ValueError(raw)
    if not abs(value) <= LIMITS.amount:
        raise AmountTooLargeError(value if math.isfinite(value) else raw)
    return value


def parse_month(raw: object) -> int:
    """Read a month written 'YYYY-MM' as months since year 0 (the schema bounds the year, see ``LIMITS``)."""
    if isinstance(raw, str):
        m = _MONTH.match(raw)
        if m:
            year, month = int(m.group(1)), int(m.group(2))
            if 1 <= month <= 12:
                return year * 12 + month - 1
    raise ValueError(raw)


def month_str(month: int) -> str:
    """The 'YYYY-MM' text of a month counted since year 0."""
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def parse_quota(raw: object) -> tuple[Fraction, bool] | int:
    """Read a voting quota: 'majority' (more than half), 'unanimous', a share ('2/3', '75%', 0.75: at least
    that share) or a whole number of votes (an int above 1). Returns (share, strict) or the vote count."""
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, int) and raw > 1:
        return raw
    if isinstance(raw, float) and not math.isfinite(raw):
        raise ValueError(raw)
    text = str(raw).strip().lower()
    if text == "majority":
        return Fraction(1, 2), True
    if text == "unanimous":
        return Fraction(1), False
    if not _QUOTA.match(text):  # also keeps Fraction from reading '1e99999999' (a number of 100M digits)
        raise ValueError(raw)
    try:
        if "/" in text:
            num, den = text.split("/")
            share = Fraction(int(num), int(den))
        elif text.endswith("%"):
            share = Fraction(text[:-1]) / 100
        else:
            share = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise ValueError(raw) from None
    if share > 1 and share == int(share):
        return int(share)
    if not 0 < share <= 1:
        raise ValueError(raw)
    return share, False
