"""Activities' commands as they arrive from the gateway (validated again here)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from zhiyuan_contracts.types import ServiceKind, TargetGroup

Strict = ConfigDict(extra="forbid")


class SlotIn(BaseModel):
    model_config = Strict
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    capacity: int = Field(ge=1, le=100_000, strict=True)


class PublishActivity(BaseModel):
    model_config = Strict
    team_id: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=2, max_length=200)
    service_kind: (
        ServiceKind | Literal["paid_work", "duty_work", "meeting", "team_building", "commercial_event"]
    )
    target_group: TargetGroup
    place: str = Field(min_length=1, max_length=200)
    community: str = Field(pattern=r"^[0-9]{12}$")
    slots: list[SlotIn] = Field(min_length=1, max_length=400)
    needs_insurance: bool = False
    description: str = Field(default="", max_length=5000)
    recruitment: Literal["public", "team"] = "public"
    allows_minors: bool = False


class RequestBackfill(PublishActivity):
    reason: str = Field(min_length=4, max_length=1000)


class ActivityRef(BaseModel):
    model_config = Strict
    activity_id: str = Field(min_length=1, max_length=64)


class DecideBackfill(ActivityRef):
    approve: bool
    note: str = Field(default="", max_length=1000)


class UpdateActivity(ActivityRef):
    title: str | None = Field(default=None, min_length=2, max_length=200)
    place: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    target_group: TargetGroup | None = None


class ChangeCapacity(ActivityRef):
    slot: int = Field(default=0, ge=0)
    capacity: int = Field(ge=1, le=100_000, strict=True)


class RecordInsurance(ActivityRef):
    policy_no: str = Field(min_length=2, max_length=100)
    insurer: str = Field(min_length=2, max_length=200)


class CancelActivity(ActivityRef):
    reason: str = Field(min_length=2, max_length=1000)


class SignUp(ActivityRef):
    volunteer_id: str | None = Field(default=None, max_length=64)
    slot: int = Field(default=0, ge=0)


class CancelSignUp(ActivityRef):
    volunteer_id: str | None = Field(default=None, max_length=64)


class Attendance(ActivityRef):
    volunteer_id: str | None = Field(default=None, max_length=64)
    code: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    at: AwareDatetime | None = None


class RecordIn(BaseModel):
    model_config = Strict
    volunteer_id: str = Field(min_length=1, max_length=64)
    minutes: int | None = Field(default=None, ge=0, le=24 * 60 * 366, strict=True)
    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None


class ConfirmHours(ActivityRef):
    records: list[RecordIn] = Field(min_length=1, max_length=1000)
    policy: Literal["exact.v1", "chongqing-15-45.v1"] | None = None


class CorrectRecord(BaseModel):
    model_config = Strict
    record_id: str = Field(min_length=1, max_length=64)
    minutes: int = Field(ge=0, le=24 * 60 * 366, strict=True)
    reason: str = Field(min_length=2, max_length=1000)


class DisputeRecord(BaseModel):
    model_config = Strict
    record_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=2, max_length=1000)
    claimed_minutes: int | None = Field(default=None, ge=0, strict=True)


class ResolveDispute(BaseModel):
    model_config = Strict
    record_id: str = Field(min_length=1, max_length=64)
    dispute_no: int = Field(ge=1)
    accept: bool
    minutes: int | None = Field(default=None, ge=0, strict=True)
    note: str = Field(min_length=2, max_length=1000)


class CompleteActivity(ActivityRef):
    summary: str = Field(min_length=2, max_length=5000)
    people_served: int = Field(ge=0, le=10_000_000, strict=True)


class SearchActivities(BaseModel):
    model_config = Strict
    district: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    service_kind: str | None = None
    team_id: str | None = None
    status: str | None = None
    from_: datetime | None = Field(default=None, alias="from")
    to: datetime | None = None
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = None


class VolunteerRef(BaseModel):
    model_config = Strict
    volunteer_id: str = Field(min_length=1, max_length=64)


class TeamRef(BaseModel):
    model_config = Strict
    team_id: str = Field(min_length=1, max_length=64)
