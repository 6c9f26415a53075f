"""Recognition: service_records keyed by a unique index on record_id instead of a primary key.

A rebuild fills ``service_records`` from empty: with the record id as the primary key every
row went into two B-trees in random (UUID) order; with a unique index instead, the rows
append to the table and the index is built once, sorted, at the end (bench: 1.28 s → 0.50 s
for 191,369 rows, plus 0.12 s for the index). Lookups by record id use the same index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from zhiyuan_platform.tables import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UNIQUE = "ux_service_records_record_id"


COLUMNS = (
    "record_id, volunteer_id, activity_id, team_id, district, community, service_kind, target_group, "
    "place, logged_by, minutes, started_at, ended_at, status"
)
INDEXED = ("volunteer_id", "activity_id", "team_id", "district", "started_at")


def _copy_table(*, primary_key: bool) -> None:
    """SQLite cannot add or drop a primary key in place: copy the table into a new one."""
    op.create_table(
        "service_records_new",
        sa.Column("record_id", sa.String(36), nullable=False, primary_key=primary_key),
        sa.Column("volunteer_id", sa.String(36), nullable=False),
        sa.Column("activity_id", sa.String(36), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=True),
        sa.Column("district", sa.String(6), nullable=False),
        sa.Column("community", sa.String(12), nullable=True),
        sa.Column("service_kind", sa.String(40), nullable=True),
        sa.Column("target_group", sa.String(40), nullable=True),
        sa.Column("place", sa.String(200), nullable=True),
        sa.Column("logged_by", sa.String(200), nullable=True),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
    )
    op.execute(f"INSERT INTO service_records_new ({COLUMNS}) SELECT {COLUMNS} FROM service_records")
    op.drop_table("service_records")
    op.rename_table("service_records_new", "service_records")
    for column in INDEXED:
        op.create_index(f"ix_service_records_{column}", "service_records", [column])


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _copy_table(primary_key=False)
    else:
        op.drop_constraint("service_records_pkey", "service_records", type_="primary")
    op.create_index(UNIQUE, "service_records", ["record_id"], unique=True)


def downgrade() -> None:
    op.drop_index(UNIQUE, table_name="service_records")
    if op.get_bind().dialect.name == "sqlite":
        _copy_table(primary_key=True)
    else:
        op.create_primary_key("service_records_pkey", "service_records", ["record_id"])
