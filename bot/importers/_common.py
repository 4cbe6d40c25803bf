"""Helpers shared by the format readers: per-line decoding, JSON, dates, slugs, outlets from URLs, and
the checks every record passes on its way to the store."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.domain import (
    MINTED_KEY_PREFIXES,
    REVIEW_KEY_PREFIX,
    REVIEW_ORIGIN,
    STARTER_KEY_PREFIX,
    FactCheckRecord,
    RecordError,
    SourceRecord,
)
from bot.text import clean_text

Item = FactCheckRecord | RecordError

# Column limits of store.models (FactCheck, Source): a longer URL cannot be stored as the key,
# longer display fields are clipped rather than rejected.
MAX_URL = 2048
MAX_SHORT = 300
MAX_RATING_TEXT = 500
MAX_LANGUAGE = 16
# No rating or date needs a longer integer; int() refuses more than 4,300 digits with advice about
# sys.set_int_max_str_digits, and float() overflows beyond 308.
MAX_INTEGER_DIGITS = 100


def starter_path() -> Path:
    """The bundled starter fact-checks (ClaimReview JSON Lines) that fill a new database."""
    return Path(str(files("bot") / "data" / "starter.jsonl"))


# --- JSON that is valid but not read ------------------------------------------------------------------
class RefusedJson(json.JSONDecodeError):
    """Valid JSON that is not imported: a key twice in one object, nesting too deep, a number too long.

    A JSONDecodeError, so every reader reports it with its line like broken JSON; `msg` says why.
    """


class _Refusal(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Parsers disagree on which of two equal keys counts (json keeps the last): a "url" that looks
    # harmless first and names another fact-check second must not pass.
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refusal(f"duplicate key {key[:80]!r} in one object")
            seen.add(key)
    return found


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _Refusal(f"a number of {len(digits.lstrip('-')):,} digits (at most {MAX_INTEGER_DIGITS})")
    return int(digits)


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_int=_integer)
_LENIENT_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_int=_integer, strict=False)


def _refused(exc: BaseException, text: str, start: int) -> RefusedJson:
    message = "JSON nested too deeply to read" if isinstance(exc, RecursionError) else str(exc)
    return RefusedJson(message, text, start)


def loads(text: str, *, strict: bool = True) -> Any:
    """json.loads for input from outside: RefusedJson (at the value's start) for what is not read.

    `strict=False` lets literal control characters through inside strings, as JSON-LD in pages has.
    """
    try:
        return (_DECODER if strict else _LENIENT_DECODER).decode(text)
    except (_Refusal, RecursionError) as exc:
        raise _refused(exc, text, len(text) - len(text.lstrip())) from None


def _raw_decode(text: str, start: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, start)
    except (_Refusal, RecursionError) as exc:
        raise _refused(exc, text, start) from None


def decoded_lines(path: Path) -> Iterator[tuple[int, str, str | None]]:
    """Yield (line number, text, error) for each line, streaming and decoding one line at a time.

    A line that is not valid UTF-8 comes back decoded with U+FFFD replacements plus an error
    message, so each reader decides whether to skip the record that holds it. A UTF-8 byte
    order mark on the first line is dropped (spreadsheets write one).
    """
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield number, raw.decode("utf-8"), None
            except UnicodeDecodeError as exc:
                message = f"invalid UTF-8 (byte {exc.start + 1} of the line); record skipped"
                yield number, raw.decode("utf-8", errors="replace"), message


def decode_document(data: bytes, file: str) -> str | RecordError:
    """Decode a whole document, or point at the line of the first undecodable byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return RecordError(file, line, "invalid UTF-8; file not imported")


def looks_like_json_lines(path: Path) -> bool:
    """True when the first non-empty line is a complete JSON object and another object follows.

    A pretty-printed document starts with a lone `{` or `[` that does not parse on its own,
    so it is told apart from JSON Lines without reading the whole file.
    """
    if path.suffix.lower() in {".jsonl", ".ndjson"}:
        return True
    seen_first = False
    with path.open("rb") as handle:
        for raw in handle:
            stripped = raw.strip().removeprefix(b"\xef\xbb\xbf")
            if not stripped:
                continue
            if seen_first:
                return stripped.startswith(b"{")
            try:
                first = loads(stripped.decode("utf-8"))
            except RefusedJson:
                first = {} if stripped.startswith(b"{") else None  # a whole object, refused line by line
            except (ValueError, UnicodeDecodeError):
                return False
            if not isinstance(first, dict):
                return False
            seen_first = True
    return False


_MONTH_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y", "%d/%m/%Y")


def parse_date(text: str) -> date | None:
    """Parse the date spellings our inputs use: ISO (with or without time) and English month names."""
    cleaned = " ".join(text.strip().rstrip(".").split())
    if not cleaned:
        return None
    iso = re.match(r"^(\d{4}-\d{2}-\d{2})(?:[T ].*)?$", cleaned)
    if iso:
        try:
            return date.fromisoformat(iso.group(1))
        except ValueError:
            return None
    # "Sept." and ordinal suffixes ("2nd") are common in hand-written reports.
    cleaned = re.sub(r"\b(\d{1,2})(st|nd|rd|th)\b", r"\1", cleaned).replace("Sept ", "Sep ").replace(".", "")
    cleaned = re.sub(r"(\d)([A-Za-z])", r"\1 \2", cleaned)  # "21February 2009" occurs in scraped data
    for fmt in _MONTH_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    return None


def slugify(text: str, limit: int = 80) -> str:
    """A stable, readable key part; keeps non-Latin letters so Arabic or Cyrillic questions still get one."""
    normal = unicodedata.normalize("NFKC", text).casefold()
    slug = re.sub(r"[^\w]+", "-", normal).strip("-_")[:limit].strip("-_")
    return slug or hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


# Hosts whose outlet name is better known than the domain; anything else shows its hostname.
KNOWN_HOSTS: dict[str, str] = {
    "afp.com": "AFP",
    "apnews.com": "AP",
    "reuters.com": "Reuters",
    "snopes.com": "Snopes",
    "politifact.com": "PolitiFact",
    "factcheck.org": "FactCheck.org",
    "fullfact.org": "Full Fact",
    "leadstories.com": "Lead Stories",
    "bbc.co.uk": "BBC",
    "bbc.com": "BBC",
    "nytimes.com": "The New York Times",
    "washingtonpost.com": "The Washington Post",
    "theguardian.com": "The Guardian",
    "thecity.nyc": "The City",
    "usatoday.com": "USA Today",
    "who.int": "WHO",
    "cdc.gov": "CDC",
    "nasa.gov": "NASA",
    "fda.gov": "FDA",
    "nih.gov": "NIH",
}


def outlet_from_url(url: str) -> str:
    """The outlet to show for a bare URL: a known name for the domain, else the hostname without www."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    parts = host.split(".")
    for size in range(len(parts), 1, -1):
        name = KNOWN_HOSTS.get(".".join(parts[-size:]))
        if name:
            return name
    return host


_URL = re.compile(r"<?(https?://[^\s<>|]+)>?")


def find_url(text: str) -> tuple[str | None, str]:
    """Split "Outlet — https://..." into the URL and the rest of the text (separators trimmed)."""
    match = _URL.search(text)
    if not match:
        return None, text.strip()
    url = match.group(1).rstrip(".,;)")
    rest = (text[: match.start()] + " " + text[match.end() :]).strip()
    return url, rest.strip(" \t—–-:|,;()").strip()


def is_key(value: str) -> bool:
    """A usable canonical key: an absolute URL or a `scheme:rest` key such as `report:...`."""
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", value)) and len(value) <= MAX_URL


# A plain host (letters, digits, dots and hyphens) right after the scheme: urlsplit would find it as the
# hostname, so the URL passes without being split (imports check several URLs per record).
_PLAIN_HTTP = re.compile(r"(?i:https?)://[A-Za-z0-9.-]+(?:[/?#]|$)")


def is_http_url(value: str) -> bool:
    """An absolute http(s) URL with a host, of printable characters without spaces, short enough to store.

    Anything else (`javascript:`, `data:`, `file:`, a key of the bot's own) is no link to show.
    """
    if not value[:8].lower().startswith(("http://", "https://")) or len(value) > MAX_URL:
        return False
    if not value.isprintable() or " " in value:
        return False
    return bool(_PLAIN_HTTP.match(value)) or _split_is_http(value)


def _split_is_http(value: str) -> bool:
    """`is_http_url` by urlsplit, for a printable value with an http(s) prefix and no space."""
    try:
        parts = urlsplit(value)
    except ValueError:  # an unbalanced "[" around the host
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def finish(record: FactCheckRecord, *, minted: bool = False) -> Item:
    """Last checks before a record leaves an importer: a key the input may name, then `importable`.

    An input names http(s) URLs only. `minted` says the importer made the key itself (report:<slug>,
    checkthat:<id>) because the input names none; the bundled starter set keeps its own keys.
    """
    url = record.url
    if minted:
        if not (url.startswith(MINTED_KEY_PREFIXES) and is_key(url)):
            return RecordError(record.file, record.line, f"no usable key: {url[:80]!r}")
    elif not is_http_url(url) and not (
        url.startswith(STARTER_KEY_PREFIX) and record.file == str(starter_path())
    ):
        return RecordError(record.file, record.line, f"url is not an http(s) URL: {url[:80]!r}")
    return importable(record)


def importable(record: FactCheckRecord) -> Item:
    """The record as the store takes it from an import, or why not; every import path ends here.

    The key is in a namespace imports may write (never the review workflow's), text is cleaned of
    control characters as questions are, source links are http(s), and fields fit the store's
    columns (display text is clipped, a key or language that does not fit is an error).
    """
    problem = _key_problem(record)
    if problem:
        return RecordError(record.file, record.line, problem)
    record.claim = clean_text(record.claim)
    if not record.claim:
        return RecordError(record.file, record.line, "claim is empty")
    record.language = clean_text(record.language) or "en"
    if len(record.language) > MAX_LANGUAGE:
        message = (
            f"language {record.language[:40]!r} is not a language code ({MAX_LANGUAGE} characters at most)"
        )
        return RecordError(record.file, record.line, message)
    record.title = clean_text(record.title)
    record.summary = clean_text(record.summary, keep_lines=True)
    if record.body is not None:
        record.body = clean_text(record.body, keep_lines=True) or None
    record.rating_text = clip(clean_text(record.rating_text), MAX_RATING_TEXT)
    record.publisher = clip(clean_text(record.publisher), MAX_SHORT)
    record.disclaimer = clean_text(record.disclaimer)
    record.author = clean_text(record.author)
    record.follow_ups = [text for text in map(clean_text, record.follow_ups) if text]
    record.sections = [
        replace(s, heading=clean_text(s.heading), text=clean_text(s.text, keep_lines=True))
        for s in record.sections
        if clean_text(s.text)
    ]
    sources = []
    for source in record.sources:
        link = source.url or None
        if link is not None and len(link) > MAX_URL and link.startswith(("http://", "https://")):
            link = None  # too long to store: the source stays, without its link
        if link is not None and not is_http_url(link):
            message = f"source {source.position} link is not an http(s) URL: {link[:80]!r}"
            return RecordError(record.file, record.line, message)
        sources.append(
            SourceRecord(
                source.position, clip(clean_text(source.outlet), MAX_SHORT), link, clean_text(source.title)
            )
        )
    record.sources = sources
    return record


def _key_problem(record: FactCheckRecord) -> str | None:
    url = record.url
    if record.origin == REVIEW_ORIGIN or url.startswith(REVIEW_KEY_PREFIX):
        return f"{url[:80]!r} belongs to the review workflow: only moderators write verdicts"
    if is_http_url(url) or (url.startswith((*MINTED_KEY_PREFIXES, STARTER_KEY_PREFIX)) and is_key(url)):
        return None
    return f"url is not an http(s) URL: {url[:80]!r}"


def json_lines(path: Path) -> Iterator[tuple[int, Any] | RecordError]:
    """Stream (line number, value) per non-empty line of a JSON Lines file, or an error for that line."""
    file = str(path)
    for number, text, error in decoded_lines(path):
        if error:
            yield RecordError(file, number, error)
            continue
        if not text.strip():
            continue
        try:
            yield number, loads(text)
        except RefusedJson as exc:
            yield RecordError(file, number, f"{exc.msg}; line not imported")
        except json.JSONDecodeError as exc:
            yield RecordError(file, number, f"invalid JSON at column {exc.colno}: {exc.msg}")


def json_document(path: Path) -> list[tuple[int, Any]] | RecordError:
    """A whole JSON document's top-level items with their lines, or one error (nothing imported).

    A broken document yields nothing but the error: its extent is unknown, so a partial import
    would silently drop its tail.
    """
    file = str(path)
    text = decode_document(path.read_bytes(), file)
    if isinstance(text, RecordError):
        return text
    try:
        return top_level_items(text)
    except RefusedJson as exc:
        return RecordError(file, exc.lineno, f"{exc.msg}; file not imported")
    except json.JSONDecodeError as exc:
        message = f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        return RecordError(file, exc.lineno, message)


def top_level_items(text: str) -> list[tuple[int, Any]]:
    """Parse a document; for a top-level list, give each element the line where it starts.

    json.loads forgets positions, so a list is walked with raw_decode one element at a time,
    counting newlines as it goes (linear in the size of the document).
    """
    length = len(text)

    def skip(i: int) -> int:
        while i < length and text[i] in " \t\r\n":
            i += 1
        return i

    start = skip(0)
    if start >= length or text[start] != "[":
        value = loads(text)  # raises with line and column on a broken document
        return [(text.count("\n", 0, start) + 1, value)] if value not in (None, [], {}) else []

    items: list[tuple[int, Any]] = []
    line, counted = 1, 0
    i = skip(start + 1)
    if i < length and text[i] == "]":
        i = skip(i + 1)
    else:
        while True:
            if i >= length:
                raise json.JSONDecodeError("Expecting value", text, i)
            line += text.count("\n", counted, i)
            counted = i
            value, end = _raw_decode(text, i)
            items.append((line, value))
            i = skip(end)
            if i < length and text[i] == ",":
                i = skip(i + 1)
                continue
            if i < length and text[i] == "]":
                i = skip(i + 1)
                break
            raise json.JSONDecodeError("Expecting ',' delimiter", text, i)
    if i != length:
        raise json.JSONDecodeError("Extra data", text, i)
    return items
