"""Sentence embeddings kept with their fact-check: computed once when stored, read back at start-up."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from sqlmodel import Session, col, delete, select

from store.models import Embedding


def load(session: Session, model: str, revisions: dict[int, int]) -> dict[int, np.ndarray]:
    """Stored vectors of these fact-checks that match their current revision."""
    vectors: dict[int, np.ndarray] = {}
    ids = list(revisions)
    for start in range(0, len(ids), 5000):
        query = select(Embedding).where(
            Embedding.model == model, col(Embedding.fact_check_id).in_(ids[start : start + 5000])
        )
        for row in session.exec(query):
            if revisions.get(row.fact_check_id) == row.revision:
                vectors[row.fact_check_id] = np.frombuffer(row.vector, dtype=np.float32)
    return vectors


def save(session: Session, model: str, rows: Iterable[tuple[int, int, np.ndarray]]) -> None:
    """Replace the vectors of (fact_check_id, revision, vector) rows."""
    rows = list(rows)
    if not rows:
        return
    session.exec(
        delete(Embedding).where(
            Embedding.model == model,
            col(Embedding.fact_check_id).in_([fact_check_id for fact_check_id, _, _ in rows]),
        )
    )
    session.add_all(
        Embedding(
            fact_check_id=fact_check_id,
            model=model,
            revision=revision,
            vector=np.asarray(vector, dtype=np.float32).tobytes(),
        )
        for fact_check_id, revision, vector in rows
    )
