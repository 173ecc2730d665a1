"""Checking a ledger: conflicts with their arithmetic, corrections, worlds run through the engine, forecasts.

``check_ledger`` compiles the ledger's statements (``compile``), enumerates the minimal conflicting sets and
minimal correction sets (``conflicts``), names each world (a maximal consistent subset: the complement of an
MCS) by whose contested claims it keeps, conditions the scenario on it (``condition``: the seam where Monte
Carlo conditioning can be added), runs the engine once per world, and evaluates every claim about an outcome
in every world (held or fails) and each forecast against the later dated facts of the ledger (held, failed,
unresolved, or not yet due).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from fundcheck.claims.compile import System, compile_system
from fundcheck.claims.conflicts import enumerate_conflicts
from fundcheck.claims.ledger import Ledger
from fundcheck.claims.records import EPSILON, SCALE, Claim, month_index
from fundcheck.claims.registry import DEFINITIONS

__all__ = ["Check", "World", "check_ledger", "condition", "describe", "explain", "run_world"]

TODAY = dt.date(2026, 11, 30)


@dataclass
class World:
    """A maximal consistent set of claims and what it implies for the build."""

    id: str
    name: str
    keeps: list[str]
    drops: list[str]
    inputs: dict[str, float] = field(default_factory=dict)      # conditioned inputs that differ (base units)
    outcome: dict[str, Any] = field(default_factory=dict)
    evaluations: dict[str, str] = field(default_factory=dict)   # claim id -> held / fails


@dataclass
class Check:
    ledger: Ledger
    system: System
    consistent: bool
    conflicts: list[list[str]]
    corrections: list[list[str]]
    explanations: list[str]
    worlds: list[World]
    uncontested: list[str]
    verdicts: dict[str, tuple[str, str]]      # forecast id -> (verdict, why)
    central: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        claims = self.ledger.by_id()
        return {
            "ledger": self.ledger.name, "scenario": self.ledger.scenario, "consistent": self.consistent,
            "conflicts": self.conflicts, "corrections": self.corrections, "explanations": self.explanations,
            "uncontested": self.uncontested,
            "worlds": [{"id": w.id, "name": w.name, "keeps": w.keeps, "drops": w.drops,
                        "conditioned_inputs_usd": {k: round(v, 2) for k, v in w.inputs.items()},
                        "outcome": w.outcome, "claims": w.evaluations} for w in self.worlds],
            "central": self.central,
            "forecasts": {k: {"verdict": v, "why": why, "said": str(claims[k].said)}
                          for k, (v, why) in self.verdicts.items()},
            "epsilon": EPSILON, "today": TODAY.isoformat(),
        }


def describe(c: Claim) -> str:
    """What a claim is about, in words: "SoftBank's money secured (secured.commitment) in 2025-01"."""
    if c.definition:
        d = DEFINITIONS[c.definition]
        when = f" in {c.as_of}" if d.dated and c.as_of else ""
        return f"{c.subject}'s money {d.word} ({c.definition}){when}"
    if len(c.quantity) > 1:
        return " + ".join(c.quantity)
    return c.quantity[0]


def _said(c: Claim) -> str:
    return f"{short_who(c)} [{c.id}] ({c.said})"


def short_who(c: Claim) -> str:
    return c.who.split(" (")[0]


def _amount(v: float | None, unit: str) -> str:
    if v is None:
        return "unbounded"
    v = 0.0 if abs(v) < 1e-9 else v
    if unit == "USD":
        return f"${v:,.4g}B"
    if unit == "fraction":
        return f"{v * 100:,.4g}%"
    if unit == "month":
        return f"{round(v) // 12}-{round(v) % 12 + 1:02d}"
    return f"{v:,.6g} {unit}"


def explain(system: System, mus: list[str]) -> str:
    """One conflict in plain words with its arithmetic: each claim, then what the others force on one of them."""
    claims = [system.claims[i] for i in mus]
    names = system.names
    target = next((c for c in claims if c.relation in ("<", "<=")), claims[0])
    others = [c.id for c in claims if c.id != target.id]
    unit = names.unit_of(target) if target.quantity else "USD"
    lo, hi = system.implied(others, names.expression(target))
    parts = [f"{_said(c)} says {describe(c)} is {c.bound_text()}" for c in claims]
    text = "; ".join(parts) + "."
    stake = next((c for c in claims if c.quantity and c.quantity[0].endswith(".stake")), None)
    ready = next((c for c in claims if c.definition == "ready" and c.subject == names.jv and c.low is not None), None)
    if stake is not None and ready is not None and stake.low is not None:
        partner = next((p for p, eq in names.partners.items() if stake.quantity[0] == f"equity.{eq}.stake"), "")
        text += (f" With {partner}'s reported {stake.low * 100:.4g}% stake ({stake.id}) its share of "
                 f"{_amount(ready.low, 'USD')} is {_amount(stake.low * ready.low, 'USD')}.")
    if lo is not None and target.high is not None and lo > target.high:
        text += (f" Together the others need {describe(target)} to be at least {_amount(lo, unit)}; "
                 f"{target.id} says {target.bound_text()}.")
    elif hi is not None and target.low is not None and hi < target.low:
        text += (f" Together the others allow {describe(target)} at most {_amount(hi, unit)}; "
                 f"{target.id} says {target.bound_text()}.")
    elif lo is None and hi is None:
        text += " Together the others leave no value possible."
    return text


def condition(system: System, keeps: list[str]) -> dict[str, float]:
    """The scenario inputs a world implies (base units): the values closest to the scenario's (least total
    absolute change) with the world's claims and the identities holding, where a partner's money for the JV
    is capped at what the world says it has secured. Only inputs that change are returned.

    This is the seam for Monte Carlo conditioning: a sampler can accept or weight draws by the same rows."""
    names = system.names
    target = {}
    for var in system.variables:
        if var in names.values:
            unit = names.parse(var)[4]
            target[var] = names.values[var] * SCALE.get(unit, 1.0)
    pull = {v: -1e-3 for v in system.variables if v.startswith(("secured(", "ready("))}
    solution = system.solution(keeps, target, pull)
    if solution is None:
        raise RuntimeError("a world's claims are inconsistent")
    out: dict[str, float] = {}
    for var, value in solution.items():
        if var in names.plan_column and var in target and abs(value - target[var]) > 1e-6:
            out[var] = abs(value) / SCALE[names.parse(var)[4]] if abs(value) < 1e-9 else \
                value / SCALE[names.parse(var)[4]]
    for partner, eq in names.partners.items():
        secured = [v for k, v in solution.items() if k.startswith(f"secured({partner})@")]
        amount_var = f"equity.{eq}.amount_usd"
        committed = solution.get(amount_var, names.values.get(amount_var, 0.0) * 1e-9)
        if secured and min(secured) < committed - 1e-6:
            out[amount_var] = min(secured) / SCALE["USD"]
    return out


def run_world(scenario: Any, names: Any, inputs: dict[str, float]) -> Any:
    """Run the scenario with the world's inputs set in its Plan (one path); returns Results."""
    import numpy as np

    from fundcheck.engine.plan import compile_plan
    from fundcheck.engine.results import Results
    from fundcheck.engine.simulate import simulate

    plan = compile_plan(scenario)
    by_column: dict[str, dict[int, float]] = {}
    for var, value in inputs.items():
        column, row = names.plan_column[var]
        by_column.setdefault(column, {})[row] = value
    for column, rows in by_column.items():
        table, _, key = column.partition(".")
        tab = getattr(plan, table)
        values = np.array([[float(tab.value(key, r, 0)) for r in range(len(tab.index))]])
        for r, v in rows.items():
            values[0, r] = v
        plan = plan.vary(column, values)
    return Results(scenario=scenario, plan=plan, outcome=simulate(plan, 1, record="full"))


def outcome_of(results: Any) -> dict[str, Any]:
    totals = results.totals()
    short = {k: v for k, v in results.first_shortfall().items() if k in results.funded_entities}
    mw = results.mw_by_year()
    phases = results.phases()
    delays = [d for d in phases["delay_months"] if d is not None and d == d]
    never = [f"{s}: {p}" for s, p, e in zip(phases["site"], phases["phase"], phases["energized"], strict=True)
             if e is None]
    return {"capex_usd": round(totals["capex_usd"], 2), "funded_usd": round(totals["funded_usd"], 2),
            "gap_usd": round(totals["gap_usd"], 2), "first_shortfall": short,
            "it_mw_online_by_year": {int(y): float(v) for y, v in mw["modelled_mw"].items()},
            "it_mw_planned_by_year": {int(y): float(v) for y, v in mw["planned_mw"].items()},
            "max_delay_months": max(delays) if delays else 0, "never_energized": never}


def _value(results: Any, c: Claim) -> float | None:
    total = 0.0
    for q in c.quantity:
        v = results.get(q, path=0)
        unit = results.__class__.__module__ and c.unit
        if isinstance(v, str):
            v = month_index(v)
        elif v is None:
            return None
        total += float(v)
    return total * (SCALE["USD"] if c.unit in ("USD", "$") else 1.0) / (1000.0 if c.unit == "GW" else 1.0) \
        if unit != "month" else total


def evaluate(results: Any, c: Claim, names: Any) -> str:
    """'held' or 'fails' for a claim about a result quantity in one run; '' if the model does not compute it."""
    if c.definition or not c.quantity:
        return ""
    try:
        if any(names.parse(q)[5] for q in c.quantity):
            return ""
    except ValueError:
        return ""
    v = _value(results, c)
    low, high = c.low, c.high
    if c.unit == "GW":
        low = None if low is None else low / 1000.0
        high = None if high is None else high / 1000.0
    if v is None:  # never (a month that does not come)
        return "held" if high is None and low is not None else "fails"
    ok = (low is None or v >= low - 1e-9) and (high is None or v <= high + 1e-9)
    return "held" if ok else "fails"


def _due(c: Claim) -> dt.date:
    months = [q.partition("@")[2] for q in c.quantity if "@" in q] or ([c.as_of] if c.as_of else [])
    if c.unit == "month" and c.high is not None:
        m = int(c.high)
        months = [f"{m // 12}-{m % 12 + 1:02d}"]
    if not months:
        return c.said.last
    year, month = (int(x) for x in max(months).split("-"))
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def verdict(ledger: Ledger, c: Claim, today: dt.date = TODAY) -> tuple[str, str]:
    """A forecast's dated verdict from the ledger's later statements: held, failed, unresolved, not yet due."""
    due = _due(c)
    if due > today:
        return "not yet due", f"due {due.isoformat()}"
    words = {DEFINITIONS[c.definition].word} if c.definition else set()
    mine = set(ledger.names.expression(c))
    later = [x for x in ledger.claims if x.kind == "statement" and x.said.first > c.said.last and (
        (set(ledger.names.expression(x)) & mine) or
        (x.definition and words and x.subject == c.subject and DEFINITIONS[x.definition].word in words))]
    as_statement = Claim(**{**c.__dict__, "kind": "statement", "id": f"{c.id}~forecast"})
    system = compile_system([*later, as_statement], ledger.names)
    ids = [x.id for x in later]
    if not system.feasible(ids):
        return "unresolved", "the later facts conflict among themselves"
    lo, hi = system.implied(ids, ledger.names.expression(c))
    settled_by = ids
    inside = (c.low is None or (lo is not None and lo >= c.low - 1e-9)) and \
             (c.high is None or (hi is not None and hi <= c.high + 1e-9))
    outside = (c.low is not None and hi is not None and hi < c.low) or \
              (c.high is not None and lo is not None and lo > c.high)
    src = f" ({', '.join(settled_by)})" if settled_by else ""
    if outside:
        return "failed", f"later facts{src} allow {_amount(lo, 'USD' if c.unit in ('USD', '$') else c.unit)} " \
                         f"to {_amount(hi, 'USD' if c.unit in ('USD', '$') else c.unit)}"
    if inside and settled_by:
        return "held", f"later facts{src} imply it"
    return "unresolved", "no later dated fact in the ledger settles it"


def _world_name(keeps: list[str], contested: set[str], claims: dict[str, Claim]) -> str:
    by_who: dict[str, list[str]] = {}
    for i in keeps:
        if i in contested:
            by_who.setdefault(short_who(claims[i]), []).append(i)
    if not by_who:
        return "keeps no contested claim"
    return "keeps " + "; ".join(f"{who} ({', '.join(ids)})" for who, ids in by_who.items())


def check_ledger(ledger: Ledger, run: bool = True, today: dt.date = TODAY) -> Check:
    """Check a ledger against its scenario: conflicts, corrections, worlds and their runs, forecasts."""
    system = compile_system(ledger.claims, ledger.names)
    ids = system.ids
    if not system.feasible([]):
        raise RuntimeError("the identities alone are inconsistent")
    muses, mcses = enumerate_conflicts(ids, system.feasible, components(system))
    claims = ledger.by_id()
    conflicts = [[i for i in ids if i in m] for m in muses]
    corrections = [[i for i in ids if i in m] for m in mcses]
    contested = set().union(*muses) if muses else set()
    uncontested = [i for i in ids if i not in contested]
    explanations = [explain(system, c) for c in conflicts]
    worlds: list[World] = []
    for k, mcs in enumerate(corrections or [[]], start=1):
        keeps = [i for i in ids if i not in mcs]
        worlds.append(World(id=f"W{k}", name=_world_name(keeps, contested, claims), keeps=keeps, drops=list(mcs)))
    central: dict[str, Any] = {}
    outcome_claims = [c for c in ledger.claims if c.checked and c.quantity and not c.definition]
    if run:
        from fundcheck.engine import run_scenario
        from fundcheck.scenario import load

        scenario = load(ledger.scenario)
        base = run_scenario(scenario)
        central = outcome_of(base)
        central["claims"] = {c.id: e for c in outcome_claims if (e := evaluate(base, c, ledger.names))}
        for w in worlds:
            w.inputs = condition(system, w.keeps)
            results = base if not w.inputs else run_world(scenario, ledger.names, w.inputs)
            w.outcome = outcome_of(results)
            for c in outcome_claims:
                e = evaluate(results, c, ledger.names)
                if e:
                    w.evaluations[c.id] = e
    verdicts = {c.id: verdict(ledger, c, today) for c in ledger.claims if c.kind == "forecast"}
    return Check(ledger=ledger, system=system, consistent=not muses, conflicts=conflicts, corrections=corrections,
                 explanations=explanations, worlds=worlds, uncontested=uncontested, verdicts=verdicts,
                 central=central)


def components(system: System) -> list[list[str]]:
    """Claims grouped so that no two groups share a variable, through their rows or the identities."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    for row in system.identities:
        vs = [v for v, _ in row.coefs]
        for v in vs[1:]:
            union(vs[0], v)
    for cid, rows in system.rows.items():
        for row in rows:
            for v, _ in row.coefs:
                union(f"claim:{cid}", v)
    groups: dict[str, list[str]] = {}
    for cid in system.ids:
        groups.setdefault(find(f"claim:{cid}"), []).append(cid)
    return list(groups.values())
