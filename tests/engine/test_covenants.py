"""Cash sweeps and DSCR covenants (a loan's ``sweep`` and ``covenants``), worked by hand.

P borrows a $12M bond from Bank in 2025-01 (12% a year: 1% a month on the opening balance, paid in cash) and
spends it at once. It repays $333,333.33 a month (1/36) from 2025-02 and earns a steady income from 2025-01,
its only cash. Covenants are tested each December from the first full calendar year of repayment (2026):
DSCR = the year's cash from operations / the debt service due that year.
"""

from __future__ import annotations

import pytest

import fundcheck
from fundcheck.errors import ScenarioError
from fundcheck.scenario import load_text

SRC = "source: 'assumption: test'"
P = 12e6 / 36


def scenario(income: str = "5.4M", covenants: str = f"covenants: {{lockup_dscr: {{value: 1.2, {SRC}}}, "
             f"default_dscr: {{value: 1.05, {SRC}}}}}, ", sweep: str = "") -> str:
    return f"""
program: covenants
horizon: {{start: 2025-01, end: 2027-12}}
entities:
  P:
    kind: company
    cash_flow: [{{start: 2025-01, end: 2025-01, usd: {{value: -12M, {SRC}}}}},
                {{start: 2025-01, end: 2027-12, usd_per_year: {{value: {income}, {SRC}}}}}]
  Bank: {{kind: lender}}
instruments:
  - {{kind: bond, name: L, from: Bank, to: P, limit: {{value: 12M, {SRC}}}, rate: {{value: 12%, {SRC}}},
     draw: upfront, start: 2025-01, end: 2025-01, capitalise_interest: false, {covenants}{sweep}
     repay: {{kind: amortizing, months: 36}}}}
"""


def by_month(r: fundcheck.Results, kind: str) -> dict[str, float]:
    f = r.flows()
    f = f[(f.kind == kind) & (f.label == "L")]
    return {m: float(v) for m, v in f.groupby("month").usd.sum().items()}


def months() -> list[str]:
    return [f"{y}-{m:02d}" for y in (2025, 2026, 2027) for m in range(1, 13)]


def test_a_lockup_sweeps_all_cash_the_next_year() -> None:
    """2026: debt service due is 12 x $333,333.33 of principal plus 1% a month on $8,333,333.33 falling by
    $333,333.33 a month ($780,000): $4,780,000. Cash from operations is $5.4M: DSCR 1.1297x, below the 1.2x
    lock-up, above the 1.05x default. So from 2027-01 all of P's cash at each month's end prepays the bond."""
    r = fundcheck.run(load_text(scenario(), "cov.yaml"))
    service_2026 = 12 * P + 0.01 * sum(12e6 - 11 * P - m * P for m in range(12))
    assert service_2026 == pytest.approx(4.78e6)
    cov = r.covenants().loc["L"]
    assert cov.first_lockup == "2026-12" and cov.lockups == 1 and cov.first_default is None
    assert cov.event == "P's DSCR 1.13x in 2026 broke L's lock-up (1.20x): cash swept from 2027-01"
    # by hand, month by month: income 450,000, interest 1% of the opening balance, principal 1/36; from
    # 2027-01 the cash left at the month's end is swept (a prepayment, not debt service due)
    cash, balance, swept = 450_000.0, 12e6, {}
    for month in months()[1:]:
        interest = 0.01 * balance
        principal = min(P, balance)
        cash += 450_000.0 - interest - principal
        balance -= principal
        if month >= "2027-01" and balance > 0:
            swept[month] = min(cash, balance)
            balance -= swept[month]
            cash -= swept[month]
    assert r.instruments()["L"]["swept_usd"] == pytest.approx(sum(swept.values()), rel=1e-9)
    # the sweeps repay the bond during 2027, so there is no test in 2027-12 (a repaid loan is not tested)
    assert balance == pytest.approx(0.0, abs=1e-6) and r.instruments()["L"]["principal_usd"] == pytest.approx(0.0)
    assert cov.tests == [("2026-12", pytest.approx(5.4e6 / service_2026, rel=1e-12))]
    assert r.cash()["P"]["2027-01"] == pytest.approx(0.0, abs=1e-6)
    assert by_month(r, "principal")["2027-01"] == pytest.approx(P + swept["2027-01"], rel=1e-9)
    assert r.checks.ok


def test_a_default_is_a_dated_event() -> None:
    """$4.8M of cash from operations over $4.78M due: 1.0042x, below both tests."""
    r = fundcheck.run(load_text(scenario(income="4.8M"), "cov.yaml"))
    cov = r.covenants().loc["L"]
    assert cov.first_default == "2026-12" and cov.first_lockup == "2026-12"
    assert "event of default" in cov.event


def test_no_breach_no_sweep_and_a_plain_sweep_takes_its_share() -> None:
    """Income of $6M a year passes both tests (1.2552x): nothing swept. A 50% sweep without covenants takes
    half of P's cash at each month's end from 2025-02: at the end of February P holds $450,000 + $450,000 -
    $120,000 - $333,333.33 = $446,666.67, so $223,333.33 is prepaid."""
    r = fundcheck.run(load_text(scenario(income="6M"), "cov.yaml"))
    cov = r.covenants().loc["L"]
    assert cov.first_lockup is None and cov.swept_usd == 0.0 and cov.event == ""
    assert cov.tests[0][1] == pytest.approx(6e6 / 4.78e6, rel=1e-12)
    half = fundcheck.run(load_text(scenario(covenants="", sweep=f"sweep: {{value: 50%, {SRC}}}, "), "cov.yaml"))
    assert by_month(half, "principal")["2025-02"] == pytest.approx(P + 0.5 * (900_000 - 120_000 - P), rel=1e-12)
    assert half.checks.ok


@pytest.mark.parametrize(("covenants", "field", "words"), [
    (f"covenants: {{lockup_dscr: {{value: 0.8, {SRC}}}}}, ", "instruments[0].covenants.lockup_dscr", "from 1 to 10"),
    (f"covenants: {{lockup_dscr: {{value: 1.1, {SRC}}}, default_dscr: {{value: 1.3, {SRC}}}}}, ",
     "instruments[0].covenants.default_dscr", "at or below lock-up"),
    ("covenants: {}, ", "instruments[0].covenants", "no test"),
])
def test_bad_covenants_are_located(covenants: str, field: str, words: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_text(scenario(covenants=covenants), "cov.yaml")
    assert "cov.yaml:" in str(err.value) and field in str(err.value) and words in str(err.value)


def test_findings_of_the_audit() -> None:
    """(1) A loan repaid before the December test is not tested (it used to be locked up and in default on
    its borrower's other debt). (2) A loan with a sweep but no covenants shows no tests. (3) The debt cover
    table leaves sweeps out of debt service: with no tax it matches the covenant tests."""
    src = "source: 'assumption: t'"
    repaid = f"""
program: c
horizon: {{start: 2025-01, end: 2027-12}}
entities:
  P:
    kind: company
    cash_flow: [{{start: 2025-01, end: 2025-01, usd: {{value: -18M, {src}}}}},
                {{start: 2025-01, end: 2027-12, usd_per_year: {{value: 16M, {src}}}}}]
  Bank: {{kind: lender}}
instruments:
  - {{kind: bond, name: L1, from: Bank, to: P, limit: {{value: 6M, {src}}}, rate: {{value: 12%, {src}}},
     draw: upfront, start: 2025-01, end: 2025-01, capitalise_interest: false,
     covenants: {{lockup_dscr: {{value: 3, {src}}}, default_dscr: {{value: 2.6, {src}}}}},
     repay: {{kind: amortizing, months: 11}}}}
  - {{kind: bond, name: L2, from: Bank, to: P, limit: {{value: 12M, {src}}}, rate: {{value: 10%, {src}}},
     draw: upfront, start: 2025-01, end: 2025-01, capitalise_interest: false, SWEEP
     repay: {{kind: amortizing, months: 24}}}}
"""
    r = fundcheck.run(load_text(repaid.replace("SWEEP", ""), "c.yaml"))
    cov = r.covenants().loc["L1"]
    assert cov.tests == [] and cov.first_lockup is None and cov.first_default is None and cov.event == ""
    r = fundcheck.run(load_text(repaid.replace("SWEEP", f"sweep: {{value: 10%, {src}}},"), "c.yaml"))
    assert r.covenants().loc["L2"].tests == [] and r.covenants().loc["L2"].swept_usd > 0
    from fundcheck.finance.performance import debt_cover
    from fundcheck.finance.statements import statements

    text = scenario(sweep=f"sweep: {{value: 10%, {SRC}}}, ").replace(
        "program: covenants", f"program: covenants\naccounting: {{tax_rate: {{value: 0, {SRC}}}}}")
    r = fundcheck.run(load_text(text, "cov.yaml"))
    cover = debt_cover(statements(r))["L"]
    tests = dict(r.covenants().loc["L"].tests)
    assert r.instruments()["L"]["swept_usd"] > 1e6  # swept in 2025 and 2026 too
    assert dict(zip(cover.years, cover.dscr, strict=True))[2026] == pytest.approx(tests["2026-12"], rel=1e-9)


def test_monte_carlo_gives_the_chance_of_a_breach() -> None:
    """The bond's rate uniform from 2% to 10% a year: 2026's debt service is $4M of principal plus rate / 12 x
    $78M of balances ($4M + 6.5 x rate), against $5.4M of cash (P is never short at these rates). A 1.3x
    lock-up breaks above a rate of (5.4 / 1.3 - 4) / 6.5 = 2.367%, so P = (10 - 2.367) / 8 = 95.4%; a 1.2x
    default above 7.692%, P = 28.8%. Each path breaks exactly when its sampled rate is above those."""
    from fundcheck.uncertainty.runner import simulate

    covenants = (f"covenants: {{lockup_dscr: {{value: 1.3, {SRC}}}, default_dscr: {{value: 1.2, {SRC}}}}}, ")
    text = scenario(covenants=covenants).replace(
        f"rate: {{value: 12%, {SRC}}}", f"rate: {{value: 6%, dist: uniform, low: 2%, high: 10%, name: rate, {SRC}}}")
    r = simulate(load_text(text, "cov.yaml"), paths=4000, seed=3, fan_paths=0)
    c = r.p_covenant("L")
    rate = r.arrays["x"][:, 0]
    assert c["lockup"]["p"] == pytest.approx(float((rate > (5.4 / 1.3 - 4) / 6.5).mean()))
    assert c["default"]["p"] == pytest.approx(float((rate > (5.4 / 1.2 - 4) / 6.5).mean()))
    assert abs(c["lockup"]["p"] - (0.10 - (5.4 / 1.3 - 4) / 6.5) / 0.08) < 4 * c["lockup"]["se"]
    assert abs(c["default"]["p"] - (0.10 - (5.4 / 1.2 - 4) / 6.5) / 0.08) < 4 * c["default"]["se"]
    assert set(r.to_json()["p_covenant"]) == {"L"}


def test_the_monte_carlo_page_shows_the_breaches(tmp_path: object) -> None:
    """The page lists P(lock-up) and P(default) per covenanted loan (and draws its charts without a warning
    when no entity ever falls short)."""
    from pathlib import Path

    from fundcheck.report.montecarlo_page import write_montecarlo_page
    from fundcheck.uncertainty.runner import simulate

    text = scenario(income="9M").replace(
        f"rate: {{value: 12%, {SRC}}}", f"rate: {{value: 6%, dist: uniform, low: 2%, high: 10%, name: rate, {SRC}}}")
    r = simulate(load_text(text, "cov.yaml"), paths=200, seed=1, fan_paths=10)
    page = write_montecarlo_page(r, Path(str(tmp_path)) / "montecarlo.html").read_text()
    c = r.p_covenant("L")
    assert "Covenant breaches" in page and f"{100 * c['lockup']['p']:.2f}%" in page


def test_the_new_figures_are_named_quantities() -> None:
    """Sweeps, lock-ups, defaults, window ends and reserves are addressable by name, as the claims layer
    reads them."""
    r = fundcheck.run(load_text(scenario(), "cov.yaml"))
    assert r.get("loans.L.first_lockup", path=0) == "2026-12"
    assert r.get("loans.L.first_default", path=0) is None
    assert r.get("loans.L.window_end", path=0) == "2025-01"
    assert r.get("loans.L.swept_total_usd", path=0) == pytest.approx(r.instruments()["L"]["swept_usd"])
    assert r.get("loans.L.swept_usd@2027-01", path=0) > 0
    assert r.get("entities.P.reserve_usd@2026-06", path=0) == 0.0
