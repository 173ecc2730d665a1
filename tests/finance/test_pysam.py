"""Cross-check of debt sizing and sculpting with NREL's System Advisor Model (PySAM ``Singleowner``), an optional
extra (``pip install -e '.[pysam]'``); skipped where PySAM is not installed.

SAM is annual, so fundcheck is run with ``periods_per_year=1`` on SAM's own CFADS (``cf_cash_for_ds``, years
1..tenor). Conventions matched, and why:

- a flat generation profile (1 MW every hour, 8,760 MWh a year), a PPA price in $/kWh, fixed O&M in $/yr,
  inflation 0: SAM's CFADS is then revenue - O&M, which the flat case also checks by hand;
- no taxes, insurance, property tax, salvage or incentives (ITC, PTC), so nothing but operations feeds CFADS;
- no reserve accounts (debt service, working capital, receivables, equipment): their funding would enter CFADS;
- no debt closing cost, up-front fee, other financing cost or construction financing: SAM adds those to the
  cost that a debt fraction applies to, fundcheck's ``capex`` has none;
- debt option "DSCR" (SAM sculpts to the target, as ``sculpt``), the term rate annual (7%), interest on the
  opening balance, service at the end of each year: fundcheck's conventions for ``periods_per_year=1``;
- the maximum debt fraction (when on) is of the installed cost: ``size_debt(max_gearing=, capex=)``;
- with taxes (federal only, state 0): all of the cost 20-year straight-line property with no bonus, which SAM
  depreciates with a half-year convention; fundcheck's monthly ``depreciation_schedule`` gives the same years
  with the asset placed in service in month 7 of year 1. Taxable income is positive every year here, so
  fundcheck's loss carry-forward and SAM's same-year tax benefit do not differ. The owner's after-tax cash flow
  is CFADS - debt service - tax, year 0 the equity (cost - debt), as SAM's ``cf_project_return_aftertax``;
  SAM discounts at its nominal rate (the real rate here, inflation 0).
"""

from __future__ import annotations

import numpy as np
import pytest

from fundcheck.finance import dscr, sculpted_schedule, size_debt

Singleowner = pytest.importorskip("PySAM.Singleowner", reason="PySAM (nrel-pysam) is an optional extra")

TENOR, RATE, TARGET, COST = 18, 0.07, 1.3, 4_000_000.0


def run_sam(*, max_debt_fraction: float | None = None, ppa_escalation: float = 0.0, degradation: float = 0.0,
            federal_tax: float = 0.0):
    m = Singleowner.default("CustomGenerationProfileSingleOwner")
    m.SystemOutput.gen = [1000.0] * 8760  # kW every hour
    m.SystemOutput.degradation = (degradation,)
    m.Revenue.ppa_soln_mode = 1  # the PPA price is an input, not solved for
    m.Revenue.ppa_price_input = (0.08,)
    m.Revenue.ppa_escalation = ppa_escalation
    m.SystemCosts.om_fixed = (100_000.0,)
    m.SystemCosts.om_fixed_escal = 0.0
    m.SystemCosts.om_production = (0.0,)
    m.SystemCosts.om_capacity = (0.0,)
    m.SystemCosts.total_installed_cost = COST
    settings = dict(
        debt_option=1, dscr=TARGET, term_tenor=TENOR, term_int_rate=RATE * 100.0,
        dscr_limit_debt_fraction=0 if max_debt_fraction is None else 1,
        dscr_maximum_debt_fraction=50.0 if max_debt_fraction is None else max_debt_fraction * 100.0,
        dscr_reserve_months=0, months_working_reserve=0, months_receivables_reserve=0,
        equip1_reserve_cost=0, equip2_reserve_cost=0, equip3_reserve_cost=0,
        cost_debt_closing=0, cost_debt_fee=0, cost_other_financing=0, construction_financing_cost=0,
        federal_tax_rate=(federal_tax * 100.0,), state_tax_rate=(0,), inflation_rate=0, insurance_rate=0,
        property_tax_rate=0, salvage_percentage=0)
    for key, value in settings.items():
        setattr(m.FinancialParameters, key, value)
    d = m.Depreciation  # all of the cost as 20-year straight-line property, no bonus depreciation
    for kind in ("custom", "macrs_15", "macrs_5", "sl_15", "sl_20", "sl_39", "sl_5"):
        setattr(d, f"depr_alloc_{kind}_percent", 100 if kind == "sl_20" else 0)
        setattr(d, f"depr_bonus_fed_{kind}", 0)
        setattr(d, f"depr_bonus_sta_{kind}", 0)
    d.depr_bonus_fed = 0
    d.depr_bonus_sta = 0
    for key in ("itc_fed_percent", "itc_sta_percent", "itc_fed_amount", "itc_sta_amount", "ptc_fed_amount",
                "ptc_sta_amount"):
        setattr(m.TaxCreditIncentives, key, (0,))
    m.execute()
    return m  # the model, not m.Outputs: the outputs die with it


def cfads_of(out) -> np.ndarray:
    return np.array(out.cf_cash_for_ds)[1:TENOR + 1]  # index 0 is year 0 (construction)


@pytest.mark.parametrize("case", ["flat", "escalating"])
def test_dscr_sized_debt_matches_sam(case: str) -> None:
    model = run_sam() if case == "flat" else run_sam(ppa_escalation=2.0, degradation=0.5)
    out = model.Outputs
    cfads = cfads_of(out)
    if case == "flat":  # SAM's CFADS is revenue - O&M: 8,760 MWh x $80/MWh - $100,000 = $600,800 a year
        assert cfads == pytest.approx(np.full(TENOR, 600_800.0), rel=1e-9)
    else:
        assert np.ptp(cfads) > 0.05 * cfads.mean()  # uneven cash, a real sculpting test
    sizing = size_debt(cfads, TARGET, RATE, periods_per_year=1)
    assert float(sizing.size_usd) == pytest.approx(out.size_of_debt, rel=1e-3)
    schedule = sculpted_schedule(cfads, TARGET, RATE, periods_per_year=1)
    assert float(dscr(cfads, schedule.debt_service_usd).minimum) == pytest.approx(out.min_dscr, rel=1e-3)
    sam_principal = np.array(out.cf_debt_payment_principal)[1:TENOR + 1]
    assert schedule.principal_usd == pytest.approx(sam_principal, rel=1e-3)


def test_debt_fraction_limit_matches_sam() -> None:
    # 40% of $4M = $1.6M, below the DSCR capacity (~$4.6M): gearing binds, and SAM sculpts the smaller debt to
    # the same shape, so the DSCR is 1.3 x capacity / $1.6M every year
    model = run_sam(max_debt_fraction=0.40)
    out = model.Outputs
    cfads = cfads_of(out)
    sizing = size_debt(cfads, TARGET, RATE, max_gearing=0.40, capex=COST, periods_per_year=1)
    assert str(sizing.binding) == "gearing"
    assert float(sizing.size_usd) == pytest.approx(out.size_of_debt, rel=1e-3)
    schedule = sculpted_schedule(cfads, TARGET, RATE, periods_per_year=1, size_usd=sizing.size_usd)
    assert float(dscr(cfads, schedule.debt_service_usd).minimum) == pytest.approx(out.min_dscr, rel=1e-3)


def test_after_tax_equity_irr_and_npv_match_sam() -> None:
    """21% federal tax, debt at 60% of cost (the gearing binds) sculpted to SAM's CFADS: fundcheck's sizing,
    sculpting, depreciation, tax, IRR and NPV give SAM's after-tax owner cash flows, IRR and NPV."""
    from fundcheck.finance import irr, npv
    from fundcheck.finance.statements import depreciation_schedule, tax_by_year

    model = run_sam(max_debt_fraction=0.60, federal_tax=0.21)
    out = model.Outputs
    years = int(model.FinancialParameters.analysis_period)
    cfads = np.array(out.cf_ebitda)[1:years + 1]  # no reserves or taxes before debt: CFADS every year
    assert cfads == pytest.approx(np.full(years, 600_800.0), rel=1e-9)
    assert cfads[:TENOR] == pytest.approx(cfads_of(out), rel=1e-12)
    size = float(size_debt(cfads[:TENOR], TARGET, RATE, max_gearing=0.60, capex=COST, periods_per_year=1).size_usd)
    assert size == pytest.approx(out.size_of_debt, rel=1e-9)
    schedule = sculpted_schedule(cfads[:TENOR], TARGET, RATE, periods_per_year=1, size_usd=size)
    interest = np.zeros(years)
    principal = np.zeros(years)
    interest[:TENOR], principal[:TENOR] = schedule.interest_usd, schedule.principal_usd
    spend = np.zeros(12 * years)
    spend[0] = COST
    monthly = depreciation_schedule(spend, in_service=6, life_months=240)  # placed in service mid-year 1
    depreciation = monthly.reshape(years, 12).sum(axis=1)
    assert depreciation == pytest.approx(np.array(out.cf_feddepr_total)[1:years + 1], rel=1e-9)
    pretax = cfads - interest - depreciation
    tax, _ = tax_by_year(pretax, np.arange(years), 0.21, 0.80)
    assert -tax == pytest.approx(np.array(out.cf_fedtax)[1:years + 1], rel=1e-9)
    flows = np.concatenate([[-(COST - size)], cfads - interest - principal - tax])
    assert flows == pytest.approx(np.array(out.cf_project_return_aftertax)[:years + 1], rel=1e-9)
    assert float(irr(flows, periods_per_year=1)) == pytest.approx(out.project_return_aftertax_irr / 100.0, rel=1e-6)
    rate = model.FinancialParameters.real_discount_rate / 100.0
    assert float(npv(rate, flows, periods_per_year=1)) == pytest.approx(out.project_return_aftertax_npv, rel=1e-6)
