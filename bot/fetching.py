"""Fetching from outside without being turned against the inside: addresses and decoded sizes.

Outside sources name URLs the operator did not choose (a sitemap's <loc>, a redirect's Location),
so before any request:

* `AddressGuard.check(url)` resolves the host and refuses it when any address it resolves to is
  loopback, private, link-local, shared (CGNAT), multicast, reserved or unspecified, IPv4 inside
  IPv6 (mapped, 6to4, Teredo) included. Hosts the operator names in CLAIMBOT_HTTP_ALLOW_HOSTS pass
  as they are (an in-house publisher, the tests' servers on 127.0.0.1); an allowed address allows
  only itself, not the names that resolve to it.
* `BodyDecoder` undoes Content-Encoding (gzip, deflate, several layers) in bounded steps and stops
  at a cap on *decoded* bytes: a few KB of gzip inside gzip would otherwise inflate to gigabytes
  in one call, which is what httpx's own decoders do with each chunk read.

Redirects are followed by the caller, one hop at a time, so every hop goes through the guard.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ipaddress
import socket
import zlib
from collections.abc import Coroutine, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import httpx

MAX_ENCODINGS = 3  # Content-Encoding layers undone; more is no honest server's doing
STEP = 64 * 1024  # most bytes one decompression call may produce

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
T = TypeVar("T")


class FetchRefused(Exception):
    """A document that is not fetched, or not read to its end; the message says why, for the user."""


class BlockedAddress(FetchRefused):
    pass


class TooLarge(FetchRefused):
    def __init__(self, message: str, decoded: bytes = b"") -> None:
        super().__init__(message)
        self.decoded = decoded  # from the chunk being decoded, the bytes up to the cap


# ---------------------------------------------------------------------------------------- addresses


def internal_kind(address: Address) -> str | None:
    """What makes an address internal ("loopback", "private" …), or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
        for inner in (a for a in embedded if a is not None):
            kind = internal_kind(inner)
            if kind is not None:
                return kind
    for kind in ("loopback", "link_local", "private", "multicast", "reserved", "unspecified"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    if not address.is_global:
        return "non-public"  # 100.64.0.0/10 (carrier-grade NAT) and the like
    return None


def _normal_host(host: str) -> str:
    return host.strip().lower().rstrip(".")


class AddressGuard:
    """Refuses URLs whose host resolves to an internal address, unless the host is allowed by name."""

    def __init__(self, allowed_hosts: Iterable[str]) -> None:
        self._allowed = {_normal_host(h).strip("[]") for h in allowed_hosts if h.strip()}

    async def check(self, url: str) -> None:
        """Return when `url` may be fetched; BlockedAddress (or FetchRefused) saying why not."""
        import httpx  # here, not at import: a process that never fetches never loads it

        try:
            # The host as httpx will connect to it (IDNA-encoded), not as another parser reads it.
            parsed = httpx.URL(url)
            host = _normal_host(parsed.raw_host.decode("ascii"))
        except (httpx.InvalidURL, UnicodeError):
            raise FetchRefused(f"not a valid URL: {url[:100]}") from None
        if not host:
            raise FetchRefused(f"no host in {url[:100]}")
        if host in self._allowed or _normal_host(parsed.host) in self._allowed:
            return
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        for address in await self._addresses(host, port):
            kind = internal_kind(address)
            if kind is not None:
                article = "an" if kind[0] in "aeiou" else "a"
                raise BlockedAddress(
                    f"{host} is {article} {kind} address ({address}); not fetched"
                    " (CLAIMBOT_HTTP_ALLOW_HOSTS names the internal hosts that may be)"
                )

    async def _addresses(self, host: str, port: int) -> list[Address]:
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass  # a name: resolve it
        loop = asyncio.get_running_loop()
        try:
            found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchRefused(f"{host}: name not found ({exc})") from None
        # In the resolver's order, once each; an IPv6 scope ("fe80::1%eth0") is no part of the address.
        return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found))


# ---------------------------------------------------------------------------------------- bodies


class _Inflater:
    """One Content-Encoding layer, inflated at most STEP bytes at a time."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._gzip = encoding in ("gzip", "x-gzip")
        self._object = self._new()
        self._started = False  # output came: a deflate body is no longer tried as raw deflate
        self._ended = False  # the stream ended and what follows is ignored

    def _new(self, raw: bool = False) -> zlib._Decompress:
        if self._gzip:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # "deflate" is zlib-wrapped by the standard, but some servers send raw deflate.
        return zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)

    def inflate(self, data: bytes) -> Iterator[bytes]:
        while not self._ended:
            if self._object.eof:
                rest = (self._object.unused_data + data).lstrip(b"\0")
                if not rest:
                    return
                if not self._gzip:
                    self._ended = True  # bytes after a deflate stream: ignored, as browsers do
                    return
                self._object, data = self._new(), rest  # another gzip member follows
            try:
                piece = self._object.decompress(data, STEP)
            except zlib.error as exc:
                if self._gzip or self._started:
                    raise FetchRefused(f"corrupt {self.encoding} body ({exc})") from None
                self._object, self._started = self._new(raw=True), True
                continue
            self._started = True
            if piece:
                yield piece
            if self._object.eof:
                data = b""  # the top of the loop looks at what follows the stream
                continue
            data = self._object.unconsumed_tail
            if not data and len(piece) < STEP:
                return  # all input taken and the output not cut short: nothing more held


class BodyDecoder:
    """Undo a Content-Encoding chain chunk by chunk; TooLarge once more than `limit` bytes come out.

    Every layer's output counts against the cap, so no layer, not only the last, can be made to
    churn through more than `limit` bytes (deflate's empty blocks inflate to nothing, cheaply).
    """

    def __init__(self, content_encoding: str, limit: int) -> None:
        applied = [e.strip().lower() for e in content_encoding.split(",")]
        applied = [e for e in applied if e and e != "identity"]
        for encoding in applied:
            if encoding not in ("gzip", "x-gzip", "deflate"):
                raise FetchRefused(f"unsupported Content-Encoding {encoding}")
        if len(applied) > MAX_ENCODINGS:
            raise FetchRefused(f"more than {MAX_ENCODINGS} content encodings")
        self.limit = limit
        self.size = 0  # decoded bytes so far
        self._layers = [_Inflater(e) for e in reversed(applied)]  # listed in the order applied
        self._produced = [0] * len(self._layers)

    def feed(self, data: bytes) -> bytes:
        """The decoded bytes `data` (the next chunk of the body as sent) gives.

        TooLarge once the cap is passed; its `decoded` holds this chunk's bytes up to the cap, for
        callers that keep a truncated body.
        """
        out: list[bytes] = []
        try:
            self._push(0, data, out)
        except TooLarge as exc:
            exc.decoded = b"".join(out)
            raise
        return b"".join(out)

    def _push(self, depth: int, data: bytes, out: list[bytes]) -> None:
        if depth == len(self._layers):
            room = self.limit - self.size
            self.size += len(data)
            if self.size > self.limit:
                out.append(data[:room])
                raise TooLarge(f"larger than {_size(self.limit)} once decoded; not read")
            out.append(data)
            return
        inner = depth + 1 < len(self._layers)  # the last layer's output is counted as the body's
        for piece in self._layers[depth].inflate(data):
            self._produced[depth] += len(piece)
            if inner and self._produced[depth] > self.limit:
                raise TooLarge(f"larger than {_size(self.limit)} once decoded; not read")
            self._push(depth + 1, piece, out)


def decode_all(data: bytes, content_encoding: str, limit: int) -> bytes:
    """A whole body decoded within the cap (e.g. the gzip of a sitemap.xml.gz file)."""
    return BodyDecoder(content_encoding, limit).feed(data)


async def read_body(response: httpx.Response, limit: int, *, truncate: bool = False) -> bytes:
    """The decoded body of a streamed response, at most `limit` bytes of it.

    Past the cap: TooLarge, or with `truncate` the first `limit` bytes (robots.txt: RFC 9309 lets
    a crawler stop reading at 500 KiB). Wire bytes are capped as well as decoded ones.
    """
    if response.is_stream_consumed:  # a response made in memory (httpx.MockTransport), decoded already
        if len(response.content) > limit and not truncate:
            raise TooLarge(f"larger than {_size(limit)} once decoded; not read")
        return response.content[:limit]
    declared = response.headers.get("Content-Length", "")
    if not truncate and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"larger than {_size(limit)}; not read")
    decoder = BodyDecoder(response.headers.get("Content-Encoding", ""), limit)
    chunks: list[bytes] = []
    wire = 0
    try:
        async for data in response.aiter_raw():
            chunks.append(decoder.feed(data))
            wire += len(data)
            if wire > limit:  # compressed, yet no smaller: deflate's empty blocks, say
                raise TooLarge(f"larger than {_size(limit)}; not read")
    except TooLarge as exc:
        if not truncate:
            raise
        chunks.append(exc.decoded)
    return b"".join(chunks)


def _size(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit >= 1 << 20 and not limit % (1 << 20) else f"{limit >> 10} KiB"


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a fetch from synchronous code: the core runs in worker threads, which have no event loop; a
    caller that has one in this thread gets the coroutine run in another thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
