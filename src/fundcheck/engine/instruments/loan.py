"""Loan facilities (construction and term loans, bridges, vendor financing, bonds): compile, and kernel parts.

Inside the window a loan is drawn as the borrower needs it (or in whole at ``start`` for a bond), up to its
limit and the borrower's loan-to-cost cap; a refinancing (``refinances``) is drawn only as the principal of the
loan it refinances falls due, and paid straight to that loan's lender. A loan with ``convert_at`` stops drawing
the month before its phase energizes on the path (a construction loan converting to a term loan) and repays
from then. Interest accrues monthly on the whole balance. Inside the window with ``capitalise_interest`` it is
added to principal **as far as the limit allows**; the rest, and all interest after the window, is due in
cash. The upfront fee is capitalised in the first month (within the limit). Unpaid interest and missed
principal become overdue: they stay on the balance and are due again next month in full (never re-spread).
After the window, principal follows the loan's repayment profile.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fundcheck.engine.instruments._jit import jit_small as jit
from fundcheck.engine.tables import LOAN_KINDS, NEVER, C, Kind, Repay, Table
from fundcheck.engine.timeaxis import TimeAxis
from fundcheck.scenario.schema import Loan, Scenario

__all__ = ["REPAY_CODES", "compile_rows", "rate", "room", "table"]

REPAY_CODES = {"bullet": Repay.BULLET, "amortizing": Repay.EQUAL_PRINCIPAL, "equal_principal": Repay.EQUAL_PRINCIPAL,
               "level_payment": Repay.LEVEL_PAYMENT, "annuity": Repay.LEVEL_PAYMENT, "sculpted": Repay.SCULPTED}
COLS = ("kind", "lender", "borrower", "limit_usd", "rate_monthly", "upfront_fee_share", "commitment_fee_monthly",
        "capitalise", "max_ltc", "upfront", "start", "end", "repay", "repay_months", "credit_line", "draw_line",
        "interest_line", "principal_line", "fee_line", "refinances", "refinanced_by", "convert_phase",
        "reserve_months", "sweep_share", "lockup_dscr", "default_dscr", "first_december")


def add_row(rows: dict[str, list[Any]], names: list[str], name: str, book: Any, **values: Any) -> int:
    """Append one facility (and declare its four ledger lines); returns its id."""
    k = len(names)
    names.append(name)
    lender, borrower = values["lender"], values["borrower"]
    values["draw_line"] = book.add(lender, borrower, Kind.DRAW, k, name)
    values["interest_line"] = book.add(borrower, lender, Kind.INTEREST, k, name)
    values["principal_line"] = book.add(borrower, lender, Kind.PRINCIPAL, k, name)
    values["fee_line"] = book.add(borrower, lender, Kind.COMMITMENT_FEE, k, name)
    for c in COLS:
        rows[c].append(values[c])
    return k


def compile_rows(s: Scenario, axis: TimeAxis, idx: dict[str, int], book: Any
                 ) -> tuple[dict[str, list[Any]], list[str], dict[int, int]]:
    """Columns of the loan table, its row names, and scenario instrument index -> loan id."""
    rows: dict[str, list[Any]] = {c: [] for c in COLS}
    names: list[str] = []
    of: dict[int, int] = {}
    for i, ins in enumerate(s.instruments):
        if not isinstance(ins, Loan):
            continue
        of[i] = add_row(
            rows, names, s.instrument_name(i), book, kind=LOAN_KINDS.index(ins.kind), lender=idx[ins.from_],
            borrower=idx[ins.to], limit_usd=ins.limit.value, rate_monthly=ins.rate.value / 12.0,
            upfront_fee_share=0.0 if ins.upfront_fee is None else ins.upfront_fee.value,
            commitment_fee_monthly=0.0 if ins.commitment_fee is None else ins.commitment_fee.value / 12.0,
            capitalise=ins.capitalise_interest, max_ltc=np.nan if ins.max_ltc is None else ins.max_ltc.value,
            upfront=ins.draw == "upfront", start=axis.index(ins.start) if ins.start is not None else 0,
            end=axis.index(ins.end) if ins.end is not None else axis.n - 1, repay=REPAY_CODES[ins.repay.kind],
            repay_months=ins.repay.months, credit_line=False, refinances=-1, refinanced_by=-1,
            convert_phase=-1 if ins.convert_at is None else phase_id(s, ins.convert_at.site, ins.convert_at.phase),
            reserve_months=ins.reserve_months or 0, sweep_share=0.0 if ins.sweep is None else ins.sweep.value,
            lockup_dscr=_ratio(ins.covenants, "lockup_dscr"), default_dscr=_ratio(ins.covenants, "default_dscr"),
            first_december=_first_december(axis))
    for i, ins in enumerate(s.instruments):  # a refinancing and the loan it refinances point at each other
        if isinstance(ins, Loan) and ins.refinances is not None:
            j = names.index(ins.refinances)
            rows["refinances"][of[i]] = j
            rows["refinanced_by"][j] = of[i]
    return rows, names, of


def _ratio(covenants: Any, name: str) -> float:
    value = None if covenants is None else getattr(covenants, name)
    return np.nan if value is None else float(value.value)


def _first_december(axis: TimeAxis) -> int:
    """The month index of the horizon's first December."""
    return next(t for t in range(12) if axis.label(t).endswith("-12")) if axis.n else 0


def phase_id(s: Scenario, site: str, phase: str | None) -> int:
    """The id of `site`'s phase named `phase` (its last phase for None) in the phases table (site by site,
    phases in file order)."""
    first = 0
    for name, st in s.sites.items():
        if name == site:
            names = [p.name for p in st.phases]
            return first + (len(names) - 1 if phase is None else names.index(phase))
        first += len(st.phases)
    raise KeyError(site)


def table(rows: dict[str, list[Any]], names: list[str], n_months: int) -> Table:
    """The loans table (a sculpted loan's shares are set once the plan is compiled: ``engine.plan``)."""
    cols = {k: np.array(v) for k, v in rows.items()}
    cols["sculpt_share"] = np.zeros((len(names), n_months))
    cols["dscr_capacity_usd"] = np.full(len(names), np.inf)
    for k in ("limit_usd", "rate_monthly"):
        cols[k] = np.array([rows[k]], dtype=np.float64).reshape(1, -1)
    cols["rate_shift_monthly"] = np.zeros((1, len(names)))
    cols["rate_shift_start"] = np.full((1, len(names)), NEVER, dtype=np.int64)
    cols["default_month"] = np.full((1, len(names)), NEVER, dtype=np.int64)
    return Table("loans", tuple(names), cols)


@jit
def room(limit: float, principal: float, max_ltc: float, debt: float, cost: float, for_capex: bool) -> float:
    """How much more can be drawn now: headroom under the limit and the loan-to-cost cap, USD.

    The borrower's project debt B (all its facilities but credit lines) after drawing D stays within ltc of
    its cost so far, this month's capex included: B + D <= ltc (cost + D) when D pays capex, else
    B + D <= ltc cost."""
    out = max(limit - principal, 0.0)
    if max_ltc == max_ltc:  # not NaN: a cap is set
        if for_capex:
            cap = (max_ltc * cost - debt) / (1.0 - max_ltc) if max_ltc < 1.0 else out
        else:
            cap = max_ltc * cost - debt
        out = min(out, max(cap, 0.0))
    return out


@jit
def rate(k: Any, pr: int, t: int, i: int) -> float:
    """Loan i's interest rate in month t on path row pr, its rate shift included (per month)."""
    o = k.o
    r = k.PF[o[C.loans_rate_monthly] + i, pr]
    if t >= k.PI[o[C.loans_rate_shift_start] + i, pr]:
        r += k.PF[o[C.loans_rate_shift_monthly] + i, pr]
    return r
