"""`fundcheck power`, `waterfall` and `control` end to end, with their JSON and their errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fundcheck.scenario import builtin_path


def test_power_json_for_the_eec_council(cli, tmp_path: Path) -> None:
    done = cli("power", "--quota", "12", "--weights", "4,4,4,2,2,1", "--names", "DE,FR,IT,BE,NL,LU",
               "--json", str(tmp_path / "p.json"))
    assert done.returncode == 0, done.stderr
    assert "powerless: LU" in done.stdout
    r = json.loads((tmp_path / "p.json").read_text())
    assert r["banzhaf_swings"] == [10, 10, 10, 6, 6, 0]
    assert r["banzhaf"] == pytest.approx([5 / 21] * 3 + [1 / 7] * 2 + [0])  # Britannica Guide, p. 194
    assert r["shapley_shubik"] == pytest.approx([7 / 30] * 3 + [3 / 20] * 2 + [0])
    assert r["exact"]["banzhaf"][0] == "5/21"


def test_power_accepts_stakes_and_shares(cli, tmp_path: Path) -> None:
    done = cli("power", "--quota", "majority", "--weights", "0.6,0.2,0.2", "--names", "Musk,Altman,Brockman",
               "--json", str(tmp_path / "p.json"))
    assert done.returncode == 0, done.stderr
    r = json.loads((tmp_path / "p.json").read_text())
    assert r["dictator"] == "Musk" and r["shapley_shubik"] == [1.0, 0.0, 0.0]


@pytest.mark.parametrize(("args", "words"), [
    (["--quota", "3", "--weights", "2,-1,2"], "expected weights of zero or more"),
    (["--quota", "9", "--weights", "2,2,2"], "above the total weight 6"),
    (["--quota", "maybe", "--weights", "2,2"], "cannot read 'maybe'"),
    (["--quota", "2", "--weights", "1,1", "--names", "a"], "1 names for 2 parties"),
    (["--quota", "11", "--weights", ",".join(["1"] * 21), "--method", "enumerate"], "up to 20 parties"),
])
def test_power_bad_input(cli, args: list[str], words: str) -> None:
    done = cli("power", *args)
    assert done.returncode == 2 and words in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_waterfall_sweep_writes_breakpoints_and_a_chart(cli, tmp_path: Path) -> None:
    done = cli("waterfall", "openai-lp-2019", "--sweep", "0:2T", "--out", str(tmp_path), "--json",
               str(tmp_path / "w.json"))
    assert done.returncode == 0, done.stderr
    r = json.loads((tmp_path / "w.json").read_text())["waterfalls"]["OpenAI LP"]
    assert r["parties"]["Microsoft"]["received_usd"] == pytest.approx(245e9)  # 49% of the $500B exit (G10)
    assert r["sweep"]["breakpoints_usd"] == pytest.approx([500e9, 260e9 / 0.49], abs=2e4)
    assert len(r["sweep"]["exit_usd"]) == len(r["sweep"]["payouts_usd"]["Microsoft"]) == 401
    html = (tmp_path / "waterfall-openai-lp.html").read_text()
    assert 'id="chart-payout"' in html and "Breakpoints" in html


def test_waterfall_compares_structures_at_one_exit(cli, tmp_path: Path) -> None:
    lp = cli("waterfall", "openai-lp-2019", "--exit-value", "1T", "--json", str(tmp_path / "lp.json"),
             "--out", str(tmp_path))
    pbc = cli("waterfall", "openai-pbc-2025", "--exit-value", "1T", "--json", str(tmp_path / "pbc.json"),
              "--out", str(tmp_path))
    assert lp.returncode == 0 and pbc.returncode == 0
    lp_r = json.loads((tmp_path / "lp.json").read_text())["waterfalls"]["OpenAI LP"]["parties"]
    pbc_r = json.loads((tmp_path / "pbc.json").read_text())["waterfalls"]["OpenAI Group PBC"]["parties"]
    assert lp_r["Microsoft"]["received_usd"] == pytest.approx(260e9)
    assert pbc_r["Microsoft"]["received_usd"] == pytest.approx(270e9)


def test_control_json_and_page(cli, tmp_path: Path) -> None:
    done = cli("control", "stargate", "--alt", "punitive-dilution", "--out", str(tmp_path), "--json",
               str(tmp_path / "c.json"))
    assert done.returncode == 0, done.stderr
    assert "OpenAI decides ordinary matters alone from 2027-05" in done.stdout
    r = json.loads((tmp_path / "c.json").read_text())["entities"]["Stargate JV"]
    assert r["stakes"]["SoftBank"][0] == 0.4 and r["stakes"]["SoftBank"][-1] < 0.2
    assert len(r["matters"]["ordinary"]["shapley_shubik"]["OpenAI"]) == len(r["months"])
    assert 'id="chart-power-ordinary"' in (tmp_path / "control-stargate-jv.html").read_text()


BAD_WATERFALL = [
    ("tiers out of order", "      - {kind: split, by: stake,",
     "      - {kind: preferred_return, until: {irr: 8%}}\n      - {kind: return_of_capital}\n"
     "      - {kind: split, by: stake,", "tiers out of order: return_of_capital after preferred_return"),
    ("cap below 1x", "First-round investors: {value: 100, source: G2}",
     "First-round investors: {value: 0.5, source: G2}", "a cap of 0.5x would take back capital"),
    ("beneficiary not a party", "beneficiary: OpenAI Nonprofit", "beneficiary: Elon Musk",
     "the beneficiary 'Elon Musk' is not a party of this waterfall"),
]


@pytest.mark.parametrize(("name", "old", "new", "words"), BAD_WATERFALL, ids=[b[0] for b in BAD_WATERFALL])
def test_bad_waterfalls_are_located_errors(cli, tmp_path: Path, name: str, old: str, new: str, words: str) -> None:
    text = builtin_path("openai-lp-2019").read_text()
    assert old in text
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(old, new, 1))
    done = cli("validate", str(path))
    assert done.returncode == 2, done.stdout
    assert words in done.stderr and "waterfalls.OpenAI LP" in done.stderr and f"{path}:" in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_governance_is_a_located_error(cli, tmp_path: Path) -> None:
    text = builtin_path("openai-2017").read_text().replace("bodies: [board], source", "bodies: [bord], source", 1)
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    done = cli("validate", str(path))
    assert done.returncode == 2 and "no body named 'bord'" in done.stderr


def test_entity_without_a_waterfall(cli) -> None:
    done = cli("waterfall", "stargate")
    assert done.returncode == 2 and "has no waterfall" in done.stderr
