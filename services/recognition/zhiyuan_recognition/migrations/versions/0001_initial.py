"""Recognition: the platform tables and the volunteer totals read model.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from zhiyuan_platform.migrate import create_platform_tables, drop_platform_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables(op.get_bind())
    op.create_table(
        "volunteer_totals",
        sa.Column("volunteer_id", sa.String(36), primary_key=True),
        sa.Column("district", sa.String(6), nullable=False),
        sa.Column("registration_no", sa.String(40), nullable=True),
        sa.Column("total_minutes", sa.Integer, nullable=False),
        sa.Column("as_of", sa.String(40), nullable=True),
    )
    op.create_table(
        "service_records",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("volunteer_id", sa.String(36), nullable=False, index=True),
        sa.Column("district", sa.String(6), nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("service_records")
    op.drop_table("volunteer_totals")
    drop_platform_tables(op.get_bind())
