"""Checking a ledger: conflicts with their arithmetic, corrections, worlds run through the engine, forecasts.

``check_ledger`` compiles the ledger's statements (``compile``), enumerates the minimal conflicting sets and
minimal correction sets (``conflicts``), names each world (a maximal consistent subset: the complement of an
MCS) by whose contested claims it keeps, conditions the scenario on it (``conditioning``;
``claims.montecarlo`` conditions the Monte Carlo on the same rows), runs the engine once per world, and
evaluates every claim about an outcome in every world (held or fails) and each forecast against the later
dated facts of the ledger (held, failed, unresolved, or not yet due).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fundcheck.claims.compile import _VAR, Row, System, compile_system
from fundcheck.claims.conflicts import enumerate_conflicts
from fundcheck.claims.ledger import Ledger
from fundcheck.claims.records import EPSILON, SCALE, Claim, month_index
from fundcheck.claims.registry import DEFINITIONS

__all__ = ["Check", "Conditioned", "World", "check_ledger", "condition", "conditioning", "describe", "explain",
           "linked", "model_value", "plan_with", "run_world", "violated"]



@dataclass
class World:
    """A maximal consistent set of claims and what it implies for the build."""

    id: str
    name: str
    keeps: list[str]
    drops: list[str]
    inputs: dict[str, float] = field(default_factory=dict)      # conditioned inputs that differ (base units)
    outcome: dict[str, Any] = field(default_factory=dict)
    evaluations: dict[str, str] = field(default_factory=dict)   # claim id -> held / fails (in this world's run)
    model_values: dict[str, str] = field(default_factory=dict)  # claim id -> the run's value, as shown
    conditioned: Conditioned | None = None                      # every input set, caps, words not modelled
    mc: Any = None  # Monte Carlo conditioned on the world (``claims.montecarlo.WorldMC``), when asked for


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
    today: dt.date = field(default_factory=dt.date.today)  # the date forecasts were judged on

    def to_json(self) -> dict[str, Any]:
        claims = self.ledger.by_id()
        return {
            "ledger": self.ledger.name, "scenario": self.ledger.scenario, "consistent": self.consistent,
            "conflicts": self.conflicts, "corrections": self.corrections, "explanations": self.explanations,
            "uncontested": self.uncontested,
            "worlds": [{"id": w.id, "name": w.name, "keeps": w.keeps, "drops": w.drops,
                        "conditioned_inputs_usd": dict(w.inputs),
                        "inputs_set": ({k: {"value": v, "bound_by": w.conditioned.bound_by.get(k, []),
                                            "changed": k in w.conditioned.changed}
                                        for k, v in w.conditioned.values.items()} if w.conditioned else {}),
                        "caps": w.conditioned.caps if w.conditioned else [],
                        "not_modelled_as_input": w.conditioned.not_modelled if w.conditioned else [],
                        "outcome": w.outcome, "claims": w.evaluations, "model_values": w.model_values,
                        **({"mc": w.mc.to_json()} if w.mc is not None else {})}
                       for w in self.worlds],
            "model_checks": {cid: {w.id: {"state": w.evaluations[cid], "model": w.model_values.get(cid, "")}
                                   for w in self.worlds if cid in w.evaluations}
                             for cid in self.system.ids if any(cid in w.evaluations for w in self.worlds)},
            "central": self.central,
            "forecasts": {k: {"verdict": v, "why": why, "said": str(claims[k].said)}
                          for k, (v, why) in self.verdicts.items()},
            "epsilon": EPSILON, "today": self.today.isoformat(),
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


@dataclass
class Conditioned:
    """What a world sets in the engine: every engine input its kept claims bind, and what it cannot set."""

    values: dict[str, float]                 # every bound engine input, as run (base units)
    changed: dict[str, float]                # the ones that differ from the scenario (base units)
    bound_by: dict[str, list[str]]           # input -> the kept claims that bind it (directly or by identities)
    caps: list[str] = field(default_factory=list)          # caps applied, each naming the kept claim it comes from
    not_modelled: list[str] = field(default_factory=list)  # kept claims' words the engine has no input for


def _reach(system: System, keeps: list[str]) -> dict[str, set[str]]:
    """Variable -> the kept claims whose rows reach it, directly or through the identities of registry words."""
    out: dict[str, set[str]] = {}
    for cid in keeps:
        seen: set[str] = set()
        todo = [v for row in system.rows[cid] for v, _ in row.coefs]
        while todo:
            v = todo.pop()
            if v in seen:
                continue
            seen.add(v)
            if _VAR.match(v):  # a registry word: its identities tie it to other variables
                for row in system.identities:
                    names = [x for x, _ in row.coefs]
                    if v in names:
                        todo += [x for x in names if x not in seen]
        for v in seen:
            out.setdefault(v, set()).add(cid)
    return out


def _secured_caps(system: System, keeps: list[str]) -> list[tuple[str, list[str], list[Row]]]:
    """(partner, kept claims that bound its secured money from above, rows 'committed <= secured')."""
    names = system.names
    out = []
    for partner, eq in names.partners.items():
        ids, rows = [], []
        for cid in keeps:
            c = system.claims[cid]
            expr = names.expression(c)
            if c.high is None or len(expr) != 1:
                continue
            (var, coef), = expr.items()
            m = _VAR.match(var)
            if m and m.group(1) == "secured" and m.group(2) == partner and coef > 0:
                ids.append(cid)
                rows.append(Row(tuple(sorted({f"equity.{eq}.amount_usd": 1.0, var: -1.0}.items())), None, 0.0, "",
                                f"{partner}'s commitment capped at its secured money"))
        if ids:
            out.append((partner, ids, rows))
    return out


def conditioning(system: System, keeps: list[str]) -> Conditioned:
    """The engine inputs a world implies: the values closest to the scenario's (least total absolute change)
    with the world's claims and the identities holding. Every engine input the kept claims bind is set (even
    when it equals the scenario's), so the run never breaks a kept claim.

    A partner's commitment is capped at its secured money only where a kept claim bounds that secured money
    and no kept claim fixes the commitment above it (the cap is then named); otherwise the secured amount
    stays a word the engine has no input for, and is listed in ``not_modelled``.

    ``claims.montecarlo.world_conditions`` conditions the Monte Carlo on the same rows (fixed or rejected)."""
    names = system.names
    if not system.variables:  # no statement binds anything (a ledger of forecasts, say): nothing to set
        return Conditioned(values={}, changed={}, bound_by={})
    target = {}
    for var in system.variables:
        if var in names.values:
            unit = names.parse(var)[4]
            target[var] = names.values[var] * SCALE.get(unit, 1.0)
    pull = {v: -1e-3 for v in system.variables if v.startswith(("secured(", "ready("))}
    solution = system.solution(keeps, target, pull)
    if solution is None:
        raise RuntimeError("a world's claims are inconsistent")
    caps: list[str] = []
    not_modelled: list[str] = []
    for partner, ids, rows in _secured_caps(system, keeps):
        eq = names.partners[partner]
        capped = system.solution(keeps, target, pull, extra=rows)
        said = ", ".join(f"{i} ({system.claims[i].bound_text()})" for i in ids)
        if capped is not None:
            solution = capped
            caps.append(f"{partner}'s JV commitment (equity.{eq}.amount_usd) capped at its secured money, from "
                        f"{said}: the engine pays a commitment in full, so only secured money is committed")
        else:
            amount = f"equity.{eq}.amount_usd"
            binding = [cid for cid in keeps if amount in names.expression(system.claims[cid])]
            fixing = [cid for cid in binding if set(names.expression(system.claims[cid])) == {amount}] or binding
            not_modelled.append(f"{partner}'s secured money ({said}): no engine input; not capped because "
                                f"{', '.join(fixing)} {'fixes' if len(fixing) == 1 else 'fix'} its commitment above it")
    reach = _reach(system, keeps)
    values: dict[str, float] = {}
    changed: dict[str, float] = {}
    bound_by: dict[str, list[str]] = {}
    for var, value in solution.items():
        if var not in names.plan_column or var not in reach:
            continue
        unit = names.parse(var)[4]
        base = (0.0 if abs(value) < 1e-12 else value) / SCALE.get(unit, 1.0)
        values[var] = base
        bound_by[var] = sorted(reach[var], key=system.ids.index)
        if var not in target or abs(value - target[var]) > 1e-12 * max(1.0, abs(target[var])):
            changed[var] = base
    capped_ids = {i for _, ids, _ in _secured_caps(system, keeps) for i in ids}
    for cid in keeps:
        if cid in capped_ids:
            continue
        words = sorted({f"{m.group(1)}({m.group(2)})@{m.group(3)}" for v in names.expression(system.claims[cid])
                        if (m := _VAR.match(v)) and m.group(1) != "deployed"})
        if words:
            not_modelled.append(f"{cid} {' + '.join(words)} {system.claims[cid].bound_text()}")
    return Conditioned(values=values, changed=changed, bound_by=bound_by, caps=caps, not_modelled=not_modelled)


def condition(system: System, keeps: list[str]) -> dict[str, float]:
    """The scenario inputs a world changes (base units); see ``conditioning``."""
    return conditioning(system, keeps).changed


def violated(system: System, keeps: list[str], values: dict[str, float]) -> list[str]:
    """Kept claims about engine inputs that the inputs `values` (base units; others as the scenario) break."""
    names = system.names
    out = []
    for cid in keeps:
        c = system.claims[cid]
        expr = names.expression(c)
        if not expr or not all(v in names.plan_column for v in expr):
            continue
        total = 0.0
        for v, coef in expr.items():
            base = values.get(v, names.values.get(v, float("nan")))
            total += coef * base * SCALE.get(names.parse(v)[4], 1.0)
        slack = 1e-9 * max(1.0, abs(total))
        if total != total or (c.low is not None and total < c.low - slack) or \
                (c.high is not None and total > c.high + slack):
            out.append(cid)
    return out


def plan_with(plan: Any, names: Any, inputs: dict[str, float]) -> Any:
    """`plan` with the inputs `inputs` (claim variable -> value, base units) set in its tables."""
    from dataclasses import replace

    by_column: dict[str, dict[int, float]] = {}
    for var, value in inputs.items():
        column, row = names.plan_column[var]
        by_column.setdefault(column, {})[row] = value
    tables = dict(plan.tables)
    for column, rows in by_column.items():
        table, _, key = column.partition(".")
        tab = tables[table]
        values = np.array([float(tab.value(key, r, 0)) for r in range(len(tab.index))])
        for r, v in rows.items():
            values[r] = v
        tables[table] = tab.with_column(key, values)
    return replace(plan, tables=tables)


def run_world(scenario: Any, names: Any, inputs: dict[str, float]) -> Any:
    """Run the scenario with the world's inputs set in its Plan (one path); returns Results."""
    from fundcheck.engine.plan import compile_plan
    from fundcheck.engine.results import Results
    from fundcheck.engine.simulate import simulate

    plan = plan_with(compile_plan(scenario), names, inputs)
    return Results(scenario=scenario, plan=plan, outcome=simulate(plan, 1, record="full"))


def outcome_of(results: Any) -> dict[str, Any]:
    import pandas as pd

    totals = results.totals()
    short = {k: v for k, v in results.first_shortfall().items() if k in results.funded_entities}
    mw = results.mw_by_year()
    phases = results.phases()
    plan = results.plan
    delays: list[float] = []
    never: list[str] = []
    at_least = False
    for h, (site, phase, e, d) in enumerate(zip(phases["site"], phases["phase"], phases["energized"],
                                                 phases["delay_months"], strict=True)):
        if pd.isna(e):  # not energized by the horizon end: delayed at least to the horizon end
            never.append(f"{site}: {phase}")
            planned = plan.planned_energization(h, 0)
            if planned < plan.axis.n:
                delays.append(float(plan.axis.n - planned))
                at_least = True
        elif not pd.isna(d):
            delays.append(float(d))
    planned_capex = plan.planned_capex(0).sum(axis=1)
    funded = np.asarray(results.outcome.field("capex_funded_total_usd")[0], dtype=float)
    gap_by_phase = {plan.phases.index[h]: round(float(planned_capex[h] - funded[h]), 2)
                    for h in range(len(plan.phases)) if planned_capex[h] - funded[h] > 0.5e6}
    return {"capex_usd": round(totals["capex_usd"], 2), "funded_usd": round(totals["funded_usd"], 2),
            "gap_usd": round(totals["gap_usd"], 2), "gap_by_phase_usd": gap_by_phase, "first_shortfall": short,
            "it_mw_online_by_year": {int(y): float(v) for y, v in mw["modelled_mw"].items()},
            "it_mw_planned_by_year": {int(y): float(v) for y, v in mw["planned_mw"].items()},
            "max_delay_months": int(max(delays)) if delays else 0, "max_delay_at_least": at_least,
            "never_energized": never}


def model_value(results: Any, c: Claim, names: Any) -> tuple[bool, float | None]:
    """(computed, value) of a claim's quantity in a run, in display units ($B, MW, fraction, month index).

    Computed for result quantities and for the registry word ``deployed``: for the JV, capex paid on the
    phases it owns (facility or IT) up to the month, cumulative; for a partner, what it paid into the JV up
    to the month. A month that does not come by the horizon end is None. Not computed (False): inputs and
    the words secured, ready, raised, committed."""
    if c.definition:
        d = DEFINITIONS[c.definition]
        if d.word != "deployed" or not c.as_of or c.as_of not in results.months:
            return False, None
        upto = results.months.index(c.as_of) + 1
        if c.subject == names.jv:
            series = [f"phases.{p}.capex_funded_usd" for p, owners in names.phase_owners.items()
                      if c.subject in owners]
        else:
            series = [f"equity.{names.partners[c.subject]}.paid_usd"]
        total = sum(float(results.quantity(q, path=0)[:upto].sum()) for q in series)
        return True, total * SCALE["USD"]
    if not c.quantity:
        return False, None
    try:
        parsed = [names.parse(q) for q in c.quantity]
    except ValueError:
        return False, None
    if any(p[5] for p in parsed):
        return False, None
    total = 0.0
    for q, p in zip(c.quantity, parsed, strict=True):
        unit = p[4]
        v = results.get(q, path=0)
        if unit == "month":
            if v is None:
                return True, None
            v = month_index(v)
        elif v is None or v != v:
            return True, None
        total += float(v) * SCALE.get(unit, 1.0)
    return True, total


def evaluate(results: Any, c: Claim, names: Any) -> str:
    """'held' or 'fails' for a claim the model computes (a result quantity, or `deployed`) in one run; ''
    if the model does not compute it. For a statement, held = consistent with the model."""
    computed, v = model_value(results, c, names)
    if not computed:
        return ""
    low, high = c.low, c.high
    if v is None:  # never (a month that does not come)
        return "held" if high is None and low is not None else "fails"
    slack = 1e-9 * max(1.0, abs(v))
    ok = (low is None or v >= low - slack) and (high is None or v <= high + slack)
    return "held" if ok else "fails"


def shown_model_value(results: Any, c: Claim, names: Any) -> str:
    computed, v = model_value(results, c, names)
    if not computed:
        return ""
    if v is None:
        return "never (not by the horizon end)"
    unit = "USD" if c.definition else names.parse(c.quantity[0])[4]
    return _amount(v, unit)


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


def verdict(ledger: Ledger, c: Claim, today: dt.date) -> tuple[str, str]:
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


def check_ledger(ledger: Ledger, run: bool = True, today: dt.date | None = None) -> Check:
    """Check a ledger against its scenario: conflicts, corrections, worlds and their runs, forecasts (judged as
    of `today`, default the current date)."""
    today = today or dt.date.today()
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
    outcome_claims = [c for c in ledger.claims if c.checked]
    if run:
        from fundcheck.engine import run_scenario
        from fundcheck.scenario import load

        scenario = load(ledger.scenario)
        base = run_scenario(scenario)
        central = outcome_of(base)
        central["claims"] = {c.id: e for c in outcome_claims if (e := evaluate(base, c, ledger.names))}
        for w in worlds:
            w.conditioned = conditioning(system, w.keeps)
            w.inputs = w.conditioned.changed
            broken = violated(system, w.keeps, w.conditioned.values)
            if broken:
                raise RuntimeError(f"world {w.id} would run with inputs that break its claims {broken}")
            results = base if not w.inputs else run_world(scenario, ledger.names, w.conditioned.values)
            w.outcome = outcome_of(results)
            for c in outcome_claims:
                e = evaluate(results, c, ledger.names)
                if e:
                    w.evaluations[c.id] = e
                    w.model_values[c.id] = shown_model_value(results, c, ledger.names)
    verdicts = {c.id: verdict(ledger, c, today) for c in ledger.claims if c.kind == "forecast"}
    return Check(ledger=ledger, system=system, consistent=not muses, conflicts=conflicts, corrections=corrections,
                 explanations=explanations, worlds=worlds, uncontested=uncontested, verdicts=verdicts,
                 central=central, today=today)


def linked(chains: Iterable[Sequence[str]]) -> Callable[[str], str]:
    """Union-find over names: every name of a chain joins the chain's first. Returns `find`, which gives the
    root of a name's group (a name never seen is its own group)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for chain in chains:
        for x in chain[1:]:
            parent[find(chain[0])] = find(x)
    return find


def components(system: System) -> list[list[str]]:
    """Claims grouped so that no two groups share a variable, through their rows or the identities."""
    find = linked([*([v for v, _ in row.coefs] for row in system.identities),
                   *([f"claim:{cid}", *(v for v, _ in row.coefs)] for cid, rows in system.rows.items()
                     for row in rows)])
    groups: dict[str, list[str]] = {}
    for cid in system.ids:
        groups.setdefault(find(f"claim:{cid}"), []).append(cid)
    return list(groups.values())
