"""Reading amounts and months as analysts write them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fundcheck.scenario.quantities import month_str, parse_amount, parse_month


@pytest.mark.parametrize(("text", "value"), [
    ("$19B", 19e9), ("19e9", 19e9), (19_000_000_000, 19e9), ("19_000_000_000", 19e9), ("$1.5B", 1.5e9),
    ("$180k", 180e3), ("12.5M", 12.5e6), ("7.5%", 0.075), ("-6.5B", -6.5e9), ("1,500", 1500.0), ("$2.3 bn", 2.3e9),
    ("$1T", 1e12), (0.4, 0.4), ("  $300M ", 300e6),
])
def test_amounts_in_the_forms_analysts_write(text: object, value: float) -> None:
    assert parse_amount(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["19 bananas", "$", "", "B19", True, None, "nan", "1e999", [1]])
def test_unreadable_amounts_are_rejected(text: object) -> None:
    with pytest.raises(ValueError):
        parse_amount(text)


@given(st.integers(0, 9999 * 12 + 11))
def test_month_text_round_trips(month: int) -> None:
    assert parse_month(month_str(month)) == month


@pytest.mark.parametrize("text", ["2025-13", "2025-00", "25-01", "2025/01", "January 2025", 202501])
def test_bad_months_are_rejected(text: object) -> None:
    with pytest.raises(ValueError):
        parse_month(text)
