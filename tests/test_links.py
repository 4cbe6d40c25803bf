"""Issue 14 items 3 and 5: a question that is a link, and fact-checks without a verdict.

Links: the link keys (bot/domain/links.py), the appearances a ClaimReview import stores, an exact hit
on a fact-check's own URL or on where its claim appeared, and a page on the fake publisher matched by
its share text; the bad links (a page that never answers, 100 MiB, an internal address, another scheme).
Unrated fact-checks: real CheckThat! rows, offered as related reading, rated by a moderator.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.terminal import TerminalChat
from bot.domain import Actor, Asker, ChatRef, NotAllowed, OutcomeKind, Question, ServiceError, Verdict
from bot.domain.links import _canonical_key, link_key, links_in, text_without_links
from bot.exporters import claimreview_jsonld
from bot.importers import read_records
from bot.importers._common import _split_is_http, is_http_url
from bot.matching import restates
from bot.replies import LINK_HINT, RELATED_HEADLINE, UNRATED_QUEUED, compose, render_text
from bot.service import ClaimService
from tests.conftest import CHECKTHAT, claimbot, make_settings
from tests.fakes.publisher_site import HANG, PublisherSite

REVIEW_URL = "https://factdesk.example/fact-check/harbour-bridge-cyclists/"
APPEARANCE = "https://social.example/posts/12345"
FIRST_SEEN = "https://blog.example/2026/01/bridge-closed"
SAME_AS = "https://factdesk.example/amp/harbour-bridge-cyclists"
CLAIM = "The harbour bridge will be closed to cyclists from March"
NYC_TITLE = "Did a NYC cop arrest an ICE agent?"  # the starter set answers it


def ask(service: ClaimService, text: str, user: str = "me") -> object:
    return service.ask(Question(text, Asker("terminal", user), ChatRef("terminal", "terminal")))


def claimreview_file(tmp_path: Path) -> Path:
    node = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": REVIEW_URL,
        "claimReviewed": CLAIM,
        "headline": "No, the harbour bridge is not closing to cyclists",
        "description": "The council voted to keep the cycle lane open.",
        "datePublished": "2026-02-10",
        "author": {"@type": "Organization", "name": "Fact Desk"},
        "reviewRating": {"@type": "Rating", "alternateName": "False"},
        "sameAs": SAME_AS,
        "itemReviewed": {
            "@type": "Claim",
            "appearance": [{"@type": "CreativeWork", "url": APPEARANCE}, {"@id": "_:b0", "name": "a chat"}],
            "firstAppearance": {"@type": "CreativeWork", "url": FIRST_SEEN},
        },
    }
    path = tmp_path / "review.json"
    path.write_text(json.dumps(node))
    return path


def checkthat_rows(tmp_path: Path, *ids: str, page_url: dict[str, str] | None = None) -> Path:
    """Real rows of the CheckThat! 2022 2A verified claims, by id (optionally given a page URL)."""
    wanted = set(ids)
    lines = []
    with (CHECKTHAT / "vclaims.jsonl").open(encoding="utf-8") as data:
        for line in data:
            row = json.loads(line)
            if row["vclaim_id"] in wanted:
                if page_url and row["vclaim_id"] in page_url:
                    row["page_url"] = page_url[row["vclaim_id"]]
                lines.append(json.dumps(row))
    assert len(lines) == len(wanted)
    path = tmp_path / "vclaims.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def site() -> Iterator[PublisherSite]:
    with PublisherSite() as server:
        yield server


@pytest.fixture
def web_service(database_url: str) -> Iterator[ClaimService]:
    """A service that may fetch from the fake publisher on 127.0.0.1, with a short deadline."""
    settings = make_settings(database_url, CLAIMBOT_HTTP_ALLOW_HOSTS="127.0.0.1", CLAIMBOT_HTTP_DEADLINE=3)
    service = ClaimService.open(settings)
    yield service
    service.engine.dispose()


def og_page(title: str, description: str = "", *, body: str = "") -> str:
    return (
        f'<html><head><title>Site | {title}</title><meta property="og:title" content="{title}">'
        f'<meta name="description" content="{description}"></head><body>{body}</body></html>'
    )


# ------------------------------------------------------------------------------------------ link keys


@pytest.mark.parametrize(
    "variant",
    [
        "https://factdesk.example/fact-check/harbour-bridge-cyclists/",
        "http://factdesk.example/fact-check/harbour-bridge-cyclists",
        "https://www.factdesk.example/fact-check/harbour-bridge-cyclists/",
        "https://m.factdesk.example/fact-check/harbour-bridge-cyclists/?utm_source=twitter&utm_medium=x",
        "https://mobile.factdesk.example/fact-check/harbour-bridge-cyclists#comments",
        "https://amp.factdesk.example/fact-check/harbour-bridge-cyclists/amp/",
        "https://FACTDESK.example/fact-check/harbour-bridge-cyclists/?fbclid=IwAR0x&gclid=abc",
        "https://factdesk.example:443/fact-check//harbour-bridge-cyclists/?amp=1",
    ],
)
def test_shares_of_one_page_have_one_key(variant: str) -> None:
    assert link_key(variant) == "factdesk.example/fact-check/harbour-bridge-cyclists"


def test_keys_keep_what_names_the_page() -> None:
    assert link_key("https://e.org/story?id=2&page=1") == link_key("https://e.org/story?page=1&id=2")
    assert link_key("https://e.org/story?id=2") != link_key("https://e.org/story?id=3")
    assert link_key("https://e.org/Story") != link_key("https://e.org/story"), "paths are case-sensitive"
    assert link_key("https://m.co/x") == "m.co/x", "a host that is only m. and a suffix keeps it"
    for not_web in ("ftp://e.org/x", "javascript:alert(1)", "e.org/x", "https://[::1/x", "https://"):
        assert link_key(not_web) is None


def test_links_are_found_in_a_message() -> None:
    text = "is this true?? https://e.org/a?b=1). also see www.f.org/g, and ftp://h.org/i!"
    assert links_in(text) == ["https://e.org/a?b=1", "https://www.f.org/g", "ftp://h.org/i"]
    assert text_without_links(text) == "is this true?? also see and"
    assert links_in("no link here, e.g. 3.5 per cent") == []


# ------------------------------------------------------------------------------------------ appearances


def test_claimreview_appearances_are_stored_found_and_exported(service: ClaimService, tmp_path: Path) -> None:
    records = list(read_records(claimreview_file(tmp_path)))
    assert [(a.kind, a.url) for a in records[0].appearances] == [
        ("appearance", APPEARANCE),
        ("firstAppearance", FIRST_SEEN),
        ("sameAs", SAME_AS),
    ], "http(s) links only"
    report = service.import_records(records)
    assert report.added == 1 and not report.errors
    again = service.import_records(read_records(claimreview_file(tmp_path)))
    assert (again.added, again.updated, again.skipped) == (0, 0, 1), "re-importing changes nothing"

    for link, via in (
        ("https://www.factdesk.example/fact-check/harbour-bridge-cyclists?utm_campaign=share", "review"),
        ("http://m.factdesk.example/fact-check/harbour-bridge-cyclists/#top", "review"),
        (APPEARANCE + "?fbclid=abc", "appearance"),
        (f"look at this {FIRST_SEEN}/ is it real", "firstAppearance"),
        ("https://factdesk.example/amp/harbour-bridge-cyclists/amp", "sameAs"),
    ):
        outcome = ask(service, link)
        assert outcome.kind is OutcomeKind.ANSWER, link
        assert outcome.fact_check is not None and outcome.fact_check.url == REVIEW_URL
        assert outcome.link is not None and outcome.link.via == via
        text = render_text(compose(outcome, "d"))
        assert text.splitlines()[1] == "❌ False", text
    assert "is one where this claim appeared" in render_text(compose(ask(service, APPEARANCE), "d"))

    exported = claimreview_jsonld(service.published())["@graph"]
    review = next(r for r in exported if r["url"] == REVIEW_URL)
    assert review["itemReviewed"] == {
        "@type": "Claim",
        "appearance": [{"@type": "CreativeWork", "url": APPEARANCE}],
        "firstAppearance": {"@type": "CreativeWork", "url": FIRST_SEEN},
        "sameAs": [SAME_AS],
    }
    # The export reads back with the same appearances.
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"@graph": [review]}))
    assert next(iter(read_records(path))).appearances == records[0].appearances
    assert service.open_review_count() == 0


# ------------------------------------------------------------------------------------------ pages


def test_a_page_whose_share_text_is_a_stored_claim_is_answered(
    web_service: ClaimService, site: PublisherSite
) -> None:
    url = site.page("/news/ice.html", og_page(NYC_TITLE, "Viral clip, explained"))
    outcome = ask(web_service, f"{url}?utm_source=whatsapp")
    assert outcome.kind is OutcomeKind.ANSWER and outcome.link is not None
    assert outcome.link.via == "page" and outcome.link.page_text == NYC_TITLE
    text = render_text(compose(outcome, "d"))
    assert text.startswith(f"The page you linked says “{NYC_TITLE}”.")
    assert "❌ False" in text
    assert web_service.open_review_count() == 0
    assert not site.hits["/robots.txt"], "one page a person linked, as a link preview fetches it"


def test_a_page_that_says_nothing_we_checked_is_not_queued(
    web_service: ClaimService, site: PublisherSite
) -> None:
    url = site.page("/recipes/bread.html", og_page("Our best sourdough loaf", "Flour, water, salt"))
    outcome = ask(web_service, url)
    assert outcome.kind is OutcomeKind.REFUSED and outcome.request_id is not None
    assert outcome.review_item_id is None and web_service.open_review_count() == 0
    reply = compose(outcome, "d")
    assert reply.headline.startswith("I read the page you linked, but I have no fact-check")
    assert reply.summary == LINK_HINT


def test_a_link_with_a_claim_beside_it_is_matched_by_the_claim(
    web_service: ClaimService, site: PublisherSite
) -> None:
    url = site.page("/x.html", og_page("Nothing to see"))
    outcome = ask(web_service, f"did a NYC cop arrest an ICE agent? {url}")
    assert outcome.kind is OutcomeKind.ANSWER and outcome.link is None


def test_bad_links_get_a_clear_reply_and_are_never_queued(
    web_service: ClaimService, site: PublisherSite, database_url: str
) -> None:
    slow = site.page("/slow.html", og_page(NYC_TITLE), delay=HANG)

    def hundred_megabytes() -> Iterable[bytes]:
        yield og_page(NYC_TITLE).replace("</head>", "</head><body>").encode()
        for _ in range(100 * 16):
            yield b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>"

    huge = site.streamed("/huge.html", hundred_megabytes)
    cases = {
        slow: ("unreadable", "deadline"),
        site.document("/data.pdf", b"%PDF-1.4", "application/pdf"): ("unreadable", "not a web page"),
        site.page("/gone.html", "", status=404): ("unreadable", "HTTP 404"),
        "ftp://files.example/claim.txt": ("not_web", ""),
    }
    for link, (via, error) in cases.items():
        outcome = ask(web_service, link)
        assert outcome.kind is OutcomeKind.REFUSED and outcome.link is not None, link
        assert (outcome.link.via, error in outcome.link.error) == (via, True), outcome.link
        assert compose(outcome, "d").headline, link
    # 100 MiB: the head is read and matched; the client hangs up after its 1 MiB. What the server
    # wrote beyond that sat in socket buffers, which loopback grows to tens of MiB (tcp_rmem): 2 to
    # 9.5 MiB here, so the bound is half the page, not a few times the cap.
    outcome = ask(web_service, huge)
    assert outcome.kind is OutcomeKind.ANSWER and outcome.link is not None and outcome.link.via == "page"
    assert site.sent["/huge.html"] < 48 << 20

    # Without CLAIMBOT_HTTP_ALLOW_HOSTS, 127.0.0.1 is an internal address and is not fetched.
    guarded = ClaimService.open(make_settings(database_url))
    try:
        before = site.hits["/news.html"]
        outcome = ask(guarded, site.url("/news.html"))
        assert outcome.kind is OutcomeKind.REFUSED and outcome.link is not None
        assert "loopback" in outcome.link.error and site.hits["/news.html"] == before
        assert "I couldn't read the page you linked (127.0.0.1 is a loopback address" in (
            compose(outcome, "d").headline
        )
    finally:
        guarded.engine.dispose()
    assert web_service.open_review_count() == 0


def test_claimbot_ask_a_link(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {"CLAIMBOT_HTTP_DEADLINE": "3"}
    # example.org is not reachable from the tests (no network, or no name): unreadable either way.
    result = claimbot("ask", "https://example.org/x", db=db, env=env)
    assert result.returncode == 0, result.stderr
    assert "I couldn't read the page you linked" in result.stdout and LINK_HINT in result.stdout
    assert claimbot("review", "list", db=db).stdout.strip() == "The review queue is empty."
    assert claimbot("import", str(claimreview_file(tmp_path)), db=db).returncode == 0
    for link in (REVIEW_URL, "https://www.factdesk.example/fact-check/harbour-bridge-cyclists?utm_source=x"):
        payload = json.loads(claimbot("ask", "--json", link, db=db, env=env).stdout)
        assert payload["outcome"] == "answer" and payload["matches"][0]["url"] == REVIEW_URL
        assert payload["reply"].startswith("You linked this fact-check:")
    answered = claimbot("ask", "https://m.social.example/posts/12345/", db=db, env=env)
    assert "this claim appeared" in answered.stdout and "❌ False" in answered.stdout
    assert claimbot("review", "list", db=db).stdout.strip() == "The review queue is empty."


# ------------------------------------------------------------------------------------------ unrated

OBAMA = "vclaim-sno-57-states"  # the example: its summary repeats the rumour
TENCC = "vclaim-sno-10cc"  # a finding: "… but the band was not named for …"
ANACONDA = "vclaim-sno-10-meter-anaconda"
FRIES = "vclaim-sno-1-mcdonald39s-any-size-fries"


def test_a_summary_is_shown_only_when_it_is_a_finding() -> None:
    rows = {}
    with (CHECKTHAT / "vclaims.jsonl").open(encoding="utf-8") as data:
        for line in data:
            row = json.loads(line)
            if row["vclaim_id"] in (OBAMA, TENCC, ANACONDA, FRIES):
                rows[row["vclaim_id"]] = row
    said = {i: restates(r["subtitle"], [r["vclaim"], r["title"]]) for i, r in rows.items()}
    assert said == {OBAMA: True, FRIES: True, TENCC: False, ANACONDA: False}


def test_unrated_claims_are_related_reading_or_queued_for_a_rating(
    service: ClaimService, tmp_path: Path
) -> None:
    link = "https://www.snopes.com/fact-check/10cc/"
    path = checkthat_rows(tmp_path, OBAMA, TENCC, page_url={TENCC: link})
    assert service.import_records(read_records(path)).added == 2

    # With a link: a related fact-check, its title, the finding and the link; no verdict anywhere.
    outcome = ask(service, "was the band 10cc named for the amount of semen in an average ejaculation")
    assert outcome.kind is OutcomeKind.ANSWER and outcome.fact_check is not None
    reply = compose(outcome, "d")
    assert reply.kind == "related" and reply.verdict is None and reply.headline == RELATED_HEADLINE
    text = render_text(reply)
    assert "Fact-check: How 10cc Got Their Name" in text and "not named for the amount" in text
    assert f"Read the fact-check: {link}" in text
    assert "Unrated" not in text and Verdict.UNRATED.icon not in text and "Claim:" not in text

    # Without one: queued for a moderator to rate, and the rumour is not shown back as the answer.
    outcome = ask(service, "did Obama say he had visited 57 states")
    assert outcome.kind is OutcomeKind.QUEUED and outcome.review_item_id is not None
    text = render_text(compose(outcome, "d"))
    assert text.startswith(UNRATED_QUEUED) and "57 Islamic states" not in text

    # The moderator rates it: the next asker gets the verdict.
    fact_check_id = outcome.fact_check.id  # type: ignore[union-attr]
    with pytest.raises(NotAllowed):
        service.rate(Actor("telegram", "5"), fact_check_id, "False")
    card = service.rate(Actor("cli", "mod"), fact_check_id, "False")
    assert card.verdict is Verdict.FALSE and card.revision == 2
    with pytest.raises(ServiceError, match="rated False already"):
        service.rate(Actor("cli", "mod"), fact_check_id, "True")
    with pytest.raises(ServiceError, match="Unknown rating"):
        service.rate(Actor("cli", "mod"), outcome.candidates[0].fact_check.id, "purple")
    answered = ask(service, "did Barack Obama say he had visited 57 states", user="other")
    assert answered.kind is OutcomeKind.ANSWER and render_text(compose(answered, "d")).startswith("❌ False")
    log = [(e.action, e.allowed, e.target) for e in service.audit_log()]
    assert ("rate", True, f"fact_check:{fact_check_id}") in log
    assert ("rate", False, f"fact_check:{fact_check_id}") in log


def test_terminal_shows_an_unrated_claim_as_related(sqlite_service: ClaimService, tmp_path: Path) -> None:
    link = "https://www.snopes.com/fact-check/10cc/"
    sqlite_service.import_records(read_records(checkthat_rows(tmp_path, TENCC, page_url={TENCC: link})))
    out = io.StringIO()
    chat = TerminalChat(sqlite_service, io.StringIO(), out, user="t")
    chat.handle("was the band 10cc named for the amount of semen in an average ejaculation")
    shown = out.getvalue()
    assert RELATED_HEADLINE in shown and "Fact-check: How 10cc Got Their Name" in shown
    assert "Unrated" not in shown and Verdict.UNRATED.icon not in shown


def test_claimbot_factchecks_rate(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert claimbot("import", str(checkthat_rows(tmp_path, OBAMA)), db=db).returncode == 0
    queued = json.loads(claimbot("ask", "--json", "did Obama say he had visited 57 states", db=db).stdout)
    assert queued["outcome"] == "queued" and queued["reply"].startswith(UNRATED_QUEUED)
    fact_check = next(m for m in queued["matches"] if m["url"] == f"checkthat:{OBAMA}")
    assert fact_check["rating"] == "Unrated"
    ids = {
        c["claim"]: c["fact_check_id"]
        for c in json.loads(claimbot("review", "show", str(queued["review_id"]), "--json", db=db).stdout)[
            "suggestions"
        ]
    }
    fact_check_id = next(iter(ids.values()))
    refused = claimbot("factchecks", "rate", str(fact_check_id), "False", "--as", "telegram:5", db=db)
    assert refused.returncode == 2 and "only this community's moderators" in refused.stderr
    rated = claimbot("factchecks", "rate", str(fact_check_id), "False", db=db)
    assert rated.returncode == 0, rated.stderr
    assert f"Rated fact-check {fact_check_id} ❌ False" in rated.stdout
    audit = [json.loads(line) for line in claimbot("export", "--format", "audit", db=db).stdout.splitlines()]
    assert [(a["action"], a["allowed"]) for a in audit if a["action"] == "rate"] == [
        ("rate", True),
        ("rate", False),
    ]


# URLs near the shapes link_key and is_http_url take without a full parse: hosts of labels (some upper
# case, IDNA, numeric, empty), paths with dot segments, percent signs, "amp", queries and fragments.
_LABEL = st.sampled_from(
    ["e", "www", "m", "amp", "FactDesk", "xn--bcher-kva", "0177", "1", "-a", "", "b" * 64]
)
_SEGMENT = st.sampled_from(["a", "amp", ".", "..", ".well-known", "x.amp.html", "%7e", "A~b_c-d.e", "", "é"])
_URL = st.builds(
    lambda scheme, labels, port, segments, tail: (
        f"{scheme}://{'.'.join(labels)}{port}" + "".join(f"/{s}" for s in segments) + tail
    ),
    st.sampled_from(["http", "https", "HTTPS"]),
    st.lists(_LABEL, min_size=1, max_size=4),
    st.sampled_from(["", "", ":443", ":8080", ":"]),
    st.lists(_SEGMENT, max_size=4),
    st.sampled_from(["", "", "/", "#top", "#a?b", "?utm_source=x", "?b=2&a=1", "\\x", "@h"]),
)


@settings(max_examples=500)
@given(_URL)
def test_a_plain_url_has_the_key_its_canonical_form_gives(url: str) -> None:
    assert link_key(url) == _canonical_key(url)


@settings(max_examples=500)
@given(_URL)
def test_a_plain_url_is_http_as_urlsplit_says(url: str) -> None:
    assert is_http_url(url) == (url.isprintable() and " " not in url and _split_is_http(url))
