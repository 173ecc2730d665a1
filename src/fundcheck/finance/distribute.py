"""Run a scenario's waterfall: capital from the engine's paid-in equity, an exit (or a sweep of exits).

A sweep puts one exit value on each path, so a whole payout curve is one vectorized waterfall run.
Breakpoints are the exit values where the share of the next dollar changes (a tier fills, a cap binds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fundcheck.engine.results import Results
from fundcheck.errors import UsageError
from fundcheck.finance.returns import irr_annual, moic
from fundcheck.finance.waterfall import Tier, Waterfall, WaterfallResult, american, european
from fundcheck.scenario.schema import WaterfallSpec

__all__ = ["Distribution", "breakpoints", "compile_waterfall", "distribute", "waterfall_entities"]


def waterfall_entities(results: Results) -> list[str]:
    """Entities of the scenario that have a waterfall."""
    return list(results.plan.waterfalls)


def compile_waterfall(spec: WaterfallSpec, stakes: dict[str, float]) -> Waterfall:
    """Turn a scenario's waterfall into the finance layer's tiers (party names to indexes)."""
    idx = {p: j for j, p in enumerate(spec.parties)}
    catch_up_gps = {t.gp for t in spec.tiers if t.gp}
    default_investors = tuple(j for p, j in idx.items() if p not in catch_up_gps and p != spec.beneficiary)
    tiers = []
    for t in spec.tiers:
        investors = tuple(idx[p] for p in t.investors) if t.investors is not None else default_investors
        rate = t.until.irr.value if t.until and t.until.irr else None
        multiple = t.until.multiple.value if t.until and t.until.multiple else None
        if t.kind == "return_of_capital":
            tiers.append(Tier("capital", investors, name=t.kind))
        elif t.kind == "preferred_return":
            tiers.append(Tier("hurdle", investors, rate=rate, multiple=multiple, name=t.kind))
        elif t.kind == "catch_up":
            tiers.append(Tier("catch_up", investors, gp=idx[t.gp], carry=t.carry.value,  # type: ignore[index,union-attr]
                              gp_share=t.gp_share.value if t.gp_share else 1.0, name=t.kind))
        else:
            shares = tuple((idx[p], f.value) for p, f in t.shares.items())
            weights = tuple(stakes.get(spec.parties[j], 0.0) for j in investors) if t.by == "stake" else ()
            tiers.append(Tier("split", investors, rate=rate, multiple=multiple, shares=shares,
                              investors_share=1.0 - sum(v for _, v in shares), investor_weights=weights,
                              name=t.kind))
    caps = tuple(spec.caps[p].value if p in spec.caps else float("inf") for p in spec.parties)
    beneficiary = idx[spec.beneficiary] if spec.beneficiary else None
    return Waterfall(tuple(spec.parties), tuple(tiers), caps, beneficiary)


@dataclass
class Distribution:
    """A waterfall run: who received what for each exit value (one exit value per path)."""

    entity: str
    exit_values_usd: np.ndarray  # paths
    exit_month: str
    result: WaterfallResult

    def table(self, path: int = 0) -> pd.DataFrame:
        """Per party: capital in, money received, capped excess sent to the beneficiary, MOIC and IRR."""
        r = self.result
        contributed = r.contributed_usd[:, path].sum(axis=1)
        received = r.paid_usd[:, path].sum(axis=1)
        irr = irr_annual(r.paid_usd[:, path] - r.contributed_usd[:, path])
        return pd.DataFrame({
            "contributed_usd": contributed, "received_usd": received,
            "share_of_exit": received / max(float(self.exit_values_usd[path]), 1e-12),
            "capped_excess_usd": r.capped_excess_usd[:, path],
            "moic": moic(contributed, received), "irr": irr,
        }, index=pd.Index(r.parties, name="party"))

    def payouts(self) -> pd.DataFrame:
        """Total received per party (columns) for each exit value (rows), USD."""
        return pd.DataFrame(self.result.paid_usd.sum(axis=2).T, columns=list(self.result.parties),
                            index=pd.Index(self.exit_values_usd, name="exit_usd"))


def _stakes(results: Results, entity: str) -> dict[str, float]:
    eq, names = results.plan.equity, results.plan.account_names
    out: dict[str, float] = {}
    for q in range(len(eq)):
        if names[eq.investee[q]] == entity and not np.isnan(eq.stake[q]):
            investor = names[eq.investor[q]]
            out[investor] = out.get(investor, 0.0) + float(eq.stake[q])
    return out


def _contributions(results: Results, entity: str, parties: list[str], n_paths: int) -> np.ndarray:
    """Capital each party paid into `entity` per month (parties x paths x months), from the run's path 0."""
    plan = results.plan
    names = plan.account_names
    eq = plan.equity
    paid = results.outcome.field("equity_paid_usd")[0]  # months x equity
    contrib = np.zeros((len(parties), n_paths, plan.axis.n))
    for q in range(len(eq)):
        if names[eq.investee[q]] == entity and names[eq.investor[q]] in parties:
            contrib[parties.index(names[eq.investor[q]])] += paid[:, q]
    return contrib


def distribute(results: Results, entity: str, exit_values: float | np.ndarray | None = None,
               exit_month: str | None = None) -> Distribution:
    """Run `entity`'s waterfall for one exit value or many (one per path), USD."""
    spec = results.plan.waterfalls.get(entity)
    if spec is None:
        raise UsageError(f"'{entity}' has no waterfall; entities with one: {', '.join(waterfall_entities(results))}")
    axis = results.plan.axis
    wf = compile_waterfall(spec, _stakes(results, entity))
    if spec.style == "american":
        return _american(results, entity, spec, wf, exit_values)
    if exit_values is None:
        if spec.exit is None:
            raise UsageError(f"the waterfall of '{entity}' has no `exit`; give an exit value")
        exit_values = spec.exit.value.value
    values = np.atleast_1d(np.asarray(exit_values, dtype=float))
    month = exit_month or (axis.label(axis.index(spec.exit.month)) if spec.exit else results.months[-1])
    t = results.months.index(month)
    contrib = _contributions(results, entity, list(spec.parties), len(values))
    dist = np.zeros((len(values), axis.n))
    dist[:, t] = values
    return Distribution(entity, values, month, european(wf, contrib, dist))


def _american(results: Results, entity: str, spec: WaterfallSpec, wf: Waterfall,
              exit_values: float | np.ndarray | None) -> Distribution:
    axis = results.plan.axis
    gp = next((t.gp for t in wf.tiers if t.gp is not None),
              next((j for t in wf.tiers for j, _ in t.shares), None))
    if gp is None:
        raise UsageError(f"the american waterfall of '{entity}' pays no carry to anyone; add a catch_up or shares")
    base = sum(d.exit.value.value for d in spec.deals)
    scale = np.atleast_1d(np.asarray(exit_values if exit_values is not None else base, dtype=float)) / base
    deals = []
    for d in spec.deals:
        c = np.zeros((len(spec.parties), len(scale), axis.n))
        for party, amount in d.contributions.items():
            c[spec.parties.index(party), :, axis.index(d.start)] = amount.value
        dist = np.zeros((len(scale), axis.n))
        dist[:, axis.index(d.exit.month)] = d.exit.value.value * scale
        deals.append((c, dist))
    last = max(axis.index(d.exit.month) for d in spec.deals)
    return Distribution(entity, base * scale, axis.label(last), american(wf, deals, gp))


def breakpoints(results: Results, entity: str, sweep: Distribution, iterations: int = 50) -> list[float]:
    """Exit values (USD) where the share of the next dollar changes (a tier fills, a cap binds), inside the sweep.

    The sweep's payouts are split into runs on one line each; a breakpoint is where the lines of two neighbouring
    runs cross, once the waterfall itself, run at more exit values (at most `iterations` rounds of them), has
    narrowed the stretch between them down to what the cents can tell. Exact where the payouts are (a breakpoint
    on a grid point, or whole-cent shares and caps); otherwise within a cent or a few divided by the change in a
    party's share. Coarse, short and uneven sweeps are fine. See `payout_breakpoints`."""
    from fundcheck.finance.waterfall import payout_breakpoints  # imported here: only this function uses it

    def payouts_at(values: np.ndarray) -> np.ndarray:
        return distribute(results, entity, values, sweep.exit_month).payouts().to_numpy()

    return payout_breakpoints(sweep.exit_values_usd, sweep.payouts().to_numpy(), payouts_at, iterations)
