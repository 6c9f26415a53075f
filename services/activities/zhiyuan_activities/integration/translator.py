"""Stored activity events → public v1 events. The district is the activity's district,
carried in each stored event's metadata; internal events (back-fill requests, insurance,
disputes) publish nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from zhiyuan_contracts.activities import v1
from zhiyuan_contracts.base import IntegrationEvent
from zhiyuan_contracts.catalogue import to_cloud_event
from zhiyuan_contracts.envelope import CloudEvent
from zhiyuan_platform.eventstore import StoredEvent

Translator = Callable[[StoredEvent], IntegrationEvent]


def _id(stored: StoredEvent) -> str:
    return stored.stream_id.split("-", 1)[1]


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _published(s: StoredEvent) -> IntegrationEvent:
    d = s.data
    return v1.ActivityPublished(
        activity_id=d["activity_id"], team_id=d["team_id"], district=d["district"], community=d["community"],
        title=d["title"], service_kind=d["service_kind"], target_group=d["target_group"], place=d["place"],
        slots=[v1.ActivitySlot(starts_at=_t(x["starts_at"]), ends_at=_t(x["ends_at"]), capacity=x["capacity"]) for x in d["slots"]],
        backfilled=d["backfilled"], needs_insurance=d["needs_insurance"], description=d["description"] or None,
    )


def _updated(s: StoredEvent) -> IntegrationEvent:
    return v1.ActivityUpdated(activity_id=_id(s), changed=sorted(s.data["changed"]))


def _capacity(s: StoredEvent) -> IntegrationEvent:
    return v1.ActivityUpdated(activity_id=_id(s), changed=[f"slots_{s.data['slot']}_capacity"])


def _signed_up(s: StoredEvent) -> IntegrationEvent:
    return v1.VolunteerSignedUp(activity_id=_id(s), volunteer_id=s.data["volunteer_id"], slot=s.data["slot"], waitlisted=s.data["waitlisted"])


def _promoted(s: StoredEvent) -> IntegrationEvent:
    return v1.SignUpPromoted(activity_id=_id(s), volunteer_id=s.data["volunteer_id"], slot=s.data["slot"])


def _signup_cancelled(s: StoredEvent) -> IntegrationEvent:
    return v1.SignUpCancelled(activity_id=_id(s), volunteer_id=s.data["volunteer_id"], slot=s.data["slot"])


def _checked_in(s: StoredEvent) -> IntegrationEvent:
    return v1.VolunteerCheckedIn(activity_id=_id(s), volunteer_id=s.data["volunteer_id"], at=_t(s.data["at"]))


def _checked_out(s: StoredEvent) -> IntegrationEvent:
    return v1.VolunteerCheckedOut(activity_id=_id(s), volunteer_id=s.data["volunteer_id"], at=_t(s.data["at"]))


def _cancelled(s: StoredEvent) -> IntegrationEvent:
    return v1.ActivityCancelled(activity_id=_id(s), reason=s.data["reason"], released=s.data["released"])


def _completed(s: StoredEvent) -> IntegrationEvent:
    d = s.data
    return v1.ActivityCompleted(
        activity_id=_id(s), district=s.meta["district"], participants=d["participants"], total_minutes=d["total_minutes"],
        people_served=d["people_served"], summary=d["summary"], completed_at=_t(d["at"]),
    )


def _hours_logged(s: StoredEvent) -> IntegrationEvent:
    d = s.data
    return v1.HoursLogged(
        record_id=d["record_id"], volunteer_id=d["volunteer_id"], activity_id=d["activity_id"], district=d["district"],
        minutes=d["minutes"], started_at=_t(d["started_at"]), ended_at=_t(d["ended_at"]), place=d["place"],
        target_group=d["target_group"], logged_by=d["logged_by"], service_kind=d["service_kind"], team_id=d["team_id"],
        backfilled=d["backfilled"], community=d["community"], policy_version=d["policy_version"], late=d["late"],
    )


def _training(s: StoredEvent) -> IntegrationEvent:
    d = s.data
    return v1.TrainingRecorded(
        record_id=d["record_id"], volunteer_id=d["volunteer_id"], activity_id=d["activity_id"], district=d["district"],
        minutes=d["minutes"], started_at=_t(d["started_at"]), ended_at=_t(d["ended_at"]), logged_by=d["logged_by"],
    )


def _corrected(s: StoredEvent) -> IntegrationEvent:
    d = s.data
    return v1.HoursCorrected(
        record_id=_id(s), volunteer_id=s.meta["volunteer_id"], minutes=d["minutes"], previous_minutes=d["previous_minutes"],
        reason=d["reason"], activity_id=s.meta["activity_id"], corrected_by=d["by"],
    )


def _revoked(s: StoredEvent) -> IntegrationEvent:
    d = s.data
    return v1.HoursRevoked(
        record_id=_id(s), volunteer_id=s.meta["volunteer_id"], previous_minutes=d["previous_minutes"], reason=d["reason"],
        activity_id=s.meta["activity_id"], revoked_by=d["by"],
    )


TRANSLATORS: dict[str, Translator] = {
    "ActivityPublished": _published,
    "ActivityUpdated": _updated,
    "SlotCapacityChanged": _capacity,
    "VolunteerSignedUp": _signed_up,
    "SignUpPromoted": _promoted,
    "SignUpCancelled": _signup_cancelled,
    "VolunteerCheckedIn": _checked_in,
    "VolunteerCheckedOut": _checked_out,
    "ActivityCancelled": _cancelled,
    "ActivityCompleted": _completed,
    "HoursLogged": _hours_logged,
    "TrainingRecorded": _training,
    "HoursCorrected": _corrected,
    "HoursRevoked": _revoked,
}


def translate(stored: StoredEvent) -> Sequence[CloudEvent]:
    translator = TRANSLATORS.get(stored.type)
    if translator is None:
        return []
    return [
        to_cloud_event(
            translator(stored),
            aggregate_id=_id(stored),
            district=stored.meta["district"],
            sequence=stored.version,
            time=stored.recorded_at,
            event_id=stored.event_id,
            correlation_id=stored.meta.get("correlation_id"),
            causation_id=stored.meta.get("causation_id"),
        )
    ]
