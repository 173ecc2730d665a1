"""Uniforms for Monte Carlo paths, block by block, and the copulas that correlate them.

**Reproducibility.** Paths are sampled in fixed blocks of ``BLOCK`` paths, whatever the chunk size the engine
runs, the number of workers or the backend. Block b takes its randomness from
``numpy.random.SeedSequence(seed, spawn_key=(b,))``, the same stream as ``SeedSequence(seed).spawn(b + 1)[b]``:

- ``random``: a PCG64 generator on that stream (``block_rng``). ``model.InputSet`` draws a block's inputs from
  it in normal-score space (standard normals, a Gaussian copula's Cholesky factor applied to them, normal and
  lognormal marginals mapped directly) or with numpy's generator for an uncorrelated input's scipy distribution
  (``distributions.Marginal.draw``); ``block_uniforms`` gives its plain uniforms (the tests' and the copulas'
  reference route);
- ``lhs``: a Latin hypercube of ``BLOCK`` points per block (scipy.stats.qmc.LatinHypercube on that stream), so
  each block is stratified on its own;
- ``sobol``: one scrambled Sobol' sequence for the whole run (scipy.stats.qmc.Sobol, scrambled with
  ``SeedSequence(seed)``), block b being its points b*BLOCK to (b+1)*BLOCK - 1 (reached with ``fast_forward``).
  ``BLOCK`` is a power of two, so every whole block keeps the sequence's balance.

A path's inputs therefore depend only on (seed, sampler, path index): two runs with the same seed give the
same numbers on every path.

**Copulas** (rank correlations C between some inputs, ``correlate``): every copula is given the matrix of
Spearman rank correlations C and reaches it in expectation.

- ``gaussian`` takes normal scores z = Φ⁻¹(u), correlates them with the Cholesky factor of the Pearson matrix
  R = 2 sin(π C / 6) (exact for a Gaussian copula: Spearman's ρ_S = (6/π) arcsin(R/2)), and maps back with Φ.
- ``t`` divides the correlated scores by sqrt(W/ν), W ~ χ²(ν) from one more uniform column, and maps back with
  the t CDF. Its Pearson parameter is *calibrated* for ν (``t_pearson_from_spearman``): for a t copula with
  parameter r, ρ_S = (6/π) E[arcsin(r g)] with g = sqrt(A B / ((W + A)(W + B))), W, A, B independent χ²(ν)
  (write the t margins' CDF as a normal scale mixture, F_t(x) = E Φ(x sqrt(A/ν)), and take the orthant
  probability of two normals); the expectation is a 60-point Gauss–Legendre rule in each variable's quantile
  space (accurate to about 1e-5), and r is its root (Brent) for each target entry.
- ``iman-conover`` (Iman and Conover 1982) reorders each column of a sampling block so that the ranks follow van
  der Waerden scores with Pearson correlation R = 2 sin(π C / 6), whose rank correlation is C; the marginals are
  untouched. It is applied to whole sampling blocks of ``BLOCK`` paths (``InputSet.sample``), never to a chunk's
  slice, so a path's values do not depend on the chunking. Rule for tiny samples: with fewer than
  ``IC_MIN_ROWS`` rows (3) there is no rank correlation to estimate, and the rows are left as sampled; if the
  scores' own correlation matrix is singular, the target's Cholesky factor is applied to the scores directly.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy import optimize, special, stats
from scipy.stats import qmc

from fundcheck.errors import UsageError

__all__ = ["BLOCK", "IC_MIN_ROWS", "SAMPLERS", "block_rng", "block_uniforms", "cholesky", "correlate",
           "iman_conover", "pearson_from_spearman", "t_pearson_from_spearman", "t_spearman", "uniforms"]

BLOCK = 4096
SAMPLERS = ("random", "lhs", "sobol")
COPULAS = ("gaussian", "t", "iman-conover")
IC_MIN_ROWS = 3


def block_rng(seed: int, block: int) -> np.random.Generator:
    """The generator of sampling block `block`: PCG64 on ``SeedSequence(seed, spawn_key=(block,))``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))


def block_uniforms(sampler: str, seed: int, block: int, d: int) -> np.ndarray:
    """The uniforms of block `block`: BLOCK x d, in (0, 1)."""
    if d == 0:
        return np.zeros((BLOCK, 0))
    if sampler == "random":
        return block_rng(seed, block).random((BLOCK, d))
    if sampler == "lhs":
        return qmc.LatinHypercube(d, rng=block_rng(seed, block)).random(BLOCK)
    if sampler == "sobol":
        if d > 21201:
            raise UsageError(f"the Sobol' sampler takes at most 21,201 inputs; found {d:,}")
        engine = qmc.Sobol(d, scramble=True, rng=np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed))))
        if block:
            engine.fast_forward(block * BLOCK)
        return engine.random(BLOCK)
    raise UsageError(f"--sampler: found '{sampler}'; expected one of: {', '.join(SAMPLERS)}")


def uniforms(sampler: str, seed: int, lo: int, hi: int, d: int) -> np.ndarray:
    """The uniforms of paths lo..hi-1 ((hi - lo) x d), cut from whole blocks."""
    first, last = lo // BLOCK, (hi - 1) // BLOCK
    parts = [block_uniforms(sampler, seed, b, d) for b in range(first, last + 1)]
    whole = np.concatenate(parts) if len(parts) > 1 else parts[0]
    return whole[lo - first * BLOCK:hi - first * BLOCK]


def _psd(r: np.ndarray) -> np.ndarray:
    """`r` with a unit diagonal, made positive semi-definite again if a map broke it (eigenvalues clipped at
    1e-12, unit diagonal restored)."""
    np.fill_diagonal(r, 1.0)
    w, v = np.linalg.eigh(r)
    if w.min() < 1e-12:
        r = (v * np.clip(w, 1e-12, None)) @ v.T
        s = np.sqrt(np.diag(r))
        r = r / np.outer(s, s)
    return r


def pearson_from_spearman(c: np.ndarray) -> np.ndarray:
    """The normal-score (Pearson) correlation that gives rank correlation `c` under a Gaussian copula, made
    positive semi-definite again if the map broke it (eigenvalues clipped at 0, unit diagonal restored)."""
    return _psd(2 * np.sin(np.pi * np.asarray(c, dtype=np.float64) / 6))


@cache
def _t_nodes(df: int, n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """g = sqrt(A B / ((W + A)(W + B))) at the nodes of an n-point Gauss–Legendre rule in the quantile space of
    each of W, A, B ~ χ²(df), and the rule's weights (flattened)."""
    x, w = special.roots_legendre(n)
    q = stats.chi2.ppf((x + 1) / 2, df)
    wq = w / 2
    big_w, a, b = np.meshgrid(q, q, q, indexing="ij")
    g = np.sqrt(a * b / ((big_w + a) * (big_w + b)))
    weights = wq[:, None, None] * wq[None, :, None] * wq[None, None, :]
    return g.ravel(), weights.ravel()


def t_spearman(r: float, df: int) -> float:
    """Spearman's rank correlation of a bivariate t copula with Pearson parameter `r` and `df` degrees of
    freedom: (6/π) E[arcsin(r g)] (see the module docstring)."""
    g, w = _t_nodes(int(df))
    return float(6 / np.pi * np.dot(w, np.arcsin(r * g)))


@cache
def _t_pearson(c: float, df: int) -> float:
    if abs(c) >= 1:
        return float(np.sign(c))
    top = t_spearman(1.0, df)  # the largest rank correlation the map reaches (1 up to the rule's error)
    if abs(c) >= top:
        return float(np.sign(c))
    return float(optimize.brentq(lambda r: t_spearman(r, df) - c, -1.0, 1.0, xtol=1e-12))


def t_pearson_from_spearman(c: np.ndarray, df: int) -> np.ndarray:
    """The Pearson parameter of a t copula with `df` degrees of freedom that gives rank correlation `c`
    (entry by entry, solved numerically), made positive semi-definite again if the map broke it."""
    c = np.asarray(c, dtype=np.float64)
    r = np.eye(len(c))
    for i in range(len(c)):
        for j in range(i + 1, len(c)):
            r[i, j] = r[j, i] = _t_pearson(round(float((c[i, j] + c[j, i]) / 2), 12), int(df))
    return _psd(r)


def cholesky(r: np.ndarray) -> np.ndarray:
    """A factor L with L L^T = r: Cholesky's, or for a semi-definite r a square root from its eigenvectors."""
    w, v = np.linalg.eigh(r)
    try:
        return np.linalg.cholesky(r)
    except np.linalg.LinAlgError:  # semi-definite: a square root from the eigen decomposition
        return v * np.sqrt(np.clip(w, 0, None))


def correlate(u: np.ndarray, cols: list[int], c: np.ndarray, copula: str, df: int = 4,
              extra: np.ndarray | None = None) -> np.ndarray:
    """Uniforms with columns `cols` given rank correlation `c` by `copula` (a copy; other columns unchanged).
    `extra`: the t copula's uniforms for its chi-square draw (one per row)."""
    if copula not in COPULAS:
        raise UsageError(f"copula: found '{copula}'; expected one of: {', '.join(COPULAS)}")
    out = np.array(u, dtype=np.float64, copy=True)
    x = np.clip(out[:, cols], 1e-12, 1 - 1e-12)
    if copula == "iman-conover":
        out[:, cols] = iman_conover(x, pearson_from_spearman(c))
        return out
    # special.ndtri, ndtr and stdtr are the functions scipy.stats.norm.ppf, norm.cdf and t.cdf call
    if copula == "gaussian":
        z = special.ndtri(x) @ cholesky(pearson_from_spearman(c)).T
        out[:, cols] = special.ndtr(z)
        return out
    if extra is None:
        raise ValueError("the t copula needs one more column of uniforms")
    z = special.ndtri(x) @ cholesky(t_pearson_from_spearman(c, df)).T
    w = stats.chi2.ppf(np.clip(extra, 1e-12, 1 - 1e-12), df)
    out[:, cols] = special.stdtr(df, z / np.sqrt(w / df)[:, None])
    return out


def iman_conover(x: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Reorder each column of x so that the ranks follow van der Waerden scores with Pearson correlation close
    to r (the normal-score correlation of the target rank correlations). Fewer than IC_MIN_ROWS rows: x as it
    is (no correlation to estimate or reach)."""
    n, d = x.shape
    if n < IC_MIN_ROWS or d < 2:
        return x.copy()
    a = stats.norm.ppf(np.arange(1, n + 1) / (n + 1))  # van der Waerden scores
    ranks = np.argsort(np.argsort(x, axis=0, kind="stable"), axis=0, kind="stable")
    s = a[ranks]  # independent scores, permuted as the block's own uniforms
    p = cholesky(np.asarray(r, dtype=np.float64))
    e = np.corrcoef(s, rowvar=False)
    if np.all(np.isfinite(e)) and np.linalg.matrix_rank(e) == d:
        target = s @ np.linalg.solve(cholesky(e).T, p.T)
    else:  # the scores' own correlation is singular: apply the target factor to them directly
        target = s @ p.T
    target_ranks = np.argsort(np.argsort(target, axis=0, kind="stable"), axis=0, kind="stable")
    return np.take_along_axis(np.sort(x, axis=0), target_ranks, axis=0)
