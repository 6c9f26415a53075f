"""Many rows in one statement, the same way on SQLite and PostgreSQL.

A fold that writes a batch of events row by row pays a database round trip per row
(~1 ms through SQLAlchemy's async layer here); these write a whole batch per table in
one call: ``executemany`` of one cached statement on SQLite, one ``unnest()`` of array
parameters on PostgreSQL (one prepared statement whatever the number of rows — a
multi-row ``VALUES`` would be a new statement, prepared again, for every batch size).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Column, String, Table, bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

_PG_ARRAY_TYPES = {
    "String": "text",
    "Text": "text",
    "Integer": "bigint",
    "BigInteger": "bigint",
    "Boolean": "boolean",
    "UtcDateTime": "timestamptz",
    "Date": "date",
}


def _pg_type(column: Column[Any]) -> str:
    name = type(column.type).__name__
    try:
        return _PG_ARRAY_TYPES[name]
    except KeyError:
        raise TypeError(f"no PostgreSQL array type for {column} ({name})") from None


def _is_postgres(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "postgresql"


async def insert_many(
    conn: AsyncConnection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    ignore: bool = False,
    upsert: tuple[Sequence[str], Sequence[str]] | None = None,
) -> None:
    """Insert ``rows`` (all with the same keys); ``ignore`` existing keys, or ``upsert=(keys, updated)``."""
    if not rows:
        return
    if not _is_postgres(conn):
        sql, order, processors = _sqlite_insert(conn, table, tuple(rows[0]), ignore, upsert)
        values = [_bound(r, order, processors) for r in rows]
        # The driver's own executemany: SQLAlchemy's per-row parameter handling costs more
        # than SQLite's insert of the row.
        await conn.exec_driver_sql(sql, values)  # type: ignore[arg-type]
        return
    columns = list(rows[0])
    casts = ", ".join(f"CAST(:{n} AS {_pg_type(table.c[n])}[])" for n in columns)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({casts})"
    if ignore:
        sql += " ON CONFLICT DO NOTHING"
    elif upsert is not None:
        keys, updated = upsert
        sql += f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in updated)
    await conn.execute(text(sql), _arrays(conn, table, columns, rows))


Processor = Callable[[Any], Any] | None


Compiled = tuple[str, tuple[str, ...], list[Processor]]


@functools.cache
def _compiled(table: Table, names: tuple[str, ...], ignore: bool, upsert: Any, dialect: Dialect) -> Compiled:
    stmt: Any = sqlite.insert(table)
    if ignore:
        stmt = stmt.on_conflict_do_nothing()
    elif upsert is not None:
        keys, updated = upsert
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_={c: stmt.excluded[c] for c in updated})
    return _positional(stmt.values({n: bindparam(n) for n in names}), table, dialect, names)


@functools.cache
def _sqlite_update(table: Table, key: str, names: tuple[str, ...], dialect: Dialect) -> Compiled:
    """``UPDATE … SET names… WHERE key = ?``."""
    stmt = update(table).where(table.c[key] == bindparam("_key")).values({n: bindparam(n) for n in names})
    return _positional(stmt, table, dialect, (*names, key), renamed={"_key": key})


def _positional(
    stmt: Any, table: Table, dialect: Dialect, columns: tuple[str, ...], renamed: dict[str, str] | None = None
) -> Compiled:
    """The statement's SQL with positional parameters, the column each one takes (in the
    order SQLAlchemy placed them), and each column's bind processor."""
    compiled = stmt.compile(dialect=dialect)
    order = tuple((renamed or {}).get(p, p) for p in compiled.positiontup or [])
    if sorted(order) != sorted(columns):
        raise RuntimeError(f"unexpected parameters {compiled.positiontup} for {columns}")
    processors: list[Processor] = [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in order]
    return str(compiled), order, processors if any(processors) else []


def _bound(row: dict[str, Any], names: Sequence[str], processors: list[Processor]) -> tuple[Any, ...]:
    if not processors:
        return tuple(row[n] for n in names)
    return tuple(p(row[n]) if p else row[n] for n, p in zip(names, processors, strict=True))


def _arrays(
    conn: AsyncConnection, table: Table, names: Sequence[str], rows: Sequence[dict[str, Any]]
) -> dict[str, list[Any]]:
    """One array per column, each value as the column's type binds it (a text() statement would not)."""
    arrays: dict[str, list[Any]] = {}
    for n in names:
        process = table.c[n].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        arrays[n] = [process(r[n]) for r in rows] if process else [r[n] for r in rows]
    return arrays


def _sqlite_insert(
    conn: AsyncConnection,
    table: Table,
    names: tuple[str, ...],
    ignore: bool,
    upsert: tuple[Sequence[str], Sequence[str]] | None,
) -> Compiled:
    key = (tuple(upsert[0]), tuple(upsert[1])) if upsert is not None else None
    return _compiled(table, names, ignore, key, conn.dialect)


async def update_many(conn: AsyncConnection, table: Table, key: str, rows: Sequence[dict[str, Any]]) -> None:
    """``UPDATE table SET … WHERE key = …`` for many rows; each row holds the key and the new values."""
    if not rows:
        return
    names = [n for n in rows[0] if n != key]
    if not _is_postgres(conn):
        sql, order, processors = _sqlite_update(table, key, tuple(names), conn.dialect)
        await conn.exec_driver_sql(sql, [_bound(r, order, processors) for r in rows])  # type: ignore[arg-type]
        return
    cols = [key, *names]
    casts = ", ".join(f"CAST(:{n} AS {_pg_type(table.c[n])}[])" for n in cols)
    sql = (
        f"UPDATE {table.name} SET "
        + ", ".join(f"{n} = u.{n}" for n in names)
        + f" FROM unnest({casts}) AS u({', '.join(cols)}) WHERE {table.name}.{key} = u.{key}"
    )
    await conn.execute(text(sql), _arrays(conn, table, cols, rows))


async def select_in(
    conn: AsyncConnection,
    columns: Sequence[Any],
    key: Column[Any],
    keys: Iterable[str],
    *where: Any,
    group_by: Sequence[Any] = (),
) -> list[Any]:
    """Rows whose ``key`` is one of ``keys`` (plus ``where``, grouped by ``group_by``), in as
    few statements as it takes."""
    wanted_keys = list(keys)
    if not wanted_keys:
        return []
    if _is_postgres(conn):
        # One array parameter, joined to unnest() rather than "= ANY(array)": a table that
        # grew from empty in a replay has no statistics yet, and a sequential scan testing
        # ANY() of 1,000 keys per row is quadratic; a hash or index join is not.
        param = bindparam("keys", value=wanted_keys, type_=postgresql.ARRAY(String))
        wanted = func.unnest(param).table_valued("k").render_derived(name="wanted")
        query = select(*columns).join_from(key.table, wanted, key == wanted.c.k).where(*where).group_by(*group_by)
        return list(await conn.execute(query))
    # One JSON array parameter read by json_each(): one statement of the same text whatever
    # the number of keys (SQLite keeps it prepared), where an IN list of up to 999
    # parameters would be a new statement, parsed again, for every chunk.
    listed = func.json_each(bindparam("keys", value=json.dumps(wanted_keys))).table_valued("value")
    query = select(*columns).where(key.in_(select(listed.c.value)), *where).group_by(*group_by)
    return list(await conn.execute(query))
