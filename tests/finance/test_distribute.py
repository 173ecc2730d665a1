"""The built-in capped-profit and ordinary-stock structures, by hand, and their breakpoints."""

from __future__ import annotations

import numpy as np
import pytest

import fundcheck
from fundcheck.finance.distribute import breakpoints, distribute

B = 1e9


def test_capped_profit_at_a_trillion_by_hand() -> None:
    # Stakes 49 / 1 / 48 / 2 (G6 and assumptions); Microsoft put in $13B, capped at 20x = $260B; the first round
    # put in $50M, capped at 100x = $5B. At $1T: Microsoft min(490, 260) = 260; first round min(10, 5) = 5;
    # employees 480 (uncapped); the nonprofit its own 20 plus the 230 + 5 held back = 255.
    r = fundcheck.run("openai-lp-2019")
    got = distribute(r, "OpenAI LP", 1000 * B).result.totals()
    assert got == pytest.approx({"Microsoft": 260 * B, "First-round investors": 5 * B,
                                 "Employees and later investors": 480 * B, "OpenAI Nonprofit": 255 * B}, abs=0.01)


def test_ordinary_stock_at_a_trillion() -> None:
    r = fundcheck.run("openai-pbc-2025")
    got = distribute(r, "OpenAI Group PBC", 1000 * B).result.totals()
    assert got == pytest.approx({"Microsoft": 270 * B, "Employees and investors": 470 * B,
                                 "OpenAI Foundation": 260 * B}, abs=0.01)  # G8: 27 / 47 / 26


def test_capped_profit_breakpoints_are_where_the_caps_bind() -> None:
    r = fundcheck.run("openai-lp-2019")
    sweep = distribute(r, "OpenAI LP", np.linspace(0, 2000 * B, 201))
    points = breakpoints(r, "OpenAI LP", sweep)
    # first round: 1% of V = $5B at V = $500B; Microsoft: 49% of V = $260B at V = $530.6B
    assert points == pytest.approx([500 * B, 260 * B / 0.49], abs=2e4)  # a millionth of the $10B grid step


def test_a_higher_cap_moves_the_breakpoint() -> None:
    r = fundcheck.run("openai-lp-2019", alternatives=["microsoft-cap-100x"])
    assert distribute(r, "OpenAI LP", 1000 * B).result.totals()["Microsoft"] == pytest.approx(490 * B, abs=0.01)


def test_returns_per_party() -> None:
    r = fundcheck.run("openai-lp-2019")
    table = distribute(r, "OpenAI LP", 500 * B).table()
    assert table.loc["First-round investors", "moic"] == pytest.approx(100.0)
    assert table.loc["Microsoft", "moic"] == pytest.approx(245 / 13)
    assert np.isnan(table.loc["OpenAI Nonprofit", "moic"])  # put nothing in
    assert 0 < table.loc["Microsoft", "irr"] < 5
