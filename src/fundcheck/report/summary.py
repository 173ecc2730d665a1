"""The terminal summary of a run, as rich tables.

Every string that comes from the scenario (program, entity, instrument and site names) is passed as a rich
``Text``, never as markup: `[/]` or `:100:` in a name is printed as written, not read as markup or an emoji.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from fundcheck.engine.results import Results
from fundcheck.report.fmt import claims_order, mw, pct, usd
from fundcheck.report.verdicts import party_verdicts, program_verdict

__all__ = ["print_finance", "print_summary", "print_verdicts", "ratio"]

_MAX_QUARTERS = 12


def print_verdicts(results: Results, console: Console) -> None:
    """The answer first: one line per funded party, then the program's lines (see ``report.verdicts``)."""
    for v in party_verdicts(results):
        name, _, rest = v.text.partition(": ")
        console.print(Text.assemble((name, "bold red" if v.short else "bold green"), ": ", rest))
    for i, line in enumerate(program_verdict(results).lines):
        console.print(Text.assemble(("Program: ", "bold") if i == 0 else "  ", line))


def print_summary(results: Results, console: Console) -> None:
    """Print the verdicts, then sources and uses, gaps, first shortfalls, MW against plan, and the capital
    stack."""
    t = results.totals()
    c = results.checks
    alts = " + ".join(results.alternatives) or "central values"
    program = str(results.program)
    if len(program) > 200:  # a rule's title is laid out in time quadratic in its length
        program = program[:199] + "…"
    console.rule(Text.assemble((program, "bold"), f"  [{alts}]  {results.months[0]} to "
                               f"{results.months[-1]}, gap policy {results.plan.gap_policy}, "
                               f"capex shortfall {results.plan.capex_shortfall.replace('_', ' ')}, "
                               f"order of claims {claims_order(results.plan.order_of_claims)}"))
    print_verdicts(results, console)
    console.print(f"capex planned {usd(t['capex_usd'])}   capex funded {usd(t['funded_usd'])}   "
                  f"[bold]build gap {usd(t['gap_usd'])}[/]", highlight=False)
    status = "[green]all invariants hold[/]" if c.ok else "[bold red]INVARIANT VIOLATED[/]"
    console.print(f"{status}: conservation error ${c.conservation_max_abs_usd:.4f} "
                  f"(tolerance ${c.tolerance_usd:.4f})", highlight=False)

    su = results.sources_and_uses()
    table = Table(title="Sources and uses per funded entity (over the horizon)", title_justify="left")
    for col in ("entity", "sources", "uses"):
        table.add_column(col)
    for entity in results.funded_entities:
        mine = su[su.entity == entity]
        cells = []
        for side in ("source", "use"):
            by_kind = mine[mine.side == side].groupby("kind").usd.sum().sort_values(ascending=False)
            cells.append("\n".join(f"{k}: {usd(v)}" for k, v in by_kind.items()) or "-")
        table.add_row(Text(str(entity)), *(Text(c) for c in cells))
    console.print(table)

    gapq = results.gap_by_quarter()
    if len(gapq):
        table = Table(title="Funding gap by quarter (largest monthly gap in the quarter)", title_justify="left")
        table.add_column("quarter")
        cols = [col for col in gapq.columns if (gapq[col] > 1).any()]
        for col in cols:
            table.add_column(Text(str(col)), justify="right")
        for quarter, row in gapq.head(_MAX_QUARTERS).iterrows():
            table.add_row(str(quarter), *[usd(row[col]) if row[col] > 1 else "-" for col in cols])
        if len(gapq) > _MAX_QUARTERS:
            table.caption = f"... {len(gapq) - _MAX_QUARTERS} more quarters with a gap in report.html"
        console.print(table)
    else:
        console.print("No funded entity falls short in any month.")

    table = Table(title="When each entity falls short", title_justify="left")
    for col in ("entity", "first short", "months short", "largest gap", "gap at end", "unpaid, each $ once"):
        table.add_column(col, justify="left" if col == "entity" else "right")
    for name, row in results.shortfalls().iterrows():
        first = row.first_shortfall if isinstance(row.first_shortfall, str) else "never"
        table.add_row(Text(str(name)), first, str(row.months_short),
                      usd(row.largest_gap_usd) if row.months_short else "-",
                      usd(row.gap_at_end_usd) if row.gap_at_end_usd > 1 else "-",
                      usd(row.unpaid_total_usd) if row.unpaid_total_usd > 1 else "-")
    table.caption = ("A monthly gap includes what is still unpaid from earlier months (deferred capex, overdue "
                     "debt); the last column counts each unpaid dollar once.")
    console.print(table)

    if not len(results.plan.phases):
        console.print("This scenario builds no sites.")
    years = results.mw_by_year() if len(results.plan.phases) else None
    table = None if years is None else Table(title="IT MW online at year end: plan against model", title_justify="left")
    if table is not None and years is not None:
        for col in ("year", "planned", "modelled", "delayed", "with GPUs paid"):
            table.add_column(col, justify="right")
        for year, row in years.iterrows():
            running = getattr(row, "running_mw", row.modelled_mw)
            table.add_row(str(year), mw(row.planned_mw), mw(row.modelled_mw),
                          mw(row.delayed_mw) if row.delayed_mw > 0 else "-", mw(running))
        console.print(table)

    money = results.money()
    table = Table(title="Committed, covered at signing and deployed, per instrument (not additive across layers)",
                  title_justify="left")
    for col in ("instrument", "to", "committed", "covered at signing", "deployed"):
        table.add_column(col, justify="left" if col in ("instrument", "to") else "right",
                         no_wrap=col not in ("instrument", "to"))
    for row in money.itertuples():
        covered = "not modelled" if pd.isna(row.covered_at_signing_usd) else usd(row.covered_at_signing_usd)
        table.add_row(Text(str(row.instrument)), Text(str(row.to)), usd(row.committed_usd), covered,
                      usd(row.deployed_usd))
    console.print(table)
    if results.outcome.full:
        print_finance(results, console)


def ratio(value: float, digits: int = 2) -> str:
    """A cover ratio or multiple ('1.35x'), '-' for none."""
    return "-" if not np.isfinite(value) else f"{value:,.{digits}f}x".replace("-", "\u2212")


def print_finance(results: Results, console: Console) -> None:
    """Returns per party and cover ratios per loan, from the run's statements, with the choices behind them."""
    from fundcheck.finance.performance import TERMINAL_VALUE, cover_table, cover_text, returns_table
    from fundcheck.finance.statements import statements

    st = statements(results)
    table = Table(title="Returns by the horizon end", title_justify="left")
    for col in ("party", "as", "put in", "worth at the end", "IRR", f"NPV at {pct(st.basis.discount_rate)}",
                "multiple"):
        table.add_column(col, justify="left" if col in ("party", "as") else "right")
    for r in returns_table(st).itertuples(index=False):
        table.add_row(Text(r.party), r[1], usd(r[3]), usd(r[4]), r.IRR, usd(r.NPV), ratio(r.multiple))
    table.caption = (f"Terminal value: {TERMINAL_VALUE}. Taxes are accrued, not paid, in this run "
                     f"({pct(st.basis.tax_rate)} unless the scenario says otherwise).")
    console.print(table)
    cover = cover_table(st)
    if len(cover):
        table = Table(title="Debt: size and the borrower's cover ratios by calendar year", title_justify="left")
        for col in ("facility", "borrower", "size", "min DSCR", "avg DSCR", "LLCR"):
            table.add_column(col, justify="left" if col in ("facility", "borrower") else "right")
        for d in cover.itertuples(index=False):
            table.add_row(Text(d.facility), Text(d.borrower), usd(d.size), *(cover_text(v) for v in d[4:]))
        table.caption = ("Over each facility's repayment years in the horizon. CFADS: the borrower's EBITDA less tax "
                         "accrued; debt service: interest, principal and fees that fell due on all its facilities. "
                         "LLCR at the start of repayment. n/m: CFADS below zero.")
        console.print(table)
    print_maturities(results, console)
    for name, r in results.covenants().iterrows():
        if r.event:
            console.print(Text(f"Covenant breach, {name}: {r.event}", style="bold red"))


def print_maturities(results: Results, console: Console) -> None:
    """Each loan maturing inside the horizon: what fell due, what its refinancing and its borrower repaid, and
    what was left unpaid (a dated liquidity event for the borrower)."""
    m = results.maturities()
    if not len(m):
        return
    table = Table(title="Maturities inside the horizon", title_justify="left")
    for col in ("facility", "borrower", "month", "due", "refinanced", "repaid", "unpaid", "interest unpaid"):
        table.add_column(col, justify="left" if col in ("facility", "borrower", "month") else "right")
    for name, r in m.iterrows():
        style = "bold red" if r.event else ""
        table.add_row(Text(str(name), style=style), Text(r.borrower), r.month, usd(r.due_usd),
                      usd(r.refinanced_usd) if r.refinanced_by else "no refinancing", usd(r.repaid_usd),
                      Text(usd(r.unpaid_usd) if r.unpaid_usd > 1.0 else "-", style=style),
                      Text(usd(r.interest_unpaid_usd) if r.interest_unpaid_usd > 1.0 else "-", style=style))
    table.caption = ("Due: the balance falling due at the bullet or last instalment, with what was overdue. "
                     "Unpaid: left due after the month, a liquidity event for the borrower.")
    console.print(table)
