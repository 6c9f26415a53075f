"""The registry's own read model of volunteers, kept in the command's transaction.

It serves lists, spot-check sampling, logins by mobile and scoping checks without
replaying each volunteer's stream. Rebuildable from the event store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import Boolean, Column, MetaData, String, Table, update
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_platform.eventstore import StoredEvent

metadata = MetaData()

volunteer_view = Table(
    "volunteer_view",
    metadata,
    Column("volunteer_id", String(36), primary_key=True),
    Column("registration_no", String(40), nullable=False, unique=True),
    Column("district", String(6), nullable=False, index=True),
    Column("street", String(12), nullable=False),
    Column("community", String(12), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("minor", Boolean, nullable=False),
    Column("unit_id", String(64), nullable=True),
    Column("name_masked", String(40), nullable=False),
    Column("registered_at", String(40), nullable=False),
)

Projection = Callable[[AsyncConnection, StoredEvent], Awaitable[None]]


async def _registered(conn: AsyncConnection, event: StoredEvent) -> None:
    d = event.data
    await conn.execute(
        volunteer_view.insert().values(
            volunteer_id=d["volunteer_id"],
            registration_no=d["registration_no"],
            district=d["district"],
            street=d["street"],
            community=d["community"],
            status="active",
            minor=d["minor"],
            unit_id=d["unit_id"],
            name_masked=d["name_masked"],
            registered_at=d["registered_at"],
        )
    )


async def _set(conn: AsyncConnection, volunteer_id: str, **values: object) -> None:
    await conn.execute(update(volunteer_view).where(volunteer_view.c.volunteer_id == volunteer_id).values(**values))


async def _profile(conn: AsyncConnection, event: StoredEvent) -> None:
    d = event.data
    values: dict[str, object] = {}
    if "unit_id" in d["changed"]:
        values["unit_id"] = d["unit_id"]
    if d.get("name_masked"):
        values["name_masked"] = d["name_masked"]
    if values:
        await _set(conn, d["volunteer_id"], **values)


async def _moved(conn: AsyncConnection, event: StoredEvent) -> None:
    d = event.data
    await _set(conn, d["volunteer_id"], community=d["to_community"], street=d["to_street"], district=d["to_district"])


def _status(status: str) -> Projection:
    async def project(conn: AsyncConnection, event: StoredEvent) -> None:
        await _set(conn, event.data["volunteer_id"], status=status)

    return project


async def _erased(conn: AsyncConnection, event: StoredEvent) -> None:
    await _set(conn, event.data["volunteer_id"], name_masked="（已删除）")


PROJECTIONS: dict[str, Projection] = {
    "VolunteerRegistered": _registered,
    "VolunteerProfileUpdated": _profile,
    "VolunteerMoved": _moved,
    "VolunteerSuspended": _status("suspended"),
    "VolunteerReinstated": _status("active"),
    "VolunteerDeregistered": _status("deregistered"),
    "PersonalDataErased": _erased,
}
