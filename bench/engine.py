"""Benchmark the engine: the deterministic run, Monte Carlo-sized runs in `summary` mode, the same kernel
uncompiled, scaling with the number of sites, and the command's start-up time.

Each size of run is measured in a fresh process, so its peak memory is its own. Prints a table; the README
quotes it.

    .venv/bin/python bench/engine.py            # 10^4, 10^5 and 10^6 paths (~5 minutes on 2 cores)
    .venv/bin/python bench/engine.py --quick    # 10^4 and 10^5 only
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]

SUMMARY_RUN = r"""
import json, resource, sys, time
import numpy as np
import fundcheck
from fundcheck.engine import compile_plan, simulate
paths = int(sys.argv[1])
plan = compile_plan(fundcheck.load("stargate"))
simulate(plan, 2, record="summary")  # loads the compiled kernel from the cache
first_short = np.empty((paths, len(plan.entities)), dtype=np.int64)
def keep(lo, out):  # what a Monte Carlo run keeps: a few per-path numbers, not every line
    first_short[lo:lo + out.n_paths] = out.field("first_short")
times = []
for _ in range(int(sys.argv[2])):  # this machine's timings vary between runs: the best and the median are shown
    t0 = time.perf_counter()
    simulate(plan, paths, record="summary", on_chunk=keep)
    times.append(time.perf_counter() - t0)
print(json.dumps({"seconds": min(times), "median_s": sorted(times)[len(times) // 2], "runs": len(times),
                  "months": plan.axis.n,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "softbank_short_by_2027": float((first_short[:, plan.entities.id("SoftBank")] >= 0).mean())}))
"""

UNCOMPILED_RUN = r"""
import json, sys, time
import fundcheck
from fundcheck.engine import compile_plan, simulate
plan = compile_plan(fundcheck.load("stargate"))
simulate(plan, 1, record="summary", workers=1)  # compiled: loads the kernel from the cache
t0 = time.perf_counter()
simulate(plan, int(sys.argv[1]), record="summary", workers=1)
print(json.dumps({"seconds": time.perf_counter() - t0, "months": plan.axis.n}))
"""

DETERMINISTIC_RUN = r"""
import json, statistics, time, tempfile
from pathlib import Path
import fundcheck
from fundcheck.engine import Results, compile_plan, simulate
from fundcheck.report.html import write_html
t = {}
def best(name, fn, n=7):
    times = []
    for _ in range(n):
        t0 = time.perf_counter(); out = fn(); times.append(time.perf_counter() - t0)
    t[name] = min(times)
    return out
t0 = time.perf_counter()
simulate(compile_plan(fundcheck.load("abilene")), 1)
t["first_simulate_s"] = time.perf_counter() - t0
t0 = time.perf_counter()
fundcheck.load("stargate")  # the first time in a process: the scenario and each alternative validated
t["first_load_s"] = time.perf_counter() - t0
scenario = best("load_s", lambda: fundcheck.load("stargate"))  # again: its alternatives' answer remembered
plan = best("compile_s", lambda: compile_plan(scenario))
out = best("simulate_s", lambda: simulate(plan, 1))
def results():
    r = Results(scenario, plan, simulate(plan, 1)); r.checks; r.totals(); r.shortfalls(); return r
r = best("simulate_results_checks_s", results)
folder = Path(tempfile.mkdtemp())
best("report_s", lambda: write_html(r, folder / "report.html"), n=2)
print(json.dumps(t))
"""

SITES_RUN = r"""
import json, sys, time
from fundcheck.engine import compile_plan, simulate
from fundcheck.scenario import load_text
n = int(sys.argv[1])
src = 'source: "assumption: bench"'
sites = "\n".join(
    f"  S{i}: {{owner: Builder, {src}, phases: [{{name: p, it_mw: {10 + i % 7}, start: 2025-{1 + i % 12:02d}, "
    f"months: {6 + i % 18}, facility_capex: {0.4 + (i % 13) / 7:.4f}B, it_capex: {1.1 + (i % 5) / 3:.4f}B}}]}}"
    for i in range(n))
text = f'''program: sites
horizon: {{start: 2025-01, end: 2032-12}}
entities:
  Builder: {{kind: company, cash: {{value: 1T, {src}}}, funding_priority: [cash, debt]}}
  Bank: {{kind: lender}}
sites:
{sites}
instruments:
  - {{kind: term_loan, name: loan, from: Bank, to: Builder, limit: 5T, rate: 7%, {src}}}
'''
simulate(compile_plan(load_text(text.replace("sites:\n  S", "sites:\n  S", 1), "s.yaml")), 1)
best = float("inf")
for _ in range(3):
    t0 = time.perf_counter()
    simulate(compile_plan(load_text(text, "s.yaml")), 1)
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"seconds": best}))
"""


COMPILE_RUN = r"""
import json, time
t0 = time.perf_counter()
import fundcheck
from fundcheck.engine import compile_plan, simulate
plan = compile_plan(fundcheck.load("stargate"))
t1 = time.perf_counter()
simulate(plan, 2, record="summary")  # NUMBA_CACHE_DIR is an empty folder: the kernel is compiled
print(json.dumps({"import_load_s": t1 - t0, "compile_s": time.perf_counter() - t1}))
"""


def python(script: str, *args: str, env: dict[str, str] | None = None) -> dict:
    """Run a script in a fresh interpreter and return the JSON it prints."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(script)
    done = subprocess.run([sys.executable, f.name, *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=3600)
    os.unlink(f.name)
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    console = Console()
    quick = "--quick" in sys.argv
    cores = os.cpu_count() or 1
    import numba
    import numpy as np

    console.print(f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
                  f"{platform.machine()}, {cores} cores")

    sizes = [10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]
    rows = []
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console,
                  transient=True) as progress:
        task = progress.add_task("benchmarks", total=len(sizes) + 5)
        progress.update(task, description="compiling the kernel into an empty cache")
        with tempfile.TemporaryDirectory() as empty:
            cold = python(COMPILE_RUN, env={"NUMBA_CACHE_DIR": empty})
        progress.advance(task)
        progress.update(task, description="deterministic stargate")
        det = python(DETERMINISTIC_RUN)
        progress.advance(task)
        for n in sizes:
            progress.update(task, description=f"stargate, {n:,} paths, summary")
            r = python(SUMMARY_RUN, str(n), str(5 if n < 10**6 else 3))
            rate = n * r["months"] / r["seconds"]
            median = n * r["months"] / r["median_s"]
            rows.append((f"{n:,} paths", r["runs"], r["seconds"], rate, rate / cores, median / cores, r["peak_mb"]))
            progress.advance(task)
        progress.update(task, description="uncompiled kernel, 100 paths")
        slow = python(UNCOMPILED_RUN, "100", env={"NUMBA_DISABLE_JIT": "1"})
        fast = python(UNCOMPILED_RUN, "10000")
        progress.advance(task)
        progress.update(task, description="100 and 1,000 sites")
        s100, s1000 = python(SITES_RUN, "100"), python(SITES_RUN, "1000")
        progress.advance(task)
        progress.update(task, description="fundcheck --help")
        helps = []
        for _ in range(5):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "fundcheck", "--help"], capture_output=True, check=True, cwd=ROOT)
            helps.append(time.perf_counter() - t0)
        progress.advance(task)

    table = Table(title="stargate in summary mode (every core; per-path results kept by a chunk callback; the "
                        "best of a few runs in one process, and the median run's rate)")
    for col in ("run", "runs", "seconds", "path-months/s", "per core", "per core, median run", "peak memory"):
        table.add_column(col, justify="right")
    for name, runs, sec, rate, per_core, median, mb in rows:
        table.add_row(name, str(runs), f"{sec:.1f}", f"{rate / 1e6:.2f}M", f"{per_core / 1e6:.2f}M",
                      f"{median / 1e6:.2f}M", f"{mb:,.0f} MB")
    console.print(table)
    slow_rate = 100 * slow["months"] / slow["seconds"]
    fast_rate = 10_000 * fast["months"] / fast["seconds"]
    console.print(f"one worker: compiled {fast_rate / 1e6:.2f}M path-months/s; the same kernel uncompiled "
                  f"(NUMBA_DISABLE_JIT=1) on 100 paths {slow_rate / 1e3:.1f}k path-months/s: "
                  f"compiled is {fast_rate / slow_rate:,.0f}x faster; 10^6 paths uncompiled would take "
                  f"{1e6 * slow['months'] / slow_rate / 3600:.1f} h")
    console.print(f"first run on a fresh machine: the kernel compiled in {cold['compile_s']:.1f} s (once; cached on "
                  f"disk after), import and load {cold['import_load_s']:.2f} s")
    console.print(f"deterministic stargate: load {det['first_load_s'] * 1e3:.0f} ms the first time in a process "
                  f"(scipy imported, every alternative validated), {det['load_s'] * 1e3:.0f} ms again; best of 7: "
                  "compile plan "
                  f"{det['compile_s'] * 1e3:.1f} ms, simulate {det['simulate_s'] * 1e3:.1f} ms, simulate with "
                  f"results and checks {det['simulate_results_checks_s'] * 1e3:.1f} ms, report "
                  f"{det['report_s'] * 1e3:.0f} ms; first simulate in a process (kernel from the disk cache) "
                  f"{det['first_simulate_s']:.2f} s")
    console.print(f"sites: 100 in {s100['seconds']:.3f} s, 1,000 in {s1000['seconds']:.3f} s "
                  f"({s1000['seconds'] / s100['seconds']:.1f}x; load, compile and simulate)")
    console.print(f"fundcheck --help: median {sorted(helps)[2]:.2f} s")


if __name__ == "__main__":
    main()
