"""Compile a scenario into a Plan: tables of resolved ids, timing and monthly inputs (see ``tables``).

The plan is what the simulation, the waterfalls and governance read; nothing downstream reads the
``Scenario``'s values. Entities are accounts 0..E-1; account E is "Outside world", the counterparty for
revenue, capex, new money raised and credit lines, so that every flow has a payer and a payee.
Ledger lines (payer, payee, kind, instrument) are fixed here, so every chunk of paths has the same lines.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from fundcheck.engine import sites as phase
from fundcheck.engine.instruments import contract, credit, equity, loan
from fundcheck.engine.tables import COLUMNS, KIND_NAMES, NEVER, Kind, Step, Table
from fundcheck.engine.timeaxis import TimeAxis
from fundcheck.errors import UsageError
from fundcheck.scenario.loader import applied_alternatives
from fundcheck.scenario.schema import Loan, Scenario

__all__ = ["OUTSIDE_NAME", "LineBook", "Plan", "compile_plan"]

OUTSIDE_NAME = "Outside world"


class LineBook:
    """Ledger lines as they are declared at compile time: (payer, payee, kind, ref) and a display label."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, int, int, int]] = []
        self.labels: list[str] = []

    def add(self, payer: int, payee: int, kind: Kind, ref: int, label: str) -> int:
        """Declare a line; returns its id."""
        self.rows.append((payer, payee, int(kind), ref))
        self.labels.append(label)
        return len(self.rows) - 1

    def table(self) -> Table:
        """The lines table."""
        a = np.array(self.rows, dtype=np.int64).reshape(-1, 4)
        index = tuple(f"{i}" for i in range(len(self.rows)))
        return Table("lines", index, {"payer": a[:, 0], "payee": a[:, 1], "kind": a[:, 2], "ref": a[:, 3]})


@dataclass(frozen=True)
class Plan:
    """Everything a run needs: the time axis, the component tables and display names."""

    program: str
    axis: TimeAxis
    gap_policy: str
    tables: dict[str, Table]
    entity_kinds: tuple[str, ...]
    line_labels: tuple[str, ...]
    alternatives: tuple[str, ...] = ()
    waterfalls: Any = None  # entity -> WaterfallSpec (tiers are read by the finance layer)
    governance: Any = None  # entity -> GovernanceSpec
    capex_shortfall: str = "file_order"  # how an owner short of money spreads it over its phases' capex

    # --- tables by name ---------------------------------------------------------------------------------

    @property
    def entities(self) -> Table:
        """Entities (accounts 0..E-1)."""
        return self.tables["entities"]

    @property
    def equity(self) -> Table:
        """Equity commitments."""
        return self.tables["equity"]

    @property
    def loans(self) -> Table:
        """Loan facilities and entities' credit lines."""
        return self.tables["loans"]

    @property
    def sites(self) -> Table:
        """Sites."""
        return self.tables["sites"]

    @property
    def phases(self) -> Table:
        """Phases of sites, site by site in file order."""
        return self.tables["phases"]

    @property
    def contracts(self) -> Table:
        """Leases and offtakes."""
        return self.tables["contracts"]

    @property
    def lines(self) -> Table:
        """Ledger lines."""
        return self.tables["lines"]

    @property
    def order_of_claims(self) -> dict[str, str]:
        """Each modelled entity's order of claims on its cash: 'commitments_first' where it holds cash back
        for its commitments' calls, else 'month_order'."""
        ent = self.entities
        return {name: "commitments_first" if ent.holds_commitments[e] else "month_order"
                for e, name in enumerate(ent.index) if not ent.outside[e]}

    @property
    def outside(self) -> int:
        """Account id of the outside world."""
        return len(self.entities)

    @property
    def account_names(self) -> list[str]:
        """Entity names followed by the outside world."""
        return [*self.entities.index, OUTSIDE_NAME]

    @property
    def n_paths(self) -> int:
        """Paths the per-path columns describe (1 when every input is the same on all paths)."""
        sizes = {t.n_paths() for t in self.tables.values()} - {1}
        if len(sizes) > 1:
            raise UsageError(f"per-path inputs disagree on the number of paths: {sorted(sizes)}")
        return sizes.pop() if sizes else 1

    def site_phases(self, site: int) -> range:
        """Ids of the phases of a site."""
        first = int(self.sites.phase_first[site])
        return range(first, first + int(self.sites.phase_count[site]))

    def phase_label(self, h: int) -> str:
        """'Site: phase' for display."""
        return self.phases.index[h]

    def kind_name(self, line: int) -> str:
        """The kind of a ledger line, in words."""
        return KIND_NAMES[int(self.lines.kind[line])]

    # --- per-path inputs ---------------------------------------------------------------------------------

    def vary(self, column: str, values: np.ndarray) -> Plan:
        """A plan with one per-path column given per path: `column` is 'table.column', `values` paths x rows."""
        table, _, key = column.partition(".")
        decl = COLUMNS.get(table, {}).get(key)
        if decl is None:
            raise UsageError(f"no plan column '{column}'")
        if not decl.per_path:
            raise UsageError(f"plan column '{column}' is static; per-path columns: "
                             + ", ".join(f"{t}.{c}" for t, cs in COLUMNS.items() for c, d in cs.items()
                                         if d.per_path))
        _check_numbers(column, values, whole=decl.dtype == "i8")
        tables = {**self.tables, table: self.tables[table].with_column(key, values)}
        out = replace(self, tables=tables)
        out.n_paths  # noqa: B018 - raises if the path counts disagree
        return out

    # --- the plan's own schedule ---------------------------------------------------------------------------

    def planned_it_mw(self, path: int = 0) -> np.ndarray:
        """IT MW online per site and month if every phase energizes on plan (sites x months)."""
        out = np.zeros((len(self.sites), self.axis.n))
        cols = np.arange(self.axis.n)
        ph = self.phases
        for h in range(len(ph)):
            out[ph.site[h]] += ph.it_mw[h] * (cols >= self.planned_energization(h, path))
        return out

    def planned_energization(self, h: int, path: int = 0) -> int:
        """Month index at which phase h energizes on plan (may lie past the horizon end)."""
        ph = self.phases
        return int(ph.start[h] + ph.value("delay_months", h, path) + ph.months[h] + ph.energization_lag[h])

    def planned_completion(self, h: int, path: int = 0) -> int:
        """Month index of the last planned facility spending of phase h."""
        ph = self.phases
        return int(ph.start[h] + ph.value("delay_months", h, path) + ph.months[h] - 1)

    def planned_capex(self, path: int = 0) -> np.ndarray:
        """Capex per phase and month if every phase is built and energized on plan (phases x months), USD: its
        facility, its IT from energization and, with ``operations.gpu_refresh_years``, each IT refresh."""
        ph = self.phases
        n = self.axis.n
        out = np.zeros((len(ph), n))
        for h in range(len(ph)):
            start = int(ph.start[h] + ph.value("delay_months", h, path))
            months = int(ph.months[h])
            fac = ph.value("facility_capex_usd", h, path)
            lo, hi = max(start, 0), min(start + months, n)
            if hi > lo:
                out[h, lo:hi] += fac * ph.curve[h, lo - start:hi - start]
            e, m = self.planned_energization(h, path), int(ph.it_months[h])
            it_capex, every = ph.value("it_capex_usd", h, path), int(ph.refresh_months[h])
            generation = 0
            while e < n:
                lo, hi = max(e, 0), min(e + m, n)
                if hi > lo:
                    out[h, lo:hi] += it_capex * (1.0 if generation == 0 else float(ph.refresh_share[h])) / m
                if every <= 0:
                    break
                e += every
                generation += 1
        return out


def _check_numbers(column: str, values: Any, whole: bool) -> None:
    """Per-path values must be finite numbers (whole ones for a column of months): a NaN would run through the
    kernel as a silent wrong number, and a float cast to a month count would be cut or wrapped."""
    raw = np.asarray(values)
    if raw.dtype.kind in "iub":
        return
    try:
        x = raw.astype(np.float64)
    except (TypeError, ValueError):
        raise UsageError(f"plan column '{column}' takes numbers; found values of type {raw.dtype}") from None
    finite = np.isfinite(x)
    bad = ~finite
    if whole:
        bad |= finite & (x != np.round(x))
    if bad.any():
        at = tuple(int(i) for i in np.argwhere(bad)[0])
        kind = "whole numbers (months)" if whole else "finite numbers"
        raise UsageError(f"plan column '{column}' takes {kind}; found {int(bad.sum()):,} value(s) that are not, "
                         f"the first {float(x[at])!r} at index {list(at)}")


def _funding_leaf(e: int, steps: list[tuple[int, int, int]], members: list[int], ent_cols: dict[str, list[Any]],
                  lenders: list[int], investors: list[int]) -> bool:
    """True when no step of e's funding order asks a modelled entity (one not outside) to pay."""
    outside = [*ent_cols["outside"], True]  # the last account is the outside world
    first = ent_cols["fund_first"][e]
    for step, slot, count in steps[first:first + ent_cols["fund_count"][e]]:
        if step == Step.LOAN and not outside[lenders[slot]]:
            return False
        if step == Step.EQUITY and not all(outside[investors[q]] for q in members[slot:slot + count]):
            return False
    return True


def compile_plan(s: Scenario) -> Plan:
    """Resolve a validated scenario into a Plan of tables and ledger lines."""
    axis = TimeAxis(s.horizon.start, s.horizon.end)
    names = list(s.entities)
    idx = {n: i for i, n in enumerate(names)}
    outside = len(names)
    book = LineBook()

    eq_rows, eq_names, eq_of = equity.compile_rows(s, axis, idx, book)
    ln_rows, ln_names, ln_of = loan.compile_rows(s, axis, idx, book)
    credit_of = credit.compile_rows(s, axis, idx, outside, book, ln_rows, ln_names)

    # funding order per entity: steps compiled to (step, slot, count) rows
    steps: list[tuple[int, int, int]] = []
    members: list[int] = []
    ent_cols: dict[str, list[Any]] = {k: [] for k in COLUMNS["entities"]}
    for e, (name, ent) in enumerate(s.entities.items()):
        flow = np.zeros(axis.n)
        for cf in ent.cash_flow:
            flow[axis.flag(axis.index(cf.start), axis.index(cf.end))] += cf.monthly_usd()
        own = [i for i, ins in enumerate(s.instruments) if ins.to == name]
        order = ent.funding_priority or ["cash", "equity", "debt", "credit", "raise"]
        named = {i for i in own if s.instrument_name(i) in order}  # 'equity' and 'debt' are the rest of them
        own_equity = [eq_of[i] for i in own if i in eq_of and i not in named and not eq_rows["upfront"][eq_of[i]]]
        own_debt = [ln_of[i] for i in own if i in ln_of and i not in named and not ln_rows["upfront"][ln_of[i]]
                    and ln_rows["refinances"][ln_of[i]] < 0]  # a refinancing pays only the loan it refinances
        first = len(steps)
        for word in order:
            if word == "cash":
                steps.append((Step.CASH, -1, 0))
            elif word == "equity":
                if own_equity:
                    steps.append((Step.EQUITY, len(members), len(own_equity)))
                    members.extend(own_equity)
            elif word == "debt":
                steps.extend((Step.LOAN, k, 1) for k in own_debt)
            elif word == "credit":
                if e in credit_of:
                    steps.append((Step.LOAN, credit_of[e], 1))
            elif word == "raise":
                if ent.can_raise is not None:
                    steps.append((Step.RAISE, -1, 0))
            else:  # an instrument's name (checked by the loader)
                i = next(i for i in own if s.instrument_name(i) == word)
                if i in eq_of:
                    steps.append((Step.EQUITY, len(members), 1))
                    members.append(eq_of[i])
                else:
                    steps.append((Step.LOAN, ln_of[i], 1))
        raise_start = 0
        if ent.can_raise is not None and ent.can_raise.start is not None:
            raise_start = axis.index(ent.can_raise.start)
        ent_cols["outside"].append(ent.is_outside)
        ent_cols["opening_cash_usd"].append(0.0 if ent.cash is None else ent.cash.value)
        ent_cols["cash_flow_usd"].append(flow)
        ent_cols["raise_limit_usd"].append(0.0 if ent.can_raise is None else ent.can_raise.amount.value)
        ent_cols["raise_start"].append(raise_start)
        ent_cols["fund_first"].append(first)
        ent_cols["fund_count"].append(len(steps) - first)
        ent_cols["own_in_line"].append(book.add(outside, e, Kind.OWN_IN, e, name) if (flow > 0).any() else -1)
        ent_cols["own_out_line"].append(book.add(e, outside, Kind.OWN_OUT, e, name) if (flow < 0).any() else -1)
        ent_cols["raise_line"].append(book.add(outside, e, Kind.RAISE, e, name) if ent.can_raise else -1)
        coupon = ent.can_raise.rate.value if ent.can_raise is not None and ent.can_raise.rate is not None else 0.0
        ent_cols["raise_rate_monthly"].append(coupon / 12.0)
        ent_cols["raise_interest_line"].append(
            book.add(e, outside, Kind.INTEREST, e, f"{name}: coupon on new money") if coupon > 0 else -1)
        maturity = ent.can_raise.maturity if ent.can_raise is not None else None
        ent_cols["raise_maturity"].append(NEVER if maturity is None else axis.index(maturity))
        ent_cols["raise_repay_line"].append(
            -1 if maturity is None else book.add(e, outside, Kind.PRINCIPAL, e, f"{name}: new money repaid"))

    site_tab, ph_tab = phase.compile_tables(s, axis, idx, outside, book)
    ct_tab = contract.compile_table(s, axis, idx, list(s.sites), book, outside)

    st = np.array(steps, dtype=np.int64).reshape(-1, 3)
    first_step, n_steps = ent_cols["fund_first"], ent_cols["fund_count"]
    ent_cols["fund_loans"] = [any(step == Step.LOAN for step, _, _ in steps[first_step[e]:first_step[e] + n_steps[e]])
                              for e in range(len(names))]
    ent_cols["holds_commitments"] = [any(eq_rows["held"][q] and eq_rows["investor"][q] == e
                                         for q in range(len(eq_names))) for e in range(len(names))]
    ent_cols["reserved"] = [any(ln_rows["borrower"][i] == e and ln_rows["reserve_months"][i] > 0
                                for i in range(len(ln_names))) for e in range(len(names))]
    ent_cols["tested"] = [any(ln_rows["borrower"][i] == e and not (np.isnan(ln_rows["lockup_dscr"][i])
                                                                   and np.isnan(ln_rows["default_dscr"][i]))
                              for i in range(len(ln_names))) for e in range(len(names))]
    ent_cols["fund_leaf"] = [_funding_leaf(e, steps, members, ent_cols, ln_rows["lender"], eq_rows["investor"])
                             for e in range(len(names))]
    for k in ("opening_cash_usd", "raise_limit_usd"):
        ent_cols[k] = [ent_cols[k]]  # per-path columns: one path
    tables = {
        "entities": Table("entities", tuple(names), {k: np.array(v) if k != "cash_flow_usd" else
                                                     np.array(v).reshape(len(names), axis.n)
                                                     for k, v in ent_cols.items()}),
        "funding": Table("funding", tuple(str(i) for i in range(len(steps))),
                         {"step": st[:, 0], "slot": st[:, 1], "count": st[:, 2]}),
        "members": Table("members", tuple(str(i) for i in range(len(members))),
                         {"equity": np.array(members, dtype=np.int64)}),
        "equity": equity.table(eq_rows, eq_names),
        "loans": loan.table(ln_rows, ln_names, axis.n),
        "sites": site_tab,
        "phases": ph_tab,
        "contracts": ct_tab,
        "lines": book.table(),
    }
    plan = Plan(program=s.program, axis=axis, gap_policy=s.gap_policy, capex_shortfall=s.capex_shortfall,
                tables=tables,
                entity_kinds=tuple(e.kind for e in s.entities.values()), line_labels=tuple(book.labels),
                alternatives=applied_alternatives(s),
                waterfalls=dict(s.waterfalls), governance=dict(s.governance))
    sculpted = {ln_of[i]: ins.repay.dscr.value for i, ins in enumerate(s.instruments)  # type: ignore[union-attr]
                if isinstance(ins, Loan) and ins.repay.kind == "sculpted"}
    return _sculpt(plan, s, sculpted) if sculpted else plan


SCULPT_RUNS = 12  # base-case runs at most while sizing and sculpting settle


def base_cfads(s: Scenario, plan: Plan, outcome: Any) -> np.ndarray:
    """Each entity's cash available for debt service per month on a one-path run (entities x months, USD), as
    the debt cover tables measure it: EBITDA less tax (``finance.statements``), each calendar year's tax
    spread evenly over its months (a run accrues it in the year's last month)."""
    from fundcheck.engine.results import Results
    from fundcheck.finance.statements import statements

    st = statements(Results(scenario=s, plan=plan, outcome=outcome))
    years = np.array([int(m[:4]) for m in plan.axis.labels()])
    out = np.zeros((len(plan.entities), plan.axis.n))
    for e, name in enumerate(plan.entities.index):
        if name not in st.income:
            continue
        income = st.income[name]
        tax = income["tax"].to_numpy()
        spread = np.zeros_like(tax)
        for y in np.unique(years):
            months = years == y
            spread[months] = tax[months].sum() / months.sum()
        out[e] = income["EBITDA"].to_numpy() - spread
    return out


def _sculpt(plan: Plan, s: Scenario, targets: dict[int, float]) -> Plan:
    """Size and sculpt the loans in `targets` (loan id -> DSCR target) on each borrower's base case: the plan at
    its point values, one path, built on its plan's schedule (``gap_policy: record``), with every party but
    that borrower paying in full (its sponsors fund, its tenants pay as billed). The borrower's CFADS
    (``base_cfads``) from the loan's conversion, shared among its sculpted loans in proportion to their limits
    and taken flat past the horizon end at its average over the last twelve months of repayment inside it,
    carries service of CFADS / DSCR. The debt that service repays (``sculpt_capacity``) is the DSCR test and
    cuts the limit (the limit given is the gearing cap); the shape is that service scaled to the balance the
    base case drew (``sculpt_shape``), as shares of it. The debt moves its own base case (its interest moves
    the tax), so the base case is run again until limits and shapes settle (``SCULPT_RUNS`` at most); the limit
    only ever falls, so the sizing settles on the smallest capacity seen (the conservative side). A loan with no
    month of repayment inside the horizon is not sized and repays in equal instalments."""
    from fundcheck.engine.simulate import simulate
    from fundcheck.finance.debt import sculpt_capacity, sculpt_shape

    ln, n = plan.loans, plan.axis.n
    given = ln.limit_usd[0].astype(float)
    limit = given.copy()
    capacity = np.full(len(ln), np.inf)
    share = np.zeros((len(ln), n))
    ent = plan.entities
    for e in sorted({int(ln.borrower[i]) for i in targets}):
        mine = [i for i in targets if ln.borrower[i] == e]
        outside = np.array([bool(ent.outside[x]) or x != e for x in range(len(ent))])
        base = replace(plan, gap_policy="record",
                       tables={**plan.tables, "entities": ent.with_column("outside", outside)})
        for _ in range(SCULPT_RUNS):
            loans = ln.with_column("limit_usd", limit[None, :]).with_column("sculpt_share", share)
            p = replace(base, tables={**base.tables, "loans": loans})
            out = simulate(p, 1, record="full")
            assert out is not None
            cfads = base_cfads(s, p, out)[e]
            end = out.field("window_end")[0]
            principal, overdue = out.field("principal_usd")[0], out.field("overdue_usd")[0]
            new_limit, new_share = limit.copy(), share.copy()
            total = float(given[mine].sum())
            for i in mine:
                months, rate = int(ln.repay_months[i]), float(ln.rate_monthly[0, i])
                first = int(end[i]) + 1  # the first repayment month
                k = min(months, n)
                equal = np.full(max(k - 1, 0), 1.0 / months)
                if first >= n:  # nothing to size on: equal instalments
                    capacity[i] = np.inf
                    new_share[i, 1:k] = equal
                    continue
                own = cfads * (given[i] / total if total > 0 else 1.0 / len(mine))
                tail = own[max(first, n - 12):].mean()
                cf = np.array([own[t] if t < n else tail for t in range(first, first + months)])
                capacity[i] = sculpt_capacity(cf, target := targets[i], rate)
                new_limit[i] = min(limit[i], capacity[i])
                drawn = float(principal[first - 1, i] - overdue[first - 1, i]) if first > 0 else 0.0
                balance = drawn if drawn > 1.0 else new_limit[i]  # drawn nothing here: shape the limit
                shape = sculpt_shape(cf, target, rate, balance)
                new_share[i] = 0.0
                new_share[i, 1:k] = equal if shape is None else shape[:k - 1] / balance
            settled = np.allclose(new_limit, limit, rtol=1e-9, atol=1e-3) and np.allclose(new_share, share, rtol=0,
                                                                                          atol=1e-10)
            limit, share = new_limit, new_share
            if settled:
                break
    loans = ln.with_column("limit_usd", limit[None, :]).with_column("dscr_capacity_usd", capacity) \
        .with_column("sculpt_share", share)
    return replace(plan, tables={**plan.tables, "loans": loans})
