"""The funding walk in lockstep agrees with each path walked alone. The kernel walks a batch of paths together,
each frame keeping the list of paths still short and settling each as soon as it needs nothing more; every path
must get exactly the numbers it gets in a batch of its own (chunk=1), on the built-in programs, on a
three-level structure (investors that are funded by investors, a modelled lender) and on paths whose inputs
are drawn at random (partial payments, defaults, missed calls)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import fundcheck
from fundcheck.engine import Plan, compile_plan, simulate
from fundcheck.engine.kernel import BATCH
from fundcheck.engine.tables import NEVER
from fundcheck.scenario import load_text

ROOT = Path(__file__).parent


def _same(plan: Plan, paths: int | None = None) -> None:
    together = simulate(plan, paths, record="full", workers=1)
    alone = simulate(plan, paths, record="full", chunk=1, workers=1)
    np.testing.assert_array_equal(together.full_record, alone.full_record)
    np.testing.assert_array_equal(together.summary_record, alone.summary_record)
    np.testing.assert_array_equal(together.summary_int_record, alone.summary_int_record)


@pytest.mark.parametrize("name", ["abilene", "stargate", "openai-lp-2019", "openai-pbc-2025"])
def test_paths_walked_together_equal_paths_walked_alone_on_the_built_in_programs(name: str) -> None:
    _same(compile_plan(fundcheck.load(name)), 3)


def test_paths_walked_together_equal_paths_walked_alone_on_random_paths() -> None:
    plan = compile_plan(fundcheck.load("stargate"))
    rng = np.random.default_rng(11)
    n = 70
    ph, ents, eq, ln = plan.phases, plan.entities, plan.equity, plan.loans
    default = np.where(rng.random((n, len(eq))) < 0.3, rng.integers(0, plan.axis.n, (n, len(eq))), NEVER)
    varied = (plan.vary("phases.facility_capex_usd", ph.facility_capex_usd * rng.uniform(0.5, 2.0, (n, len(ph))))
              .vary("entities.opening_cash_usd", ents.opening_cash_usd * rng.uniform(0.0, 2.0, (n, len(ents))))
              .vary("equity.default_month", default)
              .vary("loans.limit_usd", ln.limit_usd * rng.uniform(0.3, 1.5, (n, len(ln)))))
    _same(varied)


THREE_LEVELS = """
program: three levels
horizon: {start: 2025-01, end: 2027-12}
gap_policy: defer
entities:
  Fund: {kind: investor, cash: {value: 30M, source: "assumption: test"}}
  Bank: {kind: lender}
  HoldCo: {kind: company, cash: {value: 5M, source: "assumption: test"}, funding_priority: [cash, equity, debt]}
  Other: {kind: company, cash: {value: 100M, source: "assumption: test"}}
  Site JV: {kind: spv, funding_priority: [equity, debt]}
  Lender2: {kind: company, cash: {value: 10M, source: "assumption: test"}}
sites:
  Campus:
    owner: Site JV
    phases:
      - {name: one, it_mw: 50, start: 2025-03, months: 10, facility_capex: 120M, it_capex: 0,
         source: "assumption: test"}
instruments:
  - {kind: equity, from: Fund, to: HoldCo, amount: 40M, stake: 100%, source: "assumption: test"}
  - {kind: bridge_loan, from: Bank, to: HoldCo, limit: 10M, rate: 10%, source: "assumption: test"}
  - {kind: equity, from: HoldCo, to: Site JV, amount: 60M, stake: 60%, source: "assumption: test"}
  - {kind: equity, from: Other, to: Site JV, amount: 40M, stake: 40%, source: "assumption: test"}
  - {kind: construction_loan, from: Lender2, to: Site JV, limit: 30M, rate: 9%, source: "assumption: test"}
"""


def test_a_three_level_structure_walked_together_equals_each_path_alone() -> None:
    # the Site JV calls HoldCo (a modelled investor), which calls Fund and draws on Bank: three frames deep
    plan = compile_plan(load_text(THREE_LEVELS, "three.yaml"))
    rng = np.random.default_rng(5)
    n = 67
    ents, ln = plan.entities, plan.loans
    varied = (plan.vary("entities.opening_cash_usd", ents.opening_cash_usd * rng.uniform(0.0, 3.0, (n, len(ents))))
              .vary("loans.limit_usd", ln.limit_usd * rng.uniform(0.0, 2.0, (n, len(ln)))))
    _same(varied)
    first = simulate(varied, record="summary").field("first_short")[:, plan.entities.id("Site JV")]
    assert (first >= 0).any() and (first < 0).any()  # some paths run short, some do not


STALE_LIST = """
program: two modelled lenders in a row
horizon: {start: 2025-01, end: 2025-02}
entities:
  L1: {kind: company, cash: {value: 100B, source: "assumption: t"}}
  L2: {kind: company, cash: {value: 100B, source: "assumption: t"}}
  JV: {kind: spv, funding_priority: [debt]}
sites:
  S:
    owner: JV
    phases: [{name: p, it_mw: 1, start: 2025-01, months: 1, facility_capex: 12B, it_capex: 0,
              source: "assumption: t"}]
instruments:
  - {kind: term_loan, name: T1, from: L1, to: JV, limit: 20B, rate: 0, source: "assumption: t"}
  - {kind: term_loan, name: T2, from: L2, to: JV, limit: 20B, rate: 0, source: "assumption: t"}
"""


def test_a_path_list_shortened_after_a_lender_answers_is_read_again() -> None:
    # Found by an independent audit: after a modelled lender answered, the frame settled the paths it had
    # fully funded and then took the next step with the old count, so a path still short was asked twice.
    # By hand, January: the JV needs 12. Path 0: L1 lends 12, done. Path 1 (L1 has nothing): T1 asks L1 for
    # 12, gets 0; T2 asks L2 for 12, gets 12. L2's need is 12 and the JV ends the month with no cash (the
    # faulty walk asked L2 for 24 and left the JV 12 in cash, off the loan corkscrew by 12).
    plan = compile_plan(load_text(STALE_LIST, "stale.yaml"))
    cash = np.repeat(plan.entities.opening_cash_usd, 2, axis=0)
    cash[1, plan.entities.id("L1")] = 0.0
    varied = plan.vary("entities.opening_cash_usd", cash)
    out = simulate(varied, record="full", workers=1)
    l2, jv = plan.entities.id("L2"), plan.entities.id("JV")
    t2 = plan.loans.id("T2")
    assert out.field("need_usd")[1, 0, l2] == pytest.approx(12e9)
    assert out.field("flows_usd")[1, 0, plan.loans.draw_line[t2]] == pytest.approx(12e9)
    assert out.field("principal_usd")[1, 0, t2] == pytest.approx(12e9)
    assert out.field("cash_usd")[1, 0, jv] == pytest.approx(0.0)
    assert out.field("need_usd")[0, 0, l2] == 0.0  # path 0 never asks L2
    _same(varied)


def test_lenders_funded_by_lenders_walked_together_equal_each_path_alone() -> None:
    # the audit's larger case, lender steps followed by other steps: a full batch and part of the next
    plan = compile_plan(load_text((ROOT / "data" / "lenders_of_lenders.yaml").read_text(), "deep.yaml"))
    rng = np.random.default_rng(1)
    n = BATCH + 9
    ents, ln, eq = plan.entities, plan.loans, plan.equity
    default = np.where(rng.random((n, len(eq))) < 0.3, rng.integers(0, plan.axis.n, (n, len(eq))), NEVER)
    varied = (plan.vary("entities.opening_cash_usd", ents.opening_cash_usd * rng.uniform(0.0, 2.0, (n, len(ents))))
              .vary("loans.limit_usd", ln.limit_usd * rng.uniform(0.0, 2.0, (n, len(ln))))
              .vary("equity.amount_usd", eq.amount_usd * rng.uniform(0.0, 2.0, (n, len(eq))))
              .vary("equity.default_month", default))
    _same(varied)
    summary = simulate(varied, record="summary", chunk=37)
    assert summary.field("conservation_error_usd").max() < 1e-3


LEAF_EQUITY = """
program: a leaf payer calling outside investors
horizon: {start: 2025-01, end: 2025-04}
entities:
  Fund A: {kind: investor, outside: true}
  Fund B: {kind: investor, outside: true}
  Site JV: {kind: spv, cash: {value: 10M, source: "assumption: t"}, funding_priority: [cash, equity]}
sites:
  S:
    owner: Site JV
    phases: [{name: p, it_mw: 1, start: 2025-01, months: 3, curve: linear, facility_capex: 90M, it_capex: 0,
              source: "assumption: t"}]
instruments:
  - {kind: equity, from: Fund A, to: Site JV, amount: 40M, stake: 60%, source: "assumption: t"}
  - {kind: equity, from: Fund B, to: Site JV, amount: 20M, stake: 40%, source: "assumption: t"}
"""


def test_a_leaf_payer_calls_outside_investors_pro_rata_by_hand() -> None:
    # The JV asks no modelled entity (its investors are outside parties), so it takes the leaf walk; its
    # equity step is the one the built-in programs never reach. 30M of capex a month for three months:
    #   month 1: 10M from cash, 20M called pro rata to what is undrawn (40:20): A 13.33M, B 6.67M;
    #   month 2: 30M called against 26.67M + 13.33M undrawn: A 20M, B 10M;
    #   month 3: only 6.67M + 3.33M left to call: both pay it, 20M of the month's 30M is the JV's gap,
    #   deferred (gap_policy defer) and unpaid again in month 4 with nothing left to call.
    plan = compile_plan(load_text(LEAF_EQUITY, "leaf.yaml"))
    out = simulate(plan, 1, record="full")
    called = out.field("equity_called_usd")[0]  # months x commitments
    a, b = plan.equity.id("equity Fund A -> Site JV"), plan.equity.id("equity Fund B -> Site JV")
    np.testing.assert_allclose(called[:3, a], [40e6 / 3, 20e6, 20e6 / 3], rtol=1e-12)
    np.testing.assert_allclose(called[:3, b], [20e6 / 3, 10e6, 10e6 / 3], rtol=1e-12)
    np.testing.assert_allclose(out.field("equity_paid_usd")[0][:3], called[:3], rtol=1e-12)
    jv = plan.entities.id("Site JV")
    np.testing.assert_allclose(out.field("gap_usd")[0][:, jv], [0.0, 0.0, 20e6, 20e6], atol=1e-6)
    np.testing.assert_allclose(out.field("new_gap_usd")[0][:, jv], [0.0, 0.0, 20e6, 0.0], atol=1e-6)  # deferred:
    np.testing.assert_allclose(out.field("carried_usd")[0][:, jv], [0.0, 0.0, 0.0, 20e6], atol=1e-6)  # due again
    # and paths that differ (cash, defaults) walked together get the numbers each gets alone
    rng = np.random.default_rng(3)
    n = 131  # a full batch of 128 and a part-filled one
    default = np.where(rng.random((n, 2)) < 0.3, rng.integers(0, 4, (n, 2)), NEVER)
    varied = (plan.vary("entities.opening_cash_usd",
                        plan.entities.opening_cash_usd * rng.uniform(0.0, 5.0, (n, len(plan.entities))))
              .vary("equity.default_month", default))
    _same(varied)
