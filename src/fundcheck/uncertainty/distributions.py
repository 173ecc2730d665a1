"""Marginal distributions of uncertain inputs, built on scipy.stats, and their inverse CDFs.

A ``Marginal`` turns uniforms in (0, 1) into values with ``ppf``: every continuous kind is a frozen ``scipy.stats``
distribution (lognormal from its 5th and 95th percentiles, the 90% interval of the short form 'A to B', or from its
10th and 90th; normal, uniform, triangular, Beta-PERT, scaled beta), and discrete ones (choice, empirical, the Epoch
build-duration class) are ``scipy.stats.rv_discrete`` over their sorted values, so ``ppf`` is monotone in every case
and rank correlations carry through. Truncation to [lo, hi] maps the uniforms onto [F(lo), F(hi)] before the inverse
CDF (continuous kinds), or clips the values (discrete kinds). On a reference class [lo, hi] is in the field's own
units: an amount's class is truncated at [lo / point, hi / point] of its ratio, a delay class at
[1 + lo / months, 1 + hi / months] (see ``model``).

The ``random`` sampler does not go through uniforms where it need not (``model.InputSet.sample``): scipy.stats
stays the definition of every distribution, and two faster routes draw from exactly that distribution.

- ``from_normal(z)``: values at standard normal scores z (a Gaussian copula's correlated scores). A normal or
  lognormal marginal is loc + scale z or scale exp(s z) (scipy's ``norm`` and ``lognorm`` parameters: the same
  numbers as ``ppf(ndtr(z))`` up to rounding, without the inverse CDF); any other marginal is ``ppf(ndtr(z))``.
- ``draw(rng, n)``: n independent values from a numpy Generator. An untruncated continuous marginal whose frozen
  scipy distribution numpy also generates (``norm``, ``lognorm`` with loc 0, ``beta``, ``triang``, ``uniform``,
  ``expon``) is drawn by numpy's generator for that distribution with the scipy parameters mapped across (the
  normal by the ziggurat, the beta from two gammas); tests check each against the scipy CDF (Kolmogorov-Smirnov)
  and its moments and quantiles. Everything else (truncation, choices, empirical samples, the Epoch class, the
  dated default) is ``ppf`` of ``rng.random(n)``, the inverse-CDF route.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special, stats

from fundcheck.scenario.uncertain import Uncertain

__all__ = ["DIRECT", "U_EPS", "Marginal", "marginal", "scipy_distribution"]

# scipy.stats distributions that numpy's Generator also draws (``Marginal.draw``)
DIRECT = ("norm", "lognorm", "beta", "triang", "uniform", "expon")
U_EPS = 1e-12  # uniforms are held inside [U_EPS, 1 - U_EPS], so unbounded kinds never return an infinity


def scipy_distribution(u: Uncertain) -> Any:
    """The frozen scipy.stats distribution of a continuous kind."""
    d = u.dist
    if d in ("lognormal", "normal") and u.mean is None:
        # a symmetric interval: (p5, p95), the short form's 90% interval, or (p10, p90), an 80% interval
        lo, hi, q = (u.p5, u.p95, 0.95) if u.p5 is not None else (u.p10, u.p90, 0.9)
        z = stats.norm.ppf(q)
        if d == "lognormal":
            return stats.lognorm(s=(math.log(hi) - math.log(lo)) / (2 * z), scale=math.sqrt(lo * hi))
        return stats.norm(loc=(lo + hi) / 2, scale=(hi - lo) / (2 * z))
    if d == "normal":
        return stats.norm(loc=u.mean, scale=u.sd)
    if d == "uniform":
        return stats.uniform(loc=u.low, scale=u.high - u.low)
    if d == "triangular":
        return stats.triang(c=(u.mode - u.low) / (u.high - u.low), loc=u.low, scale=u.high - u.low)
    if d == "pert":
        width = u.high - u.low
        a = 1 + 4 * (u.mode - u.low) / width
        b = 1 + 4 * (u.high - u.mode) / width
        return stats.beta(a, b, loc=u.low, scale=width)
    if d == "beta":
        lo, hi = u.low or 0.0, 1.0 if u.high is None else u.high
        return stats.beta(u.alpha, u.beta, loc=lo, scale=hi - lo)
    raise ValueError(f"{d} is not a continuous kind")


@dataclass
class Marginal:
    """One input's distribution: `ppf` maps uniforms to values (a scipy distribution, or discrete values)."""

    kind: str
    dist: Any  # frozen scipy.stats distribution (continuous) or rv_discrete over value indexes
    values: np.ndarray | None = None  # discrete: the sorted values the indexes stand for
    labels: list[str] = field(default_factory=list)  # choice: the option of each value
    truncate: tuple[float, float] | None = None
    scale: float = 1.0  # multiplies the result (a reference class's ratio times the point value)
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)  # params, by truncation

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Values at the uniforms `u` (any shape)."""
        u = np.clip(np.asarray(u, dtype=np.float64), U_EPS, 1 - U_EPS)
        if self.values is not None:
            out = self.values[np.clip(self.index(u), 0, len(self.values) - 1)]
            if self.truncate is not None:
                out = np.clip(out, *self.truncate)
            return out * self.scale
        if self.truncate is not None:
            lo, hi = self.dist.cdf(self.truncate[0]), self.dist.cdf(self.truncate[1])
            u = lo + u * (hi - lo)
            out = np.clip(self._ppf(u), *self.truncate)
        else:
            out = self._ppf(u)
        return out * self.scale

    def index(self, u: np.ndarray) -> np.ndarray:
        """A discrete marginal's inverse CDF: the index of the value at each uniform, the smallest k with
        F(k) >= u for the scipy distribution's own CDF F (what ``rv_discrete.ppf`` returns), found by a binary
        search of F at the support points instead of scipy's comparison of every uniform with every point."""
        if "cdf" not in self._cache:
            self._cache["cdf"] = np.asarray(self.dist.cdf(np.arange(len(self.values))), dtype=np.float64)  # type: ignore[arg-type]
        return np.searchsorted(self._cache["cdf"], u, side="left")

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        # normal and lognormal: scipy.special.ndtri (the standard normal inverse CDF that scipy.stats.norm.ppf
        # calls) without the frozen distribution's argument checks, about three times faster on large arrays
        if self.kind in ("normal", "lognormal"):
            loc, scale = self.dist.kwds.get("loc", 0.0), self.dist.kwds.get("scale", 1.0)
            if self.kind == "normal":
                return loc + scale * special.ndtri(u)
            return scale * np.exp(self.dist.kwds["s"] * special.ndtri(u))
        return self.dist.ppf(u)

    def params(self) -> tuple[str, tuple[float, ...], float, float] | None:
        """(scipy name, shapes, loc, scale) of an untruncated continuous marginal; None for the others."""
        key = ("params", self.truncate)
        if key not in self._cache:
            got = None
            if self.values is None and self.truncate is None:
                try:
                    shapes, loc, scale = self.dist.dist._parse_args(*self.dist.args, **self.dist.kwds)
                    got = self.dist.dist.name, tuple(float(v) for v in shapes), float(loc), float(scale)
                except (AttributeError, TypeError):
                    got = None
            self._cache[key] = got
        return self._cache[key]

    def normal_map(self) -> tuple[float, float, bool] | None:
        """(a, b, log): the marginal is b + a z of a standard normal z (scipy's norm: a = scale, b = loc), or
        with `log`, b exp(a z) (scipy's lognorm with loc 0: a = s, b = scale), times `scale`; None for others."""
        got = self.params()
        if got is None:
            return None
        name, shapes, loc, scale = got
        if name == "norm":
            return scale, loc, False
        if name == "lognorm" and loc == 0:
            return shapes[0], scale, True
        return None

    def from_normal(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Values at standard normal scores `z`: ``ppf(ndtr(z))``, computed directly for a normal or a lognormal
        (the same map, with no inverse CDF). `out` (may be `z` itself) receives them when given."""
        m = self.normal_map()
        if m is None:
            got = self.ppf(special.ndtr(z))
            if out is None:
                return got
            out[...] = got
            return out
        a, b, log = m
        out = np.multiply(z, a, out=out)
        if log:
            np.exp(out, out=out)
            out *= b * self.scale
        else:
            out += b
            if self.scale != 1.0:
                out *= self.scale
        return out

    def draw(self, rng: np.random.Generator, n: int, out: np.ndarray | None = None) -> np.ndarray:
        """`n` independent values from the Generator `rng`: numpy's own generator for the scipy distribution when
        there is one (see the module docstring), else the inverse CDF of uniforms. `out`: a contiguous float64
        array of n that receives them (returned), else a new array."""
        x = self._drawer()(rng, n, out)
        if out is None or x is out:
            return x
        out[...] = x
        return out

    def _drawer(self) -> Any:
        """The function behind ``draw`` for this marginal, built once (per truncation and scale)."""
        key = ("drawer", self.truncate, self.scale)
        if key in self._cache:
            return self._cache[key]
        got = self.params()
        name = got[0] if got is not None else ""
        normal = self.normal_map()
        ppf = self.ppf

        def inverse_cdf(rng: np.random.Generator, n: int, out: np.ndarray | None) -> np.ndarray:
            return ppf(rng.random(n))

        f = inverse_cdf
        if normal is not None:
            a, b, log = normal
            c = b * self.scale

            def f(rng: np.random.Generator, n: int, out: np.ndarray | None) -> np.ndarray:
                z = rng.standard_normal(n, out=out)  # numpy's ziggurat
                z *= a
                if log:
                    np.exp(z, out=z)
                    z *= c
                else:
                    z += b
                    if self.scale != 1.0:
                        z *= self.scale
                return z
        elif got is not None and name in DIRECT and name not in ("norm", "lognorm"):
            _, shapes, loc, scale = got
            mult, add = scale * self.scale, loc * self.scale

            def f(rng: np.random.Generator, n: int, out: np.ndarray | None) -> np.ndarray:
                if name == "beta":
                    x = rng.beta(shapes[0], shapes[1], n)
                elif name == "triang":
                    x = rng.triangular(0.0, shapes[0], 1.0, n)  # scipy's triang(c) on [0, 1]: mode c
                elif name == "uniform":
                    x = rng.random(n, out=out)
                else:  # expon
                    x = rng.standard_exponential(n, out=out)
                x *= mult
                x += add
                return x
        self._cache[key] = f
        return f

    def support(self) -> tuple[float, float]:
        """The smallest and largest values the marginal can take (its support after truncation, times `scale`)."""
        key = ("support", self.truncate)
        if key not in self._cache:
            if self.values is not None:
                lo, hi = float(self.values.min()), float(self.values.max())
            else:
                lo, hi = (float(v) for v in self.dist.support())
            if self.truncate is not None:
                lo, hi = max(lo, self.truncate[0]), min(hi, self.truncate[1])
            ends = (lo * self.scale, hi * self.scale) if self.scale != 0 else (0.0, 0.0)
            self._cache[key] = (min(ends), max(ends))
        return self._cache[key]

    def quantile(self, q: float) -> float:
        """One quantile (for the tornado's P10 and P90)."""
        return float(self.ppf(np.array([q]))[0])


def _discrete(kind: str, values: list[float], weights: list[float], labels: list[str] | None = None,
              truncate: tuple[float, float] | None = None) -> Marginal:
    order = np.argsort(values, kind="stable")
    v = np.asarray(values, dtype=np.float64)[order]
    w = np.asarray(weights, dtype=np.float64)[order]
    w = w / w.sum()
    keep = w > 0
    v, w = v[keep], w[keep]
    names = [labels[i] for i in order[keep]] if labels else []
    dist = stats.rv_discrete(values=(np.arange(len(v)), w))
    return Marginal(kind, dist, values=v, labels=names, truncate=truncate)


def marginal(u: Uncertain, point: float, options: dict[str, float] | None = None) -> Marginal:
    """The marginal of a distribution part. `options`: for a choice, the value each option gives this field
    (``central``: `point`); `point` also scales an amount's reference class."""
    if u.reference is not None:
        from fundcheck.uncertainty.reference import reference_distribution

        dist, ratios = reference_distribution(u.reference)
        # `truncate` is in the field's units; the class is a ratio times the point value
        trunc = None
        if u.truncate is not None and point > 0:
            trunc = (u.truncate[0] / point, u.truncate[1] / point)
        if ratios is not None:
            return Marginal("reference", dist, values=ratios, scale=point, truncate=trunc)
        return Marginal("reference", dist, scale=point, truncate=trunc)
    if u.dist == "choice":
        names = list(u.options)
        values = [point if n == "central" else (options or {})[n] for n in names]
        return _discrete("choice", values, [u.options[n] for n in names], names, u.truncate)
    if u.dist == "empirical":
        return _discrete("empirical", list(u.sample), [1.0] * len(u.sample), truncate=u.truncate)
    return Marginal(u.dist, scipy_distribution(u), truncate=u.truncate)
