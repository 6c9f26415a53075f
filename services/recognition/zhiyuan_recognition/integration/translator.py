"""Recognition's stored events → its public v1 events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from zhiyuan_contracts.base import IntegrationEvent
from zhiyuan_contracts.catalogue import to_cloud_event
from zhiyuan_contracts.envelope import CloudEvent
from zhiyuan_contracts.recognition import v1
from zhiyuan_platform.eventstore import StoredEvent


def _public(stored: StoredEvent) -> IntegrationEvent | None:
    d = stored.data
    if stored.type == "StarLevelAttained":
        return v1.StarLevelAttained(
            volunteer_id=d["volunteer_id"],
            level=d["level"],
            total_minutes=d["total_minutes"],
            attained_at=datetime.fromisoformat(d["at"]),
            policy_version=d["policy_version"],
        )
    if stored.type == "StarLevelLowered":
        return v1.StarLevelLowered(
            volunteer_id=d["volunteer_id"],
            level=d["level"],
            total_minutes=d["total_minutes"],
            reason=d["reason"],
            policy_version=d["policy_version"],
        )
    if stored.type in ("CommendationListNoticed", "CommendationListPublished"):
        cls = (
            v1.CommendationListNoticed
            if stored.type == "CommendationListNoticed"
            else v1.CommendationListPublished
        )
        return cls.model_validate({k: v for k, v in d.items() if k in cls.model_fields})
    return None


def translate(stored: StoredEvent) -> Sequence[CloudEvent]:
    public = _public(stored)
    if public is None:
        return []
    return [
        to_cloud_event(
            public,
            aggregate_id=stored.stream_id.split("-", 1)[1],
            district=stored.meta["district"],
            sequence=stored.version,
            time=stored.recorded_at,
            event_id=stored.event_id,
            correlation_id=stored.meta.get("correlation_id"),
            causation_id=stored.meta.get("causation_id"),
        )
    ]
