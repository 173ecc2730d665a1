"""Entities' own credit lines (revolvers from outside lenders): compiled as loan facilities whose lender is
the outside world, outside the program's capital stack; never repaid inside the horizon."""

from __future__ import annotations

from typing import Any

from fundcheck.engine.instruments.loan import add_row
from fundcheck.engine.tables import LOAN_KINDS, Repay
from fundcheck.engine.timeaxis import TimeAxis
from fundcheck.scenario.schema import Scenario

__all__ = ["compile_rows"]


def compile_rows(s: Scenario, axis: TimeAxis, idx: dict[str, int], outside: int, book: Any,
                 rows: dict[str, list[Any]], names: list[str]) -> dict[int, int]:
    """Append each entity's credit line to the loan columns; returns entity id -> loan id."""
    of: dict[int, int] = {}
    for name, ent in s.entities.items():
        c = ent.credit
        if c is None:
            continue
        of[idx[name]] = add_row(
            rows, names, f"{name} credit line", book, kind=LOAN_KINDS.index("revolver"), lender=outside,
            borrower=idx[name], limit_usd=c.limit.value, rate_monthly=c.rate.value / 12.0, upfront_fee_share=0.0,
            commitment_fee_monthly=0.0, capitalise=False, max_ltc=float("nan"), upfront=False,
            start=axis.index(c.start) if c.start is not None else 0,
            end=axis.index(c.end) if c.end is not None else axis.n - 1, repay=Repay.BULLET,
            repay_months=axis.n + 1, credit_line=True, refinances=-1, refinanced_by=-1, convert_phase=-1,
            reserve_months=0, sweep_share=0.0, lockup_dscr=float("nan"), default_dscr=float("nan"), first_december=0)
    return of
