"""The terminal adapter: a conversation with the bot in a shell, behaving like a private chat.

Two threads share the screen. The conversation reads a line, asks the core and prints the reply; a
follower delivers the terminal's notifications from the outbox (a verdict it promised after "notify",
an answer edited after a revision) while the conversation waits for input, printing them above the
prompt, and keeps the match index in step with fact-checks other processes import or publish.

Words are commands only where they mean something: after each reply the chat lists the follow-ups
that reply offers (a number when suggestions are shown, "notify" after an answer or a queued question,
"not it" after an answer or suggestions). Anything else is a question. A new kind of reply adds its
follow-ups in `follow_ups_for`.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from adapters.terminal_answers import AnswerCommands
from bot.delivery import SentMessage, deliver_once
from bot.domain import Asker, ChatRef, Outcome, OutcomeKind, Question
from bot.domain.errors import ServiceError
from bot.domain.review import ReviewSummary
from bot.i18n import N_, Translator, environment_language, negotiate, translator
from bot.replies import DECLINED_TEXT, TERMINAL_PROMPT, Reply, compose, render_text
from bot.service import ClaimService

log = logging.getLogger(__name__)
PLATFORM = "terminal"

HELP = N_(
    "Ask me whether a claim is true, for example: did a NYC cop arrest an ICE agent?\n"
    "I answer from published fact-checks; what I can't answer I offer to send to human reviewers.\n"
    "After a reply I say what you can type next (a number picks a suggestion, 'notify' asks for "
    "the verdict, 'not it' sends it to reviewers); anything else is a new question. 'quit' leaves."
)
QUIT_WORDS = ("quit", "exit", "/quit")
HELP_WORDS = ("help", "/help", "/start")
NOTIFY_WORDS = ("notify", "notify me")
NOT_IT_WORDS = ("not it", "not what i asked", "none", "none of these")
# English, and the catalogs' languages' yes / no (the hint shows 'y' or 'n' with the word translated).
YES_NO = (
    {"y": True, "yes": True, "n": False, "no": False, "no thanks": False}
    | {word: True for word in ("sí", "si", "oui", "sim", "ja")}
    | {word: False for word in ("non", "não", "nao", "nein")}
)
EDITED = N_("Update to an earlier answer:")


@dataclass(frozen=True)
class FollowUp:
    """Something the last reply lets the person type next: which inputs it takes and what they do."""

    hint: str  # a msgid shown under the reply: "'notify' to hear when there is news"
    accepts: Callable[[str], bool]  # given the input lowercased
    run: Callable[[str], None]  # given the input as typed
    count: int = 0  # fills the hint's {count}


class TerminalChat:
    def __init__(
        self,
        service: ClaimService,
        stdin: TextIO,
        stdout: TextIO,
        user: str | None = None,
        *,
        follow: bool = True,
        language: str | None = None,
    ) -> None:
        self.service = service
        self.stdin = stdin
        self.stdout = stdout
        self.asker = Asker(PLATFORM, user or getpass.getuser())
        self.chat = ChatRef(PLATFORM, PLATFORM)
        self.last: Outcome | None = None
        self.follow_ups: tuple[FollowUp, ...] = ()
        self.answers = AnswerCommands(service, self.asker, self.say)  # rate, full report, follow-ups
        self._screen = threading.Lock()
        self._prompting = False  # the prompt is on screen and the person is typing after it
        self._follower = Follower(service, self) if follow else None

        # `claimbot chat --lang` fixes the language; otherwise each question's own, else the terminal's.
        self.chosen = language
        self.hint = environment_language()
        self.language = negotiate("", self.hint, language)

    @property
    def t(self) -> Translator:
        return translator(self.language)

    # ---------------------------------------------------------------- the screen

    def say(self, text: str) -> None:
        with self._screen:
            print(text, file=self.stdout, flush=True)

    def notice(self, text: str) -> None:
        """Something that arrived while the person may be typing: printed above a fresh prompt."""
        with self._screen:
            if self._prompting:
                # On a terminal, clear the prompt line first; elsewhere (a pipe) start a new line.
                self.stdout.write("\r\x1b[K" if _is_tty(self.stdout) else "\n")
            print(text, file=self.stdout)
            if self._prompting:
                self.stdout.write("> ")
            self.stdout.flush()

    def _prompt(self) -> None:
        with self._screen:
            self.stdout.write("> ")
            self.stdout.flush()
            self._prompting = True

    # ---------------------------------------------------------------- the conversation

    def run(self) -> None:
        self.say(self.t(HELP))
        if self._follower is not None:
            self._follower.start()
        try:
            while True:
                self._prompt()
                line = self.stdin.readline()
                with self._screen:
                    self._prompting = False
                if not line or not self.handle(line.strip()):
                    return
        finally:
            if self._follower is not None:
                self._follower.stop()

    def handle(self, line: str) -> bool:
        """One turn of the conversation; False ends it."""
        command = line.lower()
        if command in QUIT_WORDS:
            return False
        if command in HELP_WORDS:
            self.say(self.t(HELP))
            return True
        if not command:
            return True
        try:
            taken = self.answers.handle(command)
            follow_up = next((f for f in self.follow_ups if f.accepts(command)), None)
            if isinstance(taken, str):  # a follow-up question of the full report
                self.ask(taken)
            elif taken:
                pass
            elif follow_up is not None:
                follow_up.run(line)
            else:
                self.ask(line)
        except ServiceError as exc:
            self.say(self.t(str(exc)))
        return True

    def ask(self, text: str) -> None:
        # Fact-checks imported or published elsewhere since the last look answer this question already.
        self.service.refresh_index()
        question = Question(text, self.asker, self.chat, language_hint=self.hint, language=self.chosen)
        self.show(self.service.ask(question))

    def show(self, outcome: Outcome) -> None:
        self.last = outcome
        self.language = outcome.language  # the conversation goes on in the language of the last question
        self.follow_ups = follow_ups_for(self, outcome)
        self.say(render_text(compose(outcome, self.service.settings.disclaimer)))
        self.answers.shown(outcome)
        if outcome.request_id is not None:
            # Where the answer "landed", so a revision prints an update here (and the outbox edits it).
            self.service.replied(outcome, PLATFORM, self.chat.chat_id, f"request-{outcome.request_id}")
        if outcome.kind is OutcomeKind.UNMATCHED:
            self.say(self.t(TERMINAL_PROMPT))
        elif self.follow_ups:
            hints = ", ".join(self.t(f.hint, count=f.count) for f in self.follow_ups)
            self.say(self.t("Type {hints}; anything else is a new question.", hints=hints))

    # ---------------------------------------------------------------- follow-ups

    def confirm(self, typed: str) -> None:
        """The y/n answer to "send it to our fact-checkers?" (the buttons of a chat)."""
        assert self.last is not None and self.last.request_id is not None
        if YES_NO[typed.strip().lower()]:
            self.show(self.service.send_to_review(self.last.request_id, self.asker))
        else:
            self.service.decline(self.last.request_id, self.asker)
            self.last, self.follow_ups = None, ()
            self.say(self.t(DECLINED_TEXT))

    def pick(self, typed: str) -> None:
        assert self.last is not None and self.last.request_id is not None
        candidates = self.last.candidates
        number = int(typed)
        if not 1 <= number <= len(candidates):
            self.say(self.t("Pick a number from 1 to {count}.", count=len(candidates)))
            return
        choice = candidates[number - 1].fact_check
        self.show(self.service.choose(self.last.request_id, choice.id, self.asker))

    def notify(self, typed: str) -> None:
        assert self.last is not None and self.last.request_id is not None
        if self.service.subscribe(self.asker, self.chat.chat_id, self.last.request_id):
            self.say(
                self.t("I'll tell you here when reviewers publish a verdict or this fact-check changes.")
            )
        else:
            self.say(self.t("You're already on the list: I'll tell you here when there is news."))

    def not_it(self, typed: str) -> None:
        assert self.last is not None and self.last.request_id is not None
        self.show(self.service.not_what_i_asked(self.last.request_id, self.asker))


def follow_ups_for(chat: TerminalChat, outcome: Outcome) -> tuple[FollowUp, ...]:
    """What the person may type after this reply, besides a new question."""
    if outcome.request_id is None:
        return ()
    shown = len(compose(outcome, "").choices)
    pick = FollowUp(
        N_("a number from 1 to {count} to pick one"),
        lambda typed: typed.isdigit() and len(typed) <= 3,
        chat.pick,
        count=shown,
    )
    notify = FollowUp(
        N_("'notify' to hear when there is news"), lambda typed: typed in NOTIFY_WORDS, chat.notify
    )
    not_it = FollowUp(
        N_("'not it' to send your question to reviewers"), lambda t: t in NOT_IT_WORDS, chat.not_it
    )
    if outcome.kind is OutcomeKind.SUGGEST and shown:
        return (pick, not_it)
    if outcome.kind is OutcomeKind.ANSWER:
        return (notify, not_it)
    if outcome.kind is OutcomeKind.QUEUED:
        return (notify,)
    if outcome.kind is OutcomeKind.UNMATCHED:
        return (FollowUp(N_("'y' or 'n'"), lambda typed: typed in YES_NO, chat.confirm),)
    return ()


class TerminalMessenger:
    """The outbound port (bot.delivery.Messenger) for the terminal: prints above the prompt."""

    platform = PLATFORM

    def __init__(self, chat: TerminalChat) -> None:
        self.chat = chat

    async def send(self, target: str, reply: Reply) -> SentMessage | None:
        self.chat.notice(render_text(reply))
        # A made-up id, recorded like a platform's, so a later revision of this answer is shown too.
        return SentMessage(target, f"notice-{uuid.uuid4().hex[:16]}")

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        # A terminal cannot change what it printed: the new version goes below, marked as an update.
        self.chat.notice(f"{translator(reply.language)(EDITED)}\n{render_text(reply)}")

    async def send_review(self, target: str, review: ReviewSummary) -> None:
        self.chat.notice(f"New question for review #{review.id}: {review.text}")


class Follower:
    """A background thread: delivers the terminal's notifications and refreshes the match index."""

    def __init__(self, service: ClaimService, chat: TerminalChat) -> None:
        self.service = service
        self.messenger = TerminalMessenger(chat)
        self.interval = service.settings.outbox_interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="claimbot-terminal-follower", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                asyncio.run(deliver_once(self.service, self.messenger))
                self.service.refresh_index()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the conversation
                log.warning("terminal: delivering notifications failed; retrying", exc_info=True)
            self._stop.wait(self.interval)


def _is_tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
