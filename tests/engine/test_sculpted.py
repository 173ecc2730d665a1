"""Sculpted term debt in the month kernel (``repay: {kind: sculpted, dscr: ...}``), worked by hand.

The JV builds a $12M hall over 2025 ($1M a month) on a construction loan from Bank at 12% a year (1% a
month), interest capitalised, converting when the hall energizes (2026-01). From then a tenant outside the
model pays it a fixed amount a month, its only cash: the cash available for debt service (CFADS). The loan
is sculpted to a DSCR target over 24 months: its limit is cut to the debt that CFADS carries (the present
value of CFADS / DSCR at the loan rate) and its principal shaped so that principal + interest is CFADS / DSCR
on the base case, scaled to the balance actually drawn.
"""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest

import fundcheck
from fundcheck.errors import ScenarioError
from fundcheck.finance.performance import debt_cover
from fundcheck.finance.statements import statements
from fundcheck.scenario import load_text

SRC = "source: 'assumption: test'"
ANNUITY = (1 - 1.01 ** -24) / 0.01  # 24 months at 1%: 21.2433873...


def scenario(rent: str = "12M", dscr: str = "1.25", limit: str = "20M", tax: str = "0", sponsor: bool = False,
             contracts: str | None = None, capex: str = "12M") -> str:
    contracts = contracts or f"""
  - {{kind: offtake, buyer: Tenant, seller: JV, usd_per_year: {{value: {rent}, {SRC}}}, start: 2026-01,
     term_years: 10, {SRC}}}"""
    equity = f"""
  - {{kind: equity, from: Sponsor, to: JV, amount: {{value: 20M, {SRC}}}, stake: {{value: 100%, {SRC}}}}}""" \
        if sponsor else ""
    return f"""
program: sculpted
horizon: {{start: 2025-01, end: 2028-12}}
accounting: {{tax_rate: {{value: {tax}, {SRC}}}}}
entities:
  JV: {{kind: spv, funding_priority: [cash, debt, equity]}}
  Sponsor: {{kind: company, outside: true}}
  Tenant: {{kind: company, outside: true}}
  Bank: {{kind: lender}}
sites:
  Hall:
    owner: JV
    phases:
      - {{name: one, it_mw: {{value: 1, {SRC}}}, facility_capex: {{value: {capex}, {SRC}}},
         it_capex: {{value: 0, {SRC}}}, start: 2025-01, months: 12, curve: linear, {SRC}}}
instruments:
  - {{kind: construction_loan, name: CL, from: Bank, to: JV, limit: {{value: {limit}, {SRC}}},
     rate: {{value: 12%, {SRC}}}, start: 2025-01, end: 2027-12, convert_at: {{site: Hall}},
     repay: {{kind: sculpted, months: 24, dscr: {{value: {dscr}, {SRC}}}}}}}{equity}
contracts:{contracts}
"""


def loan_flows(r: fundcheck.Results, kind: str) -> dict[str, float]:
    f = r.flows()
    f = f[(f.kind == kind) & (f.label == "CL")]
    return {m: float(v) for m, v in f.groupby("month").usd.sum().items()}


def test_flat_cash_sculpts_to_an_annuity_on_the_balance_drawn() -> None:
    """CFADS is $1M a month, so the DSCR test carries $800,000 a month: $16,994,709.91 of debt, the limit
    ($20M asked). $12,682,503.01 is drawn (twelve $1M draws, 1% capitalised monthly), less than that, so the
    flat service is scaled to it: a level payment of $12,682,503.01 / 21.2433873 = $597,014.01 a month, the
    principal part numpy-financial's ppmt, and the cover $1M / $597,014 = 1.675x every month."""
    r = fundcheck.run(load_text(scenario(), "sculpt.yaml"))
    capacity = 800_000.0 * ANNUITY
    assert r.instruments()["CL"]["limit_usd"] == pytest.approx(capacity, rel=1e-12)
    balance = (1.01 ** 12 - 1) / 0.01 * 1e6
    principal = loan_flows(r, "principal")
    assert list(principal) == [f"{y}-{m:02d}" for y in (2026, 2027) for m in range(1, 13)]
    expected = [-float(npf.ppmt(0.01, j, 24, balance)) for j in range(1, 25)]
    assert list(principal.values()) == pytest.approx(expected, rel=1e-9)
    service = np.array(list(principal.values())) + np.array(list(loan_flows(r, "interest").values()))
    assert service == pytest.approx(np.full(24, balance / ANNUITY), rel=1e-9)
    assert r.instruments()["CL"]["principal_usd"] == pytest.approx(0.0, abs=1e-3)
    assert r.checks.ok


def test_thin_cash_cuts_the_loan_and_the_cover_is_the_target_exactly() -> None:
    """CFADS of $500,000 a month carries $400,000 of service: $8,497,354.90 of debt, below the $12.7M the
    build needs. The limit is cut to it (drawn and capitalised reach it exactly; the interest then unpaid
    while the JV has no cash is arrears on top), the hall waits for the rent to pay the rest, so it energizes
    late and the loan converts then, and the loan is sculpted at the target: principal + interest = $400,000
    every month, a cover of exactly 1.25x in every year of repayment."""
    r = fundcheck.run(load_text(scenario(rent="6M"), "sculpt.yaml"))
    capacity = 400_000.0 * ANNUITY
    cl = r.instruments()["CL"]
    assert cl["limit_usd"] == pytest.approx(capacity, rel=1e-12)
    assert cl["drawn_usd"] + cl["capitalised_usd"] == pytest.approx(capacity, rel=1e-9)
    energized = r.phases().energized[0]
    assert energized > "2026-01" and r.plan.axis.label(int(r.window_end()[0]) + 1) == energized
    principal, interest = loan_flows(r, "principal"), loan_flows(r, "interest")
    months = [m for m in sorted(set(principal) | set(interest)) if m >= energized]
    service = np.array([principal.get(m, 0.0) + interest.get(m, 0.0) for m in months])
    assert service[:24] == pytest.approx(np.full(24, 400_000.0), rel=1e-9)
    cover = debt_cover(statements(r))["CL"]
    assert cover.dscr == pytest.approx(np.full(len(cover.years), 1.25), rel=1e-9)
    assert r.checks.ok


def test_with_taxes_the_cover_after_tax_is_the_target_in_each_full_year() -> None:
    """With 21% tax the cash available for debt service is after the tax accrued (as the debt cover table
    measures it, a year's tax spread over its months). The loan's own interest moves the tax it is sized on,
    so the base case is run until limit and shape settle. A sponsor's equity pays what the cut loan does not,
    so the hall is built on plan, as in the lender's base case: the cover is the target in both years of
    repayment."""
    r = fundcheck.run(load_text(scenario(rent="6M", tax="21%", sponsor=True), "sculpt.yaml"))
    assert r.phases().energized[0] == "2026-01"
    cover = debt_cover(statements(r))["CL"]
    assert cover.years == [2026, 2027]
    assert cover.dscr == pytest.approx([1.25, 1.25], rel=1e-6)
    assert r.instruments()["CL"]["limit_usd"] < 400_000.0 * ANNUITY  # tax leaves less cash to carry debt


@pytest.mark.parametrize(("repay", "field", "words"), [
    ("{kind: sculpted, months: 24}", "instruments[0].repay", "without dscr"),
    (f"{{kind: sculpted, months: 24, dscr: {{value: 0.9, {SRC}}}}}", "instruments[0].repay.dscr", "from 1 to 10"),
    (f"{{kind: bullet, months: 24, dscr: {{value: 1.3, {SRC}}}}}", "instruments[0].repay.dscr", "kind: sculpted"),
])
def test_bad_sculpting_is_located(repay: str, field: str, words: str) -> None:
    text = scenario().replace(f"repay: {{kind: sculpted, months: 24, dscr: {{value: 1.25, {SRC}}}}}", f"repay: {repay}")
    with pytest.raises(ScenarioError) as err:
        load_text(text, "sculpt.yaml")
    assert "sculpt.yaml:" in str(err.value) and field in str(err.value) and words in str(err.value)


def test_a_sampled_limit_is_cut_to_the_dscr_capacity_on_every_path() -> None:
    """A Monte Carlo limit (uniform $5M to $30M) is the gearing cap on each path: the DSCR test cuts it to the
    $16,994,709.91 the base case carries wherever it is higher."""
    from fundcheck.engine import compile_plan
    from fundcheck.uncertainty.model import compile_inputs

    text = scenario().replace(f"limit: {{value: 20M, {SRC}}}",
                              f"limit: {{value: 20M, dist: uniform, low: 5M, high: 30M, name: L, {SRC}}}")
    s = load_text(text, "sculpt.yaml")
    plan = compile_plan(s)
    inputs = compile_inputs(s, plan)
    x = inputs.sample("random", 7, 0, 400)
    limits = inputs.apply(plan, x).loans.limit_usd[:, 0]
    capacity = 800_000.0 * ANNUITY
    assert limits == pytest.approx(np.minimum(x[:, 0], capacity), rel=1e-12)
    assert (x[:, 0] > capacity).any() and (x[:, 0] < capacity).any()


def offtakes(second_start: str) -> str:
    """$1M a month from 2026-01 for six months, then $1M a month again from `second_start`."""
    return f"""
  - {{kind: offtake, name: A, buyer: Tenant, seller: JV, usd_per_year: {{value: 12M, {SRC}}}, start: 2026-01,
     term_years: 0.5, {SRC}}}
  - {{kind: offtake, name: B, buyer: Tenant, seller: JV, usd_per_year: {{value: 12M, {SRC}}}, start: {second_start},
     term_years: 10, {SRC}}}"""


def test_months_without_cash_pay_interest_only() -> None:
    """No cash July to September 2026: after conversion interest is paid in cash, never capitalised, so those
    months repay no principal and the balance earns 1% a month; every other month principal + interest is
    the same (the service scaled to the balance drawn), and the loan is repaid by 2027-12 (found by the audit:
    the shape assumed capitalised interest in those months and repaid early)."""
    r = fundcheck.run(load_text(scenario(contracts=offtakes("2026-10")), "sculpt.yaml"))
    principal, interest = loan_flows(r, "principal"), loan_flows(r, "interest")
    assert all(m not in principal for m in ("2026-07", "2026-08", "2026-09"))
    balance_june = (1.01 ** 12 - 1) / 0.01 * 1e6 - sum(principal[f"2026-{m:02d}"] for m in range(1, 7))
    assert interest["2026-07"] == pytest.approx(0.01 * balance_june, rel=1e-12)
    assert interest["2026-09"] == pytest.approx(0.01 * balance_june, rel=1e-12)
    cash_months = [m for m in sorted(principal) if m not in ("2027-12",)]
    service = [principal[m] + interest[m] for m in cash_months]
    assert service == pytest.approx([service[0]] * len(service), rel=1e-9)
    assert max(principal) == "2027-12" and r.instruments()["CL"]["principal_usd"] == pytest.approx(0.0, abs=1e-3)
    assert r.checks.ok


def test_the_sizing_settles() -> None:
    """A gap in the cash (six months of rent, then none until 2027) made the sizing swing between two limits
    from one base-case run to the next (found by the audit). The limit only falls now, so it settles: more
    runs give the same limit."""
    import fundcheck.engine.plan as plan_module
    from fundcheck.engine import compile_plan

    s = load_text(scenario(contracts=offtakes("2027-01"), capex="20M", limit="30M"), "sculpt.yaml")
    limit = compile_plan(s).loans.limit_usd[0, 0]
    runs = plan_module.SCULPT_RUNS
    try:
        plan_module.SCULPT_RUNS = 40
        assert compile_plan(s).loans.limit_usd[0, 0] == pytest.approx(limit, rel=1e-12)
    finally:
        plan_module.SCULPT_RUNS = runs


def test_the_balance_shaped_excludes_arrears() -> None:
    """Under gap_policy: record the thin-cash loan still owes December's unpaid interest at conversion; the
    shape is of the balance not overdue, as the kernel repays it, so the service is $400,000 every month once
    the arrears are paid, and nothing is left for the last month (found by the audit: a balloon of $640,641
    in the last month)."""
    text = scenario(rent="6M").replace("program: sculpted", "program: sculpted\ngap_policy: record")
    r = fundcheck.run(load_text(text, "sculpt.yaml"))
    principal, interest = loan_flows(r, "principal"), loan_flows(r, "interest")
    months = sorted(set(principal) | set(interest))
    service = np.array([principal.get(m, 0.0) + interest.get(m, 0.0) for m in months])
    # the $257,478 overdue (and its interest) is paid from the cash above the service in the first three
    # months, then $400,000
    assert months[0] == "2026-01" and months[-1] == "2027-12"
    assert service[3:] == pytest.approx(np.full(21, 400_000.0), rel=1e-9)
    assert (service[:3] <= 500_000.0 + 1e-6).all() and service[:3].sum() > 3 * 400_000.0 + 257_478.35


def test_a_sculpted_loan_needs_a_modelled_borrower() -> None:
    text = scenario().replace("  JV: {{kind: spv".replace("{{", "{"), "  JV: {kind: spv, outside: true")
    with pytest.raises(ScenarioError) as err:
        load_text(text, "sculpt.yaml")
    assert "instruments[0].to" in str(err.value) and "modelled borrower" in str(err.value)


def test_the_readme_project_loan_example_says_what_it_does() -> None:
    """The README's worked project loan runs as the README says: limit cut to $9,649,841 (5M / 12 / 1.3 x the
    36-month annuity factor at 1%), cover 1.30x in 2026-2028, a $961,538 reserve, no breach, repaid 2028-12."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = text.split("### A project loan as a lender writes it", 1)[1]
    yaml_text = re.search(r"```yaml\n(.*?)```", block, re.S).group(1)
    r = fundcheck.run(load_text(yaml_text, "hall.yaml"))
    capacity = 5e6 / 12 / 1.3 * (1 - 1.01 ** -36) / 0.01
    assert capacity == pytest.approx(9_649_841.36, abs=0.01)
    assert r.instruments()["CL"]["limit_usd"] == pytest.approx(capacity, rel=1e-9)
    cover = debt_cover(statements(r))["CL"]
    assert cover.years == [2026, 2027, 2028] and cover.dscr == pytest.approx([1.3, 1.3, 1.3], rel=1e-9)
    assert r.reserves()["JV"].max() == pytest.approx(3 * 5e6 / 12 / 1.3, rel=1e-9)
    assert r.covenants().loc["CL", "event"] == "" and r.maturities().loc["CL", "month"] == "2028-12"
    assert r.phases().energized[0] == "2026-01" and r.checks.ok
