"""Views of a ledger for other tools: schema.org ClaimReview JSON-LD, and the timeline rows."""

from __future__ import annotations

from typing import Any

from fundcheck.claims.ledger import Ledger

__all__ = ["claim_review", "timeline_rows"]


def claim_review(ledger: Ledger, verdicts: dict[str, str] | None = None) -> dict[str, Any]:
    """The checked claims as schema.org ClaimReview items (one per claim; ClaimReview relates no claims to
    each other, so conflicts stay in fundcheck's own JSON)."""
    items = []
    for c in ledger.claims:
        if not c.checked:
            continue
        review: dict[str, Any] = {
            "@type": "ClaimReview",
            "identifier": c.id,
            "claimReviewed": c.translation or c.quote or c.title,
            "itemReviewed": {"@type": "Claim", "datePublished": c.said.first.isoformat(),
                             "author": {"@type": "Person" if c.speaker else "Organization", "name": c.who},
                             "appearance": {"@type": "CreativeWork", "url": c.url, "name": c.outlet},
                             "inLanguage": c.language or "en", "text": c.quote},
            "author": {"@type": "Organization", "name": "fundcheck"},
            "reviewBody": f"{c.definition or ' + '.join(c.quantity)} {c.bound_text()} (source {c.source})",
        }
        if verdicts and c.id in verdicts:
            review["reviewRating"] = {"@type": "Rating", "alternateName": verdicts[c.id]}
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
