"""Shared test helpers: running the real `fundcheck` command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m fundcheck ARGS` as a user would, capturing its output."""
    return subprocess.run([sys.executable, "-m", "fundcheck", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


@pytest.fixture
def cli():
    return run_cli
