"""End-to-end tests of every `fundcheck` command, run as a user runs them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fundcheck.scenario import builtin_names


@pytest.fixture(scope="module")
def stargate_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path, dict]:
    from tests.conftest import run_cli

    folder = tmp_path_factory.mktemp("run")
    done = run_cli("run", "stargate", "--out", str(folder / "report"), "--json", str(folder / "r.json"))
    return done, folder, json.loads((folder / "r.json").read_text(), parse_constant=_no_constants)


def _no_constants(name: str) -> None:
    raise AssertionError(f"{name} in JSON: strict JSON has no NaN or Infinity")


def test_run_prints_the_summary_tables(stargate_run) -> None:
    done, _, _ = stargate_run
    assert done.returncode == 0, done.stderr
    for title in ("Sources and uses per funded entity", "Funding gap by quarter", "When each entity falls short",
                  "IT MW online at year end", "Committed, covered at signing and deployed"):
        assert title in done.stdout
    assert "all invariants hold" in done.stdout


def test_json_has_the_documented_schema(stargate_run) -> None:
    _, _, r = stargate_run
    assert r["schema_version"] == 2 and re.fullmatch(r"\d+\.\d+\.\d+", r["fundcheck_version"])
    assert r["program"] == "Stargate" and r["alternatives"] == [] and r["record"] == "full"
    months = r["months"]
    assert all(re.fullmatch(r"\d{4}-\d{2}", m) for m in months)
    assert months[0] == "2024-06" and months[-1] == "2034-12"
    assert set(r["totals"]) == {"capex_usd", "funded_usd", "gap_usd"}
    assert r["totals"]["funded_usd"] + r["totals"]["gap_usd"] == pytest.approx(r["totals"]["capex_usd"], abs=1)
    for name, e in r["entities"].items():
        for key in ("cash_usd", "need_usd", "gap_usd", "new_gap_usd", "carried_usd"):
            assert len(e[key]) == len(months), (name, key)
        assert e["first_shortfall"] is None or re.fullmatch(r"\d{4}-\d{2}", e["first_shortfall"])
        assert e["unpaid_total_usd"] == pytest.approx(sum(e["new_gap_usd"]), abs=len(months))
        assert e["unpaid_total_usd"] == pytest.approx(sum(e["unpaid_by_cause_usd"].values()), abs=1)
    assert r["entities"]["MGX"]["first_shortfall"] is None
    assert r["entities"]["SoftBank"]["first_shortfall"] is not None
    loan_keys = {"kind", "from", "to", "limit_usd", "drawn_usd", "capitalised_usd", "arrears_usd", "repaid_usd",
                 "interest_paid_usd", "max_principal_usd", "principal_usd", "overdue_usd", "swept_usd",
                 "covered_at_signing_usd"}
    equity_keys = {"kind", "from", "to", "amount_usd", "stake", "called_usd", "paid_usd", "missed_usd",
                   "covered_at_signing_usd"}
    for name, ins in r["instruments"].items():
        assert set(ins) == (equity_keys if ins["kind"] == "equity" else loan_keys), name
        if ins["kind"] != "equity":
            # a facility never passes its limit through draws and capitalised interest (arrears may add to it)
            assert ins["max_principal_usd"] <= ins["limit_usd"] + ins["arrears_usd"] + 1, name
    jpm = r["instruments"]["JPM phase 2"]
    assert jpm["limit_usd"] == 7.1e9 and jpm["drawn_usd"] + jpm["capitalised_usd"] <= 7.1e9 + 1
    abilene = r["sites"]["Abilene"]
    assert len(abilene["capex_usd"]) == len(months) and len(abilene["it_mw_online"]) == len(months)
    # phase 2 is never finished: its loans cannot pay the interest that used to push them past their limits
    assert abilene["energized_planned"] == "2026-06" and abilene["energized"] is None
    assert max(abilene["it_mw_online"]) == 206
    assert r["checks"]["ok"] is True and 0 <= r["checks"]["conservation_max_abs_usd"] < r["checks"]["tolerance_usd"]


def test_report_is_self_contained_with_its_charts(stargate_run) -> None:
    _, folder, _ = stargate_run
    html = (folder / "report" / "report.html").read_text()
    for chart in ("chart-capital-stack", "chart-cumulative", "chart-timeline", "chart-mw", "chart-runway-softbank"):
        assert f'id="{chart}"' in html
    assert "Every input and its source" in html
    assert 'id="chart-power-ordinary"' in html and "Control of Stargate JV" in html  # the JV's board (A4, A9)
    assert "SoftBank equity commitment (reported)" in html  # the text of fact A6 beside its use
    assert "<script" not in html and "<link" not in html
    assert not re.search(r"""src=["']?https?://""", html)  # nothing loaded from the network
    # web addresses only as the fact base's source links, which open in a new tab when clicked
    for tag in re.findall(r"""<[a-z]+[^>]*href=["']?https?://[^>]*>""", html):
        assert tag.startswith("<a ") and 'target="_blank" rel="noopener"' in tag, tag
    assert "<metadata>" not in html


def test_same_input_same_report(cli, tmp_path: Path, stargate_run) -> None:
    _, folder, _ = stargate_run
    done = cli("run", "stargate", "--out", str(tmp_path))
    assert done.returncode == 0
    assert (tmp_path / "report.html").read_bytes() == (folder / "report" / "report.html").read_bytes()


def test_default_output_folder(cli, tmp_path: Path) -> None:
    done = cli("run", "abilene", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "abilene" / "report.html").exists()


def test_alternative_is_recorded_and_gets_its_own_folder(cli, tmp_path: Path) -> None:
    done = cli("run", "abilene", "--alt", "ft-equity", "--json", "a.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "ft-equity" in done.stdout.splitlines()[0]  # the terminal header says which alternative ran
    r = json.loads((tmp_path / "a.json").read_text())
    assert r["alternatives"] == ["ft-equity"] and r["totals"]["gap_usd"] > 1e9
    page = (tmp_path / "out" / "abilene+ft-equity" / "report.html").read_text()
    assert "Alternatives applied: ft-equity" in page and "<title>fundcheck: Abilene campus + ft-equity" in page
    assert not (tmp_path / "out" / "abilene").exists()  # the central report is not overwritten


@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_runs_end_to_end(cli, tmp_path: Path, name: str) -> None:
    done = cli("run", name, "--out", str(tmp_path), "--json", str(tmp_path / "r.json"))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Warning" not in done.stderr
    assert json.loads((tmp_path / "r.json").read_text())["checks"]["conservation_max_abs_usd"] < 1


def test_scenarios_lists_each_builtin_on_one_line(cli) -> None:
    done = cli("scenarios")
    assert done.returncode == 0
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert {line.split()[0] for line in lines} >= {"abilene", "stargate"}


def test_validate_accepts_a_good_file(cli) -> None:
    done = cli("validate", "stargate")
    assert done.returncode == 0 and "valid scenario" in done.stdout


def test_new_writes_a_starter_that_validates_and_runs(cli, tmp_path: Path) -> None:
    done = cli("new", "My Campus", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    path = tmp_path / "my-campus.yaml"
    assert path.exists() and path.read_text().startswith("# My Campus")
    assert cli("validate", str(path)).returncode == 0
    ran = cli("run", str(path), "--out", str(tmp_path / "o"), "--json", str(tmp_path / "o.json"))
    assert ran.returncode == 0, ran.stderr
    assert json.loads((tmp_path / "o.json").read_text())["program"] == "My Campus"


def test_new_never_overwrites(cli, tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("my precious work")
    done = cli("new", "x", "--file", str(path))
    assert done.returncode == 2 and "already exists" in done.stderr
    assert path.read_text() == "my precious work"


def test_schema_is_json_schema_of_scenarios(cli) -> None:
    done = cli("schema")
    assert done.returncode == 0
    schema = json.loads(done.stdout)
    assert {"program", "horizon", "entities", "sites", "instruments", "contracts"} <= set(schema["properties"])
    assert "Loan" in schema["$defs"] and schema["$defs"]["Loan"]["properties"]["limit"]
    assert "from" in schema["$defs"]["Equity"]["properties"]  # aliases, as written in YAML
