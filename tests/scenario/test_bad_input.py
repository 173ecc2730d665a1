"""Every kind of bad scenario input gets one clear message: file, line, field, expected and found; exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from fundcheck.scenario.starter import starter_yaml

BASE = starter_yaml("Test", "t.yaml")


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


CASES = [
    # (name, old text, new text, line marker, expected words in the message)
    ("malformed yaml", "program: Test", "program: [Test", "description:",
     ["not valid YAML", "flow sequence that starts on line 5"]),
    ("unknown field", "kind: company, cash:", "kind: company, cahs:", "Developer:",
     ["entities.Developer.cahs", "unknown field 'cahs'", "expected one of", "cash"]),
    ("unknown entity", "from: Developer, to: Site JV", "from: Developr, to: Site JV", "from: Developr",
     ["instruments[0].from", "no entity named 'Developr'", "Developer"]),
    ("negative amount", "value: $1B, source", "value: -1B, source", "value: -1B",
     ["entities.Developer.cash", "expected an amount of zero or more", "-1,000,000,000"]),
    ("energizes before start", "curve: s  ", "energization: 2026-01\n        curve: s  ", "energization: 2026-01",
     ["energization", "energizes in 2026-01, before it starts in 2026-03"]),
    ("stakes over 100%", "stake: {value: 50%", "stake: {value: 60%", "stake: {value: 60%",
     ["stake", "add up to 110.0%", "at most 100%"]),
    ("date outside horizon", "start: 2026-03\n        months", "start: 2038-03\n        months", "start: 2038-03",
     ["phases[0].start", "2038-03 is outside the horizon 2026-01 to 2036-12"]),
    ("unit it cannot parse", "value: $850M", "value: 850 bananas", "850 bananas",
     ["instruments[2].limit", "cannot read '850 bananas' as an amount", "'$19B'"]),
    ("bad month", "start: 2026-03\n        months", "start: 2026-13\n        months", "start: 2026-13",
     ["phases[0].start", "cannot read '2026-13' as a month", "YYYY-MM"]),
    ("no source", "cash: {value: $2B, source: \"assumption: fund allocation\"}", "cash: 2B", "cash: 2B",
     ["entities.Investor.cash", "no source"]),
    ("duplicate key", "program: Test\n", "program: Test\nprogram: Again\n", "program: Again",
     ["appears twice"]),
    ("unknown kind", "kind: construction_loan", "kind: mortgage", "kind: mortgage",
     ["instruments[2]", "mortgage", "construction_loan"]),
    ("unknown site", "site: Campus", "site: Campsu", "site: Campsu", ["contracts[0].site", "no site named 'Campsu'"]),
]


@pytest.mark.parametrize(("name", "old", "new", "marker", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_clear_located_message(cli, tmp_path: Path, name: str, old: str, new: str, marker: str,
                                                words: list[str]) -> None:
    assert old in BASE, name
    text = BASE.replace(old, new, 1)
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    done = cli("validate", str(path))
    message = done.stderr
    assert done.returncode == 2, message
    assert "Traceback" not in message + done.stdout
    assert f"{path}:{_line_of(text, marker)}:" in message, message
    for word in words:
        assert word in message, (word, message)


def test_funding_cycle_is_rejected(cli, tmp_path: Path) -> None:
    text = BASE.replace("contracts:", "  - {kind: equity, from: Site JV, to: Developer, amount: 1M, "
                        "source: \"assumption\"}\ncontracts:")
    path = tmp_path / "cycle.yaml"
    path.write_text(text)
    done = cli("validate", str(path))
    assert done.returncode == 2
    assert "money flows in a circle" in done.stderr and "Developer -> Site JV -> Developer" in done.stderr


@pytest.mark.parametrize(("first", "second"), [
    (("value: $1B", "value: -1B"), ("kind: investor, cash:", "kind: investor, cahs:")),  # two schema mistakes
    (("from: Developer, to", "from: Nobody, to"), ("start: 2026-03\n", "start: 2040-03\n")),  # two of meaning
])
def test_several_mistakes_are_all_reported(cli, tmp_path: Path, first: tuple[str, str],
                                           second: tuple[str, str]) -> None:
    text = BASE.replace(*first, 1).replace(*second, 1)
    path = tmp_path / "two.yaml"
    path.write_text(text)
    done = cli("validate", str(path))
    assert done.returncode == 2
    assert done.stderr.count("error:") == 2, done.stderr


def test_missing_file_or_builtin_names_the_builtins(cli) -> None:
    done = cli("run", "no-such-scenario")
    assert done.returncode == 2
    assert "neither a built-in scenario nor a file" in done.stderr and "stargate" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_alternative_is_a_clear_error(cli, tmp_path: Path) -> None:
    done = cli("run", "abilene", "--alt", "nope", "--out", str(tmp_path))
    assert done.returncode == 2
    assert "no alternative named 'nope'" in done.stderr and "ft-equity" in done.stderr


def test_empty_file_is_a_clear_error(cli, tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("")
    done = cli("validate", str(path))
    assert done.returncode == 2 and "expected a mapping" in done.stderr


@pytest.mark.parametrize("path", ["instruments.9.limit", "instruments.x.limit", "program.name"])
def test_alternative_that_sets_no_real_field_is_a_clear_error(cli, tmp_path: Path, path: str) -> None:
    text = BASE + (f"alternatives:\n  - {{name: broken, description: d, source: \"assumption\", "
                   f"set: {{{path}: 1}}}}\n")
    file = tmp_path / "alt.yaml"
    file.write_text(text)
    done = cli("validate", str(file))
    assert done.returncode == 2, done.stdout
    assert "Traceback" not in done.stderr
    assert "alternatives[0] (broken)" in done.stderr and f"sets '{path}'" in done.stderr
    assert "not a field of this scenario" in done.stderr
