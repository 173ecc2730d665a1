"""The claims page: one self-contained HTML file with the plain answer, the claim-by-world matrix and the
timeline chart (inline SVG)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np

from fundcheck.report.charts import PALETTE
from fundcheck.report.files import write_text_atomic
from fundcheck.report.html import CSS, HEAD, scroll

__all__ = ["claims_section_html", "render_claims_page", "timeline_chart", "write_claims_page"]

_KIND_COLOR = {"event": PALETTE[0], "statement": PALETTE[1], "forecast": PALETTE[2], "context": PALETTE[8]}


def timeline_chart(check: Any) -> str:
    """Every claim of the ledger on a time axis, one row each, coloured by kind (red: caught in a conflict),
    with its id and the start of its text. Drawn by `report.svg` (no matplotlib: the report stays fast)."""
    import datetime as dt

    from fundcheck.claims.export import timeline_rows
    from fundcheck.report import svg

    rows = timeline_rows(check.ledger)
    contested = {i for c in check.conflicts for i in c}

    def year(day: str) -> float:
        d = dt.date.fromisoformat(day)
        return d.year + (d.timetuple().tm_yday - 1) / 365.25

    years = [year(r["first"]) for r in rows]
    lo = float(np.floor(min(years, default=2015.0)))
    hi = float(np.ceil(max(years, default=2030.0))) + 1.0
    plot = svg.Plot(960, 40 + 15 * len(rows), x=(lo, hi), y=(len(rows) - 0.5, -0.8), margin=(10, 4, 10, 24),
                    font=11)
    ticks = list(range(int(lo), int(hi) + 1))
    plot.x_axis(ticks, [str(t) for t in ticks], grid=True)
    for k, (r, x) in enumerate(zip(rows, years, strict=True)):
        color = PALETTE[9] if r["id"] in contested else _KIND_COLOR.get(r["kind"], PALETTE[8])
        plot.marker(x, k, "o", color, 7)
        text = f"{r['id']}: {r['text']}"
        text = text if len(text) <= 90 else text[:89] + "…"
        right = x < (lo + hi) / 2  # text on the side with room
        plot.text(x, k, text, dx=7 if right else -7, anchor="start" if right else "end", size=9.5, color="#333")
    legend = svg.legend_html([("event", _KIND_COLOR["event"], "o"), ("statement", _KIND_COLOR["statement"], "o"),
                              ("forecast", _KIND_COLOR["forecast"], "o"), ("context", _KIND_COLOR["context"], "o"),
                              ("caught in a conflict", PALETTE[9], "o")])
    return ("<div class='scroll'>" + plot.svg("chart-claims-timeline", "Timeline of the ledger", "chart wide")
            + "</div>" + legend)


def _pct(d: dict[str, float] | None) -> str:
    return "-" if not d else f"{100 * d['p']:.1f}% ±{100 * d['se']:.1f}"


def _mc_rows(check: Any) -> list[str]:
    """Rows under the matrix when the check carries Monte Carlo results: accepted paths / ESS, P(build gap),
    mean gap and P(shortfall) per entity, one cell per world."""
    from fundcheck.claims.montecarlo import usd

    esc = html.escape
    worlds = check.worlds
    if not any(getattr(w, "mc", None) is not None for w in worlds):
        return []

    def row(label: str, cells: list[str]) -> str:
        return (f"<tr class='mc'><td colspan='4'><b>{esc(label)}</b></td>"
                + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")

    def cell(w: Any, get: Any) -> str:
        mc = getattr(w, "mc", None)
        if mc is None:
            return "-"
        if not mc.accepted:
            return "no path"
        return get(mc)

    out = [row("Monte Carlo: paths accepted / ESS",
               [f"{w.mc.accepted:,} / {w.mc.ess:,.0f}" if getattr(w, "mc", None) is not None else "-"
                for w in worlds]),
           row("P(build gap > 0)", [cell(w, lambda mc: _pct(mc.p_gap)) for w in worlds]),
           row("mean build gap", [cell(w, lambda mc: usd(mc.mean_gap_usd or 0.0)) for w in worlds])]
    entities: list[str] = []
    for w in worlds:
        if getattr(w, "mc", None) is not None:
            entities += [e for e in w.mc.p_shortfall if e not in entities]
    for e in entities:
        out.append(row(f"P(shortfall) {e}", [cell(w, lambda mc, e=e: _pct(mc.p_shortfall.get(e)))
                                             for w in worlds]))
    return out


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
                mc = getattr(w, "mc", None)
                prob = mc.forecasts.get(cid) if mc is not None else None
                text = (model or "-") + (f"; P {_pct(prob)}" if prob else "")
                if mc is not None and not mc.accepted:
                    text += "; P: no path"
                cells.append(f"<td class='{'ok' if model == 'held' else 'bad'}'>{esc(text)}</td>")
                continue
            kept = cid in w.keeps
            text = "kept" if kept else "dropped"
            if model:
                text += "; model " + ("agrees" if model == "held" else f"says {w.model_values.get(cid, '')}")
            cells.append(f"<td class='{'ok' if kept and model != 'fails' else 'bad'}'>{esc(text)}</td>")
        rows.append(f"<tr><td>{esc(cid)}</td><td>{esc(c.who[:40])}</td><td>{esc(str(c.said))}</td>"
                    f"<td>{esc(c.bound_text())}</td>{''.join(cells)}</tr>")
    rows += _mc_rows(check)
    return scroll(f"<table><tr><th>claim</th><th>who</th><th>said</th><th>bound</th>{head}</tr>{''.join(rows)}</table>")


def mc_note(check: Any) -> str:
    mc = next(w.mc for w in check.worlds if getattr(w, "mc", None) is not None)
    return html.escape(f", and P, the share of that world's Monte Carlo paths on which it holds (± one standard "
                       f"error). Monte Carlo: {mc.paths:,} paths per world, seed {mc.seed}, {mc.sampler} sampler, "
                       "the same draws in every world; an input a kept claim fixes is set on every path, one it "
                       "bounds is conditioned by rejection (ESS = accepted paths). The rows under the claims give "
                       "P(build gap > 0), the mean gap and P(shortfall) per entity in each world.")


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
        "the engine computes, whether that world's run agrees. Forecasts: held or fails in that world's run"
        + (mc_note(check) if any(getattr(w, "mc", None) is not None for w in check.worlds) else ".") + "</p>",
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
        f"<!DOCTYPE html><html lang='en'><head>{HEAD}",
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
