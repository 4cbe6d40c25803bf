"""The moderators' web console (adapters/web) through Starlette's TestClient (httpx), on SQLite and
PostgreSQL: sign-in by link, CSRF, escaping, headers, every page, and each action authorized and audited.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from adapters.web import build_app
from adapters.web.app import CSP
from bot.config import Settings
from bot.domain import Actor, Asker, Authenticity, ChatRef, MediaFile, Question
from bot.importers import READ_ASIDE_BYTES
from bot.service import ClaimService
from store.db import session_scope
from store.models import ConsoleLink, utcnow
from tests.conftest import ROOT, claimbot, make_settings

MODERATOR = 42
MOD = Actor("telegram", str(MODERATOR), platform_admin=True)
OTHER_MOD = Actor("telegram", "43", platform_admin=True)
OPERATOR = Actor("cli", "operator")
SECRET = "test-console-secret-" + "x" * 32
IMPORTERS = ROOT / "tests" / "data" / "importers"


def console_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "TELEGRAM_MODERATORS": f"{MODERATOR},43",
        "CLAIMBOT_CONSOLE_SECRET": SECRET,
        "CLAIMBOT_CONSOLE_URL": "http://testserver",
        # Lexical matching: these tests are about the console, not the sentence model.
        "CLAIMBOT_SEMANTIC": False,
    }
    values.update(overrides)
    return make_settings(database_url, **values)


@pytest.fixture
def service(database_url: str) -> Iterator[ClaimService]:
    svc = ClaimService.open(console_settings(database_url))
    yield svc
    svc.engine.dispose()


def client_for(service: ClaimService) -> TestClient:
    return TestClient(build_app(service, service.settings, follow_index=False), follow_redirects=False)


@pytest.fixture
def client(service: ClaimService) -> Iterator[TestClient]:
    with client_for(service) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf(?:token" value|-token" content)="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def sign_in(client: TestClient, service: ClaimService, actor: Actor = MOD) -> None:
    link = service.issue_console_link(actor)
    page = client.get(link.url)
    assert page.status_code == 200 and "Sign in" in page.text
    signed = client.post("/signin", data={"csrftoken": csrf_of(page.text), "token": link.token})
    assert signed.status_code == 303, signed.text
    assert client.get("/queue").status_code == 200


def post(client: TestClient, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    """A form as the browser sends it: with the CSRF token of the page it came from."""
    token = csrf_of(client.get("/settings").text)
    return client.post(path, data={"csrftoken": token, **(data or {})}, **kw)


def queue_question(service: ClaimService, text: str, user: str = "1001", platform: str = "telegram") -> int:
    outcome = service.ask(
        Question(
            text=text,
            asker=Asker(platform, user),
            chat=ChatRef(platform, user, is_private=True),
            language_hint="en",
        )
    )
    assert outcome.review_item_id is not None, outcome
    return outcome.review_item_id


def audit(service: ClaimService, action: str) -> list[Any]:
    return [e for e in service.audit_log(500) if e.action == action]


# Claims that share no words, so that each one opens a review item of its own.
DISTINCT = [
    tuple(line.split())
    for line in (
        "penguins smuggle volcanoes",
        "wizards paint umbrellas",
        "dentists steal glaciers",
        "pirates bury pyramids",
        "plumbers launch canoes",
        "jugglers melt trumpets",
        "sailors sculpt lanterns",
        "bakers knit quarries",
        "miners paddle tulips",
        "poets polish zeppelins",
        "tailors juggle harpoons",
        "farmers shear kettles",
        "drummers brew meadows",
        "florists carve orchards",
        "cowboys ferment parachutes",
        "barbers glaze saddles",
        "chemists grill tractors",
        "painters harvest vineyards",
        "hikers ignite windmills",
        "monks lasso yachts",
        "knights mine anvils",
        "nurses plant bonfires",
        "pilots quilt cathedrals",
        "rangers roast dunes",
        "surfers sift escalators",
        "weavers thaw fountains",
    )
]
UNKNOWN = "the harbour ferry will carry cars for free on sundays from next month"
OTHER = "the old lighthouse was sold to a hotel chain for one euro"


# ------------------------------------------------------------------------------------------ sign-in


def test_no_page_without_a_session(client: TestClient) -> None:
    for path in (
        "/",
        "/queue",
        "/review/1",
        "/factchecks",
        "/factchecks/1",
        "/import",
        "/audit",
        "/settings",
    ):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/signin", path
    page = client.get("/signin")
    assert "/console" in page.text
    # A form posted without a session is refused too (the CSRF token is valid; the session is not).
    refused = client.post("/review/1/reject", data={"csrftoken": csrf_of(page.text), "reason": "x"})
    assert refused.status_code == 401 and "session has ended" in refused.text


def test_a_link_signs_in_once(client: TestClient, service: ClaimService) -> None:
    link = service.issue_console_link(MOD)
    assert link.url.startswith("http://testserver/signin?token=")
    # The GET only shows a button (link previews must not spend the token).
    page = client.get(link.url)
    assert link.token in page.text
    stored = audit(service, "console_link")
    assert stored and stored[0].allowed and link.token not in (stored[0].detail or "")
    signed = client.post("/signin", data={"csrftoken": csrf_of(page.text), "token": link.token})
    assert signed.status_code == 303
    assert "telegram:42" in client.get("/queue").text
    assert [e.allowed for e in audit(service, "console_sign_in")] == [True]
    # Used: a second browser with the same link is refused, and that is audited.
    with client_for(service) as other:
        again = other.get(link.url)
        refused = other.post("/signin", data={"csrftoken": csrf_of(again.text), "token": link.token})
        assert refused.status_code == 403 and "used already" in refused.text
        assert other.get("/queue").status_code == 303
    refusal = audit(service, "console_sign_in")[0]
    assert not refusal.allowed and refusal.actor == "telegram:42" and refusal.detail == "link already used"
    # Signing out ends the session.
    out = post(client, "/signout")
    assert out.status_code == 200 and "signed out" in out.text
    assert client.get("/queue").status_code == 303


def test_only_the_hash_of_a_token_is_stored(service: ClaimService) -> None:
    from sqlmodel import Session, select

    link = service.issue_console_link(MOD)
    with Session(service.engine) as session:
        row = session.exec(select(ConsoleLink)).one()
    assert row.token_hash != link.token and link.token not in row.token_hash and len(row.token_hash) == 64


def test_an_expired_link_is_refused_and_audited(client: TestClient, service: ClaimService) -> None:
    link = service.issue_console_link(MOD)
    with session_scope(service.engine) as session:
        session.execute(update(ConsoleLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    page = client.get(link.url)
    refused = client.post("/signin", data={"csrftoken": csrf_of(page.text), "token": link.token})
    assert refused.status_code == 403 and "expired" in refused.text
    assert client.get("/queue").status_code == 303
    (entry,) = audit(service, "console_sign_in")
    assert not entry.allowed and entry.detail == "link expired"


def test_unknown_token_is_refused_and_audited(client: TestClient, service: ClaimService) -> None:
    page = client.get("/signin?token=not-a-real-token")
    refused = client.post("/signin", data={"csrftoken": csrf_of(page.text), "token": "not-a-real-token"})
    assert refused.status_code == 403 and "not valid" in refused.text
    assert audit(service, "console_sign_in")[0].detail == "unknown link"


def test_a_non_moderators_link_is_refused_and_audited(client: TestClient, service: ClaimService) -> None:
    # Nobody gets a link who is not a moderator...
    with pytest.raises(Exception, match="only this community's moderators"):
        service.issue_console_link(Actor("telegram", "555"))
    assert [e.actor for e in audit(service, "console_link") if not e.allowed] == ["telegram:555"]
    # ...and a link whose holder stopped being one before using it signs nobody in.
    service.add_moderator(OPERATOR, "discord", "777")
    link = service.issue_console_link(Actor("discord", "777"))
    service.remove_moderator(OPERATOR, "discord", "777")
    page = client.get(link.url)
    refused = client.post("/signin", data={"csrftoken": csrf_of(page.text), "token": link.token})
    assert refused.status_code == 403 and "moderators" in refused.text
    assert client.get("/queue").status_code == 303
    entry = audit(service, "console_sign_in")[0]
    assert entry.actor == "discord:777" and not entry.allowed and "not a moderator" in (entry.detail or "")


def test_a_session_ends_after_its_hours(
    client: TestClient, service: ClaimService, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time as real_time

    from adapters.web import render

    sign_in(client, service)
    hours = service.settings.console_session_hours

    class Later:
        """The clock the console reads, moved past the session's end (activity does not extend it)."""

        @staticmethod
        def time() -> float:
            return real_time.time() + hours * 3600 + 60

    monkeypatch.setattr(render, "time", Later)
    assert client.get("/queue").status_code == 303


# ------------------------------------------------------------------------------------------ security


def test_forms_without_the_csrf_token_are_refused(client: TestClient, service: ClaimService) -> None:
    item = queue_question(service, UNKNOWN)
    sign_in(client, service)
    missing = client.post(f"/review/{item}/reject", data={"reason": "spam"})
    forged = client.post(f"/review/{item}/reject", data={"reason": "spam", "csrftoken": "forged.token"})
    assert missing.status_code == forged.status_code == 403
    assert "CSRF" in missing.text
    # Another session's token is no use either: the token is the session's own.
    with client_for(service) as other:
        stranger = csrf_of(other.get("/signin").text)
        assert (
            client.post(f"/review/{item}/reject", data={"reason": "x", "csrftoken": stranger}).status_code
            == 403
        )
    assert service.review_for_delivery(item).status == "open"
    # The sign-in form is checked even from a browser with no cookie at all (no forced sign-in).
    with client_for(service) as fresh:
        link = service.issue_console_link(MOD)
        assert fresh.post("/signin", data={"token": link.token}).status_code == 403
    # With the token, the same form works.
    assert post(client, f"/review/{item}/reject", {"reason": "spam"}).status_code == 303
    assert service.review_for_delivery(item).status == "rejected"


def test_stored_strings_are_escaped(client: TestClient, service: ClaimService) -> None:
    item = queue_question(service, "<script>alert('x')</script> did the mayor ban bicycles downtown")
    sign_in(client, service)
    for path in ("/queue", f"/review/{item}"):
        page = client.get(path).text
        assert "<script>alert" not in page, path
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; did the mayor" in page, path
    # The only script any page loads is the console's own file.
    assert re.findall(r"<script[^>]*>", client.get("/queue").text) == [
        '<script src="/static/console.js" defer>'
    ]


def test_every_form_route_checks_the_csrf_token(client: TestClient) -> None:
    from starlette.routing import Route

    app = client.app.app.app  # SecurityHeaders -> RequestBodyLimitMiddleware -> Starlette
    posts = [r for r in app.routes if isinstance(r, Route) and "POST" in (r.methods or set())]
    assert len(posts) >= 6
    assert all(getattr(r.endpoint, "csrf_protected", False) for r in posts), [r.path for r in posts]


def test_security_headers(client: TestClient, service: ClaimService) -> None:
    assert CSP.startswith("default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'")
    responses = [client.get("/signin"), client.get("/static/console.css"), client.post("/signout")]
    sign_in(client, service)
    responses.append(client.get("/queue"))
    for response in responses:
        assert response.headers["content-security-policy"] == CSP
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    assert responses[-1].headers["cache-control"] == "no-store"


def test_session_cookie_is_httponly_samesite_and_signed(client: TestClient, service: ClaimService) -> None:
    link = service.issue_console_link(MOD)
    page = client.get(link.url)
    signed = client.post("/signin", data={"csrftoken": csrf_of(page.text), "token": link.token})
    (session_cookie,) = [
        h for h in signed.headers.get_list("set-cookie") if h.startswith("claimbot_console=")
    ]
    assert "httponly" in session_cookie.lower() and "samesite=lax" in session_cookie.lower()
    # A cookie changed by hand (another identity) is not a session.
    payload, signature = client.cookies["claimbot_console"].split(".", 1)
    session = json.loads(base64.b64decode(payload))
    assert session["actor"]["user_id"] == "42"
    session["actor"]["user_id"] = "43"
    forged = base64.b64encode(json.dumps(session).encode()).decode()
    client.cookies.clear()
    client.cookies.set("claimbot_console", f"{forged}.{signature}")
    assert client.get("/queue").status_code == 303


def test_https_console_uses_secure_host_cookies(database_url: str) -> None:
    service = ClaimService.open(
        console_settings(database_url, CLAIMBOT_CONSOLE_URL="https://console.example")
    )
    try:
        with TestClient(
            build_app(service, service.settings, follow_index=False), base_url="https://console.example"
        ) as client:
            page = client.get("/signin?token=abc")
            cookie = page.headers["set-cookie"]
            assert cookie.startswith("__Host-claimbot_console=") and "secure" in cookie.lower()
    finally:
        service.engine.dispose()


# ------------------------------------------------------------------------------------------ pages


def test_every_page_renders(client: TestClient, service: ClaimService) -> None:
    item = queue_question(service, UNKNOWN)
    sign_in(client, service)
    fact_check = service.factcheck_page(MOD, limit=1).items[0]
    for path in (
        "/queue",
        "/queue?status=all",
        f"/review/{item}",
        f"/review/{item}?q=police",
        "/factchecks",
        "/factchecks?q=police+arrest",
        "/factchecks?verdict=Unrated&status=published",
        f"/factchecks/{fact_check.id}",
        "/import",
        "/audit",
        "/settings",
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:2000])
        assert "<label" in response.text and "<main" in response.text
    dashboard = client.get("/")
    assert dashboard.status_code == 200 and "<svg" in dashboard.text and "Questions per day" in dashboard.text
    assert client.get("/?start=2026-01-01&end=2025-01-01").status_code == 400  # said, not a crash
    assert client.get("/review/99999").status_code == 404
    assert client.get("/factchecks/99999").status_code == 404


def test_every_control_has_a_label(client: TestClient, service: ClaimService) -> None:
    item = queue_question(service, UNKNOWN)
    sign_in(client, service)
    fact_check = service.factcheck_page(MOD, limit=1).items[0]
    for path in (
        "/queue",
        f"/review/{item}",
        "/factchecks",
        f"/factchecks/{fact_check.id}",
        "/import",
        "/audit",
    ):
        html = client.get(path).text
        labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
        for control in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
            if 'type="hidden"' in control:
                continue
            found = re.search(r'id="([^"]+)"', control)
            assert found and found.group(1) in labelled, (path, control)


def test_queue_columns_and_pages(client: TestClient, service: ClaimService) -> None:
    first = queue_question(service, UNKNOWN, "1")
    queue_question(service, UNKNOWN, "2", platform="discord")
    for n, (who, did, what) in enumerate(DISTINCT[:26]):
        queue_question(service, f"did {who} {did} {what}", str(100 + n))
    sign_in(client, service)
    page = client.get("/queue").text
    row = page.split(f'href="/review/{first}"', 1)[1].split("</tr>", 1)[0]
    assert "discord, telegram" in row and ">en<" in row and "↑" in row
    assert "Page 1 of 2" in page and page.count("<tr>") == 26  # a header and 25 items
    second = client.get("/queue?status=open&page=2").text
    assert second.count("<tr>") == 1 + 2 and "Page 2 of 2" in second


def test_a_photo_in_the_queue_is_marked(client: TestClient, service: ClaimService) -> None:
    from tests.media_factory import encode, scene

    outcome = service.ask(
        Question(
            text="",
            asker=Asker("telegram", "9"),
            chat=ChatRef("telegram", "9", is_private=True),
            media=MediaFile(encode(scene(3), "PNG"), "photo.png"),
        )
    )
    if outcome.review_item_id is None:
        pytest.skip(f"the photo was not queued here: {outcome.kind}")
    sign_in(client, service)
    assert "📷 image" in client.get("/queue").text


def test_dates_in_the_moderators_time_zone(client: TestClient, service: ClaimService) -> None:
    item = queue_question(service, UNKNOWN)
    sign_in(client, service)
    asked = service.review_for_delivery(item).last_asked_at
    assert "Dates in UTC" in client.get("/queue").text
    assert post(client, "/settings", {"tz": "Mars/Olympus"}).status_code == 303
    assert "not a time zone" in client.get("/settings").text
    assert post(client, "/settings", {"tz": "Asia/Kathmandu"}).status_code == 303
    page = client.get("/queue").text
    local = (asked + timedelta(hours=5, minutes=45)).strftime("%Y-%m-%d %H:%M")
    assert "Dates in Asia/Kathmandu" in page and local in page
    # console.js's own post: no page, just the setting.
    assert post(client, "/settings", {"tz": "Europe/Paris", "auto": "1"}).status_code == 204


# ------------------------------------------------------------------------------------------ actions


def test_verdict_approve_link_reject_are_done_and_audited(client: TestClient, service: ClaimService) -> None:
    drafted, linked, rejected = (
        queue_question(service, UNKNOWN, "1"),
        queue_question(service, OTHER, "2"),
        queue_question(service, "my neighbour's cat can speak three languages fluently", "3"),
    )
    sign_in(client, service)
    done = post(
        client,
        f"/review/{drafted}/verdict",
        {"rating": "False", "summary": "The ferry still charges.", "sources": "https://port.example/fares"},
    )
    assert done.status_code == 303
    page = client.get(f"/review/{drafted}").text
    assert "Drafted False as revision 1" in page and "Approve revision 1" in page
    assert post(client, f"/review/{drafted}/approve", {"revision": "1"}).status_code == 303
    assert "Published fact-check" in client.get(f"/review/{drafted}").text
    assert service.review_for_delivery(drafted).status == "answered"

    starter = service.find_factchecks(MOD, "police officer arrest ICE agent")[0].fact_check
    assert post(client, f"/review/{linked}/link", {"fact_check": str(starter.id)}).status_code == 303
    assert f"Linked #{linked} to fact-check #{starter.id}" in client.get(f"/review/{linked}").text
    assert post(client, f"/review/{rejected}/reject", {"reason": "Not a checkable claim"}).status_code == 303
    assert service.review_for_delivery(rejected).reject_reason == "Not a checkable claim"
    # A mistake is said on the page, not as a crash.
    post(client, f"/review/{rejected}/reject", {"reason": "again"})
    assert "already rejected" in client.get(f"/review/{rejected}").text

    actions = {(e.action, e.target) for e in service.audit_log(100) if e.actor == "telegram:42" and e.allowed}
    assert {
        ("verdict", f"review:{drafted}"),
        ("approve", f"review:{drafted}"),
        ("link", f"review:{linked}"),
        ("reject", f"review:{rejected}"),
    } <= actions
    audit_page = client.get("/audit?action=approve").text
    assert f"review:{drafted}" in audit_page and "reject" not in audit_page.split("<tbody>")[1]


def test_second_approval_rule(database_url: str) -> None:
    service = ClaimService.open(console_settings(database_url, CLAIMBOT_REQUIRE_SECOND_APPROVAL=True))
    try:
        item = queue_question(service, UNKNOWN)
        with client_for(service) as author, client_for(service) as second:
            sign_in(author, service, MOD)
            post(
                author,
                f"/review/{item}/verdict",
                {"rating": "False", "summary": "No.", "sources": "https://e.org/a"},
            )
            assert "a second moderator must approve" in author.get(f"/review/{item}").text
            post(author, f"/review/{item}/approve", {"revision": "1"})
            assert "Not published yet: a second moderator must approve" in author.get(f"/review/{item}").text
            assert service.review_for_delivery(item).status == "drafted"
            sign_in(second, service, OTHER_MOD)
            post(second, f"/review/{item}/approve", {"revision": "1"})
            assert service.review_for_delivery(item).status == "answered"
        refused = [e for e in audit(service, "approve") if not e.allowed]
        assert refused and refused[0].actor == "telegram:42"
    finally:
        service.engine.dispose()


def test_a_non_moderator_session_is_refused_per_action(client: TestClient, service: ClaimService) -> None:
    # A moderator signs in, then loses the grant: every page and action is refused (and audited).
    service.add_moderator(OPERATOR, "discord", "888")
    sign_in(client, service, Actor("discord", "888"))
    service.remove_moderator(OPERATOR, "discord", "888")
    assert client.get("/queue").status_code == 403
    item = queue_question(service, UNKNOWN)
    assert post(client, f"/review/{item}/reject", {"reason": "x"}).status_code in (403, 303)
    assert service.review_for_delivery(item).status == "open"
    assert any(e.actor == "discord:888" and not e.allowed for e in service.audit_log(50))


def test_revise_and_rate(client: TestClient, service: ClaimService) -> None:
    sign_in(client, service)
    card = service.find_factchecks(MOD, "police officer arrest ICE agent")[0].fact_check
    post(
        client, f"/factchecks/{card.id}/revise", {"rating": "", "summary": card.summary, "claim": card.claim}
    )
    assert "Nothing was changed" in client.get(f"/factchecks/{card.id}").text
    post(client, f"/factchecks/{card.id}/revise", {"rating": "Misleading", "summary": "Garbled story."})
    revised = service.factcheck_detail(MOD, card.id).card
    assert revised.revision == card.revision + 1 and revised.summary == "Garbled story."
    assert revised.verdict.value == "Misleading"
    # Import an unrated claim, then rate it from the "rate the unrated" list.
    service.import_upload(MOD, IMPORTERS / "vclaims_small.jsonl", "vclaims_small.jsonl")
    unrated = client.get("/factchecks?verdict=Unrated&status=published").text
    target = int(re.search(r'action="/factchecks/(\d+)/rate"', unrated).group(1))
    back = "/factchecks?verdict=Unrated&status=published"
    done = post(client, f"/factchecks/{target}/rate", {"rating": "False", "back": back})
    assert done.headers["location"] == back
    assert service.factcheck_detail(MOD, target).card.verdict.value == "False"
    assert {e.action for e in service.audit_log(50) if e.actor == "telegram:42" and e.allowed} >= {
        "revise",
        "rate",
        "import",
    }


def test_import_a_file_with_its_report(client: TestClient, service: ClaimService) -> None:
    sign_in(client, service)
    page = client.get("/import").text
    body = (IMPORTERS / "bad_rows.csv").read_bytes()
    report = client.post(
        "/import",
        data={"csrftoken": csrf_of(page), "format": ""},
        files={"file": ("bad_rows.csv", body, "text/csv")},
    )
    assert report.status_code == 200
    assert "Added 2" in report.text and re.search(r"bad_rows\.csv:\d+: ", report.text)
    assert "claimbot-upload" not in report.text  # the moderator's file name, not the server's path
    (entry,) = audit(service, "import")
    assert entry.allowed and entry.target == "bad_rows.csv" and "added 2" in (entry.detail or "")


def test_a_large_upload_is_read_in_a_reader_process_with_its_report(
    client: TestClient, service: ClaimService
) -> None:
    # From 1 MiB on the readers run in a process of their own (bot/importers/aside.py); the console
    # serves from threads, so the reader is spawned, not forked.
    sign_in(client, service)
    page = client.get("/import").text
    words = " ".join(f"word{n}" for n in range(30))
    rows = [f"https://e.org/check/{n},Claim {n} says {words},False" for n in range(6000)]
    rows[2999] = "not a url,claim,False"
    body = ("url,claim,rating\n" + "\n".join(rows) + "\n").encode()
    assert len(body) >= READ_ASIDE_BYTES
    report = client.post(
        "/import",
        data={"csrftoken": csrf_of(page), "format": ""},
        files={"file": ("big.csv", body, "text/csv")},
    )
    assert report.status_code == 200
    assert "Added 5999" in report.text and "big.csv:3001: " in report.text
    (entry,) = audit(service, "import")
    assert entry.allowed and "added 5999" in (entry.detail or "")


def test_an_upload_is_bounded(database_url: str) -> None:
    service = ClaimService.open(console_settings(database_url, CLAIMBOT_CONSOLE_UPLOAD_BYTES=2048))
    try:
        with client_for(service) as client:
            sign_in(client, service)
            page = client.get("/import").text
            big = b"url,claim,rating\n" + b"https://e.org/x,claim,False\n" * 4000
            response = client.post(
                "/import", data={"csrftoken": csrf_of(page)}, files={"file": ("big.csv", big, "text/csv")}
            )
            assert response.status_code == 413
            assert not audit(service, "import")
    finally:
        service.engine.dispose()


# ------------------------------------------------------------------------------------------ the command


def test_console_link_command_prints_one_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {
        "TELEGRAM_MODERATORS": "42",
        "CLAIMBOT_CONSOLE_URL": "https://console.example/",
        "CLAIMBOT_SEMANTIC": "false",
    }
    result = claimbot("console-link", "--as", "telegram:42", db=db, env=env)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"https://console\.example/signin\?token=[A-Za-z0-9_-]{40,}\n", result.stdout)
    refused = claimbot("console-link", "--as", "telegram:5", db=db, env=env)
    assert refused.returncode == 2 and "moderators" in refused.stderr and not refused.stdout
    assert claimbot("console-link", db=db, env=env).returncode == 2


def test_templates_and_static_files_are_package_data() -> None:
    """A non-editable `pip install .` (the Docker image) ships every template and static file."""
    import fnmatch
    import tomllib

    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "adapters"
    ]
    web = ROOT / "adapters" / "web"
    files = [p.relative_to(ROOT / "adapters").as_posix() for p in web.rglob("*") if p.is_file()]
    shipped = [f for f in files if not f.endswith(".py") and "__pycache__" not in f]
    assert shipped and all(any(fnmatch.fnmatch(f, g) for g in globs) for f in shipped), shipped


# ------------------------------------------------------------------ a review item's forwarded photo

NOT_A_REAL_ARREST = "it does not show a real arrest"
CDN = "https://cdn.discordapp.com/attachments/1/2/viral.jpg"


def ask_with_photo(service: ClaimService, data: bytes, user: str, message: str = "1", ref: str = "") -> Any:
    return service.ask(
        Question(
            text="",
            asker=Asker("discord", user),
            chat=ChatRef("discord", f"chat-{user}"),
            message_id=message,
            media=MediaFile(data, "photo.jpg", ref=ref),
        )
    )


def queued_photo(service: ClaimService, seed: int) -> tuple[int, Any]:
    from tests.media_factory import encode, scene

    picture = scene(seed)
    outcome = ask_with_photo(service, encode(picture), "first", ref=CDN)
    assert outcome.review_item_id is not None, outcome.kind
    return outcome.review_item_id, picture


def copy_of(picture: Any) -> bytes:
    from tests.media_factory import IMAGE_TRANSFORMS, encode, reencoded

    return encode(IMAGE_TRANSFORMS["screenshot"](reencoded(picture, 50)), quality=60)


def test_a_forwarded_photo_is_shown_and_attached_when_linking(
    client: TestClient, service: ClaimService
) -> None:
    item, picture = queued_photo(service, 61)
    sign_in(client, service)
    page = client.get(f"/review/{item}").text
    media = page.split('id="media"', 1)[1].split("</section>", 1)[0]
    assert "Photo sent with the question" in media and "image" in media and "Discord" in media
    assert f'href="{CDN}"' in media  # a link to the attachment, never the image itself (img-src 'self')
    assert not re.search(r"<img[^>]+src=\"https?:", page)
    # Every control of every form has its label; the kinds read as the CLI names them.
    controls = re.findall(r'<(?:input|select|textarea)\b(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', page)
    assert "link-attach" in controls and "approve-attach" not in controls  # no draft yet
    assert all(f'<label for="{c}"' in page for c in controls), controls
    assert '<option value="transformed">transformed: AI-generated or deepfaked</option>' in page

    fact_check = service.find_factchecks(MOD, "police officer arrest ICE agent")[0].fact_check.id
    form = {
        "fact_check": str(fact_check),
        "attach_media": "1",
        "authenticity": "transformed",
        "media_description": NOT_A_REAL_ARREST,
    }
    forged = client.post(f"/review/{item}/link", data={**form, "csrftoken": "forged.token"})
    assert forged.status_code == 403 and service.review_for_delivery(item).status == "open"
    assert not audit(service, "media")

    assert post(client, f"/review/{item}/link", form).status_code == 303
    assert (
        f"Attached the forwarded photo or video to fact-check #{fact_check}"
        in client.get(f"/review/{item}").text
    )
    outcome = ask_with_photo(service, copy_of(picture), "second", "2")
    assert outcome.fact_check is not None and outcome.fact_check.id == fact_check
    from bot.replies import compose, render_text

    assert render_text(compose(outcome, service.settings.disclaimer)).startswith(
        f"This photo has been manipulated or generated (for example by AI): {NOT_A_REAL_ARREST}."
    )
    [entry] = audit(service, "media")
    assert (entry.actor, entry.target) == (MOD.label, f"factcheck:{fact_check}")
    assert f"review:{item}" in entry.detail and "TransformedContent" in entry.detail


def test_without_the_box_nothing_is_attached(client: TestClient, service: ClaimService) -> None:
    item, picture = queued_photo(service, 62)
    sign_in(client, service)
    fact_check = service.find_factchecks(MOD, "police officer arrest ICE agent")[0].fact_check.id
    # The kind select always sends a value: only the ticked box attaches.
    form = {"fact_check": str(fact_check), "authenticity": "edited", "media_description": "cropped"}
    assert post(client, f"/review/{item}/link", form).status_code == 303
    assert service.review_for_delivery(item).status == "answered"
    assert not audit(service, "media")
    again = ask_with_photo(service, copy_of(picture), "second", "2")
    assert again.media is not None and again.media.via != "fingerprint"


def test_approving_attaches_and_an_unknown_kind_is_refused(client: TestClient, service: ClaimService) -> None:
    item, picture = queued_photo(service, 63)
    sign_in(client, service)
    verdict = {"rating": "False", "summary": "The photo was staged.", "sources": "https://desk.example/s"}
    assert post(client, f"/review/{item}/verdict", verdict).status_code == 303
    page = client.get(f"/review/{item}").text
    assert '<label for="approve-attach">Attach the forwarded photo/video to the fact-check</label>' in page
    bad = {"revision": "1", "attach_media": "1", "authenticity": "blurry"}
    assert post(client, f"/review/{item}/approve", bad).status_code == 303
    assert "Unknown media kind &#39;blurry&#39;" in client.get(f"/review/{item}").text
    assert service.review_for_delivery(item).status == "drafted"  # nothing published either
    good = {"revision": "1", "attach_media": "1", "authenticity": "staged"}
    assert post(client, f"/review/{item}/approve", good).status_code == 303
    published = service.review_for_delivery(item).fact_check
    assert published is not None
    outcome = ask_with_photo(service, copy_of(picture), "second", "2")
    assert outcome.fact_check is not None and outcome.fact_check.id == published.id
    assert outcome.media is not None and outcome.media.authenticity is Authenticity.STAGED
