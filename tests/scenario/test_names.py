"""Instrument and contract names: made names stay apart and stable, and no two items share a name."""

from __future__ import annotations

import pytest

from fundcheck.errors import ScenarioError
from fundcheck.scenario import builtin_names, load, load_text
from fundcheck.scenario.starter import starter_yaml

BASE = starter_yaml("Test", "t.yaml")
LOAN = "construction loan Bank -> Site JV"
# the starter's loan without its name, and a second one between the same parties
UNNAMED = BASE.replace("    name: construction loan\n", "", 1)
TWO_LOANS = UNNAMED.replace("contracts:", "  - {kind: construction_loan, from: Bank, to: Site JV, limit: 100M, "
                            "rate: 9%, source: \"assumption: second loan\"}\ncontracts:", 1)
SECOND_LEASE = ("  - {kind: lease, tenant: Tenant, landlord: Site JV, site: Campus, term_years: 5,\n"
                "     rate_per_mw_month: {value: $100k, source: \"assumption\"}}\n")


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "n.yaml")
    return [str(p) for p in caught.value.problems]


def test_unnamed_instruments_between_the_same_parties_get_numbered_names() -> None:
    text = TWO_LOANS.replace("contracts:", "  - {kind: construction_loan, from: Bank, to: Site JV, limit: 1M, "
                             "rate: 9%, source: \"assumption\"}\ncontracts:", 1)
    s = load_text(text, "n.yaml")
    assert s.instrument_names() == ["equity Developer -> Site JV", "equity Investor -> Site JV", LOAN,
                                    f"{LOAN} #2", f"{LOAN} #3"]
    assert [s.instrument_name(i) for i in range(len(s.instruments))] == s.instrument_names()


def test_the_first_unnamed_instrument_keeps_its_plain_name() -> None:
    one = load_text(UNNAMED, "n.yaml")
    two = load_text(TWO_LOANS, "n.yaml")
    assert one.instrument_names() == two.instrument_names()[:3]
    assert one.instrument_name(2) == LOAN


def test_named_instruments_do_not_count_towards_the_numbers() -> None:
    text = TWO_LOANS.replace("{kind: construction_loan, from: Bank,", "{kind: construction_loan, name: Extra, "
                             "from: Bank,", 1)
    s = load_text(text.replace("contracts:", "  - {kind: construction_loan, from: Bank, to: Site JV, limit: 1M, "
                               "rate: 9%, source: \"assumption\"}\ncontracts:", 1), "n.yaml")
    assert s.instrument_names()[2:] == [LOAN, "Extra", f"{LOAN} #2"]


def test_unnamed_contracts_between_the_same_parties_get_numbered_names() -> None:
    s = load_text(BASE + SECOND_LEASE + SECOND_LEASE, "n.yaml")
    lease = "lease Tenant -> Site JV (Campus)"
    assert s.contract_names() == [lease, f"{lease} #2", f"{lease} #3"]
    assert s.contract_name(1) == f"{lease} #2"


def test_funding_priority_can_name_a_numbered_instrument() -> None:
    text = TWO_LOANS.replace("funding_priority: [cash, equity, debt]",
                             f"funding_priority: [cash, '{LOAN} #2', equity, debt]", 1)
    s = load_text(text, "n.yaml")
    assert s.entities["Site JV"].funding_priority[1] == s.instrument_name(3) == f"{LOAN} #2"


def test_funding_priority_lists_the_numbered_names_when_wrong() -> None:
    text = TWO_LOANS.replace("funding_priority: [cash, equity, debt]",
                             f"funding_priority: [cash, '{LOAN} #3', equity, debt]", 1)
    assert _problems(text) == [
        f"n.yaml:{_line_of(text, 'funding_priority')}: entities.Site JV.funding_priority[1]: '{LOAN} #3' is not a "
        "funding source of this entity; expected one of: cash, equity, debt, credit, raise, "
        f"equity Developer -> Site JV, equity Investor -> Site JV, {LOAN}, {LOAN} #2"]


def test_two_instruments_with_the_same_name_are_an_error() -> None:
    text = TWO_LOANS.replace("{kind: construction_loan, from: Bank,", "{kind: construction_loan, name: Loan, "
                             "from: Bank,", 1).replace("kind: construction_loan\n", "kind: construction_loan\n"
                                                       "    name: Loan\n", 1)
    first = _line_of(text, "- kind: construction_loan")
    assert _problems(text) == [
        f"n.yaml:{_line_of(text, 'name: Loan,')}: instruments[3].name: found 'Loan', also the name of "
        f"instruments[2] (line {first}); expected a name that no other instrument has"]


def test_a_name_that_another_instrument_is_given_by_default_is_an_error() -> None:
    text = UNNAMED.replace("contracts:", "  - {kind: term_loan, name: equity Developer -> Site JV, from: Bank, "
                           "to: Site JV, limit: 1M, rate: 9%, source: \"assumption\"}\ncontracts:", 1)
    first = _line_of(text, "from: Developer, to: Site JV")
    assert _problems(text) == [
        f"n.yaml:{_line_of(text, 'kind: term_loan')}: instruments[3].name: found 'equity Developer -> Site JV', "
        f"also the name made for instruments[0] (line {first}) from its kind and parties; expected a name that no "
        "other instrument has"]


def test_an_unnamed_instrument_whose_made_name_is_taken_is_an_error() -> None:
    text = BASE.replace("name: construction loan\n", f"name: {LOAN}\n", 1)  # named what the next one is made
    text = text.replace("contracts:", "  - {kind: construction_loan, from: Bank, to: Site JV, limit: 1M, "
                        "rate: 9%, source: \"assumption\"}\ncontracts:", 1)
    first = _line_of(text, "- kind: construction_loan")
    assert _problems(text) == [
        f"n.yaml:{_line_of(text, '{kind: construction_loan')}: instruments[3]: found no name, and the name made "
        f"from its kind and parties, '{LOAN}', is also the name of instruments[2] (line {first}); expected a "
        "`name:` that no other instrument has"]


def test_two_contracts_with_the_same_name_are_an_error() -> None:
    text = (BASE.replace("  - kind: lease\n", "  - kind: lease\n    name: Rent\n", 1)
            + SECOND_LEASE.replace("{kind: lease,", "{kind: lease, name: Rent,"))
    assert _problems(text) == [
        f"n.yaml:{_line_of(text, 'name: Rent,')}: contracts[1].name: found 'Rent', also the name of contracts[0] "
        f"(line {_line_of(text, '- kind: lease')}); expected a name that no other contract has"]


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_names_are_unique_and_unnumbered(name: str) -> None:
    s = load(name)
    for names in (s.instrument_names(), s.contract_names()):
        assert len(set(names)) == len(names)
        assert not any(" #" in n for n in names)


def test_numbered_loans_keep_their_own_ledger_lines() -> None:
    import fundcheck

    text = TWO_LOANS.replace("funding_priority: [cash, equity, debt]", "funding_priority: [cash, debt, equity]", 1)
    flows = fundcheck.run(load_text(text, "n.yaml")).flows()
    draws = flows[flows["kind"] == "loan draw"].groupby("label")["usd"].sum()
    assert set(draws.index) == {LOAN, f"{LOAN} #2"}
    assert draws[f"{LOAN} #2"] <= 100e6 + 1  # the second loan's own limit, not merged into the first
