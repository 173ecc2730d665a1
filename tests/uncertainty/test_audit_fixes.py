"""Regressions from the audit of issue 8: the short form's 90% interval, Iman-Conover per sampling block (chunk
invariance, tiny blocks, rank correlations), the calibrated t copula, correlations that name a per-phase input or
an input an alternative fixed, truncated reference classes, a choice's per-option sources, stargate's built phase
and sourced assumptions, zero-variance sensitivity, and two error messages.

Every expected number is worked out here by hand or with scipy/numpy, not taken from fundcheck."""

from __future__ import annotations

import csv
import json
import math
from datetime import date

import numpy as np
import pytest
from scipy import integrate, stats

import fundcheck
from fundcheck.engine import compile_plan
from fundcheck.errors import ScenarioError, UsageError
from fundcheck.report.montecarlo_page import render_montecarlo_page, render_sensitivity_page
from fundcheck.scenario import load, load_text
from fundcheck.scenario.facts import cited_ids
from fundcheck.scenario.uncertain import Uncertain
from fundcheck.uncertainty.distributions import marginal, scipy_distribution
from fundcheck.uncertainty.global_sensitivity import sensitivity
from fundcheck.uncertainty.model import compile_inputs
from fundcheck.uncertainty.results import MonteCarloResults
from fundcheck.uncertainty.runner import run_values
from fundcheck.uncertainty.sampling import BLOCK, IC_MIN_ROWS, correlate, t_pearson_from_spearman, t_spearman, uniforms

BASE = """program: test
horizon: {start: 2025-01, end: 2026-12}
entities:
  A: {kind: company, cash: ACASH}
  B: {kind: company, cash: BCASH}
  JV: {kind: spv, funding_priority: [equity]}
sites:
  S:
    owner: JV
    phases:
      - {name: p1, it_mw: 10, start: 2025-01, months: 6, facility_capex: CAPEX, it_capex: 0,
         source: "assumption: test"DELAY}
instruments:
  - {kind: equity, name: eqA, from: A, to: JV, amount: 50M, stake: 50%, source: "assumption: test"}
  - {kind: equity, name: eqB, from: B, to: JV, amount: 50M, stake: 50%, source: "assumption: test"}
EXTRA"""
A_LOGN = '{value: 100M, dist: lognormal, p10: 30M, p90: 60M, name: a, source: "assumption: test"}'
B_UNIF = '{value: 50M, dist: uniform, low: 20M, high: 80M, name: b, source: "assumption: test"}'
C_UNIF = '{value: 80M, dist: uniform, low: 60M, high: 100M, name: c, source: "assumption: test"}'


def text(a: str = A_LOGN, b: str = B_UNIF, capex: str = C_UNIF, delay: str = "", extra: str = "") -> str:
    return (BASE.replace("ACASH", a).replace("BCASH", b).replace("CAPEX", capex).replace("DELAY", delay)
            .replace("EXTRA", extra))


def corr(inputs: str, rho: float, copula: str, df: str = "") -> str:
    return f"correlations:\n  inputs: {inputs}\n  matrix: [[1, {rho}], [{rho}, 1]]\n  copula: {copula}\n{df}"


def problem(t: str) -> str:
    with pytest.raises(ScenarioError) as exc:
        load_text(t, "t.yaml")
    return str(exc.value.problems[0])


def fisher_z_within(r_hat: float, target: float, n: int, k: float = 4.0) -> bool:
    """Spearman's rho within k Monte Carlo standard errors of `target`: on Fisher's z scale the standard error of
    Spearman's rho is sqrt(1.06 / (n - 3)) (Fieller, Hartley and Pearson 1957)."""
    return abs(math.atanh(r_hat) - math.atanh(target)) < k * math.sqrt(1.06 / (n - 3))


# --- 1. 'A to B' is a 90% interval (P5-P95); p10/p90 stays an 80% interval ------------------------------------

Z95 = 1.6448536269514722  # scipy.stats.norm.ppf(0.95), written out
Z90 = 1.2815515655446004  # scipy.stats.norm.ppf(0.90)


def test_the_short_form_a_to_b_is_a_p5_to_p95_lognormal() -> None:
    s = load_text(text(a='{value: "35e9 to 60e9", source: "assumption: test"}'), "t.yaml")
    u = s.entities["A"].cash.uncertain
    assert (u.dist, u.p5, u.p95, u.p10, u.p90) == ("lognormal", 35e9, 60e9, None, None)
    d = scipy_distribution(u)
    assert d.kwds["s"] == pytest.approx(math.log(60 / 35) / (2 * Z95), rel=1e-12)  # sigma = ln(B/A) / (2 z95)
    assert d.ppf(0.05) == pytest.approx(35e9, rel=1e-12) and d.ppf(0.95) == pytest.approx(60e9, rel=1e-12)
    n = 200_000
    x = marginal(u, 0.0).ppf(uniforms("random", 3, 0, n, 1)[:, 0])
    se = math.sqrt(0.05 * 0.95 / n)
    assert abs(np.mean(x <= 35e9) - 0.05) < 4 * se and abs(np.mean(x <= 60e9) - 0.95) < 4 * se


def test_explicit_p10_p90_is_the_separate_80_percent_form() -> None:
    d = scipy_distribution(Uncertain.model_validate({"dist": "lognormal", "p10": 35e9, "p90": 60e9}))
    assert d.kwds["s"] == pytest.approx(math.log(60 / 35) / (2 * Z90), rel=1e-12)
    assert d.ppf(0.10) == pytest.approx(35e9, rel=1e-12)
    d5 = scipy_distribution(Uncertain.model_validate({"dist": "normal", "p5": 10.0, "p95": 20.0}))
    assert (d5.mean(), d5.std()) == pytest.approx((15.0, 5 / Z95), rel=1e-12)
    assert "p5 and p95 (a 90% interval) or p10 and p90 (an 80% interval)" in problem(
        text(a='{value: 1, dist: lognormal, p5: 1, p90: 3, source: x}'))
    assert "found p5 3 not below p95 1" in problem(text(a='{value: 1, dist: lognormal, p5: 3, p95: 1, source: x}'))
    assert "a lognormal's 90% interval (A its 5th percentile, B its 95th)" in problem(
        text(a='{value: "1M to 3M", dist: normal, source: x}'))


# --- 2, 3, 4. Iman-Conover per sampling block ------------------------------------------------------------------

IC = text(capex=C_UNIF, extra=corr("[a, c]", -0.7, "iman-conover"))


@pytest.fixture(scope="module")
def ic_scenario(tmp_path_factory):
    path = tmp_path_factory.mktemp("ic") / "ic.yaml"
    path.write_text(IC)
    return path


def test_iman_conover_gives_the_same_numbers_whatever_the_chunk(ic_scenario) -> None:
    paths = BLOCK + 904  # two sampling blocks, the second one cut
    runs = [fundcheck.simulate(ic_scenario, paths=paths, seed=1, chunk=c, workers=1, fan_paths=40)
            for c in (100, 500, BLOCK + 1000)]
    for r in runs[1:]:
        for key in ("x", "gap_usd", "first_short"):
            assert np.array_equal(r.arrays[key], runs[0].arrays[key]), key
    # the gap fan's paths pair their inputs as the main run does: its last month is the run's build gap
    for r in runs:
        assert np.allclose(r.fan_gap_usd[:, -1], r.gap_usd[:40], rtol=1e-9, atol=1.0)


def test_iman_conover_paths_of_the_second_block_alone_equal_those_inside_the_whole_run() -> None:
    s = load_text(IC, "t.yaml")
    inputs = compile_inputs(s, compile_plan(s))
    whole = inputs.sample("random", 5, 0, 2 * BLOCK)
    assert np.array_equal(inputs.sample("random", 5, BLOCK, 2 * BLOCK), whole[BLOCK:])
    assert np.array_equal(inputs.sample("random", 5, 17, 18), whole[17:18])


def test_iman_conover_on_one_or_two_paths_does_not_crash(ic_scenario) -> None:
    r3 = fundcheck.simulate(ic_scenario, paths=3, seed=1, chunk=1, workers=1, fan_paths=0)
    r1 = fundcheck.simulate(ic_scenario, paths=1, seed=1, workers=1, fan_paths=0)
    assert np.array_equal(r1.arrays["x"], r3.arrays["x"][:1])
    # the documented rule for fewer than IC_MIN_ROWS rows: left as sampled
    assert IC_MIN_ROWS == 3
    c = np.array([[1.0, 0.7], [0.7, 1.0]])
    for n in (1, 2):
        u = uniforms("random", 9, 0, n, 2)
        assert np.array_equal(correlate(u, [0, 1], c, "iman-conover"), u)


@pytest.mark.parametrize("rho", [0.7, -0.5])
def test_iman_conover_recovers_the_rank_correlation(rho: float) -> None:
    s = load_text(text(extra=corr("[a, b]", rho, "iman-conover")), "t.yaml")
    inputs = compile_inputs(s, compile_plan(s))
    n = 40_000
    x = inputs.sample("random", 5, 0, n)
    got = stats.spearmanr(x[:, 0], x[:, 1]).statistic
    assert fisher_z_within(got, rho, n), got
    # marginals untouched: b is still uniform on [20M, 80M]
    assert stats.kstest(x[:, 1], stats.uniform(20e6, 60e6).cdf).pvalue > 1e-4


# --- 5. the t copula, calibrated ------------------------------------------------------------------------------

@pytest.mark.parametrize(("rho", "df"), [(0.7, 4), (-0.5, 4), (0.7, 2)])
def test_the_t_copula_recovers_the_rank_correlation(rho: float, df: int) -> None:
    s = load_text(text(extra=corr("[a, b]", rho, "t", f"  df: {df}\n")), "t.yaml")
    inputs = compile_inputs(s, compile_plan(s))
    n = 40_000
    x = inputs.sample("random", 5, 0, n)
    got = stats.spearmanr(x[:, 0], x[:, 1]).statistic
    assert fisher_z_within(got, rho, n), got


def test_the_t_calibration_against_an_independent_sample_and_the_gaussian_limit() -> None:
    # an independent bivariate t sample (numpy only) at the calibrated parameter has the target rank correlation
    r = t_pearson_from_spearman(np.array([[1.0, 0.7], [0.7, 1.0]]), 4)[0, 1]
    rng = np.random.default_rng(2024)
    n = 200_000
    z = rng.standard_normal((n, 2))
    z[:, 1] = r * z[:, 0] + math.sqrt(1 - r * r) * z[:, 1]
    t = z / np.sqrt(rng.chisquare(4, n) / 4)[:, None]
    assert fisher_z_within(stats.spearmanr(t[:, 0], t[:, 1]).statistic, 0.7, n)
    # many degrees of freedom: the Gaussian copula's (6/pi) asin(r/2)
    assert t_spearman(0.7, 1000) == pytest.approx(6 / math.pi * math.asin(0.35), abs=2e-4)


# --- 6. correlations on a per-phase input, and inputs an alternative fixed ----------------------------------

def test_a_correlation_on_phase_delay_is_a_located_error() -> None:
    extra = ('uncertainty:\n  phase_delay: {reference: epoch-build-months, name: pd, source: "x"}\n'
             + corr("[pd, b]", 0.9, "gaussian"))
    got = problem(text(extra=extra))
    assert got.startswith("t.yaml:19: correlations.inputs[0]: 'pd' is uncertainty.phase_delay, drawn "
                          "independently for each phase"), got


def test_an_input_an_alternative_fixed_is_reported_not_dropped_silently() -> None:
    s = load("stargate", ("cost-bernstein",))
    inputs = compile_inputs(s, compile_plan(s))
    assert inputs.corr_matrix is None
    assert any("'IT cost per MW' is not uncertain in this run" in n and "cost-bernstein" in n for n in inputs.notes)
    assert any("no correlation is applied" in n for n in inputs.notes)
    base = load("stargate")
    assert compile_inputs(base, compile_plan(base)).notes == []


def test_the_note_reaches_the_json_and_the_page() -> None:
    alt = text(extra=corr("[a, b]", 0.5, "gaussian") + "alternatives:\n  - {name: fixed-b, description: b fixed, "
               "source: x, set: {entities.B.cash: {value: 50M, source: y}}}\n")
    s = load_text(alt, "t.yaml", ("fixed-b",))
    r = fundcheck.simulate(s, paths=20, seed=1, workers=1, fan_paths=5)
    doc = r.to_json()
    assert any("'b' is not uncertain in this run" in n for n in doc["notes"])
    assert "&#x27;b&#x27; is not uncertain in this run" in render_montecarlo_page(r)


# --- 7. truncate on a reference class -------------------------------------------------------------------------

def test_a_truncated_cost_class_follows_the_conditional_distribution() -> None:
    s = load_text(text(a='{value: 100M, reference: flyvbjerg-2002-all, truncate: [90M, 110M], source: x}'), "t.yaml")
    inputs = compile_inputs(s, compile_plan(s))
    n = 50_000
    x = inputs.sample("random", 1, 0, n)[:, inputs.names.index("entities.A.cash")]
    assert x.min() >= 90e6 and x.max() <= 110e6
    # Flyvbjerg et al. (2002): ratio mean 1.276, sd 0.387 as a lognormal; truncated to [0.9, 1.1] of 100M
    sigma2 = math.log1p((0.387 / 1.276) ** 2)
    d = stats.lognorm(s=math.sqrt(sigma2), scale=1.276 * math.exp(-sigma2 / 2))
    mass = d.cdf(1.1) - d.cdf(0.9)
    mean = integrate.quad(lambda v: v * d.pdf(v), 0.9, 1.1)[0] / mass
    var = integrate.quad(lambda v: (v - mean) ** 2 * d.pdf(v), 0.9, 1.1)[0] / mass
    assert abs(x.mean() / 1e8 - mean) < 4 * math.sqrt(var / n)


def test_a_truncated_delay_class_stays_inside_its_months() -> None:
    s = load_text(text(delay=", delay: {reference: epoch-build-months, truncate: [0, 2], source: F18}"), "t.yaml")
    inputs = compile_inputs(s, compile_plan(s))
    j = next(k for k, n in enumerate(inputs.names) if n.endswith("delay"))
    x = inputs.sample("random", 1, 0, 5000)[:, j]
    assert x.max() <= 2 and x.min() >= 0 and (x == 2).any()


# --- 8. a choice keeps each option's source -------------------------------------------------------------------

def test_each_option_of_a_choice_keeps_its_source_in_the_json_and_the_page() -> None:
    s = load("stargate")
    plan = compile_plan(s)
    inputs = compile_inputs(s, plan)
    it = inputs.inputs[inputs.names.index("IT cost per MW")]
    by = {o["option"]: o for o in it.options}
    assert set(by) == {"central", "cost-bernstein", "cost-epoch", "cost-nvidia-high", "cost-huang-2026"}
    assert by["cost-bernstein"]["value"] == 22.5e6 and by["cost-bernstein"]["weight"] == pytest.approx(0.15)
    assert "E2 $35B/GW less D5" in by["cost-bernstein"]["source"]
    assert "E8" in cited_ids(by["cost-huang-2026"]["source"]) and "E3" in cited_ids(by["central"]["source"])
    r = MonteCarloResults(
        scenario=s, plan=plan, inputs=inputs, paths=4, seed=0, sampler="random",
        arrays=run_values(plan, inputs, inputs.sample("random", 0, 0, 4), 1),
        fan_gap_usd=np.zeros((0, plan.axis.n)))
    row = next(i for i in json.loads(json.dumps(r.to_json()))["inputs"] if i["name"] == "IT cost per MW")
    assert {o["option"]: o["source"] for o in row["options"]}["cost-epoch"].startswith("E4 $38B/GW less D5")
    page = render_montecarlo_page(r)
    assert "E1 $60B/GW less D5" in page and "E8 midpoint less D5" in page
    # the weights are an assumption, and say so
    src = s.defaults.it_capex_per_mw.source
    assert "weights central 0.35, cost-bernstein 0.15, cost-epoch 0.2, cost-nvidia-high 0.2, cost-huang-2026 0.1 " \
           "an assumption:" in src


# --- 9. stargate: phases already built are not delayed --------------------------------------------------------

def test_stargate_does_not_delay_abilene_phase_1_which_is_built() -> None:
    from importlib import resources

    path = resources.files("fundcheck") / "data" / "epoch" / "data_center_timelines.csv"
    with path.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if "Stargate" in r["Data center"]]
    # the Stargate sites in Epoch's timelines: Abilene (modelled) and Abu Dhabi (not part of this scenario)
    assert {r["Data center"] for r in rows} == {"OpenAI-Oracle Stargate Abilene Texas",
                                                "OpenAI-Oracle Stargate Abu Dhabi"}
    snapshot = date(2025, 12, 31)
    built = [r for r in rows if "Abilene" in r["Data center"] and "operational" in r["Construction status"]
             and date(*(int(p) for p in (r["Date"].split("/")[2], *r["Date"].split("/")[:2]))) <= snapshot]
    assert built[0]["Date"] == "6/28/2025" and "Building 1 operational" in built[0]["Construction status"]
    s = load("stargate")
    ph = s.sites["Abilene"].phases[0]
    assert ph.name == "phase 1" and ph.delay is not None and ph.delay.value == 0 and ph.delay.uncertain is None
    assert "F19" in cited_ids(ph.delay.source) and "data_center_timelines.csv row 91" in ph.delay.source
    line91 = path.read_text(encoding="utf-8").splitlines()[90]  # the cited line of the CSV, header = line 1
    assert line91.startswith('6/28/2025,OpenAI-Oracle Stargate Abilene Texas,"Building 1 operational.')
    plan = compile_plan(s)
    inputs = compile_inputs(s, plan)
    assert not any("Abilene: phase 1" in n for n in inputs.names)
    x = inputs.sample("random", 1, 0, 500)
    delay = inputs.apply(plan, x).phases.columns["delay_months"]
    h = plan.phases.index.index("Abilene: phase 1")
    assert np.all(delay[:, h] == 0)
    # planned energization 2024-06 + 12 months = 2025-06, Epoch's Building 1 date: on plan
    assert plan.axis.labels()[plan.planned_energization(h)] == "2025-06"
    # the built phases Epoch reports before its snapshot (only Building 1-2, 295 MW on 9/26/2025, at or above
    # phase 1's 206 MW) are all in phase 1; every other phase with a delay is still to be built by the snapshot
    for k in range(len(plan.phases)):
        if k != h and plan.planned_energization(k) < plan.axis.labels().index("2025-12"):
            pytest.fail(f"{plan.phases.index[k]} is planned before the snapshot but may be delayed")


# --- 10. SoftBank's low cash figure, and a zero-variance sensitivity --------------------------------------------

def test_softbank_cash_low_is_marked_as_an_assumption() -> None:
    src = load("stargate").entities["SoftBank"].cash.source
    assert "its low 8B an assumption:" in src and "not a reported cash figure" in src


def test_a_constant_output_says_sensitivity_is_zero_by_construction() -> None:
    # A has at most 2M of cash against a 50M equity call: A falls short on every path
    s = load_text(text(a='{value: 1M, dist: uniform, low: 0.5M, high: 2M, name: a, source: x}'), "t.yaml")
    out = sensitivity(s, method="tornado", output="p_shortfall:A", paths=30, workers=1)
    assert out.meta["constant_output"] == 1.0
    assert out.meta["constant_output_note"] == ("the output p_shortfall:A is the same on every path: 1; "
                                                "sensitivity is zero by construction")
    assert all(r["swing"] == 0 for r in out.rows)
    assert "sensitivity is zero by construction" in render_sensitivity_page(out, "test")
    varied = sensitivity(s, method="tornado", output="gap", paths=30, workers=1)
    assert "constant_output" not in varied.meta


# --- 11. messages -----------------------------------------------------------------------------------------------

def test_a_diagonal_of_two_gets_the_diagonal_message() -> None:
    got = problem(text(extra="correlations:\n  inputs: [a, b]\n  matrix: [[2, 0.7], [0.7, 1]]\n"))
    assert "correlations.matrix: found [2.0, 1.0] on the diagonal; expected 1" in got


def test_chunk_zero_names_the_option(cli_here, tmp_path) -> None:
    with pytest.raises(UsageError, match=r"^--chunk: found 0;"):
        fundcheck.simulate(load_text(IC, "t.yaml"), paths=10, chunk=0)
    path = tmp_path / "ic.yaml"
    path.write_text(IC)
    done = cli_here("simulate", str(path), "--paths", "10", "--chunk", "0", "--out", str(tmp_path))
    assert done.returncode == 2 and "--chunk: found 0" in done.stderr
