"""`fundcheck claims ...`: the claims ledger (issue 9).

Where a ledger comes from: a file path (YAML or JSON) is read as it is; otherwise a name is read from the
database (``--db``, default in the user's data folder) when it holds that ledger, else from the built-in
ledgers. Commands that write (add, edit, import) write to the database, seeding it from the built-in ledger
of that name on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fundcheck.cli.commands import app
from fundcheck.cli.common import check_file, check_folder, fail, say, write_json, writing
from fundcheck.errors import FundcheckError, UsageError

claims_app = typer.Typer(no_args_is_help=True, help="Sourced public claims: list, check, worlds, timeline.")
app.add_typer(claims_app, name="claims")

LedgerArg = Annotated[str | None, typer.Argument(help="ledger: a built-in name (stargate), a name in the database, "
                                                      "or a YAML/JSON file")]
LedgerOpt = Annotated[str | None, typer.Option("--ledger", help="the same as the LEDGER argument")]
DbOpt = Annotated[Path | None, typer.Option("--db", help="the claims database [default: user data folder]")]
JsonOpt = Annotated[Path | None, typer.Option("--json", help="also write machine-readable output here")]
PathsOpt = Annotated[int | None, typer.Option("--paths", help="Monte Carlo paths per world, conditioned on the world "
                                              "[default: none, deterministic worlds only]")]
SeedOpt = Annotated[int, typer.Option("--seed", help="random seed (the same draws in every world)")]
SamplerOpt = Annotated[str, typer.Option("--sampler", help="random, lhs or sobol")]
FullOpt = Annotated[int, typer.Option("--full-paths", help="accepted paths per world run with monthly records, "
                                      "for forecasts the summary record cannot answer")]
WorkersOpt = Annotated[int, typer.Option("--workers", help="engine threads")]


def _name(arg: str | None, opt: str | None) -> str:
    if arg and opt and arg != opt:
        raise UsageError(f"give the ledger once: found '{arg}' and --ledger '{opt}'")
    return arg or opt or "stargate"


def _db(db: Path | None) -> Path:
    from fundcheck.claims.store import default_db

    return db if db is not None else default_db()


def _open(name: str, db: Path | None):
    from fundcheck.claims.ledger import read_ledger
    from fundcheck.claims.store import Store

    if Path(name).is_file():
        return read_ledger(name)
    path = _db(db)
    if path.exists() and not path.is_dir() and path.stat().st_size > 0:
        with Store(path, readonly=True) as store:  # read-only: never creates tables in, or locks, the file
            if store.has(name):
                return store.load(name)
    return read_ledger(name)  # not stored (or no database yet): the built-in ledger of that name


def _writable(name: str, db: Path | None):
    from fundcheck.claims.ledger import builtin_ledgers, read_ledger
    from fundcheck.claims.store import Store

    store = Store(_db(db))
    if not store.has(name) and name in builtin_ledgers():
        store.save(read_ledger(name), author="fundcheck", note="seeded from the built-in ledger")
    return store


@claims_app.command("list")
def list_(ledger: LedgerArg = None, ledger_opt: LedgerOpt = None, db: DbOpt = None, json_file: JsonOpt = None) -> None:
    """List the claims of a ledger: id, date, who, kind and what it binds."""
    try:
        from fundcheck.claims.check import describe

        led = _open(_name(ledger, ledger_opt), db)
        say(f"ledger {led.name} (scenario {led.scenario}): {len(led.claims)} claims")
        for c in sorted(led.claims, key=lambda c: c.said):
            what = f"{describe(c)} {c.bound_text()}" if c.checked else (c.title or c.quote)[:90]
            say(f"{c.id:16} {c.said!s:24} {c.kind:9} {c.who[:30]:30} {what}")
        if json_file is not None:
            write_json(json_file, led.to_data())
    except FundcheckError as exc:
        fail(exc)


@claims_app.command()
def show(claim_id: Annotated[str, typer.Argument(help="the claim's id")], ledger: LedgerOpt = None,
         db: DbOpt = None, revisions: Annotated[bool, typer.Option("--revisions", help="list every revision")] = False,
         json_file: JsonOpt = None) -> None:
    """Show one claim in full (and, from the database, its revisions)."""
    try:
        from fundcheck.claims.store import Store

        name = _name(None, ledger)
        led = _open(name, db)
        claim = led.by_id().get(claim_id)
        if claim is None:
            raise UsageError(f"the ledger '{led.name}' has no claim '{claim_id}'")
        data = claim.to_dict()
        for key, value in data.items():
            say(f"{key}: {value}")
        history = []
        if revisions:
            path = _db(db)
            if path.exists() and path.stat().st_size > 0:
                with Store(path, readonly=True) as store:
                    history = store.revisions(led.name, claim_id) if store.has(led.name) else []
            say(f"revisions: {len(history)}" + ("" if history else " (not in the database; built-in or file)"))
            for r in history:
                say(f"  r{r['revision']} {r['saved']} {r['author']}: {r['note']}")
        if json_file is not None:
            write_json(json_file, {"claim": data, "revisions": history})
    except FundcheckError as exc:
        fail(exc)


@claims_app.command()
def add(file: Annotated[Path, typer.Argument(help="a YAML or JSON file with one claim (a mapping) or a list")],
        ledger: LedgerOpt = None, db: DbOpt = None,
        author: Annotated[str, typer.Option("--author")] = "", json_file: JsonOpt = None) -> None:
    """Add new claims to a ledger in the database (refuses ids that exist; use edit)."""
    _write(file, ledger, db, author, "added", replace_ok=False, json_file=json_file)


@claims_app.command("import")
def import_(file: Annotated[Path, typer.Argument(help="a ledger file (YAML or JSON)")], ledger: LedgerOpt = None,
            db: DbOpt = None, author: Annotated[str, typer.Option("--author")] = "", json_file: JsonOpt = None) -> None:
    """Import a ledger file into the database: all of it, or (on any problem) nothing. A stored ledger's
    scenario is fixed: a file naming another scenario is refused."""
    _write(file, ledger, db, author, "imported", replace_ok=True, json_file=json_file)


def _write(file: Path, ledger: str | None, db: Path | None, author: str, note: str, replace_ok: bool,
           json_file: Path | None = None) -> None:
    try:
        from fundcheck.claims.ledger import ledger_from_data
        from fundcheck.scenario.loader import read_text
        from fundcheck.scenario.yamlio import read_yaml

        if not file.is_file():
            raise UsageError(f"FILE: {file} is not a file")
        data, lines = read_yaml(read_text(file, str(file)), str(file))
        if isinstance(data, dict) and "claims" not in data:
            data, lines = {"claims": [data]}, {("claims", 0, *k): v for k, v in lines.items()}
        elif isinstance(data, list):
            data, lines = {"claims": data}, {("claims", *k): v for k, v in lines.items()}
        if not isinstance(data, dict):
            raise UsageError(f"FILE: {file} holds no claims")
        name = ledger or str(data.get("ledger") or "stargate")
        if json_file is not None:
            check_file(json_file, "--json")
        from fundcheck.claims.ledger import builtin_ledgers, read_ledger
        from fundcheck.claims.store import Store, scenario_message

        path = _db(db)
        stored = None
        if path.exists() and path.stat().st_size > 0:
            with Store(path, readonly=True) as peek:
                stored = peek.scenario_of(name)
        if stored is None and name in builtin_ledgers():
            stored = read_ledger(name).scenario
        given = data.get("scenario")
        if given and stored and str(given) != stored:
            raise UsageError(scenario_message(name, stored, str(given)))
        data = {**data, "ledger": name, "scenario": given or stored or "stargate"}
        new = ledger_from_data(data, str(file), lines)  # validated whole before anything is written
        store = _writable(name, db)
        with store:
            count = store.save(new, author=author, note=f"{note} from {file.name}", replace_ok=replace_ok)
        say(f"{note} {count} revision(s) into ledger {name} ({path})")
        if json_file is not None:
            write_json(json_file, {"ledger": name, "scenario": new.scenario, "db": str(path), "action": note,
                                   "revisions_added": count, "claims": [c.id for c in new.claims]})
    except FundcheckError as exc:
        fail(exc)


@claims_app.command()
def edit(claim_id: Annotated[str, typer.Argument(help="the claim's id")],
         sets: Annotated[list[str], typer.Option("--set", help="FIELD=VALUE (repeatable); VALUE is read as YAML")],
         ledger: LedgerOpt = None, db: DbOpt = None, author: Annotated[str, typer.Option("--author")] = "",
         note: Annotated[str, typer.Option("--note")] = "", json_file: JsonOpt = None) -> None:
    """Revise a claim: a new revision in the database; the old one is kept. The change is applied to the
    current revision under the database's write lock, so two edits at once both survive."""
    try:
        from fundcheck.claims.records import FIELDS

        name = _name(None, ledger)
        changes = {}
        for item in sets:
            key, value = _parse_set(item)
            if key not in FIELDS:
                raise UsageError(f"--set {key}: unknown field; expected one of: {', '.join(sorted(FIELDS))}")
            changes[key] = value
        if "id" in changes and changes["id"] != claim_id:
            raise UsageError(f"--set id: the id of a claim cannot change ('{claim_id}' to '{changes['id']}'); "
                             "add a new claim with `fundcheck claims add` instead")
        if json_file is not None:
            check_file(json_file, "--json")
        store = _writable(name, db)
        with store:
            count = store.edit(name, claim_id, changes, author=author, note=note or "edited")
        say(f"{claim_id}: {'new revision saved' if count else 'unchanged'}")
        if json_file is not None:
            write_json(json_file, {"ledger": name, "db": str(_db(db)), "claim": claim_id, "action": "edited",
                                   "revisions_added": count, "fields": sorted(changes)})
    except FundcheckError as exc:
        fail(exc)


def _parse_set(item: str) -> tuple[str, object]:
    """FIELD=VALUE with VALUE read as YAML; a date-like or unreadable value is kept as the text written (the
    claim's own validation then names the field if it is wrong)."""
    import datetime as dt

    import yaml

    key, eq, value = item.partition("=")
    key = key.strip()
    if not eq or not key:
        raise UsageError(f"--set: found {item!r}; expected FIELD=VALUE, e.g. value=$12B")
    if not value.strip():
        return key, ""
    try:
        parsed = yaml.safe_load(value)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError):
        return key, value.strip()  # e.g. said=2025-02-30: YAML's date reader fails; validation names it
    if isinstance(parsed, dt.date | dt.datetime):
        return key, value.strip()
    return key, parsed


@claims_app.command()
def export(ledger: LedgerArg = None, ledger_opt: LedgerOpt = None, db: DbOpt = None,
           to: Annotated[Path, typer.Option("--to", help="file: .yaml/.yml, .json or .jsonld (ClaimReview)")] = Path(
               "claims.yaml"), json_file: JsonOpt = None) -> None:
    """Export a ledger as YAML, JSON or schema.org ClaimReview JSON-LD (by the file's extension)."""
    try:
        import json

        import yaml

        from fundcheck.claims.export import claim_review
        from fundcheck.report.files import write_text_atomic

        led = _open(_name(ledger, ledger_opt), db)
        check_file(to, "--to")
        if json_file is not None:
            check_file(json_file, "--json")
        if to.suffix == ".jsonld":
            from fundcheck.claims.check import check_ledger

            text = json.dumps(claim_review(led, check_ledger(led)), indent=1, ensure_ascii=False)
        elif to.suffix == ".json":
            text = json.dumps(led.to_data(), indent=1, ensure_ascii=False)
        elif to.suffix in (".yaml", ".yml"):
            text = yaml.safe_dump(led.to_data(), allow_unicode=True, sort_keys=False, width=120)
        else:
            raise UsageError(f"--to: {to} has no known extension; expected .yaml, .yml, .json or .jsonld")
        with writing(to, "--to"):
            write_text_atomic(to, text)
        say(f"exported {len(led.claims)} claims to {to}")
        if json_file is not None:
            write_json(json_file, {"ledger": led.name, "to": str(to), "format": to.suffix.lstrip("."),
                                   "claims": len(led.claims)})
    except FundcheckError as exc:
        fail(exc)


def _checked(ledger: str | None, ledger_opt: str | None, db: Path | None, json_file: Path | None,
             out_dir: Path | None = None, as_of: str | None = None, paths: int | None = None, seed: int = 0,
             sampler: str = "random", full_paths: int = 256, workers: int = 1):
    import datetime as dt

    from fundcheck.claims.check import check_ledger

    if paths is not None:
        from fundcheck.engine.simulate import MAX_PATHS
        from fundcheck.uncertainty.sampling import SAMPLERS

        if not 1 <= paths <= MAX_PATHS:
            raise UsageError(f"--paths: found {paths}; expected a whole number from 1 to {MAX_PATHS:,}")
        if seed < 0:
            raise UsageError(f"--seed: found {seed}; expected a whole number of zero or more")
        if sampler not in SAMPLERS:
            raise UsageError(f"--sampler: found '{sampler}'; expected one of: {', '.join(SAMPLERS)}")
        if full_paths < 0:
            raise UsageError(f"--full-paths: found {full_paths}; expected a whole number of zero or more")
        if workers < 1:
            raise UsageError(f"--workers: found {workers}; expected a whole number of 1 or more")
    else:
        given = [opt for opt, value, default in (("--seed", seed, 0), ("--sampler", sampler, "random"),
                                                 ("--full-paths", full_paths, 256), ("--workers", workers, 1))
                 if value != default]
        if given:
            raise UsageError(f"{', '.join(given)} set the Monte Carlo per world: give --paths N to run it")

    today = None
    if as_of is not None:
        try:
            today = dt.date.fromisoformat(as_of)
        except ValueError:
            raise UsageError(f"--as-of: expected a date YYYY-MM-DD; found '{as_of}'") from None

    led = _open(_name(ledger, ledger_opt), db)
    if json_file is not None:
        check_file(json_file, "--json")
    if out_dir is not None:
        check_folder(out_dir, "--out")
    result = check_ledger(led, today=today)
    if paths is not None:
        _monte_carlo(result, paths, seed, sampler, full_paths, workers)
    return result


def _monte_carlo(result, paths: int, seed: int, sampler: str, full_paths: int, workers: int) -> None:
    """Each world's Monte Carlo, with a progress bar (rich) on a terminal."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from fundcheck.claims.montecarlo import world_probabilities
    from fundcheck.cli.common import out

    total = paths * len(result.worlds)
    bar = Progress(TextColumn(f"{len(result.worlds)} world(s) x {paths:,} paths"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn(), console=out, transient=True, disable=not out.is_terminal)
    task = bar.add_task("worlds", total=total)
    with bar:
        world_probabilities(result, paths, seed, sampler, full_paths=full_paths, workers=workers,
                            progress=lambda done: bar.update(task, completed=min(done, total)))


@claims_app.command()
def check(ledger: LedgerArg = None, ledger_opt: LedgerOpt = None, db: DbOpt = None, json_file: JsonOpt = None,
          out_dir: Annotated[Path | None, typer.Option("--out", help="also write DIR/claims.html")] = None,
          as_of: Annotated[str | None, typer.Option("--as-of", help="judge forecasts as of this date "
                                                    "(YYYY-MM-DD) [default: today]")] = None,
          paths: PathsOpt = None, seed: SeedOpt = 0, sampler: SamplerOpt = "random", full_paths: FullOpt = 256,
          workers: WorkersOpt = 1) -> None:
    """Which claims can all be true at once: the answer, conflicts with their arithmetic, corrections, worlds;
    with --paths, each world's Monte Carlo (P(shortfall) per entity, P(forecast holds))."""
    try:
        from fundcheck.claims.answer import answer_lines, mc_report_lines, report_lines

        result = _checked(ledger, ledger_opt, db, json_file, out_dir, as_of, paths, seed, sampler, full_paths,
                          workers)
        for line in answer_lines(result) + report_lines(result) + mc_report_lines(result):
            say(line)
        if json_file is not None:
            write_json(json_file, result.to_json())
            say(f"JSON: {json_file}")
        if out_dir is not None:
            from fundcheck.report.claims_page import write_claims_page

            with writing(out_dir / "claims.html", "--out"):
                page = write_claims_page(result, out_dir / "claims.html")
            say(f"Report: {page}")
    except FundcheckError as exc:
        fail(exc)


@claims_app.command()
def worlds(ledger: LedgerArg = None, ledger_opt: LedgerOpt = None, db: DbOpt = None,
           json_file: JsonOpt = None, paths: PathsOpt = None, seed: SeedOpt = 0, sampler: SamplerOpt = "random",
           full_paths: FullOpt = 256, workers: WorkersOpt = 1) -> None:
    """The worlds (maximal consistent sets of claims), what each drops, and the build it implies; with
    --paths, each world's Monte Carlo conditioned on it."""
    try:
        from fundcheck.claims.answer import mc_lines, world_line

        result = _checked(ledger, ledger_opt, db, json_file, paths=paths, seed=seed, sampler=sampler,
                          full_paths=full_paths, workers=workers)
        say(f"{len(result.worlds)} world(s) of ledger {result.ledger.name}"
            + (f"; Monte Carlo {paths:,} paths per world, seed {seed}, {sampler} sampler:" if paths else ":"))
        for w in result.worlds:
            say(world_line(w))
            say(f"    drops: {', '.join(w.drops) or 'nothing'}")
            if w.evaluations:
                say("    outcome claims: " + ", ".join(f"{k} {v}" for k, v in w.evaluations.items()))
            for line in mc_lines(w):
                say(line)
        skipped = {cid: why for w in result.worlds if w.mc for cid, why in w.mc.not_computed.items()}
        if skipped:
            say("Forecasts not computed by the engine: " + "; ".join(f"{cid} ({why})" for cid, why in skipped.items()))
        if json_file is not None:
            write_json(json_file, result.to_json()["worlds"])
    except FundcheckError as exc:
        fail(exc)


@claims_app.command()
def timeline(ledger: LedgerArg = None, ledger_opt: LedgerOpt = None, db: DbOpt = None,
             json_file: JsonOpt = None) -> None:
    """Every dated event and claim of the ledger, in order."""
    try:
        from fundcheck.claims.export import timeline_rows

        led = _open(_name(ledger, ledger_opt), db)
        rows = timeline_rows(led)
        for r in rows:
            say(f"{r['date']:24} {r['kind']:9} {r['id']:14} {r['text']}")
        if json_file is not None:
            write_json(json_file, rows)
    except FundcheckError as exc:
        fail(exc)
