"""What a Monte Carlo run answers: shortfall probabilities with error bars, gap percentiles and fans.

Definitions (also in docs/uncertainty.md and the JSON):

- **P(shortfall)** of an entity: the share of paths on which it has a monthly gap over $1 at some month of the
  horizon (``by``: at or before a month). Its Monte Carlo standard error is sqrt(p (1 - p) / N), the binomial
  standard error of a share of N independent paths, and its 95% interval is Wilson's score interval (Wilson
  1927), which stays inside [0, 1] and is sound when p is near 0 or 1. With the ``lhs`` and ``sobol`` samplers
  the paths are not independent; the same formula is reported and is then usually conservative.
- **build gap** of a path: capex planned by the horizon end on that path's schedule and not funded by then (as
  ``fundcheck run``'s build gap). Percentiles are over paths; **expected shortfall** (ES 95%) is the mean
  build gap of the worst 5% of paths (the ceil(0.05 N) largest).
- **first shortfall month**: per entity, how many paths first fall short in each month (and how many never).
- **delay per site**: months from a site's planned energization (on the plan's schedule, its last phase) to its
  energization on the path, schedule delay and funding delay together; paths where it is not energized by the
  horizon end are counted apart.
- **MW online by year**: IT MW energized at each year's last modelled month, P5/P25/P50/P75/P95 over paths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fundcheck.engine.plan import Plan
from fundcheck.errors import UsageError
from fundcheck.scenario.schema import Scenario
from fundcheck.uncertainty.model import InputSet

__all__ = ["PERCENTILES", "MonteCarloResults", "wilson"]

PERCENTILES = (5, 25, 50, 75, 95)
Z95 = 1.959963984540054


def wilson(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a binomial proportion (Wilson 1927), 95% by default."""
    p = successes / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(max(p * (1 - p), 0.0) / n + z * z / (4 * n * n)) / den
    lo = 0.0 if successes <= 0 else max(0.0, centre - half)
    hi = 1.0 if successes >= n else min(1.0, centre + half)
    return lo, hi


@dataclass
class MonteCarloResults:
    """A Monte Carlo run: the per-path results it kept and the reductions over them."""

    scenario: Scenario
    plan: Plan
    inputs: InputSet
    paths: int
    seed: int
    sampler: str
    arrays: dict[str, np.ndarray]
    fan_gap_usd: np.ndarray  # fan paths x months
    seconds: float = 0.0
    backend: str = "threads"
    meta: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        g = self.gap_percentiles()
        return (f"<MonteCarloResults {self.plan.program}: {self.paths:,} paths, seed {self.seed}, {self.sampler}; "
                f"build gap P50 ${g['p50'] / 1e9:,.1f}B, P95 ${g['p95'] / 1e9:,.1f}B>")

    # --- axes ---------------------------------------------------------------------------------------------

    @property
    def months(self) -> list[str]:
        """The months of the horizon, 'YYYY-MM'."""
        return self.plan.axis.labels()

    @property
    def modelled_entities(self) -> list[str]:
        """Entities whose liquidity is modelled (outside parties never fall short)."""
        ent = self.plan.entities
        return [n for i, n in enumerate(ent.index) if not bool(ent.outside[i])]

    def _entity(self, name: str) -> int:
        if name not in self.plan.entities.index:
            raise UsageError(f"no entity named '{name}'; expected one of: {', '.join(self.modelled_entities)}")
        return self.plan.entities.index.index(name)

    def _month(self, month: str | int | None) -> int | None:
        if month is None or isinstance(month, int):
            return month
        try:
            return self.months.index(month)
        except ValueError:
            raise UsageError(f"by: found '{month}'; expected a month YYYY-MM from {self.months[0]} to "
                             f"{self.months[-1]}") from None

    # --- shortfall probabilities --------------------------------------------------------------------------

    def short(self, entity: str, by: str | int | None = None) -> np.ndarray:
        """Per path: True when the entity falls short (by the month `by`, or by the horizon end)."""
        first = self.arrays["first_short"][:, self._entity(entity)]
        hit = first >= 0
        m = self._month(by)
        return hit if m is None else hit & (first <= m)

    def p_shortfall(self, entity: str, by: str | int | None = None) -> dict[str, float]:
        """P(the entity falls short) with its standard error and 95% Wilson interval: {p, se, lo95, hi95}."""
        k = float(self.short(entity, by).sum())
        n = self.paths
        p = k / n
        lo, hi = wilson(k, n)
        return {"p": p, "se": math.sqrt(p * (1 - p) / n), "lo95": lo, "hi95": hi}

    @property
    def covenanted_loans(self) -> list[str]:
        """Loans with a lock-up or default test, in file order."""
        ln = self.plan.loans
        return [ln.index[i] for i in range(len(ln))
                if not (np.isnan(ln.lockup_dscr[i]) and np.isnan(ln.default_dscr[i]))]

    def p_covenant(self, loan: str) -> dict[str, dict[str, float]]:
        """For a covenanted loan: P(a lock-up) and P(an event of default) by the horizon end, each as
        {p, se, lo95, hi95} (``p_shortfall``'s form)."""
        ln = self.plan.loans
        if loan not in ln.index:
            raise UsageError(f"no loan named '{loan}'; loans: {', '.join(ln.index)}")
        i = ln.index.index(loan)
        out = {}
        for key, name in (("lockup", "first_lockup"), ("default", "first_default")):
            k = float((self.arrays[name][:, i] >= 0).sum())
            p = k / self.paths
            lo, hi = wilson(k, self.paths)
            out[key] = {"p": p, "se": math.sqrt(p * (1 - p) / self.paths), "lo95": lo, "hi95": hi}
        return out

    # --- the build gap --------------------------------------------------------------------------------------

    @property
    def gap_usd(self) -> np.ndarray:
        """The build gap of each path, USD."""
        return self.arrays["gap_usd"]

    def gap_percentiles(self) -> dict[str, float]:
        """Mean and P5..P95 of the build gap over paths, USD."""
        g = self.gap_usd
        out = {"mean": float(g.mean())}
        out.update({f"p{q}": float(v) for q, v in zip(PERCENTILES, np.percentile(g, PERCENTILES), strict=True)})
        return out

    def expected_shortfall(self, level: float = 0.95) -> float:
        """Mean build gap of the worst (1 - level) share of paths (at least one path), USD."""
        k = max(1, math.ceil((1 - level) * self.paths - 1e-9))
        return float(np.sort(self.gap_usd)[-k:].mean())

    def gap_fan(self) -> dict[str, list[float]]:
        """The build gap by month over the fan's paths: {'p5': [...], ..., 'p95': [...]}, USD."""
        f = self.fan_gap_usd
        if not len(f):
            return {}
        pct = np.percentile(f, PERCENTILES, axis=0)
        return {f"p{q}": pct[k].tolist() for k, q in enumerate(PERCENTILES)}

    # --- timing ---------------------------------------------------------------------------------------------

    def first_shortfall_counts(self, entity: str) -> dict[str, int]:
        """Paths that first fall short in each month ('YYYY-MM' -> count, months with none left out), and
        'never'."""
        first = self.arrays["first_short"][:, self._entity(entity)]
        months = self.months
        values, counts = np.unique(first, return_counts=True)
        out = {months[int(v)]: int(c) for v, c in zip(values, counts, strict=True) if v >= 0}
        out["never"] = int((first < 0).sum())
        return out

    def delay_by_site(self) -> dict[str, dict[str, float | None]]:
        """Per site: delay of its last phase's energization against the plan, P50 and P90 in months (None
        when more than that share is not energized by the horizon end), and P(not energized by the end)."""
        p = self.plan
        ph = p.phases
        energized = self.arrays["energized"]
        out: dict[str, dict[str, float | None]] = {}
        for k, site in enumerate(p.sites.index):
            hs = list(p.site_phases(k))
            if not hs:
                continue
            last = max(hs, key=lambda h: p.planned_energization(h))
            planned = p.planned_energization(last)
            got = energized[:, last]
            never = 10 * p.axis.n + 1e6  # stands for "not by the end" inside the percentiles
            late = np.where(got >= 0, got - planned, never).astype(np.float64)
            q = np.percentile(late, [50, 90])
            out[site] = {"phase": ph.index[last], "planned": p.axis.labels()[planned] if planned < p.axis.n else None,
                         "p50_months": None if q[0] >= never / 2 else float(q[0]),
                         "p90_months": None if q[1] >= never / 2 else float(q[1]),
                         "p_not_by_end": float((got < 0).mean())}
        return out

    def mw_online_by_year(self) -> dict[str, dict[str, float]]:
        """IT MW energized at each year's last modelled month: year -> {p5, ..., p95, planned}."""
        p = self.plan
        ph = p.phases
        energized = self.arrays["energized"]
        months = self.months
        last: dict[str, int] = {}
        for i, m in enumerate(months):
            last[m[:4]] = i
        mw = ph.it_mw.astype(np.float64)
        planned_e = np.array([p.planned_energization(h) for h in range(len(ph))])
        out = {}
        for year, t in last.items():
            on = ((energized >= 0) & (energized <= t)).astype(np.float64) @ mw
            pct = np.percentile(on, PERCENTILES)
            row = {f"p{q}": float(v) for q, v in zip(PERCENTILES, pct, strict=True)}
            row["planned"] = float(mw[planned_e <= t].sum())
            out[year] = row
        return out

    # --- views ----------------------------------------------------------------------------------------------

    def input_table(self) -> list[dict[str, Any]]:
        """Each uncertain input: name, path, distribution, point value, P10/P50/P90 and source; a choice also
        lists its options (option, weight, value, source)."""
        rows = []
        x = self.arrays.get("x")
        for j, inp in enumerate(self.inputs.inputs):
            col = x[:, j] if x is not None and x.shape[1] > j else np.array([np.nan])
            finite = col[np.isfinite(col)]
            q = np.percentile(finite, [10, 50, 90]) if len(finite) else [None] * 3
            rows.append({"name": inp.name, "path": inp.path, "dist": inp.describe or inp.marginal.kind,
                         "point": inp.point if math.isfinite(inp.point) else None,
                         "p10": None if q[0] is None else float(q[0]), "p50": None if q[1] is None else float(q[1]),
                         "p90": None if q[2] is None else float(q[2]),
                         "p_finite": float(len(finite) / max(len(col), 1)), "source": inp.source})
            if inp.options:
                rows[-1]["options"] = [dict(o) for o in inp.options]
        return rows

    def to_json(self) -> dict[str, Any]:
        """Machine-readable results (keys documented in docs/uncertainty.md)."""
        from fundcheck import __version__

        dates = [self.plan.axis.labels()[self.plan.axis.index(m)] for m in
                 (self.scenario.uncertainty.dates if self.scenario.uncertainty is not None else [])]
        p_short = {}
        for e in self.modelled_entities:
            row: dict[str, Any] = self.p_shortfall(e)
            row["by"] = {d: self.p_shortfall(e, d) for d in dates}
            p_short[e] = row
        gap = self.gap_percentiles()
        gap["expected_shortfall_95"] = self.expected_shortfall(0.95)
        return {
            "schema": "fundcheck.montecarlo/1", "fundcheck_version": __version__,
            "program": self.plan.program, "alternatives": list(self.plan.alternatives),
            "gap_policy": self.plan.gap_policy, "capex_shortfall": self.plan.capex_shortfall,
            "order_of_claims": self.plan.order_of_claims,
            "paths": self.paths, "seed": self.seed, "sampler": self.sampler, "backend": self.backend,
            "seconds": round(self.seconds, 3),
            "inputs": self.input_table(),
            "notes": list(self.inputs.notes),
            "p_shortfall": p_short,
            "p_covenant": {name: self.p_covenant(name) for name in self.covenanted_loans},
            "gap_usd": gap,
            "gap_fan_usd": {"paths": len(self.fan_gap_usd), "months": self.months, **self.gap_fan()},
            "first_shortfall": {e: self.first_shortfall_counts(e) for e in self.modelled_entities},
            "delay_by_site": self.delay_by_site(),
            "mw_online_by_year": self.mw_online_by_year(),
        }
