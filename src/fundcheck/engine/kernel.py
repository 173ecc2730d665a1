"""The month kernel: a batch of paths in lockstep, month by month, over the Plan's tables and a state of
fixed-size arrays.

Compiled with numba and run in parallel over batches of paths (``run_chunk``). Nothing in here is a Python
object, dict or string: the Plan arrives as ``tables.KernelPlan`` (every column flattened), the state as two
arrays (floats and ints) with one row per state quantity and one column per path of the batch, and what is
kept as record arrays with a leading path axis.

**Lockstep.** Every step below walks the plan once per batch and the batch's paths in an inner loop, so reading
the plan (offsets, owners, funding orders) is paid once for up to ``BATCH`` paths instead of once per path.
Where paths differ (one has cash, another must borrow), each path's arithmetic is guarded on its own numbers:
a path with nothing left to fund takes the later funding steps as no-ops, so every path's numbers are exactly
those of a run of that path alone (tested: N paths equal N one-path runs, whatever the batch and chunk).

Each month, in this order (the order is the seniority of claims on an entity's cash):

1. commitments opening this month are measured against their provider's liquidity (*secured*); an entity
   under ``order_of_claims: commitments_first`` holds back what it still owes on its open commitments called
   as needed (``_hold``: only their calls may spend it, so they come before everything below);
   loans accrue interest on their opening balance: inside the window with ``capitalise`` it is added to
   principal as far as the limit allows, the rest is due in cash; upfront fees are capitalised in the first
   month (within the limit); bonds draw their limit; upfront equity is paid (after the draws, so money
   borrowed this month can pay it);
2. each entity's own cash flow arrives (or, if negative, is a need);
3. contracts bill from what is online at the start of the month, in file order;
4. debt service, loan by loan in file order: interest due, commitment fees (on the limit undrawn before debt
   service), then principal: what is overdue from earlier months plus the repayment profile's instalment,
   less what the loan's refinancing (if any) repays. Unpaid interest and principal stay overdue and are due
   again next month;
5. capex, owner by owner (in the order of each owner's first phase), each owner's phases in file order (a
   phase's facility, then its IT, then the next phase): facility capex by its curve plus what was deferred,
   IT capex over ``it_months`` from energization and at each refresh (plus what was deferred).

**Runs of dues.** A payer's dues in a step are funded together (``_pay_dues``): all an owner's capex of the
month, a payer's consecutive bills of one cause (contract or operating costs), a borrower's consecutive loans
(each loan alone when the borrower's funding order draws on loans, since a repayment frees room under a
limit or loan-to-cost cap). One obligation funds the run's sum; what was found pays its dues in order (or,
for capex under ``capex_shortfall: pro_rata``, each the same share), each settled as if alone: its flow, its
ledger line, its gap. A short payer's funding walk, its investors' calls included, runs once per run.

**Funding.** ``obligation`` is the one way a modelled entity pays. It records the need, walks the payer's
funding order (own cash; equity called pro rata from the group's investors; loans up to limit and
loan-to-cost; money it can raise), pays what it found and records the rest as the payer's gap (for a run,
``_pay_dues`` pays and records each due). An investor
answering a call, or a modelled lender funding a draw, pays through the same walk in turn: the funding graph
is walked with an explicit stack of frames (no recursion; the loader rejects loops, so depth <= entities); a
payer whose steps ask no modelled entity needs no frame: it is answered at once, step by step over the paths
still short (``_walk_leaf``, which uses up the path list at its depth and its ``fr_covered`` row; a caller
reads only ``v_result`` afterwards).
A step function hands ``obligation`` one amount per path in the row ``v_amount`` (and the part carried from
earlier months in ``v_carried``) and reads what each path paid from ``v_out``.

**Gap.** For each entity and month: ``gap`` is what it could not pay; ``carried`` what came back from earlier
months (deferred capex, overdue principal and interest, re-issued equity calls); ``new_gap`` what the unpaid
balance grew by: for each due, max(unpaid - carried, 0) (a payment counts against what fell due this month
first), so new gaps add up over months without counting a carried dollar twice.
"""

from __future__ import annotations

from enum import IntEnum
from types import ModuleType
from typing import Any

import numba
import numpy as np

from fundcheck.engine.instruments import _jit
from fundcheck.engine.instruments.contract import bill, funded_share, site_quantities
from fundcheck.engine.instruments.equity import call_shares_paths
from fundcheck.engine.instruments.loan import rate, room
from fundcheck.engine.instruments.repayment import scheduled_principal
from fundcheck.engine.tables import CAUSE_NAMES, NEVER, C, Cause, D, KernelPlan, Kind, Step

__all__ = ["BATCH", "EPS", "FULL_FIELDS", "NEVER", "SHORTFALL_USD", "SUMMARY_FIELDS", "SUMMARY_INT_FIELDS",
           "Layout", "layout", "run_chunk"]

EPS = 1e-6  # USD: below this a remaining need counts as met
SHORTFALL_USD = 1.0  # a monthly gap below a dollar is rounding, not a shortfall
BATCH = 176  # paths in lockstep: measured fastest here among 64 to 256 (128: 7% slower; 256: 20% slower)

_CASH, _EQUITY, _LOAN = int(Step.CASH), int(Step.EQUITY), int(Step.LOAN)
_C_CAPEX, _C_DEBT, _C_CONTRACT = int(Cause.CAPEX), int(Cause.DEBT_SERVICE), int(Cause.CONTRACT)
_C_OPERATIONS, _K_OPEX = int(Cause.OPERATIONS), int(Kind.OPEX)
_K_LEASE, _K_OFFTAKE, _K_OWN_IN, _K_OWN_OUT = int(Kind.LEASE), int(Kind.OFFTAKE), int(Kind.OWN_IN), int(Kind.OWN_OUT)
_C_OWN, _C_EQUITY, _C_LOAN = int(Cause.OWN_COSTS), int(Cause.EQUITY_CALL), int(Cause.LOAN_FUNDING)
_NC = len(CAUSE_NAMES)
_W_NONE, _W_EQUITY, _W_LOAN = 0, 1, 2

# The state is a block of rows per field (one column per path of the batch), and a record a block of columns
# per field (one row per path), each at an offset found by an enum member. Sizes are dimension names:
# accounts (entities + the outside world), entities, loans, phases, equity, lines, causes, commitments (equity
# then loans), depth (funding frames), group (largest equity group).

# state: floats, then ints. The m_* rows (m_flow to m_gap) are this month's and contiguous; fr_* are
# the funding walk's frames; v_* pass amounts between a step and ``obligation`` (v_want and v_reissued:
# a refinancing's draw; v_found and v_share: what ``_pay_dues`` has left to pay out, and its share;
# v_callable: what a group can still be called for; v_debt: a borrower's project debt, ``_debt_rows``; one
# row each, as none is live across a nested walk);
# q_* queue a payer's dues (``_pay_dues``); sm_* are the summary record's running figures, kept row by row
# over the batch's paths and written to the record in the last month
STATE_FIELDS = {
    "cash": "accounts", "principal": "loans", "overdue": "loans", "base": "loans", "interest_due": "loans",
    "fee_due": "loans", "ln_end": "loans",
    "reserve": "entities", "reserve_target": "entities", "held": "entities", "site_mw": "sites x 2",
    "cov_cf": "entities", "cov_mark": "entities", "cov_ds": "entities", "cov_dscr": "loans", "swept": "loans",
    "raised": "entities", "raise_repaid": "entities", "capex_spent": "entities", "eq_paid": "equity",
    "eq_missed": "equity",
    "eq_reissue": "equity", "ln_missed": "loans", "ln_reissue": "loans", "fac_funded": "phases",
    "fac_backlog": "phases", "it_funded": "phases",
    "it_backlog": "phases", "secured": "commitments", "line_total": "lines", "moved": "one",
    "new_gap_total": "entities", "new_cause_total": "entities x causes", "m_flow": "lines", "m_need": "entities",
    "m_new_gap": "entities", "m_carried": "entities", "m_cause": "entities x causes", "m_swept": "loans",
    "m_capex_need": "phases", "m_capitalised": "loans", "m_arrears": "loans", "m_called": "equity",
    "m_paid": "equity", "m_capex_funded": "phases", "m_gap": "entities", "fr_amount": "depth",
    "fr_covered": "depth", "fr_carried": "depth", "fr_aux": "depth", "fr_want": "depth",
    "fr_calls": "depth x group", "v_amount": "one", "v_carried": "one", "v_out": "one", "v_result": "one",
    "v_want": "one", "v_reissued": "one", "v_found": "one", "v_share": "one", "v_callable": "one",
    "v_debt": "one",
    "opening_total": "one", "q_amount": "items", "q_carried": "items",
    "q_paid": "items", "q_due": "items", "sm_total": "one", "sm_big": "one", "sm_err": "one",
    "sm_largest_gap": "entities", "sm_lowest_cash": "entities", "sm_capex_funded": "phases",
    "sm_max_principal": "loans", "sm_capitalised": "loans", "sm_arrears": "loans", "sm_called": "equity",
    "sm_paid": "equity", "sink": "sink",
}
# rows written by the month's steps and read only to keep the month in full (m_flow to m_capex_funded, in that
# order; the summary's totals of the month's figures, sm_*, are added to where the month's are): a summary run
# writes them all into ``sink`` instead (``Layout.state_offsets``)
FULL_ONLY = ("m_flow", "m_need", "m_new_gap", "m_carried", "m_cause", "m_swept", "m_capex_need", "m_capitalised",
             "m_arrears", "m_called", "m_paid", "m_capex_funded")
STATE_INT_FIELDS = {
    "energized": "phases", "site_first": "sites", "fr_payer": "depth", "fr_payee": "depth", "fr_line": "depth",
    "fr_step": "depth", "fr_sub": "depth", "fr_wait": "depth", "fr_cause": "depth", "fr_capex": "depth",
    "fr_held": "depth", "fr_count": "depth",
    "fr_paths": "depth", "q_payee": "items", "q_line": "items", "q_item": "items", "sm_first_short": "entities",
    "sm_months_short": "entities", "locked": "loans", "sm_first_lockup": "loans", "sm_first_default": "loans",
    "sm_lockups": "loans",
}  # a frame's ints are the same for every path of a batch (the walk is in lockstep) and kept in column 0, but
# fr_paths: row d lists, across its columns, the paths still short in frame d (fr_count of them)
# full record: per path and month, month-major within a path
FULL_FIELDS = {
    "cash_usd": "accounts", "principal_usd": "loans", "overdue_usd": "loans", "capitalised_usd": "loans",
    "arrears_usd": "loans", "need_usd": "entities", "gap_usd": "entities", "new_gap_usd": "entities",
    "carried_usd": "entities", "gap_by_cause_usd": "entities x causes", "capex_need_usd": "phases",
    "capex_funded_usd": "phases", "it_funded_share": "phases", "equity_called_usd": "equity",
    "equity_paid_usd": "equity", "equity_missed_usd": "equity", "flows_usd": "lines", "dscr_test": "loans",
    "reserve_usd": "entities", "swept_usd": "loans", "held_usd": "entities",
}
# summary record: per path, independent of the number of months
SUMMARY_FIELDS = {
    "secured_usd": "commitments", "largest_gap_usd": "entities", "final_gap_usd": "entities",
    "new_gap_total_usd": "entities", "new_gap_by_cause_usd": "entities x causes", "lowest_cash_usd": "accounts",
    "final_cash_usd": "accounts", "line_total_usd": "lines", "capex_funded_total_usd": "phases",
    "max_principal_usd": "loans", "final_principal_usd": "loans", "final_overdue_usd": "loans",
    "capitalised_total_usd": "loans", "arrears_total_usd": "loans", "equity_called_total_usd": "equity",
    "equity_paid_total_usd": "equity", "final_missed_usd": "equity", "conservation_error_usd": "one",
    "largest_balance_usd": "one",
    "moved_usd": "one", "swept_total_usd": "loans",
}
SUMMARY_INT_FIELDS = {"energized": "phases", "first_short": "entities", "months_short": "entities",
                      "window_end": "loans", "first_lockup": "loans", "first_default": "loans", "lockups": "loans"}



def _rows(name: str, fields: dict[str, str]) -> Any:
    """Each field's number, by name (``S.cash`` is 0), as the int attributes of a module object: numba reads
    a module's int attribute as a literal, so ``so[S.cash]`` on the tuple of offsets the kernel gets is a
    constant index (a namedtuple's attribute would be indexed through a switch; the kernel compiled 20 s
    slower). As arrays, the offsets were read again from memory after every write to the state (numba
    cannot tell two arrays apart, so any write might have changed them); as a tuple they are numbers in
    registers, and the kernel ran 13% faster."""
    rows = ModuleType(name)
    for i, field in enumerate(fields):
        setattr(rows, field, i)
    return rows


S = _rows("S", STATE_FIELDS)
SI = _rows("SI", STATE_INT_FIELDS)
RF = IntEnum("RF", list(FULL_FIELDS), start=0)
RS = IntEnum("RS", list(SUMMARY_FIELDS), start=0)
RI = IntEnum("RI", list(SUMMARY_INT_FIELDS), start=0)


def dims(k: KernelPlan) -> dict[str, int]:
    """Size of each dimension name used in the field tables."""
    n = k.n
    e, ln, q = int(n[D.ENTITIES]), int(n[D.LOANS]), int(n[D.EQUITY])
    return {"accounts": e + 1, "entities": e, "loans": ln, "phases": int(n[D.PHASES]), "equity": q,
            "lines": int(n[D.LINES]), "causes": _NC, "commitments": q + ln, "depth": e + 2,
            "group": int(n[D.GROUP]), "one": 1, "sites": int(n[D.SITES]), "2": 2,
            "items": max(int(n[D.CONTRACTS]), 3 * ln, 2 * int(n[D.PHASES]), 1),
            "sink": max(int(n[D.LINES]), e * _NC, ln, q, int(n[D.PHASES]), 1)}


def field_shape(spec: str, d: dict[str, int]) -> tuple[int, ...]:
    """The shape of a field from its dimension names ('entities x causes')."""
    return tuple(d[x] for x in spec.split(" x "))


class Layout:
    """Offsets and widths of every block of state and record, for one plan's sizes."""

    def __init__(self, k: KernelPlan) -> None:
        d = dims(k)
        self.dims = d
        self.shapes: dict[str, dict[str, tuple[int, ...]]] = {}
        self.offsets: dict[str, np.ndarray] = {}
        self.widths: dict[str, int] = {}
        for group, fields in (("state", STATE_FIELDS), ("state_int", STATE_INT_FIELDS), ("full", FULL_FIELDS),
                              ("summary", SUMMARY_FIELDS), ("summary_int", SUMMARY_INT_FIELDS)):
            shapes = {name: field_shape(spec, d) for name, spec in fields.items()}
            sizes = [int(np.prod(s)) for s in shapes.values()]
            self.shapes[group] = shapes
            self.offsets[group] = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
            self.widths[group] = int(sum(sizes))

    def offsets_tuple(self, group: str) -> tuple[int, ...]:
        """The offsets of a group as the tuple the kernel takes (``so``, ``sio``)."""
        return tuple(int(x) for x in self.offsets[group])

    def state_offsets(self, full: bool) -> tuple[int, ...]:
        """The state's offsets as the kernel takes them (``so``): in a summary run, the rows only a full record
        reads (``FULL_ONLY``) all point at ``sink``, so the month's steps write them into one block of rows
        nobody reads instead of seven (fewer rows in the cache, none to clear each month)."""
        offsets = self.offsets_tuple("state")
        if full:
            return offsets
        sink = offsets[S.sink]
        return tuple(sink if name in FULL_ONLY else x for name, x in zip(STATE_FIELDS, offsets, strict=True))

    def block(self, group: str, name: str, array: np.ndarray) -> np.ndarray:
        """One field of a record array (paths [x months] x width) in its own shape (record groups only)."""
        names = list(self.shapes[group])
        i = names.index(name)
        lo = int(self.offsets[group][i])
        shape = self.shapes[group][name]
        return array[..., lo:lo + int(np.prod(shape))].reshape(*array.shape[:-1], *shape)


def layout(k: KernelPlan) -> Layout:
    """The layout of state and record for a flattened plan."""
    return Layout(k)


@_jit.jit_small
def _rt(x: int) -> int:
    """`x` as a run-time int. numba compiles a function once per constant it is called with (the leaf walk was
    compiled eleven times, the compile took over a minute), so the kernel passes constants through this, and
    starts from it a counter passed to a compiled function (one started from a literal 0 was first typed as
    that literal, and four functions were compiled twice: 7 s of the cold compile)."""
    return x + 0


# --- money movement (one path: column b of the batch) ----------------------------------------------------------

@_jit.jit_small
def _flow(s: Any, so: Any, payer: int, payee: int, line: int, amount: float, b: int) -> None:
    """Move `amount` USD from payer to payee on ledger `line` (none for a negative line: see ``_pay_dues``)."""
    if amount != 0.0 and line >= 0:
        s[so[S.cash] + payer, b] -= amount
        s[so[S.cash] + payee, b] += amount
        s[so[S.m_flow] + line, b] += amount
        s[so[S.line_total] + line, b] += amount
        s[so[S.moved], b] += abs(amount)


@_jit.jit_small
def _project_debt(k: Any, s: Any, so: Any, borrower: int, b: int) -> float:
    """The borrower's principal over all its facilities but credit lines: the debt loan-to-cost caps (USD)."""
    ki, o = k.I, k.o
    debt = 0.0
    for j in range(k.n[D.LOANS]):
        if ki[o[C.loans_borrower] + j] == borrower and not ki[o[C.loans_credit_line] + j]:
            debt += s[so[S.principal] + j, b]
    return debt


@_jit.jit_small
def _debt_rows(k: Any, s: Any, so: Any, borrower: int, width: int) -> None:
    """``_project_debt`` on each of the first `width` paths, into row ``v_debt``: the same sum in the same order,
    loan by loan over the paths (the loans' columns read once, not once per path)."""
    ki, o = k.I, k.o
    debt = so[S.v_debt]
    for b in range(width):
        s[debt, b] = 0.0
    for j in range(k.n[D.LOANS]):
        if ki[o[C.loans_borrower] + j] == borrower and not ki[o[C.loans_credit_line] + j]:
            principal = so[S.principal] + j
            for b in range(width):
                s[debt, b] += s[principal, b]


@_jit.jit_small
def _outside(k: Any, account: int) -> bool:
    e = k.n[D.ENTITIES]
    return account == e or k.I[k.o[C.entities_outside] + account] != 0


@_jit.jit_small
def _equity_result(s: Any, so: Any, q: int, call: float, reissued: float, paid: float, b: int) -> None:
    """Book an investor's answer to a call: paid, and what stays missed (a re-issued call counted once)."""
    s[so[S.eq_paid] + q, b] += paid
    s[so[S.m_paid] + q, b] += paid
    s[so[S.sm_paid] + q, b] += paid
    m = so[S.eq_missed] + q
    s[m, b] = max(s[m, b] + (call - reissued) - paid, 0.0)


@_jit.jit_small
def _loan_open(k: Any, s: Any, so: Any, pr: int, t: int, i: int, b: int) -> bool:
    """Loan i can be drawn as needed in month t on path b: inside its window (``ln_end``: its end, or the month
    before its conversion), not a bond, its lender not in default."""
    ki, o = k.I, k.o
    return (ki[o[C.loans_start] + i] <= t <= s[so[S.ln_end] + i, b] and not ki[o[C.loans_upfront] + i]
            and t < k.PI[o[C.loans_default_month] + i, pr])


@_jit.jit_small
def _loan_may_open(k: Any, t: int, i: int) -> bool:
    """Loan i may be drawn as needed in month t on some path (``_loan_open``'s checks that are the same on every
    path: started, not a bond)."""
    return k.I[k.o[C.loans_start] + i] <= t and not k.I[k.o[C.loans_upfront] + i]


@_jit.jit_small
def _capped(k: Any, i: int) -> bool:
    """Loan i has a loan-to-cost cap (its ``max_ltc`` is a number, not NaN)."""
    ltc = k.F[k.o[C.loans_max_ltc] + i]
    return ltc == ltc


@_jit.jit_small
def _may_raise(k: Any, t: int, e: int) -> bool:
    """Entity e may raise new money in month t (``_raise_money``'s window, the same on every path)."""
    return k.I[k.o[C.entities_raise_start] + e] <= t < k.I[k.o[C.entities_raise_maturity] + e]


@_jit.jit
def _loan_want(k: Any, s: Any, so: Any, pr: int, i: int, e: int, rem: float, covered: float,
               for_capex: int, debt: float, b: int) -> float:
    """What borrower e draws on loan i towards `rem`: within the limit and loan-to-cost (USD); `debt` is e's
    project debt (``_project_debt``) where the loan has a loan-to-cost cap.

    Draws a modelled lender left unfunded count against the limit until they are asked again (re-issued) the
    next month, so a short lender is never asked for more than the limit however many obligations draw."""
    o = k.o
    ltc = k.F[o[C.loans_max_ltc] + i]
    cost = s[so[S.capex_spent] + e, b] + (covered if for_capex else 0.0)
    unfunded = s[so[S.ln_missed] + i, b] - s[so[S.ln_reissue] + i, b]  # asked this month, not funded
    return min(rem, room(k.PF[o[C.loans_limit_usd] + i, pr] - unfunded, s[so[S.principal] + i, b], ltc, debt,
                         cost, for_capex))


@_jit.jit_small
def _raise_money(k: Any, s: Any, so: Any, pr: int, t: int, e: int, rem: float, b: int) -> float:
    """New money e raises towards `rem`, within what it can still raise (USD, moved into its cash); none
    before its start or from its maturity on."""
    ki, o = k.I, k.o
    if t < ki[o[C.entities_raise_start] + e] or t >= ki[o[C.entities_raise_maturity] + e]:
        return 0.0
    raised = so[S.raised] + e
    got = min(rem, max(k.PF[o[C.entities_raise_limit_usd] + e, pr] - s[raised, b], 0.0))
    s[raised, b] += got
    _flow(s, so, k.n[D.ENTITIES], e, ki[o[C.entities_raise_line] + e], got, b)
    return got


@_jit.jit_small
def _settle(s: Any, so: Any, e: int, payee: int, line: int, amount: float, covered: float, cause: int,
            carried: float, b: int) -> float:
    """Pay what was covered of e's need and record the rest as its gap (new unless carried); returns paid.
    With a negative line, nothing is paid or recorded: ``_pay_dues`` settles each due itself."""
    paid = min(covered, amount)
    if line < 0:
        return paid
    _flow(s, so, e, payee, line, paid, b)
    unpaid = amount - paid
    if unpaid > 0.0:
        new = max(unpaid - carried, 0.0)  # a carried dollar unpaid again is not new
        s[so[S.m_gap] + e, b] += unpaid
        s[so[S.m_cause] + e * _NC + cause, b] += unpaid
        s[so[S.m_new_gap] + e, b] += new
        s[so[S.new_gap_total] + e, b] += new
        s[so[S.new_cause_total] + e * _NC + cause, b] += new
    return paid


@_jit.jit_small
def _open_call(s: Any, so: Any, q: int, call: float, b: int) -> float:
    """Book a call of `call` USD on commitment q (a re-issued call counted once); returns the re-issued part."""
    reissued = min(call, s[so[S.eq_reissue] + q, b])
    s[so[S.eq_reissue] + q, b] -= reissued
    s[so[S.m_called] + q, b] += call - reissued
    s[so[S.sm_called] + q, b] += call - reissued
    return reissued


@_jit.jit_small
def _lender_result(s: Any, so: Any, i: int, want: float, reissued: float, got: float, b: int) -> None:
    """Book a modelled lender's answer to a draw request on loan i: what it left unfunded stays outstanding,
    and a request it sees again next month is not new."""
    s[so[S.principal] + i, b] += got
    missed = so[S.ln_missed] + i
    s[missed, b] = max(s[missed, b] + (want - reissued) - got, 0.0)


# --- the funding walk ---------------------------------------------------------------------------------------

@_jit.jit_small
def _cash_first(k: Any, e: int) -> bool:
    """Entity e's funding order starts with its own cash."""
    ki, o = k.I, k.o
    return ki[o[C.entities_fund_count] + e] > 0 and \
        ki[o[C.funding_step] + ki[o[C.entities_fund_first] + e]] == _CASH


@_jit.jit_small
def _pay_from_cash(s: Any, so: Any, e: int, payee: int, line: int, amount: float, carried: float, b: int) -> None:
    """e pays all of `amount` from the cash it has: what its funding walk would book, without the walk."""
    s[so[S.m_need] + e, b] += amount
    s[so[S.m_carried] + e, b] += carried
    _flow(s, so, e, payee, line, amount, b)


@_jit.jit
def _push(s: Any, si: Any, so: Any, sio: Any, d: int, payer: int, payee: int, line: int, capex: int,
          cause: int, held: int) -> int:
    """Open the funding frame at depth d for payer's need: its list ``fr_paths`` already holds the paths that
    ask (``fr_count`` of them), and its rows fr_amount and fr_carried each one's amount and carried part.
    `held` is 1 when the need is a call on a commitment the payer holds cash back for (its cash step may then
    spend that cash). Returns the new depth."""
    si[sio[SI.fr_payer] + d, 0] = payer
    si[sio[SI.fr_payee] + d, 0] = payee
    si[sio[SI.fr_line] + d, 0] = line
    si[sio[SI.fr_capex] + d, 0] = 1 if capex else 0
    si[sio[SI.fr_cause] + d, 0] = cause
    si[sio[SI.fr_held] + d, 0] = held
    si[sio[SI.fr_step] + d, 0] = 0
    si[sio[SI.fr_sub] + d, 0] = -1
    si[sio[SI.fr_wait] + d, 0] = _W_NONE
    amount, carried, cov = so[S.fr_amount] + d, so[S.fr_carried] + d, so[S.fr_covered] + d
    need, back = so[S.m_need] + payer, so[S.m_carried] + payer
    paths = sio[SI.fr_paths] + d
    for n in range(si[sio[SI.fr_count] + d, 0]):
        b = si[paths, n]
        s[cov, b] = 0.0
        s[need, b] += s[amount, b]
        s[back, b] += s[carried, b]
    return d + 1


@_jit.jit
def _settle_listed(s: Any, si: Any, so: Any, sio: Any, d: int, payer: int, payee: int, line: int, cause: int,
                   all_: bool) -> int:
    """Settle the paths listed at depth d that need nothing more (all of them with `all_`: the payer's steps
    are exhausted), writing what each paid into ``v_result``, and keep the others on the list; returns how
    many are left. Compiled once rather than inlined at its six call sites (a call per step of a walk, not
    per path; inlined, the walks took 4 s longer to compile)."""
    paths, count = sio[SI.fr_paths] + d, sio[SI.fr_count] + d
    amt, cov, car, res = so[S.fr_amount] + d, so[S.fr_covered] + d, so[S.fr_carried] + d, so[S.v_result]
    kept = 0
    for n in range(si[count, 0]):
        b = si[paths, n]
        if all_ or s[amt, b] - s[cov, b] <= EPS:
            s[res, b] = _settle(s, so, payer, payee, line, s[amt, b], s[cov, b], cause, s[car, b], b)
        else:
            si[paths, kept] = b
            kept += 1
    si[count, 0] = kept
    return kept


@_jit.jit_small
def _settle_done(s: Any, si: Any, so: Any, sio: Any, f: int, e: int, all_: bool) -> int:
    """``_settle_listed`` for frame f (payer e; to whom, on which line and of which cause from the frame)."""
    return _settle_listed(s, si, so, sio, f, e, si[sio[SI.fr_payee] + f, 0], si[sio[SI.fr_line] + f, 0],
                          si[sio[SI.fr_cause] + f, 0], all_)


@_jit.jit_small
def _is_leaf(k: Any, e: int) -> bool:
    """No step of e's funding order asks a modelled entity to pay (set when the plan is compiled)."""
    return k.I[k.o[C.entities_fund_leaf] + e] != 0


@_jit.jit
def _walk_leaf(k: Any, s: Any, si: Any, so: Any, sio: Any, pp: int, pr0: int, t: int, d: int, payer: int,
               payee: int, line: int, capex: int, cause: int, held: int) -> None:
    """The walk of a payer whose steps ask no modelled entity (`_is_leaf`), for the paths listed at depth d
    (the list is used up): step by step over the paths still short, each path settled (what it paid into
    ``v_result``) once it needs nothing more or the steps run out. The same bookings, in the same order for
    each path, as the frame walk (`held` as for ``_push``); row ``fr_covered`` at depth d is what each path
    has found so far."""
    ki, o = k.I, k.o
    group = k.n[D.GROUP]
    amt, car, cov = so[S.fr_amount] + d, so[S.fr_carried] + d, so[S.fr_covered] + d
    calls = so[S.fr_calls] + d * group
    paths, count = sio[SI.fr_paths] + d, sio[SI.fr_count] + d
    cash = so[S.cash] + payer
    reserve = so[S.reserve] + payer  # a debt-service reserve: cash it may not spend on anything else
    hold = so[S.held] + payer  # cash held back for its commitments' calls: only such a call (`held`) spends it
    need, back = so[S.m_need] + payer, so[S.m_carried] + payer
    for n in range(si[count, 0]):
        b = si[paths, n]
        s[need, b] += s[amt, b]
        s[back, b] += s[car, b]
        s[cov, b] = 0.0
    first = ki[o[C.entities_fund_first] + payer]
    last = first + ki[o[C.entities_fund_count] + payer]
    n_paths = si[count, 0]  # each listed path needs more than EPS: none is settled before the first step
    for row in range(first, last):
        if row > first:
            n_paths = _settle_listed(s, si, so, sio, d, payer, payee, line, cause, False)
            if n_paths == 0:
                return
        step = ki[o[C.funding_step] + row]
        if step == _CASH:
            for n in range(n_paths):
                b = si[paths, n]
                free = s[cash, b] - s[reserve, b]
                if not held:
                    free -= s[hold, b]
                s[cov, b] += min(max(free - s[cov, b], 0.0), s[amt, b] - s[cov, b])
        elif step == _EQUITY:
            slot, members = ki[o[C.funding_slot] + row], ki[o[C.funding_count] + row]
            call_shares_paths(k, pp, pr0, t, slot, members, s, amt, cov, so[S.eq_paid], so[S.eq_missed],
                              so[S.eq_reissue], calls, so[S.v_callable], si, paths, n_paths)
            for j in range(members):
                q = ki[o[C.members_equity] + slot + j]
                investor, eq_line = ki[o[C.equity_investor] + q], ki[o[C.equity_line] + q]
                for n in range(n_paths):
                    b = si[paths, n]
                    call = s[calls + j, b]
                    if call <= EPS:
                        continue
                    reissued = _open_call(s, so, q, call, b)
                    paid = 0.0
                    if t < k.PI[o[C.equity_default_month] + q, pr0 + pp * b]:  # one in default pays nothing
                        paid = call
                        _flow(s, so, investor, payer, eq_line, call, b)
                    _equity_result(s, so, q, call, reissued, paid, b)
                    s[cov, b] += paid
        elif step == _LOAN:
            i = ki[o[C.funding_slot] + row]
            lender, draw_line = ki[o[C.loans_lender] + i], ki[o[C.loans_draw_line] + i]
            may = _loan_may_open(k, t, i)
            capped = _capped(k, i)
            if may and capped:
                _debt_rows(k, s, so, payer, s.shape[1])
            for n in range(n_paths if may else 0):
                b = si[paths, n]
                pr = pr0 + pp * b
                if _loan_open(k, s, so, pr, t, i, b):
                    debt = s[so[S.v_debt], b] if capped else 0.0
                    want = _loan_want(k, s, so, pr, i, payer, s[amt, b] - s[cov, b], s[cov, b], capex, debt, b)
                    if want > EPS:
                        _flow(s, so, lender, payer, draw_line, want, b)
                        s[so[S.principal] + i, b] += want
                        s[cov, b] += want
        else:
            for n in range(n_paths if _may_raise(k, t, payer) else 0):
                b = si[paths, n]
                s[cov, b] += _raise_money(k, s, so, pr0 + pp * b, t, payer, s[amt, b] - s[cov, b], b)
    _settle_listed(s, si, so, sio, d, payer, payee, line, cause, True)


@_jit.jit
def _walk(k: Any, s: Any, si: Any, so: Any, sio: Any, pp: int, pr0: int, t: int) -> None:
    """The funding walk from the frame at depth 0 (pushed by the caller): each frame takes its payer's funding
    steps in order for the paths on its list; an investor answering a call or a lender funding a draw opens a
    frame above, listing the paths that ask it. A path leaves its frame's list, settled (paid what was found,
    the rest recorded as the payer's gap, what it paid in ``v_result``), as soon as it needs nothing more or the
    steps run out, so later steps loop over the paths still short only. Paths are independent of each other:
    settling one early changes no other path's numbers."""
    ki, o = k.I, k.o
    group = k.n[D.GROUP]
    res = so[S.v_result]
    d = _rt(1)
    while d > 0:
        f = d - 1
        e = si[sio[SI.fr_payer] + f, 0]
        i_step, i_sub, i_wait = sio[SI.fr_step] + f, sio[SI.fr_sub] + f, sio[SI.fr_wait] + f
        amt, cov = so[S.fr_amount] + f, so[S.fr_covered] + f
        want_r, aux = so[S.fr_want] + f, so[S.fr_aux] + f
        calls = so[S.fr_calls] + f * group
        paths, n_paths = sio[SI.fr_paths] + f, si[sio[SI.fr_count] + f, 0]
        row = ki[o[C.entities_fund_first] + e] + si[i_step, 0]
        wait = si[i_wait, 0]
        if wait == _W_EQUITY:  # an investor answered a call of this group
            si[i_wait, 0] = _W_NONE
            j = si[i_sub, 0]
            q = ki[o[C.members_equity] + ki[o[C.funding_slot] + row] + j]
            held_q = ki[o[C.equity_held] + q] != 0
            hold = so[S.held] + ki[o[C.equity_investor] + q]
            for n in range(n_paths):
                b = si[paths, n]
                call = s[calls + j, b]
                if call > EPS:
                    _equity_result(s, so, q, call, s[aux, b], s[res, b], b)
                    s[cov, b] += s[res, b]
                    if held_q:  # what it paid is no longer held back
                        s[hold, b] = max(s[hold, b] - s[res, b], 0.0)
            si[i_sub, 0] = j + 1
        elif wait == _W_LOAN:  # a modelled lender funded the draws
            si[i_wait, 0] = _W_NONE
            i = ki[o[C.funding_slot] + row]
            for n in range(n_paths):
                b = si[paths, n]
                if s[want_r, b] > EPS:
                    _lender_result(s, so, i, s[want_r, b], s[aux, b], s[res, b], b)
                    s[cov, b] += s[res, b]
            si[i_step, 0] += 1
            row += 1
            n_paths = _settle_done(s, si, so, sio, f, e, False)  # the list is shorter now: later steps use it
            if n_paths == 0:
                d -= 1
                continue
        if si[i_sub, 0] >= 0:  # calling an equity group, member by member
            first, count, j = ki[o[C.funding_slot] + row], ki[o[C.funding_count] + row], si[i_sub, 0]
            if j < count:
                q = ki[o[C.members_equity] + first + j]
                investor, eq_line = ki[o[C.equity_investor] + q], ki[o[C.equity_line] + q]
                outside = _outside(k, investor)
                c_amt, c_car = so[S.fr_amount] + d, so[S.fr_carried] + d  # the investor's frame, if it is opened
                c_paths = sio[SI.fr_paths] + d
                called = False
                n_child = 0
                for n in range(n_paths):
                    b = si[paths, n]
                    call = s[calls + j, b]
                    if call <= EPS:
                        continue
                    called = True
                    s[res, b] = 0.0
                    reissued = _open_call(s, so, q, call, b)
                    s[aux, b] = reissued
                    if t >= k.PI[o[C.equity_default_month] + q, pr0 + pp * b]:
                        continue  # the investor has defaulted: it pays nothing
                    if outside:
                        _flow(s, so, investor, e, eq_line, call, b)
                        s[res, b] = call
                    else:
                        s[c_amt, b] = call
                        s[c_car, b] = reissued
                        si[c_paths, n_child] = b
                        n_child += 1
                if not called:
                    si[i_sub, 0] = j + 1
                    continue
                si[i_wait, 0] = _W_EQUITY
                if n_child:
                    si[sio[SI.fr_count] + d, 0] = n_child
                    held_q = ki[o[C.equity_held] + q]
                    if _is_leaf(k, investor):  # answered at once, no frame pushed (its list used up)
                        _walk_leaf(k, s, si, so, sio, pp, pr0, t, d, investor, e, eq_line, _rt(0), _rt(_C_EQUITY),
                                   held_q)
                    else:
                        d = _push(s, si, so, sio, d, investor, e, eq_line, False, _C_EQUITY, held_q)
                continue
            si[i_sub, 0] = -1
            si[i_step, 0] += 1
            if _settle_done(s, si, so, sio, f, e, False) == 0:
                d -= 1
            continue
        if si[i_step, 0] >= ki[o[C.entities_fund_count] + e]:  # no step left: settle the rest, return
            _settle_done(s, si, so, sio, f, e, True)
            d -= 1
            continue
        step = ki[o[C.funding_step] + row]
        if step == _CASH:
            cash, reserve = so[S.cash] + e, so[S.reserve] + e
            hold, spend_held = so[S.held] + e, si[sio[SI.fr_held] + f, 0] != 0  # cash held for its calls
            for n in range(n_paths):
                b = si[paths, n]
                free = s[cash, b] - s[reserve, b]
                if not spend_held:
                    free -= s[hold, b]
                s[cov, b] += min(max(free - s[cov, b], 0.0), s[amt, b] - s[cov, b])
            si[i_step, 0] += 1
        elif step == _EQUITY:
            slot, count = ki[o[C.funding_slot] + row], ki[o[C.funding_count] + row]
            call_shares_paths(k, pp, pr0, t, slot, count, s, amt, cov, so[S.eq_paid], so[S.eq_missed],
                              so[S.eq_reissue], calls, so[S.v_callable], si, paths, n_paths)
            si[i_sub, 0] = 0
            continue  # the group's calls go out member by member before the list is looked at again
        elif step == _LOAN:
            i = ki[o[C.funding_slot] + row]
            lender, draw_line = ki[o[C.loans_lender] + i], ki[o[C.loans_draw_line] + i]
            outside = _outside(k, lender)
            capex = si[sio[SI.fr_capex] + f, 0] != 0
            c_amt, c_car = so[S.fr_amount] + d, so[S.fr_carried] + d  # the lender's frame, if it is opened
            c_paths = sio[SI.fr_paths] + d
            principal, reissue = so[S.principal] + i, so[S.ln_reissue] + i
            n_child = 0
            may = _loan_may_open(k, t, i)
            capped = _capped(k, i)
            if may and capped:
                _debt_rows(k, s, so, e, s.shape[1])
            for n in range(n_paths if may else 0):  # (``want_r`` is read only if n_child)
                b = si[paths, n]
                s[want_r, b] = 0.0
                pr = pr0 + pp * b
                if not _loan_open(k, s, so, pr, t, i, b):
                    continue
                debt = s[so[S.v_debt], b] if capped else 0.0
                want = _loan_want(k, s, so, pr, i, e, s[amt, b] - s[cov, b], s[cov, b], capex, debt, b)
                if want <= EPS:
                    continue
                if outside:
                    _flow(s, so, lender, e, draw_line, want, b)
                    s[principal, b] += want
                    s[cov, b] += want
                else:
                    reissued = min(want, s[reissue, b])
                    s[reissue, b] -= reissued
                    s[want_r, b] = want
                    s[aux, b] = reissued
                    s[c_amt, b] = want
                    s[c_car, b] = reissued
                    si[c_paths, n_child] = b
                    n_child += 1
            if n_child:
                si[i_wait, 0] = _W_LOAN
                si[sio[SI.fr_count] + d, 0] = n_child
                if _is_leaf(k, lender):  # answered at once, no frame pushed (its list used up)
                    _walk_leaf(k, s, si, so, sio, pp, pr0, t, d, lender, e, draw_line, _rt(0), _rt(_C_LOAN), _rt(0))
                else:
                    d = _push(s, si, so, sio, d, lender, e, draw_line, False, _C_LOAN, 0)
                continue
            si[i_step, 0] += 1
        else:  # raise
            for n in range(n_paths if _may_raise(k, t, e) else 0):
                b = si[paths, n]
                s[cov, b] += _raise_money(k, s, so, pr0 + pp * b, t, e, s[amt, b] - s[cov, b], b)
            si[i_step, 0] += 1
        if _settle_done(s, si, so, sio, f, e, False) == 0:
            d -= 1


@_jit.jit
def obligation(k: Any, s: Any, si: Any, so: Any, sio: Any, pp: int, pr0: int, nb: int, t: int, payer: int,
               payee: int, line: int, capex: int, cause: int) -> None:
    """`payer` must pay each path's ``v_amount`` (USD) to `payee` on ledger `line`: fund it, pay what was found,
    record the rest as the payer's gap (of `cause`; ``v_carried`` of it came back from earlier months). Writes
    what each path paid into ``v_out``.

    A path whose payer has the cash at hand pays from it; the others take the funding walk together."""
    amount, carried, out = so[S.v_amount], so[S.v_carried], so[S.v_out]
    if _outside(k, payer):
        for b in range(nb):
            a = s[amount, b]
            s[out, b] = 0.0
            if a > EPS:
                _flow(s, so, payer, payee, line, a, b)
                s[out, b] = a
        return
    fast = _cash_first(k, payer)
    f_amt, f_car = so[S.fr_amount], so[S.fr_carried]
    cash, reserve, hold = so[S.cash] + payer, so[S.reserve] + payer, so[S.held] + payer
    paths = sio[SI.fr_paths]
    n_walk = 0
    for b in range(nb):
        a = s[amount, b]
        s[out, b] = 0.0
        s[f_amt, b] = 0.0
        if a <= EPS:
            continue
        if fast and s[cash, b] - s[reserve, b] - s[hold, b] >= a:  # the common case: paid from free cash
            _pay_from_cash(s, so, payer, payee, line, a, s[carried, b], b)
            s[out, b] = a
        else:
            s[f_amt, b] = a
            s[f_car, b] = s[carried, b]
            si[paths, n_walk] = b
            n_walk += 1
    if n_walk:
        si[sio[SI.fr_count], 0] = n_walk
        if _is_leaf(k, payer):
            _walk_leaf(k, s, si, so, sio, pp, pr0, t, _rt(0), payer, payee, line, capex, cause, _rt(0))
        else:
            _push(s, si, so, sio, 0, payer, payee, line, capex, cause, 0)
            _walk(k, s, si, so, sio, pp, pr0, t)
        res = so[S.v_result]
        for b in range(nb):
            if s[f_amt, b] > 0.0:
                s[out, b] = s[res, b]


@_jit.jit_small
def _ask(s: Any, amount: int, carried: int, b: int, due: float, back: float) -> bool:
    """Put what path b owes into the rows ``obligation`` reads (`due` if positive, else nothing; `back` of it
    carried from earlier months); True when it owes something."""
    s[amount, b] = due if due > 0.0 else 0.0
    s[carried, b] = back
    return due > 0.0


@_jit.jit
def _pay_dues(k: Any, s: Any, si: Any, so: Any, sio: Any, pp: int, pr0: int, nb: int, t: int, payer: int, n: int,
              capex: int, cause: int, pro_rata: int) -> None:
    """`payer` pays the n dues queued in the rows ``q_amount`` (USD, per path; ``q_carried`` of each came back
    from earlier months) and, in column 0 of ``q_payee`` and ``q_line``, to whom and on which line: one
    obligation funds their sum, and what was found pays them in queue order, each settled as if it were an
    obligation of its own (its flow, its gap, the new part of its gap). What each path paid of each due goes
    to ``q_paid``. A payer short of money is asked once for the lot, not once per due: its funding walk (and
    its investors' calls, pro rata once) runs once."""
    amount, carried, out = so[S.v_amount], so[S.v_carried], so[S.v_out]
    found, share = so[S.v_found], so[S.v_share]
    qa, qc, qp = so[S.q_amount], so[S.q_carried], so[S.q_paid]
    payee, line = sio[SI.q_payee], sio[SI.q_line]
    # due by due, each over the batch's paths: a path's sums and payments are in queue order all the same,
    # and the paths' running figures are independent rows (not one chain of adds through memory)
    for b in range(nb):
        s[amount, b] = 0.0
        s[carried, b] = 0.0
    for r in range(n):
        for b in range(nb):
            s[qp + r, b] = 0.0
            a = s[qa + r, b]
            if a > 0.0:
                s[amount, b] += a
                s[carried, b] += s[qc + r, b]
    if not _live(s, amount, nb):
        return
    obligation(k, s, si, so, sio, pp, pr0, nb, t, payer, k.n[D.ENTITIES], _rt(-1), capex, cause)
    for b in range(nb):
        s[found, b] = s[out, b]
    if pro_rata:
        for b in range(nb):
            total = s[amount, b]
            s[share, b] = s[out, b] / total if total > EPS else 0.0
    for r in range(n):
        if not _live(s, qa + r, nb):  # a due of nothing on every path (an interest or fee due of none): no-op
            continue
        to, ln = si[payee + r, 0], si[line + r, 0]
        for b in range(nb):
            a = s[qa + r, b]
            total = s[amount, b]
            if a <= 0.0 or total <= EPS:  # not asked (as a due this small alone is not): nothing paid
                continue
            left = s[found, b]
            if s[out, b] >= total:
                paid = a
            elif pro_rata:
                paid = min(a * s[share, b], left)
            else:
                paid = min(left, a)
            s[found, b] = left - paid
            s[qp + r, b] = _settle(s, so, payer, to, ln, a, paid, cause, s[qc + r, b], b)


# --- the month's steps ------------------------------------------------------------------------------------

@_jit.jit_small
def _liquidity(k: Any, s: Any, so: Any, pr: int, t: int, e: int, b: int) -> float:
    """What e could pay now: cash, undrawn loans open to it (before loan-to-cost; refinancings aside), money it
    can raise (USD)."""
    ki, o = k.I, k.o
    out = max(s[so[S.cash] + e, b] - s[so[S.reserve] + e, b], 0.0)
    for i in range(k.n[D.LOANS]):
        if ki[o[C.loans_borrower] + i] == e and ki[o[C.loans_start] + i] <= t <= s[so[S.ln_end] + i, b] \
                and ki[o[C.loans_refinances] + i] < 0:  # a refinancing pays only the loan it refinances
            out += max(k.PF[o[C.loans_limit_usd] + i, pr] - s[so[S.principal] + i, b], 0.0)
    if ki[o[C.entities_raise_start] + e] <= t < ki[o[C.entities_raise_maturity] + e]:
        out += max(k.PF[o[C.entities_raise_limit_usd] + e, pr] - s[so[S.raised] + e, b], 0.0)
    return out


@_jit.jit
def _secure(k: Any, s: Any, so: Any, pp: int, pr0: int, nb: int, t: int) -> None:
    """Commitments opening this month: the share of each that its provider's liquidity covers now."""
    ki, o = k.I, k.o
    n_eq, n_ln = k.n[D.EQUITY], k.n[D.LOANS]
    for slot in range(n_eq + n_ln):
        if slot < n_eq:
            if ki[o[C.equity_start] + slot] != t:
                continue
            provider, face_col = ki[o[C.equity_investor] + slot], o[C.equity_amount_usd] + slot
        else:
            i = slot - n_eq
            if ki[o[C.loans_start] + i] != t:
                continue
            provider, face_col = ki[o[C.loans_lender] + i], o[C.loans_limit_usd] + i
        outside = _outside(k, provider)
        for b in range(nb):
            pr = pr0 + pp * b
            face = k.PF[face_col, pr]
            if outside:
                s[so[S.secured] + slot, b] = face
                continue
            open_total = 0.0
            for q in range(n_eq):
                if ki[o[C.equity_investor] + q] == provider and ki[o[C.equity_start] + q] <= t:
                    open_total += max(k.PF[o[C.equity_amount_usd] + q, pr] - s[so[S.eq_paid] + q, b], 0.0)
            for i in range(n_ln):
                if ki[o[C.loans_lender] + i] == provider and ki[o[C.loans_start] + i] <= t:
                    open_total += max(k.PF[o[C.loans_limit_usd] + i, pr] - s[so[S.principal] + i, b], 0.0)
            cover = 1.0
            if open_total > 0.0:
                cover = min(1.0, _liquidity(k, s, so, pr, t, provider, b) / open_total)
            s[so[S.secured] + slot, b] = face * cover


@_jit.jit
def _hold(k: Any, s: Any, so: Any, pp: int, pr0: int, nb: int, t: int) -> None:
    """The cash each entity under ``order_of_claims: commitments_first`` holds back this month: what it still
    owes on its commitments called as needed that are open (started, not ended, the investor not in default),
    USD. Its calls spend it (and lower it as they are paid); nothing else may."""
    ki, o = k.I, k.o
    for e in range(k.n[D.ENTITIES]):
        if not ki[o[C.entities_holds_commitments] + e]:
            continue
        hold = so[S.held] + e
        for b in range(nb):
            s[hold, b] = 0.0
        for q in range(k.n[D.EQUITY]):
            if not ki[o[C.equity_held] + q] or ki[o[C.equity_investor] + q] != e or \
                    not ki[o[C.equity_start] + q] <= t <= ki[o[C.equity_end] + q]:
                continue
            for b in range(nb):
                pr = pr0 + pp * b
                if t < k.PI[o[C.equity_default_month] + q, pr]:
                    s[hold, b] += max(k.PF[o[C.equity_amount_usd] + q, pr] - s[so[S.eq_paid] + q, b], 0.0)


@_jit.jit_small
def _capitalise(k: Any, s: Any, so: Any, i: int, amount: float, b: int) -> None:
    s[so[S.principal] + i, b] += amount
    s[so[S.m_capitalised] + i, b] += amount
    s[so[S.sm_capitalised] + i, b] += amount
    s[so[S.capex_spent] + k.I[k.o[C.loans_borrower] + i], b] += amount


@_jit.jit
def _accrue_and_open(k: Any, s: Any, si: Any, so: Any, sio: Any, pp: int, pr0: int, nb: int, t: int) -> None:
    ki, kf, o = k.I, k.F, k.o
    amount, carried, out = so[S.v_amount], so[S.v_carried], so[S.v_out]
    for i in range(k.n[D.LOANS]):
        start = ki[o[C.loans_start] + i]
        if t != start and _dormant(s, so, i, i + 1, nb, False):  # no balance on any path, nothing opens: no
            for b in range(nb):  # interest, nothing to capitalise
                s[so[S.interest_due] + i, b] = 0.0
            continue
        fee_share = kf[o[C.loans_upfront_fee_share] + i]
        ltc = kf[o[C.loans_max_ltc] + i]
        borrower = ki[o[C.loans_borrower] + i]
        capitalise = ki[o[C.loans_capitalise] + i] != 0
        bond_now = ki[o[C.loans_upfront] + i] != 0 and t == start
        principal, end = so[S.principal] + i, so[S.ln_end] + i
        capped = capitalise and ltc == ltc and ltc < 1.0
        if capped:  # each path's project debt before this loan's interest (its fee, if any, is added below)
            _debt_rows(k, s, so, borrower, nb)
        for b in range(nb):
            pr = pr0 + pp * b
            limit = k.PF[o[C.loans_limit_usd] + i, pr]
            interest = s[principal, b] * rate(k, pr, t, i)
            if t == start and fee_share > 0.0:
                _capitalise(k, s, so, i, min(fee_share * limit, max(limit - s[principal, b], 0.0)), b)
            if capitalise and start <= t <= s[end, b]:  # inside the window
                cap = min(interest, max(limit - s[principal, b], 0.0))
                if capped:  # and within loan-to-cost: capitalised interest adds to debt and cost (the debt
                    # summed again where an upfront fee was just capitalised on this path)
                    debt = _project_debt(k, s, so, borrower, b) if t == start else s[so[S.v_debt], b]
                    cap = min(cap, max((ltc * s[so[S.capex_spent] + borrower, b] - debt) / (1.0 - ltc), 0.0))
                _capitalise(k, s, so, i, cap, b)
                interest -= cap
            s[so[S.interest_due] + i, b] = interest
            if bond_now:  # a lender in default draws nothing
                s[amount, b] = limit - s[principal, b] if t < k.PI[o[C.loans_default_month] + i, pr] else 0.0
                s[carried, b] = 0.0
        if bond_now:
            obligation(k, s, si, so, sio, pp, pr0, nb, t, ki[o[C.loans_lender] + i], borrower,
                       ki[o[C.loans_draw_line] + i], _rt(0), _rt(_C_LOAN))
            for b in range(nb):
                s[principal, b] += s[out, b]
    for q in range(k.n[D.EQUITY]):
        if not (ki[o[C.equity_upfront] + q] and t == ki[o[C.equity_start] + q]):
            continue
        for b in range(nb):
            pr = pr0 + pp * b
            called = k.PF[o[C.equity_amount_usd] + q, pr]
            s[so[S.m_called] + q, b] += called
            s[so[S.sm_called] + q, b] += called
            s[amount, b] = called if t < k.PI[o[C.equity_default_month] + q, pr] else 0.0  # a defaulted
            s[carried, b] = 0.0  # investor pays nothing
        obligation(k, s, si, so, sio, pp, pr0, nb, t, ki[o[C.equity_investor] + q], ki[o[C.equity_investee] + q],
                   ki[o[C.equity_line] + q], _rt(0), _rt(_C_EQUITY))
        for b in range(nb):
            called = k.PF[o[C.equity_amount_usd] + q, pr0 + pp * b]
            _equity_result(s, so, q, called, 0.0, s[out, b], b)


@_jit.jit
def _own_cash_flows(k: Any, s: Any, si: Any, so: Any, sio: Any, pp: int, pr0: int, nb: int, t: int) -> None:
    ki, o = k.I, k.o
    outside = k.n[D.ENTITIES]
    months = k.n[D.MONTHS]
    amount, carried = so[S.v_amount], so[S.v_carried]
    for e in range(outside):  # income first
        flow = k.F[o[C.entities_cash_flow_usd] + e * months + t]
        if flow > 0.0:
            line = ki[o[C.entities_own_in_line] + e]
            for b in range(nb):
                _flow(s, so, outside, e, line, flow, b)
    for e in range(outside):  # then the coupon on new money raised and not repaid, its repayment, own costs
        raised, repaid = so[S.raised] + e, so[S.raise_repaid] + e
        coupon_rate = k.F[o[C.entities_raise_rate_monthly] + e]
        if coupon_rate > 0.0:
            owed = False
            for b in range(nb):
                coupon = coupon_rate * (s[raised, b] - s[repaid, b])
                owed = _ask(s, amount, carried, b, coupon, 0.0) or owed
            if owed:
                obligation(k, s, si, so, sio, pp, pr0, nb, t, e, outside, ki[o[C.entities_raise_interest_line] + e],
                           _rt(0), _rt(_C_DEBT))
        maturity = ki[o[C.entities_raise_maturity] + e]
        if t >= maturity:  # everything raised is due; what is unpaid stays due the next month
            owed = False
            for b in range(nb):
                due = s[raised, b] - s[repaid, b]
                owed = _ask(s, amount, carried, b, due, due if t > maturity else 0.0) or owed
            if owed:
                obligation(k, s, si, so, sio, pp, pr0, nb, t, e, outside, ki[o[C.entities_raise_repay_line] + e],
                           _rt(0), _rt(_C_DEBT))
                for b in range(nb):
                    s[repaid, b] += s[so[S.v_out], b]
        flow = k.F[o[C.entities_cash_flow_usd] + e * months + t]
        if flow < 0.0:
            for b in range(nb):
                s[amount, b] = -flow
                s[carried, b] = 0.0
            obligation(k, s, si, so, sio, pp, pr0, nb, t, e, outside, ki[o[C.entities_own_out_line] + e],
                       _rt(0), _rt(_C_OWN))


@_jit.jit
def _contracts(k: Any, s: Any, si: Any, so: Any, sio: Any, pp: int, pr0: int, nb: int, t: int) -> None:
    """The month's contract bills in file order; consecutive bills of one payer and cause are paid together
    (``_pay_dues``). An unpaid bill is lost: gap only."""
    ki, o = k.I, k.o
    qa, qc = so[S.q_amount], so[S.q_carried]
    n_c = k.n[D.CONTRACTS]
    if n_c:  # what each site has online at the start of the month, for its contracts' bills
        site_quantities(k, pp, pr0, nb, t, si, sio[SI.energized], s, so[S.it_funded], sio[SI.site_first],
                        so[S.site_mw])
    c = _rt(0)
    while c < n_c:
        payer = ki[o[C.contracts_payer] + c]
        cause = _C_OPERATIONS if ki[o[C.contracts_kind] + c] == _K_OPEX else _C_CONTRACT
        n = _rt(0)
        while c < n_c and ki[o[C.contracts_payer] + c] == payer and \
                (_C_OPERATIONS if ki[o[C.contracts_kind] + c] == _K_OPEX else _C_CONTRACT) == cause:
            si[sio[SI.q_payee] + n, 0] = ki[o[C.contracts_payee] + c]
            si[sio[SI.q_line] + n, 0] = ki[o[C.contracts_line] + c]
            # a bill of nothing on every path is left out of the run: it pays nothing
            if bill(k, pp, pr0, nb, t, c, si, sio[SI.energized], s, so[S.it_funded], sio[SI.site_first],
                    so[S.site_mw], qa + n) and _live(s, qa + n, nb):
                for b in range(nb):
                    s[qc + n, b] = 0.0
                n += 1
            c += 1
        _pay_dues(k, s, si, so, sio, pp, pr0, nb, t, payer, n, _rt(0), _rt(cause), _rt(0))


@_jit.jit
def _debt_service(k: Any, s: Any, si: Any, so: Any, sio: Any, pp: int, pr0: int, nb: int, t: int) -> None:
    """The month's debt service, loan by loan in file order: interest due, then the commitment fee, then
    principal (what is overdue from earlier months plus the profile's instalment). The dues of consecutive
    loans of one borrower are paid together (``_pay_dues``), unless its funding order draws on loans: then
    each loan's dues alone, since a repayment frees room under a limit or loan-to-cost cap for the next
    draw. The commitment fee is on the limit undrawn before the month's debt service. Unpaid interest and
    fees are arrears: on the balance and overdue, due next month."""
    ki, kf, o = k.I, k.F, k.o
    qa, qc, qp = so[S.q_amount], so[S.q_carried], so[S.q_paid]
    n_l = k.n[D.LOANS]
    for i in range(n_l):  # commitment fees, on the limits undrawn before any of the month's debt service
        fee_rate = kf[o[C.loans_commitment_fee_monthly] + i]
        started = ki[o[C.loans_start] + i] <= t and fee_rate > 0.0
        fee_due, principal, end = so[S.fee_due] + i, so[S.principal] + i, so[S.ln_end] + i
        for b in range(nb):
            undrawn = k.PF[o[C.loans_limit_usd] + i, pr0 + pp * b] - s[principal, b]
            s[fee_due, b] = fee_rate * max(undrawn, 0.0) if started and t <= s[end, b] else 0.0
    for e in range(k.n[D.ENTITIES]):  # reserve targets: counted afresh each month, before any debt service
        if ki[o[C.entities_reserved] + e]:
            for b in range(nb):
                s[so[S.reserve_target] + e, b] = 0.0
    for i in range(n_l):
        months = ki[o[C.loans_reserve_months] + i]
        if months > 0:
            for b in range(nb):
                s[so[S.reserve_target] + ki[o[C.loans_borrower] + i], b] += _reserve_need(k, s, so, pr0 + pp * b,
                                                                                            t, i, months, b)
    i0 = _rt(0)
    while i0 < n_l:
        bor = ki[o[C.loans_borrower] + i0]
        i1 = i0
        alone = ki[o[C.entities_fund_loans] + bor] != 0  # a repayment frees room for the next draw
        while i1 < n_l and ki[o[C.loans_borrower] + i1] == bor and (i1 == i0 or not alone):
            i1 += 1
        reserved = ki[o[C.entities_reserved] + bor] != 0
        if not reserved and _dormant(s, so, i0, i1, nb, True):  # nothing owed on any path: nothing to do
            i0 = i1
            continue
        for i in range(i0, i1):
            r = 3 * (i - i0)  # its interest, fee and principal are dues r, r + 1, r + 2
            lender = ki[o[C.loans_lender] + i]
            for x in range(3):
                si[sio[SI.q_payee] + r + x, 0] = lender
            si[sio[SI.q_line] + r, 0] = ki[o[C.loans_interest_line] + i]
            si[sio[SI.q_line] + r + 1, 0] = ki[o[C.loans_fee_line] + i]
            si[sio[SI.q_line] + r + 2, 0] = ki[o[C.loans_principal_line] + i]
            principal, overdue = so[S.principal] + i, so[S.overdue] + i
            tested = ki[o[C.entities_tested] + bor] != 0
            for b in range(nb):
                pr = pr0 + pp * b
                j = t - int(s[so[S.ln_end] + i, b])  # repayment month, 1-based
                s[qa + r, b] = s[so[S.interest_due] + i, b]
                s[qc + r, b] = 0.0
                s[qa + r + 1, b] = s[so[S.fee_due] + i, b]
                s[qc + r + 1, b] = 0.0
                late = s[overdue, b]  # principal and interest missed in earlier months
                scheduled = _instalment(k, s, so, pr, t, i, b) if j > 0 else 0.0  # none in the window
                if j == 1:
                    s[so[S.base] + i, b] = s[principal, b] - late
                if tested:  # the year's debt service due, for the borrower's covenant tests
                    s[so[S.cov_ds] + bor, b] += s[qa + r, b] + s[qa + r + 1, b] + scheduled
                due = late + scheduled
                s[so[S.q_due] + r + 2, b] = due
                s[qa + r + 2, b] = due if due > EPS else 0.0
                s[qc + r + 2, b] = late
            if ki[o[C.loans_refinanced_by] + i] >= 0:
                _refinance(k, s, si, so, sio, pp, pr0, nb, t, i, r + 2)
        if reserved:  # the reserve is there to pay this
            for b in range(nb):
                s[so[S.reserve] + bor, b] = 0.0
        _pay_dues(k, s, si, so, sio, pp, pr0, nb, t, bor, 3 * (i1 - i0), _rt(0), _rt(_C_DEBT), _rt(0))
        if reserved:  # and is topped up to its target from the cash left (its target: this month's so far),
            for b in range(nb):  # above what it holds back for its commitments' calls (senior to it)
                free = s[so[S.cash] + bor, b] - s[so[S.held] + bor, b]
                s[so[S.reserve] + bor, b] = min(s[so[S.reserve_target] + bor, b], max(free, 0.0))
        for i in range(i0, i1):
            r = 3 * (i - i0)
            principal, overdue = so[S.principal] + i, so[S.overdue] + i
            for b in range(nb):
                arrears = max(s[qa + r, b], 0.0) - s[qp + r, b] + s[qa + r + 1, b] - s[qp + r + 1, b]
                paid = s[qp + r + 2, b]
                s[principal, b] -= paid
                s[overdue, b] = max(s[so[S.q_due] + r + 2, b] - paid, 0.0) + arrears
                if arrears > 0.0:  # arrears: on the balance and overdue, outside the limit's headroom
                    s[principal, b] += arrears
                    s[so[S.m_arrears] + i, b] += arrears
                    s[so[S.sm_arrears] + i, b] += arrears
        i0 = i1


@_jit.jit_small
def _live(s: Any, row: int, nb: int) -> bool:
    """Some path of the batch has a due above zero in state row `row`. A due of nothing on every path pays
    nothing, books nothing and leaves no gap (``_pay_dues`` skips it path by path), so it need not be queued.
    Dues are finite: the loader and ``Plan.vary`` take finite numbers only (a NaN due was settled as NaN)."""
    if s[row, 0] > 0.0:
        return True
    count = 0
    for b in range(nb):  # counted without an early exit, so the compiler vectorizes it
        count += s[row, b] > 0.0
    return count > 0


@_jit.jit_small
def _span(a: Any, row: int, pr0: int, pp: int, nb: int) -> tuple[int, int]:
    """The least and the greatest of a per-path int column (row `row` of `a`) over a batch's nb paths."""
    lo = hi = a[row, pr0]
    if pp:
        for b in range(nb):
            v = a[row, pr0 + b]
            lo = min(lo, v)
            hi = max(hi, v)
    return lo, hi


@_jit.jit_small
def _row_span(si: Any, row: int, nb: int) -> tuple[int, int]:
    """The least and the greatest of int state row `row` over a batch's nb paths."""
    lo = hi = si[row, 0]
    for b in range(nb):
        lo = min(lo, si[row, b])
        hi = max(hi, si[row, b])
    return lo, hi


@_jit.jit_small
def _dormant(s: Any, so: Any, i0: int, i1: int, nb: int, dues: bool) -> bool:
    """Loans i0..i1 have no balance on any of the batch's paths and, with `dues`, owe nothing either: nothing
    overdue, no interest or fee due (so their debt service would move nothing and change no state)."""
    for i in range(i0, i1):
        principal, overdue = so[S.principal] + i, so[S.overdue] + i
        interest, fee = so[S.interest_due] + i, so[S.fee_due] + i
        for b in range(nb):
            if s[principal, b] != 0.0:
                return False
            if dues and (s[overdue, b] != 0.0 or s[interest, b] != 0.0 or s[fee, b] != 0.0):
                return False
    return True


@_jit.jit_small
def _instalment(k: Any, s: Any, so: Any, pr: int, t: int, i: int, b: int) -> float:
    """Loan i's scheduled principal in month t on path b (USD): its repayment profile's instalment, not what is
    overdue; the base it is figured on is fixed in its first repayment month (the balance then, not overdue)."""
    ki, kf, o = k.I, k.F, k.o
    j = t - int(s[so[S.ln_end] + i, b])  # repayment month, 1-based
    current = s[so[S.principal] + i, b] - s[so[S.overdue] + i, b]
    base = current if j == 1 else s[so[S.base] + i, b]
    share = kf[o[C.loans_sculpt_share] + i * k.n[D.MONTHS] + j] if 0 < j < k.n[D.MONTHS] else 0.0
    return scheduled_principal(ki[o[C.loans_repay] + i], base, rate(k, pr, t, i), ki[o[C.loans_repay_months] + i],
                               j, current, share)


@_jit.jit_small
def _reserve_need(k: Any, s: Any, so: Any, pr: int, t: int, i: int, months: int, b: int) -> float:
    """What loan i's debt-service reserve should hold this month (USD): `months` times its scheduled service
    (interest, fee, instalment), never more than it still owes once this month's service is paid, and nothing
    from its last instalment on (a bullet or final instalment is not service to reserve for)."""
    ki, o = k.I, k.o
    j = t - int(s[so[S.ln_end] + i, b])
    if j >= ki[o[C.loans_repay_months] + i]:
        return 0.0
    instalment = _instalment(k, s, so, pr, t, i, b)
    service = s[so[S.interest_due] + i, b] + s[so[S.fee_due] + i, b] + instalment
    owed = s[so[S.principal] + i, b] - instalment
    return min(months * service, max(owed, 0.0))


@_jit.jit
def _refinance(k: Any, s: Any, si: Any, so: Any, sio: Any, pp: int, pr0: int, nb: int, t: int, i: int,
               r: int) -> None:
    """Loan i's refinancing j repays what it can of the principal of i falling due this month (queue row r:
    ``q_due`` in full, ``q_amount`` as asked, ``q_carried`` the part overdue from earlier months), in a month
    an instalment of i falls due or from i's maturity on (not for interest in arrears alone before then):
    inside j's window, within its limit, j lends it (a modelled lender funds the draw through its own walk, so
    a lender rolling over its own loan needs the cash first) and it goes straight to i's lender, a need of the
    borrower's met at once. What is left is asked of the borrower as before, its carried part first."""
    ki, o = k.I, k.o
    j = ki[o[C.loans_refinanced_by] + i]
    lender, borrower = ki[o[C.loans_lender] + j], ki[o[C.loans_borrower] + i]
    draw_line, repay_line = ki[o[C.loans_draw_line] + j], ki[o[C.loans_principal_line] + i]
    due_r, qa, qc = so[S.q_due] + r, so[S.q_amount] + r, so[S.q_carried] + r
    want_r, reissued_r = so[S.v_want], so[S.v_reissued]
    amount, carried, out = so[S.v_amount], so[S.v_carried], so[S.v_out]
    outside = _outside(k, lender)
    n_repay = ki[o[C.loans_repay_months] + i]
    asked = False
    for b in range(nb):
        pr = pr0 + pp * b
        want = 0.0
        scheduled = s[due_r, b] - s[qc, b]  # this month's instalment; the rest was overdue
        if s[due_r, b] > EPS and (scheduled > EPS or t - s[so[S.ln_end] + i, b] >= n_repay) \
                and _loan_open(k, s, so, pr, t, j, b):
            debt = _project_debt(k, s, so, borrower, b) if _capped(k, j) else 0.0
            want = _loan_want(k, s, so, pr, j, borrower, s[due_r, b], 0.0, _rt(0), debt, b)
        s[want_r, b] = want if want > EPS else 0.0
        s[amount, b] = 0.0
        if outside or s[want_r, b] == 0.0:
            continue
        reissued = min(want, s[so[S.ln_reissue] + j, b])  # asked last month and not funded: not new
        s[so[S.ln_reissue] + j, b] -= reissued
        s[reissued_r, b] = reissued
        s[amount, b] = want
        s[carried, b] = reissued
        asked = True
    if asked:
        obligation(k, s, si, so, sio, pp, pr0, nb, t, lender, borrower, draw_line, _rt(0), _rt(_C_LOAN))
    for b in range(nb):
        want = s[want_r, b]
        if want == 0.0:
            continue
        if outside:
            got = want
            _flow(s, so, lender, borrower, draw_line, got, b)
            s[so[S.principal] + j, b] += got
        else:
            got = s[out, b]
            _lender_result(s, so, j, want, s[reissued_r, b], got, b)
        if got <= 0.0:
            continue
        _flow(s, so, borrower, ki[o[C.loans_lender] + i], repay_line, got, b)
        s[so[S.principal] + i, b] -= got
        months = ki[o[C.loans_reserve_months] + i]
        if months > 0:  # the instalment it paid is no service of the borrower's to reserve for
            target = so[S.reserve_target] + borrower
            s[target, b] = max(s[target, b] - months * min(got, s[due_r, b] - s[qc, b]), 0.0)
        left = s[due_r, b] - got
        late = min(s[qc, b], left)  # refinancing pays this month's instalment before what is overdue
        s[so[S.m_need] + borrower, b] += got  # a need of the borrower's, met by the refinancing
        s[so[S.m_carried] + borrower, b] += s[qc, b] - late
        s[due_r, b] = left
        s[qa, b] = left if left > EPS else 0.0
        s[qc, b] = late


@_jit.jit_small
def _capex_owner(k: Any, j: int) -> int:
    """Who pays capex item j (2h: phase h's facility, 2h + 1: its IT)."""
    ki, o = k.I, k.o
    return ki[o[C.phases_it_owner] + j // 2] if j % 2 else ki[o[C.phases_owner] + j // 2]


@_jit.jit
def _it_due(k: Any, pr: int, h: int, age: int) -> float:
    """Phase h's IT capex falling due `age` months after it energized, on schedule (USD): its IT capex over
    ``it_months`` from energization, and with a refresh every ``refresh_months``, each refresh's cost
    (``refresh_share`` of it) over ``it_months`` from then."""
    ki, kf, o = k.I, k.F, k.o
    n_it = ki[o[C.phases_it_months] + h]
    it_capex = k.PF[o[C.phases_it_capex_usd] + h, pr]
    if age < 0 or it_capex <= 0.0:
        return 0.0
    if age < n_it:
        return it_capex / n_it
    every = ki[o[C.phases_refresh_months] + h]
    if every > 0 and age >= every and age % every < n_it:
        return it_capex * kf[o[C.phases_refresh_share] + h] / n_it
    return 0.0


@_jit.jit
def _pay_capex_run(k: Any, s: Any, si: Any, so: Any, sio: Any, pp: int, pr0: int, nb: int, t: int, owner: int,
                   n: int, defer: bool, pro_rata: bool) -> None:
    """`owner` pays the n capex dues queued (their items in ``q_item``), in that order or (`pro_rata`) each
    the same share: book what each phase was paid, and what is left as its backlog under `defer`."""
    qa, qp = so[S.q_amount], so[S.q_paid]
    _pay_dues(k, s, si, so, sio, pp, pr0, nb, t, owner, n, _rt(1), _rt(_C_CAPEX), _rt(1 if pro_rata else 0))
    for r in range(n):
        j = si[sio[SI.q_item] + r, 0]
        h = j // 2
        funded = so[S.it_funded] + h if j % 2 else so[S.fac_funded] + h
        backlog = so[S.it_backlog] + h if j % 2 else so[S.fac_backlog] + h
        for b in range(nb):
            need = s[qa + r, b]
            if need > 0.0:
                paid = s[qp + r, b]
                s[funded, b] += paid
                s[so[S.capex_spent] + owner, b] += paid
                s[backlog, b] = need - paid if defer else 0.0
                s[so[S.m_capex_need] + h, b] += need
                s[so[S.m_capex_funded] + h, b] += paid
                s[so[S.sm_capex_funded] + h, b] += paid


@_jit.jit
def _capex(k: Any, s: Any, si: Any, so: Any, sio: Any, pp: int, pr0: int, nb: int, t: int, defer: bool,
           pro_rata: bool) -> None:
    """The month's capex, owner by owner (in the order of each owner's first phase): each phase's facility
    capex by its curve and IT capex over ``it_months`` from energization, each plus what was deferred, all an
    owner's dues in file order (facility before IT) paid as one obligation (``_pay_dues``): an owner short of
    money pays them in that order or (`pro_rata`, the scenario's ``capex_shortfall``) each the same share.
    Then, under ``gap_policy: defer``, the phases whose facility is paid are energized."""
    ki, kf, o = k.I, k.F, k.o
    width = k.n[D.CURVE]
    n_h = k.n[D.PHASES]
    qa, qc = so[S.q_amount], so[S.q_carried]
    for j0 in range(2 * n_h):  # item 2h: phase h's facility capex, 2h + 1: its IT capex
        owner = _capex_owner(k, j0)
        seen = False
        for j in range(j0):
            if _capex_owner(k, j) == owner:
                seen = True
                break
        if seen:  # paid with the owner's first item
            continue
        n = _rt(0)
        for j in range(j0, 2 * n_h):
            if _capex_owner(k, j) != owner:
                continue
            h = j // 2
            it = j % 2 == 1
            si[sio[SI.q_item] + n, 0] = j
            si[sio[SI.q_payee] + n, 0] = k.n[D.ENTITIES]
            si[sio[SI.q_line] + n, 0] = ki[o[C.phases_it_line] + h] if it else ki[o[C.phases_facility_line] + h]
            if not it:  # facility capex: by its curve, plus what was deferred
                months = ki[o[C.phases_months] + h]
                backlog = so[S.fac_backlog] + h
                start = ki[o[C.phases_start] + h]
                d_lo, d_hi = _span(k.PI, o[C.phases_delay_months] + h, pr0, pp, nb)
                if not start + d_lo <= t < start + d_hi + months and not (defer and _live(s, backlog, nb)):
                    continue  # outside its curve on every path, nothing deferred: nothing due
                for b in range(nb):
                    pr = pr0 + pp * b
                    idx = t - (ki[o[C.phases_start] + h] + k.PI[o[C.phases_delay_months] + h, pr])
                    fac = k.PF[o[C.phases_facility_capex_usd] + h, pr]
                    planned = fac * kf[o[C.phases_curve] + h * width + idx] if 0 <= idx < months else 0.0
                    s[qa + n, b] = planned + s[backlog, b]
                    s[qc + n, b] = s[backlog, b]
            else:  # IT capex and refreshes from energization (a phase energized this month starts next month)
                energized, backlog = sio[SI.energized] + h, so[S.it_backlog] + h
                e_lo, e_hi = _row_span(si, energized, nb)
                n_it, every = ki[o[C.phases_it_months] + h], ki[o[C.phases_refresh_months] + h]
                if not (t >= e_lo and (every > 0 or t - e_hi < n_it)) and not (defer and _live(s, backlog, nb)):
                    continue  # energized on no path, or past its purchase months on all (no refresh): none due
                for b in range(nb):
                    due = _it_due(k, pr0 + pp * b, h, t - si[energized, b])
                    s[qa + n, b] = due + s[backlog, b]
                    s[qc + n, b] = s[backlog, b]
            if _live(s, qa + n, nb):  # nothing due on any path (most items in most months): left out of the run
                n += 1
        _pay_capex_run(k, s, si, so, sio, pp, pr0, nb, t, owner, n, defer, pro_rata)
    if defer:  # energize the phases whose facility is paid (otherwise energization is as planned)
        for h in range(n_h):
            months = ki[o[C.phases_months] + h]
            lag = ki[o[C.phases_energization_lag] + h]
            fac_funded = so[S.fac_funded] + h
            energized = sio[SI.energized] + h
            for b in range(nb):
                if si[energized, b] != NEVER:  # energized already (most phases on most paths)
                    continue
                pr = pr0 + pp * b
                fac = k.PF[o[C.phases_facility_capex_usd] + h, pr]
                completion = ki[o[C.phases_start] + h] + k.PI[o[C.phases_delay_months] + h, pr] + months - 1
                if fac > 0.0 and t >= completion and s[fac_funded, b] >= fac * (1.0 - 1e-12) - EPS:
                    si[energized, b] = completion + 1 + lag + (t - completion)
                    _convert(k, s, si, so, sio, h, b)


@_jit.jit_small
def _operating_cash(k: Any, s: Any, so: Any, e: int, b: int) -> float:
    """Entity e's cash from operations so far on path b (USD): leases and offtake received and own income, less
    leases, offtake, own costs and operating costs paid (the ledger's running totals)."""
    ki, o = k.I, k.o
    total = 0.0
    for line in range(k.n[D.LINES]):
        kind = ki[o[C.lines_kind] + line]
        if ki[o[C.lines_payee] + line] == e and kind in (_K_LEASE, _K_OFFTAKE, _K_OWN_IN):
            total += s[so[S.line_total] + line, b]
        elif ki[o[C.lines_payer] + line] == e and kind in (_K_LEASE, _K_OFFTAKE, _K_OWN_OUT, _K_OPEX):
            total -= s[so[S.line_total] + line, b]
    return total


@_jit.jit
def _sweep(k: Any, s: Any, si: Any, so: Any, sio: Any, nb: int, t: int) -> None:
    """Cash sweeps at the month's end, loan by loan in file order, from the month after a loan's window: its
    share of the borrower's cash (all of it under a lock-up) prepays what is outstanding and not yet due."""
    ki, kf, o = k.I, k.F, k.o
    for i in range(k.n[D.LOANS]):
        sweep = kf[o[C.loans_sweep_share] + i]
        if sweep <= 0.0 and kf[o[C.loans_lockup_dscr] + i] != kf[o[C.loans_lockup_dscr] + i]:
            continue  # no sweep and no lock-up test
        e, lender = ki[o[C.loans_borrower] + i], ki[o[C.loans_lender] + i]
        line = ki[o[C.loans_principal_line] + i]
        principal, cash = so[S.principal] + i, so[S.cash] + e
        for b in range(nb):
            share = 1.0 if si[sio[SI.locked] + i, b] else sweep
            if share <= 0.0 or t <= s[so[S.ln_end] + i, b]:
                continue
            amount = min(share * max(s[cash, b] - s[so[S.reserve] + e, b] - s[so[S.held] + e, b], 0.0),
                         s[principal, b] - s[so[S.overdue] + i, b])
            if amount > EPS:  # a need of the borrower's, paid from the cash it has
                s[so[S.m_need] + e, b] += amount
                _flow(s, so, e, lender, line, amount, b)
                s[principal, b] -= amount
                s[so[S.swept] + i, b] += amount
                s[so[S.m_swept] + i, b] += amount


@_jit.jit_small
def _test_month(k: Any, t: int) -> bool:
    """Month t is a December of the horizon, when covenants are tested (``loans.first_december`` + 12k)."""
    first = k.I[k.o[C.loans_first_december]] if k.n[D.LOANS] > 0 else -1
    return first >= 0 and t >= first and (t - first) % 12 == 0


@_jit.jit
def _covenants(k: Any, s: Any, si: Any, so: Any, sio: Any, nb: int, t: int) -> None:
    """The covenant tests: each tested entity's cash from operations this calendar year, and in December each
    covenanted loan in a full year of repayment (its window ended by the December before) tested on
    DSCR = that cash / the debt service due this year on all the entity's loans: below `lockup_dscr`, cash
    is locked up (swept) for the next twelve months; below `default_dscr`, an event of default. Dated in the
    summary (first month, count) and, kept in full, per test (``cov_dscr``)."""
    ki, kf, o = k.I, k.F, k.o
    n_l = k.n[D.LOANS]
    december = _test_month(k, t)
    for e in range(k.n[D.ENTITIES]):
        if not ki[o[C.entities_tested] + e]:
            continue
        cf, mark, ds = so[S.cov_cf] + e, so[S.cov_mark] + e, so[S.cov_ds] + e
        for b in range(nb):
            s[cf, b] = _operating_cash(k, s, so, e, b) - s[mark, b]
        if not december:
            continue
        for i in range(n_l):
            lockup, default = kf[o[C.loans_lockup_dscr] + i], kf[o[C.loans_default_dscr] + i]
            if ki[o[C.loans_borrower] + i] != e or (lockup != lockup and default != default):
                continue
            for b in range(nb):
                s[so[S.cov_dscr] + i, b] = np.nan
                if t - 11 <= s[so[S.ln_end] + i, b] or s[ds, b] <= 0.0 or s[so[S.principal] + i, b] <= EPS:
                    si[sio[SI.locked] + i, b] = 0
                    continue  # not a full year of repayment, nothing due, or repaid: no test
                dscr = s[cf, b] / s[ds, b]
                s[so[S.cov_dscr] + i, b] = dscr
                locked = lockup == lockup and dscr < lockup
                si[sio[SI.locked] + i, b] = 1 if locked else 0
                if locked:
                    si[sio[SI.sm_lockups] + i, b] += 1
                    if si[sio[SI.sm_first_lockup] + i, b] < 0:
                        si[sio[SI.sm_first_lockup] + i, b] = t
                if default == default and dscr < default and si[sio[SI.sm_first_default] + i, b] < 0:
                    si[sio[SI.sm_first_default] + i, b] = t
        for b in range(nb):  # a new year
            s[mark, b] += s[cf, b]
            s[cf, b] = 0.0
            s[ds, b] = 0.0


@_jit.jit_small
def _convert(k: Any, s: Any, si: Any, so: Any, sio: Any, h: int, b: int) -> None:
    """Phase h's energization month is known on path b: the loans converting at it stop drawing the month
    before (their ``ln_end``, at their own end at the latest). Nothing for h < 0 or a phase not energized."""
    ki, o = k.I, k.o
    if h < 0 or si[sio[SI.energized] + h, b] == NEVER:
        return
    for i in range(k.n[D.LOANS]):
        if ki[o[C.loans_convert_phase] + i] == h:
            end = so[S.ln_end] + i
            s[end, b] = min(s[end, b], si[sio[SI.energized] + h, b] - 1)


@_jit.jit
def _start_batch(k: Any, s: Any, si: Any, so: Any, sio: Any, rs: Any, rso: Any, ri: Any, rio: Any, pp: int,
                 pr0: int, p0: int, nb: int, defer: bool) -> None:
    ki, o = k.I, k.o
    outside = k.n[D.ENTITIES]
    s[:] = 0.0
    si[:] = 0
    for b in range(nb):
        pr, p = pr0 + pp * b, p0 + b
        rs[p, :] = 0.0
        ri[p, :] = 0
        total = 0.0
        for e in range(outside):
            cash = k.PF[o[C.entities_opening_cash_usd] + e, pr]
            s[so[S.cash] + e, b] = cash
            total += cash
            s[so[S.sm_lowest_cash] + e, b] = cash
            si[sio[SI.sm_first_short] + e, b] = -1
        s[so[S.opening_total], b] = total
        for h in range(k.n[D.PHASES]):
            planned = ki[o[C.phases_start] + h] + k.PI[o[C.phases_delay_months] + h, pr] + \
                ki[o[C.phases_months] + h] + ki[o[C.phases_energization_lag] + h]
            fac = k.PF[o[C.phases_facility_capex_usd] + h, pr]
            si[sio[SI.energized] + h, b] = planned if (not defer or fac <= 0.0) else NEVER
        for i in range(k.n[D.LOANS]):
            s[so[S.ln_end] + i, b] = ki[o[C.loans_end] + i]
            si[sio[SI.sm_first_lockup] + i, b] = -1
            si[sio[SI.sm_first_default] + i, b] = -1
            _convert(k, s, si, so, sio, ki[o[C.loans_convert_phase] + i], b)


@_jit.jit
def _start_month(s: Any, so: Any, full: bool) -> None:
    # the month's rows, m_flow to m_gap, are contiguous; in a summary run, those before m_gap point at the sink
    # (``Layout.state_offsets``): nothing reads them
    lo = so[S.m_flow] if full else so[S.m_gap]
    s[lo:so[S.fr_amount]] = 0.0
    n_eq = so[S.eq_reissue] - so[S.eq_missed]
    n_ln = so[S.ln_reissue] - so[S.ln_missed]
    width = s.shape[1]
    for r in range(n_eq):
        for b in range(width):
            s[so[S.eq_reissue] + r, b] = s[so[S.eq_missed] + r, b]
    for r in range(n_ln):
        for b in range(width):
            s[so[S.ln_reissue] + r, b] = s[so[S.ln_missed] + r, b]


@_jit.jit_small
def _keep(dst: Any, d0: int, s: Any, s0: int, n: int, b: int) -> None:
    """Copy n state rows from s0 (column b) into a record row from d0."""
    for j in range(n):
        dst[d0 + j] = s[s0 + j, b]


@_jit.jit
def _close_month(k: Any, s: Any, si: Any, so: Any, sio: Any, rf: Any, rfo: Any, rs: Any, rso: Any, ri: Any,
                 rio: Any, pp: int, pr0: int, p0: int, nb: int, t: int, full: bool) -> None:
    n = k.n
    n_e, n_l, n_h = n[D.ENTITIES], n[D.LOANS], n[D.PHASES]
    n_q, n_lines = n[D.EQUITY], n[D.LINES]
    last = t == n[D.MONTHS] - 1
    for b in range(nb):
        p = p0 + b
        if full:
            row = rf[p, t]
            for dst, src, size in ((RF.cash_usd, S.cash, n_e + 1), (RF.principal_usd, S.principal, n_l),
                                   (RF.overdue_usd, S.overdue, n_l), (RF.capitalised_usd, S.m_capitalised, n_l),
                                   (RF.arrears_usd, S.m_arrears, n_l), (RF.need_usd, S.m_need, n_e),
                                   (RF.gap_usd, S.m_gap, n_e),
                                   (RF.new_gap_usd, S.m_new_gap, n_e), (RF.carried_usd, S.m_carried, n_e),
                                   (RF.gap_by_cause_usd, S.m_cause, n_e * _NC),
                                   (RF.capex_need_usd, S.m_capex_need, n_h),
                                   (RF.capex_funded_usd, S.m_capex_funded, n_h),
                                   (RF.equity_called_usd, S.m_called, n_q), (RF.equity_paid_usd, S.m_paid, n_q),
                                   (RF.equity_missed_usd, S.eq_missed, n_q), (RF.flows_usd, S.m_flow, n_lines),
                                   (RF.reserve_usd, S.reserve, n_e), (RF.swept_usd, S.m_swept, n_l),
                                   (RF.held_usd, S.held, n_e)):
                _keep(row, rfo[dst], s, so[src], size, b)
            december = _test_month(k, t)
            for i in range(n_l):  # the covenant test's DSCR in a December it was taken, else NaN
                lockup, default = k.F[k.o[C.loans_lockup_dscr] + i], k.F[k.o[C.loans_default_dscr] + i]
                tested = december and (lockup == lockup or default == default)
                row[rfo[RF.dscr_test] + i] = s[so[S.cov_dscr] + i, b] if tested else np.nan
            for h in range(n_h):  # of the IT in service (or, before energization, of the first purchase)
                age = max(t - si[sio[SI.energized] + h, b], 0)
                row[rfo[RF.it_funded_share] + h] = funded_share(k, pr0 + pp * b, h, age, s[so[S.it_funded] + h, b])
    # the summary's running figures: row by row over the batch's paths (contiguous in memory)
    tot, big, err = so[S.sm_total], so[S.sm_big], so[S.sm_err]
    for b in range(nb):
        s[tot, b] = 0.0
    for a in range(n_e + 1):
        cash = so[S.cash] + a
        for b in range(nb):
            s[tot, b] += s[cash, b]
            s[big, b] = max(s[big, b], abs(s[cash, b]))
    opening = so[S.opening_total]
    for b in range(nb):
        s[err, b] = max(s[err, b], abs(s[tot, b] - s[opening, b]))
    for e in range(n_e):
        gap, cash = so[S.m_gap] + e, so[S.cash] + e
        largest, lowest = so[S.sm_largest_gap] + e, so[S.sm_lowest_cash] + e
        first, months = sio[SI.sm_first_short] + e, sio[SI.sm_months_short] + e
        for b in range(nb):
            if s[gap, b] > SHORTFALL_USD:
                if si[first, b] < 0:
                    si[first, b] = t
                si[months, b] += 1
            s[largest, b] = max(s[largest, b], s[gap, b])
            s[lowest, b] = min(s[lowest, b], s[cash, b])
    for i in range(n_l):
        top, principal = so[S.sm_max_principal] + i, so[S.principal] + i
        for b in range(nb):
            s[top, b] = max(s[top, b], s[principal, b])
    if not last:
        return
    for b in range(nb):
        p = p0 + b
        r = rs[p]
        for dst, src, size in ((RS.final_cash_usd, S.cash, n_e + 1), (RS.final_principal_usd, S.principal, n_l),
                               (RS.final_overdue_usd, S.overdue, n_l), (RS.final_missed_usd, S.eq_missed, n_q),
                               (RS.secured_usd, S.secured, n_q + n_l), (RS.line_total_usd, S.line_total, n_lines),
                               (RS.moved_usd, S.moved, 1), (RS.new_gap_total_usd, S.new_gap_total, n_e),
                               (RS.new_gap_by_cause_usd, S.new_cause_total, n_e * _NC),
                               (RS.largest_balance_usd, S.sm_big, 1), (RS.conservation_error_usd, S.sm_err, 1),
                               (RS.largest_gap_usd, S.sm_largest_gap, n_e), (RS.final_gap_usd, S.m_gap, n_e),
                               (RS.lowest_cash_usd, S.sm_lowest_cash, n_e),
                               (RS.capex_funded_total_usd, S.sm_capex_funded, n_h),
                               (RS.max_principal_usd, S.sm_max_principal, n_l),
                               (RS.capitalised_total_usd, S.sm_capitalised, n_l),
                               (RS.arrears_total_usd, S.sm_arrears, n_l),
                               (RS.equity_called_total_usd, S.sm_called, n_q),
                               (RS.equity_paid_total_usd, S.sm_paid, n_q), (RS.swept_total_usd, S.swept, n_l)):
            _keep(r, rso[dst], s, so[src], size, b)
        for h in range(n_h):
            ri[p, rio[RI.energized] + h] = si[sio[SI.energized] + h, b]
        for e in range(n_e):
            ri[p, rio[RI.first_short] + e] = si[sio[SI.sm_first_short] + e, b]
            ri[p, rio[RI.months_short] + e] = si[sio[SI.sm_months_short] + e, b]
        for i in range(n_l):
            ri[p, rio[RI.window_end] + i] = int(s[so[S.ln_end] + i, b])
            ri[p, rio[RI.first_lockup] + i] = si[sio[SI.sm_first_lockup] + i, b]
            ri[p, rio[RI.first_default] + i] = si[sio[SI.sm_first_default] + i, b]
            ri[p, rio[RI.lockups] + i] = si[sio[SI.sm_lockups] + i, b]


@_jit.jit_small
def run_batch(k: Any, s: Any, si: Any, so: Any, sio: Any, rf: Any, rfo: Any, rs: Any, rso: Any, ri: Any, rio: Any,
              pp: int, pr0: int, p0: int, nb: int, full: bool, defer: bool, pro_rata: bool) -> None:
    """Simulate the nb paths of a batch over every month into record rows p0..p0 + nb (their per-path plan
    values start at pr0 when pp is 1; with pp 0 every path reads the one value). Inlined into ``run_chunk`` by
    numba: compiled as a function of its own, the whole kernel was optimized and compiled to machine code once
    more (5 s)."""
    _start_batch(k, s, si, so, sio, rs, rso, ri, rio, pp, pr0, p0, nb, defer)
    for t in range(k.n[D.MONTHS]):
        _start_month(s, so, full)
        _secure(k, s, so, pp, pr0, nb, t)
        _hold(k, s, so, pp, pr0, nb, t)
        _accrue_and_open(k, s, si, so, sio, pp, pr0, nb, t)
        _own_cash_flows(k, s, si, so, sio, pp, pr0, nb, t)
        _contracts(k, s, si, so, sio, pp, pr0, nb, t)
        _debt_service(k, s, si, so, sio, pp, pr0, nb, t)
        _capex(k, s, si, so, sio, pp, pr0, nb, t, defer, pro_rata)
        _sweep(k, s, si, so, sio, nb, t)
        _covenants(k, s, si, so, sio, nb, t)
        _close_month(k, s, si, so, sio, rf, rfo, rs, rso, ri, rio, pp, pr0, p0, nb, t, full)


@numba.njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def run_chunk(k: Any, state: Any, state_int: Any, so: Any, sio: Any, rf: Any, rfo: Any, rs: Any, rso: Any,
              ri: Any, rio: Any, lo: int, hi: int, k_lo: int, full: bool, defer: bool, pro_rata: bool) -> None:
    """Simulate record rows lo..hi in batches of as many paths as the state has columns (the plan's per-path
    values start at record row k_lo)."""
    pp = 1 if (k.PF.shape[1] > 1 or k.PI.shape[1] > 1) else 0
    width = state.shape[1]
    for p0 in range(lo, hi, width):
        nb = min(width, hi - p0)
        run_batch(k, state, state_int, so, sio, rf, rfo, rs, rso, ri, rio, pp, (p0 - k_lo) * pp, p0, nb, full,
                  defer, pro_rata)
