"""Regression tests for the money bugs an audit found in the first engine, each with its numbers by hand.

Amounts in the YAML are USD millions ('40M'); comparisons are in dollars.
"""

from __future__ import annotations

import json

import numpy as np
import numpy_financial as npf
import pytest

import fundcheck
from fundcheck.governance.control import stake_path
from fundcheck.scenario import load_text

M = 1e6
SRC = 'source: "assumption: test"'


def run(text: str) -> fundcheck.Results:
    return fundcheck.run(load_text(text, "test.yaml"))


# --- 1. capitalised interest and fees stay within the facility's limit ------------------------------------

FULL_LOAN = f"""
program: full loan
horizon: {{start: 2025-01, end: 2025-12}}
entities:
  JV: {{kind: spv, cash: {{value: 200M, {SRC}}}, funding_priority: [debt, cash]}}
  Bank: {{kind: lender}}
sites:
  S:
    owner: JV
    phases: [{{name: p, it_mw: 1, start: 2025-01, months: 1, facility_capex: 1B, it_capex: 0, {SRC}}}]
instruments:
  - {{kind: construction_loan, name: loan, from: Bank, to: JV, limit: 1B, rate: 12%, {SRC}}}
"""


def test_a_fully_drawn_construction_loan_stays_at_its_limit() -> None:
    # Jan: capex 1,000 drawn in full (debt first). Feb..Dec: interest 1% of 1,000 = 10 a month. The window is
    # open and interest is to be capitalised, but there is no headroom: all 10 is due in cash, paid from the
    # JV's 200. The old engine capitalised it past the limit: 1,000 x 1.01^11 = 1,115.7 ("$1.116B").
    r = run(FULL_LOAN)
    principal = r.get("loans.loan.principal_usd", path=0).values
    np.testing.assert_allclose(principal, 1000 * M, atol=1e-3)
    assert r.get("loans.loan.capitalised_total_usd", path=0) == pytest.approx(0, abs=1e-3)
    assert r.get("loans.loan.interest_paid_usd", path=0) == pytest.approx(11 * 10 * M, abs=1e-3)
    assert r.cash().loc["2025-12", "JV"] == pytest.approx((200 - 110) * M, abs=1e-3)
    assert r.checks.ok


def test_capitalised_interest_fills_the_headroom_then_falls_due_in_cash() -> None:
    # Drawn 950 in Jan; interest 1% a month capitalised while there is room under 1,000:
    # Feb 959.5, Mar 969.095, Apr 978.78595, May 988.5738095, Jun 998.459547595; Jul interest 9.98459547595
    # of which only 1.540452405 fits: principal 1,000, and 8.444143071 is due in cash; Aug..Dec 10 in cash.
    r = run(FULL_LOAN.replace("facility_capex: 1B", "facility_capex: 950M"))
    principal = r.get("loans.loan.principal_usd", path=0).values
    expected = [950, 959.5, 969.095, 978.78595, 988.5738095, 998.459547595] + [1000] * 6
    np.testing.assert_allclose(principal, np.array(expected) * M, atol=1e-3)
    assert r.get("loans.loan.interest_paid_usd", path=0) == pytest.approx((8.444143071 + 5 * 10) * M, abs=1)
    assert r.get("loans.loan.max_principal_usd", path=0) == pytest.approx(1000 * M, abs=1e-3)


def test_upfront_fee_is_capitalised_within_the_limit() -> None:
    # A bond of 1,000 with a 2% fee: the fee (20) is capitalised in its first month, so the bond pays in
    # only 980 in cash; principal 1,000 from the start, interest at 12% in cash from February.
    text = FULL_LOAN.replace("limit: 1B, rate: 12%,", "limit: 1B, rate: 12%, upfront_fee: 2%, draw: upfront,")
    text = text.replace("facility_capex: 1B", "facility_capex: 0")
    r = run(text)
    assert r.get("loans.loan.drawn_usd", path=0) == pytest.approx(980 * M, abs=1e-3)
    assert r.get("loans.loan.capitalised_total_usd", path=0) == pytest.approx(20 * M, abs=1e-3)
    assert r.get("loans.loan.max_principal_usd", path=0) == pytest.approx(1000 * M, abs=1e-3)


def test_abilene_loans_respect_their_limits_and_the_build_falls_short() -> None:
    r = fundcheck.run("abilene")
    for name, limit in (("JPM phase 1", 2.3e9), ("JPM phase 2", 7.1e9)):
        drawn = r.get(f"loans.{name}.drawn_usd", path=0)
        capitalised = r.get(f"loans.{name}.capitalised_total_usd", path=0)
        assert drawn + capitalised <= limit + 1
    # with the limits respected the JV cannot finish phase 2 (the old engine reported no gap)
    assert r.totals()["gap_usd"] == pytest.approx(33.2e9, rel=0.01)


# --- 2. a missed instalment stays overdue; it is not re-spread -----------------------------------------------

TERM = f"""
program: missed instalment
horizon: {{start: 2025-01, end: 2026-01}}
entities:
  Borrower:
    kind: company
    {SRC}
    cash_flow:
      - {{start: 2025-01, end: 2025-01, usd: -120M}}
      - {{start: 2025-02, end: 2025-02, usd: 10M}}
      - {{start: 2025-04, end: 2025-04, usd: 20M}}
      - {{start: 2025-05, end: 2026-01, usd: 90M}}
  Bank: {{kind: lender}}
instruments:
  - {{kind: term_loan, name: term, from: Bank, to: Borrower, limit: 120M, rate: 0, draw: upfront, start: 2025-01,
     end: 2025-01, repay: {{kind: REPAY, months: 12}}, {SRC}}}
"""


def test_a_missed_instalment_stays_overdue() -> None:
    # 120 drawn in January and spent. Equal principal of 10 from February to next January, no interest.
    # Feb: 10 due, 10 received: paid. Mar: 10 due, nothing received: 10 overdue (gap 10).
    # Apr: 10 overdue + 10 scheduled = 20 due, 20 received: paid. May..Jan: 10 due and 10 received each month.
    # The old engine re-spread the missed 10 over the 10 months left (11 a month), hiding April's 20.
    r = run(TERM.replace("REPAY", "amortizing"))
    flows = r.flows()
    principal = flows[flows.kind == "principal"].set_index("month").usd
    assert principal["2025-02"] == pytest.approx(10 * M)
    assert "2025-03" not in principal.index
    assert principal["2025-04"] == pytest.approx(20 * M)
    assert principal["2025-05"] == pytest.approx(10 * M) and principal["2026-01"] == pytest.approx(10 * M)
    gap = r.gap()["Borrower"]
    assert gap["2025-03"] == pytest.approx(10 * M) and gap.drop(pd_period("2025-03")).abs().max() < 1e-6
    assert r.get("loans.term.overdue_usd@2025-03", path=0) == pytest.approx(10 * M)
    assert r.get("loans.term.overdue_usd@2025-04", path=0) == pytest.approx(0)
    assert r.carried().loc["2025-04", "Borrower"] == pytest.approx(10 * M)
    assert r.get("loans.term.final_principal_usd", path=0) == pytest.approx(0, abs=1e-6)


def pd_period(month: str) -> object:
    import pandas as pd

    return pd.Period(month, "M")


LEVEL = f"""
program: level payment
horizon: {{start: 2025-01, end: 2026-01}}
entities:
  Borrower: {{kind: company, cash: {{value: 200M, {SRC}}}, cash_flow: [{{start: 2025-01, end: 2025-01, usd: -120M,
             {SRC}}}]}}
  Bank: {{kind: lender}}
instruments:
  - {{kind: term_loan, name: term, from: Bank, to: Borrower, limit: 120M, rate: 12%, draw: upfront,
     start: 2025-01, end: 2025-01, capitalise_interest: false, repay: {{kind: level_payment, months: 12}}, {SRC}}}
"""


def test_level_payment_matches_numpy_financial() -> None:
    r = run(LEVEL)
    flows = r.flows()
    principal = flows[flows.kind == "principal"].usd.to_numpy()
    interest = flows[flows.kind == "interest"].usd.to_numpy()
    per = np.arange(1, 13)
    np.testing.assert_allclose(principal, -npf.ppmt(0.01, per, 12, 120 * M), atol=1e-3)
    np.testing.assert_allclose(interest, -npf.ipmt(0.01, per, 12, 120 * M), atol=1e-3)
    np.testing.assert_allclose(principal + interest, -npf.pmt(0.01, 12, 120 * M), atol=1e-3)  # level
    assert r.get("loans.term.final_principal_usd", path=0) == pytest.approx(0, abs=1e-3)


# --- 3. punitive dilution counts a re-issued call once -----------------------------------------------------

LATE = f"""
program: late payer
horizon: {{start: 2025-01, end: 2026-06}}
entities:
  A: {{kind: company, cash: {{value: 100M, {SRC}}}}}
  B: {{kind: company, cash_flow: [{{start: 2026-02, end: 2026-02, usd: 100M}}], {SRC}}}
  JV: {{kind: spv, funding_priority: [equity]}}
sites:
  S:
    owner: JV
    phases: [{{name: p, it_mw: 1, start: 2025-01, months: 1, facility_capex: 200M, it_capex: 0, {SRC}}}]
instruments:
  - {{kind: equity, from: A, to: JV, amount: 100M, stake: 50%, {SRC}}}
  - {{kind: equity, from: B, to: JV, amount: 100M, stake: 50%, {SRC}}}
governance:
  JV:
    dilution: punitive
    bodies: [{{name: owners, weights: stake, quota: majority}}]
    matters: [{{name: ordinary, bodies: [owners]}}]
"""


def test_punitive_dilution_counts_a_reissued_call_once() -> None:
    # Jan 2025: the JV calls 100/100; A pays, B has nothing. The deferred 100 is called from B again every
    # month until February 2026, when B receives 100 and pays it. B missed 100 once, outstanding for 13
    # months, then cured. Under punitive dilution (factor 2) B is credited max(0 - 100, 0) = 0 while the call
    # is outstanding and its full 100 once paid: 50/50 again. The old engine added the re-issued call 14
    # times (1,400 "missed") and left B at 0% for good.
    r = run(LATE)
    called = r.get("equity.equity B -> JV.called_usd", path=0).values
    assert called.sum() == pytest.approx(100 * M)  # one call, re-issued, counted once
    missed = r.get("equity.equity B -> JV.missed_usd", path=0)
    assert missed.sel(month="2025-06").item() == pytest.approx(100 * M) and missed.values[-1] == 0
    stakes = stake_path(r, "JV", r.plan.governance["JV"])
    assert stakes.loc["2025-06", "B"] == pytest.approx(0.0) and stakes.loc["2025-06", "A"] == pytest.approx(1.0)
    assert stakes.loc["2026-02", "B"] == pytest.approx(0.5) and stakes.iloc[-1]["B"] == pytest.approx(0.5)


# --- 4. a phase not energized by the end is null, and the JSON strict ---------------------------------------

def test_a_phase_never_energized_is_null_in_strict_json() -> None:
    r = run(FULL_LOAN.replace("facility_capex: 1B", "facility_capex: 5B"))  # 1B of debt, 200M cash: never built
    data = r.to_json()
    text = json.dumps(data, allow_nan=False)  # raises on NaN or Infinity
    phase = json.loads(text)["sites"]["S"]["phases"][0]
    assert phase["energized"] is None and phase["delay_months"] is None
    assert r.phases().iloc[0].energized is None


# --- 8. sources and uses count an unpaid dollar once -------------------------------------------------------

def test_sources_and_uses_count_a_deferred_dollar_once() -> None:
    # 1,200 of capex over two months (600 each) funded by a sponsor whose cash arrives late. Each month's
    # unfunded capex is carried and re-presented until paid, so the monthly gaps add up to far more than was
    # ever unpaid. Jan: 600 due, 0 paid (600 new). Feb: 600 carried + 600 new, 0 paid. Mar: 1,200 carried, paid.
    # Unpaid, each dollar once: 1,200 (the old engine summed the gaps: 600 + 1,200 = 1,800).
    text = f"""
program: late sponsor
horizon: {{start: 2025-01, end: 2025-06}}
entities:
  Sponsor: {{kind: company, cash_flow: [{{start: 2025-03, end: 2025-03, usd: 1.2B}}], {SRC}}}
sites:
  S:
    owner: Sponsor
    phases: [{{name: p, it_mw: 10, start: 2025-01, months: 2, curve: linear, facility_capex: 1.2B, it_capex: 0,
               {SRC}}}]
"""
    r = run(text)
    su = r.sources_and_uses()
    assert su[(su.entity == "Sponsor") & (su.side == "gap")].usd.sum() == pytest.approx(1200 * M)
    assert r.gap()["Sponsor"].sum() == pytest.approx(1800 * M)  # the monthly gaps, which must not be added
    assert r.totals()["gap_usd"] == pytest.approx(0)  # all of it was funded by the end
    assert r.gap_by_cause().loc["Sponsor", "capex"] == pytest.approx(1200 * M)


# --- 9. two unnamed loans keep their own lines --------------------------------------------------------------

def test_two_unnamed_loans_keep_separate_lines() -> None:
    text = f"""
program: two loans
horizon: {{start: 2025-01, end: 2025-06}}
entities:
  JV: {{kind: spv, funding_priority: [debt]}}
  Bank: {{kind: lender}}
sites:
  S:
    owner: JV
    phases: [{{name: p, it_mw: 1, start: 2025-01, months: 1, facility_capex: 150M, it_capex: 0, {SRC}}}]
instruments:
  - {{kind: construction_loan, from: Bank, to: JV, limit: 100M, rate: 0, {SRC}}}
  - {{kind: construction_loan, from: Bank, to: JV, limit: 100M, rate: 0, {SRC}}}
"""
    r = run(text)
    first, second = "construction loan Bank -> JV", "construction loan Bank -> JV #2"
    assert r.get(f"loans.{first}.drawn_usd", path=0) == pytest.approx(100 * M)
    assert r.get(f"loans.{second}.drawn_usd", path=0) == pytest.approx(50 * M)
    assert r.checks.ok and r.checks.loan_corkscrew_max_abs_usd == 0


# --- 11. tolerances scale with the money moved ---------------------------------------------------------------

def test_a_thousand_sites_conserve_money_within_a_relative_tolerance() -> None:
    sites = "\n".join(
        f"  S{i}: {{owner: Builder, phases: [{{name: p, it_mw: {10 + i % 7}, start: 2025-{1 + i % 12:02d}, "
        f"months: {6 + i % 18}, facility_capex: {0.37 + (i % 13) / 7:.6f}B, it_capex: {1.1 + (i % 5) / 3:.6f}B}}]}}"
        for i in range(1000))
    text = f"""
program: a thousand sites
horizon: {{start: 2025-01, end: 2030-12}}
entities:
  Builder: {{kind: company, cash: {{value: 2T, {SRC}}}, funding_priority: [cash, debt]}}
  Bank: {{kind: lender}}
sites:
{sites}
instruments:
  - {{kind: term_loan, name: loan, from: Bank, to: Builder, limit: 1T, rate: 7.3%, {SRC}}}
"""
    scenario = load_text(text.replace("sites:\n", "sites:\n", 1).replace("}]}", f"}}], {SRC}}}"), "big.yaml")
    r = fundcheck.run(scenario)
    c = r.checks
    moved = float(r.outcome.field("moved_usd").max())
    largest = float(r.outcome.field("largest_balance_usd").max())
    assert moved > 1e12 and c.tolerance_usd == pytest.approx(1e-12 * (moved + largest))
    assert c.ok, c  # within 1e-12 of the money moved (the old fixed $1 failed at this scale on rounding alone)


def test_a_large_balance_with_small_flows_is_within_tolerance() -> None:
    # $300B of cash and a small cost: rounding on the balance (~6e-5 a step) is far above 1e-12 of the money
    # moved (2.5M), so the tolerance also scales with the largest balance (an audit found checks.ok False).
    r = run(f"""
program: rich
horizon: {{start: 2025-01, end: 2026-12}}
entities:
  Rich: {{kind: company, cash: 300B, cash_flow: [{{start: 2025-01, end: 2026-12, usd_per_year: -1.2345678M}}], {SRC}}}
""")
    assert r.checks.ok, r.checks
    assert r.checks.tolerance_usd == pytest.approx(1e-12 * (300e9 + 2 * 1.2345678e6), rel=1e-6)


# --- found by an independent audit of the rewritten engine ----------------------------------------------------

def test_a_lender_missing_a_redrawn_request_is_counted_once() -> None:
    # Parent pays its 40M call into the JV from 10M of cash and a 20M loan from L2, a modelled lender with 15M.
    # Jan: L2 funds 15 of the 20 (5 missed); the JV defers its 15 shortfall and calls Parent again each month;
    # Parent asks L2 for the remaining 5 again and L2 misses the same 5 every time. Unpaid by L2, once: 5.
    r = run(f"""
program: nested lender
horizon: {{start: 2025-01, end: 2025-05}}
entities:
  Parent: {{kind: company, cash: 10M, funding_priority: [cash, debt], {SRC}}}
  L2: {{kind: company, cash: 15M, {SRC}}}
  JV: {{kind: spv, funding_priority: [equity]}}
sites:
  S: {{owner: JV, phases: [{{name: p, it_mw: 1, start: 2025-01, months: 1, facility_capex: 40M, it_capex: 0, {SRC}}}]}}
instruments:
  - {{kind: equity, from: Parent, to: JV, amount: 40M, {SRC}}}
  - {{kind: term_loan, name: PL, from: L2, to: Parent, limit: 20M, rate: 0, {SRC}}}
""")
    unpaid = r.shortfalls()["unpaid_total_usd"]
    assert unpaid["L2"] == pytest.approx(5 * M)
    assert r.gap_by_cause().loc["L2", "loan funding"] == pytest.approx(5 * M)
    assert r.gap().loc["2025-03", "L2"] == pytest.approx(5 * M)  # still short every month: the same 5
    assert r.carried().loc["2025-03", "L2"] == pytest.approx(5 * M)


def test_an_overdue_instalment_is_unpaid_once_not_every_month() -> None:
    # 120M term loan, equal principal of 10 a month from February, income exactly 10 a month except April (0).
    # April's 10 stays overdue to the end: each month pays 10 of the 20 due. Unpaid, once: 10 (not 100).
    text = TERM.replace("""      - {start: 2025-02, end: 2025-02, usd: 10M}
      - {start: 2025-04, end: 2025-04, usd: 20M}
      - {start: 2025-05, end: 2026-01, usd: 90M}""", """      - {start: 2025-02, end: 2025-03, usd: 20M}
      - {start: 2025-05, end: 2026-01, usd: 90M}""").replace("REPAY", "amortizing")
    r = run(text)
    assert r.get("loans.term.final_overdue_usd", path=0) == pytest.approx(10 * M)
    assert r.gap().loc["2025-12", "Borrower"] == pytest.approx(10 * M)
    assert r.shortfalls()["unpaid_total_usd"]["Borrower"] == pytest.approx(10 * M)


def test_a_phase_finished_in_the_last_month_has_no_delay_figure() -> None:
    # planned to energize in April (the last month); its capex is paid in April, so it energizes in May:
    # past the horizon, so no energization and no delay, in phases(), the JSON and the named quantity alike
    r = run(f"""
program: last month
horizon: {{start: 2025-01, end: 2025-04}}
entities:
  SPV: {{kind: spv, cash_flow: [{{start: 2025-01, end: 2025-01, usd: 10M}},
                               {{start: 2025-03, end: 2025-04, usd: 20M}}], {SRC}}}
sites:
  S: {{owner: SPV, phases: [{{name: p, it_mw: 1, start: 2025-01, months: 3, curve: linear, facility_capex: 30M,
         it_capex: 0, {SRC}}}]}}
""")
    phase = r.phases().iloc[0]
    assert phase.energized is None and pd_isna(phase.delay_months)
    assert r.to_json()["sites"]["S"]["phases"][0]["delay_months"] is None
    assert np.isnan(r.get("phases.S: p.delay_months", path=0))


def pd_isna(x: object) -> bool:
    import pandas as pd

    return bool(pd.isna(x))


def test_capitalised_interest_respects_loan_to_cost() -> None:
    # 100M of capex in January: 40M equity, then D <= 0.6 (40 + D): D = 60M, 60% of cost. From February the
    # interest (1% a month) cannot be capitalised without passing 60%: 60 + c <= 0.6 (100 + c) gives c <= 0,
    # so it is due in cash. The SPV has none (the sponsor's equity is spent), so February's 0.6M is arrears.
    r = run(f"""
program: ltc
horizon: {{start: 2025-01, end: 2025-12}}
entities:
  Sponsor: {{kind: company, cash: 40M, {SRC}}}
  SPV: {{kind: spv, funding_priority: [equity, debt]}}
  Bank: {{kind: lender}}
sites:
  S: {{owner: SPV, phases: [{{name: p, it_mw: 1, start: 2025-01, months: 1, facility_capex: 100M,
         it_capex: 0, {SRC}}}]}}
instruments:
  - {{kind: equity, from: Sponsor, to: SPV, amount: 40M, {SRC}}}
  - {{kind: construction_loan, name: loan, from: Bank, to: SPV, limit: 1B, rate: 12%, max_ltc: 60%, end: 2025-12,
     {SRC}}}
""")
    assert r.get("loans.loan.drawn_usd", path=0) == pytest.approx(60 * M)
    assert r.get("loans.loan.capitalised_total_usd", path=0) == pytest.approx(0, abs=1e-3)
    assert r.get("loans.loan.arrears_usd@2025-02", path=0) == pytest.approx(0.6 * M)  # unpaid, not capitalised


def test_an_unpaid_commitment_fee_is_owed_not_forgiven() -> None:
    # 100M undrawn at a 1.2% commitment fee: 0.1M a month. The SPV has 0.05M: it pays half of January's fee;
    # the other 0.05M is arrears, due again in February with February's own 0.1M.
    r = run(f"""
program: fee
horizon: {{start: 2025-01, end: 2025-03}}
entities:
  SPV: {{kind: spv, cash: 0.05M, funding_priority: [cash], {SRC}}}
  Bank: {{kind: lender}}
instruments:
  - {{kind: construction_loan, name: loan, from: Bank, to: SPV, limit: 100M, rate: 0, commitment_fee: 1.2%, {SRC}}}
""")
    assert r.get("loans.loan.arrears_usd@2025-01", path=0) == pytest.approx(0.05 * M)
    assert r.get("loans.loan.overdue_usd@2025-01", path=0) == pytest.approx(0.05 * M)
    assert r.need().loc["2025-02", "SPV"] > 0.1 * M  # the fee again, plus January's arrears as principal due


# --- an investor that cannot pay is never called for more than it committed ---------------------------------

# The JV owes C a bill of 12B (a month long), then phase two's 12B: two obligations in January 2025
BILL_AND_PHASE = f"""sites:
  S2:
    owner: JV
    phases: [{{name: two, it_mw: 1, start: 2025-01, months: 1, facility_capex: 12B, it_capex: 0, {SRC}}}]
contracts:
  - {{kind: offtake, name: one, buyer: JV, seller: C, usd_per_year: 144B, start: 2025-01, term_years: 0.0834,
     {SRC}}}
"""

TWO_PHASES = f"""
program: a bill and a phase, one short investor
horizon: {{start: 2025-01, end: 2025-03}}
entities:
  A: {{kind: company}}
  B: {{kind: company, cash: {{value: 100B, {SRC}}}}}
  C: {{kind: company}}
  JV: {{kind: spv, funding_priority: [equity]}}
{BILL_AND_PHASE}instruments:
  - {{kind: equity, from: A, to: JV, amount: 10B, {SRC}}}
  - {{kind: equity, from: B, to: JV, amount: 10B, {SRC}}}
"""


def test_a_short_investor_is_not_called_past_its_commitment_within_a_month() -> None:
    # Found while rewriting the kernel: calls went pro rata to commitment less paid, so an investor that paid
    # nothing could be called again by every obligation of the month. In `stargate` then SoftBank, $2.4B paid of
    # $19B, had $22.5B of calls outstanding and OpenAI was called $37k past its commitment.
    # By hand, January 2025, A has no money and B has plenty; the JV pays a bill of 12 ("one", a month long),
    # then phase two's 12: two obligations. What can still be called on each commitment is its commitment
    # less what it paid less what it was called and did not pay:
    #   the bill needs 12: callable A 10, B 10 -> calls 6 and 6; B pays 6, A misses 6.
    #   phase two needs 12: callable A 10 - 0 - 6 = 4, B 10 - 6 = 4 -> calls 4 and 4; B pays 4, A misses 4.
    # A was called 10 (its whole commitment), not 6 + 12 x 10 / 14 = 14.57 as before; B paid 10, not 9.43.
    # The JV got 10 of its 24: the bill 6 short (lost), phase two 8 short (14 unpaid, not 14.57).
    r = run(TWO_PHASES)
    called_a = r.get("equity.equity A -> JV.called_usd", path=0).values
    paid_b = r.get("equity.equity B -> JV.paid_usd", path=0).values
    missed_a = r.get("equity.equity A -> JV.missed_usd", path=0).values
    assert called_a[0] == pytest.approx(10e9) and called_a.sum() == pytest.approx(10e9)
    assert paid_b[0] == pytest.approx(10e9)
    assert missed_a.max() == pytest.approx(10e9)
    gap = r.get("entities.JV.new_gap_usd", path=0).values
    assert gap[0] == pytest.approx(14e9) and gap[1:].sum() == pytest.approx(0.0)
    assert r.get("sites.S2.capex_usd@2025-01", path=0) == pytest.approx(4e9)
    # February: phase two's 8 is deferred and due again; A is asked its 10 again (a re-issued call, counted
    # once) and B, which has paid all it committed, nothing
    assert called_a[1] == pytest.approx(0.0) and called_a.sum() == pytest.approx(10e9)


def test_a_short_lender_is_not_asked_past_the_limit_within_a_month() -> None:
    # The same over-asking, for loans: L lends to the JV (limit 10B) and has 4B. January, a bill of 12B then a
    # phase of 12B:
    #   the bill: the JV draws 10 (the whole limit); L funds 4, leaves 6 unfunded.
    #   the phase: room = limit 10 - principal 4 - unfunded 6 = 0: L is not asked again (before: 6 more).
    # February: the 6 unfunded are asked again once (re-issued) and L, with nothing, funds none of it.
    r = run(f"""
program: short lender
horizon: {{start: 2025-01, end: 2025-03}}
entities:
  L: {{kind: company, cash: 4B, {SRC}}}
  C: {{kind: company}}
  JV: {{kind: spv, funding_priority: [debt]}}
{BILL_AND_PHASE}instruments:
  - {{kind: term_loan, name: TL, from: L, to: JV, limit: 10B, rate: 0, {SRC}}}
""")
    assert r.get("loans.TL.principal_usd@2025-03", path=0) == pytest.approx(4e9)
    unpaid = r.shortfalls()["unpaid_total_usd"]
    assert unpaid["L"] == pytest.approx(6e9)  # asked for 10, funded 4: 6 unfunded, once (before: 12)
    assert unpaid["JV"] == pytest.approx(20e9)  # 24 needed in January, 4 received; the bill's 8 is lost
    assert r.gap().loc["2025-01", "L"] == pytest.approx(6e9)


# --- a payer's consecutive dues are funded together -----------------------------------------------------------

ONE_CALL = f"""
program: one call a month
horizon: {{start: 2025-01, end: 2025-02}}
entities:
  A: {{kind: company}}
  B: {{kind: company, cash: {{value: 100B, {SRC}}}}}
  JV: {{kind: spv, funding_priority: [equity]}}
sites:
  S1:
    owner: JV
    phases: [{{name: one, it_mw: 1, start: 2025-01, months: 1, facility_capex: 12B, it_capex: 0, {SRC}}}]
  S2:
    owner: JV
    phases: [{{name: two, it_mw: 1, start: 2025-01, months: 1, facility_capex: 12B, it_capex: 0, {SRC}}}]
instruments:
  - {{kind: equity, from: A, to: JV, amount: 10B, {SRC}}}
  - {{kind: equity, from: B, to: JV, amount: 10B, {SRC}}}
"""


@pytest.mark.parametrize("rule", ["file_order", "pro_rata"])
def test_an_owner_calls_once_a_month_for_all_its_phases(rule: str) -> None:
    # By hand, January: the JV's two phases (12 + 12) are one obligation, so one call of 24, pro rata to what
    # each commitment can still be called for (10 and 10), capped there: A is called 10 and misses it, B pays
    # 10. The JV found 10 of 24; 14 unpaid.
    #   file_order: phase one 10 (2 short), phase two 0 (12 short);
    #   pro_rata: each phase 10 x 12/24 = 5 (7 short each).
    # (Per phase, as before: phase one 6, phase two 4, as in the test above.)
    r = run(ONE_CALL.replace("horizon:", f"capex_shortfall: {rule}\nhorizon:"))
    assert r.plan.capex_shortfall == rule
    assert r.get("equity.equity A -> JV.called_usd@2025-01", path=0) == pytest.approx(10e9)
    assert r.get("equity.equity B -> JV.paid_usd@2025-01", path=0) == pytest.approx(10e9)
    one, two = (r.get(f"sites.{s}.capex_usd@2025-01", path=0) for s in ("S1", "S2"))
    assert (one, two) == (pytest.approx(10e9), pytest.approx(0.0)) if rule == "file_order" else \
        (pytest.approx(5e9), pytest.approx(5e9))
    assert r.get("entities.JV.new_gap_usd@2025-01", path=0) == pytest.approx(14e9)
    # February: the 14 deferred are due again (carried, not new); A is asked its 10 again and pays nothing
    assert r.get("entities.JV.carried_usd@2025-02", path=0) == pytest.approx(14e9)
    assert r.get("entities.JV.new_gap_usd@2025-02", path=0) == pytest.approx(0.0)
    assert r.to_json()["capex_shortfall"] == rule


def test_a_borrowers_debt_service_is_paid_loan_by_loan_from_one_funding() -> None:
    # Two bonds of 100M at 12% (1% a month), drawn in January and spent the same month (own costs 200M). In
    # February the borrower has 1.5M and owes 1M interest on each: one obligation of 2M, paid in file order:
    # bond one's interest 1M in full, bond two's 0.5M, and its other 0.5M is arrears (on its balance and
    # overdue). The borrower's gap is 0.5M, all debt service and all new; bond one owes nothing overdue.
    r = run(f"""
program: two bonds
horizon: {{start: 2025-01, end: 2025-03}}
entities:
  Borrower:
    kind: company
    cash: {{value: 1.5M, {SRC}}}
    cash_flow: [{{start: 2025-01, end: 2025-01, usd: {{value: -200M, {SRC}}}}}]
  Bank: {{kind: lender}}
instruments:
  - {{kind: bond, name: one, from: Bank, to: Borrower, limit: 100M, rate: 12%, start: 2025-01, draw: upfront,
     repay: {{kind: bullet, months: 12}}, {SRC}}}
  - {{kind: bond, name: two, from: Bank, to: Borrower, limit: 100M, rate: 12%, start: 2025-01, draw: upfront,
     repay: {{kind: bullet, months: 12}}, {SRC}}}
""")
    assert r.get("loans.one.overdue_usd@2025-02", path=0) == pytest.approx(0.0)
    assert r.get("loans.two.arrears_usd@2025-02", path=0) == pytest.approx(0.5 * M)
    assert r.get("loans.two.overdue_usd@2025-02", path=0) == pytest.approx(0.5 * M)
    assert r.get("loans.two.principal_usd@2025-02", path=0) == pytest.approx(100.5 * M)
    assert r.gap().loc["2025-02", "Borrower"] == pytest.approx(0.5 * M)
    assert r.get("entities.Borrower.new_gap_usd@2025-02", path=0) == pytest.approx(0.5 * M)
    assert r.get("entities.Borrower.cash_usd@2025-02", path=0) == pytest.approx(0.0, abs=1e-6)
    # March: nothing to pay with; bond one's 1M, bond two's 1.005M (on 100.5M) and its 0.5M overdue unpaid
    assert r.get("loans.one.interest_paid_usd", path=0) == pytest.approx(1.0 * M)
    assert r.get("loans.two.interest_paid_usd", path=0) == pytest.approx(0.5 * M)


@pytest.mark.parametrize("rule", ["file_order", "pro_rata"])
def test_an_owners_phases_are_one_obligation_whoever_owns_the_it_between_them(rule: str) -> None:
    # Found by the audit of the change above: capex items alternate facility, IT, facility, IT, so with another
    # IT owner (B) the facility owner's phases were split into runs and pro_rata acted as file order. By hand:
    # A has 10M and owes 10M on each phase's facility in January: pro_rata 5 and 5; file_order 10 and 0.
    r = run(f"""
program: pro rata across an IT owner
capex_shortfall: {rule}
horizon: {{start: 2025-01, end: 2025-02}}
entities:
  A: {{kind: company, cash: {{value: 10M, {SRC}}}, funding_priority: [cash]}}
  B: {{kind: company, cash: {{value: 100M, {SRC}}}}}
sites:
  S1:
    owner: A
    it_owner: B
    phases:
      - {{name: p0, it_mw: 1, start: 2025-01, months: 1, facility_capex: 10M, it_capex: 4M, {SRC}}}
      - {{name: p1, it_mw: 1, start: 2025-01, months: 1, facility_capex: 10M, it_capex: 4M, {SRC}}}
""")
    p0, p1 = (r.get(f"phases.S1: {p}.capex_funded_usd@2025-01", path=0) for p in ("p0", "p1"))
    expected = (5 * M, 5 * M) if rule == "pro_rata" else (10 * M, 0.0)
    assert (p0, p1) == (pytest.approx(expected[0]), pytest.approx(expected[1]))
    assert r.gap().loc["2025-01", "A"] == pytest.approx(10 * M)


def test_a_repayment_frees_loan_to_cost_room_for_the_next_draw_in_the_month() -> None:
    # Found by the audit: a borrower refinancing two loans with a loan under a loan-to-cost cap had both
    # repayments funded by one draw capped by the room before either repayment. By hand: capex 600 paid in
    # January (cash 400, T0 100, T1 100); March, both bullets (100 each) fall due. R's cap: 50% x 600 - debt
    # 200 = 100 of room. Draw 100 on R, repay T0 (debt back to 200); again 100 of room: draw 100, repay T1. No
    # gap; R ends at 200, T0 and T1 at 0.
    r = run(f"""
program: ltc refinance
horizon: {{start: 2025-01, end: 2025-04}}
entities:
  B: {{kind: company, cash: {{value: 400M, {SRC}}}, funding_priority: [cash, T0, T1, R]}}
  Bank: {{kind: lender}}
sites:
  S:
    owner: B
    phases: [{{name: p, it_mw: 1, start: 2025-01, months: 1, facility_capex: 600M, it_capex: 0, {SRC}}}]
instruments:
  - {{kind: term_loan, name: T0, from: Bank, to: B, limit: 100M, rate: 0, start: 2025-01, end: 2025-01,
     repay: {{kind: bullet, months: 2}}, {SRC}}}
  - {{kind: term_loan, name: T1, from: Bank, to: B, limit: 100M, rate: 0, start: 2025-01, end: 2025-01,
     repay: {{kind: bullet, months: 2}}, {SRC}}}
  - {{kind: term_loan, name: R, from: Bank, to: B, limit: 1000M, rate: 0, max_ltc: 50%, start: 2025-03,
     end: 2025-04, {SRC}}}
""")
    assert r.gap()["B"].sum() == pytest.approx(0.0)
    for name, principal in (("T0", 0.0), ("T1", 0.0), ("R", 200 * M)):
        assert r.get(f"loans.{name}.principal_usd@2025-03", path=0) == pytest.approx(principal)
        assert r.get(f"loans.{name}.overdue_usd@2025-03", path=0) == pytest.approx(0.0)


def on_debt(end: str, instruments: str) -> str:
    """B builds a 500M hall in January 2025 and pays everything by drawing on its loans (`instruments`)."""
    return f"""
program: on debt
horizon: {{start: 2025-01, end: {end}}}
entities:
  B: {{kind: company, funding_priority: [debt]}}
  Bank: {{kind: lender}}
sites:
  S: {{owner: B, phases: [{{name: p, it_mw: 1, start: 2025-01, months: 1, facility_capex: 500M, it_capex: 0,
                          {SRC}}}]}}
instruments:{instruments}
"""


def test_the_commitment_fee_is_on_the_limit_undrawn_before_the_months_debt_service() -> None:
    # B pays everything by drawing on L (limit 1000M, 12% not capitalised, 6% commitment fee: 0.5% a month).
    # By hand: January, fee 0.5% x 1000 = 5 (drawn), capex 500 (drawn): principal 505. February: interest
    # 1% x 505 = 5.05 and the fee on the limit undrawn before debt service, 0.5% x (1000 - 505) = 2.475,
    # both drawn: 512.525. March: 5.12525 and 0.5% x (1000 - 512.525) = 2.437375: 520.087625.
    r = run(on_debt("2025-03", f"""
  - {{kind: construction_loan, name: L, from: Bank, to: B, limit: 1000M, rate: 12%, commitment_fee: 6%,
     capitalise_interest: false, {SRC}}}"""))
    for month, principal in (("2025-01", 505.0), ("2025-02", 512.525), ("2025-03", 520.087625)):
        assert r.get(f"loans.L.principal_usd@{month}", path=0) == pytest.approx(principal * M, rel=1e-12)


def test_a_later_loans_fee_is_on_its_limit_undrawn_before_an_earlier_loans_run_draws_on_it() -> None:
    # Found by the second audit: with loan steps each loan's dues are a run of their own, and L2's fee was
    # worked out after L1's run had drawn on L2. By hand (1% a month interest, L2's fee 1% a month):
    # January: L2's fee 1% x 1000 = 10, drawn on L1; capex 500: L1's other 490, then 10 on L2. L1 500, L2 10.
    # February: interest L1 5, L2 0.1; L2's fee on 1000 - 10 = 990: 9.9. Need 15, all drawn on L2: 25.
    r = run(on_debt("2025-02", f"""
  - {{kind: construction_loan, name: L1, from: Bank, to: B, limit: 500M, rate: 12%, capitalise_interest: false,
     {SRC}}}
  - {{kind: construction_loan, name: L2, from: Bank, to: B, limit: 1000M, rate: 12%, commitment_fee: 12%,
     capitalise_interest: false, {SRC}}}"""))
    assert r.need().loc["2025-02", "B"] == pytest.approx(15 * M, rel=1e-12)
    assert r.get("loans.L1.principal_usd@2025-02", path=0) == pytest.approx(500 * M)
    assert r.get("loans.L2.principal_usd@2025-02", path=0) == pytest.approx(25 * M, rel=1e-12)


def test_a_commitment_named_in_the_funding_order_is_not_called_again_by_equity() -> None:
    # Found by an independent audit: with `funding_priority: [EA, equity]`, 'equity' also held EA, so a short A
    # was asked twice a month for the same outstanding call. 'equity' now means the JV's other commitments.
    # By hand: January, the JV needs 12. EA calls A for 10 (A has nothing, misses 10); 'equity' is EB alone:
    # B pays 10. The JV is 2 short and defers it. February: EA re-asks A for the 2 (re-issued), A pays nothing;
    # EB has nothing left to call. A's gap in February is 2, the JV's 2 (before: A's was 4).
    r = run(f"""
program: named first
horizon: {{start: 2025-01, end: 2025-02}}
entities:
  A: {{kind: company, {SRC}}}
  B: {{kind: company, cash: {{value: 100B, {SRC}}}, {SRC}}}
  JV: {{kind: spv, funding_priority: [EA, equity]}}
sites:
  S:
    owner: JV
    phases: [{{name: one, it_mw: 1, start: 2025-01, months: 1, facility_capex: 12B, it_capex: 0, {SRC}}}]
instruments:
  - {{kind: equity, name: EA, from: A, to: JV, amount: 10B, {SRC}}}
  - {{kind: equity, name: EB, from: B, to: JV, amount: 10B, {SRC}}}
""")
    gap = r.gap()
    assert gap.loc["2025-01", "A"] == pytest.approx(10e9) and gap.loc["2025-01", "JV"] == pytest.approx(2e9)
    assert gap.loc["2025-02", "A"] == pytest.approx(2e9) and gap.loc["2025-02", "JV"] == pytest.approx(2e9)
    assert r.get("equity.EB.paid_usd", path=0).values.sum() == pytest.approx(10e9)
    assert r.get("equity.EA.called_usd", path=0).values.sum() == pytest.approx(10e9)
