"""Recognition's read models: every one can be dropped and rebuilt from the streams.

(Its own events — star levels announced, commendation lists — live in the platform's
event store and are never dropped: they are the record of what was announced.)
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table, Text

from zhiyuan_platform.tables import Position, UtcDateTime

metadata = MetaData()

volunteers = Table(
    "volunteers",
    metadata,
    Column("volunteer_id", String(36), primary_key=True),
    Column("registration_no", String(40), nullable=False),
    Column("district", String(6), nullable=False, index=True),
    Column("street", String(12), nullable=False),
    Column("community", String(12), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("unit_id", String(64), nullable=True),
    Column("name_masked", String(40), nullable=True),
    Column("registered_at", UtcDateTime(), nullable=False),
)

volunteer_totals = Table(
    "volunteer_totals",
    metadata,
    Column("volunteer_id", String(36), primary_key=True),
    Column("district", String(6), nullable=False),
    Column("total_minutes", Integer, nullable=False),
    Column("star_level", Integer, nullable=False),
    Column("last_served_at", UtcDateTime(), nullable=True),
    Column("as_of", String(40), nullable=True),
)

# Keyed by a unique index, not a primary key: a rebuild appends the rows and builds the
# index once at the end (migration 0002 says why). ``logged_minutes`` and ``logged_at``: the
# minutes as first logged and when (the HoursLogged's time); ``minutes`` and ``status`` follow
# later corrections. Indexed only where a query looks a record up (migration 0003).
service_records = Table(
    "service_records",
    metadata,
    Column("record_id", String(36), nullable=False),
    Column("volunteer_id", String(36), nullable=False, index=True),
    Column("activity_id", String(36), nullable=False),
    Column("team_id", String(64), nullable=True),
    Column("district", String(6), nullable=False, index=True),
    Column("community", String(12), nullable=True),
    Column("service_kind", String(40), nullable=True),
    Column("target_group", String(40), nullable=True),
    Column("place", String(200), nullable=True),
    Column("logged_by", String(200), nullable=True),
    Column("minutes", Integer, nullable=False),
    Column("started_at", UtcDateTime(), nullable=False, index=True),
    Column("ended_at", UtcDateTime(), nullable=False),
    Column("status", String(10), nullable=False),
    Column("logged_minutes", Integer, nullable=False),
    Column("logged_at", UtcDateTime(), nullable=False),
    Index("ux_service_records_record_id", "record_id", unique=True),
)

# Every later change of a record's minutes (a correction or revocation), when it became
# known. "As of a date" reads the records as logged plus these changes.
minute_ledger = Table(
    "minute_ledger",
    metadata,
    Column("id", Position, primary_key=True, autoincrement=True),
    Column("volunteer_id", String(36), nullable=False),
    Column("record_id", String(36), nullable=False),
    Column("delta", Integer, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_minute_ledger_volunteer_at", "volunteer_id", "at"),
)

units = Table(
    "units",
    metadata,
    Column("unit_id", String(64), primary_key=True),
    Column("unit_type", String(40), nullable=False),
    Column("community", String(12), nullable=False),
    Column("district", String(6), nullable=False),
    Column("headcount", Integer, nullable=False),
)

teams = Table(
    "teams",
    metadata,
    Column("team_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("district", String(6), nullable=False, index=True),
    Column("community", String(12), nullable=False),
    Column("kind", String(40), nullable=False),
)

stations = Table(
    "stations",
    metadata,
    Column("station_id", String(64), primary_key=True),
    Column("district", String(6), nullable=False, index=True),
    Column("community", String(12), nullable=False),
    Column("meets_all_six", Boolean, nullable=False),
)

activities = Table(
    "activities",
    metadata,
    Column("activity_id", String(36), primary_key=True),
    Column("district", String(6), nullable=False, index=True),
    Column("community", String(12), nullable=False),
    Column("team_id", String(64), nullable=False),
    Column("service_kind", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("people_served", Integer, nullable=False),
)

certificates = Table(
    "certificates",
    metadata,
    Column("certificate_no", String(40), primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("volunteer_id", String(36), nullable=False, index=True),
    Column("snapshot", JSON, nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Column("revoked_reason", Text, nullable=True),
)

commendation_lists = Table(
    "commendation_lists",
    metadata,
    Column("list_id", String(36), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("period", String(10), nullable=False),
    Column("scope", String(6), nullable=False),
    Column("state", String(12), nullable=False),
    Column("criteria_version", String(40), nullable=False),
    Column("notice_ends_at", UtcDateTime(), nullable=False),
    Column("entries", JSON, nullable=False),
    Column("objections", JSON, nullable=False),
    Column("noticed_at", UtcDateTime(), nullable=False),
    Column("published_at", UtcDateTime(), nullable=True),
    Column("sequence", BigInteger, nullable=False),
)

READ_MODELS = (
    volunteers,
    volunteer_totals,
    service_records,
    minute_ledger,
    units,
    teams,
    stations,
    activities,
)
