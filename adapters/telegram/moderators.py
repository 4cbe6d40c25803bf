"""Telegram handlers for moderators: the review queue, verdicts, approvals, links, revisions, blocks, exports.

Who may do what is the core's decision (`ClaimService` authorizes and audits every call); these
handlers only say who is acting (adapters/telegram/chat.py `actor`) and parse the command.
"""

from __future__ import annotations

import asyncio
import contextlib
import html

from telegram import Chat, Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from adapters.attach import KIND_WORDS, attached_note, attachment_of
from adapters.buttons import ButtonKind
from adapters.telegram.chat import NO_PREVIEW, actor, asker, command_text, say, service_of, settings_of, tr
from adapters.telegram.render import plain, render_draft, render_queue
from bot.domain import MediaAttachment, ServiceError
from bot.exporters import export_file

MODERATOR_HELP = (
    "Moderator commands: /queue, "
    "/verdict &lt;item&gt; &lt;rating&gt; | &lt;summary&gt; | &lt;source URL…&gt;, "
    "/approve &lt;item&gt; [&lt;revision&gt;], /reject &lt;item&gt; &lt;reason&gt;, "
    "/link &lt;item&gt; &lt;fact-check id&gt; "
    "(add media:&lt;kind&gt; [| &lt;what it shows&gt;] to /link or /approve to attach a review item's "
    f"photo or video; kinds: {KIND_WORDS}), "
    "/revise &lt;fact-check id&gt; &lt;rating&gt; | &lt;summary&gt;, "
    "/rate &lt;fact-check id&gt; &lt;verdict&gt; (a fact-check without a rating), "
    "/block &lt;user id&gt; (or reply /block to a question), /export [audit], /feedback, "
    "/factchecks &lt;words&gt; (reply to a review item for Link buttons), "
    "/console (a sign-in link to the web console, in a private chat)"
)


def _int(value: str) -> int | None:
    value = value.strip().lstrip("#")
    return int(value) if value.isdigit() and len(value) <= 18 else None


def _with_attachment(text: str) -> tuple[list[str], MediaAttachment | None]:
    """/link and /approve's words, and the `media:KIND [| what it shows]` that attaches the item's
    photo or video to the fact-check (the CLI's --attach-media): on request only."""
    head, bar, description = text.partition("|")
    words, kind = [], None
    for word in head.split():
        if word.lower() == "media" or word.lower().startswith("media:"):
            kind = word[len("media:") :] or "checked"
        else:
            words.append(word)
    if bar and kind is None:
        raise ServiceError(
            "A description after | goes with media:<kind>, to attach the item's photo or video."
        )
    return words, attachment_of(kind, description)


async def console_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/console: a single-use sign-in link to the web console, sent in a private chat only."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    if chat.type != Chat.PRIVATE:
        # Posted in a group, the link would sign in whoever opened it first.
        await say(update, "Send /console to me in a private chat: a sign-in link is for you alone.")
        return
    moderator = await actor(context, user)
    link = await asyncio.to_thread(service_of(context).issue_console_link, moderator)
    minutes = settings_of(context).console_link_minutes
    url = html.escape(link.url)
    await say(
        update,
        f"Your sign-in link to the moderators' console (it works once, for {minutes} minutes):\n"
        f'<a href="{url}">{url}</a>',
    )


async def queue_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/queue: open review items, most asked first."""
    moderator = await actor(context, update.effective_user)  # type: ignore[arg-type]
    reviews = await asyncio.to_thread(service_of(context).queue, moderator, 20)
    await say(update, render_queue(reviews))


async def verdict_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/verdict <item> <rating> | <summary> | <source URL…>: draft a fact-check for a review item."""
    moderator = await actor(context, update.effective_user)  # type: ignore[arg-type]
    parts = [p.strip() for p in command_text(update.effective_message).split("|")]  # type: ignore[arg-type]
    head = parts[0].split(maxsplit=1)
    item = _int(head[0]) if head else None
    if item is None or len(head) < 2 or len(parts) < 3:
        await say(
            update, "Usage: /verdict &lt;item&gt; &lt;rating&gt; | &lt;summary&gt; | &lt;source URL…&gt;"
        )
        return
    card = await asyncio.to_thread(
        service_of(context).write_verdict, moderator, item, head[1], parts[1], " ".join(parts[2:]).split()
    )
    assert update.effective_message is not None
    # Shown in full: whoever approves approves what this message shows (its button names the revision).
    text, markup = render_draft(item, card, f"Drafted {card.verdict.icon} {card.verdict.value} for #{item}.")
    await update.effective_message.reply_html(text, reply_markup=markup, link_preview_options=NO_PREVIEW)


async def approve_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/approve <item> <revision>: publish that revision of the draft; /approve <item> shows the draft."""
    moderator = await actor(context, update.effective_user)  # type: ignore[arg-type]
    words, attach = _with_attachment(command_text(update.effective_message))  # type: ignore[arg-type]
    args = [_int(a) for a in words]
    if not 1 <= len(args) <= 2 or None in args:
        await say(
            update,
            "Usage: /approve &lt;item&gt; &lt;revision&gt; [media:&lt;kind&gt; [| &lt;what it shows&gt;]] "
            "(/approve &lt;item&gt; shows the draft)",
        )
        return
    item, revision = args[0], args[1] if len(args) > 1 else None
    assert item is not None
    result = await asyncio.to_thread(service_of(context).approve, moderator, item, revision, attach)
    if result.review_again:
        headline = f"Not published yet: {result.waiting_for}."
        text, markup = render_draft(item, result.fact_check, headline)
        assert update.effective_message is not None
        await update.effective_message.reply_html(text, reply_markup=markup, link_preview_options=NO_PREVIEW)
    elif result.published:
        note = (
            f"Published fact-check #{result.fact_check.id}; notifying {result.notified} "
            f"subscriber{'s' if result.notified != 1 else ''}."
        )
        if attach is not None:
            note += "\n" + plain(attached_note(attach, result.fact_check.id, tr(update)))
        await say(update, note)
    else:
        await say(update, f"Not published yet: {plain(result.waiting_for or 'waiting')}.")


async def reject_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reject <item> <reason>: close a review item without a verdict."""
    moderator = await actor(context, update.effective_user)  # type: ignore[arg-type]
    head = command_text(update.effective_message).split(maxsplit=1)  # type: ignore[arg-type]
    item = _int(head[0]) if head else None
    if item is None:
        await say(update, "Usage: /reject &lt;item&gt; &lt;reason&gt;")
        return
    await asyncio.to_thread(service_of(context).reject, moderator, item, head[1] if len(head) > 1 else "")
    await say(update, f"Rejected #{item}.")


async def link_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/link <item> <fact-check id> [media:<kind> [| <what it shows>]]: answer a review item with an
    existing fact-check, attaching its photo or video when asked."""
    moderator = await actor(context, update.effective_user)  # type: ignore[arg-type]
    words, attach = _with_attachment(command_text(update.effective_message))  # type: ignore[arg-type]
    args = [_int(a) for a in words]
    if len(args) != 2 or None in args:
        await say(
            update,
            "Usage: /link &lt;item&gt; &lt;fact-check id&gt; [media:&lt;kind&gt; [| &lt;what it shows&gt;]]; "
            f"kinds: {KIND_WORDS}",
        )
        return
    card = await asyncio.to_thread(service_of(context).link, moderator, args[0], args[1], attach)
    note = f"Linked #{args[0]} to fact-check #{card.id}; subscribers will be notified."
    if attach is not None:
        note += "\n" + plain(attached_note(attach, card.id, tr(update)))
    await say(update, note)


async def revise_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/revise <fact-check id> <rating> | <summary>: revise a fact-check; every sent copy is edited."""
    moderator = await actor(context, update.effective_user)  # type: ignore[arg-type]
    parts = [p.strip() for p in command_text(update.effective_message).split("|", 1)]  # type: ignore[arg-type]
    head = parts[0].split(maxsplit=1)
    fact_check_id = _int(head[0]) if head else None
    if fact_check_id is None:
        await say(update, "Usage: /revise &lt;fact-check id&gt; &lt;rating&gt; | &lt;summary&gt;")
        return
    changes = {}
    if len(head) > 1:
        changes["rating"] = head[1]
    if len(parts) > 1 and parts[1]:
        changes["summary"] = parts[1]
    card = await asyncio.to_thread(service_of(context).revise, moderator, fact_check_id, **changes)
    await say(
        update, f"Fact-check #{card.id} is now at revision {card.revision}; sent answers are being updated."
    )


async def rate_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/rate <fact-check id> <verdict>: give a fact-check without a rating its verdict."""
    moderator = await actor(context, update.effective_user)  # type: ignore[arg-type]
    head = command_text(update.effective_message).split(maxsplit=1)  # type: ignore[arg-type]
    fact_check_id = _int(head[0]) if head else None
    if fact_check_id is None or len(head) < 2:
        await say(update, "Usage: /rate &lt;fact-check id&gt; &lt;verdict&gt;, for example /rate 12 False")
        return
    card = await asyncio.to_thread(service_of(context).rate, moderator, fact_check_id, head[1])
    await say(
        update,
        plain(f"Fact-check #{card.id} is now rated {card.verdict.icon} {card.verdict.value}; ")
        + "sent replies are being updated.",
    )


async def block_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/block <user id>, or /block in reply to someone's question: drop their questions silently."""
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    moderator = await actor(context, update.effective_user)
    target = _int(command_text(message))
    replied = message.reply_to_message
    if target is None and replied is not None and replied.from_user and not replied.from_user.is_bot:
        target = replied.from_user.id
    if target is None:
        await say(update, "Usage: /block &lt;user id&gt;, or reply /block to the person's question.")
        return
    await asyncio.to_thread(service_of(context).block, moderator, asker(target))
    await say(update, "Blocked: their questions are dropped from now on and never reach reviewers.")


async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/export [audit]: ClaimReview JSON-LD of published fact-checks, or the audit log, as a file."""
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None and update.effective_user is not None
    moderator = await actor(context, update.effective_user)
    kind = "audit" if command_text(message).lower().startswith("audit") else "claimreview"
    name, content = await asyncio.to_thread(export_file, service_of(context), moderator, kind)
    if chat.type != Chat.PRIVATE and chat.id != settings_of(context).telegram_moderator_chat:
        await say(update, "Exports are sent in a private chat with me or in the moderators' chat only.")
        return
    await message.reply_document(document=content, filename=name, caption=plain(name))


# ---------------------------------------------------------------------------------- review buttons


async def link_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, ids: tuple[int, ...]) -> None:
    """Link a review item to one of the fact-checks suggested under it."""
    query = update.callback_query
    assert query is not None
    item, fact_check_id = ids
    moderator = await actor(context, query.from_user)
    card = await asyncio.to_thread(service_of(context).link, moderator, item, fact_check_id)
    await _done(update, f"Linked #{item} to fact-check #{card.id} by {query.from_user.full_name}.")


async def approve_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, ids: tuple[int, ...]) -> None:
    """Publish the draft revision the button was shown with."""
    query = update.callback_query
    assert query is not None
    item, revision = ids[0], ids[1] if len(ids) > 1 else None  # buttons posted before approvals named one
    moderator = await actor(context, query.from_user)
    result = await asyncio.to_thread(service_of(context).approve, moderator, item, revision)
    if not result.published:
        await query.answer(f"Not published yet: {result.waiting_for}."[:200], show_alert=True)
        if result.review_again and isinstance(query.message, Message):
            # The draft changed since this button was posted: show what there is to approve now.
            text, markup = render_draft(item, result.fact_check, "Look at the draft again.")
            await query.message.reply_html(text, reply_markup=markup, link_preview_options=NO_PREVIEW)
        return
    await _done(
        update, f"Published #{item} as fact-check #{result.fact_check.id} by {query.from_user.full_name}."
    )


async def reject_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, ids: tuple[int, ...]) -> None:
    """Reject a review item from the moderators' chat."""
    query = update.callback_query
    assert query is not None
    moderator = await actor(context, query.from_user)
    reason = "rejected from the moderators' chat"
    await asyncio.to_thread(service_of(context).reject, moderator, ids[0], reason)
    await _done(update, f"Rejected #{ids[0]} by {query.from_user.full_name}.")


async def _done(update: Update, note: str) -> None:
    """Say in the chat who did what, and take the buttons off the message so nobody presses them again."""
    query = update.callback_query
    assert query is not None
    await query.answer("Done.")
    if isinstance(query.message, Message):
        await query.message.reply_html(plain(note))
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(None)


BUTTONS = {
    ButtonKind.MOD_LINK: link_pressed,
    ButtonKind.MOD_APPROVE: approve_pressed,
    ButtonKind.MOD_REJECT: reject_pressed,
}
