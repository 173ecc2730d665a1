"""The answer first: one verdict per funded party and one for the program, in words and numbers.

Everything here is read from a run's `Results` (no engine work): what each party pays of what it committed,
when it first falls short and why, what it leaves unpaid (each dollar once); for the program, capex funded against
plan, IT MW online against plan by year, which phases hold the build gap, and which outside providers fill the
holes. The terminal summary and ``report.html`` both open with these lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fundcheck.engine.results import SHORTFALL_USD, Results
from fundcheck.engine.tables import CAUSE_NAMES
from fundcheck.report.fmt import usd

__all__ = ["ChanceVerdict", "PartyVerdict", "ProgramVerdict", "montecarlo_verdicts", "party_verdicts",
           "program_verdict"]

_MOSTLY_PAID = 0.995  # above this share paid, say "all but $X" rather than "$X of $Y"
_MAX_PHASES = 3  # phases named in the build-gap line; the rest are counted


@dataclass(frozen=True)
class PartyVerdict:
    """One funded party's answer. Money in USD; months as 'YYYY-MM'."""

    entity: str
    first_short: str | None
    first_cause: str | None  # the largest cause of its gap in the first month short
    largest_gap_usd: float
    unpaid_usd: float  # every dollar not paid when due over the horizon, counted once (paid late or never)
    unpaid_by_cause_usd: dict[str, float]
    text: str  # "SoftBank: pays $2.4B of its $19.0B commitment to Stargate JV; ..."

    @property
    def short(self) -> bool:
        return self.first_short is not None


@dataclass(frozen=True)
class ProgramVerdict:
    """The program's answer: one line each for capex, MW online, the build gap and who fills the holes."""

    capex_usd: float
    funded_usd: float
    gap_usd: float
    gap_by_phase_usd: dict[str, float]  # unfunded capex per phase (phases with any), largest first
    outside_usd: dict[str, float]  # deployed by each outside provider, largest first
    lines: tuple[str, ...]


def _first_cause(results: Results, entity: str, month: str, path: int) -> str | None:
    """The largest cause of `entity`'s gap in `month` (from the monthly causes when recorded, else over the
    horizon)."""
    e = results.entity_names.index(entity)
    if results.outcome.full:
        by_cause = results.outcome.field("gap_by_cause_usd")[path, results.months.index(month), e]
    else:
        by_cause = results.gap_by_cause(path).iloc[e].to_numpy()
    if not (by_cause > 0).any():
        return None
    return CAUSE_NAMES[int(np.argmax(by_cause))]


def _debt_event(results: Results, entity: str, month: str, path: int) -> str | None:
    """The facility whose unpaid debt service is largest in `month` ('SoftBank bridge 2025 matures' when the
    month is its maturity), or None."""
    if not results.outcome.full:
        return None
    ln = results.plan.loans
    t = results.months.index(month)
    overdue = results.array("overdue_usd", path)
    rise = overdue[t] - (overdue[t - 1] if t > 0 else 0.0)
    mine = [i for i in range(len(ln)) if results.plan.entities.index[int(ln.borrower[i])] == entity]
    if not mine or max(rise[i] for i in mine) <= SHORTFALL_USD:
        return None
    i = max(mine, key=lambda j: rise[j])
    matures = int(results.window_end(path)[i]) + int(ln.repay_months[i]) == t
    return f"{ln.index[i]} matures" if matures else ln.index[i]


def _paid_late(results: Results, entity: str, path: int) -> float:
    """Dollars `entity` could not pay when due but paid in a later month (deferred capex, overdue debt, a
    re-issued call), USD: each month, what was carried in less the carried part still unpaid. What is not
    carried (a missed contract payment) is never paid."""
    if not results.outcome.full:
        return 0.0
    carried = results.carried(path)[entity].to_numpy()
    still = results.gap(path)[entity].to_numpy() - results.new_gap(path)[entity].to_numpy()
    return float(np.maximum(carried - still, 0.0).sum())


def _commitment_phrases(money: pd.DataFrame, entity: str) -> list[str]:
    """What `entity` pays of what it committed, per recipient: short ones first, then those paid in full."""
    out_short, out_full = [], []
    mine = money[money["from"] == entity]
    for (to, kind), rows in mine.groupby(["to", "kind"], sort=False):
        committed = float(rows.committed_usd.sum())
        deployed = float(rows.deployed_usd.sum())
        many = len(rows) > 1
        if kind != "equity":  # a loan's limit is a ceiling, not a promise to pay all of it
            out_full.append(f"lends {usd(deployed)} to {to} (limit{'s' if many else ''} {usd(committed)})")
            continue
        noun = "commitments" if many else "commitment"
        missing = committed - deployed
        if missing <= SHORTFALL_USD:
            out_full.append(f"pays in full its {usd(committed)} {noun} to {to}")
        elif deployed >= _MOSTLY_PAID * committed:
            out_short.append(f"pays all but {usd(missing)} of its {usd(committed)} {noun} to {to}")
        else:
            out_short.append(f"pays {usd(deployed)} of its {usd(committed)} {noun} to {to}")
    return out_short + out_full


def party_verdicts(results: Results, path: int = 0) -> list[PartyVerdict]:
    """One verdict per funded entity, in the order of ``results.funded_entities``."""
    money = results.money(path)
    short = results.shortfalls(path)
    causes = results.gap_by_cause(path)
    received = money.groupby("to", sort=False)[["committed_usd", "deployed_usd"]].sum()
    out = []
    for entity in results.funded_entities:
        row = short.loc[entity]
        first = row.first_shortfall if isinstance(row.first_shortfall, str) else None
        by_cause = {c: float(v) for c, v in causes.loc[entity].items() if v > SHORTFALL_USD}
        by_cause = dict(sorted(by_cause.items(), key=lambda kv: -kv[1]))
        phrases = _commitment_phrases(money, entity)
        if entity in received.index:
            got = received.loc[entity]
            phrases.append(f"receives {usd(got.deployed_usd)} of the {usd(got.committed_usd)} committed to it "
                           f"(equity and loan limits)")
        cause = _first_cause(results, entity, first, path) if first else None
        unpaid = float(row.unpaid_total_usd)
        if first is None:
            phrases.append("never short")
        else:
            event = _debt_event(results, entity, first, path) if cause == "debt service" else None
            phrases.append(f"first short {first}" + (f" ({cause}" + (f": {event}" if event else "") + ")"
                                                       if cause else ""))
            split = ", ".join(f"{c} {usd(v)}" for c, v in by_cause.items())
            late = _paid_late(results, entity, path)
            still = ("none of it paid later" if late <= SHORTFALL_USD else
                     f"{usd(late)} of it paid later, {usd(max(unpaid - late, 0.0))} never" if unpaid - late >
                     SHORTFALL_USD else "all of it paid later")
            phrases.append(f"could not pay {usd(unpaid)} when due, each dollar once" + (f" ({split})" if split else "")
                           + f"; {still}")
        out.append(PartyVerdict(entity, first, cause, float(row.largest_gap_usd), unpaid, by_cause,
                                f"{entity}: " + "; ".join(phrases)))
    return out


def _mw_line(results: Results, path: int) -> str | None:
    """IT MW online at each year's end against plan, from the first planned MW to the year the plan is full."""
    years = results.mw_by_year(path)
    planned = years.planned_mw
    if not len(years) or planned.max() <= 0:
        return None
    first = int(np.argmax(planned.to_numpy() > 0))
    last = int(np.argmax(planned.to_numpy() >= planned.max()))
    shown = years.iloc[first:last + 1]
    def cell(year: str, row: pd.Series) -> str:
        running = getattr(row, "running_mw", row.modelled_mw)
        idle = f" ({running:,.0f} with GPUs paid)" if running < row.modelled_mw - 0.5 else ""
        return f"{year} {row.modelled_mw:,.0f} of {row.planned_mw:,.0f}{idle}"

    cells = ", ".join(cell(year, row) for year, row in shown.iterrows())
    return f"IT MW online at year end, modelled of planned: {cells}"


def _phase_status(row: pd.Series) -> str:
    if not isinstance(row.energized, str):
        return "never energizes"
    if row.delay_months and row.delay_months > 0:
        return f"energizes {row.energized}, {row.delay_months:.0f} months late"
    return f"energizes {row.energized}"


def program_verdict(results: Results, path: int = 0) -> ProgramVerdict:
    """The program's verdict: capex funded against plan, MW by year, where the build gap sits, who fills holes."""
    t = results.totals(path)
    lines = [f"capex funded {usd(t['funded_usd'])} of {usd(t['capex_usd'])} planned"]
    mw_line = _mw_line(results, path) if len(results.plan.phases) else None
    if mw_line:
        lines.append(mw_line)
    gap_by_phase: dict[str, float] = {}
    if len(results.plan.phases):
        planned = results.plan.planned_capex(path).sum(axis=1)
        funded = results.outcome.field("capex_funded_total_usd")[path]
        phases = results.phases(path)
        unfunded = planned - funded
        order = np.argsort(-unfunded, kind="stable")
        named = []
        for h in order:
            if unfunded[h] <= SHORTFALL_USD:
                break
            row = phases.iloc[h]
            name = f"{row.site} {row.phase}"
            gap_by_phase[name] = float(unfunded[h])
            if len(named) < _MAX_PHASES:
                named.append(f"{name} {usd(unfunded[h])} unfunded ({_phase_status(row)})")
        if t["gap_usd"] > SHORTFALL_USD:
            more = len(gap_by_phase) - len(named)
            lines.append(f"the build gap {usd(t['gap_usd'])} is " + ", ".join(named)
                         + (f" and {more} more phase{'s' if more > 1 else ''}" if more > 0 else ""))
        else:
            lines.append("the build is funded in full")
    money = results.money(path)
    outside_names = {name for name, out in zip(results.plan.entities.index, results.plan.entities.outside,
                                               strict=True) if out}
    theirs = money[money["from"].isin(outside_names) & (money.deployed_usd > SHORTFALL_USD)]
    by_provider = theirs.groupby("from", sort=False).deployed_usd.sum().sort_values(ascending=False)
    outside = {str(k): float(v) for k, v in by_provider.items()}
    if outside:
        cells = []
        for provider, amount in outside.items():
            to = ", ".join(dict.fromkeys(theirs[theirs["from"] == provider].to))
            cells.append(f"{provider} {usd(amount)} (to {to})")
        lines.append("who fills the holes, money from outside the modelled parties: " + "; ".join(cells))
    else:
        lines.append("no outside provider puts money in")
    return ProgramVerdict(t["capex_usd"], t["funded_usd"], t["gap_usd"], gap_by_phase, outside, tuple(lines))


@dataclass(frozen=True)
class ChanceVerdict:
    """One party's answer over Monte Carlo paths: the probability it falls short by the horizon end with its
    standard error and 95% Wilson interval, and, on the paths where it does, when it first does (P10, P50,
    P90 as 'YYYY-MM')."""

    entity: str
    p: float
    se: float
    lo95: float
    hi95: float
    first_short: tuple[str, str, str] | None
    by_date: dict[str, float]  # P(short by each of the scenario's report dates)
    text: str

    @property
    def short(self) -> bool:
        return self.p > 0


def _share(p: float) -> str:
    """A probability as a percent with as many decimals as a small one needs ('0.04%', '12.3%', '100%')."""
    if p in (0.0, 1.0):
        return f"{p:.0%}"
    return f"{100 * p:.2f}%" if p < 0.01 or p > 0.99 else f"{100 * p:.1f}%"


def montecarlo_verdicts(r: Any) -> tuple[list[ChanceVerdict], tuple[str, ...]]:
    """The answer first, as probabilities: one verdict per modelled party (in the plan's order) and the
    program's lines (the chance of a build gap, its size, MW online by year), from a `MonteCarloResults`."""
    first = r.arrays["first_short"]
    months = r.months
    dates = [months[r.plan.axis.index(m)] for m in (r.scenario.uncertainty.dates if r.scenario.uncertainty else [])]
    parties = []
    for e in r.modelled_entities:
        q = r.p_shortfall(e)
        col = first[:, r.plan.entities.index.index(e)]
        hit = col[col >= 0]
        when = None
        if len(hit):
            p10, p50, p90 = np.percentile(hit, [10, 50, 90], method="inverted_cdf")
            when = (months[int(p10)], months[int(p50)], months[int(p90)])
        by_date = {d: r.p_shortfall(e, d)["p"] for d in dates}
        if q["p"] == 0:
            text = (f"{e}: short on none of {r.paths:,} paths (95% interval 0% to {_share(q['hi95'])})")
        else:
            text = (f"{e}: short on {_share(q['p'])} of paths (± {_share(q['se'])}; 95% interval "
                    f"{_share(q['lo95'])} to {_share(q['hi95'])})")
            if when:
                text += (f"; on those paths first short {when[1]} at the median"
                         + (f" (P10 {when[0]}, P90 {when[2]})" if when[0] != when[2] else ""))
            if by_date:
                text += "; " + ", ".join(f"by {d} {_share(v)}" for d, v in by_date.items())
        parties.append(ChanceVerdict(e, q["p"], q["se"], q["lo95"], q["hi95"], when, by_date, text))
    g = r.gap_percentiles()
    gapped = float((r.gap_usd > SHORTFALL_USD).mean())
    se = float(np.sqrt(gapped * (1 - gapped) / r.paths))
    lines = [f"a build gap on {_share(gapped)} of paths (± {_share(se)})",
             f"build gap: median {usd(g['p50'])}, mean {usd(g['mean'])}, P95 {usd(g['p95'])}; the worst 5% of "
             f"paths average {usd(r.expected_shortfall())}"]
    years = r.mw_online_by_year()
    shown = [(y, v) for y, v in years.items() if v["planned"] > 0]
    if shown:
        full = max(v["planned"] for _, v in shown)
        cut = next((k for k, (_, v) in enumerate(shown) if v["planned"] >= full), len(shown) - 1)
        lines.append("IT MW online at year end, median (P5 to P95) of planned: " + ", ".join(
            f"{y} {v['p50']:,.0f} ({v['p5']:,.0f} to {v['p95']:,.0f}) of {v['planned']:,.0f}"
            for y, v in shown[:cut + 1]))
    return parties, tuple(lines)
