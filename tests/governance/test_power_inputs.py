"""Hostile inputs to power indices are one-line UsageErrors (never a traceback, NaN or hang); large games are fast."""

from __future__ import annotations

import math
import time
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundcheck.errors import UsageError
from fundcheck.governance import AllOf, Veto, Weighted, power
from fundcheck.governance.power import (
    MAX_PARTIES,
    parse_weights,
    quota_from_share,
    veto_players,
    weighted_from_text,
)


@pytest.mark.parametrize(("weights", "words"), [
    ("1/0", "divides by zero"),
    ("1,1/0", "divides by zero"),
    ("nan,1", "cannot read 'nan'"),
    ("inf", "cannot read 'inf'"),
    ("-1,2", "expected weights of zero or more"),
    ("1,,2", "weight 2 of 3 is empty"),
    ("", "at least one party"),
    ("  ", "at least one party"),
    ("1e999999999", "out of range"),  # would build a billion-digit integer
    ("1" * 50, "characters long"),
    ("abc,1", "cannot read 'abc'"),
    ("0x10", "cannot read '0x10'"),
    ("1e20,1", "more than the"),  # 1e20 + 1 cannot be told apart from 1e20 in 64 bits
    ("1e-30,1", "more than the"),  # scaled to whole numbers: 1 and 1e30
    (",".join(["1"] * (MAX_PARTIES + 1)), "parties are more than"),
])
def test_bad_weight_text_is_a_usage_error(weights: str, words: str) -> None:
    with pytest.raises(UsageError, match=words) as err:
        weighted_from_text(weights, "majority")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(("quota", "words"), [
    ("maybe", "cannot read 'maybe'"),
    ("1/0", "cannot read '1/0'"),
    ("nan", "cannot read 'nan'"),
    ("", "expected a number of votes"),
    ("1e999999999", "out of range"),
    ("9", "the quota 9 is above the total weight 6"),
    ("0", "cannot read '0'"),
    ("-3", "cannot read '-3'"),
    ("150%", "cannot read '150%'"),
])
def test_bad_quota_text_is_a_usage_error(quota: str, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        weighted_from_text("2,2,2", quota)


def test_weights_from_text_are_exact_and_reduced() -> None:
    game, exact = weighted_from_text("0.6,0.2,0.2", "majority")
    assert exact == (Fraction(3, 5), Fraction(1, 5), Fraction(1, 5))
    assert game == Weighted((3, 1, 1), 3)
    game, _ = weighted_from_text("1e20,1e20,1e20", "majority")  # same game in units of 1e20
    assert game == Weighted((1, 1, 1), 2)
    assert power(game).shapley_shubik == (Fraction(1, 3),) * 3
    game, _ = weighted_from_text("4,4,4,2,2,1", "12")
    assert game == Weighted((4, 4, 4, 2, 2, 1), 12)
    game, _ = weighted_from_text("1/3, 2/3", "2/3")
    assert game == Weighted((1, 2), 2)
    game, _ = weighted_from_text("10,20", "15")  # 15 votes of 30 is 2 units of 10 (a coalition reaches 1.5 units)
    assert game == Weighted((1, 2), 2)


def test_parse_weights_rejects_non_text() -> None:
    with pytest.raises(UsageError, match="expected text"):
        parse_weights(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(("make", "words"), [
    (lambda: Weighted((float("nan"), 1), 1), "finite whole number"),
    (lambda: Weighted((float("inf"), 1), 1), "finite whole number"),
    (lambda: Weighted((0.5, 1), 1), "whole number; found 0.5"),
    (lambda: Weighted((True, 1), 1), "whole number; found True"),
    (lambda: Weighted(("3", 1), 1), "whole number"),
    (lambda: Weighted((), 1), "at least one party"),
    (lambda: Weighted((10**20, 1), 2), "more than the"),
    (lambda: Weighted((2**62, 2**62), 3), "more than the"),
    (lambda: Weighted((10**400, 1), 1), "add up to 1.000e[+]400"),  # too large for a float, even in the message
    (lambda: Weighted((1e300, 1), 1), "add up to 1.000e[+]300"),
    (lambda: Weighted((3, 1), 10**500), "the quota 1.000e[+]500 is above the total weight 4"),
    (lambda: Weighted((1, 1), 0), "the quota must be positive"),
    (lambda: Weighted((1, 1), -5), "the quota must be positive"),
    (lambda: Weighted((1, 1), float("nan")), "finite whole number"),
    (lambda: Weighted((1, 1), 1.5), "whole number"),
    (lambda: Weighted("12", 1), "sequence of whole numbers"),
    (lambda: Weighted((1,) * (MAX_PARTIES + 1), 1), "parties are more than"),
    (lambda: Veto(3, (3,)), "not one of the 3 parties"),
    (lambda: Veto(0, ()), "at least one party"),
    (lambda: AllOf(()), "at least one body"),
    (lambda: AllOf((Weighted((1, 1), 1), Veto(3, (0,)))), "different numbers of parties"),
    (lambda: quota_from_share((1, 1), float("nan")), "from 0 to 1"),
    (lambda: quota_from_share((1, 1), Fraction(3, 2)), "from 0 to 1"),
    (lambda: quota_from_share((1, 1), -0.5), "from 0 to 1"),
    (lambda: quota_from_share((1, 1), "half"), "from 0 to 1"),  # type: ignore[arg-type]
    (lambda: power(Weighted((1, 1), 1), ["a"]), "1 names for 2 parties"),
    (lambda: power(Weighted((1, 1), 1), method="magic"), "unknown method 'magic'"),
    (lambda: power(Weighted((1, 1), 1), method="montecarlo", samples=0), "samples: found 0"),
    (lambda: power(Weighted((1, 1), 1), samples=-1), "samples: found -1"),
    (lambda: power(Weighted((1, 1), 1), samples=2.5), "samples: found 2.5"),  # type: ignore[arg-type]
    (lambda: power(Weighted((1, 1), 1), samples=True), "samples: found True"),
    (lambda: power(Weighted((1,) * 500, 251), method="montecarlo", samples=10**7), "too much work"),
    (lambda: power(Weighted((1,) * 30, 2**20), method="dp"), "above the total weight"),
    (lambda: power(Weighted((1, 10**9), 10**8), method="dp"), "too much for dp"),  # the table, not the work
])
def test_bad_game_inputs_are_one_line_usage_errors(make, words: str) -> None:
    with pytest.raises(UsageError, match=words) as err:
        make()
    assert "\n" not in str(err.value)


def test_one_sample_gives_numbers_not_nan() -> None:
    p = power(Weighted((3, 2, 1), 4), method="montecarlo", samples=1)
    values = p.banzhaf_raw + p.banzhaf + p.shapley_shubik + p.stderr_banzhaf_raw + p.stderr_shapley_shubik
    assert all(math.isfinite(v) for v in values)
    assert sum(p.shapley_shubik) == 1


def test_numpy_integers_are_accepted_and_stored_as_int() -> None:
    game = Weighted(tuple(np.array([4, 4, 4, 2, 2, 1])), np.int64(12))
    assert all(type(w) is int for w in game.weights) and type(game.quota) is int
    assert power(game).banzhaf_swings == (10, 10, 10, 6, 6, 0)


def test_huge_weights_enumerate_exactly() -> None:
    # 2^60 and friends: too wide for the dp table, summed exactly in int64 by enumeration
    game = Weighted((2**60, 2**59, 2**59, 1), 2**60 + 1)
    p = power(game)
    assert p.method == "enumerate"
    assert p.banzhaf_swings == power(Weighted((4, 2, 2, 1), 5), method="enumerate").banzhaf_swings


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=1, max_size=8), st.data())
def test_veto_players_in_closed_form_equal_the_general_rule(weights: list[int], data: st.DataObject) -> None:
    if sum(weights) == 0:
        weights[0] = 1
    game = Weighted(tuple(weights), data.draw(st.integers(1, sum(weights))))
    assert veto_players(game) == veto_players(AllOf((game, game)))


def test_two_hundred_parties_with_small_weights_are_exact_and_fast() -> None:
    weights = tuple(int(w) for w in np.random.default_rng(0).integers(1, 10, 200))  # total 1,061
    t0 = time.perf_counter()
    p = power(Weighted(weights, sum(weights) // 2 + 1))
    assert time.perf_counter() - t0 < 5.0  # ~0.2 s (was ~1.6 s)
    assert p.method == "dp" and sum(p.shapley_shubik) == 1
    mc = power(Weighted(weights, sum(weights) // 2 + 1), method="montecarlo", samples=50_000)
    for i in range(0, 200, 20):  # the weighted Monte Carlo agrees with the exact values within its error bars
        assert abs(mc.shapley_shubik[i] - float(p.shapley_shubik[i])) < 5 * mc.stderr_shapley_shubik[i] + 1e-4
        assert abs(mc.banzhaf_raw[i] - float(p.banzhaf_raw[i])) < 5 * mc.stderr_banzhaf_raw[i] + 1e-4


def test_two_hundred_parties_with_large_weights_use_monte_carlo_quickly() -> None:
    weights = tuple(int(w) for w in np.random.default_rng(0).integers(1, 100, 200))  # total ~10,000: dp is slow
    t0 = time.perf_counter()
    p = power(Weighted(weights, sum(weights) // 2 + 1))
    assert time.perf_counter() - t0 < 15.0  # ~1.5 s (was ~26-50 s)
    assert p.method == "montecarlo" and p.samples == 200_000
    assert p.stderr_shapley_shubik is not None and max(p.stderr_shapley_shubik) < 1e-3
    assert abs(sum(p.shapley_shubik) - 1) < 1e-9  # one pivot per ordering
    heavy, light = int(np.argmax(weights)), int(np.argmin(weights))
    assert p.shapley_shubik[heavy] > p.shapley_shubik[light]
