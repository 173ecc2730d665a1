"""Engine layer: compile a scenario to a monthly plan and simulate it over paths into results."""

from fundcheck.engine.checks import Checks, run_checks
from fundcheck.engine.plan import Plan, compile_plan
from fundcheck.engine.results import Results
from fundcheck.engine.simulate import KIND, Outcome, simulate
from fundcheck.scenario.schema import Scenario

__all__ = ["KIND", "Checks", "Outcome", "Plan", "Results", "compile_plan", "run_checks", "run_scenario",
           "simulate"]


def run_scenario(scenario: Scenario, n_paths: int = 1) -> Results:
    """Compile and simulate a scenario; a deterministic run is one path."""
    plan = compile_plan(scenario)
    return Results(scenario=scenario, plan=plan, outcome=simulate(plan, n_paths))
