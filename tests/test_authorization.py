"""Every moderator action on every path, tried by people who are not this community's moderators.

One table: action (link, verdict, approve, reject, revise, pin, block, export) × path (Telegram
command, Telegram button, Discord command, Discord button, CLI with `--as`) × intruder (an ordinary
member, a moderator registered for another community, someone forging button data or item ids). On
the Discord paths two more intruders act from a foreign server the bot was invited to: that server's
administrator, and this community's own granted moderator; both hold a role there named like
DISCORD_MODERATOR_ROLE, and neither is a moderator outside the community's servers. Each attempt
must be refused politely, leave an audit row (allowed = false, the intruder as actor, the action by
name) and change nothing. Paths that do not offer an action (there is no Telegram block button, no
Discord pin command, no CLI pin or revise) are not in the table, nor is a foreign administrator
pinning an answer in their own server: they have the pin permission there, which is all pinning needs.

Both adapters run through their real libraries against the loopback fakes, on one service and one
event loop for the whole module; the CLI runs in-process on the same database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio
from sqlmodel import Session, col, func, select

from bot import cli
from bot.domain import Actor, Asker, ChatRef, Question
from bot.service import ClaimService
from store.db import session_scope
from store.models import AuditLog, BlockedAsker, FactCheck, Moderator, ReviewItem, utcnow
from tests.adapter_harness import both_settings, discord_bot, discord_reply, telegram_bot, with_user_option
from tests.fakes import eventually
from tests.fakes.discord_api import ADMINISTRATOR, MANAGE_MESSAGES, MEMBER, PIN_MESSAGES, FakeDiscord
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_telegram import GROUP, MOD_CHAT, MODERATOR, NYC

pytestmark = pytest.mark.asyncio(loop_scope="module")

SECOND_MODERATOR = 43
TG_PLAIN, TG_OTHER, TG_FORGER = 555, 556, 557
REFUSED = "only this community's moderators"
ACTIONS = ("link", "verdict", "approve", "reject", "revise", "pin", "block", "export")
PATHS = ("telegram_command", "telegram_button", "discord_command", "discord_button", "cli")
INTRUDERS = ("non_moderator", "other_community", "forged")
# Discord only: in the foreign server, its administrator and this community's granted moderator.
FOREIGN = ("foreign_admin", "foreign_moderator")
FOREIGN_ADMIN = MEMBER | ADMINISTRATOR | MANAGE_MESSAGES | PIN_MESSAGES  # Discord resolves admins to all
# What each path offers: the table is every (path, action) pair that exists.
OFFERED = {
    "telegram_command": {"link", "verdict", "approve", "reject", "revise", "pin", "block", "export"},
    "telegram_button": {"link", "approve", "reject"},
    "discord_command": {"link", "verdict", "approve", "reject", "revise", "block", "export"},
    "discord_button": {"link", "approve", "reject", "pin"},
    "cli": {"link", "verdict", "approve", "reject", "block", "export"},
}
TABLE = [
    pytest.param(path, action, intruder, id=f"{path}-{action}-{intruder}")
    for path in PATHS
    for action in ACTIONS
    if action in OFFERED[path]
    for intruder in INTRUDERS + (FOREIGN if path.startswith("discord") else ())
    if (action, intruder) != ("pin", "foreign_admin")
]


@dataclass
class World:
    tg: FakeTelegramAPI
    dc: FakeDiscord
    service: ClaimService
    db_url: str
    item: int  # open review item of this community
    draft: int  # review item with a drafted verdict (by the operator)
    other_item: int  # a review item of another community
    fact_check: int
    tg_answer: int  # message id of a bot answer in GROUP (pinnable)
    dc_answer: dict[str, Any]  # a bot answer message in the Discord general channel
    dc_foreign_answer: dict[str, Any]  # a bot answer message in the foreign server's channel
    dc_users: dict[str, str] = field(default_factory=dict)
    tg_users: dict[str, int] = field(default_factory=dict)

    def audit_mark(self) -> int:
        with Session(self.service.engine) as session:
            return session.exec(select(func.max(AuditLog.id))).one() or 0

    def audits_since(self, mark: int) -> list[AuditLog]:
        with Session(self.service.engine) as session:
            query = select(AuditLog).where(col(AuditLog.id) > mark).order_by(col(AuditLog.id))
            return list(session.exec(query).all())

    def state(self) -> dict[str, Any]:
        """Everything an intruder could have changed."""
        with Session(self.service.engine) as session:
            items = {
                i.id: (i.status, i.draft_fact_check_id, i.fact_check_id)
                for i in session.exec(select(ReviewItem)).all()
            }
            blocked = session.exec(select(func.count()).select_from(BlockedAsker)).one()
            revisions = {f.id: f.revision for f in session.exec(select(FactCheck)).all()}
        return {
            "items": items,
            "revisions": revisions,
            "blocked": blocked,
            "tg_pins": self.tg.pinned(GROUP),
            "tg_documents": len(self.tg.calls_to("sendDocument")),
            "dc_pins": sorted(self.dc.pins),
            "dc_files": sum(1 for c in self.dc.calls if isinstance(c.json, dict) and c.json.get("_files")),
        }


async def _dc_answer(dc: FakeDiscord, channel_id: str) -> dict[str, Any]:
    """A bot answer posted in a Discord channel, by /check."""
    payload = dc.slash("check", {"question": NYC}, channel_id=channel_id)
    await discord_reply(dc, payload)
    call = next(c for c in dc.callbacks(payload["id"]) if c.status == 200)
    return dc.messages[call.response["resource"]["message"]["id"]]


def _ask(service: ClaimService, text: str) -> int:
    outcome = service.ask(Question(text, Asker("cli", "operator"), ChatRef("cli", "terminal")))
    assert outcome.review_item_id is not None, outcome
    return outcome.review_item_id


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    tmp = tmp_path_factory.mktemp("authz")
    async with FakeTelegramAPI(max_poll_wait=0.3) as tg:
        dc = await FakeDiscord().start()
        tg.add_chat(MOD_CHAT, "supergroup", "Moderators")
        tg.add_chat(GROUP, "supergroup", "Town square")
        settings = both_settings(
            tmp,
            tg,
            dc,
            TELEGRAM_MODERATORS=f"{MODERATOR},{SECOND_MODERATOR}",
            CLAIMBOT_REQUIRE_SECOND_APPROVAL=True,
            CLAIMBOT_QUESTIONS_PER_MINUTE=1000,
            CLAIMBOT_CHAT_QUESTIONS_PER_MINUTE=1000,
        )
        service = await asyncio.to_thread(ClaimService.open, settings)
        operator = Actor("cli", "operator")
        item = await asyncio.to_thread(_ask, service, "the lighthouse keeper was elected mayor of atlantis")
        draft = await asyncio.to_thread(_ask, service, "penguins were granted voting rights in the arctic")
        await asyncio.to_thread(
            service.write_verdict, operator, draft, "False", "No such law exists.", ["https://example.org/p"]
        )
        with session_scope(service.engine) as session:
            other = ReviewItem(
                community="other", text="a claim of another community", first_asked_at=utcnow()
            )
            session.add(other)
            session.flush()
            other_item = other.id
            dc_other, dc_foreign_moderator = dc.snowflake(), dc.snowflake()
            session.add(Moderator(platform="telegram", user_id=str(TG_OTHER), community="other"))
            session.add(Moderator(platform="discord", user_id=dc_other, community="other"))
            # This community's own moderator, by explicit grant: refused only in the foreign server.
            session.add(
                Moderator(platform="discord", user_id=dc_foreign_moderator, community=settings.community)
            )
        assert other_item is not None
        try:
            async with telegram_bot(service, rate_limiter=False), discord_bot(dc, service, tmp):
                tg.group_message(GROUP, 1001, "/check " + NYC)
                answer = await tg.wait_for("sendMessage", lambda p: "February 2, 2026" in str(p.get("text")))
                tg_answer = answer.result["message_id"]
                dc_answer = await _dc_answer(dc, dc.general_id)
                dc_foreign_answer = await _dc_answer(dc, dc.foreign_channel_id)
                await eventually(
                    lambda: (
                        bool(service.sent_reply("telegram", str(GROUP), str(tg_answer)))
                        and all(
                            service.sent_reply("discord", a["channel_id"], a["id"])
                            for a in (dc_answer, dc_foreign_answer)
                        )
                    ),
                    "the answers recorded as sent (pinnable)",
                )
                yield World(
                    tg,
                    dc,
                    service,
                    settings.database_url,
                    item,
                    draft,
                    other_item,
                    fact_check=1,
                    tg_answer=tg_answer,
                    dc_answer=dc_answer,
                    dc_foreign_answer=dc_foreign_answer,
                    dc_users={
                        "non_moderator": dc.snowflake(),
                        "other_community": dc_other,
                        "forged": dc.snowflake(),
                        "foreign_admin": dc.foreign_owner_id,
                        "foreign_moderator": dc_foreign_moderator,
                    },
                    tg_users={"non_moderator": TG_PLAIN, "other_community": TG_OTHER, "forged": TG_FORGER},
                )
        finally:
            await dc.close()
            service.engine.dispose()


# ---------------------------------------------------------------------------------------------- paths


def _target(world: World, action: str, intruder: str) -> int:
    """The review item an action aims at: forgers aim at another community's item."""
    if intruder == "forged":
        return world.other_item
    return world.draft if action == "approve" else world.item


def _fact_check(world: World, intruder: str) -> int:
    """The fact-check a revision aims at: forgers aim at one that does not exist."""
    return 999999 if intruder == "forged" else world.fact_check


async def _telegram_command(world: World, action: str, intruder: str) -> tuple[str, str]:
    user, tg = world.tg_users[intruder], world.tg
    item = _target(world, action, intruder)
    mark = len(tg.calls)
    if action == "pin":
        # Forgers reply /pin to someone's message instead of a bot answer; the others to the bot's answer.
        target = world.tg_answer
        if intruder == "forged":
            tg.group_message(GROUP, 1001, "just chatting")
            target = tg.chats[GROUP].next_message_id - 1
        tg.group_message(GROUP, user, "/pin", reply_to=target)
        call = await tg.wait_for("sendMessage", lambda p: int(p["chat_id"]) == GROUP, since=mark)
        return call.params["text"], "pin"
    text = {
        "link": f"/link {item} {world.fact_check}",
        "verdict": f"/verdict {item} False | Made up. | https://example.org/x",
        "approve": f"/approve {item}",
        "reject": f"/reject {item} spam",
        "revise": f"/revise {_fact_check(world, intruder)} False | Made up.",
        "block": f"/block {MODERATOR if intruder == 'forged' else 1001}",
        "export": "/export audit" if intruder != "non_moderator" else "/export",
    }[action]
    tg.private_message(user, text)
    call = await tg.wait_for("sendMessage", lambda p: int(p["chat_id"]) == user, since=mark)
    return call.params["text"], action


async def _telegram_button(world: World, action: str, intruder: str) -> tuple[str, str]:
    user, tg = world.tg_users[intruder], world.tg
    forged = {
        "link": f"ml:{world.item}:999999",  # valid-looking, a fact-check that does not exist
        "reject": "mr:abc",  # garbled
        "approve": f"ma:{world.other_item}",  # valid-looking id of another community's item
    }
    honest = {
        "link": f"ml:{world.item}:{world.fact_check}",
        "reject": f"mr:{world.item}",
        "approve": f"ma:{world.draft}:1",
    }
    data = forged[action] if intruder == "forged" else honest[action]
    tg.group_message(MOD_CHAT, MODERATOR, "a message with buttons")
    message_id = tg.chats[MOD_CHAT].next_message_id - 1
    mark = len(tg.calls)
    tg.callback(user, MOD_CHAT, message_id, data)
    call = await tg.wait_for("answerCallbackQuery", since=mark)
    return call.params.get("text", ""), action


def _dc_who(world: World, intruder: str, **extra: Any) -> dict[str, Any]:
    who = {"user_id": world.dc_users[intruder], "permissions": MEMBER, **extra}
    if intruder in FOREIGN:  # typed or pressed in the foreign server, holding its look-alike role
        who.update(channel_id=world.dc.foreign_channel_id, roles=[world.dc.foreign_moderator_role_id])
        if intruder == "foreign_admin":
            who["permissions"] = FOREIGN_ADMIN
    return who


async def _discord_command(world: World, action: str, intruder: str) -> tuple[str, str]:
    dc, item = world.dc, _target(world, action, intruder)
    who = _dc_who(world, intruder)
    options: dict[str, Any] = {
        "link": {"item": item, "fact_check": world.fact_check},
        "verdict": {"item": item, "rating": "False", "summary": "Made up.", "sources": "https://e.org/x"},
        "approve": {"item": item},
        "reject": {"item": item, "reason": "spam"},
        "revise": {"fact_check": _fact_check(world, intruder), "rating": "False", "summary": "Made up."},
        "block": {},
        "export": {"format": "audit" if intruder != "non_moderator" else "claimreview"},
    }[action]
    payload = dc.slash("review", options, subcommand=action, **who)
    if action == "block":
        victim = dc.user(dc.moderator_id if intruder == "forged" else dc.snowflake(), "victim")
        with_user_option(payload, "user", victim)
    body = await discord_reply(dc, payload)
    assert body["data"]["flags"] & 64, "refusals are ephemeral"
    return body["data"].get("content", ""), action


async def _discord_button(world: World, action: str, intruder: str) -> tuple[str, str]:
    dc = world.dc
    forged = {
        "link": f"cb:ml:{world.item}:999999",
        "reject": "cb:mr:abc",
        "approve": f"cb:ma:{world.other_item}",
        "pin": "cb:pin:1",
    }
    honest = {
        "link": f"cb:ml:{world.item}:{world.fact_check}",
        "reject": f"cb:mr:{world.item}",
        "approve": f"cb:ma:{world.draft}:1",
        "pin": "cb:pin",
    }
    custom_id = forged[action] if intruder == "forged" else honest[action]
    if action == "pin":
        answer = world.dc_foreign_answer if intruder in FOREIGN else world.dc_answer
        payload = dc.button(custom_id, message=answer, **_dc_who(world, intruder))
    else:
        payload = dc.button(custom_id, **_dc_who(world, intruder, channel_id=dc.review_channel_id))
    body = await discord_reply(dc, payload)
    assert body["data"]["flags"] & 64, "refusals are ephemeral"
    return body["data"].get("content", ""), action


async def _cli(
    world: World, action: str, intruder: str, capsys: pytest.CaptureFixture[str]
) -> tuple[str, str]:
    identity = {
        "non_moderator": f"telegram:{TG_PLAIN}",
        "other_community": f"telegram:{TG_OTHER}",
        "forged": f"discord:{world.dc_users['forged']}",
    }[intruder]
    item = _target(world, action, intruder)
    argv = {
        "link": ["review", "link", str(item), str(world.fact_check)],
        "verdict": [
            "review",
            "verdict",
            str(item),
            "--rating",
            "False",
            "--summary",
            "x",
            "--source",
            "https://e.org",
        ],
        "approve": ["review", "approve", str(item)],
        "reject": ["review", "reject", str(item), "--reason", "spam"],
        "block": [
            "block",
            "--platform",
            "telegram",
            "--user",
            str(MODERATOR if intruder == "forged" else 1001),
        ],
        "export": ["export", "--format", "audit" if intruder != "non_moderator" else "claimreview"],
    }[action]
    capsys.readouterr()
    status = await asyncio.to_thread(cli.main, [*argv, "--db", world.db_url, "--as", identity])
    captured = capsys.readouterr()
    assert status == cli.EXIT_USAGE, (status, captured.out[-500:], captured.err[-500:])
    assert not captured.out.strip(), "nothing exported or printed on refusal"
    return captured.err, action


# ---------------------------------------------------------------------------------------------- the table


def _label(world: World, path: str, intruder: str) -> str:
    if path.startswith("discord") or (path == "cli" and intruder == "forged"):
        return f"discord:{world.dc_users[intruder]}"
    return f"telegram:{world.tg_users[intruder]}"


@pytest.mark.parametrize(("path", "action", "intruder"), TABLE)
async def test_moderator_action_refused_and_audited(
    world: World, path: str, action: str, intruder: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before, mark = await asyncio.to_thread(world.state), await asyncio.to_thread(world.audit_mark)
    if path == "cli":
        text, audited_as = await _cli(world, action, intruder, capsys)
    else:
        attempt = {
            "telegram_command": _telegram_command,
            "telegram_button": _telegram_button,
            "discord_command": _discord_command,
            "discord_button": _discord_button,
        }[path]
        text, audited_as = await attempt(world, action, intruder)

    # Refused politely: a sentence for the person, no traceback, no internals.
    assert text and "Traceback" not in text and "Error" not in text
    assert any(
        s in text for s in (REFUSED, "no longer works", "not valid any more", "only this group's admins")
    ), text
    # Audited: the intruder, by name, with the action they tried, not allowed.
    audits = await asyncio.to_thread(world.audits_since, mark)
    refusals = [(a.actor, a.action) for a in audits if not a.allowed]
    assert (_label(world, path, intruder), audited_as) in refusals, [
        (a.actor, a.action, a.allowed, a.detail) for a in audits
    ]
    assert all(not a.allowed for a in audits), "an intruder's attempt succeeded somewhere"
    # Nothing changed.
    await asyncio.sleep(0.05)
    assert await asyncio.to_thread(world.state) == before


async def test_garbage_button_data_is_refused_and_audited(world: World) -> None:
    """Bytes no button of ours carries, on both platforms: a polite answer and an audit row."""
    tg, dc = world.tg, world.dc
    mark = await asyncio.to_thread(world.audit_mark)
    tg.group_message(MOD_CHAT, MODERATOR, "buttons")
    message_id = tg.chats[MOD_CHAT].next_message_id - 1
    for data in ("\x00\xff\ufffd garbage", "ml:1:2:3';--", "x" * 64):
        since = len(tg.calls)
        tg.callback(TG_FORGER, MOD_CHAT, message_id, data)
        answer = await tg.wait_for("answerCallbackQuery", since=since)
        assert "no longer works" in answer.params["text"]
    for custom_id in ("cb:\x00\xff", "cb:ml:" + "9" * 99, "cb:ma:1;drop"):
        body = await discord_reply(dc, dc.button(custom_id, **_dc_who(world, "forged")))
        assert body["data"]["flags"] & 64 and "not valid" in body["data"]["content"]
    audits = await asyncio.to_thread(world.audits_since, mark)
    assert len([a for a in audits if not a.allowed]) == 6
    assert {a.action for a in audits} >= {"button", "link", "approve"}


# ---------------------------------------------------------------------------------------- two moderators


async def test_two_moderator_approval_on_telegram_cannot_be_one_person_twice(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tg, service = world.tg, world.service
    item = await asyncio.to_thread(_ask, service, "the moon was sold to a shipping company in 2025")
    mark = len(tg.calls)
    tg.group_message(
        MOD_CHAT, MODERATOR, f"/verdict {item} False | Nobody owns the moon. | https://e.org/moon"
    )
    drafted = await tg.wait_for("sendMessage", lambda p: "Drafted" in str(p.get("text")), since=mark)
    (approve,) = [
        b["callback_data"] for row in drafted.params["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert approve == f"ma:{item}:1"

    # The author approves by command, then by the button: both refused.
    tg.group_message(MOD_CHAT, MODERATOR, f"/approve {item}")
    await tg.wait_for("sendMessage", lambda p: "Not published yet" in str(p.get("text")), since=mark)
    since = len(tg.calls)
    tg.callback(MODERATOR, MOD_CHAT, drafted.result["message_id"], approve)
    alert = await tg.wait_for("answerCallbackQuery", since=since)
    assert "Not published yet" in alert.params["text"] and alert.params.get("show_alert") is True
    # ... and as the same Telegram identity from the CLI.
    # (The CLI reads its settings from the environment, like a worker of the same deployment.)
    monkeypatch.setenv("TELEGRAM_MODERATORS", f"{MODERATOR},{SECOND_MODERATOR}")
    monkeypatch.setenv("CLAIMBOT_REQUIRE_SECOND_APPROVAL", "true")
    capsys.readouterr()
    argv = ["review", "approve", str(item), "--db", world.db_url, "--as", f"telegram:{MODERATOR}"]
    assert await asyncio.to_thread(cli.main, argv) == 0
    assert "Not published yet" in capsys.readouterr().out
    assert (await asyncio.to_thread(service.review_for_delivery, item)).status == "drafted"

    # A second moderator's press publishes it.
    since = len(tg.calls)
    tg.callback(SECOND_MODERATOR, MOD_CHAT, drafted.result["message_id"], approve)
    await tg.wait_for("sendMessage", lambda p: "Published" in str(p.get("text")), since=since)
    assert (await asyncio.to_thread(service.review_for_delivery, item)).status == "answered"
    refusals = [
        a for a in await asyncio.to_thread(service.audit_log, 50) if a.action == "approve" and not a.allowed
    ]
    assert sum(a.actor == f"telegram:{MODERATOR}" for a in refusals) >= 3


async def test_two_moderator_approval_on_discord_cannot_be_one_person_twice(world: World) -> None:
    dc, service = world.dc, world.service
    item = await asyncio.to_thread(_ask, service, "a volcano erupted under the city library last night")
    author = {"user_id": dc.moderator_id, "roles": [dc.moderator_role_id]}
    second = {"user_id": dc.snowflake(), "roles": [dc.moderator_role_id]}
    verdict = {"item": item, "rating": "False", "summary": "No eruption.", "sources": "https://e.org/v"}
    body = await discord_reply(dc, dc.slash("review", verdict, subcommand="verdict", **author))
    assert "Draft saved" in body["data"]["content"]
    body = await discord_reply(dc, dc.slash("review", {"item": item}, subcommand="approve", **author))
    assert "Not published yet" in body["data"]["content"]
    review = {"channel_id": dc.review_channel_id}
    body = await discord_reply(dc, dc.button(f"cb:ma:{item}:1", **author, **review))
    assert "Not published yet" in body["data"]["content"]
    assert (await asyncio.to_thread(service.review_for_delivery, item)).status == "drafted"
    body = await discord_reply(dc, dc.button(f"cb:ma:{item}:1", **second, **review))
    assert "Published" in body["data"]["content"]
    assert (await asyncio.to_thread(service.review_for_delivery, item)).status == "answered"


async def test_cli_refuses_to_act_as_the_operator_or_nobody(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    for identity in ("cli:root", "telegram:", "nonsense"):
        argv = ["review", "approve", str(world.draft), "--db", world.db_url, "--as", identity]
        assert await asyncio.to_thread(cli.main, argv) == cli.EXIT_USAGE
        assert "--as wants PLATFORM:USER_ID" in capsys.readouterr().err


# ------------------------------------------------------------------------- the new paths, for moderators


async def test_moderators_block_and_export_on_telegram(world: World) -> None:
    tg, service = world.tg, world.service
    spammer = 4242
    mark = len(tg.calls)
    tg.group_message(GROUP, spammer, "/check the zeppelin fleet of the local bakery was grounded")
    question = tg.chats[GROUP].next_message_id - 1
    await tg.wait_for("sendMessage", lambda p: int(p["chat_id"]) == GROUP, since=mark)
    mark = len(tg.calls)
    tg.group_message(GROUP, MODERATOR, "/block", reply_to=question)  # reply /block to their question
    await tg.wait_for("sendMessage", lambda p: "Blocked" in str(p.get("text")), since=mark)
    before = await asyncio.to_thread(service.open_review_count)
    mark = len(tg.calls)
    tg.group_message(GROUP, spammer, "/check the mayor is secretly three raccoons in a coat")
    tg.private_message(1001, "/check " + NYC)  # a later question, answered: the blocked one was handled
    await tg.wait_for("sendMessage", lambda p: int(p["chat_id"]) == 1001, since=mark)
    to_group = [c for c in tg.calls[mark:] if c.method == "sendMessage" and int(c.params["chat_id"]) == GROUP]
    assert to_group == [], "a blocked person's question gets no answer at all"
    assert await asyncio.to_thread(service.open_review_count) == before, "never shown to reviewers"

    mark = len(tg.calls)
    tg.private_message(MODERATOR, "/export")
    document = await tg.wait_for("sendDocument", since=mark, ok=True)
    assert document.params["document"]["filename"].endswith(".jsonld")
    assert b'"ClaimReview"' in document.params["document"]["content"]
    tg.private_message(MODERATOR, "/export audit")
    audit = await tg.wait_for("sendDocument", since=document.index + 1, ok=True)
    lines = audit.params["document"]["content"].decode().splitlines()
    assert any('"action": "block"' in line and f"telegram:{MODERATOR}" in line for line in lines)
    tg.group_message(GROUP, MODERATOR, "/export audit")  # never into a public group
    await tg.wait_for("sendMessage", lambda p: "Exports are sent" in str(p.get("text")), since=mark)
    assert len(tg.calls_to("sendDocument")) == 2


async def test_moderators_block_and_export_and_members_forget_on_discord(world: World) -> None:
    dc, service = world.dc, world.service
    mod = {"user_id": dc.moderator_id, "roles": [dc.moderator_role_id]}
    spammer = dc.user(dc.snowflake(), "spammer")
    payload = with_user_option(dc.slash("review", {}, subcommand="block", **mod), "user", spammer)
    assert "Blocked" in (await discord_reply(dc, payload))["data"]["content"]
    before = await asyncio.to_thread(service.open_review_count)
    question = dc.slash("check", {"question": "the bridge is made of cheese"}, user_id=spammer["id"])
    body = await discord_reply(dc, question)
    assert body["data"]["flags"] & 64  # the blocked member sees only an ephemeral line, nobody else
    assert await asyncio.to_thread(service.open_review_count) == before

    for fmt, marker in (("claimreview", b'"ClaimReview"'), ("audit", b'"action": "block"')):
        body = await discord_reply(dc, dc.slash("review", {"format": fmt}, subcommand="export", **mod))
        assert body["data"]["flags"] & 64, "exports are ephemeral"
        (content,) = body["_files"].values() if "_files" in body else body["data"]["_files"].values()
        assert marker in content

    member = dc.snowflake()
    await discord_reply(dc, dc.slash("check", {"question": NYC}, user_id=member))
    body = await discord_reply(dc, dc.slash("forget", user_id=member))
    assert "deleted 1 stored record" in body["data"]["content"] and body["data"]["flags"] & 64
