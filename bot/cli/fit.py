"""`claimbot matching fit`: refit the verifier from this database plus the shipped examples.

Positives are the moderators' links (each alias a phrasing of its fact-check); negatives are the
same phrasings with their fact-check removed and, when the front door records them, askers'
"wrong claim" reports. The threshold is chosen again on the shipped development examples, and the
before/after figures are printed on the shipped held-out sets (chat questions and CheckThat test).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from bot.config import default_verifier_weights
from bot.matching.fitting import (
    Example,
    alias_examples,
    figures,
    fit_verifier,
    load_examples,
    wrong_claim_examples,
)
from bot.matching.verifier import Verifier
from bot.service import ClaimService

# The hook for "wrong claim" feedback: a table with the question's text and the fact-check it was
# answered with. Until the front door adds one, there is nothing to read.
WRONG_CLAIM_TABLE = "wrongclaimreport"
WRONG_CLAIM_COLUMNS = ("text", "fact_check_id")


class FitError(Exception):
    """A one-line reason the refit could not run."""


def wrong_claim_reports(engine: Engine) -> list[tuple[str, int]]:
    if not inspect(engine).has_table(WRONG_CLAIM_TABLE):
        return []
    columns = ", ".join(WRONG_CLAIM_COLUMNS)
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT {columns} FROM {WRONG_CLAIM_TABLE}"))  # noqa: S608
        return [(str(t), int(f)) for t, f in rows if t]


def describe(examples: list[Example], verifier: Verifier) -> str:
    f = figures(examples, [verifier.probability(e.features) for e in examples], verifier.threshold_for)
    parts = []
    for kind in ("paraphrase", "near_miss", "unrelated", "tweet", "gold_removed"):
        n = int(f.get(f"{kind}_n", 0))
        if n:
            right = f" ({int(f[f'{kind}_right'])} right)" if kind in ("paraphrase", "tweet") else ""
            parts.append(f"{kind} {int(f[f'{kind}_answered'])}/{n} answered{right}")
    return "; ".join(parts)


def thresholds(verifier: Verifier) -> str:
    if verifier.short_threshold is None:
        return f"threshold {verifier.threshold:.3f}"
    return f"thresholds {verifier.short_threshold:.3f} questions, {verifier.threshold:.3f} long texts"


def run_fit(service: ClaimService, args: argparse.Namespace) -> int:
    matcher = service.matcher
    kind = "semantic" if matcher.encoder is not None else "lexical"
    shipped = load_examples().get(kind)
    if not shipped:
        raise FitError(f"no shipped {kind} examples in this installation: reinstall claimbot")
    before = matcher.verifiers.get(kind)
    taught = alias_examples(matcher)
    reports = wrong_claim_reports(service.engine)
    taught += wrong_claim_examples(matcher, reports)
    aliases = sum(e.kind == "alias" for e in taught)
    print(
        f"{kind}: {aliases} moderator phrasings, {len(reports)} wrong-claim reports, "
        f"{sum(len(v) for v in shipped.values())} shipped examples"
    )
    meta = {
        "command": "claimbot matching fit",
        "trained_on": [
            "checkthat train",
            "chat_tune",
            f"{aliases} aliases",
            f"{len(reports)} wrong-claim reports",
        ],
        "threshold_on": ["checkthat dev", "chat_tune and database out-of-fold"],
    }
    after = fit_verifier(shipped["train"], [*shipped["tune"], *taught], shipped["dev"], kind, meta)
    for name in ("heldout", "test"):
        rows = shipped.get(name, [])
        if before is not None:
            print(f"  [{name}] before ({thresholds(before)}): {describe(rows, before)}")
        print(f"  [{name}] after  ({thresholds(after)}): {describe(rows, after)}")
    path = Path(args.output or service.settings.verifier_weights or default_verifier_weights())
    models = {k: v.to_json() for k, v in matcher.verifiers.items()}
    models[kind] = after.to_json()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(models, indent=2) + "\n", encoding="utf-8")
    if service.settings.verifier_weights is not None and path == Path(service.settings.verifier_weights):
        print(f"wrote {path}: workers load it when they start")
    else:
        print(f"wrote {path}: set CLAIMBOT_VERIFIER_WEIGHTS={path} for workers to load it")
    return 0
