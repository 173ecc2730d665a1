"""Distributions whose draws cannot be used as given are located errors, not silent numbers: a lognormal whose
range overflows floating point, and a delay that lies wholly below half a month (every path would be rounded and
clipped to no delay)."""

from __future__ import annotations

import pytest

from fundcheck.errors import ScenarioError
from fundcheck.scenario import load_text

BASE = """
program: ranges
horizon: {start: 2025-01, end: 2027-12}
entities:
  A: {kind: company, cash: CASH}
sites:
  S:
    owner: A
    phases:
      - {name: p1, it_mw: 10, start: 2025-03, months: 6, facility_capex: 50M, it_capex: 0,
         source: "assumption: test", DELAY}
"""


def _load(cash: str = '{value: 100M, source: "assumption: test"}', delay: str = "") -> object:
    text = BASE.replace("CASH", cash).replace(", DELAY", f", delay: {delay}" if delay else "")
    return load_text(text, "r.yaml")


def test_an_overflowing_lognormal_is_a_located_error() -> None:
    with pytest.raises(ScenarioError) as err:
        _load(cash='{value: 100M, dist: lognormal, p10: 1e-300, p90: 1e15, source: "assumption: test"}')
    text = str(err.value)
    assert "r.yaml:5: entities.A.cash" in text and "overflow floating point" in text


def test_a_delay_wholly_below_zero_is_a_located_error() -> None:
    with pytest.raises(ScenarioError) as err:
        _load(delay='{dist: uniform, low: -10, high: -1, source: "assumption: test"}')
    text = str(err.value)
    assert "r.yaml:11: sites.S.phases[0].delay" in text and "delay" in text and "below half a month" in text


def test_sensible_ranges_still_load() -> None:
    # a delay that is sometimes below zero is clipped to zero on those paths (documented); a wide lognormal loads
    assert _load(delay='{dist: normal, mean: 2, sd: 3, source: "assumption: test"}') is not None
    assert _load(cash='{value: 100M, dist: lognormal, p10: 1M, p90: 10B, source: "assumption: test"}') is not None
