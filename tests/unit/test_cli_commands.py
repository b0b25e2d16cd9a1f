"""`hqfacts extract` on files and stdin, with the page's charset; the SQL of the `hqfacts facts` filters."""

from __future__ import annotations

import json
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.dialects import postgresql

from services.cli import cli
from services.extractor.cli import read_page
from services.store.cli import facts_query

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "deploy" / "demo-site" / "hai-quan-demo-thu-ngan-sach-9-thang" / "index.html"
OTHER = REPO / "deploy" / "demo-site" / "hai-quan-demo-kim-ngach-xuat-nhap-khau-6-thang" / "index.html"


def _facts(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_extract_reads_several_files() -> None:
    one = CliRunner().invoke(cli, ["extract", str(PAGE)])
    other = CliRunner().invoke(cli, ["extract", str(OTHER)])
    both = CliRunner().invoke(cli, ["extract", str(PAGE), str(OTHER)])
    assert one.exit_code == other.exit_code == both.exit_code == 0
    assert _facts(one.stdout) and _facts(other.stdout)
    assert _facts(both.stdout) == _facts(one.stdout) + _facts(other.stdout)


def test_extract_reads_stdin() -> None:
    from_file = CliRunner().invoke(cli, ["extract", str(PAGE), "--url", "https://example.test/a/"])
    from_stdin = CliRunner().invoke(
        cli, ["extract", "-", "--url", "https://example.test/a/"], input=PAGE.read_bytes()
    )
    assert from_stdin.exit_code == 0, from_stdin.output
    assert _facts(from_stdin.stdout) == _facts(from_file.stdout) != []


def test_extract_prints_a_table() -> None:
    result = CliRunner().invoke(cli, ["extract", "--format", "table", str(PAGE)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["subject", "metric", "kind", "value"]
    assert f"{len(_facts(CliRunner().invoke(cli, ['extract', str(PAGE)]).stdout))} fact(s)" in lines[-1]
    assert "hai-quan-demo-thu-ngan-sach-9-thang" in result.stdout  # the page's folder names the article


def test_extract_reports_a_binary_or_missing_file_in_one_line_and_goes_on(tmp_path: Path) -> None:
    binary = tmp_path / "image.html"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    result = CliRunner().invoke(cli, ["extract", str(binary), str(tmp_path / "nosuch.html"), str(PAGE)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {binary}: a binary file, not an HTML page",
        f"error: {tmp_path / 'nosuch.html'}: No such file or directory",
    ]
    assert _facts(result.stdout)  # the good page is still extracted


def test_extract_says_when_a_page_is_not_an_article(tmp_path: Path) -> None:
    page = tmp_path / "empty.html"
    page.write_text("<html><body><p>nothing</p></body></html>", encoding="utf-8")
    result = CliRunner().invoke(cli, ["extract", str(page)])
    assert result.exit_code == 1 and result.stderr.strip() == f"error: {page}: not an article page"


def test_url_is_for_one_page() -> None:
    result = CliRunner().invoke(cli, ["extract", "--url", "https://x.test/", str(PAGE), str(OTHER)])
    assert result.exit_code == 2 and "one file only" in result.output


_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below


def _cp1258(text: str) -> bytes:
    """Vietnamese in windows-1258: the base letter precomposed (ê, ơ, ư...), the tone a combining mark."""
    out = bytearray()
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
        out += (base + "".join(c for c in decomposed if c in _TONES)).encode("cp1258")
    return bytes(out)


def test_a_page_is_decoded_with_its_meta_charset() -> None:
    body = "Cục Hải quan Hà Nội thu 4.290 tỷ đồng, đạt 103,6% dự toán"
    text = f"<html><head><meta charset=windows-1258></head><body>{body}</body></html>"
    assert unicodedata.normalize("NFC", read_page(_cp1258(text), "p.html")) == text


def test_a_page_that_is_not_its_charset_is_read_with_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    assert read_page(b"<p>Hi \xff\xfe</p>", "p.html") == "<p>Hi \ufffd\ufffd</p>"
    assert (
        capsys.readouterr().err.strip()
        == "warning: p.html: not valid utf-8 (its charset, else UTF-8): bad bytes replaced"
    )


def test_extract_honours_the_charset_end_to_end(tmp_path: Path) -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert '<meta charset="UTF-8" />' in text
    page = tmp_path / "cp1258.html"
    page.write_bytes(_cp1258(text.replace('<meta charset="UTF-8" />', '<meta charset="windows-1258" />')))
    result = CliRunner().invoke(cli, ["extract", str(page)])
    assert result.exit_code == 0 and result.stderr == ""
    assert {f["metric"] for f in _facts(result.stdout)} >= {"budget_revenue", "trade_turnover"}


def _where(**filters: object) -> tuple[str, set[object]]:
    compiled = facts_query(**filters).compile(dialect=postgresql.dialect())  # type: ignore[arg-type,no-untyped-call]
    sql = str(compiled)
    return sql[sql.index("WHERE") :], set(compiled.params.values())


def test_facts_filters_in_sql() -> None:
    sql, params = _where(subject="cuc:*")
    assert "facts.subject LIKE" in sql and "cuc:%" in params
    sql, params = _where(subject="tong-cuc")
    assert "facts.subject =" in sql and "tong-cuc" in params
    sql, params = _where(subject="a_b%*")
    assert "a\\_b\\%%" in params  # the subject's own _ and % are literal
    sql, params = _where(year=2021)
    assert {date(2021, 1, 1), date(2021, 12, 31)} <= params
    sql, params = _where(article="thu-ngan-sach")
    assert {"%/thu-ngan-sach", "%/thu-ngan-sach/"} <= params
    sql, params = _where(article="https://h.test/a/")
    assert {"https://h.test/a", "https://h.test/a/"} <= params
    sql, params = _where(extractor_version="0.4.0", kind="target", limit=5)
    assert {"0.4.0", "target", 5} <= params
    assert "facts.extractor_version =" in sql and "facts.kind =" in sql and "LIMIT" in sql
