"""URL canonicalisation and scope rules of the crawler (pure functions)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.crawler.domain.scope import Scope, Verdict, guess_role, priority, url_pattern
from services.crawler.domain.urls import canonicalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://HDDTVN.com:80/a/", "http://hddtvn.com/a/"),
        ("https://hddtvn.com:443", "https://hddtvn.com/"),
        ("https://hddtvn.com:8443/x", "https://hddtvn.com:8443/x"),
        ("https://hddtvn.com/a/#respond", "https://hddtvn.com/a/"),
        ("https://hddtvn.com/a/?replytocom=12#respond", "https://hddtvn.com/a/"),
        ("https://hddtvn.com/a/?utm_source=fb&utm_medium=x&b=2&a=1", "https://hddtvn.com/a/?a=1&b=2"),
        ("https://hddtvn.com/a/?share=facebook&amp=1&print=1&fbclid=z", "https://hddtvn.com/a/"),
        ("https://hddtvn.com/%E2%80%8Bslug/", "https://hddtvn.com/%e2%80%8bslug/"),
        ("https://hddtvn.com/%e2%80%8bslug/", "https://hddtvn.com/%e2%80%8bslug/"),
        ("https://hddtvn.com/\u200bslug/", "https://hddtvn.com/%e2%80%8bslug/"),
        ("https://hddtvn.com/%7Euser/%41b", "https://hddtvn.com/~user/Ab"),
        ("https://hddtvn.com/a b/", "https://hddtvn.com/a%20b/"),
        ("https://hddtvn.com/a/./b/../c/", "https://hddtvn.com/a/c/"),
        ("https://hddtvn.com/100%/", "https://hddtvn.com/100%25/"),
        ("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://user:pw@hddtvn.com/", "https://hddtvn.com/"),
        ("mailto:a@b.c", None),
        ("javascript:void(0)", None),
        ("ftp://hddtvn.com/", None),
        ("#top", None),
        ("", None),
    ],
)
def test_canonicalize(raw: str, expected: str | None) -> None:
    assert canonicalize(raw) == expected


def test_relative_links_resolve_against_the_page() -> None:
    base = "http://127.0.0.1:8000/category/thue/page/2/"
    assert canonicalize("../3/", base) == "http://127.0.0.1:8000/category/thue/page/3/"
    assert canonicalize("/tag/x/", base) == "http://127.0.0.1:8000/tag/x/"
    assert canonicalize("//127.0.0.1:8000/a", base) == "http://127.0.0.1:8000/a"


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_canonicalize_is_idempotent(path: str) -> None:
    once = canonicalize("https://hddtvn.com/" + path)
    if once is not None:
        assert canonicalize(once) == once


SCOPE = Scope.for_seeds(["https://hddtvn.com/"])


@pytest.mark.parametrize(
    ("url", "ok", "pattern"),
    [
        ("https://hddtvn.com/some-post/", True, ""),
        ("https://www.hddtvn.com/some-post/", True, ""),
        ("https://facebook.com/sharer.php?u=x", False, "offsite"),
        ("https://hddtvn.com.evil.net/", False, "offsite"),
        ("https://hddtvn.com/wp-login.php", False, "admin"),
        ("https://hddtvn.com/wp-admin/", False, "admin"),
        ("https://hddtvn.com/wp-json/wp/v2/posts/100", False, "api"),
        ("https://hddtvn.com/xmlrpc.php?rsd", False, "admin"),
        ("https://hddtvn.com/wp-content/uploads/a.jpg", False, "asset"),
        ("https://hddtvn.com/?s=thue", False, "search"),
        ("https://hddtvn.com/?p=100", False, "shortlink"),
        ("https://hddtvn.com/some-post/feed/", False, "comment_feed"),
        ("https://hddtvn.com/comments/feed/", False, "comment_feed"),
        ("https://hddtvn.com/feed/", True, ""),
        ("https://hddtvn.com/category/thue/feed/", True, "category"),
        ("https://hddtvn.com/2021/01/05/", False, "archive_day"),
        ("https://hddtvn.com/2021/01/05/page/3/", False, "archive_day"),
        ("https://hddtvn.com/2021/01/", True, "archive_month"),
        ("https://hddtvn.com/page/820/", True, "pagination"),
        ("https://hddtvn.com/page/999999/", False, "pagination"),
        ("https://hddtvn.com/tag/thue/page/2/", True, "pagination"),
        ("https://hddtvn.com/tag/thue/", True, "tag"),
        ("https://hddtvn.com/files/report.pdf", False, "asset"),
    ],
)
def test_scope(url: str, ok: bool, pattern: str) -> None:
    v = SCOPE.check(url)
    assert (v.ok, v.pattern) == (ok, pattern)


def test_explicit_hosts_join_the_allowlist() -> None:
    scope = Scope.for_seeds(["http://127.0.0.1:8000/"], ["Example.org", "intranet.example:8080"])
    assert scope.host_allowed("http://example.org/x")
    assert scope.host_allowed("https://example.org/x")
    assert scope.host_allowed("https://intranet.example:8080/x")
    assert not scope.host_allowed("http://localhost:8000/")


def test_scope_is_scheme_host_and_port() -> None:
    # --allow-host 127.0.0.1 used to put the local Kafka, PostgreSQL and metrics ports in scope.
    scope = Scope.for_seeds(["http://127.0.0.1:8000/"], ["127.0.0.1"])
    assert scope.host_allowed("http://127.0.0.1:8000/a")
    for url in ("http://127.0.0.1:29092/", "http://127.0.0.1:55432/", "http://127.0.0.1:9101/metrics"):
        assert not scope.host_allowed(url), url
        assert scope.check(url).pattern == "offsite"
    assert not scope.host_allowed("https://127.0.0.1:8000/")  # another scheme on a non-default port
    web = Scope.for_seeds(["https://hddtvn.com/"])
    assert web.host_allowed("http://hddtvn.com/a/")  # http <-> https on the default ports
    assert not web.host_allowed("https://hddtvn.com:8443/a/")
    only_https = Scope.for_seeds(["https://a.example/"], ["https://b.example:8443"])
    assert only_https.host_allowed("https://b.example:8443/")
    assert not only_https.host_allowed("http://b.example:8443/")
    assert only_https.allowed_hosts >= {"a.example", "www.a.example", "b.example"}


def test_long_urls_and_repeated_segments_are_refused() -> None:
    long_url = "https://hddtvn.com/" + "a" * 3000
    assert SCOPE.check(long_url) == Verdict(False, "url_too_long", "URL over 2048 bytes")
    assert SCOPE.check("https://hddtvn.com/x/x/x/").pattern == "repeated_path"
    assert SCOPE.check("https://hddtvn.com/a/b/a/b/a/b/").pattern == "repeated_path"
    assert SCOPE.check("https://hddtvn.com/a/b/a/b/").ok
    assert SCOPE.check("https://hddtvn.com/2021/01/01/").pattern == "archive_day"  # not a repetition trap


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://h.com/a;jsessionid=0AB12?x=1", "https://h.com/a?x=1"),
        ("https://h.com/a;JSESSIONID=0AB12/b/", "https://h.com/a/b/"),
        ("https://h.com/a/?PHPSESSID=abc&x=1", "https://h.com/a/?x=1"),
        ("https://h.com/a/?sid=1&sessionid=2&session_id=3&id=4", "https://h.com/a/?id=4"),
    ],
)
def test_session_parameters_are_dropped(raw: str, expected: str) -> None:
    assert canonicalize(raw) == expected


def test_roles_and_priorities() -> None:
    assert guess_role("https://hddtvn.com/robots.txt") == "robots"
    assert guess_role("https://hddtvn.com/wp-sitemap-posts-post-1.xml") == "sitemap"
    assert guess_role("https://hddtvn.com/sitemap_index.xml") == "sitemap"
    assert guess_role("https://hddtvn.com/post-sitemap.xml") == "sitemap"
    assert guess_role("https://hddtvn.com/feed/") == "feed"
    assert guess_role("https://hddtvn.com/") == "listing"
    assert guess_role("https://hddtvn.com/category/thue/") == "listing"
    assert guess_role("https://hddtvn.com/a-post/") == "article"
    order = [
        "https://hddtvn.com/wp-sitemap.xml",
        "https://hddtvn.com/feed/",
        "https://hddtvn.com/a-post/",
        "https://hddtvn.com/",
        "https://hddtvn.com/page/5/",
    ]
    assert sorted(order, key=priority) == order
    assert url_pattern("/2020/12/", "") == "archive_month"
