"""Voting games and power indices: Banzhaf (swings, raw, normalized) and Shapley–Shubik.

A **game** says which coalitions win. Coalitions are rows of a boolean matrix (coalitions x parties), so a
game is a vectorized predicate:

- ``Weighted(weights, quota)``: a coalition wins if its integer weight is at least ``quota``;
- ``Veto(members)``: it wins only if every member is in it (reserved matters);
- ``AllOf(games)``: it wins if it wins every component (several bodies must agree: composite games).

Three methods, each exact or with an error bar:

- ``dp`` (weighted games, exact): counts of coalitions by total weight (and size) by dynamic programming;
  party i is removed by deconvolution. Then swings_i = sum over weights s in [q - w_i, q - 1] of the
  count without i, and
  SS_i = sum over k, s of count(k, s) * k! (n-1-k)! / n!. The arithmetic is in Python integers and Fractions.
- ``enumerate`` (any game with up to 20 parties, exact): all 2^n coalitions, with swings and pivots counted by size.
- ``montecarlo`` (any game, any size): random coalitions (Banzhaf) and random orderings (Shapley–Shubik),
  with a standard error for each estimate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

import numpy as np

from fundcheck.errors import UsageError

__all__ = ["MAX_DP_CELLS", "MAX_ENUMERATE", "AllOf", "Game", "PowerIndices", "Veto", "Weighted", "power",
           "quota_from_share", "veto_players"]

MAX_ENUMERATE = 20
MAX_DP_CELLS = 100_000_000  # parties^2 x total weight: the dp method's work (about a second at the limit)


class Game(Protocol):
    """A simple voting game on n parties."""

    @property
    def n(self) -> int:
        """Number of parties."""
        ...

    def wins(self, coalitions: np.ndarray) -> np.ndarray:
        """Which coalitions (rows of a coalitions x parties boolean matrix) win."""
        ...


@dataclass(frozen=True)
class Weighted:
    """Weighted voting: integer weights and the integer quota a coalition's weight must reach."""

    weights: tuple[int, ...]
    quota: int

    def __post_init__(self) -> None:
        if any(w < 0 for w in self.weights):
            raise UsageError(f"weights must be zero or more; found {min(self.weights)}")
        total = sum(self.weights)
        if self.quota > total:
            raise UsageError(f"the quota {self.quota} is above the total weight {total}: no coalition could win")
        if self.quota <= 0:
            raise UsageError(f"the quota must be positive; found {self.quota}")

    @property
    def n(self) -> int:
        """Number of parties."""
        return len(self.weights)

    def wins(self, coalitions: np.ndarray) -> np.ndarray:
        return coalitions.astype(np.int64) @ np.array(self.weights, dtype=np.int64) >= self.quota


@dataclass(frozen=True)
class Veto:
    """A reserved matter: every listed party must be in the coalition."""

    n: int
    members: tuple[int, ...]

    def wins(self, coalitions: np.ndarray) -> np.ndarray:
        return coalitions[:, list(self.members)].all(axis=1)


@dataclass(frozen=True)
class AllOf:
    """A composite game: a coalition wins if it wins every component game."""

    games: tuple[Game, ...]

    @property
    def n(self) -> int:
        """Number of parties."""
        return self.games[0].n

    def wins(self, coalitions: np.ndarray) -> np.ndarray:
        out = np.ones(len(coalitions), dtype=bool)
        for g in self.games:
            out &= g.wins(coalitions)
        return out


def veto_players(game: Game) -> list[int]:
    """Parties without whom nothing passes: everyone but them together still loses."""
    everyone_but = ~np.eye(game.n, dtype=bool)
    return [int(i) for i in np.flatnonzero(~game.wins(everyone_but))]


def quota_from_share(weights: Sequence[int], share: Fraction, strict: bool = False) -> int:
    """The integer quota for 'at least `share` of the total weight' ('more than' if `strict`)."""
    total = sum(weights)
    exact = share * total
    return math.floor(exact) + 1 if strict else math.ceil(exact)


@dataclass(frozen=True)
class PowerIndices:
    """Power of each party: Banzhaf swings, raw and normalized Banzhaf, Shapley–Shubik; exact or estimated."""

    names: tuple[str, ...]
    method: str
    banzhaf_swings: tuple[int, ...] | None  # exact methods only
    banzhaf_raw: tuple[Fraction | float, ...]  # swings / 2^(n-1): chance to swing a random coalition
    banzhaf: tuple[Fraction | float, ...]  # normalized to sum to 1
    shapley_shubik: tuple[Fraction | float, ...]
    stderr_banzhaf_raw: tuple[float, ...] | None = None
    stderr_shapley_shubik: tuple[float, ...] | None = None
    samples: int | None = None

    @property
    def dictator(self) -> str | None:
        """The party that wins alone and without which nothing wins (Shapley–Shubik of 1), if any."""
        for name, value in zip(self.names, self.shapley_shubik, strict=True):
            if value == 1:
                return name
        return None

    @property
    def dummies(self) -> list[str]:
        """Parties that never swing a decision."""
        if self.banzhaf_swings is None:
            return []
        return [n for n, s in zip(self.names, self.banzhaf_swings, strict=True) if s == 0]

    def as_dict(self) -> dict[str, object]:
        """Plain numbers for JSON (floats; exact fractions also as strings)."""
        out: dict[str, object] = {
            "names": list(self.names), "method": self.method,
            "banzhaf": [float(x) for x in self.banzhaf], "banzhaf_raw": [float(x) for x in self.banzhaf_raw],
            "shapley_shubik": [float(x) for x in self.shapley_shubik], "dictator": self.dictator,
            "dummies": self.dummies,
        }
        if self.banzhaf_swings is not None:
            out["banzhaf_swings"] = list(self.banzhaf_swings)
            out["exact"] = {"banzhaf": [str(x) for x in self.banzhaf],
                            "shapley_shubik": [str(x) for x in self.shapley_shubik]}
        if self.stderr_banzhaf_raw is not None:
            out["stderr_banzhaf_raw"] = list(self.stderr_banzhaf_raw)
            out["stderr_shapley_shubik"] = list(self.stderr_shapley_shubik or ())
            out["samples"] = self.samples
        return out


def power(game: Game, names: Sequence[str] | None = None, method: str = "auto", samples: int = 200_000,
          rng: np.random.Generator | None = None) -> PowerIndices:
    """Power indices of a game by `method` (auto, dp, enumerate, montecarlo)."""
    n = game.n
    names = tuple(names) if names is not None else tuple(f"P{i + 1}" for i in range(n))
    if len(names) != n:
        raise UsageError(f"{len(names)} names for {n} parties; expected one name per weight")
    weighted = _as_weighted(game)
    if method == "auto":
        if weighted is not None and _dp_cells(weighted) <= MAX_DP_CELLS:
            method = "dp"
        elif n <= MAX_ENUMERATE:
            method = "enumerate"
        else:
            method = "montecarlo"
    if method == "dp":
        if weighted is None:
            raise UsageError("the dp method handles weighted games only; this game has vetoes or several "
                             f"bodies: use enumerate (up to {MAX_ENUMERATE} parties) or montecarlo")
        if _dp_cells(weighted) > MAX_DP_CELLS:
            raise UsageError(f"weights this large ({sum(weighted.weights):,} in all, {n} parties) are too much "
                             f"for dp; use enumerate (up to {MAX_ENUMERATE} parties) or montecarlo")
        return _dp(weighted, names)
    if method == "enumerate":
        if n > MAX_ENUMERATE:
            raise UsageError(f"enumeration handles up to {MAX_ENUMERATE} parties; this game has {n}: use dp "
                             "(weighted games) or montecarlo")
        return _enumerate(game, names)
    if method == "montecarlo":
        return _monte_carlo(game, names, samples, rng or np.random.default_rng(0))
    raise UsageError(f"unknown method '{method}'; expected auto, dp, enumerate or montecarlo")


def _as_weighted(game: Game) -> Weighted | None:
    if isinstance(game, Weighted):
        return game
    if isinstance(game, AllOf) and len(game.games) == 1:
        return _as_weighted(game.games[0])
    return None


def _dp_cells(game: Weighted) -> int:
    return game.n * game.n * (sum(game.weights) + 1)


def _dp(game: Weighted, names: tuple[str, ...]) -> PowerIndices:
    n, q, w = game.n, game.quota, game.weights
    total = sum(w)
    dtype = np.int64 if n <= 60 else object
    # by_size[k, s]: number of coalitions of size k and weight s (all parties)
    by_size = np.zeros((n + 1, total + 1), dtype=dtype)
    by_size[0, 0] = 1
    for wi in w:
        if wi:
            by_size[1:, wi:] = by_size[1:, wi:] + by_size[:-1, : total + 1 - wi]
        else:
            by_size[1:, :] = by_size[1:, :] + by_size[:-1, :]
    fact = [math.factorial(k) for k in range(n + 1)]
    swings, ss = [], []
    for wi in w:
        # remove party i: without[k, s] = by_size[k, s] - without[k-1, s-wi]
        without = np.zeros_like(by_size)
        for k in range(n):
            without[k] = by_size[k].copy()
            if k > 0:
                if wi:
                    without[k, wi:] = without[k, wi:] - without[k - 1, : total + 1 - wi]
                else:
                    without[k] = without[k] - without[k - 1]
        lo, hi = max(q - wi, 0), q - 1
        if hi < lo:
            swings.append(0)
            ss.append(Fraction(0))
            continue
        window = without[:n, lo: hi + 1]
        swings.append(int(sum(int(x) for x in window.sum(axis=1))))
        numerator = sum(int(window[k].sum()) * fact[k] * fact[n - 1 - k] for k in range(n))
        ss.append(Fraction(numerator, fact[n]))
    return _exact(names, "dp", swings, ss)


def _exact(names: tuple[str, ...], method: str, swings: list[int], ss: list[Fraction]) -> PowerIndices:
    n = len(names)
    total = sum(swings)
    raw = tuple(Fraction(s, 2 ** (n - 1)) for s in swings)
    norm = tuple(Fraction(s, total) if total else Fraction(0) for s in swings)
    return PowerIndices(names, method, tuple(swings), raw, norm, tuple(ss))


def _coalitions(n: int) -> np.ndarray:
    masks = np.arange(2**n, dtype=np.int64)
    return ((masks[:, None] >> np.arange(n)) & 1).astype(bool)


def _enumerate(game: Game, names: tuple[str, ...]) -> PowerIndices:
    n = game.n
    coalitions = _coalitions(n)
    win = game.wins(coalitions)
    size = coalitions.sum(axis=1)
    fact = [math.factorial(k) for k in range(n + 1)]
    swings, ss = [], []
    for i in range(n):
        with_i = coalitions[:, i]
        pivotal = with_i & win & ~win[np.arange(2**n) ^ (1 << i)]
        swings.append(int(pivotal.sum()))
        counts = np.bincount(size[pivotal], minlength=n + 1)
        ss.append(Fraction(sum(int(counts[s]) * fact[s - 1] * fact[n - s] for s in range(1, n + 1)), fact[n]))
    return _exact(names, "enumerate", swings, ss)


def _monte_carlo(game: Game, names: tuple[str, ...], samples: int, rng: np.random.Generator) -> PowerIndices:
    n = game.n
    chunk = max(1, min(samples, 2_000_000 // max(n, 1)))
    swing_hits = np.zeros(n)
    pivots = np.zeros(n)
    done = 0
    while done < samples:
        m = min(chunk, samples - done)
        others = rng.random((m, n)) < 0.5
        for i in range(n):
            with_i, without_i = others.copy(), others.copy()
            with_i[:, i], without_i[:, i] = True, False
            swing_hits[i] += np.count_nonzero(game.wins(with_i) & ~game.wins(without_i))
        order = rng.permuted(np.tile(np.arange(n), (m, 1)), axis=1)
        prefix = np.zeros((m, n), dtype=bool)
        won = np.zeros(m, dtype=bool)
        for step in range(n):
            prefix[np.arange(m), order[:, step]] = True
            now = game.wins(prefix)
            new = now & ~won
            np.add.at(pivots, order[new, step], 1)
            won |= now
        done += m
    raw = swing_hits / samples
    ss = pivots / samples
    norm = raw / raw.sum() if raw.sum() else raw
    return PowerIndices(names, "montecarlo", None, tuple(raw), tuple(norm), tuple(ss),
                        tuple(np.sqrt(raw * (1 - raw) / samples)), tuple(np.sqrt(ss * (1 - ss) / samples)), samples)
