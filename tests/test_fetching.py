"""bot/fetching.py on its own: which addresses may be fetched, and decoding bodies within a cap.

The crawl through these (redirects, hostile servers) is tested in tests/test_web_import.py.
"""

from __future__ import annotations

import gzip
import zlib

import pytest

from bot.fetching import AddressGuard, BlockedAddress, BodyDecoder, FetchRefused, TooLarge
from tests.fakes.publisher_site import gzip_bomb


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.2",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "[::1]",
        "[::]",
        "[fe80::1]",
        "[fc00::1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:10.0.0.1]",
        "[2002:a00:1::]",  # 6to4 around 10.0.0.1
        "2130706433",  # 127.0.0.1 spelt as one number, which getaddrinfo accepts
    ],
)
async def test_internal_addresses_are_refused(address: str) -> None:
    with pytest.raises(BlockedAddress, match="not fetched"):
        await AddressGuard([]).check(f"http://{address}:8080/sitemap.xml")


async def test_public_addresses_and_allowed_hosts_pass() -> None:
    guard = AddressGuard(["127.0.0.1", "Publisher.Internal"])
    for url in (
        "https://93.184.215.14/",
        "http://[2606:4700:4700::1111]:8080/x",
        "http://127.0.0.1:9/",
        "http://publisher.internal/feed.json",  # allowed by name: not even resolved
        "http://PUBLISHER.INTERNAL./feed.json",
    ):
        await guard.check(url)
    with pytest.raises(BlockedAddress):
        await guard.check("http://127.0.0.2/")  # an allowed address allows only itself


def decode(body: bytes, content_encoding: str, limit: int = 1 << 20) -> bytes:
    decoder = BodyDecoder(content_encoding, limit)
    return b"".join(decoder.feed(body[i : i + 1000]) for i in range(0, len(body), 1000))


def test_bodies_are_decoded_in_the_order_their_encodings_were_applied() -> None:
    text = b"<urlset>" + b"<url><loc>http://a.test/</loc></url>" * 500 + b"</urlset>"
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    assert decode(text, "") == decode(text, "identity") == text
    assert decode(gzip.compress(text), "gzip") == decode(gzip.compress(text), "x-gzip") == text
    assert decode(gzip.compress(gzip.compress(text)), "gzip, gzip") == text
    assert decode(zlib.compress(text), "deflate") == text
    assert decode(raw_deflate.compress(text) + raw_deflate.flush(), "deflate") == text  # as IIS sends it
    assert decode(gzip.compress(zlib.compress(text)), "Deflate, GZIP") == text
    assert decode(gzip.compress(text[:100]) + gzip.compress(text[100:]), "gzip") == text  # two members


def test_decoding_stops_at_the_cap_however_deep_the_bomb() -> None:
    for layers in (1, 2, 3):
        decoder = BodyDecoder(", ".join(["gzip"] * layers), 1 << 20)
        bomb = gzip_bomb(16 << 20, layers)
        produced = 0
        with pytest.raises(TooLarge, match="once decoded"):
            for start in range(0, len(bomb), 512):
                produced += len(decoder.feed(bomb[start : start + 512]))
        assert produced <= 1 << 20


def test_unknown_too_many_or_corrupt_encodings_are_refused_clearly() -> None:
    with pytest.raises(FetchRefused, match="unsupported Content-Encoding br"):
        BodyDecoder("br", 100)
    with pytest.raises(FetchRefused, match="more than 3 content encodings"):
        BodyDecoder("gzip, gzip, gzip, gzip", 100)
    with pytest.raises(FetchRefused, match="corrupt gzip"):
        decode(b"\x1f\x8b\x08\x00not gzip at all", "gzip")


def test_a_body_cut_at_the_cap_keeps_exactly_the_bytes_up_to_it() -> None:
    text = bytes(range(256)) * 64
    for encoding, body in (
        ("", text),
        ("gzip", gzip.compress(text)),
        ("gzip, gzip", gzip.compress(gzip.compress(text))),
    ):
        decoder = BodyDecoder(encoding, 5000)
        with pytest.raises(TooLarge) as caught:
            decoder.feed(body)
        assert caught.value.decoded == text[:5000]
