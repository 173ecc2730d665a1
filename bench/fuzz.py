"""Mutation fuzzer for the scenario loader and the engine: never a traceback, always a located error or a result.

Mutants of the built-in scenarios (deleted, duplicated and swapped lines and keys, swapped types, huge and odd
numbers, malformed dates and units, unicode and control characters, YAML tags, anchors, aliases and merge keys,
"billion laughs", deep nesting, truncation; on the text and on the parsed data) go through what `fundcheck
validate` does (`load_text`) and, when they load, what `fundcheck run` does (`fundcheck.run`), in this process.
Each outcome is put in a class: loaded and ran ok; located error (every problem has the file and a line); error
without a line; traceback (by exception type and stage); timeout. Crashes are grouped by where they were raised,
and with ``--minimize`` the first example of each group is shrunk line by line and printed.

    .venv/bin/python bench/fuzz.py --n 10000 --seed 0 --minimize

The same mutations drive ``tests/test_fuzz.py`` (through hypothesis, a few hundred per run).
"""

from __future__ import annotations

import argparse
import datetime
import random
import re
import resource
import signal
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import yaml

T = TypeVar("T")
FILENAME = "fuzz.yaml"
BUILTIN = Path(__file__).resolve().parents[1] / "src" / "fundcheck" / "scenario" / "builtin"


class Picker(Protocol):
    """Where a mutation's choices come from: a seeded `random.Random` here, hypothesis in the test suite."""

    def int(self, lo: int, hi: int) -> int: ...

    def choice(self, items: Sequence[T]) -> T: ...


class RandomPicker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def int(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def choice(self, items: Sequence[T]) -> T:
        return items[self.rng.randrange(len(items))]


def builtin_texts() -> dict[str, str]:
    """The built-in scenarios' YAML, by name."""
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(BUILTIN.glob("*.yaml"))}


# --- odd values, as YAML text ------------------------------------------------------------------------------------

NUMBERS = ["1e400", "-1e400", "1" + "0" * 400, "-1", "0", "-0", ".nan", ".inf", "-.inf", "1e308", "-1e308",
           "1.7976931348623157e308", "4.9e-324", "1e-400", "99999999999999999999999", "0x7fffffffffffffff", "0o777",
           "0b101", "1_000_000", "+12", "12.", ".5", "1e15", "1000000000000", "2.5e11", "3"]
AMOUNTS = ["'$1e400'", "$1e308", "'$-5B'", "$5Q", "5BB", "'$ 5 B'", "$.B", "1e99T", "'$19B$'", "'$1,000,000'",
           "$nan", "$inf", "'$-inf'", "9e15", "$0", "'$1e-400'", "$19B", "19 billion", "'$19b'", "'USD 5'"]
PERCENTS = ["150%", "-5%", "nan%", "1e400%", "'%'", "'0.5%%'", "1e-400%", "100%", "0%", "'50 %'"]
DATES = ["2025-13-01", "2025-02-30", "0000-01-01", "2025-01-01 25:00:00", "2025-01-01T99:99:99", "2025-1",
         "'2025-13'", "'0000-01'", "9999-12", "'10000-01'", "1000000000000", "2025-00", "1899-12", "2025-01-32",
         "2025-06-15", "-2025-01", "2025/01", "'2025-01-01'", "2025-06", "'2200-12'", "'2201-01'", "202501",
         "!!timestamp 2025-13-01", "2001-12-14t21:59:43.10-05:00", "1e10"]
STRINGS = ["''", "~", "null", "true", "no", "yes", "on", "'[/]'", "'[bold]x[/]'", "'[/]' ",
           "'<script>alert(1)</script>'", "'<img src=x onerror=alert(1)>'", "'file.yaml:100:'", "':smile:'",
           "'ÿ€😀'", "'\u202eevil'",
           "'a\u200bb'", '"a\\x00b"', '"\\ud800"', '"\\x07"', "'$x$'", "'\\\\alpha'", "'%s%n'", "'{0}'",
           "'" + "x" * 5000 + "'", "'" + "é" * 300 + "'", "'a: b'", "'#x'", "'!tag'", "'-'", "'?'", "' '"]
TYPES = ["[]", "{}", "[1, 2]", "{a: 1}", "[[[]]]", "[null]", "!!binary AAA", "!!binary '===='",
         "!!python/object:os.system ''", "!!python/name:os.system", "!!python/tuple [1, 2]", "!foo bar", "!foo",
         "!!set {a, b}", "!!omap [{a: 1}, {a: 2}]", "!!pairs [{a: 1}]", "!!float nan", "!!int 1e400",
         "!!int 99999999999999999999999", "!!int x", "!!float x", "!!str", "!!null ''", "!!bool maybe", "!!map []",
         "!!seq {}", "!<tag:yaml.org,2002:int> 12", "!<!> x", "&a 1", "*undefined", "*a", "&r [*r]",
         "!!merge x", "'" + "[" * 10 + "'", "[" * 200 + "]" * 200, "[" * 3000 + "]" * 3000,
         "{a: " * 100 + "1" + "}" * 100, "[" * 40 + "1" + "]" * 40]
ODD = NUMBERS + AMOUNTS + PERCENTS + DATES + STRINGS + TYPES
KEYS = ["[a, b]", "{a: 1}", "1", "null", "~", "true", "2025-01-01", "1.5", "'<script>'", "x" * 300, "ÿ", "<<",
        "''", "? [a, b]\n", "!!python/object:os.system x", "&k name", "*k", "unknown_field", "Name", "name ",
        "!!binary AAAA"]
CHARS = ["\t", "\ufeff", "\x07", "\x85", "\u2028", "\x00", "\r", "\x1b[31m", "\ud800", "\U0001f600", "\u0301",
         "%", "@", "`", "|", ">", "#", "&", "*", "!", "---\n", "...\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n"]

_KEY_LINE = re.compile(r"^(\s*(?:- )?)([^\s:#'\"][^:#]*?|'[^']*'|\"[^\"]*\"):(\s+|$)(.*)$")
_ITEM_LINE = re.compile(r"^(\s*- )(\S.*)$")


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _content_index(lines: list[str], pick: Picker) -> int:
    """A line with content (not blank, not a comment), or any line."""
    useful = [i for i, s in enumerate(lines) if s.strip() and not s.strip().startswith("#")]
    return pick.choice(useful) if useful else pick.int(0, max(len(lines) - 1, 0))


def _value_lines(lines: list[str]) -> list[int]:
    """Lines holding a value: `key: value` or `- value`."""
    out = []
    for i, s in enumerate(lines):
        m = _KEY_LINE.match(s)
        if (m and m.group(4).strip() and not m.group(4).startswith("#")) or _ITEM_LINE.match(s):
            out.append(i)
    return out


def _odd_for(value: str, pick: Picker) -> str:
    """An odd value, most often of a kind that fits what was there (an amount for an amount, a date for a date)."""
    v = value.strip().strip("'\"")
    if pick.int(0, 2):
        if v.startswith("$") or re.fullmatch(r"[\d.]+[KMBT]", v):
            return pick.choice(AMOUNTS + NUMBERS)
        if v.endswith("%"):
            return pick.choice(PERCENTS)
        if re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", v):
            return pick.choice(DATES)
        if re.fullmatch(r"[-+.\deE_]+", v):
            return pick.choice(NUMBERS)
    return pick.choice(ODD)


# --- text mutations ------------------------------------------------------------------------------------------------

def replace_value(text: str, pick: Picker) -> str:
    lines = _lines(text)
    candidates = _value_lines(lines)
    if not candidates:
        return text
    i = pick.choice(candidates)
    m = _KEY_LINE.match(lines[i])
    if m and m.group(4).strip():
        lines[i] = f"{m.group(1)}{m.group(2)}:{m.group(3) or ' '}{_odd_for(m.group(4), pick)}"
    else:
        item = _ITEM_LINE.match(lines[i])
        assert item is not None
        lines[i] = f"{item.group(1)}{_odd_for(item.group(2), pick)}"
    return "\n".join(lines)


def replace_key(text: str, pick: Picker) -> str:
    lines = _lines(text)
    candidates = [i for i, s in enumerate(lines) if _KEY_LINE.match(s)]
    if not candidates:
        return text
    i = pick.choice(candidates)
    m = _KEY_LINE.match(lines[i])
    assert m is not None
    lines[i] = f"{m.group(1)}{pick.choice(KEYS)}:{m.group(3) or ' '}{m.group(4)}"
    return "\n".join(lines)


def delete_line(text: str, pick: Picker) -> str:
    lines = _lines(text)
    del lines[_content_index(lines, pick)]
    return "\n".join(lines)


def duplicate_line(text: str, pick: Picker) -> str:
    lines = _lines(text)
    i = _content_index(lines, pick)
    lines.insert(i, lines[i])
    return "\n".join(lines)


def duplicate_block(text: str, pick: Picker) -> str:
    """Copy a line and the lines indented under it (a duplicated key, list item or whole section), once or many
    times."""
    lines = _lines(text)
    i = _content_index(lines, pick)
    indent = len(lines[i]) - len(lines[i].lstrip())
    j = i + 1
    while j < len(lines) and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent):
        j += 1
    copies = pick.choice([1, 1, 1, 50, 3000])
    lines[j:j] = lines[i:j] * copies
    return "\n".join(lines)


def swap_lines(text: str, pick: Picker) -> str:
    lines = _lines(text)
    if len(lines) < 2:
        return text
    i, j = _content_index(lines, pick), _content_index(lines, pick)
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def reindent(text: str, pick: Picker) -> str:
    lines = _lines(text)
    i = _content_index(lines, pick)
    by = pick.choice([-4, -2, -1, 1, 2, 4])
    lines[i] = " " * by + lines[i] if by > 0 else lines[i][min(-by, len(lines[i]) - len(lines[i].lstrip())):]
    return "\n".join(lines)


def swap_type(text: str, pick: Picker) -> str:
    """Turn a scalar into a list or a map holding it, or a map or list header into a scalar."""
    lines = _lines(text)
    candidates = _value_lines(lines)
    headers = [i for i, s in enumerate(lines) if (m := _KEY_LINE.match(s)) and not m.group(4).strip()]
    if pick.int(0, 1) and candidates:
        i = pick.choice(candidates)
        m = _KEY_LINE.match(lines[i])
        if m and m.group(4).strip():
            v = m.group(4)
            lines[i] = f"{m.group(1)}{m.group(2)}: " + pick.choice([f"[{v}]", f"{{value: {v}}}", f"{{{v}: {v}}}",
                                                                   f"[[{v}]]", f"[{v}, {v}]"])
    elif headers:
        i = pick.choice(headers)
        lines[i] = lines[i].rstrip() + " " + pick.choice(["1", "x", "[]", "{}", "null", "2025-01"])
    return "\n".join(lines)


def insert_chars(text: str, pick: Picker) -> str:
    at = pick.int(0, len(text))
    return text[:at] + pick.choice(CHARS) + text[at:]


def truncate(text: str, pick: Picker) -> str:
    return text[: pick.int(0, len(text))]


def anchors(text: str, pick: Picker) -> str:
    """An anchor on one value and an alias to it on another (or on the same value: a recursive alias), or a merge
    key."""
    lines = _lines(text)
    candidates = [i for i, s in enumerate(lines) if _KEY_LINE.match(s)]
    if len(candidates) < 2:
        return text
    i, j = pick.choice(candidates), pick.choice(candidates)
    mi, mj = _KEY_LINE.match(lines[i]), _KEY_LINE.match(lines[j])
    assert mi is not None and mj is not None
    lines[i] = f"{mi.group(1)}{mi.group(2)}: &x {mi.group(4)}".rstrip()
    if i != j:
        how = pick.int(0, 2)
        if how == 0:
            lines[j] = f"{mj.group(1)}{mj.group(2)}: *x"
        elif how == 1:
            indent = mj.group(1).replace("-", " ")
            lines.insert(j + 1, f"{indent}<<: *x")
        else:
            lines[j] = f"{mj.group(1)}{mj.group(2)}: [*x, *x, *x]"
    return "\n".join(lines)


def billion_laughs(text: str, pick: Picker) -> str:
    """Ten levels of ten aliases each (10^10 nodes when expanded), under a new key or in place of a value."""
    levels = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for k in range(1, pick.int(3, 10)):
        levels.append(f"l{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * 10) + "]")
    top = len(levels) - 1
    lines = _lines(text)
    candidates = [i for i, s in enumerate(lines) if (m := _KEY_LINE.match(s)) and m.group(4).strip()]
    if candidates and pick.int(0, 1):
        i = pick.choice(candidates)
        m = _KEY_LINE.match(lines[i])
        assert m is not None
        lines[i] = f"{m.group(1)}{m.group(2)}: *l{top}"
    return "\n".join(levels + lines)


def deep_nesting(text: str, pick: Picker) -> str:
    depth = pick.choice([70, 500, 5000, 50000])
    value = pick.choice(["[" * depth + "]" * depth, "{a: " * depth + "1" + "}" * depth,
                         "\n".join(" " * k + "a:" for k in range(min(depth, 2000))) + " 1"])
    lines = _lines(text)
    candidates = [i for i, s in enumerate(lines) if (m := _KEY_LINE.match(s)) and m.group(4).strip()]
    if not candidates:
        return text + "\nx: " + value
    i = pick.choice(candidates)
    m = _KEY_LINE.match(lines[i])
    assert m is not None
    if value.startswith(("[", "{")):
        lines[i] = f"{m.group(1)}{m.group(2)}: {value}"
    else:  # block nesting starts on the next line, under the key
        pad = " " * (len(m.group(1)) + 2)
        lines[i] = f"{m.group(1)}{m.group(2)}:\n" + "\n".join(pad + s for s in value.split("\n"))
    return "\n".join(lines)


# --- data mutations (parse, change, dump) -------------------------------------------------------------------------

ODD_DATA: list[Any] = [10**400, -(10**400), -1, 0, float("nan"), float("inf"), -float("inf"), 1e308, 5e-324,
                       True, False, None, "", "x" * 3000, [], {}, {1: 2}, {None: 1}, datetime.date(2025, 1, 1),
                       datetime.datetime(2025, 1, 1, 12), "2025-13", "10000-01", "$1e400", 10**15 + 1, [[[]]],
                       {"a": {"b": {"c": {"d": 1}}}}, "[/]", "<script>alert(1)</script>", "\u202e", 2**63,
                       b"bytes", 3.5, "1e400", "-5%"]


def _paths(data: Any, limit: int = 20_000) -> list[tuple]:
    """Paths to every node, each shared container (an alias) walked once, at most `limit` of them."""
    out: list[tuple] = []
    seen: set[int] = set()
    todo: list[tuple[tuple, Any]] = [((), data)]
    while todo and len(out) < limit:
        prefix, node = todo.pop()
        out.append(prefix)
        if isinstance(node, dict | list) and id(node) not in seen:
            seen.add(id(node))
            items = node.items() if isinstance(node, dict) else enumerate(node)
            todo += [((*prefix, k), v) for k, v in items]
    return out


def _parent(data: Any, path: tuple) -> Any:
    for k in path[:-1]:
        data = data[k]
    return data


def mutate_data(text: str, pick: Picker) -> str:
    try:
        data = yaml.safe_load(text)
    except Exception:  # what earlier mutations did may not parse (or parse to a date that does not exist)
        return text
    if not isinstance(data, dict | list):
        return text
    paths = [p for p in _paths(data) if p]
    if not paths:
        return text
    path = pick.choice(paths)
    parent, key = _parent(data, path), path[-1]
    how = pick.int(0, 5)
    if how == 0:
        del parent[key]
    elif how == 1:
        parent[key] = pick.choice(ODD_DATA)
    elif how == 2 and isinstance(parent, list):
        parent.extend([parent[key]] * pick.choice([1, 10, 2000]))
    elif how == 3:
        parent[key] = [parent[key]]
    elif how == 4 and isinstance(parent, dict):
        parent[pick.choice(["extra", 1, None, "name", 2.5, "<<", (1, 2)])] = parent[key]
    else:
        nested = parent[key]
        for _ in range(pick.choice([2, 65, 300])):
            nested = {"a": nested}
        parent[key] = nested
    try:
        return yaml.dump(data, allow_unicode=True, sort_keys=False, width=10**6)
    except (yaml.YAMLError, RecursionError, TypeError, ValueError):
        return text


MUTATIONS: list[tuple[str, Callable[[str, Picker], str]]] = [
    ("replace value", replace_value), ("replace value", replace_value), ("replace value", replace_value),
    ("replace key", replace_key), ("delete line", delete_line), ("duplicate line", duplicate_line),
    ("duplicate block", duplicate_block), ("swap lines", swap_lines), ("reindent", reindent),
    ("swap type", swap_type), ("insert character", insert_chars), ("truncate", truncate), ("anchors", anchors),
    ("billion laughs", billion_laughs), ("deep nesting", deep_nesting), ("mutate data", mutate_data),
    ("mutate data", mutate_data),
]


ALIAS_BOMBS = {"billion laughs", "anchors"}  # text mutations whose aliases expand when the text is parsed


def mutate(text: str, pick: Picker) -> tuple[str, list[str]]:
    """Apply one random mutation (sometimes two or three); return the mutant and the names of what was done."""
    done = []
    for _ in range(pick.choice([1, 1, 1, 1, 2, 3])):
        name, fn = pick.choice(MUTATIONS)
        text = fn(text, pick)
        done.append(name)
        if name in ALIAS_BOMBS:  # a later "mutate data" would parse it, expanding every alias (minutes)
            break
    return text, done


def mutate_mixed(text: str, pick: Picker, mutate_parsed: Callable[[dict[str, Any], Picker], str],
                 text_odds: int) -> tuple[str, list[str]]:
    """One to three mutations: with chance 1 in `text_odds + 1` one of `mutate`'s text mutations, otherwise
    `mutate_parsed` on the parsed document (which returns the name of what it did), dumped back to YAML."""
    import contextlib

    done: list[str] = []
    for _ in range(pick.choice([1, 1, 1, 2, 3])):
        if pick.int(0, text_odds) == 0:
            text, names = mutate(text, pick)
            done += names
            if ALIAS_BOMBS & set(names):  # parsing and dumping it back would expand every alias (minutes, and
                break  # the mutant would lose the aliases it is about)
            continue
        try:
            data = yaml.load(text, Loader=yaml.CSafeLoader)
        except Exception:  # an earlier text mutation may not parse
            continue
        if not isinstance(data, dict):
            continue
        done.append(mutate_parsed(data, pick))
        with contextlib.suppress(yaml.YAMLError, RecursionError, TypeError, ValueError):
            text = yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False, width=10**6)
    return text, done


# --- outcomes ------------------------------------------------------------------------------------------------------

OK, LOCATED, UNLOCATED, CRASH, TIMEOUT = ("loaded and ran ok", "located error", "error without a line",
                                          "traceback", "timeout")


class _Timeout(BaseException):  # not an Exception: nothing in fundcheck may catch it
    pass


@dataclass
class Outcome:
    kind: str  # OK, LOCATED, UNLOCATED, CRASH, TIMEOUT
    stage: str  # load or run
    detail: str = ""  # exception type, or what an unlocated error said
    where: str = ""  # for a crash: the innermost fundcheck frame (file:line)
    message: str = ""

    @property
    def label(self) -> str:
        if self.kind == CRASH:
            return f"{CRASH}: {self.detail} ({self.stage})"
        if self.kind == UNLOCATED:
            return f"{UNLOCATED}: {self.detail} ({self.stage})"
        return self.kind


def _innermost(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "fundcheck" in f.filename]
    if not frames:
        frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    f = frames[-1]
    return f"{f.filename.split('src/')[-1]}:{f.lineno} ({f.name})"


def guarded(work: Callable[[Callable[[str], None]], None], first_stage: str, filename: str = FILENAME,
            timeout: float = 20.0, located_stages: tuple[str, ...] | None = None) -> Outcome:
    """Run `work` under a timeout and say how it ended. `work` is given a function to name each stage it enters
    (it starts in `first_stage`). A ``ScenarioError`` is *located* when every problem names `filename` and a line
    (a message about the whole file, with no field, needs no line) and it was raised in one of `located_stages`
    (None: any stage); other fundcheck errors are errors without a line; anything else is a crash."""
    from fundcheck.errors import FundcheckError, ScenarioError

    def alarm(signum: int, frame: Any) -> None:
        raise _Timeout

    stage = [first_stage]

    def enter(name: str) -> None:
        stage[0] = name

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        try:
            work(enter)
            return Outcome(OK, stage[0])
        except ScenarioError as exc:
            bad = [p for p in exc.problems if p.file != filename or not (p.line or not p.field)]
            if (located_stages is None or stage[0] in located_stages) and exc.problems and not bad:
                return Outcome(LOCATED, stage[0], message=str(exc))
            first = bad[0] if bad else None
            return Outcome(UNLOCATED, stage[0], "ScenarioError" + (f" '{first.message[:60]}'" if first else ""),
                           message=str(exc))
        except FundcheckError as exc:
            return Outcome(UNLOCATED, stage[0], type(exc).__name__, message=str(exc))
        except _Timeout:
            return Outcome(TIMEOUT, stage[0])
        except Exception as exc:  # the point: anything else is a crash to report
            return Outcome(CRASH, stage[0], type(exc).__name__, _innermost(exc), str(exc)[:300])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def check(text: str, timeout: float = 20.0, run: bool = True) -> Outcome:
    """Load `text` as `fundcheck validate` does and, if it loads, run it as `fundcheck run` does (in process)."""
    import fundcheck
    from fundcheck.scenario import load_text

    def work(stage: Callable[[str], None]) -> None:
        scenario = load_text(text, FILENAME)
        _ = (len(scenario.entities), len(scenario.sites), len(scenario.instruments), len(scenario.contracts))
        if run:
            stage("run")
            fundcheck.run(scenario)

    return guarded(work, "load", FILENAME, timeout, located_stages=("load",))


def minimize(text: str, same: Callable[[str], bool], budget_s: float = 30.0) -> str:
    """Shrink `text` while `same` holds: drop chunks of lines (halving the chunk), then characters of each line."""
    t0 = time.perf_counter()
    lines = text.split("\n")
    chunk = max(len(lines) // 2, 1)
    while chunk >= 1 and time.perf_counter() - t0 < budget_s:
        i, shrunk = 0, False
        while i < len(lines) and time.perf_counter() - t0 < budget_s:
            trial = lines[:i] + lines[i + chunk:]
            if trial and same("\n".join(trial)):
                lines, shrunk = trial, True
            else:
                i += chunk
        if not shrunk:
            chunk //= 2
    for k in range(len(lines)):  # then shorten long lines from the end
        while len(lines[k]) > 60 and time.perf_counter() - t0 < budget_s:
            trial = [*lines[:k], lines[k][: len(lines[k]) // 2 + 20], *lines[k + 1:]]
            if not same("\n".join(trial)):
                break
            lines = trial
    return "\n".join(lines)


def campaign(text: str, mutate_text: Callable[[str, Picker], tuple[str, list[str]]],
             check_text: Callable[[str], Outcome], n: int, seed: int) -> None:
    """A plain campaign for the fuzz test modules: `n` mutants of `text`, then the count of each outcome and, for
    each kind of failure (outcome, where, stage), the smallest mutant's mutations and message, printed."""
    pick = RandomPicker(random.Random(seed))
    counts: Counter[str] = Counter()
    examples: dict[tuple[str, str, str], tuple[str, list[str], Outcome]] = {}
    for _ in range(n):
        mutant, done = mutate_text(text, pick)
        outcome = check_text(mutant)
        counts[f"{outcome.kind} {outcome.detail} ({outcome.stage})"] += 1
        if outcome.kind in (CRASH, UNLOCATED, TIMEOUT):
            sig = (outcome.kind, outcome.where or outcome.detail, outcome.stage)
            if sig not in examples or len(mutant) < len(examples[sig][0]):
                examples[sig] = (mutant, done, outcome)
    for label, c in counts.most_common():
        print(f"{c:6}  {label}")
    for (kind, where, stage), (_mutant, done, outcome) in sorted(examples.items()):
        print(f"\n== {kind} at {where} ({stage}) after {', '.join(done)}\n   {outcome.message[:400]!r}")


def main() -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of mutants")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per mutant")
    parser.add_argument("--memory-gb", type=float, default=12.0, help="address-space limit for this process")
    parser.add_argument("--minimize", action="store_true", help="shrink one example of each crash and print it")
    parser.add_argument("--no-run", action="store_true", help="load only (what `fundcheck validate` does)")
    args = parser.parse_args()

    if args.memory_gb > 0:  # an allocation of terabytes fails as MemoryError here instead of swapping the machine
        limit = int(args.memory_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    console = Console()
    import fundcheck

    texts = builtin_texts()
    for name in texts:  # warm up: compile (or load) the kernel once before timing anything
        fundcheck.run(name)
    rng = random.Random(args.seed)
    pick = RandomPicker(rng)
    names = sorted(texts)
    counts: Counter[str] = Counter()
    classes: Counter[str] = Counter()
    examples: dict[tuple[str, str, str], tuple[str, str, list[str], Outcome]] = {}
    slowest = (0.0, "")
    t_start = time.perf_counter()
    with Progress(TextColumn("[bold]fuzzing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[status]}"), console=console) as progress:
        task = progress.add_task("fuzz", total=args.n, status="")
        for k in range(args.n):
            base = pick.choice(names)
            mutant, done = mutate(texts[base], pick)
            t0 = time.perf_counter()
            outcome = check(mutant, args.timeout, run=not args.no_run)
            took = time.perf_counter() - t0
            if took > slowest[0]:
                slowest = (took, f"{base}: {', '.join(done)}")
            counts[outcome.label] += 1
            classes[outcome.kind] += 1
            if outcome.kind in (CRASH, UNLOCATED, TIMEOUT):
                sig = (outcome.label, outcome.where, outcome.stage)
                if sig not in examples or len(mutant) < len(examples[sig][1]):
                    examples[sig] = (base, mutant, done, outcome)
            if k % 20 == 0:
                progress.update(task, status=f"crashes {classes[CRASH]}, unlocated {classes[UNLOCATED]}, "
                                             f"timeouts {classes[TIMEOUT]}")
            progress.advance(task)
    elapsed = time.perf_counter() - t_start

    table = Table(title=f"{args.n:,} mutants (seed {args.seed}) in {elapsed:.0f} s; slowest {slowest[0]:.1f} s "
                        f"({slowest[1]})", title_justify="left")
    table.add_column("outcome")
    table.add_column("mutants", justify="right")
    table.add_column("share", justify="right")
    for kind in (OK, LOCATED, UNLOCATED, CRASH, TIMEOUT):
        table.add_row(f"[bold]{kind}", f"{classes[kind]:,}", f"{classes[kind] / max(args.n, 1):.1%}")
        for label, c in sorted(counts.items(), key=lambda kv: -kv[1]):
            if label != kind and label.startswith(kind):
                table.add_row("  " + label[len(kind) + 2:], f"{c:,}", f"{c / max(args.n, 1):.1%}")
    console.print(table)
    if examples:
        console.print(f"\n[bold]{len(examples)} kinds of failure[/] (by outcome, stage and innermost frame):")
    for (label, where, stage), (base, mutant, done, outcome) in sorted(examples.items()):
        console.print(f"\n[bold]{label}[/] at {where or '-'}  ({base}: {', '.join(done)})", highlight=False,
                      markup=True)
        console.print(f"  {outcome.message[:200]!r}", markup=False, highlight=False)
        if args.minimize:
            def same(t: str, want: tuple[str, str, str] = (label, where, stage)) -> bool:
                o = check(t, args.timeout, run=not args.no_run)
                return (o.label, o.where, o.stage) == want
            small = minimize(mutant, same)
            console.print("  minimal input:", highlight=False)
            console.print("    " + "\n    ".join(repr(s)[1:-1] for s in small.split("\n")[:15]), markup=False,
                          highlight=False)


if __name__ == "__main__":
    main()
