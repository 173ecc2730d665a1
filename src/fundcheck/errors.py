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


class UsageError(FundcheckError, ValueError):
    """A command or API call was given something it cannot use (also a ValueError, as numpy-style callers
    expect of a bad argument)."""


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
    if not allowed:
        return f"unknown field {_quoted(found)}"
    return f"unknown field {_quoted(found)}; expected one of: {', '.join(sorted(allowed))}"


def msg_missing_field() -> str:
    return "this field is required but missing"


def msg_unknown_entity(found: str, known: list[str]) -> str:
    return f"no entity named {_quoted(found)}; expected one of: {_listed(known) or '(none defined)'}"


def msg_unknown_site(found: str, known: list[str]) -> str:
    return f"no site named {_quoted(found)}; expected one of: {_listed(known) or '(none defined)'}"


def msg_negative(found: float) -> str:
    return f"found {found:,.10g}; expected an amount of zero or more"


def msg_bad_amount(found: object) -> str:
    return (f"cannot read {shown(found)} as an amount; expected a number such as 19e9, 19_000_000_000, "
            "'$19B', '$180k', '12.5M' or '7.5%'")


def msg_bad_month(found: object) -> str:
    return f"cannot read {shown(found)} as a month; expected YYYY-MM, e.g. 2025-01"


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


# --- the YAML reader and the limits on a scenario (see scenario/yamlio.py, LIMITS) -----------------------------

def shown(found: object, width: int = 60) -> str:
    """`found` as written in a message: its repr, cut to `width` characters with its full length said."""
    text = repr(found)
    if len(text) <= width:
        return text
    size = f"{len(found):,} characters" if isinstance(found, str) else f"{len(text):,} characters written out"
    return f"{text[:width - 3]}... ({size})"


def _quoted(name: str, width: int = 80) -> str:
    """A name in single quotes, cut to `width` characters."""
    return f"'{name}'" if len(name) <= width else f"'{name[:width - 3]}...' ({len(name):,} characters)"


def _listed(names: list[str], most: int = 20) -> str:
    """Names joined with commas; past `most`, the count of the rest."""
    if len(names) <= most:
        return ", ".join(names)
    return ", ".join(names[:most]) + f", ... ({len(names) - most:,} more)"


def msg_file_too_large(limit: int) -> str:
    return (f"the file is larger than {limit:,} bytes; expected a scenario of at most {limit:,} bytes "
            "(split it, or move long notes out of it)")


def msg_not_utf8(byte: int) -> str:
    return f"cannot read byte {byte:,} of the file as UTF-8; expected a text file saved as UTF-8"


def msg_cannot_read(reason: str) -> str:
    return f"cannot read the file: {reason}"


def msg_not_a_file(found: str) -> str:
    return f"found {found}; expected a scenario file (YAML)"


def msg_bad_character(code: int) -> str:
    what = "a lone surrogate, not a character" if 0xD800 <= code <= 0xDFFF else "not allowed in a YAML file"
    return f"found the character U+{code:04X}, {what}; expected printable text (remove it)"


def msg_yaml_escape() -> str:
    return "found an escape (\\U or \\x) that names no character; expected escapes such as \\u00e9 or \\U0001F600"


def msg_second_document() -> str:
    return "found a second document (a line `---` after the first); expected one scenario per file"


def msg_too_deep(limit: int) -> str:
    return (f"found lists and mappings nested more than {limit} deep; expected at most {limit} levels "
            "(a scenario needs fewer than 10)")


def msg_too_many_nodes(limit: int) -> str:
    return (f"found more than {limit:,} values once aliases (*name) are expanded; expected at most {limit:,} "
            "(use fewer aliases of large blocks, or split the scenario)")


def msg_undefined_alias(name: str) -> str:
    return f"found the alias *{name}, but no anchor &{name} before it; expected an anchor defined earlier in the file"


def msg_recursive_alias(name: str) -> str:
    return (f"found the alias *{name} inside the block &{name} it refers to; expected an alias to a block that "
            "has ended (a block cannot contain itself)")


def msg_yaml_tag(tag: str) -> str:
    return (f"found the tag {tag}, which fundcheck does not read; expected plain text, numbers, lists and mappings "
            f"(remove {tag})")


def msg_yaml_binary() -> str:
    return "found binary data (!!binary); expected text or a number (remove the tag)"


def msg_yaml_ordered_map(tag: str) -> str:
    return (f"found an ordered map ({tag}); expected a plain mapping (key: value), which keeps its order "
            f"(remove {tag})")


def msg_yaml_set() -> str:
    return "found a set (!!set); expected a list (- item) or a mapping (key: value) (remove the tag)"


def msg_yaml_tag_value(tag: str, text: str) -> str:
    return f"cannot read {shown(text)} as {tag}; expected a value of that type, or no tag"


def msg_collection_key(kind: str) -> str:
    return f"found a {kind} used as a key; expected a name (text)"


def msg_key_not_text(text: str, reads_as: str) -> str:
    if not text or text == "~":
        return "found an empty key (YAML reads it as null); expected a name"
    return f"found the key {text}, which YAML reads as {reads_as}; expected a name: write it in quotes, '{text}'"


def msg_key_too_long(length: int, limit: int) -> str:
    return f"found a key of {length:,} characters; expected a name of at most {limit} characters"


def msg_text_too_long(length: int, limit: int) -> str:
    return f"found text of {length:,} characters; expected at most {limit:,} characters (shorten it)"


def msg_name_too_long(length: int, limit: int) -> str:
    return f"found a name of {length:,} characters; expected at most {limit} characters (shorten it)"


def msg_number_too_large(text: str) -> str:
    return (f"found {shown(text, 40)}, a number too large to hold (beyond 1.8e308); expected a number of at most "
            "1e15 in size")


def msg_not_finite(text: str) -> str:
    return f"found {text}, which is not a finite number; expected a finite number"


def msg_not_a_number(text: str) -> str:
    return f"found {shown(text)}, which YAML reads as a number but cannot be one; expected a number, or text in quotes"


def msg_merge_value() -> str:
    return "found `<<:` followed by something other than a mapping; expected a mapping or an alias of one (*name)"


def msg_amount_too_large(found: object, limit: float) -> str:
    shown_found = f"{found:,.6g}" if isinstance(found, float) else shown(found, 40)
    return (f"found {shown_found}; expected an amount of at most {limit:.0e} in size (a thousand trillion); "
            "check the number and its unit").replace("e+", "e")


def msg_date_as_month(text: str, real: bool) -> str:
    shown_text = text if len(text) <= 40 else text[:37] + "..."
    what = f"the date {shown_text}" if real else f"{shown_text}, written as a date but not a real one"
    return f"found {what}; expected a month written YYYY-MM, e.g. 2025-01"


def msg_month_number(found: object) -> str:
    return f"found the number {shown(found, 40)}; expected a month written YYYY-MM, e.g. 2025-01"


def msg_month_year(found: str, first: int, last: int) -> str:
    return f"found {found}; expected a month in the years {first} to {last}, written YYYY-MM"


def msg_horizon_too_long(months: int, start: str, end: str, limit: int) -> str:
    return (f"the horizon {start} to {end} covers {months:,} months; expected at most {limit:,} months "
            f"({limit // 12} years): move `end` earlier")


def msg_too_many(count: int, what: str, limit: int) -> str:
    return (f"found {count:,} {what}; expected at most {limit:,} in one scenario "
            "(split the program into several scenarios)")


def msg_more_problems(count: int) -> str:
    return f"... and {count:,} more problems, not shown; fix the ones above and validate again"


def msg_stopped(limit: int) -> str:
    return f"stopped reading after {limit} problems; fix the ones above and validate again"


def msg_quota_above_votes(quota: int, total: int, weights: str) -> str:
    return (f"the quota of {quota:,} votes is more than the {total:,} votes this body has in all ({weights}); "
            f"expected at most {total:,}, or a share such as 'majority' or '2/3'")


def msg_no_stakes(entity: str) -> str:
    return (f"no equity instrument into {_quoted(entity)} carries a `stake`; expected a stake above zero on at "
            "least one, since its governance follows the stakes")


def msg_zero_stakes(entity: str) -> str:
    return (f"the equity stakes in {_quoted(entity)} are all zero; expected a stake above zero on at least one, "
            "since its governance follows the stakes")


def msg_no_votes(body: str) -> str:
    return f"the votes of body {_quoted(body)} add up to zero; expected at least one party with votes"
