"""Read models of units, agencies, teams and stations, kept in the command's transaction.

They answer the lists, the scoping checks (a team's community, a station's authorization)
and the checklist histories without replaying streams. Rebuildable from the event store.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_contracts.envelope import parse_time
from zhiyuan_platform.eventstore import StoredEvent
from zhiyuan_platform.tables import Position, UtcDateTime

from .volunteer_views import Projection

metadata = MetaData()

unit_view = Table(
    "unit_view",
    metadata,
    Column("unit_id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("unit_type", String(40), nullable=False),
    Column("district", String(6), nullable=False, index=True),
    Column("street", String(12), nullable=False),
    Column("community", String(12), nullable=False, index=True),
    Column("headcount", Integer, nullable=False),
    Column("registered_by", String(200), nullable=False),
    Column("registered_at", UtcDateTime(), nullable=False),
)

# Named agencies only; a default agency that nobody has named has no row.
agency_view = Table(
    "agency_view",
    metadata,
    Column("code", String(12), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("level", String(10), nullable=False),
    Column("division", String(12), nullable=False),
    Column("prefix", String(9), nullable=False, index=True),
    Column("district", String(6), nullable=False, index=True),
    Column("registered_by", String(200), nullable=False),
    Column("registered_at", UtcDateTime(), nullable=False),
)

# Which stations may register volunteers under which agency, now.
agency_authorizations = Table(
    "agency_authorizations",
    metadata,
    Column("agency", String(12), primary_key=True),
    Column("station_id", String(36), primary_key=True, index=True),
    Column("reason", Text, nullable=False),
    Column("authorized_by", String(200), nullable=False),
    Column("authorized_at", UtcDateTime(), nullable=False),
)

team_view = Table(
    "team_view",
    metadata,
    Column("team_id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("unit_id", String(64), nullable=True),
    Column("district", String(6), nullable=False, index=True),
    Column("street", String(12), nullable=False),
    Column("community", String(12), nullable=False, index=True),
    Column("leader_volunteer_id", String(36), nullable=True),
    Column("member_count", Integer, nullable=False),
    Column("checklist", JSON, nullable=False),
    Column("checklist_complete", Boolean, nullable=False),
    Column("registered_by", String(200), nullable=False),
    Column("registered_at", UtcDateTime(), nullable=False),
)

team_members = Table(
    "team_members",
    metadata,
    Column("team_id", String(36), primary_key=True),
    Column("volunteer_id", String(36), primary_key=True, index=True),
    Column("joined_by", String(200), nullable=False),
    Column("joined_at", UtcDateTime(), nullable=False),
)

station_view = Table(
    "station_view",
    metadata,
    Column("station_id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("place_kind", String(40), nullable=False),
    Column("district", String(6), nullable=False, index=True),
    Column("street", String(12), nullable=False),
    Column("community", String(12), nullable=False, index=True),
    Column("checklist", JSON, nullable=False),
    Column("checklist_complete", Boolean, nullable=False),
    Column("registered_by", String(200), nullable=False),
    Column("registered_at", UtcDateTime(), nullable=False),
    Column("checklist_updated_at", UtcDateTime(), nullable=False),
)

# Every assessment of a team's 五有 or a station's 六个有, registration included.
checklist_history = Table(
    "checklist_history",
    metadata,
    Column("id", Position, primary_key=True, autoincrement=True),
    Column("owner", String(10), nullable=False),
    Column("owner_id", String(36), nullable=False, index=True),
    Column("checklist", JSON, nullable=False),
    Column("note", Text, nullable=True),
    Column("changed_by", String(200), nullable=False),
    Column("changed_at", UtcDateTime(), nullable=False),
)


async def _history(conn: AsyncConnection, owner: str, owner_id: str, checklist: dict[str, Any], note: str | None, by: str, at: str) -> None:
    await conn.execute(
        insert(checklist_history).values(
            owner=owner, owner_id=owner_id, checklist=checklist, note=note, changed_by=by, changed_at=parse_time(at)
        )
    )


async def _unit_registered(conn: AsyncConnection, event: StoredEvent) -> None:
    d = event.data
    await conn.execute(
        insert(unit_view).values(
            unit_id=d["unit_id"],
            name=d["name"],
            unit_type=d["unit_type"],
            district=d["district"],
            street=d["street"],
            community=d["community"],
            headcount=d["headcount"],
            registered_by=d["registered_by"],
            registered_at=parse_time(d["registered_at"]),
        )
    )


async def _agency_registered(conn: AsyncConnection, event: StoredEvent) -> None:
    d = event.data
    code: str = d["agency"]
    await conn.execute(
        insert(agency_view).values(
            code=code,
            name=d["name"],
            level=d["level"],
            division=d["division"],
            prefix=code[:6] if d["level"] == "district" else code[:9],
            district=d["district"],
            registered_by=d["registered_by"],
            registered_at=parse_time(d["registered_at"]),
        )
    )


async def _station_authorized(conn: AsyncConnection, event: StoredEvent) -> None:
    d = event.data
    await conn.execute(
        insert(agency_authorizations).values(
            agency=d["agency"],
            station_id=d["station_id"],
            reason=d["reason"],
            authorized_by=d["by"],
            authorized_at=parse_time(d["at"]),
        )
    )


async def _authorization_revoked(conn: AsyncConnection, event: StoredEvent) -> None:
    d = event.data
    await conn.execute(
        delete(agency_authorizations).where(
            agency_authorizations.c.agency == d["agency"], agency_authorizations.c.station_id == d["station_id"]
        )
    )


async def _team_registered(conn: AsyncConnection, event: StoredEvent) -> None:
    d = event.data
    await conn.execute(
        insert(team_view).values(
            team_id=d["team_id"],
            name=d["name"],
            kind=d["kind"],
            unit_id=d["unit_id"],
            district=d["district"],
            street=d["street"],
            community=d["community"],
            leader_volunteer_id=d["leader_volunteer_id"],
            member_count=0,
            checklist=d["checklist"],
            checklist_complete=all(d["checklist"].values()),
            registered_by=d["registered_by"],
            registered_at=parse_time(d["registered_at"]),
        )
    )
    await _history(conn, "team", d["team_id"], d["checklist"], None, d["registered_by"], d["registered_at"])


async def _team_checklist(conn: AsyncConnection, event: StoredEvent) -> None:
    d = event.data
    await conn.execute(
        update(team_view)
        .where(team_view.c.team_id == d["team_id"])
        .values(checklist=d["checklist"], checklist_complete=all(d["checklist"].values()))
    )
    await _history(conn, "team", d["team_id"], d["checklist"], d["note"] or None, d["by"], d["at"])


async def _joined(conn: AsyncConnection, event: StoredEvent) -> None:
    d = event.data
    await conn.execute(
        insert(team_members).values(
            team_id=d["team_id"], volunteer_id=d["volunteer_id"], joined_by=d["by"], joined_at=parse_time(d["at"])
        )
    )
    await conn.execute(
        update(team_view).where(team_view.c.team_id == d["team_id"]).values(member_count=team_view.c.member_count + 1)
    )


async def _left(conn: AsyncConnection, event: StoredEvent) -> None:
    d = event.data
    await conn.execute(
        delete(team_members).where(team_members.c.team_id == d["team_id"], team_members.c.volunteer_id == d["volunteer_id"])
    )
    await conn.execute(
        update(team_view).where(team_view.c.team_id == d["team_id"]).values(member_count=team_view.c.member_count - 1)
    )
    await conn.execute(
        update(team_view)
        .where(team_view.c.team_id == d["team_id"], team_view.c.leader_volunteer_id == d["volunteer_id"])
        .values(leader_volunteer_id=None)
    )


async def _station_registered(conn: AsyncConnection, event: StoredEvent) -> None:
    d = event.data
    at = parse_time(d["registered_at"])
    await conn.execute(
        insert(station_view).values(
            station_id=d["station_id"],
            name=d["name"],
            place_kind=d["place_kind"],
            district=d["district"],
            street=d["street"],
            community=d["community"],
            checklist=d["checklist"],
            checklist_complete=all(d["checklist"].values()),
            registered_by=d["registered_by"],
            registered_at=at,
            checklist_updated_at=at,
        )
    )
    await _history(conn, "station", d["station_id"], d["checklist"], None, d["registered_by"], d["registered_at"])


async def _station_checklist(conn: AsyncConnection, event: StoredEvent) -> None:
    d = event.data
    await conn.execute(
        update(station_view)
        .where(station_view.c.station_id == d["station_id"])
        .values(checklist=d["checklist"], checklist_complete=all(d["checklist"].values()), checklist_updated_at=parse_time(d["at"]))
    )
    await _history(conn, "station", d["station_id"], d["checklist"], d["note"] or None, d["by"], d["at"])


PROJECTIONS: dict[str, Projection] = {
    "UnitRegistered": _unit_registered,
    "AgencyRegistered": _agency_registered,
    "StationAuthorized": _station_authorized,
    "StationAuthorizationRevoked": _authorization_revoked,
    "TeamRegistered": _team_registered,
    "TeamChecklistUpdated": _team_checklist,
    "VolunteerJoinedTeam": _joined,
    "VolunteerLeftTeam": _left,
    "StationRegistered": _station_registered,
    "StationChecklistUpdated": _station_checklist,
}
