"""Per volunteer: confirmed minutes with corrections and revocations applied."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_contracts.envelope import CloudEvent
from zhiyuan_platform.logging import get_logger

from ..adapters.tables import service_records, volunteer_totals

log = get_logger("zhiyuan.recognition")


def _insert(conn: AsyncConnection, table: object):  # type: ignore[no-untyped-def]
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)  # type: ignore[arg-type]


async def on_volunteer_registered(conn: AsyncConnection, event: CloudEvent) -> None:
    data = event.data
    stmt = _insert(conn, volunteer_totals).values(
        volunteer_id=data["volunteer_id"],
        district=data["district"],
        registration_no=data["registration_no"],
        total_minutes=0,
        as_of=event.time,
    )
    await conn.execute(stmt.on_conflict_do_nothing())
    log.info("volunteer.projected", volunteer_id=data["volunteer_id"], district=data["district"])


async def _add(conn: AsyncConnection, volunteer_id: str, district: str, delta: int, at: str) -> None:
    stmt = _insert(conn, volunteer_totals).values(
        volunteer_id=volunteer_id, district=district, registration_no=None, total_minutes=delta, as_of=at
    )
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[volunteer_totals.c.volunteer_id],
            set_={"total_minutes": volunteer_totals.c.total_minutes + delta, "as_of": at},
        )
    )


async def on_hours_logged(conn: AsyncConnection, event: CloudEvent) -> None:
    data = event.data
    await conn.execute(
        _insert(conn, service_records)
        .values(
            record_id=data["record_id"],
            volunteer_id=data["volunteer_id"],
            district=data["district"],
            minutes=data["minutes"],
        )
        .on_conflict_do_nothing()
    )
    await _add(conn, data["volunteer_id"], data["district"], int(data["minutes"]), event.time)


async def _set_record(conn: AsyncConnection, event: CloudEvent, new_minutes: int) -> None:
    data = event.data
    row = (
        await conn.execute(select(service_records).where(service_records.c.record_id == data["record_id"]))
    ).first()
    if row is None:
        raise LookupError(f"correction of unknown record {data['record_id']}")
    await conn.execute(
        update(service_records).where(service_records.c.record_id == row.record_id).values(minutes=new_minutes)
    )
    await _add(conn, row.volunteer_id, row.district, new_minutes - int(row.minutes), event.time)


async def on_hours_corrected(conn: AsyncConnection, event: CloudEvent) -> None:
    await _set_record(conn, event, int(event.data["minutes"]))


async def on_hours_revoked(conn: AsyncConnection, event: CloudEvent) -> None:
    await _set_record(conn, event, 0)
