"""The issue-15 report of benchmarks/matching.py (`--report`): everything in one run.

- CheckThat 2A dev, dev-test, test: MAP@5 / P@1 of the matcher beside plain bm25s (PyPI, the
  `bench` extra), answers and their precision, "gold removed" answers, latency per tweet;
- the chat sets (benchmarks/data/chat_tune.jsonl, chat_heldout.jsonl) against the starter
  fact-checks hidden among all 14,231 CheckThat claims: paraphrases answered right / wrong, near
  misses and unrelated questions answered, with the verifier and with the stage-2 rules, latency per
  chat question (question encoding included);
- the curve of paraphrases answered vs near misses answered on the held-out chat part as the
  verifier's threshold moves (benchmarks/out/verifier_curve_<mode>.png with matplotlib, and a table).
"""

from __future__ import annotations

import time
from dataclasses import replace

import matching as bench
import numpy as np

from bot.matching import Match, Matcher
from bot.matching.normalise import tokens


def legacy(matcher: Matcher, matches: list[Match]) -> str:
    """What the stage-2 rules (score threshold + evidence rules) decide for the same matches."""
    if not matches:
        return "queued"
    plain = {k: v for k, v in matches[0].signals.items() if k not in ("verifier", "verifier_threshold")}
    return matcher.decide([replace(matches[0], signals=plain), *matches[1:]])


def percentiles(ms: list[float]) -> str:
    return f"p50 {np.percentile(ms, 50):.2f} ms  p99 {np.percentile(ms, 99):.2f} ms"


def bm25s_baseline(corpus: bench.Corpus, splits: list[bench.Split]) -> dict[str, dict[str, float]] | None:
    try:
        import bm25s
    except ImportError:
        print("  bm25s not installed (pip install '.[bench]'): baseline skipped")
        return None
    texts = [tokens(d.claim) + tokens(d.title) + tokens(d.summary) for d in corpus.docs]
    retriever = bm25s.BM25()
    retriever.index(texts, show_progress=False)
    vocab = retriever.vocab_dict
    out = {}
    for split in splits:
        rankings, latencies = [], []
        for _, text in split.queries:
            start = time.perf_counter()
            known = [t for t in tokens(text) if t in vocab]
            if known:
                docs, scores = retriever.retrieve([known], k=5, show_progress=False, n_threads=1)
                rankings.append([int(i) for i, v in zip(docs[0], scores[0], strict=True) if v > 0])
            else:
                rankings.append([])
            latencies.append((time.perf_counter() - start) * 1000)
        figures = bench.ranking_figures(rankings, [split.gold[q] for q, _ in split.queries])
        figures["p50"], figures["p99"] = np.percentile(latencies, 50), np.percentile(latencies, 99)
        out[split.name] = figures
    return out


def checkthat(matcher: Matcher, corpus: bench.Corpus) -> None:
    splits = [bench.load_split(name, corpus) for name in ("dev", "dev-test", "test")]
    baseline = bm25s_baseline(corpus, splits)
    for split in splits:
        golds = [split.gold[q] for q, _ in split.queries]
        results, latency = bench.run_queries(matcher, split)
        rank = bench.ranking_figures([[m.fact_check_id for m in r] for r in results], golds)
        answers = bench.answer_figures(matcher, results, golds)
        removed = bench.gold_removed(matcher, corpus, split)
        print(
            f"[{split.name}] {len(split.queries)} tweets: MAP@5 {rank['MAP@5']:.3f}  P@1 {rank['P@1']:.3f}; "
            f"answered {answers['answered']} ({answers['coverage']:.1%}), {answers['wrong']} wrong; "
            f"gold removed: {removed['answered']:.1%} answered; per tweet {percentiles(list(latency))}"
        )
        if baseline:
            b = baseline[split.name]
            print(
                f"  bm25s    : MAP@5 {b['MAP@5']:.3f}  P@1 {b['P@1']:.3f}; per tweet p50 {b['p50']:.2f} ms"
                f"  p99 {b['p99']:.2f} ms"
            )


def chat(matcher: Matcher, key_to_id: dict[str, int], name: str) -> list[tuple[float, str, bool, bool]]:
    """Prints the figures of one chat set; returns (probability, kind, right top, rules allow) rows."""
    from bot.matching.matcher import hard_rules_allow

    tally: dict[str, dict[str, int]] = {}
    latencies, cpu, rows = [], [], []
    groups = bench.same_claims(key_to_id)  # an answer telling the same claim is right
    judged = bench.other_answers()
    claims = {doc.fact_check_id: doc.claim for doc in matcher.documents()}
    for row in bench.read_chat(name):
        start, process = time.perf_counter(), time.process_time()
        matches = matcher.match(row["text"])
        latencies.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - process) * 1000)  # what a busy machine's wall time hides
        kind = row["kind"]
        gold = bench.chat_gold(row, key_to_id, groups)
        top = matches[0].fact_check_id if matches else None
        if kind == "near_miss" and top is not None and top not in gold:
            # another stored fact-check may be exactly about it: as a person judged it
            kind = bench.judged_kind("near_miss_other", row["text"], claims[top], judged)
        t = tally.setdefault(kind, {"n": 0, "answered": 0, "right": 0, "rules": 0, "rules_right": 0})
        t["n"] += 1
        right = (kind == "paraphrase" and top in gold) or kind == "other_right"
        for prefix, outcome in (("", matcher.decide(matches)), ("rules_", legacy(matcher, matches))):
            if outcome == "answer":
                t[prefix + "answered" if not prefix else "rules"] += 1
                t[prefix + "right"] += right
        if matches and "verifier_bound" in matches[0].signals:
            # The curve sweeps the threshold, so it needs the figure a bound stood in for.
            matches = matcher.match(row["text"], exact=True)
        p = matches[0].signals.get("verifier", 0.0) if matches else 0.0
        rows.append((p, kind, right, bool(matches) and hard_rules_allow(matches[0])))
    print(
        f"[chat {name}] {sum(t['n'] for t in tally.values())} questions; "
        f"per question {percentiles(latencies)} (CPU {percentiles(cpu)})"
    )
    for kind, t in sorted(tally.items()):
        positive = kind in ("paraphrase", "other_right")
        wrong = t["answered"] - t["right"] if positive else t["answered"]
        rules_wrong = t["rules"] - t["rules_right"] if positive else t["rules"]
        print(
            f"  {kind:15s} n={t['n']:3d}  verifier: answered {t['answered']:3d} "
            f"({t['answered'] / t['n']:.1%})"
            f" right {t['right']:3d} wrong {wrong:2d}   stage-2 rules: answered {t['rules']:3d}"
            f" right {t['rules_right']:3d} wrong {rules_wrong:2d}"
        )
    return rows


def curve(rows: list[tuple[float, str, bool, bool]], threshold: float, mode: str) -> None:
    """Paraphrases answered right vs near misses answered on the held-out set, threshold swept."""
    paraphrases = sum(k == "paraphrase" for _, k, _, _ in rows) or 1
    near = sum(k == "near_miss" for _, k, _, _ in rows) or 1

    def point(t: float) -> tuple[float, float, float, int]:
        answered = [(k, r) for p, k, r, ok in rows if ok and p >= t]
        return (
            t,
            sum(k == "paraphrase" and r for k, r in answered) / paraphrases,
            sum(k == "near_miss" for k, _ in answered) / near,
            sum(k == "paraphrase" and not r for k, r in answered),
        )

    points = [point(float(t)) for t in np.round(np.arange(0.30, 1.0, 0.02), 2)]
    shipped = point(threshold)
    print(f"[curve heldout, {mode}] threshold: paraphrases answered right / near misses answered / wrong")
    for t, right, nm, wrong in sorted({*points[::3], shipped}):
        mark = "  <- shipped" if t == threshold else ""
        print(f"  {t:.3f}: {right:.1%} / {nm:.1%} / {wrong}{mark}")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([p[2] for p in points], [p[1] for p in points], marker=".")
    for t, right, nm, _ in points[::5]:
        ax.annotate(f"{t:.2f}", (nm, right), fontsize=7)
    ax.scatter(shipped[2], shipped[1], color="red", zorder=3, label=f"shipped threshold {threshold:.3f}")
    ax.legend()
    ax.set_xlabel("near misses answered (share)")
    ax.set_ylabel("paraphrases answered with the right fact-check")
    ax.set_title(f"chat_heldout ({mode}): verifier threshold swept")
    bench.OUT.mkdir(parents=True, exist_ok=True)
    path = bench.OUT / f"verifier_curve_{mode}.png"
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    print(f"  plot: {path.relative_to(bench.ROOT)}")


def report(corpus: bench.Corpus, encoder: bench.Encoder | None) -> None:
    mode = "semantic" if encoder is not None else "lexical"
    matcher, seconds, _ = bench.build(corpus, encoder=encoder)
    print(f"CheckThat catalogue ({mode}): {len(matcher)} claims indexed in {seconds:.1f} s")
    checkthat(matcher, corpus)
    del matcher
    matcher, key_to_id = bench.chat_matcher(corpus, encoder)
    if encoder is not None:
        encoder.encode(["warm up"])
    print(f"chat catalogue ({mode}): {len(matcher)} fact-checks")
    chat(matcher, key_to_id, "tune")
    rows = chat(matcher, key_to_id, "heldout")
    chat(matcher, key_to_id, "fresh")
    verifier = matcher.verifiers.get(mode)
    if verifier is not None:  # the held-out questions are chat questions: their own threshold
        curve(rows, verifier.short_threshold or verifier.threshold, mode)
