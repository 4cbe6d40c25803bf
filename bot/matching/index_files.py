"""The directory holding the match index's files: generations of segments and the manifest naming the
current one. Shared by every process of one database.

    <dir>/manifest.json        {"format": 1, "generation": "g-..."}
    <dir>/g-<time>-<pid>-<n>/  one segment (segment.py), never changed once published
    <dir>/write.lock           held while a process writes a generation

A writer fills a fresh `.tmp-*` directory, renames it to its generation name and then replaces the
manifest (write a temporary file, rename): a reader sees the old generation or the new one, never
half of one. Nothing is fsynced: after a crash, files that did not reach the disk fail their
checksums and are rebuilt from the database. A reader keeps the files it mapped even when a later
writer deletes them (POSIX keeps an unlinked file alive while mapped); generations older than the
previous one are deleted.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from .segment import Segment, SegmentError

FORMAT = 1
MANIFEST = "manifest.json"
LOCK = "write.lock"
KEEP = 2  # the current generation and the one before it (a reader may be opening that one)


class IndexFiles:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def generation(self) -> str | None:
        """The current generation's name (None: no index yet, or an unreadable manifest)."""
        try:
            manifest = json.loads((self.directory / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            return None
        name = manifest.get("generation")
        return name if isinstance(name, str) and name.startswith("g-") and "/" not in name else None

    def open(self, *, verify: bool = True) -> Segment | None:
        """The current segment, mapped; None when there is none. Raises SegmentError when its files
        are damaged (the caller rebuilds)."""
        for _ in range(3):  # a writer may delete an old generation between reading the manifest and opening
            name = self.generation()
            if name is None:
                return None
            try:
                return Segment.open(self.directory / name, verify=verify)
            except SegmentError:
                if self.generation() == name:
                    raise
        return None

    @contextlib.contextmanager
    def lock(self, *, wait: bool) -> Iterator[bool]:
        """Hold the write lock; yields False (without holding it) when `wait` is false and it is taken."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / LOCK, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def scratch(self) -> tuple[Path, str]:
        """A fresh directory to write a generation into, and the name it will be published as."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"g-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{secrets.token_hex(3)}"
        return self.directory / f".tmp-{name}", name

    def publish(self, scratch: Path, name: str) -> Path:
        """Make a written generation the current one (call with the lock held)."""
        final = self.directory / name
        os.replace(scratch, final)
        temporary = self.directory / f".{MANIFEST}.{os.getpid()}"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump({"format": FORMAT, "generation": name}, handle)
        os.replace(temporary, self.directory / MANIFEST)
        self.collect()
        return final

    def collect(self) -> None:
        """Delete generations older than the last KEEP, and scratch directories of writers that died."""
        current = self.generation()
        generations = sorted(
            (p for p in self.directory.glob("g-*") if p.is_dir()),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        keep = {p.name for p in generations[:KEEP]} | ({current} if current else set())
        for path in generations:
            if path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)
        for path in self.directory.glob(".tmp-g-*"):
            pid = path.name.split("-")[-2] if path.name.count("-") >= 4 else ""
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)

    def discard(self, scratch: Path) -> None:
        shutil.rmtree(scratch, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
