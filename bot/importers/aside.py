"""A large file's records parsed in a process of their own while the importing process stores them.

Parsing and checking a ClaimReview record costs about as much CPU as storing it, and both are
Python: a thread could not overlap them (the GIL), a second process can, on the second core. The
reader process sends records in chunks through a pipe, whose buffer bounds how far it reads ahead;
the importing process gets them in file order with their file and line, so reports read the same.
"""

from __future__ import annotations

import fcntl
import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path

from bot.domain import FactCheckRecord, RecordError

log = logging.getLogger(__name__)

Item = FactCheckRecord | RecordError
Reader = Callable[[Path], Iterator[Item]]

CHUNK = 256  # records per message: pickling a list costs less per record than one by one
# How far the reader may run ahead: ~1,700 records of ~600 pickled bytes, more than a stored batch.
READ_AHEAD_BYTES = 1 << 20  # Linux's default /proc/sys/fs/pipe-max-size
_END = "end"


class _Failed:
    """What the reader raised, raised again in the importing process where it iterates."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _read_into(send: Connection, receive: Connection, read: Reader, path: Path) -> None:
    """In the reader process: every record, in chunks; then the end (or what went wrong)."""
    # A forked reader holds a copy of the receiving end too: closed, the pipe breaks when the
    # importing process ends (even killed), and this process with it, instead of waiting on it.
    receive.close()
    # Ctrl-C reaches the whole process group: the importing process handles it, and its closing the
    # pipe ends this one quietly.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    chunk: list[Item] = []
    try:
        try:
            for item in read(path):
                chunk.append(item)
                if len(chunk) >= CHUNK:
                    send.send(chunk)
                    chunk = []
        except Exception as error:  # noqa: BLE001 - handed over, to be raised where the caller iterates
            send.send(chunk)  # what was read before it first, as reading in one process would
            send.send(_Failed(error))
        else:
            send.send(chunk)
            send.send(_END)
    except (BrokenPipeError, EOFError):
        pass  # the importing process stopped reading (its own error, or it was interrupted)
    finally:
        send.close()


def _widen(send: Connection) -> None:
    """Let the reader run up to READ_AHEAD_BYTES ahead (the pipe's default 64 KiB holds ~100 records):
    it keeps parsing while the importing process stores a batch of IMPORT_BATCH."""
    try:
        fcntl.fcntl(send.fileno(), fcntl.F_SETPIPE_SZ, READ_AHEAD_BYTES)
    except (AttributeError, OSError):  # not Linux, or a lower /proc/sys/fs/pipe-max-size
        log.debug("the import pipe keeps its default size", exc_info=True)


def read_aside(read: Reader, path: Path) -> Iterator[Item]:
    """The items of `read(path)`, read in a process of their own.

    An error the reader raises (a file that stops decoding half-way) is raised here after the items
    before it, as reading in this process would; a caller that stops early ends the reader.
    """
    # A copy of this process is the quickest reader (nothing to import again), and safe only while
    # no other thread runs here (a serving worker's threads could hold locks the copy would keep).
    method = "fork" if threading.active_count() == 1 else "spawn"
    context = multiprocessing.get_context(method)
    receive, send = context.Pipe(duplex=False)
    _widen(send)
    reader = context.Process(
        target=_read_into, args=(send, receive, read, path), name="claimbot-import-reader", daemon=True
    )
    reader.start()
    send.close()  # the reader holds the only sending end: its exit ends the pipe
    try:
        while True:
            try:
                value = receive.recv()
            except EOFError:
                raise RuntimeError(
                    f"the process reading {path} ended unexpectedly (exit code {reader.exitcode})"
                ) from None
            if value == _END:
                return
            if isinstance(value, _Failed):
                raise value.error
            yield from value
    finally:
        receive.close()
        reader.join(timeout=5)
        if reader.is_alive():
            log.warning("the process reading %s did not stop: terminating it", path)
            reader.terminate()
            reader.join()
