"""Which quantities a claim can name, and how each becomes a linear expression.

A claim names **one resolver's** quantities: ``group.item.key[@YYYY-MM]``, the names of
``fundcheck.engine.results.QUANTITIES`` (results, resolved by ``Results.get``), plus the scenario **inputs**
below, which the results do not carry but a claim must be able to name. Input names follow the same grammar
and refer to the Plan's tables (``engine.plan.compile_plan``), row names as in the results:

=======================================  ==========  ===========================================================
input quantity                           unit        Plan column (conditioned per world where marked *)
=======================================  ==========  ===========================================================
``entities.<E>.opening_cash_usd``        USD         ``entities.opening_cash_usd`` * (cash at the horizon start)
``entities.<E>.raise_limit_usd``         USD         ``entities.raise_limit_usd`` * (what it can still raise)
``equity.<I>.amount_usd``                USD         ``equity.amount_usd`` * (the commitment; also a result)
``equity.<I>.stake``                     fraction    ``equity.stake`` * (the stake it buys; a static column)
``loans.<L>.limit_usd``                  USD         ``loans.limit_usd`` * (the facility limit; also a result)
``phases.<P>.it_mw``                     MW          ``phases.it_mw`` * (a static column)
``phases.<P>.facility_capex_usd``        USD         ``phases.facility_capex_usd`` *
``phases.<P>.it_capex_usd``              USD         ``phases.it_capex_usd`` *
``program.it_mw``                        MW          the sum of ``phases.it_mw`` (the program's planned IT MW)
=======================================  ==========  ===========================================================

A claim may also name a list of quantities (summed), or a definition of the registry with a subject.
``Names.expression`` turns a claim into ``{variable: coefficient}`` in display units ($ billions, MW,
fraction, month index); input and result quantities are variables named as written, registry variables are
``word(subject)@YYYY-MM``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fundcheck.claims.records import SCALE, UNITS, Claim, month_index
from fundcheck.claims.registry import DEFINITIONS

__all__ = ["INPUTS", "Names", "names_for", "shown_value"]

# group -> key -> (unit, Plan table.column or '' , description)
INPUTS: dict[str, dict[str, tuple[str, str, str]]] = {
    "entities": {"opening_cash_usd": ("USD", "entities.opening_cash_usd", "cash at the horizon start"),
                 "raise_limit_usd": ("USD", "entities.raise_limit_usd", "what it can still raise")},
    "equity": {"amount_usd": ("USD", "equity.amount_usd", "commitment"),
               "stake": ("fraction", "equity.stake", "the stake the commitment buys")},
    "loans": {"limit_usd": ("USD", "loans.limit_usd", "facility limit")},
    "phases": {"it_mw": ("MW", "phases.it_mw", "IT MW of the phase"),
               "facility_capex_usd": ("USD", "phases.facility_capex_usd", "facility capex"),
               "it_capex_usd": ("USD", "phases.it_capex_usd", "IT capex")},
    "program": {"it_mw": ("MW", "", "IT MW of all phases, planned")},
}
_DIMS = {"entities": "entities", "equity": "equity", "loans": "loans", "phases": "phases", "sites": "sites"}


def shown_value(value: Any, unit: str) -> str:
    """A value as a reader writes it: '$10B', '40%', '1,200 MW', '2026-07'."""
    from fundcheck.scenario.quantities import parse_amount

    if unit == "month" or value is None:
        return str(value)
    try:
        v = parse_amount(value)
    except ValueError:
        return str(value)
    if unit in ("USD", "$"):
        return _usd(v)
    if unit in ("fraction", "%"):
        return f"{v * 100:,.4g}%"
    return f"{v:,.6g} {unit}"


def _usd(v: float) -> str:
    a = abs(v)
    if a >= 1e9:
        return f"{'-' if v < 0 else ''}${a / 1e9:,.4g}B"
    if a >= 1e6:
        return f"{'-' if v < 0 else ''}${a / 1e6:,.4g}M"
    return f"{'-' if v < 0 else ''}${a:,.0f}"


@dataclass
class Names:
    """The names a ledger can use for one scenario, and the scenario's input values (base units)."""

    scenario: str
    items: dict[str, list[str]]            # group -> row names
    months: list[str]
    jv: str | None
    partners: dict[str, str]               # partner entity -> its equity instrument into the JV
    outside_equity: list[str]              # equity into the JV from outside investors
    jv_loans: list[str]                    # loan facilities into the JV
    values: dict[str, float] = field(default_factory=dict)   # input name -> scenario value (base unit)
    plan_column: dict[str, tuple[str, int]] = field(default_factory=dict)  # input name -> (table.column, row)
    parties: dict[str, tuple[str, ...]] = field(default_factory=dict)     # input name -> entities it concerns
    phase_owners: dict[str, tuple[str, ...]] = field(default_factory=dict)  # phase -> (owner, IT owner)

    # --- names -----------------------------------------------------------------------------------------

    def parse(self, name: str) -> tuple[str, str, str, str, str, bool]:
        """(group, item, key, month, unit, is_input) of a quantity name; ValueError with the reason."""
        from fundcheck.engine.results import QUANTITIES

        where, _, month = name.partition("@")
        group, _, rest = where.partition(".")
        item, _, key = rest.rpartition(".")
        if group not in QUANTITIES:
            raise ValueError(f"no quantity '{name}': the first part must be one of {', '.join(QUANTITIES)}")
        inputs = INPUTS.get(group, {})
        if key in inputs:
            unit, _, _ = inputs[key]
            if month:
                raise ValueError(f"'{group}.{key}' is a scenario input, one value, not per month; drop '@{month}'")
            is_input, monthly = True, False
        elif key in QUANTITIES[group]:
            unit, monthly, _ = QUANTITIES[group][key]
            is_input = False
        else:
            known = sorted(set(QUANTITIES[group]) | set(inputs))
            raise ValueError(f"no quantity '{name}': {group} have {', '.join(known)}")
        if group == "program":
            if item:
                raise ValueError(f"no quantity '{name}': program quantities have no item ('program.{key}')")
        elif item not in self.items.get(_DIMS[group], []):
            known = self.items.get(_DIMS[group], [])
            shown = ", ".join(known[:30]) + (" ..." if len(known) > 30 else "")
            raise ValueError(f"no quantity '{name}': scenario '{self.scenario}' has no {group} row named "
                             f"'{item}'; it has: {shown or '(none)'}")
        if not is_input:
            if monthly and not month:
                raise ValueError(f"'{group}.{key}' is kept per month; add the month, e.g. '{name}@2025-01'")
            if month and not monthly:
                raise ValueError(f"'{group}.{key}' is one value per run, not per month; drop '@{month}'")
            if month and month not in self.months:
                raise ValueError(f"'{name}': month {month} is outside the scenario, {self.months[0]} to "
                                 f"{self.months[-1]} (write YYYY-MM)")
        return group, item, key, month, unit, is_input

    def unit_of(self, claim: Claim) -> str:
        if claim.definition:
            return "USD"
        return self.parse(claim.quantity[0])[4]

    def check(self, claim: Claim) -> list[tuple[str, str]]:
        """(field, message) for every way the claim does not fit this scenario (empty: it fits)."""
        if not claim.checked:
            return []
        out: list[tuple[str, str]] = []
        units = set()
        for q in claim.quantity:
            try:
                units.add(self.parse(q)[4])
            except ValueError as exc:
                out.append(("quantity", str(exc)))
        if claim.definition:
            d = DEFINITIONS.get(claim.definition)
            if d is None:
                out.append(("definition", f"'{claim.definition}' is not in the registry; expected one of: "
                                          f"{', '.join(DEFINITIONS)}"))
            else:
                units.add("USD")
                role = self.role(claim.subject)
                if not claim.subject:
                    out.append(("subject", f"the definition '{d.id}' needs a subject ({' or '.join(d.subjects)})"))
                elif role is None or not (role in d.subjects or ("entity" in d.subjects and role != "unknown")):
                    out.append(("subject", f"'{claim.subject}' is not a {' or '.join(d.subjects)} of scenario "
                                           f"'{self.scenario}'; expected one of: "
                                           f"{', '.join(self.subjects_for(d.subjects))}"))
                if d.dated:
                    if not claim.as_of:
                        out.append(("as_of", f"'{d.id}' is an amount at a date; add as_of: YYYY-MM"))
                    else:
                        try:
                            month_index(claim.as_of)
                        except ValueError:
                            out.append(("as_of", f"cannot read {claim.as_of!r:.40} as a month; expected YYYY-MM"))
        if len(units) > 1:
            out.append(("quantity", f"the quantities summed have different units ({', '.join(sorted(units))}); "
                                    "expected quantities of one unit"))
        elif units and claim.unit:
            base = UNITS[claim.unit][0]
            unit = next(iter(units))
            if base != unit:
                out.append(("unit", f"the claim is in {claim.unit}, but its quantity is in {unit}; expected a "
                                    f"value in {unit}"))
        if claim.kind == "forecast" and claim.definition:
            pass  # a forecast about a registry word gets a dated verdict only; the model does not compute it
        return out

    def role(self, subject: str) -> str | None:
        if subject and subject == self.jv:
            return "jv"
        if subject in self.partners:
            return "partner"
        if subject in self.items.get("entities", []):
            return "entity"
        return None

    def subjects_for(self, kinds: tuple[str, ...]) -> list[str]:
        out: list[str] = []
        if "jv" in kinds and self.jv:
            out.append(self.jv)
        if "partner" in kinds:
            out += list(self.partners)
        if "entity" in kinds:
            out += self.items.get("entities", [])
        return out

    # --- expressions -----------------------------------------------------------------------------------

    def expression(self, claim: Claim) -> dict[str, float]:
        """The claim's left-hand side as {variable: coefficient} in display units."""
        if claim.definition:
            return self.word(claim.definition, claim.subject, claim.as_of)
        expr: dict[str, float] = {}
        for q in claim.quantity:
            for var, coef in self.quantity_terms(q).items():
                expr[var] = expr.get(var, 0.0) + coef
        return expr

    def quantity_terms(self, name: str) -> dict[str, float]:
        if name == "program.it_mw":
            return {f"phases.{p}.it_mw": 1.0 for p in self.items.get("phases", [])}
        return {name: 1.0}

    def word(self, definition: str, subject: str, as_of: str) -> dict[str, float]:
        """A registry definition for a subject, as a linear expression."""
        d = DEFINITIONS[definition]
        if d.kind == "variable":
            return {f"{d.word}({subject})@{as_of}": 1.0}
        if definition == "secured.cash":
            return {f"entities.{subject}.opening_cash_usd": 1.0}
        if definition == "committed.founders":
            return {f"equity.{name}.amount_usd": 1.0 for name in self.partners.values()}
        if definition == "committed":
            return self.committed(subject)
        raise KeyError(definition)

    def committed(self, subject: str) -> dict[str, float]:
        if subject == self.jv:
            expr = {f"equity.{n}.amount_usd": 1.0 for n in [*self.partners.values(), *self.outside_equity]}
            expr.update({f"loans.{n}.limit_usd": 1.0 for n in self.jv_loans})
            return expr
        return {f"equity.{self.partners[subject]}.amount_usd": 1.0}

    def scale(self, unit: str) -> float:
        return SCALE.get(unit, 1.0)


def names_for(scenario: Any) -> Names:
    """The names of a loaded Scenario (via its Plan), with its input values."""
    from fundcheck.engine.plan import compile_plan

    plan = compile_plan(scenario)
    items = {"entities": list(plan.entities.index), "equity": list(plan.equity.index),
             "loans": list(plan.loans.index), "phases": list(plan.phases.index), "sites": list(plan.sites.index)}
    months = list(plan.axis.labels())
    ents = items["entities"]
    outside = [bool(x) for x in plan.entities.columns["outside"]]
    jvs = [name for name, e in scenario.entities.items() if getattr(e, "kind", "") == "jv"]
    jv = jvs[0] if jvs else None
    partners: dict[str, str] = {}
    outside_equity: list[str] = []
    jv_loans: list[str] = []
    values: dict[str, float] = {}
    plan_column: dict[str, tuple[str, int]] = {}
    if jv is not None:
        j = ents.index(jv)
        for r, name in enumerate(items["equity"]):
            if int(plan.equity.columns["investee"][r]) == j:
                investor = ents[int(plan.equity.columns["investor"][r])]
                if outside[ents.index(investor)]:
                    outside_equity.append(name)
                else:
                    partners.setdefault(investor, name)
        for r, name in enumerate(items["loans"]):
            if int(plan.loans.columns["borrower"][r]) == j:
                jv_loans.append(name)
    parties: dict[str, tuple[str, ...]] = {}
    phase_owners: dict[str, tuple[str, ...]] = {}
    for r, name in enumerate(items["phases"]):
        phase_owners[name] = tuple(dict.fromkeys((ents[int(plan.phases.columns["owner"][r])],
                                                  ents[int(plan.phases.columns["it_owner"][r])])))
    for group, keys in INPUTS.items():
        if group == "program":
            continue
        for r, item in enumerate(items[_DIMS[group]]):
            for key, (_, column, _) in keys.items():
                table = getattr(plan, group)
                col = column.partition(".")[2] if column else key
                if col not in table.columns:
                    continue
                v = float(table.value(col, r, 0))
                name = f"{group}.{item}.{key}"
                parties[name] = _parties(plan, group, r, ents, phase_owners, item)
                if v == v:  # not NaN
                    values[name] = v
                if column:
                    plan_column[name] = (column, r)
    return Names(scenario=str(scenario.program), items=items, months=months, jv=jv, partners=partners,
                 outside_equity=outside_equity, jv_loans=jv_loans, values=values, plan_column=plan_column,
                 parties=parties, phase_owners=phase_owners)


def _parties(plan: Any, group: str, r: int, ents: list[str], phase_owners: dict[str, tuple[str, ...]],
             item: str) -> tuple[str, ...]:
    """The entities an input row concerns: the entity; an equity's investor and investee; a loan's lender and
    borrower; a phase's owners."""
    def ent(i: int) -> list[str]:
        return [ents[i]] if 0 <= i < len(ents) else []

    if group == "entities":
        return (item,)
    if group == "equity":
        return tuple(ent(int(plan.equity.columns["investor"][r])) + ent(int(plan.equity.columns["investee"][r])))
    if group == "loans":
        return tuple(ent(int(plan.loans.columns["lender"][r])) + ent(int(plan.loans.columns["borrower"][r])))
    if group == "phases":
        return phase_owners.get(item, ())
    return ()
