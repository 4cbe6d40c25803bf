"""Candidates for benchmarks/data/same_claims.json: stored fact-checks that may tell the same claim as
one the chat sets ask about.

    python benchmarks/same_claim_candidates.py [--cos 0.75] [--fuzz 80]

For every fact-check a chat question asks about (or nearly asks about), every other fact-check of the
issue-15 catalogue (the starter set among the 14,231 CheckThat claims) whose claim+title vector has a
cosine of at least --cos with it (all-MiniLM-L6-v2, the cached vectors of benchmarks/matching.py), or
whose claim has a rapidfuzz token_set_ratio of at least --fuzz with it. Printed for a person to read:
only pairs that tell the same who/what/where/when go into same_claims.json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import matching as bench  # noqa: E402

from bot.matching.semantic import Encoder  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cos", type=float, default=0.75)
    parser.add_argument("--fuzz", type=float, default=80.0)
    args = parser.parse_args()
    corpus = bench.load_corpus()
    encoder = Encoder()
    vectors = bench.corpus_vectors(corpus, encoder)
    starter, key_to_id = bench.starter_docs()
    docs = {d.fact_check_id: d for d in corpus.docs} | {d.fact_check_id: d for d in starter}
    keys = {v: i for i, v in enumerate(corpus.vclaim_ids)} | key_to_id
    id_to_key = {i: k for k, i in keys.items()}
    starter_vectors = encoder.encode_documents(starter)
    ids = [d.fact_check_id for d in corpus.docs] + [d.fact_check_id for d in starter]
    matrix = np.vstack([vectors, starter_vectors])
    claims = [docs[i].claim or docs[i].title for i in ids]
    asked = {row["fact_check"] for name in ("tune", "heldout") for row in bench.read_chat(name)}
    targets = sorted(asked - {None})
    for key in targets:
        fid = keys[key]
        row = ids.index(fid)
        cos = matrix @ matrix[row]
        near = {ids[j] for j in np.nonzero(cos >= args.cos)[0]}
        if args.fuzz <= 100:
            near |= {
                ids[j]
                for _, _, j in process.extract(
                    claims[row], claims, scorer=fuzz.token_set_ratio, score_cutoff=args.fuzz, limit=20
                )
                # a one-word "claim" ("The") is a subset of every claim: token_set_ratio 100
                if len(claims[j].split()) >= 3
            }
        near.discard(fid)
        if not near:
            continue
        print(f"\n== {key}: {claims[row]!r}")
        for other in sorted(near, key=lambda o: -cos[ids.index(o)]):
            j = ids.index(other)
            ratio = fuzz.token_set_ratio(claims[row], claims[j])
            print(f"   {cos[j]:.2f} {ratio:5.1f}  {id_to_key[other]}: {claims[j]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
