"""Feed-first polling rules (services/crawler/domain/freshness.py): pure, no I/O."""

from __future__ import annotations

import pytest

from services.crawler.domain.freshness import (
    PollPolicy,
    feed_items,
    is_poll_target,
    newest_sitemap,
    poll_items,
    sitemap_entries,
    to_revisit,
)

BASE = "https://hddtvn.com/"


@pytest.mark.parametrize(
    ("url", "polled"),
    [
        ("https://hddtvn.com/", True),
        ("https://hddtvn.com/feed/", True),
        ("https://hddtvn.com/feed/atom/", True),
        ("https://hddtvn.com/rss.xml", True),
        ("https://hddtvn.com/wp-sitemap.xml", True),
        ("https://hddtvn.com/sitemap_index.xml", True),
        ("https://hddtvn.com/category/hai-quan/feed/", False),
        ("https://hddtvn.com/comments/feed/", False),
        ("https://hddtvn.com/some-post/feed/", False),
        ("https://hddtvn.com/wp-sitemap-posts-post-1.xml", False),  # made a target by its index
        ("https://hddtvn.com/?s=x", False),
        ("https://hddtvn.com/some-post/", False),
        ("https://hddtvn.com/page/2/", False),
    ],
)
def test_poll_targets_by_address(url: str, polled: bool) -> None:
    assert is_poll_target(url) is polled


def test_newest_posts_sitemap_is_the_highest_numbered() -> None:
    children = [
        "https://x/wp-sitemap-posts-post-1.xml",
        "https://x/wp-sitemap-posts-post-10.xml",
        "https://x/wp-sitemap-posts-post-2.xml",
        "https://x/wp-sitemap-posts-page-1.xml",
        "https://x/wp-sitemap-taxonomies-category-1.xml",
    ]
    assert newest_sitemap(children) == "https://x/wp-sitemap-posts-post-10.xml"
    assert newest_sitemap(["https://x/post-sitemap.xml", "https://x/post-sitemap2.xml"]).endswith("2.xml")  # type: ignore[union-attr]
    assert newest_sitemap(["https://x/page-sitemap.xml"]) is None


RSS = """<?xml version="1.0"?><rss><channel><link>https://hddtvn.com</link>
<item><title>A</title><link>https://hddtvn.com/a/</link>
<content:encoded><![CDATA[<p>7,579 tỷ USD</p>]]></content:encoded></item>
<item><title>B</title><link><![CDATA[https://hddtvn.com/b/?utm_source=rss]]></link><description>b</description></item>
</channel></rss>"""


def test_feed_items_fingerprint_each_item_with_canonical_links() -> None:
    items = feed_items(RSS, BASE)
    assert list(items) == ["https://hddtvn.com/a/", "https://hddtvn.com/b/"]
    edited = feed_items(RSS.replace("7,579", "7,975"), BASE)
    assert edited["https://hddtvn.com/a/"] != items["https://hddtvn.com/a/"]
    assert edited["https://hddtvn.com/b/"] == items["https://hddtvn.com/b/"]


def test_atom_entries() -> None:
    atom = '<feed><entry><link rel="alternate" href="https://hddtvn.com/c/"/><title>C</title></entry></feed>'
    assert list(feed_items(atom, BASE)) == ["https://hddtvn.com/c/"]


def test_sitemap_entries_keep_lastmod() -> None:
    xml = (
        "<urlset><url><loc>https://hddtvn.com/a/</loc><lastmod>2021-01-01T00:00:00+00:00</lastmod></url>"
        "<url><loc>https://hddtvn.com/b/?x=1&amp;y=2</loc></url></urlset>"
    )
    assert sitemap_entries(xml, BASE) == {
        "https://hddtvn.com/a/": "2021-01-01T00:00:00+00:00",
        "https://hddtvn.com/b/?x=1&y=2": "",
    }
    index = "<sitemapindex><sitemap><loc>https://hddtvn.com/wp-sitemap-posts-post-1.xml</loc></sitemap></sitemapindex>"
    assert list(sitemap_entries(index, BASE)) == ["https://hddtvn.com/wp-sitemap-posts-post-1.xml"]


def test_listing_items_are_its_links() -> None:
    assert poll_items("listing", "<html/>", BASE, ["https://hddtvn.com/a/"]) == {"https://hddtvn.com/a/": ""}


def test_revisit_new_changed_and_vanished_items_not_unchanged_ones() -> None:
    before = {"a": "1", "b": "2", "gone": "3"}
    after = {"a": "1", "b": "changed", "new": "4"}
    assert to_revisit(before, after) == {"b", "gone", "new"}
    assert to_revisit(None, after) == set()  # a first look compares with nothing
    assert to_revisit(after, after) == set()


def test_poll_interval_adapts_between_minimum_and_maximum() -> None:
    policy = PollPolicy(min_seconds=60, max_seconds=300, slowdown=2)
    assert policy.next_interval(None, changed=False) == 60
    assert policy.next_interval(60, changed=False) == 120
    assert policy.next_interval(240, changed=False) == 300
    assert policy.next_interval(300, changed=False) == 300
    assert policy.next_interval(300, changed=True) == 60  # posts appeared: back to the minimum
    assert PollPolicy(min_seconds=1).tick == 0.2
    assert PollPolicy(min_seconds=60).tick == 6
    assert PollPolicy(min_seconds=600).tick == 10
