"""Registration numbers: ``<agency code>-<six-digit sequence>``, e.g. ``110101001-000042``.

Sequential per registering agency, never reused — the counter only moves forward, in the
registering transaction, and a deregistered number is never handed out again. The dash
keeps a registration number from ever being mistaken for an ID number.
"""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import registration_counters


async def issue(conn: AsyncConnection, agency: str) -> str:
    for _ in range(3):
        result = await conn.execute(
            update(registration_counters)
            .where(registration_counters.c.agency == agency)
            .values(last_number=registration_counters.c.last_number + 1)
            .returning(registration_counters.c.last_number)
        )
        number = result.scalar()
        if number is not None:
            return format_number(agency, int(number))
        try:
            async with conn.begin_nested():
                await conn.execute(insert(registration_counters).values(agency=agency, last_number=1))
            return format_number(agency, 1)
        except IntegrityError:
            continue  # another transaction created the counter first
    raise RuntimeError(f"could not issue a registration number for agency {agency}")


async def last_issued(conn: AsyncConnection, agency: str) -> int:
    return int(
        await conn.scalar(select(registration_counters.c.last_number).where(registration_counters.c.agency == agency))
        or 0
    )


def format_number(agency: str, number: int) -> str:
    return f"{agency}-{number:06d}"
