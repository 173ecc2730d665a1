"""The plain-words answer to "do they actually have the money?" from a ledger check (text lines)."""

from __future__ import annotations

from typing import Any

from fundcheck.claims.check import Check, describe, short_who

__all__ = ["answer_lines", "gap_line", "mc_lines", "mc_report_lines", "model_lines", "precise", "report_lines",
           "world_line"]


def _b(usd_value: float) -> str:
    """An amount for a sentence: billions from $1B, else millions or dollars (as the report's `usd`)."""
    from fundcheck.report.fmt import usd

    return f"${usd_value / 1e9:,.1f}B" if abs(usd_value) >= 0.95e9 else usd(usd_value)


def _range(values: list[float]) -> str:
    """'$33.2B', or '$10.0B to $33.2B' when the values differ."""
    lo, hi = min(values), max(values)
    return _b(lo) if _b(lo) == _b(hi) else f"{_b(lo)} to {_b(hi)}"


def precise(name: str, value: float) -> str:
    """An input value with enough digits that different values read differently ('just under $10B')."""
    if name.endswith("_usd"):
        scaled, unit, fmt = value / 1e9, "B", "${}B"
    elif name.endswith(".stake"):
        scaled, unit, fmt = value * 100, "%", "{}%"
    else:
        scaled, unit, fmt = value, "MW", "{} MW"
    del unit
    text = f"{scaled:,.6g}"
    shown = float(text.replace(",", ""))
    tol = 1e-12 * max(1.0, abs(scaled))
    if scaled < shown - tol:
        return "just under " + fmt.format(text)
    if scaled > shown + tol:
        return "just over " + fmt.format(text)
    return fmt.format(text)


def world_line(w: Any, plan_year: int | None = None) -> str:
    """One world in a line: its build and who falls short; IT MW online at the end of `plan_year` (default
    2028 when the horizon reaches it, else the horizon's last year)."""
    o = w.outcome
    if not o:
        return f"{w.id}: {w.name}"
    if plan_year is None:
        years = sorted(o["it_mw_planned_by_year"]) or [2028]
        plan_year = 2028 if 2028 in years else years[-1]
    short = ", ".join(f"{e} {m}" for e, m in o["first_shortfall"].items() if m) or "nobody"
    mw = o["it_mw_online_by_year"].get(plan_year, 0.0)
    planned = o["it_mw_planned_by_year"].get(plan_year, 0.0)
    never = o["never_energized"]
    never_text = f"{len(never)} phase(s) never energize" + (f" ({', '.join(never)})" if never else "")
    cond = w.conditioned
    changed = "; ".join(f"{k} = {precise(k, v)}" + (f" ({', '.join(cond.bound_by.get(k, []))})" if cond else "")
                        for k, v in w.inputs.items()) or "no input changes"
    parts = [f"inputs set: {len(cond.values) if cond else 0} bound by kept claims, {len(w.inputs)} changed: "
             f"{changed}"]
    if cond and cond.caps:
        parts.append("caps: " + "; ".join(cond.caps))
    if cond and cond.not_modelled:
        parts.append("not modelled as an input: " + "; ".join(cond.not_modelled))
    return (f"{w.id} {w.name}: gap {_b(o['gap_usd'])}; first short: {short}; IT MW online end-{plan_year} "
            f"{mw:,.0f} of {planned:,.0f}; {never_text} [{' | '.join(parts)}]")


def gap_line(check: Check) -> str:
    """What the worlds imply for the gap, and why it is the same in every world when it is."""
    worlds = [w for w in check.worlds if w.outcome]
    if not worlds:
        return ""
    gaps = [w.outcome["gap_usd"] for w in worlds]
    short = [g for g in gaps if g > 0.5e6]
    n = len(worlds)
    if not short:
        return f"In no world is the build short: the funding gap is $0 in all {n} world(s)."
    lead = ("In every world the build is short" if len(short) == n else
            f"In {len(short)} of {n} worlds the build is short")
    if _b(min(gaps)) != _b(max(gaps)):
        return f"{lead}: funding gap {_range(gaps)}."
    text = f"{lead} by the same {_b(gaps[0])}."
    names = check.ledger.names
    phases = worlds[0].outcome.get("gap_by_phase_usd", {})
    if not phases or any(w.outcome.get("gap_by_phase_usd", {}).keys() != phases.keys() for w in worlds):
        return text
    pieces = []
    for phase, usd in phases.items():
        owners = names.phase_owners.get(phase, ())
        own = f"facility {owners[0]}" + (f", IT {owners[1]}" if len(owners) > 1 else "") if owners else ""
        share = "all of it is" if abs(usd - gaps[0]) < 0.05e9 else f"{_b(usd)} is"
        why = []
        for owner in owners:
            touching = sorted({cid for w in worlds if w.conditioned for k, ids in w.conditioned.bound_by.items()
                               if owner in names.parties.get(k, ()) for cid in ids}, key=check.system.ids.index)
            moved: dict[str, list[float]] = {}
            for w in worlds:
                for k, v in w.inputs.items():
                    if owner in names.parties.get(k, ()):
                        moved.setdefault(k, []).append(v)
            if not touching:
                why.append(f"no claim binds an input of {owner}")
            elif not moved:
                more = " ..." if len(touching) > 6 else ""
                why.append(f"claims bind {owner}'s inputs ({', '.join(touching[:6])}{more}) but no world changes them")
            else:
                what = ", ".join(f"{input_words(k)} ({_range(v + [names.values.get(k, v[0])])})"
                                 for k, v in moved.items())
                why.append(f"the worlds change {owner}'s {what}")
        pieces.append(f"{share} {phase}" + (f" ({own})" if own else "") + ", funded the same in every world: "
                      + "; ".join(why))
    body = "; ".join(pieces)
    return f"{text} {body[:1].upper()}{body[1:]}. Nothing a world changes alters what pays for it."


_INPUT_WORDS = {"amount_usd": "amount", "limit_usd": "limit", "opening_cash_usd": "opening cash",
                "raise_limit_usd": "new money it can raise", "stake": "stake", "rate_monthly": "monthly rate"}


def input_words(key: str) -> str:
    """A scenario input's name for a reader: 'equity.equity Oracle -> Stargate JV.amount_usd' -> 'equity Oracle →
    Stargate JV: amount', 'entities.SoftBank.opening_cash_usd' -> 'SoftBank: opening cash'."""
    table, _, rest = key.partition(".")
    row, _, column = rest.rpartition(".")
    if not row or table not in ("equity", "loans", "entities", "phases", "contracts"):
        return key
    words = _INPUT_WORDS.get(column, column.removesuffix("_usd").replace("_", " "))
    return f"{row.replace(' -> ', ' → ')}: {words}"


def answer_lines(check: Check) -> list[str]:
    """The short answer, then one line per date said."""
    contested = {i for c in check.conflicts for i in c}
    lines = ["Do they actually have the money?"]
    n = len(check.system.ids)
    if check.consistent:
        lines.append(f"Short answer: the {n} checked statements can all hold together (claim against claim).")
    else:
        lines.append(f"Short answer: not everything said can be true. Of {n} checked statements, "
                     f"{len(check.uncontested)} fit with every other claim; {len(contested)} are caught in "
                     f"{len(check.conflicts)} minimal conflicts, leaving {len(check.worlds)} consistent worlds.")
    gap = gap_line(check)
    if gap:
        lines.append(gap)
        firsts: dict[str, list[str]] = {}
        for w in check.worlds:
            for e, m in w.outcome["first_shortfall"].items():
                if m:
                    firsts.setdefault(e, []).append(m)
        who = "; ".join(f"{e} from {min(ms)} to {max(ms)}" if min(ms) != max(ms) else f"{e} from {ms[0]}"
                        for e, ms in firsts.items())
        lines.append(f"First shortfall: {who or 'nobody falls short'}.")
        contra = _contradicted(check)
        if contra:
            lines.append("Contradicted by the model (the engine computes these; claim against run): "
                         + "; ".join(contra) + ".")
    by_date: dict[str, list[str]] = {}
    for c in sorted((c for c in check.ledger.claims if c.checked), key=lambda c: c.said):
        if c.kind == "forecast":
            v, why = check.verdicts.get(c.id, ("", ""))
            state = f"forecast, {v}" + (f": {why}" if v in ("failed", "held") else "")
        else:
            state = "in conflict" if c.id in contested else "consistent with the other claims"
            model = _model_state(check, c.id)
            if model:
                state += f"; {model}"
        by_date.setdefault(str(c.said), []).append(f"{short_who(c)} [{c.id}] {describe(c)} {c.bound_text()}: "
                                                  f"{state}")
    lines.append("As of each date said:")
    for date, items in by_date.items():
        lines.append(f"  {date}: " + " | ".join(items))
    return lines


def _model_state(check: Check, cid: str) -> str:
    """'consistent with the model (model: X)', 'contradicted by the model (model: X)', or mixed; '' if the
    model does not compute the claim's quantity."""
    worlds = [w for w in check.worlds if cid in w.evaluations]
    if not worlds:
        return ""
    values = sorted({w.model_values.get(cid, "") for w in worlds})
    shown = f"model: {values[0]}" if len(values) == 1 else f"model: {values[0]} to {values[-1]}"
    states = {w.evaluations[cid] for w in worlds}
    if states == {"held"}:
        return f"consistent with the model in every world ({shown})"
    if states == {"fails"}:
        return f"contradicted by the model in every world ({shown})"
    bad = [w.id for w in worlds if w.evaluations[cid] == "fails"]
    return f"contradicted by the model in {len(bad)} of {len(worlds)} worlds ({', '.join(bad[:6])}; {shown})"


def _contradicted(check: Check) -> list[str]:
    claims = check.ledger.by_id()
    out = []
    for cid in check.system.ids:
        state = _model_state(check, cid)
        if state.startswith("contradicted"):
            c = claims[cid]
            out.append(f"{short_who(c)} [{cid}] {describe(c)} {c.bound_text()}: {state}")
    return out


def model_lines(check: Check) -> list[str]:
    """Each statement the model computes, checked against each world's run."""
    claims = check.ledger.by_id()
    out = []
    for cid in check.system.ids:
        state = _model_state(check, cid)
        if state:
            c = claims[cid]
            out.append(f"  {cid} {short_who(c)} ({c.said}): {describe(c)} {c.bound_text()}: {state}")
    return out


def report_lines(check: Check) -> list[str]:
    """Everything `claims check` prints after the answer."""
    claims = check.ledger.by_id()
    out = ["", "Consistent with every other claim (claim against claim; the model is checked below):"]
    out += [f"  {i} {short_who(claims[i])} ({claims[i].said}): {describe(claims[i])} {claims[i].bound_text()}"
            for i in check.uncontested] or ["  (none)"]
    if check.worlds and check.worlds[0].outcome:
        out += ["", "Checked against the model (claims about what the engine computes, against each world's run):"]
        out += model_lines(check) or ["  (no statement is about a model output)"]
    out += ["", f"Conflicts ({len(check.conflicts)} minimal sets that cannot all hold):"]
    out += [f"  {k}. {{{', '.join(c)}}} {e}" for k, (c, e) in enumerate(zip(check.conflicts, check.explanations,
                                                                            strict=True), 1)] or ["  (none)"]
    out += ["", f"Minimal corrections ({len(check.corrections)}; drop any one set and the rest can all hold):"]
    out += [f"  {k}. drop {', '.join(c)}" for k, c in enumerate(check.corrections, 1)] or ["  (none needed)"]
    out += ["", "Worlds (each keeps a maximal consistent set; every engine input its claims bind is set, and it is "
                "run):"]
    if check.central:
        c = check.central
        out.append(f"  scenario as written: gap {_b(c['gap_usd'])}; first short: "
                   + (", ".join(f"{e} {m}" for e, m in c["first_shortfall"].items() if m) or "nobody"))
    out += [f"  {world_line(w)}" for w in check.worlds]
    out += ["", "Forecasts (model: held or fails in each world's run; verdict: from later dated facts, as of "
                "today):"]
    n = len(check.worlds)
    for cid, (v, why) in check.verdicts.items():
        c = claims[cid]
        states = [w.evaluations[cid] for w in check.worlds if cid in w.evaluations]
        values = sorted({w.model_values.get(cid, "") for w in check.worlds if cid in w.evaluations} - {""})
        if not states:
            shown = "not computed by the model (no engine quantity for it)"
        elif len(set(states)) == 1:
            shown = f"{states[0]} in every world" + (f" (model: {values[0]})" if len(values) == 1 else "")
        else:
            shown = f"held in {states.count('held')} of {n} worlds, fails in {states.count('fails')}"
        out.append(f"  {cid} {short_who(c)} ({c.said}): {describe(c)} {c.bound_text()}; model: {shown}; "
                   f"verdict: {v} ({why})")
    return out


def _pct(d: dict[str, float] | None) -> str:
    if not d:
        return "-"
    return f"{100 * d['p']:.1f}% ±{100 * d['se']:.1f}"


def mc_lines(w: Any) -> list[str]:
    """The Monte Carlo of one world (``world.mc``), indented, for the terminal; [] when none was run."""
    mc = getattr(w, "mc", None)
    if mc is None:
        return []
    head = (f"    Monte Carlo: {mc.accepted:,} of {mc.paths:,} paths accepted ({100 * mc.acceptance:.1f}%), "
            f"ESS {mc.ess:,.0f}")
    rough = "; few paths, so the standard errors are rough" if 0 < mc.ess < 30 else ""
    out = [head + (f": {mc.note}" if mc.note else rough)]
    conds = mc.condition_texts()
    if conds:
        out.append("      conditioned: " + "; ".join(conds) + ("; tied bounds checked by one LP per path"
                                                             if mc.joint_check else ""))
    if mc.note:
        return out
    short = ", ".join(f"{e} {_pct(d)}" for e, d in mc.p_shortfall.items())
    out.append(f"      P(shortfall): {short}")
    from fundcheck.claims.montecarlo import usd

    out.append(f"      P(build gap > 0): {_pct(mc.p_gap)}; mean gap {usd(mc.mean_gap_usd or 0.0)}")
    if mc.forecasts:
        out.append("      P(forecast holds): " + ", ".join(
            f"{cid} {_pct(d)}" + (f" (full record, n={d['n']:,})" if d["record"] == "full" else "")
            for cid, d in mc.forecasts.items()))
    return out


def mc_report_lines(check: Check) -> list[str]:
    """The Monte Carlo section of `claims check` (empty when it was not run): each world's probabilities."""
    runs = [w for w in check.worlds if getattr(w, "mc", None) is not None]
    if not runs:
        return []
    mc = runs[0].mc
    out = ["", f"Monte Carlo per world ({mc.paths:,} paths, seed {mc.seed}, {mc.sampler} sampler; the same draws "
               "in every world; an input a kept claim fixes is set on every path, one it bounds is conditioned "
               "by rejection; ESS = accepted paths):"]
    for w in runs:
        out.append(f"  {w.id} {w.name}")
        out += mc_lines(w)
    by_forecast: dict[str, list[tuple[float, str]]] = {}
    for w in runs:
        for cid, d in w.mc.forecasts.items():
            by_forecast.setdefault(cid, []).append((d["p"], w.id))
    if by_forecast:
        out.append("  P(forecast holds) across worlds:")
        for cid, ps in by_forecast.items():
            lo, hi = min(ps), max(ps)
            out.append(f"    {cid}: " + (f"{100 * lo[0]:.1f}% in every world with accepted paths"
                                         if f"{lo[0]:.3f}" == f"{hi[0]:.3f}" else
                                         f"{100 * lo[0]:.1f}% ({lo[1]}) to {100 * hi[0]:.1f}% ({hi[1]})"))
    skipped = {cid: why for w in runs for cid, why in w.mc.not_computed.items()}
    if skipped:
        out.append("  Forecasts not computed by the engine: "
                   + "; ".join(f"{cid} ({why})" for cid, why in skipped.items()))
    return out
