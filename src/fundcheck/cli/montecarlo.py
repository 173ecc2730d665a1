"""`fundcheck simulate` and `fundcheck sensitivity`: Monte Carlo runs and global sensitivity (issue 8).

Both print their key figures, write a self-contained HTML page (montecarlo.html, sensitivity.html) into --out
(default out/<scenario>[+alternatives]/) and, with --json, machine-readable results. Mistakes the user can fix
(an unknown scenario, --paths 0, an unreachable Dask scheduler) are one line and exit status 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fundcheck.cli.commands import app
from fundcheck.cli.common import (
    fail,
    load_for_outputs,
    out,
    say,
    write_json,
    writing,
)
from fundcheck.errors import FundcheckError, UsageError

__all__ = ["sensitivity", "simulate"]


def _progress(total: int, what: str):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=out,
                   transient=True, disable=not out.is_terminal)
    task = bar.add_task(what, total=total)
    return bar, lambda done: bar.update(task, completed=min(done, total))


def _pct(p: float) -> str:
    return f"{100 * p:.1f}%"


@app.command()
def simulate(
    scenario: Annotated[str, typer.Argument(help="a built-in name or a YAML path")],
    paths: Annotated[int, typer.Option("--paths", help="Monte Carlo paths")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="random seed: the same seed gives the same numbers")] = 0,
    sampler: Annotated[str, typer.Option("--sampler", help="random, lhs or sobol")] = "random",
    workers: Annotated[int | None, typer.Option("--workers", help="threads [default: one per core]")] = None,
    dask: Annotated[str | None, typer.Option("--dask", help="'local' (a LocalCluster) or a scheduler address "
                                             "such as tcp://host:8786")] = None,
    chunk: Annotated[int | None, typer.Option("--chunk", help="paths per chunk (memory) [default: 16384]")] = None,
    fan_paths: Annotated[int, typer.Option("--fan-paths", help="paths recorded month by month for the gap fan")]
    = 1_000,
    json_file: Annotated[Path | None, typer.Option("--json", help="write machine-readable results here")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="folder for montecarlo.html "
                                                 "[default: out/<name>/]")] = None,
    alt: Annotated[list[str] | None, typer.Option("--alt", help="apply a named alternative (repeatable)")] = None,
) -> None:
    """Monte Carlo over the scenario's distributions: P(shortfall) per entity with error bars, gap percentiles,
    fans; writes montecarlo.html (and --json)."""
    try:
        from fundcheck.report.fmt import claims_order, usd
        from fundcheck.report.montecarlo_page import write_montecarlo_page
        from fundcheck.uncertainty.runner import simulate as run_mc

        if paths < 1:
            raise UsageError(f"--paths: found {paths}; expected a whole number of paths of 1 or more")
        sc, folder = load_for_outputs(scenario, alt, out_dir, json_file)
        bar, update = _progress(paths, "simulating")
        with bar:
            r = run_mc(sc, paths=paths, seed=seed, sampler=sampler, chunk=chunk, workers=workers, dask=dask,
                       fan_paths=fan_paths, progress=update)
        alt_text = f" +{'+'.join(alt)}" if alt else ""
        say((f"{sc.program}{alt_text}", "bold"), f": {r.paths:,} paths, seed {r.seed}, {r.sampler} sampler, "
            f"{len(r.inputs.inputs)} uncertain inputs, {r.seconds:.1f} s ({r.backend}); gap policy "
            f"{r.plan.gap_policy}, capex shortfall {r.plan.capex_shortfall.replace('_', ' ')}, "
            f"order of claims {claims_order(r.plan.order_of_claims)}")
        for note in r.inputs.notes:
            say(("note: ", "bold"), note)
        from fundcheck.report.verdicts import montecarlo_verdicts

        parties, program = montecarlo_verdicts(r)
        for v in parties:
            name, _, rest = v.text.partition(": ")
            say((name, "bold red" if v.short else "bold green"), ": " + rest)
        say(("Program", "bold"), ": " + "; ".join(program))
        g = r.gap_percentiles()
        say("build gap  ", f"mean {usd(g['mean'])}   P5 {usd(g['p5'])}   P50 {usd(g['p50'])}   "
            f"P95 {usd(g['p95'])}   expected shortfall (worst 5%) {usd(r.expected_shortfall())}")
        dates = [r.months[r.plan.axis.index(m)]
                 for m in (sc.uncertainty.dates if sc.uncertainty else [])]
        say(("P(shortfall) by the horizon end, ± Monte Carlo standard error [95% Wilson interval]", "bold"))
        width = max((len(e) for e in r.modelled_entities), default=6)
        for e in r.modelled_entities:
            p = r.p_shortfall(e)
            by = "   ".join(f"by {d}: {_pct(r.p_shortfall(e, d)['p'])}" for d in dates)
            say(f"  {e:<{width}}  {_pct(p['p']):>6} ± {_pct(p['se']):<5} [{_pct(p['lo95'])}, {_pct(p['hi95'])}]"
                + (f"   {by}" if by else ""))
        for name in r.covenanted_loans:
            c = r.p_covenant(name)
            say(f"  covenants of {name}: P(lock-up) {_pct(c['lockup']['p'])} ± {_pct(c['lockup']['se'])}   "
                f"P(default) {_pct(c['default']['p'])} ± {_pct(c['default']['se'])}")
        with writing(folder / "montecarlo.html", "--out"):
            page = write_montecarlo_page(r, folder / "montecarlo.html")
        say("\nReport: ", (str(page), "bold"))
        if json_file is not None:
            write_json(json_file, r.to_json())
            say("JSON:   ", (str(json_file), "bold"))
    except FundcheckError as exc:
        fail(exc)


@app.command()
def sensitivity(
    scenario: Annotated[str, typer.Argument(help="a built-in name or a YAML path")],
    method: Annotated[str, typer.Option("--method", help="tornado, morris or sobol")] = "tornado",
    output: Annotated[str, typer.Option("--output", help="gap, p_shortfall:<entity> or irr:<entity>")] = "gap",
    paths: Annotated[int, typer.Option("--paths", help="tornado: paths per run; sobol: base samples N (runs "
                                       "N(D+2)); morris: 10 x trajectories")] = 1_000,
    seed: Annotated[int, typer.Option("--seed", help="random seed")] = 0,
    workers: Annotated[int | None, typer.Option("--workers", help="threads [default: one per core]")] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="write machine-readable results here")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="folder for sensitivity.html "
                                                 "[default: out/<name>/]")] = None,
    alt: Annotated[list[str] | None, typer.Option("--alt", help="apply a named alternative (repeatable)")] = None,
) -> None:
    """Which inputs drive the risk: tornado (P10/P90 swings), Morris screening or Sobol indices (SALib);
    writes sensitivity.html (and --json)."""
    try:
        from fundcheck.report.montecarlo_page import write_sensitivity_page
        from fundcheck.uncertainty.global_sensitivity import sensitivity as run_sa

        if paths < 1:
            raise UsageError(f"--paths: found {paths}; expected a whole number of 1 or more")
        sc, folder = load_for_outputs(scenario, alt, out_dir, json_file)
        with out.status(f"{method} sensitivity of {output}…"):
            s = run_sa(sc, method=method, output=output, paths=paths, seed=seed, workers=workers)
        say((f"{sc.program}", "bold"), f": {method} sensitivity of {output}, {s.meta['inputs_count']} inputs, "
            f"{s.runs:,} model runs, {s.seconds:.1f} s")
        if "constant_output_note" in s.meta:
            say((s.meta["constant_output_note"][0].upper() + s.meta["constant_output_note"][1:], "bold"))
        money = output == "gap"

        def shown(v: float) -> str:
            return f"${v / 1e9:,.1f}B" if money else f"{v:.3f}"

        width = max(len(r["name"]) for r in s.rows)
        for row in s.rows[:15]:
            if method == "tornado":
                say(f"  {row['name']:<{width}}  at P10 {shown(row['at_p10'])}  at P90 {shown(row['at_p90'])}  "
                    f"swing {shown(row['swing'])}")
            elif method == "morris":
                say(f"  {row['name']:<{width}}  mu* {shown(row['mu_star'])} ± {shown(row['mu_star_conf'])}  "
                    f"sigma {shown(row['sigma'])}")
            else:
                say(f"  {row['name']:<{width}}  S1 {row['S1']:.3f} ± {row['S1_conf']:.3f}  "
                    f"ST {row['ST']:.3f} ± {row['ST_conf']:.3f}")
        with writing(folder / "sensitivity.html", "--out"):
            page = write_sensitivity_page(s, sc.program, folder / "sensitivity.html")
        say("\nReport: ", (str(page), "bold"))
        if json_file is not None:
            write_json(json_file, s.to_json())
            say("JSON:   ", (str(json_file), "bold"))
    except FundcheckError as exc:
        fail(exc)
