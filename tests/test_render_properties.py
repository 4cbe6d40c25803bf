"""Crafted input through the chat renderers: Telegram HTML and Discord embeds (issue 8, part 5).

Arbitrary Unicode, markup, mentions (@everyone, <@&role>), zero-width and RTL characters and huge
ids go into every stored field a reply shows. The output must stay within each platform's limits,
keep its markup balanced with stored text escaped, carry button data the platform accepts (and that
parses back to the same ids), and contain nothing that could ping anyone. On Discord, stored text
also never renders as a channel, slash-command or server-navigation link, a timestamp or an emoji.
"""

from __future__ import annotations

import re
from datetime import datetime

import discord
from hypothesis import given
from hypothesis import strategies as st

from adapters import discord as discord_adapter
from adapters.telegram.render import MAX_TEXT, parse_callback, render_html, render_review
from bot.domain import Candidate, Outcome, OutcomeKind, ReviewSummary
from bot.replies import compose, compose_update
from tests.fakes.telegram_api import parse_html, utf16_len
from tests.test_properties import PROPERTY_SETTINGS, TEXT, cards

IDS = st.one_of(st.integers(1, 1000), st.integers(1, 2**63 - 1))
TELEGRAM_ENTITIES = {"bold", "italic", "text_link", "blockquote", "code"}
# What Discord turns into a ping: @everyone/@here and user or role mentions of real snowflakes
# (17-20 digits; "<@0>" names nobody). Replies also go out with AllowedMentions.none().
PING = re.compile(r"@(everyone|here)\b|<@[!&]?\d{17,20}>")
# Angle-bracket syntax Discord renders in embeds: <#channel>, <@user>, </command:id>, <t:unix:style>,
# <:emoji:id>, <a:emoji:id>, <id:customize>, <sound:guild:id>.
RENDERED = re.compile(r"<(?:[#@/:]|(?:a|t|id|sound):)")
DISCORD_SYNTAX = st.sampled_from(
    [
        "<#123456789012345678>",
        "</check:123456789012345678>",
        "</review approve:123456789012345678>",
        "<t:1767225600:R>",
        "<t:1767225600>",
        "<:blob:123456789012345678>",
        "<a:blob:123456789012345678>",
        "<id:customize>",
        "<sound:123456789012345678:123456789012345679>",
        "<",
        "#",
        "/",
    ]
)
DISCORD_TEXT = st.lists(st.one_of(TEXT, DISCORD_SYNTAX), max_size=8).map("".join)


def _replies(claim: str, summary: str, outlet: str, url: str | None, request_id: int, fc_id: int) -> list:
    card = cards(claim, summary, outlet, url)
    card = type(card)(**{**card.__dict__, "id": fc_id})
    return [
        compose(Outcome(OutcomeKind.ANSWER, request_id, card, (Candidate(card, 0.99),)), "Disclaimer <b>"),
        compose(Outcome(OutcomeKind.SUGGEST, request_id, None, (Candidate(card, 0.6),) * 3), "D"),
        compose(Outcome(OutcomeKind.QUEUED, request_id, review_item_id=request_id), "D"),
        compose_update(card, claim),
    ]


def _review(text: str, summary: str, outlet: str, item: int, fc_id: int) -> ReviewSummary:
    card = cards(text, summary, outlet, None)
    card = type(card)(**{**card.__dict__, "id": fc_id})
    now = datetime(2026, 2, 2)
    return ReviewSummary(
        item, text or "x", "drafted", item % 10**6, now, now, 3, (Candidate(card, 0.5),) * 3, card
    )


# ------------------------------------------------------------------------------------------ Telegram


def _check_telegram(text: str, markup: object, sources: set[str]) -> str:
    plain, entities = parse_html(text)  # raises, as Telegram would, on unbalanced or unknown tags
    assert utf16_len(plain) <= MAX_TEXT
    assert {e["type"] for e in entities} <= TELEGRAM_ENTITIES
    assert all(e["url"] in sources for e in entities if e["type"] == "text_link")
    for row in getattr(markup, "inline_keyboard", ()):
        for button in row:
            if button.callback_data is not None:
                data = button.callback_data
                assert 1 <= len(data.encode()) <= 64
                parsed = parse_callback(data)
                assert parsed is not None and ":".join([parsed[0], *map(str, parsed[1])]) == data
            assert 1 <= len(button.text) <= 64
    return plain


@PROPERTY_SETTINGS
@given(
    claim=TEXT,
    summary=TEXT,
    outlet=TEXT,
    url=st.one_of(st.none(), TEXT, st.just("https://e.org/a?b=<c>&d")),
    request_id=IDS,
    fc_id=IDS,
)
def test_telegram_html_stays_valid_escaped_and_within_limits(
    claim: str, summary: str, outlet: str, url: str | None, request_id: int, fc_id: int
) -> None:
    for reply in _replies(claim, summary, outlet, url, request_id, fc_id):
        sources = {s.url for s in reply.sources if s.url}
        plain = _check_telegram(*render_html(reply), sources)
        if reply.kind == "answer" and utf16_len(plain) < MAX_TEXT - 200:
            # Stored text arrives as literal characters, never as markup.
            assert reply.claim in plain and reply.disclaimer in plain


@PROPERTY_SETTINGS
@given(text=TEXT, summary=TEXT, outlet=TEXT, item=IDS, fc_id=IDS, long=st.booleans())
def test_telegram_review_message_stays_valid(
    text: str, summary: str, outlet: str, item: int, fc_id: int, long: bool
) -> None:
    review = _review(text * (400 if long else 1), summary, outlet, item, fc_id)
    _check_telegram(*render_review(review), set())


# ------------------------------------------------------------------------------------------ Discord


def _embed_texts(data: dict) -> list[str]:
    texts = [data.get("title", ""), data.get("description", "")]
    texts += [f["value"] for f in data.get("fields", [])]
    return [t for t in texts if t]


def _check_discord(embed: discord.Embed, view: discord.ui.View | None) -> dict:
    data = embed.to_dict()
    assert len(data.get("title", "")) <= 256 and len(data.get("description", "")) <= 4096
    assert len(data.get("fields", [])) <= 25 and len(data.get("footer", {}).get("text", "")) <= 2048
    for f in data.get("fields", []):
        assert 1 <= len(f["name"]) <= 256 and 1 <= len(f["value"]) <= 1024
    assert len(embed) <= 6000
    for text in _embed_texts(data):
        assert not PING.search(text), text
        assert not RENDERED.search(text), text
    for item in view.children if view is not None else ():
        custom_id = getattr(item, "custom_id", None)
        assert custom_id is None or len(custom_id) <= 100
        assert len(getattr(item, "label", None) or "") <= 80
        for option in getattr(item, "options", ()):
            assert 1 <= len(option.label) <= 100 and len(option.value) <= 100
    return data


@PROPERTY_SETTINGS
@given(
    claim=DISCORD_TEXT,
    summary=DISCORD_TEXT,
    outlet=DISCORD_TEXT,
    url=st.one_of(st.none(), TEXT, st.just("https://e.org/(x) <y>")),
    request_id=IDS,
    fc_id=IDS,
    can_pin=st.booleans(),
)
def test_discord_embed_stays_within_limits_escaped_and_silent(
    claim: str, summary: str, outlet: str, url: str | None, request_id: int, fc_id: int, can_pin: bool
) -> None:
    for reply in _replies(claim, summary, outlet, url, request_id, fc_id):
        data = _check_discord(*discord_adapter.render_embed(reply, can_pin=can_pin))
        description = data.get("description", "")
        if reply.kind == "answer" and reply.claim and len(description) < 3500:
            assert discord_adapter.escape(reply.claim) in description  # markdown and mentions escaped


@PROPERTY_SETTINGS
@given(text=DISCORD_TEXT, summary=DISCORD_TEXT, outlet=DISCORD_TEXT, item=IDS, fc_id=IDS, long=st.booleans())
def test_discord_review_embed_stays_within_limits(
    text: str, summary: str, outlet: str, item: int, fc_id: int, long: bool
) -> None:
    review = _review(text * (400 if long else 1), summary, outlet, item, fc_id)
    _check_discord(*discord_adapter.render_review(review))
