"""Triage: is a message a claim to check, or chit-chat (a greeting, thanks, a help request, a bare
command, emoji or punctuation, text with nothing checkable in it)?

Pure and cheap: it runs on every message before the matcher, so "hi" or "😂😂😂" never becomes a
review item. It errs towards "claim": a claim taken for chit-chat is never checked, while chit-chat
taken for a claim only costs a "send it to our fact-checkers?" prompt the asker can decline.
The labelled set in benchmarks/data/triage.jsonl (benchmarks/triage.py) holds it to that.

The word lists cover English, Spanish, French, Portuguese and German, with a few Chinese and Arabic
phrases; a message is chit-chat when nothing is left once those words are taken out.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    CLAIM = "claim"
    GREETING = "greeting"
    THANKS = "thanks"
    HELP = "help"
    COMMAND = "command"
    SYMBOLS = "symbols"  # emoji, punctuation or digits only
    NO_CONTENT = "no_content"  # words, but nothing to check (fillers, one word repeated, ...)


@dataclass(frozen=True)
class Triage:
    category: Category

    @property
    def is_claim(self) -> bool:
        return self.category is Category.CLAIM


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that say hello or goodbye, by language (accents are folded away before comparing).
GREETINGS = _words(
    "hi hii hiii hello helo hey heya hiya yo howdy greetings morning evening afternoon night bye goodbye "
    "cya sup hallo hola buenas buenos dias tardes noches adios saludos ola oi ola bom boa dia tarde noite "
    "tchau bonjour bonsoir salut coucou allo bonne journee soiree nuit revoir guten tag morgen abend servus "
    "moin tschuss ciao marhaba ahlan salam"
)
THANKS = _words(
    "thanks thank thx ty tysm cheers appreciated appreciate gracias muchas mil obrigado obrigada valeu "
    "merci beaucoup danke vielen dank schon shukran"
)
HELP = _words(
    "help helpme ayuda ayudame ajuda socorro aide aider hilfe start menu info commands command options "
    "instructions"
)
# Words that carry no claim on their own: pronouns, politeness, fillers, "what can you do", "test".
FILLERS = _words(
    "a an the and or but so ok okay okey k kk fine cool nice great good awesome wow lol lmao haha hahaha "
    "jaja jajaja kkk mdr hmm hm uh um huh what who how why where when which is are am was do does did can "
    "could would will you your u ur me my i im i'm we us it its this that there here to of for on in with "
    "please pls plz bot claimbot there anyone somebody someone everyone all guys folks friend buddy mate "
    "yes yeah yep yup no nope nah sure maybe test testing check something anything stuff thing things "
    "question questions ask want wanna need know tell say work works use using doing going up new "
    "very much really so just again more well dear sir madam love glad happy welcome nevermind "
    "vale si sí bueno bien gracias que qué como cómo quien quién eres es esto puedes hacer tu tú usted "
    "me mi yo por favor alguien hay aqui aquí muy hola todo todos amigo prueba probando pregunta "
    "sim nao não tudo bem voce você e é isso pode fazer eu quem como por favor obrigado alguem aqui teste "
    "oui non d'accord daccord ca ça va comment qui es tu vous est ce que peux faire je moi s'il te plait "
    "plaît svp quelqu'un ici tres très bien merci tout le monde essai question "
    "muito muita estas estás esta está true false real fake right wrong verdad cierto vrai verdade wahr "
    "stimmt привет спасибо "
    "ja nein gut wie geht's gehts es dir ihnen wer bist du was kannst machen ich mir bitte jemand da "
    "hier sehr alles test frage okay hey"
)
CHITCHAT_WORDS = GREETINGS | THANKS | HELP | FILLERS

# Languages written without spaces: whole phrases, removed from the text before looking for content.
PHRASES = (
    "你好",
    "您好",
    "大家好",
    "早上好",
    "晚上好",
    "谢谢你",
    "谢谢",
    "多谢",
    "感谢",
    "帮助",
    "帮忙",
    "你是谁",
    "你能做什么",
    "在吗",
    "再见",
    "好的",
    "こんにちは",
    "ありがとう",
    "السلام عليكم",
    "صباح الخير",
    "مساء الخير",
    "مرحبا",
    "شكرا جزيلا",
    "شكرا",
    "مساعدة",
    "ساعدني",
    "من أنت",
    "أهلا",
    "اهلا",
)
PHRASE_CATEGORIES = {
    "谢": Category.THANKS,
    "感谢": Category.THANKS,
    "ありがとう": Category.THANKS,
    "شكرا": Category.THANKS,
    "帮": Category.HELP,
    "مساعدة": Category.HELP,
    "ساعدني": Category.HELP,
}

_TOKEN = re.compile(r"[\w']+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_LAUGH = re.compile(r"^(?:(?:ha|he|hi|ja|je|ka|k|rs|xa)+h?|l+o+l+|x+d+|lmf?ao+|rofl|mdr+|kkk+|hue+)$")


def _fold(text: str) -> str:
    """Lower case without accents (for the word lists), keeping the letters of other scripts."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # NFC again, so that Hangul syllables (decomposed into jamo above) are whole again.
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


_FOLDED_PHRASES = tuple(_fold(p) for p in PHRASES)
PHRASE_CATEGORIES = {_fold(k): v for k, v in PHRASE_CATEGORIES.items()}


def _squeeze(word: str) -> str:
    """'hiiiii' -> 'hii', 'thanksss' -> 'thankss': stretched words still look like themselves."""
    return re.sub(r"(.)\1{2,}", r"\1\1", word)


def _known(word: str) -> bool:
    word = word.strip("'")
    if not word or word.isdigit() or _LAUGH.match(word):
        return True
    squeezed = _squeeze(word)
    forms = (word, squeezed, re.sub(r"(.)\1+", r"\1", word), word.removesuffix("s"))  # "helps" is "help"
    return any(w in CHITCHAT_WORDS for w in forms)


def _category_of(words: list[str], phrases: list[str]) -> Category:
    """The most specific kind of chit-chat the words show (help over thanks over a greeting)."""
    found = set(words)
    folded = {re.sub(r"(.)\1+", r"\1", w) for w in found} | {_squeeze(w) for w in found}
    found |= folded
    categories = {PHRASE_CATEGORIES[k] for p in phrases for k in PHRASE_CATEGORIES if k in p}
    if found & HELP or Category.HELP in categories:
        return Category.HELP
    if found & THANKS or Category.THANKS in categories:
        return Category.THANKS
    if found & GREETINGS or phrases:
        return Category.GREETING
    return Category.NO_CONTENT


def triage(text: str) -> Triage:
    """What kind of message `text` is; anything with checkable content is a claim."""
    stripped = text.strip()
    if not any(ch.isalpha() for ch in stripped):
        return Triage(Category.SYMBOLS)  # "?", "😂😂😂", "!!!", "42"
    if re.fullmatch(r"/\w+(@\w+)?", stripped):
        return Triage(Category.COMMAND)  # a bare command the adapter did not handle
    folded = _fold(stripped)
    phrases = [p for p in _FOLDED_PHRASES if p in folded]
    for phrase in phrases:
        folded = folded.replace(phrase, " ")
    words = [w.strip("'") for w in _TOKEN.findall(folded)]
    words = [w for w in words if w]
    content = [w for w in words if not _known(w)]
    if not content:
        if not words and not phrases:
            return Triage(Category.SYMBOLS)
        return Triage(_category_of(words, phrases))
    # Chinese or Japanese left over after the known phrases: two characters can already be a claim.
    if not any(len(w) >= 3 or _CJK.search(w) for w in content):
        return Triage(_category_of(words, phrases))
    # One word said over and over ("buffalo buffalo buffalo …") is not a claim either.
    if len(content) > 3 and len(set(content)) == 1 and not _CJK.search(content[0]):
        return Triage(Category.NO_CONTENT)
    return Triage(Category.CLAIM)
