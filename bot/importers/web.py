"""ClaimReview over HTTP: publishers' pages (JSON-LD), JSON / JSON Lines feeds, and sitemaps of pages.

    async with Crawler(settings) as crawler:
        result = await crawler.crawl("https://publisher.example/sitemap.xml", known=validators_for)
    result.records()  -> FactCheckRecord and RecordError items (file = the page's URL), for import

One URL may be an HTML page, a JSON / JSON Lines feed, or a sitemap (or sitemap index) whose pages
are fetched in turn; what each holds is read by bot/importers/documents.py.

The crawl is bounded and polite: the start URL's host only, at most CLAIMBOT_CRAWL_PAGE_LIMIT pages
(200), CLAIMBOT_CRAWL_CONCURRENCY requests at a time (4) and robots.txt `Crawl-delay` between them,
a timeout per read and a deadline per document (CLAIMBOT_HTTP_TIMEOUT, CLAIMBOT_HTTP_DEADLINE), a
clear User-Agent, robots.txt honoured (RFC 9309: a missing robots.txt allows everything, an
unreachable one allows nothing; only its first 500 KiB are read), and bodies over 10 MiB refused,
counted once decoded (gzip inside gzip cannot blow up in memory).

It cannot be turned against the inside (bot/fetching.py): redirects are followed here, one hop at
a time, and every hop is checked before it is requested: its host must not resolve to a loopback,
private, link-local or reserved address (unless named in CLAIMBOT_HTTP_ALLOW_HOSTS), robots.txt
must allow it, and a page a sitemap lists must stay on the sitemap's site.

Re-fetches are conditional: `known(urls)` gives the ETag / Last-Modified seen last time, and a
304 leaves that document out (`PageResult.not_modified`). Storing validators is the caller's job
(`bot.sources`); this module touches no database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from bot.domain import RecordError
from bot.fetching import AddressGuard, FetchRefused, read_body
from bot.importers._common import MAX_URL, Item
from bot.importers.documents import (
    MAX_BODY_BYTES,
    detect_kind,
    records_from_html,
    records_from_json,
    sitemap_locations,
)

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)

MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309 2.5: a crawler may ignore what comes after
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
MAX_SITEMAPS = 20  # documents of one sitemap index
MAX_CRAWL_DELAY = 10.0  # seconds; a robots.txt asking for more gets this much


@dataclass(frozen=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None

    def __bool__(self) -> bool:
        return bool(self.etag or self.last_modified)

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


KnownValidators = Callable[[list[str]], Awaitable[dict[str, Validators]]]


class CrawlSettings(Protocol):
    """What a crawl is told by the settings (`bot.config.Settings` has all of it)."""

    http_user_agent: str | None
    http_timeout: float
    http_deadline: float
    http_allow_hosts: list[str]
    crawl_page_limit: int
    crawl_concurrency: int


def user_agent(configured: str | None = None) -> str:
    """The User-Agent of every request ClaimBot makes on its own: the configured one, or name/version."""
    if configured:
        return configured
    try:
        number = version("claimbot")
    except PackageNotFoundError:
        number = "0"
    return f"ClaimBot/{number} (+https://github.com/claimbot)"


@dataclass
class PageResult:
    """One fetched document: its records, or why there are none."""

    url: str
    kind: str = ""  # html, json, sitemap ("" when it could not be fetched)
    items: list[Item] = field(default_factory=list)
    not_modified: bool = False
    error: str | None = None  # the fetch failed (HTTP status, timeout, robots.txt, too large, refused)
    validators: Validators = field(default_factory=Validators)

    @property
    def fetched(self) -> bool:
        return self.error is None and not self.not_modified


@dataclass
class CrawlResult:
    start: PageResult
    pages: list[PageResult] = field(default_factory=list)  # pages listed by a sitemap
    left_out: list[str] = field(default_factory=list)  # why listed URLs were not fetched

    def documents(self) -> list[PageResult]:
        return [self.start, *self.pages]

    def items(self) -> Iterator[Item]:
        for page in self.documents():
            if page.error is not None and page is not self.start:
                yield RecordError(page.url, 0, page.error)
            yield from page.items


class CrawlError(Exception):
    """The start URL itself could not be read (the whole source failed)."""


def same_site(url: str, start: str) -> bool:
    a, b = urlsplit(url), urlsplit(start)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port) or (
        a.hostname == b.hostname and a.port == b.port and {a.scheme, b.scheme} == {"http", "https"}
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


@dataclass
class _Fetched:
    status: int
    body: bytes = b""
    content_type: str = ""
    encoding: str = "utf-8"
    validators: Validators = field(default_factory=Validators)


class Crawler:
    """An HTTP client for publishers' sites: polite, bounded, conditional."""

    def __init__(
        self,
        settings: CrawlSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        page_limit: int | None = None,
    ) -> None:
        self.settings = settings
        self.user_agent = user_agent(settings.http_user_agent)
        self.page_limit = page_limit or settings.crawl_page_limit
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._slots = asyncio.Semaphore(settings.crawl_concurrency)
        self._guard = AddressGuard(settings.http_allow_hosts)
        self._robots: dict[str, RobotFileParser | None] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._next_request: dict[str, float] = {}
        self._pace_lock = asyncio.Lock()
        self._locations: dict[str, list[str]] = {}  # sitemap URL -> its <loc> URLs, until crawled
        self._index_children: set[str] = set()  # URLs a sitemap index names: sitemaps, not pages

    async def __aenter__(self) -> Crawler:
        import httpx  # here, not at import: `claimbot ask` without a link never needs it

        self._client = httpx.AsyncClient(
            transport=self._transport,
            timeout=httpx.Timeout(self.settings.http_timeout),
            # Only what bot.fetching decodes within its cap (httpx would add br / zstd when installed).
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=False,  # _get follows them, checking each hop first
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    # ------------------------------------------------------------------ the crawl

    async def crawl(
        self, url: str, *, known: KnownValidators | None = None, refresh: bool = False
    ) -> CrawlResult:
        """Fetch a URL and, when it is a sitemap, the pages it lists; CrawlError when the URL fails."""
        if not url.startswith(("http://", "https://")) or len(url) > MAX_URL:
            raise CrawlError(f"not an http(s) URL: {url[:100]}")
        validators = {} if refresh or known is None else await known([url])
        start = await self._fetch_document(url, validators.get(url), as_start=True)
        if start.error is not None:
            raise CrawlError(start.error)
        result = CrawlResult(start)
        if start.kind != "sitemap" or start.not_modified:
            return result
        pages = await self._sitemap_pages(url, start, result)
        validators = {} if refresh or known is None else await known(pages)
        fetched = await asyncio.gather(*(self._fetch_document(p, validators.get(p)) for p in pages))
        result.pages.extend(fetched)
        return result

    async def _sitemap_pages(self, url: str, start: PageResult, result: CrawlResult) -> list[str]:
        """Page URLs of a sitemap (following an index one level down), same host, within the limit."""
        pending = self._locations.pop(url, [])
        pages: list[str] = []
        seen = {url}
        sitemaps = 0
        while pending:
            loc = pending.pop(0)
            if loc in seen:
                continue
            seen.add(loc)
            if not same_site(loc, url):
                result.left_out.append(f"{loc}: another host")
                continue
            if self._is_sitemap_url(loc):
                sitemaps += 1
                if sitemaps > MAX_SITEMAPS:
                    result.left_out.append(f"{loc}: more than {MAX_SITEMAPS} sitemaps")
                    continue
                child = await self._fetch_document(loc, None)
                if child.error is not None or child.kind != "sitemap":
                    result.pages.append(child if child.error else PageResult(loc, error="not a sitemap"))
                    continue
                pending.extend(self._locations.pop(loc, []))
                continue
            if len(pages) >= self.page_limit:
                result.left_out.append(f"{loc}: over the page limit of {self.page_limit}")
                continue
            pages.append(loc)
        return pages

    def _is_sitemap_url(self, url: str) -> bool:
        return url in self._index_children

    # ------------------------------------------------------------------ a page someone linked

    async def fetch_page(self, url: str, limit: int) -> str:
        """The first `limit` decoded bytes of one page a person linked; FetchRefused saying why not.

        Every hop is checked like a crawl's (no internal address, one deadline for hops and body), but
        robots.txt is not asked: a person asked for this one page, as a link preview does. Reading
        stops at `limit`: a page's title and descriptions are in its head, and a 50 MB page is not
        read to its end.
        """
        fetched = await self._get_one(url, limit, truncate=True)
        media = fetched.content_type.split(";", 1)[0].strip().lower()
        if ("html" not in media) if media else detect_kind("", fetched.body) != "html":
            raise FetchRefused("it is not a web page")
        return fetched.body.decode(fetched.encoding or "utf-8", errors="replace").removeprefix("\ufeff")

    async def fetch_media(self, url: str, limit: int) -> bytes:
        """The bytes of one photo or video an import names (a MediaReview's contentUrl); FetchRefused
        saying why not, or when it is larger than `limit`.

        Checked hop by hop like every fetch (no internal address, one deadline); robots.txt is not
        asked, as for `fetch_page`: the file is named by a fact-check being imported, as an image on a
        page is loaded with it. What the bytes are is left to the fingerprinting (bot.media).
        """
        return (await self._get_one(url, limit)).body

    async def _get_one(self, url: str, limit: int, *, truncate: bool = False) -> _Fetched:
        """One http(s) URL named by a person or an import, outside any crawl (robots.txt not asked):
        its answer when the site answered 200, else FetchRefused saying why."""
        import httpx

        if not url.startswith(("http://", "https://")) or len(url) > MAX_URL:
            raise FetchRefused("not an http(s) link")
        try:
            fetched = await self._get(
                url, None, same_site_only=False, robots=False, limit=limit, truncate=truncate
            )
        except httpx.TimeoutException:
            raise FetchRefused(f"no answer within {self.settings.http_timeout:g} s") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise FetchRefused(f"{type(exc).__name__}: {str(exc)[:200] or 'request failed'}") from None
        if fetched.status != 200:
            raise FetchRefused(f"the site answered HTTP {fetched.status}")
        return fetched

    # ------------------------------------------------------------------ one document

    async def _fetch_document(
        self, url: str, validators: Validators | None, *, as_start: bool = False
    ) -> PageResult:
        import httpx

        page = PageResult(url)
        try:
            # The start URL may redirect to another host (publisher.example -> www.publisher.example);
            # pages a sitemap lists stay on its site.
            fetched = await self._get(url, validators, same_site_only=not as_start)
        except httpx.TimeoutException:
            page.error = f"no answer within {self.settings.http_timeout:g} s"
            return page
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            page.error = f"{type(exc).__name__}: {str(exc)[:200] or 'request failed'}"
            return page
        except FetchRefused as exc:
            page.error = str(exc)
            return page
        if fetched.status == 304 and validators:
            page.not_modified = True
            page.validators = validators
            return page
        if fetched.status != 200:
            page.error = f"HTTP {fetched.status}"
            return page
        page.validators = fetched.validators
        page.kind = detect_kind(fetched.content_type, fetched.body)
        if page.kind == "sitemap":
            try:
                # defusedxml parses in Python (about 0.2 s a MiB): off the loop that answers askers.
                kind, locations = await asyncio.to_thread(sitemap_locations, fetched.body)
            except ValueError as exc:
                page.error = str(exc)
                return page
            self._locations[url] = locations
            if kind == "sitemapindex":
                self._index_children.update(locations)
            return page
        text = fetched.body.decode(fetched.encoding or "utf-8", errors="replace").removeprefix("\ufeff")
        if page.kind == "json":
            page.items = records_from_json(text, url)
        else:
            page.items = records_from_html(text, url, complain=as_start)
        return page

    async def _get(
        self,
        url: str,
        validators: Validators | None,
        *,
        same_site_only: bool,
        robots: bool = True,
        limit: int = MAX_BODY_BYTES,
        truncate: bool = False,
    ) -> _Fetched:
        """GET `url`, following redirects one hop at a time; FetchRefused when a hop may not be fetched.

        Before each hop is requested: its address is checked, robots.txt asked (unless this is
        robots.txt), and with `same_site_only` it must stay on `url`'s site. The hops and the body
        share one deadline; waiting for a request slot or a Crawl-delay does not count against it.
        """
        assert self._client is not None, "use `async with Crawler(...)`"
        headers = validators.headers() if validators else {}
        deadline = _Deadline(self.settings.http_deadline)
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            async with deadline.running():
                await self._guard.check(current)
            if robots and not await self._allowed(current):
                raise FetchRefused("disallowed by robots.txt")
            async with self._slots:
                await self._pace(current)
                request = self._client.stream("GET", current, headers=headers)
                async with deadline.running(), request as response:
                    location = response.headers.get("Location", "").strip()
                    if response.status_code not in REDIRECTS or not location:
                        if response.status_code != 200:
                            return _Fetched(response.status_code)
                        return _Fetched(
                            200,
                            await read_body(response, limit, truncate=truncate),
                            response.headers.get("Content-Type", ""),
                            response.charset_encoding or "utf-8",
                            Validators(response.headers.get("ETag"), response.headers.get("Last-Modified")),
                        )
            target = urljoin(current, location)
            if not target.startswith(("http://", "https://")) or len(target) > MAX_URL:
                raise FetchRefused(f"redirected to something not an http(s) URL: {target[:100]}")
            if same_site_only and not same_site(target, url):
                raise FetchRefused(f"redirected to another host ({urlsplit(target).hostname})")
            current = target
        raise FetchRefused(f"more than {MAX_REDIRECTS} redirects")

    async def _pace(self, url: str) -> None:
        """Keep robots.txt's Crawl-delay between requests to one host."""
        origin = _origin(url)
        robots = self._robots.get(origin)
        delay = robots.crawl_delay(self.user_agent) if robots is not None else None
        if not delay:
            return
        async with self._pace_lock:
            now = time.monotonic()
            start = max(now, self._next_request.get(origin, now))
            self._next_request[origin] = start + min(float(delay), MAX_CRAWL_DELAY)
        await asyncio.sleep(start - now)

    async def _allowed(self, url: str) -> bool:
        origin = _origin(url)
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin not in self._robots:
                self._robots[origin] = await self._read_robots(origin)
        robots = self._robots[origin]
        return robots is not None and robots.can_fetch(self.user_agent, url)

    async def _read_robots(self, origin: str) -> RobotFileParser | None:
        """robots.txt per RFC 9309: 4xx allows everything; 5xx or no answer allows nothing (None)."""
        import httpx

        parser = RobotFileParser(origin + "/robots.txt")
        try:
            # Redirects may lead to another host (RFC 9309 2.3.1.2), but never to an internal one.
            fetched = await self._get(
                origin + "/robots.txt",
                None,
                same_site_only=False,
                robots=False,
                limit=MAX_ROBOTS_BYTES,
                truncate=True,
            )
        except (httpx.HTTPError, httpx.InvalidURL, FetchRefused) as exc:
            reason = str(exc)[:200] if isinstance(exc, FetchRefused) else type(exc).__name__
            log.warning("robots.txt of %s unreachable (%s): not crawling it", origin, reason)
            return None
        if fetched.status >= 500:
            log.warning("robots.txt of %s answered %s: not crawling it", origin, fetched.status)
            return None
        if fetched.status != 200:
            parser.parse([])  # no robots.txt: everything is allowed
            return parser
        body = fetched.body
        if len(body) >= MAX_ROBOTS_BYTES:
            log.warning("robots.txt of %s is over 500 KiB: only its first 500 KiB are read", origin)
            body = body.rsplit(b"\n", 1)[0]  # a rule cut in half could allow more than it says
        parser.parse(body.decode("utf-8", errors="replace").splitlines())
        return parser


class _Deadline:
    """One time budget spent over several stretches (the hops and the body of one document)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.left = seconds

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.timeout(max(self.left, 0)) as timeout:
                yield
        except TimeoutError:
            if not timeout.expired():
                raise
            raise FetchRefused(f"not read within the {self.seconds:g} s deadline") from None
        finally:
            self.left -= loop.time() - started
