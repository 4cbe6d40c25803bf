"""Writing this worker's match index files from the store (match_index.py): one full read streamed into
a new segment, and what a segment is checked against before it is served.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import Engine
from sqlmodel import Session

from bot.matching import MatchDocument
from bot.matching.segment import Segment
from store import embeddings, factchecks
from store.db import session_scope
from store.models import FactCheckStatus

if TYPE_CHECKING:
    from bot.matching import Encoder

BUILD_BATCH = 5000
_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


def micros(value: datetime) -> int:
    """A stored time as integer microseconds (naive times are UTC, as the store writes them)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return (value - _EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    return (_EPOCH + value * _MICROSECOND).replace(tzinfo=UTC)


def agrees(session: Session, segment: Segment, rows: list[factchecks.IndexRow], since: datetime) -> bool:
    """The rows the segment saw, less those changed since, are the store's rows older than `since`."""
    stored = factchecks.fingerprint(session, since)
    ids, updated = segment.rows_seen()
    unchanged = ~np.isin(ids, np.fromiter((row.id for row in rows), dtype=np.int64, count=len(rows)))
    count = int(np.count_nonzero(unchanged))
    latest = int(updated[unchanged].max()) if count else None
    return (
        count == stored.count
        and int(ids[unchanged].sum()) == stored.id_sum
        and latest == (micros(stored.latest) if stored.latest is not None else None)
    )


def embedding_state(session: Session, encoder: Encoder | None) -> tuple[int, int]:
    """How many vectors of the model are stored, and the newest row's id (0, 0 without a model)."""
    if encoder is None:
        return (0, 0)
    return (embeddings.count(session, encoder.name), embeddings.max_id(session))


def meta(until: datetime, database: str, state: tuple[int, int]) -> dict[str, object]:
    """What a segment records of the store it was written from."""
    return {
        "until": micros(until),
        "database": database,
        "embedding_count": state[0],
        "embedding_max_id": state[1],
    }


def write_all(
    engine: Engine, encoder: Encoder | None, scratch: Path, started: datetime, database: str
) -> None:
    """Every fact-check row (the published ones with their stored vectors) into a segment at `scratch`."""
    # The writer is imported by a process that writes the index files: one that finds them current
    # (`claimbot ask` on an indexed database) only reads them.
    from bot.matching.segment_writer import SegmentWriter

    writer = SegmentWriter(
        scratch, dims=encoder.dimensions if encoder else 0, model=encoder.name if encoder else None
    )
    ids: list[int] = []
    updated: list[int] = []
    with session_scope(engine) as session:
        state = embedding_state(session, encoder)
        for batch in batches(factchecks.iter_index_rows(session), BUILD_BATCH):
            ids.extend(row.id for row in batch)
            updated.extend(micros(row.updated_at) if row.updated_at else 0 for row in batch)
            published = [row for row in batch if row.status == FactCheckStatus.PUBLISHED]
            stored = (
                embeddings.load_with_fields(session, encoder.name, {r.id: r.revision for r in published})
                if encoder is not None
                else {}
            )
            for row in published:
                vector, fields = stored.get(row.id, (None, None))
                writer.add(document(row), row.revision, vector, fields)
    order = np.argsort(np.asarray(ids, dtype=np.int64), kind="stable")
    writer.finish(
        np.asarray(ids, dtype=np.int64)[order],
        np.asarray(updated, dtype=np.int64)[order],
        meta(started, database, state),
    )


def document(row: factchecks.IndexRow) -> MatchDocument:
    return MatchDocument(row.id, row.claim, row.title, row.summary, row.aliases)


def batches(rows: Iterable[factchecks.IndexRow], size: int) -> Iterator[list[factchecks.IndexRow]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch
