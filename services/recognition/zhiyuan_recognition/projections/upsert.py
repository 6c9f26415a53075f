"""Insert-or-ignore and upsert for SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def _dialect(conn: AsyncConnection) -> Any:
    return postgresql if conn.dialect.name == "postgresql" else sqlite


def insert_ignore(conn: AsyncConnection, table: Table) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` (call ``.values(...)`` on it)."""

    class _Insert:
        def values(self, **values: Any) -> Any:
            return _dialect(conn).insert(table).values(**values).on_conflict_do_nothing()

    return _Insert()


async def upsert(
    conn: AsyncConnection,
    table: Table,
    keys: Sequence[str],
    values: dict[str, Any],
    *,
    update_keys: Sequence[str],
) -> None:
    stmt = _dialect(conn).insert(table).values(**values)
    await conn.execute(
        stmt.on_conflict_do_update(index_elements=list(keys), set_={k: stmt.excluded[k] for k in update_keys})
    )
