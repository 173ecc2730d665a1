"""Uncertainty layer: distributions in scenarios, correlated sampling, the Monte Carlo runner and sensitivity.

``simulate(scenario, paths, seed, ...)`` returns ``MonteCarloResults``; ``sensitivity(scenario, method,
output, ...)`` returns ``Sensitivity``. See docs/uncertainty.md.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MonteCarloResults", "Sensitivity", "sensitivity", "simulate"]


def __getattr__(name: str) -> Any:
    if name in ("simulate", "MonteCarloResults"):
        from fundcheck.uncertainty import results, runner

        return runner.simulate if name == "simulate" else results.MonteCarloResults
    if name in ("sensitivity", "Sensitivity"):
        from fundcheck.uncertainty import global_sensitivity as module

        return getattr(module, "sensitivity" if name == "sensitivity" else "Sensitivity")
    raise AttributeError(f"module 'fundcheck.uncertainty' has no attribute {name!r}")
