"""`claimbot chat` as a real conversation (issue 14, item 10): adapters/terminal.py driven through its
streams while moderators work from another process (a second service on the same database)."""

from __future__ import annotations

import io
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from adapters.terminal import EDITED, TerminalChat
from bot.config import Settings
from bot.domain import Actor
from bot.importers import read_records
from bot.service import ClaimService
from store.models import Request, Subscription
from tests.conftest import make_settings
from tests.fakes import PATIENCE

SKATEBOARDS = "did the city of Springfield ban skateboards in 2026"
MODERATOR = Actor("cli", "moderator")


class Screen(io.TextIOBase):
    """What the chat printed, readable while it runs; `wait_for` is a hang guard, not a timing check."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._changed = threading.Condition()

    def write(self, text: str) -> int:
        with self._changed:
            self._parts.append(text)
            self._changed.notify_all()
        return len(text)

    def text(self) -> str:
        with self._changed:
            return "".join(self._parts)

    def wait_for(self, needle: str, after: int = 0) -> int:
        """Wait until `needle` is printed past position `after`; returns where its text ends."""
        deadline = time.monotonic() + PATIENCE
        with self._changed:
            while True:
                found = "".join(self._parts).find(needle, after)
                if found >= 0:
                    return found + len(needle)
                left = deadline - time.monotonic()
                assert left > 0, f"{needle!r} was never printed; the screen:\n{''.join(self._parts)}"
                self._changed.wait(left)


class Conversation:
    """A running `TerminalChat` with a keyboard (a pipe into its stdin) and a screen."""

    def __init__(self, service: ClaimService) -> None:
        read_end, write_end = os.pipe()
        self.keyboard = os.fdopen(write_end, "w", encoding="utf-8")
        self.screen = Screen()
        self.chat = TerminalChat(service, os.fdopen(read_end, "r", encoding="utf-8"), self.screen, "reader")
        self.thread = threading.Thread(target=self.chat.run, daemon=True)
        self.thread.start()
        self.mark = self.screen.wait_for("> ")

    def type(self, line: str, expect: str) -> str:
        """Type a line and wait for `expect` in what follows; returns what was printed since the line."""
        start = len(self.screen.text())
        self.keyboard.write(line + "\n")
        self.keyboard.flush()
        end = self.screen.wait_for(expect, start)
        self.mark = end
        return self.screen.text()[start:end]

    def close(self) -> None:
        self.keyboard.close()  # end of input: the chat ends and stops its follower
        self.thread.join(PATIENCE)
        assert not self.thread.is_alive(), "the chat did not end at the end of its input"


@pytest.fixture
def fast_settings(database_url: str) -> Settings:
    # Deliveries are looked for ten times a second so the test is quick; a waiting test is a hang guard.
    return make_settings(database_url, CLAIMBOT_OUTBOX_INTERVAL_SECONDS="0.1")


@pytest.fixture
def conversation(fast_settings: Settings) -> Iterator[Conversation]:
    service = ClaimService.open(fast_settings)
    talk = Conversation(service)
    yield talk
    talk.close()
    service.engine.dispose()


@pytest.fixture
def moderators(fast_settings: Settings) -> Iterator[ClaimService]:
    """The moderators' process: its own service (and index) on the chat's database."""
    service = ClaimService.open(fast_settings)
    yield service
    service.engine.dispose()


def test_a_verdict_and_its_revision_published_elsewhere_appear_in_the_open_chat(
    conversation: Conversation, moderators: ClaimService
) -> None:
    queued = conversation.type(SKATEBOARDS, "anything else is a new question.")
    assert "sent it to our reviewers" in queued and "'notify'" in queued
    conversation.type("notify", "I'll tell you here")
    (item,) = moderators.queue(MODERATOR)
    moderators.write_verdict(
        MODERATOR,
        item.id,
        "False",
        "Springfield passed no skateboard ban.",
        ["https://springfield.example/m"],
    )
    published = moderators.approve(MODERATOR, item.id, 1)
    assert published.published
    # Nobody typed anything: the verdict arrives while the chat waits for input, then the prompt again.
    shown = conversation.screen.wait_for("A moderator has answered a question you asked.", conversation.mark)
    assert "Springfield passed no skateboard ban." in conversation.screen.text()[conversation.mark : shown]
    conversation.screen.wait_for("\n> ", shown)

    moderators.revise(MODERATOR, published.fact_check.id, summary="The council minutes show no ban at all.")
    conversation.screen.wait_for("The council minutes show no ban at all.", shown)


def test_an_answer_given_in_the_chat_is_updated_there_when_revised(
    conversation: Conversation, moderators: ClaimService
) -> None:
    answer = conversation.type("did a NYC cop arrest an ICE agent", "anything else is a new question.")
    assert "❌ False" in answer
    (card,) = [c for c in moderators.published() if c.claim.startswith("A New York City police officer")]
    moderators.revise(MODERATOR, card.id, rating="Mostly false", summary="Revised: one clip was real.")
    updated = conversation.screen.wait_for("Revised: one clip was real.", conversation.mark)
    printed = conversation.screen.text()[conversation.mark : updated]
    assert EDITED in printed and "Mostly false" in printed


def test_new_fact_checks_are_answered_without_a_restart(
    conversation: Conversation, moderators: ClaimService, tmp_path: Path
) -> None:
    feed = tmp_path / "owls.jsonl"
    review = {
        "@type": "ClaimReview",
        "url": "https://checks.example/owls-swim",
        "claimReviewed": "Owls can swim",
        "reviewRating": {"alternateName": "True"},
    }
    feed.write_text(json.dumps(review) + "\n", encoding="utf-8")
    assert moderators.import_records(read_records(feed), index=False).added == 1
    answer = conversation.type("can owls swim", "anything else is a new question.")
    assert "✅ True" in answer and "Claim: Owls can swim" in answer


def test_words_are_commands_only_where_they_mean_something(
    conversation: Conversation, fast_settings: Settings
) -> None:
    # "notify" and a number with nothing to act on are questions like any other.
    first = conversation.type("notify", "\n> ")
    assert "I'll tell you" not in first and "Pick a number" not in first
    second = conversation.type("2", "\n> ")
    assert "Pick a number" not in second
    # Only suggestions within a margin of the best are shown (issue 14 item 6): one here.
    # Suggestions shown: a number picks one, and picking shows the answer.
    suggested = conversation.type("covid vaccine", "anything else is a new question.")
    assert "Is it one of these?" in suggested and "a number from 1 to 1 to pick one" in suggested
    assert "Pick a number from 1 to 1." in conversation.type("7", "\n> ")
    # "notify" means nothing under suggestions (there is no verdict to wait for yet): a question.
    asked = conversation.type("notify", "\n> ")
    assert "Pick one of the suggestions first" not in asked and "I'll tell you" not in asked
    conversation.type("covid vaccine", "anything else is a new question.")
    picked = conversation.type("1", "anything else is a new question.")
    assert "❌ False" in picked and "Claim: mRNA COVID-19 vaccines change your DNA" in picked
    # After the answer, a number is a new question again, and "notify" follows that question's reply.
    after = conversation.type("3", "\n> ")
    assert "Claim: " not in after and "Pick a number" not in after
    engine = ClaimService.open(fast_settings).engine
    try:
        with Session(engine) as session:
            texts = [r.text for r in session.exec(select(Request).order_by(Request.id))]
            assert texts == ["notify", "2", "covid vaccine", "notify", "covid vaccine", "3"]
            assert session.exec(select(Subscription)).all() == []
    finally:
        engine.dispose()
