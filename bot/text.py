"""Text from outside (questions, moderators' words, imported fact-checks) made safe to store and show."""

from __future__ import annotations

import unicodedata

# Control, format (zero-width, bidi overrides), surrogate and private-use characters: invisible or
# misleading on screen, and PostgreSQL refuses NUL outright.
_DROPPED = frozenset(("Cc", "Cf", "Cs", "Co"))


def clean_text(text: str, *, keep_lines: bool = False) -> str:
    """Drop control and zero-width characters a platform or a terminal may carry; keep the rest literally.

    Runs of whitespace become one space; with `keep_lines` each line is cleaned on its own and line
    breaks stay, for prose whose paragraphs matter (a summary, a report's body).
    """
    if keep_lines and "\n" in text:
        # Only "\n" separates lines: a vertical tab or a form feed is a control character like any other.
        return "\n".join(clean_text(line) for line in text.split("\n")).strip("\n")
    if not text.isprintable():  # printable text holds none of them: skip the per-character walk
        text = "".join(" " if unicodedata.category(ch) in _DROPPED else ch for ch in text)
    elif "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text  # its only whitespace is single spaces between words (other spaces are unprintable)
    # Bidi marks (Cf) are dropped above; right-to-left letters themselves are kept.
    return " ".join(text.split())
