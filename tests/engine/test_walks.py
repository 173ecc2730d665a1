"""The funding walks agree. A payer's funding depth picks the walk: depth 1 and 2 walk their steps directly,
deeper graphs use the general walk on an explicit stack of frames. Forcing every entity onto the general walk
must change nothing, to a tenth of a cent, on the built-in programs, on a three-level structure, and on paths whose
inputs are drawn at random (partial payments, defaults, missed calls)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import fundcheck
from fundcheck.engine import Plan, compile_plan, simulate
from fundcheck.engine.tables import NEVER
from fundcheck.scenario import load_text


def _general(plan: Plan) -> Plan:
    """The same plan with every entity on the general (stack) walk."""
    ents = plan.entities
    deep = ents.with_column("fund_depth", np.full(len(ents), 3))
    return replace(plan, tables={**plan.tables, "entities": deep})


def _same(plan: Plan, paths: int | None = None) -> None:
    fast = simulate(plan, paths, record="full")
    slow = simulate(_general(plan), paths, record="full")
    # the walks add the same amounts in a different order (a group's calls one by one, or as one sum): on
    # balances of $10^11 that moves the last bit, a few millionths of a dollar; a tenth of a cent is far above it
    np.testing.assert_allclose(fast.full_record, slow.full_record, rtol=1e-12, atol=1e-3)
    np.testing.assert_allclose(fast.summary_record, slow.summary_record, rtol=1e-12, atol=1e-3)
    np.testing.assert_array_equal(fast.summary_int_record, slow.summary_int_record)


@pytest.mark.parametrize("name", ["abilene", "stargate", "openai-lp-2019", "openai-pbc-2025"])
def test_direct_walks_equal_the_general_walk_on_the_built_in_programs(name: str) -> None:
    plan = compile_plan(fundcheck.load(name))
    assert set(plan.entities.fund_depth) <= {1, 2}
    _same(plan)


def test_direct_walks_equal_the_general_walk_on_random_paths() -> None:
    plan = compile_plan(fundcheck.load("stargate"))
    rng = np.random.default_rng(11)
    n = 6
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


def test_a_three_level_structure_takes_the_general_walk_and_equals_it_forced() -> None:
    plan = compile_plan(load_text(THREE_LEVELS, "three.yaml"))
    depth = dict(zip(plan.entities.index, plan.entities.fund_depth, strict=True))
    # HoldCo asks Fund, a modelled investor of depth 1, for equity: depth 2. The Site JV calls HoldCo: depth 3.
    assert depth == {"Fund": 1, "Bank": 1, "HoldCo": 2, "Other": 1, "Site JV": 3, "Lender2": 1}
    out = simulate(plan, 1)
    assert out.field("first_short")[0, plan.entities.id("Site JV")] >= 0  # the walk is exercised: it runs short
    _same(plan)
