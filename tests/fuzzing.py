"""What the mutation fuzz tests share: ``bench/fuzz.py`` loaded once as a module (its mutations, the guarded
runner and the outcome classes), and a picker that lets hypothesis draw the fuzzer's choices."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from hypothesis import strategies as st

__all__ = ["DrawPicker", "fuzz"]

T = TypeVar("T")

_NAME = "fundcheck_bench_fuzz"
if _NAME in sys.modules:
    fuzz = sys.modules[_NAME]
else:
    _spec = importlib.util.spec_from_file_location(_NAME, Path(__file__).resolve().parents[1] / "bench" / "fuzz.py")
    assert _spec is not None and _spec.loader is not None
    fuzz = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = fuzz
    _spec.loader.exec_module(fuzz)


class DrawPicker:
    """The fuzzer's choices, drawn by hypothesis (so failures shrink and replay)."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def int(self, lo: int, hi: int) -> int:
        return self.data.draw(st.integers(lo, hi))

    def choice(self, items: Sequence[T]) -> T:
        return items[self.data.draw(st.integers(0, len(items) - 1))]
