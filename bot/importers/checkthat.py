"""CLEF CheckThat! verified claims (vclaims): JSON Lines, or a JSON list / single object.

Fields: vclaim_id, vclaim, title, subtitle, page_url (often absent), author, date ("26 May 2015").
The data set carries no ratings, so every record is Unrated: the claim is known to be checked, the
verdict is on the publisher's page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.domain import FactCheckRecord, RecordError, Verdict
from bot.importers._common import Item, finish, json_document, json_lines, looks_like_json_lines, parse_date

_LEAD = re.compile(r"^\s*(?:rumou?r|claim)\s*:\s*", re.IGNORECASE)


def read_checkthat(path: Path) -> Iterator[Item]:
    """Yield a record per verified claim, and an error per bad line or entry."""
    file = str(path)
    if looks_like_json_lines(path):
        for item in json_lines(path):
            yield item if isinstance(item, RecordError) else vclaim_to_record(item[1], file, item[0])
        return
    items = json_document(path)
    if isinstance(items, RecordError):
        yield items
        return
    for line, value in items:
        for entry in value if isinstance(value, list) else [value]:
            yield vclaim_to_record(entry, file, line)


def _str(entry: dict, key: str) -> str:
    value = entry.get(key)
    return value.strip() if isinstance(value, str) else ""


def vclaim_to_record(entry: Any, file: str, line: int) -> Item:
    """Map one vclaim; url is page_url when given, else the stable key checkthat:<vclaim_id>."""
    if not isinstance(entry, dict):
        return RecordError(file, line, "expected a JSON object")
    vclaim_id, claim = _str(entry, "vclaim_id"), _str(entry, "vclaim")
    missing = [name for name, value in (("vclaim_id", vclaim_id), ("vclaim", claim)) if not value]
    if missing:
        return RecordError(file, line, f"vclaim lacks {' and '.join(missing)}")
    # Unlike our curated formats, an unreadable date here is no error: the data set's dates were
    # scraped and a few hold stray page text; the claim is still worth matching without one.
    checked_at = parse_date(_str(entry, "date"))
    page_url = _str(entry, "page_url")
    author = _str(entry, "author")
    # The publisher is the organisation ("Checked by Snopes"); the writer is kept as author.
    is_snopes = vclaim_id.startswith("vclaim-sno") or "snopes.com" in page_url
    record = FactCheckRecord(
        url=page_url or f"checkthat:{vclaim_id}",
        claim=claim,
        verdict=Verdict.UNRATED,
        rating_text="Unrated",
        rating_confirmed=True,
        title=_str(entry, "title") or claim,
        summary=_LEAD.sub("", _str(entry, "subtitle")),
        publisher="Snopes" if is_snopes else author,
        checked_at=checked_at,
        author=author,
        file=file,
        line=line,
    )
    return finish(record, minted=not page_url)
