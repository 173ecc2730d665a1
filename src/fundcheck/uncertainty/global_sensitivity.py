"""Which inputs drive the risk: a one-at-a-time tornado, Morris screening and Sobol indices (SALib).

Every method builds all its model runs as one batch of paths and runs the batch through the compiled kernel
once (``runner.run_values``), never one Python call per run.

- **tornado**: each input fixed at its P10 and then its P90 while every other input keeps its sampled values
  (the same `paths` paths, common random numbers); the swing is the output's statistic at P90 minus at P10
  (2 D + 1 batches of `paths` paths). The statistic is the mean build gap (``gap``) or P(shortfall)
  (``p_shortfall:<entity>``).
- **morris**: SALib's Morris trajectories (Morris 1991; Campolongo et al. 2007's mu*) in each input's quantile
  space, quantiles 5% to 95%; `trajectories` x (D + 1) runs.
- **sobol**: SALib's Saltelli sampling and Sobol' first-order (S1) and total (ST) indices with bootstrap 95%
  confidence intervals, N (D + 2) runs in each input's quantile space (0.5% to 99.5%). Sobol' indices assume
  independent inputs: the scenario's correlations are not applied here. N is rounded up to a power of two.

The per-path output is the path's build gap, or 1 when the entity falls short (0 otherwise), so the mean over paths
is P(shortfall). When the output is the same on every model run (say an entity falls short on every path), every
index is zero by construction: the result says so (``meta["constant_output"]`` and ``meta["constant_output_note"]``,
printed by the command and shown on the page) rather than showing zeros alone. ``irr:<entity>`` needs per-path IRRs,
which the engine does not record yet.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fundcheck.engine import compile_plan
from fundcheck.errors import UsageError
from fundcheck.scenario.schema import Scenario
from fundcheck.uncertainty.model import InputSet, compile_inputs
from fundcheck.uncertainty.runner import run_values

__all__ = ["METHODS", "Sensitivity", "morris_indices", "sensitivity", "sobol_indices"]

METHODS = ("tornado", "morris", "sobol")


@dataclass
class Sensitivity:
    """The result of a sensitivity analysis: one row per input (sorted by importance) and how it was run."""

    method: str
    output: str
    rows: list[dict[str, Any]]
    runs: int
    seconds: float
    base: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Machine-readable: method, output, runs, seconds, base, and a row per input."""
        return {"schema": "fundcheck.sensitivity/1", "method": self.method, "output": self.output,
                "runs": self.runs, "seconds": round(self.seconds, 3), "base": self.base, **self.meta,
                "inputs": self.rows}


def _salib() -> tuple[Any, Any, Any, Any]:
    try:
        from SALib.analyze import morris as morris_analyze
        from SALib.analyze import sobol as sobol_analyze
        from SALib.sample import morris as morris_sample
        from SALib.sample import sobol as sobol_sample
    except ImportError:
        raise UsageError("Morris and Sobol need the optional SALib extra: pip install 'fundcheck[sensitivity]'") \
            from None
    return morris_sample, morris_analyze, sobol_sample, sobol_analyze


def sobol_indices(names: list[str], model: Callable[[np.ndarray], np.ndarray], n: int, seed: int = 0,
                  ppf: Callable[[np.ndarray], np.ndarray] | None = None) -> tuple[list[dict[str, Any]], int]:
    """Sobol' S1 and ST with 95% confidence intervals (SALib): `model` maps a batch of input rows (runs x D) to
    outputs; `ppf` maps unit-cube rows to input values (default: the unit cube). Returns (rows, runs)."""
    _, _, sobol_sample, sobol_analyze = _salib()
    n = 1 << max(1, math.ceil(math.log2(max(n, 2))))
    problem = {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}
    unit = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    x = ppf(unit) if ppf is not None else unit
    y = np.asarray(model(x), dtype=np.float64)
    if not np.isfinite(y).all():
        raise UsageError("the output is not a finite number on some runs; expected a finite output")
    if float(np.var(y)) == 0.0:
        rows = [{"name": k, "S1": 0.0, "S1_conf": 0.0, "ST": 0.0, "ST_conf": 0.0} for k in names]
        return rows, len(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        si = sobol_analyze.analyze(problem, y, calc_second_order=False, num_resamples=200, conf_level=0.95,
                                   seed=seed)
    rows = [{"name": k, "S1": float(si["S1"][j]), "S1_conf": float(si["S1_conf"][j]), "ST": float(si["ST"][j]),
             "ST_conf": float(si["ST_conf"][j])} for j, k in enumerate(names)]
    return rows, len(y)


def morris_indices(names: list[str], model: Callable[[np.ndarray], np.ndarray], trajectories: int, seed: int = 0,
                   ppf: Callable[[np.ndarray], np.ndarray] | None = None) -> tuple[list[dict[str, Any]], int]:
    """Morris mu* (with its 95% confidence interval), mu and sigma per input (SALib). Returns (rows, runs)."""
    morris_sample, morris_analyze, _, _ = _salib()
    problem = {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}
    unit = morris_sample.sample(problem, max(int(trajectories), 2), num_levels=4, seed=seed)
    x = ppf(unit) if ppf is not None else unit
    y = np.asarray(model(x), dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        si = morris_analyze.analyze(problem, unit, y, num_levels=4, conf_level=0.95, seed=seed)
    rows = [{"name": k, "mu_star": float(si["mu_star"][j]), "mu_star_conf": float(si["mu_star_conf"][j]),
             "mu": float(si["mu"][j]), "sigma": float(np.nan_to_num(si["sigma"][j]))} for j, k in enumerate(names)]
    return rows, len(y)


def _output(plan: Any, output: str) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    if output == "gap":
        return lambda kept: kept["gap_usd"]
    kind, _, entity = output.partition(":")
    if kind == "p_shortfall":
        if entity not in plan.entities.index:
            raise UsageError(f"--output: no entity named '{entity}'; expected one of: "
                             + ", ".join(plan.entities.index))
        e = plan.entities.index.index(entity)
        return lambda kept: (kept["first_short"][:, e] >= 0).astype(np.float64)
    if kind == "irr":
        raise UsageError("--output irr:<entity> needs per-path IRRs, which the engine does not record yet (the "
                         "finance issue adds them); use gap or p_shortfall:<entity>")
    raise UsageError(f"--output: found '{output}'; expected gap, p_shortfall:<entity> or irr:<entity>")


def sensitivity(scenario: Scenario | str | Path, method: str = "tornado", output: str = "gap", paths: int = 1_000,
                seed: int = 0, workers: int | None = None, alternatives: tuple[str, ...] | list[str] = (),
                progress: Callable[[int], None] | None = None) -> Sensitivity:
    """Run a sensitivity analysis of `output` ('gap', 'p_shortfall:<entity>') by `method`. `paths`: paths per
    tornado batch, base samples N of Sobol (runs N (D + 2)), trajectories x 10 of Morris."""
    import os

    from fundcheck.scenario import load

    if method not in METHODS:
        raise UsageError(f"--method: found '{method}'; expected one of: {', '.join(METHODS)}")
    if isinstance(paths, bool) or not isinstance(paths, int) or not 1 <= paths <= 10_000_000:
        raise UsageError(f"--paths: found {paths!r}; expected a whole number from 1 to 10,000,000")
    if not isinstance(scenario, Scenario):
        scenario = load(scenario, tuple(alternatives))
    started = time.perf_counter()
    plan = compile_plan(scenario)
    inputs = compile_inputs(scenario, plan)
    if not inputs.inputs:
        raise UsageError("the scenario has no uncertain inputs; give some numbers a distribution (dist: ...)")
    pick = _output(plan, output)
    workers = int(workers or os.cpu_count() or 1)

    seen: list[float] = []  # the smallest and largest output over every run

    def model(x: np.ndarray) -> np.ndarray:
        y = np.empty(x.shape[0])
        step = 16_384
        for lo in range(0, x.shape[0], step):
            hi = min(lo + step, x.shape[0])
            y[lo:hi] = pick(run_values(plan, inputs, x[lo:hi], workers))
            if progress is not None:
                progress(hi)
        if len(y):
            seen[:] = [min([float(y.min()), *seen[:1]]), max([float(y.max()), *seen[1:]])]
        return y

    names = inputs.names
    if method == "tornado":
        rows, runs, base = _tornado(inputs, model, paths, seed)
        meta: dict[str, Any] = {"paths_per_run": paths}
    elif method == "morris":
        trajectories = max(paths // 10, 4)
        rows, runs = morris_indices(names, model, trajectories, seed, ppf=_quantile_map(inputs, 0.05, 0.95))
        rows.sort(key=lambda r: -r["mu_star"])
        base, meta = None, {"trajectories": trajectories}
    else:
        rows, runs = sobol_indices(names, model, paths, seed, ppf=_quantile_map(inputs, 0.005, 0.995))
        rows.sort(key=lambda r: -r["ST"])
        base = None
        meta = {"base_samples": runs // (len(names) + 2), "correlations": "not applied (independent inputs)"}
    meta["inputs_count"] = len(names)
    if seen and seen[0] == seen[1]:
        meta["constant_output"] = seen[0]
        meta["constant_output_note"] = (f"the output {output} is the same on every path: {seen[0]:,.6g}; "
                                        "sensitivity is zero by construction")
        for row in rows:
            for key, v in row.items():
                if key not in ("name", "p10_value", "p90_value", "at_p10", "at_p90") and isinstance(v, float):
                    row[key] = 0.0
    return Sensitivity(method, output, rows, runs, time.perf_counter() - started, base, meta)


def _quantile_map(inputs: InputSet, lo: float, hi: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda unit: inputs.values(lo + (hi - lo) * np.asarray(unit))


def _tornado(inputs: InputSet, model: Callable[[np.ndarray], np.ndarray], paths: int, seed: int
             ) -> tuple[list[dict[str, Any]], int, float]:
    base_x = inputs.sample("random", seed, 0, paths)
    d = base_x.shape[1]
    batches = [base_x]
    for j, inp in enumerate(inputs.inputs):
        for q in (0.1, 0.9):
            x = base_x.copy()
            x[:, j] = inp.values(np.array([q]))[0]
            batches.append(x)
    y = model(np.concatenate(batches)).reshape(2 * d + 1, paths).mean(axis=1)
    rows = []
    for j, inp in enumerate(inputs.inputs):
        lo_x, hi_x = inp.values(np.array([0.1, 0.9]))
        rows.append({"name": inp.name, "p10_value": _finite(lo_x), "p90_value": _finite(hi_x),
                     "at_p10": float(y[1 + 2 * j]), "at_p90": float(y[2 + 2 * j]),
                     "swing": float(y[2 + 2 * j] - y[1 + 2 * j])})
    rows.sort(key=lambda r: -abs(r["swing"]))
    return rows, len(y) * paths, float(y[0])


def _finite(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None
