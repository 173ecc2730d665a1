"""YAML reading that remembers where every value came from, so errors can name the line, and cannot crash.

``read_yaml`` returns the plain Python data and a map from each path (a tuple of keys and indexes) to its
1-based line number. It builds the data itself from PyYAML's event stream (``_Reader``, a ``SafeLoader``
subclass used only for its parser, its resolver and its scalar constructors), so nothing reaches a YAML
constructor that can raise, nothing is built recursively, and every mistake is a located ``Problem``:

- duplicate keys, keys that are not text (a list or mapping used as a key; a number, a bool such as `on`, or
  null where a name is expected), keys and text longer than the limits below;
- tags: only the standard ``!!str``, ``!!int``, ``!!float``, ``!!bool``, ``!!null``, ``!!map`` and ``!!seq``
  are read. ``!!binary``, ordered maps (``!!omap``, ``!!pairs``), sets (``!!set``), ``!!python/...`` and
  local tags (``!foo``) each get their own message;
- numbers too large for a float (an integer of 400 digits) and NaN or infinite values;
- nesting deeper than ``LIMITS.depth``, and more than ``LIMITS.nodes`` values once aliases are expanded
  (a "billion laughs" file stops at the limit, it is never expanded in memory); aliases to undefined or
  enclosing anchors; a second document in the file; characters YAML does not allow, escapes that name no
  character, and lone surrogates.

YAML dates and times (``2025-01-01``, also ``2025-13-01``, hour 25 or year 0, which are no real dates) are
kept as their text, as ``YamlDate``: a month field then says that a date was given where a month ``YYYY-MM``
is expected, and a text field keeps the text. Merge keys (``<<: *base``) work as in YAML 1.1.

The limits of a scenario
------------------------

``LIMITS`` holds every bound on a scenario, checked before any work starts. Each message that reports one
says what to change.

=====================  ==============  ===========================================================
limit                  value           checked by
=====================  ==============  ===========================================================
file_bytes             5,000,000       ``loader.load`` reads at most this + 1 bytes (``/dev/zero`` too)
depth                  64              ``read_yaml``: lists and mappings nested inside each other
nodes                  500,000         ``read_yaml``: values (keys too) once aliases are expanded
key_chars              200             ``read_yaml``: every mapping key (field and entity names)
text_chars             2,000           ``read_yaml``: every text value (descriptions, notes, sources)
name_chars             200             ``schema.Name``: program, phase, instrument, contract, ... names
amount                 1e15            ``quantities.parse_amount``: the size of every number in a value
first_year, last_year  1900, 2200      ``schema.Month``: months are text ``YYYY-MM`` in these years
horizon_months         1,200           ``loader``: months from horizon start to end (100 years)
entities               2,000           ``loader``: entities
sites                  2,000           ``loader``: sites
phases                 20,000          ``loader``: phases of all sites together
instruments            10,000          ``loader``: instruments
contracts              10,000          ``loader``: contracts
alternatives           100             ``loader``: alternatives (each is validated as a whole scenario)
problems               100             ``read_yaml`` and ``loader``: problems listed before stopping
=====================  ==============  ===========================================================
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from fundcheck import errors
from fundcheck.errors import Problem, ScenarioError

__all__ = ["LIMITS", "Limits", "LineMap", "YamlDate", "dotted", "read_yaml"]

LineMap = dict[tuple[Any, ...], int]


@dataclass(frozen=True)
class Limits:
    """The bounds on a scenario (see the table in this module's docstring)."""

    file_bytes: int = 5_000_000
    depth: int = 64
    nodes: int = 500_000
    key_chars: int = 200
    text_chars: int = 2_000
    name_chars: int = 200
    amount: float = 1e15
    first_year: int = 1900
    last_year: int = 2200
    horizon_months: int = 1_200
    entities: int = 2_000
    sites: int = 2_000
    phases: int = 20_000
    instruments: int = 10_000
    contracts: int = 10_000
    alternatives: int = 100
    problems: int = 100


LIMITS = Limits()


class YamlDate(str):
    """Text that YAML reads as a date or a time ('2025-01-01', '2025-13-01'): kept as written.

    `real` is False when it is no real date (month 13, hour 25, year 0)."""

    real: bool = True


_YAML = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL, _INT, _FLOAT = (_YAML + t for t in ("str", "null", "bool", "int", "float"))
_TIMESTAMP, _MERGE_TAG, _VALUE, _MAP, _SEQ = (_YAML + t for t in ("timestamp", "merge", "value", "map", "seq"))
_MAX_DIGITS = 400  # a number written with more digits than this cannot be a float; Python would refuse 4,300
_BAD_TEXT = re.compile("[\ud800-\udfff]")  # lone surrogates: they cannot be written out as UTF-8


class _Merge:
    """The key `<<` of a YAML merge."""


class _BadKey:
    """A key already reported as a problem: its value is read and dropped."""


_MERGE, _BAD = _Merge(), _BadKey()


class _StopError(Exception):
    """A problem that ends reading (nesting too deep, too many values, a bad alias)."""


class _Reader(yaml.SafeLoader):
    """PyYAML's safe parser and resolver; ``read_yaml`` builds the values from its events."""


# libyaml's parser, when PyYAML has it: about ten times faster. Any file it does not read is read again by
# PyYAML's own parser, whose messages are the ones reported (and which decides what is valid YAML).
_FAST: type | None = None
if getattr(yaml, "CSafeLoader", None) is not None:
    class _FastReader(yaml.CSafeLoader):  # type: ignore[name-defined, misc]
        """libyaml's parser with PyYAML's safe resolver and scalar constructors."""

    _FAST = _FastReader


@dataclass
class _Frame:
    """A list or mapping being read."""

    value: Any  # the dict or list
    path: tuple[Any, ...]
    line: int
    anchor: str | None
    bad: str | None  # a problem with the collection itself (a tag it must not have); reported when it ends
    as_key: bool  # the collection is a key of the enclosing mapping
    nodes: int = 1
    key: Any = None  # mappings: the key read, waiting for its value
    has_key: bool = False
    key_line: int = 0
    merges: list[tuple[dict[Any, Any], int]] = field(default_factory=list)


def read_yaml(text: str, filename: str) -> tuple[Any, LineMap]:
    """Parse YAML text into Python data plus a map from value paths to line numbers.

    Raises ScenarioError with located problems for anything the file should not hold (see the module)."""
    if len(text) > LIMITS.file_bytes:
        raise ScenarioError([Problem(filename, None, "", errors.msg_file_too_large(LIMITS.file_bytes))])
    if _FAST is not None:
        builder = _Builder(filename)
        fast = None
        try:
            fast = _FAST(text)
            data = builder.run(fast)
        except _StopError:  # a limit or an alias: the same events in either parser
            raise ScenarioError(builder.problems) from None
        except Exception:  # anything libyaml refuses is read again below, for PyYAML's message
            pass
        else:
            if builder.problems:
                raise ScenarioError(builder.problems)
            return data, builder.lines
        finally:
            if fast is not None:
                fast.dispose()
    builder = _Builder(filename)
    reader: _Reader | None = None
    try:
        reader = _Reader(text)
        data = builder.run(reader)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        code = ord(exc.character) if isinstance(exc.character, str) else int(exc.character)
        raise ScenarioError([Problem(filename, line, "", errors.msg_bad_character(code))]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([_syntax_problem(exc, filename)]) from None
    except _StopError:
        raise ScenarioError(builder.problems) from None
    finally:
        if reader is not None:
            reader.dispose()
    if builder.problems:
        raise ScenarioError(builder.problems)
    return data, builder.lines


def _syntax_problem(exc: yaml.YAMLError, filename: str) -> Problem:
    line = None
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        line = mark.line + 1
    problem = getattr(exc, "problem", None) or str(exc)
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark is not None and context_mark.line + 1 != line:
        problem += f" ({context} that starts on line {context_mark.line + 1})"
    return Problem(filename, line, "", errors.msg_yaml(problem))


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_YAML):] if tag.startswith(_YAML) else tag


class _Builder:
    """Builds plain data from parser events, with one frame per open list or mapping (no recursion)."""

    def __init__(self, filename: str):
        self.filename = filename
        self.lines: LineMap = {}
        self.problems: list[Problem] = []
        self.anchors: dict[str, tuple[Any, int]] = {}  # anchor -> (value, number of values in it)
        self.open_anchors: set[str] = set()
        self.nodes = 0
        self.stack: list[_Frame] = []
        self.root: Any = None
        self.reader: _Reader

    # --- problems ---

    def _problem(self, line: int, path: tuple[Any, ...], message: str) -> None:
        self.problems.append(Problem(self.filename, line, dotted(path), message))
        if len(self.problems) >= LIMITS.problems:
            self.problems.append(Problem(self.filename, None, "", errors.msg_stopped(LIMITS.problems)))
            raise _StopError

    def _stop(self, line: int, path: tuple[Any, ...], message: str) -> None:
        self.problems.append(Problem(self.filename, line, dotted(path), message))
        raise _StopError

    # --- the event loop ---

    def run(self, reader: _Reader) -> Any:
        self.reader = reader
        documents = 0
        while True:
            try:
                if not reader.check_event():
                    break
                event = reader.get_event()
            except (ValueError, OverflowError):  # the scanner's escapes, e.g. "\UFFFFFFFF"
                self._stop(reader.get_mark().line + 1, (), errors.msg_yaml_escape())
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    self._stop(event.start_mark.line + 1, (), errors.msg_second_document())
            elif isinstance(event, yaml.AliasEvent):
                self._alias(event)
            elif isinstance(event, yaml.ScalarEvent):
                self._scalar(event)
            elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                self._start(event)
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                self._end()
        return self.root

    def _where(self) -> tuple[tuple[Any, ...], bool]:
        """The path of the next value and whether it is a mapping key."""
        if not self.stack:
            return (), False
        top = self.stack[-1]
        if isinstance(top.value, list):
            return top.path + (len(top.value),), False
        if not top.has_key:
            return top.path, True
        key = top.key if isinstance(top.key, str) else "<<" if top.key is _MERGE else "?"
        return top.path + (key,), False

    def _count(self, n: int, line: int, path: tuple[Any, ...]) -> None:
        self.nodes += n
        if self.nodes > LIMITS.nodes:
            self._stop(line, path, errors.msg_too_many_nodes(LIMITS.nodes))

    def _start(self, event: yaml.CollectionStartEvent) -> None:
        line = event.start_mark.line + 1
        path, as_key = self._where()
        if len(self.stack) >= LIMITS.depth:
            self.problems.append(Problem(self.filename, line, dotted(path[:4]) + ("..." if len(path) > 4 else ""),
                                         errors.msg_too_deep(LIMITS.depth)))
            raise _StopError
        self._count(1, line, path)
        mapping = isinstance(event, yaml.MappingStartEvent)
        bad = self._collection_tag(event.tag, mapping)
        if not as_key:
            self.lines[path] = line
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        self.stack.append(_Frame({} if mapping else [], path, line, event.anchor, bad, as_key))

    def _collection_tag(self, tag: str | None, mapping: bool) -> str | None:
        if tag is None or tag == "!" or tag == (_MAP if mapping else _SEQ):
            return None
        if tag in (_YAML + "omap", _YAML + "pairs"):
            return errors.msg_yaml_ordered_map(_short_tag(tag))
        if tag == _YAML + "set":
            return errors.msg_yaml_set()
        if tag == _YAML + "binary":
            return errors.msg_yaml_binary()
        return errors.msg_yaml_tag(_short_tag(tag))

    def _end(self) -> None:
        frame = self.stack.pop()
        if frame.anchor is not None:
            self.open_anchors.discard(frame.anchor)
        value = frame.value
        if isinstance(value, dict) and frame.merges:
            value = self._merged(frame)
        if frame.bad is not None:
            self._problem(frame.line, frame.path, frame.bad)
            value = None
        if frame.anchor is not None:
            self.anchors[frame.anchor] = (value, frame.nodes)
        self._attach(value, frame.nodes, frame.line, kind="mapping" if isinstance(frame.value, dict) else "list")

    def _merged(self, frame: _Frame) -> dict[Any, Any]:
        """A mapping with its `<<` merges: keys written in it win, then earlier merges over later ones."""
        out = dict(frame.value)
        for merged, line in frame.merges:
            for key, item in merged.items():
                if key not in out:
                    out[key] = item
                    self.lines[frame.path + (key,)] = line
        return out

    def _alias(self, event: yaml.AliasEvent) -> None:
        line = event.start_mark.line + 1
        path, _ = self._where()
        name = event.anchor
        if name in self.open_anchors:
            self._stop(line, path, errors.msg_recursive_alias(name))
        if name not in self.anchors:
            self._stop(line, path, errors.msg_undefined_alias(name))
        value, nodes = self.anchors[name]
        self._count(nodes, line, path)  # before copying: a billion laughs stops here
        if isinstance(value, dict | list):
            value = copy.deepcopy(value)
        self._attach(value, nodes, line, kind="mapping" if isinstance(value, dict) else
                     "list" if isinstance(value, list) else "alias")

    def _scalar(self, event: yaml.ScalarEvent) -> None:
        line = event.start_mark.line + 1
        path, as_key = self._where()
        self._count(1, line, path)
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.reader.resolve(yaml.ScalarNode, event.value, event.implicit)
        value, problem = self._construct(tag, event, as_key, explicit=event.tag not in (None, "!"))
        if problem is not None and not as_key:
            self._problem(line, path, problem)
            value = None
        elif problem is not None:
            value = _BAD
            self._problem(line, path, problem)
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, 1)
        self._attach(value, 1, line, kind="scalar", text=event.value)

    def _construct(self, tag: str, event: yaml.ScalarEvent, as_key: bool, *,
                   explicit: bool) -> tuple[Any, str | None]:
        """The value of a scalar, or a problem with it (`explicit`: the file gave the tag)."""
        text = event.value
        node = yaml.ScalarNode(tag, text, event.start_mark, event.end_mark, event.style)
        if tag == _STR:
            return text, _text_problem(text, as_key)
        if tag == _NULL:
            return None, None
        if tag == _MERGE_TAG:
            return (_MERGE if as_key else text), None
        if tag == _VALUE:
            return text, None
        if tag == _TIMESTAMP:
            date = YamlDate(text)
            try:
                self.reader.construct_yaml_timestamp(node)
            except Exception:  # any failure means the text is no real date (month 13, hour 25, ...)
                date.real = False
            return date, _text_problem(text, as_key)
        if tag == _BOOL:
            value = self.reader.bool_values.get(text.lower())
            return (value, None) if value is not None else (None, errors.msg_yaml_tag_value("!!bool", text))
        if tag == _INT:
            if sum(ch.isdigit() for ch in text) > _MAX_DIGITS:
                return None, errors.msg_number_too_large(text)
            try:
                number = self.reader.construct_yaml_int(node)
                float(number)
            except OverflowError:
                return None, errors.msg_number_too_large(text)
            except (ValueError, TypeError, IndexError):
                return None, errors.msg_yaml_tag_value("!!int", text) if explicit else errors.msg_not_a_number(text)
            return number, None
        if tag == _FLOAT:
            if len(text) > _MAX_DIGITS * 2:
                return None, errors.msg_number_too_large(text)
            try:
                number = self.reader.construct_yaml_float(node)
            except (ValueError, TypeError, IndexError, OverflowError):
                return None, errors.msg_yaml_tag_value("!!float", text) if explicit else errors.msg_not_a_number(text)
            if math.isnan(number) or (math.isinf(number) and "inf" in text.lower()):
                return None, errors.msg_not_finite(text)
            if math.isinf(number):
                return None, errors.msg_number_too_large(text)
            return number, None
        if tag == _YAML + "binary":
            return None, errors.msg_yaml_binary()
        if tag in (_YAML + "omap", _YAML + "pairs"):
            return None, errors.msg_yaml_ordered_map(_short_tag(tag))
        if tag == _YAML + "set":
            return None, errors.msg_yaml_set()
        return None, errors.msg_yaml_tag(_short_tag(tag))

    def _attach(self, value: Any, nodes: int, line: int, *, kind: str, text: str = "") -> None:
        """Put a finished value into the list or mapping that holds it."""
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        top.nodes += nodes
        if isinstance(top.value, list):
            top.value.append(value)
            return
        if not top.has_key:  # this value is a key
            top.has_key, top.key_line = True, line
            top.key = self._key(value, line, top, kind=kind, text=text)
            return
        key, key_line = top.key, top.key_line
        top.key, top.has_key = None, False
        if key is _BAD:
            return
        if key is _MERGE:
            self._merge_into(top, value, key_line)
            return
        if key in top.value:
            self._problem(key_line, top.path + (key,), errors.msg_duplicate_key(str(key)))
            return
        top.value[key] = value
        self.lines[top.path + (key,)] = key_line

    def _key(self, key: Any, line: int, top: _Frame, *, kind: str, text: str) -> Any:
        """A mapping key as a plain string, or _MERGE, or _BAD once its problem is reported."""
        if key is _BAD or key is _MERGE:
            return key
        if kind in ("list", "mapping"):
            self._problem(line, top.path, errors.msg_collection_key(kind))
            return _BAD
        if isinstance(key, str):
            return str(key)
        if kind == "alias":  # an alias of a scalar that is not text
            text = repr(key)
        if key is None:
            reads_as = "null (empty)"
        elif isinstance(key, bool):
            reads_as = f"{key!r}".lower() + " (a yes/no value)"
        else:
            reads_as = "a number"
        self._problem(line, top.path, errors.msg_key_not_text(text, reads_as))
        return _BAD

    def _merge_into(self, top: _Frame, value: Any, line: int) -> None:
        items = value if isinstance(value, list) else [value]
        if not items or not all(isinstance(item, dict) for item in items):
            self._problem(line, top.path, errors.msg_merge_value())
            return
        top.merges += [(item, line) for item in items]


def _text_problem(text: str, as_key: bool) -> str | None:
    """A problem with a piece of text: too long, or holding a lone surrogate."""
    if as_key and len(text) > LIMITS.key_chars:
        return errors.msg_key_too_long(len(text), LIMITS.key_chars)
    if len(text) > LIMITS.text_chars:
        return errors.msg_text_too_long(len(text), LIMITS.text_chars)
    bad = _BAD_TEXT.search(text)
    return errors.msg_bad_character(ord(bad.group())) if bad else None


def dotted(path: tuple[Any, ...]) -> str:
    """A data path as written in messages: ('sites', 'A', 'phases', 0) -> 'sites.A.phases[0]'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
