"""Request bodies and path parameters of the activity, attendance, hours and record endpoints.

The gateway checks shape only (unknown fields, types, lengths, RFC 3339 times with an
offset); the activities service validates again and decides everything else.
"""

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from zhiyuan_contracts.vocabularies import ServiceKind, TargetGroup

from .common import CommunityCode, Identifier

MAX_MINUTES = 24 * 60 * 366

_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?P<offset>[Zz]|[+-]\d{2}:\d{2})?"
)


def _rfc3339(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError(
            "datetime_type", "Input should be an RFC 3339 date-time string, e.g. 2026-03-05T09:00:00+08:00"
        )
    match = _RFC3339.fullmatch(value.strip())
    if match is None:
        raise PydanticCustomError(
            "datetime_parsing", "Input should be an RFC 3339 date-time, e.g. 2026-03-05T09:00:00+08:00"
        )
    if match.group("offset") is None:
        raise PydanticCustomError(
            "timezone_aware",
            "Input should carry a UTC offset (RFC 3339), e.g. 2026-03-05T09:00:00+08:00 or …Z",
        )
    return value.strip()


def _rfc3339_query(value: Any) -> Any:
    # A query string decodes an unescaped "+" as a space: "…T09:00:00 08:00" means "+08:00".
    if isinstance(value, str):
        value = re.sub(r"(\d{2}:\d{2}(?:\.\d+)?) (\d{2}:\d{2})$", r"\1+\2", value.strip())
    return _rfc3339(value)


Rfc3339 = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]
"""An RFC 3339 date-time with its offset; a naive time is refused rather than guessed."""
Rfc3339Query = Annotated[AwareDatetime, BeforeValidator(_rfc3339_query)]

Minutes = Annotated[int, Field(ge=0, le=MAX_MINUTES, strict=True)]
Capacity = Annotated[int, Field(ge=1, le=100_000, strict=True)]
SlotIndex = Annotated[int, Field(ge=0, le=399, strict=True, description="0-based slot index")]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
Place = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=5000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=1000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]

# Work-like kinds pass the gateway so that the service refuses them with its own rule
# ("paid work is not volunteer service"), not with a bare "unknown code".
NOT_SERVICE_KINDS = ("paid_work", "duty_work", "meeting", "team_building", "commercial_event")
_KINDS = (*(k.value for k in ServiceKind), *NOT_SERVICE_KINDS)


def _known_kind(value: str) -> str:
    if value not in _KINDS:
        raise PydanticCustomError("enum", "Input should be a service_kind code of the contract's vocabulary")
    return value


ServiceKindCode = Annotated[
    str, AfterValidator(_known_kind), WithJsonSchema({"type": "string", "enum": list(_KINDS)})
]

_PATH_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
ActivityIdPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=_PATH_ID, description="the activity_id")
]
RecordIdPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=_PATH_ID, description="the service record's record_id")
]
TeamIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=_PATH_ID, description="the team_id")]
DisputeNoPath = Annotated[
    int, Path(ge=1, le=10_000, description="the dispute's number on the record (1-based)")
]

ActivityStatus = Literal["backfill_requested", "published", "cancelled", "completed", "backfill_rejected"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- publishing -------------------------------------------------------------------------


class SlotIn(Strict):
    starts_at: Rfc3339
    ends_at: Rfc3339
    capacity: Capacity


class ActivityDraft(Strict):
    """POST /api/v1/activities."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "team_id": "t-1",
                    "title": "重阳节探访空巢老人",
                    "service_kind": "elderly_care",
                    "target_group": "elderly_living_alone",
                    "place": "朝阳区某社区服务站",
                    "community": "110105001026",
                    "slots": [
                        {
                            "starts_at": "2026-10-18T09:00:00+08:00",
                            "ends_at": "2026-10-18T11:30:00+08:00",
                            "capacity": 20,
                        }
                    ],
                }
            ]
        },
    )

    team_id: Identifier
    title: Title
    service_kind: ServiceKindCode = Field(
        description="a service_kind code; the work-like kinds are accepted here and refused by the rules"
    )
    target_group: TargetGroup
    place: Place
    community: CommunityCode = Field(description="12-digit community/village division code")
    slots: list[SlotIn] = Field(min_length=1, max_length=400)
    needs_insurance: StrictBool = False
    description: Description = ""
    recruitment: Literal["public", "team"] = Field(
        default="public", description="public: anyone may sign up; team: the team's members only"
    )
    allows_minors: StrictBool = False


class BackfillRequest(ActivityDraft):
    """POST /api/v1/activities/backfills: an activity that already took place, for approval."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=1000)]


class BackfillDecision(Strict):
    approve: StrictBool
    note: Note = ""


class ActivityChange(Strict):
    """Only the fields given change; a field may not be set to null."""

    title: Title | None = None
    place: Place | None = None
    description: Description | None = None
    target_group: TargetGroup | None = None

    @field_validator("title", "place", "description", "target_group", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("not_null", "Input may not be null; leave the field out to keep it")
        return value


class CapacityChange(Strict):
    slot: SlotIndex = 0
    capacity: Capacity


class Insurance(Strict):
    policy_no: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100)]
    insurer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]


class Cancellation(Strict):
    reason: Reason


# --- sign-up and attendance -------------------------------------------------------------


class SignUpRequest(Strict):
    volunteer_id: Identifier | None = Field(default=None, description="organizers: the volunteer to sign up")
    slot: SlotIndex = 0


class AttendanceMark(Strict):
    """A volunteer presents the rotating ``code``; an organizer names ``volunteer_id`` (and ``at``)."""

    volunteer_id: Identifier | None = None
    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")] | None = None
    at: Rfc3339 | None = None


# --- hours, completion and records ------------------------------------------------------


class HoursRecord(Strict):
    volunteer_id: Identifier
    minutes: Minutes | None = None
    started_at: Rfc3339 | None = None
    ended_at: Rfc3339 | None = None


class HoursConfirmation(Strict):
    records: list[HoursRecord] = Field(min_length=1, max_length=1000)
    policy: Literal["exact.v1", "chongqing-15-45.v1"] | None = Field(
        default=None, description="the rounding policy; default: the one in force"
    )


class Completion(Strict):
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=5000)]
    people_served: Annotated[int, Field(ge=0, le=10_000_000, strict=True)]


class Correction(Strict):
    minutes: Minutes = Field(description="the corrected amount; 0 revokes the record")
    reason: Reason


class DisputeRequest(Strict):
    reason: Reason
    claimed_minutes: Minutes | None = None


class DisputeResolution(Strict):
    accept: StrictBool
    minutes: Minutes | None = None
    note: Reason


# --- answers (documentation; the service's answer is passed through) --------------------


class _Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class ActivityCreated(_Answer):
    activity_id: str
    status: str


class SignUpAnswer(_Answer):
    activity_id: str
    volunteer_id: str
    slot: int
    status: Literal["confirmed", "waitlisted"]
    position: int | None = Field(default=None, description="1-based waitlist position, when waitlisted")


class ConfirmedRecord(_Answer):
    volunteer_id: str
    record_id: str
    minutes: int


class HoursConfirmed(_Answer):
    activity_id: str
    policy_version: str
    records: list[ConfirmedRecord]
