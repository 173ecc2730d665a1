"""The ``random`` sampler's fast routes draw the distributions scipy.stats defines: numpy's direct generators
(``Marginal.draw``) and the map from normal scores (``Marginal.from_normal``) against the scipy CDF
(Kolmogorov-Smirnov), moments and quantiles; and the block stream stays the unit of randomness (any slice, any
number of threads, every copula)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from fundcheck.engine import compile_plan
from fundcheck.scenario import load_text
from fundcheck.scenario.uncertain import Uncertain
from fundcheck.uncertainty.distributions import Marginal, marginal
from fundcheck.uncertainty.model import compile_inputs
from fundcheck.uncertainty.sampling import BLOCK, block_rng

N = 200_000

CASES = [
    ({"dist": "normal", "mean": 3.0, "sd": 2.0}, stats.norm(3, 2)),
    ({"dist": "lognormal", "p10": 1.0, "p90": 10.0},
     stats.lognorm(s=np.log(10) / (2 * stats.norm.ppf(0.9)), scale=np.sqrt(10))),
    ({"dist": "uniform", "low": -1.0, "high": 5.0}, stats.uniform(-1, 6)),
    ({"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 6.0}, stats.triang(0.2, loc=1, scale=5)),
    ({"dist": "triangular", "low": 1.0, "mode": 1.0, "high": 6.0}, stats.triang(0.0, loc=1, scale=5)),
    ({"dist": "pert", "low": 0.0, "mode": 3.0, "high": 10.0}, stats.beta(1 + 4 * 0.3, 1 + 4 * 0.7, 0, 10)),
    ({"dist": "beta", "alpha": 2.0, "beta": 5.0, "low": 10.0, "high": 20.0}, stats.beta(2, 5, 10, 10)),
    ({"dist": "beta", "alpha": 0.5, "beta": 0.7}, stats.beta(0.5, 0.7)),
]
IDS = [f"{c[0]['dist']}-{k}" for k, c in enumerate(CASES)]


def _check(x: np.ndarray, ref) -> None:
    assert stats.kstest(x, ref.cdf).pvalue > 1e-4
    assert abs(x.mean() - ref.mean()) < 5 * ref.std() / np.sqrt(len(x))
    assert x.std() == pytest.approx(ref.std(), rel=0.02)
    for q in (0.05, 0.25, 0.5, 0.75, 0.95):
        tol = 5 * np.sqrt(q * (1 - q) / len(x)) / ref.pdf(ref.ppf(q))
        assert abs(np.quantile(x, q) - ref.ppf(q)) < tol


@pytest.mark.parametrize(("spec", "ref"), CASES, ids=IDS)
def test_direct_draws_follow_the_scipy_distribution(spec: dict, ref) -> None:
    m = marginal(Uncertain.model_validate(spec), 0.0)
    _check(m.draw(np.random.default_rng(11), N), ref)


@pytest.mark.parametrize(("spec", "ref"), CASES, ids=IDS)
def test_values_from_normal_scores_are_the_inverse_cdf_of_their_normal_probability(spec: dict, ref) -> None:
    m = marginal(Uncertain.model_validate(spec), 0.0)
    z = np.random.default_rng(12).standard_normal(N)
    x = m.from_normal(z)
    _check(x, ref)
    # the same map as scipy's ppf of Phi(z), where Phi(z) is not rounded to 0 or 1
    inner = np.abs(z) < 6
    assert np.allclose(x[inner], ref.ppf(stats.norm.cdf(z[inner])), rtol=1e-9, atol=1e-9)


def test_exponential_and_the_flyvbjerg_class_draw_their_scipy_distributions() -> None:
    expon = Marginal("exponential", stats.expon(scale=40.0))
    _check(expon.draw(np.random.default_rng(3), N), stats.expon(scale=40.0))
    ref = marginal(Uncertain.model_validate({"reference": "flyvbjerg-2002-all"}), 100.0)
    sigma2 = np.log1p((0.387 / 1.276) ** 2)
    want = stats.lognorm(s=np.sqrt(sigma2), scale=100 * 1.276 * np.exp(-sigma2 / 2))
    _check(ref.draw(np.random.default_rng(4), N), want)


def test_truncated_and_discrete_marginals_keep_the_inverse_cdf_route() -> None:
    trunc = marginal(Uncertain.model_validate({"dist": "normal", "mean": 0, "sd": 1, "truncate": [-1, 2]}), 0.0)
    assert trunc.params() is None and trunc.normal_map() is None
    x = trunc.draw(np.random.default_rng(5), N)
    assert x.min() >= -1 and x.max() <= 2
    assert stats.kstest(x, stats.truncnorm(-1, 2).cdf).pvalue > 1e-4
    # the inverse-CDF route on the generator's own uniforms
    assert np.array_equal(trunc.draw(np.random.default_rng(5), 10), trunc.ppf(np.random.default_rng(5).random(10)))
    emp = marginal(Uncertain.model_validate({"dist": "empirical", "sample": [3.0, 1.0, 2.0, 2.0]}), 0.0)
    assert emp.params() is None
    assert np.mean(emp.draw(np.random.default_rng(6), N) == 2.0) == pytest.approx(0.5, abs=0.01)


SRC = 'source: "assumption: test"'
SCENARIO = f"""program: test
horizon: {{start: 2025-01, end: 2026-12}}
entities:
  A: {{kind: company, cash: {{value: 100M, dist: lognormal, p10: 30M, p90: 60M, name: a, {SRC}}}}}
  B: {{kind: company, cash: {{value: 50M, dist: beta, alpha: 2, beta: 3, low: 20M, high: 80M, name: b, {SRC}}}}}
  C: {{kind: company, cash: {{value: 50M, dist: triangular, low: 10M, mode: 20M, high: 80M, name: c, {SRC}}}}}
  JV: {{kind: spv, funding_priority: [equity]}}
sites:
  S:
    owner: JV
    phases:
      - {{name: p1, it_mw: 10, start: 2025-01, months: 6, it_capex: 0, {SRC},
         facility_capex: {{value: 80M, dist: normal, mean: 80M, sd: 10M, truncate: [60M, 100M], name: d, {SRC}}},
         delay: {{dist: triangular, low: 0, mode: 2, high: 12, {SRC}}}}}
instruments:
  - {{kind: equity, name: eqA, from: A, to: JV, amount: 50M, stake: 40%, {SRC}}}
  - {{kind: equity, name: eqB, from: B, to: JV, amount: 50M, stake: 30%, {SRC}}}
  - {{kind: equity, name: eqC, from: C, to: JV, amount: 50M, stake: 30%, {SRC}}}
"""


def _inputs(copula: str | None, rho: float = 0.6):
    extra = "" if copula is None else (f"correlations:\n  inputs: [a, b, d]\n  matrix: [[1, {rho}, 0.2], "
                                       f"[{rho}, 1, 0.1], [0.2, 0.1, 1]]\n  copula: {copula}\n")
    s = load_text(SCENARIO + extra, "t.yaml")
    return compile_inputs(s, compile_plan(s))


@pytest.mark.parametrize("copula", [None, "gaussian", "t", "iman-conover"])
def test_random_paths_are_the_same_whatever_the_slice_or_the_threads(copula: str | None) -> None:
    inputs = _inputs(copula)
    whole = inputs.sample("random", 7, 0, 3 * BLOCK)
    assert np.array_equal(inputs.sample("random", 7, 0, 3 * BLOCK, workers=3), whole)
    for lo, hi in ((0, 1), (5, 17), (BLOCK - 3, 2 * BLOCK + 9), (2 * BLOCK, 3 * BLOCK)):
        assert np.array_equal(inputs.sample("random", 7, lo, hi), whole[lo:hi])
        assert np.array_equal(inputs.sample("random", 7, lo, hi, workers=2), whole[lo:hi])
    # block b is its own generator: the same values from SeedSequence(7, spawn_key=(1,)) alone
    alone = np.empty((BLOCK, len(inputs.inputs)))
    inputs.block("random", 7, 1, alone)
    assert np.array_equal(alone, whole[BLOCK:2 * BLOCK])
    assert not np.array_equal(inputs.sample("random", 8, 0, 10), whole[:10])


@pytest.mark.parametrize("copula", ["gaussian", "t", "iman-conover"])
def test_the_random_sampler_reaches_the_rank_correlations_and_keeps_the_marginals(copula: str) -> None:
    inputs = _inputs(copula, rho=0.6)
    n = 40_000
    x = inputs.sample("random", 3, 0, n)
    j = {name: inputs.names.index(name) for name in ("a", "b", "d")}
    got = stats.spearmanr(x[:, [j["a"], j["b"], j["d"]]]).statistic
    want = np.array([[1, 0.6, 0.2], [0.6, 1, 0.1], [0.2, 0.1, 1]])
    se = np.sqrt(1.06 / (n - 3))  # Spearman's rho on Fisher's z scale (Fieller, Hartley and Pearson 1957)
    assert np.all(np.abs(np.arctanh(np.clip(got, -0.999, 0.999)) - np.arctanh(np.clip(want, -0.999, 0.999)))
                  < 4 * se), got
    assert stats.kstest(x[:, j["b"]], stats.beta(2, 3, 20e6, 60e6).cdf).pvalue > 1e-4
    assert stats.kstest(x[:, j["a"]], stats.lognorm(s=np.log(2) / (2 * stats.norm.ppf(0.9)),
                                                   scale=np.sqrt(30e6 * 60e6)).cdf).pvalue > 1e-4
    assert x[:, j["d"]].min() >= 60e6 and x[:, j["d"]].max() <= 100e6


def test_uncorrelated_inputs_are_independent_and_delays_whole_months() -> None:
    inputs = _inputs(None)
    x = inputs.sample("random", 2, 0, 20_000)
    assert abs(stats.spearmanr(x[:, 0], x[:, 1]).statistic) < 4 * np.sqrt(1.06 / 20_000)
    k = next(i for i, n in enumerate(inputs.names) if n.endswith("delay"))
    assert np.array_equal(x[:, k], np.round(x[:, k])) and x[:, k].min() >= 0 and x[:, k].max() <= 12


def test_block_rng_is_the_spawned_seed_sequence() -> None:
    a = block_rng(5, 3).random(4)
    b = np.random.Generator(np.random.PCG64(np.random.SeedSequence(5).spawn(4)[3])).random(4)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("sampler", ["lhs", "sobol"])
@pytest.mark.parametrize("copula", ["gaussian", "t", "iman-conover"])
def test_lhs_and_sobol_still_take_the_copulas_block_by_block(sampler: str, copula: str) -> None:
    inputs = _inputs(copula, rho=0.6)
    whole = inputs.sample(sampler, 4, 0, 4 * BLOCK)
    assert np.array_equal(inputs.sample(sampler, 4, BLOCK - 5, 2 * BLOCK + 3, workers=2),
                          whole[BLOCK - 5:2 * BLOCK + 3])
    ja, jb = inputs.names.index("a"), inputs.names.index("b")
    got = stats.spearmanr(whole[:, ja], whole[:, jb]).statistic
    assert abs(np.arctanh(got) - np.arctanh(0.6)) < 4 * np.sqrt(1.06 / (len(whole) - 3)), got


def test_the_discrete_inverse_cdf_is_scipys_ppf() -> None:
    choice = marginal(Uncertain.model_validate({"dist": "choice", "options": {"central": 0.5, "hi": 0.3, "lo": 0.2}}),
                      10.0, {"hi": 20.0, "lo": 5.0})
    epoch = marginal(Uncertain.model_validate({"reference": "epoch-build-months"}), 1.0)
    for m in (choice, epoch):
        cdf = m.dist.cdf(np.arange(len(m.values)))
        u = np.concatenate([np.random.default_rng(9).random(50_000), cdf, np.nextafter(cdf, 0), [1e-12]])
        u = u[(u > 0) & (u < 1)]
        assert np.array_equal(m.index(u), m.dist.ppf(u).astype(np.int64))
