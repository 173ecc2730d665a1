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

**Who the investors are**: each tier names its investors. A catch-up party (the ``gp`` of a ``catch_up`` tier)
that puts in capital is also an investor for that capital, on the same terms as everyone else, so it is added to
the investors of every tier that pays investors by capital (``capital``, ``hurdle``, the investors' part of
``catch_up`` and of a ``split`` by capital; not a ``split`` with fixed ``investor_weights``, nor a tier that pays
no investors). What it receives as an investor is not carry: only its ``catch_up`` share and its named ``split``
share count towards the carry target. A catch-up party that puts in nothing is unaffected (its weight is zero).

**Caps**: a party's total receipts never exceed ``cap`` x its contribution. Anything a tier would pay it past its
cap goes to the waterfall's beneficiary (the capped-profit structure). Each month is rounded to the cent: every
party's amount is a whole number of cents, and the amounts add up to the distribution exactly.

Arrays are ``parties x paths x months`` (contributions) and ``paths x months`` (distributions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

__all__ = ["Tier", "Waterfall", "WaterfallResult", "american", "european", "payout_breakpoints"]


@dataclass(frozen=True)
class Tier:
    """One tier of a waterfall (see the module docstring for each kind)."""

    kind: str  # capital | hurdle | catch_up | split
    investors: tuple[int, ...] = ()  # parties whose capital and hurdles the tier tests and pays (and catch-up
    # parties with capital: see `Waterfall.with_gp_capital`)
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

    def catch_up_parties(self) -> tuple[int, ...]:
        """Indexes of the parties that catch up (the `gp` of any catch_up tier), in order."""
        return tuple(sorted({t.gp for t in self.tiers if t.kind == "catch_up" and t.gp is not None}))

    def with_gp_capital(self) -> tuple[Tier, ...]:
        """The tiers as they are run: every catch-up party is an investor, for its own capital, in each tier
        that pays investors by capital (capital, hurdle, catch_up, split without fixed weights), so a GP that
        puts money in gets it back, with the preferred return, pro rata alongside the other investors."""
        gps = self.catch_up_parties()
        out: list[Tier] = []
        for tier in self.tiers:
            by_capital = tier.kind in ("capital", "hurdle", "catch_up") or (tier.kind == "split"
                                                                            and not tier.investor_weights)
            extra = tuple(g for g in gps if g not in tier.investors)
            out.append(replace(tier, investors=tier.investors + extra) if by_capital and tier.investors and extra
                       else tier)
        return tuple(out)


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
    tiers = wf.with_gp_capital()
    rates = sorted({t.rate for t in tiers if t.rate is not None})
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
    by_tier = np.zeros((len(tiers), n, n_paths))
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
        for k, tier in enumerate(tiers):
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


# Breakpoints of a payout curve. A payout is exact to the cent (`_round_cents`); _NOISE_USD bounds its error with room
# to spare, and _NOISE_REL adds an allowance for float rounding on large values.
_NOISE_USD = 0.02
_NOISE_REL = 1e-14
_SUBDIVISIONS = 8  # new samples per unresolved stretch and round
_MIN_SAMPLES = 33  # a shorter sweep is filled in to this many evenly spaced exit values first

_Line = tuple[float, np.ndarray, np.ndarray]  # centre x, value there and slope per party (see `_line`)


def payout_breakpoints(exit_values: np.ndarray, payouts: np.ndarray,
                       payouts_at: Callable[[np.ndarray], np.ndarray], max_rounds: int = 50) -> list[float]:
    """Exit values (USD) where the share of the next dollar changes for some party (a tier fills, a cap binds),
    inside the range of `exit_values`, in increasing order, rounded to the cent.

    `payouts` (values x parties, USD) is the payout curve sampled at `exit_values` (a sweep, in any order);
    `payouts_at` runs the waterfall at other exit values (an array) and returns their payouts the same way. Each
    party's payout is piecewise linear in the exit value. The samples are split into runs that lie on one line
    (to within the cent rounding of the payouts); where two runs meet, the stretch between them is sampled again
    with the waterfall until it is as narrow as the cents can tell, and the breakpoint is where the two runs'
    lines cross. Runs with too few or badly spread samples to vouch for their line (coarse or short sweeps) are
    sampled more too. At most `max_rounds` rounds of new samples.

    A sweep of fewer than 33 values is first filled in to 33 evenly spaced ones, so that a bump (changes that
    bring a payout back onto its old line) between a few values is not missed.

    Precision: exact where the payouts are exact (a breakpoint on a grid point, or shares and caps that keep
    every payout in whole cents). Otherwise the payouts' rounding to the cent limits it: usually within a cent
    divided by the largest change in a party's share at the breakpoint (2 cents for a change of 50%), and within
    about 8 cents divided by it where a larger change is close by (a small investor's cap binding 20 units of
    exit value before a big one). Changes too small to move any payout by a few cents over the runs on either
    side are lost in the rounding, as are two changes closer together than that (reported as one), and a change
    within that distance of either end of the sweep."""
    xs = np.asarray(exit_values, dtype=float)
    order = np.argsort(xs, kind="stable")
    xs, ys = xs[order], np.asarray(payouts, dtype=float).reshape(len(xs), -1)[order]
    keep = np.concatenate([[True], np.diff(xs) > 0]) if len(xs) else np.zeros(0, dtype=bool)
    xs, ys = xs[keep], ys[keep]
    if len(xs) < 2:
        return []
    if len(xs) < _MIN_SAMPLES:  # features that leave the few samples on one line (a bump) would go unseen
        fill = np.setdiff1d(np.linspace(xs[0], xs[-1], _MIN_SAMPLES), xs)
        xs = np.concatenate([xs, fill])
        ys = np.concatenate([ys, np.asarray(payouts_at(fill), dtype=float).reshape(len(fill), -1)])
        order = np.argsort(xs, kind="stable")
        xs, ys = xs[order], ys[order]
    noise = _NOISE_USD + _NOISE_REL * max(float(np.abs(ys).max()), float(np.abs(xs).max()), 1.0)
    found: list[float] = []
    for _ in range(max(max_rounds, 1)):
        found, more = _crossings(xs, ys, 3.0 * noise)  # a chord through two samples is off by 2 x noise at most
        new = np.setdiff1d(np.unique(more), xs)
        if not new.size:
            break
        xs = np.concatenate([xs, new])
        ys = np.concatenate([ys, np.asarray(payouts_at(new), dtype=float).reshape(len(new), -1)])
        order = np.argsort(xs, kind="stable")
        xs, ys = xs[order], ys[order]
    return sorted(round(float(v), 2) for v in found)


def _runs(xs: np.ndarray, ys: np.ndarray, tol: float) -> list[tuple[int, int]]:
    """Split the samples into maximal runs (first, last index) that lie on one line: every sample of a run is
    within `tol` of the chord between the run's two ends. Each sample bounds the slope of any chord from the run's
    start past it, so the test is one comparison per sample. Testing chords from the run's start (not lines
    through the last few samples) makes a change show once the runs on both sides of it are long enough, however
    fine the grid.

    Vectorized over a window of samples after each run's start (the bounds are running maxima and minima), the
    window doubling until the run ends: the same arithmetic as a loop over samples, in O(samples) numpy work."""
    n = len(xs)
    runs: list[tuple[int, int]] = []
    start = 0
    while start < n - 1:
        width = 64
        while True:
            end = min(n, start + 1 + width)
            dx = (xs[start + 1:end] - xs[start])[:, None]
            rise = ys[start + 1:end] - ys[start]
            slope = rise / dx
            lo = np.maximum.accumulate((rise - tol) / dx, axis=0)  # bound on the slope from the samples so far
            hi = np.minimum.accumulate((rise + tol) / dx, axis=0)
            off = ((slope[1:] < lo[:-1]) | (slope[1:] > hi[:-1])).any(axis=1)  # off every chord so far
            if off.any():
                i = start + 2 + int(off.argmax())
                runs.append((start, i - 1))
                start = i
                break
            if end == n:
                runs.append((start, n - 1))
                start = n
                break
            width *= 2
    if start == n - 1 or n == 0:
        runs.append((start, n - 1))
    return runs


def _line(xs: np.ndarray, ys: np.ndarray) -> _Line:
    """Least-squares line per party through two or more samples: (centre x, value at the centre, slope)."""
    x0 = float(xs.mean())
    dx = xs - x0
    return x0, ys.mean(axis=0), (dx[:, None] * (ys - ys.mean(axis=0))).sum(axis=0) / (dx * dx).sum()


def _at(line: _Line, x: float) -> np.ndarray:
    """Value of a line (see `_line`) at x, per party."""
    return line[1] + line[2] * (x - line[0])


def _cross(left: _Line, right: _Line, near: float) -> tuple[float, float]:
    """Where two lines cross (least squares over the parties), and the largest change in a party's slope."""
    drop = left[2] - right[2]
    x = float(near - ((_at(left, near) - _at(right, near)) * drop).sum() / max(float((drop * drop).sum()), 1e-300))
    return x, float(np.abs(drop).max())


def _crossings(xs: np.ndarray, ys: np.ndarray, tol: float) -> tuple[list[float], np.ndarray]:
    """One round: the breakpoints the samples pin down, and where to sample next (empty when all is resolved).

    A run is trusted with three samples or more and no gap between them over half its length (a change inside a
    wider gap could hide from the chord test); otherwise that gap, or a short run with the stretches to its
    neighbours, is sampled. Between two trusted runs with lines L and R that differ, the change is resolved once
    the stretch between the runs is so narrow that L and R differ there by no more than a few tolerances: it is
    then where L and R cross. Until then the stretch is sampled (it may hold more than one change, whose lines
    can cross anywhere). Samples within a tolerance of a change fit either line and would tilt them, so each
    run's line is fitted again without the samples that close to the crossings at its ends, and once more."""
    runs = _runs(xs, ys, tol)
    more: list[np.ndarray] = []
    trusted: list[bool] = []
    for j, (a, b) in enumerate(runs):
        gaps = np.diff(xs[a:b + 1])
        trusted.append(bool(len(gaps) >= 2 and gaps.max() <= (xs[b] - xs[a]) / 2.0))
        if trusted[-1]:
            continue
        if len(gaps) >= 2:
            g = a + int(gaps.argmax())
            more.append(np.linspace(xs[g], xs[g + 1], _SUBDIVISIONS + 2)[1:-1])
        else:
            lo = xs[runs[j - 1][1]] if j else xs[a]
            hi = xs[runs[j + 1][0]] if j + 1 < len(runs) else xs[b]
            more.append(np.linspace(lo, hi, _SUBDIVISIONS + 2)[1:-1])
    pairs = [k for k in range(len(runs) - 1) if trusted[k] and trusted[k + 1]]
    lines = [_line(xs[a:b + 1], ys[a:b + 1]) if b > a else None for a, b in runs]
    kept = [(float(xs[a]), float(xs[b])) for a, b in runs]  # the first and last sample each line is fitted to
    for _ in range(3):
        blur: dict[int, tuple[float, float]] = {}  # boundary -> (crossing, how far either side a sample fits both)
        for k in pairs:
            left, right = lines[k], lines[k + 1]
            assert left is not None and right is not None
            x_star, drop = _cross(left, right, xs[runs[k][1]])
            blur[k] = (x_star, 2.0 * tol / max(drop, 1e-300))
        for j, (a, b) in enumerate(runs):
            clear = np.full(b - a + 1, np.inf)  # how far each sample is outside the blur of the changes at the ends
            if j - 1 in blur:
                clear = np.minimum(clear, xs[a:b + 1] - sum(blur[j - 1]))
            if j in blur:
                clear = np.minimum(clear, blur[j][0] - blur[j][1] - xs[a:b + 1])
            if len(clear) >= 2 and np.isfinite(clear).any():
                keep = clear >= 0 if (clear >= 0).sum() >= 2 else clear >= np.sort(clear)[-2]  # or the 2 clearest
                lines[j] = _line(xs[a:b + 1][keep], ys[a:b + 1][keep])
                kept[j] = (float(xs[a:b + 1][keep].min()), float(xs[a:b + 1][keep].max()))
    # how far a change hidden between two samples could bend a payout: a share of the next dollar is in [0, 1]
    slopes = [line[2] for line in lines if line is not None]
    steepest = max(1.0, float(np.ptp(slopes, axis=0).max())) if slopes else 1.0
    found: list[float] = []
    for k in pairs:
        left, right = lines[k], lines[k + 1]
        assert left is not None and right is not None
        (a0, a1), (b0, b1) = runs[k], runs[k + 1]
        if max(float(np.abs(_at(left, x) - _at(right, x)).max()) for x in (xs[a0], xs[b1])) <= 2.0 * tol:
            continue  # the same line on both sides, split by rounding alone
        x_star, drop = _cross(left, right, xs[a1])
        if (xs[b0] - xs[a1]) * steepest > 4.0 * tol:  # not yet so narrow that nothing can hide in it
            more.append(np.linspace(xs[a1], xs[b0], _SUBDIVISIONS + 2)[1:-1])
        else:  # near the stretch, between the samples the lines are fitted to (a change can hide a little in a run)
            lo = max(kept[k][1], xs[a1] - 2.0 * blur[k][1])
            hi = min(kept[k + 1][0], xs[b0] + 2.0 * blur[k][1])
            found.append(min(max(x_star, lo), hi))
    return found, (np.concatenate(more) if more else np.zeros(0))
