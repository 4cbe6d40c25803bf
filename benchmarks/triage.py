"""Triage benchmark: how many messages bot/triage.py routes correctly (chit-chat or claim).

    python benchmarks/triage.py        # benchmarks/data/triage.jsonl, plus the chat sets' questions
    python benchmarks/triage.py -v     # also list every message routed wrongly

Prints, per set and language, messages routed correctly and "claims wrongly taken for chit-chat"
(the costly mistake: such a claim is never checked). The chat sets (chat_dev.jsonl,
chat_holdout.jsonl) were written for the matcher; every question in them that is not labelled
chit-chat is a claim, so they are a second check that real questions get through.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.triage import triage  # noqa: E402

DATA = ROOT / "benchmarks" / "data"


def load(path: Path) -> list[tuple[str, str, str]]:
    """(text, label, language) for each line; the chat sets' kinds other than chit-chat are claims."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        label = row.get("label") or ("chitchat" if row.get("kind") == "chitchat" else "claim")
        rows.append((row["text"], label, row.get("lang", "en")))
    return rows


def report(name: str, rows: list[tuple[str, str, str]], verbose: bool) -> tuple[int, int]:
    correct, missed_claims = Counter(), Counter()
    totals, claims = Counter(), Counter()
    wrong = []
    for text, label, lang in rows:
        got = "claim" if triage(text).is_claim else "chitchat"
        totals[lang] += 1
        claims[lang] += label == "claim"
        if got == label:
            correct[lang] += 1
        else:
            wrong.append((label, got, text))
            missed_claims[lang] += label == "claim"
    n, ok = sum(totals.values()), sum(correct.values())
    print(
        f"{name}: {ok}/{n} routed correctly ({ok / n:.1%}); claims wrongly taken for chit-chat: "
        f"{sum(missed_claims.values())}/{sum(claims.values())}"
    )
    for lang in sorted(totals):
        print(
            f"  {lang}: {correct[lang]}/{totals[lang]} correct, "
            f"{missed_claims[lang]}/{claims[lang]} claims taken for chit-chat"
        )
    if verbose:
        for label, got, text in wrong:
            print(f"    {label} routed as {got}: {text!r}")
    return ok, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    report("triage.jsonl", load(DATA / "triage.jsonl"), args.verbose)
    chat = load(DATA / "chat_dev.jsonl") + load(DATA / "chat_holdout.jsonl")
    report("chat_dev + chat_holdout", chat, args.verbose)


if __name__ == "__main__":
    main()
