"""Scenario layer: the schema of scenario files, loading with located errors, and the built-in programs."""

from fundcheck.scenario.loader import builtin_names, builtin_path, load, load_text, origin
from fundcheck.scenario.schema import Scenario

__all__ = ["Scenario", "builtin_names", "builtin_path", "load", "load_text", "origin"]
