"""Replies in the asker's language: gettext catalogs (Babel), language negotiation, text detection.

The convention every module follows for a string a person reads:

    t = translator(language)
    t("Checked on {date}", date=...)            # placeholders by name, filled after translation
    tn = t.n
    tn("{count} record", "{count} records", n)  # plurals; `count` is filled in
    LABEL = N_("Full report")                   # a constant marked for extraction, translated later: t(LABEL)

`pybabel extract` finds `t`, `tn` and `N_` (KEYWORDS; the README's "Translating ClaimBot" has the
commands). The catalogs are bot/locale/<lang>/LC_MESSAGES/claimbot.po, compiled when first used
(and the compiled copy kept in the user's cache, under a hash of the .po).
"""

from __future__ import annotations

import functools
import gettext
import io
import logging
import os
import re
import threading
from datetime import date
from importlib import resources
from typing import Any, NamedTuple

log = logging.getLogger(__name__)

DOMAIN = "claimbot"
DEFAULT = "en"
# Languages with a complete catalog. A language outside this list is answered in English.
LANGUAGES = ("en", "es", "fr", "pt", "de")
# What the detector chooses among: the catalogs' languages and other common ones, so that a question in
# a language with no catalog is recognised as such instead of being forced into the nearest catalog.
DETECTABLE = (*LANGUAGES, "it", "nl", "pl", "tr", "ru", "uk", "ar", "fa", "hi", "id", "zh", "ja", "ko")
# The text's language wins over the platform's when the detector is at least this sure and the text long
# enough (benchmarks/language_detection.py prints the accuracy that picked these).
CONFIDENT = 0.7
MIN_LETTERS = 12
# Extraction keywords for pybabel and tests/test_i18n.py: t(msgid), tn(singular, plural, n), N_(msgid).
KEYWORDS = {"t": None, "tn": (1, 2), "N_": None}
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def N_(msgid: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a constant for extraction; it is translated where it is shown, with `t(constant)`."""
    return msgid


class Translator:
    """gettext for one language, with named placeholders filled after translation."""

    def __init__(self, language: str, catalog: gettext.NullTranslations) -> None:
        self.language = language
        self._catalog = catalog

    def __call__(self, msgid: str, /, **fields: Any) -> str:
        if not msgid:
            return msgid  # gettext("") is the catalog's header
        return _fill(self._catalog.gettext(msgid), msgid, fields)

    def n(self, singular: str, plural: str, count: int, /, **fields: Any) -> str:
        fields.setdefault("count", count)
        text = self._catalog.ngettext(singular, plural, count)
        return _fill(text, singular if count == 1 else plural, fields)


def _fill(text: str, msgid: str, fields: dict[str, Any]) -> str:
    if not fields:
        return text
    try:
        return text.format(**fields)
    except (KeyError, IndexError, ValueError):
        # A translation with a broken placeholder must not cost the asker their reply (the catalog test
        # catches it; this only guards a catalog edited in place).
        log.warning("bad placeholder in the translation of %r", msgid)
        return msgid.format(**fields)


def supported(code: str | None) -> str | None:
    """The catalog for a platform's language code ("pt-BR", "es_419", "en-US"), or None."""
    if not code:
        return None
    primary = code.replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else None


@functools.cache
def _catalog(language: str) -> gettext.NullTranslations:
    """The language's catalog compiled from its .po: by Babel when first used, then from a compiled copy
    in the user's cache named by a hash of the .po, so a stale compiled copy cannot be read. Compiling
    (and importing Babel's catalog code) cost every `claimbot ask` ~30 ms; the copy is read in well
    under one."""
    path = resources.files("bot") / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    try:
        source = path.read_bytes()
    except FileNotFoundError:
        return gettext.NullTranslations()
    cached = _compiled_catalog_path(language, source)
    try:
        # babel.support.Translations is this class with Babel's extra look-ups, which Translator never uses.
        return gettext.GNUTranslations(io.BytesIO(cached.read_bytes()))
    except Exception:  # noqa: BLE001 - not compiled yet, unreadable or damaged: compile it afresh
        compiled = _compile_catalog(language, source)
        _keep_compiled_catalog(cached, compiled)
        return gettext.GNUTranslations(io.BytesIO(compiled))


def _compile_catalog(language: str, source: bytes) -> bytes:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    catalog = read_po(io.BytesIO(source), locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
    return compiled.getvalue()


def _compiled_catalog_path(language: str, source: bytes) -> Any:
    """Where the compiled copy of this .po is kept: the key is the .po's bytes and Babel's version (which
    writes it), so an edited catalog or another Babel compiles afresh."""
    import hashlib
    from importlib.metadata import version
    from pathlib import Path

    import platformdirs

    digest = hashlib.sha256(source + f" babel {version('babel')}".encode()).hexdigest()[:16]
    return Path(platformdirs.user_cache_dir("claimbot", appauthor=False)) / f"{DOMAIN}-{language}-{digest}.mo"


def _keep_compiled_catalog(path: Any, compiled: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        temporary.write_bytes(compiled)
        os.replace(temporary, path)  # whole or not at all, for a process reading it meanwhile
    except OSError as exc:  # a read-only home: every process compiles the catalog
        log.debug("cannot keep the compiled %s catalog: %s", path.name, exc)


def translator(language: str | None) -> Translator:
    """The translator for a language; a language without a catalog gets English."""
    chosen = supported(language) or DEFAULT
    return Translator(chosen, _catalog(chosen))


class Detected(NamedTuple):
    language: str
    confidence: float


_detector_lock = threading.Lock()
_detectors: list[Any] = []


def _detector() -> Any:
    # Loading the shipped model takes most of a second (xz-compressed): once per process, whichever
    # thread asks, and from an uncompressed copy in the user's cache once there is one (~0.05 s).
    with _detector_lock:
        if not _detectors:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = _cached_detector(LanguageIdentifier)
            if identifier is None:
                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                identifier.set_languages(list(DETECTABLE))
                _cache_detector(identifier)
            _detectors.append(identifier)
        return _detectors[0]


_DETECTOR_ARRAYS = ("ptc", "pc", "classes", "nextmove", "row", "output")


def _detector_cache() -> Any:
    """The uncompressed copy of the detector's model restricted to DETECTABLE (a directory of .npy
    files, memory-mapped when read), keyed by py3langid's version."""
    import hashlib
    from importlib.metadata import version
    from pathlib import Path

    import platformdirs

    key = hashlib.sha256(f"{version('py3langid')} {' '.join(DETECTABLE)}".encode()).hexdigest()[:16]
    return Path(platformdirs.user_cache_dir("claimbot", appauthor=False)) / f"langid-{key}"


def _cached_detector(identifier_class: Any) -> Any:
    try:
        import numpy as np

        path = _detector_cache()
        data = {name: np.load(path / f"{name}.npy", mmap_mode="r") for name in _DETECTOR_ARRAYS}
        identifier = identifier_class(
            data["ptc"],
            data["pc"],
            data["classes"].tolist(),
            # The 39 MB state table is read through the mapping (indexing a memoryview gives ints, as
            # py3langid's array does): copying it into an array cost every start ~50 ms and the process
            # 39 MB, where a question's walk touches a few pages of it.
            _int_view(data["nextmove"]),
            data["output"].tolist(),
            norm_probs=True,
            tk_row=_int_view(data["row"]),
        )
        identifier.set_languages(list(DETECTABLE))  # the same classes, in the same order
        return identifier
    except Exception:  # noqa: BLE001 - no copy yet, another py3langid, a damaged file: the shipped model
        return None


def _int_view(array: Any) -> memoryview:
    """A flat unsigned-integer memoryview of a mapped array (no copy); ValueError for another layout."""
    view = memoryview(array)
    if view.ndim != 1 or view.format not in ("H", "I", "L", "Q"):
        raise ValueError(f"not a flat unsigned integer array: {view.format} x {view.ndim}")
    return view


def _cache_detector(identifier: Any) -> None:
    try:
        import shutil

        import numpy as np

        path = _detector_cache()
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        temporary.mkdir(parents=True, exist_ok=True)
        arrays = {
            "ptc": np.asarray(identifier.nb_ptc),
            "pc": np.asarray(identifier.nb_pc),
            "classes": np.asarray(identifier.nb_classes),
            "nextmove": np.frombuffer(identifier.tk_nextmove, dtype=identifier.tk_nextmove.typecode),
            "row": np.frombuffer(identifier.tk_row, dtype=identifier.tk_row.typecode),
            "output": np.asarray(identifier.tk_output),
        }
        for name, array in arrays.items():
            np.save(temporary / f"{name}.npy", array)
        try:
            os.replace(temporary, path)  # another process may have written it meanwhile: keep theirs
        except OSError:
            shutil.rmtree(temporary, ignore_errors=True)
    except Exception as exc:  # noqa: BLE001 - a read-only home: every start decompresses the model
        log.debug("cannot keep the language detector's model uncompressed: %s", exc)


def detect(text: str) -> Detected | None:
    """The text's language and the detector's confidence; None when the text is too short to tell."""
    letters = sum(ch.isalpha() for ch in text)
    # Chinese, Japanese and Korean carry a word in one or two characters.
    if letters < MIN_LETTERS and not (_CJK.search(text) and letters >= 4):
        return None
    language, confidence = _detector().classify(text)
    return Detected(str(language), float(confidence))


def negotiate(text: str, hint: str | None = None, chosen: str | None = None) -> str:
    """The language to reply in: the asker's explicit choice, else the text's when the detector is
    confident, else the platform's (the asker's app language), else English.

    A text confidently in a language without a catalog is answered in the platform's language when it
    has one, else in English.
    """
    if chosen:
        return supported(chosen) or DEFAULT
    platform = supported(hint)
    detected = detect(text)
    if detected is not None and detected.confidence >= CONFIDENT:
        return supported(detected.language) or platform or DEFAULT
    return platform or DEFAULT


def environment_language() -> str | None:
    """The terminal's language: the hint for `claimbot ask` and `chat` (LC_ALL, LC_MESSAGES, LANG)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "").split(".", 1)[0]
        if value and value not in ("C", "POSIX"):
            return value
    return None


def warm_up() -> None:
    """Load the detector ahead of the first question (a serving process calls this at start-up)."""
    _detector()


def language_name(code: str, language: str) -> str:
    """`code`'s name in `language` ("en" in Spanish: "inglés"); the code itself when Babel has none."""
    from babel import Locale  # Babel's locale data: only a reply naming a language loads it

    try:
        return Locale.parse(language).languages.get(code.split("-")[0].lower(), code)
    except (ValueError, TypeError):
        return code


_ENGLISH_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def format_date(value: date, language: str) -> str:
    """A date as the asker's language writes it ("February 2, 2026", "2 de febrero de 2026")."""
    locale = supported(language) or DEFAULT
    if locale == "en":
        # Babel's long English form, written out: loading Babel's locale data costs a first reply
        # (and every `claimbot ask`) most of a tenth of a second.
        return f"{_ENGLISH_MONTHS[value.month - 1]} {value.day}, {value.year}"
    from babel.dates import format_date as babel_format_date

    return babel_format_date(value, format="long", locale=locale)
