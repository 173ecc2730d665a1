"""Every month in a scenario, found by its type, and the check that each lies inside the horizon.

A field holds a month when its annotation is the schema's ``Month`` type, on its own or inside ``list``,
``dict``, ``Optional`` and unions, at any depth of nested models. So a month field added to the schema later is
checked without being listed anywhere. A field annotated ``Annotated[Month, OutsideHorizon(...)]`` may lie outside
the horizon on the side it names.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from fundcheck import errors
from fundcheck.scenario.quantities import month_str
from fundcheck.scenario.schema import Month, OutsideHorizon, Scenario

__all__ = ["MonthField", "horizon_problems", "is_month", "month_fields"]

_MONTH_MARK = typing.get_args(Month)[1]  # the validator that reads 'YYYY-MM'; every Month annotation carries it
_NOT_CHECKED = {"horizon", "alternatives"}  # top-level fields of Scenario the walk leaves out; see month_fields


@dataclass(frozen=True)
class MonthField:
    """One month found in a scenario: where it is, its value, and the field that holds it."""

    path: tuple[Any, ...]  # keys and indexes as in the YAML data (aliases such as `from`, entity names)
    month: int  # months since year 0
    model: type[BaseModel]  # the model class that declares the field
    field: str  # the field's name in that class
    outside: OutsideHorizon | None  # the side of the horizon the field may lie on, if any


def is_month(tp: Any) -> bool:
    """True when an annotation is the ``Month`` type (possibly with more metadata such as ``OutsideHorizon``)."""
    return typing.get_origin(tp) is typing.Annotated and any(m == _MONTH_MARK for m in tp.__metadata__)


def month_fields(model: BaseModel, path: tuple[Any, ...] = ()) -> Iterator[MonthField]:
    """Every month held in a validated model and the models, lists and dicts inside it, in field order.

    For a whole ``Scenario`` two top-level fields are left out: `horizon`, which is what the months are checked
    against, and `alternatives`, whose `set` values are raw data: each alternative is applied and validated as a
    whole scenario, which runs this walk on its months.
    """
    hints = _hints(type(model))
    for name, info in type(model).model_fields.items():
        if isinstance(model, Scenario) and not path and name in _NOT_CHECKED:
            continue
        yield from _walk(getattr(model, name), hints[name], path + (info.alias or name,), type(model), name)


def horizon_problems(s: Scenario) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(path, message) for each month of the scenario outside its horizon (honouring ``OutsideHorizon``)."""
    start, end = s.horizon.start, s.horizon.end
    for found in month_fields(s):
        rule = found.outside or OutsideHorizon()
        if (found.month < start and not rule.before_start) or (found.month > end and not rule.after_end):
            yield found.path, errors.msg_outside_horizon(month_str(found.month), month_str(start), month_str(end),
                                                         before_start_ok=rule.before_start,
                                                         after_end_ok=rule.after_end)


@functools.cache
def _hints(cls: type[BaseModel]) -> dict[str, Any]:
    """The annotations of a model's fields with their ``Annotated`` metadata kept (pydantic strips it)."""
    return typing.get_type_hints(cls, include_extras=True)


@dataclass(frozen=True)
class _Shape:
    """What an annotation can hold, worked out once per annotation: the walk reads this for every value."""

    holds: bool  # a month or a model may be inside (False: the value is skipped whole, e.g. a list of floats)
    month: Any  # the Month arm, if any
    outside: OutsideHorizon | None  # that arm's side of the horizon, if it names one
    seq_item: Any  # the item type of its list-like arm (Any if none says)
    map_item: Any  # the value type of its dict arm (Any if none says)


_SHAPES: dict[int, tuple[Any, _Shape]] = {}  # by id of the annotation (kept alive here, so ids stay theirs)


def _shape(tp: Any) -> _Shape:
    got = _SHAPES.get(id(tp))
    if got is None:
        arms = _arms(tp)
        month = next((a for a in arms if is_month(a)), None)
        outside = None if month is None else next((m for m in month.__metadata__ if isinstance(m, OutsideHorizon)),
                                                  None)
        got = (tp, _Shape(_may_hold(tp), month, outside, _item_type(arms, (list, tuple), 0),
                          _item_type(arms, (dict,), 1)))
        _SHAPES[id(tp)] = got
    return got[1]


def _may_hold(tp: Any) -> bool:
    """False only when an annotation cannot hold a month or a model at any depth (str, float, Literal, lists of
    those); anything it cannot tell (Any, a bare list, a forward reference) may."""
    if tp is Any or is_month(tp):
        return True
    if isinstance(tp, type):
        return issubclass(tp, BaseModel) or tp in (list, tuple, dict, set, frozenset, object)
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return False
    args = typing.get_args(tp)
    if origin is None or not args:
        return True
    if origin is typing.Annotated:
        return _may_hold(args[0])
    return any(_may_hold(a) for a in args if a is not Ellipsis)


def _walk(value: Any, tp: Any, path: tuple[Any, ...], model: type[BaseModel], field: str) -> Iterator[MonthField]:
    if value is None:
        return
    if isinstance(value, BaseModel):  # a nested model (or one member of a union of models): its own annotations
        yield from month_fields(value, path)
        return
    shape = _shape(tp)
    if not shape.holds:
        return
    if shape.month is not None and isinstance(value, int) and not isinstance(value, bool):
        yield MonthField(path, value, model, field, shape.outside)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from _walk(v, shape.seq_item, path + (i,), model, field)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, shape.map_item, path + (k,), model, field)


def _arms(tp: Any) -> list[Any]:
    """The alternatives of an annotation: unions flattened, plain ``Annotated`` wrappers removed, months kept."""
    if is_month(tp):
        return [tp]
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _arms(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [arm for arg in typing.get_args(tp) for arm in _arms(arg)]
    return [tp]


def _item_type(arms: list[Any], origins: tuple[type, ...], position: int) -> Any:
    """The item type of the first list-like (or dict) arm; Any if none says."""
    for arm in arms:
        args = typing.get_args(arm)
        if typing.get_origin(arm) in origins and len(args) > position:
            return args[position]
    return Any
