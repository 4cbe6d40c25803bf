"""Crafted input: arbitrary Unicode, markup, mentions, zero-width and RTL text, huge numbers.

Every importer and renderer must take it without an exception escaping, and renderers must stay
within platform limits with markup escaped.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import (
    Candidate,
    FactCheckCard,
    FactCheckRecord,
    Outcome,
    OutcomeKind,
    RecordError,
    SourceLink,
    Verdict,
    parse_verdict,
)
from bot.importers import read_records
from bot.replies import compose, render_text
from bot.text import clean_text
from tests.factories import fact_check_card

NASTY = st.sampled_from(
    [
        "@everyone",
        "@here",
        "<@&123456789012345678>",
        "<@1>",
        "<b>",
        "</i>",
        "<a href='javascript:x'>",
        "&amp;",
        "&",
        "*",
        "_",
        "`",
        "```",
        "||",
        "~~",
        "\u200b",
        "\u200f",
        "\u202e",
        "\u2066",
        "\ufeff",
        "\x00",
        "\x1b[31m",
        "\r\n",
        "💣",
        "👩‍👩‍👧",
        "ش",
        "שלום",
        "99999999999999999999999999",
        "-1e309",
        "NaN",
    ]
)
TEXT = st.lists(st.one_of(st.text(max_size=40), NASTY), max_size=12).map("".join)
PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def cards(draw_text: str, summary: str, outlet: str, url: str | None) -> FactCheckCard:
    return fact_check_card(
        claim=draw_text,
        title=draw_text,
        summary=summary,
        rating_text=outlet,
        rating_confirmed=False,
        publisher=outlet,
        sources=tuple(SourceLink(outlet, url, n) for n in range(5)),
    )


def imported(name: str, content: str | bytes) -> list[FactCheckRecord | RecordError]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", errors="surrogatepass")
        return list(read_records(path))


@PROPERTY_SETTINGS
@given(claim=TEXT, summary=TEXT, rating=TEXT, number=st.one_of(st.integers(), st.floats(allow_nan=True)))
def test_claimreview_importer_never_raises(claim: str, summary: str, rating: str, number: float) -> None:
    review = {
        "@type": "ClaimReview",
        "url": f"https://checks.example/{abs(hash(claim))}",
        "claimReviewed": claim,
        "description": summary,
        "reviewRating": {
            "@type": "Rating",
            "alternateName": rating,
            "ratingValue": number,
            "bestRating": number,
        },
        "datePublished": summary[:20],
    }
    line = json.dumps(review, ensure_ascii=False, allow_nan=True)
    for item in imported("feed.jsonl", line + "\n" + line[: len(line) // 2] + "\n"):
        assert isinstance(item, FactCheckRecord | RecordError)


@PROPERTY_SETTINGS
@given(cells=st.lists(TEXT, min_size=7, max_size=7))
def test_csv_importer_never_raises(cells: list[str]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["url", "claim", "rating", "summary", "publisher", "date", "sources"])
    writer.writerow(cells)
    for item in imported("checks.csv", buffer.getvalue().replace("\x00", "")):
        assert isinstance(item, FactCheckRecord | RecordError)


@PROPERTY_SETTINGS
@given(question=TEXT, summary=TEXT, body=TEXT, raw=st.binary(max_size=200))
def test_report_and_checkthat_importers_never_raise(
    question: str, summary: str, body: str, raw: bytes
) -> None:
    report = f"{question}\n\nChecked on February 2, 2026\nExecutive summary\n\n{summary} [1]\n\n1. {body}\n"
    for item in imported("report.txt", report) + imported("garbage.txt", raw):
        assert isinstance(item, FactCheckRecord | RecordError)
    vclaim = json.dumps({"vclaim_id": question, "vclaim": summary, "title": body, "date": body[:12]})
    for item in imported("vclaims.jsonl", vclaim + "\n"):
        assert isinstance(item, FactCheckRecord | RecordError)


@PROPERTY_SETTINGS
@given(claim=TEXT, summary=TEXT, outlet=TEXT, url=st.one_of(st.none(), TEXT))
def test_text_renderer_handles_anything(claim: str, summary: str, outlet: str, url: str | None) -> None:
    card = cards(claim, summary, outlet, url)
    for outcome in (
        Outcome(OutcomeKind.ANSWER, 1, card, (Candidate(card, 0.99),)),
        Outcome(OutcomeKind.SUGGEST, 1, None, (Candidate(card, 0.6),) * 3),
        Outcome(OutcomeKind.QUEUED, 1, review_item_id=3),
    ):
        reply = compose(outcome, "Disclaimer.")
        text = render_text(reply)
        assert "Disclaimer." in text
        assert len(reply.sources) <= 3


@PROPERTY_SETTINGS
@given(text=TEXT)
def test_question_cleaning_and_rating_parsing_never_raise(text: str) -> None:
    cleaned = clean_text(text)
    assert "\x00" not in cleaned and "\u200b" not in cleaned and "\u202e" not in cleaned
    assert parse_verdict(text) is None or isinstance(parse_verdict(text), Verdict)


def test_the_only_printable_whitespace_is_the_ascii_space() -> None:
    """clean_text returns printable text without double or outer spaces as it is, taking it to hold
    no other whitespace: every character str.split() splits on but " " is unprintable."""
    splitting = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    assert [ch for ch in splitting if ch.isprintable()] == [" "]


SPACED = st.text(alphabet=" ab\u00e9", max_size=8) | st.text(alphabet=" a\u00a0\t\n\u2028\u200b\u3000")


@PROPERTY_SETTINGS
@given(text=SPACED | TEXT)
def test_clean_text_is_its_words_joined_by_single_spaces(text: str) -> None:
    words = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") else ch for ch in text
    ).split()
    assert clean_text(text) == " ".join(words)
