"""Uncertain inputs in a scenario: a distribution on a sourced number, phase delays, partner defaults, a rate path,
and rank correlations between named inputs.

A sourced number may carry a distribution beside its point value::

    {value: 50B, dist: lognormal, p5: 35B, p95: 60B, source: E1}   # 5th and 95th percentiles: a 90% interval
    {value: 50B, dist: lognormal, p10: 35B, p90: 60B, source: E1}  # 10th and 90th percentiles: an 80% interval
    "35B to 60B"                                  # short form: a lognormal with this 90% interval (p5, p95)
    {value: 37.5M, dist: choice, options: {central: 0.4, cost-nvidia-high: 0.3}, source: E3}
    {value: 11.6B, reference: flyvbjerg-2002-all, source: D3}   # the point value times a cited overrun ratio

`value` stays the point value, so a deterministic run is unchanged; when it is left out it is the
distribution's median (lognormal, empirical), mode (triangular, PERT), mean (normal, beta) or midpoint
(uniform). Kinds and their parameters (all amounts may be written '$35B', '7%'):

=============  ======================================  ==============================================
dist           parameters                               meaning
=============  ======================================  ==============================================
lognormal      p5, p95  or  p10, p90                    the 5th and 95th (a 90% interval; the short form
                                                        'A to B') or the 10th and 90th percentiles (an 80%
                                                        interval); 0 < lower < upper
normal         mean, sd  or  p5, p95  or  p10, p90      sd > 0
uniform        low, high
triangular     low, mode, high
pert           low, mode, high                          Beta-PERT (shape 4)
beta           alpha, beta, low (0), high (1)           a beta scaled to [low, high]
choice         options: {alternative or central: w}     one of the scenario's named alternatives that
                                                        set this field (each keeps its source), by weight
empirical      sample: [x, ...]                         equal weight on each value
(reference)    reference: NAME                          a reference class (``data/reference``)
=============  ======================================  ==============================================

Any kind may add ``truncate: [lo, hi]``, in the field's units (for a reference class too: an amount's class is
truncated at the ratios [lo / value, hi / value], a delay class at the delays lo to hi months). ``name:`` gives the
input a short name for ``correlations``; otherwise it is named by its path (``defaults.it_capex_per_mw``,
``sites.Abilene.phases[0].facility_capex``).

Only numbers the engine can vary per path may carry a distribution (``VARIABLE``); anything else is a located error.
The checks of meaning (parameters in order, alternatives that exist and set the field, a correlation matrix that is
symmetric, has a unit diagonal and is positive semi-definite, names that exist and stand for one input each:
``uncertainty.phase_delay`` is drawn per phase and cannot be correlated) are ``uncertainty_problems``, run by the
loader with the other meaning checks.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from fundcheck.scenario.quantities import AmountTooLargeError, parse_amount

__all__ = ["DIST_KINDS", "VARIABLE", "Uncertain", "parse_uncertain", "reference_classes", "split_dist",
           "uncertain_inputs", "uncertainty_problems"]

DIST_KINDS = ("lognormal", "normal", "uniform", "triangular", "pert", "beta", "choice", "empirical")
PARAMS = {
    "lognormal": (set(), {"p5", "p95", "p10", "p90"}),
    "normal": (set(), {"mean", "sd", "p5", "p95", "p10", "p90"}),
    "uniform": ({"low", "high"}, set()),
    "triangular": ({"low", "mode", "high"}, set()),
    "pert": ({"low", "mode", "high"}, set()),
    "beta": ({"alpha", "beta"}, {"low", "high"}),
    "choice": ({"options"}, set()),
    "empirical": ({"sample"}, set()),
}
NUMBER_KEYS = ("p5", "p95", "p10", "p90", "low", "mode", "high", "mean", "sd", "alpha", "beta")
DIST_KEYS = ("dist", *NUMBER_KEYS, "options", "sample", "truncate", "reference", "name")

# Scenario paths whose number the engine can vary per path (``*`` any name or index).
VARIABLE = (
    "defaults.facility_capex_per_mw", "defaults.it_capex_per_mw",
    "entities.*.cash", "entities.*.can_raise.amount", "entities.*.credit.limit", "entities.*.credit.rate",
    "instruments.*.amount", "instruments.*.limit", "instruments.*.rate",
    "sites.*.phases.*.facility_capex", "sites.*.phases.*.it_capex", "sites.*.phases.*.delay",
    "contracts.*.rate_per_mw_month", "contracts.*.rate_per_gpu_hour", "contracts.*.usd_per_year",
    "uncertainty.phase_delay", "uncertainty.rate_shift.annual",
)
_TO = re.compile(r"^\s*(?P<lo>[^\s].*?)\s+to\s+(?P<hi>[^\s].*?)\s*$")


@cache
def reference_classes() -> dict[str, dict[str, Any]]:
    """The shipped reference classes by name (``data/reference/classes.json``): kind, parameters, citation."""
    text = (resources.files("fundcheck") / "data" / "reference" / "classes.json").read_text(encoding="utf-8")
    return {k: v for k, v in json.loads(text).items() if not k.startswith("_")}


class Uncertain(BaseModel):
    """The distribution of one sourced number (see the module docstring for kinds and parameters)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dist: Literal["lognormal", "normal", "uniform", "triangular", "pert", "beta", "choice", "empirical"] | None = None
    p5: float | None = None
    p95: float | None = None
    p10: float | None = None
    p90: float | None = None
    low: float | None = None
    mode: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = None
    alpha: float | None = None
    beta: float | None = None
    options: dict[str, float] | None = None
    sample: list[float] | None = Field(None, min_length=2, max_length=100_000)
    truncate: tuple[float, float] | None = None
    reference: str | None = None
    name: str | None = Field(None, max_length=200)

    @model_validator(mode="before")
    @classmethod
    def _amounts(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            return raw
        out = dict(raw)
        for key in NUMBER_KEYS:
            if out.get(key) is not None:
                out[key] = _amount(out[key], key)
        if isinstance(out.get("truncate"), list | tuple):
            out["truncate"] = [_amount(v, "truncate") for v in out["truncate"]]
        if isinstance(out.get("sample"), list):
            out["sample"] = [_amount(v, "sample") for v in out["sample"]]
        if isinstance(out.get("options"), dict):
            out["options"] = {k: _amount(v, f"options.{k}") for k, v in out["options"].items()}
        return out

    @model_validator(mode="after")
    def _parameters(self) -> Uncertain:
        given = {k for k in (*NUMBER_KEYS, "options", "sample") if getattr(self, k) is not None}
        if self.reference is not None:
            if self.dist is not None or given:
                raise ValueError("a reference class sets the whole distribution; expected `reference:` without "
                                 f"dist or {', '.join(sorted(given)) or 'parameters'}")
            known = reference_classes()
            if self.reference not in known:
                raise ValueError(f"no reference class named '{self.reference}'; expected one of: "
                                 f"{', '.join(sorted(known))}")
        elif self.dist is None:
            raise ValueError(f"found {', '.join(sorted(given))} without `dist:`; expected a dist "
                             f"({', '.join(DIST_KINDS)}) or a `reference:`")
        else:
            need, may = PARAMS[self.dist]
            extra = given - need - may
            if extra:
                raise ValueError(f"{', '.join(sorted(extra))} is not a parameter of a {self.dist} distribution; "
                                 f"expected {', '.join(sorted(need | may))}")
            missing = need - given
            if self.dist in ("lognormal", "normal"):
                pairs = ([{"mean", "sd"}] if self.dist == "normal" else []) + [{"p5", "p95"}, {"p10", "p90"}]
                used = [p for p in pairs if p & given]
                if len(used) != 1:
                    ways = ("mean and sd, " if self.dist == "normal" else "") + \
                        "p5 and p95 (a 90% interval) or p10 and p90 (an 80% interval)"
                    raise ValueError(f"a {self.dist} distribution needs one of: {ways}; found "
                                     f"{', '.join(sorted(given)) or 'none of them'}")
                missing = used[0] - given
            if missing:
                raise ValueError(f"a {self.dist} distribution needs {', '.join(sorted(missing))}")
            _check_order(self)
        if self.truncate is not None and not self.truncate[0] < self.truncate[1]:
            raise ValueError(f"truncate: found [{self.truncate[0]:,.6g}, {self.truncate[1]:,.6g}]; expected "
                             "[lo, hi] with lo below hi")
        return self

    def point(self) -> float | None:
        """The value a deterministic run takes when the scenario gives none (None: it must be given)."""
        d = self.dist
        lo, hi = (self.p5, self.p95) if self.p5 is not None else (self.p10, self.p90)
        if d == "lognormal":
            return math.sqrt(lo * hi)  # type: ignore[operator]
        if d == "normal":
            return self.mean if self.mean is not None else (lo + hi) / 2  # type: ignore[operator]
        if d == "uniform":
            return (self.low + self.high) / 2  # type: ignore[operator]
        if d in ("triangular", "pert"):
            return self.mode
        if d == "beta":
            lo, hi = self.low or 0.0, 1.0 if self.high is None else self.high
            return lo + (hi - lo) * self.alpha / (self.alpha + self.beta)  # type: ignore[operator]
        if d == "empirical":
            return float(np.median(self.sample))
        return None


def _amount(raw: Any, key: str) -> float:
    try:
        return parse_amount(raw)
    except AmountTooLargeError:
        raise ValueError(f"{key}: found {raw!r}; expected an amount of at most 1e15 in size") from None
    except ValueError:
        raise ValueError(f"{key}: cannot read {raw!r} as a number; expected e.g. 35e9, '$35B' or '7.5%'") from None


def _check_order(u: Uncertain) -> None:
    d = u.dist
    for a, b in (("p5", "p95"), ("p10", "p90")):
        lo, hi = getattr(u, a), getattr(u, b)
        if lo is not None and hi is not None and not lo < hi:
            raise ValueError(f"found {a} {lo:,.6g} not below {b} {hi:,.6g}; expected {a} below {b}")
        if d == "lognormal" and lo is not None and lo <= 0:
            raise ValueError(f"found {a} {lo:,.6g}; a lognormal needs {a} above zero")
    if d == "normal" and u.sd is not None and u.sd <= 0:
        raise ValueError(f"found sd {u.sd:,.6g}; expected a scale (sd) above zero")
    if d in ("uniform", "triangular", "pert") and not u.low < u.high:  # type: ignore[operator]
        raise ValueError(f"found low {u.low:,.6g} not below high {u.high:,.6g}; expected low below high")
    if d in ("triangular", "pert") and not u.low <= u.mode <= u.high:  # type: ignore[operator]
        raise ValueError(f"found mode {u.mode:,.6g} outside [{u.low:,.6g}, {u.high:,.6g}]; "
                         "expected low <= mode <= high")
    if d == "beta":
        for k in ("alpha", "beta"):
            if getattr(u, k) <= 0:
                raise ValueError(f"found {k} {getattr(u, k):,.6g}; expected a shape above zero")
        lo, hi = u.low or 0.0, 1.0 if u.high is None else u.high
        if not lo < hi:
            raise ValueError(f"found low {lo:,.6g} not below high {hi:,.6g}; expected low below high")
    if d == "choice":
        if not u.options:
            raise ValueError("a choice needs `options`: {alternative name or central: weight}")
        bad = [k for k, w in u.options.items() if not w >= 0]
        if bad or sum(u.options.values()) <= 0:
            raise ValueError("choice weights must be zero or more, and not all zero")


def split_dist(raw: Any) -> tuple[Any, dict[str, Any] | None]:
    """A sourced number as written, split into its plain part (value, source, note) and its distribution part
    (None if it has none). The short form '35B to 60B' becomes a lognormal with that 90% interval: 35B is its
    5th percentile and 60B its 95th (p5, p95)."""
    if isinstance(raw, str) and _TO.match(raw):
        raw = {"value": raw}
    if not isinstance(raw, dict):
        return raw, None
    plain = {k: v for k, v in raw.items() if k not in DIST_KEYS}
    dist = {k: v for k, v in raw.items() if k in DIST_KEYS}
    value = plain.get("value")
    if isinstance(value, str):
        m = _TO.match(value)
        if m:
            if dist.get("dist") not in (None, "lognormal"):
                raise ValueError(f"found '{value}' with dist {dist['dist']}; 'A to B' is a lognormal's 90% interval "
                                 "(A its 5th percentile, B its 95th)")
            dist = {**dist, "dist": "lognormal", "p5": m.group("lo"), "p95": m.group("hi")}
            plain = {k: v for k, v in plain.items() if k != "value"}
    if not dist:
        return plain, None
    return plain, dist


def parse_uncertain(dist: dict[str, Any]) -> Uncertain:
    """Validate a distribution part (raises pydantic's ValidationError or ValueError)."""
    return Uncertain.model_validate(dist)


def _matches(pattern: str, path: tuple[Any, ...]) -> bool:
    parts = pattern.split(".")
    return len(parts) == len(path) and all(p == "*" or p == str(q) for p, q in zip(parts, path, strict=True))


def variable(path: tuple[Any, ...]) -> bool:
    """True when the engine can vary the number at `path` per path."""
    return any(_matches(p, path) for p in VARIABLE)


def uncertain_inputs(scenario: Any) -> list[tuple[tuple[Any, ...], Any]]:
    """Every sourced number of the scenario that carries a distribution: (path, the Sourced), in file order."""
    from fundcheck.scenario.schema import Scenario, Sourced

    out: list[tuple[tuple[Any, ...], Any]] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(scenario, ())]
    while stack:
        obj, path = stack.pop()
        if isinstance(obj, Sourced):
            if obj.uncertain is not None:
                out.append((path, obj))
        elif isinstance(obj, BaseModel):
            items = []
            for name, fld in type(obj).model_fields.items():
                if isinstance(obj, Scenario) and name in ("alternatives", "correlations"):
                    continue
                items.append((getattr(obj, name), path + (fld.alias or name,)))
            stack.extend(reversed(items))
        elif isinstance(obj, dict):
            stack.extend(reversed([(v, path + (k,)) for k, v in obj.items()]))
        elif isinstance(obj, list):
            stack.extend(reversed([(v, path + (i,)) for i, v in enumerate(obj)]))
    return out


def input_name(path: tuple[Any, ...], sourced: Any) -> str:
    """The name of an uncertain input: its own `name:` or its dotted path."""
    from fundcheck.scenario.yamlio import dotted

    return sourced.uncertain.name or dotted(path)


def _alt_path(key: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isascii() and p.isdigit() and len(p) < 10 else p for p in str(key).split("."))


def uncertainty_problems(s: Any, fixed_ok: bool = False) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Distributions where the engine cannot vary the number, choices among alternatives that do not exist or do
    not set the field, delays with a point value, and correlations that are not a valid correlation matrix or
    name inputs that do not exist. Yields (path, message). `fixed_ok`: an alternative is applied, which may have
    replaced a correlated input by a plain number; such names are then left out of the correlations."""
    from fundcheck.scenario.yamlio import dotted

    found = uncertain_inputs(s)
    alts = {a.name: a for a in s.alternatives}
    names: dict[str, tuple[Any, ...]] = {}
    for path, src in found:
        u = src.uncertain
        if not variable(path):
            yield path, ("this number cannot vary per path (the engine has no per-path column for it); "
                         "expected a distribution only on: " + ", ".join(VARIABLE))
            continue
        if u.reference is not None:
            is_delay = path[-1] in ("delay", "phase_delay")
            applies = reference_classes()[u.reference].get("applies_to")
            if (applies == "delay") != is_delay:
                what = "phase delays" if applies == "delay" else "amounts"
                yield path, (f"the reference class '{u.reference}' is for {what}; "
                             f"expected a class for {'phase delays' if is_delay else 'amounts'}: " + ", ".join(
                                 k for k, v in reference_classes().items()
                                 if (v.get("applies_to") == "delay") == is_delay))
                continue
        message = _checked(_truncation_problem, u, src.value, path)
        if message:
            yield path + ("truncate",), message
        message = _checked(_range_problem, u, src.value, path)
        if message:
            yield path, message
        name = input_name(path, src)
        if name in names:
            yield path + ("name",), (f"the input name '{name}' is also used at {dotted(names[name])}; "
                                     "expected unique names")
        names[name] = path
        if u.dist == "choice":
            for option in u.options:
                if option == "central":
                    continue
                alt = alts.get(option)
                if alt is None:
                    yield path + ("options", option), (f"no alternative named '{option}'; expected 'central' or one "
                                                       f"of: {', '.join(alts) or '(none)'}")
                elif not any(_alt_path(k) == path for k in alt.set):
                    yield path + ("options", option), (f"the alternative '{option}' does not set {dotted(path)}; "
                                                       "expected an alternative that sets this field")
    shift = s.uncertainty.rate_shift if s.uncertainty is not None else None
    if shift is not None and shift.annual.value != 0:
        yield ("uncertainty", "rate_shift", "annual"), (f"found value {shift.annual.value:g}; a rate shift's point "
                                                        "value is 0 (the rates as given); change the loans' rates to "
                                                        "change the plan")
    c = s.correlations
    if c is None:
        return
    here: tuple[Any, ...] = ("correlations",)
    per_phase = {n for n, p in names.items() if p == ("uncertainty", "phase_delay")}
    for k, name in enumerate(c.inputs):
        if name in per_phase:
            yield here + ("inputs", k), (f"'{name}' is uncertainty.phase_delay, drawn independently for each phase "
                                         "without its own delay, so it is not one input that can be correlated; "
                                         "expected a phase's own delay (sites.S.phases[j].delay with a name:)")
        elif name not in names and not fixed_ok:
            yield here + ("inputs", k), (f"no uncertain input named '{name}'; expected one of: "
                                         f"{', '.join(names) or '(none: give an input a distribution first)'}")
    if len(set(c.inputs)) != len(c.inputs):
        yield here + ("inputs",), "an input is listed twice; expected each input once"
    message = matrix_problem(c.matrix, len(c.inputs))
    if message:
        yield here + ("matrix",), message


_CHECKS: dict[tuple[str, str, str, Any], str | None] = {}  # a check's answer by its inputs (it reads no others)
_UNSET = object()


def _checked(check: Any, u: Uncertain, point: Any, path: tuple[Any, ...]) -> str | None:
    """`check`(u, point, path), remembered: a scenario and each of its alternatives is validated on every load,
    and each check builds a scipy distribution (about 0.6 ms); the answer depends only on the distribution, its
    point value and the field's name."""
    key = (check.__name__, u.model_dump_json(), repr(point), path[-1] if path else None)
    answer = _CHECKS.get(key, _UNSET)  # one lookup: another thread may clear the table in between
    if answer is _UNSET:
        answer = check(u, point, path)
        if len(_CHECKS) >= 4096:
            _CHECKS.clear()
        _CHECKS[key] = answer
    return answer


def _truncation_problem(u: Uncertain, point: Any, path: tuple[Any, ...]) -> str | None:
    """A `truncate: [lo, hi]` that holds (almost) none of the distribution: every path would be clipped to a bound,
    a number the sources never gave. (Choices are left to their alternatives; a delay's reference class is
    truncated in months of delay, not as a ratio, and is left out too.)"""
    if u.truncate is None or u.dist == "choice":
        return None
    lo, hi = u.truncate
    if u.dist == "empirical":
        if any(lo <= x <= hi for x in u.sample or ()):
            return None
        return (f"found [{lo:,.6g}, {hi:,.6g}], which holds none of the sample's values; expected a range that "
                "keeps some of them")
    if u.reference is not None and path[-1] in ("delay", "phase_delay"):
        return None
    try:
        from fundcheck.uncertainty.distributions import marginal

        pt = float(point) if isinstance(point, int | float) and not isinstance(point, bool) else 1.0
        m = marginal(u, pt)
        if m.truncate is None:
            if u.reference is not None:
                return (f"found [{lo:,.6g}, {hi:,.6g}] on a reference class with point value {pt:,.6g}; a "
                        "reference class is a ratio to the point value, so truncation needs a point value above zero")
            return None
        if m.values is not None:
            vals = m.values
            if any(m.truncate[0] <= x <= m.truncate[1] for x in vals):
                return None
            mass = 0.0
        else:
            mass = float(m.dist.cdf(m.truncate[1]) - m.dist.cdf(m.truncate[0]))
    except (ValueError, ArithmeticError):
        return None
    if not mass > 1e-9:
        return (f"found [{lo:,.6g}, {hi:,.6g}], which holds {'none' if mass == 0 else f'{mass:.2g}'} of the "
                "distribution's probability: every path would be clipped to a bound; expected a range where the "
                "distribution has values")
    return None


def _range_problem(u: Uncertain, point: Any, path: tuple[Any, ...]) -> str | None:
    """A distribution whose draws cannot be used as given: values past floating point (an overflowing lognormal),
    or a delay that lies wholly below half a month, so that every path would be rounded and clipped to no delay
    (delays are zero or more whole months). Choices, samples and reference classes are checked elsewhere."""
    if u.dist in ("choice", "empirical") or u.reference is not None:
        return None
    try:
        from fundcheck.uncertainty.distributions import marginal

        pt = float(point) if isinstance(point, int | float) and not isinstance(point, bool) else 0.0
        m = marginal(u, pt)
        if m.dist is None:
            return None
        with np.errstate(all="ignore"):
            lo, hi = (float(x) for x in m.dist.ppf([1e-12, 1.0 - 1e-12]))
    except (ValueError, ArithmeticError):
        return None
    if not (np.isfinite(lo) and np.isfinite(hi) and abs(lo) < 1e300 and abs(hi) < 1e300):
        return ("its draws overflow floating point (its range reaches past 1e300); expected parameters whose "
                "values stay within that")
    if path[-1] in ("delay", "phase_delay") and hi < 0.5:
        return (f"every draw is below half a month (at most {hi:,.3g}), so every path would get no delay: a delay is "
                "zero or more whole months; expected a distribution with values of 1 month or more (move `start` to "
                "plan an earlier schedule)")
    return None


def matrix_problem(matrix: list[list[float]], n: int) -> str | None:
    """What makes `matrix` not a valid n x n correlation matrix (None if it is one)."""
    if len(matrix) != n or any(len(row) != n for row in matrix):
        shape = f"{len(matrix)} rows of " + "/".join(sorted({str(len(r)) for r in matrix}) or ["0"])
        return f"found {shape} values; expected a {n} x {n} matrix, one row and column per listed input"
    a = np.array(matrix, dtype=float)
    if not np.all(np.isfinite(a)):
        return "found a value that is not a finite number; expected rank correlations between -1 and 1"
    if not np.allclose(np.diag(a), 1.0):
        return f"found {np.diag(a).tolist()} on the diagonal; expected 1 (each input with itself)"
    if np.any(np.abs(a) > 1):
        return "found a correlation outside [-1, 1]; expected rank correlations between -1 and 1"
    bad = np.argwhere(~np.isclose(a, a.T))
    if len(bad):
        i, j = bad[0]
        return (f"row {i + 1}, column {j + 1} is {a[i, j]:g} but row {j + 1}, column {i + 1} is {a[j, i]:g}; "
                "expected a symmetric matrix")
    low = float(np.linalg.eigvalsh(a).min())
    if low < -1e-9:
        return (f"the matrix is not positive semi-definite (smallest eigenvalue {low:.4g}): these correlations "
                "cannot all hold at once; expected a valid correlation matrix (weaken the largest ones)")
    return None
