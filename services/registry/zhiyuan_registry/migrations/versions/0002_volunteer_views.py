"""Registry: the volunteer read model, login codes and spot checks.

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
        "volunteer_view",
        sa.Column("volunteer_id", sa.String(36), primary_key=True),
        sa.Column("registration_no", sa.String(40), nullable=False, unique=True),
        sa.Column("district", sa.String(6), nullable=False, index=True),
        sa.Column("street", sa.String(12), nullable=False),
        sa.Column("community", sa.String(12), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("minor", sa.Boolean, nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=True),
        sa.Column("name_masked", sa.String(40), nullable=False),
        sa.Column("registered_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "auth_codes",
        sa.Column("mobile_hash", sa.String(64), primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "spot_check_view",
        sa.Column("check_id", sa.String(36), primary_key=True),
        sa.Column("district", sa.String(6), nullable=False, index=True),
        sa.Column("seed", sa.String(100), nullable=False),
        sa.Column("population", sa.Integer, nullable=False),
        sa.Column("sample_size", sa.Integer, nullable=False),
        sa.Column("drawn_by", sa.String(200), nullable=False),
        sa.Column("drawn_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "spot_check_items",
        sa.Column("check_id", sa.String(36), primary_key=True),
        sa.Column("volunteer_id", sa.String(36), primary_key=True),
        sa.Column("community", sa.String(12), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("checked_by", sa.String(200), nullable=True),
        sa.Column("checked_at", sa.String(40), nullable=True),
    )


def downgrade() -> None:
    for table in ("spot_check_items", "spot_check_view", "auth_codes", "volunteer_view"):
        op.drop_table(table)
