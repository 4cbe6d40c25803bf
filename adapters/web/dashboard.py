"""The dashboard: questions per day by outcome, shares, platforms and languages, the time to a verdict,
the week's most asked claims with their trend, and 👍 / 👎 per fact-check, for a range of the
moderator's days (their time zone; the last 14 days by default).

The figures are the core's (`ClaimService.dashboard`, bot/usecases/statistics.py) and the charts
server-rendered SVG with a data table beside each (adapters/web/charts.py): no script, nothing fetched.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

from adapters.web import charts
from adapters.web.render import actor_of, call, render, service_of, zone_of
from bot.domain import OutcomeGroup

DEFAULT_DAYS = 14


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"]
    return " ".join(parts[:2])


async def dashboard_page(request: Request) -> Response:
    actor = actor_of(request)
    zone = zone_of(request)
    today = datetime.now(zone).date()
    end = _date(request.query_params.get("end")) or today
    start = _date(request.query_params.get("start")) or end - timedelta(days=DEFAULT_DAYS - 1)
    board = await call(service_of(request).dashboard, actor, start, end, zone.key)
    return render(
        request,
        "dashboard.html",
        board=board,
        start=start,
        end=end,
        names=charts.OUTCOME_NAMES,
        groups=list(OutcomeGroup),
        median=_duration(board.median_time_to_verdict),
        per_day_chart=charts.questions_per_day_chart(board.days),
        per_day_table=charts.questions_per_day_table(board.days),
        most_asked_chart=charts.most_asked_chart(board.most_asked),
        most_asked_table=charts.most_asked_table(board.most_asked),
        feedback_chart=charts.feedback_chart(board.feedback),
        feedback_table=charts.feedback_table(board.feedback),
    )
