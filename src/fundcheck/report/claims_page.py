"""The claims page: one self-contained HTML file with the plain answer, the claim-by-world matrix and the
timeline chart (inline SVG)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd

from fundcheck.report.charts import PALETTE, plain_text, svg_of
from fundcheck.report.files import write_text_atomic
from fundcheck.report.html import CSS

__all__ = ["render_claims_page", "timeline_chart", "write_claims_page"]

_KIND_COLOR = {"event": PALETTE[0], "statement": PALETTE[1], "forecast": PALETTE[2], "context": PALETTE[8]}


@plain_text
def timeline_chart(check: Any) -> str:
    from fundcheck.claims.export import timeline_rows

    rows = timeline_rows(check.ledger)
    fig, ax = plt.subplots(figsize=(11, 0.16 * len(rows) + 1.2))
    contested = {i for c in check.conflicts for i in c}
    for k, r in enumerate(rows):
        y = len(rows) - k
        when = pd.Timestamp(r["first"])
        color = PALETTE[9] if r["id"] in contested else _KIND_COLOR.get(r["kind"], PALETTE[8])
        ax.plot([when], [y], "o", color=color, ms=4)
        ax.text(when, y, f"  {r['id']}: {r['text'][:70]}", fontsize=6.5, va="center")
    ax.set_yticks([])
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.set_xlim(pd.Timestamp("2014-06-01"), pd.Timestamp("2029-12-31"))
    ax.set_title("Timeline: events (blue), statements (orange), forecasts (green), context (grey); "
                 "claims in a conflict in red")
    return svg_of(fig, "Timeline of the ledger", "chart-claims-timeline")


def render_claims_page(check: Any) -> str:
    from fundcheck.claims.answer import answer_lines, report_lines, world_line

    esc = html.escape
    answer = answer_lines(check)
    claims = check.ledger.by_id()
    head = "".join(f"<th title='{esc(w.name)}'>{esc(w.id)}</th>" for w in check.worlds)
    rows = []
    for cid in [*check.system.ids, *check.verdicts]:
        c = claims[cid]
        cells = []
        for w in check.worlds:
            if cid in check.verdicts:
                v = w.evaluations.get(cid, "")
                cells.append(f"<td class='{'ok' if v == 'held' else 'bad'}'>{esc(v or '-')}</td>")
            else:
                kept = cid in w.keeps
                cells.append(f"<td class='{'ok' if kept else 'bad'}'>{'kept' if kept else 'dropped'}</td>")
        rows.append(f"<tr><td>{esc(cid)}</td><td>{esc(c.who[:40])}</td><td>{esc(str(c.said))}</td>"
                    f"<td>{esc(c.bound_text())}</td>{''.join(cells)}</tr>")
    matrix = (f"<table><tr><th>claim</th><th>who</th><th>said</th><th>bound</th>{head}</tr>{''.join(rows)}</table>")
    worlds = "".join(f"<li>{esc(world_line(w))}</li>" for w in check.worlds)
    conflicts = "".join(f"<li><b>{esc(', '.join(c))}</b>: {esc(e)}</li>"
                        for c, e in zip(check.conflicts, check.explanations, strict=True))
    rest = "\n".join(report_lines(check))
    return "\n".join([
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>fundcheck claims: {esc(check.ledger.name)}</title><style>{CSS}</style></head><body>",
        f"<h1>Claims ledger: {esc(check.ledger.name)}</h1>",
        f"<p class='sub'>Scenario {esc(check.ledger.scenario)}; {len(check.ledger.claims)} claims.</p>",
        f"<h2>{esc(answer[0])}</h2>", "".join(f"<p>{esc(line)}</p>" for line in answer[1:3]),
        "<ul>" + "".join(f"<li>{esc(line.strip())}</li>" for line in answer[4:]) + "</ul>",
        "<h2>Conflicts, with the arithmetic</h2><ol>" + (conflicts or "<li>none</li>") + "</ol>",
        "<h2>Claims by world</h2><p>Statements: kept or dropped in each world. Forecasts and claims about "
        "outcomes: held or fails in that world's run.</p>", matrix,
        "<h2>What each world implies for the build</h2><ul>" + worlds + "</ul>",
        "<h2>Timeline</h2>", timeline_chart(check),
        f"<h2>Full text</h2><pre style='white-space:pre-wrap;font-size:12px'>{esc(rest)}</pre>",
        "<p class='src'>Facts from the fundcheck fact base (facts.md); quotes from the seed article.</p>",
        "</body></html>"])


def write_claims_page(check: Any, path: Path) -> Path:
    return write_text_atomic(path, render_claims_page(check))
