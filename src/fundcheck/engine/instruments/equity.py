"""Equity commitments: compile, and the kernel's pro rata call.

A commitment is called as its investee needs money (``as_needed``), pro rata to what is undrawn on every
open commitment of the same funding step, or paid in whole at ``start`` (``upfront``). Each investor pays
its call from its own sources; a missed call is the investor's gap and is not re-called from the others.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fundcheck.engine.instruments._jit import jit, jit_small
from fundcheck.engine.tables import NEVER, C, Kind, Table
from fundcheck.engine.timeaxis import TimeAxis
from fundcheck.scenario.schema import Equity, Scenario

__all__ = ["call_shares_paths", "compile_rows", "table"]


def compile_rows(s: Scenario, axis: TimeAxis, idx: dict[str, int], book: Any
                 ) -> tuple[dict[str, list[Any]], list[str], dict[int, int]]:
    """Columns of the equity table, its row names, and scenario instrument index -> equity id."""
    rows: dict[str, list[Any]] = {k: [] for k in ("investor", "investee", "amount_usd", "stake", "upfront",
                                                   "held", "start", "end", "line")}
    names: list[str] = []
    of: dict[int, int] = {}
    for i, ins in enumerate(s.instruments):
        if not isinstance(ins, Equity):
            continue
        of[i] = len(names)
        name = s.instrument_name(i)
        names.append(name)
        rows["investor"].append(idx[ins.from_])
        rows["investee"].append(idx[ins.to])
        rows["amount_usd"].append(ins.amount.value)
        rows["stake"].append(np.nan if ins.stake is None else ins.stake.value)
        rows["upfront"].append(ins.call == "upfront")
        rows["held"].append(ins.call != "upfront" and s.entities[ins.from_].order_of_claims == "commitments_first")
        rows["start"].append(axis.index(ins.start) if ins.start is not None else 0)
        rows["end"].append(axis.index(ins.end) if ins.end is not None else axis.n - 1)
        rows["line"].append(book.add(idx[ins.from_], idx[ins.to], Kind.EQUITY, len(names) - 1, name))
    return rows, names, of


def table(rows: dict[str, list[Any]], names: list[str]) -> Table:
    """The equity table."""
    cols = {k: np.array(v) for k, v in rows.items()}
    cols["amount_usd"] = np.array([rows["amount_usd"]], dtype=np.float64).reshape(1, -1)
    cols["default_month"] = np.full((1, len(names)), NEVER, dtype=np.int64)
    return Table("equity", tuple(names), cols)


@jit_small
def _callable(k: Any, pr: int, q: int, s: Any, paid: int, missed: int, reissue: int, b: int) -> float:
    """What can still be called on open commitment q on path b (USD): its unpaid calls not yet re-issued this
    month plus what it has not yet been called for."""
    return s[reissue + q, b] + max(k.PF[k.o[C.equity_amount_usd] + q, pr] - s[paid + q, b] - s[missed + q, b],
                                   0.0)


@jit
def call_shares_paths(k: Any, pp: int, pr0: int, t: int, first: int, count: int, s: Any, need: int, covered: int,
                      paid: int, missed: int, reissue: int, calls: int, total: int, si: Any, paths: int,
                      n_paths: int) -> None:
    """For each path listed in int row `paths` of `si` (`n_paths` of them), write into rows calls..calls +
    count of the state `s` each member's call for what the path still needs (rows ``need - covered``), pro
    rata to what can still be called on its commitment (USD).

    Rows ``paid + q``, ``missed + q`` and ``reissue + q`` of `s` are what commitment q has paid so far, what was
    called and is still unpaid, and the part of that not yet called again this month; path b's row of the
    per-path columns is ``pr0 + pp * b``; row `total` is scratch. What can be called is the unpaid calls not
    yet re-issued plus the commitment not yet called: a member that cannot pay is never called for more than
    it committed, however many obligations call its group in a month. Member by member over the paths, so
    each member's columns are read once."""
    ki, o = k.I, k.o
    for n in range(n_paths):
        s[total, si[paths, n]] = 0.0
    for j in range(count):
        q = ki[o[C.members_equity] + first + j]
        live = ki[o[C.equity_start] + q] <= t <= ki[o[C.equity_end] + q]
        for n in range(n_paths):
            b = si[paths, n]
            callable_ = _callable(k, pr0 + pp * b, q, s, paid, missed, reissue, b) if live else 0.0
            s[calls + j, b] = callable_
            s[total, b] += callable_
    for n in range(n_paths):
        b = si[paths, n]
        all_ = s[total, b]
        if all_ <= 0.0:
            for j in range(count):
                s[calls + j, b] = 0.0
            continue
        take = min(s[need, b] - s[covered, b], all_)
        for j in range(count):
            s[calls + j, b] = min(s[calls + j, b] / all_ * take, s[calls + j, b])
