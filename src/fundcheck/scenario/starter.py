"""The commented starter scenario that `fundcheck new NAME` writes: small, valid, and meant to be edited.

The name goes into the YAML as a double-quoted scalar with every character YAML could read differently
escaped, so `a: b`, `null`, `#x`, `!tag`, `'quoted'` or any unicode name gives a starter that validates, and
into the first comment line with anything that could end the comment replaced by a space.
"""

from __future__ import annotations

import re

__all__ = ["starter_yaml", "yaml_quoted"]

# What PyYAML's reader accepts in a stream, less the characters YAML reads as line breaks (NEL, LS, PS).
_PLAIN = re.compile(r"[\x20-\x7E\xA0-\u2027\u202A-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")

_TEMPLATE = """\
# {name}: a fundcheck scenario. Edit it, then: fundcheck validate {file} && fundcheck run {file}
# Money is USD ('$19B', 19e9, 19_000_000_000), power MW, rates annual ('7.5%'), months YYYY-MM.
# Every number needs a source: a facts.md row (A6), a dataset row, or "assumption: <why>". A `source:` on
# an item (entity, phase, instrument, contract) covers the numbers inside it.
program: {quoted}
description: One site built by a two-partner joint venture with a construction loan.
horizon: {{start: 2026-01, end: 2036-12}}
gap_policy: defer                  # defer: unfunded capex slips energization; record: build on time, log the gap
capex_shortfall: file_order        # an owner short of money pays its phases in file order; pro_rata: evenly

entities:
  Developer:  {{kind: company, cash: {{value: $1B, source: "assumption: developer balance sheet"}}}}
  Investor:   {{kind: investor, cash: {{value: $2B, source: "assumption: fund allocation"}}}}
  # order_of_claims: commitments_first on an entity holds cash back for its capital calls before its other claims
  Site JV:    {{kind: spv, funding_priority: [cash, equity, debt]}}   # order in which the JV taps its sources
  Bank:       {{kind: lender}}                                        # lenders without cash are outside parties
  Tenant:     {{kind: company, outside: true, note: "assumed to pay its rent"}}

sites:
  Campus:
    owner: Site JV                 # pays facility capex; set it_owner to have someone else buy the servers
    phases:
      - name: phase 1
        it_mw: {{value: 100, source: "assumption: first building"}}
        start: 2026-03
        months: 18                 # construction; energization defaults to the month after
        curve: s                   # spending shape: s, linear, front, back
        facility_capex: {{value: $1.2B, source: "assumption: $12M per MW (facts.md F1 is $11.7M)"}}
        it_capex: {{value: 0, source: "assumption: the tenant brings its own servers"}}

instruments:
  - {{kind: equity, from: Developer, to: Site JV, source: "assumption: even split",
     amount: {{value: $250M}}, stake: {{value: 50%}}}}
  - {{kind: equity, from: Investor, to: Site JV, source: "assumption: even split",
     amount: {{value: $250M}}, stake: {{value: 50%}}}}
  - kind: construction_loan
    name: construction loan
    from: Bank
    to: Site JV
    limit: {{value: $850M, source: "assumption: ~70% loan-to-cost"}}
    rate: {{value: 7.5%, source: "assumption: SOFR + 300bp"}}
    max_ltc: {{value: 75%, source: "assumption: lender covenant"}}
    start: 2026-03
    end: 2027-12                   # draws allowed until here, then it amortizes
    repay: {{kind: amortizing, months: 180}}

contracts:
  - kind: lease
    tenant: Tenant
    landlord: Site JV
    site: Campus
    term_years: 15
    rate_per_mw_month: {{value: $150k, source: "assumption: powered-shell market rent"}}
    escalator: {{value: 2%, source: "assumption"}}
"""


def yaml_quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar that reads back as exactly `text` (lone surrogates excepted)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif _PLAIN.fullmatch(ch):
            out.append(ch)
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04X}")
        else:  # pragma: no cover - every character above U+FFFF is plain
            out.append(f"\\U{ord(ch):08X}")
    return '"' + "".join(out) + '"'


def _comment(text: str) -> str:
    """`text` safe inside a one-line YAML comment: line breaks and other unprintable characters become spaces."""
    return "".join(ch if ch.isprintable() and _PLAIN.fullmatch(ch) else " " for ch in text)


def starter_yaml(name: str, file: str) -> str:
    """The text of a starter scenario named `name`, to be saved as `file`."""
    return _TEMPLATE.format(quoted=yaml_quoted(name), name=_comment(name), file=_comment(file))
