"""Property tests: the invariants of design.md hold on random valid scenarios."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fundcheck
from fundcheck.engine import compile_plan, simulate
from fundcheck.engine.checks import run_checks
from fundcheck.scenario import load_text
from fundcheck.scenario.quantities import month_str

START = 2025 * 12  # 2025-01
SRC = "assumption: generated"
money = st.integers(min_value=0, max_value=400).map(lambda m: m * 1e6)


@st.composite
def scenarios(draw: st.DrawFn) -> str:
    n_months = draw(st.integers(12, 48))
    end = START + n_months - 1

    def month(lo: int = START, hi: int = end) -> str:
        return month_str(draw(st.integers(lo, hi)))

    partners = [f"P{i}" for i in range(draw(st.integers(1, 3)))]
    entities: dict = {}
    for p in partners:
        ent: dict = {"kind": "company", "cash": {"value": draw(money), "source": SRC}}
        if draw(st.booleans()):
            a = draw(st.integers(START, end))
            b = draw(st.integers(a, end))
            ent["cash_flow"] = [{"start": month_str(a), "end": month_str(b), "source": SRC,
                                 "usd_per_year": draw(st.integers(-200, 400)) * 1e6}]
        if draw(st.booleans()):
            ent["credit"] = {"limit": draw(money), "rate": draw(st.integers(0, 15)) / 100, "source": SRC}
        if draw(st.booleans()):
            first = draw(st.integers(START, end - 1))
            ent["can_raise"] = {"amount": draw(money), "start": month_str(first), "source": SRC}
            if draw(st.booleans()):
                ent["can_raise"]["rate"] = draw(st.integers(1, 12)) / 100
            if draw(st.booleans()):  # repaid in full at its maturity
                ent["can_raise"]["maturity"] = month(first + 1)
        entities[p] = ent
    words = draw(st.permutations(["cash", "equity", "debt", "credit", "raise"]))
    entities["JV"] = {"kind": "spv", "funding_priority": list(words[: draw(st.integers(1, 5))])}
    entities["Bank"] = {"kind": "lender"}
    entities["Parent"] = {"kind": "company", "cash": {"value": draw(money), "source": SRC}}  # a modelled lender
    entities["Tenant"] = {"kind": "company", "outside": True}

    sites: dict = {}
    for s in range(draw(st.integers(1, 2))):
        phases = []
        for k in range(draw(st.integers(1, 2))):
            months = draw(st.integers(1, 12))
            phases.append({"name": f"ph{k}", "it_mw": draw(st.integers(1, 100)), "start": month(START, end),
                           "months": months, "curve": draw(st.sampled_from(["s", "linear", "front", "back"])),
                           "facility_capex": draw(money), "it_capex": draw(money) / 4,
                           "gpus": draw(st.integers(0, 5000)), "it_months": draw(st.integers(1, 4)),
                           "source": SRC})
        sites[f"S{s}"] = {"owner": draw(st.sampled_from(["JV", *partners])),
                          "it_owner": draw(st.sampled_from(["JV", *partners])), "phases": phases}

    instruments: list = []
    for p in partners:
        if draw(st.booleans()):
            instruments.append({"kind": "equity", "from": p, "to": "JV", "amount": draw(money),
                                "stake": round(1 / len(partners), 4), "start": month(),
                                "call": draw(st.sampled_from(["as_needed", "upfront"])), "source": SRC})
    for i in range(draw(st.integers(0, 2))):
        a = draw(st.integers(START, end))
        b = draw(st.integers(a, end))
        loan = {"kind": draw(st.sampled_from(["construction_loan", "term_loan", "bond"])), "name": f"L{i}",
                "from": "Bank", "to": draw(st.sampled_from(["JV", *partners])), "limit": draw(money),
                "rate": draw(st.integers(0, 15)) / 100, "start": month_str(a), "end": month_str(b),
                "capitalise_interest": draw(st.booleans()),
                "draw": draw(st.sampled_from(["as_needed", "as_needed", "upfront"])),
                "repay": {"kind": draw(st.sampled_from(["amortizing", "bullet"])),
                          "months": draw(st.integers(1, 24))},
                "upfront_fee": draw(st.sampled_from([0, 0.01])), "commitment_fee": draw(st.sampled_from([0, 0.005])),
                "source": SRC}
        if draw(st.booleans()):
            loan["max_ltc"] = draw(st.integers(30, 90)) / 100
        if draw(st.booleans()):  # a debt-service reserve
            loan["reserve_months"] = draw(st.integers(1, 6))
        if draw(st.booleans()):  # a cash sweep, DSCR covenants, or both
            loan["sweep"] = draw(st.sampled_from([0.25, 1.0]))
        if draw(st.booleans()):
            loan["covenants"] = {"lockup_dscr": draw(st.sampled_from([1.1, 2.0])), "default_dscr": 1.0, "source": SRC}
        if loan["draw"] == "as_needed" and draw(st.booleans()):  # converts when a site's last phase energizes
            loan["convert_at"] = {"site": draw(st.sampled_from(sorted(sites)))}
        instruments.append(loan)
        if draw(st.booleans()):  # a refinancing of it, drawn over some months from its maturity on
            c = b + loan["repay"]["months"] + draw(st.integers(-2, 2))
            lender = draw(st.sampled_from(["Bank", "Parent"]))
            instruments.append({"kind": "bridge_loan", "name": f"R{i}", "from": lender, "to": loan["to"],
                                "refinances": f"L{i}", "limit": draw(money),
                                "rate": draw(st.integers(0, 15)) / 100, "start": month_str(min(max(c, START), end)),
                                "end": month_str(min(max(c, START) + draw(st.integers(0, 3)), end)),
                                "capitalise_interest": draw(st.booleans()),
                                "repay": {"kind": "bullet", "months": draw(st.integers(1, 12))}, "source": SRC})

    contracts: list = []
    for name in sites:
        if draw(st.booleans()):
            contracts.append({"kind": "lease", "tenant": draw(st.sampled_from(["Tenant", *partners])),
                              "landlord": sites[name]["owner"], "site": name,
                              "rate_per_mw_month": draw(st.integers(0, 2_000_000)),
                              "term_years": draw(st.integers(1, 5)), "escalator": 0.02, "source": SRC})
        if draw(st.booleans()):
            contracts.append({"kind": "offtake", "buyer": draw(st.sampled_from(partners)), "seller": "JV",
                              "site": name, "rate_per_gpu_hour": draw(st.integers(0, 5)),
                              "utilization": 0.8, "term_years": 3, "source": SRC})
    for c in contracts:
        if c["kind"] == "lease" and c["tenant"] == c["landlord"]:
            c["tenant"] = "Tenant"
        if c["kind"] == "offtake" and c["buyer"] == c["seller"]:
            c["buyer"] = "Tenant"
    return yaml.safe_dump({
        "program": "generated", "horizon": {"start": month_str(START), "end": month_str(end)},
        "gap_policy": draw(st.sampled_from(["defer", "record"])), "entities": entities, "sites": sites,
        "instruments": instruments, "contracts": contracts}, sort_keys=False)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_invariants_hold_on_random_scenarios(text: str) -> None:
    r = fundcheck.run(load_text(text, "generated.yaml"))
    c = r.checks
    assert c.ok, c
    assert c.conservation_max_abs_usd <= c.tolerance_usd
    assert c.cash_corkscrew_max_abs_usd <= c.tolerance_usd
    assert c.loan_corkscrew_max_abs_usd <= c.tolerance_usd
    assert c.sources_uses_max_abs_usd <= c.tolerance_usd
    assert c.min_cash_usd >= -c.tolerance_usd  # no entity without an overdraft goes negative
    ds = r.dataset
    gap, new, carried = ds["entities.gap_usd"], ds["entities.new_gap_usd"], ds["entities.carried_usd"]
    assert (gap >= -1e-6).all() and (new >= -1e-6).all() and (new <= gap + 1e-6).all()
    # what is unpaid this month is either new or carried in: gap <= new need + carried
    assert (gap - new <= carried + 1e-3).all()
    # a facility passes its limit only by overdue interest (arrears), never by draws or capitalisation
    principal, overdue = ds["loans.principal_usd"], ds["loans.overdue_usd"]
    limit = ds["loans.limit_usd"]
    assert ((principal - overdue) <= limit + 1e-3).all()
    assert (principal >= -1e-3).all() and (overdue >= -1e-6).all()
    # a refinancing lends only what repays the loan it refinances, in the same month
    f = r.flows()
    for name in (n for n in r.plan.loans.index if n.startswith("R")):
        lent = f[(f.kind == "loan draw") & (f.label == name)].groupby("month").usd.sum()
        repaid = f[(f.kind == "principal") & (f.label == "L" + name[1:])].groupby("month").usd.sum()
        assert (lent <= repaid.reindex(lent.index, fill_value=0.0) + 1e-3).all()
    # a reserve is part of its entity's cash, never more, never negative
    res, cash_all = r.reserves(), r.cash()
    assert (res.to_numpy() >= -c.tolerance_usd).all()  # rounding only: -1.6e-9 USD on a $20M reserve was found
    assert (res.to_numpy() <= cash_all[list(res.columns)].clip(lower=0).to_numpy() + 1e-6).all()
    # a converting loan stops drawing by its own end
    assert (r.window_end() <= r.plan.loans.end).all()
    t = r.totals()
    assert t["funded_usd"] <= t["capex_usd"] + 1.0
    assert t["gap_usd"] >= 0
    # a phase never energizes before its plan
    delays = r.phases()["delay_months"].dropna()
    assert (delays >= 0).all()
    # sources = uses + change in cash, per funded entity over the horizon
    su = r.sources_and_uses()
    cash = r.cash()
    for e in r.funded_entities:
        mine = su[su.entity == e]
        opening = r.plan.entities.value("opening_cash_usd", r.plan.entities.id(e))
        change = cash[e].iloc[-1] - opening
        assert abs(mine[mine.side == "source"].usd.sum() - mine[mine.side == "use"].usd.sum() - change) < 1.0
        # the gap row counts every unpaid dollar once: the sum of new gaps, never a carried balance again
        assert mine[mine.side == "gap"].usd.sum() == pytest.approx(float(r.new_gap()[e].sum()), abs=1.0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(1, 5), st.integers(1, 2))
def test_paths_chunks_workers_and_record_modes_agree(text: str, chunk: int, workers: int) -> None:
    plan = compile_plan(load_text(text, "generated.yaml"))
    one = simulate(plan, 1)
    many = simulate(plan, 6, chunk=chunk, workers=workers)
    summary = simulate(plan, 6, record="summary", chunk=chunk, workers=workers)
    # every path of a deterministic plan equals the deterministic run, whatever the chunk and workers
    np.testing.assert_array_equal(many.full_record, np.repeat(one.full_record, 6, axis=0))
    np.testing.assert_array_equal(many.summary_record, np.repeat(one.summary_record, 6, axis=0))
    # `summary` keeps exactly what `full` reduces to
    np.testing.assert_array_equal(summary.summary_record, many.summary_record)
    np.testing.assert_array_equal(summary.summary_int_record, many.summary_int_record)
    assert run_checks(many).ok and run_checks(summary).ok
