"""fundcheck: do they actually have the money? Cited, monthly funding models of AI megaprojects.

Use from Python::

    import fundcheck
    scenario = fundcheck.load("stargate")          # a built-in name or a YAML path
    results = fundcheck.run(scenario)              # or fundcheck.run("stargate")
    results.gap()                                  # pandas DataFrame: months x entities, USD
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from fundcheck.errors import FundcheckError, Problem, ScenarioError, UsageError

if TYPE_CHECKING:
    from fundcheck.engine import Results
    from fundcheck.scenario import Scenario, builtin_names, load

__all__ = ["FundcheckError", "Problem", "Results", "Scenario", "ScenarioError", "UsageError", "builtin_names",
           "load", "run", "simulate"]

__version__ = "0.2.0"


def run(scenario: Scenario | str | Path, alternatives: list[str] | tuple[str, ...] = (), paths: int = 1,
        record: str = "full") -> Results:
    """Run a scenario (an object, a built-in name or a YAML path) and return its results.

    `alternatives` are applied in order when loading by name or path; `paths` is the number of paths (a
    deterministic scenario gives the same numbers on each); `record` is "full" (every month kept) or
    "summary" (per-path results only, memory independent of months)."""
    from fundcheck.engine import run_scenario  # numba and pandas load here, not on `import fundcheck`
    from fundcheck.scenario import Scenario, load

    if not isinstance(scenario, Scenario):
        scenario = load(scenario, alternatives)
    elif alternatives:
        raise UsageError("alternatives apply when loading; pass a name or path, or load(..., alternatives)")
    return run_scenario(scenario, paths=paths, record=record)


def simulate(scenario: Scenario | str | Path, paths: int = 10_000, seed: int = 0, **options: Any) -> Any:
    """Monte Carlo over the scenario's distributions (``fundcheck.uncertainty.runner.simulate``): `paths` paths
    from `seed`; options: sampler ('random', 'lhs', 'sobol'), chunk, workers, dask ('local' or an address),
    alternatives, fan_paths. Returns MonteCarloResults (p_shortfall, gap_percentiles, expected_shortfall, ...)."""
    from fundcheck.uncertainty.runner import simulate as run_mc  # scipy, numba and pandas load here

    return run_mc(scenario, paths=paths, seed=seed, **options)


def __getattr__(name: str) -> Any:
    # heavy parts load on first use, so that `fundcheck --help` stays fast
    if name == "Results":
        from fundcheck.engine import Results

        return Results
    if name in ("Scenario", "builtin_names", "load", "scenario"):
        import fundcheck.scenario

        return fundcheck.scenario if name == "scenario" else getattr(fundcheck.scenario, name)
    raise AttributeError(f"module 'fundcheck' has no attribute {name!r}")
