"""Read fact-checks from files: one module per format, each a streaming generator of records and errors.

ClaimReview files are read with the MediaReviews in them (bot/importers/mediareview.py): a record may
carry known media, which the import hashes and stores with its fact-check.

for item in read_records(Path("checks.jsonl")):
    if isinstance(item, RecordError): report it (file, line, message) and go on
    else: store the FactCheckRecord (keyed by its url)
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from bot.domain import FactCheckRecord, RecordError, SourceRecord
from bot.importers._common import starter_path

Reader = Callable[[Path], Iterator[FactCheckRecord | RecordError]]


class _Readers(Mapping[str, Reader]):
    """Format name -> reader, each reader's module imported when the reader is first wanted: a
    process that imports nothing (`claimbot ask`, a chat worker) never loads the parsers, though
    every store write passes bot.importers._common (this package's init runs first)."""

    def __init__(self, where: dict[str, tuple[str, str]]) -> None:
        self._where = where

    def __getitem__(self, name: str) -> Reader:
        module, attribute = self._where[name]
        return getattr(importlib.import_module(module), attribute)

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


FORMATS: Mapping[str, Reader] = _Readers(
    {
        "report": ("bot.importers.report", "read_report"),
        # and MediaReview: both are schema.org reviews in the same JSON-LD
        "claimreview": ("bot.importers.mediareview", "read_reviews"),
        "csv": ("bot.importers.csv_format", "read_csv"),
        "checkthat": ("bot.importers.checkthat", "read_checkthat"),
    }
)

# Formats of many records a file: from READ_ASIDE_BYTES on (~1,000 ClaimReviews), on a machine of
# two cores or more, a process of their own parses them while the importing one stores them
# (bot/importers/aside.py).
STREAMED_FORMATS = frozenset({"claimreview", "csv", "checkthat"})
READ_ASIDE_BYTES = 1 << 20

# Names people are likely to pass to --format for the same readers.
ALIASES = {
    "json": "claimreview",
    "jsonld": "claimreview",
    "jsonl": "claimreview",
    "mediareview": "claimreview",
    "txt": "report",
    "text": "report",
    "vclaims": "checkthat",
}

_JSON_SUFFIXES = {".json", ".jsonld", ".jsonl", ".ndjson"}
_TEXT_SUFFIXES = {".txt", ".md", ".text"}
_PEEK = 64 * 1024

__all__ = [
    "FORMATS",
    "FactCheckRecord",
    "RecordError",
    "SourceRecord",
    "detect_format",
    "read_records",
    "starter_path",
]


def _cores() -> int:
    """The cores this process may run on: on one, a reader process would only add its pickling."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def detect_format(path: Path) -> str:
    """Name of the format of a file: by extension, then by a peek at its first 64 KiB."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in _TEXT_SUFFIXES:
        return "report"
    if suffix == ".csv":
        return "csv"
    with path.open("rb") as handle:
        head = handle.read(_PEEK).removeprefix(b"\xef\xbb\xbf")
    if suffix in _JSON_SUFFIXES or head.lstrip()[:1] in (b"{", b"["):
        # The first object decides; "vclaim_id" as a key does not occur in ClaimReview.
        return "checkthat" if b'"vclaim_id"' in head else "claimreview"
    first_line = head.split(b"\n", 1)[0].lower()
    if b"," in first_line and b"url" in first_line and b"claim" in first_line:
        return "csv"
    return "report"


def read_records(path: Path | str, fmt: str | None = None) -> Iterator[FactCheckRecord | RecordError]:
    """Records and errors from one file, streaming; FileNotFoundError at once when it does not exist.

    The checks run before the generator is returned, so the caller sees a missing file or an
    unknown format where it calls, not on the first iteration.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if path.is_dir():
        raise IsADirectoryError(f"is a directory, not a file: {path}")
    name = ALIASES.get(fmt, fmt) if fmt else detect_format(path)
    if name not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    read = FORMATS[name]
    if name in STREAMED_FORMATS and path.stat().st_size >= READ_ASIDE_BYTES and _cores() > 1:
        from bot.importers.aside import read_aside

        return read_aside(read, path)
    return read(path)
