"""The claims ledger: sourced public claims bound to a scenario's quantities, checked for consistency.

``read_ledger`` (a built-in name or a file) -> ``check_ledger`` -> conflicts (MUSes), corrections (MCSes),
worlds run through the engine, forecast verdicts; ``world_probabilities`` adds each world's Monte Carlo
(P(shortfall), P(forecast holds)). ``Store`` keeps ledgers in SQLite, append-only.
See docs/claims.md.
"""

from __future__ import annotations

from fundcheck.claims.check import Check, World, check_ledger, condition
from fundcheck.claims.conflicts import brute_force, enumerate_conflicts
from fundcheck.claims.ledger import Ledger, read_ledger
from fundcheck.claims.montecarlo import WorldMC, world_probabilities
from fundcheck.claims.records import Claim, parse_claim
from fundcheck.claims.registry import DEFINITIONS
from fundcheck.claims.store import Store

__all__ = [
           "DEFINITIONS",
           "Check",
           "Claim",
           "Ledger",
           "Store",
           "World",
           "WorldMC",
           "brute_force",
           "check_ledger",
           "condition",
           "enumerate_conflicts",
           "parse_claim",
           "read_ledger",
           "world_probabilities",
]
