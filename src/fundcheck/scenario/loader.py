"""Loading a scenario from YAML (a file or a built-in name) into a validated ``Scenario``.

Validation happens in two passes and reports every mistake it finds, each with file, line and field:
the schema (types, units, unknown fields) through pydantic, then the meaning (references to entities and
sites, unique instrument and contract names, every month inside the horizon, phases that energize after they
start, stakes up to 100%, a source on every number, funding that does not loop).

Before either pass, the file and its data are held to ``yamlio.LIMITS``: the file size (at most that many bytes
are ever read), what the YAML reader refuses, and the number of entities, sites, phases, instruments, contracts
and alternatives; the horizon length is checked first among the meanings. So nothing is built for a scenario
that a run could not handle, and every limit that is hit says what to change.
"""

from __future__ import annotations

import copy
import hashlib
import types
import typing
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from fundcheck import errors
from fundcheck.errors import Problem, ScenarioError, UsageError
from fundcheck.scenario.months import horizon_problems
from fundcheck.scenario.quantities import month_str
from fundcheck.scenario.rules import governance_problems, waterfall_problems
from fundcheck.scenario.schema import (
    SOURCE_WORDS,
    Equity,
    Lease,
    Loan,
    Offtake,
    Scenario,
    Sourced,
)
from fundcheck.scenario.uncertain import uncertainty_problems
from fundcheck.scenario.yamlio import LIMITS, LineMap, dotted, read_yaml

__all__ = ["applied_alternatives", "builtin_names", "builtin_path", "load", "load_text", "origin", "read_text"]


def builtin_names() -> list[str]:
    """Names of the scenarios that ship with fundcheck."""
    folder = resources.files("fundcheck.scenario") / "builtin"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def builtin_path(name: str) -> Path:
    """The file of a built-in scenario."""
    return Path(str(resources.files("fundcheck.scenario") / "builtin" / f"{name}.yaml"))


def load(source: str | Path, alternatives: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Load a scenario from a built-in name or a YAML path, applying the named alternatives in order."""
    path = Path(source)
    try:
        exists = path.exists()
    except (OSError, ValueError):  # a name too long for the system, say
        exists = False
    if not exists:
        if str(source) in builtin_names():
            path = builtin_path(str(source))
        else:
            raise UsageError(errors.msg_unknown_builtin(str(source), builtin_names()))
    return load_text(read_text(path, str(source)), str(source), alternatives)


def read_text(path: Path, filename: str) -> str:
    """The text of a scenario file, reading at most ``LIMITS.file_bytes`` + 1 bytes (so `/dev/zero` stops)."""
    def fail(message: str, line: int | None = None) -> ScenarioError:
        return ScenarioError([Problem(filename, line, "", message)])

    if path.is_dir():
        raise fail(errors.msg_not_a_file("a folder"))
    try:
        with path.open("rb") as f:
            raw = f.read(LIMITS.file_bytes + 1)
    except OSError as exc:
        raise fail(errors.msg_cannot_read(exc.strerror or str(exc))) from None
    if len(raw) > LIMITS.file_bytes:
        raise fail(errors.msg_file_too_large(LIMITS.file_bytes))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(errors.msg_not_utf8(exc.start + 1), raw.count(b"\n", 0, exc.start) + 1) from None


def load_text(text: str, filename: str = "<scenario>",
              alternatives: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Validate scenario YAML text; `filename` is only used in messages."""
    alternatives = tuple(alternatives)  # any iterable, read once (it also keys the remembered answer)
    data, lines = read_yaml(text, filename)
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ScenarioError([Problem(filename, 1, "", errors.msg_not_mapping(found))])
    too_many = list(_count_problems(data, lines, filename))
    if too_many:
        raise ScenarioError(too_many)
    scenario = _validate(data, lines, filename)
    if alternatives:
        data = _apply_alternatives(scenario, data, alternatives, filename, lines)
        scenario = _validate(data, lines, filename, altered=True)
    problems = _alternative_problems(scenario, data, lines, filename, (text, filename, alternatives))
    if problems:
        raise ScenarioError(_capped(problems, filename))
    scenario._origin = filename
    scenario._applied = alternatives
    return scenario


_ALTERNATIVES_CHECKED: dict[str, list[Problem]] = {}  # by a digest of the text, its name and what was applied


def _alternative_problems(scenario: Scenario, data: dict[str, Any], lines: LineMap, filename: str,
                          inputs: tuple[str, str, tuple[str, ...]]) -> list[Problem]:
    """The alternatives themselves must lead to valid scenarios: each applied to `data` and validated whole.
    The answer is remembered by the `inputs` it follows from (the text, its name, the alternatives applied), so
    loading the same file again (the API; `fundcheck run` loads it three times) validates one scenario, not all."""
    key = hashlib.sha256(repr((inputs, LIMITS)).encode()).hexdigest()
    known = _ALTERNATIVES_CHECKED.get(key)  # one lookup: another thread may clear the table in between
    if known is not None:
        return list(known)
    problems = []
    for i, alt in enumerate(scenario.alternatives):
        if not alt.set:
            continue
        try:
            _validate(_set_paths(copy.deepcopy(data), alt.set, filename, lines, ("alternatives", i)), lines,
                      filename, altered=True)
        except ScenarioError as exc:
            problems += [Problem(filename, lines.get(("alternatives", i)), f"alternatives[{i}] ({alt.name})",
                                 p.message) for p in exc.problems]
    if len(_ALTERNATIVES_CHECKED) >= 256:
        _ALTERNATIVES_CHECKED.clear()
    _ALTERNATIVES_CHECKED[key] = list(problems)
    return problems


def _count_problems(data: dict[str, Any], lines: LineMap, filename: str) -> Iterator[Problem]:
    """Too many entities, sites, phases, instruments, contracts or alternatives (``LIMITS``)."""
    for key in ("entities", "sites", "instruments", "contracts", "alternatives"):
        items, limit = data.get(key), getattr(LIMITS, key)
        if isinstance(items, dict | list) and len(items) > limit:
            yield Problem(filename, lines.get((key,)), key, errors.msg_too_many(len(items), key, limit))
    sites = data.get("sites")
    if isinstance(sites, dict):
        phases = sum(len(site["phases"]) for site in sites.values()
                     if isinstance(site, dict) and isinstance(site.get("phases"), list))
        if phases > LIMITS.phases:
            yield Problem(filename, lines.get(("sites",)), "sites",
                          errors.msg_too_many(phases, "phases in all sites", LIMITS.phases))


def _capped(problems: list[Problem], filename: str) -> list[Problem]:
    """The first ``LIMITS.problems`` problems, and a line that says how many more there are."""
    if len(problems) <= LIMITS.problems:
        return problems
    rest = len(problems) - LIMITS.problems
    return problems[:LIMITS.problems] + [Problem(filename, None, "", errors.msg_more_problems(rest))]


def _validate(data: dict[str, Any], lines: LineMap, filename: str, altered: bool = False) -> Scenario:
    """Both passes; `altered`: an alternative is applied, so correlations may name inputs it fixed."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_capped([_problem_from_pydantic(e, data, lines, filename) for e in exc.errors()],
                                    filename)) from None
    problems = list(_meaning_problems(scenario, lines, filename, altered))
    if problems:
        raise ScenarioError(_capped(problems, filename))
    return scenario


def _apply_alternatives(scenario: Scenario, data: dict[str, Any], names: list[str] | tuple[str, ...],
                        filename: str, lines: LineMap) -> dict[str, Any]:
    by_name = {a.name: (i, a) for i, a in enumerate(scenario.alternatives)}
    data = copy.deepcopy(data)
    for name in names:
        if name not in by_name:
            raise UsageError(errors.msg_unknown_alternative(name, list(by_name)))
        i, alt = by_name[name]
        data = _set_paths(data, alt.set, filename, lines, ("alternatives", i))
    return data


def _set_paths(data: dict[str, Any], settings: dict[str, Any], filename: str, lines: LineMap,
               where: tuple[Any, ...]) -> dict[str, Any]:
    for key_path, value in settings.items():
        parts = [int(p) if p.isascii() and p.isdigit() and len(p) < 10 else p for p in str(key_path).split(".")]
        node: Any = data
        try:
            for part in parts[:-1]:
                if isinstance(node, dict) and part not in node:
                    node[part] = {}
                node = node[part]
            if isinstance(node, list) and not (isinstance(parts[-1], int) and parts[-1] < len(node)):
                raise IndexError(parts[-1])
            node[parts[-1]] = value
        except (KeyError, IndexError, TypeError):
            raise ScenarioError([Problem(filename, lines.get(where), f"alternatives.set.{key_path}",
                                         errors.msg_bad_alternative_path(str(key_path)))]) from None
    return data


# --- pydantic errors -> problems ---------------------------------------------------------------------------

def _problem_from_pydantic(err: Any, data: Any, lines: LineMap, filename: str) -> Problem:
    loc = tuple(err["loc"])
    path = _data_path(loc, data)
    field = dotted(path)
    kind = err["type"]
    if kind == "extra_forbidden":
        model = _model_at(path[:-1], data)
        allowed = [f.alias or n for n, f in model.model_fields.items()] if model else []
        message = errors.msg_unknown_field(str(path[-1]), allowed)
    elif kind == "missing":
        missing = loc[-1]
        field = dotted(path + (missing,)) if path[-1:] != (missing,) else field
        message = errors.msg_missing_field()
    elif kind in ("value_error", "assertion_error"):
        message = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    elif kind == "literal_error":
        message = f"found {errors.shown(err.get('input'))}; expected {err['ctx']['expected']}"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        found = err["input"].get("kind") if isinstance(err.get("input"), dict) else None
        message = f"found kind {found!r}; expected one of {err.get('ctx', {}).get('expected_tags', '')}"
    else:
        found = err.get("input")
        shown = errors.shown(found) if not isinstance(found, dict | list) else f"a {type(found).__name__}"
        message = f"found {shown}; expected {err['msg'][0].lower() + err['msg'][1:]}".replace(
            "expected input should be", "expected")
    return Problem(filename, _line(path, lines), field, message)


def _data_path(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """The part of a pydantic location that names real keys in the data (union tags dropped)."""
    path: tuple[Any, ...] = ()
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
            path += (part,)
    return path


def _line(path: tuple[Any, ...], lines: LineMap) -> int | None:
    for n in range(len(path), -1, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return None



def _model_at(path: tuple[Any, ...], data: Any) -> type[BaseModel] | None:
    """The schema model that describes the data at `path` (follows dicts, lists and `kind` unions)."""
    tp: Any = Scenario
    node = data
    for part in path:
        model = _as_model(tp, node)
        if model is None:
            tp = _container_item(tp)
        else:
            fields = {f.alias or n: f for n, f in model.model_fields.items()}
            if part not in fields:
                return None
            tp = fields[part].annotation
        node = node[part] if isinstance(node, dict | list) else None
    return _as_model(tp, node)


def _as_model(tp: Any, node: Any) -> type[BaseModel] | None:
    models = [c for c in _unwrap(tp) if isinstance(c, type) and issubclass(c, BaseModel)]
    for candidate in models:
        kind_field = candidate.model_fields.get("kind")
        tagged = kind_field is not None and typing.get_origin(kind_field.annotation) is typing.Literal
        if tagged and isinstance(node, dict) and node.get("kind") not in typing.get_args(kind_field.annotation):
            continue  # another member of a `kind` union
        return candidate
    return models[0] if len(models) == 1 else None  # a model whose own `kind` is wrong is still that model


def _container_item(tp: Any) -> Any:
    for candidate in _unwrap(tp):
        origin = typing.get_origin(candidate)
        if origin is list:
            return typing.get_args(candidate)[0]
        if origin is dict:
            return typing.get_args(candidate)[1]
    return None


def _unwrap(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        out = []
        for arg in typing.get_args(tp):
            out += _unwrap(arg)
        return out
    return [tp]


# --- meaning ----------------------------------------------------------------------------------------------

def _meaning_problems(s: Scenario, lines: LineMap, filename: str, altered: bool = False) -> Iterator[Problem]:
    """Every problem of meaning, each field reported once: a month that a specific rule already faults (such as
    an energization before its phase starts) is not reported again for lying outside the horizon."""
    def at(path: tuple[Any, ...], message: str) -> Problem:
        return Problem(filename, _line(path, lines), dotted(path), message)

    if s.horizon.end < s.horizon.start:  # every other month is checked against it: nothing more to say
        yield at(("horizon", "end"), errors.msg_horizon_order(month_str(s.horizon.start), month_str(s.horizon.end)))
        return
    months = s.horizon.end - s.horizon.start + 1
    if months > LIMITS.horizon_months:  # a run would allocate arrays of this length: nothing more to say
        yield at(("horizon", "end"), errors.msg_horizon_too_long(months, month_str(s.horizon.start),
                                                                  month_str(s.horizon.end), LIMITS.horizon_months))
        return
    reported: set[str] = set()
    for problem in _specific_problems(s, lines, filename, altered):
        reported.add(problem.field)
        yield problem
    for path, message in horizon_problems(s):
        if dotted(path) not in reported:
            yield at(path, message)
    yield from _unsourced(s, (), None, lines, filename)
    cycle = _funding_cycle(s)
    if cycle:
        i = next(i for i, ins in enumerate(s.instruments) if ins.from_ == cycle[0] and ins.to == cycle[1])
        yield at(("instruments", i), errors.msg_cycle(cycle))


def _ratio_problem(value: float) -> str | None:
    """A cover ratio (DSCR target or covenant) outside 1 to 10, in words; None when it is fine."""
    if 1.0 <= value <= 10.0:
        return None
    return f"found {value:g}; expected a cover ratio from 1 to 10"


def _loan_problems(s: Scenario) -> Iterator[tuple[tuple[Any, ...], str]]:
    """A loan's sculpting, covenants, sweep, reserve and conversion: each only where it means something."""
    for i, ins in enumerate(s.instruments):
        if not isinstance(ins, Loan):
            continue
        here = ("instruments", i)
        modelled_borrower = not (ins.to in s.entities and s.entities[ins.to].is_outside)
        dscr = ins.repay.dscr
        if ins.repay.kind == "sculpted" and dscr is None:
            yield here + ("repay",), ("found kind: sculpted without dscr; expected `dscr:` the target cover ratio "
                                      "(e.g. 1.3)")
        elif ins.repay.kind != "sculpted" and dscr is not None:
            yield here + ("repay", "dscr"), (f"found dscr with kind: {ins.repay.kind}; expected kind: sculpted "
                                             "(only sculpted debt is shaped to a cover ratio)")
        elif dscr is not None and (problem := _ratio_problem(dscr.value)):
            yield here + ("repay", "dscr"), problem + " (below 1 the debt service would exceed the cash that pays it)"
        cov = ins.covenants
        if cov is not None:
            for name in ("lockup_dscr", "default_dscr"):
                v = getattr(cov, name)
                if v is not None and (problem := _ratio_problem(v.value)):
                    yield here + ("covenants", name), problem
            if cov.lockup_dscr is None and cov.default_dscr is None:
                yield here + ("covenants",), "found no test; expected lockup_dscr, default_dscr or both"
            elif cov.lockup_dscr is not None and cov.default_dscr is not None \
                    and cov.default_dscr.value > cov.lockup_dscr.value:
                yield here + ("covenants", "default_dscr"), (
                    f"found {cov.default_dscr.value:g}, above lockup_dscr {cov.lockup_dscr.value:g}; expected "
                    "default at or below lock-up (a default is the worse breach)")
        if (ins.sweep is not None or cov is not None or ins.reserve_months is not None) and ins.refinances is not None:
            field = "sweep" if ins.sweep is not None else "covenants" if cov is not None else "reserve_months"
            yield here + (field,), "found on a refinancing; expected it on the loan it refinances"
        if ins.reserve_months is not None and not modelled_borrower:
            yield here + ("reserve_months",), (f"found a reserve for '{ins.to}', a party whose cash is not "
                                               "modelled; expected a modelled borrower (a reserve holds part of "
                                               "its cash)")
        if ins.repay.kind == "sculpted" and not modelled_borrower:
            yield here + ("to",), (f"found '{ins.to}', a party whose cash is not modelled; expected a modelled "
                                   "borrower: sculpted debt is sized on the borrower's own cash")
        if ins.repay.kind == "sculpted" and ins.draw == "upfront":
            yield here + ("draw",), ("found upfront with sculpted repayment; expected as_needed: a sculpted loan "
                                     "is sized on cash flows before it is drawn")
        c = ins.convert_at
        if c is None:
            continue
        if c.site not in s.sites:
            yield here + ("convert_at", "site"), errors.msg_unknown_site(c.site, list(s.sites))
        elif c.phase is not None and c.phase not in [p.name for p in s.sites[c.site].phases]:
            yield here + ("convert_at", "phase"), (f"found '{c.phase}'; expected a phase of '{c.site}': "
                                                   + ", ".join(p.name for p in s.sites[c.site].phases))
        if ins.draw == "upfront":
            yield here + ("draw",), ("found upfront with convert_at; expected as_needed: a loan drawn whole at its "
                                     "start has no construction period to convert")


def _refinancing_problems(s: Scenario) -> Iterator[tuple[tuple[Any, ...], str]]:
    """A loan's `refinances`: it names another loan of the same borrower, refinanced by no other loan, in no
    loop; the refinancing is drawn as maturities fall due (not upfront), without a loan-to-cost cap, and no
    funding order names it."""
    names = s.instrument_names()
    loans = {n: i for i, (n, ins) in enumerate(zip(names, s.instruments, strict=True)) if isinstance(ins, Loan)}
    by: dict[str, str] = {}
    for i, ins in enumerate(s.instruments):
        if not isinstance(ins, Loan) or ins.refinances is None:
            continue
        here = ("instruments", i)
        target = ins.refinances
        if target not in loans:
            found = "an equity commitment" if target in names else "no instrument of that name"
            mine = [n for n, j in loans.items() if s.instruments[j].to == ins.to and j != i]
            yield here + ("refinances",), (f"found '{target}' ({found}); expected the name of a loan to "
                                           f"'{ins.to}': {', '.join(mine) or 'it has none'}")
            continue
        if target == names[i]:
            yield here + ("refinances",), f"found '{target}', this loan itself; expected another loan of '{ins.to}'"
            continue
        other = s.instruments[loans[target]]
        if other.to != ins.to:
            yield here + ("refinances",), (f"found '{target}', a loan to '{other.to}'; expected a loan to '{ins.to}', "
                                           "the borrower of this refinancing")
            continue
        if target in by:
            yield here + ("refinances",), (f"found '{target}', already refinanced by '{by[target]}'; expected one "
                                           "refinancing per loan (raise that one's limit instead)")
            continue
        by[target] = names[i]
        if ins.draw == "upfront":
            yield here + ("draw",), ("found upfront; expected as_needed: a refinancing is drawn as the loan it "
                                     "refinances falls due")
        if ins.max_ltc is not None:
            yield here + ("max_ltc",), ("found a loan-to-cost cap on a refinancing; expected none: it replaces "
                                        "debt, so it adds none to the borrower's loan-to-cost")
    for start in by:  # a loop: A refinances B refinances ... A
        seen, name = [start], by[start]
        while name in by and name not in seen:
            seen.append(name)
            name = by[name]
        if name == start:
            i = loans[by[start]]
            yield ("instruments", i, "refinances"), f"found a loop of refinancings: {' <- '.join([*seen, start])}"
            break
    for name, ent in s.entities.items():
        for k, item in enumerate(ent.funding_priority or ()):
            ins = s.instruments[loans[item]] if item in loans else None
            if isinstance(ins, Loan) and ins.to == name and ins.refinances is not None:
                yield (("entities", name, "funding_priority", k),
                       f"found '{item}', a refinancing of '{ins.refinances}'; expected a "
                       "source this entity can spend (a refinancing only repays the loan it refinances)")


def _specific_problems(s: Scenario, lines: LineMap, filename: str, altered: bool = False) -> Iterator[Problem]:
    """References, names, phase timing, stakes, funding priorities, waterfalls and governance."""
    def at(path: tuple[Any, ...], message: str) -> Problem:
        return Problem(filename, _line(path, lines), dotted(path), message)

    names = list(s.entities)

    def entity(path: tuple[Any, ...], name: str) -> Iterator[Problem]:
        if name not in s.entities:
            yield at(path, errors.msg_unknown_entity(name, names))

    for site_name, site in s.sites.items():
        yield from entity(("sites", site_name, "owner"), site.owner)
        if site.it_owner:
            yield from entity(("sites", site_name, "it_owner"), site.it_owner)
        for j, ph in enumerate(site.phases):
            here = ("sites", site_name, "phases", j)
            if ph.energization is not None and ph.energization < ph.start:
                yield at(here + ("energization",),
                         errors.msg_energizes_before_start(month_str(ph.energization), month_str(ph.start)))
            elif ph.energization is not None and ph.energization < ph.start + ph.months:
                yield at(here + ("energization",), errors.msg_energizes_before_built(
                    month_str(ph.energization), month_str(ph.start + ph.months - 1)))
            for fld, default in (("facility_capex", "facility_capex_per_mw"), ("it_capex", "it_capex_per_mw")):
                if getattr(ph, fld) is None and getattr(s.defaults, default) is None:
                    yield at(here, f"no {fld} given and no defaults.{default} to derive it from; "
                                   f"expected `{fld}:` on the phase or `defaults.{default}`")

    yield from _duplicate_names(s.instruments, s.instrument_names(), "instruments", "instrument", lines, filename)
    yield from _duplicate_names(s.contracts, s.contract_names(), "contracts", "contract", lines, filename)

    stakes: dict[str, float] = {}
    for i, ins in enumerate(s.instruments):
        here = ("instruments", i)
        yield from entity(here + ("from",), ins.from_)
        yield from entity(here + ("to",), ins.to)
        if ins.from_ == ins.to:
            yield at(here + ("to",), errors.msg_self_funding(ins.to))
        if isinstance(ins, Equity) and ins.stake is not None:
            stakes[ins.to] = stakes.get(ins.to, 0.0) + ins.stake.value
        if ins.start is not None and ins.end is not None and ins.end < ins.start:
            yield at(here + ("end",), errors.msg_ends_before_start(month_str(ins.end), month_str(ins.start)))
    yield from (at(path, message) for path, message in _refinancing_problems(s))
    yield from (at(path, message) for path, message in _loan_problems(s))
    for to, total in stakes.items():
        if total > 1.0 + 1e-9:
            first = next(i for i, ins in enumerate(s.instruments) if isinstance(ins, Equity) and ins.to == to)
            yield at(("instruments", first, "stake"), errors.msg_stakes_over_100(to, total))

    for i, c in enumerate(s.contracts):
        here = ("contracts", i)
        if isinstance(c, Lease):
            yield from entity(here + ("tenant",), c.tenant)
            yield from entity(here + ("landlord",), c.landlord)
            if c.tenant == c.landlord:
                yield at(here + ("landlord",), f"found '{c.landlord}', also the tenant; expected another party (a "
                         "lease with itself moves no money)")
        elif isinstance(c, Offtake):
            yield from entity(here + ("buyer",), c.buyer)
            yield from entity(here + ("seller",), c.seller)
            if c.buyer == c.seller:
                yield at(here + ("seller",), f"found '{c.seller}', also the buyer; expected another party (an "
                         "offtake with itself moves no money)")
        if c.site is not None and c.site not in s.sites:
            yield at(here + ("site",), errors.msg_unknown_site(c.site, list(s.sites)))

    for name, ent in s.entities.items():
        if ent.funding_priority is None:
            continue
        allowed = list(SOURCE_WORDS) + [n for n, ins in zip(s.instrument_names(), s.instruments, strict=True)
                                        if ins.to == name]
        for k, item in enumerate(ent.funding_priority):
            if item not in allowed:
                yield at(("entities", name, "funding_priority", k), errors.msg_bad_priority(item, allowed))

    for path, message in [*waterfall_problems(s), *governance_problems(s),
                          *uncertainty_problems(s, fixed_ok=altered)]:
        yield at(path, message)
    for name, ent in s.entities.items():
        r = ent.can_raise
        start = s.horizon.start if r is None or r.start is None else r.start
        if r is not None and r.maturity is not None and r.maturity <= start \
                and s.horizon.start <= start <= s.horizon.end:  # a start outside the horizon is its own error
            what = "start" if r.start is not None else "the horizon start, where raising starts by default"
            yield at(("entities", name, "can_raise", "maturity"),
                     f"found {month_str(r.maturity)}; expected a month after {what} ({month_str(start)}): "
                     "nothing could be raised")
    if s.operations is not None and s.operations.gpu_refresh_years is not None:
        years = s.operations.gpu_refresh_years.value
        longest = max(((ph.it_months, f"{name}: {ph.name}") for name, site in s.sites.items() for ph in site.phases),
                      default=(0, ""))
        months = round(years * 12)
        if not 1 / 12 <= years <= 100:
            yield at(("operations", "gpu_refresh_years"), f"found {years:g}; expected one month (1/12) to 100 years")
        elif months <= longest[0]:
            yield at(("operations", "gpu_refresh_years"),
                     f"found {years:g} years ({months} month{'s' if months != 1 else ''}); expected more than the "
                     f"longest IT purchase, {longest[0]} months ({longest[1]}), so that generations do not overlap")
        if s.gap_policy == "record":
            yield at(("operations", "gpu_refresh_years"),
                     "found with gap_policy: record; expected gap_policy: defer (under record an unpaid purchase "
                     "is dropped, and which generation of GPUs a payment bought is not tracked)")
    if s.operations is not None and s.operations.gpu_refresh_cost_share is not None \
            and s.operations.gpu_refresh_years is None:
        yield at(("operations", "gpu_refresh_cost_share"),
                 "found without gpu_refresh_years; expected both (the share of each refresh's cost) or neither")
    if s.operations is not None:
        for site_name, who in s.operations.operators.items():
            if site_name not in s.sites:
                yield at(("operations", "operators", site_name), errors.msg_unknown_site(site_name, list(s.sites)))
            yield from entity(("operations", "operators", site_name), who)
    for name in s.accounting.tax_rates:
        yield from entity(("accounting", "tax_rates", name), name)
    for key in ("facility_life_years", "it_life_years"):
        life = getattr(s.accounting, key)
        if life is not None and not 1 / 12 <= life.value <= 100:
            yield at(("accounting", key), f"found {life.value:g}; expected a life of one month (1/12) to 100 years")
    if s.uncertainty is not None:
        for name in s.uncertainty.defaults:
            if name not in s.entities:
                yield at(("uncertainty", "defaults", name), errors.msg_unknown_entity(name, names))
    if s.uncertainty is not None and s.uncertainty.rate_shift is not None and s.uncertainty.rate_shift.loans:
        loans = [n for n, ins in zip(s.instrument_names(), s.instruments, strict=True) if isinstance(ins, Loan)]
        for k, name in enumerate(s.uncertainty.rate_shift.loans):
            if name not in loans:
                yield at(("uncertainty", "rate_shift", "loans", k),
                         f"no loan named '{name}'; expected one of: {', '.join(loans) or '(none)'}")


def _duplicate_names(items: list[Any], names: list[str], key: str, what: str, lines: LineMap,
                     filename: str) -> Iterator[Problem]:
    """A problem on each item whose name an earlier item (of the list at `key`) already has."""
    first: dict[str, int] = {}
    for j, name in enumerate(names):
        if name not in first:
            first[name] = j
            continue
        i = first[name]
        other = f"{key}[{i}]" + (f" (line {lines[(key, i)]})" if (key, i) in lines else "")
        path = (key, j, "name") if items[j].name else (key, j)
        yield Problem(filename, _line(path, lines), dotted(path), errors.msg_duplicate_name(
            name, what, other, made=not items[j].name, other_made=not items[i].name))


def _unsourced(obj: Any, path: tuple[Any, ...], inherited: str | None, lines: LineMap,
               filename: str) -> Iterator[Problem]:
    if isinstance(obj, Sourced):
        if not (obj.source or inherited):
            yield Problem(filename, _line(path, lines), dotted(path), errors.msg_no_source())
    elif isinstance(obj, BaseModel):
        own = getattr(obj, "source", None) if not isinstance(obj, Scenario) else None
        for name, fld in type(obj).model_fields.items():
            if name == "alternatives":
                continue
            yield from _unsourced(getattr(obj, name), path + (fld.alias or name,), own or inherited, lines,
                                  filename)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _unsourced(v, path + (k,), inherited, lines, filename)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _unsourced(v, path + (i,), inherited, lines, filename)


def _funding_cycle(s: Scenario) -> list[str] | None:
    """A loop of money between parties whose liquidity is modelled, if there is one."""
    edges: dict[str, set[str]] = {}
    for ins in s.instruments:
        payer = s.entities.get(ins.from_)
        if payer is None or payer.is_outside or ins.to not in s.entities:
            continue
        edges.setdefault(ins.to, set()).add(ins.from_)  # `to` may call on `from`
    state: dict[str, int] = {}  # 1 on the path being walked, 2 done
    for root in sorted(edges):
        if root in state:
            continue
        # depth-first with an explicit stack (thousands of entities in a chain must not exhaust recursion)
        path: list[str] = [root]
        todo: list[list[str]] = [sorted(edges.get(root, ()))]
        state[root] = 1
        while path:
            if not todo[-1]:
                state[path.pop()] = 2
                todo.pop()
                continue
            nxt = todo[-1].pop(0)
            if state.get(nxt) == 1:
                return list(reversed(path[path.index(nxt):] + [nxt]))
            if nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                todo.append(sorted(edges.get(nxt, ())))
    return None


def origin(scenario: Scenario) -> str:
    """The file (or built-in name) a scenario was loaded from."""
    return scenario._origin


def applied_alternatives(scenario: Scenario) -> tuple[str, ...]:
    """The named alternatives applied when the scenario was loaded, in order."""
    return scenario._applied

