"""Read model of spot checks: the sample, each outcome, and the rate per community."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_platform.eventstore import StoredEvent

from .volunteer_views import Projection

metadata = MetaData()

spot_check_view = Table(
    "spot_check_view",
    metadata,
    Column("check_id", String(36), primary_key=True),
    Column("district", String(6), nullable=False, index=True),
    Column("seed", String(100), nullable=False),
    Column("population", Integer, nullable=False),
    Column("sample_size", Integer, nullable=False),
    Column("drawn_by", String(200), nullable=False),
    Column("drawn_at", String(40), nullable=False),
)

spot_check_items = Table(
    "spot_check_items",
    metadata,
    Column("check_id", String(36), primary_key=True),
    Column("volunteer_id", String(36), primary_key=True),
    Column("community", String(12), nullable=False),
    Column("position", Integer, nullable=False),
    Column("outcome", String(20), nullable=True),
    Column("note", Text, nullable=True),
    Column("checked_by", String(200), nullable=True),
    Column("checked_at", String(40), nullable=True),
)


async def _drawn(conn: AsyncConnection, event: StoredEvent) -> None:
    d = event.data
    await conn.execute(
        spot_check_view.insert().values(
            check_id=d["check_id"],
            district=d["district"],
            seed=d["seed"],
            population=d["population"],
            sample_size=len(d["sample"]),
            drawn_by=d["drawn_by"],
            drawn_at=d["drawn_at"],
        )
    )
    if d["sample"]:
        await conn.execute(
            spot_check_items.insert(),
            [
                {"check_id": d["check_id"], "volunteer_id": item["volunteer_id"], "community": item["community"], "position": i}
                for i, item in enumerate(d["sample"], start=1)
            ],
        )


async def _outcome(conn: AsyncConnection, event: StoredEvent) -> None:
    d = event.data
    await conn.execute(
        update(spot_check_items)
        .where(spot_check_items.c.check_id == d["check_id"], spot_check_items.c.volunteer_id == d["volunteer_id"])
        .values(outcome=d["outcome"], note=d["note"], checked_by=d["checked_by"], checked_at=d["checked_at"])
    )


PROJECTIONS: dict[str, Projection] = {"SpotCheckDrawn": _drawn, "SpotCheckOutcomeRecorded": _outcome}
