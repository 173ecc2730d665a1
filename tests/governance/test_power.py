"""Power indices: published values for real bodies, the axioms, and the methods agreeing with each other."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundcheck.errors import UsageError
from fundcheck.governance import AllOf, Veto, Weighted, power


def test_eec_council_1958() -> None:
    # The Britannica Guide to Statistics and Probability (ed. E. Gregersen, 2011), p. 194: EEC Council of
    # Ministers 1958, weights 4,4,4,2,2,1 and a quota of 12 of 17: Banzhaf 5/21 for each large country, 1/7 for
    # each medium one, and Luxembourg a dummy with none.
    p = power(Weighted((4, 4, 4, 2, 2, 1), 12), ["DE", "FR", "IT", "BE", "NL", "LU"])
    assert p.banzhaf == (Fraction(5, 21),) * 3 + (Fraction(1, 7),) * 2 + (Fraction(0),)
    assert p.dummies == ["LU"]
    # Shapley–Shubik for the same council: 7/30 each large, 3/20 each medium, 0 (sums to 1)
    assert p.shapley_shubik == (Fraction(7, 30),) * 3 + (Fraction(3, 20),) * 2 + (Fraction(0),)


def test_fifty_forty_nine_one() -> None:
    # Same source, p. 194: weights (50, 49, 1), simple majority: Banzhaf (3/5, 1/5, 1/5).
    p = power(Weighted((50, 49, 1), 51))
    assert p.banzhaf == (Fraction(3, 5), Fraction(1, 5), Fraction(1, 5))
    assert p.banzhaf_swings == (3, 1, 1)


UNSC_NAMES = [f"P{i}" for i in range(5)] + [f"E{i}" for i in range(10)]


def test_un_security_council_weighted_and_composite_agree_with_the_published_value() -> None:
    # gonitsora.com, "Is it me, or is 'Veto' starting to sound really good": 15 members, 9 votes needed,
    # five permanent vetoes; as a weighted game 7 votes per permanent member, 1 per elected one, quota 39.
    # A non-permanent member's Shapley–Shubik index is 84 x 6! x 8! / 15! = 4/2145; a permanent one's is
    # (1 - 10 x 4/2145) / 5 = 421/2145.
    weighted = power(Weighted((7,) * 5 + (1,) * 10, 39), UNSC_NAMES)
    composite = AllOf((Weighted((1,) * 15, 9), Veto(15, (0, 1, 2, 3, 4))))
    enumerated = power(composite, UNSC_NAMES)
    assert weighted.method == "dp" and enumerated.method == "enumerate"
    assert weighted.shapley_shubik[5] == Fraction(4, 2145)
    assert weighted.shapley_shubik[0] == Fraction(421, 2145)
    assert weighted.shapley_shubik == enumerated.shapley_shubik
    assert weighted.banzhaf_swings == enumerated.banzhaf_swings


@st.composite
def weighted_games(draw: st.DrawFn) -> Weighted:
    weights = draw(st.lists(st.integers(0, 12), min_size=1, max_size=9))
    total = sum(weights)
    if total == 0:
        weights[0] = 1
        total = 1
    return Weighted(tuple(weights), draw(st.integers(1, total)))


@settings(max_examples=200, deadline=None)
@given(weighted_games())
def test_dynamic_programming_equals_enumeration(game: Weighted) -> None:
    dp, en = power(game, method="dp"), power(game, method="enumerate")
    assert dp.banzhaf_swings == en.banzhaf_swings
    assert dp.shapley_shubik == en.shapley_shubik


@settings(max_examples=200, deadline=None)
@given(weighted_games())
def test_axioms(game: Weighted) -> None:
    p = power(game)
    assert sum(p.shapley_shubik) == 1  # efficiency
    assert sum(p.banzhaf) in (0, 1)
    for i in range(game.n):
        for j in range(game.n):
            if game.weights[i] == game.weights[j]:  # symmetry
                assert p.shapley_shubik[i] == p.shapley_shubik[j] and p.banzhaf[i] == p.banzhaf[j]
        # null player: a party that never changes the outcome has no power of either kind
        if p.banzhaf_swings[i] == 0:
            assert p.shapley_shubik[i] == 0
        if game.weights[i] >= game.quota:  # wins alone
            assert p.banzhaf_swings[i] > 0


def test_monte_carlo_is_within_its_error_bars() -> None:
    game = Weighted((7,) * 5 + (1,) * 10, 39)
    exact = power(game)
    est = power(game, method="montecarlo", samples=40_000, rng=np.random.default_rng(7))
    for i in (0, 5):
        assert abs(est.shapley_shubik[i] - float(exact.shapley_shubik[i])) < 4 * est.stderr_shapley_shubik[i] + 1e-3
        assert abs(est.banzhaf_raw[i] - float(exact.banzhaf_raw[i])) < 4 * est.stderr_banzhaf_raw[i] + 1e-3


def test_a_majority_owner_is_a_dictator() -> None:
    p = power(Weighted((60, 20, 20), 51), ["Musk", "A", "B"])
    assert p.dictator == "Musk"
    assert power(Weighted((50, 25, 25), 51)).dictator is None


@pytest.mark.parametrize(("make", "words"), [
    (lambda: Weighted((3, -1), 2), "weights must be zero or more"),
    (lambda: Weighted((3, 1), 5), "above the total weight 4"),
    (lambda: power(AllOf((Weighted((1,) * 3, 2), Veto(3, (0,)))), method="dp"), "dp method handles weighted"),
    (lambda: power(AllOf((Weighted((1,) * 21, 11), Veto(21, (0,)))), method="enumerate"), "up to 20 parties"),
    (lambda: power(Weighted((10**6,) * 30, 10**7), method="dp"), "too much for dp"),
])
def test_bad_games_are_clear_errors(make, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        make()


def test_large_composite_games_fall_back_to_monte_carlo() -> None:
    game = AllOf((Weighted((1,) * 25, 13), Veto(25, (0,))))
    p = power(game, samples=5_000, rng=np.random.default_rng(1))
    assert p.method == "montecarlo" and p.stderr_shapley_shubik is not None
    assert p.shapley_shubik[0] > p.shapley_shubik[1]  # the veto holder
