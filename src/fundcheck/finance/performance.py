"""Returns per party and cover ratios per loan, from a run's statements (`finance/statements.py`).

**Returns.** The run pays no dividends, so what a partner gets back by the horizon end is a *terminal value*:
its share of each investee's book equity then (never below zero), its share being its stake or, where none is
given, its part of the equity paid in. An investor's flows are the equity it paid, month by month, and that
value in the last month; a builder's project flows are the capex it paid, its operating cash (EBITDA) month by
month, and its net book assets then. IRRs are annual, NPVs at the basis's discount rate at the horizon's first
month, MOIC is what comes back over what went in, and payback is the month from which the cumulative flow
stays at or above zero. A book terminal value is a modelling choice and every figure says so (`basis`).

**Debt.** Per facility (credit lines excepted), by calendar year: the borrower's CFADS (EBITDA less the tax it
accrued) against all debt service that fell due on its facilities that year (interest and principal paid, plus
what became overdue, less overdue amounts caught up). DSCR minimum and average over the years with debt
service due, and the LLCR at the first such year: CFADS to the horizon end discounted at the facility's rate
over the debt outstanding at that year's start. USD and fractions throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fundcheck.engine.tables import LOAN_KINDS
from fundcheck.finance.debt import dscr as coverage
from fundcheck.finance.debt import llcr
from fundcheck.finance.irr import IrrReason, irr
from fundcheck.finance.returns import moic, npv, payback_month
from fundcheck.finance.statements import Statements

__all__ = ["TERMINAL_VALUE", "DebtCover", "Return", "debt_cover", "finance_json", "returns"]

TERMINAL_VALUE = ("book value at the horizon end: the run pays no dividends, so a partner's return is its share "
                  "of each investee's book equity then (zero if negative); a builder's, its net book assets")


@dataclass(frozen=True)
class Return:
    """One party's return over the horizon, as an investor ('equity') or as a builder ('project')."""

    entity: str
    kind: str  # 'equity' or 'project'
    flows_usd: np.ndarray  # per month: negative out, positive back (the terminal value in the last month)
    contributed_usd: float
    terminal_value_usd: float
    irr: float  # annual; NaN when there is none
    irr_note: str  # why the IRR is what it is: one, several (the one nearest 0%), none
    npv_usd: float
    moic: float
    payback_month: str | None

    def as_dict(self) -> dict[str, object]:
        """The JSON form (NaN as None)."""
        def num(v: float) -> float | None:
            return None if not np.isfinite(v) else float(v)

        return {"kind": self.kind, "irr": num(self.irr), "irr_note": self.irr_note, "npv_usd": num(self.npv_usd),
                "moic": num(self.moic),
                "contributed_usd": self.contributed_usd, "terminal_value_usd": self.terminal_value_usd,
                "payback_month": self.payback_month, "terminal_value": TERMINAL_VALUE}


def _return(st: Statements, entity: str, kind: str, flows: np.ndarray, terminal: float) -> Return:
    """A return from monthly flows (negative out, positive back) and a terminal value added in the last month;
    contributed is every dollar that went out, MOIC every dollar back over it."""
    flows = flows.copy()
    flows[-1] += terminal
    months = st.results.months
    pay = float(payback_month(flows))
    out = float(-flows[flows < 0].sum())
    back = float(flows[flows > 0].sum())
    rate, reason = irr(flows, 12, reasons=True, max_iterations=128)
    return Return(entity, kind, flows, out, terminal, float(rate), IrrReason(int(reason)).message,
                  float(npv(st.basis.discount_rate, flows)), float(moic(np.array(out), np.array(back))),
                  months[int(pay)] if np.isfinite(pay) else None)


def returns(st: Statements) -> dict[str, dict[str, Return]]:
    """entity -> {'equity': its return as an investor, 'project': as a builder}, for each modelled entity that
    paid equity into another or paid capex (only the kinds that apply)."""
    r = st.results
    plan = r.plan
    flows = r.array("flows_usd")
    eq = plan.equity
    end_equity = {e: float(b["total equity"].iloc[-1]) for e, b in st.balance.items()}
    paid_into: dict[int, float] = {}
    for q in range(len(eq)):
        paid_into[int(eq.investee[q])] = paid_into.get(int(eq.investee[q]), 0.0) + float(flows[:, eq.line[q]].sum())
    out: dict[str, dict[str, Return]] = {}
    for e, name in enumerate(plan.entities.index):
        if plan.entities.outside[e] or name not in st.income:
            continue
        mine: dict[str, Return] = {}
        rows = np.flatnonzero(eq.investor == e)
        paid = sum(float(flows[:, eq.line[q]].sum()) for q in rows)
        if paid > 0:
            series = -sum(flows[:, eq.line[q]] for q in rows)
            terminal = 0.0
            for q in rows:
                investee = plan.entities.index[int(eq.investee[q])]
                mine_paid = float(flows[:, eq.line[q]].sum())
                share = float(eq.stake[q]) if np.isfinite(eq.stake[q]) else (
                    mine_paid / paid_into[int(eq.investee[q])] if paid_into[int(eq.investee[q])] > 0 else 0.0)
                terminal += share * max(end_equity.get(investee, 0.0), 0.0) if mine_paid > 0 else 0.0
            mine["equity"] = _return(st, name, "equity", series, terminal)
        capex = -st.cash_flow[name]["capex"].to_numpy()
        if capex.sum() > 0:
            b = st.balance[name].iloc[-1]
            net_assets = float(b["property, plant and equipment at cost"] + b["accumulated depreciation"])
            series = st.income[name]["EBITDA"].to_numpy() - capex
            mine["project"] = _return(st, name, "project", series, net_assets)
        if mine:
            out[name] = mine
    return out


@dataclass(frozen=True)
class DebtCover:
    """A facility's size and its borrower's cover ratios by calendar year."""

    facility: str
    borrower: str
    kind: str
    size_usd: float  # largest balance from draws and capitalised interest and fees (arrears excluded)
    years: list[int]
    cfads_usd: np.ndarray  # the borrower's, per year
    debt_service_usd: np.ndarray  # due on all the borrower's facilities, per year
    dscr: np.ndarray  # per year (NaN where nothing was due)
    min_dscr: float
    avg_dscr: float
    llcr: float  # at the start of repayment (the year after the drawing window), NaN past the horizon

    def as_dict(self) -> dict[str, object]:
        def num(v: float) -> float | None:
            return None if not np.isfinite(v) else float(v)

        return {"borrower": self.borrower, "kind": self.kind, "size_usd": self.size_usd,
                "min_dscr": num(self.min_dscr), "avg_dscr": num(self.avg_dscr), "llcr": num(self.llcr),
                "dscr_by_year": {str(y): num(v) for y, v in zip(self.years, self.dscr, strict=True)}}


def debt_cover(st: Statements) -> dict[str, DebtCover]:
    """facility -> its size and cover ratios (credit lines excepted)."""
    r = st.results
    plan = r.plan
    ln = plan.loans
    flows = r.array("flows_usd")
    overdue = r.array("overdue_usd")
    principal = r.array("principal_usd")
    arrears = r.array("arrears_usd")
    years = np.asarray(r.periods.year)
    uniq = sorted(set(years.tolist()))
    index = np.searchsorted(uniq, years)

    def per_year(monthly: np.ndarray) -> np.ndarray:
        return np.bincount(index, weights=monthly, minlength=len(uniq))

    out: dict[str, DebtCover] = {}
    for i in range(len(ln)):
        if ln.credit_line[i]:
            continue
        b = int(ln.borrower[i])
        borrower = plan.entities.index[b]
        if borrower not in st.income:
            continue
        mine = [j for j in range(len(ln)) if ln.borrower[j] == b and not ln.credit_line[j]]
        paid = sum(flows[:, ln.interest_line[j]] + flows[:, ln.principal_line[j]] for j in mine)
        late = overdue[:, mine].sum(axis=1)
        due = paid + np.diff(np.concatenate([[0.0], late]))
        service = per_year(due)
        cfads = per_year(st.income[borrower]["EBITDA"].to_numpy() - st.income[borrower]["tax"].to_numpy())
        cov = coverage(cfads, np.where(service > 1.0, service, 0.0))
        size = float(np.max(principal[:, i] - np.cumsum(arrears[:, i]), initial=0.0))
        ratio = float("nan")
        repay = int(ln.end[i]) + 1  # repayment starts after the drawing window
        if 0 < repay < len(years):
            k = int(index[repay])
            opening = float(principal[repay - 1, mine].sum())
            rate = float(ln.value("rate_monthly", i)) * 12
            ratio = float(llcr(cfads[k:], np.array([opening]), rate, periods_per_year=1)[0])
        out[ln.index[i]] = DebtCover(ln.index[i], borrower, LOAN_KINDS[ln.kind[i]], size, uniq, cfads, service,
                                     cov.per_period, float(cov.minimum), float(cov.average), ratio)
    return out



def finance_json(st: Statements) -> dict[str, object]:
    """The JSON of the finance layer for a run: `returns` (entity -> its equity and project returns, with `irr`,
    `npv_usd` and `moic` at the top from its equity return, or its project return where it only builds),
    `debt` (facility -> size and cover ratios) and `accounting` (the basis used, each value with its source)."""
    out_returns: dict[str, object] = {}
    for entity, kinds in returns(st).items():
        main = kinds.get("equity") or kinds["project"]
        out_returns[entity] = {"irr": main.as_dict()["irr"], "npv_usd": main.as_dict()["npv_usd"],
                               "moic": main.as_dict()["moic"], "basis": main.kind,
                               **{k: v.as_dict() for k, v in kinds.items()}}
    b = st.basis
    return {"returns": out_returns, "debt": {name: d.as_dict() for name, d in debt_cover(st).items()},
            "accounting": {"facility_life_years": b.facility_life_years, "it_life_years": b.it_life_years,
                           "depreciation": b.depreciation, "tax_rate": b.tax_rate, "tax_rates": b.tax_rates,
                           "nol_limit": b.nol_limit, "discount_rate": b.discount_rate, "sources": b.sources,
                           "taxes_paid_in_run": False, "terminal_value": TERMINAL_VALUE}}
