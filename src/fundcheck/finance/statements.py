"""Three financial statements per modelled entity, monthly and by calendar year, built from a run's ledger.

Every ledger line is classified once (see `LINE_TREATMENT` in docs/finance.md): capex is capitalised and
depreciated from the month its phase is in service (energized; spending after that from the month it is paid);
equity paid into another entity is an investment at cost and equity received is paid-in capital; new money
raised is paid-in capital, or debt when the scenario gives it a coupon or a maturity (`can_raise.rate`,
`can_raise.maturity`: repaid then, else never within the horizon; its coupon is interest); loan draws and
repayments move debt (or, for a modelled lender, a loan receivable); interest and fees, paid, capitalised or
left in arrears, are expense (or income); leases, offtake, own cash flows and own costs are operating revenue
and cost when paid. A bill the
payer could not pay (a missed lease or offtake payment, operating costs, own costs: the run does not carry
these over) is still its cost: it is accrued as an expense and an unpaid bill on its balance sheet; the payee,
prudently, books no revenue it did not receive. Tax is computed on each calendar year's
pre-tax income with losses carried forward, and accrued in the year's last modelled month as a payable: the
liquidity run does not pay it yet.

Cash and debt on the balance sheet are the engine's own balances, not rebuilt from flows, so the balance sheet
balancing every month tests the classification against the engine (`Statements.balance_error_usd`).
All money in USD; months as in the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from fundcheck.engine.results import Results
from fundcheck.engine.tables import KIND_NAMES, NEVER, Cause
from fundcheck.errors import UsageError
from fundcheck.scenario.schema import Accounting

__all__ = ["DEFAULTS", "MACRS", "Basis", "Statements", "basis", "depreciation_schedule", "statements", "tax_by_year"]

# The assumptions the statements use where a scenario's `accounting:` gives none: (value, source).
DEFAULTS: dict[str, tuple[float, str]] = {
    "facility_life_years": (20.0, "assumption: shell, power and cooling plant depreciated over 20 years (book "
                                  "lives of 15-25 years are usual for data-center buildings and M&E)"),
    "it_life_years": (5.0, "F20: hyperscalers depreciate servers over 5-6 years; the shorter life"),
    "tax_rate": (0.21, "assumption: US federal corporate rate, 26 U.S.C. 11(b); state taxes left out"),
    "nol_limit": (0.80, "assumption: US rule for losses arising from 2018 on, 26 U.S.C. 172(a)(2)"),
    "discount_rate": (0.08, "assumption: an 8% a year cost of capital for NPVs"),
}

# IRS Publication 946, Table A-1: GDS, half-year convention, percent of basis per recovery year.
MACRS: dict[int, tuple[float, ...]] = {
    5: (20.00, 32.00, 19.20, 11.52, 11.52, 5.76),
    15: (5.00, 9.50, 8.55, 7.70, 6.93, 6.23, 5.90, 5.90, 5.91, 5.90, 5.91, 5.90, 5.91, 5.90, 5.91, 2.95),
}
MACRS_CLASS = {"facility": 15, "it": 5}

_KIND = {name: k for k, name in enumerate(KIND_NAMES)}


@dataclass(frozen=True)
class Basis:
    """The accounting assumptions a set of statements used, each with its source."""

    facility_life_years: float
    it_life_years: float
    depreciation: str  # 'straight_line' or 'macrs'
    tax_rate: float
    tax_rates: dict[str, float]  # per-entity overrides
    nol_limit: float
    discount_rate: float
    sources: dict[str, str]

    def rate_for(self, entity: str) -> float:
        """The tax rate of `entity`."""
        return self.tax_rates.get(entity, self.tax_rate)


def basis(accounting: Accounting) -> Basis:
    """A scenario's accounting block with the defaults filled in, sources kept."""
    values, sources = {}, {}
    for key, (value, source) in DEFAULTS.items():
        given = getattr(accounting, key)
        values[key] = float(given.value) if given is not None else value
        sources[key] = (given.source or accounting.source or "") if given is not None else source
    rates = {name: float(f.value) for name, f in accounting.tax_rates.items()}
    for name, f in accounting.tax_rates.items():
        sources[f"tax_rates.{name}"] = f.source or accounting.source or ""
    return Basis(values["facility_life_years"], values["it_life_years"], accounting.depreciation,
                 values["tax_rate"], rates, values["nol_limit"], values["discount_rate"], sources)


def depreciation_schedule(spend: np.ndarray, in_service: int, life_months: int | None = None,
                          macrs_years: int | None = None, first_month: int = 1) -> np.ndarray:
    """Monthly depreciation of capex paid month by month (`spend`, USD per month, 1-D).

    Spending before `in_service` (a month index; beyond the array: never) waits until then; spending after it
    is in service the month it is paid. Straight line: each month's in-service cost over `life_months`, from
    its in-service month. MACRS: the Table A-1 share for each recovery year, recovery year 1 being the calendar
    year it goes in service, each year's amount spread evenly over its months (year 1: from the in-service
    month); `first_month` is the calendar month (1-12) of index 0. Amounts past the array's end are cut off."""
    spend = np.asarray(spend, dtype=float)
    n = len(spend)
    placed = np.zeros(n)
    if in_service < n:
        placed[in_service] = spend[: in_service + 1].sum()
        placed[in_service + 1:] = spend[in_service + 1:]
    out = np.zeros(n)
    if macrs_years is None:
        if not life_months or life_months < 1:
            raise ValueError("straight-line depreciation needs a life of at least one month")
        total = np.cumsum(placed)
        lagged = np.concatenate([np.zeros(life_months), total])[:n]
        return (total - lagged) / life_months
    shares = np.asarray(MACRS[macrs_years]) / 100.0
    for m in np.flatnonzero(placed):
        month_of_year = (first_month - 1 + m) % 12  # 0 = January
        start = m
        for k, share in enumerate(shares):
            months = 12 - month_of_year if k == 0 else 12
            if start >= n:
                break
            stop = min(start + months, n)
            out[start:stop] += placed[m] * share / months
            start += months
    return out


def tax_by_year(pretax: np.ndarray, years: np.ndarray, rate: float, nol_limit: float) -> tuple[np.ndarray, ...]:
    """Tax on each calendar year's pre-tax income with losses carried forward (USD, per month: the year's tax in
    its last month, zero elsewhere), and the loss pool after each month. A year's loss joins the pool; a
    profit is reduced by the pool, at most `nol_limit` of it; tax is `rate` on what is left."""
    tax = np.zeros(len(pretax))
    pool_after = np.zeros(len(pretax))
    pool = 0.0
    for year in np.unique(years):
        months = np.flatnonzero(years == year)
        income = float(pretax[months].sum())
        if income < 0:
            pool -= income
        else:
            used = min(pool, nol_limit * income)
            pool -= used
            tax[months[-1]] = rate * (income - used)
        pool_after[months] = pool
    return tax, pool_after


INCOME = ["revenue", "other operating income", "operating costs", "unpaid bills accrued", "EBITDA", "depreciation",
          "EBIT",
          "interest income", "interest expense", "pre-tax income", "tax", "net income"]
CASH_FLOW = ["net income", "depreciation", "non-cash interest", "tax accrued, not paid", "bills accrued, not paid",
             "cash from operations",
             "capex", "equity invested", "loans made", "loans repaid to it", "cash from investing",
             "equity received", "new money raised", "debt drawn", "debt repaid", "cash from financing",
             "change in cash"]
BALANCE = ["cash", "property, plant and equipment at cost", "accumulated depreciation", "of which not in service",
           "investments", "loans receivable", "total assets", "debt", "tax payable", "unpaid bills",
           "total liabilities",
           "opening equity", "paid-in capital", "retained earnings", "total equity", "assets less liabilities "
           "and equity"]


@dataclass(frozen=True)
class Statements:
    """Monthly income statement, cash-flow statement and balance sheet per modelled entity (DataFrames indexed
    by month, columns as in INCOME, CASH_FLOW and BALANCE), with the basis they used."""

    results: Results
    basis: Basis
    income: dict[str, pd.DataFrame]
    cash_flow: dict[str, pd.DataFrame]
    balance: dict[str, pd.DataFrame]

    @property
    def entities(self) -> list[str]:
        return list(self.income)

    def annual(self, entity: str) -> dict[str, pd.DataFrame]:
        """One entity's statements by calendar year: flows summed, balances at the year's last modelled month."""
        years = self.results.periods.year
        return {"income": self.income[entity].groupby(years).sum(),
                "cash_flow": self.cash_flow[entity].groupby(years).sum(),
                "balance": self.balance[entity].groupby(years).last()}

    @cached_property
    def balance_error_usd(self) -> float:
        """The largest |assets - liabilities - equity| over entities and months (rounding only: a test)."""
        errs = [float(b["assets less liabilities and equity"].abs().max()) for b in self.balance.values()]
        return max(errs, default=0.0)

    @cached_property
    def cash_error_usd(self) -> float:
        """The largest |change in cash on the cash-flow statement - change in the engine's cash|."""
        errs = []
        for e, cf in self.cash_flow.items():
            cash = self.balance[e]["cash"].to_numpy()
            opening = float(self.balance[e]["opening equity"].iloc[0])
            change = np.diff(np.concatenate([[opening], cash]))
            errs.append(float(np.abs(cf["change in cash"].to_numpy() - change).max()))
        return max(errs, default=0.0)


def statements(results: Results, path: int = 0) -> Statements:
    """The three statements of every modelled (not outside) entity on `path` of a run recorded in full."""
    if not results.outcome.full:
        raise UsageError("the statements need monthly results: run with record='full'")
    b = basis(results.scenario.accounting)
    plan = results.plan
    n = plan.axis.n
    lines = plan.lines
    flows = results.array("flows_usd", path)  # months x lines
    principal = results.array("principal_usd", path)  # months x loans
    noncash = results.array("capitalised_usd", path) + results.array("arrears_usd", path)  # months x loans
    cash = results.array("cash_usd", path)  # months x accounts
    energized = results.array("energized", path)
    # bills the run does not carry over: what each entity could not pay of them, each month (months x accounts)
    by_cause = results.array("gap_by_cause_usd", path)
    missed = by_cause[:, :, [Cause.CONTRACT, Cause.OPERATIONS, Cause.OWN_COSTS]].sum(axis=2)
    first_month = int(results.months[0][5:7])
    years = np.asarray(results.periods.year)
    ph, ln = plan.phases, plan.loans

    def by_kind(entity: int, side: str, *kinds: str) -> np.ndarray:
        mask = np.isin(lines.kind, [_KIND[k] for k in kinds]) & ((lines.payee if side == "in" else lines.payer)
                                                                 == entity)
        return flows[:, mask].sum(axis=1)

    def depreciation(entity: int) -> tuple[np.ndarray, np.ndarray]:
        """Monthly depreciation of the capex `entity` paid, and its cost not yet in service at each close."""
        dep, waiting = np.zeros(n), np.zeros(n)
        for h in range(len(ph)):
            for line, cls in ((ph.facility_line[h], "facility"), (ph.it_line[h], "it")):
                if lines.payer[line] != entity or not flows[:, line].any():
                    continue
                start = int(energized[h]) if energized[h] < NEVER else n
                if b.depreciation == "macrs":
                    dep += depreciation_schedule(flows[:, line], start, macrs_years=MACRS_CLASS[cls],
                                                 first_month=first_month)
                else:
                    life = b.facility_life_years if cls == "facility" else b.it_life_years
                    dep += depreciation_schedule(flows[:, line], start, life_months=max(round(12 * life), 1))
                spent = np.cumsum(flows[:, line])
                waiting += np.where(np.arange(n) < start, spent, 0.0)
        return dep, waiting

    income, cash_flow, balance = {}, {}, {}
    for e, name in enumerate(plan.entities.index):
        if plan.entities.outside[e]:
            continue
        borrowed = np.flatnonzero(ln.borrower == e)
        lent = np.flatnonzero(ln.lender == e)
        revenue = by_kind(e, "in", "lease", "offtake")
        other = by_kind(e, "in", "own cash flow")
        costs = by_kind(e, "out", "lease", "offtake", "own costs", "operating costs")
        unpaid = missed[:, e]
        ebitda = revenue + other - costs - unpaid
        dep, waiting = depreciation(e)
        interest_in = by_kind(e, "in", "interest", "commitment fee") + noncash[:, lent].sum(axis=1)
        interest_out = by_kind(e, "out", "interest", "commitment fee") + noncash[:, borrowed].sum(axis=1)
        pretax = ebitda - dep + interest_in - interest_out
        tax, _ = tax_by_year(pretax, years, b.rate_for(name), b.nol_limit)
        net = pretax - tax
        lines_ = [revenue, other, costs, unpaid, ebitda, dep, ebitda - dep, interest_in, interest_out, pretax, tax, net]
        income[name] = pd.DataFrame(dict(zip(INCOME, lines_, strict=True)),
                                    index=results.periods)

        capex = by_kind(e, "out", "facility capex", "IT capex")
        invested = by_kind(e, "out", "equity")
        made = by_kind(e, "out", "loan draw")
        repaid_to = by_kind(e, "in", "principal")
        received = by_kind(e, "in", "equity")
        raised = by_kind(e, "in", "new money raised")
        drawn = by_kind(e, "in", "loan draw")
        repaid = by_kind(e, "out", "principal")
        noncash_net = noncash[:, borrowed].sum(axis=1) - noncash[:, lent].sum(axis=1)
        cfo = net + dep + noncash_net + tax + unpaid
        cfi = -capex - invested - made + repaid_to
        cff = received + raised + drawn - repaid
        cash_flow[name] = pd.DataFrame(dict(zip(CASH_FLOW, [
            net, dep, noncash_net, tax, unpaid, cfo, -capex, -invested, -made, repaid_to, cfi, received, raised, drawn,
            -repaid, cff, cfo + cfi + cff], strict=True)), index=results.periods)

        opening = float(plan.entities.value("opening_cash_usd", e, path))
        gross = np.cumsum(capex)
        accumulated = np.cumsum(dep)
        investments = np.cumsum(invested)
        receivable = principal[:, lent].sum(axis=1)
        assets = cash[:, e] + gross - accumulated + investments + receivable
        debt = principal[:, borrowed].sum(axis=1)
        payable = np.cumsum(tax)
        bills = np.cumsum(unpaid)
        repay_line = int(plan.entities.raise_repay_line[e])
        raise_repaid = flows[:, repay_line] if repay_line >= 0 else np.zeros(n)
        is_debt = plan.entities.raise_rate_monthly[e] > 0 or repay_line >= 0
        raised_debt = np.cumsum(raised - raise_repaid) if is_debt else np.zeros(n)
        debt = debt + raised_debt
        paid_in = np.cumsum(received + (0.0 if is_debt else raised))
        retained = np.cumsum(net)
        equity = opening + paid_in + retained
        balance[name] = pd.DataFrame(dict(zip(BALANCE, [
            cash[:, e], gross, -accumulated, waiting, investments, receivable, assets, debt, payable, bills,
            debt + payable + bills, np.full(n, opening), paid_in, retained, equity,
            assets - debt - payable - bills - equity], strict=True)),
            index=results.periods)
    return Statements(results, b, income, cash_flow, balance)
