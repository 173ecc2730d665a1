"""Contracts (leases and offtakes): compile, and the kernel's monthly bill.

A lease bills per MW of the site's IT load online; an offtake per MW, per GPU-hour of GPUs online and paid
for (730 hours a month times utilization), or a fixed amount a month from ``start``. Billing runs for the
term from ``start`` or, without one, from the site's first energization on that path; prices rise by the
escalator once a year from the first month billed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fundcheck.engine.instruments._jit import jit_small as jit
from fundcheck.engine.tables import Basis, Col, Kind, Table
from fundcheck.engine.timeaxis import TimeAxis
from fundcheck.scenario.schema import Lease, Offtake, Scenario

__all__ = ["bill", "compile_table"]

HOURS_PER_MONTH = 730.0
_MW, _GPU = int(Basis.MW), int(Basis.GPU_HOURS)


def compile_table(s: Scenario, axis: TimeAxis, idx: dict[str, int], sites: list[str], book: Any) -> Table:
    """The contracts table (and each contract's ledger line)."""
    cols: dict[str, list[Any]] = {k: [] for k in ("kind", "payer", "payee", "site", "basis", "rate",
                                                   "utilization", "escalator", "start", "term_months", "line")}
    names = []
    for i, c in enumerate(s.contracts):
        name = s.contract_name(i)
        if isinstance(c, Lease):
            kind, payer, payee, basis, rate, util = Kind.LEASE, c.tenant, c.landlord, Basis.MW, \
                c.rate_per_mw_month.value, 1.0
        else:
            assert isinstance(c, Offtake)
            kind, payer, payee = Kind.OFFTAKE, c.buyer, c.seller
            util = 1.0 if c.utilization is None else c.utilization.value
            if c.usd_per_year is not None:
                basis, rate = Basis.FIXED, c.usd_per_year.value / 12.0
            elif c.rate_per_mw_month is not None:
                basis, rate = Basis.MW, c.rate_per_mw_month.value
            else:
                basis, rate = Basis.GPU_HOURS, c.rate_per_gpu_hour.value  # type: ignore[union-attr]
        start = getattr(c, "start", None)
        cols["kind"].append(kind)
        cols["payer"].append(idx[payer])
        cols["payee"].append(idx[payee])
        cols["site"].append(sites.index(c.site) if c.site is not None else -1)
        cols["basis"].append(basis)
        cols["rate"].append(rate)
        cols["utilization"].append(util)
        cols["escalator"].append(0.0 if c.escalator is None else c.escalator.value)
        cols["start"].append(axis.index(start) if start is not None else -1)
        cols["term_months"].append(round(c.term_years * 12))
        cols["line"].append(book.add(idx[payer], idx[payee], kind, i, name))
        names.append(name)
    arrays = {k: np.array(v) for k, v in cols.items()}
    arrays["rate"] = np.array([cols["rate"]], dtype=np.float64).reshape(1, -1)
    return Table("contracts", tuple(names), arrays)


@jit
def bill(k: Any, pr: int, t: int, c: int, energized: Any, e_off: int, it_funded: Any, f_off: int) -> float:
    """What contract c bills in month t, from what is online at the start of the month, USD.

    `energized[e_off + h]` is phase h's energization month and `it_funded[f_off + h]` its IT capex paid so
    far; `pr` the row of the per-path columns."""
    ki, kf, o = k.I, k.F, k.o
    site = ki[o[Col.contracts_site] + c]
    start = ki[o[Col.contracts_start] + c]
    lo = hi = 0
    if site >= 0:
        lo = ki[o[Col.sites_phase_first] + site]
        hi = lo + ki[o[Col.sites_phase_count] + site]
    if start < 0:  # from the site's first energization
        start = 1 << 40
        for h in range(lo, hi):
            start = min(start, energized[e_off + h])
    age = t - start
    if age < 0 or age >= ki[o[Col.contracts_term_months] + c]:
        return 0.0
    basis = ki[o[Col.contracts_basis] + c]
    if basis in (_MW, _GPU):
        quantity = 0.0
        for h in range(lo, hi):
            if energized[e_off + h] <= t:
                if basis == _MW:
                    quantity += kf[o[Col.phases_it_mw] + h]
                else:
                    it_capex = k.PF[pr, o[Col.phases_it_capex_usd] + h]
                    share = it_funded[f_off + h] / it_capex if it_capex > 0 else 1.0
                    hours = HOURS_PER_MONTH * kf[o[Col.contracts_utilization] + c]
                    quantity += kf[o[Col.phases_gpus] + h] * share * hours
    else:
        quantity = 1.0
    price = k.PF[pr, o[Col.contracts_rate] + c] * quantity
    escalator = kf[o[Col.contracts_escalator] + c]
    if escalator != 0.0:
        for _ in range(age // 12):  # whole years billed: a few multiplications, cheaper than pow
            price *= 1.0 + escalator
    return price
