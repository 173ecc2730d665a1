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
from fundcheck.scenario import builtin_names, builtin_path, load
from fundcheck.scenario.schema import Scenario
from fundcheck.scenario.starter import starter_yaml

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
        sc = load(scenario, tuple(alt or ()))
        with out.status("simulating…"):
            results = run_scenario(sc)
        print_summary(results, out)
        folder = out_dir or Path("out") / _slug(Path(scenario).stem if Path(scenario).exists() else scenario)
        with out.status("writing the report…"):
            report = write_html(results, folder / "report.html")
        out.print(f"\nReport: [bold]{report}[/]")
        if json_file is not None:
            json_file.parent.mkdir(parents=True, exist_ok=True)
            json_file.write_text(json.dumps(results.to_json(), indent=1), encoding="utf-8")
            out.print(f"JSON:   [bold]{json_file}[/]")
    except FundcheckError as exc:
        _fail(exc)
    except OSError as exc:
        _fail(UsageError(f"cannot write output: {exc}"))


@app.command()
def validate(file: Annotated[str, typer.Argument(help="a scenario YAML file or built-in name")]) -> None:
    """Check a scenario file and report every problem with its line and field."""
    try:
        sc = load(file)
    except FundcheckError as exc:
        _fail(exc)
    out.print(f"[green]ok[/]: {file} is a valid scenario ({len(sc.entities)} entities, {len(sc.sites)} sites, "
              f"{len(sc.instruments)} instruments, {len(sc.contracts)} contracts)")


@app.command()
def scenarios() -> None:
    """List the built-in scenarios."""
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
    path.write_text(starter_yaml(name, str(path)), encoding="utf-8")
    out.print(f"wrote {path}; next: fundcheck run {path}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor autocompletion and checks)."""
    sys.stdout.write(json.dumps(Scenario.model_json_schema(by_alias=True), indent=2) + "\n")


def main() -> None:
    """Entry point of the `fundcheck` command."""
    app()
