"""Stakes that move with paid and missed capital calls, and the control they give, by hand."""

from __future__ import annotations

import numpy as np
import pytest

import fundcheck
from fundcheck.governance.control import control, seats_by_stake
from fundcheck.scenario import load_text

JV = """
program: dilution
horizon: {start: 2025-01, end: 2025-03}
entities:
  A: {kind: company, cash: {value: 100, source: "assumption: test"}}
  B: {kind: company, cash: {value: 50, source: "assumption: test"}}
  JV: {kind: spv, funding_priority: [equity]}
sites:
  S:
    owner: JV
    phases: [{name: p, it_mw: 1, start: 2025-01, months: 2, curve: linear, facility_capex: 200, it_capex: 0,
              source: "assumption: test"}]
instruments:
  - {kind: equity, from: A, to: JV, amount: 100, stake: 50%, source: "assumption: test"}
  - {kind: equity, from: B, to: JV, amount: 100, stake: 50%, source: "assumption: test"}
governance:
  JV:
    dilution: RULE
    bodies: [{name: owners, weights: stake, quota: majority}]
    matters: [{name: ordinary, bodies: [owners]}]
"""


@pytest.mark.parametrize(("rule", "a", "b"), [
    # Jan: calls 50/50, both pay. Feb: calls 50/50, A pays, B (cash spent) misses 50.
    ("none", 0.5, 0.5),  # as committed
    ("pro_rata", 2 / 3, 1 / 3),  # paid shares 100% and 50%: 0.5 x 1 : 0.5 x 0.5
    ("punitive", 1.0, 0.0),  # factor 2: B's 50 paid less 1 x 50 missed = 0 credited
])
def test_dilution_rules_by_hand(rule: str, a: float, b: float) -> None:
    r = fundcheck.run(load_text(JV.replace("RULE", rule), "jv.yaml"))
    ctrl = control(r, "JV")
    assert ctrl.stakes.loc["2025-01", "A"] == pytest.approx(0.5)
    assert ctrl.stakes.loc["2025-03", "A"] == pytest.approx(a)
    assert ctrl.stakes.loc["2025-03", "B"] == pytest.approx(b)
    dictator = ctrl.dictators("ordinary")
    assert dictator.loc["2025-03"] == (None if rule == "none" else "A")
    assert ctrl.vetoes["ordinary"]["2025-01"] == ["A", "B"]  # 50/50 under a strict majority: either blocks


def test_seats_by_largest_remainder() -> None:
    assert seats_by_stake(np.array([0.4, 0.4, 0.1, 0.1]), 5).tolist() == [2, 2, 1, 0]  # tie: first listed
    assert seats_by_stake(np.array([0.45, 0.35, 0.20]), 10).tolist() == [5, 3, 2]
    assert seats_by_stake(np.array([0.0, 0.0]), 3).tolist() == [0, 0]


def _power(alts: list[str]) -> tuple[dict, dict]:
    ctrl = control(fundcheck.run("openai-2017", alternatives=alts), "OpenAI for-profit")
    first = {m: {p: float(x) for p, x in zip(ctrl.parties, next(iter(snap.values())).shapley_shubik, strict=True)}
             for m, snap in ctrl.snapshots.items()}
    return first, {m: next(iter(v.values())) for m, v in ctrl.vetoes.items()}


def test_musk_at_fifty_percent_blocks_but_does_not_rule() -> None:
    power, vetoes = _power([])
    assert vetoes["reserved"] == ["Elon Musk"] and vetoes["ordinary"] == []
    assert max(power["ordinary"].values()) < 1


def test_musk_at_sixty_percent_is_a_dictator_unless_two_thirds_are_needed() -> None:
    power, _ = _power(["musk-60"])
    assert power["ordinary"]["Elon Musk"] == 1 and power["reserved"]["Elon Musk"] == 1
    power, vetoes = _power(["musk-60", "supermajority"])
    assert power["reserved"]["Elon Musk"] < 1 and vetoes["reserved"] == ["Elon Musk"]


def test_a_nonprofit_gp_takes_ordinary_control() -> None:
    power, vetoes = _power(["nonprofit-gp"])
    assert power["ordinary"]["OpenAI Nonprofit"] == 1
    assert "OpenAI Nonprofit" in vetoes["reserved"]


def test_stargate_control_moves_to_openai_as_softbank_misses_calls() -> None:
    ctrl = control(fundcheck.run("stargate"), "Stargate JV")
    assert ctrl.stakes.iloc[0].to_dict() == pytest.approx({"SoftBank": 0.4, "OpenAI": 0.4, "Oracle": 0.1, "MGX": 0.1})
    # all $19B called, $11.6B paid, the others in full: credited share f = paid / called, and the stake
    # 0.4 f / (0.4 f + 0.6) (pro rata, rescaled to the committed 100%): about 28.9%
    r = fundcheck.run("stargate")
    eq = r.instruments()["equity SoftBank -> Stargate JV"]
    f = eq["paid_usd"] / eq["called_usd"]
    assert eq["called_usd"] == pytest.approx(19e9, rel=1e-9) and f == pytest.approx(0.609, abs=1e-3)
    assert ctrl.stakes["SoftBank"].iloc[-1] == pytest.approx(0.4 * f / (0.4 * f + 0.6), rel=1e-9)
    assert ctrl.dictators("ordinary").dropna().empty  # OpenAI at 47% has no majority of the board alone
    harsh = control(fundcheck.run("stargate", alternatives=["punitive-dilution"]), "Stargate JV")
    assert harsh.stakes["SoftBank"].iloc[-1] < ctrl.stakes["SoftBank"].iloc[-1]
    dictator = harsh.dictators("ordinary").dropna()
    assert dictator.iloc[0] == "OpenAI" and dictator.index[0] == "2027-05"
