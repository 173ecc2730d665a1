"""Returns per party and cover ratios per loan, from a run's statements (`finance/statements.py`).

**Returns.** The run pays no dividends, so what a partner gets back by the horizon end is a *terminal value*:
its share of each investee's book equity then (never below zero), its share being its stake as committed or,
for investors with none, the rest of 100% shared by what they paid in. An investor's flows are the equity it
paid, month by month, and that value in the last month; a builder's project flows are the capex it paid, its
operating cash (EBITDA) month by month, and the net book value of its plant in service then (cost not
energized by the horizon end counts for nothing). IRRs are annual, NPVs at the basis's discount rate at the
horizon's first month, MOIC is what comes back over what went in, and payback is the month from which the
cumulative flow stays at or above zero. A book terminal value is a modelling choice and every figure says so (`basis`).

**Debt.** Per facility (credit lines excepted), over its own repayment (from the month after its drawing window
to its last instalment or the horizon end), by calendar year: the borrower's CFADS (EBITDA less the tax it
accrued) against all debt service that fell due on its facilities (interest, principal and commitment fees paid,
plus what became overdue, less overdue amounts caught up). DSCR minimum and average (the mean of the yearly
ratios) over the years with debt service due, and the LLCR at the start of repayment: the borrower's monthly
CFADS to the last instalment (or the horizon end) discounted at the facility's rate, over all the borrower's
debt then. USD and fractions throughout; ratios on negative CFADS are shown as n/m.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fundcheck.engine.tables import LOAN_KINDS
from fundcheck.finance.debt import dscr as coverage
from fundcheck.finance.debt import llcr
from fundcheck.finance.irr import IrrReason, irr
from fundcheck.finance.returns import moic, npv, payback_month
from fundcheck.finance.statements import Statements

__all__ = ["TERMINAL_VALUE", "DebtCover", "Return", "cover_table", "cover_text", "debt_cover", "finance_json",
           "returns", "returns_table"]


def cover_text(value: float) -> str:
    """A cover ratio for a reader: '1.35x'; 'n/m' where CFADS is negative or nothing was due."""
    return "n/m" if not np.isfinite(value) or value < 0 else f"{value:,.2f}x"

TERMINAL_VALUE = ("book value at the horizon end: the run pays no dividends, so a partner's return is its share "
                  "of each investee's book equity then (zero if negative; its stake as committed, undiluted, "
                  "founders' and preferred money alike); a builder's, the net book value of its plant in service "
                  "(anything not energized by then counts for nothing)")


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

    @property
    def irr_text(self) -> str:
        """The IRR for a reader: a percent; 'n/m (several IRRs)' where the flows have more than one; 'total
        loss' where nothing comes back; 'none' where there is no IRR for another reason."""
        if self.irr_note == IrrReason.MULTIPLE_ROOTS.message:
            return "n/m (several IRRs)"
        if np.isfinite(self.irr):
            return f"{100 * self.irr:.1f}%".replace("-", "\u2212")
        if self.moic == 0:
            return "total loss"
        return "none"

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
    contributed is every dollar that went out (before the terminal value), MOIC every dollar back over it."""
    out = float(-flows[flows < 0].sum())
    back = float(flows[flows > 0].sum()) + terminal
    flows = flows.copy()
    flows[-1] += terminal
    months = st.results.months
    pay = float(payback_month(flows))
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
    # shares of each investee: its stake where given; the rest of 100% shared by what the others paid in
    staked: dict[int, float] = {}
    unstaked_paid: dict[int, float] = {}
    for q in range(len(eq)):
        j = int(eq.investee[q])
        if np.isfinite(eq.stake[q]):
            staked[j] = staked.get(j, 0.0) + float(eq.stake[q])
        else:
            unstaked_paid[j] = unstaked_paid.get(j, 0.0) + float(flows[:, eq.line[q]].sum())
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
                j = int(eq.investee[q])
                mine_paid = float(flows[:, eq.line[q]].sum())
                rest = max(1.0 - staked.get(j, 0.0), 0.0)
                share = float(eq.stake[q]) if np.isfinite(eq.stake[q]) else (
                    rest * mine_paid / unstaked_paid[j] if unstaked_paid.get(j, 0.0) > 0 else 0.0)
                equity_end = max(end_equity.get(plan.entities.index[j], 0.0), 0.0)
                terminal += share * equity_end if mine_paid > 0 else 0.0
            mine["equity"] = _return(st, name, "equity", series, terminal)
        capex = -st.cash_flow[name]["capex"].to_numpy()
        if capex.sum() > 0:
            b = st.balance[name].iloc[-1]
            net_assets = float(b["property, plant and equipment at cost"] - b["of which not in service"]
                               + b["accumulated depreciation"])
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
    years: list[int]  # the calendar years of its repayment inside the horizon
    cfads_usd: np.ndarray  # the borrower's, per year, over those months
    debt_service_usd: np.ndarray  # due on all the borrower's facilities, per year, over those months
    dscr: np.ndarray  # per year (NaN where nothing was due)
    min_dscr: float
    avg_dscr: float  # the mean of the yearly ratios
    llcr: float  # at the start of repayment: CFADS to the last instalment (or the horizon end), monthly, at the
    # facility's rate, over all the borrower's debt then; NaN when repayment starts past the horizon

    def as_dict(self) -> dict[str, object]:
        def num(v: float) -> float | None:
            return None if not np.isfinite(v) else float(v)

        return {"borrower": self.borrower, "kind": self.kind, "size_usd": self.size_usd,
                "min_dscr": num(self.min_dscr), "avg_dscr": num(self.avg_dscr), "llcr": num(self.llcr),
                "dscr_by_year": {str(y): num(v) for y, v in zip(self.years, self.dscr, strict=True)}}


def debt_cover(st: Statements) -> dict[str, DebtCover]:
    """facility -> its size and cover ratios (credit lines excepted), over its own repayment years: from the month
    after its drawing window to its last instalment or the horizon end, whichever is first."""
    r = st.results
    plan = r.plan
    ln = plan.loans
    n = plan.axis.n
    flows = r.array("flows_usd")
    overdue = r.array("overdue_usd")
    principal = r.array("principal_usd")
    arrears = r.array("arrears_usd")
    window_end = r.window_end()
    swept = r.array("swept_usd")  # prepayments by cash sweeps: paid on the principal line, not debt service due
    years = np.asarray(r.periods.year)
    out: dict[str, DebtCover] = {}
    for i in range(len(ln)):
        if ln.credit_line[i]:
            continue
        b = int(ln.borrower[i])
        borrower = plan.entities.index[b]
        if borrower not in st.income:
            continue
        mine = [j for j in range(len(ln)) if ln.borrower[j] == b and not ln.credit_line[j]]
        paid = sum(flows[:, ln.interest_line[j]] + flows[:, ln.principal_line[j]] - swept[:, j] for j in mine)
        paid = paid + sum(flows[:, ln.fee_line[j]] for j in mine if ln.fee_line[j] >= 0)
        due = paid + np.diff(np.concatenate([[0.0], overdue[:, mine].sum(axis=1)]))
        cfads = st.income[borrower]["EBITDA"].to_numpy() - st.income[borrower]["tax"].to_numpy()
        first = int(window_end[i]) + 1
        last = min(int(window_end[i]) + int(ln.repay_months[i]), n - 1)
        window = np.zeros(n, dtype=bool)
        if first < n:
            window[first:last + 1] = True
        shown = sorted(set(years[window].tolist()))
        cf_y = np.array([cfads[window & (years == y)].sum() for y in shown])
        ds_y = np.array([due[window & (years == y)].sum() for y in shown])
        cov = coverage(cf_y, np.where(ds_y > 1.0, ds_y, 0.0))
        size = float(np.max(principal[:, i] - np.cumsum(arrears[:, i]), initial=0.0))
        ratio = float("nan")
        if first < n:
            opening = float(principal[first - 1, mine].sum())
            rate = float(ln.value("rate_monthly", i)) * 12
            ratio = float(llcr(cfads[first:last + 1], np.array([opening]), rate, periods_per_year=12)[0])
        out[ln.index[i]] = DebtCover(ln.index[i], borrower, LOAN_KINDS[ln.kind[i]], size, shown, cf_y, ds_y,
                                     cov.per_period, float(cov.minimum), float(cov.average), ratio)
    return out


def returns_table(st: Statements) -> pd.DataFrame:
    """`returns` as one row per party and role, for the views: party, as ('investor' or 'builder'), kind ('equity'
    or 'project'), put in and worth at the end (USD), irr (annual, NaN for none) and IRR (for a reader), IRR
    note, NPV (USD), multiple, paid back ('YYYY-MM' or None)."""
    rows = [{"party": e, "as": "investor" if k == "equity" else "builder", "kind": k, "put in": r.contributed_usd,
             "worth at the end": r.terminal_value_usd, "irr": r.irr, "IRR": r.irr_text, "IRR note": r.irr_note,
             "NPV": r.npv_usd, "multiple": r.moic, "paid back": r.payback_month}
            for e, kinds in returns(st).items() for k, r in kinds.items()]
    return pd.DataFrame(rows, columns=["party", "as", "kind", "put in", "worth at the end", "irr", "IRR", "IRR note",
                                       "NPV", "multiple", "paid back"])


def cover_table(st: Statements) -> pd.DataFrame:
    """`debt_cover` as one row per facility, for the views: facility, borrower, kind, size (USD), min DSCR,
    avg DSCR, LLCR (NaN for none)."""
    rows = [{"facility": n, "borrower": d.borrower, "kind": d.kind, "size": d.size_usd, "min DSCR": d.min_dscr,
             "avg DSCR": d.avg_dscr, "LLCR": d.llcr} for n, d in debt_cover(st).items()]
    return pd.DataFrame(rows, columns=["facility", "borrower", "kind", "size", "min DSCR", "avg DSCR", "LLCR"])


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
