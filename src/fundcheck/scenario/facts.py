"""The cited fact base (facts.md, shipped with the package) as rows keyed by ID, to show beside sources."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["Fact", "cited_ids", "facts"]

_ROW = re.compile(r"^\|\s*([A-Z]\d{1,2})\s*\|(.*)\|\s*$")
_ID = re.compile(r"\b([A-I]\d{1,2})\b")


@dataclass(frozen=True)
class Fact:
    """One row of facts.md: what it says, its value and unit, where it comes from, how sure it is."""

    id: str
    fact: str
    value: str
    unit: str
    source: str
    confidence: str


@cache
def facts() -> dict[str, Fact]:
    """Every row of the shipped facts.md, by ID (A1, B7, ...)."""
    text = (resources.files("fundcheck") / "data" / "facts.md").read_text(encoding="utf-8")
    out: dict[str, Fact] = {}
    for line in text.splitlines():
        m = _ROW.match(line)
        if not m:
            continue
        cells = [c.strip() for c in m.group(2).split("|")]
        if len(cells) >= 6:  # ID | Fact | Value | Unit | Date | Source | Conf.
            out[m.group(1)] = Fact(m.group(1), cells[0], cells[1], cells[2], cells[4], cells[5])
    return out


def cited_ids(source: str) -> list[str]:
    """The facts.md IDs a source text cites ('D2, D3' -> ['D2', 'D3']); none for assumptions."""
    if source.strip().lower().startswith("assumption"):
        return []
    return _ID.findall(source)
