"""Marginals against scipy.stats: moments and quantiles of samples, a lognormal from its P10 and P90 (an 80%
interval; the 90% interval 'A to B' is P5-P95, tested in test_audit_fixes), truncation,
choices and empirical samples."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from fundcheck.scenario.uncertain import Uncertain
from fundcheck.uncertainty.distributions import marginal
from fundcheck.uncertainty.sampling import uniforms

N = 200_000


def _sample(spec: dict, point: float = 0.0, options: dict | None = None, sampler: str = "random") -> np.ndarray:
    return marginal(Uncertain.model_validate(spec), point, options).ppf(uniforms(sampler, 7, 0, N, 1)[:, 0])


CASES = [
    ({"dist": "normal", "mean": 3.0, "sd": 2.0}, stats.norm(3, 2)),
    ({"dist": "uniform", "low": -1.0, "high": 5.0}, stats.uniform(-1, 6)),
    ({"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 6.0}, stats.triang(0.2, loc=1, scale=5)),
    ({"dist": "pert", "low": 0.0, "mode": 3.0, "high": 10.0}, stats.beta(1 + 4 * 0.3, 1 + 4 * 0.7, 0, 10)),
    ({"dist": "beta", "alpha": 2.0, "beta": 5.0, "low": 10.0, "high": 20.0}, stats.beta(2, 5, 10, 10)),
]


@pytest.mark.parametrize(("spec", "ref"), CASES, ids=[c[0]["dist"] for c in CASES])
def test_sample_moments_and_quantiles_match_scipy(spec: dict, ref) -> None:
    x = _sample(spec)
    se_mean = ref.std() / np.sqrt(N)
    assert abs(x.mean() - ref.mean()) < 5 * se_mean
    assert x.std() == pytest.approx(ref.std(), rel=0.01)
    for q in (0.05, 0.25, 0.5, 0.75, 0.95):
        # the sample quantile's standard error: sqrt(q(1-q)/N) / density at the quantile
        tol = 5 * np.sqrt(q * (1 - q) / N) / ref.pdf(ref.ppf(q))
        assert abs(np.quantile(x, q) - ref.ppf(q)) < tol


def test_a_lognormal_given_by_p10_and_p90_an_80_percent_interval_recovers_them() -> None:
    x = _sample({"dist": "lognormal", "p10": 35e9, "p90": 60e9})
    assert np.mean(x <= 35e9) == pytest.approx(0.10, abs=0.004)
    assert np.mean(x <= 60e9) == pytest.approx(0.90, abs=0.004)
    assert np.median(x) == pytest.approx(np.sqrt(35e9 * 60e9), rel=0.005)
    assert Uncertain.model_validate({"dist": "lognormal", "p10": 35e9, "p90": 60e9}).point() == pytest.approx(
        np.sqrt(35e9 * 60e9))


def test_lhs_and_sobol_give_the_same_distribution_as_random() -> None:
    spec = {"dist": "normal", "mean": 0.0, "sd": 1.0}
    for sampler in ("lhs", "sobol"):
        x = _sample(spec, sampler=sampler)
        assert abs(x.mean()) < 0.002 and x.std() == pytest.approx(1.0, abs=0.002)


def test_truncation_keeps_values_inside_and_follows_the_conditional_distribution() -> None:
    x = _sample({"dist": "normal", "mean": 0.0, "sd": 1.0, "truncate": [-1.0, 2.0]})
    assert x.min() >= -1.0 and x.max() <= 2.0
    ref = stats.truncnorm(-1.0, 2.0)
    assert x.mean() == pytest.approx(ref.mean(), abs=0.01)
    assert np.quantile(x, 0.5) == pytest.approx(ref.ppf(0.5), abs=0.01)


def test_a_choice_takes_each_alternative_with_its_weight() -> None:
    spec = {"dist": "choice", "options": {"central": 0.5, "high": 0.3, "low": 0.2}}
    x = _sample(spec, point=10.0, options={"high": 20.0, "low": 5.0})
    for value, weight in ((10.0, 0.5), (20.0, 0.3), (5.0, 0.2)):
        assert np.mean(x == value) == pytest.approx(weight, abs=4 * np.sqrt(weight * (1 - weight) / N))


def test_an_empirical_sample_gives_equal_weight_to_each_value() -> None:
    x = _sample({"dist": "empirical", "sample": [3.0, 1.0, 2.0, 2.0]})
    assert np.mean(x == 2.0) == pytest.approx(0.5, abs=0.01)
    assert np.mean(x == 1.0) == pytest.approx(0.25, abs=0.01)


def test_a_cost_reference_class_has_the_published_mean_and_spread() -> None:
    # Flyvbjerg, Holm and Buhl (2002): all 258 projects, mean cost escalation 27.6%, standard deviation 38.7%
    x = _sample({"reference": "flyvbjerg-2002-all"}, point=100.0)
    assert x.mean() == pytest.approx(127.6, rel=0.01)
    assert x.std() == pytest.approx(38.7, rel=0.03)
