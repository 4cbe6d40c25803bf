"""The Google Fact Check Tools API (`claims:search`) as a fallback source of fact-checks.

`ClaimService.ask` calls `FactCheckToolsClient.search(text)` from a worker thread when nothing
stored reaches the answer threshold. The service stores what comes back (origin "external") and
matches again with the same thresholds, so an outside review that does not match well enough is a
suggestion at most, and the next asker is answered from the store.

An outside failure must never cost the asker their answer or their time:

* one synchronous request with a tight total budget (CLAIMBOT_FACTCHECK_TIMEOUT, default 2 s);
* a circuit breaker: after a timeout, a transport error, a 429 or a 5xx the API is not asked
  again for a while (Retry-After when given, else doubling from 30 s up to 15 min);
* a short memory of queries already asked (10 min), so a repeated question is not re-asked;
* garbage (not JSON, wrong shape, reviews without URL or claim) is dropped with a warning.

The API key travels as the `key` query parameter, as Google documents it. It is read only from
the settings (the environment), never logged: httpx's own logger (which prints request URLs with
their query strings) is kept at WARNING here, and every message this module logs is redacted.
"""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, quote_plus

import httpx

from bot.config import Settings
from bot.domain import FactCheckRecord
from bot.fetching import BodyDecoder, FetchRefused, TooLarge
from bot.importers._common import RefusedJson, loads
from bot.importers.claimreview import reviews_in
from bot.importers.web import user_agent
from bot.redact import register_secret

log = logging.getLogger(__name__)
# httpx logs "HTTP Request: GET https://...?key=..." at INFO: never let that reach a handler.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)

ORIGIN = "external"
PROVENANCE = "factchecktools"  # FactCheckRecord.file of records from the API
MAX_QUERY_CHARS = 300
MAX_RESPONSE_BYTES = 2 * 1024 * 1024
QUERY_MEMORY_SECONDS = 600.0
QUERY_MEMORY_SIZE = 2048
BREAKER_MIN_SECONDS = 30.0
BREAKER_MAX_SECONDS = 900.0
# A rejected key or a malformed request will not fix itself within seconds.
BREAKER_CLIENT_ERROR_SECONDS = 600.0


class LookupFailed(Exception):
    """Internal: one request failed; the message is already redacted."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def normalise_query(text: str) -> str:
    """The cache key of a question: Unicode-normalised, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


class FactCheckToolsClient:
    """`ExternalLookup` over claims:search; thread-safe, never raises from `search`."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if settings.factcheck_api_key is None:
            raise ValueError("CLAIMBOT_FACTCHECK_API_KEY is not set")
        self._key = settings.factcheck_api_key.get_secret_value()
        register_secret(self._key)  # and from every log record, whoever logs it
        self._url = settings.factcheck_api_url.rstrip("/") + "/claims:search"
        self._timeout = settings.factcheck_timeout
        self._language = settings.factcheck_language
        self._max_age_days = settings.factcheck_max_age_days
        self._page_size = settings.factcheck_page_size
        self._clock = clock
        self._lock = threading.Lock()
        self._asked: dict[str, float] = {}  # normalised query -> when it may be asked again
        self._closed_until = 0.0  # the breaker is open (no requests) until this clock value
        self._failures = 0
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(self._timeout),
            # Accept-Encoding: only what _read_some decodes (httpx adds br / zstd when installed).
            headers={
                "User-Agent": user_agent(settings.http_user_agent),
                "Accept": "application/json",
                "Accept-Encoding": "gzip, deflate",
            },
            follow_redirects=False,
        )

    # ------------------------------------------------------------------ the port

    def search(self, text: str) -> list[FactCheckRecord]:
        """Fact-checks the API holds for a question; [] when it is slow, down, over quota or has none."""
        query = " ".join(text.split())[:MAX_QUERY_CHARS].strip()
        key = normalise_query(query)
        if not key:
            return []
        now = self._clock()
        with self._lock:
            if now < self._closed_until:
                log.debug("fact-check API skipped: backing off for %.0f s", self._closed_until - now)
                return []
            if self._asked.get(key, 0.0) > now:
                log.debug("fact-check API skipped: the same question was asked recently")
                return []
            self._remember(key, now)
        try:
            payload = self._request(query)
        except Exception as exc:  # noqa: BLE001 - nothing from outside may reach the asker
            failure = exc if isinstance(exc, LookupFailed) else LookupFailed(f"unexpected: {exc!r}")
            with self._lock:
                self._asked.pop(key, None)  # a failure is no answer: ask again once the API is back
            self._trip(failure)
            return []
        with self._lock:
            self._failures = 0
        records = self._records(payload)
        log.info("fact-check API: %d review(s) for a question", len(records))
        return records

    def close(self) -> None:
        self._client.close()

    # ------------------------------------------------------------------ one request

    def _params(self, query: str) -> dict[str, str | int]:
        params: dict[str, str | int] = {"query": query, "pageSize": self._page_size}
        if self._language:
            params["languageCode"] = self._language
        if self._max_age_days:
            params["maxAgeDays"] = self._max_age_days
        params["key"] = self._key
        return params

    def _request(self, query: str) -> Any:
        """GET claims:search within the total budget; the decoded JSON or LookupFailed."""
        deadline = time.monotonic() + self._timeout
        try:
            with self._client.stream("GET", self._url, params=self._params(query)) as response:
                if response.status_code == 429 or response.status_code >= 500:
                    raise LookupFailed(
                        f"HTTP {response.status_code}", retry_after=_retry_after(response.headers)
                    )
                if response.status_code != 200:
                    # 400 (bad request), 403 (key rejected or API not enabled): the body says why.
                    detail = self._redact(_read_some(response, 300, deadline).decode("utf-8", "replace"))
                    raise LookupFailed(
                        f"HTTP {response.status_code}: {' '.join(detail.split())[:300]}",
                        retry_after=BREAKER_CLIENT_ERROR_SECONDS,
                    )
                body = _read_some(response, MAX_RESPONSE_BYTES + 1, deadline)
        except httpx.TimeoutException:
            raise LookupFailed(f"no answer within {self._timeout:g} s") from None
        except httpx.HTTPError as exc:
            # Transport errors may carry the request (and its URL with the key): keep only the class.
            raise LookupFailed(f"{type(exc).__name__}: {self._redact(str(exc))}") from None
        if len(body) > MAX_RESPONSE_BYTES:
            raise LookupFailed("response too large")
        try:
            return loads(body.decode("utf-8"))
        except RefusedJson as exc:
            log.warning("fact-check API returned JSON that is not read (%s); ignored", exc.msg)
            return {}
        except ValueError:  # UnicodeDecodeError too
            # Garbage is not a reason to stop asking, but this query is not asked again for a while.
            log.warning("fact-check API returned something that is not JSON; ignored")
            return {}

    def _records(self, payload: Any) -> list[FactCheckRecord]:
        """Records from a claims:search response; malformed entries are dropped with a warning."""
        if not isinstance(payload, dict) or not isinstance(payload.get("claims", []), list):
            log.warning("fact-check API response has no claims list; ignored")
            return []
        claims = [_with_publisher_name(c) for c in payload.get("claims", [])[: self._page_size]]
        records: list[FactCheckRecord] = []
        seen: set[str] = set()
        dropped = 0
        for item in reviews_in({"claims": claims}, PROVENANCE, 0, complain=False):
            if not isinstance(item, FactCheckRecord) or not item.url.startswith(("http://", "https://")):
                dropped += 1
                continue
            if item.url in seen:
                continue
            seen.add(item.url)
            item.origin = ORIGIN
            records.append(item)
        if dropped:
            log.warning("fact-check API: %d malformed review(s) dropped", dropped)
        return records

    # ------------------------------------------------------------------ memory and breaker

    def _remember(self, query: str, now: float) -> None:
        if len(self._asked) >= QUERY_MEMORY_SIZE:
            for old in [q for q, until in self._asked.items() if until <= now] or list(self._asked)[:256]:
                del self._asked[old]
        self._asked[query] = now + QUERY_MEMORY_SECONDS

    def _trip(self, failure: LookupFailed) -> None:
        with self._lock:
            self._failures += 1
            pause = failure.retry_after
            if pause is None:
                pause = min(BREAKER_MAX_SECONDS, BREAKER_MIN_SECONDS * 2 ** (self._failures - 1))
            pause = max(1.0, min(pause, BREAKER_MAX_SECONDS))
            self._closed_until = self._clock() + pause
        log.warning(
            "fact-check API unavailable (%s); not asked for %.0f s", self._redact(str(failure)), pause
        )

    @property
    def backing_off(self) -> bool:
        return self._clock() < self._closed_until

    def _redact(self, text: str) -> str:
        for form in {self._key, quote(self._key, safe=""), quote_plus(self._key)}:
            if form:
                text = text.replace(form, "***")
        return text


def _with_publisher_name(claim: Any) -> Any:
    """The API's publisher is {name, site}; when the name is missing, show the site."""
    if not isinstance(claim, dict) or not isinstance(claim.get("claimReview"), list):
        return claim
    reviews = []
    for review in claim["claimReview"]:
        if isinstance(review, dict) and isinstance(review.get("publisher"), dict):
            publisher = review["publisher"]
            if not publisher.get("name") and isinstance(publisher.get("site"), str):
                review = review | {"publisher": publisher | {"name": publisher["site"]}}
        reviews.append(review)
    return claim | {"claimReview": reviews}


def _read_some(response: httpx.Response, limit: int, deadline: float) -> bytes:
    """Up to `limit` decoded bytes of a streamed body, giving up at the deadline (a trickling server).

    The body is decoded here within the cap (bot.fetching), not by httpx, which inflates each chunk
    read whole: a few KB of gzip inside gzip would take gigabytes.
    """
    if response.is_stream_consumed:
        return response.content[:limit]  # a response made in memory (httpx.MockTransport), decoded already
    try:
        decoder = BodyDecoder(response.headers.get("Content-Encoding", ""), limit)
    except FetchRefused as exc:
        raise LookupFailed(str(exc)) from None
    chunks: list[bytes] = []
    size = 0
    try:
        for data in response.iter_raw():
            chunk = decoder.feed(data)
            chunks.append(chunk)
            size += len(chunk)
            if size >= limit:
                break
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout("total time budget spent")
    except TooLarge as exc:
        chunks.append(exc.decoded)
    except FetchRefused as exc:  # a corrupt gzip body
        raise LookupFailed(str(exc)) from None
    return b"".join(chunks)[:limit]


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("Retry-After", "").strip()
    try:
        return float(value) if value else None
    except ValueError:
        return None  # an HTTP date: fall back to the doubling pause
