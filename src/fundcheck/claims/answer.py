"""The plain-words answer to "do they actually have the money?" from a ledger check (text lines)."""

from __future__ import annotations

from fundcheck.claims.check import Check, describe, short_who

__all__ = ["answer_lines", "report_lines", "world_line"]


def _b(usd: float) -> str:
    return f"${usd / 1e9:,.1f}B"


def world_line(w: object, plan_year: int = 2028) -> str:
    o = w.outcome  # type: ignore[attr-defined]
    if not o:
        return f"{w.id}: {w.name}"  # type: ignore[attr-defined]
    short = ", ".join(f"{e} {m}" for e, m in o["first_shortfall"].items() if m) or "nobody"
    mw = o["it_mw_online_by_year"].get(plan_year, 0.0)
    planned = o["it_mw_planned_by_year"].get(plan_year, 0.0)
    changed = "; ".join(f"{k} = {_b(v)}" for k, v in w.inputs.items()) or "no input changes"  # type: ignore[attr-defined]
    return (f"{w.id} {w.name}: gap {_b(o['gap_usd'])}; first short: {short}; IT MW online end-{plan_year} "
            f"{mw:,.0f} of {planned:,.0f}; {len(o['never_energized'])} phase(s) never energize [{changed}]")


def answer_lines(check: Check) -> list[str]:
    """The short answer, then one line per date said."""
    claims = check.ledger.by_id()
    contested = {i for c in check.conflicts for i in c}
    lines = ["Do they actually have the money?"]
    n = len(check.system.ids)
    gaps = [w.outcome["gap_usd"] for w in check.worlds if w.outcome]
    sb = sorted({m for w in check.worlds for e, m in w.outcome.get("first_shortfall", {}).items() if m and e != ""})
    if check.consistent:
        lines.append(f"Short answer: the {n} checked statements can all hold together.")
    else:
        lines.append(f"Short answer: not everything said can be true. Of {n} checked statements, "
                     f"{len(check.uncontested)} fit with everything else; {len(contested)} are caught in "
                     f"{len(check.conflicts)} minimal conflicts, leaving {len(check.worlds)} consistent worlds.")
    if gaps:
        firsts: dict[str, list[str]] = {}
        for w in check.worlds:
            for e, m in w.outcome["first_shortfall"].items():
                if m:
                    firsts.setdefault(e, []).append(m)
        who = "; ".join(f"{e} from {min(ms)} to {max(ms)}" if min(ms) != max(ms) else f"{e} from {ms[0]}"
                        for e, ms in firsts.items())
        lines.append(f"In every world the build is short: funding gap {_b(min(gaps))} to {_b(max(gaps))}; "
                     f"first shortfall {who or 'none'}.")
    del sb
    by_date: dict[str, list[str]] = {}
    for c in sorted((c for c in check.ledger.claims if c.checked), key=lambda c: c.said):
        if c.kind == "forecast":
            v, why = check.verdicts.get(c.id, ("", ""))
            state = f"forecast, {v}" + (f": {why}" if v in ("failed", "held") else "")
        elif c.id in contested:
            state = "in conflict"
        else:
            state = "consistent"
        by_date.setdefault(str(c.said), []).append(f"{short_who(c)} [{c.id}] {describe(c)} {c.bound_text()}: "
                                                  f"{state}")
    lines.append("As of each date said:")
    for date, items in by_date.items():
        lines.append(f"  {date}: " + " | ".join(items))
    del claims
    return lines


def report_lines(check: Check) -> list[str]:
    """Everything `claims check` prints after the answer."""
    claims = check.ledger.by_id()
    out = ["", "Consistent with the model and every other claim:"]
    out += [f"  {i} {short_who(claims[i])} ({claims[i].said}): {describe(claims[i])} {claims[i].bound_text()}"
            for i in check.uncontested] or ["  (none)"]
    out += ["", f"Conflicts ({len(check.conflicts)} minimal sets that cannot all hold):"]
    out += [f"  {k}. {{{', '.join(c)}}} {e}" for k, (c, e) in enumerate(zip(check.conflicts, check.explanations,
                                                                            strict=True), 1)] or ["  (none)"]
    out += ["", f"Minimal corrections ({len(check.corrections)}; drop any one set and the rest can all hold):"]
    out += [f"  {k}. drop {', '.join(c)}" for k, c in enumerate(check.corrections, 1)] or ["  (none needed)"]
    out += ["", "Worlds (each keeps a maximal consistent set; the scenario is conditioned on it and run):"]
    if check.central:
        c = check.central
        out.append(f"  scenario as written: gap {_b(c['gap_usd'])}; first short: "
                   + (", ".join(f"{e} {m}" for e, m in c["first_shortfall"].items() if m) or "nobody"))
    out += [f"  {world_line(w)}" for w in check.worlds]
    out += ["", "Forecasts (model: held or fails in each world; verdict: from later dated facts, as of today):"]
    for cid, (v, why) in check.verdicts.items():
        c = claims[cid]
        model = sorted({w.evaluations.get(cid, "") for w in check.worlds} - {""})
        shown = "/".join(model) if model else "not a model output"
        out.append(f"  {cid} {short_who(c)} ({c.said}): {describe(c)} {c.bound_text()}; model: {shown} in "
                   f"{'every world' if len(model) == 1 else 'some worlds'}; verdict: {v} ({why})")
    return out
