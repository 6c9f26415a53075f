"""Migration 0003 on a database holding records: what each volunteer had on any date stays."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from sqlalchemy import inspect, text

from zhiyuan_platform.db import create_engine
from zhiyuan_platform.migrate import alembic_config, upgrade
from zhiyuan_platform.rpc import Request
from zhiyuan_recognition.domain.star_policy import NATIONAL_DEFAULT
from zhiyuan_recognition.queries import RecognitionQueries

PACKAGE = "zhiyuan_recognition"
VOLUNTEER = "v-1"


def _t(day: int) -> datetime:
    return datetime(2026, 3, day, 2, 0, tzinfo=UTC)


async def _fill_at_0002(url: str) -> None:
    """Two records as the 0002 schema held them: each logged row in the ledger, then a correction."""
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO volunteer_totals (volunteer_id, district, total_minutes, star_level) VALUES (:v, '110105', :m, 0)"
            ),
            {"v": VOLUNTEER, "m": 150},
        )
        for record, minutes, now, day in (("r-1", 60, 60, 1), ("r-2", 120, 90, 3)):
            await conn.execute(
                text(
                    "INSERT INTO service_records (record_id, volunteer_id, activity_id, team_id, district, minutes,"
                    " started_at, ended_at, status) VALUES (:r, :v, 'a-1', 't-1', '110105', :m, :s, :e, 'active')"
                ),
                {"r": record, "v": VOLUNTEER, "m": now, "s": _t(day), "e": _t(day)},
            )
            await conn.execute(
                text("INSERT INTO minute_ledger (volunteer_id, record_id, delta, at) VALUES (:v, :r, :d, :at)"),
                {"v": VOLUNTEER, "r": record, "d": minutes, "at": _t(day)},
            )
        # r-2 corrected from 120 to 90 minutes on the 10th
        await conn.execute(
            text("INSERT INTO minute_ledger (volunteer_id, record_id, delta, at) VALUES (:v, 'r-2', -30, :at)"),
            {"v": VOLUNTEER, "at": _t(10)},
        )
    await engine.dispose()


async def _totals_as_of(url: str, days: list[int]) -> list[int]:
    engine = create_engine(url)
    queries = RecognitionQueries(NATIONAL_DEFAULT)
    try:
        async with engine.connect() as conn:
            return [
                int(
                    (
                        await queries.volunteer_recognition(
                            conn, Request(payload={"volunteer_id": VOLUNTEER, "as_of_date": date(2026, 3, d).isoformat()})
                        )
                    )["total_minutes"]
                )
                for d in days
            ]
    finally:
        await engine.dispose()


async def _ledger_and_indexes(url: str) -> tuple[list[tuple[str, int]], list[str]]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        ledger = [(r[0], int(r[1])) for r in await conn.execute(text("SELECT record_id, delta FROM minute_ledger ORDER BY id"))]
        indexes = await conn.run_sync(lambda c: sorted(str(i["name"]) for i in inspect(c).get_indexes("service_records")))
    await engine.dispose()
    return ledger, indexes


async def test_0003_moves_what_was_logged_into_the_records_and_keeps_every_as_of_total(database_url: str) -> None:
    await asyncio.to_thread(upgrade, PACKAGE, database_url, "0002")
    await _fill_at_0002(database_url)
    await asyncio.to_thread(upgrade, PACKAGE, database_url, "0003")
    days = [1, 2, 3, 9, 10, 31]
    assert await _totals_as_of(database_url, days) == [60, 60, 180, 180, 150, 150]
    ledger, indexes = await _ledger_and_indexes(database_url)
    assert ledger == [("r-2", -30)]  # only the correction is left in the ledger
    assert "ix_service_records_team_id" not in indexes and "ix_service_records_activity_id" not in indexes
    assert "ux_service_records_record_id" in indexes and "ix_service_records_volunteer_id" in indexes

    from alembic import command

    await asyncio.to_thread(command.downgrade, alembic_config(PACKAGE, database_url), "0002")
    ledger, indexes = await _ledger_and_indexes(database_url)
    assert sorted(ledger) == [("r-1", 60), ("r-2", -30), ("r-2", 120)]
    assert "ix_service_records_team_id" in indexes
    # and up again: the logged rows (now after the correction by id) are still told apart by time
    await asyncio.to_thread(upgrade, PACKAGE, database_url, "head")
    assert await _totals_as_of(database_url, days) == [60, 60, 180, 180, 150, 150]
    assert (await _ledger_and_indexes(database_url))[0] == [("r-2", -30)]
