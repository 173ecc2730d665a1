"""Monte Carlo conditioned on each world (issue 9 with issue 8): rejection, fixed inputs, ESS, P(shortfall),
P(forecast holds), common random numbers, the CLI and the page.

The hand-made scenario: entity A's cash is uniform on [0, $100M] and A must pay a $50M phase in its first
month (nothing else funds it), so A falls short exactly when its cash is under $50M (less the $1 rounding
threshold): P(short) = 0.5 unconditioned. B's cash is uniform on [0, $100M] too and B pays nothing.

- "cash < $40M" (a bound): rejection keeps the paths with cash < $40M, about 40%; on every one A is short.
- "cash = $80M" (fixes it): every path is kept with A's cash set to $80M: never short.
- forecast f1, "S has 10 MW online by 2025-06" (from the summary record: the phase energizes only if funded):
  P = P(not short) = 0.5 unconditioned, 0 under "< $40M", 1 under "= $80M".
- forecast f2, "capex funded by 2025-06 >= $30M" (monthly money: the full-record subsample): A pays what it
  has, so funded = min(cash, $50M) and P = P(cash >= $30M) = 0.7 unconditioned, P(30 <= cash < 40 | cash < 40)
  = 0.25 under "< $40M", 1 under "= $80M".
- build gap = max($50M - cash, 0): mean 12.5M unconditioned (E over U[0, 100]: int_0^50 (50 - x) dx / 100),
  30M under "< $40M" (50 - E[U[0, 40]]), 0 under "= $80M".

Tolerance: every estimate within K = 4 standard errors of its hand value (the binomial sqrt(p(1 - p)/n) at
the hand p; for the mean gap, the hand standard deviation / sqrt(n)); a false failure has probability about
6e-5 per check.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from fundcheck.claims.check import check_ledger
from fundcheck.claims.ledger import read_ledger
from fundcheck.claims.montecarlo import NO_PATH, forecast_record, world_probabilities
from tests.conftest import run_cli_here

K = 4.0
N = 2000
SCENARIO = """program: tiny
horizon: {start: 2025-01, end: 2025-12}
entities:
  A: {kind: company, cash: {value: 50M, dist: uniform, low: 0, high: 100M, source: "assumption: test"}}
  B: {kind: company, cash: {value: 50M, dist: uniform, low: 0, high: 100M, source: "assumption: test"}}
sites:
  S:
    owner: A
    phases:
      - {name: p1, it_mw: 10, start: 2025-01, months: 1, facility_capex: 50M, it_capex: 0,
         source: "assumption: test"}
"""
FORECASTS = """  - {id: f1, speaker: Z, said: 2025-01, kind: forecast, quantity: "sites.S.it_mw_online@2025-06",
     relation: ">=", value: 10, unit: MW}
  - {id: f2, speaker: Z, said: 2025-01, kind: forecast, quantity: "program.funded_usd@2025-06",
     relation: ">=", value: $30M, unit: USD}
"""
LOW = ('  - {id: low, speaker: X, said: 2025-01, quantity: entities.A.opening_cash_usd, relation: "<", '
       'value: $40M, unit: USD}\n')
HIGH = ('  - {id: high, speaker: Y, said: 2025-01, quantity: entities.A.opening_cash_usd, relation: "=", '
        'value: $80M, unit: USD}\n')


def _ledger(folder, name: str, claims: str) -> str:
    scenario = folder / "tiny.yaml"
    if not scenario.exists():
        scenario.write_text(SCENARIO)
    path = folder / f"{name}.yaml"
    path.write_text(f"ledger: {name}\nscenario: {scenario}\nclaims:\n{claims}")
    return str(path)


def _near(got: float, want: float, se: float) -> None:
    assert abs(got - want) <= K * se + 1e-12, f"{got} is not within {K} standard errors ({se:.4g}) of {want}"


def _binom(got: float, want: float, n: int) -> None:
    _near(got, want, math.sqrt(want * (1 - want) / n))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("mc")


@pytest.fixture(scope="module")
def two_worlds(folder):
    check = check_ledger(read_ledger(_ledger(folder, "two", LOW + HIGH + FORECASTS)))
    world_probabilities(check, N, 7, full_paths=N)
    return check


def _world(check, keeps: str):
    return next(w for w in check.worlds if keeps in w.keeps)


def test_an_unconditioned_world_gives_the_hand_probabilities_and_equals_fundcheck_simulate(folder):
    from fundcheck.uncertainty.runner import simulate

    check = check_ledger(read_ledger(_ledger(folder, "free", FORECASTS)))
    mc = world_probabilities(check, N, 7, full_paths=N)["W1"]
    assert (mc.accepted, mc.ess) == (N, N) and mc.conditions == []
    _binom(mc.p_shortfall["A"]["p"], 0.5, N)
    assert mc.p_shortfall["B"]["p"] == 0.0
    _binom(mc.p_gap["p"], 0.5, N)
    _near(mc.mean_gap_usd, 12.5e6, math.sqrt(50e6**3 / (3 * 100e6) - 12.5e6**2) / math.sqrt(N))
    _binom(mc.forecasts["f1"]["p"], 0.5, N)
    assert mc.forecasts["f1"]["record"] == "summary" and mc.forecasts["f2"]["record"] == "full"
    _binom(mc.forecasts["f2"]["p"], 0.7, N)
    assert mc.forecasts["f2"]["n"] == N
    # short exactly when f1 fails (the phase energizes only when funded)
    assert mc.forecasts["f1"]["p"] == pytest.approx(1 - mc.p_shortfall["A"]["p"])
    # a world that conditions nothing is `fundcheck simulate` with the same seed: the same numbers
    r = simulate(folder / "tiny.yaml", paths=N, seed=7, workers=1, fan_paths=0)
    assert mc.p_shortfall["A"] == {k: r.p_shortfall("A")[k] for k in ("p", "se")}
    assert mc.mean_gap_usd == pytest.approx(r.gap_percentiles()["mean"], rel=1e-12)


def test_a_bound_is_conditioned_by_rejection(two_worlds):
    w = _world(two_worlds, "low")
    mc = w.mc
    _binom(mc.accepted / N, 0.4, N)
    assert mc.ess == mc.accepted  # equal weights: Kish's ESS is the accepted count
    (cond,) = mc.conditions
    assert (cond.how, cond.quantity, cond.claims) == ("bounded", "entities.A.opening_cash_usd", ["low"])
    assert cond.high == pytest.approx(40e6, rel=1e-6)
    assert mc.p_shortfall["A"] == {"p": 1.0, "se": 0.0}
    assert mc.forecasts["f1"]["p"] == 0.0
    n = mc.forecasts["f2"]["n"]
    assert n == mc.accepted
    _binom(mc.forecasts["f2"]["p"], 0.25, n)
    _near(mc.mean_gap_usd, 30e6, 40e6 / math.sqrt(12) / math.sqrt(mc.accepted))


def test_an_equality_fixes_the_input_on_every_path(two_worlds):
    mc = _world(two_worlds, "high").mc
    assert (mc.accepted, mc.ess) == (N, N)
    (cond,) = mc.conditions
    assert (cond.how, cond.value, cond.whole_input) == ("fixed", 80e6, True)
    assert "not uncertain in this world" in mc.condition_texts()[0]
    assert mc.p_shortfall["A"]["p"] == 0.0 and mc.p_gap["p"] == 0.0 and mc.mean_gap_usd == 0.0
    assert mc.forecasts["f1"]["p"] == 1.0 and mc.forecasts["f2"]["p"] == 1.0


def test_an_about_equal_claim_fixes_the_input_at_its_value(folder):
    text = ('  - {id: about, speaker: X, said: 2025-01, quantity: entities.A.opening_cash_usd, relation: "~", '
            'value: $45M, tolerance: 10%, unit: USD}\n')
    mc = world_probabilities(check_ledger(read_ledger(_ledger(folder, "about", text))), 100, 1)["W1"]
    (cond,) = mc.conditions
    # fixed at the value the world's deterministic run uses: the point of [$40.5M, $49.5M] nearest the
    # scenario's $50M
    assert (cond.how, cond.value, mc.accepted) == ("fixed", pytest.approx(49.5e6), 100)
    assert mc.p_shortfall["A"]["p"] == 1.0  # $49.5M cannot pay the $50M phase


def test_common_random_numbers_accept_exactly_the_paths_inside_the_bound(two_worlds):
    from fundcheck.engine.plan import compile_plan
    from fundcheck.scenario import load
    from fundcheck.uncertainty.model import compile_inputs

    s = load(two_worlds.ledger.scenario)
    inputs = compile_inputs(s, compile_plan(s))
    j = inputs.names.index("entities.A.cash")
    cash = inputs.sample("random", 7, 0, N)[:, j]
    assert _world(two_worlds, "low").mc.accepted == int((cash < 40e6).sum())


def test_the_same_seed_gives_the_same_numbers_and_another_seed_others(folder, two_worlds):
    again = check_ledger(read_ledger(_ledger(folder, "two", LOW + HIGH + FORECASTS)))
    world_probabilities(again, N, 7, full_paths=N, chunk=300)  # chunking does not matter either
    assert [w.mc.to_json() for w in again.worlds] == [w.mc.to_json() for w in two_worlds.worlds]
    world_probabilities(again, N, 8, full_paths=N)
    assert _world(again, "low").mc.accepted != _world(two_worlds, "low").mc.accepted


def test_no_accepted_path_is_said_not_divided_by(folder):
    text = ('  - {id: none, speaker: X, said: 2025-01, quantity: entities.A.opening_cash_usd, relation: ">", '
            'value: $100M, unit: USD}\n')
    path = _ledger(folder, "none", text + FORECASTS)
    mc = world_probabilities(check_ledger(read_ledger(path)), 200, 1)["W1"]
    assert (mc.accepted, mc.ess, mc.note) == (0, 0.0, NO_PATH)
    assert mc.p_shortfall == {} and mc.p_gap is None and mc.forecasts == {}
    done = run_cli_here("claims", "worlds", path, "--paths", "200", "--seed", "1")
    assert done.returncode == 0 and NO_PATH in done.stdout


def test_bounds_tied_together_are_checked_path_by_path(folder):
    # A's cash + B's cash <= $100M: both uniform on [0, 100M], so P(accept) = 1/2 (the triangle under the line)
    text = ('  - {id: sum, speaker: X, said: 2025-01, quantity: [entities.A.opening_cash_usd, '
            'entities.B.opening_cash_usd], relation: "<=", value: $100M, unit: USD}\n')
    check = check_ledger(read_ledger(_ledger(folder, "sum", text)))
    mc = world_probabilities(check, 300, 3)["W1"]
    assert mc.joint_check
    _binom(mc.accepted / 300, 0.5, 300)
    from fundcheck.engine.plan import compile_plan
    from fundcheck.scenario import load
    from fundcheck.uncertainty.model import compile_inputs

    s = load(check.ledger.scenario)
    x = compile_inputs(s, compile_plan(s)).sample("random", 3, 0, 300)
    assert mc.accepted == int((x.sum(axis=1) <= 100e6).sum())


def test_cli_json_keys_and_the_deterministic_default(folder, tmp_path):
    path = _ledger(folder, "two", LOW + HIGH + FORECASTS)
    out = tmp_path / "w.json"
    done = run_cli_here("claims", "worlds", path, "--paths", "300", "--seed", "2", "--sampler", "lhs",
                        "--json", str(out))
    assert done.returncode == 0, done.stderr
    assert "Monte Carlo: " in done.stdout and "P(shortfall): A " in done.stdout and "ESS" in done.stdout
    worlds = json.loads(out.read_text())
    for w in worlds:
        mc = w["mc"]
        assert {"paths", "accepted", "ess", "p_shortfall", "p_gap", "mean_gap_usd", "forecasts"} <= set(mc)
        assert mc["paths"] == 300 and mc["ess"] == mc["accepted"] and mc["sampler"] == "lhs"
        assert set(mc["p_shortfall"]["A"]) == {"p", "se"} and {"p", "se"} <= set(mc["forecasts"]["f1"])
    plain = run_cli_here("claims", "worlds", path, "--json", str(out))
    assert plain.returncode == 0 and "Monte Carlo" not in plain.stdout
    assert all("mc" not in w for w in json.loads(out.read_text()))
    check = run_cli_here("claims", "check", path, "--paths", "100", "--seed", "2", "--json", str(out))
    assert check.returncode == 0 and "Monte Carlo per world (100 paths, seed 2" in check.stdout
    assert "P(forecast holds) across worlds:" in check.stdout
    assert all("mc" in w for w in json.loads(out.read_text())["worlds"])
    bad = run_cli_here("claims", "worlds", path, "--paths", "0")
    assert bad.returncode == 2 and "--paths: found 0" in bad.stderr + bad.stdout


def test_the_page_shows_probabilities_per_world(two_worlds):
    from fundcheck.report.claims_page import claims_section_html

    html = claims_section_html(two_worlds)
    assert "P(shortfall) A" in html and "P(build gap &gt; 0)" in html and "paths accepted / ESS" in html
    assert "; P 100.0% ±0.0" in html and "; P 0.0% ±0.0" in html
    assert "Monte Carlo: 2,000 paths per world, seed 7" in html


def test_forecast_quantities_are_routed_to_summary_or_full_record():
    led = read_ledger("stargate")
    claims = led.by_id()
    months = led.names.months
    assert forecast_record(claims["B3"], led.names, months) == ("summary", "")  # phase energized
    assert forecast_record(claims["B2"], led.names, months) == ("summary", "")  # it_mw_online@month
    assert forecast_record(claims["A1"], led.names, months) == ("full", "")     # program.funded_usd@2028-12
    assert forecast_record(claims["A2"], led.names, months) == ("full", "")     # deployed (monthly money)
    record, why = forecast_record(claims["B9.forecast"], led.names, months)
    assert record == "" and "secured" in why


def test_stargate_every_world_reports_an_ess(tmp_path):
    out = tmp_path / "w.json"
    done = run_cli_here("claims", "worlds", "stargate", "--paths", "200", "--seed", "1", "--full-paths", "32",
                        "--json", str(out))
    assert done.returncode == 0, done.stderr
    worlds = json.loads(out.read_text())
    assert len(worlds) == 26
    for w in worlds:
        mc = w["mc"]
        assert mc["ess"] == mc["accepted"] and mc["paths"] == 200
        assert mc["accepted"] > 0 or mc["note"] == NO_PATH
    # the worlds keeping Musk's "under $10B of cash" (A12.cash) condition SoftBank's cash by rejection
    # (triangular 8B..24.3B: P(< 10B) = (2 / 16.3)^2 = 1.5%); the others fix it at A14's $24.3B
    for w in worlds:
        kinds = {c["quantity"]: c["how"] for c in w["mc"]["fixed"] + w["mc"]["bounded"]}
        assert kinds["entities.SoftBank.opening_cash_usd"] == ("bounded" if "A12.cash" in w["keeps"] else "fixed")
        if "A12.cash" in w["keeps"]:
            assert w["mc"]["accepted"] < 20
        else:
            assert w["mc"]["accepted"] == 200
    assert done.stdout.count("ESS") == 26
    assert np.isfinite([w["mc"]["mean_gap_usd"] for w in worlds if w["mc"]["accepted"]]).all()


def test_reaudit_fixes_options_forecasts_about_and_small_amounts(folder) -> None:
    # Monte Carlo options without --paths are refused, not silently ignored
    led = _ledger(folder, "opts", LOW + FORECASTS)
    done = run_cli_here("claims", "worlds", led, "--seed", "5", "--sampler", "foo")
    assert done.returncode == 2 and "give --paths N" in done.stderr
    # a forecast the run could not compute is named in `worlds`, as in `check`
    done = run_cli_here("claims", "worlds", led, "--paths", "20", "--seed", "1", "--full-paths", "0")
    assert done.returncode == 0 and "Forecasts not computed by the engine: f2" in done.stdout
    # '~' fixes the input at the value the deterministic world uses ($40M is the band's nearest point to the
    # scenario's $50M for "about $38M within 5%": [36.1M, 39.9M]; the deterministic run takes 39.9M)
    about = ('  - {id: about, speaker: X, said: 2025-01, quantity: entities.A.opening_cash_usd, relation: "~", '
             'value: $38M, tolerance: 5%, unit: USD}\n')
    check = check_ledger(read_ledger(_ledger(folder, "about2", about)), today=None)
    world_probabilities(check, 20, 1)
    (w,) = check.worlds
    fixed = {c.quantity: c.value for c in w.mc.conditions if c.how == "fixed"}
    assert fixed and fixed["entities.A.opening_cash_usd"] == w.conditioned.values["entities.A.opening_cash_usd"]
    assert fixed["entities.A.opening_cash_usd"] == pytest.approx(39.9e6, rel=1e-6)
    # small amounts are shown in millions, and the MW line uses the horizon's last year
    done = run_cli_here("claims", "worlds", _ledger(folder, "low", LOW))
    assert "gap $" in done.stdout and "$0.0B" not in done.stdout and "IT MW online end-2025" in done.stdout
