"""The registry of loose words: what *secured*, *committed*, *raised*, *deployed* and *ready* mean here.

People say "SoftBank has under $10B secured" or "$100B is ready"; each word has one or more explicit
definitions below, and a claim names the definition it uses (``definition: secured.commitment``). A
definition is either

- an **expression**: a defined quantity, a sum of named quantities of the scenario (``committed`` of a
  partner is the face amount of its equity commitment into the JV, ``equity.<name>.amount_usd``), or
- a **variable**: an amount the model does not compute (how much of a commitment is secured at a date), tied
  to the defined quantities by the accounting identities listed with it (``ready <= secured <= committed``).

Subjects: ``partner`` is an entity with an equity commitment into the program's JV that is not an outside
investor (SoftBank, OpenAI, Oracle, MGX in ``stargate``); ``jv`` is the JV itself; ``entity`` is any entity.
The compiler (``claims.compile``) turns both kinds into linear expressions.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFINITIONS", "WORDS", "Definition", "definition"]


@dataclass(frozen=True)
class Definition:
    """One meaning of a loose word."""

    id: str              # e.g. 'secured.commitment'
    word: str            # 'secured'
    subjects: tuple[str, ...]  # which subjects it applies to: 'partner', 'jv', 'entity'
    kind: str            # 'expression' or 'variable'
    dated: bool          # needs an as-of month (a variable at a date) or not (a face amount)
    meaning: str         # plain words
    formula: str         # the arithmetic, as shown to users


DEFINITIONS: dict[str, Definition] = {d.id: d for d in (
    Definition("committed", "committed", ("partner", "jv"), "expression", False,
               "the face amount promised: a partner's equity commitment into the JV; for the JV, every equity "
               "commitment and loan facility into it",
               "committed(P) = equity.<P into JV>.amount_usd; committed(JV) = sum of equity amounts and loan "
               "limits into the JV"),
    Definition("committed.founders", "committed", ("jv",), "expression", False,
               "the founders' equity commitments into the JV, added up (outside co-investors excluded)",
               "committed.founders(JV) = sum over partners P of committed(P)"),
    Definition("secured.commitment", "secured", ("partner", "jv"), "variable", True,
               "the part of a party's commitment backed, at the date, by money it has or has arranged",
               "0 <= ready <= secured <= committed; secured(JV) >= sum over partners of secured(P)"),
    Definition("secured.cash", "secured", ("entity",), "expression", False,
               "cash on hand, as the scenario takes it: the entity's opening cash",
               "secured.cash(E) = entities.<E>.opening_cash_usd"),
    Definition("ready", "ready", ("partner", "jv"), "variable", True,
               "money that can be paid in at once at the date; partners pay pro rata to their stakes",
               "0 <= ready <= secured; ready(JV) >= sum over partners of ready(P); with a stake claim s for "
               "partner P: ready(P) = s x ready(JV)"),
    Definition("raised", "raised", ("jv",), "variable", True,
               "money arranged for the JV: founders' equity + co-investor equity + third-party debt + other "
               "sources (the Nikkei wording)",
               "raised(JV) = committed.founders + coinvestors + debt + other; 0 <= coinvestors <= outside "
               "equity into the JV; 0 <= debt <= loan limits into the JV; other >= 0"),
    Definition("deployed", "deployed", ("partner", "jv"), "variable", True,
               "money actually paid in to build by the date",
               "0 <= deployed <= committed; deployed never falls from one month to a later one"),
)}

WORDS = ("secured", "committed", "raised", "deployed", "ready")


def definition(name: str) -> Definition | None:
    return DEFINITIONS.get(name)
