"""Public events of units, teams and stations. Each goes to the district the unit, team or
station is in; agencies and the teams' 五有 assessments stay internal."""

from __future__ import annotations

from collections.abc import Sequence

from zhiyuan_contracts.envelope import CloudEvent
from zhiyuan_contracts.registry import v1
from zhiyuan_platform.eventstore import StoredEvent

from ..domain import station, team, unit
from .common import Translator, wrap


def unit_registered(stored: StoredEvent) -> Sequence[CloudEvent]:
    e = unit.UnitRegistered.from_data(stored.data)
    public = v1.UnitRegistered(
        unit_id=e.unit_id,
        name=e.name,
        unit_type=e.unit_type,
        community=e.community,
        headcount=e.headcount,
        district=e.district,
    )
    return wrap(stored, public, aggregate_id=e.unit_id, district=e.district)


def team_registered(stored: StoredEvent) -> Sequence[CloudEvent]:
    e = team.TeamRegistered.from_data(stored.data)
    public = v1.TeamRegistered(
        team_id=e.team_id,
        name=e.name,
        district=e.district,
        community=e.community,
        kind=e.kind,
        unit=e.unit_id,
        leader_volunteer_id=e.leader_volunteer_id,
    )
    return wrap(stored, public, aggregate_id=e.team_id, district=e.district)


def joined(stored: StoredEvent) -> Sequence[CloudEvent]:
    e = team.VolunteerJoinedTeam.from_data(stored.data)
    public = v1.VolunteerJoinedTeam(team_id=e.team_id, volunteer_id=e.volunteer_id)
    return wrap(stored, public, aggregate_id=e.team_id, district=e.district)


def left(stored: StoredEvent) -> Sequence[CloudEvent]:
    e = team.VolunteerLeftTeam.from_data(stored.data)
    public = v1.VolunteerLeftTeam(team_id=e.team_id, volunteer_id=e.volunteer_id)
    return wrap(stored, public, aggregate_id=e.team_id, district=e.district)


def station_registered(stored: StoredEvent) -> Sequence[CloudEvent]:
    e = station.StationRegistered.from_data(stored.data)
    public = v1.StationRegistered(
        station_id=e.station_id,
        district=e.district,
        community=e.community,
        checklist=v1.StationChecklist(**e.checklist),
        name=e.name,
    )
    return wrap(stored, public, aggregate_id=e.station_id, district=e.district)


def station_checklist_updated(stored: StoredEvent) -> Sequence[CloudEvent]:
    e = station.StationChecklistUpdated.from_data(stored.data)
    public = v1.StationChecklistUpdated(
        station_id=e.station_id,
        district=e.district,
        community=e.community,
        checklist=v1.StationChecklist(**e.checklist),
    )
    return wrap(stored, public, aggregate_id=e.station_id, district=e.district)


TRANSLATORS: dict[str, Translator] = {
    unit.UnitRegistered.TYPE: unit_registered,
    team.TeamRegistered.TYPE: team_registered,
    team.VolunteerJoinedTeam.TYPE: joined,
    team.VolunteerLeftTeam.TYPE: left,
    station.StationRegistered.TYPE: station_registered,
    station.StationChecklistUpdated.TYPE: station_checklist_updated,
}
