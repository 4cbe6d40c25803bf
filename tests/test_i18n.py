"""Replies in the asker's language: negotiation, the catalogs, every string within the platforms' limits,
and the language kept from the question to its buttons and to the notifications sent later."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import discord
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from adapters.discord.render import LABEL_MAX, render_embed
from adapters.telegram.render import MAX_CALLBACK_DATA, render_html, utf16_len
from bot import i18n
from bot.domain import Asker, Candidate, ChatRef, FactCheckCard, Outcome, OutcomeKind, Question, SourceLink
from bot.domain.ratings import Verdict
from bot.i18n import LANGUAGES, negotiate, translator
from bot.replies import REFUSALS, compose, compose_answer, compose_notification, compose_update, render_text
from bot.service import ClaimService
from tests.conftest import make_settings
from tests.factories import fact_check_card

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "bot" / "locale"
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]
UPDATE_COMMANDS = (
    "pybabel extract -F babel.cfg -k t -k tn:1,2 -k N_ --no-location --sort-output --no-wrap "
    "-o bot/locale/claimbot.pot . && pybabel update -i bot/locale/claimbot.pot -d bot/locale -D claimbot "
    "--no-wrap, then fill each empty or fuzzy msgstr in bot/locale/<lang>/LC_MESSAGES/claimbot.po"
)
SPANISH = "¿Es verdad que el gobierno prohibió el dinero en efectivo en todo el país?"
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def catalog(language: str):  # noqa: ANN201 - a babel Catalog
    with (LOCALE / language / "LC_MESSAGES" / "claimbot.po").open("rb") as po:
        return read_po(po, locale=language)


def extracted() -> dict[str, str]:
    """Every msgid the code marks (the same keywords and map pybabel uses), with where it is."""
    found: dict[str, str] = {}
    for package in ("bot", "adapters"):
        method_map = [("**.py", "python")]
        for filename, line, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map, keywords=i18n.KEYWORDS
        ):
            msgid = message[0] if isinstance(message, tuple) else message  # a plural's key is its singular
            if msgid:
                found.setdefault(msgid, f"{package}/{filename}:{line}")
    return found


# ---------------------------------------------------------------------------------- negotiation


@pytest.mark.parametrize(
    ("text", "hint", "chosen", "expected"),
    [
        (SPANISH, "en", None, "es"),  # the text wins when the detector is sure
        ("Stimmt es, dass Impfstoffe Mikrochips enthalten?", "fr-FR", None, "de"),
        ("Est-ce que le vaccin contient une puce électronique ?", None, None, "fr"),
        ("hola", "pt-BR", None, "pt"),  # too short to tell: the platform's language
        ("ok?", None, None, "en"),
        ("疫苗里有芯片吗？这是真的吗？", "es-ES", None, "es"),  # confident, no catalog: the app's language
        ("هل صحيح أن اللقاح يحتوي على شريحة إلكترونية؟", None, None, "en"),  # no catalog, no hint
        ("Did a NYC cop arrest an ICE agent yesterday in Manhattan?", "es", "de", "de"),  # --lang wins
        ("did Macron say que la France va quitter l'UE", "en", None, "en"),  # mixed: not sure enough
        ("5G 疫苗 chip ¿verdad? wahr?", "pt", None, "pt"),  # mixed scripts
        ("anything", "tlh", None, "en"),  # a hint with no catalog
        ("anything", "zh-Hans", None, "en"),
    ],
)
def test_negotiate(text: str, hint: str | None, chosen: str | None, expected: str) -> None:
    assert negotiate(text, hint, chosen) == expected


def test_translator_falls_back_to_english_and_fills_placeholders() -> None:
    assert translator("ja")("Sources:") == "Sources:"
    assert translator(None)("Full report") == "Full report"
    assert translator("es-MX")("Full report") == "Informe completo"
    assert translator("fr")("Pick a number from 1 to {count}.", count=3) == "Choisissez un numéro de 1 à 3."
    tn = translator("de").n
    one = tn(
        "Done: I deleted {count} stored record about you.",
        "Done: I deleted {count} stored records about you.",
        1,
    )
    many = tn(
        "Done: I deleted {count} stored record about you.",
        "Done: I deleted {count} stored records about you.",
        4,
    )
    assert "1 gespeicherten Eintrag" in one and "4 gespeicherte Einträge" in many
    assert (
        translator("es")("A moderator's own {words}", words="x") == "A moderator's own x"
    )  # not in a catalog


# ---------------------------------------------------------------------------------- the catalogs


def test_every_extracted_msgid_is_translated() -> None:
    """A new user-facing string must be translated in every catalog before it ships."""
    wanted = extracted()
    assert len(wanted) > 50, "the extraction found the marked strings"
    problems = []
    for language in TRANSLATED:
        messages = catalog(language)
        for msgid, where in sorted(wanted.items()):
            message = messages.get(msgid)
            strings = message.string if message is not None else ""
            strings = strings if isinstance(strings, tuple) else (strings,)
            if message is None or message.fuzzy or not all(strings):
                problems.append(f"  {language}: {msgid!r} ({where})")
    assert not problems, (
        f"{len(problems)} msgids have no translation:\n"
        + "\n".join(problems)
        + f"\nUpdate with: {UPDATE_COMMANDS}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders_and_markup(language: str) -> None:
    for message in catalog(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(PLACEHOLDER.findall(ids[-1]))
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) == expected, (language, message.id, text)
            for tag in ("<i>", "</i>", "&lt;", "**"):
                assert text.count(tag) == ids[0].count(tag), (language, message.id, tag)


def test_catalogs_ship_with_the_package() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"locale/*/LC_MESSAGES/*.po"' in pyproject
    for language in LANGUAGES:
        assert (LOCALE / language / "LC_MESSAGES" / "claimbot.po").is_file()


# ---------------------------------------------------------------------------------- composing


def card(**changes: object) -> FactCheckCard:
    values: dict[str, object] = {
        "claim": "A NYC police officer arrested an ICE agent.",
        "summary": "No record of such an arrest exists.",
        "publisher": "AFP",
        "checked_at": date(2026, 2, 2),
        "verdict": Verdict.FALSE,
        "language": "en",
    }
    return fact_check_card(**(values | changes))


def test_a_spanish_answer_keeps_the_fact_checks_english_marked() -> None:
    reply = compose_answer(
        card(),
        "ClaimBot can make mistakes. Please verify important information or "
        "breaking news with the linked sources.",
        request_id=5,
        language="es",
    )
    text = render_text(reply)
    assert reply.headline == "❌ Falso"
    assert "Afirmación: A NYC police officer arrested an ICE agent. (en inglés)" in text
    assert "Verificado el 2 de febrero de 2026 por AFP" in text
    assert "ClaimBot puede equivocarse" in text
    assert [a.label for a in reply.actions] == [
        "Informe completo",
        "No es lo que pregunté",
        "Avisarme de cambios",
        "👍",
        "👎",
    ]
    # The same fact-check for an English reader carries no marker.
    assert "(in English)" not in render_text(compose_answer(card(), "d", language="en"))
    german = render_text(compose_answer(card(language="de"), "d", language="fr"))
    assert "(en allemand)" in german and "Vérifié le 2 février 2026 par AFP" in german


def test_a_deployments_own_disclaimer_is_shown_as_set() -> None:
    assert compose_answer(card(), "Ask your librarian.", language="pt").disclaimer == "Ask your librarian."


def worst_cards() -> list[FactCheckCard]:
    long = "Ünïcödé 😀 " * 400
    sources = tuple(
        SourceLink("Outlet " * 40, "https://example.org/" + "a" * 400, n, "T" * 500) for n in (1, 2, 3)
    )
    return [
        card(
            claim=long,
            summary=long,
            title=long,
            rating_text="Pants on fire " * 30,
            sources=sources,
            publisher="P" * 300,
            rating_confirmed=False,
            language="de",
            verdict=verdict,
        )
        for verdict in Verdict
    ]


def every_reply(language: str) -> list:  # noqa: ANN201 - Replies
    disclaimer = (
        "ClaimBot can make mistakes. Please verify important information or breaking news "
        "with the linked sources."
    )
    big = 2**63 - 1  # the largest id a button may carry
    replies = []
    for c in worst_cards():
        c = replace(c, id=big)
        replies.append(compose_answer(c, disclaimer, request_id=big, language=language))
        replies.append(compose_update(c, disclaimer, language))
        replies.append(compose_notification(c, disclaimer, language))
    candidates = tuple(Candidate(replace(c, id=big - n), 0.5) for n, c in enumerate(worst_cards()[:3]))
    replies.append(
        compose(Outcome(OutcomeKind.SUGGEST, big, None, candidates, language=language), disclaimer)
    )
    replies.append(
        compose(Outcome(OutcomeKind.QUEUED, big, review_item_id=big, language=language), disclaimer)
    )
    for reason in (*REFUSALS, "unknown"):
        replies.append(compose(Outcome(OutcomeKind.REFUSED, reason=reason, language=language), disclaimer))
    return replies


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_reply_fits_telegram_in_every_language(language: str) -> None:
    for reply in every_reply(language):
        text, markup = render_html(reply)
        plain = re.sub(r"<[^>]+>", "", text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        assert utf16_len(plain) <= 4096
        for row in markup.inline_keyboard if markup else ():
            for button in row:
                assert len(button.text) <= 64, button.text
                assert button.callback_data is None or len(button.callback_data.encode()) <= MAX_CALLBACK_DATA


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_reply_fits_discord_in_every_language(language: str) -> None:
    for reply in every_reply(language):
        embed, view = render_embed(reply, can_pin=True)
        assert len(embed) <= 6000 and len(embed.title or "") <= 256
        assert len(embed.description or "") <= 4096 and len(embed.footer.text or "") <= 2048
        for item in view.children if view else ():
            if isinstance(item, discord.ui.Button):
                assert item.label is not None and len(item.label) <= LABEL_MAX
            if isinstance(item, discord.ui.Select):
                assert len(item.placeholder or "") <= 150
                assert all(len(option.label) <= 100 for option in item.options)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalog_string_fits_a_message_and_short_ones_a_button(language: str) -> None:
    """Strings sent alone fit a Discord message (2,000 characters); button labels stay short everywhere."""
    t = translator(language)
    for label in (
        "Full report",
        "Not what I asked",
        "Notify me of updates",
        "Notify me",
        "None of these",
        "Pin",
    ):
        assert len(t(label)) <= 40, (language, label, t(label))
    for message in catalog(language):
        for text in message.string if isinstance(message.string, tuple) else (message.string,):
            assert len(text) <= 2000 and utf16_len(text) <= 4096


# ---------------------------------------------------------------------------------- through the core


def test_the_question_language_carries_to_buttons_and_later_notifications(database_url: str) -> None:
    service = ClaimService.open(make_settings(database_url, TELEGRAM_MODERATOR_CHAT="-100"))
    try:
        asker = Asker("telegram", "u-es")
        question = Question(SPANISH, asker, ChatRef("telegram", "chat-es"), "1", "ev-1", language_hint="en")
        queued = service.ask(question)
        assert queued.kind is OutcomeKind.QUEUED and queued.language == "es"
        assert "Todavía no tengo una verificación" in render_text(
            compose(queued, service.settings.disclaimer)
        )
        # A button pressed later answers in the question's language, whatever the press carries.
        again = service.not_what_i_asked(queued.request_id, asker)
        assert again.language == "es"
        service.subscribe(asker, "chat-es", queued.request_id)
        nyc = service.ask(
            Question("did a NYC cop arrest an ICE agent", Asker("telegram", "u-en"), ChatRef("telegram", "c"))
        )
        assert nyc.language == "en"
        from bot.domain import Actor

        service.link(Actor("cli", "mod"), queued.review_item_id, nyc.fact_check.id)
        deliveries = [d for d in service.claim_deliveries("telegram") if d.kind == "answer"]
        assert [d.language for d in deliveries] == ["es"]
        reply = compose_notification(
            deliveries[0].fact_check, service.settings.disclaimer, deliveries[0].language
        )
        assert "Un moderador ha respondido" in reply.note and "(en inglés)" in reply.claim
    finally:
        service.engine.dispose()


def test_english_dates_are_written_as_babel_writes_them() -> None:
    """format_date writes English dates itself (Babel's locale data costs start-up time): the same."""
    from datetime import date, timedelta

    from babel.dates import format_date as babel_format_date

    from bot.i18n import format_date

    days = [date(2016, 1, 1) + timedelta(days=n) for n in range(0, 4000, 7)]
    assert [format_date(d, "en") for d in days] == [
        babel_format_date(d, format="long", locale="en") for d in days
    ]
