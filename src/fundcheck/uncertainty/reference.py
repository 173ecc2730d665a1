"""Reference classes: cited priors for build durations and cost overruns, named from a scenario.

Each class is a distribution of a ratio r with point value 1 (``data/reference/classes.json``):

- ``epoch-build-months``: the months from construction start to first power at the 16 data centers of Epoch AI's
  Frontier Data Centers hub (``data/epoch/data_center_timelines.csv``, CC BY 4.0), each divided by their median.
  Equal weight on each site. A phase of planned length m then slips max(0, round(m (r - 1))) months: the plan is
  read as a typical (median) build, and a faster one does not bring the schedule forward.
- ``flyvbjerg-2002-*``: Flyvbjerg, Holm and Buhl (2002), cost escalation of transport infrastructure projects in
  constant prices, as a lognormal on the ratio actual / estimated cost matched to the reported mean and standard
  deviation. (The lognormal puts P(r < 1) near 25%; the study reports about 86% of projects over budget, so this
  prior is conservative on how often costs overrun and faithful to how much on average.) Data centers are not
  transport projects: the class is a stated outside view, not a fitted one.
"""

from __future__ import annotations

import csv
import math
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
from scipy import stats

from fundcheck.errors import UsageError
from fundcheck.scenario.uncertain import reference_classes

__all__ = ["epoch_build_months", "reference_classes", "reference_distribution"]


@cache
def epoch_build_months() -> dict[str, float]:
    """Months from the first milestone (construction start, 0 MW) to the first row with power above 0 MW, by site.

    Months are days / (365.25 / 12). Sites whose first power date lies after the snapshot carry Epoch's projection.
    """
    from datetime import datetime

    path = resources.files("fundcheck") / "data" / "epoch" / "data_center_timelines.csv"
    first: dict[str, Any] = {}
    powered: dict[str, Any] = {}
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            site, when = row["Data center"], datetime.strptime(row["Date"], "%m/%d/%Y")
            power = float(row["Power (MW)"] or 0)
            if site not in first or when < first[site]:
                first[site] = when
            if power > 0 and (site not in powered or when < powered[site]):
                powered[site] = when
    return {s: (powered[s] - first[s]).days / (365.25 / 12) for s in sorted(powered)}


def reference_distribution(name: str) -> Any:
    """The ratio distribution of a reference class: a frozen scipy.stats distribution (or rv_discrete)."""
    classes = reference_classes()
    if name not in classes:
        raise UsageError(f"no reference class named '{name}'; expected one of: {', '.join(sorted(classes))}")
    spec = classes[name]
    if spec["kind"] == "epoch_build_duration":
        months = np.array(sorted(epoch_build_months().values()))
        ratios = months / np.median(months)
        return stats.rv_discrete(values=(np.arange(len(ratios)), np.full(len(ratios), 1 / len(ratios)))), ratios
    if spec["kind"] == "cost_ratio_lognormal":
        mean, sd = 1.0 + spec["mean_overrun"], spec["sd_overrun"]
        sigma2 = math.log1p((sd / mean) ** 2)
        return stats.lognorm(s=math.sqrt(sigma2), scale=mean * math.exp(-sigma2 / 2)), None
    raise UsageError(f"reference class '{name}' has an unknown kind '{spec['kind']}'")
