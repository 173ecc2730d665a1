"""Control over time: stakes that move as capital calls are paid or missed, and the power they give.

Stakes come from the equity instruments into an entity that carry a `stake`. Under each dilution rule, with
a_i the commitment, p_i(t) paid so far and m_i(t) missed and still outstanding at t (called and unpaid; a call
the investee re-issues month after month counts once, and a late payment cures it):

- ``none``: stake_i = s_i, as committed;
- ``pro_rata``: credited share f_i = p_i / a_i, and stake_i proportional to s_i f_i, rescaled to keep
  the committed total. Before any capital is called, the committed stakes hold;
- ``punitive`` (factor k): f_i = max(p_i - (k - 1) m_i, 0) / a_i, so a missed dollar costs k dollars of credit.

Each body turns the stakes into votes: by stake (in parts per million), by board seats shared out by stake
(largest remainder), or by fixed votes. Each matter is a composite game: every body it names must approve,
and every veto holder must agree. Power is computed exactly (see ``power``) for every month in which the
votes change, and reused in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from fundcheck.engine.results import Results
from fundcheck.errors import UsageError
from fundcheck.governance.power import (
    AllOf,
    Game,
    PowerIndices,
    Veto,
    Weighted,
    power,
    quota_from_share,
    veto_players,
)
from fundcheck.scenario.quantities import parse_quota
from fundcheck.scenario.schema import BodySpec, GovernanceSpec

__all__ = ["Control", "control", "seats_by_stake", "stake_path"]

PARTS_PER_MILLION = 1_000_000


def seats_by_stake(stakes: np.ndarray, seats: int) -> np.ndarray:
    """Share `seats` out in proportion to `stakes` by largest remainder (Hamilton); ties go to the first."""
    total = stakes.sum()
    if total <= 0:
        return np.zeros(len(stakes), dtype=np.int64)
    quotas = stakes / total * seats
    out = np.floor(quotas + 1e-12).astype(np.int64)
    left = seats - int(out.sum())
    order = np.argsort(-(quotas - out), kind="stable")
    out[order[:left]] += 1
    return out


def stake_path(results: Results, entity: str, spec: GovernanceSpec) -> pd.DataFrame:
    """Each holder's stake in `entity`, month by month (months x holders), under the spec's dilution rule."""
    plan, out = results.plan, results.outcome
    names = plan.account_names
    eq = plan.equity
    holders: list[str] = []
    rows = []
    for q in range(len(eq)):
        if names[eq.investee[q]] == entity and not np.isnan(eq.stake[q]):
            investor = names[eq.investor[q]]
            rows.append((q, investor, float(eq.stake[q]), float(eq.value("amount_usd", q))))
            if investor not in holders:
                holders.append(investor)
    if not rows:
        raise UsageError(f"no equity instrument into '{entity}' carries a `stake`; governance needs stakes")
    n_months = plan.axis.n
    committed = np.array([s for _, _, s, _ in rows])
    credited = np.zeros((len(rows), n_months))
    factor = spec.punitive_factor.value if spec.punitive_factor else 2.0
    for r, (q, _, _, amount) in enumerate(rows):
        paid = np.cumsum(out.field("equity_paid_usd")[0, :, q])
        missed = out.field("equity_missed_usd")[0, :, q]  # outstanding: a call re-issued each month counts once
        if spec.dilution == "punitive":
            paid = np.maximum(paid - (factor - 1.0) * missed, 0.0)
        credited[r] = paid / amount if amount > 0 else 1.0
    weights = committed[:, None] * credited
    total = weights.sum(axis=0)
    if spec.dilution == "none":
        stakes = np.repeat(committed[:, None], n_months, axis=1)
    else:
        scaled = np.divide(weights * committed.sum(), total, out=np.zeros_like(weights), where=total > 0)
        stakes = np.where(total > 0, scaled, committed[:, None])
    frame = pd.DataFrame(0.0, index=pd.Index(results.months, name="month"), columns=holders)
    for r, (_, holder, _, _) in enumerate(rows):
        frame[holder] += stakes[r]
    return frame


def _votes(body: BodySpec, parties: list[str], stakes: np.ndarray) -> tuple[int, ...]:
    if isinstance(body.weights, dict):
        return tuple(round(body.weights[p].value) if p in body.weights else 0 for p in parties)
    if body.weights == "seats":
        return tuple(int(v) for v in seats_by_stake(stakes, body.seats or 1))
    return tuple(int(v) for v in np.round(stakes * PARTS_PER_MILLION))


def _quota(body: BodySpec, votes: tuple[int, ...]) -> int:
    q = parse_quota(body.quota)
    if isinstance(q, int):
        return q
    share, strict = q
    return quota_from_share(votes, Fraction(share), strict)


@dataclass
class Control:
    """An entity's stakes and each matter's power indices, month by month."""

    entity: str
    parties: list[str]
    stakes: pd.DataFrame  # months x parties
    shapley_shubik: dict[str, pd.DataFrame]  # matter -> months x parties
    banzhaf: dict[str, pd.DataFrame]
    snapshots: dict[str, dict[str, PowerIndices]]  # matter -> month -> indices, where power or vetoes changed
    vetoes: dict[str, dict[str, list[str]]]  # matter -> month -> parties that can block alone (same months)

    def dictators(self, matter: str) -> pd.Series:
        """The party that decides the matter alone in each month (None where none does)."""
        ss = self.shapley_shubik[matter]
        return ss.apply(lambda row: row.idxmax() if row.max() >= 1 - 1e-12 else None, axis=1)


def control(results: Results, entity: str) -> Control:
    """Stakes and power over time for `entity`'s governance."""
    spec = results.plan.governance.get(entity)
    if spec is None:
        known = ", ".join(results.plan.governance) or "(none)"
        raise UsageError(f"'{entity}' has no governance; entities with one: {known}")
    stakes = stake_path(results, entity, spec)
    parties = list(stakes.columns)
    for body in spec.bodies:
        if isinstance(body.weights, dict):
            parties += [p for p in body.weights if p not in parties]
    for matter in spec.matters:
        parties += [p for p in matter.vetoes if p not in parties]
    stake_matrix = np.zeros((len(results.months), len(parties)))
    stake_matrix[:, : stakes.shape[1]] = stakes.to_numpy()
    bodies = {b.name: b for b in spec.bodies}
    ss: dict[str, pd.DataFrame] = {}
    bz: dict[str, pd.DataFrame] = {}
    snapshots: dict[str, dict[str, PowerIndices]] = {}
    blockers: dict[str, dict[str, list[str]]] = {}
    for matter in spec.matters:
        cache: dict[tuple, PowerIndices] = {}
        ss_rows, bz_rows = [], []
        snapshots[matter.name] = {}
        blockers[matter.name] = {}
        shown: tuple | None = None
        for t, month in enumerate(results.months):
            games: list[Game] = []
            key: list[tuple] = []
            for name in matter.bodies:
                votes = _votes(bodies[name], parties, stake_matrix[t])
                quota = _quota(bodies[name], votes)
                key.append((votes, quota))
                if quota > sum(votes):
                    raise UsageError(f"{entity}: body '{name}' needs {quota} votes of {sum(votes)} in {month}")
                games.append(Weighted(votes, quota))
            vetoes = tuple(parties.index(p) for p in matter.vetoes)
            if vetoes:
                games.append(Veto(len(parties), vetoes))
            k = (tuple(key), vetoes)
            if k not in cache:
                game = AllOf(tuple(games)) if len(games) > 1 else games[0]
                cache[k] = power(game, parties)
                who = [parties[i] for i in veto_players(game)]
                if (cache[k].shapley_shubik, who) != shown:  # a row only where power or vetoes change
                    snapshots[matter.name][month] = cache[k]
                    blockers[matter.name][month] = who
                    shown = (cache[k].shapley_shubik, who)
            p = cache[k]
            ss_rows.append([float(x) for x in p.shapley_shubik])
            bz_rows.append([float(x) for x in p.banzhaf])
        index = pd.Index(results.months, name="month")
        ss[matter.name] = pd.DataFrame(ss_rows, index=index, columns=parties)
        bz[matter.name] = pd.DataFrame(bz_rows, index=index, columns=parties)
    full = pd.DataFrame(stake_matrix, index=stakes.index, columns=parties)
    return Control(entity, parties, full, ss, bz, snapshots, blockers)
