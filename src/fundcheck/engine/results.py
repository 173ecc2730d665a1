"""Results of a run: named quantities (an xarray Dataset), tables as pandas DataFrames, totals and JSON.

Definitions used throughout (and in the JSON, see README):

- **capex** (``capex_usd``): capex planned to be spent by the horizon end, on the plan's schedule.
- **funded**: capex actually paid by the horizon end. **gap** (``totals.gap_usd``): capex planned by the
  horizon end that was not funded by then; each dollar counted once.
- An entity's monthly **gap** is the part of that month's need it could not fund. Part of a month's need
  may have **carried** over from earlier months (deferred capex, overdue debt, a re-issued equity call); the
  **new gap** is the part of the gap that fell due that month for the first time. Monthly gaps of a carried
  balance must not be added up; new gaps may be.
- **committed**: the face amount of an equity commitment or loan facility. **covered at signing**: the part
  of it backed by the provider's liquidity (cash, open loans, money it can raise) in the month it opened,
  shared pro rata over the provider's open commitments then; not modelled for outside providers.
  **deployed**: money actually paid in through it by the horizon end. Money is never added up across
  layers (a bridge to a partner that funds a JV is one dollar, not two).

Every quantity has a dotted name (``entities.SoftBank.cash_usd@2025-01``) resolved by ``Results.get``; the
names are listed in ``QUANTITIES`` and in the README. Pick a path with ``path=``; reduce across paths with
xarray (``results.get(name).mean("path")``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from fundcheck.engine.checks import Checks, run_checks
from fundcheck.engine.instruments.loan import room
from fundcheck.engine.kernel import SHORTFALL_USD
from fundcheck.engine.plan import Plan
from fundcheck.engine.simulate import Outcome
from fundcheck.engine.tables import CAUSE_NAMES, KIND_NAMES, LOAN_KINDS
from fundcheck.errors import UsageError
from fundcheck.scenario.schema import Scenario

__all__ = ["JSON_SCHEMA_VERSION", "QUANTITIES", "SHORTFALL_USD", "Results"]

JSON_SCHEMA_VERSION = 2

# group -> quantity -> (unit, monthly?, description). Monthly quantities need record="full".
QUANTITIES: dict[str, dict[str, tuple[str, bool, str]]] = {
    "entities": {
        "cash_usd": ("USD", True, "closing cash"),
        "need_usd": ("USD", True, "what it had to pay in the month (carried needs included)"),
        "gap_usd": ("USD", True, "the part of the month's need it could not fund"),
        "new_gap_usd": ("USD", True, "the part of the gap that was not already unpaid before (not carried)"),
        "carried_usd": ("USD", True, "need brought into the month from earlier months"),
        "first_shortfall": ("month", False, "first month with a gap over $1 (None: never)"),
        "months_short": ("months", False, "months with a gap over $1"),
        "largest_gap_usd": ("USD", False, "largest monthly gap"),
        "final_gap_usd": ("USD", False, "gap in the last month"),
        "unpaid_total_usd": ("USD", False, "sum of new gaps: every unpaid dollar counted once"),
        "lowest_cash_usd": ("USD", False, "lowest closing cash"),
        "final_cash_usd": ("USD", False, "cash at the horizon end"),
        "reserve_usd": ("USD", True, "debt-service reserve at the close (part of its cash)"),
        "held_usd": ("USD", True, "cash held back at the close for its commitments' calls (order_of_claims "
                     "commitments_first; what it still owes on them, whether or not it has the cash)"),
    },
    "loans": {
        "principal_usd": ("USD", True, "closing balance (capitalised interest, fees and arrears included)"),
        "overdue_usd": ("USD", True, "principal and interest due and unpaid"),
        "capitalised_usd": ("USD", True, "interest and fees added to principal within the limit"),
        "arrears_usd": ("USD", True, "unpaid interest added to the balance"),
        "limit_usd": ("USD", False, "facility limit"),
        "drawn_usd": ("USD", False, "drawn over the horizon"),
        "capitalised_total_usd": ("USD", False, "interest and fees capitalised over the horizon"),
        "repaid_usd": ("USD", False, "principal repaid over the horizon"),
        "interest_paid_usd": ("USD", False, "interest paid in cash over the horizon"),
        "max_principal_usd": ("USD", False, "largest closing balance"),
        "final_principal_usd": ("USD", False, "balance at the horizon end"),
        "final_overdue_usd": ("USD", False, "overdue at the horizon end"),
        "swept_usd": ("USD", True, "prepaid by a cash sweep in the month"),
        "swept_total_usd": ("USD", False, "prepaid by cash sweeps over the horizon"),
        "window_end": ("month", False, "last drawing month (its end, or the month before its conversion)"),
        "first_lockup": ("month", False, "first December test below its lock-up (None: never)"),
        "first_default": ("month", False, "first December test below its default threshold (None: never)"),
    },
    "equity": {
        "called_usd": ("USD", True, "new calls in the month (a re-issued call is counted once)"),
        "paid_usd": ("USD", True, "paid in during the month"),
        "missed_usd": ("USD", True, "called and not paid, at the month's end"),
        "amount_usd": ("USD", False, "commitment"),
        "called_total_usd": ("USD", False, "called over the horizon"),
        "paid_total_usd": ("USD", False, "paid in over the horizon"),
        "final_missed_usd": ("USD", False, "missed at the horizon end"),
    },
    "phases": {
        "capex_need_usd": ("USD", True, "capex due in the month (deferred capex included)"),
        "capex_funded_usd": ("USD", True, "capex paid in the month"),
        "it_funded_share": ("fraction", True, "share of IT capex paid so far"),
        "energized": ("month", False, "month it energizes (None: not by the horizon end)"),
        "delay_months": ("months", False, "energization minus planned energization"),
        "capex_funded_total_usd": ("USD", False, "capex paid over the horizon"),
    },
    "sites": {
        "it_mw_online": ("MW", True, "IT MW energized"),
        "it_mw_planned": ("MW", True, "IT MW energized on the plan's schedule"),
        "capex_usd": ("USD", True, "capex paid in the month"),
    },
    "program": {
        "funded_usd": ("USD", True, "capex paid up to the month, cumulative"),
        "capex_planned_usd": ("USD", True, "capex planned up to the month, cumulative"),
        "it_mw_online": ("MW", True, "IT MW energized"),
        "capex_usd": ("USD", False, "capex planned by the horizon end"),
        "funded_total_usd": ("USD", False, "capex paid by the horizon end"),
        "gap_usd": ("USD", False, "capex planned by the horizon end and not funded by then"),
    },
}


@dataclass
class Results:
    """A run's outcome with its named quantities, tables, totals and checks."""

    scenario: Scenario
    plan: Plan
    outcome: Outcome

    def __repr__(self) -> str:
        t = self.totals()
        alts = f" +{'+'.join(self.alternatives)}" if self.alternatives else ""
        return (f"<Results {self.program}{alts}: {self.outcome.n_paths:,} path(s), {len(self.months)} months "
                f"{self.months[0]}..{self.months[-1]}, record={self.outcome.mode}; capex {t['capex_usd'] / 1e9:,.1f}B, "
                f"funded {t['funded_usd'] / 1e9:,.1f}B, gap {t['gap_usd'] / 1e9:,.1f}B>")

    def _repr_html_(self) -> str:
        t = self.totals()
        rows = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in (
            ("program", self.program), ("alternatives", ", ".join(self.alternatives) or "none"),
            ("paths", f"{self.outcome.n_paths:,}"), ("months", f"{self.months[0]} to {self.months[-1]}"),
            ("capex planned", f"${t['capex_usd'] / 1e9:,.1f}B"), ("capex funded", f"${t['funded_usd'] / 1e9:,.1f}B"),
            ("build gap", f"${t['gap_usd'] / 1e9:,.1f}B")))
        return f"<table>{rows}</table>"

    # --- axes -----------------------------------------------------------------------------------------

    @cached_property
    def months(self) -> list[str]:
        """The months of the run as 'YYYY-MM'."""
        return self.plan.axis.labels()

    @cached_property
    def periods(self) -> pd.PeriodIndex:
        """The months of the run as a monthly PeriodIndex."""
        return pd.period_range(self.months[0], self.months[-1], freq="M", name="month")

    @property
    def program(self) -> str:
        """The program's name."""
        return self.plan.program

    @property
    def alternatives(self) -> tuple[str, ...]:
        """The named alternatives this run applied, in order."""
        return self.plan.alternatives

    @property
    def entity_names(self) -> list[str]:
        """Entity names in plan order."""
        return list(self.plan.entities.index)

    @cached_property
    def checks(self) -> Checks:
        """The invariants of design.md, measured on this run."""
        return run_checks(self.outcome)

    def _month_or_none(self, column: int) -> str | None:
        return self.plan.axis.label(int(column)) if 0 <= column < self.plan.axis.n else None

    def _path(self, path: int) -> int:
        n = self.outcome.n_paths
        if isinstance(path, bool) or not isinstance(path, int | np.integer) or not 0 <= path < n:
            raise UsageError(f"path must be a whole number from 0 to {n - 1}; found {path!r}")
        return int(path)

    def _monthly(self, name: str, path: int) -> np.ndarray:
        if not self.outcome.full:
            raise UsageError(f"monthly results ({name}) need record='full'; this run kept record='summary'")
        return self.outcome.field(name)[self._path(path)]

    def _summary(self, name: str, path: int) -> np.ndarray:
        return self.outcome.field(name)[self._path(path)]

    def array(self, name: str, path: int = 0) -> np.ndarray:
        """One recorded field of the run on `path`, as the kernel keeps it: a monthly one as (months, rows)
        (``flows_usd``: months x ledger lines; ``principal_usd``: months x loans; needs record='full'), a summary
        one as (rows,). For layers that compute from the raw run (the statements); others use the tables."""
        monthly = self.outcome.full and self.outcome.field(name).ndim == 3
        return self._monthly(name, path) if monthly else self._summary(name, path)

    @cached_property
    def funded_entities(self) -> list[str]:
        """Entities whose liquidity is modelled and that had something to pay (on any path)."""
        ent = self.plan.entities
        lines = self.plan.lines
        paid = np.abs(self.outcome.field("line_total_usd")).sum(axis=0)
        gap = self.outcome.field("largest_gap_usd").max(axis=0)
        out = []
        for e, name in enumerate(ent.index):
            if ent.outside[e]:
                continue
            if gap[e] > 0 or paid[lines.payer == e].sum() > 0:
                out.append(name)
        return out

    # --- monthly tables -------------------------------------------------------------------------------

    def _frame(self, data: np.ndarray, columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame(data, index=self.periods, columns=pd.Index(columns))

    def cash(self, path: int = 0) -> pd.DataFrame:
        """Closing cash per entity and month, USD."""
        return self._frame(self._monthly("cash_usd", path)[:, :-1], self.entity_names)

    def gap(self, path: int = 0) -> pd.DataFrame:
        """Need an entity could not fund, per month, USD (a carried balance recurs: do not add these up)."""
        return self._frame(self._monthly("gap_usd", path), self.entity_names)

    def new_gap(self, path: int = 0) -> pd.DataFrame:
        """The part of each month's gap that fell due that month for the first time, USD (may be added up)."""
        return self._frame(self._monthly("new_gap_usd", path), self.entity_names)

    def carried(self, path: int = 0) -> pd.DataFrame:
        """Need brought into each month from earlier months, USD."""
        return self._frame(self._monthly("carried_usd", path), self.entity_names)

    def need(self, path: int = 0) -> pd.DataFrame:
        """What each entity had to pay per month (carried needs included), USD."""
        return self._frame(self._monthly("need_usd", path), self.entity_names)

    def overdue(self, path: int = 0) -> pd.DataFrame:
        """Debt service past due at each month's close, per loan, USD."""
        return self._frame(self._monthly("overdue_usd", path), list(self.plan.loans.index))

    def covenants(self, path: int = 0) -> pd.DataFrame:
        """Each loan with a cash sweep or covenants: its tests (``lockup_dscr``, ``default_dscr``, NaN for none;
        ``sweep_share``), what was swept (USD), the December tests taken as (month, DSCR) pairs (record='full'
        only; [] otherwise), the first lock-up and how many tests failed it, the first default (months, or
        None), and ``event``: the breaches in words ('' for none)."""
        p = self.plan
        ln = p.loans
        swept = self._summary("swept_total_usd", path)
        first_lockup, first_default = self._summary("first_lockup", path), self._summary("first_default", path)
        lockups = self._summary("lockups", path)
        dscr = self._monthly("dscr_test", path) if self.outcome.full else None
        rows = []
        for i in range(len(ln)):
            lockup, default = float(ln.lockup_dscr[i]), float(ln.default_dscr[i])
            if ln.sweep_share[i] <= 0.0 and np.isnan(lockup) and np.isnan(default):
                continue
            tests = [] if dscr is None else [(p.axis.label(t), float(dscr[t, i])) for t in range(p.axis.n)
                                             if not np.isnan(dscr[t, i])]
            at = dict(tests)
            borrower, name = self.entity_names[int(ln.borrower[i])], ln.index[i]
            events = []
            if first_lockup[i] >= 0:
                m = p.axis.label(int(first_lockup[i]))
                ratio = f" {at[m]:.2f}x" if m in at else ""
                more = f" ({int(lockups[i])} tests failed)" if lockups[i] > 1 else ""
                start = int(first_lockup[i]) + 1
                when = f"from {p.axis.label(start)}" if start < p.axis.n else "after the horizon"
                events.append(f"{borrower}'s DSCR{ratio} in {m[:4]} broke {name}'s lock-up ({lockup:.2f}x): cash "
                              f"swept {when}{more}")
            if first_default[i] >= 0:
                m = p.axis.label(int(first_default[i]))
                ratio = f" {at[m]:.2f}x" if m in at else ""
                events.append(f"{borrower}'s DSCR{ratio} in {m[:4]} is an event of default on {name} (below "
                              f"{default:.2f}x)")
            rows.append((name, borrower, lockup, default, float(ln.sweep_share[i]), float(swept[i]), tests,
                         self._month_or_none(int(first_lockup[i])) if first_lockup[i] >= 0 else None,
                         int(lockups[i]),
                         self._month_or_none(int(first_default[i])) if first_default[i] >= 0 else None,
                         "; ".join(events)))
        out = pd.DataFrame(rows, columns=["facility", "borrower", "lockup_dscr", "default_dscr", "sweep_share",
                                          "swept_usd", "tests", "first_lockup", "lockups", "first_default", "event"])
        for col in ("first_lockup", "first_default"):  # None, not NaN, where there is no month
            out[col] = pd.Series([v if isinstance(v, str) else None for v in out[col]], dtype=object)
        return out.set_index("facility")

    def reserves(self, path: int = 0) -> pd.DataFrame:
        """Each entity's debt-service reserve at each month's close (USD): the part of its cash kept for debt
        service only (zero for an entity without a reserve)."""
        return self._frame(self._monthly("reserve_usd", path), self.entity_names)

    def held(self, path: int = 0) -> pd.DataFrame:
        """What each entity holds back at each month's close for the calls of its commitments under
        ``order_of_claims: commitments_first`` (USD): what it still owes on them, so its other claims see only
        its cash above this (zero for an entity in the month order)."""
        return self._frame(self._monthly("held_usd", path), self.entity_names)

    def window_end(self, path: int = 0) -> np.ndarray:
        """Each loan's last drawing month on the path (a month index): its `end`, or, for a loan with
        `convert_at`, the month before its phase energized if that is earlier. Repayment starts the month
        after."""
        return self._summary("window_end", path).astype(np.int64)

    def maturities(self, path: int = 0) -> pd.DataFrame:
        """Each loan that matures inside the horizon with something due (its bullet, or its last instalment), in
        month order, USD: the balance that fell due that month (principal, with what was overdue from earlier
        months), what its refinancing repaid that month, what the borrower repaid, what was left unpaid after
        the month, and the month's own interest and fees left unpaid (arrears, apart); ``refinanced_by`` names
        its refinancing ('' for none). An unpaid maturity is a dated liquidity event for the borrower: ``event``
        says so in words (empty when it was met). Needs record='full'."""
        p = self.plan
        ln, n = p.loans, p.axis.n
        flows = self._monthly("flows_usd", path)
        overdue = self._monthly("overdue_usd", path)
        arrears = self._monthly("arrears_usd", path)
        end = self.window_end(path)
        rows = []
        for i in range(len(ln)):
            m = int(end[i]) + int(ln.repay_months[i])
            if not 0 <= m < n:
                continue
            j = int(ln.refinanced_by[i])
            refinanced = float(flows[m, ln.draw_line[j]]) if j >= 0 else 0.0
            repaid = float(flows[m, ln.principal_line[i]]) - refinanced
            interest = float(arrears[m, i])  # the month's interest and fees left unpaid, added to the balance
            unpaid = float(overdue[m, i]) - interest
            if refinanced + repaid + unpaid <= SHORTFALL_USD:  # nothing fell due: never drawn, or repaid before
                continue
            borrower = self.entity_names[int(ln.borrower[i])]
            how = ("" if j < 0 and unpaid <= SHORTFALL_USD else "; no refinancing" if j < 0 else
                   f"; {ln.index[j]} refinanced part of it" if refinanced > SHORTFALL_USD else
                   f"; {ln.index[j]} refinanced none of it that month")
            event = ""
            if unpaid > SHORTFALL_USD:
                event = f"{borrower} cannot repay {ln.index[i]} at maturity ({p.axis.label(m)}){how}"
            elif interest > SHORTFALL_USD:
                event = f"{borrower} cannot pay the interest on {ln.index[i]} at maturity ({p.axis.label(m)})"
            rows.append((ln.index[i], borrower, p.axis.label(m), refinanced + repaid + unpaid, refinanced, repaid,
                         unpaid, interest, ln.index[j] if j >= 0 else "", event))
        out = pd.DataFrame(rows, columns=["facility", "borrower", "month", "due_usd", "refinanced_usd", "repaid_usd",
                                          "unpaid_usd", "interest_unpaid_usd", "refinanced_by", "event"])
        return out.sort_values("month", kind="stable").set_index("facility")

    def liquidity(self, path: int = 0) -> pd.DataFrame:
        """What each modelled entity has to pay with after each month's close, for the next month, USD, in three
        parts that may be added up: its cash (its debt-service reserve aside); what it can still draw on loans
        it can draw as needed next month (drawing window open, not a bond or bridge paid out in one go, lender
        not in default), within each limit and, for loans with a loan-to-cost cap, within the cap on a draw
        that pays capex (the cap is shared by the borrower's capped loans); and the new money it can still
        raise. Whether a modelled lender has the cash to fund a draw, and whether the loan is in the entity's
        funding order, are not tested; a refinancing, which only repays the loan it refinances, is not counted.
        Columns are (entity, part)."""
        p = self.plan
        n = p.axis.n
        cash = np.maximum(self._monthly("cash_usd", path)[:, :-1] - self._monthly("reserve_usd", path), 0.0)
        principal = self._monthly("principal_usd", path)
        capitalised = self._monthly("capitalised_usd", path)
        flows = self._monthly("flows_usd", path)
        lines = p.lines
        capex_kind = (lines.kind == KIND_NAMES.index("facility capex")) | (lines.kind == KIND_NAMES.index("IT capex"))
        nxt = np.arange(n) + 1  # the month the money would be drawn in
        ent, ln = p.entities, p.loans
        end = self.window_end(path)
        columns, data = [], []
        for e, name in enumerate(ent.index):
            if ent.outside[e]:
                continue
            mine = [i for i in range(len(ln)) if ln.borrower[i] == e]
            # the cost loan-to-cost caps are measured against: capex it paid and interest capitalised on its loans
            cost = np.cumsum(flows[:, capex_kind & (lines.payer == e)].sum(axis=1)
                             + capitalised[:, mine].sum(axis=1))
            debt = principal[:, [i for i in mine if not ln.credit_line[i]]].sum(axis=1)
            free, capped, cap = np.zeros(n), np.zeros(n), np.zeros(n)
            for i in mine:
                if ln.refinances[i] >= 0:  # a refinancing pays only the loan it refinances
                    continue
                open_ = ((nxt >= ln.start[i]) & (nxt <= end[i]) & (nxt < ln.value("default_month", i, path))
                         & (not ln.upfront[i]))
                limit = ln.value("limit_usd", i, path)
                # the kernel's own rule (instruments.loan.room): headroom under the limit, and for a capped loan
                # the loan-to-cost room of a capex draw, shared by the borrower's capped loans
                headroom = np.array([room(limit, principal[t, i], np.nan, 0.0, 0.0, True) if open_[t] else 0.0
                                     for t in range(n)])
                ltc = float(ln.max_ltc[i])
                if np.isnan(ltc):
                    free += headroom
                    continue
                capped += headroom
                cap = np.maximum(cap, [room(np.inf, 0.0, ltc, debt[t], cost[t], True) if open_[t] else 0.0
                                       for t in range(n)])
            undrawn = free + np.minimum(capped, cap)
            can_raise = np.zeros(n)
            if ent.raise_line[e] >= 0:
                raised = np.cumsum(flows[:, ent.raise_line[e]])
                can_raise = np.where((nxt >= ent.raise_start[e]) & (nxt < ent.raise_maturity[e]),
                                     np.maximum(ent.value("raise_limit_usd", e, path) - raised, 0.0), 0.0)
            for part, values in (("cash", cash[:, e]), ("undrawn loans", undrawn), ("can still raise", can_raise)):
                columns.append((name, part))
                data.append(values)
        return pd.DataFrame(np.array(data).T.reshape(n, len(columns)), index=self.periods,
                            columns=pd.MultiIndex.from_tuples(columns, names=["entity", "part"]))

    def gap_by_cause(self, path: int = 0) -> pd.DataFrame:
        """Unpaid dollars over the horizon per entity and cause, each counted once (new gaps), USD."""
        data = self._summary("new_gap_by_cause_usd", path)
        return pd.DataFrame(data, index=pd.Index(self.entity_names, name="entity"), columns=list(CAUSE_NAMES))

    def it_mw_online(self, path: int = 0) -> pd.DataFrame:
        """IT MW energized per site and month as modelled."""
        energized = self._summary("energized", path)
        out = np.zeros((len(self.plan.sites), self.plan.axis.n))
        cols = np.arange(self.plan.axis.n)
        ph = self.plan.phases
        for h in range(len(ph)):
            out[ph.site[h]] += ph.it_mw[h] * (cols >= energized[h])
        return self._frame(out.T, list(self.plan.sites.index))

    def it_mw_planned(self, path: int = 0) -> pd.DataFrame:
        """IT MW energized per site and month on the plan's schedule."""
        return self._frame(self.plan.planned_it_mw(path).T, list(self.plan.sites.index))

    def _by_site(self, per_phase: np.ndarray) -> np.ndarray:
        out = np.zeros((len(self.plan.sites), per_phase.shape[-1]))
        for h in range(len(self.plan.phases)):
            out[self.plan.phases.site[h]] += per_phase[h]
        return out

    def capex(self, path: int = 0) -> pd.DataFrame:
        """Capex funded per site and month, USD."""
        return self._frame(self._by_site(self._monthly("capex_funded_usd", path).T).T, list(self.plan.sites.index))

    def capex_planned(self, path: int = 0) -> pd.DataFrame:
        """Capex per site and month on the plan's schedule, USD."""
        return self._frame(self._by_site(self.plan.planned_capex(path)).T, list(self.plan.sites.index))

    def flows(self, path: int = 0) -> pd.DataFrame:
        """Every flow of the run: payer, payee, kind, label, month, usd (non-zero only)."""
        data = self._monthly("flows_usd", path)
        names = self.plan.account_names
        lines = self.plan.lines
        t_idx, l_idx = np.nonzero(data)
        order = np.lexsort((t_idx, l_idx))
        rows = [(names[lines.payer[j]], names[lines.payee[j]], KIND_NAMES[lines.kind[j]], self.plan.line_labels[j],
                 self.months[t], float(data[t, j])) for t, j in zip(t_idx[order], l_idx[order], strict=True)]
        return pd.DataFrame(rows, columns=["payer", "payee", "kind", "label", "month", "usd"])

    # --- summaries (the same under record="full" and record="summary") -------------------------------------

    def first_shortfall(self, path: int = 0) -> dict[str, str | None]:
        """The first month each entity could not fund a need (None if never)."""
        first = self._summary("first_short", path)
        return {name: (self.months[first[e]] if first[e] >= 0 else None) for e, name in enumerate(self.entity_names)}

    def gap_by_quarter(self, path: int = 0) -> pd.DataFrame:
        """Largest monthly gap in each quarter, per funded entity, USD (quarters with a gap only)."""
        g = self.gap(path)[self.funded_entities]
        quarters = [f"{m[:4]}-Q{(int(m[5:]) - 1) // 3 + 1}" for m in self.months]
        table = g.groupby(pd.Index(quarters, name="quarter")).max()
        table = table.loc[:, (table > SHORTFALL_USD).any(axis=0)]
        return table[(table > SHORTFALL_USD).any(axis=1)]

    def shortfalls(self, path: int = 0) -> pd.DataFrame:
        """Per funded entity: first month short, months short, largest and last monthly gap, and every unpaid
        dollar counted once (USD)."""
        names = self.entity_names
        keep = [names.index(e) for e in self.funded_entities]
        first = self.first_shortfall(path)
        return pd.DataFrame({
            "first_shortfall": pd.Series([first[names[e]] for e in keep], dtype=object),
            "months_short": self._summary("months_short", path)[keep],
            "largest_gap_usd": self._summary("largest_gap_usd", path)[keep],
            "gap_at_end_usd": self._summary("final_gap_usd", path)[keep],
            "unpaid_total_usd": self._summary("new_gap_total_usd", path)[keep],
        }).set_axis(pd.Index(self.funded_entities, name="entity"))

    def sources_and_uses(self, path: int = 0) -> pd.DataFrame:
        """Per funded entity, money in (sources) and out (uses) over the horizon by kind, and the unpaid
        need with every dollar counted once, so that sources = uses + change in cash. USD."""
        totals = self._summary("line_total_usd", path)
        unpaid = self._summary("new_gap_total_usd", path)
        names = self.plan.account_names
        lines = self.plan.lines
        rows = []
        for e_name in self.funded_entities:
            e = names.index(e_name)
            for j in range(len(lines)):
                amount = float(totals[j])
                if amount == 0.0:
                    continue
                if lines.payee[j] == e:
                    rows.append((e_name, "source", KIND_NAMES[lines.kind[j]], names[lines.payer[j]],
                                 self.plan.line_labels[j], amount))
                if lines.payer[j] == e:
                    rows.append((e_name, "use", KIND_NAMES[lines.kind[j]], names[lines.payee[j]],
                                 self.plan.line_labels[j], amount))
            rows.append((e_name, "gap", "unfunded need", "", "", float(unpaid[e])))
        return pd.DataFrame(rows, columns=["entity", "side", "kind", "counterparty", "label", "usd"])

    def money(self, path: int = 0) -> pd.DataFrame:
        """Each instrument of the capital stack: committed, covered at signing (NaN where the provider's
        liquidity is not modelled) and deployed, USD. Rows are per instrument; never add them across layers.
        Refinancings are left out: they replace debt already counted (see ``maturities``)."""
        p = self.plan
        names = p.account_names
        secured = self._summary("secured_usd", path)
        line_total = self._summary("line_total_usd", path)
        outside = [*p.entities.outside, True]
        rows = []
        eq = p.equity
        for q in range(len(eq)):
            provider = int(eq.investor[q])
            rows.append((eq.index[q], "equity", names[provider], names[eq.investee[q]], eq.value("amount_usd", q, path),
                         np.nan if outside[provider] else float(secured[q]), float(line_total[eq.line[q]])))
        ln = p.loans
        for i in range(len(ln)):
            if ln.credit_line[i] or ln.refinances[i] >= 0:  # a refinancing replaces debt already counted
                continue
            provider = int(ln.lender[i])
            rows.append((ln.index[i], LOAN_KINDS[ln.kind[i]], names[provider], names[ln.borrower[i]],
                         ln.value("limit_usd", i, path),
                         np.nan if outside[provider] else float(secured[len(eq) + i]),
                         float(line_total[ln.draw_line[i]])))
        return pd.DataFrame(rows, columns=["instrument", "kind", "from", "to", "committed_usd",
                                           "covered_at_signing_usd", "deployed_usd"])

    def money_by_recipient(self, path: int = 0) -> pd.DataFrame:
        """Committed and deployed money grouped by the entity that receives it (one layer per row), USD."""
        m = self.money(path)
        return m.groupby("to", sort=False)[["committed_usd", "deployed_usd"]].sum()

    def it_mw_running(self, path: int = 0) -> pd.DataFrame:
        """IT MW energized and with its GPUs paid for, per site and month: each energized phase's IT MW times
        the share of its IT capex paid by the month's close (a hall without its GPUs is online but idle)."""
        online = np.zeros((self.plan.axis.n, len(self.plan.phases)))
        energized = self._summary("energized", path)
        cols = np.arange(self.plan.axis.n)
        share = self._monthly("it_funded_share", path)
        for h in range(len(self.plan.phases)):
            online[:, h] = self.plan.phases.it_mw[h] * (cols >= energized[h]) * share[:, h]
        return self._frame(self._by_site(online.T).T, list(self.plan.sites.index))

    def mw_by_year(self, path: int = 0) -> pd.DataFrame:
        """IT MW online at each year's end (or the horizon's end): planned, modelled (energized), delayed, and
        running (energized with its GPUs paid for; only with record='full')."""
        planned = self.it_mw_planned(path).sum(axis=1)
        modelled = self.it_mw_online(path).sum(axis=1)
        years = [m[:4] for m in self.months]
        frame = pd.DataFrame({"planned_mw": planned.values, "modelled_mw": modelled.values}, index=years)
        if self.outcome.full:
            frame["running_mw"] = self.it_mw_running(path).sum(axis=1).values
        out = frame.groupby(level=0).last()
        out.index.name = "year"
        out.insert(2, "delayed_mw", out["planned_mw"] - out["modelled_mw"])
        return out

    def phases(self, path: int = 0) -> pd.DataFrame:
        """Each phase: MW, capex, planned and modelled energization, delay in months."""
        energized = self._summary("energized", path)
        ph = self.plan.phases
        rows = []
        for h in range(len(ph)):
            got = int(energized[h])
            planned = self.plan.planned_energization(h, path)
            # no delay figure when either date falls past the horizon end
            delay = None if got >= self.plan.axis.n or planned >= self.plan.axis.n else got - planned
            site = self.plan.sites.index[ph.site[h]]
            rows.append((site, ph.index[h].removeprefix(f"{site}: "), float(ph.it_mw[h]),
                         ph.value("facility_capex_usd", h, path), ph.value("it_capex_usd", h, path),
                         self._month_or_none(planned), self._month_or_none(got), delay))
        return pd.DataFrame(rows, columns=["site", "phase", "it_mw", "facility_capex_usd", "it_capex_usd",
                                           "energized_planned", "energized", "delay_months"])

    def totals(self, path: int = 0) -> dict[str, float]:
        """Program totals over the horizon, USD (see the module docstring for the definitions)."""
        capex = float(self.plan.planned_capex(path).sum())
        funded = float(self._summary("capex_funded_total_usd", path).sum())
        return {"capex_usd": capex, "funded_usd": funded, "gap_usd": max(capex - funded, 0.0)}

    def instruments(self, path: int = 0) -> dict[str, dict[str, Any]]:
        """Each instrument by name, with its end-of-horizon figures (the JSON's ``instruments``), USD."""
        s = {k: self._summary(k, path) for k in ("line_total_usd", "capitalised_total_usd", "arrears_total_usd",
                                                  "max_principal_usd", "final_principal_usd", "final_overdue_usd",
                                                  "equity_called_total_usd", "final_missed_usd", "secured_usd",
                                                  "swept_total_usd")}
        p = self.plan
        names = p.account_names
        outside = [*p.entities.outside, True]
        out: dict[str, dict[str, Any]] = {}
        eq = p.equity
        for q in range(len(eq)):
            provider = int(eq.investor[q])
            out[eq.index[q]] = {
                "kind": "equity", "from": names[provider], "to": names[eq.investee[q]],
                "amount_usd": float(eq.value("amount_usd", q, path)),
                "stake": None if math.isnan(eq.stake[q]) else float(eq.stake[q]),
                "called_usd": float(s["equity_called_total_usd"][q]),
                "paid_usd": float(s["line_total_usd"][eq.line[q]]),
                "missed_usd": float(s["final_missed_usd"][q]),
                "covered_at_signing_usd": None if outside[provider] else float(s["secured_usd"][q]),
            }
        ln = p.loans
        for i in range(len(ln)):
            provider = int(ln.lender[i])
            out[ln.index[i]] = {
                "kind": "credit_line" if ln.credit_line[i] else LOAN_KINDS[ln.kind[i]], "from": names[provider],
                "to": names[ln.borrower[i]], "limit_usd": float(ln.value("limit_usd", i, path)),
                "drawn_usd": float(s["line_total_usd"][ln.draw_line[i]]),
                "capitalised_usd": float(s["capitalised_total_usd"][i]),
                "arrears_usd": float(s["arrears_total_usd"][i]),
                "repaid_usd": float(s["line_total_usd"][ln.principal_line[i]]),
                "interest_paid_usd": float(s["line_total_usd"][ln.interest_line[i]]),
                "max_principal_usd": float(s["max_principal_usd"][i]),
                "principal_usd": float(s["final_principal_usd"][i]),
                "overdue_usd": float(s["final_overdue_usd"][i]),
                "swept_usd": float(s["swept_total_usd"][i]),
                "covered_at_signing_usd": None if outside[provider] else float(s["secured_usd"][len(eq) + i]),
            }
        return out

    # --- named quantities -----------------------------------------------------------------------------------

    @cached_property
    def _coords(self) -> dict[str, list[str]]:
        """The names along each dimension of the named quantities but path and month."""
        p = self.plan
        return {"entity": list(p.entities.index), "equity": list(p.equity.index), "loan": list(p.loans.index),
                "phase": list(p.phases.index), "site": list(p.sites.index)}

    @cached_property
    def _positions(self) -> dict[str, dict[str, int]]:
        """Where each name lies along its dimension (``_coords`` inverted; 'month' by 'YYYY-MM'), for ``get``."""
        return {dim: {name: i for i, name in enumerate(names)}
                for dim, names in {**self._coords, "month": self.months}.items()}

    @cached_property
    def dataset(self) -> Any:
        """Every named quantity as an xarray Dataset (variables 'group.quantity'; dims path, month, and the
        group's rows)."""
        import xarray as xr

        data = {name: xr.DataArray(values, dims=dims) for name, (values, dims) in self._arrays.items()}
        coords = {"path": np.arange(self.outcome.n_paths), **self._coords}
        ds = xr.Dataset(data, coords={**coords, "month": self.periods})
        for name, var in ds.data_vars.items():
            group, _, key = str(name).partition(".")
            unit, _, desc = QUANTITIES[group][key]
            var.attrs.update(unit=unit, description=desc)
        return ds

    @cached_property
    def _arrays(self) -> dict[str, tuple[np.ndarray, tuple[str, ...]]]:
        """Every named quantity as a numpy array and its dims: what ``dataset`` wraps, and where ``get`` reads
        one path's value without building the Dataset (~0.4 ms a quantity through xarray; a claims check
        asks for ~2,000)."""
        p, o = self.plan, self.outcome
        ph = p.phases
        eq_names, ln_names = list(p.equity.index), list(p.loans.index)
        n_sites = len(p.sites)
        data: dict[str, tuple[np.ndarray, tuple[str, ...]]] = {}

        def put(name: str, values: np.ndarray, dims: tuple[str, ...]) -> None:
            data[name] = (values, dims)

        f = o.field
        first = f("first_short")
        put("entities.first_shortfall", np.where(first >= 0, first, -1), ("path", "entity"))
        put("entities.months_short", f("months_short"), ("path", "entity"))
        put("entities.largest_gap_usd", f("largest_gap_usd"), ("path", "entity"))
        put("entities.final_gap_usd", f("final_gap_usd"), ("path", "entity"))
        put("entities.unpaid_total_usd", f("new_gap_total_usd"), ("path", "entity"))
        put("entities.lowest_cash_usd", f("lowest_cash_usd")[:, :-1], ("path", "entity"))
        put("entities.final_cash_usd", f("final_cash_usd")[:, :-1], ("path", "entity"))
        line_total = f("line_total_usd")
        put("loans.limit_usd", np.broadcast_to(p.loans.limit_usd, (o.n_paths, len(ln_names))), ("path", "loan"))
        put("loans.drawn_usd", line_total[:, p.loans.draw_line], ("path", "loan"))
        put("loans.repaid_usd", line_total[:, p.loans.principal_line], ("path", "loan"))
        put("loans.interest_paid_usd", line_total[:, p.loans.interest_line], ("path", "loan"))
        put("loans.capitalised_total_usd", f("capitalised_total_usd"), ("path", "loan"))
        put("loans.max_principal_usd", f("max_principal_usd"), ("path", "loan"))
        put("loans.final_principal_usd", f("final_principal_usd"), ("path", "loan"))
        put("loans.final_overdue_usd", f("final_overdue_usd"), ("path", "loan"))
        put("loans.swept_total_usd", f("swept_total_usd"), ("path", "loan"))
        put("loans.window_end", f("window_end"), ("path", "loan"))
        put("loans.first_lockup", f("first_lockup"), ("path", "loan"))
        put("loans.first_default", f("first_default"), ("path", "loan"))
        put("equity.amount_usd", np.broadcast_to(p.equity.amount_usd, (o.n_paths, len(eq_names))), ("path", "equity"))
        put("equity.called_total_usd", f("equity_called_total_usd"), ("path", "equity"))
        put("equity.paid_total_usd", f("equity_paid_total_usd"), ("path", "equity"))
        put("equity.final_missed_usd", f("final_missed_usd"), ("path", "equity"))
        energized = f("energized")
        n = p.axis.n
        put("phases.energized", np.where(energized < n, energized, -1), ("path", "phase"))
        input_paths = range(o.n_paths) if p.n_paths > 1 else range(1)  # plan inputs differ by path?
        planned = np.array([[p.planned_energization(h, q) for h in range(len(ph))] for q in input_paths])
        planned = np.broadcast_to(planned.reshape(len(input_paths), len(ph)), (o.n_paths, len(ph)))
        delay = np.where((energized < n) & (planned < n), energized - planned, np.nan)
        put("phases.delay_months", delay, ("path", "phase"))
        put("phases.capex_funded_total_usd", f("capex_funded_total_usd"), ("path", "phase"))
        capex_planned = np.stack([p.planned_capex(q) for q in input_paths])
        capex_planned = np.broadcast_to(capex_planned, (o.n_paths, *capex_planned.shape[1:]))
        put("program.capex_usd", capex_planned.sum(axis=(1, 2)), ("path",))
        funded_total = f("capex_funded_total_usd").sum(axis=1)
        put("program.funded_total_usd", funded_total, ("path",))
        put("program.gap_usd", np.maximum(capex_planned.sum(axis=(1, 2)) - funded_total, 0.0), ("path",))
        cols = np.arange(n)
        online = np.zeros((o.n_paths, n, n_sites))
        planned_mw = np.zeros((o.n_paths, n, n_sites))
        for h in range(len(ph)):
            online[:, :, ph.site[h]] += ph.it_mw[h] * (cols[None, :] >= energized[:, h:h + 1])
            planned_mw[:, :, ph.site[h]] += ph.it_mw[h] * (cols[None, :] >= planned[:, h:h + 1])
        put("sites.it_mw_online", online, ("path", "month", "site"))
        put("sites.it_mw_planned", planned_mw, ("path", "month", "site"))
        put("program.it_mw_online", online.sum(axis=2), ("path", "month"))
        put("program.capex_planned_usd", capex_planned.sum(axis=1).cumsum(axis=1), ("path", "month"))
        if o.full:
            put("entities.cash_usd", f("cash_usd")[:, :, :-1], ("path", "month", "entity"))
            for key, var in (("need_usd", "need_usd"), ("gap_usd", "gap_usd"), ("new_gap_usd", "new_gap_usd"),
                             ("carried_usd", "carried_usd")):
                put(f"entities.{key}", f(var), ("path", "month", "entity"))
            for key in ("principal_usd", "overdue_usd", "capitalised_usd", "arrears_usd", "swept_usd"):
                put(f"loans.{key}", f(key), ("path", "month", "loan"))
            put("entities.reserve_usd", f("reserve_usd"), ("path", "month", "entity"))
            put("entities.held_usd", f("held_usd"), ("path", "month", "entity"))
            put("equity.called_usd", f("equity_called_usd"), ("path", "month", "equity"))
            put("equity.paid_usd", f("equity_paid_usd"), ("path", "month", "equity"))
            put("equity.missed_usd", f("equity_missed_usd"), ("path", "month", "equity"))
            for key in ("capex_need_usd", "capex_funded_usd", "it_funded_share"):
                put(f"phases.{key}", f(key), ("path", "month", "phase"))
            funded = f("capex_funded_usd")
            site_capex = np.zeros((o.n_paths, n, n_sites))
            for h in range(len(ph)):
                site_capex[:, :, ph.site[h]] += funded[:, :, h]
            put("sites.capex_usd", site_capex, ("path", "month", "site"))
            put("program.funded_usd", funded.sum(axis=2).cumsum(axis=1), ("path", "month"))
        return data

    def get(self, name: str, path: int | None = None) -> Any:
        """A named quantity, e.g. 'entities.SoftBank.cash_usd@2025-01' or 'program.gap_usd': an xarray
        DataArray over paths (and months, when monthly and no @month is given), or one path's value."""
        key, dim, item, month, unit = self._parse(name)
        if path is not None and (month or "month" not in self._arrays[key][1]):  # one number
            value = self._read(key, dim, item, month, path)
            if unit == "month":
                v = int(value)
                return self.months[v] if v >= 0 else None
            return value.item()
        da = self.dataset[key]
        if dim is not None:
            da = da.sel({dim: item})
        if month:
            da = da.sel(month=month)
        if path is not None:
            return da.sel(path=self._path(path))
        return da

    def quantity(self, name: str, path: int = 0) -> np.ndarray:
        """One path's value of a named quantity as numpy, read from its array without building the Dataset:
        a 0-d array, or for a monthly quantity without @month its values by month. In the quantity's unit (a
        month quantity: its index from the first month, -1 for never). ``get`` through xarray took ~0.5 ms a
        quantity, and a claims check asks for ~2,000."""
        key, dim, item, month, _ = self._parse(name)
        return self._read(key, dim, item, month, path)

    def _read(self, key: str, dim: str | None, item: str, month: str, path: int) -> np.ndarray:
        """Variable `key` at one path (and item, and month if given), from its array; the name parsed already."""
        values, dims = self._arrays[key]
        at: dict[str, Any] = {"path": self._path(path),
                              "month": self._positions["month"][month] if month else slice(None)}
        if dim is not None:
            at[dim] = self._positions[dim][item]
        return np.asarray(values[tuple(at[d] for d in dims)])

    def _parse(self, name: str) -> tuple[str, str | None, str, str, str]:
        """(variable, its item's dimension, item, month, unit) of a quantity's name, or a UsageError that says
        what is wrong with it."""
        where, _, month = name.partition("@")
        group, _, rest = where.partition(".")
        item, _, key = rest.rpartition(".")
        if group not in QUANTITIES:
            raise UsageError(f"unknown quantity '{name}': the first part must be one of {', '.join(QUANTITIES)}")
        if key not in QUANTITIES[group]:
            raise UsageError(f"unknown quantity '{name}': {group} have {', '.join(QUANTITIES[group])}")
        unit, monthly, _ = QUANTITIES[group][key]
        if monthly and not self.outcome.full and f"{group}.{key}" not in self._arrays:
            raise UsageError(f"'{name}' is kept per month only with record='full'")
        if month and not monthly:
            raise UsageError(f"'{group}.{key}' is one value per path, not per month; drop '@{month}'")
        dim = {"entities": "entity", "loans": "loan", "equity": "equity", "phases": "phase", "sites": "site"}.get(group)
        if dim is not None:
            if item not in self._positions[dim]:
                known = ", ".join(self._coords[dim])
                raise UsageError(f"unknown quantity '{name}': no {dim} named '{item}'; known: {known}")
        elif item:
            raise UsageError(f"unknown quantity '{name}': program quantities have no item ('program.{key}')")
        if month and month not in self._positions["month"]:
            months = self.months
            raise UsageError(f"'{name}': month {month} is outside the run, {months[0]} to {months[-1]}")
        return f"{group}.{key}", dim, item, month, unit

    # --- exports --------------------------------------------------------------------------------------

    def to_excel(self, file: Any, path: int = 0) -> Any:
        """Write an Excel workbook of simulation path `path` to `file` (Summary, Inputs, Cash flow per entity,
        Loans, Gaps; values, money as numbers) and return its Path. Needs record='full'.

        The writer lives in the report layer (``fundcheck.report.exports``) and is imported here lazily: views
        import the engine, never the reverse; this lazy import is the documented exception."""
        from fundcheck.report.exports import write_excel

        return write_excel(self, file, self._path(path))

    def to_csv(self, folder: Any, path: int = 0) -> Any:
        """Write the workbook's tables as tidy CSV files (month, entity, item, usd) into `folder` and return it.
        Needs record='full'.

        The writer lives in the report layer (``fundcheck.report.exports``) and is imported here lazily: views
        import the engine, never the reverse; this lazy import is the documented exception."""
        from fundcheck.report.exports import write_csv

        return write_csv(self, folder, self._path(path))

    # --- JSON -----------------------------------------------------------------------------------------

    def to_json(self, path: int = 0) -> dict[str, Any]:
        """Machine-readable results (keys documented in the README); strict JSON: no NaN or Infinity."""
        from fundcheck import __version__

        def series(a: np.ndarray) -> list[float]:
            return [round(float(x), 2) for x in a]

        shortfall = self.first_shortfall(path)
        ent = self.plan.entities
        entities: dict[str, Any] = {}
        full = self.outcome.full
        summary = {k: self._summary(k, path) for k in ("months_short", "largest_gap_usd", "final_gap_usd",
                                                        "new_gap_total_usd", "new_gap_by_cause_usd")}
        for e, name in enumerate(ent.index):
            item: dict[str, Any] = {"kind": self.plan.entity_kinds[e], "outside": bool(ent.outside[e]),
                                    "first_shortfall": shortfall[name],
                                    "months_short": int(summary["months_short"][e]),
                                    "largest_gap_usd": round(float(summary["largest_gap_usd"][e]), 2),
                                    "gap_at_end_usd": round(float(summary["final_gap_usd"][e]), 2),
                                    "unpaid_total_usd": round(float(summary["new_gap_total_usd"][e]), 2),
                                    "unpaid_by_cause_usd": {c: round(float(v), 2) for c, v in
                                                            zip(CAUSE_NAMES, summary["new_gap_by_cause_usd"][e],
                                                                strict=True)}}
            if full:
                item.update(cash_usd=series(self._monthly("cash_usd", path)[:, e]),
                            need_usd=series(self._monthly("need_usd", path)[:, e]),
                            gap_usd=series(self._monthly("gap_usd", path)[:, e]),
                            new_gap_usd=series(self._monthly("new_gap_usd", path)[:, e]),
                            carried_usd=series(self._monthly("carried_usd", path)[:, e]))
                if ent.reserved[e]:
                    item["reserve_usd"] = series(self._monthly("reserve_usd", path)[:, e])
                if ent.holds_commitments[e]:
                    item["held_usd"] = series(self._monthly("held_usd", path)[:, e])
            entities[name] = item
        phases = self.phases(path)
        sites: dict[str, Any] = {}
        online, planned_mw = self.it_mw_online(path), self.it_mw_planned(path)
        capex_planned = self.capex_planned(path)
        capex = self.capex(path) if full else None
        for name in self.plan.sites.index:
            mine = phases[phases["site"] == name]
            full_planned = None if mine["energized_planned"].isna().any() else mine["energized_planned"].max()
            done = None if mine["energized"].isna().any() else mine["energized"].max()
            site: dict[str, Any] = {
                "capex_planned_usd": series(capex_planned[name].values),
                "it_mw_online": series(online[name].values), "it_mw_planned": series(planned_mw[name].values),
                "energized_planned": full_planned, "energized": done,
                "phases": [{"name": r.phase, "it_mw": r.it_mw, "energized_planned": r.energized_planned,
                            "energized": r.energized,
                            "delay_months": None if pd.isna(r.delay_months) else int(r.delay_months)}
                           for r in mine.itertuples()],
            }
            if capex is not None:
                site["capex_usd"] = series(capex[name].values)
            sites[name] = site
        instruments = {name: {k: (round(v, 2) if isinstance(v, float) else v) for k, v in d.items()}
                       for name, d in self.instruments(path).items()}
        return _strict({
            "schema_version": JSON_SCHEMA_VERSION,
            "fundcheck_version": __version__,
            "program": self.program,
            "alternatives": list(self.alternatives),
            "gap_policy": self.plan.gap_policy,
            "capex_shortfall": self.plan.capex_shortfall,
            "order_of_claims": self.plan.order_of_claims,
            "record": self.outcome.mode,
            "months": self.months,
            "totals": {k: round(v, 2) for k, v in self.totals(path).items()},
            "entities": entities,
            "sites": sites,
            "instruments": instruments,
            "maturities": None if not self.outcome.full else {
                name: {"borrower": r.borrower, "month": r.month, "due_usd": round(r.due_usd, 2),
                       "refinanced_usd": round(r.refinanced_usd, 2), "repaid_usd": round(r.repaid_usd, 2),
                       "unpaid_usd": round(r.unpaid_usd, 2), "interest_unpaid_usd": round(r.interest_unpaid_usd, 2),
                       "refinanced_by": r.refinanced_by or None,
                       "event": r.event or None}
                for name, r in self.maturities(path).iterrows()},
            "covenants": {
                name: {"borrower": r.borrower, "lockup_dscr": r.lockup_dscr, "default_dscr": r.default_dscr,
                       "sweep_share": r.sweep_share, "swept_usd": round(r.swept_usd, 2),
                       "tests": [{"month": m, "dscr": d} for m, d in r.tests], "first_lockup": r.first_lockup,
                       "lockups": r.lockups, "first_default": r.first_default, "event": r.event or None}
                for name, r in self.covenants(path).iterrows()},
            "checks": self.checks.as_dict(),
        })


def _strict(obj: Any) -> Any:
    """The same structure with NaN and infinities replaced by None (JSON has neither)."""
    if isinstance(obj, dict):
        return {k: _strict(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_strict(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj

