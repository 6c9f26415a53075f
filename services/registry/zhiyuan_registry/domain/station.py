"""Volunteer service stations (志愿服务站): in communities, parks, transit stations, welfare
homes and schools, checked against the "六个有" standard. The checklist is data: every
re-assessment is kept, with who made it, when and why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from zhiyuan_platform.aggregate import Aggregate, DomainEvent

from .divisions import CommunityCode
from .team import checklist_of
from .unit import OrganizationError, org_name

# 六个有: 管理制度、固定场所、服务队伍、工作台账、固定项目、统一标识 (registry.v1.StationChecklist)
SIX_HAVES = ("management_rules", "dedicated_place", "team", "ledgers", "fixed_projects", "signage")
PLACE_KINDS = ("community", "park", "transit_station", "welfare_home", "school", "other")


@dataclass(frozen=True)
class StationRegistered(DomainEvent):
    TYPE: ClassVar[str] = "StationRegistered"

    station_id: str
    name: str
    place_kind: str
    community: str
    street: str
    district: str
    checklist: dict[str, bool]
    registered_by: str
    registered_at: str


@dataclass(frozen=True)
class StationChecklistUpdated(DomainEvent):
    TYPE: ClassVar[str] = "StationChecklistUpdated"

    station_id: str
    community: str
    district: str
    checklist: dict[str, bool]
    previous: dict[str, bool]
    note: str
    by: str
    at: str


class Station(Aggregate):
    EVENTS: ClassVar[dict[str, type[DomainEvent]]] = {e.TYPE: e for e in (StationRegistered, StationChecklistUpdated)}

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.name = ""
        self.place_kind = ""
        self.community = ""
        self.district = ""
        self.checklist: dict[str, bool] = dict.fromkeys(SIX_HAVES, False)

    @classmethod
    def register(
        cls,
        *,
        station_id: str,
        name: str,
        place_kind: str,
        community: CommunityCode,
        checklist: Mapping[str, object],
        by: str,
        at: str,
    ) -> Station:
        if place_kind not in PLACE_KINDS:
            raise OrganizationError(
                "place-kind-unknown",
                f"站点类型应为 {', '.join(PLACE_KINDS)} 之一。",
                f"The place kind is one of {', '.join(PLACE_KINDS)}.",
                field="place_kind",
            )
        station = cls(station_id)
        station._record(
            StationRegistered(
                station_id=station_id,
                name=org_name(name),
                place_kind=place_kind,
                community=community.code,
                street=community.street,
                district=community.district,
                checklist=checklist_of(checklist, SIX_HAVES),
                registered_by=by,
                registered_at=at,
            )
        )
        return station

    @property
    def meets_all_six(self) -> bool:
        return all(self.checklist.values())

    def update_checklist(self, *, checklist: Mapping[str, object], note: str, by: str, at: str) -> None:
        """A re-assessment is recorded even when nothing changed: it says someone checked."""
        items = checklist_of(checklist, SIX_HAVES)
        self._record(
            StationChecklistUpdated(
                station_id=self.id,
                community=self.community,
                district=self.district,
                checklist=items,
                previous=dict(self.checklist),
                note=note,
                by=by,
                at=at,
            )
        )

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, StationRegistered):
            self.name = event.name
            self.place_kind = event.place_kind
            self.community = event.community
            self.district = event.district
            self.checklist = dict(event.checklist)
        elif isinstance(event, StationChecklistUpdated):
            self.checklist = dict(event.checklist)
        else:
            super().apply(event)
