"""GPU refresh: IT bought again every `operations.gpu_refresh_years` as new capex, and leases billing only the
generation in service that is paid for. Every figure written out by hand."""

from __future__ import annotations

import numpy as np
import pytest

import fundcheck
from fundcheck.errors import ScenarioError
from fundcheck.scenario import load_text

M = 1e6
SRC = 'source: "assumption: test"'


def scenario(cash_a: str, refresh: str = "gpu_refresh_years: {value: 1, " + SRC + "}") -> str:
    return f"""
program: refresh
horizon: {{start: 2025-01, end: 2027-12}}
operations:
  {refresh}
  gpu_refresh_cost_share: {{value: 0.5, {SRC}}}
entities:
  A: {{kind: company, cash: {{value: {cash_a}, {SRC}}}, funding_priority: [cash]}}
  T: {{kind: company, cash: {{value: 1000M, {SRC}}}}}
  L: {{kind: company}}
sites:
  S:
    owner: A
    phases:
      - {{name: p, it_mw: 10, start: 2025-01, months: 1, facility_capex: 10M, it_capex: 30M, {SRC}}}
contracts:
  - {{kind: lease, tenant: T, landlord: L, site: S, rate_per_mw_month: {{value: 1M, {SRC}}}, term_years: 10}}
"""


def run(text: str) -> fundcheck.Results:
    return fundcheck.run(load_text(text, "refresh.yaml"))


def by_month(r: fundcheck.Results, values: np.ndarray) -> dict[str, float]:
    return {str(m): round(float(v) / M, 6) for m, v in zip(r.months, values, strict=True) if abs(v) > 1e-6}


def received(r: fundcheck.Results, who: str) -> dict[str, float]:
    cash = r.get(f"entities.{who}.cash_usd", path=0).values
    return by_month(r, np.diff(np.concatenate([[0.0], cash])))


def test_it_is_bought_again_every_refresh_period_at_its_cost_share() -> None:
    # The facility (10M) is built in January 2025 and energizes in February; IT capex 30M over 3 months from
    # then: 10M in February, March and April. A refresh every 12 months at half the cost: 15M over 3 months
    # from 12 months after energization (2026-02..04, 5M a month) and again from 24 months (2027-02..04).
    # Planned by the horizon end: 10 + 30 + 15 + 15 = 70M. A rich A pays it all, on plan.
    r = run(scenario("1000M"))
    planned = {"2025-01": 10.0, "2025-02": 10.0, "2025-03": 10.0, "2025-04": 10.0, "2026-02": 5.0, "2026-03": 5.0,
               "2026-04": 5.0, "2027-02": 5.0, "2027-03": 5.0, "2027-04": 5.0}
    assert by_month(r, r.plan.planned_capex()[0]) == planned
    assert by_month(r, r.get("sites.S.capex_usd", path=0).values) == planned
    assert r.totals() == {"capex_usd": pytest.approx(70 * M), "funded_usd": pytest.approx(70 * M),
                          "gap_usd": pytest.approx(0.0)}
    # the lease bills what is online at the start of the month: 0 in February (no IT paid yet), a third in
    # March, two thirds in April, then 10 MW x 1M in full every month, refreshes paid on time
    got = received(r, "L")
    assert got["2025-03"] == pytest.approx(10 / 3) and got["2025-04"] == pytest.approx(20 / 3)
    assert all(got[m] == pytest.approx(10.0) for m in ("2025-05", "2026-04", "2026-05", "2027-12"))
    assert len(got) == 34  # March 2025 to December 2027


def test_an_unpaid_refresh_takes_the_capacity_out_of_billing_once_the_old_generation_retires() -> None:
    # A has 40M: the facility and the first IT, nothing for the refreshes. The 2026 refresh is due 5M a month
    # in February to April (A's gap: 5, 10, 15, carried), the old generation serves until its purchase months
    # are over, and from May 2026 (15 months after energization) the generation in service is the unpaid
    # refresh: the lease bills nothing. The build gap is the two refreshes, 30M.
    r = run(scenario("40M"))
    gap = r.gap()["A"]
    assert gap.loc["2026-02"] == pytest.approx(5 * M) and gap.loc["2026-04"] == pytest.approx(15 * M)
    assert gap.loc["2027-04"] == pytest.approx(30 * M)
    assert r.totals()["gap_usd"] == pytest.approx(30 * M)
    got = received(r, "L")
    assert got["2026-04"] == pytest.approx(10.0) and "2026-05" not in got and "2027-12" not in got
    share = r.get("phases.S: p.it_funded_share", path=0)
    assert float(share.sel(month="2026-04")) == pytest.approx(1.0)
    assert float(share.sel(month="2026-05")) == pytest.approx(0.0)


def test_a_half_paid_refresh_bills_half() -> None:
    # A has 47.5M: 40 for the build, 7.5 towards the 2026 refresh (5 in February, 2.5 in March, in file
    # order; the rest is carried). From May 2026 the refresh in service is half paid: 5M a month. From May 2027
    # the second refresh (nothing paid) serves: nothing.
    r = run(scenario("47.5M"))
    got = received(r, "L")
    assert got["2026-05"] == pytest.approx(5.0) and got["2027-04"] == pytest.approx(5.0)
    assert "2027-05" not in got
    assert r.totals()["funded_usd"] == pytest.approx(47.5 * M)


def test_the_monte_carlo_counts_refreshes_in_the_planned_capex_of_every_path() -> None:
    # Found by the audit: the Monte Carlo's planned capex left refreshes out, so a path whose refreshes went
    # unpaid showed no build gap. Here every path has A's 40M, so the gap is the two refreshes, 30M, as in
    # the single run above, on every path; and each path's planned capex (delays varied) equals Plan.planned_capex.
    from fundcheck.engine import compile_plan
    from fundcheck.uncertainty.runner import planned_capex_total
    from fundcheck.uncertainty.runner import simulate as monte_carlo

    text = scenario("40M")
    plan = compile_plan(load_text(text, "refresh.yaml")).vary("phases.delay_months", np.array([[0], [2], [7], [30]]))
    totals = planned_capex_total(plan)
    assert totals == pytest.approx([plan.planned_capex(p).sum() for p in range(4)])
    assert totals[0] == pytest.approx(70 * M) and totals[3] == pytest.approx(40 * M)  # 2027-08: no refresh by end
    mc = monte_carlo(load_text(text, "refresh.yaml"), paths=20, seed=1)
    gap = mc.to_json()["gap_usd"]
    assert gap["p5"] == pytest.approx(30 * M) and gap["p95"] == pytest.approx(30 * M)


def test_without_a_refresh_period_it_is_bought_once() -> None:
    text = scenario("1000M", refresh="power_price_per_mwh: {value: 0, " + SRC + "}")
    r = run(text.replace("gpu_refresh_cost_share: {value: 0.5, ", "other_opex_per_mw_year: {value: 0, "))
    assert r.totals()["capex_usd"] == pytest.approx(40 * M)
    assert received(r, "L")["2027-12"] == pytest.approx(10.0)


@pytest.mark.parametrize(("years", "message"), [
    ("0.25", "found 0.25 years (3 months); expected more than the longest IT purchase, 3 months (S: p)"),
    ("0.09", "found 0.09 years (1 month); expected more than the longest IT purchase"),
    ("0", "found 0; expected one month (1/12) to 100 years"),
])
def test_a_refresh_period_that_overlaps_the_purchase_is_rejected_with_its_line(years: str, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_text(scenario("1000M", refresh="gpu_refresh_years: {value: " + years + ", " + SRC + "}"),
                  "refresh.yaml")
    assert "refresh.yaml:5: operations.gpu_refresh_years" in str(err.value) and message in str(err.value)


@pytest.mark.parametrize(("change", "where", "message"), [
    (("horizon:", "gap_policy: record\nhorizon:"), "operations.gpu_refresh_years",
     "found with gap_policy: record; expected gap_policy: defer"),
    (("gpu_refresh_years: {value: 1, " + SRC + "}", "escalator: {value: 0, " + SRC + "}"),
     "operations.gpu_refresh_cost_share", "found without gpu_refresh_years; expected both"),
])
def test_refresh_settings_that_cannot_be_honoured_are_rejected(change: tuple[str, str], where: str,
                                                               message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_text(scenario("1000M").replace(*change), "refresh.yaml")
    assert where in str(err.value) and message in str(err.value)
