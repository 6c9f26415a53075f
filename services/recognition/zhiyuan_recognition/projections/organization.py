"""Units, teams, stations and activities, as the statistics need them."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_contracts.envelope import CloudEvent, parse_time
from zhiyuan_platform.consumer import Handler

from ..adapters.tables import activities, stations, teams, units
from .upsert import insert_ignore, upsert


async def unit_registered(conn: AsyncConnection, event: CloudEvent) -> None:
    d = event.data
    await conn.execute(
        insert_ignore(conn, units).values(
            unit_id=d["unit_id"],
            unit_type=d["unit_type"],
            community=d["community"],
            district=d.get("district") or d["community"][:6],
            headcount=int(d["headcount"]),
        )
    )


async def team_registered(conn: AsyncConnection, event: CloudEvent) -> None:
    d = event.data
    await conn.execute(
        insert_ignore(conn, teams).values(
            team_id=d["team_id"],
            name=d["name"],
            district=d["district"],
            community=d["community"],
            kind=d["kind"],
        )
    )


async def station_checklist(conn: AsyncConnection, event: CloudEvent) -> None:
    d = event.data
    checklist = d.get("checklist") or {}
    meets = bool(checklist) and all(bool(v) for v in checklist.values())
    await upsert(
        conn,
        stations,
        ["station_id"],
        {
            "station_id": d["station_id"],
            "district": d["district"],
            "community": d["community"],
            "meets_all_six": meets,
        },
        update_keys=["meets_all_six"],
    )


async def activity_published(conn: AsyncConnection, event: CloudEvent) -> None:
    d = event.data
    await conn.execute(
        insert_ignore(conn, activities).values(
            activity_id=d["activity_id"],
            district=d["district"],
            community=d["community"],
            team_id=d["team_id"],
            service_kind=d["service_kind"],
            status="published",
            starts_at=min(parse_time(s["starts_at"]) for s in d["slots"]),
            people_served=0,
        )
    )


async def activity_completed(conn: AsyncConnection, event: CloudEvent) -> None:
    await conn.execute(
        update(activities)
        .where(activities.c.activity_id == event.data["activity_id"])
        .values(status="completed", people_served=int(event.data["people_served"]))
    )


async def activity_cancelled(conn: AsyncConnection, event: CloudEvent) -> None:
    await conn.execute(
        update(activities)
        .where(activities.c.activity_id == event.data["activity_id"])
        .values(status="cancelled")
    )


REGISTRY: dict[str, Handler] = {
    "zhiyuan.registry.UnitRegistered.v1": unit_registered,
    "zhiyuan.registry.TeamRegistered.v1": team_registered,
    "zhiyuan.registry.StationRegistered.v1": station_checklist,
    "zhiyuan.registry.StationChecklistUpdated.v1": station_checklist,
}
ACTIVITIES: dict[str, Handler] = {
    "zhiyuan.activities.ActivityPublished.v1": activity_published,
    "zhiyuan.activities.ActivityCompleted.v1": activity_completed,
    "zhiyuan.activities.ActivityCancelled.v1": activity_cancelled,
}
