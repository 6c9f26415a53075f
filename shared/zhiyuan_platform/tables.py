"""The tables every context service shares: event store, outbox, idempotency, tracking.

Each service keeps them in its own database, created by its own Alembic migrations
(``migrations.create_platform_tables``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from .sqlite_loader import sqlite_text


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware in, timezone-aware (UTC) out — also on SQLite, which keeps no zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every time in Zhiyuan is timezone-aware")
        return value.astimezone(UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        # SQLite's DATETIME text, written in one C call: SQLAlchemy's chain (this type's
        # process_bind_param, then DATETIME's %-format of a dict) costs a few µs a value.
        # Same text (a test holds them equal); the bulk loader writes it with the same function.
        def to_sqlite_text(value: datetime | None) -> str | None:
            if value is not None and not isinstance(value, datetime):
                raise TypeError(f"a UtcDateTime takes a datetime, not {type(value).__name__}")
            return sqlite_text(value)

        return to_sqlite_text

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants 64 bits.
Position = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

events = Table(
    "events",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("stream_id", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(100), nullable=False),
    Column("data", JSON, nullable=False),
    Column("meta", JSON, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    UniqueConstraint("stream_id", "version", name="uq_events_stream_version"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Position, primary_key=True, autoincrement=True),
    Column("event_position", BigInteger, nullable=False),
    Column("message_id", String(64), nullable=False, unique=True),
    Column("subject", String(200), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("published_at", UtcDateTime(), nullable=True),
    Column("stream_sequence", BigInteger, nullable=True),
    Index(
        "ix_outbox_unpublished",
        "id",
        sqlite_where=text("published_at IS NULL"),
        postgresql_where=text("published_at IS NULL"),
    ),
    Index("ix_outbox_event_position", "event_position"),
)

idempotency = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("operation", String(100), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("reply", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

tracking = Table(
    "tracking",
    metadata,
    Column("consumer", String(100), primary_key=True),
    Column("stream", String(100), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("event_id", String(64), nullable=True),
    Column("event_time", String(40), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)

aggregate_sequences = Table(
    "tracked_aggregates",
    metadata,
    Column("consumer", String(100), primary_key=True),
    Column("aggregate_id", String(100), primary_key=True),
    Column("sequence", Integer, nullable=False),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", Position, primary_key=True, autoincrement=True),
    Column("consumer", String(100), nullable=False),
    Column("stream", String(100), nullable=False),
    Column("stream_sequence", BigInteger, nullable=False),
    Column("subject", String(200), nullable=False),
    Column("event_id", String(64), nullable=True),
    Column("event_type", String(200), nullable=True),
    Column("reason", Text, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    UniqueConstraint("consumer", "stream", "stream_sequence", name="uq_dead_letters_position"),
)
