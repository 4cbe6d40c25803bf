"""Words of one sense align as one word, for chat questions; words of the same kind do not, and a
chat question that puts one in the claim word's place says so."""

from __future__ import annotations

import pytest

from bot.matching import MatchDocument, Matcher
from bot.matching.alignment import align
from bot.matching.normalise import tokens
from bot.matching.synonyms import same_kind, same_sense

from .test_verifier import _benchmark_module


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("booze", "alcohol"),  # a liquor is an alcohol: one step up counts
        ("film", "movie"),
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


@pytest.mark.parametrize(
    ("a", "b"),
    [("cat", "dog"), ("car", "plane"), ("horse", "dog"), ("elephant", "lion"), ("calculator", "flashlight")],
)
def test_sister_terms_are_words_of_one_kind(a: str, b: str) -> None:
    (ta,), (tb,) = tokens(a), tokens(b)
    assert same_kind(ta, tb) and same_kind(tb, ta)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("cat", "feline"),  # a cat is a feline: the kind itself, not a sister
        ("booze", "alcohol"),  # one sense
        ("cat", "cat"),
        ("world", "woman"),  # both only "physical entities": too general a kind to be one
        ("library", "church"),
        ("shoot", "arrest"),  # verbs: WordNet's verb kinds are too shallow to tell
    ],
)
def test_words_that_are_not_sisters(a: str, b: str) -> None:
    (ta,), (tb,) = tokens(a), tokens(b)
    assert not same_kind(ta, tb)


def test_a_chat_question_tells_a_substitution_of_a_sister_term() -> None:
    claim = tokens("a photograph shows joe biden's unusually large dog")
    cat = align(tokens("does a photograph show joe biden's unusually large cat"), claim, {}, 1.0, senses=True)
    assert cat.substitutions == (("cat", "dog"),) and cat.sister_substitution == 1.0
    huge = align(tokens("does a photograph show joe biden's unusually huge dog"), claim, {}, 1.0, senses=True)
    assert huge.substitutions and huge.sister_substitution == 0.0  # "huge" for "large" is no other thing
    pasted = align(tokens("does a photograph show joe biden's unusually large cat"), claim, {}, 1.0)
    assert pasted.sister_substitution == 0.0  # a long text's words are not read this way


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


def test_the_matcher_tells_a_sister_term_substituted() -> None:
    matcher = Matcher()
    matcher.upsert_many(
        [
            MatchDocument(1, "Marla Maples died in a plane crash"),
            MatchDocument(2, "Drinking bleach cures COVID-19"),
        ]
    )
    car, plane = (matcher.match(f"did marla maples die in a {word} crash")[0] for word in ("car", "plane"))
    assert car.fact_check_id == plane.fact_check_id == 1
    assert car.signals["v_sister_substitution"] == 1.0 and plane.signals["v_sister_substitution"] == 0.0


def test_the_matcher_does_not_align_a_long_texts_synonyms(starter: Matcher) -> None:
    # A pasted text has a word of some claim word's sense by chance: there "booze" stays its own word.
    text = (
        "my cousin sent this to the whole family group: {} protects you from covid, "
        "doctors in three countries say a glass every evening keeps the virus away"
    )
    booze, alcohol = (starter.match(text.format(word))[0] for word in ("booze", "alcohol"))
    assert "alcohol" in booze.phrasing.lower() and booze.fact_check_id == alcohol.fact_check_id
    assert booze.signals["v_unaligned_share"] > alcohol.signals["v_unaligned_share"]
