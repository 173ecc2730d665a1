"""The invariants of design.md as named checks on a simulation's outcome (a FAST control sheet).

Each check recomputes a balance from the recorded flows and compares it with the balance the kernel kept,
so a change that moves money without recording a flow shows up here. Tolerances are relative: float64
rounding grows with the amounts, so a check passes within ``RELATIVE_TOLERANCE`` of the path's money moved
(total absolute flows) plus its largest balance (at least a micro-dollar). Under ``record="summary"`` only
conservation (kept by the kernel) and the lowest cash are available; the corkscrews need every month and are
reported as None.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from fundcheck.engine.simulate import Outcome

__all__ = ["RELATIVE_TOLERANCE", "Checks", "run_checks"]

RELATIVE_TOLERANCE = 1e-12


@dataclass(frozen=True)
class Checks:
    """Largest violation of each invariant over all accounts, paths and months, in USD."""

    conservation_max_abs_usd: float  # sum of all balances, outside world included, never changes
    cash_corkscrew_max_abs_usd: float | None  # closing = opening + inflows - outflows, per account
    loan_corkscrew_max_abs_usd: float | None  # principal: closing = opening + draws + capitalised + arrears - repaid
    sources_uses_max_abs_usd: float | None  # need = paid + gap, per entity and month
    min_cash_usd: float  # lowest cash of any entity whose liquidity is modelled (>= 0 expected)
    tolerance_usd: float  # what counts as rounding: RELATIVE_TOLERANCE x (money moved + largest balance)

    @property
    def ok(self) -> bool:
        """True when every invariant holds within the tolerance."""
        errors = [self.conservation_max_abs_usd, self.cash_corkscrew_max_abs_usd, self.loan_corkscrew_max_abs_usd,
                  self.sources_uses_max_abs_usd]
        return all(e is None or e <= self.tolerance_usd for e in errors) and self.min_cash_usd >= -self.tolerance_usd

    def as_dict(self) -> dict[str, float | None]:
        """The checks as a plain dict (for JSON)."""
        return {**asdict(self), "ok": self.ok}


def _opening(history: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Opening balance of each month (paths x months x rows): `first`, then the previous month's closing."""
    prev = np.empty_like(history)
    prev[:, 0] = first
    prev[:, 1:] = history[:, :-1]
    return prev


def run_checks(out: Outcome) -> Checks:
    """Compute every named check for an outcome."""
    plan = out.plan
    scale = out.field("moved_usd")[:, 0] + out.field("largest_balance_usd")[:, 0]
    tolerance = max(RELATIVE_TOLERANCE * float(scale.max()) if out.n_paths else 0.0, 1e-6)
    conservation = float(out.field("conservation_error_usd").max())
    modelled = ~np.asarray(plan.entities.outside, dtype=bool)
    lowest = out.field("lowest_cash_usd")[:, :-1][:, modelled]
    min_cash = float(min(lowest.min(), 0.0)) if lowest.size else 0.0
    if not out.full:
        return Checks(conservation, None, None, None, min_cash, tolerance)

    lines = plan.lines
    flows = out.field("flows_usd")  # paths x months x lines
    n_accounts = len(plan.entities) + 1
    inflow = np.zeros((*flows.shape[:2], n_accounts))
    outflow = np.zeros_like(inflow)
    np.add.at(inflow, (slice(None), slice(None), lines.payee), flows)
    np.add.at(outflow, (slice(None), slice(None), lines.payer), flows)
    cash = out.field("cash_usd")
    oc = plan.entities.opening_cash_usd  # paths (or 1) x entities
    first = np.concatenate([np.broadcast_to(oc, (out.n_paths, oc.shape[1])), np.zeros((out.n_paths, 1))], axis=1)
    corkscrew = float(np.abs(cash - _opening(cash, first) - inflow + outflow).max()) if cash.size else 0.0
    total = cash.sum(axis=2)
    conservation = max(conservation, float(np.abs(total - first.sum(axis=1)[:, None]).max()) if total.size else 0.0)

    principal = out.field("principal_usd")
    loans = plan.loans
    draws = flows[:, :, loans.draw_line]
    repaid = flows[:, :, loans.principal_line]
    err = principal - _opening(principal, np.zeros(principal[:, 0].shape)) - draws - out.field("capitalised_usd") \
        - out.field("arrears_usd") + repaid
    loan_err = float(np.abs(err).max()) if err.size else 0.0

    need, gap = out.field("need_usd"), out.field("gap_usd")
    paid = outflow[:, :, :-1]
    su = np.abs(need - gap - paid)[:, :, modelled]
    sources_uses = float(su.max()) if su.size else 0.0
    return Checks(conservation, corkscrew, loan_err, sources_uses, min_cash, tolerance)
