"""What a fetched document holds: the ClaimReview in a page's JSON-LD or in a JSON / JSON Lines feed,
and the URLs a sitemap lists. Pure parsing: bot/importers/web.py fetches, this reads what it got.

* an HTML page: every `<script type="application/ld+json">` block is read (objects, lists, `@graph`,
  reviews nested in `mainEntity`/`review`/`hasPart`), with the ClaimReview mapping of
  `bot.importers.claimreview`; a review without its own URL gets the page's URL;
* a JSON document or JSON Lines feed of ClaimReview (or a Fact Check Tools response);
* a sitemap (`<urlset>`, gzipped or not) or a sitemap index, parsed with defusedxml: a DOCTYPE or
  entity anywhere is refused.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from urllib.parse import urljoin

import defusedxml
from defusedxml import ElementTree

from bot.domain import RecordError
from bot.fetching import FetchRefused, decode_all
from bot.importers._common import Item, loads, top_level_items
from bot.importers.claimreview import _find, review_to_record, reviews_in

MAX_BODY_BYTES = 10 * 1024 * 1024  # decoded; the wire bytes too
JSON_LD = "application/ld+json"


class _JsonLdBlocks(HTMLParser):
    """Collect the text of every <script type="application/ld+json"> with the line it starts on."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[int, str]] = []
        self._current: list[str] | None = None
        self._line = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "script":
            return
        kind = (dict(attrs).get("type") or "").split(";", 1)[0].strip().lower()
        if kind == JSON_LD:
            self._current, self._line = [], self.getpos()[0]

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._current is not None:
            self.blocks.append((self._line, "".join(self._current)))
            self._current = None


def json_ld_blocks(html: str) -> list[tuple[int, str]]:
    parser = _JsonLdBlocks()
    parser.feed(html)
    parser.close()
    return parser.blocks


def _unwrap(block: str) -> str:
    """Drop the comment and CDATA wrappers some CMSs put around JSON-LD."""
    text = block.strip()
    for start, end in (("<!--", "-->"), ("//<![CDATA[", "//]]>"), ("<![CDATA[", "]]>")):
        if text.startswith(start) and text.endswith(end):
            text = text[len(start) : -len(end)].strip()
    return text


def records_from_html(html: str, page_url: str, *, complain: bool = True) -> list[Item]:
    """Records for every ClaimReview in a page's JSON-LD; an error per unreadable block.

    A review without an absolute URL of its own is keyed by the page URL (with `#claimreview-N`
    when the page holds several such reviews), so re-imports of the page update the same rows.
    """
    items: list[Item] = []
    nodes: list[tuple[int, dict]] = []
    for line, block in json_ld_blocks(html):
        text = _unwrap(block)
        if not text:
            continue
        try:
            value = loads(text, strict=False)  # literal newlines inside strings are common
        except json.JSONDecodeError as exc:
            items.append(
                RecordError(
                    page_url, line + exc.lineno - 1, f"invalid JSON-LD (column {exc.colno}): {exc.msg}"
                )
            )
            continue
        found: list[dict] = []
        _find(value, found)
        nodes.extend((line, node) for node in found)
    keyless = [node for _, node in nodes if not _absolute_url(node, page_url)]
    for line, node in nodes:
        url = _absolute_url(node, page_url)
        if url is None:
            position = next(i for i, n in enumerate(keyless) if n is node)
            url = page_url if len(keyless) == 1 else f"{page_url}#claimreview-{position + 1}"
        items.append(review_to_record(node | {"url": url}, page_url, line))
    if not nodes and not items and complain:
        items.append(RecordError(page_url, 0, "no ClaimReview JSON-LD on this page"))
    return items


def _absolute_url(node: dict, page_url: str) -> str | None:
    """The review's own URL (url, else @id), made absolute against the page; None when it has none."""
    for key in ("url", "@id"):
        value = node.get(key)
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, dict):
            value = value.get("@id") or value.get("url")
        if not isinstance(value, str) or not value.strip() or value.strip().startswith("_:"):
            continue
        absolute = urljoin(page_url, value.strip())
        if absolute.startswith(("http://", "https://")):
            # A bare fragment ("#review") names a part of this page, which is a fine key.
            return absolute
    return None


def records_from_json(text: str, url: str) -> list[Item]:
    """A JSON document (object or list) or JSON Lines feed of ClaimReview."""
    try:
        values = top_level_items(text)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            return [
                RecordError(
                    url, exc.lineno, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
                )
            ]
        values = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                values.append((number, loads(line)))
            except json.JSONDecodeError as line_exc:
                message = f"invalid JSON at column {line_exc.colno}: {line_exc.msg}"
                values.append((number, RecordError(url, number, message)))
    if not values:
        return [RecordError(url, 1, "no ClaimReview found")]
    items: list[Item] = []
    for line, value in values:
        if isinstance(value, RecordError):
            items.append(value)
        else:
            items.extend(reviews_in(value, url, line, complain=True))
    return items


def sitemap_locations(body: bytes) -> tuple[str, list[str]]:
    """("urlset" or "sitemapindex", the <loc> URLs in order); ValueError when it is not a sitemap."""
    if body[:2] == b"\x1f\x8b":  # a sitemap.xml.gz file (Content-Encoding, if any, is undone already)
        try:
            body = decode_all(body, "gzip", MAX_BODY_BYTES)
        except FetchRefused as exc:
            raise ValueError(str(exc)) from None
    try:
        root = ElementTree.fromstring(body, forbid_dtd=True)
    except defusedxml.DefusedXmlException:
        raise ValueError("sitemaps have no DOCTYPE or entities; refused") from None  # no expansion, ever
    except ElementTree.ParseError as exc:
        raise ValueError(f"invalid XML: {exc}") from None
    kind = root.tag.rsplit("}", 1)[-1]
    if kind not in ("urlset", "sitemapindex"):
        raise ValueError(f"not a sitemap (root element <{kind}>)")
    locations = [
        (element.text or "").strip()
        for element in root.iter()
        if element.tag.rsplit("}", 1)[-1] == "loc" and (element.text or "").strip()
    ]
    return kind, locations


def detect_kind(content_type: str, body: bytes) -> str:
    """html, json or sitemap, from the Content-Type and the first bytes."""
    media = content_type.split(";", 1)[0].strip().lower()
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if body[:2] == b"\x1f\x8b":
        return "sitemap"
    if "html" in media:
        return "html"
    if "json" in media:
        return "json"
    if "xml" in media:
        return "sitemap"
    if head[:1] in (b"{", b"["):
        return "json"
    if b"<urlset" in body[:4096] or b"<sitemapindex" in body[:4096]:
        return "sitemap"
    return "html"
