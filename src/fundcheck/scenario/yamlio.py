"""YAML reading that remembers where every value came from, so errors can name the line.

``read_yaml`` returns the plain Python data and a map from each path (a tuple of keys and indexes) to its
1-based line number. Duplicate keys are an error rather than a silent overwrite.
"""

from __future__ import annotations

from typing import Any

import yaml

from fundcheck import errors
from fundcheck.errors import Problem, ScenarioError

__all__ = ["LineMap", "dotted", "read_yaml"]

LineMap = dict[tuple[Any, ...], int]


def read_yaml(text: str, filename: str) -> tuple[Any, LineMap]:
    """Parse YAML text into Python data plus a map from value paths to line numbers."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        line = None
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            line = mark.line + 1
        problem = getattr(exc, "problem", None) or str(exc)
        context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and context_mark is not None and context_mark.line + 1 != line:
            problem += f" ({context} that starts on line {context_mark.line + 1})"
        raise ScenarioError([Problem(filename, line, "", errors.msg_yaml(problem))]) from None
    lines: LineMap = {}
    if node is None:
        return None, lines
    constructor = yaml.SafeLoader("")
    try:
        data = _build(node, (), lines, constructor, filename)
    finally:
        constructor.dispose()
    return data, lines


def _build(node: yaml.Node, path: tuple[Any, ...], lines: LineMap, loader: yaml.SafeLoader, filename: str) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key in out:
                raise ScenarioError([Problem(filename, key_node.start_mark.line + 1, dotted(path + (key,)),
                                             errors.msg_duplicate_key(str(key)))])
            out[key] = _build(value_node, path + (key,), lines, loader, filename)
            lines[path + (key,)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), lines, loader, filename) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def dotted(path: tuple[Any, ...]) -> str:
    """A data path as written in messages: ('sites', 'A', 'phases', 0) -> 'sites.A.phases[0]'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
