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
    return done, folder, json.loads((folder / "r.json").read_text())


def test_run_prints_the_summary_tables(stargate_run) -> None:
    done, _, _ = stargate_run
    assert done.returncode == 0, done.stderr
    for title in ("Sources and uses per funded entity", "Funding gap by quarter", "When each entity falls short",
                  "IT MW online at year end", "Committed, secured and deployed money"):
        assert title in done.stdout
    assert "all invariants hold" in done.stdout


def test_json_has_the_documented_schema(stargate_run) -> None:
    _, _, r = stargate_run
    assert r["program"] == "Stargate"
    months = r["months"]
    assert all(re.fullmatch(r"\d{4}-\d{2}", m) for m in months)
    assert months[0] == "2024-06" and months[-1] == "2034-12"
    for key in ("capex_usd", "committed_usd", "funded_usd", "gap_usd", "secured_usd", "deployed_usd"):
        assert isinstance(r["totals"][key], float)
    assert r["totals"]["funded_usd"] + r["totals"]["gap_usd"] == pytest.approx(r["totals"]["capex_usd"], abs=1)
    assert r["totals"]["committed_usd"] == pytest.approx(722e9)  # sum of the instruments in stargate.yaml
    for name, e in r["entities"].items():
        assert len(e["cash_usd"]) == len(months) and len(e["gap_usd"]) == len(months), name
        assert e["first_shortfall"] is None or re.fullmatch(r"\d{4}-\d{2}", e["first_shortfall"])
    assert r["entities"]["MGX"]["first_shortfall"] is None
    assert r["entities"]["SoftBank"]["first_shortfall"] is not None
    abilene = r["sites"]["Abilene"]
    assert len(abilene["capex_usd"]) == len(months) and len(abilene["it_mw_online"]) == len(months)
    assert abilene["energized_planned"] == "2026-06" and abilene["energized"] == "2026-06"
    assert max(abilene["it_mw_online"]) == 1200
    assert 0 <= r["checks"]["conservation_max_abs_usd"] < 1


def test_report_is_self_contained_with_its_charts(stargate_run) -> None:
    _, folder, _ = stargate_run
    html = (folder / "report" / "report.html").read_text()
    for chart in ("chart-sources-uses", "chart-cumulative", "chart-cash", "chart-mw"):
        assert f'id="{chart}"' in html
    assert "Every input and its source" in html
    assert 'id="chart-power-ordinary"' in html and "Control of Stargate JV" in html  # the JV's board (A4, A9)
    assert "SoftBank equity commitment (reported)" in html  # the text of fact A6 beside its use
    assert "<script" not in html and "<link" not in html
    assert not re.search(r"""(src|href)=["']?https?://""", html)  # nothing loaded from the network
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


def test_alternative_changes_the_run(cli, tmp_path: Path) -> None:
    done = cli("run", "abilene", "--alt", "ft-equity", "--out", str(tmp_path), "--json", str(tmp_path / "a.json"))
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "a.json").read_text())["totals"]["gap_usd"] > 1e9


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
