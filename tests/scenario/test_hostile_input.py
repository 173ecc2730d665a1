"""Hostile scenario files: each loads, or fails with located problems (file:line: field: found ...; expected ...).

Every input is written out here, saved to a file and loaded as a user's file would be. The classes are those a
fuzzer found ending in a traceback, without a line, or asking for terabytes (issue 11): YAML tags, keys that are
not text, duplicate keys, YAML dates, numbers too large for a float, NaN, deep nesting, alias bombs, months
given as numbers, amounts near 1e308, horizons of centuries, too many items, long names, governance that
cannot decide, and files that are huge, endless, not UTF-8 or not files at all.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from fundcheck import errors
from fundcheck.errors import ScenarioError, UsageError
from fundcheck.scenario import builtin_names, builtin_path, load, load_text
from fundcheck.scenario.yamlio import LIMITS, read_yaml

SRC = 'source: "assumption: test"'
BASE = f"""\
program: hostile
horizon: {{start: 2026-01, end: 2030-12}}
entities:
  Developer: {{kind: company, cash: {{value: $1B, {SRC}}}}}
  Investor: {{kind: investor, cash: {{value: $2B, {SRC}}}}}
  JV: {{kind: spv}}
sites:
  Campus:
    owner: JV
    phases:
      - name: phase 1
        it_mw: {{value: 100, {SRC}}}
        start: 2026-03
        months: 18
        facility_capex: {{value: $1.2B, {SRC}}}
        it_capex: {{value: 0, {SRC}}}
instruments:
  - {{kind: equity, from: Developer, to: JV, amount: $250M, stake: 50%, {SRC}}}
  - {{kind: equity, from: Investor, to: JV, amount: $250M, stake: 50%, {SRC}}}
governance:
  JV:
    bodies: [{{name: owners, weights: stake, quota: majority}}]
    matters: [{{name: ordinary, bodies: [owners]}}]
"""
PHASE = "sites.Campus.phases[0]"
MONTH = "expected a month written YYYY-MM, e.g. 2025-01"


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _problems(tmp_path: Path, text: str, name: str = "hostile.yaml") -> tuple[Path, list[str]]:
    """Save `text` as a file and load it: the located problems it gives (it must fail)."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    with pytest.raises(ScenarioError) as caught:
        load(path)
    return path, [str(p) for p in caught.value.problems]


def test_the_base_scenario_loads() -> None:
    assert load_text(BASE, "base.yaml").program == "hostile"


BIG_INT = "1" + "0" * 400  # 10**400 written out
TOO_DEEP = "[" * LIMITS.depth + "]" * LIMITS.depth  # with the top mapping, one level more than the limit

CASES = [
    # (id, old text, new text, line marker, field, message)
    ("unknown local tag", "kind: spv", "kind: !foo spv", "!foo", "entities.JV.kind", errors.msg_yaml_tag("!foo")),
    ("python object tag", "program: hostile", 'program: !!python/object/apply:os.system ["echo pwned"]', "program:",
     "program", errors.msg_yaml_tag("!!python/object/apply:os.system")),
    ("python name tag", "program: hostile", "program: !!python/name:os.system ''", "program:", "program",
     errors.msg_yaml_tag("!!python/name:os.system")),
    ("binary with bad padding", "program: hostile", 'program: !!binary "abc"', "program:", "program",
     "found binary data (!!binary); expected text or a number (remove the tag)"),
    ("ordered map", "program: hostile", "program: !!omap [{a: 1}, {b: 2}]", "program:", "program",
     "found an ordered map (!!omap); expected a plain mapping (key: value), which keeps its order (remove !!omap)"),
    ("pairs", "program: hostile", "program: !!pairs [{a: 1}]", "program:", "program",
     errors.msg_yaml_ordered_map("!!pairs")),
    ("set", "program: hostile", "program: !!set {a, b}", "program:", "program",
     "found a set (!!set); expected a list (- item) or a mapping (key: value) (remove the tag)"),
    ("list as a key", "  JV: {kind: spv}", "  JV: {kind: spv}\n  ? [a, b]\n  : {kind: spv}", "? [a, b]", "entities",
     "found a list used as a key; expected a name (text)"),
    ("mapping as a key", "  JV: {kind: spv}", "  JV: {kind: spv}\n  ? {a: 1}\n  : {kind: spv}", "? {a: 1}",
     "entities", "found a mapping used as a key; expected a name (text)"),
    ("number as a name", "  JV: {kind: spv}", "  JV: {kind: spv}\n  2025: {kind: spv}", "2025:", "entities",
     "found the key 2025, which YAML reads as a number; expected a name: write it in quotes, '2025'"),
    ("yes/no word as a name", "  JV: {kind: spv}", "  JV: {kind: spv}\n  On: {kind: spv}", "On:", "entities",
     "found the key On, which YAML reads as true (a yes/no value); expected a name: write it in quotes, 'On'"),
    ("null as a name", "  JV: {kind: spv}", "  JV: {kind: spv}\n  null: {kind: spv}", "null:", "entities",
     "found the key null, which YAML reads as null (empty); expected a name: write it in quotes, 'null'"),
    ("duplicate key in a flow mapping", "Developer: {kind: company,", "Developer: {kind: company, kind: vendor,",
     "kind: vendor", "entities.Developer.kind", "the key 'kind' appears twice; expected each key once"),
    ("date with month 13", "start: 2026-03", "start: 2026-13-01", "  start:", f"{PHASE}.start",
     f"found 2026-13-01, written as a date but not a real one; {MONTH}"),
    ("time at hour 25", "start: 2026-03", "start: 2026-03-01 25:00:00", "  start:", f"{PHASE}.start",
     f"found 2026-03-01 25:00:00, written as a date but not a real one; {MONTH}"),
    ("date in year 0", "start: 2026-03", "start: 0000-03-01", "  start:", f"{PHASE}.start",
     f"found 0000-03-01, written as a date but not a real one; {MONTH}"),
    ("a real date", "start: 2026-03", "start: 2026-03-01", "  start:", f"{PHASE}.start",
     f"found the date 2026-03-01; {MONTH}"),
    ("integer too large for a float", "months: 18", f"months: {BIG_INT}", "months:", f"{PHASE}.months",
     f"found '{BIG_INT[:36]}... (401 characters), a number too large to hold (beyond 1.8e308); expected a number "
     "of at most 1e15 in size"),
    ("float too large for a float", "months: 18", "months: 1.0e+400", "months:", f"{PHASE}.months",
     "found '1.0e+400', a number too large to hold (beyond 1.8e308); expected a number of at most 1e15 in size"),
    ("NaN", "months: 18", "months: .nan", "months:", f"{PHASE}.months",
     "found .nan, which is not a finite number; expected a finite number"),
    ("infinity", "value: 100,", "value: -.inf,", "value: -.inf", f"{PHASE}.it_mw.value",
     "found -.inf, which is not a finite number; expected a finite number"),
    ("nesting too deep", "program: hostile", f"program: {TOO_DEEP}", "program:", "program[0][0][0]...",
     "found lists and mappings nested more than 64 deep; expected at most 64 levels (a scenario needs fewer than 10)"),
    ("undefined alias", "kind: spv", "kind: *spv", "*spv", "entities.JV.kind",
     "found the alias *spv, but no anchor &spv before it; expected an anchor defined earlier in the file"),
    ("alias inside its own anchor", "  JV: {kind: spv}", "  JV: &jv {kind: spv, outside: [*jv]}", "&jv",
     "entities.JV.outside[0]", "found the alias *jv inside the block &jv it refers to; expected an alias to a "
     "block that has ended (a block cannot contain itself)"),
    ("second document", "governance:", "---\nprogram: again\n---\ngovernance:", "---", "",
     "found a second document (a line `---` after the first); expected one scenario per file"),
    ("NUL character", "program: hostile", "program: host\x00ile", "program:", "",
     "found the character U+0000, not allowed in a YAML file; expected printable text (remove it)"),
    ("lone surrogate from an escape", "program: hostile", 'program: "host\\uD800ile"', "program:", "program",
     "found the character U+D800, a lone surrogate, not a character; expected printable text (remove it)"),
    ("escape beyond unicode", "program: hostile", 'program: "\\UFFFFFFFF"', "program:", "",
     "found an escape (\\U or \\x) that names no character; expected escapes such as \\u00e9 or \\U0001F600"),
    ("key too long", "  JV: {kind: spv}", f"  JV: {{kind: spv}}\n  {'J' * 201}: {{kind: spv}}", "JJJJ", "entities",
     "found a key of 201 characters; expected a name of at most 200 characters"),
    ("text too long", "program: hostile", f"program: {'p' * 100_000}", "program:", "program",
     "found text of 100,000 characters; expected at most 2,000 characters (shorten it)"),
    ("name too long", "program: hostile", f"program: {'p' * 201}", "program:", "program",
     "found a name of 201 characters; expected at most 200 characters (shorten it)"),
    ("phase name too long", "name: phase 1", f"name: {'n' * 500}", "name: nnn", f"{PHASE}.name",
     "found a name of 500 characters; expected at most 200 characters (shorten it)"),
    # months are text YYYY-MM: a number is never a month count
    ("month as a huge number", "end: 2030-12", "end: 1000000000000", "horizon:", "horizon.end",
     f"found the number 1000000000000; {MONTH}"),
    ("month as a number above 10,000", "start: 2026-03", "start: 10001", "  start:", f"{PHASE}.start",
     f"found the number 10001; {MONTH}"),
    ("month as a float", "start: 2026-03", "start: 2026.03", "  start:", f"{PHASE}.start",
     f"found the number 2026.03; {MONTH}"),
    ("year before 1900", "start: 2026-03", "start: 1850-03", "  start:", f"{PHASE}.start",
     "found 1850-03; expected a month in the years 1900 to 2200, written YYYY-MM"),
    ("year after 2200", "start: 2026-03", "start: 9999-03", "  start:", f"{PHASE}.start",
     "found 9999-03; expected a month in the years 1900 to 2200, written YYYY-MM"),
    ("horizon over 100 years", "end: 2030-12", "end: 2126-01", "horizon:", "horizon.end",
     "the horizon 2026-01 to 2126-01 covers 1,201 months; expected at most 1,200 months (100 years): move `end` "
     "earlier"),
    # amounts are finite and at most 1e15 in size
    ("amount near 1e308", "value: $1B", "value: 1.7e+308", "value: 1.7e", "entities.Developer.cash",
     "found 1.7e308; expected an amount of at most 1e15 in size (a thousand trillion); check the number and its unit"),
    ("amount as text beyond a float", "value: $1B", "value: '1e400'", "value: '1e400'", "entities.Developer.cash",
     "found '1e400'; expected an amount of at most 1e15 in size (a thousand trillion); check the number and its "
     "unit"),
    ("amount with a suffix", "amount: $250M", "amount: $2000T", "$2000T", "instruments[0].amount",
     "found 2e15; expected an amount of at most 1e15 in size (a thousand trillion); check the number and its unit"),
    ("negative amount near 1e308", "value: $1B", "value: -1e300", "value: -1e300", "entities.Developer.cash",
     "found -1e300; expected an amount of at most 1e15 in size (a thousand trillion); check the number and its "
     "unit"),
    # governance that cannot decide
    ("quota above the votes by stake", "quota: majority", "quota: 3000000", "quota:",
     "governance.JV.bodies[0].quota", errors.msg_quota_above_votes(3_000_000, 1_000_000,
                                                                   "stake, in parts per million")),
    ("quota above the seats", "weights: stake, quota: majority", "weights: seats, seats: 5, quota: 7", "quota:",
     "governance.JV.bodies[0].quota", "the quota of 7 votes is more than the 5 votes this body has in all (seats); "
     "expected at most 5, or a share such as 'majority' or '2/3'"),
    ("quota above fixed votes", "weights: stake, quota: majority",
     "weights: {Developer: {value: 1, source: a}, Investor: {value: 2, source: a}}, quota: 4", "quota:",
     "governance.JV.bodies[0].quota", errors.msg_quota_above_votes(4, 3, "fixed votes")),
    ("fixed votes all zero", "weights: stake, quota: majority",
     "weights: {Developer: {value: 0, source: a}, Investor: {value: 0, source: a}}", "weights:",
     "governance.JV.bodies[0].weights",
     "the votes of body 'owners' add up to zero; expected at least one party with votes"),
    ("a quota that would take a hundred million digits", "quota: majority", "quota: '1e99999999'", "quota:",
     "governance.JV.bodies[0].quota", "cannot read '1e99999999' as a quota; expected 'majority', 'unanimous', a "
     "share such as '2/3' or '75%', or a vote count"),
]


@pytest.mark.parametrize(("name", "old", "new", "marker", "field", "message"), CASES, ids=[c[0] for c in CASES])
def test_hostile_input_is_one_located_problem(tmp_path: Path, name: str, old: str, new: str, marker: str,
                                              field: str, message: str) -> None:
    assert old in BASE, name
    text = BASE.replace(old, new, 1)
    path, problems = _problems(tmp_path, text)
    where = f"{path}:{_line_of(text, marker)}:"
    assert problems == [f"{where} {field}: {message}" if field else f"{where} {message}"]


def test_stakes_all_zero_under_governance(tmp_path: Path) -> None:
    text = BASE.replace("stake: 50%", "stake: 0%")
    path, problems = _problems(tmp_path, text)
    assert problems == [f"{path}:{_line_of(text, 'bodies:') - 1}: "
                        "governance.JV: the equity stakes in 'JV' are all zero; expected a stake above zero on at "
                        "least one, since its governance follows the stakes"]


def test_no_stake_under_governance(tmp_path: Path) -> None:
    text = BASE.replace("stake: 50%, ", "")
    path, problems = _problems(tmp_path, text)
    assert problems == [f"{path}:{_line_of(text, 'bodies:') - 1}: governance.JV: no equity instrument into 'JV' "
                        "carries a `stake`; expected a stake above zero on at least one, since its governance "
                        "follows the stakes"]


def test_alias_bomb_stops_at_the_limit_quickly(tmp_path: Path) -> None:
    # "billion laughs": ten levels of ten aliases each would be 10^10 values once expanded
    text = "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(9))
    started = time.perf_counter()
    path, problems = _problems(tmp_path, text)
    assert time.perf_counter() - started < 10
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}:")
    assert problems[0].endswith(": found more than 500,000 values once aliases (*name) are expanded; expected at "
                                "most 500,000 (use fewer aliases of large blocks, or split the scenario)")


def test_nesting_at_the_limit_is_read(tmp_path: Path) -> None:
    data, _ = read_yaml("a: " + "[" * (LIMITS.depth - 1) + "]" * (LIMITS.depth - 1), "deep.yaml")
    depth = 1
    node = data["a"]
    while node:
        node, depth = node[0], depth + 1
    assert depth == LIMITS.depth - 1


def test_merge_keys_and_the_value_sign_load(tmp_path: Path) -> None:
    text = BASE.replace("  JV: {kind: spv}", "  JV: &spv {kind: spv}\n  Other: {<<: *spv, note: =}")
    scenario = load_text(text, "merge.yaml")
    assert scenario.entities["Other"].kind == "spv" and scenario.entities["Other"].note == "="


def test_a_date_in_a_text_field_is_kept_as_written() -> None:
    assert load_text(BASE.replace("kind: spv}", "kind: spv, note: 2025-13-01}"), "d.yaml").entities["JV"].note == (
        "2025-13-01")


def test_problems_are_capped_with_a_count_of_the_rest(tmp_path: Path) -> None:
    fields = ", ".join(f"bad{i}: 1" for i in range(150))
    text = BASE.replace("  JV: {kind: spv}", f"  JV: {{kind: spv, {fields}}}")
    path, problems = _problems(tmp_path, text)
    assert len(problems) == LIMITS.problems + 1
    assert problems[-1] == f"{path}: ... and 50 more problems, not shown; fix the ones above and validate again"


def test_many_reader_problems_stop_reading(tmp_path: Path) -> None:
    text = BASE + "".join(f"x{i}: !tag{i} 1\n" for i in range(150))
    path, problems = _problems(tmp_path, text)
    assert len(problems) == LIMITS.problems + 1
    assert problems[-1] == f"{path}: stopped reading after 100 problems; fix the ones above and validate again"


# --- how many items ---------------------------------------------------------------------------------------

def _many(what: str, n: int) -> tuple[str, str]:
    if what == "entities":
        return BASE.replace("  JV: {kind: spv}\n", "  JV: {kind: spv}\n" + "".join(
            f"  E{i}: {{kind: company}}\n" for i in range(n - 3))), "entities:"
    if what == "sites":
        return BASE.replace("sites:\n", "sites:\n" + "".join(f"  S{i}: {{}}\n" for i in range(n - 1))), "sites:"
    if what == "phases in all sites":
        extra = "".join(f"  S{i}: {{phases: [{', '.join(['{}'] * 100)}]}}\n" for i in range((n - 1) // 100))
        return BASE.replace("sites:\n", "sites:\n" + extra), "sites:"
    if what == "instruments":
        return BASE.replace("instruments:\n", "instruments:\n" + "  - {}\n" * (n - 2)), "instruments:"
    return BASE + f"{what}:\n" + "  - {}\n" * n, f"{what}:"


@pytest.mark.parametrize(("what", "limit"), [
    ("entities", LIMITS.entities), ("sites", LIMITS.sites), ("phases in all sites", LIMITS.phases),
    ("instruments", LIMITS.instruments), ("contracts", LIMITS.contracts), ("alternatives", LIMITS.alternatives),
])
def test_too_many_items_is_refused_before_validation(tmp_path: Path, what: str, limit: int) -> None:
    text, marker = _many(what, limit + 1)
    path, problems = _problems(tmp_path, text)
    key = "sites" if what.startswith("phases") else what
    assert problems == [f"{path}:{_line_of(text, marker)}: {key}: found {limit + 1:,} {what}; expected at most "
                        f"{limit:,} in one scenario (split the program into several scenarios)"]


def test_a_long_chain_of_entities_validates_without_recursion() -> None:
    n = 1_500
    entities = "".join(f"  E{i}: {{kind: company, cash: {{value: 1, {SRC}}}}}\n" for i in range(n))
    instruments = "".join(f"  - {{kind: equity, from: E{i + 1}, to: E{i}, amount: 1, {SRC}}}\n" for i in range(n - 1))
    text = (f"program: chain\nhorizon: {{start: 2026-01, end: 2026-12}}\nentities:\n{entities}"
            f"instruments:\n{instruments}")
    assert len(load_text(text, "chain.yaml").instruments) == n - 1
    looped = text + f"  - {{kind: equity, from: E0, to: E{n - 1}, amount: 1, {SRC}}}\n"
    with pytest.raises(ScenarioError) as caught:
        load_text(looped, "chain.yaml")
    assert "money flows in a circle" in str(caught.value)


def test_an_alternative_path_with_odd_digits_is_a_located_problem() -> None:
    text = BASE + 'alternatives:\n  - {name: odd, description: d, source: "assumption", set: {instruments.²: 1}}\n'
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "alt.yaml")
    assert [str(p) for p in caught.value.problems] == [
        f"alt.yaml:{_line_of(text, 'name: odd')}: alternatives[0] (odd): the alternative sets 'instruments.²', "
        "which is not a field of this scenario"]


# --- files ------------------------------------------------------------------------------------------------

def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(BASE + "#" * LIMITS.file_bytes)
    with pytest.raises(ScenarioError) as caught:
        load(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}: the file is larger than 5,000,000 bytes; expected a scenario of at most 5,000,000 bytes (split it, "
        "or move long notes out of it)"]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_an_endless_file_stops_at_the_size_limit() -> None:
    with pytest.raises(ScenarioError) as caught:
        load("/dev/zero")
    assert str(caught.value) == ("/dev/zero: the file is larger than 5,000,000 bytes; expected a scenario of at "
                                 "most 5,000,000 bytes (split it, or move long notes out of it)")


def test_a_folder_is_not_a_scenario(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        load(tmp_path)
    assert str(caught.value) == f"{tmp_path}: found a folder; expected a scenario file (YAML)"


def test_a_file_not_in_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(BASE.replace("program: hostile", "program: h\xf4stile").encode("latin-1"))
    with pytest.raises(ScenarioError) as caught:
        load(path)
    byte = BASE.index("program") + len("program: h") + 1
    assert str(caught.value) == (f"{path}:1: cannot read byte {byte:,} of the file as UTF-8; expected a text file "
                                 "saved as UTF-8")


def test_a_name_too_long_for_the_system_is_not_a_traceback() -> None:
    with pytest.raises(UsageError):
        load("x" * 5_000)


# --- mutants of the built-in scenarios --------------------------------------------------------------------

HOSTILE_VALUES = [
    "!foo x", "!!python/object:os.system x", '!!binary "abc"', "!!omap [{a: 1}]", "!!set {a, b}", "[a, b]",
    "{a: 1}", "2025-13-01", "2025-01-01 25:00:00", "0000-01-01", "2025-01-01", BIG_INT, ".nan", "-.inf",
    "1.0e+400", "1e308", "'1e400'", "1000000000000", "10001", "1850-01", "9999-12", "*undefined", "null", "",
    "~", "yes", "-1", "0", "'$-1e300'", '"\\uDFFF"', "'[/]'", "p" * 3_000, "[" * 80 + "]" * 80, "=", "<<",
    "'1/0'", "'1e99999999'", "2025-1", "'2025-00'", "true",
]


def _mutants(text: str, rng: random.Random, n: int) -> list[str]:
    lines = text.splitlines()
    valued = [i for i, line in enumerate(lines) if ": " in line and not line.lstrip().startswith("#")]
    out = []
    for _ in range(n):
        mutant = list(lines)
        i = rng.choice(valued)
        how = rng.random()
        if how < 0.7:  # a value replaced
            key, _, _ = mutant[i].partition(": ")
            mutant[i] = f"{key}: {rng.choice(HOSTILE_VALUES)}"
        elif how < 0.85:  # a line duplicated
            mutant.insert(i, mutant[i])
        else:  # a line deleted
            del mutant[i]
        out.append("\n".join(mutant) + "\n")
    return out


@pytest.mark.parametrize("name", builtin_names())
def test_mutants_of_builtins_load_or_give_located_problems(name: str) -> None:
    rng = random.Random(f"issue-11-{name}")
    text = builtin_path(name).read_text(encoding="utf-8")
    for mutant in _mutants(text, rng, 40):
        try:
            load_text(mutant, f"{name}.yaml")
        except ScenarioError as exc:
            assert exc.problems and all(p.file == f"{name}.yaml" for p in exc.problems)
            assert all(p.line is not None for p in exc.problems if "more problems" not in p.message), exc
