"""Engine layer: compile a scenario to a Plan of tables and simulate it over paths into named results."""

from fundcheck.engine.checks import Checks, run_checks
from fundcheck.engine.plan import Plan, compile_plan
from fundcheck.engine.results import QUANTITIES, Results
from fundcheck.engine.simulate import RECORD_MODES, Outcome, simulate
from fundcheck.engine.tables import KIND_NAMES, Kind
from fundcheck.scenario.schema import Scenario

__all__ = ["KIND_NAMES", "QUANTITIES", "RECORD_MODES", "Checks", "Kind", "Outcome", "Plan", "Results",
           "compile_plan", "run_checks", "run_scenario", "simulate"]


def run_scenario(scenario: Scenario, paths: int = 1, record: str = "full", chunk: int | None = None) -> Results:
    """Compile and simulate a scenario; a deterministic run is one path."""
    plan = compile_plan(scenario)
    return Results(scenario=scenario, plan=plan, outcome=simulate(plan, paths, record=record, chunk=chunk))
