"""Sites and their phases: compile the build plan (sizes, costs, schedule, spending curve) into tables."""

from __future__ import annotations

from typing import Any

import numpy as np

from fundcheck.engine.tables import Kind, Table
from fundcheck.engine.timeaxis import TimeAxis, curve_weights
from fundcheck.scenario.schema import Scenario

__all__ = ["compile_tables"]


def compile_tables(s: Scenario, axis: TimeAxis, idx: dict[str, int], outside: int, book: Any
                   ) -> tuple[Table, Table]:
    """The sites table and the phases table (site by site, phases in file order)."""
    d = s.defaults
    cols: dict[str, list[Any]] = {k: [] for k in ("site", "owner", "it_owner", "it_mw", "pue", "gpus",
                                                   "facility_capex_usd", "it_capex_usd", "start", "months",
                                                   "delay_months", "energization_lag", "it_months", "curve",
                                                   "facility_line", "it_line", "refresh_months",
                                                   "refresh_share")}
    names: list[str] = []
    first, count = [], []
    ops = s.operations
    refresh = ops.gpu_refresh_years if ops is not None else None
    refresh_months = 0 if refresh is None else max(1, round(refresh.value * 12))
    refresh_share = 1.0 if ops is None or ops.gpu_refresh_cost_share is None else ops.gpu_refresh_cost_share.value
    for k, (site_name, site) in enumerate(s.sites.items()):
        first.append(len(names))
        count.append(len(site.phases))
        for ph in site.phases:
            h = len(names)
            label = f"{site_name}: {ph.name}"
            names.append(label)
            it_mw = ph.it_mw.value
            start = axis.index(ph.start)
            energize = axis.index(ph.energization) if ph.energization is not None else start + ph.months
            owner, it_owner = idx[site.owner], idx[site.it_owner or site.owner]
            cols["site"].append(k)
            cols["owner"].append(owner)
            cols["it_owner"].append(it_owner)
            cols["it_mw"].append(it_mw)
            cols["pue"].append(ph.pue.value if ph.pue else (d.pue.value if d.pue else 1.0))
            cols["gpus"].append(ph.gpus.value if ph.gpus else (d.gpus_per_mw.value * it_mw if d.gpus_per_mw
                                                                 else 0.0))
            cols["facility_capex_usd"].append(ph.facility_capex.value if ph.facility_capex
                                              else d.facility_capex_per_mw.value * it_mw)
            cols["it_capex_usd"].append(ph.it_capex.value if ph.it_capex else d.it_capex_per_mw.value * it_mw)
            cols["start"].append(start)
            cols["months"].append(ph.months)
            cols["delay_months"].append(0)
            cols["energization_lag"].append(energize - (start + ph.months))
            cols["it_months"].append(ph.it_months)
            cols["refresh_months"].append(refresh_months)
            cols["refresh_share"].append(refresh_share)
            cols["curve"].append(curve_weights(ph.curve, ph.months))
            cols["facility_line"].append(book.add(owner, outside, Kind.FACILITY, h, label))
            cols["it_line"].append(book.add(it_owner, outside, Kind.IT, h, label))
    width = max((len(w) for w in cols["curve"]), default=1)
    curve = np.zeros((len(names), width))
    for h, w in enumerate(cols["curve"]):
        curve[h, :len(w)] = w
    arrays: dict[str, np.ndarray] = {k: np.array(v) for k, v in cols.items() if k != "curve"}
    arrays["refresh_months"] = np.array(cols["refresh_months"], dtype=np.int64)
    arrays["refresh_share"] = np.array(cols["refresh_share"], dtype=np.float64)
    arrays["curve"] = curve
    for key in ("facility_capex_usd", "it_capex_usd"):
        arrays[key] = np.array([cols[key]], dtype=np.float64).reshape(1, -1)
    arrays["delay_months"] = np.zeros((1, len(names)), dtype=np.int64)
    sites = Table("sites", tuple(s.sites), {"phase_first": np.array(first, dtype=np.int64),
                                            "phase_count": np.array(count, dtype=np.int64)})
    return sites, Table("phases", tuple(names), arrays)
