"""Recognition: a service record keeps the minutes it was logged with and when; the minute
ledger keeps only the changes after that. The team and activity indexes go.

Every HoursLogged wrote two rows, the record and a ledger row saying the same thing (its
minutes, at the event's time). The record now carries them (``logged_minutes``,
``logged_at``) and the ledger holds corrections and revocations only: "as of a date" is
the records logged by then plus the changes known by then. No query looks a record up by
team or by activity (they are grouped over a period, found by ``started_at``), so those
two indexes were only work for every write and every rebuild.

The existing ledger's first row of each record is the one its HoursLogged wrote (a
correction of a record not yet logged is refused): it moves into the record.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from zhiyuan_platform.tables import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DROPPED_INDEXES = ("team_id", "activity_id")
# The earliest change of a record (ties by id: after a downgrade the logged rows come last).
FIRST_LEDGER_ROW = "(SELECT m.{column} FROM minute_ledger m WHERE m.record_id = {outer}.record_id ORDER BY m.at, m.id LIMIT 1)"


def upgrade() -> None:
    for column in DROPPED_INDEXES:
        op.drop_index(f"ix_service_records_{column}", table_name="service_records")
    op.add_column("service_records", sa.Column("logged_minutes", sa.Integer, nullable=True))
    op.add_column("service_records", sa.Column("logged_at", UtcDateTime(), nullable=True))
    op.create_index("ix_minute_ledger_record_migration", "minute_ledger", ["record_id", "at", "id"])
    op.execute(
        "UPDATE service_records SET"
        f" logged_minutes = coalesce({FIRST_LEDGER_ROW.format(column='delta', outer='service_records')}, 0),"
        f" logged_at = coalesce({FIRST_LEDGER_ROW.format(column='at', outer='service_records')}, started_at)"
    )
    op.execute(f"DELETE FROM minute_ledger WHERE id = {FIRST_LEDGER_ROW.format(column='id', outer='minute_ledger')}")
    op.drop_index("ix_minute_ledger_record_migration", table_name="minute_ledger")
    # SQLite: batch mode copies the table; PostgreSQL: ALTER COLUMN … SET NOT NULL.
    with op.batch_alter_table("service_records") as batch:
        batch.alter_column("logged_minutes", existing_type=sa.Integer, nullable=False)
        batch.alter_column("logged_at", existing_type=UtcDateTime(), nullable=False)


def downgrade() -> None:
    op.execute(
        "INSERT INTO minute_ledger (volunteer_id, record_id, delta, at)"
        " SELECT volunteer_id, record_id, logged_minutes, logged_at FROM service_records"
    )
    with op.batch_alter_table("service_records") as batch:
        batch.drop_column("logged_at")
        batch.drop_column("logged_minutes")
    for column in DROPPED_INDEXES:
        op.create_index(f"ix_service_records_{column}", "service_records", [column])
