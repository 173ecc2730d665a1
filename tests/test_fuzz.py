"""Mutation fuzzing of the built-in scenarios: every mutant loads and runs, or fails with a located error.

The mutations are those of ``bench/fuzz.py`` (deleted, duplicated and swapped keys and lines, swapped types, huge
and odd numbers, malformed dates and units, unicode, YAML tags, anchors, aliases and merge keys, deep nesting,
truncation, changes to the parsed data), here chosen by hypothesis with a fixed seed, a few hundred per run.
The outcome of ``load_text`` and, when it loads, ``fundcheck.run`` must be a result or a ``FundcheckError``; a
``ScenarioError`` from loading must give the file and a line for every problem (a message about the whole file, with
no field, needs no line). ``bench/fuzz.py --n 10000`` is the longer campaign.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzzing import DrawPicker, fuzz

TEXTS = fuzz.builtin_texts()


@settings(derandomize=True, max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from(sorted(TEXTS)), st.data())
def test_mutants_load_and_run_or_fail_with_a_located_error(name: str, data: st.DataObject) -> None:
    mutant, done = fuzz.mutate(TEXTS[name], DrawPicker(data))
    outcome = fuzz.check(mutant, timeout=30.0)
    note = f"{name} after {', '.join(done)}: {outcome.label} at {outcome.where}: {outcome.message[:500]}"
    assert outcome.kind != fuzz.CRASH, note
    assert outcome.kind != fuzz.TIMEOUT, note
    # a run may refuse what it cannot do (a UsageError has no line); loading must always say where
    assert outcome.kind != fuzz.UNLOCATED or outcome.stage == "run", note


def test_the_unmutated_builtins_load_and_run() -> None:
    for name, text in TEXTS.items():
        assert fuzz.check(text).kind == fuzz.OK, name


def test_mutations_are_deterministic_and_change_the_text() -> None:
    import random

    first = [fuzz.mutate(TEXTS["stargate"], fuzz.RandomPicker(random.Random(7)))[0] for _ in range(2)]
    assert first[0] == first[1]
    changed = sum(fuzz.mutate(TEXTS["abilene"], fuzz.RandomPicker(random.Random(k)))[0] != TEXTS["abilene"]
                  for k in range(50))
    assert changed >= 40
