"""Charts and HTML pages for waterfalls (payout against exit value) and control over time (power per month)."""

from __future__ import annotations

import html
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fundcheck.finance.distribute import Distribution
from fundcheck.governance.control import Control
from fundcheck.report.charts import PALETTE, ChartIds, plain_text, svg_of, year_axis
from fundcheck.report.files import write_text_atomic
from fundcheck.report.fmt import usd
from fundcheck.report.html import CSS, HEAD, html_table

__all__ = ["control_chart", "payout_chart", "write_control_html", "write_waterfall_html"]


@plain_text
def payout_chart(sweep: Distribution, points: list[float], title: str) -> str:
    """Payout per party against exit value, breakpoints marked with dotted lines."""
    payouts = sweep.payouts()
    x = payouts.index.to_numpy() / 1e9
    fig, ax = plt.subplots(figsize=(10, 4.5))
    for i, party in enumerate(payouts.columns):
        ax.plot(x, payouts[party].to_numpy() / 1e9, lw=2, color=PALETTE[i % len(PALETTE)], label=party)
    for p in points:
        ax.axvline(p / 1e9, color="#888", ls=":", lw=1)
        ax.annotate(f"${p / 1e9:,.0f}B", (p / 1e9, ax.get_ylim()[1]), rotation=90, va="top", ha="right",
                    fontsize=7, color="#555")
    ax.set_xlabel("exit value, $B")
    ax.set_ylabel("received, $B")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(title)
    return svg_of(fig, title, "chart-payout")


@plain_text
def control_chart(ctrl: Control, matter: str, chart_id: str | None = None) -> str:
    """Shapley–Shubik power of each party per month for one matter, with the stakes dashed. `chart_id` (made
    safe) defaults to chart-power-<matter as a slug>; pages with several charts pass unique ones (ChartIds)."""
    dates = pd.to_datetime(ctrl.stakes.index, format="%Y-%m")
    fig, ax = plt.subplots(figsize=(10, 3.8))
    for i, party in enumerate(ctrl.parties):
        color = PALETTE[i % len(PALETTE)]
        ax.step(dates, ctrl.shapley_shubik[matter][party].to_numpy(), where="post", lw=2, color=color,
                label=f"{party} power")
        ax.step(dates, ctrl.stakes[party].to_numpy(), where="post", lw=1, ls="--", color=color)
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    if len(dates) > 24:
        year_axis(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.set_title(f"{ctrl.entity}, {matter} matters: Shapley–Shubik power (solid) and stake (dashed)")
    return svg_of(fig, f"Power over time, {matter}", chart_id or ChartIds()("chart-power", matter))


def _page(title: str, body: list[str]) -> str:
    return (f"<!DOCTYPE html><html lang='en'><head>{HEAD}"
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{html.escape(title)}</h1>" + "\n".join(body) + "</body></html>")


def write_waterfall_html(path: Path, program: str, table: pd.DataFrame, exit_value: float, chart: str | None,
                         points: list[float]) -> Path:
    """A self-contained page: who receives what at one exit value, and the payout curve if swept (written
    atomically: readers never see half a page)."""
    shown = table.copy()
    shown["share_of_exit"] = [f"{v:.1%}" for v in shown["share_of_exit"]]
    shown["moic"] = [f"{v:,.1f}x" if np.isfinite(v) else "-" for v in shown["moic"]]
    shown["irr"] = [f"{v:.1%}" if np.isfinite(v) else "-" for v in shown["irr"]]
    body = [f"<p class='sub'>{html.escape(program)}: exit of {usd(exit_value)}</p>",
            html_table(shown, money=("contributed_usd", "received_usd", "capped_excess_usd"), index=True)]
    if chart:
        body += ["<h2>Payout against exit value</h2>", chart,
                 "<p>Breakpoints (where the share of the next dollar changes): "
                 + ", ".join(usd(p) for p in points) + "</p>"]
    return write_text_atomic(path, _page("Waterfall", body))


def write_control_html(path: Path, program: str, ctrl: Control) -> Path:
    """A self-contained page: stakes and power per matter over time (written atomically)."""
    body = [f"<p class='sub'>{html.escape(program)}</p>"]
    ids = ChartIds()
    for matter in ctrl.shapley_shubik:
        body += [f"<h2>{html.escape(matter)} matters</h2>", control_chart(ctrl, matter, ids("chart-power", matter))]
        rows = [(m, ", ".join(v) or "none", ", ".join(f"{p.names[i]} {float(x):.1%}"
                                                     for i, x in enumerate(p.shapley_shubik)))
                for (m, p), v in zip(ctrl.snapshots[matter].items(), ctrl.vetoes[matter].values(), strict=True)]
        body.append(html_table(pd.DataFrame(rows, columns=["from month", "can block alone", "Shapley–Shubik"])))
    return write_text_atomic(path, _page(f"Control: {ctrl.entity}", body))
