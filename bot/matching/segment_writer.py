"""Writing a segment (see segment.py): the documents of an older segment that are still current,
copied as byte ranges without re-reading their text, plus new or changed documents, normalised here.

Arrays are streamed to their files as documents arrive, so writing 300k fact-checks holds only a
few thousand of them as Python objects at a time; the postings are the slot-term lists transposed
at the end. The caller writes into a fresh directory and renames it into place (index_files.py).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from .documents import KINDS, Prepared, prepare, texts
from .model import MatchDocument
from .segment import ANN, ARRAYS, FORMAT, META, VOCAB, Segment, crc32_file
from .vectors import unit

FLUSH = 2048  # new documents buffered before their arrays are appended
ANN_MIN = 50_000  # from this many vectors a segment also gets an HNSW graph (brute force below it)
ANN_CONNECTIVITY = 16
ANN_EXPANSION_SEARCH = 128  # 95% of the exact top 50 at 300k (benchmarks/index_backends.py)
_KIND_CODE = {kind: i for i, kind in enumerate(KINDS)}
_DERIVED = (
    "sorted_ids",
    "id_order",
    "post_ptr",
    "post_slot",
    "post_tf",
    "name_votes",
    "row_ids",
    "row_updated",
)


@dataclass
class Changes:
    """A matcher's state as the next segment holds it (Matcher.changes())."""

    base: Segment | None
    kept: np.ndarray  # base rows still current, ascending
    docs: list[tuple[MatchDocument, np.ndarray | None, np.ndarray | None]]  # own: (doc, vector, fields)
    base_vectors: dict[int, tuple[np.ndarray, np.ndarray | None]]  # base fact-checks given vectors since


def write_changes(
    directory: Path,
    changes: Changes,
    revisions: Mapping[int, int],
    rows: tuple[np.ndarray, np.ndarray],
    meta: dict[str, object],
    *,
    dims: int = 0,
    model: str | None = None,
) -> dict[str, object]:
    """A new segment: the base's current rows copied, the matcher's own documents added.
    `revisions`: fact_check_id -> revision of the own documents; `rows`: every fact-check row seen."""
    base = changes.base
    if base is not None and base.dims and not dims:
        # A process that matches lexically keeps the vectors others use (its own documents get none).
        dims, model = base.dims, base.model
    base_vectors_usable = not (base is not None and base.dims and (base.dims != dims or base.model != model))
    writer = SegmentWriter(directory, dims=dims, model=model, vocab=base.vocab if base is not None else ())
    if base is not None:
        writer.add_segment(base, changes.kept, changes.base_vectors if base_vectors_usable else None)
    for doc, vector, fields in changes.docs:
        writer.add(doc, revisions.get(doc.fact_check_id, 1), vector, fields)
    return writer.finish(rows[0], rows[1], meta, ann_from=base if base_vectors_usable else None)


class _Column:
    """One array file, appended to; its CRC-32 kept as it grows."""

    def __init__(self, path: Path, dtype: str) -> None:
        self.path = path
        self.dtype = np.dtype(dtype)
        self.rows = 0
        self._file: BinaryIO = open(path, "wb")  # noqa: SIM115 - closed by close()

    def append(self, values: Any) -> None:
        array = np.ascontiguousarray(values, dtype=self.dtype)
        if array.size:
            self._file.write(array.tobytes())
            self.rows += len(array) if array.ndim else 1

    def close(self) -> None:
        # No fsync: the files are derived from the database, and a generation a crash left half on
        # the disk fails its checksums and is rebuilt (segment.py), so waiting for the disk buys nothing.
        self._file.close()


class _Pointer(_Column):
    """A pointer array (row -> range of another array): appended as lengths, written as offsets."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, "<i8")
        self.total = 0
        super().append(np.zeros(1, dtype=np.int64))

    def extend(self, lengths: Any) -> None:
        lengths = np.asarray(lengths, dtype=np.int64)
        if len(lengths):
            super().append(self.total + np.cumsum(lengths))
            self.total += int(lengths.sum())


class SegmentWriter:
    def __init__(
        self, directory: Path, *, dims: int = 0, model: str | None = None, vocab: Sequence[str] = ()
    ):
        directory.mkdir(parents=True)
        self.directory = directory
        self.dims, self.model = dims, model
        self.vocab = list(vocab)  # an older segment's term ids stay valid: its rows are copied as they are
        self.term_id = {term: i for i, term in enumerate(self.vocab)}
        self.cols: dict[str, _Column] = {}
        for name, dtype in ARRAYS.items():
            if name not in _DERIVED:
                path = directory / f"{name}.bin"
                self.cols[name] = _Pointer(path) if name.endswith("_ptr") else _Column(path, dtype)
        self.docs = self.slots = 0
        self._new: list[tuple[MatchDocument, Prepared, int, np.ndarray | None, np.ndarray | None]] = []
        self.carried_vectors: list[int] = []  # fact-checks whose vector came from the older segment
        self.new_vectors: list[int] = []

    def _ptr(self, name: str) -> _Pointer:
        column = self.cols[name]
        assert isinstance(column, _Pointer)
        return column

    # --- documents of an older segment ----------------------------------------------------------

    def add_segment(
        self,
        segment: Segment,
        rows: np.ndarray,
        vectors: dict[int, tuple[np.ndarray, np.ndarray | None]] | None = None,
    ) -> None:
        """Copy these document rows (ascending) of `segment`, which must share this writer's vocabulary.

        `vectors`: fact_check_id -> (vector, fields) given since the segment was written (the text is
        unchanged, so only the vectors are replaced)."""
        if self.dims and segment.dims not in (0, self.dims):
            raise ValueError("the older segment's vectors have other dimensions")
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return
        breaks = np.flatnonzero(np.diff(rows) != 1) + 1
        for run in np.split(rows, breaks):
            self._copy_run(segment, int(run[0]), int(run[-1]) + 1, vectors or {})

    def _copy_run(
        self, seg: Segment, a: int, b: int, given: dict[int, tuple[np.ndarray, np.ndarray | None]]
    ) -> None:
        s, c = seg.a, self.cols
        n = b - a
        c["doc_ids"].append(s["doc_ids"][a:b])
        c["doc_revisions"].append(s["doc_revisions"][a:b])
        # texts
        t0, t1 = int(s["doc_text_ptr"][a]), int(s["doc_text_ptr"][b])
        self._ptr("doc_text_ptr").extend(np.diff(s["doc_text_ptr"][a : b + 1]))
        self._ptr("text_ptr").extend(np.diff(s["text_ptr"][t0 : t1 + 1]))
        c["text_blob"].append(s["text_blob"][int(s["text_ptr"][t0]) : int(s["text_ptr"][t1])])
        # slots and their terms
        s0, s1 = int(s["doc_slot_ptr"][a]), int(s["doc_slot_ptr"][b])
        per_doc = np.diff(s["doc_slot_ptr"][a : b + 1])
        self._ptr("doc_slot_ptr").extend(per_doc)
        c["slot_doc"].append(np.repeat(np.arange(self.docs, self.docs + n, dtype=np.int32), per_doc))
        c["slot_len"].append(s["slot_len"][s0:s1])
        self._ptr("slot_term_ptr").extend(np.diff(s["slot_term_ptr"][s0 : s1 + 1]))
        lo, hi = int(s["slot_term_ptr"][s0]), int(s["slot_term_ptr"][s1])
        c["slot_terms"].append(s["slot_terms"][lo:hi])
        c["slot_tf"].append(s["slot_tf"][lo:hi])
        # phrasings
        p0, p1 = int(s["doc_phr_ptr"][a]), int(s["doc_phr_ptr"][b])
        self._ptr("doc_phr_ptr").extend(np.diff(s["doc_phr_ptr"][a : b + 1]))
        c["phr_kind"].append(s["phr_kind"][p0:p1])
        c["phr_text"].append(s["phr_text"][p0:p1])
        self._ptr("phr_term_ptr").extend(np.diff(s["phr_term_ptr"][p0 : p1 + 1]))
        c["phr_terms"].append(s["phr_terms"][int(s["phr_term_ptr"][p0]) : int(s["phr_term_ptr"][p1])])
        # names
        for pointer, array in (("doc_cap_ptr", "doc_caps"), ("doc_low_ptr", "doc_lows")):
            self._ptr(pointer).extend(np.diff(s[pointer][a : b + 1]))
            c[array].append(s[array][int(s[pointer][a]) : int(s[pointer][b])])
        # vectors
        if self.dims:
            for start in range(a, b, FLUSH):  # in blocks: a run may be every row of a large segment
                self._copy_vectors(seg, start, min(b, start + FLUSH), given)
        self.docs += n
        self.slots += s1 - s0

    def _copy_vectors(
        self, seg: Segment, a: int, b: int, given: dict[int, tuple[np.ndarray, np.ndarray | None]]
    ) -> None:
        s, c, n = seg.a, self.cols, b - a
        ids = s["doc_ids"][a:b]
        if seg.dims == self.dims:
            has = np.array(s["has_vector"][a:b], dtype=np.uint8)
            vectors = np.array(s["vectors"][a:b])
            has_fields = np.array(s["has_fields"][a:b], dtype=np.uint8)
            fields = np.array(s["fields"][a:b])
        else:
            has, has_fields = np.zeros(n, dtype=np.uint8), np.zeros(n, dtype=np.uint8)
            vectors = np.zeros((n, self.dims), dtype=np.float32)
            fields = np.zeros((n, 3, self.dims), dtype=np.float16)
        replaced = np.zeros(n, dtype=bool)
        if given:
            for k, fact_check_id in enumerate(ids.tolist()):
                if fact_check_id in given:
                    vector, field_vectors = given[fact_check_id]
                    vectors[k], has[k], replaced[k] = unit(vector), 1, True
                    if field_vectors is not None:
                        fields[k], has_fields[k] = np.asarray(field_vectors, np.float16), 1
        c["has_vector"].append(has)
        c["vectors"].append(vectors)
        c["has_fields"].append(has_fields)
        c["fields"].append(fields)
        self.carried_vectors.extend(ids[has.astype(bool) & ~replaced].tolist())
        self.new_vectors.extend(ids[replaced].tolist())

    # --- new documents --------------------------------------------------------------------------

    def add(
        self,
        doc: MatchDocument,
        revision: int,
        vector: np.ndarray | None = None,
        fields: np.ndarray | None = None,
        prepared: Prepared | None = None,
    ) -> None:
        self._new.append((doc, prepared or prepare(doc), revision, vector, fields))
        if len(self._new) >= FLUSH:
            self._flush()

    def _term(self, term: str) -> int:
        tid = self.term_id.get(term)
        if tid is None:
            tid = self.term_id[term] = len(self.vocab)
            self.vocab.append(term)
        return tid

    def _flush(self) -> None:
        if not self._new:
            return
        c = self.cols
        ids, revisions, doc_texts, text_lengths, blob = [], [], [], [], []
        doc_slots, slot_doc, slot_len, slot_counts, slot_terms, slot_tf = [], [], [], [], [], []
        doc_phr, phr_kind, phr_text, phr_counts, phr_terms, doc_caps_n, doc_caps = [], [], [], [], [], [], []
        doc_lows_n, doc_lows = [], []
        has_vector, vectors, has_fields, fields_out = [], [], [], []
        for k, (doc, prepared, revision, vector, fields) in enumerate(self._new):
            ids.append(doc.fact_check_id)
            revisions.append(revision)
            encoded = [text.encode("utf-8") for text in texts(doc)]
            doc_texts.append(len(encoded))
            text_lengths.extend(len(b) for b in encoded)
            blob.extend(encoded)
            doc_slots.append(len(prepared.slot_terms))
            for terms in prepared.slot_terms:
                counts = Counter(terms)
                slot_doc.append(self.docs + k)
                slot_len.append(len(terms))
                slot_counts.append(len(counts))
                slot_terms.extend(self._term(t) for t in counts)
                slot_tf.extend(counts.values())
            doc_phr.append(len(prepared.phrasings))
            for phrasing, source in zip(prepared.phrasings, prepared.phrasing_texts, strict=True):
                phr_kind.append(_KIND_CODE[phrasing.kind])
                phr_text.append(source)
                phr_counts.append(len(phrasing.terms))
                phr_terms.extend(self._term(t) for t in phrasing.terms)
            doc_caps_n.append(len(prepared.capitalised))
            doc_caps.extend(self._term(t) for t in prepared.capitalised)
            doc_lows_n.append(len(prepared.lowercase))
            doc_lows.extend(self._term(t) for t in prepared.lowercase)
            if self.dims:
                has_vector.append(vector is not None)
                vectors.append(unit(vector) if vector is not None else np.zeros(self.dims, dtype=np.float32))
                if vector is not None:
                    self.new_vectors.append(doc.fact_check_id)
                has_fields.append(fields is not None)
                fields_out.append(
                    np.zeros((3, self.dims), dtype=np.float16)
                    if fields is None
                    else np.asarray(fields, np.float16)
                )
        c["doc_ids"].append(ids)
        c["doc_revisions"].append(revisions)
        self._ptr("doc_text_ptr").extend(doc_texts)
        self._ptr("text_ptr").extend(text_lengths)
        c["text_blob"].append(np.frombuffer(b"".join(blob), dtype=np.uint8))
        self._ptr("doc_slot_ptr").extend(doc_slots)
        c["slot_doc"].append(slot_doc)
        c["slot_len"].append(slot_len)
        self._ptr("slot_term_ptr").extend(slot_counts)
        c["slot_terms"].append(slot_terms)
        c["slot_tf"].append(slot_tf)
        self._ptr("doc_phr_ptr").extend(doc_phr)
        c["phr_kind"].append(phr_kind)
        c["phr_text"].append(phr_text)
        self._ptr("phr_term_ptr").extend(phr_counts)
        c["phr_terms"].append(phr_terms)
        self._ptr("doc_cap_ptr").extend(doc_caps_n)
        c["doc_caps"].append(doc_caps)
        self._ptr("doc_low_ptr").extend(doc_lows_n)
        c["doc_lows"].append(doc_lows)
        if self.dims:
            c["has_vector"].append(has_vector)
            c["vectors"].append(np.stack(vectors))
            c["has_fields"].append(has_fields)
            c["fields"].append(np.stack(fields_out))
        self.docs += len(self._new)
        self.slots += len(slot_len)
        self._new.clear()

    # --- the end --------------------------------------------------------------------------------

    def finish(
        self,
        row_ids: np.ndarray,
        row_updated: np.ndarray,
        meta: dict[str, Any],
        *,
        ann_from: Segment | None = None,
    ) -> dict[str, Any]:
        """Write the derived arrays, the vocabulary and meta.json (last: a directory without it is
        unfinished). `ann_from`: the older segment whose HNSW graph is updated rather than rebuilt."""
        self._flush()
        for column in self.cols.values():
            column.close()
        d, v = self.directory, len(self.vocab)
        shapes: dict[str, tuple[int, ...]] = {name: (col.rows,) for name, col in self.cols.items()}
        if self.dims:
            shapes["vectors"] = (self.docs, self.dims)
            shapes["fields"] = (self.docs, 3, self.dims)
        else:
            shapes["vectors"], shapes["fields"] = (self.docs, 0), (self.docs, 3, 0)

        def load(name: str) -> np.ndarray:
            shape = shapes[name]
            if not all(shape):
                return np.zeros(shape, dtype=ARRAYS[name])
            return np.memmap(d / f"{name}.bin", dtype=ARRAYS[name], mode="r", shape=shape)

        ids = np.asarray(load("doc_ids"))
        order = np.argsort(ids, kind="stable")
        sorted_ids = ids[order]
        if len(sorted_ids) > 1 and not np.all(np.diff(sorted_ids) > 0):
            raise ValueError("a fact-check was written twice into one segment")
        terms, tfs = load("slot_terms"), load("slot_tf")
        slot_index = np.repeat(np.arange(self.slots, dtype=np.int32), np.diff(load("slot_term_ptr")))
        by_term = np.argsort(terms, kind="stable")  # slots stay ascending within a term
        derived = {
            "sorted_ids": sorted_ids,
            "id_order": order.astype(np.int64),
            "post_ptr": np.concatenate([[0], np.cumsum(np.bincount(terms, minlength=v))]).astype(np.int64),
            "post_slot": slot_index[by_term],
            "post_tf": np.asarray(tfs)[by_term],
            "name_votes": (
                np.bincount(load("doc_caps"), minlength=v) - np.bincount(load("doc_lows"), minlength=v)
            ).astype(np.int32),
            "row_ids": np.asarray(row_ids, dtype=np.int64),
            "row_updated": np.asarray(row_updated, dtype=np.int64),
        }
        del terms, tfs, slot_index, by_term
        for name, values in derived.items():
            column = _Column(d / f"{name}.bin", ARRAYS[name])
            column.append(values)
            column.close()
            shapes[name] = (len(values),)
        vocab_path = d / VOCAB
        vocab_path.write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        arrays = {
            name: {"dtype": dtype, "shape": list(shapes[name]), "crc32": crc32_file(d / f"{name}.bin")}
            for name, dtype in ARRAYS.items()
        }
        full = {
            "format": FORMAT,
            "docs": self.docs,
            "slots": self.slots,
            "terms": v,
            "dims": self.dims,
            "model": self.model,
            **meta,
            "arrays": arrays,
            "vocab_crc32": crc32_file(vocab_path),
        }
        if self.dims:
            full["ann"] = self._write_ann(load("vectors"), load("has_vector"), ann_from)
        (d / META).write_text(json.dumps(full, indent=1), encoding="utf-8")
        return full

    def _write_ann(
        self, vectors: np.ndarray, has: np.ndarray, older: Segment | None
    ) -> dict[str, Any] | None:
        """An HNSW graph over the vectors of a large segment, updated from the older one when it has one."""
        count = int(np.count_nonzero(has))
        if count < ANN_MIN:
            return None
        try:
            from usearch.index import Index
        except ImportError:
            return None
        path = self.directory / ANN
        ids = np.asarray(self.cols_ids())
        rows_with = np.flatnonzero(np.asarray(has, dtype=bool))
        index = None
        if older is not None and older.meta.get("ann") and (older.directory / ANN).exists():
            index = Index.restore(str(older.directory / ANN))
        if index is not None:
            carried = np.asarray(self.carried_vectors, dtype=np.uint64)
            stale = np.setdiff1d(np.asarray(index.keys, dtype=np.uint64), carried)
            if len(stale):
                index.remove(stale)
            todo = rows_with[np.isin(ids[rows_with], np.asarray(self.new_vectors, dtype=np.int64))]
        else:
            index = Index(ndim=self.dims, metric="cos", dtype="f16", connectivity=ANN_CONNECTIVITY)
            todo = rows_with
        for start in range(0, len(todo), 10_000):
            chunk = todo[start : start + 10_000]
            index.add(ids[chunk].astype(np.uint64), np.asarray(vectors[chunk]), threads=1)
        index.save(str(path))
        return {
            "bytes": path.stat().st_size,
            "crc32": crc32_file(path),
            "count": len(index),
            "expansion_search": ANN_EXPANSION_SEARCH,
        }

    def cols_ids(self) -> np.ndarray:
        return np.memmap(self.directory / "doc_ids.bin", dtype="<i8", mode="r", shape=(self.docs,))
