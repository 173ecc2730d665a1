"""The claims database (round trips, revisions, concurrent writers, bad files) and the `claims` commands."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest

from fundcheck.claims.ledger import read_ledger, read_ledger_text
from fundcheck.claims.store import Store
from fundcheck.errors import ScenarioError, UsageError
from tests.conftest import run_cli_here

ONE = """claims:
  - id: X{n}
    said: 2025-02-01
    speaker: tester
    definition: committed
    subject: SoftBank
    relation: "="
    value: $19B
    unit: USD
"""


def test_round_trip_and_revisions(tmp_path):
    db = tmp_path / "c.sqlite"
    ledger = read_ledger("stargate")
    with Store(db) as store:
        assert store.save(ledger) == len(ledger.claims)
        assert store.save(ledger) == 0  # unchanged: no new revision
        back = store.load("stargate")
        assert [c.to_dict() for c in back.claims] == [c.to_dict() for c in ledger.claims]
    code = run_cli_here("claims", "edit", "A6", "--set", "value=$20B", "--db", str(db), "--ledger", "stargate")
    assert code.returncode == 0, code.stderr
    with Store(db) as store:
        revs = store.revisions("stargate", "A6")
        assert [r["claim"]["value"] for r in revs] == ["$19B", "$20B"]
        with pytest.raises(sqlite3.DatabaseError):  # append-only
            store._conn.execute("DELETE FROM revisions")
    done = run_cli_here("claims", "show", "A6", "--revisions", "--db", str(db), "--ledger", "stargate")
    assert "revisions: 2" in done.stdout


def test_two_writers_lose_nothing(tmp_path):
    db = tmp_path / "c.sqlite"
    Store(db).close()
    names = read_ledger("stargate").names  # warm the cache before the threads

    def write(k: int) -> None:
        from fundcheck.claims.ledger import ledger_from_data

        with Store(db) as store:
            for n in range(10):
                led = read_ledger_text(ONE.format(n=f"{k}-{n}"), "one.yaml")
                led.name = "shared"
                store.save(ledger_from_data(led.to_data(), "x"))
    del names
    threads = [threading.Thread(target=write, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Store(db) as store:
        assert store.count("shared") == 20
        assert {c.id for c in store.load("shared").claims} == {f"X{k}-{n}" for k in range(2) for n in range(10)}


def test_corrupt_and_locked_files(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(UsageError, match="not a fundcheck claims database"):
        Store(bad)
    db = tmp_path / "c.sqlite"
    Store(db).close()
    locker = sqlite3.connect(db, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    import fundcheck.claims.store as store_module

    old = store_module.BUSY_TIMEOUT_S
    store_module.BUSY_TIMEOUT_S = 0.2
    try:
        with pytest.raises(UsageError, match="locked"):
            Store(db)
    finally:
        store_module.BUSY_TIMEOUT_S = old
        locker.execute("ROLLBACK")
        locker.close()


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("quantity", "entities.Nobody.cash_usd@2025-01", "no entities row named 'Nobody'"),
    ("unit", "MW", "its quantity is in USD"),
    ("said", "2025-13-45", "cannot read '2025-13-45' as a date"),
    ("value", "", "has no value"),
    ("definition", "pledged", "is not in the registry"),
])
def test_bad_claims_are_located_and_a_failed_import_loses_nothing(tmp_path, field, value, expected):
    db = tmp_path / "c.sqlite"
    ok = tmp_path / "ok.yaml"
    ok.write_text(ONE.format(n=1))
    assert run_cli_here("claims", "import", str(ok), "--ledger", "mine", "--db", str(db)).returncode == 0
    claim = {"id": "Y", "said": "2025-02-01", "definition": "committed", "subject": "SoftBank", "relation": "<",
             "value": "$5B", "unit": "USD"}
    if field == "quantity":
        claim.pop("definition"), claim.pop("subject")
    claim[field] = value
    text = "claims:\n" + ONE.format(n=2).split("claims:\n")[1] + "  - " + json.dumps(claim) + "\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(ScenarioError, match=expected):
        read_ledger_text(text, str(bad))
    done = run_cli_here("claims", "import", str(bad), "--ledger", "mine", "--db", str(db))
    assert done.returncode == 2 and f"{bad}:" in done.stderr and expected in done.stderr
    with Store(db) as store:
        assert store.count("mine") == 1 and [c.id for c in store.load("mine").claims] == ["X1"]


def test_cli_subcommands(tmp_path):
    db = tmp_path / "c.sqlite"
    listed = run_cli_here("claims", "list", "stargate", "--db", str(db))
    assert listed.returncode == 0 and "A12.commitment" in listed.stdout
    assert "Musk resigns" in run_cli_here("claims", "timeline", "stargate").stdout
    out = tmp_path / "out.json"
    done = run_cli_here("claims", "check", "stargate", "--json", str(out), "--out", str(tmp_path / "page"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Do they actually have the money?")
    data = json.loads(out.read_text())
    assert data["consistent"] is False
    assert ["A12.commitment", "A13"] in data["conflicts"] and data["corrections"]
    assert all(isinstance(c, list) for c in data["corrections"])
    assert "Claims by world" in (tmp_path / "page" / "claims.html").read_text()
    for ext in ("yaml", "json", "jsonld"):
        target = tmp_path / f"e.{ext}"
        assert run_cli_here("claims", "export", "stargate", "--to", str(target)).returncode == 0
    assert json.loads((tmp_path / "e.jsonld").read_text())["@graph"][0]["@type"] == "ClaimReview"
    back = run_cli_here("claims", "list", str(tmp_path / "e.yaml"))
    assert back.returncode == 0 and "A12.commitment" in back.stdout
    new = tmp_path / "new.yaml"
    new.write_text(ONE.format(n=9))
    assert run_cli_here("claims", "add", str(new), "--ledger", "stargate", "--db", str(db)).returncode == 0
    again = run_cli_here("claims", "add", str(new), "--ledger", "stargate", "--db", str(db))
    assert again.returncode == 2 and "already has a claim 'X9'" in again.stderr
    assert "X9" in run_cli_here("claims", "list", "stargate", "--db", str(db)).stdout
    worlds = run_cli_here("claims", "worlds", "stargate", "--db", str(db))
    assert worlds.returncode == 0 and "W1" in worlds.stdout
    missing = run_cli_here("claims", "check", "nosuch")
    assert missing.returncode == 2 and "neither a built-in ledger" in missing.stderr
    assert Path(db).exists()
