"""Text normalisation shared by the index, the reranker and question clustering.

Both fact-checks and questions go through the same `normalise`, so any rewrite here (abbreviations,
synonyms) is symmetric: "NYC cop" in a question and "New York City police officer" in a claim end up
with the same words.  `content_tokens` then drops stop words and stems, giving the index terms.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from functools import lru_cache


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- tweet and chat noise -------------------------------------------------------------------------

# " — Name (@handle) February 25, 2016" at the end of an embedded tweet; the name is kept.
_SIGNATURE = re.compile(
    r"\s*[\u2014\u2013-]{1,2}\s*([^\u2014\u2013\n]{0,80}?)\s*\(@\w+\)\s*"
    r"(?:[A-Za-z]+\.?\s+\d{1,2},?\s+\d{4})?\s*$"
)
_URL = re.compile(r"https?://\S+|www\.\S+|pic\.twitter\.com/\S+|\bt\.co/\S+", re.IGNORECASE)
_RETWEET = re.compile(r"^\s*RT\s+@\w+:?\s*")
_HANDLE = re.compile(r"(?<!\w)@\w+")
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")

# Upper-case-only abbreviations: in lower case these are ordinary words ("us", "who", "ice").
_UPPER_ABBREVIATIONS = {
    "US": "united states",
    "WHO": "world health organization",
    "ICE": "immigration and customs enforcement",
}
_UPPER_RE = re.compile(r"\b(US|WHO|ICE)\b")
_DOTTED = [
    (re.compile(r"\bu\.\s?s\.\s?a\.?(?!\w)"), "united states"),
    (re.compile(r"\bu\.\s?s\.?(?!\w)"), "united states"),
    (re.compile(r"\bu\.\s?k\.?(?!\w)"), "united kingdom"),
    (re.compile(r"\bd\.\s?c\.?(?!\w)"), "dc"),
]
_COVID = re.compile(r"\b(?:covid[\s-]?19|covid|sars[\s-]?cov[\s-]?2|corona\s?virus|coronavirus|corona)\b")
_POSSESSIVE = re.compile(r"['\u2019]s\b")
_APOSTROPHE = re.compile(r"['\u2019`]")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_PERCENT = re.compile(r"(?<=\d)\s?%")
# Amounts told with a magnitude: "$31k", "4.6 million", "£1.5bn". Claims write the figure, askers
# the shorthand; both become the figure ("31000"), so that neither looks like a number the other
# lacks. A bare "m" or "b" is a magnitude only after a currency sign ("100m" is a race).
_MAGNITUDE_WORDS = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_MAGNITUDE_SUFFIXES = {
    "k": 10**3, "m": 10**6, "mn": 10**6, "mil": 10**6, "b": 10**9, "bn": 10**9, "tn": 10**12,
}
_AMOUNT = re.compile(
    r"(?P<currency>[$£€]\s?)?(?<![\d.])(?P<number>\d+(?:\.\d+)?)"
    # longest suffix first: "mn" before "m"
    rf"(?:(?P<suffix>{'|'.join(sorted(_MAGNITUDE_SUFFIXES, key=len, reverse=True))})"
    rf"|\s(?P<word>{'|'.join(_MAGNITUDE_WORDS)}))\b"
)
_NON_WORD = re.compile(r"[^\w\s]+|_")

# Lower-case token rewrites: unambiguous abbreviations, chat slang, and a few general synonyms that
# fact-check prose and chat phrasing use for the same thing.  Values may be several words.
_TOKEN_MAP = {
    "nyc": "new york city",
    # "city police", not "police department": askers say "NYPD officer", claims say "city police officer"
    "nypd": "new york city police",
    "lapd": "los angeles police",
    "usa": "united states",
    "uk": "united kingdom",
    "cdc": "centers for disease control",
    "fbi": "federal bureau of investigation",
    "cia": "central intelligence agency",
    "fda": "food and drug administration",
    "dhs": "department of homeland security",
    "irs": "internal revenue service",
    "gop": "republican",
    "dems": "democrats",
    "potus": "president",
    "prez": "president",
    "govt": "government",
    "vax": "vaccine",
    "vaxxed": "vaccinated",
    "jab": "vaccine",
    "jabs": "vaccines",
    "hcq": "hydroxychloroquine",
    "aoc": "alexandria ocasio cortez",
    "sotu": "state of the union",
    "sf": "san francisco",
    "lds": "mormon",
    "ammo": "ammunition",
    "nuke": "nuclear weapon",
    "nukes": "nuclear weapons",
    "u": "you",
    "ur": "your",
    "r": "are",
    "ppl": "people",
    "pic": "photo",
    "pics": "photos",
    "vid": "video",
    "vids": "videos",
    # units as chat writes them ("26 hrs"); "min" and "sec" stay, they are words too
    "hr": "hour",
    "hrs": "hours",
    "mins": "minutes",
    "secs": "seconds",
    "wk": "week",
    "wks": "weeks",
    "yr": "year",
    "yrs": "years",
    # number words: "seven years" and "7 years" are the same claim ("one" is mostly a pronoun)
    "zero": "0",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "twenty": "20",
    "thirty": "30",
    "fifty": "50",
    # general synonyms: the claim side is written in news prose
    "cop": "police officer",
    "cops": "police officers",
    "policeman": "police officer",
    "policemen": "police officers",
    "policewoman": "police officer",
    "cuffs": "arrests",
    "cuffing": "arresting",
    "cuffed": "arrested",
    "handcuffed": "arrested",
    "nabbed": "arrested",
    "busted": "arrested",
    "detained": "arrested",
}

# Lower-case "ice" is immigration enforcement only in that context; "ice cream" must stay ice.
_ICE_CONTEXT = _words(
    "agent agents officer officers raid raids raided arrest arrests arrested arresting detain detained "
    "deport deported deportation deportations immigration immigrant immigrants migrant migrants custody "
    "police border undocumented homeland federal feds facility facilities detention"
)

# Question framing removed from the start and end of a question; longest phrases first.
_LEADING_FRAMES = sorted(
    [
        "is it true that",
        "is it true",
        "is it a myth that",
        "is it a fact that",
        "is it real that",
        "is it a hoax that",
        "is there any truth to the claim that",
        "is there any truth to the claim",
        "is there any truth to",
        "any truth to the claim that",
        "any truth to",
        "has anyone checked whether",
        "has anyone checked if",
        "debunk this",
        "is this true that",
        "is this true",
        "is that true",
        "i heard that",
        "i heard",
        "i read that",
        "i read",
        "i saw that",
        "i saw",
        "someone said that",
        "someone said",
        "someone told me that",
        "someone told me",
        "people are saying that",
        "people are saying",
        "they say that",
        "they say",
        "my friend says",
        "my friend said",
        "apparently",
        "rumor has it that",
        "rumor has it",
        "fact check",
        "factcheck",
        "true or false",
        "can you check if",
        "can you check",
        "check if",
        "check this",
        "wait",
        "so",
        "hey",
        "hi",
        "hello",
        "ok",
        "okay",
        "omg",
        "lol",
        "wtf",
        "really",
        "did",
        "does",
        "do",
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "can",
        "rumor",
        "claim",
        "question",
        "please",
        "pls",
        "plz",
    ],
    key=len,
    reverse=True,
)
_TRAILING_FRAMES = sorted(
    [
        "is that true",
        "is this true",
        "is it true",
        "true or false",
        "or not",
        "right",
        "really",
        "lol",
        "fr",
        "for real",
        "or is it fake",
        "or is it a myth",
        "or a myth",
        "myth or fact",
        "fact or myth",
        "fact or fiction",
        "or fake",
        "real or fake",
        "is that real",
        "is this real",
        "please",
        "pls",
        "plz",
    ],
    key=len,
    reverse=True,
)


def _frames_by(frames: list[str], key: int) -> dict[str, list[tuple[str, ...]]]:
    """Frames as word tuples, grouped by their first (key=0) or last (key=-1) word, longest first."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for frame in frames:
        words = tuple(frame.split())
        out.setdefault(words[key], []).append(words)
    return out


_LEADING_BY_FIRST = _frames_by(_LEADING_FRAMES, 0)
_TRAILING_BY_LAST = _frames_by(_TRAILING_FRAMES, -1)


def _strip_frames(words: list[str]) -> list[str]:
    """Drop question framing from both ends, repeatedly ("wait, is it true that ... right?")."""
    start, end = 0, len(words)
    changed = True
    while changed and start < end:
        changed = False
        for frame in _LEADING_BY_FIRST.get(words[start], ()):
            n = len(frame)
            if start + n <= end and tuple(words[start : start + n]) == frame:
                start += n
                changed = True
                break
        if start >= end:
            break
        for frame in _TRAILING_BY_LAST.get(words[end - 1], ()):
            n = len(frame)
            if end - n >= start and tuple(words[end - n : end]) == frame:
                end -= n
                changed = True
                break
    return words[start:end]


def _signature_name(match: re.Match[str]) -> str:
    return " " + match.group(1) + " "


def _handle_words(match: re.Match[str]) -> str:
    return " " + _CAMEL.sub(" ", match.group(0)[1:]).replace("_", " ") + " "


def _split_hashtag(match: re.Match[str]) -> str:
    return " " + _CAMEL.sub(" ", match.group(1)) + " "


def _expand_upper(match: re.Match[str]) -> str:
    return " " + _UPPER_ABBREVIATIONS[match.group(1)] + " "


_UPPER_CHAR = re.compile(r"[A-Z]")
_LOWER_CHAR = re.compile(r"[a-z]")


def _mostly_upper(text: str) -> bool:
    upper = len(_UPPER_CHAR.findall(text))
    lower = len(_LOWER_CHAR.findall(text))
    return upper + lower > 12 and upper > 0.6 * (upper + lower)


# A word standing alone or before a possessive ("NYPD's"); not a letter of "u.s.".
_CHAT_WORD = re.compile(r"(?<![\w'.])[A-Za-z]+(?![\w]|'(?!s\b)|\.\w)")
_SPELLED_OUT = {k: v for k, v in _TOKEN_MAP.items() if not v[:1].isdigit()}


def _spell_out(found: re.Match[str]) -> str:
    word = found.group(0)
    # "u" and "r" are chat's only in lower case and not as an initial ("R. Kelly", "U. S.")
    if len(word) == 1 and (word.isupper() or found.string.startswith(".", found.end())):
        return word
    return _SPELLED_OUT.get(word.lower(), word)


def spelled_out(text: str) -> str:
    """A question as the sentence model should read it: chat's abbreviations and slang written
    out as the index reads them ("ppl", "vax", "nypd cuffed" -> "people", "vaccine", "new york city
    police arrested"); the rest as written."""
    return _CHAT_WORD.sub(_spell_out, text)


def strip_noise(text: str) -> str:
    """Remove what tweets and chat messages wrap around a claim: links, the handle and date of a
    tweet signature.  The signature's display name and the words of @handles stay ("@elonmusk"
    -> "elonmusk", "@realDonaldTrump" -> "real Donald Trump"): claims are often about what that
    account said, and keeping them gains 1-2 MAP@5 points on CheckThat dev and dev-test."""
    # Each pattern only runs when its trigger character is present: bulk import normalises
    # hundreds of thousands of texts and most have no links, handles or hashtags.
    text = unicodedata.normalize("NFKC", text)
    if "@" in text:
        text = _SIGNATURE.sub(_signature_name, text)
    if "/" in text or "www" in text:
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _RETWEET.sub(" ", text)
        text = _HANDLE.sub(_handle_words, text)
    if "#" in text:
        text = _HASHTAG.sub(_split_hashtag, text)
    return text


def _amount(match: re.Match[str]) -> str:
    """Written out: "31k" -> "31000", "$4.6m" -> "$4600000"; "100m" (no currency sign) stays as written."""
    suffix = match["suffix"]
    if suffix in ("m", "b") and not match["currency"]:
        return match[0]
    magnitude = _MAGNITUDE_SUFFIXES[suffix] if suffix else _MAGNITUDE_WORDS[match["word"]]
    value = Decimal(match["number"]) * magnitude
    return f"{match['currency'] or ''}{value.normalize():f}"


def _rewrite_tokens(words: list[str]) -> list[str]:
    out: list[str] = []
    for i, word in enumerate(words):
        if word == "ice":
            window = words[max(0, i - 3) : i] + words[i + 1 : i + 4]
            if any(w in _ICE_CONTEXT for w in window):
                out.extend(("immigration", "and", "customs", "enforcement"))
                continue
        mapped = _TOKEN_MAP.get(word)
        if mapped is None:
            out.append(word)
        else:
            out.extend(mapped.split())
    return out


@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Canonical lower-case words of a claim or question, question framing removed."""
    text = strip_noise(text)
    # Shouted text would turn every "US"/"WHO" into an organisation; only trust case otherwise.
    if _UPPER_RE.search(text) and not _mostly_upper(text):
        text = _UPPER_RE.sub(_expand_upper, text)
    text = text.casefold()
    if "." in text:
        for pattern, replacement in _DOTTED:
            text = pattern.sub(replacement, text)
    if "cov" in text or "corona" in text:
        text = _COVID.sub(" covid ", text)
    if "," in text:
        text = _THOUSANDS.sub("", text)
    if any(c.isdigit() for c in text):
        text = _AMOUNT.sub(_amount, text)
    if "%" in text:
        text = _PERCENT.sub(" percent", text)
    if "'" in text or "\u2019" in text or "`" in text:
        text = _POSSESSIVE.sub("", text)
        text = _APOSTROPHE.sub("", text)
    text = _NON_WORD.sub(" ", text)
    return " ".join(_strip_frames(_rewrite_tokens(text.split())))


# --- index terms -----------------------------------------------------------------------------------

STOPWORDS = _words(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves also via just really actually s t ll ve re d m o y
    rumor claim claims true false fact check"""
)


def stem(word: str) -> str:
    """A light suffix stripper: enough to join plural/past/-ing forms without an extra package."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 5:
        word = word[:-3]
        if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "lsz":
            word = word[:-1]
    elif word.endswith("ied") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
        if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "lsz":
            word = word[:-1]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


_STEM_CACHE: dict[str, str] = {}


def content_tokens(normalised: str) -> list[str]:
    """Stemmed non-stop-word terms of an already normalised text, in order (repeats kept)."""
    out = []
    for word in normalised.split():
        if word in STOPWORDS:
            continue
        stemmed = _STEM_CACHE.get(word)
        if stemmed is None:
            stemmed = stem(word)
            if len(_STEM_CACHE) < 500_000:
                _STEM_CACHE[word] = stemmed
        out.append(stemmed)
    return out


def tokens(text: str) -> list[str]:
    """Index terms of raw text."""
    return content_tokens(normalise(text))


# --- chit-chat ------------------------------------------------------------------------------------

_CHITCHAT_WORDS = _words(
    """hi hello hey heya hiya yo sup hola howdy greetings morning evening afternoon night good gm gn
    thanks thank thx ty tysm cheers appreciate appreciated great awesome cool nice ok okay k kk lol lmao
    haha bye goodbye cya later see help start stop menu settings what who how are you doing can do
    bot your name there is this thing work works working anyone please pls plz sorry welcome yes no yeah
    nope yep sure much lot very so well fine guys everyone all whats hows up new about tell me more
    does use question questions ask anything else again the a an it that"""
)


def is_chitchat(text: str) -> bool:
    """Greetings, thanks and "what can you do?": text with no claim in it (never matched)."""
    words = _NON_WORD.sub(" ", strip_noise(text).casefold()).split()
    if not words:
        return bool(text.strip())  # emoji or punctuation only
    if words[0] in {"start", "help"} and text.lstrip().startswith("/"):
        return True
    return all(w in _CHITCHAT_WORDS for w in words)
