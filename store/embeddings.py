"""Sentence embeddings kept with their fact-check: one row per fact-check and model, holding the vector
of the revision it was computed from and, once computed, the vectors of its claim, title and summary
(`fields`, float16). Computed once, in batches (`claimbot index`, a worker's background encoder),
read back at start-up; a vector of an older revision or of another model is never used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import and_, exists
from sqlmodel import Session, col, delete, func, select

from store.models import Embedding, FactCheck, FactCheckStatus

CHUNK = 5000  # ids per IN (...) list
FIELD_DTYPE = np.float16


@dataclass(frozen=True)
class Pending:
    """A published fact-check whose current revision has no vector of the model yet."""

    id: int
    revision: int
    claim: str
    title: str
    summary: str = ""


def load(session: Session, model: str, revisions: dict[int, int]) -> dict[int, np.ndarray]:
    """Stored vectors of these fact-checks that match their current revision."""
    return {i: vector for i, (vector, _) in load_with_fields(session, model, revisions, fields=False).items()}


def load_with_fields(
    session: Session, model: str, revisions: dict[int, int], *, fields: bool = True
) -> dict[int, tuple[np.ndarray, np.ndarray | None]]:
    """Stored vectors of these fact-checks that match their current revision, each with its field
    vectors (3, dims) when they were computed."""
    out: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}
    ids = list(revisions)
    columns = [Embedding.fact_check_id, Embedding.revision, Embedding.vector]
    if fields:
        columns.append(Embedding.fields)  # type: ignore[arg-type]
    for start in range(0, len(ids), CHUNK):
        query = select(*columns).where(
            Embedding.model == model, col(Embedding.fact_check_id).in_(ids[start : start + CHUNK])
        )
        for fact_check_id, revision, vector, *rest in session.exec(query):  # type: ignore[call-overload]
            if revisions.get(fact_check_id) == revision:
                vector = np.frombuffer(vector, dtype=np.float32)
                stored = rest[0] if rest else None
                out[fact_check_id] = (
                    vector,
                    np.frombuffer(stored, dtype=FIELD_DTYPE).reshape(3, -1) if stored is not None else None,
                )
    return out


def max_id(session: Session) -> int:
    """The newest embedding row's id: grows whenever a vector is stored for a new revision or model."""
    return int(session.exec(select(func.max(Embedding.id))).one() or 0)


def _of_model(model: str) -> object:
    return exists().where(Embedding.fact_check_id == FactCheck.id, Embedding.model == model)


def _of_other_model(model: str) -> object:
    return exists().where(Embedding.fact_check_id == FactCheck.id, Embedding.model != model)


def awaiting_reencode(session: Session, model: str, ids: Iterable[int] | None = None) -> set[int]:
    """Fact-checks whose only vectors are another model's: left for `claimbot index --reencode`, so a
    model change is one deliberate migration rather than every worker re-encoding at once."""
    query = select(FactCheck.id).where(~_of_model(model), _of_other_model(model))  # type: ignore[arg-type]
    if ids is None:
        return {i for i in session.exec(query) if i is not None}
    wanted = list(ids)
    found: set[int] = set()
    for start in range(0, len(wanted), CHUNK):
        chunk = query.where(col(FactCheck.id).in_(wanted[start : start + CHUNK]))
        found.update(i for i in session.exec(chunk) if i is not None)
    return found


def pending(
    session: Session,
    model: str,
    *,
    after_id: int = 0,
    limit: int = 1000,
    reencode: bool = False,
    with_fields: bool = False,
) -> list[Pending]:
    """Published fact-checks in id order after `after_id` lacking a vector of `model` for their
    current revision (with `with_fields`, or lacking its field vectors); with `reencode` those whose
    only vectors are another model's too."""
    conditions = [
        Embedding.fact_check_id == FactCheck.id,
        Embedding.model == model,
        Embedding.revision == FactCheck.revision,
    ]
    if with_fields:
        conditions.append(col(Embedding.fields).is_not(None))
    current = exists().where(and_(*conditions))
    query = (
        select(FactCheck.id, FactCheck.revision, FactCheck.claim, FactCheck.title, FactCheck.summary)
        .where(FactCheck.status == FactCheckStatus.PUBLISHED, col(FactCheck.id) > after_id, ~current)
        .order_by(col(FactCheck.id))
        .limit(limit)
    )
    if not reencode:
        query = query.where(~(~_of_model(model) & _of_other_model(model)))  # type: ignore[operator]
    return [
        Pending(i, revision, claim, title or "", summary or "")
        for i, revision, claim, title, summary in session.exec(query)
    ]


def save(
    session: Session,
    model: str,
    rows: Iterable[tuple[int, int, np.ndarray] | tuple[int, int, np.ndarray, np.ndarray | None]],
) -> None:
    """Store the vectors of (fact_check_id, revision, vector[, fields]) rows, replacing older
    revisions' ones.

    An upsert, so two workers encoding the same fact-check at once both succeed; a vector never
    replaces one of a later revision.
    """
    values = []
    for fact_check_id, revision, vector, *rest in rows:
        fields = rest[0] if rest else None
        values.append(
            {
                "fact_check_id": fact_check_id,
                "model": model,
                "revision": revision,
                "vector": np.asarray(vector, dtype=np.float32).tobytes(),
                "fields": None if fields is None else np.asarray(fields, dtype=FIELD_DTYPE).tobytes(),
            }
        )
    if not values:
        return
    # Imported here: the PostgreSQL dialect's module costs start-up time in processes that never write.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(Embedding).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=["fact_check_id", "model"],
        set_={
            "revision": statement.excluded.revision,
            "vector": statement.excluded.vector,
            "fields": statement.excluded.fields,
        },
        where=col(Embedding.revision) <= statement.excluded.revision,
    )
    session.execute(statement)


def drop_other_models(session: Session, model: str) -> int:
    """Delete every vector not of `model` (after `claimbot index --reencode` replaced them)."""
    count = session.exec(select(func.count()).select_from(Embedding).where(Embedding.model != model)).one()
    session.exec(delete(Embedding).where(Embedding.model != model))  # type: ignore[call-overload]
    return int(count)


def count(session: Session, model: str) -> int:
    return int(
        session.exec(select(func.count()).select_from(Embedding).where(Embedding.model == model)).one()
    )
