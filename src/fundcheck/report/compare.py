"""Alternatives side by side: the central case and each named alternative alone, in one table and one chart.

This is the README's case table, generated (`fundcheck run SCENARIO --compare`): per case capex planned and
funded, the build gap, IT MW online at the end of 2028 (or of the horizon's last year, if earlier) against plan,
and the first short month of every funded entity that falls short in some case. ``compare.html`` adds a bar
chart of the build gap per case and labels each case with its alternative's description and source.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from fundcheck.engine.results import Results
from fundcheck.report.files import write_text_atomic
from fundcheck.report.fmt import usd
from fundcheck.report.html import CSS
from fundcheck.report.mpl import money_axis, plain_text, svg_of
from fundcheck.scenario.schema import Scenario

__all__ = ["MW_YEAR", "Case", "Comparison", "compare", "flip_lines", "write_compare_html"]

MW_YEAR = 2028  # the year the README's table reads IT MW online at


@dataclass(frozen=True)
class Case:
    """One run of the comparison: 'central' or a named alternative, with its label and results."""

    name: str
    description: str
    source: str
    results: Results


@dataclass(frozen=True)
class Comparison:
    """The cases of one scenario and the figures the table shows, per case in order."""

    program: str
    cases: list[Case]

    @property
    def mw_year(self) -> str:
        """The year MW online is read at: 2028, or the horizon's last year if earlier."""
        last = int(self.cases[0].results.months[-1][:4])
        return str(min(MW_YEAR, last))

    @property
    def entities(self) -> list[str]:
        """Funded entities (in plan order) that fall short in at least one case."""
        names: list[str] = []
        for case in self.cases:
            first = case.results.first_shortfall()
            names += [e for e in case.results.funded_entities if first[e] is not None and e not in names]
        order = self.cases[0].results.entity_names
        return sorted(names, key=lambda e: order.index(e) if e in order else len(order))

    @property
    def never_short(self) -> list[str]:
        """Funded entities that never fall short in any case."""
        funded: list[str] = []
        for case in self.cases:
            funded += [e for e in case.results.funded_entities if e not in funded]
        return [e for e in funded if e not in self.entities]

    def mw(self, case: Case) -> tuple[float, float]:
        """(modelled, planned) IT MW online at the end of `mw_year`."""
        years = case.results.mw_by_year()
        row = years.loc[self.mw_year]
        return float(row.modelled_mw), float(row.planned_mw)

    def rows(self) -> list[dict[str, str]]:
        """The table as text, one dict per case: column heading -> cell (the README's formats)."""
        plans = {self.mw(c)[1] for c in self.cases}
        one_plan = len(plans) == 1
        mw_head = (f"IT MW online end-{self.mw_year}" + (f" (plan {next(iter(plans)):,.0f})" if one_plan else ""))
        out = []
        for case in self.cases:
            t = case.results.totals()
            got, plan = self.mw(case)
            running = float(case.results.mw_by_year().loc[self.mw_year].get("running_mw", got))
            idle = f" ({running:,.0f} with GPUs paid)" if running < got - 0.5 else ""
            first = case.results.first_shortfall()
            row = {"case": case.name, "capex planned": f"${t['capex_usd'] / 1e9:,.0f}B",
                   "capex funded": f"${t['funded_usd'] / 1e9:,.0f}B", "build gap": f"${t['gap_usd'] / 1e9:,.1f}B",
                   mw_head: (f"{got:,.0f}" if one_plan else f"{got:,.0f} of {plan:,.0f}") + idle}
            for e in self.entities:
                row[f"{e} short from"] = first.get(e) or "never"
            out.append(row)
        return out


def flip_lines(comparison: Comparison) -> list[str]:
    """Which alternatives move each of the central case's conclusions, one line per conclusion: the build gap,
    then each funded party's first short month (later, earlier, never, or short where it was not), each
    alternative with what it gives. Alternatives that change nothing are left out of a line."""
    central, others = comparison.cases[0], comparison.cases[1:]
    gap0 = central.results.totals()["gap_usd"]
    moved = [(c.name, c.results.totals()["gap_usd"]) for c in others
             if abs(c.results.totals()["gap_usd"] - gap0) > 0.05e9]
    lines = [f"build gap {usd(gap0)}: " + ("; ".join(f"{n} {usd(g)}" for n, g in sorted(moved, key=lambda x: x[1]))
                                           if moved else "no alternative changes it")]
    first0 = central.results.first_shortfall()
    for entity in comparison.entities:
        base = first0.get(entity)
        changes = []
        for c in others:
            got = c.results.first_shortfall().get(entity)
            if got == base:
                continue
            what = ("never short" if got is None else f"short from {got}" if base is None else
                    f"later, {got}" if got > base else f"earlier, {got}")
            changes.append((c.name, what, got or "9999"))
        head = f"{entity} short from {base}" if base else f"{entity} never short"
        body = "; ".join(f"{n}: {w}" for n, w, _ in sorted(changes, key=lambda x: x[2], reverse=True))
        lines.append(f"{head}: " + (body or "no alternative moves it"))
    return lines


def compare(scenario: str | Path) -> Comparison:
    """Run the central case of `scenario` (a built-in name or a YAML path) and each named alternative alone."""
    from fundcheck.engine import run_scenario
    from fundcheck.scenario import load as load_scenario

    central: Scenario = load_scenario(scenario)
    cases = [Case("central", "the scenario's central values", "", run_scenario(central))]
    for alt in central.alternatives:
        cases.append(Case(alt.name, alt.description, alt.source, run_scenario(load_scenario(scenario, (alt.name,)))))
    return Comparison(central.program, cases)


@plain_text
def gap_chart(comparison: Comparison) -> str:
    """Horizontal bars: the build gap per case, with its value; the central case's gap as a dotted line."""
    names = [c.name for c in comparison.cases]
    gaps = np.array([c.results.totals()["gap_usd"] for c in comparison.cases])
    fig, ax = plt.subplots(figsize=(10, 1.0 + 0.42 * len(names)))
    y = np.arange(len(names))[::-1]
    colors = ["#1f77b4" if n == "central" else ("#d62728" if g > gaps[0] + 5e7 else "#7f7f7f")
              for n, g in zip(names, gaps, strict=True)]
    ax.barh(y, gaps, color=colors, height=0.6)
    top = max(float(gaps.max()), 1e9)
    for yi, g in zip(y, gaps, strict=True):
        ax.annotate(usd(g), (g, yi), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
    ax.axvline(gaps[0], color="#1f77b4", ls=":", lw=1)
    ax.set_yticks(y, names)
    ax.set_xlim(0, top * 1.15)
    money_axis(ax, "x")
    ax.set_xlabel("build gap: capex planned by the horizon end and not funded")
    title = f"{comparison.program}: build gap per case (each alternative alone; central dotted, red where larger)"
    ax.set_title(title, loc="left")
    return svg_of(fig, title, "chart-compare-gap")


def render_compare_html(comparison: Comparison) -> str:
    rows = comparison.rows()
    heads = list(rows[0])
    table = ["<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in heads) + "</tr>"]
    for case, row in zip(comparison.cases, rows, strict=True):
        cells = [f"<td style='white-space:nowrap'><b>{html.escape(case.name)}</b></td>"]
        cells += [f"<td class='n'>{html.escape(row[h])}</td>" for h in heads[1:]]
        table.append("<tr>" + "".join(cells) + "</tr>")
    table.append("</table>")
    labels = ["<table><tr><th>case</th><th>what it changes</th><th>source</th></tr>"]
    for case in comparison.cases:
        labels.append(f"<tr><td><b>{html.escape(case.name)}</b></td><td>{html.escape(case.description)}</td>"
                      f"<td class='src'>{html.escape(case.source or '-')}</td></tr>")
    labels.append("</table>")
    never = comparison.never_short
    note = (f"<p class='src'>Never short in any case: {html.escape(', '.join(never))}.</p>" if never else "")
    program = html.escape(comparison.program)
    return "".join([
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>fundcheck: {program}, alternatives side by side</title><style>{CSS}",
        ".scroll{overflow-x:auto}</style></head><body>",
        f"<h1>{program}: alternatives side by side</h1>",
        f"<p class='sub'>The central case and each of {len(comparison.cases) - 1} named alternatives run alone "
        f"(<code>fundcheck run SCENARIO --alt NAME</code>).</p>",
        "<h2>Cases</h2><div class='scroll'>", *table, "</div>", note,
        gap_chart(comparison),
        "<h2>What flips each conclusion</h2><p>Each of the central case's conclusions, and the alternatives that "
        "move it (those that change nothing are left out).</p><ul>",
        *(f"<li>{html.escape(line)}</li>" for line in flip_lines(comparison)), "</ul>",
        "<h2>What each case changes</h2><div class='scroll'>", *labels, "</div>",
        "</body></html>",
    ])


def write_compare_html(comparison: Comparison, path: Path) -> Path:
    """Write ``compare.html`` (one self-contained file) to `path`."""
    return write_text_atomic(path, render_compare_html(comparison))
