"""The Python API an analyst uses in a notebook, and the public names it exports."""

from __future__ import annotations

import pandas as pd

import fundcheck


def test_public_api_is_locked() -> None:
    assert sorted(fundcheck.__all__) == sorted([
        "FundcheckError", "Problem", "Results", "Scenario", "ScenarioError", "UsageError", "builtin_names",
        "load", "run", "simulate"])


def test_load_and_run_return_dataframes() -> None:
    scenario = fundcheck.load("abilene")
    results = fundcheck.run(scenario)
    cash = results.cash()
    assert isinstance(cash, pd.DataFrame)
    assert isinstance(cash.index, pd.PeriodIndex) and cash.index.freqstr == "M"
    assert [str(m) for m in cash.index[:2]] == ["2024-06", "2024-07"] and "Abilene JV" in cash.columns
    for table in (results.gap(), results.it_mw_online(), results.money(), results.sources_and_uses(),
                  results.flows(), results.phases(), results.mw_by_year(), results.shortfalls()):
        assert isinstance(table, pd.DataFrame) and len(table)
    flows = results.flows()
    assert {"payer", "payee", "kind", "label", "month", "usd"} <= set(flows.columns)
    assert (flows.usd != 0).all()


def test_run_accepts_a_name_or_path() -> None:
    by_name = fundcheck.run("abilene").totals()
    by_path = fundcheck.run(fundcheck.scenario.builtin_path("abilene")).totals()
    assert by_name == by_path
