"""How well the reply language is chosen for short questions (bot/i18n.py).

Reads benchmarks/data/language_questions.jsonl ({"lang", "text"}; lang null for text too short or too
mixed to tell) and prints, for the detector over all its languages and restricted to bot.i18n.DETECTABLE:
the share of questions whose language is detected right, and, at several confidence floors, how often
negotiate() picks the right reply language for an asker whose app is in English, and in Spanish (a
Spanish question from an English-UI user must get Spanish; a confident Chinese question gets the app's
language, as zh has no catalog; an unlabelled short text keeps the app's language). Also the load time.

    python benchmarks/language_detection.py
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from bot import i18n

DATA = Path(__file__).parent / "data" / "language_questions.jsonl"


def main() -> None:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    labelled = [r for r in rows if r["lang"]]
    started = time.perf_counter()
    full = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    print(f"model load: {time.perf_counter() - started:.2f} s")
    restricted = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    restricted.set_languages(list(i18n.DETECTABLE))
    for name, identifier in (("all 97 languages", full), (f"{len(i18n.DETECTABLE)} languages", restricted)):
        right = sum(identifier.classify(r["text"])[0] == r["lang"] for r in labelled)
        print(f"detected right, {name}: {right}/{len(labelled)} ({right / len(labelled):.1%})")
        by_language: dict[str, list[int]] = {}
        for r in labelled:
            by_language.setdefault(r["lang"], []).append(identifier.classify(r["text"])[0] == r["lang"])
        print("  " + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in by_language.items()))
    print("reply language chosen right (negotiate), for an asker whose app is in English / in Spanish:")
    default_floor = i18n.CONFIDENT
    for floor in (0.5, 0.7, 0.8, 0.9, 0.95, 0.99):
        i18n.CONFIDENT = floor
        scores = []
        for hint in ("en", "es"):
            right = 0
            for r in rows:
                # Unlabelled text keeps the app's language; a language without a catalog gets the app's too.
                expected = i18n.supported(r["lang"]) or hint
                right += i18n.negotiate(r["text"], hint) == expected
            scores.append(f"{right}/{len(rows)} ({right / len(rows):.1%})")
        marker = "  <- bot.i18n.CONFIDENT" if floor == default_floor else ""
        print(f"  confidence >= {floor:.2f}: " + " / ".join(scores) + marker)
    i18n.CONFIDENT = default_floor
    started = time.perf_counter()
    for _ in range(10):
        for r in rows:
            i18n.negotiate(r["text"], "en")
    per = (time.perf_counter() - started) / (10 * len(rows))
    print(f"negotiate per question: {per * 1000:.3f} ms")


if __name__ == "__main__":
    main()
