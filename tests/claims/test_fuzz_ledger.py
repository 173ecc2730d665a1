"""Mutation fuzzing of the claims ledger: every mutant reads (and checks) or fails with a located error.

Mutants of the built-in Stargate ledger: the text mutations of ``bench/fuzz.py`` (deleted, duplicated and swapped
lines and keys, swapped types, odd numbers, unicode, YAML tags and aliases, truncation) and mutations aimed at the
claim fields (deleted fields; swapped types; huge, negative, NaN and infinite values; empty and very long strings;
unknown definitions, subjects and quantities; bad months and dates; relations that do not fit their value;
tolerance edge cases; another claim's value or unit). Each goes through what `fundcheck claims check FILE` does
(``read_ledger_text``, then for a share of them ``check_ledger``): the outcome must be a result or a
``FundcheckError`` whose problems all name the file and a line. A longer campaign::

    .venv/bin/python -m tests.claims.test_fuzz_ledger --n 3000 --seed 0
"""

from __future__ import annotations

import argparse
import copy
import random
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzzing import DrawPicker, fuzz

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
FILENAME = "ledger.yaml"


LEDGER = (ROOT / "src" / "fundcheck" / "claims" / "builtin" / "stargate.yaml").read_text(encoding="utf-8")

# --- odd values per claim field ---------------------------------------------------------------------------------

NUMBERISH: list[Any] = [float("nan"), float("inf"), -float("inf"), 1e400, 10**400, -(10**400), 1e308, -1e308, 5e-324,
                        -1, 0, -0.0, 1e15, 1e16, 2**63, "$1e400", "$nan", "nan", "inf", "-inf", "$-inf", "1e400%",
                        "nan%", "inf%", "-5%", "150%", "%", "$", "$5Q", "$10B", "10B", "$-10B", "1e-400", "",
                        " ", None, True, False, [], {}, {"a": 1}, [1], [1, 2, 3], "x" * 5000, "é" * 300, "\u202e",
                        "\x00", "2026-07", "2026-13", "0000-01", "9999-12", "10000-01", "2026-00", "2026-7",
                        b"bytes", 3.5, 12, "1,200", "1_000", "0x10"]
PAIRS: list[Any] = [[0, 1], [1, 0], ["$1B", "$2B"], ["$2B", "$1B"], [float("nan"), 1], [1, float("inf")],
                    [-float("inf"), float("inf")], ["2025-01", "2026-01"], ["2026-01", "2025-01"], ["2026-13", 1],
                    [1e400, 1e400], [None, None], [[], {}], ["10%", "5%"], ["5%", "10%"], [5, 5], [1, 2, 3], [1]]
VALUES = NUMBERISH + PAIRS
TOLERANCES: list[Any] = [None, 0, -1, 1, 2, 2.5, "2", "2 months", "1 month", "-2 months", "2.5 months", "nan", "inf",
                         "-inf", float("nan"), float("inf"), 1e400, 10**400, "5%", "-5%", "0%", "1000%", "nan%",
                         "inf%", "1e400%", "%", "$1B", "$-1B", "$nan", "$1e400", "", True, [], {}, [1, 2], "x" * 3000]
RELATIONS = ["<", "<=", "≤", "=", "==", "~", "≈", ">=", "≥", ">", "between", "", "!=", "<>", "BETWEEN", " < ",
             None, 5, [], {}, True, "x" * 500]
UNITS = ["USD", "$", "MW", "GW", "fraction", "%", "month", "months", "", "EUR", "usd", "kW", None, 5, [], True]
KINDS = ["statement", "forecast", "event", "context", "", "Statement", "claim", None, 5, []]
QUANTITIES: list[Any] = [
    "program.funded_usd@2028-12", "program.funded_usd", "program.funded_usd@2099-01", "program.funded_usd@2028-13",
    "program.funded_usd@0000-01", "program.funded_usd@", "program.it_mw", "program.it_mw@2026-01", "program.x.it_mw",
    "entities.SoftBank.opening_cash_usd", "entities.SoftBank.opening_cash_usd@2025-01", "entities.Nobody.cash_usd",
    "entities.SoftBank.cash_usd@2025-01", "entities.SoftBank.cash_usd", "entities..opening_cash_usd", "entities",
    "entities.", ".", "@", "@2025-01", "", " ", "sites.Abilene.it_mw_online@2026-07", "sites.Abilene.it_mw_online",
    "phases.Abilene: phase 2.energized", "phases.Abilene: phase 2.it_mw", "phases.Abilene: phase 2.energized@2026-01",
    "equity.x.stake", "loans..limit_usd", "nope.x.y", "program..funded_usd@2028-12", "x" * 5000, "é" * 100,
    ["entities.SoftBank.opening_cash_usd", "phases.Abilene: phase 2.it_mw"], ["entities.SoftBank.opening_cash_usd"],
    ["entities.SoftBank.opening_cash_usd", "entities.SoftBank.opening_cash_usd"], [], [""], ["x", 5], [None],
    5, None, True, {"a": 1}, [[]]]
DEFINITIONS = ["committed", "committed.founders", "secured.commitment", "secured.cash", "ready", "raised",
               "deployed", "unknown", "", "Committed", None, 5, [], "x" * 500]
SUBJECTS = ["SoftBank", "OpenAI", "Oracle", "MGX", "Stargate JV", "Co-investors", "Nobody", "", None, 5, [],
            "softbank", "x" * 500, "\u202eSoftBank"]
MONTHS = ["2025-01", "2025-13", "2025-00", "0000-01", "9999-12", "10000-01", "2025-1", "2025-01-01", "202501", "",
          " ", None, 202501, 2025, [], "2025", "2099-12", "1900-01", "-2025-01", "2025-01/2025-02"]
DATES = ["2025", "2025-01", "2025-01-22", "2025-01-21/2025-01-22", "2025-02/2025-01", "2025-02-30", "2025-13",
         "0000", "0000-01-01", "9999-12-31", "10000-01", "2025-01-01/", "/2025", "/", "2025//2026", "2025-01-22T10",
         "", " ", None, 20250122, [], {}, "x" * 3000, "２０２５"]
TEXTS: list[Any] = ["", " ", None, 5, 1e400, True, [], {}, [1], "x" * 10000, "é" * 500, "\u202e", "\x00", "[/]",
                    "[bold]x[/]", "<script>alert(1)</script>", "\ud800", "a\nb", "{0}", "%s"]
IDS: list[Any] = ["A1", "", " ", "a b", "x" * 80, "x" * 81, "-a", "é", 5, 5.5, True, None, [], "A1/B", "\u202e"]
FIELD_VALUES: dict[str, list[Any]] = {
    "value": VALUES, "tolerance": TOLERANCES, "relation": RELATIONS, "unit": UNITS, "kind": KINDS,
    "quantity": QUANTITIES, "definition": DEFINITIONS, "subject": SUBJECTS, "as_of": MONTHS, "said": DATES,
    "id": IDS, "speaker": TEXTS, "quote": TEXTS, "source": TEXTS, "reading_of": TEXTS, "confidence": TEXTS,
    "speaker_kind": ["person", "organization", "robot", "", None, 5], "quote_kind": ["verbatim", "x", "", None, []],
}
TOP_LEVEL: list[tuple[str, list[Any]]] = [
    ("scenario", ["stargate", "abilene", "nope", "", None, 5, [], "x" * 300, "/nonexistent.yaml", "..", "."]),
    ("ledger", ["", None, 5, [], "x" * 3000]), ("description", [None, 5, [], {}]),
    ("claims", [[], {}, None, "x", 5, [None], [[]], [{}], [{"id": "A1"}]]), ("extra", [1]),
]


def _claims(data: dict[str, Any]) -> list[Any]:
    claims = data.get("claims")
    return claims if isinstance(claims, list) else []


def mutate_claim(data: dict[str, Any], pick: Any) -> str:
    """Change one claim field (or a top-level field) in the parsed ledger; returns what was done."""
    claims = [c for c in _claims(data) if isinstance(c, dict)]
    how = pick.int(0, 11)
    if how == 0 or not claims:
        key, values = pick.choice(TOP_LEVEL)
        data[key] = copy.deepcopy(pick.choice(values))
        return f"top-level {key}"
    claim = pick.choice(claims)
    if how == 1 and claim:
        key = pick.choice(sorted(claim))
        del claim[key]
        return f"delete {key}"
    if how == 2:  # another claim's value/unit/relation: relation and value mismatches
        other = pick.choice(claims)
        key = pick.choice(["value", "unit", "relation", "quantity", "definition", "tolerance", "as_of"])
        if key in other:
            claim[key] = copy.deepcopy(other[key])
        return f"{key} from another claim"
    if how == 3:
        claim[pick.choice(["extra", "Value", "values", "", "x" * 300, "é"])] = 1
        return "unknown field"
    if how == 4:  # make it a checked claim with odd tolerance on a '~'
        claim["relation"] = "~"
        claim["tolerance"] = copy.deepcopy(pick.choice(TOLERANCES))
        return "~ with tolerance"
    if how == 5:  # a between with an odd pair
        claim["relation"] = "between"
        claim["value"] = copy.deepcopy(pick.choice(PAIRS + NUMBERISH[:10]))
        return "between"
    if how == 6:  # a month quantity with an odd month value
        claim.pop("definition", None)
        claim.pop("subject", None)
        claim.pop("as_of", None)
        claim["kind"] = "statement"
        claim["quantity"] = pick.choice(["phases.Abilene: phase 2.energized", "sites.Abilene.it_mw_online@2026-07",
                                         "entities.SoftBank.opening_cash_usd", "equity.SoftBank equity.stake"])
        claim["unit"] = pick.choice(["month", "months", "MW", "USD", "%"])
        claim["relation"] = pick.choice(["<", ">", "=", "~", "between", "<=", ">="])
        claim["value"] = copy.deepcopy(pick.choice(VALUES))
        if pick.int(0, 1):
            claim["tolerance"] = copy.deepcopy(pick.choice(TOLERANCES))
        return "month/other quantity"
    if how == 7:  # a definition claim
        claim.pop("quantity", None)
        claim["kind"] = pick.choice(["statement", "forecast"])
        claim["definition"] = pick.choice(DEFINITIONS)
        claim["subject"] = pick.choice(SUBJECTS)
        claim["as_of"] = pick.choice(MONTHS)
        return "definition"
    key = pick.choice(sorted(FIELD_VALUES))
    claim[key] = copy.deepcopy(pick.choice(FIELD_VALUES[key]))
    return f"set {key}"


def mutate(text: str, pick: Any) -> tuple[str, list[str]]:
    """One to three mutations: mostly aimed at the fields, sometimes on the text (``bench/fuzz.py``)."""
    return fuzz.mutate_mixed(text, pick, mutate_claim, 3)


# --- outcomes ----------------------------------------------------------------------------------------------------

OK, LOCATED, UNLOCATED, CRASH, TIMEOUT = fuzz.OK, fuzz.LOCATED, fuzz.UNLOCATED, fuzz.CRASH, fuzz.TIMEOUT
Outcome = fuzz.Outcome


def check(text: str, run: bool = False, timeout: float = 30.0) -> Outcome:
    """Read `text` as `fundcheck claims check FILE` does and, with `run`, check the ledger (LPs, worlds)."""
    from fundcheck.claims.check import check_ledger
    from fundcheck.claims.ledger import read_ledger_text

    def work(stage: Any) -> None:
        ledger = read_ledger_text(text, FILENAME)
        for c in ledger.claims:  # what `claims list` prints
            c.bound_text()
        if run:
            stage("check")
            check_ledger(ledger)

    return fuzz.guarded(work, "read", FILENAME, timeout)


# --- tests -------------------------------------------------------------------------------------------------------

@settings(derandomize=True, max_examples=100, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_ledger_mutants_read_or_fail_with_a_located_error(data: st.DataObject) -> None:
    mutant, done = mutate(LEDGER, DrawPicker(data))
    outcome = check(mutant)
    note = f"{', '.join(done)}: {outcome.kind} {outcome.detail} at {outcome.where}: {outcome.message[:500]}"
    assert outcome.kind in (OK, LOCATED), note


def test_the_builtin_ledger_reads() -> None:
    assert check(LEDGER).kind == OK


def test_mutations_are_deterministic_and_change_the_ledger() -> None:
    first = [mutate(LEDGER, fuzz.RandomPicker(random.Random(3)))[0] for _ in range(2)]
    assert first[0] == first[1]
    assert sum(mutate(LEDGER, fuzz.RandomPicker(random.Random(k)))[0] != LEDGER for k in range(10)) >= 8


# --- the longer campaign -----------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--run-every", type=int, default=25, help="also check_ledger every k-th readable mutant")
    args = parser.parse_args()
    readable = 0

    def check_some_runs(mutant: str) -> Outcome:  # every k-th readable mutant is also checked and run
        nonlocal readable
        outcome = check(mutant)
        if outcome.kind == OK:
            readable += 1
            if readable % args.run_every == 0:
                outcome = check(mutant, run=True)
        return outcome

    fuzz.campaign(LEDGER, mutate, check_some_runs, args.n, args.seed)

if __name__ == "__main__":
    main()


# --- regressions: the smallest inputs of the crashes the campaign found --------------------------------------------

def test_an_event_with_a_one_value_between_prints_without_a_crash() -> None:
    # was IndexError in Claim.bound_text (`claims list`, `claims timeline`): an event keeps its value unchecked
    text = "claims:\n- {id: X, said: 2025, kind: event, relation: between, value: [1], unit: USD}\n"
    from fundcheck.claims.ledger import read_ledger_text

    (claim,) = read_ledger_text(text, FILENAME).claims
    assert "1" in claim.bound_text()


def test_a_null_or_number_in_the_claims_list_is_located() -> None:
    # was 'ledger.yaml: claims[0]: ...' with no line: a null list item has no line of its own
    outcome = check("ledger: x\nclaims:\n- null\n- 5\n")
    assert outcome.kind == LOCATED, outcome.message
    assert "ledger.yaml:2: claims[0]" in outcome.message and "ledger.yaml:2: claims[1]" in outcome.message
