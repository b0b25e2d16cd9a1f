"""parse_article on hand-written pages (tests/fixtures/pages, made-up text): two themes, non-articles,
a malformed page, and the small rules (leads, dates, captions, whitespace)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from services.extractor.domain.article import MalformedPage
from services.extractor.domain.html_article import is_credit_line, norm_text, parse_article

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
ICT = timezone(timedelta(hours=7))


def page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def test_flatsome_like_post() -> None:
    a = parse_article(page("flatsome_post.html"), "https://bantin.example/hai-quan-binh-minh/")
    assert a is not None
    assert a.url == "https://bantin.example/hai-quan-binh-minh/"
    # The h1, not og:title with its " – BANTIN" suffix.
    assert a.title == "Hải quan Bình Minh thu ngân sách 9 tháng đạt 1.234,5 tỷ đồng"
    # The page's own +07:00 time, not the JSON-LD UTC one (which is the previous day).
    assert a.published == datetime(2020, 10, 3, 5, 12, 40, tzinfo=ICT)
    assert a.published is not None and a.published.utcoffset() == timedelta(hours=7)
    # The lead sits outside the content container.
    assert a.lead.startswith("(BANTIN) – Chín tháng đầu năm 2020")
    assert a.blocks == (
        "Theo Cục Hải quan Bình Minh, tính đến hết ngày 30/9/2020, số thu ngân sách của đơn vị đạt "
        "1.234,5 tỷ đồng, giảm 4,2% so với cùng kỳ năm 2019.",
        "Riêng trong tháng 9, đơn vị thu được 150,7 tỷ đồng; số tờ khai làm thủ tục đạt 12.345 tờ khai.",
        "Kim ngạch xuất nhập khẩu",
        "Tổng kim ngạch xuất nhập khẩu qua địa bàn đạt 2,35 tỷ USD, tăng 6,1%.",
        "Xuất khẩu đạt 1,2 tỷ USD;",
        "Nhập khẩu đạt 1,15 tỷ USD.",
        "Chỉ tiêu | 9 tháng 2020",
        "Số vụ vi phạm | 56",
        "Minh Hà",
    )


def test_flatsome_like_post_leaves_out_page_furniture() -> None:
    a = parse_article(page("flatsome_post.html"), "https://bantin.example/x/")
    assert a is not None
    text = " ".join(a.text_blocks)
    for noise in (
        "Hàng hóa làm thủ tục",  # figcaption
        "Quang Hùng",  # photo credit line
        "bình chọn",  # rating widget
        "Chia sẻ",  # share bar
        "999 tỷ",  # related posts
        "77 vụ",
        "1.500 tỷ",  # comment
        "45 tỷ USD",  # sidebar "Bài viết mới"
        "8.000 bài",  # sidebar text widget
        "800 tỷ",  # prev/next
        "15 năm",  # author box
        "Hotline",  # header
        "Đăng nhập",  # footer
        "window",  # scripts
    ):
        assert noise not in text, noise
    assert "\u200b" not in text and "\xa0" not in text


def test_other_theme_post() -> None:
    # No og/JSON-LD/<article>/<time>, other class names, the lead as a bold first paragraph,
    # the date only as visible text, a "today" date in the top bar and a related-links box in the body.
    a = parse_article(page("other_theme_post.html"), "https://tincuakhau.example/tin-5")
    assert a is not None
    assert a.title == "Chi cục Hải quan Sông Xanh phát hiện 14 vụ vi phạm"
    # The page gives no offset: a Vietnamese site's local time (UTC+7) is assumed.
    assert a.published == datetime(2020, 10, 12, 9, 15, tzinfo=timezone(timedelta(hours=7)))
    assert a.lead.startswith("Trong tháng 9/2020, Chi cục Hải quan Sông Xanh đã phát hiện")
    assert a.blocks[0].startswith("Theo lãnh đạo Chi cục")
    assert (
        "Lũy kế 9 tháng, đơn vị đã xử phạt vi phạm hành chính 40 vụ, thu nộp ngân sách 1,8 tỷ đồng."
        in a.blocks
    )
    assert "Tăng cường kiểm soát" in a.blocks
    assert a.blocks[-1].startswith("Đơn vị sẽ tiếp tục phối hợp")
    text = " ".join(a.text_blocks)
    for noise in ("200 kg", "35 tỷ", "Tin liên quan", "5 triệu tấn", "300 nghìn tỷ", "123/GP", "Thích 12"):
        assert noise not in text, noise


@pytest.mark.parametrize("name", ["listing.html", "listing_plain.html", "not_found.html"])
def test_non_articles_give_none(name: str) -> None:
    assert parse_article(page(name), "https://bantin.example/whatever/") is None


@pytest.mark.parametrize(
    "doc",
    [
        "",
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title></channel></rss>',
        '<?xml version="1.0" encoding="UTF-8"?><urlset><url><loc>https://x/a/</loc></url></urlset>',
        "<html><head><title>Đăng nhập &lsaquo; BANTIN</title></head>"
        '<body class="login wp-core-ui"><form id="loginform"><p><label>Tên</label><input name="log"></p>'
        "</form></body></html>",
        '<html><head><meta property="og:type" content="website"><title>BANTIN</title></head>'
        '<body class="home blog"><article><h2>A</h2><p>Một đoạn tin ngắn về hải quan.</p></article>'
        "</body></html>",
    ],
)
def test_feeds_login_and_home_give_none(doc: str) -> None:
    assert parse_article(doc, "https://bantin.example/feed/") is None


def test_malformed_article_without_title_raises() -> None:
    with pytest.raises(MalformedPage):
        parse_article(page("malformed.html"), "https://bantin.example/broken/")


def test_malformed_article_without_text_raises() -> None:
    doc = (
        '<html><head><meta property="og:type" content="article"><title>Tiêu đề – BANTIN</title></head>'
        '<body class="single single-post"><article><h1>Tiêu đề</h1><div class="entry-content">'
        "<figure><img src='x.jpg' alt=''></figure></div></article></body></html>"
    )
    with pytest.raises(MalformedPage):
        parse_article(doc, "https://bantin.example/empty/")


def _post(lead_html: str, body_html: str, description: str = "") -> str:
    meta = f'<meta name="description" content="{description}">' if description else ""
    return (
        '<html><head><meta property="og:type" content="article"><meta property="og:site_name" content="S">'
        f"<title>Tiêu đề bài – S</title>{meta}"
        '<meta property="article:published_time" content="2020-05-01T08:00:00+07:00"></head>'
        '<body class="single single-post"><article><header><h1>Tiêu đề bài</h1></header>'
        f'{lead_html}<div class="content">{body_html}</div></article></body></html>'
    )


def test_trimmed_lead_becomes_the_full_first_paragraph() -> None:
    first = "Năm 2020, đơn vị thu ngân sách đạt 3.210 tỷ đồng, tăng 8% so với năm 2019 và vượt dự toán."
    doc = _post(
        '<div class="summary"><p>Năm 2020, đơn vị thu ngân sách đạt 3.210 tỷ…</p></div>',
        f"<p>{first}</p><p>Đoạn thứ hai của bài viết có nội dung khác.</p>",
    )
    a = parse_article(doc, "u")
    assert a is not None
    assert a.lead == first
    assert a.blocks == ("Đoạn thứ hai của bài viết có nội dung khác.",)


def test_lead_repeated_at_body_start_is_not_duplicated() -> None:
    lead = "Đơn vị làm thủ tục cho 4.500 tờ khai trong quý 1, tăng 3% so với cùng kỳ năm trước."
    doc = _post(f'<div class="summary"><p>{lead}</p></div>', f"<p>{lead}</p><p>Đoạn sau của bài viết.</p>")
    a = parse_article(doc, "u")
    assert a is not None
    assert a.lead == lead
    assert a.blocks == ("Đoạn sau của bài viết.",)


def test_trimmed_lead_not_in_body_is_kept() -> None:
    lead = "Các mặt hàng chủ lực như thủy sản, gạo, cà phê…"
    body = "<p>Nội dung bài viết hoàn toàn khác phần sapo, với số liệu riêng.</p><p>Đoạn thứ hai của bài.</p>"
    doc = _post(f'<div class="summary"><p>{lead}</p></div>', body)
    a = parse_article(doc, "u")
    assert a is not None
    assert a.lead == lead
    assert a.blocks[0].startswith("Nội dung bài viết")


def test_meta_description_is_the_lead_when_nothing_is_shown() -> None:
    desc = "Sapo chỉ có trong thẻ meta của trang tin về hải quan."
    doc = _post("", "<p>Nội dung bài viết về số thu ngân sách năm 2020.</p>", description=desc)
    a = parse_article(doc, "u")
    assert a is not None
    assert a.lead == desc
    assert a.title == "Tiêu đề bài"
    assert a.published == datetime(2020, 5, 1, 8, 0, tzinfo=ICT)


def test_time_element_and_json_ld_fallbacks() -> None:
    base = (
        "<html><head>{ld}</head><body><article><h1>Tin hải quan</h1>{time}"
        "<div><p>Nội dung dài của bài viết về hải quan, đủ để làm thân bài, có nhiều chữ.</p>"
        "<p>Thêm một đoạn nữa để trang trông như một bài viết hoàn chỉnh với số liệu 12%.</p>"
        "<p>Và một đoạn thứ ba, vì một bài báo thật thường có nhiều đoạn văn nối tiếp nhau.</p>"
        "<p>Đoạn thứ tư kết thúc bài viết với một nhận định ngắn của phóng viên về tình hình.</p>"
        "</div></article></body></html>"
    )
    ld = (
        '<script type="application/ld+json">{"@type":"NewsArticle","headline":"Tin hải quan",'
        '"datePublished":"2020-03-04T01:00:00+00:00"}</script>'
    )
    with_time = base.format(ld=ld, time='<time datetime="2020-03-04T08:00:00+07:00">04/03/2020</time>')
    a = parse_article(with_time, "u")
    assert a is not None and a.published == datetime(2020, 3, 4, 8, 0, tzinfo=ICT)
    assert a.published.utcoffset() == timedelta(hours=7)
    only_ld = base.format(ld=ld, time="")
    b = parse_article(only_ld, "u")
    assert b is not None and b.published == datetime(2020, 3, 4, 1, 0, tzinfo=UTC)
    assert b.title == "Tin hải quan"


# A theme with no date metadata shows it as text, in its own words, between the title and the text.
_DATE_AS_TEXT = (
    "<html><head><title>Tin hải quan Bình Minh</title></head><body><main><h1>Tin hải quan Bình Minh</h1>"
    '<p class="meta">{shown}</p>'
    '<p class="sapo">Tóm tắt: đến ngày 05/01/2019 đơn vị đã hoàn tất việc sắp xếp lại các đội kiểm soát.</p>'
    "<div><p>Nội dung dài của bài viết về hải quan, đủ để làm thân bài, có nhiều chữ.</p>"
    "<p>Thêm một đoạn nữa để trang trông như một bài viết hoàn chỉnh với số liệu 12%.</p>"
    "<p>Và một đoạn thứ ba, vì một bài báo thật thường có nhiều đoạn văn nối tiếp nhau.</p>"
    "<p>Đoạn thứ tư kể thêm về công việc của các đội kiểm soát trong những tháng cuối năm.</p>"
    "<p>Đoạn cuối cùng kết thúc bài viết với một nhận định ngắn của phóng viên về tình hình.</p>"
    "</div></main></body></html>"
)


@pytest.mark.parametrize(
    ("shown", "published"),
    [
        ("Thứ năm, 03/12/2020 - 08:15", datetime(2020, 12, 3, 8, 15)),
        ("Cập nhật lúc 08:15, thứ năm, ngày 3 tháng 12 năm 2020", datetime(2020, 12, 3, 8, 15)),
        ("3 Tháng Mười Hai, 2020", datetime(2020, 12, 3)),
        ("Tháng Hai 14, 2021 lúc 9h05", datetime(2021, 2, 14, 9, 5)),
        ("Đăng ngày 7 tháng Ba năm 2019", datetime(2019, 3, 7)),
        ("December 3, 2020 at 8:15", datetime(2020, 12, 3, 8, 15)),
        ("December 3, 2020 at 8:15 pm", datetime(2020, 12, 3, 20, 15)),
        ("Posted on 3 Dec 2020", datetime(2020, 12, 3)),
        ("2020-12-03 08:15", datetime(2020, 12, 3, 8, 15)),
    ],
)
def test_a_date_shown_only_as_text_is_read_in_any_common_form(shown: str, published: datetime) -> None:
    a = parse_article(_DATE_AS_TEXT.format(shown=shown), "u")
    assert a is not None
    # The header's date, not the one inside the summary below it; a local time (UTC+7).
    assert a.published == published.replace(tzinfo=ICT)


def test_a_title_in_an_h2_is_not_the_lead_and_a_labelled_date_below_the_text_is_found() -> None:
    html = (
        '<html><head><title>Tin hải quan Bình Minh - Bản tin</title><meta property="og:site_name" '
        'content="Bản tin"></head><body><div class="single"><h2 class="title">Tin hải quan Bình Minh</h2>'
        '<div class="content"><p class="lead"><b>Tóm tắt: đơn vị đã hoàn tất việc sắp xếp lại các đội kiểm '
        "soát trong quý.</b></p>"
        "<p>Nội dung dài của bài viết về hải quan, đủ để làm thân bài, có nhiều chữ, ngày 05/01/2019.</p>"
        "<p>Thêm một đoạn nữa để trang trông như một bài viết hoàn chỉnh với số liệu 12%.</p>"
        "<p>Và một đoạn thứ ba, vì một bài báo thật thường có nhiều đoạn văn nối tiếp nhau.</p>"
        "<p>Đoạn thứ tư kể thêm về công việc của các đội kiểm soát trong những tháng cuối năm.</p>"
        '</div><div class="post-footer">Ngày đăng: 14/02/2021</div></div></body></html>'
    )
    a = parse_article(html, "u")
    assert a is not None
    assert a.title == "Tin hải quan Bình Minh"
    assert a.lead.startswith("Tóm tắt: đơn vị")
    # The labelled date, not the first date of the text.
    assert a.published == datetime(2021, 2, 14, tzinfo=ICT)


_ARTICLE_THEN = (
    "<html><head><title>Tin hải quan Bình Minh</title></head><body><article><h1>Tin hải quan Bình Minh</h1>"
    "<div><p>Nội dung dài của bài viết về hải quan, đủ để làm thân bài, có nhiều chữ và số liệu.</p>"
    "<p>Thêm một đoạn nữa để trang trông như một bài viết hoàn chỉnh với số liệu 12%.</p>"
    "<p>Và một đoạn thứ ba, vì một bài báo thật thường có nhiều đoạn văn nối tiếp nhau.</p>"
    "<p>Đoạn thứ tư kể thêm về công việc của các đội kiểm soát trong những tháng cuối năm.</p>"
    "</div></article>{after}</body></html>"
)


def test_a_labelled_date_outside_the_article_counts_only_when_it_is_the_pages_only_one() -> None:
    footer = parse_article(_ARTICLE_THEN.format(after="<div>Ngày đăng: 14/02/2021</div>"), "u")
    assert footer is not None and footer.published == datetime(2021, 2, 14, tzinfo=ICT)
    sidebar = (
        "<aside><ul><li><a href='/a/'>Một tin khác</a> Đăng ngày 01/03/2021</li>"
        "<li><a href='/b/'>Tin khác nữa</a> Đăng ngày 02/03/2021</li></ul></aside>"
    )
    other_posts = parse_article(_ARTICLE_THEN.format(after=sidebar), "u")
    assert other_posts is not None and other_posts.published is None  # other posts' dates: none is ours


def test_norm_text_and_credit_lines() -> None:
    assert norm_text(" a\xa0b\u200bc\u00a0 \n d\ufeff ") == "a bc d"
    decomposed = "Ha\u0309i quan"  # "Hải" written with a combining hook: NFC joins it
    assert norm_text(decomposed) == "Hải quan"
    assert is_credit_line("Ảnh: T.H")
    assert is_credit_line("Nguồn: Tổng cục Hải quan")
    assert not is_credit_line("Ảnh hưởng của dịch bệnh khiến kim ngạch giảm 5%.")
