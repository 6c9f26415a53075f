"""Registry: read models of units, registering agencies, teams and stations.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from zhiyuan_platform.tables import Position, UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_view",
        sa.Column("unit_id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("unit_type", sa.String(40), nullable=False),
        sa.Column("district", sa.String(6), nullable=False, index=True),
        sa.Column("street", sa.String(12), nullable=False),
        sa.Column("community", sa.String(12), nullable=False, index=True),
        sa.Column("headcount", sa.Integer, nullable=False),
        sa.Column("registered_by", sa.String(200), nullable=False),
        sa.Column("registered_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "agency_view",
        sa.Column("code", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("division", sa.String(12), nullable=False),
        sa.Column("prefix", sa.String(9), nullable=False, index=True),
        sa.Column("district", sa.String(6), nullable=False, index=True),
        sa.Column("registered_by", sa.String(200), nullable=False),
        sa.Column("registered_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "agency_authorizations",
        sa.Column("agency", sa.String(12), primary_key=True),
        sa.Column("station_id", sa.String(36), primary_key=True, index=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("authorized_by", sa.String(200), nullable=False),
        sa.Column("authorized_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "team_view",
        sa.Column("team_id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=True),
        sa.Column("district", sa.String(6), nullable=False, index=True),
        sa.Column("street", sa.String(12), nullable=False),
        sa.Column("community", sa.String(12), nullable=False, index=True),
        sa.Column("leader_volunteer_id", sa.String(36), nullable=True),
        sa.Column("member_count", sa.Integer, nullable=False),
        sa.Column("checklist", sa.JSON, nullable=False),
        sa.Column("checklist_complete", sa.Boolean, nullable=False),
        sa.Column("registered_by", sa.String(200), nullable=False),
        sa.Column("registered_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.String(36), primary_key=True),
        sa.Column("volunteer_id", sa.String(36), primary_key=True, index=True),
        sa.Column("joined_by", sa.String(200), nullable=False),
        sa.Column("joined_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "station_view",
        sa.Column("station_id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("place_kind", sa.String(40), nullable=False),
        sa.Column("district", sa.String(6), nullable=False, index=True),
        sa.Column("street", sa.String(12), nullable=False),
        sa.Column("community", sa.String(12), nullable=False, index=True),
        sa.Column("checklist", sa.JSON, nullable=False),
        sa.Column("checklist_complete", sa.Boolean, nullable=False),
        sa.Column("registered_by", sa.String(200), nullable=False),
        sa.Column("registered_at", UtcDateTime(), nullable=False),
        sa.Column("checklist_updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "checklist_history",
        sa.Column("id", Position, primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(10), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=False, index=True),
        sa.Column("checklist", sa.JSON, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "checklist_history",
        "station_view",
        "team_members",
        "team_view",
        "agency_authorizations",
        "agency_view",
        "unit_view",
    ):
        op.drop_table(table)
