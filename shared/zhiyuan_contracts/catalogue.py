"""The catalogue of public events, and the translation to and from CloudEvents.

Consumers select on ``type``: :func:`event_class` raises :class:`UnknownEventType` for a
type this build does not know (Zhiyuan's own consumers dead-letter it; a district system
skips it).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Literal

from .activities import v1 as activities_v1
from .base import IntegrationEvent
from .envelope import CloudEvent, new_event_id, rfc3339
from .recognition import v1 as recognition_v1
from .registry import v1 as registry_v1
from .subjects import event_subject, source_of

__all__ = [
    "CATALOGUE",
    "EVENT_CLASSES",
    "UnknownEventType",
    "deprecated_types",
    "event_class",
    "parse_event",
    "subject_of",
    "to_cloud_event",
    "versioned_event_id",
]

EVENT_CLASSES: tuple[type[IntegrationEvent], ...] = (
    registry_v1.VolunteerRegistered,
    registry_v1.UnitRegistered,
    registry_v1.VolunteerProfileUpdated,
    registry_v1.VolunteerMoved,
    registry_v1.VolunteerSuspended,
    registry_v1.VolunteerReinstated,
    registry_v1.VolunteerDeregistered,
    registry_v1.TeamRegistered,
    registry_v1.VolunteerJoinedTeam,
    registry_v1.VolunteerLeftTeam,
    registry_v1.StationRegistered,
    registry_v1.StationChecklistUpdated,
    activities_v1.ActivityPublished,
    activities_v1.ActivityUpdated,
    activities_v1.VolunteerSignedUp,
    activities_v1.SignUpPromoted,
    activities_v1.SignUpCancelled,
    activities_v1.VolunteerCheckedIn,
    activities_v1.VolunteerCheckedOut,
    activities_v1.HoursLogged,
    activities_v1.HoursCorrected,
    activities_v1.HoursRevoked,
    activities_v1.TrainingRecorded,
    activities_v1.ActivityCompleted,
    activities_v1.ActivityCancelled,
    recognition_v1.StarLevelAttained,
    recognition_v1.StarLevelLowered,
    recognition_v1.CommendationListNoticed,
    recognition_v1.CommendationListPublished,
)


def _index(classes: Iterable[type[IntegrationEvent]]) -> Mapping[str, type[IntegrationEvent]]:
    index: dict[str, type[IntegrationEvent]] = {}
    for cls in classes:
        if cls.TYPE in index:
            raise RuntimeError(f"two classes claim {cls.TYPE}: {index[cls.TYPE]!r} and {cls!r}")
        index[cls.TYPE] = cls
    return MappingProxyType(index)


CATALOGUE: Mapping[str, type[IntegrationEvent]] = _index(EVENT_CLASSES)


class UnknownEventType(LookupError):
    """A CloudEvent ``type`` that is not in this build's catalogue."""

    def __init__(self, type_str: str) -> None:
        super().__init__(f"unknown event type {type_str!r}")
        self.type = type_str


def event_class(type_str: str) -> type[IntegrationEvent]:
    try:
        return CATALOGUE[type_str]
    except KeyError:
        raise UnknownEventType(type_str) from None


def deprecated_types(on: date) -> list[str]:
    """Types whose deprecation window has ended by ``on`` (their producers stop dual-publishing)."""
    return [
        t for t, cls in CATALOGUE.items() if cls.deprecated_after is not None and cls.deprecated_after < on
    ]


def parse_event(
    cloud_event: CloudEvent, *, unknown_fields: Literal["ignore", "forbid"] = "ignore"
) -> IntegrationEvent:
    """Validate the CloudEvent's ``data`` against its class.

    Raises :class:`UnknownEventType` for an unknown ``type`` and ``pydantic.ValidationError``
    for bad data. Unknown fields are ignored by default, because an additive change keeps
    the version and an older consumer must still read the newer event (producers build
    events from the classes, which forbid unknown fields); pass ``unknown_fields="forbid"``
    to check a producer's output.
    """
    cls = event_class(cloud_event.type)
    return cls.model_validate(cloud_event.data, extra=unknown_fields)


_DISTRICT = re.compile(r"^[0-9]{6}$")


def to_cloud_event(
    event: IntegrationEvent,
    *,
    aggregate_id: str,
    district: str,
    sequence: int,
    time: datetime,
    event_id: str | None = None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> CloudEvent:
    """Wrap an event in its structured-mode CloudEvent.

    ``aggregate_id`` becomes ``subject``, ``sequence`` is the aggregate's version (1-based)
    and ``district`` is where it happened (see the contract for which district each event
    goes to).
    """
    cls = type(event)
    if CATALOGUE.get(cls.TYPE) is not cls:
        raise UnknownEventType(cls.TYPE)
    if not _DISTRICT.match(district):
        raise ValueError(f"district must be a six-digit GB/T 2260 code, got {district!r}")
    if sequence < 1:
        raise ValueError(f"sequence is the aggregate's version, 1-based; got {sequence}")
    if not aggregate_id:
        raise ValueError("aggregate_id is required")
    return CloudEvent(
        id=event_id or new_event_id(),
        source=source_of(cls.CONTEXT),
        type=cls.TYPE,
        subject=aggregate_id,
        time=rfc3339(time),
        district=district,
        sequence=sequence,
        data=event.model_dump(mode="json"),
        correlationid=correlation_id,
        causationid=causation_id,
    )


def subject_of(cloud_event: CloudEvent) -> str:
    """The NATS subject ``zy.<context>.<district>.<EventName>`` (no version in it)."""
    return event_subject(cloud_event.context, cloud_event.district, cloud_event.name)


def versioned_event_id(v1_event_id: str, type_str: str) -> str:
    """The id of the v2 (or later) twin of a dual-published event: ``uuid5(v1_id, type)``.

    Re-publishing the pair yields the same ids, so JetStream still drops duplicates.
    """
    return str(uuid.uuid5(uuid.UUID(v1_event_id), type_str))
