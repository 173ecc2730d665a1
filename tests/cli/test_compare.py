"""`fundcheck run SCENARIO --compare`: the central case and each alternative alone, in one table and one page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import fundcheck
from fundcheck.report.compare import Comparison
from tests.conftest import run_cli_here

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, dict[str, str]], list[str], Path, list[str]]:
    folder = tmp_path_factory.mktemp("compare")
    done = run_cli_here("run", "stargate", "--compare", "--out", str(folder))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    head_at = next(i for i, line in enumerate(lines) if line.strip().startswith("case "))
    heads = re.split(r"\s{2,}", lines[head_at].strip())
    table = {}
    for line in lines[head_at + 2:]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line.strip())
        assert len(cells) == len(heads), line
        table[cells[0]] = dict(zip(heads, cells, strict=True))
    return table, heads, folder / "compare.html", lines


def test_one_row_per_alternative_plus_central(printed) -> None:
    table, _, _, _ = printed
    names = [a.name for a in fundcheck.load("stargate").alternatives]
    assert list(table) == ["central", *names]


def test_each_row_equals_a_separate_run(printed) -> None:
    table, heads, _, _ = printed
    for case, row in table.items():
        results = fundcheck.run("stargate", alternatives=[] if case == "central" else [case])
        t = results.totals()
        assert row["capex planned"] == f"${t['capex_usd'] / 1e9:,.0f}B"
        assert row["capex funded"] == f"${t['funded_usd'] / 1e9:,.0f}B"
        assert row["build gap"] == f"${t['gap_usd'] / 1e9:,.1f}B"
        mw_head = next(h for h in heads if h.startswith("IT MW online end-"))
        year = mw_head.removeprefix("IT MW online end-")[:4]
        mw_year = results.mw_by_year().loc[year]
        idle = mw_year.running_mw < mw_year.modelled_mw - 0.5  # energized halls whose GPUs are not all paid
        one_plan = "(plan " in mw_head  # one plan for every case: in the heading, else per row
        planned = f"{mw_year.planned_mw:,.0f}"
        assert row[mw_head] == f"{mw_year.modelled_mw:,.0f}" + ("" if one_plan else f" of {planned}") + (
            f" ({mw_year.running_mw:,.0f} with GPUs paid)" if idle else "")
        assert not one_plan or f"(plan {planned})" in mw_head
        first = results.first_shortfall()
        for entity in heads[5:]:
            assert row[entity] == (first[entity] or "never"), (case, entity)


def _readme_table() -> tuple[list[str], list[list[str]]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## What it answers", 1)[1].split("\n## ", 1)[0]
    lines = section.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []  # the first table of the section (the case table), up to the line after it
    for line in lines[first:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    split = [[c.strip() for c in line.strip("|").split("|")] for line in rows]
    return split[0], [r for r in split[2:]]


def test_readme_case_table_equals_the_printout(printed) -> None:
    table, heads, _, _ = printed
    readme_heads, readme_rows = _readme_table()
    columns = {"capex planned": "capex planned", "capex funded": "capex funded", "build gap": "build gap"}
    for h in readme_heads[4:]:
        if h.startswith("IT MW"):
            columns[h] = next(x for x in heads if x.startswith("IT MW"))
        else:
            entity = h.removesuffix(" short from")
            columns[h] = "Stargate JV" if entity == "JV" else entity
    assert columns[readme_heads[4]] == readme_heads[4]  # the same heading (and plan, when one plan is shown)
    for row in readme_rows:
        case = re.match(r"`?([\w-]+)`?", row[0]).group(1)
        for h, cell in zip(readme_heads[1:], row[1:], strict=True):
            assert cell == table[case][columns[h]], (case, h)


def test_page_names_every_case(printed) -> None:
    table, _, page, _ = printed
    text = page.read_text(encoding="utf-8")
    assert text.count("<svg") == 1 and "name='viewport'" in text
    for alt in fundcheck.load("stargate").alternatives:
        assert f"<b>{alt.name}</b>" in text
        assert alt.source.replace("'", "&#x27;") in text
    assert "<b>central</b>" in text and len(table) == 1 + len(fundcheck.load("stargate").alternatives)


def test_compare_with_alt_is_an_error(tmp_path: Path) -> None:
    done = run_cli_here("run", "stargate", "--compare", "--alt", "no-coinvestors", "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "--compare" in done.stderr
    assert not (tmp_path / "o").exists()


def test_compare_of_a_scenario_without_alternatives_is_the_central_row(tmp_path: Path) -> None:
    from fundcheck.report.compare import compare

    comparison = compare("abilene")
    assert isinstance(comparison, Comparison) and comparison.rows()[0]["case"] == "central"
    assert len(comparison.rows()) == 1 + len(fundcheck.load("abilene").alternatives)


def test_readme_flips_equal_the_printout(printed) -> None:
    """The README's list of what flips each conclusion is what `--compare` prints (`flip_lines`), word for
    word."""
    lines = printed[3]
    at = next(i for i, line in enumerate(lines) if line.startswith("What flips each conclusion"))
    shown = [line.strip() for line in lines[at + 1:] if line.startswith("  ")]
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("What flips each conclusion", 1)[1].split("\n\n", 2)[1]
    readme = [line.removeprefix("- ") for line in section.splitlines() if line.startswith("- ")]
    assert readme == shown and len(readme) >= 5
