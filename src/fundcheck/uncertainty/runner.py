"""The Monte Carlo runner: sample inputs chunk by chunk, run them through the compiled kernel, keep per-path results.

``simulate(scenario, paths, seed, ...)`` runs `paths` paths in chunks of `chunk` paths with the engine's
``summary`` recording, so memory is bounded by the chunk size plus a few numbers per path (first shortfall month
per entity, energization month per phase, the build gap, each entity's unpaid total, and the sampled inputs).
Chunks run one after another on local threads (the engine shares a chunk's paths among `workers` threads), or as
tasks on a Dask cluster (``dask="local"`` starts a ``LocalCluster``; an address uses an existing scheduler). Every
path's inputs come from its sampling block (``sampling``) and every path is computed alone, so the numbers are
the same whatever the chunk size, the number of workers or the backend.

The gap fan (the build gap by month, P5 to P95) needs monthly records: the first `fan_paths` paths (default
1,000) are run a second time with ``record="full"``, streamed through the engine's ``on_chunk`` 256 paths at a
time and reduced to one number per path and month, so the fan's memory is bounded too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from fundcheck.engine import compile_plan
from fundcheck.engine import simulate as engine_simulate
from fundcheck.engine.plan import Plan
from fundcheck.engine.simulate import MAX_PATHS
from fundcheck.errors import UsageError
from fundcheck.scenario.schema import Scenario
from fundcheck.uncertainty.model import InputSet, compile_inputs
from fundcheck.uncertainty.results import MonteCarloResults
from fundcheck.uncertainty.sampling import SAMPLERS

__all__ = ["DEFAULT_CHUNK", "check_options", "planned_capex_total", "run_chunk", "simulate"]

DEFAULT_CHUNK = 16_384
FAN_CHUNK = 256


def planned_capex_total(plan: Plan) -> np.ndarray:
    """Capex planned to be spent by the horizon end on each path's own schedule (paths), USD; vectorized over
    paths (the same sum as ``Plan.planned_capex``)."""
    ph = plan.phases
    n = plan.axis.n
    paths = plan.n_paths

    def col(key: str) -> np.ndarray:
        a = ph.columns[key]
        return np.broadcast_to(a, (paths, a.shape[1])) if a.shape[0] == 1 else a

    fac, it, delay = col("facility_capex_usd"), col("it_capex_usd"), col("delay_months")
    total = np.zeros(paths)
    for h in range(len(ph)):
        start = ph.start[h] + delay[:, h]
        months = int(ph.months[h])
        cum = np.concatenate([[0.0], np.cumsum(ph.curve[h, :months])])
        lo = np.clip(-start, 0, months)
        hi = np.clip(n - start, 0, months)
        total += fac[:, h] * (cum[np.maximum(hi, lo)] - cum[lo])
        e = start + months + ph.energization_lag[h]
        m, every = int(ph.it_months[h]), int(ph.refresh_months[h])
        share = 1.0
        while True:  # the first IT purchase, then each refresh (``operations.gpu_refresh_years``)
            inside = np.clip(np.minimum(e + m, n) - np.maximum(e, 0), 0, m)
            total += it[:, h] * share * inside / m
            if every <= 0 or (e >= n).all():
                break
            e = e + every
            share = float(ph.refresh_share[h])
    return total


def run_chunk(plan: Plan, inputs: InputSet, sampler: str, seed: int, lo: int, hi: int, workers: int = 1,
              points: bool = False) -> dict[str, np.ndarray]:
    """Sample paths lo..hi-1, run them, and keep what the reductions need (a dict of per-path arrays)."""
    x = np.repeat(inputs.points(), hi - lo, axis=0) if points else inputs.sample(sampler, seed, lo, hi, workers)
    return run_values(plan, inputs, x, workers)


def run_values(plan: Plan, inputs: InputSet, x: np.ndarray, workers: int = 1,
               chunk: int | None = None) -> dict[str, np.ndarray]:
    """Run the paths whose input values are x (paths x inputs) and keep the per-path results."""
    n = x.shape[0]
    p = inputs.apply(plan, x) if x.shape[1] else plan
    out = engine_simulate(p, n, record="summary", chunk=chunk or n, workers=workers)
    assert out is not None
    n_months = plan.axis.n
    first = out.field("first_short")
    energized = out.field("energized")
    funded = out.field("capex_funded_total_usd").sum(axis=1)
    planned = np.broadcast_to(planned_capex_total(p), (n,))
    delay = p.phases.columns["delay_months"]
    return {
        "x": x.astype(np.float64),
        "first_short": np.where(first >= 0, first, -1).astype(np.int32),
        "energized": np.where(energized < n_months, energized, -1).astype(np.int32),
        "schedule_delay": np.broadcast_to(delay, (n, delay.shape[1])).astype(np.int32),
        "gap_usd": np.maximum(planned - funded, 0.0),
        "capex_usd": planned.astype(np.float64),
        "unpaid_usd": out.field("new_gap_total_usd").astype(np.float64),
        "first_lockup": out.field("first_lockup").astype(np.int32),  # per loan; -1: never
        "first_default": out.field("first_default").astype(np.int32),
    }


def fan_chunk(plan: Plan, inputs: InputSet, sampler: str, seed: int, paths: int) -> np.ndarray:
    """The build gap by month (capex planned to date less capex funded to date) of the first `paths` paths."""
    x = inputs.sample(sampler, seed, 0, paths)
    p = inputs.apply(plan, x) if x.shape[1] else plan
    n = plan.axis.n
    gap = np.zeros((paths, n))

    def take(first: int, outcome: Any) -> None:
        rows = outcome.summary_record.shape[0]
        funded = outcome.field("capex_funded_usd").sum(axis=2).cumsum(axis=1)
        for r in range(rows):
            q = first + r if p.n_paths > 1 else 0
            planned = p.planned_capex(q).sum(axis=0).cumsum()
            gap[first + r] = np.maximum(planned - funded[r], 0.0)

    engine_simulate(p, paths, record="full", chunk=FAN_CHUNK, workers=1, on_chunk=take)
    return gap


def check_options(paths: Any, seed: Any, sampler: str, chunk: Any = None, workers: Any = None) -> None:
    """Refuse run options a Monte Carlo cannot use, naming the option (--paths, --seed, --sampler, --chunk,
    --workers)."""
    if isinstance(paths, bool) or not isinstance(paths, int | np.integer) or not 1 <= paths <= MAX_PATHS:
        raise UsageError(f"--paths: found {paths!r}; expected a whole number from 1 to {MAX_PATHS:,}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**63:
        raise UsageError(f"--seed: found {seed!r}; expected a whole number of zero or more")
    if sampler not in SAMPLERS:
        raise UsageError(f"--sampler: found '{sampler}'; expected one of: {', '.join(SAMPLERS)}")
    if chunk is not None and (isinstance(chunk, bool) or not isinstance(chunk, int | np.integer) or chunk < 1):
        raise UsageError(f"--chunk: found {chunk!r}; expected a whole number of paths of 1 or more")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int | np.integer)
                                or not 1 <= workers <= 1024):
        raise UsageError(f"--workers: found {workers!r}; expected a whole number from 1 to 1,024")


def dask_client(address: str) -> tuple[Any, Any]:
    """A Dask client (and the LocalCluster it started, or None) for 'local' or a scheduler address."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError("--dask needs the optional Dask extra: pip install 'fundcheck[dask]'") from None
    if address == "local":
        cluster = LocalCluster(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None)
        return Client(cluster), cluster
    try:
        return Client(address, timeout="3s"), None
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"--dask: cannot reach a Dask scheduler at {address}: "
                         f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None


def simulate(scenario: Scenario | str | Path, paths: int = 10_000, seed: int = 0, sampler: str = "random",
             chunk: int | None = None, workers: int | None = None, dask: str | Any | None = None,
             alternatives: tuple[str, ...] | list[str] = (), fan_paths: int = 1_000,
             progress: Callable[[int], None] | None = None) -> MonteCarloResults:
    """Monte Carlo over the scenario's distributions: `paths` paths from `seed` with `sampler`
    ('random', 'lhs' or 'sobol'). `dask`: 'local', a scheduler address, or a distributed Client. Returns
    ``MonteCarloResults`` (P(shortfall) with standard errors, gap percentiles, fans, ...)."""
    import os

    from fundcheck.scenario import load

    check_options(paths, seed, sampler, chunk, workers)
    if not isinstance(scenario, Scenario):
        scenario = load(scenario, tuple(alternatives))
    elif alternatives:
        raise UsageError("alternatives apply when loading; pass a name or path, or load(..., alternatives)")
    paths, seed = int(paths), int(seed)
    started = time.perf_counter()
    plan = compile_plan(scenario)
    inputs = compile_inputs(scenario, plan)
    chunk = int(min(chunk or DEFAULT_CHUNK, paths))
    workers = int(workers or os.cpu_count() or 1)
    keep: dict[str, np.ndarray] = {}

    def put(lo: int, part: dict[str, np.ndarray]) -> None:
        for key, a in part.items():
            if key not in keep:
                keep[key] = np.empty((paths, *a.shape[1:]), dtype=a.dtype)
            keep[key][lo:lo + a.shape[0]] = a

    bounds = [(lo, min(lo + chunk, paths)) for lo in range(0, paths, chunk)]
    if dask is None:
        for lo, hi in bounds:
            put(lo, run_chunk(plan, inputs, sampler, seed, lo, hi, workers))
            if progress is not None:
                progress(hi)
    else:
        _run_dask(dask, plan, inputs, sampler, seed, bounds, put, progress)
    fan_n = min(paths, max(int(fan_paths), 0))
    fan = fan_chunk(plan, inputs, sampler, seed, fan_n) if fan_n else np.zeros((0, plan.axis.n))
    return MonteCarloResults(scenario=scenario, plan=plan, inputs=inputs, paths=paths, seed=seed, sampler=sampler,
                             arrays=keep, fan_gap_usd=fan, seconds=time.perf_counter() - started,
                             backend="dask" if dask is not None else "threads")


def _run_dask(dask: Any, plan: Plan, inputs: InputSet, sampler: str, seed: int, bounds: list[tuple[int, int]],
              put: Callable[[int, dict[str, np.ndarray]], None], progress: Callable[[int], None] | None) -> None:
    cluster = None
    if isinstance(dask, str):
        client, cluster = dask_client(dask)
    else:
        client = dask
    try:
        from distributed import as_completed

        plan_f, inputs_f = client.scatter([plan, inputs], broadcast=True)
        futures = {client.submit(run_chunk, plan_f, inputs_f, sampler, seed, lo, hi, 1, pure=False): lo
                   for lo, hi in bounds}
        done = 0
        for future in as_completed(futures):
            part = future.result()
            put(futures[future], part)
            done += part["gap_usd"].shape[0]
            if progress is not None:
                progress(done)
    finally:
        if isinstance(dask, str):
            client.close()
            if cluster is not None:
                cluster.close()


def point_run(scenario: Scenario) -> dict[str, np.ndarray]:
    """One path with every input at its point value (equals the deterministic run)."""
    plan = compile_plan(scenario)
    inputs = compile_inputs(scenario, plan)
    return run_chunk(plan, inputs, "random", 0, 0, 1, 1, points=True)

