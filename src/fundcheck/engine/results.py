"""Results of a run: the outputs people read, derived from the outcome (tables as pandas DataFrames).

Definitions used throughout (and in the JSON, see README):

- **capex** (``capex_usd``): capex planned to be spent by the horizon end, on the plan's schedule.
- **funded**: capex actually paid by the horizon end. **gap** (``totals.gap_usd``): capex planned by the
  horizon end that was not funded by then. An entity's monthly ``gap_usd`` is the part of that month's
  need (capex, equity calls on it, contract bills, debt service) it could not fund.
- **committed**: the face amount of every equity commitment and loan facility in the capital stack.
- **secured**: the part of a commitment backed by the provider's liquidity (cash, open loans, money it can
  raise) in the month the commitment opens, shared pro rata over the provider's open commitments then.
- **deployed**: money actually paid in through those instruments by the horizon end.

Monthly tables describe one path (``path=0``: a deterministic run has only one).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from fundcheck.engine.checks import Checks, run_checks
from fundcheck.engine.plan import NEVER, Plan
from fundcheck.engine.simulate import KIND, Outcome
from fundcheck.scenario.schema import Scenario

__all__ = ["SHORTFALL_USD", "Results"]

SHORTFALL_USD = 1.0  # a gap below a dollar is rounding, not a shortfall


@dataclass
class Results:
    """A run's outcome with the tables, totals and checks derived from it."""

    scenario: Scenario
    plan: Plan
    outcome: Outcome

    # --- axes -----------------------------------------------------------------------------------------

    @cached_property
    def months(self) -> list[str]:
        """The months of the run as 'YYYY-MM'."""
        return self.plan.axis.labels()

    @property
    def program(self) -> str:
        """The program's name."""
        return self.plan.program

    @cached_property
    def checks(self) -> Checks:
        """The invariants of design.md, measured on this run."""
        return run_checks(self.outcome)

    def _month_or_none(self, column: int) -> str | None:
        return self.plan.axis.label(int(column)) if 0 <= column < self.plan.axis.n else None

    @cached_property
    def funded_entities(self) -> list[str]:
        """Entities whose liquidity is modelled and that had something to pay."""
        return [e.name for i, e in enumerate(self.plan.entities)
                if not e.outside and self.outcome.need_usd[i].any()]

    # --- monthly tables -------------------------------------------------------------------------------

    def _frame(self, data: np.ndarray, columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame(data.T, index=pd.Index(self.months, name="month"), columns=columns)

    def cash(self, path: int = 0) -> pd.DataFrame:
        """Closing cash per entity and month, USD."""
        return self._frame(self.outcome.cash_usd[:-1, path], [e.name for e in self.plan.entities])

    def gap(self, path: int = 0) -> pd.DataFrame:
        """Unfunded need per entity and month, USD."""
        return self._frame(self.outcome.gap_usd[:, path], [e.name for e in self.plan.entities])

    def need(self, path: int = 0) -> pd.DataFrame:
        """What each entity had to pay per month (deferred capex included), USD."""
        return self._frame(self.outcome.need_usd[:, path], [e.name for e in self.plan.entities])

    def it_mw_online(self, path: int = 0) -> pd.DataFrame:
        """IT MW energized per site and month as modelled."""
        out = np.zeros((len(self.plan.sites), self.plan.axis.n))
        cols = np.arange(self.plan.axis.n)
        for k, ph in enumerate(self.plan.phases):
            out[ph.site] += ph.it_mw * (cols >= self.outcome.energized[k, path])
        return self._frame(out, list(self.plan.sites))

    def it_mw_planned(self) -> pd.DataFrame:
        """IT MW energized per site and month on the plan's schedule."""
        return self._frame(self.plan.planned_it_mw(), list(self.plan.sites))

    def capex(self, path: int = 0) -> pd.DataFrame:
        """Capex funded per site and month, USD."""
        out = np.zeros((len(self.plan.sites), self.plan.axis.n))
        for k, ph in enumerate(self.plan.phases):
            out[ph.site] += self.outcome.capex_funded_usd[k, path]
        return self._frame(out, list(self.plan.sites))

    def capex_planned(self) -> pd.DataFrame:
        """Capex per site and month on the plan's schedule, USD."""
        planned = self.plan.planned_capex()
        out = np.zeros((len(self.plan.sites), self.plan.axis.n))
        for k, ph in enumerate(self.plan.phases):
            out[ph.site] += planned[k]
        return self._frame(out, list(self.plan.sites))

    def flows(self, path: int = 0) -> pd.DataFrame:
        """Every flow of the run: payer, payee, kind, label, month, usd."""
        return self.outcome.ledger.frame(self.plan.account_names, self.months, path)

    # --- summaries ------------------------------------------------------------------------------------

    def first_shortfall(self, path: int = 0) -> dict[str, str | None]:
        """The first month each entity could not fund a need (None if never)."""
        out: dict[str, str | None] = {}
        for i, e in enumerate(self.plan.entities):
            short = np.flatnonzero(self.outcome.gap_usd[i, path] > SHORTFALL_USD)
            out[e.name] = self.months[short[0]] if short.size else None
        return out

    def gap_by_quarter(self, path: int = 0) -> pd.DataFrame:
        """Largest monthly gap in each quarter, per funded entity, USD (quarters with a gap only)."""
        g = self.gap(path)[self.funded_entities]
        quarters = [f"{m[:4]}-Q{(int(m[5:]) - 1) // 3 + 1}" for m in self.months]
        table = g.groupby(pd.Index(quarters, name="quarter")).max()
        table = table.loc[:, (table > SHORTFALL_USD).any(axis=0)]
        return table[(table > SHORTFALL_USD).any(axis=1)]

    def shortfalls(self, path: int = 0) -> pd.DataFrame:
        """Per funded entity: first month short, months short, largest and last monthly gap (USD)."""
        gap = self.gap(path)[self.funded_entities]
        first = self.first_shortfall(path)
        return pd.DataFrame({
            "first_shortfall": pd.Series([first[e] for e in gap.columns], dtype=object),
            "months_short": (gap > SHORTFALL_USD).sum().values,
            "largest_gap_usd": gap.max().values,
            "gap_at_end_usd": gap.iloc[-1].values,
        }).set_axis(pd.Index(gap.columns, name="entity"))

    def sources_and_uses(self, path: int = 0) -> pd.DataFrame:
        """Per funded entity, money in (sources) and out (uses) over the horizon by kind, plus gap and the
        change in cash, so that sources = uses + change in cash. USD."""
        ledger = self.outcome.ledger
        names = self.plan.account_names
        rows = []
        for e_name in self.funded_entities:
            e = names.index(e_name)
            for key, line in ledger.lines.items():
                amount = float(line[path].sum())
                if key.payee == e:
                    rows.append((e_name, "source", key.kind, names[key.payer], key.label, amount))
                if key.payer == e:
                    rows.append((e_name, "use", key.kind, names[key.payee], key.label, amount))
            rows.append((e_name, "gap", "unfunded need", "", "", float(self.outcome.gap_usd[e, path].sum())))
        return pd.DataFrame(rows, columns=["entity", "side", "kind", "counterparty", "label", "usd"])

    def money(self, path: int = 0) -> pd.DataFrame:
        """Each instrument of the capital stack: committed, secured and deployed, USD."""
        p, o = self.plan, self.outcome
        names = p.account_names
        rows = []
        for q, eq in enumerate(p.equity):
            rows.append((eq.name, "equity", names[eq.investor], names[eq.investee], eq.amount_usd,
                         float(o.secured_usd[q, path]), float(o.equity_paid_usd[q, path].sum())))
        for k, ln in enumerate(p.loans):
            if ln.credit_line:
                continue
            drawn = float(o.ledger.total(KIND.DRAW, ln.name)[path].sum())
            rows.append((ln.name, ln.kind, names[ln.lender], names[ln.borrower], ln.limit_usd,
                         float(o.secured_usd[len(p.equity) + k, path]), drawn))
        return pd.DataFrame(rows, columns=["instrument", "kind", "from", "to", "committed_usd", "secured_usd",
                                           "deployed_usd"])

    def mw_by_year(self, path: int = 0) -> pd.DataFrame:
        """IT MW online at each year's end (or the horizon's end): planned and modelled."""
        planned = self.it_mw_planned().sum(axis=1)
        modelled = self.it_mw_online(path).sum(axis=1)
        years = [m[:4] for m in self.months]
        frame = pd.DataFrame({"planned_mw": planned.values, "modelled_mw": modelled.values}, index=years)
        out = frame.groupby(level=0).last()
        out.index.name = "year"
        out["delayed_mw"] = out["planned_mw"] - out["modelled_mw"]
        return out

    def phases(self, path: int = 0) -> pd.DataFrame:
        """Each phase: MW, capex, planned and modelled energization, delay in months."""
        rows = []
        for k, ph in enumerate(self.plan.phases):
            got = int(self.outcome.energized[k, path])
            planned = ph.planned_energization
            # no delay figure when either date falls past the horizon end
            delay = None if got >= NEVER or planned >= self.plan.axis.n else got - planned
            rows.append((self.plan.sites[ph.site], ph.name, ph.it_mw, ph.facility_capex_usd, ph.it_capex_usd,
                         self._month_or_none(planned), self._month_or_none(got), delay))
        return pd.DataFrame(rows, columns=["site", "phase", "it_mw", "facility_capex_usd", "it_capex_usd",
                                           "energized_planned", "energized", "delay_months"])

    def totals(self, path: int = 0) -> dict[str, float]:
        """Program totals over the horizon, USD (see the module docstring for the definitions)."""
        o = self.outcome
        capex = float(self.plan.planned_capex().sum())
        funded = float(o.capex_funded_usd[:, path].sum())
        money = self.money(path)
        return {
            "capex_usd": capex,
            "committed_usd": float(money["committed_usd"].sum()),
            "secured_usd": float(money["secured_usd"].sum()),
            "deployed_usd": float(money["deployed_usd"].sum()),
            "funded_usd": funded,
            "gap_usd": max(capex - funded, 0.0),
        }

    # --- JSON -----------------------------------------------------------------------------------------

    def to_json(self, path: int = 0) -> dict[str, Any]:
        """Machine-readable results (schema in the README)."""
        def series(a: np.ndarray) -> list[float]:
            return [round(float(x), 2) for x in a]

        o = self.outcome
        shortfall = self.first_shortfall(path)
        entities = {}
        for i, e in enumerate(self.plan.entities):
            entities[e.name] = {
                "kind": e.kind, "outside": e.outside,
                "cash_usd": series(o.cash_usd[i, path]), "need_usd": series(o.need_usd[i, path]),
                "gap_usd": series(o.gap_usd[i, path]), "first_shortfall": shortfall[e.name],
            }
        online, planned_mw = self.it_mw_online(path), self.it_mw_planned()
        capex, capex_planned = self.capex(path), self.capex_planned()
        phases = self.phases(path)
        sites = {}
        for name in self.plan.sites:
            mine = phases[phases["site"] == name]
            full_planned = None if mine["energized_planned"].isna().any() else mine["energized_planned"].max()
            full = None if mine["energized"].isna().any() else mine["energized"].max()
            sites[name] = {
                "capex_usd": series(capex[name].values), "capex_planned_usd": series(capex_planned[name].values),
                "it_mw_online": series(online[name].values), "it_mw_planned": series(planned_mw[name].values),
                "energized_planned": full_planned, "energized": full,
                "phases": [{"name": r.phase, "it_mw": r.it_mw, "energized_planned": r.energized_planned,
                            "energized": r.energized,
                            "delay_months": None if pd.isna(r.delay_months) else int(r.delay_months)}
                           for r in mine.itertuples()],
            }
        return {
            "program": self.program,
            "gap_policy": self.plan.gap_policy,
            "months": self.months,
            "totals": {k: round(v, 2) for k, v in self.totals(path).items()},
            "entities": entities,
            "sites": sites,
            "instruments": self.money(path).round(2).to_dict(orient="records"),
            "checks": self.checks.as_dict(),
        }

