"""Governance layer: voting games, exact and sampled power indices, and control over time."""

from fundcheck.governance.power import AllOf, Game, PowerIndices, Veto, Weighted, power, quota_from_share

__all__ = ["AllOf", "Game", "PowerIndices", "Veto", "Weighted", "power", "quota_from_share"]
