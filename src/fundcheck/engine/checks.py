"""The invariants of design.md as named checks on a simulation's outcome (a FAST control sheet).

Each check recomputes a balance from the ledger's flows and compares it with the balance the simulation
kept, so a change that moves money without recording a flow shows up here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from fundcheck.engine.simulate import KIND, Outcome

__all__ = ["Checks", "run_checks"]

TOLERANCE_USD = 1.0


@dataclass(frozen=True)
class Checks:
    """Largest violation of each invariant over all accounts, paths and months, in USD."""

    conservation_max_abs_usd: float  # sum of all balances, outside world included, never changes
    cash_corkscrew_max_abs_usd: float  # closing = opening + inflows - outflows, per account
    loan_corkscrew_max_abs_usd: float  # principal: closing = opening + draws + capitalised - repaid
    sources_uses_max_abs_usd: float  # need = paid + gap, per entity and month
    min_cash_usd: float  # lowest cash of any entity whose liquidity is modelled (>= 0 expected)

    @property
    def ok(self) -> bool:
        """True when every invariant holds to within a dollar."""
        return (max(self.conservation_max_abs_usd, self.cash_corkscrew_max_abs_usd,
                    self.loan_corkscrew_max_abs_usd, self.sources_uses_max_abs_usd) < TOLERANCE_USD
                and self.min_cash_usd > -TOLERANCE_USD)

    def as_dict(self) -> dict[str, float]:
        """The checks as a plain dict (for JSON)."""
        return asdict(self)


def _previous(history: np.ndarray, opening: np.ndarray) -> np.ndarray:
    """Opening balance of each month: the opening value, then the previous month's closing."""
    prev = np.empty_like(history)
    prev[..., 0] = opening
    prev[..., 1:] = history[..., :-1]
    return prev


def run_checks(out: Outcome) -> Checks:
    """Compute every named check for an outcome."""
    plan, ledger = out.plan, out.ledger
    opening = np.array([e.opening_cash_usd for e in plan.entities] + [0.0])[:, None] * np.ones(out.n_paths)
    total = out.cash_usd.sum(axis=0)
    conservation = float(np.max(np.abs(total - opening.sum(axis=0)[:, None]))) if total.size else 0.0

    corkscrew = 0.0
    for a in range(len(plan.entities) + 1):
        moved = ledger.inflows(a) - ledger.outflows(a)
        err = out.cash_usd[a] - _previous(out.cash_usd[a], opening[a]) - moved
        corkscrew = max(corkscrew, float(np.max(np.abs(err))) if err.size else 0.0)

    loans = 0.0
    for k, loan in enumerate(plan.loans):
        draws = ledger.total(KIND.DRAW, loan.name)
        repaid = ledger.total(KIND.PRINCIPAL, loan.name)
        hist = out.principal_usd[k]
        err = hist - _previous(hist, np.zeros(out.n_paths)) - draws - out.capitalised_usd[k] + repaid
        loans = max(loans, float(np.max(np.abs(err))) if err.size else 0.0)

    sources_uses = 0.0
    lowest = 0.0
    for e, ent in enumerate(plan.entities):
        if ent.outside:
            continue
        err = out.need_usd[e] - out.gap_usd[e] - ledger.outflows(e)
        sources_uses = max(sources_uses, float(np.max(np.abs(err))) if err.size else 0.0)
        lowest = min(lowest, float(out.cash_usd[e].min()) if out.cash_usd[e].size else 0.0)

    # conservation covers both ways money could appear or vanish: in total, and account by account
    return Checks(conservation_max_abs_usd=max(conservation, corkscrew), cash_corkscrew_max_abs_usd=corkscrew,
                  loan_corkscrew_max_abs_usd=loans, sources_uses_max_abs_usd=sources_uses, min_cash_usd=lowest)
