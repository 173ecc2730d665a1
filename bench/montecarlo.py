"""Benchmark the Monte Carlo layer: `stargate` with its distributions at 10^4 and 10^5 paths (10^6 with
--million), a simple model in fundcheck's sampler and in squigglepy, and a Sobol analysis of `stargate`.

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


def sampler_race(n: int = 1_000_000) -> tuple[float, float, float, float]:
    """Sum of ten lognormals (80% interval: P10 1, P90 10) times a beta(2, 5): fundcheck's marginals and uniforms
    against squigglepy. Returns (fundcheck s, squigglepy s, fundcheck mean, squigglepy mean)."""
    import squigglepy as sq

    from fundcheck.scenario.uncertain import Uncertain
    from fundcheck.uncertainty.distributions import marginal
    from fundcheck.uncertainty.sampling import uniforms

    logn = marginal(Uncertain(dist="lognormal", p10=1.0, p90=10.0), 0.0)
    beta = marginal(Uncertain(dist="beta", alpha=2.0, beta=5.0), 0.0)
    t = time.perf_counter()
    u = uniforms("random", 1, 0, n, 11)
    ours = logn.ppf(u[:, :10]).sum(axis=1) * beta.ppf(u[:, 10])
    ours_s = time.perf_counter() - t
    model = sq.lognorm(1, 10, credibility=80)
    for _ in range(9):
        model = model + sq.lognorm(1, 10, credibility=80)
    model = model * sq.beta(2, 5)
    t = time.perf_counter()
    theirs = sq.sample(model, n=n, verbose=False)
    theirs_s = time.perf_counter() - t
    return ours_s, theirs_s, float(np.mean(ours)), float(np.mean(theirs))


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
    ours, theirs, m1, m2 = sampler_race()
    print("\nsum of ten lognormals (80% interval: P10 1, P90 10) times a beta(2, 5), 10^6 samples")
    print(f"  fundcheck (scipy.stats inverse CDFs, PCG64 blocks): {ours:.2f} s  mean {m1:.3f}")
    print(f"  squigglepy {sq_version()}:                           {theirs:.2f} s  mean {m2:.3f}")
    d, n, runs, seconds = sobol_stargate(args.sobol_n)
    print(f"\nSobol analysis of stargate: D = {d} inputs, N = {n} base samples, {runs:,} runs, {seconds:.1f} s")


def sq_version() -> str:
    from importlib.metadata import version

    return version("squigglepy")


if __name__ == "__main__":
    main()
