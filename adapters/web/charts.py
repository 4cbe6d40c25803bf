"""The dashboard's charts as server-rendered SVG: no script, nothing fetched from elsewhere.

Pure functions from the core's values (bot.domain.statistics) to `markupsafe.Markup`, ready to put in
a page as it is. Every piece of text is escaped (a claim is whatever an asker wrote: "<script>" in it
stays text), and characters XML cannot hold are dropped, so the SVG is well-formed whatever it shows.
Each chart is an image with a title and a description for screen readers (role="img",
aria-labelledby) and has a data table beside it (the `*_table` functions) holding the same figures.
A viewBox and width="100%" let a chart scale down to a phone's width.

Moderators' strings are English (docs/architecture.md): the dashboard is not translated.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

from bot.domain import DayCount, FeedbackCount, OutcomeGroup, Trend, TrendingClaim

WIDTH = 640  # user units; the SVG scales to its container
FONT = 12
LABEL_CHARS = 38  # a bar's label is cut here (the full text is its tooltip and in the table)

# Okabe and Ito's palette, told apart with any colour vision; the legend and the table name each.
OUTCOME_COLOURS = {
    OutcomeGroup.ANSWERED: "#009E73",
    OutcomeGroup.SUGGESTED: "#56B4E9",
    OutcomeGroup.QUEUED: "#E69F00",
    OutcomeGroup.CHITCHAT: "#CC79A7",
    OutcomeGroup.OTHER: "#999999",
}
OUTCOME_NAMES = {
    OutcomeGroup.ANSWERED: "Answered",
    OutcomeGroup.SUGGESTED: "Suggested",
    OutcomeGroup.QUEUED: "Queued",
    OutcomeGroup.CHITCHAT: "Chit-chat",
    OutcomeGroup.OTHER: "Other",
}
UP_COLOUR, DOWN_COLOUR, ASKS_COLOUR = "#009E73", "#D55E00", "#0072B2"
TREND_MARKS = {Trend.UP: "▲ up", Trend.DOWN: "▼ down", Trend.FLAT: "▶ flat"}

# XML 1.0 cannot hold C0 controls (but tab, newline, carriage return), lone surrogates, U+FFFE, U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NOT_ID = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Series:
    """One layer of a stacked chart: its name (in the legend), colour and a value per category."""

    name: str
    colour: str
    values: Sequence[int]


@dataclass(frozen=True)
class Bar:
    """One row of a horizontal chart: its label, a value per series (stacked), and a note after it."""

    label: str
    values: Sequence[int]
    note: str = ""


def text(value: object) -> Markup:
    """Any value as escaped text XML can hold."""
    return escape(_NOT_XML.sub("", str(value)))


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    label = " ".join(label.split())
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _nice(value: int) -> int:
    """The value rounded up to 1, 2 or 5 times a power of ten (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def _ticks(highest: int) -> list[int]:
    """Whole numbers from 0 to at least `highest`, four steps at most, each step 1, 2 or 5 times 10^n."""
    step = _nice(math.ceil(highest / 4))
    return [step * i for i in range(max(1, math.ceil(highest / step)) + 1)]


def _open_svg(chart_id: str, height: float, title: str, description: str) -> Markup:
    chart_id = _NOT_ID.sub("-", chart_id) or "chart"
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" '
        'preserveAspectRatio="xMinYMin meet" role="img" aria-labelledby="{id}-title {id}-desc" '
        'font-family="system-ui, sans-serif" font-size="{font}" class="cb-chart">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
    ).format(w=WIDTH, h=f"{height:g}", id=chart_id, font=FONT, title=text(title), desc=text(description))


def _legend(series: Sequence[tuple[str, str]], y: float) -> Markup:
    parts, x = [], 0.0
    for name, colour in series:
        parts.append(
            Markup(
                '<rect x="{x:g}" y="{y:g}" width="10" height="10" fill="{c}"/>'
                '<text x="{tx:g}" y="{ty:g}">{name}</text>'
            ).format(x=x, y=y, c=colour, tx=x + 14, ty=y + 9, name=text(name))
        )
        x += 24 + 7 * len(name)
    return Markup('<g class="cb-legend">{}</g>').format(Markup("").join(parts))


def _empty(message: str, y: float) -> Markup:
    return Markup('<text x="{x}" y="{y:g}" text-anchor="middle" fill="#555">{m}</text>').format(
        x=WIDTH // 2, y=y, m=text(message)
    )


def stacked_columns(
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    chart_id: str = "columns",
    empty: str = "Nothing to show.",
) -> Markup:
    """A column per category, its series stacked from the bottom, a y axis with gridlines."""
    height, top, bottom, left, right = 300.0, 30.0, 40.0, 40.0, 8.0
    plot_h, plot_w = height - top - bottom, WIDTH - left - right
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    ticks = _ticks(max(totals, default=0))
    ceiling = ticks[-1]
    parts = [
        _open_svg(chart_id, height, title, description),
        _legend([(s.name, s.colour) for s in series], 4),
    ]
    for value in ticks:  # gridlines and their values, the axis's top included
        y = top + plot_h - plot_h * value / ceiling
        parts.append(
            Markup(
                '<line x1="{l}" x2="{r}" y1="{y:g}" y2="{y:g}" stroke="#ddd"/>'
                '<text x="{tx}" y="{ty:g}" text-anchor="end" fill="#555">{v}</text>'
            ).format(l=left, r=WIDTH - right, y=y, tx=left - 4, ty=y + 4, v=text(value))
        )
    if not categories or not any(totals):
        parts.append(_empty(empty, top + plot_h / 2))
    slot = plot_w / max(len(categories), 1)
    every = max(1, math.ceil(len(categories) / 12))  # at most a dozen labels under the columns
    for i, (category, total) in enumerate(zip(categories, totals, strict=True)):
        x, base = left + i * slot, top + plot_h
        bars = []
        for s in series:
            value = s.values[i]
            if value <= 0:
                continue
            h = plot_h * value / ceiling
            base -= h
            bars.append(
                Markup(
                    '<rect x="{x:.2f}" y="{y:.2f}" width="{w:.2f}" height="{h:.2f}" fill="{c}">'
                    "<title>{tip}</title></rect>"
                ).format(
                    x=x + slot * 0.1,
                    y=base,
                    w=slot * 0.8,
                    h=h,
                    c=s.colour,
                    tip=text(f"{category}: {value} {s.name.lower()}"),
                )
            )
        label = Markup("")
        if i % every == 0:
            label = Markup('<text x="{x:.2f}" y="{y:g}" text-anchor="middle">{t}</text>').format(
                x=x + slot / 2, y=height - bottom + 16, t=text(category)
            )
        parts.append(
            Markup('<g class="cb-column"><title>{tip}</title>{bars}{label}</g>').format(
                tip=text(f"{category}: {total}"), bars=Markup("").join(bars), label=label
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def horizontal_bars(
    title: str,
    description: str,
    bars: Sequence[Bar],
    series: Sequence[tuple[str, str]],
    *,
    chart_id: str = "bars",
    empty: str = "Nothing to show.",
) -> Markup:
    """A row per bar: its label on the left, its values stacked left to right, the total and note after."""
    top, row, label_w, value_w = 24.0, 26.0, 250.0, 110.0
    height = top + row * max(len(bars), 1) + 8
    plot_w = WIDTH - label_w - value_w
    ceiling = max((sum(bar.values) for bar in bars), default=0) or 1
    parts = [_open_svg(chart_id, height, title, description), _legend(series, 4)]
    if not bars:
        parts.append(_empty(empty, top + row / 2 + 4))
    for i, bar in enumerate(bars):
        y, x = top + i * row, label_w
        segments = []
        for (name, colour), value in zip(series, bar.values, strict=True):
            if value <= 0:
                continue
            w = plot_w * value / ceiling
            segments.append(
                Markup(
                    '<rect x="{x:.2f}" y="{y:g}" width="{w:.2f}" height="{h:g}" fill="{c}">'
                    "<title>{tip}</title></rect>"
                ).format(x=x, y=y + 4, w=w, h=row - 8, c=colour, tip=text(f"{value} {name.lower()}"))
            )
            x += w
        figure = " / ".join(str(v) for v in bar.values) if len(bar.values) > 1 else str(sum(bar.values))
        parts.append(
            Markup(
                '<g class="cb-bar"><title>{tip}</title>'
                '<text x="{lx:g}" y="{ty:g}" text-anchor="end">{label}</text>{segments}'
                '<text x="{vx:.2f}" y="{ty:g}">{figure}</text></g>'
            ).format(
                tip=text(bar.label),
                lx=label_w - 6,
                ty=y + row / 2 + 4,
                label=text(_short(bar.label)),
                segments=Markup("").join(segments),
                vx=x + 4,
                figure=text(f"{figure} {bar.note}".strip()),
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> Markup:
    """The figures of a chart as an HTML table: the first cell of each row is its header."""
    head = Markup("").join(Markup('<th scope="col">{}</th>').format(text(h)) for h in headers)
    body = Markup("").join(
        Markup("<tr>{}</tr>").format(
            Markup("").join(
                Markup('<th scope="row">{}</th>' if i == 0 else "<td>{}</td>").format(text(cell))
                for i, cell in enumerate(cells)
            )
        )
        for cells in rows
    )
    return Markup(
        '<table class="cb-data"><caption>{}</caption><thead><tr>{}</tr></thead><tbody>{}</tbody></table>'
    ).format(text(caption), head, body)


# ---------------------------------------------------------------- the dashboard's charts


def _day(day: date) -> str:
    return f"{day:%b} {day.day}"


def _days_described(days: Sequence[DayCount]) -> str:
    if not days:
        return "No days."
    total = sum(d.total for d in days)
    by_outcome = ", ".join(
        f"{sum(d.count(g) for d in days)} {OUTCOME_NAMES[g].lower()}" for g in OutcomeGroup
    )
    span = f"{_day(days[0].day)} {days[0].day.year} to {_day(days[-1].day)} {days[-1].day.year}"
    return f"{total} questions from {span}: {by_outcome}."


def questions_per_day_chart(days: Sequence[DayCount], *, chart_id: str = "questions-per-day") -> Markup:
    """Questions per day, stacked by outcome (answered at the bottom)."""
    series = [Series(OUTCOME_NAMES[g], OUTCOME_COLOURS[g], [d.count(g) for d in days]) for g in OutcomeGroup]
    return stacked_columns(
        "Questions per day by outcome",
        _days_described(days),
        [_day(d.day) for d in days],
        series,
        chart_id=chart_id,
        empty="No questions in this range.",
    )


def questions_per_day_table(days: Sequence[DayCount]) -> Markup:
    headers = ["Day", *(OUTCOME_NAMES[g] for g in OutcomeGroup), "Total"]
    rows = [[d.day.isoformat(), *(d.count(g) for g in OutcomeGroup), d.total] for d in days]
    return table("Questions per day by outcome", headers, rows)


def most_asked_chart(claims: Sequence[TrendingClaim], *, chart_id: str = "most-asked") -> Markup:
    """The week's most asked claims, a bar each, with the trend against the week before."""
    bars = [Bar(c.text, [c.asks], TREND_MARKS[c.trend]) for c in claims]
    described = "; ".join(f"{c.text}: {c.asks} this week, {c.previous_asks} the week before" for c in claims)
    return horizontal_bars(
        "Most asked claims this week",
        described or "No claims were asked this week.",
        bars,
        [("Questions this week", ASKS_COLOUR)],
        chart_id=chart_id,
        empty="No claims were asked this week.",
    )


def most_asked_table(claims: Sequence[TrendingClaim]) -> Markup:
    headers = ["Claim", "Kind", "Status", "This week", "The week before", "Trend"]
    rows = [
        [
            c.text,
            "review item" if c.kind == "review" else "fact-check",
            c.status,
            c.asks,
            c.previous_asks,
            c.trend,
        ]
        for c in claims
    ]
    return table("Most asked claims this week", headers, rows)


def feedback_chart(feedback: Sequence[FeedbackCount], *, chart_id: str = "feedback") -> Markup:
    """👍 and 👎 per fact-check, side by side in one bar each."""
    bars = [Bar(f.claim, [f.up, f.down]) for f in feedback]
    described = "; ".join(f"{f.claim}: {f.up} helpful, {f.down} not helpful" for f in feedback)
    return horizontal_bars(
        "Was this helpful? Votes per fact-check",
        described or "No votes in this range.",
        bars,
        [("Helpful", UP_COLOUR), ("Not helpful", DOWN_COLOUR)],
        chart_id=chart_id,
        empty="No votes in this range.",
    )


def feedback_table(feedback: Sequence[FeedbackCount]) -> Markup:
    rows = [[f.claim, f.up, f.down] for f in feedback]
    return table("Was this helpful? Votes per fact-check", ["Fact-check", "Helpful", "Not helpful"], rows)
