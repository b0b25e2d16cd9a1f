"""Extractor commands: ``hqfacts eval`` (score against a gold set) and ``hqfacts extract`` (one page)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import click

from services.common.facts import Fact
from services.extractor.domain.article import Article
from services.extractor.domain.facts import EXTRACTOR_VERSION, RULE_PRECISION_FILE, extract_facts
from services.extractor.evaluation import (
    HALVES,
    article_from_post,
    format_report,
    load_article_list,
    load_gold,
    load_site_posts,
    only_half,
    post_html_path,
    rule_confidence,
    rule_scores,
    score,
)

ParseArticle = Callable[[str, str], Article | None]


def html_parser() -> ParseArticle | None:
    """``parse_article`` when the HTML reader is there (it is written separately)."""
    try:
        from services.extractor.domain.html_article import parse_article
    except ImportError:
        return None
    return parse_article


def predict_site(gold_articles: list[str], site: Path, source: str) -> dict[str, list[Fact]]:
    posts = load_site_posts(site, gold_articles)
    parse = html_parser() if source == "html" else None
    if source == "html" and parse is None:
        raise click.ClickException("--source html needs services.extractor.domain.html_article")
    predicted: dict[str, list[Fact]] = {}
    for slug in gold_articles:
        post = posts.get(slug)
        if post is None:
            click.echo(f"warning: {slug} is not in {site}/_posts.jsonl", err=True)
            predicted[slug] = []
            continue
        article: Article | None
        if parse is not None:
            html = post_html_path(site, slug).read_text(encoding="utf-8")
            article = parse(html, str(post["url"]))
        else:
            article = article_from_post(post)
        predicted[slug] = extract_facts(article) if article is not None else []
    return predicted


@click.command("eval")
@click.option(
    "--gold", "gold_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True
)
@click.option("--site", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True)
@click.option(
    "--articles",
    "articles_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="the labelled articles, one slug a line (default: dev_articles.txt beside the gold file); "
    "those without gold facts count what is predicted there as spurious",
)
@click.option(
    "--half",
    type=click.Choice(["all", *HALVES]),
    default="all",
    help="score one fixed half of the articles (split by a hash of the slug); both halves are summed up",
)
@click.option(
    "--source", type=click.Choice(["html", "posts"]), default=None, help="default: html if available"
)
@click.option("--show-errors", is_flag=True, help="list missed and spurious facts with their evidence")
@click.option(
    "--write-confidence",
    "confidence_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"write each rule's measured precision (the facts' confidence) to this JSON file; "
    f"the extractor ships {RULE_PRECISION_FILE.name}",
)
def eval_command(
    gold_path: Path,
    site: Path,
    articles_path: Path | None,
    half: str,
    source: str | None,
    show_errors: bool,
    confidence_path: Path | None,
) -> None:
    """Score the extractor on a gold set against a built site."""
    if source is None:
        source = "html" if html_parser() is not None else "posts"
    if articles_path is None and (gold_path.parent / "dev_articles.txt").exists():
        articles_path = gold_path.parent / "dev_articles.txt"
    gold = load_gold(gold_path, load_article_list(articles_path) if articles_path else ())
    predicted = predict_site(sorted(gold), site, source)
    click.echo(f"extractor {EXTRACTOR_VERSION}, source={source}, articles={len(gold)}")
    for name in HALVES:
        part = only_half(gold, name)
        overall = score(part, {slug: predicted[slug] for slug in part}).overall
        click.echo(
            f"half {name:5}: articles={len(part)} precision={overall.precision:.4f} "
            f"recall={overall.recall:.4f} f1={overall.f1:.4f}"
        )
    selected = gold if half == "all" else only_half(gold, half)
    report = score(selected, {slug: predicted[slug] for slug in selected})
    click.echo(f"scored: {half}")
    click.echo(format_report(report, show_errors=show_errors))
    if confidence_path is not None:
        table = rule_confidence(rule_scores(score(gold, predicted)))
        confidence_path.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        click.echo(
            f"wrote the confidence of {len(table)} rules (measured on all articles) to {confidence_path}"
        )


def read_page(data: bytes, name: str) -> str:
    """A saved page as text: decoded with its own ``<meta charset>`` (or XML declaration), else UTF-8.

    A page that is not valid in the charset it implies is still read, its bad bytes replaced, with a
    warning on stderr; a binary file (NUL bytes) is refused."""
    from services.crawler.domain.parse import decode_document, sniff_charset

    if b"\x00" in data[:4096]:
        raise click.ClickException(f"{name}: a binary file, not an HTML page")
    charset = sniff_charset(None, data)
    text, used = decode_document(data, charset)
    try:
        data.removeprefix(b"\xef\xbb\xbf").decode(used)
    except (UnicodeError, LookupError):
        click.echo(
            f"warning: {name}: not valid {used} (its charset, else UTF-8): bad bytes replaced", err=True
        )
    return text


def _fact_row(fact: Fact, article_url: str) -> dict[str, object]:
    return {
        "subject": fact.subject,
        "metric": fact.metric,
        "kind": fact.kind,
        "value": fact.value,
        "unit": fact.unit,
        "bound": fact.bound,
        "period_start": fact.period_start,
        "period_end": fact.period_end,
        "target_type": fact.target_type,
        "assigned_by": fact.assigned_by,
        "article_url": article_url.removesuffix("/index.html"),  # a saved page is named by its folder
    }


@click.command("extract")
@click.argument("html_files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--url", default=None, help="the page's canonical URL (default: file URI); one page only")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "table"]),
    default="jsonl",
    show_default=True,
    help="jsonl: one fact contract a line; table: a table to read",
)
def extract_command(html_files: tuple[str, ...], url: str | None, fmt: str) -> None:
    """Print the facts of saved article pages (files, or - for stdin).

    One JSON object a line (the fact contract), or a table with --format table. Each page is decoded with
    the charset it declares (UTF-8 if none). A page that cannot be read or is not an article is reported on
    stderr and the others are still extracted; the exit status is then 1."""
    if url is not None and len(html_files) > 1:
        raise click.UsageError("--url names one page: give it with one file only")
    parse = html_parser()
    if parse is None:
        raise click.ClickException("services.extractor.domain.html_article is not available yet")
    failed = 0
    rows: list[dict[str, object]] = []
    for name in html_files:
        try:
            if name == "-":
                data, page_url = click.get_binary_stream("stdin").read(), url or "stdin:"
            else:
                path = Path(name)
                data, page_url = path.read_bytes(), url or path.resolve().as_uri()
            article = parse(read_page(data, name), page_url)
            if article is None:
                raise click.ClickException(f"{name}: not an article page")
        except click.ClickException as exc:
            click.echo(f"error: {exc.format_message()}", err=True)
            failed += 1
            continue
        except OSError as exc:
            click.echo(f"error: {name}: {exc.strerror or exc}", err=True)
            failed += 1
            continue
        for fact in extract_facts(article):
            if fmt == "jsonl":
                sys.stdout.write(json.dumps(fact.to_contract(), ensure_ascii=False) + "\n")
            else:
                rows.append(_fact_row(fact, page_url))
    if fmt == "table":
        from services.store.cli import render_table

        click.echo(render_table(rows) + f"\n\n{len(rows)} fact(s)" if rows else "no facts")
    if failed:
        raise SystemExit(1)


COMMANDS: list[click.Command] = [eval_command, extract_command]
