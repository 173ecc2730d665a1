"""The built-in capped-profit and ordinary-stock structures, by hand, and their breakpoints."""

from __future__ import annotations

from pathlib import Path

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
    # (to a dollar: payouts are rounded to the cent, and the first round's share changes by 1%: 0.01 / 0.01 = 1)
    assert points == pytest.approx([500 * B, 260 * B / 0.49], abs=1.0)


@pytest.mark.parametrize("n", [3, 5, 1000])
def test_capped_profit_breakpoints_on_coarse_and_fine_sweeps(n: int) -> None:
    # 5 points put $500B on a grid point and $530.6B between $500B and $1T; 3 points put both between 0 and $1T;
    # 1,000 points must not turn the cent rounding of the payouts into breakpoints.
    r = fundcheck.run("openai-lp-2019")
    points = breakpoints(r, "OpenAI LP", distribute(r, "OpenAI LP", np.linspace(0, 2000 * B, n)))
    assert points == pytest.approx([500 * B, 260 * B / 0.49], abs=1.0)


SMALL_CAP = """
program: small capped fund
horizon: {start: 2025-01, end: 2026-01}
entities:
  Fund: {kind: company}
  Investor: {kind: investor, outside: true}
  Nonprofit: {kind: nonprofit}
instruments:
  - {kind: equity, name: Investor money, from: Investor, to: Fund, call: upfront, start: 2025-01,
     amount: {value: 10, source: "assumption: test"}}
waterfalls:
  Fund:
    parties: [Investor, Nonprofit]
    tiers:
      - {kind: split, investors: [Investor]}
    caps:
      Investor: {value: 100, source: "assumption: test"}
    beneficiary: Nonprofit
    exit: {month: 2026-01, value: {value: 1500, source: "assumption: test"}}
    source: "assumption: test"
"""


@pytest.mark.parametrize("n", [161, 5, 1000])
def test_a_small_sweep_breaks_exactly_at_the_cap(tmp_path: Path, n: int) -> None:
    # 10 in, capped at 100x: the investor takes every dollar to 10 x 100 = 1,000, the nonprofit the rest. On 161
    # points (step 12.5) the breakpoint used to be reported a grid step early, at 987.5.
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_CAP)
    r = fundcheck.run(fundcheck.load(path))
    assert breakpoints(r, "Fund", distribute(r, "Fund", np.linspace(0, 2000, n))) == [1000.0]


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


AMERICAN = """
program: two deals
horizon: {start: 2025-01, end: 2027-01}
entities:
  Fund: {kind: spv}
  LP: {kind: investor, outside: true}
  GP: {kind: company, outside: true}
waterfalls:
  Fund:
    style: american
    parties: [LP, GP]
    tiers:
      - {kind: return_of_capital}
      - {kind: preferred_return, until: {irr: 8%}}
      - {kind: catch_up, gp: GP, carry: 20%}
      - {kind: split, shares: {GP: 20%}}
    deals:
      - {name: A, start: 2025-01, contributions: {LP: 100}, exit: {month: 2026-01, value: 200}}
      - {name: B, start: 2025-01, contributions: {LP: 100}, exit: {month: 2027-01, value: 50}}
    source: "assumption: test"
"""


def test_american_waterfall_from_a_scenario_claws_back_carry() -> None:
    # Deal A alone pays the GP 20 in 2026-01 (see tests/finance/test_waterfall.py). The whole fund: 200 in at
    # 2025-01; 200 out at 2026-01 (all capital back to the LP), 50 out at 2027-01: pref 200 x 1.08^2 - 200 = 33.28,
    # catch-up 0.2 x 33.28 / 0.8 = 8.32, then 8.40 split 80/20 (GP 1.68): the GP's whole-fund carry is 10.
    # So at the end the GP gives back 20 - 10 = 10, and both end where the whole-fund waterfall puts them.
    from fundcheck.scenario import load_text

    r = fundcheck.run(load_text(AMERICAN, "american.yaml"))
    d = distribute(r, "Fund")
    assert d.result.paid_usd[1, 0, r.months.index("2026-01")] == 20.0
    assert d.result.clawback_usd[0] == 10.0
    assert d.result.totals() == {"LP": 240.0, "GP": 10.0}


GP_MONEY = """
program: one deal with the GP's money in it
horizon: {start: 2025-01, end: 2030-01}
entities:
  Fund: {kind: spv}
  LP: {kind: investor, outside: true}
  GP: {kind: company, outside: true}
waterfalls:
  Fund:
    style: american
    parties: [LP, GP]
    tiers:
      - {kind: return_of_capital}
      - {kind: preferred_return, until: {irr: 8%}}
      - {kind: catch_up, gp: GP, carry: 20%}
      - {kind: split, shares: {GP: 20%}}
    deals:
      - {name: A, start: 2025-01, contributions: {LP: 90, GP: 10}, exit: {month: 2030-01, value: 200}}
    source: "assumption: test"
"""


def test_a_catch_up_gp_with_capital_under_the_default_investors() -> None:
    # The tiers name no investors, so the GP (the catch-up party) is not among them by default; its 10 must
    # still come back with its 8% pref. 200 after 60 months, by hand (tests/finance/test_waterfall.py has the
    # tier-by-tier sums): the profit of 100 gives the GP 20 of carry, the other 80 splits 90/10 by capital:
    # LP 90 + 72 = 162, GP 10 + 8 + 20 = 38. One deal: nothing to claw back.
    from fundcheck.scenario import load_text

    r = fundcheck.run(load_text(GP_MONEY, "gp-money.yaml"))
    d = distribute(r, "Fund")
    assert d.result.totals() == {"LP": 162.0, "GP": 38.0}
    assert d.result.clawback_usd[0] == 0.0
    table = d.table()
    assert table.loc["LP", "irr"] == pytest.approx(1.8 ** (1 / 5) - 1, abs=1e-12)  # 90 -> 162 in five years
    assert table.loc["GP", "irr"] == pytest.approx(3.8 ** (1 / 5) - 1, abs=1e-12)  # 10 -> 38
