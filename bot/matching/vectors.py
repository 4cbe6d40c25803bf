"""Per-fact-check embedding vectors (cosine by one mat-vec): a growable float32 matrix of this process's
own changes over an optional base, the memory-mapped matrix of a segment (segment.py).

A base row whose fact-check changed or lost its vector is masked, never written: the segment's
files are shared and read-only. A small base is searched exactly (one mat-vec over the mapped
float32 matrix); a large one comes with an HNSW graph (usearch), and then every cosine of a base
fact-check is computed from the graph's float16 copy of its vector, so that a question touches a few
hundred rows rather than the whole matrix (resident memory: benchmarks/scale.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .segment import Segment

ANN_MARGIN = 16  # extra graph neighbours asked for, to make up for masked base rows


def unit(vector: np.ndarray | object) -> np.ndarray:
    """The float32 vector scaled to unit length (as stored and searched)."""
    vector = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


class VectorStore:
    def __init__(self, dimensions: int | None = None) -> None:
        self.dimensions = dimensions
        self._matrix = np.zeros((0, dimensions or 0), dtype=np.float32)
        self._owner = np.zeros(0, dtype=np.int64)  # row -> fact_check_id, -1 when free
        self._row: dict[int, int] = {}
        self._free: list[int] = []
        self._used = 0
        self._base: Segment | None = None
        self._base_live = np.zeros(0, dtype=bool)  # base rows with a vector still current
        self._base_count = 0

    def attach(self, segment: Segment) -> None:
        """Use the segment's vectors as the base (on an empty store)."""
        if self._row or not segment.dims:
            return
        self._base = segment
        self.dimensions = segment.dims
        self._matrix = np.zeros((0, segment.dims), dtype=np.float32)
        self._base_live = np.asarray(segment.a["has_vector"], dtype=bool).copy()
        self._base_count = int(np.count_nonzero(self._base_live))

    def __len__(self) -> int:
        return len(self._row) + self._base_count

    def __contains__(self, fact_check_id: object) -> bool:
        return fact_check_id in self._row or self._base_row(fact_check_id) >= 0

    def _base_row(self, fact_check_id: object) -> int:
        """The base row holding this fact-check's current vector, or -1."""
        if self._base is None or not isinstance(fact_check_id, int | np.integer):
            return -1
        row = self._base.row_of(int(fact_check_id))
        return row if row >= 0 and self._base_live[row] else -1

    def _mask_base(self, fact_check_id: int) -> None:
        row = self._base_row(fact_check_id)
        if row >= 0:
            self._base_live[row] = False
            self._base_count -= 1

    def set(self, fact_check_id: int, vector: np.ndarray) -> None:
        vector = unit(vector)
        if self.dimensions is None:
            self.dimensions = vector.shape[0]
            self._matrix = np.zeros((0, self.dimensions), dtype=np.float32)
        if vector.shape[0] != self.dimensions:
            raise ValueError(f"vector has {vector.shape[0]} dimensions, the store {self.dimensions}")
        self._mask_base(fact_check_id)
        row = self._row.get(fact_check_id)
        if row is None:
            row = self._free.pop() if self._free else self._grow()
            self._row[fact_check_id] = row
            self._owner[row] = fact_check_id
        self._matrix[row] = vector

    def _grow(self) -> int:
        if self._used == len(self._matrix):
            capacity = max(1024, 2 * len(self._matrix))
            matrix = np.zeros((capacity, self.dimensions or 0), dtype=np.float32)
            matrix[: self._used] = self._matrix[: self._used]
            owner = np.full(capacity, -1, dtype=np.int64)
            owner[: self._used] = self._owner[: self._used]
            self._matrix, self._owner = matrix, owner
        self._used += 1
        return self._used - 1

    def remove(self, fact_check_id: int) -> None:
        self._mask_base(fact_check_id)
        row = self._row.pop(fact_check_id, None)
        if row is not None:
            self._matrix[row] = 0.0
            self._owner[row] = -1
            self._free.append(row)

    def get(self, fact_check_id: int) -> np.ndarray | None:
        row = self._row.get(fact_check_id)
        if row is not None:
            return self._matrix[row].copy()
        base = self._base_row(fact_check_id)
        return None if base < 0 else self._base_vector(fact_check_id, base)

    def _base_vector(self, fact_check_id: int, row: int) -> np.ndarray:
        assert self._base is not None
        if self._base.ann is not None:
            return np.asarray(self._base.ann.get(np.uint64(fact_check_id), dtype=np.float32)).reshape(-1)
        return np.array(self._base.a["vectors"][row])

    def cosine(self, fact_check_id: int, query: np.ndarray) -> float | None:
        row = self._row.get(fact_check_id)
        if row is not None:
            return float(np.einsum("i,i->", self._matrix[row], query))
        base = self._base_row(fact_check_id)
        if base < 0:
            return None
        return float(np.einsum("i,i->", self._base_vector(fact_check_id, base), query))

    def search(self, query: np.ndarray, k: int) -> dict[int, float]:
        """The k nearest fact-checks by cosine (query must be unit length)."""
        if not len(self) or k <= 0:
            return {}
        found = self._search_own(query, k)
        if self._base_count:
            found.update(self._search_base(query, k))
            if len(found) > k:
                found = dict(sorted(found.items(), key=lambda item: -item[1])[:k])
        return found

    def _search_own(self, query: np.ndarray, k: int) -> dict[int, float]:
        if not self._row:
            return {}
        # einsum, not `@`: a BLAS mat-vec wakes OpenBLAS's thread pool, whose spinning threads then
        # slow the next query's encoding by 2-20x on a small machine; einsum is single-threaded
        # and as fast at this size (14k x 384: ~1 ms).
        sims = np.einsum("ij,j->i", self._matrix[: self._used], query)
        sims[self._owner[: self._used] < 0] = -2.0
        k = min(k, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        return {int(self._owner[r]): float(sims[r]) for r in top if self._owner[r] >= 0}

    def _search_base(self, query: np.ndarray, k: int) -> dict[int, float]:
        base = self._base
        assert base is not None
        matrix = base.a["vectors"]
        if base.ann is not None:
            # The graph's neighbours, scored on the graph's own float16 vectors (as cosine() does).
            masked = len(base.a["doc_ids"]) - self._base_count
            found = base.ann.search(query, min(k + ANN_MARGIN + masked, len(base.ann)), threads=1)
            keys = [int(key) for key in found.keys if self._base_row(int(key)) >= 0]
            if not keys:
                return {}
            vectors = base.ann.get(np.asarray(keys, dtype=np.uint64), dtype=np.float32)
            sims = np.einsum("ij,j->i", np.stack([np.asarray(v).reshape(-1) for v in vectors]), query)
            return dict(sorted(zip(keys, sims.tolist(), strict=True), key=lambda item: -item[1])[:k])
        sims = np.einsum("ij,j->i", matrix, query)
        sims[~self._base_live] = -2.0
        k = min(k, self._base_count)
        top = np.argpartition(-sims, k - 1)[:k]
        return {base.fact_check_id(int(r)): float(sims[r]) for r in top if self._base_live[r]}
