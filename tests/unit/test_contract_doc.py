"""docs/contract.md and the JSON Schemas say what the code does: the generated sections are up to date, the
schemas enumerate the code's metric ids, allowed values and subject pattern, and the extractor's subject
builders stay within that pattern."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common import contract_doc
from services.common.contract_doc import COMMAND, DOC, SECTIONS, render, stale_sections
from services.common.facts import (
    BOUNDS,
    KINDS,
    KNOWN_METRICS,
    SCORED_METRIC_MEANINGS,
    SCORED_METRICS,
    SUBJECT_FORMS,
    SUBJECT_PATTERN,
    SUBJECT_SLUG,
    TARGET_TYPES,
    UNITS,
)
from services.extractor.domain.subjects import OTHER_UNIT, UNRESOLVED_PLACE, find_subjects, place_id
from services.store import consolidation

SCHEMAS = Path(__file__).resolve().parents[2] / "services" / "common" / "schemas"


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text("utf-8"))
    return loaded


# --- the generated sections ----------------------------------------------------------------------------


def test_the_contract_document_is_up_to_date() -> None:
    stale = stale_sections(DOC.read_text("utf-8"))
    assert not stale, f"docs/contract.md: stale generated section(s) {stale}: run `{COMMAND}`"


def test_check_names_the_stale_section_and_a_rewrite_fixes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = DOC.read_text("utf-8")
    doc = tmp_path / "contract.md"
    tampered = original.replace("| `budget_revenue` | `VND` | yes |", "| `budget_revenue` | `USD` | yes |")
    assert tampered != original
    doc.write_text(tampered)
    assert contract_doc.main(["--check", "--doc", str(doc)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert "generated:metrics" in line and "generated:enums" not in line and COMMAND in line
    assert contract_doc.main(["--doc", str(doc)]) == 0
    assert doc.read_text("utf-8") == original
    assert contract_doc.main(["--check", "--doc", str(doc)]) == 0


def test_the_hand_written_text_is_kept_and_broken_markers_are_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "".join(f"intro {n}\n<!-- generated:{n} -->\nSTALE\n<!-- /generated:{n} -->\n" for n in SECTIONS)
    rendered = render(text)
    assert all(f"intro {n}\n" in rendered for n in SECTIONS) and "STALE" not in rendered
    assert stale_sections(rendered) == []
    doc = tmp_path / "contract.md"
    doc.write_text(text.replace("<!-- /generated:enums -->", ""))
    assert contract_doc.main(["--check", "--doc", str(doc)]) == 1
    assert "'enums'" in capsys.readouterr().err
    doc.write_text(text + "<!-- generated:typo -->\n<!-- /generated:typo -->\n")
    assert contract_doc.main(["--doc", str(doc)]) == 1
    assert "unknown generated section 'typo'" in capsys.readouterr().err


def test_every_scored_metric_says_what_it_measures() -> None:
    assert set(SCORED_METRIC_MEANINGS) == set(SCORED_METRICS)


def test_the_observation_figures_quoted_in_the_contract_are_the_code_s() -> None:
    text = DOC.read_text("utf-8")
    section = text[text.index("## 8. Observations") : text.index("## 9.")]
    for share in (
        consolidation.ROUND_FIGURE_SHARE,
        consolidation.ABOUT_SHARE,
        consolidation.OPEN_BOUND_SHARE,
    ):
        assert f"{float(share * 100):g} %" in section, share


# --- the schemas mirror the code -----------------------------------------------------------------------


def test_the_facts_schema_enumerates_the_code_s_ids_values_and_subject_pattern() -> None:
    properties = schema("facts.v1.json")["properties"]
    assert properties["metric"]["enum"] == list(KNOWN_METRICS)
    assert properties["subject"]["pattern"] == SUBJECT_PATTERN
    assert set(properties["kind"]["enum"]) == KINDS
    assert set(properties["unit"]["enum"]) == UNITS
    assert set(properties["bound"]["enum"]) == BOUNDS
    assert set(properties["target_type"]["enum"]) == {*TARGET_TYPES, None}


def test_the_observations_schema_does_not_contradict_the_code() -> None:
    properties = schema("observations.v1.json")["properties"]
    # Where it enumerates or patterns a field, it is the code's list (both are optional there for now).
    if "enum" in properties["metric"]:
        assert properties["metric"]["enum"] == list(KNOWN_METRICS)
    if "pattern" in properties["subject"]:
        assert properties["subject"]["pattern"] == SUBJECT_PATTERN
    assert set(properties["kind"]["enum"]) == KINDS
    assert set(properties["unit"]["enum"]) == UNITS
    assert set(properties["bound"]["enum"]) == BOUNDS
    assert set(properties["target_type"]["enum"]) == {*TARGET_TYPES, None}


# --- the extractor's subjects fit the pattern ----------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        "tong-cuc",
        "ca-nuoc",
        "cuc:ho-chi-minh",
        "cuc:dieu-tra-chong-buon-lau",
        "chi-cuc:kcx-va-kcn",
        "cuc:a1-2",
    ],
)
def test_real_subjects_match(subject: str) -> None:
    assert re.match(SUBJECT_PATTERN, subject)


@pytest.mark.parametrize(
    "subject", ["cuc:", "chi-cuc:", "cuc:-x", "cuc:x-", "cuc:a--b", "cuc:Ha-Noi", "ubnd:ha-noi", "other", "x"]
)
def test_other_strings_do_not(subject: str) -> None:
    assert not re.match(SUBJECT_PATTERN, subject)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_a_folded_name_is_a_slug_or_nothing(name: str) -> None:
    # place_id makes every cuc:/chi-cuc: slug; it folds to [a-z0-9] words joined by single dashes.
    folded = place_id(name)
    assert folded == "" or re.fullmatch(SUBJECT_SLUG, folded), folded


@pytest.mark.parametrize(
    "sentence",
    [
        "Cục Hải quan TP.HCM thu 100 tỷ đồng, Hải quan Bà Rịa – Vũng Tàu thu 50 tỷ đồng.",
        "Chi cục Hải quan cửa khẩu cảng Hòn Gai (Cục Hải quan Quảng Ninh) thu 10 tỷ đồng.",
        "Cục Điều tra chống buôn lậu phát hiện 100 vụ; toàn ngành Hải quan thu 300 nghìn tỷ đồng.",
        "Kim ngạch xuất nhập khẩu cả nước đạt 500 tỷ USD; Chi cục Hải quan KCX&KCN Linh Trung thu 5 tỷ.",
    ],
)
def test_the_subjects_the_extractor_finds_match(sentence: str) -> None:
    subjects = [m.subject for m in find_subjects(sentence)]
    assert subjects
    for subject in subjects:
        # "other" and "place:" are the extractor's own markers: never a fact's subject.
        if subject != OTHER_UNIT and not subject.startswith(UNRESOLVED_PLACE):
            assert re.match(SUBJECT_PATTERN, subject), subject


def test_the_subject_forms_are_the_pattern() -> None:
    assert "^(?:" + "|".join(regex for regex, _ in SUBJECT_FORMS.values()) + ")$" == SUBJECT_PATTERN
