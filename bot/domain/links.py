"""What makes two links the same page, and where a message holds one.

`link_key` is the form links are stored and looked up by (the `claimlink` table): the URL canonicalised
by w3lib (host lower-cased, query sorted, percent-encoding made uniform, fragment dropped), then with
what varies between two shares of one article taken away: the scheme, `www.`, mobile (`m.`,
`mobile.`) and AMP (`amp.`, `/amp`, `?amp`, `.amp.html`) variants, a trailing slash and tracking
parameters (utm_*, fbclid, gclid …). The key is for matching only; the URL shown stays as given.

In the domain because the store keys its rows by it and the store imports nothing above the domain.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MAX_LINK = 2048  # longer is no share of an article; the store's columns hold this much

# Query parameters that say who shared a link, never which page it is.
TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "hsa_", "__hs", "_hs")
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "igshid",
        "igsh",
        "mc_cid",
        "mc_eid",
        "mkt_tok",
        "_ga",
        "_gl",
        "ref_src",
        "ref_url",
        "cmpid",
        "ocid",
        "s_cid",
        "smid",
        "share",
        "amp",
        "outputtype",
    }
)
MOBILE_PREFIXES = ("www.", "m.", "mobile.", "amp.")
# "https://…" or "www.…" inside a message; what ends a sentence is trimmed off afterwards.
_IN_TEXT = re.compile(r"(?:\b[a-z][a-z0-9+.-]{1,15}://|\bwww\.)[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}»”’'\""


# A URL that canonicalize_url gives back as it is, but for the fragment it drops: lower-case host labels
# (no IDNA, no port, no user), a path of unreserved characters without dot segments, no query. Most
# fact-checks' own URLs are such, and imports key thousands a second (tests/test_links.py compares).
_PLAIN = re.compile(r"(?i:https?)://((?:[a-z0-9-]{1,63}\.)*[a-z0-9-]{1,63})(/[A-Za-z0-9._~/-]*)?(?:#.*)?")


def link_key(url: str) -> str | None:
    """The key two shares of one page have in common; None for what is not an http(s) URL."""
    url = url.strip()
    if len(url) > MAX_LINK or not url.lower().startswith(("http://", "https://")):
        return None
    plain = _PLAIN.fullmatch(url)
    if plain and "xn--" not in plain[1] and "/." not in (plain[2] or ""):
        return _key(plain[1], None, plain[2] or "/", "")
    return _canonical_key(url)


def _canonical_key(url: str) -> str | None:
    """`link_key` through w3lib's canonicalisation, for any http(s) URL (stripped, short enough)."""
    # w3lib (and the urllib.request and http.client it imports) for a URL the plain path cannot key
    # only: a process that keys none (`claimbot ask` with a question without links) never loads it.
    from w3lib.url import canonicalize_url

    try:
        parts = urlsplit(canonicalize_url(url))
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:  # a port that is no number, an unbalanced IPv6 bracket
        return None
    return _key(host, port, parts.path, parts.query)


def _key(host: str, port: int | None, path: str, query: str) -> str | None:
    """The key of a canonicalised URL's parts."""
    if not host:
        return None
    changed = True
    while changed:  # "www.m.example.com" and the like
        changed = False
        for prefix in MOBILE_PREFIXES:
            if host.startswith(prefix) and host.count(".") > 1:
                host, changed = host[len(prefix) :], True
    shown_port = f":{port}" if port and port not in (80, 443) else ""
    if "amp" in path:
        path = re.sub(r"/amp/?$|\.amp(?=\.html?$)|/amp(?=/)", "", path)
    if "//" in path:
        path = re.sub(r"/+", "/", path)
    path = path.rstrip("/")
    if not query:
        return host + shown_port + path  # what urlunsplit gives for a host and a path starting "/"
    kept = [
        (name, value)
        for name, value in parse_qsl(query, keep_blank_values=True)
        if name.lower() not in TRACKING_PARAMS and not name.lower().startswith(TRACKING_PREFIXES)
    ]
    return urlunsplit(("", host + shown_port, path, urlencode(kept), "")).removeprefix("//")


def links_in(text: str) -> list[str]:
    """The links a message holds, in order, each once: `scheme://…` of any scheme, and `www.…`.

    Other schemes are returned too, so that the caller can say it opens only http(s) links.
    """
    found: list[str] = []
    for match in _IN_TEXT.finditer(text):
        link = match.group(0).rstrip(_TRAILING)
        if link.lower().startswith("www."):
            link = "https://" + link
        if link not in found:
            found.append(link)
    return found


def is_web_link(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def text_without_links(text: str) -> str:
    """What a message says beside its links (\"is this true? <link>\" -> \"is this true?\")."""
    return " ".join(_IN_TEXT.sub(" ", text).split())
