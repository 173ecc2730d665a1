"""Benchmark the engine on the built-in stargate program.

Prints: the deterministic run (load + compile + simulate + checks), the same plan at 10,000 paths
simulated in chunks of 1,000 (vectorized over paths), and, for comparison, the obvious alternative of
simulating paths one at a time (timed on 50 paths and scaled to 10,000).

    .venv/bin/python bench/engine.py
"""

from __future__ import annotations

import platform
import resource
import statistics
import time

import numpy as np
from rich.console import Console
from rich.progress import Progress

import fundcheck
from fundcheck.engine import compile_plan, run_checks, simulate

PATHS = 10_000
CHUNK = 1_000
LOOP_SAMPLE = 50


def main() -> None:
    console = Console()
    console.print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")

    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        results = fundcheck.run("stargate")
        results.checks  # noqa: B018 - computing the checks is part of a run
        times.append(time.perf_counter() - t0)
    plan = results.plan
    console.print(f"stargate: {plan.axis.n} months, {len(plan.entities)} entities, {len(plan.phases)} phases, "
                  f"{len(plan.loans)} loans, {len(plan.equity)} equity commitments, {len(plan.contracts)} contracts")
    console.print(f"deterministic run (load, compile, simulate, checks): median {statistics.median(times):.3f} s "
                  f"of 5")

    scenario = fundcheck.load("stargate")
    plan = compile_plan(scenario)
    gap_end = np.empty(PATHS)
    t0 = time.perf_counter()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"{PATHS:,} paths", total=PATHS)
        for lo in range(0, PATHS, CHUNK):
            out = simulate(plan, CHUNK)
            assert run_checks(out).ok
            gap_end[lo:lo + CHUNK] = out.gap_usd[:, :, -1].sum(axis=0)
            progress.advance(task, CHUNK)
    vector = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    console.print(f"{PATHS:,} paths in chunks of {CHUNK:,}, checks included: {vector:.1f} s "
                  f"({vector / PATHS * 1e3:.2f} ms a path); peak memory {peak_mb:,.0f} MB")

    t0 = time.perf_counter()
    for _ in range(LOOP_SAMPLE):
        simulate(plan, 1)
    loop = (time.perf_counter() - t0) / LOOP_SAMPLE * PATHS
    console.print(f"one path at a time (timed on {LOOP_SAMPLE}, scaled to {PATHS:,}): {loop:.0f} s; "
                  f"vectorized is {loop / vector:.0f}x faster")
    assert np.ptp(gap_end) < 1.0  # a deterministic plan gives the same answer on every path


if __name__ == "__main__":
    main()
