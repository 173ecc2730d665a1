"""Claims and the scenario's accounting identities as linear constraints, checked with HiGHS (scipy).

Every checked statement becomes one row ``low <= a . x <= high`` over named variables in display units
($ billions, MW, fraction, month index); see ``records`` for how relations become intervals (strict ones
with a relative margin, ``records.margin``; months are whole) and ``quantities`` for how names become
variables. The identities of the registry (``registry``) are rows that belong to no claim and always hold:

- ``0 <= ready(X)@m <= secured(X)@m <= committed(X)`` for the JV and each partner X at each month m used;
- ``secured(JV)@m >= sum_P secured(P)@m`` and ``ready(JV)@m >= sum_P ready(P)@m`` (the JV's money includes
  its partners' and may include outside money);
- ``raised(JV)@m = committed.founders + coinvestors(JV)@m + debt(JV)@m + other(JV)@m`` with
  ``coinvestors <= outside equity into the JV``, ``debt <= loan limits into the JV``, all parts >= 0;
- ``0 <= deployed(X)@m <= committed(X)``, and ``deployed(X)@m1 <= deployed(X)@m2`` for m1 < m2.

A claim about a partner's **stake** s in the JV (``equity.<partner into JV>.stake``) also carries the pro rata
rows ``s_low * ready(JV)@m <= ready(P)@m <= s_high * ready(JV)@m`` at each month m where ``ready`` is used:
drop the stake claim and these rows go with it. Variables are >= 0 except month-valued ones.
Forecasts are not rows: they are about outcomes and are evaluated against each world's run.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import numpy as np

from fundcheck.claims.quantities import Names
from fundcheck.claims.records import Claim

__all__ = ["Row", "System", "compile_system"]

_VAR = re.compile(r"^(\w+)\((.*)\)@(\d{4}-\d{2})$")
# HiGHS's tolerances, tighter than its defaults (1e-7) so that the margins of strict relations (relative
# 1e-9, see records.margin) are not lost in the solver's slack
HIGHS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}


@dataclass(frozen=True)
class Row:
    """low <= sum(coef * var) <= high; `owner` is a claim id, or '' for an identity."""

    coefs: tuple[tuple[str, float], ...]
    low: float | None
    high: float | None
    owner: str
    label: str


@dataclass
class System:
    """The compiled ledger: variables, identity rows and each claim's rows."""

    names: Names
    variables: list[str]
    identities: list[Row]
    rows: dict[str, list[Row]]          # claim id -> its rows
    claims: dict[str, Claim]
    bounds: list[tuple[float | None, float | None]] = field(default_factory=list)
    calls: int = 0

    @property
    def ids(self) -> list[str]:
        return list(self.rows)

    def _matrices(self, rows: list[Row]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        index = {v: i for i, v in enumerate(self.variables)}
        ub_a, ub_b, eq_a, eq_b = [], [], [], []
        for row in rows:
            a = np.zeros(len(self.variables))
            for var, coef in row.coefs:
                a[index[var]] += coef
            if row.low is not None and row.high is not None and row.low == row.high:
                eq_a.append(a)
                eq_b.append(row.low)
                continue
            if row.high is not None:
                ub_a.append(a)
                ub_b.append(row.high)
            if row.low is not None:
                ub_a.append(-a)
                ub_b.append(-row.low)
        n = len(self.variables)
        return (np.array(ub_a).reshape(-1, n), np.array(ub_b), np.array(eq_a).reshape(-1, n), np.array(eq_b))

    def _solve(self, ids: list[str] | set[str] | frozenset[str], c: np.ndarray) -> object:
        from scipy.optimize import linprog

        self.calls += 1
        rows = list(self.identities)
        for cid in ids:
            rows += self.rows[cid]
        a_ub, b_ub, a_eq, b_eq = self._matrices(rows)
        return linprog(c, A_ub=a_ub if len(b_ub) else None, b_ub=b_ub if len(b_ub) else None,
                       A_eq=a_eq if len(b_eq) else None, b_eq=b_eq if len(b_eq) else None,
                       bounds=self.bounds, method="highs", options=HIGHS)

    def feasible(self, ids: list[str] | set[str] | frozenset[str]) -> bool:
        """Whether the claims `ids` and every identity can all hold at once (HiGHS)."""
        if not self.variables:
            return True
        res = self._solve(ids, np.zeros(len(self.variables)))
        if res.status not in (0, 2, 3):  # 0 solved, 2 infeasible, 3 unbounded (feasible)
            raise RuntimeError(f"the LP solver failed: {res.message}")
        return res.status != 2

    def implied(self, ids: list[str] | set[str] | frozenset[str],
                expr: dict[str, float]) -> tuple[float | None, float | None]:
        """The least and greatest value of `expr` when the claims `ids` hold (None: unbounded)."""
        index = {v: i for i, v in enumerate(self.variables)}
        c = np.zeros(len(self.variables))
        for var, coef in expr.items():
            c[index[var]] += coef
        out: list[float | None] = []
        for sign in (1.0, -1.0):
            res = self._solve(ids, sign * c)
            out.append(None if res.status != 0 else float(sign * res.fun))
        return out[0], out[1]

    def solution(self, ids: list[str] | set[str] | frozenset[str], target: dict[str, float],
                 pull: dict[str, float] | None = None, extra: list[Row] | None = None) -> dict[str, float] | None:
        """Values of every variable with the claims `ids` holding, as close as possible (least sum of absolute
        deviations) to `target` (display units); `pull` adds small linear terms (to prefer more of a
        variable, say). None if infeasible."""
        from scipy.optimize import linprog

        n = len(self.variables)
        index = {v: i for i, v in enumerate(self.variables)}
        targeted = [v for v in target if v in index]
        m = len(targeted)
        rows = list(self.identities) + list(extra or [])
        for cid in ids:
            rows += self.rows[cid]
        a_ub, b_ub, a_eq, b_eq = self._matrices(rows)
        # variables: x (n), d (m) with d >= |x - target|
        def widen(a: np.ndarray) -> np.ndarray:
            return np.hstack([a, np.zeros((a.shape[0], m))])
        extra_a, extra_b = [], []
        for k, v in enumerate(targeted):
            for sign in (1.0, -1.0):
                row = np.zeros(n + m)
                row[index[v]] = sign
                row[n + k] = -1.0
                extra_a.append(row)
                extra_b.append(sign * target[v])
        a_all = np.vstack([widen(a_ub), *([np.array(extra_a)] if extra_a else [])]) if (len(b_ub) or extra_a) else None
        b = np.concatenate([b_ub, np.array(extra_b)]) if a_all is not None else None
        c = np.zeros(n + m)
        c[n:] = 1.0
        for var, w in (pull or {}).items():
            if var in index:
                c[index[var]] += w
        self.calls += 1
        res = linprog(c, A_ub=a_all, b_ub=b, A_eq=widen(a_eq) if len(b_eq) else None, b_eq=b_eq if len(b_eq) else None,
                      bounds=[*self.bounds, *[(0, None)] * m], method="highs", options=HIGHS)
        if res.status != 0:
            return None
        return {v: float(res.x[i]) for i, v in enumerate(self.variables)}


def _row(expr: dict[str, float], low: float | None, high: float | None, owner: str, label: str) -> Row:
    return Row(tuple(sorted(expr.items())), low, high, owner, label)


def compile_system(claims: list[Claim], names: Names) -> System:
    """Compile the checked statements of a ledger (forecasts, events and context are left out)."""
    rows: dict[str, list[Row]] = {}
    kept = {c.id: c for c in claims if c.kind == "statement"}
    stake_claims: list[tuple[Claim, str]] = []
    partner_of_equity = {eq: p for p, eq in names.partners.items()}
    for c in kept.values():
        expr = names.expression(c)
        rows[c.id] = [_row(expr, c.low, c.high, c.id, c.id)]
        if len(c.quantity) == 1 and c.quantity[0].endswith(".stake"):
            eq = c.quantity[0][len("equity."):-len(".stake")]
            if eq in partner_of_equity:
                stake_claims.append((c, partner_of_equity[eq]))
    # close the set of registry variables under the identities
    variables: set[str] = set()
    for rs in rows.values():
        for r in rs:
            variables.update(v for v, _ in r.coefs)
    identities: list[Row] = []
    done: set[str] = set()
    ready_months: set[str] = set()
    if stake_claims:
        ready_months.update(m.group(3) for v in variables if (m := _VAR.match(v)) and m.group(1) == "ready")
        for month in ready_months:
            variables.add(f"ready({names.jv})@{month}")
    todo = [v for v in variables if _VAR.match(v)]
    while todo:
        var = todo.pop()
        if var in done:
            continue
        done.add(var)
        word, subject, month = _VAR.match(var).groups()  # type: ignore[union-attr]
        new: list[Row] = []
        if word in ("secured", "ready", "deployed"):
            upper = {f"secured({subject})@{month}": 1.0} if word == "ready" else names.committed(subject)
            new.append(_row({var: 1.0, **{k: -v for k, v in upper.items()}}, None, 0.0, "",
                            f"{word} <= {'secured' if word == 'ready' else 'committed'} ({subject}, {month})"))
            if subject == names.jv and word in ("secured", "ready") and names.partners:
                parts = {f"{word}({p})@{month}": -1.0 for p in names.partners}
                new.append(_row({var: 1.0, **parts}, 0.0, None, "",
                                f"{word}({subject}) >= sum of partners' {word} ({month})"))
        elif word in ("coinvestors", "debt", "other"):
            if word == "coinvestors":
                new.append(_row({var: 1.0, **{f"equity.{n}.amount_usd": -1.0 for n in names.outside_equity}},
                                None, 0.0, "", f"co-investor money <= outside equity into the JV ({month})"))
            elif word == "debt":
                new.append(_row({var: 1.0, **{f"loans.{n}.limit_usd": -1.0 for n in names.jv_loans}},
                                None, 0.0, "", f"debt <= loan limits into the JV ({month})"))
        elif word == "raised":
            parts = {f"{p}({subject})@{month}": -1.0 for p in ("coinvestors", "debt", "other")}
            founders = {f"equity.{n}.amount_usd": -1.0 for n in names.partners.values()}
            new.append(_row({var: 1.0, **parts, **founders}, 0.0, 0.0, "",
                            f"raised = founders' equity + co-investors + debt + other ({month})"))
        for r in new:
            identities.append(r)
            for v, _ in r.coefs:
                variables.add(v)
                if _VAR.match(v) and v not in done:
                    todo.append(v)
    # deployed never falls
    deployed: dict[str, list[str]] = {}
    for v in variables:
        m = _VAR.match(v)
        if m and m.group(1) == "deployed":
            deployed.setdefault(m.group(2), []).append(m.group(3))
    for subject, months in deployed.items():
        months.sort()
        for a, b in itertools.pairwise(months):
            identities.append(_row({f"deployed({subject})@{a}": 1.0, f"deployed({subject})@{b}": -1.0}, None, 0.0,
                                   "", f"deployed({subject}) never falls ({a} to {b})"))
    # the stake claims' pro rata rows
    for c, partner in stake_claims:
        for month in sorted(ready_months):
            rp, rj = f"ready({partner})@{month}", f"ready({names.jv})@{month}"
            variables.update((rp, rj))
            if c.low is not None:
                rows[c.id].append(_row({rp: 1.0, rj: -c.low}, 0.0, None, c.id,
                                       f"{partner}'s ready money >= its stake x the JV's ({month})"))
            if c.high is not None:
                rows[c.id].append(_row({rp: 1.0, rj: -c.high}, None, 0.0, c.id,
                                       f"{partner}'s ready money <= its stake x the JV's ({month})"))
    ordered = sorted(variables)
    bounds = [((None, None) if _is_month(v, names) else (0.0, None)) for v in ordered]
    for i, v in enumerate(ordered):
        if v.endswith(".stake"):
            bounds[i] = (0.0, 1.0)
    return System(names=names, variables=ordered, identities=identities, rows=rows, claims=kept, bounds=bounds)


def _is_month(var: str, names: Names) -> bool:
    if _VAR.match(var):
        return False
    try:
        return names.parse(var)[4] == "month"
    except ValueError:
        return False
