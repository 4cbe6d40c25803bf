"""Words of one sense align as one word, for chat questions; words of the same kind do not."""

from __future__ import annotations

import pytest

from bot.matching import Matcher
from bot.matching.alignment import align
from bot.matching.normalise import tokens
from bot.matching.synonyms import same_sense

from .test_verifier import _benchmark_module


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("booze", "alcohol"),  # a liquor is an alcohol: one step up counts
        ("ammo", "ammunition"),
        ("photo", "photograph"),
        ("hits", "strikes"),
        ("bought", "buy"),  # an irregular form and its base
        ("backs", "endorses"),
        ("kid", "child"),
    ],
)
def test_words_of_one_sense(a: str, b: str) -> None:
    (ta,), (tb,) = tokens(a), tokens(b)
    assert same_sense(ta, tb) and same_sense(tb, ta)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("cat", "dog"),  # both carnivores: sister terms, the near miss's substitution
        ("paramedic", "officer"),
        ("days", "years"),  # "days" as a lifetime is the plural's own sense, not the singular's
        ("car", "plane"),
        ("horse", "dog"),
        ("library", "church"),
        ("moon", "earth"),
    ],
)
def test_words_of_the_same_kind_are_not_one_sense(a: str, b: str) -> None:
    (ta,), (tb,) = tokens(a), tokens(b)
    assert not same_sense(ta, tb)


def test_a_synonym_is_a_counterpart_only_for_a_chat_question() -> None:
    question, claim = tokens("can booze protect you from covid"), tokens("alcohol protects against covid")
    chat = align(question, claim, {}, 1.0, senses=True)
    assert chat.unaligned_share == 0.0 and chat.claim_unaligned_share == 0.0 and not chat.substitutions
    pasted = align(question, claim, {}, 1.0)
    assert pasted.substitutions == (("booz", "alcohol"),)


@pytest.fixture(scope="module")
def starter() -> Matcher:
    docs, _ = _benchmark_module().starter_docs()
    matcher = Matcher()
    matcher.upsert_many(docs)
    return matcher


def test_the_matcher_aligns_a_chat_questions_synonyms(starter: Matcher) -> None:
    best = starter.match("can booze protect you from covid")[0]
    assert "alcohol" in best.phrasing.lower()
    assert best.signals["v_unaligned_share"] == 0.0 and best.signals["v_substituted"] == 0.0


def test_the_matcher_does_not_align_a_long_texts_synonyms(starter: Matcher) -> None:
    # A pasted text has a word of some claim word's sense by chance: there "booze" stays its own word.
    text = (
        "my cousin sent this to the whole family group: {} protects you from covid, "
        "doctors in three countries say a glass every evening keeps the virus away"
    )
    booze, alcohol = (starter.match(text.format(word))[0] for word in ("booze", "alcohol"))
    assert "alcohol" in booze.phrasing.lower() and booze.fact_check_id == alcohol.fact_check_id
    assert booze.signals["v_unaligned_share"] > alcohol.signals["v_unaligned_share"]
