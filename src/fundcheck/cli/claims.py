"""`fundcheck claims ...`: the claims ledger (issue 9)."""

from __future__ import annotations

import typer

from fundcheck.cli.commands import app

claims_app = typer.Typer(no_args_is_help=True, help="Sourced public claims: list, check, worlds, timeline.")
app.add_typer(claims_app, name="claims")
