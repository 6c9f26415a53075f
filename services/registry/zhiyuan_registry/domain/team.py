"""Volunteer service teams (志愿服务队): registered in a community, perhaps for a unit, with
members, and checked against the "五有" standard — an organization, people, a place or
service target, activities and rules (002)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from zhiyuan_platform.aggregate import Aggregate, DomainEvent

from .divisions import CommunityCode
from .unit import OrganizationError, org_name

# 五有: 有组织、有人员、有场所或服务对象、有活动、有制度
FIVE_HAVES = ("has_organization", "has_people", "has_place_or_target", "has_activities", "has_rules")


def checklist_of(items: Mapping[str, object], names: tuple[str, ...]) -> dict[str, bool]:
    """Exactly the named items, each true or false."""
    missing = [n for n in names if n not in items]
    unknown = sorted(set(items) - set(names))
    wrong = [n for n in names if n in items and not isinstance(items[n], bool)]
    if missing or unknown or wrong:
        raise OrganizationError(
            "checklist-items",
            f"检查项须为 {', '.join(names)}，每项为是或否。",
            f"The checklist has exactly the items {', '.join(names)}, each true or false"
            f" (missing {missing}, unknown {unknown}, not true/false {wrong}).",
            field="checklist",
        )
    return {n: bool(items[n]) for n in names}


@dataclass(frozen=True)
class TeamRegistered(DomainEvent):
    TYPE: ClassVar[str] = "TeamRegistered"

    team_id: str
    name: str
    kind: str
    community: str
    street: str
    district: str
    unit_id: str | None
    leader_volunteer_id: str | None
    checklist: dict[str, bool]
    registered_by: str
    registered_at: str


@dataclass(frozen=True)
class TeamChecklistUpdated(DomainEvent):
    TYPE: ClassVar[str] = "TeamChecklistUpdated"

    team_id: str
    district: str
    checklist: dict[str, bool]
    note: str
    by: str
    at: str


@dataclass(frozen=True)
class VolunteerJoinedTeam(DomainEvent):
    TYPE: ClassVar[str] = "VolunteerJoinedTeam"

    team_id: str
    district: str
    volunteer_id: str
    by: str
    at: str


@dataclass(frozen=True)
class VolunteerLeftTeam(DomainEvent):
    TYPE: ClassVar[str] = "VolunteerLeftTeam"

    team_id: str
    district: str
    volunteer_id: str
    reason: str
    by: str
    at: str


class Team(Aggregate):
    EVENTS: ClassVar[dict[str, type[DomainEvent]]] = {
        e.TYPE: e for e in (TeamRegistered, TeamChecklistUpdated, VolunteerJoinedTeam, VolunteerLeftTeam)
    }

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.name = ""
        self.kind = ""
        self.community = ""
        self.district = ""
        self.unit_id: str | None = None
        self.leader: str | None = None
        self.members: set[str] = set()
        self.checklist: dict[str, bool] = dict.fromkeys(FIVE_HAVES, False)

    @classmethod
    def register(
        cls,
        *,
        team_id: str,
        name: str,
        kind: str,
        community: CommunityCode,
        unit_id: str | None,
        leader_volunteer_id: str | None,
        by: str,
        at: str,
    ) -> Team:
        """A new team meets none of the five items until assessed; its leader is its first member."""
        team = cls(team_id)
        team._record(
            TeamRegistered(
                team_id=team_id,
                name=org_name(name),
                kind=kind,
                community=community.code,
                street=community.street,
                district=community.district,
                unit_id=unit_id,
                leader_volunteer_id=leader_volunteer_id,
                checklist=dict.fromkeys(FIVE_HAVES, False),
                registered_by=by,
                registered_at=at,
            )
        )
        if leader_volunteer_id is not None:
            team.join(volunteer_id=leader_volunteer_id, by=by, at=at)
        return team

    @property
    def meets_all_five(self) -> bool:
        return all(self.checklist.values())

    def update_checklist(self, *, checklist: Mapping[str, object], note: str, by: str, at: str) -> None:
        items = checklist_of(checklist, FIVE_HAVES)
        self._record(TeamChecklistUpdated(team_id=self.id, district=self.district, checklist=items, note=note, by=by, at=at))

    def join(self, *, volunteer_id: str, by: str, at: str) -> None:
        if volunteer_id in self.members:
            raise OrganizationError(
                "team-already-member", "该志愿者已是本队队员。", "The volunteer is already a member of this team.", conflict=True
            )
        self._record(VolunteerJoinedTeam(team_id=self.id, district=self.district, volunteer_id=volunteer_id, by=by, at=at))

    def leave(self, *, volunteer_id: str, reason: str, by: str, at: str) -> None:
        if volunteer_id not in self.members:
            raise OrganizationError(
                "team-not-a-member", "该志愿者不是本队队员。", "The volunteer is not a member of this team.", conflict=True
            )
        self._record(
            VolunteerLeftTeam(team_id=self.id, district=self.district, volunteer_id=volunteer_id, reason=reason, by=by, at=at)
        )

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, TeamRegistered):
            self.name = event.name
            self.kind = event.kind
            self.community = event.community
            self.district = event.district
            self.unit_id = event.unit_id
            self.leader = event.leader_volunteer_id
            self.checklist = dict(event.checklist)
        elif isinstance(event, TeamChecklistUpdated):
            self.checklist = dict(event.checklist)
        elif isinstance(event, VolunteerJoinedTeam):
            self.members.add(event.volunteer_id)
        elif isinstance(event, VolunteerLeftTeam):
            self.members.discard(event.volunteer_id)
            if self.leader == event.volunteer_id:
                self.leader = None
        else:
            super().apply(event)
