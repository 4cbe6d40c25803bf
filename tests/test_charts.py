"""The dashboard's SVG charts: well-formed XML whatever they show, labels as text, accessible, empty data."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from markupsafe import Markup, escape

from adapters.web.charts import (
    _ticks,
    feedback_chart,
    feedback_table,
    most_asked_chart,
    most_asked_table,
    questions_per_day_chart,
    questions_per_day_table,
    stacked_columns,
)
from bot.domain import DayCount, FeedbackCount, Trend, TrendingClaim

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(\"x\")</script> & 'quotes' ]]> \x00\x07\ufffe <!-- -->"
DAYS = [
    DayCount(date(2026, 3, 9), answered=3, suggested=1, queued=2, chitchat=1, other=1),
    DayCount(date(2026, 3, 10)),
    DayCount(date(2026, 3, 11), answered=7),
]
CLAIMS = [
    TrendingClaim("review", 4, HOSTILE, "open", 5, 1, Trend.UP),
    TrendingClaim("fact_check", 9, "Vaccines contain microchips " * 5, "published", 3, 3, Trend.FLAT),
]
VOTES = [FeedbackCount(9, HOSTILE, 4, 2), FeedbackCount(3, "Another claim", 0, 1)]

CHARTS: list[tuple[str, Callable[[], Markup], Callable[[], Markup]]] = [
    ("questions", lambda: questions_per_day_chart(DAYS), lambda: questions_per_day_chart([])),
    ("most asked", lambda: most_asked_chart(CLAIMS), lambda: most_asked_chart([])),
    ("feedback", lambda: feedback_chart(VOTES), lambda: feedback_chart([])),
]


def parse(markup: Markup) -> ET.Element:
    assert isinstance(markup, Markup)
    return ET.fromstring(str(markup))  # raises on anything that is not well-formed XML


def texts(root: ET.Element) -> str:
    return " ".join(root.itertext())


@pytest.mark.parametrize(("name", "full", "empty"), CHARTS, ids=[c[0] for c in CHARTS])
def test_every_chart_is_an_accessible_scalable_svg(
    name: str, full: Callable[[], Markup], empty: Callable[[], Markup]
) -> None:
    for markup in (full(), empty()):
        root = parse(markup)
        assert root.tag == f"{SVG}svg"
        assert root.get("role") == "img" and root.get("width") == "100%"
        assert root.get("viewBox", "").startswith("0 0 640 ")
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert title is not None and desc is not None and title.text and desc.text
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert not list(root.iter(f"{SVG}script"))


@pytest.mark.parametrize(("name", "full", "empty"), CHARTS, ids=[c[0] for c in CHARTS])
def test_an_empty_chart_says_so(name: str, full: Callable[[], Markup], empty: Callable[[], Markup]) -> None:
    root = parse(empty())
    said = texts(root)
    assert "No " in said
    assert not [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]  # no bars


def test_a_hostile_claim_is_text_in_the_charts_and_the_tables() -> None:
    for markup in (
        most_asked_chart(CLAIMS),
        feedback_chart(VOTES),
        most_asked_table(CLAIMS),
        feedback_table(VOTES),
    ):
        root = parse(markup)
        assert not [e for e in root.iter() if e.tag.split("}")[-1] == "script"]
        assert "&lt;script&gt;" in markup and "<script>" not in markup
        # The words are all there as text (the characters XML cannot hold dropped).
        assert "<script>alert(\"x\")</script> & 'quotes' ]]>" in texts(root)
        assert "\x00" not in markup and "\x07" not in markup and "\ufffe" not in markup
    # Markup is not escaped twice when a page puts it in a template.
    chart = most_asked_chart(CLAIMS)
    assert escape(chart) == chart


def test_a_long_label_is_cut_and_its_full_text_kept_in_the_tooltip() -> None:
    root = parse(most_asked_chart(CLAIMS))
    [bar] = [g for g in root.iter(f"{SVG}g") if g.get("class") == "cb-bar" and "microchips" in texts(g)]
    label = next(t for t in bar.iter(f"{SVG}text") if t.get("text-anchor") == "end")
    assert label.text is not None and label.text.endswith("…") and len(label.text) <= 38
    tooltip = bar.find(f"{SVG}title")
    assert tooltip is not None and tooltip.text == CLAIMS[1].text
    assert "5 ▲ up" in texts(root) and "3 ▶ flat" in texts(root)


def test_columns_stack_each_days_outcomes_to_scale() -> None:
    root = parse(questions_per_day_chart(DAYS))
    columns = [g for g in root.iter(f"{SVG}g") if g.get("class") == "cb-column"]
    assert len(columns) == 3
    heights = [sum(float(r.get("height", 0)) for r in g.iter(f"{SVG}rect")) for g in columns]
    assert heights[1] == 0  # a day without questions has no bar
    assert len(list(columns[0].iter(f"{SVG}rect"))) == 5 and len(list(columns[2].iter(f"{SVG}rect"))) == 1
    assert heights[0] == pytest.approx(heights[2] * 8 / 7, rel=1e-3)  # 8 questions against 7
    assert [t.text for t in columns[0].iter(f"{SVG}title")][:2] == ["Mar 9: 8", "Mar 9: 3 answered"]
    # The axis: 0 to 8 in steps of 2, the 8 questions reaching its top.
    grid = [t.text for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert grid == ["0", "2", "4", "6", "8"]
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text == (
        "15 questions from Mar 9 2026 to Mar 11 2026: "
        "10 answered, 1 suggested, 2 queued, 1 chit-chat, 1 other."
    )


def test_a_year_of_days_labels_at_most_a_dozen() -> None:
    year = [DayCount(date(2026, 1, 1) + timedelta(days=i), answered=i % 5) for i in range(366)]
    root = parse(questions_per_day_chart(year))
    labels = [t for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "middle"]
    assert 1 < len(labels) <= 12
    assert len([g for g in root.iter(f"{SVG}g") if g.get("class") == "cb-column"]) == 366


@pytest.mark.parametrize(
    ("highest", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (100, [0, 50, 100]),
        (101, [0, 50, 100, 150]),
    ],
)
def test_axis_ticks_are_whole_and_reach_the_highest(highest: int, ticks: list[int]) -> None:
    assert _ticks(highest) == ticks


def test_a_chart_id_cannot_break_out_of_its_attribute() -> None:
    root = parse(stacked_columns("t", "d", [], [], chart_id='x" onload="alert(1)'))
    assert root.get("onload") is None
    title = root.find(f"{SVG}title")
    assert title is not None and title.get("id") == "x--onload--alert-1--title"


def test_tables_hold_the_charts_figures() -> None:
    root = parse(questions_per_day_table(DAYS))
    rows = [[cell.text for cell in tr] for tr in root.iter("tr")]
    assert rows[0] == ["Day", "Answered", "Suggested", "Queued", "Chit-chat", "Other", "Total"]
    assert rows[1:] == [
        ["2026-03-09", "3", "1", "2", "1", "1", "8"],
        ["2026-03-10", "0", "0", "0", "0", "0", "0"],
        ["2026-03-11", "7", "0", "0", "0", "0", "7"],
    ]
    votes = [[cell.text for cell in tr] for tr in parse(feedback_table(VOTES)).iter("tr")]
    assert votes[2] == ["Another claim", "0", "1"]
    claims = [[cell.text for cell in tr] for tr in parse(most_asked_table(CLAIMS)).iter("tr")]
    assert claims[1][1:] == ["review item", "open", "5", "1", "up"]
    for empty in (questions_per_day_table([]), most_asked_table([]), feedback_table([])):
        assert parse(empty).find("tbody") is not None
