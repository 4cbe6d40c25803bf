"""CSV with a header row: url, claim, rating, summary, publisher, date, sources (any order).

`url`, `claim` and `rating` are required; `title`, `language`, `body` are read when present and other
columns are ignored. `sources` holds entries separated by `|` (or, without `|`, by whitespace),
each "Outlet https://..." or a bare URL, whose outlet is then named from its hostname.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from bot.domain import FactCheckRecord, RecordError, SourceRecord, parse_verdict
from bot.importers._common import Item, decoded_lines, find_url, finish, outlet_from_url, parse_date

COLUMNS = ("url", "claim", "rating", "summary", "publisher", "date", "sources")
REQUIRED = ("url", "claim", "rating")
OPTIONAL = ("title", "language", "body")

# A fact-check's body can be long; the csv module's default limit (128 KiB) is raised, not removed.
csv.field_size_limit(16 * 1024 * 1024)


def parse_sources(text: str) -> list[SourceRecord]:
    """Split a sources cell into numbered sources; an outlet is never given a made-up URL."""
    text = text.strip()
    if not text:
        return []
    pairs: list[tuple[str, str | None]] = []
    if "|" in text:
        for part in text.split("|"):
            url, outlet = find_url(part)
            if url or outlet:
                pairs.append((outlet, url))
    else:
        # "AFP https://a Reuters https://b": words before each URL name its outlet.
        words: list[str] = []
        for token in text.split():
            url, _ = find_url(token)
            if url:
                pairs.append((" ".join(words).strip(" —–-:,;"), url))
                words = []
            else:
                words.append(token)
        if words:
            pairs.append((" ".join(words).strip(" —–-:,;"), None))
    return [
        SourceRecord(position, outlet or (outlet_from_url(url) if url else f"Source [{position}]"), url)
        for position, (outlet, url) in enumerate(pairs, start=1)
    ]


def read_csv(path: Path) -> Iterator[Item]:
    """Yield a record or an error per data row; a header without the required columns stops the file."""
    file = str(path)
    bad_lines: dict[int, str] = {}

    def lines() -> Iterator[str]:
        for number, text, error in decoded_lines(path):
            if error:
                bad_lines[number] = error
            yield text

    reader = csv.reader(lines())
    try:
        header = next(reader)
    except StopIteration:
        yield RecordError(file, 1, "empty file: expected a header " + ", ".join(COLUMNS))
        return
    except csv.Error as exc:
        yield RecordError(file, 1, f"unreadable header: {exc}")
        return
    names = [re.sub(r"\s+", "_", h.strip().lower()) for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing or bad_lines:
        problem = f"lacks required column(s) {', '.join(missing)}" if missing else "is not valid UTF-8"
        yield RecordError(file, 1, f"CSV header {problem}; expected {', '.join(COLUMNS)}; nothing imported")
        return
    index = {name: names.index(name) for name in COLUMNS + OPTIONAL if name in names}

    previous_end = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield RecordError(file, reader.line_num, f"unreadable CSV row: {exc}")
            previous_end = reader.line_num
            continue
        start, previous_end = previous_end + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        decode_errors = [bad_lines.pop(n) for n in range(start, reader.line_num + 1) if n in bad_lines]
        if decode_errors:
            yield RecordError(file, start, decode_errors[0])
            continue
        if len(row) != len(names):
            yield RecordError(file, start, f"expected {len(names)} fields, found {len(row)}")
            continue
        yield _row_to_record({name: row[i].strip() for name, i in index.items()}, file, start)


def _row_to_record(cells: dict[str, str], file: str, line: int) -> Item:
    for name in REQUIRED:
        if not cells.get(name):
            return RecordError(file, line, f"{name} is empty")
    verdict = parse_verdict(cells["rating"])
    if verdict is None:
        return RecordError(file, line, f"unknown rating {cells['rating']!r}")
    date_text = cells.get("date", "")
    checked_at = parse_date(date_text) if date_text else None
    if date_text and checked_at is None:
        return RecordError(file, line, f"cannot read the date {date_text!r}")
    record = FactCheckRecord(
        url=cells["url"],
        claim=cells["claim"],
        verdict=verdict,
        rating_text=cells["rating"],
        rating_confirmed=True,
        title=cells.get("title") or cells["claim"],
        summary=cells.get("summary", ""),
        publisher=cells.get("publisher", "") or outlet_from_url(cells["url"]),
        checked_at=checked_at,
        language=(cells.get("language") or "en").lower(),
        body=cells.get("body") or None,
        sources=parse_sources(cells.get("sources", "")),
        file=file,
        line=line,
    )
    return finish(record)
