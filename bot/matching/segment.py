"""The match index as files: one immutable segment, memory-mapped, that many processes share.

A segment is a directory of flat little-endian arrays (`<name>.bin`), a vocabulary (`vocab.json`) and
`meta.json`, which gives every array's dtype, shape and CRC-32. It holds, for the published
fact-checks it was written from: their texts, the BM25 slots (claim+title+summary, each alias) as
term lists and as postings (CSC: term -> slots), the rerank phrasings as term ids, the terms written
as names, the sentence vectors and per-field vectors, and, for every fact-check row the writer saw
(any status), its id and updated_at: what a reader checks against the database before trusting it.

Opening maps the arrays; nothing is read into Python objects but the vocabulary, so a process is
ready in milliseconds and the pages are shared with every other process on the machine. A file
that is missing, of the wrong size or whose checksum differs raises `SegmentError` (the caller
rebuilds). Segments are written by segment_writer.py; the matcher layers its own later changes on
top (bm25.py, vectors.py, entities.py keep a base and a delta).
"""

from __future__ import annotations

import contextlib
import json
import os
import weakref
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from .documents import KINDS
from .model import MatchDocument
from .rerank import Phrasing

FORMAT = 2  # 2: lower-case uses count against a name (doc_lows, name_votes)
META = "meta.json"
VOCAB = "vocab.json"
ANN = "ann.usearch"
# Every array, by name: its dtype. Pointer arrays (*_ptr) have one more entry than their rows.
ARRAYS: dict[str, str] = {
    "doc_ids": "<i8",  # fact_check_id per document row
    "doc_revisions": "<i8",
    "sorted_ids": "<i8",  # doc_ids sorted, and each one's row (id_order): lookups by id
    "id_order": "<i8",
    "doc_text_ptr": "<i8",  # document -> its texts (claim, title, summary, aliases)
    "text_ptr": "<i8",  # text -> bytes of text_blob (UTF-8)
    "text_blob": "u1",
    "doc_slot_ptr": "<i8",  # document -> its BM25 slots (contiguous)
    "slot_doc": "<i4",
    "slot_len": "<f4",
    "slot_term_ptr": "<i8",  # slot -> its distinct terms and their frequencies
    "slot_terms": "<i4",
    "slot_tf": "<f4",
    "post_ptr": "<i8",  # term -> postings (slots in ascending order, frequencies)
    "post_slot": "<i4",
    "post_tf": "<f4",
    "doc_phr_ptr": "<i8",  # document -> rerank phrasings
    "phr_kind": "i1",  # index into documents.KINDS
    "phr_text": "<i2",  # which of the document's texts
    "phr_term_ptr": "<i8",
    "phr_terms": "<i4",  # term ids in the phrasing's (sorted) term order
    "doc_cap_ptr": "<i8",  # document -> terms written as names
    "doc_caps": "<i4",
    "doc_low_ptr": "<i8",  # document -> terms written as ordinary words (in lower case)
    "doc_lows": "<i4",
    "name_votes": "<i4",  # term -> documents writing it as a name, less those writing it in lower case
    "has_vector": "u1",
    "vectors": "<f4",  # (documents, dims), unit length; zeros where has_vector is 0
    "has_fields": "u1",
    "fields": "<f2",  # (documents, 3, dims): claim, title, summary vectors
    "row_ids": "<i8",  # every fact-check row seen (any status), ascending, and its updated_at (µs)
    "row_updated": "<i8",
}
POINTERS = {
    "doc_text_ptr": "text_ptr",
    "text_ptr": "text_blob",
    "doc_slot_ptr": "slot_len",
    "slot_term_ptr": "slot_terms",
    "post_ptr": "post_slot",
    "doc_phr_ptr": "phr_kind",
    "phr_term_ptr": "phr_terms",
    "doc_cap_ptr": "doc_caps",
    "doc_low_ptr": "doc_lows",
}
CHUNK = 1 << 20
# The float arrays of a large segment (and its graph) are checked after it is opened, in a thread
# (segment.verify_deferred), so that 300k fact-checks still start in seconds; smaller ones at once.
DEFERRABLE = ("vectors", "fields")
DEFER_BYTES = 256 * 1024 * 1024


class SegmentError(Exception):
    """The files cannot be trusted: missing, truncated, of another format or failing their checksum."""


def crc32_file(path: Path) -> int:
    """CRC-32 of a file read in chunks (read, not mapped: checking must not make the pages ours)."""
    crc = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


def _map(path: Path, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    if not all(shape):
        return np.zeros(shape, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", shape=shape).view(np.ndarray)


class Segment:
    """A read-only, memory-mapped segment. Thread-safe (nothing in it changes)."""

    def __init__(
        self, directory: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray], vocab: list[str]
    ):
        self.directory = directory
        self.meta = meta
        self.vocab = vocab
        self.term_id = {term: i for i, term in enumerate(vocab)}
        self.a = arrays
        self.docs = len(arrays["doc_ids"])
        self.slots = len(arrays["slot_len"])
        self.dims = int(meta.get("dims") or 0)
        self.model: str | None = meta.get("model")
        self.df = np.diff(arrays["post_ptr"]) if len(arrays["post_ptr"]) else np.zeros(0, dtype=np.int64)
        self.ann: Any = None  # a usearch view over the vectors (large segments only), see open()
        self.deferred: list[tuple[Path, int]] = []  # files whose checksum is still to be checked
        # The texts and field vectors are read a few hundred bytes at a time (the candidates of a
        # question, its best match) with pread, not through the mapping: the kernel maps pages around
        # every fault, which over many questions would make the whole of those files resident.
        self._fds: dict[str, int] = {}
        for name in ("text_blob", "fields"):
            if arrays[name].size:
                self._fds[name] = os.open(directory / f"{name}.bin", os.O_RDONLY)
        weakref.finalize(self, _close, list(self._fds.values()))

    @classmethod
    def open(cls, directory: Path, *, verify: bool = True) -> Segment:
        """Map a segment's files; raises SegmentError unless every file is there and intact (the
        large float arrays of a big segment: see `deferred`)."""
        try:
            meta = json.loads((directory / META).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SegmentError(f"{directory}: no readable {META} ({exc})") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise SegmentError(f"{directory}: format {meta.get('format') if isinstance(meta, dict) else '?'}")
        arrays: dict[str, np.ndarray] = {}
        deferred: list[tuple[Path, int]] = []
        try:
            large = sum(
                int(np.prod(meta["arrays"][n]["shape"], dtype=np.int64)) * np.dtype(ARRAYS[n]).itemsize
                for n in DEFERRABLE
            )
            for name, dtype in ARRAYS.items():
                spec = meta["arrays"][name]
                shape = tuple(int(n) for n in spec["shape"])
                path = directory / f"{name}.bin"
                expected = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
                if not path.exists() or path.stat().st_size != expected or spec["dtype"] != dtype:
                    raise SegmentError(f"{path}: missing or not {expected} bytes of {dtype}")
                if verify and name in DEFERRABLE and large > DEFER_BYTES:
                    deferred.append((path, int(spec["crc32"])))
                elif verify and crc32_file(path) != spec["crc32"]:
                    raise SegmentError(f"{path}: checksum differs")
                arrays[name] = _map(path, dtype, shape)
            vocab_path = directory / VOCAB
            if verify and crc32_file(vocab_path) != meta["vocab_crc32"]:
                raise SegmentError(f"{vocab_path}: checksum differs")
            vocab = json.loads(vocab_path.read_text(encoding="utf-8"))
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise SegmentError(f"{directory}: {exc!r}") from None
        for pointer, values in POINTERS.items():
            ptr, rows = arrays[pointer], len(arrays[values]) - values.endswith("_ptr")
            if len(ptr) and (ptr[0] != 0 or ptr[-1] != rows):
                raise SegmentError(f"{directory}: {pointer} does not cover {values}")
        if len(arrays["post_ptr"]) != len(vocab) + 1:
            raise SegmentError(f"{directory}: the vocabulary and the postings disagree")
        segment = cls(directory, meta, arrays, vocab)
        if meta.get("ann"):
            spec = meta["ann"]
            segment.ann = _open_ann(directory / ANN, spec)
            if verify and segment.ann is not None:
                deferred.append((directory / ANN, int(spec.get("crc32", -1))))
        segment.deferred = deferred
        return segment

    def verify_deferred(self) -> str | None:
        """Check the files `open` left for later; what is wrong, or None."""
        for path, crc in self.deferred:
            try:
                if crc32_file(path) != crc:
                    return f"{path}: checksum differs"
            except OSError as exc:
                return f"{path}: {exc}"
        self.deferred = []
        return None

    # --- lookups --------------------------------------------------------------------------------

    def row_of(self, fact_check_id: int) -> int:
        """The document row of a fact-check, or -1."""
        ids = self.a["sorted_ids"]
        i = int(ids.searchsorted(fact_check_id))  # the method: np.searchsorted's wrapper costs more here
        return int(self.a["id_order"][i]) if i < len(ids) and ids[i] == fact_check_id else -1

    def fact_check_id(self, row: int) -> int:
        return int(self.a["doc_ids"][row])

    def texts(self, row: int) -> list[str]:
        a = self.a
        first, last = int(a["doc_text_ptr"][row]), int(a["doc_text_ptr"][row + 1])
        bounds = a["text_ptr"][first : last + 1].tolist()
        start = bounds[0]
        data = os.pread(self._fds["text_blob"], bounds[-1] - start, start) if bounds[-1] > start else b""
        return [
            data[s - start : e - start].decode("utf-8") for s, e in zip(bounds[:-1], bounds[1:], strict=True)
        ]

    def document(self, row: int) -> MatchDocument:
        claim, title, summary, *aliases = self.texts(row)
        return MatchDocument(self.fact_check_id(row), claim, title, summary, tuple(aliases))

    def phrasings(self, row: int, texts: list[str] | None = None) -> tuple[Phrasing, ...]:
        a, vocab = self.a, self.vocab
        texts = self.texts(row) if texts is None else texts
        first, last = int(a["doc_phr_ptr"][row]), int(a["doc_phr_ptr"][row + 1])
        # Python ints read once per array (a question builds this for ~100 candidates): indexing the
        # mapped arrays element by element made numpy scalars, the most of the time here.
        bounds = a["phr_term_ptr"][first : last + 1].tolist()
        terms = a["phr_terms"][bounds[0] : bounds[-1]].tolist() if last > first else []
        start = bounds[0]
        which, kinds = a["phr_text"][first:last].tolist(), a["phr_kind"][first:last].tolist()
        return tuple(
            Phrasing(texts[w], KINDS[k], tuple(vocab[i] for i in terms[lo - start : hi - start]))
            for w, k, lo, hi in zip(which, kinds, bounds[:-1], bounds[1:], strict=True)
        )

    def capitalised(self, row: int) -> tuple[str, ...]:
        return self._terms_of(row, "doc_cap_ptr", "doc_caps")

    def lowercase(self, row: int) -> tuple[str, ...]:
        return self._terms_of(row, "doc_low_ptr", "doc_lows")

    def _terms_of(self, row: int, pointer: str, array: str) -> tuple[str, ...]:
        a = self.a
        ids = a[array][int(a[pointer][row]) : int(a[pointer][row + 1])].tolist()
        return tuple(self.vocab[i] for i in ids)

    def slot_range(self, row: int) -> range:
        return range(int(self.a["doc_slot_ptr"][row]), int(self.a["doc_slot_ptr"][row + 1]))

    def slot_term_ids(self, slot: int) -> np.ndarray:
        a = self.a
        return a["slot_terms"][int(a["slot_term_ptr"][slot]) : int(a["slot_term_ptr"][slot + 1])]

    def postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        a = self.a
        lo, hi = int(a["post_ptr"][term_id]), int(a["post_ptr"][term_id + 1])
        return a["post_slot"][lo:hi], a["post_tf"][lo:hi]

    def fields(self, row: int) -> np.ndarray | None:
        """The claim, title and summary vectors of a document (3, dims), if it has them."""
        if not self.dims or not self.a["has_fields"][row]:
            return None
        size = 3 * self.dims * 2
        data = os.pread(self._fds["fields"], size, row * size)
        return np.frombuffer(data, dtype="<f2").reshape(3, self.dims).astype(np.float32)

    def rows_seen(self) -> tuple[np.ndarray, np.ndarray]:
        """Every fact-check row the writer saw: ids ascending and their updated_at in µs."""
        return self.a["row_ids"], self.a["row_updated"]


def _close(fds: list[int]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


def _open_ann(path: Path, spec: dict[str, Any]) -> Any:
    """A memory-mapped usearch view of the segment's vectors (keys: fact_check_id)."""
    try:
        from usearch.index import Index
    except ImportError:
        return None  # brute force over the mapped matrix then: slower on a large index, same answers
    if not path.exists() or path.stat().st_size != spec.get("bytes"):
        raise SegmentError(f"{path}: missing or not {spec.get('bytes')} bytes")
    index = Index.restore(str(path), view=True)
    if index is None:
        raise SegmentError(f"{path}: not a usearch index")
    index.expansion_search = int(spec.get("expansion_search", 128))
    return index
