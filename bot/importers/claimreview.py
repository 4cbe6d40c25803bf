"""schema.org ClaimReview: JSON (one object or a list), JSON-LD pages (`@graph`), and JSON Lines.

Also reads the Google Fact Check Tools API shape (`{"claims": [{"text", "claimReview": [...]}]}`),
which is what the fact-check search API returns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bot.domain import (
    ClaimAppearance,
    FactCheckRecord,
    RecordError,
    SourceRecord,
    Verdict,
    parse_verdict,
    verdict_from_numeric,
)
from bot.importers._common import (
    Item,
    finish,
    json_document,
    json_lines,
    looks_like_json_lines,
    outlet_from_url,
    parse_date,
)

# What a reader makes of one JSON value (a line of JSON Lines, or an element of a document's list).
Values = Callable[[Any, str, int], Iterator[Item]]


def read_claimreview(path: Path, values: Values | None = None) -> Iterator[Item]:
    """Yield a record per ClaimReview found, and an error per bad line or bad review.

    `values` reads each JSON value (bot/importers/mediareview.py passes one that reads MediaReview too).
    """
    read = values or (lambda value, file, line: reviews_in(value, file, line, complain=True))
    if looks_like_json_lines(path):
        yield from _read_lines(path, read)
    else:
        yield from _read_document(path, read)


def _read_lines(path: Path, read: Values) -> Iterator[Item]:
    file = str(path)
    for item in json_lines(path):
        if isinstance(item, RecordError):
            yield item
        else:
            yield from read(item[1], file, item[0])


def _read_document(path: Path, read: Values) -> Iterator[Item]:
    file = str(path)
    items = json_document(path)
    if isinstance(items, RecordError):
        yield items
        return
    if not items:
        yield RecordError(file, 1, "no ClaimReview found")
        return
    for line, value in items:
        yield from read(value, file, line)


# --- finding reviews in a JSON value --------------------------------------------------------------
def _types(node: dict) -> set[str]:
    raw = node.get("@type", node.get("type", []))
    if isinstance(raw, str) and "/" not in raw and ":" not in raw:
        return {raw}  # a plain name, as almost every node has: nothing to take off
    names = raw if isinstance(raw, list) else [raw]
    # "schema:ClaimReview" and "http://schema.org/ClaimReview" name the same type.
    return {str(n).rsplit("/", 1)[-1].rsplit(":", 1)[-1] for n in names}


def _is_review(node: dict) -> bool:
    return "ClaimReview" in _types(node) or ("claimReviewed" in node and "reviewRating" in node)


_CONTAINERS = ("@graph", "mainEntity", "review", "hasPart", "itemListElement", "item")


def nodes_in(
    value: Any, wanted: Callable[[dict], bool], opaque: Callable[[dict], bool] = lambda node: False
) -> list[dict]:
    """The nodes `wanted` of a JSON-LD value, in document order, from lists, `@graph`, and pages that
    nest them (mainEntity, review...); neither a wanted node nor an `opaque` one is looked inside.

    Walked with a stack of its own: a hostile file nests as deep as the parser allows.
    """
    found: list[dict] = []
    pending = [value]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(reversed(node))
        elif isinstance(node, dict):
            if wanted(node):
                found.append(node)
            elif not opaque(node):
                pending.extend(node[key] for key in reversed(_CONTAINERS) if key in node)
    return found


def _find(value: Any, out: list[dict]) -> None:
    """Collect ClaimReview nodes from lists, `@graph`, and pages that nest them (mainEntity, review)."""
    out.extend(nodes_in(value, _is_review))


def reviews_in(value: Any, file: str, line: int, complain: bool) -> Iterator[Item]:
    """Records for every ClaimReview inside one JSON value (or for a Fact Check Tools response)."""
    if isinstance(value, dict) and isinstance(value.get("claims"), list):
        yield from _from_fact_check_tools(value["claims"], file, line)
        return
    found: list[dict] = []
    _find(value, found)
    if not found and complain:
        yield RecordError(file, line, "no ClaimReview here (no @type ClaimReview, no claimReviewed)")
    for node in found:
        yield review_to_record(node, file, line)


# --- mapping one review ---------------------------------------------------------------------------
def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _text(value: Any) -> str:
    """A plain string from a string, a number, or a node with a name."""
    if isinstance(value, str):  # most values are: the rest of the way for them, called ~20 times a record
        return value.strip()
    if value is None:
        return ""
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or value.get("alternateName") or ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


def _number(value: Any) -> float | None:
    try:
        return float(_first(value))
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer beyond any float
        return None


def rating_of(node: dict) -> tuple[Verdict, str]:
    """The verdict and the publisher's own wording for a ClaimReview's reviewRating.

    The words (alternateName, else name) decide when they are recognised; otherwise the number
    is placed within worstRating..bestRating (schema.org defaults: 1..5). Neither gives Unrated.
    """
    rating = _first(node.get("reviewRating"))
    if not isinstance(rating, dict):
        return Verdict.UNRATED, ""
    words = _text(rating.get("alternateName")) or _text(rating.get("name"))
    verdict = parse_verdict(words)
    if verdict is not None:
        return verdict, words
    value = _number(rating.get("ratingValue"))
    if value is not None:
        best = _number(rating.get("bestRating"))
        worst = _number(rating.get("worstRating"))
        best, worst = (5.0 if best is None else best), (1.0 if worst is None else worst)
        if worst <= value <= best:
            shown = words or f"{value:g} of {best:g}"
            return verdict_from_numeric(value, worst, best), shown
    return Verdict.UNRATED, words


_LINK = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S*$")  # "scheme:…" without spaces: meant as a link


def _http(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else ""


def _sources(node: dict) -> list[SourceRecord]:
    """Sources from citation, isBasedOn, and where the claim appeared, de-duplicated by URL."""
    item = _first(node.get("itemReviewed"))
    item = item if isinstance(item, dict) else {}
    entries: list[Any] = []
    for container, key in (
        (node, "citation"),
        (node, "isBasedOn"),
        (item, "appearance"),
        (item, "firstAppearance"),
    ):
        raw = container.get(key)
        entries.extend(raw if isinstance(raw, list) else [raw] if raw else [])
    sources: list[SourceRecord] = []
    seen: set[str] = set()
    for entry in entries:
        if isinstance(entry, str):
            url, outlet, title = entry.strip(), "", ""
        elif isinstance(entry, dict):
            # An @id is a link only when it is http(s); "urn:isbn:…" or "_:b0" just name the node.
            url = _text(entry.get("url")) or _http(_text(entry.get("@id")))
            title = _text(entry.get("headline"))
            outlet = _text(entry.get("publisher")) or _text(entry.get("author"))
            name = _text(entry.get("name"))
            if not outlet:
                outlet = name
            elif not title:
                title = name
        else:
            continue
        # A link of another scheme is kept, so that the record is refused with its line (finish).
        url_or_none = url if _LINK.match(url) else None
        if url_or_none and url_or_none in seen:
            continue
        if not outlet and not url_or_none:
            continue
        if url_or_none:
            seen.add(url_or_none)
        outlet = outlet or outlet_from_url(url_or_none or "")
        sources.append(SourceRecord(len(sources) + 1, outlet, url_or_none, title))
    return sources


def _appearances(node: dict) -> list[ClaimAppearance]:
    """Where the claim was seen (itemReviewed.appearance, firstAppearance) and the review's or the
    claim's other addresses (sameAs): http(s) links only, each once."""
    item = _first(node.get("itemReviewed"))
    item = item if isinstance(item, dict) else {}
    found: list[ClaimAppearance] = []
    seen: set[str] = set()
    places = ((item, "appearance"), (item, "firstAppearance"), (item, "sameAs"), (node, "sameAs"))
    for container, key in places:
        raw = container.get(key)
        for entry in raw if isinstance(raw, list) else [raw] if raw else []:
            if isinstance(entry, dict):
                entry = _text(entry.get("url")) or _text(entry.get("@id"))
            url = _http(entry.strip()) if isinstance(entry, str) else ""
            if url and url not in seen:
                seen.add(url)
                found.append(ClaimAppearance(url, key))
    return found


def _language(value: Any) -> str:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("alternateName") or value.get("name") or ""
    return value.strip().lower() if isinstance(value, str) and value.strip() else "en"


def review_to_record(node: dict, file: str, line: int) -> Item:
    """Map one ClaimReview node onto a record; a missing url or claimReviewed is an error naming it."""
    url = _text(node.get("url"))
    if not url and str(node.get("@id", "")).startswith(("http://", "https://")):
        url = str(node["@id"])  # JSON-LD pages often identify the review only by @id
    claim = _text(node.get("claimReviewed"))
    missing = [name for name, value in (("url", url), ("claimReviewed", claim)) if not value]
    if missing:
        return RecordError(
            file, line, f"ClaimReview lacks {' and '.join(missing)}" + (f" (url {url})" if url else "")
        )
    published = _text(node.get("datePublished")) or _text(node.get("dateCreated"))
    checked_at = parse_date(published) if published else None
    if published and checked_at is None:
        return RecordError(file, line, f"cannot read datePublished {published!r} ({url})")
    verdict, rating_text = rating_of(node)
    publisher = _text(node.get("publisher")) or _text(node.get("author")) or outlet_from_url(url)
    summary = _text(node.get("description"))
    if not summary and rating_text:
        summary = f"Rated “{rating_text}” by {publisher}." if publisher else f"Rated “{rating_text}”."
    body = node.get("reviewBody") or node.get("articleBody")
    author = _first(node.get("author"))
    record = FactCheckRecord(
        url=url,
        claim=claim,
        verdict=verdict,
        rating_text=rating_text,
        rating_confirmed=True,
        title=_text(node.get("headline")) or _text(node.get("name")) or claim,
        summary=summary,
        publisher=publisher,
        checked_at=checked_at,
        language=_language(node.get("inLanguage")),
        body=body if isinstance(body, str) and body.strip() else None,
        sources=_sources(node),
        appearances=_appearances(node),
        author=_text(author) if isinstance(author, dict) and "Person" in _types(author) else "",
        file=file,
        line=line,
    )
    return finish(record)


def _from_fact_check_tools(claims: list, file: str, line: int) -> Iterator[Item]:
    """Fact Check Tools API: each claim holds reviews with textualRating, publisher.name, reviewDate."""
    for claim in claims:
        if not isinstance(claim, dict):
            yield RecordError(file, line, "claims entry is not an object")
            continue
        for review in claim.get("claimReview") or []:
            if not isinstance(review, dict):
                continue
            node = {
                "url": review.get("url"),
                "claimReviewed": claim.get("text"),
                "reviewRating": {"alternateName": review.get("textualRating")},
                "publisher": review.get("publisher") or {},
                "datePublished": review.get("reviewDate"),
                "headline": review.get("title"),
                "inLanguage": review.get("languageCode"),
            }
            yield review_to_record(node, file, line)
