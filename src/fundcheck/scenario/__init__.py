"""Scenario layer: the schema of scenario files, loading with located errors, and the built-in programs."""

from fundcheck.scenario.loader import applied_alternatives, builtin_names, builtin_path, load, load_text, origin
from fundcheck.scenario.schema import Scenario

__all__ = ["Scenario", "applied_alternatives", "builtin_names", "builtin_path", "load", "load_text", "origin"]
