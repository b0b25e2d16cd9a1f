"""Extraction rules on small made-up sentences (numbers and units invented for the tests)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from services.common.facts import Fact
from services.extractor.domain.article import Article
from services.extractor.domain.facts import extract_facts


def article(*blocks: str, title: str = "Tin tức hải quan", lead: str = "") -> Article:
    return Article(
        url="https://example.test/a/",
        title=title,
        published=datetime(2020, 11, 20, 9, 0, tzinfo=UTC),
        lead=lead,
        blocks=blocks,
    )


def find(facts: list[Fact], metric: str, kind: str = "actual") -> list[Fact]:
    return [f for f in facts if f.metric == metric and f.kind == kind]


def test_actual_attainment_and_bracketed_target_from_one_sentence() -> None:
    facts = extract_facts(
        article(
            "Năm 2019, Cục Hải quan Hà Giang đã thu đạt 1.234,5 tỷ đồng, bằng 110% dự toán (1.122 tỷ đồng) "
            "và tăng 7,5% so với cùng kỳ năm 2018."
        )
    )
    (actual,) = find(facts, "budget_revenue")
    assert actual.subject == "cuc:ha-giang"
    assert actual.value == Decimal("1234500000000")
    assert (actual.period_start, actual.period_end) == (date(2019, 1, 1), date(2019, 12, 31))
    (attainment,) = find(facts, "budget_revenue_attainment")
    assert attainment.value == Decimal(110)
    assert attainment.target_type == "du-toan"
    (target,) = find(facts, "budget_revenue", "target")
    assert target.value == Decimal("1122000000000")
    assert target.target_type == "du-toan"
    (change,) = find(facts, "budget_revenue_change")
    assert change.value == Decimal("7.5")


def test_exceeding_a_target_and_who_set_it() -> None:
    facts = extract_facts(
        article(
            "Đến hết 20/9, Hải quan Nghệ An thu nộp ngân sách đạt 2.100 tỷ đồng, vượt 4,2% chỉ tiêu "
            "Bộ Tài chính giao (2.015 tỷ đồng), giảm 3,1% so với cùng kỳ năm trước."
        )
    )
    (attainment,) = find(facts, "budget_revenue_attainment")
    assert attainment.value == Decimal("104.2")
    assert attainment.assigned_by == "bo-tai-chinh"
    assert (attainment.period_start, attainment.period_end) == (date(2020, 1, 1), date(2020, 9, 20))
    (target,) = find(facts, "budget_revenue", "target")
    assert target.target_type == "chi-tieu"
    assert (target.period_start, target.period_end) == (date(2020, 1, 1), date(2020, 12, 31))
    (change,) = find(facts, "budget_revenue_change")
    assert change.value == Decimal("-3.1")


def test_estimate_governs_the_percentages_after_it() -> None:
    facts = extract_facts(
        article("Dự kiến cả năm 2020, Cục Hải quan Bình Định sẽ thu 900 tỷ đồng, đạt 90% chỉ tiêu được giao.")
    )
    (estimate,) = find(facts, "budget_revenue", "estimate")
    assert estimate.value == Decimal("900000000000")
    (attainment,) = find(facts, "budget_revenue_attainment", "estimate")
    assert attainment.target_type == "chi-tieu"


def test_subject_is_carried_to_later_paragraphs_and_whole_sector_is_tong_cuc() -> None:
    facts = extract_facts(
        article(
            "Cục Hải quan Cà Mau vừa tổng kết công tác năm 2020.",
            "Trong năm, đơn vị thu ngân sách được 55 tỷ đồng.",
            "Cũng trong năm 2020, toàn Ngành thu ngân sách được 300.000 tỷ đồng.",
        )
    )
    subjects = {f.subject: f.value for f in find(facts, "budget_revenue")}
    assert subjects == {"cuc:ca-mau": Decimal("55000000000"), "tong-cuc": Decimal("300000000000000")}


def test_trade_figures_with_signed_changes() -> None:
    facts = extract_facts(
        article(
            "Trong quý 2/2020, kim ngạch xuất nhập khẩu của cả nước đạt 100,5 tỷ USD, "
            "giảm 2,5% so với quý trước.",
            "Trong đó, xuất khẩu đạt 51 tỷ USD, tăng 1% và nhập khẩu đạt 49,5 tỷ USD, giảm 6%.",
        )
    )
    values = {(f.metric, f.value) for f in facts if f.subject == "ca-nuoc"}
    assert ("trade_turnover", Decimal("100500000000")) in values
    assert ("trade_turnover_change", Decimal("-2.5")) in values
    assert ("export_turnover", Decimal("51000000000")) in values
    assert ("export_turnover_change", Decimal(1)) in values
    assert ("import_turnover", Decimal("49500000000")) in values
    assert ("import_turnover_change", Decimal(-6)) in values
    assert all(f.period_start == date(2020, 4, 1) and f.period_end == date(2020, 6, 30) for f in facts)


def test_ratio_to_last_year_is_a_change() -> None:
    facts = extract_facts(
        article("Tháng 10, Hải quan Sơn La thu được 12 tỷ đồng, bằng 96,5% so với cùng kỳ.")
    )
    (change,) = find(facts, "budget_revenue_change")
    assert change.value == Decimal("-3.5")


def test_enforcement_counts_and_amounts() -> None:
    facts = extract_facts(
        article(
            "Trong 6 tháng đầu năm 2020, Cục Hải quan Hà Tĩnh đã phát hiện, bắt giữ 40 vụ vi phạm, "
            "trị giá hàng hóa vi phạm 3 tỷ đồng; xử phạt vi phạm hành chính 35 vụ, số tiền phạt 1,2 tỷ "
            "đồng; khởi tố 2 vụ án hình sự và chuyển cơ quan công an đề nghị khởi tố 4 vụ."
        )
    )
    got = {f.metric: f.value for f in facts}
    assert got == {
        "violations": Decimal(40),
        "violations_value": Decimal("3000000000"),
        "administrative_penalties": Decimal(35),
        "penalty_revenue": Decimal("1200000000"),
        "criminal_cases": Decimal(2),
        "criminal_referrals": Decimal(4),
    }


def test_out_of_scope_amounts_are_not_scored_metrics() -> None:
    facts = extract_facts(
        article(
            "Năm 2020, Cục Hải quan Phú Yên thu ngân sách được 500 tỷ đồng.",
            "Riêng mặt hàng xăng dầu thu được 120 tỷ đồng, tăng 8%.",
            "Công ty ABC đã nộp thuế 30 tỷ đồng.",
        )
    )
    assert [f.value for f in facts if f.metric == "budget_revenue"] == [Decimal("500000000000")]
    assert not [f for f in facts if f.metric == "budget_revenue_change"]


def test_title_and_body_stating_the_same_number_are_one_fact() -> None:
    facts = extract_facts(
        article(
            "Tính đến hết tháng 10, Hải quan Bình Dương thu ngân sách được 10.070 tỷ đồng.",
            title="Hải quan Bình Dương thu ngân sách hơn 10.000 tỷ đồng",
        )
    )
    revenue = find(facts, "budget_revenue")
    assert len(revenue) == 1
    assert revenue[0].value == Decimal("10070000000000")
    assert revenue[0].evidence.startswith("Tính đến hết tháng 10")


def test_declarations_enterprises_and_passengers() -> None:
    facts = extract_facts(
        article(
            "Năm 2020, Cục Hải quan Lào Cai đã làm thủ tục cho 1.500 doanh nghiệp với 90.000 tờ khai, "
            "giám sát 250.000 lượt khách xuất nhập cảnh."
        )
    )
    got = {f.metric: f.value for f in facts}
    assert got == {
        "enterprises": Decimal(1500),
        "declarations": Decimal(90000),
        "passengers": Decimal(250000),
    }


def test_output_is_deterministic_and_never_crashes_on_odd_text() -> None:
    blocks = ("", "…", "12/2020/NĐ-CP", "tăng %", "đạt , tỷ", "Chi cục Hải quan", "vụ vụ vụ 3 vụ")
    first = extract_facts(article(*blocks))
    assert first == extract_facts(article(*blocks))


def test_half_month_and_date_range_periods() -> None:
    facts = extract_facts(
        article(
            "Trong kỳ 1 tháng 3/2021, kim ngạch xuất khẩu của cả nước đạt 12,5 tỷ USD.",
            "Từ ngày 2/4 đến ngày 20/5/2021, Cục Hải quan Điện Biên đã phát hiện, bắt giữ 12 vụ vi phạm.",
        )
    )
    (export,) = find(facts, "export_turnover")
    assert (export.period_start, export.period_end) == (date(2021, 3, 1), date(2021, 3, 15))
    (cases,) = find(facts, "violations")
    assert (cases.period_start, cases.period_end) == (date(2021, 4, 2), date(2021, 5, 20))


def test_sub_areas_commodities_and_partners_are_out_of_scope() -> None:
    facts = extract_facts(
        article(
            "Năm 2020, Cục Hải quan Hà Giang thu ngân sách được 300 tỷ đồng.",
            "Trong đó, riêng khu vực Thanh Thủy thu được 120 tỷ đồng, tăng 3%.",
            "Kim ngạch xuất khẩu hàng dệt may đạt 1,2 tỷ USD, tăng 4%.",
            "Kim ngạch nhập khẩu từ Hàn Quốc đạt 800 triệu USD.",
        )
    )
    assert [f.value for f in facts] == [Decimal("300000000000")]


def test_the_percentage_of_a_difference_takes_its_sign() -> None:
    facts = extract_facts(
        article("Năm 2020, Cục Hải quan Nam Định thu được 900 tỷ đồng, giảm 100 tỷ đồng (tương ứng 10%).")
    )
    (change,) = find(facts, "budget_revenue_change")
    assert change.value == Decimal(-10)
    assert [f.value for f in find(facts, "budget_revenue")] == [Decimal("900000000000")]


def test_a_value_for_the_same_period_last_year_is_its_own_fact() -> None:
    facts = extract_facts(
        article(
            "Trong 6 tháng đầu năm 2020, Cục Hải quan Bình Thuận thu được 80 tỷ đồng, "
            "tăng 25% so với cùng kỳ năm 2019 (64 tỷ đồng)."
        )
    )
    previous = [f for f in find(facts, "budget_revenue") if f.value == Decimal("64000000000")]
    assert len(previous) == 1
    assert (previous[0].period_start, previous[0].period_end) == (date(2019, 1, 1), date(2019, 6, 30))


def test_other_forces_and_provinces_are_not_customs() -> None:
    facts = extract_facts(
        article(
            "Cục Hải quan Sơn La vừa tổng kết năm 2020.",
            "Năm 2020, lực lượng Công an tỉnh đã phát hiện, bắt giữ 300 vụ vi phạm.",
            "Năm 2020, kim ngạch xuất khẩu của Sơn La đạt 150 triệu USD.",
        )
    )
    assert facts == []


def test_decomposed_diacritics_are_read_and_evidence_is_kept() -> None:
    text = "Năm 2020, Cục Hải quan Bạc Liêu thu được 12 ty\u0309 đồng."
    (fact,) = extract_facts(article(text))
    assert fact.value == Decimal("12000000000")
    assert fact.evidence == text


def test_ratio_base_that_is_not_a_target_is_not_a_fact() -> None:
    facts = extract_facts(
        article(
            "Năm 2020, Cục Hải quan Yên Bái ước thu 500 tỷ đồng, bằng 80% dự toán (500/625 tỷ đồng), "
            "bằng 110% (500/455 tỷ đồng) số thu năm trước."
        )
    )
    assert {f.value for f in find(facts, "budget_revenue", "target")} == {Decimal("625000000000")}
    assert not [f for f in facts if f.value == Decimal("455000000000")]


def test_a_range_gives_one_fact_per_end() -> None:
    facts = extract_facts(
        article("Năm 2021, Cục Hải quan Kon Tum phấn đấu thu ngân sách từ 1.097 đến 1.320 tỷ đồng.")
    )
    targets = find(facts, "budget_revenue", "target")
    assert [f.value for f in targets] == [Decimal("1097000000000"), Decimal("1320000000000")]
    assert {f.target_type for f in targets} == {"phan-dau"}


# --- precision rules (0.2.0) ---------------------------------------------------------------------------


def test_a_commodity_named_after_the_trade_cue_is_not_the_total() -> None:
    facts = extract_facts(
        article(
            "Trong 9 tháng, XK cá bống của Việt Nam đạt 123 triệu USD, tăng 4,5% so với cùng kỳ.",
            "Cũng trong 9 tháng, xuất khẩu của cả nước đạt 200,5 tỷ USD.",
        )
    )
    exports = find(facts, "export_turnover")
    assert [f.value for f in exports] == [Decimal("200500000000")]
    assert not find(facts, "export_turnover_change")


def test_a_partner_named_after_a_noun_or_a_share_of_the_total_is_not_the_total() -> None:
    facts = extract_facts(
        article(
            "Hết tháng 10, kim ngạch xuất khẩu của Việt Nam sang nước Xyz đạt 3,21 tỷ USD.",
            "Kim ngạch nhập khẩu của Việt Nam đạt 45,6 tỷ USD, tăng 3% và chiếm 12,5% "
            "tổng kim ngạch nhập khẩu.",
        )
    )
    assert not find(facts, "export_turnover")
    assert not find(facts, "import_turnover")


def test_single_case_amounts_and_fine_rates_are_not_enforcement_totals() -> None:
    facts = extract_facts(
        article(
            "Đội Kiểm soát Hải quan thuộc Cục Hải quan Lai Châu phát hiện một xe tải chở thuốc lá.",
            "Trị giá hàng vi phạm trên 321 triệu đồng.",
            "Theo quy định, mức xử phạt cao nhất đối với hành vi này là 7.000.000 đồng.",
            "Năm 2020, Cục Hải quan Lai Châu đã phát hiện, xử lý 45 vụ vi phạm, "
            "trị giá hàng hóa vi phạm 6,7 tỷ đồng.",
        )
    )
    assert [f.value for f in find(facts, "violations_value")] == [Decimal("6700000000")]
    assert not find(facts, "penalty_revenue")


def test_spending_is_not_revenue() -> None:
    facts = extract_facts(
        article("Năm 2020, kiến nghị tăng thu 1.234 tỷ đồng, giảm chi ngân sách 5.678 tỷ đồng.")
    )
    assert Decimal("5678000000000") not in [f.value for f in find(facts, "budget_revenue")]


def test_accredited_agents_inspected_declarations_and_tourists_are_not_counts() -> None:
    facts = extract_facts(
        article(
            "Tổng cục Hải quan vừa công nhận 7 doanh nghiệp đủ điều kiện "
            "hoạt động đại lý làm thủ tục hải quan.",
            "Trong quý I/2020, Cục Hải quan Lai Châu có 1.234 tờ khai phải kiểm tra chuyên ngành.",
            "Dịp cuối tuần, tỉnh Lai Châu đón trên 56.000 lượt khách du lịch.",
        )
    )
    assert not find(facts, "enterprises")
    assert not find(facts, "declarations")
    assert not find(facts, "passengers")


def test_a_breakdown_of_cases_is_not_the_total() -> None:
    facts = extract_facts(
        article(
            "Năm 2020, Cục Hải quan Lai Châu phát hiện, xử lý 88 vụ vi phạm.",
            "Trong số này, đơn vị đã phối hợp bắt giữ 9 vụ.",
        )
    )
    assert [f.value for f in find(facts, "violations")] == [Decimal(88)]


def test_a_birth_year_is_not_the_year_of_the_figures() -> None:
    facts = extract_facts(
        article(
            "Đối tượng Nguyễn Văn B (sinh năm 1971) bị bắt giữ.",
            "Từ tháng 9 đến nay, Cục Hải quan Lai Châu đã phát hiện, bắt giữ 12 vụ vi phạm.",
        )
    )
    (violations,) = find(facts, "violations")
    assert violations.period_start is not None and violations.period_start.year == 2020


def test_a_range_across_the_new_year_does_not_give_a_backwards_period() -> None:
    facts = extract_facts(
        article("Từ ngày 16/12 đến 15/12/2020, Cục Hải quan Lai Châu đã thu ngân sách 432 tỷ đồng.")
    )
    (revenue,) = find(facts, "budget_revenue")
    assert (
        revenue.period_start is None
        or revenue.period_end is None
        or revenue.period_start <= revenue.period_end
    )


def test_sentences_without_a_metric_cue_only_carry_state() -> None:
    """The fast path: a sentence with no quantity and cue yields nothing but still sets subject and year."""
    facts = extract_facts(
        article(
            "Năm 2019, Cục Hải quan Lai Châu tổ chức hội nghị với 35 đại biểu.",
            "Đơn vị đã thu ngân sách 321 tỷ đồng.",
        )
    )
    (revenue,) = find(facts, "budget_revenue")
    assert revenue.subject == "cuc:lai-chau"
    assert revenue.period_start == date(2019, 1, 1)


def test_business_money_and_non_customs_texts_do_not_fall_back_to_tong_cuc() -> None:
    bank = extract_facts(
        article(
            "Năm 2019, Ngân hàng TMCP Ví Dụ thu về 1.234 tỷ đồng lãi trước thuế, vượt 12% kế hoạch đề ra.",
            title="Lãi suất vẫn là mối lo của doanh nghiệp",
        )
    )
    assert not [f for f in bank if f.metric.startswith("budget_revenue")]
    # A tax guide that names customs only as the newspaper's name is not about customs.
    guide = extract_facts(
        article(
            "Theo Báo Hải quan, cá nhân có số thu nhập chịu thuế dưới 77 triệu đồng thì không phải nộp thuế.",
            "Số thuế thu nhập phải nộp trong năm 2019 là 12 triệu đồng.",
            title="Hướng dẫn quyết toán thuế thu nhập cá nhân",
        )
    )
    assert not [f for f in guide if f.subject == "tong-cuc"]
    # The whole anti-smuggling effort, all levels and sectors, is not customs' own.
    all_sectors = extract_facts(
        article(
            "Năm 2019, công tác chống buôn lậu được triển khai ở tất cả các cấp, các ngành; đã phát hiện "
            "nhiều đường dây buôn lậu, thu nộp ngân sách 9.876 tỷ đồng.",
        )
    )
    assert not find(all_sectors, "penalty_revenue")
    assert not find(all_sectors, "budget_revenue")


def test_bilateral_trade_is_not_the_country_total() -> None:
    facts = extract_facts(
        article(
            "Năm 2020, kim ngạch thương mại hai chiều Việt Nam – Ba Lan đạt 3,456 tỷ USD, "
            "tăng 12,3% so với năm 2019.",
            "Trong 10 tháng, kim ngạch thương mại với khu vực Á – Âu đạt 7,89 tỷ USD, tăng 4,5%.",
        )
    )
    assert not [f for f in facts if f.subject == "ca-nuoc"]


def test_declarations_handed_over_or_per_day_are_not_declarations_processed() -> None:
    facts = extract_facts(
        article(
            "Năm 2020, cơ quan Hải quan cung cấp danh sách 123 doanh nghiệp và 4.567 tờ khai chuyển sang "
            "lực lượng kiểm tra sau thông quan.",
            "Hiện mỗi ngày tại cửa khẩu X, lực lượng Hải quan tiếp nhận khoảng 321 bộ tờ khai.",
            "Trong năm 2019, Chi cục Hải quan Ví Dụ xử lý 2.345 tờ khai/ngày.",
        )
    )
    assert not find(facts, "declarations")


def test_an_estimate_opening_the_sentence_governs_every_figure() -> None:
    facts = extract_facts(
        article(
            "Ước tính năm 2020, kim ngạch xuất khẩu của cả nước đạt khoảng 123 tỷ USD, tăng khoảng 1,2%; "
            "kim ngạch nhập khẩu đạt khoảng 120 tỷ USD, tăng khoảng 3,4% so với năm trước."
        )
    )
    (imports,) = [f for f in facts if f.metric == "import_turnover"]
    assert imports.kind == "estimate"
    assert not [f for f in facts if f.kind == "actual"]


def test_drug_case_counts_are_a_sub_category() -> None:
    facts = extract_facts(
        article(
            "Năm 2020, lực lượng Hải quan đã triệt phá nhiều chuyên án ma túy lớn, phát hiện 123 vụ, "
            "bắt giữ 145 đối tượng.",
            "Đội Kiểm soát phòng, chống ma túy (Cục Hải quan Ví Dụ) đã phối hợp phát hiện 7 vụ/9 đối tượng "
            "vận chuyển trái phép chất ma túy.",
        )
    )
    assert not find(facts, "violations")
    # The drug team's name alone does not make the department's smuggling cases drug cases (and what the
    # team itself caught is a part of the department's total, not a figure of its own).
    smuggling = extract_facts(
        article(
            "Tháng 5/2020, Cục Hải quan Quảng Trị phát hiện 4 vụ vận chuyển hàng hóa nhập lậu, trong đó "
            "Đội Kiểm soát phòng, chống ma túy bắt giữ 1 vụ."
        )
    )
    assert [f.value for f in find(smuggling, "violations")] == [Decimal(4)]


def test_figures_that_are_parts_forecasts_or_other_payers_are_left_out() -> None:
    # Each block pairs a figure that is out of scope with one that is not, so the rule cannot pass by
    # reading nothing.
    facts = extract_facts(
        article(
            # A city's land-use fees are not customs revenue.
            "Trong 9 tháng năm 2020, Cục Hải quan Bình Định thu 1.450 tỷ đồng; tỉnh thu 820 tỷ đồng "
            "tiền sử dụng đất.",
            # A forecast of the coming months is no period's figure.
            "Cục Hải quan Bình Định dự tính số thu sẽ hụt từ 100-150 tỷ đồng trong 2 tháng tới.",
            # One side of the province line, some flights: parts, not the unit's total.
            "Năm 2020, Chi cục Hải quan cửa khẩu Bờ Y làm thủ tục cho 2.310 tờ khai; trong đó 40 DN "
            "ngoài tỉnh làm thủ tục 515 tờ khai.",
            "Chi cục Hải quan cửa khẩu sân bay quốc tế Cam Ranh làm thủ tục cho trên 250 hành khách trên "
            "2 chuyến bay từ Seoul.",
            # A group of units, and the trade of a city rather than of its customs department.
            "Tính đến hết ngày 15/11/2020, số thu NSNN tại 6 đơn vị này đạt 51.300 tỷ đồng.",
            "Trong 10 tháng năm 2020, kim ngạch xuất nhập khẩu hàng hóa của thành phố tăng 2,4%.",
            # A price is not a turnover; the turnover next to it is.
            "Năm 2020, trị giá nhập khẩu của cả nước đạt 262,4 tỷ USD; giá nhập khẩu bình quân giảm 1,2%.",
        )
    )
    assert [f.value for f in find(facts, "import_turnover")] == [Decimal("262400000000")]
    assert not find(facts, "import_turnover_change")
    revenue = find(facts, "budget_revenue")
    assert [f.value for f in revenue] == [Decimal("1450000000000")]
    assert [f.value for f in find(facts, "declarations")] == [Decimal(2310)]
    assert not find(facts, "passengers") and not find(facts, "trade_turnover_change")


def test_a_percentage_of_a_vnd_difference_is_no_trade_change() -> None:
    # "tương ứng X%" refers back to the amount before it: an amount in đồng (a commodity's tax) is not a
    # turnover, so its percentage is no import change; the revenue change of the same paragraph stays.
    facts = extract_facts(
        article(
            "Năm 2020, Cục Hải quan Phú Yên thu 1.200 tỷ đồng, giảm 10% so với năm 2019.",
            "Rượu vang nhập khẩu giảm 40 tỷ đồng, tương ứng 21%; gạch men giảm 12 tỷ đồng, tương ứng 6%.",
            "Năm 2020, kim ngạch nhập khẩu qua Cục Hải quan Phú Yên giảm 40 triệu USD, tương ứng 3,2% so với "
            "năm 2019.",
        )
    )
    assert [f.value for f in find(facts, "import_turnover_change")] == [Decimal("-3.2")]
    assert [f.value for f in find(facts, "budget_revenue_change")] == [Decimal(-10)]


def test_one_shipment_or_one_firm_money_is_not_a_unit_total() -> None:
    facts = extract_facts(
        article(
            "Năm 2020, Cục Hải quan Phú Yên thu 1.200 tỷ đồng.",
            "Với lô hàng gỗ khai sai tại cửa khẩu Hòa Xuân, đơn vị buộc chủ hàng khai bổ sung và nộp số tiền "
            "thuế còn thiếu vào NSNN hơn 320 triệu đồng.",
            "Giá trị lô hàng nhập khẩu là 5.100.000.000 đồng, số thuế nộp 510.000.000 đồng.",
            "Công ty TNHH Sao Mai lấy 200.000 đồng mỗi bộ hồ sơ; tổng số tiền thu lợi bất chính ước khoảng "
            "trên 450 triệu đồng.",
            # A fine's range set by a rule is law, not money collected.
            "Theo nghị định mới, người khai sai sẽ bị xử phạt. Cụ thể, phạt tiền từ 2 triệu đến 6 triệu đồng "
            "đối với trường hợp khai sai số tiền mang theo.",
            "Trong 6 tháng, Cục Hải quan Phú Yên xử phạt 40 vụ, số tiền phạt nộp NSNN 2,1 tỷ đồng.",
        )
    )
    assert [f.value for f in find(facts, "budget_revenue")] == [Decimal("1200000000000")]
    assert [f.value for f in find(facts, "penalty_revenue")] == [Decimal("2100000000")]


def test_cases_prosecuted_in_the_passive_are_not_a_violations_count() -> None:
    facts = extract_facts(
        article(
            "Cục Hải quan Phú Yên: 21 vụ vi phạm nghiêm trọng đã bị đơn vị khởi tố và chuyển công an đề nghị "
            "khởi tố.",
            "Năm 2020, Cục Hải quan Phú Yên phát hiện 96 vụ vi phạm, khởi tố 2 vụ.",
        )
    )
    assert [f.value for f in find(facts, "violations")] == [Decimal(96)]
    assert [f.value for f in find(facts, "criminal_cases")] == [Decimal(2)]


def test_growth_and_a_metric_between_the_verb_and_the_percentage_are_changes() -> None:
    facts = extract_facts(
        article(
            "Năm 2020, Cục Hải quan Phú Yên thu 1.200 tỷ đồng, giảm số thu tới 12,5% so với năm 2019.",
            "Năm 2020, số thu của Cục Hải quan Khánh Hòa đạt 900 tỷ đồng, nhưng số thu vẫn có sự tăng trưởng "
            "3,25% so với năm 2019.",
        )
    )
    changes = {f.subject: f.value for f in find(facts, "budget_revenue_change")}
    assert changes == {"cuc:phu-yen": Decimal("-12.5"), "cuc:khanh-hoa": Decimal("3.25")}


def test_a_staff_department_as_speaker_gives_the_sector_figure() -> None:
    # The head of a Tổng cục staff department speaks for the sector; the department named on its own, with
    # money of its own, stays outside the contract.
    facts = extract_facts(
        article(
            "Theo Tổng cục Hải quan, ngành Hải quan đang nỗ lực thu ngân sách.",
            "Theo nhận định của Phó Cục trưởng Cục Thuế XNK, trong tháng 4/2021 ngân sách thu được 31.200 tỷ "
            "đồng, tăng 6% so với tháng 3/2021.",
            "Cục Thuế XNK đã thu 500 tỷ đồng từ các cuộc kiểm tra.",
        )
    )
    assert [(f.subject, f.value) for f in find(facts, "budget_revenue")] == [
        ("tong-cuc", Decimal("31200000000000"))
    ]
    assert [f.value for f in find(facts, "budget_revenue_change")] == [Decimal(6)]


def test_branch_shares_in_brackets_after_a_target_intro_are_attainments() -> None:
    facts = extract_facts(
        article(
            "Năm 2020, Cục Hải quan Phú Yên thu 1.200 tỷ đồng, đạt 96% dự toán.",
            "So với chỉ tiêu thu được giao, 3 chi cục đạt từ 80% trở lên, gồm: Chi cục Hải quan cảng Vũng Rô "
            "(đạt 112,4%); Chi cục Hải quan Tuy Hòa (91,2%); Chi cục Hải quan Sông Cầu (84,05%).",
            # Shares of a trade total in brackets are not attainments.
            "Năm 2020, kim ngạch xuất nhập khẩu so với kế hoạch của các chi cục gồm: Chi cục Hải quan "
            "Đông Hòa (40%); Chi cục Hải quan Sơn Hòa (60%).",
        )
    )
    shares = {f.subject: f.value for f in find(facts, "budget_revenue_attainment")}
    assert shares == {
        "cuc:phu-yen": Decimal(96),
        "chi-cuc:cang-vung-ro": Decimal("112.4"),
        "chi-cuc:tuy-hoa": Decimal("91.2"),
        "chi-cuc:song-cau": Decimal("84.05"),
    }


def test_a_result_over_its_target_told_as_a_pair() -> None:
    # "X/Y tỷ đồng bằng N% dự toán": X the result, Y the target the share names; a sub-area's pair at the
    # head of the next sentence is out of scope, and a pair in brackets after a share is only its base.
    facts = extract_facts(
        article(
            "Tính đến ngày 20/11/2020, Cục Hải quan Phú Yên thu đạt 1.150/1.300 tỷ đồng bằng 88,5% dự toán "
            "và bằng 104,2% cùng kỳ năm 2019. Địa bàn Tuy Hòa thu 610/700 tỷ đồng bằng 87,1% dự toán.",
            "Năm 2019, Cục Hải quan Khánh Hòa thu 950 tỷ đồng, bằng 105% (950/905 tỷ đồng) so với năm 2018.",
        )
    )
    assert [(f.subject, f.value) for f in find(facts, "budget_revenue")] == [
        ("cuc:phu-yen", Decimal("1150000000000")),
        ("cuc:khanh-hoa", Decimal("950000000000")),
    ]
    (target,) = find(facts, "budget_revenue", "target")
    assert (target.value, target.target_type) == (Decimal("1300000000000"), "du-toan")
    assert (target.period_start, target.period_end) == (date(2020, 1, 1), date(2020, 12, 31))
    assert [f.value for f in find(facts, "budget_revenue_attainment")] == [Decimal("88.5")]
