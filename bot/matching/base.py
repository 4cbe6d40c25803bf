"""A segment served as a matcher's base (segment.py): which of its fact-checks still count after the
process's own changes, and those fact-checks as objects, read from the files when first needed.

A base fact-check that changes or goes is masked (its row is dead), never written: the files are
shared and read-only. The matcher keeps the new version in memory (matcher.py) and hands both to the
writer of the next segment.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .documents import Entry
from .model import MatchDocument
from .segment import Segment

CACHE = 4096  # base fact-checks kept as objects once read (recent candidates)


class Base:
    def __init__(self, segment: Segment) -> None:
        self.segment = segment
        self.dead: set[int] = set()  # rows changed or removed since
        self._entries: OrderedDict[int, Entry] = OrderedDict()
        # Vectors given since to fact-checks served from here: id -> (vector, field vectors).
        self.vectors: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}

    @property
    def slots(self) -> int:
        return self.segment.slots

    def __len__(self) -> int:
        return self.segment.docs - len(self.dead)

    def row(self, fact_check_id: object) -> int:
        """The row of a fact-check still served from the files, or -1."""
        if not isinstance(fact_check_id, int | np.integer):
            return -1
        row = self.segment.row_of(int(fact_check_id))
        return -1 if row < 0 or row in self.dead else row

    def entry(self, fact_check_id: int) -> Entry | None:
        """The fact-check as the matcher holds its own (kept a while once read)."""
        entry = self._entries.get(fact_check_id)
        if entry is not None:
            self._entries.move_to_end(fact_check_id)
            return entry
        row = self.row(fact_check_id)
        if row < 0:
            return None
        segment = self.segment
        texts = segment.texts(row)
        claim, title, summary, *aliases = texts
        doc = MatchDocument(fact_check_id, claim, title, summary, tuple(aliases))
        entry = Entry(
            doc,
            tuple(segment.slot_range(row)),
            segment.phrasings(row, texts),
            segment.capitalised(row),
            segment.lowercase(row),
        )
        self._entries[fact_check_id] = entry
        if len(self._entries) > CACHE:
            self._entries.popitem(last=False)
        return entry

    def kill(self, fact_check_id: int) -> Entry | None:
        """Stop serving a fact-check from the files; its entry (to take off the index), or None."""
        entry = self.entry(fact_check_id)
        if entry is not None:
            self.dead.add(self.segment.row_of(fact_check_id))
            self._entries.pop(fact_check_id, None)
        self.vectors.pop(fact_check_id, None)
        return entry

    def owner(self, slot: int) -> int:
        return self.segment.fact_check_id(int(self.segment.a["slot_doc"][slot]))

    def fields(self, fact_check_id: int) -> np.ndarray | None:
        row = self.row(fact_check_id)
        return self.segment.fields(row) if row >= 0 else None

    def kept(self) -> np.ndarray:
        """The rows still served, ascending."""
        live = np.ones(self.segment.docs, dtype=bool)
        live[list(self.dead)] = False
        return np.flatnonzero(live)

    def documents(self) -> list[MatchDocument]:
        return [self.segment.document(r) for r in range(self.segment.docs) if r not in self.dead]
