"""Views of a ledger for other tools: schema.org ClaimReview JSON-LD, and the timeline rows."""

from __future__ import annotations

from typing import Any

from fundcheck.claims.ledger import Ledger

__all__ = ["claim_review", "timeline_rows"]


def rating(check: Any, cid: str) -> dict[str, Any]:
    """A claim's schema.org Rating from a check: 3 consistent (with every other claim and the model),
    2 conflicts with other claims (or, for a forecast, unresolved / not yet due), 1 contradicted by the model
    (or a failed forecast). `alternateName` says which, in words."""
    from fundcheck.claims.answer import _model_state

    c = check.ledger.by_id()[cid]
    if c.kind == "forecast":
        verdict, why = check.verdicts.get(cid, ("unresolved", ""))
        value = {"held": 3, "failed": 1}.get(verdict, 2)
        name = f"forecast {verdict}" + (f": {why}" if why else "")
    else:
        model = _model_state(check, cid)
        conflicts = [c2 for c2 in check.conflicts if cid in c2]
        if model.startswith("contradicted"):
            value, name = 1, model
        elif conflicts:
            others = sorted({i for c2 in conflicts for i in c2} - {cid})
            value, name = 2, f"conflicts with other claims: cannot all hold with {', '.join(others)}"
        else:
            value, name = 3, "consistent with every other claim" + (f" and {model}" if model else "")
    return {"@type": "Rating", "ratingValue": value, "bestRating": 3, "worstRating": 1, "alternateName": name}


def claim_review(ledger: Ledger, check: Any = None) -> dict[str, Any]:
    """The checked claims as schema.org ClaimReview items (one per claim; ClaimReview relates no claims to
    each other, so conflicts stay in fundcheck's own JSON). With a `check` (``check_ledger``), each review
    carries its `reviewRating`."""
    from fundcheck.claims.check import describe

    items = []
    for c in ledger.claims:
        if not c.checked:
            continue
        kind = c.speaker_kind or ("person" if c.speaker else "organization")
        author = {"@type": "Organization" if kind == "organization" else "Person", "name": c.who}
        appearance: dict[str, Any] = {"@type": "CreativeWork"}
        if c.url:
            appearance["url"] = c.url
        if c.outlet:
            appearance["name"] = c.outlet
        words = c.translation or c.quote or c.title
        what = f"{describe(c)} {c.bound_text()}"
        item: dict[str, Any] = {"@type": "Claim", "datePublished": c.said.first.isoformat(), "author": author,
                                "inLanguage": c.language or "en"}
        if c.quote_kind == "paraphrase":  # the fact base's wording, not the speaker's: not presented as a quote
            item["description"] = f"paraphrase, not the speaker's words: {c.quote}"
        elif c.quote:
            item["text"] = c.quote
        if len(appearance) > 1:
            item["appearance"] = appearance
        review: dict[str, Any] = {
            "@type": "ClaimReview",
            "identifier": c.id,
            "claimReviewed": f"{c.who} ({c.said}): {words}" + (f" [{what}]" if words else what),
            "itemReviewed": item,
            "author": {"@type": "Organization", "name": "fundcheck"},
            "reviewBody": f"{c.id}, said {c.said} by {c.who}: {what}" + (f" (source {c.source})" if c.source else ""),
        }
        if check is not None:
            review["reviewRating"] = rating(check, c.id)
            review["reviewBody"] += f". Rated: {review['reviewRating']['alternateName']}."
        items.append(review)
    return {"@context": "https://schema.org", "@graph": items}


def timeline_rows(ledger: Ledger) -> list[dict[str, str]]:
    rows = []
    for c in sorted(ledger.claims, key=lambda c: c.said):
        text = c.title or c.translation or c.quote
        who = f"{c.who}: " if c.speaker or c.outlet else ""
        rows.append({"date": str(c.said), "first": c.said.first.isoformat(), "kind": c.kind, "id": c.id,
                     "text": (who + text)[:160], "source": c.source})
    return rows
