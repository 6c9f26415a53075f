"""The organization's commands and queries as they arrive from the gateway (validated again here)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from zhiyuan_contracts.types import TeamKind, UnitType

Community = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
District = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
AgencyCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6,11}$")]
Ref = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Note = Annotated[str, StringConstraints(max_length=500)]
Reason = Annotated[str, StringConstraints(min_length=2, max_length=500)]
PlaceKind = Literal["community", "park", "transit_station", "welfare_home", "school", "other"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(Strict):
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=400)


# -- units ----------------------------------------------------------------------------


class RegisterUnit(Strict):
    name: Name
    unit_type: UnitType
    community: Community
    headcount: int = Field(strict=True, ge=1)


class ListUnits(Page):
    district: District | None = None
    community: Community | None = None
    unit_type: UnitType | None = None


# -- agencies -----------------------------------------------------------------------------


class RegisterAgency(Strict):
    name: Name
    level: Literal["district", "street"]
    division: Annotated[str, StringConstraints(pattern=r"^([0-9]{6}|[0-9]{12})$")]


class StationAuthorization(Strict):
    agency: AgencyCode
    station_id: Ref
    reason: Reason


class ListAgencies(Page):
    district: District


# -- teams ------------------------------------------------------------------------------


class TeamChecklist(Strict):
    """五有: each item true or false, all five given."""

    has_organization: StrictBool
    has_people: StrictBool
    has_place_or_target: StrictBool
    has_activities: StrictBool
    has_rules: StrictBool


class RegisterTeam(Strict):
    name: Name
    community: Community
    kind: TeamKind
    unit_id: Ref | None = None
    leader_volunteer_id: Ref | None = None


class UpdateTeamChecklist(Strict):
    team_id: Ref
    checklist: TeamChecklist
    note: Note = ""


class TeamMembership(Strict):
    team_id: Ref
    volunteer_id: Ref


class LeaveTeam(TeamMembership):
    reason: Note = ""


class TeamRef(Strict):
    team_id: Ref


class ListTeams(Page):
    district: District | None = None
    community: Community | None = None
    kind: TeamKind | None = None


class ListTeamMembers(Page):
    team_id: Ref


# -- stations ---------------------------------------------------------------------------


class StationChecklist(Strict):
    """六个有: each item true or false; at registration an item not given is false."""

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


class RegisterStation(Strict):
    name: Name
    community: Community
    place_kind: PlaceKind
    checklist: StationChecklist = Field(default_factory=StationChecklist)


class UpdateStationChecklist(Strict):
    station_id: Ref
    checklist: FullStationChecklist
    note: Note = ""


class StationRef(Strict):
    station_id: Ref


class ListStations(Page):
    district: District | None = None
    community: Community | None = None
    place_kind: PlaceKind | None = None
