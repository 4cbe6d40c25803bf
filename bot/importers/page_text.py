"""What a web page says about itself: its title, description and Open Graph / Twitter card text, and
the canonical address it names. Pure parsing of a page someone linked (bot/usecases/links.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from bot.text import clean_text

MAX_TEXT = 500  # a title or description longer than this is page body, not a summary of it
# Open Graph first: it is what the publisher wrote for shares, while <title> often carries the site's name.
_META = {
    "og:title": "og_title",
    "twitter:title": "og_title",
    "og:description": "og_description",
    "twitter:description": "og_description",
    "description": "description",
    "og:url": "canonical",
}


@dataclass
class PageText:
    title: str = ""
    description: str = ""
    og_title: str = ""
    og_description: str = ""
    canonical: str = ""
    _seen: set[str] = field(default_factory=set, repr=False)

    def texts(self) -> list[str]:
        """The distinct texts worth matching, the publisher's share text first."""
        out: list[str] = []
        for text in (self.og_title, self.title, self.og_description, self.description):
            if text and text.lower() not in (t.lower() for t in out):
                out.append(text)
        return out


class _Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = PageText()
        self._in_title = False
        self._title: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        if tag == "title" and not self.page.title:
            self._in_title = True
        elif tag == "meta":
            name = (values.get("property") or values.get("name") or "").strip().lower()
            target = _META.get(name)
            if target and target not in self.page._seen:  # the first of each wins, as crawlers read it
                self.page._seen.add(target)
                setattr(self.page, target, _clip(values.get("content", "")))
        elif tag == "link" and "canonical" in values.get("rel", "").lower().split():
            self.page.canonical = values.get("href", "").strip()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title = False
            self.page.title = _clip("".join(self._title))


def _clip(text: str) -> str:
    text = " ".join(clean_text(text).split())
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT].rsplit(" ", 1)[0]


def page_text(html: str) -> PageText:
    """The title, descriptions and canonical URL of an HTML page (whatever its markup's state)."""
    parser = _Head()
    parser.feed(html)
    parser.close()
    return parser.page
