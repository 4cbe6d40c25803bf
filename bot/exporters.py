"""Exports: published fact-checks as schema.org ClaimReview JSON-LD, their known photos and videos as
MediaReview JSON-LD, the audit log as JSON lines.

A MediaReview export carries what `claimbot import` needs to match the media again without its files:
each ImageObject / VideoObject has its `sha256` and its PDQ hashes, as an extension of ours that stays
valid schema.org: one `identifier` PropertyValue per hash, `propertyID` "pdq", `value` 64 hex digits
(an image's hashes, or a video's sampled frames). Each MediaReview holds its fact-check as
`associatedClaimReview`, so the file alone re-creates what is missing and adds nothing twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from bot.domain import Actor, FactCheckCard, MediaRecord, Verdict
from bot.importers.mediareview import PDQ_PROPERTY
from store.models import AuditLog

if TYPE_CHECKING:
    from bot.service import ClaimService

# Position of each verdict on a 1 (false) .. 5 (true) ratingValue scale, for consumers that read numbers.
_RATING_VALUE = {
    Verdict.FALSE: 1,
    Verdict.MOSTLY_FALSE: 2,
    Verdict.MISLEADING: 2,
    Verdict.MISSING_CONTEXT: 3,
    Verdict.MIXED: 3,
    Verdict.MOSTLY_TRUE: 4,
    Verdict.TRUE: 5,
}


def claimreview(card: FactCheckCard) -> dict[str, object]:
    rating: dict[str, object] = {"@type": "Rating", "alternateName": card.rating_text or card.verdict.value}
    if card.verdict in _RATING_VALUE:
        rating |= {"ratingValue": _RATING_VALUE[card.verdict], "worstRating": 1, "bestRating": 5}
    review: dict[str, object] = {
        "@type": "ClaimReview",
        "url": card.url,
        "claimReviewed": card.claim,
        "itemReviewed": _item_reviewed(card),
        "headline": card.title or card.claim,
        "description": card.summary,
        "reviewRating": rating,
        "author": {"@type": "Organization", "name": card.publisher} if card.publisher else None,
        "datePublished": card.checked_at.isoformat() if card.checked_at else None,
        "inLanguage": card.language,
        "citation": [
            {"@type": "CreativeWork", "name": s.outlet, **({"url": s.url} if s.url else {})}
            for s in card.sources
        ],
    }
    return {k: v for k, v in review.items() if v not in (None, [], "")}


def _item_reviewed(card: FactCheckCard) -> dict[str, object] | None:
    """The claim with where it appeared, as imported (itemReviewed.appearance, firstAppearance, sameAs)."""
    if not card.appearances:
        return None
    item: dict[str, object] = {"@type": "Claim"}
    for appearance in card.appearances:
        if appearance.kind == "sameAs":
            item.setdefault("sameAs", []).append(appearance.url)  # type: ignore[union-attr]
        elif appearance.kind == "firstAppearance":
            item["firstAppearance"] = {"@type": "CreativeWork", "url": appearance.url}
        else:
            item.setdefault("appearance", []).append(  # type: ignore[union-attr]
                {"@type": "CreativeWork", "url": appearance.url}
            )
    return item


def claimreview_jsonld(cards: Iterable[FactCheckCard]) -> dict[str, object]:
    return {"@context": "https://schema.org", "@graph": [claimreview(card) for card in cards]}


def mediareviews(card: FactCheckCard, media: Iterable[MediaRecord]) -> list[dict[str, object]]:
    """A fact-check's known media as MediaReviews: one per category and description, its files as
    the MediaReviewItem's appearances."""
    groups: dict[tuple[str, str], list[MediaRecord]] = {}
    for one in media:
        category = one.authenticity.value if one.authenticity else ""
        groups.setdefault((category, one.description), []).append(one)
    reviews = []
    for (category, description), items in groups.items():
        review: dict[str, object] = {
            "@type": "MediaReview",
            "url": card.url,
            "name": card.title or card.claim,
            "mediaAuthenticityCategory": category,
            "description": description,
            "author": {"@type": "Organization", "name": card.publisher} if card.publisher else None,
            "datePublished": card.checked_at.isoformat() if card.checked_at else None,
            "itemReviewed": {
                "@type": "MediaReviewItem",
                "name": card.claim,
                "mediaItemAppearance": [_media_object(one) for one in items],
            },
            "associatedClaimReview": claimreview(card),
        }
        reviews.append({k: v for k, v in review.items() if v not in (None, [], "")})
    return reviews


def _media_object(media: MediaRecord) -> dict[str, object]:
    node: dict[str, object] = {
        "@type": "VideoObject" if media.kind == "video" else "ImageObject",
        "contentUrl": media.content_url,
        "sha256": media.sha256,
        "identifier": [
            {"@type": "PropertyValue", "propertyID": PDQ_PROPERTY, "value": digest} for digest in media.hashes
        ],
    }
    return {k: v for k, v in node.items() if v not in (None, [], "")}


def mediareview_jsonld(
    cards: Iterable[FactCheckCard], media: dict[int, list[MediaRecord]]
) -> dict[str, object]:
    """MediaReview JSON-LD of the published fact-checks that have known media."""
    graph = [review for card in cards if card.id in media for review in mediareviews(card, media[card.id])]
    return {"@context": "https://schema.org", "@graph": graph}


def export_file(service: ClaimService, actor: Actor, kind: str) -> tuple[str, bytes]:
    """A moderator's export from chat, as (file name, content); refused and audited for anyone else."""
    service.authorize(actor, "export", kind)
    if kind == "audit":
        lines = list(audit_jsonl(reversed(service.audit_log(limit=100_000))))
        return "claimbot-audit.jsonl", ("\n".join(lines) + "\n").encode()
    if kind == "mediareview":
        graph = mediareview_jsonld(service.published(), service.known_media())
        return "claimbot-mediareview.jsonld", json.dumps(graph, ensure_ascii=False, indent=2).encode()
    payload = json.dumps(claimreview_jsonld(service.published()), ensure_ascii=False, indent=2)
    return "claimbot-claimreview.jsonld", payload.encode()


def audit_jsonl(entries: Iterable[AuditLog]) -> Iterator[str]:
    for entry in entries:
        yield json.dumps(
            {
                "id": entry.id,
                "at": entry.at.isoformat(),
                "actor": entry.actor,
                "action": entry.action,
                "target": entry.target,
                "allowed": entry.allowed,
                "detail": entry.detail,
            },
            ensure_ascii=False,
        )
