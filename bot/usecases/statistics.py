"""The moderators' dashboard: questions per day by outcome, the time to a verdict, the week's most
asked claims with their trend, and 👍 / 👎 per fact-check. Read-only, for moderators only.

Days are the moderator's: the range is cut at midnight in their time zone (zoneinfo, so a day of a
daylight-saving change has 23 or 25 hours). Python places those midnights; the database counts the
questions between them (`day_index`), the same SQL on SQLite and PostgreSQL. Fetching every timestamp
and bucketing in Python was 3 to 9 times slower on 100,000 questions (benchmarks/dashboard.py).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, Engine, case, literal, or_
from sqlmodel import Session, col, func, select

from bot.config import Settings
from bot.domain import (
    Actor,
    ClaimTrend,
    Dashboard,
    DayCount,
    FeedbackCount,
    OutcomeGroup,
    OutcomeKind,
    OutcomeShare,
    ServiceError,
    TrendingClaim,
    Vote,
    trend,
)
from bot.usecases.moderation import Moderation
from store.models import AnswerFeedback, AuditLog, FactCheck, Request, ReviewItem, utcnow

# A year of days at most: the per-day counts stay bounded, and so does the scan of the range.
MAX_DAYS = 366
WEEK = timedelta(days=7)
# The audited actions that answer a review item (bot/usecases/review.py): a verdict approved, or an
# existing fact-check linked. Their time is when askers were told; the item keeps no such column.
ANSWERING_ACTIONS = ("approve", "link")

GROUP_OF = {
    OutcomeKind.ANSWER.value: OutcomeGroup.ANSWERED,
    OutcomeKind.SUGGEST.value: OutcomeGroup.SUGGESTED,
    OutcomeKind.QUEUED.value: OutcomeGroup.QUEUED,
    OutcomeKind.CHITCHAT.value: OutcomeGroup.CHITCHAT,
}


def zone(name: str | ZoneInfo) -> ZoneInfo:
    """The moderator's time zone by its IANA name; a clear refusal for one that does not exist."""
    if isinstance(name, ZoneInfo):
        return name
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # ValueError: not a zone name at all ("../x", "")
        raise ServiceError(f"Unknown time zone {name[:60]!r}; use a name like Europe/Berlin.") from None


def day_bounds(start: date, end: date, tz: ZoneInfo) -> list[datetime]:
    """The UTC instants of each local midnight from `start` to the day after `end` (len = days + 1).

    A midnight that does not exist (a zone that springs forward at 00:00) is taken at the offset
    before the change, which zoneinfo maps onto the first instant of that day.
    """
    days = (end - start).days + 1
    midnights = (datetime.combine(start + timedelta(days=i), time(), tzinfo=tz) for i in range(days + 1))
    return [midnight.astimezone(UTC) for midnight in midnights]


def day_index(bounds: Sequence[datetime], lo: int = 0, hi: int | None = None) -> ColumnElement[int]:
    """The local day (0 for the first) a question in [bounds[lo], bounds[hi]) was asked on, in SQL.

    A CASE over the UTC instants of the local midnights, nested as a binary search so that each row
    makes about log2(days) comparisons (9 for a year) rather than one per day. Plain comparisons of
    the stored timestamps: the same on SQLite and PostgreSQL, and exact across daylight-saving changes
    because zoneinfo placed the midnights.
    """
    hi = len(bounds) - 1 if hi is None else hi
    if hi - lo == 1:
        return literal(lo)
    mid = (lo + hi) // 2
    return case(
        (col(Request.asked_at) < bounds[mid], day_index(bounds, lo, mid)), else_=day_index(bounds, mid, hi)
    )


def _asked_within(since: datetime, until: datetime):  # noqa: ANN202 - SQL conditions
    return col(Request.asked_at) >= since, col(Request.asked_at) < until


class Statistics:
    def __init__(self, engine: Engine, settings: Settings, moderation: Moderation) -> None:
        self.engine = engine
        self.settings = settings
        self.moderation = moderation

    def dashboard(
        self,
        actor: Actor,
        start: date,
        end: date,
        time_zone: str | ZoneInfo = "UTC",
        *,
        now: datetime | None = None,
        top: int = 10,
    ) -> Dashboard:
        """The dashboard for the days `start` to `end` (both included) in the moderator's time zone."""
        self.moderation.authorize(actor, "statistics")
        tz = zone(time_zone)
        if end < start:
            raise ServiceError("The range ends before it starts.")
        if (end - start).days + 1 > MAX_DAYS:
            raise ServiceError(f"Choose a range of at most {MAX_DAYS} days.")
        bounds = day_bounds(start, end, tz)
        since, until = bounds[0], bounds[-1]
        week_ending = min(now or utcnow(), until)
        with Session(self.engine) as session:
            days = self._per_day(session, start, bounds, tz)
            by_platform, by_language = self._platforms_and_languages(session, since, until)
            durations = self._times_to_verdict(session, since, until)
            most_asked = self._most_asked(session, week_ending, top)
            feedback = self._feedback(session, since, until, top)
        total = sum(day.total for day in days)
        shares = tuple(
            OutcomeShare(group, n, n / total if total else 0.0)
            for group in OutcomeGroup
            for n in [sum(day.count(group) for day in days)]
        )
        median = statistics.median(durations) if durations else None
        return Dashboard(
            start=start,
            end=end,
            time_zone=tz.key or str(tz),
            days=days,
            shares=shares,
            by_platform=by_platform,
            by_language=by_language,
            verdicts_published=len(durations),
            median_time_to_verdict=median,
            week_ending=week_ending,
            most_asked=most_asked,
            feedback=feedback,
        )

    def review_trends(
        self, actor: Actor, item_ids: Iterable[int], *, now: datetime | None = None
    ) -> dict[int, ClaimTrend]:
        """Each review item's asks in the last 7 days against the 7 before (the queue's arrows).

        Every id asked for is in the answer; an item nobody asked about lately is flat at 0 and 0.
        """
        self.moderation.authorize(actor, "statistics")
        ids = sorted(set(item_ids))
        counts: dict[int, list[int]] = {item_id: [0, 0] for item_id in ids}
        if ids:
            until = now or utcnow()
            week = self._week_column(until)
            query = (
                select(Request.review_item_id, week, func.count())
                .where(col(Request.review_item_id).in_(ids), *_asked_within(until - 2 * WEEK, until))
                .group_by(col(Request.review_item_id), week)
            )
            with Session(self.engine) as session:
                for item_id, this_week, n in session.exec(query):
                    counts[item_id][0 if this_week else 1] += n
        return {item_id: ClaimTrend(a, b, trend(a, b)) for item_id, (a, b) in counts.items()}

    # ---------------------------------------------------------------- the parts

    @staticmethod
    def _per_day(
        session: Session, start: date, bounds: Sequence[datetime], tz: ZoneInfo
    ) -> tuple[DayCount, ...]:
        """Questions per local day and outcome: counted in the database, days x outcomes rows back."""
        per_day: list[Counter[OutcomeGroup]] = [Counter() for _ in bounds[1:]]
        day = day_index(bounds)
        query = (
            select(day, Request.outcome, func.count())
            .where(*_asked_within(bounds[0], bounds[-1]))
            .group_by(day, col(Request.outcome))
        )
        for index, outcome, n in session.exec(query):
            per_day[index][GROUP_OF.get(outcome or "", OutcomeGroup.OTHER)] += n
        return tuple(
            DayCount(start + timedelta(days=i), **{group.value: n for group, n in counter.items()})
            for i, counter in enumerate(per_day)
        )

    @staticmethod
    def _platforms_and_languages(
        session: Session, since: datetime, until: datetime
    ) -> tuple[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]]:
        """Questions per platform and per reply language, most first: one scan of the range for both."""
        platforms: Counter[str] = Counter()
        languages: Counter[str] = Counter()
        query = (
            select(Request.platform, Request.language, func.count())
            .where(*_asked_within(since, until))
            .group_by(col(Request.platform), col(Request.language))
        )
        for platform, language, n in session.exec(query):
            platforms[platform] += n
            languages[language or ""] += n

        def most_first(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
            return tuple(sorted(counter.items(), key=lambda pair: (-pair[1], pair[0])))

        return most_first(platforms), most_first(languages)

    def _times_to_verdict(self, session: Session, since: datetime, until: datetime) -> list[timedelta]:
        """For each review item of this community answered in the range: its first ask to that answer."""
        answered = session.exec(
            select(AuditLog.target, AuditLog.at).where(
                col(AuditLog.action).in_(ANSWERING_ACTIONS),
                col(AuditLog.allowed).is_(True),
                col(AuditLog.target).startswith("review:"),
                col(AuditLog.at) >= since,
                col(AuditLog.at) < until,
            )
        ).all()
        at_of: dict[int, datetime] = {}
        for target, at in answered:
            item_id = target.removeprefix("review:")
            if item_id.isdigit():  # an item is answered once: a later approve or link is refused
                at_of.setdefault(int(item_id), at)
        if not at_of:
            return []
        firsts = session.exec(
            select(ReviewItem.id, ReviewItem.first_asked_at).where(
                col(ReviewItem.id).in_(list(at_of)), ReviewItem.community == self.settings.community
            )
        ).all()
        return [at_of[item_id] - first for item_id, first in firsts]

    @staticmethod
    def _week_column(until: datetime):  # noqa: ANN205 - a SQL expression
        """1 for a question of the last 7 days before `until`, 0 for the 7 before those."""
        return case((col(Request.asked_at) >= until - WEEK, 1), else_=0)

    def _most_asked(self, session: Session, until: datetime, top: int) -> tuple[TrendingClaim, ...]:
        """The claims asked most in the 7 days before `until`, with the 7 days before those.

        A question counts for its review item when it has one (a 👎 "wrong claim" puts an answered
        question on one too), else for the fact-check that answered it.
        """
        week = self._week_column(until)
        query = (
            select(Request.review_item_id, Request.fact_check_id, week, func.count())
            .outerjoin(ReviewItem, col(ReviewItem.id) == col(Request.review_item_id))
            .where(
                *_asked_within(until - 2 * WEEK, until),
                or_(col(Request.review_item_id).is_not(None), col(Request.fact_check_id).is_not(None)),
                or_(col(Request.review_item_id).is_(None), ReviewItem.community == self.settings.community),
            )
            .group_by(col(Request.review_item_id), col(Request.fact_check_id), week)
        )
        counts: dict[tuple[str, int], list[int]] = {}
        for item_id, fact_check_id, this_week, n in session.exec(query):
            key = ("review", item_id) if item_id is not None else ("fact_check", fact_check_id)
            counts.setdefault(key, [0, 0])[0 if this_week else 1] += n
        ranked = sorted(
            (key for key, (asks, _) in counts.items() if asks), key=lambda k: (-counts[k][0], k[0], k[1])
        )[:top]
        items = {r.id: r for r in self._rows(session, ReviewItem, [i for k, i in ranked if k == "review"])}
        checks = {r.id: r for r in self._rows(session, FactCheck, [i for k, i in ranked if k != "review"])}
        claims = []
        for kind, row_id in ranked:
            row = items.get(row_id) if kind == "review" else checks.get(row_id)
            if row is None:  # deleted meanwhile (forget, a withdrawn starter fact-check)
                continue
            text = row.text if isinstance(row, ReviewItem) else row.claim
            asks, previous = counts[(kind, row_id)]
            claims.append(
                TrendingClaim(kind, row_id, text, row.status, asks, previous, trend(asks, previous))
            )
        return tuple(claims)

    @staticmethod
    def _rows(session: Session, table: type[ReviewItem] | type[FactCheck], ids: list[int]) -> Sequence:
        if not ids:
            return []
        return session.exec(select(table).where(col(table.id).in_(ids))).all()

    @staticmethod
    def _feedback(session: Session, since: datetime, until: datetime, top: int) -> tuple[FeedbackCount, ...]:
        """👍 / 👎 of votes first given in the range, per fact-check, the most votes first."""
        up = func.sum(case((AnswerFeedback.vote == Vote.UP.value, 1), else_=0))
        down = func.sum(case((AnswerFeedback.vote == Vote.DOWN.value, 1), else_=0))
        votes = func.count()
        query = (
            select(AnswerFeedback.fact_check_id, FactCheck.claim, up, down)
            .join(FactCheck, col(FactCheck.id) == col(AnswerFeedback.fact_check_id))
            .where(col(AnswerFeedback.created_at) >= since, col(AnswerFeedback.created_at) < until)
            .group_by(col(AnswerFeedback.fact_check_id), col(FactCheck.claim))
            .order_by(votes.desc(), col(AnswerFeedback.fact_check_id))
            .limit(top)
        )
        return tuple(
            FeedbackCount(fact_check_id, claim, int(u or 0), int(d or 0))
            for fact_check_id, claim, u, d in session.exec(query)
        )
