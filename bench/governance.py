"""Benchmark power indices and waterfall sweeps.

Power: dynamic programming against enumeration of every coalition (the obvious exact alternative) on
weighted games of growing size, and Monte Carlo at 200,000 samples. Waterfall: a 401-point sweep of the
capped-profit structure in one vectorized run against 401 separate runs.

    .venv/bin/python bench/governance.py
"""

from __future__ import annotations

import time

import numpy as np
from rich.console import Console
from rich.table import Table

import fundcheck
from fundcheck.finance.distribute import distribute
from fundcheck.governance import Weighted, power


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    console = Console()
    rng = np.random.default_rng(0)
    table = Table(title="Power indices: seconds (best of 3)")
    for col in ("parties", "total weight", "dp (exact)", "enumerate (exact)", "montecarlo (200k)", "agree"):
        table.add_column(col, justify="right")
    for n in (10, 15, 20, 60):
        weights = tuple(int(w) for w in rng.integers(1, 50, n))
        game = Weighted(weights, sum(weights) // 2 + 1)
        dp = timed(lambda g=game: power(g, method="dp"))
        if n <= 20:
            en = timed(lambda g=game: power(g, method="enumerate"), repeat=1)
            agree = power(game, method="dp").shapley_shubik == power(game, method="enumerate").shapley_shubik
            en_text, agree_text = f"{en:.3f}", "yes" if agree else "NO"
        else:
            en_text, agree_text = "2^60 coalitions", "-"
        mc = timed(lambda g=game: power(g, method="montecarlo", samples=200_000), repeat=1)
        table.add_row(str(n), str(sum(weights)), f"{dp:.3f}", en_text, f"{mc:.2f}", agree_text)
    console.print(table)

    results = fundcheck.run("openai-lp-2019")
    exits = np.linspace(0, 2e12, 401)
    vector = timed(lambda: distribute(results, "OpenAI LP", exits))
    loop = timed(lambda: [distribute(results, "OpenAI LP", float(v)) for v in exits], repeat=1)
    console.print(f"waterfall sweep, 401 exit values, {len(results.months)} months: vectorized {vector:.3f} s, "
                  f"one at a time {loop:.2f} s ({loop / vector:.0f}x)")


if __name__ == "__main__":
    main()
