"""Workers for the kill -9 tests: each prints what it has committed, line by line, flushed."""

from __future__ import annotations

import asyncio
import os
import sys

from bot.config import Settings
from bot.delivery import SentMessage, deliver_once
from bot.domain import Asker, ChatRef, Question, ReviewSummary
from bot.replies import Reply
from bot.service import ClaimService


def burst(service: ClaimService, count: int) -> None:
    """Ask many questions; a line is printed only after ask() has returned (committed)."""
    for n in range(count):
        outcome = service.ask(
            Question(
                f"did the town of Millbrook ban dogs in parks {n % 7}",
                Asker("telegram", f"user{n}"),
                ChatRef("telegram", f"chat{n}"),
                event_key=f"burst-{n}",
            )
        )
        print(f"asked {outcome.request_id} {outcome.kind.value} {outcome.review_item_id}", flush=True)


class RecordingMessenger:
    """Delivers by appending to a file (fsync'd), so the test sees what reached 'the platform'."""

    platform = "telegram"

    def __init__(self, path: str) -> None:
        self.path = path

    async def send(self, target: str, reply: Reply) -> SentMessage | None:
        with open(self.path, "a") as sent:
            sent.write(f"{target} {reply.fact_check_id}\n")
            sent.flush()
            os.fsync(sent.fileno())
        await asyncio.sleep(0.01)
        return None

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        await self.send(f"{chat_id}:{message_id}", reply)

    async def send_review(self, target: str, review: ReviewSummary) -> None:
        await self.send(target, Reply(kind="review", headline=review.text))


async def deliver(service: ClaimService, path: str) -> None:
    messenger = RecordingMessenger(path)
    while await deliver_once(service, messenger, limit=5) or service.outbox_backlog():
        await asyncio.sleep(0.05)


def main() -> None:
    mode, database_url = sys.argv[1], sys.argv[2]
    settings = Settings(
        _env_file=None,
        CLAIMBOT_DATABASE_URL=database_url,
        CLAIMBOT_ASKER_SALT="test-salt",
        CLAIMBOT_QUESTIONS_PER_MINUTE=100_000,
        CLAIMBOT_CHAT_QUESTIONS_PER_MINUTE=100_000,
        CLAIMBOT_OUTBOX_LEASE_SECONDS=1,
        CLAIMBOT_AUTO_QUEUE=True,  # issue 14: written before "ask before queueing"
    )
    service = ClaimService.open(settings)
    print("ready", flush=True)
    if mode == "burst":
        burst(service, int(sys.argv[3]))
    elif mode == "deliver":
        asyncio.run(deliver(service, sys.argv[3]))
        print("drained", flush=True)


if __name__ == "__main__":
    main()
