"""Budgets every fact and extraction event must fit, checked where the extractor produces events and again
where the store decodes them (the facts topic is written by anyone who can reach the broker).

Limits on what PostgreSQL indexes are in bytes (UTF-8), not characters: a btree entry must stay under
~2.7 KB, and 2,048 Vietnamese characters can take 6 KB. Values are checked, never rounded.
"""

from __future__ import annotations

import re
from decimal import Decimal

from services.common.errors import EventError

# article_url is the articles table's primary key and indexed on facts: bytes, well under the btree limit.
MAX_URL_BYTES = 2048
# Titles and evidence are not indexed, but bounded so one event cannot bloat a row or a batch.
MAX_TITLE_BYTES = 4096
MAX_EVIDENCE_CHARS = 2000
# subject and assigned_by are short ids or names; subject is indexed.
MAX_NAME_BYTES = 200
MAX_VERSION_BYTES = 100
# A fact value: VND totals have ~16 integer digits, shares and rates 2-3 decimals.
MAX_INTEGER_DIGITS = 20
MAX_DECIMALS = 6
# Facts one page may yield; real articles yield tens. Beyond it the page goes to the DLQ.
MAX_FACTS_PER_PAGE = 1000

ELLIPSIS = "…"
# C0 and C1 control characters (ESC, NUL, BEL, ...): never part of prose; NUL cannot be stored at all.
# Lone surrogates cannot be encoded as UTF-8 at all, so they are refused (or replaced) with them.
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def strip_controls(text: str) -> str:
    """Control characters replaced by a space (tabs and newlines included: evidence is one line)."""
    return _CONTROL_RE.sub(" ", text) if _CONTROL_RE.search(text) else text


def clip_evidence(text: str, limit: int = MAX_EVIDENCE_CHARS) -> str:
    """The extractor's evidence within budget: controls stripped, then cut with an ellipsis if too long."""
    text = strip_controls(text)
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def check_value(value: Decimal) -> None:
    """Raise EventError when ``value`` has more digits than the budget (it is refused, not rounded)."""
    if not value.is_finite():
        raise EventError(f"value {value} is not a finite number")
    _sign, digits, exponent = value.normalize().as_tuple()
    assert isinstance(exponent, int)  # finite
    decimals = max(0, -exponent)
    integer_digits = max(0, len(digits) + exponent)
    if integer_digits > MAX_INTEGER_DIGITS:
        raise EventError(f"value has {integer_digits} integer digits (limit {MAX_INTEGER_DIGITS})")
    if decimals > MAX_DECIMALS:
        raise EventError(f"value has {decimals} decimals (limit {MAX_DECIMALS})")


def check_value_text(text: str) -> None:
    """The same budget on the contract's string form, before any Decimal is made of it."""
    integer, _, fraction = text.lstrip("-").partition(".")
    if len(integer) > MAX_INTEGER_DIGITS:
        raise EventError(f"value has {len(integer)} integer digits (limit {MAX_INTEGER_DIGITS})")
    if len(fraction) > MAX_DECIMALS:
        raise EventError(f"value has {len(fraction)} decimals (limit {MAX_DECIMALS})")


def check_text(
    name: str, text: str | None, *, max_bytes: int | None = None, max_chars: int | None = None
) -> None:
    """Raise EventError when ``text`` holds a control character or is over its budget."""
    if text is None:
        return
    if max_chars is not None and len(text) > max_chars:
        raise EventError(f"{name} is {len(text)} characters long (limit {max_chars})")
    if max_bytes is not None and len(text) * 4 > max_bytes:  # cheap bound first: UTF-8 is <= 4 bytes/char
        size = len(text.encode("utf-8", "surrogatepass"))  # surrogates are refused below
        if size > max_bytes:
            raise EventError(f"{name} is {size} bytes long (limit {max_bytes})")
    match = _CONTROL_RE.search(text)
    if match is not None:
        raise EventError(f"{name} contains the control or surrogate character U+{ord(match.group()):04X}")


def check_url(name: str, url: str) -> None:
    check_text(name, url, max_bytes=MAX_URL_BYTES)
    if not url.startswith(("http://", "https://")):
        raise EventError(f"{name} {url[:200]!r} is not an http(s) URL")
