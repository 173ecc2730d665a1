"""A ledger: a named list of claims bound to one scenario, read from a YAML or JSON file or a built-in.

File format (YAML; JSON with the same keys also reads)::

    ledger: stargate          # its name
    scenario: stargate        # the scenario its quantities belong to (a built-in name or a path)
    description: ...
    claims: [ {id: A12, said: 2025-01-22, ...}, ... ]

``read_ledger`` reports every mistake at once as ``file:line: field: message`` (a ``ScenarioError``, the
same located problems as a scenario file), including quantities the scenario does not have.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from fundcheck.claims.quantities import Names, names_for
from fundcheck.claims.records import Claim, parse_claim
from fundcheck.errors import Problem, ScenarioError, UsageError

__all__ = ["Ledger", "builtin_ledgers", "ledger_from_data", "read_ledger", "read_ledger_text", "validate_claims"]

_NAMES: dict[str, Names] = {}


@dataclass
class Ledger:
    name: str
    scenario: str
    claims: list[Claim]
    description: str = ""
    origin: str = ""
    _names: Names | None = field(default=None, repr=False)

    def by_id(self) -> dict[str, Claim]:
        return {c.id: c for c in self.claims}

    @property
    def names(self) -> Names:
        if self._names is None:
            self._names = names_of(self.scenario)
        return self._names

    def to_data(self) -> dict[str, Any]:
        return {"ledger": self.name, "scenario": self.scenario, "description": self.description,
                "claims": [c.to_dict() for c in self.claims]}


def names_of(scenario: str) -> Names:
    """The names of a scenario (built-in name or path), cached per process."""
    if scenario not in _NAMES:
        from fundcheck.scenario import load

        _NAMES[scenario] = names_for(load(scenario))
    return _NAMES[scenario]


def builtin_ledgers() -> list[str]:
    folder = resources.files("fundcheck.claims") / "builtin"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def builtin_path(name: str) -> Path:
    return Path(str(resources.files("fundcheck.claims") / "builtin" / f"{name}.yaml"))


def read_ledger(source: str | Path) -> Ledger:
    """A ledger from a built-in name or a YAML/JSON file."""
    path = Path(source)
    if not path.is_file():
        if str(source) in builtin_ledgers():
            path = builtin_path(str(source))
        else:
            raise UsageError(f"'{source}' is neither a built-in ledger nor a file that exists; built-in ledgers "
                             f"are: {', '.join(builtin_ledgers())}")
    from fundcheck.scenario.loader import read_text

    return read_ledger_text(read_text(path, str(source)), str(source))


def read_ledger_text(text: str, filename: str) -> Ledger:
    from fundcheck.scenario.yamlio import read_yaml

    data, lines = read_yaml(text, filename)
    if isinstance(data, list):
        data = {"claims": data}
    if not isinstance(data, dict):
        raise ScenarioError([Problem(filename, 1, "", "found no ledger; expected a mapping with `claims:` (a list)")])
    return ledger_from_data(data, filename, lines)


def ledger_from_data(data: dict[str, Any], filename: str, lines: dict[tuple[Any, ...], int] | None = None,
                     default_name: str = "") -> Ledger:
    lines = lines or {}
    problems: list[Problem] = []
    for key in data:
        if key not in ("ledger", "scenario", "description", "claims"):
            problems.append(Problem(filename, lines.get((key,)), str(key),
                                    f"unknown field '{key}'; expected one of: claims, description, ledger, scenario"))
    raw_claims = data.get("claims")
    if "claims" not in data:
        problems.append(Problem(filename, 1, "claims", "found no `claims:`; expected a list of claims"))
        raise ScenarioError(problems)
    if not isinstance(raw_claims, list):
        problems.append(Problem(filename, lines.get(("claims",), 1), "claims", "expected a list of claims"))
        raise ScenarioError(problems)
    scenario = str(data.get("scenario") or "stargate")
    claims: list[Claim] = []
    for i, raw in enumerate(raw_claims):
        claim, found = parse_claim(raw, filename, ("claims", i), lines)
        problems += found
        if claim is not None:
            claims.append(claim)
    seen: dict[str, int] = {}
    for i, c in enumerate(claims):
        if c.id in seen:
            problems.append(Problem(filename, lines.get(("claims", i, "id")), f"claims[{i}].id",
                                    f"the id '{c.id}' is also claims[{seen[c.id]}]; expected each id once"))
        seen.setdefault(c.id, i)
    if not problems:
        try:
            names = names_of(scenario)
        except (UsageError, ScenarioError) as exc:
            raise ScenarioError([Problem(filename, lines.get(("scenario",)), "scenario", str(exc).splitlines()[0])]) \
                from None
        index = {id(c): i for i, c in enumerate(claims)}
        problems += validate_claims(claims, names, filename, lines, index)
    if problems:
        from fundcheck.scenario.loader import _capped  # the same cap on listed problems as a scenario

        raise ScenarioError(_capped(problems, filename))
    ledger = Ledger(name=str(data.get("ledger") or default_name or Path(filename).stem), scenario=scenario,
                    claims=claims, description=str(data.get("description") or ""), origin=filename)
    return ledger


def validate_claims(claims: list[Claim], names: Names, filename: str,
                    lines: dict[tuple[Any, ...], int] | None = None,
                    index: dict[int, int] | None = None) -> list[Problem]:
    """Problems of claims that do not fit the scenario's names (quantity, unit, definition, subject)."""
    lines = lines or {}
    out: list[Problem] = []
    for k, c in enumerate(claims):
        i = (index or {}).get(id(c), k)
        for fld, message in names.check(c):
            line = lines.get(("claims", i, fld)) or lines.get(("claims", i))
            out.append(Problem(filename, line, f"claims[{i}].{fld} ({c.id})", message))
    return out
