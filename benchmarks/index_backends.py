"""Which kept library should hold the match index? Lexical and vector candidates measured side by side.

    python benchmarks/index_backends.py --one-core                     # 14,231 CheckThat! claims
    python benchmarks/index_backends.py --one-core --size 300000       # generated ClaimReviews (scale.py)
    python benchmarks/index_backends.py --one-core --size 300000 --only vectors

Every candidate gets the same documents, tokenised once by the matcher's own normaliser
(`content_tokens(normalise(...))` of claim, title and summary), and the same questions (CheckThat dev
tweets, or scale.py's generated questions). Per candidate it prints: build time, files on disk, the
time to open the saved files (memory-mapped where the library can), query latency p50 / p99 for the
matcher's candidate depth (200 BM25 slots, 50 vectors) on one thread, how well its top 50 agrees with
the matcher's own BM25 (or the exact cosine), and what one incremental change costs (add one
document and make it visible to the next query), or "rebuild" where the library cannot.

Lexical: the matcher's in-memory BM25 (bot/matching/bm25.py), the same scores computed over
memory-mapped CSC arrays (numpy, what bot/matching/segment.py stores), bm25s (sparse matrix, mmap
load), tantivy (tantivy-py, persisted segments, incremental) and SQLite FTS5 (bm25()).
Vectors: numpy brute force on a memory-mapped float32 / float16 matrix, usearch (HNSW, f16 / i8,
`view` = memory-mapped), faiss-cpu (flat inner product, HNSW; IO_FLAG_MMAP).

At 300k the vectors are the 14,231 real CheckThat! vectors repeated with noise (encoding 300k texts
takes an hour on one core); the questions' vectors are real encoded dev tweets.
Needs the `bench` extra plus the candidates: pip install bm25s tantivy usearch faiss-cpu
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # faiss and BLAS on one thread, like a worker
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bot.matching.bm25 import BM25Index  # noqa: E402
from bot.matching.normalise import content_tokens, normalise  # noqa: E402

SLOTS = 200  # Matcher.CANDIDATE_SLOTS
VECTOR_K = 50  # Matcher.CANDIDATES
K1, B = 1.2, 0.75


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def tokens_of(*texts: str) -> list[str]:
    out: list[str] = []
    for text in texts:
        if text and text.strip():
            out.extend(content_tokens(normalise(text)))
    return out


# --- data -----------------------------------------------------------------------------------------


def checkthat_data() -> tuple[list[list[str]], list[list[str]], list[str]]:
    import matching as bench

    corpus = bench.load_corpus()
    docs = [tokens_of(d.claim, d.title, d.summary) for d in corpus.docs]
    split = bench.load_split("dev", corpus)
    texts = [text for _, text in split.queries]
    return docs, [tokens_of(t) for t in texts], texts


def generated_data(size: int, count: int) -> tuple[list[list[str]], list[list[str]], list[str]]:
    import scale

    docs = []
    for i in range(size):
        r = scale.make_record(i)
        docs.append(tokens_of(str(r["claimReviewed"]), str(r["headline"]), str(r["description"])))
    questions = [text for _, text, _ in scale.make_questions(size, count, scale.SEED + size)]
    return docs, [tokens_of(t) for t in questions], questions


def real_vectors() -> np.ndarray:
    import matching as bench

    from bot.matching import Encoder

    corpus = bench.load_corpus()
    return bench.corpus_vectors(corpus, Encoder())


def question_vectors(texts: list[str]) -> np.ndarray:
    from bot.matching import Encoder
    from bot.matching.normalise import strip_noise

    cache = ROOT / "benchmarks" / "out" / f"dev_questions_{len(texts)}.npy"
    if cache.exists():
        return np.load(cache)
    vectors = Encoder().encode([strip_noise(t) for t in texts])
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


def tiled_vectors(base: np.ndarray, size: int, seed: int = 7) -> np.ndarray:
    """`size` unit vectors: the real ones repeated, each copy moved by noise (a realistic spread)."""
    rng = np.random.default_rng(seed)
    out = np.empty((size, base.shape[1]), dtype=np.float32)
    for start in range(0, size, len(base)):
        n = min(len(base), size - start)
        chunk = base[:n] + (0.0 if start == 0 else 0.35) * rng.standard_normal((n, base.shape[1])).astype(
            np.float32
        ) / np.sqrt(base.shape[1])
        out[start : start + n] = chunk / np.linalg.norm(chunk, axis=1, keepdims=True)
    return out


# --- lexical candidates ---------------------------------------------------------------------------


class Result:
    def __init__(self, name: str) -> None:
        self.name = name
        self.build = self.open = float("nan")
        self.disk_mb = 0.0
        self.times: list[float] = []
        self.agree = float("nan")
        self.incremental = "n/a"
        self.note = ""

    def line(self) -> str:
        p50, p99 = pct(self.times, 50), pct(self.times, 99)
        note = f"  {self.note}" if self.note else ""
        return (
            f"  {self.name:<34} build {self.build:7.2f} s  disk {self.disk_mb:7.1f} MB  "
            f"open {self.open * 1000:8.1f} ms  query p50 {p50:7.2f} p99 {p99:7.2f} ms"
            f"  top50 agree {self.agree:5.1%}  one add: {self.incremental}{note}"
        )


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def top_ids(scores: np.ndarray, k: int) -> np.ndarray:
    nonzero = np.flatnonzero(scores > 0)
    if len(nonzero) > k:
        nonzero = nonzero[np.argpartition(-scores[nonzero], k - 1)[:k]]
    return nonzero[np.argsort(-scores[nonzero], kind="stable")]


def agreement(found: list[list[int]], reference: list[list[int]], k: int = 50) -> float:
    shares = [
        len(set(f[:k]) & set(r[:k])) / min(k, len(r)) for f, r in zip(found, reference, strict=True) if r
    ]
    return float(np.mean(shares)) if shares else float("nan")


def run_own(docs, queries) -> tuple[Result, list[list[int]]]:
    result = Result("matcher BM25 (in memory, today)")

    def build() -> BM25Index:
        index = BM25Index()
        for terms in docs:
            index.add(terms)
        return index

    result.build, index = timed(build)
    result.note = "no files: rebuilt from the database at every start"
    ranked = []
    for q in queries:
        started = time.perf_counter()
        ids = top_ids(index.scores(q), SLOTS)
        result.times.append((time.perf_counter() - started) * 1000)
        ranked.append([int(i) for i in ids])
    result.agree = 1.0
    started = time.perf_counter()
    index.add(docs[0])
    index.scores(queries[0])
    result.incremental = f"{(time.perf_counter() - started) * 1000:.2f} ms"
    return result, ranked


def run_csc(docs, queries, work: Path, reference) -> Result:
    """The matcher's BM25 over CSC arrays saved with numpy and opened memory-mapped."""
    result = Result("numpy CSC, mmap (matcher's BM25)")
    vocab: dict[str, int] = {}

    def build() -> None:
        rows, cols, tfs = [], [], []
        for d, terms in enumerate(docs):
            counts: dict[int, int] = {}
            for t in terms:
                tid = vocab.setdefault(t, len(vocab))
                counts[tid] = counts.get(tid, 0) + 1
            rows.extend([d] * len(counts))
            cols.extend(counts)
            tfs.extend(counts.values())
        cols_np = np.array(cols, dtype=np.int32)
        order = np.argsort(cols_np, kind="stable")
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(cols_np, minlength=len(vocab)), out=indptr[1:])
        np.save(work / "slots.npy", np.array(rows, dtype=np.int32)[order])
        np.save(work / "tfs.npy", np.array(tfs, dtype=np.float32)[order])
        np.save(work / "indptr.npy", indptr)
        np.save(work / "lengths.npy", np.array([len(d) for d in docs], dtype=np.float32))
        (work / "vocab.json").write_text(json.dumps(list(vocab)))

    result.build, _ = timed(build)
    result.disk_mb = dir_mb(work)

    def open_() -> tuple:
        words = json.loads((work / "vocab.json").read_text())
        return (
            {w: i for i, w in enumerate(words)},
            np.load(work / "slots.npy", mmap_mode="r"),
            np.load(work / "tfs.npy", mmap_mode="r"),
            np.load(work / "indptr.npy", mmap_mode="r"),
            np.load(work / "lengths.npy", mmap_mode="r"),
        )

    result.open, (ids, slots, tfs, indptr, lengths) = timed(open_)
    n = len(lengths)
    avgdl = float(lengths.sum()) / n
    norm = K1 * (1.0 - B + B * np.asarray(lengths) / avgdl)
    ranked = []
    for q in queries:
        started = time.perf_counter()
        out = np.zeros(n, dtype=np.float32)
        for term in dict.fromkeys(q):
            tid = ids.get(term)
            if tid is None:
                continue
            lo, hi = indptr[tid], indptr[tid + 1]
            s, tf = slots[lo:hi], tfs[lo:hi]
            idf = np.log(1.0 + (n - (hi - lo) + 0.5) / ((hi - lo) + 0.5))
            out[s] += idf * q.count(term) * tf * (K1 + 1.0) / (tf + norm[s])
        found = top_ids(out, SLOTS)
        result.times.append((time.perf_counter() - started) * 1000)
        ranked.append([int(i) for i in found])
    result.agree = agreement(ranked, reference)
    result.incremental = "in-memory delta (segment.py)"
    return result


def run_bm25s(docs, queries, work: Path, reference) -> Result:
    import bm25s

    result = Result("bm25s (sparse matrix, mmap load)")

    def build() -> None:
        vocab: dict[str, int] = {}
        ids = [[vocab.setdefault(t, len(vocab)) for t in d] for d in docs]
        retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
        retriever.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)
        retriever.save(str(work))

    result.build, _ = timed(build)
    result.disk_mb = dir_mb(work)
    result.open, retriever = timed(lambda: bm25s.BM25.load(str(work), mmap=True, show_progress=False))
    vocab = retriever.vocab_dict
    ranked = []
    for q in queries:
        started = time.perf_counter()
        known = [vocab[t] for t in q if t in vocab]
        if known:
            scores = retriever.get_scores(known)
            found = top_ids(scores, SLOTS)
        else:
            found = np.zeros(0, dtype=np.int64)
        result.times.append((time.perf_counter() - started) * 1000)
        ranked.append([int(i) for i in found])
    result.agree = agreement(ranked, reference)
    result.incremental = "rebuild (no add/remove)"
    return result


def run_tantivy(docs, queries, work: Path, reference) -> Result:
    import tantivy

    result = Result("tantivy (persisted, incremental)")
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("terms", tokenizer_name="whitespace", index_option="freq")
    builder.add_integer_field("slot", stored=True, fast=True, indexed=True)
    schema = builder.build()

    def build() -> None:
        index = tantivy.Index(schema, path=str(work))
        writer = index.writer(heap_size=200_000_000, num_threads=1)
        for d, terms in enumerate(docs):
            writer.add_document(tantivy.Document(terms=" ".join(terms), slot=d))
        writer.commit()
        writer.wait_merging_threads()

    try:
        result.build, _ = timed(build)
    except Exception as exc:  # noqa: BLE001 - report what the binding refused
        result.note = f"build failed: {exc}"
        return result
    result.disk_mb = dir_mb(work)

    def open_():
        index = tantivy.Index.open(str(work))
        index.reload()
        return index, index.searcher()

    result.open, (index, searcher) = timed(open_)
    ranked = []
    for q in queries:
        started = time.perf_counter()
        clauses = [
            (tantivy.Occur.Should, tantivy.Query.term_query(schema, "terms", t)) for t in dict.fromkeys(q)
        ]
        if clauses:
            hits = searcher.search(tantivy.Query.boolean_query(clauses), limit=SLOTS, count=False).hits
            # One segment after the bulk build: a hit's doc id is its slot (no doc-store read).
            found = [address.doc for _, address in hits]
        else:
            found = []
        result.times.append((time.perf_counter() - started) * 1000)
        ranked.append(found)
    result.agree = agreement(ranked, reference)
    writer = index.writer(heap_size=50_000_000, num_threads=1)
    started = time.perf_counter()
    writer.add_document(tantivy.Document(terms=" ".join(docs[0]), slot=len(docs)))
    writer.commit()
    index.reload()
    index.searcher().search(tantivy.Query.term_query(schema, "terms", docs[0][0]), limit=SLOTS)
    result.incremental = f"{(time.perf_counter() - started) * 1000:.1f} ms (commit + reload)"
    result.note = "scores: quantised field norms"
    return result


def run_fts5(docs, queries, work: Path, reference) -> Result:
    result = Result("SQLite FTS5 bm25()")
    path = work / "fts.db"

    def build() -> None:
        conn = sqlite3.connect(path)
        conn.execute("CREATE VIRTUAL TABLE fts USING fts5(terms, tokenize = \"unicode61 tokenchars '-'\")")
        conn.executemany(
            "INSERT INTO fts(rowid, terms) VALUES (?, ?)", ((d, " ".join(t)) for d, t in enumerate(docs))
        )
        conn.execute("INSERT INTO fts(fts) VALUES('optimize')")
        conn.commit()
        conn.close()

    result.build, _ = timed(build)
    result.disk_mb = path.stat().st_size / 1e6
    result.open, conn = timed(lambda: sqlite3.connect(path))
    conn.execute("PRAGMA mmap_size = 1073741824")
    sql = "SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY bm25(fts) LIMIT ?"
    ranked = []
    for q in queries:
        started = time.perf_counter()
        terms = [t for t in dict.fromkeys(q) if '"' not in t]
        found = (
            [r[0] for r in conn.execute(sql, (" OR ".join(f'"{t}"' for t in terms), SLOTS))] if terms else []
        )
        result.times.append((time.perf_counter() - started) * 1000)
        ranked.append(found)
    result.agree = agreement(ranked, reference)
    started = time.perf_counter()
    conn.execute("INSERT INTO fts(rowid, terms) VALUES (?, ?)", (len(docs), " ".join(docs[0])))
    conn.commit()
    result.incremental = f"{(time.perf_counter() - started) * 1000:.2f} ms (insert + commit)"
    result.note = "FTS5's idf differs (can go negative), SQLite only"
    conn.close()
    return result


def lexical(docs, queries) -> None:
    print(f"\nLexical: {len(docs)} documents, {len(queries)} questions, top {SLOTS} slots")
    own, reference = run_own(docs, queries)
    print(own.line(), flush=True)
    runs = (("csc", run_csc), ("bm25s", run_bm25s), ("tantivy", run_tantivy), ("fts5", run_fts5))
    for name, run in runs:
        work = Path(tempfile.mkdtemp(prefix=f"claimbot-{name}-"))
        try:
            gc.collect()
            print(run(docs, queries, work, reference).line(), flush=True)
        except ImportError as exc:
            print(f"  {name}: not installed ({exc})")
        finally:
            shutil.rmtree(work, ignore_errors=True)


# --- vector candidates ----------------------------------------------------------------------------


def exact_top(matrix: np.ndarray, q: np.ndarray, k: int) -> list[int]:
    sims = matrix @ q
    top = np.argpartition(-sims, k - 1)[:k]
    return [int(i) for i in top[np.argsort(-sims[top])]]


def vectors(matrix: np.ndarray, questions: np.ndarray) -> None:
    n = len(matrix)
    print(f"\nVectors: {n} x {matrix.shape[1]}, {len(questions)} questions, top {VECTOR_K}")
    reference = [exact_top(matrix, q, VECTOR_K) for q in questions]
    work = Path(tempfile.mkdtemp(prefix="claimbot-vectors-"))
    try:
        for dtype in (np.float32, np.float16):
            result = Result(f"numpy brute force, mmap {np.dtype(dtype).name}")
            path = work / f"m_{np.dtype(dtype).name}.npy"
            result.build, _ = timed(lambda: np.save(path, matrix.astype(dtype)))  # noqa: B023
            result.disk_mb = path.stat().st_size / 1e6
            result.open, mapped = timed(lambda: np.load(path, mmap_mode="r"))  # noqa: B023
            ranked = []
            for q in questions:
                started = time.perf_counter()
                qq = q.astype(dtype)
                sims = np.einsum("ij,j->i", mapped, qq) if dtype == np.float32 else mapped @ qq
                top = np.argpartition(-sims, VECTOR_K - 1)[:VECTOR_K]
                result.times.append((time.perf_counter() - started) * 1000)
                ranked.append([int(i) for i in top])
            result.agree = agreement(ranked, reference)
            result.incremental = "append a row (in-memory delta)"
            print(result.line(), flush=True)
        try:
            from usearch.index import Index

            for dtype in ("f16", "i8"):
                result = Result(f"usearch HNSW {dtype}, view (mmap)")
                path = work / f"usearch_{dtype}.bin"

                def build(dtype: str = dtype, path: Path = path) -> None:
                    index = Index(ndim=matrix.shape[1], metric="cos", dtype=dtype, connectivity=16)
                    index.add(np.arange(n), matrix, threads=1)
                    index.save(str(path))

                result.build, _ = timed(build)
                result.disk_mb = path.stat().st_size / 1e6
                result.open, index = timed(lambda path=path: Index.restore(str(path), view=True))
                ranked = []
                for ef in (64, 128):
                    index.expansion_search = ef
                    ranked, times = [], []
                    for q in questions:
                        started = time.perf_counter()
                        found = index.search(q, VECTOR_K, threads=1)
                        times.append((time.perf_counter() - started) * 1000)
                        ranked.append([int(k) for k in found.keys])
                    result.times = times
                    result.agree = agreement(ranked, reference)
                    result.note = f"expansion_search {ef}"
                    writable = Index(ndim=matrix.shape[1], metric="cos", dtype=dtype, connectivity=16)
                    writable.add(np.arange(min(n, 1000)), matrix[: min(n, 1000)], threads=1)
                    started = time.perf_counter()
                    writable.add(n + 1, matrix[0])
                    writable.remove(n + 1)
                    result.incremental = (
                        f"{(time.perf_counter() - started) * 1000:.2f} ms add+remove (not on a view)"
                    )
                    print(result.line(), flush=True)
        except ImportError:
            print("  usearch: not installed")
        try:
            import faiss

            faiss.omp_set_num_threads(1)
            for name, make in (
                ("faiss IndexFlatIP", lambda d: faiss.IndexFlatIP(d)),
                (
                    "faiss IndexHNSWFlat M=16",
                    lambda d: faiss.IndexHNSWFlat(d, 16, faiss.METRIC_INNER_PRODUCT),
                ),
            ):
                result = Result(name)
                path = work / "faiss.index"

                def build(make=make, path=path) -> None:
                    index = make(matrix.shape[1])
                    index.add(np.ascontiguousarray(matrix))
                    faiss.write_index(index, str(path))

                result.build, _ = timed(build)
                result.disk_mb = path.stat().st_size / 1e6
                try:
                    result.open, index = timed(
                        lambda path=path: faiss.read_index(str(path), faiss.IO_FLAG_MMAP)
                    )
                except RuntimeError:
                    result.open, index = timed(lambda path=path: faiss.read_index(str(path)))
                    result.note = "read into memory (no mmap for this type)"
                if hasattr(index, "hnsw"):
                    index.hnsw.efSearch = 128
                ranked = []
                for q in questions:
                    started = time.perf_counter()
                    _, found = index.search(q.reshape(1, -1), VECTOR_K)
                    result.times.append((time.perf_counter() - started) * 1000)
                    ranked.append([int(i) for i in found[0]])
                result.agree = agreement(ranked, reference)
                result.incremental = "add yes; remove: flat only (HNSW cannot)"
                print(result.line(), flush=True)
        except ImportError:
            print("  faiss: not installed")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=0, help="generated fact-checks (default: CheckThat)")
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--only", choices=("lexical", "vectors"))
    parser.add_argument("--one-core", action="store_true")
    args = parser.parse_args()
    if args.one_core:
        cpu = max(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        print(f"pinned to CPU {cpu}")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    started = time.perf_counter()
    if args.size:
        docs, queries, texts = generated_data(args.size, args.questions)
    else:
        docs, queries, texts = checkthat_data()
        queries, texts = queries[: args.questions], texts[: args.questions]
    print(f"tokenised {len(docs)} documents in {time.perf_counter() - started:.1f} s")
    if args.only != "vectors":
        lexical(docs, queries)
    if args.only != "lexical":
        import matching as bench

        split = bench.load_split("dev", bench.load_corpus())
        dev_texts = [text for _, text in split.queries][: args.questions]
        base = real_vectors()
        matrix = base if not args.size else tiled_vectors(base, args.size)
        vectors(matrix, question_vectors(dev_texts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
