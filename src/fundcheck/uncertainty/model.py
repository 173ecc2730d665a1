"""The uncertain inputs of a scenario, tied to the Plan's per-path columns: sample them, and set them on a plan.

``compile_inputs(scenario, plan)`` finds every distribution in the scenario (``scenario.uncertain``) and makes
one ``Input`` for each: its marginal, its point value, and where its value goes in the plan. Values are held to
the field's range (amounts at zero or more, fractions and rates between 0 and 1; delays are whole months of
zero or more). How each kind of field reaches the plan:

==================================  =================================================================
scenario field                      plan column (rows)
==================================  =================================================================
entities.E.cash                     entities.opening_cash_usd (E)
entities.E.can_raise.amount         entities.raise_limit_usd (E)
entities.E.credit.limit / rate      loans.limit_usd / loans.rate_monthly (E's credit line; rate / 12)
instruments[i].amount               equity.amount_usd (the instrument)
instruments[i].limit / rate         loans.limit_usd / loans.rate_monthly (rate / 12)
sites.S.phases[j].facility_capex    phases.facility_capex_usd (the phase)
sites.S.phases[j].it_capex          phases.it_capex_usd
defaults.facility_capex_per_mw      phases.facility_capex_usd x it_mw (phases without their own)
defaults.it_capex_per_mw            phases.it_capex_usd x it_mw (phases without their own)
contracts[k].rate_per_mw_month ...  contracts.rate (usd_per_year / 12)
sites.S.phases[j].delay             phases.delay_months (max(0, round(x)); a reference class:
uncertainty.phase_delay               max(0, round(months x (r - 1))), one draw per phase)
uncertainty.defaults.E              equity.default_month of E's equity rows, loans.default_month of its
                                    loans (hazard: floor of an exponential time in months; dated:
                                    the month `at` with its probability)
uncertainty.rate_shift.annual       loans.rate_shift_monthly (/ 12) and loans.rate_shift_start
==================================  =================================================================
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special, stats

from fundcheck.engine.plan import Plan
from fundcheck.engine.tables import NEVER
from fundcheck.scenario.loader import applied_alternatives
from fundcheck.scenario.schema import Amount, Fraction, Scenario, Sourced
from fundcheck.scenario.uncertain import Uncertain, input_name, uncertain_inputs
from fundcheck.scenario.yamlio import dotted
from fundcheck.uncertainty.distributions import Marginal, marginal
from fundcheck.uncertainty.sampling import (
    BLOCK,
    block_rng,
    block_uniforms,
    cholesky,
    correlate,
    iman_conover,
    pearson_from_spearman,
    t_pearson_from_spearman,
)

__all__ = ["Input", "InputSet", "compile_inputs"]


@dataclass
class Target:
    """Where an input's value goes: a plan column, its rows and a factor per row."""

    column: str
    rows: np.ndarray
    factor: np.ndarray


@dataclass
class Input:
    """One uncertain input: its name, path, source, marginal, point value and targets in the plan."""

    name: str
    path: str
    source: str
    marginal: Marginal
    point: float
    kind: str = "value"  # value | delay | delay_ratio | default_hazard | default_dated | rate_shift
    lo: float = -math.inf
    hi: float = math.inf
    targets: list[Target] = field(default_factory=list)
    months: float = 0.0  # delay_ratio: the phase's planned construction months
    at: int = 0  # default_dated: month index; rate_shift: first month index
    describe: str = ""
    options: list[dict[str, Any]] = field(default_factory=list)  # choice: {option, weight, value, source} each

    def values(self, u: np.ndarray) -> np.ndarray:
        """The input's values at uniforms u, held to its range (what the plan receives, before its factor)."""
        return self.finish(self.marginal.ppf(u))

    def finish(self, x: np.ndarray) -> np.ndarray:
        """Marginal values x (a new array, which this may overwrite) held to the input's range: what the plan
        receives, before its factor. A monotone map, so rank correlations carry through."""
        if self.kind == "delay":
            return np.maximum(np.round(x, out=x), 0, out=x)
        if self.kind == "delay_ratio":
            return np.maximum(np.round(self.months * (x - 1.0)), 0)
        if self.kind == "default_hazard":
            return np.floor(x, out=x)
        if self.kind == "default_dated":
            return np.where(x > 0.5, float(self.at), math.inf)
        lo, hi = self.marginal.support()
        if self.lo <= lo and hi <= self.hi:  # inside the range already: nothing to hold
            return x
        return np.clip(x, self.lo, self.hi, out=x)


@dataclass
class InputSet:
    """The uncertain inputs of a scenario and their correlation (``sample``, ``apply``)."""

    inputs: list[Input]
    corr_cols: list[int] = field(default_factory=list)
    corr_matrix: np.ndarray | None = None
    copula: str = "gaussian"
    df: int = 4
    n_months: int = 0
    notes: list[str] = field(default_factory=list)  # what compiling left out or fixed, and why (reported)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def names(self) -> list[str]:
        """Input names, in the order of the columns of a sample."""
        return [i.name for i in self.inputs]

    @property
    def dims(self) -> int:
        """Uniform columns a path takes: one per input, and one for a t copula's chi-square draw."""
        return len(self.inputs) + (1 if self.copula == "t" and self.corr_cols else 0)

    def correlated(self, u: np.ndarray) -> np.ndarray:
        """Uniforms (paths x dims) with the scenario's rank correlations applied (paths x inputs)."""
        n = len(self.inputs)
        if self.corr_matrix is None or not self.corr_cols:
            return u[:, :n]
        extra = u[:, n] if self.copula == "t" else None
        return correlate(u[:, :n], self.corr_cols, self.corr_matrix, self.copula, self.df, extra)

    def values(self, u: np.ndarray) -> np.ndarray:
        """Input values (paths x inputs) at correlated uniforms."""
        out = np.empty((u.shape[0], len(self.inputs)))
        for j, inp in enumerate(self.inputs):
            out[:, j] = inp.values(u[:, j])
        return out

    def sample(self, sampler: str, seed: int, lo: int, hi: int, workers: int = 1) -> np.ndarray:
        """Input values of paths lo..hi-1 (see ``sampling``: the same whatever the chunking), column-major (each
        input's values are contiguous). `workers` threads share the blocks (each block has its own generator
        and its own rows, so the numbers do not depend on it)."""
        n = len(self.inputs)
        if not n:
            return np.zeros((hi - lo, 0))
        out = np.empty((n, hi - lo)).T
        if self.corr_matrix is not None and self.corr_cols and self.copula != "iman-conover":
            self._factor()  # computed once, before any thread needs it

        def one(b: int) -> None:
            a, c = max(lo, b * BLOCK), min(hi, (b + 1) * BLOCK)  # the paths of block b in lo..hi-1
            whole = a == b * BLOCK and c == (b + 1) * BLOCK
            target = out[a - lo:c - lo] if whole else np.empty((n, BLOCK)).T
            self.block(sampler, seed, b, target)
            if not whole:
                out[a - lo:c - lo] = target[a - b * BLOCK:c - b * BLOCK]

        blocks = range(lo // BLOCK, (hi - 1) // BLOCK + 1)
        if workers > 1 and len(blocks) > 1:
            with ThreadPoolExecutor(min(workers, len(blocks))) as pool:
                list(pool.map(one, blocks))  # numpy's generators and ufuncs release the GIL
        else:
            for b in blocks:
                one(b)
        return out

    def block(self, sampler: str, seed: int, b: int, out: np.ndarray) -> None:
        """Write the input values of sampling block b (BLOCK paths) into `out` (BLOCK x inputs). Every path's
        values come from the block as a whole, never from a chunk's slice of it."""
        if sampler == "random":
            self._random_block(block_rng(seed, b), out)
            return
        u = self.correlated(block_uniforms(sampler, seed, b, self.dims))
        for j, inp in enumerate(self.inputs):
            out[:, j] = inp.values(u[:, j])

    def _random_block(self, rng: np.random.Generator, out: np.ndarray) -> None:
        """The ``random`` sampler's block from its generator, in normal-score space where it can be (see
        ``sampling``): the correlated inputs first (in their order in the correlation), then every other input
        in order, each drawn by ``Marginal.draw``."""
        cols = self.corr_cols if self.corr_matrix is not None else []
        if cols:
            k = len(cols)
            if self.copula == "iman-conover":
                for j in cols:
                    inp = self.inputs[j]
                    out[:, j] = inp.finish(inp.marginal.draw(rng, BLOCK))
                out[:, cols] = iman_conover(out[:, cols], pearson_from_spearman(self.corr_matrix))
            else:
                z = rng.standard_normal((BLOCK, k)) @ self._factor().T
                if self.copula == "t":
                    w = rng.chisquare(self.df, BLOCK)  # the same distribution as scipy.stats.chi2(df)
                    u = special.stdtr(self.df, z / np.sqrt(w / self.df)[:, None])  # scipy.stats.t.cdf
                    for col, j in enumerate(cols):
                        out[:, j] = self.inputs[j].values(u[:, col])
                else:
                    for col, j in enumerate(cols):
                        inp = self.inputs[j]
                        out[:, j] = inp.finish(inp.marginal.from_normal(z[:, col]))
        taken = set(cols)
        for j, inp in enumerate(self.inputs):
            if j not in taken:
                view = out[:, j]  # drawn in place when the column is contiguous (as ``sample`` lays it out)
                got = inp.finish(inp.marginal.draw(rng, BLOCK, out=view if view.flags.c_contiguous else None))
                if got is not view:
                    view[...] = got

    def _factor(self) -> np.ndarray:
        """The Cholesky factor of the copula's normal-score correlation (computed once)."""
        key = (self.copula, self.df, self.corr_matrix.tobytes())  # type: ignore[union-attr]
        if self._cache.get("factor_key") != key:
            r = (t_pearson_from_spearman(self.corr_matrix, self.df) if self.copula == "t"
                 else pearson_from_spearman(self.corr_matrix))
            self._cache["factor"], self._cache["factor_key"] = cholesky(r), key
        return self._cache["factor"]

    def points(self) -> np.ndarray:
        """Every input at its point value (one row)."""
        return np.array([[i.point for i in self.inputs]])

    def apply(self, plan: Plan, x: np.ndarray) -> Plan:
        """`plan` with its per-path columns set from input values x (paths x inputs)."""
        n = x.shape[0]
        cols: dict[str, np.ndarray] = {}

        def column(name: str) -> np.ndarray:
            if name not in cols:
                table, _, key = name.partition(".")
                base = plan.tables[table].columns[key]
                cols[name] = np.array(np.broadcast_to(base[:1] if base.shape[0] == 1 else base,
                                                      (n, *base.shape[1:])))
            return cols[name]

        for j, inp in enumerate(self.inputs):
            v = x[:, j]
            if inp.kind in ("default_hazard", "default_dated"):
                month = np.where(np.isfinite(v) & (v < self.n_months), v, NEVER).astype(np.int64)
                for t in inp.targets:
                    column(t.column)[:, t.rows] = month[:, None]
            elif inp.kind == "rate_shift":
                for t in inp.targets:
                    if t.column.endswith("rate_shift_start"):
                        column(t.column)[:, t.rows] = inp.at
                    else:
                        column(t.column)[:, t.rows] = v[:, None] * t.factor[None, :]
            else:
                for t in inp.targets:
                    col = column(t.column)
                    w = v[:, None] * t.factor[None, :]
                    if np.issubdtype(col.dtype, np.integer):
                        # whole months (a phase delay): beyond the horizon every delay acts alike, and a sampled
                        # 1e15 months would not fit the integer column (numpy would write garbage)
                        w = np.clip(np.nan_to_num(w, nan=0.0), -(self.n_months + 1), self.n_months + 1)
                    col[:, t.rows] = w
        if "loans.limit_usd" in cols:  # a sculpted loan's limit is at most what its base-case cash carries
            np.minimum(cols["loans.limit_usd"], plan.loans.dscr_capacity_usd[None, :], out=cols["loans.limit_usd"])
        for name, values in cols.items():
            plan = plan.vary(name, values)
        return plan


def _range(sourced: Sourced, kind: str) -> tuple[float, float]:
    if kind != "value":
        return -math.inf, math.inf
    if isinstance(sourced, Fraction):
        return 0.0, 1.0
    if isinstance(sourced, Amount):
        return 0.0, math.inf
    return -math.inf, math.inf


def _alternative_values(s: Scenario, path: tuple[Any, ...], u: Uncertain, sourced: Sourced
                        ) -> tuple[dict[str, float], dict[str, str]]:
    """For a choice: the value each named alternative sets on this field, and its source (the value's own
    source, then the alternative's)."""
    values: dict[str, float] = {}
    sources: dict[str, str] = {}
    alts = {a.name: a for a in s.alternatives}
    for option in u.options or {}:
        if option == "central":
            continue
        alt = alts[option]
        raw = next(v for k, v in alt.set.items()
                   if tuple(int(p) if p.isdigit() else p for p in str(k).split(".")) == path)
        got = type(sourced).model_validate(raw)
        values[option] = got.value
        parts = [t for t in (got.source, alt.source and f"alternative {option}: {alt.source}") if t]
        sources[option] = "; ".join(parts)
    return values, sources


def compile_inputs(s: Scenario, plan: Plan) -> InputSet:
    """Every uncertain input of `s`, tied to the columns of `plan` (compiled from the same scenario)."""
    inputs: list[Input] = []
    ph, ent, eq, ln = plan.phases, plan.entities, plan.equity, plan.loans
    names = list(s.instrument_names())
    ct_names = list(s.contract_names())
    one = np.ones(1)

    def add(path: tuple[Any, ...], src: Sourced, targets: list[Target], kind: str = "value", name: str | None = None,
            **extra: Any) -> None:
        u = src.uncertain
        options, sources = _alternative_values(s, path, u, src) if u.dist == "choice" else (None, {})
        m = marginal(u, src.value, options)
        lo, hi = _range(src, kind)
        source = _source(s, path, src)
        choices = []
        if u.dist == "choice":
            total = sum(u.options.values())
            choices = [{"option": o, "weight": round(w / total, 12),
                        "value": src.value if o == "central" else options[o],
                        "source": source if o == "central" else sources[o]} for o, w in u.options.items()]
        inputs.append(Input(name or input_name(path, src), dotted(path), source, m,
                            src.value if kind == "value" else 0.0, kind, lo, hi, targets,
                            describe=_describe(u), options=choices, **extra))

    def rows(table: Any, name: str) -> np.ndarray:
        return np.array([table.id(name)])

    for path, src in uncertain_inputs(s):
        head = path[0]
        if head == "defaults":
            key = "facility_capex" if path[1] == "facility_capex_per_mw" else "it_capex"
            hs = [h for h, (site, j) in enumerate(_phase_keys(s)) if getattr(s.sites[site].phases[j], key) is None]
            add(path, src, [Target(f"phases.{key}_usd", np.array(hs, dtype=np.int64),
                                   np.array([float(ph.it_mw[h]) for h in hs]))])
        elif head == "entities":
            e = path[1]
            if path[2] == "cash":
                add(path, src, [Target("entities.opening_cash_usd", rows(ent, e), one)])
            elif path[2] == "can_raise":
                add(path, src, [Target("entities.raise_limit_usd", rows(ent, e), one)])
            elif path[2] == "credit":
                line = np.array([k for k in range(len(ln)) if ln.credit_line[k] and ln.borrower[k] == ent.id(e)])
                if path[3] == "limit":
                    add(path, src, [Target("loans.limit_usd", line, one)])
                else:
                    add(path, src, [Target("loans.rate_monthly", line, one / 12)])
        elif head == "instruments":
            name, key = names[path[1]], path[2]
            if key == "amount":
                add(path, src, [Target("equity.amount_usd", rows(eq, name), one)])
            elif key == "limit":
                add(path, src, [Target("loans.limit_usd", rows(ln, name), one)])
            else:
                add(path, src, [Target("loans.rate_monthly", rows(ln, name), one / 12)])
        elif head == "sites":
            label = f"{path[1]}: {s.sites[path[1]].phases[path[3]].name}"
            key = path[4]
            if key == "delay":
                _delay(inputs, path, src, ph, label, s)
            else:
                add(path, src, [Target(f"phases.{key}_usd", rows(ph, label), one)])
        elif head == "contracts":
            factor = one / 12 if path[2] == "usd_per_year" else one
            add(path, src, [Target("contracts.rate", rows(plan.contracts, ct_names[path[1]]), factor)])
        elif head == "uncertainty" and path[1] == "phase_delay":
            for site, j in _phase_keys(s):
                if s.sites[site].phases[j].delay is None:
                    label = f"{site}: {s.sites[site].phases[j].name}"
                    _delay(inputs, path, src, ph, label, s, name=f"{input_name(path, src)}[{label}]")
        elif head == "uncertainty" and path[1] == "rate_shift":
            shift = s.uncertainty.rate_shift  # type: ignore[union-attr]
            chosen = shift.loans or list(ln.index)
            ids = np.array([ln.id(n) for n in chosen], dtype=np.int64)
            start = plan.axis.index(shift.start)
            add(path, src, [Target("loans.rate_shift_monthly", ids, np.full(len(ids), 1 / 12)),
                            Target("loans.rate_shift_start", ids, np.ones(len(ids)))], kind="rate_shift", at=start)
            inputs[-1].point = src.value
    for name, d in (s.uncertainty.defaults if s.uncertainty is not None else {}).items():
        i = ent.id(name)
        targets = [Target("equity.default_month", np.flatnonzero(eq.investor == i), np.ones(1)),
                   Target("loans.default_month", np.flatnonzero(ln.lender == i), np.ones(1))]
        targets = [t for t in targets if len(t.rows)]
        source = d.source or ""
        path = f"uncertainty.defaults.{name}"
        if d.hazard_per_year is not None:
            h = d.hazard_per_year.value
            dist = stats.expon(scale=12.0 / h) if h > 0 else stats.uniform(loc=NEVER, scale=1)
            inputs.append(Input(path, path, d.hazard_per_year.source or source, Marginal("exponential", dist),
                                math.inf, "default_hazard", targets=targets, describe=f"hazard {h:.4g}/yr"))
        else:
            p = d.probability.value  # type: ignore[union-attr]
            inputs.append(Input(path, path, d.probability.source or source,  # type: ignore[union-attr]
                                Marginal("bernoulli", stats.bernoulli(p)), math.inf, "default_dated",
                                targets=targets, at=plan.axis.index(d.at), describe=f"P={p:.4g} in month"))
    out = InputSet(inputs, n_months=plan.axis.n)
    c = s.correlations
    if c is not None:
        # an input an applied alternative fixed is left out (a principal submatrix stays a correlation matrix),
        # and the run says so; validation has refused every other name that is not one input
        index = {inp.name: k for k, inp in enumerate(inputs)}
        keep = [k for k, n in enumerate(c.inputs) if n in index]
        dropped = [n for n in c.inputs if n not in index]
        applied = ", ".join(applied_alternatives(s))
        for n in dropped:
            out.notes.append(f"correlations: '{n}' is not uncertain in this run (an applied alternative"
                             f"{f' among {applied}' if applied else ''} fixed it); it is left out of the correlations")
        if dropped and len(keep) < 2:
            out.notes.append("correlations: fewer than two of the listed inputs are uncertain in this run; no "
                             "correlation is applied")
        if len(keep) >= 2:
            out.corr_cols = [index[c.inputs[k]] for k in keep]
            out.corr_matrix = np.array(c.matrix, dtype=np.float64)[np.ix_(keep, keep)]
            out.copula, out.df = c.copula, c.df
    return out


def _delay(inputs: list[Input], path: tuple[Any, ...], src: Sourced, ph: Any, label: str, s: Scenario,
           name: str | None = None) -> None:
    u = src.uncertain
    h = ph.id(label)
    target = [Target("phases.delay_months", np.array([h]), np.ones(1))]
    m = marginal(u, 1.0)
    kind = "delay_ratio" if u.reference is not None else "delay"
    if u.reference is not None and u.truncate is not None:
        # `truncate` is in the field's units (months of delay): delay = months (r - 1), so r is held to
        # [1 + lo / months, 1 + hi / months]
        months = float(ph.months[h])
        m.truncate = (1 + u.truncate[0] / months, 1 + u.truncate[1] / months)
    inputs.append(Input(name or input_name(path, src), dotted(path), _source(s, path, src), m, 0.0, kind,
                        targets=target, months=float(ph.months[h]), describe=_describe(u)))


def _phase_keys(s: Scenario) -> list[tuple[str, int]]:
    return [(site, j) for site, st in s.sites.items() for j in range(len(st.phases))]


def _source(s: Scenario, path: tuple[Any, ...], src: Sourced) -> str:
    """The source of a number: its own, or the nearest enclosing item's."""
    if src.source:
        return src.source
    node: Any = s
    found = ""
    for part in path[:-1]:
        node = node[part] if isinstance(node, dict | list) else getattr(node, _attr(node, part))
        found = getattr(node, "source", None) or found
    return found


def _attr(model: Any, alias: str) -> str:
    for name, f in type(model).model_fields.items():
        if (f.alias or name) == alias:
            return name
    return alias


def _describe(u: Uncertain) -> str:
    cut = f", truncated to [{u.truncate[0]:,.4g}, {u.truncate[1]:,.4g}]" if u.truncate else ""
    if u.reference is not None:
        return f"reference {u.reference}{cut}"
    keys = ("p5", "p95", "p10", "p90", "low", "mode", "high", "mean", "sd", "alpha", "beta")
    params = {k: getattr(u, k) for k in keys if getattr(u, k) is not None}
    text = ", ".join(f"{k} {v:,.4g}" for k, v in params.items())
    if u.options:
        text = ", ".join(f"{k} {w:g}" for k, w in u.options.items())
    if u.sample:
        text = f"{len(u.sample)} values"
    return f"{u.dist}: {text}{cut}"
