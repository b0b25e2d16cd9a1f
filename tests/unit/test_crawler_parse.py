"""Parsing fetched documents: HTML links/canonical/robots meta, sitemaps, feeds, robots.txt, charsets."""

from __future__ import annotations

from services.crawler.domain.page import analyse
from services.crawler.domain.parse import (
    RobotsRules,
    is_kept_type,
    parse_feed,
    parse_html,
    parse_sitemap,
    sniff_charset,
    xml_root,
)

POST = """<!DOCTYPE html><html lang="vi"><head>
<meta charset="UTF-8" />
<link rel="canonical" href="https://hddtvn.com/a-post/" />
<link rel="alternate" type="application/rss+xml" href="https://hddtvn.com/feed/" />
<link rel="alternate" type="application/json" href="https://hddtvn.com/wp-json/wp/v2/posts/1" />
<link rel="stylesheet" href="https://hddtvn.com/wp-content/x.css" />
<meta property="og:type" content="article" />
</head><body class="post-template-default single single-post postid-1">
<a href="/tag/thue/">t</a> <a href="https://hddtvn.com/a-post/#respond">r</a>
<a href="https://hddtvn.com/a-post/?replytocom=5#respond">reply</a>
<a rel="nofollow ugc" href="https://spam.example/">spam</a>
<a href="mailto:x@y.z">mail</a>
</body></html>"""


def test_parse_html_links_canonical_article() -> None:
    info = parse_html(POST)
    assert info.is_article
    assert info.canonical == "https://hddtvn.com/a-post/"
    assert "https://hddtvn.com/feed/" in info.links
    assert "https://hddtvn.com/wp-json/wp/v2/posts/1" not in info.links
    assert "https://hddtvn.com/wp-content/x.css" not in info.links
    assert "https://spam.example/" not in info.links


def test_analyse_canonicalises_and_dedups_links() -> None:
    a = analyse(
        "https://hddtvn.com/a-post/", "https://hddtvn.com/a-post/", "text/html; charset=UTF-8", POST.encode()
    )
    assert a.role == "article"
    assert a.canonical is None  # canonical names the page itself
    assert a.links.count("https://hddtvn.com/a-post/") == 1
    assert "https://hddtvn.com/tag/thue/" in a.links
    assert all(not link.startswith("mailto:") for link in a.links)


def test_analyse_reports_a_foreign_canonical_and_noindex() -> None:
    html = POST.replace("<head>", "<head><meta name='robots' content='noindex, follow' />")
    a = analyse("https://hddtvn.com/b-post/", "https://hddtvn.com/b-post/", "text/html", html.encode())
    assert a.canonical == "https://hddtvn.com/a-post/"
    assert a.noindex


def test_listing_and_static_page_roles() -> None:
    listing = '<html><head><meta property="og:type" content="website"></head><body class="home blog paged">'
    page = '<html><body class="page-template-default page page-id-2">'
    assert analyse("http://h/", "http://h/", "text/html", listing.encode()).role == "listing"
    assert analyse("http://h/x/", "http://h/x/", "text/html", page.encode()).role == "other"


def test_sitemaps_and_feeds() -> None:
    index = (
        '<?xml version="1.0"?><?xml-stylesheet href="x.xsl"?><sitemapindex xmlns="http://www.sitemaps.org/'
        'schemas/sitemap/0.9"><sitemap><loc>https://hddtvn.com/wp-sitemap-posts-post-1.xml</loc></sitemap>'
        "</sitemapindex>"
    )
    assert xml_root(index) == "sitemapindex"
    assert parse_sitemap(index) == ["https://hddtvn.com/wp-sitemap-posts-post-1.xml"]
    urlset = "<urlset><url><loc> <![CDATA[https://hddtvn.com/a/?x=1&amp;y=2]]> </loc></url></urlset>"
    assert parse_sitemap(urlset) == ["https://hddtvn.com/a/?x=1&y=2"]
    rss = (
        '<?xml version="1.0"?><rss version="2.0"><channel><link>https://hddtvn.com</link>'
        '<atom:link href="https://hddtvn.com/feed/" rel="self" /><item><link>https://hddtvn.com/a/</link>'
        "</item></channel></rss>"
    )
    assert xml_root(rss) == "rss"
    assert parse_feed(rss) == ["https://hddtvn.com", "https://hddtvn.com/a/"]
    atom = '<feed xmlns="http://www.w3.org/2005/Atom"><entry><link rel="alternate" href="https://h/b/"/></entry></feed>'
    assert parse_feed(atom) == ["https://h/b/"]
    a = analyse(
        "https://hddtvn.com/wp-sitemap.xml",
        "https://hddtvn.com/wp-sitemap.xml",
        "application/xml",
        index.encode(),
    )
    assert a.role == "sitemap" and a.links == ["https://hddtvn.com/wp-sitemap-posts-post-1.xml"]


def test_charset() -> None:
    assert sniff_charset("text/html; charset=windows-1258", b"") == "windows-1258"
    assert sniff_charset("text/html", b'<meta charset="iso-8859-1">') == "iso-8859-1"
    assert sniff_charset(None, b'<?xml version="1.0" encoding="UTF-16"?>') == "utf-16"
    assert sniff_charset("text/html; charset=bogus", b"") == "utf-8"
    assert sniff_charset(None, b"<html>") == "utf-8"
    body = "<html><body class='single-post'>Hà Đông</body></html>".encode("cp1258")
    a = analyse("http://h/x/", "http://h/x/", "text/html; charset=windows-1258", body)
    assert "Hà Đông" in a.text


def test_kept_types() -> None:
    assert is_kept_type("text/html; charset=UTF-8")
    assert is_kept_type("application/rss+xml")
    assert is_kept_type("application/xml")
    assert not is_kept_type("application/json")
    assert not is_kept_type("image/png")
    assert is_kept_type("text/plain", robots=True)


def test_robots_rules() -> None:
    text = "User-agent: *\nDisallow: /wp-admin/\nDisallow: /?s=\nCrawl-delay: 2\n\nSitemap: https://h/wp-sitemap.xml\n"
    rules = RobotsRules.parse(text)
    ua = "hqfacts-crawler/0.1"
    assert rules.sitemaps == ("https://h/wp-sitemap.xml",)
    assert not rules.allowed("https://h/?s=x", ua)
    assert not rules.allowed("https://h/wp-admin/x", ua)
    assert rules.allowed("https://h/a-post/", ua)
    assert rules.crawl_delay(ua) == 2.0
    own = RobotsRules.parse("User-agent: hqfacts-crawler\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
    assert not own.allowed("https://h/a/", ua)
    assert RobotsRules.allow_all().allowed("https://h/anything", ua)
