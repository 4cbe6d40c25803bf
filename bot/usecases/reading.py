"""Reading a message for the asking use case: a short question is matched as it is; a pasted article
(bot/articles.py) is matched sentence by sentence, its best one to three answers kept.

Matching only: the decision comes back as a `Reading`, and asking stores it. The short-question path
is the matcher's, unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.articles import checkworthy, claim_clause, focus, is_article
from bot.domain import OutcomeKind
from bot.matching import Match, Matcher

TOP_K = 5
MAX_ANSWERS = 3  # fact-checks answered in one message for an article


@dataclass(frozen=True)
class Reading:
    kind: OutcomeKind  # answer, suggest or queued
    matches: list[Match]  # best first; for an answer the first is the answer
    more_answers: list[Match] = field(default_factory=list)  # an article's further answers
    excerpt: str | None = None  # an article's sentence that matched, or the one to send to reviewers


def read(matcher: Matcher, text: str) -> Reading:
    """Match a message: as a question, or, for a long paste, as its most check-worthy sentences."""
    if not is_article(text):
        matches = matcher.match(text, top_k=TOP_K)
        return Reading(OutcomeKind(matcher.decide(matches)), matches)
    # The whole text first: a tweet-length paste is what the long-text rules were fitted on.
    attempts: list[tuple[str | None, list[Match]]] = [(None, matcher.match(text, top_k=TOP_K))]
    for sentence in checkworthy(text):
        attempts.append((sentence.text, matcher.match(sentence.text, top_k=TOP_K)))
        clause = claim_clause(sentence.text)
        if clause is not None:
            attempts.append((sentence.text, matcher.match(clause, top_k=TOP_K)))
    answered: dict[int, tuple[Match, str | None]] = {}
    pooled: dict[int, Match] = {}
    for sentence, matches in attempts:
        if matches and matcher.decide(matches) == OutcomeKind.ANSWER.value:
            best = matches[0]
            held = answered.get(best.fact_check_id)
            if held is None or best.score > held[0].score:
                answered[best.fact_check_id] = (best, sentence)
        for match in matches:
            if match.fact_check_id not in pooled or match.score > pooled[match.fact_check_id].score:
                pooled[match.fact_check_id] = match
    ranked = sorted(pooled.values(), key=lambda m: -m.score)
    if answered:
        order = sorted(answered.values(), key=lambda pair: -pair[0].score)
        best, sentence = order[0]
        rest = [m for m in ranked if m.fact_check_id != best.fact_check_id]
        more = [m for m, _ in order[1:MAX_ANSWERS]]
        return Reading(OutcomeKind.ANSWER, [best, *rest], more, sentence or focus(text))
    close = ranked and ranked[0].score >= matcher.thresholds.suggest
    kind = OutcomeKind.SUGGEST if close else OutcomeKind.QUEUED
    return Reading(kind, ranked[:TOP_K], excerpt=focus(text))
