"""A small SVG plotter for the report's charts: static, script-free, deterministic and fast (a chart in a few
milliseconds, against ~50 ms for a matplotlib figure).

Why not matplotlib here: the report draws a dozen charts (a runway per party among them) and must be written in
under half a second; matplotlib spends most of its time measuring and laying out text. Here margins are set from
label lengths, legends are HTML (they wrap on a phone), and titles are the page's headings. Coordinates: x is a
month index (0 = the horizon's first month) or any number; y is in data units. All text is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from fundcheck.report.fmt import MINUS

__all__ = ["Plot", "legend_html", "money_ticks", "nice_ticks", "text_width"]

FONT = "DejaVu Sans,Helvetica,Arial,sans-serif"
CHAR_EM = 0.6  # average advance of a character, in em, for sizing margins


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About `count` round tick values (1, 2, 2.5 or 5 times a power of ten apart) covering [lo, hi]; an
    empty range, or one narrower than a millionth of its values, is widened to show its value."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0]
    if hi - lo <= 1e-6 * max(abs(lo), abs(hi)):
        pad = max(abs(lo) * 0.1, 0.5)
        lo, hi = lo - pad, lo + pad
    raw = (hi - lo) / max(count, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * 0.999)
    digits = max(0, 2 - math.floor(math.log10(step)))  # round away float drift (0.1 + 0.2)
    first = math.floor(lo / step + 1e-12)
    last = math.ceil(hi / step - 1e-12)
    return [round(k * step, digits) + 0.0 for k in range(first, last + 1)]


def money_ticks(values: Sequence[float]) -> list[str]:
    """Dollar labels for tick values with one unit (k, M, B) and the fewest decimals that tell neighbours
    apart: '$0', '$2.5B', '$5B', '−$10B', '$0.25'."""
    vals = np.asarray(values, dtype=float)
    if not len(vals):
        return []
    big = float(np.abs(vals).max())
    scale, unit = next(((s, u) for s, u in ((1e9, "B"), (1e6, "M"), (1e3, "k")) if big >= s), (1.0, ""))
    steps = np.diff(np.unique(vals))
    step = float(steps.min()) / scale if len(steps) else big / scale
    decimals = 0
    while decimals < 9 and step > 0 and abs(round(step, decimals) - step) > 1e-6 * step:
        decimals += 1
    out = []
    for v in vals:
        shown = f"{abs(v) / scale:,.{decimals}f}"
        out.append("$0" if float(shown.replace(",", "")) == 0 else f"{MINUS if v < 0 else ''}${shown}{unit}")
    return out


def legend_html(items: Sequence[tuple[str, str, str]]) -> str:
    """An HTML legend that wraps on narrow screens: (label, colour, style) with style 'box', 'line', 'dash',
    'hatch' or a marker ('o', 'v', 'x', '|', 'd', 'ring')."""
    out = []
    for label, color, style in items:
        if style in ("line", "dash"):
            dash = " stroke-dasharray='4 2'" if style == "dash" else ""
            swatch = (f"<svg width='18' height='8'><line x1='0' y1='4' x2='18' y2='4' stroke='{color}' "
                      f"stroke-width='2'{dash}/></svg>")
        elif style == "box" or style == "hatch":
            swatch = f"<i style='background:{color}{';opacity:.6' if style == 'hatch' else ''}'></i>"
        else:
            swatch = f"<svg width='12' height='12'>{_marker(6, 6, style, color, 9)}</svg>"
        out.append(f"<span>{swatch}{_esc(label)}</span>")
    return "<div class='legend'>" + "".join(out) + "</div>"


def _marker(x: float, y: float, shape: str, color: str, size: float) -> str:
    r = size / 2
    if shape == "o":
        return f"<circle cx='{x:.1f}' cy='{y:.1f}' r='{r:.1f}' fill='{color}'/>"
    if shape == "ring":
        return f"<circle cx='{x:.1f}' cy='{y:.1f}' r='{r - 1:.1f}' fill='white' stroke='{color}' stroke-width='1.5'/>"
    if shape == "v":
        return (f"<path d='M{x - r:.1f},{y - r * 0.8:.1f}L{x + r:.1f},{y - r * 0.8:.1f}L{x:.1f},{y + r:.1f}Z' "
                f"fill='{color}'/>")
    if shape == "d":
        return (f"<path d='M{x:.1f},{y - r:.1f}L{x + r:.1f},{y:.1f}L{x:.1f},{y + r:.1f}L{x - r:.1f},{y:.1f}Z' "
                f"fill='{color}'/>")
    if shape == "x":
        return (f"<path d='M{x - r:.1f},{y - r:.1f}L{x + r:.1f},{y + r:.1f}M{x - r:.1f},{y + r:.1f}L{x + r:.1f},"
                f"{y - r:.1f}' stroke='{color}' stroke-width='2'/>")
    if shape == "|":
        return f"<path d='M{x:.1f},{y - r:.1f}L{x:.1f},{y + r:.1f}' stroke='{color}' stroke-width='2'/>"
    raise ValueError(f"unknown marker {shape!r}")


@dataclass
class Plot:
    """One chart: a plot area of `width` x `height` pixels inside margins (left, top, right, bottom), with data
    ranges `x` and `y`. Draw with the methods below, then call `svg`."""

    width: float
    height: float
    x: tuple[float, float]
    y: tuple[float, float]
    margin: tuple[float, float, float, float] = (60, 10, 10, 26)
    font: float = 11
    _parts: list[str] = field(default_factory=list)

    @property
    def left(self) -> float:
        return self.margin[0]

    @property
    def top(self) -> float:
        return self.margin[1]

    @property
    def inner_width(self) -> float:
        return self.width - self.margin[0] - self.margin[2]

    @property
    def inner_height(self) -> float:
        return self.height - self.margin[1] - self.margin[3]

    def sx(self, v: float | np.ndarray) -> float | np.ndarray:
        x0, x1 = self.x
        return self.left + (np.asarray(v, dtype=float) - x0) / ((x1 - x0) or 1.0) * self.inner_width

    def sy(self, v: float | np.ndarray) -> float | np.ndarray:
        y0, y1 = self.y
        return self.top + (1 - (np.asarray(v, dtype=float) - y0) / ((y1 - y0) or 1.0)) * self.inner_height

    # --- marks -------------------------------------------------------------------------------------------

    @staticmethod
    def _step(xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A step-after path: each value holds until the next x (the last one for one more unit)."""
        xs = np.asarray(xs, dtype=float)
        ends = np.append(xs[1:], xs[-1] + (xs[-1] - xs[-2] if len(xs) > 1 else 1.0))
        return np.column_stack([xs, ends]).ravel(), np.repeat(np.asarray(ys, dtype=float), 2)

    def _points(self, xs: np.ndarray, ys: np.ndarray) -> str:
        px, py = self.sx(xs), self.sy(ys)
        return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))

    def line(self, xs: Sequence[float], ys: Sequence[float], color: str, width: float = 1.5, dash: str = "",
             step: bool = False) -> None:
        """A polyline through (xs, ys); `step` holds each value until the next x."""
        xs_, ys_ = (self._step(np.asarray(xs), np.asarray(ys)) if step else (np.asarray(xs), np.asarray(ys)))
        extra = f" stroke-dasharray='{dash}'" if dash else ""
        self._parts.append(f"<polyline points='{self._points(xs_, ys_)}' fill='none' stroke='{color}' "
                           f"stroke-width='{width}'{extra} stroke-linejoin='round'/>")

    def area(self, xs: Sequence[float], lo: Sequence[float] | float, hi: Sequence[float], color: str,
             opacity: float = 1.0, step: bool = False) -> None:
        """The band between `lo` and `hi` along xs (skipped where it is empty everywhere)."""
        lo_a, hi_a = np.broadcast_to(np.asarray(lo, float), np.shape(xs)), np.asarray(hi, float)
        if not np.any(np.abs(hi_a - lo_a) > 0):
            return
        if step:
            x2, hi2 = self._step(np.asarray(xs), hi_a)
            _, lo2 = self._step(np.asarray(xs), lo_a)
        else:
            x2, hi2, lo2 = np.asarray(xs, float), hi_a, lo_a
        pts = self._points(np.concatenate([x2, x2[::-1]]), np.concatenate([hi2, lo2[::-1]]))
        self._parts.append(f"<polygon points='{pts}' fill='{color}' fill-opacity='{opacity}' stroke='none'/>")

    def stack(self, xs: Sequence[float], layers: Sequence[Sequence[float]], colors: Sequence[str],
              step: bool = False, opacity: float = 1.0) -> np.ndarray:
        """Stacked areas from zero (positive layers); returns the top of the stack."""
        base = np.zeros(len(xs))
        for values, color in zip(layers, colors, strict=True):
            top = base + np.asarray(values, float)
            self.area(xs, base, top, color, opacity=opacity, step=step)
            base = top
        return base

    def rect(self, x0: float, x1: float, y0: float, y1: float, color: str, opacity: float = 1.0,
             hatch: bool = False) -> None:
        """A rectangle in data coordinates."""
        a, b = sorted((float(self.sx(x0)), float(self.sx(x1))))
        c, d = sorted((float(self.sy(y0)), float(self.sy(y1))))
        fill = "url(#hatch)" if hatch else color
        self._parts.append(f"<rect x='{a:.1f}' y='{c:.1f}' width='{b - a:.1f}' height='{d - c:.1f}' fill='{fill}' "
                           f"fill-opacity='{opacity}' stroke='white' stroke-width='0.5'/>")

    def marker(self, x: float, y: float, shape: str, color: str, size: float = 8) -> None:
        """A marker at a data point: 'o', 'ring', 'v', 'd', 'x' or '|'."""
        self._parts.append(_marker(float(self.sx(x)), float(self.sy(y)), shape, color, size))

    def vline(self, x: float, color: str, dash: str = "2 2", width: float = 1.0) -> None:
        px = float(self.sx(x))
        self._parts.append(f"<line x1='{px:.1f}' y1='{self.top:.1f}' x2='{px:.1f}' "
                           f"y2='{self.top + self.inner_height:.1f}' stroke='{color}' stroke-width='{width}' "
                           f"stroke-dasharray='{dash}'/>")

    def hline(self, y: float, color: str = "#555", width: float = 0.8) -> None:
        py = float(self.sy(y))
        self._parts.append(f"<line x1='{self.left:.1f}' y1='{py:.1f}' x2='{self.left + self.inner_width:.1f}' "
                           f"y2='{py:.1f}' stroke='{color}' stroke-width='{width}'/>")

    def text(self, x: float, y: float, s: str, anchor: str = "start", color: str = "#222", size: float | None = None,
             dx: float = 0, dy: float = 0, weight: str = "normal", data: bool = True, baseline: str = "middle") -> None:
        """Text at a data point (or at pixels with data=False), offset by (dx, dy) pixels."""
        px = (float(self.sx(x)) if data else x) + dx
        py = (float(self.sy(y)) if data else y) + dy
        self._parts.append(f"<text x='{px:.1f}' y='{py:.1f}' text-anchor='{anchor}' dominant-baseline='{baseline}' "
                           f"font-size='{size or self.font}' fill='{color}' font-weight='{weight}'>{_esc(s)}</text>")

    # --- axes --------------------------------------------------------------------------------------------

    def y_axis(self, ticks: Sequence[float], labels: Sequence[str], grid: bool = True) -> None:
        """Tick labels left of the plot area, with light grid lines."""
        for v, label in zip(ticks, labels, strict=True):
            if not self.y[0] - 1e-9 * abs(self.y[1] - self.y[0]) <= v <= self.y[1] + 1e-9 * abs(self.y[1] - self.y[0]):
                continue
            py = float(self.sy(v))
            if grid:
                self._parts.append(f"<line x1='{self.left:.1f}' y1='{py:.1f}' x2='{self.left + self.inner_width:.1f}' "
                                   f"y2='{py:.1f}' stroke='#e6e6e6' stroke-width='1'/>")
            self.text(self.left - 5, py, label, anchor="end", size=self.font - 1, color="#444", data=False)

    def y_labels(self, rows: Sequence[str], size: float | None = None) -> None:
        """Category labels for rows at y = 0, 1, 2, ... (left of the plot area)."""
        for k, label in enumerate(rows):
            self.text(self.left - 6, float(self.sy(k)), label, anchor="end", size=size or self.font - 1,
                      color="#333", data=False)

    def x_axis(self, ticks: Sequence[float], labels: Sequence[str], grid: bool = False) -> None:
        """Tick labels under the plot area, and the axis line."""
        base = self.top + self.inner_height
        self._parts.append(f"<line x1='{self.left:.1f}' y1='{base:.1f}' x2='{self.left + self.inner_width:.1f}' "
                           f"y2='{base:.1f}' stroke='#888' stroke-width='1'/>")
        for v, label in zip(ticks, labels, strict=True):
            px = float(self.sx(v))
            if not self.left - 0.5 <= px <= self.left + self.inner_width + 0.5:
                continue
            if grid:
                self._parts.append(f"<line x1='{px:.1f}' y1='{self.top:.1f}' x2='{px:.1f}' y2='{base:.1f}' "
                                   f"stroke='#eeeeee' stroke-width='1'/>")
            self._parts.append(f"<line x1='{px:.1f}' y1='{base:.1f}' x2='{px:.1f}' y2='{base + 4:.1f}' "
                               "stroke='#888' stroke-width='1'/>")
            self.text(px, base + 6, label, anchor="middle", size=self.font - 1, color="#444", data=False,
                      baseline="hanging")

    def svg(self, chart_id: str, title: str, css_class: str = "chart") -> str:
        """The chart as an inline ``<svg>`` with an id, a class, role img and an escaped ``<title>``."""
        defs = ("<defs><pattern id='hatch' width='6' height='6' patternUnits='userSpaceOnUse' "
                "patternTransform='rotate(45)'><rect width='6' height='6' fill='#d62728' fill-opacity='0.35'/>"
                "<line x1='0' y1='0' x2='0' y2='6' stroke='#d62728' stroke-width='3'/></pattern></defs>")
        uses_hatch = any("url(#hatch)" in p for p in self._parts)
        body = "".join(self._parts)
        if uses_hatch:  # one pattern per chart, with an id unique to it
            body = body.replace("url(#hatch)", f"url(#{chart_id}-hatch)")
            defs = defs.replace("id='hatch'", f"id='{chart_id}-hatch'")
        return (f'<svg id="{_esc(chart_id)}" class="{_esc(css_class)}" role="img" xmlns="http://www.w3.org/2000/svg" '
                f"viewBox='0 0 {self.width:.0f} {self.height:.0f}' width='{self.width:.0f}' "
                f"height='{self.height:.0f}' font-family='{FONT}'><title>{_esc(title)}</title>"
                + (defs if uses_hatch else "") + body + "</svg>")


def text_width(text: str, size: float) -> float:
    """A rough width of `text` in pixels at `size` px (for margins)."""
    return CHAR_EM * size * len(text)
