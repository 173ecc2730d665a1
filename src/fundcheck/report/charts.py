"""The report's charts as inline SVG (drawn by ``fundcheck.report.svg``: no scripts, no network, a few
milliseconds each), every chart followed by an HTML legend that wraps on a phone.

Each function reads a run's `Results` and returns HTML: an ``<svg class="chart">`` with an id and a ``<title>``,
then its legend. Wide charts sit in a wrapper that scrolls sideways at phone width instead of shrinking.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fundcheck.engine.results import SHORTFALL_USD, Results
from fundcheck.engine.tables import LOAN_KINDS
from fundcheck.report import svg
from fundcheck.report.fmt import usd

if TYPE_CHECKING:
    from fundcheck.governance.control import Control

__all__ = [
    "PALETTE",
    "RUNWAY_PARTS",
    "SHORT",
    "ChartIds",
    "capital_stack",
    "capital_stack_chart",
    "control_chart",
    "cumulative_chart",
    "dscr_chart",
    "element_id",
    "month_axis",
    "mw_chart",
    "runway_chart",
    "runway_data",
    "runway_legend",
    "timeline_chart",
    "wide",
]

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
           "#7f7f7f", "#d62728", "#aec7e8", "#ffbb78"]
SHORT = "#d62728"
# A runway's parts, stacked from zero in this order.
RUNWAY_PARTS = {"cash": "#2ca02c", "undrawn loans": "#9ecae1", "can still raise": "#c5b0d5"}


def element_id(text: str) -> str:
    """A safe HTML id from any text: lower case letters, digits and single hyphens only ('' if none are left)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class ChartIds:
    """Unique element ids for the charts of one page: a safe slug, with a counter where the slug repeats or is
    empty (`chart-power-ordinary`, `chart-power-ordinary-2`, `chart-power-1`). Never raw text."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def __call__(self, prefix: str, text: str = "") -> str:
        slug = element_id(text)
        base = "-".join(p for p in (element_id(prefix), slug) if p) or "chart"
        candidate, n = (base, 1) if slug or not text else (f"{base}-1", 1)
        while candidate in self._used:
            n += 1
            candidate = f"{base}-{n}"
        self._used.add(candidate)
        return candidate


def wide(chart: str) -> str:
    """A full-width chart in a wrapper that scrolls sideways on a phone instead of shrinking its text."""
    return "<div class='scroll'>" + chart.replace('class="chart"', 'class="chart wide"', 1) + "</div>"


def month_axis(plot: svg.Plot, months: Sequence[str], every: int = 1) -> None:
    """Year labels under a plot whose x is the month index: a tick at each January (every `every` years)."""
    januaries = [k for k, m in enumerate(months) if m.endswith("-01") and int(m[:4]) % every == 0]
    plot.x_axis(januaries, [months[k][:4] for k in januaries], grid=True)


def money_y(plot: svg.Plot, count: int = 5) -> None:
    """Dollar ticks on the y axis over the plot's range."""
    ticks = svg.nice_ticks(min(plot.y), max(plot.y), count)
    plot.y_axis(ticks, svg.money_ticks(ticks))


def cumulative_chart(results: Results) -> str:
    """Cumulative capex needed on plan against capex funded and money committed to the builders; the gap
    shaded and its size written at the horizon end."""
    months = results.months
    x = np.arange(len(months))
    need = results.capex_planned().sum(axis=1).cumsum().to_numpy()
    funded = results.capex(0).sum(axis=1).cumsum().to_numpy()
    committed = np.zeros(len(months))
    plan = results.plan
    builders = {plan.entities.index[e] for e in (*plan.phases.owner, *plan.phases.it_owner)}
    opens = dict(zip(plan.equity.index, plan.equity.start, strict=True)) | dict(
        zip(plan.loans.index, plan.loans.start, strict=True))
    for row in results.money().itertuples():
        if row.to in builders:  # money into the builders only: never the same dollar at two layers
            committed[max(int(opens[row.instrument]), 0):] += row.committed_usd
    top = max(float(need.max()), float(funded.max()), float(committed.max()), 1.0) * 1.06
    plot = svg.Plot(900, 330, x=(0, len(months) - 1), y=(0, top), margin=(64, 12, 96, 28))
    money_y(plot)
    month_axis(plot, months)
    plot.area(x, funded, np.maximum(need, funded), SHORT, opacity=0.25)
    plot.line(x, committed, PALETTE[0], 1.4, dash="6 3")
    plot.line(x, funded, PALETTE[2], 3.2)
    plot.line(x, need, "#111111", 1.3, dash="5 3")
    gap = need[-1] - funded[-1]
    if gap > SHORTFALL_USD:
        plot.text(x[-1], (need[-1] + funded[-1]) / 2, f"gap {usd(gap)}", dx=6, color=SHORT)
    legend = svg.legend_html([("capex needed on plan (cumulative)", "#111111", "dash"),
                              ("capex funded (cumulative)", PALETTE[2], "line"),
                              ("money committed to the builders", PALETTE[0], "dash"),
                              ("funding gap", SHORT, "hatch")])
    return wide(plot.svg("chart-cumulative", "Cumulative funding need against funding available")) + legend


# Layers of a capital stack, most senior first; other kinds follow them.
_SOURCE_LAYERS = ("senior and construction debt", "bridges, credit lines and other loans",
                  "equity from outside investors", "equity from partners", "leases and offtake received",
                  "own operating cash", "new money raised", "cash on hand drawn down")
_USE_LAYERS = ("capex", "equity paid in", "leases and offtake paid", "operating costs", "interest and fees",
               "principal", "own costs", "cash kept")
_LAYER_COLORS = {"senior and construction debt": "#1f77b4", "bridges, credit lines and other loans": "#ff7f0e",
                 "equity from outside investors": "#2ca02c", "equity from partners": "#9467bd",
                 "leases and offtake received": "#8c564b", "own operating cash": "#e377c2",
                 "new money raised": "#17becf", "cash on hand drawn down": "#bcbd22", "capex": "#7f7f7f",
                 "equity paid in": "#5254a3", "leases and offtake paid": "#aec7e8", "interest and fees": "#e7ba52",
                 "principal": "#637939", "own costs": "#c49c94", "cash kept": "#dbdb8d",
                 "operating costs": "#393b79"}
_SOURCE_KIND = {"lease": "leases and offtake received", "offtake": "leases and offtake received",
                "own cash flow": "own operating cash", "new money raised": "new money raised"}
_USE_KIND = {"facility capex": "capex", "IT capex": "capex", "equity": "equity paid in",
             "operating costs": "operating costs",
             "lease": "leases and offtake paid", "offtake": "leases and offtake paid", "interest": "interest and fees",
             "commitment fee": "interest and fees", "principal": "principal", "own costs": "own costs"}


def capital_stack(results: Results, path: int = 0) -> pd.DataFrame:
    """Per funded entity, what paid for it (sources by layer) and what it paid for (uses) over the horizon,
    USD: columns entity, side ('source', 'use' or 'unpaid'), layer, usd. Sources equal paid uses: opening
    cash drawn down is a source and cash kept at the end a use; 'unpaid' is what it could not pay, each
    dollar once."""
    table = results.sources_and_uses(path)
    loans = results.plan.loans
    senior = {n for n, k in zip(loans.index, loans.kind, strict=True)
              if LOAN_KINDS[k] in ("construction_loan", "term_loan", "bond")}
    ent = results.plan.entities
    modelled = {n for n, outside in zip(ent.index, ent.outside, strict=True) if not outside}
    names = results.entity_names
    final_cash = results.array("final_cash_usd", path)
    rows = []
    for r in table.itertuples():
        if r.side == "gap":
            layer = "unpaid"
        elif r.side == "source" and r.kind == "loan draw":
            layer = "senior and construction debt" if r.label in senior else "bridges, credit lines and other loans"
        elif r.side == "source" and r.kind == "equity":
            layer = "equity from partners" if r.counterparty in modelled else "equity from outside investors"
        else:
            layer = (_SOURCE_KIND if r.side == "source" else _USE_KIND).get(r.kind, r.kind)
        rows.append((r.entity, "unpaid" if r.side == "gap" else r.side, layer, r.usd))
    for e in results.funded_entities:
        k = names.index(e)
        change = float(final_cash[k]) - float(ent.value("opening_cash_usd", k, path))
        if change < -SHORTFALL_USD:
            rows.append((e, "source", "cash on hand drawn down", -change))
        elif change > SHORTFALL_USD:
            rows.append((e, "use", "cash kept", change))
    out = pd.DataFrame(rows, columns=["entity", "side", "layer", "usd"])
    return out.groupby(["entity", "side", "layer"], sort=False, as_index=False).usd.sum()


def capital_stack_chart(results: Results) -> str:
    """Per funded entity, two bars as shares of its own total: its capital stack (sources by layer) and its
    uses with the unpaid part hatched red; each segment labelled with its value where it fits, totals to the
    right."""
    stack = capital_stack(results)
    entities = results.funded_entities
    present = set(stack.layer)
    layers = [x for x in _SOURCE_LAYERS if x in present] + sorted(
        set(stack.layer[stack.side == "source"]) - set(_SOURCE_LAYERS))
    uses = [x for x in _USE_LAYERS if x in present] + sorted(set(stack.layer[stack.side == "use"]) - set(_USE_LAYERS))
    extra = [k for k in [*layers, *uses] if k not in _LAYER_COLORS]
    colors = _LAYER_COLORS | {k: PALETTE[i % 8] for i, k in enumerate(extra)}
    left = min(svg.text_width(max(entities, key=len, default=""), 11) + 14, 220)
    plot = svg.Plot(900, 24 + 58 * len(entities), x=(0, 1), y=(len(entities) - 0.45, -0.55),
                    margin=(left, 4, 180, 22))
    ticks = [0, 0.25, 0.5, 0.75, 1.0]
    plot.x_axis(ticks, [f"{t:.0%}" for t in ticks], grid=True)
    for row, entity in enumerate(entities):
        mine = stack[stack.entity == entity].groupby(["side", "layer"]).usd.sum()
        sources = mine.get("source", pd.Series(dtype=float))
        spent = mine.get("use", pd.Series(dtype=float))
        unpaid = float(mine.get("unpaid", pd.Series(dtype=float)).sum())
        total = max(float(sources.sum()), float(spent.sum()) + unpaid, 1.0)
        bars = ((row - 0.2, [(k, float(sources.get(k, 0.0))) for k in layers]),
                (row + 0.2, [*((k, float(spent.get(k, 0.0))) for k in uses), ("unpaid", unpaid)]))
        for y, segments in bars:
            at = 0.0
            for layer, value in segments:
                if value <= SHORTFALL_USD:
                    continue
                share = value / total
                plot.rect(at, at + share, y - 0.17, y + 0.17, colors.get(layer, SHORT), hatch=layer == "unpaid")
                label = usd(value)
                if share * plot.inner_width >= svg.text_width(label, 10) + 6:
                    plot.text(at + share / 2, y, label, anchor="middle", size=10,
                              color="#600" if layer == "unpaid" else "white")
                at += share
        plot.text(1, row - 0.2, f"in {usd(float(sources.sum()))}", dx=6, size=10, color="#333")
        out = f"out {usd(float(spent.sum()))}" + (f" + unpaid {usd(unpaid)}" if unpaid > SHORTFALL_USD else "")
        plot.text(1, row + 0.2, out, dx=6, size=10, color=SHORT if unpaid > SHORTFALL_USD else "#333")
    plot.y_labels(entities, size=11)
    legend = svg.legend_html([*((f"in: {k}", colors[k], "box") for k in layers),
                              *((f"out: {k}", colors[k], "box") for k in uses), ("unpaid", SHORT, "hatch")])
    return wide(plot.svg("chart-capital-stack", "Capital stack and uses per funded entity")) + legend


def runway_data(results: Results, entity: str, path: int = 0) -> pd.DataFrame:
    """One party's runway by month, USD: cash, undrawn loans and can still raise (from `Results.liquidity`),
    short (its unpaid need, overdue included, as a negative number) and due (what it had to pay that month from
    its own money, overdue included: what its refinancings repaid for it is left out, as they are left out of
    its liquidity)."""
    out = results.liquidity(path)[entity].copy()
    out["short"] = -results.gap(path)[entity].to_numpy()
    ln, e = results.plan.loans, results.entity_names.index(entity)
    refi = [int(ln.draw_line[i]) for i in range(len(ln)) if ln.refinances[i] >= 0 and ln.borrower[i] == e]
    flows = results.array("flows_usd", path)
    out["due"] = results.need(path)[entity].to_numpy() - flows[:, refi].sum(axis=1)
    return out


def runway_chart(results: Results, entity: str, chart_id: str) -> str:
    """One party's runway: cash, undrawn loans and money it can still raise stacked above zero; what it owes
    and cannot pay drawn below zero in red, the largest shortfall labelled and the first month short dotted;
    what falls due each month as a line. A small chart, meant for a grid of small multiples."""
    data = runway_data(results, entity)
    months = results.months
    x = np.arange(len(months))
    parts = [data[p].to_numpy() for p in RUNWAY_PARTS]
    have = np.sum(parts, axis=0)
    short = data["short"].to_numpy()
    due = data["due"].to_numpy()
    hi = max(float(have.max()), float(due.max()), 1e6) * 1.1
    lo = min(float(short.min()) * 1.15, 0.0)
    plot = svg.Plot(440, 210, x=(0, len(months)), y=(lo, hi), margin=(58, 8, 10, 22), font=11)
    money_y(plot)
    month_axis(plot, months, every=2)
    plot.stack(x, parts, list(RUNWAY_PARTS.values()), step=True)
    if (short < -SHORTFALL_USD).any():
        plot.area(x, 0.0, short, SHORT, opacity=0.8, step=True)
        k = int(np.argmin(short))
        plot.text(k, short[k], f"short {usd(-short[k])}", anchor="end" if k > len(months) / 2 else "start",
                  dy=-8, size=10, color="#8b0000", weight="bold")
        first = results.first_shortfall()[entity]
        if first:
            plot.vline(months.index(first), SHORT)
    plot.line(x, due, "#222222", 1.0, step=True)
    plot.hline(0.0)
    return plot.svg(chart_id, f"Runway of {entity}: what it can pay with against what falls due", "chart small")


def runway_legend() -> str:
    """The legend shared by every runway chart."""
    return svg.legend_html([*((k, c, "box") for k, c in RUNWAY_PARTS.items()),
                            ("short: unpaid, overdue included", SHORT, "box"),
                            ("due in the month (overdue included)", "#222222", "line"),
                            ("first month short", SHORT, "dash")])


def timeline_chart(results: Results, claims: Sequence[tuple[str, str]] = ()) -> str:
    """On one time axis: each phase's planned and modelled energization, each loan's drawing window, maturity
    and first month overdue, each party's first shortfall, and dated claims (id, 'YYYY-MM') in the horizon."""
    months = results.months
    n = len(months)
    index = {m: k for k, m in enumerate(months)}
    plan = results.plan
    phases = results.phases()
    loans = plan.loans
    first = results.first_shortfall()
    inside = [(cid, index[m]) for cid, m in claims if m in index]
    labels = [f"{p.site}: {p.phase}" for p in phases.itertuples()]
    labels += [f"{loans.index[i]} ({LOAN_KINDS[loans.kind[i]].replace('_', ' ')})" for i in range(len(loans))]
    labels += [f"{e}: first short" for e in results.funded_entities]
    labels += ["dated claims"] if inside else []
    left = min(max(svg.text_width(s, 10) for s in labels) + 12, 330)
    plot = svg.Plot(900 + left - 200, 30 + 20 * len(labels), x=(0, n), y=(len(labels) - 0.5, -0.7),
                    margin=(left, 4, 150, 24), font=11)
    month_axis(plot, months)
    y = 0
    for p in phases.itertuples():
        planned = index.get(p.energized_planned) if isinstance(p.energized_planned, str) else None
        got = index.get(p.energized) if isinstance(p.energized, str) else None
        if got is None:
            start = planned if planned is not None else 0
            plot.line([start, n], [y, y], SHORT, 1.5, dash="4 2")
            plot.text(n, y, "not energized by the end", dx=4, size=10, color=SHORT)
        elif planned is not None and got > planned:
            plot.line([planned, got], [y, y], PALETTE[1], 2)
        if planned is not None:
            plot.marker(planned, y, "ring", "#333333", 10)
        if got is not None:
            plot.marker(got, y, "o", PALETTE[1] if planned is not None and got > planned else PALETTE[2], 8)
        y += 1
    overdue = results.overdue().to_numpy()  # (month, loan)
    window_end = results.window_end()
    for i in range(len(loans)):
        start, end = int(loans.start[i]), int(window_end[i])
        if start < n:
            plot.rect(max(start, 0), min(end, n - 1) + 1, y - 0.22, y + 0.22, "#9ecae1")
        maturity = end + int(loans.repay_months[i])
        if maturity < n:
            plot.marker(maturity, y, "|", "#333333", 14)
        late = np.flatnonzero(overdue[:, i] > SHORTFALL_USD)
        if len(late):
            plot.marker(int(late[0]), y, "x", SHORT, 9)
        y += 1
    for e in results.funded_entities:
        if first[e]:
            k = index[first[e]]
            plot.marker(k, y, "v", SHORT, 10)
            plot.text(k, y, first[e], dx=8, size=10, color=SHORT)
        else:
            plot.text(0, y, "never short", size=10, color=PALETTE[2])
        y += 1
    per_month: dict[int, int] = {}
    for _, k in inside:
        per_month[k] = per_month.get(k, 0) + 1
    for j, (k, count) in enumerate(sorted(per_month.items())):
        plot.marker(k, y, "d", PALETTE[3], 8)
        if count > 1:  # how many claims are dated that month (the claims section lists them)
            plot.text(k, y, str(count), anchor="middle", dy=-9 - 8 * (j % 2), size=9, color=PALETTE[3])
    plot.y_labels(labels, size=10)
    items = [("planned energization", "#333333", "ring"), ("energized on time", PALETTE[2], "o"),
             ("energized late", PALETTE[1], "o"), ("loan drawing window", "#9ecae1", "box"),
             ("maturity or last instalment", "#333333", "|"), ("first month a loan is overdue", SHORT, "x"),
             ("first month short", SHORT, "v")]
    if inside:
        items.append(("month with dated claims (the number: how many; listed in the claims section)", PALETTE[3],
                      "d"))
    return wide(plot.svg("chart-timeline", "Timeline of phases, debt events and shortfalls")) + svg.legend_html(items)


def mw_chart(results: Results) -> str:
    """IT MW online by site as modelled (stacked) against the plan (dashed), the delay shaded."""
    months = results.months
    x = np.arange(len(months))
    planned = results.it_mw_planned().sum(axis=1).to_numpy()
    online = results.it_mw_online(0)
    total = online.sum(axis=1).to_numpy()
    top = max(float(planned.max()), float(total.max()), 1.0) * 1.06
    plot = svg.Plot(900, 330, x=(0, len(months)), y=(0, top), margin=(72, 12, 12, 28))
    ticks = svg.nice_ticks(0, top)
    plot.y_axis(ticks, [f"{t:,.0f} MW" for t in ticks])
    month_axis(plot, months)
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(online.columns))]
    plot.stack(x, [online[c].to_numpy() for c in online.columns], colors, step=True, opacity=0.85)
    plot.area(x, total, np.maximum(planned, total), SHORT, opacity=0.25, step=True)
    plot.line(x, planned, "#111111", 2, dash="6 3", step=True)
    running = results.it_mw_running(0).sum(axis=1).to_numpy()
    idle = bool((running < total - 0.5).any())
    if idle:  # energized halls whose GPUs are not (all) paid for
        plot.line(x, running, "#ffffff", 2.2, dash="2 2", step=True)
    legend = svg.legend_html([*((str(c), colors[i], "box") for i, c in enumerate(online.columns)),
                              ("planned", "#111111", "dash"), ("delayed or never energized", SHORT, "hatch"),
                              *([("running: GPUs paid for (white dots)", "#999999", "dash")] if idle else [])])
    return wide(plot.svg("chart-mw", "IT MW online, planned against modelled")) + legend


def control_chart(ctrl: Control, matter: str, chart_id: str | None = None) -> str:
    """Shapley–Shubik power of each party per month for one matter (solid) and its stake (dashed). `chart_id`
    (made safe) defaults to chart-power-<matter>; pages with several charts pass unique ones (ChartIds)."""
    stakes = ctrl.stakes
    power = ctrl.shapley_shubik[matter]
    months = [str(m) for m in stakes.index]
    x = np.arange(len(months))
    plot = svg.Plot(900, 260, x=(0, len(months)), y=(-0.02, 1.02), margin=(48, 10, 12, 28))
    ticks = [0, 0.25, 0.5, 0.75, 1.0]
    plot.y_axis(ticks, [f"{t:.0%}" for t in ticks])
    if len(months) > 24:
        month_axis(plot, months)
    else:
        plot.x_axis(list(x), months, grid=True)
    items = []
    for i, party in enumerate(ctrl.parties):
        color = PALETTE[i % len(PALETTE)]
        plot.line(x, stakes[party].to_numpy(), color, 1.2, dash="5 3", step=True)
        plot.line(x, power[party].to_numpy(), color, 2.4, step=True)
        items += [(f"{party}: power", color, "line"), (f"{party}: stake", color, "dash")]
    chart_id = element_id(chart_id or "") or ChartIds()("chart-power", matter)
    title = f"{ctrl.entity}, {matter} matters: Shapley–Shubik power (solid) and stake (dashed)"
    return wide(plot.svg(chart_id, title)) + svg.legend_html(items)


def dscr_chart(years: Sequence[int], by_facility: dict[str, np.ndarray]) -> str:
    """Each facility's DSCR by calendar year over its repayment (its borrower's CFADS over the debt service due
    on all the borrower's facilities), with 1.0x marked: below it the year's cash from operations did not
    cover the debt service."""
    values = [v for v in by_facility.values() for v in v[np.isfinite(v)]]
    lo = min(min(values, default=0.0), 0.0)
    hi = max(min(max(values, default=2.0), 5.0), 1.5) * 1.1  # very large ratios are cut at 5x, and say so
    x = np.arange(len(years))
    plot = svg.Plot(900, 270, x=(-0.5, len(years) - 0.5), y=(lo, hi), margin=(56, 22, 12, 28))
    ticks = svg.nice_ticks(lo, hi)
    plot.y_axis(ticks, [f"{t:g}x".replace("-", "\u2212") for t in ticks])
    plot.x_axis(list(x), [str(y) for y in years], grid=True)
    plot.hline(1.0, SHORT, 1.2)
    plot.text(len(years) - 0.5, 1.0, "1.0x", anchor="end", dy=-7, size=10, color=SHORT)
    items = []
    for i, (borrower, ratios) in enumerate(by_facility.items()):
        color = PALETTE[i % len(PALETTE)]
        shown = np.clip(ratios, lo, hi)
        due = np.isfinite(shown)
        if due.sum() > 1:
            plot.line(x[due], shown[due], color, 1.6)
        for k in np.flatnonzero(due):
            plot.marker(float(x[k]), float(shown[k]), "o", color, 7)
            if ratios[k] > hi:
                plot.text(float(x[k]), float(shown[k]), f"{ratios[k]:.0f}x", dy=-9, anchor="middle", size=9,
                          color=color)
        items.append((borrower, color, "line"))
    items.append(("1.0x: debt service just covered", SHORT, "line"))
    return wide(plot.svg("chart-dscr", "DSCR by year per borrower")) + svg.legend_html(items)
