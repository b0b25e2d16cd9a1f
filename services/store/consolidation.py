"""Observations: one answer per question across articles. Pure rules, no I/O.

A question is an observation key (subject, metric, kind, period_start, period_end, target_type). Every
active fact with that key is a source; the facts whose values agree within rounding form a group, and the
group stated by the most articles gives the agreed value. More than one group is a conflict: some article
says something else (another period mislabelled, an estimate, a revision), and consumers see both.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from services.common.facts import format_decimal

# --- how values agree (named data, apart from the control flow) ----------------------------------------

# A stated value covers half a unit of its last significant digit ("317 nghìn tỷ" covers 316.5-317.5). A
# value with one significant digit ("300", "2") is as likely a round figure as a rounded one: it covers at
# most this share of its size, so "300" agrees with 305 but not with 315.
ROUND_FIGURE_SHARE = Decimal("0.02")
# "khoảng" (about) covers at least this share on both sides.
ABOUT_SHARE = Decimal("0.05")
# "hơn"/"trên" (over) and "gần"/"dưới" (under) reach this far on their open side.
OPEN_BOUND_SHARE = Decimal("0.20")
# The agreed group: more articles first, then more exact statements, then the most recent article.
# The agreed value within it: an exact statement first, then the most significant digits, then the latest.


@dataclass(frozen=True, slots=True)
class ObservationKey:
    subject: str
    metric: str
    kind: str
    period_start: date | None
    period_end: date | None
    target_type: str | None

    @property
    def observation_id(self) -> str:
        return observation_id(
            self.subject, self.metric, self.kind, self.period_start, self.period_end, self.target_type
        )


def observation_id(
    subject: str,
    metric: str,
    kind: str,
    period_start: date | None,
    period_end: date | None,
    target_type: str | None,
) -> str:
    """md5 of ``subject|metric|kind|period_start|period_end|target_type`` (ISO dates, '' for null).

    The same expression in SQL backfills stored facts (migration 0007): keep the two in step.
    """
    material = "|".join(
        (
            subject,
            metric,
            kind,
            period_start.isoformat() if period_start else "",
            period_end.isoformat() if period_end else "",
            target_type or "",
        )
    )
    return hashlib.md5(material.encode("utf-8"), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class SourceFact:
    """One active fact stating a value for a key, with its article."""

    fact_id: str
    article_url: str
    article_title: str
    article_published: datetime | None
    value: Decimal
    unit: str
    bound: str
    evidence: str
    # Not part of the event; kept so the table can be filtered by them.
    extractor_version: str = ""
    confidence: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ValueGroup:
    """Facts whose values agree within rounding; ``value`` is the most precise of them."""

    representative: SourceFact
    facts: tuple[SourceFact, ...]

    @property
    def articles(self) -> tuple[str, ...]:
        return _articles_in_order(self.facts)

    def to_json(self) -> dict[str, Any]:
        return {
            "value": format_decimal(self.representative.value),
            "unit": self.representative.unit,
            "bound": self.representative.bound,
            "source_count": len(self.articles),
            "articles": list(self.articles),
            "fact_ids": sorted({f.fact_id for f in self.facts}),
        }


@dataclass(frozen=True, slots=True)
class Observation:
    key: ObservationKey
    groups: tuple[ValueGroup, ...]  # the agreed group first

    @property
    def agreed(self) -> ValueGroup:
        return self.groups[0]

    @property
    def conflict(self) -> bool:
        return len(self.groups) > 1

    @property
    def sources(self) -> tuple[SourceFact, ...]:
        return tuple(f for g in self.groups for f in g.facts)

    @property
    def source_count(self) -> int:
        return len({f.article_url for f in self.sources})

    def to_event(self) -> dict[str, Any]:
        """The observation as its ``hddtvn.observations.v1`` event (schemas/observations.v1.json)."""
        chosen = self.agreed.representative
        by_date = sorted(self.sources, key=_publication_order)
        dated = [f for f in by_date if f.article_published is not None]
        first, latest = (dated or by_date)[0], by_date[-1]
        return {
            "observation_id": self.key.observation_id,
            "subject": self.key.subject,
            "metric": self.key.metric,
            "kind": self.key.kind,
            "period_start": self.key.period_start.isoformat() if self.key.period_start else None,
            "period_end": self.key.period_end.isoformat() if self.key.period_end else None,
            "target_type": self.key.target_type,
            "value": format_decimal(chosen.value),
            "unit": chosen.unit,
            "bound": chosen.bound,
            "source_count": self.source_count,
            "agreeing_count": len(self.agreed.articles),
            "conflict": self.conflict,
            "fact_id": chosen.fact_id,
            "evidence": chosen.evidence,
            "evidence_url": chosen.article_url,
            "first_article": _article_json(first),
            "latest_article": _article_json(latest),
            "values": [g.to_json() for g in self.groups],
        }


def encode_observation(event: dict[str, Any]) -> bytes:
    """Canonical bytes: the same observation always encodes the same (the store compares them)."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


# --- the rules -----------------------------------------------------------------------------------------


def rounding_tolerance(value: Decimal) -> Decimal:
    """Half a unit of the value's last significant digit (at most ROUND_FIGURE_SHARE of a round figure)."""
    if value == 0:
        return Decimal(0)
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite: the contract has no NaN or infinity
    half_unit = Decimal(5).scaleb(exponent - 1)
    if significant_digits(value) == 1:
        return min(half_unit, abs(value) * ROUND_FIGURE_SHARE)
    return half_unit


def value_window(fact: SourceFact) -> tuple[Decimal, Decimal]:
    """The values a statement is compatible with, given its rounding and its bound."""
    value, tolerance, size = fact.value, rounding_tolerance(fact.value), abs(fact.value)
    if fact.bound == "about":
        tolerance = max(tolerance, size * ABOUT_SHARE)
    low, high = value - tolerance, value + tolerance
    # "hơn 300" is above 300, however rounded; how far above is open.
    if fact.bound == "over":
        low, high = value, value + max(tolerance, size * OPEN_BOUND_SHARE)
    elif fact.bound == "under":
        low, high = value - max(tolerance, size * OPEN_BOUND_SHARE), value
    return low, high


def significant_digits(value: Decimal) -> int:
    return 0 if value == 0 else len(value.normalize().as_tuple().digits)


def group_values(facts: Iterable[SourceFact]) -> list[ValueGroup]:
    """Facts in groups of overlapping value windows (per unit); deterministic for the same facts."""
    groups: list[ValueGroup] = []
    by_unit: dict[str, list[tuple[tuple[Decimal, Decimal], SourceFact]]] = {}
    for fact in facts:
        by_unit.setdefault(fact.unit, []).append((value_window(fact), fact))
    for unit in sorted(by_unit):
        windowed = sorted(by_unit[unit], key=lambda item: (item[0], item[1].fact_id))
        current: list[SourceFact] = []
        reach: Decimal | None = None
        for (low, high), fact in windowed:
            if reach is not None and low > reach:
                groups.append(_group(current))
                current, reach = [], None
            current.append(fact)
            reach = high if reach is None else max(reach, high)
        if current:
            groups.append(_group(current))
    return groups


def consolidate(key: ObservationKey, facts: Sequence[SourceFact]) -> Observation | None:
    """The observation of ``key`` from its active facts; None when there are none (a tombstone)."""
    if not facts:
        return None
    groups = sorted(group_values(facts), key=_support, reverse=True)
    return Observation(key=key, groups=tuple(groups))


def _group(facts: Sequence[SourceFact]) -> ValueGroup:
    representative = max(
        facts,
        key=lambda f: (
            f.bound == "exact",
            significant_digits(f.value),
            _publication_order(f),
            f.fact_id,
        ),
    )
    return ValueGroup(representative=representative, facts=tuple(sorted(facts, key=_publication_order)))


def _support(group: ValueGroup) -> tuple[Any, ...]:
    latest = max(_publication_order(f) for f in group.facts)
    exact = sum(1 for f in group.facts if f.bound == "exact")
    # The representative's fact_id last: a total order, so ties never depend on input order.
    return (len(group.articles), exact, latest, group.representative.fact_id)


_UNDATED = datetime.min.replace(tzinfo=UTC)


def _publication_order(fact: SourceFact) -> tuple[datetime, str, str]:
    # Undated articles sort before every dated one; the URL and fact_id make the order total.
    return (fact.article_published or _UNDATED, fact.article_url, fact.fact_id)


def _articles_in_order(facts: Iterable[SourceFact]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for fact in sorted(facts, key=_publication_order):
        seen.setdefault(fact.article_url, None)
    return tuple(seen)


def _article_json(fact: SourceFact) -> dict[str, Any]:
    return {
        "url": fact.article_url,
        "title": fact.article_title,
        "published": fact.article_published.isoformat() if fact.article_published else None,
    }
