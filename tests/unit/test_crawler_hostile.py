"""Hostile input against the crawler's pure code: charsets, nesting, compression, addresses, batches."""

from __future__ import annotations

import gzip
import ipaddress
import time
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.db import is_rejected_data
from services.crawler.domain.addresses import is_public_address, may_connect
from services.crawler.domain.encoding import BodyDecoder, EncodingRefusedError, parse_content_encoding
from services.crawler.domain.isolation import write_isolating
from services.crawler.domain.page import PageRefusedError, analyse
from services.crawler.domain.parse import decode_body, html_depth, sniff_charset
from services.crawler.domain.scope import Scope
from services.crawler.domain.urls import canonicalize

BASE = "https://hddtvn.com/a/"


@pytest.mark.parametrize("codec", ["idna", "punycode", "undefined", "unicode_escape", "rot13", "zlib"])
def test_a_meta_charset_naming_a_non_text_codec_falls_back_to_utf8(codec: str) -> None:
    # idna and undefined raise UnicodeError (not LookupError) when decoding: the host worker died on them.
    body = f'<html><head><meta charset="{codec}"></head><body><a href="/x/">x</a> Hải quan</body></html>'
    raw = body.encode()
    assert sniff_charset("text/html", raw) == "utf-8"
    assert sniff_charset(f"text/html; charset={codec}", raw) == "utf-8"
    a = analyse(BASE, BASE, f"text/html; charset={codec}", raw)
    assert a.charset == "utf-8" and "Hải quan" in a.text
    assert a.links == ["https://hddtvn.com/x/"]


def test_decoding_never_raises_on_a_codec_that_cannot_decode() -> None:
    assert decode_body(b"abc." * 100, "idna") == "abc." * 100
    assert decode_body(b"abc", "undefined") == "abc"
    assert decode_body(b"abc", "no-such-codec") == "abc"


def test_deeply_nested_html_is_refused_before_parsing() -> None:
    page = ("<html><body>" + "<div>" * 100_000 + '<a href="/x/">x</a>').encode()
    started = time.monotonic()
    with pytest.raises(PageRefusedError, match="nested deeper"):
        analyse(BASE, BASE, "text/html", page, max_html_depth=1_000)
    assert time.monotonic() - started < 2.0  # parsing it took ~30 s


def test_depth_estimate_ignores_void_optional_end_and_self_closing_tags() -> None:
    flat = "<ul>" + "<li><p>x<br><img src=a><svg><path d='M0'/></svg>" * 5_000 + "</ul>"
    assert html_depth(flat, 1_000) <= 3
    assert html_depth("<b>" * 50 + "</b>" * 50, 1_000) == 50
    assert html_depth("<div>" * 5_000, 1_000) == 1_001  # stops counting past the limit


def test_links_far_over_the_url_budget_are_not_processed() -> None:
    page = f'<html><body><a href="/{"a" * 70_000}">x</a><a href="/ok/">y</a></body></html>'.encode()
    a = analyse(BASE, BASE, "text/html", page, max_url_bytes=2_048)
    assert a.links == ["https://hddtvn.com/ok/"] and a.long_links == 1


@pytest.mark.parametrize(
    ("header", "coding"),
    [
        (None, None),
        ("", None),
        ("identity", None),
        ("gzip", "gzip"),
        ("X-Gzip", "x-gzip"),
        ("deflate", "deflate"),
    ],
)
def test_single_known_content_encodings_are_accepted(header: str | None, coding: str | None) -> None:
    assert parse_content_encoding(header) == coding


@pytest.mark.parametrize("header", ["gzip, gzip", "gzip,deflate", "br", "zstd", "compress"])
def test_stacked_or_unrequested_content_encodings_are_refused(header: str) -> None:
    with pytest.raises(EncodingRefusedError):
        parse_content_encoding(header)


def test_a_decompression_bomb_stops_at_the_limit() -> None:
    bomb = gzip.compress(b"\0" * (256 * 1024 * 1024), compresslevel=9)  # ~250 kB on the wire
    limit = 4 * 1024 * 1024
    decoder = BodyDecoder("gzip", limit)
    out = 0
    for i in range(0, len(bomb), 16_384):
        out += len(decoder.feed(bomb[i : i + 16_384]))
        if decoder.over_limit:
            break
    assert decoder.over_limit and out == limit + 1


@pytest.mark.parametrize(
    ("coding", "blob"),
    [
        ("gzip", gzip.compress(b"<html>ok</html>" * 100)),
        ("deflate", zlib.compress(b"<html>ok</html>" * 100)),
        ("deflate", zlib.compress(b"<html>ok</html>" * 100)[2:-4]),  # raw deflate, as some servers send
        (None, b"<html>ok</html>" * 100),
    ],
)
def test_bodies_decode_whole_under_the_limit(coding: str | None, blob: bytes) -> None:
    decoder = BodyDecoder(coding, 10_000)
    out = b"".join(decoder.feed(blob[i : i + 100]) for i in range(0, len(blob), 100)) + decoder.finish()
    assert out == b"<html>ok</html>" * 100 and not decoder.over_limit


def test_a_corrupt_compressed_body_is_refused() -> None:
    with pytest.raises(EncodingRefusedError):
        BodyDecoder("gzip", 1000).feed(b"\x1f\x8b\x08\x00garbage-garbage")


@pytest.mark.parametrize(
    "address",
    [
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
        "2002:a00:1::",  # 6to4 of 10.0.0.1
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    ],
)
def test_ipv6_transition_addresses_embedding_private_ipv4_are_private(address: str) -> None:
    assert not is_public_address(address)
    assert not may_connect("evil.example", address, frozenset())


def test_6to4_of_a_public_address_stays_public() -> None:
    assert is_public_address("2002:808:808::1")  # 8.8.8.8


def test_data_errors_are_sqlstate_classes_22_23_54() -> None:
    assert is_rejected_data("22001") and is_rejected_data("23505") and is_rejected_data("54000")
    assert not is_rejected_data("40001") and not is_rejected_data("08006") and not is_rejected_data(None)


class Rejected(Exception):
    pass


def test_a_failing_batch_is_split_until_the_bad_items_are_alone() -> None:
    written: list[list[int]] = []

    def write(chunk: object) -> None:
        items = list(chunk)  # type: ignore[call-overload]
        if 13 in items or 40 in items:
            raise Rejected("index row too big")
        written.append(items)

    def reason(exc: Exception) -> str | None:
        return str(exc) if isinstance(exc, Rejected) else None

    rejected = write_isolating(list(range(50)), write, reason)
    assert rejected == [(13, "index row too big"), (40, "index row too big")]
    flat = [i for chunk in written for i in chunk]
    assert flat == [i for i in range(50) if i not in (13, 40)]  # the rest, in order, each once


def test_other_errors_are_not_treated_as_rejected_data() -> None:
    def write(chunk: object) -> None:
        raise ConnectionError("database down")

    with pytest.raises(ConnectionError):
        write_isolating([1, 2, 3], write, lambda exc: None)


# -- fuzzing: whatever a page, a link or a body holds, the pure code answers or refuses, never crashes

_TAGS = st.sampled_from(
    ["<div>", "</div>", "<a href='", "'>", "</a>", "<meta charset=", "<base href=", "<b>", "<"]
)
_HTML = st.lists(st.one_of(_TAGS, st.text(max_size=20)), max_size=60).map("".join)
_CHARSETS = st.sampled_from(
    ["utf-8", "idna", "punycode", "undefined", "utf-16", "cp1258", "x-bogus", "", "utf-7"]
)


@settings(max_examples=200, deadline=None)
@given(html=_HTML, charset=_CHARSETS, raw=st.binary(max_size=200))
def test_analyse_never_crashes(html: str, charset: str, raw: bytes) -> None:
    for body in (html.encode("utf-8", "surrogatepass"), raw, f'<meta charset="{charset}">'.encode() + raw):
        for ctype in ("text/html", f"text/html; charset={charset}", "application/xml", None):
            try:
                a = analyse(BASE, BASE, ctype, body, max_html_depth=20)
            except PageRefusedError:
                continue
            assert all(link.startswith(("http://", "https://")) for link in a.links)
            a.text.encode(a.charset, "replace")  # the charset on the event can re-encode the text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_urls_never_crash_canonicalisation_or_scope(href: str) -> None:
    scope = Scope.for_seeds([BASE])
    for candidate in (href, "https://hddtvn.com/" + href):
        c = canonicalize(candidate, BASE)
        if c is not None:
            assert scope.check(c).pattern is not None


@settings(max_examples=200, deadline=None)
@given(coding=st.sampled_from([None, "gzip", "deflate"]), blob=st.binary(max_size=500))
def test_bodies_decode_or_are_refused(coding: str | None, blob: bytes) -> None:
    decoder = BodyDecoder(coding, 100)
    try:
        out = decoder.feed(blob) + decoder.finish()
    except EncodingRefusedError:
        return
    assert len(out) <= 101


@settings(max_examples=200, deadline=None)
@given(v4=st.integers(0, 2**32 - 1), tail=st.integers(0, 2**80 - 1))
def test_6to4_is_as_private_as_the_ipv4_it_embeds(v4: int, tail: int) -> None:
    six = ipaddress.IPv6Address((0x2002 << 112) | (v4 << 80) | tail)
    if not is_public_address(str(ipaddress.IPv4Address(v4))):
        assert not is_public_address(str(six))
