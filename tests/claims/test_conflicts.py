"""MUS and MCS enumeration: against brute force on random ledgers, and a published textbook example."""

from __future__ import annotations

from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st

from fundcheck.claims.conflicts import brute_force, enumerate_conflicts, minimal_hitting_sets


def _cnf_oracle(clauses: dict[str, list[int]], n_vars: int):
    def feasible(ids: frozenset[str]) -> bool:
        for bits in product((False, True), repeat=n_vars):
            if all(any(bits[abs(lit) - 1] == (lit > 0) for lit in clauses[i]) for i in ids):
                return True
        return False
    return feasible


def test_liffiton_sakallah_2008_running_example():
    # Liffiton & Sakallah (2008), "Algorithms for computing minimal unsatisfiable subsets of constraints",
    # J. Automated Reasoning 40(1), running example: phi = (a)(-a)(-a v b)(-b), clauses C1..C4.
    # MUSes: {C1, C2} and {C1, C3, C4}. MCSes: {C1}, {C2, C3}, {C2, C4}.
    clauses = {"C1": [1], "C2": [-1], "C3": [-1, 2], "C4": [-2]}
    feasible = _cnf_oracle(clauses, 2)
    ids = list(clauses)
    expected_mus = {frozenset({"C1", "C2"}), frozenset({"C1", "C3", "C4"})}
    expected_mcs = {frozenset({"C1"}), frozenset({"C2", "C3"}), frozenset({"C2", "C4"})}
    bf_mus, bf_mcs = brute_force(ids, feasible)
    assert set(bf_mus) == expected_mus and set(bf_mcs) == expected_mcs  # the example, verified by brute force
    mus, mcs = enumerate_conflicts(ids, feasible)
    assert set(mus) == expected_mus and set(mcs) == expected_mcs
    assert set(minimal_hitting_sets(list(expected_mus))) == expected_mcs  # duality


def _interval_oracle(claims: dict[str, tuple[int, int, int]]):
    """Each claim bounds variable v to [lo, hi]; a subset holds iff every variable's bounds intersect; the
    variables are linked by x0 <= x1 (an identity) so conflicts can span variables."""
    from fundcheck.claims.compile import Row, System
    from fundcheck.claims.quantities import Names

    names = Names("t", {}, [], None, {}, [], [])
    rows = {cid: [Row(((f"x{v}", 1.0),), float(lo), float(hi), cid, cid)] for cid, (v, lo, hi) in claims.items()}
    system = System(names=names, variables=["x0", "x1", "x2"],
                    identities=[Row((("x0", 1.0), ("x1", -1.0)), None, 0.0, "", "x0 <= x1")],
                    rows=rows, claims={}, bounds=[(None, None)] * 3)
    return system.feasible


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=7))
def test_enumeration_matches_brute_force_on_random_ledgers(raw):
    claims = {f"c{k}": (v, min(a, b), max(a, b)) for k, (v, a, b) in enumerate(raw)}
    feasible = _interval_oracle(claims)
    ids = list(claims)
    assert enumerate_conflicts(ids, feasible) == brute_force(ids, feasible)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(-3, 3).filter(bool), min_size=1, max_size=3), min_size=1, max_size=7))
def test_enumeration_matches_brute_force_on_random_cnf(raw):
    clauses = {f"c{k}": lits for k, lits in enumerate(raw)}
    feasible = _cnf_oracle(clauses, 3)
    ids = list(clauses)
    muses, mcses = enumerate_conflicts(ids, feasible)
    assert (muses, mcses) == brute_force(ids, feasible)
    # every MCS's complement is consistent, and every MUS meets every MCS
    for c in mcses:
        assert feasible(frozenset(ids) - c)
        assert all(m & c for m in muses)
