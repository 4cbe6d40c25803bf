"""schema.org MediaReview: what a fact-checked photo or video is, read beside ClaimReview from the same
JSON, JSON-LD and JSON Lines files.

A MediaReview rates media (`mediaAuthenticityCategory`: OriginalMediaContent, DecontextualizedContent,
EditedOrCroppedContent, TransformedContent, StagedContent, SatireOrParodyContent) and names it in
`itemReviewed`, a MediaReviewItem whose `mediaItemAppearance` (and `appearance` / `firstAppearance`)
are ImageObject or VideoObject nodes with a `contentUrl`, a `sha256`, and a `url` where it was shared.
It is linked to its fact-check by URL:

* inside a ClaimReview (`associatedMediaReview`, as AFP publishes them): the media of that fact-check;
* with its ClaimReview inside it (`associatedClaimReview`, as `claimbot export --format mediareview`
  writes them) or on its own: the fact-check at that ClaimReview's URL (or the `associatedClaimReview`
  URL, or its own `url`). A fact-check of that URL, stored or in the same import, only gains the media:
  a MediaReview never changes a fact-check. Otherwise it makes one: from its ClaimReview, or with the
  claim from `itemReviewed` (`interpretedAsClaim`, `name`) and no verdict (`reviewRating`, if any).

Where the media's bytes are: a `contentUrl` over http(s) (kept, and fetched at import), a file beside
the import file (`media/clip.mp4` or `file:media/clip.mp4`, never outside its folder; hashed at import,
not kept), or PDQ hashes carried in the file itself (ClaimBot's own export: a PropertyValue with
`propertyID` "pdq" in the media object's `identifier`, one per hash). This module only reads: the
files are hashed and the URLs fetched by bot/usecases/media_import.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from bot.domain import (
    Authenticity,
    ClaimAppearance,
    FactCheckRecord,
    MediaRecord,
    RecordError,
    Verdict,
    parse_authenticity,
)
from bot.importers._common import MAX_URL, Item, clip, finish, is_http_url, outlet_from_url, parse_date
from bot.importers.claimreview import (
    _find,
    _first,
    _language,
    _text,
    _types,
    nodes_in,
    rating_of,
    read_claimreview,
    review_to_record,
    reviews_in,
)
from bot.text import clean_text

PDQ_PROPERTY = "pdq"  # propertyID of a PropertyValue holding one 256-bit PDQ hash in hex
_PDQ = re.compile(r"^[0-9a-f]{64}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_IMAGE_TYPES = {"ImageObject", "ImageObjectSnapshot", "Photograph"}
_VIDEO_TYPES = {"VideoObject", "VideoObjectSnapshot", "MusicVideoObject"}
_MEDIA_TYPES = _IMAGE_TYPES | _VIDEO_TYPES | {"MediaObject", "AudioObject"}
_CATEGORIES = ", ".join(category.value for category in Authenticity)
MAX_MEDIA = 100  # media objects read from one MediaReview
MAX_DESCRIPTION = 1000  # characters of what the media shows: a reply's first line, not an article


def read_reviews(path: Path) -> Iterator[Item]:
    """A JSON, JSON-LD or JSON Lines file's ClaimReviews and MediaReviews, as records and errors.

    Local media is looked for in the file's own folder."""
    base = path.resolve().parent
    return read_claimreview(path, lambda value, file, line: reviews_and_media_in(value, file, line, base))


def reviews_and_media_in(value: Any, file: str, line: int, base: Path | None) -> Iterator[Item]:
    """Records for every ClaimReview and MediaReview in one JSON value, each with its media."""
    if isinstance(value, dict) and isinstance(value.get("claims"), list):  # Fact Check Tools: no media
        yield from reviews_in(value, file, line, complain=True)
        return
    claim_reviews: list[dict] = []
    _find(value, claim_reviews)
    media_reviews = _media_reviews(value)
    if not claim_reviews and not media_reviews:
        message = "no ClaimReview or MediaReview here (no @type ClaimReview or MediaReview, no claimReviewed)"
        yield RecordError(file, line, message)
        return
    for node in claim_reviews:
        record = review_to_record(node, file, line)
        if isinstance(record, RecordError):
            yield record
            continue
        for media_review in _nodes(node.get("associatedMediaReview")):
            found = media_of(media_review, file, line, base)
            if isinstance(found, RecordError):
                yield found  # the fact-check still imports, without this media
                continue
            record.media.extend(found[0])
            _add_appearances(record, found[1])
        yield record
    for node in media_reviews:
        yield mediareview_to_record(node, file, line, base)


def _media_reviews(value: Any) -> list[dict]:
    """MediaReview nodes of a value, in document order, not counting those inside a ClaimReview."""
    return nodes_in(
        value, lambda node: "MediaReview" in _types(node), opaque=lambda node: "ClaimReview" in _types(node)
    )


def _nodes(value: Any) -> list[dict]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, dict)]


def _add_appearances(record: FactCheckRecord, found: list[ClaimAppearance]) -> None:
    seen = {appearance.url for appearance in record.appearances}
    for appearance in found:
        if appearance.url not in seen:
            seen.add(appearance.url)
            record.appearances.append(appearance)


# --- one MediaReview as a fact-check ----------------------------------------------------------------
def mediareview_to_record(node: dict, file: str, line: int, base: Path | None) -> Item:
    """The fact-check a MediaReview belongs to, with its media; an error naming what is wrong."""
    found = media_of(node, file, line, base)
    if isinstance(found, RecordError):
        return found
    media, appearances = found
    associated = _first(node.get("associatedClaimReview"))
    if isinstance(associated, dict) and associated.get("claimReviewed"):
        # The whole fact-check travels with it (ClaimBot's export): made when new, else left as stored.
        record = review_to_record(associated, file, line)
        if isinstance(record, FactCheckRecord):
            record.media.extend(media)
            record.media_only = True
            _add_appearances(record, appearances)
        return record
    url = _review_url(associated) or _review_url(node)
    item = _first(node.get("itemReviewed"))
    item = item if isinstance(item, dict) else {}
    claim = (
        _text(item.get("interpretedAsClaim"))
        or _claim_text(item.get("interpretedAsClaim"))
        or _text(item.get("name"))
        or _text(node.get("claimReviewed"))
        or _text(node.get("headline"))
        or _text(node.get("name"))
    )
    missing = [name for name, value in (("url", url), ("a claim (itemReviewed name)", claim)) if not value]
    if missing:
        found_url = f" (url {url})" if url else ""
        return RecordError(file, line, f"MediaReview lacks {' and '.join(missing)}{found_url}")
    published = _text(node.get("datePublished")) or _text(node.get("dateCreated"))
    checked_at = parse_date(published) if published else None
    if published and checked_at is None:
        return RecordError(file, line, f"cannot read datePublished {published!r} ({url})")
    verdict, rating_text = rating_of(node) if node.get("reviewRating") else (Verdict.UNRATED, "")
    record = FactCheckRecord(
        url=url,
        claim=claim,
        verdict=verdict,
        rating_text=rating_text,
        title=_text(node.get("headline")) or _text(node.get("name")) or claim,
        summary=_text(node.get("description")) or _text(node.get("originalMediaContextDescription")),
        publisher=_text(node.get("publisher")) or _text(node.get("author")) or outlet_from_url(url),
        checked_at=checked_at,
        language=_language(node.get("inLanguage")),
        appearances=appearances,
        media=media,
        media_only=True,
        file=file,
        line=line,
    )
    return finish(record)


def _review_url(node: Any) -> str:
    if isinstance(node, str):
        return node.strip()
    if not isinstance(node, dict):
        return ""
    url = _text(node.get("url"))
    if not url and str(node.get("@id", "")).startswith(("http://", "https://")):
        url = str(node["@id"])
    return url


def _claim_text(value: Any) -> str:
    claim = _first(value)
    if isinstance(claim, dict):
        return _text(claim.get("text")) or _text(claim.get("description")) or _text(claim.get("headline"))
    return ""


# --- the media a MediaReview names --------------------------------------------------------------------
class _Unreadable(ValueError):
    """A MediaReview whose media cannot be imported; the message says why, for the import's report."""


def authenticity_of(node: dict) -> Authenticity | None:
    """The review's mediaAuthenticityCategory (None when it names none); _Unreadable for one we do not
    know, so that a misspelt category is reported rather than read as "no category"."""
    raw = node.get("mediaAuthenticityCategory")
    if raw in (None, "", []):
        return None
    found: list[Authenticity] = []
    for value in raw if isinstance(raw, list) else [raw]:
        if isinstance(value, dict):
            value = value.get("@id") or value.get("name") or value.get("url") or ""
        word = str(value).strip()
        category = parse_authenticity(word.removeprefix("schema:")) if word else None
        if category is None:
            raise _Unreadable(f"unknown mediaAuthenticityCategory {word[:80]!r}; use one of {_CATEGORIES}")
        found.append(category)
    return found[0] if found else None  # several: the first is the one a reply says


def media_of(
    node: dict, file: str, line: int, base: Path | None
) -> tuple[list[MediaRecord], list[ClaimAppearance]] | RecordError:
    """A MediaReview's media (with its category and description) and where the media was shared."""
    try:
        category = authenticity_of(node)
    except _Unreadable as problem:
        return RecordError(file, line, str(problem))
    description = _text(node.get("description")) or _text(node.get("originalMediaContextDescription"))
    description = clip(clean_text(description), MAX_DESCRIPTION)
    media: list[MediaRecord] = []
    appearances: list[ClaimAppearance] = []
    for entry in _media_objects(node)[:MAX_MEDIA]:
        if isinstance(entry, str):  # a bare link: where it was shared, nothing to fingerprint
            if is_http_url(entry.strip()):
                appearances.append(ClaimAppearance(entry.strip(), "appearance"))
            continue
        if not isinstance(entry, dict):
            continue
        shared = _text(entry.get("url"))
        if is_http_url(shared):
            appearances.append(ClaimAppearance(shared, "appearance"))
        try:
            one = _media_object(entry, file, base)
        except _Unreadable as problem:
            return RecordError(file, line, str(problem))
        if one is not None:
            media.append(replace(one, authenticity=category, description=description))
    return media, appearances


def _media_objects(node: dict) -> list[Any]:
    item = _first(node.get("itemReviewed"))
    if not isinstance(item, dict):
        return []
    if _types(item) & _MEDIA_TYPES:  # the media itself, without a MediaReviewItem around it
        return [item]
    entries: list[Any] = []
    for key in ("mediaItemAppearance", "appearance", "firstAppearance"):
        raw = item.get(key)
        entries.extend(raw if isinstance(raw, list) else [raw] if raw else [])
    return entries


def _kind(entry: dict) -> str:
    types = _types(entry)
    if types & _IMAGE_TYPES:
        return "image"
    if types & _VIDEO_TYPES:
        return "video"
    encoding = _text(entry.get("encodingFormat")).lower()
    return "image" if encoding.startswith("image/") else "video" if encoding.startswith("video/") else ""


def _media_object(entry: dict, file: str, base: Path | None) -> MediaRecord | None:
    """One ImageObject or VideoObject as known media; None when it names nothing to match."""
    if "AudioObject" in _types(entry):
        return None  # no fingerprint for sound yet
    kind = _kind(entry)
    hashes = _pdq_hashes(entry)
    sha256 = _text(entry.get("sha256")).lower()
    if sha256 and not _SHA256.match(sha256):
        raise _Unreadable(f"sha256 {sha256[:80]!r} is not 64 hex digits")
    if (hashes or sha256) and not kind:
        raise _Unreadable("a media object with hashes needs its @type: ImageObject or VideoObject")
    location = _text(entry.get("contentUrl"))
    content_url, local = None, ""
    if location.lower().startswith(("http://", "https://")):
        if not is_http_url(location):
            raise _Unreadable(f"contentUrl is not a usable http(s) URL: {location[:80]!r}")
        content_url = location
    elif location and not hashes:  # ClaimBot's own export carries the hashes: its files need not be there
        local = _local_file(location, file, base)
    if not (hashes or sha256 or content_url or local):
        return None
    return MediaRecord(kind, content_url=content_url, hashes=hashes, sha256=sha256, file=local)


def _pdq_hashes(entry: dict) -> tuple[str, ...]:
    """PDQ hashes from `identifier` PropertyValues named "pdq" (one hash each, or several space-separated)."""
    raw = entry.get("identifier")
    hashes: list[str] = []
    for value in raw if isinstance(raw, list) else [raw] if raw else []:
        if not isinstance(value, dict) or _text(value.get("propertyID")).lower() != PDQ_PROPERTY:
            continue
        words = value.get("value")
        for word in words if isinstance(words, list) else str(words or "").replace(",", " ").split():
            digest = str(word).strip().lower()
            if not _PDQ.match(digest):
                raise _Unreadable(f"PDQ hash {digest[:80]!r} is not 64 hex digits")
            hashes.append(digest)  # a video's repeated frames included: kept as stored
    return tuple(hashes)


def _local_file(location: str, file: str, base: Path | None) -> str:
    """The absolute path of a media file the import names, inside the import file's folder."""
    if location.lower().startswith("file:"):
        location = unquote(urlsplit(location).path or location[5:])
    elif re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", location):
        raise _Unreadable(f"contentUrl {location[:80]!r} is neither an http(s) URL nor a file beside {file}")
    if base is None:  # a page or feed over HTTP cannot name a file on this machine
        raise _Unreadable(f"contentUrl {location[:80]!r} names a local file; only an import from a file may")
    if len(location) > MAX_URL or "\0" in location:
        raise _Unreadable("contentUrl is not a usable file name")
    path = (base / location).resolve()
    if not path.is_relative_to(base):
        raise _Unreadable(f"media file {location[:80]!r} is outside the import file's folder ({base})")
    if not path.is_file():
        raise _Unreadable(f"no such media file: {location[:80]} (looked for {path})")
    return str(path)
