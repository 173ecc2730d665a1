"""Benchmark the Monte Carlo layer: `stargate` with its distributions at 10^4 and 10^5 paths (10^6 with
--million), a simple model in fundcheck's sampler and in squigglepy, and a Sobol analysis of `stargate`.

The sampler race samples a scenario's uncertain inputs by the path every `fundcheck simulate` takes
(``InputSet.sample`` with the ``random`` sampler), on one thread and on as many threads as cores.

Each stargate run is measured in a fresh process, so its peak memory (ru_maxrss) is its own.

    .venv/bin/python bench/montecarlo.py              # 10^4 and 10^5 paths, sampler race, Sobol N=256
    .venv/bin/python bench/montecarlo.py --million    # also 10^6 paths (minutes on 2 cores)
    .venv/bin/python bench/montecarlo.py --sobol-n 1024
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

RUN = r"""
import json, resource, sys, time
from fundcheck.scenario import load
from fundcheck.uncertainty.runner import simulate
paths = int(sys.argv[1])
s = load("stargate")
simulate(s, paths=16, seed=0, fan_paths=0)  # load the compiled kernel first: not part of the figure
t = time.perf_counter()
r = simulate(s, paths=paths, seed=1, fan_paths=0)
seconds = time.perf_counter() - t
print(json.dumps({"paths": paths, "seconds": seconds, "months": len(r.months), "inputs": len(r.inputs.inputs),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "p_short_oracle": r.p_shortfall("Oracle")["p"], "gap_p50": r.gap_percentiles()["p50"]}))
"""


def stargate_run(paths: int) -> dict:
    done = subprocess.run([sys.executable, "-c", RUN, str(paths)], capture_output=True, text=True, cwd=ROOT,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


SRC = 'source: "assumption: bench"'
RACE = "\n".join([
    "program: race", "horizon: {start: 2025-01, end: 2025-12}",
    "entities:",
    f"  A: {{kind: company, cash: {{dist: beta, alpha: 2, beta: 5, name: b, {SRC}}}}}",
    "  JV: {kind: spv, funding_priority: [equity]}",
    "sites:", "  S:", "    owner: JV", "    phases:",
    *(f"      - {{name: p{i}, it_mw: 1, start: 2025-01, months: 6, it_capex: 0, {SRC}, "
      f"facility_capex: {{dist: lognormal, p10: 1, p90: 10, name: x{i}, {SRC}}}}}" for i in range(10)),
    "instruments:", f"  - {{kind: equity, name: eqA, from: A, to: JV, amount: 1, stake: 100%, {SRC}}}", ""])


def best_of(fn, repeats: int = 3) -> tuple[float, object]:
    """Best wall time of `repeats` calls after one warm-up call (first-touch memory, lazy imports), and the last
    result."""
    out = fn()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def sampler_race(n: int = 1_000_000) -> dict[str, float]:
    """Sum of ten lognormals (80% interval: P10 1, P90 10) times a beta(2, 5), as a scenario's uncertain inputs
    sampled by the path every scenario takes (``InputSet.sample``, the ``random`` sampler, seed blocks), against
    squigglepy. Seconds (best of 3 after a warm-up) on one thread and on `cores` threads, and both means."""
    import squigglepy as sq

    from fundcheck.engine import compile_plan
    from fundcheck.scenario import load_text
    from fundcheck.uncertainty.model import compile_inputs

    s = load_text(RACE, "race.yaml")
    inputs = compile_inputs(s, compile_plan(s))
    cols = [inputs.names.index(f"x{i}") for i in range(10)]
    beta = inputs.names.index("b")

    def ours(workers: int) -> np.ndarray:
        x = inputs.sample("random", 1, 0, n, workers=workers)
        total = x[:, cols[0]].copy()
        for c in cols[1:]:
            total += x[:, c]
        total *= x[:, beta]
        return total

    one_s, one = best_of(lambda: ours(1))
    many_s, _ = best_of(lambda: ours(os.cpu_count() or 1))
    model = sq.lognorm(1, 10, credibility=80)
    for _ in range(9):
        model = model + sq.lognorm(1, 10, credibility=80)
    model = model * sq.beta(2, 5)
    theirs_s, theirs = best_of(lambda: sq.sample(model, n=n, verbose=False))
    return {"ours_1": one_s, "ours_cores": many_s, "squigglepy": theirs_s, "ours_mean": float(np.mean(one)),
            "squigglepy_mean": float(np.mean(theirs))}


def sobol_stargate(n: int) -> tuple[int, int, int, float]:
    from fundcheck.uncertainty.global_sensitivity import sensitivity

    t = time.perf_counter()
    s = sensitivity("stargate", method="sobol", output="gap", paths=n, seed=1)
    return s.meta["inputs_count"], s.meta["base_samples"], s.runs, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--million", action="store_true", help="also run 10^6 paths (minutes on 2 cores)")
    ap.add_argument("--sobol-n", type=int, default=256, help="Sobol base samples N (runs N(D+2))")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print("\nstargate with its distributions (summary recording, default chunk 16,384, threads = cores)")
    print(f"{'paths':>10} {'seconds':>9} {'path-months/s':>14} {'peak MB':>9} {'P(Oracle short)':>16} {'gap P50':>10}")
    for paths in (10_000, 100_000, *((1_000_000,) if args.million else ())):
        r = stargate_run(paths)
        rate = r["paths"] * r["months"] / r["seconds"]
        print(f"{r['paths']:>10,} {r['seconds']:>9.1f} {rate:>14,.0f} {r['peak_mb']:>9,.0f} "
              f"{r['p_short_oracle']:>16.4f} {'$%.1fB' % (r['gap_p50'] / 1e9):>10}")
    race = sampler_race()
    cores = os.cpu_count() or 1
    print("\nsum of ten lognormals (80% interval: P10 1, P90 10) times a beta(2, 5), 10^6 samples, best of 3")
    rows = [("fundcheck InputSet.sample, random sampler, 1 thread", race["ours_1"], race["ours_mean"]),
            (f"fundcheck InputSet.sample, random sampler, {cores} threads", race["ours_cores"], None),
            (f"squigglepy {sq_version()}, 1 thread", race["squigglepy"], race["squigglepy_mean"])]
    for label, seconds, mean in rows:
        print(f"  {label + ':':<56} {seconds:.3f} s" + (f"  mean {mean:.3f}" if mean is not None else ""))
    d, n, runs, seconds = sobol_stargate(args.sobol_n)
    print(f"\nSobol analysis of stargate: D = {d} inputs, N = {n} base samples, {runs:,} runs, {seconds:.1f} s")


def sq_version() -> str:
    from importlib.metadata import version

    return version("squigglepy")


if __name__ == "__main__":
    main()
