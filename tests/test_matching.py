"""Tests of bot.matching: normalisation, the incremental index, decisions on a small hand corpus,
and a ranking-quality floor on the CheckThat dev split (benchmarks/data/checkthat2022-2a-en)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import numpy as np
import pytest

from bot.matching import (
    DEFAULT_THRESHOLDS,
    SEMANTIC_THRESHOLDS,
    Encoder,
    Match,
    MatchDocument,
    Matcher,
    Thresholds,
    is_chitchat,
    normalise,
    question_similarity,
)
from bot.matching.normalise import spelled_out

HERE = Path(__file__).resolve().parent
HAND_CORPUS = HERE / "data" / "matching" / "hand_corpus.jsonl"
ROOT = HERE.parent


def load_hand_corpus() -> list[MatchDocument]:
    with open(HAND_CORPUS, encoding="utf-8") as fh:
        return [MatchDocument(**json.loads(line)) for line in fh if line.strip()]


@pytest.fixture(scope="module")
def hand() -> Matcher:
    matcher = Matcher()
    matcher.upsert_many(load_hand_corpus())
    return matcher


# --- normalise ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "Did a NYC cop arrest an ICE agent?",
            "a new york city police officer arrest an immigration and customs enforcement agent",
        ),
        ("wait nypd arrested ice??", "new york city police arrested immigration and customs enforcement"),
        ("Is it true that the CDC said so", "the centers for disease control said so"),
        ("I heard the U.S. banned it", "the united states banned it"),
        ("The USA and the UK", "the united states and the united kingdom"),
        ("I love ice cream", "i love ice cream"),
        ("COVID-19 and the coronavirus", "covid and the covid"),
        ("#BlackLivesMatter rally", "black lives matter rally"),
        ("Ｆｕｌｌｗｉｄｔｈ TEXT", "fullwidth text"),
        # amounts as askers write them, and as claims do
        ("a 31k dining set", "a 31000 dining set"),
        ("a $31,000 dining set", "a 31000 dining set"),
        ("worth 4.6 million", "worth 4600000"),
        ("worth $4.6m", "worth 4600000"),
        ("a £1.5bn deal", "a 1500000000 deal"),
        ("the 100m final", "the 100m final"),  # no currency sign: metres, not millions
        ("tied up for 26 hrs", "tied up for 26 hours"),
        # abbreviations chat uses for a claim's names and words
        ("aoc at the sotu", "alexandria ocasio cortez at the state of the union"),
        ("hcq cures covid", "hydroxychloroquine cures covid"),
        ("the sf school board", "the san francisco school board"),
        ("lds church", "mormon church"),
        ("tactical nuke", "tactical nuclear weapon"),
        ("NYPD cuffs ICE agent", "new york city police arrests immigration and customs enforcement agent"),
        # asking whether a claim holds is no part of it
        ("is it a myth that we use 10% of our brains", "we use 10 percent of our brains"),
        ("is there any truth to the claim that 5g spreads covid", "5g spreads covid"),
        ("lightning never strikes twice, myth or fact?", "lightning never strikes twice"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("NYPD cuffs ICE agent", "new york city police arrests ICE agent"),
        ("did u see the cops, ppl say 26 hrs", "did you see the police officers, people say 26 hours"),
        ("u.s. vax in the UK", "u.s. vaccine in the united kingdom"),  # the "u" of "u.s." is no "you"
        ("seven years", "seven years"),  # the model knows number words
        ("is R. Kelly out of prison", "is R. Kelly out of prison"),  # an initial, not "are"
        ("a torn rotator cuff", "a torn rotator cuff"),
        ("the NYPD's cops", "the new york city police's police officers"),
    ],
)
def test_a_chat_question_is_spelled_out_for_the_sentence_model(raw: str, expected: str) -> None:
    assert spelled_out(raw) == expected


def test_normalise_strips_tweet_noise() -> None:
    # Links, the handle and date of the signature go; the author's name and handle words stay
    # (claims are often about what that person said: +2 MAP@5 points on CheckThat dev).
    tweet = (
        "Illinois GOP bill attacks single moms https://t.co/wDGczl94dF pic.twitter.com/abc @JaneDoe "
        "— Morgan Fairchild (@morgfair) February 25, 2016"
    )
    assert normalise(tweet) == "illinois republican bill attacks single moms jane doe morgan fairchild"


def test_normalise_who_only_in_capitals() -> None:
    assert "world health organization" in normalise("WHO says masks work")
    assert "world health organization" not in normalise("who says masks work")


# --- chit-chat and empty input --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["hi", "Hello!", "thanks", "thank you so much", "what can you do?", "/start", "👋"]
)
def test_chitchat(text: str, hand: Matcher) -> None:
    assert is_chitchat(text)
    assert hand.match(text) == []


@pytest.mark.parametrize("text", ["did a nyc cop arrest an ice agent", "hi, is the moon landing fake?"])
def test_not_chitchat(text: str) -> None:
    assert not is_chitchat(text)


@pytest.mark.parametrize("text", ["", "   ", "?!"])
def test_empty_text_has_no_matches(text: str, hand: Matcher) -> None:
    assert hand.match(text) == []
    assert hand.decide([]) == "queued"


# --- the index ------------------------------------------------------------------------------------


def test_upsert_remove_visible_immediately() -> None:
    matcher = Matcher()
    assert len(matcher) == 0 and matcher.match("moon landing faked") == []
    matcher.upsert(MatchDocument(1, "The moon landing was faked"))
    matcher.upsert(MatchDocument(2, "Drinking bleach cures COVID-19"))
    assert len(matcher) == 2
    assert matcher.match("was the moon landing faked")[0].fact_check_id == 1

    matcher.upsert(MatchDocument(1, "Sharks swim on flooded highways"))  # replace, same id
    assert len(matcher) == 2
    assert all(m.fact_check_id != 1 for m in matcher.match("was the moon landing faked"))
    assert matcher.match("shark on the highway")[0].fact_check_id == 1

    matcher.remove(1)
    matcher.remove(1)  # removing twice is harmless
    assert len(matcher) == 1
    assert matcher.match("shark on the highway") == []


def test_an_amount_in_shorthand_is_the_claims_figure() -> None:
    # "31k" against "$31,000": the same number, so neither a number the fact-check never mentions
    # nor a word the catalogue has hardly seen stops the answer.
    matcher = Matcher()
    matcher.upsert(MatchDocument(1, "Ben Carson bought a $31,000 dining set and billed it to HUD"))
    matcher.upsert(MatchDocument(2, "Drinking bleach cures COVID-19"))
    best = matcher.match("did ben carson buy a 31k dining set")[0]
    assert best.fact_check_id == 1
    assert best.signals["num_missing"] == 0.0 and best.signals["v_unaligned_share"] == 0.0


def test_aliases_are_phrasings() -> None:
    matcher = Matcher()
    matcher.upsert(MatchDocument(7, "The Eiffel Tower will be demolished in 2026"))
    assert matcher.match("paris landmark to be bulldozed") == []
    matcher.upsert(
        MatchDocument(7, "The Eiffel Tower will be demolished in 2026", aliases=("paris landmark bulldozed",))
    )
    best = matcher.match("paris landmark to be bulldozed")[0]
    assert best.fact_check_id == 7 and best.phrasing == "paris landmark bulldozed"
    matcher.upsert(MatchDocument(7, "The Eiffel Tower will be demolished in 2026"))  # alias dropped again
    assert matcher.match("paris landmark to be bulldozed") == []


def test_match_shape(hand: Matcher) -> None:
    matches = hand.match("do covid vaccines contain microchips", top_k=3)
    assert 1 <= len(matches) <= 3
    assert len({m.fact_check_id for m in matches}) == len(matches)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    for m in matches:
        assert isinstance(m, Match) and 0.0 <= m.score <= 1.0
        assert {"bm25", "q_cov", "p_cov", "fuzz"} <= set(m.signals)
    assert matches[0].fact_check_id == 2
    assert hand.match("do covid vaccines contain microchips", top_k=0) == []


def test_concurrent_upsert_and_match() -> None:
    matcher = Matcher()
    docs = load_hand_corpus()
    matcher.upsert_many(docs)
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for i in range(300):
                matcher.upsert(MatchDocument(1000 + i, f"claim number {i} about the moon landing"))
                if i % 3 == 0:
                    matcher.remove(1000 + i)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    for _ in range(300):
        matcher.match("was the moon landing faked")
    thread.join()
    assert not errors
    assert len(matcher) == len(docs) + 200


class BagOfWordsEncoder:
    """A stand-in for the sentence encoder: hashed bag of words, so the vector plumbing is tested
    without torch.  Its vocabulary-free "semantics": synonyms listed here land on one dimension."""

    name = "bag-of-words"
    dimensions = 64
    synonyms = {"bulldozed": "demolished", "landmark": "tower", "paris": "eiffel"}

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in normalise(text).split():
                word = self.synonyms.get(word, word)
                out[row, zlib.crc32(word.encode()) % self.dimensions] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)

    def encode_documents(self, docs: list[MatchDocument]) -> np.ndarray:
        return self.encode([f"{d.claim} {d.title}" for d in docs])


def test_vectors_rank_candidates_without_shared_words() -> None:
    encoder = BagOfWordsEncoder()
    matcher = Matcher(encoder=encoder)  # type: ignore[arg-type]
    docs = load_hand_corpus()
    matcher.upsert_many(docs, list(encoder.encode_documents(docs)))  # precomputed, as the store keeps them
    assert matcher.thresholds == SEMANTIC_THRESHOLDS
    best = matcher.match("paris landmark bulldozed")[0]
    assert best.fact_check_id == 6 and best.signals["cos"] > 0.3
    matcher.upsert(MatchDocument(99, "Sharks were seen on a highway"))  # no vector: the encoder makes one
    assert matcher.match("sharks on the highway")[0].fact_check_id in (12, 99)
    matcher.remove(6)
    assert all(m.fact_check_id != 6 for m in matcher.match("paris landmark bulldozed"))
    with pytest.raises(ValueError):
        matcher.upsert_many(docs[:2], [None])


def test_real_encoder_shapes() -> None:
    vectors = Encoder().encode(
        ["did a nyc cop arrest an ice agent", "a new york police officer arrested an ice agent"]
    )
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert float(vectors[0] @ vectors[1]) > 0.6


# --- decisions on the hand corpus -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "fact_check_id"),
    [
        ("did a NYC cop arrest an ICE agent", 1),
        ("wait nypd arrested ice??", 1),
        ("is it true that cops in new york cuffed an immigration agent", 1),
        ("do covid vaccines contain microchips?", 2),
        ("is 5G spreading the coronavirus", 3),
        ("I heard drinking bleach cures covid", 4),
        ("will the eiffel tower be demolished?", 6),
        ("did the pope endorse trump", 15),
        ("is it illegal to collect rainwater in oregon", 14),
    ],
)
def test_paraphrases_answered(hand: Matcher, question: str, fact_check_id: int) -> None:
    matches = hand.match(question)
    assert matches[0].fact_check_id == fact_check_id
    assert hand.decide(matches) == "answer", matches[0]


@pytest.mark.parametrize(
    "question",
    [
        "did an NYPD officer arrest a subway fare evader",
        "did ICE arrest a NYC councilman",
        "did the pope endorse biden",
        "does garlic cure cancer",
        "is it illegal to collect rainwater in colorado",
        "is drinking bleach safe",
        "did the FBI raid the home of the mayor of new york",
        "is the flu vaccine safe for kids",
    ],
)
def test_near_misses_not_answered(hand: Matcher, question: str) -> None:
    assert hand.decide(hand.match(question)) != "answer"


@pytest.mark.parametrize("question", ["what time is the football game tonight", "best pizza in town?"])
def test_unrelated_queued(hand: Matcher, question: str) -> None:
    assert hand.decide(hand.match(question)) == "queued"


def test_decide_rules() -> None:
    matcher = Matcher(Thresholds(answer=0.9, suggest=0.5))
    sure = {"claim_q_cov": 1.0, "q_missing": 0.0, "p_cov": 1.0, "name_missing": 0.0, "num_missing": 0.0}
    assert matcher.decide([Match(1, 0.95, "x", sure)]) == "answer"
    assert matcher.decide([Match(1, 0.95, "x", sure), Match(2, 0.93, "y", sure)]) == "suggest"  # ambiguous
    for weak in (
        {"claim_q_cov": 0.5},  # the question says more than the claim
        {"q_missing": 0.9},  # a specific question word the claim lacks
        {"p_cov": 0.1},  # the question barely touches the claim
        {"name_missing": 1.0},  # a name the claim never mentions
        {"num_missing": 1.0},  # a number the fact-check never mentions
    ):
        assert matcher.decide([Match(1, 0.95, "x", {**sure, **weak})]) == "suggest", weak
    assert matcher.decide([Match(1, 0.6, "x", sure)]) == "suggest"
    assert matcher.decide([Match(1, 0.2, "x", sure)]) == "queued"
    assert 0.0 < DEFAULT_THRESHOLDS.suggest < DEFAULT_THRESHOLDS.answer <= 1.0


# --- question clustering --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("did nypd arrest an ice agent", "is it true a new york cop arrested an immigration agent"),
        ("Is 5G spreading covid?", "i heard 5g spreads the coronavirus"),
        ("did the pope endorse trump??", "Pope endorsed Trump, is that true"),
    ],
)
def test_question_similarity_same_claim(a: str, b: str) -> None:
    assert question_similarity(a, b) >= 0.72


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("did nypd arrest an ice agent", "does garlic cure cancer"),
        ("is 5G spreading covid?", "did the pope endorse trump"),
        ("was the moon landing faked", "is the eiffel tower being demolished"),
    ],
)
def test_question_similarity_unrelated(a: str, b: str) -> None:
    assert question_similarity(a, b) < 0.5


def test_question_similarity_bounds() -> None:
    assert question_similarity("same words here", "same words here") == pytest.approx(1.0)
    assert question_similarity("", "anything") == 0.0


# --- regression floor on CheckThat dev ------------------------------------------------------------


def _benchmark_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "claimbot_matching_benchmark", ROOT / "benchmarks" / "matching.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_checkthat_dev_floor() -> None:
    bench = _benchmark_module()
    corpus = bench.load_corpus()
    matcher, _, _ = bench.build(corpus)
    split = bench.load_split("dev", corpus)
    results, _ = bench.run_queries(matcher, split)
    golds = [split.gold[q] for q, _ in split.queries]
    figures = bench.ranking_figures([[m.fact_check_id for m in r] for r in results], golds)
    # measured 0.919 / 0.899 (lexical)
    assert figures["MAP@5"] >= 0.90, figures
    assert figures["P@1"] >= 0.88, figures
    answers = bench.answer_figures(matcher, results, golds)
    assert answers["precision"] >= 0.95, answers


def test_chat_dev_no_wrong_answers() -> None:
    """Chat-style questions (benchmarks/data/chat_dev.jsonl) against the starter fact-checks and
    2k CheckThat claims: no wrong answer, and most paraphrases answered (measured 44 of 68)."""
    bench = _benchmark_module()
    docs, key_to_id = bench.chat_corpus(bench.load_corpus())
    matcher = Matcher()
    matcher.upsert_many(docs)
    figures = bench.chat_report(matcher, key_to_id, "dev", verbose=False)
    assert figures["wrong_rate"] == 0.0, figures
    assert figures["negatives_answered"] <= 0.02, figures
    assert figures["paraphrase_answered_right"] >= 0.55, figures


def test_a_claim_asked_word_for_word_is_whole_whatever_the_last_bits_of_its_coverage() -> None:
    # p_cov came out 1.0 or 0.9999999999999999 by the hash seed (a float sum in the order of the
    # question's terms), so `claimbot ask "<the stored claim>"` answered in one run, suggested in the next
    from bot.matching.matcher import _word_for_word
    from bot.matching.model import Match

    signals = {"fuzz": 1.0, "q_cov": 1.0, "p_cov": 0.9999999999999999}
    signals |= {"v_order_swap": 0.0, "v_role_swap": 0.0}
    assert _word_for_word(Match(1, 0.9, "x", signals))
    assert not _word_for_word(Match(1, 0.9, "x", {**signals, "p_cov": 0.98}))


def test_which_words_are_corrected_does_not_depend_on_the_hash_seed() -> None:
    """Spelling correction stops at MAX_CORRECTIONS words: the first ones of the question, in every
    process (a set's order would change with PYTHONHASHSEED, and so would the answer)."""
    script = (
        "from bot.matching import Matcher, MatchDocument\n"
        "m = Matcher()\n"
        "m.upsert_many([MatchDocument(1, 'vaccines autism microchips hydroxychloroquine ivermectin')])\n"
        "print(m._correct_spelling(['vacin', 'autizm', 'microchipz', 'hydroxycloroquin', 'ivermectim']))\n"
    )
    seen = set()
    for seed in range(6):
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            cwd=Path(__file__).resolve().parent.parent,
        )
        seen.add(done.stdout.strip())
    assert seen == {"['vaccin', 'autism', 'microchip', 'hydroxycloroquin', 'ivermectim']"}
