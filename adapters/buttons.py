"""Buttons both chat adapters use: which buttons a core Reply or review item carries, and their data.

A button's data is `<prefix><kind>:<id>[:<id>]`: a short kind code and decimal ids (Telegram sends it
back as callback data, Discord as a persistent custom_id, so buttons keep working after a restart).
Every press is validated on the way back in; anything forged or garbled parses to None, and
`claimed_action` names what it pretended to be so the refusal is audited under that name.
Platforms lay the buttons out and label them their own way; what the buttons are, and what pressing
them sends, lives here once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum, unique
from typing import NamedTuple

from bot.answer_extras import NEXT_LABEL, PREVIOUS_LABEL, REASON_BUTTONS, ReportPage
from bot.domain.review import ReviewSummary
from bot.i18n import DEFAULT, translator
from bot.replies import ActionKind, Reply, choice_label

ID = re.compile(r"\d{1,19}")  # a database id: up to 19 digits fits a signed 64-bit integer


@unique  # two kinds on one code would read each other's presses
class ButtonKind(StrEnum):
    """What pressing a button does; the value is the code in the button's data."""

    NOT_WHAT_I_ASKED = "n"  # ids: request
    SUBSCRIBE = "s"  # notify me: request
    CHOOSE = "c"  # request, fact-check (a select menu sends the fact-check as its value)
    SEND_TO_REVIEW = "q"  # an unmatched claim, confirmed by its asker: request
    DECLINE = "nt"  # "no thanks": request
    PIN = "pin"  # no ids: the message pressed is the answer to pin
    MOD_LINK = "ml"  # review item, fact-check
    MOD_REJECT = "mr"  # review item
    # Review item and the draft revision the button was shown with; buttons posted before approvals named
    # a revision carry none, and pressing one shows the draft again.
    MOD_APPROVE = "ma"
    VOTE = "v"  # request, vote code (bot.domain.VOTE_CODES): 👍 / 👎
    REASON = "w"  # request, reason code (bot.domain.REASON_CODES): why a 👎
    REPORT = "r"  # fact-check, page (from 1): the full report in chat
    FOLLOW_UP = "fu"  # fact-check, follow-up question (from 0): ask it as the presser


# The moderator action each kind stands for, to audit forged or garbled presses by name.
AUDITED_ACTIONS = {
    ButtonKind.MOD_LINK: "link",
    ButtonKind.MOD_REJECT: "reject",
    ButtonKind.MOD_APPROVE: "approve",
    ButtonKind.PIN: "pin",
}


class Press(NamedTuple):
    """A validated button press: its kind and ids."""

    kind: ButtonKind
    ids: tuple[int, ...]


def utf8_size(data: str) -> int:
    return len(data.encode())


# How many ids each kind carries, the same on every platform; a platform adds or changes its own few
# (Discord's select menu sends the fact-check as its value; only Discord has a Pin button).
ID_COUNTS: dict[ButtonKind, tuple[int, ...]] = {
    ButtonKind.NOT_WHAT_I_ASKED: (1,),
    ButtonKind.SUBSCRIBE: (1,),
    ButtonKind.SEND_TO_REVIEW: (1,),
    ButtonKind.DECLINE: (1,),
    ButtonKind.CHOOSE: (2,),
    ButtonKind.MOD_LINK: (2,),
    ButtonKind.MOD_REJECT: (1,),
    ButtonKind.MOD_APPROVE: (1, 2),
    ButtonKind.VOTE: (2,),
    ButtonKind.REASON: (2,),
    ButtonKind.REPORT: (2,),
    ButtonKind.FOLLOW_UP: (2,),
}


@dataclass(frozen=True)
class ButtonData:
    """One platform's button data: a prefix, a size limit, and how many ids each kind it uses carries."""

    prefix: str
    max_size: int
    id_counts: Mapping[ButtonKind, tuple[int, ...]]
    size: Callable[[str], int] = utf8_size  # how the platform measures `max_size`

    def encode(self, kind: ButtonKind, *ids: int) -> str:
        data = ":".join([self.prefix + kind, *map(str, ids)])
        if len(ids) not in self.id_counts.get(kind, ()) or self.size(data) > self.max_size:
            raise ValueError(f"not valid button data here: {data!r}")
        return data

    def parse(self, data: str | None) -> Press | None:
        """The press for valid data; None for anything forged, garbled or not ours."""
        if not data or self.size(data) > self.max_size or not data.startswith(self.prefix):
            return None
        code, *ids = data.removeprefix(self.prefix).split(":")
        kind = next((k for k in self.id_counts if k == code), None)
        if kind is None or len(ids) not in self.id_counts[kind] or not all(ID.fullmatch(i) for i in ids):
            return None
        return Press(kind, tuple(int(i) for i in ids))

    def claimed_action(self, data: str | None) -> str:
        """The moderator action garbled data pretends to be (for the audit log), else "button"."""
        code = (data or "").removeprefix(self.prefix).split(":", 1)[0]
        return next((a for k, a in AUDITED_ACTIONS.items() if k == code), "button")


@dataclass(frozen=True)
class Button:
    """A platform-neutral button: pressing it sends `kind` and `ids` back, or it opens `url`."""

    label: str
    kind: ButtonKind | None = None
    ids: tuple[int, ...] = ()
    url: str | None = None


@dataclass(frozen=True)
class ReplyButtons:
    """The buttons under a Reply: one per suggested fact-check, then the reply's actions in order."""

    choices: tuple[Button, ...]
    actions: tuple[Button, ...]


# Ask before queueing: the asker's answer to "send it to our fact-checkers?"
ASKER_CHOICES = {ActionKind.SEND_TO_REVIEW: ButtonKind.SEND_TO_REVIEW, ActionKind.DECLINE: ButtonKind.DECLINE}


def reply_buttons(reply: Reply) -> ReplyButtons:
    """Choices need the request they answer; "Not what I asked" and "Notify me" name theirs."""
    choices = (
        tuple(
            Button(choice_label(c, reply.language), ButtonKind.CHOOSE, (reply.request_id, c.fact_check.id))
            for c in reply.choices
        )
        if reply.request_id is not None
        else ()
    )
    actions = []
    for action in reply.actions:
        if action.kind is ActionKind.FULL_REPORT and action.url:
            actions.append(Button(action.label, url=action.url))
        elif action.kind is ActionKind.NOT_WHAT_I_ASKED and action.request_id is not None:
            actions.append(Button(action.label, ButtonKind.NOT_WHAT_I_ASKED, (action.request_id,)))
        elif action.kind is ActionKind.NOTIFY and action.request_id is not None:
            actions.append(Button(action.label, ButtonKind.SUBSCRIBE, (action.request_id,)))
        elif action.kind is ActionKind.FULL_REPORT and action.fact_check_id is not None:
            actions.append(Button(action.label, ButtonKind.REPORT, (action.fact_check_id, 1)))
        elif action.kind in VOTES and action.request_id is not None:
            actions.append(Button(action.label, ButtonKind.VOTE, (action.request_id, VOTES[action.kind])))
        elif action.kind in ASKER_CHOICES and action.request_id is not None:
            actions.append(Button(action.label, ASKER_CHOICES[action.kind], (action.request_id,)))
    return ReplyButtons(choices, tuple(actions))


VOTES = {ActionKind.HELPFUL: 1, ActionKind.NOT_HELPFUL: 2}  # the codes of bot.domain.VOTE_CODES


def reason_buttons(request_id: int, language: str = DEFAULT) -> tuple[Button, ...]:
    """Under "What was wrong?" after a 👎: wrong claim, outdated, other, in the presser's language."""
    t = translator(language)
    return tuple(Button(t(label), ButtonKind.REASON, (request_id, code)) for code, label in REASON_BUTTONS)


@dataclass(frozen=True)
class PageButtons:
    """Under a page of a full report: previous / next, and on the last page its follow-up questions."""

    navigation: tuple[Button, ...]
    follow_ups: tuple[Button, ...]


def page_buttons(page: ReportPage) -> PageButtons:
    fact_check_id = page.report.fact_check_id
    t = translator(page.language)
    navigation = []
    if page.number > 1:
        navigation.append(Button(t(PREVIOUS_LABEL), ButtonKind.REPORT, (fact_check_id, page.number - 1)))
    if page.number < page.total:
        navigation.append(Button(t(NEXT_LABEL), ButtonKind.REPORT, (fact_check_id, page.number + 1)))
    follow_ups = tuple(
        Button(question, ButtonKind.FOLLOW_UP, (fact_check_id, index))
        for index, question in enumerate(page.follow_ups)
    )
    return PageButtons(tuple(navigation), follow_ups)


@dataclass(frozen=True)
class ReviewButtons:
    """The buttons under a review item: link a close fact-check, approve the draft, reject the item."""

    links: tuple[Button, ...]
    approve: Button | None
    reject: Button


def review_buttons(review: ReviewSummary) -> ReviewButtons:
    links = tuple(
        Button(
            f"Link #{c.fact_check.id}: {c.fact_check.claim}",
            ButtonKind.MOD_LINK,
            (review.id, c.fact_check.id),
        )
        for c in review.suggestions[:3]
    )
    approve = approve_button(review.id, review.draft.revision) if review.draft is not None else None
    return ReviewButtons(links, approve, Button("Reject", ButtonKind.MOD_REJECT, (review.id,)))


def approve_button(item: int, revision: int) -> Button:
    """Under a drafted verdict: it approves the revision shown beside it, and no later one."""
    return Button(f"Approve revision {revision}", ButtonKind.MOD_APPROVE, (item, revision))
