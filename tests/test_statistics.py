"""The moderators' dashboard on both engines: days in the moderator's time zone, outcomes and shares,
the time to a verdict, the week's most asked claims and their trend, votes per fact-check."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.domain import (
    Actor,
    Asker,
    ChatRef,
    NotAllowed,
    OutcomeGroup,
    OutcomeKind,
    Question,
    ServiceError,
    Trend,
    trend,
)
from bot.service import ClaimService
from store.models import AuditLog, FactCheck, ReviewItem, utcnow
from tests.factories import add_audit, add_request, add_review_item, add_vote

MODERATOR = Actor("cli", "mod-ann")
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def fact_check_ids(service: ClaimService, n: int) -> list[int]:
    with Session(service.engine) as session:
        ids = session.exec(select(FactCheck.id).order_by(FactCheck.id).limit(n)).all()
    assert len(ids) == n  # the starter set is loaded
    return [i for i in ids if i is not None]


def ask(service: ClaimService, text: str, user: str = "u1", platform: str = "telegram"):
    return service.ask(Question(text, Asker(platform, user), ChatRef(platform, f"chat-{user}")))


# ---------------------------------------------------------------- questions per day


def test_questions_asked_through_the_service_are_counted_by_outcome(service: ClaimService) -> None:
    assert ask(service, "did a NYC cop arrest an ICE agent").kind is OutcomeKind.ANSWER
    assert (
        ask(service, "did the city of Springfield ban skateboards in 2026", "u2").kind is OutcomeKind.QUEUED
    )
    assert ask(service, "hi there, thanks!", "u3", platform="discord").kind is OutcomeKind.CHITCHAT
    today = utcnow().date()
    board = service.dashboard(MODERATOR, today, today, "UTC")
    [day] = board.days
    assert (day.day, day.answered, day.queued, day.chitchat, day.suggested, day.other) == (
        today,
        1,
        1,
        1,
        0,
        0,
    )
    assert board.total == 3
    assert {s.outcome: round(s.share, 3) for s in board.shares} == {
        OutcomeGroup.ANSWERED: 0.333,
        OutcomeGroup.SUGGESTED: 0.0,
        OutcomeGroup.QUEUED: 0.333,
        OutcomeGroup.CHITCHAT: 0.333,
        OutcomeGroup.OTHER: 0.0,
    }
    assert board.by_platform == (("telegram", 2), ("discord", 1))
    assert dict(board.by_language)["en"] == 3
    # The week's most asked: the review item and the fact-check that answered, once each.
    assert sorted((c.kind, c.asks, c.previous_asks, c.trend) for c in board.most_asked) == [
        ("fact_check", 1, 0, Trend.FLAT),
        ("review", 1, 0, Trend.FLAT),
    ]


def test_a_question_at_2330_utc_is_on_the_next_day_in_berlin(service: ClaimService) -> None:
    with Session(service.engine) as session:
        add_request(session, at(9, 23, 30))  # 00:30 on the 10th in Berlin (CET, UTC+1)
        add_request(session, at(9, 22, 59), outcome="suggest")  # 23:59 on the 9th in Berlin
        session.commit()
    berlin = service.dashboard(MODERATOR, date(2026, 3, 9), date(2026, 3, 10), "Europe/Berlin", now=NOW)
    assert [(d.day, d.answered, d.suggested) for d in berlin.days] == [
        (date(2026, 3, 9), 0, 1),
        (date(2026, 3, 10), 1, 0),
    ]
    utc = service.dashboard(MODERATOR, date(2026, 3, 9), date(2026, 3, 10), "UTC", now=NOW)
    assert [(d.day, d.answered, d.suggested) for d in utc.days] == [
        (date(2026, 3, 9), 1, 1),
        (date(2026, 3, 10), 0, 0),
    ]


def test_days_follow_the_daylight_saving_change_and_the_range_edges(service: ClaimService) -> None:
    # Berlin moves to CEST (UTC+2) at 01:00 UTC on 29 March 2026: that day has 23 hours.
    with Session(service.engine) as session:
        add_request(session, at(27, 23, 0), outcome="answer")  # 00:00 on the 28th: the range's first instant
        add_request(session, at(27, 22, 59), outcome="other")  # 23:59 on the 27th: before the range
        add_request(session, at(28, 23, 30), outcome="suggest")  # 00:30 on the 29th (CET)
        add_request(session, at(29, 21, 59), outcome="queued")  # 23:59 on the 29th (CEST)
        add_request(session, at(29, 22, 0), outcome="chitchat")  # 00:00 on the 30th (CEST): after the range
        session.commit()
    board = service.dashboard(MODERATOR, date(2026, 3, 28), date(2026, 3, 29), BERLIN, now=NOW)
    assert board.time_zone == "Europe/Berlin"
    assert [(d.day, d.answered, d.suggested, d.queued, d.chitchat, d.other) for d in board.days] == [
        (date(2026, 3, 28), 1, 0, 0, 0, 0),
        (date(2026, 3, 29), 0, 1, 1, 0, 0),
    ]


def test_outcomes_other_than_the_four_count_as_other(service: ClaimService) -> None:
    with Session(service.engine) as session:
        for outcome in ["unmatched", "throttled", "refused", None, "chitchat", "queued"]:
            add_request(session, at(5, 10), outcome=outcome)
        session.commit()
    [day] = service.dashboard(MODERATOR, date(2026, 3, 5), date(2026, 3, 5), now=NOW).days
    assert (day.other, day.chitchat, day.queued, day.answered) == (4, 1, 1, 0)


def test_an_empty_range_has_every_day_at_zero(service: ClaimService) -> None:
    board = service.dashboard(MODERATOR, date(2026, 2, 27), date(2026, 3, 2), "Europe/Berlin", now=NOW)
    assert [d.day for d in board.days] == [
        date(2026, 2, 27),
        date(2026, 2, 28),
        date(2026, 3, 1),
        date(2026, 3, 2),
    ]
    assert board.total == 0 and all(d.total == 0 for d in board.days)
    assert [(s.count, s.share) for s in board.shares] == [(0, 0.0)] * 5
    assert board.by_platform == () and board.by_language == ()
    assert board.median_time_to_verdict is None and board.verdicts_published == 0
    assert board.most_asked == () and board.feedback == ()
    assert board.week_ending == datetime(2026, 3, 2, 23, tzinfo=UTC)  # the range's end, before now


def test_the_dashboard_is_for_moderators_and_refuses_bad_ranges(service: ClaimService) -> None:
    day = date(2026, 3, 1)
    with pytest.raises(NotAllowed):
        service.dashboard(Actor("telegram", "777"), day, day)
    assert any(e.action == "statistics" and not e.allowed for e in service.audit_log())
    with pytest.raises(NotAllowed):
        service.review_trends(Actor("telegram", "777"), [1])
    with pytest.raises(ServiceError, match="ends before it starts"):
        service.dashboard(MODERATOR, day, day - timedelta(days=1))
    with pytest.raises(ServiceError, match="at most 366 days"):
        service.dashboard(MODERATOR, day, day + timedelta(days=366))
    for name in ["Mars/Olympus", "../../etc/passwd", "", "Europe/Berlin\x00"]:
        with pytest.raises(ServiceError, match="Unknown time zone"):
            service.dashboard(MODERATOR, day, day, name)


# ---------------------------------------------------------------- the time to a verdict


def test_median_time_from_first_ask_to_the_published_verdict(service: ClaimService) -> None:
    with Session(service.engine) as session:
        hours = {}
        for n in (1, 2, 10):  # answered within the range after 1, 2 and 10 hours
            item = add_review_item(session, at(10, 8))
            add_audit(
                session, "approve" if n != 2 else "link", f"review:{item.id}", at(10, 8) + timedelta(hours=n)
            )
            hours[n] = item.id
        late = add_review_item(session, at(1, 8))  # answered after the range: not counted
        add_audit(session, "approve", f"review:{late.id}", at(12, 9))
        refused = add_review_item(session, at(10, 8))  # a refused approval publishes nothing
        add_audit(session, "approve", f"review:{refused.id}", at(10, 9), allowed=False)
        elsewhere = add_review_item(session, at(10, 8), community="other")  # another community's item
        add_audit(session, "approve", f"review:{elsewhere.id}", at(10, 9))
        add_audit(session, "approve", "fact_check:3", at(10, 9))  # not a review item
        session.commit()
    board = service.dashboard(MODERATOR, date(2026, 3, 10), date(2026, 3, 11), "UTC", now=NOW)
    assert board.verdicts_published == 3
    assert board.median_time_to_verdict == timedelta(hours=2)
    # An even count: the mean of the middle two.
    with Session(service.engine) as session:
        item = add_review_item(session, at(11, 0))
        add_audit(session, "link", f"review:{item.id}", at(11, 3))
        session.commit()
    board = service.dashboard(MODERATOR, date(2026, 3, 10), date(2026, 3, 11), "UTC", now=NOW)
    assert board.median_time_to_verdict == timedelta(hours=2, minutes=30)


def test_a_verdict_approved_through_the_service_counts(service: ClaimService) -> None:
    queued = ask(service, "did the city of Springfield ban skateboards in 2026")
    item_id = queued.review_item_id
    assert item_id is not None
    with Session(service.engine) as session:  # first asked four hours ago
        item = session.get(ReviewItem, item_id)
        assert item is not None
        item.first_asked_at = utcnow() - timedelta(hours=4)
        session.add(item)
        session.commit()
    draft = service.write_verdict(
        MODERATOR, item_id, "False", "No such ban.", ["https://springfield.example/minutes"]
    )
    assert service.approve(MODERATOR, item_id, draft.revision).published
    today = utcnow().date()
    board = service.dashboard(MODERATOR, today - timedelta(days=1), today + timedelta(days=1))
    assert board.verdicts_published == 1
    assert board.median_time_to_verdict is not None
    with Session(service.engine) as session:
        [approved] = session.exec(select(AuditLog).where(AuditLog.action == "approve")).all()
        item = session.get(ReviewItem, item_id)
        assert item is not None
    assert board.median_time_to_verdict == approved.at - item.first_asked_at


# ---------------------------------------------------------------- the week's most asked, and the trend


@pytest.mark.parametrize(
    ("asks", "previous", "expected"),
    [
        (0, 0, Trend.FLAT),
        (1, 0, Trend.FLAT),  # one question is noise
        (2, 0, Trend.UP),
        (0, 2, Trend.DOWN),
        (11, 10, Trend.FLAT),
        (12, 10, Trend.UP),
        (30, 26, Trend.FLAT),  # 4 more, but under a fifth of 26
        (20, 26, Trend.DOWN),
    ],
)
def test_trend(asks: int, previous: int, expected: Trend) -> None:
    assert trend(asks, previous) is expected


def test_the_weeks_most_asked_claims_with_their_trend(service: ClaimService) -> None:
    first, second = fact_check_ids(service, 2)
    week, before = NOW - timedelta(days=2), NOW - timedelta(days=9)
    with Session(service.engine) as session:
        rising = add_review_item(session, before, text="the moon is made of <b>cheese</b>")
        falling = add_review_item(session, before, text="falling claim")
        other = add_review_item(session, before, text="another community's", community="other")
        for asked_at, item, n in [
            (week, rising, 5),
            (before, rising, 1),
            (week, falling, 1),
            (before, falling, 6),
        ]:
            for _ in range(n):
                add_request(session, asked_at, outcome="queued", review_item_id=item.id)
        for _ in range(3):
            add_request(session, week, fact_check_id=first)
            add_request(session, before, fact_check_id=first)
        add_request(session, week, fact_check_id=second)
        # A 👎 "wrong claim" put an answered question on a review item: it counts for the item.
        add_request(session, week, outcome="queued", fact_check_id=second, review_item_id=falling.id)
        add_request(session, NOW - timedelta(days=15), fact_check_id=second)  # before both weeks
        add_request(session, NOW + timedelta(hours=1), fact_check_id=second)  # after now
        for _ in range(9):
            add_request(session, week, outcome="queued", review_item_id=other.id)
        session.commit()
        rising_id, falling_id = rising.id, falling.id
    board = service.dashboard(MODERATOR, date(2026, 3, 1), date(2026, 3, 31), now=NOW)
    assert board.week_ending == NOW
    assert [(c.kind, c.id, c.asks, c.previous_asks, c.trend) for c in board.most_asked] == [
        ("review", rising_id, 5, 1, Trend.UP),
        ("fact_check", first, 3, 3, Trend.FLAT),
        ("review", falling_id, 2, 6, Trend.DOWN),
        ("fact_check", second, 1, 0, Trend.FLAT),
    ]
    assert (
        board.most_asked[0].text == "the moon is made of <b>cheese</b>"
        and board.most_asked[0].status == "open"
    )
    assert board.most_asked[1].status == "published"
    top = service.dashboard(MODERATOR, date(2026, 3, 1), date(2026, 3, 31), now=NOW, top=2)
    assert [c.id for c in top.most_asked] == [rising_id, first]
    # The queue's arrows: one per item asked for, zeros for an item nobody asked about lately.
    trends = service.review_trends(MODERATOR, [rising_id, falling_id, 999_999], now=NOW)
    assert {k: (v.asks, v.previous_asks, v.trend) for k, v in trends.items()} == {
        rising_id: (5, 1, Trend.UP),
        falling_id: (2, 6, Trend.DOWN),
        999_999: (0, 0, Trend.FLAT),
    }
    assert service.review_trends(MODERATOR, []) == {}
    # A past range counts the week before its own end.
    past = service.dashboard(MODERATOR, date(2026, 3, 1), date(2026, 3, 12), now=NOW)
    assert past.week_ending == datetime(2026, 3, 13, tzinfo=UTC)
    assert [(c.id, c.asks) for c in past.most_asked] == [(falling_id, 6), (first, 3), (rising_id, 1)]


# ---------------------------------------------------------------- 👍 / 👎 per fact-check


def test_votes_per_fact_check_in_the_range(service: ClaimService) -> None:
    first, second = fact_check_ids(service, 2)
    with Session(service.engine) as session:
        for fact_check_id, vote, day in [
            (first, "up", 10),
            (first, "down", 10),
            (first, "up", 11),
            (second, "down", 11),
            (second, "up", 14),  # after the range
        ]:
            request = add_request(session, at(day, 9), fact_check_id=fact_check_id)
            add_vote(session, request, vote, at(day, 10))
        session.commit()
        claim = session.get(FactCheck, first).claim  # type: ignore[union-attr]
    board = service.dashboard(MODERATOR, date(2026, 3, 10), date(2026, 3, 11), now=NOW)
    assert [(f.fact_check_id, f.up, f.down) for f in board.feedback] == [(first, 2, 1), (second, 0, 1)]
    assert board.feedback[0].claim == claim
