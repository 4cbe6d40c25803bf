"""Outside fact-checks over HTTP: `claimbot import URL`, and saved feeds kept in sync.

* `import_url(service, url)`: fetch a page, feed or sitemap (bot/importers/web.py) and store its
  ClaimReviews by URL. Conditional for every URL, ad-hoc or saved: the ETag / Last-Modified of each
  fetched document is kept in the `FeedSource` table (rows with `saved` False are only that
  cache), so a re-import sends If-None-Match / If-Modified-Since and a 304 costs nothing.
  `refresh=True` (`claimbot import --refresh URL`) ignores them.
* `claimbot sources add|list|remove|sync`: the saved feeds (`saved` True). `sync` runs once over
  the sources that are due; a source whose URL fails (HTTP error, timeout, robots.txt, not a
  feed) is reported, counted, and left alone for a doubling pause (5 min up to a day) before the
  next try. Errors inside a source (one broken page of a sitemap) are reported, not a failure.
* `run_source_sync(service, stop, every_minutes)`: the serving process's background task. All
  HTTP is async and every database call runs in a worker thread, so a slow or failing source
  never holds up answering.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.domain import ImportReport, ServiceError
from bot.importers.web import MAX_URL, Crawler, CrawlError, PageResult, Validators
from bot.service import ClaimService
from store.db import session_scope
from store.models import FeedSource, utcnow

log = logging.getLogger(__name__)

BACKOFF_FIRST = timedelta(minutes=5)
BACKOFF_MAX = timedelta(days=1)
LEFT_OUT_SHOWN = 5


@dataclass
class UrlImport:
    """What one URL brought in."""

    url: str
    report: ImportReport = field(default_factory=ImportReport)
    kind: str = ""  # html, json, sitemap
    fetched: int = 0  # documents read (status 200)
    not_modified: int = 0  # documents answered 304
    left_out: list[str] = field(default_factory=list)
    error: str | None = None  # the URL itself could not be read: nothing imported

    @property
    def failed(self) -> bool:
        return self.error is not None or self.report.failed

    def summary(self) -> str:
        r = self.report
        if self.error is not None:
            return f"failed: {self.error}"
        line = f"added {r.added}, updated {r.updated}, skipped {r.skipped}, errors {len(r.errors)}"
        if self.not_modified and not self.fetched:
            return line + "; not modified since the last import"
        extra = f"{self.fetched} document(s) read"
        if self.not_modified:
            extra += f", {self.not_modified} not modified"
        if self.left_out:
            extra += f", {len(self.left_out)} URL(s) left out"
        return f"{line}; {extra}"


# ------------------------------------------------------------------------ HTTP validators


def load_validators(engine: Engine, urls: list[str]) -> dict[str, Validators]:
    found: dict[str, Validators] = {}
    with Session(engine) as session:
        for start in range(0, len(urls), 500):
            chunk = urls[start : start + 500]
            for row in session.exec(select(FeedSource).where(col(FeedSource.url).in_(chunk))):
                validators = Validators(row.etag, row.last_modified)
                if validators:
                    found[row.url] = validators
    return found


def save_validators(engine: Engine, pages: Iterable[PageResult]) -> None:
    """Remember the validators of documents just read, so the next fetch can be conditional."""
    wanted = {p.url: p.validators for p in pages if p.fetched and len(p.url) <= MAX_URL}
    if not wanted:
        return
    now = utcnow()
    try:
        with session_scope(engine) as session:
            rows = {r.url: r for r in session.exec(select(FeedSource).where(col(FeedSource.url).in_(wanted)))}
            for url, validators in wanted.items():
                row = rows.get(url) or FeedSource(url=url, saved=False)
                row.etag = (validators.etag or "")[:500] or None
                row.last_modified = (validators.last_modified or "")[:100] or None
                if not row.saved:
                    row.last_synced_at = now
                session.add(row)
    except IntegrityError:
        # Another process stored the same URL at the same moment: its validators do as well.
        log.debug("validators stored concurrently; kept the other process's")


async def import_url_async(
    service: ClaimService,
    url: str,
    *,
    refresh: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> UrlImport:
    """Fetch a URL (page, feed or sitemap) and import every ClaimReview it holds."""
    outcome = UrlImport(url)

    async def known(urls: list[str]) -> dict[str, Validators]:
        return await asyncio.to_thread(load_validators, service.engine, urls)

    async with Crawler(service.settings, transport=transport) as crawler:
        try:
            result = await crawler.crawl(url, known=known, refresh=refresh)
        except CrawlError as exc:
            outcome.error = str(exc)
            return outcome
    outcome.kind = result.start.kind
    outcome.left_out = result.left_out
    documents = result.documents()
    outcome.fetched = sum(1 for d in documents if d.fetched)
    outcome.not_modified = sum(1 for d in documents if d.not_modified)
    outcome.report = await asyncio.to_thread(service.import_records, list(result.items()))
    await asyncio.to_thread(save_validators, service.engine, documents)
    return outcome


def import_url(service: ClaimService, url: str, *, refresh: bool = False) -> UrlImport:
    """`claimbot import URL`: the same, for synchronous callers."""
    return asyncio.run(import_url_async(service, url, refresh=refresh))


# ------------------------------------------------------------------------ saved sources


def _check_url(url: str) -> str:
    url = url.strip()
    if not url.startswith(("http://", "https://")) or len(url) > MAX_URL or " " in url:
        raise ServiceError(f"not an http(s) URL: {url[:100]}")
    return url


def add_source(service: ClaimService, url: str) -> FeedSource:
    url = _check_url(url)
    with session_scope(service.engine) as session:
        row = session.exec(select(FeedSource).where(FeedSource.url == url)).first()
        if row is not None and row.saved:
            raise ServiceError(f"{url} is already a saved source (#{row.id})")
        row = row or FeedSource(url=url)
        row.saved = True
        row.added_at = utcnow()
        row.failures = 0
        row.next_attempt_at = None
        row.last_error = None
        session.add(row)
        session.flush()
        return row


def list_sources(service: ClaimService) -> list[FeedSource]:
    with Session(service.engine) as session:
        return list(session.exec(select(FeedSource).where(FeedSource.saved).order_by(col(FeedSource.id))))


def remove_source(service: ClaimService, which: str) -> FeedSource:
    """Forget a saved source by URL or #id; the fact-checks it brought in stay."""
    with session_scope(service.engine) as session:
        query = select(FeedSource).where(FeedSource.saved)
        key = which.strip().removeprefix("#")
        query = (
            query.where(FeedSource.id == int(key)) if key.isdigit() else query.where(FeedSource.url == key)
        )
        row = session.exec(query).first()
        if row is None:
            raise ServiceError(f"no saved source {which}")
        session.delete(row)
        return row


@dataclass
class SourceSync:
    source: FeedSource
    result: UrlImport | None  # None: skipped, still backing off
    next_attempt_at: datetime | None = None

    @property
    def failed(self) -> bool:
        return self.result is not None and self.result.error is not None


def backoff(failures: int) -> timedelta:
    """The pause after the n-th failure in a row: 5 min, 10, 20 … up to a day."""
    return min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** max(0, failures - 1))


async def sync_sources(
    service: ClaimService,
    *,
    force: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[SourceSync]:
    """Sync every saved source once (those backing off only with `force`); never raises for a source."""
    sources = await asyncio.to_thread(list_sources, service)
    synced: list[SourceSync] = []
    for source in sources:
        now = utcnow()
        due = source.next_attempt_at
        if not force and due is not None and _aware(due) > now:
            synced.append(SourceSync(source, None, due))
            continue
        try:
            result = await import_url_async(service, source.url, transport=transport)
        except Exception as exc:  # noqa: BLE001 - one source must not stop the others
            log.exception("syncing %s failed", source.url)
            result = UrlImport(source.url, error=f"{type(exc).__name__}: {exc}"[:500])
        next_attempt = await asyncio.to_thread(_record_sync, service.engine, source.url, result)
        synced.append(SourceSync(source, result, next_attempt))
        if result.error is not None:
            log.warning("source %s failed (%s); next try at %s", source.url, result.error, next_attempt)
    return synced


def _record_sync(engine: Engine, url: str, result: UrlImport) -> datetime | None:
    now = utcnow()
    with session_scope(engine) as session:
        row = session.exec(select(FeedSource).where(FeedSource.url == url)).first()
        if row is None:  # removed meanwhile
            return None
        row.last_synced_at = now
        if result.error is not None:
            row.failures += 1
            row.last_error = result.error[:1000]
            row.next_attempt_at = now + backoff(row.failures)
        else:
            row.failures = 0
            row.last_error = None
            row.next_attempt_at = None
            row.last_result = result.summary()[:300]
        session.add(row)
        return row.next_attempt_at


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def run_source_sync(
    service: ClaimService, stop: asyncio.Event, every_minutes: float | None = None
) -> None:
    """Sync the saved sources now and then every N minutes until `stop` is set (a background task)."""
    interval = 60 * (every_minutes or service.settings.sources_sync_minutes)
    while not stop.is_set():
        try:
            results = await sync_sources(service)
            failed = [s.source.url for s in results if s.failed]
            if failed:
                log.warning("%d source(s) failed to sync: %s", len(failed), ", ".join(failed))
        except Exception:  # noqa: BLE001 - the loop outlives a broken database moment
            log.exception("source sync failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


# ------------------------------------------------------------------------ the command


def command(service: ClaimService, args: argparse.Namespace) -> int:
    """`claimbot sources add|list|remove|sync`."""
    action = args.sources_action
    if action == "add":
        row = add_source(service, args.url)
        print(f"Saved source #{row.id}: {row.url} (synced by `claimbot sources sync`).")
        return 0
    if action == "remove":
        row = remove_source(service, args.source)
        print(f"Removed source #{row.id}: {row.url} (its fact-checks stay).")
        return 0
    if action == "list":
        rows = list_sources(service)
        if not rows:
            print("No saved sources; add one with `claimbot sources add URL`.")
        for row in rows:
            print(describe(row))
        return 0
    results = asyncio.run(sync_sources(service, force=args.force))
    if not results:
        print("No saved sources.")
    status = 0
    for sync in results:
        if sync.result is None:
            print(f"{sync.source.url}: skipped, retrying after {sync.next_attempt_at:%Y-%m-%d %H:%M} UTC")
            continue
        for error in sync.result.report.errors + sync.result.report.notices:
            print(str(error), file=sys.stderr)
        print(f"{sync.source.url}: {sync.result.summary()}")
        if sync.failed:
            print(f"  failed; next try after {sync.next_attempt_at:%Y-%m-%d %H:%M} UTC", file=sys.stderr)
        status = 1 if sync.result.failed else status
    return status


def describe(row: FeedSource) -> str:
    when = f"{row.last_synced_at:%Y-%m-%d %H:%M}" if row.last_synced_at else "never"
    line = f"#{row.id} {row.url} (last synced {when}"
    if row.failures:
        retry = f"{row.next_attempt_at:%Y-%m-%d %H:%M}" if row.next_attempt_at else "now"
        line += f"; failing {row.failures}x: {row.last_error}; retry after {retry}"
    elif row.last_result:
        line += f"; {row.last_result}"
    return line + ")"


def print_url_import(outcome: UrlImport) -> None:
    """What `claimbot import URL` prints, in the same shape as a file import."""
    for error in outcome.report.errors + outcome.report.notices:
        print(str(error), file=sys.stderr)
    for reason in outcome.left_out[:LEFT_OUT_SHOWN]:
        print(f"{outcome.url}: left out {reason}", file=sys.stderr)
    if len(outcome.left_out) > LEFT_OUT_SHOWN:
        print(f"{outcome.url}: … and {len(outcome.left_out) - LEFT_OUT_SHOWN} more left out", file=sys.stderr)
    if outcome.error is not None:
        print(f"claimbot: {outcome.url}: {outcome.error}", file=sys.stderr)
    print(f"{outcome.url}: {outcome.summary()}")
