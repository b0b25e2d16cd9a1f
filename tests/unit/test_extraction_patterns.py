"""Patterns of the language the extractor reads, one short invented sentence each (extractor 0.4).

Every sentence here is ours: units, places and numbers are made up to show one pattern, not taken from an
article. Each test names the pattern it pins down.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from services.common.facts import Fact
from services.extractor.domain.article import Article
from services.extractor.domain.facts import MAX_SENTENCE_CHARS, bounded_pieces, extract_facts, split_sentences
from services.extractor.domain.periods import find_periods
from services.extractor.domain.subjects import find_subjects


def article(*blocks: str, title: str = "Tin tức hải quan") -> Article:
    return Article(
        url="https://example.test/a/",
        title=title,
        published=datetime(2020, 11, 20, 9, 0, tzinfo=UTC),
        lead="",
        blocks=blocks,
    )


def facts_of(*blocks: str) -> list[Fact]:
    return extract_facts(article(*blocks))


def keyed(facts: list[Fact]) -> set[tuple[str, str, str, Decimal]]:
    return {(f.subject, f.metric, f.kind, f.value) for f in facts}


def period(fact: Fact) -> tuple[date | None, date | None]:
    return fact.period_start, fact.period_end


# --- lists: the opening names the metric, each item only its unit and numbers -------------------------


def test_list_items_carry_the_metric_of_the_sentence_that_opens_the_list() -> None:
    facts = facts_of(
        "Tổng cục Hải quan giao chỉ tiêu phấn đấu thu NSNN cho 3 cục. Cụ thể: Cục Hải quan Sơn La phấn đấu "
        "đạt 120 tỷ đồng (dự toán 100 tỷ đồng); Cục Hải quan Hà Giang phấn đấu 90 tỷ đồng (dự toán 80 tỷ "
        "đồng) và Cục Hải quan Yên Bái phấn đấu 40 tỷ đồng (dự toán 35 tỷ đồng)."
    )
    billion = Decimal(10**9)
    assert keyed(facts) >= {
        ("cuc:son-la", "budget_revenue", "target", 120 * billion),
        ("cuc:ha-giang", "budget_revenue", "target", 90 * billion),
        ("cuc:yen-bai", "budget_revenue", "target", 40 * billion),
        ("cuc:yen-bai", "budget_revenue", "target", 35 * billion),
    }
    strive = [f for f in facts if f.value == 90 * billion]
    assert [f.target_type for f in strive] == ["phan-dau"]


def test_a_unit_and_an_amount_with_no_list_opening_is_not_a_revenue_fact() -> None:
    facts = facts_of("Cục Hải quan Sơn La có 120 tỷ đồng vốn đầu tư cho trụ sở mới.")
    assert facts == []


# --- subjects -------------------------------------------------------------------------------------------


def test_a_dash_glued_to_a_branch_name_ends_the_name() -> None:
    (mention,) = find_subjects("Tại Chi cục Hải quan cửa khẩu cảng Cái Rồng- đơn vị dẫn đầu về số thu")
    assert mention.subject == "chi-cuc:cua-khau-cang-cai-rong"


def test_a_branch_name_ends_at_its_proper_name() -> None:
    (mention,) = find_subjects("Chi cục Hải quan cửa khẩu Tà Lùng quản lý 3 lối mở")
    assert mention.subject == "chi-cuc:cua-khau-ta-lung"
    (numbered,) = find_subjects("Chi cục Hải quan cảng Cát Lái khu vực 2 quản lý")
    assert numbered.subject == "chi-cuc:cang-cat-lai-khu-vuc-2"


def test_a_province_itself_as_the_actor_is_not_its_customs_department() -> None:
    facts = facts_of(
        "Theo lãnh đạo UBND tỉnh Phú Yên Ông Nguyễn Văn A, Phú Yên dự tính số thu ngân sách năm 2020 sẽ đạt "
        "5.000 tỷ đồng, đạt 90% dự toán."
    )
    assert facts == []


# --- values that are not levels --------------------------------------------------------------------------


def test_an_absolute_decrease_is_a_difference() -> None:
    facts = facts_of(
        "Năm 2020, Cục Hải quan Gia Lai thu đạt 800 tỷ đồng, giảm 10% (giảm tuyệt đối 90 tỷ đồng) so với "
        "năm 2019."
    )
    assert {f.value for f in facts if f.metric == "budget_revenue"} == {Decimal(800 * 10**9)}


def test_exceeding_by_an_amount_after_a_level_is_a_difference() -> None:
    facts = facts_of(
        "Dự kiến đến hết tháng 11, Hải quan Bình Định thu đạt 1.050 tỷ đồng, tức là thu vượt 50 tỷ đồng."
    )
    assert {f.value for f in facts if f.metric == "budget_revenue"} == {Decimal(1050 * 10**9)}


def test_the_bar_a_group_of_units_clears_is_not_a_figure() -> None:
    facts = facts_of("Cục Hải quan Bình Dương là 1 trong 5 đơn vị có số thu trên 10.000 tỷ đồng năm 2020.")
    assert facts == []


def test_vehicle_trips_are_not_passengers() -> None:
    facts = facts_of(
        "Năm 2020, Cục Hải quan Cần Thơ làm thủ tục cho hơn 20.000 lượt hành khách và 3.000 lượt tàu biển."
    )
    assert {f.value for f in facts if f.metric == "passengers"} == {Decimal(20000)}


def test_cases_described_as_drug_trafficking_after_a_comma_are_a_sub_category() -> None:
    facts = facts_of(
        "Năm 2020, Cục Hải quan Sơn La phát hiện, bắt giữ 40 vụ vi phạm. Riêng Đội kiểm soát bắt giữ 6 vụ, "
        "vận chuyển trái phép ma túy, thu giữ 2 kg."
    )
    assert {f.value for f in facts if f.metric == "violations"} == {Decimal(40)}


def test_a_count_followed_by_other_figures_mentioning_drugs_is_still_a_total() -> None:
    facts = facts_of(
        "Năm 2020, Cục Hải quan Sơn La đã bắt giữ 40 vụ vi phạm, trị giá 3 tỷ đồng và 2 kg ma túy."
    )
    assert {f.metric for f in facts} == {"violations", "violations_value"}


def test_a_fine_another_body_imposed_on_one_company_is_not_customs_revenue() -> None:
    facts = facts_of(
        "Trước đó, một công ty nhập khẩu phế liệu bị Cục Hải quan Đồng Nai phát hiện và đã bị UBND tỉnh "
        "xử phạt 1,2 tỷ đồng năm 2019."
    )
    assert facts == []


def test_revenue_from_post_clearance_inspections_is_out_of_scope() -> None:
    facts = facts_of(
        "Trong tháng 10, đơn vị đã hoàn thành 12 cuộc kiểm tra tại trụ sở doanh nghiệp, thu nộp vào ngân "
        "sách 150 triệu đồng."
    )
    assert facts == []


# --- periods ---------------------------------------------------------------------------------------------


def test_a_reporting_period_across_a_year_end() -> None:
    (mention,) = find_periods("trong kỳ từ 16/12/2019 đến 15/11/2020 đơn vị xử lý")
    assert mention.resolve(2020) == (date(2019, 12, 16), date(2020, 11, 15))


def test_a_span_of_years() -> None:
    (to_month,) = find_periods("từ năm 2005 đến cuối tháng 10/2020 đơn vị")
    assert to_month.resolve(2020) == (date(2005, 1, 1), date(2020, 10, 31))
    (whole,) = find_periods("từ năm 1991 đến 1995, đơn vị")
    assert whole.resolve(2020) == (date(1991, 1, 1), date(1995, 12, 31))


def test_half_a_year() -> None:
    (first,) = find_periods("nửa đầu năm 2020")
    assert first.resolve(2021) == (date(2020, 1, 1), date(2020, 6, 30))
    (second,) = find_periods("nửa cuối năm")
    assert second.resolve(2021) == (date(2021, 7, 1), date(2021, 12, 31))


def test_year_to_date_runs_to_the_end_of_the_period_in_force() -> None:
    facts = facts_of(
        "Trong tháng 9/2020, Cục Hải quan Long An tiếp nhận 20.000 tờ khai; lũy kế từ đầu năm đạt 150.000 "
        "tờ khai."
    )
    by_value = {f.value: f for f in facts if f.metric == "declarations"}
    assert period(by_value[Decimal(20000)]) == (date(2020, 9, 1), date(2020, 9, 30))
    assert period(by_value[Decimal(150000)]) == (date(2020, 1, 1), date(2020, 9, 30))


def test_now_is_the_start_of_the_year_with_no_end() -> None:
    (fact,) = [
        f
        for f in facts_of("Hiện nay, số thu NSNN của Cục Hải quan Gia Lai đạt 500 tỷ đồng.")
        if f.metric == "budget_revenue"
    ]
    assert period(fact) == (date(2020, 1, 1), None)


# --- clauses, comparisons and coordination ---------------------------------------------------------------


def test_an_out_of_scope_clause_does_not_drop_the_next_clause() -> None:
    facts = facts_of(
        "Năm 2020, Cục Hải quan Sơn La phát hiện vi phạm về sở hữu trí tuệ 12 vụ; xử phạt vi phạm hành "
        "chính 80 vụ."
    )
    assert keyed(facts) == {("cuc:son-la", "administrative_penalties", "actual", Decimal(80))}


def test_a_remainder_of_other_goods_is_a_sub_category() -> None:
    facts = facts_of(
        "Năm 2020, Cục Hải quan Sơn La thu 900 tỷ đồng; riêng các hàng hóa khác thu đạt 300 tỷ đồng."
    )
    assert {f.value for f in facts} == {Decimal(900 * 10**9)}


def test_the_value_compared_with_is_a_fact_of_the_period_its_phrase_names() -> None:
    facts = facts_of(
        "Năm 2020, Cục Hải quan Gia Lai thu đạt 800 tỷ đồng, giảm 90 tỷ đồng so với năm 2019 (890 tỷ đồng)."
    )
    (earlier,) = [f for f in facts if f.value == Decimal(890 * 10**9)]
    assert (earlier.metric, earlier.kind) == ("budget_revenue", "actual")
    assert period(earlier) == (date(2019, 1, 1), date(2019, 12, 31))


def test_from_one_count_up_to_another_gives_both_periods() -> None:
    facts = facts_of(
        "Trong 10 tháng năm 2020, số DN làm thủ tục tại Chi cục Hải quan Cái Lân tăng 9% so với cùng kỳ, "
        "từ 300 DN lên 327 DN, trong đó có 40 DN mới."
    )
    by_value = {f.value: f for f in facts if f.metric == "enterprises"}
    assert set(by_value) == {Decimal(300), Decimal(327)}
    assert period(by_value[Decimal(300)]) == (date(2019, 1, 1), date(2019, 10, 31))
    assert period(by_value[Decimal(327)]) == (date(2020, 1, 1), date(2020, 10, 31))


def test_a_change_whose_metric_is_named_after_it() -> None:
    facts = facts_of(
        "Trong 10 tháng năm 2020, Chi cục Hải quan Cái Lân làm thủ tục cho 5.000 tờ khai. So với cùng kỳ "
        "năm 2019, tăng 8% về số lượng tờ khai và tăng 11,5% về kim ngạch."
    )
    assert {(f.metric, f.value) for f in facts if f.unit == "percent"} == {
        ("trade_turnover_change", Decimal("11.5"))
    }


def test_one_verb_serves_two_coordinated_changes() -> None:
    facts = facts_of(
        "Kim ngạch XNK của Cục Hải quan Gia Lai trong tháng 8/2020 chỉ đạt 1,5 tỷ USD, giảm 7,1% so với "
        "tháng 7/2020 và 11,6% so với cùng kỳ năm 2019."
    )
    changes = {f.value for f in facts if f.metric == "trade_turnover_change"}
    assert changes == {Decimal("-7.1"), Decimal("-11.6")}


def test_cases_counted_as_instances_and_the_fines_they_brought() -> None:
    facts = facts_of(
        "Tính đến 15/11/2020, Hải quan Cao Bằng đã ra quyết định xử phạt vi phạm hành chính 120 trường hợp, "
        "phạt tiền 1,5 tỷ đồng."
    )
    assert keyed(facts) == {
        ("cuc:cao-bang", "administrative_penalties", "actual", Decimal(120)),
        ("cuc:cao-bang", "penalty_revenue", "actual", Decimal(1500 * 10**6)),
    }


def test_the_value_of_confiscated_goods_in_violation() -> None:
    facts = facts_of(
        "Năm 2020, Cục Hải quan Cao Bằng đã phát hiện, xử lý 90 vụ buôn lậu, tịch thu hàng vi phạm trị giá "
        "4,2 tỷ đồng."
    )
    assert {f.metric for f in facts} == {"violations", "violations_value"}


def test_a_target_to_strive_for_set_by_another_body() -> None:
    facts = facts_of(
        "Năm 2020, Cục Hải quan Gia Lai thu đạt 900 tỷ đồng, bằng 75% chỉ tiêu UBND tỉnh giao phấn đấu "
        "(1.200 tỷ đồng)."
    )
    (target,) = [f for f in facts if f.kind == "target"]
    assert target.target_type == "phan-dau"


# --- scope: parts, teams and examples are not a unit's totals -------------------------------------------


def test_a_scope_named_before_a_colon_covers_every_item_of_the_list() -> None:
    facts = facts_of(
        "Năm 2020, 3 nhóm hàng nhập khẩu chính là: vải với kim ngạch 4 tỷ USD; bông 1,5 tỷ USD; sợi 900 "
        "triệu USD."
    )
    assert facts == []


def test_a_clause_without_its_own_metric_reads_the_scope_of_the_clause_before() -> None:
    facts = facts_of(
        "Trong 8 tháng, kim ngạch xuất khẩu hàng dệt và may mặc ước đạt 15 tỷ USD, giảm 10%; vải kỹ thuật "
        "ước đạt 200 triệu USD, giảm 30%."
    )
    assert facts == []


def test_a_team_is_not_its_department() -> None:
    facts = facts_of(
        "Trước đó, Đội Kiểm soát Hải quan, Cục Hải quan Quảng Trị đã phát hiện 3 vụ vận chuyển thuốc lá.",
        "Năm 2020, Cục Hải quan Quảng Trị phát hiện 50 vụ vi phạm.",
    )
    assert keyed(facts) == {("cuc:quang-tri", "violations", "actual", Decimal(50))}


def test_animals_traded_are_a_commodity() -> None:
    facts = facts_of("Năm 2020, Việt Nam nhập khẩu 5.000 con bò giống (tăng 200% so với năm 2019).")
    assert facts == []


def test_a_worked_example_of_one_company_is_not_a_figure() -> None:
    facts = facts_of("VD: Ngày 5/9 Cty A hoàn thành thủ tục hải quan xuất khẩu áo, giá trị 2.000 USD.")
    assert facts == []


def test_enterprises_added_are_an_increment() -> None:
    facts = facts_of(
        "6 tháng đầu năm 2020, Cục Hải quan Quảng Bình có thêm 40 doanh nghiệp về làm thủ tục xuất nhập "
        "khẩu, nâng tổng số doanh nghiệp làm thủ tục lên 300 doanh nghiệp."
    )
    assert {f.value for f in facts if f.metric == "enterprises"} == {Decimal(300)}


def test_traders_of_one_commodity_are_not_a_units_enterprises() -> None:
    facts = facts_of(
        "Theo Tổng cục Hải quan, trong tháng 9, cả nước có hơn 60 doanh nghiệp tham gia xuất khẩu khẩu trang "
        "y tế."
    )
    assert facts == []


def test_one_provinces_trade_is_never_the_countrys() -> None:
    facts = facts_of(
        "Tính đến hết 15/10, kim ngạch xuất nhập khẩu qua địa bàn tỉnh Quảng Bình đạt 1,2 tỷ USD.",
        "Cũng đến hết 15/10, kim ngạch xuất nhập khẩu cả nước đạt 400 tỷ USD.",
    )
    assert keyed(facts) == {("ca-nuoc", "trade_turnover", "actual", Decimal(400 * 10**9))}


def test_mid_month_cut_offs_the_first_month_and_months_of_a_named_year() -> None:
    def periods(text: str) -> list[tuple[date, date | None]]:
        return [m.resolve(2020) for m in find_periods(text)]

    assert periods("đến trung tuần tháng 12/2020, đơn vị") == [(date(2020, 1, 1), date(2020, 12, 15))]
    assert periods("từ đầu năm đến giữa tháng 8, kim ngạch") == [(date(2020, 1, 1), date(2020, 8, 15))]
    assert periods("trong tháng đầu tiên của năm 2021") == [(date(2021, 1, 1), date(2021, 1, 31))]
    assert periods("trong gần 11 tháng của năm 2019") == [(date(2019, 1, 1), date(2019, 11, 30))]


def test_a_branch_named_by_its_place_alone() -> None:
    assert [
        m.subject for m in find_subjects("Tại chi cục Tân Lập số thu giảm, còn Chi cục Thuế Tân Lập")
    ] == ["chi-cuc:tan-lap"]


def test_a_team_with_a_comma_in_its_name() -> None:
    facts = facts_of(
        "Đội Kiểm soát phòng, chống ma túy, Cục Hải quan Quảng Bình vừa phát hiện 2 vụ vận chuyển hàng lậu."
    )
    assert facts == []


def test_thresholds_rates_and_rules_are_not_figures() -> None:
    assert (
        facts_of("Đại lý có số tờ khai đứng tên đại lý trong năm 2020 đạt từ 15.000 tờ khai/năm trở lên.")
        == []
    )
    assert (
        facts_of(
            "Năm 2020, chương trình áp dụng cho nhóm doanh nghiệp có kim ngạch XNK đạt từ 5 triệu USD "
            "và có 100 tờ khai trở lên."
        )
        == []
    )
    assert (
        facts_of("Năm 2020, Tổng cục Hải quan quy định số thuế phải nộp dưới 80.000 đồng thì được miễn.")
        == []
    )


def test_sub_areas_a_border_gate_and_a_transport_mode() -> None:
    gate = facts_of(
        "Trong 7 tháng năm 2020, Cục Hải quan Cao Bằng cho biết kim ngạch XNK qua cửa khẩu Tà Lùng đạt 100 "
        "triệu USD, giảm 40% so với cùng kỳ năm 2019."
    )
    assert gate == []
    road = facts_of(
        "Trong tháng 10/2020, toàn ngành Hải quan phát hiện 1.300 vụ vi phạm; khu vực đường bộ có số vi phạm "
        "lớn nhất với 800 vụ."
    )
    assert {f.value for f in road} == {Decimal(1300)}


def test_national_accounts_and_post_clearance_audit_are_out_of_scope() -> None:
    assert facts_of("Trong quý 3/2020, nhập khẩu hàng hóa và dịch vụ tăng 2,1% so với quý trước.") == []
    assert (
        facts_of(
            "Để tăng cường công tác KTSTQ, Tổng cục chỉ đạo phấn đấu thu ngân sách năm 2021 bằng số "
            "thu năm 2020 (1.500 tỷ đồng)."
        )
        == []
    )


def test_the_body_whose_instructions_are_followed_is_not_the_subject() -> None:
    facts = facts_of(
        "Theo Hải quan Đà Nẵng, thực hiện theo chỉ đạo của Bộ Tài chính và Tổng cục Hải quan, số thu năm "
        "2020 sẽ đạt 95% dự toán."
    )
    assert {f.subject for f in facts} == {"cuc:da-nang"}


# --- enforcement summaries ------------------------------------------------------------------------------


def test_a_breakdown_sentence_keeps_penalties_prosecutions_and_referrals() -> None:
    facts = facts_of(
        "Năm 2020, Cục Hải quan Gia Lai phát hiện 200 vụ vi phạm. Trong đó, xử phạt vi phạm hành chính 150 "
        "vụ, khởi tố 2 vụ, chuyển cơ quan công an 5 vụ."
    )
    assert {(f.metric, f.value) for f in facts} == {
        ("violations", Decimal(200)),
        ("administrative_penalties", Decimal(150)),
        ("criminal_cases", Decimal(2)),
        ("criminal_referrals", Decimal(5)),
    }


def test_fines_and_confiscations_together_are_penalty_revenue() -> None:
    facts = facts_of(
        "Năm 2020, Cục Hải quan Gia Lai xử phạt vi phạm hành chính 150 vụ, phạt tiền và tịch thu hàng hóa 2 "
        "tỷ đồng."
    )
    assert {(f.metric, f.value) for f in facts} == {
        ("administrative_penalties", Decimal(150)),
        ("penalty_revenue", Decimal(2 * 10**9)),
    }


def test_the_anti_smuggling_department_is_a_subject_of_its_own() -> None:
    facts = facts_of("Tính đến 15/11/2020, Cục Điều tra chống buôn lậu đã bắt giữ, xử lý 300 vụ vi phạm.")
    assert keyed(facts) == {("cuc:dieu-tra-chong-buon-lau", "violations", "actual", Decimal(300))}


def test_a_partner_unit_is_not_the_subject() -> None:
    facts = facts_of(
        "Năm 2020, Chi cục Hải quan Lệ Xá đã phối hợp với Cục Điều tra chống buôn lậu phát hiện 12 vụ vi "
        "phạm."
    )
    assert {f.subject for f in facts} == {"chi-cuc:le-xa"}


# --- kinds ----------------------------------------------------------------------------------------------


def test_what_is_derived_from_an_estimate_is_an_estimate() -> None:
    facts = facts_of(
        "Dự kiến năm 2020, Cục Hải quan Gia Lai thu đạt 1.050 tỷ đồng. Như vậy, đơn vị sẽ vượt 5% dự toán."
    )
    assert keyed(facts) == {
        ("cuc:gia-lai", "budget_revenue", "estimate", Decimal(1050 * 10**9)),
        ("cuc:gia-lai", "budget_revenue_attainment", "estimate", Decimal(105)),
    }


def test_an_example_case_told_after_a_total_is_not_a_figure() -> None:
    facts = facts_of(
        "Năm 2020, Cục Hải quan Gia Lai phát hiện 90 vụ vi phạm.",
        "Điển hình, Chi cục Hải quan Lệ Thanh trong tháng 5/2020 đã phát hiện 2 vụ vận chuyển gỗ trái phép.",
    )
    assert keyed(facts) == {("cuc:gia-lai", "violations", "actual", Decimal(90))}


def test_revenue_named_in_a_paragraph_about_post_clearance_audits_is_theirs() -> None:
    facts = facts_of(
        "Trong tháng 10, Cục Hải quan Gia Lai đã hoàn thành 12 cuộc kiểm tra tại trụ sở doanh nghiệp; thu "
        "nộp vào ngân sách 180 triệu đồng."
    )
    assert facts == []


def test_passengers_are_travellers_customs_cleared() -> None:
    assert (
        facts_of("Trong số hành lý thất lạc, có 5 hành khách đứng tên trên 31 kiện hành lý năm 2020.") == []
    )
    facts = facts_of("Năm 2020, Chi cục Hải quan Nội Bài làm thủ tục cho 2.000 hành khách xuất nhập cảnh.")
    assert {f.metric for f in facts} == {"passengers"}


def test_news_of_an_incident_is_not_a_periods_count() -> None:
    facts = facts_of(
        "Chi cục Hải quan cửa khẩu Chi Lăng vừa phối hợp với công an huyện bắt giữ 2 vụ vận chuyển trái phép "
        "gia cầm."
    )
    assert facts == []


def test_forecasts_for_a_far_year_are_not_estimates_of_a_figure() -> None:
    assert (
        facts_of("Theo dự báo, đến năm 2030 xuất khẩu của Việt Nam sẽ tăng thêm hơn 6% nhờ hiệp định.") == []
    )


def test_vehicles_counted_and_a_provinces_enterprises_are_out_of_scope() -> None:
    assert facts_of("Tháng 10/2020, cả nước nhập khẩu 9.000 xe (kim ngạch đạt 200 triệu USD).") == []
    assert (
        facts_of(
            "Năm 2020, kim ngạch nhập khẩu của doanh nghiệp thành phố qua các cửa khẩu cả nước đạt 50 tỷ "
            "USD, giảm 1% so với năm 2019."
        )
        == []
    )


def test_a_commodity_named_earlier_in_the_clause_scopes_its_change() -> None:
    facts = facts_of(
        "Tháng 8/2020, xuất khẩu cá tra của Việt Nam không tăng như mong đợi, giá trị xuất khẩu giảm 6% so "
        "với cùng kỳ năm 2019."
    )
    assert facts == []


def test_the_sea_port_area_is_a_sub_area() -> None:
    facts = facts_of(
        "5 tháng năm 2018, kim ngạch XNK của Cục Hải quan Quảng Bình đạt 1 tỷ USD. Tổng kim ngạch xuất nhập "
        "khẩu qua khu vực cảng biển đạt 600 triệu USD, tăng 8% so với cùng kỳ năm 2017."
    )
    assert {f.value for f in facts} == {Decimal(10**9)}


# --- budgets --------------------------------------------------------------------------------------------


def test_an_endless_sentence_is_read_in_bounded_pieces_cut_at_clause_boundaries() -> None:
    endless = "Năm 2020, Cục Hải quan Gia Lai thu " + ", ".join(f"{i} tỷ đồng" for i in range(1, 3000))
    pieces = bounded_pieces(endless)
    assert len(pieces) > 1
    assert all(len(piece) <= MAX_SENTENCE_CHARS for piece in pieces)
    assert all(piece.endswith(",") for piece in pieces[:-1])
    assert " ".join(pieces).replace(" ", "") == endless.replace(" ", "")
    ordinary = "Năm 2020, Cục Hải quan Gia Lai thu 800 tỷ đồng."
    assert bounded_pieces(ordinary) == [ordinary]
    # Its facts come out (the first piece names the unit and the cue) in one pass over the text.
    assert facts_of(endless)


def test_a_half_of_the_month_in_force() -> None:
    facts = facts_of(
        "Trong tháng 10/2020, kim ngạch xuất khẩu cả nước đạt 25 tỷ USD. Ở chiều nhập khẩu, trong kỳ 1 đạt "
        "11,5 tỷ USD, giảm 4% so với kết quả thực hiện trong nửa cuối tháng 9/2020."
    )
    (imports,) = [f for f in facts if f.metric == "import_turnover"]
    assert period(imports) == (date(2020, 10, 1), date(2020, 10, 15))


def test_the_countrys_trade_is_never_as_small_as_one_industrys() -> None:
    facts = facts_of(
        "Năm 2020, kim ngạch xuất khẩu cả nước đạt 280 tỷ USD.",
        "Với kim ngạch xuất khẩu trên 1 tỷ USD, cây chè đã vào danh sách mặt hàng chủ lực.",
        "Dự báo, tổng kim ngạch xuất khẩu cả năm 2021 khoảng 30 tỷ USD, giảm khoảng 10% so với năm 2019.",
    )
    assert {f.value for f in facts if f.metric == "export_turnover"} == {Decimal(280 * 10**9)}


def test_seizures_in_a_window_of_days_are_news_not_a_count() -> None:
    facts = facts_of(
        "Chỉ trong vòng 3 ngày, Chi cục Hải quan cửa khẩu Chi Lăng bắt giữ 2 vụ vận chuyển trái phép "
        "hàng hóa."
    )
    assert facts == []


def test_a_branch_then_its_department_after_a_comma() -> None:
    facts = facts_of(
        "Quý 1/2021, Chi cục Hải quan cửa khẩu Cốc Nam, Cục Hải quan Lạng Sơn đã làm thủ tục cho 1.000 tờ "
        "khai, kim ngạch 100 triệu USD, tăng 15% so với kỳ trước."
    )
    assert {f.subject for f in facts} == {"chi-cuc:cua-khau-coc-nam"}


def test_customs_of_a_province_named_as_a_force() -> None:
    (mention,) = find_subjects("lực lượng Hải quan Quảng Bình đã phát hiện")
    assert mention.subject == "cuc:quang-binh"


def test_a_fine_on_one_company_and_a_rule_of_fines_are_not_penalty_revenue() -> None:
    assert facts_of("Năm 2020, UBND tỉnh xử phạt doanh nghiệp 50 triệu đồng và tịch thu hàng vi phạm.") == []
    assert (
        facts_of(
            "Người xuất cảnh không khai hải quan bị phạt tiền từ 1 đến 3 triệu đồng đối với trường hợp tang "
            "vật vi phạm có trị giá dưới 30 triệu đồng."
        )
        == []
    )


def test_a_source_named_with_its_information_is_not_the_subject() -> None:
    facts = facts_of(
        "Theo thông tin Tổng cục Hải quan vừa công bố, tính hết tháng 10/2020 tổng trị giá xuất khẩu đạt 229 "
        "tỷ USD, tăng 5% so với cùng kỳ năm trước."
    )
    assert {f.subject for f in facts} == {"ca-nuoc"}


def test_debt_recovery_and_the_ceiling_of_a_fine_are_not_revenue() -> None:
    assert facts_of("Năm 2018, số tiền thu hồi và xử lý nợ là 300 tỷ đồng, đạt 50% so với kế hoạch.") == []
    assert facts_of("Từ ngày 15/10/2020, cơ quan Hải quan có thể phạt tiền đến 100 triệu đồng.") == []


def test_a_breakdown_after_gom_and_one_flights_passengers_are_not_totals() -> None:
    facts = facts_of(
        "Trong tháng 10/2020, Chi cục Hải quan cửa khẩu Lao Bảo làm thủ tục cho 2.400 tờ khai gồm 1.600 tờ "
        "khai xuất khẩu và 800 tờ khai nhập khẩu."
    )
    assert {f.value for f in facts} == {Decimal(2400)}
    assert facts_of("Chuyến bay mang số hiệu VN50 có 304 hành khách nhập cảnh lúc 8 giờ năm 2020.") == []


def test_two_zones_named_together_and_a_capital_cuc_name_one_branch() -> None:
    def subjects(text: str) -> list[str]:
        return [m.subject for m in find_subjects(text)]

    assert subjects("Chi cục Hải quan KCX và KCN với 36.000 tờ khai") == ["chi-cuc:kcx-va-kcn"]
    assert subjects("Chi cục Hải quan KCX&KCN thu") == ["chi-cuc:kcx-va-kcn"]
    assert subjects("Chi Cục Hải quan cửa khẩu cảng Cái Lân với 3.000 tờ khai") == [
        "chi-cuc:cua-khau-cang-cai-lan"
    ]
    assert subjects("Chi cục Hải quan Bắc Ninh và Cục Hải quan Hà Nội") == ["chi-cuc:bac-ninh", "cuc:ha-noi"]


def test_other_auditors_and_joint_stations_are_not_customs() -> None:
    assert (
        facts_of("Năm 2018, KTNN đã kiến nghị xử lý tài chính 89.600 tỷ đồng, thu về NSNN 20.518 tỷ đồng.")
        == []
    )
    assert (
        facts_of(
            "Từ 1/1 đến 15/11/2020, Trạm Kiểm soát liên hợp Km20 đã phát hiện, xử lý 60 vụ, tổng trị giá "
            "hàng hóa vi phạm hơn 4,3 tỷ đồng."
        )
        == []
    )


def test_the_export_and_import_parts_of_a_declaration_total() -> None:
    facts = facts_of(
        "Tháng 8/2020, Cục Hải quan Hải Phòng làm thủ tục cho 150.000 tờ khai. Trong đó, 85.000 tờ khai nhập "
        "khẩu và 65.000 tờ khai xuất khẩu."
    )
    assert {f.value for f in facts} == {Decimal(150000)}


def test_a_supposition_is_not_an_estimate_but_a_contrast_of_two_years_is_read() -> None:
    assert (
        facts_of(
            "Theo tính toán, nếu 2 tháng cuối năm 2020 Việt Nam duy trì đà này thì quy mô cả năm có thể đạt "
            "xấp xỉ 540 tỷ USD."
        )
        == []
    )
    facts = facts_of(
        "Cụ thể, nếu năm 2019 Cục Hải quan Gia Lai xử lý vi phạm hành chính 85 vụ thì trong 10 tháng năm "
        "2020 có đến 198 vụ vi phạm hành chính."
    )
    assert {f.value for f in facts} == {Decimal(85), Decimal(198)}


def test_an_amount_named_as_the_budget_estimate_is_a_target() -> None:
    (fact,) = facts_of(
        "Cụ thể là hoàn thành nhiệm vụ thu ngân sách năm 2021 của Cục Hải quan Bình Phước là 1.200 tỷ đồng "
        "theo dự toán Bộ Tài chính giao."
    )
    assert (fact.kind, fact.target_type) == ("target", "du-toan")


def test_the_world_is_not_the_country() -> None:
    assert (
        facts_of("Theo một trung tâm quốc tế, kim ngạch XK của 44 quốc gia đến hết tháng 7/2020 giảm 12,4%.")
        == []
    )


def test_an_amount_followed_by_its_share_of_a_target_is_revenue() -> None:
    facts = facts_of(
        "Tính chung 8 tháng đầu năm 2020 đạt 200.000 tỷ đồng bằng 59% dự toán (dự toán giao 338.000 tỷ "
        "đồng), bằng 56% chỉ tiêu phấn đấu."
    )
    assert ("budget_revenue", "actual", Decimal(200_000 * 10**9)) in {
        (f.metric, f.kind, f.value) for f in facts
    }
    assert {f.kind for f in facts if f.metric == "budget_revenue_attainment"} == {"actual"}


def test_the_value_of_seized_goods_changing_is_not_trade() -> None:
    facts = facts_of(
        "Năm 2020, Cục Hải quan Gia Lai phát hiện 100 vụ vi phạm. So với cùng kỳ năm 2019, số vụ việc giảm "
        "39,7%; trị giá hàng hóa tăng 1,6%."
    )
    assert not [f for f in facts if f.metric.startswith("trade")]


def test_a_province_exporting_scenarios_fines_and_foreign_invested_trade_are_out_of_scope() -> None:
    assert facts_of("Như vậy, đến nay Bình Dương xuất siêu 5,98 tỷ USD trong năm 2020.") == []
    assert facts_of("Xuất khẩu cả năm 2021 dự báo tăng 4,23% trong kịch bản 1 và 5% trong kịch bản 2.") == []
    assert facts_of("Năm 2020, mức phạt tiền tối đa trong lĩnh vực hàng giả là 200 triệu đồng.") == []
    assert (
        facts_of("Khu vực có vốn đầu tư nước ngoài đã xuất siêu hơn 27,5 tỷ USD trong 9 tháng năm 2020.")
        == []
    )
    assert facts_of("Tại tờ khai thứ nhất năm 2020, tổng số thuế phải nộp 46 triệu đồng.") == []


def test_drug_cases_told_by_what_was_seized_fees_pilots_and_volumes_are_not_totals() -> None:
    assert (
        facts_of(
            "Năm 2020, Hải quan Việt Nam đã chủ trì và phối hợp bắt giữ 129 vụ với 162 đối tượng, thu giữ "
            "hơn 800 kg ma túy các loại."
        )
        == []
    )
    assert (
        facts_of("Năm 2020, Cục Hải quan Lạng Sơn thu đạt 420 tỷ đồng tiền phí theo quyết định của tỉnh.")
        == []
    )
    assert (
        facts_of("Phát huy hiệu quả của đề án, năm 2020 Cục Hải quan TPHCM thực hiện trên 35.000 tờ khai.")
        == []
    )
    assert (
        facts_of("Kết quả xuất khẩu trong tháng 10/2020 tăng nhẹ 0,3% so với số lượng xuất khẩu tháng 9.")
        == []
    )


def test_this_mornings_seizures_and_a_meetings_guests_are_not_totals() -> None:
    assert (
        facts_of(
            "Chi cục Hải quan cửa khẩu Chi Lăng cho biết, chỉ trong sáng nay, đơn vị đã phát hiện và bắt giữ "
            "2 vụ vận chuyển trái phép hàng hóa."
        )
        == []
    )
    assert (
        facts_of(
            "Tham dự tọa đàm năm 2020 có lãnh đạo Tổng cục Hải quan và đại diện hơn 200 doanh nghiệp làm thủ "
            "tục hải quan."
        )
        == []
    )


def test_an_example_month_of_the_whole_department_is_its_figure() -> None:
    facts = facts_of(
        "Năm 2020, Cục Hải quan Hải Phòng thu ngân sách đạt 50.000 tỷ đồng. Điển hình như tháng 7 vừa qua, "
        "tổng kim ngạch xuất nhập khẩu toàn Cục đạt khoảng 7,5 tỷ USD."
    )
    (trade,) = [f for f in facts if f.metric == "trade_turnover"]
    assert (trade.subject, period(trade)) == ("cuc:hai-phong", (date(2020, 7, 1), date(2020, 7, 31)))


def test_a_sentence_starting_with_a_vietnamese_capital_is_split_off() -> None:
    text = (
        "Đến ngày 15/12, đơn vị thu 100 tỷ đồng. Ước đến hết ngày 31/12, đơn vị thu 120 tỷ. Đây là mức cao."
    )
    assert len(split_sentences(text)) == 3


def test_the_month_in_force() -> None:
    facts = facts_of(
        "Trong 10 tháng năm 2020, Cục Hải quan Hà Nội thu 20.000 tỷ đồng. Nhờ đó số thu NSNN trong tháng của "
        "Cục Hải quan Hà Nội cũng tăng so với tháng trước, đạt 1.970 tỷ đồng."
    )
    (month,) = [f for f in facts if f.value == Decimal(1970 * 10**9)]
    assert period(month) == (date(2020, 10, 1), date(2020, 10, 31))


def test_a_sentence_compared_with_a_year_reports_the_year_after() -> None:
    republished = Article(
        url="https://example.test/b/",
        title="Tin tức hải quan",
        published=datetime(2021, 1, 12, 9, 0, tzinfo=UTC),  # a bulk re-publication date
        lead="",
        blocks=(
            "Tính đến ngày 24/8, số thu NSNN của Cục Hải quan Gia Lai đạt 353 tỷ đồng, giảm 27% so với cùng "
            "kỳ năm 2019.",
        ),
    )
    (revenue,) = [f for f in extract_facts(republished) if f.metric == "budget_revenue"]
    assert period(revenue) == (date(2020, 1, 1), date(2020, 8, 24))


def test_a_heading_with_a_decimal_comma_is_still_a_heading() -> None:
    facts = facts_of("Thu ngân sách sẽ đạt 101,8% dự toán", "Năm 2020, Cục Hải quan Gia Lai thu 500 tỷ đồng.")
    assert {f.metric for f in facts} == {"budget_revenue"}


def test_a_department_building_a_plan_is_the_actor_and_recent_seizures_are_news() -> None:
    (mention,) = find_subjects("Cục Hải quan Gia Lai xây dựng kế hoạch, chương trình hành động và phấn đấu")
    assert mention.subject == "cuc:gia-lai"
    assert (
        facts_of(
            "Thời gian gần đây, lực lượng Hải quan Gia Lai đã bắt giữ 3 vụ vận chuyển gia cầm trái phép."
        )
        == []
    )
    assert facts_of("Tháng 3/2020, trị giá hàng theo khai báo của 2 tờ khai trên 441 triệu đồng.") == []


def published_in_january(*blocks: str) -> list[Fact]:
    return extract_facts(
        Article(
            url="https://example.test/c/",
            title="Tin tức hải quan",
            published=datetime(2021, 1, 20, 9, 0, tzinfo=UTC),
            lead="",
            blocks=blocks,
        )
    )


def test_a_month_not_yet_begun_when_the_page_was_published_is_last_years() -> None:
    (revenue,) = published_in_january("Trong tháng 10, Cục Hải quan Gia Lai thu ngân sách đạt 40 tỷ đồng.")
    assert period(revenue) == (date(2020, 10, 1), date(2020, 10, 31))


def test_a_result_for_a_year_long_after_the_page_is_a_plan_not_a_fact() -> None:
    assert published_in_january("Kim ngạch xuất khẩu cả nước đạt khoảng 400 tỷ USD vào năm 2025.") == []
    (export,) = published_in_january("Năm 2020, kim ngạch xuất khẩu cả nước đạt 280 tỷ USD.")
    assert period(export) == (date(2020, 1, 1), date(2020, 12, 31))


def test_an_amount_that_must_be_reached_is_a_target() -> None:
    (revenue,) = facts_of(
        "Bộ Tài chính giao ngành Hải quan thu ngân sách năm 2021 tối thiểu phải đạt 300.000 tỷ đồng."
    )
    assert (revenue.kind, revenue.target_type) == ("target", "chi-tieu")


def test_up_to_the_end_of_a_month_runs_from_the_start_of_the_year() -> None:
    (revenue,) = facts_of(
        "Tính đến cuối tháng 4/2020, số thu ngân sách của Cục Hải quan Gia Lai đạt 120 tỷ đồng."
    )
    assert period(revenue) == (date(2020, 1, 1), date(2020, 4, 30))


def test_a_group_of_enterprises_is_not_the_whole_country() -> None:
    assert (
        facts_of(
            "Từ đầu năm đến hết ngày 15/11/2020, trị giá xuất khẩu của nhóm các doanh nghiệp này "
            "đạt 150 tỷ USD, tăng 5% so với cùng kỳ."
        )
        == []
    )


def test_money_handed_over_as_a_gift_is_not_collected() -> None:
    assert (
        facts_of("Cục Điều tra chống buôn lậu vừa trao số tiền 30 triệu đồng ủng hộ đồng bào vùng lũ.") == []
    )


# --- recall on unseen articles (extractor 0.4.x): invented sentences, one pattern each -------------------


def test_the_police_a_case_is_handed_over_to_do_not_make_the_count_theirs() -> None:
    facts = facts_of(
        "Cục Hải quan Phú Yên vừa tổng kết công tác năm 2020.",
        "Trong năm, Cục đã khởi tố 3 vụ án hình sự và bàn giao hồ sơ cho Cơ quan Cảnh sát điều tra "
        "Công an tỉnh Phú Yên tiếp tục điều tra.",
        "Đơn vị cũng phát hiện 41 vụ vi phạm pháp luật hải quan.",
    )
    assert keyed(facts) == {
        ("cuc:phu-yen", "criminal_cases", "actual", Decimal(3)),
        ("cuc:phu-yen", "violations", "actual", Decimal(41)),
    }


def test_police_working_alongside_still_make_the_count_theirs() -> None:
    assert facts_of("Năm 2020, Công an tỉnh Phú Yên đã khởi tố 12 vụ án buôn lậu.") == []


def test_a_count_of_cases_handed_to_the_police_is_a_referral() -> None:
    facts = facts_of(
        "Năm 2020, Cục Điều tra chống buôn lậu đã khởi tố 7 vụ; chuyển hồ sơ 9 vụ việc cho cơ quan Công an "
        "đề nghị điều tra theo thẩm quyền."
    )
    assert keyed(facts) == {
        ("cuc:dieu-tra-chong-buon-lau", "criminal_cases", "actual", Decimal(7)),
        ("cuc:dieu-tra-chong-buon-lau", "criminal_referrals", "actual", Decimal(9)),
    }


def test_cases_handed_to_another_body_are_not_the_units_own_penalties() -> None:
    facts = facts_of(
        "Năm 2020, Cục Hải quan Phú Yên đã xử phạt vi phạm hành chính 120 vụ, chuyển UBND tỉnh Phú Yên "
        "xử lý 4 vụ."
    )
    assert keyed(facts) == {("cuc:phu-yen", "administrative_penalties", "actual", Decimal(120))}


def test_transporting_goods_is_not_handing_cases_over() -> None:
    facts = facts_of(
        "Năm 2020, Cục Hải quan Phú Yên đã xử phạt vi phạm hành chính 40 vụ; 1 vụ vận chuyển pháo nổ; "
        "chủ trì bắt giữ 5 vụ buôn lậu."
    )
    assert ("cuc:phu-yen", "violations", "actual", Decimal(5)) in keyed(facts)


def test_customs_officers_in_a_text_about_one_department_are_that_departments() -> None:
    facts = facts_of(
        "Năm 2020, Cục Hải quan Phú Yên đã xử phạt vi phạm hành chính 52 vụ.",
        "Qua đó, lực lượng Hải quan đã xử phạt vi phạm với tổng số tiền phạt 2,5 tỷ đồng.",
    )
    assert keyed(facts) == {
        ("cuc:phu-yen", "administrative_penalties", "actual", Decimal(52)),
        ("cuc:phu-yen", "penalty_revenue", "actual", Decimal(2_500_000_000)),
    }


def test_customs_officers_in_a_text_about_the_sector_are_the_sectors() -> None:
    facts = facts_of(
        "Năm 2020, toàn ngành Hải quan đã phát hiện 15.000 vụ vi phạm.",
        "Cơ quan Hải quan đã khởi tố 40 vụ án hình sự.",
    )
    assert {f.subject for f in facts} == {"tong-cuc"}


def test_a_bare_cuc_points_back_to_the_department_after_a_word_on_the_sector() -> None:
    facts = facts_of(
        "Cục Hải quan Phú Yên thu ngân sách 8 tháng năm 2020 đạt 600 tỷ đồng, đóng góp 0,3% tổng thu của "
        "toàn Ngành.",
        "Số thu của Cục giảm 70 tỷ đồng so với cùng kỳ năm 2019 (cùng kỳ năm 2019 đạt 670 tỷ đồng).",
    )
    assert ("cuc:phu-yen", "budget_revenue", "actual", Decimal(670_000_000_000)) in keyed(facts)
    assert "tong-cuc" not in {f.subject for f in facts}


def test_a_goal_named_in_the_clause_before_does_not_make_a_result_a_goal() -> None:
    facts = facts_of(
        "Năm 2020, Chi cục Hải quan Tuy Hòa đạt 150% so với chỉ tiêu phấn đấu Cục Hải quan Phú Yên giao; "
        "Chi cục Hải quan Vũng Rô đạt 120% chỉ tiêu."
    )
    vung_ro = [f for f in facts if f.subject == "chi-cuc:vung-ro"]
    assert [(f.metric, f.kind, f.value) for f in vung_ro] == [
        ("budget_revenue_attainment", "actual", Decimal(120))
    ]


def test_a_result_up_to_a_day_long_after_a_yearless_page_is_last_years() -> None:
    facts = published_in_january(
        "Tính đến hết ngày 20/11, Cục Hải quan Phú Yên thu ngân sách đạt 800 tỷ đồng.",
        "Đơn vị cũng phát hiện 25 vụ vi phạm.",
    )
    assert {period(f) for f in facts} == {(date(2020, 1, 1), date(2020, 11, 20))}


def test_a_result_of_the_month_a_yearless_page_was_published_in_keeps_its_year() -> None:
    (revenue,) = published_in_january("Trong tháng 1, Cục Hải quan Phú Yên thu ngân sách đạt 80 tỷ đồng.")
    assert period(revenue) == (date(2021, 1, 1), date(2021, 1, 31))


def test_a_goal_up_to_the_years_end_keeps_the_pages_year() -> None:
    (target,) = published_in_january("Cục Hải quan Phú Yên phấn đấu đến hết 31/12 thu ngân sách 900 tỷ đồng.")
    assert (target.kind, period(target)) == ("target", (date(2021, 1, 1), date(2021, 12, 31)))


def test_the_value_of_the_goods_a_unit_cleared_is_its_trade_turnover() -> None:
    (turnover,) = facts_of("Tháng 10, Hải quan Phú Yên thông quan lượng hàng hóa đạt trị giá 2,5 tỷ USD.")
    assert (turnover.subject, turnover.metric, turnover.value) == (
        "cuc:phu-yen",
        "trade_turnover",
        Decimal(2_500_000_000),
    )


def test_a_volume_of_one_good_is_still_not_a_turnover() -> None:
    sentence = "Tháng 10, Hải quan Phú Yên làm thủ tục cho lượng xăng dầu nhập khẩu trị giá 90 triệu USD."
    assert facts_of(sentence) == []


def test_the_next_sentence_carries_last_years_month_too() -> None:
    facts = published_in_january(
        "Tháng 10, kim ngạch xuất nhập khẩu cả nước ước đạt 50 tỷ USD.",
        "Trong đó, kim ngạch xuất khẩu ước đạt 26 tỷ USD.",
    )
    assert {period(f) for f in facts} == {(date(2020, 10, 1), date(2020, 10, 31))}


def test_the_tong_cuc_named_as_the_source_of_trade_figures_is_not_their_subject() -> None:
    facts = facts_of(
        "Theo thông tin được Tổng cục Hải quan công bố, tháng 9/2020 kim ngạch xuất khẩu đạt 25 tỷ USD.",
        "Trong khi đó, kim ngạch nhập khẩu đạt 23 tỷ USD.",
    )
    assert {(f.subject, f.metric) for f in facts} == {
        ("ca-nuoc", "export_turnover"),
        ("ca-nuoc", "import_turnover"),
    }


def test_an_amount_right_after_giao_is_a_target() -> None:
    facts = facts_of(
        "Năm 2021, Cục Hải quan Phú Yên được Bộ Tài chính giao chỉ tiêu thu ngân sách là 700 tỷ đồng, "
        "Tổng cục Hải quan giao 750 tỷ đồng."
    )
    assert {(f.kind, f.value) for f in facts} == {
        ("target", Decimal(700_000_000_000)),
        ("target", Decimal(750_000_000_000)),
    }


def test_what_a_unit_has_paid_in_after_talk_of_sharing_out_targets_is_a_result() -> None:
    facts = facts_of(
        "Sau khi phân bổ chỉ tiêu cho từng chi cục, năm 2020 Cục Hải quan "
        "Phú Yên đã nộp ngân sách 640 tỷ đồng."
    )
    assert keyed(facts) == {("cuc:phu-yen", "budget_revenue", "actual", Decimal(640_000_000_000))}


def test_by_how_much_a_target_named_before_was_passed_is_a_difference() -> None:
    facts = facts_of(
        "Năm 2020, Cục Hải quan Phú Yên thu ngân sách 800 tỷ đồng.",
        "Như vậy, so với chỉ tiêu đầu năm, Cục Hải quan Phú Yên đã thu vượt hơn 90 tỷ đồng.",
    )
    assert keyed(facts) == {("cuc:phu-yen", "budget_revenue", "actual", Decimal(800_000_000_000))}


def test_prosecutions_named_inside_a_total_of_cases_are_their_own_metric() -> None:
    facts = facts_of(
        "Năm 2020, Cục Hải quan Phú Yên phát hiện 300 vụ vi phạm, trong đó đơn vị đã khởi tố hình sự 4 vụ."
    )
    assert keyed(facts) == {
        ("cuc:phu-yen", "violations", "actual", Decimal(300)),
        ("cuc:phu-yen", "criminal_cases", "actual", Decimal(4)),
    }


def test_a_breakdown_of_prosecutions_is_still_a_part() -> None:
    facts = facts_of("Năm 2020, Cục Hải quan Phú Yên đã khởi tố 9 vụ án, trong đó 3 vụ buôn lậu thuốc lá.")
    assert keyed(facts) == {("cuc:phu-yen", "criminal_cases", "actual", Decimal(9))}


def test_the_name_of_the_crime_charged_is_not_what_is_counted() -> None:
    facts = facts_of(
        "Năm 2020, Cục Hải quan Phú Yên phát hiện 300 vụ vi phạm.",
        "Trong đó, đơn vị đã ra quyết định khởi tố vụ án hình sự về tội “Buôn lậu” 6 vụ.",
    )
    assert ("cuc:phu-yen", "criminal_cases", "actual", Decimal(6)) in keyed(facts)


def test_the_cases_customs_fined_are_administrative_penalties() -> None:
    facts = facts_of(
        "Năm 2020, Cục Hải quan Phú Yên đã phát hiện 90 vụ vi phạm; ra quyết định xử phạt 85 vụ, số tiền "
        "phạt nộp ngân sách 1,2 tỷ đồng."
    )
    assert keyed(facts) == {
        ("cuc:phu-yen", "violations", "actual", Decimal(90)),
        ("cuc:phu-yen", "administrative_penalties", "actual", Decimal(85)),
        ("cuc:phu-yen", "penalty_revenue", "actual", Decimal(1_200_000_000)),
    }


def test_cases_sent_up_to_the_department_do_not_hide_the_referrals_after_them() -> None:
    facts = facts_of(
        "Năm 2020, Chi cục Hải quan Vũng Rô đã phát hiện 200 vụ vi phạm. Trong đó xử phạt vi phạm hành chính "
        "190 vụ; chuyển hồ sơ lên cấp Cục 3 vụ và chuyển cơ quan khác đề nghị khởi tố 7 vụ."
    )
    assert keyed(facts) == {
        ("chi-cuc:vung-ro", "violations", "actual", Decimal(200)),
        ("chi-cuc:vung-ro", "administrative_penalties", "actual", Decimal(190)),
        ("chi-cuc:vung-ro", "criminal_referrals", "actual", Decimal(7)),
    }


def test_a_run_of_units_takes_the_metric_the_first_of_them_named() -> None:
    facts = facts_of(
        "Hết tháng 8/2020, Cục Hải quan Phú Yên thu ngân sách đạt 600 tỷ đồng, giảm 5% so với cùng kỳ.",
        "Cục Hải quan Gia Lai đạt 210 tỷ đồng, giảm 12% so với cùng kỳ.",
        "Chi cục Hải quan Vũng Rô đạt 95 tỷ đồng.",
    )
    billion = Decimal(10**9)
    assert {(f.subject, f.value) for f in facts if f.metric == "budget_revenue"} == {
        ("cuc:phu-yen", 600 * billion),
        ("cuc:gia-lai", 210 * billion),
        ("chi-cuc:vung-ro", 95 * billion),
    }
    assert ("cuc:gia-lai", "budget_revenue_change", "actual", Decimal(-12)) in keyed(facts)


def test_a_unit_reaching_an_amount_with_no_run_before_it_is_not_read_as_revenue() -> None:
    assert (
        facts_of(
            "Năm 2020, Cục Hải quan Phú Yên tổ chức nhiều hội nghị đối thoại.",
            "Cục Hải quan Gia Lai được 50 triệu đồng từ quỹ khen thưởng.",
        )
        == []
    )


def test_the_year_in_a_documents_number_is_not_the_year_of_the_figures() -> None:
    facts = published_in_january(
        "Theo Thông tư số 15/2016/TT-BTC, hàng hóa này không được xuất khẩu.",
        "Lũy kế từ đầu năm đến 15/7, Cục Hải quan Phú Yên phát hiện 40 vụ vi phạm.",
    )
    assert [period(f) for f in facts] == [(date(2020, 1, 1), date(2020, 7, 15))]
