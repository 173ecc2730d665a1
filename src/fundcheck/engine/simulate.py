"""Run a Plan over paths: chunks of paths through the compiled month kernel, keeping `full` or `summary`.

``full`` keeps every ledger line and balance per path and month (for reports and small runs); ``summary``
keeps per-path reductions only (first month short, gaps, energization, totals per line), so memory is
bounded by the number of paths, not months. Both come from the same kernel, so they agree. Paths of a chunk
are shared among worker threads (the kernel releases the GIL) in batches of ``kernel.BATCH`` paths run in
lockstep; every path's numbers are its own, so they do not depend on the chunk size, the batch or the number
of workers.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from fundcheck.engine import kernel
from fundcheck.engine.plan import Plan
from fundcheck.engine.tables import kernel_tuple
from fundcheck.errors import UsageError

__all__ = ["RECORD_MODES", "Outcome", "simulate"]

RECORD_MODES = ("full", "summary")
DEFAULT_CHUNK = 16_384
MAX_PATHS = 100_000_000


@dataclass
class Outcome:
    """What a simulation produced: the plan it ran and its record, one block per field (see ``kernel``)."""

    plan: Plan
    mode: str
    layout: kernel.Layout
    full_record: np.ndarray  # paths x months x width (empty under summary)
    summary_record: np.ndarray  # paths x width
    summary_int_record: np.ndarray  # paths x width

    @property
    def n_paths(self) -> int:
        """Number of paths simulated."""
        return int(self.summary_record.shape[0])

    @property
    def full(self) -> bool:
        """True when every month was kept."""
        return self.mode == "full"

    def field(self, name: str) -> np.ndarray:
        """One recorded field: paths x months x rows (full) or paths x rows (summary)."""
        for group, array in (("full", self.full_record), ("summary", self.summary_record),
                             ("summary_int", self.summary_int_record)):
            if name in self.layout.shapes[group]:
                if group == "full" and not self.full:
                    raise UsageError(f"'{name}' is kept per month only with record='full'")
                return self.layout.block(group, name, array)
        raise KeyError(name)


def _available_bytes() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES"))


def simulate(plan: Plan, paths: int | None = None, record: str = "full", chunk: int | None = None,
             workers: int | None = None, progress: Callable[[int], None] | None = None,
             on_chunk: Callable[[int, Outcome], None] | None = None) -> Outcome | None:
    """Run the plan over `paths` paths (default: the plan's per-path inputs, or 1) and keep `record`.

    `chunk` paths go through the kernel at a time (memory for per-path inputs and state is bounded by it);
    `workers` threads share each chunk (default: one per core); `progress` is called with the number of
    paths done after each chunk. With `on_chunk`, nothing is kept for the whole run: each chunk's outcome is
    handed to ``on_chunk(first_path, outcome)`` and then reused, so memory depends on the chunk size only
    (this returns None)."""
    if record not in RECORD_MODES:
        raise UsageError(f"record must be one of {', '.join(RECORD_MODES)}; found '{record}'")
    planned = plan.n_paths
    if paths is None:
        paths = planned
    if isinstance(paths, bool) or not isinstance(paths, int | np.integer) or not 1 <= paths <= MAX_PATHS:
        raise UsageError(f"paths must be a whole number from 1 to {MAX_PATHS:,}; found {paths!r}")
    paths = int(paths)
    if planned > 1 and paths != planned:
        raise UsageError(f"the plan has per-path inputs for {planned:,} paths; found paths={paths:,}")
    full = record == "full"
    k0 = kernel_tuple(plan.tables, plan.axis.n, 0, 1)
    lay = kernel.layout(k0)
    if full:
        per_path = lay.widths["full"] * plan.axis.n * 8
        avail = _available_bytes()
        if per_path * paths > avail // 2:
            raise UsageError(
                f"{paths:,} paths with record='full' need {per_path * paths / 2**30:.1f} GiB; about "
                f"{avail // 2 // per_path:,} fit in half of the {avail / 2**30:.1f} GiB available. Use "
                "record='summary' (per-path results, memory independent of months) or fewer paths")
    chunk = max(1, min(int(chunk or DEFAULT_CHUNK), paths))
    workers = max(1, min(int(workers or os.cpu_count() or 1), -(-chunk // kernel.BATCH)))
    batch = min(kernel.BATCH, chunk)

    months = plan.axis.n
    rows = chunk if on_chunk is not None else paths  # record rows: the whole run, or one chunk reused
    rf = np.zeros((rows, months, lay.widths["full"]) if full else (1, 1, 1))
    rs = np.zeros((rows, lay.widths["summary"]))
    ri = np.zeros((rows, lay.widths["summary_int"]), dtype=np.int64)
    # each worker's state: one row per state quantity, one column per path of its batch
    state = np.zeros((workers, lay.widths["state"], batch))
    state_int = np.zeros((workers, lay.widths["state_int"], batch), dtype=np.int64)
    so, sio = lay.state_offsets(full), lay.offsets_tuple("state_int")  # constants to the kernel
    rfo, rso, rio = lay.offsets["full"], lay.offsets["summary"], lay.offsets["summary_int"]
    defer = plan.gap_policy == "defer"
    pro_rata = plan.capex_shortfall == "pro_rata"

    def run(k: object, worker: int, lo: int, hi: int, k_lo: int) -> None:
        r0 = k_lo if on_chunk is not None else 0  # record row of path k_lo
        kernel.run_chunk(k, state[worker], state_int[worker], so, sio, rf, rfo, rs, rso, ri, rio, lo - r0, hi - r0,
                         k_lo - r0, full, defer, pro_rata)

    pool = ThreadPoolExecutor(workers) if workers > 1 else None
    try:
        for lo in range(0, paths, chunk):
            hi = min(lo + chunk, paths)
            k = kernel_tuple(plan.tables, months, lo, hi) if planned > 1 else k0
            if pool is None:
                run(k, 0, lo, hi, lo)
            else:  # whole batches to each worker
                n_batches = -(-(hi - lo) // batch)
                cuts = [min(lo + (n_batches * w // workers) * batch, hi) for w in range(workers + 1)]
                jobs = [pool.submit(run, k, w, a, b, lo) for w, (a, b) in enumerate(itertools.pairwise(cuts))
                        if b > a]
                for job in jobs:
                    job.result()
            if on_chunk is not None:
                n = hi - lo
                on_chunk(lo, Outcome(plan=plan, mode=record, layout=lay, full_record=rf[:n] if full else rf[:0],
                                     summary_record=rs[:n], summary_int_record=ri[:n]))
            if progress is not None:
                progress(hi)
    finally:
        if pool is not None:
            pool.shutdown()
    if on_chunk is not None:
        return None
    return Outcome(plan=plan, mode=record, layout=lay, full_record=rf if full else rf[:0],
                   summary_record=rs, summary_int_record=ri)
