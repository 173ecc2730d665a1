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
- the maximum debt fraction (when on) is of the installed cost: ``size_debt(max_gearing=, capex=)``.
"""

from __future__ import annotations

import numpy as np
import pytest

from fundcheck.finance import dscr, sculpted_schedule, size_debt

Singleowner = pytest.importorskip("PySAM.Singleowner", reason="PySAM (nrel-pysam) is an optional extra")

TENOR, RATE, TARGET, COST = 18, 0.07, 1.3, 4_000_000.0


def run_sam(*, max_debt_fraction: float | None = None, ppa_escalation: float = 0.0, degradation: float = 0.0):
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
        federal_tax_rate=(0,), state_tax_rate=(0,), inflation_rate=0, insurance_rate=0, property_tax_rate=0,
        salvage_percentage=0)
    for key, value in settings.items():
        setattr(m.FinancialParameters, key, value)
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
