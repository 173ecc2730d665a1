"""Regression tests for the claims-ledger audit (defects 1-16); expectations worked out by hand in comments."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from fundcheck.claims.check import check_ledger, violated
from fundcheck.claims.compile import compile_system
from fundcheck.claims.export import claim_review
from fundcheck.claims.ledger import read_ledger, read_ledger_text
from fundcheck.claims.records import month_index, parse_claim
from fundcheck.claims.store import Store
from fundcheck.errors import ScenarioError
from tests.conftest import run_cli_here

AS_OF = dt.date(2026, 11, 30)  # forecasts are judged as of this date in these tests


@pytest.fixture(scope="module")
def sg():
    return check_ledger(read_ledger("stargate"), today=AS_OF)


def _ledger(*claims: str, scenario: str = "stargate") -> str:
    return f"ledger: t\nscenario: {scenario}\nclaims:\n" + "".join(f"  - {c}\n" for c in claims)


# --- 1: a phase that never energizes is counted (NaN, not None, in pandas 3) ---------------------------------

def test_never_energized_phase_is_counted_and_delayed(sg):
    from fundcheck.claims.answer import world_line

    for w in sg.worlds:
        assert w.outcome["never_energized"] == ["Abilene: phase 2"]
        # planned energization 2026-06 = month 24 of the horizon 2024-06..2034-12 (127 months): at least
        # 127 - 24 = 103 months late
        assert w.outcome["max_delay_months"] == 103 and w.outcome["max_delay_at_least"]
    assert "1 phase(s) never energize (Abilene: phase 2)" in world_line(sg.worlds[0])


# --- 2: JV-level words are named as not modelled; the same gap is explained ------------------------------------

def test_jv_words_are_listed_as_not_modelled_and_the_same_gap_is_explained(sg):
    from fundcheck.claims.answer import answer_lines

    w1 = next(w for w in sg.worlds if {"M1.100", "A26"} <= set(w.keeps))
    assert "M1.100 secured(Stargate JV)@2025-01 < $100B" in w1.conditioned.not_modelled
    assert "A26 raised(Stargate JV)@2025-01 = $100B" in w1.conditioned.not_modelled
    # every input the kept claims bind is set in the run, even where it equals the scenario's
    for name, value in {"equity.equity SoftBank -> Stargate JV.amount_usd": 19e9,
                        "equity.JV preferred and mezzanine.amount_usd": 100e9,
                        "entities.Oracle.opening_cash_usd": 11e9}.items():
        assert w1.conditioned.values[name] == pytest.approx(value)
    lines = answer_lines(sg)
    assert "In every world the build is short by the same $33.2B." in lines[2]
    assert "All of it is Abilene: phase 2 (facility Abilene JV, IT Oracle)" in lines[2]
    assert "$33.2B to $33.2B" not in "\n".join(lines)
    assert "In every world the build is short" not in lines[2].split(".")[1]


# --- 3: claims about model outputs are checked against the run -----------------------------------------------

def test_result_claims_are_checked_against_the_model():
    from fundcheck.claims.answer import answer_lines, report_lines

    # Abilene phase 1 is 206 MW and energizes 2025-06 in the scenario: by 2025-07 the site has 206 MW online
    text = _ledger('{id: z, said: 2025-07, quantity: "sites.Abilene.it_mw_online@2025-07", relation: "=", '
                   'value: 0, unit: MW}',
                   '{id: p, said: 2025-07, quantity: "phases.Abilene: phase 1.energized", relation: "=", '
                   'value: 2025-06, unit: month}')
    check = check_ledger(read_ledger_text(text, "t.yaml"))
    assert check.consistent and check.uncontested == ["z", "p"]  # claim against claim: no conflict
    w = check.worlds[0]
    assert (w.evaluations["z"], w.model_values["z"]) == ("fails", "206 MW")
    assert (w.evaluations["p"], w.model_values["p"]) == ("held", "2025-06")
    out = "\n".join(answer_lines(check) + report_lines(check))
    assert "sites.Abilene.it_mw_online@2025-07 = 0 MW: contradicted by the model in every world (model: 206 MW)" \
        in out
    assert "Consistent with the model and every other claim" not in out


def test_deployed_is_a_model_output(sg):
    # the JV owns Lordstown, whose facility capex starts before 2025-07: deployed(JV)@2025-07 > 0 in the model,
    # so WSJ's "nothing deployed by 2025-07" (A24) is contradicted by the model in every world, and the FT's
    # "nothing by 2025-05" (A22) is consistent (no JV capex is paid before 2025-06)
    assert all(w.evaluations["A24"] == "fails" for w in sg.worlds)
    assert all(w.evaluations["A22"] == "held" and w.model_values["A22"] == "$0B" for w in sg.worlds)


# --- 4: a world never runs with inputs that break a claim it keeps ---------------------------------------------

def test_worlds_keep_their_claims_in_the_run(sg):
    for w in sg.worlds:
        assert violated(sg.system, w.keeps, w.conditioned.values) == []
    w = next(w for w in sg.worlds if {"A6", "A12.commitment"} <= set(w.keeps))
    # A6 says SoftBank committed $19B; Musk's secured < $10B cannot cap it: the run keeps $19B and says why
    assert w.conditioned.values["equity.equity SoftBank -> Stargate JV.amount_usd"] == pytest.approx(19e9)
    assert any("not capped because A6 fixes its commitment" in t for t in w.conditioned.not_modelled)


def test_a_cap_comes_from_a_kept_claim_and_is_named():
    text = _ledger('{id: m, said: 2025-01, definition: secured.commitment, subject: SoftBank, as_of: 2025-01, '
                   'relation: "<", value: $10B, unit: USD}')
    check = check_ledger(read_ledger_text(text, "t.yaml"))
    w = check.worlds[0]
    # < $10B with a margin of 1e-9 x 10 ($B) = $10: the commitment is capped at $9,999,999,990
    assert w.inputs["equity.equity SoftBank -> Stargate JV.amount_usd"] == pytest.approx(9_999_999_990, abs=1)
    assert len(w.conditioned.caps) == 1 and "from m (< $10B)" in w.conditioned.caps[0]


# --- 5: wording when there is no gap --------------------------------------------------------------------------

def test_no_gap_is_not_called_short():
    from fundcheck.claims.answer import answer_lines

    # a $60B JPM phase 2 facility pays all of Abilene phase 2 ($44.7B of capex): no gap in the one world
    text = _ledger('{id: j, said: 2025-01, quantity: "loans.JPM phase 2.limit_usd", relation: ">=", value: $60B, '
                   'unit: USD}')
    lines = answer_lines(check_ledger(read_ledger_text(text, "t.yaml")))
    assert lines[2] == "In no world is the build short: the funding gap is $0 in all 1 world(s)."


# --- 6, 7: months are whole; strict margins are relative -------------------------------------------------------

def _claim(**kw):
    claim, problems = parse_claim({"id": "x", "said": "2025-01", **kw}, "t.yaml")
    return claim, problems


def test_month_tolerance_is_in_months():
    claim, _ = _claim(quantity="phases.Abilene: phase 2.energized", relation="~", value="2026-07", tolerance=2,
                      unit="month")
    assert (claim.low, claim.high) == (month_index("2026-05"), month_index("2026-09"))
    claim, _ = _claim(quantity="phases.Abilene: phase 2.energized", relation="~", value="2026-07", unit="month")
    assert claim.low == claim.high == 2026 * 12 + 6  # default: exactly that month
    claim, problems = _claim(quantity="phases.Abilene: phase 2.energized", relation="~", value="2026-07",
                             tolerance="5%", unit="month")
    assert claim is None and "not a percentage" in problems[0].message and "(x)" in problems[0].field


def test_strict_relations_on_months_and_fractions():
    text = _ledger(*[f'{{id: {i}, said: 2025-01, quantity: "{q}", relation: "{r}", value: {v}, unit: {u}}}'
                     for i, q, r, v, u in [
                         ("m1", "phases.Abilene: phase 2.energized", ">", "2026-04", "month"),
                         ("m2", "phases.Abilene: phase 2.energized", "<", "2026-05", "month"),
                         ("s1", "equity.equity SoftBank -> Stargate JV.stake", "<", "40%", "fraction"),
                         ("s2", "equity.equity SoftBank -> Stargate JV.stake", "=", "40%", "fraction"),
                         ("s3", "equity.equity SoftBank -> Stargate JV.stake", ">", "39.99%", "fraction"),
                         ("c1", "entities.SoftBank.opening_cash_usd", "<", "$10B", "USD"),
                         ("c2", "entities.SoftBank.opening_cash_usd", "=", "$10B", "USD")]])
    led = read_ledger_text(text, "t.yaml")
    system = compile_system(led.claims, led.names)
    assert not system.feasible(["m1", "m2"])      # > 2026-04 is >= 2026-05; < 2026-05 is <= 2026-04
    assert system.feasible(["s1", "s3"])          # 39.99% < s < 40% has room
    assert not system.feasible(["s1", "s2"])
    assert not system.feasible(["c1", "c2"])      # < $10B and = $10B


# --- 8-12: the database and the commands -----------------------------------------------------------------------

_EDIT = textwrap.dedent("""
    import sys, time
    import fundcheck.claims.ledger as L, fundcheck.claims.store as S
    real = L.ledger_from_data
    def slow(*a, **k):
        time.sleep(1.0)
        return real(*a, **k)
    L.ledger_from_data = slow
    S.ledger_from_data = slow
    from fundcheck import cli
    sys.argv = ["fundcheck", "claims", "edit", "A6", "--ledger", "stargate", "--db", sys.argv[1], "--set",
                sys.argv[2]]
    cli.main()
""")


def test_two_concurrent_edits_of_different_fields_both_survive(tmp_path):
    db = tmp_path / "c.sqlite"
    with Store(db) as store:
        store.save(read_ledger("stargate"))
    procs = [subprocess.Popen([sys.executable, "-c", _EDIT, str(db), change], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for change in ("confidence=H", "note=edited by two")]
    for p in procs:
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err.decode()
    with Store(db) as store:
        a6 = store.load("stargate").by_id()["A6"]
        assert (a6.confidence, a6.note) == ("H", "edited by two")
        assert len(store.revisions("stargate", "A6")) == 3


def test_import_with_another_scenario_is_refused(tmp_path):
    db = tmp_path / "c.sqlite"
    with Store(db) as store:
        store.save(read_ledger("stargate"))
        before = store.count()
    other = tmp_path / "o.yaml"
    other.write_text(_ledger('{id: Z1, said: 2025-01-23, quantity: entities.Crusoe.opening_cash_usd, '
                             'relation: "=", value: $3B, unit: USD}', scenario="abilene").replace("ledger: t",
                                                                                                  "ledger: stargate"))
    done = run_cli_here("claims", "import", str(other), "--db", str(db))
    assert done.returncode == 2 and "belongs to scenario 'stargate'" in done.stderr
    with Store(db) as store:
        assert store.count() == before and store.scenario_of("stargate") == "stargate"


def _hash(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_read_only_commands_leave_a_foreign_or_existing_file_unchanged(tmp_path):
    foreign = tmp_path / "f.sqlite"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    digest = _hash(foreign)
    for args in (["list", "stargate"], ["show", "A6", "--revisions"], ["check", "stargate"],
                 ["worlds", "stargate"], ["timeline", "stargate"], ["export", "stargate", "--to",
                                                                    str(tmp_path / "e.yaml")]):
        done = run_cli_here("claims", *args, "--db", str(foreign))
        assert done.returncode == 2 and "without fundcheck's claims tables" in done.stderr, args
    assert _hash(foreign) == digest
    db = tmp_path / "c.sqlite"
    with Store(db) as store:
        store.save(read_ledger("stargate"))
    digest = _hash(db)
    assert run_cli_here("claims", "list", "stargate", "--db", str(db)).returncode == 0
    assert _hash(db) == digest


def test_edit_with_a_bad_date_or_a_new_id_is_one_clear_line(tmp_path):
    db = tmp_path / "c.sqlite"
    done = run_cli_here("claims", "edit", "A6", "--set", "said=2025-02-30", "--db", str(db))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "said" in done.stderr and "2025-02-30" in done.stderr
    done = run_cli_here("claims", "edit", "A6", "--set", "id=A6bis", "--db", str(db))
    assert done.returncode == 2 and "cannot change" in done.stderr
    with Store(db) as store:
        assert "A6bis" not in store.load("stargate").by_id()


# --- 13: ClaimReview --------------------------------------------------------------------------------------------

def test_claim_review_has_ratings_types_and_no_empty_url():
    text = _ledger('{id: a, said: 2025-01-22, speaker: OpenAI, speaker_kind: organization, definition: committed, '
                   'subject: SoftBank, relation: "=", value: $19B, unit: USD}',
                   '{id: b, said: 2025-01-23, speaker: Sam Altman, url: "https://x.example/a", definition: committed, '
                   'subject: SoftBank, relation: "=", value: $20B, unit: USD}')
    led = read_ledger_text(text, "t.yaml")
    graph = claim_review(led, check_ledger(led, run=False))["@graph"]
    a, b = graph
    assert a["itemReviewed"]["author"]["@type"] == "Organization"
    assert b["itemReviewed"]["author"]["@type"] == "Person"
    assert "appearance" not in a["itemReviewed"] and b["itemReviewed"]["appearance"]["url"] == "https://x.example/a"
    assert a["reviewRating"]["ratingValue"] == 2 and a["reviewRating"]["bestRating"] == 3
    assert "cannot all hold with b" in a["reviewRating"]["alternateName"]
    assert "SoftBank" in a["claimReviewed"] and "2025-01-22" in a["claimReviewed"]
    assert a["claimReviewed"] != b["claimReviewed"]


# --- 16: smaller ------------------------------------------------------------------------------------------------

def test_mixed_units_give_one_error_and_parse_errors_name_the_claim(tmp_path):
    mixed = _ledger('{id: a, said: 2025-01-22, quantity: [entities.SoftBank.opening_cash_usd, '
                    '"phases.Abilene: phase 1.it_mw"], relation: "=", value: $24.3B, unit: USD}')
    with pytest.raises(ScenarioError) as info:
        read_ledger_text(mixed, "t.yaml")
    lines = str(info.value).splitlines()
    assert len(lines) == 1 and "(a)" in lines[0] and "different units (MW, USD)" in lines[0]
    bad = _ledger('{id: X1, said: 2025-01-22, quantity: entities.SoftBank.opening_cash_usd, relation: "~", '
                  'value: $5B, tolerance: abc, unit: USD}')
    with pytest.raises(ScenarioError, match=r"claims\[0\]\.tolerance \(X1\)"):
        read_ledger_text(bad, "t.yaml")


def test_json_summaries_of_writes(tmp_path):
    db, out = tmp_path / "c.sqlite", tmp_path / "w.json"
    new = tmp_path / "n.yaml"
    new.write_text('{id: N1, said: 2025-02-01, definition: committed, subject: SoftBank, relation: "=", '
                   'value: $19B, unit: USD}\n')
    assert run_cli_here("claims", "add", str(new), "--db", str(db), "--json", str(out)).returncode == 0
    assert json.loads(out.read_text())["claims"] == ["N1"]
    assert run_cli_here("claims", "edit", "N1", "--set", "value=$20B", "--db", str(db), "--json",
                        str(out)).returncode == 0
    assert json.loads(out.read_text())["revisions_added"] == 1


# --- 14: the Stargate ledger's sources ---------------------------------------------------------------------------

def test_stargate_ledger_sources(sg):
    from fundcheck.claims.answer import report_lines

    claims = read_ledger("stargate").by_id()
    assert claims["B14.size"].quantity == ("phases.Milam County: site.it_mw",)
    assert (claims["B14.size"].low, claims["B14.size"].high) == (1200.0, 1200.0)  # 1.2 GW = 1,200 MW
    assert claims["A1"].speaker == "Donald Trump"                     # per the seed article
    assert claims["A6"].quote_kind == "paraphrase"
    assert "inference" in claims["A26"].note
    assert claims["K.2017.refusal"].quote == "머스크에게 일방적인 권력을 부여하는 것은 조직의 목표와 맞지 않는다"
    assert {"K.NYT.unusual", "K.industry", "K.investor"} <= set(claims)
    graph = {r["identifier"]: r for r in claim_review(read_ledger("stargate"), sg)["@graph"]}
    assert "text" not in graph["A6"]["itemReviewed"] and "paraphrase" in graph["A6"]["itemReviewed"]["description"]
    assert any(line.strip().startswith("B9.forecast") and "not computed by the model" in line
               for line in report_lines(sg))


@pytest.mark.parametrize(("text", "line", "says"), [
    ("ledger: mine\nscenario: stargate\n", 1, "found no `claims:`"),
    ("ledger: mine\nclaims: 5\n", 2, "expected a list of claims"),
    ("ledger: mine\nclaims:\n  a: 1\n", 2, "expected a list of claims"),
])
def test_a_ledger_without_a_list_of_claims_names_a_line(text: str, line: int, says: str) -> None:
    # found by the ledger fuzzer: a ledger whose `claims:` was gone gave an error with no line
    with pytest.raises(ScenarioError) as caught:
        read_ledger_text(text, "l.yaml")
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.field) == ("l.yaml", line, "claims")
    assert says in problem.message
