"""Registry events, version 1: volunteers, units, teams and service stations.

Subject district: the volunteer's registration district (``VolunteerMoved`` goes to the
new one); for units, teams and stations, the district they are in.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, StrictBool

from ..base import ContractModel, IntegrationEvent
from ..types import (
    DistrictCode,
    DivisionCode,
    FieldName,
    FreeText,
    Id,
    MaskedName,
    OrgName,
    PoliticalStatus,
    RegistrationNo,
    ShortText,
    Skill,
    TeamKind,
    UnitType,
    UtcDateTime,
)

__all__ = [
    "StationChecklist",
    "StationChecklistUpdated",
    "StationRegistered",
    "TeamRegistered",
    "UnitRegistered",
    "VolunteerDeregistered",
    "VolunteerJoinedTeam",
    "VolunteerLeftTeam",
    "VolunteerMoved",
    "VolunteerProfileUpdated",
    "VolunteerRegistered",
    "VolunteerReinstated",
    "VolunteerSuspended",
]


class VolunteerRegistered(IntegrationEvent):
    """A volunteer was registered (志愿者注册). Carries no ID number, phone or whole name."""

    CONTEXT: ClassVar[str] = "registry"
    NAME: ClassVar[str] = "VolunteerRegistered"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.registry.VolunteerRegistered.v1"

    volunteer_id: Id
    registration_no: RegistrationNo
    district: DistrictCode
    street: DivisionCode
    community: DivisionCode
    registered_by: ShortText = Field(description="The registering agency (code or name)")
    registered_at: UtcDateTime
    skills: list[Skill] = Field(description="Professional service_kind codes")
    minor: StrictBool = Field(description="Under 18 at registration (guardian consent recorded)")
    unit_id: Id | None = Field(description="The volunteer's unit, or null")
    name_masked: MaskedName | None = None
    political_status: PoliticalStatus | None = None


class UnitRegistered(IntegrationEvent):
    """A unit (单位) was registered, with its type and headcount for the quota reports."""

    CONTEXT: ClassVar[str] = "registry"
    NAME: ClassVar[str] = "UnitRegistered"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.registry.UnitRegistered.v1"

    unit_id: Id
    name: OrgName = Field(description="The unit's name (an organisation, public)")
    unit_type: UnitType
    community: DivisionCode
    headcount: int = Field(strict=True, ge=0, description="Staff (or members) counted for the quota")
    district: DistrictCode | None = None


class VolunteerProfileUpdated(IntegrationEvent):
    """A volunteer's profile changed; only the names of the changed fields travel."""

    CONTEXT: ClassVar[str] = "registry"
    NAME: ClassVar[str] = "VolunteerProfileUpdated"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.registry.VolunteerProfileUpdated.v1"

    volunteer_id: Id
    changed: list[FieldName] = Field(min_length=1, description="Names of the changed profile fields")
    skills: list[Skill] | None = Field(default=None, description="The new skills, when they changed")
    unit_id: Id | None = Field(default=None, description="The new unit, when it changed")


class VolunteerMoved(IntegrationEvent):
    """A volunteer moved registration to another community (published to the new district)."""

    CONTEXT: ClassVar[str] = "registry"
    NAME: ClassVar[str] = "VolunteerMoved"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.registry.VolunteerMoved.v1"

    volunteer_id: Id
    from_community: DivisionCode
    to_community: DivisionCode
    from_district: DistrictCode
    to_district: DistrictCode
    from_street: DivisionCode | None = None
    to_street: DivisionCode | None = None


class VolunteerSuspended(IntegrationEvent):
    """A volunteer was suspended; their sign-ups and new hours are refused until reinstated."""

    CONTEXT: ClassVar[str] = "registry"
    NAME: ClassVar[str] = "VolunteerSuspended"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.registry.VolunteerSuspended.v1"

    volunteer_id: Id
    reason: FreeText


class VolunteerReinstated(IntegrationEvent):
    """A suspended volunteer was reinstated."""

    CONTEXT: ClassVar[str] = "registry"
    NAME: ClassVar[str] = "VolunteerReinstated"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.registry.VolunteerReinstated.v1"

    volunteer_id: Id
    reason: FreeText


class VolunteerDeregistered(IntegrationEvent):
    """A volunteer left the register (注销); their past service records remain."""

    CONTEXT: ClassVar[str] = "registry"
    NAME: ClassVar[str] = "VolunteerDeregistered"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.registry.VolunteerDeregistered.v1"

    volunteer_id: Id
    reason: FreeText


class TeamRegistered(IntegrationEvent):
    """A volunteer service team (志愿服务队) was registered."""

    CONTEXT: ClassVar[str] = "registry"
    NAME: ClassVar[str] = "TeamRegistered"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.registry.TeamRegistered.v1"

    team_id: Id
    name: OrgName = Field(description="The team's name (an organisation, public)")
    district: DistrictCode
    community: DivisionCode
    kind: TeamKind
    unit: Id | None = Field(description="The unit_id the team belongs to, or null")
    leader_volunteer_id: Id | None = None


class VolunteerJoinedTeam(IntegrationEvent):
    """A volunteer joined a team."""

    CONTEXT: ClassVar[str] = "registry"
    NAME: ClassVar[str] = "VolunteerJoinedTeam"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.registry.VolunteerJoinedTeam.v1"

    team_id: Id
    volunteer_id: Id


class VolunteerLeftTeam(IntegrationEvent):
    """A volunteer left a team."""

    CONTEXT: ClassVar[str] = "registry"
    NAME: ClassVar[str] = "VolunteerLeftTeam"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.registry.VolunteerLeftTeam.v1"

    team_id: Id
    volunteer_id: Id


class StationChecklist(ContractModel):
    """The six items a volunteer service station (志愿服务站点) is checked against."""

    management_rules: StrictBool = Field(description="有管理制度")
    dedicated_place: StrictBool = Field(description="有固定场所")
    team: StrictBool = Field(description="有服务队伍")
    ledgers: StrictBool = Field(description="有工作台账")
    fixed_projects: StrictBool = Field(description="有固定项目")
    signage: StrictBool = Field(description="有统一标识")

    @property
    def complete(self) -> bool:
        return all(getattr(self, item) for item in type(self).model_fields)


class StationRegistered(IntegrationEvent):
    """A volunteer service station was registered with its checklist."""

    CONTEXT: ClassVar[str] = "registry"
    NAME: ClassVar[str] = "StationRegistered"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.registry.StationRegistered.v1"

    station_id: Id
    district: DistrictCode
    community: DivisionCode
    checklist: StationChecklist
    name: OrgName | None = Field(default=None, description="The station's name (public)")


class StationChecklistUpdated(IntegrationEvent):
    """A station's checklist was re-assessed; the whole checklist travels."""

    CONTEXT: ClassVar[str] = "registry"
    NAME: ClassVar[str] = "StationChecklistUpdated"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.registry.StationChecklistUpdated.v1"

    station_id: Id
    district: DistrictCode
    community: DivisionCode
    checklist: StationChecklist
