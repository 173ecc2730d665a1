"""fundcheck: do they actually have the money? Cited, monthly funding models of AI megaprojects.

Use from Python::

    import fundcheck
    scenario = fundcheck.load("stargate")          # a built-in name or a YAML path
    results = fundcheck.run(scenario)              # or fundcheck.run("stargate")
    results.gap()                                  # pandas DataFrame: months x entities, USD
"""

from __future__ import annotations

from pathlib import Path

from fundcheck.engine import Results, run_scenario
from fundcheck.errors import FundcheckError, Problem, ScenarioError, UsageError
from fundcheck.scenario import Scenario, builtin_names, load

__all__ = ["FundcheckError", "Problem", "Results", "Scenario", "ScenarioError", "UsageError", "builtin_names",
           "load", "run"]

__version__ = "0.1.0"


def run(scenario: Scenario | str | Path, alternatives: list[str] | tuple[str, ...] = ()) -> Results:
    """Run a scenario (an object, a built-in name or a YAML path) deterministically and return its results."""
    if not isinstance(scenario, Scenario):
        scenario = load(scenario, alternatives)
    elif alternatives:
        raise UsageError("alternatives apply when loading; pass a name or path, or load(..., alternatives)")
    return run_scenario(scenario)
