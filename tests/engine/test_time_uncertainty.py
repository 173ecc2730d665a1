"""The per-path columns that carry time-structured uncertainty: an investor's default month, a lender's
default month, and a step in a loan's interest rate. Each is checked by hand on a small scenario."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fundcheck
from fundcheck.engine import Results, compile_plan, simulate
from fundcheck.engine.tables import NEVER
from fundcheck.scenario import load_text

M = 1e6

BUILD = """
program: one site
horizon: {start: 2025-01, end: 2025-12}
gap_policy: defer
entities:
  A: {kind: company, cash: {value: 100M, source: "assumption: test"}}
  B: {kind: company, cash: {value: 100M, source: "assumption: test"}}
  JV: {kind: spv, funding_priority: [equity, debt]}
  Bank: {kind: lender}
sites:
  Site:
    owner: JV
    phases:
      - {name: p1, it_mw: 10, start: 2025-01, months: 4, curve: linear, facility_capex: 80M, it_capex: 0,
         source: "assumption: test"}
instruments:
  - {kind: equity, name: eqA, from: A, to: JV, amount: 40M, stake: 50%, source: "assumption: test"}
  - {kind: equity, name: eqB, from: B, to: JV, amount: 40M, stake: 50%, source: "assumption: test"}
"""

LOAN = """
program: one loan
horizon: {start: 2025-01, end: 2025-12}
entities:
  Borrower: {kind: company, cash: {value: 500M, source: "assumption: test"}}
  Bank: {kind: lender}
instruments:
  - {kind: bond, name: bond, from: Bank, to: Borrower, limit: 100M, rate: 12%, start: 2025-01, draw: upfront,
     repay: {kind: bullet, months: 12}, source: "assumption: test"}
"""


def _run(text: str, **columns: np.ndarray) -> Results:
    scenario = load_text(text, "t.yaml")
    plan = compile_plan(scenario)
    for column, values in columns.items():
        plan = plan.vary(column.replace("__", "."), values)
    return Results(scenario=scenario, plan=plan, outcome=simulate(plan, plan.n_paths))


def test_an_investor_in_default_pays_no_call_from_its_default_month() -> None:
    # capex 20M a month Jan-Apr, called 10/10 from A and B. B defaults from March (month index 2):
    # it pays 10 in Jan and Feb, and nothing of its 10M calls in Mar and Apr (nor the re-issued ones).
    # The JV has no other source, so it is 10M short in Mar and 20M in Apr (Mar's shortfall carried).
    # Path 1: no default, everything paid.
    default = np.array([[NEVER, 2], [NEVER, NEVER]])
    r = _run(BUILD, equity__default_month=default)
    paid = r.get("equity.eqB.paid_usd", path=0).values
    assert paid[:4] == pytest.approx([10 * M, 10 * M, 0, 0])
    assert r.get("equity.eqA.paid_total_usd", path=0) == pytest.approx(40 * M)
    assert r.get("equity.eqB.paid_total_usd", path=0) == pytest.approx(20 * M)
    gap = r.gap(path=0)["JV"].values
    assert gap[:4] == pytest.approx([0, 0, 10 * M, 20 * M])
    assert r.gap(path=0)["B"].abs().max() == 0  # a default is not the investor's shortfall: it had the cash
    assert r.get("phases.Site: p1.energized", path=0) is None
    assert r.get("equity.eqB.paid_total_usd", path=1) == pytest.approx(40 * M)
    assert r.gap(path=1)["JV"].abs().max() == 0
    assert r.checks.ok


def test_a_lender_in_default_funds_no_draw_from_its_default_month() -> None:
    # Same build, but the JV borrows (the only equity is A's 40M, called first): capex 20M a month.
    # A pays 20 in Jan and 20 in Feb (its 40M is then used up); the loan funds Mar's 20; the lender
    # defaults from April (index 3): April's 20 is the JV's gap.
    eq_b = BUILD.splitlines()[-1]
    assert "eqB" in eq_b
    text = BUILD.replace(eq_b, """  - {kind: construction_loan, name: loan, from: Bank, to: JV, limit: 100M, rate: 0%,
     repay: {kind: bullet, months: 12}, source: "assumption: test"}""")
    r = _run(text, loans__default_month=np.array([[3], [NEVER]]))
    drawn = np.diff(np.concatenate([[0.0], r.get("loans.loan.principal_usd", path=0).values]))
    assert drawn[:4] == pytest.approx([0, 0, 20 * M, 0])
    assert r.gap(path=0)["JV"].values[3] == pytest.approx(20 * M)
    assert r.get("loans.loan.principal_usd@2025-04", path=1) == pytest.approx(40 * M)
    assert r.gap(path=1)["JV"].abs().max() == 0
    assert r.checks.ok


def test_a_bond_whose_lender_defaulted_before_its_start_is_never_drawn() -> None:
    r = _run(LOAN, loans__default_month=np.array([[0]]))
    assert r.get("loans.bond.max_principal_usd", path=0) == 0
    assert r.cash(path=0)["Borrower"].values[-1] == pytest.approx(500 * M)


def test_a_rate_step_raises_interest_from_its_month() -> None:
    # 100M drawn in January at 12% a year = 1% a month on the opening balance, paid in cash (the bond is at its
    # limit, so nothing can be capitalised): none in January, 1M a month Feb-May. From June (index 5) the rate
    # is 1% + 0.5% = 1.5% a month: 1.5M x 7 months. In all 4 + 10.5 = 14.5M (11M without the step). The
    # bullet falls due after the window, which ends with the horizon, so only interest is paid here.
    shift = np.array([[0.005], [0.0]])
    start = np.array([[5], [5]])
    r = _run(LOAN, loans__rate_shift_monthly=shift, loans__rate_shift_start=start)
    interest = r.get("loans.bond.interest_paid_usd", path=0)
    assert interest == pytest.approx(4 * 1 * M + 7 * 1.5 * M)
    assert r.get("loans.bond.interest_paid_usd", path=1) == pytest.approx(11 * M)
    assert r.cash(path=0)["Borrower"].values[-1] == pytest.approx((500 + 100 - 14.5) * M)
    assert r.checks.ok


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(months=st.lists(st.integers(min_value=0, max_value=140), min_size=2, max_size=6),
       shift=st.floats(min_value=-0.004, max_value=0.004), shift_start=st.integers(min_value=0, max_value=126))
def test_an_earlier_default_never_pays_more_and_money_is_conserved(months: list[int], shift: float,
                                                                   shift_start: int) -> None:
    # One path per default month for every equity commitment of SoftBank (a month past the horizon: no default),
    # with the same rate step on every loan: up to its default month a path is the same as a later-defaulting
    # one, after it it pays nothing, so the total paid is monotone in the default month.
    plan = compile_plan(fundcheck.load("stargate"))
    eq, ln = plan.equity, plan.loans
    softbank = np.flatnonzero(eq.investor == plan.entities.id("SoftBank"))
    default = np.full((len(months), len(eq)), NEVER)
    for p, m in enumerate(months):
        default[p, softbank] = m
    n = len(months)
    varied = (plan.vary("equity.default_month", default)
              .vary("loans.rate_shift_monthly", np.full((n, len(ln)), shift))
              .vary("loans.rate_shift_start", np.full((n, len(ln)), shift_start)))
    out = simulate(varied, n, record="summary")
    paid = out.field("equity_paid_total_usd")[:, softbank].sum(axis=1)
    order = np.argsort(months, kind="stable")
    assert np.all(np.diff(paid[order]) >= -1e-6 * max(1.0, paid.max()))
    moved = out.field("moved_usd")[:, 0]
    assert np.all(out.field("conservation_error_usd")[:, 0] <= 1e-12 * (moved + out.field("largest_balance_usd")[:, 0]))
