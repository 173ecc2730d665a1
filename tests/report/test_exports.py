"""The Excel and CSV exports: read back with openpyxl and csv, they hold the engine's numbers to the cent."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import numpy as np
import pytest

import fundcheck
from fundcheck.report.exports import CSV_FILES, cash_flow_sheet_name
from fundcheck.report.fmt import claims_order
from tests.conftest import run_cli_here

openpyxl = pytest.importorskip("openpyxl")

CENT = 0.01


@pytest.fixture(scope="module", params=["abilene", "stargate"])
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    results = fundcheck.run(request.param)
    folder = tmp_path_factory.mktemp(request.param)
    book = results.to_excel(folder / "book.xlsx")
    results.to_csv(folder / "csv")
    return results, openpyxl.load_workbook(book, read_only=False), folder / "csv"


def _rows(ws, header_row: int) -> tuple[list[str], list[tuple]]:
    rows = list(ws.iter_rows(min_row=header_row, values_only=True))
    return [str(h) for h in rows[0] if h is not None], rows[1:]


def _csv(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_workbook_has_the_sheets(exported) -> None:
    results, wb, _ = exported
    used = {"summary", "inputs", "cash flow", "loans", "gaps"}
    per_entity = [cash_flow_sheet_name(e, used) for e in results.entity_names]
    assert wb.sheetnames == ["Summary", "Inputs", "Cash flow", *per_entity, "Loans", "Gaps", "Statements",
                             "Returns and debt"]


def test_statements_sheet_equals_the_statements_to_the_cent(exported) -> None:
    from fundcheck.finance.statements import statements

    results, wb, folder = exported
    st = statements(results)
    rows = list(wb["Statements"].iter_rows(values_only=True))
    checked = 0
    for entity in results.funded_entities:
        start = next(k for k, r in enumerate(rows) if r[0] == entity)
        for title, frame in st.annual(entity).items():
            head = next(k for k in range(start, len(rows)) if rows[k][0] == title.replace("_", " ")) + 1
            years = [int(y) for y in rows[head][1:] if y is not None]
            assert years == list(frame.index)
            for k, line in enumerate(frame.columns, start=head + 1):
                assert rows[k][0] == line
                got = np.array(rows[k][1:1 + len(years)], dtype=float)
                assert np.abs(got - frame[line].to_numpy()).max() <= CENT, (entity, title, line)
                checked += 1
    assert checked > 100
    long = _csv(folder, "statements.csv")
    jv = {r["month"]: float(r["usd"]) for r in long if r["entity"] == results.funded_entities[0]
          and r["item"] == "balance: total assets"}
    np.testing.assert_array_equal([jv[m] for m in results.months],
                                  st.balance[results.funded_entities[0]]["total assets"].to_numpy())


def test_cash_flow_sheets_equal_the_engine_to_the_cent(exported) -> None:
    results, wb, _ = exported
    cash = results.cash()
    used = {"summary", "inputs", "cash flow", "loans", "gaps"}
    for entity in results.entity_names:
        ws = wb[cash_flow_sheet_name(entity, used)]
        head, rows = _rows(ws, 2)
        assert head[0] == "month" and head[1] == "opening cash" and head[-1] == "closing cash"
        assert [r[0] for r in rows] == results.months
        values = np.array([r[1:len(head)] for r in rows], dtype=float)
        col = {h: i - 1 for i, h in enumerate(head)}
        ins = [col[h] for h in head if h.startswith("in: ")]
        outs = [col[h] for h in head if h.startswith("out: ")]
        np.testing.assert_allclose(values[:, ins].sum(axis=1), values[:, col["inflows"]], rtol=0, atol=CENT)
        np.testing.assert_allclose(values[:, outs].sum(axis=1), values[:, col["outflows"]], rtol=0, atol=CENT)
        closing = values[:, col["closing cash"]]
        np.testing.assert_allclose(values[:, col["opening cash"]] + values[:, col["inflows"]]
                                   - values[:, col["outflows"]], closing, rtol=0, atol=CENT)
        np.testing.assert_allclose(values[1:, col["opening cash"]], closing[:-1], rtol=0, atol=CENT)
        np.testing.assert_allclose(closing, cash[entity].to_numpy(), rtol=0, atol=CENT)
        assert ws.cell(3, 2).number_format == "$#,##0"
    # the overview sheet: closing cash per entity
    head, rows = _rows(wb["Cash flow"], 2)
    overview = np.array([r[1:len(head)] for r in rows], dtype=float)
    np.testing.assert_allclose(overview, cash.to_numpy(), rtol=0, atol=CENT)


def test_loan_corkscrews_tie_out_and_equal_principal(exported) -> None:
    results, wb, _ = exported
    head, rows = _rows(wb["Loans"], 2)
    assert head == ["month", "facility", "borrower", "opening", "draws", "capitalised", "arrears", "repaid", "closing"]
    for name in results.plan.loans.index:
        mine = [r for r in rows if r[1] == name]
        principal = results.get(f"loans.{name}.principal_usd", path=0).to_series()
        principal.index = [str(p) for p in principal.index]
        shown = {r[0]: r for r in mine}
        for month, value in principal.items():  # months left out have no balance and no movement
            assert abs((shown[month][8] if month in shown else 0.0) - value) <= CENT, (name, month)
        for r in mine:
            assert abs(r[3] + r[4] + r[5] + r[6] - r[7] - r[8]) <= CENT, (name, r[0])
        for a, b in itertools.pairwise(mine):
            assert abs(a[8] - b[3]) <= CENT


def test_gap_sheet_equals_gap_by_cause(exported) -> None:
    results, wb, _ = exported
    ws = wb["Gaps"]
    head, rows = _rows(ws, 2)
    expected = results.gap_by_cause()
    assert head == ["entity", *expected.columns, "total"]
    table = {r[0]: r[1:len(head)] for r in rows[:len(expected)]}
    for entity, row in expected.iterrows():
        np.testing.assert_allclose(table[entity][:-1], row.to_numpy(), rtol=0, atol=CENT)
    # the monthly part adds up, per month and entity, to results.gap()
    start = next(i for i, r in enumerate(rows) if r[:4] == ("month", "entity", "cause", "usd"))
    gap = results.gap()
    summed = np.zeros(gap.shape)
    for month, entity, _cause, usd in (r[:4] for r in rows[start + 1:]):
        summed[results.months.index(month), results.entity_names.index(entity)] += usd
    np.testing.assert_allclose(summed, gap.to_numpy(), rtol=0, atol=CENT)


def test_summary_and_inputs(exported) -> None:
    results, wb, _ = exported
    cells = {r[0]: r[1] for r in wb["Summary"].iter_rows(min_row=3, max_row=11, values_only=True)}
    t = results.totals()
    assert cells["program"] == results.program
    assert cells["capex planned"] == pytest.approx(t["capex_usd"], abs=CENT)
    assert cells["capex shortfall"] == results.plan.capex_shortfall
    assert cells["order of claims"] == claims_order(results.plan.order_of_claims)
    assert cells["build gap"] == pytest.approx(t["gap_usd"], abs=CENT)
    head, rows = _rows(wb["Inputs"], 1)
    assert head == ["input", "value", "unit", "source", "note"]
    assert len(rows) == len(fundcheck.scenario.inputs.input_rows(results.scenario))
    assert all(r[3] for r in rows)  # every input names its source


def test_csv_files_hold_the_same_numbers(exported) -> None:
    results, _, folder = exported
    assert sorted(p.name for p in folder.iterdir()) == sorted(CSV_FILES)
    cash = results.cash()
    rows = _csv(folder, "cash_flow.csv")
    assert list(rows[0]) == ["month", "entity", "item", "usd"]
    closing = {(r["month"], r["entity"]): float(r["usd"]) for r in rows if r["item"] == "closing cash"}
    for entity in results.entity_names:
        got = np.array([closing[(m, entity)] for m in results.months])
        np.testing.assert_array_equal(got, cash[entity].to_numpy())  # full precision
    loans = _csv(folder, "loans.csv")
    for name in results.plan.loans.index:
        final = results.get(f"loans.{name}.final_principal_usd", path=0)
        last = [r for r in loans if r["facility"] == name and r["item"] == "closing"]
        assert abs((float(last[-1]["usd"]) if last else 0.0) - final) <= CENT
    gaps = _csv(folder, "gaps.csv")
    for entity, row in results.gap_by_cause().iterrows():
        for cause, value in row.items():
            hit = [float(r["usd"]) for r in gaps if r["entity"] == entity
                   and r["item"] == f"unpaid over the horizon: {cause}"]
            assert hit == [pytest.approx(value, abs=CENT)]


def test_cli_writes_both(tmp_path: Path) -> None:
    done = run_cli_here("run", "abilene", "--out", str(tmp_path / "r"), "--xlsx", str(tmp_path / "a.xlsx"),
                        "--csv", str(tmp_path / "csv"))
    assert done.returncode == 0, done.stderr
    assert openpyxl.load_workbook(tmp_path / "a.xlsx").sheetnames[0] == "Summary"
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == sorted(CSV_FILES)
    assert not [p for p in tmp_path.rglob(".*.tmp")]  # no temporary file left behind


@pytest.mark.parametrize("option", ["--xlsx", "--csv"])
def test_unwritable_output_is_one_line_and_status_2(tmp_path: Path, option: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    target = blocker / "under" if option == "--csv" else blocker / "book.xlsx"
    done = run_cli_here("run", "abilene", "--out", str(tmp_path / "r"), option, str(target))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {option}:"), done.stderr
    assert not (tmp_path / "r").exists()  # checked before any work


def test_folder_given_as_xlsx_file_is_refused(tmp_path: Path) -> None:
    done = run_cli_here("run", "abilene", "--out", str(tmp_path / "r"), "--xlsx", str(tmp_path))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
