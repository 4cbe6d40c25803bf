"""A question that is, or holds, a link: which fact-check it leads to, storing nothing.

First the link itself (bot.domain.links.link_key): a fact-check's own URL, or a page where its claim
appeared (store/links.py). Else the page is fetched with the crawler's safety rules (bot/importers/
web.py: no internal address, one deadline, only its first MiB read) and its share text (Open Graph,
title, description) is matched like a question. Asking (bot/usecases/asking.py) stores the question
with what was found; a link that finds nothing is never queued for review on its own.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.domain import LinkNote
from bot.domain.links import is_web_link, links_in
from bot.matching import Match, Matcher
from store.links import fact_checks_for_link

log = logging.getLogger(__name__)

MAX_PAGE_BYTES = 1 << 20  # a page's head is at its top; the rest is not read
MAX_LINKS = 3  # links of one message looked up in the store; only the first is fetched


@dataclass(frozen=True)
class LinkFinding:
    """What a message's link led to: a stored fact-check, matches for the page's text, or nothing."""

    note: LinkNote
    fact_check_id: int | None = None  # the link is a fact-check's own URL or an appearance of its claim
    matches: list[Match] = field(default_factory=list)  # for the page's text
    decision: str = "queued"  # the matcher's decision on `matches`

    @property
    def found(self) -> bool:
        return self.fact_check_id is not None or self.decision in ("answer", "suggest")


class Links:
    def __init__(self, engine: Engine, settings: Settings, matcher: Matcher) -> None:
        self.engine = engine
        self.settings = settings
        self.matcher = matcher

    def resolve(self, text: str) -> LinkFinding | None:
        """What the links in `text` lead to; None when it holds no link."""
        found = links_in(text)
        if not found:
            return None
        web = [url for url in found if is_web_link(url)]
        if not web:
            return LinkFinding(LinkNote(found[0], "not_web"))
        with Session(self.engine) as session:
            for url in web[:MAX_LINKS]:
                stored = fact_checks_for_link(session, url)
                if stored:
                    return LinkFinding(LinkNote(url, stored[0][1]), fact_check_id=stored[0][0])
        return self._read_page(web[0])

    def _read_page(self, url: str) -> LinkFinding:
        # The HTTP stack and the page parser are imported for a question with a link to fetch only:
        # a process that never fetches (`claimbot ask` without a link) does not pay for them.
        from bot.fetching import FetchRefused, run_sync
        from bot.importers.page_text import page_text

        try:
            html = run_sync(self._fetch(url))
        except FetchRefused as exc:
            return LinkFinding(LinkNote(url, "unreadable", error=str(exc)))
        except TimeoutError:
            error = f"not read within the {self.settings.http_deadline:g} s deadline"
            return LinkFinding(LinkNote(url, "unreadable", error=error))
        page = page_text(html)
        if page.canonical and page.canonical != url and is_web_link(page.canonical):
            with Session(self.engine) as session:  # an AMP or mobile copy naming the article itself
                stored = fact_checks_for_link(session, page.canonical)
            if stored:
                return LinkFinding(LinkNote(url, stored[0][1]), fact_check_id=stored[0][0])
        best: LinkFinding | None = None
        for said in page.texts():
            matches = self.matcher.match(said, top_k=5)
            decision = self.matcher.decide(matches)
            if decision not in ("answer", "suggest"):
                continue
            finding = LinkFinding(LinkNote(url, "page", page_text=said), matches=matches, decision=decision)
            if best is None or _better(finding, best):
                best = finding
        return best or LinkFinding(LinkNote(url, "unmatched"))

    async def _fetch(self, url: str) -> str:
        from bot.importers.web import Crawler

        # The crawler bounds each hop and the body; this bounds the whole, name look-ups included.
        async with asyncio.timeout(self.settings.http_deadline), Crawler(self.settings) as crawler:
            return await crawler.fetch_page(url, MAX_PAGE_BYTES)


def _better(a: LinkFinding, b: LinkFinding) -> bool:
    """An answer beats a suggestion; between equals the page's own headline (the first text, its
    Open Graph title) is kept: a site's name around the <title> makes a score no better."""
    rank = {"answer": 1, "suggest": 0}
    return rank[a.decision] > rank[b.decision]
