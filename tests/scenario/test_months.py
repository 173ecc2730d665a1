"""Every month field, found by its type anywhere in a scenario, must lie inside the horizon."""

from __future__ import annotations

import typing
from typing import Any

import pytest
from pydantic import BaseModel

from fundcheck.errors import ScenarioError
from fundcheck.scenario import Scenario, builtin_names, load, load_text
from fundcheck.scenario.months import is_month, month_fields
from fundcheck.scenario.schema import Horizon, Phase

HORIZON = "2026-01 to 2036-12"

# One of every kind of month field, each with a month that appears nowhere else in the text.
MONTHS = """\
program: Months
horizon: {start: 2026-01, end: 2036-12}
entities:
  Developer:
    kind: company
    source: "assumption: test"
    cash: 1B
    cash_flow:
      - {start: 2026-02, end: 2026-04, usd: 10M}
    credit: {limit: 100M, rate: 8%, start: 2026-05, end: 2030-06}
    can_raise: {amount: 100M, start: 2026-07, maturity: 2033-09}
  Investor: {kind: investor, cash: {value: 2B, source: "assumption: test"}}
  Site JV: {kind: spv}
  Bank: {kind: lender}
  Buyer: {kind: company, outside: true}
sites:
  Campus:
    owner: Site JV
    phases:
      - name: one
        source: "assumption: test"
        it_mw: 100
        start: 2026-08
        months: 12
        energization: 2027-09
        facility_capex: 1.2B
        it_capex: 0
instruments:
  - {kind: equity, from: Developer, to: Site JV, amount: 250M, stake: 50%, start: 2026-10, end: 2027-11,
     source: "assumption: test"}
  - {kind: equity, from: Investor, to: Site JV, amount: 250M, stake: 50%, source: "assumption: test"}
  - kind: construction_loan
    from: Bank
    to: Site JV
    source: "assumption: test"
    limit: 850M
    rate: 7.5%
    start: 2026-12
    end: 2028-01
contracts:
  - {kind: offtake, buyer: Buyer, seller: Site JV, usd_per_year: 100M, start: 2028-02, term_years: 5,
     source: "assumption: test"}
waterfalls:
  Site JV:
    parties: [Developer, Investor]
    tiers: [{kind: split, by: stake}]
    exit: {month: 2031-03, value: 2B}
    source: "assumption: test"
  Developer:
    style: american
    parties: [Investor, Buyer]
    tiers: [{kind: return_of_capital}, {kind: split}]
    deals:
      - name: A
        contributions: {Investor: 100M}
        start: 2028-03
        exit: {month: 2032-04, value: 200M}
    source: "assumption: test"
uncertainty:
  rate_shift: {start: 2029-05, annual: {value: 0, dist: normal, mean: 0, sd: 1%, source: "assumption: test"}}
  defaults: {Investor: {probability: 10%, at: 2029-06, source: "assumption: test"}}
  dates: [2029-07]
"""

OUTSIDE = [
    # (month in MONTHS, a month outside the horizon to put there, the field that holds it)
    ("2026-02", "2025-02", "entities.Developer.cash_flow[0].start"),
    ("2026-04", "2037-01", "entities.Developer.cash_flow[0].end"),
    ("2026-05", "2025-05", "entities.Developer.credit.start"),
    ("2030-06", "2037-06", "entities.Developer.credit.end"),
    ("2026-07", "2037-07", "entities.Developer.can_raise.start"),
    ("2033-09", "2041-09", "entities.Developer.can_raise.maturity"),
    ("2026-08", "2025-08", "sites.Campus.phases[0].start"),
    ("2026-10", "2025-10", "instruments[0].start"),
    ("2027-11", "2037-11", "instruments[0].end"),
    ("2026-12", "2025-12", "instruments[2].start"),
    ("2028-01", "2038-01", "instruments[2].end"),
    ("2028-02", "2038-02", "contracts[0].start"),
    ("2031-03", "2041-01", "waterfalls.Site JV.exit.month"),
    ("2028-03", "2025-03", "waterfalls.Developer.deals[0].start"),
    ("2032-04", "2041-04", "waterfalls.Developer.deals[0].exit.month"),
]


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "m.yaml")
    return [str(p) for p in caught.value.problems]


def _contains_month(tp: Any) -> bool:
    return is_month(tp) or any(_contains_month(arg) for arg in typing.get_args(tp))


def _models_in(tp: Any) -> list[type[BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return [m for arg in typing.get_args(tp) for m in _models_in(arg)]


def _schema_month_fields() -> set[tuple[str, str]]:
    """(model, field) of every field of the schema that holds a month somewhere in its annotation."""
    found: set[tuple[str, str]] = set()
    todo, seen = [Scenario], set()
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, tp in typing.get_type_hints(model, include_extras=True).items():
            if name not in model.model_fields:
                continue
            if _contains_month(tp):
                found.add((model.__name__, name))
            todo += _models_in(tp)
    return found


def test_the_example_is_valid_and_each_of_its_months_is_written_once() -> None:
    load_text(MONTHS, "m.yaml")
    for month, _, _ in OUTSIDE:
        assert MONTHS.count(month) == 1, month


def test_the_walk_finds_every_month_field_of_the_schema() -> None:
    walked = {(f.model.__name__, f.field) for f in month_fields(load_text(MONTHS, "m.yaml"))}
    # the horizon is the yardstick, not checked against itself; alternatives hold raw data, checked when applied
    expected = _schema_month_fields() - {("Horizon", "start"), ("Horizon", "end")}
    assert walked == expected
    assert {("Exit", "month"), ("Deal", "start"), ("Phase", "energization"), ("Offtake", "start")} <= walked
    assert [".".join(map(str, f.path)) for f in month_fields(load_text(MONTHS, "m.yaml"))][:3] == [
        "entities.Developer.cash_flow.0.start", "entities.Developer.cash_flow.0.end",
        "entities.Developer.credit.start"]


def test_horizon_has_its_own_months() -> None:
    assert {n for n, tp in typing.get_type_hints(Horizon, include_extras=True).items() if is_month(tp)} == {
        "start", "end"}


@pytest.mark.parametrize(("inside", "outside", "field"), OUTSIDE, ids=[c[2] for c in OUTSIDE])
def test_every_month_outside_the_horizon_is_a_located_error(inside: str, outside: str, field: str) -> None:
    text = MONTHS.replace(inside, outside)
    assert _problems(text) == [
        f"m.yaml:{_line_of(text, outside)}: {field}: found {outside}; expected a month inside the horizon {HORIZON}"]


def test_all_months_outside_are_reported_at_once() -> None:
    text = MONTHS
    for inside, outside, _ in OUTSIDE:
        text = text.replace(inside, outside)
    assert len(_problems(text)) == len(OUTSIDE)


def test_a_phase_may_be_planned_to_energize_after_the_horizon() -> None:
    s = load_text(MONTHS.replace("energization: 2027-09", "energization: 2037-09"), "m.yaml")
    assert s.sites["Campus"].phases[0].energization == 2037 * 12 + 8
    assert "after the horizon end" in Phase.model_fields["energization"].description


def test_energization_before_the_horizon_is_reported_once() -> None:
    # before its own start too: the specific rule reports it, the horizon check does not repeat it
    text = MONTHS.replace("energization: 2027-09", "energization: 2025-09")
    assert _problems(text) == [
        f"m.yaml:{_line_of(text, '2025-09')}: sites.Campus.phases[0].energization: the phase energizes in 2025-09, "
        "before it starts in 2026-08; expected a month on or after 2026-08"]


def test_energization_may_follow_the_horizon_but_not_precede_it() -> None:
    text = MONTHS.replace("start: 2026-08", "start: 2025-01").replace("months: 12", "months: 1").replace(
        "energization: 2027-09", "energization: 2025-12")
    assert _problems(text) == [
        f"m.yaml:{_line_of(text, '2025-01')}: sites.Campus.phases[0].start: found 2025-01; "
        f"expected a month inside the horizon {HORIZON}",
        f"m.yaml:{_line_of(text, '2025-12')}: sites.Campus.phases[0].energization: found 2025-12; "
        "expected a month on or after the horizon start 2026-01",
    ]


def test_an_end_before_its_start_is_reported_once() -> None:
    text = MONTHS.replace("end: 2027-11", "end: 2025-11")
    assert _problems(text) == [f"m.yaml:{_line_of(text, '2025-11')}: instruments[0].end: found 2025-11, before "
                               "the start 2026-10; expected an end on or after the start"]


def test_an_inverted_horizon_is_the_only_problem_reported() -> None:
    text = MONTHS.replace("end: 2036-12}", "end: 2025-12}")
    assert _problems(text) == ["m.yaml:2: horizon.end: the horizon ends (2025-12) before it starts (2026-01)"]


def test_an_alternative_that_moves_a_month_outside_fails_the_scenario() -> None:
    text = MONTHS + ("alternatives:\n  - {name: late, description: d, source: \"assumption\", "
                     "set: {waterfalls.Site JV.exit.month: 2041-01}}\n")
    assert _problems(text) == [f"m.yaml:{_line_of(text, 'name: late')}: alternatives[0] (late): found 2041-01; "
                               f"expected a month inside the horizon {HORIZON}"]


def test_the_walk_skips_only_what_cannot_hold_a_month() -> None:
    from fundcheck.scenario.months import _may_hold
    from fundcheck.scenario.schema import Month

    for tp in (str, float, int, bool, list[float], dict[str, float], typing.Literal["a", "b"], float | None,
               typing.Annotated[float, "units"], tuple[float, ...]):
        assert not _may_hold(tp), tp
    for tp in (Month, list[Month], dict[str, Month], Month | None, Phase, list[Phase], dict[str, list[Phase]],
               Any, list, dict, float | Phase, tuple[float, ...] | list[Month]):
        assert _may_hold(tp), tp


@pytest.mark.parametrize("name", builtin_names())
def test_the_pruned_walk_finds_what_the_whole_walk_finds(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Skipping values whose annotation cannot hold a month changes nothing: the same months, in the same order,
    as a walk into every value (the walk before the pruning), on every built-in and each alternative."""
    from fundcheck.scenario import months

    scenarios = [load(name)] + [load(name, [a.name]) for a in load(name).alternatives if a.set]
    pruned = [list(month_fields(s)) for s in scenarios]
    monkeypatch.setattr(months, "_SHAPES", {})
    monkeypatch.setattr(months, "_may_hold", lambda tp: True)
    assert months._shape(float).holds  # the walk now goes into every value
    assert [list(month_fields(s)) for s in scenarios] == pruned
    assert all(pruned)


@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_and_alternative_keeps_its_months_inside(name: str) -> None:
    s = load(name)  # validates every alternative too
    for alt in [None, *(a.name for a in s.alternatives if a.set)]:
        scenario = load(name, [alt] if alt else [])
        for f in month_fields(scenario):
            assert scenario.horizon.start <= f.month <= scenario.horizon.end or f.outside, (name, alt, f)
