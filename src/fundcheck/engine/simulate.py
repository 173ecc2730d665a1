"""Simulate a Plan month by month, vectorized over paths, into a ledger of flows and balance histories.

Each month, in this order (the order is the seniority of claims on an entity's cash):

1. loans accrue interest on their opening principal; inside a loan's window with ``capitalise_interest``
   it is added to principal (interest during construction), otherwise it is a need of the borrower.
   Upfront fees are added to principal in a loan's first month; bonds draw their limit, upfront equity pays in;
2. each entity's own cash flow arrives (or, if negative, is a need);
3. contracts bill from what is online at the start of the month (leases, offtakes);
4. debt service: interest not capitalised, commitment fees, principal due;
5. capex, phase by phase in scenario order: facility capex by its curve (plus what was deferred), then IT
   capex over ``it_months`` from energization.

A need is met through ``_obligation``: the payer draws its sources in its priority order (own cash, equity
called pro rata from its investors, loans up to limit and loan-to-cost, its credit line, new money), each
investor paying a call from its own sources in turn. What is left unmet is the payer's **gap** for that
month. Under ``gap_policy: defer`` unfunded capex is carried to the next month and the phase's
energization slips by as many months as its completion does.

Balances are corkscrews: cash_t = cash_{t-1} + inflows_t - outflows_t, and
principal_t = principal_{t-1} + draws_t + capitalised_t - repaid_t; ``checks`` verifies both from the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fundcheck.engine.ledger import Ledger
from fundcheck.engine.plan import NEVER, LoanPlan, Plan

__all__ = ["KIND", "Outcome", "simulate"]


class KIND:
    """The kinds of flow in the ledger."""

    FACILITY = "facility capex"
    IT = "IT capex"
    EQUITY = "equity"
    DRAW = "loan draw"
    INTEREST = "interest"
    PRINCIPAL = "principal"
    COMMITMENT_FEE = "commitment fee"
    OWN_IN = "own cash flow"
    OWN_OUT = "own costs"
    RAISE = "new money raised"
    LEASE = "lease"
    OFFTAKE = "offtake"


CAPEX_KINDS = (KIND.FACILITY, KIND.IT)
_EPS = 1e-6  # dollars: below this a remaining need counts as met


@dataclass
class Outcome:
    """What a simulation produced: the ledger and the histories of every balance (paths x months)."""

    plan: Plan
    ledger: Ledger
    cash_usd: np.ndarray  # accounts x paths x months, closing balances
    principal_usd: np.ndarray  # loans x paths x months, closing balances
    capitalised_usd: np.ndarray  # loans x paths x months, interest and fees added to principal
    need_usd: np.ndarray  # entities x paths x months, what each entity had to pay (deferred capex included)
    gap_usd: np.ndarray  # entities x paths x months, the part of the need it could not fund
    capex_need_usd: np.ndarray  # phases x paths x months, capex due (deferred included)
    capex_funded_usd: np.ndarray  # phases x paths x months
    energized: np.ndarray  # phases x paths, column of energization (NEVER if not by the horizon end)
    it_funded_share: np.ndarray  # phases x paths x months, share of IT capex funded so far
    equity_called_usd: np.ndarray  # equity instruments x paths x months
    equity_paid_usd: np.ndarray  # equity instruments x paths x months
    secured_usd: np.ndarray  # (equity then loans) x paths: the part of a commitment backed by liquidity

    @property
    def n_paths(self) -> int:
        """Number of paths simulated."""
        return self.cash_usd.shape[1]


def simulate(plan: Plan, n_paths: int = 1) -> Outcome:
    """Run the plan over `n_paths` paths (a deterministic plan gives the same numbers on every path)."""
    return _Run(plan, n_paths).run()


class _Run:
    def __init__(self, plan: Plan, n_paths: int):
        self.p = plan
        self.P = n_paths
        T = plan.axis.n
        A = len(plan.entities) + 1
        E, L, Q, H = len(plan.entities), len(plan.loans), len(plan.equity), len(plan.phases)
        self.ledger = Ledger(n_paths, T)
        self.cash = np.zeros((A, n_paths))
        for e, ent in enumerate(plan.entities):
            self.cash[e] = ent.opening_cash_usd
        self.principal = np.zeros((L, n_paths))
        self.raised = np.zeros((E, n_paths))
        self.capex_spent = np.zeros((E, n_paths))  # capex plus capitalised interest and fees: loan-to-cost base
        self.eq_paid_total = np.zeros((Q, n_paths))
        self.fac_funded = np.zeros((H, n_paths))
        self.fac_backlog = np.zeros((H, n_paths))
        self.it_funded = np.zeros((H, n_paths))
        self.it_backlog = np.zeros((H, n_paths))
        self.energized = np.full((H, n_paths), NEVER, dtype=np.int64)
        if plan.gap_policy == "record":
            for k, ph in enumerate(plan.phases):
                self.energized[k] = ph.planned_energization
        for k, ph in enumerate(plan.phases):
            if ph.facility_capex_usd <= 0 and plan.gap_policy == "defer":
                self.energized[k] = ph.planned_energization
        self.h_cash = np.zeros((A, n_paths, T))
        self.h_principal = np.zeros((L, n_paths, T))
        self.h_capitalised = np.zeros((L, n_paths, T))
        self.h_need = np.zeros((E, n_paths, T))
        self.h_gap = np.zeros((E, n_paths, T))
        self.h_capex_need = np.zeros((H, n_paths, T))
        self.h_capex_funded = np.zeros((H, n_paths, T))
        self.h_it_share = np.zeros((H, n_paths, T))
        self.h_called = np.zeros((Q, n_paths, T))
        self.h_paid = np.zeros((Q, n_paths, T))
        self.secured = np.zeros((Q + L, n_paths))
        self.site_phases = [plan.site_phases(k) for k in range(len(plan.sites))]
        self.t = 0

    # --- money movement -----------------------------------------------------------------------------------

    def _flow(self, payer: int, payee: int, kind: str, label: str, amount: np.ndarray) -> None:
        self.cash[payer] -= amount
        self.cash[payee] += amount
        self.ledger.record(payer, payee, kind, label, self.t, amount)

    def _obligation(self, payer: int, payee: int, kind: str, label: str, amount: np.ndarray) -> np.ndarray:
        """Payer must pay `amount` to payee: fund it from payer's sources, pay what was found, record the gap."""
        amount = np.maximum(amount, 0.0)
        if not np.any(amount > _EPS):
            return np.zeros(self.P)
        if payer == self.p.outside or self.p.entities[payer].outside:
            self._flow(payer, payee, kind, label, amount)
            return amount
        t = self.t
        self.h_need[payer, :, t] += amount
        paid = self._fund(payer, amount, kind in CAPEX_KINDS)
        self._flow(payer, payee, kind, label, paid)
        self.h_gap[payer, :, t] += amount - paid
        return paid

    def _fund(self, e: int, amount: np.ndarray, is_capex: bool) -> np.ndarray:
        """Bring money into e's cash from its sources in priority order; the part of `amount` now covered."""
        covered = np.zeros(self.P)
        for source, slots in self.p.entities[e].priority:
            rem = amount - covered
            if not np.any(rem > _EPS):
                break
            if source == "cash":
                use = np.clip(self.cash[e] - covered, 0.0, rem)
            elif source == "equity":
                use = self._call_equity(slots, rem)
            elif source == "loan":
                use = self._draw(self.p.loans[slots[0]], slots[0], rem, covered if is_capex else None)
            else:  # raise
                use = self._raise(e, rem)
            covered = covered + use
        return np.minimum(covered, amount)

    def _call_equity(self, slots: tuple[int, ...], need: np.ndarray) -> np.ndarray:
        """Call `need` pro rata to undrawn commitments; each investor pays as far as its liquidity allows."""
        t = self.t
        live = [q for q in slots if self.p.equity[q].available[t]]
        if not live:
            return np.zeros(self.P)
        undrawn = np.array([self.p.equity[q].amount_usd - self.eq_paid_total[q] for q in live])
        total = undrawn.sum(axis=0)
        share = np.divide(undrawn, total, out=np.zeros_like(undrawn), where=total > 0)
        calls = np.minimum(share * np.minimum(need, total), undrawn)
        got = np.zeros(self.P)
        for q, call in zip(live, calls, strict=True):
            eq = self.p.equity[q]
            paid = self._obligation(eq.investor, eq.investee, KIND.EQUITY, eq.name, call)
            self.eq_paid_total[q] += paid
            self.h_called[q, :, t] += call
            self.h_paid[q, :, t] += paid
            got += paid
        return got

    def _draw(self, loan: LoanPlan, k: int, need: np.ndarray, capex_covered: np.ndarray | None) -> np.ndarray:
        """Draw up to `need` from a loan, within its limit and loan-to-cost cap; the lender pays it in."""
        if not loan.available[self.t] or loan.upfront:
            return np.zeros(self.P)
        room = np.maximum(loan.limit_usd - self.principal[k], 0.0)
        if loan.max_ltc is not None:
            # the borrower's project debt B after drawing D stays within ltc of its cost so far, this month's
            # capex included: B + D <= ltc * (cost + D) when D pays capex, B + D <= ltc * cost otherwise
            ltc = loan.max_ltc
            debt = sum(self.principal[j] for j, other in enumerate(self.p.loans)
                       if other.borrower == loan.borrower and not other.credit_line)
            cost = self.capex_spent[loan.borrower] + (capex_covered if capex_covered is not None else 0.0)
            if capex_covered is not None:
                cap = (ltc * cost - debt) / (1.0 - ltc) if ltc < 1.0 else room
            else:
                cap = ltc * cost - debt
            room = np.minimum(room, np.maximum(cap, 0.0))
        want = np.minimum(need, room)
        got = self._obligation(loan.lender, loan.borrower, KIND.DRAW, loan.name, want)
        self.principal[k] += got
        return got

    def _raise(self, e: int, need: np.ndarray) -> np.ndarray:
        ent = self.p.entities[e]
        if self.t < ent.raise_start:
            return np.zeros(self.P)
        got = np.minimum(need, np.maximum(ent.raise_limit_usd - self.raised[e], 0.0))
        self.raised[e] += got
        self._flow(self.p.outside, e, KIND.RAISE, ent.name, got)
        return got

    # --- one month ----------------------------------------------------------------------------------------

    def run(self) -> Outcome:
        for t in range(self.p.axis.n):
            self.t = t
            self._secure()
            self._accrue_and_open()
            self._own_cash_flows()
            self._contracts()
            self._debt_service()
            self._capex()
            self._close_month()
        p = self.p
        return Outcome(
            plan=p, ledger=self.ledger, cash_usd=self.h_cash, principal_usd=self.h_principal,
            capitalised_usd=self.h_capitalised, need_usd=self.h_need, gap_usd=self.h_gap,
            capex_need_usd=self.h_capex_need, capex_funded_usd=self.h_capex_funded,
            energized=np.where(self.energized < p.axis.n, self.energized, NEVER),
            it_funded_share=self.h_it_share, equity_called_usd=self.h_called, equity_paid_usd=self.h_paid,
            secured_usd=self.secured)

    def _liquidity(self, e: int) -> np.ndarray:
        """What e could pay now: cash, undrawn loans open to it (before loan-to-cost), money it can raise."""
        t = self.t
        ent = self.p.entities[e]
        out = np.maximum(self.cash[e], 0.0)
        for k, loan in enumerate(self.p.loans):
            if loan.borrower == e and loan.available[t]:
                out = out + np.maximum(loan.limit_usd - self.principal[k], 0.0)
        if t >= ent.raise_start:
            out = out + np.maximum(ent.raise_limit_usd - self.raised[e], 0.0)
        return out

    def _secure(self) -> None:
        """At each commitment's first month: the share of it the provider's liquidity covers then."""
        p, t = self.p, self.t
        commitments = [(q, eq.investor, eq.start, eq.amount_usd) for q, eq in enumerate(p.equity)]
        commitments += [(len(p.equity) + k, ln.lender, ln.start, ln.limit_usd) for k, ln in enumerate(p.loans)]
        starting = [c for c in commitments if c[2] == t]
        for slot, provider, _, amount in starting:
            if provider == p.outside or p.entities[provider].outside:
                self.secured[slot] = amount
                continue
            open_commitments = np.zeros(self.P)
            for q, eq in enumerate(p.equity):
                if eq.investor == provider and eq.start <= t:
                    open_commitments += np.maximum(eq.amount_usd - self.eq_paid_total[q], 0.0)
            for k, ln in enumerate(p.loans):
                if ln.lender == provider and ln.start <= t:
                    open_commitments += np.maximum(ln.limit_usd - self.principal[k], 0.0)
            cover = np.minimum(1.0, np.divide(self._liquidity(provider), open_commitments,
                                              out=np.ones(self.P), where=open_commitments > 0))
            self.secured[slot] = amount * cover

    def _accrue_and_open(self) -> None:
        p, t = self.p, self.t
        self._interest_due = np.zeros((len(p.loans), self.P))
        for k, loan in enumerate(p.loans):
            interest = self.principal[k] * loan.rate_monthly
            in_window = bool(loan.available[t])
            if t == loan.start and loan.upfront_fee_usd > 0:
                self._capitalise(k, np.full(self.P, loan.upfront_fee_usd))
            if in_window and loan.capitalise_interest:
                self._capitalise(k, interest)
            else:
                self._interest_due[k] = interest
            if loan.upfront and t == loan.start:
                got = self._obligation(loan.lender, loan.borrower, KIND.DRAW, loan.name,
                                       np.full(self.P, loan.limit_usd) - self.principal[k])
                self.principal[k] += got
        # upfront equity after upfront draws, so money borrowed this month can pay it
        for q, eq in enumerate(p.equity):
            if eq.upfront and t == eq.start:
                amount = np.full(self.P, eq.amount_usd)
                paid = self._obligation(eq.investor, eq.investee, KIND.EQUITY, eq.name, amount)
                self.eq_paid_total[q] += paid
                self.h_called[q, :, t] += amount
                self.h_paid[q, :, t] += paid

    def _capitalise(self, k: int, amount: np.ndarray) -> None:
        self.principal[k] += amount
        self.h_capitalised[k, :, self.t] += amount
        self.capex_spent[self.p.loans[k].borrower] += amount

    def _own_cash_flows(self) -> None:
        for e, ent in enumerate(self.p.entities):
            flow = ent.cash_flow_usd[self.t]
            if flow > 0:
                self._flow(self.p.outside, e, KIND.OWN_IN, ent.name, np.full(self.P, flow))
            elif flow < 0:
                self._obligation(e, self.p.outside, KIND.OWN_OUT, ent.name, np.full(self.P, -flow))

    def _contracts(self) -> None:
        p, t = self.p, self.t
        online = self.energized <= t  # phases x paths
        for c in p.contracts:
            if c.start is not None:
                start = np.full(self.P, c.start)
            else:
                start = self.energized[self.site_phases[c.site]].min(axis=0)
            age = t - start
            active = (age >= 0) & (age < c.term_months)
            if not active.any():
                continue
            escalation = (1.0 + c.escalator) ** np.maximum(age // 12, 0)
            if c.basis == "fixed":
                quantity = np.ones(self.P)
            else:
                quantity = np.zeros(self.P)
                for k in self.site_phases[c.site]:
                    ph = p.phases[k]
                    if c.basis == "mw":
                        quantity += ph.it_mw * online[k]
                    else:  # GPU-hours in the month: GPUs paid for and powered x 730 h x utilization
                        share = self.it_funded[k] / ph.it_capex_usd if ph.it_capex_usd > 0 else 1.0
                        quantity += ph.gpus * share * online[k] * 730.0 * c.utilization
            bill = c.rate * quantity * escalation * active
            kind = KIND.LEASE if c.kind == "lease" else KIND.OFFTAKE
            self._obligation(c.payer, c.payee, kind, c.name, bill)

    def _debt_service(self) -> None:
        p, t = self.p, self.t
        for k, loan in enumerate(p.loans):
            b = loan.borrower
            due = self._interest_due[k]
            if np.any(due > 0):
                paid = self._obligation(b, loan.lender, KIND.INTEREST, loan.name, due)
                self._capitalise(k, due - paid)  # unpaid interest falls into arrears on principal
            if loan.available[t] and loan.commitment_fee_monthly > 0:
                fee = loan.commitment_fee_monthly * np.maximum(loan.limit_usd - self.principal[k], 0.0)
                self._obligation(b, loan.lender, KIND.COMMITMENT_FEE, loan.name, fee)
            if t > loan.end:
                if loan.bullet:
                    due_principal = self.principal[k] * (t >= loan.end + loan.repay_months)
                else:
                    left = loan.end + loan.repay_months - t + 1
                    due_principal = self.principal[k] / max(left, 1)
                paid = self._obligation(b, loan.lender, KIND.PRINCIPAL, loan.name, due_principal)
                self.principal[k] -= paid

    def _capex(self) -> None:
        p, t = self.p, self.t
        defer = p.gap_policy == "defer"
        for k, ph in enumerate(p.phases):
            label = f"{p.sites[ph.site]}: {ph.name}"
            planned = ph.facility_schedule_usd[t]
            need = planned + self.fac_backlog[k]
            if np.any(need > 0):
                paid = self._obligation(ph.owner, p.outside, KIND.FACILITY, label, need)
                self.fac_funded[k] += paid
                self.capex_spent[ph.owner] += paid
                self.fac_backlog[k] = need - paid if defer else 0.0
                self.h_capex_need[k, :, t] += need
                self.h_capex_funded[k, :, t] += paid
            if defer and ph.facility_capex_usd > 0:
                done = (self.energized[k] == NEVER) & (self.fac_funded[k] >= ph.facility_capex_usd * (1 - 1e-12) - _EPS)
                done &= t >= ph.planned_completion
                slip = t - ph.planned_completion
                self.energized[k] = np.where(done, ph.planned_energization + slip, self.energized[k])
            if ph.it_capex_usd > 0:
                age = t - self.energized[k]
                w = ph.it_weights
                in_ramp = (age >= 0) & (age < len(w))
                planned_it = ph.it_capex_usd * w[np.clip(age, 0, len(w) - 1)] * in_ramp
                need_it = planned_it + self.it_backlog[k]
                if np.any(need_it > 0):
                    paid = self._obligation(ph.it_owner, p.outside, KIND.IT, label, need_it)
                    self.it_funded[k] += paid
                    self.capex_spent[ph.it_owner] += paid
                    self.it_backlog[k] = need_it - paid if defer else 0.0
                    self.h_capex_need[k, :, t] += need_it
                    self.h_capex_funded[k, :, t] += paid
                self.h_it_share[k, :, t] = self.it_funded[k] / ph.it_capex_usd
            else:
                self.h_it_share[k, :, t] = 1.0

    def _close_month(self) -> None:
        t = self.t
        self.h_cash[:, :, t] = self.cash
        self.h_principal[:, :, t] = self.principal
