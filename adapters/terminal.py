"""The terminal adapter: a conversation with the bot in a shell, behaving like a private chat."""

from __future__ import annotations

import getpass
from typing import TextIO

from adapters.terminal_answers import AnswerCommands
from bot.domain import Asker, ChatRef, Outcome, OutcomeKind, Question
from bot.domain.errors import ServiceError
from bot.replies import compose, render_text
from bot.service import ClaimService

HELP = (
    "Ask me whether a claim is true, for example: did a NYC cop arrest an ICE agent?\n"
    "I answer from published fact-checks; what I can't answer goes to human reviewers.\n"
    "Commands: a number picks a suggestion, 'notify' asks for the verdict, 'not it' sends it "
    "to reviewers, 'quit' leaves."
)


class TerminalChat:
    def __init__(self, service: ClaimService, stdin: TextIO, stdout: TextIO, user: str | None = None) -> None:
        self.service = service
        self.stdin = stdin
        self.stdout = stdout
        self.asker = Asker("terminal", user or getpass.getuser())
        self.chat = ChatRef("terminal", "terminal")
        self.last: Outcome | None = None
        self.answers = AnswerCommands(service, self.asker, self.say)  # rate, full report, follow-ups

    def say(self, text: str) -> None:
        print(text, file=self.stdout, flush=True)

    def run(self) -> None:
        self.say(HELP)
        while True:
            self.stdout.write("> ")
            self.stdout.flush()
            line = self.stdin.readline()
            if not line:
                return
            if not self.handle(line.strip()):
                return

    def handle(self, line: str) -> bool:
        """One turn of the conversation; False ends it."""
        command = line.lower()
        if command in ("quit", "exit", "/quit"):
            return False
        if command in ("help", "/help", "/start"):
            self.say(HELP)
            return True
        try:
            taken = self.answers.handle(command)
            if isinstance(taken, str):
                self.show(self.service.ask(Question(taken, self.asker, self.chat)))
            elif taken:
                pass
            elif command.isdigit() and self.last and self.last.kind is OutcomeKind.SUGGEST:
                self.pick(int(command))
            elif command in ("notify", "notify me") and self.last and self.last.request_id:
                self.service.subscribe(self.asker, self.chat.chat_id, self.last.request_id)
                self.say("I'll tell you here when reviewers publish a verdict or this fact-check changes.")
            elif command in ("not it", "not what i asked", "none") and self.last and self.last.request_id:
                self.show(self.service.not_what_i_asked(self.last.request_id, self.asker))
            elif command:
                self.show(self.service.ask(Question(line, self.asker, self.chat)))
        except ServiceError as exc:
            self.say(str(exc))
        return True

    def pick(self, number: int) -> None:
        assert self.last is not None and self.last.request_id is not None
        candidates = self.last.candidates
        if not 1 <= number <= len(candidates):
            self.say(f"Pick a number from 1 to {len(candidates)}.")
            return
        choice = candidates[number - 1].fact_check
        self.show(self.service.choose(self.last.request_id, choice.id, self.asker))

    def show(self, outcome: Outcome) -> None:
        self.last = outcome
        self.say(render_text(compose(outcome, self.service.settings.disclaimer)))
        self.answers.shown(outcome)
        if outcome.kind is OutcomeKind.SUGGEST:
            self.say("Type a number to pick one, or 'not it' to send your question to reviewers.")
