"""A moderator's import of an uploaded file (the web console): the same readers and the same upsert as
`claimbot import`, but authorized and audited, since whoever uploads is a platform identity rather than
the operator at the database.

The adapter saves the upload to a file first (it bounds the size); errors are reported against the
name the moderator uploaded, with the line, as `claimbot import` reports them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.domain import Actor, ImportReport, ServiceError
from bot.text import clean_text
from bot.usecases.catalogue import Catalogue
from bot.usecases.moderation import Moderation, record_audit
from store.db import session_scope


class Uploads:
    def __init__(self, moderation: Moderation, catalogue: Catalogue) -> None:
        self.moderation = moderation
        self.catalogue = catalogue

    def import_upload(self, actor: Actor, path: Path, name: str, fmt: str | None = None) -> ImportReport:
        """Import the fact-checks in `path` (uploaded as `name`); the match index is refreshed at once."""
        # The readers, for an upload only: every process that opens the service builds an Uploads.
        from bot.importers import FORMATS, read_records

        name = clean_text(name)[:200] or "upload"
        self.moderation.authorize(actor, "import", name)
        if fmt is not None and fmt not in FORMATS:
            raise ServiceError(f"No format {fmt!r}: use one of {', '.join(FORMATS)}, or let it be detected.")
        try:
            records = read_records(path, fmt)
            report = self.catalogue.import_records(records, index=True)
        except (UnicodeDecodeError, ValueError) as exc:
            with session_scope(self.catalogue.engine) as session:
                record_audit(session, actor, "import", name, False, f"unreadable: {str(exc)[:300]}")
            raise ServiceError(f"{name} could not be read: {str(exc)[:300]}") from None
        shown = str(path)
        report.errors = [replace(e, file=name) if e.file == shown else e for e in report.errors]
        report.notices = [replace(e, file=name) if e.file == shown else e for e in report.notices]
        detail = (
            f"added {report.added} updated {report.updated} skipped {report.skipped} "
            f"errors {len(report.errors)}"
        )
        with session_scope(self.catalogue.engine) as session:
            record_audit(session, actor, "import", name, True, detail)
        return report
