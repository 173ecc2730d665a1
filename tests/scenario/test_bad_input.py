"""Every kind of bad scenario input gets one clear message: file, line, field, what was found and expected.

The loader is called in-process and the exact messages are compared; one test runs the real command to show
that `fundcheck validate` prints them and exits with status 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fundcheck.errors import ScenarioError, UsageError
from fundcheck.scenario import builtin_names, load, load_text
from fundcheck.scenario.starter import starter_yaml

BASE = starter_yaml("Test", "t.yaml")
ENTITIES = "Developer, Investor, Site JV, Bank, Tenant"
HORIZON = "2026-01 to 2036-12"


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _problems(text: str, filename: str = "bad.yaml") -> list[str]:
    """The messages the loader gives for scenario text that must fail."""
    with pytest.raises(ScenarioError) as caught:
        load_text(text, filename)
    return [str(p) for p in caught.value.problems]


CASES = [
    # (name, old text, new text, line marker, field, message)
    ("malformed yaml", 'program: "Test"', "program: [Test", "description:", "",
     "this is not valid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence that starts on line 5)"),
    ("unknown field", "kind: company, cash:", "kind: company, cahs:", "Developer:", "entities.Developer.cahs",
     "unknown field 'cahs'; expected one of: can_raise, cash, cash_flow, credit, description, funding_priority, "
     "kind, note, order_of_claims, outside, source"),
    ("unknown entity", "from: Developer, to: Site JV", "from: Developr, to: Site JV", "from: Developr",
     "instruments[0].from", f"no entity named 'Developr'; expected one of: {ENTITIES}"),
    ("negative amount", "value: $1B, source", "value: -1B, source", "value: -1B", "entities.Developer.cash",
     "found -1,000,000,000; expected an amount of zero or more"),
    ("energizes before start", "curve: s  ", "energization: 2026-01\n        curve: s  ", "energization: 2026-01",
     "sites.Campus.phases[0].energization",
     "the phase energizes in 2026-01, before it starts in 2026-03; expected a month on or after 2026-03"),
    ("stakes over 100%", "stake: {value: 50%", "stake: {value: 60%", "stake: {value: 60%", "instruments[0].stake",
     "equity stakes in 'Site JV' add up to 110.0%; expected at most 100%"),
    ("date outside horizon", "start: 2026-03\n        months", "start: 2038-03\n        months", "start: 2038-03",
     "sites.Campus.phases[0].start", f"found 2038-03; expected a month inside the horizon {HORIZON}"),
    ("unit it cannot parse", "value: $850M", "value: 850 bananas", "850 bananas", "instruments[2].limit",
     "cannot read '850 bananas' as an amount; expected a number such as 19e9, 19_000_000_000, '$19B', '$180k', "
     "'12.5M' or '7.5%'"),
    ("bad month", "start: 2026-03\n        months", "start: 2026-13\n        months", "start: 2026-13",
     "sites.Campus.phases[0].start", "cannot read '2026-13' as a month; expected YYYY-MM, e.g. 2025-01"),
    ("no source", "cash: {value: $2B, source: \"assumption: fund allocation\"}", "cash: 2B", "cash: 2B",
     "entities.Investor.cash", "this number has no source; add `source:` (a facts.md row such as A6, a dataset "
     "row, or 'assumption: <why>') to the value or to the item that holds it"),
    ("duplicate key", 'program: "Test"\n', 'program: "Test"\nprogram: Again\n', "program: Again", "program",
     "the key 'program' appears twice; expected each key once"),
    ("unknown kind", "kind: construction_loan", "kind: mortgage", "kind: mortgage", "instruments[2]",
     "found kind 'mortgage'; expected one of 'equity', 'construction_loan', 'term_loan', 'bridge_loan', "
     "'vendor_financing', 'bond', 'revolver'"),
    ("unknown site", "site: Campus", "site: Campsu", "site: Campsu", "contracts[0].site",
     "no site named 'Campsu'; expected one of: Campus"),
    ("a lease with itself", "landlord: Site JV", "landlord: Tenant", "landlord: Tenant", "contracts[0].landlord",
     "found 'Tenant', also the tenant; expected another party (a lease with itself moves no money)"),
]


@pytest.mark.parametrize(("name", "old", "new", "marker", "field", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_clear_located_message(name: str, old: str, new: str, marker: str, field: str,
                                                message: str) -> None:
    assert old in BASE, name
    text = BASE.replace(old, new, 1)
    where = f"bad.yaml:{_line_of(text, marker)}:"
    assert _problems(text) == [f"{where} {field}: {message}" if field else f"{where} {message}"]


def test_funding_cycle_is_rejected() -> None:
    text = BASE.replace("contracts:", "  - {kind: equity, from: Site JV, to: Developer, amount: 1M, "
                        "source: \"assumption\"}\ncontracts:")
    line = _line_of(text, "from: Developer, to: Site JV")  # the first instrument of the loop
    assert _problems(text) == [f"bad.yaml:{line}: instruments[0]: money flows in a circle: Developer -> Site JV -> "
                               "Developer; expected funding that does not loop back"]


SEVERAL = [
    pytest.param(("value: $1B", "value: -1B"), ("kind: investor, cash:", "kind: investor, cahs:"), [
        ("value: -1B", "entities.Developer.cash", "found -1,000,000,000; expected an amount of zero or more"),
        ("cahs:", "entities.Investor.cahs", "unknown field 'cahs'; expected one of: can_raise, cash, cash_flow, "
         "credit, description, funding_priority, kind, note, order_of_claims, outside, source"),
    ], id="two schema mistakes"),
    pytest.param(("from: Developer, to", "from: Nobody, to"), ("start: 2026-03\n", "start: 2040-03\n"), [
        ("from: Nobody", "instruments[0].from", f"no entity named 'Nobody'; expected one of: {ENTITIES}"),
        ("start: 2040-03", "sites.Campus.phases[0].start",
         f"found 2040-03; expected a month inside the horizon {HORIZON}"),
    ], id="two mistakes of meaning"),
]


@pytest.mark.parametrize(("first", "second", "expected"), SEVERAL)
def test_several_mistakes_are_all_reported(tmp_path: Path, first: tuple[str, str], second: tuple[str, str],
                                           expected: list[tuple[str, str, str]]) -> None:
    text = BASE.replace(*first, 1).replace(*second, 1)
    path = tmp_path / "two.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:{_line_of(text, marker)}: {field}: {message}" for marker, field, message in expected]


def test_missing_file_or_builtin_names_the_builtins() -> None:
    with pytest.raises(UsageError) as caught:
        load("no-such-scenario")
    assert str(caught.value) == ("'no-such-scenario' is neither a built-in scenario nor a file that exists; "
                                 f"built-ins are: {', '.join(builtin_names())}")
    assert "stargate" in str(caught.value)


def test_unknown_alternative_is_a_clear_error() -> None:
    known = [a.name for a in load("abilene").alternatives]
    with pytest.raises(UsageError) as caught:
        load("abilene", ["nope"])
    assert str(caught.value) == f"the scenario has no alternative named 'nope'; it has: {', '.join(known)}"
    assert "ft-equity" in known


def test_empty_file_is_a_clear_error() -> None:
    assert _problems("") == ["bad.yaml:1: found an empty file; expected a mapping of fields (key: value)"]


@pytest.mark.parametrize("path", ["instruments.9.limit", "instruments.x.limit", "program.name"])
def test_alternative_that_sets_no_real_field_is_a_clear_error(path: str) -> None:
    text = BASE + (f"alternatives:\n  - {{name: broken, description: d, source: \"assumption\", "
                   f"set: {{{path}: 1}}}}\n")
    line = _line_of(text, "name: broken")
    assert _problems(text) == [f"bad.yaml:{line}: alternatives[0] (broken): the alternative sets '{path}', "
                               "which is not a field of this scenario"]


def test_validate_command_prints_every_located_problem_and_exits_2(cli, tmp_path: Path) -> None:
    text = BASE.replace("from: Developer, to", "from: Nobody, to", 1).replace("start: 2026-03\n", "start: 2040-03\n", 1)
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    done = cli("validate", str(path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        f"error: {path}:{_line_of(text, 'from: Nobody')}: instruments[0].from: no entity named 'Nobody'; "
        f"expected one of: {ENTITIES}",
        f"error: {path}:{_line_of(text, 'start: 2040-03')}: sites.Campus.phases[0].start: found 2040-03; "
        f"expected a month inside the horizon {HORIZON}",
    ]


def test_an_offtake_with_itself_is_rejected() -> None:
    text = BASE.replace("contracts:", "contracts:\n  - {kind: offtake, buyer: Tenant, seller: Tenant, usd_per_year: "
                        "{value: 12M, source: \"assumption: test\"}, start: 2027-01, term_years: 1}", 1)
    line = _line_of(text, "seller: Tenant")
    assert _problems(text) == [f"bad.yaml:{line}: contracts[0].seller: found 'Tenant', also the buyer; expected "
                               "another party (an offtake with itself moves no money)"]


def test_a_file_loaded_again_is_not_validated_again_and_keeps_its_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading the same text again reuses the answer for its alternatives (each was applied and validated whole
    the first time); a changed text is validated afresh, and a broken alternative is reported every time."""
    from fundcheck.scenario import loader

    calls: list[int] = []
    validate = loader._validate
    monkeypatch.setattr(loader, "_validate", lambda *a, **k: calls.append(1) or validate(*a, **k))
    alt = '  - {{name: {0}, description: d, source: "assumption", set: {{description: "{0}"}}}}\n'
    text = BASE + "# a comment, so this text is new to the loader\nalternatives:\n" + alt.format("a") + \
        alt.format("b")
    first = load_text(text, "two.yaml")
    assert len(calls) == 3  # the scenario, then each alternative applied
    calls.clear()
    again = load_text(text, "two.yaml")
    assert len(calls) == 1 and again.model_dump() == first.model_dump()
    calls.clear()
    load_text(text + "\n", "two.yaml")
    assert len(calls) == 3

    broken = text + '  - {name: broken, description: d, source: "assumption", set: {horizon.start: 2090-01}}\n'
    with pytest.raises(ScenarioError) as one:
        load_text(broken, "b.yaml")
    with pytest.raises(ScenarioError) as two:
        load_text(broken, "b.yaml")
    assert [str(p) for p in one.value.problems] == [str(p) for p in two.value.problems]
    assert any("alternatives[2] (broken)" in str(p) for p in two.value.problems)


def test_alternatives_given_as_any_iterable_are_applied_and_remembered_apart() -> None:
    """The audit's case: alternatives given as an iterator were used up before they keyed the remembered
    answer, so a later plain load of the same file got the answer of the load with an alternative."""
    alt = '  - {{name: {0}, description: d, source: "assumption", set: {{{1}}}}}\n'
    # each alone is valid; applied together, a phase starts past the horizon's new end
    text = (BASE + "# new to the loader\nalternatives:\n" + alt.format("short", "horizon.end: 2034-12")
            + alt.format("late", "sites.Campus.phases.0.start: 2035-06"))
    with pytest.raises(ScenarioError) as by_iterator:
        load_text(text, "it.yaml", iter(["short"]))
    assert [str(p) for p in by_iterator.value.problems]
    plain = load_text(text, "it.yaml")  # the same file without the alternative is valid
    assert plain._applied == ()
    with pytest.raises(ScenarioError, match=r"alternatives\[0\] \(short\): found 2035-06"):
        load_text(text, "it.yaml", iter(["late"]))
    with pytest.raises(ScenarioError) as again:
        load_text(text, "it.yaml", ["short"])
    assert [str(p) for p in again.value.problems] == [str(p) for p in by_iterator.value.problems]
