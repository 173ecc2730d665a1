"""Sobol indices of the Ishigami function against its analytic values, and Morris screening on it.

Ishigami and Homma (1990), "An importance quantification technique in uncertainty analysis for computer models",
Proc. ISUMA '90, 398-403; values as tabulated in Saltelli et al. (2008), "Global Sensitivity Analysis: The
Primer", Wiley: with a = 7, b = 0.1, S1 = 0.3139, S2 = 0.4424, S3 = 0; ST1 = 0.5576, ST2 = 0.4424, ST3 = 0.2437.
The test derives them again from the closed-form variances below.
"""

from __future__ import annotations

import numpy as np
import pytest

from fundcheck.uncertainty.global_sensitivity import morris_indices, sobol_indices

A, B = 7.0, 0.1


def ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def to_box(unit: np.ndarray) -> np.ndarray:
    return -np.pi + 2 * np.pi * unit  # each input uniform on [-pi, pi]


def analytic() -> dict[str, list[float]]:
    pi4, pi8 = np.pi ** 4, np.pi ** 8
    v1 = 0.5 * (1 + B * pi4 / 5) ** 2
    v2 = A ** 2 / 8
    v13 = B ** 2 * pi8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return {"S1": [v1 / v, v2 / v, 0.0], "ST": [(v1 + v13) / v, v2 / v, v13 / v]}


def test_the_analytic_values_are_the_published_ones() -> None:
    exact = analytic()
    assert exact["S1"] == pytest.approx([0.3139, 0.4424, 0.0], abs=5e-5)
    assert exact["ST"] == pytest.approx([0.5576, 0.4424, 0.2437], abs=5e-5)


def test_sobol_indices_of_ishigami_match_the_analytic_values() -> None:
    rows, runs = sobol_indices(["x1", "x2", "x3"], ishigami, 2 ** 13, seed=1, ppf=to_box)
    assert runs == 2 ** 13 * (3 + 2)
    exact = analytic()
    for j, row in enumerate(rows):
        assert row["S1"] == pytest.approx(exact["S1"][j], abs=0.03)
        assert row["ST"] == pytest.approx(exact["ST"][j], abs=0.03)
        assert 0 < row["ST_conf"] < 0.05  # an interval is reported, and it is narrow at this N


def test_morris_ranks_x1_and_x2_above_x3_on_mu_star() -> None:
    rows, runs = morris_indices(["x1", "x2", "x3"], ishigami, 100, seed=2, ppf=to_box)
    assert runs == 100 * 4
    mu = {r["name"]: r["mu_star"] for r in rows}
    assert mu["x1"] > mu["x3"] and mu["x2"] > mu["x3"]
