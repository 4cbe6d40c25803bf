"""Loopback HTTP servers for outside sources: a fact-checking publisher's site and claims:search.

Both run `http.server.ThreadingHTTPServer` in a daemon thread on 127.0.0.1 (port 0), so sync
code, async code and `claimbot` subprocesses can all talk to them, and a test can `stop()` one
to see the bot cope with a server that is gone.

    with PublisherSite() as site:
        site.page("/page.html", html_page(review(...), review(...)))
        site.base_url  -> "http://127.0.0.1:PORT"
        site.hits["/page.html"], site.requests (path, headers) for assertions

Each route may have an ETag / Last-Modified (a matching If-None-Match / If-Modified-Since gets
304), a status (500), a delay and a content type. A delay is seconds, or a `threading.Event`: the
answer waits until the test sets it or the server stops (`HANG`: a server that does not answer while
the test runs; after PATIENCE it answers anyway, so a client that never gives up fails its test
rather than hanging it). Waiting on an event rather than a clock lets a test know a request is still
unanswered, however slow the machine is. A hostile route streams its body instead (`stream=`: a
function returning an iterable of chunks, sent without Content-Length until it ends or the client
hangs up): an endless robots.txt, a server that drips a byte at a time. `site.sent[path]` counts the
body bytes the client actually took.

    with FakeFactCheckTools(key="k") as api:      # speaks GET /v1alpha1/claims:search
        api.add_claim("text", review_url=..., rating="False", publisher="Fact Desk")
        api.fail_next(429) / api.delay = HANG     # programmable failures
        api.base_url -> "http://127.0.0.1:PORT/v1alpha1"
"""

from __future__ import annotations

import functools
import gzip
import json
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes import PATIENCE

ROBOTS = "User-agent: *\nDisallow: /private/\n"
HANG = threading.Event()  # never set: a route with this delay answers only when its server stops

Delay = float | threading.Event


@dataclass
class Route:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    delay: Delay = 0.0
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    stream: Callable[[], Iterable[bytes]] | None = None  # a streamed body; `body` is then unused


Body = bytes | Iterable[bytes]  # an iterable is streamed chunk by chunk


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class LoopbackServer:
    """A threaded HTTP server with a handler method per GET; subclasses implement `respond`."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.hits: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()  # body bytes written per path (all of them, or until hang-up)
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests handled at once (polite concurrency)
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._stopping = threading.Event()  # held answers give up waiting: the server is going away
        self._thread: threading.Thread | None = None
        self.port = 0

    # A handler class bound to this server object.
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                path = urlsplit(self.path).path
                headers = {k.lower(): v for k, v in self.headers.items()}
                with owner._lock:
                    owner.requests.append((self.path, headers))
                    owner.hits[path] += 1
                    owner.in_flight += 1
                    owner.max_in_flight = max(owner.max_in_flight, owner.in_flight)
                try:
                    self._answer(path, headers)
                finally:
                    with owner._lock:
                        owner.in_flight -= 1

            def _answer(self, path: str, headers: dict[str, str]) -> None:
                status, content_type, body, extra, delay = owner.respond(self.path, headers)
                owner._wait(delay)
                streamed = not isinstance(body, bytes)
                try:
                    self.send_response(status)
                    if status != 304:
                        self.send_header("Content-Type", content_type)
                    if streamed:
                        # No length: the body ends when the server closes the connection.
                        self.send_header("Connection", "close")
                        self.close_connection = True
                    else:
                        self.send_header("Content-Length", str(0 if status == 304 else len(body)))
                    for name, value in extra.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if status == 304:
                        return
                    for chunk in body if streamed else (body,):
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        with owner._lock:
                            owner.sent[path] += len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test, a body it would not read to the end)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        return Handler

    def respond(self, target: str, headers: dict[str, str]) -> tuple[int, str, Body, dict[str, str], Delay]:
        raise NotImplementedError

    def _wait(self, delay: Delay) -> None:
        if isinstance(delay, threading.Event):
            # Answer at last after PATIENCE: a client that should have given up long before then gets
            # an answer, and its test fails on that instead of hanging.
            deadline = time.monotonic() + PATIENCE
            while not delay.is_set() and not self._stopping.wait(0.02) and time.monotonic() < deadline:
                pass
        elif delay:
            time.sleep(delay)

    def start(self) -> LoopbackServer:
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self.port), self._handler())
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, name=type(self).__name__
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._stopping.set()  # before shutdown: closing the server waits for its handler threads
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):  # noqa: ANN204 - returns the subclass
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


# ------------------------------------------------------------------------------------ publisher site


class PublisherSite(LoopbackServer):
    """A fact-checker's website: pages with ClaimReview JSON-LD, feeds, sitemaps, robots.txt."""

    def __init__(self, robots: str | None = ROBOTS) -> None:
        super().__init__()
        self.routes: dict[str, Route] = {}
        if robots is not None:
            self.routes["/robots.txt"] = Route(robots.encode(), "text/plain")

    def page(self, path: str, html: str, **options: Any) -> str:
        """Serve an HTML page; returns its absolute URL."""
        self.routes[path] = Route(html.encode(), **options)
        return self.url(path)

    def document(self, path: str, body: str | bytes, content_type: str, **options: Any) -> str:
        self.routes[path] = Route(body.encode() if isinstance(body, str) else body, content_type, **options)
        return self.url(path)

    def url(self, path: str) -> str:
        return self.base_url + path

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        """Answer `path` with a redirect to `location` (absolute or relative)."""
        self.routes[path] = Route(b"", "text/plain", status=status, headers={"Location": location})
        return self.url(path)

    def streamed(
        self,
        path: str,
        chunks: Callable[[], Iterable[bytes]],
        content_type: str = "text/html",
        **options: Any,
    ) -> str:
        """Serve `path` by streaming `chunks()` (called once per request) without a Content-Length."""
        self.routes[path] = Route(b"", content_type, stream=chunks, **options)
        return self.url(path)

    def respond(self, target: str, headers: dict[str, str]) -> tuple[int, str, Body, dict[str, str], Delay]:
        route = self.routes.get(urlsplit(target).path)
        if route is None:
            return 404, "text/plain", b"not found", {}, 0.0
        extra = dict(route.headers)
        if route.etag:
            extra["ETag"] = route.etag
        if route.last_modified:
            extra["Last-Modified"] = route.last_modified
        if route.status == 200:
            etag_hit = route.etag is not None and headers.get("if-none-match") == route.etag
            date_hit = (
                route.etag is None
                and route.last_modified is not None
                and headers.get("if-modified-since") == route.last_modified
            )
            if etag_hit or date_hit:
                return 304, "", b"", extra, route.delay
        body = route.stream() if route.stream is not None else route.body
        return route.status, route.content_type, body, extra, route.delay


def review(
    url: str | None,
    claim: str,
    rating: str,
    *,
    publisher: str = "Fact Desk",
    date: str = "2026-03-01",
    description: str = "",
) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "claimReviewed": claim,
        "datePublished": date,
        "author": {"@type": "Organization", "name": publisher},
        "reviewRating": {"@type": "Rating", "alternateName": rating},
        "itemReviewed": {
            "@type": "Claim",
            "appearance": [{"@type": "CreativeWork", "url": "https://x.example/p"}],
        },
    }
    if url is not None:
        node["url"] = url
    if description:
        node["description"] = description
    return node


def html_page(*blocks: Any, raw_blocks: tuple[str, ...] = ()) -> str:
    """An HTML page with one <script type="application/ld+json"> per block (raw ones as given)."""
    scripts = [f'<script type="application/ld+json">\n{json.dumps(b, indent=2)}\n</script>' for b in blocks]
    scripts += [f'<script type="application/ld+json">{raw}</script>' for raw in raw_blocks]
    return (
        "<!doctype html>\n<html><head><title>Fact check</title>\n"
        + "\n".join(scripts)
        + '\n<script>var notJson = "{";</script></head>\n'
        + "<body><h1>Fact check</h1><p>Text.</p></body></html>\n"
    )


def sitemap(*urls: str, index: bool = False) -> str:
    tag, item = ("sitemapindex", "sitemap") if index else ("urlset", "url")
    entries = "".join(f"<{item}><loc>{u}</loc></{item}>" for u in urls)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{tag} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</{tag}>'


# ------------------------------------------------------------------------------------ claims:search


class FakeFactCheckTools(LoopbackServer):
    """Google Fact Check Tools `GET /v1alpha1/claims:search?query=&languageCode=&pageSize=&key=`.

    A claim is returned when half the words of the query (3+ letters) occur in its text: like the
    real API, it returns near misses too; `fail_next(status)` and `delay` program failures.
    """

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.claims: list[dict[str, Any]] = []
        self.failures: list[tuple[int, dict[str, str]]] = []
        self.delay: Delay = 0.0
        self.raw: bytes | None = None  # answer this body verbatim (garbage tests)
        self.raw_headers: dict[str, str] = {}  # with these headers (Content-Encoding of a bomb)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1alpha1"

    def add_claim(
        self,
        text: str,
        review_url: str,
        rating: str,
        publisher: str = "Fact Desk",
        site: str = "factdesk.example",
        language: str = "en",
    ) -> None:
        self.claims.append(
            {
                "text": text,
                "claimant": "Social media users",
                "claimDate": "2026-02-27T00:00:00Z",
                "claimReview": [
                    {
                        "publisher": {"name": publisher, "site": site},
                        "url": review_url,
                        "title": f"Fact check: {text}",
                        "reviewDate": "2026-03-01T10:00:00Z",
                        "textualRating": rating,
                        "languageCode": language,
                    }
                ],
            }
        )

    def fail_next(self, status: int, **headers: str) -> None:
        self.failures.append((status, headers))

    @property
    def searches(self) -> list[dict[str, list[str]]]:
        return [parse_qs(urlsplit(path).query) for path, _ in self.requests if "claims:search" in path]

    def respond(self, target: str, headers: dict[str, str]) -> tuple[int, str, bytes, dict[str, str], float]:
        parts = urlsplit(target)
        if parts.path != "/v1alpha1/claims:search":
            return 404, "application/json", b'{"error": {"code": 404}}', {}, 0.0
        if self.failures:
            status, extra = self.failures.pop(0)
            body = json.dumps({"error": {"code": status, "message": "failure"}}).encode()
            return status, "application/json", body, extra, 0.0
        query = parse_qs(parts.query)
        if query.get("key") != [self.key]:
            error = {"error": {"code": 403, "message": "API key not valid", "status": "PERMISSION_DENIED"}}
            return 403, "application/json", json.dumps(error).encode(), {}, 0.0
        if self.raw is not None:
            return 200, "application/json", self.raw, dict(self.raw_headers), self.delay
        words = {w for w in _words(query.get("query", [""])[0]) if len(w) >= 3}
        size = int(query.get("pageSize", ["10"])[0])
        found = [c for c in self.claims if words and len(words & set(_words(c["text"]))) * 2 >= len(words)]
        found = found[:size]
        body = json.dumps({"claims": found} if found else {}).encode()
        return 200, "application/json; charset=UTF-8", body, {}, self.delay


def _words(text: str) -> list[str]:
    return "".join(ch if ch.isalnum() else " " for ch in text.casefold()).split()


# ------------------------------------------------------------------------------------ hostile bodies


@functools.cache
def gzip_bomb(size: int, layers: int = 2) -> bytes:
    """`size` bytes of spaces gzipped `layers` times: a few KB on the wire (send with Content-Encoding)."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b" " * (1 << 20)
    body = b"".join(packer.compress(block) for _ in range(size >> 20)) + packer.flush()
    for _ in range(layers - 1):
        body = gzip.compress(body)
    return body
