"""The Monte Carlo runner: a one-path run at point values equals the deterministic run, the same seed gives the
same numbers whatever the chunking, workers or backend, and the reductions match hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fundcheck
from fundcheck.errors import UsageError
from fundcheck.scenario import load
from fundcheck.uncertainty.results import wilson
from fundcheck.uncertainty.runner import point_run, simulate


@pytest.fixture(scope="module")
def stargate():
    return load("stargate")


@pytest.fixture(scope="module")
def run(stargate):
    return simulate(stargate, paths=3000, seed=5, fan_paths=50)


def test_one_path_at_point_values_equals_the_deterministic_run(stargate) -> None:
    det = fundcheck.run("stargate")
    one = point_run(stargate)
    assert one["gap_usd"][0] == pytest.approx(det.totals()["gap_usd"], rel=1e-12)
    first = det.first_shortfall()
    months = det.months
    for e, name in enumerate(det.entity_names):
        got = int(one["first_short"][0, e])
        assert (months[got] if got >= 0 else None) == first[name]
    assert np.array_equal(one["energized"][0], np.where(det.outcome.field("energized")[0] < len(months),
                                                         det.outcome.field("energized")[0], -1))


def test_the_inputs_vary_and_the_gap_follows(run) -> None:
    assert len(run.inputs.inputs) >= 10
    assert run.gap_usd.std() > 1e9
    assert np.unique(run.arrays["x"][:, run.inputs.names.index("IT cost per MW")]).size == 5


def test_same_seed_same_numbers_whatever_the_chunk_size_and_workers(stargate, run) -> None:
    other = simulate(stargate, paths=3000, seed=5, chunk=701, workers=1, fan_paths=50)
    for key in ("gap_usd", "first_short", "energized", "x"):
        assert np.array_equal(run.arrays[key], other.arrays[key]), key
    assert np.array_equal(run.fan_gap_usd, other.fan_gap_usd)
    assert not np.array_equal(run.gap_usd, simulate(stargate, paths=3000, seed=6, fan_paths=0).gap_usd)


def test_a_dask_local_cluster_gives_the_same_numbers(stargate, run) -> None:
    pytest.importorskip("distributed", reason="the Dask extra (fundcheck[dask]) is not installed")
    from distributed import Client, LocalCluster

    with LocalCluster(processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        on_dask = simulate(stargate, paths=3000, seed=5, chunk=1000, dask=client, fan_paths=0)
    assert on_dask.backend == "dask"
    for key in ("gap_usd", "first_short", "energized", "x"):
        assert np.array_equal(run.arrays[key], on_dask.arrays[key]), key


def test_p_shortfall_standard_error_and_interval_by_hand(run) -> None:
    first = run.arrays["first_short"][:, run.plan.entities.id("Oracle")]
    k = int((first >= 0).sum())
    n = 3000
    p = k / n
    got = run.p_shortfall("Oracle")
    assert got["p"] == p and got["se"] == pytest.approx(math.sqrt(p * (1 - p) / n))
    z = 1.959963984540054
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert (got["lo95"], got["hi95"]) == pytest.approx((centre - half, centre + half))
    # by a date: only first shortfalls at or before it
    m = run.months.index("2028-12")
    assert run.p_shortfall("Oracle", "2028-12")["p"] == np.mean((first >= 0) & (first <= m))


def test_wilson_by_hand_and_at_the_edges() -> None:
    assert wilson(0, 100) == (0.0, pytest.approx(0.03699, abs=1e-5))
    assert wilson(100, 100) == (pytest.approx(1 - 0.03699, abs=1e-5), 1.0)
    assert wilson(50, 100) == pytest.approx((0.4038, 0.5962), abs=1e-4)


def test_expected_shortfall_is_the_mean_of_the_worst_five_percent(run) -> None:
    worst = np.sort(run.gap_usd)[-150:]  # 5% of 3,000 paths
    assert run.expected_shortfall() == pytest.approx(worst.mean())
    g = run.gap_percentiles()
    assert g["p5"] <= g["p50"] <= g["p95"] <= run.expected_shortfall()


def test_fans_counts_and_json(run) -> None:
    fan = run.gap_fan()
    assert len(fan["p5"]) == len(run.months)
    assert all(a <= b + 1e-6 for a, b in zip(fan["p5"], fan["p95"], strict=True))
    counts = run.first_shortfall_counts("Oracle")
    assert sum(counts.values()) == run.paths
    mw = run.mw_online_by_year()
    assert mw["2024"]["p50"] == 0 and max(r["p95"] for r in mw.values()) <= 10_000
    doc = run.to_json()
    assert doc["paths"] == 3000 and doc["seed"] == 5
    assert set(doc["p_shortfall"]["Oracle"]) >= {"p", "se", "lo95", "hi95", "by"}
    assert set(doc["p_shortfall"]["Oracle"]["by"]) == {"2026-12", "2028-12"}
    assert doc["gap_usd"]["expected_shortfall_95"] == pytest.approx(run.expected_shortfall())


def test_python_api_and_bad_arguments() -> None:
    r = fundcheck.simulate("abilene", paths=10, seed=1, fan_paths=0)
    assert r.paths == 10 and len(r.inputs.inputs) == 0 and np.all(r.gap_usd == r.gap_usd[0])
    for bad in ({"paths": 0}, {"paths": 1.5}, {"seed": -1}, {"sampler": "halton"}, {"workers": 0}):
        with pytest.raises(UsageError):
            simulate("abilene", **{"paths": 5, **bad})
