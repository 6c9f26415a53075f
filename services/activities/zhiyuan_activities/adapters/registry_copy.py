"""Activities' copy of the registry facts it decides with: who is an active volunteer,
who is a minor, which teams exist and who belongs to them. Kept by a tracked consumer of
``ZY_REGISTRY``; rebuildable by replay."""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_contracts.envelope import CloudEvent
from zhiyuan_platform.consumer import Handler

from .tables import known_teams, known_volunteers, team_members


def _insert(conn: AsyncConnection, table: object):  # type: ignore[no-untyped-def]
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)  # type: ignore[arg-type]


async def registered(conn: AsyncConnection, event: CloudEvent) -> None:
    d = event.data
    stmt = _insert(conn, known_volunteers).values(
        volunteer_id=d["volunteer_id"], district=d["district"], status="active", minor=bool(d["minor"])
    )
    await conn.execute(stmt.on_conflict_do_nothing())


def _status(status: str) -> Handler:
    async def handle(conn: AsyncConnection, event: CloudEvent) -> None:
        await conn.execute(
            update(known_volunteers).where(known_volunteers.c.volunteer_id == event.data["volunteer_id"]).values(status=status)
        )

    return handle


async def moved(conn: AsyncConnection, event: CloudEvent) -> None:
    await conn.execute(
        update(known_volunteers)
        .where(known_volunteers.c.volunteer_id == event.data["volunteer_id"])
        .values(district=event.data["to_district"])
    )


async def team_registered(conn: AsyncConnection, event: CloudEvent) -> None:
    d = event.data
    stmt = _insert(conn, known_teams).values(team_id=d["team_id"], name=d["name"], district=d["district"], community=d["community"])
    await conn.execute(stmt.on_conflict_do_nothing())


async def joined(conn: AsyncConnection, event: CloudEvent) -> None:
    stmt = _insert(conn, team_members).values(team_id=event.data["team_id"], volunteer_id=event.data["volunteer_id"])
    await conn.execute(stmt.on_conflict_do_nothing())


async def left(conn: AsyncConnection, event: CloudEvent) -> None:
    await conn.execute(
        delete(team_members).where(
            team_members.c.team_id == event.data["team_id"], team_members.c.volunteer_id == event.data["volunteer_id"]
        )
    )


HANDLERS: dict[str, Handler] = {
    "zhiyuan.registry.VolunteerRegistered.v1": registered,
    "zhiyuan.registry.VolunteerSuspended.v1": _status("suspended"),
    "zhiyuan.registry.VolunteerReinstated.v1": _status("active"),
    "zhiyuan.registry.VolunteerDeregistered.v1": _status("deregistered"),
    "zhiyuan.registry.VolunteerMoved.v1": moved,
    "zhiyuan.registry.TeamRegistered.v1": team_registered,
    "zhiyuan.registry.VolunteerJoinedTeam.v1": joined,
    "zhiyuan.registry.VolunteerLeftTeam.v1": left,
}
