"""The HTML report: one self-contained file (inline SVG charts and CSS, no scripts, opens offline)."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pandas as pd

from fundcheck.engine.results import Results
from fundcheck.report import charts
from fundcheck.report.files import write_text_atomic
from fundcheck.report.fmt import MINUS, claims_order, mw, pct, usd
from fundcheck.scenario.facts import cited_ids, facts
from fundcheck.scenario.inputs import input_rows
from fundcheck.scenario.loader import origin

__all__ = ["CSS", "HEAD", "column_label", "html_table", "input_label", "render_html", "scroll", "write_html"]

# Every page fundcheck writes opens its <head> with this: UTF-8 and a viewport, so phones lay it out at their width.
HEAD = "<meta charset='utf-8'><meta name='viewport' content='width=device-width, initial-scale=1'>"

CSS = """
body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 12px}
body{line-height:1.4} h1{margin-bottom:0} .sub{color:#666;margin-top:.2em}
p,li,h1,h2{overflow-wrap:anywhere}
h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:13px;margin:.5em 0}
th,td{border:1px solid #ddd;padding:3px 8px;vertical-align:top}
th{background:#f4f4f4;text-align:left} td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:140px}
.card b{display:block;font-size:20px}.bad{color:#b00}.ok{color:#070}
svg.chart{max-width:100%;height:auto;display:block} svg.chart.wide{min-width:820px;width:100%}
@media (max-width:860px){.scroll:has(svg.wide)::before{content:"scroll sideways for the whole chart \2192";
display:block;font-size:11px;color:#888}}
.legend{display:flex;flex-wrap:wrap;gap:3px 14px;font-size:12px;margin:.3em 0 1em;color:#333}
.legend span{display:inline-flex;align-items:center;gap:5px} .legend i{display:inline-block;width:12px;height:12px}
.multiples{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:10px 22px}
.panel h3{margin:.4em 0 0;font-size:15px} .panel p{margin:.1em 0 .3em;font-size:12px;color:#555;min-height:2.6em}
.src{font-size:12px;color:#555}
.verdicts{list-style:none;padding:0} .verdicts li{margin:.3em 0;padding-left:.6em;border-left:4px solid #7a7}
.verdicts li.short{border-left-color:#b00} .verdicts li.program{border-left-color:#369}
.verdicts ul{margin:.2em 0;padding-left:1.2em} .verdicts ul li{border:0;padding:0;margin:.1em 0}
nav.toc{font-size:14px} nav.toc ol{columns:2 16em;margin:.3em 0}
"""

# Table headers in words with units; money columns show "$" in every cell, so their header needs no unit.
_COLUMNS = {
    "first_shortfall": "first short", "months_short": "months short", "largest_gap_usd": "largest monthly gap",
    "gap_at_end_usd": "gap at end", "unpaid_total_usd": "unpaid, each $ once", "committed_usd": "committed",
    "covered_at_signing_usd": "covered at signing", "deployed_usd": "deployed", "planned_mw": "planned (MW)",
    "modelled_mw": "modelled (MW)", "delayed_mw": "delayed (MW)",
    "running_mw": "running, GPUs paid (MW)", "it_mw": "IT (MW)",
    "facility_capex_usd": "facility capex", "it_capex_usd": "IT capex", "energized_planned": "energizes (plan)",
    "energized": "energizes (model)", "delay_months": "delay (months)", "contributed_usd": "contributed",
    "received_usd": "received", "capped_excess_usd": "capped excess", "share_of_exit": "share of exit",
    "moic": "multiple (MOIC)", "irr": "IRR", "from": "from", "to": "to",
}
_WORDS = {"mw": "MW", "it": "IT", "pue": "PUE", "ltc": "LTC", "usd": "USD", "gpus": "GPUs", "gpu": "GPU",
          "irr": "IRR", "moic": "MOIC", "jv": "JV"}


def _words(name: str) -> str:
    """'facility_capex_per_mw' -> 'facility capex per MW'."""
    return " ".join(_WORDS.get(w, w) for w in str(name).split("_"))


def column_label(name: object) -> str:
    """A column's header in words with its unit: 'largest_gap_usd' -> 'largest monthly gap'."""
    text = str(name)
    if text in _COLUMNS:
        return _COLUMNS[text]
    for suffix, unit in (("_usd", ""), ("_mw", " (MW)"), ("_months", " (months)")):
        if text.endswith(suffix):
            return _words(text.removesuffix(suffix)) + unit
    return _words(text)


def scroll(table: str) -> str:
    """A table inside a wrapper that scrolls sideways on a narrow screen instead of widening the page."""
    return f"<div class='scroll'>{table}</div>"


def html_table(frame: pd.DataFrame, money: tuple[str, ...] = (), index: bool = False,
               percent: tuple[str, ...] = ()) -> str:
    """`frame` as an HTML table (in a sideways-scrolling wrapper) with headers in words: `money` columns as
    dollars ('*': every number), `percent` columns (fractions) as percents."""
    head = ([column_label(frame.index.name or "")] if index else []) + [column_label(c) for c in frame.columns]
    rows = []
    for idx, row in frame.iterrows():
        cells = [f"<td>{html.escape(str(idx))}</td>"] if index else []
        for col, value in row.items():
            if col in money or (money == ("*",) and isinstance(value, int | float)):
                cells.append(f'<td class="n">{usd(value)}</td>')
            elif col in percent and isinstance(value, int | float):
                cells.append(f'<td class="n">{pct(value)}</td>')
            elif isinstance(value, float):
                shown = "-" if pd.isna(value) else f"{value:,.0f}".replace("-", MINUS)
                cells.append(f'<td class="n">{shown}</td>')
            else:
                cells.append(f"<td>{html.escape('-' if value is None else str(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return scroll("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>" + "".join(rows)
                  + "</table>")


_INDEXED = re.compile(r"^(instruments|contracts)\[(\d+)\]\.(.+)$")
_PHASE = re.compile(r"^sites\.(.+)\.phases\[(\d+)\]\.(.+)$")


def input_label(scenario: Any, path: str) -> str:
    """An input named by its names rather than by position: 'instruments[15].stake' ->
    'equity Blue Owl → Abilene JV: stake'; the raw path where it cannot be resolved."""
    label = None
    try:
        if m := _INDEXED.match(path):
            names = scenario.instrument_names() if m[1] == "instruments" else scenario.contract_names()
            label = f"{names[int(m[2])]}: {_words(m[3]).replace('.', ', ')}"
        elif m := _PHASE.match(path):
            phase = scenario.sites[m[1]].phases[int(m[2])]
            label = f"{m[1]}, {getattr(phase, 'name', None) or f'phase {int(m[2]) + 1}'}: {_words(m[3])}"
    except (IndexError, KeyError, AttributeError, TypeError):
        label = None
    if label is None:
        label = _named_path(path)
    if label is None:
        parts = path.split(".")
        label = ", ".join(parts[:-1]) + (": " if len(parts) > 1 else "") + _words(parts[-1])
    return label.replace(" -> ", " → ")


# Paths whose words need more than underscores replaced: (pattern, label with {1}, {2} for the groups)
_NAMED = [
    (r"^entities\.(.+)\.cash$", "{1}: opening cash"),
    (r"^entities\.(.+)\.cash_flow\[(\d+)\]\.(usd|usd_per_year)$", "{1}: own cash flow {n2}"),
    (r"^entities\.(.+)\.credit\.(limit|rate)$", "{1}: credit line {2}"),
    (r"^entities\.(.+)\.can_raise\.amount$", "{1}: new money it can raise"),
    (r"^accounting\.tax_rates\.(.+)$", "tax rate of {1}"),
    (r"^accounting\.nol_limit$", "share of a year's income that past losses may offset"),
    (r"^accounting\.(facility|it)_life_years$", "{L1} depreciation life (years)"),
    (r"^operations\.power_price_per_mwh$", "power price (per MWh)"),
    (r"^operations\.other_opex_per_mw_year$", "other operating costs (per MW of IT a year)"),
    (r"^uncertainty\.rate_shift\.annual$", "interest rate shift (a year)"),
    (r"^uncertainty\.phase_delay$", "delay of every phase without its own (shared prior)"),
    (r"^uncertainty\.defaults\.(.+)\.(probability|hazard_per_year)$", "default of {1}: {2}"),
    (r"^defaults\.(.+)$", "every phase without its own: {w1}"),
]


def _named_path(path: str) -> str | None:
    """A readable label for the scenario paths that are not instruments or phases ('entities.SoftBank.cash' ->
    'SoftBank: opening cash'), or None."""
    for pattern, text in _NAMED:
        if m := re.match(pattern, path):
            out = text
            for k, g in enumerate(m.groups(), start=1):
                out = out.replace(f"{{{k}}}", g.replace("_", " ")).replace(f"{{w{k}}}", _words(g))
                out = out.replace(f"{{L{k}}}", {"it": "IT", "facility": "facility"}.get(g, g))
                if f"{{n{k}}}" in out:
                    out = out.replace(f"{{n{k}}}", str(int(g) + 1))
            return out
    return None


def input_value(value: float, unit: str) -> str:
    """An input's value with its unit in words: '$19.0B', '40%', '7% a year', '$708k per MW-month'."""
    per = {"yr": "a year", "MW-IT": "per MW of IT", "MW-month": "per MW-month"}
    if unit == "USD":
        return usd(value)
    if unit.startswith("USD/"):
        rest = unit.removeprefix("USD/")
        return f"{usd(value)} {per.get(rest, 'per ' + rest)}"
    if unit == "1/yr":
        return f"{pct(value, 2)} a year"
    if unit == "fraction":
        return pct(value, 2)
    if unit == "MW":
        return mw(value)
    if unit == "months":
        return f"{value:,.6g} months"
    shown = f"{value:,.6g}".replace("-", MINUS)
    if unit.endswith("/MW-IT"):
        return f"{shown} {unit.removesuffix('/MW-IT')} per MW of IT"
    return f"{shown} {unit}".strip()


# Web addresses in a fact's source text, with or without a scheme ('openai.com/index/...', 'reuters.com').
_URL = re.compile(r"\b(?:https?://)?(?:[a-z0-9-]+\.)+(?:com|org|net|ai|io|news|gov|edu|co|uk|de|fr|info|tech|dev|"
                  r"us|eu|jp|in)(?:/[^\s;,()\"'<>]*)?", re.I)


def linked_source(text: str) -> str:
    """A fact's source text, escaped, with each web address in it a link that opens in a new tab."""
    out, last = [], 0
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".")
        if "..." in url or "\u2026" in url:  # an elided address in the fact base: shown, not linked
            continue
        out.append(html.escape(text[last:m.start()]))
        href = url if url.lower().startswith("http") else "https://" + url
        out.append(f'<a href="{html.escape(href)}" target="_blank" rel="noopener">{html.escape(url)}</a>')
        last = m.start() + len(url)
    out.append(html.escape(text[last:]))
    return "".join(out)


def fact_anchor(fact_id: str) -> str:
    return f"fact-{charts.element_id(fact_id)}"


def _linked_ids(source: str, known: dict[str, Any]) -> str:
    """An input's source text, escaped, with each cited fact ID a link to its row in the sources table."""
    ids = {i for i in cited_ids(source) if i in known}
    if not ids:
        return html.escape(source)
    pattern = re.compile(r"\b(" + "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True)) + r")\b")
    out, last = [], 0
    for m in pattern.finditer(source):
        out += [html.escape(source[last:m.start()]), f'<a href="#{fact_anchor(m[1])}">{html.escape(m[1])}</a>']
        last = m.end()
    return "".join(out) + html.escape(source[last:])


def _inputshtml_table(results: Results) -> str:
    """Every input by name with its value and source, then each cited fact once, its source linked out."""
    known = facts()
    rows, cited = [], {}
    for r in input_rows(results.scenario):
        for i in cited_ids(r["source"]):
            if i in known:
                cited.setdefault(i, known[i])
        note = f"<br><span class='src'>{html.escape(r['note'])}</span>" if r["note"] else ""
        rows.append(f"<tr><td>{html.escape(input_label(results.scenario, r['path']))}</td>"
                    f"<td class='n'>{html.escape(input_value(r['value'], r['unit']))}</td>"
                    f"<td>{_linked_ids(r['source'], known)}{note}</td></tr>")
    inputs = scroll("<table><tr><th>input</th><th>value</th><th>source</th></tr>" + "".join(rows) + "</table>")
    fact_rows = "".join(
        f"<tr id='{fact_anchor(f.id)}'><td><b>{html.escape(f.id)}</b></td><td>{html.escape(f.fact)}</td>"
        f"<td class='n'>{html.escape(f.value)} {html.escape(f.unit)}</td><td>{html.escape(f.confidence)}</td>"
        f"<td class='src'>{linked_source(f.source)}</td></tr>"
        for f in sorted(cited.values(), key=lambda f: _fact_order(f.id)))
    sources = scroll("<table><tr><th>fact</th><th>what the source says</th><th>value</th><th>confidence</th>"
                     "<th>source</th></tr>" + fact_rows + "</table>") if cited else "<p>No fact cited.</p>"
    return inputs + "<h2 id='sources'>Sources cited, each once</h2>" + sources


def _fact_order(fact_id: str) -> tuple[str, int]:
    m = re.match(r"([A-Z]+)(\d+)", fact_id)
    return (m[1], int(m[2])) if m else (fact_id, 0)


def _control_sections(results: Results, ids: charts.ChartIds) -> list[str]:
    """Who controls each governed entity over time (see `fundcheck control` for the full page)."""
    from fundcheck.governance.control import control

    out = []
    for entity in results.scenario.governance:
        ctrl = control(results, entity)
        out.append(f"<h2>Control of {html.escape(entity)}</h2>")
        for matter in ctrl.shapley_shubik:
            out.append(f"<p><b>{html.escape(matter.capitalize())} matters</b>: Shapley–Shubik power (solid) and "
                       "stake (dashed) per party</p>")
            out.append(charts.control_chart(ctrl, matter, ids("chart-power", matter)))
    return out


def _waterfall_sections(results: Results) -> list[str]:
    """Who receives what at each waterfall's own exit (see `fundcheck waterfall` for sweeps)."""
    from fundcheck.finance.distribute import distribute

    out = []
    for entity, spec in results.scenario.waterfalls.items():
        if spec.style != "european" or spec.exit is None:
            continue
        table = distribute(results, entity).table()[["contributed_usd", "received_usd", "capped_excess_usd"]]
        out += [f"<h2>Waterfall of {html.escape(entity)}: exit of {usd(spec.exit.value.value)}</h2>",
                html_table(table, money=("contributed_usd", "received_usd", "capped_excess_usd"), index=True)]
    return out


def _shown_cash(value: float, tolerance: float) -> float:
    """A balance for display: rounding within the tolerance shows as zero, not '$-0.00'."""
    return 0.0 if abs(value) <= tolerance else value


def _verdicts_html(results: Results) -> str:
    """The answer first: one line per funded party, then the program's lines."""
    from fundcheck.report.verdicts import party_verdicts, program_verdict

    items = []
    for v in party_verdicts(results):
        name, _, rest = v.text.partition(": ")
        items.append(f"<li class='{'short' if v.short else 'paid'}'><b>{html.escape(name)}</b>: "
                     f"{html.escape(rest)}</li>")
    program = program_verdict(results)
    items.append("<li class='program'><b>Program</b><ul>" + "".join(f"<li>{html.escape(x)}</li>"
                                                                  for x in program.lines) + "</ul></li>")
    return "<ul class='verdicts'>" + "".join(items) + "</ul>"


_H2 = re.compile(r"<h2(?: id=['\"]([^'\"]*)['\"])?>(.*?)</h2>", re.S)


def _with_contents(body: str) -> tuple[str, str]:
    """Give every section heading an id and return (body, a table of contents linking to them)."""
    entries: list[tuple[str, str]] = []
    taken: set[str] = set()

    def named(m: re.Match[str]) -> str:
        text = re.sub(r"<[^>]+>", "", m[2])
        slug = m[1] or "s-" + (charts.element_id(html.unescape(text)) or "section")
        base, n = slug, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        entries.append((slug, text))
        return f"<h2 id='{slug}'>{m[2]}</h2>"

    body = _H2.sub(named, body)
    toc = ("<nav class='toc'><b>Contents</b><ol>"
           + "".join(f"<li><a href='#{slug}'>{text}</a></li>" for slug, text in entries) + "</ol></nav>")
    return body, toc


def render_html(results: Results, claims: Any | None = None) -> str:
    """The whole report as one HTML string; with `claims` (a ``fundcheck.claims.check_ledger`` result for this
    scenario), a claims section with the plain answer on top."""
    s = results.scenario
    ids = charts.ChartIds()  # the fixed chart ids first, so a matter named 'cash' cannot take one of them
    for fixed in ("chart-cumulative", "chart-capital-stack", "chart-timeline", "chart-mw"):
        ids(fixed)
    totals = results.totals()
    checks = results.checks
    # build totals only (one layer: the sites' capex), never money added across layers
    cards = [("capex planned", usd(totals["capex_usd"])), ("capex funded", usd(totals["funded_usd"])),
             ("build gap", usd(totals["gap_usd"]))]
    gap_class = "bad" if totals["gap_usd"] > 1 else ""
    card_html = "".join(
        f'<div class="card">{html.escape(k)}<b class="{gap_class if k == "build gap" else ""}">{v}</b></div>'
        for k, v in cards)
    short_rows = results.shortfalls().fillna("never")
    has_sites = bool(len(results.plan.phases))
    gapq = results.gap_by_quarter()
    money = results.money()
    money["kind"] = [str(k).replace("_", " ") for k in money["kind"]]
    phases = results.phases()
    alternatives = "".join(f"<li><b>{html.escape(a.name)}</b>: {html.escape(a.description)} "
                           f"<span class='src'>({html.escape(a.source)})</span></li>" for a in s.alternatives)
    verdict = ("ok", "all invariants hold") if checks.ok else ("bad", "INVARIANT VIOLATED")
    check_line = (f'<span class="{verdict[0]}">{verdict[1]}</span>: money conserved to '
                  f"${checks.conservation_max_abs_usd:.4f}, "
                  f"loan corkscrews to ${checks.loan_corkscrew_max_abs_usd:.4f}, "
                  f"sources = uses + gap to ${checks.sources_uses_max_abs_usd:.4f}, "
                  f"lowest modelled cash {_cash_text(_shown_cash(checks.min_cash_usd, checks.tolerance_usd))} (all "
                  f"within ${checks.tolerance_usd:,.4f}, 1e-12 of the money moved plus the largest balance)")
    alts = "".join(f" + {a}" for a in results.alternatives)
    alt_line = ("Alternatives applied: " + ", ".join(results.alternatives)) if results.alternatives else \
        "Central values (no alternative applied)"
    sections = [
        "<h2 id='answer'>The answer</h2>",
        _verdicts_html(results) if results.funded_entities or has_sites else "",
        f"<div class='cards'>{card_html}</div><p>{check_line}</p>",
        *(["<h2>Runway per party</h2><p>What each party has to pay with after each month's close: its cash (less "
            "any debt-service reserve, which only pays debt service), "
           "what it can still draw next month on loans open to it (within their limits and loan-to-cost caps; "
           "bonds and bridges paid out in one go are not counted) and new money it can still raise, against what "
           "falls due each month. Below zero, in red, what it owes and cannot pay, overdue amounts included. Each "
           "chart has its own scale.</p>",
           charts.runway_legend(), _runways(results, ids)] if results.funded_entities else []),
        *(["<h2>Cumulative funding need against funding available</h2>", charts.cumulative_chart(results)]
          if has_sites else []),
        *(["<h2>Capital stack and uses</h2><p>Per funded entity over the horizon: what paid for it, most senior "
           "layer first, and what it paid for, each bar as a share of the entity's own total. Opening cash spent "
           "counts as a source and cash left at the end as a use, so the paid parts of the two bars are equal.</p>",
           charts.capital_stack_chart(results)] if results.funded_entities else []),
        *(["<h2>Timeline</h2>", charts.timeline_chart(results, _dated_claims(claims))]
          if has_sites or len(results.plan.loans) else []),
        *(["<h2>When each entity falls short</h2>",
           "<p>A monthly gap includes what is still unpaid from earlier months (deferred capex, overdue debt); "
           "the last column counts each unpaid dollar once.</p>",
           html_table(short_rows, money=("largest_gap_usd", "gap_at_end_usd", "unpaid_total_usd"), index=True),
           "<h2>Funding gap by quarter</h2><p>The largest monthly gap in each quarter.</p>",
           html_table(gapq, money=("*",), index=True) if len(gapq) else "<p>No entity falls short.</p>"]
          if results.funded_entities else ["<p>No modelled entity has anything to pay in this scenario.</p>"]),
        *(["<h2>IT MW online</h2>", charts.mw_chart(results), html_table(results.mw_by_year(), index=True),
           "<h2>Phases: plan against model</h2>", html_table(phases, money=("facility_capex_usd", "it_capex_usd"))]
          if has_sites else ["<p>This scenario builds no sites.</p>"]),
        *(_finance_section(results) if has_sites or len(results.plan.loans) else []),
        *_claims_section(claims),
        "<h2>Committed, covered at signing, deployed</h2><p>Covered at signing: the share of a commitment the "
        "provider's liquidity covered when it opened, shared over its open commitments then (blank where the "
        "provider's liquidity is not modelled). Deployed: paid in by the horizon end. Rows are not additive: "
        "money lent to a partner that then funds the JV appears at both layers.</p>",
        html_table(money, money=("committed_usd", "covered_at_signing_usd", "deployed_usd")),
        *_control_sections(results, ids),
        *_waterfall_sections(results),
        "<h2>Alternatives to the central values</h2><ul>" + (alternatives or "<li>none listed</li>") + "</ul>",
        "<h2 id='inputs'>Every input and its source</h2>", _inputshtml_table(results),
    ]
    body, toc = _with_contents("\n".join(sections))
    parts = [
        f"<!DOCTYPE html><html lang='en'><head>{HEAD}",
        f"<title>fundcheck: {html.escape(s.program + alts)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(s.program + alts)}</h1>",
        f"<p class='sub'><b>{html.escape(alt_line)}</b></p>",
        f"<p class='sub'>{html.escape(s.description or '')}<br>Scenario {html.escape(origin(s))}; months "
        f"{results.months[0]} to {results.months[-1]}; gap policy <b>{s.gap_policy}</b>; an owner short of money "
        f"pays its phases' capex <b>{'pro rata' if s.capex_shortfall == 'pro_rata' else 'in file order'}</b>; "
        f"order of claims on a party's cash <b>{html.escape(claims_order(results.plan.order_of_claims))}</b>.</p>",
        toc, body,
        "<p class='src'>Facts from the fundcheck fact base (facts.md). Epoch AI data: CC BY 4.0, "
        "Epoch AI, https://epoch.ai/data.</p></body></html>",
    ]
    return "\n".join(parts)


def _runways(results: Results, ids: charts.ChartIds) -> str:
    """A grid of small runway charts, one per funded party, each headed by its name and a one-line verdict."""
    from fundcheck.report.verdicts import party_verdicts

    panels = []
    for v in party_verdicts(results):
        if v.short:
            line = (f"short from {v.first_short}" + (f" ({v.first_cause})" if v.first_cause else "")
                    + f"; largest shortfall {usd(v.largest_gap_usd)}; unpaid {usd(v.unpaid_usd)} in all")
        else:
            line = "never short"
        panels.append(f"<div class='panel'><h3>{html.escape(v.entity)}</h3><p class='{'bad' if v.short else 'ok'}'>"
                      f"{html.escape(line)}</p>{charts.runway_chart(results, v.entity, ids('chart-runway', v.entity))}"
                      "</div>")
    return "<div class='multiples'>" + "".join(panels) + "</div>"


def _finance_section(results: Results) -> list[str]:
    """Returns per party, cover ratios per loan (a chart and a table) and each entity's statements by year,
    with the choices they rest on said first."""
    import numpy as np

    from fundcheck.finance.performance import TERMINAL_VALUE, cover_table, cover_text, debt_cover, returns_table
    from fundcheck.finance.statements import statements
    from fundcheck.report.summary import ratio

    st = statements(results)
    b = st.basis
    lives = (f"facility over {b.facility_life_years:g} years ({b.sources['facility_life_years']}), IT over "
             f"{b.it_life_years:g} years ({b.sources['it_life_years']})" if b.depreciation == "straight_line"
             else "MACRS: IT as 5-year and facility as 15-year property")
    choices = ("<p><b>What these rest on.</b> Terminal value: " + html.escape(TERMINAL_VALUE) + ". Depreciation: "
               + html.escape(lives) + f". Tax: {pct(b.tax_rate)} ({html.escape(b.sources['tax_rate'])})"
               + "".join(f"; {html.escape(k)} {pct(v)}" for k, v in b.tax_rates.items())
               + f", losses carried forward against up to {pct(b.nol_limit)} of a year's income; taxes are "
               "accrued, not paid, in this run. NPVs at " + pct(b.discount_rate) + " a year ("
               + html.escape(b.sources["discount_rate"]) + ").</p>")
    npv = f"NPV at {pct(b.discount_rate)}"
    rows = returns_table(st).drop(columns=["kind", "irr"]).rename(columns={"NPV": npv})
    rows["multiple"] = [ratio(v) for v in rows["multiple"]]
    rows["paid back"] = rows["paid back"].fillna("not by the end")
    out = ["<h2>Returns by the horizon end</h2>", choices,
           html_table(rows, money=("put in", "worth at the end", npv))
           if len(rows) else "<p>No modelled party invested equity or built anything.</p>"]
    cover = debt_cover(st)
    if cover:
        years = sorted(set(results.periods.year))
        by_facility = {}
        for name, d in cover.items():
            ratios = np.full(len(years), np.nan)
            for y, v in zip(d.years, d.dscr, strict=True):
                ratios[years.index(y)] = v
            by_facility[name] = ratios
        table = cover_table(st)
        table["kind"] = table["kind"].str.replace("_", " ")
        for col in ("min DSCR", "avg DSCR", "LLCR"):
            table[col] = [cover_text(v) for v in table[col]]
        out += ["<h2>Debt cover</h2><p>Over each facility's repayment years inside the horizon. CFADS is the "
                "borrower's EBITDA less the tax it accrued; debt service is the interest, principal and fees that "
                "fell due on all its facilities in the year (paid or not). The LLCR is taken at the start of "
                "repayment, at the facility's rate, over all the borrower's debt then. n/m: CFADS below zero.</p>",
                charts.dscr_chart(years, by_facility), html_table(table, money=("size",))]
    out += _maturities_section(results) + _covenants_section(results)
    parts = []
    for entity in results.funded_entities:
        annual = st.annual(entity)
        tables = {name: html_table(annual[key].T, money=("*",), index=True) for name, key in (
            ("Income statement", "income"), ("Balance sheet at each year's end", "balance"),
            ("Cash flows", "cash_flow"))}
        parts.append(f"<details><summary><b>{html.escape(entity)}</b></summary>"
                     + "".join(f"<p>{name}</p>{table}" for name, table in tables.items()) + "</details>")
    out += ["<h2>Statements by year</h2><p>Built from the run's ledger (see docs/finance.md): cash and debt are "
            "the engine's own balances, and the balance sheet balances every month (largest difference "
            f"${st.balance_error_usd:,.4f}). Click a party to open its statements.</p>", "".join(parts)]
    return out


def _covenants_section(results: Results) -> list[str]:
    """Each loan with a cash sweep or covenants: its breaches as dated events, and its tests."""
    c = results.covenants()
    if not len(c):
        return []
    events = [f"<li>{html.escape(r.event)}</li>" for r in c.itertuples() if r.event]
    table = pd.DataFrame({
        "facility": c.index, "borrower": c.borrower,
        "lock-up below": [f"{v:.2f}x" if v == v else "-" for v in c.lockup_dscr],
        "default below": [f"{v:.2f}x" if v == v else "-" for v in c.default_dscr],
        "sweep": [pct(v) if v > 0 else "-" for v in c.sweep_share], "swept_usd": c.swept_usd,
        "tests (December DSCR)": ["; ".join(f"{m[:4]} {d:.2f}x" for m, d in tests) or "none taken"
                                  for tests in c.tests]})
    return ["<h2>Covenants and cash sweeps</h2><p>Each December from a loan's first full calendar year of "
            "repayment: the borrower's cash from operations that year (leases, offtake and own income received, "
            "less leases, offtake, own and operating costs paid; before tax, which a run accrues but does not pay, "
            "where the debt cover table deducts it) over the debt service due that year on all its loans. Below "
            "the lock-up, all the borrower's cash at each month's end prepays the loan for the next "
            "twelve months; below the default test, an event of default (the lenders' remedies are not "
            "modelled). A sweep prepays the latest instalments first.</p>"
            + ("<ul>" + "".join(events) + "</ul>" if events else "<p>No test was broken.</p>"),
            html_table(table, money=("swept_usd",))]


def _maturities_section(results: Results) -> list[str]:
    """Each loan maturing inside the horizon, the unpaid ones said first as dated events."""
    m = results.maturities()
    if not len(m):
        return []
    events = [f"<li><b>{html.escape(r.month)}</b>: {html.escape(r.event)}: "
              + (f"{usd(r.unpaid_usd)} of {usd(r.due_usd)} unpaid" if r.unpaid_usd > 1.0 else "")
              + (("; " if r.unpaid_usd > 1.0 else "") + f"{usd(r.interest_unpaid_usd)} of interest unpaid"
                 if r.interest_unpaid_usd > 1.0 else "") + "</li>" for r in m.itertuples() if r.event]
    table = m.drop(columns=["event"]).reset_index()
    table["refinanced_by"] = table["refinanced_by"].replace("", "no refinancing")
    return ["<h2>Maturities</h2><p>Each loan that matures inside the horizon (its bullet or last instalment): "
            "what fell due that month (principal, with what was overdue), what its refinancing repaid, what the "
            "borrower repaid from its own money, and what stayed unpaid. An unpaid maturity is a liquidity event "
            "for the borrower.</p>"
            + ("<ul>" + "".join(events) + "</ul>" if events else "<p>Every maturity was met.</p>"),
            html_table(table, money=("due_usd", "refinanced_usd", "repaid_usd", "unpaid_usd",
                                     "interest_unpaid_usd"))]


def _dated_claims(claims: Any | None) -> list[tuple[str, str]]:
    """(claim id, 'YYYY-MM') for each dated claim of a claims check, for the timeline."""
    if claims is None:
        return []
    from fundcheck.claims.export import timeline_rows

    return [(r["id"], str(r["first"])[:7]) for r in timeline_rows(claims.ledger)]


def _cash_text(value: float) -> str:
    """Cash to the cent, with a real minus sign."""
    return f"{MINUS if value < 0 else ''}${abs(value):,.2f}"


def _claims_section(claims: Any | None) -> list[str]:
    if claims is None:
        return []
    from fundcheck.report.claims_page import claims_section_html  # it imports this module's CSS

    return [claims_section_html(claims)]


def write_html(results: Results, path: Path, claims: Any | None = None) -> Path:
    """Write the report to `path` (folders created) atomically, and return it: the page is rendered first,
    then written to a temporary file beside `path` and renamed over it, so no reader sees half a report.
    `claims`: as in `render_html`."""
    return write_text_atomic(path, render_html(results, claims))
