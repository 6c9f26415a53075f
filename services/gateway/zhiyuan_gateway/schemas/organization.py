"""Request bodies of units, registering agencies, teams and stations. The gateway checks the
shape; the registry checks the divisions, who may act, and the organization's rules."""

from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from zhiyuan_contracts.vocabularies import TeamKind, UnitType

from .common import CommunityCode

OrgName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=500)]
Ref = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
PlaceKind = Literal["community", "park", "transit_station", "welfare_home", "school", "other"]

IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
AgencyCodePath = Annotated[
    str, Path(pattern=r"^[0-9]{6,11}$", description="agency code: a district (6) or street (9) prefix, plus a 2-digit serial")
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UnitRegistration(Strict):
    """POST /api/v1/units."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "建外街道办事处", "unit_type": "party_government", "community": "110105001026", "headcount": 120}
            ]
        },
    )

    name: OrgName
    unit_type: UnitType
    community: CommunityCode = Field(description="12-digit community/village code where the unit is")
    headcount: int = Field(strict=True, ge=1, description="staff or members, counted for the quota report")


class AgencyRegistration(Strict):
    """POST /api/v1/agencies: the first one of a division names its default agency."""

    name: OrgName
    level: Literal["district", "street"]
    division: Annotated[str, StringConstraints(pattern=r"^([0-9]{6}|[0-9]{12})$")] = Field(
        description="a 6-digit district code or a 12-digit street/township code"
    )


class StationAuthorizationRequest(Strict):
    station_id: Ref
    reason: Reason


class TeamRegistration(Strict):
    """POST /api/v1/teams (contract body)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "永安里为老服务队", "community": "110105001026", "kind": "community"}]},
    )

    name: OrgName
    community: CommunityCode
    kind: TeamKind
    unit_id: Ref | None = None
    leader_volunteer_id: Ref | None = None


class TeamChecklist(Strict):
    """五有: each item true or false."""

    has_organization: StrictBool
    has_people: StrictBool
    has_place_or_target: StrictBool
    has_activities: StrictBool
    has_rules: StrictBool


class TeamChecklistUpdate(Strict):
    checklist: TeamChecklist
    note: Note = ""


class TeamJoin(Strict):
    """Without ``volunteer_id`` a volunteer's token joins its own volunteer."""

    volunteer_id: Ref | None = None


class StationChecklist(Strict):
    """六个有 at registration: an item not given is false."""

    management_rules: StrictBool = False
    dedicated_place: StrictBool = False
    team: StrictBool = False
    ledgers: StrictBool = False
    fixed_projects: StrictBool = False
    signage: StrictBool = False


class FullStationChecklist(Strict):
    """A re-assessment states all six items."""

    management_rules: StrictBool
    dedicated_place: StrictBool
    team: StrictBool
    ledgers: StrictBool
    fixed_projects: StrictBool
    signage: StrictBool


class StationRegistration(Strict):
    name: OrgName
    community: CommunityCode
    place_kind: PlaceKind
    checklist: StationChecklist = Field(default_factory=StationChecklist)


class StationChecklistUpdate(Strict):
    checklist: FullStationChecklist
    note: Note = ""


class OrganizationCreated(BaseModel):
    """201 answer (documentation; the registry's result is passed through)."""

    model_config = ConfigDict(extra="allow")

    district: str | None = None


class OrganizationPage(BaseModel):
    """A list: ``items`` and the ``next`` cursor (null on the last page)."""

    model_config = ConfigDict(extra="allow")

    items: list[dict[str, object]]
    next: str | None
