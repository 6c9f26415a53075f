"""Wrapping a public event in its CloudEvent from the stored event it stands for."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from zhiyuan_contracts.base import IntegrationEvent
from zhiyuan_contracts.catalogue import to_cloud_event
from zhiyuan_contracts.envelope import CloudEvent
from zhiyuan_platform.eventstore import StoredEvent

Translator = Callable[[StoredEvent], Sequence[CloudEvent]]


def wrap(stored: StoredEvent, public: IntegrationEvent, *, aggregate_id: str, district: str) -> list[CloudEvent]:
    return [
        to_cloud_event(
            public,
            aggregate_id=aggregate_id,
            district=district,
            sequence=stored.version,
            time=stored.recorded_at,
            event_id=stored.event_id,
            correlation_id=stored.meta.get("correlation_id"),
            causation_id=stored.meta.get("causation_id"),
        )
    ]
