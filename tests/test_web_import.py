"""ClaimReview over HTTP: JSON-LD pages, feeds, sitemaps, saved sources and their sync.

Parsing is tested on strings; everything else against a publisher site on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import threading
import time
import tracemalloc
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.domain import (
    Asker,
    ChatRef,
    FactCheckRecord,
    OutcomeKind,
    Question,
    RecordError,
    ServiceError,
    Verdict,
)
from bot.importers import web
from bot.importers.documents import detect_kind, records_from_html, records_from_json, sitemap_locations
from bot.importers.web import Crawler, CrawlError
from bot.service import ClaimService
from bot.sources import (
    add_source,
    backoff,
    import_url_async,
    list_sources,
    remove_source,
    run_source_sync,
    sync_sources,
)
from store.models import utcnow
from tests.conftest import claimbot as run_claimbot
from tests.conftest import make_settings
from tests.fakes import PATIENCE, eventually, patient
from tests.fakes.publisher_site import HANG, PublisherSite, gzip_bomb, html_page, review, sitemap

ROOT = Path(__file__).resolve().parents[1]
PAGE = "https://factdesk.example/checks/page.html"


def records(items: list) -> list[FactCheckRecord]:
    return [i for i in items if isinstance(i, FactCheckRecord)]


def errors(items: list) -> list[RecordError]:
    return [i for i in items if isinstance(i, RecordError)]


# ------------------------------------------------------------------------------------ parsing


def claimbot(*args: str, db: str) -> subprocess.CompletedProcess[str]:
    # The publisher runs on 127.0.0.1, which only the allow-list lets through.
    return run_claimbot(*args, db=db, env={"CLAIMBOT_HTTP_ALLOW_HOSTS": "127.0.0.1"})


def test_every_json_ld_block_graph_and_list_is_read() -> None:
    html = html_page(
        review("https://factdesk.example/checks/one", "Claim one", "False"),
        {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "WebPage", "name": "page"},
                review("/checks/two", "Claim two", "Mostly true"),  # relative: made absolute
                {"@type": "Organization", "name": "Fact Desk"},
            ],
        },
        [review("https://factdesk.example/checks/three", "Claim three", "Misleading")],
        {"@type": "NewsArticle", "headline": "not a review"},
        raw_blocks=(
            "<!-- " + json.dumps(review("https://factdesk.example/four", "Claim four", "True")) + " -->",
        ),
    )
    items = records_from_html(html, PAGE)
    assert errors(items) == []
    found = {r.url: (r.claim, r.verdict) for r in records(items)}
    assert found == {
        "https://factdesk.example/checks/one": ("Claim one", Verdict.FALSE),
        "https://factdesk.example/checks/two": ("Claim two", Verdict.MOSTLY_TRUE),
        "https://factdesk.example/checks/three": ("Claim three", Verdict.MISLEADING),
        "https://factdesk.example/four": ("Claim four", Verdict.TRUE),
    }
    assert all(r.file == PAGE for r in records(items))


def test_malformed_json_ld_is_an_error_with_its_line_and_the_rest_is_read() -> None:
    html = html_page(
        review("https://factdesk.example/ok", "Good claim", "False"), raw_blocks=('{"@type": "ClaimReview",',)
    )
    items = records_from_html(html, PAGE)
    assert [r.url for r in records(items)] == ["https://factdesk.example/ok"]
    [error] = errors(items)
    assert error.file == PAGE and "invalid JSON-LD" in error.message
    assert error.line == html[: html.index('{"@type": "ClaimReview",')].count("\n") + 1


def test_reviews_without_their_own_url_are_keyed_by_the_page() -> None:
    single = records_from_html(html_page(review(None, "Only claim", "False")), PAGE)
    assert [r.url for r in single] == [PAGE]
    double = records_from_html(html_page(review(None, "A", "False"), review(None, "B", "True")), PAGE)
    assert [r.url for r in double] == [f"{PAGE}#claimreview-1", f"{PAGE}#claimreview-2"]


def test_a_page_without_json_ld_is_reported_only_when_asked_for() -> None:
    html = "<html><body><script>var x = {};</script></body></html>"
    assert [e.message for e in errors(records_from_html(html, PAGE))] == [
        "no ClaimReview JSON-LD on this page"
    ]
    assert records_from_html(html, PAGE, complain=False) == []


def test_json_documents_and_json_lines_feeds() -> None:
    one = review("https://factdesk.example/1", "One", "False")
    two = review("https://factdesk.example/2", "Two", "True")
    assert [r.url for r in records_from_json(json.dumps([one, two]), "feed")] == [one["url"], two["url"]]
    lines = json.dumps(one) + "\n\n" + json.dumps(two) + "\n{broken\n"
    items = records_from_json(lines, "feed.jsonl")
    assert [r.url for r in records(items)] == [one["url"], two["url"]]
    assert [(e.line, e.file) for e in errors(items)] == [(4, "feed.jsonl")]
    assert errors(records_from_json('{"claims": [', "api"))[0].message.startswith("invalid JSON")


def test_sitemaps_plain_gzipped_and_indexes() -> None:
    body = sitemap("http://a.test/1", "http://a.test/2").encode()
    assert sitemap_locations(body) == ("urlset", ["http://a.test/1", "http://a.test/2"])
    assert sitemap_locations(gzip.compress(body)) == ("urlset", ["http://a.test/1", "http://a.test/2"])
    assert sitemap_locations(sitemap("http://a.test/s.xml", index=True).encode())[0] == "sitemapindex"
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><urlset><url><loc>&a;</loc></url></urlset>'
    for bad in (bomb, b"<rss><channel/></rss>", b"<urlset><url>"):
        with pytest.raises(ValueError):
            sitemap_locations(bad)


def test_a_doctype_anywhere_in_a_sitemap_is_refused() -> None:
    entities = '<!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    urlset = "<urlset><url><loc>http://a.test/&b;</loc></url></urlset>"
    after_a_comment = '<?xml version="1.0"?>\n<!--' + "padding " * 500 + "-->\n" + entities + urlset
    after_blank_lines = '<?xml version="1.0"?>' + "\n" * 3000 + entities + urlset
    for late in (after_a_comment, after_blank_lines):
        assert late.index("<!DOCTYPE") > 2048
        for body in (late.encode(), gzip.compress(late.encode())):
            with pytest.raises(ValueError, match="DOCTYPE"):
                sitemap_locations(body)


def test_kind_is_told_from_content_type_and_body() -> None:
    assert detect_kind("text/html; charset=utf-8", b"{") == "html"
    assert detect_kind("application/ld+json", b"") == "json"
    assert detect_kind("application/x-ndjson", b"") == "json"
    assert detect_kind("application/xml", b"") == "sitemap"
    assert detect_kind("", b'<?xml version="1.0"?><urlset>') == "sitemap"
    assert detect_kind("application/octet-stream", b"\x1f\x8b...") == "sitemap"
    assert detect_kind("", b" [ {} ]") == "json"


# ------------------------------------------------------------------------------------ a publisher site


def site_settings(db: str, **overrides: object) -> Settings:
    # The fake publisher is on loopback, which is refused unless the operator allows it by name.
    # The default timeout (10 s): a page that answers is never timed out, however busy the machine.
    # Pages that never answer (HANG) are given up on sooner by `GiveUpOnHanging`.
    values: dict[str, object] = {"CLAIMBOT_HTTP_ALLOW_HOSTS": "127.0.0.1"}
    values.update(overrides)
    return make_settings(db, **values)


class GiveUpOnHanging(httpx.AsyncBaseTransport):
    """httpx's own transport, with a short timeout for the site's routes that never answer.

    One timeout cannot both let every answering page through on a busy machine and give up quickly on
    the one that hangs; per request it can (httpx reads each request's timeout from its extensions).
    """

    def __init__(self, site: PublisherSite, seconds: float = 0.2) -> None:
        self.site = site
        self.seconds = seconds
        self.given_up: list[str] = []
        self._transport = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        route = self.site.routes.get(request.url.path)
        if route is not None and route.delay is HANG:
            request.extensions = {**request.extensions, "timeout": httpx.Timeout(self.seconds).as_dict()}
            try:
                return await self._transport.handle_async_request(request)
            except httpx.TimeoutException:
                self.given_up.append(request.url.path)
                raise
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self._transport.aclose()


@pytest.fixture
def site() -> Iterator[PublisherSite]:
    with PublisherSite() as server:
        base = server.base_url
        server.page(
            "/page.html",
            html_page(
                review(
                    f"{base}/checks/moon",
                    "The Moon landing was filmed in a studio in Nevada",
                    "Pants on Fire",
                ),
                {
                    "@graph": [
                        review("/checks/tides", "Tides are caused by wind farms", "False"),
                        review(f"{base}/checks/bees", "Bees can recognise human faces", "True"),
                    ]
                },
            ),
            etag='"v1"',
        )
        server.page(
            "/checks/list.html",
            html_page([review(None, "Owls can turn their heads all the way around", "Mostly false")]),
            last_modified="Sun, 01 Mar 2026 10:00:00 GMT",
        )
        server.page(
            "/checks/broken.html",
            html_page(
                review(f"{base}/checks/snow", "Snow is never white", "False"),
                raw_blocks=('{"@type": "ClaimReview", "claimReviewed": ',),
            ),
            etag='"b1"',
        )
        server.page("/checks/error.html", "oops", status=500)
        server.page("/checks/slow.html", html_page(review(f"{base}/slow", "Slow claim", "False")), delay=HANG)
        server.page("/checks/plain.html", "<html><body>No structured data.</body></html>")
        server.page("/private/hidden.html", html_page(review(f"{base}/hidden", "Hidden claim", "False")))
        server.document(
            "/sitemap.xml",
            sitemap(
                f"{base}/page.html",
                f"{base}/checks/list.html",
                f"{base}/checks/broken.html",
                f"{base}/checks/error.html",
                f"{base}/checks/slow.html",
                f"{base}/checks/plain.html",
                f"{base}/private/hidden.html",
                "http://other.example/checks/elsewhere.html",
            ),
            "application/xml",
        )
        server.document("/sitemap_index.xml", sitemap(f"{base}/sitemap.xml", index=True), "application/xml")
        yield server


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ClaimService]:
    svc = ClaimService.open(site_settings(f"sqlite:///{tmp_path / 'web.db'}"))
    yield svc
    svc.engine.dispose()


async def test_a_page_imports_every_claimreview_and_a_reimport_is_conditional(
    site: PublisherSite, service: ClaimService
) -> None:
    url = site.url("/page.html")
    first = await import_url_async(service, url)
    assert (first.report.added, first.report.errors, first.kind, first.fetched) == (3, [], "html", 1)
    assert service.search("moon landing filmed in a studio in Nevada")[0].fact_check.url == site.url(
        "/checks/moon"
    )
    card = service.search("tides caused by wind farms")[0].fact_check
    assert (card.url, card.publisher, card.rating_text) == (site.url("/checks/tides"), "Fact Desk", "False")

    second = await import_url_async(service, url)
    assert (second.not_modified, second.fetched, second.report.added, second.report.skipped) == (1, 0, 0, 0)
    assert site.requests[-1][1]["if-none-match"] == '"v1"'
    assert "not modified" in second.summary()

    refreshed = await import_url_async(service, url, refresh=True)
    assert (refreshed.fetched, refreshed.report.skipped) == (1, 3)  # idempotent by URL
    assert "if-none-match" not in site.requests[-1][1]

    site.page(
        "/page.html",
        html_page(
            review(site.url("/checks/moon"), "The Moon landing was filmed in a studio in Nevada", "Satire")
        ),
        etag='"v2"',
    )
    changed = await import_url_async(service, url)
    assert (changed.report.added, changed.report.updated) == (0, 1)
    assert service.search("moon landing filmed in a studio")[0].fact_check.verdict is Verdict.SATIRE
    assert all(h["user-agent"].startswith("ClaimBot/") for _, h in site.requests)


async def test_a_sitemap_crawl_is_bounded_polite_and_reports_what_failed(
    site: PublisherSite, service: ClaimService
) -> None:
    transport = GiveUpOnHanging(site)
    result = await import_url_async(service, site.url("/sitemap_index.xml"), transport=transport)
    assert transport.given_up == ["/checks/slow.html"]  # it timed out, and the rest went on
    assert result.error is None and result.kind == "sitemap"
    assert result.report.added == 5  # page.html 3, list.html 1, broken.html 1
    by_file = {e.file.removeprefix(site.base_url): e.message for e in result.report.errors}
    assert by_file["/checks/error.html"] == "HTTP 500"
    assert by_file["/checks/slow.html"].startswith("no answer within")
    assert "invalid JSON-LD" in by_file["/checks/broken.html"]
    assert "/checks/plain.html" not in by_file  # a listed page without reviews is no error
    assert by_file["/private/hidden.html"] == "disallowed by robots.txt"
    assert site.hits["/private/hidden.html"] == 0 and site.hits["/robots.txt"] == 1
    assert result.left_out == ["http://other.example/checks/elsewhere.html: another host"]
    # A review keyed by its page (no url of its own) on a crawled page.
    assert service.search("owls turn their heads all the way around")[0].fact_check.url == site.url(
        "/checks/list.html"
    )

    again = await import_url_async(service, site.url("/sitemap_index.xml"), transport=GiveUpOnHanging(site))
    # page.html and broken.html (ETag), list.html (Last-Modified) answer 304; the sitemaps have neither.
    assert (again.not_modified, again.fetched) == (3, 2)
    assert again.report.added == 0
    assert site.hits["/page.html"] == 2


async def test_page_limit_and_concurrency_are_respected(site: PublisherSite, tmp_path: Path) -> None:
    for n in range(12):
        site.page(f"/many/{n}.html", html_page(review(None, f"Claim number {n}", "False")), delay=0.1)
    site.document("/many.xml", sitemap(*(site.url(f"/many/{n}.html") for n in range(12))), "application/xml")
    settings = site_settings(
        f"sqlite:///{tmp_path / 'limit.db'}", CLAIMBOT_CRAWL_PAGE_LIMIT=5, CLAIMBOT_CRAWL_CONCURRENCY=2
    )
    async with Crawler(settings) as crawler:
        result = await crawler.crawl(site.url("/many.xml"))
    assert len(result.pages) == 5
    assert len(result.left_out) == 7 and "over the page limit of 5" in result.left_out[0]
    assert site.max_in_flight <= 2
    assert sum(site.hits[f"/many/{n}.html"] for n in range(12)) == 5


async def test_robots_txt_is_honoured_for_the_start_url_too(tmp_path: Path) -> None:
    settings = site_settings(f"sqlite:///{tmp_path / 'r.db'}")
    with PublisherSite(robots="User-agent: ClaimBot\nDisallow: /\n") as site:
        site.page("/page.html", html_page(review(None, "x", "False")))
        async with Crawler(settings) as crawler:
            with pytest.raises(CrawlError, match="robots.txt"):
                await crawler.crawl(site.url("/page.html"))
        assert site.hits["/page.html"] == 0
    with PublisherSite(robots=None) as site:  # no robots.txt (404): everything allowed
        site.page("/page.html", html_page(review(None, "x", "False")))
        async with Crawler(settings) as crawler:
            result = await crawler.crawl(site.url("/page.html"))
        assert len(records(result.start.items)) == 1
    with PublisherSite(robots=None) as site:  # robots.txt failing with 5xx: nothing is crawled
        site.page("/robots.txt", "down", status=503)
        site.page("/page.html", html_page(review(None, "x", "False")))
        async with Crawler(settings) as crawler:
            with pytest.raises(CrawlError):
                await crawler.crawl(site.url("/page.html"))
        assert site.hits["/page.html"] == 0


async def test_json_and_json_lines_feeds(site: PublisherSite, service: ClaimService) -> None:
    one = review(site.url("/f/1"), "Penguins live at the North Pole", "False")
    two = review(site.url("/f/2"), "Camels store water in their humps", "False")
    site.document("/feed.json", json.dumps([one, two]), "application/json")
    site.document("/feed.jsonl", json.dumps(one) + "\n" + json.dumps(two) + "\n", "application/x-ndjson")
    assert (await import_url_async(service, site.url("/feed.json"))).report.added == 2
    lines = await import_url_async(service, site.url("/feed.jsonl"))
    assert (lines.kind, lines.report.added, lines.report.skipped) == ("json", 0, 2)


async def test_a_failing_url_is_an_error_not_an_exception(site: PublisherSite, service: ClaimService) -> None:
    for path, message in (
        ("/checks/error.html", "HTTP 500"),
        ("/nothing", "HTTP 404"),
        ("/checks/slow.html", "no answer"),
    ):
        result = await import_url_async(service, site.url(path), transport=GiveUpOnHanging(site))
        assert result.failed and result.error is not None and result.error.startswith(message)
    assert (await import_url_async(service, "ftp://example.org/x")).error.startswith("not an http(s) URL")


# ------------------------------------------------------------------------------------ hostile servers


async def crawl_error_and_traced_peak(crawler: Crawler, url: str) -> tuple[str, int]:
    """The CrawlError of crawling `url`, and the most memory Python held at once meanwhile (tracemalloc)."""
    tracemalloc.start()
    try:
        with pytest.raises(CrawlError) as caught:
            await crawler.crawl(url)
        return str(caught.value), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def test_an_internal_address_not_on_the_allow_list_is_never_requested(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'a.db'}", CLAIMBOT_HTTP_TIMEOUT=0.5)  # no allow-list
    with PublisherSite() as site:
        site.page("/page.html", html_page(review(None, "Internal claim", "False")))
        async with Crawler(settings) as crawler:
            with pytest.raises(CrawlError, match=r"127\.0\.0\.1 is a loopback address"):
                await crawler.crawl(site.url("/page.html"))
        assert site.hits == {}  # not even robots.txt


async def test_redirects_to_internal_addresses_are_refused_before_they_are_requested(
    site: PublisherSite, tmp_path: Path
) -> None:
    secret = f"http://localhost:{site.port}/secret.html"  # the same server, under a name not allowed
    site.page("/secret.html", html_page(review(None, "An internal secret", "False")))
    site.redirect("/go", secret)
    site.redirect("/metadata", "http://169.254.169.254/latest/meta-data/")
    site.redirect("/listed", secret)
    site.document("/hostile.xml", sitemap(site.url("/listed")), "application/xml")
    async with Crawler(site_settings(f"sqlite:///{tmp_path / 'r.db'}")) as crawler:
        with pytest.raises(CrawlError, match=r"localhost is a loopback address \((127\.0\.0\.1|::1)\)"):
            await crawler.crawl(site.url("/go"))
        with pytest.raises(CrawlError, match=r"169\.254\.169\.254 is a link-local address"):
            await crawler.crawl(site.url("/metadata"))
        result = await crawler.crawl(site.url("/hostile.xml"))
    [listed] = result.pages
    assert listed.error == "redirected to another host (localhost)"
    assert site.hits["/secret.html"] == 0 and site.hits["/listed"] == 1


async def test_redirects_within_the_site_are_followed_up_to_a_limit(
    site: PublisherSite, tmp_path: Path
) -> None:
    site.redirect("/old.html", "/moved.html", status=301)
    site.redirect("/moved.html", site.url("/page.html"), status=308)
    site.redirect("/loop", "/loop")
    async with Crawler(site_settings(f"sqlite:///{tmp_path / 'l.db'}")) as crawler:
        result = await crawler.crawl(site.url("/old.html"))
        with pytest.raises(CrawlError, match="more than 5 redirects"):
            await crawler.crawl(site.url("/loop"))
    assert len(records(result.start.items)) == 3
    assert site.hits["/loop"] == 6  # the first request and five redirects, then no more


async def test_a_double_gzip_bomb_is_refused_without_inflating_it(
    site: PublisherSite, tmp_path: Path
) -> None:
    bomb = gzip_bomb(64 << 20)  # 64 MiB of spaces, gzipped twice
    assert len(bomb) < 4096
    site.document("/bomb.html", bomb, "text/html", headers={"Content-Encoding": "gzip, gzip"})
    # A sitemap.xml.gz whose gzip hides another: the Content-Encoding layer and the file's own.
    site.document("/bomb.xml.gz", bomb, "application/gzip", headers={"Content-Encoding": "gzip"})
    async with Crawler(site_settings(f"sqlite:///{tmp_path / 'b.db'}")) as crawler:
        for path in ("/bomb.html", "/bomb.xml.gz"):
            error, peak = await crawl_error_and_traced_peak(crawler, site.url(path))
            assert peak < 32 << 20, f"{path}: {peak >> 20} MiB held while refusing it"
            assert error == "larger than 10 MiB once decoded; not read"


async def test_a_gzipped_sitemap_sent_gzip_encoded_is_read(site: PublisherSite, tmp_path: Path) -> None:
    listing = gzip.compress(sitemap(site.url("/page.html"), site.url("/checks/list.html")).encode())
    site.document(
        "/sitemap.xml.gz", gzip.compress(listing), "application/gzip", headers={"Content-Encoding": "gzip"}
    )
    async with Crawler(site_settings(f"sqlite:///{tmp_path / 'g.db'}")) as crawler:
        result = await crawler.crawl(site.url("/sitemap.xml.gz"))
    assert result.start.kind == "sitemap"
    assert [len(records(p.items)) for p in result.pages] == [3, 1]


async def test_an_endless_robots_txt_is_read_only_up_to_its_cap(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def endless_robots() -> Iterator[bytes]:
        yield b"User-agent: *\nDisallow: /private/\n"
        padding = (b"# " + b"x" * 1022 + b"\n") * 64
        for _ in range(1600):  # 100 MiB: endless for a client that would read it all
            yield padding

    with PublisherSite(robots=None) as site:
        site.streamed("/robots.txt", endless_robots, "text/plain")
        site.page("/page.html", html_page(review(None, "A claim behind a huge robots.txt", "False")))
        site.page("/private/hidden.html", html_page(review(None, "Hidden", "False")))
        async with Crawler(site_settings(f"sqlite:///{tmp_path / 'e.db'}")) as crawler:
            result = await crawler.crawl(site.url("/page.html"))
            with pytest.raises(CrawlError, match="robots.txt"):
                await crawler.crawl(site.url("/private/hidden.html"))
        assert len(records(result.start.items)) == 1  # robots.txt's first 500 KiB were honoured
        assert "over 500 KiB: only its first 500 KiB are read" in caplog.text
        assert site.hits["/robots.txt"] == 1 and site.hits["/private/hidden.html"] == 0
        # The client hung up after its cap; what was sent beyond it sat in socket buffers.
        assert site.sent["/robots.txt"] < 48 << 20


async def test_a_slow_drip_server_hits_the_overall_deadline(tmp_path: Path) -> None:
    def drip() -> Iterator[bytes]:
        yield b"<html><body>"
        for _ in range(80):  # a byte every 50 ms: never slow enough for the per-read timeout
            time.sleep(0.05)
            yield b" "
        yield html_page(review(None, "A claim that took its time", "False")).encode()

    settings = site_settings(f"sqlite:///{tmp_path / 's.db'}", CLAIMBOT_HTTP_DEADLINE=1)
    with PublisherSite() as site:
        site.streamed("/drip.html", drip)
        async with Crawler(settings) as crawler:
            with pytest.raises(CrawlError, match="not read within the 1 s deadline"):
                await crawler.crawl(site.url("/drip.html"))
        assert site.hits["/drip.html"] == 1


# ------------------------------------------------------------------------------------ saved sources


def test_sources_are_added_listed_and_removed(service: ClaimService) -> None:
    first = add_source(service, "https://factdesk.example/sitemap.xml")
    add_source(service, "https://other.example/feed.json")
    with pytest.raises(ServiceError, match="already"):
        add_source(service, "https://factdesk.example/sitemap.xml")
    with pytest.raises(ServiceError, match="not an http"):
        add_source(service, "file:///etc/passwd")
    assert [s.url for s in list_sources(service)] == [
        "https://factdesk.example/sitemap.xml",
        "https://other.example/feed.json",
    ]
    remove_source(service, f"#{first.id}")
    remove_source(service, "https://other.example/feed.json")
    assert list_sources(service) == []
    with pytest.raises(ServiceError):
        remove_source(service, "https://nowhere.example/")


async def test_sync_retries_a_failing_source_with_backoff(site: PublisherSite, service: ClaimService) -> None:
    add_source(service, site.url("/page.html"))
    add_source(service, site.url("/checks/error.html"))

    first = {s.source.url: s for s in await sync_sources(service)}
    good, bad = first[site.url("/page.html")], first[site.url("/checks/error.html")]
    assert not good.failed and good.result.report.added == 3
    assert bad.failed and bad.result.error == "HTTP 500"
    assert bad.next_attempt_at is not None
    assert abs((bad.next_attempt_at - utcnow()) - backoff(1)) < timedelta(seconds=30)

    second = {s.source.url: s for s in await sync_sources(service)}
    assert second[site.url("/checks/error.html")].result is None  # backing off: not asked
    assert site.hits["/checks/error.html"] == 1
    assert second[site.url("/page.html")].result.not_modified == 1

    forced = {s.source.url: s for s in await sync_sources(service, force=True)}
    assert forced[site.url("/checks/error.html")].failed and site.hits["/checks/error.html"] == 2
    rows = {s.url: s for s in list_sources(service)}
    assert rows[site.url("/checks/error.html")].failures == 2
    assert rows[site.url("/checks/error.html")].last_error == "HTTP 500"
    assert backoff(2) == 2 * backoff(1) and backoff(30) == timedelta(days=1)

    site.page("/checks/error.html", html_page(review(None, "Recovered claim about lighthouses", "True")))
    await sync_sources(service, force=True)
    row = {s.url: s for s in list_sources(service)}[site.url("/checks/error.html")]
    assert (row.failures, row.last_error, row.next_attempt_at) == (0, None, None)
    assert row.last_result.startswith("added 1")


@pytest.fixture
def patient_service(tmp_path: Path) -> Iterator[ClaimService]:
    """`service` with a web timeout as long as the tests' patience: a page the test holds back is
    waited for however slow the machine, never given up on (which would fetch the next source)."""
    svc = ClaimService.open(site_settings(f"sqlite:///{tmp_path / 'web.db'}", CLAIMBOT_HTTP_TIMEOUT=PATIENCE))
    yield svc
    svc.engine.dispose()


async def test_background_sync_never_blocks_answering(
    site: PublisherSite, patient_service: ClaimService
) -> None:
    service = patient_service
    answer_slow_page = threading.Event()  # the slow source answers only when the test says so
    site.page("/checks/slow.html", html_page(review(None, "Slow claim", "False")), delay=answer_slow_page)
    add_source(service, site.url("/checks/slow.html"))
    add_source(service, site.url("/page.html"))
    stop = asyncio.Event()
    task = asyncio.create_task(run_source_sync(service, stop, every_minutes=60))
    await eventually(lambda: site.hits["/checks/slow.html"] == 1)  # the sync is waiting for it now
    outcome = await asyncio.to_thread(
        service.ask, Question("did a NYC cop arrest an ICE agent", Asker("cli", "t"), ChatRef("cli", "t"))
    )
    # Answered while the sync was still waiting for the slow source: answering never waits for it.
    assert outcome.kind is OutcomeKind.ANSWER
    assert site.in_flight == 1 and site.hits["/page.html"] == 0 and not task.done()
    answer_slow_page.set()
    await eventually(lambda: site.hits["/page.html"] == 1)
    stop.set()
    await asyncio.wait_for(task, timeout=patient(5))
    assert {s.url: s.last_synced_at is not None for s in list_sources(service)} == {
        site.url("/checks/slow.html"): True,
        site.url("/page.html"): True,
    }


# ------------------------------------------------------------------------------------ the command


def test_acceptance_claimbot_import_url_and_sources(site: PublisherSite, tmp_path: Path) -> None:
    # A `claimbot` process has one timeout for every page, so here the slow page answers; timing out
    # on a page that never answers is tested above, with the crawler in this process.
    site.page("/checks/slow.html", html_page(review(site.url("/slow"), "Slow claim", "False")))
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    url = site.url("/page.html")
    first = claimbot("import", url, db=db)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"{url}: added 3, updated 0, skipped 0, errors 0")
    again = claimbot("import", url, db=db)
    assert again.returncode == 0 and "not modified" in again.stdout
    answer = json.loads(claimbot("ask", "--json", "can bees recognise human faces?", db=db).stdout)
    assert answer["outcome"] == "answer" and answer["matches"][0]["url"] == site.url("/checks/bees")
    assert site.url("/checks/bees") in answer["reply"] and "Fact Desk" in answer["reply"]

    broken = claimbot("import", site.url("/checks/error.html"), db=db)
    assert broken.returncode == 1 and "HTTP 500" in broken.stderr

    assert claimbot("sources", "add", site.url("/sitemap.xml"), db=db).returncode == 0
    assert claimbot("sources", "add", site.url("/checks/error.html"), db=db).returncode == 0
    synced = claimbot("sources", "sync", db=db)
    assert synced.returncode == 1  # one source failed
    # list.html, broken.html and slow.html add one each; page.html is unchanged (304) since the import
    # above; error.html (500), broken.html's bad block and the page robots.txt disallows are the errors.
    assert f"{site.url('/sitemap.xml')}: added 3, updated 0, skipped 0, errors 3" in synced.stdout
    assert f"{site.url('/checks/error.html')}: failed: HTTP 500" in synced.stdout
    listing = claimbot("sources", "list", db=db).stdout
    assert "failing 1x: HTTP 500" in listing and site.url("/sitemap.xml") in listing
    assert claimbot("sources", "remove", site.url("/checks/error.html"), db=db).returncode == 0
    assert site.url("/checks/error.html") not in claimbot("sources", "list", db=db).stdout


class FrozenClock:
    """Stands in for `time` and `asyncio.sleep` inside bot.importers.web: the clock never moves and
    sleeps return at once, recorded, so the Crawl-delay schedule is checked without waiting for it."""

    def __init__(self) -> None:
        self.slept: list[float] = []
        clock = self

        class Asyncio:
            def __getattr__(self, name: str) -> object:
                return getattr(asyncio, name)

            @staticmethod
            async def sleep(seconds: float) -> None:
                clock.slept.append(seconds)
                await asyncio.sleep(0)

        self.asyncio = Asyncio()

    def monotonic(self) -> float:
        return 1000.0


async def test_robots_crawl_delay_spaces_requests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = site_settings(f"sqlite:///{tmp_path / 'd.db'}", CLAIMBOT_CRAWL_CONCURRENCY=4)
    with PublisherSite(robots="User-agent: *\nCrawl-delay: 1\n") as site:
        for n in range(3):
            site.page(f"/d/{n}.html", html_page(review(None, f"Delayed claim {n}", "False")))
        site.document("/d.xml", sitemap(*(site.url(f"/d/{n}.html") for n in range(3))), "application/xml")
        clock = FrozenClock()
        monkeypatch.setattr(web, "time", clock)
        monkeypatch.setattr(web, "asyncio", clock.asyncio)
        async with Crawler(settings) as crawler:
            result = await crawler.crawl(site.url("/d.xml"))
        assert len(result.pages) == 3 and all(p.error is None for p in result.pages)
        # The sitemap and three pages after robots.txt, each scheduled a second after the one before.
        assert sorted(clock.slept) == [0.0, 1.0, 2.0, 3.0]


async def test_a_serving_worker_syncs_saved_sources(site: PublisherSite, service: ClaimService) -> None:
    from bot.delivery import run_outbox

    class Silent:
        platform = "terminal"

        async def send(self, target, reply):  # noqa: ANN001, ANN202 - nothing to deliver here
            return None

        async def edit(self, chat_id, message_id, reply):  # noqa: ANN001, ANN202
            return None

        async def send_review(self, target, review):  # noqa: ANN001, ANN202
            return None

    add_source(service, site.url("/page.html"))
    stop = asyncio.Event()
    task = asyncio.create_task(run_outbox(service, Silent(), stop, interval=0.1))
    await eventually(lambda: all(s.last_synced_at for s in list_sources(service)))
    stop.set()
    await asyncio.wait_for(task, timeout=patient(5))
    assert site.hits["/page.html"] >= 1
    assert list_sources(service)[0].last_result.startswith("added")


# ------------------------------------------------------------------------------------ hostile documents

DEEP = "[" * 100_000 + "]" * 100_000


def _huge_number(url: str) -> str:
    return json.dumps(review(url, "Huge", "False"))[:-1] + ', "ratingValue": ' + "9" * 1_000_000 + "}"


def _smuggled(url: str) -> str:
    return json.dumps(review(url, "Smuggled", "True"))[:-1] + ', "url": "review:default:1"}'


def test_hostile_json_ld_blocks_are_errors_and_the_other_blocks_are_read() -> None:
    html = html_page(
        review("https://factdesk.example/ok", "Good claim", "False"),
        raw_blocks=(
            DEEP,
            _huge_number("https://factdesk.example/n"),
            _smuggled("https://factdesk.example/s"),
        ),
    )
    items = records_from_html(html, PAGE)
    assert [r.url for r in records(items)] == ["https://factdesk.example/ok"]
    messages = [e.message for e in errors(items)]
    assert len(messages) == 3
    assert (
        "nested too deeply" in messages[0]
        and "digits" in messages[1]
        and "duplicate key 'url'" in messages[2]
    )


def test_hostile_lines_of_a_json_lines_feed_are_errors_and_the_rest_is_read() -> None:
    one = json.dumps(review("https://factdesk.example/1", "One", "False"))
    four = json.dumps(review("https://factdesk.example/5", "Five", "True"))
    feed = "\n".join(
        [one, DEEP, _huge_number("https://factdesk.example/3"), _smuggled("https://f.example/4"), four]
    )
    items = records_from_json(feed, "feed.jsonl")
    assert [r.url for r in records(items)] == ["https://factdesk.example/1", "https://factdesk.example/5"]
    assert [e.line for e in errors(items)] == [2, 3, 4]
    assert "duplicate key 'url'" in errors(items)[2].message
    [error] = errors(records_from_json("[" + DEEP + "]", "feed.json"))
    assert error.line == 1 and "nested too deeply" in error.message


async def test_a_hostile_page_imports_its_good_reviews_on_both_engines(
    site: PublisherSite, database_url: str
) -> None:
    base = site.base_url
    nul = review(f"{base}/checks/nul", "Owls\x00 can swim", "False", description="Owls\x00 cannot swim.")
    page = site.page(
        "/checks/hostile.html",
        html_page(review(f"{base}/checks/good", "Snails can sprint", "False"), nul, raw_blocks=(DEEP,)),
    )
    service = ClaimService.open(site_settings(database_url))
    try:
        result = await import_url_async(service, page)
        assert result.error is None and result.report.added == 2
        assert [e.file for e in result.report.errors] == [page]
        card = service.search("can owls swim")[0].fact_check
        assert (card.claim, card.summary) == ("Owls can swim", "Owls cannot swim.")
    finally:
        service.engine.dispose()
