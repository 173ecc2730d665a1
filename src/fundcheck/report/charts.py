"""Charts of a run as inline SVG text (matplotlib, no display, no network).

Each function takes Results and returns an ``<svg>`` string with a ``<title>`` naming the chart, so the
HTML report stays one self-contained file.
"""

from __future__ import annotations

import functools
import html
import io
import re
from collections.abc import Callable
from typing import ParamSpec

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fundcheck.engine.results import Results

P = ParamSpec("P")

__all__ = ["PALETTE", "ChartIds", "cash_chart", "cumulative_chart", "element_id", "mw_chart", "plain_text",
           "sources_uses_chart", "svg_of", "year_axis"]

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
            "#7f7f7f", "#d62728", "#aec7e8", "#ffbb78"]
# text.parse_math off: names from a scenario ('$x$', '\\frac') are drawn as written, never read as mathtext
plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
                     "svg.fonttype": "none", "svg.hashsalt": "fundcheck", "text.parse_math": False,
                     "text.usetex": False})


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


def plain_text(chart: Callable[P, str]) -> Callable[P, str]:
    """Draw a chart with text taken literally: no mathtext, no TeX, whatever rcParams say elsewhere."""

    @functools.wraps(chart)
    def drawn(*args: P.args, **kwargs: P.kwargs) -> str:
        with plt.rc_context({"text.parse_math": False, "text.usetex": False}):
            return chart(*args, **kwargs)

    return drawn


def svg_of(fig: plt.Figure, title: str, chart_id: str) -> str:
    """The figure as an inline ``<svg>`` with an id (made safe) and an escaped ``<title>``."""
    chart_id = element_id(chart_id) or "chart"
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)  # no timestamps: same input, same report
    head_end = svg.index(">") + 1
    return (svg[:head_end].replace("<svg", f'<svg id="{chart_id}" class="chart" role="img"', 1)
            + f"<title>{html.escape(title)}</title>" + svg[head_end:])


def _dates(results: Results) -> pd.DatetimeIndex:
    return pd.to_datetime(results.months, format="%Y-%m")


def _billions(ax: plt.Axes) -> None:
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"${v / 1e9:,.0f}B"))


def year_axis(ax: plt.Axes) -> None:
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


@plain_text
def sources_uses_chart(results: Results) -> str:
    """Stacked bars per funded entity: where its money came from, and where it went (gap in red)."""
    table = results.sources_and_uses()
    entities = results.funded_entities
    kinds = sorted(set(table.loc[table.side != "gap", "kind"]))
    colors = {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(kinds)}
    peaks = results.gap().max()
    fig, ax = plt.subplots(figsize=(10, 0.9 + 0.75 * len(entities)))
    for row, entity in enumerate(entities):
        mine = table[table.entity == entity]
        for offset, side in ((-0.2, "source"), (0.2, "use")):
            left = 0.0
            by_kind = mine[mine.side == side].groupby("kind").usd.sum()
            for kind, value in by_kind.items():
                ax.barh(row + offset, value, left=left, height=0.36, color=colors[kind])
                left += value
            if side == "use" and peaks[entity] > 1:
                ax.annotate(f"  largest monthly gap ${peaks[entity] / 1e9:,.1f}B", (left, row + offset),
                            va="center", fontsize=7, color="#d62728")
    ax.set_xlim(0, ax.get_xlim()[1] * 1.3)  # room for the gap labels right of the bars
    ax.set_yticks(range(len(entities)))
    ax.set_yticklabels([f"{e}\nsources | uses" for e in entities])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"${v / 1e9:,.0f}B"))
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[k]) for k in kinds]
    ax.legend(handles, kinds, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
    ax.set_title("Sources (upper bar) and uses (lower bar) per funded entity, over the horizon")
    return svg_of(fig, "Sources and uses per funded entity", "chart-sources-uses")


@plain_text
def cumulative_chart(results: Results) -> str:
    """Cumulative capex needed on plan against capex funded and money committed; the gap shaded."""
    dates = _dates(results)
    need = results.capex_planned().sum(axis=1).cumsum().values
    funded = results.capex(0).sum(axis=1).cumsum().values
    committed = np.zeros(len(dates))
    money = results.money()
    plan = results.plan
    builders = {plan.entities.index[e] for e in (*plan.phases.owner, *plan.phases.it_owner)}
    opens = dict(zip(plan.equity.index, plan.equity.start, strict=True)) | dict(
        zip(plan.loans.index, plan.loans.start, strict=True))
    for row in money.itertuples():
        if row.to in builders:  # money into the builders only: never the same dollar at two layers
            committed[max(int(opens[row.instrument]), 0):] += row.committed_usd
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.plot(dates, need, color="#333", lw=2, label="capex needed on plan (cumulative)")
    ax.plot(dates, funded, color="#2ca02c", lw=2, label="capex funded (cumulative)")
    ax.plot(dates, committed, color="#1f77b4", lw=1.2, ls="--", label="money committed to the builders")
    ax.fill_between(dates, funded, need, where=need > funded + 1, color="#d62728", alpha=0.3,
                    label="funding gap", interpolate=True, step=None)
    _billions(ax)
    year_axis(ax)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("Cumulative funding need against funding available")
    return svg_of(fig, "Cumulative funding need against funding available", "chart-cumulative")


@plain_text
def cash_chart(results: Results) -> str:
    """Cash balance of each funded entity over time."""
    dates = _dates(results)
    cash = results.cash(0)
    fig, ax = plt.subplots(figsize=(10, 4))
    for i, name in enumerate(results.funded_entities):
        ax.plot(dates, cash[name].values, lw=1.6, color=PALETTE[i % len(PALETTE)], label=name)
        short = results.first_shortfall()[name]
        if short:
            when = pd.Timestamp(short)
            ax.plot([when], [cash[name].loc[short]], marker="v", color="#d62728", ms=7)
    _billions(ax)
    year_axis(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.set_title("Cash per entity (red marker: first month it falls short)")
    return svg_of(fig, "Cash balance per entity over time", "chart-cash")


@plain_text
def mw_chart(results: Results) -> str:
    """IT MW online, planned against modelled (stacked by site), with the delay shaded."""
    dates = _dates(results)
    planned = results.it_mw_planned().sum(axis=1).values
    online = results.it_mw_online(0)
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.stackplot(dates, *[online[c].values for c in online.columns], labels=list(online.columns),
                 colors=[PALETTE[i % len(PALETTE)] for i in range(len(online.columns))], alpha=0.8, step="post")
    ax.step(dates, planned, where="post", color="#111", lw=2, ls="--", label="planned")
    total = online.sum(axis=1).values
    ax.fill_between(dates, total, planned, where=planned > total, step="post", color="#d62728", alpha=0.25,
                    label="delayed")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f} MW"))
    year_axis(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
    ax.set_title("IT MW online: plan (dashed) against the model")
    return svg_of(fig, "IT MW online, planned against modelled", "chart-mw")
