"""Uniforms for Monte Carlo paths, block by block, and the copulas that correlate them.

**Reproducibility.** Paths are sampled in fixed blocks of ``BLOCK`` paths, whatever the chunk size the engine
runs, the number of workers or the backend. Block b takes its randomness from
``numpy.random.SeedSequence(seed, spawn_key=(b,))``, the same stream as ``SeedSequence(seed).spawn(b + 1)[b]``:

- ``random``: independent uniforms from a PCG64 generator on that stream;
- ``lhs``: a Latin hypercube of ``BLOCK`` points per block (scipy.stats.qmc.LatinHypercube on that stream), so
  each block is stratified on its own;
- ``sobol``: one scrambled Sobol' sequence for the whole run (scipy.stats.qmc.Sobol, scrambled with
  ``SeedSequence(seed)``), block b being its points b*BLOCK to (b+1)*BLOCK - 1 (reached with ``fast_forward``).
  ``BLOCK`` is a power of two, so every whole block keeps the sequence's balance.

A path's inputs therefore depend only on (seed, sampler, path index): two runs with the same seed give the
same numbers on every path.

**Copulas** (rank correlations C between some inputs, ``correlate``): ``gaussian`` takes normal scores
z = Φ⁻¹(u), correlates them with the Cholesky factor of the Pearson matrix R = 2 sin(π C / 6) (exact for a
Gaussian copula: Spearman's ρ_S = (6/π) arcsin(R/2)), and maps back with Φ. ``t`` divides the correlated scores
by sqrt(W/ν), W ~ χ²(ν) from one more uniform column, and maps back with the t CDF: the same R (the Gaussian
relation, close for a t copula), with tail dependence. ``iman-conover`` (Iman and Conover 1982) reorders each
column of a block so that the ranks follow van der Waerden scores correlated to C; the marginals are untouched.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.stats import qmc

from fundcheck.errors import UsageError

__all__ = ["BLOCK", "SAMPLERS", "block_uniforms", "correlate", "pearson_from_spearman", "uniforms"]

BLOCK = 4096
SAMPLERS = ("random", "lhs", "sobol")
COPULAS = ("gaussian", "t", "iman-conover")


def block_uniforms(sampler: str, seed: int, block: int, d: int) -> np.ndarray:
    """The uniforms of block `block`: BLOCK x d, in (0, 1)."""
    if d == 0:
        return np.zeros((BLOCK, 0))
    if sampler == "random":
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,)))).random((BLOCK, d))
    if sampler == "lhs":
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))
        return qmc.LatinHypercube(d, rng=rng).random(BLOCK)
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


def pearson_from_spearman(c: np.ndarray) -> np.ndarray:
    """The normal-score (Pearson) correlation that gives rank correlation `c` under a Gaussian copula, made
    positive semi-definite again if the map broke it (eigenvalues clipped at 0, unit diagonal restored)."""
    r = 2 * np.sin(np.pi * np.asarray(c, dtype=np.float64) / 6)
    np.fill_diagonal(r, 1.0)
    w, v = np.linalg.eigh(r)
    if w.min() < 1e-12:
        r = (v * np.clip(w, 1e-12, None)) @ v.T
        s = np.sqrt(np.diag(r))
        r = r / np.outer(s, s)
    return r


def _cholesky(r: np.ndarray) -> np.ndarray:
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
        out[:, cols] = _iman_conover(x, np.asarray(c, dtype=np.float64))
        return out
    r = pearson_from_spearman(c)
    z = stats.norm.ppf(x) @ _cholesky(r).T
    if copula == "gaussian":
        out[:, cols] = stats.norm.cdf(z)
        return out
    if extra is None:
        raise ValueError("the t copula needs one more column of uniforms")
    w = stats.chi2.ppf(np.clip(extra, 1e-12, 1 - 1e-12), df)
    out[:, cols] = stats.t.cdf(z / np.sqrt(w / df)[:, None], df)
    return out


def _iman_conover(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Reorder each column of x so that the ranks follow scores with correlation close to c."""
    n, d = x.shape
    a = stats.norm.ppf(np.arange(1, n + 1) / (n + 1))  # van der Waerden scores
    ranks = np.argsort(np.argsort(x, axis=0, kind="stable"), axis=0, kind="stable")
    s = a[ranks]  # independent scores, permuted as the block's own uniforms
    e = np.corrcoef(s, rowvar=False)
    q = _cholesky(e)
    p = _cholesky(np.asarray(c, dtype=np.float64))
    target = s @ np.linalg.solve(q.T, p.T) if np.linalg.matrix_rank(q) == d else s @ p.T
    target_ranks = np.argsort(np.argsort(target, axis=0, kind="stable"), axis=0, kind="stable")
    return np.take_along_axis(np.sort(x, axis=0), target_ranks, axis=0)
