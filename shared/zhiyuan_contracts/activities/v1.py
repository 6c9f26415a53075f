"""Activities events, version 1: activities, sign-ups, attendance and service records.

Subject district: the activity's district.
"""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, StrictBool, model_validator

from ..base import ContractModel, IntegrationEvent
from ..types import (
    ActorRef,
    Capacity,
    Count,
    CriteriaVersion,
    DistrictCode,
    DivisionCode,
    FieldName,
    FreeText,
    Id,
    Minutes,
    ServiceKind,
    ShortText,
    SlotIndex,
    TargetGroup,
    UtcDateTime,
)

__all__ = [
    "ActivityCancelled",
    "ActivityCompleted",
    "ActivityPublished",
    "ActivitySlot",
    "ActivityUpdated",
    "HoursCorrected",
    "HoursLogged",
    "HoursRevoked",
    "SignUpCancelled",
    "SignUpPromoted",
    "TrainingRecorded",
    "VolunteerCheckedIn",
    "VolunteerCheckedOut",
    "VolunteerSignedUp",
]


class ActivitySlot(ContractModel):
    """One time slot of an activity with its capacity (sign-ups beyond it are waitlisted)."""

    starts_at: UtcDateTime
    ends_at: UtcDateTime
    capacity: Capacity

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("a slot ends after it starts")
        return self


class ActivityPublished(IntegrationEvent):
    """An activity was published (or back-filled through the approved path)."""

    CONTEXT: ClassVar[str] = "activities"
    NAME: ClassVar[str] = "ActivityPublished"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.activities.ActivityPublished.v1"

    activity_id: Id
    team_id: Id
    district: DistrictCode
    community: DivisionCode
    title: ShortText
    service_kind: ServiceKind
    target_group: TargetGroup
    place: ShortText
    slots: list[ActivitySlot] = Field(min_length=1)
    backfilled: StrictBool = Field(description="Entered after the fact through the approved back-fill path")
    needs_insurance: StrictBool | None = None
    description: FreeText | None = None


class VolunteerSignedUp(IntegrationEvent):
    """A volunteer signed up for an activity (confirmed or waitlisted)."""

    CONTEXT: ClassVar[str] = "activities"
    NAME: ClassVar[str] = "VolunteerSignedUp"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.activities.VolunteerSignedUp.v1"

    activity_id: Id
    volunteer_id: Id
    slot: SlotIndex = 0
    waitlisted: StrictBool = False


class SignUpCancelled(IntegrationEvent):
    """A sign-up was cancelled."""

    CONTEXT: ClassVar[str] = "activities"
    NAME: ClassVar[str] = "SignUpCancelled"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.activities.SignUpCancelled.v1"

    activity_id: Id
    volunteer_id: Id
    slot: SlotIndex = 0


class VolunteerCheckedIn(IntegrationEvent):
    """A volunteer checked in at an activity."""

    CONTEXT: ClassVar[str] = "activities"
    NAME: ClassVar[str] = "VolunteerCheckedIn"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.activities.VolunteerCheckedIn.v1"

    activity_id: Id
    volunteer_id: Id
    at: UtcDateTime


class VolunteerCheckedOut(IntegrationEvent):
    """A volunteer checked out of an activity."""

    CONTEXT: ClassVar[str] = "activities"
    NAME: ClassVar[str] = "VolunteerCheckedOut"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.activities.VolunteerCheckedOut.v1"

    activity_id: Id
    volunteer_id: Id
    at: UtcDateTime


class HoursLogged(IntegrationEvent):
    """The organizer confirmed a volunteer's service time: one service record (服务记录)."""

    CONTEXT: ClassVar[str] = "activities"
    NAME: ClassVar[str] = "HoursLogged"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.activities.HoursLogged.v1"

    record_id: Id
    volunteer_id: Id
    activity_id: Id
    district: DistrictCode
    minutes: Minutes
    started_at: UtcDateTime
    ended_at: UtcDateTime
    place: ShortText
    target_group: TargetGroup
    logged_by: ActorRef
    service_kind: ServiceKind | None = Field(
        default=None, description="The activity's service kind; training never counts as service minutes"
    )
    team_id: Id | None = None
    backfilled: StrictBool = False
    community: DivisionCode | None = Field(default=None, description="The activity's community")
    policy_version: CriteriaVersion | None = Field(
        default=None, description="The rounding policy the minutes were confirmed under (e.g. exact.v1)"
    )
    late: StrictBool = Field(
        default=False, description="Confirmed later than 10 working days after the activity ended"
    )

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at")
        return self


class TrainingRecorded(IntegrationEvent):
    """A volunteer attended a training session: a training record, never service minutes (Measures Art. 8)."""

    CONTEXT: ClassVar[str] = "activities"
    NAME: ClassVar[str] = "TrainingRecorded"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.activities.TrainingRecorded.v1"

    record_id: Id
    volunteer_id: Id
    activity_id: Id
    district: DistrictCode
    minutes: Minutes
    started_at: UtcDateTime
    ended_at: UtcDateTime
    logged_by: ActorRef


class SignUpPromoted(IntegrationEvent):
    """A place freed up and the first volunteer on the slot's waitlist was confirmed."""

    CONTEXT: ClassVar[str] = "activities"
    NAME: ClassVar[str] = "SignUpPromoted"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.activities.SignUpPromoted.v1"

    activity_id: Id
    volunteer_id: Id
    slot: SlotIndex = 0


class ActivityUpdated(IntegrationEvent):
    """An activity was changed before it started (title, place, description or a slot's capacity)."""

    CONTEXT: ClassVar[str] = "activities"
    NAME: ClassVar[str] = "ActivityUpdated"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.activities.ActivityUpdated.v1"

    activity_id: Id
    changed: list[FieldName] = Field(min_length=1)
    slots: list[ActivitySlot] | None = Field(default=None, description="The slots, when a capacity changed")


class HoursCorrected(IntegrationEvent):
    """A service record's minutes were corrected; ``minutes`` is the new amount."""

    CONTEXT: ClassVar[str] = "activities"
    NAME: ClassVar[str] = "HoursCorrected"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.activities.HoursCorrected.v1"

    record_id: Id
    volunteer_id: Id
    minutes: Minutes
    previous_minutes: Minutes
    reason: FreeText
    activity_id: Id | None = None
    corrected_by: ActorRef | None = None


class HoursRevoked(IntegrationEvent):
    """A service record was revoked (a correction to zero minutes)."""

    CONTEXT: ClassVar[str] = "activities"
    NAME: ClassVar[str] = "HoursRevoked"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.activities.HoursRevoked.v1"

    record_id: Id
    volunteer_id: Id
    previous_minutes: Minutes
    reason: FreeText
    activity_id: Id | None = None
    revoked_by: ActorRef | None = None


class ActivityCompleted(IntegrationEvent):
    """An activity was completed with its summary."""

    CONTEXT: ClassVar[str] = "activities"
    NAME: ClassVar[str] = "ActivityCompleted"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.activities.ActivityCompleted.v1"

    activity_id: Id
    district: DistrictCode
    participants: Count
    total_minutes: Minutes
    people_served: Count
    summary: FreeText
    completed_at: UtcDateTime | None = None


class ActivityCancelled(IntegrationEvent):
    """An activity was cancelled before it took place."""

    CONTEXT: ClassVar[str] = "activities"
    NAME: ClassVar[str] = "ActivityCancelled"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.activities.ActivityCancelled.v1"

    activity_id: Id
    reason: FreeText
    released: list[Id] = Field(default_factory=list, description="The volunteers whose sign-ups were released")
