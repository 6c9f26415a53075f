"""Recognition: the platform tables, its read models, certificates and commendation lists.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from zhiyuan_platform.migrate import create_platform_tables, drop_platform_tables
from zhiyuan_platform.tables import Position, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables(op.get_bind())
    op.create_table(
        "volunteers",
        sa.Column("volunteer_id", sa.String(36), primary_key=True),
        sa.Column("registration_no", sa.String(40), nullable=False),
        sa.Column("district", sa.String(6), nullable=False, index=True),
        sa.Column("street", sa.String(12), nullable=False),
        sa.Column("community", sa.String(12), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=True),
        sa.Column("name_masked", sa.String(40), nullable=True),
        sa.Column("registered_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "volunteer_totals",
        sa.Column("volunteer_id", sa.String(36), primary_key=True),
        sa.Column("district", sa.String(6), nullable=False),
        sa.Column("total_minutes", sa.Integer, nullable=False),
        sa.Column("star_level", sa.Integer, nullable=False),
        sa.Column("last_served_at", UtcDateTime(), nullable=True),
        sa.Column("as_of", sa.String(40), nullable=True),
    )
    op.create_table(
        "service_records",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("volunteer_id", sa.String(36), nullable=False, index=True),
        sa.Column("activity_id", sa.String(36), nullable=False, index=True),
        sa.Column("team_id", sa.String(64), nullable=True, index=True),
        sa.Column("district", sa.String(6), nullable=False, index=True),
        sa.Column("community", sa.String(12), nullable=True),
        sa.Column("service_kind", sa.String(40), nullable=True),
        sa.Column("target_group", sa.String(40), nullable=True),
        sa.Column("place", sa.String(200), nullable=True),
        sa.Column("logged_by", sa.String(200), nullable=True),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False, index=True),
        sa.Column("ended_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
    )
    op.create_table(
        "minute_ledger",
        sa.Column("id", Position, primary_key=True, autoincrement=True),
        sa.Column("volunteer_id", sa.String(36), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("delta", sa.Integer, nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Index("ix_minute_ledger_volunteer_at", "volunteer_id", "at"),
    )
    op.create_table(
        "units",
        sa.Column("unit_id", sa.String(64), primary_key=True),
        sa.Column("unit_type", sa.String(40), nullable=False),
        sa.Column("community", sa.String(12), nullable=False),
        sa.Column("district", sa.String(6), nullable=False),
        sa.Column("headcount", sa.Integer, nullable=False),
    )
    op.create_table(
        "teams",
        sa.Column("team_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("district", sa.String(6), nullable=False, index=True),
        sa.Column("community", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
    )
    op.create_table(
        "stations",
        sa.Column("station_id", sa.String(64), primary_key=True),
        sa.Column("district", sa.String(6), nullable=False, index=True),
        sa.Column("community", sa.String(12), nullable=False),
        sa.Column("meets_all_six", sa.Boolean, nullable=False),
    )
    op.create_table(
        "activities",
        sa.Column("activity_id", sa.String(36), primary_key=True),
        sa.Column("district", sa.String(6), nullable=False, index=True),
        sa.Column("community", sa.String(12), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("service_kind", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("people_served", sa.Integer, nullable=False),
    )
    op.create_table(
        "certificates",
        sa.Column("certificate_no", sa.String(40), primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("volunteer_id", sa.String(36), nullable=False, index=True),
        sa.Column("snapshot", sa.JSON, nullable=False),
        sa.Column("issued_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.Column("revoked_reason", sa.Text, nullable=True),
    )
    op.create_table(
        "commendation_lists",
        sa.Column("list_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("scope", sa.String(6), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("criteria_version", sa.String(40), nullable=False),
        sa.Column("notice_ends_at", UtcDateTime(), nullable=False),
        sa.Column("entries", sa.JSON, nullable=False),
        sa.Column("objections", sa.JSON, nullable=False),
        sa.Column("noticed_at", UtcDateTime(), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=True),
        sa.Column("sequence", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "commendation_lists",
        "certificates",
        "activities",
        "stations",
        "teams",
        "units",
        "minute_ledger",
        "service_records",
        "volunteer_totals",
        "volunteers",
    ):
        op.drop_table(table)
    drop_platform_tables(op.get_bind())
