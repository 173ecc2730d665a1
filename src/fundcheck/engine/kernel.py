"""The month kernel: one path, month by month, over the Plan's tables and a state of fixed-size arrays.

Written once for one path, compiled with numba and run in parallel over paths (``run_chunk``). Nothing in
here is a Python object, dict or string: the Plan arrives as ``tables.KernelPlan`` (every column flattened),
the state as ``State`` and what is kept as ``Record`` (both namedtuples of arrays with a leading path axis).

Each month, in this order (the order is the seniority of claims on an entity's cash):

1. commitments opening this month are measured against their provider's liquidity (*secured*);
   loans accrue interest on their opening balance: inside the window with ``capitalise`` it is added to
   principal as far as the limit allows, the rest is due in cash; upfront fees are capitalised in the first
   month (within the limit); bonds draw their limit; upfront equity is paid (after the draws, so money
   borrowed this month can pay it);
2. each entity's own cash flow arrives (or, if negative, is a need);
3. contracts bill from what is online at the start of the month;
4. debt service: interest due, commitment fees, then principal: what is overdue from earlier months plus the
   repayment profile's instalment. Unpaid interest and principal stay overdue and are due again next month;
5. capex, phase by phase in file order: facility capex by its curve plus what was deferred, then IT capex
   over ``it_months`` from energization (plus what was deferred).

**Funding.** ``obligation`` is the one way a modelled entity pays. It records the need, walks the payer's
funding order (own cash; equity called pro rata from the group's investors; loans up to limit and
loan-to-cost; money it can raise), pays what it found and records the rest as the payer's gap. An investor
answering a call, or a modelled lender funding a draw, pays through ``obligation`` in turn: the funding graph
is walked with an explicit stack of frames (no recursion; the loader rejects loops, so depth <= entities).

**Gap.** For each entity and month: ``gap`` is what it could not pay; ``carried`` what came back from earlier
months (deferred capex, overdue principal and interest, re-issued equity calls); ``new_gap`` the part of the
gap that fell due this month for the first time (payments go to the oldest dues first), so new gaps add up
over months without counting a carried dollar twice.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import numba
import numpy as np

from fundcheck.engine.instruments import _jit
from fundcheck.engine.instruments.contract import bill
from fundcheck.engine.instruments.equity import call_shares
from fundcheck.engine.instruments.loan import rate, room
from fundcheck.engine.instruments.repayment import scheduled_principal
from fundcheck.engine.tables import CAUSE_NAMES, NEVER, Cause, Col, Dim, KernelPlan, Kind, Step

__all__ = ["EPS", "FULL_FIELDS", "NEVER", "SHORTFALL_USD", "SUMMARY_FIELDS", "SUMMARY_INT_FIELDS", "Layout",
           "layout", "run_chunk"]

EPS = 1e-6  # USD: below this a remaining need counts as met
SHORTFALL_USD = 1.0  # a monthly gap below a dollar is rounding, not a shortfall

_CASH, _EQUITY, _LOAN = int(Step.CASH), int(Step.EQUITY), int(Step.LOAN)
_C_CAPEX, _C_DEBT, _C_CONTRACT = int(Cause.CAPEX), int(Cause.DEBT_SERVICE), int(Cause.CONTRACT)
_C_OPERATIONS, _K_OPEX = int(Cause.OPERATIONS), int(Kind.OPEX)
_C_OWN, _C_EQUITY, _C_LOAN = int(Cause.OWN_COSTS), int(Cause.EQUITY_CALL), int(Cause.LOAN_FUNDING)
_NC = len(CAUSE_NAMES)
_W_NONE, _W_EQUITY, _W_LOAN = 0, 1, 2

# Every array the kernel keeps is a block of a flat row per path, at an offset found by an enum member.
# Sizes are dimension names: accounts (entities + the outside world), entities, loans, phases, equity,
# lines, causes, commitments (equity then loans), depth (funding frames), group (largest equity group).

# state carried from month to month: floats, then ints
STATE_FIELDS = {
    "cash": "accounts", "principal": "loans", "overdue": "loans", "base": "loans", "interest_due": "loans",
    "raised": "entities", "capex_spent": "entities", "eq_paid": "equity", "eq_missed": "equity",
    "eq_reissue": "equity", "ln_missed": "loans", "ln_reissue": "loans", "fac_funded": "phases",
    "fac_backlog": "phases", "it_funded": "phases",
    "it_backlog": "phases", "secured": "commitments", "line_total": "lines", "moved": "one",
    "new_gap_total": "entities", "new_cause_total": "entities x causes", "m_flow": "lines", "m_need": "entities",
    "m_gap": "entities",
    "m_new_gap": "entities", "m_carried": "entities", "m_cause": "entities x causes",
    "m_capitalised": "loans", "m_arrears": "loans", "m_called": "equity",
    "m_paid": "equity", "m_capex_need": "phases", "m_capex_funded": "phases", "fr_amount": "depth",
    "fr_covered": "depth", "fr_got": "depth", "fr_carried": "depth", "fr_aux": "depth", "fr_calls": "depth x group",
}
STATE_INT_FIELDS = {
    "energized": "phases", "fr_payer": "depth", "fr_payee": "depth", "fr_line": "depth", "fr_step": "depth",
    "fr_sub": "depth", "fr_wait": "depth", "fr_cause": "depth", "fr_capex": "depth",
}
# full record: per path and month, month-major within a path
FULL_FIELDS = {
    "cash_usd": "accounts", "principal_usd": "loans", "overdue_usd": "loans", "capitalised_usd": "loans",
    "arrears_usd": "loans", "need_usd": "entities", "gap_usd": "entities", "new_gap_usd": "entities",
    "carried_usd": "entities", "gap_by_cause_usd": "entities x causes", "capex_need_usd": "phases",
    "capex_funded_usd": "phases", "it_funded_share": "phases", "equity_called_usd": "equity",
    "equity_paid_usd": "equity", "equity_missed_usd": "equity", "flows_usd": "lines",
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
    "moved_usd": "one",
}
SUMMARY_INT_FIELDS = {"energized": "phases", "first_short": "entities", "months_short": "entities"}

S = IntEnum("S", list(STATE_FIELDS), start=0)
SI = IntEnum("SI", list(STATE_INT_FIELDS), start=0)
RF = IntEnum("RF", list(FULL_FIELDS), start=0)
RS = IntEnum("RS", list(SUMMARY_FIELDS), start=0)
RI = IntEnum("RI", list(SUMMARY_INT_FIELDS), start=0)


def dims(k: KernelPlan) -> dict[str, int]:
    """Size of each dimension name used in the field tables."""
    n = k.n
    e, ln, q = int(n[Dim.ENTITIES]), int(n[Dim.LOANS]), int(n[Dim.EQUITY])
    return {"accounts": e + 1, "entities": e, "loans": ln, "phases": int(n[Dim.PHASES]), "equity": q,
            "lines": int(n[Dim.LINES]), "causes": _NC, "commitments": q + ln, "depth": e + 2,
            "group": int(n[Dim.GROUP]), "one": 1}


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

    def block(self, group: str, name: str, array: np.ndarray) -> np.ndarray:
        """One field of a record array (paths [x months] x width) in its own shape."""
        names = list(self.shapes[group])
        i = names.index(name)
        lo = int(self.offsets[group][i])
        shape = self.shapes[group][name]
        return array[..., lo:lo + int(np.prod(shape))].reshape(*array.shape[:-1], *shape)


def layout(k: KernelPlan) -> Layout:
    """The layout of state and record for a flattened plan."""
    return Layout(k)


# --- money movement ----------------------------------------------------------------------------------------

@_jit.jit_small
def _flow(s: Any, so: Any, payer: int, payee: int, line: int, amount: float) -> None:
    if amount != 0.0:
        s[so[S.cash] + payer] -= amount
        s[so[S.cash] + payee] += amount
        s[so[S.m_flow] + line] += amount
        s[so[S.line_total] + line] += amount
        s[so[S.moved]] += abs(amount)


@_jit.jit_small
def _project_debt(k: Any, s: Any, so: Any, borrower: int) -> float:
    """The borrower's principal over all its facilities but credit lines: the debt loan-to-cost caps (USD)."""
    ki, o = k.I, k.o
    debt = 0.0
    for j in range(k.n[Dim.LOANS]):
        if ki[o[Col.loans_borrower] + j] == borrower and not ki[o[Col.loans_credit_line] + j]:
            debt += s[so[S.principal] + j]
    return debt


@_jit.jit_small
def _copy(dst: Any, d0: int, src: Any, s0: int, n: int) -> None:
    for j in range(n):
        dst[d0 + j] = src[s0 + j]


@_jit.jit_small
def _outside(k: Any, account: int) -> bool:
    e = k.n[Dim.ENTITIES]
    return account == e or k.I[k.o[Col.entities_outside] + account] != 0


@_jit.jit_small
def _push(s: Any, si: Any, so: Any, sio: Any, d: int, payer: int, payee: int, line: int, amount: float,
          capex: bool, cause: int, carried: float) -> int:
    """Open a funding frame at depth d for payer's need; returns the new depth."""
    si[sio[SI.fr_payer] + d] = payer
    si[sio[SI.fr_payee] + d] = payee
    si[sio[SI.fr_line] + d] = line
    si[sio[SI.fr_capex] + d] = 1 if capex else 0
    si[sio[SI.fr_cause] + d] = cause
    si[sio[SI.fr_step] + d] = 0
    si[sio[SI.fr_sub] + d] = -1
    si[sio[SI.fr_wait] + d] = _W_NONE
    s[so[S.fr_amount] + d] = amount
    s[so[S.fr_carried] + d] = carried
    s[so[S.fr_covered] + d] = 0.0
    s[so[S.fr_got] + d] = 0.0
    s[so[S.m_need] + payer] += amount
    s[so[S.m_carried] + payer] += carried
    return d + 1


@_jit.jit_small
def _equity_result(s: Any, so: Any, q: int, call: float, reissued: float, paid: float) -> None:
    """Book an investor's answer to a call: paid, and what stays missed (a re-issued call counted once)."""
    s[so[S.eq_paid] + q] += paid
    s[so[S.m_paid] + q] += paid
    m = so[S.eq_missed] + q
    s[m] = max(s[m] + (call - reissued) - paid, 0.0)


@_jit.jit_small
def _loan_open(k: Any, pr: int, t: int, i: int) -> bool:
    """Loan i can be drawn as needed in month t: inside its window, not a bond, its lender not in default."""
    ki, o = k.I, k.o
    return (ki[o[Col.loans_start] + i] <= t <= ki[o[Col.loans_end] + i] and not ki[o[Col.loans_upfront] + i]
            and t < k.PI[pr, o[Col.loans_default_month] + i])


@_jit.jit_small
def _loan_want(k: Any, s: Any, so: Any, pr: int, i: int, e: int, rem: float, covered: float,
               for_capex: bool) -> float:
    """What borrower e draws on loan i towards `rem`: within the limit and loan-to-cost (USD)."""
    o = k.o
    ltc = k.F[o[Col.loans_max_ltc] + i]
    debt = _project_debt(k, s, so, e) if ltc == ltc else 0.0
    cost = s[so[S.capex_spent] + e] + (covered if for_capex else 0.0)
    return min(rem, room(k.PF[pr, o[Col.loans_limit_usd] + i], s[so[S.principal] + i], ltc, debt, cost, for_capex))


@_jit.jit_small
def _raise_money(k: Any, s: Any, so: Any, pr: int, t: int, e: int, rem: float) -> float:
    """New money e raises towards `rem`, within what it can still raise (USD, moved into its cash)."""
    ki, o = k.I, k.o
    if t < ki[o[Col.entities_raise_start] + e]:
        return 0.0
    raised = so[S.raised] + e
    got = min(rem, max(k.PF[pr, o[Col.entities_raise_limit_usd] + e] - s[raised], 0.0))
    s[raised] += got
    _flow(s, so, k.n[Dim.ENTITIES], e, ki[o[Col.entities_raise_line] + e], got)
    return got


@_jit.jit_small
def _settle(s: Any, so: Any, e: int, payee: int, line: int, amount: float, covered: float, cause: int,
            carried: float) -> float:
    """Pay what was covered of e's need and record the rest as its gap (new unless carried); returns paid."""
    paid = min(covered, amount)
    _flow(s, so, e, payee, line, paid)
    unpaid = amount - paid
    if unpaid > 0.0:
        new = max(unpaid - carried, 0.0)  # a carried dollar unpaid again is not new
        s[so[S.m_gap] + e] += unpaid
        s[so[S.m_cause] + e * _NC + cause] += unpaid
        s[so[S.m_new_gap] + e] += new
        s[so[S.new_gap_total] + e] += new
        s[so[S.new_cause_total] + e * _NC + cause] += new
    return paid


@_jit.jit_small
def _open_call(s: Any, so: Any, q: int, call: float) -> float:
    """Book a call of `call` USD on commitment q (a re-issued call counted once); returns the re-issued part."""
    reissued = min(call, s[so[S.eq_reissue] + q])
    s[so[S.eq_reissue] + q] -= reissued
    s[so[S.m_called] + q] += call - reissued
    return reissued


@_jit.jit_small
def _lender_result(s: Any, so: Any, i: int, want: float, reissued: float, got: float) -> None:
    """Book a modelled lender's answer to a draw request on loan i: what it left unfunded stays outstanding,
    and a request it sees again next month is not new."""
    s[so[S.principal] + i] += got
    missed = so[S.ln_missed] + i
    s[missed] = max(s[missed] + (want - reissued) - got, 0.0)


@_jit.jit
def _walk_flat(k: Any, s: Any, so: Any, pr: int, t: int, e: int, payee: int, line: int, amount: float,
               capex: bool, cause: int, carried: float) -> float:
    """The funding walk of an entity whose sources ask no modelled entity to pay (depth 1): its steps in order.
    Returns what was paid. Its equity calls use the first frame's scratch."""
    ki, o = k.I, k.o
    s[so[S.m_need] + e] += amount
    s[so[S.m_carried] + e] += carried
    covered = 0.0
    first = ki[o[Col.entities_fund_first] + e]
    calls = so[S.fr_calls]
    for row in range(first, first + ki[o[Col.entities_fund_count] + e]):
        rem = amount - covered
        if rem <= EPS:
            break
        step = ki[o[Col.funding_step] + row]
        if step == _CASH:
            covered += min(max(s[so[S.cash] + e] - covered, 0.0), rem)
        elif step == _EQUITY:
            slot, count = ki[o[Col.funding_slot] + row], ki[o[Col.funding_count] + row]
            call_shares(k, pr, t, slot, count, rem, s[so[S.eq_paid]:], s[calls:])
            for j in range(count):
                call = s[calls + j]
                if call <= EPS:
                    continue
                q = ki[o[Col.members_equity] + slot + j]
                reissued = _open_call(s, so, q, call)
                paid = 0.0
                if t < k.PI[pr, o[Col.equity_default_month] + q]:  # its investor is the outside world
                    paid = call
                    _flow(s, so, ki[o[Col.equity_investor] + q], e, ki[o[Col.equity_line] + q], call)
                _equity_result(s, so, q, call, reissued, paid)
                covered += paid
        elif step == _LOAN:
            i = ki[o[Col.funding_slot] + row]
            if _loan_open(k, pr, t, i):
                want = _loan_want(k, s, so, pr, i, e, rem, covered, capex)
                if want > EPS:  # its lender is the outside world
                    _flow(s, so, ki[o[Col.loans_lender] + i], e, ki[o[Col.loans_draw_line] + i], want)
                    s[so[S.principal] + i] += want
                    covered += want
        else:
            covered += _raise_money(k, s, so, pr, t, e, rem)
    return _settle(s, so, e, payee, line, amount, covered, cause, carried)


@_jit.jit
def _walk_two(k: Any, s: Any, so: Any, pr: int, t: int, e: int, payee: int, line: int, amount: float,
              capex: bool, cause: int, carried: float) -> float:
    """The funding walk of an entity whose modelled investors and lenders have depth-1 walks (depth 2): its
    steps in order, each modelled payer walking its own sources (`_walk_flat`). Returns what was paid. Its
    equity calls use the second frame's scratch (the first is its payers')."""
    ki, o = k.I, k.o
    s[so[S.m_need] + e] += amount
    s[so[S.m_carried] + e] += carried
    covered = 0.0
    first = ki[o[Col.entities_fund_first] + e]
    calls = so[S.fr_calls] + k.n[Dim.GROUP]
    for row in range(first, first + ki[o[Col.entities_fund_count] + e]):
        rem = amount - covered
        if rem <= EPS:
            break
        step = ki[o[Col.funding_step] + row]
        if step == _CASH:
            covered += min(max(s[so[S.cash] + e] - covered, 0.0), rem)
        elif step == _EQUITY:
            slot, count = ki[o[Col.funding_slot] + row], ki[o[Col.funding_count] + row]
            call_shares(k, pr, t, slot, count, rem, s[so[S.eq_paid]:], s[calls:])
            for j in range(count):
                call = s[calls + j]
                if call <= EPS:
                    continue
                q = ki[o[Col.members_equity] + slot + j]
                reissued = _open_call(s, so, q, call)
                investor, eq_line = ki[o[Col.equity_investor] + q], ki[o[Col.equity_line] + q]
                paid = 0.0
                if t >= k.PI[pr, o[Col.equity_default_month] + q]:  # the investor has defaulted
                    paid = 0.0
                elif _outside(k, investor):
                    paid = call
                    _flow(s, so, investor, e, eq_line, call)
                else:
                    paid = _walk_flat(k, s, so, pr, t, investor, e, eq_line, call, False, _C_EQUITY, reissued)
                _equity_result(s, so, q, call, reissued, paid)
                covered += paid
        elif step == _LOAN:
            i = ki[o[Col.funding_slot] + row]
            if _loan_open(k, pr, t, i):
                want = _loan_want(k, s, so, pr, i, e, rem, covered, capex)
                if want > EPS:
                    lender, draw_line = ki[o[Col.loans_lender] + i], ki[o[Col.loans_draw_line] + i]
                    if _outside(k, lender):
                        _flow(s, so, lender, e, draw_line, want)
                        s[so[S.principal] + i] += want
                        covered += want
                    else:
                        reissued = min(want, s[so[S.ln_reissue] + i])
                        s[so[S.ln_reissue] + i] -= reissued
                        got = _walk_flat(k, s, so, pr, t, lender, e, draw_line, want, False, _C_LOAN, reissued)
                        _lender_result(s, so, i, want, reissued, got)
                        covered += got
        else:
            covered += _raise_money(k, s, so, pr, t, e, rem)
    return _settle(s, so, e, payee, line, amount, covered, cause, carried)


@_jit.jit_small
def obligation(k: Any, s: Any, si: Any, so: Any, sio: Any, pr: int, t: int, payer: int, payee: int, line: int,
               amount: float, capex: bool, cause: int, carried: float) -> float:
    """`payer` must pay `amount` (USD) to `payee` on ledger `line`: fund it, pay what was found, record the
    rest as the payer's gap (of `cause`; `carried` of it came back from earlier months). Returns what was paid.

    Inlined where it is called. The payer's funding depth (set when the plan is compiled) picks the walk:
    1 (no modelled entity is asked to pay) and 2 (those asked have depth 1) walk the steps directly; deeper
    funding graphs use the general walk on an explicit stack of frames, `_walk_nested`. All three give the
    same numbers (tested)."""
    if amount <= EPS:
        return 0.0
    if _outside(k, payer):
        _flow(s, so, payer, payee, line, amount)
        return amount
    ki, o = k.I, k.o
    first_step = ki[o[Col.entities_fund_first] + payer]
    if ki[o[Col.entities_fund_count] + payer] > 0 and ki[o[Col.funding_step] + first_step] == _CASH \
            and s[so[S.cash] + payer] >= amount:  # the common case: paid from free cash, no funding walk
        s[so[S.m_need] + payer] += amount
        s[so[S.m_carried] + payer] += carried
        _flow(s, so, payer, payee, line, amount)
        return amount
    depth = ki[o[Col.entities_fund_depth] + payer]
    if depth == 1:
        return _walk_flat(k, s, so, pr, t, payer, payee, line, amount, capex, cause, carried)
    if depth == 2:
        return _walk_two(k, s, so, pr, t, payer, payee, line, amount, capex, cause, carried)
    return _walk_nested(k, s, si, so, sio, pr, t, payer, payee, line, amount, capex, cause, carried)


@_jit.jit
def _walk_nested(k: Any, s: Any, si: Any, so: Any, sio: Any, pr: int, t: int, payer: int, payee: int, line: int,
                 amount: float, capex: bool, cause: int, carried: float) -> float:
    """The funding walk with nested obligations (investors and lenders that are modelled entities), on an
    explicit stack of frames. Returns what was paid."""
    ki, o = k.I, k.o
    group = k.n[Dim.GROUP]
    d = _push(s, si, so, sio, 0, payer, payee, line, amount, capex, cause, carried)
    result = 0.0
    while d > 0:
        f = d - 1
        e = si[sio[SI.fr_payer] + f]
        i_step, i_sub, i_wait = sio[SI.fr_step] + f, sio[SI.fr_sub] + f, sio[SI.fr_wait] + f
        i_cov, i_got = so[S.fr_covered] + f, so[S.fr_got] + f
        calls = so[S.fr_calls] + f * group
        row = ki[o[Col.entities_fund_first] + e] + si[i_step]
        wait = si[i_wait]
        if wait == _W_EQUITY:  # an investor answered a call of this group
            si[i_wait] = _W_NONE
            j = si[i_sub]
            q = ki[o[Col.members_equity] + ki[o[Col.funding_slot] + row] + j]
            _equity_result(s, so, q, s[calls + j], s[so[S.fr_aux] + f], result)
            s[i_got] += result
            si[i_sub] = j + 1
        elif wait == _W_LOAN:  # a lender funded a draw
            si[i_wait] = _W_NONE
            i = ki[o[Col.funding_slot] + row]
            if _outside(k, ki[o[Col.loans_lender] + i]):
                s[so[S.principal] + i] += result
            else:
                _lender_result(s, so, i, s[i_got], s[so[S.fr_aux] + f], result)
            s[i_cov] += result
            si[i_step] += 1
            row += 1
        if si[i_sub] >= 0:  # calling an equity group, member by member
            first, count, j = ki[o[Col.funding_slot] + row], ki[o[Col.funding_count] + row], si[i_sub]
            if j < count:
                call = s[calls + j]
                if call <= EPS:
                    si[i_sub] = j + 1
                    continue
                q = ki[o[Col.members_equity] + first + j]
                reissued = _open_call(s, so, q, call)
                s[so[S.fr_aux] + f] = reissued
                si[i_wait] = _W_EQUITY
                investor = ki[o[Col.equity_investor] + q]
                eq_line = ki[o[Col.equity_line] + q]
                if t >= k.PI[pr, o[Col.equity_default_month] + q]:  # the investor has defaulted: it pays nothing
                    result = 0.0
                elif _outside(k, investor):
                    _flow(s, so, investor, e, eq_line, call)
                    result = call
                else:
                    d = _push(s, si, so, sio, d, investor, e, eq_line, call, False, _C_EQUITY, reissued)
                continue
            s[i_cov] += s[i_got]
            si[i_sub] = -1
            si[i_step] += 1
            continue
        amount_f = s[so[S.fr_amount] + f]
        covered = s[i_cov]
        rem = amount_f - covered
        if rem <= EPS or si[i_step] >= ki[o[Col.entities_fund_count] + e]:  # done: pay, record the gap, return
            result = _settle(s, so, e, si[sio[SI.fr_payee] + f], si[sio[SI.fr_line] + f], amount_f, covered,
                             si[sio[SI.fr_cause] + f], s[so[S.fr_carried] + f])
            d -= 1
            continue
        step = ki[o[Col.funding_step] + row]
        if step == _CASH:
            s[i_cov] += min(max(s[so[S.cash] + e] - covered, 0.0), rem)
            si[i_step] += 1
        elif step == _EQUITY:
            call_shares(k, pr, t, ki[o[Col.funding_slot] + row], ki[o[Col.funding_count] + row], rem,
                        s[so[S.eq_paid]:], s[calls:])
            s[i_got] = 0.0
            si[i_sub] = 0
        elif step == _LOAN:
            i = ki[o[Col.funding_slot] + row]
            if not _loan_open(k, pr, t, i):
                si[i_step] += 1
                continue
            want = _loan_want(k, s, so, pr, i, e, rem, covered, si[sio[SI.fr_capex] + f] != 0)
            if want <= EPS:
                si[i_step] += 1
                continue
            lender = ki[o[Col.loans_lender] + i]
            draw_line = ki[o[Col.loans_draw_line] + i]
            si[i_wait] = _W_LOAN
            if _outside(k, lender):
                _flow(s, so, lender, e, draw_line, want)
                result = want
            else:
                reissued = min(want, s[so[S.ln_reissue] + i])
                s[so[S.ln_reissue] + i] -= reissued
                s[i_got] = want
                s[so[S.fr_aux] + f] = reissued
                d = _push(s, si, so, sio, d, lender, e, draw_line, want, False, _C_LOAN, reissued)
        else:  # raise
            s[i_cov] += _raise_money(k, s, so, pr, t, e, rem)
            si[i_step] += 1
    return result


# --- the month's steps ------------------------------------------------------------------------------------

@_jit.jit
def _liquidity(k: Any, s: Any, so: Any, pr: int, t: int, e: int) -> float:
    """What e could pay now: cash, undrawn loans open to it (before loan-to-cost), money it can raise (USD)."""
    ki, o = k.I, k.o
    out = max(s[so[S.cash] + e], 0.0)
    for i in range(k.n[Dim.LOANS]):
        if ki[o[Col.loans_borrower] + i] == e and ki[o[Col.loans_start] + i] <= t <= ki[o[Col.loans_end] + i]:
            out += max(k.PF[pr, o[Col.loans_limit_usd] + i] - s[so[S.principal] + i], 0.0)
    if t >= ki[o[Col.entities_raise_start] + e]:
        out += max(k.PF[pr, o[Col.entities_raise_limit_usd] + e] - s[so[S.raised] + e], 0.0)
    return out


@_jit.jit
def _secure(k: Any, s: Any, so: Any, pr: int, t: int) -> None:
    """Commitments opening this month: the share of each that its provider's liquidity covers now."""
    ki, o = k.I, k.o
    n_eq, n_ln = k.n[Dim.EQUITY], k.n[Dim.LOANS]
    for slot in range(n_eq + n_ln):
        if slot < n_eq:
            if ki[o[Col.equity_start] + slot] != t:
                continue
            provider, face = ki[o[Col.equity_investor] + slot], k.PF[pr, o[Col.equity_amount_usd] + slot]
        else:
            i = slot - n_eq
            if ki[o[Col.loans_start] + i] != t:
                continue
            provider, face = ki[o[Col.loans_lender] + i], k.PF[pr, o[Col.loans_limit_usd] + i]
        if _outside(k, provider):
            s[so[S.secured] + slot] = face
            continue
        open_total = 0.0
        for q in range(n_eq):
            if ki[o[Col.equity_investor] + q] == provider and ki[o[Col.equity_start] + q] <= t:
                open_total += max(k.PF[pr, o[Col.equity_amount_usd] + q] - s[so[S.eq_paid] + q], 0.0)
        for i in range(n_ln):
            if ki[o[Col.loans_lender] + i] == provider and ki[o[Col.loans_start] + i] <= t:
                open_total += max(k.PF[pr, o[Col.loans_limit_usd] + i] - s[so[S.principal] + i], 0.0)
        cover = 1.0
        if open_total > 0.0:
            cover = min(1.0, _liquidity(k, s, so, pr, t, provider) / open_total)
        s[so[S.secured] + slot] = face * cover


@_jit.jit_small
def _capitalise(k: Any, s: Any, so: Any, i: int, amount: float) -> None:
    s[so[S.principal] + i] += amount
    s[so[S.m_capitalised] + i] += amount
    s[so[S.capex_spent] + k.I[k.o[Col.loans_borrower] + i]] += amount


@_jit.jit
def _accrue_and_open(k: Any, s: Any, si: Any, so: Any, sio: Any, pr: int, t: int) -> None:
    ki, kf, o = k.I, k.F, k.o
    for i in range(k.n[Dim.LOANS]):
        limit = k.PF[pr, o[Col.loans_limit_usd] + i]
        start = ki[o[Col.loans_start] + i]
        principal = so[S.principal] + i
        interest = s[principal] * rate(k, pr, t, i)
        fee_share = kf[o[Col.loans_upfront_fee_share] + i]
        if t == start and fee_share > 0.0:
            _capitalise(k, s, so, i, min(fee_share * limit, max(limit - s[principal], 0.0)))
        if start <= t <= ki[o[Col.loans_end] + i] and ki[o[Col.loans_capitalise] + i]:
            cap = min(interest, max(limit - s[principal], 0.0))
            ltc = kf[o[Col.loans_max_ltc] + i]
            if ltc == ltc and ltc < 1.0:  # and within loan-to-cost: capitalised interest adds to debt and cost
                borrower = ki[o[Col.loans_borrower] + i]
                debt = _project_debt(k, s, so, borrower)
                cap = min(cap, max((ltc * s[so[S.capex_spent] + borrower] - debt) / (1.0 - ltc), 0.0))
            _capitalise(k, s, so, i, cap)
            interest -= cap
        s[so[S.interest_due] + i] = interest
        if ki[o[Col.loans_upfront] + i] and t == start and t < k.PI[pr, o[Col.loans_default_month] + i]:
            got = obligation(k, s, si, so, sio, pr, t, ki[o[Col.loans_lender] + i], ki[o[Col.loans_borrower] + i],
                             ki[o[Col.loans_draw_line] + i], limit - s[principal], False, _C_LOAN, 0.0)
            s[principal] += got
    for q in range(k.n[Dim.EQUITY]):
        if ki[o[Col.equity_upfront] + q] and t == ki[o[Col.equity_start] + q]:
            amount = k.PF[pr, o[Col.equity_amount_usd] + q]
            s[so[S.m_called] + q] += amount
            paid = 0.0
            if t < k.PI[pr, o[Col.equity_default_month] + q]:  # a defaulted investor pays nothing
                paid = obligation(k, s, si, so, sio, pr, t, ki[o[Col.equity_investor] + q],
                                  ki[o[Col.equity_investee] + q], ki[o[Col.equity_line] + q], amount, False,
                                  _C_EQUITY, 0.0)
            _equity_result(s, so, q, amount, 0.0, paid)


@_jit.jit
def _own_cash_flows(k: Any, s: Any, si: Any, so: Any, sio: Any, pr: int, t: int) -> None:
    ki, o = k.I, k.o
    outside = k.n[Dim.ENTITIES]
    months = k.n[Dim.MONTHS]
    for e in range(outside):  # income first
        flow = k.F[o[Col.entities_cash_flow_usd] + e * months + t]
        if flow > 0.0:
            _flow(s, so, outside, e, ki[o[Col.entities_own_in_line] + e], flow)
    for e in range(outside):  # then the coupon on new money raised so far, then own costs
        coupon = k.F[o[Col.entities_raise_rate_monthly] + e] * s[so[S.raised] + e]
        if coupon > 0.0:
            obligation(k, s, si, so, sio, pr, t, e, outside, ki[o[Col.entities_raise_interest_line] + e], coupon,
                       False, _C_DEBT, 0.0)
        flow = k.F[o[Col.entities_cash_flow_usd] + e * months + t]
        if flow < 0.0:
            obligation(k, s, si, so, sio, pr, t, e, outside, ki[o[Col.entities_own_out_line] + e], -flow, False,
                       _C_OWN, 0.0)


@_jit.jit
def _contracts(k: Any, s: Any, si: Any, so: Any, sio: Any, pr: int, t: int) -> None:
    ki, o = k.I, k.o
    for c in range(k.n[Dim.CONTRACTS]):
        amount = bill(k, pr, t, c, si, sio[SI.energized], s, so[S.it_funded])
        if amount > 0.0:
            cause = _C_OPERATIONS if ki[o[Col.contracts_kind] + c] == _K_OPEX else _C_CONTRACT
            obligation(k, s, si, so, sio, pr, t, ki[o[Col.contracts_payer] + c], ki[o[Col.contracts_payee] + c],
                       ki[o[Col.contracts_line] + c], amount, False, cause, 0.0)


@_jit.jit
def _debt_service(k: Any, s: Any, si: Any, so: Any, sio: Any, pr: int, t: int) -> None:
    ki, kf, o = k.I, k.F, k.o
    for i in range(k.n[Dim.LOANS]):
        b, lender = ki[o[Col.loans_borrower] + i], ki[o[Col.loans_lender] + i]
        principal = so[S.principal] + i
        overdue = s[so[S.overdue] + i]  # principal and interest missed in earlier months
        unpaid_interest = 0.0
        due = s[so[S.interest_due] + i]
        if due > 0.0:
            unpaid_interest = due - obligation(k, s, si, so, sio, pr, t, b, lender, ki[o[Col.loans_interest_line] + i],
                                               due, False, _C_DEBT, 0.0)
        fee_rate = kf[o[Col.loans_commitment_fee_monthly] + i]
        end = ki[o[Col.loans_end] + i]
        if ki[o[Col.loans_start] + i] <= t <= end and fee_rate > 0.0:
            fee = fee_rate * max(k.PF[pr, o[Col.loans_limit_usd] + i] - s[principal], 0.0)
            # an unpaid fee is owed like unpaid interest: arrears on the balance, due next month
            unpaid_interest += fee - obligation(k, s, si, so, sio, pr, t, b, lender, ki[o[Col.loans_fee_line] + i],
                                                fee, False, _C_DEBT, 0.0)
        j = t - end  # repayment month, 1-based
        if j == 1:
            s[so[S.base] + i] = s[principal] - overdue
        scheduled = scheduled_principal(ki[o[Col.loans_repay] + i], s[so[S.base] + i],
                                        rate(k, pr, t, i), ki[o[Col.loans_repay_months] + i], j,
                                        s[principal] - overdue)
        due_principal = overdue + scheduled
        paid = 0.0
        if due_principal > EPS:
            paid = obligation(k, s, si, so, sio, pr, t, b, lender, ki[o[Col.loans_principal_line] + i],
                              due_principal, False, _C_DEBT, overdue)
            s[principal] -= paid
        s[so[S.overdue] + i] = max(due_principal - paid, 0.0) + unpaid_interest
        if unpaid_interest > 0.0:  # arrears: on the balance and overdue, outside the limit's headroom
            s[principal] += unpaid_interest
            s[so[S.m_arrears] + i] += unpaid_interest


@_jit.jit
def _capex(k: Any, s: Any, si: Any, so: Any, sio: Any, pr: int, t: int, defer: bool) -> None:
    ki, kf, o = k.I, k.F, k.o
    outside = k.n[Dim.ENTITIES]
    width = k.n[Dim.CURVE]
    for h in range(k.n[Dim.PHASES]):
        start = ki[o[Col.phases_start] + h] + k.PI[pr, o[Col.phases_delay_months] + h]
        months = ki[o[Col.phases_months] + h]
        completion = start + months - 1
        fac = k.PF[pr, o[Col.phases_facility_capex_usd] + h]
        it_capex = k.PF[pr, o[Col.phases_it_capex_usd] + h]
        idx = t - start
        planned = fac * kf[o[Col.phases_curve] + h * width + idx] if 0 <= idx < months else 0.0
        backlog = s[so[S.fac_backlog] + h]
        need = planned + backlog
        if need > 0.0:
            owner = ki[o[Col.phases_owner] + h]
            paid = obligation(k, s, si, so, sio, pr, t, owner, outside, ki[o[Col.phases_facility_line] + h], need,
                              True, _C_CAPEX, backlog)
            s[so[S.fac_funded] + h] += paid
            s[so[S.capex_spent] + owner] += paid
            s[so[S.fac_backlog] + h] = need - paid if defer else 0.0
            s[so[S.m_capex_need] + h] += need
            s[so[S.m_capex_funded] + h] += paid
        energized = sio[SI.energized] + h
        if defer and fac > 0.0 and si[energized] == NEVER and t >= completion \
                and s[so[S.fac_funded] + h] >= fac * (1.0 - 1e-12) - EPS:
            si[energized] = completion + 1 + ki[o[Col.phases_energization_lag] + h] + (t - completion)
        if it_capex > 0.0:
            age = t - si[energized]
            n_it = ki[o[Col.phases_it_months] + h]
            planned_it = it_capex / n_it if 0 <= age < n_it else 0.0
            backlog = s[so[S.it_backlog] + h]
            need = planned_it + backlog
            if need > 0.0:
                owner = ki[o[Col.phases_it_owner] + h]
                paid = obligation(k, s, si, so, sio, pr, t, owner, outside, ki[o[Col.phases_it_line] + h], need,
                                  True, _C_CAPEX, backlog)
                s[so[S.it_funded] + h] += paid
                s[so[S.capex_spent] + owner] += paid
                s[so[S.it_backlog] + h] = need - paid if defer else 0.0
                s[so[S.m_capex_need] + h] += need
                s[so[S.m_capex_funded] + h] += paid


@_jit.jit
def _start_path(k: Any, s: Any, si: Any, so: Any, sio: Any, rs: Any, rso: Any, ri: Any, rio: Any, pr: int,
                defer: bool) -> None:
    ki, o = k.I, k.o
    outside = k.n[Dim.ENTITIES]
    s[:] = 0.0
    si[:] = 0
    rs[:] = 0.0
    ri[:] = 0
    for e in range(outside):
        cash = k.PF[pr, o[Col.entities_opening_cash_usd] + e]
        s[so[S.cash] + e] = cash
        rs[rso[RS.lowest_cash_usd] + e] = cash
        ri[rio[RI.first_short] + e] = -1
    for h in range(k.n[Dim.PHASES]):
        planned = ki[o[Col.phases_start] + h] + k.PI[pr, o[Col.phases_delay_months] + h] + \
            ki[o[Col.phases_months] + h] + ki[o[Col.phases_energization_lag] + h]
        fac = k.PF[pr, o[Col.phases_facility_capex_usd] + h]
        si[sio[SI.energized] + h] = planned if (not defer or fac <= 0.0) else NEVER


@_jit.jit
def _start_month(s: Any, so: Any, full: bool) -> None:
    # the month's blocks, m_flow to m_capex_funded, are contiguous; m_flow is only read when kept in full
    lo = so[S.m_flow] if full else so[S.m_need]
    s[lo:so[S.fr_amount]] = 0.0
    _copy(s, so[S.eq_reissue], s, so[S.eq_missed], so[S.eq_reissue] - so[S.eq_missed])
    _copy(s, so[S.ln_reissue], s, so[S.ln_missed], so[S.ln_reissue] - so[S.ln_missed])


@_jit.jit
def _close_month(k: Any, s: Any, si: Any, so: Any, sio: Any, rf: Any, rfo: Any, rs: Any, rso: Any, ri: Any,
                 rio: Any, pr: int, t: int, full: bool, opening_total: float) -> None:
    n = k.n
    n_e, n_l, n_h = n[Dim.ENTITIES], n[Dim.LOANS], n[Dim.PHASES]
    n_q, n_lines = n[Dim.EQUITY], n[Dim.LINES]
    months = n[Dim.MONTHS]
    if full:
        row = rf[t]
        for dst, src, size in ((RF.cash_usd, S.cash, n_e + 1), (RF.principal_usd, S.principal, n_l),
                               (RF.overdue_usd, S.overdue, n_l), (RF.capitalised_usd, S.m_capitalised, n_l),
                               (RF.arrears_usd, S.m_arrears, n_l), (RF.need_usd, S.m_need, n_e),
                               (RF.gap_usd, S.m_gap, n_e),
                               (RF.new_gap_usd, S.m_new_gap, n_e), (RF.carried_usd, S.m_carried, n_e),
                               (RF.gap_by_cause_usd, S.m_cause, n_e * _NC), (RF.capex_need_usd, S.m_capex_need, n_h),
                               (RF.capex_funded_usd, S.m_capex_funded, n_h), (RF.equity_called_usd, S.m_called, n_q),
                               (RF.equity_paid_usd, S.m_paid, n_q), (RF.equity_missed_usd, S.eq_missed, n_q),
                               (RF.flows_usd, S.m_flow, n_lines)):
            _copy(row, rfo[dst], s, so[src], size)
        for h in range(n_h):
            it_capex = k.PF[pr, k.o[Col.phases_it_capex_usd] + h]
            share = s[so[S.it_funded] + h] / it_capex if it_capex > 0.0 else 1.0
            row[rfo[RF.it_funded_share] + h] = share
    total = 0.0
    big = rso[RS.largest_balance_usd]
    for a in range(n_e + 1):
        total += s[so[S.cash] + a]
        rs[big] = max(rs[big], abs(s[so[S.cash] + a]))
    err = rso[RS.conservation_error_usd]
    rs[err] = max(rs[err], abs(total - opening_total))
    for e in range(n_e):
        gap = s[so[S.m_gap] + e]
        if gap > SHORTFALL_USD:
            if ri[rio[RI.first_short] + e] < 0:
                ri[rio[RI.first_short] + e] = t
            ri[rio[RI.months_short] + e] += 1
        rs[rso[RS.largest_gap_usd] + e] = max(rs[rso[RS.largest_gap_usd] + e], gap)
        rs[rso[RS.lowest_cash_usd] + e] = min(rs[rso[RS.lowest_cash_usd] + e], s[so[S.cash] + e])
        if t == months - 1:
            rs[rso[RS.final_gap_usd] + e] = gap
    for h in range(n_h):
        rs[rso[RS.capex_funded_total_usd] + h] += s[so[S.m_capex_funded] + h]
    for i in range(n_l):
        m = rso[RS.max_principal_usd] + i
        rs[m] = max(rs[m], s[so[S.principal] + i])
        rs[rso[RS.capitalised_total_usd] + i] += s[so[S.m_capitalised] + i]
        rs[rso[RS.arrears_total_usd] + i] += s[so[S.m_arrears] + i]
    for q in range(n_q):
        rs[rso[RS.equity_called_total_usd] + q] += s[so[S.m_called] + q]
        rs[rso[RS.equity_paid_total_usd] + q] += s[so[S.m_paid] + q]
    if t == months - 1:
        for dst, src, size in ((RS.final_cash_usd, S.cash, n_e + 1), (RS.final_principal_usd, S.principal, n_l),
                               (RS.final_overdue_usd, S.overdue, n_l), (RS.final_missed_usd, S.eq_missed, n_q),
                               (RS.secured_usd, S.secured, n_q + n_l), (RS.line_total_usd, S.line_total, n_lines),
                               (RS.moved_usd, S.moved, 1), (RS.new_gap_total_usd, S.new_gap_total, n_e),
                               (RS.new_gap_by_cause_usd, S.new_cause_total, n_e * _NC)):
            _copy(rs, rso[dst], s, so[src], size)
        _copy(ri, rio[RI.energized], si, sio[SI.energized], n_h)


@_jit.jit
def run_path(k: Any, s: Any, si: Any, so: Any, sio: Any, rf: Any, rfo: Any, rs: Any, rso: Any, ri: Any, rio: Any,
             pr: int, full: bool, defer: bool) -> None:
    """Simulate one path over every month into its record rows (rf: months x width; rs, ri: width)."""
    _start_path(k, s, si, so, sio, rs, rso, ri, rio, pr, defer)
    opening_total = 0.0
    for a in range(k.n[Dim.ENTITIES] + 1):
        opening_total += s[so[S.cash] + a]
    for t in range(k.n[Dim.MONTHS]):
        _start_month(s, so, full)
        _secure(k, s, so, pr, t)
        _accrue_and_open(k, s, si, so, sio, pr, t)
        _own_cash_flows(k, s, si, so, sio, pr, t)
        _contracts(k, s, si, so, sio, pr, t)
        _debt_service(k, s, si, so, sio, pr, t)
        _capex(k, s, si, so, sio, pr, t, defer)
        _close_month(k, s, si, so, sio, rf, rfo, rs, rso, ri, rio, pr, t, full, opening_total)


@numba.njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def run_chunk(k: Any, state: Any, state_int: Any, so: Any, sio: Any, rf: Any, rfo: Any, rs: Any, rso: Any,
              ri: Any, rio: Any, lo: int, hi: int, k_lo: int, full: bool, defer: bool) -> None:
    """Simulate paths lo..hi of the record arrays (state rows are reused: row p - lo for path p; the plan's
    per-path rows start at path k_lo)."""
    per_path = k.PF.shape[0] > 1 or k.PI.shape[0] > 1
    for p in range(lo, hi):
        w = p - lo
        run_path(k, state[w], state_int[w], so, sio, rf[p] if full else rf[0], rfo, rs[p], rso, ri[p], rio,
                 p - k_lo if per_path else 0, full, defer)
