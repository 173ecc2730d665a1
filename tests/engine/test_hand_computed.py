"""Small scenarios computed by hand, month by month, and checked to the dollar.

Amounts are in USD millions in the YAML (written '40M') and compared in dollars.
"""

from __future__ import annotations

import pytest

import fundcheck
from fundcheck.scenario import load_text

M = 1e6

JV = """
program: two-partner JV
horizon: {start: 2025-01, end: 2025-12}
gap_policy: POLICY
entities:
  A:  {kind: company, cash: {value: 100M, source: "assumption: test"}}
  B:
    kind: company
    cash: {value: 20M, source: "assumption: test"}
    cash_flow: [{start: 2025-06, end: 2025-06, usd: {value: 100M, source: "assumption: test"}}]
  JV: {kind: spv, funding_priority: [cash, equity, debt]}
  Bank: {kind: lender}
  Tenant: {kind: company, outside: true}
sites:
  Site:
    owner: JV
    phases:
      - {name: p1, it_mw: 10, start: 2025-02, months: 3, curve: linear, facility_capex: 120M, it_capex: 0,
         source: "assumption: test"}
instruments:
  - {kind: equity, from: A, to: JV, amount: 50M, stake: 50%, source: "assumption: test"}
  - {kind: equity, from: B, to: JV, amount: 50M, stake: 50%, source: "assumption: test"}
  - {kind: construction_loan, name: loan, from: Bank, to: JV, limit: 40M, rate: 12%, source: "assumption: test"}
contracts:
  - {kind: lease, tenant: Tenant, landlord: JV, site: Site, term_years: 10, rate_per_mw_month: 1M,
     source: "assumption: test"}
"""

# Month by month under `defer` (capex 40 a month in Feb, Mar, Apr; interest 1% a month, capitalised only as
# far as the 40 limit allows, the rest due in cash):
#   Feb: calls 20/20 pro rata to undrawn 50/50. A pays 20 (cash 80); B pays its 20 (cash 0). Loan 0.
#   Mar: calls 20/20. A pays 20 (cash 60); B pays 0 -> B gap 20. Loan draws 20.
#   Apr: interest 0.2 -> principal 20.2. Undrawn A 10, B 30 (40 in all): calls 10/30. A pays 10 (cash 50);
#        B gap 30 (20 of it re-issued from March). Loan room 40 - 20.2 = 19.8 -> principal 40 (the limit).
#        JV short 40 - 10 - 19.8 = 10.2 -> deferred.
#   May: interest 0.4; no headroom, so it is due in cash. B is called 0.4, then the deferred 10.2, and pays
#        nothing (gap 10.6); the loan is full -> JV gap 10.6. The unpaid 0.4 is overdue: principal 40.4.
#   Jun: B receives 100 first, then pays interest 0.404, the overdue 0.4 (principal back to 40) and the
#        10.2 capex; capex complete in Jun, two months after the planned Apr: energization slips May -> Jul.
#   Jul-Dec: lease 10 MW x 1 a month = 10 a month to the JV, which pays interest 0.4 a month: JV cash 57.6.
#   (Before the limit was respected, interest was capitalised past it: principal 40 x 1.01^8 = 43.3.)


def _run(policy: str) -> fundcheck.Results:
    return fundcheck.run(load_text(JV.replace("POLICY", policy), "jv.yaml"))


def test_defer_gap_interest_and_cash_to_the_dollar() -> None:
    r = _run("defer")
    gap = r.gap()
    assert gap.loc["2025-03", "B"] == pytest.approx(20 * M, abs=1)
    assert gap.loc["2025-04", "B"] == pytest.approx(30 * M, abs=1)
    assert gap.loc["2025-05", "B"] == pytest.approx(10.6 * M, abs=1)
    assert gap.loc["2025-04", "JV"] == pytest.approx(10.2 * M, abs=1)
    assert gap.loc["2025-05", "JV"] == pytest.approx(10.6 * M, abs=1)
    assert gap.loc["2025-06", "JV"] == pytest.approx(0, abs=1)
    assert gap["A"].abs().max() < 1
    cash = r.cash()
    assert cash.loc["2025-12", "A"] == pytest.approx(50 * M, abs=1)
    assert cash.loc["2025-12", "B"] == pytest.approx((20 - 20 + 100 - 0.404 - 0.4 - 10.2) * M, abs=1)
    assert cash.loc["2025-12", "JV"] == pytest.approx((60 - 6 * 0.4) * M, abs=1)
    principal = r.get("loans.loan.principal_usd", path=0).values
    assert principal[r.months.index("2025-04")] == pytest.approx(40 * M, abs=1)
    assert principal[r.months.index("2025-05")] == pytest.approx(40.4 * M, abs=1)  # 0.4 overdue interest
    assert r.get("loans.loan.overdue_usd@2025-05", path=0) == pytest.approx(0.4 * M, abs=1)
    assert principal.max() <= 40.4 * M + 1 and principal[-1] == pytest.approx(40 * M, abs=1)
    assert r.first_shortfall()["B"] == "2025-03"
    assert r.first_shortfall()["JV"] == "2025-04"
    # every unpaid dollar once: B missed 20 + 10 new (the rest re-issued); the JV 10.2 capex + 0.4 interest
    unpaid = r.shortfalls()["unpaid_total_usd"]
    assert unpaid["B"] == pytest.approx(30 * M, abs=1) and unpaid["JV"] == pytest.approx(10.6 * M, abs=1)
    assert r.carried().loc["2025-05", "JV"] == pytest.approx(10.2 * M, abs=1)


def test_defer_slips_energization_by_the_months_capex_was_late() -> None:
    r = _run("defer")
    phase = r.phases().iloc[0]
    assert (phase.energized_planned, phase.energized, phase.delay_months) == ("2025-05", "2025-07", 2)
    online = r.it_mw_online()["Site"]
    assert online.loc["2025-06"] == 0 and online.loc["2025-07"] == 10
    assert r.totals()["gap_usd"] == pytest.approx(0, abs=1)  # all 120 funded by the end


def test_record_builds_on_time_and_keeps_the_gap() -> None:
    r = _run("record")
    phase = r.phases().iloc[0]
    assert (phase.energized, phase.delay_months) == ("2025-05", 0)
    gap = r.gap()
    assert gap.loc["2025-04", "JV"] == pytest.approx(10.2 * M, abs=1)
    assert gap.loc["2025-05", "JV"] == pytest.approx(0, abs=1)  # not carried under `record`
    assert r.totals()["gap_usd"] == pytest.approx(10.2 * M, abs=1)
    assert r.totals()["funded_usd"] == pytest.approx(109.8 * M, abs=1)
    # lease from May: 8 months x 10 MW x 1M, less interest in cash on the 40 at the limit: 8 x 0.4
    assert r.cash().loc["2025-12", "JV"] == pytest.approx((80 - 8 * 0.4) * M, abs=1)


TERM = """
program: term loan
horizon: {start: 2025-01, end: 2026-01}
entities:
  Borrower: {kind: company, cash: {value: 20M, source: "assumption: test"}}
  Bank: {kind: lender}
instruments:
  - {kind: term_loan, name: term, from: Bank, to: Borrower, limit: 120M, rate: 12%, draw: upfront,
     start: 2025-01, end: 2025-01, repay: {kind: amortizing, months: 12}, capitalise_interest: false,
     source: "assumption: test"}
"""


def test_term_loan_amortizes_with_cash_interest() -> None:
    # Drawn 120 in Jan. Feb..Jan: equal principal of 10, interest 1% of the opening balance in cash:
    # 1.2 + 1.1 + ... + 0.1 = 7.8. Cash: 20 + 120 - 120 - 7.8 = 12.2.
    r = fundcheck.run(load_text(TERM, "term.yaml"))
    flows = r.flows()
    interest = flows[flows.kind == "interest"].set_index("month").usd
    assert interest["2025-02"] == pytest.approx(1.2 * M, abs=1e-3)
    assert interest["2026-01"] == pytest.approx(0.1 * M, abs=1e-3)
    assert interest.sum() == pytest.approx(7.8 * M, abs=1e-3)
    assert flows[flows.kind == "principal"].usd.sum() == pytest.approx(120 * M, abs=1e-3)
    assert r.cash().loc["2026-01", "Borrower"] == pytest.approx(12.2 * M, abs=1e-3)
    assert r.get("loans.term.principal_usd", path=0).values[-1] == pytest.approx(0, abs=1e-3)
    assert r.checks.ok


LTC = """
program: loan to cost
horizon: {start: 2025-01, end: 2025-06}
entities:
  Sponsor: {kind: company, cash: {value: 30M, source: "assumption: test"}}
  SPV: {kind: spv, funding_priority: [equity, debt]}
  Bank: {kind: lender}
sites:
  Site:
    owner: SPV
    phases: [{name: p, it_mw: 1, start: 2025-01, months: 2, curve: linear, facility_capex: 100M, it_capex: 0,
              source: "assumption: test"}]
instruments:
  - {kind: equity, from: Sponsor, to: SPV, amount: 30M, source: "assumption: test"}
  - {kind: construction_loan, from: Bank, to: SPV, limit: 1B, rate: 0, max_ltc: 60%, source: "assumption: test"}
"""


def test_loan_to_cost_caps_debt_at_its_share_of_cost() -> None:
    # Jan: need 50; equity pays 30; debt D with D <= 0.6 * (30 + D) -> D <= 45, need only 20 -> 20.
    # Feb: need 50; equity 0 left; debt D with 20 + D <= 0.6 * (50 + D) -> D <= 25 -> gap 25 (deferred).
    # Mar: need 25; cost 75, debt 45: 45 + D <= 0.6 * (75 + D) -> D <= 0 -> gap 25 again.
    r = fundcheck.run(load_text(LTC, "ltc.yaml"))
    draws = r.flows()
    draws = draws[draws.kind == "loan draw"].set_index("month").usd
    assert draws["2025-01"] == pytest.approx(20 * M, abs=1e-3)
    assert draws["2025-02"] == pytest.approx(25 * M, abs=1e-3)
    assert "2025-03" not in draws.index
    assert r.gap().loc["2025-03", "SPV"] == pytest.approx(25 * M, abs=1e-3)
    principal = r.get("loans.construction loan Bank -> SPV.final_principal_usd", path=0)
    assert principal <= 0.6 * r.capex().sum().sum() + 1e-3
