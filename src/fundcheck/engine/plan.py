"""Compile a scenario into a Plan: resolved indexes, timing flags and monthly input curves.

The plan is what the simulation reads; it holds no state that changes during a run. Entities are
accounts 0..E-1; account E is "Outside world", the counterparty for revenue, capex, new money raised
and credit lines, so that every flow has a payer and a payee inside the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fundcheck.engine.timeaxis import TimeAxis, curve_weights
from fundcheck.scenario.schema import Equity, Lease, Loan, Offtake, Scenario

__all__ = ["OUTSIDE_NAME", "ContractPlan", "EntityPlan", "EquityPlan", "LoanPlan", "PhasePlan", "Plan", "compile_plan"]

OUTSIDE_NAME = "Outside world"
NEVER = 10**6  # a column index that is never reached


@dataclass(frozen=True)
class EntityPlan:
    """An account: opening cash, own cash flow, and the ordered sources it funds needs from."""

    name: str
    kind: str
    outside: bool
    opening_cash_usd: float
    cash_flow_usd: np.ndarray  # months; positive in, negative a need
    priority: tuple[tuple[str, tuple[int, ...]], ...]  # ("cash"|"equity"|"loan"|"raise", instrument indexes)
    raise_limit_usd: float
    raise_start: int


@dataclass(frozen=True)
class EquityPlan:
    """An equity commitment from an investor account into an investee account."""

    name: str
    investor: int
    investee: int
    amount_usd: float
    stake: float | None
    upfront: bool
    start: int
    available: np.ndarray  # bool over months


@dataclass(frozen=True)
class LoanPlan:
    """A loan facility (or an entity's credit line) from a lender account to a borrower account."""

    name: str
    kind: str
    lender: int
    borrower: int
    limit_usd: float
    rate_monthly: float
    upfront_fee_usd: float
    commitment_fee_monthly: float
    capitalise_interest: bool
    max_ltc: float | None
    upfront: bool
    start: int
    end: int
    available: np.ndarray  # bool over months
    bullet: bool
    repay_months: int
    credit_line: bool = False  # an entity's own revolver, not part of a program's capital stack


@dataclass(frozen=True)
class PhasePlan:
    """One phase of a site: who pays, what it costs, and its planned schedule (column indexes)."""

    site: int
    name: str
    owner: int
    it_owner: int
    it_mw: float
    pue: float
    gpus: float
    gpu: str | None
    facility_capex_usd: float
    it_capex_usd: float
    facility_schedule_usd: np.ndarray  # planned facility capex per month
    planned_completion: int  # last month of planned facility spending
    planned_energization: int
    it_weights: np.ndarray  # share of IT capex in each month from energization


@dataclass(frozen=True)
class ContractPlan:
    """A recurring payment from payer to payee: per MW online, per GPU-hour online, or fixed."""

    name: str
    kind: str  # lease | offtake
    payer: int
    payee: int
    site: int | None
    basis: str  # mw | gpu_hours | fixed
    rate: float  # USD per MW-month, per GPU-hour, or per month (fixed)
    utilization: float
    escalator: float  # annual
    start: int | None  # None: from the site's first energization
    term_months: int


@dataclass(frozen=True)
class Plan:
    """Everything the simulation needs, resolved to indexes and monthly arrays."""

    program: str
    axis: TimeAxis
    gap_policy: str
    entities: tuple[EntityPlan, ...]
    sites: tuple[str, ...]
    phases: tuple[PhasePlan, ...]
    equity: tuple[EquityPlan, ...]
    loans: tuple[LoanPlan, ...]
    contracts: tuple[ContractPlan, ...]
    outside: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "outside", len(self.entities))

    def site_phases(self, site: int) -> list[int]:
        """Indexes of the phases of a site."""
        return [k for k, ph in enumerate(self.phases) if ph.site == site]

    @property
    def account_names(self) -> list[str]:
        """Entity names followed by the outside world."""
        return [e.name for e in self.entities] + [OUTSIDE_NAME]

    def planned_it_mw(self) -> np.ndarray:
        """IT MW online per site and month if every phase energizes on plan (sites x months)."""
        out = np.zeros((len(self.sites), self.axis.n))
        cols = np.arange(self.axis.n)
        for ph in self.phases:
            out[ph.site] += ph.it_mw * (cols >= ph.planned_energization)
        return out

    def planned_capex(self) -> np.ndarray:
        """Capex per phase and month if every phase is built and energized on plan (phases x months)."""
        out = np.zeros((len(self.phases), self.axis.n))
        for k, ph in enumerate(self.phases):
            out[k] += ph.facility_schedule_usd
            e = ph.planned_energization
            w = ph.it_weights
            lo, hi = max(e, 0), min(e + len(w), self.axis.n)
            if hi > lo:
                out[k, lo:hi] += ph.it_capex_usd * w[lo - e:hi - e]
        return out


def _value(q: object, default: float = 0.0) -> float:
    return default if q is None else float(q.value)  # type: ignore[attr-defined]


def compile_plan(s: Scenario) -> Plan:
    """Resolve a validated scenario into a Plan of indexes and monthly arrays."""
    axis = TimeAxis(s.horizon.start, s.horizon.end)
    names = list(s.entities)
    idx = {n: i for i, n in enumerate(names)}
    outside = len(names)

    equity: list[EquityPlan] = []
    loans: list[LoanPlan] = []
    instrument_slot: dict[int, tuple[str, int]] = {}
    for i, ins in enumerate(s.instruments):
        first = axis.index(ins.start) if ins.start is not None else 0
        last = axis.index(ins.end) if ins.end is not None else axis.n - 1
        name = s.instrument_name(i)
        if isinstance(ins, Equity):
            instrument_slot[i] = ("equity", len(equity))
            equity.append(EquityPlan(
                name=name, investor=idx[ins.from_], investee=idx[ins.to], amount_usd=ins.amount.value,
                stake=None if ins.stake is None else ins.stake.value, upfront=ins.call == "upfront",
                start=first, available=axis.flag(first, last)))
        else:
            assert isinstance(ins, Loan)
            instrument_slot[i] = ("loan", len(loans))
            loans.append(_loan_plan(name, ins.kind, idx[ins.from_], idx[ins.to], ins.limit.value,
                                    ins.rate.value, _value(ins.upfront_fee) * ins.limit.value,
                                    _value(ins.commitment_fee), ins.capitalise_interest,
                                    None if ins.max_ltc is None else ins.max_ltc.value, ins.draw == "upfront",
                                    first, last, ins.repay.kind == "bullet", ins.repay.months, axis))

    entity_plans: list[EntityPlan] = []
    for e, (name, ent) in enumerate(s.entities.items()):
        flow = np.zeros(axis.n)
        for cf in ent.cash_flow:
            flow[axis.flag(axis.index(cf.start), axis.index(cf.end))] += cf.monthly_usd()
        credit_slot: tuple[int, ...] = ()
        if ent.credit is not None:
            c = ent.credit
            first = axis.index(c.start) if c.start is not None else 0
            last = axis.index(c.end) if c.end is not None else axis.n - 1
            credit_slot = (len(loans),)
            loans.append(_loan_plan(f"{name} credit line", "revolver", outside, e, c.limit.value, c.rate.value,
                                    0.0, 0.0, False, None, False, first, last, True, axis.n, axis,
                                    credit_line=True))
        own = [i for i, ins in enumerate(s.instruments) if ins.to == name]
        own_equity = tuple(instrument_slot[i][1] for i in own if instrument_slot[i][0] == "equity"
                           and not equity[instrument_slot[i][1]].upfront)
        own_debt = tuple(instrument_slot[i][1] for i in own if instrument_slot[i][0] == "loan"
                         and not loans[instrument_slot[i][1]].upfront)
        words = ent.funding_priority or ["cash", "equity", "debt", "credit", "raise"]
        priority: list[tuple[str, tuple[int, ...]]] = []
        for word in words:
            if word == "cash":
                priority.append(("cash", ()))
            elif word == "equity" and own_equity:
                priority.append(("equity", own_equity))
            elif word == "debt":
                priority += [("loan", (k,)) for k in own_debt]
            elif word == "credit" and credit_slot:
                priority.append(("loan", credit_slot))
            elif word == "raise" and ent.can_raise is not None:
                priority.append(("raise", ()))
            elif word not in ("equity", "credit", "raise"):  # an instrument name
                i = next(i for i in own if s.instrument_name(i) == word)
                slot_kind, slot = instrument_slot[i]
                priority.append((slot_kind, (slot,)))
        raise_start = 0
        if ent.can_raise is not None and ent.can_raise.start is not None:
            raise_start = axis.index(ent.can_raise.start)
        entity_plans.append(EntityPlan(
            name=name, kind=ent.kind, outside=ent.is_outside, opening_cash_usd=_value(ent.cash),
            cash_flow_usd=flow, priority=tuple(priority),
            raise_limit_usd=0.0 if ent.can_raise is None else ent.can_raise.amount.value, raise_start=raise_start))

    sites = list(s.sites)
    phases: list[PhasePlan] = []
    d = s.defaults
    for k, site in enumerate(s.sites.values()):
        for ph in site.phases:
            it_mw = ph.it_mw.value
            fac = ph.facility_capex.value if ph.facility_capex else d.facility_capex_per_mw.value * it_mw
            it = ph.it_capex.value if ph.it_capex else d.it_capex_per_mw.value * it_mw
            gpus = ph.gpus.value if ph.gpus else (d.gpus_per_mw.value * it_mw if d.gpus_per_mw else 0.0)
            pue = ph.pue.value if ph.pue else (d.pue.value if d.pue else 1.0)
            start = axis.index(ph.start)
            schedule = np.zeros(axis.n)
            w = curve_weights(ph.curve, ph.months)
            lo, hi = start, min(start + ph.months, axis.n)
            schedule[lo:hi] = fac * w[: hi - lo]
            energize = axis.index(ph.energization) if ph.energization is not None else start + ph.months
            phases.append(PhasePlan(
                site=k, name=ph.name, owner=idx[site.owner], it_owner=idx[site.it_owner or site.owner],
                it_mw=it_mw, pue=pue, gpus=gpus, gpu=ph.gpu, facility_capex_usd=fac, it_capex_usd=it,
                facility_schedule_usd=schedule, planned_completion=start + ph.months - 1,
                planned_energization=energize, it_weights=curve_weights("linear", ph.it_months)))

    contracts: list[ContractPlan] = []
    for i, c in enumerate(s.contracts):
        name = s.contract_name(i)
        start = axis.index(c.start) if getattr(c, "start", None) is not None else None
        site = sites.index(c.site) if c.site is not None else None
        term = round(c.term_years * 12)
        esc = _value(c.escalator)
        if isinstance(c, Lease):
            contracts.append(ContractPlan(name, "lease", idx[c.tenant], idx[c.landlord], site, "mw",
                                          c.rate_per_mw_month.value, 1.0, esc, None, term))
        else:
            assert isinstance(c, Offtake)
            if c.usd_per_year is not None:
                basis, rate = "fixed", c.usd_per_year.value / 12.0
            elif c.rate_per_mw_month is not None:
                basis, rate = "mw", c.rate_per_mw_month.value
            else:
                basis, rate = "gpu_hours", c.rate_per_gpu_hour.value  # type: ignore[union-attr]
            contracts.append(ContractPlan(name, "offtake", idx[c.buyer], idx[c.seller], site, basis, rate,
                                          _value(c.utilization, 1.0), esc, start, term))

    return Plan(program=s.program, axis=axis, gap_policy=s.gap_policy, entities=tuple(entity_plans),
                sites=tuple(sites), phases=tuple(phases), equity=tuple(equity), loans=tuple(loans),
                contracts=tuple(contracts))


def _loan_plan(name: str, kind: str, lender: int, borrower: int, limit: float, rate: float, fee: float,
               commitment_fee: float, capitalise: bool, max_ltc: float | None, upfront: bool, first: int,
               last: int, bullet: bool, repay_months: int, axis: TimeAxis, credit_line: bool = False) -> LoanPlan:
    return LoanPlan(name=name, kind=kind, lender=lender, borrower=borrower, limit_usd=limit,
                    rate_monthly=rate / 12.0, upfront_fee_usd=fee, commitment_fee_monthly=commitment_fee / 12.0,
                    capitalise_interest=capitalise, max_ltc=max_ltc, upfront=upfront, start=first, end=last,
                    available=axis.flag(first, last), bullet=bullet, repay_months=repay_months,
                    credit_line=credit_line)
