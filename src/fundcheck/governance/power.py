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
  with a standard error for each estimate. Weighted games are sampled in closed form (each party's swing from
  the coalition's weight without it; the pivot is the first party of an ordering whose weight reaches the
  quota), with no call to ``wins`` per party: 200 parties take about a second at the default 200,000 samples.

``auto`` takes ``dp`` for a weighted game whose table is small (``MAX_DP_CELLS``; the table only holds weights
below the quota, and parties of equal weight share one deconvolution), ``enumerate`` for up to 20 parties, and
``montecarlo`` otherwise.

Inputs are checked where they enter (``Weighted``, ``Veto``, ``AllOf``, ``quota_from_share``, ``power``, and for
text ``parse_weights`` and ``weighted_from_text``): anything a caller can pass that the methods cannot use is a
``UsageError`` with one line saying what to change, never a NaN, an overflow or a hang. Limits: whole-number
weights adding up to at most ``MAX_TOTAL_WEIGHT`` (summed exactly in 64-bit integers), ``MAX_PARTIES`` parties,
``MAX_SAMPLES`` samples, and Monte Carlo work (samples x parties) up to ``MAX_MC_WORK``.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Protocol

import numpy as np

from fundcheck.errors import UsageError

__all__ = ["MAX_DP_CELLS", "MAX_DP_TABLE", "MAX_ENUMERATE", "MAX_MC_WORK", "MAX_PARTIES", "MAX_SAMPLES",
           "MAX_TOTAL_WEIGHT", "AllOf", "Game", "PowerIndices", "Veto", "Weighted", "parse_weights", "power",
           "quota_from_share", "veto_players", "weighted_from_text"]

MAX_ENUMERATE = 20
MAX_DP_CELLS = 1_000_000_000  # parties x (parties + distinct weights) x quota: dp's work (~1.3 s at the limit)
_OBJECT_COST = 10  # above 60 parties the counts pass int64 and dp counts in Python integers: ~10x slower per cell
MAX_DP_TABLE = 25_000_000  # (parties + 1) x quota: the dp table's cells (200 MB in int64; it is copied once)
MAX_PARTIES = 1_000
MAX_TOTAL_WEIGHT = 2**62  # coalition weights are summed in 64-bit integers
MAX_SAMPLES = 100_000_000
MAX_MC_WORK = 200_000_000  # samples x parties for a weighted game (~7 s); x parties / 10 for other games
_MAX_NUMBER_CHARS = 40  # one weight or quota as text
_MAX_EXPONENT = 30  # '1e999999999' must not build a billion-digit integer
_NUMBER = re.compile(r"\+?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?")
_RATIO = re.compile(r"\+?(\d+)\s*/\s*(\d+)")


class Game(Protocol):
    """A simple voting game on n parties."""

    @property
    def n(self) -> int:
        """Number of parties."""
        ...

    def wins(self, coalitions: np.ndarray) -> np.ndarray:
        """Which coalitions (rows of a coalitions x parties boolean matrix) win."""
        ...


def _whole(value: object, what: str) -> int:
    """`value` as a Python int, or a UsageError naming `what` (weights and quotas are whole numbers)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        raise UsageError(f"{what} must be a whole number; found {value!r}")
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        raise UsageError(f"{what} must be a finite whole number; found {value}")
    if isinstance(value, (numbers.Rational, float, np.floating)):
        as_fraction = Fraction(value)  # type: ignore[arg-type]
        if as_fraction.denominator == 1:
            return int(as_fraction)
    raise UsageError(f"{what} must be a whole number; found {value} (scale fractional weights to whole numbers, as "
                     "weighted_from_text does)")


def _big(x: int) -> str:
    """A whole number for a message: exact up to 30 digits, else in scientific notation (any size)."""
    return f"{x:,}" if len(str(abs(x))) <= 30 else f"{Decimal(x):.3e}"


def _check_parties(n: int) -> None:
    if n < 1:
        raise UsageError("a voting game needs at least one party; found none")
    if n > MAX_PARTIES:
        raise UsageError(f"{n:,} parties are more than the {MAX_PARTIES:,} fundcheck computes power for; group "
                         "small holders into blocs")


@dataclass(frozen=True)
class Weighted:
    """Weighted voting: integer weights and the integer quota a coalition's weight must reach."""

    weights: tuple[int, ...]
    quota: int

    def __post_init__(self) -> None:
        if isinstance(self.weights, (str, bytes)) or not isinstance(self.weights, Sequence | np.ndarray):
            raise UsageError(f"weights must be a sequence of whole numbers; found {self.weights!r}")
        weights = tuple(_whole(w, "each weight") for w in self.weights)
        quota = _whole(self.quota, "the quota")
        _check_parties(len(weights))
        if any(w < 0 for w in weights):
            raise UsageError(f"weights must be zero or more; found {min(weights)}")
        total = sum(weights)
        if total > MAX_TOTAL_WEIGHT:
            raise UsageError(f"the weights add up to {_big(total)}, more than the {_big(MAX_TOTAL_WEIGHT)} (2^62) "
                             "fundcheck counts exactly; give them in smaller units")
        if quota > total:
            raise UsageError(f"the quota {_big(quota)} is above the total weight {_big(total)}: no coalition could win")
        if quota <= 0:
            raise UsageError(f"the quota must be positive; found {_big(quota)}")
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "quota", quota)

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

    def __post_init__(self) -> None:
        n = _whole(self.n, "the number of parties")
        _check_parties(n)
        members = tuple(_whole(m, "a veto holder's index") for m in self.members)
        bad = [m for m in members if not 0 <= m < n]
        if bad:
            raise UsageError(f"veto holder {bad[0]} is not one of the {n} parties (0 to {n - 1})")
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "members", members)

    def wins(self, coalitions: np.ndarray) -> np.ndarray:
        return coalitions[:, list(self.members)].all(axis=1)


@dataclass(frozen=True)
class AllOf:
    """A composite game: a coalition wins if it wins every component game."""

    games: tuple[Game, ...]

    def __post_init__(self) -> None:
        if not self.games:
            raise UsageError("a composite game needs at least one body or veto; found none")
        sizes = {g.n for g in self.games}
        if len(sizes) > 1:
            raise UsageError(f"the bodies of a composite game have different numbers of parties: {sorted(sizes)}")

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
    if isinstance(game, Weighted):  # in closed form, for any number of parties
        total = sum(game.weights)
        return [i for i, w in enumerate(game.weights) if total - w < game.quota]
    everyone_but = ~np.eye(game.n, dtype=bool)
    return [int(i) for i in np.flatnonzero(~game.wins(everyone_but))]


def quota_from_share(weights: Sequence[int], share: Fraction, strict: bool = False) -> int:
    """The integer quota for 'at least `share` of the total weight' ('more than' if `strict`)."""
    if isinstance(share, bool) or not isinstance(share, numbers.Real) or (
            isinstance(share, float) and not math.isfinite(share)):
        raise UsageError(f"a quota share must be a number from 0 to 1; found {share!r}")
    share = Fraction(share)
    if not 0 <= share <= 1:
        raise UsageError(f"a quota share must be from 0 to 1; found {share}")
    total = sum(_whole(w, "each weight") for w in weights)
    exact = share * total
    return math.floor(exact) + 1 if strict else math.ceil(exact)


def _number(text: str, what: str) -> Fraction:
    """One non-negative number written as text ('4', '0.25', '1e6', '1/3'), exactly; UsageError otherwise."""
    item = text.strip()
    if len(item) > _MAX_NUMBER_CHARS:
        raise UsageError(f"{what}: {item[:20]!r}... is {len(item)} characters long; expected a number of at most "
                         f"{_MAX_NUMBER_CHARS}")
    if item.startswith("-"):
        raise UsageError(f"{what}: found {item}; expected weights of zero or more")
    ratio = _RATIO.fullmatch(item)
    if ratio:
        num, den = int(ratio.group(1)), int(ratio.group(2))
        if den == 0:
            raise UsageError(f"{what}: {item!r} divides by zero; expected a number such as 4, 0.25 or 1/3")
        return Fraction(num, den)
    number = _NUMBER.fullmatch(item)
    if number is None:
        raise UsageError(f"{what}: cannot read {item!r}; expected a number such as 4, 0.25, 1e6 or 1/3")
    if number.group(1) is not None and abs(int(number.group(1))) > _MAX_EXPONENT:
        raise UsageError(f"{what}: {item!r} is out of range; expected exponents from -{_MAX_EXPONENT} to "
                         f"{_MAX_EXPONENT}")
    return Fraction(item)


def parse_weights(text: str) -> tuple[Fraction, ...]:
    """Weights written as text, comma-separated ('4,4,4,2,2,1', '0.4,0.4,0.1,0.1', '1/3,2/3'), as exact fractions.

    Each is a non-negative decimal (with an exponent from -30 to 30) or a ratio of whole numbers; anything else
    (negative, 'nan', 'inf', '1/0', empty, too long) is a UsageError that says which weight and why."""
    if not isinstance(text, str):
        raise UsageError(f"--weights: expected text such as '4,4,4,2,2,1'; found {type(text).__name__}")
    items = text.split(",")
    _check_parties(len(items) if text.strip() else 0)
    out = []
    for k, item in enumerate(items, start=1):
        if not item.strip():
            raise UsageError(f"--weights: weight {k} of {len(items)} is empty; expected numbers separated by commas")
        out.append(_number(item, "--weights"))
    return tuple(out)


def weighted_from_text(weights: str, quota: str) -> tuple[Weighted, tuple[Fraction, ...]]:
    """The game of `fundcheck power --weights W --quota Q`, and the weights as given (exact fractions).

    The quota is a number of votes (above 1, in the weights' units), or a share: 'majority' (more than half),
    'unanimous', '2/3', '75%', 0.6 (at least that share). Fractional weights are scaled to whole numbers by the
    least common denominator, and all weights and the quota are divided by their greatest common divisor (the
    same game), so '1e20,1e20,1' is fine but the weights must still be told apart within 2^62."""
    from fundcheck.scenario.quantities import parse_quota  # the scenario's quota syntax, read the same way here

    exact = parse_weights(weights)
    scale = math.lcm(*(w.denominator for w in exact))
    ints = [int(w * scale) for w in exact]
    if not isinstance(quota, str) or not quota.strip():
        raise UsageError(f"--quota: found {quota!r}; expected a number of votes, 'majority', 'unanimous', '2/3' or "
                         "'75%'")
    text = quota.strip()
    exponent = re.search(r"[eE]\s*[+-]?\s*(\d+)", text)
    if len(text) > _MAX_NUMBER_CHARS or (exponent and int(exponent.group(1)) > _MAX_EXPONENT):
        raise UsageError(f"--quota: {text[:20]!r} is out of range; expected a number of votes, 'majority', "
                         "'unanimous', '2/3' or '75%'")
    try:
        absolute = Fraction(text) if text.replace(".", "", 1).isdigit() and Fraction(text) > 1 else None
        parsed = None if absolute is not None else parse_quota(text)
    except (ValueError, ZeroDivisionError, ArithmeticError):
        raise UsageError(f"--quota: cannot read {text!r}; expected a number of votes, 'majority', 'unanimous', "
                         "'2/3' or '75%'") from None
    if absolute is not None:
        q = math.ceil(absolute * scale)
    elif isinstance(parsed, int):
        q = parsed * scale
    else:
        share, strict = parsed  # type: ignore[misc]
        q = quota_from_share(ints, share, strict)
    total = sum(ints)
    if q > total:
        raise UsageError(f"the quota {_plain(Fraction(q, scale))} is above the total weight "
                         f"{_plain(Fraction(total, scale))}: no coalition could win")
    if q <= 0:
        raise UsageError(f"the quota must be positive; found {_plain(Fraction(q, scale))}")
    common = math.gcd(*ints)  # the same game in the smallest whole units (a coalition reaches q/g in units of g)
    if common > 1:
        ints, q = [w // common for w in ints], -(-q // common)
    return Weighted(tuple(ints), q), exact


def _plain(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{float(x):g}"


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
    """Power indices of a game by `method` (auto, dp, enumerate, montecarlo); `samples` for montecarlo."""
    n = game.n
    _check_parties(n)
    names = tuple(names) if names is not None else tuple(f"P{i + 1}" for i in range(n))
    if len(names) != n:
        raise UsageError(f"{len(names)} names for {n} parties; expected one name per weight")
    if isinstance(samples, bool) or not isinstance(samples, numbers.Integral) or not 1 <= samples <= MAX_SAMPLES:
        raise UsageError(f"samples: found {samples!r}; expected a whole number from 1 to {MAX_SAMPLES:,}")
    samples = int(samples)
    weighted = _as_weighted(game)
    if method == "auto":
        if weighted is not None and _dp_cost(weighted) <= MAX_DP_CELLS and _dp_table(weighted) <= MAX_DP_TABLE:
            method = "dp"
        elif n <= MAX_ENUMERATE:
            method = "enumerate"
        else:
            method = "montecarlo"
    if method == "dp":
        if weighted is None:
            raise UsageError("the dp method handles weighted games only; this game has vetoes or several "
                             f"bodies: use enumerate (up to {MAX_ENUMERATE} parties) or montecarlo")
        if _dp_cost(weighted) > MAX_DP_CELLS or _dp_table(weighted) > MAX_DP_TABLE:
            raise UsageError(f"weights this large ({sum(weighted.weights):,} in all, {n} parties) are too much "
                             f"for dp; use enumerate (up to {MAX_ENUMERATE} parties) or montecarlo")
        return _dp(weighted, names)
    if method == "enumerate":
        if n > MAX_ENUMERATE:
            raise UsageError(f"enumeration handles up to {MAX_ENUMERATE} parties; this game has {n}: use dp "
                             "(weighted games) or montecarlo")
        return _enumerate(game, names)
    if method == "montecarlo":
        work = samples * n if weighted is not None else samples * n * n
        limit = MAX_MC_WORK if weighted is not None else 10 * MAX_MC_WORK
        if work > limit:
            raise UsageError(f"{samples:,} samples of a {n}-party game is too much work for montecarlo; use at most "
                             f"{max(limit // (work // samples), 1):,} samples")
        rng = rng or np.random.default_rng(0)
        if weighted is not None:
            return _monte_carlo_weighted(weighted, names, samples, rng)
        return _monte_carlo(game, names, samples, rng)
    raise UsageError(f"unknown method {method!r}; expected auto, dp, enumerate or montecarlo")


def _as_weighted(game: Game) -> Weighted | None:
    if isinstance(game, Weighted):
        return game
    if isinstance(game, AllOf) and len(game.games) == 1:
        return _as_weighted(game.games[0])
    return None


def _dp_cells(game: Weighted) -> int:
    """The dp method's work: the table (sizes x weights below the quota), built once per party and taken apart
    once per distinct weight."""
    return game.n * (game.n + len(set(game.weights))) * game.quota


def _dp_table(game: Weighted) -> int:
    return (game.n + 1) * game.quota


def _dp_cost(game: Weighted) -> int:
    """`_dp_cells`, weighted by the cost of a cell (Python integers above 60 parties)."""
    return _dp_cells(game) * (1 if game.n <= 60 else _OBJECT_COST)


def _dp(game: Weighted, names: tuple[str, ...]) -> PowerIndices:
    """Exact indices from counts of coalitions by size and weight. Only weights below the quota matter (a swing
    is a losing coalition of the others that the party makes win), so the table stops at quota - 1; weights only
    add, so the counts below the quota never depend on those above it."""
    n, q, w = game.n, game.quota, game.weights
    dtype = np.int64 if n <= 60 else object  # C(n, k) < 2^63 up to 60 parties
    # by_size[k, s]: number of coalitions of size k and weight s < q (all parties)
    by_size = np.zeros((n + 1, q), dtype=dtype)
    by_size[0, 0] = 1
    added = 0  # parties with weight below the quota so far: sizes above this are still zero
    for wi in w:
        if wi >= q:
            continue  # every coalition with this party reaches the quota
        top = added + 1
        if wi:
            by_size[1:top + 1, wi:] = by_size[1:top + 1, wi:] + by_size[:top, : q - wi]
        else:
            by_size[1:top + 1] = by_size[1:top + 1] + by_size[:top]
        added += 1
    fact = [math.factorial(k) for k in range(n + 1)]
    weights_ = [fact[k] * fact[n - 1 - k] for k in range(n)]
    by_weight: dict[int, tuple[int, Fraction]] = {}  # parties of equal weight have equal power
    for wi in sorted(set(w)):
        if wi == 0:
            by_weight[wi] = (0, Fraction(0))  # weight zero never turns a loss into a win
            continue
        if wi >= q:
            without = by_size  # the party is in none of the coalitions counted
        else:  # remove the party: without[k, s] = by_size[k, s] - without[k-1, s-wi]
            without = by_size.copy()
            for k in range(1, n + 1):
                without[k, wi:] = without[k, wi:] - without[k - 1, : q - wi]
        window = without[:n, max(q - wi, 0):]
        per_size = [int(x) for x in window.sum(axis=1)]
        by_weight[wi] = (sum(per_size), Fraction(sum(c * f for c, f in zip(per_size, weights_, strict=True)),
                                                 fact[n]))
    return _exact(names, "dp", [by_weight[wi][0] for wi in w], [by_weight[wi][1] for wi in w])


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


def _estimates(names: tuple[str, ...], swing_hits: np.ndarray, pivots: np.ndarray, samples: int) -> PowerIndices:
    raw = swing_hits / samples
    ss = pivots / samples
    norm = raw / raw.sum() if raw.sum() else raw
    return PowerIndices(names, "montecarlo", None, tuple(float(x) for x in raw), tuple(float(x) for x in norm),
                        tuple(float(x) for x in ss), tuple(float(x) for x in np.sqrt(raw * (1 - raw) / samples)),
                        tuple(float(x) for x in np.sqrt(ss * (1 - ss) / samples)), samples)


def _monte_carlo_weighted(game: Weighted, names: tuple[str, ...], samples: int,
                          rng: np.random.Generator) -> PowerIndices:
    """Monte Carlo for a weighted game without calling `wins` per party: party i swings a random coalition of the
    others when their weight s has q - w_i <= s < q; the pivot of a random ordering is the first party at which
    the running weight reaches q. Weights are summed in float64 (exact for integers below 2^53), else int64."""
    n, q = game.n, game.quota
    dtype = np.float64 if sum(game.weights) < 2**53 else np.int64
    w = np.array(game.weights, dtype=dtype)
    chunk = max(1, min(samples, 4_000_000 // n))
    swing_hits = np.zeros(n, dtype=np.int64)
    pivots = np.zeros(n, dtype=np.int64)
    done = 0
    while done < samples:
        m = min(chunk, samples - done)
        others = (rng.random((m, n)) < 0.5).astype(dtype)
        without = (others @ w)[:, None] - others * w  # each row's weight without party i
        swing_hits += np.count_nonzero((without < q) & (without >= q - w), axis=0)
        order = rng.permuted(np.tile(np.arange(n, dtype=np.intp), (m, 1)), axis=1)
        reached = np.cumsum(w[order], axis=1) >= q
        pivot = order[np.arange(m), reached.argmax(axis=1)]  # every ordering reaches q: quota <= total weight
        pivots += np.bincount(pivot, minlength=n)
        done += m
    return _estimates(names, swing_hits, pivots, samples)


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
    return _estimates(names, swing_hits, pivots, samples)
