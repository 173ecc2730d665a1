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

__all__ = ["claims_section_html", "render_claims_page", "timeline_chart", "write_claims_page"]

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


def _matrix(check: Any) -> str:
    esc = html.escape
    claims = check.ledger.by_id()
    head = "".join(f"<th title='{esc(w.name)}'>{esc(w.id)}</th>" for w in check.worlds)
    rows = []
    for cid in [*check.system.ids, *check.verdicts]:
        c = claims[cid]
        cells = []
        for w in check.worlds:
            model = w.evaluations.get(cid, "")
            if cid in check.verdicts:
                cells.append(f"<td class='{'ok' if model == 'held' else 'bad'}'>{esc(model or '-')}</td>")
                continue
            kept = cid in w.keeps
            text = "kept" if kept else "dropped"
            if model:
                text += "; model " + ("agrees" if model == "held" else f"says {w.model_values.get(cid, '')}")
            cells.append(f"<td class='{'ok' if kept and model != 'fails' else 'bad'}'>{esc(text)}</td>")
        rows.append(f"<tr><td>{esc(cid)}</td><td>{esc(c.who[:40])}</td><td>{esc(str(c.said))}</td>"
                    f"<td>{esc(c.bound_text())}</td>{''.join(cells)}</tr>")
    return f"<table><tr><th>claim</th><th>who</th><th>said</th><th>bound</th>{head}</tr>{''.join(rows)}</table>"


def claims_section_html(check: Any, heading_level: int = 2) -> str:
    """The claims section for embedding in a report: the plain answer on top, the claim-by-world matrix and
    the timeline chart. `check` is ``fundcheck.claims.check_ledger(...)``'s result (run with the engine);
    headings are <h{heading_level}> and <h{heading_level + 1}>. Returns an HTML fragment (no <html>/<body>),
    styled by ``fundcheck.report.html.CSS``."""
    from fundcheck.claims.answer import answer_lines

    esc = html.escape
    h, h2 = f"h{heading_level}", f"h{heading_level + 1}"
    answer = answer_lines(check)
    split = answer.index("As of each date said:") if "As of each date said:" in answer else len(answer)
    return "\n".join([
        f"<section class='claims'><{h}>{esc(answer[0])}</{h}>",
        "".join(f"<p>{esc(line)}</p>" for line in answer[1:split]),
        f"<{h2}>As of each date said</{h2}><ul>"
        + "".join(f"<li>{esc(line.strip())}</li>" for line in answer[split + 1:]) + "</ul>",
        f"<{h2}>Claims by world</{h2}><p>Statements: kept or dropped in each world, and, for claims about what "
        "the engine computes, whether that world's run agrees. Forecasts: held or fails in that world's run.</p>",
        _matrix(check),
        f"<{h2}>Timeline</{h2}>", timeline_chart(check), "</section>"])


def render_claims_page(check: Any) -> str:
    from fundcheck.claims.answer import report_lines, world_line

    esc = html.escape
    worlds = "".join(f"<li>{esc(world_line(w))}</li>" for w in check.worlds)
    conflicts = "".join(f"<li><b>{esc(', '.join(c))}</b>: {esc(e)}</li>"
                        for c, e in zip(check.conflicts, check.explanations, strict=True))
    rest = "\n".join(report_lines(check))
    return "\n".join([
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>fundcheck claims: {esc(check.ledger.name)}</title><style>{CSS}</style></head><body>",
        f"<h1>Claims ledger: {esc(check.ledger.name)}</h1>",
        f"<p class='sub'>Scenario {esc(check.ledger.scenario)}; {len(check.ledger.claims)} claims.</p>",
        claims_section_html(check),
        "<h2>Conflicts, with the arithmetic</h2><ol>" + (conflicts or "<li>none</li>") + "</ol>",
        "<h2>What each world implies for the build</h2><ul>" + worlds + "</ul>",
        f"<h2>Full text</h2><pre style='white-space:pre-wrap;font-size:12px'>{esc(rest)}</pre>",
        "<p class='src'>Facts from the fundcheck fact base (facts.md); quotes from the seed article.</p>",
        "</body></html>"])


def write_claims_page(check: Any, path: Path) -> Path:
    return write_text_atomic(path, render_claims_page(check))
