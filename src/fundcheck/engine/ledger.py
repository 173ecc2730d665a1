"""The double-entry ledger: every movement of money, by payer, payee, kind and label, per path and month.

A ledger line is one ``paths x months`` array for one (payer, payee, kind, label); a flow adds to one line,
so a line item is a single array (FAST: one line item, one expression). Cash moves only through
``record``, which is what makes conservation checkable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["FlowKey", "Ledger"]


@dataclass(frozen=True, order=True)
class FlowKey:
    """What a ledger line is: who pays whom, what kind of flow, and the instrument, site or contract."""

    payer: int
    payee: int
    kind: str
    label: str


@dataclass
class Ledger:
    """All flows of a run: one paths x months array per FlowKey."""

    n_paths: int
    n_months: int
    lines: dict[FlowKey, np.ndarray] = field(default_factory=dict)

    def record(self, payer: int, payee: int, kind: str, label: str, month: int, amount_usd: np.ndarray) -> None:
        """Add a flow of `amount_usd` (one value per path) from payer to payee in column `month`."""
        if not np.any(amount_usd):
            return
        key = FlowKey(payer, payee, kind, label)
        line = self.lines.get(key)
        if line is None:
            line = self.lines[key] = np.zeros((self.n_paths, self.n_months))
        line[:, month] += amount_usd

    def inflows(self, account: int) -> np.ndarray:
        """Total received by an account, paths x months."""
        return self._sum(lambda k: k.payee == account)

    def outflows(self, account: int) -> np.ndarray:
        """Total paid by an account, paths x months."""
        return self._sum(lambda k: k.payer == account)

    def total(self, kind: str | None = None, label: str | None = None) -> np.ndarray:
        """Sum of the lines of a kind and/or label, paths x months."""
        return self._sum(lambda k: (kind is None or k.kind == kind) and (label is None or k.label == label))

    def _sum(self, keep: object) -> np.ndarray:
        out = np.zeros((self.n_paths, self.n_months))
        for key, line in self.lines.items():
            if keep(key):  # type: ignore[operator]
                out += line
        return out

    def frame(self, names: list[str], months: list[str], path: int = 0) -> pd.DataFrame:
        """The flows of one path as a long table: payer, payee, kind, label, month, usd (non-zero only)."""
        rows = []
        for key in sorted(self.lines):
            line = self.lines[key][path]
            for t in np.flatnonzero(line):
                rows.append((names[key.payer], names[key.payee], key.kind, key.label, months[t], line[t]))
        return pd.DataFrame(rows, columns=["payer", "payee", "kind", "label", "month", "usd"])
