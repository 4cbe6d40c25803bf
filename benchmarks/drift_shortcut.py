"""Per chat question latency with and without the put-back shortcut, in one run on one core.

    python benchmarks/drift_shortcut.py [--rounds 3]

The catalogue of `benchmarks/matching.py --report` (the starter fact-checks among the 14,231
CheckThat claims, with vectors). Each chat question (tune and held-out parts) is matched as a serving
process does (`Matcher.match`: the question with a substituted word put back is encoded only when its
drift could change the answer) and with `exact=True` (always encoded, as before the shortcut), the
two alternated question by question and their order swapped each round, so that the machine's drift
falls on both alike. Prints p50 / p90 / p99 of each and checks that every decision is the same.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import matching as bench  # noqa: E402

from bot.matching.semantic import Encoder  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    corpus = bench.load_corpus()
    encoder = Encoder()
    corpus.vectors = bench.corpus_vectors(corpus, encoder)
    corpus.fields = bench.corpus_fields(corpus, encoder)
    matcher, _ = bench.chat_matcher(corpus, encoder)
    questions = [row["text"] for name in ("tune", "heldout") for row in bench.read_chat(name)]
    for text in questions[:20]:  # warm the model and the caches
        matcher.match(text, exact=True)
    times: dict[bool, list[float]] = {False: [], True: []}
    differ = bounded = 0
    for round_ in range(args.rounds):
        for i, text in enumerate(questions):
            decisions = {}
            for exact in (False, True) if (i + round_) % 2 == 0 else (True, False):
                start = time.perf_counter()
                matches = matcher.match(text, exact=exact)
                times[exact].append((time.perf_counter() - start) * 1000.0)
                decisions[exact] = matcher.decide(matches)
                if not exact and round_ == 0:
                    bounded += bool(matches) and "verifier_bound" in matches[0].signals
            differ += decisions[False] != decisions[True]
    print(f"pinned to CPU {cpu}; {len(questions)} chat questions x {args.rounds} rounds, 14,248 fact-checks")
    print(f"  decided by a bound (put-back not encoded): {bounded} of {len(questions)}")
    for exact, label in ((True, "always encoded (before)"), (False, "shortcut (served)")):
        ms = times[exact]
        p50, p90, p99 = (np.percentile(ms, q) for q in (50, 90, 99))
        print(
            f"  {label:24s} p50 {p50:6.2f} ms  p90 {p90:6.2f} ms  p99 {p99:6.2f} ms mean {np.mean(ms):.2f} ms"
        )
    print(f"  decisions that differ: {differ}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
