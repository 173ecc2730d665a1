"""Repayment profiles of a loan after its drawing window (a strategy chosen per loan).

At conversion (the month after the window ends) the balance then outstanding and not overdue is the
``base``; repayment runs over ``n`` months, month ``j`` = 1..n. Anything left in month n, and anything
overdue, is due in full. Interest on the whole balance is due separately every month.

- bullet: nothing until month n, then everything;
- equal principal ('amortizing'): base / n a month;
- level payment (annuity): principal + interest is the same every month on schedule: the principal part of
  month j is A (1 + r)^-(n - j + 1) with A = base r / (1 - (1 + r)^-n), as numpy-financial's ``ppmt``;
- sculpted: base x share_j, the shares set when the plan is compiled so that on the base case principal +
  interest is the borrower's CFADS / DSCR every month (``engine.plan``, ``finance.sculpted_schedule``).
"""

from __future__ import annotations

from fundcheck.engine.instruments._jit import jit_small as jit
from fundcheck.engine.tables import Repay

__all__ = ["scheduled_principal"]

_BULLET = int(Repay.BULLET)
_EQUAL = int(Repay.EQUAL_PRINCIPAL)
_SCULPTED = int(Repay.SCULPTED)


@jit
def scheduled_principal(profile: int, base: float, rate: float, n: int, j: int, current: float,
                        share: float) -> float:
    """Principal falling due in repayment month j (1-based) of n, never more than `current` (not yet due), USD;
    `share` is a sculpted loan's share of `base` for month j."""
    if j <= 0:
        return 0.0
    if j >= n:
        return current
    if profile == _BULLET:
        due = 0.0
    elif profile == _SCULPTED:
        due = base * share
    elif profile == _EQUAL or rate == 0.0:
        due = base / n
    else:
        payment = base * rate / (1.0 - (1.0 + rate) ** (-n))
        due = payment * (1.0 + rate) ** (-(n - j + 1))
    return min(due, current)
