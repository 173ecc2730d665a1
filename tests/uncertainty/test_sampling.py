"""Correlation: rank correlations recovered within Monte Carlo error by each copula, tail dependence of the t
copula, and sampling blocks that make results independent of chunking."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from fundcheck.uncertainty.sampling import BLOCK, correlate, uniforms

N = 10 * BLOCK
C = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 1.0]])


def _spearman(u: np.ndarray) -> np.ndarray:
    return stats.spearmanr(u).statistic


@pytest.mark.parametrize("copula", ["gaussian", "t", "iman-conover"])
def test_copulas_recover_the_rank_correlations(copula: str) -> None:
    u = uniforms("random", 3, 0, N, 4)
    if copula == "iman-conover":  # as the model applies it: block by block
        out = np.concatenate([correlate(u[b:b + BLOCK, :3], [0, 1, 2], C, copula) for b in range(0, N, BLOCK)])
    else:
        out = correlate(u[:, :3], [0, 1, 2], C, copula, df=4, extra=u[:, 3])
    got = _spearman(out)
    # within 4 Monte Carlo standard errors: on Fisher's z scale Spearman's rho has standard error
    # sqrt(1.06 / (N - 3)) (Fieller, Hartley and Pearson 1957)
    se = np.sqrt(1.06 / (N - 3))
    assert np.all(np.abs(np.arctanh(np.clip(got, -0.999, 0.999)) - np.arctanh(np.clip(C, -0.999, 0.999)))
                  < 4 * se), got
    for k in range(3):  # marginals stay uniform
        assert stats.kstest(out[:, k], "uniform").pvalue > 1e-4


def test_iman_conover_keeps_each_column_as_sampled() -> None:
    u = uniforms("random", 5, 0, BLOCK, 3)
    out = correlate(u, [0, 1, 2], C, "iman-conover")
    assert np.array_equal(np.sort(out, axis=0), np.sort(u, axis=0))


def test_the_t_copula_has_more_tail_dependence_than_the_gaussian() -> None:
    u = uniforms("random", 11, 0, 32 * BLOCK, 3)
    c = np.array([[1.0, 0.5], [0.5, 1.0]])
    q = 0.01

    def joint_tail(copula: str) -> float:
        out = correlate(u[:, :2], [0, 1], c, copula, df=3, extra=u[:, 2])
        both = np.mean((out[:, 0] < q) & (out[:, 1] < q))
        return both / q  # P(U2 < q | U1 < q)

    gauss, t = joint_tail("gaussian"), joint_tail("t")
    assert t > 1.5 * gauss, (t, gauss)


def test_uniforms_of_any_slice_are_the_same_as_cut_from_the_whole_run() -> None:
    for sampler in ("random", "lhs", "sobol"):
        whole = uniforms(sampler, 42, 0, 3 * BLOCK, 5)
        for lo, hi in ((0, 10), (BLOCK - 3, BLOCK + 9), (2 * BLOCK + 5, 3 * BLOCK)):
            assert np.array_equal(uniforms(sampler, 42, lo, hi, 5), whole[lo:hi])
        assert not np.array_equal(uniforms(sampler, 43, 0, 10, 5), whole[:10])


def test_latin_hypercube_blocks_are_stratified() -> None:
    u = uniforms("lhs", 1, 0, BLOCK, 2)
    for k in range(2):  # one point in each of the BLOCK strata of each column
        assert np.array_equal(np.sort(np.floor(u[:, k] * BLOCK)), np.arange(BLOCK))
