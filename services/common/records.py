"""A consumed Kafka record, transport-neutral: what the extractor routes and the store classifies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

Headers = tuple[tuple[str, bytes], ...]


class ConsumedRecord(Protocol):
    """What aiokafka's ConsumerRecord and Faust's Message both have."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One consumed record: where it sits (a dead letter's headers name it) and its bytes."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers = ()

    @classmethod
    def of(cls, record: ConsumedRecord) -> SourceRecord:
        """The position and bytes of ``record`` (its headers are not carried: the clients' shapes differ)."""
        return cls(record.topic, record.partition, record.offset, record.key, record.value)
