"""Registry: the platform tables, the person store and registration counters.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from zhiyuan_platform.migrate import create_platform_tables, drop_platform_tables
from zhiyuan_platform.tables import Position

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables(op.get_bind())
    op.create_table(
        "persons",
        sa.Column("volunteer_id", sa.String(36), primary_key=True),
        sa.Column("id_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("mobile_hash", sa.String(64), nullable=True, index=True),
        sa.Column("id_type", sa.String(40), nullable=False),
        sa.Column("name_masked", sa.String(40), nullable=False),
        sa.Column("id_masked", sa.String(18), nullable=False),
        sa.Column("mobile_masked", sa.String(11), nullable=False),
        sa.Column("sealed", sa.LargeBinary, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "person_keys",
        sa.Column("volunteer_id", sa.String(36), primary_key=True),
        sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "pii_reveals",
        sa.Column("id", Position, primary_key=True, autoincrement=True),
        sa.Column("volunteer_id", sa.String(36), nullable=False, index=True),
        sa.Column("revealed_to", sa.String(200), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("correlation_id", sa.String(64), nullable=True),
        sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "registration_counters",
        sa.Column("agency", sa.String(40), primary_key=True),
        sa.Column("last_number", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("registration_counters", "pii_reveals", "person_keys", "persons"):
        op.drop_table(table)
    drop_platform_tables(op.get_bind())
