"""Mutation fuzzing of distributions in scenario values: every mutant loads and simulates, or fails with a
located error.

Mutants of the built-in stargate scenario (which has a distribution of every kind the loader reads, a reference
class, defaults, a rate shift and a correlation matrix), changed where the distributions are: a distribution's
fields deleted or set to odd values (swapped types; huge, negative, NaN and infinite numbers; empty and very long
strings; p10 >= p90, low > high, a mode outside [low, high], non-positive sd and shapes), choice options that are
empty, weights that sum to 0 or are negative, unknown alternatives and reference classes, truncation outside the
distribution, samples of odd length, matrices of the wrong shape or not a correlation matrix, unknown and repeated
correlated inputs, odd copulas; plus the text mutations of ``bench/fuzz.py``. Each goes through what `fundcheck
validate FILE` (``load_text``) and `fundcheck simulate FILE --paths 20` (``uncertainty.runner.simulate``) do. A
longer campaign::

    .venv/bin/python -m tests.uncertainty.test_fuzz_distributions --n 3000 --seed 0
"""

from __future__ import annotations

import argparse
import copy
import random
from pathlib import Path
from typing import Any, TypeVar

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzzing import DrawPicker, fuzz

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
FILENAME = "dist.yaml"


SCENARIO = (ROOT / "src" / "fundcheck" / "scenario" / "builtin" / "stargate.yaml").read_text(encoding="utf-8")

NUMBERS: list[Any] = [float("nan"), float("inf"), -float("inf"), 1e400, 10**400, -(10**400), 1e308, -1e308, 5e-324,
                      -1, 0, -0.0, 1, 0.5, 1e15, 1e16, 2**63, "$1e400", "$nan", "nan", "inf", "-inf", "1e400%", "nan%",
                      "-5%", "150%", "%", "$", "$5Q", "$10B", "10B", "-10B", "1e-400", "", " ", None, True, False, [],
                      {}, [1], [1, 2, 3], "x" * 3000, "é" * 100, "\u202e", "2026-07", "12.5M", "8.8M", "14.8M"]
DIST_NAMES = ["lognormal", "normal", "uniform", "triangular", "pert", "beta", "choice", "empirical", "", "Normal",
              "gamma", None, 5, [], {}, "x" * 500]
OPTIONS: list[Any] = [{}, [], None, "central", {"central": 0}, {"central": 0, "cost-epoch": 0},
                      {"central": -1, "cost-epoch": 2}, {"central": float("nan")}, {"central": float("inf")},
                      {"central": 1e400}, {"central": 1e308, "cost-epoch": 1e308}, {"nope": 1}, {"": 1},
                      {"punitive-dilution": 1}, {"central": "x"}, {"central": None}, {"central": []}, {1: 1},
                      {None: 1}, {"central": True}, {"central": "50%", "cost-epoch": "50%"}, {"central": 5e-324},
                      {"central": -0.0}, {"x" * 500: 1}]
SAMPLES: list[Any] = [[], [1], [1, 1], [1, 2], [float("nan"), 1], [float("inf"), 1], [1e400, 1], ["$1B", "$2B"],
                      [None, 1], [[], 1], "1, 2", None, {}, [1] * 100_001, [-1, -2], [0, 0, 0], [1e308, -1e308]]
TRUNCATES: list[Any] = [[0, 1], [1, 0], [5, 5], [], [1], [1, 2, 3], [float("nan"), 1], [-float("inf"), float("inf")],
                        [1e400, 1e401], ["-3%", "3%"], ["3%", "-3%"], [1e20, 1e21], [-1e21, -1e20], [0, 1e-300],
                        None, "x", {}, [None, None], ["$1B", "$2B"], [1e12, 1e13]]
REFERENCES = ["epoch-build-months", "flyvbjerg-2002-all", "flyvbjerg-2002-rail", "nope", "", None, 5, [], "x" * 500]
NAMES: list[Any] = ["IT cost per MW", "facility cost per MW", "SoftBank cash", "", " ", None, 5, [], "x" * 201,
                    "rate shift", "uncertainty.phase_delay", "é", "\u202e"]
MATRICES: list[Any] = [[], [[1]], [[1, 0.5]], [[1, 0.5], [0.5]], [[1, 0.5], [0.5, 1], [0, 0]],
                       [[1, 0.5, 0], [0.5, 1, 0], [0, 0, 1]], [[1, 2], [2, 1]], [[1, 0.5], [0.4, 1]],
                       [[2, 0.5], [0.5, 2]], [[1, float("nan")], [float("nan"), 1]], [[1, 1e400], [1e400, 1]],
                       [[1, -1], [-1, 1]], [[1, 1], [1, 1]], [[1, "x"], ["x", 1]], [[1, None], [None, 1]],
                       [[1, []], [[], 1]], None, "x", 5, {}, [1, 0.5], [[[1]]], [[1, "50%"], ["50%", 1]],
                       [[1, 0.5], [0.5, 1]], [[0, 0], [0, 0]], [[1, 1e-20], [1e-20, 1]]]
INPUTS: list[Any] = [[], ["IT cost per MW"], ["IT cost per MW", "IT cost per MW"], ["IT cost per MW", "nope"],
                     ["uncertainty.phase_delay", "IT cost per MW"], ["IT cost per MW", "facility cost per MW",
                                                                     "SoftBank cash"],
                     ["defaults.it_capex_per_mw", "defaults.facility_capex_per_mw"], [None, 5], None, "x", {},
                     ["", ""], ["rate shift", "SoftBank cash"]]
COPULAS: list[Any] = ["gaussian", "t", "iman-conover", "", "clayton", None, 5, []]
DFS: list[Any] = [0, -1, 1, 2, 4, 0.5, 1e400, float("nan"), float("inf"), 10**400, "x", None, [], 1e6, 2.5]
DEFAULTS: list[Any] = [{"probability": "30%", "at": "2025-07", "source": "s"}, {"probability": "150%", "at": "2025-07"},
                       {"probability": "-5%", "at": "2025-07", "source": "s"}, {"probability": float("nan"),
                                                                                "source": "s"},
                       {"hazard_per_year": "5%", "source": "s"}, {"hazard_per_year": 0, "source": "s"},
                       {"hazard_per_year": -1, "source": "s"}, {"hazard_per_year": float("inf"), "source": "s"},
                       {"hazard_per_year": 1e400, "source": "s"}, {"hazard_per_year": 1e-300, "source": "s"},
                       {"probability": "30%", "at": "2099-01", "source": "s"},
                       {"probability": "30%", "at": "2025-13", "source": "s"}, {"source": "s"}, {}, None, 5,
                       {"probability": "30%", "hazard_per_year": "5%", "at": "2025-07", "source": "s"}]
RATE_SHIFT: list[Any] = [{"value": 0, "dist": "normal", "mean": 0, "sd": "1%"}, {"value": 1, "dist": "normal",
                                                                               "mean": 0, "sd": "1%"},
                         {"value": 0, "dist": "normal", "mean": 0, "sd": 1e300}, {"value": 0, "dist": "uniform",
                                                                                 "low": -1e300, "high": 1e300},
                         {"value": 0, "dist": "normal", "mean": 1e300, "sd": 1}, 0, None, "x",
                         {"value": 0, "dist": "lognormal", "p10": 1, "p90": 2}, {"value": 0, "reference":
                                                                                 "flyvbjerg-2002-all"}]
DIST_FIELDS: dict[str, list[Any]] = {
    "dist": DIST_NAMES, "p5": NUMBERS, "p95": NUMBERS, "p10": NUMBERS, "p90": NUMBERS, "low": NUMBERS,
    "mode": NUMBERS, "high": NUMBERS, "mean": NUMBERS, "sd": NUMBERS, "alpha": NUMBERS, "beta": NUMBERS,
    "options": OPTIONS, "sample": SAMPLES, "truncate": TRUNCATES, "reference": REFERENCES, "name": NAMES,
    "value": NUMBERS, "source": ["", None, 5, "x" * 3000],
}
# whole distributions, each complete, to put on a variable number (with its point value kept or dropped)
WHOLE: list[dict[str, Any]] = [
    {"dist": "lognormal", "p10": 1, "p90": 1}, {"dist": "lognormal", "p10": 2, "p90": 1},
    {"dist": "lognormal", "p5": 0, "p95": 1}, {"dist": "lognormal", "p5": -1, "p95": 1},
    {"dist": "lognormal", "p5": 5e-324, "p95": 1e308}, {"dist": "lognormal", "p10": 1e-300, "p90": 1e300},
    {"dist": "lognormal", "p10": 1, "p90": 2, "p5": 0.5}, {"dist": "lognormal"},
    {"dist": "normal", "mean": 0, "sd": 0}, {"dist": "normal", "mean": 0, "sd": -1}, {"dist": "normal", "mean": 0},
    {"dist": "normal", "mean": 1e308, "sd": 1e308}, {"dist": "normal", "p10": 5, "p90": 5},
    {"dist": "normal", "mean": 1e15, "sd": 5e-324}, {"dist": "uniform", "low": 1, "high": 1},
    {"dist": "uniform", "low": -1e308, "high": 1e308}, {"dist": "uniform", "low": 2, "high": 1},
    {"dist": "triangular", "low": 1, "mode": 1, "high": 1}, {"dist": "triangular", "low": 1, "mode": 3, "high": 2},
    {"dist": "triangular", "low": 0, "mode": 0, "high": 1e-300}, {"dist": "pert", "low": 1, "mode": 1, "high": 2},
    {"dist": "pert", "low": 1, "mode": 2, "high": 2}, {"dist": "pert", "low": 0, "mode": 1e-300, "high": 1e300},
    {"dist": "beta", "alpha": 0, "beta": 1}, {"dist": "beta", "alpha": 1e-300, "beta": 1e-300},
    {"dist": "beta", "alpha": 1e300, "beta": 1e300}, {"dist": "beta", "alpha": 1, "beta": 1, "low": 1, "high": 1},
    {"dist": "beta", "alpha": 2, "beta": 2, "low": 5}, {"dist": "choice", "options": {}},
    {"dist": "choice", "options": {"central": 0}}, {"dist": "choice", "options": {"central": 1}},
    {"dist": "choice"}, {"dist": "empirical", "sample": [1, 1]}, {"dist": "empirical", "sample": []},
    {"dist": "empirical", "sample": [1e308, 1e308]}, {"dist": "normal", "mean": 0, "sd": 1, "truncate": [5, 6]},
    {"dist": "normal", "mean": 0, "sd": 1, "truncate": [50, 60]}, {"dist": "normal", "mean": 0, "sd": 1,
                                                                   "truncate": [-1e300, -1e299]},
    {"dist": "lognormal", "p10": 1, "p90": 2, "truncate": [-5, -1]}, {"dist": "uniform", "low": 0, "high": 1,
                                                                     "truncate": [2, 3]},
    {"dist": "empirical", "sample": [1, 2], "truncate": [5, 6]}, {"dist": "choice", "options": {"central": 1},
                                                                  "truncate": [1e20, 1e21]},
    {"reference": "flyvbjerg-2002-all"}, {"reference": "epoch-build-months"},
    {"reference": "flyvbjerg-2002-all", "truncate": [1e20, 1e21]}, {"reference": "epoch-build-months",
                                                                    "truncate": [100, 200]},
    {"reference": "flyvbjerg-2002-all", "dist": "normal"}, {"reference": "nope"},
    {"dist": "beta", "alpha": 2, "beta": 2, "low": -1e308, "high": 1e308},
    {"dist": "triangular", "low": -1e308, "mode": 0, "high": 1e308},
]
# where a distribution may go (and some where it may not), as paths into the parsed scenario
TARGETS: list[tuple[Any, ...]] = [
    ("defaults", "facility_capex_per_mw"), ("defaults", "it_capex_per_mw"), ("entities", "SoftBank", "cash"),
    ("entities", "Oracle", "cash"), ("entities", "MGX", "cash"), ("sites", "Abilene", "phases", 0, "delay"),
    ("sites", "Abilene", "phases", 1, "delay"), ("uncertainty", "phase_delay"), ("uncertainty", "rate_shift", "annual"),
    ("instruments",), ("contracts",), ("horizon",),
]


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for k in path:
        in_list = isinstance(data, list) and isinstance(k, int) and 0 <= k < len(data)
        if (isinstance(data, dict) and k in data) or in_list:
            data = data[k]
        else:
            return None
    return data


def _dists(data: Any) -> list[dict[str, Any]]:
    """Every mapping in the data with a `dist:` or `reference:` (a distribution as written)."""
    out: list[dict[str, Any]] = []
    todo = [data]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            if "dist" in node or "reference" in node:
                out.append(node)
            todo += list(node.values())
        elif isinstance(node, list):
            todo += node
    return out


def _set_target(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> bool:
    if path in (("instruments",), ("contracts",)):  # some instrument's amount / limit / rate, or contract price
        group = data.get(path[0])
        if not isinstance(group, dict) or not group:
            return False
        return False if not group else _set_any_number(group, value)
    if path == ("horizon",):
        data["horizon"] = value
        return True
    parent = _get(data, path[:-1])
    if isinstance(parent, dict) or (isinstance(parent, list) and isinstance(path[-1], int) and path[-1] < len(parent)):
        parent[path[-1]] = value
        return True
    return False


def _set_any_number(group: dict[str, Any], value: Any) -> bool:
    for item in group.values():
        if isinstance(item, dict):
            for key in ("amount", "limit", "rate", "rate_per_mw_month", "rate_per_gpu_hour", "usd_per_year",
                        "start"):
                if key in item:
                    item[key] = value
                    return True
    return False


def mutate_dists(data: dict[str, Any], pick: Any) -> str:
    how = pick.int(0, 9)
    dists = _dists(data)
    if how <= 2 and dists:  # one field of an existing distribution
        d = pick.choice(dists)
        key = pick.choice(sorted(DIST_FIELDS))
        if pick.int(0, 3) == 0 and key in d:
            del d[key]
            return f"delete {key}"
        d[key] = copy.deepcopy(pick.choice(DIST_FIELDS[key]))
        return f"set {key}"
    if how == 3:  # a whole odd distribution somewhere
        path = pick.choice(TARGETS)
        dist = copy.deepcopy(pick.choice(WHOLE))
        if pick.int(0, 1):
            dist["value"] = copy.deepcopy(pick.choice(NUMBERS[:20]))
        dist["source"] = "fuzz"
        if pick.int(0, 2) == 0:
            dist["name"] = pick.choice(NAMES)
        return f"distribution {dist} at {'.'.join(map(str, path))}" if _set_target(data, path, dist) else "none"
    if how == 4:  # the short form 'A to B'
        path = pick.choice(TARGETS)
        text = pick.choice(["35B to 60B", "60B to 35B", "0 to 1", "-1 to 1", "nan to 1", "1e400 to 1e401", "to",
                            "x to y", "1 to 1", " to ", "35B to 60B to 70B", "1% to 2%"])
        return "short form" if _set_target(data, path, text) else "none"
    c = data.get("correlations")
    if not isinstance(c, dict):
        c = data["correlations"] = {"inputs": ["IT cost per MW", "facility cost per MW"],
                                    "matrix": [[1, 0.5], [0.5, 1]]}
    if how == 5:
        c["matrix"] = copy.deepcopy(pick.choice(MATRICES))
        return "matrix"
    if how == 6:
        c["inputs"] = copy.deepcopy(pick.choice(INPUTS))
        if pick.int(0, 1) and isinstance(c["inputs"], list):
            n = len(c["inputs"])
            c["matrix"] = [[1.0 if i == j else pick.choice([0.0, 0.5, 0.99, -0.5, 1.0]) for j in range(n)]
                           for i in range(n)]
        return "inputs"
    if how == 7:
        c["copula"] = pick.choice(COPULAS)
        if pick.int(0, 1):
            c["df"] = copy.deepcopy(pick.choice(DFS))
        return "copula"
    u = data.get("uncertainty")
    if not isinstance(u, dict):
        u = data["uncertainty"] = {}
    if how == 8:
        defaults = u.setdefault("defaults", {}) if isinstance(u.get("defaults", {}), dict) else {}
        defaults[pick.choice(["Co-investors", "SoftBank", "Nobody", "Stargate JV"])] = copy.deepcopy(
            pick.choice(DEFAULTS))
        return "default"
    key = pick.choice(["rate_shift.annual", "rate_shift.start", "dates", "phase_delay", "whole"])
    if key == "rate_shift.annual" and isinstance(u.get("rate_shift"), dict):
        u["rate_shift"]["annual"] = copy.deepcopy(pick.choice(RATE_SHIFT))
    elif key == "rate_shift.start" and isinstance(u.get("rate_shift"), dict):
        u["rate_shift"]["start"] = pick.choice(["2026-13", "1900-01", "2099-01", "", None, 5, "2025-01"])
    elif key == "dates":
        u["dates"] = copy.deepcopy(pick.choice([[], ["2099-01"], ["2025-13"], ["2026-12", "2026-12"], None, "x",
                                                 ["1900-01"], [5], [None]]))
    elif key == "phase_delay":
        u["phase_delay"] = copy.deepcopy(pick.choice([{"reference": "flyvbjerg-2002-all", "source": "s"},
                                                      {"dist": "normal", "mean": -5, "sd": 1, "source": "s"},
                                                      {"dist": "uniform", "low": 0, "high": 1e9, "source": "s"},
                                                      {"dist": "uniform", "low": -1e9, "high": 0, "source": "s"},
                                                      {"dist": "lognormal", "p10": 1, "p90": 1e300, "source": "s"},
                                                      {"value": 3, "source": "s"}, 5, None]))
    else:
        data["uncertainty"] = copy.deepcopy(pick.choice([None, {}, [], "x", 5]))
    return f"uncertainty {key}"


def mutate(text: str, pick: Any) -> tuple[str, list[str]]:
    """One to three mutations: mostly aimed at the fields, sometimes on the text (``bench/fuzz.py``)."""
    return fuzz.mutate_mixed(text, pick, mutate_dists, 4)


OK, LOCATED, UNLOCATED, CRASH, TIMEOUT = fuzz.OK, fuzz.LOCATED, fuzz.UNLOCATED, fuzz.CRASH, fuzz.TIMEOUT
Outcome = fuzz.Outcome


def check(text: str, paths: int = 20, timeout: float = 30.0) -> Outcome:
    """Load `text` as `fundcheck validate` does and, if it loads, simulate it as `fundcheck simulate --paths 20`."""
    from fundcheck.scenario import load_text
    from fundcheck.uncertainty.runner import simulate

    def work(stage: Any) -> None:
        scenario = load_text(text, FILENAME)
        if paths:
            stage("simulate")
            r = simulate(scenario, paths=paths, seed=0, workers=1, fan_paths=paths)
            r.to_json()

    return fuzz.guarded(work, "load", FILENAME, timeout, located_stages=("load",))


@settings(derandomize=True, max_examples=120, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_distribution_mutants_simulate_or_fail_with_a_located_error(data: st.DataObject) -> None:
    mutant, done = mutate(SCENARIO, DrawPicker(data))
    outcome = check(mutant)
    note = f"{', '.join(done)}: {outcome.kind} {outcome.detail} at {outcome.where}: {outcome.message[:500]}"
    assert outcome.kind not in (CRASH, TIMEOUT), note
    # a run may refuse what it cannot do (a UsageError has no line); loading must always say where
    assert outcome.kind != UNLOCATED or outcome.stage == "simulate", note


def test_the_unmutated_scenario_simulates() -> None:
    assert check(SCENARIO).kind == OK


def test_mutations_are_deterministic_and_change_the_scenario() -> None:
    first = [mutate(SCENARIO, fuzz.RandomPicker(random.Random(5)))[0] for _ in range(2)]
    assert first[0] == first[1]
    assert sum(mutate(SCENARIO, fuzz.RandomPicker(random.Random(k)))[0] != SCENARIO for k in range(10)) >= 8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--paths", type=int, default=20)
    args = parser.parse_args()
    fuzz.campaign(SCENARIO, mutate, lambda mutant: check(mutant, paths=args.paths), args.n, args.seed)

if __name__ == "__main__":
    main()


# --- regressions: silent wrong numbers the campaign found ----------------------------------------------------------

def _with(path: tuple[Any, ...], value: Any) -> str:
    data = yaml.load(SCENARIO, Loader=yaml.CSafeLoader)
    parent = _get(data, path[:-1])
    parent[path[-1]] = value
    return yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False, width=10**6)


def test_a_truncation_outside_the_distribution_is_a_located_error() -> None:
    # was: every path clipped to the bound (SoftBank's cash 60 on every path), with no word
    for dist in ({"value": "10B", "dist": "normal", "mean": 0, "sd": 1, "truncate": [50, 60], "source": "s"},
                 {"value": "10B", "dist": "lognormal", "p10": "9B", "p90": "11B", "truncate": ["100B", "200B"],
                  "source": "s"},
                 {"value": "10B", "dist": "empirical", "sample": ["9B", "11B"], "truncate": ["100B", "200B"],
                  "source": "s"},
                 {"value": "10B", "reference": "flyvbjerg-2002-all", "truncate": ["1e14", "1e15"], "source": "s"},
                 {"value": 0, "reference": "flyvbjerg-2002-all", "truncate": [1, 2], "source": "s"}):
        outcome = check(_with(("entities", "SoftBank", "cash"), dist), paths=0)
        assert outcome.kind == LOCATED, (dist, outcome.message)
        assert "entities.SoftBank.cash.truncate" in outcome.message, outcome.message
    ok = {"value": "10B", "dist": "normal", "mean": "10B", "sd": "1B", "truncate": ["9B", "12B"], "source": "s"}
    assert check(_with(("entities", "SoftBank", "cash"), ok), paths=0).kind == OK


def test_a_huge_sampled_delay_does_not_overflow_the_month_column() -> None:
    # was: 1.7e16 months cast to int64 ('invalid value encountered in cast'): a garbage delay on some paths
    import warnings

    from fundcheck.scenario import load_text
    from fundcheck.uncertainty.runner import simulate

    text = _with(("uncertainty", "phase_delay"), {"dist": "lognormal", "p10": 1, "p90": "1e15", "source": "s"})
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        r = simulate(load_text(text, FILENAME), paths=50, seed=0, workers=1, fan_paths=10)
    assert r.to_json()["paths"] == 50
