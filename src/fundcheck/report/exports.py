"""Exports an analyst can open: an Excel workbook (xlsxwriter) and the same tables as tidy CSV files.

Values only (live formulas are a later issue). Money is stored as numbers at full precision and shown with a
``$#,##0`` format; months are text ``YYYY-MM`` everywhere. Sheets:

- ``Summary``: program, alternatives, capex planned and funded, build gap, and per funded entity its first short
  month, largest monthly gap and every unpaid dollar once.
- ``Inputs``: every input with its value, unit, source and note (``scenario.inputs.input_rows``).
- ``Cash flow``: closing cash per entity (months as rows) with a link to each entity's own sheet,
  ``Cash flow <entity>``: opening cash, inflows and outflows by kind from the ledger lines, closing cash. One
  sheet per entity because each entity has its own kinds of flow: a block per entity side by side would put a
  hundred mostly empty columns on one sheet, while one sheet each keeps a statement readable top to bottom with
  the same month on the same row of every sheet.
- ``Loans``: one corkscrew row per facility and month (opening, draws, capitalised, arrears, repaid, closing),
  filterable by facility; months where a facility has no balance and no movement are left out.
- ``Gaps``: unpaid over the horizon by cause per entity (each dollar once), then the monthly gap by cause
  (a carried balance recurs from month to month: monthly gaps are not to be added up).
- ``Statements``: per funded entity, its income statement, balance sheet and cash flows by calendar year
  (``finance.statements``), years as columns; ``Returns and debt``: each party's return by the horizon end and
  each facility's size and cover ratios, with the choices they rest on.

The CSV files (``summary.csv``, ``inputs.csv``, ``cash_flow.csv``, ``loans.csv``, ``gaps.csv``,
``statements.csv``, monthly) are long
format: ``month, entity, item, usd`` (``loans.csv`` adds ``facility``; ``inputs.csv`` has ``item, value, unit,
source, note``, since inputs are not all money). Every file is written whole or not at all.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fundcheck.engine.results import Results
from fundcheck.engine.tables import CAUSE_NAMES, KIND_NAMES
from fundcheck.report.files import write_text_atomic
from fundcheck.report.fmt import claims_order
from fundcheck.scenario.inputs import input_rows

__all__ = ["CSV_FILES", "cash_flow_sheet_name", "cash_flow_statement", "csv_tables", "loan_corkscrews",
           "monthly_gap_by_cause", "statements_long", "write_csv", "write_excel"]

CSV_FILES = ("summary.csv", "inputs.csv", "cash_flow.csv", "loans.csv", "gaps.csv", "statements.csv")
_MONEY = "$#,##0"
_CORKSCREW = ("opening", "draws", "capitalised", "arrears", "repaid", "closing")


# --- the tables (engine numbers, no formatting) ----------------------------------------------------------


def cash_flow_statement(results: Results, entity: str, path: int = 0) -> pd.DataFrame:
    """One entity's monthly cash-flow statement, USD: opening cash, 'in: <kind>' columns, inflows, 'out: <kind>'
    columns, outflows, closing cash (months as rows). closing = opening + inflows - outflows (float rounding
    only), and closing equals ``results.cash()[entity]``."""
    e = results.entity_names.index(entity)
    flows = results.outcome.field("flows_usd")[path]  # months x lines
    lines = results.plan.lines
    index = pd.Index(results.months, name="month")
    frame = pd.DataFrame(index=index)
    closing = results.cash(path)[entity].to_numpy()
    opening_cash = float(results.plan.entities.value("opening_cash_usd", e, path))
    frame["opening cash"] = np.concatenate([[opening_cash], closing[:-1]])
    for side, mine in (("in", lines.payee == e), ("out", lines.payer == e)):
        total = np.zeros(len(index))
        for k, kind in enumerate(KIND_NAMES):
            cols = np.nonzero(mine & (lines.kind == k))[0]
            if not len(cols):
                continue
            values = flows[:, cols].sum(axis=1)
            if np.any(values != 0.0):
                frame[f"{side}: {kind}"] = values
                total += values
        frame["inflows" if side == "in" else "outflows"] = total
    frame["closing cash"] = closing
    return frame


def loan_corkscrews(results: Results, path: int = 0) -> pd.DataFrame:
    """Per facility and month: opening, draws, capitalised, arrears, repaid, closing principal, USD (rows with
    no balance and no movement left out). closing = opening + draws + capitalised + arrears - repaid, and
    closing equals ``results.get('loans.<name>.principal_usd')``."""
    o, ln = results.outcome, results.plan.loans
    principal = o.field("principal_usd")[path]
    capitalised = o.field("capitalised_usd")[path]
    arrears = o.field("arrears_usd")[path]
    flows = o.field("flows_usd")[path]
    names = results.plan.account_names
    frames = []
    for i, name in enumerate(ln.index):
        closing = principal[:, i]
        block = pd.DataFrame({
            "month": results.months, "facility": name, "borrower": names[ln.borrower[i]],
            "opening": np.concatenate([[0.0], closing[:-1]]), "draws": flows[:, ln.draw_line[i]],
            "capitalised": capitalised[:, i], "arrears": arrears[:, i], "repaid": flows[:, ln.principal_line[i]],
            "closing": closing})
        frames.append(block[(block[list(_CORKSCREW)] != 0.0).any(axis=1)])
    columns = ["month", "facility", "borrower", *_CORKSCREW]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def monthly_gap_by_cause(results: Results, path: int = 0) -> pd.DataFrame:
    """Per entity, month and cause the month's gap, USD (carried balances included, so that the causes of a
    month add up to ``results.gap()``); non-zero rows only."""
    data = results.outcome.field("gap_by_cause_usd")[path]  # months x entities x causes
    t, e, c = np.nonzero(data)
    return pd.DataFrame({"month": [results.months[i] for i in t],
                         "entity": [results.entity_names[i] for i in e],
                         "cause": [CAUSE_NAMES[i] for i in c], "usd": data[t, e, c]})


@dataclass(frozen=True)
class _Summary:
    program: list[tuple[str, Any]]
    entities: pd.DataFrame


def _summary(results: Results, path: int) -> _Summary:
    t = results.totals(path)
    program = [("program", results.program),
               ("alternatives applied", ", ".join(results.alternatives) or "none (central values)"),
               ("months", f"{results.months[0]} to {results.months[-1]}"), ("gap policy", results.plan.gap_policy),
               ("capex shortfall", results.plan.capex_shortfall),
               ("order of claims", claims_order(results.plan.order_of_claims)),
               ("capex planned", t["capex_usd"]), ("capex funded", t["funded_usd"]), ("build gap", t["gap_usd"])]
    short = results.shortfalls(path)
    entities = pd.DataFrame({
        "entity": list(short.index),
        "first short month": [m if isinstance(m, str) else "never" for m in short.first_shortfall],
        "months short": [int(x) for x in short.months_short],
        "largest gap": short.largest_gap_usd.to_numpy(dtype=float),
        "unpaid total, each $ once": short.unpaid_total_usd.to_numpy(dtype=float)})
    return _Summary(program, entities)


def cash_flow_sheet_name(entity: str, used: set[str]) -> str:
    """'Cash flow <entity>' as a valid, unique sheet name (31 characters, no []:*?/\\)."""
    base = re.sub(r"[\[\]:*?/\\]", "-", f"Cash flow {entity}")[:31].strip("'") or "Cash flow"
    name, n = base, 1
    while name.lower() in used:
        n += 1
        suffix = f" ({n})"
        name = base[:31 - len(suffix)] + suffix
    used.add(name.lower())
    return name


# --- Excel -----------------------------------------------------------------------------------------------


def write_excel(results: Results, file: Path | str, path: int = 0) -> Path:
    """Write the workbook of simulation path `path` to `file` (replaced in one step; folders created)."""
    import xlsxwriter

    if not results.outcome.full:
        from fundcheck.errors import UsageError

        raise UsageError("the workbook needs monthly results: run with record='full'")
    file = Path(file)
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                      "strings_to_numbers": False})
    fmt = _Formats(wb)
    _summary_sheet(wb, fmt, results, path)
    _inputs_sheet(wb, fmt, results)
    _cash_flow_sheets(wb, fmt, results, path)
    _loans_sheet(wb, fmt, results, path)
    _gaps_sheet(wb, fmt, results, path)
    _statements_sheets(wb, fmt, results, path)
    wb.close()
    return write_text_atomic(file, buffer.getvalue())


class _Formats:
    def __init__(self, wb: Any):
        self.money = wb.add_format({"num_format": _MONEY})
        self.head = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "bottom": 1, "text_wrap": True,
                                   "valign": "top"})
        self.title = wb.add_format({"bold": True, "font_size": 13})
        self.note = wb.add_format({"italic": True, "font_color": "#555555"})
        self.bold_money = wb.add_format({"num_format": _MONEY, "bold": True})
        self.link = wb.add_format({"font_color": "#1F4E9A", "underline": 1})


def _table(ws: Any, fmt: _Formats, row: int, frame: pd.DataFrame, money: set[str], bold: set[str] = frozenset(),
           index: str | None = None) -> int:
    """Write `frame` (its index first, headed `index`, when given) from `row`; returns the next free row."""
    heads = ([index] if index is not None else []) + [str(c) for c in frame.columns]
    ws.write_row(row, 0, heads, fmt.head)
    for r, (key, values) in enumerate(frame.iterrows(), start=row + 1):
        c0 = 0
        if index is not None:
            ws.write_string(r, 0, str(key))
            c0 = 1
        for c, (col, value) in enumerate(values.items(), start=c0):
            if col in money:
                ws.write_number(r, c, float(value), fmt.bold_money if col in bold else fmt.money)
            elif isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
                ws.write_number(r, c, float(value))
            else:
                ws.write_string(r, c, "" if value is None else str(value))
    return row + 1 + len(frame)


def _summary_sheet(wb: Any, fmt: _Formats, results: Results, path: int) -> None:
    ws = wb.add_worksheet("Summary")
    s = _summary(results, path)
    ws.write_string(0, 0, f"fundcheck: {results.program}", fmt.title)
    for r, (key, value) in enumerate(s.program, start=2):
        ws.write_string(r, 0, key, fmt.head)
        if isinstance(value, float):
            ws.write_number(r, 1, value, fmt.money)
        else:
            ws.write_string(r, 1, str(value))
    row = 2 + len(s.program) + 1
    ws.write_string(row, 0, "Per funded entity (USD; the last column counts each unpaid dollar once)", fmt.note)
    _table(ws, fmt, row + 1, s.entities, {"largest gap", "unpaid total, each $ once"})
    ws.set_column(0, 0, 24)
    ws.set_column(1, 4, 18)


def _inputs_sheet(wb: Any, fmt: _Formats, results: Results) -> None:
    ws = wb.add_worksheet("Inputs")
    ws.write_row(0, 0, ["input", "value", "unit", "source", "note"], fmt.head)
    rows = input_rows(results.scenario)
    for r, item in enumerate(rows, start=1):
        ws.write_string(r, 0, item["path"])
        unit = str(item["unit"])
        ws.write_number(r, 1, float(item["value"]), fmt.money if unit.startswith("USD") else None)
        ws.write_string(r, 2, unit)
        ws.write_string(r, 3, str(item["source"]))
        ws.write_string(r, 4, str(item["note"]))
    ws.freeze_panes(1, 1)
    ws.autofilter(0, 0, max(len(rows), 1), 4)
    ws.set_column(0, 0, 48)
    ws.set_column(1, 1, 18)
    ws.set_column(2, 2, 10)
    ws.set_column(3, 4, 40)


def _cash_flow_sheets(wb: Any, fmt: _Formats, results: Results, path: int) -> None:
    index = wb.add_worksheet("Cash flow")
    used = {"summary", "inputs", "cash flow", "loans", "gaps"}
    names = [cash_flow_sheet_name(e, used) for e in results.entity_names]
    index.write_string(0, 0, "Closing cash per entity, USD; each entity's statement is on its own sheet "
                             "(click a name)", fmt.note)
    index.write_string(1, 0, "month", fmt.head)
    outside = results.plan.entities.outside
    for c, (entity, sheet) in enumerate(zip(results.entity_names, names, strict=True), start=1):
        label = entity + (" (outside)" if outside[c - 1] else "")
        index.write_url(1, c, f"internal:'{sheet.replace(chr(39), chr(39) * 2)}'!A1", fmt.head, string=label)
    cash = results.cash(path)
    for r, month in enumerate(results.months, start=2):
        index.write_string(r, 0, month)
        index.write_row(r, 1, [float(v) for v in cash.iloc[r - 2]], fmt.money)
    index.freeze_panes(2, 1)
    index.set_column(1, len(names), 16)
    for e, (entity, sheet) in enumerate(zip(results.entity_names, names, strict=True)):
        ws = wb.add_worksheet(sheet)
        frame = cash_flow_statement(results, entity, path)
        note = ("an outside party: its liquidity is not modelled, so its cash is the net of what it paid and "
                "received" if outside[e] else "closing cash = opening cash + inflows - outflows")
        ws.write_string(0, 0, f"{entity}: monthly cash flow, USD ({note})", fmt.note)
        _table(ws, fmt, 1, frame, set(frame.columns), {"opening cash", "inflows", "outflows", "closing cash"},
               index="month")
        ws.freeze_panes(2, 1)
        ws.set_column(0, 0, 9)
        ws.set_column(1, len(frame.columns), 16)


def _loans_sheet(wb: Any, fmt: _Formats, results: Results, path: int) -> None:
    ws = wb.add_worksheet("Loans")
    frame = loan_corkscrews(results, path)
    ws.write_string(0, 0, "Loan corkscrews, USD: closing = opening + draws + capitalised + arrears - repaid "
                          "(filter by facility)", fmt.note)
    _table(ws, fmt, 1, frame, set(_CORKSCREW), {"closing"})
    ws.freeze_panes(2, 2)
    ws.autofilter(1, 0, 1 + max(len(frame), 1), len(frame.columns) - 1)
    ws.set_column(0, 0, 9)
    ws.set_column(1, 2, 28)
    ws.set_column(3, 8, 16)


def _gaps_sheet(wb: Any, fmt: _Formats, results: Results, path: int) -> None:
    ws = wb.add_worksheet("Gaps")
    ws.write_string(0, 0, "Unpaid over the horizon by cause, USD, each dollar once (results.gap_by_cause())",
                    fmt.note)
    totals = results.gap_by_cause(path)
    totals = totals.assign(total=totals.sum(axis=1))
    row = _table(ws, fmt, 1, totals, set(totals.columns), {"total"}, index="entity")
    row += 1
    ws.write_string(row, 0, "Gap by cause per entity and month, USD (a carried balance recurs each month it "
                            "stays unpaid: do not add these up across months)", fmt.note)
    monthly = monthly_gap_by_cause(results, path)
    _table(ws, fmt, row + 1, monthly, {"usd"})
    ws.autofilter(row + 1, 0, row + 1 + max(len(monthly), 1), 3)
    ws.set_column(0, 0, 16)
    ws.set_column(1, len(totals.columns), 16)


def _statements_sheets(wb: Any, fmt: _Formats, results: Results, path: int) -> None:
    from fundcheck.finance.performance import TERMINAL_VALUE, cover_table, returns_table
    from fundcheck.finance.statements import statements

    st = statements(results, path)
    ws = wb.add_worksheet("Statements")
    ws.write_string(0, 0, "Statements by calendar year, USD (fundcheck.finance.statements): flows summed over "
                          "the year, balances at its last modelled month. Taxes are accrued, not paid, in the run.",
                    fmt.note)
    row = 2
    for entity in results.funded_entities:
        ws.write_string(row, 0, entity, fmt.title)
        row += 1
        for title, frame in st.annual(entity).items():
            table = frame.T
            table.columns = [str(c) for c in table.columns]
            ws.write_string(row, 0, title.replace("_", " "), fmt.note)
            row = _table(ws, fmt, row + 1, table, set(table.columns), index="line") + 1
    ws.set_column(0, 0, 38)
    ws.set_column(1, 40, 15)
    ws = wb.add_worksheet("Returns and debt")
    ws.write_string(0, 0, f"Returns by the horizon end. Terminal value: {TERMINAL_VALUE}.", fmt.note)
    rows = returns_table(st).drop(columns=["as", "IRR"]).rename(columns={"kind": "as", "irr": "IRR"})
    for col in ("IRR", "multiple"):  # numbers where there is one, for the spreadsheet
        rows[col] = [v if np.isfinite(v) else "none" for v in rows[col]]
    rows["paid back"] = rows["paid back"].fillna("not by the end")
    row = _table(ws, fmt, 1, rows, {"put in", "worth at the end", "NPV"}) + 1 if len(rows) else 2
    ws.write_string(row, 0, f"NPV at {st.basis.discount_rate:.2%} a year ({st.basis.sources['discount_rate']}). "
                            "Debt: CFADS (EBITDA less tax accrued) over debt service due, by calendar year.",
                    fmt.note)
    cover = cover_table(st).drop(columns=["kind"])
    for col in ("min DSCR", "avg DSCR", "LLCR"):
        cover[col] = [v if np.isfinite(v) else "none" for v in cover[col]]
    if len(cover):
        _table(ws, fmt, row + 1, cover, {"size"})
    ws.set_column(0, 1, 28)
    ws.set_column(2, 8, 16)


def statements_long(results: Results, path: int = 0) -> list[list[Any]]:
    """The monthly statements of every modelled entity as rows: month, entity, 'statement: line', usd."""
    from fundcheck.finance.statements import statements

    st = statements(results, path)
    rows: list[list[Any]] = []
    for entity in st.entities:
        for title, table in (("income", st.income[entity]), ("balance", st.balance[entity]),
                             ("cash flow", st.cash_flow[entity])):
            for month, values in zip(results.months, table.to_numpy(), strict=True):
                rows.extend([month, entity, f"{title}: {line}", float(v)] for line, v in zip(table.columns, values,
                                                                                            strict=True))
    return rows


# --- CSV -------------------------------------------------------------------------------------------------


def _csv_text(header: list[str], rows: Iterator[list[Any]] | list[list[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([repr(float(v)) if isinstance(v, float | np.floating) else v for v in row])
    return buf.getvalue()


def csv_tables(results: Results, path: int = 0) -> dict[str, str]:
    """The CSV files' text by file name (long format, full precision)."""
    s = _summary(results, path)
    summary: list[list[Any]] = []
    for key, value in s.program:
        summary.append(["", "", key, value] if isinstance(value, float) else ["", "", f"{key}: {value}", ""])
    for r in s.entities.itertuples(index=False):
        first = r[1]
        summary.append([first if first != "never" else "", r[0], "first short month", ""])
        summary.append(["", r[0], "months short", float(r[2])])
        summary.append(["", r[0], "largest gap", float(r[3])])
        summary.append(["", r[0], "unpaid total, each $ once", float(r[4])])
    inputs = [[i["path"], float(i["value"]), i["unit"], i["source"], i["note"]] for i in input_rows(results.scenario)]
    cash: list[list[Any]] = []
    for entity in results.entity_names:
        frame = cash_flow_statement(results, entity, path)
        for month, row in frame.iterrows():
            cash.extend([month, entity, item, float(v)] for item, v in row.items())
    loans = [[r.month, r.borrower, r.facility, item, float(getattr(r, item))]
             for r in loan_corkscrews(results, path).itertuples(index=False) for item in _CORKSCREW]
    gaps: list[list[Any]] = []
    for entity, row in results.gap_by_cause(path).iterrows():
        gaps.extend(["", entity, f"unpaid over the horizon: {cause}", float(v)] for cause, v in row.items())
    gaps.extend([r.month, r.entity, f"gap: {r.cause}", float(r.usd)]
                for r in monthly_gap_by_cause(results, path).itertuples(index=False))
    money = ["month", "entity", "item", "usd"]
    return {"summary.csv": _csv_text(money, summary),
            "inputs.csv": _csv_text(["item", "value", "unit", "source", "note"], inputs),
            "cash_flow.csv": _csv_text(money, cash),
            "loans.csv": _csv_text(["month", "entity", "facility", "item", "usd"], loans),
            "gaps.csv": _csv_text(money, gaps),
            "statements.csv": _csv_text(money, statements_long(results, path))}


def write_csv(results: Results, folder: Path | str, path: int = 0) -> Path:
    """Write the CSV files of simulation path `path` into `folder` (created if missing), each replaced in one
    step. Returns the folder."""
    if not results.outcome.full:
        from fundcheck.errors import UsageError

        raise UsageError("the CSV export needs monthly results: run with record='full'")
    folder = Path(folder)
    for name, text in csv_tables(results, path).items():
        write_text_atomic(folder / name, text)
    return folder
