"""Every error fundcheck raises on purpose, and the wording of its messages.

The tree::

    FundcheckError                  anything the user can fix; the CLI prints it and exits with status 2
    ├── ScenarioError               a scenario file is wrong: carries one or more Problems (file, line, field)
    └── UsageError                  a command was asked something it cannot do (unknown built-in, bad option)

A ``Problem`` is one thing wrong at one place in a file. Its ``str`` reads
``file:line: field: what was found; what was expected``, so an editor can jump to it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FundcheckError", "Problem", "ScenarioError", "UsageError"]


class FundcheckError(Exception):
    """Base class of errors a user can fix; the CLI prints them without a traceback."""


class UsageError(FundcheckError):
    """A command or API call was given something it cannot use."""


@dataclass(frozen=True)
class Problem:
    """One mistake in a scenario: where it is and what is wrong with it."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class ScenarioError(FundcheckError):
    """A scenario file could not be loaded; ``problems`` lists every mistake found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# --- message texts (one place, consistent wording) -------------------------------------------------------

def msg_unknown_field(found: str, allowed: list[str]) -> str:
    return f"unknown field '{found}'; expected one of: {', '.join(sorted(allowed))}"


def msg_missing_field() -> str:
    return "this field is required but missing"


def msg_unknown_entity(found: str, known: list[str]) -> str:
    return f"no entity named '{found}'; expected one of: {', '.join(known) or '(none defined)'}"


def msg_unknown_site(found: str, known: list[str]) -> str:
    return f"no site named '{found}'; expected one of: {', '.join(known) or '(none defined)'}"


def msg_negative(found: float) -> str:
    return f"found {found:,.10g}; expected an amount of zero or more"


def msg_bad_amount(found: object) -> str:
    return (f"cannot read {found!r} as an amount; expected a number such as 19e9, 19_000_000_000, "
            "'$19B', '$180k', '12.5M' or '7.5%'")


def msg_bad_month(found: object) -> str:
    return f"cannot read {found!r} as a month; expected YYYY-MM, e.g. 2025-01"


def msg_outside_horizon(found: str, start: str, end: str, *, before_start_ok: bool = False,
                        after_end_ok: bool = False) -> str:
    """A month field outside the horizon; a field that may lie on one side of it says which side it must keep."""
    if after_end_ok:
        return f"found {found}; expected a month on or after the horizon start {start}"
    if before_start_ok:
        return f"found {found}; expected a month on or before the horizon end {end}"
    return f"found {found}; expected a month inside the horizon {start} to {end}"


def msg_duplicate_name(found: str, what: str, other: str, *, made: bool, other_made: bool) -> str:
    """Two instruments (or two contracts) with one name; `other` names the earlier one, e.g. 'instruments[0] (line 9)'.

    `made` and `other_made` say whether each name was made from kind and parties (the item has no `name`)."""
    also = f"also the name made for {other} from its kind and parties" if other_made else f"also the name of {other}"
    if made:
        return (f"found no name, and the name made from its kind and parties, '{found}', is {also}; "
                f"expected a `name:` that no other {what} has")
    return f"found '{found}', {also}; expected a name that no other {what} has"


def msg_energizes_before_start(energization: str, start: str) -> str:
    return f"the phase energizes in {energization}, before it starts in {start}; expected a month on or after {start}"


def msg_energizes_before_built(energization: str, last_build_month: str) -> str:
    return (f"the phase energizes in {energization}, before its construction spending ends in {last_build_month}; "
            "expected a month after construction (or fewer `months`)")


def msg_stakes_over_100(entity: str, total: float) -> str:
    return f"equity stakes in '{entity}' add up to {total:.1%}; expected at most 100%"


def msg_fraction(found: float) -> str:
    return f"found {found:,.6g}; expected a fraction between 0 and 1 (or a percentage such as '40%')"


def msg_no_source() -> str:
    return ("this number has no source; add `source:` (a facts.md row such as A6, a dataset row, "
            "or 'assumption: <why>') to the value or to the item that holds it")


def msg_cycle(chain: list[str]) -> str:
    return f"money flows in a circle: {' -> '.join(chain)}; expected funding that does not loop back"


def msg_yaml(problem: str) -> str:
    return f"this is not valid YAML: {problem}"


def msg_not_mapping(found: str) -> str:
    return f"found {found}; expected a mapping of fields (key: value)"


def msg_duplicate_key(key: str) -> str:
    return f"the key '{key}' appears twice; expected each key once"


def msg_horizon_order(start: str, end: str) -> str:
    return f"the horizon ends ({end}) before it starts ({start})"


def msg_ends_before_start(end: str, start: str) -> str:
    """A window (an instrument's `start` to `end`) that ends before it starts."""
    return f"found {end}, before the start {start}; expected an end on or after the start"


def msg_self_funding(entity: str) -> str:
    return f"'{entity}' cannot fund itself; expected `from` and `to` to name different entities"


def msg_bad_priority(found: str, allowed: list[str]) -> str:
    return f"'{found}' is not a funding source of this entity; expected one of: {', '.join(allowed)}"


def msg_unknown_builtin(name: str, known: list[str]) -> str:
    return (f"'{name}' is neither a built-in scenario nor a file that exists; "
            f"built-ins are: {', '.join(known)}")


def msg_unknown_alternative(name: str, known: list[str]) -> str:
    return f"the scenario has no alternative named '{name}'; it has: {', '.join(known) or '(none)'}"


def msg_bad_alternative_path(path: str) -> str:
    return f"the alternative sets '{path}', which is not a field of this scenario"
