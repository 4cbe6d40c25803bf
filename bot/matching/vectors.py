"""Per-fact-check embedding vectors kept in one growable float32 matrix (cosine by one mat-vec)."""

from __future__ import annotations

import numpy as np


class VectorStore:
    def __init__(self, dimensions: int | None = None) -> None:
        self.dimensions = dimensions
        self._matrix = np.zeros((0, dimensions or 0), dtype=np.float32)
        self._owner = np.zeros(0, dtype=np.int64)  # row -> fact_check_id, -1 when free
        self._row: dict[int, int] = {}
        self._free: list[int] = []
        self._used = 0

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, fact_check_id: object) -> bool:
        return fact_check_id in self._row

    def set(self, fact_check_id: int, vector: np.ndarray) -> None:
        vector = np.asarray(vector, dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(vector))
        if norm > 0:
            vector = vector / norm
        if self.dimensions is None:
            self.dimensions = vector.shape[0]
            self._matrix = np.zeros((0, self.dimensions), dtype=np.float32)
        if vector.shape[0] != self.dimensions:
            raise ValueError(f"vector has {vector.shape[0]} dimensions, the store {self.dimensions}")
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
        row = self._row.pop(fact_check_id, None)
        if row is not None:
            self._matrix[row] = 0.0
            self._owner[row] = -1
            self._free.append(row)

    def get(self, fact_check_id: int) -> np.ndarray | None:
        row = self._row.get(fact_check_id)
        return None if row is None else self._matrix[row].copy()

    def cosine(self, fact_check_id: int, query: np.ndarray) -> float | None:
        row = self._row.get(fact_check_id)
        return None if row is None else float(np.einsum("i,i->", self._matrix[row], query))

    def search(self, query: np.ndarray, k: int) -> dict[int, float]:
        """The k nearest fact-checks by cosine (query must be unit length)."""
        if not self._row or k <= 0:
            return {}
        # einsum, not `@`: a BLAS mat-vec wakes OpenBLAS's thread pool, whose spinning threads then
        # slow the next query's torch encoding by 2-20x on a small machine; einsum is single-threaded
        # and as fast at this size (14k x 384: ~1 ms).
        sims = np.einsum("ij,j->i", self._matrix[: self._used], query)
        sims[self._owner[: self._used] < 0] = -2.0
        k = min(k, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        return {int(self._owner[r]): float(sims[r]) for r in top if self._owner[r] >= 0}
