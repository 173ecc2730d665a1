"""The `fundcheck` command: run, validate, scenarios, new, schema, waterfall, power, control.

Errors a user can fix print one clear message per problem (file:line: field: ...) and exit with status 2;
that includes outputs that cannot be written. Anything else is a bug: `main` prints a short report and exits
with status 1 (FUNDCHECK_DEBUG=1 shows the traceback).

Every output file is written whole or not at all (`report.files`), and every message that holds text from the
user or a scenario is printed as plain text: never read as rich markup, never turned into an emoji.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from fundcheck.cli.common import (
    check_file,
    check_folder,
    fail,
    load_for_outputs,
    out,
    out_folder,
    say,
    slug,
    write_json,
    writing,
)
from fundcheck.errors import FundcheckError, UsageError

__all__ = ["app", "main"]

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="fundcheck: do they actually have the money? Cited funding models of AI megaprojects.")


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="a built-in name (see `fundcheck scenarios`) or a YAML path")],
    out_dir: Annotated[Path | None, typer.Option("--out", help="folder for report.html [default: out/<name>/]")] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="also write machine-readable results here")] = None,
    alt: Annotated[list[str] | None, typer.Option("--alt", help="apply a named alternative (repeatable)")] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="also write an Excel workbook here")] = None,
    csv_dir: Annotated[Path | None, typer.Option("--csv", help="also write tidy CSV files into this folder")] = None,
    compare: Annotated[bool, typer.Option("--compare", help="run the central case and every named alternative "
                                          "alone; print one table and write compare.html")] = False,
) -> None:
    """Run a scenario: print a summary, write report.html (and --json results, --xlsx, --csv exports)."""
    if compare:
        _compare(scenario, out_dir, json_file, alt, xlsx, csv_dir)
        return
    from fundcheck.engine import run_scenario  # heavy imports only where they are needed
    from fundcheck.report.html import write_html
    from fundcheck.report.summary import print_summary

    try:
        sc, folder = load_for_outputs(scenario, alt, out_dir, json_file)
        if xlsx is not None:
            check_file(xlsx, "--xlsx")
        if csv_dir is not None:
            check_folder(csv_dir, "--csv")
        with out.status("simulating…"):
            results = run_scenario(sc)
        print_summary(results, out)
        claims = _claims_for(scenario, tuple(alt or ()))
        with out.status("writing the report…"), writing(folder / "report.html", "--out"):
            report = write_html(results, folder / "report.html", claims)
        say("\nReport: ", (str(report), "bold"))
        if json_file is not None:
            from fundcheck.finance.performance import finance_json
            from fundcheck.finance.statements import statements

            write_json(json_file, {**results.to_json(), **finance_json(statements(results))})
            say("JSON:   ", (str(json_file), "bold"))
        if xlsx is not None:
            with out.status("writing the workbook…"), writing(xlsx, "--xlsx"):
                results.to_excel(xlsx)
            say("Excel:  ", (str(xlsx), "bold"))
        if csv_dir is not None:
            with out.status("writing CSV files…"), writing(csv_dir, "--csv"):
                results.to_csv(csv_dir)
            say("CSV:    ", (str(csv_dir), "bold"))
    except FundcheckError as exc:
        fail(exc)


def _compare(scenario: str, out_dir: Path | None, json_file: Path | None, alt: list[str] | None,
             xlsx: Path | None, csv_dir: Path | None) -> None:
    """`run --compare`: every case alone, one table printed, compare.html written."""
    from rich import box
    from rich.console import Console
    from rich.measure import Measurement
    from rich.table import Table

    try:
        if alt:
            raise UsageError("--compare runs every alternative alone; give --compare or --alt, not both")
        given = [o for o, v in (("--json", json_file), ("--xlsx", xlsx), ("--csv", csv_dir)) if v is not None]
        if given:
            raise UsageError(f"--compare writes compare.html only; run without --compare for {', '.join(given)}")
        from fundcheck.report.compare import compare, write_compare_html
        from fundcheck.scenario import load

        load(scenario)  # a broken scenario fails here, before any output is checked
        folder = out_folder(scenario, out_dir)
        check_folder(folder, "--out")
        with out.status("running every case…"):
            comparison = compare(scenario)
        rows = comparison.rows()
        table = Table(title=Text(f"{comparison.program}: the central case and each alternative alone (entity "
                                 "columns: first month short)"), title_justify="left", box=box.SIMPLE_HEAD,
                      pad_edge=False)
        for head in rows[0]:
            table.add_column(Text(head.removesuffix(" short from")), justify="left" if head == "case" else "right",
                             no_wrap=True)
        for row in rows:
            table.add_row(*(Text(v) for v in row.values()))
        # at its natural width (the terminal wraps what it cannot show): never a cropped figure
        natural = Measurement.get(out, out.options.update_width(10_000), table).maximum
        wide = Console(width=max(out.width, natural), emoji=False, file=out.file, no_color=out.no_color,
                       force_terminal=out.is_terminal)
        wide.print(table, crop=False)
        for case in comparison.cases[1:]:
            say(f"  {case.name}: {case.description} [{case.source}]")
        if comparison.never_short:
            say(f"  never short in any case: {', '.join(comparison.never_short)}")
        from fundcheck.report.compare import flip_lines

        say(("\nWhat flips each conclusion (alternatives that change nothing left out):", "bold"))
        for line in flip_lines(comparison):
            say(f"  {line}")
        with out.status("writing compare.html…"), writing(folder / "compare.html", "--out"):
            page = write_compare_html(comparison, folder / "compare.html")
        say("\nComparison: ", (str(page), "bold"))
    except FundcheckError as exc:
        fail(exc)


def _claims_for(scenario: str, alternatives: tuple[str, ...]) -> object | None:
    """The built-in claims ledger of a built-in scenario, checked, with its short answer printed (None when
    there is none, or when alternatives are applied: the ledger's worlds condition the central case)."""
    from fundcheck.claims.ledger import builtin_ledgers, read_ledger

    if scenario not in builtin_ledgers():
        return None
    if alternatives:
        say(f"\nClaims: the {scenario} ledger conditions the central case; see `fundcheck run {scenario}` or "
            f"`fundcheck claims check {scenario}`.")
        return None
    from fundcheck.claims.answer import answer_lines
    from fundcheck.claims.check import check_ledger

    with out.status("checking the claims ledger…"):
        check = check_ledger(read_ledger(scenario))
    lines = answer_lines(check)
    say("\n", (lines[0], "bold"), f" (the claims ledger; `fundcheck claims check {scenario}` for all of it)")
    for line in lines[1:3]:
        say("  " + line)
    return check


@app.command()
def validate(file: Annotated[str, typer.Argument(help="a scenario YAML file or built-in name")]) -> None:
    """Check a scenario file and report every problem with its line and field."""
    try:
        from fundcheck.scenario import load

        sc = load(file)
    except FundcheckError as exc:
        fail(exc)
    say(("ok", "green"), f": {file} is a valid scenario ({len(sc.entities)} entities, {len(sc.sites)} sites, "
         f"{len(sc.instruments)} instruments, {len(sc.contracts)} contracts)")


@app.command()
def scenarios() -> None:
    """List the built-in scenarios."""
    from fundcheck.scenario import builtin_names, builtin_path, load

    for name in builtin_names():
        sc = load(builtin_path(name))
        line = f"{name:10} {sc.program}: {(sc.description or '').split('. ')[0]}"
        out.print(Text(line), highlight=False, no_wrap=True, overflow="ellipsis", crop=True)


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="the program's name")],
    file: Annotated[Path | None, typer.Option("--file", help="where to write it [default: <name>.yaml]")] = None,
) -> None:
    """Write a commented starter scenario that validates and runs (never over an existing file)."""
    from fundcheck.report.files import write_text_new
    from fundcheck.scenario import load_text
    from fundcheck.scenario.starter import starter_yaml

    path = file or Path(f"{slug(name)}.yaml")
    option = "--file" if file is not None else "new"
    exists = f"{path} already exists; choose another name or --file, nothing was overwritten"
    try:
        if not name.strip():
            raise UsageError("NAME: found an empty name; expected the program's name, e.g. 'My Campus'")
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            raise UsageError(f"NAME: found {name!r}, which is not valid text (UTF-8)") from None
        if os.path.lexists(path):  # a dangling link too: never write through it
            raise UsageError(exists)
        text = starter_yaml(name, str(path))
        try:
            load_text(text, str(path))
        except FundcheckError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UsageError(f"NAME: cannot make a starter named {name!r}: {first}") from None
        check_file(path, option)
        with writing(path, option):
            try:
                write_text_new(path, text)
            except FileExistsError:  # another process got there between the check and the write
                raise UsageError(exists) from None
    except FundcheckError as exc:
        fail(exc)
    say(f"wrote {path}; next: fundcheck run {shlex.quote(str(path))}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor autocompletion and checks)."""
    from fundcheck.scenario.schema import Scenario

    sys.stdout.write(json.dumps(Scenario.model_json_schema(by_alias=True), indent=2) + "\n")


class _PageNames:
    """File names of the pages one command writes (`waterfall-<entity>.html`): safe, and never the same twice,
    so two entities whose names give the same slug do not overwrite each other's page."""

    def __init__(self, kind: str):
        self.kind = kind
        self.used: set[str] = set()

    def __call__(self, name: str) -> str:
        base = f"{self.kind}-{slug(name, 'entity')}"
        page, n = f"{base}.html", 1
        while page.lower() in self.used:
            n += 1
            page = f"{base}-{n}.html"
        self.used.add(page.lower())
        return page


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
        sc, folder = load_for_outputs(scenario, alt, out_dir, json_file)
        results = run_scenario(sc)
        report: dict[str, object] = {"program": sc.program, "waterfalls": {}}
        pages = _PageNames("waterfall")
        for name in _entity(waterfall_entities(results), entity, "waterfall"):
            single = distribute(results, name, None if exit_value is None else amount(exit_value, "--exit-value"))
            table = single.table()
            t = Table(title=Text(f"{name}: exit of {usd(float(single.exit_values_usd[0]))} in {single.exit_month}"),
                      title_justify="left")
            for col in ("party", "put in", "receives", "share", "capped, to beneficiary", "MOIC", "IRR"):
                t.add_column(col, justify="left" if col == "party" else "right")
            for party, row in table.iterrows():
                t.add_row(Text(str(party)), usd(row.contributed_usd), usd(row.received_usd), f"{row.share_of_exit:.1%}",
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
            target = folder / pages(name)
            with writing(target, "--out"):
                page = write_waterfall_html(target, f"{sc.program}: {name}", table,
                                            float(single.exit_values_usd[0]), chart, points)
            say("Report: ", (str(page), "bold"))
            report["waterfalls"][name] = entry  # type: ignore[index]
        if json_file is not None:
            write_json(json_file, report)
    except FundcheckError as exc:
        fail(exc)


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
    from rich.table import Table

    from fundcheck.governance import power as power_of
    from fundcheck.governance.power import veto_players, weighted_from_text

    try:
        if samples < 1:
            raise UsageError(f"--samples: found {samples}; expected 1 or more")
        if json_file is not None:
            check_file(json_file, "--json")
        game, exact = weighted_from_text(weights, quota)
        labels = [n.strip() for n in names.split(",")] if names else None
        p = power_of(game, labels, method=method, samples=samples)
    except FundcheckError as exc:
        fail(exc)
    t = Table(title=Text(f"Power indices ({p.method}; quota {quota} of {sum(exact)})"), title_justify="left")
    for col in ("party", "weight", "swings", "Banzhaf", "Shapley–Shubik"):
        t.add_column(col, justify="left" if col == "party" else "right")
    for i, name in enumerate(p.names):
        swings = str(p.banzhaf_swings[i]) if p.banzhaf_swings is not None else "-"
        t.add_row(Text(str(name)), f"{float(exact[i]):g}", swings, f"{float(p.banzhaf[i]):.4f}",
                  f"{float(p.shapley_shubik[i]):.4f}")
    out.print(t)
    vetoes = [p.names[i] for i in veto_players(game)]
    say(f"dictator: {p.dictator or 'none'}; can block alone: {', '.join(vetoes) or 'none'}; "
         f"powerless: {', '.join(p.dummies) or 'none'}")
    if json_file is not None:
        data = p.as_dict() | {"weights": [float(w) for w in exact], "quota": quota, "vetoes": vetoes}
        try:
            write_json(json_file, data)
        except FundcheckError as exc:
            fail(exc)


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
        sc, folder = load_for_outputs(scenario, alt, out_dir, json_file)
        results = run_scenario(sc)
        report: dict[str, object] = {"program": sc.program, "entities": {}}
        pages = _PageNames("control")
        for name in _entity(list(sc.governance), entity, "governance"):
            ctrl = control_of(results, name)
            for matter in ctrl.shapley_shubik:
                t = Table(title=Text(f"{name}, {matter} matters: stake / Shapley–Shubik power when the votes "
                                     "change"), title_justify="left")
                t.add_column("from")
                for party in ctrl.parties:
                    t.add_column(Text(str(party)), justify="right")
                t.add_column("can block alone")
                for (month, p), blockers in zip(ctrl.snapshots[matter].items(), ctrl.vetoes[matter].values(),
                                                strict=True):
                    stakes = ctrl.stakes.loc[month]
                    t.add_row(month, *[f"{stakes[q]:.1%} / {float(x):.1%}" for q, x in
                                       zip(ctrl.parties, p.shapley_shubik, strict=True)],
                              Text(", ".join(blockers) or "-"))
                out.print(t)
                dictator = ctrl.dictators(matter).dropna()
                if len(dictator):
                    say(f"{dictator.iloc[0]} decides {matter} matters alone from {dictator.index[0]}")
            target = folder / pages(name)
            with writing(target, "--out"):
                page = write_control_html(target, sc.program, ctrl)
            say("Report: ", (str(page), "bold"))
            report["entities"][name] = {  # type: ignore[index]
                "months": results.months, "stakes": {p: ctrl.stakes[p].round(6).tolist() for p in ctrl.parties},
                "matters": {m: {
                    "shapley_shubik": {p: ctrl.shapley_shubik[m][p].round(6).tolist() for p in ctrl.parties},
                    "banzhaf": {p: ctrl.banzhaf[m][p].round(6).tolist() for p in ctrl.parties},
                    "can_block_alone": ctrl.vetoes[m]} for m in ctrl.shapley_shubik},
            }
        if json_file is not None:
            write_json(json_file, report)
    except FundcheckError as exc:
        fail(exc)


def _internal_error(exc: BaseException) -> None:
    """The short report of a bug: what went wrong, how to report it, how to see more."""
    message = " ".join(str(exc).split())
    if len(message) > 300:
        message = message[:299] + "…"
    command = shlex.join(["fundcheck", *sys.argv[1:]])
    if len(command) > 500:
        command = command[:499] + "…"
    lines = [f"fundcheck: internal error: {type(exc).__name__}" + (f": {message}" if message else ""),
             "This is a bug in fundcheck, not a mistake in your input. Please report it to the fundcheck "
             "maintainers with this command line (and the scenario file, if you can share it):",
             f"  {command}"]
    if os.environ.get("FUNDCHECK_DEBUG") != "1":
        lines.append("Set FUNDCHECK_DEBUG=1 to see the full traceback.")
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()


def main() -> None:
    """Entry point of the `fundcheck` command: exit 0 on success, 2 for a mistake the user can fix, 1 for a bug
    (a short report on stderr, the traceback only with FUNDCHECK_DEBUG=1), 130 when interrupted."""
    try:
        app()
    except SystemExit:  # typer and click end every normal run this way, with its status
        raise
    except KeyboardInterrupt:
        sys.stderr.write("fundcheck: interrupted\n")
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("FUNDCHECK_DEBUG") == "1":
            import traceback

            traceback.print_exception(exc)
        with contextlib.suppress(Exception):  # if stderr itself is broken there is nothing more to say
            _internal_error(exc)
        sys.exit(1)
