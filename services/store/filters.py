"""The filters `hqfacts facts` and `hqfacts observations` share, as SQL conditions on either table."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy.sql.elements import ColumnElement

from services.common.db import like_literal


def key_filters(
    query: Any,
    columns: Any,
    *,
    subject: str | None = None,
    metric: str | None = None,
    kind: str | None = None,
    year: int | None = None,
) -> Any:
    """``query`` narrowed on a table with subject, metric, kind, period_start and period_end columns."""
    if subject:
        if subject.endswith("*"):  # a prefix: cuc:* is every department
            query = query.where(columns.subject.like(like_literal(subject[:-1]) + "%", escape="\\"))
        else:
            query = query.where(columns.subject == subject)
    if metric:
        query = query.where(columns.metric == metric)
    if kind:
        query = query.where(columns.kind == kind)
    if year is not None:
        # The period touches the year; a period with one end only is taken at that end.
        start = func.coalesce(columns.period_start, columns.period_end)
        end = func.coalesce(columns.period_end, columns.period_start)
        query = query.where(and_(start <= date(year, 12, 31), end >= date(year, 1, 1)))
    return query


def article_matches(url: Any, article: str) -> ColumnElement[bool]:
    """``url`` is the article named by ``article``: its URL (with or without the final /) or its slug."""
    if "://" in article:
        exact = article.rstrip("/")
        return or_(url == exact, url == exact + "/")
    slug = like_literal(article.strip("/"))  # the last path segment of the article's URL
    return or_(url.like("%/" + slug, escape="\\"), url.like("%/" + slug + "/", escape="\\"))
