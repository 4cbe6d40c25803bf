"""A large file is parsed in a reader process: the same records and errors, in order, with their lines."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import bot.importers as importers
from bot.domain import FactCheckRecord, RecordError
from bot.importers import FORMATS, read_records
from bot.importers.aside import CHUNK, read_aside
from tests.conftest import claimbot


def claimreview_lines(path: Path, count: int, bad_every: int = 0) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            if bad_every and i % bad_every == bad_every - 1:
                out.write('{"claimReviewed": "cut off\n')
                continue
            review = {
                "@type": "ClaimReview",
                "url": f"https://checks.example/{i}",
                "claimReviewed": f"Claim number {i} about the bridge",
                "reviewRating": {"alternateName": "False"},
                "author": {"name": "Example Checks"},
            }
            out.write(json.dumps(review) + "\n")
    return path


def pids(path: Path) -> Iterator[RecordError]:
    """A reader that says where it runs."""
    for line in range(1, 3 * CHUNK):
        yield RecordError(str(path), line, str(os.getpid()))


def fails_half_way(path: Path) -> Iterator[RecordError]:
    for line in range(1, CHUNK + 10):
        yield RecordError(str(path), line, "fine")
    raise ValueError("the file stopped decoding")


def endless(path: Path) -> Iterator[RecordError]:
    line = 0
    while True:
        line += 1
        yield RecordError(str(path), line, "more")


def test_a_large_file_reads_the_same_records_and_errors_in_another_process(tmp_path: Path):
    path = claimreview_lines(tmp_path / "checks.jsonl", 3 * CHUNK + 17, bad_every=97)
    assert path.stat().st_size < importers.READ_ASIDE_BYTES  # read here, as small files are
    here = list(read_records(path))
    aside = list(read_aside(FORMATS["claimreview"], path))
    assert aside == here
    errors = [item for item in aside if isinstance(item, RecordError)]
    assert [e.line for e in errors] == list(range(97, 3 * CHUNK + 18, 97))
    assert sum(isinstance(item, FactCheckRecord) for item in aside) == 3 * CHUNK + 17 - len(errors)


@pytest.fixture
def at_the_threshold(tmp_path: Path, monkeypatch) -> Path:
    """A ClaimReview file of READ_ASIDE_BYTES exactly, read by `pids`."""
    path = claimreview_lines(tmp_path / "checks.jsonl", 10)
    monkeypatch.setattr(importers, "READ_ASIDE_BYTES", path.stat().st_size)
    monkeypatch.setitem(importers.FORMATS._where, "claimreview", (__name__, "pids"))  # type: ignore[attr-defined]
    return path


def test_read_records_reads_a_file_from_the_threshold_on_in_a_reader_process(at_the_threshold: Path):
    where = {error.message for error in read_records(at_the_threshold)}
    assert where and str(os.getpid()) not in where


def test_an_error_of_the_reader_comes_after_the_records_before_it(tmp_path: Path):
    seen = []
    with pytest.raises(ValueError, match="stopped decoding"):
        for item in read_aside(fails_half_way, tmp_path / "any.jsonl"):
            seen.append(item.line)
    assert seen == list(range(1, CHUNK + 10))


def test_a_caller_that_stops_early_ends_the_reader(tmp_path: Path):
    items = read_aside(endless, tmp_path / "any.jsonl")
    assert next(items).line == 1
    assert multiprocessing.active_children()
    items.close()
    assert multiprocessing.active_children() == []


def test_a_process_with_other_threads_reads_in_a_fresh_process(tmp_path: Path, monkeypatch):
    """A copy of a process whose other threads hold locks could hang: then the reader is spawned."""
    path = claimreview_lines(tmp_path / "checks.jsonl", CHUNK + 3)
    methods: list[str] = []
    get_context = multiprocessing.get_context
    monkeypatch.setattr(
        multiprocessing, "get_context", lambda method: methods.append(method) or get_context(method)
    )
    release = threading.Event()
    other = threading.Thread(target=release.wait, daemon=True)
    other.start()
    try:
        aside = list(read_aside(FORMATS["claimreview"], path))
    finally:
        release.set()
        other.join()
    assert methods == ["spawn"]
    assert aside == list(FORMATS["claimreview"](path))


def test_claimbot_import_of_a_large_file_reports_its_bad_lines_and_imports_the_rest(tmp_path: Path):
    path = claimreview_lines(tmp_path / "feed.jsonl", 6_000, bad_every=1_000)
    assert path.stat().st_size >= importers.READ_ASIDE_BYTES
    result = claimbot("import", str(path), db=f"sqlite:///{tmp_path / 'cli.db'}")
    assert result.returncode == 1
    assert "added 5994, updated 0, skipped 0, errors 6" in result.stdout
    assert [line.split(": ", 1)[0] for line in result.stderr.splitlines()] == [
        f"{path}:{line}" for line in range(1_000, 6_001, 1_000)
    ]


def test_on_one_core_a_large_file_is_read_here(at_the_threshold: Path, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert {error.message for error in read_records(at_the_threshold)} == {str(os.getpid())}
