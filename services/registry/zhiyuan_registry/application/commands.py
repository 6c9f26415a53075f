"""The registry's commands as they arrive from the gateway (validated again here)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from zhiyuan_contracts.types import Skill


class GuardianConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=40)
    relation: str = Field(min_length=1, max_length=20)
    given_on: date


class RegisterVolunteer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=40)
    id_number: str = Field(min_length=1, max_length=40)
    mobile: str = Field(min_length=1, max_length=20)
    community: str = Field(pattern=r"^[0-9]{12}$")
    skills: list[Skill] = Field(default_factory=list)
    unit_id: str | None = None
    political_status: Literal["party_member", "league_member", "masses", "other"] | None = None
    guardian_consent: GuardianConsentIn | None = None
    agency: str | None = Field(default=None, pattern=r"^[0-9]{6,12}$")
    station_id: str | None = Field(default=None, max_length=64)


class GetVolunteer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    volunteer_id: str
    reveal: bool = False
    reason: str | None = None


class UpdateVolunteer(BaseModel):
    """Only the fields given are changed; ``name`` and ``mobile`` go to the person store."""

    model_config = ConfigDict(extra="forbid")

    volunteer_id: str
    skills: list[Skill] | None = None
    unit_id: str | None = None
    political_status: Literal["party_member", "league_member", "masses", "other"] | None = None
    name: str | None = Field(default=None, min_length=2, max_length=40)
    mobile: str | None = Field(default=None, min_length=1, max_length=20)


class MoveVolunteer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    volunteer_id: str
    community: str = Field(pattern=r"^[0-9]{12}$")
    reason: str = Field(min_length=2, max_length=500)


class ChangeStatus(BaseModel):
    """Suspend, reinstate, deregister or erase: always with a reason."""

    model_config = ConfigDict(extra="forbid")

    volunteer_id: str
    reason: str = Field(min_length=2, max_length=500)


class ListVolunteers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    district: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    community: str | None = Field(default=None, pattern=r"^[0-9]{12}$")
    status: Literal["active", "suspended", "deregistered"] | None = None
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = None
