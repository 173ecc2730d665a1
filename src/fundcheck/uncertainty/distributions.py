"""Marginal distributions of uncertain inputs, built on scipy.stats, and their inverse CDFs.

A ``Marginal`` turns uniforms in (0, 1) into values with ``ppf``: every continuous kind is a frozen ``scipy.stats``
distribution (lognormal from its 5th and 95th percentiles, the 90% interval of the short form 'A to B', or from its
10th and 90th; normal, uniform, triangular, Beta-PERT, scaled beta), and discrete ones (choice, empirical, the Epoch
build-duration class) are ``scipy.stats.rv_discrete`` over their sorted values, so ``ppf`` is monotone in every case
and rank correlations carry through. Truncation to [lo, hi] maps the uniforms onto [F(lo), F(hi)] before the inverse
CDF (continuous kinds), or clips the values (discrete kinds). On a reference class [lo, hi] is in the field's own
units: an amount's class is truncated at [lo / point, hi / point] of its ratio, a delay class at
[1 + lo / months, 1 + hi / months] (see ``model``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special, stats

from fundcheck.scenario.uncertain import Uncertain

__all__ = ["U_EPS", "Marginal", "marginal", "scipy_distribution"]

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

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Values at the uniforms `u` (any shape)."""
        u = np.clip(np.asarray(u, dtype=np.float64), U_EPS, 1 - U_EPS)
        if self.values is not None:
            idx = self.dist.ppf(u).astype(np.int64)
            out = self.values[np.clip(idx, 0, len(self.values) - 1)]
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

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        # normal and lognormal: scipy.special.ndtri (the standard normal inverse CDF that scipy.stats.norm.ppf
        # calls) without the frozen distribution's argument checks, about three times faster on large arrays
        if self.kind in ("normal", "lognormal"):
            loc, scale = self.dist.kwds.get("loc", 0.0), self.dist.kwds.get("scale", 1.0)
            if self.kind == "normal":
                return loc + scale * special.ndtri(u)
            return scale * np.exp(self.dist.kwds["s"] * special.ndtri(u))
        return self.dist.ppf(u)

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
