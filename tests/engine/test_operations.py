"""Operating costs and per-MW billing of funded IT: worked by hand on a one-hall campus.

The hall has 10 MW of IT at PUE 1.25, energizes 2026-01 and pays its $30M of GPUs over 3 months from then.
Power at $80/MWh and $120k per MW a year of other costs make 1.25 x 730 h x $80 + $120k / 12 = $83,000 per MW
of IT a month, billed on the MW whose GPUs are paid for; a lease billed the same way, and one billed on what is
built."""

from __future__ import annotations

import numpy as np
import pytest

import fundcheck
from fundcheck.engine.instruments.contract import operator
from fundcheck.errors import ScenarioError
from fundcheck.scenario import load_text

SRC = "source: 'assumption: test'"


def scenario(operations: str = "", lease_bill: str = "funded_it", cash: str = "500M", it_owner: str = "Dev") -> str:
    return f"""
program: ops
horizon: {{start: 2025-01, end: 2026-12}}
{operations}
entities:
  Dev: {{kind: company, cash: {{value: {cash}, {SRC}}}}}
  Runner: {{kind: company, cash: {{value: 50M, {SRC}}}}}
  Tenant: {{kind: company, outside: true}}
sites:
  Hall:
    owner: Dev
    it_owner: {it_owner}
    phases:
      - {{name: one, it_mw: {{value: 10, {SRC}}}, pue: {{value: 1.25, {SRC}}}, facility_capex: {{value: 120M, {SRC}}},
         it_capex: {{value: 30M, {SRC}}}, it_months: 3, start: 2025-01, months: 12, curve: linear,
         energization: 2026-01, {SRC}}}
contracts:
  - {{kind: lease, tenant: Tenant, landlord: Dev, site: Hall, rate_per_mw_month: {{value: 1M, {SRC}}},
     term_years: 10, bill: {lease_bill}}}
"""


OPS = f"""operations:
  power_price_per_mwh: {{value: 80, {SRC}}}
  other_opex_per_mw_year: {{value: 120k, {SRC}}}
"""


def _paid(r: fundcheck.Results, kind: str, month: str) -> float:
    f = r.flows()
    return float(f[(f.kind == kind) & (f.month == month)].usd.sum())


def test_operating_costs_by_hand() -> None:
    r = fundcheck.run(load_text(scenario(OPS), "ops.yaml"))
    share = r.dataset["phases.it_funded_share"].values[0, :, 0]  # share of the hall's GPUs paid at each close
    months = r.months
    assert share[months.index("2026-03")] == pytest.approx(1.0) and share[months.index("2025-12")] == 0
    assert _paid(r, "operating costs", "2025-12") == 0  # nothing runs before energization
    for m in ("2026-04", "2026-12"):  # every GPU paid for: 10 MW x $83,000
        assert _paid(r, "operating costs", m) == pytest.approx(830_000.0, rel=1e-12)
    # while the GPUs are being paid for, only the paid share runs and is billed (lease and power alike)
    billed = np.array([_paid(r, "operating costs", m) for m in months]) / 830_000.0
    rent = np.array([_paid(r, "lease", m) for m in months]) / 10e6
    assert np.allclose(billed, rent)
    # a month bills what ran from its start: the GPUs paid by the previous close (0, 1/3, 2/3, then all)
    assert np.allclose(billed[1:], share[:-1])
    assert [round(billed[months.index(m)], 12) for m in ("2026-01", "2026-02", "2026-03", "2026-04")] == \
        [0.0, round(1 / 3, 12), round(2 / 3, 12), 1.0]
    # the operator (by default the tenant of the site's lease, who runs it) pays it to the outside world
    f = r.flows()
    ops = f[f.kind == "operating costs"]
    assert set(ops.payer) == {"Tenant"} and set(ops.payee) == {"Outside world"}


def test_a_lease_billed_on_what_is_built_ignores_the_gpus() -> None:
    r = fundcheck.run(load_text(scenario(OPS, lease_bill="built"), "ops.yaml"))
    assert _paid(r, "lease", "2026-01") == pytest.approx(10e6)  # every energized MW from the first month


def test_operator_rules() -> None:
    s = load_text(scenario(), "ops.yaml")
    assert operator(s, "Hall") == "Tenant"  # the tenant of the site's one lease
    s = load_text(scenario(OPS.replace("operations:\n", "operations:\n  operators: {Hall: Runner}\n")), "ops.yaml")
    assert operator(s, "Hall") == "Runner"
    r = fundcheck.run(s)
    f = r.flows()
    assert set(f[f.kind == "operating costs"].payer) == {"Runner"}


def test_unpaid_operating_costs_are_their_own_cause() -> None:
    """Runner runs the hall and has no income: with $50M it pays 2026's operating costs ($9.96M at most); with
    $1M it pays $1M and the rest stays unpaid, all of it under the cause 'operating costs'."""
    ops = OPS.replace("operations:\n", "operations:\n  operators: {Hall: Runner}\n")
    rich = fundcheck.run(load_text(scenario(ops), "ops.yaml"))
    assert rich.gap_by_cause().loc["Runner", "operating costs"] == 0
    poor = fundcheck.run(load_text(scenario(ops).replace("Runner: {kind: company, cash: {value: 50M",
                                                         "Runner: {kind: company, cash: {value: 1M"), "ops.yaml"))
    unpaid = poor.gap_by_cause().loc["Runner"]
    total = sum(_paid(rich, "operating costs", m) for m in rich.months)
    assert unpaid["operating costs"] == pytest.approx(total - 1e6, rel=1e-9)
    assert unpaid.drop("operating costs").sum() == 0


@pytest.mark.parametrize("bad, message", [
    ("operators: {Nowhere: Dev}", "Nowhere"),
    ("operators: {Hall: Nobody}", "Nobody"),
    ("power_price_per_mwh: {value: -5, source: x}", "power_price_per_mwh"),
])
def test_bad_operations_are_located_errors(bad: str, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_text(scenario(OPS.replace("operations:\n", f"operations:\n  {bad}\n")), "ops.yaml")
    assert message in str(err.value) and "ops.yaml:" in str(err.value)
