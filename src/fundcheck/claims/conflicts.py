"""Minimal conflicting sets (MUSes) and minimal correction sets (MCSes) of a set of constraints.

Works over any monotone oracle ``feasible(subset) -> bool`` (a subset of a feasible set is feasible).

Definitions. A **MUS** is a set of claims that cannot all hold while every proper subset can. An **MCS** is a
set whose removal leaves the rest consistent while removing any proper subset does not; its complement is a
maximal consistent subset (an **MSS**, a *world*). MCSes are exactly the minimal hitting sets of the MUSes and
vice versa (Reiter 1987; Liffiton & Sakallah 2008, "Algorithms for computing minimal unsatisfiable subsets of
constraints", J. Automated Reasoning 40(1)).

Method: dualize and advance (Bailey & Stuckey 2005). Keep the MCSes found so far; the minimal hitting sets of
them are the candidate MUSes. A candidate that is infeasible is a MUS (each proper subset misses some found
MCS, so it lies inside a feasible complement). A feasible candidate is grown greedily to an MSS, whose
complement is a new MCS. When every candidate is infeasible the MCSes are complete: a missing MCS's
complement would hit every found MCS and so contain a feasible candidate. Claims whose constraints share no
variable (``components``) are enumerated apart; MUSes never span components, and the MCSes of the whole are
one MCS (or none, for a consistent component) from each.

``brute_force`` checks every subset: the reference the tests compare with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import combinations, product

__all__ = ["brute_force", "enumerate_conflicts", "minimal_hitting_sets"]

Oracle = Callable[[frozenset[str]], bool]


def minimal_hitting_sets(sets: list[frozenset[str]]) -> list[frozenset[str]]:
    """Every minimal set that meets each of `sets` (Berge's incremental method); [frozenset()] for no sets."""
    current: list[frozenset[str]] = [frozenset()]
    for s in sets:
        nxt: set[frozenset[str]] = set()
        for h in current:
            if h & s:
                nxt.add(h)
            else:
                for e in s:
                    nxt.add(h | {e})
        ordered = sorted(nxt, key=len)
        kept: list[frozenset[str]] = []
        for h in ordered:
            if not any(k <= h for k in kept):
                kept.append(h)
        current = kept
    return current


def _grow(seed: frozenset[str], ids: list[str], feasible: Oracle) -> frozenset[str]:
    """A maximal feasible superset of the feasible `seed`, adding claims in the order of `ids`."""
    kept = set(seed)
    for i in ids:
        if i not in kept and feasible(frozenset(kept | {i})):
            kept.add(i)
    return frozenset(kept)


def _one_component(ids: list[str], feasible: Oracle) -> tuple[list[frozenset[str]], list[frozenset[str]]]:
    everything = frozenset(ids)
    if feasible(everything):
        return [], []
    mcses: list[frozenset[str]] = []
    muses: set[frozenset[str]] = set()
    while True:
        progress = False
        for cand in minimal_hitting_sets(mcses):
            if cand in muses:
                continue
            if feasible(cand):
                mss = _grow(cand, ids, feasible)
                mcses.append(everything - mss)
                progress = True
                break
            muses.add(cand)
        if not progress:
            break
    return _sorted(muses, ids), _sorted(mcses, ids)


def _sorted(sets: Iterable[frozenset[str]], ids: list[str]) -> list[frozenset[str]]:
    order = {i: k for k, i in enumerate(ids)}
    return sorted(set(sets), key=lambda s: (len(s), sorted(order[i] for i in s)))


def enumerate_conflicts(ids: list[str], feasible: Oracle,
                        components: list[list[str]] | None = None) -> tuple[list[frozenset[str]], list[frozenset[str]]]:
    """(MUSes, MCSes) of the claims `ids` under `feasible`, each list sorted by size then by order in `ids`.

    `components`: a partition of `ids` into groups that share no constraint variable (default: one group)."""
    groups = components if components is not None else [list(ids)]
    muses: list[frozenset[str]] = []
    per_group: list[list[frozenset[str]]] = []
    for group in groups:
        m, c = _one_component(group, feasible)
        muses += m
        if c:
            per_group.append(c)
    mcses = [frozenset().union(*combo) for combo in product(*per_group)] if per_group else []
    return _sorted(muses, ids), _sorted(mcses, ids)


def brute_force(ids: list[str], feasible: Oracle) -> tuple[list[frozenset[str]], list[frozenset[str]]]:
    """(MUSes, MCSes) by checking every subset: exponential, for tests and tiny ledgers."""
    subsets = [frozenset(c) for k in range(len(ids) + 1) for c in combinations(ids, k)]
    ok = {s: feasible(s) for s in subsets}
    muses = [s for s in subsets if not ok[s] and all(ok[s - {e}] for e in s)]
    everything = frozenset(ids)
    maximal = [s for s in subsets if ok[s] and all(not ok[s | {e}] for e in everything - s)]
    mcses = [everything - s for s in maximal if s != everything]
    return _sorted(muses, ids), _sorted(mcses, ids)
