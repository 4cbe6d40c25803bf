"""Phases of benchmarks/scale.py for issue 15 item 4: vectors for the generated fact-checks, a worker's
start-up on its index files, and the plain bm25s baseline. Each runs in a process of its own.

Vectors ("synthetic", the default): encoding 300k fact-checks (and their claim, title and summary)
with the real model takes hours on one core, so each stored vector is the normalised sum of word
vectors: the real model's vector for every word the generator uses often, a fixed random one for
the rest (made-up names). They live in the model's space, so a question (encoded for real, at the
real cost) lands near the fact-checks sharing its words; the figures that matter here (latency,
memory, start-up) are those of real vectors. `--vectors encode` runs `claimbot index` instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from itertools import islice
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
_WORD = re.compile(r"[a-z0-9]+")
COMMON = 20  # a word in at least this many of the first 20k records gets the model's vector


def _records(corpus: Path, size: int):
    with corpus.open(encoding="utf-8") as handle:
        for line in islice(handle, size):
            yield json.loads(line)


def phase_vectors(url: str, size: int, corpus: Path) -> dict[str, object]:
    """Store a vector and field vectors for every published fact-check (synthetic, see above)."""
    from sqlmodel import col, select

    from bot.config import load_settings
    from bot.matching import Encoder
    from bot.matching.semantic import MODEL_NAME
    from bot.service import ClaimService
    from store import embeddings
    from store.db import session_scope
    from store.models import FactCheck, FactCheckStatus

    started = time.perf_counter()
    counts: Counter[str] = Counter()
    for record in _records(corpus, min(size, 20_000)):
        text = f"{record['claimReviewed']} {record['headline']} {record['description']}".lower()
        counts.update(set(_WORD.findall(text)))
    common = sorted(w for w, n in counts.items() if n >= COMMON)
    encoder = Encoder(batch_size=64)
    known = dict(zip(common, encoder.encode(common), strict=True))
    cache: dict[str, np.ndarray] = {}

    def word(w: str) -> np.ndarray:
        vector = known.get(w)
        if vector is None:
            vector = cache.get(w)
            if vector is None:
                rng = np.random.default_rng(zlib.crc32(w.encode()))
                vector = cache[w] = (rng.standard_normal(384) / np.sqrt(384)).astype(np.float32)
        return vector

    def embed(text: str) -> np.ndarray:
        words = _WORD.findall(text.lower())
        total = np.sum([word(w) for w in words], axis=0) if words else np.zeros(384, dtype=np.float32)
        norm = float(np.linalg.norm(total))
        return (total / norm if norm else total).astype(np.float32)

    service = ClaimService.open(load_settings(CLAIMBOT_DATABASE_URL=url), load_index=False)
    stored, after = 0, 0
    while True:
        with session_scope(service.engine) as session:
            rows = session.exec(
                select(FactCheck.id, FactCheck.revision, FactCheck.claim, FactCheck.title, FactCheck.summary)
                .where(FactCheck.status == FactCheckStatus.PUBLISHED, col(FactCheck.id) > after)
                .order_by(col(FactCheck.id))
                .limit(5000)
            ).all()
            if not rows:
                break
            out = []
            for fact_check_id, revision, claim, title, summary in rows:
                fields = np.stack([embed(claim), embed(title or ""), embed(summary or "")])
                out.append((fact_check_id, revision, embed(f"{claim} {title or ''}"), fields))
            embeddings.save(session, MODEL_NAME, out)
        stored += len(rows)
        after = rows[-1][0]
    return {"stored": stored, "seconds": time.perf_counter() - started, "model_words": len(common)}


def encode_vectors(url: str) -> dict[str, object]:
    """The real thing: `claimbot index` (hours at 300k on one core)."""
    started = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if k != "CLAIMBOT_SEMANTIC"}
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--db", url, "index"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    return {"seconds": time.perf_counter() - started, "output": out.stdout.strip()[-300:]}


def phase_start(url: str) -> dict[str, object]:
    """A worker's start in this process: imports, open, the index (files or a full read), the model."""
    started = time.perf_counter()
    cpu = time.process_time()
    from bot.config import load_settings
    from bot.service import ClaimService

    service = ClaimService.open(load_settings(CLAIMBOT_DATABASE_URL=url))
    ready = time.perf_counter() - started
    ready_cpu = time.process_time() - cpu
    encoder = service.matcher.encoder
    if encoder is not None:
        encoder.encode(["warm up"])  # waits for the model loading meanwhile
    index = service.catalogue.index
    files = index.files
    generation = files.generation() if files is not None else None
    size = 0
    if files is not None and generation is not None:
        size = sum(p.stat().st_size for p in (files.directory / generation).iterdir())
    return {
        "ready_s": ready,
        "ready_cpu_s": ready_cpu,
        "with_model_s": time.perf_counter() - started,
        "full_reads": index.full_reads,
        "indexed": len(service.matcher),
        "own": service.matcher.own_count(),
        "pending": len(service.catalogue.pending_vectors()),
        "files_mb": size / 1e6,
        **proc_status(),
    }


def phase_bm25s(corpus: Path, size: int, questions: list[tuple[str, str, str | None]]) -> dict[str, object]:
    """A plain bm25s program over the same fact-checks: its own tokeniser (English stopwords), the
    claim, headline and description of each, the sparse index saved and loaded memory-mapped."""
    import bm25s

    before = proc_status()
    texts, urls = [], []
    for record in _records(corpus, size):
        texts.append(f"{record['claimReviewed']} {record['headline']} {record['description']}")
        urls.append(record["url"])
    started = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
    build = time.perf_counter() - started
    del texts
    work = Path(tempfile.mkdtemp(prefix="claimbot-bm25s-"))
    try:
        retriever.save(str(work))
        del retriever
        started = time.perf_counter()
        loaded = bm25s.BM25.load(str(work), mmap=True)
        opened = time.perf_counter() - started
        latencies, cpu, right, asked = [], [], 0, 0
        for i, (kind, text, expected) in enumerate([*questions[:20], *questions]):
            wall, process = time.perf_counter(), time.process_time()
            found, _ = loaded.retrieve(
                bm25s.tokenize([text], stopwords="en", show_progress=False),
                k=5,
                show_progress=False,
                n_threads=1,
            )
            if i >= 20:  # the first 20 warm it up
                latencies.append(time.perf_counter() - wall)
                cpu.append(time.process_time() - process)
                if kind == "paraphrase":
                    asked += 1
                    right += urls[int(found[0][0])] == expected
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "build_s": build,
        "open_s": opened,
        "p50": _pct(latencies, 50) * 1000,
        "p99": _pct(latencies, 99) * 1000,
        "mean": statistics.fmean(latencies) * 1000,
        "cpu_p50": _pct(cpu, 50) * 1000,
        "cpu_p99": _pct(cpu, 99) * 1000,
        "top1_paraphrase": right / max(1, asked),
        "rss_before": before["VmRSS"],
        **proc_status(),
    }


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def proc_status() -> dict[str, float]:
    """VmRSS, VmHWM, RssAnon and RssFile of this process in MB."""
    out = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(("VmRSS:", "VmHWM:", "RssAnon:", "RssFile:")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0]) / 1024
    return out
