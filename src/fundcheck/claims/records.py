"""Claim records: what was said, by whom, when, and which quantity, relation and value it binds to.

A claim is read from a mapping (a YAML or JSON ledger, the database, the command line) by ``parse_claim``,
which reports every mistake as a located ``Problem`` (file, line, field) and never half-reads a claim.
Checking the quantity names against a scenario is ``claims.quantities``' job.

Relations: ``<``, ``<=``, ``=``, ``~`` (about equal, with ``tolerance``), ``>=``, ``>``, ``between``
(``value: [low, high]``). Months are whole months: ``> 2026-04`` means ``>= 2026-05`` and ``< 2026-05``
means ``<= 2026-04``; a ``~`` on a month takes a tolerance in months (default 0; a percentage is an error).
Other strict relations hold with a margin ``margin(v, unit) = max(RELATIVE_EPSILON * |v|, RESOLUTION[unit])``
(relative 1e-9, or the unit's resolution near zero: $1, 1 W, 1e-9 of a fraction), so ``< 40%`` and
``> 39.99%`` can both hold and ``< $10B`` and ``= $10B`` cannot. ``~`` without a tolerance means within
``DEFAULT_TOLERANCE`` (5%).

Kinds: ``statement`` (a statement of fact about an input or an outcome, checked for consistency),
``forecast`` (about an outcome after the date said; evaluated against each world's run, and given a dated
verdict once its date has passed), ``event`` (a dated happening for the timeline), ``context`` (said, kept,
not checked: no quantity can carry it).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from fundcheck.errors import Problem
from fundcheck.scenario.quantities import AmountTooLargeError, parse_amount

__all__ = [
    "DEFAULT_TOLERANCE",
    "EPSILON",
    "KINDS",
    "RELATIONS",
    "RELATIVE_EPSILON",
    "RESOLUTION",
    "UNITS",
    "Claim",
    "ClaimDate",
    "margin",
    "parse_claim",
    "parse_date",
]

RELATIVE_EPSILON = 1e-9  # margin of a strict relation, relative to the value
# the smallest margin of a strict relation near zero, in the display unit ($B, MW, fraction); months are whole
RESOLUTION = {"USD": 1e-9, "MW": 1e-6, "fraction": 1e-9, "month": 1.0, "months": 1.0}
EPSILON = RELATIVE_EPSILON  # kept for the JSON output: the relative margin of strict relations
DEFAULT_TOLERANCE = 0.05  # '~' without a tolerance: within 5% of the value
RELATIONS = {"<": "<", "<=": "<=", "≤": "<=", "=": "=", "==": "=", "~": "~", "≈": "~", ">=": ">=", "≥": ">=",
             ">": ">", "between": "between"}
KINDS = ("statement", "forecast", "event", "context")
# unit written -> (unit of the quantity, factor to the quantity's base unit)
UNITS = {"USD": ("USD", 1.0), "$": ("USD", 1.0), "MW": ("MW", 1.0), "GW": ("MW", 1000.0),
         "fraction": ("fraction", 1.0), "%": ("fraction", 1.0), "month": ("month", 1.0),
         "months": ("months", 1.0)}
SCALE = {"USD": 1e-9, "MW": 1.0, "fraction": 1.0, "month": 1.0, "months": 1.0}  # base unit -> display unit
FIELDS = ("id", "speaker", "role", "outlet", "url", "said", "language", "quote", "translation", "kind",
          "quantity", "definition", "subject", "as_of", "relation", "value", "unit", "tolerance", "confidence",
          "source", "reading_of", "reading", "note", "title", "speaker_kind", "quote_kind")
SPEAKER_KINDS = ("person", "organization")
QUOTE_KINDS = ("verbatim", "paraphrase", "translation")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class ClaimDate:
    """A date as precise as the source: a year, a month or a day, or a range of them ('2025-01-21/2025-01-22')."""

    first: dt.date
    last: dt.date
    text: str

    def __str__(self) -> str:
        return self.text


def _one_date(text: str, end: bool) -> dt.date:
    m = _DATE.match(text)
    if not m:
        raise ValueError(text)
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    if month is None:
        return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)
    mo = int(month)
    if day is None:
        if not 1 <= mo <= 12:
            raise ValueError(text)
        if end:
            nxt = dt.date(year + (mo == 12), mo % 12 + 1, 1)
            return nxt - dt.timedelta(days=1)
        return dt.date(year, mo, 1)
    return dt.date(year, mo, int(day))


def parse_date(raw: object) -> ClaimDate:
    """'2025', '2025-01', '2025-01-22' or a range 'A/B' of those; ValueError if it is not a real date."""
    text = str(raw).strip()
    first_text, _, last_text = text.partition("/")
    first = _one_date(first_text, end=False)
    last = _one_date(last_text or first_text, end=True)
    if last < first:
        raise ValueError(text)
    return ClaimDate(first, last, text)


def month_of(text: str) -> tuple[int, int]:
    m = _MONTH.match(text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(text)
    return int(m.group(1)), int(m.group(2))


def month_index(text: str) -> int:
    year, month = month_of(text)
    return year * 12 + month - 1


@dataclass(frozen=True)
class Claim:
    """One sourced claim. ``low``/``high`` are the interval the relation allows, in the display unit of the
    quantity ($ billions for USD, MW, fraction, month index for months); None where unbounded."""

    id: str
    kind: str
    said: ClaimDate
    speaker: str = ""
    role: str = ""
    outlet: str = ""
    url: str = ""
    language: str = ""
    quote: str = ""
    translation: str = ""
    title: str = ""
    quantity: tuple[str, ...] = ()     # named quantities, summed; empty for a definition claim
    definition: str = ""
    subject: str = ""
    as_of: str = ""                    # YYYY-MM for a dated definition
    relation: str = ""
    value: Any = None                  # as written
    unit: str = ""
    tolerance: Any = None
    confidence: str = ""
    source: str = ""
    reading_of: str = ""
    reading: str = ""
    note: str = ""
    speaker_kind: str = ""             # person | organization ('' : a person if a speaker is named)
    quote_kind: str = ""               # verbatim | paraphrase | translation ('' : verbatim)
    low: float | None = None
    high: float | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def checked(self) -> bool:
        """Whether the claim binds a quantity (statements and forecasts)."""
        return self.kind in ("statement", "forecast")

    @property
    def who(self) -> str:
        return self.speaker or self.outlet or self.source or self.id

    def bound_text(self) -> str:
        """The relation and value as said, e.g. '< $10B'."""
        from fundcheck.claims.quantities import shown_value

        if self.relation == "between" and isinstance(self.value, list | tuple) and len(self.value) == 2:
            return f"between {shown_value(self.value[0], self.unit)} and {shown_value(self.value[1], self.unit)}"
        rel = {"~": "about", "<=": "<=", ">=": ">="}.get(self.relation, self.relation)
        tol = f" (within {self.tolerance})" if self.relation == "~" and self.tolerance is not None else ""
        return f"{rel} {shown_value(self.value, self.unit)}{tol}"

    def to_dict(self) -> dict[str, Any]:
        """The claim as written (for export and storage): only the fields that are set."""
        out: dict[str, Any] = {}
        for key in FIELDS:
            value = getattr(self, key)
            if key == "said":
                value = str(value)
            elif key == "quantity":
                value = list(value) if len(value) > 1 else (value[0] if value else "")
            if value not in ("", None, (), []):
                out[key] = value
        return out


def _line(lines: dict[tuple[Any, ...], int], where: tuple[Any, ...]) -> int | None:
    """The line of `where`, or of the nearest enclosing field that has one (a null or a number in a list of
    claims has no line of its own in the line map; the `claims:` key does)."""
    for k in range(len(where), 0, -1):
        line = lines.get(where[:k])
        if line:
            return line
    return None


def _text(data: dict[str, Any], key: str, problems: list[Problem], at: Any) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, bool | dict | list):
        problems.append(at(key, f"found {type(value).__name__} {value!r:.40}; expected text"))
        return ""
    return str(value)


def _number(raw: object, unit: str) -> float:
    """A value in the claim's unit, converted to the display unit of its quantity."""
    if unit == "month":
        if not isinstance(raw, str):
            raise ValueError(raw)
        return float(month_index(raw))
    value = parse_amount(raw)
    base, factor = UNITS[unit]
    return value * factor * SCALE[base]


def parse_claim(data: object, filename: str, where: tuple[Any, ...] = (),
                lines: dict[tuple[Any, ...], int] | None = None) -> tuple[Claim | None, list[Problem]]:
    """Read one claim from a mapping; `where` is its path in the file (for line numbers and field names)."""
    lines = lines or {}
    problems: list[Problem] = []
    prefix = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(where))

    cid_raw = data.get("id") if isinstance(data, dict) else None
    named = f" ({cid_raw})" if isinstance(cid_raw, str | int) and str(cid_raw).strip() else ""

    def at(key: str, message: str) -> Problem:
        line = lines.get((*where, key)) or _line(lines, where)
        return Problem(filename, line, (f"{prefix}.{key}" if prefix else key) + named, message)

    if not isinstance(data, dict):
        return None, [Problem(filename, _line(lines, where), prefix, f"found {type(data).__name__}; expected a "
                                                                   "mapping of claim fields (id, said, ...)")]
    for key in data:
        if key not in FIELDS:
            problems.append(at(str(key), f"unknown field '{key}'; expected one of: {', '.join(sorted(FIELDS))}"))
    text = {k: _text(data, k, problems, at) for k in FIELDS if k not in ("value", "tolerance", "quantity")}
    cid = text["id"]
    if not cid:
        problems.append(at("id", "this field is required but missing"))
    elif not _ID.match(cid):
        problems.append(at("id", f"found {cid!r:.60}; expected letters, digits and . _ : - (at most 80)"))
    kind = text["kind"] or "statement"
    if kind not in KINDS:
        problems.append(at("kind", f"found '{kind:.40}'; expected one of: {', '.join(KINDS)}"))
    said = None
    if not text["said"]:
        problems.append(at("said", "this field is required but missing (the date it was said: YYYY-MM-DD, "
                                   "YYYY-MM, YYYY or a range A/B)"))
    else:
        try:
            said = parse_date(text["said"])
        except ValueError:
            problems.append(at("said", f"cannot read {text['said']!r:.40} as a date; expected YYYY-MM-DD, "
                                       "YYYY-MM, YYYY or a range such as 2025-01-21/2025-01-22"))
    raw_q = data.get("quantity")
    quantity: tuple[str, ...] = ()
    if isinstance(raw_q, str) and raw_q.strip():
        quantity = (raw_q.strip(),)
    elif isinstance(raw_q, list) and raw_q and all(isinstance(q, str) and q.strip() for q in raw_q):
        quantity = tuple(q.strip() for q in raw_q)
    elif raw_q not in (None, "", []):
        problems.append(at("quantity", "expected a named quantity such as entities.SoftBank.cash_usd@2025-01, "
                                       "or a list of them (summed)"))
    relation = RELATIONS.get(text["relation"]) if text["relation"] else ""
    if relation is None:
        problems.append(at("relation", f"found '{text['relation']:.20}'; expected one of: <, <=, =, ~, >=, >, "
                                       "between"))
        relation = ""
    for key, allowed in (("speaker_kind", SPEAKER_KINDS), ("quote_kind", QUOTE_KINDS)):
        if text[key] and text[key] not in allowed:
            problems.append(at(key, f"found '{text[key]:.30}'; expected one of: {', '.join(allowed)}"))
    unit = text["unit"]
    if unit and unit not in UNITS:
        problems.append(at("unit", f"found '{unit:.20}'; expected one of: {', '.join(UNITS)}"))
        unit = ""
    low = high = None
    value = data.get("value")
    tolerance = data.get("tolerance")
    checked = kind in ("statement", "forecast")
    if checked:
        if not quantity and not text["definition"]:
            problems.append(at("quantity", "a statement or forecast needs a `quantity` or a `definition` (use "
                                           "kind: context for a claim that binds no quantity)"))
        if quantity and text["definition"]:
            problems.append(at("definition", "give a `quantity` or a `definition`, not both"))
        if not relation:
            problems.append(at("relation", "this field is required but missing (one of <, <=, =, ~, >=, >, "
                                           "between)"))
        elif value is None or value == "" or value == []:
            problems.append(at("value", f"the relation '{relation}' has no value; expected a value"
                                        + (" [low, high]" if relation == "between" else "")))
        elif not unit:
            problems.append(at("unit", f"this field is required but missing; expected one of: {', '.join(UNITS)}"))
        else:
            try:
                low, high = _interval(relation, value, unit, tolerance)
            except AmountTooLargeError:
                problems.append(at("value", f"found {value!r:.40}; expected an amount of at most 1e15 in size"))
            except ValueError as exc:
                problems.append(at("tolerance" if str(exc) == "tolerance" else "value",
                                   _value_message(relation, value, unit, tolerance, str(exc))))
    elif (relation or value not in (None, "")) and not relation and value not in (None, ""):
        pass  # an event or context claim may record a value as text
    if problems:
        return None, problems
    assert said is not None
    return Claim(id=cid, kind=kind, said=said, speaker=text["speaker"], role=text["role"], outlet=text["outlet"],
                 url=text["url"], language=text["language"], quote=text["quote"], translation=text["translation"],
                 title=text["title"], quantity=quantity, definition=text["definition"], subject=text["subject"],
                 as_of=text["as_of"], relation=relation, value=value, unit=unit, tolerance=tolerance,
                 confidence=text["confidence"], source=text["source"], reading_of=text["reading_of"],
                 reading=text["reading"], note=text["note"], speaker_kind=text["speaker_kind"],
                 quote_kind=text["quote_kind"], low=low, high=high, raw=dict(data)), []


def _value_message(relation: str, value: object, unit: str, tolerance: object, what: str) -> str:
    if what == "tolerance" and unit in ("month", "months"):
        return (f"cannot read {tolerance!r:.40} as a tolerance on a month; expected a whole number of months "
                "(e.g. 2), not a percentage")
    if what == "tolerance":
        return f"cannot read {tolerance!r:.40} as a tolerance; expected an amount in {unit} or a percentage ('5%')"
    if relation == "between":
        return f"found {value!r:.60}; expected [low, high] in {unit}, low at most high"
    if unit == "month":
        return f"cannot read {value!r:.40} as a month; expected YYYY-MM, e.g. 2026-07"
    return f"cannot read {value!r:.40} as an amount in {unit}; expected e.g. '$10B', 10e9, '40%', 1200"


def margin(v: float, unit: str) -> float:
    """The margin of a strict relation at value `v` (display unit of `unit`'s quantity)."""
    base = UNITS[unit][0] if unit in UNITS else unit
    return max(RELATIVE_EPSILON * abs(v), RESOLUTION.get(base, RELATIVE_EPSILON))


def _interval(relation: str, value: object, unit: str, tolerance: object) -> tuple[float | None, float | None]:
    whole = unit in ("month", "months")  # whole months: strict relations step by one month
    if relation == "between":
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise ValueError("between")
        lo, hi = _number(value[0], unit), _number(value[1], unit)
        if lo > hi:
            raise ValueError("between")
        return lo, hi
    if isinstance(value, list | tuple):
        raise ValueError("list")
    v = _number(value, unit)
    if not math.isfinite(v):
        raise ValueError("finite")
    if relation == "<":
        return None, (v - 1.0 if whole else v - margin(v, unit))
    if relation == "<=":
        return None, v
    if relation == ">":
        return (v + 1.0 if whole else v + margin(v, unit)), None
    if relation == ">=":
        return v, None
    if relation == "=":
        return v, v
    # '~': a tolerance in the claim's unit, or a percentage of the value; months: a number of months only
    if whole:
        if tolerance is None:
            return v, v
        if isinstance(tolerance, bool) or not isinstance(tolerance, int | float | str):
            raise ValueError("tolerance")
        text = str(tolerance).strip().removesuffix("months").removesuffix("month").strip()
        try:
            t = float(text)
        except ValueError:
            raise ValueError("tolerance") from None
        if not math.isfinite(t) or t < 0 or t != int(t):
            raise ValueError("tolerance")
        return v - t, v + t
    if tolerance is None:
        t = abs(v) * DEFAULT_TOLERANCE
    else:
        try:
            if isinstance(tolerance, str) and tolerance.strip().endswith("%"):
                t = abs(v) * parse_amount(tolerance)
            else:
                t = abs(_number(tolerance, unit))
        except (ValueError, AmountTooLargeError):
            raise ValueError("tolerance") from None
    return v - t, v + t


def claim_dict(claim: Claim) -> dict[str, Any]:
    return asdict(claim)
