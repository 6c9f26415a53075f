"""Activities: its copy of registry facts and its read models.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from zhiyuan_platform.tables import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "known_volunteers",
        sa.Column("volunteer_id", sa.String(36), primary_key=True),
        sa.Column("district", sa.String(6), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("minor", sa.Boolean, nullable=False),
    )
    op.create_table(
        "known_teams",
        sa.Column("team_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("district", sa.String(6), nullable=False),
        sa.Column("community", sa.String(12), nullable=False),
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.String(64), primary_key=True),
        sa.Column("volunteer_id", sa.String(36), primary_key=True),
    )
    op.create_table(
        "activity_view",
        sa.Column("activity_id", sa.String(36), primary_key=True),
        sa.Column("team_id", sa.String(64), nullable=False, index=True),
        sa.Column("district", sa.String(6), nullable=False, index=True),
        sa.Column("community", sa.String(12), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("service_kind", sa.String(40), nullable=False, index=True),
        sa.Column("target_group", sa.String(40), nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("recruitment", sa.String(10), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("backfilled", sa.Boolean, nullable=False),
        sa.Column("needs_insurance", sa.Boolean, nullable=False),
        sa.Column("insured", sa.Boolean, nullable=False),
        sa.Column("allows_minors", sa.Boolean, nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False, index=True),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("published_at", sa.String(40), nullable=True),
        sa.Column("summary", sa.Text, nullable=True),
        sa.Column("people_served", sa.Integer, nullable=True),
    )
    op.create_table(
        "slot_view",
        sa.Column("activity_id", sa.String(36), primary_key=True),
        sa.Column("slot", sa.Integer, primary_key=True),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("confirmed", sa.Integer, nullable=False),
        sa.Column("waitlisted", sa.Integer, nullable=False),
    )
    op.create_table(
        "signup_view",
        sa.Column("activity_id", sa.String(36), primary_key=True),
        sa.Column("volunteer_id", sa.String(36), primary_key=True),
        sa.Column("slot", sa.Integer, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),  # confirmed, waitlisted, cancelled, released
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("signed_up_at", sa.String(40), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
    )
    op.create_table(
        "attendance_view",
        sa.Column("activity_id", sa.String(36), primary_key=True),
        sa.Column("volunteer_id", sa.String(36), primary_key=True),
        sa.Column("checked_in", sa.String(40), primary_key=True),
        sa.Column("slot", sa.Integer, nullable=False),
        sa.Column("checked_out", sa.String(40), nullable=True),
        sa.Column("auto_closed", sa.Boolean, nullable=False),
        sa.Column("method", sa.String(12), nullable=False),
    )
    op.create_table(
        "record_view",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("volunteer_id", sa.String(36), nullable=False, index=True),
        sa.Column("activity_id", sa.String(36), nullable=False, index=True),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("district", sa.String(6), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),  # service or training
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("original_minutes", sa.Integer, nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("target_group", sa.String(40), nullable=False),
        sa.Column("service_kind", sa.String(40), nullable=False),
        sa.Column("policy_version", sa.String(40), nullable=False),
        sa.Column("backfilled", sa.Boolean, nullable=False),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),  # active or revoked
        sa.Column("logged_by", sa.String(200), nullable=False),
        sa.Column("logged_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "record_history",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("change", sa.String(20), nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("previous_minutes", sa.Integer, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
    )
    op.create_table(
        "dispute_view",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("dispute_no", sa.Integer, primary_key=True),
        sa.Column("volunteer_id", sa.String(36), nullable=False),
        sa.Column("activity_id", sa.String(36), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False, index=True),
        sa.Column("claimed_minutes", sa.Integer, nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),  # open, accepted, rejected
        sa.Column("opened_at", sa.String(40), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("resolved_by", sa.String(200), nullable=True),
        sa.Column("resolved_at", sa.String(40), nullable=True),
    )


def downgrade() -> None:
    for table in (
        "dispute_view",
        "record_history",
        "record_view",
        "attendance_view",
        "signup_view",
        "slot_view",
        "activity_view",
        "team_members",
        "known_teams",
        "known_volunteers",
    ):
        op.drop_table(table)
