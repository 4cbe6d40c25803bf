"""Sign-in to the moderators' web console through the chat platforms.

A moderator asks for a link in chat (`/console`) or an operator prints one (`claimbot console-link
--as PLATFORM:USER_ID`); the link signs its holder in as that platform identity, once, for a few
minutes. Only the SHA-256 of the token is stored: the token has 256 random bits, so a fast hash is
enough (nobody can guess their way back from it), and a leaked table signs nobody in.

A link is issued only to someone `authorize` accepts, and signing in authorizes again, so a moderator
removed in between is refused; both refusals are audited like any other moderator action.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from sqlalchemy import Engine, update
from sqlmodel import col, delete, select

from bot.config import Settings
from bot.domain import Actor, ConsoleLink, NotAllowed, ServiceError
from bot.usecases.moderation import Moderation, record_audit
from store.db import session_scope
from store.models import ConsoleLink as ConsoleLinkRow
from store.models import utcnow

SIGN_IN_PATH = "/signin"
CONSOLE_PLATFORMS = ("telegram", "discord")
TOKEN_BYTES = 32
# Used and expired links are kept this long (for a refused sign-in to say "used", not "unknown").
KEEP_SPENT = timedelta(days=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _aware(moment: datetime) -> datetime:
    # SQLite hands datetimes back naive; they were stored in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class ConsoleLinks:
    def __init__(self, engine: Engine, settings: Settings, moderation: Moderation) -> None:
        self.engine = engine
        self.settings = settings
        self.moderation = moderation

    def issue_console_link(self, actor: Actor) -> ConsoleLink:
        """A fresh single-use link for a moderator (refused and audited for anyone else)."""
        if actor.platform not in CONSOLE_PLATFORMS:
            # The operator's own identity holds every right; the console signs in people by platform.
            raise ServiceError("A console link is for a Telegram or Discord identity (PLATFORM:USER_ID).")
        self.moderation.authorize(actor, "console_link", actor.label)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = utcnow()
        expires = now + timedelta(minutes=self.settings.console_link_minutes)
        with session_scope(self.engine) as session:
            # Spent links are only kept for a while: the table stays small without a purge job.
            session.exec(delete(ConsoleLinkRow).where(col(ConsoleLinkRow.expires_at) < now - KEEP_SPENT))
            session.add(
                ConsoleLinkRow(
                    token_hash=token_hash(token),
                    platform=actor.platform,
                    user_id=actor.user_id,
                    community=actor.community,
                    platform_admin=actor.platform_admin,
                    created_at=now,
                    expires_at=expires,
                )
            )
            record_audit(session, actor, "console_link", actor.label, True, f"expires {expires:%H:%M} UTC")
        base = self.settings.console_url.rstrip("/")
        return ConsoleLink(f"{base}{SIGN_IN_PATH}?token={quote(token)}", token, expires)

    def sign_in(self, token: str) -> Actor:
        """The identity a link signs in, spending the link; NotAllowed (audited) when it is unknown,
        used, expired, or its holder is no longer a moderator."""
        now = utcnow()
        hashed = token_hash(token.strip())
        with session_scope(self.engine) as session:
            row = session.exec(select(ConsoleLinkRow).where(ConsoleLinkRow.token_hash == hashed)).first()
        if row is None:
            self.moderation.audit_refusal(
                Actor("web", "unknown", self.settings.community), "console_sign_in", "", "unknown link"
            )
            raise NotAllowed("This sign-in link is not valid. Ask the bot for a new one with /console.")
        actor = Actor(row.platform, row.user_id, row.community, platform_admin=row.platform_admin)
        if row.used_at is not None:
            self.moderation.audit_refusal(actor, "console_sign_in", actor.label, "link already used")
            raise NotAllowed("This sign-in link was used already. Ask the bot for a new one with /console.")
        if _aware(row.expires_at) <= now:
            self.moderation.audit_refusal(actor, "console_sign_in", actor.label, "link expired")
            raise NotAllowed("This sign-in link has expired. Ask the bot for a new one with /console.")
        with session_scope(self.engine) as session:
            # Compare-and-set: two requests racing with one link sign in once.
            spent = session.execute(
                update(ConsoleLinkRow)
                .where(col(ConsoleLinkRow.id) == row.id, col(ConsoleLinkRow.used_at).is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
        if not spent:
            self.moderation.audit_refusal(actor, "console_sign_in", actor.label, "link already used")
            raise NotAllowed("This sign-in link was used already. Ask the bot for a new one with /console.")
        self.moderation.authorize(actor, "console_sign_in", actor.label)
        with session_scope(self.engine) as session:
            record_audit(session, actor, "console_sign_in", actor.label, True)
        return actor
