"""The report's SVG plotter: round ticks that cover the data, dollar labels that never repeat, exact pixel
positions, and text that stays text."""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from fundcheck.report.svg import Plot, legend_html, money_ticks, nice_ticks

finite = st.floats(min_value=-1e13, max_value=1e13, allow_nan=False, allow_infinity=False)


@settings(max_examples=400, deadline=None)
@given(finite, finite)
def test_ticks_cover_the_range_and_labels_are_distinct(a: float, b: float) -> None:
    lo, hi = min(a, b), max(a, b)
    if 0 < hi - lo < 1e-6:  # a chart's range: money to a millionth of a dollar at the finest
        hi = lo + 1e-6
    ticks = nice_ticks(lo, hi)
    assert 2 <= len(ticks) <= 12
    step = ticks[1] - ticks[0]
    assert ticks[0] <= lo + 1e-9 * step and ticks[-1] >= hi - 1e-9 * step
    steps = [y - x for x, y in itertools.pairwise(ticks)]
    assert max(steps) - min(steps) <= 1e-6 * steps[0]  # evenly spaced
    labels = money_ticks(ticks)
    assert len(set(labels)) == len(labels), (ticks, labels)
    assert all(label == "$0" for t, label in zip(ticks, labels, strict=True) if t == 0)


def test_labels_by_hand() -> None:
    assert money_ticks(nice_ticks(0, 2.6e9)) == ["$0", "$1B", "$2B", "$3B"]
    assert money_ticks([2e9, 2.5e9, 3e9]) == ["$2.0B", "$2.5B", "$3.0B"]  # not '$2B, $2B, $3B'
    assert money_ticks([-1e11, 0, 1e11]) == ["\u2212$100B", "$0", "$100B"]
    assert money_ticks([0, 250e3, 500e3]) == ["$0", "$250k", "$500k"]
    assert money_ticks([0, 0.25, 0.5]) == ["$0", "$0.25", "$0.50"]


def test_pixels_by_hand() -> None:
    plot = Plot(500, 300, x=(0, 10), y=(-5, 15), margin=(50, 10, 50, 40))
    # plot area: x 50..450 (400 px for 10 units), y 10..260 (250 px for 20 units, upwards)
    assert plot.sx(0) == 50 and plot.sx(10) == 450 and plot.sx(2.5) == 150
    assert plot.sy(15) == 10 and plot.sy(-5) == 260 and plot.sy(0) == 197.5
    plot.line([0, 10], [0, 15], "#000")
    plot.area([0, 1, 2], 0.0, [1, 2, 3], "#f00", step=True)
    svg = plot.svg("c", "t")
    assert "points='50.0,197.5 450.0,10.0'" in svg
    # a step area holds each value for one unit: 0..1 at 1, 1..2 at 2, 2..3 at 3, then back along zero
    assert "points='50.0,185.0 90.0,185.0 90.0,172.5 130.0,172.5 130.0,160.0 170.0,160.0 170.0,197.5" in svg


def test_text_is_escaped_and_the_svg_is_well_formed() -> None:
    plot = Plot(200, 100, x=(0, 1), y=(0, 1))
    hostile = "</svg><script>alert(1)</script> & 'quotes' \"too\""
    plot.text(0.5, 0.5, hostile)
    plot.y_labels([hostile])
    plot.rect(0, 1, 0, 0.5, "#123456", hatch=True)
    svg = plot.svg("chart-x", hostile)
    root = ET.fromstring(svg)  # parses: nothing broke out of its element
    texts = [el.text for el in root.iter() if el.tag.endswith("text") or el.tag.endswith("title")]
    assert texts.count(hostile) == 3 and "<script>" not in svg
    assert "url(#chart-x-hatch)" in svg and "id='chart-x-hatch'" in svg
    legend = legend_html([(hostile, "#000", "box")])
    assert "<script>" not in legend and "&lt;script&gt;" in legend


def test_empty_and_flat_ranges() -> None:
    assert nice_ticks(0, 0)[0] < 0 < nice_ticks(0, 0)[-1]
    flat = nice_ticks(-1, -1)
    assert flat[0] < -1 < flat[-1] and len(set(money_ticks(flat))) == len(flat)
    assert nice_ticks(math.inf, 1) == [0.0]
