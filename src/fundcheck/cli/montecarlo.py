"""`fundcheck simulate` and `fundcheck sensitivity`: Monte Carlo runs and global sensitivity (issue 8)."""

from __future__ import annotations

from fundcheck.cli.commands import app  # noqa: F401 - commands are registered on it here
