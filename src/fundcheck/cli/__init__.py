"""The `fundcheck` command. `commands` holds the scenario commands (run, validate, scenarios, new, schema,
waterfall, power, control) and `main`; `claims` the claims ledger; `montecarlo` simulate and sensitivity;
`common` what every command shares."""

from fundcheck.cli import claims, montecarlo  # noqa: F401 - they register their commands on `app`
from fundcheck.cli.commands import app, main

__all__ = ["app", "main"]
