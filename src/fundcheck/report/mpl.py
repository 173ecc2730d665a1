"""matplotlib helpers for the secondary pages (Monte Carlo, sensitivity, waterfall, claims, compare): inline SVG
text, literal text (no mathtext), fixed margins and dollar ticks. The main report draws with
``fundcheck.report.svg`` instead (see docs/architecture.md, "Charts")."""

from __future__ import annotations

import functools
import html
import io
import re
from collections.abc import Callable, Sequence
from typing import ParamSpec

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker

from fundcheck.report.charts import element_id
from fundcheck.report.svg import money_ticks

P = ParamSpec("P")

__all__ = ["Money", "frame", "money_axis", "plain_text", "svg_of", "year_axis"]

# text.parse_math off: names from a scenario ('$x$', '\\frac') are drawn as written, never read as mathtext
plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
                     "svg.fonttype": "none", "svg.hashsalt": "fundcheck", "text.parse_math": False,
                     "text.usetex": False})


def plain_text(chart: Callable[P, str]) -> Callable[P, str]:
    """Draw a chart with text taken literally: no mathtext, no TeX, whatever rcParams say elsewhere."""

    @functools.wraps(chart)
    def drawn(*args: P.args, **kwargs: P.kwargs) -> str:
        with plt.rc_context({"text.parse_math": False, "text.usetex": False}):
            return chart(*args, **kwargs)

    return drawn


def frame(fig: plt.Figure, left: float = 0.8, right: float = 0.2, top: float = 0.4, bottom: float = 0.5) -> None:
    """Fixed margins around the axes, in inches (room for tick labels, titles and legends outside the axes)."""
    w, h = fig.get_size_inches()
    fig.subplots_adjust(left=min(left / w, 0.6), right=1 - right / w, top=1 - top / h, bottom=min(bottom / h, 0.6))


def svg_of(fig: plt.Figure, title: str, chart_id: str, tight: bool = True) -> str:
    """The figure as an inline ``<svg>`` with an id (made safe), class chart and an escaped ``<title>``, in a
    wrapper that scrolls sideways on a phone rather than shrink the text; `tight` crops to the drawn content
    (one more layout pass), else the figure's own margins are kept."""
    chart_id = element_id(chart_id) or "chart"
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight" if tight else None, metadata={"Date": None, "Creator": None})
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)  # no timestamps: same input, same report
    head_end = svg.index(">") + 1
    return ("<div class='scroll'>" + svg[:head_end].replace("<svg", f'<svg id="{chart_id}" class="chart wide" '
                                                             'role="img"', 1)
            + f"<title>{html.escape(title)}</title>" + svg[head_end:] + "</div>")


class Money(mticker.Formatter):
    """Dollar tick labels ('$2B', '$2.5B', '$3B'): one unit for the axis, the fewest decimals that tell
    neighbouring ticks apart, a real minus sign."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return money_ticks([x])[0]

    def format_ticks(self, values: Sequence[float]) -> list[str]:
        return money_ticks(values)


def money_axis(ax: plt.Axes, axis: str = "y") -> None:
    """Dollar tick labels on `axis` ('x' or 'y')."""
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(Money())


def year_axis(ax: plt.Axes, every: int = 1) -> None:
    """Years as the x ticks (every `every` years)."""
    ax.xaxis.set_major_locator(mdates.YearLocator(every))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
