"""Every number in a scenario with its path, unit and source: the inputs table of the report."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from fundcheck.scenario.schema import Scenario, Sourced
from fundcheck.scenario.yamlio import dotted

__all__ = ["InputRow", "input_rows"]

InputRow = dict[str, Any]


def input_rows(scenario: Scenario) -> list[InputRow]:
    """One row per sourced number: path, value, unit, source (own or inherited from its item), note."""
    return list(_walk(scenario, (), None, None))


def _walk(obj: Any, path: tuple[Any, ...], inherited: str | None, unit: str | None) -> Iterator[InputRow]:
    if isinstance(obj, Sourced):
        yield {"path": dotted(path), "value": obj.value, "unit": unit or "",
               "source": obj.source or inherited or "", "note": obj.note or ""}
    elif isinstance(obj, BaseModel):
        own = None if isinstance(obj, Scenario) else getattr(obj, "source", None)
        for name, field in type(obj).model_fields.items():
            if name == "alternatives":
                continue
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            yield from _walk(getattr(obj, name), path + (field.alias or name,), own or inherited,
                             str(extra.get("unit", "")) or None)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk(v, path + (k,), inherited, unit)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _walk(v, path + (i,), inherited, unit)

