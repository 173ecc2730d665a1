"""Term debt at the finance level: sculpted, level-payment and level-principal schedules, sizing by DSCR and
gearing, and the cover ratios a lender reads (DSCR, LLCR). Vectorized over any leading shape (last axis =
periods of the repayment tenor; period 0 is the first repayment period).

Conventions, the engine's (`engine/instruments/repayment.py`, the scenario's loan `rate`):

- money is USD per period; cash available for debt service (CFADS) and debt service fall at the end of each
  period; interest is charged on the balance open at the start of the period;
- ``rate`` is the loan's annual nominal rate, accrued per period as rate / periods_per_year (the engine's
  monthly rate is rate / 12); with ``periods_per_year=1`` it is simply the annual rate. Discount rates for NPV
  and IRR elsewhere in `finance` are annual effective: a loan rate is not one;
- a DSCR is CFADS / debt service in one period (a target of 1.3 = cash covers service 1.3 times).

Sculpting: the debt service in period t is max(CFADS_t, 0) / DSCR_t, the debt is the present value of that
service at the loan rate over the tenor, and principal_t = service_t - interest on the opening balance, so the
balance reaches exactly 0 at the end of the tenor and the DSCR is the target in every period with cash. In a
period with no cash the service is 0 and the interest is capitalised (negative principal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from fundcheck.errors import UsageError

__all__ = ["Coverage", "DebtSchedule", "DebtSizing", "dscr", "level_payment", "level_principal", "llcr", "sculpt",
           "sculpt_capacity", "sculpt_shape", "sculpted_schedule", "size_debt"]


@dataclass(frozen=True)
class DebtSchedule:
    """A term loan's corkscrew per period: closing = opening - principal, service = principal + interest (USD)."""

    balance_open_usd: np.ndarray
    principal_usd: np.ndarray
    interest_usd: np.ndarray

    @property
    def size_usd(self) -> np.ndarray:
        """The debt at the start of the tenor."""
        return self.balance_open_usd[..., 0]

    @property
    def debt_service_usd(self) -> np.ndarray:
        return self.principal_usd + self.interest_usd

    @property
    def balance_close_usd(self) -> np.ndarray:
        return self.balance_open_usd - self.principal_usd


class DebtSizing(NamedTuple):
    """``size_debt``: the debt (USD), what each test alone allows, and which one binds ('dscr' or 'gearing')."""

    size_usd: np.ndarray
    dscr_sized_usd: np.ndarray
    gearing_sized_usd: np.ndarray
    binding: np.ndarray


class Coverage(NamedTuple):
    """``dscr``: the ratio per period (NaN where no debt service is due), and its minimum and average over the
    periods with debt service (NaN where there are none)."""

    per_period: np.ndarray
    minimum: np.ndarray
    average: np.ndarray


def _rate_period(rate: float | np.ndarray, periods_per_year: float) -> np.ndarray:
    if not (np.isfinite(periods_per_year) and periods_per_year > 0):
        raise UsageError(f"periods_per_year must be a positive number, not {periods_per_year!r}")
    r = np.asarray(rate, dtype=float) / periods_per_year
    if not np.all(np.isfinite(r)) or np.any(r <= -1.0):
        raise UsageError(f"a loan rate must be finite and above -{periods_per_year:g} (-100% a period), not {rate!r}")
    return r


def _tenor_mask(n_periods: int, tenor_periods: int | None) -> np.ndarray:
    if tenor_periods is None:
        return np.ones(n_periods, dtype=bool)
    if not 0 < tenor_periods <= n_periods:
        raise UsageError(f"the tenor ({tenor_periods} periods) must be 1 to the {n_periods} periods of CFADS given")
    return np.arange(n_periods) < tenor_periods


def _target_service(cfads: np.ndarray, dscr: float | np.ndarray, tenor_periods: int | None) -> np.ndarray:
    """max(CFADS, 0) / DSCR within the tenor, 0 after it (USD per period)."""
    target = np.asarray(dscr, dtype=float)
    if not np.all(np.isfinite(target)) or np.any(target <= 0.0):
        raise UsageError(f"a DSCR target must be a positive number, not {dscr!r}")
    service = np.maximum(cfads, 0.0) / target
    return np.where(_tenor_mask(cfads.shape[-1], tenor_periods), service, 0.0)


def _schedule_from_service(service: np.ndarray, r: np.ndarray) -> DebtSchedule:
    """The schedule whose debt service is `service` (USD per period) and that ends at 0: the opening balance of
    period t is the present value of the service from t on, B_t = sum_(s >= t) service_s (1 + r)^-(s - t + 1),
    summed from the end (each balance from later payments only, so late balances keep their precision)."""
    n = service.shape[-1]
    t = np.arange(n, dtype=float)
    r = np.asarray(r, dtype=float)[..., None]
    discount = (1.0 + r) ** -(t + 1.0)  # end of period t, seen from the start of period 0
    pv_from = np.cumsum((service * discount)[..., ::-1], axis=-1)[..., ::-1]
    balance = pv_from * (1.0 + r) ** t
    interest = r * balance
    return DebtSchedule(balance_open_usd=balance, principal_usd=service - interest, interest_usd=interest)


def sculpted_schedule(cfads: np.ndarray, dscr: float | np.ndarray, rate: float | np.ndarray,
                      periods_per_year: float = 12, *, tenor_periods: int | None = None,
                      size_usd: float | np.ndarray | None = None) -> DebtSchedule:
    """Debt sculpted to a DSCR target: service_t = max(CFADS_t, 0) / DSCR_t (USD per period) over the tenor
    (``tenor_periods``, default all periods of `cfads`), debt = its present value at the loan rate.

    `dscr` is a number or one per period (broadcast against `cfads`); `rate` is annual nominal, accrued as
    rate / periods_per_year. With ``size_usd`` (e.g. a gearing-limited size from ``size_debt``) the service is
    scaled to repay that debt instead, the same shape: the DSCR is then target x (sculpted size / size_usd)."""
    cf = np.asarray(cfads, dtype=float)
    r = _rate_period(rate, periods_per_year)
    service = _target_service(cf, dscr, tenor_periods)
    if size_usd is not None:
        full = _schedule_from_service(service, r).size_usd
        size = np.asarray(size_usd, dtype=float)
        scale = np.divide(size, full, out=np.zeros(np.broadcast_shapes(size.shape, full.shape)), where=full > 0)
        if np.any((full <= 0) & (size > 0)):
            raise UsageError("cannot sculpt a debt: no cash available for debt service within the tenor")
        service = service * np.asarray(scale)[..., None]
    return _schedule_from_service(service, r)


def sculpt(cfads: np.ndarray, dscr: float | np.ndarray, rate: float | np.ndarray,
           periods_per_year: float = 12, *, tenor_periods: int | None = None) -> np.ndarray:
    """Principal repaid per period (USD) of debt sculpted to `dscr` on `cfads` (USD per period, last axis =
    periods) at the annual nominal loan `rate`; ``sculpted_schedule`` gives the balances, interest and size."""
    return sculpted_schedule(cfads, dscr, rate, periods_per_year, tenor_periods=tenor_periods).principal_usd


def size_debt(cfads: np.ndarray, dscr: float | np.ndarray, rate: float | np.ndarray,
              max_gearing: float | np.ndarray | None = None, capex: float | np.ndarray | None = None,
              periods_per_year: float = 12, *, tenor_periods: int | None = None) -> DebtSizing:
    """The debt a lender offers (USD): the lesser of the DSCR-sized debt (the present value of
    max(CFADS, 0) / DSCR over the tenor at the loan rate, as ``sculpted_schedule``) and max_gearing x capex
    (gearing = debt / capex, 0 to 1). Without ``max_gearing`` only the DSCR test applies."""
    cf = np.asarray(cfads, dtype=float)
    by_dscr = _schedule_from_service(_target_service(cf, dscr, tenor_periods),
                                     _rate_period(rate, periods_per_year)).size_usd
    if (max_gearing is None) != (capex is None):
        raise UsageError("size_debt: give both max_gearing and capex, or neither")
    if max_gearing is None:
        by_gearing = np.full_like(by_dscr, np.inf)
    else:
        gearing = np.asarray(max_gearing, dtype=float)
        if not np.all((gearing >= 0.0) & (gearing <= 1.0)):
            raise UsageError(f"max_gearing is debt / capex, from 0 to 1, not {max_gearing!r}")
        by_gearing = np.broadcast_to(gearing * np.asarray(capex, dtype=float), by_dscr.shape).astype(float)
    size = np.minimum(by_dscr, by_gearing)
    binding = np.where(by_gearing < by_dscr, "gearing", "dscr")
    return DebtSizing(size[()], by_dscr[()], by_gearing[()], binding[()])


def _repaid_by(cf: np.ndarray, dscr: float, rate: float, balance: float, scale: float = 1.0) -> np.ndarray:
    """The principal repaid each month (USD) of a `balance` at the monthly `rate` when each month's service is
    scale x max(CFADS, 0) / DSCR: principal is what the service leaves after the month's interest, never
    negative (after conversion interest is paid in cash, never capitalised) and never more than is left."""
    out = np.zeros(len(cf))
    left = balance
    for j, c in enumerate(cf):
        paid = min(max(scale * max(c, 0.0) / dscr - rate * left, 0.0), left)
        out[j] = paid
        left -= paid
    return out


def sculpt_capacity(cf: np.ndarray, dscr: float, rate: float) -> float:
    """The largest debt (USD) that service of max(CFADS, 0) / DSCR a period repays within len(cf) periods at
    the per-period `rate` when interest is always paid in cash (``_repaid_by``, the month kernel's convention
    after conversion): the present value of the service when it always covers the interest, more when some
    periods' cash does not (those periods repay nothing and pay interest only). ``size_debt`` instead lets
    interest capitalise in such periods."""
    lo, hi = 0.0, float(np.maximum(cf, 0.0).sum() / dscr)
    for _ in range(200):  # bisection: the balance left after the tenor is zero up to the capacity, then grows
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if mid - _repaid_by(cf, dscr, rate, mid).sum() <= 1e-12 * max(mid, 1.0):
            lo = mid
        else:
            hi = mid
    return lo


def sculpt_shape(cf: np.ndarray, dscr: float, rate: float, balance: float) -> np.ndarray | None:
    """The principal each period (USD) that repays `balance` within len(cf) periods with service proportional
    to max(CFADS, 0) (the sculpted shape, scaled to the balance), interest paid in cash as ``sculpt_capacity``;
    None if no cash ever comes."""
    if balance <= 0.0 or not (np.asarray(cf) > 0.0).any():
        return None
    lo, hi = 0.0, 1.0
    while balance - _repaid_by(cf, dscr, rate, balance, hi).sum() > 1e-13 * balance:
        lo, hi = hi, 2.0 * hi
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if balance - _repaid_by(cf, dscr, rate, balance, mid).sum() > 1e-13 * balance:
            lo = mid
        else:
            hi = mid
    return _repaid_by(cf, dscr, rate, balance, hi)


def level_payment(size_usd: float | np.ndarray, rate: float | np.ndarray, tenor_periods: int,
                  periods_per_year: float = 12) -> DebtSchedule:
    """An annuity: principal + interest the same every period, the principal of period j (1-based) being
    A (1 + r)^-(n - j + 1) with A = size r / (1 - (1 + r)^-n), as numpy-financial's ``ppmt`` and the engine's
    level-payment profile; equal principal where r = 0."""
    r = _rate_period(rate, periods_per_year)
    size = np.asarray(size_usd, dtype=float)
    n = int(tenor_periods)
    j = np.arange(1, n + 1, dtype=float)
    r_b = np.asarray(r)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        payment = size[..., None] * r_b / (1.0 - (1.0 + r_b) ** -n)
        principal = np.where(r_b == 0.0, size[..., None] / n, payment * (1.0 + r_b) ** -(n - j + 1.0))
    return _schedule_from_principal(size, principal, r)


def level_principal(size_usd: float | np.ndarray, rate: float | np.ndarray, tenor_periods: int,
                    periods_per_year: float = 12) -> DebtSchedule:
    """Equal principal, size / n every period, with interest on the opening balance (the engine's 'amortizing')."""
    r = _rate_period(rate, periods_per_year)
    size = np.asarray(size_usd, dtype=float)
    principal = np.broadcast_to(size[..., None] / int(tenor_periods),
                                (*np.broadcast_shapes(size.shape, r.shape), int(tenor_periods)))
    return _schedule_from_principal(size, principal, r)


def _schedule_from_principal(size: np.ndarray, principal: np.ndarray, r: np.ndarray) -> DebtSchedule:
    repaid_before = np.cumsum(principal, axis=-1) - principal
    balance = size[..., None] - repaid_before
    return DebtSchedule(balance_open_usd=balance, principal_usd=np.array(principal),
                        interest_usd=np.asarray(r)[..., None] * balance)


def dscr(cfads: np.ndarray, debt_service: np.ndarray) -> Coverage:
    """Debt service cover ratio per period, CFADS / debt service (both USD per period), with its minimum and
    arithmetic average over the periods where debt service is due (> 0)."""
    cf = np.asarray(cfads, dtype=float)
    service = np.asarray(debt_service, dtype=float)
    due = service > 0.0
    per = np.divide(cf, service, out=np.full(np.broadcast_shapes(cf.shape, service.shape), np.nan), where=due)
    due = np.broadcast_to(due, per.shape)
    count = due.sum(axis=-1)
    minimum = np.where(count > 0, np.where(due, per, np.inf).min(axis=-1, initial=np.inf), np.nan)
    average = np.divide(np.where(due, per, 0.0).sum(axis=-1), count, out=np.full(count.shape, np.nan),
                        where=count > 0)
    return Coverage(per, minimum[()], average[()])


def llcr(cfads: np.ndarray, balance_open_usd: np.ndarray, rate: float | np.ndarray,
         periods_per_year: float = 12, *, tenor_periods: int | None = None) -> np.ndarray:
    """Loan life cover ratio at the start of each period: the present value at the loan rate of CFADS from that
    period to the end of the tenor, over the debt then outstanding (NaN where nothing is). ``[..., 0]`` is the
    LLCR at the start of repayment; for debt sculpted to a constant DSCR on positive CFADS it equals that DSCR."""
    cf = np.asarray(cfads, dtype=float)
    cf = np.where(_tenor_mask(cf.shape[-1], tenor_periods), cf, 0.0)
    pv = _schedule_from_service(cf, _rate_period(rate, periods_per_year)).balance_open_usd
    balance = np.asarray(balance_open_usd, dtype=float)
    out = np.full(np.broadcast_shapes(pv.shape, balance.shape), np.nan)
    return np.divide(pv, balance, out=out, where=balance > 0.0)
