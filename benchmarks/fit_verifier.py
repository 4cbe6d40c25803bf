"""Fit the shipped verifier (bot/matching/verifier.json) and its examples (verifier_data.json.gz).

    python benchmarks/fit_verifier.py              # lexical-only mode (CLAIMBOT_SEMANTIC=false)
    python benchmarks/fit_verifier.py --semantic   # with embeddings (the vclaim vectors are cached
                                                   # in benchmarks/out; the first run encodes them)

The catalogue is the 17 starter fact-checks hidden among the 14,231 CheckThat claims. Examples (the
top candidate of each question, see bot/matching/fitting.py):
- train: CheckThat train tweets, each with its top answer and its top answer with the gold claims
  removed (same-topic negatives); tune: benchmarks/data/chat_tune.jsonl.  The model is fitted on both.
- dev: CheckThat dev the same way: with out-of-fold tune predictions, it chooses the threshold.
- heldout (benchmarks/data/chat_heldout.jsonl) and test (CheckThat test): only ever reported; they
  ship so that `claimbot matching fit` can print before/after figures on them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import matching as bench  # noqa: E402

from bot.cli.fit import thresholds  # noqa: E402
from bot.matching import Matcher  # noqa: E402
from bot.matching.fitting import (  # noqa: E402
    DATA_FILE,
    Example,
    example,
    figures,
    fit_verifier,
    load_examples,
    save_examples,
)
from bot.matching.semantic import Encoder  # noqa: E402
from bot.matching.verifier import WEIGHTS_FILE  # noqa: E402

PACKAGE = ROOT / "bot" / "matching"


def tweet_examples(
    matcher: Matcher, corpus: bench.Corpus, name: str, limit: int | None = None
) -> list[Example]:
    """Each query's top answer, and its top answer with the gold claims removed."""
    split = bench.load_split(name, corpus)
    out = []
    for qid, text in split.queries[:limit]:
        gold = split.gold[qid]
        found = example(matcher, text, gold, "tweet", qid)
        for fid in gold:
            matcher.remove(fid)
        removed = example(matcher, text, set(), "gold_removed", qid)
        ids = sorted(gold)
        matcher.upsert_many([corpus.docs[i] for i in ids], bench.doc_vectors(matcher, corpus, ids))
        out += [e for e in (found, removed) if e is not None]
    return out


def chat_examples(matcher: Matcher, key_to_id: dict[str, int], name: str) -> list[Example]:
    out = []
    groups = bench.same_claims(key_to_id)  # an answer telling the same claim is a positive
    judged = bench.other_answers()  # near misses topped by another fact-check, judged by a person
    claims = {doc.fact_check_id: doc.claim for doc in matcher.documents()}
    for row in bench.read_chat(name):
        gold = set(bench.chat_gold(row, key_to_id, groups))
        near = gold if row["kind"] == "near_miss" else None
        found = example(matcher, row["text"], gold, row["kind"], row["fact_check"] or row["text"], near)
        if found is not None and found.kind == "near_miss_other":
            top = matcher.match(row["text"], top_k=1)[0].fact_check_id
            kind = bench.judged_kind(found.kind, row["text"], claims[top], judged)
            # judged right: the question's own claim answered (a positive); wrong: a near miss answered
            kind = "paraphrase" if kind == "other_right" else kind
            found = replace(found, kind=kind, label=kind == "paraphrase")
        if found is not None:
            out.append(found)
        else:  # nothing matched: never answered, kept so that the figures count every question
            out.append(Example({}, False, False, row["kind"], row["fact_check"] or row["text"]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--semantic", action="store_true")
    parser.add_argument(
        "--from-examples", action="store_true", help="refit from the shipped examples (features unchanged)"
    )
    parser.add_argument(
        "--train-limit", type=int, default=None, metavar="N", help="only the first N train tweets (time)"
    )
    args = parser.parse_args(argv)
    kind = "semantic" if args.semantic else "lexical"
    if args.from_examples:
        # The examples are those the recorded command computed: keep its options.
        recorded = json.loads((PACKAGE / WEIGHTS_FILE).read_text())[kind]["command"].split(" --semantic")
        options = recorded[-1] if args.semantic else recorded[0].partition("fit_verifier.py")[2]
        return write(kind, load_examples(PACKAGE / DATA_FILE)[kind], args.semantic, options)
    corpus = bench.load_corpus()
    encoder = Encoder() if args.semantic else None
    if encoder is not None:
        corpus.vectors = bench.corpus_vectors(corpus, encoder)
    start = time.perf_counter()
    matcher, key_to_id = bench.chat_matcher(corpus, encoder, verifiers={})
    print(
        f"catalogue ({kind}): {len(matcher)} fact-checks in {time.perf_counter() - start:.1f} s", flush=True
    )
    sets: dict[str, list[Example]] = {}
    for name in ("train", "dev", "test"):
        sets[name] = tweet_examples(matcher, corpus, name, args.train_limit if name == "train" else None)
        print(f"  {name}: {len(sets[name])} examples", flush=True)
    for name in ("tune", "heldout"):
        sets[name] = chat_examples(matcher, key_to_id, name)
        print(f"  chat {name}: {len(sets[name])} examples", flush=True)
    limit = f" --train-limit {args.train_limit}" if args.train_limit else ""
    return write(kind, sets, args.semantic, limit)


def write(kind: str, sets: dict[str, list[Example]], semantic: bool, options: str = "") -> int:
    """Fit, print the figures per set, write verifier.json and the examples."""
    command = "python benchmarks/fit_verifier.py" + (" --semantic" if semantic else "") + options
    meta = {
        "command": command,
        "trained_on": ["checkthat train", "chat_tune"],
        "threshold_on": ["checkthat dev", "chat_tune out-of-fold"],
    }
    verifier = fit_verifier(sets["train"], sets["tune"], sets["dev"], kind, meta)
    for name in ("dev", "tune", "heldout", "test"):
        rows = sets[name]
        f = figures(rows, [verifier.probability(e.features) for e in rows], verifier.threshold_for)
        print(f"  [{name}] " + "  ".join(f"{k} {v:g}" for k, v in sorted(f.items())))
    path = PACKAGE / WEIGHTS_FILE
    models = json.loads(path.read_text()) if path.exists() else {}
    models[kind] = verifier.to_json()
    path.write_text(json.dumps(models, indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT)} [{kind}]: {thresholds(verifier)}")
    data = PACKAGE / DATA_FILE
    shipped = load_examples(data) if data.exists() else {}
    shipped[kind] = sets
    save_examples(data, shipped)
    print(f"wrote {data.relative_to(ROOT)} ({data.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
