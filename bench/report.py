"""Benchmark what a user waits for around the report: `fundcheck --help`, writing report.html for `stargate`
(in a fresh process, lazy imports included, with and without the claims section, and again warm), each report
chart alone, and the same charts drawn with matplotlib (the library the report used before, and the pages for
simulate and sensitivity still use) for comparison.

    .venv/bin/python bench/report.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

FRESH = """
import time, pathlib, tempfile, fundcheck
r = fundcheck.run("stargate")
claims = None
if WITH_CLAIMS:
    from fundcheck.claims.check import check_ledger
    from fundcheck.claims.ledger import read_ledger
    claims = check_ledger(read_ledger("stargate"))
from fundcheck.report.html import write_html
t = time.perf_counter()
write_html(r, pathlib.Path(tempfile.mkdtemp()) / "report.html", claims)
print(time.perf_counter() - t)
"""


def median_of(runs: list[float]) -> float:
    return statistics.median(runs)


def fresh(code: str, repeat: int = 5) -> float:
    """Median seconds printed by `code` run in new interpreters."""
    return median_of([float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                           check=True).stdout.split()[-1]) for _ in range(repeat)])


def wall(args: list[str], repeat: int = 5) -> float:
    """Median wall seconds of a command."""
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(args, capture_output=True, check=True)
        runs.append(time.perf_counter() - t)
    return median_of(runs)


def best(fn, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return min(runs)


def matplotlib_equivalents(results) -> dict[str, float]:
    """The cumulative and MW charts and one runway panel drawn with matplotlib, as the report drew them before."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from fundcheck.report.charts import runway_data
    from fundcheck.report.mpl import money_axis, svg_of

    x = np.arange(len(results.months))
    need = results.capex_planned().sum(axis=1).cumsum().to_numpy()
    funded = results.capex().sum(axis=1).cumsum().to_numpy()
    online = results.it_mw_online()
    data = runway_data(results, "SoftBank")

    def cumulative() -> None:
        fig, ax = plt.subplots(figsize=(10, 4))
        ax.plot(x, need, "k--")
        ax.plot(x, funded, "g", lw=3)
        ax.fill_between(x, funded, need, color="r", alpha=0.25)
        money_axis(ax)
        ax.legend(["need", "funded", "gap"])
        svg_of(fig, "cumulative", "c")

    def mw() -> None:
        fig, ax = plt.subplots(figsize=(10, 4))
        ax.stackplot(x, *[online[c].to_numpy() for c in online.columns], step="post")
        ax.legend(list(online.columns), fontsize=7)
        svg_of(fig, "mw", "m")

    def runway() -> None:
        fig, ax = plt.subplots(figsize=(5.2, 2.5))
        ax.stackplot(x, data["cash"], data["undrawn loans"], data["can still raise"], step="post")
        ax.fill_between(x, data["short"], 0, step="post", color="r")
        ax.step(x, data["due"], "k", where="post")
        money_axis(ax)
        svg_of(fig, "runway", "r")

    cumulative()  # fonts and caches loaded once, outside the timing
    return {"cumulative need": best(cumulative), "IT MW online": best(mw), "one runway": best(runway)}


def main() -> None:
    import fundcheck
    from fundcheck.report import charts
    from fundcheck.report.html import render_html

    console = Console()
    help_s = wall([str(Path(sys.executable).with_name("fundcheck")), "--help"])
    cold = fresh("WITH_CLAIMS = False" + FRESH)
    cold_claims = fresh("WITH_CLAIMS = True" + FRESH)
    r = fundcheck.run("stargate")
    render_html(r)
    warm = best(lambda: render_html(r))
    ours = {"cumulative need": best(lambda: charts.cumulative_chart(r)),
            "IT MW online": best(lambda: charts.mw_chart(r)),
            "one runway": best(lambda: charts.runway_chart(r, "SoftBank", "x")),
            "capital stack": best(lambda: charts.capital_stack_chart(r)),
            "timeline": best(lambda: charts.timeline_chart(r))}
    theirs = matplotlib_equivalents(r)

    table = Table(title="fundcheck report speed (median of 5 runs; charts: best of 5)")
    table.add_column("what")
    table.add_column("fundcheck", justify="right")
    table.add_column("matplotlib", justify="right")
    table.add_column("target", justify="right")
    table.add_row("fundcheck --help (wall)", f"{help_s:.3f} s", "", "< 0.3 s")
    table.add_row("report.html for stargate, fresh process", f"{cold:.3f} s", "", "< 0.5 s")
    table.add_row("the same with the claims section (as `run stargate`)", f"{cold_claims:.3f} s", "", "< 0.5 s")
    table.add_row("report.html for stargate, warm", f"{warm:.3f} s", "", "")
    for name, seconds in ours.items():
        other = theirs.get(name)
        table.add_row(f"chart: {name}", f"{1000 * seconds:.1f} ms",
                      f"{1000 * other:.1f} ms ({other / seconds:.0f}x)" if other else "", "")
    console.print(table)


if __name__ == "__main__":
    main()
