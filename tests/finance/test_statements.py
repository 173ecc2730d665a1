"""The three statements, returns and debt cover: a small case worked by hand, depreciation and tax rules at
their edges, the balance sheet balancing on random scenarios against the engine's own cash and debt, returns
against numpy-financial, and bad accounting input."""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import HealthCheck, given, settings

import fundcheck
from fundcheck.errors import ScenarioError
from fundcheck.finance.performance import debt_cover, finance_json, returns
from fundcheck.finance.statements import MACRS, depreciation_schedule, statements, tax_by_year
from fundcheck.scenario import load_text
from tests.engine.test_invariants import scenarios

SRC = "source: 'assumption: test'"
HAND = f"""
program: hand
horizon: {{start: 2025-01, end: 2027-12}}
accounting:
  facility_life_years: {{value: 10, {SRC}}}
  tax_rate: {{value: 20%, {SRC}}}
  nol_limit: {{value: 80%, {SRC}}}
  discount_rate: {{value: 10%, {SRC}}}
entities:
  Dev:
    kind: company
    cash: {{value: 200M, {SRC}}}
    cash_flow: [{{start: 2025-01, end: 2025-12, usd_per_year: {{value: -50M, {SRC}}}}}]
  Tenant: {{kind: company, outside: true}}
sites:
  Site:
    owner: Dev
    phases:
      - {{name: hall, it_mw: {{value: 10, {SRC}}}, facility_capex: {{value: 120M, {SRC}}},
         it_capex: {{value: 0, {SRC}}}, start: 2025-01, months: 12, curve: linear, energization: 2026-01, {SRC}}}
contracts:
  - {{kind: lease, tenant: Tenant, landlord: Dev, site: Site, rate_per_mw_month: {{value: 1M, {SRC}}},
     term_years: 10}}
"""


@pytest.fixture(scope="module")
def hand() -> fundcheck.Results:
    return fundcheck.run(load_text(HAND, "hand.yaml"))


def test_hand_case_income_statement(hand) -> None:
    """Dev spends $10M a month on a hall in 2025 and $50M of own costs; from 2026-01 the hall earns $10M a
    month (10 MW at $1M per MW-month) and depreciates over 10 years ($1M a month).
    2025: pre-tax -50 (a loss carried forward). 2026: 120 - 12 = 108; losses may offset 80% of it (86.4), all
    50 are used; tax 20% x 58 = 11.6. 2027: 108, no losses left, tax 21.6. ($M)"""
    a = statements(hand).annual("Dev")["income"] / 1e6
    assert a.loc[2025, "operating costs"] == pytest.approx(50)
    assert a.loc[2025, "pre-tax income"] == pytest.approx(-50) and a.loc[2025, "tax"] == 0
    assert a.loc[2026, "revenue"] == pytest.approx(120) and a.loc[2026, "depreciation"] == pytest.approx(12)
    assert a.loc[2026, "tax"] == pytest.approx(11.6) and a.loc[2026, "net income"] == pytest.approx(96.4)
    assert a.loc[2027, "tax"] == pytest.approx(21.6) and a.loc[2027, "net income"] == pytest.approx(86.4)


def test_hand_case_balance_sheet(hand) -> None:
    """At 2027-12: cash 200 - 120 - 50 + 240 = 270; the hall 120 less 24 of depreciation; tax payable 11.6 +
    21.6 = 33.2 (accrued, not paid); equity 200 opening + retained -50 + 96.4 + 86.4 = 332.8; 366 = 33.2 + 332.8."""
    st = statements(hand)
    end = st.balance["Dev"].iloc[-1] / 1e6
    assert end["cash"] == pytest.approx(270) and end["total assets"] == pytest.approx(366)
    assert end["accumulated depreciation"] == pytest.approx(-24) and end["tax payable"] == pytest.approx(33.2)
    assert end["retained earnings"] == pytest.approx(132.8) and end["total equity"] == pytest.approx(332.8)
    # the hall is not in service before its energization: all of its cost waits in 2025
    assert st.annual("Dev")["balance"].loc[2025, "of which not in service"] == pytest.approx(120e6)
    assert st.balance_error_usd < 1e-3 and st.cash_error_usd < 1e-3


def test_hand_case_project_return_against_numpy_financial(hand) -> None:
    st = statements(hand)
    r = returns(st)["Dev"]["project"]
    months = np.arange(36)
    # flows by hand: -10M capex and -50/12 M own costs a month in 2025, +10M rent a month from 2026, and the
    # hall's book value (120 - 24 = 96M) in the last month
    flows = np.where(months < 12, -10e6 - 50e6 / 12, 10e6)
    flows[-1] += 96e6
    assert np.allclose(r.flows_usd, flows, rtol=0, atol=1e-3)
    monthly = npf.irr(flows)
    assert r.irr == pytest.approx((1 + monthly) ** 12 - 1, rel=1e-9)
    assert r.npv_usd == pytest.approx(float(np.sum(flows / 1.1 ** (months / 12))), rel=1e-12)
    assert r.moic == pytest.approx((24 * 10e6 + 96e6) / (12 * 10e6 + 50e6), rel=1e-12)
    assert r.terminal_value_usd == pytest.approx(96e6)


def test_straight_line_depreciation_waits_for_service_and_stops_at_the_horizon() -> None:
    spend = np.array([60.0, 60.0, 0.0, 0.0, 12.0, 0.0, 0.0, 0.0])
    dep = depreciation_schedule(spend, in_service=3, life_months=4)
    # 120 in service from month 3 at 30 a month; the 12 paid in month 4 adds 3 a month from month 4
    assert np.allclose(dep, [0, 0, 0, 30, 33, 33, 33, 3])
    assert np.allclose(depreciation_schedule(spend, in_service=99, life_months=4), 0)  # never in service


def test_macrs_five_year_by_hand() -> None:
    """$1,000 in service in July (month index 6 of a January start): recovery year 1 (20%) over July-December,
    then 32% over the next calendar year, and so on; over the whole table it recovers the cost exactly."""
    n = 12 * 8
    spend = np.zeros(n)
    spend[6] = 1000.0
    dep = depreciation_schedule(spend, in_service=6, macrs_years=5, first_month=1)
    assert np.allclose(dep[6:12], 200.0 / 6) and np.allclose(dep[12:24], 320.0 / 12)
    assert dep.sum() == pytest.approx(1000.0)
    assert sum(MACRS[5]) == pytest.approx(100.0) and sum(MACRS[15]) == pytest.approx(100.0)


def test_tax_with_losses_carried_forward_by_hand() -> None:
    years = np.repeat([2025, 2026, 2027], 2)
    pretax = np.array([-60.0, -40.0, 30.0, 20.0, 100.0, 100.0])
    tax, pool = tax_by_year(pretax, years, rate=0.25, nol_limit=0.8)
    # 2025: loss 100. 2026: income 50, 40 of losses used (80%): tax 25% x 10 = 2.5, 60 left. 2027: income 200,
    # all 60 used: tax 25% x 140 = 35.
    assert np.allclose(tax, [0, 0, 0, 2.5, 0, 35])
    assert np.allclose(pool, [100, 100, 60, 60, 0, 0])


def test_stargate_statements_tie_to_the_engine() -> None:
    r = fundcheck.run("stargate")
    st = statements(r)
    assert st.balance_error_usd < 1e-2 and st.cash_error_usd < 1e-2
    principal = r.dataset["loans.principal_usd"].values[0]
    jv = [r.plan.loans.index.index(n) for n in ("JV senior debt, first tranche", "JV senior debt, second tranche")]
    assert np.allclose(st.balance["Stargate JV"]["debt"].to_numpy(), principal[:, jv].sum(axis=1))
    # the JV is a pass-through (its scenario's tax_rates): no tax at the JV, whatever it earns
    assert (st.income["Stargate JV"]["tax"] == 0).all() and st.basis.rate_for("SoftBank") == 0.21
    data = finance_json(st)
    assert set(data["returns"]["SoftBank"]) >= {"irr", "npv_usd", "moic", "equity"}
    assert data["debt"]["JPM phase 1"]["size_usd"] == pytest.approx(2.3e9, rel=1e-3)
    assert data["accounting"]["sources"]["it_life_years"].startswith("F20")


def test_dscr_and_llcr_by_hand_for_the_abilene_jv() -> None:
    """The Abilene JV's DSCR in 2028, a year of repayment of both JPM loans (their windows end 2026-12): its
    EBITDA (the lease from Oracle; the JV has no costs and, a pass-through, no tax) over the interest, principal
    and fees that fell due on the two loans that year (paid, plus what became overdue), read from the ledger.
    The LLCR at 2027-01: monthly EBITDA to the horizon end at the loan's 7% a year over all the JV's debt."""
    r = fundcheck.run("stargate")
    d = debt_cover(statements(r))["JPM phase 1"]
    flows = r.flows()
    in_2028 = flows.month.str.startswith("2028")
    ebitda = flows[in_2028 & (flows.payee == "Abilene JV") & (flows.kind == "lease")].usd.sum()
    paid = flows[in_2028 & (flows.payer == "Abilene JV") & flows.kind.isin(["interest", "principal", "commitment fee"])
                 & flows.label.str.startswith("JPM")].usd.sum()
    overdue = r.dataset["loans.overdue_usd"].sel(loan=["JPM phase 1", "JPM phase 2"]).values[0].sum(axis=1)
    months = list(r.months)
    change = overdue[months.index("2028-12")] - overdue[months.index("2027-12")]
    assert d.years[0] == 2027 and d.dscr[d.years.index(2028)] == pytest.approx(ebitda / (paid + change), rel=1e-9)
    assert d.min_dscr == pytest.approx(np.nanmin(d.dscr)) and d.borrower == "Abilene JV"
    lease = flows[(flows.payee == "Abilene JV") & (flows.kind == "lease")].groupby("month").usd.sum()
    start = months.index("2027-01")
    monthly = np.array([lease.get(m, 0.0) for m in months[start:]])
    rate = float(r.plan.loans.value("rate_monthly", r.plan.loans.index.index("JPM phase 1")))
    pv = float((monthly / (1 + rate) ** np.arange(1, len(monthly) + 1)).sum())
    debt = r.dataset["loans.principal_usd"].sel(loan=["JPM phase 1", "JPM phase 2"]).values[0, start - 1].sum()
    assert d.llcr == pytest.approx(pv / debt, rel=1e-9)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_balance_sheet_balances_on_random_scenarios(text: str) -> None:
    """Every month, for every entity: assets = liabilities + equity, with cash and debt taken from the engine
    (not rebuilt from flows), and the cash-flow statement's change in cash equal to the engine's."""
    r = fundcheck.run(load_text(text, "generated.yaml"))
    st = statements(r)
    scale = 1e-9 * max(float(np.abs(r.array("flows_usd")).sum()), 1.0)
    assert st.balance_error_usd <= max(scale, 1e-3)
    assert st.cash_error_usd <= max(scale, 1e-3)
    for e in st.entities:
        b = st.balance[e]
        assert (b["accumulated depreciation"] <= 1e-6).all()
        gross = b["property, plant and equipment at cost"]
        assert (-b["accumulated depreciation"] <= gross + 1e-3).all()  # never more than the cost


@pytest.mark.parametrize("bad, message", [
    ("tax_rates: {Nobody: {value: 0.1, source: x}}", "Nobody"),
    ("it_life_years: {value: 0, source: x}", "one month (1/12) to 100 years"),
    ("tax_rate: {value: 1.5, source: x}", "tax_rate"),
])
def test_bad_accounting_is_a_located_error(bad: str, message: str) -> None:
    text = HAND.replace("accounting:\n", f"accounting:\n  {bad}\n")
    with pytest.raises(ScenarioError) as err:
        load_text(text, "hand.yaml")
    assert message in str(err.value) and "hand.yaml:" in str(err.value)


SHARES = f"""
program: shares
horizon: {{start: 2025-01, end: 2026-12}}
entities:
  A: {{kind: company, cash: {{value: 100M, {SRC}}}}}
  B: {{kind: company, cash: {{value: 100M, {SRC}}}}}
  Co:
    kind: company
    cash_flow: [{{start: 2025-06, end: 2026-12, usd_per_year: {{value: 12M, {SRC}}}}}]
instruments:
  - {{kind: equity, from: A, to: Co, amount: {{value: 10M, {SRC}}}, stake: {{value: 50%, {SRC}}}, call: upfront,
     start: 2025-01}}
  - {{kind: equity, from: B, to: Co, amount: {{value: 90M, {SRC}}}, call: upfront, start: 2025-01}}
"""


def test_partners_shares_never_add_to_more_than_the_whole() -> None:
    """A buys 50% for $10M; B pays $90M with no stake named: B gets the other 50%, not 90%. Co ends with its
    $100M paid in plus 19 months of $1M income less 21% tax ($3.99M): each is worth half of $115.01M."""
    st = statements(fundcheck.run(load_text(SHARES, "shares.yaml")))
    equity = float(st.balance["Co"]["total equity"].iloc[-1])
    assert equity == pytest.approx(100e6 + 19e6 * 0.79, rel=1e-9)
    got = returns(st)
    assert got["A"]["equity"].terminal_value_usd == pytest.approx(equity / 2, rel=1e-12)
    assert got["B"]["equity"].terminal_value_usd == pytest.approx(equity / 2, rel=1e-12)
    assert got["B"]["equity"].contributed_usd == pytest.approx(90e6)  # the last-month value is not netted


def test_unpaid_bills_are_costs_and_the_idle_plant_is_worth_nothing() -> None:
    r = fundcheck.run("stargate")
    st = statements(r)
    # OpenAI's missed compute payments are its costs and its debts, though it never paid them
    unpaid = r.gap_by_cause().loc["OpenAI", "contract"]
    assert st.income["OpenAI"]["unpaid bills accrued"].sum() == pytest.approx(unpaid, rel=1e-9)
    assert st.balance["OpenAI"]["unpaid bills"].iloc[-1] == pytest.approx(unpaid, rel=1e-9)
    assert st.balance["OpenAI"]["total equity"].iloc[-1] < 0
    # Abilene phase 2's buildings never energize: the JV's worth at the end is phase 1's net plant only
    end = st.balance["Abilene JV"].iloc[-1]
    in_service = end["property, plant and equipment at cost"] - end["of which not in service"]
    assert end["of which not in service"] > 11e9
    assert returns(st)["Abilene JV"]["project"].terminal_value_usd == pytest.approx(
        in_service + end["accumulated depreciation"], rel=1e-12)
    assert st.balance_error_usd < 1e-2


def test_statements_of_a_summary_run_are_a_clear_error() -> None:
    from fundcheck.errors import UsageError

    with pytest.raises(UsageError, match="record='full'"):
        statements(fundcheck.run("abilene", record="summary"))
