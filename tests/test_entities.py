"""Which question words are names (bot/matching/entities.py), and when a fact-check mentions one.

A name the fact-check never mentions keeps a question from being answered (the verifier's hard
rule), so a word taken for a name wrongly ("towers") or a name missed in another form ("Iranian")
turns a paraphrase into a suggestion.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.matching import MatchDocument, Matcher
from bot.matching.entities import name_evidence, name_forms
from bot.matching.segment import Segment
from bot.matching.segment_writer import write_changes

# "Tower" is capitalised in two of the three fact-checks that contain it, as part of a name; the
# third writes "cell towers" in lower case.
TOWERS = [
    MatchDocument(1, "Trump Tower was sold to a Saudi prince", "Was Trump Tower Sold?", ""),
    MatchDocument(2, "Tourists climbed the Eiffel Tower during the strike", "", ""),
    MatchDocument(3, "Phone companies installed cell towers on church roofs", "", ""),
    MatchDocument(4, "5G networks spread COVID-19", "Do 5G Networks Spread COVID-19?", ""),
    MatchDocument(5, "Joe Biden said that Iran funded the protests", "", ""),
    MatchDocument(6, "Officials say Biden met the Pope in Rome", "", ""),
]
IRAN = [
    MatchDocument(7, "The leaders of Iran met in Tehran, according to Reuters", "", ""),
    MatchDocument(8, "Israel fired a tactical nuclear weapon at an Iranian base in Syria", "", ""),
    MatchDocument(9, "Syria said that Israel had bombed an airport in Damascus", "", ""),
    MatchDocument(10, "The last troops left Iraq in December, officials said", "", ""),
]


def mentions(terms: set[str], name: str) -> bool:
    return not name_forms(name).isdisjoint(terms)


def top_signals(matcher: Matcher, question: str, fact_check_id: int) -> dict[str, float]:
    found = matcher.match(question, top_k=10)
    match = next(m for m in found if m.fact_check_id == fact_check_id)
    return match.signals


def test_a_word_some_fact_checks_write_in_lower_case_is_no_name() -> None:
    matcher = Matcher()
    matcher.upsert_many(TOWERS)
    signals = top_signals(matcher, "do 5g towers spread covid", 4)
    assert signals["name_missing_doc"] == 0.0


def test_a_name_never_written_in_lower_case_stays_one() -> None:
    matcher = Matcher()
    matcher.upsert_many(TOWERS)
    signals = top_signals(matcher, "did biden say 5g networks spread covid", 4)
    assert signals["name_missing_doc"] == 1.0


def test_a_name_is_mentioned_by_its_demonym() -> None:
    matcher = Matcher()
    matcher.upsert_many(IRAN)
    assert (
        top_signals(matcher, "israel used a nuclear bomb on iran's base in syria", 8)["name_missing_doc"]
        == 0.0
    )
    # ... but not by another place's
    assert (
        top_signals(matcher, "israel used a nuclear bomb on iraq's base in syria", 8)["name_missing_doc"]
        == 1.0
    )


@pytest.mark.parametrize(
    ("name", "terms"),
    [
        ("iran", {"iranian"}),
        ("iranian", {"iran"}),
        ("israel", {"israeli"}),
        ("china", {"chines"}),  # index terms are stemmed: "Chinese" -> "chines"
        ("itali", {"italian"}),
        ("germany", {"german"}),
        ("scotland", {"scottish"}),
        ("england", {"english"}),
        ("kenya", {"kenyan"}),
        ("japan", {"japanes"}),
        ("mexico", {"mexican"}),
        ("ukrain", {"ukrainian"}),
    ],
)
def test_demonyms(name: str, terms: set[str]) -> None:
    assert mentions(terms, name)


@pytest.mark.parametrize(
    ("name", "terms"),
    [
        ("iraq", {"iran", "iranian"}),
        ("austria", {"australian"}),
        ("china", {"chin"}),
        ("uk", {"ukrainian"}),
        ("india", {"indiana"}),
        ("german", {"germ"}),  # ordinary words are not a people's
        ("scottish", {"scott"}),
        ("chines", {"chin"}),
    ],
)
def test_not_demonyms(name: str, terms: set[str]) -> None:
    assert not mentions(terms, name)


def test_name_evidence_is_mid_sentence_and_not_contractions() -> None:
    # "Cell" starts the sentence, "don" is a contraction's; an alias adds no lower-case use
    text = "Cell towers don't spread it, and the River is calm"
    capitalised, lowercase = name_evidence([text], ["a calm Sea"])
    assert capitalised == {"river", "sea"}
    assert lowercase == {"tower", "spread", "calm"}


def test_the_index_files_keep_the_lower_case_votes(tmp_path: Path) -> None:
    """A process serving the files knows "tower" is no name, and forgets the lower-case use when
    that fact-check goes (the votes are stored per fact-check, not only as totals)."""
    own = Matcher()
    own.upsert_many(TOWERS)
    write_changes(
        tmp_path / "segment",
        own.changes(),
        {},
        (np.arange(1, 7, dtype=np.int64), np.zeros(6, dtype=np.int64)),
        {},
    )
    served = Matcher()
    served.attach(Segment.open(tmp_path / "segment"))
    assert top_signals(served, "do 5g towers spread covid", 4)["name_missing_doc"] == 0.0
    served.remove(3)  # the one fact-check writing "cell towers"
    assert top_signals(served, "do 5g towers spread covid", 4)["name_missing_doc"] == 1.0
    served.upsert(TOWERS[2])
    assert top_signals(served, "do 5g towers spread covid", 4)["name_missing_doc"] == 0.0
