"""Who may moderate, and the record of what was done: moderators, authorization, blocking, the audit log.

Every moderator action, allowed or refused, leaves an `AuditLog` row written in the action's own unit
of work (`record_audit`), so the record and the change commit together.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, col, delete, func, select

from bot.config import Settings
from bot.domain import Actor, Asker, AuditEntry, AuditPage, NotAllowed, ServiceError
from bot.i18n import N_
from bot.usecases.privacy import asker_hash
from store.db import session_scope
from store.models import AuditLog, BlockedAsker, Moderator


def record_audit(
    session: Session,
    actor: Actor,
    action: str,
    target: str,
    allowed: bool,
    detail: str | None = None,
) -> None:
    session.add(AuditLog(actor=actor.label, action=action, target=target, allowed=allowed, detail=detail))


def is_blocked(session: Session, platform: str, hashed_asker: str) -> bool:
    query = select(BlockedAsker.id).where(
        BlockedAsker.platform == platform, BlockedAsker.asker_hash == hashed_asker
    )
    return session.exec(query).first() is not None


def _find_moderator(session: Session, platform: str, user_id: str, community: str) -> Moderator | None:
    return session.exec(
        select(Moderator).where(
            Moderator.platform == platform,
            Moderator.user_id == user_id,
            Moderator.community == community,
        )
    ).first()


class Moderation:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    def is_moderator(self, actor: Actor) -> bool:
        if actor.platform == "cli" or actor.platform_admin:
            return True
        with Session(self.engine) as session:
            return _find_moderator(session, actor.platform, actor.user_id, actor.community) is not None

    def authorize(self, actor: Actor, action: str, target: str = "") -> None:
        """Raise NotAllowed (and audit the attempt) unless the actor may moderate."""
        if self.is_moderator(actor) and actor.community == self.settings.community:
            return
        with session_scope(self.engine) as session:
            record_audit(session, actor, action, target, False, "not a moderator of this community")
        raise NotAllowed(N_("Sorry, only this community's moderators can do that."))

    def audit_refusal(self, actor: Actor, action: str, target: str = "", detail: str | None = None) -> None:
        """Record a refused attempt the adapter caught itself (forged button data, no pin rights)."""
        with session_scope(self.engine) as session:
            record_audit(session, actor, action, target[:200], False, (detail or "")[:500] or None)

    def add_moderator(self, actor: Actor, platform: str, user_id: str, role: str = "moderator") -> None:
        self.authorize(actor, "add_moderator", f"{platform}:{user_id}")
        community = self.settings.community
        with session_scope(self.engine) as session:
            if _find_moderator(session, platform, user_id, community) is None:
                session.add(Moderator(platform=platform, user_id=user_id, community=community, role=role))
            record_audit(session, actor, "add_moderator", f"{platform}:{user_id}", True, role)

    def remove_moderator(self, actor: Actor, platform: str, user_id: str) -> bool:
        self.authorize(actor, "remove_moderator", f"{platform}:{user_id}")
        with session_scope(self.engine) as session:
            removed = session.exec(
                delete(Moderator).where(
                    col(Moderator.platform) == platform,
                    col(Moderator.user_id) == user_id,
                    col(Moderator.community) == self.settings.community,
                )
            ).rowcount
            record_audit(session, actor, "remove_moderator", f"{platform}:{user_id}", True)
            return bool(removed)

    def moderators(self, actor: Actor) -> list[Moderator]:
        self.authorize(actor, "moderators")
        with Session(self.engine) as session:
            query = select(Moderator).where(Moderator.community == self.settings.community)
            return list(session.exec(query.order_by(col(Moderator.id))).all())

    def block(self, actor: Actor, asker: Asker) -> None:
        """Drop a person's future questions silently; they are never shown to reviewers."""
        self.authorize(actor, "block", f"asker:{asker.platform}")
        hashed = asker_hash(self.settings, asker)
        with session_scope(self.engine) as session:
            if not is_blocked(session, asker.platform, hashed):
                session.add(BlockedAsker(platform=asker.platform, asker_hash=hashed, blocked_by=actor.label))
            record_audit(session, actor, "block", f"asker:{hashed[:12]}", True)

    def audit_log(self, limit: int = 100) -> list[AuditLog]:
        with Session(self.engine) as session:
            return list(session.exec(select(AuditLog).order_by(col(AuditLog.id).desc()).limit(limit)).all())

    def audit_page(
        self, actor: Actor, *, limit: int = 50, offset: int = 0, action: str | None = None
    ) -> AuditPage:
        """The audit log newest first, for a moderator (the web console's audit page), one page at a time."""
        self.authorize(actor, "audit")
        if not 1 <= limit <= 500 or offset < 0:
            raise ServiceError("A page holds 1 to 500 entries from a non-negative offset.")
        where = [AuditLog.action == action.strip()] if action and action.strip() else []
        with Session(self.engine) as session:
            total = session.exec(select(func.count()).select_from(AuditLog).where(*where)).one()
            rows = session.exec(
                select(AuditLog).where(*where).order_by(col(AuditLog.id).desc()).offset(offset).limit(limit)
            ).all()
        entries = tuple(
            AuditEntry(r.id or 0, r.at, r.actor, r.action, r.target, r.allowed, r.detail) for r in rows
        )
        return AuditPage(entries, total, offset, limit)
