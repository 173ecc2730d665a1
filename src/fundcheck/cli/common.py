"""What every `fundcheck` command shares: plain-text output, one-line errors, and output files that are
checked before any work and written whole or not at all."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from fundcheck.errors import FundcheckError, UsageError

__all__ = ["check_file", "check_folder", "err", "fail", "load_for_outputs", "out", "out_folder", "reason", "say",
           "slug", "write_json", "writing"]

out = Console(emoji=False)
err = Console(stderr=True, emoji=False)


def fail(exc: FundcheckError) -> None:
    for line in str(exc).splitlines() or [type(exc).__name__]:
        err.print(Text.assemble(("error:", "bold red"), " ", line), highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def say(*parts: str | tuple[str, str]) -> None:
    """Print one line of plain text (styled parts as (text, style)): no markup, no emoji, not wrapped."""
    out.print(Text.assemble(*parts), highlight=False, soft_wrap=True)


def slug(name: str, default: str = "scenario") -> str:
    """A file name part from any text: letters, digits, '.', '_', '-'; no leading dots; at most 80 characters."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.").lower()[:80].strip("-.") or default


def reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def check_folder(folder: Path, option: str, target: Path | None = None) -> None:
    """Fail now, before any work, if `folder` cannot be a folder we write into (missing folders are created).
    `target`: the file to be written there, for the message."""
    what = f"cannot write {target}" if target is not None else f"cannot use {folder}"
    if folder.exists() and not folder.is_dir():
        if target is None:
            raise UsageError(f"{option}: {folder} is a file; expected a folder for the output")
        raise UsageError(f"{option}: {what}: {folder} is a file, not a folder")
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"{option}: {what}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"{option}: {what}: {existing} is not writable (permission denied)")


def check_file(path: Path, option: str) -> None:
    """Fail now if `path` cannot be written as a file (its folder is created if missing)."""
    if path.is_dir():
        raise UsageError(f"{option}: {path} is a folder; expected a file name, e.g. {path / 'results.json'}")
    check_folder(path.parent, option, path)


@contextmanager
def writing(path: Path, option: str) -> Iterator[None]:
    """Turn an OSError while writing `path` into one clear line and exit status 2."""
    try:
        yield
    except OSError as exc:
        raise UsageError(f"{option}: cannot write {path}: {reason(exc)}") from None


def write_json(path: Path, data: object, option: str = "--json") -> None:
    from fundcheck.report.files import write_text_atomic

    text = json.dumps(data, indent=1, allow_nan=False)
    check_file(path, option)
    with writing(path, option):
        write_text_atomic(path, text)


def out_folder(scenario: str, out_dir: Path | None, alternatives: tuple[str, ...] | list[str] = ()) -> Path:
    """Where a command writes its pages: --out, or out/<scenario name>[+<alternative>...]/ (runs with
    different alternatives never overwrite each other)."""
    if out_dir is not None:
        return out_dir
    name = slug(Path(scenario).stem if Path(scenario).is_file() else scenario)
    return Path("out") / "+".join([name, *(slug(a) for a in alternatives)])


def load_for_outputs(scenario: str, alt: list[str] | None, out_dir: Path | None,
                     json_file: Path | None) -> tuple[Any, Path]:
    """Load the scenario with its alternatives, and check the page folder and the --json file before any work.
    Returns the scenario and the folder its pages go to."""
    from fundcheck.scenario import load

    sc = load(scenario, tuple(alt or ()))
    folder = out_folder(scenario, out_dir, tuple(alt or ()))
    check_folder(folder, "--out")
    if json_file is not None:
        check_file(json_file, "--json")
    return sc, folder
