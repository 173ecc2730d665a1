"""Checks of meaning for waterfalls and governance (the loader runs them with the other meaning checks).

Each check yields (path, message) pairs; the loader turns them into located Problems.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fundcheck import errors
from fundcheck.scenario.quantities import parse_quota
from fundcheck.scenario.schema import BodySpec, Equity, Scenario, WaterfallSpec

__all__ = ["governance_problems", "waterfall_problems"]

Found = Iterator[tuple[tuple[Any, ...], str]]


def waterfall_problems(s: Scenario) -> Found:
    """Waterfalls that name unknown parties, have tiers out of order, caps below 1x, or a bad beneficiary."""
    names = list(s.entities)
    for entity, wf in s.waterfalls.items():
        here: tuple[Any, ...] = ("waterfalls", entity)
        if entity not in s.entities:
            yield here, errors.msg_unknown_entity(entity, names)
        for k, party in enumerate(wf.parties):
            if party not in s.entities:
                yield here + ("parties", k), errors.msg_unknown_entity(party, names)
        if wf.beneficiary is not None and wf.beneficiary not in wf.parties:
            yield here + ("beneficiary",), (f"the beneficiary '{wf.beneficiary}' is not a party of this waterfall; "
                                            f"expected one of: {', '.join(wf.parties) or '(none listed)'}")
        for party, cap in wf.caps.items():
            if party not in wf.parties:
                yield here + ("caps", party), f"'{party}' is not a party of this waterfall"
            if cap.value < 1:
                yield here + ("caps", party), (f"a cap of {cap.value:g}x would take back capital; expected a "
                                               "multiple of 1x or more")
        if wf.caps and wf.beneficiary is None:
            yield here + ("caps",), "caps need a `beneficiary` to receive what they hold back"
        yield from _tiers(wf, here)
        if wf.style == "american" and not wf.deals:
            yield here + ("deals",), "an american waterfall needs `deals` (each with its capital and exit)"
        if wf.style == "european" and wf.deals:
            yield here + ("deals",), "deals belong to american waterfalls; expected style: american"
        for d, deal in enumerate(wf.deals):
            for party in deal.contributions:
                if party not in wf.parties:
                    yield here + ("deals", d, "contributions", party), f"'{party}' is not a party of this waterfall"


def _tiers(wf: WaterfallSpec, here: tuple[Any, ...]) -> Found:
    """Order: return_of_capital tiers first; a catch_up after a preferred_return; an open split last."""
    seen_hurdle = False
    for k, tier in enumerate(wf.tiers):
        at = here + ("tiers", k)
        before = wf.tiers[k - 1] if k else None
        if tier.kind == "return_of_capital" and before is not None and before.kind != "return_of_capital":
            yield at, (f"tiers out of order: return_of_capital after {before.kind}; expected capital to be "
                       "returned before any hurdle, catch-up or split")
        if before is not None and before.kind == "split" and before.until is None:
            yield at, "a split without `until` takes everything left; expected it to be the last tier"
        for party in [*(tier.investors or []), *tier.shares, *([tier.gp] if tier.gp else [])]:
            if party not in wf.parties:
                yield at, (f"'{party}' is not a party of this waterfall; expected one of: "
                           f"{', '.join(wf.parties) or '(none listed)'}")
        if tier.kind == "preferred_return":
            seen_hurdle = True
            if tier.until is None:
                yield at, "a preferred_return needs `until` (an irr or a multiple)"
        if tier.kind == "catch_up":
            if not seen_hurdle:
                yield at, "tiers out of order: a catch_up needs a preferred_return before it"
            if tier.gp is None or tier.carry is None:
                yield at, "a catch_up needs `gp` and `carry`"
            elif (tier.gp_share.value if tier.gp_share else 1.0) <= tier.carry.value:
                yield at, "the catch-up share must be larger than the carry, or the GP never catches up"
        if tier.kind == "split" and tier.by == "stake" and tier.until is not None:
            yield at, "a split by stake cannot have `until`; split by capital to test a hurdle"


VOTES_PER_STAKE = 1_000_000  # a body that votes by stake counts it in parts per million (as governance.control)


def governance_problems(s: Scenario) -> Found:
    """Governance that names unknown parties or bodies, has a quota it cannot read or that is more than the
    votes of its body, or belongs to an entity whose equity carries no stake above zero."""
    names = list(s.entities)
    for entity, gov in s.governance.items():
        here: tuple[Any, ...] = ("governance", entity)
        if entity not in s.entities:
            yield here, errors.msg_unknown_entity(entity, names)
        stakes: dict[str, float] = {}  # holder -> committed stake, as governance.control adds them up
        for ins in s.instruments:
            if isinstance(ins, Equity) and ins.to == entity and ins.stake is not None:
                stakes[ins.from_] = stakes.get(ins.from_, 0.0) + ins.stake.value
        if not stakes:
            yield here, errors.msg_no_stakes(entity)
        elif sum(stakes.values()) <= 0:
            yield here, errors.msg_zero_stakes(entity)
        if gov.chair is not None and gov.chair not in s.entities:
            yield here + ("chair",), errors.msg_unknown_entity(gov.chair, names)
        bodies = [b.name for b in gov.bodies]
        for b, body in enumerate(gov.bodies):
            try:
                quota = parse_quota(body.quota)
            except ValueError:
                yield here + ("bodies", b, "quota"), (f"cannot read {errors.shown(body.quota)} as a quota; expected "
                                                      "'majority', 'unanimous', a share such as '2/3' or '75%', "
                                                      "or a vote count")
            else:
                yield from _votes_problems(body, quota, stakes, here + ("bodies", b))
            if isinstance(body.weights, dict):
                for party in body.weights:
                    if party not in s.entities:
                        yield here + ("bodies", b, "weights", party), errors.msg_unknown_entity(party, names)
            if body.weights == "seats" and body.seats is None:
                yield here + ("bodies", b), "weights: seats needs `seats` (how many)"
        for m, matter in enumerate(gov.matters):
            for k, body in enumerate(matter.bodies):
                if body not in bodies:
                    yield here + ("matters", m, "bodies", k), (f"no body named '{body}'; expected one of: "
                                                               f"{', '.join(bodies)}")
            for k, party in enumerate(matter.vetoes):
                if party not in s.entities:
                    yield here + ("matters", m, "vetoes", k), errors.msg_unknown_entity(party, names)


def _votes_problems(body: BodySpec, quota: Any, stakes: dict[str, float], here: tuple[Any, ...]) -> Found:
    """A body whose votes add up to zero, or whose quota (a number of votes) is more than all its votes."""
    if isinstance(body.weights, dict):
        total, how = sum(round(w.value) for w in body.weights.values()), "fixed votes"
        if total <= 0:
            yield here + ("weights",), errors.msg_no_votes(body.name)
            return
    elif body.weights == "seats":
        if body.seats is None:
            return  # reported above
        total, how = body.seats, "seats"
    else:
        total, how = sum(round(v * VOTES_PER_STAKE) for v in stakes.values()), "stake, in parts per million"
    if isinstance(quota, int) and total > 0 and quota > total:
        yield here + ("quota",), errors.msg_quota_above_votes(quota, total, how)
