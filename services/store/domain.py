"""The store's pure rules: version order, record classification, in-batch dedup. No I/O here.

A consumed Kafka record becomes exactly one of: a fact to upsert, an extraction to apply, a tombstone to
skip, or a dead letter with a reason. The service layer turns a batch of them into one DB transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from services.common import limits
from services.common.events import EventError, ExtractionEvent, FactEvent, PagePosition
from services.common.facts import KNOWN_METRICS
from services.common.records import SourceRecord as SourceRecord  # re-exported: the store names it
from services.common.settings import Settings

# --- extractor versions --------------------------------------------------------------------------------

# Release parts are padded to this many numbers so "1.2" and "1.2.0" are the same version.
_RELEASE_PARTS = 4
# Pre-release phases rank below the release itself; post-releases above it.
_PHASE_RANK = {"dev": 0, "a": 1, "alpha": 1, "b": 2, "beta": 2, "c": 3, "rc": 3, "pre": 3, "": 4, "post": 5}
_VERSION_RE = re.compile(
    r"^v?(?P<release>\d+(?:\.\d+)*)"
    r"(?:[-_.]?(?P<phase>dev|alpha|beta|pre|post|rc|a|b|c)[-_.]?(?P<phase_no>\d*))?"
    r"(?:\+[0-9A-Za-z.\-_]*)?$",  # local/build metadata does not order versions
    re.IGNORECASE,
)

VersionKey = tuple[int, ...]


class VersionError(EventError):
    """An extractor_version the store cannot order."""


def version_key(version: str) -> VersionKey:
    """A tuple that orders extractor versions semantically: 1.10.0 > 1.9.2 > 1.9.2rc1 > 1.9.2.dev3.

    The key is also stored as an INTEGER[] column so PostgreSQL compares versions the same way in the
    upsert's WHERE clause (arrays compare element-wise, like tuples; every key has the same length).
    """
    match = _VERSION_RE.match(version.strip())
    if match is None:
        raise VersionError(f"extractor_version {version!r} is not a version the store can order")
    release = [int(p) for p in match["release"].split(".")]
    if len(release) > _RELEASE_PARTS or any(p > 2**31 - 1 for p in release):
        raise VersionError(f"extractor_version {version!r} has too many or too large parts")
    release += [0] * (_RELEASE_PARTS - len(release))
    phase = (match["phase"] or "").lower()
    phase_no = int(match["phase_no"] or 0)
    if phase_no > 2**31 - 1:
        raise VersionError(f"extractor_version {version!r} has a too large pre/post number")
    return (*release, _PHASE_RANK[phase], phase_no)


# --- consumed records ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FactUpsert:
    event: FactEvent
    version: VersionKey
    source: SourceRecord
    page: PagePosition | None = None  # the raw page record it was extracted from (its headers)


@dataclass(frozen=True, slots=True)
class ExtractionApply:
    event: ExtractionEvent
    version: VersionKey
    source: SourceRecord
    page: PagePosition | None = None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    source: SourceRecord
    error: str


RecordKind = Literal["fact", "extraction"]
Position = tuple[str, int, int]  # topic, partition, offset


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0  # older than what is stored, or the same content: nothing written
    retired: tuple[str, ...] = ()
    reactivated: tuple[str, ...] = ()
    extractions_applied: int = 0
    observations_changed: tuple[str, ...] = ()  # observation ids whose event changed (or were tombstoned)

    def __add__(self, other: BatchOutcome) -> BatchOutcome:
        return BatchOutcome(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.retired + other.retired,
            self.reactivated + other.reactivated,
            self.extractions_applied + other.extractions_applied,
            self.observations_changed + other.observations_changed,
        )


OutboxChannel = Literal["facts", "observations"]


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    key: str  # fact_id on the facts topic, observation_id on the observations topic
    payload: bytes | None  # None = tombstone
    channel: OutboxChannel = "facts"


# Past this size an event is refused rather than stored: one poison event must not bloat the table or fail
# a whole transaction. Field budgets (bytes, digits, control characters) are services.common.limits', checked
# by the events' decoders.
MAX_EVENT_BYTES = 256 * 1024


def _deployed_version() -> str:
    # The version of the extractor this store ships with: nothing newer has been deployed.
    from services.extractor.domain.facts import EXTRACTOR_VERSION

    return EXTRACTOR_VERSION


@dataclass(frozen=True, slots=True)
class StorePolicy:
    """What the store accepts beyond the schema and the field budgets."""

    known_metrics: frozenset[str] = field(default_factory=lambda: frozenset(KNOWN_METRICS))
    max_event_bytes: int = MAX_EVENT_BYTES
    # Events claiming a newer extractor than any deployed one are forged (or from a canary not yet
    # announced): stored, they would win every version comparison for good.
    max_extractor_version: str = field(default_factory=_deployed_version)
    max_facts_per_page: int = limits.MAX_FACTS_PER_PAGE
    # The ceiling parsed once (every event is compared with it).
    version_ceiling: VersionKey = field(init=False, repr=False, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> StorePolicy:
        """The policy of a running store: HQ_MAX_EXTRACTOR_VERSION raises the version ceiling during a
        rolling upgrade (the new extractor deployed before the store that ships with it)."""
        values: dict[str, Any] = {"max_facts_per_page": settings.max_facts_per_page}
        if settings.max_extractor_version:
            values["max_extractor_version"] = settings.max_extractor_version
        values.update(overrides)
        return cls(**values)

    def __post_init__(self) -> None:
        # An unparsable ceiling fails here, at start, not per event.
        object.__setattr__(self, "version_ceiling", version_key(self.max_extractor_version))


def _check_version(version: str, policy: StorePolicy) -> VersionKey:
    key = version_key(version)
    if key > policy.version_ceiling:
        raise EventError(
            f"extractor_version {version[:40]!r} is newer than the newest deployed extractor "
            f"({policy.max_extractor_version}; HQ_MAX_EXTRACTOR_VERSION raises it during an upgrade)"
        )
    return key


def decode_fact(record: SourceRecord, policy: StorePolicy) -> FactUpsert:
    """Decode and check one fact event; raises EventError with the reason for the DLQ."""
    assert record.value is not None
    if len(record.value) > policy.max_event_bytes:
        raise EventError(f"fact event is {len(record.value)} bytes (limit {policy.max_event_bytes})")
    event = FactEvent.decode(record.value)  # schema and field budgets
    if record.key is not None and record.key != event.key:
        raise EventError(f"record key {record.key[:64]!r} is not the event's fact_id {event.fact_id}")
    if event.fact.metric not in policy.known_metrics:
        raise EventError(f"unknown metric id {event.fact.metric!r}")
    return FactUpsert(
        event=event,
        version=_check_version(event.extractor_version, policy),
        source=record,
        page=PagePosition.from_headers(record.headers),
    )


def decode_extraction(record: SourceRecord, policy: StorePolicy) -> ExtractionApply:
    assert record.value is not None
    if len(record.value) > policy.max_event_bytes:
        raise EventError(f"extraction event is {len(record.value)} bytes (limit {policy.max_event_bytes})")
    event = ExtractionEvent.decode(record.value)  # schema and field budgets
    if record.key is not None and record.key != event.key:
        raise EventError("record key is not the extraction's article URL")
    if len(event.fact_ids) > policy.max_facts_per_page:
        raise EventError(
            f"extraction lists {len(event.fact_ids)} facts (limit {policy.max_facts_per_page} per page)"
        )
    return ExtractionApply(
        event=event,
        version=_check_version(event.extractor_version, policy),
        source=record,
        page=PagePosition.from_headers(record.headers),
    )


@dataclass(slots=True)
class ClassifiedBatch:
    """A batch split by what the store does with each record; facts deduplicated by fact_id."""

    facts: list[FactUpsert] = field(default_factory=list)
    extractions: list[ExtractionApply] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    tombstones_skipped: int = 0
    duplicates: int = 0
    # Next offset to read per (topic, partition): one past the highest offset in the batch.
    next_offsets: dict[tuple[str, int], int] = field(default_factory=dict)


def classify(
    records: Iterable[SourceRecord],
    kinds: dict[str, RecordKind],
    policy: StorePolicy,
) -> ClassifiedBatch:
    """Decode a batch. ``kinds`` maps each subscribed topic to what it carries.

    Within the batch, the last event of a fact_id (in consumption order) with the highest extractor version
    wins, and likewise the last extraction of an article; the repository then applies the same version
    guard against what is already stored.
    """
    batch = ClassifiedBatch()
    facts: dict[str, FactUpsert] = {}
    extractions: dict[str, ExtractionApply] = {}
    for record in records:
        tp = (record.topic, record.partition)
        batch.next_offsets[tp] = max(batch.next_offsets.get(tp, 0), record.offset + 1)
        kind = kinds.get(record.topic)
        if kind is None:
            batch.dead_letters.append(DeadLetter(record, f"store does not consume topic {record.topic}"))
            continue
        if record.value is None:
            if kind == "fact":
                batch.tombstones_skipped += 1  # the store's own retirements, echoed back
            else:
                batch.dead_letters.append(DeadLetter(record, "extraction event has no value"))
            continue
        try:
            if kind == "fact":
                upsert = decode_fact(record, policy)
                previous_fact = facts.get(upsert.event.fact_id)
                if previous_fact is not None:
                    batch.duplicates += 1
                    if previous_fact.version > upsert.version:
                        continue  # same guard as the table's: an older version never wins
                    del facts[upsert.event.fact_id]  # re-insert keeps dict order = last occurrence
                facts[upsert.event.fact_id] = upsert
            else:
                apply = decode_extraction(record, policy)
                previous = extractions.get(apply.event.article_url)
                if previous is None or previous.version <= apply.version:
                    extractions.pop(apply.event.article_url, None)
                    extractions[apply.event.article_url] = apply
        except EventError as exc:
            batch.dead_letters.append(DeadLetter(record, str(exc)))
        except Exception as exc:  # a decoder bug must not stop the store: the event is kept on the DLQ
            batch.dead_letters.append(DeadLetter(record, f"{type(exc).__name__}: {exc}"))
    batch.facts = list(facts.values())
    batch.extractions = list(extractions.values())
    return batch


def split_in_halves(records: Sequence[SourceRecord]) -> tuple[Sequence[SourceRecord], Sequence[SourceRecord]]:
    middle = len(records) // 2
    return records[:middle], records[middle:]
