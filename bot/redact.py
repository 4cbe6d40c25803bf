"""Keep secrets out of every log record, whatever level an operator or a library sets (issue 8).

Transport loggers are held at WARNING (request URLs carry the Telegram token), but a `-v` run, a
library that lowers its own level, or an exception whose message quotes the token would still put
it in a log. `register_secret()` installs, once, a log-record factory that replaces each registered
secret in the formatted message and in the exception text with "[REDACTED]" when the record is made,
before any handler sees it.
"""

from __future__ import annotations

import logging
import threading
import traceback
from typing import Any

REDACTED = "[REDACTED]"
_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def register_secret(value: str | None) -> None:
    """Redact `value` (a token; ignored when short or empty) from every log record from now on."""
    global _installed
    if not value or len(value) < 6:
        return
    with _lock:
        _secrets.add(value)
        if not _installed:
            previous = logging.getLogRecordFactory()

            def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
                return _scrub(previous(*args, **kwargs))

            logging.setLogRecordFactory(factory)
            _installed = True


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _scrub(record: logging.LogRecord) -> logging.LogRecord:
    if not _secrets:
        return record
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string is the logging module's to report
        return record
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    if record.exc_info and record.exc_info[1] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        cleaned = redact(text)
        if cleaned != text:
            # Handlers print exc_text when it is set; the exception itself stays for debuggers.
            record.exc_text = cleaned
            record.exc_info = None
    return record
