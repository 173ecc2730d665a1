"""The kernel skips work for a whole batch of paths when no path of it can need the work this month: a capex item
outside its curve on every path (given the batch's least and greatest delay) with nothing deferred, a contract
no path is inside the term of, a loan not yet started, money an entity cannot raise yet or any more, a due of
nothing on every path. Each skip must give every path exactly the numbers it gets alone, at the edges: a path
inside the window while the others are not, the first and the last month of a window, the horizon's last month,
a batch of exactly ``BATCH`` paths and a partial one. Worked by hand where the numbers are simple."""

from __future__ import annotations

import numpy as np
import pytest

import fundcheck
from fundcheck.engine import Plan, compile_plan, simulate
from fundcheck.engine.kernel import BATCH, FULL_ONLY, STATE_FIELDS, layout
from fundcheck.engine.tables import kernel_tuple
from fundcheck.scenario import load_text

SRC = "source: 'assumption: test'"


def _same(plan: Plan, paths: int | None = None) -> None:
    """The batch's numbers equal each path run alone (a batch of one), in full and in summary."""
    together = simulate(plan, paths, record="full", workers=1)
    alone = simulate(plan, paths, record="full", chunk=1, workers=1)
    summary = simulate(plan, paths, record="summary", workers=1)
    np.testing.assert_array_equal(together.full_record, alone.full_record)
    np.testing.assert_array_equal(together.summary_record, alone.summary_record)
    np.testing.assert_array_equal(together.summary_int_record, alone.summary_int_record)
    np.testing.assert_array_equal(summary.summary_record, together.summary_record)
    np.testing.assert_array_equal(summary.summary_int_record, together.summary_int_record)


@pytest.mark.parametrize("n", [BATCH, BATCH + 5])
def test_paths_straddling_capex_curves_and_contract_terms_equal_each_path_alone(n: int) -> None:
    # delays from none to 40 months: in most months some paths are inside a phase's curve and others are not,
    # sites energize (and their contracts start, and 60-month terms end) in different months on each path
    plan = compile_plan(fundcheck.load("stargate"))
    rng = np.random.default_rng(5)
    ph, ents = plan.phases, plan.entities
    delay = rng.integers(0, 41, (n, len(ph)))
    delay[0] = 0  # one path on schedule, one as late as any
    delay[1] = 40
    varied = (plan.vary("phases.delay_months", delay)
              .vary("phases.facility_capex_usd", ph.facility_capex_usd * rng.uniform(0.5, 1.5, (n, len(ph))))
              .vary("entities.opening_cash_usd", ents.opening_cash_usd * rng.uniform(0.2, 2.0, (n, len(ents)))))
    _same(varied)


WINDOWS = f"""
program: windows
horizon: {{start: 2025-01, end: 2025-12}}
gap_policy: defer
entities:
  Dev:
    kind: company
    cash: {{value: 10M, {SRC}}}
    can_raise: {{amount: {{value: 15M, {SRC}}}, start: 2025-04, maturity: 2025-12}}
    funding_priority: [cash, debt, raise]
  Bank: {{kind: lender}}
sites:
  Hall:
    owner: Dev
    phases:
      - {{name: one, it_mw: {{value: 1, {SRC}}}, facility_capex: {{value: 40M, {SRC}}}, it_capex: {{value: 0, {SRC}}},
         start: 2025-02, months: 4, curve: linear, {SRC}}}
instruments:
  - {{kind: term_loan, from: Bank, to: Dev, limit: {{value: 12M, {SRC}}}, rate: {{value: 0%, {SRC}}},
     start: 2025-05, {SRC}}}
"""


def test_a_loan_and_a_raise_opening_mid_build_by_hand() -> None:
    # $10M a month of facility capex in 2025-02..05. Dev pays the first $10M from cash; in 2025-03 it has nothing
    # left and no loan or raise open yet: $10M deferred. In 2025-04 it raises the $20M due (15M at most): $5M
    # deferred. In 2025-05 the loan opens (it comes before raising): the $15M due is drawn on it up to its $12M,
    # the rest ($3M) would be raised but the raise is used up: $3M deferred, to the horizon's end (the loan has
    # nothing left; from its maturity, 2025-12, nothing more is raised). In 2025-12 the $15M raised falls due
    # and Dev has no cash: a gap of $3M + $15M in the horizon's last month.
    r = fundcheck.run(load_text(WINDOWS, "windows.yaml"))
    f = r.flows()
    raised = f[f.kind == "new money raised"]
    assert list(raised.month) == ["2025-04"] and raised.usd.sum() == pytest.approx(15e6)
    drawn = f[f.kind == "loan draw"]
    assert list(drawn.month) == ["2025-05"] and drawn.usd.sum() == pytest.approx(12e6)
    capex = f[f.kind == "facility capex"].groupby("month").usd.sum()
    assert capex.to_dict() == pytest.approx({"2025-02": 10e6, "2025-04": 15e6, "2025-05": 12e6})
    gaps = [0, 0, 10e6, 5e6, 3e6, 3e6, 3e6, 3e6, 3e6, 3e6, 3e6, 18e6]
    assert r.quantity("entities.Dev.gap_usd").tolist() == pytest.approx(gaps)
    # the same plan on 3 paths whose raise limits differ ($0, $15M, $40M): each as alone
    plan = compile_plan(load_text(WINDOWS, "windows.yaml"))
    limits = np.array([[0.0], [15e6], [40e6]]) * np.ones((3, len(plan.entities)))
    _same(plan.vary("entities.raise_limit_usd", limits))


def test_a_summary_run_writes_the_rows_only_a_full_record_reads_into_one_sink() -> None:
    lay = layout(kernel_tuple(compile_plan(fundcheck.load("stargate")).tables, 127, 0, 1))
    full, summary = lay.state_offsets(True), lay.state_offsets(False)
    names = list(STATE_FIELDS)
    sink = full[names.index("sink")]
    for i, name in enumerate(names):
        if name in FULL_ONLY:
            assert summary[i] == sink
            assert int(np.prod(lay.shapes["state"][name])) <= int(np.prod(lay.shapes["state"]["sink"]))
        else:
            assert summary[i] == full[i]
    assert full == lay.offsets_tuple("state")
    # the month's rows a summary run clears each month (m_gap on) are the ones it reads: none of them is FULL_ONLY
    month_rows = names[names.index("m_flow"):names.index("fr_amount")]
    assert month_rows[:len(FULL_ONLY)] == list(FULL_ONLY) and month_rows[len(FULL_ONLY):] == ["m_gap"]
