"""Distribution waterfalls: who receives each dollar an entity distributes, tier by tier, month by month.

Computed with running accounts, never by solving for an IRR inside the allocation:

- contributed_j, received_j: cumulative capital in and money out per party (USD);
- a hurdle account per party and hurdle rate r: ``B_j(t) = B_j(t-1) * (1 + r)^(1/12) + C_j(t) - R_j(t)``.
  It is zero exactly when the party's IRR on its flows so far reaches r (annual, effective), so a tier that
  pays "until an 8% IRR" pays until the account reaches zero;
- carried_j: what a catch-up party has received as carry (catch-up and split tiers).

Each month's distributable amount flows through the tiers in order. Each tier has a capacity (what it takes to
meet its condition) worked out from those accounts, and takes the smaller of that capacity and what is left:

- ``capital``: to the investors, pro rata to unreturned capital ``max(C_j - R_j, 0)``;
- ``hurdle``: to the investors until each has an IRR of ``rate`` (hurdle account at zero) or ``multiple`` x capital;
- ``catch_up``: a share ``c`` to the GP (the rest to investors pro rata to capital) until the GP's carry equals
  ``carry`` x profit, where profit = distributions so far - capital: ``X = (carry (S - K) - G) / (c - carry)``;
- ``split``: fixed shares (investors pro rata to capital inside their share), optionally until the investors reach
  a hurdle (``X = B_group / s_group``). Without ``until`` it takes everything left.

**Caps**: a party's total receipts never exceed ``cap`` x its contribution. Anything a tier would pay it past its
cap goes to the waterfall's beneficiary (the capped-profit structure). Each month is rounded to the cent: every
party's amount is a whole number of cents, and the amounts add up to the distribution exactly.

Arrays are ``parties x paths x months`` (contributions) and ``paths x months`` (distributions).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Tier", "Waterfall", "WaterfallResult", "american", "european"]


@dataclass(frozen=True)
class Tier:
    """One tier of a waterfall (see the module docstring for each kind)."""

    kind: str  # capital | hurdle | catch_up | split
    investors: tuple[int, ...] = ()  # parties whose capital and hurdles the tier tests and pays
    rate: float | None = None  # hurdle (or split `until`): annual IRR
    multiple: float | None = None  # hurdle (or split `until`): multiple of capital
    gp: int | None = None  # catch_up: the party catching up
    gp_share: float = 1.0  # catch_up: share of the tier's money to the GP (1 = full catch-up)
    carry: float = 0.0  # catch_up: the GP's target share of profit
    shares: tuple[tuple[int, float], ...] = ()  # split: (party, share) for named parties
    investors_share: float = 0.0  # split: the investors' share, spread pro rata to capital
    investor_weights: tuple[float, ...] = ()  # split: fixed weights (stakes) instead of capital
    name: str = ""


@dataclass(frozen=True)
class Waterfall:
    """Parties, their caps, the beneficiary of capped excess, and the ordered tiers."""

    parties: tuple[str, ...]
    tiers: tuple[Tier, ...]
    caps: tuple[float, ...] = ()  # per party: multiple of contribution (inf for none)
    beneficiary: int | None = None

    def cap(self, j: int) -> float:
        """The cap multiple of party j (infinite without one)."""
        return self.caps[j] if self.caps else float("inf")


@dataclass
class WaterfallResult:
    """Who received what, per party, path and month, and how much each tier paid out."""

    parties: tuple[str, ...]
    paid_usd: np.ndarray  # parties x paths x months
    contributed_usd: np.ndarray  # parties x paths x months
    by_tier_usd: np.ndarray  # tiers x parties x paths (over the horizon)
    capped_excess_usd: np.ndarray  # parties x paths: what their caps sent to the beneficiary
    clawback_usd: np.ndarray = field(default_factory=lambda: np.zeros(0))  # paths (American only)

    def totals(self, path: int = 0) -> dict[str, float]:
        """Total received per party on one path, USD."""
        return {p: float(self.paid_usd[j, path].sum()) for j, p in enumerate(self.parties)}


def _pro_rata(weights: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Split `amount` (paths) over rows of `weights` (k x paths) in proportion; zero weights get nothing."""
    total = weights.sum(axis=0)
    share = np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)
    return share * amount


def _round_cents(alloc: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Round each party's amount (parties x paths) to cents so that they add up to `total` rounded to cents."""
    cents = alloc * 100.0
    floor = np.floor(cents + 1e-6)
    target = np.round(total * 100.0)
    short = (target - floor.sum(axis=0)).astype(np.int64)
    order = np.argsort(-(cents - floor), axis=0, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(alloc.shape[0])[:, None].repeat(alloc.shape[1], axis=1), axis=0)
    floor += (ranks < short[None, :]) & (short[None, :] > 0)
    floor -= (ranks >= alloc.shape[0] + short[None, :]) & (short[None, :] < 0)  # rare: floors over-count
    return floor / 100.0


def european(wf: Waterfall, contributions: np.ndarray, distributions: np.ndarray) -> WaterfallResult:
    """Allocate whole-fund distributions through the tiers, month by month (see module docstring)."""
    n, n_paths, n_months = contributions.shape
    rates = sorted({t.rate for t in wf.tiers if t.rate is not None})
    monthly = {r: (1.0 + r) ** (1.0 / 12.0) - 1.0 for r in rates}
    hurdle = {r: np.zeros((n, n_paths)) for r in rates}
    contributed = np.zeros((n, n_paths))
    received = np.zeros((n, n_paths))
    carried = np.zeros((n, n_paths))
    room = np.full((n, n_paths), np.inf)
    caps = np.array([wf.cap(j) for j in range(n)])
    uncapped = np.isinf(caps)[:, None]
    finite_caps = np.where(uncapped[:, 0], 0.0, caps)[:, None]
    paid = np.zeros((n, n_paths, n_months))
    by_tier = np.zeros((len(wf.tiers), n, n_paths))
    excess_total = np.zeros((n, n_paths))

    for t in range(n_months):
        c_t = contributions[:, :, t]
        contributed += c_t
        for r in rates:
            hurdle[r] = hurdle[r] * (1.0 + monthly[r]) + c_t
        room = np.where(uncapped, np.inf, finite_caps * contributed - received)
        left = distributions[:, t].astype(float).copy()
        month = np.zeros((n, n_paths))
        month_carry = np.zeros((n, n_paths))
        for k, tier in enumerate(wf.tiers):
            if not np.any(left > 0):
                break
            got = received + month  # receipts so far, this month included
            alloc, to_carry = _tier(tier, left, contributed, got, carried + month_carry,
                                    {r: hurdle[r] - month for r in rates})
            capped = np.minimum(alloc, np.maximum(room - month, 0.0))
            excess = alloc - capped
            if wf.beneficiary is not None:
                capped[wf.beneficiary] += excess.sum(axis=0)
                excess_total += excess
            month += capped
            month_carry += np.where(alloc > 0, to_carry * capped / np.where(alloc > 0, alloc, 1.0), 0.0)
            by_tier[k] += capped
            left = left - alloc.sum(axis=0)
        if np.any(left > 1e-6):  # nothing left to pay it to: the residual goes to the beneficiary, else pro rata
            j = wf.beneficiary
            if j is None:
                month += _pro_rata(np.maximum(contributed, 0.0), left)
            else:
                month[j] += left
        month = _round_cents(month, distributions[:, t])
        received += month
        carried += np.round(month_carry, 2)
        for r in rates:
            hurdle[r] -= month
        paid[:, :, t] = month
    return WaterfallResult(wf.parties, paid, contributions.copy(), np.round(by_tier, 2), np.round(excess_total, 2))


def _tier(tier: Tier, left: np.ndarray, contributed: np.ndarray, received: np.ndarray, carried: np.ndarray,
          hurdle: dict[float, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Amounts (parties x paths) a tier pays out of `left`, and the part of them that is carry."""
    n, n_paths = contributed.shape
    alloc = np.zeros((n, n_paths))
    carry = np.zeros((n, n_paths))
    inv = list(tier.investors)
    if tier.kind in ("capital", "hurdle"):
        if tier.kind == "capital":
            need = np.maximum(contributed[inv] - received[inv], 0.0)
        elif tier.rate is not None:
            need = np.maximum(hurdle[tier.rate][inv], 0.0)
        else:
            need = np.maximum(tier.multiple * contributed[inv] - received[inv], 0.0)
        x = np.minimum(left, need.sum(axis=0))
        alloc[inv] = _pro_rata(need, x)
    elif tier.kind == "catch_up":
        profit = received.sum(axis=0) - contributed.sum(axis=0)
        g = tier.gp
        x = np.maximum((tier.carry * profit - carried[g]) / (tier.gp_share - tier.carry), 0.0)
        x = np.minimum(left, x)
        alloc[g] += tier.gp_share * x
        carry[g] += tier.gp_share * x
        alloc[inv] += _pro_rata(np.maximum(contributed[inv], 0.0), (1.0 - tier.gp_share) * x)
    else:  # split
        x = left
        if tier.rate is not None or tier.multiple is not None:
            if tier.rate is not None:
                group = np.maximum(hurdle[tier.rate][inv], 0.0).sum(axis=0)
            else:
                group = np.maximum(tier.multiple * contributed[inv] - received[inv], 0.0).sum(axis=0)
            x = np.minimum(left, group / tier.investors_share)
        for j, share in tier.shares:
            alloc[j] += share * x
            carry[j] += share * x
        if inv:
            basis = (np.repeat(np.array(tier.investor_weights, dtype=float)[:, None], n_paths, axis=1)
                     if tier.investor_weights else np.maximum(contributed[inv], 0.0))
            alloc[inv] += _pro_rata(basis, tier.investors_share * x)
    return alloc, carry


def american(wf: Waterfall, deals: list[tuple[np.ndarray, np.ndarray]], gp: int) -> WaterfallResult:
    """Deal by deal: each deal's distributions go through the tiers on that deal's own capital; at the last
    month the GP gives back any carry above what the whole-fund (European) waterfall would have paid it,
    to the investors in proportion to what they are short of the whole-fund outcome."""
    parts = [european(wf, c, d) for c, d in deals]
    paid = sum(p.paid_usd for p in parts)
    contributions = sum(c for c, _ in deals)
    distributions = sum(d for _, d in deals)
    whole = european(wf, contributions, distributions)
    gp_deal = paid[gp].sum(axis=1)
    gp_whole = whole.paid_usd[gp].sum(axis=1)
    clawback = np.round(np.maximum(gp_deal - gp_whole, 0.0), 2)
    short = np.maximum(whole.paid_usd.sum(axis=2) - paid.sum(axis=2), 0.0)
    short[gp] = 0.0
    give = _round_cents(_pro_rata(short, clawback), clawback)
    paid = paid.copy()
    paid[gp, :, -1] -= clawback
    paid[:, :, -1] += give
    return WaterfallResult(wf.parties, paid, contributions, sum(p.by_tier_usd for p in parts),
                           sum(p.capped_excess_usd for p in parts), clawback)
