"""Shared test helpers: running the real `fundcheck` command, in a new process or in this one."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m fundcheck ARGS` as a user would, capturing its output."""
    return subprocess.run([sys.executable, "-m", "fundcheck", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


@pytest.fixture
def cli():
    return run_cli


@dataclass
class Done:
    """What a command left: its exit status and what it printed."""

    returncode: int
    stdout: str
    stderr: str


def run_cli_here(*args: str, cwd: Path | None = None) -> Done:
    """Run the `fundcheck` entry point with ARGS in this process (the same `main()` the command runs), with
    its output captured; much faster than a new interpreter for the many small command tests."""
    from fundcheck import cli

    out, err = io.StringIO(), io.StringIO()
    here, argv = os.getcwd(), sys.argv
    code = 0
    try:
        if cwd is not None:
            os.chdir(cwd)
        sys.argv = ["fundcheck", *args]
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                cli.main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        os.chdir(here)
        sys.argv = argv
    return Done(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli_here():
    return run_cli_here
