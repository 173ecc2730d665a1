"""The HTML report: one self-contained file (inline SVG charts and CSS, no scripts, opens offline)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from fundcheck.engine.results import Results
from fundcheck.report import charts
from fundcheck.report.files import write_text_atomic
from fundcheck.report.fmt import usd
from fundcheck.scenario.facts import cited_ids, facts
from fundcheck.scenario.inputs import input_rows
from fundcheck.scenario.loader import origin

__all__ = ["CSS", "html_table", "render_html", "write_html"]

CSS = """
body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222}
body{line-height:1.4} h1{margin-bottom:0} .sub{color:#666;margin-top:.2em}
h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:13px;margin:.5em 0}
th,td{border:1px solid #ddd;padding:3px 8px;vertical-align:top}
th{background:#f4f4f4;text-align:left} td.n{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:140px}
.card b{display:block;font-size:20px}.bad{color:#b00}.ok{color:#070} svg.chart{max-width:100%;height:auto}
.src{font-size:12px;color:#555}
"""


def html_table(frame: pd.DataFrame, money: tuple[str, ...] = (), index: bool = False) -> str:
    head = ([frame.index.name or ""] if index else []) + [str(c) for c in frame.columns]
    rows = []
    for idx, row in frame.iterrows():
        cells = [f"<td>{html.escape(str(idx))}</td>"] if index else []
        for col, value in row.items():
            if col in money or (money == ("*",) and isinstance(value, int | float)):
                cells.append(f'<td class="n">{usd(value)}</td>')
            elif isinstance(value, float):
                cells.append(f'<td class="n">{"-" if pd.isna(value) else f"{value:,.0f}"}</td>')
            else:
                cells.append(f"<td>{html.escape('-' if value is None else str(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return ("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>" + "".join(rows)
            + "</table>")


def _inputshtml_table(results: Results) -> str:
    known = facts()
    rows = []
    for r in input_rows(results.scenario):
        value = r["value"]
        unit = r["unit"]
        shown = usd(value) if unit.startswith("USD") and abs(value) >= 1e5 else f"{value:,.6g}"
        cited = [known[i] for i in cited_ids(r["source"]) if i in known]
        detail = "<br>".join(f"<b>{f.id}</b> ({f.confidence}): {html.escape(f.fact[:220])}" for f in cited)
        rows.append(f"<tr><td>{html.escape(r['path'])}</td><td class='n'>{shown}</td><td>{html.escape(unit)}</td>"
                    f"<td>{html.escape(r['source'])}</td><td class='src'>{detail}</td></tr>")
    return ("<table><tr><th>input</th><th>value</th><th>unit</th><th>source</th><th>what the source says</th></tr>"
            + "".join(rows) + "</table>")


def _control_sections(results: Results, ids: charts.ChartIds) -> list[str]:
    """Who controls each governed entity over time (see `fundcheck control` for the full page)."""
    from fundcheck.governance.control import control
    from fundcheck.report.extras import control_chart

    out = []
    for entity in results.scenario.governance:
        ctrl = control(results, entity)
        out.append(f"<h2>Control of {html.escape(entity)}</h2>")
        for matter in ctrl.shapley_shubik:
            out.append(control_chart(ctrl, matter, ids("chart-power", matter)))
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


def render_html(results: Results, claims: Any | None = None) -> str:
    """The whole report as one HTML string; with `claims` (a ``fundcheck.claims.check_ledger`` result for this
    scenario), a claims section with the plain answer on top."""
    s = results.scenario
    ids = charts.ChartIds()  # the fixed chart ids first, so a matter named 'cash' cannot take one of them
    for fixed in ("chart-cumulative", "chart-sources-uses", "chart-cash", "chart-mw"):
        ids(fixed)
    totals = results.totals()
    checks = results.checks
    cards = [("capex planned", usd(totals["capex_usd"])), ("capex funded", usd(totals["funded_usd"])),
             ("funding gap", usd(totals["gap_usd"]))]
    gap_class = "bad" if totals["gap_usd"] > 1 else ""
    card_html = "".join(
        f'<div class="card">{html.escape(k)}<b class="{gap_class if k == "funding gap" else ""}">{v}</b></div>'
        for k, v in cards)
    short_rows = results.shortfalls().fillna("never")
    has_sites = bool(len(results.plan.phases))
    gapq = results.gap_by_quarter()
    money = results.money()
    phases = results.phases()
    alternatives = "".join(f"<li><b>{html.escape(a.name)}</b>: {html.escape(a.description)} "
                           f"<span class='src'>({html.escape(a.source)})</span></li>" for a in s.alternatives)
    verdict = ("ok", "all invariants hold") if checks.ok else ("bad", "INVARIANT VIOLATED")
    check_line = (f'<span class="{verdict[0]}">{verdict[1]}</span>: money conserved to '
                  f"${checks.conservation_max_abs_usd:.4f}, "
                  f"loan corkscrews to ${checks.loan_corkscrew_max_abs_usd:.4f}, "
                  f"sources = uses + gap to ${checks.sources_uses_max_abs_usd:.4f}, "
                  f"lowest modelled cash ${_shown_cash(checks.min_cash_usd, checks.tolerance_usd):,.2f} (all "
                  f"within ${checks.tolerance_usd:,.4f}, 1e-12 of the money moved plus the largest balance)")
    alts = "".join(f" + {a}" for a in results.alternatives)
    alt_line = ("Alternatives applied: " + ", ".join(results.alternatives)) if results.alternatives else \
        "Central values (no alternative applied)"
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>fundcheck: {html.escape(s.program + alts)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(s.program)}</h1>",
        f"<p class='sub'><b>{html.escape(alt_line)}</b></p>",
        f"<p class='sub'>{html.escape(s.description or '')}<br>Scenario {html.escape(origin(s))}; months "
        f"{results.months[0]} to {results.months[-1]}; gap policy <b>{s.gap_policy}</b>.</p>",
        f"<div class='cards'>{card_html}</div><p>{check_line}</p>",
        *(["<h2>Cumulative funding need against funding available</h2>", charts.cumulative_chart(results)]
          if has_sites else []),
        *(["<h2>Sources and uses</h2>", charts.sources_uses_chart(results),
           "<h2>Cash per entity</h2>", charts.cash_chart(results),
           "<h2>When each entity falls short</h2>",
           "<p>A monthly gap includes what is still unpaid from earlier months (deferred capex, overdue debt); "
           "unpaid_total_usd counts each unpaid dollar once.</p>",
           html_table(short_rows, money=("largest_gap_usd", "gap_at_end_usd", "unpaid_total_usd"), index=True),
           "<h2>Funding gap by quarter</h2><p>The largest monthly gap in each quarter.</p>",
           html_table(gapq, money=("*",), index=True) if len(gapq) else "<p>No entity falls short.</p>"]
          if results.funded_entities else ["<p>No modelled entity has anything to pay in this scenario.</p>"]),
        *(["<h2>IT MW online</h2>", charts.mw_chart(results), html_table(results.mw_by_year(), index=True),
           "<h2>Phases: plan against model</h2>", html_table(phases, money=("facility_capex_usd", "it_capex_usd"))]
          if has_sites else ["<p>This scenario builds no sites.</p>"]),
        *_claims_section(claims),
        "<h2>Committed, covered at signing, deployed</h2><p>Covered at signing: the share of a commitment the "
        "provider's liquidity covered when it opened, shared over its open commitments then (blank where the "
        "provider's liquidity is not modelled). Deployed: paid in by the horizon end. Rows are not additive: "
        "money lent to a partner that then funds the JV appears at both layers.</p>",
        html_table(money, money=("committed_usd", "covered_at_signing_usd", "deployed_usd")),
        *_control_sections(results, ids),
        *_waterfall_sections(results),
        "<h2>Alternatives to the central values</h2><ul>" + (alternatives or "<li>none listed</li>") + "</ul>",
        "<h2>Every input and its source</h2>", _inputshtml_table(results),
        "<p class='src'>Facts from the fundcheck fact base (facts.md). Epoch AI data: CC BY 4.0, "
        "Epoch AI, https://epoch.ai/data.</p></body></html>",
    ]
    return "\n".join(parts)


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
