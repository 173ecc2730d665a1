"""The Plan's tables: one table per component, columns as arrays, rows by integer id, names in an index.

Every column is declared once in ``COLUMNS`` with its unit, its dims and whether it may vary per path
("static or per-path", as PyPSA declares "static or series"). A static column has the shape its dims give; a
per-path column has a leading path axis of length 1 (the same on every path) or the number of paths. The
month kernel reads only these arrays, through ``kernel_tuple``; reports, waterfalls and governance read the
same tables by name.

The enums below are the codes the kernel uses in place of strings (flow kinds, gap causes, funding steps,
repayment profiles).
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from enum import IntEnum
from types import ModuleType
from typing import Any

import numpy as np

__all__ = [
    "CAUSE_NAMES",
    "COLUMNS",
    "KIND_NAMES",
    "NEVER",
    "Basis",
    "C",
    "Cause",
    "Col",
    "Column",
    "D",
    "Dim",
    "KernelPlan",
    "Kind",
    "Repay",
    "Step",
    "Table",
    "kernel_tuple",
]


class Kind(IntEnum):
    """What a ledger line is for."""

    FACILITY = 0
    IT = 1
    EQUITY = 2
    DRAW = 3
    INTEREST = 4
    PRINCIPAL = 5
    COMMITMENT_FEE = 6
    OWN_IN = 7
    OWN_OUT = 8
    RAISE = 9
    LEASE = 10
    OFFTAKE = 11
    OPEX = 12  # a site's operating costs (power, operations and maintenance), to the outside world


KIND_NAMES = ("facility capex", "IT capex", "equity", "loan draw", "interest", "principal", "commitment fee",
              "own cash flow", "own costs", "new money raised", "lease", "offtake", "operating costs")


class Cause(IntEnum):
    """Why an entity needed money it could not find (the gap by cause)."""

    CAPEX = 0
    DEBT_SERVICE = 1
    CONTRACT = 2
    OWN_COSTS = 3
    EQUITY_CALL = 4
    LOAN_FUNDING = 5
    OPERATIONS = 6


CAUSE_NAMES = ("capex", "debt service", "contract", "own costs", "equity call", "loan funding", "operating costs")
KIND_CAUSE = np.array([Cause.CAPEX, Cause.CAPEX, Cause.EQUITY_CALL, Cause.LOAN_FUNDING, Cause.DEBT_SERVICE,
                       Cause.DEBT_SERVICE, Cause.DEBT_SERVICE, Cause.OWN_COSTS, Cause.OWN_COSTS, Cause.OWN_COSTS,
                       Cause.CONTRACT, Cause.CONTRACT, Cause.OPERATIONS], dtype=np.int64)


class Step(IntEnum):
    """A source in an entity's funding order."""

    CASH = 0
    EQUITY = 1  # a group of equity commitments, called pro rata to what is undrawn
    LOAN = 2  # one facility (a credit line is a facility with an outside lender)
    RAISE = 3


class Repay(IntEnum):
    """Repayment profile of a loan after its drawing window."""

    BULLET = 0
    EQUAL_PRINCIPAL = 1  # 'amortizing': the same principal every month
    LEVEL_PAYMENT = 2  # annuity: the same principal + interest every month
    SCULPTED = 3  # principal + interest = the borrower's base-case CFADS / DSCR (shares in `sculpt_share`)


class Basis(IntEnum):
    """What a contract bills on."""

    MW = 0
    GPU_HOURS = 1
    FIXED = 2


@dataclass(frozen=True)
class Column:
    """The declaration of one input column: unit, dims after the row axis, and whether paths may differ."""

    unit: str
    dtype: str  # f8, i8, b1
    description: str
    per_path: bool = False
    dims: tuple[str, ...] = ()  # extra dims after the row: ("month",) for a monthly series


def _c(unit: str, dtype: str, description: str, per_path: bool = False, dims: tuple[str, ...] = ()) -> Column:
    return Column(unit, dtype, description, per_path, dims)


NEVER = 1 << 40  # month index of something that does not happen

# table -> column -> declaration. Indexes into other tables are int64 ids (-1: none).
COLUMNS: dict[str, dict[str, Column]] = {
    "entities": {
        "outside": _c("", "b1", "liquidity not modelled: pays whatever it is asked"),
        "opening_cash_usd": _c("USD", "f8", "cash at the horizon start", per_path=True),
        "cash_flow_usd": _c("USD/month", "f8", "own cash flow, positive in, negative a need", dims=("month",)),
        "raise_limit_usd": _c("USD", "f8", "new money it can still raise over the horizon", per_path=True),
        "raise_start": _c("month index", "i8", "first month it can raise"),
        "fund_first": _c("id", "i8", "first row of its funding order in `funding`"),
        "fund_count": _c("", "i8", "number of steps in its funding order"),
        "fund_leaf": _c("", "b1", "its funding order asks no modelled entity to pay (walked without a frame)"),
        "reserved": _c("", "b1", "a loan of it has a debt-service reserve: part of its cash is for debt service "
                       "only"),
        "tested": _c("", "b1", "a loan of it has covenants: its cash from operations and debt service are "
                     "counted each calendar year"),
        "holds_commitments": _c("", "b1", "order_of_claims commitments_first: cash is held back for its "
                                "commitments called as needed (only their calls may spend it)"),
        "fund_loans": _c("", "b1", "its funding order draws on loans (its loans' debt service is paid loan by "
                         "loan)"),
        "own_in_line": _c("id", "i8", "ledger line of its own cash inflow"),
        "own_out_line": _c("id", "i8", "ledger line of its own costs"),
        "raise_line": _c("id", "i8", "ledger line of new money raised"),
        "raise_rate_monthly": _c("1/month", "f8", "coupon on money raised (0: free money)"),
        "raise_interest_line": _c("id", "i8", "ledger line of that coupon (-1: none)"),
        "raise_maturity": _c("month index", "i8", "month everything raised is repaid, and raising stops (NEVER: "
                             "none)"),
        "raise_repay_line": _c("id", "i8", "ledger line of that repayment (-1: none)"),
    },
    "funding": {
        "step": _c("", "i8", "Step: cash, equity, loan or raise"),
        "slot": _c("id", "i8", "loan id, or first row in `members` for an equity group"),
        "count": _c("", "i8", "equity group: number of commitments"),
    },
    "members": {
        "equity": _c("id", "i8", "an equity commitment of a funding group"),
    },
    "equity": {
        "investor": _c("id", "i8", "the entity that pays in"),
        "investee": _c("id", "i8", "the entity that receives"),
        "amount_usd": _c("USD", "f8", "commitment", per_path=True),
        "stake": _c("fraction", "f8", "ownership it buys (NaN: none given)"),
        "upfront": _c("", "b1", "paid in whole at `start`"),
        "held": _c("", "b1", "its investor holds cash back for it (order_of_claims commitments_first; never "
                   "upfront)"),
        "start": _c("month index", "i8", "first month it can be called"),
        "end": _c("month index", "i8", "last month it can be called"),
        "default_month": _c("month index", "i8", "from this month the investor pays no call (NEVER: no default)",
                            per_path=True),
        "line": _c("id", "i8", "ledger line of its payments"),
    },
    "loans": {
        "kind": _c("", "i8", "index into LOAN_KINDS"),
        "lender": _c("id", "i8", "who lends (the outside world for credit lines)"),
        "borrower": _c("id", "i8", "who borrows"),
        "limit_usd": _c("USD", "f8", "most that can be outstanding, capitalised interest and fees included",
                        per_path=True),
        "rate_monthly": _c("1/month", "f8", "interest rate per month (annual / 12)", per_path=True),
        "rate_shift_monthly": _c("1/month", "f8", "added to the rate from `rate_shift_start` on (a rate path)",
                                 per_path=True),
        "rate_shift_start": _c("month index", "i8", "first month of the rate shift (NEVER: none)", per_path=True),
        "default_month": _c("month index", "i8", "from this month the lender funds no draw (NEVER: no default)",
                            per_path=True),
        "upfront_fee_share": _c("fraction", "f8", "fee on the limit, capitalised in the first month"),
        "commitment_fee_monthly": _c("1/month", "f8", "fee on the undrawn limit per month inside the window"),
        "capitalise": _c("", "b1", "interest inside the window is added to principal, within the limit"),
        "max_ltc": _c("fraction", "f8", "loan-to-cost cap on the borrower's project debt (NaN: none)"),
        "upfront": _c("", "b1", "the whole limit is drawn at `start` (a bond)"),
        "start": _c("month index", "i8", "first month of the drawing window"),
        "end": _c("month index", "i8", "last month of the drawing window"),
        "repay": _c("", "i8", "Repay: bullet, equal principal or level payment"),
        "repay_months": _c("months", "i8", "months of repayment after the window (bullet: months to maturity)"),
        "credit_line": _c("", "b1", "an entity's own revolver, not part of the capital stack"),
        "refinances": _c("id", "i8", "the loan whose maturing principal it repays, drawn for nothing else (-1: "
                         "none)"),
        "refinanced_by": _c("id", "i8", "the loan that refinances its maturing principal (-1: none)"),
        "sculpt_share": _c("fraction", "f8", "sculpted: share of the balance at conversion repaid in repayment "
                           "month j (column j, 1-based; from the base case)", dims=("month",)),
        "dscr_capacity_usd": _c("USD", "f8", "sculpted: the debt the base-case CFADS carries at the DSCR target "
                                "(inf: not sized); the limit is at most this"),
        "convert_phase": _c("id", "i8", "the phase whose energization ends the drawing window, at `end` at the "
                            "latest (-1: none)"),
        "draw_line": _c("id", "i8", "ledger line of draws"),
        "interest_line": _c("id", "i8", "ledger line of interest paid"),
        "principal_line": _c("id", "i8", "ledger line of principal repaid"),
        "fee_line": _c("id", "i8", "ledger line of commitment fees"),
        "reserve_months": _c("months", "i8", "debt-service reserve: months of this month's scheduled service kept "
                             "aside from the borrower's cash (0: none)"),
        "sweep_share": _c("fraction", "f8", "share of the borrower's cash at a month's end that prepays it, after "
                          "the window (0: no sweep)"),
        "lockup_dscr": _c("ratio", "f8", "a December DSCR below this locks up cash for twelve months (NaN: none)"),
        "default_dscr": _c("ratio", "f8", "a December DSCR below this is an event of default (NaN: none)"),
        "first_december": _c("month index", "i8", "the horizon's first December (covenant tests every 12 months "
                             "from it; the same for every loan)"),
    },
    "sites": {
        "phase_first": _c("id", "i8", "first phase of the site"),
        "phase_count": _c("", "i8", "number of phases"),
    },
    "phases": {
        "site": _c("id", "i8", "the site"),
        "owner": _c("id", "i8", "who pays facility capex"),
        "it_owner": _c("id", "i8", "who pays IT capex"),
        "it_mw": _c("MW", "f8", "IT load"),
        "pue": _c("", "f8", "power usage effectiveness"),
        "gpus": _c("GPUs", "f8", "accelerators installed"),
        "facility_capex_usd": _c("USD", "f8", "buildings, power and cooling", per_path=True),
        "it_capex_usd": _c("USD", "f8", "servers and networking", per_path=True),
        "start": _c("month index", "i8", "first month of facility spending on plan"),
        "months": _c("months", "i8", "construction months"),
        "delay_months": _c("months", "i8", "shift of the whole schedule (start and energization)", per_path=True),
        "energization_lag": _c("months", "i8", "planned energization minus the month after construction ends"),
        "it_months": _c("months", "i8", "months over which IT capex is paid from energization"),
        "refresh_months": _c("months", "i8", "IT is bought again every this many months from energization (0: "
                             "never)"),
        "refresh_share": _c("share", "f8", "each refresh's cost as a share of it_capex_usd"),
        "curve": _c("share", "f8", "share of facility capex in each construction month", dims=("curve_month",)),
        "facility_line": _c("id", "i8", "ledger line of facility capex"),
        "it_line": _c("id", "i8", "ledger line of IT capex"),
    },
    "contracts": {
        "kind": _c("", "i8", "Kind.LEASE, Kind.OFFTAKE or Kind.OPEX (a site's operating costs)"),
        "payer": _c("id", "i8", "tenant or buyer"),
        "payee": _c("id", "i8", "landlord or seller"),
        "site": _c("id", "i8", "the site whose capacity is billed (-1: none)"),
        "basis": _c("", "i8", "Basis: per MW, per GPU-hour or fixed"),
        "rate": _c("USD per MW-month, GPU-hour or month", "f8", "price", per_path=True),
        "utilization": _c("fraction", "f8", "share of GPU-hours billed"),
        "funded_only": _c("", "b1", "per MW: bill only the IT capacity whose IT capex is paid"),
        "escalator": _c("1/yr", "f8", "annual price increase"),
        "start": _c("month index", "i8", "first month billed (-1: the site's first energization)"),
        "term_months": _c("months", "i8", "months billed"),
        "line": _c("id", "i8", "ledger line of its payments"),
    },
    "lines": {
        "payer": _c("id", "i8", "account that pays (entities, then the outside world)"),
        "payee": _c("id", "i8", "account that receives"),
        "kind": _c("", "i8", "Kind of flow"),
        "ref": _c("id", "i8", "row of the instrument, phase, contract or entity it belongs to"),
    },
}

LOAN_KINDS = ("construction_loan", "term_loan", "bridge_loan", "vendor_financing", "bond", "revolver")
_DTYPES = {"f8": np.float64, "i8": np.int64, "b1": np.bool_}


@dataclass(frozen=True)
class Table:
    """One component: row names and declared columns (arrays whose first axis is the row, or path then row)."""

    name: str
    index: tuple[str, ...]
    columns: dict[str, np.ndarray]

    def __post_init__(self) -> None:
        decl = COLUMNS[self.name]
        missing = set(decl) - set(self.columns)
        extra = set(self.columns) - set(decl)
        if missing or extra:
            raise ValueError(f"table {self.name}: missing columns {sorted(missing)}, undeclared {sorted(extra)}")
        for key, col in decl.items():
            a = np.asarray(self.columns[key], dtype=_DTYPES[col.dtype])
            lead = a.ndim - len(col.dims) - 1
            if lead != (1 if col.per_path else 0) or a.shape[lead] != len(self.index):
                raise ValueError(f"table {self.name}: column {key} has shape {a.shape} for {len(self.index)} rows")
            a.setflags(write=False)
            self.columns[key] = a

    def __getattr__(self, key: str) -> np.ndarray:
        try:
            return self.columns[key]
        except KeyError:
            raise AttributeError(f"table {self.name} has no column {key}") from None

    def __len__(self) -> int:
        return len(self.index)

    def id(self, name: str) -> int:
        """The row id of a name."""
        return self.index.index(name)

    def value(self, key: str, row: int, path: int = 0) -> Any:
        """One cell: a per-path column read on `path` (or its only path)."""
        a = self.columns[key]
        if COLUMNS[self.name][key].per_path:
            a = a[path if a.shape[0] > 1 else 0]
        return a[row]

    def n_paths(self) -> int:
        """Paths of the per-path columns: 1 if all are static over paths, else their common length."""
        sizes = {a.shape[0] for k, a in self.columns.items() if COLUMNS[self.name][k].per_path} - {1}
        return sizes.pop() if sizes else 1

    def with_column(self, key: str, values: np.ndarray) -> Table:
        """A copy with one column replaced (a per-path column may be given one row of values per path)."""
        col = COLUMNS[self.name].get(key)
        if col is None:
            raise KeyError(f"table {self.name} has no column {key}")
        values = np.asarray(values, dtype=_DTYPES[col.dtype])
        if col.per_path and values.ndim == len(col.dims) + 1:
            values = values[None]
        return Table(self.name, self.index, {**self.columns, key: values})


Col = IntEnum("Col", [f"{t}_{c}" for t, cols in COLUMNS.items() for c in cols], start=0)
"""Every column's code: ``Col.loans_limit_usd`` is the column ``limit_usd`` of table ``loans``."""


class Dim(IntEnum):
    """Sizes the kernel reads from ``KernelPlan.n``."""

    ENTITIES = 0
    LOANS = 1
    PHASES = 2
    EQUITY = 3
    LINES = 4
    MONTHS = 5
    CURVE = 6  # longest construction schedule, months
    SITES = 7
    CONTRACTS = 8
    GROUP = 9  # largest equity group in a funding order


def _codes(name: str, enum: type[IntEnum]) -> ModuleType:
    """An enum's members as a module's int attributes, for the kernel: numba reads a module's int attribute as
    a literal, so ``k.o[C.loans_start]`` on the tuple of offsets is a constant index into a tuple of numbers it
    keeps in registers (from an array, an offset was read again from memory after every write to the state)."""
    codes = ModuleType(name)
    for member in enum:
        setattr(codes, member.name, int(member))
    return codes


C = _codes("C", Col)
D = _codes("D", Dim)

KernelPlan = namedtuple("KernelPlan", ["I", "F", "PI", "PF", "o", "n"])
"""The Plan flattened for the kernel: static ints (bools as 0/1) and floats, per-path ints and floats
(values x paths, one column when the same on every path: the kernel reads a value for a batch's paths side by
side), the offset of each column (by ``Col``) in the array it lives in, and the sizes (by ``Dim``). Matrices
(entities x months, phases x curve months) are row-major."""


def kernel_tuple(tables: dict[str, Table], n_months: int, lo: int = 0, hi: int | None = None) -> KernelPlan:
    """Every column of every table flattened for the kernel; per-path columns cut to paths lo..hi."""
    static_i: list[np.ndarray] = []
    static_f: list[np.ndarray] = []
    path_i: list[np.ndarray] = []
    path_f: list[np.ndarray] = []
    offsets = np.zeros(len(Col), dtype=np.int64)
    sizes = {"i": 0, "f": 0, "pi": 0, "pf": 0}
    n_rows = max((t.n_paths() for t in tables.values()), default=1)
    if hi is not None and n_rows > 1:
        n_rows = hi - lo
    for t, cols in COLUMNS.items():
        for c, decl in cols.items():
            a = tables[t].columns[c]
            is_float = decl.dtype == "f8"
            if decl.per_path:
                if a.shape[0] > 1:
                    a = a[lo:hi]
                a = a.reshape(a.shape[0], -1)  # one row per path, or one row for every path
                key, bucket = ("pf", path_f) if is_float else ("pi", path_i)
                offsets[Col[f"{t}_{c}"]] = sizes[key]
                sizes[key] += a.shape[-1]
                bucket.append(a)  # copied once, into its place in the chunk's array (below)
                continue
            a = a.reshape(-1)
            key, bucket = ("f", static_f) if is_float else ("i", static_i)
            offsets[Col[f"{t}_{c}"]] = sizes[key]
            sizes[key] += a.shape[-1]
            bucket.append(a.astype(np.float64 if is_float else np.int64))
    ent, phases = tables["entities"], tables["phases"]
    n = np.zeros(len(Dim), dtype=np.int64)
    n[Dim.ENTITIES] = len(ent)
    n[Dim.LOANS] = len(tables["loans"])
    n[Dim.PHASES] = len(phases)
    n[Dim.EQUITY] = len(tables["equity"])
    n[Dim.LINES] = len(tables["lines"])
    n[Dim.MONTHS] = n_months
    n[Dim.CURVE] = phases.curve.shape[1]
    n[Dim.SITES] = len(tables["sites"])
    n[Dim.CONTRACTS] = len(tables["contracts"])
    n[Dim.GROUP] = max(int(tables["funding"].count.max()) if len(tables["funding"]) else 1, 1)

    def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        if not parts:
            return np.zeros(0, dtype=dtype)
        return np.ascontiguousarray(np.concatenate(parts), dtype=dtype)

    def per_path(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        out = np.empty((sum(a.shape[1] for a in parts), n_rows), dtype=dtype)
        at = 0
        for a in parts:
            out[at:at + a.shape[1], :] = a.T  # a one-row column is the same on every path
            at += a.shape[1]
        return out

    return KernelPlan(cat(static_i, np.int64), cat(static_f, np.float64),
                      per_path(path_i, np.int64), per_path(path_f, np.float64), tuple(int(x) for x in offsets),
                      tuple(int(x) for x in n))
