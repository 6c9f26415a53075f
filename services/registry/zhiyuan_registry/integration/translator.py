"""Stored registry events → the public v1 events of the contract (Eventuous "Integration").

The stored events carry no personal data already; the translator decides which district
an event belongs to and what the public shape is.
"""

from __future__ import annotations

from collections.abc import Sequence

from zhiyuan_contracts.catalogue import to_cloud_event
from zhiyuan_contracts.envelope import CloudEvent, parse_time
from zhiyuan_contracts.registry import v1
from zhiyuan_platform.eventstore import StoredEvent

from ..domain.volunteer import VolunteerRegistered


def translate(stored: StoredEvent) -> Sequence[CloudEvent]:
    if stored.type == VolunteerRegistered.TYPE:
        event = VolunteerRegistered.from_data(stored.data)
        public = v1.VolunteerRegistered(
            volunteer_id=event.volunteer_id,
            registration_no=event.registration_no,
            district=event.district,
            street=event.street,
            community=event.community,
            registered_by=event.agency,
            registered_at=parse_time(event.registered_at),
            skills=event.skills,
            minor=event.minor,
            unit_id=event.unit_id,
            name_masked=event.name_masked,
            political_status=event.political_status,
        )
        return [
            to_cloud_event(
                public,
                aggregate_id=event.volunteer_id,
                district=event.district,
                sequence=stored.version,
                time=stored.recorded_at,
                event_id=stored.event_id,
                correlation_id=stored.meta.get("correlation_id"),
                causation_id=stored.meta.get("causation_id"),
            )
        ]
    return []
