"""Contracts (leases, offtakes and sites' operating costs): compile, and the kernel's monthly bill.

A lease bills per MW of the site's IT load online; an offtake per MW, per GPU-hour of GPUs online and paid
for (730 hours a month times utilization), or a fixed amount a month from ``start``. Per MW, only the IT
capacity whose IT capex is paid counts (a phase with a third of its GPUs paid for bills a third), unless the
contract says ``bill: built``. Billing runs for the term from ``start`` or, without one, from the site's first
energization on that path; prices rise by the escalator once a year from the first month billed.

A scenario's ``operations`` become one more contract per site, paid by the site's operator to the outside world:
per MW of IT online and paid for, PUE x 730 hours x the power price, plus the other operating costs a year / 12,
from the site's first energization to the horizon end. The site's PUE is its phases' MW-weighted PUE.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fundcheck.engine.instruments._jit import jit
from fundcheck.engine.tables import Basis, C, D, Kind, Table
from fundcheck.engine.timeaxis import TimeAxis
from fundcheck.scenario.schema import Lease, Offtake, Scenario

__all__ = ["bill", "compile_table", "funded_share", "site_quantities"]

HOURS_PER_MONTH = 730.0
_MW, _GPU = int(Basis.MW), int(Basis.GPU_HOURS)


def operator(s: Scenario, site: str) -> str:
    """Who runs `site` and pays its operating costs: as `operations.operators` says, else the tenant of the
    site's one lease, else the site's IT owner."""
    ops = s.operations
    if ops is not None and site in ops.operators:
        return ops.operators[site]
    tenants = {c.tenant for c in s.contracts if isinstance(c, Lease) and c.site == site}
    if len(tenants) == 1:
        return next(iter(tenants))
    return s.sites[site].it_owner or s.sites[site].owner


def compile_table(s: Scenario, axis: TimeAxis, idx: dict[str, int], sites: list[str], book: Any,
                  outside: int) -> Table:
    """The contracts table (and each contract's ledger line): the scenario's contracts, then one operating-cost
    row per site when the scenario has `operations`."""
    cols: dict[str, list[Any]] = {k: [] for k in ("kind", "payer", "payee", "site", "basis", "rate",
                                                   "utilization", "funded_only", "escalator", "start",
                                                   "term_months", "line")}
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
        cols["funded_only"].append(c.bill == "funded_it")
        cols["escalator"].append(0.0 if c.escalator is None else c.escalator.value)
        cols["start"].append(axis.index(start) if start is not None else -1)
        cols["term_months"].append(round(c.term_years * 12))
        cols["line"].append(book.add(idx[payer], idx[payee], kind, i, name))
        names.append(name)
    ops = s.operations
    for j, (site_name, site) in enumerate(s.sites.items() if ops is not None else ()):
        mw = np.array([p.it_mw.value for p in site.phases])
        pue = np.array([(p.pue or s.defaults.pue).value if (p.pue or s.defaults.pue) else 1.0 for p in site.phases])
        site_pue = float((mw * pue).sum() / mw.sum()) if mw.sum() > 0 else 1.0
        price = ops.power_price_per_mwh.value if ops.power_price_per_mwh else 0.0  # type: ignore[union-attr]
        other = ops.other_opex_per_mw_year.value if ops.other_opex_per_mw_year else 0.0  # type: ignore[union-attr]
        who = operator(s, site_name)
        name = f"operating costs {site_name} ({who})"
        cols["kind"].append(Kind.OPEX)
        cols["payer"].append(idx[who])
        cols["payee"].append(outside)
        cols["site"].append(j)
        cols["basis"].append(Basis.MW)
        cols["rate"].append(site_pue * HOURS_PER_MONTH * price + other / 12.0)
        cols["utilization"].append(1.0)
        cols["funded_only"].append(True)
        cols["escalator"].append(0.0 if ops.escalator is None else ops.escalator.value)  # type: ignore[union-attr]
        cols["start"].append(-1)
        cols["term_months"].append(axis.n)
        cols["line"].append(book.add(idx[who], outside, Kind.OPEX, len(s.contracts) + j, name))
        names.append(name)
    arrays = {k: np.array(v) for k, v in cols.items()}
    if not names:
        arrays = {k: np.zeros(0, dtype=np.bool_ if k == "funded_only" else (np.float64 if k in (
            "rate", "utilization", "escalator") else np.int64)) for k in cols}
    arrays["rate"] = np.array([cols["rate"]], dtype=np.float64).reshape(1, -1)
    return Table("contracts", tuple(names), arrays)


@jit
def funded_share(k: Any, pr: int, h: int, age: int, funded: float) -> float:
    """The share of phase h's IT in service that is paid for, `age` months after it energized, with `funded`
    USD of its IT capex paid so far (refreshes included). Each refresh takes over from the generation before
    once its purchase months are over; until then the older generation serves."""
    ki, kf, o = k.I, k.F, k.o
    it_capex = k.PF[o[C.phases_it_capex_usd] + h, pr]
    if it_capex <= 0.0:
        return 1.0
    every = ki[o[C.phases_refresh_months] + h]
    n_it = ki[o[C.phases_it_months] + h]
    if every <= 0 or age < every + n_it:
        return min(funded / it_capex, 1.0)
    cost = it_capex * kf[o[C.phases_refresh_share] + h]
    if cost <= 0.0:
        return min(funded / it_capex, 1.0)
    generation = (age - n_it) // every  # refreshes in service: 1, 2, ...
    paid = funded - it_capex - (generation - 1) * cost
    return min(max(paid / cost, 0.0), 1.0)


@jit
def site_quantities(k: Any, pp: int, pr0: int, nb: int, t: int, si: Any, e_off: int, s: Any, f_off: int,
                    first_off: int, q_off: int) -> None:
    """What each site has online at the start of month t on each of a batch's nb paths, for its contracts'
    bills: into int row ``first_off + site`` its first energization month, and into float rows ``q_off +
    2 * site`` and the next its IT MW energized, and the same weighted by the share of each phase's IT paid
    for.

    On path b (column b of the kernel's state), ``si[e_off + h, b]`` is phase h's energization month and
    ``s[f_off + h, b]`` its IT capex paid so far; its place among the per-path values is ``pr0 + pp * b``."""
    ki, kf, o = k.I, k.F, k.o
    it_mw_col = o[C.phases_it_mw]
    for site in range(k.n[D.SITES]):  # phase by phase, each over the batch's paths
        lo = ki[o[C.sites_phase_first] + site]
        hi = lo + ki[o[C.sites_phase_count] + site]
        first, built_row, paid_row = first_off + site, q_off + 2 * site, q_off + 2 * site + 1
        for b in range(nb):
            si[first, b] = 1 << 40
            s[built_row, b] = 0.0
            s[paid_row, b] = 0.0
        for h in range(lo, hi):
            mw, on_row, funded_row = kf[it_mw_col + h], e_off + h, f_off + h
            for b in range(nb):
                on = si[on_row, b]
                si[first, b] = min(si[first, b], on)
                if on <= t:
                    s[built_row, b] += mw
                    s[paid_row, b] += mw * funded_share(k, pr0 + pp * b, h, t - on, s[funded_row, b])


@jit
def bill(k: Any, pp: int, pr0: int, nb: int, t: int, c: int, si: Any, e_off: int, s: Any, f_off: int,
         first_off: int, q_off: int, out: int) -> bool:
    """What contract c bills in month t on each of a batch's nb paths, from what is online at the start of the
    month, into the kernel's state row `out` (USD). Returns False, writing nothing, when no path of the batch
    is inside the contract's term this month (it bills nothing).

    Per MW it reads its site's rows written by ``site_quantities`` (from `first_off` and `q_off`, this
    month's); per GPU-hour it sums the site's phases itself (``si[e_off + h, b]`` phase h's energization month,
    ``s[f_off + h, b]`` its IT capex paid so far). Its place among the per-path values on path b is ``pr0 + pp *
    b``; the contract's own columns are read once for the batch."""
    ki, kf, o = k.I, k.F, k.o
    site = ki[o[C.contracts_site] + c]
    start0 = ki[o[C.contracts_start] + c]
    term = ki[o[C.contracts_term_months] + c]
    basis = ki[o[C.contracts_basis] + c]
    funded_only = ki[o[C.contracts_funded_only] + c] != 0
    hours = HOURS_PER_MONTH * kf[o[C.contracts_utilization] + c]
    escalator = kf[o[C.contracts_escalator] + c]
    rate_col = o[C.contracts_rate] + c
    gpus_col = o[C.phases_gpus]
    mw_row = q_off + 2 * site + (1 if funded_only else 0)  # MW energized, or the part of it paid for
    first = first_off + site  # the site's first energization on each path
    if start0 >= 0:  # from a start month: the same on every path
        if not 0 <= t - start0 < term:
            return False
    elif site < 0:  # from a site's energization, without a site: never (the loader refuses such a contract)
        return False
    else:  # from the site's first energization on each path
        lo = hi = si[first, 0]
        for b in range(nb):
            lo = min(lo, si[first, b])
            hi = max(hi, si[first, b])
        if t < lo or t - hi >= term:
            return False
    if basis == _GPU:  # the site's phases online, each by its GPUs paid for
        h_lo = ki[o[C.sites_phase_first] + site] if site >= 0 else 0
        h_hi = h_lo + ki[o[C.sites_phase_count] + site] if site >= 0 else 0
        for b in range(nb):
            age = t - (start0 if start0 >= 0 else si[first, b])
            quantity = 0.0
            if 0 <= age < term:
                for h in range(h_lo, h_hi):
                    if si[e_off + h, b] <= t:
                        quantity += kf[gpus_col + h] * funded_share(k, pr0 + pp * b, h, t - si[e_off + h, b],
                                                                    s[f_off + h, b]) * hours
            s[out, b] = k.PF[rate_col, pr0 + pp * b] * quantity if 0 <= age < term else 0.0
    else:  # per MW (its site's quantity) or a fixed amount, path by path without a branch (vectorized)
        per_mw = basis == _MW and site >= 0
        rate = k.PF[rate_col, pr0]
        for b in range(nb):
            age = t - (start0 if start0 >= 0 else si[first, b])
            if pp:
                rate = k.PF[rate_col, pr0 + b]
            price = rate * (s[mw_row, b] if per_mw else (0.0 if basis == _MW else 1.0))
            s[out, b] = price if 0 <= age < term else 0.0
    if escalator != 0.0:  # once a year from the first month billed: a few multiplications, cheaper than pow
        for b in range(nb):
            age = t - (start0 if start0 >= 0 else si[first, b])
            if 0 <= age < term:
                for _ in range(age // 12):
                    s[out, b] *= 1.0 + escalator
    return True
