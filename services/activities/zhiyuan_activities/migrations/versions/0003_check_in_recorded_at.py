"""Activities: when each check-in was recorded, so the missed-check-out sweep can wait.

A back-filled activity's check-in is recorded now for a slot long past; the sweep leaves
a check-in alone until a grace period after it was recorded. Rows from before this
revision have none and are treated as recorded long ago.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from zhiyuan_platform.tables import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("attendance_view", sa.Column("recorded_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attendance_view") as batch:
        batch.drop_column("recorded_at")
