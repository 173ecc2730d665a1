"""The Monte Carlo and sensitivity pages: self-contained HTML (inline SVG charts, no scripts), like the report.

``montecarlo.html``: key figures, P(shortfall) per entity with its standard error and 95% interval, the build gap
fan over months (P5-P95), the histogram of the build gap, first-shortfall months per entity, MW online by year as a
fan, delay per site, and every uncertain input with its distribution and source. ``sensitivity.html``: a tornado,
Morris mu* bars or Sobol S1/ST bars with their confidence intervals.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fundcheck.report.charts import PALETTE, ChartIds
from fundcheck.report.files import write_text_atomic
from fundcheck.report.fmt import claims_order, usd
from fundcheck.report.html import CSS, HEAD, html_table
from fundcheck.report.mpl import money_axis, plain_text, svg_of, year_axis

__all__ = ["render_montecarlo_page", "render_sensitivity_page", "write_montecarlo_page", "write_sensitivity_page"]


def input_display_name(name: str) -> str:
    """An uncertain input's name for people: 'uncertainty.phase_delay[Lordstown: site]' -> 'delay of
    Lordstown: site (shared prior)', 'uncertainty.defaults.MGX' -> 'default of MGX'; other names unchanged."""
    if m := re.fullmatch(r"uncertainty\.phase_delay\[(.*)\]", name):
        return f"delay of {m[1]} (shared prior)"
    if m := re.fullmatch(r"uncertainty\.defaults\.(.*)", name):
        return f"default of {m[1]}"
    if name == "uncertainty.rate_shift":
        return "interest rate shift"
    return name


@plain_text
def gap_fan_chart(r: Any, chart_id: str) -> str:
    """The build gap by month: P5-P95 and P25-P75 bands and the median, over the fan's paths."""
    fan = r.gap_fan()
    dates = pd.to_datetime(r.months, format="%Y-%m")
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.fill_between(dates, fan["p5"], fan["p95"], color=PALETTE[0], alpha=0.2, label="P5-P95")
    ax.fill_between(dates, fan["p25"], fan["p75"], color=PALETTE[0], alpha=0.4, label="P25-P75")
    ax.plot(dates, fan["p50"], color=PALETTE[0], label="median")
    money_axis(ax)
    year_axis(ax)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(f"Build gap (capex planned to date, not funded) by month, {len(r.fan_gap_usd):,} paths")
    return svg_of(fig, "Build gap fan over months", chart_id)


@plain_text
def gap_histogram(r: Any, chart_id: str) -> str:
    """The build gap at the horizon end over all paths, with P50, P95 and the expected shortfall marked."""
    g = r.gap_usd
    fig, ax = plt.subplots(figsize=(10, 3.2))
    ax.hist(g, bins=60, color=PALETTE[0], alpha=0.8)
    pct = r.gap_percentiles()
    for value, label, color in ((pct["p50"], "P50", "#333"), (pct["p95"], "P95", PALETTE[9]),
                                (r.expected_shortfall(), "ES 95%", PALETTE[1])):
        ax.axvline(value, color=color, linestyle="--", linewidth=1)
        ax.annotate(f" {label} {usd(value)}", (value, ax.get_ylim()[1] * 0.9), fontsize=8, color=color)
    money_axis(ax, "x")
    ax.set_ylabel("paths")
    ax.set_title(f"Build gap by the horizon end, {r.paths:,} paths")
    return svg_of(fig, "Histogram of the build gap", chart_id)


@plain_text
def shortfall_chart(r: Any, chart_id: str) -> str:
    """P(shortfall) per modelled entity with its 95% Wilson interval."""
    names = r.modelled_entities
    ps = [r.p_shortfall(e) for e in names]
    fig, ax = plt.subplots(figsize=(10, 0.6 + 0.4 * len(names)))
    y = np.arange(len(names))
    p = np.array([q["p"] for q in ps])
    err = np.array([[q["p"] - q["lo95"] for q in ps], [q["hi95"] - q["p"] for q in ps]])
    ax.barh(y, p, color=PALETTE[9], alpha=0.7)
    ax.errorbar(p, y, xerr=np.clip(err, 0, None), fmt="none", ecolor="#222", capsize=3)
    ax.set_yticks(y)
    ax.set_yticklabels(names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("P(falls short by the horizon end)")
    ax.set_title("Probability that each entity falls short, with 95% Wilson intervals")
    return svg_of(fig, "Probability of shortfall per entity", chart_id)


@plain_text
def first_shortfall_chart(r: Any, chart_id: str) -> str:
    """When entities first fall short: a histogram by year per entity that ever does."""
    years = sorted({m[:4] for m in r.months})
    fig, ax = plt.subplots(figsize=(10, 3.2))
    shown = [e for e in r.modelled_entities if r.p_shortfall(e)["p"] > 0]
    width = 0.8 / max(len(shown), 1)
    for k, e in enumerate(shown):
        counts = r.first_shortfall_counts(e)
        by_year = [sum(c for m, c in counts.items() if m[:4] == y) / r.paths for y in years]
        ax.bar(np.arange(len(years)) + k * width, by_year, width=width, color=PALETTE[k % len(PALETTE)], label=e)
    ax.set_xticks(np.arange(len(years)) + 0.4 - width / 2)
    ax.set_xticklabels(years)
    ax.set_ylabel("share of paths")
    if shown:  # no entity ever short: nothing to name (matplotlib warns on an empty legend)
        ax.legend(fontsize=7, ncol=4)
    else:
        ax.text(0.5, 0.5, "no entity falls short on any path", transform=ax.transAxes, ha="center")
    ax.set_title("Year in which each entity first falls short (share of all paths)")
    return svg_of(fig, "First shortfall year per entity", chart_id)


@plain_text
def mw_fan_chart(r: Any, chart_id: str) -> str:
    """IT MW online at each year's end: planned, and P5-P95 / P25-P75 / median over paths."""
    data = r.mw_online_by_year()
    years = pd.to_datetime([f"{y}-12" for y in data], format="%Y-%m")
    get = {k: [row[k] for row in data.values()] for k in ("p5", "p25", "p50", "p75", "p95", "planned")}
    fig, ax = plt.subplots(figsize=(10, 3.2))
    ax.fill_between(years, get["p5"], get["p95"], color=PALETTE[2], alpha=0.2, label="P5-P95")
    ax.fill_between(years, get["p25"], get["p75"], color=PALETTE[2], alpha=0.4, label="P25-P75")
    ax.plot(years, get["p50"], color=PALETTE[2], marker="o", label="median")
    ax.plot(years, get["planned"], color="#333", linestyle="--", label="plan")
    year_axis(ax)
    ax.set_ylabel("IT MW online")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("IT MW online at each year's end")
    return svg_of(fig, "IT MW online by year", chart_id)


def _page(title: str, body: list[str]) -> str:
    return "\n".join([f"<!DOCTYPE html><html lang='en'><head>{HEAD}",
                      f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>", *body,
                      "<p class='src'>Facts from the fundcheck fact base (facts.md). Epoch AI data: CC BY 4.0, "
                      "Epoch AI, https://epoch.ai/data.</p></body></html>"])


def render_montecarlo_page(r: Any) -> str:
    """The Monte Carlo page as one HTML string."""
    ids = ChartIds()
    g = r.gap_percentiles()
    es = r.expected_shortfall()
    cards = [("paths", f"{r.paths:,}"), ("seed", str(r.seed)), ("sampler", r.sampler),
             ("build gap P50", usd(g["p50"])), ("build gap P95", usd(g["p95"])), ("expected shortfall 95%", usd(es))]
    card_html = "".join(f'<div class="card">{html.escape(k)}<b>{html.escape(v)}</b></div>' for k, v in cards)
    dates = [r.months[r.plan.axis.index(m)] for m in (r.scenario.uncertainty.dates if r.scenario.uncertainty else [])]
    rows = []
    for e in r.modelled_entities:
        p = r.p_shortfall(e)
        row = {"entity": e, "P(short)": f"{100 * p['p']:.2f}%", "std. error": f"{100 * p['se']:.2f}%",
               "95% interval": f"{100 * p['lo95']:.2f}% to {100 * p['hi95']:.2f}%"}
        for d in dates:
            row[f"by {d}"] = f"{100 * r.p_shortfall(e, d)['p']:.2f}%"
        rows.append(row)
    delays = pd.DataFrame([{"site": s, "last phase": v["phase"], "planned": v["planned"] or "after end",
                            "delay P50 (months)": "not by end" if v["p50_months"] is None else f"{v['p50_months']:.0f}",
                            "delay P90 (months)": "not by end" if v["p90_months"] is None else f"{v['p90_months']:.0f}",
                            "P(not by end)": f"{100 * v['p_not_by_end']:.1f}%"} for s, v in r.delay_by_site().items()])
    inputs = pd.DataFrame([{"input": input_display_name(i["name"]), "distribution": i["dist"],
                            "point": "-" if i["point"] is None else f"{i['point']:,.4g}",
                            "P10": "-" if i["p10"] is None else f"{i['p10']:,.4g}",
                            "P50": "-" if i["p50"] is None else f"{i['p50']:,.4g}",
                            "P90": "-" if i["p90"] is None else f"{i['p90']:,.4g}", "source": _input_source(i)}
                           for i in r.input_table()])
    notes = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in r.inputs.notes)
    alts = f" + {' + '.join(r.plan.alternatives)}" if r.plan.alternatives else ""
    body = [f"<h1>{html.escape(r.plan.program + alts)}: Monte Carlo</h1>",
            f"<p class='sub'>{r.paths:,} paths, seed {r.seed}, {r.sampler} sampler, {len(r.inputs.inputs)} uncertain "
            f"inputs, {r.seconds:.1f} s. Rerun with <code>fundcheck simulate ... --seed {r.seed}</code> for the same "
            f"numbers. Gap policy <b>{r.plan.gap_policy}</b>; an owner short of money pays its phases' capex "
            f"<b>{'pro rata' if r.plan.capex_shortfall == 'pro_rata' else 'in file order'}</b>; order of claims on a "
            f"party's cash <b>{html.escape(claims_order(r.plan.order_of_claims))}</b>.</p>",
            "<h2 id='answer'>The answer, as probabilities</h2>", _verdicts(r),
            f"<div class='cards'>{card_html}</div>", notes,
            "<h2>Probability of falling short</h2><p>Share of paths on which the entity has a monthly gap over $1. "
            "Standard error sqrt(p(1-p)/N); 95% interval by Wilson's score method.</p>",
            html_table(pd.DataFrame(rows)) if rows else "<p>No modelled entity.</p>",
            shortfall_chart(r, ids("chart-p-short")),
            *_covenant_section(r),
            "<h2>Build gap over time</h2>",
            gap_fan_chart(r, ids("chart-gap-fan")) if len(r.fan_gap_usd) else "<p>No fan paths recorded.</p>",
            "<h2>Build gap by the horizon end</h2>",
            f"<p>Mean {usd(g['mean'])}; P5 {usd(g['p5'])}, P25 {usd(g['p25'])}, P50 {usd(g['p50'])}, "
            f"P75 {usd(g['p75'])}, P95 {usd(g['p95'])}. Expected shortfall (mean of the worst 5% of paths): "
            f"{usd(es)}.</p>", gap_histogram(r, ids("chart-gap-hist")),
            "<h2>When entities first fall short</h2>", first_shortfall_chart(r, ids("chart-first-short")),
            "<h2>IT MW online</h2>", mw_fan_chart(r, ids("chart-mw-fan")),
            "<h2>Delay per site</h2><p>Energization of each site's last phase against the plan: schedule delay "
            "and funding delay together.</p>", html_table(delays) if len(delays) else "<p>No sites.</p>",
            "<h2>Uncertain inputs</h2><p>P10, P50 and P90 of the values sampled on these paths.</p>",
            html_table(inputs) if len(inputs) else "<p>The scenario has no distributions: every path is the "
            "same.</p>"]
    return _page(f"fundcheck simulate: {r.plan.program}", body)


def _verdicts(r: Any) -> str:
    """One line per modelled party (probability of falling short, with its error bars) and the program's."""
    from fundcheck.report.verdicts import montecarlo_verdicts

    parties, program = montecarlo_verdicts(r)
    items = []
    for v in parties:
        name, _, rest = v.text.partition(": ")
        items.append(f"<li class='{'short' if v.short else 'paid'}'><b>{html.escape(name)}</b>: "
                     f"{html.escape(rest)}</li>")
    items.append("<li class='program'><b>Program</b><ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in program)
                 + "</ul></li>")
    return "<ul class='verdicts'>" + "".join(items) + "</ul>"


def _input_source(row: dict[str, Any]) -> str:
    """An input's source; a choice's each option with its weight, value and own source."""
    if not row.get("options"):
        return row["source"]
    return " | ".join(f"{o['option']} ({o['weight']:.0%}, {o['value']:,.4g}): {o['source']}" for o in row["options"])


def _covenant_section(r: Any) -> list[str]:
    """P(a lock-up) and P(an event of default) for each loan with DSCR covenants (none: nothing)."""
    rows = []
    for name in r.covenanted_loans:
        c = r.p_covenant(name)
        rows.append({"loan": name, **{f"P({label})": f"{100 * c[key]['p']:.2f}% ± {100 * c[key]['se']:.2f}%"
                                      for key, label in (("lockup", "lock-up"), ("default", "default"))}})
    if not rows:
        return []
    return ["<h2>Covenant breaches</h2><p>Share of paths on which a December DSCR test broke the loan's lock-up "
            "or default threshold by the horizon end, ± the Monte Carlo standard error.</p>",
            html_table(pd.DataFrame(rows))]


def write_montecarlo_page(r: Any, path: Path) -> Path:
    """Write montecarlo.html atomically and return its path."""
    return write_text_atomic(path, render_montecarlo_page(r))


@plain_text
def sensitivity_chart(s: Any, chart_id: str) -> str:
    """A tornado (swings from P10 to P90), Morris mu* bars, or Sobol S1 and ST bars with confidence intervals."""
    rows = s.rows[:20]
    names = [input_display_name(r["name"]) for r in rows]
    y = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(10, 0.8 + 0.35 * len(rows)))
    money = s.output == "gap"
    if s.method == "tornado":
        base = s.base or 0.0
        lo = np.array([r["at_p10"] for r in rows]) - base
        hi = np.array([r["at_p90"] for r in rows]) - base
        ax.barh(y, lo, left=base, color=PALETTE[0], label="input at its P10")
        ax.barh(y, hi, left=base, color=PALETTE[1], label="input at its P90")
        ax.axvline(base, color="#333", linewidth=1)
        title = f"Tornado: {s.output} with one input at its P10 or P90, the others sampled"
    elif s.method == "morris":
        ax.barh(y, [r["mu_star"] for r in rows], xerr=[r["mu_star_conf"] for r in rows], color=PALETTE[0],
                capsize=3, label="mu*")
        title = f"Morris screening of {s.output}: mu* with 95% confidence"
    else:
        ax.barh(y - 0.2, [r["S1"] for r in rows], height=0.4, xerr=[r["S1_conf"] for r in rows], color=PALETTE[0],
                capsize=2, label="first order S1")
        ax.barh(y + 0.2, [r["ST"] for r in rows], height=0.4, xerr=[r["ST_conf"] for r in rows], color=PALETTE[1],
                capsize=2, label="total ST")
        title = f"Sobol indices of {s.output} with 95% confidence"
        money = False
    if money:
        money_axis(ax, "x")
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontsize=7)
    ax.invert_yaxis()
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(title)
    return svg_of(fig, title, chart_id)


def render_sensitivity_page(s: Any, program: str) -> str:
    """The sensitivity page as one HTML string."""
    ids = ChartIds()
    table = pd.DataFrame(s.rows)
    if "name" in table:
        table["name"] = [input_display_name(n) for n in table["name"]]
    money_output = s.output == "gap"  # the output's unit: USD for the gap, a probability otherwise

    def shown(col: str, v: Any) -> str:
        if v is None or (isinstance(v, float) and pd.isna(v)):
            return "-"
        if not isinstance(v, float | int):
            return str(v)
        if col in ("at_p10", "at_p90", "swing", "mu_star", "mu_star_conf") and money_output:
            return usd(float(v))
        if col in ("at_p10", "at_p90", "swing") and not money_output:
            return f"{100 * v:,.1f}%"
        if col in ("p10_value", "p90_value") and abs(v) >= 1e5:
            return usd(float(v))  # an input in USD
        return f"{v:,.4g}"

    for col in table.columns:
        if table[col].dtype.kind in "fi":
            table[col] = [shown(col, v) for v in table[col]]
    notes = {"tornado": "Each input fixed at its P10 and at its P90 while the others keep their sampled values "
                        "(common random numbers); the swing is the difference.",
             "morris": "Morris elementary effects in quantile space (5% to 95%), mu* with a bootstrap 95% interval.",
             "sobol": "Sobol first-order (S1) and total (ST) indices by Saltelli sampling (SALib), bootstrap 95% "
                      "intervals; inputs treated as independent (the scenario's correlations are not applied)."}
    constant = s.meta.get("constant_output_note")
    body = [f"<h1>{html.escape(program)}: {html.escape(s.method)} sensitivity of {html.escape(s.output)}</h1>",
            f"<p class='sub'>{s.runs:,} model runs in one batch, {s.seconds:.1f} s. {notes[s.method]}</p>",
            f"<p class='note'><b>{html.escape(constant)}</b></p>" if constant else "",
            sensitivity_chart(s, ids("chart-sensitivity")), html_table(table)]
    return _page(f"fundcheck sensitivity: {program}", body)


def write_sensitivity_page(s: Any, program: str, path: Path) -> Path:
    """Write sensitivity.html atomically and return its path."""
    return write_text_atomic(path, render_sensitivity_page(s, program))
