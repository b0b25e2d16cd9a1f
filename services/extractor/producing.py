"""Sending a routed page with aiokafka: the replay's (and any plain-producer caller's) half of routing.

``route_page`` says which records a page yields; this sends them in that order and hands back the delivery
futures, so the caller decides when to wait (once per batch, before its offsets move on).
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer
from aiokafka.structs import RecordMetadata

from services.extractor.routing import PageRoute

Delivery = asyncio.Future[RecordMetadata]


async def send_route(producer: AIOKafkaProducer, route: PageRoute) -> list[Delivery]:
    """Queue every record of ``route`` in order (facts before their extraction); returns their delivery
    futures. ``send`` only waits while the producer's buffer is full, never for the broker."""
    deliveries: list[Delivery] = []
    for record in route.records:
        deliveries.append(
            await producer.send(
                record.topic, record.value, key=record.key, headers=list(record.headers) or None
            )
        )
    return deliveries
