"""End-to-end tests of the Discord adapter: the real discord.py client against a loopback fake Discord."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest

from adapters import discord as adapter
from adapters.discord import interactions
from bot.config import Settings
from bot.domain import Actor, Candidate, Outcome, OutcomeKind, SourceLink
from bot.replies import compose, compose_answer
from bot.service import ClaimService
from tests.factories import fact_check_card
from tests.fakes import PATIENCE, patient
from tests.fakes.discord_api import ADMINISTRATOR, MEMBER, PIN_MESSAGES, FakeDiscord
from tests.test_render_properties import RENDERED

NYC = "did a NYC cop arrest an ICE agent"
UNKNOWN = "the town council secretly sold the river to a bottled water company"
CALLBACK = r"/interactions/\d+/[^/]+/callback"


@dataclass
class Harness:
    fake: FakeDiscord
    service: ClaimService
    settings: Settings
    task: asyncio.Task[None]

    async def interact(self, payload: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
        """Dispatch an interaction and return the body of its successful callback."""
        interaction_id = await self.fake.interact(payload)
        call = await self.fake.wait_response(interaction_id, timeout)
        return call.json

    def message(self, interaction_id: str) -> dict[str, Any]:
        """The message an interaction's callback created."""
        call = next(c for c in self.fake.callbacks(interaction_id) if c.status == 200)
        return self.fake.messages[call.response["resource"]["message"]["id"]]


def make_settings(tmp_path: Path, fake: FakeDiscord, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "CLAIMBOT_DATABASE_URL": f"sqlite:///{tmp_path}/t.db",
        "CLAIMBOT_ASKER_SALT": "test-salt",
        "DISCORD_TOKEN": "x",
        "DISCORD_API_BASE_URL": fake.base_url,
        "DISCORD_REVIEW_CHANNEL": int(fake.review_channel_id),
        # Issue 14: the tests written before "ask before queueing" keep automatic queueing.
        "CLAIMBOT_AUTO_QUEUE": True,
    }
    values.update(extra)
    return Settings(_env_file=None, **values)


@contextlib.asynccontextmanager
async def running(tmp_path: Path, **extra: Any) -> AsyncIterator[Harness]:
    fake = await FakeDiscord().start()
    settings = make_settings(tmp_path, fake, **extra)
    service = await asyncio.to_thread(ClaimService.open, settings)
    task = asyncio.create_task(adapter.serve(service, settings, outbox_interval=0.1, state_dir=tmp_path))
    try:
        await asyncio.wait_for(fake.ready.wait(), patient(10))
        yield Harness(fake, service, settings, task)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await fake.close()
        service.engine.dispose()


@pytest.fixture
async def bot(tmp_path: Path, database_url: str) -> AsyncIterator[Harness]:
    async with running(tmp_path, CLAIMBOT_DATABASE_URL=database_url) as harness:
        yield harness


async def eventually(func: Any, *args: Any, timeout: float = PATIENCE) -> Any:
    """Poll a synchronous service call until it returns something truthy (work done after a callback)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await asyncio.to_thread(func, *args)
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.02)


def embed_text(embed: dict[str, Any]) -> str:
    parts = [embed.get("title", ""), embed.get("description", ""), embed.get("footer", {}).get("text", "")]
    for f in embed.get("fields", []):
        parts += [f["name"], f["value"]]
    return "\n".join(parts)


def custom_ids(components: list[dict[str, Any]]) -> list[str]:
    found = []
    for row in components:
        for item in row.get("components", []):
            if "custom_id" in item:
                found.append(item["custom_id"])
    return found


# ---------------------------------------------------------------------- rendering


def test_render_embed_respects_limits_and_escapes(bot_free_card: Any) -> None:
    card = bot_free_card(summary="@everyone **bold** " + "x" * 9000, claim="<@123> claim " * 50)
    embed, view = adapter.render_embed(compose_answer(card, "d" * 3000, request_id=7), can_pin=True)
    data = embed.to_dict()
    assert len(embed) <= 6000 and len(data["title"]) <= 256 and len(data["description"]) <= 4096
    assert "@everyone" not in data["description"] and "\\*\\*bold" in data["description"]
    assert len(data.get("fields", [])) <= 3
    assert view is not None
    assert all(len(i.custom_id) <= 100 for i in view.children if getattr(i, "custom_id", None))
    assert {"cb:n:7", "cb:s:7", "cb:pin"} <= {getattr(i, "custom_id", None) for i in view.children}


def test_escape_leaves_no_channel_command_or_timestamp_syntax() -> None:
    """Stored text never renders as a channel or slash-command link, a timestamp, an emoji or a mention."""
    for syntax in (
        "<#123456789012345678>",
        "</check:123456789012345678>",
        "</review approve:123456789012345678>",
        "<t:1767225600:R>",
        "<:blob:123456789012345678>",
        "<a:blob:123456789012345678>",
        "<id:customize>",
        "<@123456789012345678>",
        "<@!123456789012345678>",
        "<@&123456789012345678>",
        "<@1>",
    ):
        text = f"see {syntax} now"
        escaped = adapter.escape(text)
        assert not RENDERED.search(escaped), escaped
        assert escaped.replace("\u200b", "") == text, "the text itself is all there"
    escaped = adapter.escape("@everyone **bold** <https://e.org/a_b> and https://e.org/c_d")
    assert "@everyone" not in escaped and "\\*\\*bold\\*\\*" in escaped
    assert "https://e.org/c_d" in escaped and "<https://e.org/a_b>" in escaped, "links stay links"


@pytest.fixture
def bot_free_card() -> Any:
    def make(**changes: Any) -> Any:
        sources = tuple(SourceLink(f"Outlet {i}", f"https://e.org/{i}", i) for i in range(1, 6))
        return fact_check_card(**({"claim": "c", "title": "t", "summary": "s", "sources": sources} | changes))

    return make


def test_render_suggestions_as_select(bot_free_card: Any) -> None:
    cards = [bot_free_card(id=i, claim=f"claim {i}") for i in (3, 4)]
    reply = compose(Outcome(OutcomeKind.SUGGEST, 9, None, tuple(Candidate(c, 0.5) for c in cards)), "d")
    _, view = adapter.render_embed(reply)
    assert view is not None
    select = next(i for i in view.children if isinstance(i, discord.ui.Select))
    assert select.custom_id == "cb:c:9" and [o.value for o in select.options] == ["3", "4"]


# ---------------------------------------------------------------------- members


async def test_check_answers_with_embed(bot: Harness) -> None:
    fake = bot.fake
    assert fake.find("PUT", r"/applications/\d+/commands"), "commands synced on first start"
    body = await bot.interact(fake.slash("check", {"question": NYC}))
    assert body["type"] == 4
    data = body["data"]
    embed = data["embeds"][0]
    text = embed_text(embed)
    assert "False" in embed["title"] and "February 2, 2026" in text and "AFP" in text
    assert embed["footer"]["text"] == bot.settings.disclaimer
    assert data["allowed_mentions"] == {"parse": []}
    ids = custom_ids(data["components"])
    assert any(i.startswith("cb:n:") for i in ids) and any(i.startswith("cb:s:") for i in ids)
    # The answer is remembered for later edits.
    message_id = next(c for c in fake.calls if c.matches("POST", CALLBACK)).response["resource"]["message"][
        "id"
    ]
    assert await eventually(bot.service.sent_reply, "discord", fake.general_id, message_id)


async def test_repeated_interaction_is_handled_once(bot: Harness) -> None:
    fake = bot.fake
    payload = fake.slash("check", {"question": NYC})
    await bot.interact(payload)
    await fake.dispatch("INTERACTION_CREATE", payload)
    await asyncio.sleep(0.3)
    assert len(fake.callbacks(payload["id"])) == 1


async def test_suggestion_choice_edits_message_into_answer(bot: Harness) -> None:
    fake = bot.fake
    payload = fake.slash("check", {"question": "vaccines"})
    body = await bot.interact(payload)
    ids = custom_ids(body["data"]["components"])
    select_id = next(i for i in ids if i.startswith("cb:c:"))
    message = bot.message(payload["id"])
    options = body["data"]["components"][0]["components"][0]["options"]
    choice = fake.select(
        select_id, [options[0]["value"]], message=message, user_id=payload["member"]["user"]["id"]
    )
    update = await bot.interact(choice)
    assert update["type"] == 7
    assert "Vaccines" in embed_text(update["data"]["embeds"][0]) or "vaccines" in embed_text(
        update["data"]["embeds"][0]
    )
    sent = await eventually(bot.service.sent_reply, "discord", fake.general_id, message["id"])
    assert sent is not None and sent.fact_check_id == int(options[0]["value"])
    # Someone else cannot pick for the asker.
    other = await bot.interact(fake.select(select_id, [options[0]["value"]], message=message))
    assert other["data"]["flags"] & 64 and "Only the person who asked" in other["data"]["content"]


async def test_unknown_claim_is_queued_ephemerally_and_review_channel_told(bot: Harness) -> None:
    fake = bot.fake
    body = await bot.interact(fake.slash("check", {"question": UNKNOWN}))
    assert body["data"]["flags"] & 64, "queued confirmation is ephemeral"
    assert any(i.startswith("cb:s:") for i in custom_ids(body["data"]["components"]))
    post = await fake.wait_call("POST", rf"/channels/{fake.review_channel_id}/messages")
    assert UNKNOWN[:30] in embed_text(post.json["embeds"][0])
    assert any(i.startswith("cb:mr:") for i in custom_ids(post.json["components"]))


async def test_not_what_i_asked_and_notify_me(bot: Harness) -> None:
    fake = bot.fake
    asker = fake.snowflake()
    payload = fake.slash("check", {"question": NYC}, user_id=asker)
    body = await bot.interact(payload)
    ids = custom_ids(body["data"]["components"])
    message = bot.message(payload["id"])
    not_it = next(i for i in ids if i.startswith("cb:n:"))
    queued = await bot.interact(fake.button(not_it, message=message, user_id=asker))
    assert queued["data"]["flags"] & 64 and "reviewers" in queued["data"]["embeds"][0]["title"]
    notify = next(i for i in ids if i.startswith("cb:s:"))
    # Another member sending the same custom_id (request ids are sequential) is refused and audited.
    stranger = fake.snowflake()
    forged = await bot.interact(fake.button(notify, message=message, user_id=stranger))
    assert forged["data"]["flags"] & 64 and "Only the person who asked" in forged["data"]["content"]
    log = await asyncio.to_thread(bot.service.audit_log)
    assert any(e.actor == f"discord:{stranger}" and e.action == "subscribe" and not e.allowed for e in log)
    sub = await bot.interact(fake.button(notify, message=message, user_id=asker))
    assert sub["data"]["flags"] & 64 and "message you" in sub["data"]["content"]


async def test_context_menu_checks_another_members_message(bot: Harness) -> None:
    fake = bot.fake
    target = fake.message(fake.general_id, content=NYC + "??", author=fake.user(fake.snowflake(), "poster"))
    body = await bot.interact(fake.context_menu("Fact-check this", target))
    assert body["type"] == 4 and "False" in body["data"]["embeds"][0]["title"]


async def test_forged_and_malformed_buttons_are_refused_politely(bot: Harness) -> None:
    fake = bot.fake
    for custom_id in ("cb:zz:1", "cb:n:999999", "cb:c:1:" + "9" * 40):
        body = await bot.interact(fake.button(custom_id))
        assert body["data"]["flags"] & 64 and body["data"]["content"]


async def test_malformed_event_is_skipped_and_bot_keeps_running(bot: Harness) -> None:
    fake = bot.fake
    await fake.dispatch("INTERACTION_CREATE", {"type": 2, "data": {"name": "check"}})  # no id, no token
    await fake.dispatch("MESSAGE_CREATE", {"id": "not-a-snowflake"})
    await fake.dispatch("SOMETHING_NEW", {"x": 1})
    body = await bot.interact(fake.slash("check", {"question": NYC}))
    assert "False" in body["data"]["embeds"][0]["title"]
    assert not bot.task.done()


async def test_slow_work_is_deferred_then_followed_up(bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = bot.fake
    monkeypatch.setattr(interactions, "DEFER_AFTER", 0.0)
    payload = fake.slash("check", {"question": NYC})
    body = await bot.interact(payload)
    assert body["type"] == 5, "deferred (thinking) first"
    followup = await fake.wait_call("POST", rf"/webhooks/\d+/{payload['token']}")
    assert "February 2, 2026" in embed_text(followup.json["embeds"][0])
    message_id = fake.interactions[payload["token"]]["original"]
    assert await eventually(bot.service.sent_reply, "discord", fake.general_id, message_id)


async def test_429_then_success(bot: Harness) -> None:
    fake = bot.fake
    fake.fail("POST", CALLBACK, 429, retry_after=0.05)
    payload = fake.slash("check", {"question": NYC})
    await bot.interact(payload)
    statuses = [c.status for c in fake.callbacks(payload["id"])]
    assert statuses == [429, 200]


# ---------------------------------------------------------------------- pins


async def _answer(bot: Harness, **who: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    payload = bot.fake.slash("check", {"question": NYC}, **who)
    body = await bot.interact(payload)
    message = bot.message(payload["id"])
    # The answer is recorded right after Discord returns its message id.
    assert await eventually(bot.service.sent_reply, "discord", message["channel_id"], message["id"])
    return body, message


async def test_pin_with_permission(bot: Harness) -> None:
    fake = bot.fake
    body, message = await _answer(bot, permissions=MEMBER | PIN_MESSAGES)
    assert "cb:pin" in custom_ids(body["data"]["components"])
    press = fake.button("cb:pin", message=message, permissions=MEMBER | PIN_MESSAGES)
    deferral = await bot.interact(press)
    assert deferral["type"] == 5 and deferral["data"]["flags"] & 64
    await fake.wait_call("PUT", rf"/channels/{fake.general_id}/messages/pins/{message['id']}")
    done = await fake.wait_call("POST", rf"/webhooks/\d+/{press['token']}")
    assert "Pinned" in done.json["content"]
    sent = await asyncio.to_thread(bot.service.sent_reply, "discord", fake.general_id, message["id"])
    assert sent is not None and sent.pinned


async def test_pin_without_permission_is_refused_and_audited(bot: Harness) -> None:
    fake = bot.fake
    body, message = await _answer(bot)
    assert "cb:pin" not in custom_ids(body["data"]["components"]), "no Pin button for members who cannot pin"
    refused = await bot.interact(fake.button("cb:pin", message=message))
    assert refused["data"]["flags"] & 64
    # The bot itself lacking PIN_MESSAGES: refused without calling Discord.
    refused = await bot.interact(
        fake.button("cb:pin", message=message, permissions=MEMBER | PIN_MESSAGES, app_permissions=MEMBER)
    )
    assert "Pin Messages" in refused["data"]["content"]
    assert not fake.find("PUT", r"/channels/\d+/messages/pins/\d+")
    log = await asyncio.to_thread(bot.service.audit_log)
    assert any(e.action == "pin" and not e.allowed for e in log)


async def test_pin_in_another_server_needs_only_the_pin_permission(bot: Harness) -> None:
    """Pinning is a member's own right in their channel, in any server; no moderator rights needed there."""
    fake = bot.fake
    pinner = {"permissions": MEMBER | PIN_MESSAGES, "channel_id": fake.foreign_channel_id}
    _, message = await _answer(bot, **pinner)
    await bot.interact(fake.button("cb:pin", message=message, **pinner))
    await fake.wait_call("PUT", rf"/channels/{fake.foreign_channel_id}/messages/pins/{message['id']}")


# ---------------------------------------------------------------------- moderators


def moderator(fake: FakeDiscord) -> dict[str, Any]:
    """Who-arguments for a member holding the configured moderator role (no special permissions)."""
    return {"roles": [fake.moderator_role_id], "user_id": fake.moderator_id}


async def test_moderator_flow_notifies_subscriber_and_edits_pinned_answer(bot: Harness) -> None:
    fake = bot.fake
    # A member's question nobody has checked: queued; they ask to be notified (DMs closed: channel fallback).
    asker = fake.snowflake()
    fake.closed_dms.add(asker)
    payload = fake.slash("check", {"question": UNKNOWN}, user_id=asker)
    body = await bot.interact(payload)
    notify = next(i for i in custom_ids(body["data"]["components"]) if i.startswith("cb:s:"))
    await bot.interact(fake.button(notify, message=bot.message(payload["id"]), user_id=asker))
    review_post = await fake.wait_call("POST", rf"/channels/{fake.review_channel_id}/messages")
    item = int(review_post.json["embeds"][0]["title"].rsplit("#", 1)[1])

    # A pinned answer elsewhere in the channel.
    pinner = MEMBER | PIN_MESSAGES
    _, pinned = await _answer(bot, permissions=pinner)
    await bot.interact(fake.button("cb:pin", message=pinned, permissions=pinner))
    await fake.wait_call("PUT", rf"/channels/{fake.general_id}/messages/pins/{pinned['id']}")

    mod = moderator(fake)
    queue = await bot.interact(fake.slash("review", subcommand="queue", **mod))
    assert f"#{item}" in queue["data"]["content"]
    draft = await bot.interact(
        fake.slash(
            "review",
            {
                "item": item,
                "rating": "False",
                "summary": "The council sold nothing; the river is public land.",
                "sources": "https://example.org/council-minutes",
            },
            subcommand="verdict",
            **mod,
        )
    )
    assert "Draft saved" in draft["data"]["content"]
    approve = {"item": item, "revision": 1}
    approved = await bot.interact(fake.slash("review", approve, subcommand="approve", **mod))
    assert "1 subscriber" in approved["data"]["content"]

    # DM refused with 403 once, then the notification lands in the channel of the question.
    delivered = await fake.wait_call("POST", rf"/channels/{fake.general_id}/messages", timeout=5)
    dm_channel = fake.dm_channels[asker]
    assert [c.status for c in fake.find("POST", rf"/channels/{dm_channel}/messages")] == [403]
    assert "council" in embed_text(delivered.json["embeds"][0]).lower()
    assert delivered.json["allowed_mentions"] == {"parse": []}
    assert len(fake.find("POST", rf"/channels/{dm_channel}/messages")) == 1, "no retry storm on 403"

    # A moderator revises the pinned fact-check: the pinned answer is edited in place.
    sent = await eventually(bot.service.sent_reply, "discord", fake.general_id, pinned["id"])
    assert sent is not None and sent.pinned
    revised = await bot.interact(
        fake.slash(
            "review",
            {"fact_check": sent.fact_check_id, "summary": "Still false: the video was generated."},
            subcommand="revise",
            **mod,
        )
    )
    assert "revision" in revised["data"]["content"]
    edit = await fake.wait_call("PATCH", rf"/channels/{fake.general_id}/messages/{pinned['id']}")
    assert "generated" in embed_text(edit.json["embeds"][0]) and "Updated" in embed_text(
        edit.json["embeds"][0]
    )

    log = await asyncio.to_thread(bot.service.audit_log)
    assert {("verdict", True), ("approve", True), ("revise", True), ("pin", True)} <= {
        (e.action, e.allowed) for e in log
    }


async def test_approve_is_bound_to_the_draft_the_moderator_saw(bot: Harness) -> None:
    fake, mod = bot.fake, moderator(bot.fake)
    await bot.interact(fake.slash("check", {"question": UNKNOWN}))
    review_post = await fake.wait_call("POST", rf"/channels/{fake.review_channel_id}/messages")
    item = int(review_post.json["embeds"][0]["title"].rsplit("#", 1)[1])

    def verdict(summary: str) -> dict[str, Any]:
        options = {"item": item, "rating": "False", "summary": summary, "sources": "https://e.org/r"}
        return fake.slash("review", options, subcommand="verdict", **mod)

    await bot.interact(verdict("The river was never sold."))
    # /review approve without a revision shows the draft with an Approve button for what is shown.
    look = await bot.interact(fake.slash("review", {"item": item}, subcommand="approve", **mod))
    assert look["data"]["flags"] & 64
    assert "The river was never sold." in str(look["data"])
    assert custom_ids(look["data"]["components"]) == [f"cb:ma:{item}:1"]
    assert (await asyncio.to_thread(bot.service.review_for_delivery, item)).status == "drafted"
    # The draft is rewritten after that look: the button shown must not publish the new text.
    await bot.interact(verdict("A company bought the river in 2024."))
    review = {"channel_id": fake.review_channel_id}
    stale = await bot.interact(fake.button(f"cb:ma:{item}:1", **mod, **review))
    assert "changed since you saw it" in str(stale["data"]) and "A company bought" in str(stale["data"])
    assert custom_ids(stale["data"]["components"]) == [f"cb:ma:{item}:2"]
    assert (await asyncio.to_thread(bot.service.review_for_delivery, item)).status == "drafted"
    done = await bot.interact(fake.button(f"cb:ma:{item}:2", **mod, **review))
    assert "Published" in done["data"]["content"]
    published = await asyncio.to_thread(bot.service.review_for_delivery, item)
    assert published.status == "answered" and published.fact_check.summary.startswith("A company bought")


async def test_non_moderator_is_refused_and_audited(bot: Harness) -> None:
    fake = bot.fake
    await bot.interact(fake.slash("check", {"question": UNKNOWN}))
    refused = await bot.interact(fake.slash("review", {"item": 1}, subcommand="approve"))
    assert refused["data"]["flags"] & 64 and "moderators" in refused["data"]["content"]
    button = await bot.interact(fake.button("cb:mr:1", channel_id=fake.review_channel_id))
    assert "moderators" in button["data"]["content"]
    # A server administrator without the role or a grant is an ordinary member, here too.
    admin = fake.snowflake()
    button = await bot.interact(
        fake.button(
            "cb:mr:1", channel_id=fake.review_channel_id, permissions=MEMBER | ADMINISTRATOR, user_id=admin
        )
    )
    assert "moderators" in button["data"]["content"]
    refusals = [(e.action, e.actor) for e in await asyncio.to_thread(bot.service.audit_log) if not e.allowed]
    assert refusals[0] == ("reject", f"discord:{admin}")
    assert [action for action, _ in refusals] == ["reject", "reject", "approve"]
    # An explicit grant (`claimbot moderators add`) works in the community's server without the role.
    granted = fake.snowflake()
    await asyncio.to_thread(bot.service.add_moderator, Actor("cli", "operator"), "discord", granted)
    ok = await bot.interact(fake.button("cb:mr:1", channel_id=fake.review_channel_id, user_id=granted))
    assert "rejected" in ok["data"]["content"]


@pytest.mark.parametrize("listing", ["DISCORD_MODERATOR_GUILDS", "DISCORD_GUILDS"])
async def test_moderators_only_in_the_listed_servers(tmp_path: Path, database_url: str, listing: str) -> None:
    """DISCORD_MODERATOR_GUILDS (else DISCORD_GUILDS) names the community's servers; the role counts there
    and nowhere else."""
    fake = await FakeDiscord().start()
    settings = make_settings(
        tmp_path, fake, **{listing: fake.foreign_guild_id}, CLAIMBOT_DATABASE_URL=database_url
    )
    service = await asyncio.to_thread(ClaimService.open, settings)
    task = asyncio.create_task(adapter.serve(service, settings, outbox_interval=0.1, state_dir=tmp_path))
    try:
        await asyncio.wait_for(fake.ready.wait(), patient(10))
        listed = {"channel_id": fake.foreign_channel_id, "roles": [fake.foreign_moderator_role_id]}
        call = await fake.wait_response(
            await fake.interact(fake.slash("review", subcommand="queue", **listed))
        )
        assert "review queue is empty" in call.json["data"]["content"]
        # The review channel's server is not listed: its role holders are ordinary members.
        call = await fake.wait_response(
            await fake.interact(fake.slash("review", subcommand="queue", **moderator(fake)))
        )
        assert "only this community's moderators" in call.json["data"]["content"]
        log = await asyncio.to_thread(service.audit_log)
        assert [(e.actor, e.action, e.allowed) for e in log] == [
            (f"discord:{fake.moderator_id}", "queue", False)
        ]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await fake.close()
        service.engine.dispose()


async def test_sync_skipped_for_same_application(tmp_path: Path, database_url: str) -> None:
    fake = await FakeDiscord().start()
    settings = make_settings(tmp_path, fake, CLAIMBOT_DATABASE_URL=database_url)
    service = await asyncio.to_thread(ClaimService.open, settings)
    try:
        for expected in (1, 1):
            task = asyncio.create_task(
                adapter.serve(service, settings, outbox_interval=0.1, state_dir=tmp_path)
            )
            fake.ready.clear()
            await asyncio.wait_for(fake.ready.wait(), patient(10))
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            assert len(fake.find("PUT", r"/applications/\d+/commands")) == expected
    finally:
        await fake.close()
        service.engine.dispose()


async def test_guild_sync_and_guild_command_dispatch(tmp_path: Path, database_url: str) -> None:
    fake = await FakeDiscord().start()
    settings = make_settings(tmp_path, fake, DISCORD_GUILDS=fake.guild_id, CLAIMBOT_DATABASE_URL=database_url)
    service = await asyncio.to_thread(ClaimService.open, settings)
    task = asyncio.create_task(adapter.serve(service, settings, outbox_interval=0.1, state_dir=tmp_path))
    try:
        await asyncio.wait_for(fake.ready.wait(), patient(10))
        put = fake.find("PUT", rf"/applications/\d+/guilds/{fake.guild_id}/commands")
        names = {c["name"] for c in put[0].json} if put else set()
        assert names == {"check", "Fact-check this", "review", "forget", "console"}  # issue 17: /console
        for name in ("review", "console"):  # moderators' commands: in servers only, hidden by default
            command = next(c for c in put[0].json if c["name"] == name)
            assert int(command["default_member_permissions"]) == 1 << 13 and command["dm_permission"] is False
        payload = fake.slash("check", {"question": NYC})
        assert payload["data"]["guild_id"] == fake.guild_id
        call = await fake.wait_response(await fake.interact(payload))
        assert "False" in call.json["data"]["embeds"][0]["title"]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await fake.close()
        service.engine.dispose()


# ------------------------------------------- issue 14: was this helpful? the full report in chat


async def test_votes_reasons_and_full_report(bot: Harness) -> None:
    from bot.importers import read_records

    fake = bot.fake
    asker, stranger = fake.snowflake(), fake.snowflake()
    payload = fake.slash("check", {"question": NYC}, user_id=asker)
    body = await bot.interact(payload)
    ids = custom_ids(body["data"]["components"])
    message = bot.message(payload["id"])
    down = next(i for i in ids if i.startswith("cb:v:") and i.endswith(":2"))
    forged = await bot.interact(fake.button(down, message=message, user_id=stranger))  # someone else's answer
    assert forged["data"]["flags"] & 64 and "Only the person who asked" in forged["data"]["content"]
    why = await bot.interact(fake.button(down, message=message, user_id=asker))
    assert why["data"]["flags"] & 64 and "What was wrong" in why["data"]["content"]
    reasons = custom_ids(why["data"]["components"])
    assert [r.rsplit(":", 1)[1] for r in reasons] == ["1", "2", "3"]
    thanks = await bot.interact(fake.button(reasons[0], message=message, user_id=asker))
    assert "won't give that answer" in thanks["data"]["content"]
    report = next(i for i in ids if i.startswith("cb:r:"))
    page = await bot.interact(fake.button(report, message=message, user_id=asker))
    assert page["data"]["flags"] & 64 and page["data"]["embeds"][0]["title"].startswith("Full report (1/1)")
    out_of_range = await bot.interact(fake.button(report.rsplit(":", 1)[0] + ":99", message=message))
    assert "doesn't exist" in out_of_range["data"]["content"]
    await asyncio.to_thread(
        bot.service.import_records,
        list(read_records(Path(__file__).parent / "data/importers/seed_report.txt")),
    )
    seed = max(card.id for card in bot.service.published())
    last = await bot.interact(fake.button(f"cb:r:{seed}:2", message=message, user_id=asker))
    embed = last["data"]["embeds"][0]
    assert embed["title"].startswith("Full report (2/2)") and len(embed_text(embed)) <= 6000
    questions = [i for i in custom_ids(last["data"]["components"]) if i.startswith("cb:fu:")]
    assert len(questions) == 3
    asked = await bot.interact(fake.button(questions[0], message=message, user_id=stranger))
    assert asked["data"].get("embeds")  # the follow-up question was asked, as the presser


# ------------------------------------------------------------------------------ languages (issue 14)


async def test_replies_follow_the_members_locale_and_the_questions(bot: Harness) -> None:
    from bot import i18n

    await asyncio.to_thread(i18n.warm_up)  # the detector's first load is not what this test waits on
    fake = bot.fake
    payload = fake.slash("check", {"question": "hmm??"})
    payload["locale"] = "pt-BR"
    body = await bot.interact(payload)  # too short to tell, and no claim: chit-chat in the member's language
    chat = body["data"]["embeds"][0]
    assert chat["title"].startswith("Eu confiro alegações com base em checagens publicadas")
    assert "Um policial de Nova York prendeu um agente do ICE?" in embed_text(chat)
    question = "Est-ce que les extraterrestres ont ouvert une boulangerie à Paris hier soir ?"
    payload = fake.slash("check", {"question": question})
    payload["locale"] = "pt-BR"
    body = await bot.interact(payload)  # the text wins
    assert body["data"]["embeds"][0]["title"].startswith("Je n’ai pas encore de vérification")
    payload = fake.slash("forget")
    payload["locale"] = "de"
    body = await bot.interact(payload)
    assert body["data"]["content"].startswith("Erledigt: Ich habe")
    payload = fake.slash("check", {"question": NYC})
    payload["locale"] = "ja"  # no catalog; an English question: English
    embed = (await bot.interact(payload))["data"]["embeds"][0]
    assert "False" in embed["title"] and "February 2, 2026" in embed_text(embed)
