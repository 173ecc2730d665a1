"""Monte Carlo conditioned on each world: P(shortfall) per entity, P(build gap), P(forecast holds).

``world_probabilities(check, paths, seed, sampler)`` samples the scenario's uncertain inputs
(``uncertainty.model.compile_inputs``) with the same seed for every world, so worlds are compared on common
random numbers (path k has the same draws in every world), and conditions them on each world:

- the inputs the world sets that are **not uncertain** keep the world's deterministic values
  (``check.conditioning``; a bound on such an input was checked once, at that value, by ``check_ledger``);
- an uncertain input that the kept claims (with the identities, and the other inputs held at the world's
  values) pin to one value is **fixed**: set to that value on every path, and reported as no longer uncertain
  in the world; so is one a kept ``~`` claim names alone (set to the claim's value, within what the world's
  other claims allow);
- an uncertain input they only **bound** is conditioned by **rejection**: a path whose sampled value lies
  outside the implied interval gets weight 0. The interval is the projection of the world's constraints
  onto that input (two HiGHS solves), exact when it is the only bounded uncertain input its constraints
  reach; where the kept claims tie two or more bounded uncertain inputs together (through a sum or a registry
  word), each path inside the box is also checked with one LP (``System.feasible``) with its values fixed.

Weights are 0 or 1, so the effective sample size (Kish, (sum w)^2 / sum w^2) is the accepted count. The
accepted paths run through the engine with ``record="summary"``. Per world: P(shortfall) per entity (a
monthly gap over $1 by the horizon end, as ``fundcheck simulate``), P(build gap > $1) and the mean gap
(capex planned by the horizon end on the path's own schedule and not funded), and P(holds) for each
forecast whose quantity the engine computes, each with its binomial standard error sqrt(p(1 - p) / n).

Forecast quantities, per kind:

- **from the summary record** (every accepted path): ``phases.P.energized``, ``sites.S.it_mw_online@M`` and
  ``program.it_mw_online@M`` (the IT MW of the phases energized by month M), ``entities.E.first_shortfall``
  and the per-run totals the summary keeps (``program.gap_usd``, ``program.funded_total_usd``,
  ``program.capex_usd``, ``phases.P.capex_funded_total_usd``, an entity's ``months_short``,
  ``largest_gap_usd``, ``final_gap_usd``, ``unpaid_total_usd``, ``lowest_cash_usd``, ``final_cash_usd``, a
  loan's ``max_principal_usd``, ``final_principal_usd``, ``final_overdue_usd``, ``capitalised_total_usd``, an
  equity's ``called_total_usd``, ``paid_total_usd``, ``final_missed_usd``);
- **from a full-record subsample**: every other quantity (monthly money such as ``program.funded_usd@M``,
  the word ``deployed``, ...). The first `full_paths` accepted paths (in path order) run again with
  ``record="full"``, streamed through the engine's ``on_chunk`` 256 paths at a time, so memory is bounded by
  256 monthly records; the probability and its error are over those paths (``n`` in the output).

Forecasts about inputs or about words the engine has no quantity for (secured, ready, raised, committed) are
listed as not computed, with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from fundcheck.claims.compile import Row, System
from fundcheck.claims.records import SCALE, Claim, month_index
from fundcheck.claims.registry import DEFINITIONS

__all__ = ["DEFAULT_FULL_PATHS", "NO_PATH", "InputCondition", "WorldMC", "forecast_record", "usd",
           "world_conditions", "world_probabilities"]

DEFAULT_FULL_PATHS = 256
FULL_CHUNK = 256
DEFAULT_CHUNK = 16_384
GAP_USD = 1.0  # a build gap below a dollar is rounding (as SHORTFALL_USD for a monthly gap)
NO_PATH = "no sampled path satisfies this world's bounds"

# result quantities read from the summary record: group.key -> (summary field, slice of its rows)
_SUMMARY = {
    "entities.months_short": "months_short", "entities.largest_gap_usd": "largest_gap_usd",
    "entities.final_gap_usd": "final_gap_usd", "entities.unpaid_total_usd": "new_gap_total_usd",
    "entities.lowest_cash_usd": "lowest_cash_usd", "entities.final_cash_usd": "final_cash_usd",
    "loans.max_principal_usd": "max_principal_usd", "loans.final_principal_usd": "final_principal_usd",
    "loans.final_overdue_usd": "final_overdue_usd", "loans.capitalised_total_usd": "capitalised_total_usd",
    "equity.called_total_usd": "equity_called_total_usd", "equity.paid_total_usd": "equity_paid_total_usd",
    "equity.final_missed_usd": "final_missed_usd", "phases.capex_funded_total_usd": "capex_funded_total_usd",
}
_SUMMARY_OTHER = {"phases.energized", "sites.it_mw_online", "program.it_mw_online", "entities.first_shortfall",
                  "program.gap_usd", "program.funded_total_usd", "program.capex_usd"}
_ROWS = {"entities": "entities", "loans": "loans", "equity": "equity", "phases": "phases", "sites": "sites"}


@dataclass
class InputCondition:
    """How a world conditions one uncertain input's cell of the plan."""

    quantity: str             # the claim variable (a plan cell), e.g. entities.SoftBank.opening_cash_usd
    input: str                # the uncertain input that sets it (its name in the scenario)
    how: str                  # "fixed" (set on every path) or "bounded" (rejection)
    claims: list[str]         # the kept claims that bind it
    value: float | None = None  # fixed: the value (base units)
    low: float | None = None    # bounded: the interval (base units; None = unbounded)
    high: float | None = None
    whole_input: bool = True    # fixed: the input sets no other cell (so it is no longer uncertain at all)

    def text(self, unit: str) -> str:
        by = ", ".join(self.claims)
        if self.how == "fixed":
            rest = "not uncertain in this world" if self.whole_input else "this cell not uncertain in this world"
            return f"{self.input} fixed at {_shown(self.value, unit)} by {by} ({rest})"
        if self.low is not None and self.high is not None:
            rng = f"in [{_shown(self.low, unit)}, {_shown(self.high, unit)}]"
        elif self.high is not None:
            rng = f"<= {_shown(self.high, unit)}"
        else:
            rng = f">= {_shown(self.low, unit)}"
        return f"{self.input} {rng} ({by}): by rejection"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"quantity": self.quantity, "input": self.input, "how": self.how,
                               "claims": self.claims}
        if self.how == "fixed":
            out.update(value=self.value, whole_input=self.whole_input)
        else:
            out.update(low=self.low, high=self.high)
        return out


@dataclass
class WorldMC:
    """The Monte Carlo of one world."""

    world: str
    paths: int
    seed: int
    sampler: str
    accepted: int
    ess: float
    p_shortfall: dict[str, dict[str, float]] = field(default_factory=dict)   # entity -> {p, se}
    p_gap: dict[str, float] | None = None                                    # {p, se}
    mean_gap_usd: float | None = None
    forecasts: dict[str, dict[str, Any]] = field(default_factory=dict)       # id -> {p, se, n, record}
    not_computed: dict[str, str] = field(default_factory=dict)               # forecast id -> why
    conditions: list[InputCondition] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)                      # quantity -> unit (for text)
    joint_check: bool = False   # some paths were checked with one LP each (bounded inputs tied together)
    note: str = ""

    @property
    def acceptance(self) -> float:
        return self.accepted / self.paths if self.paths else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"paths": self.paths, "seed": self.seed, "sampler": self.sampler, "accepted": self.accepted,
                "acceptance": self.acceptance, "ess": self.ess, "p_shortfall": self.p_shortfall,
                "p_gap": self.p_gap, "mean_gap_usd": self.mean_gap_usd, "forecasts": self.forecasts,
                "forecasts_not_computed": self.not_computed,
                "fixed": [c.to_json() for c in self.conditions if c.how == "fixed"],
                "bounded": [c.to_json() for c in self.conditions if c.how == "bounded"],
                "joint_check": self.joint_check, "note": self.note}

    def condition_texts(self) -> list[str]:
        return [c.text(self.units.get(c.quantity, "USD")) for c in self.conditions]


def usd(v: float) -> str:
    """An amount as '$33.2B', '$30M' or '$0'."""
    return _shown(v, "USD")


def _shown(v: float | None, unit: str) -> str:
    if v is None:
        return "unbounded"
    if unit == "USD":
        a = abs(v)
        if a >= 100e9:
            return f"${v / 1e9:,.0f}B"
        if a >= 1e9:
            return f"${v / 1e9:,.1f}B"
        if a >= 1e6:
            return f"${v / 1e6:,.1f}M"
        return f"${v:,.0f}"
    if unit == "fraction":
        return f"{v * 100:,.4g}%"
    return f"{v:,.6g} {unit}"


def _p(k: float, n: int) -> dict[str, float]:
    p = k / n
    return {"p": p, "se": math.sqrt(max(p * (1.0 - p), 0.0) / n)}


# --- conditions ----------------------------------------------------------------------------------------------

@dataclass
class _Plan:
    """What one world does to the sampled inputs."""

    fixed: list[tuple[str, int, float]]                        # (plan column, row, value) set on every path
    boxes: list[tuple[int, float, float | None, float | None]]  # (input column j, factor, low, high) base units
    joint: list[list[tuple[str, int, float]]]                  # groups (var, j, factor) checked by one LP per path
    system: System | None = None                              # with the world's other inputs held
    keeps: list[str] = field(default_factory=list)


def _cells(inputs: Any) -> dict[tuple[str, int], tuple[int, float]]:
    """(plan column, row) -> (input column j, factor) for every cell an uncertain amount sets."""
    out: dict[tuple[str, int], tuple[int, float]] = {}
    for j, inp in enumerate(inputs.inputs):
        if inp.kind != "value":
            continue
        for t in inp.targets:
            for r, f in zip(t.rows, t.factor, strict=True):
                out[(t.column, int(r))] = (j, float(f))
    return out


def world_conditions(system: System, keeps: list[str], conditioned: Any, inputs: Any
                     ) -> tuple[list[InputCondition], _Plan]:
    """How a world conditions the uncertain inputs: which cells it fixes, which it bounds (rejection)."""
    names = system.names
    cells = _cells(inputs)
    uncertain = [v for v in conditioned.values if names.plan_column.get(v) in cells]
    held = [Row(((v, 1.0),), val * SCALE.get(names.parse(v)[4], 1.0), val * SCALE.get(names.parse(v)[4], 1.0), "",
                f"{v} held at the world's value")
            for v, val in conditioned.values.items() if v not in uncertain and v in system.variables]
    sys2 = replace(system, identities=[*system.identities, *held])
    conds: list[InputCondition] = []
    fixed: list[tuple[str, int, float]] = []
    bounded: dict[str, tuple[float | None, float | None]] = {}
    per_input: dict[int, int] = {}
    for j, _ in cells.values():
        per_input[j] = per_input.get(j, 0) + 1
    for v in uncertain:
        column, row = names.plan_column[v]
        j, factor = cells[(column, row)]
        scale = SCALE.get(names.parse(v)[4], 1.0)
        lo, hi = sys2.implied(keeps, {v: 1.0})
        claims = conditioned.bound_by.get(v, [])
        name = inputs.inputs[j].name
        about = _about(system, keeps, v)
        if lo is not None and hi is not None and hi - lo <= 1e-9 * max(1.0, abs(lo)):
            value = conditioned.values[v]
        elif about is not None and v in conditioned.values:
            # '~' fixes it too, at the value the world's deterministic run uses (the point of the tolerance band
            # nearest the scenario's value), so the world's line and its Monte Carlo agree
            value = conditioned.values[v]
        elif about is not None:
            value = round(min(max(about, -math.inf if lo is None else lo), math.inf if hi is None else hi) / scale, 6)
        else:
            value = None
        if value is not None:
            fixed.append((column, row, value))
            conds.append(InputCondition(v, name, "fixed", claims, value=value, whole_input=per_input[j] == 1))
        else:
            low = None if lo is None else lo / scale
            high = None if hi is None else hi / scale
            bounded[v] = (low, high)
            conds.append(InputCondition(v, name, "bounded", claims, low=low, high=high))
    boxes = []
    for v, (low, high) in bounded.items():
        j, factor = cells[names.plan_column[v]]
        boxes.append((j, factor, low, high))
    # bounded uncertain cells tied together by the kept rows (through variables not held): one LP per path
    from fundcheck.claims.check import linked

    pinned = set(conditioned.values) - set(bounded)
    find = linked([x for x, _ in row.coefs if x not in pinned]
                  for row in [*system.identities, *(r for cid in keeps for r in system.rows[cid])])
    groups: dict[str, list[str]] = {}
    for v in bounded:
        groups.setdefault(find(v), []).append(v)
    fixed_rows = [Row(((v, 1.0),), val * SCALE.get(names.parse(v)[4], 1.0), val * SCALE.get(names.parse(v)[4], 1.0),
                      "", f"{v} fixed") for v, val in conditioned.values.items()
                  if v in system.variables and v in uncertain and v not in bounded]
    joint = [[(v, *cells[names.plan_column[v]]) for v in g] for g in groups.values() if len(g) > 1]
    plan = _Plan(fixed=fixed, boxes=boxes, joint=joint,
                 system=replace(sys2, identities=[*sys2.identities, *fixed_rows]) if joint else None, keeps=keeps)
    return conds, plan


def _about(system: System, keeps: list[str], var: str) -> float | None:
    """The value (display units) of a kept '~' claim on `var` alone, or None."""
    for cid in keeps:
        c = system.claims[cid]
        if c.relation != "~" or c.low is None or c.high is None:
            continue
        expr = system.names.expression(c)
        if set(expr) == {var} and expr[var] != 0:
            return (c.low + c.high) / 2 / expr[var]
    return None


def _accept(x: np.ndarray, wp: _Plan, names: Any) -> np.ndarray:
    """Weight (0 or 1) of each sampled path in the world."""
    ok = np.ones(x.shape[0], dtype=bool)
    for j, factor, low, high in wp.boxes:
        v = x[:, j] * factor
        if low is not None:
            ok &= v >= low - 1e-12 * max(1.0, abs(low))
        if high is not None:
            ok &= v <= high + 1e-12 * max(1.0, abs(high))
    if wp.joint and wp.system is not None:
        for k in np.flatnonzero(ok):
            rows = []
            for group in wp.joint:
                for var, j, factor in group:
                    val = float(x[k, j] * factor) * SCALE.get(names.parse(var)[4], 1.0)
                    rows.append(Row(((var, 1.0),), val, val, "", f"{var} sampled"))
            ok[k] = replace(wp.system, identities=[*wp.system.identities, *rows]).feasible(wp.keeps)
    return ok


def _with_fixed(plan: Any, fixed: list[tuple[str, int, float]], n: int) -> Any:
    for column, row, value in fixed:
        table, _, key = column.partition(".")
        a = plan.tables[table].columns[key]
        arr = np.array(np.broadcast_to(a, (n, *a.shape[1:])) if a.shape[0] in (1, n) else a)
        arr[:, row] = value
        plan = plan.vary(column, arr)
    return plan


# --- forecasts -----------------------------------------------------------------------------------------------

def forecast_record(c: Claim, names: Any, months: list[str]) -> tuple[str, str]:
    """('summary' | 'full', '') for a forecast the engine computes, or ('', why not)."""
    if c.definition:
        d = DEFINITIONS[c.definition]
        if d.word != "deployed":
            return "", f"the engine has no quantity for '{d.word}'"
        if not c.as_of or c.as_of not in months:
            return "", f"{c.as_of or 'no month'} is outside the run"
        return "full", ""
    if not c.quantity:
        return "", "no quantity"
    record = "summary"
    for q in c.quantity:
        try:
            group, _, key, _, _, is_input = names.parse(q)
        except ValueError as exc:
            return "", str(exc)
        if is_input:
            return "", f"{q} is a scenario input, not an outcome"
        if f"{group}.{key}" not in _SUMMARY and f"{group}.{key}" not in _SUMMARY_OTHER:
            record = "full"
    return record, ""


def _summary_values(c: Claim, names: Any, out: Any, plan: Any, gap: np.ndarray, planned: np.ndarray,
                    base: int) -> np.ndarray:
    """Per path, the forecast's quantity in display units (NaN: never) from a summary record."""
    total = np.zeros(out.n_paths)
    n = plan.axis.n
    months = plan.axis.labels()
    for q in c.quantity:
        group, item, key, month, unit, _ = names.parse(q)
        name = f"{group}.{key}"
        rows = list(getattr(plan, _ROWS[group]).index) if group in _ROWS else []
        r = rows.index(item) if item else -1
        if name == "phases.energized":
            e = out.field("energized")[:, r].astype(float)
            v = np.where(e < n, base + e, np.nan)
        elif name == "entities.first_shortfall":
            f = out.field("first_short")[:, r].astype(float)
            v = np.where(f >= 0, base + f, np.nan)
        elif name in ("sites.it_mw_online", "program.it_mw_online"):
            m = months.index(month)
            e = out.field("energized")
            ph = plan.phases
            v = np.zeros(out.n_paths)
            for h in range(len(ph)):
                if group == "program" or int(ph.site[h]) == r:
                    v += float(ph.it_mw[h]) * (e[:, h] <= m)
        elif name == "program.gap_usd":
            v = gap
        elif name == "program.capex_usd":
            v = planned
        elif name == "program.funded_total_usd":
            v = out.field("capex_funded_total_usd").sum(axis=1)
        else:
            v = out.field(_SUMMARY[name])[:, r].astype(float)
        total = total + v * SCALE.get(unit, 1.0)
    return total


def _results_values(c: Claim, names: Any, results: Any) -> np.ndarray:
    """Per path of a Results, the forecast's quantity in display units (NaN: never); the same arithmetic
    as ``check.model_value``, over all paths at once."""
    months = results.months
    if c.definition:
        upto = months.index(c.as_of) + 1
        if c.subject == names.jv:
            series = [f"phases.{p}.capex_funded_usd" for p, owners in names.phase_owners.items()
                      if c.subject in owners]
        else:
            series = [f"equity.{names.partners[c.subject]}.paid_usd"]
        total = sum(np.asarray(results.get(q).values, dtype=float)[:, :upto].sum(axis=1) for q in series)
        return np.asarray(total, dtype=float) * SCALE["USD"]
    base = month_index(months[0])
    total = np.zeros(results.outcome.n_paths)
    for q in c.quantity:
        unit = names.parse(q)[4]
        v = np.asarray(results.get(q).values, dtype=float)
        if unit == "month":
            v = np.where(v >= 0, base + v, np.nan)
        total = total + v * SCALE.get(unit, 1.0)
    return total


def _held(v: np.ndarray, c: Claim) -> np.ndarray:
    """Per path, whether the claim holds at the values v (NaN: never; as ``check.evaluate``)."""
    never = np.isnan(v)
    w = np.where(never, 0.0, v)
    slack = 1e-9 * np.maximum(1.0, np.abs(w))
    ok = np.ones(v.shape, dtype=bool)
    if c.low is not None:
        ok &= w >= c.low - slack
    if c.high is not None:
        ok &= w <= c.high + slack
    return np.where(never, c.high is None and c.low is not None, ok)


def _slice(plan: Any, lo: int, hi: int) -> Any:
    """The plan's per-path columns cut to paths lo..hi-1."""
    from fundcheck.engine.tables import COLUMNS, Table

    if plan.n_paths == 1:
        return plan
    tables = {}
    for name, t in plan.tables.items():
        cols = {k: (a[lo:hi] if COLUMNS[name][k].per_path and a.shape[0] > 1 else a) for k, a in t.columns.items()}
        tables[name] = Table(t.name, t.index, cols)
    return replace(plan, tables=tables)


# --- the run -------------------------------------------------------------------------------------------------

def world_probabilities(check: Any, paths: int, seed: int, sampler: str = "random", *,
                        full_paths: int = DEFAULT_FULL_PATHS, chunk: int = DEFAULT_CHUNK, workers: int | None = 1,
                        progress: Callable[[int], None] | None = None) -> dict[str, WorldMC]:
    """Monte Carlo of every world of `check` (``check_ledger(...)``), conditioned on the world; attaches each
    result to ``world.mc`` and returns {world id: WorldMC}. `progress` is called with the number of paths
    sampled so far, over all worlds (total: worlds x paths)."""
    from fundcheck.claims.check import conditioning
    from fundcheck.engine.plan import compile_plan
    from fundcheck.engine.results import Results
    from fundcheck.engine.simulate import simulate as engine_simulate
    from fundcheck.errors import UsageError
    from fundcheck.scenario import load
    from fundcheck.uncertainty.model import compile_inputs
    from fundcheck.uncertainty.runner import check_options, planned_capex_total

    check_options(paths, seed, sampler)
    if isinstance(full_paths, bool) or not isinstance(full_paths, int | np.integer) or full_paths < 0:
        raise UsageError(f"--full-paths: found {full_paths!r}; expected a whole number of zero or more")
    paths, seed, full_paths, chunk = int(paths), int(seed), int(full_paths), max(1, int(chunk))
    ledger, system = check.ledger, check.system
    names = ledger.names
    scenario = load(ledger.scenario)
    plan = compile_plan(scenario)
    inputs = compile_inputs(scenario, plan)
    months = plan.axis.labels()
    base = month_index(months[0])
    entities = [e for i, e in enumerate(plan.entities.index) if not bool(plan.entities.outside[i])]
    ent_rows = [plan.entities.index.index(e) for e in entities]
    forecasts: dict[str, tuple[Claim, str]] = {}
    skipped: dict[str, str] = {}
    for c in ledger.claims:
        if c.kind != "forecast" or not c.checked:
            continue
        record, why = forecast_record(c, names, months)
        if record:
            forecasts[c.id] = (c, record)
        else:
            skipped[c.id] = why
    full_ids = [cid for cid, (_, r) in forecasts.items() if r == "full"]
    out_all: dict[str, WorldMC] = {}
    done = 0
    for w in check.worlds:
        cond = w.conditioned if w.conditioned is not None else conditioning(system, w.keeps)
        conds, wp = world_conditions(system, w.keeps, cond, inputs)
        wplan = plan_with_values(plan, names, cond.values)
        accepted = 0
        short = np.zeros(len(entities))
        gap_k, gap_sum = 0, 0.0
        held = {cid: 0 for cid, (_, r) in forecasts.items() if r == "summary"}
        x_full: list[np.ndarray] = []
        n_full = 0
        for lo in range(0, paths, chunk):
            hi = min(lo + chunk, paths)
            x = inputs.sample(sampler, seed, lo, hi)
            ok = _accept(x, wp, names)
            xa = x[ok]
            n = xa.shape[0]
            if n:
                accepted += n
                if full_ids and n_full < full_paths:
                    take = xa[:full_paths - n_full]
                    x_full.append(take)
                    n_full += take.shape[0]
                p = inputs.apply(wplan, xa) if xa.shape[1] else wplan
                p = _with_fixed(p, wp.fixed, n)
                out = engine_simulate(p, n, record="summary", chunk=n, workers=workers)
                first = out.field("first_short")
                short += (first[:, ent_rows] >= 0).sum(axis=0)
                planned = np.broadcast_to(planned_capex_total(p), (n,))
                gap = np.maximum(planned - out.field("capex_funded_total_usd").sum(axis=1), 0.0)
                gap_k += int((gap > GAP_USD).sum())
                gap_sum += float(gap.sum())
                for cid in held:
                    c = forecasts[cid][0]
                    held[cid] += int(_held(_summary_values(c, names, out, p, gap, planned, base), c).sum())
            done += hi - lo
            if progress is not None:
                progress(done)
        mc = WorldMC(world=w.id, paths=paths, seed=seed, sampler=sampler, accepted=accepted, ess=float(accepted),
                     conditions=conds, not_computed=dict(skipped), joint_check=bool(wp.joint),
                     units={c.quantity: names.parse(c.quantity)[4] for c in conds})
        if not accepted:
            mc.note = NO_PATH
        else:
            mc.p_shortfall = {e: _p(float(k), accepted) for e, k in zip(entities, short, strict=True)}
            mc.p_gap = _p(float(gap_k), accepted)
            mc.mean_gap_usd = gap_sum / accepted
            for cid, k in held.items():
                mc.forecasts[cid] = {**_p(float(k), accepted), "n": accepted, "record": "summary"}
            if full_ids and n_full:
                xf = np.concatenate(x_full)
                pf = inputs.apply(wplan, xf) if xf.shape[1] else wplan
                pf = _with_fixed(pf, wp.fixed, n_full)
                counts = dict.fromkeys(full_ids, 0)

                def on_chunk(first: int, outcome: Any, pf: Any = pf, counts: dict[str, int] = counts) -> None:
                    part = Results(scenario=scenario, plan=_slice(pf, first, first + outcome.n_paths),
                                   outcome=outcome)
                    for cid in counts:
                        c = forecasts[cid][0]
                        counts[cid] += int(_held(_results_values(c, names, part), c).sum())

                engine_simulate(pf, n_full, record="full", chunk=FULL_CHUNK, workers=workers, on_chunk=on_chunk)
                for cid, k in counts.items():
                    mc.forecasts[cid] = {**_p(float(k), n_full), "n": n_full, "record": "full"}
            elif full_ids:
                for cid in full_ids:
                    mc.not_computed[cid] = "needs the full record; --full-paths is 0"
            mc.forecasts = {cid: mc.forecasts[cid] for cid in forecasts if cid in mc.forecasts}
        w.mc = mc
        out_all[w.id] = mc
    return out_all


def plan_with_values(plan: Any, names: Any, values: dict[str, float]) -> Any:
    from fundcheck.claims.check import plan_with

    return plan_with(plan, names, values) if values else plan
