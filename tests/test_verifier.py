"""The learned answer check (bot/matching/verifier.py): shipped weights loaded and used, near misses
that change who or where not answered, a tune-set paraphrase answered, its probability and signals
in `claimbot ask --json`, and `claimbot matching fit` on a small database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.matching import MatchDocument, Matcher, Verifier, load_verifiers
from bot.matching.fitting import load_examples
from bot.matching.verifier import causal, hard_rules, passive, possessive_reordered, respelled_question
from tests.conftest import claimbot
from tests.test_matching import _benchmark_module, load_hand_corpus


@pytest.fixture(scope="module")
def hand() -> Matcher:
    matcher = Matcher()
    matcher.upsert_many(load_hand_corpus())
    return matcher


def test_shipped_weights_load_for_both_modes() -> None:
    verifiers = load_verifiers()
    assert set(verifiers) == {"lexical", "semantic"}
    for kind, verifier in verifiers.items():
        assert verifier.kind == kind and 0.0 < verifier.threshold < 1.0
        assert {"score", "align", "order_swap", "margin"} <= set(verifier.weights)
        assert "command" in verifier.meta  # how they were made
    assert {"cos_claim", "cos_title", "cos_summary"} <= set(verifiers["semantic"].weights)
    assert {"train", "dev", "tune", "heldout", "test"} <= set(load_examples()["lexical"])


def test_the_verifier_decides(hand: Matcher) -> None:
    question = "did the pope endorse trump"
    matches = hand.match(question)
    best = matches[0]
    assert best.signals["verifier"] >= best.signals["verifier_threshold"]
    assert hand.decide(matches) == "answer"
    # The same evidence with a verifier that never trusts it: not answered, though the ranking
    # score and the stage-2 rules would answer.
    base = load_verifiers()["lexical"]
    doubting = Matcher(verifiers={"lexical": Verifier("lexical", -50.0, base.weights, base.threshold)})
    doubting.upsert_many(load_hand_corpus())
    paraphrase = "did the pope really endorse donald trump"
    trusted, doubted = hand.match(paraphrase), doubting.match(paraphrase)
    assert doubted[0].fact_check_id == trusted[0].fact_check_id and doubted[0].score == trusted[0].score
    assert doubted[0].signals["verifier"] < 0.01
    assert doubting.decide(doubted) != "answer"
    # The stored claim asked word for word is answered whatever the verifier says.
    assert doubting.decide(doubting.match(question)) == "answer"


@pytest.mark.parametrize(
    "question",
    [
        "did trump endorse the pope",  # who did what to whom, turned around
        "did the pope endorse biden",  # who
        "is it illegal to collect rainwater in colorado",  # where
    ],
)
def test_near_miss_changing_who_or_where_is_not_answered(hand: Matcher, question: str) -> None:
    assert hand.decide(hand.match(question)) != "answer"


def test_who_did_what_order_is_a_signal_and_a_passive_keeps_it() -> None:
    matcher = Matcher()
    matcher.upsert_many(
        [
            MatchDocument(1, "Joe Biden has endorsed Mitt Romney for President."),
            MatchDocument(2, "A New York City police officer arrested an ICE agent"),
        ]
    )
    same = matcher.match("did joe biden endorse mitt romney for president")
    swapped = matcher.match("did mitt romney endorse joe biden for president")
    turned = matcher.match("was mitt romney endorsed by joe biden for president")
    assert same[0].fact_check_id == swapped[0].fact_check_id == turned[0].fact_check_id == 1
    assert same[0].signals["v_role_swap"] == 0.0 and swapped[0].signals["v_role_swap"] >= 0.5
    assert turned[0].signals["v_role_swap"] < 0.5  # the passive puts the doer last
    assert matcher.decide(swapped) != "answer"
    assert (
        matcher.match("did an ice agent arrest a new york city police officer")[0].signals["v_order_swap"]
        > 0.5
    )


@pytest.fixture(scope="module")
def chat() -> tuple[Matcher, dict[str, int]]:
    bench = _benchmark_module()
    docs, key_to_id = bench.chat_corpus(bench.load_corpus())
    matcher = Matcher()
    matcher.upsert_many(docs)
    return matcher, key_to_id


@pytest.mark.parametrize(
    ("question", "key"),
    [
        ("does eating asparagus prevent a hangover", "vclaim-sno-asparagus-prevents-hangover"),
        ("did joe biden endorse mitt romney for president", "vclaim-sno-biden-endorses-romney-for-president"),
    ],
)
def test_tune_paraphrase_is_answered(chat: tuple[Matcher, dict[str, int]], question: str, key: str) -> None:
    bench = _benchmark_module()
    assert {"text": question, "kind": "paraphrase", "fact_check": key} in bench.read_chat("tune")
    matcher, key_to_id = chat
    matches = matcher.match(question)
    assert matches[0].fact_check_id == key_to_id[key]
    assert matcher.decide(matches) == "answer", matches[0].signals


def test_ask_json_shows_probability_and_signals(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ask.db'}"
    payload = json.loads(claimbot("ask", "--json", "did a NYC cop arrest an ICE agent", db=db).stdout)
    assert payload["outcome"] == "answer"
    verifier = payload["verifier"]
    assert verifier["probability"] >= verifier["threshold"] > 0
    assert {"score", "margin", "align", "order_swap", "num_conflict", "rules_ok"} <= set(verifier["signals"])


def test_matching_fit_on_a_small_database_writes_weights(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'fit.db'}"
    question = "did the city of Springfield ban skateboards in 2026"
    asked = json.loads(claimbot("ask", "--json", "--send-to-review", question, db=db).stdout)
    assert asked["outcome"] == "queued"
    # A moderator links it to a stored fact-check: the question becomes one of its phrasings.
    linked = claimbot("review", "link", str(asked["review_id"]), "1", db=db)
    assert linked.returncode == 0, linked.stderr

    out = tmp_path / "verifier.json"
    fitted = claimbot("matching", "fit", "--output", str(out), db=db)
    assert fitted.returncode == 0, fitted.stderr
    assert "1 moderator phrasings" in fitted.stdout
    assert "[heldout] before" in fitted.stdout and "[heldout] after" in fitted.stdout
    written = json.loads(out.read_text())
    # Embeddings are on by default: the semantic model is the one refit.
    [refit] = [model for model in written.values() if "1 aliases" in model["trained_on"]]
    assert refit["weights"] and 0 < refit["threshold"] < 1
    # Workers load the refit when it is named; an unreadable one is a clear error, not a traceback.
    env = {"CLAIMBOT_VERIFIER_WEIGHTS": str(out)}
    again = json.loads(claimbot("ask", "--json", question, db=db, env=env).stdout)
    assert again["verifier"]["threshold"] == refit["threshold"]
    out.write_text("{not json")
    broken = claimbot("ask", "--json", question, db=db, env=env)
    assert broken.returncode != 0 and "verifier weights" in broken.stderr


# --- word alignment (bot/matching/alignment.py) -----------------------------------------------


def _aligned(question: str, claim: str):
    from bot.matching.alignment import align
    from bot.matching.normalise import tokens

    flipped = passive(question) != passive(claim)
    return align(tokens(question), tokens(claim), {}, 1.0, flipped, causal(question, claim))


def test_a_changed_word_is_a_substitution_a_misspelling_or_compound_is_not() -> None:
    changed = _aligned(
        "does swallowed gum stay in your stomach for seven days",
        "Swallowed chewing gum stays in your stomach for seven years",
    )
    assert changed.substitutions == (("day", "year"),) and changed.unaligned_share > 0
    for question, claim in [
        (
            "is tennessee offering a hail satan licence plate",
            "Tennessee is offering Hail Satan license plates",
        ),
        ("is there silly putty in chickfila sandwiches", "Chick-fil-A sandwiches contain Silly Putty"),
        ("peta hid messages in bricks at ballparks", "PETA hid messages in bricks at baseball parks"),
    ]:
        found = _aligned(question, claim)
        assert found.unaligned_max == 0.0 and not found.substitutions, question


def test_a_verb_next_to_a_name_is_not_taken_for_part_of_a_compound() -> None:
    # "shoot" + "immigration" once aligned to "immigration" (a joined pair read as a compound)
    found = _aligned(
        "did a new york city police officer shoot an ICE agent",
        "A New York City police officer arrested an ICE agent",
    )
    assert found.substitutions == (("shoot", "arrest"),)


def test_who_did_what_needs_a_pivot_and_codes_must_agree() -> None:
    assert _aligned("did trump endorse the pope", "Pope Francis endorsed Donald Trump").pivot_swap == 1.0
    assert _aligned("flat earth true or not", "The Earth is flat").pivot_swap == 0.0
    # "spread by": an irregular participle makes the question passive, so the order is kept
    assert (
        _aligned("is the coronavirus spread by 5g networks", "5G networks spread COVID-19").pivot_swap == 0.0
    )
    assert _aligned("does 4g spread covid", "Do 5G networks spread COVID-19?").code_conflict == 1.0
    assert _aligned("does 5g spread covid", "Do 5G networks spread COVID-19?").code_conflict == 0.0


def test_who_did_what_turned_round_with_the_verb_reworded_is_a_block_swap() -> None:
    claim = "A New York City police officer arrested an ICE agent"
    assert _aligned("did ice agents detain a new york city cop", claim).block_swap == 1.0
    assert _aligned("did a nyc cop detain an ice agent", claim).block_swap == 0.0
    assert _aligned("was an ice agent detained by a new york city cop", claim).block_swap == 0.0  # passive
    # a topic put first is no doer and done-to, and cause and effect can be told either way round
    assert (
        _aligned(
            "do covid vaccines contain microchips",
            "Bill Gates is putting tracking microchips in people through COVID-19 vaccines",
        ).block_swap
        == 0.0
    )
    assert (
        _aligned(
            "did the doe run lead smelting plant shutdown cause an ammunition shortage",
            "A mass ammunition shortage is expected because President Obama and the EPA shut down the "
            "Doe Run lead smelting plant",
        ).block_swap
        == 0.0
    )


def test_a_possessive_the_claim_writes_with_of_is_no_swap() -> None:
    """ "china's great wall" is "the Great Wall of China": the possessor put first is no role moved."""
    assert (
        possessive_reordered("from space you can see china's great wall right?", "the Great Wall of China")
        == "from space you can see great wall of china right?"
    )
    assert (
        possessive_reordered("can you see china's great\n\twall from space", "the Great Wall of China")
        == "can you see great wall of china from space"
    )
    matcher = Matcher()
    matcher.upsert_many(
        [
            MatchDocument(1, "Can you see the Great Wall of China from space?"),
            MatchDocument(2, "Trump's dog bit Joe Biden at a rally"),
            MatchDocument(3, "Astronauts photographed the Great Pyramid from orbit"),
        ]
    )
    wall = matcher.match("from space you can see china's great wall right?")[0]
    assert wall.fact_check_id == 1
    assert wall.signals["v_pivot_swap"] < 0.5 and hard_rules(
        {k[2:]: v for k, v in wall.signals.items() if k.startswith("v_")}
    )
    # No "of" in the claim: the possessive is a role, and turned round it stays a swap.
    assert possessive_reordered("did biden's dog bite trump", "Trump's dog bit Joe Biden") == (
        "did biden's dog bite trump"
    )
    dog = matcher.match("did joe biden's dog bite trump at a rally")[0]
    assert dog.fact_check_id == 2 and dog.signals["v_pivot_swap"] >= 0.5


def test_a_block_swap_is_never_answered_as_a_question() -> None:
    assert hard_rules({"short": 1.0})
    assert not hard_rules({"short": 1.0, "block_swap": 1.0})
    assert hard_rules({"short": 0.0, "block_swap": 1.0})  # a pasted text always says more


def test_questions_have_their_own_model_and_it_round_trips() -> None:
    from bot.matching.verifier import parse

    verifier = Verifier("lexical", -5.0, {"align": 1.0}, 0.5, {}, short_intercept=5.0, short_weights={})
    assert verifier.probability({"short": 1.0, "align": 1.0}) > 0.99
    assert verifier.probability({"short": 0.0, "align": 1.0}) < 0.05
    again = parse("lexical", verifier.to_json())
    assert again.short_intercept == 5.0 and again.short_weights == {}
    shipped = load_verifiers()["semantic"]
    assert shipped.short_weights and "substituted" in shipped.short_weights


def test_questions_have_their_own_threshold_and_it_round_trips() -> None:
    from bot.matching.verifier import parse

    verifier = Verifier("lexical", 0.0, {}, 0.9, short_intercept=0.0, short_weights={}, short_threshold=0.6)
    assert verifier.threshold_for({"short": 1.0}) == 0.6 and verifier.threshold_for({"short": 0.0}) == 0.9
    again = parse("lexical", verifier.to_json())
    assert again.short_threshold == 0.6 and again.threshold == 0.9
    # A refit written before questions had a threshold of their own keeps one threshold for all.
    older = verifier.to_json()
    del older["short"]["threshold"]  # type: ignore[attr-defined]
    assert parse("lexical", older).threshold_for({"short": 1.0}) == 0.9
    for shipped in load_verifiers().values():
        assert shipped.short_threshold is not None and 0.0 < shipped.short_threshold < 1.0


def test_thresholds_are_chosen_apart_for_questions_and_long_texts() -> None:
    from bot.matching.fitting import Example, fit_verifier

    def example(short: float, score: float, label: bool, kind: str, group: str) -> Example:
        return Example({"short": short, "score": score, "q_len": 0.5}, True, label, kind, group)

    # Questions: a near miss at score 0.6 and paraphrases above it. Tweets: one with its gold
    # removed at 0.9, which holds the long texts' threshold up and, chosen together, the questions'.
    tune = [example(1.0, 0.3 + 0.05 * i, True, "paraphrase", f"p{i}") for i in range(12)]
    tune += [example(1.0, 0.1 + 0.04 * i, False, "near_miss", f"n{i}") for i in range(60)]
    dev = [example(0.0, 0.95, True, "tweet", "t1"), example(0.0, 0.9, False, "gold_removed", "t1")]
    dev += [example(0.0, 0.2, False, "gold_removed", f"t{i}") for i in range(2, 60)]
    train = [example(0.0, 0.5 + 0.1 * (i % 5), i % 2 == 0, "tweet", f"w{i}") for i in range(20)]
    verifier = fit_verifier(train, tune, dev, "lexical", {})
    assert verifier.short_threshold is not None and verifier.short_threshold < verifier.threshold


def test_a_fact_check_of_the_same_claim_is_the_right_answer() -> None:
    # The starter's "10 percent of the brain" and CheckThat's "ten percent myth" tell one claim: an
    # answer with either is right, for its paraphrases and its near misses alike.
    bench = _benchmark_module()
    _, key_to_id = bench.starter_docs()
    key_to_id.update({"vclaim-sno-the-ten-percent-myth": 7, "vclaim-sno-carissa-malanitch": 8})
    groups = bench.same_claims(key_to_id)
    row = {"text": "do we only use 10% of our brain", "kind": "paraphrase"}
    gold = bench.chat_gold({**row, "fact_check": "starter:humans-use-10-percent-of-brain"}, key_to_id, groups)
    assert gold == {key_to_id["starter:humans-use-10-percent-of-brain"], 7}
    assert bench.chat_gold({**row, "fact_check": "vclaim-sno-carissa-malanitch"}, key_to_id, groups) == {8}
    assert bench.chat_gold({**row, "kind": "unrelated", "fact_check": None}, key_to_id, groups) == set()


def test_a_synonym_put_back_hardly_moves_the_question_a_changed_word_does() -> None:
    # Tune questions: paraphrases put back as the claim says them stay where they were; near misses
    # that change who or what move. (A tendency the verifier weighs, not a rule: MiniLM reads some
    # pairs wrongly, "booze" -> "alcohol" moves 0.15, "firefighter" -> "officer" 0.09.)
    from bot.matching.semantic import Encoder, semantic_available
    from bot.matching.verifier import swapped_questions

    if not semantic_available():
        pytest.skip("no sentence model installed")
    encoder = Encoder()

    def drift(question: str, claim: str) -> float:
        found = _aligned(question, claim)
        swapped = swapped_questions(question, claim, found.substitutions, {})
        vectors = encoder.encode([question, *swapped])
        return max(1.0 - float(vectors[0] @ v) for v in vectors[1:])

    synonyms = [
        drift("lightning never hits the same place twice?", "Lightning never strikes the same place twice"),
        drift("eiffel tower gets bigger in the summer heat", "The Eiffel Tower gets taller in summer"),
        drift("mRNA vaccine modifies DNA", "mRNA vaccines are capable of altering or damaging human DNA."),
    ]
    changed = [
        drift(
            "does a photograph show joe biden's unusually large cat",
            "A photograph shows Joe Biden's unusually large dog.",
        ),
        drift("can lightning strike a plane", "Lightning never strikes the same place twice"),
    ]
    assert max(synonyms) < min(changed), (synonyms, changed)


def test_the_model_learns_only_from_what_the_hard_rules_let_through() -> None:
    from bot.matching.fitting import Example, fit

    passing = [
        Example({"cos": 0.9, "short": 1.0}, True, True, "paraphrase", "a"),
        Example({"cos": 0.85, "short": 1.0}, True, True, "paraphrase", "b"),
        Example({"cos": 0.4, "short": 1.0}, True, False, "near_miss", "c"),
        Example({"cos": 0.5, "short": 1.0}, True, False, "near_miss", "d"),
    ]
    # a near miss the rules stop (who did what turned round) is never decided by the model
    blocked = Example({"cos": 0.99, "short": 1.0, "block_swap": 1.0}, False, False, "near_miss", "e")
    assert fit([*passing, blocked], "semantic") == fit(passing, "semantic")


def test_the_same_number_in_another_unit_is_a_conflict() -> None:
    from bot.matching.normalise import content_tokens, normalise
    from bot.matching.verifier import number_conflicts, unit_conflict

    def conflict(question: str, claim: str) -> float:
        return unit_conflict(content_tokens(normalise(question)), [content_tokens(normalise(claim))])

    gum = "Swallowed chewing gum stays in your stomach for seven years"
    assert conflict("does swallowed gum stay in your stomach for seven days", gum) == 1.0
    assert conflict("does gum stay in ur stomach 7 yrs", gum) == 0.0  # the same unit, written short
    assert conflict("do we only use 10% of our brains", "Humans use only 10 percent of their brains") == 0.0
    # An amount is written out ("4.6 billion" is 4600000000), so another magnitude is another number:
    # the number rule's business, not a unit's.
    worth = [content_tokens(normalise(t)) for t in ("reach 4.6 billion", "His net worth rose to $4.6m")]
    assert worth == [["reach", "4600000000"], ["net", "worth", "rose", "4600000"]]
    assert number_conflicts(*worth)[0] == 1.0
    assert conflict("did he say it 7 times", "He said it seven years ago") == 1.0
    assert conflict("was he 7", "He was seven years old") == 0.0  # no unit asked: nothing to contradict
    # the whole fact-check counts: a title without the amount, a claim that gives it in the same unit
    title, claim = (
        content_tokens(normalise("Did NASA ask Sally Ride about 100 tampons?")),
        content_tokens(
            normalise("NASA asked Sally Ride if 100 tampons would be enough for two weeks in space")
        ),
    )
    asked = content_tokens(normalise("would 100 tampons last two months"))
    assert unit_conflict(asked, [title]) == 0.0 and unit_conflict(asked, [title, claim]) == 1.0
    same = content_tokens(normalise("would 100 tampons last 2 weeks"))
    assert unit_conflict(same, [title, claim, content_tokens(normalise("two months later"))]) == 0.0
    assert not hard_rules({"short": 1.0, "unit_conflict": 1.0})
    assert hard_rules({"short": 0.0, "unit_conflict": 1.0})  # a pasted text always says more


@pytest.fixture(scope="module")
def starter_semantic() -> Matcher:
    from bot.matching.semantic import Encoder, semantic_available

    if not semantic_available():
        pytest.skip("no sentence model installed")
    docs, _ = _benchmark_module().starter_docs()
    matcher = Matcher(encoder=Encoder())
    matcher.upsert_many(docs)
    return matcher


def test_a_number_of_days_is_not_answered_with_a_fact_check_about_years(starter_semantic: Matcher) -> None:
    matches = starter_semantic.match("does swallowed gum stay in your stomach for seven days")
    assert "gum" in matches[0].phrasing and "seven years" in matches[0].phrasing
    assert matches[0].signals["v_unit_conflict"] == 1.0
    assert starter_semantic.decide(matches) != "answer"
    assert (
        starter_semantic.decide(starter_semantic.match("does gum stay in your stomach for 7 years"))
        == "answer"
    )


def test_a_word_the_catalogue_never_saw_is_read_as_the_claim_spells_it() -> None:
    claim = "A mass ammunition shortage is expected because the EPA shut down the Doe Run lead smelting plant"
    # corrected by the index, or the claim's word misspelt: written as the claim writes it
    assert (
        respelled_question(
            "vacines cause autisim?", {"vacin", "autisim"}, {"vacin": "vaccin"}, "Vaccines cause autism"
        )
        == "Vaccines cause autism?"
    )
    # a correction the claim lacks ("smelter" -> "shelter") and a word the catalogue knows stay
    question = "did the epa shut the doe run lead smelter"
    assert respelled_question(question, {"smelter"}, {"smelter": "shelter"}, claim) == question
    assert (
        respelled_question("is the brothel fake", set(), {}, "The brother is fake") == "is the brothel fake"
    )


def test_a_misspelt_question_is_encoded_as_the_claim_spells_it(starter_semantic: Matcher) -> None:
    # Written as typed, the sentence model reads "vacines" and "autisim" as other word pieces
    # (cosine 0.32 with the claim): the verifier's cosines are those of the question respelled.
    matches = starter_semantic.match("vacines cause autisim?")
    assert matches[0].phrasing == "Vaccines cause autism"
    assert matches[0].signals["v_cos_claim"] > 0.9
    assert matches[0].signals["v_cos"] > 0.9


def test_a_question_counted_as_chat_is_spelled_out_for_the_model(starter_semantic: Matcher) -> None:
    # Twelve words as typed, eleven once "vacines" is read as "vaccines": a chat question to the
    # verifier, so the sentence model must read it as one too ("ppl" written out).
    question = "ppl say vaccines vacines cause autism in kids, doctor from london hospital report study"
    encoder = starter_semantic.encoder
    assert encoder is not None
    seen: list[str] = []
    real_encode = encoder.encode

    def recording(texts):  # type: ignore[no-untyped-def]
        seen.extend(texts)
        return real_encode(texts)

    encoder.encode = recording  # type: ignore[method-assign]
    try:
        matches = starter_semantic.match(question)
    finally:
        del encoder.encode
    assert matches[0].signals["v_short"] == 1.0
    assert seen and seen[0].startswith("people say")


def test_a_drift_that_cannot_change_the_answer_is_not_encoded(starter_semantic: Matcher) -> None:
    # Every question here has a substituted word; the put-back questions are encoded only when
    # their drift could move the answer, and the answer is the one the exact figure gives.
    encoder = starter_semantic.encoder
    assert encoder is not None
    calls: list[int] = []
    real_encode = encoder.encode

    def counting(texts):  # the real model, counted
        calls.append(len(texts))
        return real_encode(texts)

    questions = [
        "lightning never hits the same house twice?",
        "eiffel tower gets bigger in the summer heat",
        "can lightning strike a plane",
        "did a nyc firefighter arrest an ice agent",
        "does the eiffel tower shrink in winter",
        "do vaccines cause adhd",
        "is the moon flat",
    ]
    bounds = []
    encoder.encode = counting  # type: ignore[method-assign]
    try:
        for question in questions:
            calls.clear()
            served = starter_semantic.match(question)
            served_calls = len(calls)
            exact = starter_semantic.match(question, exact=True)
            assert exact[0].signals.get("v_substituted"), question
            assert starter_semantic.decide(served) == starter_semantic.decide(exact), question
            bound = served[0].signals.get("verifier_bound")
            if bound is None:
                assert served[0].signals["verifier"] == exact[0].signals["verifier"]
                continue
            bounds.append(question)
            assert served_calls == len(calls) - served_calls - 1  # the exact one encoded one more batch
            p, bounded = exact[0].signals["verifier"], served[0].signals["verifier"]
            assert (p <= bounded) if bound > 0 else (p >= bounded), (question, p, bounded)
            assert "v_substitution_drift" not in served[0].signals
    finally:
        del encoder.encode
    assert bounds  # the shortcut was taken at least once


def test_a_bound_decides_only_where_no_drift_could_change_the_answer() -> None:
    from bot.matching.verifier import settled_without_drift

    verifier = Verifier(
        "semantic", 0.0, {"cos": 10.0, "substitution_drift": -3.0, "synonym_credit": 12.0}, 0.9
    )
    assert settled_without_drift(None, {"short": 1.0}) is None
    # far under the threshold even with no drift: the highest probability, an upper bound
    low = settled_without_drift(verifier, {"short": 1.0, "cos": -1.0})
    assert low == (verifier.probability({"cos": -1.0, "synonym_credit": 0.1}), True) and low[0] < 0.9
    # far over it even with the largest drift: the lowest, a lower bound
    high = settled_without_drift(verifier, {"short": 1.0, "cos": 1.5})
    assert high == (verifier.probability({"cos": 1.5, "substitution_drift": 2.0}), False) and high[0] >= 0.9
    # in between, the drift decides
    assert settled_without_drift(verifier, {"short": 1.0, "cos": 0.3}) is None
    # the hard rules stop it whatever the probability: its highest, an upper bound over the threshold
    stopped = settled_without_drift(verifier, {"short": 1.0, "cos": 1.5, "block_swap": 1.0})
    assert stopped == (verifier.probability({"cos": 1.5, "synonym_credit": 0.1}), True) and stopped[0] > 0.9
