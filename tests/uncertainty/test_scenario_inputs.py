"""Distributions in scenario files: the short form, located errors for impossible input, the reference classes,
and the built-in stargate's disputed figures."""

from __future__ import annotations

import pytest

from fundcheck.errors import ScenarioError
from fundcheck.scenario import load, load_text
from fundcheck.scenario.facts import cited_ids, facts
from fundcheck.uncertainty.reference import epoch_build_months

BASE = """program: test
horizon: {start: 2025-01, end: 2026-12}
entities:
  A: {kind: company, cash: CASH}
  B: {kind: company, cash: {value: 50M, source: "assumption: test"}}
  JV: {kind: spv, funding_priority: [equity]}
sites:
  S:
    owner: JV
    phases:
      - {name: p1, it_mw: 10, start: 2025-01, months: 6, facility_capex: 80M, it_capex: 0,
         source: "assumption: test"DELAY}
instruments:
  - {kind: equity, name: eqA, from: A, to: JV, amount: 40M, stake: 50%, source: "assumption: test"}
  - {kind: equity, name: eqB, from: B, to: JV, amount: 40M, stake: 50%, source: "assumption: test"}
EXTRA"""


def scenario(cash: str = '{value: 100M, source: "assumption: test"}', delay: str = "", extra: str = "") -> str:
    return BASE.replace("CASH", cash).replace("DELAY", delay).replace("EXTRA", extra)


def problem(text: str) -> str:
    with pytest.raises(ScenarioError) as exc:
        load_text(text, "t.yaml")
    assert len(exc.value.problems) >= 1
    return str(exc.value.problems[0])


def test_the_short_form_is_a_lognormal_with_that_90_percent_interval_p5_to_p95() -> None:
    s = load_text(scenario('{value: "80M to 120M", source: "assumption: test"}'), "t.yaml")
    cash = s.entities["A"].cash
    assert cash.uncertain.dist == "lognormal"
    assert (cash.uncertain.p5, cash.uncertain.p95) == (80e6, 120e6)
    assert (cash.uncertain.p10, cash.uncertain.p90) == (None, None)
    assert cash.value == pytest.approx((80e6 * 120e6) ** 0.5)  # no value given: the median


def test_a_given_value_stays_the_point_value() -> None:
    s = load_text(scenario('{value: 100M, dist: lognormal, p10: 80M, p90: 150M, source: "assumption: test"}'), "t.yaml")
    assert s.entities["A"].cash.value == 100e6


@pytest.mark.parametrize(("cash", "expected"), [
    ("{value: 1, dist: lognormal, p10: 120M, p90: 80M, source: x}",
     "t.yaml:4: entities.A.cash: found p10 1.2e+08 not below p90 8e+07; expected p10 below p90"),
    ("{value: 1, dist: normal, mean: 5, sd: -2, source: x}",
     "t.yaml:4: entities.A.cash: found sd -2; expected a scale (sd) above zero"),
    ("{value: 1, dist: beta, alpha: 0, beta: 2, source: x}", "t.yaml:4: entities.A.cash: found alpha 0"),
    ("{value: 1, dist: triangular, low: 1, mode: 9, high: 3, source: x}", "found mode 9 outside [1, 3]"),
    ("{value: 1, dist: lognormal, p10: 1, source: x}", "a lognormal distribution needs p90"),
    ("{value: 1, dist: lognormal, source: x}", "a lognormal distribution needs one of: p5 and p95 (a 90% interval) "
     "or p10 and p90 (an 80% interval); found none of them"),
    ("{value: 1, dist: uniform, low: 1, high: 3, mode: 2, source: x}", "mode is not a parameter of a uniform"),
    ("{value: 1, dist: weibull, source: x}", "t.yaml:4: entities.A.cash.dist: found 'weibull'; expected 'lognormal'"),
    ("{value: 1, reference: no-such-class, source: x}",
     "t.yaml:4: entities.A.cash: no reference class named 'no-such-class'; expected one of: epoch-build-months"),
    ("{value: 1, dist: normal, mean: 1, sd: 1, truncate: [5, 2], source: x}", "truncate: found [5, 2]"),
    ("{value: 1, dist: choice, options: {central: 1, nope: 1}, source: x}",
     "t.yaml:4: entities.A.cash.options.nope: no alternative named 'nope'"),
])
def test_impossible_distributions_name_the_file_line_and_field(cash: str, expected: str) -> None:
    assert expected in problem(scenario(cash))


def test_a_distribution_on_a_number_the_engine_cannot_vary_is_a_located_error() -> None:
    text = scenario().replace("it_mw: 10,", "it_mw: {value: 10, dist: uniform, low: 5, high: 15},")
    assert "t.yaml:11: sites.S.phases[0].it_mw: this number cannot vary per path" in problem(text)


CORR = """correlations:
  inputs: [a cash, b cash]
  matrix: MATRIX
"""
TWO = '{value: 100M, dist: lognormal, p10: 80M, p90: 120M, name: a cash, source: "assumption: test"}'


def corr_text(matrix: str, inputs: str = "[a cash, b cash]") -> str:
    text = scenario(TWO, extra=CORR.replace("MATRIX", matrix).replace("[a cash, b cash]", inputs))
    return text.replace('B: {kind: company, cash: {value: 50M, source: "assumption: test"}}',
                        'B: {kind: company, cash: {value: 50M, dist: uniform, low: 40M, high: 60M, name: b cash, '
                        'source: "assumption: test"}}')


def test_a_valid_correlation_loads() -> None:
    s = load_text(corr_text("[[1, 0.5], [0.5, 1]]"), "t.yaml")
    assert s.correlations.matrix == [[1, 0.5], [0.5, 1]]


@pytest.mark.parametrize(("matrix", "inputs", "expected"), [
    ("[[1, 0.5], [0.4, 1]]", None, "t.yaml:18: correlations.matrix: row 1, column 2 is 0.5 but row 2, column 1 is 0.4"),
    ("[[1, 0.5], [0.5, 0.9]]", None, "on the diagonal; expected 1"),
    ("[[1, 0.5, 0], [0.5, 1]]", None, "expected a 2 x 2 matrix"),
    ("[[1, 1.5], [1.5, 1]]", None, "outside [-1, 1]"),
    ("[[1, 0.5], [0.5, 1]]", "[a cash, c cash]",
     "t.yaml:17: correlations.inputs[1]: no uncertain input named 'c cash'"),
])
def test_bad_correlations_are_located_errors(matrix: str, inputs: str | None, expected: str) -> None:
    assert expected in problem(corr_text(matrix, inputs or "[a cash, b cash]"))


def test_a_matrix_that_is_not_positive_semidefinite_is_refused() -> None:
    text = scenario(TWO, extra="""correlations:
  inputs: [a cash, b cash, c cash]
  matrix: [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]
""").replace('B: {kind: company, cash: {value: 50M, source: "assumption: test"}}',
             'B: {kind: company, cash: {value: 50M, dist: uniform, low: 40M, high: 60M, name: b cash, source: x}, '
             'can_raise: {amount: {value: 5M, dist: uniform, low: 1M, high: 9M, name: c cash, source: x}}}')
    assert "correlations.matrix: the matrix is not positive semi-definite" in problem(text)


def test_a_delay_has_point_value_zero_and_a_delay_class() -> None:
    ok = scenario(delay=", delay: {reference: epoch-build-months, source: F18}")
    assert load_text(ok, "t.yaml").sites["S"].phases[0].delay.value == 0
    wrong = scenario(delay=", delay: {reference: flyvbjerg-2002-all, source: x}")
    assert "is for amounts; expected a class for phase delays: epoch-build-months" in problem(wrong)
    shifted = scenario(delay=", delay: {value: 3, dist: uniform, low: 0, high: 6, source: x}")
    assert "a delay's point value is 0" in problem(shifted)


def test_the_epoch_build_durations_come_from_the_shipped_timelines() -> None:
    months = epoch_build_months()
    assert len(months) == 16
    assert months["OpenAI-Oracle Stargate Abilene Texas"] == pytest.approx(12.9, abs=0.1)  # 2024-05-31 to 2025-06-28
    assert months["xAI Colossus 1 Memphis Tennessee"] == pytest.approx(3.6, abs=0.1)
    assert 1 * 12 <= sorted(months.values())[8] <= 3.6 * 12  # the median lies inside F18's 1-3.6 years


def test_stargate_carries_its_disputed_figures_as_distributions_with_sources() -> None:
    s = load("stargate")
    known = facts()
    it = s.defaults.it_capex_per_mw
    assert it.uncertain.dist == "choice" and it.value == 37.5e6
    assert set(it.uncertain.options) == {"central", "cost-bernstein", "cost-epoch", "cost-nvidia-high",
                                         "cost-huang-2026"}
    by_name = {a.name: a for a in s.alternatives}
    cited = {i for o in it.uncertain.options if o != "central" for i in cited_ids(by_name[o].source)}
    assert {"E1", "E2", "E4", "E8"} <= cited  # each option keeps its source
    assert "E3" in cited_ids(it.source)
    cash = s.entities["SoftBank"].cash
    assert cash.uncertain.dist == "triangular" and {"A12", "A14"} <= set(cited_ids(cash.source))
    assert "A14" in cited_ids(s.entities["Oracle"].cash.source)
    assert "A14" in cited_ids(s.entities["MGX"].cash.source)
    assert s.uncertainty.phase_delay.uncertain.reference == "epoch-build-months"
    assert "F18" in cited_ids(s.uncertainty.phase_delay.source)
    for ids in (cited_ids(cash.source), cited_ids(it.source)):
        assert all(i in known for i in ids)


@pytest.mark.parametrize("alt", ["cost-bernstein", "cost-huang-2026", "no-coinvestors", "softbank-refinances"])
def test_the_named_alternatives_still_load(alt: str) -> None:
    s = load("stargate", (alt,))
    assert s.program == "Stargate"
    if alt.startswith("cost-"):
        assert s.defaults.it_capex_per_mw.uncertain is None  # the alternative fixes the value
