"""`fundcheck simulate` and `fundcheck sensitivity` as a user runs them: figures printed, page and JSON written,
and one-line errors for mistakes."""

from __future__ import annotations

import json

import pytest


def test_simulate_prints_the_key_figures_and_writes_page_and_json(cli_here, tmp_path) -> None:
    done = cli_here("simulate", "stargate", "--paths", "300", "--seed", "1", "--fan-paths", "20",
                    "--alt", "capex-pro-rata", "--out", str(tmp_path), "--json", str(tmp_path / "mc.json"))
    assert done.returncode == 0, done.stderr
    assert "P(shortfall)" in done.stdout and "expected shortfall" in done.stdout and "Oracle" in done.stdout
    assert "capex shortfall pro rata" in done.stdout  # the modelling choice, next to the results
    page = (tmp_path / "montecarlo.html").read_text()
    assert page.count("<svg") >= 5 and "<script" not in page
    assert "pays its phases' capex <b>pro rata</b>" in page
    doc = json.loads((tmp_path / "mc.json").read_text())
    assert doc["paths"] == 300 and doc["seed"] == 1 and "se" in doc["p_shortfall"]["Oracle"]
    assert doc["capex_shortfall"] == "pro_rata" and doc["gap_policy"] == "defer"


def test_simulate_sobol_sampler_and_lhs_run(cli_here, tmp_path) -> None:
    for sampler in ("sobol", "lhs"):
        done = cli_here("simulate", "stargate", "--paths", "64", "--sampler", sampler, "--fan-paths", "0",
                        "--out", str(tmp_path))
        assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--paths", "0"], "--paths: found 0"),
    (["--sampler", "halton"], "--sampler: found 'halton'"),
    (["--dask", "tcp://127.0.0.1:9"], "--dask: cannot reach a Dask scheduler at tcp://127.0.0.1:9"),
])
def test_simulate_mistakes_are_one_line_and_status_2(cli_here, tmp_path, args, message) -> None:
    done = cli_here("simulate", "stargate", *args, "--out", str(tmp_path))
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_sensitivity_tornado_and_sobol(cli_here, tmp_path) -> None:
    done = cli_here("sensitivity", "stargate", "--method", "tornado", "--paths", "40", "--output", "gap",
                    "--out", str(tmp_path), "--json", str(tmp_path / "t.json"))
    assert done.returncode == 0, done.stderr
    rows = json.loads((tmp_path / "t.json").read_text())["inputs"]
    assert abs(rows[0]["swing"]) >= abs(rows[-1]["swing"])
    assert "<svg" in (tmp_path / "sensitivity.html").read_text()
    done = cli_here("sensitivity", "stargate", "--method", "sobol", "--paths", "16", "--output",
                    "p_shortfall:Oracle", "--out", str(tmp_path), "--json", str(tmp_path / "s.json"))
    assert done.returncode == 0, done.stderr
    doc = json.loads((tmp_path / "s.json").read_text())
    assert doc["runs"] == 16 * (doc["inputs_count"] + 2)
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(doc["inputs"][0])


@pytest.mark.parametrize(("args", "message"), [
    (["--method", "fast"], "--method: found 'fast'"),
    (["--output", "p_shortfall:Nobody"], "--output: no entity named 'Nobody'"),
    (["--output", "irr:OpenAI"], "needs per-path IRRs"),
])
def test_sensitivity_mistakes(cli_here, tmp_path, args, message) -> None:
    done = cli_here("sensitivity", "stargate", *args, "--out", str(tmp_path))
    assert done.returncode == 2 and message in done.stderr
