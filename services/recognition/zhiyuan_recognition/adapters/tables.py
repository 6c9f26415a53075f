"""Recognition's read models (every one can be dropped and rebuilt by replay)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table

metadata = MetaData()

volunteer_totals = Table(
    "volunteer_totals",
    metadata,
    Column("volunteer_id", String(36), primary_key=True),
    Column("district", String(6), nullable=False),
    Column("registration_no", String(40), nullable=True),
    Column("total_minutes", Integer, nullable=False),
    Column("as_of", String(40), nullable=True),
)

service_records = Table(
    "service_records",
    metadata,
    Column("record_id", String(36), primary_key=True),
    Column("volunteer_id", String(36), nullable=False, index=True),
    Column("district", String(6), nullable=False),
    Column("minutes", Integer, nullable=False),
)
