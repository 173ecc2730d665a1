"""Charts and HTML pages for waterfalls (payout against exit value) and control over time (power per month)."""

from __future__ import annotations

import html
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fundcheck.finance.distribute import Distribution
from fundcheck.governance.control import Control
from fundcheck.report.charts import PALETTE, ChartIds, control_chart
from fundcheck.report.files import write_text_atomic
from fundcheck.report.fmt import usd
from fundcheck.report.html import CSS, HEAD, html_table
from fundcheck.report.mpl import frame, money_axis, plain_text, svg_of

__all__ = ["control_chart", "payout_chart", "write_control_html", "write_waterfall_html"]


@plain_text
def payout_chart(sweep: Distribution, points: list[float], title: str) -> str:
    """Payout per party against exit value, breakpoints dotted and labelled with their values above the plot;
    the legend below it, clear of both."""
    payouts = sweep.payouts()
    x = payouts.index.to_numpy()
    fig, ax = plt.subplots(figsize=(10, 4.8))
    frame(fig, left=0.9, right=0.3, top=0.9, bottom=1.1)
    for i, party in enumerate(payouts.columns):
        ax.plot(x, payouts[party].to_numpy(), lw=2, color=PALETTE[i % len(PALETTE)], label=party)
    for p in points:
        ax.axvline(p, color="#888", ls=":", lw=1)
        ax.annotate(usd(p), (p, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 3), textcoords="offset points",
                    rotation=90, va="bottom", ha="center", fontsize=7, color="#555")
    money_axis(ax, "x")
    money_axis(ax, "y")
    ax.set_xlabel("exit value")
    ax.set_ylabel("received")
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.14), ncol=4, fontsize=8, frameon=False)
    fig.suptitle(title, x=0.02, ha="left", fontsize=10)
    return svg_of(fig, title, "chart-payout", tight=False)


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
