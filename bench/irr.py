"""Benchmark the vectorized IRR: 100,000 monthly series of 120 months through ``fundcheck.finance.irr`` in one
call, a pyxirr loop over the same series, and numpy-financial on a sample (scaled up); prints seconds, series per
second, the ratio to the pyxirr loop and the largest disagreement.

The series look like projects: 6 to 36 months of construction outflows, then operating inflows with noise (about
nine in ten series have some negative operating months, so several sign changes), and one in eight loses money
(an IRR below 0%). Timings are the best of `--repeat` runs, wall clock.

    .venv/bin/python bench/irr.py [--series 100000] [--months 120] [--sample 2000]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import numpy_financial as npf
from pyxirr import irr as pyxirr_irr

from fundcheck.finance import IrrReason, irr


def project_flows(n_series: int, n_months: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n_months)
    build = rng.integers(6, 37, n_series)[:, None]
    capex = rng.uniform(50.0, 150.0, n_series)[:, None]
    operating = rng.uniform(0.8, 3.0, n_series)[:, None]
    noise = rng.uniform(0.5, 1.5, (n_series, n_months))
    return np.where(t < build, -capex / build * noise, operating * rng.normal(1.0, 0.5, (n_series, n_months)))


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def loop(fn, flows: np.ndarray) -> np.ndarray:
    out = np.empty(len(flows))
    for i, row in enumerate(flows):
        r = fn(row)
        out[i] = math.nan if r is None else r
    return out


def is_root(flows: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Whether each per-period rate zeroes its series' NPV, relative to the size of the NPV's terms."""
    with np.errstate(all="ignore"):
        terms = flows * (1.0 + rate[:, None]) ** -np.arange(flows.shape[1], dtype=float)
        return np.abs(terms.sum(axis=1)) <= 1e-9 * np.abs(terms).sum(axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--sample", type=int, default=2_000, help="series given to numpy-financial")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    flows = project_flows(args.series, args.months, np.random.default_rng(0))

    ours_s, (rate, reason) = best_of(lambda: irr(flows, periods_per_year=1, reasons=True), args.repeat)
    pyx_s, pyx = best_of(lambda: loop(pyxirr_irr, flows), 1)
    sample = flows[: args.sample]
    npf_sample_s, numpy_fin = best_of(lambda: loop(npf.irr, sample), 1)
    npf_s = npf_sample_s * args.series / len(sample)

    print(f"{args.series:,} monthly series of {args.months} months "
          f"({np.mean(reason == IrrReason.MULTIPLE_ROOTS):.1%} with several IRRs, "
          f"{np.mean(rate < 0):.1%} below 0%)")
    print(f"{'method':<34}{'seconds':>10}{'series/s':>14}{'vs pyxirr loop':>16}")
    rows = [("fundcheck.finance.irr (one call)", ours_s), ("pyxirr loop", pyx_s),
            (f"numpy-financial ({len(sample):,}, scaled)", npf_s)]
    for name, seconds in rows:
        print(f"{name:<34}{seconds:>10.3f}{args.series / seconds:>14,.0f}{pyx_s / seconds:>15.1f}x")
    both = ~np.isnan(pyx) & ~np.isnan(rate)
    one = both & (reason == IrrReason.OK)
    print(f"largest |ours - pyxirr| (per month) on series with one IRR: "
          f"{np.max(np.abs(rate[one] - pyx[one])):.2e} over {one.sum():,} series")
    several = both & (reason == IrrReason.MULTIPLE_ROOTS)
    other = several & (np.abs(rate - pyx) > 1e-9)
    nearer = np.abs(np.log1p(rate[other])) < np.abs(np.log1p(pyx[other]))
    print(f"series with several IRRs: {several.sum():,}; pyxirr picked another root on {other.sum()} "
          f"(all roots: {bool(is_root(flows[other], pyx[other]).all())}; ours nearer 0% on {nearer.sum()}), "
          f"elsewhere the same to {np.max(np.abs(rate[several & ~other] - pyx[several & ~other]), initial=0):.2e}")
    print(f"NaN in ours only: {np.sum(np.isnan(rate) & ~np.isnan(pyx))}, "
          f"in pyxirr only: {np.sum(np.isnan(pyx) & ~np.isnan(rate))}")
    ok = ~np.isnan(numpy_fin) & ~np.isnan(rate[: len(sample)])
    print(f"largest |ours - numpy-financial| (per month): "
          f"{np.max(np.abs(rate[: len(sample)][ok] - numpy_fin[ok])):.2e} over {ok.sum():,} series")


if __name__ == "__main__":
    main()
