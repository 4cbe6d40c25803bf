"""The Fact Check Tools fallback: mapping, timeouts, back-off, secrecy, and the service around it.

Unit tests use httpx.MockTransport; the rest talk to a fake claims:search on 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.domain import Asker, ChatRef, Outcome, OutcomeKind, Question, Verdict
from bot.external import FactCheckToolsClient
from bot.replies import compose, render_text
from bot.service import ClaimService
from tests.conftest import claimbot, make_settings
from tests.fakes import holds_soon
from tests.fakes.publisher_site import HANG, FakeFactCheckTools, gzip_bomb

KEY = "AIzaTEST-secret-key-0123456789"
ROOT = Path(__file__).resolve().parents[1]
QUESTION = "Was the Brooklyn Bridge sold to a private buyer in 2025?"
CLAIM = "The Brooklyn Bridge was sold to a private buyer in 2025"
REVIEW_URL = "https://factdesk.example/checks/brooklyn-bridge-sale"


def settings_for(
    url: str = "http://api.test/v1alpha1", db: str = "sqlite://", **overrides: object
) -> Settings:
    values: dict[str, object] = {
        "CLAIMBOT_FACTCHECK_API_KEY": KEY,
        "CLAIMBOT_FACTCHECK_API_URL": url,
        # Long enough for an answering API on a busy machine; tests of a silent one pass a short timeout.
        "CLAIMBOT_FACTCHECK_TIMEOUT": 10,
    }
    values.update(overrides)
    return make_settings(db, **values)


def api_response(*claims: dict) -> dict:
    return {"claims": list(claims), "nextPageToken": "x"}


def claim(text: str = CLAIM, url: str = REVIEW_URL, rating: str = "False", **publisher: str) -> dict:
    return {
        "text": text,
        "claimant": "Social media users",
        "claimReview": [
            {
                "publisher": publisher or {"name": "Fact Desk", "site": "factdesk.example"},
                "url": url,
                "title": "Fact check: no, the bridge was not sold",
                "reviewDate": "2026-03-01T10:00:00Z",
                "textualRating": rating,
                "languageCode": "en",
            }
        ],
    }


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def mock_client(
    handler: Callable[[httpx.Request], httpx.Response], clock: Clock | None = None, **overrides: object
) -> tuple[FactCheckToolsClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    client = FactCheckToolsClient(
        settings_for(**overrides), transport=httpx.MockTransport(record), clock=clock or Clock()
    )
    return client, seen


# ------------------------------------------------------------------------------------ mapping


def test_search_sends_the_documented_parameters_and_maps_reviews() -> None:
    client, seen = mock_client(
        lambda r: httpx.Response(200, json=api_response(claim())),
        CLAIMBOT_FACTCHECK_LANGUAGE="en",
        CLAIMBOT_FACTCHECK_MAX_AGE_DAYS=365,
        CLAIMBOT_FACTCHECK_PAGE_SIZE=5,
    )
    records = client.search(f"  {QUESTION}  ")
    request = seen[0]
    assert request.url.path == "/v1alpha1/claims:search"
    assert dict(request.url.params) == {
        "query": QUESTION,
        "languageCode": "en",
        "maxAgeDays": "365",
        "pageSize": "5",
        "key": KEY,
    }
    assert request.headers["User-Agent"].startswith("ClaimBot/")
    [record] = records
    assert record.url == REVIEW_URL  # the original review: replies link it
    assert record.claim == CLAIM
    assert record.verdict is Verdict.FALSE and record.rating_text == "False"
    assert record.publisher == "Fact Desk"
    assert record.origin == "external"
    assert record.checked_at is not None and record.checked_at.isoformat() == "2026-03-01"


def test_publisher_words_are_kept_and_the_site_names_a_nameless_publisher() -> None:
    payload = api_response(
        claim(rating="Pants on Fire!", name="PolitiFact", site="politifact.com"),
        claim(
            text="Other claim",
            url="https://checks.example/2",
            rating="Cuatro Pinochos",
            site="checks.example",
        ),
    )
    client, _ = mock_client(lambda r: httpx.Response(200, json=payload))
    first, second = client.search(QUESTION)
    assert (first.verdict, first.rating_text, first.publisher) == (
        Verdict.FALSE,
        "Pants on Fire!",
        "PolitiFact",
    )
    # Words the scale does not know stay the publisher's, rated Unrated rather than guessed.
    assert (second.verdict, second.rating_text) == (Verdict.UNRATED, "Cuatro Pinochos")
    assert second.publisher == "checks.example"


def test_garbage_is_dropped_not_raised() -> None:
    bad = [
        {"text": "no reviews"},
        "not an object",
        {"text": "", "claimReview": [{"url": "https://e.example/1", "textualRating": "False"}]},
        {"text": "script url", "claimReview": [{"url": "javascript:alert(1)", "textualRating": "False"}]},
        {"text": "no url", "claimReview": [{"textualRating": "False"}]},
        {"text": "bad date", "claimReview": [{"url": "https://e.example/2", "reviewDate": "yesterday"}]},
        claim(),
    ]
    for body in (
        json.dumps(api_response(*bad)).encode(),
        b"<html>Service Unavailable</html>",
        b'{"claims": "many"}',
        b"[1, 2, 3]",
        b"",
    ):
        client, _ = mock_client(lambda r, body=body: httpx.Response(200, content=body))
        records = client.search(QUESTION)
        assert [r.url for r in records] == ([REVIEW_URL] if b"claimReview" in body else [])
        assert not client.backing_off  # garbage is not an outage


def test_an_empty_answer_is_remembered_so_the_same_question_is_not_asked_again() -> None:
    clock = Clock()
    client, seen = mock_client(lambda r: httpx.Response(200, json={}), clock)
    assert client.search(QUESTION) == []
    assert client.search(QUESTION.upper() + "  ") == []  # same normalised question
    assert len(seen) == 1
    assert client.search("another question entirely") == []
    assert len(seen) == 2
    clock.now += 601
    client.search(QUESTION)
    assert len(seen) == 3


# ------------------------------------------------------------------------------------ failures


def test_429_opens_the_breaker_for_retry_after_seconds() -> None:
    clock = Clock()
    answers = [
        httpx.Response(429, headers={"Retry-After": "120"}),
        httpx.Response(200, json=api_response(claim())),
    ]
    client, seen = mock_client(lambda r: answers.pop(0), clock)
    assert client.search(QUESTION) == []
    assert client.backing_off
    assert client.search("something else") == []
    assert len(seen) == 1  # not asked while backing off
    clock.now += 121
    # The failed question was not remembered as answered: it is asked again once the API is back.
    assert [r.url for r in client.search(QUESTION)] == [REVIEW_URL]
    assert len(seen) == 2


def test_5xx_and_transport_errors_back_off_longer_each_time() -> None:
    clock = Clock()
    client, seen = mock_client(lambda r: httpx.Response(503), clock)
    pauses = []
    for attempt in range(4):
        assert client.search(f"question {attempt}") == []
        start = clock.now
        while client.backing_off:
            clock.now += 1
        pauses.append(clock.now - start)
    assert pauses == [30, 60, 120, 240]

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"connection refused for {request.url}", request=request)

    client, seen = mock_client(refuse, clock)
    assert client.search(QUESTION) == [] and client.backing_off


def test_a_rejected_key_stops_asking_for_ten_minutes() -> None:
    clock = Clock()
    client, seen = mock_client(
        lambda r: httpx.Response(403, json={"error": {"message": "API key not valid"}}), clock
    )
    assert client.search(QUESTION) == []
    clock.now += 599
    assert client.search("other") == [] and len(seen) == 1
    clock.now += 2
    client.search("other")
    assert len(seen) == 2


def test_the_key_never_appears_in_logs_even_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING

    def echo(request: httpx.Request) -> httpx.Response:
        # A server (or proxy) that echoes the request URL, key included, in its error body.
        return httpx.Response(400, text=f"bad request {request.url} key={KEY}")

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    def explode(request: httpx.Request) -> httpx.Response:
        raise RuntimeError(f"bug while handling {request.url}")

    for handler in (
        echo,
        refuse,
        explode,
        lambda r: httpx.Response(429),
        lambda r: httpx.Response(200, content=b"garbage"),
        lambda r: httpx.Response(200, json=api_response(claim())),
    ):
        client, seen = mock_client(handler)
        client.search(QUESTION)
        assert seen and KEY in str(seen[0].url)  # it was sent...
    assert caplog.records  # ...and things were logged,
    assert KEY not in caplog.text  # but never the key
    assert "***" in caplog.text


def test_a_slow_api_costs_at_most_the_timeout() -> None:
    with FakeFactCheckTools(KEY) as api:
        api.add_claim(CLAIM, REVIEW_URL, "False")
        api.delay = HANG  # the API never answers while the test runs
        client = FactCheckToolsClient(settings_for(api.base_url, CLAIMBOT_FACTCHECK_TIMEOUT=0.2))
        # search() returns although the API never answered: the client gave up at its own timeout.
        assert client.search(QUESTION) == []
        # The fake records a request once its handler thread has read it, which on a busy machine
        # can be after the client gave up; the request was sent all the same.
        holds_soon(lambda: len(api.searches) == 1, "the search reaching the API")
        assert client.backing_off
        client.close()


def test_a_compressed_bomb_is_refused_without_inflating_it(caplog: pytest.LogCaptureFixture) -> None:
    with FakeFactCheckTools(KEY) as api:
        api.raw = gzip_bomb(64 << 20)  # 64 MiB of spaces gzipped twice: a few KB on the wire
        api.raw_headers = {"Content-Encoding": "gzip, gzip"}
        client = FactCheckToolsClient(settings_for(api.base_url))
        tracemalloc.start()
        try:
            assert client.search(QUESTION) == []
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        client.close()
    assert peak < 16 << 20, f"{peak >> 20} MiB held to refuse a 2 MiB-capped response"
    assert "response too large" in caplog.text and client.backing_off


def test_fake_server_speaks_claims_search_with_a_key() -> None:
    with FakeFactCheckTools(KEY) as api:
        api.add_claim(CLAIM, REVIEW_URL, "False")
        client = FactCheckToolsClient(settings_for(api.base_url))
        assert [r.url for r in client.search(QUESTION)] == [REVIEW_URL]
        assert api.searches[0]["key"] == [KEY]
        wrong = FactCheckToolsClient(settings_for(api.base_url, CLAIMBOT_FACTCHECK_API_KEY="wrong"))
        assert wrong.search(QUESTION) == [] and wrong.backing_off


# ------------------------------------------------------------------------------------ the service


def ask(service: ClaimService, text: str) -> Outcome:
    return service.ask(Question(text=text, asker=Asker("cli", "tester"), chat=ChatRef("cli", "terminal")))


@pytest.fixture
def api() -> Iterator[FakeFactCheckTools]:
    with FakeFactCheckTools(KEY) as server:
        server.add_claim(CLAIM, REVIEW_URL, "False", publisher="Fact Desk")
        server.add_claim(
            "The Golden Gate Bridge will be repainted blue in 2027",
            "https://factdesk.example/checks/golden-gate-blue",
            "Misleading",
        )
        yield server


@pytest.fixture
def external_service(api: FakeFactCheckTools, tmp_path: Path) -> Iterator[ClaimService]:
    service = open_external_service(api, tmp_path)
    yield service
    service.engine.dispose()


def open_external_service(api: FakeFactCheckTools, tmp_path: Path, timeout: float = 10) -> ClaimService:
    """A service asking `api`; tests of a silent API pass a short timeout and make the API hang."""
    settings = settings_for(
        api.base_url, f"sqlite:///{tmp_path / 'ext.db'}", CLAIMBOT_FACTCHECK_TIMEOUT=timeout
    )
    service = ClaimService.open(settings)
    assert isinstance(service.external, FactCheckToolsClient)
    return service


def test_a_strong_external_match_is_answered_and_cached_locally(
    external_service: ClaimService, api: FakeFactCheckTools
) -> None:
    outcome = ask(external_service, QUESTION)
    assert outcome.kind is OutcomeKind.ANSWER
    card = outcome.fact_check
    assert (card.url, card.origin, card.publisher) == (REVIEW_URL, "external", "Fact Desk")
    text = render_text(compose(outcome, external_service.settings.disclaimer))
    assert "by Fact Desk" in text and f"Full report: {REVIEW_URL}" in text
    assert external_service.settings.disclaimer in text
    # The next asker is answered from the store, without asking the API again.
    api.stop()
    again = ask(external_service, "brooklyn bridge sold to a private buyer in 2025?")
    assert again.kind is OutcomeKind.ANSWER and again.fact_check.url == REVIEW_URL
    assert len(api.searches) == 1


def test_a_near_miss_is_at_most_a_suggestion(external_service: ClaimService, api: FakeFactCheckTools) -> None:
    outcome = ask(external_service, "Is the Golden Gate Bridge going to be demolished in 2027?")
    assert api.searches, "the API was asked"
    assert outcome.kind in (OutcomeKind.SUGGEST, OutcomeKind.QUEUED)
    assert outcome.fact_check is None
    urls = [c.fact_check.url for c in outcome.candidates]
    assert "https://factdesk.example/checks/golden-gate-blue" in urls


def test_no_external_result_queues_as_before(external_service: ClaimService, api: FakeFactCheckTools) -> None:
    outcome = ask(external_service, "did the town of Zzyzx ban bicycles on Tuesdays")
    assert outcome.kind is OutcomeKind.QUEUED
    assert len(api.searches) == 1


@pytest.mark.parametrize("failure", ["429", "timeout", "down", "garbage"])
def test_a_failing_api_still_gives_the_local_outcome_in_time(
    failure: str, api: FakeFactCheckTools, tmp_path: Path
) -> None:
    service = open_external_service(api, tmp_path, timeout=0.2 if failure == "timeout" else 10)
    if failure == "429":
        api.fail_next(429, **{"Retry-After": "60"})
    elif failure == "timeout":
        api.delay = HANG  # never answers: the outcome below can only come from giving up in time
    elif failure == "down":
        api.stop()
    else:
        api.raw = b'{"claims": [{"claimReview": "oops"}]'
    try:
        outcome = ask(service, QUESTION)
        assert outcome.kind in (OutcomeKind.QUEUED, OutcomeKind.SUGGEST)
        asked = 0 if failure == "down" else 1
        holds_soon(lambda: len(api.searches) == asked, f"{asked} search(es) reaching the API")
        # The known local answer is unaffected, and never waits for the failing API: it is not asked.
        local = ask(service, "did a NYC cop arrest an ICE agent")
        assert local.kind is OutcomeKind.ANSWER and len(api.searches) == asked
    finally:
        service.engine.dispose()


# ------------------------------------------------------------------------------------ acceptance


def test_acceptance_claimbot_ask_answers_from_the_api_then_without_it(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'acceptance.db'}"
    with FakeFactCheckTools(KEY) as api:
        api.add_claim(CLAIM, REVIEW_URL, "False", publisher="Fact Desk")
        env = {"CLAIMBOT_FACTCHECK_API_KEY": KEY, "CLAIMBOT_FACTCHECK_API_URL": api.base_url}
        first = claimbot("ask", "--json", "-v", QUESTION, db=db, env=env)
        assert first.returncode == 0, first.stderr
        assert len(api.searches) == 1
    payload = json.loads(first.stdout)
    assert payload["outcome"] == "answer"
    assert payload["matches"][0]["url"] == REVIEW_URL
    assert "Fact Desk" in payload["reply"] and REVIEW_URL in payload["reply"]
    assert KEY not in first.stderr and KEY not in first.stdout  # -v logs at DEBUG

    # The server is gone: the same question is answered from the store.
    second = claimbot("ask", "--json", "-v", QUESTION, db=db, env=env)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["outcome"] == "answer"
    assert json.loads(second.stdout)["matches"][0]["url"] == REVIEW_URL
    assert KEY not in second.stderr


# ------------------------------------------------------------------------------------ hostile answers


@pytest.mark.parametrize(
    "body",
    [
        b'{"claims": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"claims": [], "n": ' + b"9" * 1_000_000 + b"}",
    ],
)
def test_a_hostile_answer_is_garbage_not_an_outage(body: bytes) -> None:
    client, _ = mock_client(lambda r: httpx.Response(200, content=body))
    assert client.search(QUESTION) == []
    assert not client.backing_off


def test_control_characters_from_the_api_are_cleaned_before_storing(database_url: str) -> None:
    with FakeFactCheckTools(KEY) as api:
        api.add_claim(
            "The Brooklyn\x00 Bridge was sold to a private buyer in 2025",
            REVIEW_URL,
            "False\x00",
            publisher="Fact\x00 Desk",
        )
        service = ClaimService.open(settings_for(api.base_url, database_url))
        try:
            outcome = ask(service, QUESTION)
        finally:
            service.engine.dispose()
    assert outcome.kind is OutcomeKind.ANSWER
    card = outcome.fact_check
    assert (card.claim, card.rating_text, card.publisher) == (CLAIM, "False", "Fact Desk")
