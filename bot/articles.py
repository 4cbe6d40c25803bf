"""Pasted articles and forwards: the sentences of a long text worth checking, most check-worthy first.

Pure: no store, no matcher. A sentence is check-worthy when it names something (a capitalised word
past the sentence's start, an acronym) or gives a number, *and* reports an event (a verb such as
"said", "arrested", "banned", "causes"); the rank adds up those signs. The asking use case matches
the best few one by one, which finds a stored claim buried in a 3,000-character paste that matching
the whole text would drown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Shorter than this, a message is a question, and takes the short-question path unchanged.
ARTICLE_MIN_CHARS = 400
MAX_SENTENCES = 6  # matched one by one; the rest of a long paste is context
MIN_SENTENCE_CHARS = 20
MAX_SENTENCE_CHARS = 600

# A sentence ends at . ! ? … or their CJK forms, or a line break; abbreviations such as "U.S." or
# "Dr." do not end one.
_SENTENCE_END = re.compile(
    r"(?<=[.!?…。！？])\s+(?=[\"'“«(\[]?[A-Z0-9À-Ý\u0400-\u04ff\u0600-\u06ff\u4e00-\u9fff])|\n+"
)
_ABBREVIATION = re.compile(r"(?:\b[A-Z]\.|\b(?:Mr|Mrs|Ms|Dr|Prof|St|Sr|Jr|vs|etc|No|Gen|Sen|Rep|Gov)\.)$")
_NAME = re.compile(r"(?<=[a-z0-9,;:’'\")]\s)[A-Z][\w’'-]+|\b[A-Z]{2,}\b")
_NUMBER = re.compile(r"\d")
_WORD = re.compile(r"\w+")
# Verbs of reported events, in the languages the triage knows (stems: "arrest" covers "arrested").
_EVENT_WORDS = """
said says say claim announc declar report confirm deni admit warn arrest ban kill die
dead death cause caus spread cure prevent found find discover show prove reveal leak sign
pass approv vote elect win won lost lose resign fire charg sue sentenc rais cut increas
decreas rise rose fell fall doubl tripl launch build built destroy attack bomb invad shut
close open order forc requir mandat infect vaccin poison contain chang replac stole stol
fak stag hid dijo afirm anunci prohib muri provoc cur detuv affirm annonc interdi mort
provoqu guéri arrêt disse proib morreu cura prend sagt erklärt verbot gestorben verursach
heilt verhaftet festgenommen
"""
EVENT_STEMS = tuple(_EVENT_WORDS.split())
_EVENT = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, EVENT_STEMS), key=len, reverse=True)) + r")")


# "Viral posts claim that …", "the minister said …": the report's frame is not part of the claim, and its
# words would count against an answer (the matcher wants the question's words in the claim).
_FRAME = re.compile(
    r"^.{0,80}?\b(?:claim(?:s|ed)?|sa(?:y|ys|id)|insist(?:s|ed)?|suggest(?:s|ed)?|allege(?:s|d)?|"
    r"believe(?:s|d)?|warn(?:s|ed)?|assert(?:s|ed)?|according to [^,]{1,60},)\s+(?:that\s+)?",
    re.IGNORECASE,
)


def claim_clause(sentence: str) -> str | None:
    """What a reported sentence says is so, without the frame ("posts claim that"); None without one."""
    found = _FRAME.match(sentence)
    if found is None:
        return None
    rest = sentence[found.end() :].strip(" .!?\"'“”")
    return rest if len(rest) >= MIN_SENTENCE_CHARS else None


@dataclass(frozen=True)
class Sentence:
    text: str
    rank: float  # higher is more check-worthy
    position: int  # its place in the text, to break ties towards the top (a lede states the claim)


def is_article(text: str) -> bool:
    """A paste long enough to hold several claims, rather than a question."""
    return len(text) >= ARTICLE_MIN_CHARS and len(split_sentences(text)) >= 2


def split_sentences(text: str) -> list[str]:
    """The text's sentences, whitespace folded; very long runs without a full stop are cut at a word."""
    pieces: list[str] = []
    for part in _SENTENCE_END.split(text):
        part = " ".join(part.split())
        if not part:
            continue
        if pieces and _ABBREVIATION.search(pieces[-1]):
            pieces[-1] = f"{pieces[-1]} {part}"
        else:
            pieces.append(part)
    out = []
    for piece in pieces:
        while len(piece) > MAX_SENTENCE_CHARS:
            cut = piece[:MAX_SENTENCE_CHARS].rsplit(" ", 1)[0] or piece[:MAX_SENTENCE_CHARS]
            out.append(cut)
            piece = piece[len(cut) :].strip()
        if piece:
            out.append(piece)
    return out


def rank(sentence: str) -> float:
    """How check-worthy a sentence is: a name or a number, plus an event; distinct words add a little."""
    names = len(_NAME.findall(sentence))
    numbers = len(_NUMBER.findall(sentence)) > 0
    events = len(_EVENT.findall(sentence.casefold()))
    score = min(names, 3) * 0.5 + numbers * 1.0 + min(events, 2) * 1.0
    if (names or numbers) and events:
        score += 2.0  # the combination the brief asks for: someone or something, and what happened
    if sentence.rstrip().endswith("?"):
        score -= 1.0  # a question in an article is rhetorical more often than it is the claim
    return score + min(len(set(_WORD.findall(sentence.casefold()))), 30) / 30


def checkworthy(text: str, limit: int = MAX_SENTENCES) -> list[Sentence]:
    """The most check-worthy sentences of a text, best first (ties: earlier first)."""
    sentences = [
        Sentence(s, rank(s), i)
        for i, s in enumerate(dict.fromkeys(split_sentences(text)))
        if len(s) >= MIN_SENTENCE_CHARS
    ]
    sentences.sort(key=lambda s: (-s.rank, s.position))
    return sentences[:limit]


def focus(text: str) -> str:
    """The one sentence to send to reviewers for a long paste (the text itself when it is short)."""
    if not is_article(text):
        return text
    best = checkworthy(text, 1)
    return best[0].text if best else text[:MAX_SENTENCE_CHARS]
