"""The `fundcheck` command: run, validate, scenarios, new, schema.

Errors a user can fix print one clear message per problem (file:line: field: ...) and exit with status 2.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from fundcheck.errors import FundcheckError, UsageError

__all__ = ["app", "main"]

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="fundcheck: do they actually have the money? Cited funding models of AI megaprojects.")
out = Console()
err = Console(stderr=True)


def _fail(exc: FundcheckError) -> None:
    for line in str(exc).splitlines():
        err.print(f"[bold red]error:[/] {line}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(2)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-").lower() or "scenario"


def _out_folder(scenario: str, out_dir: Path | None, alternatives: tuple[str, ...] | list[str] = ()) -> Path:
    """Where a command writes its pages: --out, or out/<scenario name>[+<alternative>...]/ (runs with
    different alternatives never overwrite each other)."""
    if out_dir is not None:
        return out_dir
    name = _slug(Path(scenario).stem if Path(scenario).exists() else scenario)
    return Path("out") / "+".join([name, *(_slug(a) for a in alternatives)])


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="a built-in name (see `fundcheck scenarios`) or a YAML path")],
    out_dir: Annotated[Path | None, typer.Option("--out", help="folder for report.html [default: out/<name>/]")] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="also write machine-readable results here")] = None,
    alt: Annotated[list[str] | None, typer.Option("--alt", help="apply a named alternative (repeatable)")] = None,
) -> None:
    """Run a scenario: print a summary, write report.html (and --json results)."""
    from fundcheck.engine import run_scenario  # heavy imports only where they are needed
    from fundcheck.report.html import write_html
    from fundcheck.report.summary import print_summary

    try:
        from fundcheck.scenario import load

        sc = load(scenario, tuple(alt or ()))
        with out.status("simulating…"):
            results = run_scenario(sc)
        print_summary(results, out)
        folder = _out_folder(scenario, out_dir, tuple(alt or ()))
        with out.status("writing the report…"):
            report = write_html(results, folder / "report.html")
        out.print(f"\nReport: [bold]{report}[/]")
        if json_file is not None:
            json_file.parent.mkdir(parents=True, exist_ok=True)
            json_file.write_text(json.dumps(results.to_json(), indent=1, allow_nan=False), encoding="utf-8")
            out.print(f"JSON:   [bold]{json_file}[/]")
    except FundcheckError as exc:
        _fail(exc)
    except OSError as exc:
        _fail(UsageError(f"cannot write output: {exc}"))


@app.command()
def validate(file: Annotated[str, typer.Argument(help="a scenario YAML file or built-in name")]) -> None:
    """Check a scenario file and report every problem with its line and field."""
    try:
        from fundcheck.scenario import load

        sc = load(file)
    except FundcheckError as exc:
        _fail(exc)
    out.print(f"[green]ok[/]: {file} is a valid scenario ({len(sc.entities)} entities, {len(sc.sites)} sites, "
              f"{len(sc.instruments)} instruments, {len(sc.contracts)} contracts)")


@app.command()
def scenarios() -> None:
    """List the built-in scenarios."""
    from fundcheck.scenario import builtin_names, builtin_path, load

    for name in builtin_names():
        sc = load(builtin_path(name))
        line = f"{name:10} {sc.program}: {(sc.description or '').split('. ')[0]}"
        out.print(line, highlight=False, no_wrap=True, overflow="ellipsis", crop=True)


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="the program's name")],
    file: Annotated[Path | None, typer.Option("--file", help="where to write it [default: <name>.yaml]")] = None,
) -> None:
    """Write a commented starter scenario that validates and runs."""
    path = file or Path(f"{_slug(name)}.yaml")
    if path.exists():
        _fail(UsageError(f"{path} already exists; choose another name or --file, nothing was overwritten"))
    from fundcheck.scenario.starter import starter_yaml

    path.write_text(starter_yaml(name, str(path)), encoding="utf-8")
    out.print(f"wrote {path}; next: fundcheck run {path}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor autocompletion and checks)."""
    from fundcheck.scenario.schema import Scenario

    sys.stdout.write(json.dumps(Scenario.model_json_schema(by_alias=True), indent=2) + "\n")


def _entity(choices: list[str], wanted: str | None, what: str) -> list[str]:
    if not choices:
        raise UsageError(f"this scenario has no {what}")
    if wanted is None:
        return choices
    if wanted not in choices:
        raise UsageError(f"'{wanted}' has no {what}; entities with one: {', '.join(choices)}")
    return [wanted]


@app.command()
def waterfall(
    scenario: Annotated[str, typer.Argument(help="a built-in name or a YAML path")],
    entity: Annotated[str | None, typer.Option(help="the distributing entity [default: each one]")] = None,
    exit_value: Annotated[str | None, typer.Option("--exit-value", help="amount distributed, e.g. 1T or 500B")] = None,
    sweep: Annotated[str | None, typer.Option(help="LOW:HIGH exit values to chart, e.g. 0:2T")] = None,
    alt: Annotated[list[str] | None, typer.Option("--alt", help="apply a named alternative (repeatable)")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="folder for the page [default: out/<name>/]")] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="also write the results here")] = None,
) -> None:
    """Who receives what from a distribution: one exit value, or a sweep charted with its breakpoints."""
    import numpy as np
    from rich.table import Table

    from fundcheck.engine import run_scenario
    from fundcheck.finance.distribute import breakpoints, distribute, waterfall_entities
    from fundcheck.report.extras import payout_chart, write_waterfall_html
    from fundcheck.report.fmt import usd
    from fundcheck.scenario.quantities import parse_amount

    def amount(text: str, option: str) -> float:
        try:
            value = parse_amount(text)
        except ValueError:
            raise UsageError(f"{option}: cannot read {text!r} as an amount; expected e.g. 500B, 1T, 2.5e11") from None
        if value < 0:
            raise UsageError(f"{option}: found {text}; expected an amount of zero or more")
        return value

    try:
        if exit_value is not None and sweep is not None:
            raise UsageError("give --exit-value or --sweep, not both")
        low = high = None
        if sweep is not None:
            if ":" not in sweep:
                raise UsageError(f"--sweep: found {sweep!r}; expected LOW:HIGH, e.g. 0:2T")
            low, high = (amount(x, "--sweep") for x in sweep.split(":", 1))
            if high <= low:
                raise UsageError(f"--sweep: {sweep} ends below where it starts; expected LOW below HIGH")
        from fundcheck.scenario import load

        sc = load(scenario, tuple(alt or ()))
        results = run_scenario(sc)
        report: dict[str, object] = {"program": sc.program, "waterfalls": {}}
        folder = _out_folder(scenario, out_dir)
        for name in _entity(waterfall_entities(results), entity, "waterfall"):
            single = distribute(results, name, None if exit_value is None else amount(exit_value, "--exit-value"))
            table = single.table()
            t = Table(title=f"{name}: exit of {usd(float(single.exit_values_usd[0]))} in {single.exit_month}",
                      title_justify="left")
            for col in ("party", "put in", "receives", "share", "capped, to beneficiary", "MOIC", "IRR"):
                t.add_column(col, justify="left" if col == "party" else "right")
            for party, row in table.iterrows():
                t.add_row(str(party), usd(row.contributed_usd), usd(row.received_usd), f"{row.share_of_exit:.1%}",
                          usd(row.capped_excess_usd) if row.capped_excess_usd else "-",
                          f"{row.moic:,.1f}x" if np.isfinite(row.moic) else "-",
                          f"{row.irr:.1%}" if np.isfinite(row.irr) else "-")
            out.print(t)
            entry: dict[str, object] = {
                "exit_usd": float(single.exit_values_usd[0]), "exit_month": single.exit_month,
                "parties": {str(p): {k: (None if not np.isfinite(v) else round(float(v), 6)) for k, v in row.items()}
                            for p, row in table.iterrows()},
            }
            chart, points = None, []
            if low is not None and high is not None:
                sweep_run = distribute(results, name, np.linspace(low, high, 401), single.exit_month)
                points = breakpoints(results, name, sweep_run)
                chart = payout_chart(sweep_run, points, f"{name}: payout against exit value")
                out.print("breakpoints: " + (", ".join(usd(p) for p in points) or "none"), highlight=False)
                payouts = sweep_run.payouts()
                entry["sweep"] = {"exit_usd": [float(x) for x in payouts.index],
                                  "payouts_usd": {p: [round(float(v), 2) for v in payouts[p]] for p in payouts},
                                  "breakpoints_usd": [round(p, 2) for p in points]}
            page = write_waterfall_html(folder / f"waterfall-{_slug(name)}.html", f"{sc.program}: {name}", table,
                                        float(single.exit_values_usd[0]), chart, points)
            out.print(f"Report: [bold]{page}[/]")
            report["waterfalls"][name] = entry  # type: ignore[index]
        if json_file is not None:
            json_file.parent.mkdir(parents=True, exist_ok=True)
            json_file.write_text(json.dumps(report, indent=1), encoding="utf-8")
    except FundcheckError as exc:
        _fail(exc)


@app.command()
def power(
    quota: Annotated[str, typer.Option(help="votes needed: a number, or a share such as 'majority', '2/3', '75%'")],
    weights: Annotated[str, typer.Option(help="comma-separated weights, e.g. 4,4,4,2,2,1 or 0.4,0.4,0.1,0.1")],
    names: Annotated[str | None, typer.Option(help="comma-separated names, in the order of the weights")] = None,
    method: Annotated[str, typer.Option(help="auto, dp, enumerate or montecarlo")] = "auto",
    samples: Annotated[int, typer.Option(help="montecarlo: coalitions and orderings to sample")] = 200_000,
    json_file: Annotated[Path | None, typer.Option("--json", help="also write the indices here")] = None,
) -> None:
    """Banzhaf and Shapley–Shubik power of a weighted voting game, exact where it can be."""
    import math
    from fractions import Fraction

    from rich.table import Table

    from fundcheck.governance import Weighted
    from fundcheck.governance import power as power_of
    from fundcheck.governance.power import quota_from_share, veto_players
    from fundcheck.scenario.quantities import parse_quota

    try:
        try:
            exact = [Fraction(w.strip()) for w in weights.split(",")]
        except ValueError:
            raise UsageError(f"--weights: cannot read {weights!r}; expected numbers separated by commas") from None
        if any(w < 0 for w in exact):
            raise UsageError(f"--weights: found {min(exact)}; expected weights of zero or more")
        scale = math.lcm(*(w.denominator for w in exact))
        ints = [int(w * scale) for w in exact]
        try:
            absolute = Fraction(quota) if quota.replace(".", "", 1).isdigit() and Fraction(quota) > 1 else None
            parsed = None if absolute is not None else parse_quota(quota)
        except ValueError:
            raise UsageError(f"--quota: cannot read {quota!r}; expected a number of votes, 'majority', "
                             "'unanimous', '2/3' or '75%'") from None
        if absolute is not None:
            q = math.ceil(absolute * scale)
        elif isinstance(parsed, int):
            q = parsed * scale
        else:
            share, strict = parsed  # type: ignore[misc]
            q = quota_from_share(ints, share, strict)
        labels = [n.strip() for n in names.split(",")] if names else None
        game = Weighted(tuple(ints), q)
        p = power_of(game, labels, method=method, samples=samples)
    except FundcheckError as exc:
        _fail(exc)
    t = Table(title=f"Power indices ({p.method}; quota {quota} of {sum(exact)})", title_justify="left")
    for col in ("party", "weight", "swings", "Banzhaf", "Shapley–Shubik"):
        t.add_column(col, justify="left" if col == "party" else "right")
    for i, name in enumerate(p.names):
        swings = str(p.banzhaf_swings[i]) if p.banzhaf_swings is not None else "-"
        t.add_row(name, f"{float(exact[i]):g}", swings, f"{float(p.banzhaf[i]):.4f}",
                  f"{float(p.shapley_shubik[i]):.4f}")
    out.print(t)
    vetoes = [p.names[i] for i in veto_players(game)]
    out.print(f"dictator: {p.dictator or 'none'}; can block alone: {', '.join(vetoes) or 'none'}; "
              f"powerless: {', '.join(p.dummies) or 'none'}", highlight=False)
    if json_file is not None:
        data = p.as_dict() | {"weights": [float(w) for w in exact], "quota": quota, "vetoes": vetoes}
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps(data, indent=1), encoding="utf-8")


@app.command()
def control(
    scenario: Annotated[str, typer.Argument(help="a built-in name or a YAML path")],
    entity: Annotated[str | None, typer.Option(help="the governed entity [default: each one]")] = None,
    alt: Annotated[list[str] | None, typer.Option("--alt", help="apply a named alternative (repeatable)")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="folder for the page [default: out/<name>/]")] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="also write stakes and power here")] = None,
) -> None:
    """Who controls each governed entity, month by month, as stakes move with capital calls."""
    from rich.table import Table

    from fundcheck.engine import run_scenario
    from fundcheck.governance.control import control as control_of
    from fundcheck.report.extras import write_control_html

    try:
        from fundcheck.scenario import load

        sc = load(scenario, tuple(alt or ()))
        results = run_scenario(sc)
        folder = _out_folder(scenario, out_dir)
        report: dict[str, object] = {"program": sc.program, "entities": {}}
        for name in _entity(list(sc.governance), entity, "governance"):
            ctrl = control_of(results, name)
            for matter in ctrl.shapley_shubik:
                t = Table(title=f"{name}, {matter} matters: stake / Shapley–Shubik power when the votes change",
                          title_justify="left")
                t.add_column("from")
                for party in ctrl.parties:
                    t.add_column(party, justify="right")
                t.add_column("can block alone")
                for (month, p), blockers in zip(ctrl.snapshots[matter].items(), ctrl.vetoes[matter].values(),
                                                strict=True):
                    stakes = ctrl.stakes.loc[month]
                    t.add_row(month, *[f"{stakes[q]:.1%} / {float(x):.1%}" for q, x in
                                       zip(ctrl.parties, p.shapley_shubik, strict=True)], ", ".join(blockers) or "-")
                out.print(t)
                dictator = ctrl.dictators(matter).dropna()
                if len(dictator):
                    out.print(f"{dictator.iloc[0]} decides {matter} matters alone from {dictator.index[0]}",
                              highlight=False)
            page = write_control_html(folder / f"control-{_slug(name)}.html", sc.program, ctrl)
            out.print(f"Report: [bold]{page}[/]")
            report["entities"][name] = {  # type: ignore[index]
                "months": results.months, "stakes": {p: ctrl.stakes[p].round(6).tolist() for p in ctrl.parties},
                "matters": {m: {
                    "shapley_shubik": {p: ctrl.shapley_shubik[m][p].round(6).tolist() for p in ctrl.parties},
                    "banzhaf": {p: ctrl.banzhaf[m][p].round(6).tolist() for p in ctrl.parties},
                    "can_block_alone": ctrl.vetoes[m]} for m in ctrl.shapley_shubik},
            }
        if json_file is not None:
            json_file.parent.mkdir(parents=True, exist_ok=True)
            json_file.write_text(json.dumps(report, indent=1), encoding="utf-8")
    except FundcheckError as exc:
        _fail(exc)


def main() -> None:
    """Entry point of the `fundcheck` command."""
    app()
