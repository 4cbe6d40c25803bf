"""Asking: a question in; an answer, suggestions or a queued review item out. Then what the asker does
next (pick a suggestion, "not what I asked", "notify me"), and a redelivered platform event handled once.

The question is stored, with its outcome, before the adapter sends any reply.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, or_, select

from bot.articles import focus
from bot.config import Settings
from bot.domain import (
    Asker,
    Candidate,
    FactCheckCard,
    FactCheckRecord,
    LinkNote,
    Outcome,
    OutcomeKind,
    Question,
    Verdict,
)
from bot.domain.links import text_without_links
from bot.i18n import negotiate
from bot.matching import Match, Matcher, worth_showing
from bot.text import clean_text
from bot.triage import triage
from bot.usecases.catalogue import Catalogue, candidates
from bot.usecases.delivery import Outbox
from bot.usecases.links import LinkFinding, Links
from bot.usecases.media import MediaCheck, MediaFinding, MediaRef
from bot.usecases.metrics import Metrics
from bot.usecases.moderation import Moderation, is_blocked
from bot.usecases.privacy import asker_hash
from bot.usecases.reading import Reading, read
from bot.usecases.requests import own_request, phrasing_key
from bot.usecases.review import Review
from store import factchecks, feedback
from store.db import session_scope
from store.models import FactCheck, Request, utcnow

log = logging.getLogger(__name__)

# The terminal user owns the database: neither throttled nor refused moderation rights.
LOCAL_PLATFORMS = ("cli", "terminal")
THROTTLED = "throttled"  # Request.outcome of a question refused by the rate limit
# A link with at least this many words beside it that leads nowhere is matched as the words' claim.
MIN_WORDS_BESIDE = 4


def media_placeholder(question: Question) -> str:
    """What a question that was only a photo or video is stored and shown to moderators as."""
    return "(a photo or video, no caption)" if question.media is not None else ""


def media_ref(question: Question, media: MediaFinding | None) -> MediaRef | None:
    """Where moderators can see the media (the message that carried it, as the adapter names it), with
    its caption and the text read in it."""
    if media is None or media.hashes_hex is None:
        return None
    ref = question.media.ref if question.media is not None else ""
    where = f"{question.chat.platform}:{ref or question.chat.chat_id + ':' + (question.message_id or '')}"
    return MediaRef(media.note.kind, media.hashes_hex, where, clean_text(question.text), media.text)


def _unrated_without_link(card: FactCheckCard) -> bool:
    return card.verdict is Verdict.UNRATED and card.report_url is None


class ExternalLookup(Protocol):
    """An outside source of fact-checks asked when nothing stored answers (bot/external.py)."""

    def search(self, text: str) -> list[FactCheckRecord]:
        """Fact-checks for a question; an empty list when the source is slow, down or has none."""


class Asking:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        matcher: Matcher,
        metrics: Metrics,
        catalogue: Catalogue,
        moderation: Moderation,
        review: Review,
        outbox: Outbox,
        external: ExternalLookup | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.matcher = matcher
        self.metrics = metrics
        self.catalogue = catalogue
        self.moderation = moderation
        self.review = review
        self.outbox = outbox
        self.external = external
        self.links = Links(engine, settings, matcher)
        self.media = MediaCheck(engine, moderation)
        # Issue 8: one asker's questions are handled one at a time in this process, so the throttle's
        # count-then-store cannot let concurrent questions of one person all slip under the limit.
        self._asker_locks = [threading.Lock() for _ in range(256)]

    # ---------------------------------------------------------------- a question

    def ask(self, question: Question) -> Outcome:
        """Persist the question, match it, and answer, suggest or queue it."""
        started = time.perf_counter()
        stripe = hash((question.asker.platform, question.asker.user_id)) % len(self._asker_locks)
        with self._asker_locks[stripe]:  # issue 8: see __init__
            outcome = self._ask(question)
        if not outcome.duplicate:
            kind = outcome.reason if outcome.kind is OutcomeKind.REFUSED else outcome.kind.value
            self.metrics.observe(question.asker.platform, kind or "refused", time.perf_counter() - started)
        return outcome

    def _ask(self, question: Question) -> Outcome:
        text = clean_text(question.text)
        if not text and question.media is None:
            return Outcome(OutcomeKind.REFUSED, reason="empty", language=negotiate("", *_hints(question)))
        language = negotiate(text[:2000], *_hints(question))
        if len(text) > self.settings.max_question_chars:
            return Outcome(OutcomeKind.REFUSED, reason="too_long", language=language)
        hashed = asker_hash(self.settings, question.asker)

        resume_id: int | None = None
        with Session(self.engine) as session:
            if question.event_key is not None:
                previous = self._request_for_event(session, question)
                if previous is not None and not self._needs_resume(previous):
                    return self._replay(session, previous)
                # Stored by an attempt that died before replying: finish it instead of dropping it.
                resume_id = previous.id if previous is not None else None
            if is_blocked(session, question.asker.platform, hashed):
                return Outcome(OutcomeKind.REFUSED, reason="blocked", language=language)
            # The terminal user owns the database; throttling protects chat platforms from floods.
            throttled = question.asker.platform not in LOCAL_PLATFORMS and self._is_throttled(
                session, question, hashed
            )
        if throttled and resume_id is None:
            with session_scope(self.engine) as session:
                request = self._new_request(
                    question, hashed, text or media_placeholder(question), THROTTLED, language
                )
                if not self._store_new(session, request):
                    return Outcome(OutcomeKind.REFUSED, duplicate=True, reason="duplicate")
                return Outcome(OutcomeKind.REFUSED, request.id, reason="throttled", language=language)
        if question.media is not None:  # issue 16: fingerprinted off the event loop (adapters' threads)
            finding = self.media.inspect(question.media)
            return self._decide_media(question, hashed, text, resume_id, finding, language)
        finding = self.links.resolve(text)  # issue 14: a link leads to a fact-check, or is never queued
        if finding is not None and (
            finding.found or len(text_without_links(text).split()) < MIN_WORDS_BESIDE
        ):
            return self._decide_link(question, hashed, text, resume_id, finding, language)
        return self._decide(
            question, hashed, text if finding is None else text_without_links(text), resume_id, language
        )

    def _new_request(
        self, question: Question, hashed: str, text: str, outcome: str | None, language: str
    ) -> Request:
        return Request(
            platform=question.asker.platform,
            event_key=question.event_key,
            chat_id=question.chat.chat_id,
            message_id=question.message_id,
            asker_hash=hashed,
            reply_to=question.chat.chat_id,
            text=text,
            outcome=outcome,
            language=language,
        )

    def _store_new(self, session: Session, request: Request) -> bool:
        """Insert a request; False when another worker stored the same platform event first."""
        try:
            with session.begin_nested():
                session.add(request)
        except IntegrityError:
            return False
        return True

    def _decide(
        self,
        question: Question,
        hashed: str,
        text: str,
        resume_id: int | None,
        language: str,
        media: MediaFinding | None = None,
    ) -> Outcome:
        """Triage and match the question, then store it with its outcome in one unit.

        Matching runs before the transaction so the database is held only for the writes; the
        request is committed before the adapter sends any reply. Chit-chat is stored (counted) and
        answered with help; an unmatched claim is queued only once the asker confirms it
        (`CLAIMBOT_AUTO_QUEUE` queues it at once).
        """
        # A photo with no words skips triage and matching: it is queued (or offered) by its fingerprint.
        stored = text  # what the request keeps (and a review item shows)
        sorted_out = triage(text) if text or media is None else None
        if media is not None and media.hashes_hex and sorted_out is not None and not sorted_out.is_claim:
            # "is this real?" under a photo asks about the photo, not for help: it goes by its fingerprint.
            text, sorted_out = "", None
        is_claim = sorted_out is None or sorted_out.is_claim
        reading = (
            (read(self.matcher, text) if text else Reading(OutcomeKind.QUEUED, []))
            if is_claim
            else Reading(OutcomeKind.CHITCHAT, [])
        )
        kind = reading.kind
        if text and kind in (OutcomeKind.SUGGEST, OutcomeKind.QUEUED) and self._consult_external(text):
            # Outside results are stored like any fact-check and face the same thresholds.
            reading = read(self.matcher, text)
            kind = reading.kind
        with session_scope(self.engine) as session:
            found = candidates(session, reading.matches)
            shown = candidates(session, worth_showing(reading.matches, self.matcher.thresholds))
            if not found and kind is not OutcomeKind.CHITCHAT:
                kind = OutcomeKind.QUEUED
            unrated = kind is OutcomeKind.ANSWER and _unrated_without_link(found[0].fact_check)
            if unrated:  # issue 14: nothing to answer with or to link to: a moderator rates it
                kind = OutcomeKind.QUEUED
            elif kind is OutcomeKind.QUEUED and not self.settings.auto_queue:
                kind = OutcomeKind.UNMATCHED  # issue 14: queued only once the asker confirms
            request = session.get(Request, resume_id) if resume_id is not None else None
            if request is None:
                request = self._new_request(
                    question, hashed, stored or media_placeholder(question), kind.value, language
                )
                if not self._store_new(session, request):
                    # Another worker stored this very event first: it answers, we stay silent.
                    return Outcome(OutcomeKind.REFUSED, duplicate=True, reason="duplicate")
            if media is not None:
                request.media_kind, request.media_hashes = media.note.kind, media.hashes_hex
            request.outcome = kind.value
            request.score = found[0].score if found else None
            request.fact_check_id = found[0].fact_check.id if kind is OutcomeKind.ANSWER else None
            session.add(request)
            session.flush()
            assert request.id is not None
            if kind is OutcomeKind.ANSWER and feedback.held_back(
                session, phrasing_key(text), found[0].fact_check.id
            ):  # an asker said it answers another claim (bot/usecases/feedback.py)
                kind = OutcomeKind.SUGGEST
                request.outcome, request.fact_check_id = kind.value, None
            request.language = language
            if media is not None:
                request.media_kind, request.media_hashes = media.note.kind, media.hashes_hex
            note = media.note if media is not None else None
            common = {"considered": found, "excerpt": reading.excerpt, "language": language, "media": note}
            if kind is OutcomeKind.CHITCHAT and sorted_out is not None:
                return Outcome(kind, request.id, reason=sorted_out.category.value, language=language)
            if kind is OutcomeKind.ANSWER:
                more = candidates(session, reading.more_answers)
                return Outcome(kind, request.id, found[0].fact_check, shown, more_answers=more, **common)
            if kind is OutcomeKind.SUGGEST:
                return Outcome(kind, request.id, None, shown, **common)
            if kind is OutcomeKind.UNMATCHED:
                return Outcome(kind, request.id, **common)
            if request.review_item_id is None:  # a resumed question was counted the first time
                self.review.queue_question(session, request, focus(request.text), media_ref(question, media))
            card = found[0].fact_check if unrated else None
            return Outcome(kind, request.id, card, shown, review_item_id=request.review_item_id, **common)

    def _decide_media(
        self,
        question: Question,
        hashed: str,
        text: str,
        resume_id: int | None,
        finding: MediaFinding,
        language: str,
    ) -> Outcome:
        """Known media answers with its fact-check; else its caption and the text read in it are matched.

        A file that cannot be checked is refused, unless the words sent with it are a claim: that is
        still a question.
        """
        unreadable = finding.note.via == "unreadable"
        if finding.fact_check_id is None and (not unreadable or (text and triage(text).is_claim)):
            return self._decide(
                question, hashed, " ".join(filter(None, (text, finding.text))), resume_id, language, finding
            )
        with session_scope(self.engine) as session:
            card = factchecks.get_card(session, finding.fact_check_id) if finding.fact_check_id else None
            kind = OutcomeKind.ANSWER if card is not None else OutcomeKind.REFUSED
            request = session.get(Request, resume_id) if resume_id is not None else None
            if request is None:
                request = self._new_request(
                    question, hashed, text or media_placeholder(question), kind.value, language
                )
                if not self._store_new(session, request):
                    return Outcome(OutcomeKind.REFUSED, duplicate=True, reason="duplicate")
            request.outcome, request.media_kind, request.media_hashes = (
                kind.value,
                finding.note.kind,
                finding.hashes_hex,
            )
            request.fact_check_id, request.score = (card.id, 1.0) if card is not None else (None, None)
            request.language = language
            session.add(request)
            session.flush()
            if card is None:
                return Outcome(kind, request.id, reason="media", media=finding.note, language=language)
            found = (Candidate(card, 1.0, "", {"media": 1.0}),)
            return Outcome(kind, request.id, card, found, media=finding.note, language=language)

    def _decide_link(
        self,
        question: Question,
        hashed: str,
        text: str,
        resume_id: int | None,
        finding: LinkFinding,
        language: str,
    ) -> Outcome:
        """Store a question that was a link with what the link led to; nothing is queued for review."""
        with session_scope(self.engine) as session:
            if finding.fact_check_id is not None:
                card = factchecks.get_card(session, finding.fact_check_id)
                found = (Candidate(card, 1.0, finding.note.url, {"link": 1.0}),) if card else ()
                kind = OutcomeKind.ANSWER if found else OutcomeKind.REFUSED
            else:
                found = candidates(session, finding.matches)
                kind = OutcomeKind(finding.decision) if found else OutcomeKind.REFUSED
            note = finding.note
            if kind is OutcomeKind.REFUSED and finding.found:  # what it found is no longer published
                note = LinkNote(note.url, "unmatched")
            request = session.get(Request, resume_id) if resume_id is not None else None
            if request is None:
                request = self._new_request(question, hashed, text, kind.value, language)
                if not self._store_new(session, request):
                    return Outcome(OutcomeKind.REFUSED, duplicate=True, reason="duplicate")
            request.outcome = kind.value
            request.score = found[0].score if found else None
            request.fact_check_id = found[0].fact_check.id if kind is OutcomeKind.ANSWER else None
            request.language = language
            session.add(request)
            session.flush()
            if kind is OutcomeKind.ANSWER:
                return Outcome(kind, request.id, found[0].fact_check, found[:3], link=note, language=language)
            if kind is OutcomeKind.SUGGEST:
                return Outcome(kind, request.id, None, found[:3], link=note, language=language)
            return Outcome(kind, request.id, reason="link", link=note, language=language)

    def _match(self, text: str) -> list[Match]:
        return self.matcher.match(text, top_k=5)

    def _consult_external(self, text: str) -> bool:
        """Ask the outside source and store what it returns; True when anything new was stored."""
        if self.external is None:
            return False
        try:
            records = self.external.search(text)
        except Exception:  # noqa: BLE001 - an outside failure must never cost the asker their answer
            log.warning("external fact-check lookup failed", exc_info=True)
            return False
        with Session(self.engine) as session:
            urls = [record.url for record in records]
            query = select(FactCheck.url).where(col(FactCheck.url).in_(urls), FactCheck.origin != "external")
            held_locally = set(session.exec(query).all())
        # Never overwrite a richer local copy (a publisher's page we imported) with the API's thin one.
        records = [record for record in records if record.url not in held_locally]
        if not records:
            return False
        report = self.catalogue.import_records(records)
        return report.added + report.updated > 0

    def evaluate(self, text: str, top_k: int = 5) -> tuple[str, list[Candidate]]:
        """The decision and ranked candidates for a text, storing nothing (batch evaluation)."""
        found = self.search(text, top_k)
        matches = [Match(c.fact_check.id, c.score, c.phrasing, c.signals) for c in found]
        return self.matcher.decide(matches), found

    def search(self, text: str, top_k: int = 5) -> list[Candidate]:
        """Ranked fact-checks for a text, without storing anything (inline queries, moderators)."""
        text = clean_text(text)
        if not text:
            return []
        matches = self.matcher.match(text, top_k=top_k)
        with Session(self.engine) as session:
            return list(candidates(session, matches))

    # ---------------------------------------------------------------- a redelivered event

    def _request_for_event(self, session: Session, question: Question) -> Request | None:
        return session.exec(
            select(Request).where(
                Request.platform == question.asker.platform, Request.event_key == question.event_key
            )
        ).first()

    def _needs_resume(self, request: Request) -> bool:
        """A stored question never answered, old enough that no live worker is still on it."""
        if request.replied_at is not None or request.outcome == THROTTLED:
            return False
        return request.asked_at < utcnow() - timedelta(seconds=self.settings.resume_after_seconds)

    def _replay(self, session: Session, request: Request) -> Outcome:
        card = factchecks.get_card(session, request.fact_check_id) if request.fact_check_id else None
        language = request.language or "en"
        if request.outcome in (None, THROTTLED):
            return Outcome(
                OutcomeKind.REFUSED,
                request.id,
                duplicate=True,
                reason=request.outcome or "duplicate",
                language=language,
            )
        kind = OutcomeKind(request.outcome)
        return Outcome(
            kind, request.id, card, review_item_id=request.review_item_id, duplicate=True, language=language
        )

    def _is_throttled(self, session: Session, question: Question, hashed: str) -> bool:
        """A few questions a minute per asker, and a ceiling per chat (a group can't flood either)."""
        window_start = utcnow() - timedelta(minutes=1)
        recent = (
            select(func.count())
            .select_from(Request)
            .where(
                Request.platform == question.asker.platform,
                col(Request.asked_at) >= window_start,
                # Refused questions don't count, so a throttled asker is let back in after a minute.
                or_(col(Request.outcome).is_(None), col(Request.outcome) != THROTTLED),
            )
        )
        by_asker = session.exec(recent.where(Request.asker_hash == hashed)).one()
        if by_asker >= self.settings.questions_per_minute:
            return True
        if question.chat.is_private:
            return False
        by_chat = session.exec(recent.where(Request.chat_id == question.chat.chat_id)).one()
        return by_chat >= self.settings.chat_questions_per_minute

    # ---------------------------------------------------------------- what the asker does next

    def replied(self, outcome: Outcome, platform: str, chat_id: str, message_id: str) -> None:
        """The platform accepted the reply to a question: mark it, and remember where an answer went."""
        if outcome.request_id is None:
            return
        with session_scope(self.engine) as session:
            request = session.get(Request, outcome.request_id, with_for_update=True)
            if request is not None:
                request.replied_at = utcnow()
                session.add(request)
        if outcome.kind is OutcomeKind.ANSWER and outcome.fact_check is not None:
            self.outbox.record_sent(
                platform, chat_id, message_id, outcome.fact_check, outcome.request_id, outcome.language
            )

    def _own_request(self, session: Session, request_id: int, asker: Asker, action: str) -> Request:
        return own_request(session, self.settings, self.moderation, request_id, asker, action)


def _hints(question: Question) -> tuple[str | None, str | None]:
    """negotiate()'s hint and explicit choice for a question."""
    return question.language_hint, question.language
