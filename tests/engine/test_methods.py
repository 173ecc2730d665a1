"""Methods agree: the compiled kernel and the same source uncompiled; per-path inputs and one-path runs; paths in
lockstep batches and the same paths alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fundcheck
from fundcheck.engine import compile_plan, simulate
from fundcheck.errors import UsageError

UNCOMPILED = """
import sys, numpy as np, fundcheck
from fundcheck.engine import compile_plan, simulate
out = simulate(compile_plan(fundcheck.load(sys.argv[1])), 2)
np.savez(sys.argv[2], full=out.full_record, summary=out.summary_record, ints=out.summary_int_record)
"""


@pytest.mark.parametrize("name", ["abilene", "stargate"])
def test_compiled_kernel_equals_the_same_source_uncompiled(tmp_path: Path, name: str) -> None:
    script = tmp_path / "run.py"
    script.write_text(UNCOMPILED)
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    done = subprocess.run([sys.executable, str(script), name, str(tmp_path / "u.npz")], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    slow = np.load(tmp_path / "u.npz")
    fast = simulate(compile_plan(fundcheck.load(name)), 2)
    np.testing.assert_allclose(fast.full_record, slow["full"], rtol=1e-12, atol=1e-6)
    np.testing.assert_allclose(fast.summary_record, slow["summary"], rtol=1e-12, atol=1e-6)
    np.testing.assert_array_equal(fast.summary_int_record, slow["ints"])


def test_paths_with_their_own_inputs_equal_one_path_runs_of_those_inputs() -> None:
    plan = compile_plan(fundcheck.load("stargate"))
    phases, ents, loans = plan.phases, plan.entities, plan.loans
    rng = np.random.default_rng(7)
    n = 5
    capex = phases.facility_capex_usd * rng.uniform(0.6, 1.6, (n, len(phases)))
    cash = ents.opening_cash_usd * rng.uniform(0.0, 2.0, (n, len(ents)))
    rate = loans.rate_monthly * rng.uniform(0.5, 2.0, (n, len(loans)))
    delay = rng.integers(0, 12, (n, len(phases)))
    varied = (plan.vary("phases.facility_capex_usd", capex).vary("entities.opening_cash_usd", cash)
              .vary("loans.rate_monthly", rate).vary("phases.delay_months", delay))
    many = simulate(varied, record="full", chunk=2)
    assert many.n_paths == n
    for p in range(n):
        one = simulate(plan.vary("phases.facility_capex_usd", capex[p]).vary("entities.opening_cash_usd", cash[p])
                       .vary("loans.rate_monthly", rate[p]).vary("phases.delay_months", delay[p]))
        np.testing.assert_array_equal(many.full_record[p], one.full_record[0])
        np.testing.assert_array_equal(many.summary_record[p], one.summary_record[0])
        np.testing.assert_array_equal(many.summary_int_record[p], one.summary_int_record[0])
    # and the inputs did make the paths differ
    assert np.ptp(many.field("capex_funded_total_usd").sum(axis=1)) > 1e9


@pytest.mark.parametrize("name", ["stargate", "abilene"])
def test_paths_in_lockstep_equal_the_same_paths_run_alone(name: str) -> None:
    """The kernel runs paths in batches in lockstep; paths that part ways (one pays from cash, another borrows, one
    investor defaults, a phase is late) must still get exactly the numbers each gets alone (chunk=1: batches of
    one path). 150 paths make two full batches of 64 and a partial one; two workers split them."""
    plan = compile_plan(fundcheck.load(name))
    phases, ents, loans, equity = plan.phases, plan.entities, plan.loans, plan.equity
    rng = np.random.default_rng(11)
    n = 150
    never = equity.default_month[0]
    eq_default = np.where(rng.uniform(size=(n, len(equity))) < 0.2, rng.integers(0, plan.axis.n, (n, len(equity))),
                          never)
    ln_default = np.where(rng.uniform(size=(n, len(loans))) < 0.2, rng.integers(0, plan.axis.n, (n, len(loans))),
                          loans.default_month[0])
    capex = phases.facility_capex_usd * rng.uniform(0.5, 2.0, (n, len(phases)))
    varied = (plan.vary("phases.facility_capex_usd", capex)
              .vary("phases.it_capex_usd", phases.it_capex_usd * rng.uniform(0.5, 2.0, (n, len(phases))))
              .vary("entities.opening_cash_usd", ents.opening_cash_usd * rng.uniform(0.0, 3.0, (n, len(ents))))
              .vary("loans.rate_monthly", loans.rate_monthly * rng.uniform(0.5, 2.0, (n, len(loans))))
              .vary("loans.limit_usd", loans.limit_usd * rng.uniform(0.3, 1.5, (n, len(loans))))
              .vary("phases.delay_months", rng.integers(0, 18, (n, len(phases))))
              .vary("equity.default_month", eq_default).vary("loans.default_month", ln_default))
    together = simulate(varied, record="full", workers=2)
    alone = simulate(varied, record="full", chunk=1, workers=1)
    np.testing.assert_array_equal(together.full_record, alone.full_record)
    np.testing.assert_array_equal(together.summary_record, alone.summary_record)
    np.testing.assert_array_equal(together.summary_int_record, alone.summary_int_record)
    # the paths did part ways: some fall short and some do not, at different months
    first = together.field("first_short")
    assert len(np.unique(first[:, 0])) > 3


def test_paths_and_columns_are_checked() -> None:
    plan = compile_plan(fundcheck.load("abilene"))
    for bad in (0, -3, 1.5, True, 10**12):
        with pytest.raises(UsageError, match="paths must be a whole number"):
            simulate(plan, bad)
    with pytest.raises(UsageError, match="static"):
        plan.vary("phases.it_mw", np.ones((2, len(plan.phases))))
    with pytest.raises(UsageError, match="no plan column"):
        plan.vary("phases.nonsense", np.ones((2, 2)))
    with pytest.raises(UsageError, match="record='summary'"):
        simulate(plan, 10_000_000, record="full")
    n_h = len(plan.phases)
    for value in (np.nan, np.inf, -np.inf):  # a NaN would run through the kernel as a silent wrong number
        capex = np.ones((3, n_h))
        capex[2, 1] = value
        with pytest.raises(UsageError, match=rf"'phases.facility_capex_usd' takes finite numbers; found 1 value\(s\) "
                                             rf"that are not, the first {value!r} at index \[2, 1\]"):
            plan.vary("phases.facility_capex_usd", capex)
    for value in (2.5, np.nan):  # months: whole numbers, not cut or wrapped by a cast
        with pytest.raises(UsageError, match=r"'phases\.delay_months' takes whole numbers"):
            plan.vary("phases.delay_months", np.full((2, n_h), value))
    with pytest.raises(UsageError, match="takes numbers; found values of type"):
        plan.vary("entities.opening_cash_usd", np.full((2, len(plan.entities)), "a lot"))
    assert plan.vary("phases.delay_months", np.full((2, n_h), 3.0)).phases.delay_months.tolist() == [[3] * n_h] * 2
    varied = plan.vary("phases.facility_capex_usd", np.ones((3, len(plan.phases))))
    with pytest.raises(UsageError, match="per-path inputs for 3 paths"):
        simulate(varied, 4)
    summary = fundcheck.run("abilene", paths=2, record="summary")
    with pytest.raises(UsageError, match="record='full'"):
        summary.cash()
    assert summary.first_shortfall(1) == fundcheck.run("abilene").first_shortfall()


def test_the_kernel_cache_folder_changes_with_any_kernel_source(tmp_path: Path, monkeypatch) -> None:
    # numba checks only the timestamp of a function's own file; the kernel inlines the instruments and bakes
    # in tables' column codes, so an edit to tables.py alone once left a cached kernel reading the wrong
    # columns (wrong numbers, then a segfault). The cache folder is named by a hash of every kernel source.
    from fundcheck.engine.instruments import _jit

    copies = []
    for src in _jit.KERNEL_SOURCES:
        dst = tmp_path / src.parent.name / src.name
        dst.parent.mkdir(exist_ok=True)
        dst.write_bytes(src.read_bytes())
        copies.append(dst)
    monkeypatch.setattr(_jit, "KERNEL_SOURCES", tuple(copies))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache"))
    names = {p.name for p in copies}
    assert {"kernel.py", "tables.py", "equity.py", "loan.py", "contract.py", "repayment.py"} <= names
    before = _jit.cache_folder()
    assert before.startswith(str(tmp_path / "cache"))
    assert _jit.cache_folder() == before  # stable while nothing changes
    for path in copies:
        original = path.read_bytes()
        path.write_bytes(original + b"\n# an edit\n")
        assert _jit.cache_folder() != before, path.name
        path.write_bytes(original)
    assert _jit.cache_folder() == before


@pytest.mark.parametrize(("name", "paths", "record"), [("stargate", 1, "full"), ("abilene", 1, "full"),
                                                       ("openai-lp-2019", 1, "full"), ("stargate", 3, "summary")])
def test_one_value_read_from_the_arrays_equals_xarrays_selection(name: str, paths: int, record: str) -> None:
    """``Results.get`` reads one path's number, and ``Results.quantity`` one path's number or series, from the
    quantity's array itself; xarray's label selection on the Dataset (what both did before, and ``get`` still
    does for whole series) is the oracle, for every quantity, item, path and a spread of months."""
    from fundcheck.engine.results import QUANTITIES

    r = fundcheck.run(name, paths=paths, record=record)
    ds = r.dataset
    dims = {"entities": "entity", "loans": "loan", "equity": "equity", "phases": "phase", "sites": "site"}
    months = r.months[::17] + [r.months[-1]]
    checked = 0
    for group, quantities in QUANTITIES.items():
        items = list(ds[dims[group]].values) if group in dims else [""]
        for key, (unit, monthly, _) in quantities.items():
            if f"{group}.{key}" not in ds:
                continue
            for item in items:
                if monthly:  # a whole series of one path, as numpy (what a claims check sums)
                    for path in range(paths):
                        da = ds[f"{group}.{key}"].sel(path=path)
                        da = da.sel({dims[group]: item}) if item else da
                        q = f"{group}.{item}.{key}" if item else f"{group}.{key}"
                        np.testing.assert_array_equal(r.quantity(q, path), da.values)
                        assert isinstance(r.get(q, path=path), type(da)) and (r.get(q, path=path) == da).all()
                for month in (months if monthly else [""]):
                    q = f"{group}.{item}.{key}" if item else f"{group}.{key}"
                    q += f"@{month}" if month else ""
                    for path in range(paths):
                        da = ds[f"{group}.{key}"]
                        if item:
                            da = da.sel({dims[group]: item})
                        if month:
                            da = da.sel(month=month)
                        expected = da.sel(path=path).item()
                        if unit == "month":
                            expected = r.months[int(expected)] if int(expected) >= 0 else None
                        got = r.get(q, path=path)
                        same = got == expected or (got != got and expected != expected)  # NaN: no delay
                        assert type(got) is type(expected) and same, (q, path, got, expected)
                        checked += 1
    assert checked > 300


def test_a_quantity_named_wrongly_is_a_clear_error() -> None:
    from fundcheck.errors import UsageError

    full, summary = fundcheck.run("abilene"), fundcheck.run("abilene", paths=2, record="summary")
    cases = [
        (full, "money.gap_usd", "the first part must be one of entities, "),
        (full, "entities.Abilene JV.wealth_usd", "entities have cash_usd, need_usd, "),
        (full, "entities.Nobody.cash_usd@2026-01", "no entity named 'Nobody'; known: "),
        (full, "program.gap_usd@2026-01", "'program.gap_usd' is one value per path, not per month; drop '@2026-01'"),
        (full, "entities.Abilene JV.cash_usd@2199-01", "month 2199-01 is outside the run, "),
        (full, "program.Abilene JV.gap_usd", "program quantities have no item ('program.gap_usd')"),
        (summary, "entities.Abilene JV.cash_usd@2026-01", "is kept per month only with record='full'"),
    ]
    for results, name, message in cases:
        for read in (results.get, results.quantity):
            with pytest.raises(UsageError) as caught:
                read(name, path=0)
            assert message in str(caught.value), (name, str(caught.value))
    with pytest.raises(UsageError, match="path must be a whole number from 0 to 1; found 2"):
        summary.get("program.gap_usd", path=2)
